"""End-to-end scenario of the time limits (issue #10) with real agents, in
the form of scenarios.py: test_<name>(env, t), listed in TESTS.

* time_limits: with [time limits users] set for the two test users (the
  daemon reads them on SIGHUP), the first user's pyhoca-cli session, left
  without input, is suspended by the daemon once nxagent's X server has
  been idle for its idle limit, and then resumes with pyhoca-cli (and is
  not suspended again at once: idle counts from the resume); the second
  user's session ends at its lifetime. The configuration is restored
  after.
"""

import os
import time

from harness import T, TestFailure, check, log, tail, wait_for

from scenarios import _assert_running, _start, _terminate

CONF = "/etc/x2go/x2goserver.conf"
IDLE_S, LIFETIME_S = 15, 30


def _hup_daemon(env):
    r = env.root("p=$(cat /run/x2goserver.pid 2>/dev/null); "
                 "[ -n \"$p\" ] && grep -q x2gocleansessions /proc/$p/cmdline && kill -HUP $p "
                 "&& echo SENT")
    if "SENT" in r.stdout:
        return
    if getattr(env, "daemon", None) and env.daemon.poll() is None:
        os.kill(env.daemon.pid, 1)  # the harness's own daemon (--debug)
        return
    raise TestFailure("no clean-up daemon to tell about the time limits: %s" % tail(r.stdout))


def test_time_limits(env, t):
    u0, u1 = env.users[0], env.users[1]
    with open(CONF) as f:
        saved = f.read()
    limits = ("\n[time limits]\nwarning = 5s\n\n[time limits users]\n%s = idle=%ds\n"
              "%s = lifetime=%ds\n" % (u0, IDLE_S, u1, LIFETIME_S))
    try:
        with open(CONF + ".e2e-new", "w") as f:
            f.write(saved + limits)
        os.chmod(CONF + ".e2e-new", 0o644)
        os.replace(CONF + ".e2e-new", CONF)
        _hup_daemon(env)
        c0, sid0 = _start(env, u0, "limits-idle")
        started0 = time.monotonic()
        c1, sid1 = _start(env, u1, "limits-life")
        pid1 = _assert_running(env, u1, sid1)["pid"]
        row = env.wait_status(u0, sid0, "S", timeout=T(IDLE_S + 60))
        took = time.monotonic() - started0
        log("idle session suspended %.1fs after its start" % took)
        check(took >= IDLE_S - 1, "suspended after %.1fs, before its idle limit of %ds"
              % (took, IDLE_S))
        check(env.pid_alive(u0, row["pid"]), "idle-suspended agent died")
        c0.wait_text(r"has been suspended|has terminated|moved to a different screen", T(40),
                     "the idle session's client to notice the suspend", dead_ok=True)
        c0.wait_exit(T(20))
        # resumes with pyhoca-cli, and stays running for a while
        c2 = env.client(u0, "limits-resume")
        c2.resume(sid0)
        check(c2.wait_ready() == sid0, "resume attached to another session")
        _assert_running(env, u0, sid0)
        time.sleep(IDLE_S / 3)
        _assert_running(env, u0, sid0)
        # the second user's session is gone at its lifetime
        env.wait_gone(u1, sid1, timeout=T(LIFETIME_S + 60))
        wait_for(lambda: not env.pid_alive(u1, pid1), T(30),
                 "agent %d of the session ended at its lifetime to exit" % pid1, interval=1)
        c1.wait_exit(T(40))
        _terminate(env, u0, sid0)
        env.wait_gone(u0, sid0, timeout=T(30))
    finally:
        with open(CONF + ".e2e-new", "w") as f:
            f.write(saved)
        os.chmod(CONF + ".e2e-new", 0o644)
        os.replace(CONF + ".e2e-new", CONF)
        _hup_daemon(env)


TESTS = [("time_limits", test_time_limits)]
