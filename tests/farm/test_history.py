"""The session history and the metrics on PostgreSQL: the trigger records
what every writer does (our commands, a user's own role through psql,
root), in order, with the client's address; the users' roles can neither
read nor write the history; retention; --updatedb brings the history
back; x2gometrics counts what the database holds."""
import json
import os
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from pglib import START_ARGS, START_ENV, USERS, check, cmd, ok, one_error, read_pass, run

A, B = USERS[0], USERS[1]
HOST = 'x2gofarmh1'
ROOT_PASS = '/etc/x2go/x2gosql/passwords/x2gopgadmin'


def history(*args):
    return json.loads(ok(run([cmd('x2gosessionhistory'), '--json'] + list(args))).out)


def start(user):
    r = ok(run([cmd('x2gostartagent')] + START_ARGS, user=user, host=HOST, env=START_ENV),
           'x2gostartagent as %s' % user)
    return r.lines()[3], int(r.lines()[0])


def events(sid):
    return [(e['event'], e['client'], e['host'], e['user']) for e in history()
            if e['session_id'] == sid]


def t_lifecycle_by_every_writer(ctx):
    c = ctx['cluster']
    sid, display = start(A)
    ctx['sid'] = sid
    # x2gochangestatus as A (A's role, through sessions_view), a resume
    # written by A's role with psql, the end by x2goterminate-session.
    ok(run([cmd('x2gochangestatus'), 'S', sid], user=A, host=HOST), 'suspend request')
    rc, out, err = c.psql("UPDATE sessions_view SET status='R', client='10.9.9.9'"
                          " WHERE session_id='%s'" % sid, user='x2gouser_' + A,
                          password=read_pass(A))
    check(rc == 0, 'resume written by the user\'s role: %s' % err)
    ok(run([cmd('x2goterminate-session'), sid], user=A, host=HOST, env=START_ENV), 'terminate')
    who = (HOST, A)
    got = events(sid)
    check(got == [('start', '127.0.0.1') + who, ('suspend', '127.0.0.1') + who,
                  ('resume', '10.9.9.9') + who, ('terminate', '10.9.9.9') + who],
          'history of %s: %r' % (sid, got))
    check(all(e['display'] == display for e in history() if e['session_id'] == sid),
          'display of the events')
    # Root's role (x2godbuser, as the reference's root commands use it):
    # a failed session, then its row deleted (no second event); a live
    # row deleted ends the session.
    sid2, _ = start(B)
    sid3, _ = start(B)
    with open(ROOT_PASS) as f:
        pw = f.readline().strip()
    for sql in ("UPDATE sessions SET status='F' WHERE session_id='%s'" % sid2,
                "DELETE FROM used_ports WHERE session_id IN ('%s','%s')" % (sid2, sid3),
                "DELETE FROM sessions WHERE session_id IN ('%s','%s')" % (sid2, sid3)):
        rc, out, err = c.psql(sql, user='x2godbuser', password=pw)
        check(rc == 0, '%s as x2godbuser: %s' % (sql, err))
    got = [[e[0] for e in events(s)] for s in (sid2, sid3)]
    check(got == [['start', 'failure'], ['start', 'terminate']], 'history: %r' % got)
    r = ok(run([cmd('x2gosessionhistory'), '--user', B, '--host', HOST]))
    rows = [l.split() for l in r.lines()]
    check(rows[0] == ['TIME', 'EVENT', 'USER', 'HOST', 'CLIENT', 'DISPLAY', 'SESSION'] and
          [(x[1], x[6]) for x in rows[1:] if x[6] == sid2] == [('start', sid2), ('failure', sid2)]
          and all(x[2] == B for x in rows[1:]), 'text history of B: %r' % r.lines())
    check(history('--user', A, '--host', 'x2gonosuchhost') == [], 'filter by host')


USER_SQL = [
    "SELECT * FROM x2go_history",
    "SELECT count(*) FROM x2go_history",
    "SELECT * FROM x2go_history_conf",
    "INSERT INTO x2go_history(event,session_id,uname,server) VALUES('start','x','y','z')",
    "UPDATE x2go_history SET uname='x'",
    "DELETE FROM x2go_history",
    "TRUNCATE x2go_history",
    "UPDATE x2go_history_conf SET retention=1",
    "DELETE FROM x2go_history_conf",
    "SELECT x2go_history_record()",
    "DROP TRIGGER x2go_history ON sessions",
    "ALTER TABLE sessions DISABLE TRIGGER x2go_history",
    "CREATE OR REPLACE FUNCTION x2go_history_record() RETURNS trigger LANGUAGE plpgsql"
    " AS $$BEGIN RETURN NULL; END$$",
]


def t_users_cannot_read_or_write(ctx):
    c = ctx['cluster']
    before = c.admin("SELECT * FROM x2go_history ORDER BY id") + \
        c.admin("SELECT * FROM x2go_history_conf")
    check(A in before, 'history holds events of A: %r' % before[:200])
    for sql in USER_SQL:
        rc, out, err = c.psql(sql, user='x2gouser_' + B, password=read_pass(B))
        check(rc != 0 and out == '', 'B\'s role ran %r: %r %r' % (sql, out, err))
    after = c.admin("SELECT * FROM x2go_history ORDER BY id") + \
        c.admin("SELECT * FROM x2go_history_conf")
    check(after == before, 'the history changed by B\'s attempts')
    for argv in ([cmd('x2gosessionhistory')], [cmd('x2gometrics')]):
        one_error(run(argv, user=B), 'as a user', 'root')


def t_retention(ctx):
    c = ctx['cluster']
    c.admin("INSERT INTO x2go_history(time,event,session_id,uname,server) VALUES"
            " (now() - interval '100 days','start','old','x2gohistold','h'),"
            " (now() - interval '10 days','start','young','x2gohistold','h')")
    c.admin("DELETE FROM x2go_history_conf")  # as if the setting had changed
    got = [e['session_id'] for e in history('--user', 'x2gohistold')]
    check(got == ['young'], 'the default retention (90 days) keeps: %r' % got)
    check(c.admin("SELECT retention FROM x2go_history_conf").strip() == str(90 * 86400),
          'retention stored')


def t_updatedb_brings_it_back(ctx):
    c = ctx['cluster']
    c.admin("DROP TRIGGER x2go_history ON sessions; DROP FUNCTION x2go_history_record();"
            " DROP TABLE x2go_history, x2go_history_conf")
    before = c.snapshot()
    ok(run([cmd('x2godbadmin'), '--updatedb']), 'updatedb')
    check(c.snapshot() == before, 'updatedb changed the sessions')
    sid, _ = start(A)
    ok(run([cmd('x2goterminate-session'), sid], user=A, host=HOST, env=START_ENV), 'terminate')
    got = [e[0] for e in events(sid)]
    check(got == ['start', 'terminate'], 'history after updatedb: %r' % got)


def t_metrics_match_the_database(ctx):
    c = ctx['cluster']
    sids = [start(A)[0], start(B)[0]]
    ok(run([cmd('x2gochangestatus'), 'S', sids[1]], user=B, host=HOST), 'suspend request')
    for _ in range(5):  # a daemon may change rows meanwhile
        r = ok(run([cmd('x2gometrics')], host=HOST), 'x2gometrics')
        got = {}
        for fam in text_string_to_metric_families(r.out.decode()):
            for s in fam.samples:
                got[(s.name,) + tuple(sorted(s.labels.values()))] = s.value
        want = {('x2go_sessions', st): 0 for st in 'RSTF'}
        for line in c.admin("SELECT status, uname, count(*) FROM sessions WHERE server='%s'"
                            " AND agent_pid IS NOT NULL GROUP BY 1, 2" % HOST).split():
            st, user, n = line.split('|')
            want[('x2go_sessions', st)] += int(n)
            want[('x2go_user_sessions', st, user)] = int(n)
        want[('x2go_displays_used',)] = int(c.admin("SELECT count(*) FROM sessions"))
        want[('x2go_ports_used',)] = int(c.admin("SELECT count(*) FROM used_ports"))
        have = {k: v for k, v in got.items() if k in want or k[0] == 'x2go_user_sessions'}
        if have == want:
            break
        time.sleep(0.5)
    check(have == want, 'metrics %r, database %r' % (have, want))
    check(want[('x2go_user_sessions', 'S', B)] >= 1, 'the suspended session counted')
    for sid in sids:
        ok(run([cmd('x2goterminate-session'), sid], user=sid.split('-')[0], host=HOST,
               env=START_ENV), 'terminate')


def cleanup(ctx):
    for u in (A, B):  # the agents of the deleted rows
        run(['pkill', '-KILL', '-u', u])


TESTS = [(f.__name__, f) for f in (t_lifecycle_by_every_writer, t_users_cannot_read_or_write,
                                    t_retention, t_updatedb_brings_it_back,
                                    t_metrics_match_the_database)]
