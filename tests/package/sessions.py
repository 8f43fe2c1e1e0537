#!/usr/bin/python3
"""Sessions survive a package change: seeds a running and a suspended
session of a test user (live fake agents), runs the command given as
arguments (an upgrade, or an install over another server), then checks
that x2golistsessions still lists both, field for field, and that the
database file is the same file. Prints PASS/FAIL lines; exit status 1 on
failure. Run as root."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'integration'))
from itlib import (DB, USER_A, Sessions, by_sid, lines_of, match_line, ok,  # noqa: E402
                   run)


def main(argv):
    with Sessions() as s:
        running = s.add(USER_A, 'R', state='RUNNING')
        suspended = s.add(USER_A, 'S', state='SUSPENDED')
        inode = os.stat(DB).st_ino
        change = subprocess.run(argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if change.returncode != 0:
            print('FAIL %s: exit %d: %s' % (' '.join(argv[1:]), change.returncode,
                                            change.stdout.decode(errors='replace')[-800:]))
            return 1
        failed = 0
        if os.stat(DB).st_ino != inode:
            print('FAIL the database file was replaced')
            failed += 1
        got = by_sid(lines_of(ok(run(['/usr/bin/x2golistsessions'], user=USER_A))))
        for info in (running, suspended):
            try:
                match_line(got.get(info['sid'], ''), info)
                print('PASS session %s listed as %s' % (info['sid'], info['status']))
            except AssertionError as e:
                print('FAIL session %s: %s' % (info['sid'], e))
                failed += 1
        return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
