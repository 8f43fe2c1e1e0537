"""A broken configuration gives one clear error naming file and line, and
only to the commands that need the broken part (issue 2; unlike spec 8.4
item 40, where one bad line made every Perl command die)."""

import re

from itlib import (LIB, SERVER_CONF, SQL_CONF, USER_A, Sessions, check, eq, ok,
                   one_error_line, replaced_file, run, unchanged)

QUERY = LIB + '/x2goqueryconfig'


def _conf_with(section, bad_line, header=None):
    """The installed x2goserver.conf with bad_line as the first line of
    [section] (or the [section] header replaced by header). Returns the
    text and the 1-based number of the broken line."""
    lines = open(SERVER_CONF).read().splitlines()
    idx = [i for i, l in enumerate(lines) if l.strip() == '[%s]' % section]
    check(idx, '[%s] not in %s' % (section, SERVER_CONF))
    i = idx[0]
    if header is not None:
        lines[i] = header
        return '\n'.join(lines) + '\n', i + 1
    lines.insert(i + 1, bad_line)
    return '\n'.join(lines) + '\n', i + 2


def _keeps_working(sid):
    """Commands that need neither [superenicer] nor [log]."""
    for argv, user in (
            (['/usr/bin/x2golistsessions'], USER_A),
            (['/usr/bin/x2golistsessions', '--all-servers'], USER_A),
            (['/usr/sbin/x2golistsessions_root'], None),
            (['/usr/bin/x2gogetservers'], USER_A),
            (['/usr/bin/x2gopath', 'base'], USER_A),
            (['/usr/bin/x2gobasepath'], USER_A),
            (['/usr/bin/x2goversion', 'x2goserver'], USER_A),
            (['/usr/bin/x2gofeature', 'X2GO_LIST_SHADOWSESSIONS'], USER_A),
            (['/usr/bin/x2gofeaturelist'], USER_A),
            ([LIB + '/x2gogetstatus', sid], USER_A),
            ([LIB + '/x2goistrue', 'yes'], USER_A),
            ([QUERY, 'x2goagent', 'port_randomization'], USER_A)):
        ok(run(argv, user=user), 'with a broken unrelated section')


def _names_file_and_line(r, path, line, what):
    msg = one_error_line(r, what)
    check(path in msg, '%s: error does not name %s: %r' % (what, path, msg))
    check(re.search(r'\bline %d\b' % line, msg), '%s: error does not name line %d: %r'
          % (what, line, msg))
    return msg


def test_broken_line_in_one_section():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        text, n = _conf_with('superenicer', 'this line is not a setting')
        with replaced_file(SERVER_CONF, text):
            for user in (None, USER_A):
                r = unchanged(lambda: run([QUERY, 'superenicer', 'enable'], user=user),
                              'x2goqueryconfig superenicer enable')
                msg = _names_file_and_line(r, SERVER_CONF, n, 'x2goqueryconfig superenicer')
                check('enable' in msg, 'error does not name the key: %r' % msg)
                r = unchanged(lambda: run([QUERY, 'superenicer', 'idle-nice-level'], user=user),
                              'x2goqueryconfig superenicer idle-nice-level')
                _names_file_and_line(r, SERVER_CONF, n, 'x2goqueryconfig idle-nice-level')
            eq(ok(run([QUERY, 'log', 'loglevel'])).out.strip() != b'', True, 'log.loglevel')
            ok(run([LIB + '/x2gologlevel'], user=USER_A))
            _keeps_working(a['sid'])
        ok(run([QUERY, 'superenicer', 'enable']), 'after the file was restored')


def test_broken_section_header():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        text, n = _conf_with('superenicer', None, header='[superenicer')
        with replaced_file(SERVER_CONF, text):
            r = run([QUERY, 'superenicer', 'enable'])
            _names_file_and_line(r, SERVER_CONF, n, 'x2goqueryconfig after a broken header')
            ok(run([QUERY, 'log', 'loglevel']), 'another section after a broken header')
            _keeps_working(a['sid'])


def test_broken_log_section():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        text, n = _conf_with('log', 'loglevel debug')
        with replaced_file(SERVER_CONF, text):
            r = run([QUERY, 'log', 'loglevel'], user=USER_A)
            _names_file_and_line(r, SERVER_CONF, n, 'x2goqueryconfig log loglevel')
            # x2gologlevel exists to report [log] loglevel: it must not
            # silently answer "notice" when that section is broken
            r = run([LIB + '/x2gologlevel'], user=USER_A)
            _names_file_and_line(r, SERVER_CONF, n, 'x2gologlevel')
            # everything else keeps working (logging falls back to notice)
            ok(run([QUERY, 'superenicer', 'enable']), 'superenicer with a broken [log]')
            _keeps_working(a['sid'])


def test_broken_sql_backend():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        db_commands = [
            (['/usr/bin/x2golistsessions'], USER_A),
            (['/usr/bin/x2golistshadowsessions'], USER_A),
            (['/usr/bin/x2gogetservers'], USER_A),
            ([LIB + '/x2gogetstatus', a['sid']], USER_A),
            ([LIB + '/x2gogetagent', a['sid']], USER_A),
            ([LIB + '/x2gochangestatus', 'S', a['sid']], USER_A),
            (['/usr/sbin/x2golistsessions_root'], None),
            ([LIB + '/x2golistsessions_sql'], None),
            (['/usr/bin/x2golistsessions'], None),
            (['/usr/sbin/x2godbadmin', '--updatedb'], None),
            (['/usr/sbin/x2godbadmin', '--listsessions_all'], None),
        ]
        for text, line, word in (('# backend\nbackend sqlite\n', 2, None),
                                 ('backend=mysql\n', 1, 'mysql'),
                                 ('backend = oracle\n[postgres]\nhost=localhost\n', 1, 'oracle')):
            with replaced_file(SQL_CONF, text):
                for argv, user in db_commands:
                    what = '%s with sql %r' % (argv[0], text)
                    r = unchanged(lambda: run(argv, user=user), what)
                    if line:
                        msg = _names_file_and_line(r, SQL_CONF, line, what)
                    else:
                        msg = one_error_line(r, what)
                    if word:
                        check(word in msg, '%s: %r does not name %r' % (what, msg, word))
                # commands that do not use the database keep working
                for argv in (['/usr/bin/x2gopath', 'base'], ['/usr/bin/x2goversion'],
                             ['/usr/bin/x2gofeature', 'X2GO_LIST_SHADOWSESSIONS'],
                             [QUERY, 'log', 'loglevel'], [LIB + '/x2gologlevel']):
                    ok(run(argv, user=USER_A), 'no database needed')
        eq(ok(run([LIB + '/x2gogetstatus', a['sid']], user=USER_A)).out, b'R',
           'restored backend')
        # a broken [postgres] section does not matter to a SQLite host
        with replaced_file(SQL_CONF, 'backend=sqlite\n[postgres]\nhost\n'):
            for argv, user in db_commands[:5] + db_commands[6:9]:
                ok(run(argv, user=user), '%s with a broken [postgres]' % argv[0])


def test_postgres_backend_is_one_clear_error():
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        with replaced_file(SQL_CONF, 'backend=postgres\n[postgres]\nhost=localhost\n'):
            for argv, user in ((['/usr/bin/x2golistsessions'], USER_A),
                               ([LIB + '/x2gogetstatus', a['sid']], USER_A),
                               (['/usr/sbin/x2golistsessions_root'], None)):
                r = unchanged(lambda: run(argv, user=user), argv[0])
                msg = one_error_line(r, '%s with backend=postgres' % argv[0])
                check('postgres' in msg.lower(), msg)


def test_unusable_database_gives_one_clear_error():
    """A database file that is missing, empty or not a database at all:
    one line naming the file and what to do (x2godbadmin), for users and
    root alike."""
    import os
    import tempfile
    from itlib import DB, PrivateDB
    with tempfile.TemporaryDirectory() as tmp, Sessions() as s:
        a = s.add(USER_A, 'R')
        garbage = os.path.join(tmp, 'garbage')
        with open(garbage, 'w') as f:
            f.write('this is not a database\n' * 200)
        empty = os.path.join(tmp, 'empty')
        open(empty, 'w').close()
        problems = []
        for label, path in (('missing', None), ('garbage', garbage), ('empty', empty)):
            with PrivateDB(path) as p:
                for argv, user in ((['/usr/bin/x2golistsessions'], USER_A),
                                   (['/usr/bin/x2golistsessions'], None),
                                   (['/usr/bin/x2gogetservers'], USER_A),
                                   ([LIB + '/x2gogetstatus', a['sid']], USER_A),
                                   (['/usr/sbin/x2golistsessions_root'], None)):
                    what = '%s as %s with a %s database' % (argv[0], user or 'root', label)
                    try:
                        msg = one_error_line(p.run(argv, user=user), what)
                        check(msg.count(DB) == 1, '%s: the file should be named once: %r'
                              % (what, msg))
                        check('x2godbadmin' in msg, '%s: no hint what to do: %r' % (what, msg))
                        check(msg.count('(') == msg.count(')'), '%s: garbled: %r' % (what, msg))
                    except AssertionError as e:
                        problems.append(str(e))
        check(not problems, '%d problems: %s' % (len(problems), ' || '.join(problems[:3])))
