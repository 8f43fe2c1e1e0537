"""Fixture .desktop files and icons for x2gogetapps (shared by the
integration test and the benchmark): the shapes real files have, and the
odd ones the reference's reader still gives a defined output for. Icons
are made here (PNG written with zlib, SVG and XPM as text) and placed in
the system icon dirs under names no package uses."""

import contextlib
import os
import pwd
import random
import struct
import subprocess
import time
import zlib

PIXMAPS = '/usr/share/pixmaps'
SCALABLE = '/usr/share/icons/hicolor/scalable/apps'
PNG_NAME = 'x2goit-apps-small'             # found by name, .png in pixmaps
BIG_PNG = PIXMAPS + '/x2goit-apps-big.png'  # used by absolute path, > 1 chunk
SVG_NAME = 'x2goit-apps-vector'             # found by name, .svg in hicolor/scalable
XPM_FILE = 'x2goit-apps-bitmap.xpm'         # found by file name (line has a dot)


def png(width, height, seed=0, noise=False):
    """A valid RGB PNG; noise makes it incompressible (several chunks)."""
    rnd = random.Random(seed)
    rows = b''
    for y in range(height):
        if noise:
            px = bytes(rnd.randrange(256) for _ in range(width * 3))
        else:
            px = bytes((seed * 40 % 256, y * 4 % 256, 200)) * width
        rows += b'\0' + px

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n' +
            chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
            chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))


def svg(color):
    return ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            'width="16" height="16" viewBox="0 0 16 16">'
            '<rect width="16" height="16" fill="%s"/></svg>\n' % color)


XPM = ('/* XPM */\nstatic char *x[] = {\n"4 4 2 1",\n"a c #ff0000",\n"b c #0000ff",\n'
       '"abab",\n"baba",\n"abab",\n"baba"};\n')


def icons():
    """path -> bytes of the icons the fixture files refer to."""
    return {
        '%s/%s.png' % (PIXMAPS, PNG_NAME): png(8, 8, seed=1),
        BIG_PNG: png(48, 48, seed=2, noise=True),
        '%s/%s.svg' % (SCALABLE, SVG_NAME): svg('#ff0000').encode(),
        '%s/%s' % (PIXMAPS, XPM_FILE): XPM.encode(),
    }


FILES = {
    'editor.desktop': (
        '[Desktop Entry]\nType=Application\nName=Editor\nName[de]=Bearbeiter\n'
        'GenericName=Text Editor\nComment=Edit text\nComment[fr]=Éditer du texte\n'
        'Exec=editor -f %%F\nTerminal=false\nIcon=%s\nCategories=Utility;TextEditor;\n'
        'MimeType=text/plain;\n' % PNG_NAME),
    'abs.desktop': (
        '[Desktop Entry]\nName=Absolute\nExec=/bin/true\nIcon=%s\nCategories=X2Go-Top;\n'
        % BIG_PNG),
    'vector.desktop': '[Desktop Entry]\nName=Vector\nExec=true\nIcon=%s\n' % SVG_NAME,
    'bitmap.desktop': '[Desktop Entry]\nName=Bitmap\nExec=true\nIcon=%s\n' % XPM_FILE,
    'nodisplay.desktop': '[Desktop Entry]\nName=Gone\nExec=true\nNoDisplay=true\n',
    'hidden.desktop': '[Desktop Entry]\nName=Hidden\nExec=true\nHidden = true\n',
    'nogroup.desktop': 'Name=No group\nExec=true\n',
    'actions.desktop': (
        '[Desktop Entry]\nName=Actions\nExec=app\nActions=new;\n'
        '[Desktop Action new]\nName=New window\nExec=app --new\n'),
    'crlf.desktop': '[Desktop Entry]\r\nName=CRLF\r\nExec=crlf\r\n',
    'nonl.desktop': '[Desktop Entry]\nName=No newline\nExec=nonl',
    'noicon.desktop': '[Desktop Entry]\nName=No icon\nExec=true\nIcon=no-such-icon-x2goit\n',
    'lower.desktop': '[Desktop Entry]\nname=lower\nEXEC=upper\nterminal=true\nicon=x\n',
    'backup.desktop~': '[Desktop Entry]\nName=Backup\nExec=true\n',
    'sub/nested.desktop': '[Desktop Entry]\nName=Nested\nExec=true\n',
}


def write(base, files=None, uid=None, gid=None):
    """Create the files under base (dirs included), owned by uid:gid."""
    for rel, text in (FILES if files is None else files).items():
        path = os.path.join(base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(text if isinstance(text, bytes) else text.encode())
    if uid is not None:
        for root, dirs, names in os.walk(base):
            os.chown(root, uid, gid)
            for n in names:
                os.lchown(os.path.join(root, n), uid, gid)


def write_icons():
    """Install the icons; returns their paths (for removal)."""
    paths = []
    for path, data in icons().items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
        paths.append(path)
    return paths


def _wait_socket(display):
    deadline = time.time() + 15
    while not os.path.exists('/tmp/.X11-unix/X%d' % display) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)


@contextlib.contextmanager
def _user_server(user, display, argv, env=None):
    """An X server (argv) of user on display, until the block ends."""
    x = subprocess.Popen(['/usr/sbin/runuser', '-u', user, '--'] + argv, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_socket(display)
        yield x
    finally:
        x.terminate()
        x.wait()


def user_xvfb(user, display, args=()):
    """Xvfb of user on display (extra args such as -auth); the block runs
    once its socket is there."""
    return _user_server(user, display, ['Xvfb', ':%d' % display, '-nolisten', 'tcp',
                                        '-screen', '0', '320x200x24'] + list(args))


def nxproxy(user, cookie, port, disp, xvfb):
    """A real client of the agent listening on port: nxproxy drawing on the
    Xvfb xvfb (the caller's); the caller kills it."""
    home = pwd.getpwnam(user).pw_dir
    opts = ('nx/nx,retry=5,connect=127.0.0.1,cookie=%s,port=%s,errors=%s/.x2go/S.err:%d'
            % (cookie, port, home, disp))
    return subprocess.Popen(
        ['/usr/sbin/runuser', '-u', user, '--', '/usr/bin/env', 'DISPLAY=:%d' % xvfb,
         'NX_CLIENT=/bin/true', 'NX_ROOT=%s/.x2go' % home, '/usr/bin/nxproxy', '-S', opts],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def until_state(user, sid, want, timeout=60):
    """Wait until the agent's state file of the session says want."""
    path, end = '/tmp/.x2go-%s/C-%s/state' % (user, sid), time.time() + timeout
    while time.time() < end:
        with open(path) as f:
            if f.read() == want:
                return
        time.sleep(0.2)
    raise AssertionError('session %s not %s' % (sid, want))


@contextlib.contextmanager
def user_nxagent(user, display):
    """The real agent (nxagent) of user on display, drawing into an Xvfb
    of its own (display + 100) instead of a client's proxy: a session's X
    server without a client. (Xvfb itself ignores setxkbmap's keymaps.)"""
    with user_xvfb(user, display + 100):
        env = {'PATH': '/usr/bin:/bin', 'DISPLAY': ':%d' % (display + 100)}
        with _user_server(user, display, ['nxagent', '-D', '-ac', '-nolisten', 'tcp',
                                          '-geometry', '320x200', ':%d' % display], env):
            yield
