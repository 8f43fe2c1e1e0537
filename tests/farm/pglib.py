"""A private PostgreSQL 15 cluster and helpers for the PostgreSQL and farm
tests. Everything runs inside the private mount namespace that run.sh
opens: /etc/x2go/x2gosql is a scratch copy pointing at this cluster, so the
machine's own configuration is never touched."""
import os
import pwd
import shutil
import subprocess
import tempfile
import time

PGBIN = '/usr/lib/postgresql/15/bin'
SQLDIR = '/etc/x2go/x2gosql'
RUNUSER = '/usr/sbin/runuser'
ENV = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'LANG': 'C.UTF-8'}
START_ARGS = ['800x600', 'adsl', '16m-jpeg-9', 'unix-kde-depth_24', 'null',
              'auto', '1', 'R', 'xterm', 'both']
START_ENV = {'X2GO_XINERAMA': 'false', 'SSH_CLIENT': '127.0.0.1 4000 22'}
USERS = ['x2gopga', 'x2gopgb', 'x2gopgc', 'x2gopgd']
# Empties the session tables. Not DELETE: the reference's rules turn a
# delete of another role's rows into nothing, for the superuser too.
EMPTY = 'TRUNCATE mounts, used_ports, sessions'
GROUP = 'x2gopggrp'


DIRS = {'bin': '/usr/bin', 'sbin': '/usr/sbin', 'libexec': '/usr/lib/x2go'}
_cmds = {}
build_cmd = None


def use_commands(x2go_cmd, daemon, private=None):
    """Map each command name to its path: the installed ones, or (private
    given) symlinks in private to a build's binaries."""
    global build_cmd
    build_cmd = x2go_cmd if private else None
    p = subprocess.run([x2go_cmd, '--list'], stdout=subprocess.PIPE, check=True)
    names = [l.split() for l in p.stdout.decode().splitlines() if l.strip()]
    for kind, name in names + [['sbin', 'x2gocleansessions']]:
        if private:
            os.symlink(daemon if name == 'x2gocleansessions' else x2go_cmd,
                       os.path.join(private, name))
            _cmds[name] = os.path.join(private, name)
        else:
            _cmds[name] = os.path.join(DIRS[kind], name)


def cmd(name):
    return _cmds[name]


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Result:
    def __init__(self, argv, rc, out, err, secs):
        self.argv, self.rc, self.out, self.err, self.secs = argv, rc, out, err, secs

    def __repr__(self):
        return '%s: rc=%d %.1fs stdout=%r stderr=%r' % (
            ' '.join(self.argv)[:160], self.rc, self.secs, self.out[:300], self.err[:300])

    def lines(self):
        return [l for l in self.out.decode().split('\n') if l]


def run(argv, user=None, host=None, env=None, timeout=60, stdin=None):
    """argv as user (runuser), on host (a private UTS namespace whose host
    name is host), with env added to a clean environment."""
    full = list(argv)
    e = dict(ENV)
    e.update(env or {})
    if user and user != 'root':
        full = [RUNUSER, '-u', user, '--', '/usr/bin/env'] + \
               ['%s=%s' % kv for kv in sorted(e.items())] + full
    if host in hosts:
        full = hosts[host].prefix() + full
    elif host:
        full = ['/usr/bin/unshare', '--uts', '/bin/sh', '-c',
                'hostname "$0" && exec "$@"', host] + full
    t = time.monotonic()
    p = subprocess.run(full, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout)
    return Result(list(argv), p.returncode, p.stdout, p.stderr, time.monotonic() - t)


hosts = {}
conf_dir = None
scratch = []  # temporary files and directories, removed by run.py at the end


# The farm's network: a bridge in run.sh's private network namespace, each
# host behind its own veth pair with its own address; the database listens
# on the bridge's address, reachable from every host.
BRIDGE = 'x2gofarmbr'
NET = '10.231.0.'
DBHOST = NET + '1'
ADDRS = {'x2gofarmh1': NET + '11', 'x2gofarmh2': NET + '12', 'x2gofarmh3': NET + '13',
         'x2gofarmref': NET + '20', 'x2gofarmpgs': NET + '14'}


def setup_network():
    """lo and the bridge (run.sh gives this process its own network namespace)."""
    for argv in (['link', 'set', 'lo', 'up'], ['link', 'add', BRIDGE, 'type', 'bridge'],
                 ['addr', 'add', DBHOST + '/24', 'dev', BRIDGE], ['link', 'set', BRIDGE, 'up']):
        subprocess.run(['ip'] + argv, check=True)


class Host:
    """A farm host on this machine: its own host name (UTS namespace), its
    own network (network namespace, one address on the farm's bridge) and
    its own /tmp and /run (mount namespace), so that its sshd, agents,
    session directories and clean-up daemon are its alone. Homes and the
    database are shared, as in a real farm."""

    def __init__(self, name):
        self.name = name
        self.addr = ADDRS[name]
        script = ('hostname "$0" && mount -t tmpfs -o mode=1777 tmpfs /tmp &&'
                  ' mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 1777 /run/lock &&'
                  ' mkdir -m 755 /run/sshd && echo ready && exec sleep infinity')
        if build_cmd:  # what sshd runs there by name is the build too
            script = 'mount --bind %s /usr/lib/x2go/x2go-cmd && %s' % (build_cmd, script)
        self.holder = subprocess.Popen(['/usr/bin/unshare', '--uts', '--mount', '--net',
                                        '--propagation', 'private', '/bin/sh', '-c', script,
                                        name], stdout=subprocess.PIPE)
        check(self.holder.stdout.readline() == b'ready\n', 'host %s did not come up' % name)
        self.veth = 'v' + name[-6:]
        subprocess.run(['ip', 'link', 'del', self.veth], stderr=subprocess.DEVNULL)
        ns = ['/usr/bin/nsenter', '-t', str(self.holder.pid), '-n', 'ip']
        try:
            for argv in (['ip', 'link', 'add', self.veth, 'type', 'veth', 'peer', 'name', 'eth0',
                          'netns', str(self.holder.pid)],
                         ['ip', 'link', 'set', self.veth, 'master', BRIDGE, 'up'],
                         ns + ['link', 'set', 'lo', 'up'],
                         ns + ['addr', 'add', self.addr + '/24', 'dev', 'eth0'],
                         ns + ['link', 'set', 'eth0', 'up']):
                subprocess.run(argv, check=True)
        except subprocess.CalledProcessError:
            self.destroy()
            raise
        hosts[name] = self

    def prefix(self):
        return ['/usr/bin/nsenter', '-t', str(self.holder.pid), '-u', '-m', '-n', '--']

    def popen(self, argv, **kw):
        return subprocess.Popen(self.prefix() + argv, env=ENV, **kw)

    def destroy(self):
        # the link first: a dying namespace frees its end only later
        subprocess.run(['ip', 'link', 'del', self.veth], stderr=subprocess.DEVNULL)
        self.holder.kill()
        self.holder.wait()
        hosts.pop(self.name, None)


def ok(r, what=''):
    check(r.rc == 0 and r.err == b'', 'expected success %s: %r' % (what, r))
    return r


def one_error(r, what='', want=None):
    """Bad input: non-zero exit, empty stdout, exactly one line on stderr."""
    lines = r.err.decode(errors='replace').strip('\n').split('\n')
    check(r.rc != 0 and r.out == b'' and len(lines) == 1 and lines[0],
          'expected one clear error %s: %r' % (what, r))
    if want:
        check(want in lines[0], 'error %s should say %r: %r' % (what, want, r))
    return lines[0]


def ensure_users():
    for u in USERS:
        try:
            pwd.getpwnam(u)
        except KeyError:
            subprocess.run(['useradd', '-m', '-s', '/bin/bash', u], check=True)
        # not locked: sshd without PAM refuses locked accounts even with a key
        subprocess.run(['usermod', '-p', '*', u], check=True)
    subprocess.run(['groupadd', '-f', GROUP], check=True)
    subprocess.run(['gpasswd', '-M', ','.join(USERS[1:3]), GROUP], check=True,
                   stdout=subprocess.DEVNULL)


def home(user):
    return pwd.getpwnam(user).pw_dir


def passfile(user):
    return os.path.join(home(user), '.x2go', 'pgsqlpass')


def read_pass(user):
    with open(passfile(user)) as f:
        return f.readline().strip()


class Cluster:
    """initdb + postgres on 127.0.0.1 and a private socket dir, port given."""

    def __init__(self, port, listen='127.0.0.1'):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix='x2go-pgtest-', dir='/var/tmp')
        self.data = os.path.join(self.dir, 'data')
        self.admin_pw = 'adm' + os.urandom(12).hex()
        pg = pwd.getpwnam('postgres')
        os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        pwf = os.path.join(self.dir, 'pw')
        with open(pwf, 'w') as f:
            f.write(self.admin_pw + '\n')
        os.chown(pwf, pg.pw_uid, pg.pw_gid)
        self._pg(['initdb', '-D', self.data, '-U', 'postgres', '-A', 'scram-sha-256',
                  '--pwfile', pwf, '-E', 'UTF8', '--locale', 'C.UTF-8'])
        os.unlink(pwf)
        with open(os.path.join(self.data, 'pg_hba.conf'), 'a') as f:
            f.write('host all all 10.231.0.0/16 scram-sha-256\n')
        self.listen = listen
        self.start()

    def _pg(self, args, check=True):
        return subprocess.run([RUNUSER, '-u', 'postgres', '--', os.path.join(PGBIN, args[0])]
                              + args[1:], check=check, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, cwd=self.dir)

    def start(self):
        self._pg(['pg_ctl', '-D', self.data, '-w', '-l', os.path.join(self.dir, 'log'),
                  '-o', '-p %d -k %s -c listen_addresses=%s -c max_connections=300'
                  ' -c fsync=off' % (self.port, self.dir, self.listen), 'start'])

    def stop(self, mode='fast'):
        self._pg(['pg_ctl', '-D', self.data, '-w', '-m', mode, 'stop'], check=False)

    def destroy(self):
        self.stop('immediate')
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, sql, user='postgres', password=None, db='x2go_sessions', args=()):
        e = dict(ENV, PGPASSWORD=password or self.admin_pw, PGCONNECT_TIMEOUT='5')
        p = subprocess.run(['psql', '-X', '-q', '-At', '-F', '|', '-h', '127.0.0.1',
                            '-p', str(self.port), '-U', user, '-d', db,
                            '-v', 'ON_ERROR_STOP=1'] + list(args) + ['-c', sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=60)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def admin(self, sql, db='x2go_sessions'):
        rc, out, err = self.psql(sql, db=db)
        check(rc == 0, 'admin SQL failed: %s: %s' % (sql, err))
        return out

    def snapshot(self):
        """Every row of every table, for "nothing changed" checks."""
        return self.admin("SELECT 's', * FROM sessions ORDER BY session_id") + \
            self.admin("SELECT 'p', * FROM used_ports ORDER BY port") + \
            self.admin("SELECT 'm', * FROM mounts ORDER BY path")


def prepare_db():
    """A fresh database with every test user (for runs that skip the
    x2godbadmin tests)."""
    for argv in [['--createdb']] + [['--adduser', u] for u in USERS]:
        ok(run([cmd('x2godbadmin')] + argv))


def private_hosts():
    """/etc/hosts with the farm's host names and addresses (this mount
    namespace only): xauth, sshd, the broker and the clients resolve them."""
    fd, path = tempfile.mkstemp(prefix='x2go-farm-hosts-', dir='/var/tmp')
    scratch.append(path)
    with open('/etc/hosts') as f, os.fdopen(fd, 'w') as out:
        out.write(f.read() + '\n' + ''.join('%s %s\n' % (a, n) for n, a in ADDRS.items()))
    os.chmod(path, 0o644)
    subprocess.run(['mount', '--bind', path, '/etc/hosts'], check=True)


def write_sql_conf(cluster, host=DBHOST, port=None, backend='postgres'):
    with open(os.path.join(SQLDIR, 'sql'), 'w') as f:
        f.write('backend=%s\n[postgres]\nhost=%s\nport=%d\nssl=disable\ndbadmin=postgres\n'
                % (backend, host, port or cluster.port))


def bench_teardown(cluster):
    """The end of a benchmark: the cluster, the configuration mount, the
    scratch files."""
    cluster.destroy()
    subprocess.run(['umount', '-l', SQLDIR, '/etc/hosts'], stderr=subprocess.DEVNULL)
    for p in scratch:
        shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)


def private_sqldir(cluster):
    """Bind a scratch directory over /etc/x2go/x2gosql (mount namespace of
    run.sh only) holding the admin password of the test cluster."""
    d = tempfile.mkdtemp(prefix='x2go-pgconf-', dir='/var/tmp')
    scratch.append(d)
    os.chmod(d, 0o755)
    os.makedirs(os.path.join(d, 'passwords'), mode=0o700)
    with open(os.path.join(d, 'passwords', 'pgadmin'), 'w') as f:
        f.write(cluster.admin_pw + '\n')
    os.chmod(os.path.join(d, 'passwords', 'pgadmin'), 0o600)
    os.makedirs(SQLDIR, exist_ok=True)
    subprocess.run(['mount', '--bind', d, SQLDIR], check=True)
    write_sql_conf(cluster)
    global conf_dir
    conf_dir = d
    return d
