"""Shared folders (x2gomountdirs, x2goumount-session, x2golistmounts):
bad input, ownership and planted links. A real mount through a client's
SFTP server is in tests/e2e (scenarios_share.py); here sshfs only meets
a port where nothing listens."""

import os
import pwd
import shutil
import socket
import subprocess
import time

from itlib import (HELPER, USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run, sql)

KEY = ('-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----\n'
       '----BEGIN RSA IDENTITY----ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAQQ')


def _home(user):
    return pwd.getpwnam(user).pw_dir


def _key(user, name='key.z1'):
    """A key bundle where the client puts it: ~/.x2go/ssh/<name>."""
    pw = pwd.getpwnam(user)
    d = os.path.join(pw.pw_dir, '.x2go', 'ssh')
    os.makedirs(d, exist_ok=True)
    for p in (os.path.join(pw.pw_dir, '.x2go'), d):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    path = os.path.join(d, name)
    with open(path, 'w') as f:
        f.write(KEY)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _fuse_usable():
    """What Debian's fuse3 udev rule does; containers without udev keep
    /dev/fuse at 0600 and then no user can mount."""
    if os.stat('/dev/fuse').st_mode & 0o006 != 0o006:
        os.chmod('/dev/fuse', 0o666)


def _mounts(sid=None):
    if sid:
        return sql('SELECT session_id, path, client FROM mounts WHERE session_id=?', (sid,))
    return sql('SELECT session_id, path, client FROM mounts WHERE session_id IN'
               ' (SELECT session_id FROM sessions WHERE uname IN (?,?))', (USER_A, USER_B))


def _seed_mount(sid, path, client='127.0.0.1'):
    sql('INSERT INTO mounts(session_id, path, client) VALUES (?,?,?)', (sid, path, client))


def _session(s, user):
    info = s.add(user, state='RUNNING')
    return info['sid']


def _mountdirs(user, sid, spec, key=None, env_extra=None, typ='dir', cuser='alice'):
    env = {'PATH': '/usr/bin:/bin', 'LANG': 'C', 'HOME': _home(user)}
    env.update(env_extra or {})
    key = key or _key(user)
    spec = spec if isinstance(spec, list) else [spec]
    return run(['x2gomountdirs', typ, sid, cuser, key] + spec, user=user, env=env, timeout=90)


def test_mountdirs_bad_input():
    """Missing, malformed, overlong, non-ASCII and control-character
    arguments: one stderr line, empty stdout, non-zero exit, no row, no
    share directory, and the key file removed anyway."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        top = '/tmp/.x2go-%s' % USER_A
        good = '/srv/x__REVERSESSH_PORT__%d' % _free_port()
        cases = [
            ('bad type', dict(typ='d;r')), ('bad type', dict(typ='')),
            ('client user option', dict(cuser='-oProxyCommand=id')),
            ('client user @', dict(cuser='a@evil')), ('client user long', dict(cuser='a' * 65)),
            ('relative path', dict(spec='srv/x__REVERSESSH_PORT__2000')),
            ('port 0', dict(spec='/x__REVERSESSH_PORT__0')),
            ('port big', dict(spec='/x__REVERSESSH_PORT__70000')),
            ('port text', dict(spec='/x__REVERSESSH_PORT__22;id')),
            ('ssh port text', dict(spec='/x__SSH_PORT__abc')),
            ('bar', dict(spec='/a|b__REVERSESSH_PORT__2000')),
            ('newline', dict(spec='/a\nb__REVERSESSH_PORT__2000')),
            ('escape', dict(spec='/a\x1b[31m__REVERSESSH_PORT__2000')),
            ('bad utf-8', dict(spec=[b'/a\xff__REVERSESSH_PORT__2000'])),
            ('overlong path', dict(spec='/' + 'a' * 1100 + '__REVERSESSH_PORT__2000')),
            ('overlong spec', dict(spec=['/a'] * 1500)),
            ('no folder', dict(spec='__REVERSESSH_PORT__2000')),
            ('iconv', dict(spec=good, env_extra={'X2GO_ICONV': 'modules=subdir,subdir=/etc'})),
            ('direct without SSH_CLIENT', dict(spec='/x__SSH_PORT__2222')),
        ]
        for what, kw in cases:
            key = _key(USER_A)
            r = _mountdirs(USER_A, sid, kw.pop('spec', good), key=key, **kw)
            one_error_line(r, what)
            check(not os.path.exists(key), 'key file left after %s' % what)
            eq(_mounts(sid), [], 'mount rows after %s' % what)
            check(not os.path.exists(top + '/media'), 'share dirs made after %s' % what)
        for argv in (['x2gomountdirs'], ['x2gomountdirs', 'dir', sid, 'u', _key(USER_A)],
                     ['x2gomountdirs', 'dir', 'not-a-sid', 'u', _key(USER_A), good]):
            one_error_line(run(argv, user=USER_A), 'argv %r' % argv[:3])
        # A key file outside ~/.x2go/ssh is refused and left alone.
        other = '/tmp/x2goit-key'
        with open(other, 'w') as f:
            f.write(KEY)
        shutil.chown(other, USER_A)
        try:
            one_error_line(_mountdirs(USER_A, sid, good, key=other), 'key outside ~/.x2go/ssh')
            check(os.path.exists(other), 'a key file outside ~/.x2go/ssh was removed')
        finally:
            os.unlink(other)


def test_mountdirs_foreign_session():
    """User B cannot mount into A's session: refused, no row."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        r = _mountdirs(USER_B, sid, '/srv/x__REVERSESSH_PORT__%d' % _free_port())
        one_error_line(r, 'B mounts into A session')
        eq(_mounts(), [], 'mount rows')


def test_mountdirs_failed_mount_leaves_nothing():
    """sshfs cannot connect: the reference's first five lines, no 'ok'
    line, one stderr line, no row, no mount point, no key files."""
    _fuse_usable()
    with Sessions() as s:
        sid = _session(s, USER_A)
        port = _free_port()
        key = _key(USER_A)
        r = _mountdirs(USER_A, sid, ['/srv/my', 'files__REVERSESSH_PORT__%d' % port], key=key)
        lines = r.out.decode().split('\n')
        eq(lines[:4], ['dirs:/srv/my files__REVERSESSH_PORT__%d' % port, 'ssh port:%d' % port,
                       'Host:127.0.0.1', 'User:alice'], 'header lines')
        check(lines[4].startswith('inserted, timeout 30 /usr/bin/sshfs '), 'line 5: %r' % lines[4])
        check(not any(l.endswith('ok') for l in lines), 'an ok line for a failed mount: %r' % r)
        check(r.rc != 0 and r.err.count(b'\n') == 1 and b'mounting of /srv/my files failed' in r.err,
              'stderr/exit: %r' % r)
        eq(_mounts(sid), [], 'mount rows')
        check(not os.path.exists('/tmp/.x2go-%s/media/disk/_srv_my_files' % USER_A),
              'mount point left behind')
        check(not os.path.exists(key) and not os.path.exists(key + '.ident'), 'key files left')
        # The spool links point into the user's share dirs.
        sdir = '/tmp/.x2go-%s/C-%s' % (USER_A, sid)
        eq(os.readlink(sdir + '/spool'), '/tmp/.x2go-%s/spool/C-%s' % (USER_A, sid), 'spool link')
        eq(os.readlink(sdir + '/mimebox'), '/tmp/.x2go-%s/mimebox/C-%s' % (USER_A, sid),
           'mimebox link')


def test_listmounts_own_rows_only():
    """x2golistmounts prints '<client>|<path>' lines; an empty line when
    there are none; B gets an error for A's session and no rows."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        eq(ok(run(['x2golistmounts', sid], user=USER_A)).out, b'\n', 'no mounts')
        p = '/tmp/.x2go-%s/media/disk/_srv_x' % USER_A
        _seed_mount(sid, p)
        eq(ok(run(['x2golistmounts', sid], user=USER_A)).out, ('127.0.0.1|%s\n' % p).encode(),
           'one mount')
        one_error_line(run(['x2golistmounts', sid], user=USER_B), 'B lists A mounts')
        one_error_line(run(['x2golistmounts'], user=USER_A), 'no sid, no X2GO_SESSION')
        one_error_line(run(['x2golistmounts', "x' OR '1'='1"], user=USER_A), 'injection')
        one_error_line(run(['x2golistmounts', sid, 'x'], user=USER_A), 'extra argument')


def test_umount_stale_row_and_foreign():
    """A row whose share is not mounted is dropped silently (it must not
    block a later mount); B cannot unmount A's shares or drop A's rows."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        p = '/tmp/.x2go-%s/media/disk/_srv_x' % USER_A
        _seed_mount(sid, p)
        for name in ('x2goumount-session', 'x2goumount_session'):
            one_error_line(run([name, sid], user=USER_B), '%s by B' % name)
            eq(len(_mounts(sid)), 1, 'A row after B tried %s' % name)
        one_error_line(run(['x2goumount-session', sid, '/a\x1bb'], user=USER_A), 'control char')
        one_error_line(run(['x2goumount-session', 'bad sid'], user=USER_A), 'bad sid')
        # Only the named path, then everything.
        q = '/tmp/.x2go-%s/media/disk/_srv_y' % USER_A
        _seed_mount(sid, q)
        ok(run(['x2goumount-session', sid, '/srv/y'], user=USER_A))
        eq([m[1] for m in _mounts(sid)], [p], 'rows after unmounting /srv/y')
        ok(run(['x2goumount_session', sid], user=USER_A))
        eq(_mounts(sid), [], 'rows after unmounting all')


def test_store_mount_ops_owner_only():
    """The store server: B cannot add, list or delete rows of A's session;
    A cannot add a row outside /tmp/.x2go-A or with a malformed path."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        pa = '/tmp/.x2go-%s/media/disk/_x' % USER_A
        pb = '/tmp/.x2go-%s/media/disk/_x' % USER_B
        check(run([HELPER, 'mount_add', sid, pb, '127.0.0.1'], user=USER_B).rc != 0, 'B adds')
        check(run([HELPER, 'mount_add', sid, pb, '127.0.0.1'], user=USER_A).rc != 0,
              'A adds a path in B dir')
        for bad in ('/etc/passwd', '/tmp/.x2go-%s/../x' % USER_A, pa + '|x', pa + '\nx', '/tmp/x'):
            check(run([HELPER, 'mount_add', sid, bad, '127.0.0.1'], user=USER_A).rc != 0,
                  'A adds %r' % bad)
        check(run([HELPER, 'mount_add', sid, pa, 'not-an-ip'], user=USER_A).rc != 0, 'bad client')
        eq(_mounts(), [], 'rows after refused adds')
        ok(run([HELPER, 'mount_add', sid, pa, '127.0.0.1'], user=USER_A))
        # Adding the same path again replaces a stale row instead of failing.
        ok(run([HELPER, 'mount_add', sid, pa, '127.0.0.1'], user=USER_A))
        eq(len(_mounts(sid)), 1, 'rows after re-adding')
        # Text that would be SQL is only ever a bound value.
        sneaky = pa + "' OR 1=1 --"
        ok(run([HELPER, 'mount_add', sid, sneaky, '127.0.0.1'], user=USER_A))
        eq(sorted(m[1] for m in _mounts(sid)), [pa, sneaky], 'rows stored verbatim')
        ok(run([HELPER, 'mount_del', sid, sneaky], user=USER_A))
        eq([m[1] for m in _mounts(sid)], [pa], 'rows after deleting the sneaky one')
        r = run([HELPER, 'mount_list', sid], user=USER_B)
        check(r.rc != 0 and r.out == b'', 'B lists A rows: %r' % r)
        check(run([HELPER, 'mount_del', sid, '-'], user=USER_B).rc != 0, 'B deletes')
        eq(len(_mounts(sid)), 1, 'A row after B tried to delete')


def test_planted_links_not_followed():
    """A's mount point replaced by a link to B's directory: x2gomountdirs
    refuses to use it, x2goumount-session does not remove through it."""
    with Sessions() as s:
        sid = _session(s, USER_A)
        victim = '/tmp/x2goit-victim'
        os.makedirs(victim, exist_ok=True)
        shutil.chown(victim, USER_B)
        top = '/tmp/.x2go-%s' % USER_A
        os.makedirs(top + '/media/disk', exist_ok=True)
        for d in (top + '/media', top + '/media/disk'):
            shutil.chown(d, USER_A)
            os.chmod(d, 0o700)
        mp = top + '/media/disk/_srv_x'
        os.symlink(victim, mp)
        try:
            r = _mountdirs(USER_A, sid, '/srv/x__REVERSESSH_PORT__%d' % _free_port())
            check(r.rc != 0 and b'not mounting' in r.err, 'mount onto a planted link: %r' % r)
            eq(_mounts(sid), [], 'rows after the planted mount point')
            _seed_mount(sid, mp)
            ok(run(['x2goumount-session', sid], user=USER_A))
            check(os.path.isdir(victim) and not os.path.islink(victim), 'victim dir removed')
        finally:
            if os.path.islink(mp):
                os.unlink(mp)
            shutil.rmtree(victim, ignore_errors=True)


def test_showblocks_reads_proc():
    """x2goshowblocks (root) names the user's processes that keep a share
    busy (here one sitting in it); nothing for a foreign session."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        sid_b = s.add(USER_B, state='RUNNING')['sid']
        top = '/tmp/.x2go-%s' % USER_A
        mp = top + '/media/disk/_srv_busy'
        os.makedirs(mp, exist_ok=True)
        for d in (top + '/media', top + '/media/disk', mp):
            shutil.chown(d, USER_A)
        _seed_mount(sid, mp)
        p = subprocess.Popen(['runuser', '-u', USER_A, '--', 'sleep', '60'], cwd=mp)
        try:
            time.sleep(0.5)
            r = ok(run(['/usr/sbin/x2goshowblocks', USER_A, sid]))
            lines = [l.split('\t') for l in r.out.decode().splitlines()]
            check(any(f[1] == 'sleep' and f[2] == 'cwd' and f[3] == mp for f in lines),
                  'the sleeping process is not listed: %r' % r)
            one_error_line(run(['/usr/sbin/x2goshowblocks', USER_A, sid_b]), 'foreign session')
            one_error_line(run(['/usr/sbin/x2goshowblocks', USER_A, sid], user=USER_A), 'non-root')
            one_error_line(run(['/usr/sbin/x2goshowblocks', 'nosuchuserx', sid]), 'unknown user')
        finally:
            p.kill()
            p.wait()


def _sshfs_passive(user, src, mp):
    """A real sshfs mount of user: sshfs -o passive speaks SFTP over its
    stdin/stdout, here a socket pair to OpenSSH's sftp-server (no network,
    no keys). Returns the sshfs process (in the foreground: its pid is the
    one serving the mount) and the sftp-server's."""
    uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
    a, b = socket.socketpair()
    kw = dict(user=uid, group=gid, extra_groups=[], cwd='/', stderr=subprocess.DEVNULL,
              env={'PATH': '/usr/bin:/bin', 'HOME': _home(user)})
    srv = subprocess.Popen(['/usr/lib/openssh/sftp-server'], stdin=a, stdout=a, **kw)
    fs = subprocess.Popen(['sshfs', '-f', '-o', 'passive', 'client:' + src, mp],
                          stdin=b, stdout=b, **kw)
    a.close()
    b.close()
    deadline = time.time() + 30
    while not _mounted(mp) and time.time() < deadline and fs.poll() is None:
        time.sleep(0.1)
    check(_mounted(mp), 'sshfs did not mount %s' % mp)
    return fs, srv


def _mounted(path):
    with open('/proc/self/mountinfo') as f:
        return any(l.split()[4] == path for l in f)


def test_dead_sshfs_suspend_and_terminate():
    """A share whose sshfs process was killed (SIGKILL: the mount answers
    ENOTCONN) is unmounted by suspend and by terminate, within bounded
    time; its row and its mount point go too."""
    _fuse_usable()
    with Sessions() as s:
        sid = s.add(USER_A, agent='answering', state='RUNNING')['sid']
        uid, gid = pwd.getpwnam(USER_A).pw_uid, pwd.getpwnam(USER_A).pw_gid
        top = '/tmp/.x2go-%s' % USER_A
        src = '/tmp/x2goit-sftp-src'
        procs = []
        try:
            for cmd in ('x2gosuspend-session', 'x2goterminate-session'):
                mp = '%s/media/disk/_srv_dead_%s' % (top, cmd[6:10])
                # as x2gomountdirs leaves them (the suspend pruned them)
                for d in (top + '/media', top + '/media/disk', mp, src):
                    os.makedirs(d, exist_ok=True)
                    os.chown(d, uid, gid)
                    os.chmod(d, 0o700)
                fs, srv = _sshfs_passive(USER_A, src, mp)
                procs += [fs, srv]
                _seed_mount(sid, mp)
                fs.kill()
                fs.wait()
                r = run(['stat', mp], user=USER_A)
                check(b'Transport endpoint is not connected' in r.err, 'not dead: %r' % r)
                t0 = time.monotonic()
                r = run([cmd, sid], user=USER_A, timeout=120)
                dt = time.monotonic() - t0
                check(r.rc == 0, '%s: %r' % (cmd, r))
                check(not _mounted(mp), 'the dead share is still mounted after %s' % cmd)
                eq(_mounts(sid), [], 'mount rows after %s' % cmd)
                check(not os.path.lexists(mp), 'the dead mount point is left after %s' % cmd)
                # fusermount's own bound is 10 s per try, two tries
                check(dt < 60, '%s took %.0f s with a dead share' % (cmd, dt))
        finally:
            for p in procs:
                p.kill()
                p.wait()
            for l in open('/proc/self/mountinfo').read().splitlines():
                if l.split()[4].startswith(top + '/'):
                    subprocess.run(['umount', '-l', l.split()[4]])
            shutil.rmtree(src, ignore_errors=True)
