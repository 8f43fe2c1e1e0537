#!/bin/bash
# Build, install and start the X2Go server on this machine (Debian 12):
# builds the Debian package (scripts/build-package.sh) and installs it, so
# dpkg can upgrade, remove and audit it.
#   scripts/install.sh            install dependencies, build, install, start
#   scripts/install.sh --no-deps  skip apt-get (dependencies already there)
#   scripts/install.sh --asan     the package, then its programs replaced by
#                                 an AddressSanitizer + UBSan build (tests)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps=1 asan=0
for a in "$@"; do
    case $a in
    --no-deps) deps=0 ;;
    --asan) asan=1 ;;
    *) echo "install.sh: unknown option $a" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 1; }

if [ $deps = 1 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # Build dependencies (debian/control) and what the package depends on.
    apt-get install -y -q --no-install-recommends \
        build-essential debhelper dpkg-dev fakeroot meson ninja-build pkg-config \
        libsqlite3-dev libsystemd-dev libx11-dev libxss-dev libcmocka-dev librsvg2-dev libpq-dev scdoc git \
        adduser nxagent xauth x11-utils x11-xkb-utils openssh-server openssh-sftp-server \
        sqlite3 psmisc procps iproute2 bash sshfs fuse3 \
        cups cups-client cups-x2go ghostscript sudo xdg-utils desktop-file-utils shared-mime-info \
        x11-common dbus-daemon
fi

# The services (store server, clean-up daemon): under systemd the package
# (re)starts them; otherwise the init script is run here (a container has no
# init to do it).
# Descriptors 3-9 are closed first: a daemon must not keep a lock or pipe
# of whatever runs this script.
restart_daemon() {
    if [ -d /run/systemd/system ]; then
        systemctl restart x2go-stored.service x2go-pgstored.service x2goserver.service
    else
        (exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && /etc/init.d/x2goserver restart >/dev/null)
    fi
}

out=$here/deb
rm -f "$out"/x2goserver-c*.deb
"$here/scripts/build-package.sh" "$out" >/dev/null
deb=$(ls "$out"/x2goserver-c_*.deb)
# Configuration files already there (an earlier install) are kept.
keep=(--force-confdef --force-confold)
if [ $deps = 1 ]; then
    apt-get install -y -q --no-install-recommends --allow-downgrades \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb" >/dev/null
else
    dpkg -i "${keep[@]}" "$deb" >/dev/null
fi

if [ $asan = 1 ]; then
    # The same sources with sanitizers, over the packaged programs: each file
    # keeps the owner and mode dpkg gave it (set-id included).
    build=$here/build-install-asan
    opts=(--prefix=/usr --buildtype=debugoptimized -Dtests=false
          -Db_sanitize=address,undefined -Db_lundef=false)
    if [ -d "$build" ]; then
        meson setup --reconfigure "$build" "$here" "${opts[@]}" >/dev/null
    else
        meson setup "$build" "$here" "${opts[@]}" >/dev/null
    fi
    ninja -C "$build" >/dev/null
    stage=$build/stage
    rm -rf "$stage"
    DESTDIR=$stage meson install -C "$build" --quiet >/dev/null
    find "$stage/usr/lib/x2go" "$stage/usr/sbin" -type f -perm -u+x | while read -r f; do
        dest=${f#"$stage"}
        [ -f "$dest" ] || continue
        cp "$f" "$dest.asan-new"
        chown --reference="$dest" "$dest.asan-new"
        chmod --reference="$dest" "$dest.asan-new"
        mv "$dest.asan-new" "$dest"
    done
fi

# Debian 12's cups-x2go converts each job with Ghostscript's "-c .setpdfwrite",
# which Ghostscript 10 no longer has, so every job fails: the same command
# without it, unless the administrator has set one.
cupsx2go=/etc/cups/cups-x2go.conf
if [ -f $cupsx2go ] && ! grep -q '^[[:space:]]*ps2pdf[[:space:]]*=' $cupsx2go; then
    printf '%s\n' '# Added by x2goserver-c (scripts/install.sh): Ghostscript 10 has no .setpdfwrite.' \
        'ps2pdf=/usr/bin/gs -q -dCompatibilityLevel=1.4 -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile=- -dAutoRotatePages=/PageByPage -dAutoFilterColorImages=false -dColorImageFilter=/FlateEncode -dPDFSETTINGS=/prepress -dDoNumCopies -f "%s"' \
        >>$cupsx2go
fi

[ -x /usr/sbin/x2gocleansessions ] && restart_daemon
echo "x2goserver-c installed ($(x2goversion x2goserver)); database $(ls /var/lib/x2go/x2go_sessions)"
