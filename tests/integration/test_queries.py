"""Path, version, feature and server queries and the small configuration
helpers (spec 2.5, 2.8, Appendix A items 1 and 10)."""

import os
import pty
import re
import select
import subprocess

from itlib import (ENV, HOST, LIB, SERVER_CONF, USER_A, USER_B, Sessions, check, eq, ok,
                   one_error_line, run, sql, unchanged)

PATHS = {
    'base': b'/usr', 'lib': b'/usr/lib/x2go', 'libexec': b'/usr/lib/x2go',
    'share': b'/usr/share/x2go', 'nx-x11': b'/usr/lib/nx/X11',
    'xinerama': b'/usr/lib/nx/X11/Xinerama',
}


def _on_tty(argv):
    """stdout of argv when it is a terminal."""
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave,
                             stderr=subprocess.PIPE, env=ENV)
        os.close(slave)
        slave = -1
        out = b''
        while True:
            r, _, _ = select.select([master], [], [], 10)
            if not r:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        p.wait(timeout=10)
        return p.returncode, out
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)


def test_x2gopath():
    for user in (None, USER_A):
        for key, want in PATHS.items():
            eq(ok(run(['/usr/bin/x2gopath', key], user=user)).out, want, 'x2gopath %s' % key)
    for key in ('nope', 'BASE', 'base ', '', 'lib/../..'):
        one_error_line(run(['/usr/bin/x2gopath', key]), 'x2gopath %r' % key)


def test_x2gobasepath():
    for user in (None, USER_B):
        eq(ok(run(['/usr/bin/x2gobasepath'], user=user)).out, b'/usr', 'x2gobasepath')


def test_paths_newline_only_on_a_tty():
    rc, out = _on_tty(['/usr/bin/x2gopath', 'base'])
    eq(rc, 0, 'x2gopath on a tty')
    eq(out.replace(b'\r\n', b'\n'), b'/usr\n', 'x2gopath base on a tty')
    rc, out = _on_tty(['/usr/bin/x2gobasepath'])
    eq(out.replace(b'\r\n', b'\n'), b'/usr\n', 'x2gobasepath on a tty')


def test_x2goversion():
    r = ok(run(['/usr/bin/x2goversion']))
    lines = r.out.decode().splitlines()
    check(r.out.endswith(b'\n'), 'final newline')
    check('x2goserver: 4.1.0.3' in lines, 'x2goserver line in %r' % lines)
    for l in lines:
        check(re.fullmatch(r'[A-Za-z0-9.+_-]+: [^ ]+', l), 'version line %r' % l)
    names = [l.split(':')[0] for l in lines]
    eq(names, sorted(names), 'components in glob (C) order')
    eq(ok(run(['/usr/bin/x2goversion', 'x2goserver'], user=USER_A)).out, b'4.1.0.3\n',
       'x2goversion x2goserver')
    for comp in names:
        want = [l.split(': ', 1)[1] for l in lines if l.startswith(comp + ':')][0]
        eq(ok(run(['/usr/bin/x2goversion', comp])).out, want.encode() + b'\n',
           'x2goversion %s' % comp)


def test_x2goversion_unknown_component():
    for comp in ('nope', 'x2goserver-nope', '../versions/VERSION.x2goserver',
                 '../../../../etc/passwd'):
        r = run(['/usr/bin/x2goversion', comp], user=USER_A)
        eq(r.rc, 1, 'x2goversion %s exit' % comp)
        # the reference prints this on stdout (x2gobroker-agent relies on
        # the exit status only)
        eq(r.out, ("Version information for X2Go component '%s' is not available.\n"
                   % comp).encode(), 'x2goversion %s' % comp)


def test_x2gofeature():
    for name in ('X2GO_LIST_SHADOWSESSIONS', 'X2GO_RUN_EXTENSIONS', 'X2GO_CLIPBOARD_MODES'):
        r = ok(run(['/usr/bin/x2gofeature', name], user=USER_A))
        eq(r.out, b'ok\n', 'x2gofeature %s' % name)
    for name in ('FOO', 'x2go_list_shadowsessions', 'X2GO_LIST_SHADOWSESSIONS ',
                 'X2GO_LIST_SHADOWSESSIONS;id', '*', ''):
        r = run(['/usr/bin/x2gofeature', name], user=USER_A)
        eq((r.rc, r.out, r.err), (255, b'not available\n', b''), 'x2gofeature %r' % name)


def test_x2gofeaturelist():
    r = ok(run(['/usr/bin/x2gofeaturelist'], user=USER_B))
    check(r.out.endswith(b'\n'), 'final newline')
    names = r.out.decode().splitlines()
    check(names, 'no features listed')
    eq(len(names), len(set(names)), 'duplicates in %r' % names)
    for n in names:
        check(re.fullmatch(r'X2GO[A-Z0-9_]+', n), 'feature name %r' % n)
        eq(ok(run(['/usr/bin/x2gofeature', n])).out, b'ok\n', 'listed feature %s' % n)


def test_x2gogetservers():
    with Sessions() as s:
        s.add(USER_A, 'R')
        s.add(USER_B, 'S', server='itfarmhost2')
        s.add(USER_B, 'F', server='itfinishedhost')
        for user in (None, USER_A, USER_B):
            r = ok(unchanged(lambda: run(['/usr/bin/x2gogetservers'], user=user),
                             'x2gogetservers'))
            # an ordinary user sees the servers of their own sessions only
            want = [x[0] for x in sql("SELECT server FROM sessions WHERE status!='F'"
                                      " AND (uname=? OR ?) GROUP BY server",
                                      (user, user is None))]
            eq(r.out, '\n'.join(want).encode(), 'x2gogetservers (no trailing newline)')
            names = r.out.decode().split('\n')
            check((HOST in names) == (user != USER_B), 'servers of %s: %r' % (user, names))
            check(('itfarmhost2' in names) == (user != USER_A), 'servers of %s: %r' % (user, names))
            check('itfinishedhost' not in names, 'a host with only F rows is listed')


def test_x2goqueryconfig():
    conf = open(SERVER_CONF).read()
    m = re.search(r'^\[log\][^\[]*?^\s*loglevel\s*=\s*"?([a-z]+)"?\s*$', conf, re.M | re.S)
    check(m is not None, 'the installed x2goserver.conf has no [log] loglevel')
    q = LIB + '/x2goqueryconfig'
    eq(ok(run([q, 'log', 'loglevel'])).out, m.group(1).encode() + b'\n', 'log.loglevel')
    r = run([q, 'log', 'no-such-key'])
    eq((r.rc, r.out, r.err), (1, b'', b''), 'undefined key: exit 1, silent')
    r = run([q, 'no such section', 'x'])
    eq((r.rc, r.out), (1, b''), 'undefined section')


def test_x2goistrue():
    q = LIB + '/x2goistrue'
    for v in ('1', 'yes', 'Yes', 'YES', 'true', 'True', 'on', 'ON'):
        eq(ok(run([q, v])).out, b'1\n', 'x2goistrue %s' % v)
    # the reference's substring test said 1 for these; we do not
    for v in ('0', 'no', 'false', 'off', '', 'none', 'Yesterday', 'maybe'):
        eq(ok(run([q, v])).out, b'0\n', 'x2goistrue %r' % v)


def test_x2gologlevel():
    conf = open(SERVER_CONF).read()
    m = re.search(r'^\[log\][^\[]*?^\s*loglevel\s*=\s*"?([a-z]+)"?\s*$', conf, re.M | re.S)
    levels = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']
    want = levels.index(m.group(1)) if m and m.group(1) in levels else 5
    eq(ok(run([LIB + '/x2gologlevel'], user=USER_A)).out, str(want).encode(),
       'x2gologlevel (no newline)')


def test_x2gosyslog():
    r = ok(run([LIB + '/x2gosyslog', '/usr/bin/x2goit', 'notice', 'integration', 'test']))
    eq(r.out, b'', 'x2gosyslog prints nothing')
    ok(run([LIB + '/x2gosyslog', '/usr/bin/x2goit', 'debug', 'masked'], user=USER_A))


def test_x2gogetagentstate():
    with Sessions() as s:
        a = s.add(USER_A, 'S', state='SUSPENDED')
        n = s.add(USER_A, 'R')
        eq(ok(run([LIB + '/x2gogetagentstate', a['sid']], user=USER_A)).out, b'SUSPENDED',
           'state of a suspended session (no newline)')
        eq(ok(run([LIB + '/x2gogetagentstate', n['sid']], user=USER_A)).out, b'UNKNOWN',
           'no state file')


def test_feature_files_of_other_packages_are_read_not_run():
    """Another package's <share>/x2gofeature.d/*.features script (a bash
    case, spec 2.5) adds its features, and is never executed."""
    path = '/usr/share/x2go/x2gofeature.d/zz-x2goit.features'
    marker = '/tmp/x2goit-feature-script-ran'
    script = ('#!/bin/bash\n'
              'touch %s\n'
              'case "$1" in\n'
              '\t"X2GO_ITTEST_ONE")\techo "ok"; exit 0;;\n'
              '\t"X2GO_ITTEST_TWO") echo "ok"; exit 0;;\n'
              '\t"X2GO_ITTEST_OFF")\techo "no"; exit 255;;\n'
              '\t*)\texit 255;;\n'
              'esac\n' % marker)
    if os.path.exists(marker):
        os.unlink(marker)
    try:
        with open(path, 'w') as f:
            f.write(script)
        os.chmod(path, 0o755)
        names = ok(run(['/usr/bin/x2gofeaturelist'], user=USER_A)).out.decode().splitlines()
        check('X2GO_ITTEST_ONE' in names and 'X2GO_ITTEST_TWO' in names,
              'features of another package not listed: %r' % names)
        check('X2GO_ITTEST_OFF' not in names, 'a feature answered "no" is listed')
        check(names.index('X2GO_ITTEST_ONE') < names.index('X2GO_ITTEST_TWO'), 'file order')
        for n in ('X2GO_ITTEST_ONE', 'X2GO_ITTEST_TWO'):
            eq(ok(run(['/usr/bin/x2gofeature', n], user=USER_A)).out, b'ok\n', n)
        r = run(['/usr/bin/x2gofeature', 'X2GO_ITTEST_OFF'], user=USER_A)
        eq((r.rc, r.out), (255, b'not available\n'), 'X2GO_ITTEST_OFF')
        check(not os.path.exists(marker), 'a .features script was executed')
    finally:
        if os.path.exists(path):
            os.unlink(path)
        if os.path.exists(marker):
            os.unlink(marker)
