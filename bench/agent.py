#!/usr/bin/python3
"""Timing agent for bench/bench.py.

Runs as root INSIDE one side's mount namespace (reference or ours) and
executes requests read as JSON lines on stdin, answering one JSON line each
on stdout.  Commands run as the requested user (setuid/setgid/groups done by
subprocess before exec) with an sshd-like environment.  Timing is
time.perf_counter() around fork+exec .. (N output lines | exit).

Requests:
  {"op":"run", "user":U, "argv":[...], "env":{}, "lines":N|null,
   "timeout":S, "input":TEXT|null}
      -> {"rc":int|null, "t":sec, "t_exit":sec, "out":TEXT, "err":TEXT,
          "timeout":bool}
  {"op":"many", "jobs":[{"user","argv","env","lines"}...], "timeout":S,
   "stagger":S}
      -> {"wall":sec, "results":[run-like dicts]}
  {"op":"spawn", "user":U, "argv":[...], "log":PATH} -> {"pid":int}
  {"op":"quit"}
"""
import json
import os
import pwd
import select
import signal
import subprocess
import sys
import tempfile
import time

BASE_PATH = "/usr/local/bin:/usr/bin:/bin"
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def make_env(user, extra):
    if user == "root":
        env = {"PATH": SBIN_PATH, "HOME": "/root", "USER": "root",
               "LOGNAME": "root", "LANG": "C.UTF-8"}
    else:
        pw = pwd.getpwnam(user)
        env = {"USER": user, "LOGNAME": user, "HOME": pw.pw_dir,
               "SHELL": pw.pw_shell or "/bin/sh", "PATH": BASE_PATH,
               "LANG": "C.UTF-8", "TERM": "dumb",
               "SSH_CLIENT": "127.0.0.1 4000 22",
               "SSH_CONNECTION": "127.0.0.1 4000 127.0.0.1 22"}
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return env


def start(user, argv, extra, stdin_data=None):
    env = make_env(user, extra)
    errf = tempfile.TemporaryFile()
    kw = dict(env=env, stdout=subprocess.PIPE, stderr=errf,
              stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
              start_new_session=True, close_fds=True)
    if user != "root":
        pw = pwd.getpwnam(user)
        kw.update(user=pw.pw_uid, group=pw.pw_gid,
                  extra_groups=os.getgrouplist(user, pw.pw_gid), cwd=pw.pw_dir)
    else:
        kw.update(cwd="/")
    t0 = time.perf_counter()
    try:
        p = subprocess.Popen(argv, **kw)
    except OSError as e:
        return None, errf, t0, str(e)
    if stdin_data is not None:
        try:
            p.stdin.write(stdin_data.encode())
            p.stdin.close()
        except OSError:
            pass
    os.set_blocking(p.stdout.fileno(), False)
    return p, errf, t0, None


class Job:
    def __init__(self, user, argv, env, lines, stdin_data=None):
        self.lines = lines
        self.p, self.errf, self.t0, self.err0 = start(user, argv, env, stdin_data)
        self.buf = b""
        self.eof = self.p is None
        self.t_lines = None
        self.t_exit = None
        self.rc = None if self.p else 127
        self.timed_out = False
        self.exit_seen = None

    def fd(self):
        return self.p.stdout.fileno()

    def feed(self, now):
        try:
            chunk = os.read(self.fd(), 65536)
        except BlockingIOError:
            return
        if not chunk:
            self.eof = True
            return
        self.buf += chunk
        if self.lines and self.t_lines is None and self.buf.count(b"\n") >= self.lines:
            self.t_lines = now - self.t0

    def poll(self, now):
        if self.p is None:
            return True
        if self.rc is None:
            rc = self.p.poll()
            if rc is not None:
                self.rc = rc
                self.t_exit = now - self.t0
                self.exit_seen = now
        if self.lines and self.t_lines is not None and self.rc is not None:
            return True
        if self.rc is not None and self.eof:
            return True
        # exited, but a grandchild (e.g. the agent) keeps stdout open
        if self.rc is not None and now - self.exit_seen > 0.3:
            return True
        return False

    def finish(self, timed_out=False):
        if self.p is not None and self.rc is None:
            self.timed_out = timed_out
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.p.wait(2)
            except subprocess.TimeoutExpired:
                pass
        if self.p is not None:
            self.p.stdout.close()
        self.errf.seek(0)
        err = self.errf.read()[-4000:].decode(errors="replace")
        self.errf.close()
        if self.err0:
            err = self.err0
        t = self.t_lines if self.lines else self.t_exit
        if self.lines and t is None:
            t = self.t_exit  # fewer lines than expected: failed start
        return {"rc": self.rc, "t": t, "t_exit": self.t_exit,
                "out": self.buf.decode(errors="replace"), "err": err,
                "timeout": self.timed_out}


def run_jobs(jobs, timeout):
    deadline = time.perf_counter() + timeout
    pending = [j for j in jobs]
    while pending:
        now = time.perf_counter()
        still = []
        for j in pending:
            if not j.poll(now):
                still.append(j)
        pending = still
        if not pending:
            break
        if now > deadline:
            break
        fds = {j.fd(): j for j in pending if not j.eof}
        if fds:
            r, _, _ = select.select(list(fds), [], [], 0.02)
            now = time.perf_counter()
            for fd in r:
                fds[fd].feed(now)
        else:
            time.sleep(0.002)
    return [j.finish(timed_out=(j in pending)) for j in jobs]


def handle(req):
    op = req["op"]
    if op == "run":
        j = Job(req.get("user", "root"), req["argv"], req.get("env"),
                req.get("lines"), req.get("input"))
        return run_jobs([j], float(req.get("timeout", 60)))[0]
    if op == "many":
        t0 = time.perf_counter()
        jobs = []
        stagger = float(req.get("stagger", 0))
        for spec in req["jobs"]:
            jobs.append(Job(spec.get("user", "root"), spec["argv"],
                            spec.get("env"), spec.get("lines")))
            if stagger:
                time.sleep(stagger)
        res = run_jobs(jobs, float(req.get("timeout", 300)))
        return {"wall": time.perf_counter() - t0, "results": res}
    if op == "spawn":
        user = req.get("user", "root")
        logf = open(req["log"], "ab")
        kw = dict(env=make_env(user, req.get("env")), stdout=logf, stderr=logf,
                  stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        if user != "root":
            pw = pwd.getpwnam(user)
            kw.update(user=pw.pw_uid, group=pw.pw_gid, cwd=pw.pw_dir)
        p = subprocess.Popen(req["argv"], **kw)
        logf.close()
        return {"pid": p.pid}
    if op == "reap":
        # only between requests: no Popen of ours is pending then
        n = 0
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            n += 1
        return {"reaped": n}
    if op == "ping":
        return {"ok": True, "pid": os.getpid()}
    return {"error": "unknown op " + op}


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            out.write(json.dumps({"ok": True}) + "\n")
            out.flush()
            break
        try:
            res = handle(req)
        except Exception as e:  # report, keep serving
            res = {"error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(res) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
