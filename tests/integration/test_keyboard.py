"""x2gosetkeyboard (spec 2.5, 4.7) against the real agent (nxagent, on an
Xvfb instead of a client) and the real setxkbmap: the keyboard file the
agent writes, multi-layout values, the blocking directory, hostile values
and bad input."""

import contextlib
import os
import pwd
import re
import shutil
import subprocess
import time

import apps_fixture as fx
from itlib import USER_A, USER_B, check, eq, ok, one_error_line, run, sid_for

SETKBD = '/usr/bin/x2gosetkeyboard'
DISPLAY = 8791


@contextlib.contextmanager
def session(user=USER_A, display=DISPLAY):
    """A session dir as x2gostartagent leaves it, and an X server on the
    session's display, both the user's."""
    pw = pwd.getpwnam(user)
    top = '/tmp/.x2go-%s' % user
    sid = sid_for(user, display, cmd='XFCE', typ='D')
    sdir = '%s/C-%s' % (top, sid)
    made_top = not os.path.isdir(top)
    if made_top:
        os.mkdir(top, 0o700)
        os.chown(top, pw.pw_uid, pw.pw_gid)
    try:
        with fx.user_nxagent(user, display):
            # made once the X server is up: a dir without a row that
            # stays untouched for the daemon's grace (30 s, easily spent
            # starting X on a loaded machine) is an orphan it removes
            os.mkdir(sdir, 0o700)
            os.chown(sdir, pw.pw_uid, pw.pw_gid)
            yield sid, sdir
    finally:
        shutil.rmtree(sdir, ignore_errors=True)
        if made_top:
            shutil.rmtree(top, ignore_errors=True)


def setkbd(sid, user=USER_A, display=DISPLAY, timeout=60):
    env = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'DISPLAY': ':%d' % display}
    return run([SETKBD, sid], user=user, env=env, timeout=timeout)


def query(display=DISPLAY):
    r = ok(run(['setxkbmap', '-query'], user=USER_A,
               env={'PATH': '/usr/bin:/bin', 'DISPLAY': ':%d' % display}))
    return dict(re.findall(r'^(\w+):\s+(.*)$', r.out.decode(), re.M))


def write_kbd(sdir, text, user=USER_A):
    path = sdir + '/keyboard'
    with open(path, 'w') as f:
        f.write(text)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def test_setkeyboard_agent_file_multi_layout():
    with session() as (sid, sdir):
        # as nxagent writes it for a client with two layouts
        write_kbd(sdir, 'rules="evdev"\nmodel="pc105"\nlayout="de,us"\n'
                        'variant="nodeadkeys,"\noptions=",grp:alt_shift_toggle"\n')
        ok(setkbd(sid), 'x2gosetkeyboard')
        q = query()
        eq(q.get('rules'), 'base', 'rules (evdev becomes base)')
        eq(q.get('model'), 'pc105', 'model')
        eq(q.get('layout'), 'de,us', 'layout')
        eq(q.get('variant'), 'nodeadkeys,', 'variant')
        eq(q.get('options'), 'grp:alt_shift_toggle', 'options')
        check(os.path.isfile(sdir + '/keyboard'), 'keyboard file kept')


def test_setkeyboard_blocked():
    with session() as (sid, sdir):
        ok(run(['setxkbmap', '-layout', 'fr', '-model', 'pc105'], user=USER_A,
               env={'PATH': '/usr/bin:/bin', 'DISPLAY': ':%d' % DISPLAY}))
        os.mkdir(sdir + '/keyboard', 0o700)
        os.chown(sdir + '/keyboard', pwd.getpwnam(USER_A).pw_uid, -1)
        t0 = time.monotonic()
        ok(setkbd(sid), 'blocked')
        check(time.monotonic() - t0 < 5, 'a blocked keyboard made it wait')
        check(not os.path.exists(sdir + '/keyboard'), 'blocking dir not removed')
        eq(query().get('layout'), 'fr', 'layout left alone')


def test_setkeyboard_waits_for_the_file():
    with session() as (sid, sdir):
        env = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'DISPLAY': ':%d' % DISPLAY}
        p = subprocess.Popen(['/usr/sbin/runuser', '-u', USER_A, '--', SETKBD, sid], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(1.5)
        check(p.poll() is None, 'did not wait for the keyboard file')
        write_kbd(sdir, 'rules="base"\nmodel="pc105"\nlayout="ch"\nvariant="fr"\noptions=""\n')
        out, err = p.communicate(timeout=20)
        eq((p.returncode, out, err), (0, b'', b''), 'x2gosetkeyboard after waiting')
        q = query()
        eq((q.get('layout'), q.get('variant')), ('ch', 'fr'), 'layout and variant')


def test_setkeyboard_hostile_values():
    with session() as (sid, sdir):
        write_kbd(sdir, 'model="pc105"\nlayout="-display :0"\nvariant="$(touch /tmp/x2goit-kbd)"\n'
                        'layout="us;id"\nlayout="dk"\n')
        ok(setkbd(sid), 'hostile values')
        eq(query().get('layout'), 'dk', 'only the valid layout applied')
        check(not os.path.exists('/tmp/x2goit-kbd'), 'a value was run')


def test_setkeyboard_bad_input():
    with session() as (sid, sdir):
        # not a session id, another user's session, no session dir
        for argv_sid, user in (('x;id', USER_A), (sid, USER_B),
                               (sid_for(USER_A, DISPLAY + 1), USER_A)):
            r = setkbd(argv_sid, user=user, timeout=20)
            one_error_line(r, 'x2gosetkeyboard %s as %s' % (argv_sid, user))
        # the keyboard entry is a link (to another user's file): refused at once
        os.symlink('/etc/passwd', sdir + '/keyboard')
        os.lchown(sdir + '/keyboard', pwd.getpwnam(USER_A).pw_uid, -1)
        t0 = time.monotonic()
        one_error_line(setkbd(sid, timeout=20), 'keyboard link')
        check(time.monotonic() - t0 < 5, 'waited for a link')


def _layout(home, disp):
    r = ok(run(['setxkbmap', '-query'], user=USER_A,
               env={'PATH': '/usr/bin:/bin', 'DISPLAY': ':%d' % disp,
                    'XAUTHORITY': home + '/.Xauthority'}), 'setxkbmap -query')
    q = dict(re.findall(r'^(\w+):\s+(.*)$', r.out.decode(), re.M))
    return q.get('model'), q.get('layout')


def test_session_multi_layout():
    """A client's pc105/de,us reaches a real agent (x2gostartagent,
    nxagent, nxproxy as the client) whole at start, and the other
    multi-layout value a client sends on resume replaces it."""
    from test_outputs import cmd
    home = pwd.getpwnam(USER_A).pw_dir
    with fx.user_xvfb(USER_A, DISPLAY + 2):
        r = ok(cmd(USER_A, ['x2gostartagent', '800x600', 'lan', '16m-jpeg-9',
                            'unix-kde-depth_24', 'us', 'pc105/de,us', '1', 'R', 'xterm',
                            'both']), 'x2gostartagent')
        lines = r.out.decode().split('\n')
        disp, cookie, sid, port = int(lines[0]), lines[1], lines[3], lines[4]
        proxies = [fx.nxproxy(USER_A, cookie, port, disp, DISPLAY + 2)]
        try:
            fx.until_state(USER_A, sid, 'RUNNING')
            eq(_layout(home, disp), ('pc105', 'de,us'), 'model and layouts at start')
            ok(cmd(USER_A, ['x2gosuspend-session', sid]), 'suspend')
            fx.until_state(USER_A, sid, 'SUSPENDED')
            r = ok(cmd(USER_A, ['x2goresume-session', sid, '800x600', 'lan', '16m-jpeg-9',
                                'us', 'pc105/fr,ch', '1', 'both', 'no']), 'resume')
            port = r.out.decode().split('\n')[0].split('=')[1]
            proxies.append(fx.nxproxy(USER_A, cookie, port, disp, DISPLAY + 2))
            fx.until_state(USER_A, sid, 'RUNNING')
            eq(_layout(home, disp), ('pc105', 'fr,ch'), 'model and layouts after resume')
        finally:
            cmd(USER_A, ['x2goterminate-session', sid])
            for p in proxies:
                p.kill()
                p.wait()
