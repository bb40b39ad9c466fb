#!/bin/bash
#
# integration-account.sh - acmec account and revoke commands against a real
# local ACME CA (pebble), with nginx serving the http-01 challenges.
#
# Run by `make check` (automake sets srcdir to the top source dir and ACMEC
# to the built client), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-account.sh
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble, nginx,
# openssl, curl, flock or python3 missing).  One "ok"/"not ok" line per
# check, then "N passed, M failed".
#
# Every scenario has its own state dir, so that one account's fate
# (rollover, deactivation) cannot leak into another.  Every issuance uses
# names never used before: pebble reuses valid authorizations half of the
# time, which would skip the http-01 validation.
#
# The last scenario (external account binding) stops the CA and starts a
# new one that requires EAB; the restarted pebble has forgotten every
# account, so it must stay last.

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }

resolve_client

# ------------------------------------------------------------ helpers

# The state dir of the client runs (report.sh's run): each scenario sets
# its own.
STATE=
# issue LABEL OUTDIR NAME... [-- ARGS]: issue a certificate for NAMEs into
# OUTDIR.  No --agree-tos unless given in ARGS: the account must already
# exist, so that a lost account shows up as a failure rather than as a new
# account created behind our back.
issue() {
	local label=$1 out=$2 names=()
	shift 2
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		names+=(-d "$1")
		shift
	done
	[ "$#" -gt 0 ] && shift
	run "$label" issue "${names[@]}" -w "$WEBROOT" --out "$out" "$@"
}

# check_issued LABEL OUTDIR DESCRIPTION: issue exited 0 and wrote cert.pem.
check_issued() {
	if [ "$rc" = 0 ] && [ -s "$2/cert.pem" ]; then
		ok "$3"
	else
		not_ok "$3"
		show_run "$1"
	fi
}

# field LABEL NAME: the value of "NAME: value" in the output of an
# `account show` run.
field() {
	sed -n "s/^$2:[[:space:]]*//p" "$T/$1.out" 2>/dev/null | head -n 1
}

# new_account DIR LABEL: a new account with its own key in state dir DIR.
new_account() {
	local saved=$STATE
	STATE=$1
	run "$2" account new --agree-tos --contact mailto:admin@example.com
	STATE=$saved
}

# The rollover backups in state dir $1, one per line.
backups() {
	find "$(account_dir "$1")" -maxdepth 1 -name 'account-key.*.pem' -printf '%f\n' 2>/dev/null | sort
}

# The serial of a certificate as pebble's management API wants it:
# lower-case hex without leading zeros.
serial_of() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null |
	    sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}

# cert_status_json SERIAL FILE: pebble's JSON about a certificate into FILE.
cert_status_json() {
	testca_cert_status "$1" >"$2" 2>&1
}

# json_get FILE KEY: the value of a top-level key ("" if absent).
json_get() {
	python3 -c '
import json, sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
except Exception:
    v = ""
print("" if v is None else v)' "$1" "$2"
}

# check_revoked DESCRIPTION SERIAL REASON: pebble says the certificate is
# revoked with reason code REASON.
check_revoked() {
	local what=$1 serial=$2 want=$3 json=$T/status-$2.json status reason
	cert_status_json "$serial" "$json"
	status=$(json_get "$json" Status)
	reason=$(json_get "$json" Reason)
	if [ "$status" = Revoked ] && [ "$reason" = "$want" ]; then
		ok "$what"
	else
		not_ok "$what (Status '$status', Reason '$reason'; want Revoked, $want)"
		{ echo "pebble's cert-status-by-serial/$serial:"; cat "$json"; echo; } | diag
	fi
}

new_ec_key() {
	(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null)
}

# key_id KEY: the hex SHA-256 of the key's SubjectPublicKeyInfo (TLSA 3 1 1).
key_id() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}

# cert_key_id CERT: the same for the key of a certificate.
cert_key_id() {
	openssl x509 -in "$1" -noout -pubkey 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}

# csr_for KEY NAME FILE: a CSR for NAME made with KEY.
csr_for() {
	openssl req -new -key "$1" -subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
	    -out "$3" 2>/dev/null
}

# retired STATE ID: the record of retired keys in STATE holds ID.
retired() {
	grep -q "^$2 " "$1/retired-keys" 2>/dev/null
}

# ------------------------------------------------------------ setup

testca_start || { echo "could not start the test CA"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it-account.XXXXXX") || exit 1
# shellcheck disable=SC2016 # expanded when the trap runs
testca_atexit 'rm -rf "$T"'

echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR)"

# ------------------------------------------------------------ scenarios

# 1. Key rollover: backup kept, new key in use, same account, old key dead.
scenario_rollover() {
	local s=$T/roll old=$T/roll-old url1 tp1 url2 tp2 b n
	STATE=$s
	new_account "$s" roll-new
	check_exit roll-new 0 "rollover: account new --agree-tos exits 0"
	check_says_fixed roll-new "created account key $(account_dir "$s")/account-key.pem" \
	    "rollover: account new says it created the account key (its key process made it)"
	check "rollover: the new account key has mode 0600" \
	    test "$(mode_of "$(account_dir "$s")/account-key.pem")" = 600
	run roll-show1 account show
	url1=$(field roll-show1 account)
	tp1=$(field roll-show1 thumbprint)
	cp -p "$(account_dir "$s")/account-key.pem" "$T/roll-key-before.pem"

	run roll account rollover
	check_exit roll 0 "rollover: account rollover exits 0"

	b=$(backups "$s")
	if [ "$(printf '%s\n' "$b" | grep -c .)" = 1 ] &&
	    printf '%s\n' "$b" | grep -qxE 'account-key\.[0-9]{8}T[0-9]{6}Z\.pem'; then
		ok "rollover: one backup account-key.YYYYMMDDTHHMMSSZ.pem ($b)"
	else
		not_ok "rollover: one backup account-key.YYYYMMDDTHHMMSSZ.pem"
		find "$(account_dir "$s")" -maxdepth 1 -ls | diag
	fi
	b=$(account_dir "$s")/$(printf '%s\n' "$b" | head -n 1)
	check "rollover: backup has mode 0600 (is $(mode_of "$b"))" \
	    test -f "$b" -a "$(mode_of "$b")" = 600
	check "rollover: backup is the old key, byte for byte" \
	    cmp -s "$b" "$T/roll-key-before.pem"
	check "rollover: account-key.pem changed" \
	    test -s "$(account_dir "$s")/account-key.pem" -a -n "$(cmp "$(account_dir "$s")/account-key.pem" "$T/roll-key-before.pem" 2>&1)"
	check "rollover: account-key.pem has mode 0600 (is $(mode_of "$(account_dir "$s")/account-key.pem"))" \
	    test "$(mode_of "$(account_dir "$s")/account-key.pem")" = 600
	check "rollover: no account-key.pem.new left" test ! -e "$(account_dir "$s")/account-key.pem.new"

	run roll-show2 account show
	check_exit roll-show2 0 "rollover: account show after rollover exits 0"
	url2=$(field roll-show2 account)
	tp2=$(field roll-show2 thumbprint)
	check "rollover: same account URL ($url2)" test -n "$url1" -a "$url1" = "$url2"
	check "rollover: different thumbprint ($tp1 -> $tp2)" \
	    test -n "$tp1" -a -n "$tp2" -a "$tp1" != "$tp2"

	fresh n
	issue roll-issue "$T/roll-out" "$n"
	check_issued roll-issue "$T/roll-out" "rollover: issue with the new key works (no --agree-tos)"

	# The old key alone, in a state dir of its own: the CA must not know it.
	mkdir -m 700 "$old"
	cp -p "$b" "$old/account-key.pem"
	STATE=$old
	run roll-oldkey account show
	check_exit roll-oldkey 1 "rollover: account show with the old key exits 1"
	check_says roll-oldkey 'no account.*acmec account new --agree-tos' \
	    "rollover: the CA has no account for the old key (message says no account, run acmec account new --agree-tos)"
	STATE=$s

	# --new-key FILE: the new key's own process loads FILE and saves the
	# pending copy; FILE stays as it was, and the account has its key.
	new_ec_key "$T/roll-given.pem"
	cp -p "$T/roll-given.pem" "$T/roll-given-before.pem"
	run roll-given account rollover --new-key "$T/roll-given.pem"
	check_exit roll-given 0 "rollover --new-key FILE exits 0"
	check "rollover --new-key: account-key.pem holds FILE's key" \
	    test -n "$(key_id "$T/roll-given.pem")" -a \
	    "$(key_id "$(account_dir "$s")/account-key.pem")" = "$(key_id "$T/roll-given.pem")"
	check "rollover --new-key: FILE is left as it was" \
	    cmp -s "$T/roll-given.pem" "$T/roll-given-before.pem"
	check "rollover --new-key: no account-key.pem.new left" \
	    test ! -e "$(account_dir "$s")/account-key.pem.new"
	run roll-given-show account show
	check "rollover --new-key: same account URL" \
	    test "$rc" = 0 -a "$(field roll-given-show account)" = "$url1"

	# --key-type: the key process makes a key of that type.
	run roll-384 account rollover --key-type ec-384
	check_exit roll-384 0 "rollover --key-type ec-384 exits 0"
	run roll-384-show account show
	check "rollover --key-type ec-384: account show says ec-384" \
	    test "$(field roll-384-show key | cut -d' ' -f1)" = ec-384
}

# 2. Rollover to a key that already has an account: refused, nothing changes.
scenario_rollover_conflict() {
	local s=$T/conflict other=$T/conflict-other tp1 tp2
	STATE=$s
	new_account "$s" conflict-new
	new_account "$other" conflict-other
	if [ "$rc" != 0 ]; then
		not_ok "conflict: second account created"
		show_run conflict-other
	fi
	run conflict-show1 account show
	tp1=$(field conflict-show1 thumbprint)
	cp -p "$(account_dir "$s")/account-key.pem" "$T/conflict-key-before.pem"

	run conflict account rollover --new-key "$(account_dir "$other")/account-key.pem"
	check_exit conflict 1 "conflict: rollover to another account's key exits 1"
	check_says conflict 'already belongs to (an )?account' \
	    "conflict: message says the key already belongs to an account"
	check "conflict: account-key.pem unchanged" \
	    cmp -s "$(account_dir "$s")/account-key.pem" "$T/conflict-key-before.pem"
	check "conflict: no backup key added ($(backups "$s" | tr '\n' ' '))" \
	    test -z "$(backups "$s")"
	check "conflict: no account-key.pem.new left" test ! -e "$(account_dir "$s")/account-key.pem.new"
	run conflict-show2 account show
	tp2=$(field conflict-show2 thumbprint)
	check "conflict: account show still works with the old key" \
	    test "$rc" = 0 -a -n "$tp1" -a "$tp1" = "$tp2"
}

# 3. Contacts.
scenario_contacts() {
	local s=$T/contacts got
	STATE=$s
	new_account "$s" contacts-new
	check_exit contacts-new 0 "contacts: account new exits 0"
	run contacts-set account update --contact mailto:a@example.com \
	    --contact mailto:b@example.com
	check_exit contacts-set 0 "contacts: account update with two contacts exits 0"
	check "contacts: no warning when the CA kept the contacts asked for" \
	    test ! -s "$T/contacts-set.err"
	run contacts-show1 account show
	got=$(field contacts-show1 contacts)
	if [ "$got" = "mailto:a@example.com, mailto:b@example.com" ]; then
		ok "contacts: account show lists both contacts"
	else
		not_ok "contacts: account show lists both contacts (got '$got')"
		show_run contacts-show1
	fi
	run contacts-clear account update
	check_exit contacts-clear 0 "contacts: account update without --contact exits 0"
	check "contacts: no warning when the CA cleared the contacts" \
	    test ! -s "$T/contacts-clear.err"
	run contacts-show2 account show
	got=$(field contacts-show2 contacts)
	if [ "$got" = "(none)" ]; then
		ok "contacts: account show says (none) after removing them"
	else
		not_ok "contacts: account show says (none) after removing them (got '$got')"
		show_run contacts-show2
	fi
}

# 4. Deactivation.
scenario_deactivate() {
	local s=$T/deact again=$T/deact-again n
	STATE=$s
	new_account "$s" deact-new
	check_exit deact-new 0 "deactivate: account new exits 0"
	run deact-noyes account deactivate
	check_exit deact-noyes 2 "deactivate: without --yes exits 2"
	run deact-show account show
	check "deactivate: without --yes the account stays valid" \
	    test "$rc" = 0 -a "$(field deact-show status)" = valid
	run deact account deactivate --yes
	check_exit deact 0 "deactivate: --yes exits 0"
	fresh n
	issue deact-issue "$T/deact-out" "$n"
	check_exit deact-issue 1 "deactivate: issue afterwards exits 1"
	check_says deact-issue deactivated "deactivate: issue's message says the account was deactivated"

	# Not just a local note: the CA refuses the key too, seen from a state
	# dir that has the key but no record of the account.
	mkdir -m 700 "$again"
	cp -p "$(account_dir "$s")/account-key.pem" "$again/account-key.pem"
	STATE=$again
	run deact-again account show
	check_exit deact-again 1 "deactivate: account show with the key from a fresh state dir exits 1"
	check_says deact-again deactivated "deactivate: the CA says the account is deactivated"
	STATE=$s
}

# 5. and 8. Revocation with the account key.
scenario_revoke_account() {
	local s=$T/rev out=$T/rev-out n serial
	STATE=$s
	fresh n
	issue rev-issue "$out" "$n" -- --agree-tos
	check_issued rev-issue "$out" "revoke: issue a certificate to revoke"
	serial=$(serial_of "$out/cert.pem")

	run rev-bogus revoke "$out/cert.pem" --reason bogus
	check_exit rev-bogus 2 "revoke: --reason bogus exits 2"

	# A file where the record directory belongs: the revocation counts,
	# and a warning says it was not recorded.
	: >"$s/revoked"
	run rev revoke "$out/cert.pem" --reason superseded
	check_exit rev 0 "revoke: revoke CERT --reason superseded exits 0"
	check_says_fixed rev "warning: revoked, but not recorded: cannot create directory $s/revoked" \
	    "revoke: warns that the revocation was not recorded"
	check_revoked "revoke: pebble says serial $serial is Revoked, reason 4 (superseded)" "$serial" 4

	# Run again once the directory can be made: already revoked, and
	# recorded now, so that renew replaces the certificate.
	rm -f "$s/revoked"
	run rev-again revoke "$out/cert.pem" --reason superseded
	check_exit rev-again 0 "revoke: revoking again exits 0"
	check_says rev-again 'already revoked' "revoke: revoking again says already revoked"
	check "revoke: the revocation the CA had already made is recorded in STATE/revoked ($(ls "$s/revoked" 2>/dev/null | tr '\n' ' '))" \
	    test -n "$(ls "$s/revoked" 2>/dev/null)"
}

# 6. Revocation with the certificate's key, from an empty state dir.
scenario_revoke_certkey() {
	local s=$T/revkey out=$T/revkey-out n serial wrong=$T/wrong-key.pem
	STATE=$s
	fresh n
	issue revkey-issue "$out" "$n" -- --agree-tos
	check_issued revkey-issue "$out" "revoke --key: issue a certificate to revoke"
	serial=$(serial_of "$out/cert.pem")

	# A key that is not the certificate's: refused before any request.
	new_ec_key "$wrong"
	STATE=$(mktemp -d "$T/empty.XXXXXX")/none
	run revkey-wrong revoke "$out/cert.pem" --key "$wrong" --reason keyCompromise
	check_exit revkey-wrong 1 "revoke --key: a key that does not match exits 1"
	check_says_fixed revkey-wrong "$wrong" \
	    "revoke --key: the message names the key file ($wrong)"
	cert_status_json "$serial" "$T/revkey-wrong.json"
	check "revoke --key: the certificate is still valid after the refused key" \
	    test "$(json_get "$T/revkey-wrong.json" Status)" = Valid

	STATE=$(mktemp -d "$T/empty.XXXXXX")/none
	run revkey revoke "$out/cert.pem" --key "$out/privkey.pem" --reason keyCompromise
	check_exit revkey 0 "revoke --key: from an empty state dir exits 0"
	check_revoked "revoke --key: pebble says serial $serial is Revoked, reason 1 (keyCompromise)" "$serial" 1
	check "revoke --key: no account key was created in the empty state dir" \
	    test ! -e "$STATE/account-key.pem"
	check "revoke --key: the revocation is recorded in revoked/$serial" \
	    test -s "$STATE/revoked/$serial"
	STATE=$s
}

# 12. Retired keys never come back: a key revoked for keyCompromise (with
# either key) and an account key a rollover replaced are refused as a
# certificate key, in a CSR, as the new account key; so is the account key
# as a certificate key.  A key acmec keeps gives way to a new one.
scenario_retired() {
	local s=$T/ret out=$T/ret-out n n2 leaked=$T/ret-leaked.pem id current acct
	local keep=()
	# Where each renewal makes a new key, only a key kept on purpose
	# (--reuse-key) can turn out to be retired.
	"$ACMEC" issue --help 2>&1 | grep -q -- --reuse-key && keep=(--reuse-key)
	STATE=$s
	fresh n
	issue ret-issue "$out" "$n" -- --agree-tos
	check_issued ret-issue "$out" "retired: issue a certificate whose key leaks"
	cp "$out/privkey.pem" "$leaked"
	id=$(key_id "$leaked")

	run ret-revoke revoke "$out/cert.pem" --key "$out/privkey.pem" --reason keyCompromise
	check_exit ret-revoke 0 "retired: revoke --key --reason keyCompromise exits 0"
	check "retired: $s/retired-keys holds the key's SHA-256 ($id), mode 0600" \
	    test "$(retired "$s" "$id" && mode_of "$s/retired-keys")" = 600
	check_says ret-revoke 'is retired.*never uses it again' \
	    "retired: revoke says the key is retired"

	issue ret-renew "$out" "$n" -- "${keep[@]}"
	check_issued ret-renew "$out" "retired: issuing again after the revocation exits 0"
	check_says ret-renew 'is a retired key.*making a new key instead' \
	    "retired: issue says the key in place is retired and a new one is made"
	check "retired: the new privkey.pem is another key" \
	    test "$(key_id "$out/privkey.pem")" != "$id"
	check "retired: the new certificate is for the new key" \
	    test "$(cert_key_id "$out/cert.pem")" = "$(key_id "$out/privkey.pem")"

	# The leaked key turns up again as the key in place.
	current=$(readlink -f "$out/privkey.pem")
	cp "$leaked" "$current"
	issue ret-planted "$out" "$n" -- "${keep[@]}"
	check_issued ret-planted "$out" "retired: a planted retired privkey.pem: issue exits 0"
	check_says ret-planted 'is a retired key.*making a new key instead' \
	    "retired: the planted key is replaced, and the message says so"
	check "retired: the planted key is not in use" \
	    test "$(cert_key_id "$out/cert.pem")" != "$id"

	fresh n2
	csr_for "$leaked" "$n2" "$T/ret-leaked.csr"
	issue ret-csr "$T/ret-csr-out" -- --csr "$T/ret-leaked.csr"
	check_exit ret-csr 1 "retired: --csr with a retired key exits 1"
	check_says ret-csr 'retired key.*make a new key and a CSR' \
	    "retired: the message says the CSR's key is retired and what to do"
	check "retired: nothing was written for the refused CSR" test ! -e "$T/ret-csr-out/cert.pem"

	# The account key as a certificate key.
	acct=$(account_dir "$s")/account-key.pem
	csr_for "$acct" "$n2" "$T/ret-acct.csr"
	issue ret-acct-csr "$T/ret-csr-out" -- --csr "$T/ret-acct.csr"
	check_exit ret-acct-csr 1 "retired: --csr with the account key exits 1"
	check_says ret-acct-csr 'is the account key.*never be an account key' \
	    "retired: the message says a certificate key must never be the account key"
	cp "$acct" "$(readlink -f "$out/privkey.pem")"
	issue ret-acct-key "$out" "$n" -- "${keep[@]}"
	check_issued ret-acct-key "$out" "retired: the account key as privkey.pem: issue exits 0"
	check_says ret-acct-key 'is the account key.*making a new key instead' \
	    "retired: the account key in place is replaced, and the message says so"
	check "retired: the certificate is not for the account key" \
	    test "$(cert_key_id "$out/cert.pem")" != "$(key_id "$acct")"

	# Revoked for keyCompromise with the account key: retired too.
	id=$(key_id "$out/privkey.pem")
	run ret-revoke-acct revoke "$out/cert.pem" --reason keyCompromise
	check_exit ret-revoke-acct 0 "retired: revoke --reason keyCompromise (account key) exits 0"
	check "retired: that key is recorded as retired too" retired "$s" "$id"
	check_says ret-revoke-acct 'signed with the account key' \
	    "retired: revoke says the account key signed, so the CA need not block the key"
	issue ret-renew2 "$out" "$n" -- "${keep[@]}"
	check "retired: issuing again makes a new key" \
	    test "$rc" = 0 -a "$(key_id "$out/privkey.pem")" != "$id"

	# A rollover retires the old account key: never the new one again,
	# and never back in place.
	id=$(key_id "$acct")
	cp -p "$acct" "$T/ret-old-acct.pem"
	run ret-roll account rollover
	check_exit ret-roll 0 "retired: account rollover exits 0"
	check "retired: the old account key is recorded as retired" retired "$s" "$id"
	run ret-roll-back account rollover --new-key "$T/ret-old-acct.pem"
	check_exit ret-roll-back 1 "retired: rollover --new-key to the old key exits 1"
	check_says ret-roll-back 'new key is a retired key.*another --new-key' \
	    "retired: the message says the new key is retired and what to do"
	run ret-roll-leaked account rollover --new-key "$leaked"
	check_exit ret-roll-leaked 1 "retired: rollover --new-key to a revoked certificate key exits 1"
	cp -p "$T/ret-old-acct.pem" "$acct"
	run ret-old-back account show
	check_exit ret-old-back 1 "retired: the old account key put back in place is refused"
	check_says ret-old-back 'is a retired key.*account new --agree-tos' \
	    "retired: the message says the account key is retired and what to do"
}

# 11. No account at all: the commands that need one say how to make it,
# and make nothing themselves.
scenario_no_account() {
	local s=$T/noacct label
	STATE=$s
	for cmd in show update rollover "deactivate --yes"; do
		label=noacct-${cmd%% *}
		# shellcheck disable=SC2086 # "deactivate --yes" is two words
		run "$label" account $cmd
		check_exit "$label" 1 "no account: account $cmd exits 1"
		check_says_fixed "$label" "then run 'acmec account new --agree-tos'" \
		    "no account: account $cmd says to run acmec account new --agree-tos"
		if grep -q 're-run with' "$T/$label.err"; then
			not_ok "no account: account $cmd does not say re-run with --agree-tos"
			show_run "$label"
		else
			ok "no account: account $cmd does not say re-run with --agree-tos"
		fi
		check "no account: account $cmd made no account key" \
		    test ! -e "$(account_dir "$s")/account-key.pem"
	done
}

# 9. An interrupted rollover: a pending key the CA never heard of.
scenario_pending() {
	local s=$T/pending tp1 tp2
	STATE=$s
	new_account "$s" pending-new
	check_exit pending-new 0 "pending: account new exits 0"
	run pending-show1 account show
	tp1=$(field pending-show1 thumbprint)
	cp -p "$(account_dir "$s")/account-key.pem" "$T/pending-key-before.pem"

	new_ec_key "$(account_dir "$s")/account-key.pem.new"
	run pending account show
	check_exit pending 0 "pending: account show with a stray account-key.pem.new exits 0"
	tp2=$(field pending thumbprint)
	check "pending: it still uses the old key (thumbprint $tp2)" \
	    test -n "$tp1" -a "$tp1" = "$tp2"
	check "pending: account-key.pem.new is gone" test ! -e "$(account_dir "$s")/account-key.pem.new"
	check "pending: account-key.pem unchanged" \
	    cmp -s "$(account_dir "$s")/account-key.pem" "$T/pending-key-before.pem"
	check "pending: no backup key made" test -z "$(backups "$s")"
}

# 10. An interrupted rollover the CA did accept: the client died after the
# key change and before the rename.  Recreate that state by hand from a real
# rollover; the next run must find out and finish the job.
scenario_pending_accepted() {
	local s=$T/accepted tp_new tp
	STATE=$s
	new_account "$s" acc-new
	check_exit acc-new 0 "accepted: account new exits 0"
	cp -p "$(account_dir "$s")/account-key.pem" "$T/accepted-old.pem"
	run acc-roll account rollover
	check_exit acc-roll 0 "accepted: account rollover exits 0"
	run acc-show1 account show
	tp_new=$(field acc-show1 thumbprint)
	# The state a crash between key change and rename leaves behind.
	mv "$(account_dir "$s")/account-key.pem" "$(account_dir "$s")/account-key.pem.new"
	cp -p "$T/accepted-old.pem" "$(account_dir "$s")/account-key.pem"
	rm -f "$(account_dir "$s")"/account-key.2*.pem "$s/retired-keys"

	run acc-show2 account show
	check_exit acc-show2 0 "accepted: account show after the crash exits 0"
	check_says acc-show2 'completing an interrupted' \
	    "accepted: the client says it completes the rollover"
	tp=$(field acc-show2 thumbprint)
	check "accepted: it now uses the new key (thumbprint $tp)" \
	    test -n "$tp_new" -a "$tp" = "$tp_new"
	check "accepted: account-key.pem.new is gone" test ! -e "$(account_dir "$s")/account-key.pem.new"
	check "accepted: the old key is kept as a backup" test -n "$(backups "$s")"
	check "accepted: the old key is recorded as retired" \
	    retired "$s" "$(key_id "$T/accepted-old.pem")"
}

# 12. --sandbox: off gives the key and network processes nothing to give
# up and says so under -v; require runs where auto has every layer
# (seccomp and Landlock, not under valgrind), and elsewhere stops with
# exit 1 naming what is missing, before anything is sent to the CA.
scenario_sandbox() {
	local s=$T/sandbox
	STATE=$s
	new_account "$s" sandbox-new
	check_exit sandbox-new 0 "sandbox: account new exits 0"
	# check_exit reads the last run's status: check each before the next.
	run sandbox-auto -v --sandbox=auto account show
	run sandbox-off -v --sandbox=off account show
	check_exit sandbox-off 0 "sandbox: account show --sandbox=off exits 0"
	run sandbox-require -v --sandbox=require account show
	check "sandbox: -v with --sandbox=off says key process: sandbox: off" \
	    grep -qxF "acmec: key process: sandbox: off" "$T/sandbox-off.err"
	check "sandbox: ... and network process: sandbox: off" \
	    grep -qxF "acmec: network process: sandbox: off" "$T/sandbox-off.err"
	if grep -q '^acmec: key process: .*landlock: yes.*seccomp: yes' \
	    "$T/sandbox-auto.err"; then
		check_exit sandbox-require 0 "sandbox: --sandbox=require with every layer there exits 0"
		check "... and -v says seccomp: yes" grep -q \
		    '^acmec: key process: .*seccomp: yes$' "$T/sandbox-require.err"
	else
		check_exit sandbox-require 1 "sandbox: --sandbox=require with a layer missing exits 1"
		check_says_fixed sandbox-require "; --sandbox=auto runs without it" \
		    "... saying what is missing and that --sandbox=auto runs without it"
		check "... before anything is sent to the CA (no request)" \
		    test "$(grep -cE '^acmec: (GET|HEAD|POST) ' \
		    "$T/sandbox-require.err")" = 0
	fi
}

# 7. External account binding: a CA restarted with EAB required.
scenario_eab() {
	local s=$T/eab n
	testca_stop
	if ! TESTCA_EAB=1 testca_start; then
		not_ok "eab: restart the test CA with TESTCA_EAB=1"
		return
	fi
	echo "# CA restarted with EAB required: $ACME_DIRECTORY (work dir $TESTCA_DIR)"
	echo "# EAB key $EAB_KID: $EAB_HMAC_KEY"
	if printf '%s' "$EAB_HMAC_KEY" | grep -qE '^[A-Za-z0-9_-]+$'; then
		ok "eab: the HMAC key testca exports is base64url (no +, /, =)"
	else
		not_ok "eab: the HMAC key testca exports is base64url (no +, /, =)"
	fi
	STATE=$s

	run eab-without account new --agree-tos
	check_exit eab-without 1 "eab: account new without EAB exits 1"
	check_says eab-without '--eab-kid' "eab: the message mentions --eab-kid"

	run eab-new account new --agree-tos --eab-kid "$EAB_KID" \
	    --eab-hmac-key "$EAB_HMAC_KEY"
	check_exit eab-new 0 "eab: account new with --eab-kid and --eab-hmac-key exits 0"
	check_says eab-new '^account: https://' "eab: account new prints the account URL"

	fresh n
	issue eab-issue "$T/eab-out" "$n"
	check_issued eab-issue "$T/eab-out" "eab: issue works with the EAB account"
}

scenario_rollover
scenario_retired
scenario_rollover_conflict
scenario_contacts
scenario_deactivate
scenario_revoke_account
scenario_revoke_certkey
scenario_no_account
scenario_pending
scenario_pending_accepted
scenario_sandbox
scenario_eab

# ------------------------------------------------------------ summary

summary
