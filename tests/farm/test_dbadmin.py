"""x2godbadmin on PostgreSQL: the reference's schema and texts, passwords
from the kernel written 0600 and never printed."""
import os
import re
import stat
import subprocess

from pglib import cmd, GROUP, USERS, check, home, one_error, ok, passfile, read_pass, run

DBADMIN = cmd('x2godbadmin')
HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_PASS = '/etc/x2go/x2gosql/passwords/x2gopgadmin'


def private_file(path, uid):
    st = os.lstat(path)
    check(stat.S_ISREG(st.st_mode) and st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o600,
          '%s: want a regular file of uid %d, mode 600: %r' % (path, uid, st))
    with open(path) as f:
        pw = f.read()
    check(re.fullmatch(r'[A-Za-z0-9]{32}', pw), '%s: want 32 letters and digits' % path)
    return pw


def t_createdb(ctx):
    c = ctx['cluster']
    r = ok(run([DBADMIN, '--createdb']))
    check(r.out == b'', 'createdb prints nothing: %r' % r)
    pw = private_file(ADMIN_PASS, 0)
    check(pw.encode() not in r.out + r.err, 'password printed')
    rc, out, err = c.psql('SELECT 1', user='x2godbuser', password=pw)
    check(rc == 0 and out.strip() == '1', 'x2godbuser logs in with its file: %s' % err)


def t_adduser(ctx):
    c = ctx['cluster']
    for u in USERS:
        r = ok(run([DBADMIN, '--adduser', u]))
        check(r.out == b'create DB user "x2gouser_%s"\n' % u.encode(), 'adduser text: %r' % r)
        pw = private_file(passfile(u), os.stat(home(u)).st_uid)
        check(pw.encode() not in r.out + r.err, 'password printed')
        check(stat.S_IMODE(os.stat(os.path.dirname(passfile(u))).st_mode) == 0o700,
              '~/.x2go must be 0700')
        rc, out, err = c.psql('SELECT count(*) FROM sessions_view', user='x2gouser_' + u,
                              password=pw)
        check(rc == 0 and out.strip() == '0', '%s logs in: %s' % (u, err))
    rc, out, _ = c.psql("SELECT rolpassword LIKE 'SCRAM-SHA-256$%%' FROM pg_authid"
                        " WHERE rolname='x2gouser_%s'" % USERS[0])
    check(out.strip() == 't', 'passwords are stored hashed')


def t_schema_is_reference(ctx):
    """Same columns, views, rules, constraints and grants as the reference
    x2godbadmin creates (tests/farm/reference-catalog.txt was made with
    the reference 4.1.0.3 against PostgreSQL 15)."""
    e = dict(os.environ, PGPASSWORD=ctx['cluster'].admin_pw)
    p = subprocess.run(['psql', '-X', '-At', '-F', '|', '-h', '127.0.0.1', '-p',
                        str(ctx['cluster'].port), '-U', 'postgres', '-d', 'x2go_sessions', '-f',
                        os.path.join(HERE, 'catalog.sql')], stdout=subprocess.PIPE, env=e,
                       check=True)
    ours = p.stdout.decode().splitlines()
    with open(os.path.join(HERE, 'reference-catalog.txt')) as f:
        want = f.read().splitlines()
    diff = sorted(set(ours) ^ set(want))
    check(ours == want, 'schema differs from the reference: %s' % diff[:6])
    trig = ctx['cluster'].admin("SELECT count(*) FROM pg_trigger WHERE tgname='x2go_guard'")
    check(trig.strip() == '3', 'guard triggers on sessions, used_ports, mounts')


def t_refusals(ctx):
    r = run([DBADMIN, '--adduser', 'root'])
    one_error(r, 'adduser root', 'The super-user "root" is not allowed to use X2Go')
    r = run([DBADMIN, '--adduser', 'x2gonosuchuser'])
    one_error(r, 'unknown user', 'Cannot find user (x2gonosuchuser)')
    r = run([DBADMIN, '--adduser', "bad'name"])
    check(r.rc != 0 and r.out == b'', 'bad name refused: %r' % r)
    r = run([DBADMIN, '--addgroup', 'x2gonosuchgroup'])
    one_error(r, 'unknown group', 'Cannot find group (x2gonosuchgroup)')


def t_listusers(ctx):
    r = ok(run([DBADMIN, '--listusers']))
    want = ['%-20s DB user' % 'UNIX user', '-' * 39] + \
           ['%-20s x2gouser_%s' % (u, u) for u in sorted(USERS)]
    check(r.lines() == want, 'listusers: %r' % r.lines())


def t_symlinked_home_file(ctx):
    """A user's ~/.x2go pointing into /etc: root never writes there, the
    role keeps its old password (the role and file change together)."""
    c = ctx['cluster']
    u = USERS[3]
    d = os.path.dirname(passfile(u))
    old = read_pass(u)
    # mv, not rename(2): on an overlay /home a directory rename fails (EXDEV)
    subprocess.run(['mv', d, d + '.moved'], check=True)
    os.symlink('/etc/x2go', d)
    try:
        r = run([DBADMIN, '--adduser', u])
        check(r.rc != 0 and r.out == b'', 'adduser into a symlink must fail: %r' % r)
        check(not os.path.exists('/etc/x2go/pgsqlpass'), 'root wrote through the link')
    finally:
        os.unlink(d)
        subprocess.run(['mv', d + '.moved', d], check=True)
    rc, out, err = c.psql('SELECT 1', user='x2gouser_' + u, password=old)
    check(rc == 0, 'the old password still works after the failed adduser: %s' % err)


def t_groups_and_rmuser(ctx):
    c = ctx['cluster']
    members = USERS[1:3]
    r = ok(run([DBADMIN, '--rmgroup', GROUP]))
    check(r.lines() == ['rm DB user "x2gouser_%s"' % u for u in members], 'rmgroup: %r' % r)
    for u in members:
        check(not os.path.exists(passfile(u)), 'rmuser removes ~/.x2go/pgsqlpass')
        rc, out, _ = c.psql("SELECT count(*) FROM pg_roles WHERE rolname='x2gouser_%s'" % u)
        check(out.strip() == '0', 'role of %s dropped' % u)
    r = ok(run([DBADMIN, '--addgroup', GROUP]))
    check(r.lines() == ['create DB user "x2gouser_%s"' % u for u in members], 'addgroup: %r' % r)
    for u in members:
        private_file(passfile(u), os.stat(home(u)).st_uid)


def t_updatedb(ctx):
    c = ctx['cluster']
    before = c.snapshot()
    r = ok(run([DBADMIN, '--updatedb']))
    check(r.out == b'', 'updatedb on a current database prints nothing: %r' % r)
    check(c.snapshot() == before, 'updatedb changed rows')
    c.admin("DROP TRIGGER x2go_guard ON mounts")
    ok(run([DBADMIN, '--updatedb']))
    trig = c.admin("SELECT count(*) FROM pg_trigger WHERE tgname='x2go_guard'")
    check(trig.strip() == '3', 'updatedb reinstalls the guard on a reference database')


def t_missing_admin_password(ctx):
    p = '/etc/x2go/x2gosql/passwords/pgadmin'
    os.rename(p, p + '.away')
    try:
        one_error(run([DBADMIN, '--listusers']), 'no pgadmin file', p)
    finally:
        os.rename(p + '.away', p)


TESTS = [(f.__name__, f) for f in (t_createdb, t_adduser, t_schema_is_reference, t_refusals,
                                    t_listusers, t_symlinked_home_file, t_groups_and_rmuser,
                                    t_updatedb, t_missing_admin_password)]
