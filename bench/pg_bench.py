#!/usr/bin/python3
"""x2golistsessions on PostgreSQL, ours and the reference side by side on
one private PostgreSQL 15 (one run, same database, same user): 10, 100 and
10 000 rows in the farm's table, the user owning 10 or 100 of them, all
on the farm's other hosts: `x2golistsessions --all-servers` prints the
user's rows and writes nothing (rows of this host would be checked
against their agents, and these agents do not exist). Ours twice: each
command with its own connection (no x2go-pgstored running), and through
x2go-pgstored (started here for those runs only). A command that opens
no database (`x2gofeature X2GO_RUN_EXTENSIONS`) gives the floor of fork,
exec and configuration.
Run as root: unshare -m python3 bench/pg_bench.py [K]  (the reference runs
through bench/refenv.sh, which must be set up). Ours: the installed
commands, or X2GO_FARM_BUILD=<meson build dir>."""
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'farm'))
import pglib  # noqa: E402

USER = pglib.USERS[0]
CASES = [(10, 10), (100, 100), (10000, 100)]


def fill(c, total, own):
    c.admin(pglib.EMPTY)
    # as x2godbuser: the reference's rules drop a row another role inserts
    # on a user's behalf, even the superuser's
    c.admin("SET ROLE x2godbuser; INSERT INTO sessions(session_id, display, uname, server,"
            " status, cookie, agent_pid, client, gr_port, sound_port, fs_port, creator_id)"
            " SELECT CASE WHEN i <= %d THEN '%s' ELSE 'other' || i END || '-' || (50+i)"
            " || '-1700000000_stDx_dp24', 50 + i, CASE WHEN i <= %d THEN '%s' ELSE"
            " 'other' || i END, 'host' || (i %% 3), 'S', md5(i::text), 1000 + i,"
            " '127.0.0.1', 30000 + i, 40000 + i, 50000 + i, CASE WHEN i <= %d THEN"
            " 'x2gouser_%s' ELSE 'x2gouser_other' END FROM generate_series(1, %d) i"
            % (own, USER, own, USER, own, USER, total))
    n = c.admin('SELECT count(*) FROM sessions').strip()
    if n != str(total):
        raise AssertionError('the table holds %s rows, not %d' % (n, total))


def timed(prefix, k, argv, conf=()):
    p = subprocess.run(prefix + [os.path.join(HERE, 'pg_timer.py')] + list(conf) +
                       [USER, str(k)] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode().split()
    if p.returncode or len(out) != 4 or out[3] != '0':
        print('failed: %s' % p.stderr.decode()[-300:], file=sys.stderr)
        return None
    return [float(x) for x in out[:3]]


LISTING = ("SELECT agent_pid, session_id, display, server, status, cookie, client, gr_port,"
           " sound_port, uname, fs_port FROM sessions_view WHERE status!='F'"
           " AND session_id NOT LIKE '%XSHAD%' ORDER BY status DESC;\n")


def phases(c):
    """PostgreSQL's share, measured by pgbench as the user's own role over
    TCP: a new connection with its SCRAM login per transaction (-C), and
    the listing's statement on a kept connection. Average ms of each."""
    d = tempfile.mkdtemp(prefix='x2go-bench-pgb-', dir='/var/tmp')
    pglib.scratch.append(d)
    os.chmod(d, 0o755)
    out = {}
    for name, sql, extra in (('connect + SCRAM login + SELECT 1', 'SELECT 1;\n', ['-C']),
                             ('listing statement, connection kept', LISTING, [])):
        f = os.path.join(d, 'q.sql')
        with open(f, 'w') as fh:
            fh.write(sql)
        os.chmod(f, 0o644)
        p = subprocess.run(['/usr/lib/postgresql/15/bin/pgbench', '-n', '-t', '200', '-f', f,
                            '-h', '127.0.0.1', '-p', str(c.port), '-U', 'x2gouser_' + USER,
                            'x2go_sessions'] + extra, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=dict(pglib.ENV, PGPASSWORD=pglib.read_pass(USER)))
        got = {l.split('=')[0].strip(): l.split('=')[1].split()[0]
               for l in p.stdout.decode().splitlines() if '=' in l}
        out[name] = (got.get('latency average'), got.get('average connection time'))
    return out


def pgstored(build):
    """x2go-pgstored of the build or the installed one, listening."""
    path = os.path.abspath(os.path.join(build, 'src/privileged/x2go-pgstored')) if build \
        else '/usr/lib/x2go/x2go-pgstored'
    p = subprocess.Popen([path, '-f'], stderr=subprocess.PIPE)
    end = time.monotonic() + 20
    while not os.path.exists('/run/x2go/pgstore.sock') and time.monotonic() < end:
        time.sleep(0.1)
    if p.poll() is not None or not os.path.exists('/run/x2go/pgstore.sock'):
        raise AssertionError('x2go-pgstored did not start: %r' % p.stderr.read())
    return p


def stop(p):
    p.terminate()
    p.wait(10)
    os.unlink('/run/x2go/pgstore.sock')


def main():
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    build = os.environ.get('X2GO_FARM_BUILD')
    if build:
        d = tempfile.mkdtemp(prefix='x2go-bench-pgbin-', dir='/var/tmp')
        pglib.scratch.append(d)
        os.chmod(d, 0o755)
        pglib.use_commands(os.path.abspath(os.path.join(build, 'src/cmd/x2go-cmd')),
                           os.path.abspath(os.path.join(build, 'src/daemon/x2gocleansessions')),
                           d)
    else:
        pglib.use_commands('/usr/lib/x2go/x2go-cmd', '/usr/sbin/x2gocleansessions')
    cmd = 'x2golistsessions'  # --all-servers: the farm's listing
    ours = pglib.cmd(cmd)
    pglib.ensure_users()
    c = pglib.Cluster(int(os.environ.get('X2GO_FARM_PGPORT', 57000 + os.getpid() % 1000)))
    try:
        conf = pglib.private_sqldir(c)
        pglib.write_sql_conf(c, host='127.0.0.1')  # no farm network here
        pglib.prepare_db()
        ref = [os.path.join(HERE, 'refenv.sh'), 'run', '/usr/bin/python3']
        if os.path.exists('/run/x2go/pgstore.sock'):
            raise AssertionError('an x2go-pgstored is running already: stop it first')
        fmt = lambda v: '%.1f (%.1f-%.1f)' % tuple(v) if v else 'failed'  # noqa: E731
        floor = timed([], k, [pglib.cmd('x2gofeature'), 'X2GO_RUN_EXTENSIONS'])
        print('Floor (fork, exec, configuration; no database): %s ms\n' % fmt(floor))
        fill(c, 100, 100)
        for name, (lat, conn) in phases(c).items():
            print('pgbench, %s: latency %s ms%s' % (name, lat, ', of which connection %s ms'
                                                    % conn if conn else ''))
        print()
        print('| rows in the table | own rows | ours, own connection: median (q1-q3) ms |'
              ' ours through x2go-pgstored | reference | reference / ours (own connection) |'
              ' reference / ours (x2go-pgstored) |')
        print('|---|---|---|---|---|---|---|')
        for total, own in CASES:
            fill(c, total, own)
            theirs = pglib.run([ref[0], 'run', '/bin/sh', '-c', 'cp -r "$0"/. /etc/x2go/x2gosql/'
                                ' && exec runuser -u "$1" -- x2golistsessions --all-servers',
                                conf, USER]).lines()
            direct = pglib.run([ours, '--all-servers'], user=USER).lines()
            o = timed([], k, [ours, '--all-servers'])
            srv = pgstored(build)
            try:
                served = pglib.run([ours, '--all-servers'], user=USER).lines()
                s = timed([], k, [ours, '--all-servers'])
            finally:
                stop(srv)
            age = lambda ls: [l.split('|')[:12] + l.split('|')[13:] for l in ls]  # noqa: E731
            if age(served) != age(direct):
                raise AssertionError('x2go-pgstored lists otherwise than the direct path')
            for who, lines in (('ours', direct), ('the reference', theirs)):
                if len(lines) != own:
                    raise AssertionError('%s lists %d rows, not %d' % (who, len(lines), own))
            r = timed(ref, k, ['/usr/bin/' + cmd, '--all-servers'], ['--conf', conf])
            ratio = lambda a: '%.1fx' % (r[0] / a[0]) if a and r else '-'  # noqa: E731
            print('| %d | %d | %s | %s | %s | %s | %s |' % (total, own, fmt(o), fmt(s), fmt(r),
                                                          ratio(o), ratio(s)), flush=True)
            if c.admin("SELECT count(*) FROM sessions WHERE status='S'").strip() != str(total):
                raise AssertionError('a listing changed rows')
    finally:
        pglib.bench_teardown(c)


if __name__ == '__main__':
    main()
