#!/usr/bin/python3
"""Log entries reach journald with the session fields. Run as root inside a
private mount namespace with a tmpfs on /run (tests/package.sh does):
plays journald on /run/systemd/journal/socket, has the installed
x2gosyslog log two lines, and checks the fields received. Prints PASS/FAIL
lines; exit status 1 on failure."""

import os
import socket
import subprocess
import sys

SOCK = '/run/systemd/journal/socket'
SYSLOG = '/usr/lib/x2go/x2gosyslog'
SID = 'x2goita-50-1795480859_stDXFCE_dp24'


def entry(sock):
    sock.settimeout(5)
    data = sock.recv(65536).decode()
    return dict(line.split('=', 1) for line in data.splitlines() if '=' in line)


def main():
    os.makedirs(os.path.dirname(SOCK), exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(SOCK)
    os.chmod(SOCK, 0o666)
    failed = 0
    cases = [
        # (argv, user to run as, fields wanted)
        ([SYSLOG, '/usr/bin/x2gostartagent', 'notice',
          'successfully started X2Go Agent session with ID %s' % SID], None,
         {'X2GO_SESSION_ID': SID, 'X2GO_USER': 'x2goita', 'PRIORITY': '5',
          'SYSLOG_FACILITY': '1', 'SYSLOG_IDENTIFIER': '/usr/bin/x2gostartagent',
          'MESSAGE': 'successfully started X2Go Agent session with ID %s' % SID}),
        ([SYSLOG, 'x2gotest', 'err', 'no session named here'], 'nobody',
         {'X2GO_USER': 'nobody', 'PRIORITY': '3', 'MESSAGE': 'no session named here'}),
    ]
    for argv, user, want in cases:
        if user:
            argv = ['/usr/sbin/runuser', '-u', user, '--'] + argv
        subprocess.run(argv, check=True, timeout=10)
        try:
            got = entry(s)
        except socket.timeout:
            got = {}
        bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        if 'X2GO_SESSION_ID' not in want and 'X2GO_SESSION_ID' in got:
            bad['X2GO_SESSION_ID'] = (got['X2GO_SESSION_ID'], None)
        if bad:
            print('FAIL journal entry of %r: (got, wanted) %r' % (argv[-1], bad))
            failed += 1
        else:
            print('PASS journal entry with its fields: %r' % argv[-1])
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
