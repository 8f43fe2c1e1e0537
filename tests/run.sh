#!/bin/bash
# The whole test suite: unit tests (normal and ASan+UBSan builds), then the
# integration and end-to-end suites against the installed server, once with
# a normal build and once with an ASan+UBSan build. Run as root: it installs
# the server into /usr (scripts/install.sh) and creates test users.
# Last line: "N passed, M failed"; exit status non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "$(id -u)" = 0 ] || { echo "tests/run.sh: run as root" >&2; exit 1; }
results=$here/tests/results
mkdir -p "$results"
passed=0 failed=0
py=/usr/bin/python3

# Add the counts from a suite's closing "N passed, M failed" line.
tally() { # name logfile status
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $1: no result line (exit $3)"
        failed=$((failed + 1))
        return
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$3" != 0 ] && [ "$f" = 0 ]; then
        echo "FAIL $1: exit status $3"
        failed=$((failed + 1))
    fi
    echo "== $1: $line"
}

unit() { # builddir [meson options]
    local dir=$1
    shift
    if [ ! -d "$dir" ]; then meson setup "$dir" "$@" >/dev/null || return 1; fi
    ninja -C "$dir" >/dev/null || return 1
    local log=$results/unit-$(basename "$dir").log
    : >"$log"
    local p=0 f=0
    for t in "$dir"/tests/unit/test_*; do
        [ -x "$t" ] || continue
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" >>"$log" 2>&1
    done
    p=$(grep -cE '^ok ' "$log")
    f=$(grep -cE '^not ok ' "$log")
    grep -E '^not ok ' "$log"
    echo "$p passed, $f failed" >>"$log"
    tally "unit tests ($(basename "$dir"))" "$log" 0
}

suite() { # label command...
    local label=$1
    shift
    local log=$results/$(echo "$label" | tr ' /()+' '_____').log
    "$@" >"$log" 2>&1
    local rc=$?
    grep -E '^FAIL' "$log"
    tally "$label" "$log" $rc
}

pass() { # label timeout-scale [install options]: install a build, run the suites
    local label=$1 scale=$2
    shift 2
    if ! scripts/install.sh --no-deps "$@" >"$results/install-$label.log" 2>&1; then
        echo "FAIL install ($label)"; tail -5 "$results/install-$label.log"
        failed=$((failed + 1))
        return
    fi
    suite "integration ($label)" $py tests/integration/run.py
    # PostgreSQL backend and a 3-host farm on a private PostgreSQL 15.
    suite "postgresql farm ($label)" tests/farm/run.sh
    X2GO_E2E_TIMEOUT_SCALE=$scale X2GO_E2E_RESULTS=$results/e2e-$label \
        suite "end-to-end ($label)" $py tests/e2e/run.py
}

unit build-test || { echo "FAIL unit build"; failed=$((failed + 1)); }
unit build-test-asan -Db_sanitize=address,undefined -Db_lundef=false ||
    { echo "FAIL unit build (asan)"; failed=$((failed + 1)); }
# Line coverage of the clean-up daemon's rules (>= 95 %).
suite "unit coverage" tests/unit/coverage.sh

# The Debian package (tests/package.sh): build, lintian, the install tree,
# install, upgrade, remove, purge, install again.
suite "package" bash tests/package.sh

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
pass normal 1
pass asan 3 --asan
# Leave the machine with the normal build installed.
scripts/install.sh --no-deps >/dev/null 2>&1 || { echo "FAIL final reinstall"; failed=$((failed + 1)); }

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
