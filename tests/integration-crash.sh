#!/bin/bash
#
# integration-crash.sh - acmec killed at every step of the output switch,
# against a real local ACME CA (pebble) and web server (nginx).
#
# Run by `make check`, or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/integration-crash.sh
#
# An LD_PRELOAD shim (tests/lib/crash_shim.c, built here with cc) ends the
# client, as SIGKILL would, right before its Nth call that changes the
# output directory (mkdirat, openat O_CREAT, fsync, symlinkat, renameat,
# unlinkat), for N = 1, 2, ... until a run gets through (every
# ACMEC_CRASH_STEP-th N: 4 by default, which keeps make check short; CI
# sets 1; tests/test_output.c kills at every point in-process).  After each kill
# the set a web server reads (OUT/privkey.pem, cert.pem, chain.pem,
# fullchain.pem) must be whole and matching: fullchain.pem is cert.pem
# then chain.pem, and the certificate's key is privkey.pem.  Then a run
# without the shim must succeed and leave nothing of the killed one.
# Each run makes a new key (the default): a key is switched in only with
# its certificate.
# Last, a directory of an older acmec (the four plain files) is taken over.
#
# Exit status: 0 all checks passed, 1 some failed, 77 skipped (pebble,
# nginx, openssl, curl, flock or a C compiler missing).

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
command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "no C compiler: skipped"; exit 77; }

resolve_client

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-crash.XXXXXX") || exit 1
if [ "${TESTCA_KEEP:-0}" = 1 ]; then
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'echo "# kept $T" >&2'
else
	# shellcheck disable=SC2016 # expanded when the trap runs
	testca_atexit 'rm -rf "$T"'
fi
SHIM=$T/crash_shim.so
"${CC:-cc}" -shared -fPIC -o "$SHIM" "$srcdir/tests/lib/crash_shim.c" -ldl \
    2>"$T/cc.log" || { cat "$T/cc.log"; echo "cannot build the shim: skipped"; exit 77; }

testca_start || { echo "could not start the test CA"; exit 1; }
STATE=$T/state
OUT=$T/out
echo "# client: $ACMEC"
echo "# CA: $ACME_DIRECTORY (work dir $TESTCA_DIR)"

NAME=''
fresh NAME

# issue LABEL OUTDIR [ARG...]: the issue command, always for NAME.
issue() {
	local label=$1 out=$2
	shift 2
	run "$label" -q issue -d "$NAME" -w "$WEBROOT" --agree-tos \
	    --contact mailto:admin@example.com --out "$out" "$@"
}

pub_of_cert() {
	openssl x509 -in "$1" -noout -pubkey 2>/dev/null |
	    openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
pub_of_key() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

# whole_set DIR: the four files are there, fullchain = cert + chain, the
# certificate is for privkey.pem; prints the certificate's serial.
whole_set() {
	local d=$1 f pub
	for f in privkey.pem cert.pem chain.pem fullchain.pem; do
		[ -s "$d/$f" ] || { echo "$d/$f missing" >&2; return 1; }
	done
	cat "$d/cert.pem" "$d/chain.pem" | cmp -s - "$d/fullchain.pem" ||
	    { echo "fullchain.pem is not cert.pem + chain.pem" >&2; return 1; }
	pub=$(pub_of_key "$d/privkey.pem")
	if [ -z "$pub" ] || [ "$pub" != "$(pub_of_cert "$d/cert.pem")" ]; then
		echo "cert.pem is not for privkey.pem" >&2
		return 1
	fi
	openssl x509 -in "$d/cert.pem" -noout -serial
}

# leftovers DIR: what is in DIR besides the four links, current and up to
# three versions (none if all is well).
leftovers() {
	local d=$1
	find "$d" -mindepth 1 -maxdepth 1 -printf '%f\n' | grep -vxE 'privkey\.pem|cert\.pem|chain\.pem|fullchain\.pem|current|versions'
	[ "$(ls -A "$d/versions" | wc -l)" -le 3 ] || echo "versions: $(ls "$d/versions" | tr '\n' ' ')"
	[ -e "$d/versions/$(readlink "$d/current" | sed 's,^versions/,,')" ] || echo "current: $(readlink "$d/current")"
}

# ------------------------------------------------------------ first set

issue first "$OUT"
check_exit first 0 "first issue exits 0"
before=$(whole_set "$OUT" 2>"$T/whole.err")
check "first issue writes a whole set" test -n "$before"

# ------------------------------------------------------------ kills

killed=0
step=${ACMEC_CRASH_STEP:-4}
killer=$ACMEC
if under_valgrind; then
	# Everything a run killed in mid-call holds is a leak to valgrind:
	# those run without it, the runs after them (which clean up what they
	# left) under it; every 6th step at most, for time (test_output
	# kills at every step).
	killer=$ACMEC_NATIVE
	[ "$step" -lt 6 ] && step=6
	skip_under_valgrind "valgrind on the killed runs themselves, and all kill points but every ${step}th"
fi
n=$((1 - step))
bad=''
while [ "$n" -lt 60 ]; do
	n=$((n + step))
	ACMEC=$killer ACMEC_CRASH_DIR=$OUT ACMEC_CRASH_AT=$n LD_PRELOAD=$SHIM \
	    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    issue "kill$n" "$OUT"
	[ "$rc" = 0 ] && break
	if [ "$rc" != 137 ]; then
		bad="$bad killed at $n: exit status $rc;"
		show_run "kill$n"
		break
	fi
	killed=$((killed + 1))
	now=$(whole_set "$OUT" 2>"$T/whole.err") ||
	    bad="$bad after a kill at step $n: $(cat "$T/whole.err");"
	key_now=$(pub_of_key "$OUT/privkey.pem")
	issue "after$n" "$OUT"
	if [ "$rc" != 0 ]; then
		bad="$bad the run after a kill at step $n exits $rc;"
		show_run "after$n"
	fi
	after=$(whole_set "$OUT" 2>"$T/whole.err") ||
	    bad="$bad after the run after step $n: $(cat "$T/whole.err");"
	[ "$after" != "$now" ] || bad="$bad the run after step $n wrote no new certificate;"
	[ "$(pub_of_key "$OUT/privkey.pem")" != "$key_now" ] ||
	    bad="$bad the run after step $n kept the key;"
	left=$(leftovers "$OUT")
	[ -z "$left" ] || bad="$bad after step $n, left: $left;"
done
echo "# killed at each of $killed steps; run $n got through"
check "killed at $((24 / step)) steps or more, and a run got through ($killed steps, rc $rc)" \
    test "$killed" -ge $((24 / step)) -a "$rc" = 0
if [ -z "$bad" ]; then
	ok "after each kill the set is whole and matching, the next run succeeds and leaves nothing"
else
	not_ok "after each kill the set is whole and matching, the next run succeeds and leaves nothing"
	echo "$bad" | tr ';' '\n' | diag
	ls -laR "$OUT" | diag
fi
check "the links are acmec's: fullchain.pem -> current/fullchain.pem" \
    test "$(readlink "$OUT/fullchain.pem")" = current/fullchain.pem
check "privkey.pem (through the links) has mode 0600" \
    test "$(mode_of "$OUT/privkey.pem")" = 600
check "the output directory is 0700 and so is each version" \
    test "$(mode_of "$OUT")" = 700 -a -z "$(find "$OUT/versions" -mindepth 1 -maxdepth 1 -type d ! -perm 0700)"

# ------------------------------------------------------------ older acmec

# The four plain files an older acmec wrote, and one of its temporaries.
OLD=$T/old
mkdir -m 0700 "$OLD"
for f in privkey.pem cert.pem chain.pem fullchain.pem; do
	cp "$OUT/$f" "$OLD/$f"
done
chmod 600 "$OLD/privkey.pem"
echo half >"$OLD/fullchain.pem.tmp.aB3dE9"
old_pub=$(pub_of_key "$OLD/privkey.pem")
issue old "$OLD" --reuse-key
check_exit old 0 "issue into an older acmec's directory exits 0"
check "it is now links to current, with a whole set" \
    test "$(readlink "$OLD/cert.pem")" = current/cert.pem -a -n "$(whole_set "$OLD" 2>/dev/null)"
check "the key was kept (--reuse-key)" test "$(pub_of_key "$OLD/privkey.pem")" = "$old_pub"
check "the old set is kept as version 1" \
    test -n "$(whole_set "$OLD/versions/1" 2>/dev/null)"
check "the older acmec's temporary file is gone" test ! -e "$OLD/fullchain.pem.tmp.aB3dE9"

# ------------------------------------------------------------ hostile link

EVIL=$T/evil
mkdir -m 0700 "$EVIL"
echo secret >"$T/secret"
ln -s "$T/secret" "$EVIL/privkey.pem"
issue evil "$EVIL"
check_exit evil 1 "a privkey.pem linking outside the directory is refused (exit 1)"
check "the message names the link" grep -q "privkey.pem" "$T/evil.err"
check "nothing was written there" test -z "$(find "$EVIL" -mindepth 1 ! -name privkey.pem)"

summary
