"""sshd on farm hosts and an ssh client home for the farm tests: each host
runs its own sshd on its own address, port 22; keys are generated per
run."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from pglib import ENV, hosts, run

PYHOCA = '/usr/bin/pyhoca-cli'


def keygen(path):
    subprocess.run(['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-f',
                    path], check=True)


def listening(addr, port, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        with socket.socket() as s:
            s.settimeout(2)
            if s.connect_ex((addr, port)) == 0:
                return True
        time.sleep(0.2)
    return False


class Keys:
    """A scratch directory: the hosts' key, authorized_keys/<user> read by
    every sshd, and a client home whose ~/.ssh/id_rsa opens them."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='x2go-farm-ssh-', dir='/var/tmp')
        os.chmod(self.dir, 0o755)
        keygen(os.path.join(self.dir, 'hostkey'))
        self.auth = os.path.join(self.dir, 'authorized_keys')
        os.makedirs(self.auth)
        os.chmod(self.auth, 0o755)
        self.client = os.path.join(self.dir, 'client')
        os.makedirs(os.path.join(self.client, '.ssh'), mode=0o700)
        # Clients started at once in this home would race to make their
        # settings folder (python-x2go's touch_file: FileExistsError).
        os.makedirs(os.path.join(self.client, '.x2goclient'), mode=0o700)
        keygen(os.path.join(self.client, '.ssh', 'id_rsa'))

    def allow(self, user, pubkey_file=None, options=''):
        """user may log in with the client's key (or pubkey_file's key)."""
        with open(pubkey_file or os.path.join(self.client, '.ssh', 'id_rsa.pub')) as f:
            key = f.read().strip()
        path = os.path.join(self.auth, user)
        with open(path, 'a') as f:
            f.write((options + ' ' if options else '') + key + '\n')
        os.chmod(path, 0o644)

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def listening_on(host, addr, port, secs):
    """addr:port takes connections, seen from inside host's network."""
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if run(['/bin/bash', '-c', 'exec 3<>/dev/tcp/%s/%d' % (addr, port)], host=host).rc == 0:
            return True
        time.sleep(0.2)
    return False


def start_sshd(host, keys, users, addr=None, port=22):
    """sshd of host for users on addr:port (default: the host's own address,
    port 22); returns the process (the caller stops it)."""
    addr = addr or hosts[host].addr
    conf = os.path.join(keys.dir, 'sshd_config_%s_%d' % (host, port))
    with open(conf, 'w') as f:
        f.write('\n'.join([
            'Port %d' % port, 'ListenAddress %s' % addr,
            'HostKey %s/hostkey' % keys.dir, 'PidFile none',
            'AuthorizedKeysFile %s/%%u' % keys.auth, 'UsePAM no',
            'StrictModes no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
            'PermitRootLogin no', 'AllowUsers %s' % ' '.join(users), 'AllowTcpForwarding yes',
            'X11Forwarding no', 'PrintMotd no', 'UseDNS no', 'MaxStartups 50:30:100',
            'Subsystem sftp /usr/lib/openssh/sftp-server', '']))
    p = hosts[host].popen(['/usr/sbin/sshd', '-D', '-e', '-f', conf],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not listening_on(host, addr, port, 15):
        p.kill()
        raise AssertionError('sshd of %s did not listen on %s:%d' % (host, addr, port))
    return p


def start_pyhoca(args, home, display, log):
    """pyhoca-cli with args, its output to the file log (its name kept as
    .log), leading a process group of its own. Ctrl+C (SIGINT) suspends its
    session: a runner started in the background has SIGINT ignored, and
    Python keeps it so in a child, so the child gets the default back."""
    env = dict(ENV, HOME=home, DISPLAY=display, USER='root', PYTHONUNBUFFERED='1')
    with open(log, 'w') as out:
        p = subprocess.Popen([PYHOCA] + args, env=env, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, start_new_session=True, cwd=home,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    p.log = log
    return p


def start_xvfb(logdir):
    """A private X display for the clients, answering (on a loaded machine
    Xvfb takes a while); returns (process, ':N'). Its log: logdir/xvfb.log."""
    disp = next(d for d in range(150, 250) if not os.path.exists('/tmp/.X%d-lock' % d))
    log = open(os.path.join(logdir, 'xvfb.log'), 'w')
    xvfb = subprocess.Popen(['/usr/bin/Xvfb', ':%d' % disp, '-screen', '0', '1024x768x24',
                             '-nolisten', 'tcp'], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        if subprocess.run(['/usr/bin/xdpyinfo', '-display', ':%d' % disp],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    return xvfb, ':%d' % disp


def stop(procs):
    """Stop what a test started; what leads its own process group (clients,
    the broker: they fork) with all of the group."""
    for p in reversed(procs):
        try:
            os.killpg(p.pid, 9) if os.getpgid(p.pid) == p.pid else p.kill()
        except (ProcessLookupError, PermissionError):
            pass
        p.wait()
