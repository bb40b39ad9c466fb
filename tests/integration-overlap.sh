#!/bin/bash
# integration-overlap.sh - acmec renew at scale and overlapping itself,
# against a real pebble and nginx: many sections under a low descriptor
# limit, two runs at once while the CA is slow, one output directory
# reached by several paths.
set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

. "$srcdir/tests/lib/testca.sh"
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
resolve_client

testca_start || { echo "could not start the test CA"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it-overlap.XXXXXX") || exit 1
testca_atexit 'rm -rf "$T"'
STATE=$T/state

new_orders() {
	grep -c -- 'Added order ".*" to the db' "$PEBBLE_LOG"
}

# conf_head FILE: the [acmec] section of a config for this CA.
conf_head() {
	cat >"$1" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
agree-tos = yes
contact = mailto:admin@example.com
EOF
}

# add_section FILE SECTION [out]: a section for a fresh name.
add_section() {
	local name
	fresh name
	printf '\n[%s]\nnames = %s\nwebroot = %s\n' "$2" "$name" "$WEBROOT" >>"$1"
	[ -n "${3:-}" ] && printf 'out = %s\n' "$3" >>"$1"
	return 0
}

renew() {
	local label=$1
	shift
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" "$@" >"$T/$label.out" \
	    2>"$T/$label.err"
	rc=$?
}

# renew_limited LABEL N ARGS...: renew with at most N open files.
renew_limited() {
	local label=$1 limit=$2
	shift 2
	timeout "$ACMEC_RUN_TIMEOUT" bash -c 'ulimit -n "$0" && exec "$@"' \
	    "$limit" "$ACMEC" "$@" >"$T/$label.out" 2>"$T/$label.err"
	rc=$?
}

# 1. 80 sections under a limit of 64 open files: every one issued, none
# fails with "Too many open files" (each order holds its lock and sink
# only while it is under way).
conf_head "$T/many.conf"
for i in $(seq 1 80); do add_section "$T/many.conf" "s$i"; done
before=$(new_orders)
renew_limited many 64 renew -c "$T/many.conf"
check_exit many 0 "80 sections, ulimit -n 64: exit 0"
check "80 sections, ulimit -n 64: no descriptor ran out" \
    test -z "$(grep -i 'too many open files' "$T/many.out" "$T/many.err")"
issued=$(ls "$STATE"/live/s*/fullchain.pem 2>/dev/null | wc -l)
check "80 sections, ulimit -n 64: 80 issued ($issued)" test "$issued" = 80
check "80 sections, ulimit -n 64: 80 orders ($(($(new_orders) - before)))" \
    test "$(($(new_orders) - before))" = 80

summary
