#!/usr/bin/python3
"""Integration test runner (stdlib only; run as root with /usr/bin/python3
against the installed commands; it does not install anything).

Imports every tests/integration/test_*.py module, runs each module-level
function named test_* (no arguments; an exception is a failure) in the
order the module defines them, prints

    PASS <module>.<name>
    FAIL <module>.<name>: <reason>

and finally exactly "N passed, M failed"; the exit status is 1 when
anything failed or nothing ran. Under -O or PYTHONOPTIMIZE it runs itself
again without (the tests' assert statements must count).

    /usr/bin/python3 tests/integration/run.py [word ...]

Words, when given, select tests whose "<module>.<name>" contains one of them.
"""

import glob
import importlib
import inspect
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


# Store servers a test started for a private instance (in a mount
# namespace of its own) must not outlive it: they would run on as the
# store's account after the test and after a package purge. The
# installed server (its pid file) is never touched.


def kill_private_stores():
    own = os.readlink('/proc/self/ns/mnt')
    pidns = os.readlink('/proc/self/ns/pid')  # other containers' are theirs
    try:
        with open('/run/x2go/stored.pid') as f:
            main_pid = f.read().strip()
    except OSError:
        main_pid = None
    for p in os.listdir('/proc'):
        if not p.isdigit() or p == main_pid:
            continue
        try:
            with open('/proc/%s/comm' % p) as f:
                comm = f.read().strip()
            if (comm == 'x2go-stored' and os.readlink('/proc/%s/ns/mnt' % p) != own
                    and os.readlink('/proc/%s/ns/pid' % p) == pidns):
                os.kill(int(p), 9)
        except OSError:
            pass


def one_line(text):
    return ' | '.join(l.strip() for l in str(text).strip().splitlines() if l.strip())


def main(argv):
    if sys.flags.optimize:
        # assert statements vanish under -O / PYTHONOPTIMIZE: run without it
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONOPTIMIZE'}
        os.execve(sys.executable, [sys.executable] + argv, env)
    if os.geteuid() != 0:
        print('run.py: the integration tests must run as root', file=sys.stderr)
        return 2
    sys.path.insert(0, HERE)
    os.chdir(HERE)
    words = argv[1:]
    passed = failed = 0
    for path in sorted(glob.glob(os.path.join(HERE, 'test_*.py'))):
        modname = os.path.basename(path)[:-3]
        try:
            mod = importlib.import_module(modname)
        except BaseException as e:  # noqa: BLE001 - a broken module is a failure
            if isinstance(e, KeyboardInterrupt):
                raise
            if not words or any(w in modname for w in words):
                print('FAIL %s.<import>: %s' % (modname, one_line(
                    '%s: %s' % (type(e).__name__, e))), flush=True)
                failed += 1
            continue
        funcs = [(n, f) for n, f in vars(mod).items()
                 if n.startswith('test_') and inspect.isfunction(f)
                 and f.__module__ == mod.__name__]
        funcs.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
        for name, func in funcs:
            full = '%s.%s' % (modname, name)
            if words and not any(w in full for w in words):
                continue
            try:
                func()
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # noqa: BLE001
                reason = '%s: %s' % (type(e).__name__, e) if not isinstance(
                    e, AssertionError) else str(e) or 'assertion failed'
                tb = traceback.extract_tb(e.__traceback__)
                where = ''
                for fr in reversed(tb):
                    if os.path.dirname(os.path.abspath(fr.filename)) == HERE:
                        where = ' (%s:%d)' % (os.path.basename(fr.filename), fr.lineno)
                        break
                print('FAIL %s: %s%s' % (full, one_line(reason), where), flush=True)
                failed += 1
            else:
                print('PASS %s' % full, flush=True)
                passed += 1
            finally:
                kill_private_stores()
    print('%d passed, %d failed' % (passed, failed), flush=True)
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
