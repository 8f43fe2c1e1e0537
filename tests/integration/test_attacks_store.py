"""Attacks on the session store by an ordinary user, against the installed
store server (x2go-stored): each test performs the attack and asserts the
secure outcome. The full-disk test runs a private instance of the server on
a small tmpfs in its own mount namespace."""
import contextlib
import os
import signal
import subprocess
import time

from itlib import (HELPER, HOST, RUNUSER, SERVER_CONF, STORED, USER_A, USER_B, Sessions, check,
                   eq, ok, replaced_file, run, sql)

CAP = 32  # X2GO_USER_ROWS_MAX
BOUND = 5.0  # seconds any other user's request may take while under attack


def _reserve(user, display_start=8800):
    return run([HELPER, 'reserve', str(int(time.time())), 'D', 'XFCE', '24', '-',
                str(display_start), '30000', '3'], user=user)


def _rows(user):
    return sql('SELECT session_id, server, agent_pid FROM sessions WHERE uname=?', (user,))


def _drop_rows(*users):
    for u in users:
        sql('DELETE FROM used_ports WHERE session_id IN (SELECT session_id FROM sessions'
            ' WHERE uname=?)', (u,))
        sql('DELETE FROM sessions WHERE uname=?', (u,))


def test_reserve_is_for_this_host_only():
    """Hole 2: the server names the host; a made-up host name is refused."""
    Sessions.purge()
    try:
        r = run([HELPER, 'reserve', 'madeuphost', str(int(time.time())), 'D', 'XFCE', '24',
                 '-', '8800', '30000', '3'], user=USER_A)
        check(r.rc != 0 and r.out == b'', 'a reservation naming a host was accepted: %r' % r)
        ok(_reserve(USER_A))
        eq([x[1] for x in _rows(USER_A)], [HOST], 'server of the reserved row')
    finally:
        _drop_rows(USER_A)


def test_reserve_hard_cap_without_limit():
    """Hole 2: no limit configured: at most CAP rows per user, enforced by
    the server; other users can still reserve."""
    Sessions.purge()
    try:
        for i in range(CAP + 10):
            r = _reserve(USER_A)
            if r.rc != 0:
                break
        eq(len(_rows(USER_A)), CAP, 'rows of the flooding user')
        check(b'LIMIT' in r.err, 'refusal does not say LIMIT: %r' % r)
        ok(_reserve(USER_B), 'reserve of another user during the flood')
    finally:
        _drop_rows(USER_A, USER_B)


def test_reserve_enforces_configured_limit_in_the_server():
    """Hole 2: [limit users] is enforced by the reserving transaction, not
    only by x2gostartagent; concurrent reservations cannot both pass."""
    Sessions.purge()
    conf = open(SERVER_CONF).read()
    try:
        with replaced_file(SERVER_CONF, conf + '\n[limit users]\n%s=2\n' % USER_A):
            procs = [subprocess.Popen([RUNUSER, '-u', USER_A, '--', HELPER, 'reserve',
                                       str(int(time.time())), 'D', 'XFCE', '24', '-', '8800',
                                       '30000', '3'], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL) for _ in range(6)]
            rcs = [p.wait(30) for p in procs]
            eq(len(_rows(USER_A)), 2, 'rows with a limit of 2 (exit codes %r)' % rcs)
            eq(sorted(rcs).count(0), 2, 'successful reservations')
    finally:
        _drop_rows(USER_A)


def test_stale_reservations_expire_for_every_host():
    """Hole 2: rows no agent backs, older than the TTL, go away at the next
    reservation whatever their host name; live rows stay."""
    Sessions.purge()
    with Sessions() as s:
        keep = s.add(USER_B, 'S', server='itfarmhost2')
        old = "datetime('now','localtime','-300 seconds')"
        for i, host in enumerate(('madeuphost', HOST)):
            sid = 'x2goitb-%d-1700000000_stDXFCE_dp24' % (8890 + i)
            sql("INSERT INTO sessions(display,server,uname,session_id,init_time,last_time)"
                " VALUES(?,?,?,?,%s,%s)" % (old, old), (8890 + i, host, USER_B, sid))
            sql('INSERT INTO used_ports(server,session_id,port) VALUES(?,?,?)',
                (host, sid, 64000 + i))
        ok(_reserve(USER_A))
        left = [x[0] for x in _rows(USER_B)]
        eq(left, [keep['sid']], "B's rows after A's reservation")
        eq(sql('SELECT count(*) FROM used_ports WHERE port IN (64000, 64001)')[0][0], 0,
           'ports of the expired rows')
        _drop_rows(USER_A)


def _pids_of(user):
    import pwd
    uid = pwd.getpwnam(user).pw_uid
    out = []
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                if os.stat('/proc/' + p).st_uid == uid:
                    out.append(int(p))
            except OSError:
                pass
    return out


def _timed(argv, user):
    t0 = time.monotonic()
    r = run(argv, user=user, timeout=30)
    return r, time.monotonic() - t0


ATTACKER = r'''
import os, signal, socket, sys, time
sid, helper, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
kids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        os.execv(helper, [helper, 'status', 'R' if i % 2 else 'S', sid])
    kids.append(pid)
hold = []
for i in range(200):        # connections that never send a byte
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect('/run/x2go/store.sock')
    except OSError:
        pass
    hold.append(s)
end = time.monotonic() + float(sys.argv[4])
while time.monotonic() < end:  # stop everything we may signal (not ourselves)
    os.kill(-1, signal.SIGSTOP)
    time.sleep(0.01)
os.kill(-1, signal.SIGCONT)
'''


def _stored_states():
    out = []
    for p in os.listdir('/proc'):
        try:
            if p.isdigit() and open('/proc/%s/comm' % p).read().strip() == 'x2go-stored':
                out.append(open('/proc/%s/stat' % p).read().split(') ')[1][0])
        except OSError:
            pass
    return out


def test_sigstop_and_flood_cannot_stall_other_users():
    """Hole 3: the attacker has write requests in flight, holds 200 silent
    connections and SIGSTOPs everything it may signal for 6 s; another
    user's list, status change, reservation and removal of it still finish
    within BOUND seconds each, and no store server process is stopped."""
    Sessions.purge()
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        b = s.add(USER_B, 'R')
        att = subprocess.Popen([RUNUSER, '-u', USER_B, '--', '/usr/bin/python3', '-c', ATTACKER,
                                b['sid'], HELPER, '20', '6'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            time.sleep(1.0)
            checks = [(['/usr/bin/x2golistsessions'], 'list'),
                      ([HELPER, 'status', 'S', a['sid']], 'status S'),
                      ([HELPER, 'status', 'R', a['sid']], 'status R'),
                      ([HELPER, 'reserve', str(int(time.time())), 'D', 'XFCE', '24', '-', '8800',
                        '30000', '3'], 'reserve')]
            for argv, what in checks:
                r, took = _timed(argv, USER_A)
                ok(r, what + ' under attack')
                check(took < BOUND, '%s under attack took %.1f s' % (what, took))
                check('T' not in _stored_states(), 'a store server process is stopped')
            eq(sql('SELECT status FROM sessions WHERE session_id=?', (a['sid'],))[0][0], 'R',
               "A's status")
        finally:
            att.wait(30)
            for p in _pids_of(USER_B):
                with contextlib.suppress(OSError):
                    os.kill(p, signal.SIGCONT)
        _drop_rows(USER_A)


HOLD_SLOTS = r'''
import socket, sys, time
held = []
for _ in range(int(sys.argv[1])):   # silent: each holds a server child
    s = socket.socket(socket.AF_UNIX)
    s.connect('/run/x2go/store.sock')
    held.append(s)
print('held', flush=True)
time.sleep(float(sys.argv[2]))
'''


def test_own_busy_slots_mean_wait_not_failure():
    """A user whose every store slot is taken (8 silent connections, as
    lingering children of a burst leave them) still gets the answer: the
    server says busy without resetting the connection and the command asks
    again until a slot frees (the server drops a silent request after 2 s)."""
    Sessions.purge()
    with Sessions() as s:
        a = s.add(USER_A, 'S')
        hold = subprocess.Popen([RUNUSER, '-u', USER_A, '--', '/usr/bin/python3', '-c',
                                 HOLD_SLOTS, '8', '6'], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            eq(hold.stdout.readline(), b'held\n', 'slot holder ready')
            time.sleep(0.3)
            r, took = _timed(['/usr/bin/x2golistsessions'], USER_A)
            ok(r, 'list with all own slots busy')
            check(a['sid'].encode() in r.out, 'own session listed: %r' % r.out)
            check(took > 1.0, 'the slots were not busy (%.1f s): the test proves nothing' % took)
        finally:
            hold.kill()
            hold.wait()


def test_getservers_many_names_and_only_own():
    """Hole 7: far more than 64 KB of distinct server names; a user sees the
    servers of their own sessions only; root sees all."""
    Sessions.purge()
    n = 1500
    names = ['ithost%04d-%s' % (i, 'x' * 80) for i in range(n)]
    try:
        rows = [(20000 + i, names[i], USER_A, 'x2goita-%d-1700000000_stDXFCE_dp24' % (20000 + i))
                for i in range(n)]
        from itlib import db
        with db() as con:
            con.executemany("INSERT INTO sessions(display,server,uname,session_id,status,"
                            "agent_pid) VALUES(?,?,?,?,'S',1)", rows)
        r = ok(run(['/usr/bin/x2gogetservers'], user=USER_A, timeout=60))
        got = r.out.decode().split('\n')
        eq(sorted(got), sorted(names), 'servers of A (%d bytes)' % len(r.out))
        r = ok(run(['/usr/bin/x2gogetservers'], user=USER_B))
        check(not any(x in r.out.decode() for x in names[:5]), "B sees A's server names")
        r = ok(run(['/usr/bin/x2gogetservers']))
        check(all(x in r.out.decode().split('\n') for x in names), 'root misses servers')
    finally:
        _drop_rows(USER_A)


def test_store_server_down_is_one_clear_line():
    """Commands of ordinary users say in one line that the service is not
    running (in a namespace without a server socket)."""
    r = subprocess.run(['/usr/bin/unshare', '--mount', '/bin/sh', '-c',
                        'mount -t tmpfs x /run/x2go && exec "$@"', 'sh', RUNUSER, '-u', USER_A,
                        '--', '/usr/bin/x2golistsessions'], capture_output=True, timeout=30)
    check(r.returncode != 0 and r.stdout == b'', 'list without server: %r' % (r,))
    lines = r.stderr.decode().splitlines()
    eq(len(lines), 1, 'error lines %r' % lines)
    check('not running' in lines[0] and 'x2go-stored' in lines[0], 'error %r' % lines[0])


FULLDISK = r'''
import os, sqlite3, subprocess, sys, time
stored, helper, runuser, user, host, conf = sys.argv[1:7]
out = []
def sh(cmd):
    subprocess.run(['/bin/sh', '-c', cmd], check=True)
def as_user(*argv):
    p = subprocess.run([runuser, '-u', user, '--'] + list(argv), capture_output=True,
                       timeout=60, env={'PATH': '/usr/bin:/bin', 'LANG': 'C'})
    out.append(p.stderr.decode())
    return p
def report(key, value):
    print('%s=%r' % (key, value), flush=True)
gid = int(subprocess.run(['getent', 'group', 'x2gouser'], capture_output=True,
                         text=True).stdout.split(':')[2])
sh('mount -t tmpfs -o size=1m,mode=0770,gid=%d x2goitfull /var/lib/x2go' % gid)
sh('mount -t tmpfs -o mode=0755 x2goitrun /run/x2go')
open('/run/x2go/conf', 'w').write(open(conf).read() + '\n[limit users]\n%s=100000\n' % user)
sh('chmod 0644 /run/x2go/conf && mount --bind /run/x2go/conf %s' % conf)
sh('/usr/sbin/x2godbadmin --createdb >/dev/null')
sh(stored)
db = '/var/lib/x2go/x2go_sessions'
report('ballast_made', os.path.exists(db + '-ballast'))
# seeded like every connection of the server does it: the WAL and
# shared-memory files stay when the last connection closes
rows = ''.join("INSERT INTO sessions(display,server,uname,session_id,status,agent_pid)"
               " VALUES(%d,'itfarmhost2','%s','%s-%d-1700000000_stDXFCE_dp24','%s',1);"
               % (8950 + i, user, user, 8950 + i, 'RS'[i % 2]) for i in range(3))
subprocess.run(['sqlite3', db, '.filectrl persist_wal 1', rows], check=True)
before = subprocess.run(['sqlite3', db, '.filectrl persist_wal 1',
                         'SELECT session_id FROM sessions ORDER BY 1'],
                        capture_output=True, text=True).stdout
# fill the file system (root may use all of tmpfs)
fd = os.open('/var/lib/x2go/fill', os.O_WRONLY | os.O_CREAT, 0o600)
for size in (65536, 512, 1):
    try:
        while True:
            os.write(fd, b'\0' * size)
    except OSError:
        pass
os.close(fd)
st = os.statvfs('/var/lib/x2go')
report('free', st.f_bavail * st.f_frsize)
p = as_user(helper, 'list', 'user', '--all-servers')
report('raw_list', (p.returncode, p.stdout.decode().count('\n')))
p = as_user('/usr/bin/x2golistsessions', '--all-servers')
report('list', (p.returncode, p.stdout.decode().count('\n')))
ok = 0
for i in range(400):
    p = as_user(helper, 'reserve', str(int(time.time())), 'D', 'XFCE', '24', '-', '8800',
                '30000', '3')
    if p.returncode != 0:
        break
    ok += 1
report('reserved', ok)
report('reserve_err', p.stderr.decode().strip())
sid = '%s-8950-1700000000_stDXFCE_dp24' % user
p = as_user(helper, 'status', 'S', sid)
report('suspend', (p.returncode, p.stderr.decode().strip()))
p = as_user(helper, 'status', 'F', '%s-8951-1700000000_stDXFCE_dp24' % user)
report('fail_mark', (p.returncode, p.stderr.decode().strip()))
report('ballast_used', not os.path.exists(db + '-ballast'))
p = as_user(helper, 'list', 'user', '--all-servers')
report('raw_list_after', (p.returncode, p.stdout.decode().count('\n')))
report('createdb_advice', [l for l in out if 'createdb' in l])
os.unlink('/var/lib/x2go/fill')
con = sqlite3.connect(db, isolation_level=None)
report('integrity', con.execute('PRAGMA integrity_check').fetchall())
report('rows', con.execute('SELECT count(*) FROM sessions WHERE uname=?', (user,)).fetchone()[0])
report('ports', con.execute('SELECT count(*) FROM used_ports').fetchone()[0])
con.close()
after = subprocess.run(['sqlite3', db, '.filectrl persist_wal 1',
                         'SELECT session_id FROM sessions ORDER BY 1'],
                       capture_output=True, text=True).stdout
report('seeded_kept', all(l in after.splitlines() for l in before.splitlines()))
p = as_user(helper, 'reserve', str(int(time.time())), 'D', 'XFCE', '24', '-', '8800', '30000', '3')
report('reserve_after_free', p.returncode)
report('ballast_back', os.path.exists(db + '-ballast'))
sh('kill $(cat /run/x2go/stored.pid)')
'''


def test_full_disk_reads_work_and_nothing_is_destroyed():
    """Hole 6: a private store server whose database lives on a 1 MB tmpfs,
    filled during the test. Listing works; reservations go on as long as
    SQLite can and then fail saying the disk is full; suspending and
    marking a session failed still work (the ballast beside the database is
    released for them, and laid down again by the next start once space is
    back); no message recommends x2godbadmin --createdb;
    the database passes integrity_check and holds every committed row."""
    r = subprocess.run(['/usr/bin/unshare', '--mount', '--propagation', 'private',
                        '/usr/bin/python3', '-c', FULLDISK, STORED, HELPER, RUNUSER, USER_A,
                        HOST, SERVER_CONF], capture_output=True, timeout=170)
    check(r.returncode == 0, 'full-disk scenario failed: %r' % r.stderr[-800:])
    res = dict(l.split('=', 1) for l in r.stdout.decode().splitlines() if '=' in l)
    v = {k: eval(x) for k, x in res.items()}  # our own repr() output
    eq(v['free'], 0, 'free bytes after filling')
    eq(v['raw_list'], (0, 3), 'raw list on a full disk (rc, lines)')
    eq(v['list'], (0, 3), 'x2golistsessions on a full disk (rc, lines)')
    check(v['reserved'] < 400, 'reservations never failed on a full disk')
    check('full' in v['reserve_err'], 'reserve error does not say full: %r' % v['reserve_err'])
    check(v['ballast_made'], 'x2godbadmin --createdb laid down no ballast')
    eq(v['suspend'], (0, ''), 'suspend on a full disk (rc, stderr)')
    eq(v['fail_mark'], (0, ''), 'marking a session failed on a full disk (rc, stderr)')
    check(v['ballast_used'], 'the ballast was not released for the suspend')
    # the row marked failed is no longer listed
    eq(v['raw_list_after'], (0, 2 + v['reserved']), 'raw list after the failures')
    eq(v['createdb_advice'], [], 'messages recommending x2godbadmin --createdb')
    eq(v['integrity'], [('ok',)], 'integrity_check')
    eq(v['rows'], 3 + v['reserved'], 'rows: seeded plus committed reservations')
    eq(v['ports'], 3 * v['reserved'], 'ports: three per committed reservation')
    check(v['seeded_kept'], 'a seeded row is gone')
    eq(v['reserve_after_free'], 0, 'reserve once space is back')
    check(v['ballast_back'], 'the ballast is not laid down again once space is back')
