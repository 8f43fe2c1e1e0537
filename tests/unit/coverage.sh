#!/bin/bash
# Line coverage of the clean-up daemon's rules (src/daemon/decide.c) by its
# unit tests: a -Db_coverage=true build of its own, the unit tests run,
# gcovr measures. Last line "1 passed, 0 failed" (or "0 passed, 1 failed");
# exits non-zero below the threshold.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${COVERAGE_BUILD:-$here/build-coverage}
file=src/daemon/decide.c
min=95
cd "$here"
fail() { echo "FAIL coverage of $file: $*"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -d "$dir" ]; then
    meson setup "$dir" -Db_coverage=true >/dev/null || fail "meson setup"
fi
ninja -C "$dir" tests/unit/test_decide >/dev/null || fail "build"
find "$dir" -name '*.gcda' -delete
CMOCKA_MESSAGE_OUTPUT=TAP "$dir/tests/unit/test_decide" >/dev/null || fail "unit tests failed"
line=$(gcovr -r "$here" --object-directory "$dir" --filter "$here/$file" 2>/dev/null |
       grep -E "^$file ")
pct=$(echo "$line" | awk '{print $4}' | tr -d '%')
[ -n "$pct" ] || fail "no coverage data"
echo "line coverage of $file: $pct% (minimum $min%)"
if awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p >= m) }'; then
    echo "1 passed, 0 failed"
else
    fail "$pct% is below $min%"
fi
