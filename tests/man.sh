#!/bin/bash
#
# man.sh - the manuals match the code: mandoc finds nothing to warn about,
# every option that a command's --help lists is described in acmec(1), and
# every key of the configuration file in acmec.conf(5).
#
# Run by `make check`, or by hand from the top of the tree:
#
#   ACMEC=./acmec srcdir=. bash tests/man.sh

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
ACMEC=${ACMEC:-./acmec}

# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

resolve_client
man1=$srcdir/man/acmec.1
man5=$srcdir/man/acmec.conf.5

# mandoc's own complaints about its database are about the host, not us.
if command -v mandoc >/dev/null; then
	for page in "$man1" "$man5"; do
		warnings=$(mandoc -T lint -W warning "$page" 2>&1 |
		    grep -v 'mandoc.db')
		check "mandoc -T lint -W warning $(basename "$page"): no warning ($warnings)" \
		    test -z "$warnings"
	done
else
	ok "mandoc is not installed: the lint is skipped"
fi

# "--out" is "Fl \-out" somewhere in the page (Fl adds the first dash).
in_page() {
	grep -qF -- "Fl $(printf '%s' "${2#-}" | sed 's/-/\\-/g')" "$1"
}

for cmd in "" issue account revoke renew status; do
	missing=
	for opt in $("$ACMEC" help $cmd | sed -n '/^options:/,/^[^ ]/p' |
	    grep -oE -- '^  (-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
		in_page "$man1" "$opt" || missing="$missing $opt"
	done
	check "acmec.1 describes every option of 'acmec help${cmd:+ $cmd}' (missing:$missing)" \
	    test -z "$missing"
done

# The keys are the names in conffile.c's table: [K_...] = { "name", ...
missing=
for key in $(grep -oE '^\s*\[K_[A-Z_]+\] = \{ "[a-z-]+"' \
    "$srcdir/src/conffile.c" | grep -oE '"[a-z-]+"' | tr -d '"'); do
	grep -qF -- ".It Ic $(printf '%s' "$key" | sed 's/-/\\-/g') " "$man5" ||
	    missing="$missing $key"
done
check "acmec.conf.5 describes every key of the configuration (missing:$missing)" \
    test -z "$missing"

summary
