"""Time limits of the clean-up daemon ([time limits] in x2goserver.conf) and
its state file, on the installed x2gocleansessions.

A daemon of its own runs in a private mount namespace (own /run, /tmp,
database and x2goserver.conf, its own store server), with limits of a few
seconds, over six sessions at once:

  B  S  default suspended 6s            -> terminated
  C  S  group: suspended=0 beats 6s     -> untouched
  A  S  user: suspended=4s beats group  -> terminated
  A  R  user: lifetime=12s              -> terminated at its lifetime
  C  R  group: idle=8s, a real X server -> warned (xmessage), then suspended
  B  R  no limit applies                -> untouched

Agents are fake (a process of the user with argv "X2GO-<sid>" that answers
SIGHUP and SIGTERM on its state file the way nxagent does); the idle
session's display is a real Xvfb holding the row's cookie, so the idle time
comes from a real X server through libXss (the end-to-end suite does the
same with nxagent and pyhoca-cli). Then a malformed value: the daemon says
which file and line, and leaves every session alone.
"""

import json
import os
import re
import subprocess

from itlib import USER_A, USER_B, check, ensure_users, eq

USER_C = 'x2goitc'
GROUP = 'x2goitlim'

CONF = """[time limits]
suspended = 6s
warning = 3s

[time limits groups]
%(group)s = suspended=0, idle=8s

[time limits users]
%(a)s = suspended=4s, lifetime=12s
%(b)s = lifetime=0
""" % {'group': GROUP, 'a': USER_A, 'b': USER_B}

BAD_CONF = """[time limits]
suspended = 1s

[time limits users]
%s = idle=5 minutes
""" % USER_B

AGENT = r'''
import os, signal, sys
sdir, log = sys.argv[2], sys.argv[3]
def state(s):
    with open(os.path.join(sdir, ".state.tmp"), "w") as f:
        f.write(s)
    os.rename(os.path.join(sdir, ".state.tmp"), os.path.join(sdir, "state"))
sigs = {signal.SIGHUP, signal.SIGTERM}
signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
while True:
    info = signal.sigwaitinfo(sigs)
    with open(log, "a") as f:
        f.write("%d\n" % info.si_signo)
    if info.si_signo == signal.SIGTERM:
        state("TERMINATING"); state("TERMINATED")
        sys.exit(0)
    cur = open(os.path.join(sdir, "state")).read()
    if cur == "SUSPENDED":
        state("RESUMING"); state("RUNNING")
    else:
        state("SUSPENDING"); state("SUSPENDED")
'''

# The private namespace: fresh /run and /tmp, a database directory of its
# own; then "$@".
NAMESPACE = ('mount -t tmpfs -o mode=1777 tmpfs /run && mount -t tmpfs -o mode=1777 tmpfs /tmp'
             ' && mkdir -m 0755 /run/tl && mkdir /run/tl/db'
             ' && mount --bind /run/tl/db /var/lib/x2go && exec "$@"')

# Runs as root in NAMESPACE: argv conf, bad conf, agent code, users A B C.
# Prints one JSON object.
PRIVATE = r'''
import json, os, pwd, re, signal, socket, sqlite3, subprocess, sys, time
conf, bad_conf, agent_code, ua, ub, uc = sys.argv[1:7]
out = {"errors": []}
def sh(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL)
with open("/run/tl/conf", "w") as f:
    f.write(conf)
os.chmod("/run/tl/conf", 0o644)
sh("mount", "--bind", "/run/tl/conf", "/etc/x2go/x2goserver.conf")
sh("/usr/sbin/x2godbadmin", "--createdb")
sh("/usr/lib/x2go/x2go-stored")
host = socket.gethostname()
db = sqlite3.connect("/var/lib/x2go/x2go_sessions", isolation_level=None)
os.mkdir("/tmp/.X11-unix", 0o1777)
os.chmod("/tmp/.X11-unix", 0o1777)
procs, sess = [], {}
COOKIE = "4f1c0ffee4f1c0ffee4f1c0ffee4f1c0"
def session(name, user, status, display, cookie=None):
    pw = pwd.getpwnam(user)
    top = "/tmp/.x2go-" + user
    if not os.path.isdir(top):
        os.mkdir(top, 0o700)
        os.chown(top, pw.pw_uid, pw.pw_gid)
    sid = "%s-%d-%d_stDtest_dp24" % (user, display, 1790000000 + display)
    sdir = "%s/C-%s" % (top, sid)
    os.mkdir(sdir, 0o700)
    with open(sdir + "/state", "w") as f:
        f.write("SUSPENDED" if status == "S" else "RUNNING")
    siglog = "/run/tl/%s.sig" % name
    open(siglog, "w").close()
    for p in (sdir, sdir + "/state", siglog):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    a = subprocess.Popen(["/usr/bin/python3", "-c", agent_code, "X2GO-" + sid, sdir, siglog],
                         user=pw.pw_uid, group=pw.pw_gid, extra_groups=[], cwd="/",
                         stdin=subprocess.DEVNULL)
    procs.append(a)
    sess[name] = {"sid": sid, "agent": a.pid, "user": user, "siglog": siglog,
                  "display": display}
    return sid, a.pid, cookie
rows = []
rows.append(("susp_default", ub, "S", 7960))
rows.append(("susp_group_off", uc, "S", 7961))
rows.append(("susp_user", ua, "S", 7962))
rows.append(("lifetime", ua, "R", 7963))
rows.append(("idle", uc, "R", 7964))
rows.append(("untouched", ub, "R", 7965))
# the idle session's X server: Xvfb with the row's cookie (-noreset: an
# X server that resets when its last client leaves forgets its idle time;
# an agent always has its desktop connected)
sh("/usr/bin/xauth", "-f", "/run/tl/xauth", "add", ":7964", ".", COOKIE)
xvfb = subprocess.Popen(["/usr/bin/Xvfb", ":7964", "-auth", "/run/tl/xauth", "-nolisten", "tcp",
                         "-noreset", "-screen", "0", "640x480x24"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
procs.append(xvfb)
xenv = {"DISPLAY": ":7964", "XAUTHORITY": "/run/tl/xauth", "PATH": "/usr/bin:/bin"}
def xtree():
    r = subprocess.run(["/usr/bin/xwininfo", "-root", "-tree"], env=xenv,
                       capture_output=True, text=True, timeout=10)
    return r.stdout if r.returncode == 0 else ""
for _ in range(100):
    if xtree():
        break
    time.sleep(0.1)
made = [session(n, u, st, disp, COOKIE if n == "idle" else None) for n, u, st, disp in rows]
time.sleep(0.3)
for (name, user, st, disp), (sid, pid, cookie) in zip(rows, made):
    db.execute("INSERT INTO sessions(session_id,display,uname,server,client,status,agent_pid,"
               "cookie,init_time,last_time) VALUES(?,?,?,?,?,?,?,?,datetime('now','localtime'),"
               "datetime('now','localtime'))", (sid, disp, user, host, "10.1.2.3", st, pid, cookie))
t0 = time.monotonic()
log = open("/run/tl/debug.log", "w")
d = subprocess.Popen(["/usr/sbin/x2gocleansessions", "--debug"], stdout=log,
                     stderr=subprocess.STDOUT)
def status(name):
    r = db.execute("SELECT status FROM sessions WHERE session_id=?",
                   (sess[name]["sid"],)).fetchone()
    return r[0] if r else None
def alive(name):
    try:
        return open("/proc/%d/stat" % sess[name]["agent"]).read().split()[2] != "Z"
    except OSError:
        return False
def state_file():
    try:
        st = os.stat("/run/x2go/cleansessions.state")
        return {"text": open("/run/x2go/cleansessions.state").read(),
                "mode": st.st_mode & 0o7777, "uid": st.st_uid}
    except OSError as e:
        return {"error": str(e)}
out["gone_at"], out["status_at"], out["xmessage_at"] = {}, {}, None
try:
    time.sleep(1.5)
    out["state1"] = state_file()
    ended = ("susp_default", "susp_user", "lifetime")
    while time.monotonic() - t0 < 45:
        for n in ended:
            if n not in out["gone_at"] and status(n) is None and not alive(n):
                out["gone_at"][n] = time.monotonic() - t0
        if "idle" not in out["status_at"] and status("idle") == "S":
            out["status_at"]["idle"] = time.monotonic() - t0
        if out["xmessage_at"] is None and "xmessage" in xtree():
            out["xmessage_at"] = time.monotonic() - t0
        if len(out["gone_at"]) == 3 and "idle" in out["status_at"] and \
                time.monotonic() - t0 > 14:
            break
        time.sleep(0.2)
    out["status"] = {n: status(n) for n in sess}
    out["alive"] = {n: alive(n) for n in sess}
    out["signals"] = {n: open(sess[n]["siglog"]).read().split() for n in sess}
    out["state2"] = state_file()
    out["daemon_pid"] = d.pid
    # a malformed value: one clear line, and then nothing ends anything
    with open("/run/tl/conf", "w") as f:
        f.write(bad_conf)
    d.send_signal(signal.SIGHUP)
    time.sleep(4)
    out["bad_status"] = {n: status(n) for n in ("susp_group_off", "untouched", "idle")}
    out["bad_alive"] = {n: alive(n) for n in ("susp_group_off", "untouched", "idle")}
finally:
    # SIGTERM must stop it (exit 0); SIGKILL only if it does not
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if d.poll() is None:
            d.send_signal(sig)
            try:
                d.wait(10)
            except subprocess.TimeoutExpired:
                pass
    out["daemon_rc"] = d.returncode
    for p in procs:
        p.kill()
    out["leftover"] = [p.wait() for p in procs] and None
    subprocess.run(["/bin/sh", "-c", "kill $(cat /run/x2go/stored.pid)"])
    out["log"] = open("/run/tl/debug.log").read()
out["sids"] = {n: sess[n]["sid"] for n in sess}
print(json.dumps(out))
'''

_result = {}


def ensure_group_users():
    ensure_users()
    if subprocess.run(['getent', 'group', GROUP], stdout=subprocess.DEVNULL).returncode:
        subprocess.run(['groupadd', GROUP], check=True)
    if subprocess.run(['getent', 'passwd', USER_C], stdout=subprocess.DEVNULL).returncode:
        subprocess.run(['useradd', '-m', '-s', '/bin/bash', USER_C], check=True,
                       stdout=subprocess.DEVNULL)
    for u in (USER_A, USER_C):
        subprocess.run(['usermod', '-a', '-G', GROUP, u], check=True)


def result():
    """One private daemon run for all the tests of this module."""
    if not _result:
        ensure_group_users()
        r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c',
                            NAMESPACE, 'sh', '/usr/bin/python3', '-c', PRIVATE, CONF, BAD_CONF,
                            AGENT, USER_A, USER_B, USER_C],
                           capture_output=True, text=True, timeout=150)
        check(r.returncode == 0, 'private daemon run failed: %s' % r.stderr[-2000:])
        _result.update(json.loads(r.stdout.strip().splitlines()[-1]))
    return _result


def decisions(o, name):
    """The daemon's time-limit log lines about one session."""
    sid = o['sids'][name]
    return [l.split(' ::: ', 2)[2] for l in o['log'].splitlines()
            if ' ::: notice ::: %s: user ' % sid in l]


def test_suspended_sessions_terminated_after_their_limit():
    o = result()
    for name, user, limit in (('susp_default', USER_B, 6), ('susp_user', USER_A, 4)):
        check(name in o['gone_at'], '%s not terminated: status %r, agent alive %r; log:\n%s'
              % (name, o['status'][name], o['alive'][name], o['log'][-3000:]))
        eq(o['signals'][name], ['15'], 'signals %s received' % name)
        want = '%s: user %s: suspended for %%ds, suspended limit %ds: terminating' \
            % (o['sids'][name], user, limit)
        lines = decisions(o, name)
        check(len(lines) == 1 and re.fullmatch(re.escape(want).replace('%d', r'(\d+)'),
                                               lines[0]), 'log of %s: %r' % (name, lines))
        took = int(re.search(r'suspended for (\d+)s', lines[0]).group(1))
        check(limit <= took <= limit + 10, '%s ended after %ds, limit %ds' % (name, took, limit))


def test_lifetime_ends_running_session():
    o = result()
    check('lifetime' in o['gone_at'], 'running session not ended at its lifetime: %r'
          % o['status']['lifetime'])
    check(o['gone_at']['lifetime'] >= 11, 'ended after %.1fs, before its lifetime of 12s'
          % o['gone_at']['lifetime'])
    lines = decisions(o, 'lifetime')
    check(lines and lines[-1].startswith('%s: user %s: running for ' % (o['sids']['lifetime'],
                                                                       USER_A))
          and lines[-1].endswith(', lifetime limit 12s: terminating'), 'log: %r' % lines)
    # no X display to warn on (no cookie): no warning line
    eq(len(lines), 1, 'decisions about the lifetime session')


def test_idle_session_warned_then_suspended():
    o = result()
    check('idle' in o['status_at'], 'idle session not suspended: status %r; log:\n%s'
          % (o['status']['idle'], o['log'][-3000:]))
    eq(o['status']['idle'], 'S', 'idle session status at the end')
    check(o['alive']['idle'], 'idle session agent died: it must be suspended only')
    eq(o['signals']['idle'], ['1'], 'signals the idle session agent received (SIGHUP)')
    check(o['status_at']['idle'] >= 7.5, 'suspended after %.1fs, limit 8s'
          % o['status_at']['idle'])
    check(o['xmessage_at'] is not None and o['xmessage_at'] < o['status_at']['idle'],
          'no xmessage warning on the session display before the suspend (%r, %r)'
          % (o['xmessage_at'], o['status_at']['idle']))
    sid = o['sids']['idle']
    lines = decisions(o, 'idle')
    check(len(lines) == 2, 'decisions about the idle session: %r' % lines)
    check(re.fullmatch(r'%s: user %s: idle for [5-7]s, idle limit 8s: warning shown in the '
                       r'session' % (re.escape(sid), USER_C), lines[0]), 'warning line %r'
          % lines[0])
    check(re.fullmatch(r'%s: user %s: idle for (8|9|1\d)s, idle limit 8s: suspending'
                       % (re.escape(sid), USER_C), lines[1]), 'suspend line %r' % lines[1])


def test_sessions_under_their_limits_untouched():
    o = result()
    for name, st in (('susp_group_off', 'S'), ('untouched', 'R')):
        eq(o['status'][name], st, 'status of %s' % name)
        check(o['alive'][name], '%s: agent died' % name)
        eq(o['signals'][name], [], 'signals %s received' % name)
        eq(decisions(o, name), [], 'decisions about %s' % name)


def test_malformed_limits_named_and_nothing_ended():
    o = result()
    bad = [l for l in o['log'].splitlines() if 'time limits off' in l]
    eq(len(bad), 1, 'time limits off lines')
    check(bad[0].endswith("::: err ::: time limits off: /etc/x2go/x2goserver.conf line 5: "
                          "[time limits users] %s: '5 minutes' is not a duration (a number "
                          "with s, m, h or d, e.g. 90m; 0 for off)" % USER_B), bad[0])
    # suspended=1s was in the same file: the S session lives on
    eq(o['bad_status'], {'susp_group_off': 'S', 'untouched': 'R', 'idle': 'S'},
       'statuses after the bad configuration')
    eq(o['bad_alive'], {'susp_group_off': True, 'untouched': True, 'idle': True},
       'agents after the bad configuration')


def test_state_file():
    o = result()
    for k in ('state1', 'state2'):
        st = o[k]
        check('text' in st, 'no state file: %r' % st)
        eq((st['mode'], st['uid']), (0o644, 0), 'mode and owner of the state file')
        m = re.fullmatch(r'last_pass=(\d+)\npasses=(\d+)\ntracked=(\d+)\npid=(\d+)\n',
                         st['text'])
        check(m, 'state file text %r' % st['text'])
        eq(int(m.group(4)), o['daemon_pid'], 'pid in the state file')
        st['passes'], st['tracked'] = int(m.group(2)), int(m.group(3))
    eq(o['state1']['tracked'], 6, 'tracked sessions at the start')
    eq(o['state2']['tracked'], 3, 'tracked sessions after three were ended')
    check(o['state2']['passes'] > o['state1']['passes'] >= 1, 'passes %d then %d'
          % (o['state1']['passes'], o['state2']['passes']))
    eq(o['daemon_rc'], 0, 'daemon exit status on SIGTERM')
