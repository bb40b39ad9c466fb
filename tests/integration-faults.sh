#!/bin/bash
#
# integration-faults.sh - regression tests for what goes wrong between
# acmec and a real CA: answers lost, rejected or replaced on the way
# (a fault-injecting HTTPS proxy, tests/lib/fault_proxy.py, in front of
# pebble), an order whose every answer after finalize is lost and that
# the next run picks up (issue #8), and the command-line cases found by
# the November 2026 review
# (descriptors and locks a deploy hook inherits, Ctrl-C while waiting for
# a lock, empty and wrong paths, two certificates fighting over one output
# directory, a CSR whose key is not privkey.pem's, nonces rejected under
# load, requests per issuance).  The checks state the behaviour the
# engine rewrite aims at; those named "control" check the harness itself.
#
# Run by `make check` (automake sets srcdir to the top source dir and ACMEC
# to the built client), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-faults.sh
#
# TESTCA_KEEP=1 keeps the CA's work dir and this script's (client output,
# proxy logs, state dirs).
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble,
# nginx, openssl, curl, flock or python3 missing).  One "ok"/"not ok" line
# per check, then "N passed, M failed".
#
# The CA runs twice: first with no nonce rejected and no authorization
# reused (PEBBLE_WFE_NONCEREJECT=0, PEBBLE_AUTHZREUSE=0), so that the only
# faults are the ones the proxy injects and the request count is exact;
# then with half of the nonces rejected, for the run under load.
#
# The rollover scenarios run every command of a scenario, account creation
# included, through the proxy's directory URL: the account key may live in
# a directory of its own per CA directory URL, and the proxy's URL is
# another one than pebble's.  Key files are found by their content and
# compared by JWK thumbprint (RFC 7638), never by a hard-coded path.

# ls output is only shown to humans, in diagnostics.
# shellcheck disable=SC2012

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}
# A client that hangs on a lost answer is a failure, not a stuck build.
ACMEC_RUN_TIMEOUT=${ACMEC_RUN_TIMEOUT:-60}

# shellcheck source=lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
command -v python3 >/dev/null 2>&1 || { echo "python3 missing"; exit 77; }
python3 -c 'import ssl, http.server' 2>/dev/null ||
    { echo "python3 without ssl"; exit 77; }

resolve_client

# The interpreter itself, not a wrapper script (pyenv shims are bash
# scripts): the descriptor-listing hook must be the only process there.
PY=$(python3 -c 'import sys; print(sys.executable)')
PROXY=$srcdir/tests/lib/fault_proxy.py
# The timeout of client runs through the proxy: a swallowed answer costs
# this long.  Under valgrind a TLS handshake on a loaded machine alone can
# take longer than 2 s (a CI run failed on exactly that).
PROXY_TIMEOUT=2
under_valgrind && PROXY_TIMEOUT=10

# ------------------------------------------------------------ helpers

STATE=
n=''
proxy_pid=
proxy_log=
PROXY_DIR=
proxy_port=0	# the port start_proxy asks for (0: any free one)
proxy_listen=	# the port the last proxy listens on
proxy_jail=()	# runs the proxy without /etc/hosts (see no_hosts_jail)
bg_pids=()	# clients started in the background, killed at exit

now_ms() {
	date +%s%3N
}

# alive PID: the process runs (a zombie not yet reaped does not count).
alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ "$state" != Z ]
}

# check_err_says_fixed LABEL STRING DESCRIPTION: the run's standard error
# (where a refusal is explained) has the fixed STRING.
check_err_says_fixed() {
	if grep -qF -- "$2" "$T/$1.err" 2>/dev/null; then
		ok "$3"
	else
		not_ok "$3"
		show_run "$1"
	fi
}

# check_not_says LABEL REGEX DESCRIPTION: no line of the output matches.
check_not_says() {
	if cat "$T/$1.out" "$T/$1.err" 2>/dev/null | grep -qiE -- "$2"; then
		not_ok "$3"
		show_run "$1"
	else
		ok "$3"
	fi
}

# field LABEL NAME: the value of "NAME: value" in the output of a run.
field() {
	sed -n "s/^$2:[[:space:]]*//p" "$T/$1.out" 2>/dev/null | head -n 1
}

# run_raw LABEL CMD...: like report.sh's run, for a command line of our
# own (no --state-dir added).
run_raw() {
	local label=$1
	shift
	timeout "$ACMEC_RUN_TIMEOUT" "$@" >"$T/$label.out" 2>"$T/$label.err"
	rc=$?
	[ "$rc" = 124 ] && echo "# $label: killed after ${ACMEC_RUN_TIMEOUT}s" >>"$T/$label.err"
	return 0
}

new_ec_key() {
	(umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null)
}

# thumb KEYFILE: the JWK thumbprint (RFC 7638) of an EC P-256 private key.
thumb() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | "$PY" -c '
import base64, hashlib, sys
der = sys.stdin.buffer.read()
pt = der[-65:]
if len(der) < 65 or pt[0] != 4:
    sys.exit(1)
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
jwk = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}" % (
    b(pt[1:33]), b(pt[33:]))
print(b(hashlib.sha256(jwk.encode()).digest()))'
}

# account_keys DIR: the private key files of a state dir other than
# certificate keys (live/, orders/) and pending keys (*.new), one a line.
account_keys() {
	grep -rlsF 'PRIVATE KEY' "$1" | grep -v -e '/live/' -e '/orders/' -e '\.new$' | sort
}

# pending_keys DIR: files named *.new in the state dir, one a line.
pending_keys() {
	find "$1" -name '*.new' -type f 2>/dev/null | sort
}

# dir_path KEY: the path of a URL of pebble's directory.
dir_path() {
	curl --noproxy '*' -sS --cacert "$ACME_CA_BUNDLE" "$ACME_DIRECTORY" |
	    "$PY" -c 'import json, sys, urllib.parse
print(urllib.parse.urlsplit(json.load(sys.stdin)[sys.argv[1]]).path)' "$1"
}

# handler_lines [PATH]: pebble's "-> calling handler()" lines so far (for
# PATH only: "POST PATH -> calling handler()").
handler_lines() {
	if [ "$#" -gt 0 ]; then
		grep -cF -- "POST $1 -> calling handler()" "$PEBBLE_LOG"
	else
		grep -cF -- '-> calling handler()' "$PEBBLE_LOG"
	fi
}

# ------------------------------------------------------------ the proxy

# no_hosts_jail: set proxy_jail to a command that runs its arguments with
# an empty /etc/hosts (a mount namespace, as root), as in a bare chroot
# where localhost does not resolve; empty where that cannot be arranged.
no_hosts_jail() {
	local empty=$T/no-hosts
	: >"$empty"
	# shellcheck disable=SC2016 # for the inner shell
	proxy_jail=(unshare -m --propagation private sh -c \
	    'mount --bind "$0" /etc/hosts && exec "$@"' "$empty")
	"${proxy_jail[@]}" true 2>/dev/null || proxy_jail=()
}

# start_proxy LABEL [--rule SPEC ...]: start fault_proxy.py in front of
# pebble, with pebble's own TLS certificate (so --ca-bundle trusts it),
# and wait (bounded) until it listens, on $proxy_port (0: any free port).
# Sets PROXY_DIR, proxy_listen and proxy_log.
start_proxy() {
	local label=$1 port='' i
	shift
	stop_proxy
	proxy_log=$T/$label.proxy
	: >"$proxy_log"
	"${proxy_jail[@]}" "$PY" "$PROXY" --port "$proxy_port" \
	    --cert "$TESTCA_DIR/tls.pem" \
	    --key "$TESTCA_DIR/tls.key" --ca-bundle "$ACME_CA_BUNDLE" \
	    --upstream "https://127.0.0.1:$TESTCA_ACME_PORT" \
	    --log "$proxy_log" --hold 30 "$@" \
	    </dev/null >"$T/$label.proxy-out" 2>&1 &
	proxy_pid=$!
	for i in $(seq 1 100); do
		port=$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$proxy_log")
		[ -n "$port" ] && break
		alive "$proxy_pid" || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		{ echo "fault_proxy did not start:"; cat "$T/$label.proxy-out"; } | diag
		stop_proxy
		return 1
	fi
	PROXY_DIR=https://localhost:$port/dir
	proxy_listen=$port
	echo "# proxy for $label: $PROXY_DIR (pid $proxy_pid, rules: ${*:-none})"
	return 0
}

stop_proxy() {
	if [ -n "$proxy_pid" ]; then
		kill -TERM "$proxy_pid" 2>/dev/null
		for _ in $(seq 1 40); do
			alive "$proxy_pid" || break
			sleep 0.05
		done
		kill -KILL "$proxy_pid" 2>/dev/null
		wait "$proxy_pid" 2>/dev/null
		proxy_pid=
	fi
}

# kill_bg: kill the background clients still running (an interrupted
# test must not leave one behind: it would hold the harness lock).
kill_bg() {
	local pid
	for pid in "${bg_pids[@]}"; do
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	bg_pids=()
}

# wait_bounded PID SECONDS LABEL: wait for a background client; kill it
# after SECONDS (noted in LABEL.err).  Its exit status in $rc.
wait_bounded() {
	local pid=$1 deadline=$((SECONDS + $2))
	while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.1
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		echo "# $3: killed after $2 s" >>"$T/$3.err"
	fi
	wait "$pid" 2>/dev/null
	rc=$?
}

# prun LABEL ARGS...: the client through the proxy, with a short timeout.
prun() {
	local label=$1
	shift
	ACME_DIRECTORY=$PROXY_DIR run "$label" --timeout "$PROXY_TIMEOUT" "$@"
}

# forwarded PATH: how many POSTs to PATH the proxy sent on to pebble.
forwarded() {
	grep -c "^POST $1 forwarded" "$proxy_log"
}

# ------------------------------------------------------------ setup

# Phase 1: only the faults we inject.
export PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
testca_start || { echo "could not start the test CA"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-it-faults.XXXXXX") || exit 1
# shellcheck disable=SC2016 # expanded when the trap runs
testca_atexit 'stop_proxy'
testca_atexit 'kill_bg'
# nginx may be frozen (ctrl_c_lock): a stopped process ignores SIGTERM.
testca_atexit 'testca_web_thaw'
if [ "${TESTCA_KEEP:-0}" = 1 ]; then
	# shellcheck disable=SC2016
	testca_atexit 'echo "# kept $T" >&2'
else
	# shellcheck disable=SC2016
	testca_atexit 'rm -rf "$T"'
fi

KEY_CHANGE=$(dir_path keyChange)
NEW_ORDER=$(dir_path newOrder)
if [ -z "$KEY_CHANGE" ] || [ -z "$NEW_ORDER" ]; then
	echo "could not read keyChange and newOrder from the directory"
	exit 1
fi

echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR), keyChange $KEY_CHANGE"
started=$SECONDS

# ------------------------------------------------------------ controls

# The harness itself: a rollover without proxy, checked by thumbprint.
control_rollover() {
	local s=$T/ctl-roll key tp newkey=$T/ctl-roll-new.pem tp_new
	STATE=$s
	run ctl-new account new --agree-tos
	check_exit ctl-new 0 "control: account new (pebble directly) exits 0"
	run ctl-show1 account show
	key=$(account_keys "$s")
	tp=$(thumb "$key" 2>/dev/null)
	if [ "$(printf '%s\n' "$key" | grep -c .)" = 1 ] &&
	    [ -n "$tp" ] && [ "$tp" = "$(field ctl-show1 thumbprint)" ]; then
		ok "control: one account key in the state dir, its thumbprint is the one account show prints"
	else
		not_ok "control: one account key in the state dir, its thumbprint is the one account show prints"
		{ echo "keys: $key"; echo "computed: $tp"; } | diag
		show_run ctl-show1
	fi
	new_ec_key "$newkey"
	tp_new=$(thumb "$newkey")
	run ctl-roll account rollover --new-key "$newkey"
	check_exit ctl-roll 0 "control: account rollover --new-key (no proxy) exits 0"
	run ctl-show2 account show
	check "control: account show then prints the new key's thumbprint ($tp_new)" \
	    test "$rc" = 0 -a -n "$tp_new" -a "$(field ctl-show2 thumbprint)" = "$tp_new"
}

# The proxy passing everything through: a whole issuance.
control_proxy() {
	local out=$T/ctl-proxy-out lost
	STATE=$T/ctl-proxy
	if ! start_proxy ctl-proxy; then
		not_ok "control: the fault proxy starts"
		return
	fi
	fresh n
	prun ctl-proxy -v issue -d "$n" -w "$WEBROOT" --agree-tos --out "$out"
	if [ "$rc" = 0 ] && [ -s "$out/fullchain.pem" ]; then
		ok "control: issue through the proxy (pass-through) exits 0 and writes fullchain.pem"
	else
		not_ok "control: issue through the proxy (pass-through) exits 0 and writes fullchain.pem"
		show_run ctl-proxy
		diag <"$proxy_log"
	fi
	lost=$(grep -c ' failed ' "$proxy_log")
	check "control: the proxy forwarded newOrder ($(forwarded "$NEW_ORDER") time(s)), no request failed ($lost)" \
	    test "$(forwarded "$NEW_ORDER")" -ge 1 -a "$lost" = 0
	if grep -q '^acmec: [A-Z]* https://' "$T/ctl-proxy.err" &&
	    ! grep -qF "localhost:$TESTCA_ACME_PORT" "$T/ctl-proxy.err"; then
		ok "control: every URL in pebble's answers points at the proxy (Host passed through)"
	else
		not_ok "control: every URL in pebble's answers points at the proxy (Host passed through)"
		grep -F "localhost:$TESTCA_ACME_PORT" "$T/ctl-proxy.err" | head -n 5 | diag
	fi
	stop_proxy
}

# ------------------------------------------------------------ rollover faults

# fault_rollover LABEL WHAT RULE...: an account made through a proxy that
# applies RULEs (fault_proxy.py --rule) to keyChange; a rollover through
# it must fail as "outcome unknown", keep the pending key, and the next
# run must settle on the new key, which pebble did accept.  Sets kc (the
# key changes that reached pebble).
kc=0
fault_rollover() {
	local label=$1 what=$2 s=$T/$1 old rel oldonly=$T/$1-oldonly \
	    newkey=$T/$1-new.pem tp_new pending tp r
	shift 2
	local rules=()
	for r in "$@"; do rules+=(--rule "$r"); done
	STATE=$s
	kc=0
	if ! start_proxy "$label" "${rules[@]}"; then
		not_ok "$what: the fault proxy starts"
		return
	fi
	prun "$label-new" account new --agree-tos
	old=$(account_keys "$s")
	if [ "$rc" != 0 ] || [ "$(printf '%s\n' "$old" | grep -c .)" != 1 ]; then
		not_ok "$what: account new through the proxy exits 0 and makes one key"
		show_run "$label-new"
		stop_proxy
		return
	fi
	rel=${old#"$s"/}
	cp -p "$old" "$T/$label-old.pem"
	new_ec_key "$newkey"
	tp_new=$(thumb "$newkey")

	prun "$label-roll" account rollover --new-key "$newkey"
	kc=$(forwarded "$KEY_CHANGE")
	echo "# $what: keyChange requests that reached pebble: $kc"
	check_exit "$label-roll" 1 "$what: account rollover exits 1"
	check_says "$label-roll" 'unknown|not known|whether|may have' \
	    "$what: its message says the outcome is unknown"
	check_says "$label-roll" 'next (acmec )?(run|command|time)' \
	    "$what: its message says the next run settles it"
	pending=$(pending_keys "$s")
	if [ "$(printf '%s\n' "$pending" | grep -c .)" = 1 ] &&
	    [ "$(thumb "$pending")" = "$tp_new" ]; then
		ok "$what: the pending new key is kept (${pending#"$s"/})"
	else
		not_ok "$what: the pending new key is kept"
		{ echo "*.new files: ${pending:-none}"; ls -laR "$s"; } | diag
	fi

	prun "$label-show" account show
	check_exit "$label-show" 0 "$what: the next account show exits 0"
	tp=$(field "$label-show" thumbprint)
	check "$what: it settled on the new key (thumbprint '$tp', new key $tp_new)" \
	    test "$tp" = "$tp_new"
	check "$what: no pending key is left ($(pending_keys "$s" | tr '\n' ' '))" \
	    test -z "$(pending_keys "$s")"

	# Pebble did take the change: the old key alone, where the client
	# keeps it, in a state dir of its own, has no account any more.
	(umask 077; mkdir -p "$(dirname "$oldonly/$rel")")
	cp -p "$T/$label-old.pem" "$oldonly/$rel"
	STATE=$oldonly
	prun "$label-oldkey" account show
	if [ "$rc" = 1 ] && cat "$T/$label-oldkey.out" "$T/$label-oldkey.err" |
	    grep -qi 'no account'; then
		ok "$what: pebble made the change (the old key alone has no account)"
	else
		not_ok "$what: pebble made the change (the old key alone has no account)"
		show_run "$label-oldkey"
	fi
	STATE=$s
	stop_proxy
}

rollover_badnonce_lost() {
	local what="rollover, badNonce then lost answer"
	fault_rollover roll-lost "$what" "badnonce:1:$KEY_CHANGE" \
	    "swallow:2:$KEY_CHANGE"
	if grep -q "^POST $KEY_CHANGE answered 400 badNonce" "$proxy_log" &&
	    grep -q "^POST $KEY_CHANGE forwarded [0-9]* swallowed" "$proxy_log"; then
		ok "$what: the proxy answered keyChange #1 itself (badNonce) and swallowed pebble's answer to #2"
	else
		not_ok "$what: the proxy answered keyChange #1 itself (badNonce) and swallowed pebble's answer to #2"
		diag <"$proxy_log"
	fi
}

rollover_replaced() {
	local code=$1 what="rollover, answer replaced by $1"
	fault_rollover "roll-$code" "$what" "$code:1:$KEY_CHANGE"
	if [ "$code" = 503 ]; then
		check "$what: exactly one keyChange reached pebble ($kc)" \
		    test "$kc" = 1
	fi
}

# ------------------------------------------------------------ resume

# Issue #8: every answer after finalize is lost (504 from the proxy for
# finalize and for each order poll after it), so the run fails; the next
# run, through a proxy on the same port (the same directory URL, so the
# same account and order URLs) that loses nothing, asks about that order
# and downloads its certificate: no new order, no second finalize.
# Pebble's paths (wfe.go): /my-order/ID, /finalize-order/ID.
ORDER_PREFIX=/my-order/
FINALIZE_PREFIX=/finalize-order/

# pubkey FILE: the public key of a private key or certificate, as PEM.
pubkey() {
	if grep -q 'BEGIN CERTIFICATE' "$1"; then
		openssl x509 -in "$1" -noout -pubkey 2>/dev/null
	else
		openssl pkey -in "$1" -pubout 2>/dev/null
	fi
}

# same_key A B: A and B (keys or certificates) have one public key.
same_key() {
	local a b
	a=$(pubkey "$1")
	b=$(pubkey "$2")
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# resume_case LABEL WHAT FIRST: FIRST=no starts without a certificate (the
# key is new and kept in the record); otherwise one is issued into the
# output directory first, and the renewals give --reuse-key (FIRST=reuse:
# the record keeps no key) or nothing (FIRST=rotate: a new key, kept in
# the record, never in the output directory with the old certificate).
resume_case() {
	local label=$1 what=$2 first=$3 out=$T/$1-out saved=$T/$1-saved \
	    rulefile=$T/$1-rules.json record order_path records keyopt=()
	[ "$first" = reuse ] && keyopt=(--reuse-key)
	STATE=$T/$label
	proxy_port=0
	if ! start_proxy "$label-ok"; then
		not_ok "$what: the fault proxy starts"
		return
	fi
	proxy_port=$proxy_listen
	fresh n
	prun "$label-acct" account new --agree-tos
	if [ "$first" != no ]; then
		prun "$label-1" issue -d "$n" -w "$WEBROOT" --out "$out"
		check_exit "$label-1" 0 "$what: a first issue through the proxy exits 0"
	fi
	mkdir -p "$saved"
	cp -p "$out"/*.pem "$saved"/ 2>/dev/null

	cat >"$rulefile" <<-EOF
	[{"action": "504", "path": "$FINALIZE_PREFIX*", "nth": 1},
	 {"action": "504", "path": "$ORDER_PREFIX*", "nth": 1, "every": true,
	  "after": "$FINALIZE_PREFIX*"}]
	EOF
	start_proxy "$label-lost" --rules "$rulefile" || {
		not_ok "$what: the fault proxy restarts on port $proxy_port"
		return
	}
	prun "$label-2" issue -d "$n" -w "$WEBROOT" --out "$out" "${keyopt[@]}"
	check_exit "$label-2" 1 "$what: with every answer after finalize lost, issue exits 1"
	check_says "$label-2" 'next run' "$what: its message says the next run picks the order up"
	if [ "$first" != no ]; then
		check "$what: the old files are unchanged, byte for byte" \
		    same_files "$out" "$saved"
	else
		check "$what: nothing is written to the output directory" \
		    test ! -e "$out/fullchain.pem" -a ! -e "$out/privkey.pem"
	fi
	order_path=$(sed -n "s|^POST \\(${ORDER_PREFIX}[^ ]*\\) forwarded [0-9]* replaced 504\$|\\1|p" "$proxy_log" | head -n 1)
	records=$(find "$STATE/orders" -name '*.json' -type f 2>/dev/null)
	record=$(printf '%s\n' "$records" | head -n 1)
	if [ -n "$order_path" ] && [ "$(printf '%s\n' "$records" | grep -c .)" = 1 ] &&
	    [ "$(stat -c %a "$record")" = 600 ] &&
	    [ "$(stat -c %a "$STATE/orders")" = 700 ] &&
	    grep -qF "$order_path\"" "$record"; then
		ok "$what: the order ($order_path) is kept in STATE/orders (0600, the directory 0700)"
	else
		not_ok "$what: the order (${order_path:-none lost}) is kept in STATE/orders (0600, the directory 0700)"
		{ ls -la "$STATE/orders" 2>&1; cat "$proxy_log"; } | diag
	fi
	if [ "$first" = reuse ]; then
		check "$what: the record keeps no key (privkey.pem is reused)" \
		    test -n "$record" -a -z "$(grep -l 'PRIVATE KEY' "$record" 2>/dev/null)"
	else
		# The key beside the record, named there by its SPKI SHA-256.
		cp "${record%.json}.key" "$T/$label-key.pem" 2>/dev/null
		key_id=$(openssl pkey -in "$T/$label-key.pem" -pubout -outform DER 2>/dev/null |
		    sha256sum | cut -d' ' -f1)
		check "$what: the record names the new key kept beside it (0600), and holds no key itself" \
		    test -s "$T/$label-key.pem" -a \
		    "$(stat -c %a "${record%.json}.key" 2>/dev/null)" = 600 -a \
		    -n "$(grep -F "\"key_id\": \"$key_id\"" "$record")" -a \
		    -z "$(grep -l 'PRIVATE KEY' "$record")"
	fi

	start_proxy "$label-again" || {
		not_ok "$what: the fault proxy restarts on port $proxy_port"
		return
	}
	prun "$label-3" -v issue -d "$n" -w "$WEBROOT" --out "$out" "${keyopt[@]}"
	check_exit "$label-3" 0 "$what: the next run exits 0"
	check_says "$label-3" 'picking up the order' "$what: it says it picks up the earlier order"
	check "$what: it makes no new order ($(forwarded "$NEW_ORDER") newOrder) and sends no CSR ($(forwarded "${FINALIZE_PREFIX}[^ ]*") finalize)" \
	    test "$(forwarded "$NEW_ORDER")" = 0 -a "$(forwarded "${FINALIZE_PREFIX}[^ ]*")" = 0
	check "$what: it asked pebble about the first run's order ($order_path)" \
	    grep -q "^POST $order_path forwarded 200\$" "$proxy_log"
	check "$what: cert.pem is the new certificate" \
	    test -s "$out/cert.pem" -a -n "$(cmp -s "$out/cert.pem" "$saved/cert.pem" || echo new)"
	check "$what: privkey.pem is the key of cert.pem" \
	    same_key "$out/privkey.pem" "$out/cert.pem"
	if [ "$first" = reuse ]; then
		check "$what: privkey.pem is the key it had" \
		    cmp -s "$out/privkey.pem" "$saved/privkey.pem"
	else
		check "$what: privkey.pem is the key the record kept" \
		    same_key "$out/privkey.pem" "$T/$label-key.pem"
	fi
	check "$what: the record is gone ($(find "$STATE/orders" -type f | tr '\n' ' '))" \
	    test -z "$(find "$STATE/orders" -type f)"
	stop_proxy
	proxy_port=0
}

resume_after_lost_answers() {
	resume_case resume-new "resume, new key" no
	resume_case resume-old "resume, key reused" reuse
	resume_case resume-rot "resume, key rotated" rotate
}

# ------------------------------------------------------------ hooks

# The descriptors a deploy hook starts with, listed by a Python hook (the
# interpreter opens none of its own; the listing's own is left out).
hook_fds() {
	local out=$T/hook-fds-out listing
	STATE=$T/cli
	cat >"$T/fds-hook" <<-EOF
	#!$PY
	# Listing /proc/self/fd opens a descriptor of its own, closed when the
	# listing is done: only those still open afterwards were inherited.
	import fcntl, os
	lines = []
	for name in sorted(os.listdir("/proc/self/fd"), key=int):
	    try:
	        fcntl.fcntl(int(name), fcntl.F_GETFD)
	    except OSError:
	        continue
	    try:
	        target = os.readlink("/proc/self/fd/" + name)
	    except OSError:
	        target = "?"
	    lines.append("%s %s" % (name, target))
	with open(os.environ["FDS_LOG"], "w") as f:
	    f.write("\\n".join(lines) + "\\n")
	EOF
	chmod +x "$T/fds-hook"
	export FDS_LOG=$T/fds-control.log
	"$PY" -c 'import subprocess, sys; subprocess.run([sys.argv[1]], close_fds=True)' \
	    "$T/fds-hook" </dev/null >/dev/null 2>&1
	listing=$(cut -d' ' -f1 "$FDS_LOG" 2>/dev/null | tr '\n' ' ')
	check "hook fds: the listing hook, started with 0-2 only, sees 0 1 2 ($listing)" \
	    test "$listing" = "0 1 2 "
	export FDS_LOG=$T/fds.log
	fresh n
	run hook-fds issue -d "$n" -w "$WEBROOT" --agree-tos --out "$out" \
	    --deploy-hook "$T/fds-hook"
	check_exit hook-fds 0 "hook fds: issue with the listing hook exits 0"
	listing=$(cut -d' ' -f1 "$FDS_LOG" 2>/dev/null | tr '\n' ' ')
	if [ "$listing" = "0 1 2 " ]; then
		ok "hook fds: a deploy hook sees only descriptors 0, 1, 2"
	else
		not_ok "hook fds: a deploy hook sees only descriptors 0, 1, 2 (sees $listing)"
		diag <"$FDS_LOG"
	fi
}

# A hook that runs acmec on the same state dir: no lock in its way.
hook_nested() {
	local out=$T/hook-nest-out res nrc ms limit=10
	STATE=$T/cli
	cat >"$T/nest-hook" <<-'EOF'
	#!/bin/sh
	start=$(date +%s%3N)
	timeout -k 1 "$NEST_TIMEOUT" "$NEST_ACMEC" --directory "$NEST_DIRECTORY" \
	    --ca-bundle "$NEST_CA_BUNDLE" --state-dir "$NEST_STATE" \
	    account show >"$NEST_LOG.out" 2>&1
	rc=$?
	end=$(date +%s%3N)
	echo "$rc $((end - start))" >"$NEST_LOG"
	exit 0
	EOF
	chmod +x "$T/nest-hook"
	# A lock in its way would hold it up to a minute (account.c's
	# LOCK_WAIT); under valgrind it takes a few seconds anyway.
	under_valgrind && limit=30
	export NEST_ACMEC=$ACMEC NEST_DIRECTORY=$ACME_DIRECTORY \
	    NEST_CA_BUNDLE=$ACME_CA_BUNDLE NEST_STATE=$STATE NEST_LOG=$T/nest.log \
	    NEST_TIMEOUT=$limit
	fresh n
	run hook-nest issue -d "$n" -w "$WEBROOT" --agree-tos --out "$out" \
	    --deploy-hook "$T/nest-hook"
	check_exit hook-nest 0 "nested hook: issue with a hook that runs acmec exits 0"
	res=$(cat "$NEST_LOG" 2>/dev/null)
	nrc=${res%% *}
	ms=${res##* }
	echo "# nested hook: account show exit status ${nrc:-?}, ${ms:-?} ms"
	if [ "$nrc" = 0 ]; then
		ok "nested hook: the hook's acmec account show (same state dir) exits 0"
	else
		not_ok "nested hook: the hook's acmec account show (same state dir) exits 0 (status ${nrc:-none}; 124: killed after $limit s)"
		diag <"$NEST_LOG.out"
	fi
	skip_under_valgrind "nested hook: the 5 s bound (took ${ms:-?} ms)" ||
	    check "nested hook: it finishes in under 5 s (took ${ms:-?} ms)" \
	    test -n "$ms" -a "${ms:-99999}" -lt 5000
}

# ------------------------------------------------------------ Ctrl-C

# While a first run sits in polling (nginx frozen) holding its locks, a
# second run for the same output dir waits; SIGINT must end that wait.
ctrl_c_lock() {
	local out=$T/intr-out first second had_file=no t0 t1 ms rc1 rc2 waits \
	    killed=no
	STATE=$T/intr
	run intr-new account new --agree-tos
	fresh n
	testca_web_freeze
	"$ACMEC" --directory "$ACME_DIRECTORY" \
	    --ca-bundle "$ACME_CA_BUNDLE" --state-dir "$STATE" \
	    issue -d "$n" -w "$WEBROOT" --out "$out" \
	    >"$T/intr-first.out" 2>"$T/intr-first.err" &
	first=$!
	bg_pids+=("$first")
	for _ in $(seq 1 200); do
		if [ -n "$(ls -A "$WEBROOT/.well-known/acme-challenge" 2>/dev/null)" ]; then
			had_file=yes
			break
		fi
		sleep 0.05
	done
	sleep 0.5	# into the polling loop
	# SIGINT as a terminal would send it: background jobs of a script
	# start with SIGINT ignored, so set it back to the default first.
	"$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$ACMEC" --directory "$ACME_DIRECTORY" \
	    --ca-bundle "$ACME_CA_BUNDLE" --state-dir "$STATE" \
	    issue -d "$n" -w "$WEBROOT" --out "$out" \
	    >"$T/intr-second.out" 2>"$T/intr-second.err" &
	second=$!
	bg_pids+=("$second")
	# Until it says it waits (valgrind may take seconds to get there).
	for _ in $(seq 1 200); do
		grep -qi "waiting for" "$T/intr-second.out" "$T/intr-second.err" \
		    2>/dev/null && break
		alive "$second" || break
		sleep 0.1
	done
	sleep 1
	if [ "$had_file" = yes ] && alive "$first" && alive "$second"; then
		ok "ctrl-c: the first run polls (challenge file in place), the second is still running after 1 s"
	else
		not_ok "ctrl-c: the first run polls (challenge file in place), the second is still running after 1 s"
		echo "challenge file seen: $had_file" | diag
	fi
	t0=$(now_ms)
	kill -INT "$second" 2>/dev/null
	for _ in $(seq 1 100); do
		alive "$second" || break
		sleep 0.05
	done
	t1=$(now_ms)
	ms=$((t1 - t0))
	if alive "$second"; then
		kill -KILL "$second" 2>/dev/null
		echo "# killed: still running 5 s after SIGINT" >>"$T/intr-second.err"
		killed=yes
	fi
	wait "$second" 2>/dev/null
	rc2=$?
	testca_web_thaw
	wait_bounded "$first" "$ACMEC_RUN_TIMEOUT" intr-first
	rc1=$rc
	bg_pids=()
	rc=$rc2
	# Under valgrind each of acmec's processes (the network process
	# too) is checked for leaks as it ends, one after the other.
	local limit=2
	under_valgrind && limit=4
	if [ "$killed" = yes ]; then
		not_ok "ctrl-c: the waiting run exits within $limit s of SIGINT (still running after 5 s, killed)"
	else
		check "ctrl-c: the waiting run exits within $limit s of SIGINT (took $ms ms)" \
		    test "$ms" -le "$((limit * 1000))"
	fi
	check_exit intr-second 1 "ctrl-c: the waiting run exits with status 1"
	waits=$(cat "$T/intr-second.out" "$T/intr-second.err" | grep -ci "waiting for")
	if [ "$waits" = 1 ]; then
		ok "ctrl-c: it printed exactly one line saying it is waiting"
	else
		not_ok "ctrl-c: it printed exactly one line saying it is waiting ($waits)"
		show_run intr-second
	fi
	rc=$rc1
	check_exit intr-first 0 "ctrl-c: the first run finishes once nginx resumes"
}

# ------------------------------------------------------------ empty paths

# empty_run LABEL ARGS...: the client (under empty_paths' vg) with ARGS,
# run in the scratch directory; it must refuse them with status 2.
empty_run() {
	local label=$1
	shift
	(cd "$scratch" && run_raw "$label" "${vg[@]}" "$ACMEC" \
	    --directory "$ACME_DIRECTORY" --ca-bundle "$ACME_CA_BUNDLE" "$@"
	    exit "$rc")
	rc=$?
	check "$label: ${what}a usage error, exit 2 (status $rc; 99: memory error, >= 128: crash)" \
	    test "$rc" = 2
	[ "$rc" = 2 ] || show_run "$label"
	check "$label: it says which value is empty" \
	    grep -qE 'needs a value|no value' "$T/$label.err"
}

empty_paths() {
	local vg=() what scratch=$T/empty-cwd marker=$T/empty-marker made
	# Under ACMEC_VALGRIND the client is already run through valgrind.
	if under_valgrind; then
		what="under valgrind, "
	elif command -v valgrind >/dev/null 2>&1 &&
	    ! ldd "$ACMEC" 2>/dev/null | grep -q libasan; then
		# (An ASan build refuses to run under valgrind.)
		vg=(valgrind --error-exitcode=99 -q)
		what="under valgrind, "
	else
		what=''
	fi
	mkdir -p "$scratch"
	printf '[acmec]\nstate-dir =\n[a]\nnames = a.example\nwebroot = %s\n' \
	    "$WEBROOT" >"$T/empty-state.conf"
	printf '[a]\nnames = a.example\nwebroot = %s\nout =\n' \
	    "$WEBROOT" >"$T/empty-out.conf"
	# A second back: what the runs below make is newer, whatever the
	# resolution of the file system's times.
	touch -d "@$(($(date +%s) - 1))" "$marker"
	fresh n
	# An empty state dir would put accounts/ at the root (as root, the
	# tests' usual user), an empty --out files in the current directory.
	empty_run empty-state --state-dir "" account new --agree-tos
	empty_run empty-out --state-dir "$T/cli" issue --out "" -d "$n" \
	    -w "$WEBROOT" --agree-tos
	empty_run empty-state-conf renew -c "$T/empty-state.conf"
	empty_run empty-out-conf --state-dir "$T/cli" renew -c "$T/empty-out.conf"
	check "empty paths: nothing made in the current directory ($(ls -A "$scratch" | tr '\n' ' '))" \
	    test -z "$(ls -A "$scratch")"
	made=$(find / /accounts -maxdepth 1 -newer "$marker" \( -name accounts \
	    -o -path '/accounts/*' \) 2>/dev/null | tr '\n' ' ')
	check "empty paths: nothing made at the root ($made)" test -z "$made"
}

# ------------------------------------------------------------ webroots

webroot_missing() {
	local wr=$T/no-such-webroot before after
	STATE=$T/cli
	before=$(handler_lines "$NEW_ORDER")
	fresh n
	run wr-missing issue -w "$wr" -d "$n" --agree-tos --out "$T/wr-missing-out"
	after=$(handler_lines "$NEW_ORDER")
	check_exit wr-missing 1 "missing webroot: issue exits 1"
	check "missing webroot: it fails before any order is created ($((after - before)) newOrder request(s))" \
	    test "$after" = "$before"
	check_says_fixed wr-missing "$wr" "missing webroot: the message names the webroot"
	check_not_says wr-missing ': Success$' \
	    "missing webroot: no message ends with ': Success'"
}

webroot_file() {
	local wr=$WEBROOT/file-not-dir
	STATE=$T/cli
	echo "not a directory" >"$wr"
	fresh n
	run wr-file issue -w "$wr" -d "$n" --agree-tos --out "$T/wr-file-out"
	rm -f "$wr"
	check_exit wr-file 1 "webroot is a regular file: issue exits 1"
	check_says wr-file 'not a directory' \
	    "webroot is a regular file: the message says it is not a directory"
	check_not_says wr-file ': Success$' \
	    "webroot is a regular file: no message ends with ': Success'"
}

# ------------------------------------------------------------ output dirs

# same_files DIR SAVED: every file saved from DIR is still there, unchanged.
same_files() {
	local f
	[ -n "$(ls -A "$2" 2>/dev/null)" ] || return 1
	for f in "$2"/*; do
		cmp -s "$f" "$1/$(basename "$f")" || return 1
	done
}

san_names() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
	    tr ',' '\n' | sed -n 's/^[[:space:]]*DNS://p' | sort | tr '\n' ' '
}

# Two certificates with the same first name and no --out.
same_first_name() {
	local b www mail live saved=$T/same-saved
	STATE=$T/same
	fresh b
	www=www.$b
	mail=mail.$b
	run same1 issue -d "$b" -d "$www" -w "$WEBROOT" --agree-tos
	check_exit same1 0 "same first name: issue -d $b -d $www (no --out) exits 0"
	live=$(find "$STATE" -type d -name "$b" -path '*live*' | head -n 1)
	mkdir -p "$saved"
	[ -n "$live" ] && cp -p "$live"/* "$saved"/ 2>/dev/null

	run same2 issue -d "$b" -d "$mail" -w "$WEBROOT"
	check_exit same2 1 "same first name: issue -d $b -d $mail (no --out) refuses, exit 1"
	check_err_says_fixed same2 "live/$b" "same first name: the error names live/$b"
	check_err_says_fixed same2 "$www" "same first name: the error lists the names it holds ($www)"
	check_err_says_fixed same2 "--out" "same first name: the error says to pass --out"
	check "same first name: the files in live/$b are unchanged, byte for byte" \
	    same_files "$live" "$saved"

	run same3 -q issue -d "$b" -d "$mail" -w "$WEBROOT" --out "${live:-$STATE/live/$b}"
	check_exit same3 0 "same first name: with --out live/$b it replaces, exit 0"
	check_says same3 "added:.*$mail" "same first name: -q still says 'added: $mail'"
	check_says same3 "dropped:.*$www" "same first name: -q still says 'dropped: $www'"
	check "same first name: the certificate now has $b and $mail ($(san_names "$live/cert.pem"))" \
	    test "$(san_names "$live/cert.pem")" = "$(printf '%s\n' "$b" "$mail" | sort | tr '\n' ' ')"
}

# --csr into an output dir whose privkey.pem is another key.
csr_key_mismatch() {
	local c out=$T/csr-out saved=$T/csr-saved
	STATE=$T/cli
	fresh c
	run csr1 issue -d "$c" -w "$WEBROOT" --agree-tos --out "$out"
	check_exit csr1 0 "csr: issue -d $c into an output dir exits 0"
	mkdir -p "$saved"
	cp -p "$out"/*.pem "$saved"/ 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/user.key" -subj "/CN=$c" \
	    -addext "subjectAltName=DNS:$c" -out "$T/user.csr" 2>"$T/user-csr.log" ||
	    diag <"$T/user-csr.log"
	run csr2 issue --csr "$T/user.csr" -w "$WEBROOT" --out "$out"
	check_exit csr2 1 "csr: --csr with a key that is not privkey.pem's is refused, exit 1"
	check_err_says_fixed csr2 privkey.pem "csr: the error names privkey.pem"
	check "csr: cert.pem, chain.pem, fullchain.pem, privkey.pem unchanged, byte for byte" \
	    same_files "$out" "$saved"
}

# ------------------------------------------------------------ requests

request_count() {
	local a b1 b2 before after
	STATE=$T/count
	fresh a
	run count1 issue -d "$a" -w "$WEBROOT" --agree-tos --out "$T/count1"
	fresh b1
	fresh b2
	before=$(handler_lines)
	run count2 issue -d "$b1" -d "$b2" -w "$WEBROOT" --out "$T/count2"
	after=$(handler_lines)
	echo "# requests of a two-name issuance with a known account: $((after - before))"
	check_exit count2 0 "requests: a two-name issuance with a known account exits 0"
	check "requests: it makes at most 11 requests ($((after - before)), counted in pebble's log)" \
	    test "$((after - before))" -le 11
}

# ------------------------------------------------------------ load

# One issuance of load run $1; its exit status in $T/load$1.rc.
load_one() {
	local n="l$1-$RANDOM$BASHPID.example.com"
	run "load$1" -q issue -d "$n" -w "$WEBROOT" --out "$T/load-out/$1"
	echo "$rc" >"$T/load$1.rc"
}

load() {
	local i good=0 bad=() batch=()
	STATE=$T/load
	run load0 -q account new --agree-tos
	# Ten at a time (each its own certificate, one account): the same
	# rejections and validation waits in a tenth of the time.  Only these
	# are waited for: the script has other jobs in the background.
	for i in $(seq 1 20); do
		load_one "$i" &
		batch+=("$!")
		if [ "${#batch[@]}" = 10 ]; then
			wait "${batch[@]}"
			batch=()
		fi
	done
	for i in $(seq 1 20); do
		if [ "$(cat "$T/load$i.rc" 2>/dev/null)" = 0 ] &&
		    [ -s "$T/load-out/$i/fullchain.pem" ]; then
			good=$((good + 1))
		else
			bad+=("load$i")
		fi
	done
	if [ "$good" = 20 ]; then
		ok "load: with half of the nonces rejected and validations of up to 3 s, 20 of 20 issuances succeed"
	else
		not_ok "load: with half of the nonces rejected and validations of up to 3 s, 20 of 20 issuances succeed ($good)"
		for i in "${bad[@]:0:3}"; do
			echo "$i:" | diag
			show_run "$i"
		done
	fi
}

# ------------------------------------------------------------ run

no_hosts_jail
[ "${#proxy_jail[@]}" = 0 ] ||
    echo "# the fault proxy runs with an empty /etc/hosts, as in a bare chroot"
control_rollover
control_proxy
rollover_badnonce_lost
rollover_replaced 504
rollover_replaced 500
rollover_replaced 503
resume_after_lost_answers

# Everything below talks to pebble directly; $T/cli is their account.
STATE=$T/cli
run cli-new account new --agree-tos
check_exit cli-new 0 "cli: account new for the command-line checks exits 0"
hook_fds
hook_nested
ctrl_c_lock
empty_paths
webroot_missing
webroot_file
same_first_name
csr_key_mismatch
request_count

# Phase 2: half of the nonces rejected, validations of up to 3 s.
testca_stop
export PEBBLE_WFE_NONCEREJECT=50 PEBBLE_VA_SLEEPTIME=3
if testca_start; then
	echo "# CA restarted with PEBBLE_WFE_NONCEREJECT=50 PEBBLE_VA_SLEEPTIME=3"
	load
else
	not_ok "load: restart the test CA with PEBBLE_WFE_NONCEREJECT=50"
fi

echo "# run time: $((SECONDS - started)) s"

# ------------------------------------------------------------ summary

summary
