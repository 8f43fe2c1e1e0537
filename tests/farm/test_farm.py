"""A farm on one database: hosts h1, h2, h3 are private UTS namespaces with
their own host names (each command runs on its host); 100 concurrent starts
across them, listings per host and --all-servers, broker counts, and each
host's clean-up daemon touching only its own rows, across a database
restart."""
import collections
import os
import signal
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from pglib import EMPTY, Host, cmd, hosts, START_ARGS, START_ENV, USERS, check, ok, run

HOSTS = ['x2gofarmh1', 'x2gofarmh2', 'x2gofarmh3']
START = [cmd('x2gostartagent')] + START_ARGS
N = 100


def live(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def t_concurrent_starts(ctx):
    c = ctx['cluster']
    for h in HOSTS:
        Host(h)
    jobs = [(USERS[i % len(USERS)], HOSTS[i % len(HOSTS)]) for i in range(N)]
    with ThreadPoolExecutor(max_workers=N) as ex:
        res = list(ex.map(lambda j: run(START, user=j[0], host=j[1], env=START_ENV,
                                        timeout=240), jobs))
    bad = [r for r in res if r.rc != 0 or len(r.lines()) != 7]
    why = collections.Counter(r.err.decode()[:150] for r in bad if b'cannot create the link' not in r.err)
    if bad and os.environ.get('X2GO_FARM_DEBUG'):
        print(c.admin("SELECT session_id, server, agent_pid, status FROM sessions ORDER BY display"))
        for r in res:
            print(r.rc, r.lines()[:4], r.err[:200])
    check(not bad, '%d of %d starts failed: %s' % (len(bad), N, why.most_common(4)))
    displays = [r.lines()[0] for r in res]
    ports = [p for r in res for p in r.lines()[4:7]]
    check(len(set(displays)) == N, 'duplicate displays: %s' %
          [d for d, k in collections.Counter(displays).items() if k > 1])
    check(len(set(ports)) == 3 * N, 'duplicate ports')
    rows = c.admin("SELECT session_id, server FROM sessions WHERE status='R'").split()
    where = dict(r.split('|') for r in rows)
    ctx['farm'] = []
    for (user, host), r in zip(jobs, res):
        sid = r.lines()[3]
        check(where.get(sid) == host, '%s should be on %s, is on %s' % (sid, host, where.get(sid)))
        ctx['farm'].append((user, host, sid, int(r.lines()[2])))
    db_ports = c.admin("SELECT count(*) FROM used_ports JOIN sessions USING (session_id)"
                       " WHERE status='R'").strip()
    check(db_ports == str(3 * N), 'used_ports holds every port once: %s' % db_ports)


def t_listing_per_host_and_all(ctx):
    farm = ctx['farm']
    u = USERS[0]
    mine = {sid for (user, host, sid, _) in farm if user == u}
    r = ok(run([cmd('x2golistsessions'), '--all-servers'], user=u, host=HOSTS[1]))
    got = {l.split('|')[1] for l in r.lines()}
    check(got == mine, '--all-servers on %s: %d of %d sessions' % (HOSTS[1], len(got & mine),
                                                                    len(mine)))
    for h in HOSTS:
        r = ok(run([cmd('x2golistsessions')], user=u, host=h))
        servers = {l.split('|')[3] for l in r.lines()}
        want = {sid for (user, host, sid, _) in farm if user == u and host == h}
        check(servers == {h} and {l.split('|')[1] for l in r.lines()} == want,
              'listing on %s shows only its own sessions: %r' % (h, servers))
    r = ok(run([cmd('x2gogetservers')], user=USERS[1], host=HOSTS[0]))
    counts = collections.Counter(host for (_, host, _, _) in farm)
    want = '\n'.join('%s %d' % (h, counts[h]) for h in sorted(HOSTS))
    check(r.out.decode() == want, 'x2gogetservers: %r, want %r' % (r.out, want))
    r = ok(run([cmd('x2golistsessions_root'), '--all-servers'], host=HOSTS[2]))
    check(len(r.lines()) >= N, 'x2golistsessions_root --all-servers lists the farm')


def start_daemon(host, log=None):
    """The clean-up daemon of host; with log, in debug mode writing there."""
    return hosts[host].popen([cmd('x2gocleansessions'), '--debug' if log else '--foreground'],
                             stdout=log or subprocess.DEVNULL, stderr=subprocess.PIPE)


def row_state(c, sid):
    return c.admin("SELECT status FROM sessions WHERE session_id='%s'" % sid).strip() or 'gone'


def wait_for(cond, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.5)
    return cond()


def t_daemons_clean_their_own_host(ctx):
    """Daemons run on h1 and h2 only. An agent killed on h2 is cleaned up
    by h2; one killed on h3 stays as it is (no daemon there; h1's and h2's
    leave it alone), also after a database restart (the daemons reconnect)."""
    c = ctx['cluster']
    log = tempfile.TemporaryFile()
    daemons = [start_daemon(HOSTS[0], log), start_daemon(HOSTS[1])]
    ctx['daemons'] = daemons
    time.sleep(3)
    pick = {h: next(f for f in ctx['farm'] if f[1] == h) for h in HOSTS}
    for h in HOSTS[1:]:
        os.kill(pick[h][3], signal.SIGKILL)
    check(wait_for(lambda: row_state(c, pick[HOSTS[1]][2]) in ('F', 'gone'), 30),
          'h2 did not clean its dead agent: %s' % row_state(c, pick[HOSTS[1]][2]))
    check(row_state(c, pick[HOSTS[2]][2]) == 'R', 'another host touched h3\'s row')
    others = [f for f in ctx['farm'] if f[2] not in (pick[HOSTS[1]][2], pick[HOSTS[2]][2])]
    check(all(row_state(c, f[2]) == 'R' and live(f[3]) for f in others[:20]),
          'live sessions were touched')
    c.stop()
    # h1's agent dies while the database is down: its daemon retries (0.5,
    # 1, 2 s ...) until the database is back
    os.kill(pick[HOSTS[0]][3], signal.SIGKILL)
    time.sleep(5)
    c.start()
    check(wait_for(lambda: row_state(c, pick[HOSTS[0]][2]) in ('F', 'gone'), 40),
          'h1 did not clean up after the database restart')
    check(all(d.poll() is None for d in daemons), 'a daemon died: %r' %
          [d.stderr.read()[:300] for d in daemons if d.poll() is not None])
    # one line when the database went away, one when it was back: not one per retry
    log.seek(0)
    lines = log.read().decode(errors='replace').splitlines()
    went = [l for l in lines if '::: warning ::: ' in l and 'reconnecting with backoff' in l]
    back = [l for l in lines if 'session database: reconnected after' in l]
    check(len(went) == 1 and len(back) == 1, 'h1 logs the outage once each way: %r'
          % (went + back))


def cleanup(ctx):
    for d in ctx.get('daemons', []):
        d.terminate()
        d.wait(10)
    for (_, _, _, pid) in ctx.get('farm', []):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for h in HOSTS:
        if h in hosts:
            hosts[h].destroy()
    ctx['cluster'].admin(EMPTY)


TESTS = [(f.__name__, f) for f in (t_concurrent_starts, t_listing_per_host_and_all,
                                    t_daemons_clean_their_own_host)]
