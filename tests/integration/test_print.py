"""x2goprint (root, run by cups-x2go): a job reaches the client's mounted
spool as <pdf> + <pdf>.ready; bad input and planted links move nothing.
The client's spool is stood in for by a bind mount of a directory of the
user (a real sshfs spool is in tests/e2e)."""

import os
import pwd
import shutil
import subprocess

from itlib import (USER_A, USER_B, Sessions, check, eq, ok, one_error_line, run)

SPOOL = '/var/spool/x2goprint'
PDF = b'%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n'


def _spool():
    """The spool as the install makes it: owned by user x2goprint, 0700."""
    if subprocess.run(['getent', 'passwd', 'x2goprint'], stdout=subprocess.DEVNULL).returncode:
        subprocess.run(['adduser', '--system', '--group', '--home', SPOOL, '--no-create-home',
                        '--shell', '/bin/sh', 'x2goprint'], check=True, stdout=subprocess.DEVNULL)
    os.makedirs(SPOOL, exist_ok=True)
    shutil.chown(SPOOL, 'x2goprint', 'x2goprint')
    os.chmod(SPOOL, 0o700)


def _job(sid, name='job1', owner='x2goprint', title=b'My Report\n'):
    _spool()
    pdf = '%s_%s.pdf' % (sid, name)
    for fname, data in ((pdf, PDF), (pdf + '.title', title)):
        p = os.path.join(SPOOL, fname)
        if os.path.lexists(p):
            os.unlink(p)
        with open(p, 'wb') as f:
            f.write(data)
        shutil.chown(p, owner, owner if owner != 'root' else 'root')
    return pdf


def _client_spool(user, sid):
    """/tmp/.x2go-<user>/spool/C-<sid> with a bind mount standing in for
    the client's sshfs; returns (mount point, backing dir)."""
    pw = pwd.getpwnam(user)
    top = '/tmp/.x2go-%s' % user
    mp = '%s/spool/C-%s' % (top, sid)
    os.makedirs(mp, exist_ok=True)
    for d in (top, top + '/spool', mp):
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o700)
    back = '/tmp/x2goit-client-spool-%s' % user
    os.makedirs(back, exist_ok=True)
    os.chown(back, pw.pw_uid, pw.pw_gid)
    subprocess.run(['mount', '--bind', back, mp], check=True)
    return mp, back


def _unmount(mp, back):
    subprocess.run(['umount', mp], stderr=subprocess.DEVNULL)
    shutil.rmtree(back, ignore_errors=True)


def _print(args, user=None):
    return run(['x2goprint'] + args, user=user)


def test_print_delivers_to_mounted_spool():
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        mp, back = _client_spool(USER_A, sid)
        try:
            pdf = _job(sid)
            ok(_print([USER_A, sid, pdf, pdf + '.title']))
            eq(sorted(os.listdir(back)), [pdf, pdf + '.ready'], 'client spool')
            with open(os.path.join(back, pdf), 'rb') as f:
                eq(f.read(), PDF, 'PDF bytes')
            with open(os.path.join(back, pdf + '.ready')) as f:
                eq(f.read(), pdf + '\nMy Report', '.ready text')
            st = os.stat(os.path.join(back, pdf))
            eq(st.st_uid, pwd.getpwnam(USER_A).pw_uid, 'owner of the delivered PDF')
            check(not os.path.exists(os.path.join(SPOOL, pdf)), 'PDF left in the spool')
            check(not os.path.exists(os.path.join(SPOOL, pdf + '.title')), 'title left')
        finally:
            _unmount(mp, back)


def test_print_without_mounted_spool_drops_job():
    """No spool mounted (or a link planted in its place): the job is
    dropped, nothing is written through the link."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        victim = '/tmp/x2goit-victim-b'
        os.makedirs(victim, exist_ok=True)
        shutil.chown(victim, USER_A)
        top = '/tmp/.x2go-%s' % USER_A
        os.makedirs(top + '/spool', exist_ok=True)
        shutil.chown(top + '/spool', USER_A)
        link = '%s/spool/C-%s' % (top, sid)
        os.symlink(victim, link)
        try:
            pdf = _job(sid)
            ok(_print([USER_A, sid, pdf, pdf + '.title']))
            eq(os.listdir(victim), [], 'files written through the planted link')
            check(not os.path.exists(os.path.join(SPOOL, pdf)), 'dropped job still in the spool')
        finally:
            os.unlink(link)
            shutil.rmtree(victim, ignore_errors=True)


def test_print_bad_input_moves_nothing():
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        sid_b = s.add(USER_B, state='RUNNING')['sid']
        mp, back = _client_spool(USER_A, sid)
        try:
            pdf = _job(sid)
            title = pdf + '.title'
            cases = [
                ('non-root', [USER_A, sid, pdf, title], USER_A),
                ('two arguments', [USER_A, sid], None),
                ('three arguments', [USER_A, sid, pdf], None),
                ('foreign session', [USER_A, sid_b, pdf, title], None),
                ('session of the other user', [USER_B, sid, pdf, title], None),
                ('dot-dot', [USER_A, sid, '../x2goprint/' + pdf, title], None),
                ('absolute', [USER_A, sid, SPOOL + '/' + pdf, title], None),
                ('no such user', ['nosuchuserx', sid, pdf, title], None),
                ('root', ['root', sid, pdf, title], None),
                ('bad sid', [USER_A, sid + "' OR 1=1", pdf, title], None),
                ('missing pdf', [USER_A, sid, 'nope.pdf', title], None),
            ]
            for what, args, user in cases:
                one_error_line(_print(args, user=user), what)
                check(os.path.exists(os.path.join(SPOOL, pdf)), 'PDF moved after %s' % what)
                check(os.path.exists(os.path.join(SPOOL, title)), 'title gone after %s' % what)
                eq(os.listdir(back), [], 'client spool after %s' % what)
            # A title file that is a link to a file root can read.
            os.unlink(os.path.join(SPOOL, title))
            os.symlink('/etc/shadow', os.path.join(SPOOL, title))
            one_error_line(_print([USER_A, sid, pdf, title]), 'title symlink')
            eq(os.listdir(back), [], 'client spool after a title symlink')
            check(os.path.exists('/etc/shadow'), 'link target removed')
            # A PDF that belongs to someone else, or a hard link.
            pdf2 = _job(sid, 'job2', owner=USER_B)
            one_error_line(_print([USER_A, sid, pdf2, pdf2 + '.title']), 'foreign PDF')
            check(os.path.exists(os.path.join(SPOOL, pdf2)), 'foreign PDF removed')
            pdf3 = _job(sid, 'job3')
            os.link(os.path.join(SPOOL, pdf3), os.path.join(SPOOL, 'hard.pdf'))
            one_error_line(_print([USER_A, sid, 'hard.pdf', pdf3 + '.title']), 'hard link')
            eq(os.listdir(back), [], 'client spool after a hard link')
        finally:
            _unmount(mp, back)
            for f in os.listdir(SPOOL) if os.path.isdir(SPOOL) else []:
                if sid in f or f == 'hard.pdf':
                    os.unlink(os.path.join(SPOOL, f))


def test_print_list_mode():
    """x2goprint <user>: that user's own session list, as that user."""
    with Sessions() as s:
        sid = s.add(USER_A, state='RUNNING')['sid']
        s.add(USER_B, state='RUNNING')
        r = ok(_print([USER_A]))
        lines = r.out.decode().splitlines()
        eq([l.split('|')[1] for l in lines], [sid], 'sessions listed for %s' % USER_A)
        one_error_line(_print(['nosuchuserx']), 'unknown user')
