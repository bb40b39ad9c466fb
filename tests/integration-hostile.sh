#!/bin/bash
#
# integration-hostile.sh - acmec against a hostile CA: a fake ACME server
# (tests/lib/hostile_ca.py) that gives malformed or hostile answers, the
# one thing a real CA such as pebble cannot be made to do.  Everything else
# is tested against pebble (integration-issue.sh, integration-account.sh).
#
# Run by `make check` (automake sets srcdir to the top source dir and ACMEC
# to the built client), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-hostile.sh
#
# One fake CA process serves every case at once, each under its own path
# prefix: https://127.0.0.1:PORT/LABEL/dir is the directory of case LABEL,
# which plays one scenario of the fake with state of its own.  PORT is a
# free port the system picks (HOSTILE_PORT=N to choose one); the TLS
# certificate is a throwaway one made here with openssl, given to acmec
# with --ca-bundle.  No root, pebble or nginx.
#
# The cases run in parallel, in background jobs, at most HOSTILE_JOBS (6)
# at a time, those that mostly wait for a timeout or a Retry-After first.
# Each job writes its checks to a file of its own; they are reported in a
# fixed order once all jobs have ended.
#
# HOSTILE_KEEP=1 keeps the work dir (client output, server request logs in
# cases/LABEL/log).  `python3 tests/lib/hostile_ca.py --list` lists the
# scenarios.
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (python3 or
# openssl missing).  One "ok"/"not ok" line per check, then "N passed, M
# failed".

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
# A client that hangs on a hostile answer is a failure, not a stuck build.
ACMEC_RUN_TIMEOUT=${ACMEC_RUN_TIMEOUT:-60}

# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

for prog in python3 openssl timeout; do
	command -v "$prog" >/dev/null 2>&1 || { echo "$prog missing"; exit 77; }
done
python3 -c 'import ssl, http.server' 2>/dev/null ||
    { echo "python3 without ssl"; exit 77; }

resolve_client

# The --timeout of runs that must get past a lost answer quickly, yet
# finish the requests that are answered: under valgrind a TLS handshake
# on a loaded machine alone can take 2 s (a CI run's badnonce-loop
# timed out connecting).
LOST_TIMEOUT=2
under_valgrind && LOST_TIMEOUT=6
# How much longer the bounded waits may take under valgrind: they check
# that acmec gives up, not how fast valgrind runs it on a busy machine.
SLACK=1
under_valgrind && SLACK=3

PORT=		# the fake CA's TLS port, and its port that never speaks
SILENT_PORT=	# (start_server)
BASE=		# https://127.0.0.1:$PORT
SERVER=$srcdir/tests/lib/hostile_ca.py
NAME=hostile.example.com	# the name every issue asks for

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-hostile.XXXXXX") || exit 1
PKI=$T/pki
CASES=$T/cases	# one directory per case: what the fake plays, its log
ACME_DIRECTORY=	# per case (use_ca)
ACME_CA_BUNDLE=$PKI/ca.pem
CASE_BASE=	# https://127.0.0.1:$PORT/LABEL, the URLs of a case
STATE=		# per case (case_dirs)
WEB=		# the webroot of a case
OUT=		# the --out dir of a case
srvlog=		# the request log of the case
server_pid=
client_pid=	# a client in the background (in a job)
job_cmds=()	# the jobs, in report order (job)
job_early=()	# the indexes in job_cmds of the jobs to start first
job_late=()	# and of the others
job_pids=()	# the jobs started

# Never through a proxy: the fake CA is on loopback.
no_proxy=${no_proxy:+$no_proxy,}localhost,127.0.0.1
NO_PROXY=$no_proxy
export no_proxy NO_PROXY

# ------------------------------------------------------------ helpers

stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
}

cleanup() {
	local pid
	[ -n "$client_pid" ] && kill -KILL "$client_pid" 2>/dev/null
	# Jobs still running (interrupted): their clients end on their own
	# once the server is gone, or at ACMEC_RUN_TIMEOUT.
	for pid in "${job_pids[@]}"; do
		kill "$pid" 2>/dev/null
	done
	stop_server
	if [ "${HOSTILE_KEEP:-}" = 1 ]; then
		echo "# work dir kept: $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

now_ms() {
	date +%s%3N
}

port_answers() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Throwaway PKI: a CA, the server's TLS certificate (localhost and
# 127.0.0.1), and certificates the hostile CA hands out instead of the
# right one.
make_pki() {
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	mkdir -p "$PKI" && (
	cd "$PKI" || exit 1
	set -e
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 \
	    -subj "/CN=acmec hostile test CA" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign
	# leaf NAME KEYFILE SAN: a certificate for KEYFILE's key (new if
	# absent), signed by the test CA.
	leaf() {
		if [ -e "$2" ]; then
			openssl req -new -key "$2" -out "$1.csr" -subj "/CN=$1"
		else
			openssl req -new "${ec[@]}" -keyout "$2" -out "$1.csr" \
			    -subj "/CN=$1"
		fi
		printf '%s\n' "subjectAltName=$3" \
		    basicConstraints=critical,CA:FALSE \
		    keyUsage=critical,digitalSignature \
		    extendedKeyUsage=serverAuth >"$1.ext"
		openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
		    -set_serial "$((RANDOM * 32768 + RANDOM))" -days 2 \
		    -extfile "$1.ext" -out "$1.pem"
	}
	leaf server server.key "DNS:localhost,IP:127.0.0.1"
	# Another key and other names; another key with our name.
	leaf other other.key "DNS:other.example.net"
	leaf otherkey other.key "DNS:$NAME"
	cat other.pem ca.pem >wrong-chain.pem
	cat otherkey.pem ca.pem >wrong-key-chain.pem
	# The files of a fake earlier run: a key and its certificate.
	leaf earlier earlier.key "DNS:$NAME"
	) >"$T/pki.log" 2>&1
}

# start_server: start the fake CA for every case and wait (bounded) until
# it logged its ports and they answer; sets PORT, SILENT_PORT and BASE.
start_server() {
	local i words=()
	mkdir -p "$CASES"
	python3 "$SERVER" --cases "$CASES" --port "${HOSTILE_PORT:-0}" \
	    --cert "$PKI/server.pem" --key "$PKI/server.key" \
	    --ca-cert "$PKI/ca.pem" --ca-key "$PKI/ca.key" \
	    --log "$T/server.log" >"$T/server.out" 2>&1 &
	server_pid=$!
	for ((i = 0; i < 100; i++)); do
		kill -0 "$server_pid" 2>/dev/null || break
		read -r -a words < <(grep -m 1 '^listening ' "$T/server.log" \
		    2>/dev/null)
		if [ "${#words[@]}" = 3 ] && port_answers "${words[1]}" &&
		    port_answers "${words[2]}"; then
			PORT=${words[1]}
			SILENT_PORT=${words[2]}
			BASE=https://127.0.0.1:$PORT
			return 0
		fi
		sleep 0.1
	done
	not_ok "the fake CA answers on its ports"
	{ echo "server output:"; cat "$T/server.out"; } | diag
	stop_server
	return 1
}

# use_ca LABEL SCENARIO [--token TOKEN] [--pem FILE]: make case LABEL
# play SCENARIO (with that http-01 token, serving that certificate chain)
# and point ACME_DIRECTORY, CASE_BASE and srvlog at it.
use_ca() {
	local label=$1 sc=$2 d=$CASES/$1
	shift 2
	if ! mkdir "$d"; then
		not_ok "$label: a case of its own on the fake CA"
		return 1
	fi
	while [ "$#" -ge 2 ]; do
		case $1 in
		--token) printf '%s' "$2" >"$d/token" ;;
		--pem) printf '%s\n' "$2" >"$d/pem" ;;
		*) echo "use_ca: unknown option $1" >&2; return 1 ;;
		esac
		shift 2
	done
	# Last: the server takes the case as it finds it at its first request.
	printf '%s\n' "$sc" >"$d/scenario"
	srvlog=$d/log
	CASE_BASE=$BASE/$label
	ACME_DIRECTORY=$CASE_BASE/dir
	if [ "$sc" = silent ]; then
		CASE_BASE=https://127.0.0.1:$SILENT_PORT/$label
		ACME_DIRECTORY=$CASE_BASE/dir
	fi
	return 0
}

# job [--early] FUNCTION [ARGS...]: a job that runs FUNCTION in the
# background, its checks and diagnostics to a file of its own.  --early:
# one that mostly waits (a timeout, a Retry-After), started first.
job() {
	local early=
	[ "$1" = --early ] && { early=1; shift; }
	if [ -n "$early" ]; then
		job_early+=("${#job_cmds[@]}")
	else
		job_late+=("${#job_cmds[@]}")
	fi
	job_cmds+=("$(printf '%q ' "$@")")
}

# run_jobs: run the jobs, at most HOSTILE_JOBS at a time, then report
# their checks in the order they were declared, numbered afresh.  Too many
# clients at once would make the fast cases slow: the timeouts they check
# are a few seconds.
run_jobs() {
	local i pid running line
	for i in "${job_early[@]}" "${job_late[@]}"; do
		while :; do
			running=0
			for pid in "${job_pids[@]}"; do
				kill -0 "$pid" 2>/dev/null &&
				    running=$((running + 1))
			done
			[ "$running" -lt "${HOSTILE_JOBS:-6}" ] && break
			sleep 0.05
		done
		(eval "${job_cmds[i]}") >"$T/job-$i.tap" 2>&1 &
		job_pids+=($!)
	done
	wait "${job_pids[@]}"
	for ((i = 0; i < ${#job_cmds[@]}; i++)); do
		while IFS= read -r line || [ -n "$line" ]; do
			case $line in
			"ok "[0-9]*" - "*) ok "${line#* - }" ;;
			"not ok "[0-9]*" - "*) not_ok "${line#* - }" ;;
			*) printf '%s\n' "$line" ;;
			esac
		done <"$T/job-$i.tap"
	done
	job_pids=()
}

# case_dirs LABEL: a fresh state dir, webroot and (absent) --out dir.
case_dirs() {
	local d=$T/case-$1
	STATE=$d/state
	WEB=$d/www
	OUT=$d/out
	mkdir -p "$WEB"
}

# issue LABEL [GLOBAL-OPTIONS...]: acmec issue -d NAME against the fake.
issue() {
	local label=$1
	shift
	run "$label" "$@" issue -d "$NAME" -w "$WEB" --agree-tos --out "$OUT"
}

# The command line of issue, for diagnostics.
issue_cmd() {
	echo "command: $ACMEC [--timeout ...] --directory $ACME_DIRECTORY" \
	    "--ca-bundle $ACME_CA_BUNDLE --state-dir $STATE issue -d $NAME" \
	    "-w $WEB --agree-tos --out $OUT"
}

# check_stderr LABEL ERE DESCRIPTION: stderr of run LABEL matches ERE.
check_stderr() {
	if grep -Eq -- "$2" "$T/$1.err"; then
		ok "$3"
	else
		not_ok "$3"
		echo "want stderr matching: $2" | diag
		issue_cmd | diag
		show_run "$1"
	fi
}

# check_stderr_nourl LABEL ERE DESCRIPTION: as check_stderr, with the URLs
# taken out of stderr first (so that "https" must be in the words).
check_stderr_nourl() {
	if sed 's#https\{0,1\}://[^ "]*##g' "$T/$1.err" | grep -Eq -- "$2"; then
		ok "$3"
	else
		not_ok "$3"
		echo "want stderr (URLs removed) matching: $2" | diag
		issue_cmd | diag
		show_run "$1"
	fi
}

# check_stderr_url LABEL URL DESCRIPTION: stderr of run LABEL names URL.
check_stderr_url() {
	if grep -qF -- "$2" "$T/$1.err"; then
		ok "$3"
	else
		not_ok "$3"
		echo "want stderr naming: $2" | diag
		issue_cmd | diag
		show_run "$1"
	fi
}

# check_failed LABEL DESCRIPTION: exit status 1 (not 0, not a crash).
check_failed() {
	if [ "$rc" != 1 ]; then
		issue_cmd >>"$T/$1.err"
	fi
	check_exit "$1" 1 "$2"
}

# The files under DIR (none if DIR is absent), one a line.
files_in() {
	[ -e "$1" ] && find "$1" ! -type d | sort
}

# check_no_files DIR DESCRIPTION: nothing but directories under DIR.
check_no_files() {
	local got
	got=$(files_in "$1")
	if [ -z "$got" ]; then
		ok "$2"
	else
		not_ok "$2"
		{ echo "files found:"; echo "$got"; } | diag
	fi
}

# check_clean LABEL: no challenge file left in the webroot, no certificate
# file in the --out dir.
check_clean() {
	check_no_files "$WEB" "$1: nothing left in the webroot"
	check_no_files "$OUT" "$1: no file in the --out dir"
}

# check_printable LABEL: stdout and stderr of run LABEL are printable
# ASCII lines only: no ESC, BEL, CR, backspace, C1 or other byte a
# terminal would act on.
check_printable() {
	local f bad
	for f in out err; do
		bad=$(LC_ALL=C tr -d '\n\040-\176' <"$T/$1.$f" | od -An -c |
		    head -n 5)
		if [ -z "$bad" ]; then
			ok "$1: std$f holds no control or non-ASCII byte"
		else
			not_ok "$1: std$f holds no control or non-ASCII byte"
			{ echo "bytes found:"; echo "$bad"; echo "std$f:"
			  od -An -c "$T/$1.$f" | head -n 20; } | diag
		fi
	done
}

# check_one_line LABEL: stderr of run LABEL is one line (no newline from
# the server starts a line of its own that could pass for ours).
check_one_line() {
	local n
	n=$(wc -l <"$T/$1.err")
	if [ "$n" = 1 ]; then
		ok "$1: the error is one line"
	else
		not_ok "$1: the error is one line ($n lines)"
		show_run "$1"
	fi
}

# requests ERE: how many requests in the server's log match ERE.
requests() {
	local n
	# 0, not nothing, before the server has written its log.
	n=$(grep -cE -- "$1" "$srvlog" 2>/dev/null)
	echo "${n:-0}"
}

# ----------------------------------------------------------- scenarios

# refused LABEL SCENARIO ERE WHAT [SERVER-ARGS...]: the client exits 1 and
# its stderr (URLs removed) matches ERE; nothing written to the webroot or
# the --out dir.
refused() {
	local label=$1 sc=$2 ere=$3 what=$4
	shift 4
	case_dirs "$label"
	use_ca "$label" "$sc" "$@" || return
	issue "$label"
	check_failed "$label" "$label: exits 1"
	check_stderr_nourl "$label" "$ere" "$label: the message $what"
	check_clean "$label"
}

# The fake works: with honest answers, issue succeeds.  Without this, a
# hostile scenario could pass for the wrong reason.
case_honest() {
	case_dirs honest
	use_ca honest honest || return
	issue honest
	check_exit honest 0 "honest: the fake CA's normal flow issues (control)"
	check "honest: cert.pem, fullchain.pem and privkey.pem written" \
	    test -s "$OUT/cert.pem" -a -s "$OUT/fullchain.pem" \
	    -a -s "$OUT/privkey.pem"
	check_no_files "$WEB" "honest: the challenge file is removed"
	check "honest: the client answered the challenge" \
	    test "$(requests '^POST /chall/0 ')" -ge 1
}

case_http_urls() {
	refused http-url http-url 'https' 'mentions https'
	refused http-url-authz http-url-authz 'https' 'mentions https'
	refused http-url-challenge http-url-challenge 'https' 'mentions https'
	refused http-url-cert http-url-cert 'https' 'mentions https'
	refused location-http location-http 'https' 'mentions https'
	refused location-http-order location-http-order 'https' \
	    'mentions https'
	check "location-http-order: no request to the http order URL" \
	    test "$(requests '^[A-Z]+ /order/')" = 0
}

# max_rss_kb LABEL: run issue under GNU time; the peak RSS in KiB on
# stdout (empty without /usr/bin/time).
max_rss_kb() {
	local label=$1
	shift
	[ -x /usr/bin/time ] || return 0
	# AddressSanitizer's shadow memory (or valgrind's own) says nothing
	# about acmec's.
	ldd "$ACMEC" 2>/dev/null | grep -q libasan && return 0
	under_valgrind && return 0
	/usr/bin/time -f %M -o "$T/$label.rss" timeout "$ACMEC_RUN_TIMEOUT" \
	    "$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle \
	    "$ACME_CA_BUNDLE" --state-dir "$STATE" issue -d "$NAME" -w "$WEB" \
	    --agree-tos --out "$OUT" >/dev/null 2>&1
	tail -n 1 "$T/$label.rss"
}

# huge LABEL SCENARIO: a directory bigger than the 1 MiB cap.
huge() {
	local label=$1 sc=$2 t0 t1 rss
	case_dirs "$label"
	use_ca "$label" "$sc" || return
	t0=$(now_ms)
	issue "$label"
	t1=$(now_ms)
	rss=$(max_rss_kb "$label")
	check_failed "$label" "$label: exits 1"
	check_stderr "$label" 'larger than' \
	    "$label: the message says the answer is larger than the limit"
	check "$label: gives up within $((10 * SLACK)) s ($((t1 - t0)) ms)" \
	    test $((t1 - t0)) -le $((10000 * SLACK))
	if skip_under_valgrind "$label: the peak memory check (it would measure valgrind)"; then
		:
	elif [ -n "$rss" ]; then
		# The cap is 1 MiB; allow the libraries' own footprint.
		check "$label: peak memory ${rss} KiB stays under 48 MiB" \
		    test "$rss" -le 49152
	fi
}

# hang LABEL SCENARIO: the CA never finishes an answer; with --timeout 2
# the client gives up within 10 s, naming the URL.
hang() {
	local label=$1 sc=$2 t0 t1
	case_dirs "$label"
	use_ca "$label" "$sc" || return
	t0=$(date +%s)
	issue "$label" --timeout 2
	t1=$(date +%s)
	check_failed "$label" "$label: exits 1"
	check "$label: gives up within $((10 * SLACK)) s with --timeout 2 ($((t1 - t0)) s)" \
	    test $((t1 - t0)) -le $((10 * SLACK))
	check_stderr_url "$label" "$ACME_DIRECTORY" \
	    "$label: the message names the URL"
}

# Ctrl-C while an answer is outstanding (the CA never answers a poll):
# acmec cuts the request short and stops within 3 s, says so, and
# replaces nothing.
case_interrupted() {
	local label=interrupted pid t0 t1
	case_dirs "$label"
	use_ca "$label" poll-silent || return
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" --timeout 60 --directory \
	    "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" --state-dir \
	    "$STATE" issue -d "$NAME" -w "$WEB" --agree-tos --out "$OUT" \
	    >"$T/$label.out" 2>"$T/$label.err" &
	pid=$!
	for _ in $(seq 200); do
		[ "$(requests '^POST /order/1 ')" -ge 1 ] && break
		sleep 0.05
	done
	t0=$(now_ms)
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	t1=$(now_ms)
	check "$label: a poll was outstanding when ^C came" \
	    test "$(requests '^POST /order/1 ')" -ge 1
	check_failed "$label" "$label: exits 1"
	check "$label: stops within 3 s of ^C ($((t1 - t0)) ms)" \
	    test $((t1 - t0)) -le 3000
	check_stderr "$label" 'interrupted' "$label: says it was interrupted"
	check "$label: nothing written to --out" test ! -e "$OUT"
}

# bad_token LABEL TOKEN: an http-01 token that is not base64url.
bad_token() {
	local label=$1 token=$2 before=''
	[ -e /tmp/pwned ] && before=$(cksum </tmp/pwned)
	case_dirs "$label"
	use_ca "$label" bad-token --token "$token" || return
	issue "$label"
	check_failed "$label" "$label: token '$token': exits 1"
	check_stderr "$label" 'base64url' \
	    "$label: the message says the token is not base64url"
	check_no_files "$WEB" "$label: nothing written in the webroot"
	check "$label: nothing written next to the webroot" \
	    test -z "$(find "$T/case-$label" -path "$STATE" -prune -o \
	    ! -type d -print)"
	if [ -z "$before" ]; then
		check "$label: /tmp/pwned does not exist" test ! -e /tmp/pwned
	else
		check "$label: /tmp/pwned (there before) is unchanged" \
		    test "$(cksum </tmp/pwned)" = "$before"
	fi
	check "$label: the client did not answer the challenge" \
	    test "$(requests '^POST /chall/')" = 0
}

case_bad_tokens() {
	local esc
	bad_token token-dotdot '../../../../tmp/pwned'
	# Relative to WEBROOT/.well-known/acme-challenge: into case-*/escape.
	mkdir -p "$T/case-token-dotdot-t/escape"
	esc=../../../escape/pwned
	bad_token token-dotdot-t "$esc"
	bad_token token-absolute '/tmp/pwned'
	bad_token token-slash 'abc/def'
	bad_token token-dot 'abc.def'
	bad_token token-dots '..'
	bad_token token-pct '..%2f..%2f..%2f..%2ftmp%2fpwned'
	bad_token token-space 'abc def'
	bad_token token-empty ''
	bad_token token-newline $'abc\ndef'
	bad_token token-utf8 $'abc\xc3\xa9def'

	# Valid base64url, but longer than any file name can be.
	case_dirs long-token
	use_ca long-token long-token || return
	issue long-token
	check_failed long-token "long-token: a 5000-character token: exits 1"
	check_stderr long-token '[Tt]oo long' \
	    "long-token: the message says why (too long)"
	check_clean long-token
}

# The problem document's text never reaches the terminal raw.
case_escapes() {
	case_dirs escape-text
	if use_ca escape-text escape-text; then
		issue escape-text
		check_failed escape-text "escape-text: exits 1"
		check_printable escape-text
		check_one_line escape-text
		check_stderr escape-text 'rejectedIdentifier' \
		    "escape-text: the CA's problem is still reported"
	fi

	# An entry the client does not use is ignored, whatever its name or
	# value: nothing of it may reach the terminal.
	case_dirs escape-key
	if use_ca escape-key escape-key; then
		issue escape-key
		check_exit escape-key 0 "escape-key: an unused directory entry is ignored"
		check_printable escape-key
	fi

	case_dirs escape-authz
	if use_ca escape-authz escape-authz; then
		issue escape-authz
		check_failed escape-authz "escape-authz: exits 1"
		check_printable escape-authz
		check_one_line escape-authz
		check_stderr escape-authz 'http-01' \
		    "escape-authz: the message says there is no http-01"
	fi

	case_dirs long-text
	if use_ca long-text long-text; then
		issue long-text
		check_failed long-text "long-text: exits 1"
		check_one_line long-text
		check "long-text: the message is at most 4 KiB ($(wc -c \
		    <"$T/long-text.err") bytes)" \
		    test "$(wc -c <"$T/long-text.err")" -le 4096
	fi
}

case_malformed() {
	case_dirs bad-json
	if use_ca bad-json bad-json; then
		issue bad-json
		check_failed bad-json "bad-json: exits 1"
		check_stderr_url bad-json "$CASE_BASE/new-order" \
		    "bad-json: the message names the newOrder URL"
		check_clean bad-json
	fi

	refused bad-status bad-status 'status' 'mentions the status'
	refused garbage-cert garbage-cert 'certificate' \
	    'says the certificate is bad'

	refused bad-nonce bad-nonce '[Nn]once' 'mentions the nonce'
	check "bad-nonce: gives up after few requests ($(requests .))" \
	    test "$(requests .)" -le 10

	refused nonstring-nonce nonstring-nonce 'newNonce' \
	    'names the newNonce entry'
	refused nonstring-account nonstring-account 'newAccount' \
	    'names the newAccount entry'
	refused nonstring-order nonstring-order 'newOrder' \
	    'names the newOrder entry'
}

case_redirect() {
	case_dirs redirect
	use_ca redirect redirect || return
	issue redirect
	check_failed redirect "redirect: a 302 directory: exits 1"
	check "redirect: the redirect is not followed (no GET /other)" \
	    test "$(requests '^GET /other ')" = 0
	check_clean redirect
}

# Retries a hostile CA asks for stay bounded, in number and in time.
case_badnonce_loop() {
	local t0 t1
	case_dirs badnonce-loop
	use_ca badnonce-loop badnonce-loop || return
	t0=$(date +%s)
	issue badnonce-loop --timeout "$LOST_TIMEOUT"
	t1=$(date +%s)
	check_failed badnonce-loop "badnonce-loop: exits 1"
	check "badnonce-loop: ends within 40 s with --timeout $LOST_TIMEOUT ($((t1 - t0)) s)" \
	    test $((t1 - t0)) -le 40
	check_stderr badnonce-loop 'badNonce' \
	    "badnonce-loop: the message says badNonce"
	# 64 retries at most (or 20 s): enough for a CA rejecting half.
	check "badnonce-loop: at most 65 POSTs ($(requests '^POST '))" \
	    test "$(requests '^POST ')" -le 65
}

case_busy_loop() {
	local t0 t1
	case_dirs busy-loop
	use_ca busy-loop busy-loop || return
	t0=$(date +%s)
	issue busy-loop
	t1=$(date +%s)
	check_failed busy-loop "busy-loop: 503 forever: exits 1"
	check "busy-loop: gives up within $((20 * SLACK)) s ($((t1 - t0)) s)" \
	    test $((t1 - t0)) -le $((20 * SLACK))
	check "busy-loop: at most 10 POSTs ($(requests '^POST '))" \
	    test "$(requests '^POST ')" -le 10
}

case_busy_long() {
	local t0 t1
	case_dirs busy-long
	use_ca busy-long busy-long || return
	t0=$(date +%s)
	issue busy-long
	t1=$(date +%s)
	check_failed busy-long "busy-long: 429 Retry-After 999999: exits 1"
	check "busy-long: does not wait 11 days: exits within $((10 * SLACK)) s" \
	    test $((t1 - t0)) -le $((10 * SLACK))
}

# pending LABEL SCENARIO SECONDS: Retry-After: 999999 on a pending
# authorization: the client waits (it clamps the wait to its 300 s poll
# timeout); SECONDS after it wrote its challenge file (within 10 s: a
# sanitizer build on a busy machine is slow) it is still waiting with the
# file in place, and SIGTERM ends the wait at once and removes the file.
pending() {
	local label=$1 sc=$2 secs=$3 i t0 t1 files
	case_dirs "$label"
	use_ca "$label" "$sc" || return
	# timeout passes the SIGTERM below on to the client.
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" --directory "$ACME_DIRECTORY" \
	    --ca-bundle "$ACME_CA_BUNDLE" --state-dir "$STATE" issue \
	    -d "$NAME" -w "$WEB" --agree-tos --out "$OUT" \
	    >"$T/$label.out" 2>"$T/$label.err" &
	client_pid=$!
	for ((i = 0; i < 200; i++)); do
		[ -n "$(files_in "$WEB")" ] && break
		kill -0 "$client_pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep "$secs"
	files=$(files_in "$WEB")
	if kill -0 "$client_pid" 2>/dev/null; then
		ok "$label: still waiting $secs s after writing its challenge file"
	else
		not_ok "$label: still waiting $secs s after writing its challenge file"
		issue_cmd | diag
		{ echo "stdout:"; cat "$T/$label.out"
		  echo "stderr:"; cat "$T/$label.err"; } | diag
	fi
	check "$label: the challenge file is in place while waiting" \
	    test -n "$files"
	kill -TERM "$client_pid" 2>/dev/null
	t0=$(now_ms)
	for ((i = 0; i < 100; i++)); do
		kill -0 "$client_pid" 2>/dev/null || break
		sleep 0.05
	done
	t1=$(now_ms)
	if kill -0 "$client_pid" 2>/dev/null; then
		kill -KILL "$client_pid" 2>/dev/null
		echo "# killed: still running 5 s after SIGTERM" >>"$T/$label.err"
	fi
	wait "$client_pid"
	rc=$?
	client_pid=
	check "$label: exits within 2 s of SIGTERM ($((t1 - t0)) ms)" \
	    test $((t1 - t0)) -le 2000
	check_failed "$label" "$label: exits 1 after SIGTERM"
	check_no_files "$WEB" "$label: the challenge file is removed"
	check_no_files "$OUT" "$label: no file in the --out dir"
}

# The certificate the CA returns is not the one asked for.
case_wrong_cert() {
	local f
	refused wrong-cert wrong-cert 'refus' 'says it refuses the certificate' \
	    --pem "$PKI/wrong-chain.pem"
	refused wrong-cert-key wrong-cert 'refus' \
	    'says it refuses the certificate' --pem "$PKI/wrong-key-chain.pem"
	refused wrong-cert-names wrong-cert-names 'refus' \
	    'says it refuses the certificate'

	# A fake earlier run left privkey.pem and cert.pem: kept byte for byte.
	case_dirs wrong-cert-earlier
	mkdir -p "$OUT" "$T/case-wrong-cert-earlier/before"
	cp "$PKI/earlier.key" "$OUT/privkey.pem"
	cp "$PKI/earlier.pem" "$OUT/cert.pem"
	chmod 600 "$OUT/privkey.pem"
	cp -p "$OUT/privkey.pem" "$OUT/cert.pem" \
	    "$T/case-wrong-cert-earlier/before/"
	use_ca wrong-cert-earlier wrong-cert \
	    --pem "$PKI/wrong-chain.pem" || return
	issue wrong-cert-earlier
	check_failed wrong-cert-earlier "wrong-cert-earlier: exits 1"
	check_stderr wrong-cert-earlier 'refus' \
	    "wrong-cert-earlier: the message says it refuses the certificate"
	for f in privkey.pem cert.pem; do
		check "wrong-cert-earlier: $f unchanged byte for byte" \
		    cmp -s "$OUT/$f" "$T/case-wrong-cert-earlier/before/$f"
	done
	check "wrong-cert-earlier: privkey.pem still mode 600" \
	    test "$(mode_of "$OUT/privkey.pem")" = 600
	check "wrong-cert-earlier: no other file in the --out dir" \
	    test "$(files_in "$OUT")" = "$OUT/cert.pem"$'\n'"$OUT/privkey.pem"
	check_no_files "$WEB" "wrong-cert-earlier: nothing left in the webroot"
}

# A poll is idempotent: one whose answer is lost is asked again, so a
# blip at the CA does not throw away validated authorizations.
case_poll_lost() {
	case_dirs poll-lost-once
	use_ca poll-lost-once poll-lost-once || return
	issue poll-lost-once --timeout "$LOST_TIMEOUT"
	check_exit poll-lost-once 0 \
	    "poll-lost-once: a poll whose answer was lost is asked again"
	check "poll-lost-once: the certificate is written" \
	    test -s "$OUT/fullchain.pem"
	check "poll-lost-once: the order was polled again" \
	    test "$(requests '^POST /order/')" -ge 2
}

# A key change whose answer is lost may have happened: the new key must
# stay for the next run to sort out.  One the CA refused must not.
case_key_change() {
	local label
	for label in keychange-silent keychange-refused; do
		case_dirs "$label"
		use_ca "$label" "$label" || continue
		run "$label-new" account new --agree-tos
		cp -p "$(account_dir "$STATE")/account-key.pem" "$T/$label-old.pem"
		run "$label" --timeout "$LOST_TIMEOUT" account rollover
		check_failed "$label" "$label: account rollover exits 1"
		check "$label: account-key.pem is still the old key" \
		    cmp -s "$(account_dir "$STATE")/account-key.pem" "$T/$label-old.pem"
	done
	check "keychange-silent: the new key is kept as account-key.pem.new" \
	    test -s "$(account_dir "$T/case-keychange-silent/state")/account-key.pem.new"
	check_stderr keychange-silent 'next acmec run' \
	    "keychange-silent: the message says the next run sorts it out"
	check "keychange-refused: no account-key.pem.new is left" \
	    test ! -e "$(account_dir "$T/case-keychange-refused/state")/account-key.pem.new"
}

# A Retry-After beyond the poll budget: give up at once and say why,
# rather than sleep for days under cron.
case_retry_after_huge() {
	refused retry-after-huge retry-after-huge 'Retry-After' \
	    'says the CA asks to wait longer than acmec waits'
	check_stderr retry-after-huge '999999|11 days' \
	    "retry-after-huge: the message gives the time the CA asked for"
}

# ------------------------------------ what CAs other than pebble do

# step-ca answers a failed http-01 check in the challenge POST's own
# answer ("error", status pending or invalid) and leaves the authorization
# and the order pending for ever.  Pending: acmec answers the challenge
# again a few times, backing off (RFC 8555 section 8.2), then gives up
# with the CA's words.  Invalid: it gives up at once.
case_stepca_pending() {
	local label=stepca-pending t0 t1 n
	case_dirs "$label"
	use_ca "$label" stepca-pending || return
	t0=$(date +%s)
	ACMEC_RUN_TIMEOUT=62 issue "$label"
	t1=$(date +%s)
	n=$(requests '^POST /chall/0 ')
	check_failed "$label" "$label: exits 1"
	check "$label: gives up within 60 s ($((t1 - t0)) s)" \
	    test $((t1 - t0)) -le 60
	check "$label: the challenge is answered again, a few times ($n POSTs)" \
	    test "$n" -ge 2 -a "$n" -le 10
	check_stderr "$label" '404' "$label: the message has the CA's detail (404)"
	check_stderr "$label" 'unauthorized' \
	    "$label: the message has the CA's error type (unauthorized)"
	check_clean "$label"
}

case_stepca_invalid() {
	local label=stepca-invalid t0 t1 n
	case_dirs "$label"
	use_ca "$label" stepca-invalid || return
	t0=$(date +%s)
	ACMEC_RUN_TIMEOUT=20 issue "$label"
	t1=$(date +%s)
	n=$(requests '^POST /chall/0 ')
	check_failed "$label" "$label: exits 1"
	check "$label: gives up within $((5 * SLACK)) s ($((t1 - t0)) s)" \
	    test $((t1 - t0)) -le $((5 * SLACK))
	check "$label: the challenge is answered once ($n POSTs)" test "$n" = 1
	check_stderr "$label" '404' "$label: the message has the CA's detail (404)"
	check_stderr "$label" 'unauthorized' \
	    "$label: the message has the CA's error type (unauthorized)"
	check_clean "$label"
}

# account_gone LABEL SCENARIO: the state dir knows the account, the CA
# answers every request of it (and every lookup) with an error.  One
# onlyReturnExisting lookup tells a forgotten account from a refused one;
# then acmec gives up, hinting that the account may be deactivated, and
# creates no new account behind the user's back.
account_gone() {
	local label=$1 sc=$2 lookups creates n
	case_dirs "$label"
	use_ca "$label" "$sc" || return
	run "$label-new" account new --agree-tos
	check_exit "$label-new" 0 "$label: account new exits 0 (before the CA turns)"
	lookups=$(requests '^POST /new-acct \[onlyReturnExisting\] ')
	creates=$(requests '^POST /new-acct -> ')
	issue "$label"
	n=$(($(requests '^POST /new-acct \[onlyReturnExisting\] ') - lookups))
	check_failed "$label" "$label: exits 1"
	check "$label: one onlyReturnExisting lookup before giving up ($n)" \
	    test "$n" = 1
	check "$label: no new account is created" \
	    test "$(requests '^POST /new-acct -> ')" = "$creates"
	check_stderr "$label" 'deactivated' \
	    "$label: the message says the account may be deactivated"
	check_clean "$label"
}

# keyChange answered 501 (step-ca has none): say so; the old key stays.
case_keychange_501() {
	local label=keychange-501
	case_dirs "$label"
	use_ca "$label" keychange-501 || return
	run "$label-new" account new --agree-tos
	cp -p "$(account_dir "$STATE")/account-key.pem" "$T/$label-old.pem"
	run "$label" account rollover
	check_failed "$label" "$label: account rollover exits 1"
	# Not just "rollover": the command's name prefixes every message.
	check_stderr_nourl "$label" '[Kk]ey (rollover|change)' \
	    "$label: the message is about account key rollover"
	check_stderr_nourl "$label" 'implement' \
	    "$label: the message says the CA does not implement it"
	check "$label: account-key.pem is still the old key" \
	    cmp -s "$(account_dir "$STATE")/account-key.pem" "$T/$label-old.pem"
	check "$label: no account-key.pem.new is left" \
	    test ! -e "$(account_dir "$STATE")/account-key.pem.new"
	run "$label-show" account show
	check_exit "$label-show" 0 \
	    "$label: the account still works (account show exits 0)"
}

# The CA answers an update with other contacts than asked (step-ca keeps
# them, and does not clear them on an empty list): done, with a warning.
case_contacts_kept() {
	local label=contacts-kept
	case_dirs "$label"
	use_ca "$label" contacts-kept || return
	run "$label-new" account new --agree-tos \
	    --contact mailto:old@example.com
	run "$label" account update --contact mailto:new@example.com
	check_exit "$label" 0 "$label: account update exits 0"
	check_stderr "$label" '[Cc]ontacts' \
	    "$label: a warning says the CA's contacts differ from those asked"
	run "$label-clear" account update
	check_exit "$label-clear" 0 \
	    "$label-clear: account update without contacts exits 0"
	check_stderr "$label-clear" '[Cc]ontacts' \
	    "$label-clear: a warning says the CA kept contacts"
}

# A poll answered 503 (Retry-After: 1), then cut off mid-answer, is asked
# again: neither outcome is an answer about the authorization.
case_poll_busy_cut() {
	local label=poll-busy-cut
	case_dirs "$label"
	use_ca "$label" poll-busy-cut || return
	issue "$label" --timeout "$LOST_TIMEOUT"
	check "$label: the fake answered one poll 503 and cut one off" \
	    test "$(requests ' -> 503$')" = 1 -a "$(requests ' -> cut$')" = 1
	check_exit "$label" 0 \
	    "$label: the poll is asked again after a 503 and a cut answer"
	check "$label: the certificate is written" test -s "$OUT/fullchain.pem"
	check_no_files "$WEB" "$label: the challenge file is removed"
}

# Replica lag (ACME-2026.md): a status that goes back after an accepted
# finalize is waited out, never finalized again; orderNotReady changed
# nothing: poll until ready, then finalize (again).
# lagging LABEL FINALIZES DESCRIPTION: the issue succeeds with FINALIZES
# finalize requests.
lagging() {
	local label=$1 want=$2 n
	case_dirs "$label"
	use_ca "$label" "$label" || return
	issue "$label" --timeout "$LOST_TIMEOUT"
	n=$(requests '^POST /finalize/')
	check_exit "$label" 0 "$label: exits 0: $3"
	check "$label: the certificate is written" test -s "$OUT/fullchain.pem"
	check "$label: $want finalize request(s) ($n)" test "$n" = "$want"
	check "$label: no order record is left" \
	    test -z "$(ls -A "$STATE/orders" 2>/dev/null)"
}

# Over HTTP/1.1 (the fake speaks nothing else) the requests of parallel
# orders take turns on the one connection: the time a request waits for
# its turn is no part of its --timeout.  Four orders, each answered after
# 0.7 s, with --timeout 2: the last waits 2.1 s before it is sent (under
# valgrind, with a longer timeout, only the answers are checked).
case_queued_timeout() {
	local label=slow-orders conf i
	case_dirs "$label"
	use_ca "$label" slow-orders || return
	conf=$T/case-$label/acmec.conf
	printf '[acmec]\nagree-tos = yes\nparallel = 4\n' >"$conf"
	for i in 1 2 3 4; do
		printf '\n[s%d]\nnames = s%d.example.com\nwebroot = %s\n' \
		    "$i" "$i" "$WEB" >>"$conf"
	done
	run "$label" --timeout "$LOST_TIMEOUT" renew -c "$conf"
	check_failed "$label" "$label: renew exits 1 (every order refused)"
	check "$label: four orders reached the CA" \
	    test "$(requests '^POST /new-order -> 400')" = 4
	check_stderr "$label" 's4.*slowly refused' \
	    "$label: the last order has the CA's answer"
	if grep -q 'timed out' "$T/$label.err"; then
		not_ok "$label: no request timed out while it waited its turn"
		show_run "$label"
	else
		ok "$label: no request timed out while it waited its turn"
	fi
}

# ------------------------------------------------------------------ ARI
# RFC 9773 against the fake CA's renewalInfo: the renew command asks for
# the window of the certificate in place, renews inside it with
# "replaces", keeps the CA's Retry-After, says when the window moved.

# ari_setup LABEL SCENARIO [LINE]: a case with a config of one
# certificate (LINE added to its section), and a first renew run that
# issues it (there is none yet).
ari_setup() {
	case_dirs "$1"
	use_ca "$1" "$2" || return 1
	CONF=$T/case-$1/acmec.conf
	printf '[acmec]\nagree-tos = yes\n\n[site]\nnames = %s\nwebroot = %s\n%s\n' \
	    "$NAME" "$WEB" "${3:-}" >"$CONF"
	run "$1-first" renew -c "$CONF"
	check_exit "$1-first" 0 "$1: the first renew issues (exit 0)"
	FIRST_SUM=$(sha256sum <"$STATE/live/site/cert.pem")
}
ari_gets() { requests '^GET /renewal-info/'; }
ari_orders() { requests '^POST /new-order'; }
ari_replaced() { requests '^POST /new-order \[replaces=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\]'; }
cert_changed() {
	test "$(sha256sum <"$STATE/live/site/cert.pem")" != "$FIRST_SUM"
}

case_ari_past() {
	ari_setup ari-past ari-past || return
	check "ari-past: the first order had no replaces (no certificate)" \
	    test "$(ari_replaced)" = 0
	run ari-past-second renew -c "$CONF"
	check_exit ari-past-second 0 "ari-past: the second renew exits 0"
	check "ari-past: it asked for the window ($(ari_gets))" \
	    test "$(ari_gets)" = 1
	check "ari-past: it renewed, naming the certificate it replaces" \
	    test "$(ari_replaced)" = 1 -a "$(ari_orders)" = 2
	check "ari-past: the new certificate is in place" cert_changed
}

case_ari_future() {
	ari_setup ari-future ari-future || return
	run ari-future-second renew -c "$CONF"
	check_exit ari-future-second 0 "ari-future: the second renew exits 0"
	check "ari-future: it asked for the window once" test "$(ari_gets)" = 1
	check "ari-future: no order" test "$(ari_orders)" = 1
	run ari-future-third renew -c "$CONF"
	check "ari-future: a third run keeps Retry-After (no new question)" \
	    test "$(ari_gets)" = 1 -a "$(ari_orders)" = 1
	run ari-future-status status -c "$CONF" --json
	check "ari-future: status --json shows the window and the chosen time" \
	    python3 -c 'import json, sys, time
d = json.load(open(sys.argv[1]))[0]["ari"]
s = time.strptime(d["window_start"], "%Y-%m-%dT%H:%M:%SZ")
c = time.strptime(d["chosen"], "%Y-%m-%dT%H:%M:%SZ")
e = time.strptime(d["window_end"], "%Y-%m-%dT%H:%M:%SZ")
assert s <= c < e, d' "$T/ari-future-status.out"
}

case_ari_moved() {
	ari_setup ari-moved ari-moved || return
	run ari-moved-second renew -c "$CONF"
	check "ari-moved: first window in the future: no order" \
	    test "$(ari_orders)" = 1
	# acmec waits at least a minute whatever Retry-After says (RFC 9773
	# section 4.3): let the record say that minute has passed.
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1])); r["ari"]["next_check"] = 1
json.dump(r, open(sys.argv[1], "w"))' "$STATE/renewal/site.json"
	run ari-moved-third renew -c "$CONF"
	check_exit ari-moved-third 0 "ari-moved: the third renew exits 0"
	check "ari-moved: asked again after Retry-After" test "$(ari_gets)" = 2
	check_stderr ari-moved-third 'moved the renewal window earlier' \
	    "ari-moved: it says the window moved earlier"
	check_stderr ari-moved-third 'https://ca.example/incident/2026-11' \
	    "ari-moved: it shows the explanationURL"
	check "ari-moved: it renewed with replaces" test "$(ari_replaced)" = 1
}

# A window that starts after the certificate expires must not make acmec
# renew later than the lifetime rule: here a renew-before that leaves a
# 2-day certificate due after 2 seconds.
case_ari_after_expiry() {
	ari_setup ari-after-expiry ari-after-expiry 'renew-before = 0.99999' ||
	    return
	sleep 2
	run ari-after-expiry-second renew -c "$CONF"
	check_exit ari-after-expiry-second 0 \
	    "ari-after-expiry: the second renew exits 0"
	check "ari-after-expiry: it asked for the window" test "$(ari_gets)" = 1
	check "ari-after-expiry: it renewed by the lifetime rule" \
	    test "$(ari_orders)" = 2
	check "ari-after-expiry: the new certificate is in place" cert_changed
}

# A record written while the wall clock was a year ahead: the backoff and
# the ARI recheck it holds last no longer than their longest from now.
case_clock_ahead() {
	local year
	ari_setup clock-ahead ari-future || return
	run clock-ahead-second renew -c "$CONF"	# keeps the window
	year=$(($(date +%s) + 365 * 86400))
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
y = int(sys.argv[2])
r.update(failures=2, last_ok=False, last_error="x", last_attempt=y,
         next_attempt=y)
r["ari"]["next_check"] = y
json.dump(r, open(sys.argv[1], "w"))' "$STATE/renewal/site.json" "$year"
	run clock-ahead-status status -c "$CONF" --json
	check "clock-ahead: the next attempt is at most 10 minutes away" \
	    python3 -c 'import json, sys, time, calendar
d = json.load(open(sys.argv[1]))[0]
t = lambda s: calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
assert t(d["next_attempt"]) <= time.time() + 600 + 5, d
assert t(d["ari"]["next_check"]) <= time.time() + 86400 + 5, d' \
	    "$T/clock-ahead-status.out"
}

case_ari_replaces_refused() {
	ari_setup ari-refused ari-replaces-refused || return
	run ari-refused-second renew -c "$CONF"
	check_exit ari-refused-second 0 \
	    "ari-replaces-refused: the renewal succeeds without replaces"
	check "ari-replaces-refused: once with replaces, then once without" \
	    test "$(ari_replaced)" = 1 -a "$(ari_orders)" = 3
	check "ari-replaces-refused: the new certificate is in place" cert_changed
}

# Profiles: one the CA does not offer is refused before any order, with
# the list; one it offers goes into newOrder.
case_profiles() {
	case_dirs profiles-unknown
	use_ca profiles-unknown profiles || return
	run profiles-unknown issue -d "$NAME" -w "$WEB" --agree-tos \
	    --out "$OUT" --profile shortlived
	check_failed profiles-unknown "profiles: an unknown profile exits 1"
	check_stderr profiles-unknown 'profile shortlived.*offered: classic, tlsserver' \
	    "profiles: the message lists the profiles offered"
	check "profiles: no order for an unknown profile" \
	    test "$(requests '^POST /new-order')" = 0
	case_dirs profiles-known
	use_ca profiles-known profiles || return
	run profiles-known issue -d "$NAME" -w "$WEB" --agree-tos \
	    --out "$OUT" --profile tlsserver
	check_exit profiles-known 0 "profiles: an offered profile exits 0"
	check "profiles: newOrder asked for it" \
	    test "$(requests '^POST /new-order \[profile=tlsserver\]')" = 1
}

# A CA without renewalInfo never gets "replaces".
case_ari_none() {
	ari_setup ari-none honest || return
	run ari-none-second renew -c "$CONF" --force
	check_exit ari-none-second 0 "ari-none: renew --force exits 0"
	check "ari-none: no replaces sent to a CA without renewalInfo" \
	    test "$(ari_replaced)" = 0 -a "$(ari_orders)" = 2
}

# ---------------------------------------------------------------- main

if ! make_pki; then
	not_ok "openssl makes the test certificates"
	diag <"$T/pki.log"
	summary
	exit 1
fi
if ! start_server; then
	summary
	exit 1
fi

job case_honest
job case_http_urls
job huge huge-body huge-body
job huge endless-body endless-body
job --early hang silent silent
job --early hang silent-http silent-http
job --early hang slow-drip slow-drip
job --early case_interrupted
job case_bad_tokens
job case_escapes
job case_malformed
job case_redirect
job case_badnonce_loop
job --early case_busy_loop
job case_busy_long
job --early pending forever-pending forever-pending 2
job case_retry_after_huge
# Each answer takes 1.2 s: the first poll ends in another second than it
# began, which must not turn the clamped wait into giving up at once.
job --early pending forever-pending-slow forever-pending-slow 4
job case_wrong_cert
job --early case_poll_lost
job --early case_key_change
job --early case_stepca_pending
job --early case_stepca_invalid
job account_gone account-gone-500 account-gone-500
job account_gone account-gone-403 account-gone-403
job case_keychange_501
job case_contacts_kept
job --early case_poll_busy_cut
job lagging replica-lag 1 "an order ready, then pending after finalize is waited for"
job lagging not-ready-once 2 "orderNotReady is followed by polls until ready"
job lagging finalize-cut-lag 2 "orderNotReady after a lost finalize is not yet"
job case_ari_past
job case_ari_future
job case_ari_moved
job case_ari_replaces_refused
job case_ari_after_expiry
job case_queued_timeout
job case_clock_ahead
job case_ari_none
job case_profiles
run_jobs

summary
