#!/bin/bash
#
# integration-fleet.sh - acmec issue --memcached for names served by a
# fleet of web servers, against a real pebble, real memcached servers and
# real nginx nodes behind a round-robin balancer, all on loopback:
#
#   pebble --http-01--> balancer 127.0.0.1:5002 (nginx, upstream round robin)
#                         |-> node 1 127.0.0.2:5080 --> memcached A :11311
#                         |-> node 2 127.0.0.3:5080 --> memcached A :11311
#                         '-> node 3 127.0.0.4:5080 --> memcached B :11312
#
# Each node is an nginx of its own with contrib/nginx/acme-challenge-
# memcached.conf (memcached first, then the node's own webroot).  Linux
# routes all of 127.0.0.0/8 to lo, so the three nodes need no setup.
# Node 3 reads another memcached than nodes 1 and 2: an issuance passes
# only because acmec writes every response to EVERY server it is given.
# Controls show that the fleet catches the mistakes it is meant to catch:
# a webroot on one node only fails, and so does listing memcached A only.
#
# Run by `make check` when acmec is built with memcached (automake sets
# srcdir, ACMEC and ACMEC_MEMCACHED), or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-fleet.sh
#
# TESTCA_KEEP=1 keeps the work dirs (nginx and memcached logs, configs).
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble,
# nginx, memcached, ... missing, or acmec built without memcached).  One
# "ok"/"not ok" line per check, then "N passed, M failed".

# ls output is only shown to humans, in diagnostics; fresh (report.sh)
# assigns the names, run assigns rc.
# shellcheck disable=SC2012,SC2154

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=SCRIPTDIR/lib/testca.sh
. "$srcdir/tests/lib/testca.sh"
# shellcheck source=SCRIPTDIR/lib/report.sh
. "$srcdir/tests/lib/report.sh"

testca_available || exit 77
MEMCACHED=$(command -v memcached) || {
	echo "memcached is not installed (apt-get install memcached): skipped"
	exit 77
}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

resolve_client

# Built with memcached?  make check says; by hand, ask acmec itself (a
# build with it fails on the server instead, before the CA is asked).
if [ -z "${ACMEC_MEMCACHED:-}" ]; then
	probe_dir=$(mktemp -d "${TMPDIR:-/tmp}/acmec-fleet-probe.XXXXXX") || exit 1
	"$ACMEC" --directory https://127.0.0.1:1/dir --state-dir "$probe_dir" \
	    issue -d probe.example --memcached 127.0.0.1:1 2>&1 |
	    grep -q 'without memcached support' && ACMEC_MEMCACHED=no
	rm -rf "$probe_dir"
fi
if [ "${ACMEC_MEMCACHED:-}" = no ]; then
	echo "acmec was built without memcached support: skipped"
	exit 77
fi

MC_A=11311		# nodes 1 and 2
MC_B=11312		# node 3
MC_DOWN=11399		# nothing listens here
NODE_PORT=5080
NODES=(127.0.0.2 127.0.0.3 127.0.0.4)
NODE_MC=("$MC_A" "$MC_A" "$MC_B")

# ------------------------------------------------------------ memcached

# mc_send PORT: send standard input (memcached's text protocol, CRLFs
# included) and "quit" to the memcached on 127.0.0.1:PORT; print its
# answer.  Plain bash, no client library.
mc_send() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1
		cat >&3; printf "quit\r\n" >&3; cat <&3' "$1" 2>/dev/null
}

# mc_set PORT KEY VALUE (for 300 s)
mc_set() {
	printf 'set %s 0 300 %d\r\n%s\r\n' "$2" "${#3}" "$3" | mc_send "$1" |
	    grep -q '^STORED'
}

# mc_delete PORT KEY
mc_delete() {
	printf 'delete %s\r\n' "$2" | mc_send "$1" >/dev/null
}

# mc_items PORT: how many items the server holds.
mc_items() {
	printf 'stats\r\n' | mc_send "$1" | tr -d '\r' |
	    sed -n 's/^STAT curr_items //p'
}

# mc_keys PORT: the keys it holds, for diagnostics.
mc_keys() {
	printf 'lru_crawler metadump all\r\n' | mc_send "$1" | tr -d '\r' |
	    sed -n 's/^key=\([^ ]*\).*/\1/p'
}

mc_ready() {
	printf 'version\r\n' | mc_send "$1" | grep -q '^VERSION'
}

# port_busy HOST PORT: does something listen there?
port_busy() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# ------------------------------------------------------------ nginx

# Lines every nginx config here starts with: the worker user when we are
# root (as testca.sh does, so that files must be world-readable, as on a
# real server), a pid file directly in TESTCA_DIR (testca.sh finds a
# leftover nginx by it), logs and temp dirs of its own.
nginx_head() {
	local name=$1 dir=$2 group m
	if [ "$(id -u)" = 0 ]; then
		local user=${TESTCA_NGINX_USER:-nobody}
		if group=$(id -gn "$user" 2>/dev/null); then
			echo "user $user $group;"
		else
			echo "user root root;"
		fi
	fi
	cat <<-EOF
	daemon off;
	worker_processes 1;
	pid $TESTCA_DIR/$name.pid;
	error_log $dir/error.log info;
	env TESTCA_OWNER;
	events {
	    worker_connections 64;
	}
	EOF
	echo "http {"
	echo "    log_format fleet '\$request_uri \$status \$upstream_addr';"
	echo "    access_log $dir/access.log fleet;"
	mkdir -p "$dir/tmp"
	for m in client_body proxy fastcgi uwsgi scgi; do
		case $m in
		client_body) ;;
		*) "$NGINX" -V 2>&1 | grep -q -- "--without-http_${m}_module" && continue ;;
		esac
		echo "    ${m}_temp_path $dir/tmp/$m;"
	done
}

# write_node N: node N's config; its challenge location is the contrib
# snippet, pointed at its memcached and its own webroot.
write_node() {
	local i=$1 dir=$FLEET/node$1
	mkdir -p "$dir/www"
	chmod 755 "$dir" "$dir/www"
	sed -e "s|memcached_pass 127.0.0.1:11211;|memcached_pass 127.0.0.1:${NODE_MC[i - 1]};|" \
	    -e "s|root /var/www/html;|root $dir/www;|" \
	    "$srcdir/contrib/nginx/acme-challenge-memcached.conf" >"$dir/acme.conf"
	if ! grep -qF "memcached_pass 127.0.0.1:${NODE_MC[i - 1]};" "$dir/acme.conf" ||
	    ! grep -qF "root $dir/www;" "$dir/acme.conf"; then
		echo "contrib/nginx/acme-challenge-memcached.conf: memcached_pass or root not found"
		return 1
	fi
	{
		nginx_head "fleet-node$i" "$dir"
		cat <<-EOF
		    server {
		        listen ${NODES[i - 1]}:$NODE_PORT;
		        server_name _;
		        add_header X-Fleet-Node $i always;
		        include $dir/acme.conf;
		        location / {
		            return 404;
		        }
		    }
		}
		EOF
	} >"$dir/nginx.conf"
}

# The balancer on the port pebble validates, round robin over the nodes,
# no retries on another node (a 404 must stay a 404).
write_balancer() {
	local dir=$FLEET/balancer node
	mkdir -p "$dir"
	{
		nginx_head fleet-balancer "$dir"
		echo "    upstream fleet {"
		for node in "${NODES[@]}"; do
			echo "        server $node:$NODE_PORT;"
		done
		cat <<-EOF
		    }
		    server {
		        listen 127.0.0.1:$TESTCA_HTTP_PORT;
		        server_name _;
		        location / {
		            proxy_pass http://fleet;
		            proxy_set_header Host \$host;
		            proxy_next_upstream off;
		        }
		    }
		}
		EOF
	} >"$dir/nginx.conf"
}

web_answers() {
	local code
	code=$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' --max-time 5 "$1")
	[ -n "$code" ] && [ "$code" != 000 ]
}

# fetch URL: the body, with "NODE=N" (the node's header) on a last line.
fetch() {
	curl --noproxy '*' -s --max-time 5 -D "$T/fetch.hdr" "$1"
	echo
	echo "NODE=$(tr -d '\r' <"$T/fetch.hdr" | sed -n 's/^X-Fleet-Node: //Ip')"
}

# ------------------------------------------------------------ helpers

# Set by `fresh n` (report.sh) before each use.
# shellcheck disable=SC2034
n=''

# issue LABEL OUTDIR NAME... -- ARGS: issue NAMEs with ARGS (the sink).
issue() {
	local label=$1 out=$2 names=()
	shift 2
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		names+=(-d "$1")
		shift
	done
	[ "$#" -gt 0 ] && shift
	run "$label" issue "${names[@]}" "$@" --agree-tos \
	    --contact mailto:admin@example.com --out "$T/$out"
}

# Requests for the newOrder URL in pebble's log so far.
new_orders() {
	grep -cF -- "$NEW_ORDER_PATH" "$PEBBLE_LOG"
}

# node_served N STATUS [UPSTREAM]: how many challenge requests node N
# answered with STATUS (and from UPSTREAM, its memcached, if given), from
# its access log; the probes of this script left out.
node_served() {
	grep -E "^/\.well-known/acme-challenge/[A-Za-z0-9_-]+ $2 ${3:-}" \
	    "$FLEET/node$1/access.log" 2>/dev/null | grep -vc 'fleet-probe'
}

webroots_empty() {
	local i d
	for i in 1 2 3; do
		d=$FLEET/node$i/www/.well-known/acme-challenge
		[ ! -d "$d" ] || [ -z "$(ls -A "$d")" ] || return 1
	done
}

# check_memcached_empty DESCRIPTION: neither server holds anything.
check_memcached_empty() {
	local a b
	a=$(mc_items "$MC_A")
	b=$(mc_items "$MC_B")
	if [ "$a" = 0 ] && [ "$b" = 0 ]; then
		ok "$1"
	else
		not_ok "$1 (A holds ${a:-?}, B holds ${b:-?})"
		{ echo "A:"; mc_keys "$MC_A"; echo "B:"; mc_keys "$MC_B"; } | diag
	fi
}

# ------------------------------------------------------------ setup

testca_start || { echo "could not start the test CA"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-fleet.XXXXXX") || exit 1
if [ "${TESTCA_KEEP:-0}" = 1 ]; then
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'echo "# kept $T" >&2'
else
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'rm -rf "$T"'
fi
# shellcheck disable=SC2034 # report.sh's run uses it
STATE=$T/state
# Under TESTCA_DIR: removed (or kept) with it, and reachable by nginx's
# workers (the work dir is 0711).
FLEET=$TESTCA_DIR/fleet
mkdir -m 755 "$FLEET"

echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR)"

NEW_ORDER=$(curl --noproxy '*' -sS --cacert "$ACME_CA_BUNDLE" "$ACME_DIRECTORY" |
    sed -n 's/.*"newOrder"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')
NEW_ORDER_PATH=/${NEW_ORDER#https://*/}
[ -n "$NEW_ORDER" ] || { echo "could not read newOrder from the directory"; exit 1; }

# Our balancer takes port 5002 from testca's nginx.
testca_web_stop

for port in $MC_A $MC_B $MC_DOWN; do
	if port_busy 127.0.0.1 "$port"; then
		echo "port 127.0.0.1:$port is in use by another program"
		exit 1
	fi
done
for node in "${NODES[@]}"; do
	if port_busy "$node" "$NODE_PORT"; then
		echo "port $node:$NODE_PORT is in use by another program"
		exit 1
	fi
done

for port in $MC_A $MC_B; do
	testca_spawn "memcached-$port" "$FLEET/memcached-$port.log" \
	    "$MEMCACHED" -l 127.0.0.1 -p "$port" -U 0 -m 16 -u "$(id -un)" -vv
	testca_wait_for "memcached-$port" "$FLEET/memcached-$port.log" \
	    mc_ready "$port" || exit 1
done

for i in 1 2 3; do
	write_node "$i" || exit 1
	testca_spawn "fleet-node$i" "$FLEET/node$i/nginx.out" "$NGINX" \
	    -p "$FLEET/node$i" -c "$FLEET/node$i/nginx.conf" \
	    -e "$FLEET/node$i/error.log"
	testca_wait_for "fleet-node$i" "$FLEET/node$i/error.log" \
	    web_answers "http://${NODES[i - 1]}:$NODE_PORT/" || exit 1
done
write_balancer
testca_spawn fleet-balancer "$FLEET/balancer/nginx.out" "$NGINX" \
    -p "$FLEET/balancer" -c "$FLEET/balancer/nginx.conf" \
    -e "$FLEET/balancer/error.log"
testca_wait_for fleet-balancer "$FLEET/balancer/error.log" \
    web_answers "http://127.0.0.1:$TESTCA_HTTP_PORT/" || exit 1

# ------------------------------------------------------------ 1. the fleet

# Each node answers from its own memcached: a probe in A is seen by nodes
# 1 and 2 only, one in B by node 3 only.
PROBE=/.well-known/acme-challenge/fleet-probe-$$
if ! mc_set "$MC_A" "$PROBE" "from-A" || ! mc_set "$MC_B" "$PROBE-b" "from-B"; then
	echo "could not store the probes in memcached"
	exit 1
fi
# What node N answers for the two probes: "from-A -", "- from-B".
answers() {
	local base=http://${NODES[$1 - 1]}:$NODE_PORT a b
	a=$(fetch "$base$PROBE" | head -n 1)
	b=$(fetch "$base$PROBE-b" | head -n 1)
	case $a in from-?) ;; *) a=- ;; esac
	case $b in from-?) ;; *) b=- ;; esac
	echo "$a $b"
}
got="$(answers 1)|$(answers 2)|$(answers 3)"
if [ "$got" = "from-A -|from-A -|- from-B" ]; then
	ok "nodes 1 and 2 answer from memcached A, node 3 from memcached B"
else
	not_ok "nodes 1 and 2 answer from memcached A, node 3 from memcached B"
	echo "got $got, want from-A -|from-A -|- from-B" | diag
fi

# Three requests through the balancer reach three different nodes.
nodes_seen=$(for i in 1 2 3; do
	fetch "http://127.0.0.1:$TESTCA_HTTP_PORT$PROBE" | sed -n 's/^NODE=//p'
done | sort -u | tr '\n' ' ' | sed 's/ $//')
check "the balancer on port $TESTCA_HTTP_PORT spreads requests over the three nodes ($nodes_seen)" \
    test "$nodes_seen" = "1 2 3"
mc_delete "$MC_A" "$PROBE"
mc_delete "$MC_B" "$PROBE-b"

# The fallback of the contrib snippet: a file in a node's webroot.
mkdir -p "$FLEET/node3/www/.well-known/acme-challenge"
chmod 755 "$FLEET/node3/www/.well-known" "$FLEET/node3/www/.well-known/acme-challenge"
(umask 022; printf 'from-webroot' >"$FLEET/node3/www$PROBE-w")
check "a node falls back to its webroot when memcached has no entry" \
    test "$(fetch "http://${NODES[2]}:$NODE_PORT$PROBE-w" | head -n 1)" = from-webroot
rm -rf "$FLEET/node3/www/.well-known"

# ------------------------------------------------------------ 2. control: -w

# A webroot on node 1 only.  Pebble fetches each response three times
# ("Starting 3 validations" in its log, as a CA validating from several
# places does), and the balancer takes turns: nodes 2 and 3, which do not
# have the file, are asked too.
fresh n1
fresh n2
orders_before=$(new_orders)
issue control-w out-control-w "$n1" "$n2" -- -w "$FLEET/node1/www"
check_exit control-w 1 "control: a webroot on node 1 only fails (exit 1)"
if grep -qF 'urn:ietf:params:acme:error:' "$T/control-w.err"; then
	ok "... the CA refused the validation ($(grep -oE 'urn:ietf:params:acme:error:[A-Za-z]+' "$T/control-w.err" | head -n 1))"
else
	not_ok "... the CA refused the validation"
	show_run control-w
fi
missed=$(($(node_served 2 404) + $(node_served 3 404)))
check "... because nodes 2 and 3 answered 404 ($missed times)" test "$missed" -ge 1
check "... an order was created (the control reached the CA)" \
    test "$(new_orders)" -gt "$orders_before"
check "... and no challenge file is left on node 1" webroots_empty

# ------------------------------------------------------------ 3. --memcached

for k in 1 2 3; do
	fresh n1
	fresh n2
	issue "fleet$k" "out-fleet$k" "$n1" "$n2" -- \
	    --memcached "127.0.0.1:$MC_A" --memcached "127.0.0.1:$MC_B"
	if [ "$rc" = 0 ] && [ -s "$T/out-fleet$k/fullchain.pem" ]; then
		ok "issuance $k of 3 through --memcached A --memcached B ($n1, $n2)"
	else
		not_ok "issuance $k of 3 through --memcached A --memcached B ($n1, $n2)"
		show_run "fleet$k"
	fi
done
for i in 1 2 3; do
	served=$(node_served "$i" 200 "127.0.0.1:${NODE_MC[i - 1]}")
	check "node $i answered validations from its memcached ($served)" \
	    test "$served" -ge 1
done
check_memcached_empty "no entry is left in memcached A or B"
check "no challenge file in any node's webroot" webroots_empty

# ------------------------------------------------------------ 4. control: A only

# Round robin again: node 3, which reads memcached B, where acmec was not
# told to write, is asked (three fetches per name, three names).
fresh n1
fresh n2
fresh n3
issue control-a out-control-a "$n1" "$n2" "$n3" -- --memcached "127.0.0.1:$MC_A"
check_exit control-a 1 "control: listing memcached A only fails (node 3 reads B)"
check "... node 3 answered 404 ($(node_served 3 404) times in all)" \
    test "$(node_served 3 404)" -ge 1
check_memcached_empty "... and nothing is left in memcached"

# ------------------------------------------------------------ 5. down

fresh n1
orders_before=$(new_orders)
issue down out-down "$n1" -- --memcached "127.0.0.1:$MC_DOWN"
check_exit down 1 "a memcached that is down: exit 1"
check "... the message names it and says nothing was ordered" grep -qF \
    "memcached 127.0.0.1:$MC_DOWN: connection refused (storing a probe key); nothing was ordered" \
    "$T/down.err"
orders_after=$(new_orders)
check "... no order was created (newOrder asked $((orders_after - orders_before)) times)" \
    test "$orders_after" = "$orders_before"
check "... no certificate written" test ! -e "$T/out-down/cert.pem"

fresh n1
orders_before=$(new_orders)
issue down2 out-down2 "$n1" -- --memcached "127.0.0.1:$MC_A" \
    --memcached "127.0.0.1:$MC_DOWN"
check_exit down2 1 "two servers listed, one down: exit 1"
if grep -qF "memcached 127.0.0.1:$MC_DOWN: connection refused" "$T/down2.err" &&
    grep -qF "nothing was ordered" "$T/down2.err" &&
    ! grep -qF "127.0.0.1:$MC_A" "$T/down2.err"; then
	ok "... the message names the one that is down, not the other"
else
	not_ok "... the message names the one that is down, not the other"
	show_run down2
fi
orders_after=$(new_orders)
check "... no order was created (newOrder asked $((orders_after - orders_before)) times)" \
    test "$orders_after" = "$orders_before"
check_memcached_empty "... and the probe key is gone from memcached A"

# ------------------------------------------------------------ summary

testca_stop
summary
