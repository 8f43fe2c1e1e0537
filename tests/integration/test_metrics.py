"""x2gometrics: OpenMetrics text that real parsers (prometheus_client's
OpenMetrics and Prometheus text parsers) accept, whose numbers match the
database and /proc; the JSON form says the same; the daemon's health
from its state file, strictly. And x2golistsessions_root --json: the
same rows as the byte-exact default output."""

import json
import os
import subprocess
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
from prometheus_client.parser import text_string_to_metric_families as prom_parse

from itlib import (ENV, FAKE_HOST, HOST, USER_A, USER_B, Sessions, check, eq, ok,
                   one_error_line, run, sql, unchanged)

METRICS = '/usr/sbin/x2gometrics'
ROOT_LIST = '/usr/sbin/x2golistsessions_root'
STATE = '/run/x2go/cleansessions.state'
DISPLAYS = 9999 - 50 + 1
PORTS = 65535 - 30000 + 1


def samples(text):
    """{(name, sorted labels): value} from the OpenMetrics parser, checked
    against the Prometheus text parser (node_exporter's format)."""
    check(text.endswith('# EOF\n'), 'exposition does not end with # EOF: %r' % text[-80:])
    got = {}
    for fam in om_parse(text):
        eq(fam.type, 'gauge', 'type of %s' % fam.name)
        for s in fam.samples:
            got[(s.name, tuple(sorted(s.labels.items())))] = s.value
    prom = {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in prom_parse(text) for s in fam.samples}
    eq(prom, {k: float(v) for k, v in got.items()}, 'Prometheus text parser against OpenMetrics')
    return got


def db_counts():
    """What the metrics must say, from the database."""
    st = {s: 0 for s in 'RSTF'}
    users = {}
    for status, user, n in sql('SELECT status, uname, count(*) FROM sessions WHERE server=?'
                               ' AND agent_pid IS NOT NULL GROUP BY status, uname', (HOST,)):
        st[status] += n
        users[(user, status)] = n
    return (st, users, sql('SELECT count(*) FROM sessions')[0][0],
            sql('SELECT count(*) FROM used_ports')[0][0])


def from_metrics(m):
    st = {dict(k[1])['status']: int(v) for k, v in m.items() if k[0] == 'x2go_sessions'}
    users = {(dict(k[1])['user'], dict(k[1])['status']): int(v) for k, v in m.items()
             if k[0] == 'x2go_user_sessions'}
    return (st, users, int(m[('x2go_displays_used', ())]), int(m[('x2go_ports_used', ())]))


def vmrss(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return None


def test_metrics_parse_and_match_the_database():
    with Sessions() as s:
        a_run = s.add(USER_A, 'R', state='RUNNING')
        a_susp = s.add(USER_A, 'S', state='SUSPENDED')
        b_susp = s.add(USER_B, 'S', state='SUSPENDED')
        b_fin = s.add(USER_B, 'F')
        s.add(USER_A, 'R', agent=None)  # a start in progress
        s.add(USER_B, 'R', server=FAKE_HOST)  # another host's session
        for _ in range(5):  # the daemon may change a row between the two reads
            m = samples(ok(run([METRICS]), 'x2gometrics').out.decode())
            if from_metrics(m) == db_counts():
                break
            time.sleep(0.5)
        eq(from_metrics(m), db_counts(), 'metrics against the database')
        users = from_metrics(m)[1]
        check(users.get((USER_A, 'R'), 0) >= 1 and users.get((USER_A, 'S'), 0) >= 1 and
              users.get((USER_B, 'S'), 0) >= 1, 'seeded sessions not counted: %r' % users)
        eq(m[('x2go_displays_free', ())], DISPLAYS - m[('x2go_displays_used', ())], 'free displays')
        eq(m[('x2go_ports_free', ())], PORTS - m[('x2go_ports_used', ())], 'free ports')
        # Agent memory: one sample per live R/S agent of this host.
        rss = {dict(k[1])['session_id']: (dict(k[1]), v) for k, v in m.items()
               if k[0] == 'x2go_agent_resident_memory_bytes'}
        for info in (a_run, a_susp, b_susp):
            labels, v = rss.get(info['sid'], ({}, None))
            eq((labels.get('user'), labels.get('display')), (info['uname'], str(info['display'])),
               'labels of the agent memory of %s' % info['sid'])
            real = vmrss(info['agent_pid'])
            check(real and real / 2 <= v <= real * 2, 'agent memory %r, /proc says %r' % (v, real))
        check(b_fin['sid'] not in rss, 'memory of an ended session reported')
        # JSON: the same numbers.
        js = json.loads(ok(run([METRICS, '--json']), 'x2gometrics --json').out)
        eq({k: v for k, v in js['sessions'].items() if v}, {k: v for k, v in
                                                              from_metrics(m)[0].items() if v},
           'JSON sessions')
        eq({(u, st): n for u, c in js['users'].items() for st, n in c.items() if n},
           from_metrics(m)[1], 'JSON users')
        eq((js['displays']['used'], js['ports']['used']), from_metrics(m)[2:], 'JSON usage')
        eq({a['session_id'] for a in js['agents']} >= {a_run['sid'], a_susp['sid'],
                                                       b_susp['sid']}, True, 'JSON agents')


def metrics_with_state(setup):
    """x2gometrics in a mount namespace of its own where /run/x2go is a
    fresh directory prepared by the shell commands in setup (the real
    daemon's file stays untouched)."""
    script = 'mount -t tmpfs -o mode=0755 x2goit /run/x2go || exit 99; cd /run/x2go; %s\n' \
             'exec %s' % (setup, METRICS)
    p = subprocess.run(['/usr/bin/unshare', '--mount', '/bin/sh', '-c', script],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, timeout=60)
    check(p.returncode == 0 and p.stderr == b'', 'x2gometrics: %r %r' % (p.returncode, p.stderr))
    m = samples(p.stdout.decode())
    return {k[0]: v for k, v in m.items() if k[0].startswith('x2go_daemon')}


def daemon_pid():
    for d in os.listdir('/proc'):
        try:
            with open('/proc/%s/comm' % d) as f:
                if d.isdigit() and f.read().strip() == 'x2gocleansessio':
                    return int(d)
        except OSError:
            pass
    return None


def test_daemon_health_from_its_state_file():
    pid = daemon_pid()
    check(pid, 'no clean-up daemon runs')
    good = 'last_pass=1700000000\\npasses=42\\ntracked=3\\npid=%d\\n' % pid
    eq(metrics_with_state("printf '%s' > cleansessions.state" % good),
       {'x2go_daemon_up': 1, 'x2go_daemon_last_pass_timestamp_seconds': 1700000000,
        'x2go_daemon_passes': 42, 'x2go_daemon_tracked_sessions': 3}, 'a good state file')
    down = {'x2go_daemon_up': 0}
    for what, setup in (
            ('no file', ':'),
            ('a pid that is not the daemon', "printf '%s' > cleansessions.state"
             % good.replace('pid=%d' % pid, 'pid=%d' % os.getpid())),
            ('a dead pid', "printf '%s' > cleansessions.state"
             % good.replace('pid=%d' % pid, 'pid=4194304')),
            ('a malformed line', "printf '%s' > cleansessions.state"
             % good.replace('passes=42', 'passes=many')),
            ('a missing key', "printf '%s' > cleansessions.state"
             % good.replace('tracked=3\\n', '')),
            ("a user's file", "printf '%s' > cleansessions.state && chown %s cleansessions.state"
             % (good, USER_A)),
            ('a symbolic link', "printf '%s' > real && ln -s real cleansessions.state" % good)):
        eq(metrics_with_state(setup), down, 'daemon health with ' + what)
    # The running daemon's own file, where it writes one.
    if os.path.exists(STATE):
        m = samples(ok(run([METRICS]), 'x2gometrics').out.decode())
        eq(m[('x2go_daemon_up', ())], 1, 'health from the running daemon')
        check(m[('x2go_daemon_passes', ())] >= 1, 'daemon passes %r' % m)


def test_metrics_bad_input():
    for args in (['--text'], ['--json', '--json'], ['json']):
        r = unchanged(lambda: run([METRICS] + args), 'x2gometrics %r' % args)
        one_error_line(r, 'x2gometrics %r' % args)
        check(r.rc == 2, 'exit status of x2gometrics %r: %d' % (args, r.rc))


LIST_KEYS = ['agent_pid', 'session_id', 'display', 'server', 'status', 'init_time', 'cookie',
             'client', 'gr_port', 'sound_port', 'last_time', 'uname', 'age', 'fs_port',
             'tekictrl_port', 'tekidata_port']


def _as_line_fields(obj):
    return ['' if obj[k] is None else str(obj[k]) for k in LIST_KEYS]


def test_root_list_json_matches_the_default_output():
    with Sessions() as s:
        s.add(USER_A, 'R', state='RUNNING')
        s.add(USER_A, 'S', state='SUSPENDED', client=None, teki=(None, None))
        s.add(USER_B, 'F')
        s.add(USER_B, 'S', state='SUSPENDED', server=FAKE_HOST, teki=(31000, 31001))
        for args in ([], ['--all-servers'], [FAKE_HOST]):
            text = ok(run([ROOT_LIST] + args), 'root list %r' % args).out.decode()
            for where in (['--json'] + args, args + ['--json']):
                js = json.loads(ok(run([ROOT_LIST] + where), 'root list %r' % where).out)
                lines = text.splitlines()
                eq(len(js), len(lines), 'rows of %r' % where)
                for obj, line in zip(js, lines):
                    want, got = line.split('|'), _as_line_fields(obj)
                    # the age may tick between the two runs
                    check(abs(int(got[12]) - int(want[12])) <= 2, 'age %r' % ((got, want),))
                    got[12] = want[12]
                    eq(got, want, 'JSON row against the line')
                    check(all(isinstance(obj[k], int) for k in ('agent_pid', 'display', 'age')),
                          'numbers are numbers: %r' % obj)
        js = json.loads(ok(run([ROOT_LIST, '--all-servers', '--json']), 'list').out)
        check(any(o['server'] == FAKE_HOST and o['tekictrl_port'] == 31000 for o in js),
              'the other host with Telekinesis ports: %r' % js)
        check(any(o['client'] is None for o in js if o['uname'] == USER_A), 'null client')
        for bad in (['--json', '--json'], ['--json', 'a', 'b'], ['bad host', '--json']):
            r = unchanged(lambda: run([ROOT_LIST] + bad), 'root list %r' % bad)
            one_error_line(r, 'root list %r' % bad)
