#!/bin/bash
# The test suite's dependencies, all from Debian's packages: installed when
# missing (as root), so that tests/run.sh works on a fresh Debian 12 after
# the README's install command. Also sets up the reference x2goserver in its
# private tree (bench/refenv.sh) for the mixed-farm tests. Idempotent and
# quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

PKGS="build-essential meson ninja-build pkg-config libsqlite3-dev libcmocka-dev librsvg2-dev
sqlite3 nxagent nxproxy xauth x11-utils x11-apps x11-xkb-utils xvfb imagemagick
openssh-server openssh-client openssh-sftp-server python3 python3-x2go pyhoca-cli
psmisc procps iproute2 bash adduser libsystemd-dev libx11-dev libxss-dev gcovr postgresql
libpq-dev sshfs fuse3 debhelper dpkg-dev fakeroot git scdoc lintian man-db
python3-prometheus-client cups cups-client cups-x2go ghostscript sudo xdg-utils
desktop-file-utils shared-mime-info x2gobroker-daemon x2gobroker-agent
libqt5widgets5 libqt5network5 libqt5gui5 xdotool x11-xserver-utils
x11-common dbus-daemon dbus-bin xfce4-session xfwm4 xfdesktop4 xfce4-panel
pulseaudio pulseaudio-utils"

missing=()
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "tests/deps.sh: installing ${missing[*]}" >&2
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The desktop-sharing applet (e2e tests) depends on the x2goserver package
# this server replaces: unpack it instead of letting apt pull that in.
if [ ! -x /usr/bin/x2godesktopsharing ]; then
    d=$(mktemp -d)
    (cd "$d" && { apt-get download -q x2godesktopsharing >/dev/null 2>&1 ||
                  { apt-get update -q >/dev/null && apt-get download -q x2godesktopsharing >/dev/null; }; } &&
        dpkg-deb -x x2godesktopsharing_*.deb /)
    rm -rf "$d"
fi
# The reference, never installed on the host (tests/farm/test_mixed.py).
[ -x "${REFENV_DIR:-/var/tmp/x2go-refenv}/root/usr/bin/x2golistsessions" ] ||
    bash bench/refenv.sh setup >/dev/null
