"""x2godbadmin with the SQLite backend (spec 2.6, 3.2). Everything that
creates or rewrites the database runs on a swapped-in file; the live
database is moved aside and restored in any case."""

import grp
import os
import sqlite3
import tempfile

from itlib import (DB, HOST, REFERENCE_COLUMNS, USER_A, USER_B, Sessions, by_sid, db,
                   eq, check, lines_of, make_reference_db, match_line, of_user, ok,
                   one_error_line, run, PrivateDB, unchanged)

DBADMIN = '/usr/sbin/x2godbadmin'
USAGE_START = (b'X2Go SQL admin interface. Use it to create x2go database and insert or remove'
               b' users or groups in x2go database')
SQLITE_ONLY = b'Only "--createdb" and "--updatedb" options are available with SQLite3 backend\n'


def _owner_mode(path):
    st = os.stat(path)
    return st.st_uid, grp.getgrgid(st.st_gid).gr_name, st.st_mode & 0o7777


def _check_reference_schema(path):
    with db(path) as con:
        cols = con.execute('PRAGMA table_info(sessions)').fetchall()
        # (SQLite reports known type names upper-cased: compare ignoring case)
        eq([(c[1], c[2].lower()) for c in cols], REFERENCE_COLUMNS,
           'sessions columns and types')
        info = {c[1]: c for c in cols}
        for name in ('display', 'uname', 'server', 'status', 'init_time', 'last_time'):
            eq(info[name][3], 1, '%s not null' % name)
        eq(info['session_id'][5], 1, 'session_id is the primary key')
        eq(info['status'][4], "'R'", "status default 'R'")
        eq(info['init_time'][4], 'CURRENT_TIMESTAMP', 'init_time default')
        # The reference's tables, and the session history's beside them.
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        eq(tables, {'sessions', 'messages', 'user_messages', 'used_ports', 'mounts',
                    'x2go_history', 'x2go_history_conf'}, 'tables')
        eq([(c[1], c[2].lower()) for c in con.execute('PRAGMA table_info(used_ports)')],
           [('server', 'varchar(100)'), ('session_id', 'varchar(500)'), ('port', 'integer')],
           'used_ports columns')
        eq([(c[1], c[2].lower()) for c in con.execute('PRAGMA table_info(mounts)')],
           [('session_id', 'varchar(500)'), ('path', 'varchar(512)'), ('client', 'inet')],
           'mounts columns')
        trig = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
        eq(trig, {'fkd_mounts_session_id', 'fkd_ports_session_id', 'x2go_history_insert',
                  'x2go_history_update', 'x2go_history_delete', 'x2go_history_prune'}, 'triggers')
        # unique(display), and the triggers work as the reference's do
        con.execute('BEGIN')
        con.execute("INSERT INTO sessions(session_id,display,uname,server) VALUES"
                    " ('u-50-1795480859_stDx_dp24',50,'u','h')")
        try:
            con.execute("INSERT INTO sessions(session_id,display,uname,server) VALUES"
                        " ('v-50-1795480859_stDx_dp24',50,'v','h')")
            raise AssertionError('unique(display) missing')
        except sqlite3.IntegrityError:
            pass
        con.execute("INSERT INTO used_ports VALUES ('h','u-50-1795480859_stDx_dp24',30001)")
        con.execute("INSERT INTO mounts VALUES ('u-50-1795480859_stDx_dp24','/p','1.2.3.4')")
        try:
            con.execute("DELETE FROM sessions")
            raise AssertionError('fkd_mounts_session_id does not block the delete')
        except sqlite3.IntegrityError as e:
            check('violates foreign key on table "mounts"' in str(e), str(e))
        con.execute('DELETE FROM mounts')
        con.execute('DELETE FROM sessions')
        eq(con.execute('SELECT count(*) FROM used_ports').fetchone()[0], 0,
           'fkd_ports_session_id deletes the ports')
        con.execute('ROLLBACK')


def test_createdb_creates_reference_schema_owner_and_modes():
    with PrivateDB(None) as p:
        os.chown(p.dir, 0, 0)
        os.chmod(p.dir, 0o700)
        r = ok(p.run([DBADMIN, '--createdb']))
        eq(r.out, b'', '--createdb output')
        eq(_owner_mode(p.db), (0, 'x2gouser', 0o660), 'database owner and mode')
        eq(_owner_mode(p.dir), (0, 'x2gouser', 0o770), 'database directory owner and mode')
        _check_reference_schema(p.db)
        # and it is usable at once, by users through the helper
        eq(ok(p.run(['/usr/bin/x2golistsessions'], user=USER_A)).out, b'', 'empty list')
        eq(ok(p.run(['/usr/bin/x2gogetservers'], user=USER_A)).out, b'', 'no servers')


def test_createdb_replaces_an_existing_database():
    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, 'old')
        make_reference_db(old)
        con = sqlite3.connect(old, isolation_level=None)
        con.execute("INSERT INTO sessions(session_id,display,uname,server) VALUES"
                    " ('u-50-1795480859_stDx_dp24',50,'u','h')")
        con.close()
        with PrivateDB(old) as p:
            os.chmod(p.db, 0o600)
            os.chown(p.db, 0, 0)
            ok(p.run([DBADMIN, '--createdb']))
            with db(p.db) as con:
                eq(con.execute('SELECT count(*) FROM sessions').fetchone()[0], 0,
                   'rows after --createdb')
            eq(_owner_mode(p.db), (0, 'x2gouser', 0o660), 'owner and mode after --createdb')
            _check_reference_schema(p.db)


def test_updatedb_adds_telekinesis_columns():
    with tempfile.TemporaryDirectory() as tmp, Sessions() as s:
        old = os.path.join(tmp, 'old')
        make_reference_db(old, with_teki=False)
        sid = '%s-50-1795480859_stDXFCE_dp24' % USER_A
        pid = s.agent(USER_A, sid)
        con = sqlite3.connect(old, isolation_level=None)
        con.execute("INSERT INTO sessions(session_id,display,uname,server,client,status,"
                    "init_time,last_time,cookie,agent_pid,gr_port,sound_port,fs_port) VALUES"
                    " (?,50,?,?,'10.0.0.5','R','2026-11-24 00:41:00','2026-11-24 00:41:02',"
                    "'3ebbe794a3494f5ad424bce6f8617c8b',?,30138,30139,30140)",
                    (sid, USER_A, HOST, pid))
        con.close()
        with PrivateDB(old) as p:
            os.chmod(p.db, 0o600)
            os.chown(p.db, 0, 0)
            r = ok(p.run([DBADMIN, '--updatedb']))
            eq(r.out, b'ADDING: tekictrl_port column to table sessions\n'
                      b'ADDING: tekidata_port column to table sessions\n', '--updatedb output')
            eq(_owner_mode(p.db), (0, 'x2gouser', 0o660), 'owner and mode after --updatedb')
            with db(p.db) as con:
                cols = [(c[1], c[2].lower())
                        for c in con.execute('PRAGMA table_info(sessions)')]
                rows = con.execute('SELECT session_id, agent_pid, tekictrl_port FROM sessions'
                                   ).fetchall()
            eq(cols[-2:], [('tekictrl_port', 'int'), ('tekidata_port', 'int')], 'new columns')
            eq([c[0] for c in cols], [c[0] for c in REFERENCE_COLUMNS], 'column order')
            eq(rows, [(sid, pid, None)], 'rows kept')
            # a second run has nothing to add
            r = ok(p.run([DBADMIN, '--updatedb']))
            eq(r.out, b'', 'second --updatedb output')
            # and the upgraded database lists
            lines = lines_of(ok(p.run(['/usr/bin/x2golistsessions'], user=USER_A)))
            eq(len(lines), 1, 'one session')
            check(lines[0].startswith('%d|%s|50|%s|R|2026-11-24T00:41:00|' % (pid, sid, HOST)),
                  lines[0])
            check(lines[0].endswith('|30140||'), lines[0])


def test_updatedb_adds_only_what_is_missing():
    with tempfile.TemporaryDirectory() as tmp:
        old = os.path.join(tmp, 'old')
        make_reference_db(old, with_teki=False)
        con = sqlite3.connect(old, isolation_level=None)
        con.execute('ALTER TABLE sessions ADD COLUMN tekictrl_port int')
        con.close()
        with PrivateDB(old) as p:
            r = ok(p.run([DBADMIN, '--updatedb']))
            eq(r.out, b'ADDING: tekidata_port column to table sessions\n', '--updatedb output')


def test_updatedb_without_database_creates_it():
    with PrivateDB(None) as p:
        r = ok(p.run([DBADMIN, '--updatedb']))
        eq(r.out, b'', '--updatedb on a missing file')
        eq(_owner_mode(p.db), (0, 'x2gouser', 0o660), 'owner and mode')
        _check_reference_schema(p.db)


def test_help_and_no_action():
    for argv in ([DBADMIN, '--help'], [DBADMIN]):
        r = ok(run(argv))
        check(r.out.startswith(USAGE_START + b'\n'), 'usage text of %r: %r' % (argv, r.out[:150]))


def test_user_and_group_options_with_sqlite():
    with Sessions():
        for args in (['--listusers'], ['--adduser', USER_A], ['--rmuser', USER_A],
                     ['--addgroup', 'x2gouser'], ['--rmgroup', 'x2gouser']):
            r = ok(unchanged(lambda: run([DBADMIN] + args), 'x2godbadmin %s' % args[0]))
            eq(r.out, SQLITE_ONLY, 'x2godbadmin %s' % ' '.join(args))


def test_listsessions_all():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        f = s.add(USER_B, 'F')
        nopid = s.add(USER_B, 'R', agent=None)
        r = ok(unchanged(lambda: run([DBADMIN, '--listsessions_all']), '--listsessions_all'))
        got = by_sid(of_user(lines_of(r), USER_A, USER_B))
        eq(sorted(got), sorted([a['sid'], f['sid'], nopid['sid']]), '--listsessions_all')
        for info in (a, f, nopid):
            match_line(got[info['sid']], info)


def test_dbadmin_is_for_root_only():
    with Sessions():
        for args in (['--createdb'], ['--updatedb'], ['--listsessions_all'], ['--help']):
            r = unchanged(lambda: run([DBADMIN] + args, user=USER_A), 'x2godbadmin as A')
            one_error_line(r, 'x2godbadmin %s as a user' % args[0])


def test_updatedb_refuses_a_file_that_is_no_database():
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, 'bad')
        with open(bad, 'w') as f:
            f.write('this is not a database\n' * 200)
        with PrivateDB(bad) as p:
            before = open(p.db, 'rb').read()
            r = p.run([DBADMIN, '--updatedb'])
            msg = one_error_line(r, '--updatedb on a file that is no database')
            check(DB in msg, 'the error does not name %s: %r' % (DB, msg))
            eq(open(p.db, 'rb').read(), before, 'the file after --updatedb')
