#!/usr/bin/python3
"""List and start latency before and after the privilege-model change
(setgid helper -> store server x2go-stored), side by side with the
reference, in one run.  Not a test: no assertions on timings.

    sudo /usr/bin/python3 bench/privmodel.py [--before REV] [--list-reps 15]
        [--start-reps 10] [--dir DIR]

Builds two trees with meson and installs each into a staging directory
(DESTDIR), never onto the host:
  before  REV (default 341edd9^: every store operation execs the setgid
          x2go-sqlite-helper), unpacked with `git archive`
  after   this checkout as it is (every store operation is a request to
          x2go-stored, which runs in the side's namespace)
Each tree is shown at the host paths only inside its own private mount
namespace, by bench/refenv.sh with REFENV_DIR pointing at the staging
directory (the way the reference is shown, which runs beside them), on a
private database of its own (bench.prepare_dbdir).  The timing agents,
rows, stand-in agents and sessions are bench.py's.  Workloads run as the
user, interleaved before, after, reference, ... after one warm-up round;
times are whole-process wall times (fork+exec to exit).  Prints a Markdown
report on stdout; progress on stderr.  See bench/README.md.
"""
import argparse
import datetime
import math
import os
import shutil
import statistics
import subprocess
import sys
import time

import bench
from bench import REFENV, USERS, WORK, log, stats

REPO = os.path.dirname(bench.HERE)
NXBIN = "/usr/lib/x86_64-linux-gnu/nx/bin"
ORDER = ("before", "after", "ref")
QUIET = dict(stdout=subprocess.DEVNULL)


def sh(*argv, **kw):
    subprocess.run(argv, check=True, **kw)


def git(*argv):
    return subprocess.run(["git", "-C", REPO] + list(argv), check=True,
                          capture_output=True, text=True).stdout.strip()


# ---------------------------------------------------------------- trees ---
def stage(src, dest):
    """meson build of src in dest/build, installed into dest/root: the
    tree refenv.sh shows at the host paths with REFENV_DIR=dest"""
    b = os.path.join(dest, "build")
    if not os.path.exists(os.path.join(b, "build.ninja")):
        sh("meson", "setup", b, src, "--prefix=/usr", "--buildtype=debugoptimized",
           "-Dtests=false", **QUIET)
    sh("ninja", "-C", b, **QUIET)
    root = os.path.join(dest, "root")
    shutil.rmtree(root, ignore_errors=True)
    sh("meson", "install", "-C", b, "--quiet", env=dict(os.environ, DESTDIR=root), **QUIET)
    for d in ("scratch", "state/var-lib-x2go"):
        os.makedirs(os.path.join(dest, d), exist_ok=True)
    return root


def stage_before(rev, dest, after_root):
    """REV unpacked with git archive and staged; its install script of
    the time (links, setgid helper, data files) is done here: links by
    this checkout's scripts/meson-install.sh, data files as the after
    tree has them"""
    src = os.path.join(dest, "src")
    stamp = os.path.join(dest, "rev")
    want = git("rev-parse", rev)
    try:
        with open(stamp) as f:
            have = f.read()
    except FileNotFoundError:
        have = None
    if have != want:
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(src)
        arch = subprocess.Popen(["git", "-C", REPO, "archive", want], stdout=subprocess.PIPE)
        sh("tar", "-x", "-C", src, stdin=arch.stdout)
        if arch.wait():
            sys.exit("privmodel: git archive %s failed" % rev)
        with open(stamp, "w") as f:
            f.write(want)
    root = stage(src, dest)
    lib = root + "/usr/lib/x2go"
    sh("sh", os.path.join(REPO, "scripts/meson-install.sh"), lib + "/x2go-cmd",
       "/usr/lib/x2go", "/usr/bin", "/usr/sbin", "x2gouser",
       "link:%s/x2goagent:%s/nxagent" % (NXBIN, NXBIN),
       "link:/usr/bin/x2goagent:%s/x2goagent" % NXBIN, env=dict(os.environ, DESTDIR=root))
    sh("chown", "root:x2gouser", lib + "/x2go-sqlite-helper")
    os.chmod(lib + "/x2go-sqlite-helper", 0o2755)
    for d in ("etc/x2go", "usr/share/x2go"):
        shutil.copytree(os.path.join(after_root, d), os.path.join(root, d), symlinks=True)
    return want


def ns(dest):
    return ["env", "REFENV_DIR=" + dest, REFENV, "run"]


# ------------------------------------------------------------ workloads ---
def rounds(sides, reps, one):
    """reps + 1 rounds of one(name, side) in the order before, after,
    reference; the first round is a warm-up. Returns name -> [seconds]"""
    out = {n: [] for n in sides}
    for i in range(reps + 1):
        for name in ORDER:
            t = one(name, sides[name])
            if i > 0:
                out[name].append(t)
    return out


def w_list(sides, reps, n, notes):
    user = USERS[0]
    procs = bench.list_standins(user, n)
    try:
        for side in sides.values():
            bench.insert_rows(side, user, n, pids=[p.pid for p in procs])

        def one(name, side):
            r = side.run(user, ["x2golistsessions"], timeout=120)
            got = len(r["out"].splitlines())
            if r["rc"] != 0 or got != n:
                notes.append("%s, %d rows: rc=%s, %d lines: %s"
                             % (name, n, r["rc"], got, r["err"].strip()[:200]))
                return None
            return r["t_exit"]
        return rounds(sides, reps, one)
    finally:
        bench.stop_standins(procs)
        for side in sides.values():
            bench.wipe(side)


def w_start(sides, reps, notes):
    user = USERS[0]

    def one(name, side):
        bench.wipe_for_start(side)
        r, s = bench.start_session(side, user)
        bench.end_session(side, user, s)
        bench.wipe(side)
        if not s or r["rc"] != 0:
            notes.append("%s x2gostartagent failed (rc=%s): %s%s"
                         % (name, r["rc"], r["err"].strip()[-300:],
                            bench.agent_error(user, r["err"])))
            return None
        return r["t_exit"]
    return rounds(sides, reps, one)


# --------------------------------------------------------------- report ---
def ms(x):
    return "%.1f" % (x * 1e3) if x >= 0.01 else "%.2f" % (x * 1e3)


def cell(s):
    return "n/a" if s is None else "%s ms (%s – %s)" % (ms(s["med"]), ms(s["min"]), ms(s["max"]))


def pairs(xs, ys, f):
    return [f(x, y) for x, y in zip(xs, ys) if x is not None and y is not None]


def median_ci(v):
    """distribution-free interval of the median (order statistics, at
    least 95 %): (low, high, coverage), or None for too few values"""
    n, k = len(v), 0

    def tail(j):  # P(at most j of n values below the median)
        return sum(math.comb(n, i) for i in range(j + 1)) / 2 ** n
    while k + 1 < n / 2 and tail(k) <= 0.025:
        k += 1
    if k == 0:
        return None
    v = sorted(v)
    return v[k - 1], v[n - k], 1 - 2 * tail(k - 1)


def verdict(label, d, st):
    """after − before within 1 ms? d: the per-round differences"""
    if not d or not st["after"] or not st["before"]:
        return "* %s: after − before n/a (failures, see the notes)" % label
    med, ci = statistics.median(d), median_ci(d)
    text = ("* %s: after − before %+.2f ms (median of the per-round differences; "
            "difference of the medians %+.2f ms" % (label, med * 1e3,
                                                   (st["after"]["med"] - st["before"]["med"]) * 1e3))
    if ci:
        text += "; %.0f %% interval of the median %+.2f … %+.2f ms" % (
            100 * ci[2], ci[0] * 1e3, ci[1] * 1e3)
    text += "): ≤ 1 ms: " + ("yes" if med <= 0.001 else "**no**")
    if not ci:
        return text + ", too few rounds for an interval"
    if ci[1] <= 0.001 or ci[0] > 0.001:
        return text + ", the whole interval too"
    return text + ", but the interval spans 1 ms: not resolved at this noise and n"


def rows_and_verdicts(label, samples):
    st = {n: stats(samples[n]) for n in ORDER}
    rat = [pairs(samples[a], samples[b], lambda x, y: x / y)
           for a, b in (("after", "before"), ("after", "ref"), ("before", "ref"))]
    row = "| %s | %s | %s | %s | %s | %s | %s | %d |" % (
        label, cell(st["before"]), cell(st["after"]), cell(st["ref"]),
        *("%.3g" % statistics.median(r) if r else "n/a" for r in rat),
        min(s["n"] if s else 0 for s in st.values()))
    d = pairs(samples["after"], samples["before"], lambda x, y: x - y)
    return row, verdict(label, d, st)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def report(a, revs, res, notes, started, elapsed):
    cpu, ncpu, mem, deb = bench.machine_info()
    L = ["Generated by `bench/privmodel.py --list-reps %d --start-reps %d` on %s UTC, "
         "run time %.0f s, on %s (%d CPUs, %s RAM, Debian %s, host `%s`), shared with "
         "other builds and test runs (1-minute load average %s at the start, %s at the "
         "end): noisy, read the medians, the pairwise ratios and the intervals."
         % (a.list_reps, a.start_reps, started.strftime("%Y-%m-%d %H:%M"), elapsed, cpu,
            ncpu, mem, deb, bench.HOST, a.load0, loadavg()), "",
         "* before: `%s` = %s; after: this checkout, HEAD `%s`%s; reference: Debian "
         "x2goserver 4.1.0.3 in `bench/refenv.sh`"
         % (a.before, revs["before"][:9], revs["after"][:9],
            " with uncommitted changes" if revs["dirty"] else ""), "",
         "Median (min – max) of the whole-process wall time; ratios are the median "
         "of the per-round ratios; n = rounds counted per side.", "",
         "| workload | before | after | reference | after/before | after/reference "
         "| before/reference | n |", "|---|---|---|---|---|---|---|---|"]
    verdicts = []
    for label, samples in res:
        row, v = rows_and_verdicts(label, samples)
        L.append(row)
        verdicts.append(v)
    L += ["", "The fix must not cost more than 1 ms (after − before):", ""] + verdicts
    if notes:
        L += ["", "Notes:", ""] + ["* " + n.replace("\n", " ") for n in dict.fromkeys(notes)]
    return "\n".join(L) + "\n"


# ----------------------------------------------------------------- main ---
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default="341edd9^", help="the tree before the change")
    ap.add_argument("--list-reps", type=int, default=15)
    ap.add_argument("--start-reps", type=int, default=10)
    ap.add_argument("--dir", default=os.path.join(WORK, "privmodel"),
                    help="sources, builds and staging trees (kept: later runs rebuild less)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("privmodel: must run as root")
    started, a.load0 = datetime.datetime.utcnow(), loadavg()
    t0 = time.time()
    sh(REFENV, "setup")
    bench.build_standin()
    dest = {n: os.path.join(a.dir, n) for n in ("before", "after")}
    log("building after (this checkout) and before (%s)" % a.before)
    after_root = stage(REPO, dest["after"])
    revs = {"before": stage_before(a.before, dest["before"], after_root),
            "after": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    sides, notes = {}, []
    try:
        sides["ref"] = bench.Side("ref", bench.prepare_dbdir("ref", [REFENV, "run"]))
        for n in ("before", "after"):
            sides[n] = bench.Side(n, bench.prepare_dbdir(n, ns(dest[n])), ns(dest[n]))
        res = []
        for n in (0, 100):
            log("x2golistsessions, %d rows" % n)
            res.append(("x2golistsessions, %d own rows" % n,
                        w_list(sides, a.list_reps, n, notes)))
        log("x2gostartagent")
        res.append(("x2gostartagent (real nxagent, until exit)",
                    w_start(sides, a.start_reps, notes)))
    finally:
        for s in sides.values():
            s.close()
    text = report(a, revs, res, notes, started, time.time() - t0)
    print(text)


if __name__ == "__main__":
    main()
