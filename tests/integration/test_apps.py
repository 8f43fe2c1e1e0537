"""x2gogetapps (spec 2.5, client contract 2.12): the markup clients parse,
byte for byte; icons as PNG (SVG and XPM converted, cached per user and
refreshed when the source changes); hostile .desktop and icon files are
skipped without a hang, an error on stderr, or another user's data."""

import base64
import contextlib
import os
import pwd
import shutil
import struct
import time

import apps_fixture as fx
from itlib import USER_A, USER_B, check, eq, ok, run

GETAPPS = '/usr/bin/x2gogetapps'
HOME_A = pwd.getpwnam(USER_A).pw_dir
APPDIR = HOME_A + '/.x2go/applications'
PERUSER = '/etc/x2go/applications-per-user/' + USER_A
CACHE = HOME_A + '/.x2go/cache/icons'


def _own(path, user):
    p = pwd.getpwnam(user)
    os.lchown(path, p.pw_uid, p.pw_gid)


@contextlib.contextmanager
def fixture(files=None, peruser=None):
    a = pwd.getpwnam(USER_A)
    icons = fx.write_icons()
    shutil.rmtree(APPDIR, ignore_errors=True)
    shutil.rmtree(CACHE, ignore_errors=True)
    os.makedirs(HOME_A + '/.x2go', exist_ok=True)
    _own(HOME_A + '/.x2go', USER_A)
    fx.write(APPDIR, files, a.pw_uid, a.pw_gid)
    if peruser:
        fx.write(PERUSER, peruser)
    try:
        yield
    finally:
        shutil.rmtree(APPDIR, ignore_errors=True)
        shutil.rmtree(PERUSER, ignore_errors=True)
        shutil.rmtree(HOME_A + '/.x2go/cache', ignore_errors=True)
        for p in icons:
            os.unlink(p)


def getapps():
    r = ok(run([GETAPPS], user=USER_A, timeout=30), 'x2gogetapps')
    blocks = [b + b'</desktop>\n' for b in r.out.split(b'</desktop>\n')[:-1]]
    eq(b''.join(blocks), r.out, 'output is a sequence of <desktop> blocks')
    for b in blocks:
        check(b.startswith(b'<desktop>\n'), 'block start %r' % b[:40])
    return blocks


def icon_text(data):
    """The reference's icon block, built independently: base64 of each
    3420-byte chunk (76 columns) followed by an empty line."""
    return (b'<icon>\n' + b''.join(base64.encodebytes(data[i:i + 3420]) + b'\n'
                                   for i in range(0, len(data), 3420)) + b'</icon>\n')


def icon_of(block):
    check(block.count(b'<icon>\n') == 1, 'one icon in %r' % block[:80])
    text = block.split(b'<icon>\n')[1].split(b'</icon>\n')[0]
    return base64.b64decode(text)


def png_size(data):
    check(data[:8] == b'\x89PNG\r\n\x1a\n' and data[12:16] == b'IHDR', 'not a PNG: %r'
          % data[:16])
    return struct.unpack('>II', data[16:24])


def named(blocks, name):
    found = [b for b in blocks if (b'\nName=%s\n' % name) in b]
    eq(len(found), 1, 'blocks named %s' % name)
    return found[0]


def test_getapps_markup():
    icons = fx.icons()
    small = icons['%s/%s.png' % (fx.PIXMAPS, fx.PNG_NAME)]
    big = icons[fx.BIG_PNG]
    check(len(big) > 3420, 'the big icon spans several chunks')
    want = [
        (b'<desktop>\nName=Editor\nName[de]=Bearbeiter\nComment=Edit text\n'
         b'Comment[fr]=\xc3\x89diter du texte\nExec=editor -f %F\nTerminal=false\n' +
         icon_text(small) + b'Categories=Utility;TextEditor;\n</desktop>\n'),
        (b'<desktop>\nName=Absolute\nExec=/bin/true\n' + icon_text(big) +
         b'Categories=X2Go-Top;\n</desktop>\n'),
        b'<desktop>\n</desktop>\n',
        b'<desktop>\nName=Actions\nExec=app\n</desktop>\n',
        b'<desktop>\nName=CRLF\r\nExec=crlf\r\n</desktop>\n',
        b'<desktop>\nName=No newline\nExec=nonl\n</desktop>\n',
        b'<desktop>\nName=No icon\nExec=true\n</desktop>\n',
        b'<desktop>\nname=lower\nEXEC=upper\nterminal=true\n</desktop>\n',
        b'<desktop>\nName=Backup\nExec=true\n</desktop>\n',
        b'<desktop>\nName=Nested\nExec=true\n</desktop>\n',
    ]
    peruser = {'peruser.desktop': '[Desktop Entry]\nName=Per user\nExec=true\n'}
    with fixture(peruser=peruser):
        blocks = getapps()
    mine = blocks[-12:]
    # converted icons: checked below, the rest byte for byte
    vector, bitmap = named(mine, b'Vector'), named(mine, b'Bitmap')
    rest = [b for b in mine if b not in (vector, bitmap)]
    eq(sorted(rest), sorted(want), 'blocks of the own applications dir')
    eq(png_size(icon_of(vector)), (48, 48), 'SVG rendered at 48x48')
    eq(vector.replace(vector[vector.index(b'<icon>'):vector.index(b'</icon>\n') + 8], b''),
       b'<desktop>\nName=Vector\nExec=true\n</desktop>\n', 'vector block')
    eq(png_size(icon_of(bitmap)), (4, 4), 'XPM re-encoded as PNG')
    # the per-user dir comes after the system dir and before the own dir
    eq(blocks[-13], b'<desktop>\nName=Per user\nExec=true\n</desktop>\n', 'per-user entry')
    for b in blocks:
        check(b'Name=Gone' not in b and b'Name=Hidden' not in b, 'hidden entry listed')


def test_getapps_icon_cache():
    svg_path = '%s/%s.svg' % (fx.SCALABLE, fx.SVG_NAME)
    with fixture():
        first = named(getapps(), b'Vector')
        cached = sorted(os.listdir(CACHE))
        eq(len(cached), 2, 'converted icons in the cache (SVG, XPM)')
        inodes = [os.stat(os.path.join(CACHE, c)).st_ino for c in cached]
        eq(named(getapps(), b'Vector'), first, 'same icon from the cache')
        eq([os.stat(os.path.join(CACHE, c)).st_ino for c in cached], inodes,
           'nothing converted again')
        # the source changes: a new conversion, the old one is dropped
        with open(svg_path, 'w') as f:
            f.write(fx.svg('#0000ff'))
        st = os.stat(svg_path)
        os.utime(svg_path, (st.st_atime + 5, st.st_mtime + 5))
        second = named(getapps(), b'Vector')
        check(icon_of(second) != icon_of(first), 'icon not refreshed after the SVG changed')
        eq(png_size(icon_of(second)), (48, 48), 'refreshed icon')
        now = sorted(os.listdir(CACHE))
        eq(len(now), 2, 'stale conversion pruned: %r' % now)
        check(set(now) != set(cached), 'cache name follows the source')


def test_getapps_hostile_files():
    # world-readable files of another user in a dir everyone may enter:
    # only the owner check keeps them out
    secret = '/tmp/x2goit-secret-%d.png' % os.getpid()
    stolen = '/tmp/x2goit-stolen-%d.desktop' % os.getpid()
    with open(secret, 'wb') as f:
        f.write(fx.png(4, 4, seed=9) + b'X2GOIT-SECRET')
    with open(stolen, 'w') as f:
        f.write('[Desktop Entry]\nName=Stolen\nExec=true\n')
    for p in (secret, stolen):
        os.chmod(p, 0o644)
        _own(p, USER_B)
    files = {
        'huge.desktop': '[Desktop Entry]\nName=Huge\nComment=%s\n' % ('x' * 300000),
        'binary.desktop': b'[Desktop Entry]\nName=Bin\0ary\nExec=true\n',
        'zero.desktop': '[Desktop Entry]\nName=Zero\nExec=true\nIcon=/dev/zero\n',
        'foreign.desktop': '[Desktop Entry]\nName=Foreign\nIcon=%s\n' % secret,
        'flink.desktop': '[Desktop Entry]\nName=ForeignLink\nIcon=%s/l.png\n' % APPDIR,
        'fifoicon.desktop': '[Desktop Entry]\nName=FifoIcon\nIcon=%s/pipe\n' % APPDIR,
        'badsvg.desktop': '[Desktop Entry]\nName=BadSvg\nIcon=%s/bad.svg\n' % APPDIR,
        'bad.svg': '<svg xmlns="http://www.w3.org/2000/svg"><rect',
        'gone.desktop': '[Desktop Entry]\nName=TryMissing\nTryExec=/nonexistent/x2goit\n',
        'there.desktop': '[Desktop Entry]\nName=TryThere\nTryExec=true\nExec=true\n',
        'ok.desktop': '[Desktop Entry]\nName=OK\nExec=true\n',
        'dir.desktop/readme': 'not a desktop file\n',
    }
    try:
        with fixture(files):
            os.symlink(secret, APPDIR + '/l.png')
            os.symlink(stolen, APPDIR + '/stolen.desktop')
            os.symlink('loop2.desktop', APPDIR + '/loop1.desktop')
            os.symlink('loop1.desktop', APPDIR + '/loop2.desktop')
            os.mkfifo(APPDIR + '/fifo.desktop')
            os.mkfifo(APPDIR + '/pipe')
            for n in ('l.png', 'stolen.desktop', 'loop1.desktop', 'loop2.desktop',
                      'fifo.desktop', 'pipe'):
                _own(APPDIR + '/' + n, USER_A)
            t0 = time.monotonic()
            blocks = getapps()
            check(time.monotonic() - t0 < 15, 'x2gogetapps took too long')
            # the SVG that cannot be converted is remembered as such (an
            # empty file), so the menu is cached all the same
            check(any(os.path.getsize(os.path.join(CACHE, f)) == 0 for f in os.listdir(CACHE)),
                  'no mark for the icon that cannot be converted')
            check(os.path.exists(HOME_A + '/.x2go/cache/menu'), 'menu not cached')
            eq(getapps(), blocks, 'second run')
    finally:
        os.unlink(secret)
        os.unlink(stolen)
    mine = blocks[-7:]
    names = sorted(b.split(b'\nName=')[1].split(b'\n')[0] for b in mine)
    eq(names, sorted([b'Zero', b'Foreign', b'ForeignLink', b'FifoIcon', b'BadSvg',
                      b'TryThere', b'OK']), 'entries listed')
    for b in blocks:
        for bad in (b'Huge', b'Bin', b'Stolen', b'TryMissing'):
            check(b'\nName=' + bad not in b, '%s listed' % bad)
    for b in mine:
        check(b'<icon>' not in b, 'icon from a refused file: %r' % b[:60])
    check(not any(b'X2GOIT-SECRET' in icon_of(b) for b in blocks if b'<icon>' in b),
          "another user's file in the output")


def test_getapps_features():
    names = ('X2GO_LIST_DESKTOPS', 'X2GO_PUBLISHED_APPLICATIONS', 'X2GO_SET_KEYBOARD')
    for n in names:
        eq(ok(run(['/usr/bin/x2gofeature', n], user=USER_A)).out, b'ok\n', n)
    listed = ok(run(['/usr/bin/x2gofeaturelist'], user=USER_A)).out.decode().splitlines()
    # in the reference's order
    eq([n for n in listed if n in names], list(names), 'features listed')


def _fresh_equals_cached(what):
    """The (possibly cached) answer equals one made from scratch."""
    cached = getapps()
    os.unlink(HOME_A + '/.x2go/cache/menu')
    eq(getapps(), cached, 'cached menu after %s' % what)
    check(os.path.exists(HOME_A + '/.x2go/cache/menu'), 'menu cache written')
    return cached


def test_getapps_menu_cache_follows_changes():
    earlier = '/usr/share/icons/hicolor/22x22/apps/%s.png' % fx.PNG_NAME
    a = pwd.getpwnam(USER_A)
    with fixture():
        _fresh_equals_cached('the first run')
        with open(APPDIR + '/editor.desktop') as f:
            text = f.read()
        with open(APPDIR + '/editor.desktop', 'w') as f:
            f.write(text.replace('Name=Editor\n', 'Name=Edited\n'))
        check(named(_fresh_equals_cached('an edit'), b'Edited'), 'edit not seen')
        # into a dir that exists: only that dir's own mtime tells
        with open(APPDIR + '/sub/added.desktop', 'w') as f:
            f.write('[Desktop Entry]\nName=Added\n')
        os.chown(APPDIR + '/sub/added.desktop', a.pw_uid, a.pw_gid)
        check(named(_fresh_equals_cached('a new file'), b'Added'), 'new file not seen')
        os.unlink(APPDIR + '/sub/added.desktop')
        check(not any(b'Name=Added' in b for b in _fresh_equals_cached('a removal')),
              'removed file still listed')
        # an icon of the same name in a dir searched earlier wins now
        other = fx.png(6, 6, seed=7)
        try:
            os.makedirs(os.path.dirname(earlier), exist_ok=True)
            with open(earlier, 'wb') as f:
                f.write(other)
            eq(icon_of(named(_fresh_equals_cached('a new icon'), b'Edited')), other,
               'icon from the earlier dir')
        finally:
            os.unlink(earlier)
        small = fx.icons()['%s/%s.png' % (fx.PIXMAPS, fx.PNG_NAME)]
        eq(icon_of(named(_fresh_equals_cached('the icon removed'), b'Edited')), small,
           'icon back from pixmaps')
