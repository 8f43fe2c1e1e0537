"""End-to-end scenario of the time limits (issue #10) with real agents, in
the form of scenarios.py: test_<name>(env, t), listed in TESTS.

* time_limits: with [time limits users] set for the two test users (the
  daemon reads them on SIGHUP), the first user's pyhoca-cli session, left
  without input, is suspended by the daemon once nxagent's X server has
  been idle for its idle limit, and then resumes with pyhoca-cli (and is
  not suspended again at once: idle counts from the resume); the second
  user's session ends at its lifetime. The configuration is restored
  after.
* time_limits_precedence: a test group holds the second user only; the
  default suspended limit ends the first user's suspended session, the
  group's suspended limit (longer) the second user's suspended one, and the
  second user's own lifetime (longer than the group's) the second user's
  running one. Each ends, agent included, and none before its own value,
  so a wrong precedence (default over group, group over user) fails. The
  three sessions run side by side; group and configuration are removed
  after.
"""

import os
import time

from harness import T, TestFailure, check, log, tail, wait_for

from scenarios import APP, _assert_running, _start, _terminate

CONF = "/etc/x2go/x2goserver.conf"
IDLE_S, LIFETIME_S = 15, 30


def _write_conf(text):
    with open(CONF + ".e2e-new", "w") as f:
        f.write(text)
    os.chmod(CONF + ".e2e-new", 0o644)
    os.replace(CONF + ".e2e-new", CONF)


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
        _write_conf(saved + limits)
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
        _write_conf(saved)
        _hup_daemon(env)


GROUP = "x2goe2elim"
# default suspended; the group's suspended and lifetime; the second user's lifetime
DEF_SUSP_S, GRP_SUSP_S, GRP_LIFE_S, USR_LIFE_S = 4, 12, 6, 25


def _gone_times(env, want, timeout):
    """Poll both users' lists until every session of want ({sid: user}) has
    left it; return {sid: monotonic time it was first seen gone}."""
    gone = {}
    deadline = time.monotonic() + timeout
    while len(gone) < len(want):
        if time.monotonic() > deadline:
            raise TestFailure("sessions still listed after %.0fs: %s"
                              % (timeout, ", ".join(s for s in want if s not in gone)))
        for u in sorted(set(want.values())):
            listed = {row["sid"] for row in env.list_sessions(u)}
            now = time.monotonic()
            for sid, su in want.items():
                if su == u and sid not in listed and sid not in gone:
                    gone[sid] = now
        time.sleep(0.5)
    return gone


def test_time_limits_precedence(env, t):
    u0, u1 = env.users[0], env.users[1]
    with open(CONF) as f:
        saved = f.read()
    limits = ("\n[time limits]\nwarning = 3s\nsuspended = %ds\n\n[time limits groups]\n"
              "%s = suspended=%ds, lifetime=%ds\n\n[time limits users]\n%s = lifetime=%ds\n"
              % (DEF_SUSP_S, GROUP, GRP_SUSP_S, GRP_LIFE_S, u1, USR_LIFE_S))
    r = env.root("groupadd -f %s && gpasswd -a %s %s >/dev/null && echo OK" % (GROUP, u1, GROUP))
    check("OK" in r.stdout, "cannot make the test group: %s" % tail(r.stdout + r.stderr))
    try:
        _write_conf(saved + limits)
        _hup_daemon(env)
        # three sessions side by side: u0 suspended (default), u1 suspended
        # (group), u1 running (user)
        t0 = time.monotonic()
        clients = [(env.client(u, name), u) for u, name in
                   ((u0, "prec-default"), (u1, "prec-group"), (u1, "prec-user"))]
        for c, _ in clients:
            c.new(APP)
        sids = [c.wait_ready() for c, _ in clients]
        pids = {sid: _assert_running(env, u, sid)["pid"] for sid, (_, u) in zip(sids, clients)}
        s_def, s_grp, s_usr = sids
        since = {}
        since[s_def] = time.monotonic()
        out = env.client(u0, "prec-suspend").call(["--suspend", s_def], "suspend")
        check("has been suspended" in out, "pyhoca --suspend: %s" % tail(out))
        since[s_grp] = time.monotonic()
        env.quiet(u1, "x2gosuspend-session %s" % s_grp)
        since[s_usr] = t0
        want = {s_def: u0, s_grp: u1, s_usr: u1}
        gone = _gone_times(env, want, T(USR_LIFE_S + 90))
        # the list's times are whole seconds: 1 s of slack below
        for sid, limit, what in ((s_def, DEF_SUSP_S, "default suspended limit"),
                                 (s_grp, GRP_SUSP_S, "group's suspended limit (not the default)"),
                                 (s_usr, USR_LIFE_S, "user's lifetime (not the group's)")):
            took = gone[sid] - since[sid]
            log("%s ended %.1fs after %s (%s %ds)" % (sid, took, "its start" if sid == s_usr
                                                       else "the suspend", what, limit))
            check(took >= limit - 1, "%s ended after %.1fs, before the %s of %ds"
                  % (sid, took, what, limit))
        for sid, u in want.items():
            wait_for(lambda u=u, sid=sid: not env.pid_alive(u, pids[sid]), T(30),
                     "agent %d of %s to exit" % (pids[sid], sid), interval=1)
        for c, _ in clients:
            c.wait_exit(T(40))
    finally:
        _write_conf(saved)
        _hup_daemon(env)
        env.root("gpasswd -d %s %s >/dev/null 2>&1; groupdel %s" % (u1, GROUP, GROUP))


TESTS = [("time_limits", test_time_limits),
         ("time_limits_precedence", test_time_limits_precedence)]
