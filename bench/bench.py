#!/usr/bin/python3
"""Side-by-side benchmark: reference x2goserver 4.1 (bench/refenv.sh) vs ours.

Run through bench/run.sh (as root).  Writes bench/RESULTS.md and
bench/list_latency.png.  Not a test: no assertions on timings.
"""
import argparse
import datetime
import json
import os
import platform
import pwd
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFENV = os.path.join(HERE, "refenv.sh")
AGENT = os.path.join(HERE, "agent.py")
PY = "/usr/bin/python3"
STORED = "/usr/lib/x2go/x2go-stored"
WORK = os.environ.get("BENCH_DIR", "/var/tmp/x2go-bench")
DB = "/var/lib/x2go/x2go_sessions"          # path as seen inside each side
UNSHARE = ["unshare", "--mount", "--propagation", "private", "--"]
USERS = ["x2gobench%d" % i for i in range(1, 11)]
START_ARGS = ["800x600", "adsl", "16m-jpeg-9", "unix-kde-depth_24", "null",
              "auto", "1", "R", "xterm", "both"]
START_ENV = {"X2GO_XINERAMA": "false", "SSH_CLIENT": "127.0.0.1 4000 22"}
HOST = socket.gethostname()
CLK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("[%s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ sides ---
class Side:
    """One timing agent running inside a side's private mount namespace,
    with a bench-private /var/lib/x2go (the bench never touches the DB the
    host's or the refenv's other users see)."""

    def __init__(self, name, dbdir, ns=None):
        """ns: the command that makes the namespace (default: refenv.sh
        run for "ref", a plain private mount namespace otherwise)"""
        self.name = name
        self.dbdir = dbdir
        # Ours: a store server of its own (on the private database) when
        # the build it sees has one; its socket dir is private too.
        stored = ('if [ -x %s ]; then mkdir -p /run/x2go && mount -t tmpfs -o mode=0755'
                  ' bench-store /run/x2go && %s || exit 1; fi; '
                  % (STORED, STORED)) if name != "ref" else ref_sqlite()
        inner = ["/bin/sh", "-c",
                 'mount --bind "$1" /var/lib/x2go && ' + stored + 'exec "$2" "$3"',
                 "sh", dbdir, PY, AGENT]
        if name == "ref":
            argv = [REFENV, "run"] + inner
        else:
            argv = (ns or UNSHARE) + inner
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, bufsize=1)
        r = self.call({"op": "ping"}, 30)
        if not r.get("ok"):
            raise RuntimeError("%s agent did not start: %s" % (name, r))

    def call(self, req, timeout=600):
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        r, _, _ = select.select([self.p.stdout], [], [], timeout + 30)
        if not r:
            raise RuntimeError("%s agent: no answer" % self.name)
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("%s agent died" % self.name)
        return json.loads(line)

    def run(self, user, argv, env=None, lines=None, timeout=60, input=None):
        return self.call({"op": "run", "user": user, "argv": argv, "env": env,
                          "lines": lines, "timeout": timeout, "input": input},
                         timeout)

    def sql(self, sql, timeout=120):
        r = self.run("root", ["sqlite3", "-batch", DB], input=sql, timeout=timeout)
        if r["rc"] != 0:
            raise RuntimeError("%s sql failed: %s" % (self.name, r["err"]))
        return r["out"]

    def close(self):
        if self.name != "ref":
            # only the side's own store server: without one, /run/x2go is
            # the host's
            self.run("root", ["/bin/sh", "-c", "[ ! -x %s ] || [ ! -s /run/x2go/stored.pid ] ||"
                              " kill $(cat /run/x2go/stored.pid)" % STORED], timeout=10)
        try:
            self.call({"op": "quit"}, 10)
        except Exception:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def have_ours(cmd):
    """Is OUR command installed on the host? (checked outside any namespace)"""
    for d in ("/usr/bin", "/usr/sbin"):
        p = os.path.join(d, cmd)
        if os.path.exists(p) and os.access(p, os.X_OK):
            return True
    return False


# ------------------------------------------------------------- DB set-up ---
def ref_sqlite():
    """Shell words that show the reference its own SQLite backend setting:
    the unpacked tree's x2gosql/sql is shared with other users of
    refenv.sh, and a test of its PostgreSQL backend may have changed it."""
    path = os.path.join(WORK, "ref-x2gosql-sql")
    with open(path, "w") as f:
        f.write("backend=sqlite\n")
    os.chmod(path, 0o644)
    return "mount --bind %s /etc/x2go/x2gosql/sql && " % path


def prepare_dbdir(name, side_cmd_prefix):
    """Create WORK/<name>-db with the DB made by that side's own x2godbadmin."""
    d = os.path.join(WORK, name + "-db")
    subprocess.run(["rm", "-rf", d])
    os.makedirs(d)
    st = os.stat("/var/tmp/x2go-refenv/state/var-lib-x2go")
    os.chown(d, st.st_uid, st.st_gid)
    os.chmod(d, 0o770)
    inner = ["/bin/sh", "-c",
             (ref_sqlite() if name == "ref" else "") +
             'mount --bind "$1" /var/lib/x2go && x2godbadmin --createdb',
             "sh", d]
    r = subprocess.run(side_cmd_prefix + inner, capture_output=True, text=True,
                       timeout=120)
    ok = os.path.exists(os.path.join(d, "x2go_sessions"))
    if ok:
        chk = subprocess.run(["sqlite3", os.path.join(d, "x2go_sessions"),
                              "select count(*) from sessions"],
                             capture_output=True, text=True)
        ok = chk.returncode == 0
    if not ok:
        log("%s: x2godbadmin --createdb failed (%s); using the reference schema"
            % (name, (r.stderr or r.stdout).strip()[:200]))
        schema = subprocess.run(["sqlite3", "/var/tmp/x2go-refenv/state/var-lib-x2go/x2go_sessions",
                                 ".schema"], capture_output=True, text=True).stdout
        f = os.path.join(d, "x2go_sessions")
        if os.path.exists(f):
            os.unlink(f)
        subprocess.run(["sqlite3", f], input=schema, text=True, check=True)
    f = os.path.join(d, "x2go_sessions")
    gid = pwd.getpwnam("x2gouser").pw_gid if _has_user("x2gouser") else 0
    os.chown(f, 0, gid)
    os.chmod(f, 0o660)
    os.chown(d, st.st_uid, gid)
    return d


def _has_user(u):
    try:
        pwd.getpwnam(u)
        return True
    except KeyError:
        return False


def wipe(side):
    side.sql("DELETE FROM mounts; DELETE FROM used_ports; DELETE FROM sessions;")


def blocked_displays():
    """displays some other X server holds (lock file or socket file), live or
    stale: the machine is shared, and a stale lock of another user cannot be
    removed by the session user (sticky /tmp), so an agent on it fails"""
    import re
    out = set()
    for d, rx in (("/tmp", r"^\.X(\d+)-lock$"), ("/tmp/.X11-unix", r"^X(\d+)$")):
        try:
            for n in os.listdir(d):
                m = re.match(rx, n)
                if m and 10 <= int(m.group(1)) < 1000:
                    out.add(int(m.group(1)))
        except OSError:
            pass
    return out


BLOCKED_SEEN = set()


def wipe_for_start(side):
    """empty DB plus one placeholder row per display held by another X server
    on this shared machine, the same on both sides: the reference only skips
    displays in its DB or with a listening socket, not ones with a lock file"""
    wipe(side)
    bl = blocked_displays()
    BLOCKED_SEEN.update(bl)
    if bl:
        side.sql("INSERT INTO sessions(session_id,display,uname,server,status) VALUES %s;"
                 % ",".join("('benchblock-%d-1700000000_stDblock_dp24',%d,'benchblock','%s','S')"
                            % (d, d, HOST) for d in sorted(bl)))


LIST_DISP0, LIST_EPOCH0, SIDS_PER_STANDIN = 1000, 1795600000, 10


def list_sid(user, i):
    return "%s-%d-%d_stDXFCE_dp24" % (user, LIST_DISP0 + i, LIST_EPOCH0 + i)


def insert_rows(side, user, n, farm_total=0, pids=None):
    """n rows of `user` on this host (row i's agent is pids[i // SIDS_PER_STANDIN]);
    with farm_total, fill up to that many rows with other users on other
    servers (a farm DB)."""
    wipe(side)
    sql = []
    if n:
        sql.append("CREATE TEMP TABLE standin(g INTEGER PRIMARY KEY, pid INT);")
        sql.append("INSERT INTO standin VALUES %s;"
                   % ",".join("(%d,%d)" % (g, p) for g, p in enumerate(pids)))
        sql.append(_rows_sql("'%s'" % user, "'%s'" % HOST, n, LIST_DISP0, LIST_EPOCH0,
                             "(SELECT pid FROM standin WHERE g = i / %d)" % SIDS_PER_STANDIN))
    if farm_total > n:
        m = farm_total - n
        sql.append(_rows_sql("'benchfarm' || (i % 97)", "'benchnode' || (i % 20)", m,
                             LIST_DISP0 + n, LIST_EPOCH0 + n, "2 + i % 30000"))
    if sql:
        side.sql("BEGIN;\n" + "\n".join(sql) + "\nCOMMIT;")


def _rows_sql(uname, server, n, disp0, epoch0, pid_expr):
    return (
        "INSERT INTO sessions(session_id,display,uname,server,client,status,"
        "init_time,last_time,cookie,agent_pid,gr_port,sound_port,fs_port,"
        "tekictrl_port,tekidata_port) "
        "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<%d) "
        "SELECT printf('%%s-%%d-%%d_stDXFCE_dp24', %s, %d+i, %d+i), %d+i, %s, %s,"
        " '127.0.0.1', CASE WHEN i%%2 THEN 'S' ELSE 'R' END,"
        " datetime('now','localtime','-1 hour'), datetime('now','localtime','-30 minutes'),"
        " lower(hex(randomblob(16))), %s, 20000+3*i, 20001+3*i, 20002+3*i, -1, -1"
        " FROM c;" % (n - 1, uname, disp0, epoch0, disp0, uname, server, pid_expr))


STANDIN = os.path.join(WORK, "bin", "x2goagent")


def build_standin():
    os.makedirs(os.path.dirname(STANDIN), exist_ok=True)
    os.chmod(os.path.dirname(STANDIN), 0o755)
    src = os.path.join(HERE, "standin.c")
    if (not os.path.exists(STANDIN)
            or os.path.getmtime(STANDIN) < os.path.getmtime(src)):
        if subprocess.run(["cc", "-O2", "-static", "-o", STANDIN, src]).returncode != 0:
            subprocess.run(["cc", "-O2", "-o", STANDIN, src], check=True)


def spawn_standin(user, args):
    """a sleeping process named x2goagent, owned by user, with args"""
    pw = pwd.getpwnam(user)
    return subprocess.Popen([STANDIN] + args, user=pw.pw_uid, group=pw.pw_gid,
                            cwd="/", stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def list_standins(user, n):
    """live stand-in agents for the n list rows of user (insert_rows):
    one process carries the X2GO-<sid> names of SIDS_PER_STANDIN rows"""
    procs = []
    for g in range(0, n, SIDS_PER_STANDIN):
        args = ["-nolisten", "tcp", "-R", "-auth", "/dev/null", "-geometry", "800x600"]
        for i in range(g, min(n, g + SIDS_PER_STANDIN)):
            args += ["-name", "X2GO-" + list_sid(user, i)]
        procs.append(spawn_standin(user, args))
    return procs


def stop_standins(procs):
    for p in procs:
        try:
            p.kill()
        except OSError:
            pass
    for p in procs:
        p.wait()


# ------------------------------------------------------------ statistics ---
def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"n": len(xs), "med": statistics.median(xs), "min": min(xs),
            "max": max(xs)}


def fmt_t(s):
    if s is None:
        return "n/a"
    if s["max"] < 10:
        f, u = (lambda x: "%.1f" % (x * 1e3) if x >= 0.01 else "%.2f" % (x * 1e3)), "ms"
    else:
        f, u = (lambda x: "%.2f" % x), "s"
    return "%s %s (%s – %s, n=%d)" % (f(s["med"]), u, f(s["min"]), f(s["max"]), s["n"])


def target_met(target, ref, ours):
    """parse '≤ N ms' and '≥ N×' out of a target text and check ours"""
    import re
    if ours is None or not target or target.startswith("("):
        return ""
    ok = True
    m = re.search(r"≤ ([\d.]+) ms", target)
    if m:
        ok = ok and ours["med"] * 1e3 <= float(m.group(1))
    m = re.search(r"≥ ([\d.]+)×", target)
    if m:
        if ref is None:
            return ""
        ok = ok and ref["med"] / ours["med"] >= float(m.group(1))
    return "yes" if ok else "**no**"


def ratio(a, b):
    if a is None or b is None or b["med"] <= 0:
        return "n/a"
    return "%.1f×" % (a["med"] / b["med"])


# -------------------------------------------------------------- sessions ---
def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_agent(pid, disp=None):
    if pid and alive(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
        for _ in range(30):
            if not alive(pid):
                break
            time.sleep(0.05)
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if disp:
        for p in ("/tmp/.X%s-lock" % disp, "/tmp/.X11-unix/X%s" % disp):
            try:
                if not _display_in_use(disp):
                    os.unlink(p)
            except OSError:
                pass


def _display_in_use(disp):
    try:
        with open("/tmp/.X%s-lock" % disp) as f:
            return alive(int(f.read().strip()))
    except (OSError, ValueError):
        return False


def parse_start(res):
    lines = res["out"].splitlines()
    if len(lines) < 7:
        return None
    try:
        return {"disp": int(lines[0]), "cookie": lines[1], "pid": int(lines[2]),
                "sid": lines[3], "ports": [int(x) for x in lines[4:7]]}
    except ValueError:
        return None


def agent_error(user, err):
    """the agent's own complaint from session.log, if the start names a sid"""
    import re
    m = re.search(r"session with ID (\S+?)\.? ", err + " ")
    if not m:
        return ""
    try:
        with open("/tmp/.x2go-%s/C-%s/session.log" % (user, m.group(1)), errors="replace") as f:
            errs = [l.strip() for l in f if l.startswith("Error")]
        return (" — agent log: " + errs[-1][:200]) if errs else ""
    except OSError:
        return ""


def start_session(side, user):
    r = side.run(user, ["x2gostartagent"] + START_ARGS, env=START_ENV,
                 lines=7, timeout=60)
    return r, parse_start(r)


def end_session(side, user, s):
    """untimed clean-up of a started session"""
    if s:
        side.run(user, ["x2goterminate-session", s["sid"]], timeout=30)
        kill_agent(s["pid"], s["disp"])


# ------------------------------------------------------------- workloads ---
class Bench:
    def __init__(self, args):
        self.a = args
        self.results = []      # rows for the main table
        self.notes = []
        self.list_curve = {}   # side -> {rows: stats}
        self.conc = {}
        self.daemon = {}
        self.sides = {}
        self.avail = {}

    def order(self, i):
        names = [n for n in ("ref", "ours") if n in self.sides]
        return names if i % 2 == 0 else names[::-1]

    def ok(self, side, cmd):
        return side == "ref" or self.avail.get(cmd, False)

    def add(self, name, target, ref, ours, extra=""):
        self.results.append((name, target, ref, ours, extra))
        log("%-46s ref %-28s ours %-28s %s" % (name, fmt_t(ref), fmt_t(ours), ratio(ref, ours)))

    # -- list
    def w_list(self):
        sizes = self.a.list_sizes
        user = USERS[0]
        # every listed row gets a live stand-in agent (ours checks liveness
        # like the daemon does; the reference does not look): one process
        # carries the X2GO-<sid> names of SIDS_PER_STANDIN rows
        procs = list_standins(user, max(sizes + [100]))
        pids = [p.pid for p in procs]
        try:
            self._w_list(sizes, user, pids)
        finally:
            stop_standins(procs)

    def w_floor(self):
        """harness floor: fork+setuid+exec of /bin/true as the user"""
        samples = {s: [] for s in self.sides}
        for i in range(self.a.reps + 1):
            for name in self.order(i):
                r = self.sides[name].run(USERS[0], ["/bin/true"], timeout=10)
                if i > 0:
                    samples[name].append(r["t"])
        st = {k: stats(v) for k, v in samples.items()}
        self.add("harness floor: /bin/true as the user", "(floor ≈1.3 ms)",
                 st.get("ref"), st.get("ours"))

    def _w_list(self, sizes, user, pids):
        for n in sizes + ["farm"]:
            reps = self.a.reps if n == "farm" or n < 5000 else max(3, self.a.reps // 3)
            samples = {s: [] for s in self.sides}
            counts = {}
            for name, side in self.sides.items():
                if not self.ok(name, "x2golistsessions"):
                    continue
                if n == "farm":
                    insert_rows(side, user, 100, farm_total=10000, pids=pids)
                else:
                    insert_rows(side, user, n, pids=pids)
            for i in range(reps + 1):          # first round = warm-up
                for name in self.order(i):
                    if not self.ok(name, "x2golistsessions"):
                        continue
                    r = self.sides[name].run(user, ["x2golistsessions"], timeout=120)
                    counts[name] = len(r["out"].splitlines())
                    if r["rc"] != 0 and name == "ours":
                        self.notes.append("ours x2golistsessions rc=%s: %s"
                                          % (r["rc"], r["err"].strip()[:200]))
                    if i > 0:
                        samples[name].append(r["t"])
            st = {k: stats(v) for k, v in samples.items()}
            label = ("x2golistsessions, farm DB: 10000 rows, 100 own"
                     if n == "farm" else "x2golistsessions, %d own rows" % n)
            exp = 100 if n == "farm" else n
            for name, c in counts.items():
                if c != exp:
                    self.notes.append("%s: %s printed %d lines, expected %d"
                                      % (label, name, c, exp))
            tgt = {100: "≤ 2 ms, ≥ 50×", "farm": "≤ 20 ms"}.get(n, "")
            self.add(label, tgt, st.get("ref"), st.get("ours"))
            if n != "farm":
                for name, s in st.items():
                    if s:
                        self.list_curve.setdefault(name, {})[n] = s
        for side in self.sides.values():
            wipe(side)

    # -- start / suspend / terminate
    def w_lifecycle(self):
        reps = self.a.start_reps
        t_start = {s: [] for s in self.sides}
        t_susp = {s: [] for s in self.sides}
        t_term = {s: [] for s in self.sides}
        fails = {s: 0 for s in self.sides}
        for i in range(reps):
            for name in self.order(i):
                side = self.sides[name]
                if not self.ok(name, "x2gostartagent"):
                    continue
                user = USERS[i % len(USERS)]
                wipe_for_start(side)
                # A: start (timed) -> terminate (timed)
                r, s = start_session(side, user)
                if s:
                    t_start[name].append(r["t"])
                    time.sleep(0.3)
                    if self.ok(name, "x2goterminate-session"):
                        rt = side.run(user, ["x2goterminate-session", s["sid"]], timeout=30)
                        t_term[name].append(rt["t"])
                    kill_agent(s["pid"], s["disp"])
                else:
                    fails[name] += 1
                    if fails[name] <= 3:
                        self.notes.append("%s x2gostartagent failed (rc=%s): %s%s"
                                          % (name, r["rc"], r["err"].strip()[-300:],
                                             agent_error(user, r["err"])))
                # B: start (timed) -> suspend (timed) -> clean-up
                wipe_for_start(side)
                r, s = start_session(side, user)
                if s:
                    t_start[name].append(r["t"])
                    time.sleep(0.3)
                    if self.ok(name, "x2gosuspend-session"):
                        rs = side.run(user, ["x2gosuspend-session", s["sid"]], timeout=30)
                        t_susp[name].append(rs["t"])
                    end_session(side, user, s)
                else:
                    fails[name] += 1
                    if fails[name] <= 3:
                        self.notes.append("%s x2gostartagent failed (rc=%s): %s%s"
                                          % (name, r["rc"], r["err"].strip()[-300:],
                                             agent_error(user, r["err"])))
                wipe(side)
        st = {k: stats(v) for k, v in t_start.items()}
        fx = "; failures: " + ", ".join("%s %d/%d" % (k, v, 2 * reps)
                                        for k, v in fails.items()
                                        if self.ok(k, "x2gostartagent"))
        self.add("x2gostartagent until 7 lines", "≤ 50 ms, ≥ 90×",
                 st.get("ref"), st.get("ours"), fx)
        st = {k: stats(v) for k, v in t_susp.items()}
        self.add("x2gosuspend-session (fresh session)", "≤ 20 ms",
                 st.get("ref"), st.get("ours"))
        st = {k: stats(v) for k, v in t_term.items()}
        self.add("x2goterminate-session (fresh session)", "≤ 20 ms",
                 st.get("ref"), st.get("ours"))

    # -- concurrent starts
    def w_concurrent(self):
        per_user = self.a.conc_per_user
        users = USERS[:self.a.conc_users]
        for i, name in enumerate(self.order(0)):
            side = self.sides[name]
            if not self.ok(name, "x2gostartagent"):
                continue
            wipe_for_start(side)
            jobs = []
            for k in range(per_user):
                for u in users:
                    jobs.append({"user": u, "argv": ["x2gostartagent"] + START_ARGS,
                                 "env": START_ENV, "lines": 7})
            log("concurrent: %s, %d starts" % (name, len(jobs)))
            res = side.call({"op": "many", "jobs": jobs,
                             "timeout": self.a.conc_timeout},
                            self.a.conc_timeout + 60)
            ok, failed, timeouts, disps, ports, lat = [], 0, 0, [], [], []
            errs = {}
            for r in res["results"]:
                s = parse_start(r)
                if s and r["rc"] == 0:
                    ok.append(s)
                    disps.append(s["disp"])
                    ports += s["ports"]
                    lat.append(r["t"])
                else:
                    failed += 1
                    timeouts += 1 if r["timeout"] else 0
                    e = (r["err"].strip().splitlines() or ["(no stderr)"])[-1][:120]
                    errs[e] = errs.get(e, 0) + 1
            # rows in the DB afterwards
            db_rows = side.sql("SELECT count(*) FROM sessions WHERE uname != 'benchblock';").strip()
            self.conc[name] = {
                "jobs": len(jobs), "wall": res["wall"], "ok": len(ok),
                "failed": failed, "timeouts": timeouts,
                "dup_disp": len(disps) - len(set(disps)),
                "dup_port": len(ports) - len(set(ports)),
                "lat": stats(lat), "db_rows": db_rows,
                "errs": sorted(errs.items(), key=lambda x: -x[1])[:4]}
            log("concurrent %s: %s" % (name, {k: v for k, v in self.conc[name].items() if k != "lat"}))
            # clean up every agent of this round
            for s in ok:
                kill_agent(s["pid"])
            for s in ok:
                kill_agent(s["pid"], s["disp"])
            self._kill_leftover_agents()
            wipe(side)
            side.call({"op": "reap"})

    def _kill_leftover_agents(self):
        """agents of bench users that are still around (failed starts)"""
        uids = set()
        for u in USERS:
            try:
                uids.add(pwd.getpwnam(u).pw_uid)
            except KeyError:
                pass
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                st = os.stat("/proc/" + pid)
                if st.st_uid not in uids:
                    continue
                with open("/proc/%s/comm" % pid) as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in ("x2goagent", "nxagent"):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    # -- clean-up daemon CPU
    def w_daemon(self):
        # 50 idle (suspended) sessions: nothing to do for either daemon
        sess, procs, sql = daemon_sessions(self.a.daemon_sessions)
        try:
            for name in self.order(0):
                if not self.ok(name, "x2gocleansessions"):
                    continue
                self.daemon[name] = daemon_window(self.sides[name], name, sql,
                                                  self.a.daemon_warmup, self.a.daemon_window)
        finally:
            daemon_sessions_end(sess, procs)


def daemon_sessions(n, running_every=0):
    """n sessions for a daemon to watch, one sleeping stand-in process per
    session whose comm is x2goagent and whose cmdline names the session,
    plus a state file: SUSPENDED (row S), or RUNNING (row R) for every
    running_every-th session (0: none), so every check of both daemons
    finds "alive, nothing to do". Returns (sessions, processes, the SQL
    that inserts their rows)."""
    sess = []
    procs = []
    epoch = int(time.time()) - 3600
    for k in range(n):
        u = USERS[k % len(USERS)]
        disp = 200 + k
        sid = "%s-%d-%d_stDXFCE_dp24" % (u, disp, epoch + k)
        pw = pwd.getpwnam(u)
        p = spawn_standin(u, ["-nolisten", "tcp", "-D", "-auth",
                              pw.pw_dir + "/.Xauthority", "-geometry", "800x600",
                              "-name", "X2GO-" + sid, ":%d" % disp])
        procs.append(p)
        tmpd = "/tmp/.x2go-%s" % u
        sd = os.path.join(tmpd, "C-" + sid)
        os.makedirs(sd, exist_ok=True)
        for d in (tmpd, sd):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(sd, 0o700)
        running = running_every and k % running_every == 0
        with open(os.path.join(sd, "state"), "w") as f:
            f.write("RUNNING" if running else "SUSPENDED")
        os.chown(os.path.join(sd, "state"), pw.pw_uid, pw.pw_gid)
        sess.append((u, disp, sid, p.pid, "R" if running else "S"))
    time.sleep(0.3)
    values = ",\n".join(
        "('%s',%d,'%s','%s','127.0.0.1','%s',datetime('now','localtime','-1 hour'),"
        "datetime('now','localtime','-50 minutes'),lower(hex(randomblob(16))),%d,%d,%d,%d,-1,-1)"
        % (sid, disp, u, HOST, st, pid, 40000 + 3 * k, 40001 + 3 * k, 40002 + 3 * k)
        for k, (u, disp, sid, pid, st) in enumerate(sess))
    sql = ("INSERT INTO sessions(session_id,display,uname,server,client,status,"
           "init_time,last_time,cookie,agent_pid,gr_port,sound_port,fs_port,"
           "tekictrl_port,tekidata_port) VALUES\n" + values + ";")
    return sess, procs, sql


def daemon_sessions_end(sess, procs):
    stop_standins(procs)
    for s in sess:
        subprocess.run(["rm", "-rf", "/tmp/.x2go-%s/C-%s" % (s[0], s[2])])


def daemon_window(side, name, sql, warmup, window, conf=None):
    """Start side's x2gocleansessions (--debug: foreground) over the rows of
    sql, and after warmup seconds measure its CPU over window seconds. conf:
    a file bind-mounted over /etc/x2go/x2goserver.conf for this daemon."""
    wipe(side)
    side.sql(sql)
    logp = os.path.join(WORK, "daemon-%s.log" % name.replace(" ", "-"))
    if os.path.exists(logp):
        os.unlink(logp)
    # a private, writable /run (overlay on the host's) so the daemon's
    # pid/lock files neither collide with a daemon that runs on the host
    # nor block one from starting; same for /tmp: whatever the daemon
    # removes there (other users' leftover session dirs, X locks) stays
    # inside its namespace
    ov = os.path.join(WORK, "runov")
    os.makedirs(ov, exist_ok=True)
    wrap = ('mount -t tmpfs bench-run "$1" && mkdir "$1/u" "$1/w" && '
            'mount -t overlay -o "lowerdir=/run,upperdir=$1/u,workdir=$1/w" '
            'bench-run /run && rm -f /run/x2goserver.pid /run/x2goserver.pid.lock && '
            'mkdir "$1/tu" "$1/tw" && '
            'mount -t overlay -o "lowerdir=/tmp,upperdir=$1/tu,workdir=$1/tw" '
            'bench-tmp /tmp && { [ -z "$2" ] || mount --bind "$2" /etc/x2go/x2goserver.conf; } '
            '&& exec x2gocleansessions --debug')
    r = side.call({"op": "spawn", "user": "root",
                   "argv": ["unshare", "--mount", "--propagation", "private",
                            "--", "/bin/sh", "-c", wrap, "sh", ov, conf or ""],
                   "log": logp})
    pid = r["pid"]
    log("daemon %s pid %d: warm-up %ds, window %ds" % (name, pid, warmup, window))
    time.sleep(warmup)
    c0, p0, t0 = cpu_ticks(pid), cpu_precise(pid), time.time()
    if c0 is None or p0 is None:
        return {"error": "daemon exited during warm-up (see %s)" % logp}
    cmax, pmax = c0, p0
    while time.time() - t0 < window:
        time.sleep(1)
        c, p = cpu_ticks(pid), cpu_precise(pid)
        if c is None or p is None:
            break
        cmax, pmax = c, p
    c1, p1, t1 = cpu_ticks(pid), cpu_precise(pid), time.time()
    died = c1 is None or p1 is None
    if died:
        c1, p1 = cmax, pmax
    rows = side.sql("SELECT status, count(*) FROM sessions GROUP BY status;").split()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except OSError:
            pass
        time.sleep(0.5)
    side.call({"op": "reap"})
    res = {"cpu": (c1 - c0) / CLK, "cpu_precise": sum(p1) - sum(p0),
           "cpu_children": p1[1] - p0[1], "wall": t1 - t0,
           "died": died, "rows": rows, "log": logp}
    log("daemon %s: %s" % (name, res))
    wipe(side)
    return res


def cpu_ticks(pid):
    """utime+stime+cutime+cstime: the daemon and every child it reaped"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    if fields[0] == "Z":
        return None
    return sum(int(x) for x in fields[11:15])


def cpu_precise(pid):
    """(own, children): CPU seconds of the daemon's own threads (scheduler
    run time, ns resolution, /proc/<pid>/task/*/schedstat: a daemon that
    sleeps nearly all the time uses less than the tick count can show) and
    cutime+cstime of the children it reaped (clock ticks)"""
    try:
        own = 0
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                own += int(f.read().split()[0])
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, ValueError):
        return None
    if fields[0] == "Z":
        return None
    return own / 1e9, sum(int(x) for x in fields[13:15]) / CLK


# ---------------------------------------------------------------- report ---
def machine_info():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    except OSError:
        pass
    deb = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    return cpu, os.cpu_count(), mem, deb


def git_rev():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def chart(b, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        b.notes.append("no matplotlib: chart not drawn")
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, style in (("ref", "o-"), ("ours", "s-")):
        cur = b.list_curve.get(name)
        if not cur:
            continue
        xs = sorted(cur)
        xp = [max(x, 1) for x in xs]      # log axis: plot 0 rows at 1
        med = [cur[x]["med"] * 1e3 for x in xs]
        lo = [cur[x]["med"] * 1e3 - cur[x]["min"] * 1e3 for x in xs]
        hi = [cur[x]["max"] * 1e3 - cur[x]["med"] * 1e3 for x in xs]
        ax.errorbar(xp, med, yerr=[lo, hi], fmt=style, capsize=3,
                    label={"ref": "reference 4.1.0.3 (Perl)", "ours": "ours (C)"}[name])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows of the user in the session DB (0 plotted at 1)")
    ax.set_ylabel("x2golistsessions latency, ms (median, min–max)")
    ax.set_title("x2golistsessions latency vs DB rows (%s)" % HOST)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def report(b, args, started, elapsed):
    cpu, ncpu, mem, deb = machine_info()
    L = []
    L.append("# Benchmark results: reference x2goserver 4.1.0.3 vs ours\n")
    L.append("Generated by `bench/run.sh%s` on %s (UTC), run time %.0f s.\n"
             % (" --quick" if args.quick else "", started.strftime("%Y-%m-%d %H:%M"), elapsed))
    L.append("* Machine: %s, %d CPUs, %s RAM, Debian %s, kernel %s, host name `%s`"
             % (cpu, ncpu, mem, deb, platform.release(), HOST))
    L.append("* Reference: Debian x2goserver 4.1.0.3-7+deb12u1 in the private "
             "namespace of `bench/refenv.sh` (never installed on the host)")
    L.append("* Ours: what is installed on the host (`/usr/bin`, `/usr/sbin`, "
             "`/usr/lib/x2go`), repo HEAD `%s` at run time; ours commands found: %s"
             % (git_rev(), ", ".join(k for k, v in sorted(b.avail.items()) if v) or "none"))
    L.append("* Each side runs with a bench-private, freshly created `/var/lib/x2go` "
             "(its own `x2godbadmin --createdb`), same users `x2gobench1..10`, "
             "interleaved ref/ours with alternating order; first list round is a "
             "warm-up and is not counted.\n")
    L.append("## Latency\n")
    L.append("Median (min – max, n samples). Ratio = reference median / ours median "
             "(higher is better for ours).\n")
    L.append("| workload | reference | ours | ratio ref/ours | target (DESIGN §4) | met |")
    L.append("|---|---|---|---|---|---|")
    for name, target, ref, ours, extra in b.results:
        L.append("| %s | %s | %s | %s | %s | %s |" % (name,
                                                     fmt_t(ref), fmt_t(ours), ratio(ref, ours),
                                                     target, target_met(target, ref, ours)))
    L.append("")
    extras = [e for (_, _, _, _, e) in b.results if e]
    for e in extras:
        L.append("x2gostartagent %s\n" % e.lstrip("; "))
    L.append("![list latency](list_latency.png)\n")

    L.append("## %d concurrent starts (%d users × %d)\n"
             % (args.conc_users * args.conc_per_user, args.conc_users, args.conc_per_user))
    L.append("All started at once (no stagger); a start counts as OK when it exits 0 "
             "with 7 parseable lines. Cap: %d s per side, after which the "
             "remaining starts are killed and counted as failures (timeouts).\n"
             % args.conc_timeout)
    L.append("| side | OK | failed (of which timed out) | duplicate displays | "
             "duplicate ports | wall time | per-start latency median (min – max) | "
             "DB rows after |")
    L.append("|---|---|---|---|---|---|---|---|")
    for name in ("ref", "ours"):
        c = b.conc.get(name)
        if not c:
            L.append("| %s | n/a | | | | | | |" % name)
            continue
        L.append("| %s | %d/%d | %d (%d) | %d | %d | %.1f s | %s | %s |"
                 % (name, c["ok"], c["jobs"], c["failed"], c["timeouts"], c["dup_disp"],
                    c["dup_port"], c["wall"], fmt_t(c["lat"]), c["db_rows"]))
    c = b.conc.get("ours")
    if c:
        met = c["failed"] == 0 and c["dup_disp"] == 0 and c["dup_port"] == 0 \
            and c["ok"] == c["jobs"]
        L.append("\nTarget (0 failures, 0 duplicate displays or ports) met by ours: %s"
                 % ("yes" if met else "**no**"))
    for name in ("ref", "ours"):
        c = b.conc.get(name)
        if c and c["errs"]:
            L.append("\n%s failure messages (last stderr line, count): %s"
                     % (name, "; ".join("`%s` ×%d" % (e.replace("|", "/"), n) for e, n in c["errs"])))
    L.append("")
    L.append("## Clean-up daemon CPU, %d idle sessions\n" % args.daemon_sessions)
    L.append("`x2gocleansessions --debug` (foreground) with %d suspended sessions in "
             "the DB (stand-in agent processes named `x2goagent` whose command line "
             "names the session, state files `SUSPENDED`): nothing to do, so this is "
             "the idle cost. CPU = utime+stime+cutime+cstime of the daemon from "
             "`/proc/<pid>/stat` (children it reaped included), over a %d s window "
             "after %d s warm-up; each daemon runs with private overlays on `/run` and `/tmp` (host files visible, its own writes and removals private) so its pid and lock files do not meet a daemon running on the host and it cannot remove other developers' session files %s.\n"
             % (args.daemon_sessions, args.daemon_window, args.daemon_warmup,
                "(the 10 min of DESIGN §4)" if args.daemon_window >= 600 else
                "(DESIGN §4 says 10 min; scaled down to keep the run short, the idle "
                "cost is linear in time)"))
    L.append("| side | CPU seconds in window | CPU % of one core | DB status counts after | note |")
    L.append("|---|---|---|---|---|")
    for name in ("ref", "ours"):
        d = b.daemon.get(name)
        if not d:
            L.append("| %s | n/a | | | not installed / not run |" % name)
        elif "error" in d:
            L.append("| %s | n/a | | | %s |" % (name, d["error"]))
        else:
            L.append("| %s | %.2f | %.2f %% | %s | %s |"
                     % (name, d["cpu"], 100 * d["cpu"] / d["wall"], " ".join(r.replace("|", ":") for r in d["rows"]),
                        "daemon died during window" if d["died"] else ""))
    dr, do = b.daemon.get("ref"), b.daemon.get("ours")
    if dr and do and "cpu" in dr and "cpu" in do:
        if do["cpu"] > 0:
            L.append("\nours / reference CPU: %.2f %% (target ≤ 1 %%): %s"
                     % (100 * do["cpu"] / dr["cpu"],
                        "met" if do["cpu"] <= 0.01 * dr["cpu"] else "**not met**"))
        else:
            L.append("\nours used less than one clock tick (1/%d s): < %.2f %% of the "
                     "reference (target ≤ 1 %%): met" % (CLK, 100 / CLK / max(dr["cpu"], 1e-9)))
    L.append("")
    if BLOCKED_SEEN:
        b.notes.append("displays held by other X servers on this shared machine (lock or "
                       "socket files), entered as placeholder rows in both DBs before "
                       "each start so that neither side tries them: %s"
                       % ", ".join(":%d" % d for d in sorted(BLOCKED_SEEN)))
    if b.notes:
        L.append("## Notes\n")
        seen = set()
        for n in b.notes:
            if n not in seen:
                seen.add(n)
                L.append("* " + n.replace("\n", " "))
        L.append("")
    L.append("## Method and caveats\n")
    L.append("* Timing is `time.perf_counter()` in a root helper (`bench/agent.py`) "
             "inside each side's mount namespace, around fork+setuid+exec of the "
             "command as the user until exit (start: until the 7th line of stdout). "
             "Environment as sshd gives it: `USER`, `HOME`, `SSH_CLIENT='127.0.0.1 4000 22'`, "
             "`PATH=/usr/local/bin:/usr/bin:/bin`; start adds `X2GO_XINERAMA=false` and "
             "arguments `%s`." % " ".join(START_ARGS))
    L.append("* List rows are inserted directly with the reference schema (spec §3.2), "
             "alternating R/S, no state files. Every own row's agent_pid is a live "
             "stand-in process (`bench/standin.c`, named `x2goagent`, owned by the user, "
             "whose arguments carry `-name X2GO-<sid>` for up to %d rows each, so a command line stays under one page as a real agent's does), because ours "
             "checks agent liveness while listing (the reference does not) and would "
             "otherwise mark the rows F." % SIDS_PER_STANDIN + " The farm DB has 9,900 rows of 97 other users on 20 other "
             "server names plus the 100 rows of the listing user on this host.")
    L.append("* Suspend and terminate act on a session started 0.3 s earlier "
             "(agent in STARTING state, no client connected), so the time is the "
             "command itself, not the agent's reaction.")
    L.append("* A run on a 2-CPU VM is noisy: read ratios and medians, not single numbers.")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------ main ---
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="list,lifecycle,concurrent,daemon")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    a = ap.parse_args()
    if a.quick:
        a.reps, a.list_sizes, a.start_reps = 7, [0, 100, 10000], 3
        a.conc_users, a.conc_per_user, a.conc_timeout = 10, 3, 120
        a.daemon_sessions, a.daemon_window, a.daemon_warmup = 50, 20, 5
    else:
        a.reps, a.list_sizes, a.start_reps = 15, [0, 10, 100, 1000, 10000], 6
        a.conc_users, a.conc_per_user, a.conc_timeout = 10, 10, 300
        a.daemon_sessions, a.daemon_window, a.daemon_warmup = 50, 60, 6
    for k in ("BENCH_CONC_PER_USER", "BENCH_DAEMON_WINDOW", "BENCH_CONC_TIMEOUT"):
        if os.environ.get(k):
            setattr(a, k[6:].lower(), int(os.environ[k]))
    if os.geteuid() != 0:
        sys.exit("bench: must run as root")
    os.makedirs(WORK, exist_ok=True)
    build_standin()
    started = datetime.datetime.utcnow()
    t0 = time.time()
    b = Bench(a)
    for cmd in ("x2golistsessions", "x2gostartagent", "x2gosuspend-session",
                "x2goterminate-session", "x2gocleansessions", "x2godbadmin"):
        b.avail[cmd] = have_ours(cmd)
    log("ours available:", b.avail)

    refdir = prepare_dbdir("ref", [REFENV, "run"])
    b.sides["ref"] = Side("ref", refdir)
    if os.path.isdir("/var/lib/x2go") and any(b.avail.values()):
        oursdir = prepare_dbdir("ours", UNSHARE)
        b.sides["ours"] = Side("ours", oursdir)
    else:
        b.notes.append("ours: /var/lib/x2go or commands missing on the host: every 'ours' is n/a")
    only = a.only.split(",")
    try:
        if "list" in only:
            b.w_floor()
            b.w_list()
        if "lifecycle" in only:
            b.w_lifecycle()
        if "concurrent" in only:
            b.w_concurrent()
        if "daemon" in only:
            b.w_daemon()
    except Exception as e:
        import traceback
        traceback.print_exc()
        b.notes.append("run aborted early: %s: %s" % (type(e).__name__, e))
    finally:
        b._kill_leftover_agents()
        for s in b.sides.values():
            s.close()
    png = os.path.join(os.path.dirname(a.out), "list_latency.png")
    if b.list_curve:
        chart(b, png)
    text = report(b, a, started, time.time() - t0)
    with open(a.out, "w") as f:
        f.write(text)
    log("wrote", a.out)
    print(text)


if __name__ == "__main__":
    main()
