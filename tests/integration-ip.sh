#!/bin/bash
#
# integration-ip.sh - certificates for IP addresses (RFC 8738) against
# pebble: http-01 at the address through the webroot (nginx listens on
# 127.0.0.1:5002 and [::1]:5002), iPAddress SANs, names and addresses
# mixed, a renewal config with addresses.
#
#   ACMEC=./acmec srcdir=. bash tests/integration-ip.sh
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped.

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=SCRIPTDIR/lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=SCRIPTDIR/lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77

resolve_client

n=''

# issue LABEL OUTDIR [-d NAME...] [ARGS...]
issue() {
	local label=$1 out=$2
	shift 2
	run "$label" issue "$@" -w "$WEBROOT" --agree-tos \
	    --contact mailto:admin@example.com ${out:+--out "$out"}
}

# The SAN of a certificate as "DNS:a IP Address:b ...", sorted.
san_of() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
	    sed 1d | tr ',' '\n' | sed 's/^[[:space:]]*//' | grep . | sort |
	    tr '\n' ' ' | sed 's/ $//'
}

# check_san DESCRIPTION CERT WANT
check_san() {
	local got
	got=$(san_of "$2")
	if [ "$got" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf 'want: %s\ngot:  %s\n' "$3" "$got" | diag
	fi
}

# check_cn DESCRIPTION CERT WANT: the subject's CN is WANT.  acmec's CSR
# for addresses carries no CN (test_csr checks it); pebble copies the
# first identifier into the CN of what it issues, addresses included.
check_cn() {
	local subject
	subject=$(openssl x509 -in "$2" -noout -subject -nameopt multiline 2>/dev/null |
	    sed -n 's/^[[:space:]]*commonName[[:space:]]*=[[:space:]]*//p')
	if [ "$subject" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "CN: $subject" | diag
	fi
}

testca_start || { echo "could not start the test CA"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it.XXXXXX") || exit 1
if [ "${TESTCA_KEEP:-0}" = 1 ]; then
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'echo "# kept $T" >&2'
else
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'rm -rf "$T"'
fi
STATE=$T/state
echo "# client: $ACMEC"

# ------------------------------------------------------------ IPv4

issue v4 "" -d 127.0.0.1
check_exit v4 0 "issue -d 127.0.0.1 exits 0"
check "the default output dir is live/127.0.0.1" \
    test -s "$STATE/live/127.0.0.1/fullchain.pem"
check_san "its SAN is the address" "$STATE/live/127.0.0.1/cert.pem" \
    "IP Address:127.0.0.1"
check_cn "its CN is the one pebble adds, the address" \
    "$STATE/live/127.0.0.1/cert.pem" 127.0.0.1
check "the challenge files are gone" \
    sh -c "[ -z \"\$(ls -A '$WEBROOT/.well-known/acme-challenge' 2>/dev/null)\" ]"

# ------------------------------------------------------------ IPv6

issue v6 "" -d 0:0:0:0:0:0:0:1
check_exit v6 0 "issue -d 0:0:0:0:0:0:0:1 exits 0"
check "the address is normalized: live/::1" \
    test -s "$STATE/live/::1/fullchain.pem"
check_san "its SAN is ::1" "$STATE/live/::1/cert.pem" \
    "IP Address:0:0:0:0:0:0:0:1"
check_cn "its CN is the one pebble adds, ::1" "$STATE/live/::1/cert.pem" ::1

# ------------------------------------------------------------ mixed

fresh n
issue mixed "$T/mixed" -d "$n" -d 127.0.0.1
check_exit mixed 0 "issue -d $n -d 127.0.0.1 exits 0"
check_san "names and addresses in one certificate" "$T/mixed/cert.pem" \
    "DNS:$n IP Address:127.0.0.1"

# ------------------------------------------------------------ renew config

cat >"$T/acmec.conf" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
agree-tos = yes
contact = mailto:admin@example.com

[loopback]
names = 127.0.0.1 ::1
webroot = $WEBROOT
EOF
timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" renew -c "$T/acmec.conf" \
    >"$T/renew.out" 2>"$T/renew.err"
rc=$?
check_exit renew 0 "renew with names = 127.0.0.1 ::1 exits 0"
check_san "the renewed certificate has both addresses" \
    "$STATE/live/loopback/cert.pem" \
    "IP Address:0:0:0:0:0:0:0:1 IP Address:127.0.0.1"
timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" renew -c "$T/acmec.conf" \
    >"$T/renew2.out" 2>"$T/renew2.err"
rc=$?
check_exit renew2 0 "a second renew exits 0"
check "and finds nothing due (the names compare equal)" \
    test ! -s "$T/renew2.out"

summary
