#!/usr/bin/python3
"""x2golistsessions on PostgreSQL, ours and the reference side by side on
one private PostgreSQL 15 (one run, same database, same user): 10, 100 and
10 000 rows in the farm's table, the user owning 10 or 100 of them, all
on the farm's other hosts: `x2golistsessions --all-servers` prints the
user's rows and writes nothing (rows of this host would be checked
against their agents, and these agents do not exist).
Run as root: unshare -m python3 bench/pg_bench.py [K]  (the reference runs
through bench/refenv.sh, which must be set up). Ours: the installed
commands, or X2GO_FARM_BUILD=<meson build dir>."""
import os
import subprocess
import sys
import tempfile

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
        print('| rows in the table | own rows | ours median (q1-q3) ms | reference median'
              ' (q1-q3) ms | reference / ours |')
        print('|---|---|---|---|---|')
        for total, own in CASES:
            fill(c, total, own)
            theirs = pglib.run([ref[0], 'run', '/bin/sh', '-c', 'cp -r "$0"/. /etc/x2go/x2gosql/'
                                ' && exec runuser -u "$1" -- x2golistsessions --all-servers',
                                conf, USER]).lines()
            for who, lines in (('ours', pglib.run([ours, '--all-servers'], user=USER).lines()),
                               ('the reference', theirs)):
                if len(lines) != own:
                    raise AssertionError('%s lists %d rows, not %d' % (who, len(lines), own))
            o = timed([], k, [ours, '--all-servers'])
            r = timed(ref, k, ['/usr/bin/' + cmd, '--all-servers'], ['--conf', conf])
            fmt = lambda v: '%.1f (%.1f-%.1f)' % tuple(v) if v else 'failed'  # noqa: E731
            ratio = '%.1fx' % (r[0] / o[0]) if o and r else '-'
            print('| %d | %d | %s | %s | %s |' % (total, own, fmt(o), fmt(r), ratio), flush=True)
            if c.admin("SELECT count(*) FROM sessions WHERE status='S'").strip() != str(total):
                raise AssertionError('a listing changed rows')
    finally:
        pglib.bench_teardown(c)


if __name__ == '__main__':
    main()
