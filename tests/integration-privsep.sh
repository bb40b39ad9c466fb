#!/bin/bash
#
# integration-privsep.sh - acmec's privilege separation (issue 15) seen
# from outside, as an attacker would see it, against a real local ACME CA
# (pebble) and web server (nginx).
#
# Run by `make check` (which builds tests/procmem), or by hand from the
# top of the tree after `make tests/procmem`:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-privsep.sh
#
# 1. Attacker view.  While an issue waits for the CA (nginx frozen, so
#    that pebble's http-01 validation hangs), the one acmec process with a
#    connection to the CA runs as another user than root, with
#    no_new_privs and a seccomp filter, holds no descriptor under the
#    state, output or webroot directories, and its memory (copied by
#    tests/procmem as root) holds none of the run's private keys.
# 2. Injected code.  An LD_PRELOAD shim (tests/privsep-shim.c, built here
#    with cc) acts in that process right after its first connect to the
#    CA: reading the account key, creating files and starting a program
#    are refused; acmec exits 1 with the output set untouched, and the
#    next run without the shim succeeds.
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble,
# nginx, openssl, curl, flock, a C compiler or tests/procmem missing).

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=SCRIPTDIR/lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=SCRIPTDIR/lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "no C compiler: skipped"; exit 77; }
resolve_client
PROCMEM=${PROCMEM:-${ACMEC_BUILDDIR:-$(dirname "$ACMEC_NATIVE")}/tests/procmem}
[ -x "$PROCMEM" ] || { echo "$PROCMEM missing (make tests/procmem): skipped"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-privsep.XXXXXX") || exit 1
# shellcheck disable=SC2016 # expanded when the trap runs
testca_atexit 'rm -rf "$T"'
# Resolved, as the kernel names the files a descriptor points to.  Others
# may pass through (not list) $T: then only the sandbox, not the modes,
# can stop the shim writing into DROP, which anybody may write to.
T=$(cd "$T" && pwd -P)
chmod 711 "$T"
STATE=$T/state
OUT=$T/out
DROP=$T/drop
mkdir -m 777 "$DROP"
SHIM=$T/privsep-shim.so
"${CC:-cc}" -shared -fPIC -o "$SHIM" "$srcdir/tests/privsep-shim.c" -ldl \
    2>"$T/cc.log" ||
    { cat "$T/cc.log"; rm -rf "$T"; echo "cannot build the shim: skipped"; exit 77; }

testca_start || { echo "could not start the test CA"; exit 1; }
WEB=$(cd "$WEBROOT" && pwd -P)
CA_PORT=${ACME_DIRECTORY#https://*:}
CA_PORT=${CA_PORT%%/*}
echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR)"

NAME=''
fresh NAME

# issue LABEL [-v]: the issue command, always for NAME into OUT.
issue() {
	local label=$1
	shift
	run "$label" "$@" issue -d "$NAME" -w "$WEBROOT" --agree-tos \
	    --contact mailto:admin@example.com --out "$OUT"
}

# tree_of PID: PID and its descendants, from /proc (procps may be missing).
tree_of() {
	local -A kids=()
	local f stat fields queue=("$1") p
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null <"$f" || continue
		# "pid (comm) state ppid ...": comm may hold spaces.
		read -r -a fields <<<"${stat##*) }"
		kids[${fields[1]}]+=" ${stat%% *}"
	done
	while [ "${#queue[@]}" -gt 0 ]; do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		echo "$p"
		# shellcheck disable=SC2206 # a list of pids
		queue+=(${kids[$p]:-})
	done
}

# ca_sockets: the ESTABLISHED (01) TCP sockets to CA_PORT, as a
# descriptor's link names them ("socket:[INODE]").
ca_sockets() {
	awk -v port="$(printf '%04X' "$CA_PORT")" 'FNR > 1 {
	    split($3, a, ":"); if (a[2] == port && $4 == "01") print "socket:[" $10 "]" }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# holders PID: the processes of PID's tree with a connection to the CA.
holders() {
	local sockets p fd
	sockets=" $(ca_sockets | tr '\n' ' ') "
	for p in $(tree_of "$1"); do
		for fd in /proc/"$p"/fd/*; do
			fd=$(readlink "$fd" 2>/dev/null) || continue
			case $sockets in *" $fd "*) echo "$p"; break ;; esac
		done
	done
}

# status_of PID FIELD: the value of "FIELD:" in /proc/PID/status.
status_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null | tr -s '\t' ' '
}

# fds_inside PID: what PID's descriptors point to under STATE, OUT or WEB.
# (One closed meanwhile is skipped; none at all would prove nothing.)
fds_inside() {
	local fd target
	compgen -G "/proc/$1/fd/*" >/dev/null || echo "/proc/$1/fd: cannot read"
	for fd in /proc/"$1"/fd/*; do
		target=$(readlink "$fd") || continue
		case $target in
		"$STATE" | "$STATE"/* | "$OUT" | "$OUT"/* | "$WEB" | "$WEB"/*)
			echo "${fd##*/} -> $target" ;;
		esac
	done
}

# fingerprint DIR: one line for the output set in DIR, whatever its state.
fingerprint() {
	(cd "$1" 2>/dev/null && readlink current;
	    cat privkey.pem cert.pem chain.pem fullchain.pem) 2>/dev/null | sha256sum
}

# ------------------------------------------------------------ attacker view

testca_web_freeze
testca_atexit 'testca_web_thaw'
# An EAB key in the environment (unused here: no --eab-kid) is a secret
# the network process must not keep either.
EAB_SECRET=privsep-eab-$RANDOM$RANDOM$RANDOM
(export ACMEC_EAB_HMAC_KEY=$EAB_SECRET; issue attacker -v; exit "$rc") &
bg=$!
# Wait for the challenge file: the order is under way, its connection open.
holder=''
deadline=$((SECONDS + 90))
while [ "$SECONDS" -lt "$deadline" ] && kill -0 "$bg" 2>/dev/null; do
	if compgen -G "$WEBROOT/.well-known/acme-challenge/*" >/dev/null; then
		holder=$(holders "$bg" | tr '\n' ' ')
		holder=${holder% }
		[ -n "$holder" ] && break
	fi
	sleep 0.2
done
P=${holder%% *}
check "attacker view: exactly one acmec process holds a connection to the CA's port $CA_PORT (${holder:-none})" \
    test -n "$holder" -a "$P" = "$holder"
# Not root, we cannot see into a process that made itself undumpable.
[ -z "$holder" ] && [ "$(id -u)" != 0 ] &&
    echo "# not running as root: a process that is not dumpable hides its descriptors"
ROOT=''
[ "$(id -u)" = 0 ] && ROOT=1
if [ -n "$P" ]; then
	echo "# that process: $P ($(cat "/proc/$P/comm" 2>/dev/null)), $(tree_of "$bg" | wc -l) processes in acmec's tree"
	uids=$(status_of "$P" Uid)
	if [ -n "$ROOT" ]; then
		check "attacker view: it does not run as root (Uid: $uids)" \
		    test -n "$uids" -a -z "$(tr ' ' '\n' <<<"$uids" | grep -x 0)"
	else
		echo "# skipped (not running as root): the uid check; acmec changes user only when started as root"
	fi
	if ! skip_under_valgrind "NoNewPrivs and Seccomp of that process: no filter holds under valgrind"; then
		nnp=$(status_of "$P" NoNewPrivs)
		check "attacker view: it has no_new_privs (NoNewPrivs: $nnp)" test "$nnp" = 1
		sec=$(status_of "$P" Seccomp)
		# A kernel without CONFIG_SECCOMP has no such line at all.
		if grep -q '^Seccomp:' /proc/self/status; then
			check "attacker view: it is under a seccomp filter (Seccomp: $sec)" test "$sec" = 2
		else
			echo "# skipped (this kernel has no seccomp): the Seccomp check"
		fi
	fi
	inside=$(fds_inside "$P")
	if [ -z "$inside" ]; then
		ok "attacker view: none of its descriptors is under the state, output or webroot directory"
	else
		not_ok "attacker view: none of its descriptors is under the state, output or webroot directory"
		echo "$inside" | diag
	fi
	# The main process forked it: the one that parses the CA's JSON
	# and writes the files.  The keys are in processes of their own.
	MAIN=$(status_of "$P" PPid)
	sandboxed=''
	for p in $(tree_of "$MAIN"); do
		[ "$p" = "$MAIN" ] && continue
		[ "$(status_of "$p" NoNewPrivs)" = 1 ] || sandboxed="$sandboxed $p"
	done
	if ! skip_under_valgrind "the NoNewPrivs of the key processes"; then
		check "every process acmec forked has no_new_privs (the key processes too:${sandboxed:- all})" \
		    test -z "$sandboxed"
		# The main process too: it confined itself before the CA's first answer.
		nnp=$(status_of "$MAIN" NoNewPrivs)
		sec=$(status_of "$MAIN" Seccomp)
		check "the main process has no_new_privs (NoNewPrivs: $nnp) and a seccomp filter (Seccomp: $sec)" \
		    test "$nnp" = 1 -a "$sec" = 2
	fi
	dumped=''
	if [ -n "$ROOT" ]; then
		"$PROCMEM" dump "$P" "$T/holder.mem" >"$T/dump.out" 2>&1 && dumped=1
		check "attacker view: its memory can be copied as root ($(tail -n 1 "$T/dump.out"))" \
		    test -n "$dumped"
		"$PROCMEM" dump "$MAIN" "$T/main.mem" >"$T/dump-main.out" 2>&1 ||
		    dumped=''
		check "the main process's memory can be copied as root ($(tail -n 1 "$T/dump-main.out"))" \
		    test -n "$dumped"
	else
		echo "# skipped (not running as root): the memory checks; another user's /proc/PID/mem takes root"
	fi
fi
testca_web_thaw
wait "$bg"
rc=$?
check_exit attacker 0 "attacker view: the issue run succeeds once the web server is back"
check_says_fixed attacker "network process: " \
    "attacker view: -v reports the network process's sandbox"
check_says_fixed attacker "main process: user: kept, no_new_privs: yes" \
    "attacker view: -v reports the main process's confinement"

# The private keys of the run: the account key, privkey.pem, and any
# other the run left in the state or output directory (the next key).
keys=()
while IFS= read -r k; do keys+=("$k"); done < <(
	{ readlink -f "$(account_dir "$STATE")/account-key.pem"
	  readlink -f "$OUT/privkey.pem"
	  grep -rlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' "$STATE" "$OUT"
	} 2>/dev/null | sort -u)
if [ -n "${dumped:-}" ]; then
	# The search itself: a key's DER holds its private numbers, the DER
	# reversed holds them little-endian.
	openssl pkey -in "$OUT/privkey.pem" -outform DER -out "$T/key.der" 2>/dev/null
	perl -0777 -pe '$_ = reverse $_' "$T/key.der" >"$T/key.rev"
	"$PROCMEM" find "$T/key.der" "$OUT/privkey.pem" >"$T/find-be.out" 2>&1
	"$PROCMEM" find "$T/key.rev" "$OUT/privkey.pem" >"$T/find-le.out" 2>&1
	check "procmem finds privkey.pem's private number in its DER, in either byte order" \
	    test -n "$(grep 'big-endian.*FOUND' "$T/find-be.out")" \
	    -a -n "$(grep 'little-endian.*FOUND' "$T/find-le.out")"
	# no_key_in DUMP WHAT: none of the keys is in the memory dump DUMP.
	no_key_in() {
		local found
		"$PROCMEM" find "$1" "${keys[@]}" >"$1.find" 2>&1
		found=$?
		if [ "$found" = 0 ] && [ "${#keys[@]}" -ge 2 ]; then
			ok "$2 holds none of the run's ${#keys[@]} private keys"
		else
			not_ok "$2 holds none of the run's ${#keys[@]} private keys (procmem status $found)"
			grep -v ': not found$' "$1.find" | diag
		fi
	}
	no_key_in "$T/holder.mem" "attacker view: its memory"
	no_key_in "$T/main.mem" "the memory of the main process, which parses the CA's JSON,"
	# Valgrind and the sanitizers' runtime (which reads
	# /proc/self/environ) keep a copy of the environment of their own.
	if skip_under_valgrind "the EAB key in its memory: valgrind holds a copy"; then
		:
	elif ldd "$ACMEC_NATIVE" 2>/dev/null | grep -q 'lib[at]san'; then
		echo "# skipped: the EAB key in its memory (a sanitizer's runtime holds a copy)"
	else
		check "attacker view: the EAB key of its environment is not in its memory" \
		    test "$(grep -c -a -F "$EAB_SECRET" "$T/holder.mem")" = 0
	fi
fi
rm -f "$T/holder.mem" "$T/main.mem"

# ------------------------------------------- the certificate key process dies

# Killed while the CA holds an answer: the run stops (exit 1) before it
# sends a CSR whose key it could not keep, and leaves the set as it was.
# Under valgrind the processes go by valgrind's name, and the run is too
# slow to find one before the CA gives up on the frozen web server.
if ! skip_under_valgrind "killing the certificate key process: found by its name, which valgrind's replaces"; then
	# The set in place is NAME's; the run orders a new name, as pebble
	# may reuse NAME's valid authorization, leaving no challenge to wait on.
	NAME2=''
	fresh NAME2
	issue2() {
		run "$1" issue -d "$NAME2" -w "$WEBROOT" --out "$OUT"
	}
	before=$(fingerprint "$OUT")
	testca_web_freeze
	(issue2 keys-killed; exit "$rc") &
	bg=$!
	keys=''
	deadline=$((SECONDS + 90))
	while [ -z "$keys" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$bg" 2>/dev/null; do
		compgen -G "$WEBROOT/.well-known/acme-challenge/*" >/dev/null &&
		    for p in $(tree_of "$bg"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = acmec-certkeys ] &&
			    keys=$p
		    done
		sleep 0.2
	done
	check "the certificate key process is named in ps (acmec-certkeys: ${keys:-none})" test -n "$keys"
	[ -n "$keys" ] && kill -KILL "$keys"
	testca_web_thaw
	wait "$bg"
	rc=$?
	check_exit keys-killed 1 "the certificate key process killed: the run exits 1"
	check_says_fixed keys-killed "the certificate key process" \
	    "the certificate key process killed: the message names it"
	check "the certificate key process killed: the output set is untouched" \
	    test "$(fingerprint "$OUT")" = "$before"
	issue2 keys-again
	check_exit keys-again 0 "the certificate key process killed: the next run succeeds"
fi

# ------------------------------------------------------------ injected code

if ! skip_under_valgrind "the injected-code scenario: the shim would be preloaded into valgrind, where no sandbox holds"; then
	KEY=$(account_dir "$STATE")/account-key.pem
	WROTE="$DROP/shim-wrote $STATE/shim-wrote"
	MARKER=$DROP/shim-exec-ran
	before=$(fingerprint "$OUT")
	LD_PRELOAD=$SHIM PRIVSEP_SHIM_PORT=$CA_PORT PRIVSEP_SHIM_KEY=$KEY \
	    PRIVSEP_SHIM_WRITE=${WROTE// /:} PRIVSEP_SHIM_MARKER=$MARKER \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    issue injected
	# Without this line the shim never ran, and no other check means much.
	check_says_fixed injected "privsep-shim: exec /bin/sh: trying" \
	    "injected code: the shim ran after the first connect to the CA"
	check_says_fixed injected "privsep-shim: read $KEY: refused" \
	    "injected code: reading the account key is refused"
	for w in $WROTE; do
		check_says_fixed injected "privsep-shim: write $w: refused" \
		    "injected code: creating ${w#"$T"/} is refused"
		check "injected code: ${w#"$T"/} does not exist" test ! -e "$w"
	done
	check "injected code: starting a program is refused (${MARKER#"$T"/} does not exist)" \
	    test ! -e "$MARKER"
	check_exit injected 1 "injected code: acmec exits 1"
	check "injected code: the output set is untouched" \
	    test "$(fingerprint "$OUT")" = "$before"
	issue after
	check_exit after 0 "injected code: the next run, without the shim, succeeds"
	check "injected code: ... and replaces the set" \
	    test "$(fingerprint "$OUT")" != "$before"
fi

# ------------------------------------------ injected code in the main process

# The main process parses the CA's JSON as root.  Code that took it over
# right after the first answer may still write beneath the state, output
# and webroot directories, but nowhere else, and starts no program: the
# seccomp filter kills it.  A deploy hook still runs, in the hook runner.
if ! skip_under_valgrind "the main-process injection: no sandbox holds under valgrind"; then
	HOOK=$T/hook.sh
	printf '#!/bin/sh\necho "$ACMEC_NAME" >"%s/hook-ran"\n' "$DROP" >"$HOOK"
	chmod 755 "$HOOK"
	WROTE="$DROP/main-wrote $T/main-wrote"
	MARKER=$DROP/main-exec-ran
	before=$(fingerprint "$OUT")
	LD_PRELOAD=$SHIM PRIVSEP_SHIM_IN=main PRIVSEP_SHIM_WRITE=${WROTE// /:} \
	    PRIVSEP_SHIM_MARKER=$MARKER \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    run main-injected issue -d "$NAME" -w "$WEBROOT" --out "$OUT" \
	    --deploy-hook "$HOOK"
	check_says_fixed main-injected "privsep-shim: exec /bin/sh: trying" \
	    "main-process injection: the shim ran after the CA's first answer"
	for w in $WROTE; do
		check_says_fixed main-injected "privsep-shim: write $w: refused" \
		    "main-process injection: creating ${w#"$T"/} is refused"
		check "main-process injection: ${w#"$T"/} does not exist" test ! -e "$w"
	done
	check "main-process injection: starting a program is refused (${MARKER#"$T"/} does not exist)" \
	    test ! -e "$MARKER"
	check "main-process injection: acmec is killed, not successful (exit status $rc)" \
	    test "$rc" != 0
	check "main-process injection: the output set is untouched" \
	    test "$(fingerprint "$OUT")" = "$before"
	check "main-process injection: no deploy hook ran" test ! -e "$DROP/hook-ran"
	run hook-after issue -d "$NAME" -w "$WEBROOT" --out "$OUT" \
	    --deploy-hook "$HOOK"
	check_exit hook-after 0 "main-process injection: the next run succeeds"
	check "... and its deploy hook ran, writing outside acmec's directories" \
	    test "$(cat "$DROP/hook-ran" 2>/dev/null)" = "$NAME"
fi

# ------------------------------------------- the systemd unit's capabilities

# The shipped unit bounds root's capabilities; with them the processes
# must still become nobody, or every timer run would fail.
UNIT=$srcdir/contrib/systemd/acmec-renew.service.in
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' |
    sed 's/cap_/+/g; s/ /,/g')
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	echo "# skipped: the unit's capabilities (needs root and setpriv)"
else
	ACMEC_PLAIN=$ACMEC
	ACMEC=$T/acmec-unitcaps
	printf '#!/bin/sh\nexec setpriv --bounding-set=-all,%s --inh-caps=-all %s "$@"\n' \
	    "$caps" "$ACMEC_PLAIN" >"$ACMEC"
	chmod 755 "$ACMEC"
	issue unitcaps -v
	ACMEC=$ACMEC_PLAIN
	check_exit unitcaps 0 "the unit's capabilities ($caps): issue succeeds"
	check_says_fixed unitcaps "network process: user: nobody" \
	    "the unit's capabilities: the network process becomes nobody"
fi

summary
