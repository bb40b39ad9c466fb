#!/bin/sh
# install-deps.sh - install what acmec needs to build and test on Debian 12:
# the compiler and autotools, the four libraries, libmemcached (optional:
# the memcached challenge sink, which ./configure builds when it finds it),
# and the test CA (pebble) with a web server (nginx) and memcached for the
# integration tests.  Run as root (or with sudo available).  Safe to run
# again.
set -eu

packages="build-essential autoconf automake pkg-config
	libcurl4-openssl-dev libjansson-dev libssl-dev libcmocka-dev
	libmemcached-dev
	pebble nginx-light memcached openssl curl ca-certificates python3
	util-linux"

if [ "$(id -u)" -eq 0 ]; then
	sudo=
elif command -v sudo >/dev/null 2>&1; then
	sudo=sudo
else
	echo "install-deps.sh: run as root (or install sudo)" >&2
	exit 1
fi

# Skip the slow index update when everything is already there.
# shellcheck disable=SC2086 # the list is meant to split
if dpkg-query -W -f='${Status}\n' $packages 2>/dev/null |
    grep -qv 'install ok installed' ||
    [ "$(dpkg-query -W -f='${Status}\n' $packages 2>/dev/null | wc -l)" -ne \
    "$(echo $packages | wc -w)" ]; then
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	    --no-install-recommends $packages
fi
