#!/usr/bin/python3
"""PostgreSQL backend and farm tests: a private PostgreSQL 15 cluster, the
installed commands (or a build, X2GO_FARM_BUILD=<meson build dir>).
Run through run.sh (root). Last line: "N passed, M failed"."""
import importlib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pglib  # noqa: E402

MODULES = ['test_dbadmin', 'test_isolation', 'test_badinput', 'test_failure', 'test_farm',
           'test_mixed', 'test_pyhoca', 'test_mounts', 'test_history', 'test_broker',
           'test_pgstored']


def use_build(build):
    """Commands from a build, through private symlinks: nothing under /usr
    is used, so installs by other suites cannot pull them away."""
    d = tempfile.mkdtemp(prefix='x2go-farm-bin-', dir='/var/tmp')
    pglib.scratch.append(d)
    os.chmod(d, 0o755)
    pglib.use_commands(os.path.join(build, 'src/cmd/x2go-cmd'),
                       os.path.join(build, 'src/daemon/x2gocleansessions'), d)


def kill_leftovers():
    """Agents and session links of earlier runs (the users are ours), and
    the X lock files and sockets their killed agents left in /tmp, which
    would keep those displays taken."""
    uids = set()
    for u in pglib.USERS:
        subprocess.run(['pkill', '-KILL', '-u', u], stderr=subprocess.DEVNULL)
        try:
            uids.add(pwd.getpwnam(u).pw_uid)
        except KeyError:
            pass
        d = os.path.join(pglib.home(u), '.x2go')
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if name.startswith('C-'):
                p = os.path.join(d, name)
                if os.path.islink(p):
                    os.unlink(p)
                else:
                    shutil.rmtree(p, ignore_errors=True)
    for d, pre in (('/tmp', '.X'), ('/tmp/.X11-unix', 'X')):
        for name in os.listdir(d) if os.path.isdir(d) else []:
            if not name.startswith(pre):
                continue
            p = os.path.join(d, name)
            try:
                st = os.lstat(p)
                if st.st_uid in uids and not stat.S_ISDIR(st.st_mode):
                    os.unlink(p)
            except FileNotFoundError:
                pass


def main():
    only = sys.argv[1:]
    if os.environ.get('X2GO_FARM_BUILD'):
        use_build(os.path.abspath(os.environ['X2GO_FARM_BUILD']))
    else:
        pglib.use_commands('/usr/lib/x2go/x2go-cmd', '/usr/sbin/x2gocleansessions')
    pglib.setup_network()
    pglib.ensure_users()
    kill_leftovers()
    port = int(os.environ.get('X2GO_FARM_PGPORT', 56000 + os.getpid() % 1000))
    cluster = pglib.Cluster(port, listen='*')
    passed = failed = skipped = 0
    try:
        pglib.private_sqldir(cluster)
        pglib.private_hosts()
        if only and not any('dbadmin' in w for w in only):
            pglib.prepare_db()
        for name in MODULES:
            mod = importlib.import_module(name)
            ctx = {'cluster': cluster}
            for fname, fn in mod.TESTS:
                if only and not any(w in name + '.' + fname for w in only):
                    continue
                t = time.monotonic()
                try:
                    fn(ctx)
                    passed += 1
                    print('PASS %s.%s (%.1fs)' % (name, fname, time.monotonic() - t), flush=True)
                except Exception as e:  # noqa: BLE001 - one failing test never stops the rest
                    if type(e).__name__ == 'Skip' and os.environ.get('X2GO_FARM_ALLOW_SKIP'):
                        skipped += 1
                        print('SKIP %s.%s: %s' % (name, fname, e), flush=True)
                        continue
                    failed += 1
                    print('FAIL %s.%s: %s' % (name, fname, e), flush=True)
                    if not isinstance(e, pglib.Fail):
                        traceback.print_exc()
            cleanup = getattr(mod, 'cleanup', None)
            if cleanup:
                cleanup(ctx)
    finally:
        kill_leftovers()
        cluster.destroy()
        subprocess.run(['umount', '-l', '/etc/hosts', pglib.SQLDIR], stderr=subprocess.DEVNULL)
        for p in pglib.scratch:
            shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)
    if skipped:
        print('%d skipped' % skipped)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
