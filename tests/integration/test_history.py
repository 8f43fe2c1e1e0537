"""The session history (x2gosessionhistory): every start, resume (with the
client's address), suspend, terminate and failure recorded once and in
order by the database, whoever writes; printed with filters as aligned
text and as JSON; pruned by [history] retention; unreadable and
unwritable for ordinary users; added to an old database by --updatedb."""

import calendar
import json
import os
import time

from itlib import (DB, FAKE_HOST, HELPER, HOST, SERVER_CONF, USER_A, USER_B, PrivateDB,
                   Sessions, check, eq, fix_db_perms, make_reference_db, ok, one_error_line,
                   replaced_file, run, sql, status_of, unchanged)
from test_outputs import CLIENT_IP, RESUME_ARGS, agent_gone, cmd, kill_agents, start

HISTORY = '/usr/sbin/x2gosessionhistory'
COLUMNS = ['TIME', 'EVENT', 'USER', 'HOST', 'CLIENT', 'DISPLAY', 'SESSION']


def history(*args, runner=run):
    return json.loads(ok(runner([HISTORY, '--json'] + list(args)), 'history').out)


def new_events(since, before):
    """The events since a time, less the first `before` of them: those
    recorded after they were counted (oldest first, and a new event never
    sorts before an older one). Ids repeat across tests (same display,
    same second), so a test looks at its own events only."""
    return history('--since', '@%d' % since)[before:]


def wait_for(pred, what, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError('timed out waiting for ' + what)


def test_lifecycle_recorded_once_in_order():
    t0 = int(time.time())
    with Sessions() as s:
        before = len(history('--since', '@%d' % t0))
        try:
            # A real start (nxagent) and its termination.
            r = ok(start(), 'x2gostartagent')
            lines = r.out.decode().split('\n')
            real, real_display, real_pid = lines[3], int(lines[0]), int(lines[2])
            s.sids.append(real)
            ok(cmd(USER_A, ['x2goterminate-session', real]), 'terminate')
            check(agent_gone(real_pid), 'agent of %s alive after terminate' % real)
        finally:
            kill_agents(USER_A)
        # Suspend and resume with an agent that answers its signals; the
        # resume comes from the client at CLIENT_IP.
        a = s.add(USER_A, agent='answering', state='RUNNING', client='10.0.0.9')
        ok(cmd(USER_A, ['x2gosuspend-session', a['sid']]), 'suspend')
        s.options(USER_A, a)
        ok(cmd(USER_A, ['x2goresume-session', a['sid']] + RESUME_ARGS), 'resume')
        ok(cmd(USER_A, ['x2goterminate-session', a['sid']]), 'terminate')
        # An agent that dies: the list (or the daemon first) marks it failed.
        b = s.add(USER_B, agent='live', state='RUNNING', client='10.0.0.10')
        os.kill(b['agent_pid'], 9)
        wait_for(lambda: not os.path.exists('/proc/%d' % b['agent_pid']) or
                 open('/proc/%d/stat' % b['agent_pid']).read().split(') ')[1][0] == 'Z',
                 'the agent to die')
        run(['x2golistsessions'], user=USER_B)
        wait_for(lambda: status_of(b['sid']) in ('F', None), 'the dead session to be failed')
        full = [e for e in new_events(t0, before)
                if e['session_id'] in (real, a['sid'], b['sid'])]
        got = [(e['event'], e['session_id'], e['client'], e['display']) for e in full]
        d = a['display']
        eq(got, [('start', real, CLIENT_IP, real_display),
                 ('terminate', real, CLIENT_IP, real_display),
                 ('start', a['sid'], '10.0.0.9', d),
                 ('suspend', a['sid'], '10.0.0.9', d),
                 ('resume', a['sid'], CLIENT_IP, d),
                 ('terminate', a['sid'], CLIENT_IP, d),
                 ('start', b['sid'], '10.0.0.10', b['display']),
                 ('failure', b['sid'], '10.0.0.10', b['display'])], 'history of the sessions')
        # Each event carries user and host; the text form has the same rows.
        eq({(e['user'], e['host']) for e in full}, {(USER_A, HOST), (USER_B, HOST)}, 'users, hosts')
        rows = text_rows(ok(run([HISTORY, '--since', '@%d' % t0]), 'history text'))[before:]
        mine = [r for r in rows if r['SESSION'] in (real, a['sid'], b['sid'])]
        eq([(r['TIME'], r['EVENT'], r['USER'], r['HOST'], r['CLIENT'], r['DISPLAY'], r['SESSION'])
            for r in mine],
           [(e['time'], e['event'], e['user'], e['host'], e['client'] or '-', str(e['display']),
             e['session_id']) for e in full], 'text rows against JSON')


def test_failed_start_is_a_failure():
    t0 = int(time.time())
    with Sessions():
        before = len(history('--since', '@%d' % t0))
        try:
            r = start(X2GO_NXAGENT_OPTIONS='-no-such-nxagent-option')
        finally:
            kill_agents(USER_A)
        eq(r.rc, 12, 'exit status of a start whose agent dies')
        got = [(e['event'], e['session_id']) for e in new_events(t0, before)
               if e['user'] == USER_A]
        # The agent died before or after its row was filled in.
        sids = {sid for _, sid in got}
        eq(len(sids), 1, 'sessions of the failed start in %r' % got)
        check([e for e, _ in got] in (['failure'], ['start', 'failure']),
              'events of a failed start: %r' % got)


def text_rows(r):
    """The aligned text: every column starts where its header starts."""
    lines = r.out.decode().splitlines()
    head = lines[0]
    eq(head.split(), COLUMNS, 'header')
    starts = [head.index(c) for c in COLUMNS]
    rows = []
    for line in lines[1:]:
        cells = [line[b:e].rstrip() for b, e in zip(starts, starts[1:] + [None])]
        check(all(cells) and all(line[b - 2:b] == '  ' for b in starts[1:]),
              'line not aligned with the header %r: %r' % (head, line))
        check(not line.endswith(' '), 'trailing blank: %r' % line)
        rows.append(dict(zip(COLUMNS, cells)))
    return rows


def seed(pdb, rows):
    """Events written straight into a private database (times are Unix
    seconds)."""
    for t, ev, user, host in rows:
        sql('INSERT INTO x2go_history(time,event,session_id,uname,server,client,display)'
            ' VALUES(?,?,?,?,?,?,?)', (t, ev, '%s-60-%d_stDXFCE_dp24' % (user, t), user, host,
                                        '10.1.1.1', 60), path=pdb.db)


def private_history(pdb, *args, conf=None):
    text = open(SERVER_CONF).read() + ('\n' + conf if conf else '')
    with replaced_file(SERVER_CONF, text):
        return pdb.run([HISTORY] + list(args))


def test_filters_by_user_host_and_time():
    now = int(time.time())
    with PrivateDB() as pdb:
        ok(pdb.run(['/usr/sbin/x2godbadmin', '--createdb']), 'createdb')
        seed(pdb, [(now - 3 * 86400, 'start', USER_A, HOST), (now - 2 * 86400, 'suspend', USER_A,
                                                               HOST),
                   (now - 86400, 'start', USER_B, FAKE_HOST), (now - 60, 'resume', USER_A, HOST)])

        def got(*args):
            r = ok(private_history(pdb, '--json', *args), 'history %s' % ' '.join(args))
            return [(e['event'], e['user'], e['host'], e['epoch']) for e in json.loads(r.out)]

        every = got()
        eq([e[3] for e in every], [now - 3 * 86400, now - 2 * 86400, now - 86400, now - 60],
           'all events, oldest first')
        eq(got('--user', USER_B), [every[2]], '--user')
        eq(got('--host', HOST), [every[0], every[1], every[3]], '--host')
        eq(got('--host', FAKE_HOST, '--user', USER_A), [], '--host and --user')
        eq(got('--since', '36h'), every[2:], '--since 36h')
        eq(got('--since', '@%d' % (now - 2 * 86400), '--until', '@%d' % (now - 86400)),
           every[1:3], '--since/--until inclusive')
        day = time.strftime('%Y-%m-%d', time.gmtime(now - 3 * 86400))
        end = calendar.timegm(time.strptime(day + ' 23:59:59', '%Y-%m-%d %H:%M:%S'))
        eq(got('--until', day + 'T23:59:59Z'), [e for e in every if e[3] <= end],
           '--until a date (UTC)')
        eq(got('--since', day), [e for e in every if e[3] >= end - 86399], '--since a date')
        rows = text_rows(ok(private_history(pdb, '--user', USER_A), 'text'))
        eq([(r['EVENT'], r['USER'], r['CLIENT'], r['DISPLAY']) for r in rows],
           [(e, USER_A, '10.1.1.1', '60') for e in ('start', 'suspend', 'resume')],
           'text rows of --user')


def test_retention_prunes_old_events():
    now = int(time.time())
    with PrivateDB() as pdb:
        ok(pdb.run(['/usr/sbin/x2godbadmin', '--createdb']), 'createdb')
        seed(pdb, [(now - 100 * 86400, 'start', USER_A, HOST), (now - 7200, 'start', USER_B, HOST),
                   (now - 1200, 'suspend', USER_B, HOST)])

        def users(conf):
            r = ok(private_history(pdb, '--json', conf=conf), 'history with %r' % conf)
            return [(e['user'], e['epoch']) for e in json.loads(r.out)]

        # The default keeps 90 days; 0 keeps everything.
        eq(users('[history]\nretention=0\n'), [(USER_A, now - 100 * 86400),
                                                (USER_B, now - 7200), (USER_B, now - 1200)],
           'retention 0')
        eq(users(None), [(USER_B, now - 7200), (USER_B, now - 1200)], 'default retention 90d')
        eq(users('[history]\nretention=1h\n'), [(USER_B, now - 1200)], 'retention 1h')
        eq(sql('SELECT retention FROM x2go_history_conf', path=pdb.db), [(3600,)], 'stored')
        # A new event prunes by itself what fell out of the retention.
        sql('UPDATE x2go_history_conf SET retention=600', path=pdb.db)
        sql("INSERT INTO sessions(session_id,display,uname,server,agent_pid,status)"
            " VALUES('x',61,'x2gohistnew','h',5,'R')", path=pdb.db)
        eq(sql('SELECT uname FROM x2go_history', path=pdb.db), [('x2gohistnew',)],
           'events after a new one with a retention of 10 min')
        # A broken value is named and changes nothing.
        r = private_history(pdb, '--json', conf='[history]\nretention=forever\n')
        line = one_error_line(r, 'history with a broken retention')
        check(SERVER_CONF in line and 'retention' in line, 'error line %r' % line)
        eq(sql('SELECT retention FROM x2go_history_conf', path=pdb.db), [(600,)], 'kept')


def test_users_cannot_read_or_write_the_history():
    with Sessions() as s:
        s.add(USER_A, agent='live', state='RUNNING')
        before = sql('SELECT count(*) FROM x2go_history')
        for argv in ([HISTORY], [HISTORY, '--json'], ['/usr/sbin/x2gometrics']):
            line = one_error_line(run(argv, user=USER_A), 'as a user')
            check('root' in line, 'refusal of %s as a user: %r' % (argv[0], line))
        # The database file itself is closed to users.
        for q in ('SELECT * FROM x2go_history', 'DELETE FROM x2go_history',
                  "INSERT INTO x2go_history(time,event,session_id,uname,server)"
                  " VALUES(1,'start','x','y','z')"):
            r = run(['/usr/bin/sqlite3', DB, q], user=USER_A)
            check(r.rc != 0 and r.out == b'', 'sqlite3 as a user did %r: %r' % (q, r))
        # The store server has no operation that reads or writes it.
        for op in (['history'], ['history', USER_B], ['usage']):
            r = run([HELPER] + op, user=USER_A)
            check(r.rc == 3 and b'unknown operation' in r.err, 'store server op %s: %r' % (op, r))
        eq(sql('SELECT count(*) FROM x2go_history'), before, 'events after the attempts')


def test_bad_input_one_line_nothing_changed():
    for args in (['--user'], ['--user', 'bad;user'], ['--host', 'bad host'], ['--since', 'soon'],
                 ['--until', '2023-02-30'], ['--since', '@20', '--until', '@10'],
                 ['--json', '--json'], ['--verbose'], ['alice']):
        r = unchanged(lambda: run([HISTORY] + args), 'history %r' % args)
        one_error_line(r, 'history %r' % args)
        eq(r.rc, 2, 'exit status of history %r' % args)


def test_updatedb_adds_the_history_to_an_old_database():
    with PrivateDB() as pdb:
        make_reference_db(pdb.db)
        fix_db_perms(pdb.db)
        sql("INSERT INTO sessions(session_id,display,uname,server,agent_pid,status,client)"
            " VALUES('kept',62,'x2gohistold','h',7,'R','10.2.2.2')", path=pdb.db)
        r = pdb.run([HISTORY])
        check(r.rc == 1 and 'x2godbadmin --updatedb' in one_error_line(r), 'before update: %r' % r)
        ok(pdb.run(['/usr/sbin/x2godbadmin', '--updatedb']), 'updatedb')
        eq(sql('SELECT session_id, status FROM sessions', path=pdb.db), [('kept', 'R')], 'rows')
        sql("UPDATE sessions SET status='S' WHERE session_id='kept'", path=pdb.db)
        r = ok(private_history(pdb, '--json'), 'history after update')
        eq([(e['event'], e['session_id'], e['client']) for e in json.loads(r.out)],
           [('suspend', 'kept', '10.2.2.2')], 'events after update')
        ok(pdb.run(['/usr/sbin/x2godbadmin', '--updatedb']), 'second updatedb')
        eq(len(sql('SELECT * FROM x2go_history', path=pdb.db)), 1, 'events kept by updatedb')
