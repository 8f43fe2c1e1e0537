#!/bin/bash
# Build, install and start the X2Go server on this machine (Debian 12).
#   scripts/install.sh            install dependencies, build, install, start
#   scripts/install.sh --no-deps  skip apt-get (dependencies already there)
#   scripts/install.sh --asan     build with AddressSanitizer + UBSan (tests)
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
    apt-get install -y -q --no-install-recommends \
        build-essential meson ninja-build pkg-config libsqlite3-dev libcmocka-dev libsystemd-dev libpq-dev librsvg2-dev \
        sqlite3 nxagent xauth x11-utils x11-xkb-utils openssh-server openssh-sftp-server \
        psmisc procps iproute2 bash sshfs fuse3
fi

build=$here/build-install
opts=(--prefix=/usr --buildtype=debugoptimized -Dtests=false)
if [ $asan = 1 ]; then
    build=$here/build-install-asan
    opts+=(-Db_sanitize=address,undefined -Db_lundef=false)
fi
if [ -d "$build" ]; then
    meson setup --reconfigure "$build" "$here" "${opts[@]}" >/dev/null
else
    meson setup "$build" "$here" "${opts[@]}" >/dev/null
fi
ninja -C "$build" >/dev/null
meson install -C "$build" --quiet >/dev/null

lib=/usr/lib/x2go
# The database group and its system user (home = the database directory).
getent group x2gouser >/dev/null || addgroup --system x2gouser >/dev/null
getent passwd x2gouser >/dev/null ||
    adduser --system --home /var/lib/x2go --no-create-home --shell /bin/false \
        --ingroup x2gouser --disabled-password --disabled-login x2gouser >/dev/null

# One link per command, as the binary's own table lists them.
"$lib/x2go-cmd" --list | while read -r dir name; do
    case $dir in
    bin) dest=/usr/bin ;; sbin) dest=/usr/sbin ;; libexec) dest=$lib ;;
    esac
    ln -sfn "$lib/x2go-cmd" "$dest/$name"
done

# No set-id program any more (the store server replaced the setgid helper).
rm -f "$lib/x2go-sqlite-helper"

# The agent under its X2Go name (nxagent switches to X2Go mode by argv[0]).
nxdir=/usr/lib/x86_64-linux-gnu/nx/bin
if [ -e "$nxdir/nxagent" ]; then
    ln -sfn nxagent "$nxdir/x2goagent"
    ln -sfn "$nxdir/x2goagent" /usr/bin/x2goagent
fi

# Configuration: never overwrite what an administrator changed.
install -d -m 0755 /etc/x2go /etc/x2go/x2gosql
install -d -m 0700 /etc/x2go/x2gosql/passwords
for f in x2goserver.conf x2goagent.options; do
    [ -e /etc/x2go/$f ] || install -m 0644 "$here/data/$f" /etc/x2go/$f
done
[ -e /etc/x2go/x2gosql/sql ] || install -m 0644 "$here/data/x2gosql/sql" /etc/x2go/x2gosql/sql

share=/usr/share/x2go
install -d -m 0755 $share/versions $share/x2gofeature.d
install -m 0644 "$here"/data/versions/VERSION.* $share/versions/
[ -e /usr/share/nx/VERSION.nxagent ] &&
    ln -sfn /usr/share/nx/VERSION.nxagent $share/versions/VERSION.x2goserver-x2goagent
for m in start resume suspend terminate runcommand; do
    for p in pre post fail; do install -d -m 0755 "$lib/extensions/$p-$m.d"; done
done
install -d -m 0755 /usr/lib/tmpfiles.d /lib/systemd/system
install -m 0644 "$here/data/tmpfiles.conf" /usr/lib/tmpfiles.d/x2goserver.conf
install -m 0644 "$here/data/x2goserver.service" /lib/systemd/system/x2goserver.service
install -m 0644 "$here/data/x2go-stored.service" /lib/systemd/system/x2go-stored.service

# The session database: created when missing, upgraded in place otherwise.
install -d -m 0770 -o root -g x2gouser /var/lib/x2go
/usr/sbin/x2godbadmin --updatedb

# The store server (root makes the socket, then it runs as x2gouser):
# through systemd when it runs, directly otherwise.
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable x2go-stored.service >/dev/null 2>&1 || true
    systemctl restart x2go-stored.service
else
    old=$(cat /run/x2go/stored.pid 2>/dev/null || true)
    if [ -n "$old" ] && [ "$(cat /proc/"$old"/comm 2>/dev/null)" = x2go-stored ]; then
        kill "$old" 2>/dev/null || true
    fi
    "$lib/x2go-stored"
fi

# The clean-up daemon: through systemd when it runs, directly otherwise.
if [ -x /usr/sbin/x2gocleansessions ]; then
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable x2goserver.service >/dev/null 2>&1 || true
        systemctl restart x2goserver.service
    else
        if [ -s /run/x2goserver.pid ]; then
            kill "$(cat /run/x2goserver.pid)" 2>/dev/null || true
            sleep 0.5
        fi
        /usr/sbin/x2gocleansessions
    fi
fi
echo "x2goserver-c installed ($(x2goversion x2goserver)); database $(ls /var/lib/x2go/x2go_sessions)"
