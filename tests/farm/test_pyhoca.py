"""pyhoca-cli against the farm: each host (own host name, /tmp, /run) runs
its own sshd on 127.0.0.1 (a port each); a client starts a session on each
host, and every host lists all of them with --all-servers."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from pglib import ENV, USERS, Host, check, cmd, hosts, ok, run

A = USERS[0]
HOSTS = ['x2gofarmh1', 'x2gofarmh2', 'x2gofarmh3']
PYHOCA = '/usr/bin/pyhoca-cli'


def free_port(start):
    for p in range(start, start + 200):
        with socket.socket() as s:
            if s.connect_ex(('127.0.0.1', p)) != 0:
                return p
    raise AssertionError('no free port')


def keygen(path):
    subprocess.run(['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f',
                    path], check=True)


def setup_sshd(ctx, host, port, scratch):
    conf = os.path.join(scratch, 'sshd_config_' + host)
    with open(conf, 'w') as f:
        f.write('\n'.join([
            'Port %d' % port, 'ListenAddress 127.0.0.1',
            'HostKey %s/hostkey' % scratch, 'PidFile none',
            'AuthorizedKeysFile %s/authorized_keys/%%u' % scratch, 'UsePAM no',
            'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
            'PermitRootLogin no', 'AllowUsers %s' % A, 'AllowTcpForwarding yes',
            'X11Forwarding no', 'PrintMotd no', 'UseDNS no', 'MaxStartups 50:30:100',
            'Subsystem sftp /usr/lib/openssh/sftp-server', '']))
    p = hosts[host].popen(['/usr/sbin/sshd', '-D', '-e', '-f', conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx.setdefault('procs', []).append(p)
    end = time.monotonic() + 15
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(('127.0.0.1', port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError('sshd of %s did not listen' % host)


def t_pyhoca_on_each_host(ctx):
    c = ctx['cluster']
    if not (os.path.exists(PYHOCA) and os.path.exists('/usr/bin/Xvfb')):
        raise AssertionError('pyhoca-cli and Xvfb are needed')
    scratch = tempfile.mkdtemp(prefix='x2go-farm-ssh-', dir='/var/tmp')
    os.chmod(scratch, 0o755)
    ctx['scratch'] = scratch
    keygen(os.path.join(scratch, 'hostkey'))
    os.makedirs(os.path.join(scratch, 'authorized_keys'))
    os.chmod(os.path.join(scratch, 'authorized_keys'), 0o755)
    client = os.path.join(scratch, 'client')
    os.makedirs(os.path.join(client, '.ssh'), mode=0o700)
    keygen(os.path.join(client, '.ssh', 'id_rsa'))
    shutil.copy(os.path.join(client, '.ssh', 'id_rsa.pub'),
                os.path.join(scratch, 'authorized_keys', A))
    os.chmod(os.path.join(scratch, 'authorized_keys', A), 0o644)
    disp = next(d for d in range(150, 250) if not os.path.exists('/tmp/.X%d-lock' % d))
    xlog = open(os.path.join(scratch, 'xvfb.log'), 'w')
    xvfb = subprocess.Popen(['/usr/bin/Xvfb', ':%d' % disp, '-screen', '0', '1024x768x24',
                             '-nolisten', 'tcp'], stdout=xlog, stderr=subprocess.STDOUT)
    ctx.setdefault('procs', []).append(xvfb)
    # the clients need a display that answers: on a loaded machine Xvfb
    # takes a while
    for _ in range(300):
        if subprocess.run(['/usr/bin/xdpyinfo', '-display', ':%d' % disp],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    ports = {}
    for i, h in enumerate(HOSTS):
        if h not in hosts:
            Host(h)
        ports[h] = free_port(2301 + 10 * i)
        setup_sshd(ctx, h, ports[h], scratch)
    env = dict(ENV, HOME=client, DISPLAY=':%d' % disp, USER='root', PYTHONUNBUFFERED='1')
    for h in HOSTS:
        log = open(os.path.join(scratch, 'pyhoca-%s.log' % h), 'w')
        p = subprocess.Popen([PYHOCA, '--server', '127.0.0.1', '-p', str(ports[h]), '-u', A,
                              '--add-to-known-hosts', '--new', '-c', '/usr/bin/xclock', '--sound', 'none',
                              '-g', '800x600'], env=env, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True, cwd=client)
        ctx['procs'].append(p)
    want = set(HOSTS)
    end = time.monotonic() + 90
    while time.monotonic() < end:
        got = set(c.admin("SELECT server FROM sessions WHERE uname='%s' AND status='R'"
                          " AND agent_pid IS NOT NULL" % A).split())
        if want <= got:
            break
        time.sleep(1)
    logs = {h: open(os.path.join(scratch, 'pyhoca-%s.log' % h)).read()[-300:] for h in HOSTS}
    logs['xvfb'] = open(os.path.join(scratch, 'xvfb.log')).read()[-600:]
    check(want <= got, 'pyhoca-cli sessions running on %s, want all of %s; logs: %r'
          % (sorted(got), HOSTS, logs))
    for h in HOSTS:
        r = ok(run([cmd('x2golistsessions'), '--all-servers'], user=A, host=h))
        # R or S: a client that lost its connection meanwhile leaves its
        # session suspended, and it is still listed; F or a missing host is
        # a listing failure.
        servers = {l.split('|')[3] for l in r.lines() if l.split('|')[4] in 'RS'}
        if not want <= servers:
            logs = {x: open(os.path.join(scratch, 'pyhoca-%s.log' % x)).read()[-600:]
                    for x in HOSTS}
            check(False, '%s lists %s with --all-servers; lines %r; logs %r'
                  % (h, sorted(servers), r.lines(), logs))


def cleanup(ctx):
    for p in reversed(ctx.get('procs', [])):
        try:
            os.killpg(p.pid, 9) if p.args[0] == PYHOCA else p.kill()
        except (ProcessLookupError, PermissionError):
            pass
        p.wait()
    subprocess.run(['pkill', '-KILL', '-u', A], stderr=subprocess.DEVNULL)
    for h in HOSTS:
        if h in hosts:
            hosts[h].destroy()
    if ctx.get('scratch'):
        shutil.rmtree(ctx['scratch'], ignore_errors=True)
    ctx['cluster'].admin('DELETE FROM mounts; DELETE FROM used_ports; DELETE FROM sessions')


TESTS = [(f.__name__, f) for f in (t_pyhoca_on_each_host,)]
