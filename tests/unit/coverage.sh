#!/bin/bash
# Line coverage of the pure decision files by their unit tests: the clean-up
# daemon's rules (src/daemon/rules/decide.c), its time limits' rules
# (src/daemon/rules/limits_decide.c) and the time limits' configuration
# (src/core/conf/timelimit.c). A -Db_coverage=true build of its own, the unit
# tests run, gcovr measures. Last line "1 passed, 0 failed" (or "0 passed,
# 1 failed"); exits non-zero when a file is below the threshold.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
dir=${COVERAGE_BUILD:-$here/build-coverage}
files="src/daemon/rules/decide.c src/daemon/rules/limits_decide.c src/core/conf/timelimit.c"
tests="test_decide test_limits_decide test_timelimit"
min=95
cd "$here"
fail() { echo "FAIL coverage: $*"; echo "0 passed, 1 failed"; exit 1; }
if [ ! -d "$dir" ]; then
    meson setup "$dir" -Db_coverage=true >/dev/null || fail "meson setup"
fi
for t in $tests; do
    ninja -C "$dir" "tests/unit/$t" >/dev/null || fail "build of $t"
done
find "$dir" -name '*.gcda' -delete
for t in $tests; do
    CMOCKA_MESSAGE_OUTPUT=TAP "$dir/tests/unit/$t" >/dev/null || fail "unit tests $t failed"
done
low=0
for file in $files; do
    line=$(gcovr -r "$here" --object-directory "$dir" --filter "$here/$file" 2>/dev/null |
           grep -E "^$file ")
    pct=$(echo "$line" | awk '{print $4}' | tr -d '%')
    [ -n "$pct" ] || fail "no coverage data for $file"
    echo "line coverage of $file: $pct% (minimum $min%)"
    awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p >= m) }' || low=1
done
[ $low = 0 ] || fail "a file is below $min%"
echo "1 passed, 0 failed"
