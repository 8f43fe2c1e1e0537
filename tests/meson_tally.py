#!/usr/bin/python3
"""Count the results of a `meson test` run from its testlog.json.

    tests/meson_tally.py <builddir>

Prints `FAIL <test>: <why>` for every problem, then `N passed, M failed`
(N and M count TAP subtests); exits 1 on any failure. A failure is:

* a `not ok` subtest;
* a test whose result is not OK (non-zero exit, crash, sanitizer abort,
  timeout, or a TAP plan meson found wrong);
* a TAP plan `1..N` that does not match the number of results;
* a skipped subtest or test not declared in SKIPPABLE below with a reason;
* a sanitizer report in a test's output;
* no test at all.
"""

import json
import os
import re
import sys

# "<test>" or "<test>/<subtest>": why it may be skipped. Empty: none may.
SKIPPABLE = {}

SANITIZER = re.compile(r'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|'
                       r'SUMMARY: (Address|Undefined|Leak)')
RESULT = re.compile(r'^(not ok|ok)\b\s*\d*\s*-?\s*([^#]*)(#\s*(\w+).*)?$')


def tally_test(t, fail):
    name = t['name']
    out = t.get('stdout') or ''
    out += t.get('stderr') or ''
    passed = results = 0
    plan = None
    for line in out.splitlines():
        m = re.match(r'^1\.\.(\d+)', line)
        if m:
            plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        results += 1
        sub = m.group(2).strip()
        directive = (m.group(4) or '').upper()
        if directive == 'SKIP':
            if not SKIPPABLE.get('%s/%s' % (name, sub)):
                fail('%s/%s: skipped, not declared skippable: %s' % (name, sub, line))
        elif m.group(1) == 'not ok':
            fail('%s/%s: %s' % (name, sub, line))
        else:
            passed += 1
    if t['result'] == 'SKIP' and SKIPPABLE.get(name):
        return passed
    if t['result'] != 'OK':
        fail('%s: meson result %s, exit status %s' % (name, t['result'], t.get('returncode')))
    if plan is None:
        fail('%s: no TAP plan' % name)
    elif plan != results:
        fail('%s: TAP plan 1..%d but %d results' % (name, plan, results))
    m = SANITIZER.search(out)
    if m:
        fail('%s: sanitizer report in its output: %s' % (name, m.group(0)))
    return passed


def main(argv):
    path = os.path.join(argv[1], 'meson-logs', 'testlog.json')
    failures = []

    def fail(msg):
        failures.append(msg)
        print('FAIL ' + msg, flush=True)
    passed = 0
    try:
        with open(path) as fh:
            tests = [json.loads(line) for line in fh if line.strip()]
    except (OSError, ValueError) as e:
        fail('cannot read %s: %s' % (path, e))
        tests = []
    for t in tests:
        passed += tally_test(t, fail)
    if tests and passed == 0:
        fail('no subtest passed in %s' % path)
    if not tests and len(failures) == 0:
        fail('no test ran (%s is empty)' % path)
    print('%d passed, %d failed' % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
