"""Shared helpers for the integration tests (stdlib only, run as root).

The tests run against the INSTALLED commands and the real session
database. Rows are seeded straight into /var/lib/x2go/x2go_sessions the
way the reference writes them; fake agents are processes of the test user
whose argv holds the element "X2GO-<sid>". Everything a test creates is
removed again by the fixture that created it.
"""

import contextlib
import grp
import hashlib
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

DB = '/var/lib/x2go/x2go_sessions'
DBDIR = '/var/lib/x2go'
DBGROUP = 'x2gouser'
LIB = '/usr/lib/x2go'
# A raw client of the store server (tests only): requests as the commands
# send them. Copied where the test users can run it (the checkout may not
# be readable for them).
HELPER = '/var/tmp/x2go-it/x2go-storecall'
os.makedirs(os.path.dirname(HELPER), mode=0o755, exist_ok=True)
os.chmod(os.path.dirname(HELPER), 0o755)
shutil.copyfile(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'x2go-storecall'),
                HELPER)
os.chmod(HELPER, 0o755)
STORED = LIB + '/x2go-stored'
SERVER_CONF = '/etc/x2go/x2goserver.conf'
SQL_CONF = '/etc/x2go/x2gosql/sql'
USER_A = 'x2goita'
USER_B = 'x2goitb'
HOST = socket.gethostname()
RUNUSER = '/usr/sbin/runuser'
ENV = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'LANG': 'C', 'LC_ALL': 'C'}
# Sanitizer options (tests/run.sh) reach every command run here, so that an
# ASan build reports into files that the run checks, and UBSan halts.
ENV.update({k: v for k, v in os.environ.items()
            if k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS')})
COOKIE_A = '3ebbe794a3494f5ad424bce6f8617c8b'
COOKIE_B = '0123456789abcdef0123456789abcdef'

# Displays used by these tests: high enough not to meet real sessions.
DISPLAY_BASE = 8700

# The reference schema, as x2godbadmin --createdb (Perl) creates it
# (spec 3.2), statement by statement.
REFERENCE_SCHEMA = [
    """create table sessions(
              session_id varchar(500) primary key,
              display integer not null,
              uname varchar(100) not null,
              server varchar(100) not null,
              client inet,
              status char(1) not null default 'R',
              init_time timestamp not null default CURRENT_TIMESTAMP,
              last_time timestamp not null default CURRENT_TIMESTAMP,
              cookie char(33),
              agent_pid int,
              gr_port int,
              sound_port int,
              fs_port int,
              tekictrl_port int,
              tekidata_port int,
              unique(display)
              )""",
    "create table messages(mess_id varchar(20) primary key, message text)",
    "create table user_messages(mess_id varchar(20) not null, uname varchar(100) not null)",
    """create table used_ports(
              server varchar(100) not null,
              session_id varchar(500) references sessions on delete cascade,
              port integer primary key
              )""",
    """create table mounts(
              session_id varchar(500) references sessions on delete restrict,
              path varchar(512) not null,
              client inet not null,
              primary key(path,client)
              )""",
    """CREATE TRIGGER fkd_mounts_session_id
              BEFORE DELETE ON sessions
              FOR EACH ROW BEGIN
                  SELECT RAISE(ABORT, 'delete on table "sessions" violates foreign key on table "mounts"')
                  WHERE (SELECT session_id FROM mounts WHERE session_id = OLD.session_id) IS NOT NULL;
              END""",
    """CREATE TRIGGER fkd_ports_session_id
              BEFORE DELETE ON sessions
              FOR EACH ROW BEGIN
                  DELETE FROM used_ports WHERE session_id = OLD.session_id;
              END""",
]

REFERENCE_COLUMNS = [
    ('session_id', 'varchar(500)'), ('display', 'integer'), ('uname', 'varchar(100)'),
    ('server', 'varchar(100)'), ('client', 'inet'), ('status', 'char(1)'),
    ('init_time', 'timestamp'), ('last_time', 'timestamp'), ('cookie', 'char(33)'),
    ('agent_pid', 'int'), ('gr_port', 'int'), ('sound_port', 'int'), ('fs_port', 'int'),
    ('tekictrl_port', 'int'), ('tekidata_port', 'int'),
]


def ensure_users():
    for u in (USER_A, USER_B):
        try:
            pwd.getpwnam(u)
        except KeyError:
            subprocess.run(['useradd', '-m', '-s', '/bin/bash', u], check=True,
                           stdout=subprocess.DEVNULL)


def uid_of(user):
    return pwd.getpwnam(user).pw_uid


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what):
    if got != want:
        raise AssertionError('%s: got %r, want %r' % (what, got, want))


# ---------------------------------------------------------------- commands

class Result:
    def __init__(self, argv, user, rc, out, err):
        self.argv, self.user, self.rc, self.out, self.err = argv, user, rc, out, err

    def __repr__(self):
        return '%s%s: rc=%d stdout=%r stderr=%r' % (
            '[%s] ' % self.user if self.user else '', ' '.join(map(_show, self.argv))[:200],
            self.rc, self.out[:300], self.err[:300])


def _show(a):
    if isinstance(a, bytes):
        a = a.decode('utf-8', 'backslashreplace')
    return a if len(a) < 60 else a[:40] + '...(%d chars)' % len(a)


def run(argv, user=None, timeout=60, env=None):
    """Run argv (as user via runuser when given); capture everything."""
    full = list(argv)
    if user and user != 'root':
        full = [RUNUSER, '-u', user, '--'] + full
    p = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env or ENV, timeout=timeout)
    return Result(list(argv), user, p.returncode, p.stdout, p.stderr)


FAKE_HOST = 'x2goitfakehost'


def run_on_fake_host(argv, user=None, timeout=60):
    """Run argv in a private UTS namespace whose host name is FAKE_HOST.
    Rows with server=FAKE_HOST are then this command's own host's rows,
    while a clean-up daemon (in the real namespace) leaves them alone: the
    command's own reconciliation can be watched without a race."""
    inner = list(argv)
    if user and user != 'root':
        inner = [RUNUSER, '-u', user, '--'] + inner
    full = ['/usr/bin/unshare', '--uts', '/bin/sh', '-c',
            'hostname "$0" && exec "$@"', FAKE_HOST] + inner
    p = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=ENV, timeout=timeout)
    return Result(list(argv), user, p.returncode, p.stdout, p.stderr)


def ok(r, what=''):
    """The command succeeded and said nothing on stderr."""
    check(r.rc == 0 and r.err == b'', 'expected success %s: %r' % (what, r))
    return r


def one_error_line(r, what=''):
    """Failure the way DESIGN.md 2.9 wants it: non-zero exit, nothing on
    stdout, exactly one printable line on stderr."""
    check(r.rc != 0, 'expected failure %s, got exit 0: %r' % (what, r))
    check(r.out == b'', 'stdout not empty on failure %s: %r' % (what, r))
    check(r.err.endswith(b'\n') and r.err.count(b'\n') == 1 and len(r.err) > 1,
          'expected exactly one stderr line %s: %r' % (what, r))
    line = r.err[:-1]
    check(all(0x20 <= c < 0x7f for c in line),
          'stderr line has control or non-ASCII bytes %s: %r' % (what, r))
    check(b'AddressSanitizer' not in r.err and b'runtime error' not in r.err,
          'sanitizer report %s: %r' % (what, r))
    return line.decode()


# ---------------------------------------------------------------- database

@contextlib.contextmanager
def db(path=DB):
    """A connection to the session database. Files SQLite creates next to
    it (-wal, -shm) must stay usable by the helper: create them with group
    x2gouser and mode 0660, as the helper itself does."""
    gid = grp.getgrnam(DBGROUP).gr_gid
    old_mask = os.umask(0o007)
    old_egid = os.getegid()
    os.setegid(gid)
    try:
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            yield con
        finally:
            con.close()
    finally:
        os.setegid(old_egid)
        os.umask(old_mask)


def sql(query, params=(), path=DB):
    with db(path) as con:
        return con.execute(query, params).fetchall()


def snapshot(path=DB):
    """Full logical dump plus the bytes of the database file (after a
    checkpoint, so that what is in the WAL is in the file)."""
    with db(path) as con:
        con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        head = ['PRAGMA %s=%s;' % (p, con.execute('PRAGMA %s' % p).fetchone()[0])
                for p in ('user_version', 'application_id', 'journal_mode', 'page_size')]
        dump = '\n'.join(head + list(con.iterdump()))
    with open(path, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return digest, dump


def _diff(before, after):
    b, a = set(before[1].splitlines()), set(after[1].splitlines())
    return ['+' + l for l in after[1].splitlines() if l not in b] + \
        ['-' + l for l in before[1].splitlines() if l not in a]


def _foreign(line):
    """A dump line about a row of some other user (real sessions, other
    developers' tests, and the history events their changes record) rather
    than the schema or the test users' rows."""
    body = line[1:]
    return (body.startswith(('INSERT INTO "sessions"', 'INSERT INTO "used_ports"',
                             'INSERT INTO "mounts"', 'INSERT INTO "x2go_history"'))
            and USER_A not in body and USER_B not in body)


def same_db(before, after, what):
    """Strict: the dump and the file bytes must be identical."""
    if before == after:
        return
    diff = _diff(before, after)
    if diff:
        raise AssertionError('database changed by %s: %s' % (what, ' | '.join(diff[:6])))
    raise AssertionError('database file bytes changed by %s (same rows)' % what)


def unchanged(action, what, tries=6, path=DB):
    """Run action() and show that it left the database byte-identical.
    The database is shared with real sessions and other test suites: when
    the only differences are other users' rows (or bytes with the same
    rows), that was someone else; try again. A difference in the schema or
    in the test users' rows fails at once."""
    for _ in range(tries):
        before = snapshot(path)
        t0 = time.monotonic()
        result = action()
        took = time.monotonic() - t0
        after = snapshot(path)
        if before == after:
            return result
        diff = _diff(before, after)
        mine = [l for l in diff if not _foreign(l)]
        if mine:
            raise AssertionError('database changed by %s: %s' % (what, ' | '.join(mine[:6])))
        if not diff:
            # Same rows, other bytes: was the database quiet meanwhile?
            # Watch it for as long again without the action.
            c0 = snapshot(path)
            time.sleep(max(took, 0.05))
            if snapshot(path) == c0:
                raise AssertionError('database file bytes changed by %s (same rows)' % what)
        time.sleep(0.2)
    return result  # only other users' rows kept changing meanwhile


def daemon_running():
    """Is a clean-up daemon (x2gocleansessions) reconciling this host's
    rows right now? It does what x2golistsessions does, often first."""
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b'x2gocleansessions':
            return True
    return False


def now_local():
    return sql("SELECT datetime('now','localtime')")[0][0]


def age_now(init_time_text):
    return sql("SELECT strftime('%s','now','localtime') - strftime('%s',?)",
               (init_time_text,))[0][0]


def row(sid, path=DB):
    r = sql('SELECT session_id, display, uname, server, client, status, init_time, last_time,'
            ' cookie, agent_pid, gr_port, sound_port, fs_port, tekictrl_port, tekidata_port'
            ' FROM sessions WHERE session_id=?', (sid,), path=path)
    return r[0] if r else None


def status_of(sid, path=DB):
    r = sql('SELECT status FROM sessions WHERE session_id=?', (sid,), path=path)
    return r[0][0] if r else None


def fix_db_perms(path=DB):
    gid = grp.getgrnam(DBGROUP).gr_gid
    for p in (path, path + '-wal', path + '-shm'):
        if os.path.exists(p):
            os.chown(p, 0, gid)
            os.chmod(p, 0o660)


class PrivateDB:
    """A database directory of its own, seen at /var/lib/x2go only by the
    commands started through .run(): they run in a private mount namespace
    where it is bind-mounted over the real directory. The live database,
    the clean-up daemon and everybody else's sessions are never touched
    (swapping files under the live path could corrupt it for a process
    that opens it at that moment)."""

    def __init__(self, src=None):
        self.dir = tempfile.mkdtemp(prefix='x2goit-db.')
        os.chown(self.dir, 0, grp.getgrnam(DBGROUP).gr_gid)
        os.chmod(self.dir, 0o770)
        self.db = os.path.join(self.dir, 'x2go_sessions')
        if src:
            shutil.copyfile(src, self.db)
            fix_db_perms(self.db)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, argv, user=None, host=None, timeout=60, env=None):
        inner = list(argv)
        if user and user != 'root':
            inner = [RUNUSER, '-u', user, '--'] + inner
        pre = ['/usr/bin/unshare', '--mount']
        # A store server of its own, on the private database and socket.
        script = ('mount --bind "$0" %s && mount -t tmpfs -o mode=0755 x2goit /run/x2go'
                  ' && %s || exit 99; ' % (DBDIR, STORED))
        args = [self.dir]
        if host:
            pre.append('--uts')
            script += 'hostname "$1" || exit 99; shift; '
            args.append(host)
        script += '"$@"; rc=$?; kill $(cat /run/x2go/stored.pid) 2>/dev/null; exit $rc'
        p = subprocess.run(pre + ['/bin/sh', '-c', script] + args + inner,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env or ENV, timeout=timeout)
        check(p.returncode != 99, 'cannot set up the private namespace: %r' % p.stderr)
        return Result(list(argv), user, p.returncode, p.stdout, p.stderr)


def make_reference_db(path, with_teki=True):
    """A database file made the way the reference's x2godbadmin does
    (rollback journal, reference DDL)."""
    if os.path.exists(path):
        os.unlink(path)
    con = sqlite3.connect(path, isolation_level=None)
    for stmt in REFERENCE_SCHEMA:
        if not with_teki and stmt.startswith('create table sessions'):
            stmt = stmt.replace('tekictrl_port int,', '').replace('tekidata_port int,', '')
        con.execute(stmt)
    con.close()


# ---------------------------------------------------------------- sessions

# nxagent's answers on its state file: SIGHUP suspends a running session
# and resumes a suspended one, SIGTERM terminates.
ANSWERING_AGENT = r'''
import os, re, signal, socket, sys, time
path = %r
listener = []
def put(*states):
    for st in states:
        with open(path + '.new', 'w') as f:
            f.write(st)
        os.replace(path + '.new', path)
def hup(*_):
    cur = open(path).read() if os.path.exists(path) else 'RUNNING'
    if cur != 'SUSPENDED':
        put('SUSPENDING', 'SUSPENDED')
        while listener:
            listener.pop().close()
        return
    put('RESUMING')
    opts = open(os.path.join(os.path.dirname(path), 'options')).read()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', int(re.search(r',listen=(\d+),', opts).group(1))))
    s.listen(1)
    listener.append(s)
    put('RUNNING')
def term(*_):
    put('TERMINATING', 'TERMINATED')
    os._exit(0)
signal.signal(signal.SIGHUP, hup)
signal.signal(signal.SIGTERM, term)
while True:
    time.sleep(600)
'''


def _catches_hup_and_term(pid):
    """Has the process installed its SIGHUP and SIGTERM handlers yet?"""
    with open('/proc/%s/status' % pid) as f:
        for line in f:
            if line.startswith('SigCgt:'):
                mask = int(line.split()[1], 16)
                return mask & (1 << (signal.SIGHUP - 1)) and mask & (1 << (signal.SIGTERM - 1))
    return False


def sid_for(user, display, epoch=None, cmd='XFCE', typ='D', suffix=''):
    return '%s-%d-%d_st%s%s_dp24%s' % (user, display, epoch or int(time.time()), typ, cmd,
                                       suffix)


class Sessions:
    """Seeds sessions for the test users and removes all traces again."""

    def __init__(self):
        ensure_users()
        self.sids, self.procs, self.dirs = [], [], []
        self.next_display = DISPLAY_BASE
        self.purge()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def purge():
        """Rows of the test users left by an interrupted earlier run."""
        with db() as con:
            con.execute('DELETE FROM mounts WHERE session_id IN (SELECT session_id FROM'
                        ' sessions WHERE uname IN (?,?))', (USER_A, USER_B))
            con.execute('DELETE FROM used_ports WHERE session_id IN (SELECT session_id FROM'
                        ' sessions WHERE uname IN (?,?))', (USER_A, USER_B))
            con.execute('DELETE FROM sessions WHERE uname IN (?,?)', (USER_A, USER_B))
        for u in (USER_A, USER_B):
            shutil.rmtree('/tmp/.x2go-%s' % u, ignore_errors=True)

    def display(self):
        self.next_display += 1
        return self.next_display

    def agent(self, user, sid, answering=False):
        """A fake agent: a process of user with argv element X2GO-<sid>.
        answering: it also moves its state file on SIGHUP and SIGTERM the
        way nxagent does. Returns its pid (the user's process, not
        runuser's)."""
        code = ANSWERING_AGENT % ('/tmp/.x2go-%s/C-%s/state' % (user, sid)) if answering \
            else 'import time; time.sleep(600)'
        p = subprocess.Popen([RUNUSER, '-u', user, '--', '/usr/bin/python3', '-c',
                              code, 'X2GO-' + sid],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True, env=ENV)
        self.procs.append(p)
        uid = uid_of(user)
        want = ('X2GO-' + sid).encode()
        deadline = time.time() + 15
        while time.time() < deadline:
            for d in os.listdir('/proc'):
                if not d.isdigit():
                    continue
                try:
                    if os.stat('/proc/' + d).st_uid != uid:
                        continue
                    with open('/proc/%s/cmdline' % d, 'rb') as f:
                        if want in f.read().split(b'\0') and (
                                not answering or _catches_hup_and_term(d)):
                            return int(d)
                except OSError:
                    continue
            time.sleep(0.02)
        raise AssertionError('fake agent for %s did not start' % sid)

    def dead_pid(self, user, sid):
        """The pid of an agent that has exited."""
        pid = self.agent(user, sid)
        os.kill(pid, signal.SIGKILL)
        p = self.procs.pop()
        p.wait(timeout=15)
        deadline = time.time() + 5
        while os.path.exists('/proc/%d' % pid) and time.time() < deadline:
            time.sleep(0.02)
        return pid

    def state(self, user, sid, text):
        """/tmp/.x2go-<user>/C-<sid>/state, owned by user, dirs 0700."""
        uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
        top = '/tmp/.x2go-%s' % user
        if not os.path.isdir(top):
            os.mkdir(top, 0o700)
            self.dirs.append(top)
        os.chown(top, uid, gid)
        os.chmod(top, 0o700)
        sdir = '%s/C-%s' % (top, sid)
        os.makedirs(sdir, exist_ok=True)
        os.chown(sdir, uid, gid)
        os.chmod(sdir, 0o700)
        path = sdir + '/state'
        with open(path, 'w') as f:
            f.write(text)  # nxagent writes it without a newline
        os.chown(path, uid, gid)

    def add(self, user, status='R', agent='live', state=None, cookie=None, server=None,
            cmd='XFCE', typ='D', client='10.0.0.5', ports=None, teki=(-1, -1),
            init_time=None, last_time=None, display=None, path=DB):
        """Insert one session row; agent: 'live', 'dead', None (NULL pid)
        or an int pid. Returns a dict of what was stored. path: another
        database file (a PrivateDB's), which needs no clean-up here."""
        display = display or self.display()
        sid = sid_for(user, display, cmd=cmd, typ=typ)
        if agent in ('live', 'answering'):
            pid = self.agent(user, sid, answering=agent == 'answering')
        elif agent == 'dead':
            pid = self.dead_pid(user, sid)
        else:
            pid = agent
        if state:
            self.state(user, sid, state)
        if ports is None:
            ports = (30000 + display * 3 % 30000, 30001 + display * 3 % 30000,
                     30002 + display * 3 % 30000) if pid is not None else (None,) * 3
        if cookie is None:
            cookie = COOKIE_A if user == USER_A else COOKIE_B
            if pid is None:
                cookie = None
        if pid is None:
            client, teki = None, (None, None)
        now = "datetime('now','localtime')"
        it = '?' if init_time else now
        lt = '?' if last_time else now
        params = [sid, display, user, server or HOST, client, status]
        params += [init_time] if init_time else []
        params += [last_time] if last_time else []
        params += [cookie, pid, ports[0], ports[1], ports[2], teki[0], teki[1]]
        if path == DB:
            self.sids.append(sid)
        sql('INSERT INTO sessions(session_id, display, uname, server, client, status,'
            ' init_time, last_time, cookie, agent_pid, gr_port, sound_port, fs_port,'
            ' tekictrl_port, tekidata_port) VALUES (?,?,?,?,?,?,%s,%s,?,?,?,?,?,?,?)'
            % (it, lt), params, path=path)
        return self.info(sid, path)

    def options(self, user, info):
        """The session's options file, as x2gostartagent writes it."""
        sdir = '/tmp/.x2go-%s/C-%s' % (user, info['sid'])
        home = pwd.getpwnam(user).pw_dir
        text = ('nx/nx,link=lan,pack=16m-jpeg-9,limit=0,root=%s/.x2go,cache=8M,images=32M,'
                'type=unix-kde-depth_24,id=%s,cookie=%s,errors=%s/session.log,kbtype=pc105/us,'
                'geometry=800x600,xinerama=0,resize=1,fullscreen=0,accept=localhost,'
                'listen=%d,clipboard=both,client=linux,menu=0,state=%s/state:%d\n'
                % (home, info['sid'], info['cookie'], sdir, info['gr_port'], sdir,
                   info['display']))
        self.state(user, info['sid'], self.agent_state(user, info['sid']))
        path = sdir + '/options'
        with open(path, 'w') as f:
            f.write(text)
        os.chown(path, uid_of(user), pwd.getpwnam(user).pw_gid)

    @staticmethod
    def agent_state(user, sid):
        try:
            with open('/tmp/.x2go-%s/C-%s/state' % (user, sid)) as f:
                return f.read()
        except OSError as e:
            return '<%s>' % e.strerror

    @staticmethod
    def info(sid, path=DB):
        r = row(sid, path)
        keys = ['sid', 'display', 'uname', 'server', 'client', 'status', 'init_time',
                'last_time', 'cookie', 'agent_pid', 'gr_port', 'sound_port', 'fs_port',
                'tekictrl_port', 'tekidata_port']
        return dict(zip(keys, r))

    def close(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.procs = []
        if self.sids:
            with db() as con:
                for sid in self.sids:
                    con.execute('DELETE FROM mounts WHERE session_id=?', (sid,))
                    con.execute('DELETE FROM used_ports WHERE session_id=?', (sid,))
                    con.execute('DELETE FROM sessions WHERE session_id=?', (sid,))
        self.sids = []
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        self.dirs = []


def _fmt(v):
    return '' if v is None else str(v)


def _t(text):
    """Stored 'YYYY-MM-DD HH:MM:SS' as the list line shows it."""
    return '' if text is None else text.replace(' ', 'T')


def expected_line(info, status=None, nfields=16):
    """The list line for a stored row, the age field as '{age}'."""
    f = [_fmt(info['agent_pid']), info['sid'], str(info['display']), info['server'],
         status or info['status'], _t(info['init_time']), _fmt(info['cookie']),
         _fmt(info['client']), _fmt(info['gr_port']), _fmt(info['sound_port']),
         _t(info['last_time']), info['uname'], '{age}', _fmt(info['fs_port']),
         _fmt(info['tekictrl_port']), _fmt(info['tekidata_port'])]
    return '|'.join(f[:nfields])


def match_line(line, info, status=None, nfields=16, age_range=None, last_times=()):
    """Byte-exact comparison of a list line with a stored row; the age
    (field 13) must be an integer in age_range. last_times: other stored
    last_time values that are right too (a status change by a clean-up
    daemon running meanwhile moves last_time)."""
    want = expected_line(info, status, nfields).split('|')
    got = line.split('|')
    eq(len(got), nfields, 'number of fields in %r' % line)
    if got[10] in {_t(t) for t in last_times if t}:
        want[10] = got[10]
    age = got[12]
    check(age.lstrip('-').isdigit() and str(int(age)) == age, 'age field %r in %r' % (age, line))
    if age_range:
        check(age_range[0] <= int(age) <= age_range[1],
              'age %s not in %r in %r' % (age, age_range, line))
    want[12] = age
    eq(line, '|'.join(want), 'list line')


def lines_of(r):
    out = r.out.decode()
    if not out:
        return []
    check(out.endswith('\n'), 'list output without final newline: %r' % out[-50:])
    return out[:-1].split('\n')


def of_user(lines, *users):
    return [l for l in lines if len(l.split('|')) > 11 and l.split('|')[11] in users]


def by_sid(lines):
    return {l.split('|')[1]: l for l in lines}


@contextlib.contextmanager
def replaced_file(path, text):
    """Put text into path (atomically) and restore the original after."""
    backup = path + '.itbak%d' % os.getpid()
    existed = os.path.exists(path)
    if existed:
        shutil.copy2(path, backup)
    try:
        tmp = path + '.itnew%d' % os.getpid()
        with open(tmp, 'w') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        yield
    finally:
        if existed:
            os.replace(backup, path)
        elif os.path.exists(path):
            os.unlink(path)


def _serialize_runs():
    """One integration run at a time on this machine: the tests swap the
    live database and seed rows for the same two users, so two concurrent
    runs would trip over each other. The lock lives as long as the run."""
    import fcntl
    import sys
    global _LOCK
    _LOCK = open('/run/lock/x2go-integration-tests.lock', 'a')
    try:
        fcntl.flock(_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print('itlib: waiting for another integration test run to finish', file=sys.stderr,
              flush=True)
        fcntl.flock(_LOCK, fcntl.LOCK_EX)


_serialize_runs()
ensure_users()
