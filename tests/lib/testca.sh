# shellcheck shell=bash
#
# testca.sh - start and stop a throwaway local ACME CA for integration tests.
#
# Source this file from a bash script (bash >= 4.4), then:
#
#   testca_available || exit 77      # pebble, nginx, openssl, curl, flock?
#   testca_start || exit 1           # CA + mock DNS + web server, on loopback
#   ... run the client against $ACME_DIRECTORY with --ca-bundle ...
#   testca_stop                      # optional: the EXIT trap does it too
#
# Functions:
#
#   testca_available          are the programs installed? (says what is not)
#   testca_start              start everything, export the variables below
#   testca_stop               stop what testca_start started, remove its files
#   testca_atexit CMD         run CMD from the exit trap (use instead of
#                             your own `trap ... EXIT`, which would replace ours)
#   testca_root_pem FILE      pebble's root certificate (new at every start)
#   testca_intermediate_pem FILE
#   testca_cert_status SERIAL pebble's JSON about a certificate (revocation)
#   testca_web_freeze, testca_web_thaw   pause and resume the web server
#   testca_web_stop           stop the web server on port 5002, for a test
#                             that puts its own there
#   testca_spawn NAME LOG CMD...   start a service of the test's own (after
#                             testca_start): stopped by testca_stop, found
#                             and stopped by the next run if this one is
#                             SIGKILLed; an nginx must keep its pid file
#                             directly in $TESTCA_DIR (NAME.pid)
#   testca_wait_for NAME LOG CMD...   poll CMD until it succeeds (TESTCA_WAIT)
#
# What testca_start runs, all bound to loopback only:
#
#   pebble-challtestsrv  mock DNS on 127.0.0.1:8053 (every name -> 127.0.0.1,
#                        no AAAA answers), management on 127.0.0.1:8055
#   pebble               ACME on 127.0.0.1:14000, management on 127.0.0.1:15000,
#                        validating http-01 on port 5002 through the mock DNS
#   nginx                serving $WEBROOT on 127.0.0.1:5002 (and [::1]:5002)
#
# Exported after testca_start:
#
#   ACME_DIRECTORY   https://localhost:14000/dir
#   ACME_CA_BUNDLE   PEM of the throwaway root that signed pebble's TLS cert
#   WEBROOT          the directory nginx serves; starts empty (no .well-known)
#   PEBBLE_MGMT      https://localhost:15000 (pebble's management API)
#   PEBBLE_LOG       pebble's log file (one "-> calling handler()" per request)
#   CHALLTESTSRV_MGMT  http://127.0.0.1:8055 (mock DNS management API)
#   TESTCA_DIR       the work directory (removed by testca_stop)
#   EAB_KID, EAB_HMAC_KEY   only with TESTCA_EAB=1 (kid-1 of pebble's example)
#   no_proxy, NO_PROXY      extended with localhost,127.0.0.1,::1
#
# Knobs (environment, read by testca_start):
#
#   TESTCA_EAB=1            pebble requires external account binding
#   TESTCA_HOST=127.0.0.1   host in the URLs (default localhost; the TLS
#                           certificate is valid for both)
#   TESTCA_KEEP=1           keep TESTCA_DIR (logs, config) after testca_stop
#   TESTCA_WAIT=20          seconds to wait for each service to answer
#   TESTCA_LOCK=/tmp/acmec-testca.lock, TESTCA_LOCK_TIMEOUT=900 (seconds)
#   TESTCA_NGINX_USER=user  worker user when running as root (default nobody)
#   PEBBLE_WFE_NONCEREJECT, PEBBLE_AUTHZREUSE, PEBBLE_CHAIN_LENGTH, ...
#                           passed to pebble untouched if the caller exported
#                           them; otherwise pebble's defaults apply (5% of
#                           nonces rejected, valid authorizations reused 50%
#                           of the time), which is what a client must survive.
#
# The ports are fixed per slot, so only TESTCA_SLOTS (2) users of this
# library run at a time: testca_start takes an exclusive flock on the lock
# file of a free slot ($TESTCA_LOCK, $TESTCA_LOCK.1, ...) and holds it
# until testca_stop (or exit); slot N's ports are slot 0's plus 100 * N.  The services do not inherit the lock; other
# children of the test script do, so a background job left running keeps
# the next run waiting until it ends.  A trap on EXIT, INT, TERM and HUP
# stops everything testca_start started; services left behind by a run that
# was SIGKILLed are found and stopped by the next testca_start.
#
# As root, nginx runs its workers as nobody, like a real server: challenge
# files the client writes must be readable by others, as they must be on a
# real web server.

# The ports of slot 0; slot N adds 100 * N (testca__use_slot).
TESTCA_ACME_PORT=14000
TESTCA_MGMT_PORT=15000
TESTCA_HTTP_PORT=5002
TESTCA_TLS_PORT=5001
TESTCA_DNS_PORT=8053
TESTCA_CTS_PORT=8055
testca__lockpath=''	# the lock file of the slot held
testca__slot=''		# the slot taken last: a restart takes it again

# Private state of this library (not exported).
testca__pids=()		# "name:pid" of every service started, in start order
testca__lockfd=
testca__nginx=nginx
testca__atexit=()
testca__trapped=

testca__log() {
	printf 'testca: %s\n' "$*" >&2
}

# testca__find PROG: its path, from PATH or the sbin directories, which are
# not in a normal user's PATH on Debian (nginx lives in /usr/sbin).
testca__find() {
	local d
	command -v "$1" 2>/dev/null && return 0
	for d in /usr/sbin /sbin /usr/local/sbin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

# testca_available: true if every program the harness needs is installed;
# otherwise says what is missing (callers usually exit 77, "skipped").
testca_available() {
	local prog missing=''
	for prog in pebble pebble-challtestsrv nginx openssl curl flock; do
		testca__find "$prog" >/dev/null || missing="$missing $prog"
	done
	testca__nginx=$(testca__find nginx)
	if [ -n "$missing" ]; then
		testca__log "missing:$missing"
		return 1
	fi
	return 0
}

# testca_atexit CMD: run CMD (with eval) from the exit trap, before the
# services are stopped.  Commands run in the order they were added.
testca_atexit() {
	testca__atexit+=("$1")
}

# ---------------------------------------------------------------- locking

# Take the exclusive lock that serializes users of the fixed ports.  The file
# may belong to another user (root in CI, a developer otherwise): flock works
# on a read-only descriptor too, so fall back to that.
# testca__use_slot N: the ports and lock file of slot N.
testca__use_slot() {
	local base=${TESTCA_LOCK:-/tmp/acmec-testca.lock}
	testca__lockpath=$base
	[ "$1" = 0 ] || testca__lockpath=$base.$1
	TESTCA_ACME_PORT=$((14000 + 100 * $1))
	TESTCA_MGMT_PORT=$((15000 + 100 * $1))
	TESTCA_HTTP_PORT=$((5002 + 100 * $1))
	TESTCA_TLS_PORT=$((5001 + 100 * $1))
	TESTCA_DNS_PORT=$((8053 + 100 * $1))
	TESTCA_CTS_PORT=$((8055 + 100 * $1))
}

# testca__try_slot N: take slot N's lock without waiting.
testca__try_slot() {
	testca__use_slot "$1"
	if ! { exec {testca__lockfd}>>"$testca__lockpath"; } 2>/dev/null &&
	    ! { exec {testca__lockfd}<"$testca__lockpath"; } 2>/dev/null; then
		testca__lockfd=
		return 1
	fi
	flock -n "$testca__lockfd" && return 0
	testca__unlock
	return 1
}

# Take the first free of TESTCA_SLOTS slots (default 2: make -j2 runs two
# integration tests at once), each with ports of its own; wait (polling)
# while all are taken.  A restart (testca_stop, testca_start) waits for
# the slot it had: another would change the CA's directory URL, and with
# it the account the state dir keeps for that URL.
testca__lock() {
	local timeout=${TESTCA_LOCK_TIMEOUT:-900} slots=${TESTCA_SLOTS:-2}
	local waited=0 slot said='' first=0 last

	last=$((slots - 1))
	[ -n "$testca__slot" ] && first=$testca__slot last=$testca__slot
	while :; do
		for ((slot = first; slot <= last; slot++)); do
			testca__try_slot "$slot" && { testca__slot=$slot; return 0; }
		done
		if [ -z "$said" ]; then
			testca__log "waiting (up to ${timeout}s) for another test CA user to finish (${TESTCA_LOCK:-/tmp/acmec-testca.lock}*)"
			said=1
		fi
		if [ "$waited" -ge $((timeout * 5)) ]; then
			testca__log "gave up waiting for a test CA slot"
			return 1
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
}

testca__unlock() {
	if [ -n "$testca__lockfd" ]; then
		exec {testca__lockfd}>&-
		testca__lockfd=
	fi
}

# The pids of the services started for work dir $1, found from outside the
# run that started them.  Every service gets TESTCA_OWNER=<work dir> in its
# environment, which tells them apart from anybody else's pebble; nginx
# overwrites its environment with its process title, but its pid file is in
# the work dir and its title still shows its command line.
testca__owned_pids() {
	local dir=$1 pid
	local pidfile
	grep -lzsxF "TESTCA_OWNER=$dir" /proc/[0-9]*/environ |
	    sed -n 's,^/proc/\([0-9]*\)/environ$,\1,p'
	# Ours (nginx.pid) and those of tests' own nginx (testca_spawn).
	for pidfile in "$dir"/*.pid; do
		if read -r pid <"$pidfile" 2>/dev/null &&
		    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		    grep -qF -- "$dir/"; then
			echo "$pid"
		fi
	done
	return 0
}

# Direct children of pid $1 (nginx workers), from /proc: procps may not be
# installed.
testca__children() {
	local parent=$1 f stat fields
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null <"$f" || continue
		# "pid (comm) state ppid ...": comm may hold spaces, so cut
		# after its closing parenthesis.
		read -r -a fields <<<"${stat##*) }"
		if [ "${fields[1]:-}" = "$parent" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
	return 0
}

# testca__terminate PID...: SIGTERM, up to 5 s to exit, then SIGKILL for
# what is left and its children.
testca__terminate() {
	local pid deadline left
	[ "$#" -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null
	deadline=$((SECONDS + 5))
	while :; do
		left=''
		for pid in "$@"; do
			testca__alive "$pid" && left="$left $pid"
		done
		[ -z "$left" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.05
	done
	testca__log "killing processes that did not stop:$left"
	for pid in $left; do
		# shellcheck disable=SC2046
		kill -KILL $(testca__children "$pid") "$pid" 2>/dev/null
	done
	return 0
}

# The lock file remembers the work dir of the run holding it.  If that run
# was killed (SIGKILL, no trap), its services may still hold the ports: kill
# them and remove their work dir.
testca__reap_stale() {
	local lock=$testca__lockpath stale=
	[ -r "$lock" ] && read -r stale <"$lock" 2>/dev/null
	# Only a work dir of ours: right name, our own, with our marker file.
	case $stale in
	*/acmec-testca.??????) ;;
	*) stale='' ;;
	esac
	if [ -n "$stale" ] && [ -O "$stale" ] && [ -f "$stale/.testca" ]; then
		testca__log "cleaning up after an earlier run that did not stop ($stale)"
		# shellcheck disable=SC2046
		testca__terminate $(testca__owned_pids "$stale")
		rm -rf -- "$stale"
	fi
	# Not fatal if the file belongs to another user.
	{ printf '%s\n' "$TESTCA_DIR" >"$lock"; } 2>/dev/null
	return 0
}

# ------------------------------------------------------------ processes

testca__alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	# A child that exited but was not reaped yet is a zombie: not alive.
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ "$state" != Z ]
}

# testca__spawn NAME LOGFILE CMD...: start CMD in the background.  The lock
# descriptor is closed in the child so that a service outliving us cannot
# keep the lock.
testca__spawn() {
	local name=$1 log=$2
	shift 2
	if [ -n "$testca__lockfd" ]; then
		TESTCA_OWNER=$TESTCA_DIR "$@" </dev/null >"$log" 2>&1 {testca__lockfd}>&- &
	else
		TESTCA_OWNER=$TESTCA_DIR "$@" </dev/null >"$log" 2>&1 &
	fi
	testca__pids+=("$name:$!")
}

testca__pid_of() {
	local entry
	for entry in "${testca__pids[@]}"; do
		[ "${entry%%:*}" = "$1" ] && { printf '%s\n' "${entry#*:}"; return 0; }
	done
	return 1
}

# testca__wait_for NAME LOGFILE CMD...: poll CMD until it succeeds, for at
# most TESTCA_WAIT seconds; fail early if the service died.  On failure, show
# the tail of its log.
testca__wait_for() {
	local name=$1 log=$2 pid deadline
	shift 2
	pid=$(testca__pid_of "$name")
	deadline=$((SECONDS + ${TESTCA_WAIT:-20}))
	while :; do
		"$@" && return 0
		if ! testca__alive "$pid"; then
			testca__log "$name exited during startup; last lines of $log:"
			tail -n 20 "$log" >&2
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			testca__log "$name did not answer within ${TESTCA_WAIT:-20}s; last lines of $log:"
			tail -n 20 "$log" >&2
			return 1
		fi
		sleep 0.1
	done
}

testca__port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# curl with the settings every probe needs: never through a proxy, bounded.
testca__curl() {
	curl --noproxy '*' --silent --show-error --max-time 5 "$@"
}

# ------------------------------------------------------------ pieces

# A throwaway root CA and a TLS certificate for localhost / 127.0.0.1 signed
# by it.  Pebble's package ships no test certificates.  Our own openssl
# config keeps the system one (and its default extensions) out of the way.
testca__make_certs() {
	local d=$TESTCA_DIR
	cat >"$d/openssl.cnf" <<-'EOF'
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[v3_ca]
	basicConstraints = critical,CA:TRUE
	keyUsage = critical,keyCertSign,cRLSign
	subjectKeyIdentifier = hash
	[v3_tls]
	basicConstraints = critical,CA:FALSE
	keyUsage = critical,digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:localhost,IP:127.0.0.1
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	(
		umask 077
		openssl req -x509 -config "$d/openssl.cnf" -extensions v3_ca \
		    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=acmec testca root $$" -days 7 \
		    -keyout "$d/ca.key" -out "$d/ca.pem" &&
		openssl req -new -config "$d/openssl.cnf" \
		    -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=localhost" -keyout "$d/tls.key" -out "$d/tls.csr" &&
		openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.pem" \
		    -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
		    -days 7 -extfile "$d/openssl.cnf" -extensions v3_tls \
		    -out "$d/tls.pem"
	) >"$d/openssl.log" 2>&1 || {
		testca__log "openssl failed:"
		cat "$d/openssl.log" >&2
		return 1
	}
	chmod 644 "$d/ca.pem"
}

# The EAB key pairs of pebble's example config, as "kid key" lines.  The
# example may be missing (images that drop /usr/share/doc): fall back to the
# same values, which are public test data.
testca__eab_pairs() {
	local ex=/usr/share/doc/pebble/examples/pebble-config-external-account-bindings.json
	if [ -r "$ex" ]; then
		sed -n 's/^[[:space:]]*"\(kid-[^"]*\)"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1 \2/p' "$ex"
	else
		echo "kid-1 zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
		echo "kid-2 b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH"
	fi
}

testca__write_pebble_config() {
	local d=$TESTCA_DIR eab=false keys='' kid key sep=''
	if [ "${TESTCA_EAB:-0}" = 1 ]; then
		eab=true
		EAB_KID='' EAB_HMAC_KEY=''
		while read -r kid key; do
			keys="$keys$sep"$'\n'"      \"$kid\": \"$key\""
			sep=,
			# The first pair is the one handed to the tests.
			[ -n "$EAB_KID" ] || { EAB_KID=$kid; EAB_HMAC_KEY=$key; }
		done < <(testca__eab_pairs)
		if [ -z "$keys" ]; then
			testca__log "no EAB keys found"
			return 1
		fi
		export EAB_KID EAB_HMAC_KEY
		keys=",
    \"externalAccountMACKeys\": {$keys
    }"
	fi
	cat >"$d/pebble.json" <<-EOF
	{
	  "pebble": {
	    "listenAddress": "127.0.0.1:$TESTCA_ACME_PORT",
	    "managementListenAddress": "127.0.0.1:$TESTCA_MGMT_PORT",
	    "certificate": "$d/tls.pem",
	    "privateKey": "$d/tls.key",
	    "httpPort": $TESTCA_HTTP_PORT,
	    "tlsPort": $TESTCA_TLS_PORT,
	    "ocspResponderURL": "",
	    "externalAccountBindingRequired": $eab$keys
	  }
	}
	EOF
}

testca__have_ipv6_loopback() {
	grep -qsE '^0{31}1 .* lo$' /proc/net/if_inet6
}

# nginx with its own config, prefix, pid file, logs and temp dirs, all in
# the work dir, in the foreground so that we own its pid.  As root, nginx
# runs its workers as an unprivileged user, like a real server: the work dir
# is made traversable (0711) and the webroot readable for them.  That also
# means challenge files the client writes must be world-readable, as they
# must be on a real server.
testca__write_nginx_config() {
	local d=$TESTCA_DIR user_line='' listen6='' temp_lines='' m group
	if [ "$(id -u)" = 0 ]; then
		local user=${TESTCA_NGINX_USER:-nobody}
		if group=$(id -gn "$user" 2>/dev/null); then
			user_line="user $user $group;"
		else
			user_line="user root root;"
		fi
	fi
	testca__have_ipv6_loopback &&
	    listen6="listen [::1]:$TESTCA_HTTP_PORT;"
	# Temp dirs for the modules this nginx was built with, so that it never
	# needs /var/lib/nginx.
	mkdir -p "$d/nginx-tmp"
	for m in client_body proxy fastcgi uwsgi scgi; do
		case $m in
		client_body) ;;
		*) "$testca__nginx" -V 2>&1 | grep -q -- "--without-http_${m}_module" && continue ;;
		esac
		temp_lines="$temp_lines    ${m}_temp_path $d/nginx-tmp/$m;"$'\n'
	done
	cat >"$d/nginx.conf" <<-EOF
	$user_line
	daemon off;
	worker_processes 1;
	pid $d/nginx.pid;
	error_log $d/nginx-error.log info;
	# Keep the marker testca uses to find leftover processes in workers too.
	env TESTCA_OWNER;
	events {
	    worker_connections 64;
	}
	http {
	    access_log $d/nginx-access.log;
	$temp_lines
	    default_type text/plain;
	    server {
	        listen 127.0.0.1:$TESTCA_HTTP_PORT;
	        $listen6
	        server_name _;
	        root $WEBROOT;
	        location /.well-known/acme-challenge/ {
	            try_files \$uri =404;
	        }
	        location / {
	            return 404;
	        }
	    }
	}
	EOF
}

# Checks that the services answer.
testca__pebble_ready() {
	testca__curl -f -o /dev/null --cacert "$ACME_CA_BUNDLE" "$ACME_DIRECTORY" 2>/dev/null &&
	testca__curl -f -o /dev/null --cacert "$ACME_CA_BUNDLE" "$PEBBLE_MGMT/roots/0" 2>/dev/null
}

testca__challtestsrv_ready() {
	local code
	code=$(testca__curl -o /dev/null -w '%{http_code}' "$CHALLTESTSRV_MGMT/" 2>/dev/null)
	[ -n "$code" ] && [ "$code" != 000 ]
}

# Serve a probe file through nginx from every address it listens on, so that
# a permission problem shows up here rather than as a failed validation.
testca__nginx_ready() {
	local url got
	for url in "http://127.0.0.1:$TESTCA_HTTP_PORT" ${testca__url6:+"$testca__url6"}; do
		got=$(testca__curl -f "$url/.well-known/acme-challenge/testca-probe" 2>/dev/null) || return 1
		[ "$got" = "$testca__probe" ] || return 1
	done
}

# ------------------------------------------------------------ public API

# testca_start: start the CA, the mock DNS and the web server; export the
# variables listed at the top.  Returns non-zero (after cleaning up) if any
# part fails.
testca_start() {
	# Same behaviour whatever the caller's set -e / pipefail.
	local - port d acme_dir
	set +e +o pipefail

	testca_available || return 1
	if [ -n "${TESTCA_DIR:-}" ] && [ "${#testca__pids[@]}" -gt 0 ]; then
		testca__log "already started ($TESTCA_DIR)"
		return 1
	fi

	if [ -z "$testca__trapped" ]; then
		trap 'testca__on_exit' EXIT
		trap 'testca__on_signal INT' INT
		trap 'testca__on_signal TERM' TERM
		trap 'testca__on_signal HUP' HUP
		testca__trapped=1
	fi

	testca__lock || return 1
	if ! TESTCA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/acmec-testca.XXXXXX"); then
		testca__unlock
		return 1
	fi
	export TESTCA_DIR
	d=$TESTCA_DIR
	: >"$d/.testca"
	testca__reap_stale

	for port in $TESTCA_ACME_PORT $TESTCA_MGMT_PORT $TESTCA_HTTP_PORT \
	    $TESTCA_DNS_PORT $TESTCA_CTS_PORT; do
		if testca__port_busy "$port"; then
			testca__log "port 127.0.0.1:$port is already in use by another program"
			testca_stop
			return 1
		fi
	done

	local host=${TESTCA_HOST:-localhost}
	export ACME_DIRECTORY="https://$host:$TESTCA_ACME_PORT/dir"
	export ACME_CA_BUNDLE="$d/ca.pem"
	export PEBBLE_MGMT="https://$host:$TESTCA_MGMT_PORT"
	export PEBBLE_LOG="$d/pebble.log"
	export CHALLTESTSRV_MGMT="http://127.0.0.1:$TESTCA_CTS_PORT"
	export WEBROOT="$d/webroot"
	# Everything here is on loopback; a proxy configured for the CI machine
	# must not get in the way of curl, libcurl or the client.
	export no_proxy="localhost,127.0.0.1,::1${no_proxy:+,$no_proxy}"
	export NO_PROXY="$no_proxy"

	# nginx workers (an unprivileged user when we are root) must reach the
	# webroot: the work dir is traversable, but not listable.
	chmod 711 "$d"
	mkdir -m 755 "$WEBROOT"

	if ! { testca__make_certs && testca__write_pebble_config &&
	    testca__write_nginx_config; }; then
		testca_stop
		return 1
	fi

	# Mock DNS first: pebble asks it for every name it validates.  No AAAA
	# answers (-defaultIPv6 ""), else pebble tries ::1 first.
	testca__spawn challtestsrv "$d/challtestsrv.log" pebble-challtestsrv \
	    -dns01 "127.0.0.1:$TESTCA_DNS_PORT" -http01 "" -https01 "" \
	    -tlsalpn01 "" -management "127.0.0.1:$TESTCA_CTS_PORT" \
	    -defaultIPv6 ""
	testca__wait_for challtestsrv "$d/challtestsrv.log" \
	    testca__challtestsrv_ready || { testca_stop; return 1; }

	# No random delay before validations, unless the caller exported
	# PEBBLE_VA_SLEEPTIME (the most seconds pebble then waits); everything
	# else (nonce rejection, authorization reuse) stays at pebble's
	# defaults unless the caller exported the variables.
	local va_sleep=PEBBLE_VA_NOSLEEP=1
	[ -n "${PEBBLE_VA_SLEEPTIME:-}" ] &&
	    va_sleep=PEBBLE_VA_SLEEPTIME=$PEBBLE_VA_SLEEPTIME
	testca__spawn pebble "$PEBBLE_LOG" env "$va_sleep" \
	    pebble -config "$d/pebble.json" \
	    -dnsserver "127.0.0.1:$TESTCA_DNS_PORT"
	testca__wait_for pebble "$PEBBLE_LOG" testca__pebble_ready ||
	    { testca_stop; return 1; }

	testca__url6=
	testca__have_ipv6_loopback &&
	    testca__url6="http://[::1]:$TESTCA_HTTP_PORT"
	acme_dir="$WEBROOT/.well-known/acme-challenge"
	mkdir -p "$acme_dir"
	chmod 755 "$WEBROOT/.well-known" "$acme_dir"
	testca__probe="testca-$$-$RANDOM"
	( umask 022; printf '%s' "$testca__probe" >"$acme_dir/testca-probe" )
	# -e: the log nginx writes before it has read its config.
	testca__spawn nginx "$d/nginx.out" "$testca__nginx" -p "$d" -c "$d/nginx.conf" \
	    -e "$d/nginx-error.log"
	if ! testca__wait_for nginx "$d/nginx-error.log" testca__nginx_ready; then
		if [ "$(id -u)" = 0 ] && grep -qs 'Permission denied' "$d/nginx-error.log"; then
			testca__log "nginx workers cannot read $WEBROOT; a parent directory" \
			    "is not traversable: set TMPDIR or TESTCA_NGINX_USER=root"
		fi
		testca_stop
		return 1
	fi
	# Leave the webroot as a client finds a fresh one: empty.
	rm -f "$acme_dir/testca-probe"
	rmdir "$acme_dir" "$WEBROOT/.well-known"
	return 0
}

# testca_stop: stop every service testca_start started, then remove the work
# dir (kept with TESTCA_KEEP=1) and release the lock.  Safe to call twice.
testca_stop() {
	# Runs from traps too, where a caller's set -e would cut cleanup short.
	local - i entry pids
	set +e +o pipefail

	# Newest first (the web server, the CA, the DNS).
	pids=()
	for ((i = ${#testca__pids[@]} - 1; i >= 0; i--)); do
		pids+=("${testca__pids[i]#*:}")
	done
	testca__terminate "${pids[@]}"
	for entry in "${testca__pids[@]}"; do
		wait "${entry#*:}" 2>/dev/null
	done
	testca__pids=()

	if [ -n "${TESTCA_DIR:-}" ] && [ -f "$TESTCA_DIR/.testca" ]; then
		if [ "${TESTCA_KEEP:-0}" = 1 ]; then
			testca__log "kept $TESTCA_DIR"
		else
			rm -rf -- "$TESTCA_DIR"
		fi
	fi
	# Everything is stopped: tell the next run there is nothing to clean up.
	if [ -n "$testca__lockfd" ]; then
		{ : >"$testca__lockpath"; } 2>/dev/null
	fi
	testca__unlock
	TESTCA_DIR=
	return 0
}

testca__on_exit() {
	local status=$? cmd
	set +e
	for cmd in "${testca__atexit[@]}"; do
		eval "$cmd"
	done
	testca__atexit=()
	testca_stop
	return "$status"
}

testca__on_signal() {
	testca__log "interrupted (SIG$1), stopping the test CA"
	trap - EXIT "$1"
	testca__on_exit
	kill -s "$1" "$$"
}

# testca_root_pem FILE: pebble's issuing root (regenerated at every start),
# from the management API.
testca_root_pem() {
	testca__curl -f --cacert "$ACME_CA_BUNDLE" -o "$1" "$PEBBLE_MGMT/roots/0"
}

# testca_intermediate_pem FILE: pebble's intermediate, likewise.
testca_intermediate_pem() {
	testca__curl -f --cacert "$ACME_CA_BUNDLE" -o "$1" "$PEBBLE_MGMT/intermediates/0"
}

# testca_cert_status SERIAL: print pebble's JSON about a certificate
# ("Status": "Valid" or "Revoked", "Reason": N).  SERIAL may be given as
# openssl prints it ("serial=0A1B..." or "0A:1B"): pebble wants lower-case
# hex without leading zeros.
testca_cert_status() {
	local s=${1#serial=}
	s=$(printf '%s' "$s" | tr -d ':' | tr 'A-F' 'a-f' | sed 's/^0*//')
	testca__curl -f --cacert "$ACME_CA_BUNDLE" "$PEBBLE_MGMT/cert-status-by-serial/${s:-0}"
}

# testca_web_freeze / testca_web_thaw: stop and resume nginx (master and
# workers) with SIGSTOP/SIGCONT.  While it is frozen, pebble's http-01
# fetches hang, so a client keeps polling with its challenge files in place:
# the window a test needs to interrupt it.
testca__nginx_pids() {
	local master
	master=$(testca__pid_of nginx) || return 1
	echo "$master"
	testca__children "$master"
}

testca_web_freeze() {
	local pid
	for pid in $(testca__nginx_pids); do kill -STOP "$pid" 2>/dev/null; done
}

testca_web_thaw() {
	local pid
	for pid in $(testca__nginx_pids); do kill -CONT "$pid" 2>/dev/null; done
}

# testca_web_stop: stop the nginx that testca_start runs on port 5002, so
# that a test can run its own web server there (a balancer in front of
# several nodes, say).  Pebble keeps validating on that port.
testca_web_stop() {
	local pid entry kept=()
	pid=$(testca__pid_of nginx) || return 0
	testca__terminate "$pid"
	wait "$pid" 2>/dev/null
	for entry in "${testca__pids[@]}"; do
		[ "$entry" = "nginx:$pid" ] || kept+=("$entry")
	done
	testca__pids=("${kept[@]}")
	return 0
}

# testca_spawn NAME LOGFILE CMD...: run CMD in the background (in the
# foreground of its own, so that its pid is ours), as a service of this
# run: testca_stop stops it with the others, newest first, and if this run
# is SIGKILLed the next testca_start finds it by its environment (or, for
# an nginx, which overwrites its environment, by a pid file NAME.pid in
# $TESTCA_DIR whose command line names a file there).  Call it after
# testca_start; put its files under $TESTCA_DIR.
testca_spawn() {
	if [ -z "${TESTCA_DIR:-}" ]; then
		testca__log "testca_spawn $1: testca_start first"
		return 1
	fi
	testca__spawn "$@"
}

# testca_wait_for NAME LOGFILE CMD...: poll CMD until it succeeds, for at
# most TESTCA_WAIT seconds (default 20); fails early, showing the tail of
# LOGFILE, if service NAME (from testca_spawn) exits.
testca_wait_for() {
	testca__wait_for "$@"
}
