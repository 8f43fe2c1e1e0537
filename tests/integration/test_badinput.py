"""Bad input for every command of issue 2: missing, extra, overlong (more
than 512 characters), non-ASCII or control characters, and malformed
arguments (bad session id, status, server name, key, operation). Each
must print exactly one line on stderr, nothing on stdout, exit non-zero,
and leave the database byte-identical."""

import os
import sqlite3
import tempfile

from itlib import (DB, HELPER, HOST, LIB, USER_A, Sessions, make_reference_db, one_error_line,
                   run, PrivateDB, unchanged)

LONG = 'a' * 513
LONGER = 'x' * 5000
INJECT = "x' OR '1'='1"
NON_ASCII = ['\u00e9', b'\xff', b'caf\xc3\xa9']
CONTROL = ['\x1b[31m', 'tab\there', 'new\nline', 'cr\rx', '\x7f']


def _host_args():
    return {
        'extra': [[HOST, 'x'], ['--all-servers', HOST]],
        'overlong': [[LONG], [LONGER], ['a' * 101]],
        'non-ascii': [[HOST + '\u00e9'], [HOST.encode() + b'\xff']] + [[c] for c in CONTROL],
        'malformed': [['bad host'], ["vm' OR '1'='1"], ['-vm'], ['--all-server'],
                      ['--all-servers=1'], ['vm;id'], ['*'], ['%'], [''], ['vm/x'],
                      ['$(id)']],
    }


def _sid_args(sid):
    padded = sid + 'x' * (505 - len(sid))  # grammar-clean but longer than 500
    return {
        'missing': [[]],
        'extra': [[sid, 'x'], [sid, sid]],
        'overlong': [[LONG], [LONGER], [sid + 'a' * 500], [padded]],
        'non-ascii': [[sid + '\u00e9'], [b'\xff'], [sid.encode() + b'\xc3\xa9']] +
                     [[sid + c] for c in CONTROL],
        'malformed': [['garbage'], [INJECT], [sid + "' OR '1'='1"], [sid.replace('-', '_', 1)],
                      [''], ['*'], ['%'], ['-' + sid], [sid.replace('_dp24', '')],
                      [sid.replace('_st', '_')], ['../' + sid]],
    }


def _changestatus_args(sid):
    out = {
        'missing': [[], ['S']],
        'extra': [['S', sid, 'x'], ['S', sid, sid]],
        'overlong': [['S', LONG], ['S', sid + 'a' * 500], [LONG, sid],
                     ['S', sid + 'x' * (505 - len(sid))]],
        'non-ascii': [['S', sid + '\u00e9'], ['\u00e9', sid], [b'\xff', sid]] +
                     [['S', sid + c] for c in CONTROL],
        'malformed': [['X', sid], ['SS', sid], ['s', sid], ['', sid], [sid, 'S'],
                      ['S', 'garbage'], ['S', INJECT], ['S', sid + "' OR '1'='1"],
                      ["S' OR '1'='1", sid], ['S;', sid], ['1', sid],
                      ['S', sid.replace('_dp24', '')], ['S', '-' + sid]],
    }
    return out


def _short(a):
    return a if len(a) <= 40 else a[:30] + (b'...' if isinstance(a, bytes) else '...')


def _check_all(cases, user, errors, runner=run, path=DB):
    """cases: {(argv0, label): [args, ...]}"""
    for (argv0, label), arglists in cases.items():
        for args in arglists:
            what = '%s [%s] %r as %s' % (os.path.basename(argv0), label,
                                        [_short(a) for a in args], user or 'root')
            try:
                r = unchanged(lambda: runner([argv0] + list(args), user=user), what, path=path)
                line = one_error_line(r, what)
                # the line says who complains (not runuser, not a shell)
                if not line.startswith(os.path.basename(argv0) + ': '):
                    raise AssertionError('%s: error line without the command name: %r'
                                         % (what, line))
            except AssertionError as e:
                errors.append(str(e))


def _raise(errors):
    if errors:
        raise AssertionError('%d bad-input cases failed: %s' % (len(errors),
                                                                ' || '.join(errors[:8])))


def test_listing_commands():
    errors = []
    with Sessions() as s:
        s.add(USER_A, 'R')
        for cmd, users in (('/usr/bin/x2golistsessions', (USER_A, None)),
                           ('/usr/bin/x2golistshadowsessions', (USER_A, None)),
                           ('/usr/sbin/x2golistsessions_root', (None,)),
                           (LIB + '/x2golistsessions_sql', (None,))):
            cases = {(cmd, label): v for label, v in _host_args().items()}
            for user in users:
                _check_all(cases, user, errors)
    _raise(errors)


def test_session_id_commands():
    errors = []
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        for cmd in (LIB + '/x2gogetstatus', LIB + '/x2gogetagent', LIB + '/x2gogetagentstate'):
            cases = {(cmd, label): v for label, v in _sid_args(a['sid']).items()}
            for user in (USER_A, None):
                _check_all(cases, user, errors)
        cmd = LIB + '/x2gochangestatus'
        cases = {(cmd, label): v for label, v in _changestatus_args(a['sid']).items()}
        for user in (USER_A, None):
            _check_all(cases, user, errors)
    _raise(errors)


def test_query_commands():
    errors = []
    na = [[x] for x in NON_ASCII + CONTROL]
    table = {
        '/usr/bin/x2gopath': {
            'missing': [[]], 'extra': [['base', 'lib'], ['base', 'base']],
            'overlong': [[LONG], [LONGER]],
            'non-ascii': [['bas\u00e9'], [b'base\xff'], ['base\n'], ['base\x1b']],
            'malformed': [['nope'], ['BASE'], ['../base'], [''], ['base '], ['lib;id']]},
        '/usr/bin/x2gobasepath': {
            'extra': [['x'], ['base'], ['--help', 'x']], 'overlong': [[LONG]], 'non-ascii': na},
        '/usr/bin/x2goversion': {
            'extra': [['x2goserver', 'x']], 'overlong': [[LONG], [LONGER]],
            'non-ascii': [['x2goserver\u00e9'], [b'\xff'], ['x2goserver\n'], ['\x1b']]},
        '/usr/bin/x2gofeature': {
            'missing': [[]], 'extra': [['X2GO_LIST_SHADOWSESSIONS', 'x']],
            'overlong': [[LONG], ['X2GO_' + LONGER]],
            'non-ascii': [['X2GO_\u00e9'], ['X2GO\x1b'], [b'X2GO_\xff'],
                          ['X2GO_LIST_SHADOWSESSIONS\n']]},
        '/usr/bin/x2gofeaturelist': {
            'extra': [['x'], ['X2GO_LIST_SHADOWSESSIONS']], 'overlong': [[LONG]],
            'non-ascii': na},
        '/usr/bin/x2gogetservers': {
            'extra': [['x'], [HOST]], 'overlong': [[LONG]], 'non-ascii': na},
        LIB + '/x2goqueryconfig': {
            'missing': [[], ['log']], 'extra': [['log', 'loglevel', 'x']],
            'overlong': [['log', LONG], [LONG, 'loglevel']],
            'non-ascii': [['log', 'loglevel\u00e9'], ['l\u00f6g', 'loglevel'],
                          ['log\n', 'loglevel'], ['log', b'\xff']]},
        LIB + '/x2goistrue': {
            'missing': [[]], 'extra': [['yes', 'no']], 'overlong': [[LONG]],
            'non-ascii': [['y\u00e9s'], ['\x1b'], [b'\xff'], ['yes\n']]},
        LIB + '/x2gologlevel': {
            'extra': [['x'], ['notice']], 'overlong': [[LONG]], 'non-ascii': na},
        LIB + '/x2gosyslog': {
            'missing': [[], ['comp'], ['comp', 'notice']],
            'overlong': [['comp', 'notice', LONG], [LONG, 'notice', 'm']],
            'non-ascii': [['comp', 'notice', 'caf\u00e9'], ['comp', 'notice', 'a\nb'],
                          ['comp', 'notice\u00e9', 'm'], ['comp', 'notice', b'\xff']],
            'malformed': [['comp', 'loud', 'msg'], ['comp', '', 'msg'],
                          ['comp', 'notice ', 'msg'], ['comp', '5', 'msg']]},
    }
    with Sessions():
        for cmd, labels in table.items():
            cases = {(cmd, label): v for label, v in labels.items()}
            for user in (USER_A, None):
                _check_all(cases, user, errors)
    _raise(errors)


def test_helper():
    errors = []
    with Sessions() as s:
        a = s.add(USER_A, 'R')
        sid = a['sid']
        labels = {
            'missing': [[], ['get'], ['status', 'S'], ['list', 'user'], ['resume', sid],
                        ['create', sid]],
            'extra': [['get', sid, 'x'], ['servers', 'x'], ['status', 'S', sid, sid],
                      ['list', 'user', HOST, 'x']],
            'overlong': [['get', LONG], ['get', sid + 'x' * 500], ['get', LONGER],
                         ['list', 'user', LONG], [LONG]],
            'non-ascii': [['get', sid + '\u00e9'], ['g\u00e9t', sid], ['list', 'user', 'vm\u00e9'],
                          ['get', b'\xff'], ['get', sid + '\n'], ['status', 'S\n', sid]],
            'malformed': [['get', 'garbage'], ['status', 'X', sid], ['list', 'everyone', 'vm'],
                          ['list', 'user', 'bad host'], ['resume', sid, 'not-an-ip', '30000'],
                          ['frobnicate'], ['getservers();print 1;#']],
        }
        cases = {(HELPER, label): v for label, v in labels.items()}
        _check_all(cases, USER_A, errors)
    _raise(errors)


def test_dbadmin():
    """On a private copy, so that a wrongly accepted --createdb cannot
    wipe the live database."""
    errors = []
    cmd = '/usr/sbin/x2godbadmin'
    labels = {
        'missing': [['--adduser'], ['--rmuser'], ['--addgroup'], ['--rmgroup']],
        'extra': [['--createdb', 'x'], ['--updatedb', '--createdb'], ['--help', 'x'],
                  ['--listsessions_all', 'x'], ['--adduser', 'a', 'b'], ['--updatedb', 'x']],
        'overlong': [['--' + 'a' * 600], ['--adduser', LONG], [LONGER]],
        'non-ascii': [['--createdb\u00e9'], ['--adduser', '\u00e9'], [b'--updatedb\xff'],
                      ['--createdb\n'], ['--updatedb\x1b']],
        'malformed': [['--bogus'], ['-createdb'], ['createdb'], ['--createdb=1'], [''],
                      ['--CREATEDB'], ['--create'], ['--updatedb;rm']],
    }
    with tempfile.TemporaryDirectory() as tmp, Sessions() as s:
        path = os.path.join(tmp, 'x2go_sessions')
        make_reference_db(path)
        sid = '%s-50-1795480859_stDXFCE_dp24' % USER_A
        pid = s.agent(USER_A, sid)  # live, so that a clean-up daemon leaves the row alone
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("INSERT INTO sessions(session_id,display,uname,server,status,agent_pid)"
                    " VALUES (?,50,?,?,'R',?)", (sid, USER_A, HOST, pid))
        # WAL already, as every opener of ours (a clean-up daemon too) sets it
        con.execute('PRAGMA journal_mode=WAL')
        con.close()
        with PrivateDB(path) as p:
            _check_all({(cmd, label): v for label, v in labels.items()}, None, errors,
                       runner=p.run, path=p.db)
            _check_all({(cmd, 'not root'): [['--createdb'], ['--updatedb'], ['--help']]},
                       USER_A, errors, runner=p.run, path=p.db)
    _raise(errors)


def _other_commands():
    """Commands the installed binary provides beyond this module's
    explicit tables (later issues add them)."""
    mine = {'x2golistsessions', 'x2golistshadowsessions', 'x2golistsessions_root',
            'x2golistsessions_sql', 'x2godbadmin', 'x2gopath', 'x2gobasepath', 'x2goversion',
            'x2gofeature', 'x2gofeaturelist', 'x2gogetservers', 'x2gochangestatus',
            'x2gogetstatus', 'x2gogetagent', 'x2gogetagentstate', 'x2goqueryconfig',
            'x2goistrue', 'x2gologlevel', 'x2gosyslog'}
    r = run([LIB + '/x2go-cmd', '--list'])
    dirs = {'bin': '/usr/bin', 'sbin': '/usr/sbin', 'libexec': LIB}
    out = []
    for line in r.out.decode().splitlines():
        d, name = line.split()
        if name not in mine:
            out.append(os.path.join(dirs[d], name))
    return out


def test_every_other_command_rejects_overlong_and_non_ascii():
    """A single overlong or non-ASCII argument, as an unprivileged user,
    for every other command the multi-call binary provides."""
    errors = []
    with Sessions():
        cases = {}
        for cmd in _other_commands():
            cases[(cmd, 'overlong')] = [[LONG], [LONGER]]
            cases[(cmd, 'non-ascii')] = [['\u00e9'], [b'\xff'], ['\x1b[31m']]
        _check_all(cases, USER_A, errors)
    _raise(errors)
