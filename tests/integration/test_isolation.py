"""User B against user A's session (spec 8.1 items 1-3, 3.6): every
attempt to change, read the status, agent or cookie of A's session fails
with one clear line and changes nothing; the setgid helper refuses unknown
and injection-shaped operations and arguments."""

import os
import pwd
import subprocess

from itlib import (DB, HELPER, LIB, USER_A, USER_B, Sessions, check, eq, lines_of,
                   one_error_line, ok, row, run, status_of, unchanged)

CHANGESTATUS = LIB + '/x2gochangestatus'
GETSTATUS = LIB + '/x2gogetstatus'
GETAGENT = LIB + '/x2gogetagent'
GETAGENTSTATE = LIB + '/x2gogetagentstate'
INJECT = "x' OR '1'='1"


def _refused(argv, user, what):
    """argv run as user fails cleanly and leaves the database as it was."""
    r = unchanged(lambda: run(argv, user=user), what)
    one_error_line(r, what)
    return r


def _two_sessions(s):
    # No state files: nothing here may look like a suspend request to a
    # clean-up daemon that might be running.
    a = s.add(USER_A, 'R')
    b = s.add(USER_B, 'R')
    return a, b


def test_b_cannot_change_status_of_a():
    with Sessions() as s:
        a, b = _two_sessions(s)
        for st in ('S', 'T', 'F', 'R'):
            _refused([CHANGESTATUS, st, a['sid']], USER_B, 'x2gochangestatus %s <A sid> as B'
                     % st)
        eq(row(a['sid']), tuple(a.values()), "A's row")
        # the same helper works for B's own session (so the refusal above
        # is about ownership, not a broken helper)
        r = ok(run([CHANGESTATUS, 'S', b['sid']], user=USER_B))
        eq(r.out, b'', 'x2gochangestatus prints nothing')
        eq(status_of(b['sid']), 'S', "B's own status changed")
        eq(row(a['sid']), tuple(a.values()), "A's row after B changed B's row")
        ok(run([CHANGESTATUS, 'R', b['sid']], user=USER_B))


def test_b_cannot_get_status_or_agent_of_a():
    with Sessions() as s:
        a, b = _two_sessions(s)
        for cmd in (GETSTATUS, GETAGENT):
            r = _refused([cmd, a['sid']], USER_B, '%s <A sid> as B' % os.path.basename(cmd))
            check(str(a['agent_pid']).encode() not in r.err, 'agent pid of A in the error: %r'
                  % r)
        # positive controls, byte-exact (no newline)
        eq(ok(run([GETSTATUS, b['sid']], user=USER_B)).out, b'R', 'x2gogetstatus own')
        eq(ok(run([GETAGENT, b['sid']], user=USER_B)).out, str(b['agent_pid']).encode(),
           'x2gogetagent own')
        # root may ask about anyone
        eq(ok(run([GETSTATUS, a['sid']])).out, b'R', 'x2gogetstatus as root')
        eq(ok(run([GETAGENT, a['sid']])).out, str(a['agent_pid']).encode(),
           'x2gogetagent as root')


def test_b_does_not_see_a_agent_state():
    with Sessions() as s:
        a, _ = _two_sessions(s)
        s.state(USER_A, a['sid'], 'SUSPENDED')
        r = ok(run([GETAGENTSTATE, a['sid']], user=USER_B))
        eq(r.out, b'UNKNOWN', "B asking for A's agent state")
        eq(ok(run([GETAGENTSTATE, a['sid']], user=USER_A)).out, b'SUSPENDED',
           "A's own agent state")


def test_b_cannot_read_a_cookie():
    with Sessions() as s:
        a, b = _two_sessions(s)
        cookie = a['cookie'].encode()
        # through the commands
        for argv in ([LIB + '/x2golistsessions_sql'], ['/usr/sbin/x2golistsessions_root'],
                     ['/usr/sbin/x2godbadmin', '--listsessions_all']):
            r = _refused(argv, USER_B, '%s as B' % argv[0])
            check(cookie not in r.err, 'cookie in error line')
        for argv in (['/usr/bin/x2golistsessions'], ['/usr/bin/x2golistsessions', '--all-servers'],
                     ['/usr/bin/x2golistshadowsessions', '--all-servers']):
            r = ok(run(argv, user=USER_B))
            check(cookie not in r.out and a['sid'].encode() not in r.out,
                  "%s as B shows A's session" % argv)
        # through the helper
        for args in (['get', a['sid']], ['list', 'root', '--all-servers'],
                     ['list', 'root', 'vm']):
            r = _refused([HELPER] + args, USER_B, 'helper %s as B' % ' '.join(args))
            check(cookie not in r.err, 'cookie in helper error')
        for kind in ('user', 'shadow'):
            r = ok(run([HELPER, 'list', kind, '--all-servers'], user=USER_B))
            check(cookie not in r.out, 'helper list %s as B shows A' % kind)
        # straight from the file
        r = run(['/bin/cat', DB], user=USER_B)
        check(r.rc != 0 and cookie not in r.out, 'B can read the database file: %r' % r)
        r = run(['/usr/bin/sqlite3', DB, 'SELECT cookie FROM sessions'], user=USER_B)
        check(r.rc != 0 and cookie not in r.out, 'B can query the database: %r' % r)
        r = run(['/bin/ls', os.path.dirname(DB)], user=USER_B)
        check(r.rc != 0, 'B can list the database directory: %r' % r)


def test_helper_refuses_a_sid_for_every_op():
    with Sessions() as s:
        a, b = _two_sessions(s)
        cookie = 'f' * 32
        attempts = [
            ['get', a['sid']],
            ['status', 'F', a['sid']],
            ['status', 'T', a['sid']],
            ['resume', a['sid'], '10.9.9.9', '30000'],
            ['create', a['sid'], cookie, str(os.getpid()), '10.9.9.9', '31000', '31001',
             '31002', '-1', '-1'],
            ['remove', a['sid']],
            ['remove', b['sid']],  # root only, even for one's own row
        ]
        for args in attempts:
            _refused([HELPER] + args, USER_B, 'helper %s as B' % args[0])
        eq(row(a['sid']), tuple(a.values()), "A's row")
        eq(row(b['sid']), tuple(b.values()), "B's row")
        # A's start in progress (no agent yet): B can neither complete
        # (create) nor touch it
        resv = s.add(USER_A, 'R', agent=None)
        for args in (['create', resv['sid'], cookie, str(os.getpid()), '10.9.9.9', '31000',
                      '31001', '31002', '-1', '-1'],
                     ['resume', resv['sid'], '10.9.9.9', '30000'],
                     ['status', 'F', resv['sid']], ['get', resv['sid']]):
            _refused([HELPER] + args, USER_B, "helper %s on A's reservation as B" % args[0])
        eq(row(resv['sid']), tuple(resv.values()), "A's reservation")


def test_helper_refuses_unknown_and_injection_shaped_ops():
    with Sessions() as s:
        a, _ = _two_sessions(s)
        ops = [
            [], [''], ['frobnicate'], ['getservers();print 1;#'],
            ['getservers();system("id");#'], ['getstatus', a['sid']],  # a reference op name
            ['listsessionsroot', 'vm'], ['listsessions_all'], ['rmsessionsroot', a['sid']],
            ['changestatus', 'F', a['sid']], ['insertsession', '99', 'vm', a['sid']],
            ['LIST', 'user', 'vm'], ['list ', 'user', 'vm'], [' list', 'user', 'vm'],
            ['list;', 'user', 'vm'], ['list\n', 'user', 'vm'], ['servers;drop table sessions'],
            ['get' + 'x' * 600], ['../x2go-cmd'], ['--help'], ['-h'],
            [INJECT], ["servers' OR '1'='1"], ['servers\x00x'.split('\x00')[0] + '\x01'],
        ]
        for args in ops:
            for user in (USER_A, USER_B):
                _refused([HELPER] + args, user, 'helper op %r as %s' % (args[:1], user))


def test_helper_refuses_injection_shaped_arguments():
    with Sessions() as s:
        a, b = _two_sessions(s)
        own = b['sid']
        bad = [
            ['get', INJECT], ['get', own + "' OR '1'='1"], ['get', own + '--'],
            ['get', own + ';'], ['get', "%"], ['get', '*'], ['get', own.replace('-', '_')],
            ['status', 'F', INJECT], ['status', "F' OR '1'='1", own],
            ['status', 'F', own + "' OR uname<>'x"], ['status', 'X', own], ['status', 'FF', own],
            ['status', 's', own],
            ['list', "user' OR 1=1 --", 'vm'], ['list', 'user', "vm' OR '1'='1"],
            ['list', 'user', 'vm;'], ['list', 'user', '%'], ['list', 'all', 'vm'],
            ['list', 'user'], ['list', 'user', 'vm', 'x'],
            ['resume', own, "10.0.0.1' OR '1'='1", '30000'], ['resume', own, '10.0.0.1', '0'],
            ['resume', own, '300.0.0.1', '30000'], ['resume', own, '10.0.0.1', '70000'],
            ['create', own, "x' OR '1'='1", '1234', '10.0.0.1', '1', '2', '3', '-1', '-1'],
            ['create', own, 'f' * 32, '1; DROP TABLE sessions', '10.0.0.1', '1', '2', '3', '-1',
             '-1'],
            ['create', own, 'F' * 32, '1234', '10.0.0.1', '1', '2', '3', '-1', '-1'],
            ['create', own, 'f' * 32, '1234', '10.0.0.1', '1', '2', '3', '-2', '-1'],
            # the server names the host: a server name is one argument too many
            ['reserve', "vm' OR '1'='1", '1795480859', 'D', 'XFCE', '24', '-', '50', '30000', '3'],
            ['reserve', '1795480859', 'D', "XFCE'; DROP TABLE sessions; --", '24', '-',
             '50', '30000', '3'],
            ['reserve', '1795480859', 'X', 'XFCE', '24', '-', '50', '30000', '3'],
            ['reserve', '17954808', 'D', 'XFCE', '24', '-', '50', '30000', '3'],
            ['reserve', '1795480859', 'D', 'XFCE', '100', '-', '50', '30000', '3'],
            ['reserve', '1795480859', 'D', 'XFCE', '24', '-', '5', '30000', '3'],
            ['reserve', '1795480859', 'D', 'XFCE', '24', '-', '50', '30000', '4'],
            ['reserve', '1795480859', 'D', 'XFCE', '24', 'h st', '50', '30000', '3'],
            ['servers', 'x'],
        ]
        for args in bad:
            _refused([HELPER] + args, USER_B, 'helper %r as B' % args)
        eq(row(a['sid']), tuple(a.values()), "A's row")
        eq(row(b['sid']), tuple(b.values()), "B's row")


def test_helper_environment_does_not_steer_it():
    """The helper clears its environment: SQLite's and the loader's
    variables from the caller change nothing."""
    with Sessions() as s:
        _, b = _two_sessions(s)
        env = {'PATH': '/nonexistent', 'SQLITE_TMPDIR': '/nonexistent', 'TMPDIR': '/nonexistent',
               'HOME': '/nonexistent', 'LANG': 'C', 'IFS': ';'}
        r = run([HELPER, 'get', b['sid']], user=USER_B, env=env)
        ok(r, 'helper get with a hostile environment')
        check(r.out.decode().split('|')[1] == b['sid'], 'helper get own: %r' % r)
        lines = lines_of(ok(run([HELPER, 'list', 'user', '--all-servers'], user=USER_B)))
        eq([l.split('|')[1] for l in lines], [b['sid']], 'helper list as B')


def test_no_setid_program_and_store_server_unprivileged():
    """No set-id program is installed; the store server runs as x2gouser
    with no other id and no supplementary group; its socket is the only
    way in."""
    import grp
    import stat
    # ours: every x2go* program there but another package's (x2gobroker-agent
    # ships its own set-id helper in /usr/lib/x2go)
    others = set()
    r = subprocess.run(['dpkg', '-S', LIB + '/*'], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        pkg, path = line.split(': ', 1)
        if not pkg.startswith('x2goserver-c'):
            others.add(path)
    for d in (LIB, '/usr/bin', '/usr/sbin'):
        for n in os.listdir(d):
            p = os.path.join(d, n)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and n.startswith('x2go') and p not in others:
                check(not st.st_mode & 0o6000, 'set-id program %s' % p)
    check(not os.path.exists(LIB + '/x2go-sqlite-helper'), 'the old helper is still there')
    pw = pwd.getpwnam('x2gouser')
    gid = grp.getgrnam('x2gouser').gr_gid
    def comm(p):
        try:
            return open('/proc/%s/comm' % p).read().strip()
        except OSError:  # gone meanwhile
            return None
    pids = [p for p in os.listdir('/proc') if p.isdigit() and comm(p) == 'x2go-stored']
    check(pids, 'no x2go-stored running')
    seen = 0
    for p in pids:
        try:  # a request's child may be gone meanwhile; the server stays
            text = open('/proc/%s/status' % p).read()
        except OSError:
            continue
        seen += 1
        st = dict(l.split(':', 1) for l in text.splitlines())
        eq(st['Uid'].split(), [str(pw.pw_uid)] * 4, 'x2go-stored %s uids' % p)
        eq(st['Gid'].split(), [str(gid)] * 4, 'x2go-stored %s gids' % p)
        eq(st['Groups'].split(), [], 'x2go-stored %s groups' % p)
        eq(st['CapEff'].strip(), '0000000000000000', 'x2go-stored %s capabilities' % p)
    check(seen > 0, 'no x2go-stored left to check')
    sock = os.lstat('/run/x2go/store.sock')
    eq((sock.st_uid, stat.S_IMODE(sock.st_mode)), (0, 0o666), 'socket owner and mode')
    d = os.lstat('/run/x2go')
    eq((d.st_uid, stat.S_IMODE(d.st_mode)), (0, 0o755), 'socket directory owner and mode')
    db = os.stat(DB)
    eq((db.st_uid, grp.getgrgid(db.st_gid).gr_name, db.st_mode & 0o777),
       (0, 'x2gouser', 0o660), 'database owner and mode')
    d = os.stat(os.path.dirname(DB))
    eq((d.st_uid, d.st_mode & 0o777), (0, 0o770), 'database directory owner and mode')
