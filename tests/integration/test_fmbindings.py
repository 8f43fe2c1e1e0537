"""Desktop icons of shared folders and the file-manager bindings: a folder
mounted over sshfs (a private sshd on 127.0.0.1 stands in for the
client's SFTP server) into a desktop session gets its icon file on the
user's desktop (XDG_DESKTOP_DIR of user-dirs.dirs, never run), the MIME
database the package installs maps the icon to x2gofm, x2gofm opens the
mount point through xdg-open, and x2goumount-session removes the icon."""

import fnmatch
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

from itlib import USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run
from test_share import _free_port, _fuse_usable, _session

MARK = '----BEGIN RSA IDENTITY----'
MIME_XML = '/usr/share/mime/packages/sshfs-x2go.xml'
DESKTOP_FILE = '/usr/share/applications/x2gofm.desktop'


def _keygen(path):
    subprocess.run(['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f',
                    path], check=True)


def _chown(user, *paths):
    pw = pwd.getpwnam(user)
    for p in paths:
        os.chown(p, pw.pw_uid, pw.pw_gid)


class Sshd:
    """sshd on 127.0.0.1 that lets USER_A in with one key (sftp only)."""

    def __init__(self, scratch):
        self.dir, self.port = scratch, _free_port()
        _keygen(os.path.join(scratch, 'hostkey'))
        _keygen(os.path.join(scratch, 'client'))
        os.makedirs(os.path.join(scratch, 'authorized_keys'))
        shutil.copy(os.path.join(scratch, 'client.pub'),
                    os.path.join(scratch, 'authorized_keys', USER_A))
        conf = os.path.join(scratch, 'sshd_config')
        with open(conf, 'w') as f:
            f.write('\n'.join([
                'Port %d' % self.port, 'ListenAddress 127.0.0.1',
                'HostKey %s/hostkey' % scratch, 'PidFile none',
                'AuthorizedKeysFile %s/authorized_keys/%%u' % scratch, 'UsePAM no',
                'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
                'AllowUsers %s' % USER_A, 'X11Forwarding no', 'PrintMotd no', 'UseDNS no',
                'Subsystem sftp /usr/lib/openssh/sftp-server', '']))
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)
        # sshd without PAM refuses a locked account even with a key
        subprocess.run(['usermod', '-p', '*', USER_A], check=True)
        self.proc = subprocess.Popen(['/usr/sbin/sshd', '-D', '-e', '-f', conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(('127.0.0.1', self.port)) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise AssertionError('the test sshd does not listen')

    def key_bundle(self, home):
        """The key file as the client sends it, in ~/.x2go/ssh."""
        with open(os.path.join(self.dir, 'client')) as f:
            key = f.read()
        with open(os.path.join(self.dir, 'hostkey.pub')) as f:
            hostkey = ' '.join(f.read().split()[:2])
        d = os.path.join(home, '.x2go', 'ssh')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, 'key.zfm')
        with open(path, 'w') as f:
            f.write(key + MARK + hostkey)
        os.chmod(path, 0o600)
        _chown(USER_A, os.path.join(home, '.x2go'), d, path)
        return path

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def _mounted(path):
    with open('/proc/self/mountinfo') as f:
        want = path.replace(' ', '\\040')
        return any(l.split()[4] == want for l in f)


def _env(home, **extra):
    e = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': home}
    e.update(extra)
    return e


def test_folder_icon_opens_in_file_manager():
    _fuse_usable()
    home = pwd.getpwnam(USER_A).pw_dir
    scratch = tempfile.mkdtemp(prefix='x2go-it-fm-', dir='/var/tmp')
    os.chmod(scratch, 0o755)
    sshd = None
    desk = os.path.join(home, 'Schreibtisch')
    cfg = os.path.join(home, '.config')
    mp = None
    try:
        sshd = Sshd(scratch)
        share = os.path.join(scratch, 'fm share')
        os.makedirs(share)
        _chown(USER_A, share)
        for d in (cfg, desk):
            os.makedirs(d, exist_ok=True)
            _chown(USER_A, d)
        with open(os.path.join(cfg, 'user-dirs.dirs'), 'w') as f:
            f.write('# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Schreibtisch"\n')
        with Sessions() as s:
            sid = _session(s, USER_A)
            check('_stD' in sid, 'a desktop session: %s' % sid)
            key = sshd.key_bundle(home)
            words = ('%s__REVERSESSH_PORT__%d' % (share, sshd.port)).split(' ')
            r = run(['x2gomountdirs', 'dir', sid, USER_A, key] + words, user=USER_A,
                    env=_env(home), timeout=90)
            lines = r.out.decode().split('\n')
            name = '%s (sshfs-disk)' % share.replace('/', '_').replace(' ', '_')
            icon = os.path.join(desk, name)
            mp = '/tmp/.x2go-%s/media/disk/%s' % (USER_A, share.replace('/', '_').replace(' ', '_'))
            eq(lines[5:8], ['mount %s ok' % share, 'fname: %s' % icon, ''], 'x2gomountdirs: %r' % r)
            check(_mounted(mp), '%s is not mounted' % mp)
            with open(icon, 'rb') as f:
                eq(f.read(), ('%s\n%s\n\n' % (mp, sid)).encode() + b'\0', 'icon file content')

            # The MIME type of the icon, and x2gofm as its handler.
            globs = {mt.get('type'): [g.get('pattern') for g in mt.iter(
                '{http://www.freedesktop.org/standards/shared-mime-info}glob')]
                for mt in ET.parse(MIME_XML).getroot()}
            matching = [t for t, pats in globs.items() if any(fnmatch.fnmatchcase(name, p)
                                                              for p in pats)]
            eq(matching, ['application/sshfsdisk-x2go'], 'MIME types of the icon name')
            with open('/usr/share/mime/globs2') as f:
                check('application/sshfsdisk-x2go:* (sshfs-disk)' in f.read(),
                      'the shared MIME database does not know the icons (trigger not run?)')
            with open(DESKTOP_FILE) as f:
                entry = f.read()
            check('Exec=x2gofm %f' in entry and 'application/sshfsdisk-x2go;' in entry,
                  'x2gofm.desktop: %r' % entry)
            r = ok(run(['xdg-mime', 'query', 'default', 'application/sshfsdisk-x2go'],
                       user=USER_A, env=_env(home)))
            eq(r.out.strip(), b'x2gofm.desktop', 'the default application for share icons')

            # x2gofm hands the mount point to xdg-open, which (no desktop
            # here) runs $BROWSER with it.
            seen = os.path.join(scratch, 'opened')
            opener = os.path.join(scratch, 'opener')
            with open(opener, 'w') as f:
                f.write('#!/bin/sh\nprintf "%%s" "$1" > %s\n' % seen)
            os.chmod(opener, 0o755)
            os.chmod(scratch, 0o777)
            ok(run(['x2gofm', icon], user=USER_A, env=_env(home, BROWSER=opener)), 'x2gofm')
            with open(seen) as f:
                eq(f.read(), mp, 'what xdg-open was given')
            os.unlink(seen)
            # An icon naming anything else is refused, nothing is opened.
            fake = os.path.join(desk, 'evil (sshfs-disk)')
            for target in ('/etc', '/tmp/.x2go-%s/media/disk/../../../../etc' % USER_A,
                           '/tmp/.x2go-%s/media/disk' % USER_B):
                with open(fake, 'wb') as f:
                    f.write(('%s\n%s\n\n' % (target, sid)).encode() + b'\0')
                one_error_line(run(['x2gofm', fake], user=USER_A,
                                   env=_env(home, BROWSER=opener)), 'x2gofm %s' % target)
                check(not os.path.exists(seen), 'x2gofm opened %s' % target)
            one_error_line(run(['x2gofm', os.path.join(desk, 'none')], user=USER_A,
                               env=_env(home)), 'x2gofm of a missing file')
            os.unlink(fake)

            # Unmounting removes this share's icon, not another session's.
            other = os.path.join(desk, 'other (sshfs-disk)')
            with open(other, 'wb') as f:
                f.write(('%s\n%s\n\n' % (mp, sid + 'x')).encode() + b'\0')
            ok(run(['x2goumount-session', sid], user=USER_A, env=_env(home)), 'x2goumount-session')
            check(not _mounted(mp), '%s still mounted' % mp)
            check(not os.path.exists(icon), 'the icon outlived its share')
            check(os.path.exists(other), 'the icon of another session was removed')
            os.unlink(other)

            # A single application (_stR) gets no icon (spec 2.3.1).
            sid = s.add(USER_A, state='RUNNING', cmd='xterm', typ='R')['sid']
            key = sshd.key_bundle(home)
            r = run(['x2gomountdirs', 'dir', sid, USER_A, key] + words, user=USER_A,
                    env=_env(home), timeout=90)
            eq(r.out.decode().split('\n')[5:], ['mount %s ok' % share, ''],
               'x2gomountdirs in %s: %r' % (sid, r))
            eq(os.listdir(desk), [], 'icons for an application session')
            ok(run(['x2goumount-session', sid], user=USER_A, env=_env(home)), 'x2goumount-session')
    finally:
        if mp and _mounted(mp):
            subprocess.run(['umount', '-l', mp])
        if sshd:
            sshd.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(desk, ignore_errors=True)
        shutil.rmtree(cfg, ignore_errors=True)

