"""The session environment without a desktop (issue 11): x2goruncommand
starts a desktop (type D) through /etc/x2go/Xsession under dbus-run-session
(profile, Debian's Xsession.d, ~/.xsessionrc, a D-Bus session bus of its
own), runs other types directly, and runs the logout scripts
(/etc/x2go/x2go_logout, x2go_logout.d, ~/.x2go_logout) when the session
ends, also when it is terminated, bounded in time.

The program is a probe script that records its environment, its parent's
argv and the bus's answer. The agent is a fake one (itlib), so the
Xsession.d scripts that talk to an X server fail quietly as they do
without a display.
"""

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time

from itlib import (ENV, HOST, RUNUSER, SERVER_CONF, USER_A, Sessions, check, eq, replaced_file,
                   run, uid_of)

PROBE = '/var/tmp/x2go-it/xsession-probe'
XSESSION_D = '/etc/X11/Xsession.d/45x2goit-marker'
LOGOUT_D = '/etc/x2go/x2go_logout.d/50x2goit-marker'

PROBE_TEXT = r'''#!/bin/sh
# Records what the session's program sees, in $HOME/x2goit-probe.
out=$HOME/x2goit-probe
mkdir -p "$out"
env > "$out/env"
tr '\0' ' ' < /proc/$PPID/cmdline > "$out/parent"
echo "$*" > "$out/args"
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetId > "$out/bus" 2>&1 || echo "NO BUS" >> "$out/bus"
# a daemon that leaves its parent (as ssh-agent does)
(setsid sleep 777 </dev/null >/dev/null 2>&1 &)
echo done > "$out/done"
if [ "$1" = wait ]; then
    sleep 600
fi
'''


def home():
    return pwd.getpwnam(USER_A).pw_dir


def user_file(path, text):
    """Write a file of USER_A's home as USER_A."""
    pw = pwd.getpwnam(USER_A)
    with open(path, 'w') as f:
        f.write(text)
    os.chown(path, pw.pw_uid, pw.pw_gid)


@contextlib.contextmanager
def session_files():
    """The user's ~/.profile, ~/.xsessionrc and ~/.x2go_logout, a snippet
    in Debian's Xsession.d and one in x2go_logout.d, all removed after."""
    h = home()
    saved = {}
    for name in ('.profile', '.xsessionrc', '.x2go_logout'):
        p = os.path.join(h, name)
        if os.path.exists(p):
            saved[p] = open(p, 'rb').read()
    os.makedirs(os.path.dirname(PROBE), exist_ok=True)
    with open(PROBE, 'w') as f:
        f.write(PROBE_TEXT)
    os.chmod(PROBE, 0o755)
    user_file(os.path.join(h, '.profile'), 'X2GOIT_PROFILE=from-profile; export X2GOIT_PROFILE\n')
    user_file(os.path.join(h, '.xsessionrc'),
              'echo "$X2GOIT_PROFILE" > "$HOME/x2goit-xsessionrc"\n')
    user_file(os.path.join(h, '.x2go_logout'),
              'echo "user $X2GO_SESSION" > "$HOME/x2goit-logout-user"\n')
    with open(XSESSION_D, 'w') as f:
        f.write('echo "$DBUS_SESSION_BUS_ADDRESS" > "$HOME/x2goit-xsessiond"\n')
    with open(LOGOUT_D, 'w') as f:
        f.write('echo "system $X2GO_SESSION $DISPLAY" > "$HOME/x2goit-logout-system"\n')
    try:
        yield h
    finally:
        for p in (XSESSION_D, LOGOUT_D):
            if os.path.exists(p):
                os.unlink(p)
        for name in ('.profile', '.xsessionrc', '.x2go_logout'):
            p = os.path.join(h, name)
            if p in saved:
                user_file(p, saved[p].decode())
            elif os.path.exists(p):
                os.unlink(p)
        clear_markers(h)


def clear_markers(h):
    for name in os.listdir(h):
        p = os.path.join(h, name)
        if name.startswith('x2goit-') or name.startswith('.xsession-x2go-'):
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)


def seed(s, typ='D'):
    """A session of USER_A with a live (fake) agent and its directory; the
    keyboard dir keeps x2gosetkeyboard from waiting for the agent's file."""
    info = s.add(USER_A, 'R', agent='live', cmd='XFCE', typ=typ)
    s.state(USER_A, info['sid'], 'RUNNING')
    kbd = '/tmp/.x2go-%s/C-%s/keyboard' % (USER_A, info['sid'])
    os.mkdir(kbd, 0o700)
    os.chown(kbd, uid_of(USER_A), pwd.getpwnam(USER_A).pw_gid)
    return info


def runcommand_argv(info, cmd, typ, sndsys='none'):
    return ['/usr/bin/x2goruncommand', str(info['display']), str(info['agent_pid']),
            info['sid'], '4713', cmd, sndsys, typ]


def read(h, name):
    with open(os.path.join(h, name)) as f:
        return f.read()


def env_of(h):
    return dict(l.split('=', 1) for l in read(h, 'x2goit-probe/env').splitlines() if '=' in l)


def test_desktop_runs_through_xsession():
    with session_files() as h, Sessions() as s:
        info = seed(s)
        env = dict(ENV, PULSE_CLIENTCONFIG='%s/.x2go/C-%s/.pulse-client.conf' % (h, info['sid']))
        r = run(runcommand_argv(info, PROBE + 'X2GO_SPACE_CHARone', 'D', 'pulse'),
                user=USER_A, env=env, timeout=90)
        eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand')
        # argv: the script under dbus-run-session, the command as one argument
        eq(read(h, 'x2goit-probe/parent'),
           '/usr/bin/dbus-run-session -- /etc/x2go/Xsession %s one ' % PROBE,
           "the program's parent (after the script's exec)")
        eq(read(h, 'x2goit-probe/args'), 'one\n', "the program's arguments")
        e = env_of(h)
        eq(e.get('X2GOIT_PROFILE'), 'from-profile', '~/.profile variable in the program')
        eq(e.get('X2GO_SESSION'), info['sid'], 'X2GO_SESSION')
        eq(e.get('DISPLAY'), ':%d' % info['display'], 'DISPLAY')
        eq(e.get('X2GO_AGENT_PID'), str(info['agent_pid']), 'X2GO_AGENT_PID')
        eq(e.get('X2GO_MIMEBOX'), '%s/.x2go/C-%s/mimebox' % (h, info['sid']),
           'X2GO_MIMEBOX (the link x2gomountdirs makes to the MIME box spool)')
        eq(e.get('PULSE_CLIENTCONFIG'), env['PULSE_CLIENTCONFIG'],
           "the client's PulseAudio configuration reaches the program")
        bus = e.get('DBUS_SESSION_BUS_ADDRESS', '')
        check(bus.startswith('unix:'), 'no session bus address: %r' % bus)
        check(re.search(r'string "[0-9a-f]{32}"', read(h, 'x2goit-probe/bus')),
              'the session bus did not answer: %r' % read(h, 'x2goit-probe/bus'))
        # Debian's 40x11-common_xsessionrc read ~/.xsessionrc after the profile;
        # our Xsession.d snippet ran inside the bus
        eq(read(h, 'x2goit-xsessionrc'), 'from-profile\n', '~/.xsessionrc ran after ~/.profile')
        eq(read(h, 'x2goit-xsessiond'), bus + '\n', 'the Xsession.d snippet saw the bus')
        log = read(h, '.xsession-x2go-%s-errors' % HOST)
        check('sourcing /etc/x2go/Xsession.d/40x11-common_xsessionrc' in log,
              'Xsession log: %r' % log[-600:])
        out = open('/tmp/.x2go-%s/C-%s/cmdoutput' % (USER_A, info['sid'])).read() \
            if os.path.exists('/tmp/.x2go-%s/C-%s' % (USER_A, info['sid'])) else None
        check(out is None, 'the session dir was kept after a normal end: %r' % out)
        # the session ended: logout scripts, system and user, with its environment
        eq(read(h, 'x2goit-logout-system'), 'system %s :%d\n' % (info['sid'], info['display']),
           'x2go_logout.d snippet')
        eq(read(h, 'x2goit-logout-user'), 'user %s\n' % info['sid'], '~/.x2go_logout')
        eq(daemons_left(), [], 'the daemon the program started, after the session')


def daemons_left():
    r = subprocess.run(['ps', '-u', USER_A, '-o', 'pid=,args='], capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if 'sleep 777' in l]


def test_single_application_runs_directly():
    with session_files() as h, Sessions() as s:
        info = seed(s, typ='R')
        r = run(runcommand_argv(info, PROBE, 'R', 'esd'), user=USER_A, timeout=90)
        eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand')
        check(read(h, 'x2goit-probe/parent').startswith('/usr/bin/x2goruncommand '),
              'parent of a single application: %r' % read(h, 'x2goit-probe/parent'))
        e = env_of(h)
        check('X2GOIT_PROFILE' not in e, 'the profile was read for a single application')
        check(not os.path.exists(os.path.join(h, 'x2goit-xsessionrc')), '~/.xsessionrc ran')
        eq(e.get('X2GO_SESSION'), info['sid'], 'X2GO_SESSION')
        eq(e.get('ESPEAKER'), 'localhost:4713', 'the esd sound server (spec 5)')
        # the logout scripts run for every session type
        eq(read(h, 'x2goit-logout-user'), 'user %s\n' % info['sid'], '~/.x2go_logout')


def session_processes(sid):
    """Processes of USER_A whose environment names the session."""
    found = []
    pids = subprocess.run(['pgrep', '-u', USER_A], capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            with open('/proc/%s/environ' % pid, 'rb') as f:
                env = f.read()
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if b'X2GO_SESSION=' + sid.encode() + b'\0' in env:
            found.append('%s:%s' % (pid, cmd))
    return found


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError('timed out after %ds waiting for %s' % (timeout, what))


def test_terminate_runs_logout_and_leaves_nothing():
    with session_files() as h, Sessions() as s:
        info = seed(s)
        sid = info['sid']
        p = subprocess.Popen([RUNUSER, '-u', USER_A, '--'] +
                             runcommand_argv(info, PROBE + 'X2GO_SPACE_CHARwait', 'D'),
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
        try:
            wait_for(lambda: os.path.exists(os.path.join(h, 'x2goit-probe/done')), 60,
                     'the desktop program to start')
            check(len(session_processes(sid)) >= 3, 'runcommand, bus, program: %s'
                  % session_processes(sid))
            r = run(['/usr/bin/x2goterminate-session', sid], user=USER_A, timeout=60)
            eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goterminate-session')
            p.wait(timeout=60)
            eq(read(h, 'x2goit-logout-user'), 'user %s\n' % sid, '~/.x2go_logout after terminate')
            eq(read(h, 'x2goit-logout-system').split()[:2], ['system', sid], 'x2go_logout.d')
            wait_for(lambda: not session_processes(sid), 10, 'no process of the session left')
            eq(daemons_left(), [], 'the daemon the program started, after terminate')
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def test_logout_scripts_are_bounded():
    conf = open(SERVER_CONF).read() + '\n[sessions]\nlogout-timeout=2\n'
    with session_files() as h, Sessions() as s, replaced_file(SERVER_CONF, conf):
        # a hook that never ends, before the user's script
        with open('/etc/x2go/x2go_logout.d/005x2goit-hang', 'w') as f:
            f.write('echo started > "$HOME/x2goit-hang"; sleep 300\n')
        try:
            info = seed(s, typ='R')
            t0 = time.time()
            r = run(runcommand_argv(info, '/bin/true', 'R'), user=USER_A, timeout=90)
            took = time.time() - t0
        finally:
            os.unlink('/etc/x2go/x2go_logout.d/005x2goit-hang')
        eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand')
        eq(read(h, 'x2goit-hang'), 'started\n', 'the hanging hook ran')
        check(took < 30, 'x2goruncommand took %.1f s with a 2 s logout timeout' % took)
        check(not os.path.exists(os.path.join(h, 'x2goit-logout-user')),
              'the scripts after the hanging one ran (it was not killed?)')
        left = [l for l in subprocess.run(['ps', '-u', USER_A, '-o', 'pid=,args='],
                                          capture_output=True, text=True).stdout.splitlines()
                if 'sleep 300' in l]
        eq(left, [], 'processes of the killed logout scripts')


def test_logout_script_others_can_change_is_not_run():
    with session_files() as h, Sessions() as s:
        os.chmod('/etc/x2go/x2go_logout', 0o664)
        try:
            info = seed(s, typ='R')
            r = run(runcommand_argv(info, '/bin/true', 'R'), user=USER_A, timeout=90)
        finally:
            os.chmod('/etc/x2go/x2go_logout', 0o644)
        eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand')
        check(not os.path.exists(os.path.join(h, 'x2goit-logout-user')),
              'a group-writable /etc/x2go/x2go_logout was run')


def test_noexec_desktop_keeps_message():
    with session_files() as h, Sessions() as s:
        info = seed(s)
        r = run(runcommand_argv(info, 'x2goit-no-such-desktop', 'D'), user=USER_A, timeout=90)
        eq((r.rc, r.out, r.err), (0, b'', b''), 'x2goruncommand')
        r = run(['/usr/bin/x2gocmdexitmessage', info['sid']], user=USER_A)
        eq(r.out, b'X2GORUNCOMMAND ERR NOEXEC:x2goit-no-such-desktop\n', 'exit message')
        eq(read(h, 'x2goit-logout-user'), 'user %s\n' % info['sid'], 'logout after NOEXEC')


def test_xsession_feature_advertised():
    eq(run(['/usr/bin/x2gofeature', 'X2GO_XSESSION'], user=USER_A).out, b'ok\n', 'x2gofeature')
    listed = run(['/usr/bin/x2gofeaturelist'], user=USER_A).out.decode().splitlines()
    names = ('X2GOAGENT_RANDRXINERAMA', 'X2GO_XSESSION', 'X2GO_LIST_DESKTOPS')
    # in the reference's order
    eq([n for n in listed if n in names], list(names), 'features listed')
