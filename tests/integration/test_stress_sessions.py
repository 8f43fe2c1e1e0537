"""Stress with the real commands (issue: one user must never deny the
service to the others): 20 users start (x2gostartagent, a real nxagent),
suspend, resume and terminate sessions concurrently for several minutes,
with the clean-up daemon and the store server of a private instance
running, while an attacker runs the attacks that fit a shared host:

* a flood of reservations up to the per-user cap and of silent
  connections to the store server, its own processes SIGSTOPped and
  continued again and again (the lock and descriptor holes);
* rows backed by its own processes that carry "X2GO-<sid>" (the daemon's
  descriptor hole), at the cap;
* squatting: /tmp/.x2go-<victim> planted before each victim's first
  start (the victim retries as a client would);
* its own sessions whose directory it swaps for a link to a victim's
  session directory before its agent dies (the daemon then cleans up).

The full disk is its own test (test_attacks_store): filled, it would make
every start fail by design.

At the end: every operation of the 20 users succeeded (a start may be
retried only while its tmp dir was squatted), each user's long-lived
session is still R with its agent alive, the victims' session dirs are
whole, no row of a finished cycle is left, the database passes
integrity_check. X2GO_STRESS_SECONDS sets the duration (default 240: several minutes)."""
import os
import subprocess

from test_attacks_daemon import private
from test_stress_store import ATTACK

USERS = ['x2gosess%02d' % i for i in range(1, 21)]

# As each user: one long-lived session, then cycles until the deadline.
# Each session gets a real client, nxproxy drawing on the test's Xvfb, as
# python-x2go starts it: an agent nobody connects to stays STARTING,
# ignores a suspend and gives up after a minute.
WORKER = r"""
import json, os, subprocess, sys, time
seconds = float(sys.argv[1])
START = ["800x600", "adsl", "16m-jpeg-9", "unix-kde-depth_24", "null", "auto", "1", "R",
         "xterm", "both"]
RESUME = ["800x600", "lan", "16m-jpeg-9", "us", "pc105/us", "1", "both", "no"]
env = dict(os.environ, X2GO_XINERAMA="false", SSH_CLIENT="127.0.0.1 4000 22")
user = os.environ["USER"]
fails, done, retried, proxies = [], 0, 0, []
def call(argv):
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    if p.returncode != 0:
        fails.append("%s: exit %d: %s" % (argv[0], p.returncode, p.stderr.strip()[:200]))
    return p
def listed(sid):
    for l in call(["x2golistsessions"]).stdout.splitlines():
        f = l.split("|")
        if len(f) > 4 and f[1] == sid:
            return f[4]
    return None
def state(sid):
    try:
        return open("/tmp/.x2go-%s/C-%s/state" % (user, sid)).read()
    except OSError:
        return None
def client(sid, cookie, port, display):
    root = os.path.expanduser("~/.x2go-stress")
    os.makedirs(root, exist_ok=True)
    opts = ("nx/nx,retry=5,composite=1,connect=127.0.0.1,clipboard=1,cookie=%s,port=%s,"
            "errors=%s/S-%s.errors:%s" % (cookie, port, root, sid, display))
    p = subprocess.Popen(["/usr/bin/nxproxy", "-S", opts], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(env, NX_CLIENT="/bin/true", NX_ROOT=root))
    proxies.append(p)
    return p
def until(sid, want, what, limit=60):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        st = state(sid)
        if st == want:
            return True
        time.sleep(0.1)
    fails.append("%s: %s: agent state %r, want %r" % (sid, what, state(sid), want))
    return False
def gone(p, what):
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        fails.append("nxproxy still running after %s" % what)
        p.kill()
def start(tries=1):
    global retried
    for i in range(tries):
        p = subprocess.run(["x2gostartagent"] + START, capture_output=True, text=True,
                           env=env, timeout=120)
        l = p.stdout.splitlines()
        if p.returncode == 0 and len(l) >= 7:
            return l[3], int(l[2]), client(l[3], l[1], l[4], l[0])
        if i + 1 == tries:
            fails.append("start: exit %d: %s" % (p.returncode, p.stderr.strip()[:200]))
        retried += 1
        time.sleep(0.5)
    return None, None, None
keep, keep_pid, _ = start(tries=20)   # the first start may meet a squatted dir
if keep and until(keep, "RUNNING", "long-lived start"):
    # for the attacker's driver: a session dir to aim its links at
    with open("/tmp/.keep-" + user, "w") as f:
        f.write(keep)
end = time.monotonic() + seconds
while time.monotonic() < end and len(fails) < 5:
    sid, pid, proxy = start()
    if not sid or not until(sid, "RUNNING", "start"):
        continue
    cookie = open("/tmp/.x2go-%s/C-%s/options" % (user, sid)).read().split("cookie=")[1]
    cookie = cookie.split(",")[0]
    call(["x2gosuspend-session", sid])
    until(sid, "SUSPENDED", "suspend")
    if listed(sid) != "S":
        fails.append("after suspend %s lists %r" % (sid, listed(sid)))
    gone(proxy, "suspend")
    r = call(["x2goresume-session", sid] + RESUME)
    port = [l.split("=")[1] for l in r.stdout.splitlines() if l.startswith("gr_port=")]
    if not port:
        fails.append("resume %s printed no gr_port: %r" % (sid, r.stdout))
        continue
    display = sid.split("-")[-2]
    proxy = client(sid, cookie, port[0], display)
    until(sid, "RUNNING", "resume")
    if listed(sid) != "R":
        fails.append("after resume %s lists %r" % (sid, listed(sid)))
    call(["x2goterminate-session", sid])
    if listed(sid) is not None:
        fails.append("after terminate %s lists %r" % (sid, listed(sid)))
    gone(proxy, "terminate")
    done += 1
for p in proxies:
    if p.poll() is None and p is not proxies[0]:
        p.kill()
print(json.dumps({"fails": fails, "done": done, "retried": retried, "keep": keep,
                  "keep_pid": keep_pid}))
"""

# The attacker, until the deadline: floods, stops, as in the store stress.
STRESS = r'''
def as_attacker(argv):
    # setpriv execs in place: a runuser parent (root) would stop itself
    # for good when the attacker stops its child
    return subprocess.run(["setpriv", "--reuid", A, "--regid", A, "--init-groups"] + argv,
                          stdin=DEVNULL, capture_output=True, timeout=60)

d = None
try:
    d = daemon()
    seconds = float(os.environ.get("X2GO_STRESS_SECONDS", "240"))
    # rows backed by the attacker's own process, up to the cap
    spare = rows_through_store(A, 12)   # kept for the swaps below
    rows = rows_through_store(A, 400)
    pid = holder(A, ["X2GO-" + sid for sid, _ in rows])
    out["fake_rows"] = create_rows(A, rows, pid)
    xvfb = subprocess.Popen(["/usr/bin/Xvfb", ":5", "-ac", "-nolisten", "tcp", "-screen", "0",
                             "800x600x24"], stdout=DEVNULL, stderr=DEVNULL)
    procs.append(xvfb)
    time.sleep(1)
    # squat every victim's tmp dir before its first start
    for u in USERS:
        as_attacker(["/bin/mkdir", "-m", "0777", "/tmp/.x2go-%s" % u])
    att = subprocess.Popen([itlib.RUNUSER, "-u", A, "--", "/usr/bin/python3", "-c", ATTACK,
                            itlib.HELPER, str(seconds)], stdin=DEVNULL, stdout=DEVNULL,
                           stderr=DEVNULL, start_new_session=True)
    procs.append(att)
    ws = {u: subprocess.Popen([itlib.RUNUSER, "-u", u, "--", "/usr/bin/python3", "-c",
                               WORKER, str(seconds)], stdin=DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True,
                              env=dict(itlib.ENV, USER=u, HOME="/home/" + u,
                                       DISPLAY=":5"))
          for u in USERS}
    procs.extend(ws.values())
    # meanwhile: the attacker's sessions whose dir becomes a link to a
    # victim's session dir before their agent dies; the daemon cleans up
    swaps, t_end = 0, time.monotonic() + seconds
    out["victim_dirs"] = {}
    while spare and time.monotonic() < t_end - 5:
        time.sleep(5)
        keeps = [(u, open("/tmp/.keep-" + u).read()) for u in USERS
                 if os.path.exists("/tmp/.keep-" + u)]
        if not keeps:
            continue
        u, bsid = keeps[swaps % len(keeps)]
        bdir = "/tmp/.x2go-%s/C-%s" % (u, bsid)
        asid, ports = spare.pop()
        adir = "/tmp/.x2go-%s/C-%s" % (A, asid)
        as_attacker(["/bin/mkdir", "-p", "-m", "0700", adir])
        apid = holder(A, ["X2GO-" + asid])
        as_attacker(["/usr/bin/python3", "-c", STORE_LOOP, itlib.HELPER, json.dumps(
            [["create", asid, "0123456789abcdef0123456789abcdef", str(apid), "10.1.2.3"]
             + ports])])
        as_attacker(["/bin/mv", adir, adir + ".away"])
        as_attacker(["/bin/ln", "-s", bdir, adir])
        os.kill(apid, signal.SIGKILL)
        swaps += 1
        out["victim_dirs"].setdefault(bsid, [bdir, sorted(os.listdir(bdir))])
    out["swaps"] = swaps
    out["workers"] = {}
    for u, w in ws.items():
        so, se = w.communicate(timeout=seconds + 600)
        try:
            out["workers"][u] = json.loads(so.strip().splitlines()[-1])
        except (ValueError, IndexError):
            out["workers"][u] = {"fails": ["worker exit %d: %s" % (w.returncode, se[-300:])]}
    att.wait(60)
    for u, r in out["workers"].items():
        if r.get("keep"):
            r["keep_row"] = row(r["keep"])
            r["keep_alive"] = alive(r["keep_pid"])
            out.setdefault("terminate", []).append(r["keep"])
    for sid, (bdir, before) in out["victim_dirs"].items():
        after = sorted(os.listdir(bdir)) if os.path.isdir(bdir) else None
        out["victim_dirs"][sid] = [before, after]
    # terminated rows read F until the daemon removes them (after its grace
    # for x2gocmdexitmessage): give it that time
    keeps = [r["keep"] for r in out["workers"].values() if r.get("keep")]
    for _ in range(90):
        out["left"] = [list(r) for r in db().execute(
            "SELECT session_id, status, agent_pid, init_time, last_time FROM sessions"
            " WHERE uname != ?", (A,)) if r[0] not in keeps]
        if not out["left"]:
            break
        time.sleep(1)
    log = open("/run/td/daemon.log").read().splitlines()
    failed = set(re.findall(r"x2gosess\d\d-\d+-\d+_st\w+_dp24", json.dumps(
        [r.get("fails") for r in out["workers"].values()])))
    out["fail_log"] = [l for l in log if any(f in l for f in failed)][-40:]
    out["left_log"] = [l for l in log if any(r[0] in l for r in out["left"])][-20:]
    out["integrity"] = db().execute("PRAGMA integrity_check").fetchone()[0]
finally:
    finish(d)
'''


def _ensure_users():
    for u in USERS:
        if subprocess.run(['id', u], capture_output=True).returncode != 0:
            subprocess.run(['useradd', '-m', '-s', '/bin/sh', u], check=True)


def test_twenty_users_with_real_sessions_under_attack():
    _ensure_users()
    seconds = float(os.environ.get("X2GO_STRESS_SECONDS", "240"))
    o = private('USERS = %r\nWORKER = %r\nATTACK = %r\n' % (USERS, WORKER, ATTACK) + STRESS,
                timeout=int(seconds) + 900)
    assert o.get('fake_rows', 0) > 0, 'the attacker made no rows: %r' % o
    fails = {u: r['fails'] for u, r in o['workers'].items() if r.get('fails')}
    assert not fails, 'failed operations of the users: %r; daemon log: %r' % (
        fails, o.get('fail_log'))
    lost = {u: (r.get('keep_row'), r.get('keep_alive')) for u, r in o['workers'].items()
            if not r.get('keep_row') or r['keep_row'][0] != 'R' or not r.get('keep_alive')}
    assert not lost, 'long-lived sessions ended or changed: %r' % lost
    done = sum(r['done'] for r in o['workers'].values())
    assert done >= 40, 'only %d full cycles in %s s' % (done, seconds)
    assert o['swaps'] > 0, 'the attacker never swapped a session dir'
    harmed = {s: v for s, v in o['victim_dirs'].items() if v[1] is None or set(v[0]) - set(v[1])}
    assert not harmed, 'files removed from victims\' session dirs: %r' % harmed
    keeps = {r['keep'] for r in o['workers'].values()}
    left = [r for r in o['left'] if r[0] not in keeps]
    assert not left, 'rows of finished cycles left: %r; daemon log: %r' % (left, o['left_log'])
    assert o['integrity'] == 'ok', 'integrity_check: %r' % o['integrity']
    print('stress: %d full cycles of 20 users in %d s, %d starts retried (squatted), '
          '%d swapped dirs, %d attacker rows' % (done, seconds, sum(
              r['retried'] for r in o['workers'].values()), o['swaps'], o['fake_rows']))
