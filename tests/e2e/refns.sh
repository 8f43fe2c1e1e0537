#!/bin/bash
# refns.sh: Debian's reference x2goserver 4.1.0.3 in a private mount namespace,
# for validating the e2e suite without installing anything on the host root.
# (A stand-in for bench/refenv.sh; prefer that one when it exists.)
#
#   tests/e2e/refns.sh setup        download + unpack the .debs, create the DB
#   tests/e2e/refns.sh run CMD...   run CMD (as root) in a fresh namespace that
#                                   sees the reference server
#   tests/e2e/refns.sh clean        remove everything under $X2GO_REFNS_ROOT
#
# Use with the suite:
#   X2GO_E2E_SSHD_WRAP="tests/e2e/refns.sh run" /usr/bin/python3 tests/e2e/run.py
#
# Layout under $X2GO_REFNS_ROOT (default /var/tmp/x2go-e2e-ref):
#   debs/  root/ (the unpacked packages)  db/ (the session DB dir)  gen/ (passwd, group)
# In the namespace: /usr and /etc are read-only overlays (reference files on top
# of the host's), /etc/passwd and /etc/group get an x2gouser entry, and
# /var/lib/x2go is the writable db/ dir.  /tmp, /run, /home and the network are
# shared with the host (sessions live in /tmp/.x2go-<user> as usual).
set -euo pipefail
R=${X2GO_REFNS_ROOT:-/var/tmp/x2go-e2e-ref}
XGID=${X2GO_REFNS_GID:-64999}
PKGS="x2goserver x2goserver-common x2goserver-x2goagent x2goserver-extensions
libx2go-server-perl libx2go-server-db-perl libx2go-log-perl libx2go-config-perl libx2go-utils-perl
libfile-basedir-perl libfile-which-perl libswitch-perl libtry-tiny-perl libconfig-simple-perl
libdbd-sqlite3-perl libdbi-perl libcapture-tiny-perl libipc-system-simple-perl libfile-readbackwards-perl pwgen"

gen_ids() {
    mkdir -p "$R/gen"
    { grep -v '^x2gouser:' /etc/passwd; echo "x2gouser:x:$XGID:$XGID:X2Go:/var/lib/x2go:/usr/sbin/nologin"; } >"$R/gen/passwd.$$"
    { grep -v '^x2gouser:' /etc/group; echo "x2gouser:x:$XGID:"; } >"$R/gen/group.$$"
    chmod 644 "$R/gen/passwd.$$" "$R/gen/group.$$"
    mv -f "$R/gen/passwd.$$" "$R/gen/passwd"
    mv -f "$R/gen/group.$$" "$R/gen/group"
}

case "${1:-}" in
setup)
    mkdir -p "$R/debs" "$R/db" "$R/varlib/x2go"
    chmod 755 "$R" "$R/varlib"
    if [ ! -f "$R/root/usr/bin/x2gostartagent" ]; then
        (cd "$R/debs" && apt-get download $PKGS 2>&1 | grep -v '^W:' || true)
        rm -rf "$R/root"; mkdir -p "$R/root"
        for f in "$R"/debs/*.deb; do dpkg-deb -x "$f" "$R/root"; done
    fi
    chown root:$XGID "$R/root/usr/lib/x2go/libx2go-server-db-sqlite3-wrapper"
    chmod 2755 "$R/root/usr/lib/x2go/libx2go-server-db-sqlite3-wrapper"
    ln -sfn /usr/share/applications "$R/root/etc/x2go/applications"
    gen_ids
    if [ ! -f "$R/db/x2go_sessions" ]; then
        "$0" run x2godbadmin --createdb
    fi
    chown $XGID:$XGID "$R/db"; chmod 0770 "$R/db"
    chown root:$XGID "$R/db/x2go_sessions"; chmod 0660 "$R/db/x2go_sessions"
    echo "reference x2goserver ready under $R"
    ;;
run)
    shift
    [ -f "$R/root/usr/bin/x2gostartagent" ] || { echo "refns.sh: run '$0 setup' first" >&2; exit 1; }
    gen_ids
    exec unshare -m --propagation private /bin/sh -c '
        set -e
        R=$1; shift
        mount -t overlay overlay -o ro,lowerdir="$R/root/usr:/usr" /usr
        mount -t overlay overlay -o ro,lowerdir="$R/root/etc:/etc" /etc
        mount --bind "$R/gen/passwd" /etc/passwd
        mount --bind "$R/gen/group" /etc/group
        mount -t overlay overlay -o ro,lowerdir="$R/varlib:/var/lib" /var/lib
        mount --bind "$R/db" /var/lib/x2go
        exec "$@"' refns "$R" "$@"
    ;;
clean)
    rm -rf "$R"
    ;;
*)
    echo "usage: $0 setup | run CMD... | clean" >&2; exit 2 ;;
esac
