#!/bin/bash
#
# bench-renew.sh - one "acmec renew" of many certificates against as many
# "acmec issue" runs one after another, against the local test CA with a
# fixed validation delay.  Not a test: it prints numbers, never fails on
# them.
#
#   make bench-renew    (or: ACMEC=./acmec bash tests/bench-renew.sh)
#
# BENCH_CERTS certificates of one fresh name each (default 50), pebble
# validating each in PEBBLE_VA_SLEEPTIME seconds (default 5).  The goal:
# the renew run takes no longer than the slowest validation plus half of
# it, and makes no more requests per certificate than one issuance.

set -eu

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
BENCH_CERTS=${BENCH_CERTS:-50}
export PEBBLE_VA_SLEEPTIME=${PEBBLE_VA_SLEEPTIME:-5}
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
unset PEBBLE_VA_NOSLEEP

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
testca_available || { echo "bench-renew.sh: pebble/nginx missing" >&2; exit 1; }
testca_start >/dev/null

work=$(mktemp -d)
# shellcheck disable=SC2016
testca_atexit 'rm -rf "$work"'
requests() { grep -c -- '-> calling handler()' "$PEBBLE_LOG"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

cat >"$work/acmec.conf" <<CONF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $work/state
agree-tos = yes
parallel = $BENCH_CERTS
CONF
for i in $(seq 1 "$BENCH_CERTS"); do
	printf '[c%s]\nnames = r%s-%s.example.com\nwebroot = %s\n' "$i" \
	    "$RANDOM" "$i" "$WEBROOT" >>"$work/acmec.conf"
done
# The account exists before either measurement.
"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
    --state-dir "$work/state" -q account new --agree-tos

before=$(requests)
start=$(now_ms)
"$ACMEC" -q renew -c "$work/acmec.conf"
renew_ms=$(($(now_ms) - start))
renew_req=$(($(requests) - before))

before=$(requests)
start=$(now_ms)
for i in $(seq 1 "$BENCH_CERTS"); do
	"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$work/state" -q issue -d "i$RANDOM-$i.example.com" \
	    -w "$WEBROOT" --out "$work/issue$i"
done
issue_ms=$(($(now_ms) - start))
issue_req=$(($(requests) - before))

echo "certificates:              $BENCH_CERTS (one name each, ec-256)"
echo "validation delay:          ${PEBBLE_VA_SLEEPTIME} s (PEBBLE_VA_SLEEPTIME)"
echo "one renew run:             $renew_ms ms, $renew_req requests" \
    "($((renew_req / BENCH_CERTS)) per certificate)"
echo "$BENCH_CERTS issue runs in a row:     $issue_ms ms, $issue_req requests" \
    "($((issue_req / BENCH_CERTS)) per certificate)"
