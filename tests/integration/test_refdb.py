"""A database created by the reference (its schema, its journal mode, rows
written the way its Perl code writes them) is read and listed correctly
(issue 2: "an existing reference database is read and written as it is")."""

import os
import sqlite3
import tempfile

from itlib import (DB, HOST, LIB, USER_A, USER_B, Sessions, by_sid, check, db, eq, lines_of,
                   match_line, of_user, ok, run, PrivateDB, age_now)

SID_A = '%s-50-1795480859_stDXFCE_dp24' % USER_A
SID_A2 = '%s-51-1795480896_stDTERMINAL_dp24' % USER_A
SID_B = '%s-52-1795481037_stDXDMCP_dp24_10.1.2.3' % USER_B


def _reference_file(path, pid_a, pid_a2, pid_b):
    """The reference schema and rows as Appendix B's sqlite3 dump shows
    them, inserted as the reference's phases do (insert, then update)."""
    from itlib import make_reference_db
    make_reference_db(path)
    con = sqlite3.connect(path, isolation_level=None)
    # phase 1 (db_insertsession), then phase 3 (db_createsession), then
    # db_insertport, with Appendix B's values and times
    for sid, disp, user, pid, cookie, client, ports, status in (
            (SID_A, 50, USER_A, pid_a, '3ebbe794a3494f5ad424bce6f8617c8b', '10.0.0.5',
             (30138, 30139, 30140), 'R'),
            (SID_A2, 51, USER_A, pid_a2, '5a0a4bbbd0c2e1a5c3ad0e3b2b6a4c11', '10.0.0.5',
             (31444, 31445, 31446), 'S'),
            (SID_B, 52, USER_B, pid_b, 'c0ffee00c0ffee00c0ffee00c0ffee00', '10.1.2.3',
             (30141, 30142, 30143), 'R')):
        con.execute("insert into sessions (display,server,uname,session_id,init_time,"
                    "last_time) values (?,?,?,?,'2026-11-24 00:41:00','2026-11-24 00:41:00')",
                    (disp, HOST, user, sid))
        for p in ports:
            con.execute('insert into used_ports (server,session_id,port) values (?,?,?)',
                        (HOST, sid, p))
        con.execute("update sessions set status=?,last_time='2026-11-24 00:41:02',cookie=?,"
                    "agent_pid=?,client=?,gr_port=?,sound_port=?,fs_port=?,tekictrl_port=?,"
                    "tekidata_port=? where session_id=? and uname=?",
                    (status, cookie, pid, client, ports[0], ports[1], ports[2], -1, -1, sid,
                     user))
    con.close()


def _schema(path):
    con = sqlite3.connect(path)
    try:
        return sorted(con.execute('SELECT type, name, sql FROM sqlite_master').fetchall())
    finally:
        con.close()


def test_reference_database_is_listed_correctly():
    with Sessions() as s, tempfile.TemporaryDirectory() as tmp:
        pid_a = s.agent(USER_A, SID_A)
        pid_a2 = s.agent(USER_A, SID_A2)
        pid_b = s.agent(USER_B, SID_B)
        # no state file for SID_A: its status change below must not look
        # like a broker's suspend request to a clean-up daemon
        s.state(USER_A, SID_A2, 'SUSPENDED')
        ref = os.path.join(tmp, 'x2go_sessions')
        _reference_file(ref, pid_a, pid_a2, pid_b)
        schema = _schema(ref)
        with sqlite3.connect(ref) as con:
            eq(con.execute('PRAGMA journal_mode').fetchone()[0], 'delete',
               'the reference database uses a rollback journal')
        age0 = age_now('2026-11-24 00:41:00')
        ages = (age0 - 5, age0 + 60)
        with PrivateDB(ref) as p:
            r = ok(p.run(['/usr/bin/x2golistsessions'], user=USER_A))
            lines = lines_of(r)
            eq([l.split('|')[1] for l in lines], [SID_A2, SID_A], "A's sessions, S first")
            want_a = ('%d|%s|50|%s|R|2026-11-24T00:41:00|3ebbe794a3494f5ad424bce6f8617c8b|'
                      '10.0.0.5|30138|30139|2026-11-24T00:41:02|%s|{age}|30140|-1|-1'
                      % (pid_a, SID_A, HOST, USER_A))
            age = int(lines[1].split('|')[12])
            check(ages[0] <= age <= ages[1], 'age %d' % age)
            eq(lines[1], want_a.format(age=age), 'Appendix B line from a reference database')
            want_a2 = ('%d|%s|51|%s|S|2026-11-24T00:41:00|5a0a4bbbd0c2e1a5c3ad0e3b2b6a4c11|'
                       '10.0.0.5|31444|31445|2026-11-24T00:41:02|%s|{age}|31446|-1|-1'
                       % (pid_a2, SID_A2, HOST, USER_A))
            eq(lines[0], want_a2.format(age=int(lines[0].split('|')[12])), 'S line')

            r = ok(p.run(['/usr/bin/x2golistsessions'], user=USER_B))
            lines = lines_of(r)
            eq(len(lines), 1, "B's sessions")
            eq(lines[0].split('|')[:5], [str(pid_b), SID_B, '52', HOST, 'R'], "B's line")

            r = ok(p.run(['/usr/sbin/x2golistsessions_root']))
            eq(sorted(by_sid(of_user(lines_of(r), USER_A, USER_B))),
               sorted([SID_A, SID_A2, SID_B]), 'root list of a reference database')
            eq(ok(p.run(['/usr/bin/x2gogetservers'], user=USER_A)).out, HOST.encode(),
               'x2gogetservers')
            eq(ok(p.run([LIB + '/x2gogetstatus', SID_A], user=USER_A)).out, b'R', 'getstatus')
            eq(ok(p.run([LIB + '/x2gogetagent', SID_A], user=USER_A)).out,
               str(pid_a).encode(), 'getagent')
            # and written: a status change goes into the reference file
            ok(p.run([LIB + '/x2gochangestatus', 'S', SID_A], user=USER_A))
            with db(p.db) as con:
                eq(con.execute('SELECT status FROM sessions WHERE session_id=?',
                               (SID_A,)).fetchone()[0], 'S', 'status written')
                eq(con.execute('SELECT count(*) FROM used_ports').fetchone()[0], 9,
                   'used_ports rows kept')
            shown = _schema(p.db)
        eq(shown, schema, 'schema of the reference database after our commands')


def test_reference_database_written_without_teki_values():
    """Rows the reference wrote before Telekinesis existed (NULL teki
    ports) list with empty fields 15 and 16, as the reference prints."""
    with Sessions() as s, tempfile.TemporaryDirectory() as tmp:
        pid = s.agent(USER_A, SID_A)
        ref = os.path.join(tmp, 'x2go_sessions')
        from itlib import make_reference_db
        make_reference_db(ref)
        con = sqlite3.connect(ref, isolation_level=None)
        con.execute("insert into sessions (session_id,display,uname,server,client,status,"
                    "init_time,last_time,cookie,agent_pid,gr_port,sound_port,fs_port) values"
                    " (?,50,?,?,'10.0.0.5','R',datetime('now','localtime'),"
                    "datetime('now','localtime'),'3ebbe794a3494f5ad424bce6f8617c8b',?,30138,"
                    "30139,30140)", (SID_A, USER_A, HOST, pid))
        info = dict(zip(['sid', 'display', 'uname', 'server', 'client', 'status', 'init_time',
                         'last_time', 'cookie', 'agent_pid', 'gr_port', 'sound_port',
                         'fs_port', 'tekictrl_port', 'tekidata_port'],
                        con.execute('select * from sessions').fetchone()))
        con.close()
        with PrivateDB(ref) as p:
            r = ok(p.run(['/usr/bin/x2golistsessions'], user=USER_A))
        lines = lines_of(r)
        eq(len(lines), 1, 'one line')
        match_line(lines[0], info, age_range=(-1, 60))
        check(lines[0].endswith('|30140||'), 'empty Telekinesis fields: %r' % lines[0])
