#!/usr/bin/python3
"""Time session operations as a user on PostgreSQL (run as root, inside the
namespace of the server under test):
  pg_ops_timer.py [--conf SRC] cycle USER K        start, suspend, terminate K times
  pg_ops_timer.py [--conf SRC] burst U1,U2.. N H1,H2..  N concurrent starts over
                                                    users and hosts
With --conf, SRC (an x2gosql directory) is copied over /etc/x2go/x2gosql
first. cycle prints "start suspend terminate failures" (medians, ms);
burst prints "wall_ms failures duplicate_displays duplicate_ports"."""
import collections
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ARGS = ['800x600', 'adsl', '16m-jpeg-9', 'unix-kde-depth_24', 'null', 'auto', '1', 'R',
        'xterm', 'both']


def copy_conf(src):
    for name in os.listdir(src):
        s, d = os.path.join(src, name), os.path.join('/etc/x2go/x2gosql', name)
        shutil.copytree(s, d, dirs_exist_ok=True) if os.path.isdir(s) else shutil.copy2(s, d)


def env(pw):
    return {'PATH': '/usr/bin:/bin', 'HOME': pw.pw_dir, 'USER': pw.pw_name,
            'LOGNAME': pw.pw_name, 'X2GO_XINERAMA': 'false', 'SSH_CLIENT': '127.0.0.1 4000 22'}


def as_user(pw, argv, host=None):
    """argv as the user (on host: a UTS namespace of that name); (ms, rc, lines)."""
    if host:
        argv = ['/usr/bin/unshare', '--uts', '/bin/sh', '-c', 'hostname "$0" && exec setpriv'
                ' --reuid %d --regid %d --clear-groups "$@"' % (pw.pw_uid, pw.pw_gid),
                host] + argv
        kw = {}
    else:
        kw = {'user': pw.pw_uid, 'group': pw.pw_gid, 'extra_groups': []}
    t = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(pw), **kw)
    if p.returncode:
        sys.stderr.write(p.stderr.decode(errors='replace')[-300:])
    return (time.perf_counter() - t) * 1000, p.returncode, p.stdout.decode().split('\n')


def sid_of(lines):
    return next((l for l in lines if '_st' in l and '-' in l), None)


def cycle(pw, k):
    times = collections.defaultdict(list)
    fails = 0
    for _ in range(k + 1):  # the first round warms the caches
        ms, rc, out = as_user(pw, ['/usr/bin/x2gostartagent'] + ARGS)
        sid = sid_of(out)
        if rc or not sid:
            fails += 1
            continue
        times['start'].append(ms)
        time.sleep(1)  # the agent comes up
        for op in ('suspend', 'terminate'):
            ms, rc, _ = as_user(pw, ['/usr/bin/x2go%s-session' % op, sid])
            fails += rc != 0
            times[op].append(ms)
            time.sleep(0.5)
    for op in times:
        times[op] = times[op][1:]
    print(' '.join('%.1f' % statistics.median(times[op]) if times[op] else 'nan'
                   for op in ('start', 'suspend', 'terminate')), fails)


def burst(pws, n, hosts):
    jobs = [(pws[i % len(pws)], hosts[i % len(hosts)]) for i in range(n)]
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as ex:
        res = list(ex.map(lambda j: as_user(j[0], ['/usr/bin/x2gostartagent'] + ARGS, j[1]),
                          jobs))
    wall = (time.perf_counter() - t) * 1000
    good = [(h, out) for (_, h), (_, rc, out) in zip(jobs, res) if rc == 0 and sid_of(out)]
    disp = collections.Counter((h, out[0]) for h, out in good)
    ports = collections.Counter((h, p) for h, out in good for p in out[4:7] if p)
    print('%.0f %d %d %d' % (wall, n - len(good), sum(v - 1 for v in disp.values()),
                             sum(v - 1 for v in ports.values())))


def main():
    args = sys.argv[1:]
    if args[0] == '--conf':
        copy_conf(args[1])
        args = args[2:]
    pws = [pwd.getpwnam(u) for u in args[1].split(',')]
    if args[0] == 'cycle':
        cycle(pws[0], int(args[2]))
    else:
        burst(pws, int(args[2]), args[3].split(','))


if __name__ == '__main__':
    main()
