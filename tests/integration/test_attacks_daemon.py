"""Attacks on the clean-up daemon and on root's work in session dirs, each
performed by an ordinary user against the installed server.

Every test runs a private instance: its own mount namespace with private
/run, /tmp and database, its own x2gocleansessions (and the store server,
when the installed server has one), so the attack disturbs nothing else.
The attacker is USER_A, the victim USER_B; sessions are started with the
installed x2gostartagent (a real nxagent) and rows are made through the
store's ordinary-user interface (itlib.HELPER), as the commands make them.
"""
import json
import os
import subprocess
import sys

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))

# Runs as root inside the private namespace; the scenario code follows it
# and sets the dict out, printed as JSON at the end.
PRELUDE = r'''
import json, os, pwd, re, shutil, signal, socket, sqlite3, subprocess, sys, time, types
# itlib's constants (importing it here would wait for the run's own lock)
itlib = types.SimpleNamespace(**json.loads(ITLIB))
A, B, HOST = itlib.USER_A, itlib.USER_B, itlib.HOST
DEVNULL = subprocess.DEVNULL
START_ARGS = ["800x600", "adsl", "16m-jpeg-9", "unix-kde-depth_24", "null", "auto", "1",
              "R", "xterm", "both"]
START_ENV = dict(itlib.ENV, X2GO_XINERAMA="false", SSH_CLIENT="127.0.0.1 4000 22")
out, procs = {}, []

def sh(*a):
    subprocess.run(a, check=True, stdout=DEVNULL)

sh("mount", "--make-rprivate", "/")
for d in ("/run", "/tmp"):
    sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", d)
os.makedirs("/run/td/state")
os.makedirs("/tmp/.X11-unix", 0o1777)
os.chmod("/tmp/.X11-unix", 0o1777)
sh("mount", "--bind", "/run/td/state", itlib.DBDIR)
# To see an older build fail: X2GO_IT_CMD names an x2go-cmd to use instead.
if os.environ.get("X2GO_IT_CMD"):
    sh("mount", "--bind", os.environ["X2GO_IT_CMD"], "/usr/lib/x2go/x2go-cmd")
STORED = itlib.STORED
if STORED and os.path.exists(STORED):
    os.makedirs("/run/x2go", exist_ok=True)
    sh(STORED)
sh("/usr/sbin/x2godbadmin", "--createdb")

def as_user(user, argv, env=None, timeout=60):
    return subprocess.run([itlib.RUNUSER, "-u", user, "--"] + argv, stdin=DEVNULL,
                          capture_output=True, text=True, env=env or itlib.ENV,
                          timeout=timeout)

def db():
    return sqlite3.connect(itlib.DB, isolation_level=None, timeout=30)

def row(sid):
    return db().execute("SELECT status, agent_pid FROM sessions WHERE session_id=?",
                        (sid,)).fetchone()

def holder(user, args, code="import time; time.sleep(3600)"):
    """A process of user running code, whose argv holds args."""
    p = subprocess.Popen([itlib.RUNUSER, "-u", user, "--", "/usr/bin/python3", "-c",
                          code] + list(args), stdin=DEVNULL,
                         stdout=DEVNULL, stderr=DEVNULL, start_new_session=True)
    procs.append(p)
    uid, want = pwd.getpwnam(user).pw_uid, args[0].encode()
    for _ in range(1500):
        for d in os.listdir("/proc"):
            try:
                if d.isdigit() and os.stat("/proc/" + d).st_uid == uid and \
                        want in open("/proc/%s/cmdline" % d, "rb").read().split(b"\0"):
                    return int(d)
            except OSError:
                pass
        time.sleep(0.01)
    raise SystemExit("holder process did not start")

# Run as the user: store calls in a loop (one process, not one login each).
STORE_LOOP = r"""
import json, subprocess, sys
helper, calls = sys.argv[1], json.loads(sys.argv[2])
res = []
for argv in calls:
    r = subprocess.run([helper] + argv, capture_output=True, text=True)
    res.append([r.returncode, r.stdout, r.stderr])
    if r.returncode != 0:
        break
print(json.dumps(res))
"""

def store_calls(user, calls):
    """[(rc, stdout, stderr)] of the store calls, made as user; it stops
    at the first refusal."""
    r = as_user(user, ["/usr/bin/python3", "-c", STORE_LOOP, itlib.HELPER, json.dumps(calls)],
                timeout=600)
    if r.returncode != 0:
        raise SystemExit("store loop failed: " + r.stderr[-500:])
    res = json.loads(r.stdout)
    if res and res[-1][0] != 0:
        out.setdefault("store_refused", res[-1][2].strip()[:200])
    return res

def rows_through_store(user, n, server=HOST):
    """Up to n reservations of user through the store; [(sid, ports)]."""
    calls = [["reserve", server, str(1790000000 + i), "D", "XFCE", "24", "-", "100",
              "40000", "3"] for i in range(n)]
    got = []
    for rc, stdout, _ in store_calls(user, calls):
        if rc != 0:
            break
        f = stdout.split()
        got.append((f[1], [p if int(p) > 0 else "-1" for p in f[2:7]]))
    return got

def create_rows(user, rows, pid):
    cookie = "0123456789abcdef0123456789abcdef"
    res = store_calls(user, [["create", sid, cookie, str(pid), "10.1.2.3"] + ports
                             for sid, ports in rows])
    return sum(1 for rc, _, _ in res if rc == 0)

def daemon(nofile=None):
    pre = ["prlimit", "--nofile=%d:%d" % (nofile, nofile), "--"] if nofile else []
    log = open("/run/td/daemon.log", "w")
    prog = os.environ.get("X2GO_IT_DAEMON", "/usr/sbin/x2gocleansessions")
    d = subprocess.Popen(pre + [prog, "--debug"], stdout=log,
                         stderr=subprocess.STDOUT)
    time.sleep(0.5)
    return d

def start_session(user, tries=1, pause=0.5):
    """x2gostartagent as user (retried up to tries times): (sid, agent pid) or None."""
    for i in range(tries):
        r = as_user(user, ["x2gostartagent"] + START_ARGS, env=START_ENV)
        lines = r.stdout.splitlines()
        if r.returncode == 0 and len(lines) >= 7:
            return lines[3], int(lines[2])
        out.setdefault("start_errors", []).append(r.stderr.strip()[:300])
        time.sleep(pause)
    return None

def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False

def finish(d):
    for s in out.get("terminate", []):
        subprocess.run(["x2goterminate-session", s], stdout=DEVNULL, stderr=DEVNULL,
                       timeout=60)
    if d:
        d.send_signal(signal.SIGTERM)
        try:
            d.wait(10)
        except subprocess.TimeoutExpired:
            d.kill()
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    try:  # the private store server, when there is one
        os.kill(int(open("/run/x2go/stored.pid").read()), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    out["daemon_log_tail"] = open("/run/td/daemon.log").read()[-3000:] \
        if os.path.exists("/run/td/daemon.log") else ""
'''


def private(code, timeout=600):
    """Run PRELUDE + code as root in a private mount namespace; its out."""
    itlib.ensure_users()
    consts = {k: getattr(itlib, k, None) for k in (
        "USER_A", "USER_B", "HOST", "ENV", "DB", "DBDIR", "RUNUSER", "HELPER", "STORED")}
    script = "ITLIB = %r\n" % json.dumps(consts) + PRELUDE + code + \
        "\nprint(json.dumps(out))\n"
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "/usr/bin/python3",
                        "-c", script], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, "private instance failed: %s" % r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---- 1: descriptor exhaustion must not end other users' sessions --------

EMFILE = r'''
d = None
try:
    # The attacker's rows, each backed by a process of theirs that carries
    # "X2GO-<sid>": to the daemon, over a thousand live agents. A store
    # that caps rows per user leaves fewer: the daemon's descriptor limit
    # is then lowered to match (1024 with the full count).
    rows = rows_through_store(A, 1100)
    out["rows"] = len(rows)
    d = daemon(nofile=max(64, min(1024, len(rows) - 40)))
    out["created"] = 0
    for k in range(0, len(rows), 100):
        chunk = rows[k:k + 100]
        pid = holder(A, ["X2GO-" + sid for sid, _ in chunk])
        out["created"] += create_rows(A, chunk, pid)
    os.kill(d.pid, signal.SIGHUP)
    time.sleep(3)
    out["attacker_rows_R"] = db().execute(
        "SELECT count(*) FROM sessions WHERE uname=? AND status='R'", (A,)).fetchone()[0]
    # The victim's new session, started after the flood.
    s = start_session(B)
    out["started"] = bool(s)
    if s:
        sid, pid = s
        out["terminate"] = [sid]
        for _ in range(3):  # full passes: each checks every agent
            os.kill(d.pid, signal.SIGHUP)
            time.sleep(2)
        out["victim_row"] = row(sid)
        out["victim_alive"] = alive(pid)
        out["victim_dir"] = os.path.isdir("/tmp/.x2go-%s/C-%s" % (B, sid))
finally:
    finish(d)
'''


def test_descriptor_exhaustion_does_not_end_other_sessions():
    """An attacker's 1100 rows backed by their own processes push a daemon
    at RLIMIT_NOFILE 1024 past its limit; a victim's new real session must
    stay R, its agent and session dir untouched."""
    o = private(EMFILE)
    assert o.get("rows", 0) > 0, "the attacker could make no rows at all: %r" % o
    assert o["created"] == o["rows"], "rows without an agent pid: %r" % o
    assert o.get("started"), "victim could not start: %r" % o.get("start_errors")
    assert o.get("victim_row") and o["victim_row"][0] == "R", \
        "victim's session row %r after the flood of %d rows; daemon log:\n%s" % (
            o.get("victim_row"), o["rows"], o["daemon_log_tail"])
    assert o["victim_alive"], "victim's agent was killed"
    assert o["victim_dir"], "victim's session dir was removed"
    # the attacker's rows are live agents too: none may have been ended
    # for lack of descriptors
    assert o["attacker_rows_R"] == o["rows"], \
        "%d of the attacker's %d live rows were ended" % (o["rows"] - o["attacker_rows_R"],
                                                          o["rows"])


# ---- 2: reservations of a made-up host name expire -----------------------

FOREIGN = r'''
d = daemon()
try:
    # The attacker reserves for a host name no daemon serves (the store may
    # refuse that: then nothing is left to expire).
    rows = rows_through_store(A, 3, server="x2goit-nosuchhost")
    out["attacker_rows"] = [sid for sid, _ in rows]
    # Also one that a store of an older version (or a shared database)
    # holds: put there directly.
    con = db()
    for n, (sid, age) in enumerate((("%s-90-1790000001_stDXFCE_dp24" % A, 11 * 60),
                                    ("%s-91-1790000002_stDXFCE_dp24" % A, 5))):
        con.execute("INSERT INTO sessions(session_id, display, uname, server, status,"
                    " init_time, last_time) VALUES (?,?,?,?,'R',"
                    " datetime('now','localtime','-%d seconds'),"
                    " datetime('now','localtime','-%d seconds'))" % (age, age),
                    (sid, 90 + n, A, "x2goit-otherhost"))
    out["old"], out["fresh"] = "%s-90-1790000001_stDXFCE_dp24" % A, \
        "%s-91-1790000002_stDXFCE_dp24" % A
    # time passes for the attacker's rows: 11 minutes
    for sid in out["attacker_rows"]:
        con.execute("UPDATE sessions SET last_time=datetime('now','localtime','-660 seconds')"
                    " WHERE session_id=?", (sid,))
    os.kill(d.pid, signal.SIGHUP)
    time.sleep(3)
    out["left"] = [r[0] for r in con.execute("SELECT session_id FROM sessions")]
finally:
    finish(d)
'''


def test_reservations_of_any_host_name_expire():
    o = private(FOREIGN)
    left = set(o["left"])
    assert o["old"] not in left, "a 11-minute-old reservation of another host stays"
    assert o["fresh"] in left, "a fresh reservation of another host was removed"
    stuck = [s for s in o["attacker_rows"] if s in left]
    assert not stuck, "the attacker's reservations for a made-up host stay: %r" % stuck


# ---- 4: squatting /tmp/.x2go-<victim> -----------------------------------

SQUAT = r'''
d = daemon()
try:
    out["results"] = {}
    for kind in ("dir", "symlink", "file"):
        bait = "/tmp/x2goit-bait-" + kind
        as_user(A, ["/bin/mkdir", "-m", "0777", bait])
        path = "/tmp/.x2go-" + B
        if kind == "dir":
            argv = ["/bin/mkdir", path]  # (-m: the daemon may move it before the chmod)
        elif kind == "symlink":
            argv = ["/bin/ln", "-s", bait, path]
        else:
            argv = ["/usr/bin/touch", path]
        r = as_user(A, argv)
        t0 = time.time()
        s = start_session(B, tries=20, pause=0.25)
        res = {"planted": r.returncode == 0, "started": bool(s),
               "seconds": round(time.time() - t0, 2), "bait": sorted(os.listdir(bait))}
        try:
            st = os.lstat(path)
            res["owner_ok"] = os.path.isdir(path) and not os.path.islink(path) and \
                st.st_uid == pwd.getpwnam(B).pw_uid
        except OSError:
            res["owner_ok"] = False
        if s:
            subprocess.run(["x2goterminate-session", s[0]], stdout=DEVNULL, stderr=DEVNULL,
                           timeout=60)
        out["results"][kind] = res
        shutil.rmtree(path, ignore_errors=True)
finally:
    finish(d)
'''


def test_squatted_user_tmp_dir_does_not_lock_the_victim_out():
    """The attacker plants /tmp/.x2go-<victim> (a directory, a link to a
    directory of theirs, a file); the victim starts a session within a few
    seconds, in a directory of their own, and nothing lands in the bait."""
    o = private(SQUAT)
    for kind, res in o["results"].items():
        assert res["planted"], "%s: the attacker could not plant it" % kind
        assert res["started"], "%s: the victim could not start a session: %r" % (
            kind, o.get("start_errors"))
        assert res["seconds"] < 6, "%s: the victim waited %.1f s" % (kind, res["seconds"])
        assert res["owner_ok"], "%s: /tmp/.x2go-<victim> is not the victim's dir" % kind
        assert res["bait"] == [], "%s: files landed in the attacker's dir: %r" % (
            kind, res["bait"])


# ---- 5: root's terminate follows a swapped session dir --------------------

# The attacker's agent: on SIGTERM (root's terminate has checked the dir
# and now waits for the agent) it swaps its session dir for a link to the
# victim's, then keeps running.
SWAP_AGENT = r'''
import os, signal, sys, time
mine, theirs = sys.argv[2], sys.argv[3]
def swap(*_):
    os.rename(mine, mine + ".away")
    os.symlink(theirs, mine)
signal.signal(signal.SIGTERM, swap)
while True:
    time.sleep(1)
'''

SWAP = r'''
d = None
try:
    s = start_session(B)
    out["started"] = bool(s)
    bsid, bpid = s
    out["terminate"] = [bsid]
    bdir = "/tmp/.x2go-%s/C-%s" % (B, bsid)
    # the victim's own files in their session dir
    as_user(B, ["/bin/ln", "-s", "/nonexistent/agent.sock", bdir + "/ssh-agent.PID"])
    out["before"] = sorted(os.listdir(bdir))
    (asid, ports), = rows_through_store(A, 1)
    adir = "/tmp/.x2go-%s/C-%s" % (A, asid)
    as_user(A, ["/bin/mkdir", "-p", "-m", "0700", adir])
    apid = holder(A, ["X2GO-" + asid, adir, bdir], code=SWAP_AGENT)
    out["created"] = create_rows(A, [(asid, ports)], apid) == 1
    # an administrator ends the attacker's session
    t = subprocess.run(["x2goterminate-session", asid], capture_output=True, text=True,
                       timeout=60)
    out["terminate_rc"] = t.returncode
    out["swapped"] = os.path.isdir(adir + ".away")
    out["after"] = sorted(os.listdir(bdir)) if os.path.isdir(bdir) else None
    out["victim_alive"] = alive(bpid)
    out["victim_row"] = row(bsid)
finally:
    finish(d)
'''


def test_root_terminate_does_not_follow_a_swapped_session_dir():
    """Root terminates the attacker's session; while it waits for the agent,
    the attacker swaps their session dir for a link to the victim's. The
    victim's session dir keeps every file."""
    o = private("SWAP_AGENT = %r\n" % SWAP_AGENT + SWAP)
    assert o.get("started") and o.get("created"), "set-up failed: %r" % o
    assert o["swapped"], "the attacker's agent never swapped its dir (no SIGTERM?)"
    assert "ssh-agent.PID" in o["before"], "set-up: no ssh-agent.PID: %r" % o["before"]
    lost = sorted(set(o["before"]) - set(o["after"] or []))
    assert not lost, "files removed from the victim's session dir: %r" % lost
    assert o["victim_alive"] and o["victim_row"] and o["victim_row"][0] == "R", \
        "victim's session harmed: %r" % o


# ---- start under systemd: --foreground and READY=1 ----------------------

NOTIFY = r'''
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind("/run/td/notify")
n.settimeout(15)
env = dict(os.environ, NOTIFY_SOCKET="/run/td/notify")
d = subprocess.Popen(["/usr/sbin/x2gocleansessions", "--foreground"], env=env,
                     stdout=DEVNULL, stderr=DEVNULL)
try:
    try:
        out["message"] = n.recv(4096).decode()
    except socket.timeout:
        out["message"] = None
    out["running"] = d.poll() is None
    out["pidfile"] = os.path.exists("/run/x2goserver.pid")
finally:
    d.send_signal(signal.SIGTERM)
    out["rc"] = d.wait(10)
'''


def test_foreground_start_notifies_systemd():
    """--foreground: no fork, no pid file, READY=1 on $NOTIFY_SOCKET once
    the first pass is done; SIGTERM ends it cleanly."""
    o = private(NOTIFY)
    assert o["message"] and "READY=1" in o["message"], "no READY=1: %r" % o
    assert o["running"], "the daemon did not stay in the foreground"
    assert not o["pidfile"], "a pid file was written in the foreground"
    assert o["rc"] == 0, "exit status %r on SIGTERM" % o["rc"]


def main(argv):
    return subprocess.call([sys.executable, os.path.join(HERE, "run.py")] +
                           (argv[1:] or ["test_attacks_daemon"]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
