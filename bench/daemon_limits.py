#!/usr/bin/python3
"""Clean-up daemon CPU with and without time limits (ours only; the
reference has no time limits): x2gocleansessions --foreground over N
sessions (default 500; half running, half suspended) whose agents are
stand-ins (bench/standin.c: they only pause()), first with no [time limits],
then with all three on (values long enough that none ends a session, so the
work measured is the bookkeeping of every pass, not the ending). CPU =
utime+stime+cutime+cstime of the daemon over the window after a warm-up.

Run as root on a machine where the server is installed (scripts/install.sh);
everything happens in a private mount namespace (own /run, /tmp, database,
x2goserver.conf):   /usr/bin/python3 bench/daemon_limits.py [N] [WINDOW_S]

Prints one line per configuration and the ratio. The running sessions have
no X display: with an idle limit the daemon tries to measure their idle
time and fails (no cookie), which is the worst case for the idle rule's
retries.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Fresh /run and /tmp, a database directory of its own; then "$@".
NAMESPACE = ('mount -t tmpfs -o mode=1777 tmpfs /run && mount -t tmpfs -o mode=1777 tmpfs /tmp'
             ' && mkdir -m 0755 /run/bl && mkdir /run/bl/db'
             ' && mount --bind /run/bl/db /var/lib/x2go && exec "$@"')

INNER = r'''
import os, pwd, signal, socket, sqlite3, subprocess, sys, time
n, window, standin_src = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
def sh(*a):
    subprocess.run(a, check=True, stdout=subprocess.DEVNULL)
open("/run/bl/conf", "w").close()
os.chmod("/run/bl/conf", 0o644)
sh("mount", "--bind", "/run/bl/conf", "/etc/x2go/x2goserver.conf")
sh("cc", "-O2", "-o", "/run/bl/x2goagent", standin_src)
sh("/usr/sbin/x2godbadmin", "--createdb")
sh("/usr/lib/x2go/x2go-stored")
users = ["x2gobl%d" % i for i in range(5)]
for u in users:
    if subprocess.run(["id", u], capture_output=True).returncode:
        sh("useradd", "-m", u)
host = socket.gethostname()
db = sqlite3.connect("/var/lib/x2go/x2go_sessions", isolation_level=None)
procs = []
for k in range(n):
    u = users[k % len(users)]
    pw = pwd.getpwnam(u)
    disp = 1000 + k
    sid = "%s-%d-%d_stDXFCE_dp24" % (u, disp, 1790000000 + k)
    p = subprocess.Popen(["/run/bl/x2goagent", "-name", "X2GO-" + sid, ":%d" % disp],
                         user=pw.pw_uid, group=pw.pw_gid, cwd="/", start_new_session=True)
    procs.append(p)
    top = "/tmp/.x2go-" + u
    sd = "%s/C-%s" % (top, sid)
    os.makedirs(sd, mode=0o700)
    st = "RUNNING" if k % 2 else "SUSPENDED"
    with open(sd + "/state", "w") as f:
        f.write(st)
    for path in (top, sd, sd + "/state"):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(top, 0o700)
    db.execute("INSERT INTO sessions(session_id,display,uname,server,client,status,agent_pid,"
               "init_time,last_time) VALUES(?,?,?,?,?,?,?,datetime('now','localtime'),"
               "datetime('now','localtime'))", (sid, disp, u, host, "10.0.0.1", st[0], p.pid))
CONFS = [("no time limits", ""),
         ("all time limits on", "[time limits]\nsuspended = 1d\nidle = 8h\nlifetime = 30d\n"
          "[time limits groups]\nusers = idle=4h\n[time limits users]\n%s = lifetime=20d\n"
          % users[0])]
def ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in f[11:15])
res = []
for name, text in CONFS:
    with open("/run/bl/conf", "w") as f:
        f.write(text)
    d = subprocess.Popen(["/usr/sbin/x2gocleansessions", "--foreground"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(5)
    c0 = ticks(d.pid)
    time.sleep(window)
    c1 = ticks(d.pid)
    d.send_signal(signal.SIGTERM)
    d.wait()
    rows = db.execute("SELECT status, count(*) FROM sessions GROUP BY status").fetchall()
    cpu = (c1 - c0) / os.sysconf("SC_CLK_TCK")
    res.append(cpu)
    print("%-20s %4d sessions: %.2f s CPU in %.0f s (%.3f %%), rows after: %s"
          % (name, n, cpu, window, 100 * cpu / window, rows), flush=True)
print("limits on / off: %s" % ("%.2f" % (res[1] / res[0]) if res[0] else "n/a (0 CPU off)"))
for p in procs:
    p.kill()
subprocess.run(["/bin/sh", "-c", "kill $(cat /run/x2go/stored.pid)"])
'''


def main(argv):
    if os.geteuid() != 0:
        print("daemon_limits.py: run as root", file=sys.stderr)
        return 2
    n = argv[1] if len(argv) > 1 else "500"
    window = argv[2] if len(argv) > 2 else "60"
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                           NAMESPACE, "sh", sys.executable, "-c", INNER, n, window,
                           os.path.join(HERE, "standin.c")]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
