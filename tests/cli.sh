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
ACME_CA_BUNDLE=/dev/null
STATE=$T/state		# must never be created

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

for cmd in issue account revoke help; do
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

# issue's usage is left to the rewrite of issue.
for label in help help-account help-revoke help-help; do
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
refused acct-eab-half "account new: --eab-kid and --eab-hmac-key go together; give both" \
    account account new --agree-tos --eab-kid kid
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

# ------------------------------------------------------------ not refused

# A valid command line gets as far as the network (status 1, not 2).
run reach account new --agree-tos --contact mailto:admin@example.com
check_exit reach 1 "a valid account new gets past the checks (fails on the network)"

summary
