"""A mixed farm: the reference x2goserver 4.1 (unpacked by bench/refenv.sh,
shown only inside its private mount namespace) on the same database as
ours. Each lists and ends the other's sessions; the guard does not get in
the reference's way. Needs `bench/refenv.sh setup` (tests/deps.sh does it); without it
these tests fail, or are reported as skipped when X2GO_FARM_ALLOW_SKIP is
set (a hand run without the reference)."""
import json
import os
import shlex

import pglib

from pglib import START_ARGS, START_ENV, USERS, Host, check, cmd, hosts, ok, run

A = USERS[0]
REFHOST, OURHOST = 'x2gofarmref', 'x2gofarmh2'
REFENV = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench',
                      'refenv.sh')
REFROOT = os.environ.get('REFENV_DIR', '/var/tmp/x2go-refenv') + '/root'


class Skip(Exception):
    pass


def ref(argv, user=A):
    """argv by the reference, as user, inside its namespace, with this
    suite's database configuration."""
    if not os.path.isfile(os.path.join(REFROOT, 'usr/bin/x2golistsessions')):
        raise Skip('the reference is not set up (bench/refenv.sh setup)')
    env = ' '.join(shlex.quote('%s=%s' % kv) for kv in sorted(START_ENV.items()))
    inner = ('cp -r %s/. /etc/x2go/x2gosql/ && exec runuser -u %s -- env %s %s'
             % (pglib.conf_dir, user, env, ' '.join(shlex.quote(a) for a in argv)))
    if REFHOST not in hosts:
        Host(REFHOST)
    return run([REFENV, 'run', '/bin/bash', '-c', inner], host=REFHOST, timeout=120)


def fields(line):
    f = line.split('|')
    return f[:12] + f[13:14]  # all but the age (and Telekinesis columns)


def t_reference_sees_ours(ctx):
    theirs = ref(['x2golistsessions', '--all-servers'])  # skips early without the reference
    Host(OURHOST)
    r = ok(run([cmd('x2gostartagent')] + START_ARGS, user=A, env=START_ENV, host=OURHOST))
    sid = r.lines()[3]
    ctx['ours'] = sid
    mine = [l for l in ok(run([cmd('x2golistsessions')], user=A, host=OURHOST)).lines()
            if sid in l]
    theirs = [l for l in ref(['x2golistsessions', '--all-servers']).lines() if sid in l]
    check(len(mine) == 1 and len(theirs) == 1 and fields(mine[0]) == fields(theirs[0]),
          'the reference lists our session alike: %r / %r' % (mine, theirs))


def t_ours_sees_reference(ctx):
    r = ref(['x2gostartagent'] + START_ARGS)
    check(r.rc == 0 and len(r.lines()) >= 7, 'the reference starts on our database: %r' % r)
    sid = [l for l in r.lines() if l.startswith(A + '-')][0]
    ctx['theirs'] = sid
    mine = [l for l in ok(run([cmd('x2golistsessions'), '--all-servers'], user=A,
                              host=OURHOST)).lines() if sid in l]
    check(len(mine) == 1 and mine[0].split('|')[4] == 'R', 'we list the reference session')
    c = ctx['cluster']
    check(c.admin("SELECT creator_id FROM sessions WHERE session_id='%s'" % sid).strip() ==
          'x2gouser_' + A, 'the reference wrote as the user\'s role')


def t_each_ends_the_other(ctx):
    if 'ours' not in ctx or 'theirs' not in ctx:
        raise Skip('no sessions from the earlier steps')
    c = ctx['cluster']
    ok(run([cmd('x2goterminate-session'), ctx['theirs']], user=A, host=REFHOST))
    r = run(hosts[OURHOST].prefix() + [REFENV, 'run', '/bin/bash', '-c',
                                       'cp -r %s/. /etc/x2go/x2gosql/ && exec runuser -u %s'
                                       ' -- x2goterminate-session %s'
                                       % (pglib.conf_dir, A, ctx['ours'])], timeout=120)
    check(r.rc == 0, 'the reference terminates ours: %r' % r)
    for sid in (ctx['ours'], ctx['theirs']):
        st = c.admin("SELECT status FROM sessions WHERE session_id='%s'" % sid).strip()
        check(st in ('F', ''), '%s should be ended, is %r' % (sid, st))


def t_history_of_the_mixed_farm(ctx):
    """The history trigger records the reference's writes too. The
    reference ends a session by marking it failed, so its termination of
    ours is a failure; ours of the reference's is a terminate."""
    if 'ours' not in ctx or 'theirs' not in ctx:
        raise Skip('no sessions from the earlier steps')
    got = json.loads(ok(run([cmd('x2gosessionhistory'), '--json'])).out)
    of = {sid: [(e['event'], e['host']) for e in got if e['session_id'] == sid]
          for sid in (ctx['ours'], ctx['theirs'])}
    check(of[ctx['theirs']] == [('start', REFHOST), ('terminate', REFHOST)] and
          of[ctx['ours']] == [('start', OURHOST), ('failure', OURHOST)],
          'history of the mixed farm: %r' % of)


def cleanup(ctx):
    for h in (REFHOST, OURHOST):
        if h in hosts:
            hosts[h].destroy()


TESTS = [(f.__name__, f) for f in (t_reference_sees_ours, t_ours_sees_reference,
                                    t_each_ends_the_other, t_history_of_the_mixed_farm)]
