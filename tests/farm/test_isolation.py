"""Isolation enforced by PostgreSQL itself: user B, with B's own role and
password, through psql and through every command, can neither read A's
cookie nor change A's rows."""
from pglib import cmd, START_ARGS, START_ENV, USERS, check, ok, read_pass, run

A, B = USERS[0], USERS[1]


def start(user, host=None):
    r = ok(run([cmd('x2gostartagent')] + START_ARGS, user=user, host=host, env=START_ENV),
           'x2gostartagent as %s' % user)
    lines = r.lines()
    check(len(lines) == 7, 'start prints 7 lines: %r' % r)
    return lines


def t_start_and_list(ctx):
    c = ctx['cluster']
    lines = start(A)
    ctx['sid'], ctx['cookie'] = lines[3], lines[1]
    r = ok(run([cmd('x2golistsessions')], user=A))
    f = r.lines()[0].split('|')
    check(len(r.lines()) == 1 and f[1] == ctx['sid'] and f[6] == ctx['cookie'] and f[4] == 'R',
          'A lists its session with its cookie: %r' % r)
    check(ok(run([cmd('x2golistsessions')], user=B)).out == b'', 'B lists nothing')
    host = f[3]
    check(ok(run([cmd('x2gogetservers')], user=B)).out.decode() == '%s 1' % host,
          'x2gogetservers prints "<host> <count>" for brokers')
    r = ok(run([cmd('x2golistsessions_root')]))
    check(ctx['sid'] in r.out.decode(), 'root lists every session: %r' % r)
    row = c.admin("SELECT creator_id, uname FROM sessions WHERE session_id='%s'" % ctx['sid'])
    check(row.strip() == 'x2gouser_%s|%s' % (A, A), 'row created by A\'s own role: %r' % row)
    ctx['before'] = c.snapshot()


ATTACKS = [
    "SELECT cookie FROM sessions",
    "SELECT * FROM sessions",
    "UPDATE sessions SET status='F'",
    "UPDATE sessions SET creator_id='x2gouser_%(b)s' WHERE session_id='%(sid)s'",
    "DELETE FROM sessions",
    "UPDATE servers_view SET status='T'",
    "DELETE FROM servers_view",
    "UPDATE sessions_view SET status='T' WHERE session_id='%(sid)s'",
    "DELETE FROM sessions_view",
    "UPDATE used_ports SET port=port+1",
    "DELETE FROM used_ports",
    "DELETE FROM ports_view",
    "UPDATE ports_view SET server='x'",
    "INSERT INTO mounts(session_id,path,client) VALUES('%(sid)s','/x','127.0.0.1')",
    "INSERT INTO used_ports(server,session_id,port) VALUES('h','%(sid)s',61999)",
    "INSERT INTO used_ports(server,port) VALUES('h',61998)",
    "INSERT INTO sessions(display,server,uname,session_id,agent_pid,status)"
    " VALUES(999,'h','%(a)s','%(a)s-999-1700000000_stDx_dp24',1,'T')",
    "INSERT INTO sessions(display,server,uname,session_id,creator_id)"
    " VALUES(998,'h','%(b)s','%(b)s-998-1700000000_stDx_dp24','x2gouser_%(a)s')",
    "TRUNCATE sessions",
    "ALTER TABLE sessions DISABLE TRIGGER x2go_guard",
    "DROP RULE update_sess_priv ON sessions",
    "SET ROLE x2gouser_%(a)s",
    "SELECT x2go_owns_session('%(sid)s')::text || cookie FROM sessions_view",
]


def t_psql_attacks(ctx):
    c = ctx['cluster']
    pw = read_pass(B)
    v = {'a': A, 'b': B, 'sid': ctx['sid']}
    for sql in ATTACKS:
        q = sql % v
        rc, out, err = c.psql(q, user='x2gouser_' + B, password=pw)
        check(ctx['cookie'] not in out, 'B read A\'s cookie with %r' % q)
        check(c.snapshot() == ctx['before'], 'B changed the database with %r' % q)
    rc, out, err = c.psql("SELECT count(*) FROM sessions_view", user='x2gouser_' + B,
                          password=pw)
    check(rc == 0 and out.strip() == '0', 'B sees no row through sessions_view')


def t_command_attacks(ctx):
    c = ctx['cluster']
    sid = ctx['sid']
    cmds = [[cmd('x2gosuspend-session'), sid], [cmd('x2goterminate-session'), sid],
            [cmd('x2goresume-session'), sid, '800x600', 'adsl', '16m-jpeg-9', 'null',
             'auto', '1', 'both'],
            [cmd('x2gochangestatus'), 'F', sid], [cmd('x2gogetstatus'), sid],
            [cmd('x2gogetagent'), sid], [cmd('x2gosuspend-agent'), sid],
            [cmd('x2gormforward'), sid], [cmd('x2golistsessions'), '--all-servers'],
            [cmd('x2golistshadowsessions'), '--all-servers'],
            [cmd('x2golistsessions_root')], [cmd('x2godbadmin'), '--listusers'],
            [cmd('x2goserver-run-extensions'), sid, 'pre-start']]
    for argv in cmds:
        r = run(argv, user=B, env=START_ENV)
        check(ctx['cookie'].encode() not in r.out + r.err, 'cookie leaked by %r' % r)
        check(c.snapshot() == ctx['before'], 'B changed A\'s row with %r' % r)
        if 'x2golistsessions' not in argv[0] and 'x2golistshadow' not in argv[0] \
                and 'extensions' not in argv[0]:
            check(r.rc != 0, 'B must be refused: %r' % r)


def t_owner_can(ctx):
    c = ctx['cluster']
    sid = ctx['sid']
    r = ok(run([cmd('x2gogetstatus'), sid], user=A))
    check(r.out.strip() == b'R', 'A reads its status: %r' % r)
    ok(run([cmd('x2goterminate-session'), sid], user=A))
    st = c.admin("SELECT status FROM sessions WHERE session_id='%s'" % sid).strip()
    check(st == 'F', 'terminated session is F: %r' % st)


TESTS = [(f.__name__, f) for f in (t_start_and_list, t_psql_attacks, t_command_attacks,
                                    t_owner_can)]
