"""Bad input on PostgreSQL: unreachable host, wrong or missing password,
a password file others can read, a database of another schema. Each
gives one clear error line, empty stdout, and changes nothing."""
import os
import pwd
import shutil
import socket

from pglib import (DBHOST, cmd, START_ARGS, START_ENV, USERS, check, one_error, ok, passfile, run,
                   write_sql_conf)

A = USERS[0]
LIST = [cmd('x2golistsessions')]
START = [cmd('x2gostartagent')] + START_ARGS


def both_fail(ctx, what, want, users=(A,)):
    """List and start fail with one line each; the database is unchanged."""
    c = ctx['cluster']
    before = c.snapshot()
    for u in users:
        for argv in (LIST, START):
            r = run(argv, user=u, env=START_ENV, timeout=30)
            one_error(r, '%s (%s)' % (what, argv[0]), want)
            check(r.secs < 12, '%s: bounded time, took %.1fs' % (what, r.secs))
    check(c.snapshot() == before, '%s changed the database' % what)


def t_unreachable_port(ctx):
    write_sql_conf(ctx['cluster'], port=1)
    try:
        both_fail(ctx, 'closed port', 'cannot connect to the PostgreSQL session database')
    finally:
        write_sql_conf(ctx['cluster'])


def t_silent_server(ctx):
    """A server that accepts the connection and never answers:
    connect_timeout bounds the wait."""
    s = socket.socket()
    s.bind((DBHOST, 0))
    s.listen(16)
    write_sql_conf(ctx['cluster'], port=s.getsockname()[1])
    try:
        r = run(LIST, user=A, timeout=30)
        one_error(r, 'silent server', 'cannot connect')
        check(8 < r.secs < 14, 'silent server: %.1fs (connect_timeout is 10 s)' % r.secs)
    finally:
        s.close()
        write_sql_conf(ctx['cluster'])


def with_passfile(ctx, text, mode, want, what):
    p = passfile(A)
    pw = pwd.getpwnam(A)
    shutil.copy2(p, p + '.keep')
    try:
        if text is None:
            os.unlink(p)
        else:
            with open(p, 'w') as f:
                f.write(text)
            os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chmod(p, mode)
        both_fail(ctx, what, want)
    finally:
        os.replace(p + '.keep', p)
        os.chown(p, pw.pw_uid, pw.pw_gid)


def t_wrong_password(ctx):
    with_passfile(ctx, 'wrongwrongwrong\n', 0o600, 'password authentication failed',
                  'wrong password')


def t_missing_password_file(ctx):
    with_passfile(ctx, None, 0, 'x2godbadmin --adduser', 'missing password file')


def t_password_file_readable_by_others(ctx):
    with open(passfile(A)) as f:
        pw = f.read()
    with_passfile(ctx, pw, 0o644, 'can be read by others', 'password file mode 644')


def t_password_file_symlink(ctx):
    p = passfile(A)
    os.rename(p, p + '.keep')
    os.symlink('/etc/shadow', p)
    try:
        both_fail(ctx, 'password file is a symlink', 'cannot read the PostgreSQL password file')
    finally:
        os.unlink(p)
        os.rename(p + '.keep', p)


def t_bad_config(ctx):
    c = ctx['cluster']
    with open('/etc/x2go/x2gosql/sql', 'w') as f:
        f.write('backend=postgres\n[postgres]\nhost=127.0.0.1\nport=5x\n')
    try:
        both_fail(ctx, 'bad port in config', '[postgres] port is not valid')
    finally:
        write_sql_conf(c)


def t_root_admin_password_mode(ctx):
    p = '/etc/x2go/x2gosql/passwords/x2gopgadmin'
    os.chmod(p, 0o644)
    try:
        one_error(run([cmd('x2golistsessions_root')]), 'x2gopgadmin 644',
                  'can be read by others')
    finally:
        os.chmod(p, 0o600)
    ok(run([cmd('x2golistsessions_root')]))


def t_wrong_schema(ctx):
    """x2go_sessions exists but holds something else."""
    c = ctx['cluster']
    c.admin('ALTER DATABASE x2go_sessions RENAME TO x2go_sessions_real', db='postgres')
    c.admin('CREATE DATABASE x2go_sessions', db='postgres')
    c.admin('GRANT CONNECT ON DATABASE x2go_sessions TO PUBLIC', db='postgres')
    c.admin('CREATE TABLE sessions(id int)')
    try:
        for u in (A, 'root'):
            argv = LIST if u == A else [cmd('x2golistsessions_root')]
            one_error(run(argv, user=u), 'wrong schema as %s' % u,
                      'is not an X2Go session database')
        r = run(START, user=A, env=START_ENV)
        one_error(r, 'start on a wrong schema', 'is not an X2Go session database')
        check(c.admin('SELECT count(*) FROM sessions').strip() == '0', 'nothing written')
    finally:
        c.admin('DROP DATABASE x2go_sessions', db='postgres')
        c.admin('ALTER DATABASE x2go_sessions_real RENAME TO x2go_sessions', db='postgres')


TESTS = [(f.__name__, f) for f in (t_unreachable_port, t_silent_server, t_wrong_password,
                                    t_missing_password_file, t_password_file_readable_by_others,
                                    t_password_file_symlink, t_bad_config,
                                    t_root_admin_password_mode, t_wrong_schema)]
