"""Desktop sharing and the session store (spec 2.2): only the desktop's
owner can make a shadow row for another user, only of a shadow session
of the owner's own desktop, and only the rows it made can it complete.
Against the installed store server, as ordinary users."""
import time

from itlib import HELPER, USER_A, USER_B, check, eq, ok, run, sql


def _reserve(user, op, *pre, typ='S', cmd=None):
    cmd = cmd or '1XSHAD%sXSHAD:50' % USER_A
    return run([HELPER, op] + list(pre) + [str(int(time.time())), typ, cmd, '24', '-', '8800',
                                           '30000', '3'], user=user)


def _drop(*users):
    for u in users:
        sql('DELETE FROM used_ports WHERE session_id IN (SELECT session_id FROM sessions'
            ' WHERE uname=?)', (u,))
        sql('DELETE FROM sessions WHERE uname=?', (u,))


def _rows(user):
    return [r[0] for r in sql('SELECT session_id FROM sessions WHERE uname=?', (user,))]


def test_shadow_row_for_the_requester():
    """A (the desktop's owner) reserves B's shadow row of A's desktop and
    completes it; the row is B's."""
    _drop(USER_A, USER_B)
    try:
        r = ok(_reserve(USER_A, 'shadow_reserve', USER_B), 'shadow_reserve by the owner')
        sid = r.out.decode().split()[1]
        check(sid.startswith(USER_B + '-') and ('_stS1XSHAD%sXSHADPP50_' % USER_A) in sid,
              'row id %r' % sid)
        eq(_rows(USER_B), [sid], "B's rows")
        ok(run([HELPER, 'create', sid, '0123456789abcdef0123456789abcdef', '4242', '127.0.0.1',
                '30001', '30002', '30003', '-1', '-1'], user=USER_A), 'create by the owner')
        # (the clean-up daemon may already have dropped it: pid 4242 is no agent)
        rows = sql('SELECT agent_pid FROM sessions WHERE session_id=?', (sid,))
        check(rows in ([], [(4242,)]), 'completed row: %r' % rows)
    finally:
        _drop(USER_A, USER_B)


def test_no_row_of_another_desktop():
    """B cannot make a row naming A's desktop, neither for itself nor for
    anyone; A cannot make B a row that is not a shadow of A's desktop."""
    _drop(USER_A, USER_B)
    try:
        for who, op, pre, typ, cmd in (
                (USER_B, 'reserve', (), 'S', None),
                (USER_B, 'shadow_reserve', (USER_A,), 'S', None),
                (USER_B, 'shadow_reserve', (USER_B,), 'S', None),
                (USER_A, 'shadow_reserve', (USER_B,), 'D', 'XFCE'),
                (USER_A, 'shadow_reserve', (USER_B,), 'S', '1XSHAD%sXSHAD:50' % USER_B),
                (USER_A, 'shadow_reserve', ('nosuchuser1',), 'S', None)):
            r = _reserve(who, op, *pre, typ=typ, cmd=cmd)
            check(r.rc != 0 and r.out == b'', '%s %s %s %s %s accepted: %r'
                  % (who, op, pre, typ, cmd, r))
        eq(_rows(USER_A) + _rows(USER_B), [], 'rows made')
    finally:
        _drop(USER_A, USER_B)


def test_no_completing_another_users_row():
    """B's own shadow row of B's desktop cannot be completed by A."""
    _drop(USER_A, USER_B)
    try:
        r = ok(_reserve(USER_B, 'reserve', cmd='1XSHAD%sXSHAD:50' % USER_B), 'own shadow row')
        sid = r.out.decode().split()[1]
        r = run([HELPER, 'create', sid, '0123456789abcdef0123456789abcdef', '4242', '127.0.0.1',
                 '30001', '30002', '30003', '-1', '-1'], user=USER_A)
        check(r.rc != 0, 'A completed B\'s row: %r' % r)
        eq(sql('SELECT agent_pid FROM sessions WHERE session_id=?', (sid,)), [(None,)], 'row')
    finally:
        _drop(USER_A, USER_B)
