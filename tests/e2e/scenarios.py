"""The end-to-end scenarios of issue #3.

Each test is a function test_<name>(env, t) where env is harness.Env and t is
the Recorder from run.py (t.sub(name) records an extra result line for a
separate check made inside the same session, so one session can prove several
things without paying for another 15 s --new).
"""

import json
import os
import re
import time

from harness import T, TestFailure, check, tail, wait_for, run, NOT_INSTALLED

APP = "xmessage -timeout 600 hello"
APP_WINDOW = "xmessage"


def _assert_running(env, user, sid):
    row = env.wait_status(user, sid, "R", timeout=T(30))
    check(row["user"] == user, "list row user is %r, expected %r" % (row["user"], user))
    check(sid.startswith(user + "-"), "session id %r does not start with %s-" % (sid, user))
    check(row["pid"] > 0, "agent pid %r" % row["pid"])
    check(env.pid_alive(user, row["pid"]), "agent pid %d of %s is not alive" % (row["pid"], sid))
    return row


def _start(env, user, name):
    c = env.client(user, name)
    c.new(APP)
    sid = c.wait_ready()
    return c, sid


def _history(env, sid):
    """(event, client address) of the session in the server's history."""
    probe = env.root("command -v x2gosessionhistory")
    check(probe.stdout.strip(), "x2gosessionhistory not installed")
    r = env.root("x2gosessionhistory --json")
    check(r.returncode == 0, "x2gosessionhistory rc=%d: %s" % (r.returncode, tail(r.stderr)))
    return [(e["event"], e["client"]) for e in json.loads(r.stdout) if e["session_id"] == sid]


def _terminate(env, user, sid, ctl=None):
    ctl = ctl or env.client(user, "%s-ctl-%d" % (user, int(time.time() * 1000) % 100000))
    out = ctl.call(["--terminate", sid], "terminate")
    check("has been terminated" in out, "pyhoca --terminate did not report 'has been terminated': %s" % tail(out))
    return out


# ---------------------------------------------------------------------------

def test_connect_and_list(env, t):
    """pyhoca-cli connects, authenticates and lists (preflight for the rest)."""
    c = env.client(env.users[0], "preflight")
    out = c.call(["-L"], "list")
    check(NOT_INSTALLED not in out, "server not installed: pyhoca says '%s'" % NOT_INSTALLED)
    check("authentication has been successful" in out, "no 'authentication has been successful': %s" % tail(out))
    check("No running/suspended sessions found on X2Go server." in out or "Session Name:" in out,
          "no session listing in pyhoca -L output: %s" % tail(out))
    rows = env.list_sessions(env.users[0])
    check(rows == [], "fresh test user %s already has sessions: %s" % (env.users[0], [r["sid"] for r in rows]))


def test_lifecycle(env, t):
    """new -> R (agent alive) -> suspend -> S (agent alive) -> resume -> R
    -> terminate -> gone, agent dead, session dir removed."""
    user = env.users[0]
    c1, sid = _start(env, user, "life-new")
    row = _assert_running(env, user, sid)
    pid = row["pid"]
    display = row["display"]
    check(env.path_exists(user, "%s/.x2go/C-%s" % (env.homes[user], sid)),
          "~/.x2go/C-%s missing while running" % sid)

    # suspend from a second invocation
    ctl = env.client(user, "life-ctl")
    out = ctl.call(["--suspend", sid], "suspend")
    check("has been suspended" in out, "pyhoca --suspend did not report 'has been suspended': %s" % tail(out))
    row = env.wait_status(user, sid, "S", timeout=T(30))
    check(row["pid"] == pid, "agent pid changed on suspend: %d -> %d" % (pid, row["pid"]))
    check(env.pid_alive(user, pid), "agent %d died on suspend" % pid)
    c1.wait_text(r"has been suspended|has terminated|moved to a different screen", T(40),
                 "first client to notice the suspend", dead_ok=True)
    c1.wait_exit(T(20))
    check("has been suspended" in c1.output(),
          "first client did not report 'has been suspended': %s" % tail(c1.output()))
    # the suspended session's window leaves the client display (so that a
    # window seen after resume was really drawn by the resumed session)
    try:
        wait_for(lambda: APP_WINDOW not in _client_tree(env), T(15),
                 "the %s window to leave the client display after suspend" % APP_WINDOW, interval=1)
        stale_window = None
    except TestFailure as e:
        stale_window = str(e)
    # still suspended a little later (nothing resurrects or kills it)
    time.sleep(3)
    row = env.wait_status(user, sid, "S", timeout=T(10))
    check(env.pid_alive(user, pid), "agent %d died while suspended" % pid)

    # resume
    c2 = env.client(user, "life-resume")
    c2.resume(sid)
    sid2 = c2.wait_ready()
    check(sid2 == sid, "resume attached to %s, expected %s" % (sid2, sid))
    row = _assert_running(env, user, sid)
    check(row["pid"] == pid, "agent pid changed on resume: %d -> %d" % (pid, row["pid"]))
    check(row["display"] == display, "display changed on resume: %d -> %d" % (display, row["display"]))
    with t.sub("lifecycle_resume_redraws"):
        check(stale_window is None, stale_window)
        wait_for(lambda: APP_WINDOW in _client_tree(env), T(40),
                 "the %s window on the client display after resume" % APP_WINDOW, interval=1)

    # terminate
    _terminate(env, user, sid, ctl)
    env.wait_gone(user, sid, timeout=T(30))
    wait_for(lambda: not env.pid_alive(user, pid), T(30), "agent %d to exit after terminate" % pid, interval=1)
    c2.wait_text(r"has terminated|has been terminated", T(40), "resumed client to report the termination",
                 dead_ok=True)
    c2.wait_exit(T(20))

    with t.sub("lifecycle_session_dir_removed"):
        d = "/tmp/.x2go-%s/C-%s" % (user, sid)
        wait_for(lambda: not env.path_exists(user, d), T(30), "%s to be removed after terminate" % d, interval=1)

    with t.sub("lifecycle_history"):
        ip = "127.0.0.1"
        got = _history(env, sid)
        want = [("start", ip), ("suspend", ip), ("resume", ip), ("terminate", ip)]
        check(got == want, "history of %s: %r, want %r" % (sid, got, want))


def test_sigint_suspends(env, t):
    """Ctrl+C (SIGINT) on the blocking client suspends the session."""
    user = env.users[0]
    c, sid = _start(env, user, "sigint")
    row = _assert_running(env, user, sid)
    c.interrupt()
    c.wait_text(r"has been suspended", T(40), "'has been suspended' after SIGINT", dead_ok=True)
    c.wait_exit(T(20))
    env.wait_status(user, sid, "S", timeout=T(30))
    check(env.pid_alive(user, row["pid"]), "agent died after SIGINT suspend")
    _terminate(env, user, sid)
    env.wait_gone(user, sid, timeout=T(30))


def test_takeover(env, t):
    """A second client resuming a running session takes it over."""
    user = env.users[0]
    c1, sid = _start(env, user, "take-first")
    row = _assert_running(env, user, sid)
    pid = row["pid"]
    c2 = env.client(user, "take-second")
    c2.resume(sid)
    check(c2.wait_ready(timeout=T(150)) == sid, "second client attached to another session")
    # the first client loses its link and says so
    c1.wait_text(r"has been suspended|moved to a different screen|has terminated", T(60),
                 "first client to report the takeover", dead_ok=True)
    c1.wait_exit(T(20))
    out1 = c1.output()
    check("has terminated" not in out1, "first client reported the session terminated: %s" % tail(out1))
    row = _assert_running(env, user, sid)
    check(row["pid"] == pid, "takeover changed the agent pid %d -> %d" % (pid, row["pid"]))
    check(c2.running(), "second client is not running after the takeover: %s" % tail(c2.output()))
    _terminate(env, user, sid)
    env.wait_gone(user, sid, timeout=T(30))
    c2.wait_exit(T(60))


def test_two_users_isolated(env, t):
    """Two users at once: each list shows only the user's own session; one
    user cannot suspend or terminate the other's."""
    ua, ub = env.users
    ca = env.client(ua, "iso-a")
    cb = env.client(ub, "iso-b")
    ca.new(APP)
    cb.new(APP)
    sa = ca.wait_ready()
    sb = cb.wait_ready()
    ra = _assert_running(env, ua, sa)
    rb = _assert_running(env, ub, sb)
    check(ra["display"] != rb["display"], "both sessions on display %d" % ra["display"])
    check(len({ra["gr_port"], ra["snd_port"], ra["fs_port"], rb["gr_port"], rb["snd_port"], rb["fs_port"]}) == 6,
          "port clash between the two sessions: %s / %s" % (ra["line"], rb["line"]))
    for user, own, other in ((ua, sa, sb), (ub, sb, sa)):
        rows = env.list_sessions(user)
        check([r["sid"] for r in rows] == [own],
              "%s's list is %s, expected only %s" % (user, [r["sid"] for r in rows], own))
        check(all(r["user"] == user for r in rows), "%s's list has foreign rows" % user)
        rows = env.list_sessions(user, args="--all-servers")
        check(other not in [r["sid"] for r in rows], "%s sees %s with --all-servers" % (user, other))

    with t.sub("two_users_cross_control_denied"):
        for cmd in ("x2gosuspend-session", "x2goterminate-session"):
            r = env.ssh(ub, "%s %s" % (cmd, sa))
            # refused (one line) or ignored (silent); never output, never a crash
            check(r.stdout == "" and (r.returncode, len(r.stderr.splitlines())) in ((0, 0), (1, 1)),
                  "%s of %s's session by %s: exit %d, stdout %r, stderr %r"
                  % (cmd, ua, ub, r.returncode, r.stdout[:200], r.stderr[:300]))
        time.sleep(3)
        ra2 = _assert_running(env, ua, sa)
        check(ra2["pid"] == ra["pid"], "agent of %s changed" % sa)
        check(ca.running(), "%s's client died after %s's suspend/terminate attempt: %s"
              % (ua, ub, tail(ca.output())))

    _terminate(env, ua, sa)
    _terminate(env, ub, sb)
    env.wait_gone(ua, sa)
    env.wait_gone(ub, sb)


def _daemon_running(env):
    check("started" in env.daemon_note or "already running" in env.daemon_note,
          "clean-up daemon is not running: %s" % env.daemon_note)


def _row_gone_root(env, sid):
    probe = env.root("command -v x2golistsessions_root")
    check(probe.stdout.strip(), "x2golistsessions_root not installed")

    def row_gone():
        r = env.root("x2golistsessions_root")
        check(r.returncode == 0, "x2golistsessions_root rc=%d: %s" % (r.returncode, tail(r.stderr)))
        return sid not in r.stdout
    wait_for(row_gone, T(60), "row of %s to be deleted (x2golistsessions_root)" % sid, interval=2)


def _stale_x_files_gone(env, user, disp):
    files = ["/tmp/.X%d-lock" % disp, "/tmp/.X11-unix/X%d" % disp]
    wait_for(lambda: not any(env.path_exists(user, f) for f in files), T(60),
             "stale %s of the killed agent to be removed (else the next agent on :%d cannot start)"
             % (" and ".join(files), disp), interval=2)


def test_agent_sigkill_cleanup(env, t):
    """kill -9 of the agent only: the session leaves the list (and the DB)
    in bounded time, and its stale X lock/socket are removed."""
    user = env.users[1]
    _daemon_running(env)
    c, sid = _start(env, user, "agent-kill")
    row = _assert_running(env, user, sid)
    pid, disp = row["pid"], row["display"]
    r = env.quiet(user, "kill -9 %d && echo KILLED" % pid)
    check(r.stdout == "KILLED\n", "could not SIGKILL agent %d: %s" % (pid, tail(r.stderr)))
    wait_for(lambda: not env.pid_alive(user, pid), T(10), "agent %d to die" % pid)
    # the reference daemon grants a 30 s grace after start and polls every 2 s
    env.wait_gone(user, sid, timeout=T(90))
    with t.sub("agent_sigkill_row_gone"):
        _row_gone_root(env, sid)
    with t.sub("agent_sigkill_stale_x_files_removed"):
        _stale_x_files_gone(env, user, disp)
    with t.sub("agent_sigkill_history"):
        got = _history(env, sid)
        check(got == [("start", "127.0.0.1"), ("failure", "127.0.0.1")],
              "history of %s: %r" % (sid, got))
    c.wait_text(r"has terminated|has been suspended|moved to a different screen", T(60),
                "client to notice the dead agent", dead_ok=True)
    c.stop()


def test_session_sigkill_daemon_cleanup(env, t):
    """kill -9 of every process of the session (x2goruncommand, the app, then
    the agent), so nothing inside the session can clean up: the daemon must
    (or a list that checks the agent).  Bounded: 90 s."""
    user = env.users[1]
    _daemon_running(env)
    c, sid = _start(env, user, "session-kill")
    row = _assert_running(env, user, sid)
    pid, disp = row["pid"], row["display"]
    # give x2goruncommand time to start the app
    wait_for(lambda: len(env.session_pids(user, sid)) >= 2, T(30),
             "x2goruncommand and the app of %s to be running" % sid, interval=1)
    procs = env.session_pids(user, sid)
    others = [(p, cmd) for p, cmd in procs if ("X2GO-" + sid) not in cmd and p != pid]
    check(others, "found no session process besides the agent: %s" % procs)
    order = sorted(others, key=lambda pc: 0 if "x2goruncommand" in pc[1] else 1)
    for p, cmd in order:
        try:
            os.kill(p, 9)
        except OSError:
            pass
    t.note("session_sigkill: killed %s" % [cmd[:60] for _, cmd in order])
    r = env.quiet(user, "kill -9 %d && echo KILLED" % pid)
    check(r.stdout == "KILLED\n", "could not SIGKILL agent %d: %s" % (pid, tail(r.stderr)))
    wait_for(lambda: not env.pid_alive(user, pid), T(10), "agent %d to die" % pid)
    env.wait_gone(user, sid, timeout=T(90))
    with t.sub("session_sigkill_row_gone"):
        _row_gone_root(env, sid)
    with t.sub("session_sigkill_stale_x_files_removed"):
        _stale_x_files_gone(env, user, disp)
    c.stop()


def _client_tree(env):
    r = run(["/usr/bin/xwininfo", "-root", "-tree", "-display", ":%d" % env.display], 30)
    if r.returncode != 0 or r.stderr.strip():
        raise TestFailure("xwininfo on the client display failed (exit %d): %s" % (r.returncode, tail(r.stderr)))
    return r.stdout


# The pixels test's app: red text on white (both sides are compared, and
# red pixels are the text's).
PIX_TEXT = "X2GO-PIXELS-0123456789"
PIX_APP = "xmessage -fg red -bg white -timeout 600 " + PIX_TEXT
# '     0x1a00003 "xmessage": ("xmessage" "Xmessage")  254x60+0+0  +513+482'
WIN_RE = re.compile(r'^\s*(0x[0-9a-f]+) "xmessage":[^\n]*?\s(\d+)x(\d+)[+-]', re.M)


def _windows(tree):
    """The xmessage top-level windows of a tree: [(id, w, h)]."""
    return [(m.group(1), int(m.group(2)), int(m.group(3))) for m in WIN_RE.finditer(tree)]


def _magick(argv, what):
    r = run(argv, 60)
    if r.returncode != 0:
        raise TestFailure("%s failed (exit %d): %s" % (what, r.returncode, tail(r.stderr)))
    return r


def _image_size(png):
    w, h = _magick(["/usr/bin/identify", "-format", "%w %h", png], "identify " + png).stdout.split()
    return int(w), int(h)


def _red_pixels(png):
    """How many pixels are (near) pure red: the text's and the button's."""
    # everything not red -> white, then red -> black; count the black
    r = _magick(["/usr/bin/convert", png, "-fuzz", "25%", "-fill", "white", "+opaque", "red",
                 "-fill", "black", "-opaque", "red", "-format", "%[fx:round((1-mean)*w*h)]", "info:"],
                "counting red pixels of " + png)
    return int(r.stdout.strip())


def _differing_pixels(a, b, diff):
    # compare exits 1 when the images differ: the count on stderr is the answer
    r = run(["/usr/bin/compare", "-metric", "AE", "-fuzz", "15%", a, b, diff], 60)
    m = re.match(r"\s*([0-9.e+]+)", r.stderr)
    if r.returncode not in (0, 1) or not m:
        raise TestFailure("compare %s %s failed (exit %d): %s" % (a, b, r.returncode, tail(r.stderr)))
    return int(float(m.group(1)))


def _server_capture(env, user, disp):
    """The xmessage window as the session display (nxagent) holds it."""
    xenv = "DISPLAY=:%d XAUTHORITY=$HOME/.Xauthority" % disp

    def window():
        r = env.quiet(user, "%s xwininfo -root -tree" % xenv)
        wins = _windows(r.stdout)
        return (wins, r.stdout) if wins else None
    wins, tree = wait_for(window, T(40), "a %s window on session display :%d" % (PIX_TEXT, disp), interval=1)
    with open(os.path.join(env.results, "session-display-tree.txt"), "w") as fh:
        fh.write(tree)
    check(len(wins) == 1, "%d xmessage windows on the session display: %s" % (len(wins), wins))
    wid, w, h = wins[0]
    png = os.path.join(env.homes[user], "e2e-pixels-session.png")
    env.quiet(user, "%s import -window %s %s" % (xenv, wid, png))
    dest = os.path.join(env.results, "window-session.png")
    os.replace(png, dest)
    check(_image_size(dest) == (w, h), "session capture is %s, window %dx%d" % (_image_size(dest), w, h))
    return dest, w, h


def _client_capture(env, w, h):
    """The window of the same size on the client's display."""
    def window():
        wins = [x for x in _windows(_client_tree(env)) if x[1:] == (w, h)]
        return wins or None
    wins = wait_for(window, T(40), "a %dx%d xmessage window on the client display :%d" % (w, h, env.display),
                    interval=1)
    check(len(wins) == 1, "%d %dx%d xmessage windows on the client display" % (len(wins), w, h))
    png = os.path.join(env.results, "window-client.png")
    _magick(["/usr/bin/import", "-display", ":%d" % env.display, "-window", wins[0][0], png],
            "import of the client window")
    check(_image_size(png) == (w, h), "client capture is %s, window %dx%d" % (_image_size(png), w, h))
    return png


def test_pixels(env, t):
    """The client shows what the session drew: the app's window captured on
    the client's Xvfb equals (small tolerance) the same window captured on
    the session display, and the text's red pixels are there."""
    user = env.users[0]
    c = env.client(user, "pixels")
    c.new(PIX_APP)
    sid = c.wait_ready()
    row = _assert_running(env, user, sid)
    server_png, w, h = _server_capture(env, user, row["display"])
    text = _red_pixels(server_png)
    check(text >= 100, "the session drew only %d red (text) pixels in its %dx%d window" % (text, w, h))
    seen = {}

    def same():
        client_png = _client_capture(env, w, h)
        seen["red"] = _red_pixels(client_png)
        seen["diff"] = _differing_pixels(server_png, client_png, os.path.join(env.results, "window-diff.png"))
        # a window without its text differs in about `text` pixels
        return seen["diff"] <= text // 20 and seen["red"] >= text * 9 // 10
    try:
        wait_for(same, T(30), "the client's window to match the session's", interval=2)
    except TestFailure as e:
        raise TestFailure("%s: %s pixels differ, %s red on the client, %d red in the session (%dx%d)"
                          % (e, seen.get("diff"), seen.get("red"), text, w, h))
    t.note("pixels: %dx%d window, %d text pixels, %d differ, %d red on the client"
           % (w, h, text, seen["diff"], seen["red"]))
    _terminate(env, user, sid)
    env.wait_gone(user, sid)


TESTS = [
    ("connect_and_list", test_connect_and_list),
    ("lifecycle", test_lifecycle),
    ("sigint_suspends", test_sigint_suspends),
    ("takeover", test_takeover),
    ("two_users_isolated", test_two_users_isolated),
    ("pixels", test_pixels),
    ("agent_sigkill_cleanup", test_agent_sigkill_cleanup),
    ("session_sigkill_daemon_cleanup", test_session_sigkill_daemon_cleanup),
]
