"""End-to-end harness: real pyhoca-cli against the installed X2Go server.

Everything here is stdlib only and is meant to be run by /usr/bin/python3 as
root (see tests/e2e/README.md).  The harness owns:

* two test users (created if missing, kept between runs), one ssh key pair
  per user generated per run;
* a private sshd on 127.0.0.1 (fixed host keys under tests/e2e/.work/hostkeys)
  with an optional ForceCommand wrapper that logs every remote command;
* an Xvfb display for the client side (nxproxy draws there);
* optionally the clean-up daemon (x2gocleansessions --debug) as root;
* every pyhoca-cli process it starts.

All of it is stopped by Env.teardown(), which also terminates the test users'
sessions and kills any process still owned by a test user.

Environment knobs (all optional):

  X2GO_E2E_SSHD_WRAP     command prefix for server-side root processes (sshd,
                         the daemon, root-only queries), e.g.
                         "bench/refenv.sh run" to target the reference server
                         in its mount namespace.  Relative first word is taken
                         relative to the repository root.  Default: none (host).
  X2GO_E2E_PORT          sshd port (default: first free from 2222)
  X2GO_E2E_DISPLAY       client Xvfb display number (default: first free from 99)
  X2GO_E2E_USERS         two comma-separated user names (default x2goe2ea,x2goe2eb)
  X2GO_E2E_RESULTS       results dir (default tests/e2e/results)
  X2GO_E2E_TIMEOUT_SCALE multiply every timeout (e.g. 2 for ASan builds)
  X2GO_E2E_DAEMON        auto (default: start x2gocleansessions --debug unless
                         one is already running), start, none
  X2GO_E2E_FORCECOMMAND  1 (default) log every ssh command via ForceCommand; 0 off
  X2GO_E2E_LIBDEBUG      1: run pyhoca-cli with --libdebug (very verbose)
"""

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PYHOCA = "/usr/bin/pyhoca-cli"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"
READY_RE = re.compile(r"Press CTRL\+C to (suspend|terminate) the running session")
SID_RE = re.compile(r"Using session (\S+) as master session")
NOT_INSTALLED = "the remote server does not have the X2Go Server software installed"
SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# The ForceCommand wrapper: log the requested command (and, unless
# X2GO_E2E_STDERR=0, each line the command writes to stderr, tagged ERR with
# the same pid), then run it as sshd would have.  stderr still reaches the
# client unchanged except that a last line without newline gets one.
FORCECOMMAND = r"""#!/bin/bash
log=@LOG@
printf '%s %s[%s] %s\n' "$(date +%H:%M:%S.%N)" "$(id -un)" "$$" "$SSH_ORIGINAL_COMMAND" >>"$log" 2>/dev/null
case "$SSH_ORIGINAL_COMMAND" in
  "") exec "$SHELL" -l ;;
  @SFTP@|internal-sftp|sftp-server) exec @SFTP@ ;;
esac
if [ @STDERR@ = 1 ]; then
  tag="$(id -un)[$$] ERR"
  exec 2> >(exec awk -v tag="$tag" -v lf="$log" \
      '{ print > "/dev/stderr"; fflush("/dev/stderr"); print tag, $0 >> lf; fflush(lf) }')
  # bash keeps the pipe on an extra fd too: the command (and whatever it
  # leaves running) must see only 0, 1, 2, as under a plain sshd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ] && [ -e "/proc/$$/fd/$fd" ]; then eval "exec $fd>&-"; fi
  done
fi
exec "$SHELL" -c "$SSH_ORIGINAL_COMMAND"
"""


class TestFailure(Exception):
    """An assertion about the system under test did not hold."""


class Aborted(BaseException):
    """The run was interrupted (signal or global time limit)."""


def log(msg):
    sys.stderr.write("[e2e %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def scale():
    try:
        return max(0.1, float(os.environ.get("X2GO_E2E_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


def T(seconds):
    """A timeout, scaled by X2GO_E2E_TIMEOUT_SCALE."""
    return seconds * scale()


def wait_for(pred, timeout, what, interval=0.5):
    """Poll pred() until it returns something truthy; bounded by timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            val = pred()
            if val:
                return val
        except TestFailure as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = (" (last error: %s)" % last_exc) if last_exc else ""
            raise TestFailure("timed out after %.0fs waiting for %s%s" % (timeout, what, extra))
        time.sleep(interval)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def tail(text, n=6):
    lines = [l for l in text.splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def run(argv, timeout, **kw):
    """subprocess.run with a bound; never raises on non-zero exit."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    try:
        return subprocess.run(argv, timeout=timeout, text=True, errors="replace", **kw)
    except subprocess.TimeoutExpired as e:
        raise TestFailure("command timed out after %.0fs: %s" % (timeout, " ".join(map(str, argv))))


# --------------------------------------------------------------------------
# x2golistsessions lines (spec §2.1.6)

LIST_FIELDS = ("pid", "sid", "display", "host", "status", "created", "cookie",
               "client", "gr_port", "snd_port", "last", "user", "age", "fs_port",
               "tekictrl_port", "tekidata_port")


def parse_list(text, strict_fields=16):
    """Parse x2golistsessions output.  Raises TestFailure on a line that
    python-x2go would choke on (fewer than 14 fields, non-int in 0,2,8,9,13)
    or that has a field count other than strict_fields (if given)."""
    rows = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        f = line.split("|")
        if len(f) < 14:
            raise TestFailure("list line has %d fields (<14): %r" % (len(f), line))
        if strict_fields and len(f) != strict_fields:
            raise TestFailure("list line has %d fields, expected %d: %r" % (len(f), strict_fields, line))
        for i in (0, 2, 8, 9, 13):
            try:
                int(f[i])
            except ValueError:
                raise TestFailure("list line field %d (%s) not an int: %r" % (i + 1, LIST_FIELDS[i], line))
        row = dict(zip(LIST_FIELDS, f))
        for k in ("pid", "display", "gr_port", "snd_port", "fs_port"):
            row[k] = int(row[k])
        row["line"] = line
        rows.append(row)
    return rows


# --------------------------------------------------------------------------
# processes

def pids_of_uid(uid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/status" % d) as fh:
                for l in fh:
                    if l.startswith("State:") and l.split()[1] in ("Z", "X"):
                        break  # zombies: nothing to kill (pid 1 here reaps slowly)
                    if l.startswith("Uid:"):
                        if int(l.split()[1]) == uid:
                            out.append(int(d))
                        break
        except (OSError, ValueError):
            pass
    return [p for p in out if p != os.getpid()]


def kill_uid_processes(uid, grace=5.0):
    """SIGTERM then SIGKILL every process of a (test) user, by pid."""
    pids = pids_of_uid(uid)
    if not pids:
        return 0
    names = []
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as fh:
                st = fh.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            state, ppid = st[st.rindex(")") + 2:].split()[:2]
            names.append("%d:%s:%s:ppid=%s" % (p, comm, state, ppid))
        except (OSError, ValueError):
            pass
    log("killing processes of uid %d: %s" % (uid, names))
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pids_of_uid(uid):
        time.sleep(0.2)
    for p in pids_of_uid(uid):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and pids_of_uid(uid):
        time.sleep(0.2)
    return len(pids)


def stop_group(proc, grace=5.0):
    """Stop a Popen started with start_new_session=True (its whole group)."""
    if proc is None:
        return
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 3.0)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    # the leader may be gone while group members live on (e.g. nxproxy)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def display_free(n):
    """No X server holds display n. The lock and socket of a server that
    died without removing them (killed, or another run's) do not count:
    they are removed, as an X server starting there would do."""
    lock, sock = "/tmp/.X%d-lock" % n, "/tmp/.X11-unix/X%d" % n
    try:
        with open("/proc/net/unix") as fh:
            listening = fh.read()
        if ("@%s\n" % sock) in listening or (" %s\n" % sock) in listening:
            return False
    except OSError:
        pass
    try:
        with open(lock) as fh:
            pid = int(fh.read().strip())
    except FileNotFoundError:
        return not os.path.exists(sock)
    except (OSError, ValueError):
        return False
    try:
        os.kill(pid, 0)
        return False
    except ProcessLookupError:
        pass
    except OSError:
        return False
    for stale in (sock, lock):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass
    return True


# --------------------------------------------------------------------------
# pyhoca-cli

class Client:
    """One pyhoca-cli identity: a scratch HOME with the user's key at
    ~/.ssh/id_rsa (pyhoca ignores -i), used for any number of invocations."""

    def __init__(self, env, user, name):
        self.env = env
        self.user = user
        self.name = name
        self.home = os.path.join(env.scratch, "clients", name)
        os.makedirs(os.path.join(self.home, ".ssh"), exist_ok=True)
        os.chmod(os.path.join(self.home, ".ssh"), 0o700)
        shutil.copy(env.keys[user], os.path.join(self.home, ".ssh", "id_rsa"))
        os.chmod(os.path.join(self.home, ".ssh", "id_rsa"), 0o600)
        self.proc = None
        self.outfile = None
        self.count = 0
        self.log_offset = 0
        self.display = None  # the client's X display; None: the suite's Xvfb

    def _env(self):
        e = {
            "HOME": self.home,
            "USER": "root",
            "LOGNAME": "root",
            "DISPLAY": ":%d" % (self.display or self.env.display),
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
        }
        return e

    def _argv(self, args):
        argv = [PYHOCA, "--server", "127.0.0.1", "-p", str(self.env.port),
                "-u", self.user, "--add-to-known-hosts"]
        if os.environ.get("X2GO_E2E_LIBDEBUG") == "1":
            argv.append("--libdebug")
        return argv + list(args)

    def _newlog(self, tag):
        self.count += 1
        path = os.path.join(self.env.results, "client-%s-%02d-%s.log" % (self.name, self.count, tag))
        return path

    # -- blocking invocations (--new, --resume) --------------------------
    def start(self, args, tag):
        check(self.proc is None or self.proc.poll() is not None, "client %s already running" % self.name)
        self.outfile = self._newlog(tag)
        self.log_offset = self.env.cmdlog_offset()
        fh = open(self.outfile, "w")
        argv = self._argv(args)
        fh.write("# %s\n" % " ".join(shlex.quote(a) for a in argv))
        fh.flush()

        def pre():
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                     env=self._env(), cwd=self.home, start_new_session=True,
                                     preexec_fn=pre)
        fh.close()
        self.env.procs.append(self.proc)
        return self.proc

    def new(self, command, extra=()):
        return self.start(["--new", "-c", command, "--sound", "none", "-g", "800x600"] + list(extra), "new")

    def resume(self, sid, extra=()):
        return self.start(["--resume", sid, "--sound", "none", "-g", "800x600"] + list(extra), "resume")

    def output(self):
        if not self.outfile:
            return ""
        try:
            with open(self.outfile, errors="replace") as fh:
                return fh.read()
        except OSError:
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_text(self, regex, timeout, what=None, dead_ok=False):
        rx = re.compile(regex)

        def pred():
            out = self.output()
            m = rx.search(out)
            if m:
                return m
            if not dead_ok and not self.running():
                # one last read: output may have landed just before exit
                m = rx.search(self.output())
                if m:
                    return m
                raise Aborted_client(self, what or regex)
            return None
        try:
            return wait_for(pred, timeout, what or ("client output /%s/" % regex))
        except Aborted_client as e:
            raise TestFailure("pyhoca-cli (%s) exited before %s; output: %s%s"
                              % (self.name, e.what, tail(self.output(), 2), self.server_errors()))
        except TestFailure as e:
            raise TestFailure("%s; pyhoca-cli (%s) output: %s%s"
                              % (e, self.name, tail(self.output(), 2), self.server_errors()))

    def server_errors(self):
        errs = self.env.server_errors(self.user, self.log_offset)
        return ("; server stderr: %s" % " | ".join(errs[-4:])) if errs else ""

    def wait_ready(self, timeout=None):
        """Wait for the readiness line; return the session id."""
        timeout = timeout or T(120)
        out_chk = self.output
        self.wait_text(READY_RE.pattern, timeout, "'Press CTRL+C ...' readiness line")
        m = SID_RE.search(out_chk())
        check(m, "no 'Using session <sid> as master session' line; output: %s" % tail(out_chk()))
        return m.group(1)

    def wait_exit(self, timeout):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("pyhoca-cli (%s) did not exit within %.0fs; output: %s"
                              % (self.name, timeout, tail(self.output())))
        pyhoca_ok(rc, self.output(), self.name)

    def interrupt(self):
        if self.running():
            os.kill(self.proc.pid, signal.SIGINT)

    def stop(self):
        stop_group(self.proc)

    # -- one-shot invocations (-L, --suspend, --terminate) ---------------
    def call(self, args, tag, timeout=None):
        timeout = timeout or T(90)
        path = self._newlog(tag)
        argv = self._argv(args)
        with open(path, "w") as fh:
            fh.write("# %s\n" % " ".join(shlex.quote(a) for a in argv))
            fh.flush()
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                 env=self._env(), cwd=self.home, start_new_session=True)
            self.env.procs.append(p)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop_group(p)
                with open(path, errors="replace") as rh:
                    out = rh.read()
                raise TestFailure("pyhoca-cli %s timed out after %.0fs; output: %s" % (tag, timeout, tail(out)))
            stop_group(p, grace=1)
        with open(path, errors="replace") as rh:
            out = rh.read()
        pyhoca_ok(p.returncode, out, tag)
        return out


CHAINED = ("During handling of the above exception, another exception occurred:",
           "The above exception was the direct cause of the following exception:")


def tracebacks(out):
    """Each Python traceback in out, from its header to its exception line;
    a chained one ("During handling of the above exception...") stays one
    block with what it chains to."""
    blocks, cur, chained = [], None, False
    for line in out.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            if chained and blocks:
                cur = blocks[-1]
                cur.append(line)
            else:
                cur = [line]
                blocks.append(cur)
            chained = False
        elif cur is not None:
            cur.append(line)
            if line and not line[0].isspace():
                cur = None
        elif line.strip():
            chained = line.strip() in CHAINED
    return ["\n".join(b) for b in blocks]


def known_client_bug(block):
    """Faults of the client itself, which the server cannot cause or avoid:
    - python-x2go 0.6.1.3 saving a print job as PDF passes a bytes title to
      utils.slugify on Python 3 (the client has already taken the job from
      the spool when it fails);
    - pyhoca-cli under gevent: a Ctrl+C (the tests' SIGINT) can be raised
      in paramiko's reader thread instead of the main loop; the client's
      SSH connection ends and its session with it, as Ctrl+C would have
      ended a shared desktop (seen once in the ASan pass)."""
    last = block.rstrip().rsplit("\n", 1)[-1]
    return ("printactions.py" in block and "in slugify" in block and
            last == "TypeError: cannot use a string pattern on a bytes-like object") or \
        ("paramiko/transport.py" in block and last == "KeyboardInterrupt")


def pyhoca_ok(rc, out, what):
    """pyhoca-cli exits 0 whatever happened (client contract 2.16): any
    other status, or a Python traceback, is a crash of the client (except
    the one client bug above, which the server cannot cause or avoid)."""
    if rc != 0:
        raise TestFailure("pyhoca-cli (%s) exited with status %d; output: %s" % (what, rc, tail(out)))
    crashes = [b for b in tracebacks(out) if not known_client_bug(b)]
    if crashes:
        raise TestFailure("pyhoca-cli (%s) printed a traceback: %s" % (what, tail(crashes[0], 4)))


class Aborted_client(Exception):
    def __init__(self, client, what):
        Exception.__init__(self, what)
        self.client = client
        self.what = what


# --------------------------------------------------------------------------
# the environment

class Env:
    def __init__(self):
        users = os.environ.get("X2GO_E2E_USERS", "x2goe2ea,x2goe2eb").split(",")
        if len(users) != 2 or not all(re.match(r"^[a-z][a-z0-9]{1,30}$", u) for u in users):
            raise SystemExit("X2GO_E2E_USERS must be two plain user names")
        self.users = users
        wrap = os.environ.get("X2GO_E2E_SSHD_WRAP", "").strip()
        self.wrap = shlex.split(wrap) if wrap else []
        if self.wrap and not os.path.isabs(self.wrap[0]) and os.path.exists(os.path.join(REPO, self.wrap[0])):
            self.wrap[0] = os.path.join(REPO, self.wrap[0])
        self.results = os.path.abspath(os.environ.get("X2GO_E2E_RESULTS", os.path.join(HERE, "results")))
        self.work = os.path.join(HERE, ".work")
        self.scratch = None
        self.keys = {}
        self.uids = {}
        self.homes = {}
        self.port = None
        self.display = None
        self.sshd = None
        self.xvfb = None
        self.daemon = None
        self.procs = []
        self.cmdlog = None
        self.clients = []
        self.setup_done = False

    # -- helpers -----------------------------------------------------------
    def wrapped(self, argv):
        return self.wrap + list(argv)

    def client(self, user, name):
        c = Client(self, user, name)
        self.clients.append(c)
        return c

    def ssh(self, user, cmd, timeout=None, check_rc=False):
        """Run a shell command as a test user through the private sshd.
        An ssh failure (exit 255: no connection, no login) is always a
        TestFailure, never an answer."""
        timeout = timeout or T(60)
        argv = ["ssh", "-i", self.keys[user], "-p", str(self.port),
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=%d" % int(T(20)), "-o", "IdentitiesOnly=yes",
                "%s@127.0.0.1" % user, cmd]
        r = run(argv, timeout, env={"PATH": SYS_PATH, "HOME": self.scratch, "LANG": "C.UTF-8"})
        if r.returncode == 255:
            raise TestFailure("ssh %s %r failed (rc=255): %s" % (user, cmd, tail(r.stderr)))
        if check_rc and r.returncode != 0:
            raise TestFailure("ssh %s %r failed (rc=%d): %s" % (user, cmd, r.returncode, tail(r.stderr + r.stdout)))
        return r

    def cmdlog_offset(self):
        try:
            return os.path.getsize(self.cmdlog)
        except (OSError, AttributeError, TypeError):
            return 0

    def server_errors(self, user, offset=0):
        """stderr lines of the user's remote commands logged since offset."""
        try:
            with open(self.cmdlog, errors="replace") as fh:
                fh.seek(offset)
                data = fh.read()
        except (OSError, AttributeError, TypeError):
            return []
        pre = "%s[" % user
        return [l.split(" ERR ", 1)[1] for l in data.splitlines()
                if l.startswith(pre) and " ERR " in l and l.split(" ERR ", 1)[1].strip()]

    def root(self, cmd, timeout=None):
        """Run a shell command as root on the server side (inside the wrap)."""
        timeout = timeout or T(60)
        return run(self.wrapped(["/bin/sh", "-c", "PATH=%s; export PATH; %s" % (SYS_PATH, cmd)]), timeout)

    def quiet(self, user, cmd, timeout=None):
        """A command that must succeed silently on stderr: exit 0 and no
        stderr, else TestFailure (an error is never read as an answer)."""
        r = self.ssh(user, cmd, timeout=timeout)
        if r.returncode != 0 or r.stderr.strip():
            raise TestFailure("%r as %s: exit %d, stderr: %s" % (cmd, user, r.returncode, tail(r.stderr)))
        return r

    def list_sessions(self, user, strict_fields=16, args=""):
        r = self.quiet(user, ("x2golistsessions " + args).strip())
        return parse_list(r.stdout, strict_fields)

    def session_row(self, user, sid):
        for row in self.list_sessions(user):
            if row["sid"] == sid:
                return row
        return None

    def wait_status(self, user, sid, status, timeout=None):
        timeout = timeout or T(30)
        seen = []

        def pred():
            row = self.session_row(user, sid)
            seen[:] = [row["status"] if row else "<absent>"]
            return row if row and row["status"] == status else None
        try:
            return wait_for(pred, timeout, "session %s to be listed with status %s" % (sid, status), interval=1)
        except TestFailure as e:
            raise TestFailure("%s (last seen: %s)" % (e, seen[0] if seen else "?"))

    def wait_gone(self, user, sid, timeout=None):
        timeout = timeout or T(30)
        wait_for(lambda: self.session_row(user, sid) is None, timeout,
                 "session %s to leave %s's x2golistsessions" % (sid, user), interval=1)

    def _probe(self, user, cmd, yes, no):
        """A shell test that answers exactly `yes` or `no` on stdout; any
        other outcome (ssh failure, error, noise) is a TestFailure."""
        r = self.quiet(user, cmd)
        out = r.stdout.strip()
        if out not in (yes, no):
            raise TestFailure("%r as %s answered %r, not %s or %s" % (cmd, user, out, yes, no))
        return out == yes

    def pid_alive(self, user, pid):
        """Is the agent pid alive (as seen on the server side, as the user)?"""
        return self._probe(user, "if kill -0 %d 2>/dev/null; then echo ALIVE; "
                           "elif [ -e /proc/%d ]; then echo NOT-MINE; else echo DEAD; fi"
                           % (int(pid), int(pid)), "ALIVE", "DEAD")

    def path_exists(self, user, path):
        q = shlex.quote(path)
        return self._probe(user, "if [ -e %s ] || [ -L %s ]; then echo EXISTS; else echo ABSENT; fi"
                           % (q, q), "EXISTS", "ABSENT")

    def terminate_all(self, user):
        """Best effort: terminate every listed session of a test user."""
        try:
            r = self.quiet(user, "x2golistsessions", timeout=T(30))
        except TestFailure as e:
            log("clean-up: cannot list %s's sessions: %s" % (user, e))
            return
        for line in r.stdout.splitlines():
            f = line.split("|")
            if len(f) > 2 and f[1]:
                try:
                    self.quiet(user, "x2goterminate-session %s" % shlex.quote(f[1]), timeout=T(30))
                except TestFailure as e:
                    log("clean-up: %s" % e)

    # -- setup -------------------------------------------------------------
    def setup(self):
        if os.geteuid() != 0:
            raise SystemExit("the e2e suite must run as root")
        for tool in (PYHOCA, "/usr/sbin/sshd", "/usr/bin/Xvfb", "/usr/bin/nxproxy", "/usr/bin/xdpyinfo",
                     "/usr/bin/ssh-keygen", SFTP_SERVER):
            if not os.path.exists(tool):
                raise SystemExit("missing %s (see tests/e2e/README.md)" % tool)
        if os.path.isdir(self.results):
            for n in os.listdir(self.results):
                p = os.path.join(self.results, n)
                if os.path.isfile(p):
                    os.unlink(p)
        os.makedirs(self.results, exist_ok=True)
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        self.scratch = os.path.join(self.work, "run-%d" % os.getpid())
        shutil.rmtree(self.scratch, ignore_errors=True)
        os.makedirs(self.scratch)
        os.chmod(self.scratch, 0o755)
        log("scratch %s, results %s, wrap %r" % (self.scratch, self.results, self.wrap))
        self._users()
        self._keys()
        self._sshd()
        self._xvfb()
        self._purge()
        self._daemon()
        self.setup_done = True

    def _users(self):
        for u in self.users:
            try:
                pw = pwd.getpwnam(u)
            except KeyError:
                log("creating user %s" % u)
                r = run(["useradd", "-m", "-U", "-s", "/bin/bash", u], 30)
                if r.returncode != 0 and "group" in r.stderr:  # a group of that name is left over
                    r = run(["useradd", "-m", "-g", u, "-s", "/bin/bash", u], 30)
                if r.returncode != 0:
                    raise SystemExit("useradd %s failed: %s" % (u, r.stderr))
                pw = pwd.getpwnam(u)
            if pw.pw_uid < 1000:
                raise SystemExit("test user %s has uid %d < 1000" % (u, pw.pw_uid))
            if pw.pw_shell != "/bin/bash":
                run(["usermod", "-s", "/bin/bash", u], 30)
            # a '!' (locked) password makes sshd refuse publickey with UsePAM no
            run(["usermod", "-p", "*", u], 30)
            os.makedirs(pw.pw_dir, exist_ok=True)
            os.chown(pw.pw_dir, pw.pw_uid, pw.pw_gid)
            self.uids[u] = pw.pw_uid
            self.homes[u] = pw.pw_dir
            # a test user re-created with another uid: its old session tmp
            # dir would be (rightly) refused by the server
            tdir = "/tmp/.x2go-%s" % u
            try:
                if os.lstat(tdir).st_uid != pw.pw_uid:
                    log("removing %s left by an earlier %s with another uid" % (tdir, u))
                    if os.path.islink(tdir):
                        os.unlink(tdir)
                    else:
                        shutil.rmtree(tdir, ignore_errors=True)
            except OSError:
                pass

    def _keys(self):
        hk = os.path.join(self.work, "hostkeys")
        os.makedirs(hk, exist_ok=True)
        os.chmod(hk, 0o700)
        for t in ("rsa", "ed25519"):
            f = os.path.join(hk, "ssh_host_%s_key" % t)
            if not os.path.exists(f):
                run(["ssh-keygen", "-q", "-t", t, "-N", "", "-f", f], 60)
        self.hostkeys = [os.path.join(hk, "ssh_host_%s_key" % t) for t in ("rsa", "ed25519")]
        kd = os.path.join(self.scratch, "keys")
        ak = os.path.join(self.scratch, "authorized_keys")
        os.makedirs(kd, mode=0o700)
        os.makedirs(ak)
        os.chmod(ak, 0o755)
        for u in self.users:
            f = os.path.join(kd, u)
            r = run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C",
                     "x2go-e2e-%s" % u, "-f", f], 60)
            if r.returncode != 0:
                raise SystemExit("ssh-keygen failed: %s" % r.stderr)
            shutil.copy(f + ".pub", os.path.join(ak, u))
            os.chmod(os.path.join(ak, u), 0o644)
            self.keys[u] = f

    def _sshd(self):
        if os.environ.get("X2GO_E2E_PORT"):
            self.port = int(os.environ["X2GO_E2E_PORT"])
        else:
            self.port = next(p for p in range(2222, 2300) if port_free(p))
        os.makedirs("/run/sshd", exist_ok=True)
        os.chmod("/run/sshd", 0o755)
        conf = os.path.join(self.scratch, "sshd_config")
        lines = [
            "Port %d" % self.port,
            "ListenAddress 127.0.0.1",
        ] + ["HostKey %s" % k for k in self.hostkeys] + [
            "PidFile %s" % os.path.join(self.scratch, "sshd.pid"),
            "AuthorizedKeysFile %s/authorized_keys/%%u" % self.scratch,
            "UsePAM no",
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            "AllowUsers %s" % " ".join(self.users),
            "AllowTcpForwarding yes",
            "X11Forwarding no",
            "PrintMotd no",
            "PrintLastLog no",
            "UseDNS no",
            "MaxStartups 100:30:200",
            "MaxSessions 100",
            "LogLevel VERBOSE",
            "Subsystem sftp %s" % SFTP_SERVER,
        ]
        # the sanitizer options of the run (tests/run.sh) reach every command
        # of the test users, so an ASan+UBSan build reports where the run looks
        san = ["%s=%s" % (k, os.environ[k]) for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")
               if os.environ.get(k)]
        if san:
            lines.append("SetEnv " + " ".join(san))
        if os.environ.get("X2GO_E2E_FORCECOMMAND", "1") == "1":
            self.cmdlog = os.path.join(self.results, "ssh-commands.log")
            with open(self.cmdlog, "w"):
                pass
            os.chmod(self.cmdlog, 0o666)
            wrapper = os.path.join(self.scratch, "forcecommand.sh")
            with open(wrapper, "w") as fh:
                fh.write(FORCECOMMAND.replace("@LOG@", shlex.quote(self.cmdlog))
                         .replace("@SFTP@", SFTP_SERVER)
                         .replace("@STDERR@", "1" if os.environ.get("X2GO_E2E_STDERR", "1") == "1" else "0"))
            os.chmod(wrapper, 0o755)
            lines.append("ForceCommand %s" % wrapper)
        with open(conf, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        r = run(["/usr/sbin/sshd", "-t", "-f", conf], 30)
        if r.returncode != 0:
            raise SystemExit("sshd -t failed: %s" % r.stderr)
        self.sshd_log = os.path.join(self.results, "sshd.log")
        fh = open(self.sshd_log, "w")
        self.sshd = subprocess.Popen(self.wrapped(["/usr/sbin/sshd", "-D", "-e", "-f", conf]),
                                     stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        fh.close()
        self.procs.append(self.sshd)
        try:
            wait_for(lambda: port_open(self.port) or (self.sshd.poll() is not None and "dead"),
                     T(20), "sshd to listen on port %d" % self.port, interval=0.2)
        except TestFailure:
            raise SystemExit("sshd did not start: %s" % tail(open(self.sshd_log).read()))
        if self.sshd.poll() is not None:
            raise SystemExit("sshd exited: %s" % tail(open(self.sshd_log).read()))
        # prove key login works for both users before anything else
        for u in self.users:
            r = self.ssh(u, "echo LOGIN-OK $HOME", timeout=T(30))
            if "LOGIN-OK" not in r.stdout:
                raise SystemExit("ssh login as %s failed: %s | sshd: %s"
                                 % (u, tail(r.stderr), tail(open(self.sshd_log).read())))
        log("sshd on 127.0.0.1:%d" % self.port)

    def _xvfb(self):
        if os.environ.get("X2GO_E2E_DISPLAY"):
            self.display = int(os.environ["X2GO_E2E_DISPLAY"].lstrip(":"))
        else:
            self.display = next(d for d in range(99, 200) if display_free(d))
        self.xvfb_log = os.path.join(self.results, "xvfb.log")
        fh = open(self.xvfb_log, "w")
        self.xvfb = subprocess.Popen(["/usr/bin/Xvfb", ":%d" % self.display, "-screen", "0", "1280x1024x24",
                                      "-nolisten", "tcp"], stdin=subprocess.DEVNULL, stdout=fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        fh.close()
        self.procs.append(self.xvfb)

        def up():
            if self.xvfb.poll() is not None:
                raise SystemExit("Xvfb :%d exited: %s" % (self.display, tail(open(self.xvfb_log).read())))
            r = run(["/usr/bin/xdpyinfo", "-display", ":%d" % self.display], 10)
            return r.returncode == 0
        wait_for(up, T(20), "Xvfb :%d" % self.display, interval=0.3)
        log("Xvfb on :%d" % self.display)

    def _purge(self):
        """Leftovers of earlier runs: terminate listed sessions, kill processes."""
        for u in self.users:
            self.terminate_all(u)
            n = kill_uid_processes(self.uids[u])
            if n:
                log("killed %d leftover processes of %s" % (n, u))
        self.remove_stale_x_files()

    def between_tests(self):
        """Isolate tests: no client, no session, no stale X lock of a test user."""
        for c in self.clients:
            c.stop()
        for u in self.users:
            self.terminate_all(u)
        self.remove_stale_x_files()

    def remove_stale_x_files(self):
        """Remove /tmp/.X<n>-lock (and the socket) owned by a test user whose
        pid is dead: a SIGKILLed agent leaves them and the next agent on that
        display then cannot start.  Returns the displays cleaned."""
        cleaned = []
        uids = set(self.uids.values())
        for name in os.listdir("/tmp"):
            m = re.match(r"^\.X(\d+)-lock$", name)
            if not m:
                continue
            path = os.path.join("/tmp", name)
            try:
                st = os.lstat(path)
                if st.st_uid not in uids:
                    continue
                with open(path) as fh:
                    pid = int(fh.read().strip() or "0")
            except (OSError, ValueError):
                continue
            if pid > 0 and os.path.exists("/proc/%d" % pid):
                continue
            for p in (path, "/tmp/.X11-unix/X%s" % m.group(1)):
                try:
                    if os.lstat(p).st_uid in uids:
                        os.unlink(p)
                except OSError:
                    pass
            cleaned.append(int(m.group(1)))
        if cleaned:
            log("removed stale X lock/socket of test users for displays %s" % cleaned)
        return cleaned

    def session_pids(self, user, sid):
        """Host pids of a test user's processes that belong to session sid
        (sid in the command line, or X2GO_SESSION=sid in the environment)."""
        out = []
        for p in pids_of_uid(self.uids[user]):
            try:
                with open("/proc/%d/cmdline" % p, "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            env = b""
            try:
                with open("/proc/%d/environ" % p, "rb") as fh:
                    env = fh.read()
            except OSError:
                pass
            if sid in cmd or (b"X2GO_SESSION=" + sid.encode() + b"\0") in env + b"\0":
                out.append((p, cmd))
        return out

    def _daemon(self):
        mode = os.environ.get("X2GO_E2E_DAEMON", "auto")
        self.daemon_note = "not started (X2GO_E2E_DAEMON=none)"
        if mode == "none":
            return
        r = self.root("command -v x2gocleansessions || true; "
                      "p=$(cat /var/run/x2goserver.pid 2>/dev/null); "
                      "if [ -n \"$p\" ] && grep -q x2gocleansessions /proc/$p/cmdline 2>/dev/null; "
                      "then echo RUNNING $p; fi")
        path = r.stdout.splitlines()[0].strip() if r.stdout.strip() else ""
        # with a wrap (reference in a namespace) /run is shared with the host,
        # so a pid file there may name the host's daemon: start our own
        if mode == "auto" and "RUNNING" in r.stdout and not self.wrap:
            self.daemon_note = "already running (%s)" % r.stdout.strip().splitlines()[-1]
            log("daemon " + self.daemon_note)
            return
        if not path or "RUNNING" in path:
            self.daemon_note = "x2gocleansessions not installed"
            log(self.daemon_note)
            return
        self.daemon_log = os.path.join(self.results, "daemon.log")
        fh = open(self.daemon_log, "w")
        self.daemon = subprocess.Popen(self.wrapped(["/bin/sh", "-c", "PATH=%s; export PATH; exec %s --debug"
                                                     % (SYS_PATH, shlex.quote(path))]),
                                       stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        fh.close()
        self.procs.append(self.daemon)
        time.sleep(1)
        if self.daemon.poll() is not None:
            out = open(self.daemon_log).read()
            if mode == "auto" and "already running" in out:
                self.daemon_note = "already running (%s)" % tail(out, 1)
            else:
                self.daemon_note = "x2gocleansessions --debug exited rc=%s: %s" % (self.daemon.returncode, tail(out))
        else:
            self.daemon_note = "started by the harness: %s --debug (pid %d)" % (path, self.daemon.pid)
        log("daemon " + self.daemon_note)

    # -- teardown ------------------------------------------------------------
    def teardown(self, keep=False):
        log("teardown")
        for c in self.clients:
            try:
                c.stop()
            except Exception as e:  # noqa
                log("stopping client %s: %s" % (c.name, e))
        if self.sshd is not None and self.sshd.poll() is None and self.keys:
            for u in self.users:
                try:
                    self.terminate_all(u)
                except Exception as e:  # noqa
                    log("terminate_all %s: %s" % (u, e))
        for u in self.users:
            if u in self.uids:
                try:
                    n = kill_uid_processes(self.uids[u])
                    if n:
                        log("killed %d processes of %s" % (n, u))
                except Exception as e:  # noqa
                    log("killing processes of %s: %s" % (u, e))
        try:
            self.remove_stale_x_files()
        except Exception as e:  # noqa
            log("removing stale X files: %s" % e)
        for p in (self.daemon, self.sshd, self.xvfb):
            try:
                stop_group(p)
            except Exception as e:  # noqa
                log("stopping %s: %s" % (p, e))
        for p in self.procs:
            try:
                stop_group(p, grace=1)
            except Exception:  # noqa
                pass
        # copy the client-side nxproxy logs for post-mortems
        try:
            for c in self.clients:
                x2 = os.path.join(c.home, ".x2go")
                if os.path.isdir(x2):
                    for d in os.listdir(x2):
                        for f in ("session.log", "session.err"):
                            src = os.path.join(x2, d, f)
                            if os.path.isfile(src):
                                shutil.copy(src, os.path.join(self.results, "nxproxy-%s-%s-%s" % (c.name, d, f)))
        except Exception:  # noqa
            pass
        if self.scratch and not keep:
            shutil.rmtree(self.scratch, ignore_errors=True)
