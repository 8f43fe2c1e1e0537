#!/bin/bash
# Deliberate bugs that the suites must report. Each mutation is applied to a
# scratch copy of the tree, and only the suite it targets runs there (through
# that copy's tests/run.sh: the same stage logic and tallies as a real run).
# A mutation counts as passed when that run ends with "N passed, M failed",
# M > 0, a non-zero exit status, and the test aimed at the bug among the
# failures (a run that fails for another reason, e.g. its set-up, proves
# nothing); as failed otherwise, or when the mutation no longer applies. Mutations of the integration
# and end-to-end suites install the mutated build; the normal build of this
# tree is installed again at the end.
# Run as root, under the suite lock (tests/run.sh runs it).
# X2GO_MUTANTS: names of the mutations to try (default: all).
# Last line: "N passed, M failed"; exit status non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "tests/mutate.sh: run as root" >&2; exit 1; }
results=$here/tests/results/mutations
rm -rf "$results" && mkdir -p "$results"
scratch=$(mktemp -d /var/tmp/x2go-mutate.XXXXXX)
chmod 755 "$scratch" # test users (sshd) read files of the copy
installed=0
cleanup() {
    if [ $installed = 1 ]; then
        "$here/scripts/install.sh" --no-deps >"$results/reinstall.log" 2>&1 ||
            echo "tests/mutate.sh: reinstalling the normal build failed" >&2
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
passed=0 failed=0
# Each mutant sets its own stages and test selection.
unset X2GO_TEST_STAGES X2GO_TEST_SUITES X2GO_IT_ARGS X2GO_E2E_ARGS

# Replace exactly one occurrence of old by new in the scratch tree's file.
change() { # file old new
    /usr/bin/python3 - "$scratch/tree/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
text = open(path).read()
if text.count(old) != 1:
    sys.exit("%s: %r occurs %d times" % (path, old, text.count(old)))
open(path, "w").write(text.replace(old, new))
PY
}

fresh() {
    rm -rf "$scratch/tree" "$scratch/san"
    mkdir -p "$scratch/tree" "$scratch/san"
    tar -C "$here" --exclude='./build*' --exclude=./.git --exclude=./tests/results \
        --exclude=./tests/e2e/.work --exclude=./tests/e2e/results -cf - . | tar -C "$scratch/tree" -xf -
}

# Run the scratch tree's suite (environment: X2GO_TEST_STAGES and friends)
# and judge it.
expect_caught() { # name, start of the FAIL line of the test aimed at it
    local log=$results/$1.log line f rc
    X2GO_SANITIZER_DIR=$scratch/san bash "$scratch/tree/tests/run.sh" >"$log" 2>&1
    rc=$?
    cp -r "$scratch/tree/tests/results" "$results/$1-results" 2>/dev/null
    line=$(tail -n 1 "$log")
    f=$(sed -nE 's/^[0-9]+ passed, ([0-9]+) failed$/\1/p' <<<"$line")
    if [ "$rc" != 0 ] && [ -n "$f" ] && [ "$f" -gt 0 ] && grep -q "^FAIL $2" "$log"; then
        echo "PASS $1: caught ($line; $(grep -m1 "^FAIL $2" "$log" | cut -c1-300))"
        passed=$((passed + 1))
    else
        echo "FAIL $1: not caught by $2 (exit $rc, last line '$line'; $(grep -m1 '^FAIL' "$log" |
            cut -c1-200)); see $log"
        failed=$((failed + 1))
    fi
}

mutant() { # name, then change() argument triples
    local name=$1
    shift
    [ -z "${X2GO_MUTANTS:-}" ] || [[ " $X2GO_MUTANTS " == *" $name "* ]] || return 1
    fresh
    while [ $# -gt 0 ]; do
        if ! change "$1" "$2" "$3" 2>"$results/$name.apply"; then
            echo "FAIL $name: mutation does not apply: $(cat "$results/$name.apply")"
            failed=$((failed + 1))
            return 1
        fi
        shift 3
    done
}

# 1. unit (ASan build): a one-byte over-read in the session-id parser that
#    only AddressSanitizer sees.
if mutant sid_parser_overread src/core/base/sid.c '    size_t len = strlen(sid);
' '    size_t len = strlen(sid);
    volatile char past = sid[len + 1];
    (void)past;
'; then
    X2GO_TEST_STAGES=unit-asan expect_caught sid_parser_overread "x2goserver-c:base / test_sid: "
fi

# 2. integration: x2gostartagent prints the file-sharing port where the
#    sound port belongs and vice versa.
if mutant start_ports_swapped src/cmd/session/startagent.c \
    's->res.sid, s->res.ports[0], s->res.ports[1], s->res.ports[2]);' \
    's->res.sid, s->res.ports[0], s->res.ports[2], s->res.ports[1]);'; then
    installed=1
    X2GO_TEST_STAGES=normal X2GO_TEST_SUITES=integration X2GO_IT_ARGS=test_outputs \
        expect_caught start_ports_swapped "test_outputs.test_start_prints_seven_lines"
fi

# 3. end-to-end: a suspended session is stored and reconciled as running
#    (every status update to S, by the commands, the lists or the daemon,
#    goes through the store and the reconciliation table).
if mutant suspend_status_lost \
    src/core/store/sqlite/store_sqlite.c "char v[2] = {status, 0};" "char v[2] = {status == 'S' ? 'R' : status, 0};" \
    src/core/session/agent.c "BIT(X2GO_AS_SUSPENDED), 'S'}," "BIT(X2GO_AS_SUSPENDED), 'R'},"; then
    installed=1
    X2GO_TEST_STAGES=normal X2GO_TEST_SUITES=e2e X2GO_E2E_ARGS="-k sigint_suspends" \
        expect_caught suspend_status_lost "sigint_suspends: "
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
