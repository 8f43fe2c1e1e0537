"""What clients parse, byte for byte, and every exit status they can meet
(spec 2.1.1, 2.1.3-2.1.5, Appendix A 2, 5, 6; client contract 2.4, 3.1):

* x2gostartagent's seven lines against the stored row (real nxagent);
* its failure exits 3-12, each with empty stdout, one stderr line and
  nothing stored;
* x2gosuspend-session / x2goterminate-session: silent, exit 0, the status
  they store; 255 without a session id;
* x2goresume-session's gr_port=/sound_port=/fs_port= lines against the
  stored row, also when the old graphics port is taken meanwhile; exit 3
  for a terminated session, 1 for too few arguments.
"""

import os
import pwd
import re
import socket
import sqlite3
import subprocess
import time

from itlib import (ENV, HOST, RUNUSER, SERVER_CONF, USER_A, USER_B, PrivateDB, Result, Sessions,
                   check, db, eq, fix_db_perms, lines_of, match_line, ok, one_error_line,
                   replaced_file, row, run, snapshot, sql, status_of, uid_of, unchanged)

START_ARGS = ['800x600', 'lan', '16m-jpeg-9', 'unix-kde-depth_24', 'us', 'pc105/us', '1', 'D',
              'XTERM', 'both']
RESUME_ARGS = ['800x600', 'lan', '16m-jpeg-9', 'us', 'pc105/us', '1', 'both', 'no']
CLIENT_IP = '10.0.0.5'


def user_env(user, **extra):
    """The environment sshd gives a command of user (SSH_CLIENT set)."""
    pw = pwd.getpwnam(user)
    env = dict(ENV, HOME=pw.pw_dir, USER=user, LOGNAME=user,
               SSH_CLIENT='%s 40000 22' % CLIENT_IP)
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def cmd(user, argv, **extra):
    """argv as user with exactly user_env(): through env(1), since runuser
    resets HOME, USER and LOGNAME."""
    env = ['%s=%s' % kv for kv in sorted(user_env(user, **extra).items())]
    r = run(['/usr/bin/env', '-i'] + env + list(argv), user=user, timeout=120)
    r.argv = list(argv)
    return r


def start(user=USER_A, args=START_ARGS, **extra):
    return cmd(user, ['x2gostartagent'] + list(args), **extra)


def sids_of(user):
    return {r[0] for r in sql('SELECT session_id FROM sessions WHERE uname=?', (user,))}


def files_of(user):
    top = '/tmp/.x2go-%s' % user
    return sorted(os.listdir(top)) if os.path.isdir(top) else []


def refused(r, rc, what, says=None):
    """A start that must fail: this exit status, nothing on stdout, one
    line on stderr (containing `says`)."""
    line = one_error_line(r, what)
    eq(r.rc, rc, 'exit status of %s (stderr %r)' % (what, line))
    if says:
        check(says in line, '%s: stderr %r lacks %r' % (what, line, says))
    return line


def start_refused(rc, what, says=None, user=USER_A, args=START_ARGS, runner=None, **extra):
    """Refused, and neither the database nor the session files changed.
    Returns the stderr line."""
    before = files_of(user)
    try:
        r = unchanged(lambda: (runner or start)(user=user, args=args, **extra), what)
    finally:
        kill_agents(user)
    line = refused(r, rc, what, says)
    eq(sids_of(user), set(), 'rows of %s after %s' % (user, what))
    eq(files_of(user), before, 'session dirs of %s after %s' % (user, what))
    return line


def kill_agents(user):
    """Agents a start left running (a test that failed half-way)."""
    uid = uid_of(user)
    for d in os.listdir('/proc'):
        try:
            if d.isdigit() and os.stat('/proc/' + d).st_uid == uid:
                with open('/proc/%s/comm' % d) as f:
                    if f.read().strip() == 'x2goagent':
                        os.kill(int(d), 9)
        except OSError:
            pass


def agent_gone(pid, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open('/proc/%d/stat' % pid) as f:
                if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


# ------------------------------------------------------------------- start

def test_start_prints_seven_lines_of_the_stored_row():
    with Sessions() as s:
        r = start()
        try:
            ok(r, 'x2gostartagent')
            out = r.out.decode()
            check(out.endswith('\n'), 'start output without final newline: %r' % out)
            lines = out[:-1].split('\n')
            eq(len(lines), 7, 'number of start lines in %r' % out)
            sid = lines[3]
            s.sids.append(sid)
            st = row(sid)
            check(st is not None, 'no row for the printed sid %r' % sid)
            (_, display, uname, server, client, status, _, _, cookie, pid, gr, snd, fs,
             tc, td) = st
            want = [str(display), cookie, str(pid), sid, str(gr), str(snd), str(fs)]
            eq(lines, want, 'start lines against the stored row')
            eq((uname, server, client, status, tc, td), (USER_A, HOST, CLIENT_IP, 'R', -1, -1),
               'stored owner, host, client, status, telekinesis ports')
            check(re.fullmatch(r'[0-9a-f]{32}', cookie), 'cookie %r' % cookie)
            check(re.fullmatch(r'%s-%d-\d{10}_stDXTERM_dp24' % (USER_A, display), sid),
                  'session id %r' % sid)
            eq(sorted(p for (p,) in sql('SELECT port FROM used_ports WHERE session_id=?',
                                        (sid,))), sorted([gr, snd, fs]), 'used_ports of ' + sid)
            with open('/proc/%d/comm' % pid) as f:
                eq(f.read().strip(), 'x2goagent', 'name of agent process %d' % pid)
            eq(os.stat('/proc/%d' % pid).st_uid, uid_of(USER_A), 'owner of the agent')
            listed = lines_of(ok(cmd(USER_A, ['x2golistsessions']), 'x2golistsessions'))
            eq(len(listed), 1, 'list lines after the start: %r' % listed)
            match_line(listed[0], Sessions.info(sid), age_range=(0, 60))

            silent('x2goterminate-session', sid)
            check(agent_gone(pid), 'agent %d still alive after terminate' % pid)
            eq(lines_of(ok(cmd(USER_A, ['x2golistsessions']), 'list after terminate')), [],
               'list after terminate')
            check(status_of(sid) in ('F', None), 'status after terminate: %r' % status_of(sid))
        finally:
            kill_agents(USER_A)


def test_start_without_passwd_entry_exits_3():
    def runner(user, args, **extra):
        env = dict(ENV, HOME='/tmp', USER='', SSH_CLIENT='%s 40000 22' % CLIENT_IP)
        p = subprocess.run(['/usr/bin/setpriv', '--reuid=4123456', '--regid=4123456',
                            '--clear-groups', 'x2gostartagent'] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60)
        return Result(['x2gostartagent'] + list(args), 'uid 4123456', p.returncode, p.stdout,
                      p.stderr)
    with Sessions():
        start_refused(3, 'start by a uid without a passwd entry', runner=runner)


def test_start_without_home_exits_4():
    with Sessions():
        start_refused(4, 'start with HOME empty', '$HOME', HOME='')
        start_refused(4, 'start without HOME', '$HOME', HOME=None)


def test_start_with_non_ascii_home_exits_5():
    with Sessions():
        start_refused(5, 'start with a non-ASCII HOME', 'non-ASCII', HOME='/home/x\u00e9')


def test_start_with_bad_hostname_exits_6():
    def runner(user, args, **extra):
        inner = [RUNUSER, '-u', user, '--', 'x2gostartagent'] + list(args)
        p = subprocess.run(['/usr/bin/unshare', '--uts', '/bin/sh', '-c',
                            'echo "bad_host!" >/proc/sys/kernel/hostname || exit 99; exec "$@"',
                            'sh'] + inner, stdin=subprocess.DEVNULL, capture_output=True,
                           env=user_env(user), timeout=60)
        check(p.returncode != 99, 'cannot set a host name: %r' % p.stderr)
        return Result(inner[4:], user, p.returncode, p.stdout, p.stderr)
    with Sessions():
        start_refused(6, 'start with an invalid host name', 'hostname', runner=runner)


def test_start_without_client_address_exits_7():
    with Sessions():
        start_refused(7, 'start without SSH_CLIENT/SSH_CONNECTION', 'X2GO_CLIENT',
                      SSH_CLIENT=None, SSH_CONNECTION=None, X2GO_CLIENT=None)


def test_start_shadowing_another_user_is_access_denied_exit_8():
    args = START_ARGS[:7] + ['S', '0XSHAD%sXSHAD:50' % USER_B]
    with Sessions():
        start_refused(8, 'shadow request for another user', 'ACCESS DENIED', args=args)


def test_start_over_the_limit_prints_limit_exit_9():
    with open(SERVER_CONF) as f:
        conf = f.read()
    conf = conf.replace('[limit users]\n', '[limit users]\n%s=1\n' % USER_A, 1)
    check('%s=1' % USER_A in conf, 'no [limit users] section in %s' % SERVER_CONF)
    with Sessions() as s, replaced_file(SERVER_CONF, conf):
        info = s.add(USER_A)
        before = files_of(USER_A)
        try:
            r = unchanged(start, 'start over the session limit')
        finally:
            kill_agents(USER_A)
        # x2goclient looks for "LIMIT" in stderr (client contract 3.1)
        refused(r, 9, 'start over the session limit', 'LIMIT')
        eq(sids_of(USER_A), {info['sid']}, 'rows after the refused start')
        eq(files_of(USER_A), before, 'session dirs after the refused start')


def _full_db(pdb, what):
    """A private database with the live schema where every display
    (what='display') or every port (what='port') a start could take is
    taken."""
    with db() as live:
        schema = [q for (q,) in live.execute(
            "SELECT sql FROM sqlite_master WHERE sql NOT NULL AND name NOT LIKE 'sqlite_%'"
            " ORDER BY rowid")]
        version = live.execute('PRAGMA user_version').fetchone()[0]
    con = sqlite3.connect(pdb.db, isolation_level=None)
    for q in schema:
        con.execute(q)
    con.execute('PRAGMA user_version=%d' % version)
    con.execute('BEGIN')
    # rows of another server of the farm: no reconciliation touches them,
    # but their displays and ports are taken all the same
    fill = 'x2goitfill-%d-1700000000_stDXTERM_dp24'
    other = 'x2goitotherhost'
    add = "INSERT INTO sessions(session_id, display, uname, server, status) VALUES (?,?,?,?,'S')"
    if what == 'display':
        con.executemany(add, ((fill % d, d, 'x2goitfill', other) for d in range(10, 10000)))
    else:
        con.execute(add, (fill % 60, 9999, 'x2goitfill', other))
        con.executemany('INSERT INTO used_ports(server, session_id, port) VALUES (?,?,?)',
                        ((other, fill % 60, p) for p in range(30000, 65536)))
    con.execute('COMMIT')
    con.close()
    fix_db_perms(pdb.db)


def _rows(path):
    """The database's content, whatever its journal mode (a command may
    switch a fresh file to WAL)."""
    return [l for l in snapshot(path)[1].splitlines() if not l.startswith('PRAGMA journal_mode')]


def _start_in(pdb, rc, what, says):
    before = _rows(pdb.db)
    try:
        r = pdb.run(['/usr/bin/env', '-i'] + ['%s=%s' % kv for kv in user_env(USER_A).items()]
                    + ['x2gostartagent'] + START_ARGS, user=USER_A)
    finally:
        kill_agents(USER_A)
    refused(r, rc, what, says)
    after = _rows(pdb.db)
    check(after == before, 'database changed by %s: %s' % (what, ' | '.join(
        ['-' + l for l in before if l not in after][:3] + ['+' + l for l in after if l not in before][:3])))
    eq(files_of(USER_A), [], 'session dirs after %s' % what)


def test_start_without_free_display_exits_10():
    with Sessions(), PrivateDB() as pdb:
        _full_db(pdb, 'display')
        _start_in(pdb, 10, 'start with every display taken', 'display')


def test_start_without_free_port_exits_11():
    with Sessions(), PrivateDB() as pdb:
        _full_db(pdb, 'port')
        _start_in(pdb, 11, 'start with every port taken', 'port')


def test_start_whose_agent_dies_exits_12():
    with Sessions():
        try:
            r = start(X2GO_NXAGENT_OPTIONS='-no-such-nxagent-option')
        finally:
            kill_agents(USER_A)
        line = refused(r, 12, 'start whose agent exits at once', 'terminated unexpectedly')
        check(re.search(r'Failed to start X2Go Agent session with ID %s-\d+-' % USER_A, line),
              'agent failure line %r' % line)
        # what was reserved for it is given back
        eq(sids_of(USER_A), set(), 'rows of %s after the failed start' % USER_A)
        eq(sql("SELECT port FROM used_ports WHERE session_id LIKE ?", (USER_A + '-%',)), [],
           'used_ports of the failed start')


# --------------------------------------------------- suspend, terminate, resume

def silent(command, sid):
    """Suspend and terminate succeed silently: exit 0, no output."""
    r = cmd(USER_A, [command, sid])
    eq((r.rc, r.out, r.err), (0, b'', b''), '%s exit, stdout, stderr' % command)


def test_suspend_is_silent_and_stores_s():
    with Sessions() as s:
        info = s.add(USER_A, agent='answering', state='RUNNING')
        silent('x2gosuspend-session', info['sid'])
        eq((status_of(info['sid']), s.agent_state(USER_A, info['sid']),
            os.path.exists('/proc/%d' % info['agent_pid'])), ('S', 'SUSPENDED', True),
           'stored status, agent state, agent alive after suspend')


def test_terminate_is_silent_and_ends_the_agent():
    with Sessions() as s:
        info = s.add(USER_A, agent='answering', state='RUNNING')
        silent('x2goterminate-session', info['sid'])
        check(agent_gone(info['agent_pid']), 'agent alive after terminate')
        check(status_of(info['sid']) in ('F', None), 'status after terminate: %r'
              % status_of(info['sid']))


def test_suspend_and_terminate_without_sid_exit_255():
    with Sessions():
        for c in ('x2gosuspend-session', 'x2goterminate-session'):
            r = unchanged(lambda: cmd(USER_A, [c], X2GO_SESSION=None), c + ' without a sid')
            refused(r, 255, c + ' without a session id')


def _resume_lines(sid):
    r = cmd(USER_A, ['x2goresume-session', sid] + RESUME_ARGS)
    ok(r, 'x2goresume-session')
    st = Sessions.info(sid)
    eq(r.out.decode(), 'gr_port=%d\nsound_port=%d\nfs_port=%d\n'
       % (st['gr_port'], st['sound_port'], st['fs_port']), 'resume lines against the stored row')
    eq(st['status'], 'R', 'stored status after resume')
    eq(st['client'], CLIENT_IP, 'stored client after resume')
    return st


def test_resume_prints_the_stored_ports():
    with Sessions() as s:
        info = s.add(USER_A, status='S', agent='answering', state='SUSPENDED')
        s.options(USER_A, info)
        st = _resume_lines(info['sid'])
        eq((st['gr_port'], st['sound_port'], st['fs_port']),
           (info['gr_port'], info['sound_port'], info['fs_port']), 'free ports kept on resume')


def test_resume_replaces_a_taken_graphics_port():
    with Sessions() as s:
        info = s.add(USER_A, status='S', agent='answering', state='SUSPENDED')
        s.options(USER_A, info)
        busy = socket.socket()
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(('0.0.0.0', info['gr_port']))
        busy.listen(1)
        try:
            st = _resume_lines(info['sid'])
        finally:
            busy.close()
        check(st['gr_port'] != info['gr_port'], 'graphics port %d kept although taken'
              % info['gr_port'])
        eq((st['sound_port'], st['fs_port']), (info['sound_port'], info['fs_port']),
           'free sound and file-sharing ports kept')


def test_resume_of_a_terminated_session_exits_3():
    with Sessions() as s:
        info = s.add(USER_A, status='S', agent='live', state='TERMINATED')
        r = cmd(USER_A, ['x2goresume-session', info['sid']] + RESUME_ARGS)
        line = refused(r, 3, 'resume of a terminated session')
        # x2goclient shows it: "Connection failed. session <sid> terminated"
        check(line.endswith('session %s terminated' % info['sid']), 'resume refusal %r' % line)


def test_resume_with_too_few_arguments_is_refused():
    with Sessions() as s:
        info = s.add(USER_A, status='S', agent='answering', state='SUSPENDED')
        s.options(USER_A, info)
        r = unchanged(lambda: cmd(USER_A, ['x2goresume-session', info['sid']] + RESUME_ARGS[:5]),
                      'resume with 6 arguments')
        # spec 2.1.3 says exit 1; no client calls it this way
        one_error_line(r, 'resume with 6 arguments')
        eq(s.agent_state(USER_A, info['sid']), 'SUSPENDED', 'agent state after refused resume')
