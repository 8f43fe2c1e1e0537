"""Planted links against the root side of shared folders and printing:
x2goprint (root, as cups-x2go runs it), x2goterminate-session run by root,
the clean-up daemon (root) ending a session whose agent died, and the
user's own x2gomountdirs/x2goumount-session. The user replaces a share
directory, a mount point or a ~/.x2go/C-<sid> spool/mimebox link with a
symbolic or hard link to a victim: a directory of root's (with empty
directories named like the share directories, which a careless rmdir
through the link would remove) and a file of another user. Nothing of the
victim may change; the user's own leftovers go as far as safe."""

import os
import pwd
import shutil
import subprocess
import time

from itlib import USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run, sql, status_of
from test_share import _free_port, _key, _mountdirs

ROOT_VICTIM = '/tmp/x2goit-root-victim'
B_VICTIM = '/tmp/x2goit-b-victim'  # on /tmp's file system: hard links reach it
PDF = b'%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n'


def _ids(user):
    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid


def _victims(sid):
    """Root's 0755 directory (a file, and empty directories named as the
    share directories below /tmp/.x2go-<user> are) and B's 0644 file."""
    shutil.rmtree(ROOT_VICTIM, ignore_errors=True)
    for d in ('', 'disk', 'disk/_srv_x', 'cd', 'rm', 'C-' + sid, 'spool', 'mimebox', 'media',
              'media/disk', 'media/disk/_srv_x'):
        os.makedirs(os.path.join(ROOT_VICTIM, d), exist_ok=True)
        os.chmod(os.path.join(ROOT_VICTIM, d), 0o755)
    with open(ROOT_VICTIM + '/keep', 'w') as f:
        f.write('root data\n')
    with open(B_VICTIM, 'w') as f:
        f.write('data of B\n')
    os.chown(B_VICTIM, *_ids(USER_B))
    os.chmod(B_VICTIM, 0o644)
    return _snapshot()


def _snapshot():
    """Everything of the victims but the link count (removing a planted
    hard link is the user's own business)."""
    out = []
    for path in [B_VICTIM] + sorted(os.path.join(r, n) for r, ds, fs in os.walk(ROOT_VICTIM)
                                    for n in [''] + ds + fs):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            out.append((path, 'missing'))
            continue
        data = open(path, 'rb').read() if os.path.isfile(path) else None
        out.append((path, st.st_mode, st.st_uid, st.st_gid, data,
                    st.st_mtime_ns if data is not None else None))
    return out


def _victims_unchanged(before, what):
    after = _snapshot()
    check(after == before, 'the victims after %s: lost or changed %r, new or changed %r'
          % (what, sorted(set(before) - set(after))[:4], sorted(set(after) - set(before))[:4]))


def _tree(top):
    return [os.path.join(r, n) for r, ds, fs in os.walk(top) for n in ds + fs]


def _clean_victims():
    """The victims, and the ~/.x2go/C-<sid> links _session_dir made."""
    shutil.rmtree(ROOT_VICTIM, ignore_errors=True)
    if os.path.lexists(B_VICTIM):
        os.unlink(B_VICTIM)
    x2go = pwd.getpwnam(USER_A).pw_dir + '/.x2go'
    for name in os.listdir(x2go) if os.path.isdir(x2go) else []:
        if name.startswith('C-') and os.path.islink(os.path.join(x2go, name)):
            os.unlink(os.path.join(x2go, name))


def _udir(path, user=USER_A):
    os.makedirs(path, exist_ok=True)
    os.chown(path, *_ids(user))
    os.chmod(path, 0o700)


def _plant(path, target, hard=False, user=USER_A):
    """path becomes a link to target, in a directory of user."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    if hard:
        os.link(target, path)
    else:
        os.symlink(target, path)
        os.lchown(path, *_ids(user))


def _session_dir(s, sid, user=USER_A):
    """/tmp/.x2go-<user>/C-<sid> and its ~/.x2go/C-<sid> link."""
    s.state(user, sid, 'RUNNING')
    home = pwd.getpwnam(user).pw_dir
    _udir(home + '/.x2go')
    link = '%s/.x2go/C-%s' % (home, sid)
    if not os.path.lexists(link):
        os.symlink('/tmp/.x2go-%s/C-%s' % (user, sid), link)
        os.lchown(link, *_ids(user))
    return '/tmp/.x2go-%s/C-%s' % (user, sid)


def _rows(sid):
    return sql('SELECT path FROM mounts WHERE session_id=?', (sid,))


def _seed_row(sid, path):
    sql('INSERT INTO mounts(session_id, path, client) VALUES (?,?,?)', (sid, path, '127.0.0.1'))


def _plant_shares(s, sid):
    """The plants root meets when it cleans up A's shares: media is a
    link to root's directory (a mount point with a row below it), the
    session's spool mount point is a hard link to B's file, and the
    ~/.x2go/C-<sid> spool and mimebox links point at the victims. The
    session's MIME box mount point is a real, empty directory of A's: a
    leftover that must go. Returns it."""
    sdir = _session_dir(s, sid)
    top = '/tmp/.x2go-%s' % USER_A
    _plant(top + '/media', ROOT_VICTIM)
    _seed_row(sid, top + '/media/disk/_srv_x')
    _udir(top + '/spool')
    _plant('%s/spool/C-%s' % (top, sid), B_VICTIM, hard=True)
    _plant(sdir + '/spool', ROOT_VICTIM)
    _plant(sdir + '/mimebox', B_VICTIM, hard=True)
    _udir(top + '/mimebox')
    _udir('%s/mimebox/C-%s' % (top, sid))
    return '%s/mimebox/C-%s' % (top, sid)


# ---- x2goprint ---------------------------------------------------------

SPOOL = '/var/spool/x2goprint'


def _job(sid, name):
    """A job as cups-x2go leaves it: <pdf> and <pdf>.title, 0600, owned
    by the spool's owner (x2goprint, made by the install)."""
    os.makedirs(SPOOL, exist_ok=True)
    owner = os.stat(SPOOL).st_uid
    pdf = '%s_%s.pdf' % (sid, name)
    for fname, data in ((pdf, PDF), (pdf + '.title', b'Title\n')):
        with open(os.path.join(SPOOL, fname), 'wb') as f:
            f.write(data)
        os.chown(os.path.join(SPOOL, fname), owner, owner)
    return pdf


def _print(sid, pdf):
    return run(['x2goprint', USER_A, sid, pdf, pdf + '.title'])


def test_print_planted_spool_links():
    """x2goprint (root) with ~/.x2go/C-<sid>/{spool,mimebox} and the
    spool mount point planted as symbolic and hard links: the job is
    dropped (nothing is mounted), the victims are unchanged."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        before = _victims(sid)
        try:
            sdir = _session_dir(s, sid)
            top = '/tmp/.x2go-%s' % USER_A
            _udir(top + '/spool')
            plants = [  # (path, target, hard)
                [(sdir + '/spool', ROOT_VICTIM, False), (sdir + '/mimebox', B_VICTIM, False),
                 ('%s/spool/C-%s' % (top, sid), ROOT_VICTIM, False)],
                [(sdir + '/spool', B_VICTIM, True), (sdir + '/mimebox', ROOT_VICTIM + '/keep', True),
                 ('%s/spool/C-%s' % (top, sid), B_VICTIM, True)],
            ]
            for k, round_ in enumerate(plants):
                for path, target, hard in round_:
                    _plant(path, target, hard)
                pdf = _job(sid, 'plant%d' % k)
                r = _print(sid, pdf)
                check(r.rc == 0 or r.err.count(b'\n') == 1, 'x2goprint: %r' % r)
                check(not os.path.exists(os.path.join(SPOOL, pdf)), 'job left in the spool')
                _victims_unchanged(before, 'x2goprint with %s links'
                                   % ('hard' if k else 'symbolic'))
        finally:
            _clean_victims()


def test_print_planted_links_in_mounted_spool():
    """The client's spool is mounted (a bind mount stands in for sshfs),
    and the user planted links where x2goprint writes: <pdf> and
    <pdf>.ready as hard links to the victims, <pdf>.part as a symbolic
    link. The job is delivered as new files, the victims are unchanged."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        before = _victims(sid)
        top = '/tmp/.x2go-%s' % USER_A
        mp = '%s/spool/C-%s' % (top, sid)
        back = '/tmp/x2goit-attack-spool'
        for d in (top, top + '/spool', mp, back):
            _udir(d)
        subprocess.run(['mount', '--bind', back, mp], check=True)
        try:
            pdf = _job(sid, 'mounted')
            _plant(os.path.join(back, pdf), ROOT_VICTIM + '/keep', hard=True)
            _plant(os.path.join(back, pdf + '.ready'), B_VICTIM, hard=True)
            _plant(os.path.join(back, pdf + '.part'), ROOT_VICTIM + '/keep')
            r = _print(sid, pdf)
            _victims_unchanged(before, 'x2goprint into a spool with planted links')
            ok(r)
            with open(os.path.join(back, pdf), 'rb') as f:
                eq(f.read(), PDF, 'the delivered PDF')
            eq(os.stat(os.path.join(back, pdf)).st_uid, _ids(USER_A)[0], 'owner of the PDF')
        finally:
            subprocess.run(['umount', mp], stderr=subprocess.DEVNULL)
            shutil.rmtree(back, ignore_errors=True)
            _clean_victims()


# ---- x2gomountdirs / x2goumount-session -------------------------------

def test_mountdirs_and_umount_planted_links():
    """The user's own x2gomountdirs and x2goumount-session, then root's
    x2goumount-session of the same session, with every plant in place."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        before = _victims(sid)
        try:
            top = '/tmp/.x2go-%s' % USER_A
            spec = '/srv/x__REVERSESSH_PORT__%d' % _free_port()
            # root mounting into A's session is refused before it creates
            # or links anything in A's directories with root's rights
            _session_dir(s, sid)
            key = _key(USER_A)
            one_error_line(run(['x2gomountdirs', 'dir', sid, 'alice', key, spec], timeout=90),
                           'x2gomountdirs by root in a session of A')
            eq([p for p in _tree(top) + _tree(os.path.dirname(key))
                if os.lstat(p).st_uid != _ids(USER_A)[0]], [], "root's files in A's directories")
            eq(_rows(sid), [], 'rows after x2gomountdirs as root')
            os.unlink(key)
            _plant_shares(s, sid)
            _mountdirs(USER_A, sid, spec)
            _victims_unchanged(before, 'x2gomountdirs')
            run(['x2goumount-session', sid], user=USER_A)
            _victims_unchanged(before, 'x2goumount-session as the user')
            _seed_row(sid, top + '/media/disk/_srv_x')
            run(['x2goumount-session', sid])
            _victims_unchanged(before, 'x2goumount-session as root')
            eq(_rows(sid), [], 'rows after x2goumount-session as root')
        finally:
            _clean_victims()


# ---- root cleaning up: x2goterminate-session and the daemon ----------

def test_root_suspend_terminate_planted_links():
    """root runs x2gosuspend-session, then x2goterminate-session <sid> of
    A's session (both unmount A's shares): nothing outside A's own files
    is touched, A's rows are gone, A's real leftover mount point is
    removed."""
    with Sessions() as s:
        sid = s.add(USER_A, agent='answering', state='RUNNING')['sid']
        before = _victims(sid)
        try:
            for cmd in ('x2gosuspend-session', 'x2goterminate-session'):
                left = _plant_shares(s, sid)
                r = run([cmd, sid])
                check(r.rc == 0, '%s as root: %r' % (cmd, r))
                _victims_unchanged(before, '%s as root' % cmd)
                eq(_rows(sid), [], 'mount rows after %s' % cmd)
                check(not os.path.lexists(left), 'the empty mount point %s was left' % left)
        finally:
            _clean_victims()


def test_daemon_dead_agent_planted_links():
    """The agent of a session with shares dies; the clean-up daemon (root)
    unmounts its shares: the victims are unchanged, the rows are gone
    (and with them the session's row)."""
    with Sessions() as s:
        info = s.add(USER_A, state='RUNNING')
        sid = info['sid']
        before = _victims(sid)
        try:
            left = _plant_shares(s, sid)
            os.kill(info['agent_pid'], 9)
            deadline = time.time() + 30
            while status_of(sid) is not None and time.time() < deadline:
                time.sleep(0.2)
            eq(status_of(sid), None, 'the dead session row (is the daemon running?)')
            eq(_rows(sid), [], 'mount rows after the daemon cleaned up')
            _victims_unchanged(before, 'the daemon cleaning up')
            check(not os.path.lexists(left), 'the empty mount point %s was left' % left)
        finally:
            _clean_victims()
