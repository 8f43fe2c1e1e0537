"""Stress (issue: one user must never deny the service to the others): 20
users start, suspend, resume and terminate sessions concurrently through
the store server while an attacker SIGSTOPs everything it owns, floods the
server with silent connections and floods it with reservations. Nothing is
lost, no session is wrongly ended, the database passes integrity_check.

Runs a private store server on a private database in its own mount
namespace (the clean-up daemon of the host never sees these rows); agents
are stand-ins (bench/standin.c): processes that carry "-name X2GO-<sid>"
like an agent. X2GO_STRESS_SECONDS sets the duration (default 60)."""
import os
import subprocess
import tempfile

from itlib import HELPER, RUNUSER, STORED, check, eq

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN_SRC = os.path.join(HERE, '..', '..', 'bench', 'standin.c')
USERS = ['x2gostress%02d' % i for i in range(1, 21)]
ATTACKER = 'x2gostressatt'

WORKER = r'''
import os, random, signal, subprocess, sys, time
helper, standin, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
fails, done = [], 0
def call(*args):
    p = subprocess.run([helper] + list(args), capture_output=True, timeout=30)
    if p.returncode != 0:
        fails.append('%s: %s' % (args[0], p.stderr.decode().strip()))
    return p.stdout.decode()
def start():
    r = call('reserve', str(int(time.time())), 'D', 'XFCE', '24', '-', '100', '30000', '3')
    if not r:
        return None, None
    disp, sid, *ports = r.split()
    agent = subprocess.Popen(['x2goagent', '-name', 'X2GO-' + sid], executable=standin)
    call('create', sid, '%032x' % random.getrandbits(128), str(agent.pid), '127.0.0.1',
         *ports)
    return sid, agent
keep, keep_agent = start()
end = time.monotonic() + seconds
while time.monotonic() < end and len(fails) < 5:
    sid, agent = start()
    if not sid:
        continue
    call('status', 'S', sid)
    call('resume', sid, '127.0.0.1', '30000')
    call('status', 'R', sid)
    line = call('get', sid)
    if '|R|' not in line:
        fails.append('get after resume: %r' % line)
    agent.kill(); agent.wait()
    call('status', 'F', sid)
    call('abandon', sid)
    done += 1
own = call('list', 'user', '--all-servers')
if not keep:
    fails.append('the first start failed')
elif keep not in own or [l for l in own.splitlines() if keep in l][0].split('|')[4] != 'R':
    fails.append('long-lived session %s lost or changed: %r' % (keep, own))
if len(own.splitlines()) != 1:
    fails.append('left-over rows: %r' % own)
if keep_agent:
    keep_agent.kill()
print('done=%d' % done)
for f in fails:
    print('FAIL ' + f)
'''

ATTACK = r'''
import os, signal, socket, subprocess, sys, time
helper, seconds = sys.argv[1], float(sys.argv[2])
end = time.monotonic() + seconds
held = []
while time.monotonic() < end:
    for _ in range(20):       # reservations until the cap refuses
        subprocess.Popen([helper, 'reserve', str(int(time.time())), 'D', 'XFCE', '24', '-',
                          '100', '30000', '3'], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(50):       # silent connections
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect('/run/x2go/store.sock')
            held.append(s)
        except OSError:
            pass
    held = held[-300:]
    for _ in range(20):       # stop everything we own (not ourselves)
        os.kill(-1, signal.SIGSTOP)
        time.sleep(0.02)
    os.kill(-1, signal.SIGCONT)
    time.sleep(0.05)
os.kill(-1, signal.SIGKILL)
'''


def _ensure_users():
    for u in USERS + [ATTACKER]:
        if subprocess.run(['id', u], capture_output=True).returncode != 0:
            subprocess.run(['useradd', '-M', '-d', '/nonexistent', '-s', '/bin/false', u],
                           check=True)


INNER = r'''
set -e
mount --bind "$1" /var/lib/x2go
mount -t tmpfs -o mode=0755 x2gostress /run/x2go
/usr/sbin/x2godbadmin --createdb >/dev/null
"$2"
shift 2
"$@"
kill $(cat /run/x2go/stored.pid)
'''


def test_twenty_users_under_attack():
    _ensure_users()
    seconds = os.environ.get('X2GO_STRESS_SECONDS', '60')
    with tempfile.TemporaryDirectory(prefix='x2gostress.') as tmp:
        standin = os.path.join(tmp, 'x2goagent')
        subprocess.run(['cc', '-O2', '-o', standin, STANDIN_SRC], check=True)
        os.chmod(tmp, 0o755)
        dbdir = os.path.join(tmp, 'db')
        os.mkdir(dbdir, 0o770)
        subprocess.run(['chgrp', 'x2gouser', dbdir], check=True)
        driver = os.path.join(tmp, 'driver.py')
        with open(driver, 'w') as f:
            f.write(DRIVER)
        r = subprocess.run(['/usr/bin/unshare', '--mount', '--propagation', 'private', '/bin/sh',
                            '-c', INNER, 'sh', dbdir, STORED, '/usr/bin/python3', driver,
                            RUNUSER, HELPER, standin, seconds, ATTACKER] + USERS,
                           capture_output=True, text=True, timeout=int(seconds) + 120)
        out = r.stdout.splitlines()
        check(r.returncode == 0, 'stress driver failed: %s %s' % (r.stderr[-600:], out[-5:]))
        fails = [l for l in out if l.startswith('FAIL')]
        eq(fails, [], 'failed operations of the 20 users')
        done = sum(int(l.split('=')[1]) for l in out if l.startswith('done='))
        check(done >= 20, 'only %d full session cycles in %s s' % (done, seconds))
        check('integrity=ok' in out, 'integrity_check: %r' % out[-3:])


DRIVER = r'''
import sqlite3, subprocess, sys
runuser, helper, standin, seconds, attacker = sys.argv[1:6]
users = sys.argv[6:]
att = subprocess.Popen([runuser, '-u', attacker, '--', '/usr/bin/python3', '-c', ATTACK,
                        helper, seconds], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ws = [subprocess.Popen([runuser, '-u', u, '--', '/usr/bin/python3', '-c', WORKER, helper,
                        standin, seconds], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True) for u in users]
for u, w in zip(users, ws):
    out, _ = w.communicate(timeout=float(seconds) + 90)
    for line in out.splitlines():
        print(line if not line.startswith('FAIL') else 'FAIL %s %s' % (u, line[5:]))
    if w.returncode != 0:
        print('FAIL %s worker exit %d: %r' % (u, w.returncode, out[-300:]))
try:
    att.wait(30)
except subprocess.TimeoutExpired:
    att.kill()
con = sqlite3.connect('/var/lib/x2go/x2go_sessions')
print('integrity=' + con.execute('PRAGMA integrity_check').fetchone()[0])
'''.replace('ATTACK,', repr(ATTACK) + ',').replace('WORKER,', repr(WORKER) + ',')
