#!/bin/bash
#
# cli.sh - acmec's command line without a CA: help and --help, one-line
# usage errors, options that conflict or do not apply, --contact checks.
# Every refused command line must be refused before anything is written
# or sent, so the runs point at a CA that does not exist and at a state
# dir that must not appear.
#
# Run by `make check` (automake sets srcdir to the top source dir and ACMEC
# to the built client), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/cli.sh
#
# Exit status: 0 all checks passed, 1 some failed.  One "ok"/"not ok" line
# per check, then "N passed, M failed".

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
ACMEC_RUN_TIMEOUT=${ACMEC_RUN_TIMEOUT:-30}

# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

resolve_client

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
# Nothing listens on port 1: a command that gets as far as the network
# fails with status 1, not 2.
ACME_DIRECTORY=https://127.0.0.1:1/directory
ACME_CA_BUNDLE=$T/no-ca.pem	# trusts nothing; a regular file, as acmec wants
: >"$ACME_CA_BUNDLE"
STATE=$T/state		# must never be created
unset ACMEC_EAB_HMAC_KEY	# the EAB checks below set it themselves

# raw LABEL ARGS...: the client with ARGS only (no global options added).
raw() {
	local label=$1
	shift
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" "$@" >"$T/$label.out" \
	    2>"$T/$label.err"
	rc=$?
	return 0
}

# check_usage LABEL TOPIC DESCRIPTION: the run printed a usage on stdout
# ("usage: acmec" first) that mentions TOPIC, nothing on stderr, exit 0.
check_usage() {
	if [ "$rc" = 0 ] && [ ! -s "$T/$1.err" ] &&
	    [ "$(head -c 12 "$T/$1.out")" = "usage: acmec" ] &&
	    grep -q -- "$2" "$T/$1.out"; then
		ok "$3"
	else
		not_ok "$3"
		show_run "$1"
	fi
}

# check_refused LABEL MESSAGE HELP DESCRIPTION: exit 2, nothing on stdout,
# and exactly two lines on stderr: "acmec: MESSAGE" and the hint to run
# 'acmec help HELP' ('acmec help' if HELP is empty).
check_refused() {
	local hint="run 'acmec help${3:+ $3}' for usage"
	if [ "$rc" = 2 ] && [ ! -s "$T/$1.out" ] &&
	    [ "$(sed -n 1p "$T/$1.err")" = "acmec: $2" ] &&
	    [ "$(sed -n 2p "$T/$1.err")" = "$hint" ] &&
	    [ "$(wc -l <"$T/$1.err")" = 2 ]; then
		ok "$4"
	else
		not_ok "$4"
		{ echo "want: acmec: $2"; echo "      $hint"; } | diag
		show_run "$1"
	fi
}

# refused LABEL MESSAGE HELP ARGS...: run ARGS (after the global options
# of run) and check_refused, and that the state dir was not created.
refused() {
	local label=$1 msg=$2 help=$3
	shift 3
	run "$label" "$@"
	check_refused "$label" "$msg" "$help" "refused: $*"
	if [ -e "$STATE" ]; then
		not_ok "$label: nothing written to the state dir"
		rm -rf "$STATE"
	fi
}

# ------------------------------------------------------------ help

raw help help
check_usage help 'COMMAND' "acmec help prints the usage, exits 0"
check "acmec help lists every command" \
    test "$(grep -cE '^  (issue|account|revoke|help) ' "$T/help.out")" = 4
raw help-h --help
check "acmec --help prints the same as acmec help" cmp -s "$T/help.out" "$T/help-h.out"
raw help-short -h
check "acmec -h prints the same as acmec help" cmp -s "$T/help.out" "$T/help-short.out"

for cmd in issue account revoke renew status help; do
	raw "help-$cmd" help "$cmd"
	check_usage "help-$cmd" "$cmd" "acmec help $cmd prints its usage, exits 0"
	raw "$cmd-help" "$cmd" --help
	check_usage "$cmd-help" "$cmd" "acmec $cmd --help prints its usage, exits 0"
	check "acmec $cmd --help is acmec help $cmd" \
	    cmp -s "$T/help-$cmd.out" "$T/$cmd-help.out"
	raw "$cmd-h" "$cmd" -h
	check_usage "$cmd-h" "$cmd" "acmec $cmd -h prints its usage, exits 0"
done
for sub in show new update rollover deactivate; do
	raw "account-$sub-help" account "$sub" --help
	check_usage "account-$sub-help" "account $sub" \
	    "acmec account $sub --help prints the account usage, exits 0"
done
raw revoke-help-late revoke cert.pem --help
check_usage revoke-help-late revoke "acmec revoke CERT --help prints the usage"

# Each option of a synopsis has its line in the option list below it.
for label in help help-issue help-account help-revoke help-renew \
    help-status; do
	missing=$(sed -n '/^usage:/,/^$/p;/^options:/q' "$T/$label.out" |
	    grep -oE -- '--[a-z-]+' | sort -u | while read -r opt; do
		grep -qE "^  (-[a-z], )?$opt( |\$)" "$T/$label.out" ||
		    printf '%s ' "$opt"
	    done)
	check "$label: an option list with a line for each option of the synopsis (missing: $missing)" \
	    test -z "$missing" -a -n "$(grep '^options:' "$T/$label.out")"
done

for label in help help-issue help-account help-revoke help-renew \
    help-status help-help; do
	if awk 'length > 80 { exit 1 }' "$T/$label.out"; then
		ok "$label: no line longer than 80 columns"
	else
		not_ok "$label: no line longer than 80 columns"
		awk 'length > 80' "$T/$label.out" | diag
	fi
done

raw version --version
check "acmec --version prints the version, exits 0" \
    test "$rc" = 0 -a -n "$(grep -E '^acmec [0-9]' "$T/version.out")"

# ------------------------------------------------------------ usage errors

raw none
check_refused none "no command given" "" "acmec without a command"
raw frob frob
check_refused frob "unknown command frob" "" "unknown command"
raw help-frob help frob
check_refused help-frob "unknown command frob" "" "acmec help frob"
raw help-two help issue revoke
check_refused help-two "help takes one command, not 2" help "acmec help with two commands"
raw bad-global --frob help
check_refused bad-global "unknown option --frob" "" "unknown global option"
raw no-value --state-dir
check_refused no-value "--state-dir needs a value" "" "global option without its value"
raw timeout --timeout 0 help
check_refused timeout "--timeout 0: give 1 to 3600 seconds" "" "--timeout 0"
raw sandbox-on --sandbox=on help
check_refused sandbox-on "--sandbox: unknown mode 'on'; give auto, require or off" "" \
    "--sandbox=on"
raw sandbox-case --sandbox OFF help
check_refused sandbox-case "--sandbox: unknown mode 'OFF'; give auto, require or off" "" \
    "--sandbox OFF (modes are lower case)"
raw sandbox-empty --sandbox= help
check_refused sandbox-empty "--sandbox needs a value, not an empty string" "" \
    "--sandbox="
raw sandbox-twice --sandbox=off --sandbox off help
check_refused sandbox-twice "--sandbox given twice; give it once" "" "--sandbox twice"
for mode in auto require off; do
	raw "sandbox-$mode" --sandbox="$mode" help
	check_usage "sandbox-$mode" COMMAND "--sandbox=$mode is accepted"
done

# ------------------------------------------------------------ empty values

# An empty value means nothing to any option, and an empty path would
# name the root (STATE_DIR/accounts is /accounts) or the current
# directory: refused before anything is written, whatever the option.
raw empty-state --state-dir "" account show
check_refused empty-state "--state-dir needs a value, not an empty string" "" \
    "--state-dir \"\""
raw empty-state-eq --state-dir= renew
check_refused empty-state-eq "--state-dir needs a value, not an empty string" "" \
    "--state-dir="
raw empty-bundle --ca-bundle "" account show
check_refused empty-bundle "--ca-bundle needs a value, not an empty string" "" \
    "--ca-bundle \"\""
refused empty-out "issue: --out needs a value, not an empty string" issue \
    issue -d a.example -w "$T" --out ""
refused empty-out-eq "issue: --out needs a value, not an empty string" issue \
    issue -d a.example -w "$T" --out=
refused empty-webroot "issue: -w needs a value, not an empty string" issue \
    issue -d a.example -w ""
refused empty-renew-c "renew: -c needs a value, not an empty string" renew \
    renew -c ""
refused empty-status-c "status: --config needs a value, not an empty string" status \
    status --config ""
refused empty-key "revoke: --key needs a value, not an empty string" revoke \
    revoke cert.pem --key ""
refused empty-contact "account update: --contact needs a value, not an empty string" \
    account account update --contact ""

# ------------------------------------------------------------ conflicts

raw staging --staging --directory https://ca.test/dir help
check_refused staging "--staging and --directory exclude each other" "" \
    "--staging with --directory"
raw staging2 --directory https://ca.test/dir --staging help
check_refused staging2 "--staging and --directory exclude each other" "" \
    "--directory with --staging"
raw vq -v -q help
check_refused vq "-v and -q exclude each other" "" "-v with -q"
raw qv --quiet --verbose help
check_refused qv "-v and -q exclude each other" "" "--quiet with --verbose"
raw dir2 --directory https://a.test/ --directory https://b.test/ help
check_refused dir2 "--directory given twice; give it once" "" "--directory twice"

# ------------------------------------------------------------ account

refused acct-none "account needs a command first: show, new, update, rollover or deactivate" \
    account account
refused acct-frob "unknown account command frob (show, new, update, rollover or deactivate)" \
    account account frob
refused acct-new "account new needs --agree-tos (read the CA's terms of service first)" \
    account account new --contact mailto:admin@example.com
refused acct-keytype "account new: --key-type applies to account rollover only" \
    account account new --agree-tos --key-type ec-384
refused acct-show-contact "account show: --contact applies to account new and account update only" \
    account account show --contact mailto:a@example.com
refused acct-update-agree "account update: --agree-tos applies to account new only" \
    account account update --agree-tos
refused acct-newkey "account update: --new-key applies to account rollover only" \
    account account update --new-key "$T/key.pem"
refused acct-yes "account rollover: --yes applies to account deactivate only" \
    account account rollover --yes
refused acct-eab "account update: --eab-kid applies to account new only" \
    account account update --eab-kid kid --eab-hmac-key a2V5
refused acct-eab-half "account new: --eab-kid needs the HMAC key: --eab-hmac-key-file FILE, ACMEC_EAB_HMAC_KEY in the environment, or --eab-hmac-key KEY" \
    account account new --agree-tos --eab-kid kid
refused acct-eab-nokid "account new: --eab-kid and --eab-hmac-key go together; give both" \
    account account new --agree-tos --eab-hmac-key-file "$T/eab"
refused acct-eab-both "account new: --eab-hmac-key and --eab-hmac-key-file exclude each other" \
    account account new --agree-tos --eab-kid kid --eab-hmac-key a2V5 \
    --eab-hmac-key-file "$T/eab"
refused acct-eab-file "account update: --eab-hmac-key-file applies to account new only" \
    account account update --eab-hmac-key-file "$T/eab"
refused acct-roll-both "account rollover: --key-type and --new-key exclude each other" \
    account account rollover --key-type ec-384 --new-key "$T/key.pem"
refused acct-roll-type "account rollover: unknown --key-type ec-999 (ec-256, ec-384, rsa-2048, rsa-3072 or rsa-4096)" \
    account account rollover --key-type ec-999
refused acct-roll-twice "account rollover: --new-key given twice; give it once" \
    account account rollover --new-key a.pem --new-key b.pem
refused acct-deact "account deactivate cannot be undone; add --yes to confirm" \
    account account deactivate
refused acct-unknown "account show: unknown option --frob" \
    account account show --frob
refused acct-novalue "account update: --contact needs a value" \
    account account update --contact
refused acct-extra "account show: unexpected argument extra" \
    account account show extra

# ------------------------------------------------------------ contacts

refused contact-bare "--contact admin@example.com: a contact is a mailto: URL, e.g. mailto:admin@example.com" \
    account account new --agree-tos --contact admin@example.com
refused contact-utf8 "--contact mailto:?@x.test: not valid UTF-8; give the address in UTF-8" \
    account account update --contact $'mailto:\xff@x.test'
refused contact-overlong "--contact mailto:a??@x.test: not valid UTF-8; give the address in UTF-8" \
    account account update --contact $'mailto:a\xc0\xaf@x.test'
refused contact-comma "--contact mailto:a@x.test,b@x.test: one address per --contact; repeat --contact for more" \
    account account update --contact mailto:a@x.test,b@x.test
refused contact-space "--contact mailto:a b@x.test: contains a space; give one address without spaces" \
    account account update --contact 'mailto:a b@x.test'
refused contact-ctl "--contact mailto:a@x.test?: contains a control character; remove it" \
    account account update --contact $'mailto:a@x.test\n'
refused contact-second "--contact mailto:: not an e-mail address; give mailto:NAME@DOMAIN" \
    account account new --agree-tos --contact mailto:a@x.test --contact mailto:

# ------------------------------------------------------------ revoke

refused revoke-none "revoke needs the certificate file" revoke revoke
refused revoke-two "revoke: one certificate file, not a.pem and b.pem" revoke \
    revoke a.pem b.pem
refused revoke-reason "revoke: unknown --reason bogus (unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation)" \
    revoke revoke cert.pem --reason bogus
refused revoke-novalue "revoke: --key needs a value" revoke revoke cert.pem --key
refused revoke-key-section "revoke: --key goes with a certificate file; for a SECTION or OUTDIR (example.com) acmec uses its privkey.pem" \
    revoke revoke example.com --key k.pem --reason keyCompromise
refused revoke-noreplace-file "revoke: --no-replace applies to a SECTION or OUTDIR, not to a certificate file ($0)" \
    revoke revoke "$0" --no-replace
refused revoke-twice "revoke: --reason given twice; give it once" revoke \
    revoke cert.pem --reason superseded --reason keyCompromise

# ------------------------------------------------------------ issue --memcached

refused mc-and-w "issue: -w and --memcached exclude each other: give the webroot or the memcached servers" \
    issue issue -d a.example -w /var/www/html --memcached 127.0.0.1:11211
refused mc-noport "issue: --memcached localhost: no port; give HOST:PORT, e.g. 127.0.0.1:11211" \
    issue issue -d a.example --memcached localhost
refused mc-ipv6 "issue: --memcached ::1:11211: put an IPv6 address in brackets, e.g. [::1]:11211" \
    issue issue -d a.example --memcached ::1:11211
refused mc-none "issue: -w WEBROOT is missing (the directory your web server serves; or --memcached HOST:PORT)" \
    issue issue -d a.example

# Nothing listens on 127.0.0.1:1 either: the sink's check fails before
# the CA is asked (its directory is unreachable too, with another message).
# ACMEC_MEMCACHED (yes or no) comes from make check; by hand, ask acmec.
run mc-down issue -d a.example --memcached 127.0.0.1:1
if [ "${ACMEC_MEMCACHED:-}" = no ] ||
    { [ -z "${ACMEC_MEMCACHED:-}" ] && grep -q 'without memcached' "$T/mc-down.err"; }; then
	check_exit mc-down 1 "a build without memcached refuses --memcached with status 1"
	check "... and says to configure --with-memcached" grep -qxF \
	    "acmec: acmec was built without memcached support (configure --with-memcached)" \
	    "$T/mc-down.err"
	check "... before writing anything" test ! -e "$STATE"
else
	check_exit mc-down 1 "issue --memcached with the server down exits 1"
	check "... naming the server, before the CA is asked" grep -qF \
	    "memcached 127.0.0.1:1: connection refused (storing a probe key); nothing was ordered" \
	    "$T/mc-down.err"
fi
rm -rf "$STATE"

# ------------------------------------------------------------ issue keys

refused key-both "issue: --new-key and --reuse-key exclude each other" \
    issue issue -d a.example -w "$T" --new-key --reuse-key
refused key-csr "issue: --new-key and --reuse-key do not apply to --csr (the CSR brings its own key)" \
    issue issue --csr "$T/a.csr" -w "$T" --reuse-key
raw help-keys issue --help
check "issue --help shows --new-key | --reuse-key" \
    grep -qF -- '[--new-key | --reuse-key]' "$T/help-keys.out"

# An option of one value given twice is refused, not the last one taken;
# a name that is none says so in the two lines of every usage error.
refused issue-out-twice "issue: --out given twice; give it once" issue \
    issue -d a.example -w "$T" --out "$T/x" --out "$T/y"
refused issue-type-twice "issue: --key-type given twice; give it once" issue \
    issue -d a.example -w "$T" --key-type ec-256 --key-type rsa-2048
refused issue-kid-twice "issue: --eab-kid given twice; give it once" issue \
    issue -d a.example -w "$T" --eab-kid a --eab-kid b --eab-hmac-key a2V5
refused issue-bad-name "issue: a_b.example is not a domain name http-01 can prove (no wildcards; give international names in xn-- form)" \
    issue issue -d a_b.example -w "$T"
refused renew-c-twice "renew: -c given twice; give it once" renew \
    renew -c a.conf -c b.conf
refused status-c-twice "status: -c given twice; give it once" status \
    status -c a.conf -c b.conf
refused revoke-c-twice "revoke: -c given twice; give it once" revoke \
    revoke example.com -c a.conf -c b.conf

# ------------------------------------------------------------ issue EAB

refused issue-eab-half "issue: --eab-kid needs the HMAC key: --eab-hmac-key-file FILE, ACMEC_EAB_HMAC_KEY in the environment, or --eab-hmac-key KEY" \
    issue issue -d a.example -w "$T" --eab-kid kid
refused issue-eab-both "issue: --eab-hmac-key and --eab-hmac-key-file exclude each other" \
    issue issue -d a.example -w "$T" --eab-kid kid --eab-hmac-key a2V5 \
    --eab-hmac-key-file "$T/eab"

# The key from the environment: a bad one is refused (so it was read,
# before the state dir is touched), a good one gets as far as the network.
ACMEC_EAB_HMAC_KEY='not base64!' run eab-env-bad account new --agree-tos --eab-kid kid
check_exit eab-env-bad 1 "a bad ACMEC_EAB_HMAC_KEY is refused with status 1"
check "... naming the variable, never the key" grep -qxF \
    "acmec: account new: ACMEC_EAB_HMAC_KEY: the EAB HMAC key is not base64url (letters, digits, - and _, no padding): give the key the CA gave you" \
    "$T/eab-env-bad.err"
check "... before writing anything" test ! -e "$STATE"
ACMEC_EAB_HMAC_KEY=c2VjcmV0 run eab-env account new --agree-tos --eab-kid kid
check_exit eab-env 1 "ACMEC_EAB_HMAC_KEY stands for --eab-hmac-key (fails on the network)"
check "... and is not refused" test "$(grep -c 'HMAC\|usage' "$T/eab-env.err")" = 0
rm -rf "$STATE"

# A key file others may read is used with a warning: its first line.
printf 'c2VjcmV0\nsecond line ignored\n' >"$T/eab"
chmod 644 "$T/eab"
run eab-file-644 issue -d a.example -w "$T" --eab-kid kid --eab-hmac-key-file "$T/eab"
check_exit eab-file-644 1 "--eab-hmac-key-file mode 0644 gets past the checks (fails on the network)"
check "... with a warning saying chmod 600" grep -qxF \
    "acmec: warning: $T/eab can be read or written by other users (mode 0644); chmod 600 $T/eab" \
    "$T/eab-file-644.err"
rm -rf "$STATE"
chmod 600 "$T/eab"
run eab-file-600 issue -d a.example -w "$T" --eab-kid kid --eab-hmac-key-file "$T/eab"
check "--eab-hmac-key-file mode 0600: no warning" \
    test "$(grep -c warning "$T/eab-file-600.err")" = 0
rm -rf "$STATE"
printf 'not base64!\n' >"$T/eab-bad"
run eab-file-bad issue -d a.example -w "$T" --eab-kid kid --eab-hmac-key-file "$T/eab-bad"
check_exit eab-file-bad 1 "a key file whose first line is not base64url is refused"
check "... naming the file" grep -qxF \
    "acmec: $T/eab-bad: the EAB HMAC key is not base64url (letters, digits, - and _, no padding): give the key the CA gave you" \
    "$T/eab-file-bad.err"
mkfifo "$T/eab-fifo"
run eab-fifo issue -d a.example -w "$T" --eab-kid kid --eab-hmac-key-file "$T/eab-fifo"
check_exit eab-fifo 1 "a FIFO as --eab-hmac-key-file is refused at once"
check "... saying it is a FIFO" grep -qxF \
    "acmec: $T/eab-fifo is not a regular file (a FIFO); acmec reads only regular files: give the path of one" \
    "$T/eab-fifo.err"
check "... before writing anything" test ! -e "$STATE"

# ------------------------------------------------------------ issue --csr

# Each is refused before the CA is asked (and before the state dir is
# made): a FIFO (read, it would hang the run), weak keys, unsafe names.
mkfifo "$T/fifo.csr"
run csr-fifo issue --csr "$T/fifo.csr" -w "$T"
check_exit csr-fifo 1 "a FIFO as --csr is refused at once with status 1"
check "... saying it is a FIFO" grep -qxF \
    "acmec: $T/fifo.csr is not a regular file (a FIFO); acmec reads only regular files: give the path of one" \
    "$T/csr-fifo.err"
check "... before writing anything" test ! -e "$STATE"

# csr_refused LABEL FILE MESSAGE DESCRIPTION: issue --csr FILE exits 1
# with "acmec: MESSAGE", writes nothing, and makes no directory x.
csr_refused() {
	run "$1" issue --csr "$2" -w "$T/www"
	check_exit "$1" 1 "$4: exit 1"
	if grep -qxF "acmec: $3" "$T/$1.err"; then
		ok "$4: the message"
	else
		not_ok "$4: the message"
		echo "want: acmec: $3" | diag
		show_run "$1"
	fi
	check "$4: nothing written, no directory x" \
	    test ! -e "$STATE" -a ! -e "$T/x" -a ! -e "$T/www/x" -a ! -e x
}

if command -v openssl >/dev/null 2>&1; then
	mkdir "$T/www"
	# newcsr NAME KEYOPTS... : $T/NAME.csr for a.example, a new key.
	newcsr() {
		local name=$1
		shift
		openssl req -new -nodes -subj /CN=a.example \
		    -addext subjectAltName=DNS:a.example "$@" \
		    -keyout "$T/$name.key" -out "$T/$name.csr" 2>/dev/null
	}
	newcsr rsa1024 -newkey rsa:1024
	csr_refused csr-rsa1024 "$T/rsa1024.csr" \
	    "$T/rsa1024.csr: the CSR's key is a 1024-bit RSA key; only RSA (2048 bits or more) and EC P-256/P-384 keys are supported" \
	    "an RSA-1024 CSR"
	if newcsr k256 -newkey ec -pkeyopt ec_paramgen_curve:secp256k1; then
		csr_refused csr-k256 "$T/k256.csr" \
		    "$T/k256.csr: the CSR's key is an EC key on secp256k1; only RSA (2048 bits or more) and EC P-256/P-384 keys are supported" \
		    "a secp256k1 CSR"
	fi
	newcsr p521 -newkey ec -pkeyopt ec_paramgen_curve:P-521
	csr_refused csr-p521 "$T/p521.csr" \
	    "$T/p521.csr: the CSR's key is an EC key on secp521r1; only RSA (2048 bits or more) and EC P-256/P-384 keys are supported" \
	    "a P-521 CSR"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -subj /CN=x -addext "subjectAltName=DNS:../../x" \
	    -keyout "$T/dotdot.key" -out "$T/dotdot.csr" 2>/dev/null
	csr_refused csr-dotdot "$T/dotdot.csr" \
	    "$T/dotdot.csr: ../../x is not a domain name http-01 can prove (no wildcards; give international names in xn-- form)" \
	    "a CSR for ../../x"
	(cd "$T/www" && run csr-dotdot-rel issue --csr ../dotdot.csr -w .)
	check "a CSR for ../../x, run in the webroot: no directory x anywhere" \
	    test -z "$(find "$T" -name x)"
else
	echo "# no openssl: the --csr key and name checks are skipped" | diag
fi

# ------------------------------------------------------------ --ca-bundle

mkfifo "$T/bundle-fifo"
ACME_CA_BUNDLE=$T/bundle-fifo run bundle-fifo account new --agree-tos
check_exit bundle-fifo 1 "a FIFO as --ca-bundle is refused at once with status 1"
check "... saying it is a FIFO" grep -qxF \
    "acmec: account new: --ca-bundle: $T/bundle-fifo is not a regular file (a FIFO); acmec reads only regular files: give the path of one" \
    "$T/bundle-fifo.err"
rm -rf "$STATE"

# ------------------------------------------------------------ renew

# Two sections for one directory (as typed or with a trailing slash), or
# one section named twice, would wait on their own lock and share one
# record: refused before anything is done, naming both.
dup_conf() {
	cat >"$T/dup.conf" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE

[a]
names = a.example.com
webroot = $T
out = $T/o

[b]
names = b.example.com
webroot = $T
out = $1
EOF
}
dup_conf "$T/o/"
refused renew-dup-out "renew: [a] and [b] both write to $T/o/: give each section an out of its own" renew \
    renew -c "$T/dup.conf"
run status-dup-out status -c "$T/dup.conf"
check_exit status-dup-out 2 "status with two sections for one directory: exit 2, as renew"
dup_conf "$T/p"
refused renew-dup-section "renew: section [a] is named twice" renew \
    renew -c "$T/dup.conf" a a

# The config's sandbox is checked as --sandbox is, naming file and line.
printf '[acmec]\nsandbox = on\n' >"$T/sandbox.conf"
run renew-sandbox-on renew -c "$T/sandbox.conf"
check_exit renew-sandbox-on 2 "renew with sandbox = on in the config: usage error"
check "... naming the file, the line, the key and the modes" grep -qxF \
    "acmec: $T/sandbox.conf:2: [acmec] sandbox: unknown mode 'on'; give auto, require or off" \
    "$T/renew-sandbox-on.err"
check "... before writing anything" test ! -e "$STATE"

# ------------------------------------------------------------ not refused

# A valid command line gets as far as the network (status 1, not 2).
run reach account new --agree-tos --contact mailto:admin@example.com
check_exit reach 1 "a valid account new gets past the checks (fails on the network)"
rm -rf "$STATE"
run reach-sandbox-off --sandbox=off account new --agree-tos
check_exit reach-sandbox-off 1 "--sandbox=off account new gets past the checks (fails on the network)"

summary
