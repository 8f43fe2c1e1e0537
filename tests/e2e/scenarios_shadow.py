"""Desktop sharing (shadow sessions) end to end: pyhoca-cli --share-desktop
against a desktop of the first test user (a server-side Xvfb painted
magenta, as a local desktop would be), shadowed by that user and, with
consent given through the real x2godesktopsharing applet running on that
desktop, by the second user. The applet's dialog is answered with xdotool
on the owner's display, as the owner would click it.
"""

import glob
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import time

from harness import (T, TestFailure, check, display_free, log, pids_of_uid, run, stop_group, tail,
                     wait_for)
from scenarios import _magick

APPLET = "/usr/bin/x2godesktopsharing"
GROUP = "x2godesktopsharing"
COLOUR = "#ff00ff"
DENIED = "was denied by the other user"
SHARE_READY = r"Press CTRL\+C to end desktop sharing"
# the owner's desktop session: its root (painted) shows around this window
APP_DESKTOP = "xmessage -timeout 600 shared"


class Desktop:
    """A user's own X display on the server (Xvfb with the user's cookie in
    ~/.Xauthority) and, on demand, the sharing applet in it."""

    def __init__(self, env, user):
        self.env, self.user = env, user
        self.pw = pwd.getpwnam(user)
        self.disp = next(n for n in range(170, 200) if display_free(n))
        self.procs = []
        self.applet = None

    def _as_user(self, argv, **kw):
        e = {"HOME": self.pw.pw_dir, "USER": self.user, "LOGNAME": self.user,
             "PATH": "/usr/bin:/bin", "DISPLAY": ":%d" % self.disp,
             "XAUTHORITY": os.path.join(self.pw.pw_dir, ".Xauthority"), "LANG": "C.UTF-8"}
        return subprocess.Popen(["/usr/sbin/runuser", "-u", self.user, "--"] + argv, env=e,
                                cwd=self.pw.pw_dir, stdin=subprocess.DEVNULL, start_new_session=True,
                                **kw)

    def run(self, argv, what):
        p = self._as_user(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = p.communicate(timeout=T(30))
        if p.returncode != 0:
            raise TestFailure("%s (exit %d): %s" % (what, p.returncode, tail(err.decode(errors="replace"))))
        return out.decode(errors="replace")

    def start(self):
        for tool in (APPLET, "/usr/bin/xdotool", "/usr/bin/xev", "/usr/bin/xsetroot"):
            check(os.path.exists(tool), "missing %s (.ci/run installs it)" % tool)
        self.run(["xauth", "add", ":%d" % self.disp, "MIT-MAGIC-COOKIE-1", secrets.token_hex(16)],
                 "xauth add")
        xa = os.path.join(self.pw.pw_dir, ".Xauthority")
        self.procs.append(self._as_user(["Xvfb", ":%d" % self.disp, "-screen", "0", "640x480x24",
                                         "-nolisten", "tcp", "-auth", xa],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % self.disp), T(20),
                 "the desktop :%d of %s" % (self.disp, self.user))
        self.paint()
        return self

    def paint(self):
        """Fill the desktop: an xsetroot changes the whole root, which the
        shadow agent's poller then sends."""
        for c in ("black", COLOUR):
            self.run(["xsetroot", "-solid", c], "xsetroot")

    def start_applet(self):
        log_path = os.path.join(self.env.results, "applet-%s.log" % self.user)
        fh = open(log_path, "w")
        self.applet = self._as_user([APPLET, "--activate-desktop-sharing"], stdout=fh, stderr=fh)
        fh.close()
        self.procs.append(self.applet)
        sock = "/tmp/x2godesktopsharing_@%s@:%d" % (self.user, self.disp)
        wait_for(lambda: os.path.exists(sock), T(30), "the sharing applet's socket " + sock)

    def answer(self, requester, key):
        """Wait for the applet's question about requester and press key in
        it (Return: grant, Escape: deny)."""
        name = "%s (127.0.0.1)" % requester

        def window():
            p = self._as_user(["xdotool", "search", "--name", re.escape(name)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            out = p.communicate(timeout=T(20))[0].split()
            return out[0].decode() if out else None
        wid = wait_for(window, T(60), "the applet's question about %s on :%d" % (requester, self.disp), interval=1)
        self.run(["xdotool", "windowfocus", "--sync", wid, "key", key], "xdotool key " + key)

    def typed_into(self, env, expected):
        """Keys typed on the client's display: how many reach this desktop?
        An xev window over the desktop (it has the focus: no window manager,
        focus follows the pointer) reports each KeyPress it gets. Waits up
        to T(30) for the 3 keys when they are expected, T(6) otherwise."""
        path = os.path.join(env.results, "xev-%s-%d.log" % (self.user, len(self.procs)))
        fh = open(path, "w")
        xev = self._as_user(["xev", "-geometry", "640x480+0+0", "-event", "keyboard"], stdout=fh,
                            stderr=subprocess.DEVNULL)
        fh.close()
        self.procs.append(xev)

        def count():
            with open(path, errors="replace") as fh:
                return fh.read().count("KeyPress")
        try:
            time.sleep(T(3))
            cenv = {"DISPLAY": ":%d" % env.display, "PATH": "/usr/bin:/bin"}
            for k in ("mousemove 300 300", "key q", "key w", "key e"):
                run(["xdotool"] + k.split(), 30, env=cenv)
                time.sleep(0.5)
            if expected:
                try:
                    wait_for(lambda: count() >= 3, T(30), "the typed keys on the desktop")
                except TestFailure:
                    pass
            else:
                time.sleep(T(6))
        finally:
            stop_group(xev, grace=1)
        return count()

    def stop(self):
        for p in reversed(self.procs):
            stop_group(p, grace=2)
        for f in ("/tmp/.X%d-lock" % self.disp, "/tmp/.X11-unix/X%d" % self.disp,
                  "/tmp/x2godesktopsharing_@%s@:%d" % (self.user, self.disp),
                  "/tmp/x2godesktopsharing.lock_%s@:%d" % (self.user, self.disp)):
            try:
                os.unlink(f)
            except OSError:
                pass


def _sharing_group(env):
    if run(["getent", "group", GROUP], 30).returncode != 0:
        r = run(["groupadd", "--system", GROUP], 30)
        check(r.returncode == 0, "groupadd %s: %s" % (GROUP, r.stderr))
    for u in env.users:
        run(["usermod", "-aG", GROUP, u], 30)


def _magenta_pixels(env, tag):
    png = os.path.join(env.results, "shadow-%s.png" % tag)
    _magick(["/usr/bin/import", "-display", ":%d" % env.display, "-window", "root", png],
            "screenshot of the client display")
    r = _magick(["/usr/bin/convert", png, "-fuzz", "10%", "-fill", "white", "+opaque", COLOUR,
                 "-fill", "black", "-opaque", COLOUR, "-format", "%[fx:round((1-mean)*w*h)]", "info:"],
                "counting magenta pixels")
    return int(r.stdout.strip())


def _sees_desktop(env, d, tag):
    """The shadowed desktop (640x480 of magenta) is drawn on the client."""
    seen = {}

    def pred():
        d.paint()
        seen["n"] = _magenta_pixels(env, tag)
        return seen["n"] >= 640 * 480 // 2
    try:
        wait_for(pred, T(40), "the shared desktop's pixels on the client display", interval=2)
    except TestFailure as e:
        with open(os.path.join(env.results, "shadow-%s-tree.txt" % tag), "w") as fh:
            fh.write(run(["xwininfo", "-root", "-tree", "-display", ":%d" % env.display], 30).stdout)
        for log_path in glob.glob("/tmp/.x2go-*/C-*_stS*/session.log"):
            shutil.copy(log_path, os.path.join(env.results, "agent-%s.log" % log_path.split("/")[3]))
        raise TestFailure("%s (%s magenta pixels)" % (e, seen.get("n")))
    return seen["n"]


def _share(env, user, owner, disp, mode, name):
    c = env.client(user, name)
    c.start(["--share-desktop", "%s@:%d" % (owner, disp), "--share-mode", str(mode)], "share")
    return c


def _end(env, c, owner_uid=None):
    """Ctrl+C ends the sharing; the shadow agent must go."""
    c.interrupt()
    try:
        c.wait_exit(T(60))
    except TestFailure:
        c.stop()
        raise


def _shadow_agents(uid):
    """Pids of shadow agents (x2goagent ... -shadow) running as uid."""
    out = []
    for pid in pids_of_uid(uid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if b"-shadow" in argv and any(a.startswith(b"X2GO-") for a in argv):
            out.append(pid)
    return out


def test_shadow_own_desktop(env, t):
    """A user shares their own desktop: listed by x2golistdesktops, the
    shadow session starts and the client shows the desktop's pixels."""
    user = env.users[0]
    d = Desktop(env, user).start()
    try:
        c = env.client(user, "shadow-list")
        out = c.call(["--list-desktops"], "list-desktops")
        check("%s@:%d" % (user, d.disp) in out, "--list-desktops does not offer %s@:%d: %s"
              % (user, d.disp, tail(out)))
        c = _share(env, user, user, d.disp, 1, "shadow-own")
        c.wait_text(SHARE_READY, T(120), "the shared desktop to be ready")
        sid = re.search(r"Using session (\S+) as master session", c.output())
        check(sid and "_stS1XSHAD%sXSHADPP%d_" % (user, d.disp) in sid.group(1),
              "shadow session id: %r" % (sid and sid.group(1)))
        n = _sees_desktop(env, d, "own")
        t.note("own desktop: %d magenta pixels on the client" % n)
        keys = d.typed_into(env, True)
        check(keys >= 3, "full access: %d of 3 keys typed on the client reached the desktop" % keys)
        _end(env, c)
        uid = env.uids[user]
        wait_for(lambda: not _shadow_agents(uid), T(30), "the shadow agent to end")
    finally:
        d.stop()


def test_shadow_other_refused(env, t):
    """Without the owner's yes nobody gets the desktop: no applet, and the
    owner pressing 'deny' in the applet, both give ACCESS DENIED."""
    owner, viewer = env.users
    _sharing_group(env)
    d = Desktop(env, owner).start()
    try:
        cmd = "1XSHAD%sXSHAD:%d" % (owner, d.disp)
        r = env.ssh(viewer, "x2gostartagent 800x600 lan 16m-jpeg-9 unix-kde-depth_24 null auto 1 S %s"
                    % shlex.quote(cmd), timeout=T(60))
        check(r.returncode == 8 and r.stdout == "" and "ACCESS DENIED" in r.stderr and "XSHAD" in r.stderr,
              "no applet: exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout, r.stderr))
        r = env.ssh(viewer, "x2golistdesktops", check_rc=True)
        check("%s@:%d" % (owner, d.disp) not in r.stdout, "desktop offered without the applet: %r" % r.stdout)
        d.start_applet()
        r = env.ssh(viewer, "x2golistdesktops", check_rc=True)
        check("%s@:%d" % (owner, d.disp) in r.stdout, "the applet's desktop is not offered: %r" % r.stdout)
        c = _share(env, viewer, owner, d.disp, 1, "shadow-deny")
        d.answer(viewer, "Escape")
        c.wait_text(DENIED, T(60), "the client to report the denial", dead_ok=True)
        c.wait_exit(T(60))
        check(not _shadow_agents(env.uids[owner]), "a shadow agent runs after a denial")
        check(_magenta_pixels(env, "denied") == 0, "the owner's pixels reached the client after a denial")
    finally:
        d.stop()


def test_shadow_other_accepted(env, t):
    """The owner grants access in the applet: the viewer's client shows the
    owner's desktop, the row is the viewer's shadow session, the agent is
    the owner's and ends with the sharing."""
    owner, viewer = env.users
    _sharing_group(env)
    d = Desktop(env, owner).start()
    try:
        d.start_applet()
        c = _share(env, viewer, owner, d.disp, 0, "shadow-accept")
        d.answer(viewer, "Return")
        c.wait_text(SHARE_READY, T(120), "the shared desktop to be ready")
        m = re.search(r"Using session (\S+) as master session", c.output())
        check(m, "no session id in the client's output: %s" % tail(c.output()))
        sid = m.group(1)
        check(sid.startswith(viewer + "-") and "_stS0XSHAD%sXSHADPP%d_" % (owner, d.disp) in sid,
              "shadow session id %r" % sid)
        n = _sees_desktop(env, d, "accepted")
        t.note("shared desktop: %d magenta pixels on the client" % n)
        keys = d.typed_into(env, False)
        check(keys == 0, "view only: %d keys typed by the viewer reached the desktop" % keys)
        r = env.ssh(viewer, "x2golistshadowsessions", check_rc=True)
        check(sid in r.stdout, "x2golistshadowsessions of %s lacks %s: %r" % (viewer, sid, r.stdout))
        check(_shadow_agents(env.uids[owner]), "no shadow agent of %s" % owner)
        check(not _shadow_agents(env.uids[viewer]), "a shadow agent runs as the viewer")
        _end(env, c)
        t0 = time.monotonic()
        wait_for(lambda: not _shadow_agents(env.uids[owner]), T(60), "the owner's shadow agent to end")
        t.note("shared desktop: the agent ended %.0fs after the viewer left" % (time.monotonic() - t0))
    finally:
        for pid in _shadow_agents(env.uids[owner]):
            os.kill(pid, 15)
        d.stop()


def _client_xvfb(env):
    """A second client display (the owner's own client screen), so that the
    viewer's client display shows only what the viewer gets."""
    disp = next(n for n in range(200, 240) if display_free(n))
    x = subprocess.Popen(["/usr/bin/Xvfb", ":%d" % disp, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    env.procs.append(x)
    wait_for(lambda: run(["/usr/bin/xdpyinfo", "-display", ":%d" % disp], 10).returncode == 0, T(20),
             "the owner's client display :%d" % disp, interval=0.3)
    return x, disp


def _shadow_request(env, viewer, owner, disp):
    """The viewer's client asking the server for the owner's display."""
    cmd = "0XSHAD%sXSHAD:%d" % (owner, disp)
    return env.ssh(viewer, "x2gostartagent 800x600 lan 16m-jpeg-9 unix-kde-depth_24 null auto 1 S %s"
                   % shlex.quote(cmd), timeout=T(60))


def test_shadow_suspended_session(env, t):
    """The owner's X2Go desktop session with the applet sharing it: while the
    session is suspended nobody can ask for it (the applet is stopped, the
    request is denied); after the owner resumes, the applet is back and the
    viewer gets the desktop with the owner's yes."""
    owner, viewer = env.users
    _sharing_group(env)
    xvfb, cdisp = _client_xvfb(env)
    ctl = env.client(owner, "shadow-susp-ctl")
    sid = None
    d = Desktop(env, owner)
    try:
        ca = env.client(owner, "shadow-susp-owner")
        ca.display = cdisp
        ca.new(APP_DESKTOP, ["-t", "desktop"])
        sid = ca.wait_ready()
        d.disp = env.wait_status(owner, sid, "R", timeout=T(30))["display"]
        d.start_applet()
        sock = "/tmp/x2godesktopsharing_@%s@:%d" % (owner, d.disp)
        r = env.ssh(viewer, "x2golistdesktops", check_rc=True)
        check("%s@:%d" % (owner, d.disp) in r.stdout, "the shared session is not offered: %r" % r.stdout)

        out = ctl.call(["--suspend", sid], "suspend")
        check("has been suspended" in out, "pyhoca --suspend: %s" % tail(out))
        env.wait_status(owner, sid, "S", timeout=T(30))
        ca.wait_exit(T(40))
        wait_for(lambda: d.applet.poll() is not None, T(30), "the applet to stop with the suspend")
        check(not os.path.exists(sock), "the applet's socket %s stays while suspended" % sock)
        r = env.ssh(viewer, "x2golistdesktops", check_rc=True)
        check("%s@:%d" % (owner, d.disp) not in r.stdout, "a suspended session is offered: %r" % r.stdout)
        r = _shadow_request(env, viewer, owner, d.disp)
        check(r.returncode == 8 and r.stdout == "" and "ACCESS DENIED" in r.stderr,
              "request while suspended: exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout, r.stderr))
        check(not _shadow_agents(env.uids[owner]), "a shadow agent runs for a suspended session")

        cr = env.client(owner, "shadow-susp-resume")
        cr.display = cdisp
        cr.resume(sid)
        check(cr.wait_ready() == sid, "resume attached to another session")
        wait_for(lambda: os.path.exists(sock), T(30), "the applet to share the resumed session again")
        c = _share(env, viewer, owner, d.disp, 0, "shadow-susp-share")
        d.answer(viewer, "Return")
        c.wait_text(SHARE_READY, T(120), "the shared desktop to be ready")
        n = _sees_desktop(env, d, "resumed")
        t.note("shared session after resume: %d magenta pixels on the viewer's client" % n)
        _end(env, c)
        wait_for(lambda: not _shadow_agents(env.uids[owner]), T(60), "the owner's shadow agent to end")
    finally:
        if sid:
            try:
                ctl.call(["--terminate", sid], "terminate")
            except TestFailure as e:
                log("terminating %s: %s" % (sid, e))
        for pid in _shadow_agents(env.uids[owner]):
            os.kill(pid, 15)
        for p in d.procs:
            stop_group(p, grace=2)
        stop_group(xvfb, grace=1)


TESTS = [
    ("shadow_own_desktop", test_shadow_own_desktop),
    ("shadow_other_refused", test_shadow_other_refused),
    ("shadow_other_accepted", test_shadow_other_accepted),
    ("shadow_suspended_session", test_shadow_suspended_session),
]
