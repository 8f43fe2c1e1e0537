"""pyhoca-cli against the farm: each host (own host name, network, /tmp,
/run) runs its own sshd on its own address; a client starts a session on
each host by its name, and every host lists all of them with
--all-servers."""
import os
import subprocess
import time

import sshlib
from pglib import EMPTY, USERS, Host, check, cmd, hosts, ok, run

A = USERS[0]
HOSTS = ['x2gofarmh1', 'x2gofarmh2', 'x2gofarmh3']


def t_pyhoca_on_each_host(ctx):
    c = ctx['cluster']
    if not (os.path.exists(sshlib.PYHOCA) and os.path.exists('/usr/bin/Xvfb')):
        raise AssertionError('pyhoca-cli and Xvfb are needed')
    keys = ctx['keys'] = sshlib.Keys()
    keys.allow(A)
    procs = ctx['procs'] = []
    xvfb, disp = sshlib.start_xvfb(keys.dir)
    procs.append(xvfb)
    for h in HOSTS:
        if h not in hosts:
            Host(h)
        procs.append(sshlib.start_sshd(h, keys, [A]))
    for h in HOSTS:
        p = sshlib.start_pyhoca(['--server', h, '-u', A, '--add-to-known-hosts', '--new', '-c',
                                 '/usr/bin/xclock', '--sound', 'none', '-g', '800x600'],
                                keys.client, disp, os.path.join(keys.dir, 'pyhoca-%s.log' % h))
        procs.append(p)
    want = set(HOSTS)
    end = time.monotonic() + 90
    while time.monotonic() < end:
        got = set(c.admin("SELECT server FROM sessions WHERE uname='%s' AND status='R'"
                          " AND agent_pid IS NOT NULL" % A).split())
        if want <= got:
            break
        time.sleep(1)
    logs = {h: open(os.path.join(keys.dir, 'pyhoca-%s.log' % h)).read()[-300:] for h in HOSTS}
    logs['xvfb'] = open(os.path.join(keys.dir, 'xvfb.log')).read()[-600:]
    check(want <= got, 'pyhoca-cli sessions running on %s, want all of %s; logs: %r'
          % (sorted(got), HOSTS, logs))
    for h in HOSTS:
        r = ok(run([cmd('x2golistsessions'), '--all-servers'], user=A, host=h))
        # R or S: a client that lost its connection meanwhile leaves its
        # session suspended, and it is still listed; F or a missing host is
        # a listing failure.
        servers = {l.split('|')[3] for l in r.lines() if l.split('|')[4] in 'RS'}
        if not want <= servers:
            logs = {x: open(os.path.join(keys.dir, 'pyhoca-%s.log' % x)).read()[-600:]
                    for x in HOSTS}
            check(False, '%s lists %s with --all-servers; lines %r; logs %r'
                  % (h, sorted(servers), r.lines(), logs))


def cleanup(ctx):
    sshlib.stop(ctx.get('procs', []))
    subprocess.run(['pkill', '-KILL', '-u', A], stderr=subprocess.DEVNULL)
    for h in HOSTS:
        if h in hosts:
            hosts[h].destroy()
    if ctx.get('keys'):
        ctx['keys'].remove()
    ctx['cluster'].admin(EMPTY)


TESTS = [(f.__name__, f) for f in (t_pyhoca_on_each_host,)]
