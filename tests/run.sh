#!/bin/bash
# The whole test suite: unit tests (normal and ASan+UBSan builds), then the
# integration and end-to-end suites against the installed server, once with
# a normal build and once with an ASan+UBSan build, then the mutation check
# (tests/mutate.sh: deliberate bugs each suite must report). Run as root: it
# installs the server into /usr (scripts/install.sh) and creates test users.
# Last line: "N passed, M failed"; exit status non-zero on any failure.
#
# X2GO_TEST_STAGES picks stages (default: all, in this order):
#   unit unit-asan coverage normal asan mutations
# X2GO_TEST_SUITES picks the suites of the normal and asan stages (default:
#   integration farm e2e)
# X2GO_IT_ARGS / X2GO_E2E_ARGS: extra arguments for the integration and
# end-to-end runners (test selection), e.g. X2GO_E2E_ARGS="-k lifecycle".
#
# A stage fails on: a failed test, a non-zero exit of a test binary or
# runner, a TAP plan that does not match the results, zero tests run, an
# undeclared skip (tests/meson_tally.py), and any sanitizer report written
# meanwhile by any process (reports go to files under $sandir, so commands
# run through runuser, sshd or the daemon are covered too).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "$(id -u)" = 0 ] || { echo "tests/run.sh: run as root" >&2; exit 1; }
# What the tests need from Debian's packages (and the reference for the
# mixed farm), installed when missing.
bash tests/deps.sh || { echo "tests/run.sh: cannot install the test dependencies" >&2; exit 1; }
results=$here/tests/results
mkdir -p "$results"
passed=0 failed=0
py=/usr/bin/python3

# Sanitizer options for every stage, before the first test binary runs.
# Reports go to files (log_path appends .<pid>): one place to look, whatever
# process wrote them. halt_on_error: a finding stops the process (non-zero).
sandir=${X2GO_SANITIZER_DIR:-/var/tmp/x2go-sanitizer}
stages=" ${X2GO_TEST_STAGES:-unit unit-asan coverage package normal asan mutations} "
suites=" ${X2GO_TEST_SUITES:-integration farm e2e} "
read -ra it_args <<<"${X2GO_IT_ARGS:-}"
read -ra e2e_args <<<"${X2GO_E2E_ARGS:-}"
rm -rf "$sandir" && install -d -m 1777 "$sandir"
# Leaks: detected in the unit tests (clean). Not yet in the installed server
# (asan pass below): LeakSanitizer cannot stop the world in a set-id
# (non-dumpable) process, so it failed every call of the former setgid store
# helper; with the store server that reason is gone, but a leak-checked
# server pass has not been tried yet.
asan=halt_on_error=1:abort_on_error=1:log_path=$sandir/asan
export ASAN_OPTIONS=$asan:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$sandir/ubsan
export X2GO_SANITIZER_DIR=$sandir

# Add the counts from a suite's closing "N passed, M failed" line.
tally() { # name logfile status
    local line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$2" | tail -n 1)
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
    if [ "$p" = 0 ] && [ "$f" = 0 ]; then
        echo "FAIL $1: zero tests ran"
        failed=$((failed + 1))
    fi
    echo "== $1: $line"
}

# Any sanitizer report since the last call is a failure of this stage; the
# reports are moved to the results directory.
sanitized() { # label
    local f n=0 dest=$results/sanitizer-$(echo "$1" | tr ' /()+' '_____')
    for f in "$sandir"/*; do
        [ -e "$f" ] || continue
        mkdir -p "$dest" && mv "$f" "$dest/"
        echo "FAIL $1: sanitizer report $dest/${f##*/}: $(grep -m1 -E 'ERROR|runtime error' "$dest/${f##*/}")"
        n=$((n + 1))
    done
    failed=$((failed + n))
}

unit() { # builddir [meson options]
    local dir=$1 label="unit tests ($(basename "$1"))"
    shift
    if [ ! -d "$dir" ]; then meson setup "$dir" "$@" >/dev/null || return 1; fi
    ninja -C "$dir" >/dev/null || return 1
    local log=$results/unit-$(basename "$dir").log
    meson test -C "$dir" --print-errorlogs >"$log" 2>&1
    local rc=$?
    $py tests/meson_tally.py "$dir" >>"$log" 2>&1
    grep -E '^FAIL' "$log"
    tally "$label" "$log" $rc
    sanitized "$label"
}

suite() { # label command...
    local label=$1
    shift
    local log=$results/$(echo "$label" | tr ' /()+' '_____').log
    "$@" >"$log" 2>&1
    local rc=$?
    grep -E '^FAIL' "$log"
    tally "$label" "$log" $rc
    sanitized "$label"
}

pass() { # label timeout-scale [install options]: install a build, run the suites
    local label=$1 scale=$2
    shift 2
    if ! scripts/install.sh --no-deps "$@" >"$results/install-$label.log" 2>&1; then
        echo "FAIL install ($label)"; tail -5 "$results/install-$label.log"
        failed=$((failed + 1))
        return
    fi
    [[ $suites == *" integration "* ]] &&
        suite "integration ($label)" $py tests/integration/run.py "${it_args[@]}"
    # PostgreSQL backend and a 3-host farm on a private PostgreSQL 15.
    [[ $suites == *" farm "* ]] &&
        suite "postgresql farm ($label)" tests/farm/run.sh
    [[ $suites == *" e2e "* ]] &&
        X2GO_E2E_TIMEOUT_SCALE=$scale X2GO_E2E_RESULTS=$results/e2e-$label \
            suite "end-to-end ($label)" $py tests/e2e/run.py "${e2e_args[@]}"
}

want() { [[ $stages == *" $1 "* ]]; }

# --- unit ---------------------------------------------------------------
if want unit; then
    unit build-test || { echo "FAIL unit build"; failed=$((failed + 1)); }
fi
if want unit-asan; then
    unit build-test-asan -Db_sanitize=address,undefined -Db_lundef=false ||
        { echo "FAIL unit build (asan)"; failed=$((failed + 1)); }
fi
# Line coverage of the clean-up daemon's rules and time limits (>= 95 %).
want coverage && suite "unit coverage" tests/unit/coverage.sh

# --- the Debian package: build, lintian, the install tree, install,
# upgrade, remove, purge, install again -----------------------------------
want package && suite "package" bash tests/package.sh

# --- integration, farm and end-to-end, normal and ASan+UBSan builds -----
export ASAN_OPTIONS=$asan:detect_leaks=0
want normal && pass normal 1
want asan && pass asan 3 --asan

# --- deliberate bugs each suite must catch --------------------------------
want mutations && suite "mutations" tests/mutate.sh

# Leave the machine with the normal build installed.
if want asan || want mutations; then
    scripts/install.sh --no-deps >/dev/null 2>&1 || { echo "FAIL final reinstall"; failed=$((failed + 1)); }
    sanitized "final reinstall"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
