"""End-to-end: a real XFCE desktop (Debian's xfce4-session, xfwm4,
xfdesktop4, xfce4-panel) started by pyhoca-cli with `-c XFCE` goes
through the server's Xsession path (issue 11):

* xfce4-session runs with what the user's ~/.profile exports, ~/.xsessionrc
  ran (it writes a file), and it has a D-Bus session bus of its own that
  answers and on which the session manager is registered;
* with a PulseAudio cookie on the client (pyhoca-cli --sound pulse, no
  sound server needed), xfce4-session gets the client's
  PULSE_CLIENTCONFIG, whose file names the forwarded sound port;
* xfwm4, xfdesktop and xfce4-panel run on the session's display, and the
  desktop reaches the client's Xvfb: the client's picture of the panel
  matches the session display's own (at most a tenth of its pixels differ,
  the clock may tick) and is not blank, and so does the whole desktop
  (screenshots kept: results/xfce-session.png, xfce-client.png and the
  panel crops);
* suspend and resume keep the same desktop processes;
* terminate runs ~/.x2go_logout (it writes a file) and leaves no process of
  the session behind.
"""

import os
import re
import shlex
import shutil

from harness import T, TestFailure, check, run, tail, wait_for
from scenarios import _assert_running, _client_tree, _differing_pixels, _magick, _terminate

PROFILE_LINE = "X2GOE2E_PROFILE=from-profile; export X2GOE2E_PROFILE # x2go-e2e"
DESKTOP = ("xfce4-session", "xfwm4", "xfdesktop", "xfce4-panel")
# '     0x1a00003 "xfce4-panel": ("xfce4-panel" "Xfce4-panel")  800x30+0+0  +0+0'
PANEL_RE = re.compile(r'^\s*0x[0-9a-f]+ "xfce4-panel":[^\n]*?\s(\d+)x(\d+)[+-]\d+[+-]\d+\s+'
                      r'\+(-?\d+)\+(-?\d+)\s*$', re.M)
TOPLEVEL_RE = re.compile(r'^     (0x[0-9a-f]+) [^\n]*?\s(\d+)x(\d+)[+-]\d+[+-]\d+\s+'
                         r'\+(-?\d+)\+(-?\d+)\s*$', re.M)


def _installed(env):
    r = env.root("for p in /usr/bin/xfce4-session /usr/bin/xfwm4 /usr/bin/xfdesktop "
                 "/usr/bin/xfce4-panel /usr/bin/dbus-run-session; do [ -x $p ] || echo $p; done")
    check(r.stdout.strip() == "", "not installed on the server: %s (see .ci/run)" % r.stdout.split())


def _environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as fh:
        return dict(e.split(b"=", 1) for e in fh.read().split(b"\0") if b"=" in e)


def _desktop_pids(env, user, sid, disp):
    """The desktop's programs of the session, by name: {name: pid}, each
    one running on the session's display."""
    found = {}
    for pid, cmd in env.session_pids(user, sid):
        try:
            with open("/proc/%d/comm" % pid) as fh:
                comm = fh.read().strip()
            e = _environ(pid)
        except OSError:
            continue
        if comm in DESKTOP and e.get(b"DISPLAY") == (":%d" % disp).encode() and \
                _comm(_ppid(pid)) != comm:
            found[comm] = pid
    return found


def _ppid(pid):
    with open("/proc/%d/stat" % pid) as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _all_running(env, user, sid, disp):
    found = _desktop_pids(env, user, sid, disp)
    return found if all(n in found for n in DESKTOP) else None


# xfwm4's compositor draws the panels through ARGB windows that nxagent
# does not forward (black on the client); X2Go sites turn it off.
XFWM4_XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<channel name="xfwm4" version="1.0">\n'
             '  <property name="general" type="empty">\n'
             '    <property name="use_compositing" type="bool" value="false"/>\n'
             '  </property>\n</channel>\n')
XFCONF = ".config/xfce4/xfconf/xfce-perchannel-xml"


def _prepare_home(env, user):
    env.ssh(user, "rm -rf ~/.config/xfce4 ~/.cache/sessions; mkdir -p ~/%s && printf %%s %s > ~/%s/xfwm4.xml"
            % (XFCONF, shlex.quote(XFWM4_XML), XFCONF), check_rc=True)
    env.ssh(user, "sed -i '/# x2go-e2e$/d' ~/.profile 2>/dev/null; echo %s >> ~/.profile; "
                  "rm -f ~/x2goe2e-*; "
                  "echo 'echo \"$X2GOE2E_PROFILE $X2GO_SESSION\" > ~/x2goe2e-xsessionrc' > ~/.xsessionrc; "
                  "echo 'echo \"$X2GO_SESSION\" > ~/x2goe2e-logout' > ~/.x2go_logout"
            % shlex.quote(PROFILE_LINE), check_rc=True)


def _clean_home(env, user):
    env.ssh(user, "sed -i '/# x2go-e2e$/d' ~/.profile; rm -f ~/.xsessionrc ~/.x2go_logout "
                  "~/x2goe2e-*; rm -rf ~/.config/xfce4 ~/.cache/sessions")


def _check_bus(env, user, pid):
    e = _environ(pid)
    addr = e.get(b"DBUS_SESSION_BUS_ADDRESS", b"").decode()
    check(addr.startswith("unix:"), "xfce4-session has no D-Bus session bus address: %r" % addr)
    r = env.ssh(user, "DBUS_SESSION_BUS_ADDRESS=%s dbus-send --session --print-reply "
                      "--dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames"
                % shlex.quote(addr), check_rc=True)
    check('string "org.xfce.SessionManager"' in r.stdout,
          "the session's bus does not list org.xfce.SessionManager: %s" % tail(r.stdout))
    return addr


def _check_sound(env, user, sid, row, pid):
    """The client's PulseAudio setup reaches the desktop: PULSE_CLIENTCONFIG
    in xfce4-session's environment names the file the client wrote, which
    points at the forwarded sound port, where sshd listens."""
    conf = "%s/.x2go/C-%s/.pulse-client.conf" % (env.homes[user], sid)
    got = _environ(pid).get(b"PULSE_CLIENTCONFIG", b"").decode()
    check(got == conf, "PULSE_CLIENTCONFIG of xfce4-session: %r, expected %r" % (got, conf))
    text = env.quiet(user, "cat %s" % shlex.quote(conf)).stdout
    check(re.search(r"^default-server=(127\.0\.0\.1|localhost):%d$" % row["snd_port"], text, re.M),
          "the client's %s does not name sound port %d: %r" % (conf, row["snd_port"], text))
    cookie = "%s/.x2go/C-%s/.pulse-cookie" % (env.homes[user], sid)
    r = env.quiet(user, "stat -c %%s %s" % shlex.quote(cookie))
    check(r.stdout.strip() == "256", "the uploaded cookie %s: %r" % (cookie, r.stdout))
    r = env.root("ss -ltnpH 'sport = :%d'" % row["snd_port"])
    check("sshd" in r.stdout, "nothing (no sshd) listens on sound port %d: %r" % (row["snd_port"], r.stdout))


def _session_shot(env, user, disp):
    """The session display's root (nxagent's picture of the desktop) and
    the panel's geometry on it."""
    xenv = "DISPLAY=:%d XAUTHORITY=$HOME/.Xauthority" % disp

    def panel():
        tree = env.quiet(user, "%s xwininfo -root -tree" % xenv).stdout
        with open(os.path.join(env.results, "xfce-session-tree.txt"), "w") as fh:
            fh.write(tree)
        m = [m for m in PANEL_RE.finditer(tree) if int(m.group(1)) > 100 and int(m.group(3)) >= 0]
        return (tree, m[0]) if m else None
    tree, m = wait_for(panel, T(60), "the xfce4-panel window on :%d" % disp, interval=2)
    png = os.path.join(env.homes[user], "x2goe2e-xfce-session.png")
    env.quiet(user, "%s import -window root %s" % (xenv, png))
    dest = os.path.join(env.results, "xfce-session.png")
    shutil.move(png, dest)
    w, h, x, y = (int(v) for v in m.groups())
    return dest, (w, h, x, y), _magick(["/usr/bin/identify", "-format", "%w %h", dest],
                                       "identify").stdout.split()


def _client_shot(env, size):
    """The session's window on the client's Xvfb, at the session's size,
    cut from the screen: a window's own image leaves out the panels (ARGB
    windows of another depth, whose contents GetImage does not define)."""
    def window():
        wins = [w for w in TOPLEVEL_RE.findall(_client_tree(env))
                if (int(w[1]), int(w[2])) == size]
        return wins or None
    wins = wait_for(window, T(40), "a %dx%d session window on the client display" % size, interval=1)
    png = os.path.join(env.results, "xfce-client.png")
    _magick(["/usr/bin/import", "-display", ":%d" % env.display, "-window", "root", "-crop",
             "%dx%d+%s+%s" % (size[0], size[1], wins[0][3], wins[0][4]), "+repage", png],
            "import of the client's screen")
    return png


def _colours(png, geom):
    w, h, x, y = geom
    r = _magick(["/usr/bin/convert", png, "-crop", "%dx%d+%d+%d" % (w, h, x, y), "+repage",
                 "-format", "%k", "info:"], "counting the panel's colours")
    return int(r.stdout.strip())


def _crop(png, geom, dest):
    w, h, x, y = geom
    _magick(["/usr/bin/convert", png, "-crop", "%dx%d+%d+%d" % (w, h, x, y), "+repage", dest],
            "cropping " + png)
    return dest


def _check_pixels(env, t, user, disp):
    session_png, panel, size = _session_shot(env, user, disp)
    size = (int(size[0]), int(size[1]))
    colours = _colours(session_png, panel)
    check(colours >= 4, "the panel area on the session display has %d colours (blank?)" % colours)
    session_panel = _crop(session_png, panel, os.path.join(env.results, "xfce-session-panel.png"))
    area = panel[0] * panel[1]
    seen = {}

    def same():
        client_png = _client_shot(env, size)
        client_panel = _crop(client_png, panel, os.path.join(env.results, "xfce-client-panel.png"))
        seen["panel"] = _colours(client_png, panel)
        # the panel (its clock may tick between the shots) ...
        seen["panel_diff"] = _differing_pixels(session_panel, client_panel,
                                               os.path.join(env.results, "xfce-panel-diff.png"))
        # ... and the whole desktop (the wallpaper's fine lines come
        # through the link's lossy image compression)
        seen["diff"] = _differing_pixels(session_png, client_png,
                                         os.path.join(env.results, "xfce-diff.png"))
        return (seen["panel"] >= 4 and seen["panel_diff"] <= area // 10
                and seen["diff"] <= size[0] * size[1] // 10)
    try:
        wait_for(same, T(40), "the client's picture of the desktop to match the session's", interval=2)
    except TestFailure as e:
        raise TestFailure("%s: %s of %d panel pixels and %s of %d desktop pixels differ, %s colours "
                          "in the client's panel" % (e, seen.get("panel_diff"), area, seen.get("diff"),
                                                     size[0] * size[1], seen.get("panel")))
    t.note("xfce: %dx%d desktop, panel %s, %d colours; %d panel and %d desktop pixels differ"
           % (size[0], size[1], panel, colours, seen["panel_diff"], seen["diff"]))


def test_xfce_desktop(env, t):
    _installed(env)
    user = env.users[0]
    _prepare_home(env, user)
    c = env.client(user, "xfce")
    sid = None
    try:
        # a PulseAudio cookie makes the client set up sound (client contract
        # 2.11); no sound server is needed for the server's part
        os.makedirs(os.path.join(c.home, ".config", "pulse"), exist_ok=True)
        with open(os.path.join(c.home, ".config", "pulse", "cookie"), "wb") as fh:
            fh.write(os.urandom(256))
        c.start(["--new", "-c", "XFCE", "--sound", "pulse", "-g", "800x600"], "new")
        sid = c.wait_ready(timeout=T(120))
        row = _assert_running(env, user, sid)
        disp = row["display"]
        found = wait_for(lambda: _all_running(env, user, sid, disp), T(90),
                         "%s on display :%d" % (", ".join(DESKTOP), disp), interval=1)
        with t.sub("xfce_environment"):
            e = _environ(found["xfce4-session"])
            check(e.get(b"X2GOE2E_PROFILE") == b"from-profile",
                  "~/.profile's variable in xfce4-session: %r" % e.get(b"X2GOE2E_PROFILE"))
            check(e.get(b"X2GO_SESSION") == sid.encode(), "X2GO_SESSION of xfce4-session")
            r = env.quiet(user, "cat ~/x2goe2e-xsessionrc")
            check(r.stdout == "from-profile %s\n" % sid, "~/.xsessionrc's file: %r" % r.stdout)
        with t.sub("xfce_sound"):
            _check_sound(env, user, sid, row, found["xfce4-session"])
        with t.sub("xfce_dbus"):
            addr = _check_bus(env, user, found["xfce4-session"])
            t.note("xfce: session bus %s" % addr)
        with t.sub("xfce_pixels"):
            _check_pixels(env, t, user, disp)
        with t.sub("xfce_suspend_resume"):
            ctl = env.client(user, "xfce-ctl")
            out = ctl.call(["--suspend", sid], "suspend")
            check("has been suspended" in out, "pyhoca --suspend: %s" % tail(out))
            env.wait_status(user, sid, "S", timeout=T(30))
            c.wait_exit(T(40))
            c2 = env.client(user, "xfce-resume")
            c2.resume(sid)
            check(c2.wait_ready(timeout=T(120)) == sid, "resumed another session")
            after = _desktop_pids(env, user, sid, disp)
            check(after == found, "desktop processes changed over suspend/resume: %s -> %s"
                  % (found, after))
        _terminate(env, user, sid)
        env.wait_gone(user, sid, timeout=T(30))
        with t.sub("xfce_logout_hook"):
            wait_for(lambda: env.quiet(user, "cat ~/x2goe2e-logout 2>/dev/null || true").stdout
                     == sid + "\n", T(60), "~/.x2go_logout to write the session id", interval=1)
        with t.sub("xfce_nothing_left"):
            try:
                wait_for(lambda: not env.session_pids(user, sid), T(30),
                         "no process of the session left", interval=1)
            except TestFailure as e:
                raise TestFailure("%s: %s" % (e, env.session_pids(user, sid)))
    except TestFailure:
        if sid:
            left = env.session_pids(user, sid)
            if left:
                t.note("xfce: processes of the session at the failure: %s" % left)
        raise
    finally:
        _clean_home(env, user)


SUBTESTS = {"xfce_desktop": ["xfce_environment", "xfce_sound", "xfce_dbus", "xfce_pixels", "xfce_suspend_resume",
                             "xfce_logout_hook", "xfce_nothing_left"]}
TESTS = [("xfce_desktop", test_xfce_desktop)]
