"""x2golistdesktops (spec 2.1.9): "<user>@:<display>" for each X server
that accepts the caller (the caller's cookie), except the displays of the
caller's rootless sessions; then other users' desktops offered through
their sharing applet's socket when the caller may use it."""

import contextlib
import os
import pwd
import secrets
import socket
import subprocess
import tempfile

import apps_fixture as fx
from itlib import (HOST, USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run,
                   uid_of)

LISTD = '/usr/bin/x2golistdesktops'
BASE = 8792


@contextlib.contextmanager
def xserver(user, display):
    """An X server of user on display that only admits the user's cookie
    (added to the user's ~/.Xauthority, removed afterwards)."""
    pw = pwd.getpwnam(user)
    cookie = secrets.token_hex(16)
    xauth = os.path.join(pw.pw_dir, '.Xauthority')
    auth = tempfile.NamedTemporaryFile(prefix='x2goit-xauth-', delete=False)
    auth.close()
    subprocess.run(['xauth', '-q', '-f', auth.name, 'add', ':%d' % display, 'MIT-MAGIC-COOKIE-1',
                    cookie], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chown(auth.name, pw.pw_uid, pw.pw_gid)
    created = not os.path.exists(xauth)
    if created:  # xauth complains on stderr about a file it has to create
        open(xauth, 'a').close()
        os.chown(xauth, pw.pw_uid, pw.pw_gid)
        os.chmod(xauth, 0o600)
    ok(run(['xauth', '-q', '-f', xauth, 'add', '%s/unix:%d' % (HOST, display), 'MIT-MAGIC-COOKIE-1',
            cookie], user=user))
    try:
        with fx.user_xvfb(user, display, ['-auth', auth.name]):
            yield
    finally:
        run(['xauth', '-q', '-f', xauth, 'remove', '%s/unix:%d' % (HOST, display)], user=user)
        if created:
            os.unlink(xauth)
        os.unlink(auth.name)


@contextlib.contextmanager
def sharing_socket(owner, display, mode):
    path = '/tmp/x2godesktopsharing_@%s@:%d' % (owner, display)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    os.chown(path, uid_of(owner), -1)
    os.chmod(path, mode)
    try:
        yield
    finally:
        s.close()
        os.unlink(path)


def listd(user, *args):
    r = ok(run([LISTD] + list(args), user=user, timeout=30), 'x2golistdesktops')
    check(r.out == b'' or r.out.endswith(b'\n'), 'final newline')
    return r.out.decode().splitlines()


def test_listdesktops_own_displays():
    with xserver(USER_A, BASE), xserver(USER_B, BASE + 1):
        a = listd(USER_A)
        check('%s@:%d' % (USER_A, BASE) in a, 'own display not listed: %r' % a)
        check(not any(l.endswith(':%d' % (BASE + 1)) for l in a),
              "another user's display listed: %r" % a)
        b = listd(USER_B, HOST)
        check('%s@:%d' % (USER_B, BASE + 1) in b, 'own display not listed: %r' % b)
        check(not any(l.endswith(':%d' % BASE) for l in b), "another user's display: %r" % b)
        eq(len(a), len(set(a)), 'each display once')


def test_listdesktops_skips_rootless_sessions():
    with xserver(USER_A, BASE), Sessions() as s:
        s.add(USER_A, 'R', typ='R', cmd='xterm', display=BASE)
        a = listd(USER_A)
        check(not any(l.endswith(':%d' % BASE) for l in a), 'rootless display listed: %r' % a)
    with xserver(USER_A, BASE), Sessions() as s:
        s.add(USER_A, 'R', typ='D', cmd='XFCE', display=BASE)
        check('%s@:%d' % (USER_A, BASE) in listd(USER_A), 'desktop session not listed')


def test_listdesktops_sharing_sockets():
    with sharing_socket(USER_B, 61, 0o666), sharing_socket(USER_B, 62, 0o600), \
            sharing_socket(USER_A, 63, 0o666):
        a = listd(USER_A)
        check('%s@:61' % USER_B in a, 'shared desktop of %s not listed: %r' % (USER_B, a))
        check('%s@:62' % USER_B not in a, 'socket the caller may not use listed: %r' % a)
        check('%s@:63' % USER_A not in a, "the caller's own applet listed: %r" % a)
        b = listd(USER_B)
        check('%s@:63' % USER_A in b and '%s@:61' % USER_B not in b, 'as %s: %r' % (USER_B, b))


def test_listdesktops_bad_input():
    for arg in ('bad;host', '-x', 'a' * 300):
        one_error_line(run([LISTD, arg], user=USER_A), 'x2golistdesktops %r' % arg)
    one_error_line(run([LISTD, 'a', 'b'], user=USER_A), 'two arguments')
