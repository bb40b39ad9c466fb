#!/bin/bash
#
# demo.sh - see acmec work: start a throwaway local ACME CA (pebble, with
# nginx serving the http-01 challenges), issue a certificate for two names,
# show it, stop the CA.  Builds nothing: run `make demo`, or from the top of
# the tree after `make`:
#
#   ACMEC=./acmec bash tests/demo.sh
#
# Needs pebble, nginx, openssl and curl (Debian: apt-get install pebble
# nginx-light openssl curl).  Everything stays on 127.0.0.1; nothing is
# installed or left behind.

set -eu

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=SCRIPTDIR/lib/testca.sh
. "$srcdir/tests/lib/testca.sh"

testca_available || {
	echo "demo.sh: install pebble, nginx, openssl and curl first" >&2
	exit 1
}
command -v "$ACMEC" >/dev/null 2>&1 || {
	echo "demo.sh: no client at $ACMEC (build it with make, or set ACMEC)" >&2
	exit 1
}

echo "== Starting a local test CA (pebble) and web server (nginx)"
testca_start
echo "   ACME directory: $ACME_DIRECTORY"
echo "   webroot:        $WEBROOT"

work=$(mktemp -d "${TMPDIR:-/tmp}/acmec-demo.XXXXXX")
# shellcheck disable=SC2016 # expanded when the trap runs
testca_atexit 'rm -rf "$work"'

# The mock DNS answers 127.0.0.1 for every name, so any name will do.
names=(example.com www.example.com)

echo
echo "== acmec issue -d ${names[0]} -d ${names[1]}"
"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
    --state-dir "$work/state" \
    issue -d "${names[0]}" -d "${names[1]}" -w "$WEBROOT" \
    --agree-tos --contact mailto:admin@example.com --out "$work/out"

echo
echo "== Files written"
ls -l "$work/out"

cert=$work/out/cert.pem
echo
echo "== The certificate"
echo "   subject:   $(openssl x509 -in "$cert" -noout -subject -nameopt oneline | sed 's/^subject=//')"
echo "   names:     $(openssl x509 -in "$cert" -noout -ext subjectAltName | sed -n 's/^[[:space:]]*//; /DNS:/p')"
echo "   issuer:    $(openssl x509 -in "$cert" -noout -issuer -nameopt oneline | sed 's/^issuer=//')"
echo "   not after: $(openssl x509 -in "$cert" -noout -enddate | sed 's/^notAfter=//')"

# It chains up to the CA's root (which pebble makes anew at every start).
testca_root_pem "$work/root.pem"
echo "   chain:     $(openssl verify -CAfile "$work/root.pem" \
    -untrusted "$work/out/chain.pem" "$cert" | sed "s|^$cert: ||")"

echo
echo "== Stopping the test CA"
testca_stop
