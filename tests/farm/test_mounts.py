"""Shared folders on a PostgreSQL host: x2gomountdirs mounts a folder over
sshfs (the host's own sshd standing in for the client's SFTP server), the
row lands in the mounts table with the user's role as creator,
x2golistmounts lists it, another user can neither list nor unmount it,
and x2goumount-session unmounts it and drops the row."""
import os
import pwd

import sshlib
from pglib import EMPTY, START_ARGS, START_ENV, USERS, Host, check, cmd, home, hosts, ok, run

A, B = USERS[0], USERS[1]
HOST = 'x2gofarmh1'
MARK = '----BEGIN RSA IDENTITY----'


def mounted(path):
    r = run(['cat', '/proc/self/mountinfo'], host=HOST)
    return any(l.split()[4] == path for l in r.out.decode().splitlines())


def key_bundle(scratch):
    """The client's key file as x2goclient sends it: the private key, the
    marker, the host key of the SFTP server (here the host's sshd)."""
    with open(os.path.join(scratch, 'client', '.ssh', 'id_rsa')) as f:
        key = f.read()
    with open(os.path.join(scratch, 'hostkey.pub')) as f:
        hostkey = ' '.join(f.read().split()[:2])
    d = os.path.join(home(A), '.x2go', 'ssh')
    os.makedirs(d, exist_ok=True)
    pw = pwd.getpwnam(A)
    for p in (os.path.dirname(d), d):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    path = os.path.join(d, 'key.zfarm')
    with open(path, 'w') as f:
        f.write(key + MARK + hostkey)
    os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(path, 0o600)
    return path


def t_mount_list_umount(ctx):
    c = ctx['cluster']
    st = os.stat('/dev/fuse')
    if st.st_mode & 0o006 != 0o006:  # containers without Debian's udev rule
        os.chmod('/dev/fuse', 0o666)
    keys = ctx['keys'] = sshlib.Keys()
    keys.allow(A)
    scratch = keys.dir
    share = os.path.join(scratch, 'share')
    os.makedirs(share)
    with open(os.path.join(share, 'hello.txt'), 'w') as f:
        f.write('from the client\n')
    pw = pwd.getpwnam(A)
    for p in (share, os.path.join(share, 'hello.txt')):
        os.chown(p, pw.pw_uid, pw.pw_gid)
    Host(HOST)
    # the client's SFTP server, reached as the reverse tunnel is: on the
    # host's own 127.0.0.1
    port = 2222
    ctx['procs'] = [sshlib.start_sshd(HOST, keys, [A], '127.0.0.1', port)]
    r = ok(run([cmd('x2gostartagent')] + START_ARGS, user=A, host=HOST, env=START_ENV,
               timeout=120), 'x2gostartagent')
    sid, ctx['agent'] = r.lines()[3], int(r.lines()[2])
    mp = ctx['mp'] = '/tmp/.x2go-%s/media/disk/%s' % (A, share.replace('/', '_'))

    keyfile = key_bundle(scratch)
    r = run([cmd('x2gomountdirs'), 'dir', sid, A, keyfile,
             '%s__REVERSESSH_PORT__%d' % (share, port)], user=A, host=HOST, timeout=90)
    lines = r.out.decode().split('\n')
    check(r.rc == 0 and len(lines) > 5 and lines[5] == 'mount %s ok' % share,
          'x2gomountdirs: %r' % r)
    check(not os.path.exists(keyfile), 'the key file outlived x2gomountdirs')
    check(mounted(mp), '%s is not mounted on %s' % (mp, HOST))
    got = ok(run(['cat', mp + '/hello.txt'], user=A, host=HOST)).out
    check(got == b'from the client\n', 'the session reads %r through the share' % got)

    rows = c.admin("SELECT host(client), path, creator_id FROM mounts"
                   " WHERE session_id='%s'" % sid).split()
    check(rows == ['127.0.0.1|%s|x2gouser_%s' % (mp, A)], 'mounts rows: %r' % rows)
    r = ok(run([cmd('x2golistmounts'), sid], user=A, host=HOST), 'x2golistmounts')
    check(r.out.decode() == '127.0.0.1|%s\n' % mp, 'x2golistmounts: %r' % r.out)

    r = run([cmd('x2golistmounts'), sid], user=B, host=HOST)
    check(r.rc != 0 and mp.encode() not in r.out, '%s lists the mounts of %s: %r' % (B, A, r))
    run([cmd('x2goumount-session'), sid], user=B, host=HOST)
    check(mounted(mp) and len(c.admin("SELECT path FROM mounts WHERE session_id='%s'"
                                      % sid).split()) == 1,
          '%s unmounted a share of %s' % (B, A))

    ok(run([cmd('x2goumount-session'), sid], user=A, host=HOST, timeout=60), 'x2goumount-session')
    check(not mounted(mp), '%s still mounted after x2goumount-session' % mp)
    left = c.admin("SELECT count(*) FROM mounts WHERE session_id='%s'" % sid).strip()
    check(left == '0', '%s mounts rows left after x2goumount-session' % left)
    r = ok(run([cmd('x2golistmounts'), sid], user=A, host=HOST))
    check(r.out == b'\n', 'x2golistmounts after the unmount: %r' % r.out)


def cleanup(ctx):
    if ctx.get('agent'):
        try:
            os.kill(ctx['agent'], 9)
        except ProcessLookupError:
            pass
    for p in reversed(ctx.get('procs', [])):
        p.kill()
        p.wait()
    if HOST in hosts:
        if ctx.get('mp') and mounted(ctx['mp']):
            run(['umount', '-l', ctx['mp']], host=HOST)
        hosts[HOST].destroy()
    if ctx.get('keys'):
        ctx['keys'].remove()
    ctx['cluster'].admin(EMPTY)


TESTS = [(f.__name__, f) for f in (t_mount_list_umount,)]
