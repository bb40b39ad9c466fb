#!/bin/bash
#
# bench-renew.sh - one "acmec renew" of many certificates against as many
# "acmec issue" runs one after another, and against uacme, against the
# local test CA with a fixed validation delay.  Not a test: it prints
# numbers, never fails on them.
#
#   make bench-renew    (or: ACMEC=./acmec bash tests/bench-renew.sh)
#
# BENCH_CERTS certificates of one fresh name each (default 50), pebble
# validating each in up to PEBBLE_VA_SLEEPTIME seconds (default 5).  The
# goal: the renew run takes no longer than the slowest validation plus half
# of it, and makes no more requests per certificate than one issuance.
#
# Measured, for each way of getting the certificates: wall time, requests
# (pebble's log counts every request it handles, and nobody else uses this
# pebble) and the peak RSS of the largest single process (GNU time,
# /usr/bin/time, if installed): of acmec's main, network and key processes,
# or of a uacme and its hook runs, whichever grew most; not their sum
# (tests/bench.sh measures that for one issuance).  The ways:
#
#   acmec renew, parallel = BENCH_CERTS     one run, every order at once
#   acmec renew, parallel = BENCH_PARALLEL  one run, acmec's default (8)
#   acmec issue, BENCH_CERTS runs one after another
#   uacme issue, BENCH_CERTS runs one after another (a renewal loop in cron)
#   uacme issue, BENCH_CERTS runs, BENCH_PARALLEL at a time (xargs -P)
#
# Then one renew of BENCH_SCALE sections (default 1000; 0 leaves it out),
# parallel = 64, under the usual limit of 1024 open files: once with all
# due (no certificates yet), once with nothing due.
#
# uacme: UACME=/path/to/uacme, else uacme from PATH if there is one
# (Debian: apt-get install uacme); UACME= (empty) leaves it out.  uacme
# issues one certificate per run and has no option for a CA file.  From
# 1.7.6 on it reads UACME_CAINFO; older ones (Debian 12 has 1.7.4) use
# libcurl's built-in bundle, so as root the script runs itself in a mount
# namespace of its own where that bundle is the test CA's root (nothing
# outside this script sees it).  TLS is verified either way.  The uacme
# runs share one account (created before, not measured) and one config
# dir: uacme keeps its state per name and locks nothing, so runs for
# different names may overlap.

set -eu

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
BENCH_CERTS=${BENCH_CERTS:-50}
BENCH_PARALLEL=${BENCH_PARALLEL:-8}
BENCH_SCALE=${BENCH_SCALE:-1000}
UACME=${UACME-$(command -v uacme || true)}
export PEBBLE_VA_SLEEPTIME=${PEBBLE_VA_SLEEPTIME:-5}
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
unset PEBBLE_VA_NOSLEEP
# The system bundle that libcurl reads when told no CA file (Debian's).
SYSTEM_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

# ------------------------------------------------------------------ uacme

uacme_version() {
	"$UACME" -V 2>&1 | sed -n 's/^uacme: version \([^ ]*\).*/\1/p' | head -n 1
}

# How uacme will come to trust the test CA: "cainfo" (UACME_CAINFO, uacme
# 1.7.6 and later), "namespace" (root: bind the test root over the system
# bundle in a private mount namespace) or "" (it cannot: leave uacme out).
uacme_trust_method() {
	local v
	v=$(uacme_version)
	if [ -n "$v" ] &&
	    [ "$(printf '%s\n' 1.7.6 "$v" | sort -V | head -n 1)" = 1.7.6 ]; then
		echo cainfo
	elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
	    [ -f "$SYSTEM_CA_BUNDLE" ]; then
		echo namespace
	fi
}

uacme_trust=
if [ -n "$UACME" ]; then
	if ! [ -x "$UACME" ]; then
		echo "bench-renew.sh: UACME=$UACME is not an executable" >&2
		exit 1
	fi
	uacme_trust=$(uacme_trust_method)
	if [ -z "$uacme_trust" ]; then
		echo "bench-renew.sh: uacme $(uacme_version) has no way to trust" \
		    "the test CA (UACME_CAINFO needs 1.7.6; older ones need" \
		    "root, for a private mount namespace): left out" >&2
		UACME=
	fi
fi
# Before anything starts: run this whole script again in a mount namespace
# of its own (unshare makes its mounts private), where the bind mount made
# after the CA starts (trust_test_ca) is seen by nobody else.
if [ "$uacme_trust" = namespace ] && [ -z "${BENCH_RENEW_IN_NS:-}" ]; then
	export BENCH_RENEW_IN_NS=1
	exec unshare --mount --propagation private bash "$0" "$@"
fi

# ----------------------------------------------------------------- set up

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
testca_available || { echo "bench-renew.sh: pebble/nginx missing" >&2; exit 1; }
testca_start >/dev/null

work=$(mktemp -d)
# shellcheck disable=SC2016
testca_atexit 'rm -rf "$work"'
mkdir "$work/rss"
requests() { grep -c -- '-> calling handler()' "$PEBBLE_LOG"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# GNU time writes the peak RSS of the command (KiB) with -f %M, the largest
# of the command and each child it waited for (the rusage of wait4); a
# command that fails gets a line of its own before the number.
TIME=/usr/bin/time
[ -x "$TIME" ] || TIME=

# timed TAG CMD...: run CMD, keeping its peak RSS in $work/rss/TAG.
timed() {
	local tag=$1
	shift
	if [ -n "$TIME" ]; then
		"$TIME" -f %M -o "$work/rss/$tag" "$@"
	else
		"$@"
	fi
}

# peak_rss PREFIX: the largest peak RSS of the runs tagged PREFIX*, in MiB.
peak_rss() {
	local kib
	[ -n "$TIME" ] || { echo '-'; return; }
	kib=$(cat "$work/rss/$1"* 2>/dev/null | grep -E '^[0-9]+$' |
	    sort -n | tail -n 1)
	[ -n "$kib" ] || { echo '-'; return; }
	printf '%d.%d MiB\n' $((kib / 1024)) $((kib % 1024 * 10 / 1024))
}

# Results, one line each: label|wall ms|requests|peak RSS|remark (the
# remark last, so that a caller can append one).
results=()
# measure LABEL RSS_PREFIX CMD...: run CMD and keep its numbers.
measure() {
	local label=$1 rss=$2 before start ms req
	shift 2
	before=$(requests)
	start=$(now_ms)
	"$@"
	ms=$(($(now_ms) - start))
	req=$(($(requests) - before))
	results+=("$label|$ms|$req|$(peak_rss "$rss")|")
}

# renew_conf FILE PARALLEL PREFIX [N]: a renew config of N (BENCH_CERTS)
# fresh names, in sections of their own (a section is a live directory in
# the state dir).
renew_conf() {
	local i n=${4:-$BENCH_CERTS}
	cat >"$1" <<-CONF
	[acmec]
	directory = $ACME_DIRECTORY
	ca-bundle = $ACME_CA_BUNDLE
	state-dir = $work/state
	agree-tos = yes
	parallel = $2
	CONF
	for i in $(seq 1 "$n"); do
		printf '[%s%s]\nnames = %s%s-%s.example.com\nwebroot = %s\n' \
		    "$3" "$i" "$3" "$RANDOM" "$i" "$WEBROOT" >>"$1"
	done
}

# ------------------------------------------------------------------ acmec

issue_all() {
	local i
	for i in $(seq 1 "$BENCH_CERTS"); do
		timed "issue.$i" "$ACMEC" --directory "$ACME_DIRECTORY" \
		    --ca-bundle "$ACME_CA_BUNDLE" --state-dir "$work/state" \
		    -q issue -d "i$RANDOM-$i.example.com" -w "$WEBROOT" \
		    --out "$work/issue$i"
	done
}

# The account exists before any measurement.
"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
    --state-dir "$work/state" -q account new --agree-tos
renew_conf "$work/all.conf" "$BENCH_CERTS" r
renew_conf "$work/default.conf" "$BENCH_PARALLEL" d

measure "acmec renew, parallel = $BENCH_CERTS" renew.all \
    timed renew.all "$ACMEC" -q renew -c "$work/all.conf"
measure "acmec renew, parallel = $BENCH_PARALLEL" renew.default \
    timed renew.default "$ACMEC" -q renew -c "$work/default.conf"
measure "acmec issue x$BENCH_CERTS, one after another" issue. issue_all

# The scale rows: their per-certificate column divides by BENCH_SCALE.
# renew_limited TAG: renew scale.conf with at most 1024 open files.
renew_limited() {
	timed "$1" bash -c 'ulimit -n 1024 && exec "$@"' sh "$ACMEC" -q renew \
	    -c "$work/scale.conf"
}
scale_note() {
	local n
	n=$(ls "$work"/state/live/s*/fullchain.pem 2>/dev/null | wc -l)
	echo "per cert of $BENCH_SCALE; $n issued"
}
if [ "$BENCH_SCALE" -gt 0 ]; then
	renew_conf "$work/scale.conf" 64 s "$BENCH_SCALE"
	measure "acmec renew x$BENCH_SCALE, all due, ulimit -n 1024" \
	    scale.due renew_limited scale.due
	results[-1]+="$(scale_note)|$BENCH_SCALE"
	measure "acmec renew x$BENCH_SCALE, none due, ulimit -n 1024" \
	    scale.none renew_limited scale.none
	results[-1]+="$(scale_note)|$BENCH_SCALE"
fi

# ------------------------------------------------------------------ uacme

# trust_test_ca: make uacme trust the test CA's root, and only it.
trust_test_ca() {
	export UACME_CAINFO=$ACME_CA_BUNDLE
	if [ "$uacme_trust" = namespace ]; then
		mount --bind "$ACME_CA_BUNDLE" "$SYSTEM_CA_BUNDLE"
	fi
}

# write_uacme_scripts: the http-01 hook and the one-issuance script that
# both the loop and xargs run (xargs cannot call a shell function).
write_uacme_scripts() {
	local challenges=$WEBROOT/.well-known/acme-challenge
	mkdir -p "$challenges"
	chmod 755 "$WEBROOT/.well-known" "$challenges"

	# uacme runs the hook as: METHOD (begin, done, failed) TYPE IDENT
	# TOKEN AUTH, for each challenge type the CA offers until one hook
	# run exits 0; exit 1 declines a type.  uacme has checked that TOKEN
	# is base64url.  nginx's workers (nobody) must read the file.
	cat >"$work/uacme-hook" <<-HOOK
	#!/bin/sh
	[ "\$2" = http-01 ] || exit 1
	case \$1 in
	begin) umask 022; printf '%s' "\$5" >$(printf '%q' "$challenges")/"\$4" ;;
	done|failed) rm -f $(printf '%q' "$challenges")/"\$4" ;;
	*) exit 1 ;;
	esac
	HOOK

	# uacme-one TAG NAME: one uacme issuance of NAME, peak RSS kept
	# under TAG.NAME.  uacme's messages go to its log.
	# shellcheck disable=SC2016 # "$1" and "$2" are the script's own
	{
		echo '#!/bin/sh'
		if [ -n "$TIME" ]; then
			printf 'exec %q -f %%M -o %q/rss/"$1.$2" ' "$TIME" "$work"
		else
			printf 'exec '
		fi
		printf '%q -a %q -c %q -t EC -b 256 -h %q issue "$2" >>%q 2>&1\n' \
		    "$UACME" "$ACME_DIRECTORY" "$work/uacme" \
		    "$work/uacme-hook" "$work/uacme.log"
	} >"$work/uacme-one"
	chmod 755 "$work/uacme-hook" "$work/uacme-one"
}

# uacme_names PREFIX: BENCH_CERTS fresh names, one a line.
uacme_names() {
	local i
	for i in $(seq 1 "$BENCH_CERTS"); do
		echo "$1$RANDOM-$i.example.com"
	done
}

# uacme_issued PREFIX: how many of the names certificates were written for.
uacme_issued() {
	local f n=0
	for f in "$work/uacme/$1"*/cert.pem; do
		[ -s "$f" ] && n=$((n + 1))
	done
	echo "$n"
}

# Failures are counted from the certificates written, not from exit codes.
uacme_loop() {
	local name
	for name in $(uacme_names us); do
		"$work/uacme-one" uacme-seq "$name" || true
	done
}
uacme_xargs() {
	uacme_names up | xargs -P "$BENCH_PARALLEL" -n 1 "$work/uacme-one" \
	    uacme-par || true
}

# issued_note PREFIX: the remark of a uacme row that lost certificates.
issued_note() {
	local n
	n=$(uacme_issued "$1")
	[ "$n" = "$BENCH_CERTS" ] || echo "only $n of $BENCH_CERTS issued"
}

if [ -n "$UACME" ]; then
	uacme_label="uacme $(uacme_version)"
	trust_test_ca
	write_uacme_scripts
	if ! "$UACME" -a "$ACME_DIRECTORY" -c "$work/uacme" -y new \
	    >>"$work/uacme.log" 2>&1; then
		echo "bench-renew.sh: uacme could not create its account:" >&2
		tail -n 5 "$work/uacme.log" >&2
		UACME=
	fi
fi
if [ -n "$UACME" ]; then
	measure "$uacme_label issue x$BENCH_CERTS, one after another" \
	    uacme-seq. uacme_loop
	results[-1]+=$(issued_note us)
	measure "$uacme_label issue x$BENCH_CERTS, xargs -P$BENCH_PARALLEL" \
	    uacme-par. uacme_xargs
	results[-1]+=$(issued_note up)
	if [ "$(uacme_issued u)" != $((2 * BENCH_CERTS)) ]; then
		echo "uacme failed; the end of its log:"
		tail -n 5 "$work/uacme.log"
	fi
fi

# ----------------------------------------------------------------- report

echo "certificates:      $BENCH_CERTS (one name each, ec-256)"
echo "validation delay:  up to ${PEBBLE_VA_SLEEPTIME} s (PEBBLE_VA_SLEEPTIME)"
if [ -n "$UACME" ]; then
	how='a bind mount in a private mount namespace'
	[ "$uacme_trust" = cainfo ] && how=UACME_CAINFO
	echo "uacme:             $UACME, trusting the test CA by $how"
fi
printf '%-46s %9s %9s %8s %10s  %s\n' '' 'wall' 'requests' 'per cert' \
    'peak RSS' ''
for row in "${results[@]}"; do
	IFS='|' read -r label ms req rss note count <<<"$row"
	per10=$((req * 10 / ${count:-$BENCH_CERTS}))
	printf '%-46s %7d.%d s %9d %6d.%d %10s  %s\n' "$label" $((ms / 1000)) \
	    $((ms % 1000 / 100)) "$req" $((per10 / 10)) $((per10 % 10)) \
	    "$rss" "$note"
done
