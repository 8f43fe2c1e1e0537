"""x2go-pgstored, the local store server of PostgreSQL hosts, on its own
farm host: commands answered through it print exactly what the direct path
prints, each user's requests run on a connection of that user's own role
(kept between commands), a user cannot act as another through it (the
caller is the socket's peer), and PostgreSQL down or restarting gives one
clear error in bounded time, after which it reconnects by itself."""
import os
import subprocess
import time

import pglib
from pglib import EMPTY, Host, cmd, hosts, START_ARGS, START_ENV, USERS, check, one_error, ok, run

H = 'x2gofarmpgs'
A, B = USERS[0], USERS[1]
SOCK = '/run/x2go/pgstore.sock'
LIST = [cmd('x2golistsessions'), '--all-servers']
# A raw protocol client: the request given in argv, the reply on stdout.
# A server that refuses at once may have closed before the request is sent.
RAW = ('import socket,sys\ns=socket.socket(socket.AF_UNIX);s.connect(%r)\n'
       'try:\n s.sendall(sys.argv[1].replace(",","\\0").encode()+b"\\0");s.shutdown(1)\n'
       'except BrokenPipeError:\n pass\n'
       'sys.stdout.buffer.write(s.makefile("rb").read())' % SOCK)


def binary():
    if pglib.build_cmd:  # <build>/src/cmd/x2go-cmd -> <build>/src/privileged/
        return os.path.join(os.path.dirname(os.path.dirname(pglib.build_cmd)),
                            'privileged', 'x2go-pgstored')
    return '/usr/lib/x2go/x2go-pgstored'


def fill(c):
    """Rows of A and of B on the farm's other hosts (as x2godbuser: the
    reference's rules drop rows another role inserts on a user's behalf)."""
    c.admin(EMPTY)
    c.admin("SET ROLE x2godbuser; INSERT INTO sessions(session_id, display, uname, server,"
            " status, cookie, agent_pid, client, gr_port, sound_port, fs_port, creator_id)"
            " SELECT u || '-' || (60+i) || '-1700000000_stDx_dp24', 60 + i, u, 'other' || (i %% 3),"
            " 'S', md5(i::text), 1000 + i, '127.0.0.1', 30000 + i, 40000 + i, 50000 + i,"
            " 'x2gouser_' || u FROM generate_series(1, 12) i,"
            " (VALUES ('%s'), ('%s')) v(u) WHERE (i %% 2 = 0) = (u = '%s')" % (A, B, B))


def listing(u):
    """The listing of u, its age column (whole seconds, moving) left out."""
    out = ok(run(LIST, user=u, host=H)).lines()
    return [l.split('|')[:12] + l.split('|')[13:] for l in out]


def roles_from_host(c, want=None):
    """(role, backend pid) of every connection from the host's address;
    with want, waiting a little for the roles to be want (the backend of a
    finished command leaves a moment after its client)."""
    end = time.monotonic() + 10
    while True:
        out = c.admin("SELECT usename, pid FROM pg_stat_activity WHERE client_addr = '%s'"
                      " ORDER BY usename, pid" % pglib.ADDRS[H])
        got = [tuple(l.split('|')) for l in out.split()]
        if want is None or [r for r, _ in got] == want or time.monotonic() > end:
            return got
        time.sleep(0.2)


def up(ctx):
    if H not in hosts:
        Host(H)
    if 'server' not in ctx:
        ctx['server'] = hosts[H].popen([binary(), '-f'], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
    end = time.monotonic() + 20
    while time.monotonic() < end and run(['test', '-S', SOCK], host=H).rc != 0:
        if ctx['server'].poll() is not None:
            check(False, 'x2go-pgstored ended: %r' % ctx['server'].stderr.read())
        time.sleep(0.2)
    check(run(['test', '-S', SOCK], host=H).rc == 0, 'x2go-pgstored listens')


def t_same_as_direct(ctx):
    c = ctx['cluster']
    fill(c)
    if H not in hosts:
        Host(H)
    direct = {u: listing(u) for u in (A, B)}
    servers = ok(run([cmd('x2gogetservers')], user=A, host=H)).out
    check(roles_from_host(c, []) == [], 'the direct path keeps no connection')
    up(ctx)
    for u in (A, B):
        got = listing(u)
        check(got == direct[u] and len(got) == 6 and all(f[11] == u for f in got),
              'listing of %s through the server: %r, direct %r' % (u, got[:2], direct[u][:2]))
    check(ok(run([cmd('x2gogetservers')], user=A, host=H)).out == servers, 'x2gogetservers')
    both = ['x2gouser_' + A, 'x2gouser_' + B]
    conns = roles_from_host(c, both)
    check([r for r, _ in conns] == both,
          'one connection per user, each with its own role: %r' % conns)
    ok(run(LIST, user=A, host=H))
    check(roles_from_host(c) == conns, 'the connections are kept between commands')


def t_lifecycle_through_server(ctx):
    c = ctx['cluster']
    up(ctx)
    r = ok(run([cmd('x2gostartagent')] + START_ARGS, user=A, host=H, env=START_ENV, timeout=90))
    sid = r.lines()[3]
    row = c.admin("SELECT server, creator_id, status FROM sessions WHERE session_id='%s'" % sid)
    check(row.strip() == '%s|x2gouser_%s|R' % (H, A), 'started through the server: %r' % row)
    check(sid in ok(run([cmd('x2golistsessions')], user=A, host=H)).out.decode(), 'listed')
    ok(run([cmd('x2goterminate-session'), sid], user=A, host=H, timeout=60))
    st = c.admin("SELECT status FROM sessions WHERE session_id='%s'" % sid).strip()
    check(st in ('F', ''), 'terminated: %r' % st)


def t_caller_is_the_peer(ctx):
    """B's requests, through the commands and raw on the socket, run as B
    even while A's connection is open; root is not served."""
    c = ctx['cluster']
    fill(c)
    up(ctx)
    ok(run(LIST, user=A, host=H))
    a_sid = c.admin("SELECT session_id FROM sessions WHERE uname='%s' LIMIT 1" % A).strip()
    before = c.snapshot()
    raw = run(['python3', '-c', RAW, 'list,user,--all-servers'], user=B, host=H)
    lines = raw.out.decode().split('\n')
    check(raw.rc == 0 and lines[0] == '0' and len(lines[1:-1]) == 6 and
          all(l.split('|')[11] == B for l in lines[1:-1]), 'raw list as B: %r' % raw)
    for req in ('get,' + a_sid, 'status,S,' + a_sid, 'end,' + a_sid, 'abandon,' + a_sid,
                'remove,' + a_sid, 'mount_list,' + a_sid):
        r = run(['python3', '-c', RAW, req], user=B, host=H)
        check(r.rc == 0 and (r.out[:1] in (b'1', b'E') or r.out == b'0\n'),
              'B asking %s: %r' % (req, r))
    for argv in ([cmd('x2gosuspend-session'), a_sid], [cmd('x2goterminate-session'), a_sid]):
        r = run(argv, user=B, host=H, timeout=60)
        check(r.rc != 0 or r.out == b'', '%s of A\'s session as B: %r' % (argv[0], r))
    check(c.snapshot() == before, 'nothing of A changed through B\'s requests')
    r = run(['python3', '-c', RAW, 'list,user,--all-servers'], host=H)
    check(r.out.startswith(b'E\n') and b'root' in r.out, 'root is refused: %r' % r)
    both = ['x2gouser_' + A, 'x2gouser_' + B]
    conns = roles_from_host(c, both)
    check([r for r, _ in conns] == both, 'only the users\' own roles are connected: %r' % conns)


def t_database_restart_and_down(ctx):
    c = ctx['cluster']
    fill(c)
    up(ctx)
    want = listing(A)
    c.stop()
    c.start()
    check(listing(A) == want, 'reconnected after a restart')
    c.stop()
    try:
        r = run(LIST, user=A, host=H, timeout=60)
        one_error(r, 'database down, through the server', 'cannot connect')
        check(r.secs < 15, 'database down: %.1fs' % r.secs)
    finally:
        c.start()
    check(listing(A) == want, 'reconnected after the database was down')
    check(ctx['server'].poll() is None, 'the server itself stays up')


def cleanup(ctx):
    if 'server' in ctx:
        ctx['server'].terminate()
        ctx['server'].wait(10)
    if H in hosts:
        hosts[H].destroy()
    ctx['cluster'].admin(EMPTY)


TESTS = [(f.__name__, f) for f in (t_same_as_direct, t_lifecycle_through_server,
                                   t_caller_is_the_peer, t_database_restart_and_down)]
