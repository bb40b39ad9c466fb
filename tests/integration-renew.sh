#!/bin/bash
# integration-renew.sh - acmec renew and status against a real pebble and
# nginx: one config, several certificates, hooks, an immediate second run
# that does nothing, a change of names, a certificate that fails alone and
# backs off, two runs at once, status --json and the metrics file, a FIFO
# or a foreign link as cert.pem; a new key at each renewal but with
# reuse-key = yes.
set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

. "$srcdir/tests/lib/testca.sh"
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
resolve_client
PY=$(command -v python3) || exit 77

testca_start || { echo "could not start the test CA"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it-renew.XXXXXX") || exit 1
testca_atexit 'rm -rf "$T"'
STATE=$T/state
CONF=$T/acmec.conf
HOOKS=$T/hooks.log
UNSERVED=$T/unserved	# a directory nginx does not serve
mkdir -p "$UNSERVED"
: >"$HOOKS"

# Orders pebble made (a newOrder it refused for a bad nonce makes none).
new_orders() {
	grep -c -- 'Added order ".*" to the db' "$PEBBLE_LOG"
}

# The hooks append a line to $HOOKS: deploy NAME|OUT|NAMES, post, or
# failure ACMEC_FAILED (its ACMEC_FAILURES in $T/failures).
cat >"$T/deploy-hook" <<EOF
#!/bin/sh
echo "deploy \$ACMEC_NAME|\$ACMEC_OUT|\$ACMEC_NAMES" >>"$HOOKS"
EOF
cat >"$T/post-hook" <<EOF
#!/bin/sh
echo post >>"$HOOKS"
EOF
cat >"$T/failure-hook" <<EOF
#!/bin/sh
echo "failure \$ACMEC_FAILED" >>"$HOOKS"
printf '%s' "\$ACMEC_FAILURES" >"$T/failures"
EOF
cat >"$T/failing-hook" <<EOF
#!/bin/sh
echo failing >>"$HOOKS"
exit 3
EOF
chmod +x "$T/deploy-hook" "$T/post-hook" "$T/failure-hook" "$T/failing-hook"
FAILURE_HOOK=$T/failure-hook
POST_HOOK=$T/post-hook

fresh A; fresh B; fresh C; fresh B2; fresh C2
# write_conf [C's webroot] [B's extra name] [C's extra name]
write_conf() {
	cat >"$CONF" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
agree-tos = yes
contact = mailto:admin@example.com
parallel = 2
post-hook = $POST_HOOK
failure-hook = $FAILURE_HOOK
metrics-file = $T/acmec.prom

[a]
names = $A www.$A
webroot = $WEBROOT
deploy-hook = $T/deploy-hook

[b]
names = $B ${2:-}
webroot = $WEBROOT
deploy-hook = $T/deploy-hook
key-type = rsa-2048
reuse-key = yes

[c]
names = $C ${3:-}
webroot = ${1:-$WEBROOT}
deploy-hook = $T/deploy-hook
renew-before = 30d
EOF
}

renew() {
	local label=$1
	shift
	timeout "$ACMEC_RUN_TIMEOUT" "$ACMEC" "$@" >"$T/$label.out" \
	    2>"$T/$label.err"
	rc=$?
}
hook_lines() { grep -c "^$1" "$HOOKS"; }
# The SHA-256 of a key's or a certificate's SubjectPublicKeyInfo.
spki_of_key() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}
spki_of_cert() {
	openssl x509 -in "$1" -noout -pubkey 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1
}
sum_of() { sha256sum "$1"/*.pem 2>/dev/null | sha256sum; }

# 1. Three certificates from one config: all issued, each deploy hook once,
# the post-hook once; their requests share one HTTP/2 connection.
write_conf
before=$(new_orders)
renew first -v renew -c "$CONF"
check_exit first 0 "first run: exit 0"
for s in a b c; do
	check "first run: $s issued (STATE/live/$s/fullchain.pem)" \
	    test -s "$STATE/live/$s/fullchain.pem"
done
check "first run: three orders ($(($(new_orders) - before)))" \
    test "$(($(new_orders) - before))" = 3
check "first run: three deploy hooks ($(hook_lines deploy))" \
    test "$(hook_lines deploy)" = 3
check "first run: the deploy hook of a got ACMEC_NAME, ACMEC_OUT, ACMEC_NAMES" \
    grep -qxF "deploy $A|$STATE/live/a|$A www.$A" "$HOOKS"
check "first run: one post-hook ($(hook_lines post))" \
    test "$(hook_lines post)" = 1
check "first run: no failure-hook (all succeeded)" \
    test "$(hook_lines failure)" = 0
check "first run: the three orders shared one connection, over HTTP/2" \
    grep -q "answers over 1 new connection(s), the last over HTTP/2" \
    "$T/first.err"
check "first run: b has an RSA key" \
    sh -c "openssl x509 -in '$STATE/live/b/cert.pem' -noout -text | grep -q rsaEncryption"

# 2. At once again: nothing due, no order, nothing printed.
: >"$HOOKS"
before=$(new_orders)
renew second renew -c "$CONF"
check_exit second 0 "second run: exit 0"
check "second run: no order" test "$(new_orders)" = "$before"
check "second run: prints nothing (stdout is not a terminal)" \
    test ! -s "$T/second.out" -a ! -s "$T/second.err"
check "second run: no hook" test ! -s "$HOOKS"

# 3. b's names change: b alone is renewed, its hook alone runs.
write_conf "" "$B2"
a_sum=$(sum_of "$STATE/live/a")
before=$(new_orders)
renew names renew -c "$CONF"
check_exit names 0 "names changed: exit 0"
check "names changed: one order ($(($(new_orders) - before)))" \
    test "$(($(new_orders) - before))" = 1
check "names changed: b's certificate has $B2" \
    sh -c "openssl x509 -in '$STATE/live/b/cert.pem' -noout -ext subjectAltName | grep -qF '$B2'"
check "names changed: only b's deploy hook ran" \
    test "$(hook_lines deploy)" = 1 -a "$(grep -c "^deploy $B|" "$HOOKS")" = 1
check "names changed: a untouched" test "$(sum_of "$STATE/live/a")" = "$a_sum"
check "names changed: the reason is shown" grep -q "names changed" "$T/names.out"

# 4. c's webroot is not served: c fails alone, its files stay, the others
# are renewed (--force).  c gets a new name, which the CA must validate
# (pebble reuses authorizations it has seen valid).
write_conf "$UNSERVED" "$B2" "$C2"
c_sum=$(sum_of "$STATE/live/c")
a_sum=$(sum_of "$STATE/live/a")
a_key=$(spki_of_key "$STATE/live/a/privkey.pem")
b_key=$(spki_of_key "$STATE/live/b/privkey.pem")
: >"$HOOKS"
renew broken renew -c "$CONF" --force
check_exit broken 1 "c unserved: exit 1"
check "c unserved: c's files byte for byte intact (the old key with the old certificate)" \
    test "$(sum_of "$STATE/live/c")" = "$c_sum"
check "c unserved: a renewed" test "$(sum_of "$STATE/live/a")" != "$a_sum"
check "rotation: a got a new key (the default)" \
    test "$(spki_of_key "$STATE/live/a/privkey.pem")" != "$a_key"
check "rotation: a's new key is the key of its new certificate" \
    test "$(spki_of_key "$STATE/live/a/privkey.pem")" = "$(spki_of_cert "$STATE/live/a/cert.pem")"
check "reuse-key = yes: b kept its key" \
    test "$(spki_of_key "$STATE/live/b/privkey.pem")" = "$b_key"
check "reuse-key = yes: b's certificate is for that key" \
    test "$(spki_of_cert "$STATE/live/b/cert.pem")" = "$b_key"
check "c unserved: the error names the section and the CA's reason" \
    grep -qE '^acmec: c: .*(validation|unauthorized|connection|404)' "$T/broken.err"
check "c unserved: it says when the next attempt is" \
    grep -q 'next attempt after' "$T/broken.err"
check "c unserved: the post-hook ran once (a and b changed)" \
    test "$(hook_lines post)" = 1
check "c unserved: the failure-hook ran once, ACMEC_FAILED=c" \
    test "$(hook_lines failure)" = 1 -a "$(grep -c '^failure c$' "$HOOKS")" = 1
{ echo "ACMEC_FAILURES:"; cat "$T/failures" 2>/dev/null; } | diag
check "c unserved: ACMEC_FAILURES has one line: c, its names, the error" \
    sh -c "test \$(grep -c '' '$T/failures') = 1 &&
    grep -qE '^c \\($C $C2\\): .*(validation|unauthorized|connection|404)' '$T/failures'"

# 5. The next run skips c (backoff), with one line saying when.
before=$(new_orders)
renew backoff renew -c "$CONF"
check_exit backoff 1 "backoff: exit 1 (c is failing)"
check "backoff: no order" test "$(new_orders)" = "$before"
check "backoff: no failure-hook (c was not tried)" \
    test "$(hook_lines failure)" = 1
check "backoff: one line about c" \
    test "$(grep -c '^acmec: c: skipped: .*next attempt after' "$T/backoff.err")" = 1

# 6. status --json reports all of it; the metrics file too.
renew status status -c "$CONF" --json
check_exit status 0 "status --json: exit 0"
check "status --json: three certificates, c with 1 failure, a with none" \
    "$PY" -c 'import json, sys
d = {x["section"]: x for x in json.load(open(sys.argv[1]))}
assert set(d) == {"a", "b", "c"}, d
assert d["c"]["failures"] == 1 and d["c"]["backed_off"], d["c"]
assert d["a"]["failures"] == 0 and not d["a"]["due"], d["a"]
assert d["a"]["not_after"] and 0 < d["a"]["lifetime_left"] <= 1, d["a"]
assert d["c"]["last_error"], d["c"]' "$T/status.out"
a_spki=$(spki_of_cert "$STATE/live/a/cert.pem")
check "status --json: a's key_sha256 is the SHA-256 of its key's SPKI ($a_spki)" \
    "$PY" -c 'import json, sys
d = {x["section"]: x for x in json.load(open(sys.argv[1]))}
assert d["a"]["key_sha256"] == sys.argv[2], d["a"]' "$T/status.out" \
    "$(spki_of_key "$STATE/live/a/privkey.pem")"
check "metrics: c has 1 consecutive failure" \
    grep -qx 'acmec_certificate_consecutive_failures{section="c"} 1' "$T/acmec.prom"
check "metrics: a has an expiry time" \
    grep -qE '^acmec_certificate_expiry_timestamp_seconds\{section="a"\} [1-9][0-9]+$' "$T/acmec.prom"
renew status-text status -c "$CONF"
check "status: text names c's failures" grep -q "failures: *1 in a row" "$T/status-text.out"
check "status: text shows a's key and its TLSA 3 1 1 record" \
    test "$(grep -cE "^  (key: +sha256 $a_spki|TLSA: +_443\._tcp\.$A\. IN TLSA 3 1 1 $a_spki)\$" "$T/status-text.out")" = 2

# 6b. A failure-hook that fails is reported; the exit status stays c's.
FAILURE_HOOK=$T/failing-hook write_conf "$UNSERVED" "$B2" "$C2"
: >"$HOOKS"
renew failing renew -c "$CONF" --force c
check_exit failing 1 "failing failure-hook: exit 1, as c failed"
check "failing failure-hook: it ran once" test "$(hook_lines failing)" = 1
check "failing failure-hook: reported" \
    grep -q '^acmec: failure-hook: .*failing-hook.*3' "$T/failing.err"

# 6c. A post-hook that fails leaves what it should have deployed unserved:
# the failure-hook is told of each certificate the run wrote.
POST_HOOK=$T/failing-hook write_conf "" "$B2" "$C2"
: >"$HOOKS"
renew post-failing renew -c "$CONF" --force a
check_exit post-failing 1 "failing post-hook: exit 1"
check "failing post-hook: a was renewed and deployed, then the post-hook ran once" \
    test "$(hook_lines deploy)" = 1 -a "$(hook_lines failing)" = 1
check "failing post-hook: the failure-hook ran once, ACMEC_FAILED=a" \
    test "$(hook_lines failure)" = 1 -a "$(grep -c '^failure a$' "$HOOKS")" = 1
check "failing post-hook: ACMEC_FAILURES says a was written but not deployed" \
    grep -qE "^a \\($A www\.$A\\): the certificate was written to $STATE/live/a, but the post-hook failed: .*failing-hook" "$T/failures"

# 7. Two runs started together order nothing twice.
write_conf "" "$B2" "$C2"
fresh D
printf '\n[d]\nnames = %s\nwebroot = %s\n' "$D" "$WEBROOT" >>"$CONF"
before=$(new_orders)
renew together1 renew -c "$CONF" d &
p1=$!
renew together2 renew -c "$CONF" d
wait "$p1"
check "two runs together: one order for d ($(($(new_orders) - before)))" \
    test "$(($(new_orders) - before))" = 1
check "two runs together: d issued" test -s "$STATE/live/d/fullchain.pem"

# 8. A bad config does nothing, exit 2, with file, line and key.
printf '[acmec]\nfrob = 1\n' >"$T/bad.conf"
renew bad renew -c "$T/bad.conf"
check_exit bad 2 "bad config: exit 2"
check "bad config: the message names file, line and key" \
    grep -q "bad.conf:2.*frob" "$T/bad.err"

# 9. What status and renew find in place of d's cert.pem is read as the
# output module reads it: a FIFO is not waited on, a link to another
# certificate (a's) is not followed; both say what is wrong, renew refuses
# and leaves it there.
# d_says LABEL: d is due in status --json LABEL, as no acmec link.
d_says() {
	"$PY" -c 'import json, sys
d = {x["section"]: x for x in json.load(open(sys.argv[1]))}["d"]
assert d["due"] and "not a file nor acmec" in d["why"], d' "$T/$1.out"
}
D_CERT=$STATE/live/d/cert.pem
rm -f "$D_CERT" && mkfifo "$D_CERT"
renew fifo status -c "$CONF" --json
check_exit fifo 0 "FIFO as cert.pem: status --json exits 0"
check "FIFO as cert.pem: status says d is due, cert.pem is no acmec link" \
    d_says fifo
rm -f "$D_CERT" && ln -s "$STATE/live/a/cert.pem" "$D_CERT"
renew elsewhere status -c "$CONF" --json
check "link elsewhere as cert.pem: status says d is due, cert.pem is no acmec link (not a's names)" \
    d_says elsewhere
renew elsewhere-renew renew -c "$CONF" d
check_exit elsewhere-renew 1 "link elsewhere as cert.pem: renew d exits 1"
check "link elsewhere as cert.pem: the error names d's cert.pem, the link is left" \
    test -L "$D_CERT" -a -n "$(grep -F "$D_CERT" "$T/elsewhere-renew.err")"

# 10. A renew-before not shorter than the lifetime (pebble's certificates
# last years) is not used, and both renew and status say so.
sed 's/^\[a\]$/[a]\nrenew-before = 3650d/' "$CONF" >"$T/long.conf"
renew long-renew renew -c "$T/long.conf" a
check_exit long-renew 0 "renew-before of 3650 days: renew a exits 0, a not due"
check "renew-before of 3650 days: renew warns that the default applies" \
    grep -q 'warning: \[a\] renew-before (3650 days) is not shorter than the certificate.s lifetime' \
    "$T/long-renew.err"
renew long-status status -c "$T/long.conf" --json
check "renew-before of 3650 days: status --json has the warning for a alone" \
    "$PY" -c 'import json, sys
d = {x["section"]: x for x in json.load(open(sys.argv[1]))}
assert "the default applies" in d["a"]["warning"], d["a"]
assert "warning" not in d["b"] and not d["a"]["due"], d' "$T/long-status.out"
renew long-text status -c "$T/long.conf"
check "renew-before of 3650 days: status prints the warning" \
    grep -q '^  warning: *renew-before (3650 days)' "$T/long-text.out"

# 11. next-key = yes across renewals: each one switches in the key the
# one before announced (kept in STATE/next-keys, 0600, not in the output
# directory) and announces the following one; status shows both keys.
fresh N
NCONF=$T/next.conf
cat >"$NCONF" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
agree-tos = yes

[n]
names = $N
webroot = $WEBROOT
next-key = yes
EOF
NOUT=$STATE/live/n
# next_of LABEL: n's next_key_sha256 in status --json (saved as LABEL).
next_of() {
	renew "$1" status -c "$NCONF" --json
	"$PY" -c 'import json, sys
print({x["section"]: x for x in json.load(open(sys.argv[1]))}["n"]["next_key_sha256"] or "")' "$T/$1.out"
}
# pems_with HASH: the .pem files under the output directory with that key.
pems_with() {
	find -L "$NOUT" -name '*.pem' | while read -r f; do
		[ "$(spki_of_key "$f")" = "$1" ] && echo "$f"
	done
}
renew next0 renew -c "$NCONF"
check_exit next0 0 "next-key: the first issue exits 0"
n_key0=$(spki_of_key "$NOUT/privkey.pem")
n_next1=$(next_of next-st1)
check "next-key: a next key is announced ($n_next1), not the one in use" \
    test -n "$n_next1" -a "$n_next1" != "$n_key0"
n_file=$(ls "$STATE"/next-keys/*.pem 2>/dev/null)
check "next-key: it is one file in STATE/next-keys, 0600, the directory 0700" \
    test -n "$n_file" -a "$(echo "$n_file" | wc -l)" = 1 -a \
    "$(stat -c %a "$n_file" 2>/dev/null)" = 600 -a \
    "$(stat -c %a "$STATE/next-keys")" = 700
check "next-key: the file holds that key" test "$(spki_of_key "$n_file")" = "$n_next1"
check "next-key: no copy of it in the output directory" \
    test -z "$(pems_with "$n_next1")"
check "next-key: (that search finds the key in use there)" \
    test -n "$(pems_with "$n_key0")"
renew next-text status -c "$NCONF"
check "next-key: status text shows the next key's TLSA 3 1 1 record" \
    grep -qxE "  TLSA: +_443\._tcp\.$N\. IN TLSA 3 1 1 $n_next1" "$T/next-text.out"
for round in 1 2; do
	renew "next-renew$round" renew -c "$NCONF" --force
	check_exit "next-renew$round" 0 "next-key: renewal $round exits 0"
	check "next-key: renewal $round switched in the key announced before" \
	    test "$(spki_of_key "$NOUT/privkey.pem")" = "$n_next1" -a \
	    "$(spki_of_cert "$NOUT/cert.pem")" = "$n_next1"
	n_next2=$(next_of "next-st$round-after")
	check "next-key: renewal $round announced a new next key" \
	    test -n "$n_next2" -a "$n_next2" != "$n_next1"
	n_next1=$n_next2
done
# A renewal that fails leaves the pair in place and the announced key.
# (Failed by a profile this pebble does not offer: an unserved webroot
# need not fail, as pebble may reuse the name's valid authorization.)
n_sum=$(sum_of "$NOUT")
echo "profile = nosuch" >>"$NCONF"
renew next-fail renew -c "$NCONF" --force
check_exit next-fail 1 "next-key: a renewal that fails exits 1"
check "next-key: after it the set is byte for byte the one before" \
    test "$(sum_of "$NOUT")" = "$n_sum"
check "next-key: after it the same next key is announced" \
    test "$(next_of next-st-fail)" = "$n_next1"

# 12. Renew after a revocation for keyCompromise, signed with either key:
# a is due, its new certificate has a new key, and the revoked key is
# recorded as retired (STATE/retired-keys), so it never comes back.
A_DIR=$STATE/live/a
for how in certkey account; do
	old=$(spki_of_key "$A_DIR/privkey.pem")
	with=()
	[ "$how" = certkey ] && with=(--key "$A_DIR/privkey.pem")
	renew "revoke-$how" --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" \
	    --state-dir "$STATE" revoke "$A_DIR/cert.pem" "${with[@]}" --reason keyCompromise
	check_exit "revoke-$how" 0 "revoke a ($how key, keyCompromise): exit 0"
	renew "renew-$how" renew -c "$CONF" a
	check_exit "renew-$how" 0 "renew after revoke ($how key): exit 0"
	check "renew after revoke ($how key): a was renewed as revoked" \
	    grep -q "revoked" "$T/renew-$how.out"
	check "renew after revoke ($how key): a has a new key" \
	    test -s "$A_DIR/privkey.pem" -a "$(spki_of_key "$A_DIR/privkey.pem")" != "$old"
	check "renew after revoke ($how key): the certificate is for it" \
	    test "$(spki_of_cert "$A_DIR/cert.pem")" = "$(spki_of_key "$A_DIR/privkey.pem")"
	check "renew after revoke ($how key): the revoked key is retired" \
	    grep -q "^$old " "$STATE/retired-keys"
done

# 13. A leaked key in one command: revoke SECTION --reason keyCompromise
# revokes the certificate with its own key, replaces it with a new key,
# runs the hooks and removes every copy of the old key.  A replacement
# that fails (a profile this pebble does not offer: validation could not
# be made to fail, pebble may reuse the authorization) leaves the revoked
# certificate, exit 1; the same command run again finishes the job.
serial_of() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null |
	    sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
status_of() {
	testca_cert_status "$1" 2>/dev/null | "$PY" -c 'import json, sys
d = json.load(sys.stdin); print("%s %s" % (d.get("Status"), d.get("Reason")))'
}
fresh L
write_leak_conf() {
	cat >"$T/leak.conf" <<EOF
[acmec]
directory = $ACME_DIRECTORY
ca-bundle = $ACME_CA_BUNDLE
state-dir = $STATE
post-hook = $T/post-hook

[leak]
names = $L
webroot = $WEBROOT
deploy-hook = $T/deploy-hook
${1:-}
EOF
}
L_DIR=$STATE/live/leak
write_leak_conf
renew leak-issue renew -c "$T/leak.conf"
check_exit leak-issue 0 "leak: the certificate is issued"
cp "$L_DIR/privkey.pem" "$T/leaked.pem"
old=$(spki_of_key "$T/leaked.pem")
serial=$(serial_of "$L_DIR/cert.pem")
write_leak_conf "profile = nosuch"
renew leak-fail revoke -c "$T/leak.conf" leak --reason keyCompromise
check_exit leak-fail 1 "leak: a replacement that fails: exit 1"
check "leak: pebble says the certificate is revoked for keyCompromise ($(status_of "$serial"))" \
    test "$(status_of "$serial")" = "Revoked 1"
check "leak: the message says it is revoked but not replaced, and to run it again" \
    grep -q "revoked, but not replaced.*run the same command again" "$T/leak-fail.err"
check "leak: the revoked set stays in place" test "$(spki_of_key "$L_DIR/privkey.pem")" = "$old"
write_leak_conf
: >"$HOOKS"
renew leak-again revoke -c "$T/leak.conf" leak --reason keyCompromise
check_exit leak-again 0 "leak: the same command again: exit 0"
check "leak: no second revocation error (already revoked counts as done)" \
    grep -q "already revoked" "$T/leak-again.out" "$T/leak-again.err"
check "leak: a new key in place" test "$(spki_of_key "$L_DIR/privkey.pem")" != "$old"
check "leak: the new certificate is for it" \
    test "$(spki_of_cert "$L_DIR/cert.pem")" = "$(spki_of_key "$L_DIR/privkey.pem")"
testca_root_pem "$T/root.pem"
check "leak: the new certificate verifies against pebble's chain" \
    openssl verify -CAfile "$T/root.pem" -untrusted "$L_DIR/chain.pem" "$L_DIR/cert.pem"
check "leak: the deploy hook and the post-hook ran once each" \
    test "$(grep -c "^deploy $L|" "$HOOKS")" = 1 -a "$(hook_lines post)" = 1
check "leak: no copy of the old key under $STATE" \
    test -z "$(grep -rlF "$(sed -n 2p "$T/leaked.pem")" "$STATE")"
check "leak: one version left" test "$(ls "$L_DIR/versions" | wc -l)" = 1
check "leak: no leak record left" test -z "$(ls -A "$STATE/leaks" 2>/dev/null)"
check "leak: the output says what is left for the operator" \
    grep -q "left for you" "$T/leak-again.out" "$T/leak-again.err"

# A run that died after the switch, before the old versions went: its
# note in STATE/leaks is left.  Run again, the command neither revokes the
# new certificate nor orders another; it only finishes the job.
lock=$(basename "$(ls "$STATE"/locks/*live_leak-*.lock 2>/dev/null | head -n 1)" .lock)
mkdir -p -m 700 "$STATE/leaks"
printf '{"key": "%s", "section": "leak", "out": "%s", "started": 1}\n' \
    "$old" "$L_DIR" >"$STATE/leaks/$lock.json"
chmod 600 "$STATE/leaks/$lock.json"
new_serial=$(serial_of "$L_DIR/cert.pem")
before=$(new_orders)
: >"$HOOKS"
renew leak-finish revoke -c "$T/leak.conf" leak --reason keyCompromise
check_exit leak-finish 0 "leak: finishing an interrupted job: exit 0"
check "leak: it says an earlier run revoked and replaced it" \
    grep -q "an earlier run revoked and replaced it" "$T/leak-finish.out"
check "leak: the new certificate is not revoked ($(status_of "$new_serial"))" \
    test "$(status_of "$new_serial" | cut -d' ' -f1)" = Valid
check "leak: no order" test "$(new_orders)" = "$before"
check "leak: its note is gone" test ! -e "$STATE/leaks/$lock.json"
check "leak: the hooks the dead run may have missed ran" \
    test "$(grep -c "^deploy $L|" "$HOOKS")" = 1 -a "$(hook_lines post)" = 1

# A section with the user's CSR: acmec holds no key to revoke with.
printf '[acmec]\nstate-dir = %s\n\n[csr]\ncsr = %s\nwebroot = %s\n' \
    "$STATE" "$T/none.csr" "$WEBROOT" >"$T/csr.conf"
renew leak-csr revoke -c "$T/csr.conf" csr --reason keyCompromise
check_exit leak-csr 1 "leak: a section with a CSR: exit 1"
check "leak: the message says acmec does not hold its key, and what to do" \
    grep -q "which acmec does not hold.*make a new key and CSR" "$T/leak-csr.err"

# --no-replace only revokes (the output directory names the section too);
# renew then replaces.
old=$(spki_of_key "$A_DIR/privkey.pem")
renew norepl revoke -c "$CONF" "$A_DIR" --reason keyCompromise --no-replace
check_exit norepl 0 "revoke --no-replace: exit 0"
check "revoke --no-replace: the key stays in place, retired" \
    test "$(spki_of_key "$A_DIR/privkey.pem")" = "$old" -a -n "$(grep "^$old " "$STATE/retired-keys")"
renew norepl-renew renew -c "$CONF" a
check "revoke --no-replace: renew then replaces the key" \
    test "$rc" = 0 -a "$(spki_of_key "$A_DIR/privkey.pem")" != "$old"

# Another reason: revoked with the account key, nothing replaced or retired.
old=$(spki_of_key "$A_DIR/privkey.pem")
serial=$(serial_of "$A_DIR/cert.pem")
renew superseded revoke -c "$CONF" a --reason superseded
check_exit superseded 0 "revoke SECTION --reason superseded: exit 0"
check "revoke SECTION --reason superseded: pebble says Revoked 4 ($(status_of "$serial"))" \
    test "$(status_of "$serial")" = "Revoked 4"
check "revoke SECTION --reason superseded: the key stays, not retired" \
    test "$(spki_of_key "$A_DIR/privkey.pem")" = "$old" -a -z "$(grep "^$old " "$STATE/retired-keys")"

summary
