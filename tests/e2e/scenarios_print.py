"""End-to-end printing (spec 2.4): a job printed in the session with `lp`
goes through a real CUPS and Debian's cups-x2go backend, which runs
x2goprint as root, and arrives as a PDF in the client's local spool
(pyhoca-cli with printing on); with the spool unmounted the job is dropped.

CUPS: the scheduler already running is used, else the test starts cupsd
itself (no systemd) and stops it again; the queue is made with lpadmin
and deleted afterwards. The Ghostscript 10 command line in
/etc/cups/cups-x2go.conf is the install command's (scripts/install.sh).
"""

import glob
import os
import re
import secrets
import shlex
import subprocess
import time

from harness import T, TestFailure, check, log, tail, wait_for
from scenarios import APP, _assert_running, _terminate
from scenarios_share import _fuse_usable, _mounted, _profile

QUEUE = "x2go-e2e"
PPD = "/usr/share/ppd/cups-x2go/CUPS-X2GO.ppd"
BACKEND = "/usr/lib/cups/backend/cups-x2go"
CONF = "/etc/cups/cups-x2go.conf"
SPOOL = "/var/spool/x2goprint"
SOCK = "/run/cups/cups.sock"


def _run(argv, timeout=60):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def _scheduler_up():
    return os.path.exists(SOCK) and _run(["lpstat", "-r"]).stdout.startswith("scheduler is running")


class Cups:
    """cupsd (started here unless one runs) with the cups-x2go queue."""

    def __init__(self):
        self.proc = None

    def __enter__(self):
        for f in (PPD, BACKEND, CONF, "/usr/sbin/cupsd", "/usr/sbin/lpadmin"):
            if not os.path.exists(f):
                raise TestFailure("%s is missing: install cups, cups-client and cups-x2go" % f)
        if not _scheduler_up():
            self.proc = subprocess.Popen(["/usr/sbin/cupsd", "-f"], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
            wait_for(_scheduler_up, T(30), "cupsd to accept requests")
        r = _run(["lpadmin", "-p", QUEUE, "-E", "-v", "cups-x2go:/", "-P", PPD])
        if r.returncode != 0:
            self.__exit__()
            raise TestFailure("lpadmin: %s" % tail(r.stderr))
        return self

    def __exit__(self, *exc):
        _run(["lpadmin", "-x", QUEUE])
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(T(30))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def completed(self, job):
        out = _run(["lpstat", "-W", "completed", "-o", QUEUE]).stdout
        return any(l.split()[0] == job for l in out.splitlines() if l.strip())


def _print(env, user, text, title):
    """lp as the session user of a PostScript page (as applications print)
    showing text in a standard font; the CUPS job id."""
    ps = "%%!PS\n/Courier findfont 14 scalefont setfont 72 720 moveto (%s) show showpage\n" % text
    r = env.ssh(user, "printf '%%s' %s > ~/print-job.ps && lp -d %s -t %s ~/print-job.ps"
                % (shlex.quote(ps), QUEUE, shlex.quote(title)), check_rc=True)
    m = re.search(r"request id is (\S+)", r.stdout)
    if not m:
        raise TestFailure("lp printed %r" % r.stdout)
    return m.group(1)


def _ready_jobs(spool):
    """(pdf, ready text, pdf bytes) of each job in the client's spool; the
    PDF is read at once (the client removes jobs it has handled)."""
    jobs = []
    for ready in glob.glob(os.path.join(spool, "*.ready")):
        try:
            with open(ready) as fh:
                text = fh.read()
            with open(os.path.join(spool, text.split("\n")[0]), "rb") as fh:
                jobs.append((text.split("\n")[0], text, fh.read()))
        except OSError:
            continue
    return jobs


def _pdf_text(data):
    """The text Ghostscript reads from a PDF (fails unless it is one)."""
    r = subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=txtwrite",
                        "-sOutputFile=-", "-"], input=data, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise TestFailure("Ghostscript cannot read the job: %s" % tail(r.stderr.decode(errors="replace")))
    return " ".join(r.stdout.decode(errors="replace").split())


def _spool_left():
    return sorted(os.listdir(SPOOL))


def test_print_job(env, t):
    """lp in the session -> CUPS -> cups-x2go -> x2goprint -> the client's
    spool: a PDF with the printed text and the job's title; nothing stays
    in /var/spool/x2goprint. With the spool unmounted, the job is dropped."""
    _fuse_usable()
    with open(CONF) as fh:
        conf = [l for l in fh if re.match(r"\s*ps2pdf\s*=", l)]
    check(len(conf) == 1 and ".setpdfwrite" not in conf[0],
          "the install command sets a Ghostscript 10 ps2pdf line in %s: %r" % (CONF, conf))
    user = env.users[0]
    c = env.client(user, "print")
    _profile(c, "prprofile", host="127.0.0.1", sshport=env.port, user=user, print="true")
    with Cups() as cups:
        c.new(APP, ["-P", "prprofile"])
        sid = c.wait_ready()
        _assert_running(env, user, sid)
        server_spool = "/tmp/.x2go-%s/spool/C-%s" % (user, sid)
        client_spool = os.path.join(c.home, ".x2go", "S-%s" % sid, "spool")
        wait_for(lambda: _mounted(env, server_spool), T(60), "the client's spool to be mounted",
                 interval=1)

        with t.sub("print_job_reaches_client"):
            text = "X2Go e2e print %s" % secrets.token_hex(4)
            t0 = time.monotonic()
            job = _print(env, user, text, "E2E title")
            found = wait_for(lambda: _ready_jobs(client_spool), T(90),
                             "the job %s as PDF in the client's spool" % job, interval=0.2)
            log("print job %s reached the client in %.1fs" % (job, time.monotonic() - t0))
            pdf, ready, data = found[0]
            check(len(found) == 1, "one job expected in the client's spool: %r" % [f[0] for f in found])
            check(pdf.endswith(".pdf") and ready == "%s\nE2E title" % pdf,
                  "the .ready file says %r" % ready)
            check(data.startswith(b"%PDF-"), "the job is not a PDF: %r" % data[:16])
            got = _pdf_text(data)
            check(text in got, "the PDF's text is %r, printed %r" % (got[:200], text))
            wait_for(lambda: cups.completed(job), T(30), "CUPS to complete %s" % job)
            check(_spool_left() == [], "left in %s: %r" % (SPOOL, _spool_left()))

        with t.sub("print_job_dropped_unmounted"):
            before = set(os.listdir(client_spool))
            env.ssh(user, "fusermount3 -u %s || fusermount -u %s" % (server_spool, server_spool),
                    check_rc=True)
            check(not _mounted(env, server_spool), "%s still mounted" % server_spool)
            job = _print(env, user, "not delivered", "dropped")
            wait_for(lambda: cups.completed(job), T(90), "CUPS to complete %s" % job)
            check(_spool_left() == [], "left in %s: %r" % (SPOOL, _spool_left()))
            left = env.ssh(user, "ls -A %s" % shlex.quote(server_spool), check_rc=True).stdout.split()
            check(left == [], "written into the unmounted spool directory: %r" % left)
            new = set(os.listdir(client_spool)) - before
            check(not new, "the client got %r with its spool unmounted" % sorted(new))

        _terminate(env, user, sid)
        env.wait_gone(user, sid, timeout=T(30))
        c.wait_exit(T(30))


TESTS = [
    ("print_job", test_print_job),
]
SUBTESTS = {
    "print_job": ["print_job_reaches_client", "print_job_dropped_unmounted"],
}
