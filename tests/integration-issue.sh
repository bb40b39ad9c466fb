#!/bin/bash
#
# integration-issue.sh - acmec issue against a real local ACME CA (pebble)
# with a real web server (nginx) serving the http-01 challenges.
#
# Run by `make check` (automake sets srcdir to the top source dir and ACMEC
# to the built client), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-issue.sh
#
# TESTCA_KEEP=1 keeps the CA's work dir (logs) and the client's output,
# state and certificates for a look afterwards.
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble, nginx,
# openssl, curl or flock missing).  One "ok"/"not ok" line per check, then
# "N passed, M failed".
#
# Pebble keeps its defaults on purpose: 5% of nonces are rejected (the client
# must retry badNonce) and valid authorizations are reused half of the time.
# That is why every issuance below uses names never used before.

# ls output is only shown to humans, in diagnostics.
# shellcheck disable=SC2012

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=SCRIPTDIR/lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=SCRIPTDIR/lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77

resolve_client

# ------------------------------------------------------------ helpers

# Set by `fresh n` (report.sh) before each use.
n=''

# issue LABEL OUTDIR NAME... [-- ARGS]: the usual issue command for NAMEs;
# -v and -q in ARGS are global options, the rest go to issue.
issue() {
	local label=$1 out=$2 a names=() globals=() extra=()
	shift 2
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		names+=(-d "$1")
		shift
	done
	[ "$#" -gt 0 ] && shift
	for a in "$@"; do
		case $a in
		-v | -q) globals+=("$a") ;;
		*) extra+=("$a") ;;
		esac
	done
	run "$label" "${globals[@]}" issue "${names[@]}" -w "$WEBROOT" \
	    --agree-tos --contact mailto:admin@example.com --out "$out" \
	    "${extra[@]}"
}

# The public key of a certificate, private key, or CSR, as DER hex: equal
# strings mean the same key.
pub_of_cert() {
	openssl x509 -in "$1" -noout -pubkey 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
pub_of_key() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
pub_of_csr() {
	openssl req -in "$1" -noout -pubkey 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

# The DNS names in a certificate's SAN, sorted, one per line.
san_names() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
	    tr ',' '\n' | sed -n 's/^[[:space:]]*DNS://p' | sort
}

# check_names DESCRIPTION CERT NAME...: SAN names are exactly NAME...
check_names() {
	local what=$1 cert=$2 want got
	shift 2
	want=$(printf '%s\n' "$@" | sort)
	got=$(san_names "$cert")
	if [ -n "$got" ] && [ "$got" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what"
		{ echo "want:"; echo "$want"; echo "got:"; echo "$got"; } | diag
	fi
}

# check_same_key DESCRIPTION A B: two non-empty public keys are equal.
check_same_key() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "public keys differ or could not be read" | diag
	fi
}

# The certificates of a PEM file, normalised (one base64 line each).
pem_certs() {
	awk '/-----BEGIN CERTIFICATE-----/ { c = 1; b = ""; next }
	     /-----END CERTIFICATE-----/ { c = 0; print b; next }
	     c { gsub(/[ \t\r]/, ""); b = b $0 }' "$@" 2>/dev/null
}

# WEBROOT/.well-known/acme-challenge/ is empty or absent.
challenges_gone() {
	local d=$1/.well-known/acme-challenge
	[ ! -d "$d" ] || [ -z "$(ls -A "$d")" ]
}

# An output dir that was not created, or is empty.
no_output() {
	[ ! -e "$1" ] || [ -z "$(ls -A "$1")" ]
}

# ------------------------------------------------------------ setup

testca_start || { echo "could not start the test CA"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it.XXXXXX") || exit 1
if [ "${TESTCA_KEEP:-0}" = 1 ]; then
	# Debugging: keep the client's output, state and certificates.
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'echo "# kept $T" >&2'
else
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'rm -rf "$T"'
fi
# Created by the client: it must give it mode 0700.
STATE=$T/state

# pebble's root changes at every start: fetch this run's.
testca_root_pem "$T/root.pem" || { echo "could not fetch pebble's root"; exit 1; }

# dir_url KEY: a URL from the directory.  python3 when there is one; pebble
# prints one key per line, which sed can read on a bare CI image.
dir_url() {
	local json
	json=$(curl --noproxy '*' -sS --cacert "$ACME_CA_BUNDLE" "$ACME_DIRECTORY") || return 1
	if command -v python3 >/dev/null 2>&1; then
		printf '%s' "$json" | python3 -c \
		    'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
	else
		printf '%s\n' "$json" |
		    sed -n "s/^[[:space:]]*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | grep .
	fi
}
NEW_ACCOUNT=$(dir_url newAccount) || { echo "could not read the directory"; exit 1; }

echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR)"

# ------------------------------------------------------------ 1. issue

fresh N1
fresh N2
OUT1=$T/out1
issue first "$OUT1" "$N1" "$N2"
check_exit first 0 "issue -d $N1 -d $N2 exits 0"

for f in privkey.pem cert.pem chain.pem fullchain.pem; do
	check "out dir has $f" test -s "$OUT1/$f"
done
check "privkey.pem has mode 0600 (is $(mode_of "$OUT1/privkey.pem"))" \
    test "$(mode_of "$OUT1/privkey.pem")" = 600

if [ -s "$OUT1/fullchain.pem" ] && cat "$OUT1/cert.pem" "$OUT1/chain.pem" |
    cmp -s - "$OUT1/fullchain.pem"; then
	ok "fullchain.pem is cert.pem followed by chain.pem"
elif [ -n "$(pem_certs "$OUT1/fullchain.pem")" ] &&
    [ "$(pem_certs "$OUT1/cert.pem" "$OUT1/chain.pem")" = "$(pem_certs "$OUT1/fullchain.pem")" ]; then
	ok "fullchain.pem is cert.pem followed by chain.pem (same certificates, not byte for byte)"
else
	not_ok "fullchain.pem is cert.pem followed by chain.pem"
fi

# The account key (STATE/accounts/CA/account-key.pem) is 0600 and
# every directory of the state dir is 0700.
acct_key=$(ls "$STATE"/accounts/*/account-key.pem 2>/dev/null | head -n 1)
check "account key $acct_key exists with mode 0600 (is $(mode_of "$acct_key"))" \
    test "$(mode_of "$acct_key")" = 600
bad_dirs=$(find "$STATE" -type d ! -perm 0700 2>/dev/null)
if [ -d "$STATE" ] && [ -z "$bad_dirs" ]; then
	ok "state dir directories are 0700"
else
	not_ok "state dir directories are 0700"
	{ [ -d "$STATE" ] || echo "$STATE missing"; ls -ldR "$STATE" 2>&1; } | diag
fi
bad_keys=$(grep -rlsF 'PRIVATE KEY' "$STATE" | while read -r f; do
	[ "$(mode_of "$f")" = 600 ] || echo "$f"; done)
check "no private key in the state dir is readable by others" \
    test -d "$STATE" -a -z "$bad_keys"

# ------------------------------------------------------------ 2. chain

if openssl verify -CAfile "$T/root.pem" -untrusted "$OUT1/chain.pem" \
    "$OUT1/cert.pem" >"$T/verify.log" 2>&1; then
	ok "cert.pem verifies up to pebble's root through chain.pem"
else
	not_ok "cert.pem verifies up to pebble's root through chain.pem"
	diag <"$T/verify.log"
fi

# ------------------------------------------------------------ 3. names, key

check_names "certificate names are exactly $N1 and $N2" "$OUT1/cert.pem" "$N1" "$N2"
check_same_key "certificate public key is privkey.pem's" \
    "$(pub_of_cert "$OUT1/cert.pem")" "$(pub_of_key "$OUT1/privkey.pem")"

# ------------------------------------------------------------ 4. cleanup

if challenges_gone "$WEBROOT"; then
	ok "no challenge file left in the webroot"
else
	not_ok "no challenge file left in the webroot"
	ls -la "$WEBROOT/.well-known/acme-challenge" | diag
fi

# ------------------------------------------------------------ 5. reuse

fresh N3
fresh N4
issue second "$T/out2" "$N3" "$N4" -- -v
check_exit second 0 "second issue (-v, same state dir) exits 0"
if grep -qE '^acmec: [A-Z]+ https://[^ ]+ -> [0-9]{3}$' "$T/second.err"; then
	ok "-v prints one 'acmec: METHOD URL -> STATUS' line per request"
else
	not_ok "-v prints one 'acmec: METHOD URL -> STATUS' line per request"
	show_run second
fi
# Only meaningful if the run worked and traced its requests.
if [ "$rc" = 0 ] && grep -q '^acmec: POST https://' "$T/second.err" &&
    ! grep -qF -- "$NEW_ACCOUNT" "$T/second.err"; then
	ok "second issue reuses the account (no request to newAccount $NEW_ACCOUNT)"
else
	not_ok "second issue reuses the account (no request to newAccount $NEW_ACCOUNT)"
	grep -F -- "$NEW_ACCOUNT" "$T/second.err" | diag
fi
check_names "second certificate names are exactly $N3 and $N4" "$T/out2/cert.pem" "$N3" "$N4"
NEW_NONCE=$(dir_url newNonce)
nonces=$(grep -cF -- "HEAD $NEW_NONCE " "$T/second.err")
check "newNonce is asked at most once per run ($nonces times)" test "$nonces" -le 1

# ------------------------------------------------------------ no account

# Without --agree-tos a missing account is an error that shows the CA's
# terms of service and says how to go on; nothing is created.
TOS=$(curl --noproxy '*' -sS --cacert "$ACME_CA_BUNDLE" "$ACME_DIRECTORY" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["meta"]["termsOfService"])')
fresh NT
"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
    --state-dir "$T/tos-state" issue -d "$NT" -w "$WEBROOT" \
    --out "$T/tos-out" >"$T/tos.out" 2>"$T/tos.err"
rc=$?
check_exit tos 1 "issue without an account and without --agree-tos exits 1"
check "its message shows the terms of service ($TOS)" grep -qF -- "$TOS" "$T/tos.err"
check "its message says to re-run with --agree-tos" grep -qF -- "--agree-tos" "$T/tos.err"
check "no account key is created without --agree-tos" test ! -e "$T/tos-state/account-key.pem"

# ------------------------------------------------------------ 6. failure

# A webroot nginx does not serve: pebble gets a 404 and the authorization
# becomes invalid (urn:ietf:params:acme:error:unauthorized).
BAD_WEBROOT=$T/unserved
mkdir -m 755 "$BAD_WEBROOT"
fresh NB
run failed issue -d "$NB" -w "$BAD_WEBROOT" --agree-tos \
    --contact mailto:admin@example.com --out "$T/out-failed"
check_exit failed 1 "issue with an unserved webroot exits 1"
if grep -qF -- "$NB" "$T/failed.err"; then
	ok "the error names $NB"
else
	not_ok "the error names $NB"
	show_run failed
fi
if grep -qF 'urn:ietf:params:acme:error:' "$T/failed.err"; then
	ok "the error gives the CA's problem type ($(grep -oE 'urn:ietf:params:acme:error:[A-Za-z]+' "$T/failed.err" | head -n 1))"
else
	not_ok "the error gives the CA's problem type (urn:ietf:params:acme:error:...)"
	show_run failed
fi
if challenges_gone "$BAD_WEBROOT"; then
	ok "no challenge file left after the failure"
else
	not_ok "no challenge file left after the failure"
	ls -la "$BAD_WEBROOT/.well-known/acme-challenge" | diag
fi
if no_output "$T/out-failed"; then
	ok "no output file after the failure"
else
	not_ok "no output file after the failure"
	ls -la "$T/out-failed" | diag
fi

# ------------------------------------------------------------ 7. in a row

for i in 1 2 3 4 5; do
	fresh n
	issue "row$i" "$T/row$i" "$n"
	if [ "$rc" = 0 ] && [ -s "$T/row$i/cert.pem" ]; then
		ok "issuance $i of 5 in a row ($n)"
	else
		not_ok "issuance $i of 5 in a row ($n)"
		show_run "row$i"
	fi
done

# ------------------------------------------------------------ 8. quiet

fresh n
issue quiet "$T/quiet" "$n" -- -q
check_exit quiet 0 "-q issue exits 0"
if [ "$rc" = 0 ] && [ ! -s "$T/quiet.out" ] && [ ! -s "$T/quiet.err" ]; then
	ok "-q prints nothing on success"
else
	not_ok "-q prints nothing on success"
	show_run quiet
fi

# ------------------------------------------------------------ 9. usage

run usage1 issue -w "$WEBROOT" --agree-tos --out "$T/usage1"
check_exit usage1 2 "issue without -d exits 2"
fresh n
run usage2 issue -d "$n" -w "$WEBROOT" --no-such-option
check_exit usage2 2 "issue with an unknown option exits 2"

# ------------------------------------------------------------ 10. key reuse

# Same names and --out as check 1, with --reuse-key: the key stays, the
# certificate is new.
old_pub=$(pub_of_key "$OUT1/privkey.pem")
old_serial=$(openssl x509 -in "$OUT1/cert.pem" -noout -serial 2>/dev/null)
issue again "$OUT1" "$N1" "$N2" -- --reuse-key
check_exit again 0 "re-issue --reuse-key to the same --out exits 0"
check_same_key "re-issue --reuse-key keeps privkey.pem (same public key)" \
    "$old_pub" "$(pub_of_key "$OUT1/privkey.pem")"
check_same_key "re-issued certificate is for that key" \
    "$old_pub" "$(pub_of_cert "$OUT1/cert.pem")"
new_serial=$(openssl x509 -in "$OUT1/cert.pem" -noout -serial 2>/dev/null)
check "re-issue wrote a new certificate ($new_serial)" \
    test -n "$new_serial" -a "$new_serial" != "$old_serial"
check "privkey.pem is still 0600" test "$(mode_of "$OUT1/privkey.pem")" = 600

# The default, and --new-key (the same): a new key with each certificate.
for opt in "" --new-key; do
	issue "rotate$opt" "$OUT1" "$N1" "$N2" -- $opt
	check_exit "rotate$opt" 0 "re-issue ${opt:-(default)} exits 0"
	new_pub=$(pub_of_key "$OUT1/privkey.pem")
	check "re-issue ${opt:-(default)} makes a new key" \
	    test -n "$new_pub" -a "$new_pub" != "$old_pub"
	check_same_key "re-issue ${opt:-(default)}: the certificate is for the new key" \
	    "$new_pub" "$(pub_of_cert "$OUT1/cert.pem")"
	check "re-issue ${opt:-(default)}: privkey.pem is 0600" \
	    test "$(mode_of "$OUT1/privkey.pem")" = 600
	old_pub=$new_pub
done

# ------------------------------------------------------------ 11. key type, CSR

fresh n
issue rsa "$T/rsa" "$n" -- --key-type rsa-2048
check_exit rsa 0 "issue --key-type rsa-2048 exits 0"
if openssl x509 -in "$T/rsa/cert.pem" -noout -text 2>/dev/null |
    grep -q 'Public Key Algorithm: rsaEncryption' &&
    openssl x509 -in "$T/rsa/cert.pem" -noout -text 2>/dev/null |
    grep -qE 'Public-Key: \(2048 bit\)'; then
	ok "--key-type rsa-2048 gives a 2048-bit RSA certificate"
else
	not_ok "--key-type rsa-2048 gives a 2048-bit RSA certificate"
	openssl x509 -in "$T/rsa/cert.pem" -noout -text 2>&1 | grep -E 'Algorithm|Public-Key' | diag
fi

fresh C1
fresh C2
cat >"$T/csr.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
req_extensions = ext
[dn]
CN = $C1
[ext]
subjectAltName = DNS:$C1,DNS:$C2
EOF
openssl req -new -config "$T/csr.cnf" -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -nodes -keyout "$T/csr.key" -out "$T/csr.pem" 2>"$T/csr.log" ||
    diag <"$T/csr.log"
run csr issue --csr "$T/csr.pem" -w "$WEBROOT" --agree-tos \
    --contact mailto:admin@example.com --out "$T/csrout"
check_exit csr 0 "issue --csr exits 0"
check_names "--csr certificate names are the CSR's ($C1, $C2)" "$T/csrout/cert.pem" "$C1" "$C2"
check_same_key "--csr certificate key is the CSR's key" \
    "$(pub_of_csr "$T/csr.pem")" "$(pub_of_cert "$T/csrout/cert.pem")"
check "--csr writes no privkey.pem" test ! -e "$T/csrout/privkey.pem"

# ------------------------------------------------------------ default output

# Without --out the files go to STATE/live/FIRSTNAME, and a second run
# there renews them, with a new key.
fresh d1
run live1 -q issue -d "$d1" -w "$WEBROOT"
check_exit live1 0 "issue without --out exits 0"
check "without --out the files are in STATE/live/$d1" \
    test -s "$STATE/live/$d1/fullchain.pem"
check "STATE/live/$d1 is 0700" test "$(mode_of "$STATE/live/$d1")" = 700
live_key=$(pub_of_key "$STATE/live/$d1/privkey.pem")
run live2 -q issue -d "$d1" -w "$WEBROOT"
check_exit live2 0 "second issue without --out exits 0"
check "second issue without --out makes a new key" \
    test "$live_key" != "$(pub_of_key "$STATE/live/$d1/privkey.pem")"
check_same_key "and the new certificate is for that key" \
    "$(pub_of_key "$STATE/live/$d1/privkey.pem")" "$(pub_of_cert "$STATE/live/$d1/cert.pem")"

# ------------------------------------------------------------ overlap

# Two runs at once on one state dir (cron and a hand-started run): the
# second waits for the first's lock, both succeed.
fresh o1
fresh o2
overlap_pids=()
for n in "$o1" "$o2"; do
	"$ACMEC" -q --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$STATE" issue -d "$n" -w "$WEBROOT" \
	    --out "$T/overlap-$n" >"$T/overlap-$n.out" 2>"$T/overlap-$n.err" &
	overlap_pids+=("$!")
done
overlap_failed=0
for pid in "${overlap_pids[@]}"; do
	wait "$pid" || overlap_failed=$((overlap_failed + 1))
done
check "two overlapping runs on one state dir both succeed" \
    test "$overlap_failed" = 0
check "both overlapping runs wrote their certificates" \
    test -s "$T/overlap-$o1/fullchain.pem" -a -s "$T/overlap-$o2/fullchain.pem"

# ------------------------------------------------------------ deploy hook

# The hook runs after the files are written, without a shell, with the
# output dir and the names in its environment.
cat >"$T/hook.sh" <<'EOF'
#!/bin/sh
printf '%s|%s|%s\n' "$ACMEC_OUT" "$ACMEC_NAMES" "$*" >"$HOOK_LOG"
test -s "$ACMEC_OUT/fullchain.pem"
EOF
chmod +x "$T/hook.sh"
export HOOK_LOG=$T/hook.log
fresh h1
fresh h2
issue hook "$T/hookout" "$h1" "$h2" -- --deploy-hook "$T/hook.sh reload  now"
check_exit hook 0 "issue with --deploy-hook exits 0"
check "the hook saw the output dir, the names and its arguments" \
    grep -qxF "$T/hookout|$h1 $h2|reload now" "$HOOK_LOG"
# An --out not made yet, through a directory not made yet and "..": the
# hook runner finds it where the run makes it, and runs the hook.
fresh h4
issue hookdots "$T/dots/../hookdots" "$h4" -- --deploy-hook "$T/hook.sh"
check_exit hookdots 0 "issue --out DIR/../NEW with --deploy-hook exits 0"
check "... and the hook ran, with ACMEC_OUT as given" \
    grep -qxF "$T/dots/../hookdots|$h4|" "$HOOK_LOG"
fresh h3
issue hookfail "$T/hookfail" "$h3" -- --deploy-hook false
check_exit hookfail 1 "a failing --deploy-hook makes issue exit 1"
check "a failing hook's message says the certificate was written" \
    grep -q "certificate was written to $T/hookfail" "$T/hookfail.err"
check "the certificate stays written when the hook fails" \
    test -s "$T/hookfail/fullchain.pem"

# ------------------------------------------------------------ interruption

# With nginx frozen, pebble's validation hangs and the client polls with its
# challenge file in place; SIGTERM then must unwind through the cleanup.
fresh n
testca_web_freeze
"$ACMEC" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
    --state-dir "$STATE" issue -d "$n" -w "$WEBROOT" --out "$T/intr" \
    >"$T/intr.out" 2>"$T/intr.err" &
client=$!
had_file=no
for _ in $(seq 1 200); do
	if ! challenges_gone "$WEBROOT"; then
		had_file=yes
		break
	fi
	sleep 0.05
done
sleep 0.5	# into the polling loop
kill -TERM "$client" 2>/dev/null
wait "$client"
rc=$?
testca_web_thaw
check "challenge file was in place while the CA validated" test "$had_file" = yes
check_exit intr 1 "SIGTERM during polling exits 1"
check "SIGTERM during polling removes the challenge files" challenges_gone "$WEBROOT"
check "SIGTERM during polling writes no output" no_output "$T/intr"

# ------------------------------------------------------------ forgotten account

# Pebble forgets every account when it restarts: the remembered account URL
# is then unknown, and the client must look the key up again (and, with
# --agree-tos, create the account) instead of failing.
testca_stop
testca_start || { echo "could not restart the test CA"; exit 1; }
fresh n
issue forgot "$T/forgot" "$n"
check_exit forgot 0 "issue after the CA forgot the account exits 0"
if grep -q "no longer knows account" "$T/forgot.out"; then
	ok "the client says it looks the account up again"
else
	not_ok "the client says it looks the account up again"
	show_run forgot
fi

# ------------------------------------------------------------ summary

summary
