#!/usr/bin/python3
"""Shared folders, ours vs the reference (bench/refenv.sh), one run:

  * x2gomountdirs of one folder, from the call until it exits with its
    "mount ... ok" line;
  * x2goumount-session of a session with 10 mounted folders;
  * the floor: sshfs alone mounting the same folder, fusermount -u alone.

The "client" is a private sshd on 127.0.0.1 serving SFTP (what python-x2go's
client-side SFTP server does), logged in to with a key bundle in the client's
format. Run as root with our server installed: /usr/bin/python3 bench/bench_share.py [-n N]
Prints a Markdown table (medians, ratios). Nothing is asserted.
"""

import argparse
import os
import pwd
import shutil
import sqlite3
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REFENV = os.path.join(HERE, "refenv.sh")
USER = "x2gobench1"
WORK = "/var/tmp/x2go-bench-share"
PORT = 42522
OURS_DB = "/var/lib/x2go/x2go_sessions"
REF_DB = "/var/tmp/x2go-refenv/state/var-lib-x2go/x2go_sessions"
SID = "%s-8950-1700000000_stDXFCE_dp24" % USER


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def setup():
    if sh(["id", USER]).returncode:
        sh(["useradd", "-m", "-s", "/bin/sh", "-g", USER, USER]) if sh(["getent", "group", USER]).returncode == 0 else sh(["useradd", "-m", "-s", "/bin/sh", USER])
    # A locked account ('!') may not log in even with a key.
    sh(["usermod", "-p", "*", USER])
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK + "/share/folder0")
    for i in range(1, 11):
        os.makedirs(WORK + "/share/folder%d" % i)
    os.chmod(WORK, 0o755)
    sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", WORK + "/hostkey"])
    sh(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f", WORK + "/userkey"])
    shutil.copy(WORK + "/userkey.pub", WORK + "/authorized_keys")
    with open(WORK + "/sshd_config", "w") as f:
        f.write("ListenAddress 127.0.0.1\nPort %d\nHostKey %s/hostkey\nAuthorizedKeysFile %s/authorized_keys\n"
                "UsePAM no\nStrictModes no\nPidFile %s/sshd.pid\nSubsystem sftp internal-sftp\n"
                % (PORT, WORK, WORK, WORK))
    os.makedirs("/run/sshd", exist_ok=True)
    p = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", WORK + "/sshd_config"])
    time.sleep(0.5)
    return p


def bundle():
    with open(WORK + "/userkey") as f:
        key = f.read()
    with open(WORK + "/hostkey.pub") as f:
        host = " ".join(f.read().split()[:2])
    return key + "----BEGIN RSA IDENTITY----" + host


def fake_agent(pw):
    """A process of the user carrying the argv element X2GO-<sid>, so the
    clean-up daemons take the session for alive."""
    return subprocess.Popen(["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                             "--clear-groups", "/usr/bin/python3", "-c", "import time; time.sleep(3600)",
                             "X2GO-" + SID], stdin=subprocess.DEVNULL)


def session(db, pw, agent):
    con = sqlite3.connect(db)
    with con:
        con.execute("DELETE FROM mounts WHERE session_id=?", (SID,))
        con.execute("DELETE FROM sessions WHERE session_id=?", (SID,))
        con.execute("INSERT INTO sessions(session_id, display, uname, server, client, status, cookie,"
                    " agent_pid, gr_port, sound_port, fs_port) VALUES (?,8950,?,?,'127.0.0.1','R',"
                    "'0123456789abcdef0123456789abcdef',?,30100,30101,30102)",
                    (SID, USER, os.uname().nodename, agent.pid))
    con.close()
    top = "/tmp/.x2go-%s" % USER
    sdir = "%s/C-%s" % (top, SID)
    os.makedirs(sdir, exist_ok=True)
    for d in (top, sdir):
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o700)
    x2go = pw.pw_dir + "/.x2go"
    os.makedirs(x2go + "/ssh", exist_ok=True)
    for d in (x2go, x2go + "/ssh"):
        os.chown(d, pw.pw_uid, pw.pw_gid)
    link = "%s/C-%s" % (x2go, SID)
    if not os.path.islink(link):
        os.symlink(sdir, link)


def put_key(pw, n):
    path = "%s/.x2go/ssh/key.z%d" % (pw.pw_dir, n)
    with open(path, "w") as f:
        f.write(bundle())
    os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def as_user(side, argv):
    cmd = ["runuser", "-u", USER, "--", "env", "HOME=" + pwd.getpwnam(USER).pw_dir,
           "PATH=/usr/bin:/bin"] + argv
    return ([REFENV, "run"] + cmd) if side == "ref" else cmd


def timed(argv):
    t = time.monotonic()
    r = sh(argv)
    return time.monotonic() - t, r


def mount_once(side, pw, n, folders):
    key = put_key(pw, n)
    spec = ":".join(WORK + "/share/" + f for f in folders) + "__REVERSESSH_PORT__%d" % PORT
    dt, r = timed(as_user(side, ["x2gomountdirs", "dir", SID, USER, key, spec]))
    ok = r.stdout.decode().count(" ok\n") == len(folders)
    return dt, ok, r


def umount(side):
    return timed(as_user(side, ["x2goumount-session", SID]))


def floor_once(pw):
    mp = WORK + "/floor"
    os.makedirs(mp, exist_ok=True)
    os.chown(mp, pw.pw_uid, pw.pw_gid)
    key = WORK + "/floorkey"
    shutil.copy(WORK + "/userkey", key)
    os.chown(key, pw.pw_uid, pw.pw_gid)
    with open(WORK + "/floor_known", "w") as f:
        with open(WORK + "/hostkey.pub") as h:
            f.write("[127.0.0.1]:%d %s\n" % (PORT, " ".join(h.read().split()[:2])))
    t1, _ = timed(as_user("ours", ["sshfs", "-o", "IdentityFile=%s,UserKnownHostsFile=%s/floor_known"
                                   % (key, WORK), "%s@127.0.0.1:%s/share/folder0" % (USER, WORK), mp,
                                   "-p", str(PORT)]))
    t2, _ = timed(as_user("ours", ["fusermount3", "-u", mp]))
    return t1, t2


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    a = ap.parse_args()
    pw = pwd.getpwnam(USER) if sh(["id", USER]).returncode == 0 else None
    sshd = setup()
    pw = pwd.getpwnam(USER)
    res = {}
    agent = fake_agent(pw)
    try:
        for side, db in (("ours", OURS_DB), ("ref", REF_DB)):
            session(db, pw, agent)
            one, ten, fails = [], [], 0
            for i in range(a.n):
                dt, ok, r = mount_once(side, pw, i, ["folder0"])
                fails += not ok
                if ok:
                    one.append(dt)
                umount(side)
                dt, ok, r = mount_once(side, pw, 100 + i, ["folder%d" % k for k in range(1, 11)])
                fails += not ok
                dt2, r2 = umount(side)
                if ok:
                    ten.append(dt2)
            res[side] = (one, ten, fails, r)
        base = [timed([REFENV, "run", "/bin/true"])[0] for _ in range(a.n)]
        floor = [floor_once(pw) for _ in range(a.n)]
    finally:
        sshd.terminate()
        agent.kill()
    o, r = res["ours"], res["ref"]
    print("| what | reference | ours | ratio |")
    print("|---|---|---|---|")
    print("| x2gomountdirs, one folder, until `mount ... ok` | %.1f ms | %.1f ms | %.1f× |"
          % (med(r[0]) * 1e3, med(o[0]) * 1e3, med(r[0]) / med(o[0])))
    print("| x2goumount-session, 10 mounts | %.1f ms | %.1f ms | %.1f× |"
          % (med(r[1]) * 1e3, med(o[1]) * 1e3, med(r[1]) / med(o[1])))
    print()
    print("floor: sshfs alone %.1f ms, fusermount -u alone %.1f ms; entering the reference's"
          " namespace (refenv.sh run /bin/true) %.1f ms, included in its times."
          % (med([f[0] for f in floor]) * 1e3, med([f[1] for f in floor]) * 1e3, med(base) * 1e3))
    print("runs: %d each; failed mounts: ours %d, reference %d" % (a.n, o[2], r[2]))
    for name, side in (("ours", o), ("reference", r)):
        if side[2]:
            print("%s's last output: %r %r" % (name, side[3].stdout[-300:], side[3].stderr[-300:]))


if __name__ == "__main__":
    main()
