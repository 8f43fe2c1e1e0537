"""PostgreSQL down, slow or restarting: one clear error within a bounded
time, nothing half-written; a start that fails midway leaves no row, no
port and no agent."""
import subprocess
import time

from pglib import cmd, START_ARGS, START_ENV, USERS, check, one_error, ok, run

A = USERS[0]
LIST = [cmd('x2golistsessions')]
START = [cmd('x2gostartagent')] + START_ARGS


def agents_of(user):
    p = subprocess.run(['pgrep', '-u', user, '-f', 'x2goagent|nxagent'], stdout=subprocess.PIPE)
    return p.stdout.split()


def no_new_agent(before, what):
    """No agent of A beyond those running before the test (an earlier
    test's may still be going away); a dying one gets 10 s on a loaded
    machine."""
    end = time.monotonic() + 10
    while set(agents_of(A)) - before and time.monotonic() < end:
        time.sleep(0.2)
    new = set(agents_of(A)) - before
    check(not new, '%s: %r' % (what, sorted(new)))


def own_rows(c, user=A):
    return c.admin("SELECT count(*) FROM sessions WHERE uname='%s' AND status<>'F'" % user).strip() \
        + '/' + c.admin("SELECT count(*) FROM used_ports p JOIN sessions s USING (session_id)"
                        " WHERE s.uname='%s' AND s.status<>'F'" % user).strip()


def t_slow(ctx):
    """A lock held elsewhere: lock_timeout ends the wait with one line."""
    c = ctx['cluster']
    before = c.snapshot()
    agents = set(agents_of(A))
    e = {'PGPASSWORD': c.admin_pw, 'PATH': '/usr/bin:/bin'}
    holder = subprocess.Popen(['psql', '-X', '-q', '-h', '127.0.0.1', '-p', str(c.port), '-U',
                               'postgres', '-d', 'x2go_sessions', '-c',
                               'BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE;'
                               ' SELECT pg_sleep(25); COMMIT;'], env=e,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        for argv in (LIST, START):
            r = run(argv, user=A, env=START_ENV, timeout=40)
            one_error(r, 'database locked (%s)' % argv[0])
            check(r.secs < 15, 'bounded wait on a locked database: %.1fs' % r.secs)
    finally:
        c.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE query LIKE '%pg_sleep(25)%' AND pid <> pg_backend_pid()")
        holder.wait()
    check(c.snapshot() == before, 'a start that waited in vain left something behind')
    no_new_agent(agents, 'no agent left after a failed start')


def t_down_and_back(ctx):
    c = ctx['cluster']
    before = c.snapshot()
    agents = set(agents_of(A))
    c.stop()
    try:
        for argv in (LIST, START, [cmd('x2golistsessions_root')]):
            r = run(argv, user=A if 'root' not in argv[0] else None, env=START_ENV)
            one_error(r, 'database down (%s)' % argv[0], 'cannot connect')
            check(r.secs < 8, 'database down: %.1fs' % r.secs)
    finally:
        c.start()
    check(c.snapshot() == before, 'nothing written while the database was down')
    no_new_agent(agents, 'no agent left after a failed start')
    ok(run(LIST, user=A))


def t_start_fails_midway(ctx):
    """The agent is up and its row reserved when the database refuses to
    take the agent in: the start undoes everything."""
    c = ctx['cluster']
    c.admin("CREATE FUNCTION x2go_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN IF NEW.agent_pid IS NOT NULL THEN RAISE EXCEPTION 'refused by test';"
            " END IF; RETURN NEW; END$$")
    c.admin("CREATE TRIGGER x2go_test_refuse BEFORE UPDATE ON sessions FOR EACH ROW"
            " EXECUTE FUNCTION x2go_test_refuse()")
    try:
        rows = own_rows(c)
        agents = set(agents_of(A))
        r = run(START, user=A, env=START_ENV, timeout=40)
        check(r.rc != 0 and r.out == b'', 'start must fail: %r' % r)
        check(b'refused by test' in r.err, 'the cause is named: %r' % r)
        check(own_rows(c) == rows, 'rows/ports left by a failed start: %s -> %s'
              % (rows, own_rows(c)))
        no_new_agent(agents, 'agent left running after a failed start')
    finally:
        c.admin('DROP TRIGGER x2go_test_refuse ON sessions')
        c.admin('DROP FUNCTION x2go_test_refuse()')


TESTS = [(f.__name__, f) for f in (t_slow, t_down_and_back, t_start_fails_midway)]
