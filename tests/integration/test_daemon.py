#!/usr/bin/python3
"""Integration tests of the installed clean-up daemon /usr/sbin/x2gocleansessions.

Run as root on a machine where scripts/install.sh installed and started the
daemon:  /usr/bin/python3 tests/integration/test_daemon.py [test_name ...]

Sessions are faked: rows go straight into /var/lib/x2go/x2go_sessions (the
reference schema), the "agent" is a small Python process of the test user
whose argv holds exactly "X2GO-<sid>", and which records every SIGHUP and
SIGTERM it receives (with the sender's uid) and answers like nxagent does on
its state file. Everything created is removed again.
"""
import contextlib
import fcntl
import json
import os
import pwd
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

DB = "/var/lib/x2go/x2go_sessions"
DAEMON = "/usr/sbin/x2gocleansessions"
PIDFILE = "/run/x2goserver.pid"
USER = "x2gotd1"
BIN = "/usr/bin"

AGENT = r'''
import os, signal, sys
sid, sdir, log, mode = sys.argv[1][5:], sys.argv[2], sys.argv[3], sys.argv[4]
def state(s):
    try:
        tmp = os.path.join(sdir, ".state.tmp")
        with open(tmp, "w") as f:
            f.write(s)
        os.rename(tmp, os.path.join(sdir, "state"))
    except OSError:
        pass
sigs = {signal.SIGHUP, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
while True:
    info = signal.sigwaitinfo(sigs)
    with open(log, "a") as f:
        f.write("%d %d\n" % (info.si_signo, info.si_uid))
    if info.si_signo == signal.SIGTERM:
        if mode == "stubborn":
            continue
        state("TERMINATING"); state("TERMINATED")
        sys.exit(0)
    try:
        cur = open(os.path.join(sdir, "state")).read()
    except OSError:
        cur = "RUNNING"
    if cur == "SUSPENDED":
        state("RESUMING"); state("RUNNING")
    else:
        state("SUSPENDING"); state("SUSPENDED")
'''

_cleanups = []


def ensure_user(name=USER):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
        return pwd.getpwnam(name)


def db():
    c = sqlite3.connect(DB, timeout=10, isolation_level=None)
    return c


def status_of(sid):
    with db() as c:
        r = c.execute("SELECT status FROM sessions WHERE session_id=?", (sid,)).fetchone()
    return r[0] if r else None


def ports_of(sid):
    with db() as c:
        return [r[0] for r in c.execute("SELECT port FROM used_ports WHERE session_id=?", (sid,))]


def set_status(sid, st):
    with db() as c:
        c.execute("UPDATE sessions SET status=?, last_time=datetime('now','localtime') "
                  "WHERE session_id=?", (st, sid))


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            return v
        time.sleep(step)


def daemon_pid():
    try:
        pid = int(open(PIDFILE).read().strip())
    except (OSError, ValueError):
        return None
    try:
        comm = open("/proc/%d/comm" % pid).read()
    except OSError:
        return None
    return pid if comm.startswith("x2gocleansessi") else None


class Session:
    """A fake session: row, session dir, ~/.x2go link, and a fake agent."""

    def __init__(self, status="R", agent=True, mode="normal", state="RUNNING", pid=None,
                 ports=3):
        self.pw = ensure_user()
        self.user = self.pw.pw_name
        self.host = socket.gethostname()
        self.proc = None
        for _ in range(50):
            self.display = random.randint(900, 9000)
            epoch = int(time.time()) - random.randint(0, 10 ** 6)
            self.sid = "%s-%d-%d_stDtest_dp24" % (self.user, self.display, epoch)
            try:
                with db() as c:
                    c.execute("BEGIN IMMEDIATE")
                    c.execute(
                        "INSERT INTO sessions(session_id,display,uname,server,client,status,"
                        "init_time,last_time,cookie,agent_pid) VALUES(?,?,?,?,?,?,"
                        "datetime('now','localtime'),datetime('now','localtime'),?,NULL)",
                        (self.sid, self.display, self.user, self.host, "127.0.0.1", "R",
                         "%032x" % random.getrandbits(128)))
                    self.ports = []
                    while len(self.ports) < ports:
                        p = random.randint(40000, 60000)
                        if c.execute("SELECT 1 FROM used_ports WHERE port=?", (p,)).fetchone():
                            continue
                        c.execute("INSERT INTO used_ports(server,session_id,port) VALUES(?,?,?)",
                                  (self.host, self.sid, p))
                        self.ports.append(p)
                    c.execute("COMMIT")
                break
            except sqlite3.IntegrityError:
                continue
        _cleanups.append(self.cleanup)
        uid, gid = self.pw.pw_uid, self.pw.pw_gid
        self.tmpdir = "/tmp/.x2go-%s" % self.user
        if not os.path.isdir(self.tmpdir):
            os.mkdir(self.tmpdir, 0o700)
        os.chown(self.tmpdir, uid, gid)
        self.sdir = os.path.join(self.tmpdir, "C-" + self.sid)
        os.mkdir(self.sdir, 0o700)
        os.chown(self.sdir, uid, gid)
        self.write_state(state)
        x2go = os.path.join(self.pw.pw_dir, ".x2go")
        if not os.path.isdir(x2go):
            os.mkdir(x2go, 0o755)
            os.chown(x2go, uid, gid)
        self.link = os.path.join(x2go, "C-" + self.sid)
        os.symlink(self.sdir, self.link)
        os.lchown(self.link, uid, gid)
        self.siglog = "/tmp/x2gotd-%s.sig" % self.sid
        open(self.siglog, "w").close()
        os.chown(self.siglog, uid, gid)
        if agent:
            self.proc = subprocess.Popen(
                ["/usr/bin/python3", "-c", AGENT, "X2GO-" + self.sid, self.sdir, self.siglog,
                 mode], user=uid, group=gid, extra_groups=[], cwd="/",
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # the agent's argv must be visible before the row names it
            wait_for(lambda: ("X2GO-" + self.sid).encode() in
                     open("/proc/%d/cmdline" % self.proc.pid, "rb").read(), 5)
            pid = self.proc.pid
        # like x2gostartagent: the row is reserved (agent_pid NULL, R) first,
        # then the agent is filled in; the wanted status comes with it
        if pid is not None or status != "R":
            with db() as c:
                c.execute("UPDATE sessions SET agent_pid=?, status=?, gr_port=?, sound_port=?, "
                          "fs_port=? WHERE session_id=?",
                          (pid, status, *(self.ports + [None] * 3)[:3], self.sid))

    def write_state(self, st):
        tmp = os.path.join(self.sdir, ".state.tmp")
        with open(tmp, "w") as f:
            f.write(st)
        os.chown(tmp, self.pw.pw_uid, self.pw.pw_gid)
        os.rename(tmp, os.path.join(self.sdir, "state"))

    def signals(self):
        """[(signo, sender uid)] the fake agent received."""
        try:
            return [tuple(map(int, l.split())) for l in open(self.siglog) if l.strip()]
        except OSError:
            return []

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
        with db() as c:
            c.execute("DELETE FROM used_ports WHERE session_id=?", (self.sid,))
            c.execute("DELETE FROM sessions WHERE session_id=?", (self.sid,))
        subprocess.run(["rm", "-rf", "--one-file-system", self.sdir])
        for p in (self.link, self.siglog, "/tmp/.X%d-lock" % self.display,
                  "/tmp/.X11-unix/X%d" % self.display):
            try:
                os.unlink(p)
            except OSError:
                pass


def cleanup_all():
    while _cleanups:
        try:
            _cleanups.pop()()
        except Exception as e:  # keep cleaning
            print("cleanup: %s" % e, file=sys.stderr)


@contextlib.contextmanager
def cleaning():
    """One daemon test at a time on this machine (other runs of this module
    may be going on: they restart the daemon), and remove whatever the test
    created, pass or fail."""
    with open("/run/x2gotd-daemon-tests.lock", "a") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        try:
            yield
        finally:
            cleanup_all()


def require_daemon():
    # others may be restarting it (scripts/install.sh): give it a moment
    assert wait_for(daemon_pid, 10, 0.2), \
        "the daemon is not running (%s names no live x2gocleansessions)" % PIDFILE


# ---- tests ---------------------------------------------------------------

def test_pidfile_and_second_instance():
    with cleaning():
        pid = daemon_pid()
        assert pid, "no live x2gocleansessions named by %s" % PIDFILE
        for args in ([DAEMON], [DAEMON, "--debug"]):
            r = subprocess.run(args, capture_output=True, text=True, timeout=10)
            if r.returncode == 0 and not os.path.exists("/proc/%d" % pid):
                raise AssertionError("the daemon was restarted by someone else meanwhile "
                                     "(scripts/install.sh?); rerun this test")
            assert r.returncode != 0, "a second instance (%s) started" % args
            assert "already running" in r.stderr, "unexpected stderr: %r" % r.stderr
        assert daemon_pid() == pid, "the running daemon was disturbed"


def test_live_agent_left_alone():
    with cleaning():
        require_daemon()
        s = Session()
        time.sleep(2)
        assert status_of(s.sid) == "R", "a live session changed: %r" % status_of(s.sid)
        assert s.proc.poll() is None and not s.signals(), "the agent was signalled"


def test_dead_agent_row_becomes_F_and_is_deleted():
    with cleaning():
        require_daemon()
        s = Session()
        time.sleep(0.5)
        # the agent also "holds" its display, like an X server
        lock = "/tmp/.X%d-lock" % s.display
        with open(lock, "w") as f:
            f.write("%10d\n" % s.proc.pid)
        os.makedirs("/tmp/.X11-unix", mode=0o1777, exist_ok=True)
        sockp = "/tmp/.X11-unix/X%d" % s.display
        sk = socket.socket(socket.AF_UNIX)
        sk.bind(sockp)
        sk.close()  # a stale socket file: nobody listens
        # what a session dir may hold, planted links included: removal must
        # never follow them (it runs as the user, below a verified dir fd)
        uid, gid = s.pw.pw_uid, s.pw.pw_gid
        keep = os.path.join(s.pw.pw_dir, "x2gotd-keep-%d" % s.display)
        os.mkdir(keep)
        victim = os.path.join(keep, "file")  # the user could delete it
        with open(victim, "w") as f:
            f.write("keep")
        for p in (keep, victim):
            os.chown(p, uid, gid)
        _cleanups.append(lambda: subprocess.run(["rm", "-rf", keep]))
        for name, target in (("evil-etc", "/etc"), ("evil-dir", keep), ("evil-file", victim)):
            os.symlink(target, os.path.join(s.sdir, name))
            os.lchown(os.path.join(s.sdir, name), uid, gid)
        sub = os.path.join(s.sdir, "C-" + s.sid, "deeper")
        os.makedirs(sub)
        for d in (os.path.dirname(sub), sub):
            os.chown(d, uid, gid)
        with open(os.path.join(sub, "stats"), "w") as f:
            f.write("x")
        os.chown(os.path.join(sub, "stats"), uid, gid)
        os.chmod(os.path.dirname(sub), 0o500)  # not writable: still removed
        s.proc.kill()
        s.proc.wait()
        gone = wait_for(lambda: status_of(s.sid) is None, 5)
        assert gone, "row still there, status %r" % status_of(s.sid)
        assert not ports_of(s.sid), "its used_ports rows remain"
        assert wait_for(lambda: not os.path.lexists(lock) and not os.path.lexists(sockp), 3), \
            "stale X11 lock/socket not removed"
        # session dir and link go after a grace period (x2gocmdexitmessage);
        # 30 s, up to 60 s more when the daemon was restarted meanwhile
        assert os.path.isdir(s.sdir), "session dir removed without grace"
        assert wait_for(lambda: not os.path.lexists(s.sdir) and not os.path.lexists(s.link), 95, 0.5), \
            "session dir or ~/.x2go link not removed"
        assert open(victim).read() == "keep", "a linked file was changed"
        assert os.path.exists("/etc/hostname") and os.path.exists("/etc/passwd"), \
            "removal followed a link into /etc"


def test_rows_of_vanished_agents_cleaned_with_live_display_kept():
    """Reboot recovery: a row whose pid does not exist (or is another
    process) goes; X11 files of a display someone else holds stay."""
    with cleaning():
        require_daemon()
        other = subprocess.Popen(["sleep", "30"])  # not an agent: wrong argv
        s = Session(agent=False, pid=other.pid)
        lock = "/tmp/.X%d-lock" % s.display
        with open(lock, "w") as f:
            f.write("%10d\n" % other.pid)  # a live process holds the display
        try:
            assert wait_for(lambda: status_of(s.sid) is None, 8), "row of a non-agent pid stayed"
            time.sleep(0.5)
            assert os.path.exists(lock), "lock file of a live display holder removed"
            assert other.poll() is None, "an unrelated process was killed"
        finally:
            other.kill()
            other.wait()


def test_killed_agent_noticed_within_seconds():
    with cleaning():
        require_daemon()
        s = Session()
        time.sleep(1.0)
        t0 = time.monotonic()
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        assert wait_for(lambda: status_of(s.sid) is None, 10), "row not removed"
        dt = time.monotonic() - t0
        assert dt < 2.5, "took %.1f s (not event-driven?)" % dt


def test_suspended_state_sets_S_and_running_sets_R_without_suspend():
    with cleaning():
        require_daemon()
        s = Session()
        time.sleep(0.5)
        t0 = time.monotonic()
        s.write_state("SUSPENDED")
        # after a 2 s grace (a user's own suspend writes S itself)
        assert wait_for(lambda: status_of(s.sid) == "S", 5), "not S: %r" % status_of(s.sid)
        assert time.monotonic() - t0 < 4, "state change noticed late"
        # DB S, agent RUNNING (e.g. a resume that did not update the DB yet):
        # the DB is fixed, the session is never suspended behind the client
        s.write_state("RUNNING")
        assert wait_for(lambda: status_of(s.sid) == "R", 3), "not R: %r" % status_of(s.sid)
        time.sleep(3)
        assert status_of(s.sid) == "R"
        assert not any(sig == signal.SIGHUP for sig, _ in s.signals()), \
            "surprise suspend: %r" % s.signals()


def test_broker_suspend_request():
    """x2gobroker-agent sets S (x2gochangestatus) on a running session and
    expects the server to suspend it within ~2 s."""
    with cleaning():
        require_daemon()
        assert os.access(BIN + "/x2gosuspend-session", os.X_OK), "x2gosuspend-session not installed"
        s = Session()
        time.sleep(1.0)
        set_status(s.sid, "S")
        got = wait_for(lambda: [x for x in s.signals() if x[0] == signal.SIGHUP], 8)
        assert got, "agent not suspended; signals %r, status %r" % (s.signals(), status_of(s.sid))
        assert got[0][1] == s.pw.pw_uid, "SIGHUP sent by uid %d, not the user" % got[0][1]
        time.sleep(2)
        assert status_of(s.sid) == "S", "status %r" % status_of(s.sid)
        assert len([x for x in s.signals() if x[0] == signal.SIGHUP]) == 1, \
            "suspended more than once: %r" % s.signals()


def test_terminate_request_runs_terminate_as_user():
    with cleaning():
        require_daemon()
        s = Session()
        time.sleep(0.5)
        set_status(s.sid, "T")
        got = wait_for(lambda: [x for x in s.signals() if x[0] == signal.SIGTERM], 8)
        assert got, "agent not terminated; status %r" % status_of(s.sid)
        assert os.access(BIN + "/x2goterminate-session", os.X_OK), "no x2goterminate-session"
        assert got[0][1] == s.pw.pw_uid, \
            "SIGTERM from uid %d: x2goterminate-session did not run as the user" % got[0][1]
        assert wait_for(lambda: status_of(s.sid) is None, 8), \
            "row not removed after terminate: %r" % status_of(s.sid)


def test_finished_row_with_lingering_agent_gets_sigkill():
    with cleaning():
        require_daemon()
        s = Session(status="F", mode="stubborn")
        t0 = time.monotonic()
        time.sleep(3)
        assert s.proc.poll() is None, "killed without grace"
        rc = wait_for(lambda: s.proc.poll(), 30, 0.2)
        dt = time.monotonic() - t0
        assert rc == -signal.SIGKILL, "agent not SIGKILLed (rc %r)" % rc
        assert 18 <= dt <= 26, "killed after %.1f s, expected ~20" % dt
        assert wait_for(lambda: status_of(s.sid) is None, 5), "row not removed after the kill"


def test_reservation_survives_10s_not_70s():
    with cleaning():
        require_daemon()
        s = Session(agent=False)  # agent_pid NULL: a start in progress
        t0 = time.monotonic()
        time.sleep(10)
        st = status_of(s.sid)
        assert st == "R", "reservation changed within 10 s: status %r" % st
        gone = wait_for(lambda: status_of(s.sid) is None, 65, 0.5)
        dt = time.monotonic() - t0
        assert gone, "reservation still there after %.0f s" % dt
        assert dt >= 55, "reservation removed after only %.0f s" % dt
        assert not ports_of(s.sid), "its ports remain"


# ---- a private daemon: own mount namespace, own /run, /tmp and database ----

PRIVATE = r"""
import json, os, pwd, signal, socket, sqlite3, subprocess, sys, time
agent_code, user = sys.argv[1], sys.argv[2]
out = {"log": "", "nice": {}, "errors": []}
def sh(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL)
sh("mount", "--make-rprivate", "/")
for d in ("/run", "/tmp"):
    sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", d)
os.makedirs("/run/td/state")
sh("mount", "--bind", "/run/td/state", "/var/lib/x2go")
with open("/run/td/conf", "w") as f:
    f.write("[superenicer]\nenable=yes\nforce-user-renice=no\nnormal-nice-level=0\n"
            "idle-nice-level=17\nignored-users=bar, nobody\n\n[log]\nloglevel=notice\n")
sh("mount", "--bind", "/run/td/conf", "/etc/x2go/x2goserver.conf")
sh("/usr/sbin/x2godbadmin", "--createdb")
pw = pwd.getpwnam(user)
host = socket.gethostname()
os.mkdir("/tmp/.x2go-" + user, 0o700)
os.chown("/tmp/.x2go-" + user, pw.pw_uid, pw.pw_gid)
procs, sess = [], {}
for k, (name, status, state) in enumerate((("run", "R", "RUNNING"), ("susp", "S", "SUSPENDED"),
                                            ("dead", "R", "RUNNING"))):
    sid = "%s-%d-%d_stDtest_dp24" % (user, 60 + k, 1790000000 + k)
    sdir = "/tmp/.x2go-%s/C-%s" % (user, sid)
    os.mkdir(sdir, 0o700)
    with open(sdir + "/state", "w") as f:
        f.write(state)
    for p in (sdir, sdir + "/state"):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    a = subprocess.Popen(["/usr/bin/python3", "-c", agent_code, "X2GO-" + sid, sdir,
                          "/dev/null", "normal"], user=pw.pw_uid, group=pw.pw_gid,
                         extra_groups=[], cwd="/", stdin=subprocess.DEVNULL)
    # a program of the session, found through its environment
    c = subprocess.Popen(["/bin/sleep", "60"], user=pw.pw_uid, group=pw.pw_gid,
                         extra_groups=[], cwd="/", env={"X2GO_SESSION": sid})
    procs += [a, c]
    sess[name] = {"sid": sid, "agent": a.pid, "child": c.pid, "dir": sdir}
time.sleep(0.5)
db = sqlite3.connect("/var/lib/x2go/x2go_sessions", isolation_level=None)
for k, (name, st) in enumerate((("run", "R"), ("susp", "S"), ("dead", "R"))):
    db.execute("INSERT INTO sessions(session_id,display,uname,server,status,agent_pid,"
               "init_time,last_time) VALUES(?,?,?,?,?,?,datetime('now','localtime'),"
               "datetime('now','localtime'))",
               (sess[name]["sid"], 60 + k, user, host, st, sess[name]["agent"]))
log = open("/run/td/debug.log", "w")
d = subprocess.Popen(["/usr/sbin/x2gocleansessions", "--debug"], stdout=log,
                     stderr=subprocess.STDOUT)
def nice(pid):
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except OSError:
        return None
try:
    time.sleep(2)
    for name in ("run", "susp"):
        out["nice"][name] = [nice(sess[name]["agent"]), nice(sess[name]["child"])]
    # S with a RUNNING agent: the DB goes back to R, and the nice level too
    with open(sess["susp"]["dir"] + "/state", "w") as f:
        f.write("RUNNING")
    os.kill(sess["dead"]["agent"], signal.SIGKILL)
    time.sleep(2)
    out["nice"]["resumed"] = [nice(sess["susp"]["agent"]), nice(sess["susp"]["child"])]
    out["status"] = {n: (db.execute("SELECT status FROM sessions WHERE session_id=?",
                                    (sess[n]["sid"],)).fetchone() or [None])[0]
                     for n in sess}
    out["sids"] = {n: sess[n]["sid"] for n in sess}
    out["pids"] = {n: sess[n]["agent"] for n in sess}
finally:
    d.send_signal(signal.SIGTERM)
    try:
        out["daemon_rc"] = d.wait(5)
    except subprocess.TimeoutExpired:
        d.kill()
        out["daemon_rc"] = d.wait()
    for p in procs:
        p.kill()
        p.wait()
    out["log"] = open("/run/td/debug.log").read()
print(json.dumps(out))
"""


def run_private_daemon():
    ensure_user()
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "/usr/bin/python3",
                        "-c", PRIVATE, AGENT, USER], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "private daemon run failed: %s" % r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_private_daemon_debug_messages_and_superenicer():
    """A daemon of our own (mount namespace with private /run, /tmp and
    database): --debug output format and texts, and the superenicer."""
    with cleaning():
        o = run_private_daemon()
        log, sids, pids = o["log"], o["sids"], o["pids"]
        line = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} ::: "
                          r"(debug|info|notice|warning|err) ::: .")
        bad = [l for l in log.splitlines() if not line.match(l)]
        assert not bad, "debug lines not in '<localtime> ::: <level> ::: <msg>' form: %r" % bad[:3]
        for want in ("%s, pid %d: does not exist, changing status from R to F"
                     % (sids["dead"], pids["dead"]),
                     "%s: unmounting all shares" % sids["dead"],
                     "%s: in failed state, but agent is gone, forgetting." % sids["dead"],
                     "%s: updating session status from 'S' to 'R'." % sids["susp"]):
            assert " ::: debug ::: " + want in log, "missing debug line %r in:\n%s" % (want, log)
        assert o["status"] == {"run": "R", "susp": "R", "dead": None}, o["status"]
        assert o["nice"]["run"] == [0, 0], "running session reniced: %r" % o["nice"]
        assert o["nice"]["susp"] == [17, 17], "suspended session not at idle: %r" % o["nice"]
        assert o["nice"]["resumed"] == [0, 0], "resumed session not back: %r" % o["nice"]
        assert o["daemon_rc"] == 0, "daemon exit status %r on SIGTERM" % o["daemon_rc"]


def test_sigterm_removes_pidfile():
    with cleaning():
        pid = daemon_pid()
        assert pid, "daemon not running"
        try:
            os.kill(pid, signal.SIGTERM)
            assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), 5), "did not exit"
            assert not os.path.exists(PIDFILE), "pid file left behind"
        finally:
            if not daemon_pid():
                r = subprocess.run([DAEMON], capture_output=True, text=True, timeout=10)
                assert r.returncode == 0, "restart failed: %s" % r.stderr
        assert wait_for(daemon_pid, 3), "restarted daemon has no pid file"
        assert open(PIDFILE).read().endswith("\n")


TESTS = [v for k, v in list(globals().items()) if k.startswith("test_") and callable(v)]
# the pid-file test restarts the daemon: run it last
TESTS.sort(key=lambda f: f.__name__ == "test_sigterm_removes_pidfile")


def main(argv):
    if os.getuid() != 0:
        print("run as root", file=sys.stderr)
        return 2
    only = set(argv[1:])
    passed = failed = 0
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        try:
            t()
            print("PASS %s" % t.__name__, flush=True)
            passed += 1
        except Exception as e:
            kind = "" if isinstance(e, AssertionError) else type(e).__name__ + ": "
            print("FAIL %s: %s%s" % (t.__name__, kind, e), flush=True)
            failed += 1
        finally:
            cleanup_all()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
