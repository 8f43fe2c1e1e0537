#!/usr/bin/python3
"""Session start, suspend and terminate on PostgreSQL, and 100 concurrent
starts over 3 host names, ours and the reference side by side on one
private PostgreSQL 15 (same database, same user). Run as root after
installing ours (the commands under /usr/bin), with bench/refenv.sh set up:
  unshare -m python3 bench/pg_ops.py [K] [N] [NREF]
K cycles of start, suspend, terminate each; N concurrent starts by ours,
NREF by the reference (and by ours again, for the ratio): the reference's
starts retry on every display or port taken meanwhile, so its bursts grow
long on a small machine. Ours cycles twice: each command with its own
database connection, and through x2go-pgstored (the installed one, started
here for that side only). The bursts use ours without it: they fake three
hosts by host name only, and x2go-pgstored names rows after its own host."""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'farm'))
import pglib  # noqa: E402
from pg_bench import pgstored, stop  # noqa: E402

USER = pglib.USERS[0]
HOSTS = 'x2gofarmh1,x2gofarmh2,x2gofarmh3'  # resolvable: pglib.private_hosts()


def side(prefix, conf, args):
    p = subprocess.run(prefix + [os.path.join(HERE, 'pg_ops_timer.py')] + conf + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode().split()
    if p.returncode or len(out) != 4 or p.stderr:
        print('%s: %s' % ('failed' if len(out) != 4 else 'errors', p.stderr.decode()[-300:]),
              file=sys.stderr)
    return out if len(out) == 4 and not p.returncode else None


def clean(c):
    """No process, row or session directory of the users left: the next
    side starts from nothing (a late start would count against the limit)."""
    for _ in range(20):
        for u in pglib.USERS:
            subprocess.run(['pkill', '-KILL', '-u', u], stderr=subprocess.DEVNULL)
        if subprocess.run(['pgrep', '-u', ','.join(pglib.USERS)],
                          stdout=subprocess.DEVNULL).returncode:
            break
        time.sleep(0.5)
    c.admin(pglib.EMPTY)
    for u in pglib.USERS:
        d = os.path.join(pglib.home(u), '.x2go')
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name.startswith('C-'):
                p = os.path.join(d, name)
                os.unlink(p) if os.path.islink(p) else shutil.rmtree(p, ignore_errors=True)


def main():
    k = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    nref = int(sys.argv[3]) if len(sys.argv) > 3 else n  # the reference's burst
    pglib.ensure_users()
    c = pglib.Cluster(int(os.environ.get('X2GO_FARM_PGPORT', 58000 + os.getpid() % 1000)))
    try:
        conf = pglib.private_sqldir(c)
        pglib.write_sql_conf(c, host='127.0.0.1')
        pglib.private_hosts()  # xauth resolves the host names
        pglib.use_commands('/usr/lib/x2go/x2go-cmd', '/usr/sbin/x2gocleansessions')
        pglib.prepare_db()
        ref = ([os.path.join(HERE, 'refenv.sh'), 'run', '/usr/bin/python3'], ['--conf', conf])
        ours = ([], [])
        cyc = {}
        for name, (prefix, cf) in (('ours', ours), ('pgstored', ours), ('reference', ref)):
            clean(c)
            srv = pgstored(None) if name == 'pgstored' else None
            try:
                cyc[name] = side(prefix, cf, ['cycle', USER, str(k)])
            finally:
                if srv:
                    stop(srv)
        print('| operation (median of %d, ms) | ours, own connection | ours through'
              ' x2go-pgstored | reference | reference / ours (own connection) |'
              ' reference / ours (x2go-pgstored) |' % k)
        print('|---|---|---|---|---|---|')
        for i, op in enumerate(('start', 'suspend', 'terminate')):
            o, s, r = [float(cyc[x][i]) if cyc[x] else None
                       for x in ('ours', 'pgstored', 'reference')]
            ms = lambda v: '%.1f' % v if v else 'failed'  # noqa: E731
            ratio = lambda a: '%.1fx' % (r / a) if a and r else '-'  # noqa: E731
            print('| %s | %s | %s | %s | %s | %s |' % (op, ms(o), ms(s), ms(r), ratio(o), ratio(s)))
        print('\nfailed cycle steps: ours %s, ours through x2go-pgstored %s, reference %s\n'
              % tuple((cyc[x] or ['-'] * 4)[3] for x in ('ours', 'pgstored', 'reference')))
        print('| concurrent starts over 3 hosts | wall ms | failures | duplicate displays'
              ' (per host) | duplicate ports (per host) | rows of failed starts left |')
        print('|---|---|---|---|---|---|', flush=True)
        for name, (prefix, cf), m in (('ours', ours, n), ('ours', ours, nref),
                                      ('reference', ref, nref)):
            clean(c)
            # four users: ours allows 32 sessions per user by default
            b = side(prefix, cf, ['burst', ','.join(pglib.USERS), str(m), HOSTS])
            rows = int(c.admin('SELECT count(*) FROM sessions'))
            left = '%d' % (rows - (m - int(b[1]))) if b else '-'
            print('| %s, %d | %s | %s |' % (name, m, ' | '.join(b or ['failed'] * 4), left),
                  flush=True)
    finally:
        clean(c)
        pglib.bench_teardown(c)


if __name__ == '__main__':
    main()
