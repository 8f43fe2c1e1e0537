"""The desktop names x2goclient sends to x2goruncommand (spec 5): each one
finds the desktop installed on this Debian host, as the client expects.

XFCE, LXDE and OPENBOX are installed for real (.ci/run): a real session
(x2gostartagent, nxagent, nxproxy as the client on an Xvfb) runs the
desktop through the Xsession path, and its window manager takes the
display. The desktops that are not installed (MATE, KDE, GNOME, UNITY,
CINNAMON) end the session with the reference's NOEXEC message, which names
the program the name stands for (x2goclient shows it).
"""

import os
import pwd
import subprocess
import time

import apps_fixture as fx
from itlib import RUNUSER, USER_A, Sessions, check, eq, ok, run
from test_outputs import cmd, user_env
from test_xsession import runcommand_argv, seed, session_processes, wait_for

XVFB = 8796

# name -> (window manager's _NET_WM_NAME, the start of the desktop's command line)
REAL = {
    'XFCE': ('Xfwm4', '/usr/bin/xfce4-session'),
    'LXDE': ('Openbox', '/usr/bin/lxsession -s LXDE -e LXDE'),
    'OPENBOX': ('Openbox', '/usr/bin/openbox --startup'),
}

# name -> the program it stands for when nothing of it is installed
MISSING = {
    'MATE': '/usr/bin/mate-session',
    'KDE': '/usr/bin/startkde',
    'GNOME': '/usr/bin/gnome-session',
    'UNITY': '/usr/bin/gnome-session',
    'CINNAMON': '/usr/bin/gnome-session',
}


def x_env(disp):
    home = pwd.getpwnam(USER_A).pw_dir
    return {'PATH': '/usr/bin:/bin', 'DISPLAY': ':%d' % disp,
            'XAUTHORITY': home + '/.Xauthority'}


def wm_name(disp):
    """The name of the window manager that owns the display, or None."""
    r = run(['xprop', '-root', '-notype', '_NET_SUPPORTING_WM_CHECK'], user=USER_A,
            env=x_env(disp))
    words = r.out.decode().split()
    if r.rc or not words or not words[-1].startswith('0x'):
        return None
    r = run(['xprop', '-id', words[-1], '-notype', '_NET_WM_NAME'], user=USER_A,
            env=x_env(disp))
    text = r.out.decode()
    return text.split('"')[1] if r.rc == 0 and text.count('"') >= 2 else None


def start_session(name):
    """x2gostartagent for a desktop, its client connected: display, agent
    pid, sid, sound port and the client (nxproxy)."""
    r = ok(cmd(USER_A, ['x2gostartagent', '800x600', 'lan', '16m-jpeg-9', 'unix-kde-depth_24',
                        'us', 'pc105/us', '1', 'D', name, 'both']), 'x2gostartagent')
    disp, cookie, pid, sid, port, snd = r.out.decode().split('\n')[:6]
    proxy = fx.nxproxy(USER_A, cookie, port, int(disp), XVFB)
    return int(disp), int(pid), sid, snd, proxy


def runcommand(disp, pid, sid, snd, name):
    """x2goruncommand as the client starts it: in the background, its own
    session, with the environment sshd gives."""
    env = ['%s=%s' % kv for kv in sorted(user_env(USER_A).items())]
    return subprocess.Popen([RUNUSER, '-u', USER_A, '--', '/usr/bin/env', '-i'] + env +
                            ['/usr/bin/x2goruncommand', str(disp), str(pid), sid, snd, name,
                             'none', 'D'],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def desktop_started(sid, prefix):
    return [p for p in session_processes(sid) if p.split(':', 1)[1].startswith(prefix)]


def one_real_desktop(name):
    wm, prefix = REAL[name]
    disp, pid, sid, snd, proxy = start_session(name)
    rc = None
    try:
        fx.until_state(USER_A, sid, 'RUNNING')
        eq(wm_name(disp), None, 'a window manager before the desktop started')
        rc = runcommand(disp, pid, sid, snd, name)
        wait_for(lambda: wm_name(disp) == wm, 90, '%s to manage the display of %s' % (wm, name))
        check(desktop_started(sid, prefix), '%s: no process "%s..." in the session: %s'
              % (name, prefix, session_processes(sid)))
        out = open('/tmp/.x2go-%s/C-%s/cmdoutput' % (USER_A, sid)).read()
        eq(out.split('\n')[0], 'exec %s' % name, 'first line of cmdoutput')
        check('NOEXEC' not in out, '%s: %r' % (name, out))
        ok(cmd(USER_A, ['x2goterminate-session', sid]), 'x2goterminate-session')
        rc.wait(timeout=60)
        wait_for(lambda: not session_processes(sid), 20, 'no process of the %s session left'
                 % name)
    finally:
        if rc is not None and rc.poll() is None:
            cmd(USER_A, ['x2goterminate-session', sid])
            rc.wait(timeout=60)
        proxy.kill()
        proxy.wait()


def test_installed_desktops_run():
    """XFCE, LXDE and OPENBOX: the real desktop takes the session's display."""
    with fx.user_xvfb(USER_A, XVFB):
        for name in REAL:
            t0 = time.time()
            one_real_desktop(name)
            print('  %s: %.1f s' % (name, time.time() - t0), flush=True)


def test_missing_desktops_name_their_program():
    """A desktop that is not installed: the session ends, x2gocmdexitmessage
    gives the NOEXEC message with the program the name stands for."""
    checked = 0
    for name, program in MISSING.items():
        if os.path.exists(program):
            continue  # installed on this host: not a missing desktop here
        with Sessions() as s:
            info = seed(s)
            r = run(runcommand_argv(info, name, 'D'), user=USER_A, timeout=90)
            eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand %s' % name)
            r = run(['/usr/bin/x2gocmdexitmessage', info['sid']], user=USER_A)
            eq(r.out, b'X2GORUNCOMMAND ERR NOEXEC:%s\n' % program.encode(),
               'exit message of %s' % name)
            checked += 1
    check(checked >= 3, 'only %d of the missing desktops could be checked' % checked)
