"""End-to-end scenarios for shared folders (x2gomountdirs and friends),
driven by pyhoca-cli's --share-local-folders over the private sshd.

The folder name has a space: python-x2go sends it unquoted, so it reaches
x2gomountdirs as two words that the server must join again.
"""

import os
import shlex
import signal
import sqlite3

from harness import T, TestFailure, check, tail, wait_for
from scenarios import APP, _assert_running, _terminate


def _fuse_usable():
    """Debian's fuse3 udev rule makes /dev/fuse 0666; containers without
    udev keep the kernel's 0600, and then no user can mount anything."""
    st = os.stat("/dev/fuse")
    if st.st_mode & 0o006 != 0o006:
        os.chmod("/dev/fuse", 0o666)


def _mangled(path):
    return path.replace("/", "_").replace(" ", "_")


def _mounted(env, path):
    """Is path a mount point on the server (kernel mount table)?"""
    with open("/proc/self/mountinfo") as fh:
        want = path.replace(" ", "\\040")
        return any(l.split()[4] == want for l in fh)


def _listmounts(env, user, sid):
    r = env.ssh(user, "x2golistmounts %s" % shlex.quote(sid), check_rc=True)
    return [l for l in r.stdout.splitlines() if l]


def _wait_share(env, user, sid, mp):
    try:
        wait_for(lambda: _mounted(env, mp), T(60), "%s to be mounted" % mp, interval=1)
    except TestFailure as e:
        log = env.ssh(user, "tail -5 ~/.x2go/C-%s/sshfs-mounts.log" % shlex.quote(sid)).stdout
        raise TestFailure("%s; sshfs said: %s" % (e, tail(log)))
    rows = _listmounts(env, user, sid)
    check(rows == ["127.0.0.1|%s" % mp], "x2golistmounts %s: %r" % (sid, rows))


def _db_rows(sid):
    con = sqlite3.connect("file:/var/lib/x2go/x2go_sessions?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM mounts WHERE session_id=?", (sid,)).fetchone()[0]
    finally:
        con.close()


def _share_dir(c):
    d = os.path.join(c.home, "share dir")
    os.makedirs(d, exist_ok=True)
    return d


def test_share_folder(env, t):
    """A client folder is mounted in the session both ways; suspend
    unmounts, resume mounts again, terminate unmounts and cleans up."""
    _fuse_usable()
    user = env.users[0]
    c = env.client(user, "share-new")
    local = _share_dir(c)
    with open(os.path.join(local, "from-client.txt"), "w") as fh:
        fh.write("client side\n")
    c.new(APP, ["--share-local-folders", local])
    sid = c.wait_ready()
    _assert_running(env, user, sid)
    top = "/tmp/.x2go-%s" % user
    mp = "%s/media/disk/%s" % (top, _mangled(local))
    _wait_share(env, user, sid, mp)
    c.wait_text(r"mount .* ok|successfully mounted|has been mounted", T(30), "the client to report the mount",
                dead_ok=True)

    with t.sub("share_folder_both_ways"):
        r = env.ssh(user, "cat %s" % shlex.quote(mp + "/from-client.txt"), check_rc=True)
        check(r.stdout == "client side\n", "session reads %r from the client's file" % r.stdout)
        env.ssh(user, "echo session side > %s" % shlex.quote(mp + "/from-session.txt"), check_rc=True)
        p = os.path.join(local, "from-session.txt")
        wait_for(lambda: os.path.exists(p), T(10), "the session's file in the client folder")
        with open(p) as fh:
            check(fh.read() == "session side\n", "client folder got a different file")
        keys = env.ssh(user, "ls -A ~/.x2go/ssh").stdout.split()
        check(keys == [], "key files left in ~/.x2go/ssh: %r" % keys)

    ctl = env.client(user, "share-ctl")
    with t.sub("share_suspend_unmounts"):
        out = ctl.call(["--suspend", sid], "suspend")
        check("has been suspended" in out, "suspend: %s" % tail(out))
        env.wait_status(user, sid, "S", timeout=T(30))
        wait_for(lambda: not _mounted(env, mp), T(20), "%s to be unmounted after suspend" % mp, interval=1)
        check(_listmounts(env, user, sid) == [], "mount rows after suspend: %r" % _listmounts(env, user, sid))
        c.wait_exit(T(30))

    with t.sub("share_resume_remounts"):
        c2 = env.client(user, "share-resume")
        c2.resume(sid, ["--share-local-folders", local])
        check(c2.wait_ready() == sid, "resume attached elsewhere")
        _wait_share(env, user, sid, mp)
        r = env.ssh(user, "cat %s" % shlex.quote(mp + "/from-client.txt"), check_rc=True)
        check(r.stdout == "client side\n", "after resume the session reads %r" % r.stdout)

    with t.sub("share_terminate_cleans_up"):
        _terminate(env, user, sid, ctl)
        env.wait_gone(user, sid, timeout=T(30))
        wait_for(lambda: not _mounted(env, mp), T(20), "%s to be unmounted after terminate" % mp, interval=1)
        for d in (mp, "%s/spool/C-%s" % (top, sid), "%s/mimebox/C-%s" % (top, sid)):
            wait_for(lambda: not env.path_exists(user, d), T(20), "%s to be removed" % d, interval=1)
        check(_db_rows(sid) == 0, "mount rows of %s after terminate: %d" % (sid, _db_rows(sid)))
        check(os.path.exists(os.path.join(local, "from-client.txt")), "the client's file is gone")
        c2.wait_exit(T(30))


def test_share_client_crash(env, t):
    """The client dies (SIGKILL): its sshfs connection goes with it; the
    session is suspended and its share unmounted, its row and its mount
    point dropped."""
    _fuse_usable()
    user = env.users[0]
    c = env.client(user, "share-crash")
    local = _share_dir(c)
    c.new(APP, ["--share-local-folders", local])
    sid = c.wait_ready()
    mp = "/tmp/.x2go-%s/media/disk/%s" % (user, _mangled(local))
    _wait_share(env, user, sid, mp)
    os.killpg(c.proc.pid, signal.SIGKILL)
    c.proc.wait()
    env.wait_status(user, sid, "S", timeout=T(60))
    wait_for(lambda: not _mounted(env, mp), T(60), "%s to be unmounted after the crash" % mp,
             interval=1)
    wait_for(lambda: _listmounts(env, user, sid) == [], T(30), "the rows to go after the crash",
             interval=1)
    # The dead share's mount point goes too (a client that reconnects
    # mounts it afresh).
    wait_for(lambda: not os.path.lexists(mp), T(30), "%s to be removed after the crash" % mp,
             interval=1)
    _terminate(env, user, sid)
    env.wait_gone(user, sid, timeout=T(30))


def _profile(c, name, **opts):
    """A session profile: pyhoca-cli's own --printing is overwritten by the
    library's default, and the MIME box has no flag at all."""
    d = os.path.join(c.home, ".x2goclient")
    os.makedirs(d, exist_ok=True)
    lines = ["[%s]" % name, "name=%s" % name, "autologin=true", "sound=false", "rootless=true"]
    lines += ["%s=%s" % kv for kv in sorted(opts.items())]
    with open(os.path.join(d, "sessions"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def test_mimebox_and_spool(env, t):
    """With the MIME box and printing on, both client dirs are mounted; a
    file written into the session's MIME box reaches the client, and a
    job placed in the spool is picked up by the client."""
    _fuse_usable()
    user = env.users[0]
    c = env.client(user, "mimebox")
    _profile(c, "mbprofile", host="127.0.0.1", sshport=env.port, user=user, usemimebox="true",
             mimeboxaction="SAVEAS", print="true")
    c.new(APP, ["-P", "mbprofile"])
    sid = c.wait_ready()
    _assert_running(env, user, sid)
    top = "/tmp/.x2go-%s" % user
    for kind in ("mimebox", "spool"):
        wait_for(lambda: _mounted(env, "%s/%s/C-%s" % (top, kind, sid)), T(60),
                 "the client's %s to be mounted" % kind, interval=1)
    with t.sub("mimebox_file_reaches_client"):
        # Written where the session's own programs are told to: the
        # X2GO_MIMEBOX of a process of this session.
        r = env.ssh(user, "for p in /proc/[0-9]*; do tr '\\0' '\\n' <$p/environ 2>/dev/null |"
                    " grep -qx 'X2GO_SESSION=%s' && tr '\\0' '\\n' <$p/environ |"
                    " sed -n 's/^X2GO_MIMEBOX=//p' && break; done" % sid, check_rc=True)
        box = r.stdout.strip()
        check(box == "%s/.x2go/C-%s/mimebox" % (env.homes[user], sid),
              "X2GO_MIMEBOX in the session: %r" % box)
        env.ssh(user, "echo mime-%s > %s/hello.txt" % (sid, box), check_rc=True)
        c.wait_text(r"processing incoming X2Go MIME box job: hello\.txt", T(30),
                    "the client to pick up the MIME box file")
        local = os.path.join(c.home, ".x2go", "S-%s" % sid, "mimebox", "hello.txt")
        with open(local) as fh:
            got = fh.read()
        check(got == "mime-%s\n" % sid, "the file in the client's MIME box: %r" % got)
    with t.sub("spool_job_reaches_client"):
        env.ssh(user, "cd ~/.x2go/C-%s/spool && printf '%%%%PDF-1.4\\n%%%%%%%%EOF\\n' > job1.pdf"
                " && printf 'job1.pdf\\ntitle' > job1.pdf.ready" % sid, check_rc=True)
        c.wait_text(r"processing incoming X2Go print job: job1\.pdf", T(30),
                    "the client to pick up the print job")
    _terminate(env, user, sid)
    env.wait_gone(user, sid, timeout=T(30))
    for kind in ("mimebox", "spool"):
        wait_for(lambda: not _mounted(env, "%s/%s/C-%s" % (top, kind, sid)), T(20),
                 "%s to be unmounted after terminate" % kind, interval=1)
    c.wait_exit(T(30))


TESTS = [
    ("share_folder", test_share_folder),
    ("mimebox_and_spool", test_mimebox_and_spool),
    ("share_client_crash", test_share_client_crash),
]
SUBTESTS = {
    "mimebox_and_spool": ["mimebox_file_reaches_client", "spool_job_reaches_client"],
    "share_folder": ["share_folder_both_ways", "share_suspend_unmounts", "share_resume_remounts",
                     "share_terminate_cleans_up"],
}
