"""x2golistsessions, x2golistshadowsessions, x2golistsessions_root and
x2golistsessions_sql against seeded rows (spec 2.1.6-2.1.8, 1.4, Appendix
A item 4; fixes of 8.2 items 10 and 18)."""

import os

from itlib import (FAKE_HOST, HOST, LIB, USER_A, USER_B, PrivateDB, Sessions, age_now, by_sid,
                   check, daemon_running, db, eq, lines_of, match_line, of_user, ok, row, run,
                   run_on_fake_host, status_of, unchanged)

LIST = '/usr/bin/x2golistsessions'
SHADOW = '/usr/bin/x2golistshadowsessions'
ROOT = '/usr/sbin/x2golistsessions_root'
SQL = LIB + '/x2golistsessions_sql'


def _ages(infos):
    lo = min(age_now(i['init_time']) for i in infos)
    return (lo - 10, lo + 30)


def test_each_user_sees_only_own_sessions():
    with Sessions() as s:
        a_run = s.add(USER_A, 'R', state='RUNNING')
        a_susp = s.add(USER_A, 'S', state='SUSPENDED')
        a_fin = s.add(USER_A, 'F')
        a_shadow = s.add(USER_A, 'R', cmd='1XSHAD%sXSHADPP50' % USER_B, typ='S')
        a_nopid = s.add(USER_A, 'R', agent=None)
        a_nostate = s.add(USER_A, 'R')  # running, no state file yet
        b_run = s.add(USER_B, 'R', state='RUNNING')
        b_susp = s.add(USER_B, 'S', state='SUSPENDED')

        # Nothing needs reconciling: listing leaves the database untouched.
        r = ok(unchanged(lambda: run([LIST], user=USER_A), 'x2golistsessions as A'))
        lines = lines_of(r)
        got = by_sid(lines)
        eq(sorted(got), sorted([a_run['sid'], a_susp['sid'], a_nostate['sid']]),
           "sessions listed for A")
        # S before R (status descending)
        eq(lines[0].split('|')[1], a_susp['sid'], 'first line is the suspended session')
        ages = _ages([a_run])
        match_line(got[a_run['sid']], a_run, age_range=ages)
        match_line(got[a_susp['sid']], a_susp, age_range=ages)
        match_line(got[a_nostate['sid']], a_nostate, age_range=ages)
        for l in lines:
            check(USER_B not in l.split('|')[11], 'A sees a row of B: %s' % l)
            check(l.split('|')[0] != '', 'row without agent pid listed: %s' % l)
        for hidden in (a_fin, a_shadow, a_nopid):
            check(hidden['sid'] not in r.out.decode(), '%s listed' % hidden['sid'])

        r = ok(unchanged(lambda: run([LIST], user=USER_B), 'x2golistsessions as B'))
        lines = lines_of(r)
        eq([l.split('|')[1] for l in lines], [b_susp['sid'], b_run['sid']], 'B sees B only')
        match_line(lines[0], b_susp, age_range=ages)
        match_line(lines[1], b_run, age_range=ages)
        check(b'%s' % USER_A.encode() not in r.out, 'B sees something of A')
        check(a_run['cookie'].encode() not in r.out, "B sees A's cookie")


def test_explicit_server_and_all_servers():
    with Sessions() as s:
        here = s.add(USER_A, 'R', state='RUNNING')
        there = s.add(USER_A, 'S', server='itfarmhost2')  # another host of a farm
        ages = _ages([here])
        r = ok(run([LIST], user=USER_A))
        eq([l.split('|')[1] for l in lines_of(r)], [here['sid']], 'default server')
        r = ok(run([LIST, HOST], user=USER_A))
        eq([l.split('|')[1] for l in lines_of(r)], [here['sid']], 'explicit own host')
        r = ok(run([LIST, 'itfarmhost2'], user=USER_A))
        lines = lines_of(r)
        eq([l.split('|')[1] for l in lines], [there['sid']], 'other host')
        # another host's agent cannot be checked from here: shown as stored
        match_line(lines[0], there, age_range=ages)
        r = ok(run([LIST, '--all-servers'], user=USER_A))
        lines = lines_of(r)
        eq([l.split('|')[1] for l in lines], [there['sid'], here['sid']], '--all-servers')
        r = ok(run([LIST, 'nosuchhost'], user=USER_A))
        eq(r.out, b'', 'unknown host lists nothing')
        eq(status_of(there['sid']), 'S', 'row of another host untouched')


def test_no_sessions_prints_nothing():
    with Sessions():
        for cmd in (LIST, SHADOW):
            r = ok(run([cmd], user=USER_A))
            eq(r.out, b'', '%s with no sessions' % cmd)


def test_dead_agent_not_shown_and_marked_F():
    with Sessions() as s:
        dead_r = s.add(USER_A, 'R', agent='dead', state='RUNNING')
        dead_s = s.add(USER_A, 'S', agent='dead', state='SUSPENDED')
        starting = s.add(USER_A, 'R', agent='dead', state='STARTING')
        foreign = s.add(USER_A, 'R', agent=1, state='RUNNING')  # pid 1: not A's agent
        # a live process of A, but the agent of another session
        other = s.add(USER_A, 'R', state='RUNNING')
        wrong = s.add(USER_A, 'R', agent=other['agent_pid'], state='RUNNING')
        b_dead = s.add(USER_B, 'R', agent='dead')
        victims = (dead_r, dead_s, starting, foreign, wrong)
        # A clean-up daemon, when one runs, sets these F and deletes them
        # itself, often before we list: then "gone" is the right answer too.
        gone = ('F', None) if daemon_running() else ('F',)

        # B's listing must not touch A's rows: B cannot verify A's agents,
        # so a listing that strayed into A's rows would mark them F.
        r = ok(run([LIST], user=USER_B))
        eq(r.out, b'', "B's list with only a dead session")
        eq(status_of(other['sid']), 'R', "A's live row after B listed")
        check(status_of(b_dead['sid']) in gone, "B's dead row: %r" % status_of(b_dead['sid']))

        r = ok(run([LIST], user=USER_A))
        eq([l.split('|')[1] for l in lines_of(r)], [other['sid']], 'only the live agent')
        for v in victims:
            check(status_of(v['sid']) in gone, 'dead agent row %s: status %r'
                  % (v['sid'], status_of(v['sid'])))
        eq(status_of(other['sid']), 'R', 'live agent row')
        # a second listing is stable (but for the age field)
        r2 = ok(run([LIST], user=USER_A))
        eq(_without_age(r2), _without_age(r), 'second listing')


def _without_age(r):
    return [l.split('|')[:12] + l.split('|')[13:] for l in lines_of(r)]


def test_state_file_reconciliation():
    with Sessions() as s:
        r2s = s.add(USER_A, 'R', state='SUSPENDED')
        r2s_ing = s.add(USER_A, 'R', state='SUSPENDING')
        s2r = s.add(USER_A, 'S', state='RUNNING')
        s2r_res = s.add(USER_A, 'S', state='RESUMING')
        keep_r = s.add(USER_A, 'R', state='TERMINATING')
        keep_s = s.add(USER_A, 'S')  # no state file: UNKNOWN keeps S
        ages = _ages([r2s])
        r = ok(run([LIST], user=USER_A))
        got = by_sid(lines_of(r))
        eq(len(got), 6, 'all six listed')
        for info, want in ((r2s, 'S'), (r2s_ing, 'S'), (s2r, 'R'), (s2r_res, 'R'),
                           (keep_r, 'R'), (keep_s, 'S')):
            match_line(got[info['sid']], info, status=want, age_range=ages,
                       last_times=[row(info['sid'])[7]])
            eq(status_of(info['sid']), want, 'DB status of %s' % info['sid'])
        # last_time moves with a status change only
        check(row(keep_s['sid'])[7] == keep_s['last_time'], 'unchanged row kept last_time')


def test_state_file_of_someone_else_is_ignored():
    """A state dir not owned by the user (planted) does not steer the
    status."""
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        s.state(USER_A, a['sid'], 'SUSPENDED')
        os.chown('/tmp/.x2go-%s/C-%s' % (USER_A, a['sid']), 0, 0)
        r = ok(run([LIST], user=USER_A))
        lines = lines_of(r)
        eq(len(lines), 1, 'one line')
        match_line(lines[0], a, status='R')
        eq(status_of(a['sid']), 'R', 'status untouched')


def test_shadow_list():
    with Sessions() as s:
        sh = s.add(USER_A, 'R', cmd='1XSHAD%sXSHADPP50' % USER_B, typ='S', state='RUNNING')
        sh_f = s.add(USER_A, 'F', cmd='0XSHAD%sXSHADPP51' % USER_B, typ='S')
        normal = s.add(USER_A, 'R', state='RUNNING')
        r = ok(run([SHADOW], user=USER_A))
        lines = lines_of(r)
        eq(len(lines), 1, 'one shadow session listed')
        match_line(lines[0], sh, nfields=14, age_range=_ages([sh]))
        check(normal['sid'] not in r.out.decode() and sh_f['sid'] not in r.out.decode(),
              'shadow list holds only non-F shadow rows')
        r = ok(run([SHADOW], user=USER_B))
        eq(r.out, b'', "B does not see A's shadow row")


def test_root_list_shows_all_users_including_F():
    with Sessions() as s:
        a_run = s.add(USER_A, 'R', state='RUNNING')
        a_susp_file = s.add(USER_A, 'R', state='SUSPENDED')
        a_fin = s.add(USER_A, 'F')  # F, agent still there (kept 20 s by a daemon)
        b_susp = s.add(USER_B, 'S', state='SUSPENDED')
        b_nostate = s.add(USER_B, 'S')
        b_shadow = s.add(USER_B, 'R', cmd='1XSHAD%sXSHADPP50' % USER_A, typ='S')
        ages = _ages([a_run])
        r = ok(run([ROOT]))
        mine = of_user(lines_of(r), USER_A, USER_B)
        got = by_sid(mine)
        eq(sorted(got), sorted(i['sid'] for i in (a_run, a_susp_file, a_fin, b_susp,
                                                  b_nostate, b_shadow)), 'root list')
        # ordered by status descending: S rows, then R, then F (the row the
        # list itself moves from R to S keeps the place of its old status)
        order = [l.split('|')[4] for l in mine if l.split('|')[1] != a_susp_file['sid']]
        eq(order, sorted(order, reverse=True), 'status order (%s)' % ''.join(order))
        match_line(got[a_run['sid']], a_run, age_range=ages)
        match_line(got[a_fin['sid']], a_fin, age_range=ages)
        match_line(got[b_susp['sid']], b_susp, age_range=ages)
        match_line(got[b_nostate['sid']], b_nostate, age_range=ages)
        match_line(got[b_shadow['sid']], b_shadow, age_range=ages)
        # R -> S from the state file (spec 1.4 rule 3)
        match_line(got[a_susp_file['sid']], a_susp_file, status='S', age_range=ages,
                   last_times=[row(a_susp_file['sid'])[7]])
        eq(status_of(a_susp_file['sid']), 'S', 'DB after root list R->S')


def test_root_list_server_argument():
    with Sessions() as s:
        here = s.add(USER_A, 'R', state='RUNNING')
        there = s.add(USER_B, 'F', server='itfarmhost2')
        r = ok(run([ROOT, 'itfarmhost2']))
        eq([l.split('|')[1] for l in lines_of(r)], [there['sid']], 'root list of one host')
        r = ok(run([ROOT, '--all-servers']))
        sids = [l.split('|')[1] for l in of_user(lines_of(r), USER_A, USER_B)]
        eq(sorted(sids), sorted([here['sid'], there['sid']]), 'root list --all-servers')


def test_listsessions_sql_prints_every_row():
    with Sessions() as s:
        a = s.add(USER_A, 'R', state='RUNNING')
        a_susp = s.add(USER_A, 'R')
        nopid = s.add(USER_A, 'R', agent=None)
        fin = s.add(USER_B, 'F')
        s.state(USER_A, a_susp['sid'], 'SUSPENDED')  # a daemon may set S meanwhile
        r = ok(unchanged(lambda: run([SQL]), 'x2golistsessions_sql'))
        got = by_sid(of_user(lines_of(r), USER_A, USER_B))
        eq(sorted(got), sorted([a['sid'], a_susp['sid'], nopid['sid'], fin['sid']]),
           'x2golistsessions_sql')
        # the raw rows, no reconciliation
        match_line(got[a['sid']], a)
        match_line(got[nopid['sid']], nopid)
        match_line(got[fin['sid']], fin)
        match_line(got[a_susp['sid']], Sessions.info(a_susp['sid']))


def test_appendix_b_line_byte_exact():
    """A row holding exactly Appendix B's values lists as Appendix B's
    line (with the test user's name, the fake agent's pid and the age)."""
    with Sessions() as s:
        info = s.add(USER_A, 'R', state='RUNNING', cookie='3ebbe794a3494f5ad424bce6f8617c8b',
                     client='10.0.0.5', ports=(30138, 30139, 30140), teki=(-1, -1),
                     init_time='2026-11-24 00:41:00', last_time='2026-11-24 00:41:02')
        r = ok(run([LIST], user=USER_A))
        age0 = age_now('2026-11-24 00:41:00')
        want = ('%d|%s|%d|%s|R|2026-11-24T00:41:00|3ebbe794a3494f5ad424bce6f8617c8b|10.0.0.5|'
                '30138|30139|2026-11-24T00:41:02|%s|%%d|30140|-1|-1\n'
                % (info['agent_pid'], info['sid'], info['display'], HOST, USER_A))
        check(r.out in {(want % a).encode() for a in range(age0 - 2, age0 + 30)},
              'Appendix B line: got %r, want %r' % (r.out, want % age0))


def test_reconciliation_by_the_listing_itself():
    """The same rules, with the rows on a host name only the listing sees
    (a private UTS namespace), so no clean-up daemon can act first: the
    listing itself must mark dead agents F and apply the state file."""
    with Sessions() as s:
        dead_r = s.add(USER_A, 'R', agent='dead', state='RUNNING', server=FAKE_HOST)
        dead_s = s.add(USER_A, 'S', agent='dead', state='SUSPENDED', server=FAKE_HOST)
        pid1 = s.add(USER_A, 'R', agent=1, server=FAKE_HOST)
        live = s.add(USER_A, 'R', state='RUNNING', server=FAKE_HOST)
        wrong = s.add(USER_A, 'R', agent=live['agent_pid'], server=FAKE_HOST)
        r2s = s.add(USER_A, 'R', state='SUSPENDED', server=FAKE_HOST)
        s2r = s.add(USER_A, 'S', state='RESUMING', server=FAKE_HOST)
        nopid = s.add(USER_A, 'R', agent=None, server=FAKE_HOST)
        b_live = s.add(USER_B, 'R', state='RUNNING', server=FAKE_HOST)
        b_dead = s.add(USER_B, 'R', agent='dead', server=FAKE_HOST)

        # B first: B's own dead row becomes F; A's rows are not B's business
        r = ok(run_on_fake_host(['/usr/bin/x2golistsessions'], user=USER_B))
        eq([l.split('|')[1] for l in lines_of(r)], [b_live['sid']], "B's list")
        eq(status_of(b_dead['sid']), 'F', "B's dead row")
        for info in (dead_r, dead_s, pid1, wrong, r2s, s2r):
            eq(status_of(info['sid']), info['status'], "A's row after B listed")

        r = ok(run_on_fake_host(['/usr/bin/x2golistsessions'], user=USER_A))
        got = by_sid(lines_of(r))
        eq(sorted(got), sorted([live['sid'], r2s['sid'], s2r['sid']]), "A's list")
        for info in (dead_r, dead_s, pid1, wrong):
            eq(status_of(info['sid']), 'F', 'dead agent %s' % info['sid'])
        match_line(got[live['sid']], live)
        match_line(got[r2s['sid']], r2s, status='S')
        match_line(got[s2r['sid']], s2r, status='R')
        eq(status_of(r2s['sid']), 'S', 'R -> S in the DB')
        eq(status_of(s2r['sid']), 'R', 'S -> R in the DB')
        eq(status_of(live['sid']), 'R', 'live row')
        eq(row(nopid['sid']), tuple(nopid.values()), 'reservation untouched')
        # a second listing changes nothing more
        r2 = ok(unchanged(lambda: run_on_fake_host(['/usr/bin/x2golistsessions'], user=USER_A),
                          'second listing'))
        eq(sorted(by_sid(lines_of(r2))), sorted(got), 'second listing')


def test_root_reconciliation_by_the_listing_itself():
    """x2golistsessions_root on its own host: only R -> S (spec 1.4 rule
    3); dead agents and S with a running agent are left to the daemon."""
    with Sessions() as s:
        dead = s.add(USER_A, 'R', agent='dead', server=FAKE_HOST)
        r2s = s.add(USER_B, 'R', state='SUSPENDING', server=FAKE_HOST)
        s_run = s.add(USER_B, 'S', state='RUNNING', server=FAKE_HOST)
        fin = s.add(USER_A, 'F', agent='dead', server=FAKE_HOST)
        r = ok(run_on_fake_host(['/usr/sbin/x2golistsessions_root']))
        got = by_sid(of_user(lines_of(r), USER_A, USER_B))
        eq(sorted(got), sorted(i['sid'] for i in (dead, r2s, s_run, fin)), 'root list')
        match_line(got[dead['sid']], dead)
        match_line(got[r2s['sid']], r2s, status='S')
        match_line(got[s_run['sid']], s_run)
        match_line(got[fin['sid']], fin)
        eq([status_of(i['sid']) for i in (dead, r2s, s_run, fin)], ['R', 'S', 'S', 'F'],
           'statuses after the root list')


def test_dead_agent_hidden_even_if_the_status_cannot_be_written():
    """While another writer holds the database longer than the busy
    timeout, the listing cannot store what it found; it must still never
    show a dead agent as running, and show the state the agent reports."""
    with Sessions() as s, PrivateDB() as p:
        ok(p.run(['/usr/sbin/x2godbadmin', '--createdb']))
        live = s.add(USER_A, 'R', state='RUNNING', path=p.db)
        dead = s.add(USER_A, 'R', agent='dead', state='RUNNING', path=p.db)
        susp = s.add(USER_A, 'R', state='SUSPENDED', path=p.db)
        with db(p.db) as con:
            con.execute('BEGIN IMMEDIATE')  # the write lock, held throughout
            try:
                r = p.run(['/usr/bin/x2golistsessions'], user=USER_A, timeout=120)
            finally:
                con.execute('ROLLBACK')
        eq((r.rc, r.out != b''), (0, True), 'listing with a busy database: %r' % r)
        got = by_sid(lines_of(r))
        eq(sorted(got), sorted([live['sid'], susp['sid']]), 'listed (dead agent hidden)')
        match_line(got[live['sid']], live)
        match_line(got[susp['sid']], susp, status='S')
        check(dead['sid'] not in r.out.decode(), 'a dead agent shown')
