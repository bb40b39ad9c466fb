#!/bin/bash
#
# testlib.sh - the test library itself: a script's own variables cannot
# change what report.sh counts.
#
#   srcdir=. bash tests/testlib.sh

set -u

: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"

# shellcheck source=lib/report.sh
. "$srcdir/tests/lib/report.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/acmec-testlib.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

# A script that fails one check from a function with "local failed
# passed checkno", as integration-faults.sh once did.
cat >"$T/shadow.sh" <<SCRIPT
set -u
. "$srcdir/tests/lib/report.sh"
shadowing() {
	local failed=0 passed=0 checkno=0
	ok "first"
	not_ok "second"
}
shadowing
summary
SCRIPT
bash "$T/shadow.sh" >"$T/shadow.out" 2>"$T/shadow.err"
rc=$?
check "a failed check in a function with its own 'local failed' is counted: exit 1 (status $rc)" \
    test "$rc" = 1
check "it says 1 passed, 1 failed ($(tail -n 1 "$T/shadow.out"))" \
    test "$(tail -n 1 "$T/shadow.out")" = "1 passed, 1 failed"
check "the checks are numbered 1 and 2" \
    test "$(grep -c -e '^ok 1 - first$' -e '^not ok 2 - second$' "$T/shadow.out")" = 2
check "nothing on stderr ($(head -c 200 "$T/shadow.err"))" test ! -s "$T/shadow.err"

summary
