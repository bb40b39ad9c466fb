#!/bin/bash
#
# integration-chains.sh - alternate chains (RFC 8555 section 7.4.2) against
# pebble with PEBBLE_ALTERNATE_ROOTS=2: three roots, one default chain and
# two alternates offered in Link headers.
#
#   ACMEC=./acmec srcdir=. bash tests/integration-chains.sh
#
# --chain-trust ROOT installs the chain that verifies against ROOT, and
# against no other root; a bundle no chain verifies against installs
# nothing and leaves the files in place byte for byte; --preferred-chain
# picks by the top issuer's CN.
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

# issue LABEL OUTDIR NAME [ARGS...]: -v and -q in ARGS are global options.
issue() {
	local label=$1 out=$2 name=$3 a globals=() extra=()
	shift 3
	for a in "$@"; do
		case $a in
		-v | -q) globals+=("$a") ;;
		*) extra+=("$a") ;;
		esac
	done
	run "$label" "${globals[@]}" issue -d "$name" -w "$WEBROOT" \
	    --agree-tos --contact mailto:admin@example.com --out "$out" \
	    "${extra[@]}"
}

# verifies ROOT OUT: OUT's certificate verifies with ROOT and OUT's chain.
verifies() {
	openssl verify -CAfile "$1" -untrusted "$2/chain.pem" \
	    "$2/cert.pem" >/dev/null 2>&1
}

# The CN of a certificate's subject.
cn_of() {
	openssl x509 -in "$1" -noout -subject -nameopt multiline 2>/dev/null |
	    sed -n 's/^[[:space:]]*commonName[[:space:]]*=[[:space:]]*//p'
}

# check_only_root DESCRIPTION OUT I: OUT verifies against root I only.
check_only_root() {
	local what=$1 out=$2 want=$3 j bad=''
	verifies "$T/root$want.pem" "$out" || bad="not against root $want"
	for j in 0 1 2; do
		[ "$j" = "$want" ] && continue
		verifies "$T/root$j.pem" "$out" && bad="$bad; also against root $j"
	done
	if [ -z "$bad" ]; then
		ok "$what"
	else
		not_ok "$what"
		echo "$bad" | diag
	fi
}

# ------------------------------------------------------------ setup

export PEBBLE_ALTERNATE_ROOTS=2
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

for i in 0 1 2; do
	curl --noproxy '*' -sSf --cacert "$ACME_CA_BUNDLE" \
	    -o "$T/root$i.pem" "$PEBBLE_MGMT/roots/$i" ||
	    { echo "could not fetch pebble's root $i"; exit 1; }
	CN[i]=$(cn_of "$T/root$i.pem")
done
echo "# client: $ACMEC"
echo "# roots: ${CN[0]} | ${CN[1]} | ${CN[2]}"
check "pebble's three roots have three names" \
    test "$(printf '%s\n' "${CN[@]}" | sort -u | grep -c .)" = 3

# ------------------------------------------------------------ --chain-trust

for i in 0 1 2; do
	fresh n
	issue "trust$i" "$T/out$i" "$n" -v --chain-trust "$T/root$i.pem"
	check_exit "trust$i" 0 "issue --chain-trust root$i exits 0"
	check_only_root "the chain installed verifies against root $i and no other" \
	    "$T/out$i" "$i"
	if grep -qF "top issuer ${CN[i]}" "$T/trust$i.err" "$T/trust$i.out"; then
		ok "-v shows the top issuer ${CN[i]}"
	else
		not_ok "-v shows the top issuer ${CN[i]}"
		show_run "trust$i"
	fi
done
NAME0=$(openssl x509 -in "$T/out0/cert.pem" -noout -ext subjectAltName 2>/dev/null |
    sed -n 's/^[[:space:]]*DNS://p')

# ------------------------------------------------------------ none verifies

# pebble's TLS root signs no chain.
cp -a "$T/out0" "$T/out0.before"
issue none "$T/out0" "$NAME0" --chain-trust "$ACME_CA_BUNDLE"
check_exit none 1 "issue with roots no chain verifies against exits 1"
same=yes
for f in privkey.pem cert.pem chain.pem fullchain.pem; do
	cmp -s "$T/out0.before/$f" "$T/out0/$f" || same="no ($f)"
done
check "the files in place stay byte for byte: $same" test "$same" = yes
if grep -qF "no chain the CA offers verifies" "$T/none.err" &&
    grep -qF "${CN[0]}" "$T/none.err" && grep -qF "${CN[1]}" "$T/none.err" &&
    grep -qF "${CN[2]}" "$T/none.err"; then
	ok "the error lists each chain's top issuer"
else
	not_ok "the error lists each chain's top issuer"
	show_run none
fi

fresh n
issue none-new "$T/none-new" "$n" --chain-trust "$ACME_CA_BUNDLE"
check_exit none-new 1 "a new certificate no chain of verifies exits 1"
check "and nothing is written" \
    test ! -e "$T/none-new/cert.pem" -a ! -e "$T/none-new/privkey.pem"

# ------------------------------------------------------------ --preferred-chain

fresh n
issue pref "$T/pref" "$n" --preferred-chain "${CN[2]}"
check_exit pref 0 "issue --preferred-chain '${CN[2]}' exits 0"
check_only_root "the chain whose top issuer is ${CN[2]} is installed" \
    "$T/pref" 2

fresh n
issue pref-none "$T/pref-none" "$n" --preferred-chain "No Such CA"
check_exit pref-none 0 "--preferred-chain naming no chain exits 0"
check_only_root "and installs the default chain (root 0)" "$T/pref-none" 0

fresh n
issue default "$T/default" "$n"
check_exit default 0 "issue without either exits 0"
check_only_root "and installs the default chain (root 0)" "$T/default" 0

# ------------------------------------------------------------ renew, status

fresh n
cat >"$T/acmec.conf" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
agree-tos = yes
contact = mailto:admin@example.com

[alt]
names = $n
webroot = $WEBROOT
chain-trust = $T/root1.pem
EOF
timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" renew -c "$T/acmec.conf" \
    >"$T/renew.out" 2>"$T/renew.err"
rc=$?
check_exit renew 0 "renew with chain-trust = root1 exits 0"
check_only_root "renew installs the chain of root 1" "$STATE/live/alt" 1
"$ACMEC" status -c "$T/acmec.conf" >"$T/status.out" 2>"$T/status.err"
if grep -qF "chain:        up to ${CN[1]}" "$T/status.out"; then
	ok "status shows the top issuer of the chain installed"
else
	not_ok "status shows the top issuer of the chain installed"
	cat "$T/status.out" "$T/status.err" | diag
fi

summary
