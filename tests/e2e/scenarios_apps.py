"""End-to-end scenarios for published applications and the keyboard
(issue #11), in the form of scenarios.py: test_<name>(env, t), listed in
TESTS. run.py picks them up when it adds `scenarios_apps.TESTS` to the
tests it runs.

* published_apps_listed: python-x2go's own API (the control session's
  get_published_applications, very_raw, since its parser chokes on bytes
  in python3-x2go 0.6.1.3, client contract 2.16) lists an application
  placed in the user's ~/.x2go/applications, with its SVG icon converted
  to a PNG that decodes.
* keyboard_pc105_de: a session started by pyhoca-cli with
  --kbd-type pc105/de has that layout in its X server
  (setxkbmap -query on the session's display).
"""

import base64
import os
import re
import struct
import subprocess
import zlib

from harness import SYS_PATH, T, check, tail

from scenarios import APP, _terminate

SVG = ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16">'
       '<rect width="16" height="16" fill="#00ff00"/></svg>\n')

# Runs on the client side with python-x2go (as root, HOME = the client's
# scratch home with the user's key): connect, query, print the raw menu.
CLIENT = r'''
import os, sys, x2go
port, user, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = x2go.X2GoClient(start_xserver=False, start_pulseaudio=False, use_cache=False,
                    loglevel=x2go.log.loglevel_ERROR)
uuid = c.register_session("127.0.0.1", port=port, username=user, key_filename=key,
                          known_hosts=sys.argv[4], add_to_known_hosts=True,
                          profile_name="e2e-apps", published_applications=True,
                          cmd="PUBLISHED")
c.connect_session(uuid, add_to_known_hosts=True)
s = c.session_registry(uuid)
raw = s.control_session.get_published_applications(very_raw=True)
sys.stdout.buffer.write(raw if isinstance(raw, bytes) else str(raw).encode())
sys.stdout.flush()
c.disconnect_session(uuid)
os._exit(0)  # python-x2go's threads would keep the interpreter alive
'''


def _png_ok(data):
    """A whole PNG: signature, and every chunk's CRC; returns (w, h)."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "icon is not a PNG: %r" % data[:16])
    off, size = 8, None
    while off < len(data):
        n, kind = struct.unpack(">I4s", data[off:off + 8])
        body = data[off + 8:off + 8 + n]
        crc = struct.unpack(">I", data[off + 8 + n:off + 12 + n])[0]
        check(zlib.crc32(kind + body) & 0xffffffff == crc, "bad CRC in PNG chunk %r" % kind)
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        off += 12 + n
        if kind == b"IEND":
            break
    check(size, "PNG without IHDR")
    return size


def test_published_apps_listed(env, t):
    user = env.users[0]
    name = "x2goe2e-apps-%d" % os.getpid()
    home = env.ssh(user, "echo $HOME", check_rc=True).stdout.strip()
    check(home.startswith("/"), "home of %s: %r" % (user, home))
    # the user's own application dir and icon, written through ssh as the user
    env.ssh(user, "mkdir -p ~/.x2go/applications && cat > ~/.x2go/applications/%s.desktop"
            " <<'EOF'\n[Desktop Entry]\nType=Application\nName=E2E App\nName[de]=E2E Anwendung\n"
            "Exec=xmessage e2e\nIcon=%s/.x2go/%s.svg\nCategories=Utility;\nEOF\n"
            "cat > ~/.x2go/%s.svg <<'EOF'\n%sEOF\n"
            % (name, home, name, name, SVG), check_rc=True)
    try:
        c = env.client(user, "apps")
        key = os.path.join(c.home, ".ssh", "id_rsa")
        known = os.path.join(c.home, ".ssh", "known_hosts")
        r = subprocess.run(["/usr/bin/python3", "-c", CLIENT, str(env.port), user, key, known],
                           capture_output=True, timeout=T(90), cwd=c.home,
                           env={"HOME": c.home, "PATH": SYS_PATH, "LANG": "C.UTF-8"})
        out = r.stdout
        check(r.returncode == 0 and out, "python-x2go query failed (rc %d): %s"
              % (r.returncode, tail(r.stderr.decode(errors="replace"))))
        # python-x2go's own dissection, on bytes
        items = [i.replace(b"<desktop>\n", b"") for i in out.split(b"</desktop>\n")]
        mine = [i for i in items if b"\nName[de]=E2E Anwendung\n" in b"\n" + i]
        check(len(mine) == 1, "the application is not listed once: %s" % tail(out.decode(errors="replace")))
        item = mine[0]
        check(b"<icon>\n" in item and b"</icon>\n" in item, "no icon block: %r" % item[:200])
        text = item.split(b"<icon>\n")[0] + item.split(b"</icon>\n")[1]
        check(re.search(rb"^Exec=xmessage e2e$", text, re.M), "Exec line: %r" % text)
        check(re.search(rb"^Categories=Utility;$", text, re.M), "Categories line: %r" % text)
        icon = base64.b64decode(item.split(b"<icon>\n")[1].split(b"</icon>\n")[0])
        w, h = _png_ok(icon)
        check((w, h) == (48, 48), "icon size %dx%d" % (w, h))
    finally:
        env.ssh(user, "rm -f ~/.x2go/applications/%s.desktop ~/.x2go/%s.svg" % (name, name))


def test_keyboard_pc105_de(env, t):
    user = env.users[0]
    c = env.client(user, "kbd-de")
    c.new(APP, extra=["--kbd-type", "pc105/de"])
    sid = c.wait_ready()
    try:
        disp = int(re.match(r"%s-(\d+)-" % re.escape(user), sid).group(1))
        r = env.ssh(user, "DISPLAY=:%d setxkbmap -query" % disp, check_rc=True)
        query = r.stdout
        check(re.search(r"^layout:\s+de$", query, re.M), "layout is not de: %r" % query)
        check(re.search(r"^model:\s+pc105$", query, re.M), "model is not pc105: %r" % query)
    finally:
        _terminate(env, user, sid)
        c.stop()


TESTS = [
    ("published_apps_listed", test_published_apps_listed),
    ("keyboard_pc105_de", test_keyboard_pc105_de),
]
