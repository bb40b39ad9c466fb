# shellcheck shell=bash
#
# report.sh - TAP-like reporting and client runs shared by the integration
# tests (integration-issue.sh, integration-account.sh).
#
# Source this file from a bash script after tests/lib/testca.sh, then:
#
#   resolve_client                   # ACMEC made absolute, or exit 1
#   ... testca_start, T=$(mktemp -d ...), STATE=...
#   run LABEL issue -d NAME ...      # the client, exit status in $rc
#   check_exit LABEL 0 "issue exits 0"
#   check "cert.pem written" test -s "$OUT/cert.pem"
#   summary                          # "N passed, M failed"; false if M > 0
#
# Every check prints one line, "ok N - DESCRIPTION" or "not ok N -
# DESCRIPTION", numbered from 1 in the order they ran; diagnostics follow a
# failed check as "#   " lines.
#
# Variables the caller sets:
#
#   ACMEC            the client (resolve_client makes the path absolute)
#   T                a work directory: run writes $T/LABEL.out, $T/LABEL.err
#   STATE            the state dir run passes with --state-dir
#   ACME_DIRECTORY, ACME_CA_BUNDLE   from testca_start
#   ACMEC_RUN_TIMEOUT  seconds one client run may take before it counts as
#                    hung (default 120)
#   ACMEC_VALGRIND   1: every run of the client goes through valgrind
#                    (.ci/run's valgrind pass); see resolve_client
#
# Variables this file sets:
#
#   REPORT_PASSED, REPORT_FAILED  checks that passed and failed so far;
#                    upper case and prefixed so that a script's own
#                    "local failed" cannot hide them from ok and not_ok
#   ACMEC_NATIVE     the client itself, never under valgrind (for runs
#                    killed on purpose: see integration-crash.sh)
#   rc               the exit status of the last run

# The caller's variables are used here, assigned there.
# shellcheck disable=SC2154

# How long one client run may take before it counts as hung.
ACMEC_RUN_TIMEOUT=${ACMEC_RUN_TIMEOUT:-120}

# The mode of the files the scripts make, whatever the caller's umask:
# acmec refuses a configuration its group may write to.
umask 022

declare -gi REPORT_PASSED=0 REPORT_FAILED=0
declare -gi REPORT_CHECKNO=0	# the number of the last check reported
namecount=0	# names handed out by fresh

# resolve_client: make $ACMEC absolute (it may be given relative to the
# current directory: the checks never change directory, but messages are
# clearer with a full path); exit 1 if there is no such program.
resolve_client() {
	case $ACMEC in
	*/*) ACMEC="$(cd "$(dirname "$ACMEC")" && pwd)/$(basename "$ACMEC")" ;;
	esac
	if ! command -v "$ACMEC" >/dev/null 2>&1; then
		echo "acmec client not found: $ACMEC (set ACMEC=path/to/acmec)"
		exit 1
	fi
	# shellcheck disable=SC2034 # for the scripts
	ACMEC_NATIVE=$ACMEC
	if under_valgrind; then
		valgrind_wrap || exit 1
	fi
}

# under_valgrind: true if the client runs under valgrind (ACMEC_VALGRIND=1).
under_valgrind() {
	[ "${ACMEC_VALGRIND:-0}" = 1 ]
}

# skip_under_valgrind WHAT: under valgrind, say that WHAT is skipped (one
# "# skipped under valgrind: WHAT" line) and return true; otherwise false.
# Only for what valgrind itself breaks: timings, preloaded shims.
skip_under_valgrind() {
	under_valgrind || return 1
	echo "# skipped under valgrind: $*"
	return 0
}

# valgrind_wrap: point ACMEC at a script that runs the real client under
# valgrind, so that every way a test starts the client (run, its own
# command lines, hooks, SIGINT through execv) goes through it without a
# change.  The script execs valgrind, which keeps the pid: signals reach
# the client as before.  Valgrind writes to a log file per process rather
# than to stderr, where the checks read the client's own messages; summary
# counts any non-empty log as a failure, so an error in a run whose exit
# status no check looks at (or one that must fail anyway) is still seen.
# Exit status 99 is a memory error or a definite leak.
VALGRIND_DIR=
valgrind_wrap() {
	local supp
	supp="$(cd "$srcdir" && pwd)/tests/valgrind.supp"
	command -v valgrind >/dev/null 2>&1 ||
	    { echo "ACMEC_VALGRIND=1 but valgrind is not installed"; return 1; }
	VALGRIND_DIR=$(mktemp -d "${TMPDIR:-/tmp}/acmec-valgrind.XXXXXX") ||
	    return 1
	# The command line goes next to the log, named by the same pid.
	cat >"$VALGRIND_DIR/acmec" <<-EOF
	#!/bin/sh
	printf '%s\n' "\$*" >"$VALGRIND_DIR/\$\$.cmd"
	exec valgrind --error-exitcode=99 --leak-check=full \\
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite -q \\
	    --suppressions="$supp" --log-file="$VALGRIND_DIR/%p.log" \\
	    "$ACMEC" "\$@"
	EOF
	chmod 755 "$VALGRIND_DIR/acmec"
	echo "# client under valgrind: $ACMEC (logs in $VALGRIND_DIR)"
	ACMEC=$VALGRIND_DIR/acmec
}

# valgrind_check: under valgrind, one check that no run of the client
# logged an error or a leak, with the logs and command lines if one did
# (then removed: they are in the test's log).
valgrind_check() {
	local log bad_logs=()
	[ -n "$VALGRIND_DIR" ] || return 0
	for log in "$VALGRIND_DIR"/*.log; do
		[ -s "$log" ] && bad_logs+=("$log")
	done
	if [ "${#bad_logs[@]}" = 0 ]; then
		ok "valgrind: no memory error or definite leak in any run of the client ($(find "$VALGRIND_DIR" -name '*.log' | wc -l) runs)"
	else
		not_ok "valgrind: no memory error or definite leak in any run of the client (${#bad_logs[@]} runs with errors)"
		for log in "${bad_logs[@]}"; do
			echo "command: acmec $(cat "${log%.log}.cmd" 2>/dev/null)"
			cat "$log"
		done | diag
	fi
	rm -rf "$VALGRIND_DIR"
}

# ok DESCRIPTION...: report a check that passed.
ok() {
	REPORT_CHECKNO+=1
	REPORT_PASSED+=1
	echo "ok $REPORT_CHECKNO - $*"
}

# not_ok DESCRIPTION...: report a check that failed.
not_ok() {
	REPORT_CHECKNO+=1
	REPORT_FAILED+=1
	echo "not ok $REPORT_CHECKNO - $*"
}

# diag: copy standard input as indented diagnostic lines (TAP comments).
diag() {
	sed 's/^/#   /'
}

# check DESCRIPTION CMD...: ok if CMD succeeds, not ok otherwise.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# fresh VAR: set VAR to a DNS name never used before.  Pebble may hand out
# an already valid authorization for a known name, which would skip the
# http-01 validation.  (Not a $(function): the counter must survive.)
fresh() {
	namecount=$((namecount + 1))
	printf -v "$1" 't%s%s-%s.example.com' "$RANDOM" "$RANDOM" "$namecount"
}

# run LABEL ARGS...: run the client against the test CA with the state dir
# $STATE; stdout and stderr go to $T/LABEL.out and $T/LABEL.err, the exit
# status to $rc (124: killed after $ACMEC_RUN_TIMEOUT seconds, noted in
# LABEL.err).  Global options may come first in ARGS (-v, -q).  Always
# returns 0: the checks look at $rc.
run() {
	local label=$1
	shift
	local globals=()
	while [ "$#" -gt 0 ]; do
		case $1 in
		-v | -q) globals+=("$1"); shift ;;
		*) break ;;
		esac
	done
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" "${globals[@]}" \
	    --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$STATE" "$@" >"$T/$label.out" 2>"$T/$label.err"
	rc=$?
	[ "$rc" = 124 ] && echo "# $label: client killed after ${ACMEC_RUN_TIMEOUT}s" >>"$T/$label.err"
	return 0
}

# show_run LABEL: the exit status and output of run LABEL as diagnostics,
# for a failed check.
show_run() {
	{
		echo "exit status: $rc"
		[ -s "$T/$1.out" ] && { echo "stdout:"; cat "$T/$1.out"; }
		[ -s "$T/$1.err" ] && { echo "stderr:"; cat "$T/$1.err"; }
	} | diag
}

# check_says LABEL REGEX DESCRIPTION: the run's stdout or stderr matches
# the extended REGEX (case-insensitive).
check_says() {
	if cat "$T/$1.out" "$T/$1.err" 2>/dev/null | grep -qiE -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		show_run "$1"
	fi
}

# check_says_fixed LABEL STRING DESCRIPTION: likewise, a fixed string.
check_says_fixed() {
	if cat "$T/$1.out" "$T/$1.err" 2>/dev/null | grep -qF -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		show_run "$1"
	fi
}

# check_exit LABEL WANT DESCRIPTION: ok if $rc is WANT; otherwise not ok,
# with the output of run LABEL.
check_exit() {
	if [ "$rc" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3 (exit status $rc, want $2)"
		show_run "$1"
	fi
}

# mode_of PATH: the permission bits of PATH in octal (600, 755); empty if
# there is no such file.  A link is followed: OUT/privkey.pem is a link to
# current/privkey.pem, whose mode is the one that counts.
mode_of() {
	stat -L -c %a "$1" 2>/dev/null
}

# account_dir STATE: the account directory of the one CA in state dir
# STATE (accounts/CA/, with account-key.pem and account.json).
account_dir() {
	local d
	for d in "$1"/accounts/*/; do
		[ -d "$d" ] && { printf '%s\n' "${d%/}"; return; }
	done
	printf '%s\n' "$1/accounts/none"
}

# summary: print "N passed, M failed" (under valgrind, after the check of
# its logs); true if none failed.  The last command of a test script, so
# that it gives the script's exit status.
summary() {
	valgrind_check
	echo "$REPORT_PASSED passed, $REPORT_FAILED failed"
	[ "$REPORT_FAILED" = 0 ]
}
