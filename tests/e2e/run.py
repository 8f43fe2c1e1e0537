#!/usr/bin/python3
"""Run the X2Go end-to-end suite (pyhoca-cli <-> private sshd <-> installed server).

Usage: /usr/bin/python3 tests/e2e/run.py [-k SUBSTR]... [--keep] [--list]

Prints one line per test, `PASS name` or `FAIL name: reason`, then
`N passed, M failed`; exits 1 on any failure.  Progress and diagnostics go to
stderr; artefacts (screenshots, client logs, sshd/daemon logs, the log of every
ssh command) go to tests/e2e/results/ (or $X2GO_E2E_RESULTS).
See tests/e2e/README.md.
"""

import argparse
import contextlib
import os
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Aborted, TestFailure, log  # noqa: E402
import scenarios  # noqa: E402

# extra result lines a test may record with t.sub(name)
SUBTESTS = {
    "lifecycle": ["lifecycle_resume_redraws", "lifecycle_session_dir_removed"],
    "two_users_isolated": ["two_users_cross_control_denied"],
    "agent_sigkill_cleanup": ["agent_sigkill_row_gone", "agent_sigkill_stale_x_files_removed"],
    "session_sigkill_daemon_cleanup": ["session_sigkill_row_gone", "session_sigkill_stale_x_files_removed"],
}
import scenarios_apps  # noqa: E402,I100
import scenarios_print  # noqa: E402,I100
import scenarios_share  # noqa: E402,I100
import scenarios_limits  # noqa: E402,I100
import scenarios_shadow  # noqa: E402,I100
import scenarios_desktop  # noqa: E402,I100
import scenarios_sound  # noqa: E402,I100
scenarios.TESTS += (scenarios_apps.TESTS + scenarios_share.TESTS + scenarios_print.TESTS
                    + scenarios_limits.TESTS + scenarios_shadow.TESTS + scenarios_desktop.TESTS + scenarios_sound.TESTS)
SUBTESTS.update(scenarios_share.SUBTESTS)
SUBTESTS.update(scenarios_print.SUBTESTS)
SUBTESTS.update(scenarios_desktop.SUBTESTS)
SUBTESTS.update(scenarios_sound.SUBTESTS)


class Recorder:
    def __init__(self):
        self.results = []  # (name, ok, reason)
        self.notes = []

    def record(self, name, ok, reason=""):
        self.results.append((name, ok, reason))
        reason = " ".join(str(reason).split())
        if len(reason) > 600:
            reason = reason[:600] + "..."
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, reason or "failed"), flush=True)

    @contextlib.contextmanager
    def sub(self, name):
        t0 = time.monotonic()
        try:
            yield
        except TestFailure as e:
            self.record(name, False, str(e))
        except Aborted:
            self.record(name, False, "aborted")
            raise
        except Exception as e:  # noqa
            self.record(name, False, "%s: %s" % (type(e).__name__, e))
            log(traceback.format_exc())
        else:
            self.record(name, True)
        log("%s took %.1fs" % (name, time.monotonic() - t0))

    def note(self, msg):
        self.notes.append(msg)
        log(msg)

    def names(self):
        return {n for n, _, _ in self.results}


def main():
    if sys.flags.optimize:
        # checks must never vanish under -O / PYTHONOPTIMIZE: run without it
        env = {k: v for k, v in os.environ.items() if k != "PYTHONOPTIMIZE"}
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", action="append", default=[], help="run only tests whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the scratch dir (keys, configs, client homes)")
    ap.add_argument("--list", action="store_true", help="list the tests and exit")
    ap.add_argument("--max-seconds", type=float,
                    default=float(os.environ.get("X2GO_E2E_MAX_SECONDS", "1500")) * harness.scale(),
                    help="hard limit for the whole run (default 1500 s x timeout scale)")
    args = ap.parse_args()

    tests = [(n, f) for n, f in scenarios.TESTS if not args.k or any(k in n for k in args.k)]
    if args.list:
        for n, f in tests:
            print(n + "".join(" +%s" % s for s in SUBTESTS.get(n, [])))
        return 0

    def on_signal(signum, frame):
        raise Aborted("signal %d" % signum)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM):
        signal.signal(s, on_signal)
    signal.alarm(int(args.max_seconds))

    t = Recorder()
    env = harness.Env()
    aborted = None
    try:
        try:
            env.setup()
        except (SystemExit, TestFailure, Exception) as e:  # noqa
            if isinstance(e, Exception) and not isinstance(e, TestFailure):
                log(traceback.format_exc())
            t.record("setup", False, str(e) or type(e).__name__)
        if env.setup_done:
            preflight_failed = None
            for name, fn in tests:
                expected = [name] + SUBTESTS.get(name, [])
                if preflight_failed:
                    for n in expected:
                        t.record(n, False, "not run: connect_and_list failed (%s)" % preflight_failed)
                    continue
                log("=== %s" % name)
                t0 = time.monotonic()
                try:
                    fn(env, t)
                except TestFailure as e:
                    t.record(name, False, str(e))
                except Aborted:
                    raise
                except Exception as e:  # noqa
                    log(traceback.format_exc())
                    t.record(name, False, "%s: %s" % (type(e).__name__, e))
                else:
                    t.record(name, True)
                log("%s took %.1fs" % (name, time.monotonic() - t0))
                for n in expected[1:]:
                    if n not in t.names():
                        t.record(n, False, "not reached (%s failed first)" % name)
                # leave nothing running between tests
                try:
                    env.between_tests()
                except Exception as e:  # noqa
                    log("between tests: %s" % e)
                if name == "connect_and_list" and not t.results[-1][1]:
                    preflight_failed = t.results[-1][2][:200]
    except Aborted as e:
        aborted = str(e)
        log("aborted: %s" % aborted)
    finally:
        signal.alarm(0)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        try:
            env.teardown(keep=args.keep)
        except BaseException as e:  # noqa
            log("teardown error: %s" % e)
            log(traceback.format_exc())

    if aborted:
        done = t.names()
        for name, fn in tests:
            for n in [name] + SUBTESTS.get(name, []):
                if n not in done:
                    t.record(n, False, "aborted (%s)" % aborted)
    os.makedirs(env.results, exist_ok=True)
    passed = sum(1 for _, ok, _ in t.results if ok)
    failed = len(t.results) - passed
    with open(os.path.join(env.results, "summary.txt"), "w") as fh:
        for n, ok, reason in t.results:
            fh.write(("PASS %s\n" % n) if ok else ("FAIL %s: %s\n" % (n, reason)))
        for note in t.notes:
            fh.write("# %s\n" % note)
        fh.write("%d passed, %d failed\n" % (passed, failed))
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
