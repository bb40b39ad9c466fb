#!/bin/bash
#
# install.sh - what make install puts where, with which modes, and that
# make uninstall takes it all away again but a user's acmec.conf: run
# from the build tree under a DESTDIR of our own.
#
# Run by `make check`, which sets ACMEC_BUILDDIR (the build tree) and
# ACMEC_INSTALL_DIRS (NAME=DIR for each directory make install uses).
#
# Exit status: 0 all checks passed, 1 some failed, 77 not run by make.

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

if [ -z "${ACMEC_BUILDDIR:-}" ] || [ -z "${ACMEC_INSTALL_DIRS:-}" ]; then
	echo "# run through make check (it says where make installs)"
	exit 77
fi
bindir='' man1dir='' man5dir='' pkglibexecdir='' confdir='' docdir=''
systemdsystemunitdir=''
for kv in $ACMEC_INSTALL_DIRS; do
	case ${kv%%=*} in
	bindir | man1dir | man5dir | pkglibexecdir | confdir | docdir | \
	    systemdsystemunitdir) printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
	esac
done

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-install.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# make_in DESTDIR LABEL TARGET: make TARGET in the build tree, output in
# $T/LABEL.out, exit status in $rc (for check_exit); not the job server
# of make check.
# shellcheck disable=SC2034
make_in() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "${MAKE:-make}" -C \
	    "$ACMEC_BUILDDIR" "$3" DESTDIR="$1" >"$T/$2.out" 2>&1
	rc=$?
	: >"$T/$2.err"
}
# check_mode WANT PATH...: each PATH there with mode WANT.
check_mode() {
	local want=$1 p
	shift
	for p in "$@"; do
		check "mode $want: ${p#"$D"}" test "$(mode_of "$p")" = "$want"
	done
}
# left DESTDIR: the files under DESTDIR, one a line.
left() { (cd "$1" && find . ! -type d | sort); }

UNITS="acmec-renew.service acmec-renew.timer acmec-failure@.service"
HOOKS="reload-nginx reload-apache mail-failures"

# 1. Into an empty DESTDIR: everything, with its mode.
D=$T/fresh
make_in "$D" install install
check_exit install 0 "make install: exit 0"
CONF=$D$confdir/acmec.conf
check_mode 755 "$D$bindir/acmec"
check_mode 644 "$D$man1dir/acmec.1" "$D$man5dir/acmec.conf.5" \
    "$D$docdir/acmec.conf.example"
for h in $HOOKS; do check_mode 755 "$D$pkglibexecdir/$h"; done
if [ "$systemdsystemunitdir" = no ]; then
	echo "# configured --with-systemdsystemunitdir=no: no units to check"
	check "no unit installed" test -z "$(left "$D" | grep '\.service$')"
else
	for u in $UNITS; do check_mode 644 "$D$systemdsystemunitdir/$u"; done
	check "the service runs the installed acmec" grep -qxF \
	    "ExecStart=$bindir/acmec renew" "$D$systemdsystemunitdir/acmec-renew.service"
	check "no @bindir@ left in the service" \
	    test -z "$(grep -F '@bindir@' "$D$systemdsystemunitdir/acmec-renew.service")"
fi
check_mode 700 "$D$confdir"
check_mode 600 "$CONF"
check "the conf is the example" cmp -s "$CONF" "$D$docdir/acmec.conf.example"
check "the example names the installed hooks" \
    grep -qF "$pkglibexecdir/reload-nginx" "$CONF"
run_conf() { "$D$bindir/acmec" --state-dir "$T/state" status -c "$CONF"; }
check "the installed acmec reads the installed conf" run_conf

# 2. Again, over an edited conf: it stays.
echo "; mine" >>"$CONF"
make_in "$D" again install
check_exit again 0 "make install again: exit 0"
check "an edited conf is kept" grep -qxF "; mine" "$CONF"
check_says again "acmec.conf exists: left as it is" "make install says so"

# 3. make uninstall: all gone but the edited conf.
make_in "$D" uninstall uninstall
check_exit uninstall 0 "make uninstall: exit 0"
check "make uninstall leaves only the edited conf ($(left "$D" | tr '\n' ' '))" \
    test "$(left "$D")" = "./${confdir#/}/acmec.conf"
check "the edited conf is intact" grep -qxF "; mine" "$CONF"
check_says uninstall "was edited: left as it is" "make uninstall says so"

# 4. A conf there before the first install: kept byte for byte, its mode
# too, by install and uninstall.
D=$T/before
CONF=$D$confdir/acmec.conf
mkdir -p "$D$confdir" && printf '[acmec]\nagree-tos = yes\n' >"$CONF" &&
    chmod 640 "$CONF"
sum=$(sha256sum <"$CONF")
make_in "$D" install-before install
check_exit install-before 0 "make install over a conf: exit 0"
check "make install keeps a conf that was there" \
    test "$(sha256sum <"$CONF")" = "$sum" -a "$(mode_of "$CONF")" = 640
make_in "$D" uninstall-before uninstall
check_exit uninstall-before 0 "make uninstall: exit 0"
check "make uninstall keeps it too, and only it" \
    test "$(sha256sum <"$CONF")" = "$sum" -a \
    "$(left "$D")" = "./${confdir#/}/acmec.conf"

# 5. Installed and uninstalled untouched: nothing left, not even the
# conf's directory.
D=$T/untouched
make_in "$D" install-untouched install
make_in "$D" uninstall-untouched uninstall
check_exit uninstall-untouched 0 "make uninstall after an untouched install: exit 0"
check "nothing left ($(left "$D" | tr '\n' ' '))" test -z "$(left "$D")"
check "the conf's directory is gone" test ! -e "$D$confdir"

summary
