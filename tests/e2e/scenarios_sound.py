"""End-to-end sound (client contract 2.11, spec 5): the session's programs
reach the client's PulseAudio through the forwarded sound port.

The client side runs a real PulseAudio daemon started by the test (a null
sink, the native protocol on 127.0.0.1:4713, where python-x2go's reverse
forward points, with the cookie in the client's ~/.config/pulse/cookie);
pyhoca-cli runs with `--sound pulse`. In the session a script waits for a
go file, then plays a 440 Hz tone with `paplay` in the environment the
server gave it (PULSE_CLIENTCONFIG from the client's command line). The
test records the null sink's monitor all along with `parec`: before the go
the monitor is silent, while the tone plays it holds a loud 440 Hz signal.

`--sound none` gives the session no PULSE_CLIENTCONFIG and no
.pulse-client.conf; `--sound esd` gives it ESPEAKER=localhost:<sound port>
(what the reference's x2goruncommand sets) and no PULSE_CLIENTCONFIG.
"""

import array
import math
import os
import shlex
import subprocess
import threading
import time

from harness import T, TestFailure, check, log, port_free, port_open, stop_group, tail, wait_for
from scenarios import _assert_running, _terminate

PA_PORT = 4713  # python-x2go's default local sound port (snd_port)
RATE = 44100
TONE_HZ = 440
TONE_SECONDS = 3
BLOCK = RATE // 10  # 100 ms
# The session's program: its environment to a file, then on each go file
# the tone, paplay's status and errors to files; it stays until terminated.
SCRIPT = """#!/bin/sh
env > "$HOME/x2goe2e-sound-env.tmp" && mv "$HOME/x2goe2e-sound-env.tmp" "$HOME/x2goe2e-sound-env"
while :; do
    while [ ! -e "$HOME/x2goe2e-sound-go" ]; do sleep 0.2; done
    rm -f "$HOME/x2goe2e-sound-go"
    paplay "$HOME/x2goe2e-tone.wav" 2>"$HOME/x2goe2e-sound-err"
    echo $? > "$HOME/x2goe2e-sound-rc.tmp" && mv "$HOME/x2goe2e-sound-rc.tmp" "$HOME/x2goe2e-sound-rc"
done
"""
# A mono 16-bit WAV of the tone at half scale, written by the server's python.
TONE_PY = ("import math,struct,wave,os\n"
           "w=wave.open(os.path.expanduser('~/x2goe2e-tone.wav'),'wb')\n"
           "w.setnchannels(1);w.setsampwidth(2);w.setframerate(%d)\n"
           "w.writeframes(b''.join(struct.pack('<h',int(16000*math.sin(2*math.pi*%d*i/%d)))"
           " for i in range(%d)))\nw.close()\n" % (RATE, TONE_HZ, RATE, RATE * TONE_SECONDS))


class Pulse:
    """The client's PulseAudio daemon: null sink, TCP on 127.0.0.1:4713
    with cookie authentication (no anonymous access), HOME and runtime dir
    of the client's scratch home."""

    def __init__(self, home, results):
        self.home = home
        self.cookie = os.path.join(home, ".config", "pulse", "cookie")
        self.log = os.path.join(results, "pulseaudio.log")
        self.proc = None

    def env(self):
        return {"HOME": self.home, "XDG_RUNTIME_DIR": os.path.join(self.home, "run"),
                "PATH": "/usr/bin:/bin", "PULSE_SERVER": "tcp:127.0.0.1:%d" % PA_PORT,
                "PULSE_COOKIE": self.cookie, "LANG": "C.UTF-8"}

    def __enter__(self):
        if not os.path.exists("/usr/bin/pulseaudio") or not os.path.exists("/usr/bin/parec"):
            raise TestFailure("pulseaudio or parec is missing: install pulseaudio, pulseaudio-utils")
        check(port_free(PA_PORT), "127.0.0.1:%d is taken: the client's sound server needs it" % PA_PORT)
        os.makedirs(os.path.dirname(self.cookie), exist_ok=True)
        os.makedirs(os.path.join(self.home, "run"), mode=0o700, exist_ok=True)
        with open(self.cookie, "wb") as fh:
            fh.write(os.urandom(256))
        argv = ["/usr/bin/pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                "--use-pid-file=no", "--realtime=no", "--high-priority=no", "--log-target=stderr",
                "-L", "module-null-sink sink_name=x2goe2e rate=%d" % RATE,
                "-L", "module-native-protocol-tcp port=%d listen=127.0.0.1 auth-cookie=%s"
                % (PA_PORT, self.cookie)]
        with open(self.log, "w") as fh:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh,
                                         stderr=subprocess.STDOUT, env=self.env(),
                                         start_new_session=True)
        try:
            wait_for(lambda: self.proc.poll() is None and port_open(PA_PORT) and self.ctl("info"),
                     T(30), "PulseAudio to answer on 127.0.0.1:%d" % PA_PORT)
        except TestFailure:
            self.__exit__()
            raise
        return self

    def ctl(self, *args):
        r = subprocess.run(["pactl"] + list(args), capture_output=True, text=True,
                           env=self.env(), timeout=T(20))
        return r.returncode == 0

    def __exit__(self, *exc):
        stop_group(self.proc, grace=T(20))


class Recorder:
    """parec of the null sink's monitor, read all along; each chunk with
    the time it arrived (small fragments: parec delivers as it records)."""

    def __init__(self, pulse):
        self.chunks = []
        self.proc = subprocess.Popen(
            ["parec", "-d", "x2goe2e.monitor", "--raw", "--format=s16le", "--rate=%d" % RATE,
             "--channels=1", "--latency-msec=50"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=pulse.env(), start_new_session=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            data = self.proc.stdout.read1(8192)
            if not data:
                return
            self.chunks.append((time.monotonic(), data))

    def samples(self, t0, t1):
        data = b"".join(d for t, d in list(self.chunks) if t0 <= t <= t1)
        return array.array("h", data[:len(data) & ~1])

    def stop(self):
        stop_group(self.proc, grace=T(10))
        self.thread.join(T(10))


def _blocks(samples):
    """(rms, frequency from zero crossings) of each 100 ms block."""
    out = []
    for i in range(0, len(samples) - BLOCK + 1, BLOCK):
        b = samples[i:i + BLOCK]
        rms = math.sqrt(sum(x * x for x in b) / BLOCK)
        crossings = sum(1 for j in range(1, BLOCK) if (b[j - 1] < 0) != (b[j] < 0))
        out.append((rms, crossings * RATE / (2.0 * BLOCK)))
    return out


def _prepare(env, user):
    env.ssh(user, "rm -f ~/x2goe2e-sound* ~/x2goe2e-tone.wav ~/.esd_auth; printf %%s %s > "
                  "~/x2goe2e-sound.sh && chmod 755 ~/x2goe2e-sound.sh && python3 -c %s"
            % (shlex.quote(SCRIPT), shlex.quote(TONE_PY)), check_rc=True)
    # python-x2go keeps only the base name of a command with a '/': the
    # script by its name in the home directory, where ssh starts commands
    return "sh x2goe2e-sound.sh"


def _session_env(env, user):
    text = wait_for(lambda: env.quiet(user, "cat ~/x2goe2e-sound-env 2>/dev/null || true").stdout,
                    T(60), "the session's program to write its environment", interval=0.5)
    return dict(l.split("=", 1) for l in text.splitlines() if "=" in l)


def _start(env, user, name, cookie=True):
    script = _prepare(env, user)
    c = env.client(user, name)
    if cookie and not os.path.exists(os.path.join(c.home, ".config", "pulse", "cookie")):
        os.makedirs(os.path.join(c.home, ".config", "pulse"), exist_ok=True)
        with open(os.path.join(c.home, ".config", "pulse", "cookie"), "wb") as fh:
            fh.write(os.urandom(256))
    return c, script


def _end(env, user, c, sid):
    _terminate(env, user, sid)
    env.wait_gone(user, sid, timeout=T(30))
    c.wait_exit(T(30))


def _listening(env, port):
    return "sshd" in env.root("ss -ltnpH 'sport = :%d'" % port).stdout


def _check_tone(rec, t0, t1):
    loud = [b for b in _blocks(rec.samples(t0, t1)) if b[0] > 2000]
    log("sound: %d loud 100 ms blocks, frequencies %s" % (len(loud), sorted({round(f) for _, f in loud})))
    # 3 s played: at least 2 s must arrive loud, at the tone's pitch
    check(len(loud) >= 20, "the client's sink got %d loud 100 ms blocks while the tone played "
                           "(expected >= 20)" % len(loud))
    # (a block cut by an underrun of the loaded link counts fewer crossings)
    off = [f for _, f in loud if abs(f - TONE_HZ) > 25]
    check(len(off) <= len(loud) // 3, "%d of %d loud blocks are not at %d Hz: %s"
          % (len(off), len(loud), TONE_HZ, off[:8]))
    return loud


def _play(env, t, user, rec, what):
    """The session plays the tone once; it reaches the client's sink."""
    env.quiet(user, "rm -f ~/x2goe2e-sound-rc")
    t0 = time.monotonic()
    env.quiet(user, "touch ~/x2goe2e-sound-go")
    rc = wait_for(lambda: env.quiet(user, "cat ~/x2goe2e-sound-rc 2>/dev/null || true")
                  .stdout.strip(), T(60), "paplay to finish in the session", interval=0.5)
    t1 = time.monotonic() + 0.5
    time.sleep(0.6)
    err = env.quiet(user, "cat ~/x2goe2e-sound-err").stdout
    check(rc == "0", "paplay in the session exited %s: %s" % (rc, tail(err)))
    loud = _check_tone(rec, t0, t1)
    t.note("sound (%s): %d loud 100 ms blocks at %d Hz reached the client's sink in %.1f s"
           % (what, len(loud), TONE_HZ, t1 - t0))


def _sound_ready(env, user, sid):
    """The session's PULSE_CLIENTCONFIG names the file the client wrote,
    and sshd listens on the sound port that file names."""
    conf = "%s/.x2go/C-%s/.pulse-client.conf" % (env.homes[user], sid)
    e = _session_env(env, user)
    check(e.get("PULSE_CLIENTCONFIG") == conf, "PULSE_CLIENTCONFIG in the session: %r, "
          "expected %r" % (e.get("PULSE_CLIENTCONFIG"), conf))
    port = env.session_row(user, sid)["snd_port"]
    wait_for(lambda: ("default-server=127.0.0.1:%d\n" % port) in
             env.quiet(user, "cat %s 2>/dev/null || true" % shlex.quote(conf)).stdout,
             T(30), "%s to name sound port %d" % (conf, port))
    wait_for(lambda: _listening(env, port), T(30),
             "sshd to listen on sound port %d (the client's forward)" % port)


def test_sound_pulse(env, t):
    user = env.users[0]
    c, script = _start(env, user, "sound", cookie=False)
    with Pulse(c.home, env.results) as pulse:
        rec = Recorder(pulse)
        try:
            c.start(["--new", "-c", script, "--sound", "pulse", "-g", "800x600"], "new")
            sid = c.wait_ready()
            _assert_running(env, user, sid)
            _sound_ready(env, user, sid)
            with t.sub("sound_pulse_silent_before"):
                t0 = time.monotonic()
                time.sleep(2)
                s = rec.samples(t0, time.monotonic())
                check(len(s) >= RATE, "the monitor delivered %d samples in 2 s" % len(s))
                peak = max(abs(x) for x in s)
                check(peak < 100, "the client's sink is not silent before the play: peak %d" % peak)
            with t.sub("sound_pulse_tone_reaches_client"):
                _play(env, t, user, rec, "new session")
            with t.sub("sound_pulse_after_resume"):
                ctl = env.client(user, "sound-ctl")
                out = ctl.call(["--suspend", sid], "suspend")
                check("has been suspended" in out, "pyhoca --suspend: %s" % tail(out))
                env.wait_status(user, sid, "S", timeout=T(30))
                c.wait_exit(T(40))
                c.start(["--resume", sid, "--sound", "pulse", "-g", "800x600"], "resume")
                check(c.wait_ready() == sid, "resumed another session")
                _sound_ready(env, user, sid)
                _play(env, t, user, rec, "resumed session")
            _end(env, user, c, sid)
        finally:
            rec.stop()
    env.ssh(user, "rm -f ~/x2goe2e-sound* ~/x2goe2e-tone.wav")


def _no_pulse(env, user, sid, e):
    check("PULSE_CLIENTCONFIG" not in e, "PULSE_CLIENTCONFIG in the session: %r"
          % e.get("PULSE_CLIENTCONFIG"))
    d = "~/.x2go/C-%s" % sid
    r = env.quiet(user, "ls -A %s" % d).stdout.split()
    check(".pulse-client.conf" not in r and ".pulse-cookie" not in r,
          "the session dir has PulseAudio files: %r" % r)


def test_sound_none(env, t):
    """--sound none (with a cookie on the client): no PulseAudio setup."""
    user = env.users[0]
    c, script = _start(env, user, "sound-none")
    c.start(["--new", "-c", script, "--sound", "none", "-g", "800x600"], "new")
    sid = c.wait_ready()
    _assert_running(env, user, sid)
    e = _session_env(env, user)
    _no_pulse(env, user, sid, e)
    check("ESPEAKER" not in e and "ARTS_SERVER" not in e,
          "a sound server in the session: %r" % {k: e[k] for k in e if k in ("ESPEAKER", "ARTS_SERVER")})
    _end(env, user, c, sid)
    env.ssh(user, "rm -f ~/x2goe2e-sound* ~/x2goe2e-tone.wav")


def test_sound_esd(env, t):
    """--sound esd: ESPEAKER names the forwarded sound port (spec 5), the
    client's ~/.esd_auth was uploaded, nothing of PulseAudio."""
    user = env.users[0]
    c, script = _start(env, user, "sound-esd")
    with open(os.path.join(c.home, ".esd_auth"), "wb") as fh:
        fh.write(os.urandom(16))
    c.start(["--new", "-c", script, "--sound", "esd", "-g", "800x600"], "new")
    sid = c.wait_ready()
    row = _assert_running(env, user, sid)
    e = _session_env(env, user)
    check(e.get("ESPEAKER") == "localhost:%d" % row["snd_port"],
          "ESPEAKER in the session: %r, sound port %d" % (e.get("ESPEAKER"), row["snd_port"]))
    _no_pulse(env, user, sid, e)
    r = env.quiet(user, "stat -c %s ~/.esd_auth").stdout.strip()
    check(r == "16", "the client's ~/.esd_auth on the server: %r bytes" % r)
    _end(env, user, c, sid)
    env.ssh(user, "rm -f ~/x2goe2e-sound* ~/x2goe2e-tone.wav ~/.esd_auth")


TESTS = [("sound_pulse", test_sound_pulse), ("sound_none", test_sound_none),
         ("sound_esd", test_sound_esd)]
SUBTESTS = {"sound_pulse": ["sound_pulse_silent_before", "sound_pulse_tone_reaches_client",
                            "sound_pulse_after_resume"]}
