"""The desktop-sharing helpers (spec 2.2) against the real
x2godesktopsharing applet on an Xvfb: x2gosuspend-desktopsharing stops
the owner's applet of the session's display and leaves the marker,
x2goresume-desktopsharing starts it again (sharing switched on when it
was), x2goterminate-desktopsharing stops it; the session commands run
them. Other displays' and other users' applets are left alone."""

import contextlib
import os
import subprocess
import time

import apps_fixture as fx
from itlib import (RUNUSER, USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run,
                   uid_of)
from test_history import wait_for as _wait
from test_outputs import RESUME_ARGS, cmd

APPLET = '/usr/bin/x2godesktopsharing'
GROUP = 'x2godesktopsharing'
# The reference matched DISPLAY by substring: ":876" is in ":8761".
DISP, DECOY = 876, 8761


def _group():
    check(run(['/usr/bin/getent', 'group', GROUP]).rc == 0, 'the package made no group %s' % GROUP)
    run(['/usr/sbin/usermod', '-aG', GROUP, USER_A])


def _applets(user, display):
    """Pids of user's applets whose DISPLAY is :display (any screen)."""
    found, uid = [], uid_of(user)
    for d in os.listdir('/proc'):
        try:
            if not d.isdigit() or os.stat('/proc/' + d).st_uid != uid:
                continue
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                if os.path.basename(f.read().split(b'\0')[0]) != b'x2godesktopsharing':
                    continue
            with open('/proc/%s/environ' % d, 'rb') as f:
                env = dict(e.split(b'=', 1) for e in f.read().split(b'\0') if b'=' in e)
            if env.get(b'DISPLAY', b'').split(b'.')[0] == b':%d' % display:
                found.append(int(d))
        except (OSError, ValueError):
            continue
    return found


def _sock(user, display):
    return '/tmp/x2godesktopsharing_@%s@:%d' % (user, display)


@contextlib.contextmanager
def _applet(user, display, active=True):
    """The real applet of user on display (sharing switched on)."""
    argv = [RUNUSER, '-u', user, '--', '/usr/bin/env', 'HOME=/home/' + user,
            'PATH=/usr/bin:/bin', 'DISPLAY=:%d' % display, APPLET]
    p = subprocess.Popen(argv + (['--activate-desktop-sharing'] if active else []),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait(lambda: _applets(user, display) and (not active or os.path.exists(
            _sock(user, display))), 'the applet of %s on :%d' % (user, display))
        yield p
    finally:
        for pid in _applets(user, display):
            os.kill(pid, 15)
        p.wait(timeout=30)
        _wait(lambda: not _applets(user, display), 'the applets of :%d to end' % display)


def _marker(sdir):
    try:
        with open(sdir + '/resume-desktopsharing') as f:
            return f.read()
    except FileNotFoundError:
        return None


def test_helpers_on_the_real_applet():
    _group()
    with Sessions() as s, fx.user_xvfb(USER_A, DISP), fx.user_xvfb(USER_A, DECOY):
        a = s.add(USER_A, agent='answering', state='RUNNING', display=DISP)
        sid, sdir = a['sid'], '/tmp/.x2go-%s/C-%s' % (USER_A, a['sid'])
        with _applet(USER_A, DECOY):
            with _applet(USER_A, DISP):
                first = _applets(USER_A, DISP)
                # Another user cannot stop it.
                eq(run(['/usr/bin/x2goterminate-desktopsharing', sid], user=USER_B).rc, 1,
                   "B's terminate of A's applet")
                eq(_applets(USER_A, DISP), first, "A's applet after B's terminate")
                # Suspend: stopped, the marker says sharing was on.
                ok(run(['/usr/bin/x2gosuspend-desktopsharing', sid], user=USER_A), 'suspend')
                _wait(lambda: not _applets(USER_A, DISP), 'the applet to stop')
                eq(_marker(sdir), 'on\n', 'marker after suspend')
                check(_applets(USER_A, DECOY), 'the applet of :%d was stopped too' % DECOY)
                # Resume: the marker goes, the applet comes back listening.
                ok(run(['/usr/bin/x2goresume-desktopsharing', sid], user=USER_A,
                       env={'PATH': '/usr/bin:/bin', 'HOME': '/home/' + USER_A}), 'resume')
                eq(_marker(sdir), None, 'marker after resume')
                _wait(lambda: _applets(USER_A, DISP) and os.path.exists(_sock(USER_A, DISP)),
                      'the restarted applet to listen')
                # Terminate: stopped; a second time there is none (exit 1).
                ok(run(['/usr/bin/x2goterminate-desktopsharing', sid], user=USER_A),
                   'terminate')
                _wait(lambda: not _applets(USER_A, DISP), 'the applet to stop')
                eq(run(['/usr/bin/x2goterminate-desktopsharing', sid], user=USER_A).rc, 1,
                   'terminate without an applet')
                eq(run(['/usr/bin/x2gosuspend-desktopsharing', sid], user=USER_A).rc, 1,
                   'suspend without an applet')
                eq(_marker(sdir), None, 'marker of a suspend without an applet')
                # Resume without a marker starts nothing.
                ok(run(['/usr/bin/x2goresume-desktopsharing', sid], user=USER_A),
                   'resume without a marker')
                time.sleep(1)
                eq(_applets(USER_A, DISP), [], 'applets after a resume without marker')
            check(_applets(USER_A, DECOY), 'the applet of :%d was stopped' % DECOY)


def test_session_commands_run_the_helpers():
    """Suspend stops the applet, resume brings it back switched off when
    it was off, terminate stops it."""
    _group()
    with Sessions() as s, fx.user_xvfb(USER_A, DISP):
        a = s.add(USER_A, agent='answering', state='RUNNING', display=DISP)
        sdir = '/tmp/.x2go-%s/C-%s' % (USER_A, a['sid'])
        with _applet(USER_A, DISP, active=False):
            ok(cmd(USER_A, ['x2gosuspend-session', a['sid']]), 'x2gosuspend-session')
            _wait(lambda: not _applets(USER_A, DISP), 'the applet to stop on suspend')
            eq(_marker(sdir), '', 'marker of an applet that was not sharing')
            s.options(USER_A, a)
            ok(cmd(USER_A, ['x2goresume-session', a['sid']] + RESUME_ARGS),
               'x2goresume-session')
            _wait(lambda: _applets(USER_A, DISP), 'the applet to start on resume')
            time.sleep(2)
            check(not os.path.exists(_sock(USER_A, DISP)), 'sharing switched on by resume')
            ok(cmd(USER_A, ['x2goterminate-session', a['sid']]), 'x2goterminate-session')
            _wait(lambda: not _applets(USER_A, DISP), 'the applet to stop on terminate')


def test_helpers_bad_input():
    env = {'PATH': '/usr/bin:/bin'}
    for name in ('x2gosuspend-desktopsharing', 'x2goresume-desktopsharing',
                 'x2goterminate-desktopsharing'):
        for args in ([], ['nonsense'], ['%s-50-1700000000_stDXFCE_dp24;id' % USER_A],
                     ['a', 'b']):
            r = run(['/usr/bin/' + name] + args, user=USER_A, env=env)
            one_error_line(r, '%s %r' % (name, args))
            check(r.rc != 0, '%s %r exit 0' % (name, args))
    # No session dir: no marker can be written or read.
    sid = '%s-877-1700000000_stDXFCE_dp24' % USER_A
    for name in ('x2gosuspend-desktopsharing', 'x2goresume-desktopsharing'):
        r = run(['/usr/bin/' + name, sid], user=USER_A, env=env)
        one_error_line(r, '%s without a session dir' % name)
