#!/bin/bash
#
# bench.sh - how fast and how small acmec is, against the local test CA.
# Not a test: it prints numbers and never fails on them.
#
#   make bench                     (or: ACMEC=./acmec bash tests/bench.sh)
#
# Measures, for BENCH_RUNS issuances of two fresh names each (same account):
#   - wall-clock time per issuance (pebble with PEBBLE_VA_NOSLEEP=1, so this
#     is the client plus pebble's own work, dominated by round trips);
#   - HTTP requests per issuance (from -v), the protocol cost a slow CA
#     multiplies;
#   - peak heap of one issuance (valgrind massif, if installed).
# Nonce rejection is turned off so runs are comparable.
#
# PEBBLE_VA_SLEEPTIME=N instead has pebble wait up to N seconds before it
# validates (a CA that takes its time): the requests then show what the
# polling costs.  BENCH_RUNS (10) issuances.

set -eu

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
BENCH_RUNS=${BENCH_RUNS:-10}
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
testca_available || { echo "bench.sh: pebble/nginx missing" >&2; exit 1; }
testca_start >/dev/null

work=$(mktemp -d)
# shellcheck disable=SC2016
testca_atexit 'rm -rf "$work"'
acmec() {
	"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$work/state" "$@"
}
fresh() { echo "b$RANDOM$RANDOM.example.com"; }

# The first run creates the account; it is not measured.
acmec -q issue -d "$(fresh)" -w "$WEBROOT" --agree-tos --out "$work/o0"

total_ms=0
requests=0
for i in $(seq 1 "$BENCH_RUNS"); do
	start=$(date +%s%N)
	acmec -v issue -d "$(fresh)" -d "$(fresh)" -w "$WEBROOT" \
	    --out "$work/o$i" 2>"$work/trace" >/dev/null
	end=$(date +%s%N)
	total_ms=$((total_ms + (end - start) / 1000000))
	requests=$((requests + $(grep -c -- ' -> ' "$work/trace")))
done
echo "issuances:            $BENCH_RUNS (2 names each, ec-256)"
echo "mean wall time:       $((total_ms / BENCH_RUNS)) ms"
echo "mean HTTP requests:   $(awk -v r="$requests" -v n="$BENCH_RUNS" \
    'BEGIN { printf "%.1f", r / n }')"

# The same issuances with uacme, if it is installed, for comparison.  uacme
# has no option for extra trust anchors, so it runs in a mount namespace of
# its own where the system bundle also holds the test CA's root: nothing
# outside this script sees the change.  Needs root (unshare -m).
bench_uacme() {
	local conf=$work/uacme bundle=$work/bundle.pem
	cat /etc/ssl/certs/ca-certificates.crt "$ACME_CA_BUNDLE" >"$bundle"
	mkdir -p "$WEBROOT/.well-known/acme-challenge"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m bash -c '
		set -e
		mount --bind "$1" /etc/ssl/certs/ca-certificates.crt
		u() { uacme -a "$ACME_DIRECTORY" -c "$2" -t EC -b 256 -y \
		    -h /usr/share/uacme/uacme.sh "$@"; }
		export UACME_CHALLENGE_PATH=$WEBROOT/.well-known/acme-challenge
		uacme -a "$ACME_DIRECTORY" -c "$2" -y new >/dev/null 2>&1
		total=0
		for i in $(seq 1 "$3"); do
			a=b$RANDOM$RANDOM.example.com b=b$RANDOM$RANDOM.example.com
			start=$(date +%s%N)
			uacme -a "$ACME_DIRECTORY" -c "$2" -t EC -b 256 -y \
			    -h /usr/share/uacme/uacme.sh issue "$a" "$b" \
			    >/dev/null 2>&1
			end=$(date +%s%N)
			total=$((total + (end - start) / 1000000))
		done
		echo "$((total / $3))"
	' bench "$bundle" "$conf" "$BENCH_RUNS"
}

if command -v uacme >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	if uacme_ms=$(bench_uacme 2>/dev/null); then
		echo "uacme mean wall time: $uacme_ms ms (same CA, names, key type)"
	else
		echo "uacme mean wall time: (uacme run failed)"
	fi
fi

if command -v valgrind >/dev/null 2>&1; then
	valgrind --tool=massif --massif-out-file="$work/massif" "$ACMEC" \
	    --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$work/state" -q issue -d "$(fresh)" -d "$(fresh)" \
	    -w "$WEBROOT" --out "$work/om" 2>/dev/null
	peak=$(grep mem_heap_B "$work/massif" | cut -d= -f2 | sort -n | tail -1)
	echo "peak heap:            $((peak / 1024)) KiB (valgrind massif)"
else
	echo "peak heap:            (install valgrind to measure)"
fi
