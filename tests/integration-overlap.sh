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
T=$(cd "$T" && pwd -P)	# the locks are named after resolved paths
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

# lock_of STATE OUT: the lock acmec takes for output directory OUT.
lock_of() {
	local slug
	slug=$(printf %s "$2" | tr -c 'A-Za-z0-9.-' '_' | cut -c1-64)
	printf '%s/locks/%s-%s.lock\n' "$1" "$slug" \
	    "$(printf %s "$2" | sha256sum | cut -c1-8)"
}

# held_by_another LOCK...: true if every LOCK is held.
held_by_another() {
	local l
	for l in "$@"; do
		[ -e "$l" ] && ! flock -n "$l" true || return 1
	done
}

# In the background while the rest runs: two certificates whose locks
# another run holds for longer than the wait.  acmec waits for both at
# once, up to 60 seconds (not 60 for each in turn), and leaves them to the
# other run: no failure, no backoff, exit 0.  (The other run holds them
# for 70 seconds: one after the other, the second wait would end then.)
HSTATE=$T/held-state
conf_head "$T/held.conf"
sed -i "s|^state-dir = .*|state-dir = $HSTATE|" "$T/held.conf"
add_section "$T/held.conf" h1
add_section "$T/held.conf" h2
mkdir -p -m 700 "$HSTATE" "$HSTATE/locks"
holders=()
for s in h1 h2; do
	flock "$(lock_of "$HSTATE" "$HSTATE/live/$s")" sleep 70 \
	    </dev/null >/dev/null 2>&1 &
	holders+=("$!")
done
testca_atexit 'kill "${holders[@]}" 2>/dev/null'
sleep 0.5
held_start=$SECONDS
(renew held renew -c "$T/held.conf"; exit "$rc") &
held_pid=$!

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

# 2. Two runs at once, the CA slow (the web server frozen, so that its
# validation hangs): the second waits for the first's locks, all at once,
# then finds the certificates renewed: one order each, no failure, and the
# records the first run wrote are kept.
conf_head "$T/two.conf"
locks=()
for s in f1 f2 f3; do
	add_section "$T/two.conf" "$s"
	locks+=("$(lock_of "$STATE" "$STATE/live/$s")")
done
before=$(new_orders)
testca_web_freeze
(renew two1 renew -c "$T/two.conf"; exit "$rc") &
p1=$!
for i in $(seq 1 100); do
	held_by_another "${locks[@]}" && break
	sleep 0.1
done
(renew two2 renew -c "$T/two.conf"; exit "$rc") &
p2=$!
# Thaw only once the second run waits, however slowly it started.
for i in $(seq 1 100); do
	cat "$T/two2.out" "$T/two2.err" 2>/dev/null | grep -q 'waiting for' && break
	sleep 0.2
done
testca_web_thaw
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
rc=$rc1; check_exit two1 0 "two runs at once: the first exits 0"
rc=$rc2; check_exit two2 0 "two runs at once: the second exits 0"
check "two runs at once: one order each ($(($(new_orders) - before)))" \
    test "$(($(new_orders) - before))" = 3
check_says two2 "waiting for .*f1.*another acmec run" \
    "two runs at once: the second says it waits"
for s in f1 f2 f3; do
	check "two runs at once: $s's record is the first run's success" \
	    grep -q '"last_success": [1-9]' "$STATE/renewal/$s.json"
done

wait "$held_pid"; rc=$?
held_time=$((SECONDS - held_start))
check_exit held 0 "locks held by another run: exit 0"
check "locks held by another run: both waited at once ($held_time s)" \
    test "$held_time" -lt 66
check_says held "h1: another acmec run held .* left to that run" \
    "locks held by another run: h1 is left to it"
check "locks held by another run: no failure recorded" \
    test -z "$(grep -l '"failures": [1-9]' "$HSTATE"/renewal/*.json 2>/dev/null)"

summary
