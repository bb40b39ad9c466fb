#!/bin/sh
# install-deps.sh - install the Debian 12 packages acmec needs.
#
#   tests/install-deps.sh --build   what building acmec needs: the compiler,
#                                   autotools, pkg-config and the libraries
#                                   (libmemcached is optional: ./configure
#                                   builds the memcached sink when it finds it)
#   tests/install-deps.sh           that, and what `make check`, `make demo`,
#                                   `make bench` and `make fuzz` need: cmocka,
#                                   the test CA (pebble), a web server (nginx),
#                                   valgrind, clang and its libFuzzer
#
# Run as root (or with sudo available).  Safe to run again: only missing
# packages are installed, and nothing at all is fetched (not even the
# package index) when every package is already there.
#
# nginx and memcached are only tools of the tests, which start their own
# on loopback: when this script installs them, it keeps Debian's package
# scripts from starting them (a policy-rc.d that says no, removed
# afterwards) and disables their services, so that nothing is left
# listening on ports 80 and 11211 nor started at boot.  A server that was
# installed before is left alone, and so is its service.
set -eu

build_packages="build-essential autoconf automake pkg-config
	libcurl4-openssl-dev libjansson-dev libssl-dev libinih-dev
	libseccomp-dev libmemcached-dev"
test_packages="libcmocka-dev pebble nginx-light memcached openssl curl
	ca-certificates python3 util-linux valgrind clang libclang-rt-14-dev"

usage() {
	echo "usage: $0 [--build]" >&2
	exit 2
}

packages="$build_packages $test_packages"
case $# in
0) ;;
1) [ "$1" = --build ] || usage; packages=$build_packages ;;
*) usage ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "install-deps.sh: run as root (or install sudo)" >&2
	exit 1
fi

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
	    grep -q 'install ok installed'
}

missing=
for p in $packages; do
	# Any nginx will do for the tests; never replace one already there.
	if [ "$p" = nginx-light ] && [ -x /usr/sbin/nginx ]; then
		continue
	fi
	installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

policy=/usr/sbin/policy-rc.d
our_policy=
cleanup() {
	if [ -n "$our_policy" ]; then
		$sudo rm -f "$policy"
		our_policy=
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The services of the packages this run installs (the tests start their
# own nginx and memcached on loopback).
services=
case " $missing " in *" nginx-light "*) services=nginx ;; esac
case " $missing " in *" memcached "*) services="$services memcached" ;; esac
# Exit status 101 tells invoke-rc.d "not allowed": the packages install
# without starting their services.  An existing policy is kept.
if [ -n "$services" ] && [ ! -e "$policy" ]; then
	our_policy=1
	printf '#!/bin/sh\n# install-deps.sh: start no service\nexit 101\n' |
	    $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
fi

$sudo apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends $missing
cleanup

# The packages enabled their services at boot; the tests need neither.
if [ -n "$services" ] && command -v systemctl >/dev/null 2>&1; then
	now=
	[ -d /run/systemd/system ] && now=--now
	for service in $services; do
		# shellcheck disable=SC2086 # $now is empty or one word
		$sudo systemctl disable $now "$service" >/dev/null 2>&1 || true
	done
fi
exit 0
