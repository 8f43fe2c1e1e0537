#!/bin/bash
# bench/refenv.sh - an isolated reference x2goserver 4.1 (Debian) environment.
#
# The reference hard-codes /usr/bin, /usr/sbin, /usr/lib/x2go, /etc/x2go,
# /var/lib/x2go ... which are exactly the paths our own server installs into.
# So the Debian packages are NEVER installed on the host: they are unpacked
# with `dpkg -x` into $REFENV_DIR/root and shown at the host paths only inside
# a private mount namespace (overlayfs + bind mounts).  See bench/README.md.
#
#   bench/refenv.sh setup            download + unpack + users + DB (idempotent)
#   bench/refenv.sh run CMD [ARG..]  run CMD in a NEW private mount namespace
#                                    where the reference is at the host paths;
#                                    exec chain keeps the pid (usable with &)
#   bench/refenv.sh persist          create/refresh a long-lived namespace,
#                                    pinned at $REFENV_NS (/run/x2go-refns)
#   bench/refenv.sh enter CMD [..]   run CMD in that long-lived namespace
#   bench/refenv.sh status           show what is set up, check isolation
#   bench/refenv.sh teardown [--purge]  drop the long-lived namespace and, with
#                                    --purge, the unpacked tree and the ref DB
#
# Environment: REFENV_DIR (default /var/tmp/x2go-refenv), REFENV_NS
# (default /run/x2go-refns).  Must run as root.

set -u -o pipefail

REFENV_DIR=${REFENV_DIR:-/var/tmp/x2go-refenv}
REFENV_NS=${REFENV_NS:-/run/x2go-refns}
ROOT=$REFENV_DIR/root              # dpkg -x of the reference packages
STATE=$REFENV_DIR/state            # persistent writable state (ref DB dir)
SCRATCH=$REFENV_DIR/scratch        # mount point for a per-namespace tmpfs
SELF=$(readlink -f "${BASH_SOURCE[0]}")

REF_PKGS="x2goserver x2goserver-common x2goserver-extensions x2goserver-xsession
x2goserver-x2goagent libx2go-server-perl libx2go-server-db-perl libx2go-log-perl
libx2go-config-perl libx2go-utils-perl"
# Non-x2go dependencies: these do not collide with our paths, so they go on
# the host normally.
HOST_DEPS="perl libconfig-simple-perl libdbd-pg-perl libdbd-sqlite3-perl
libcapture-tiny-perl libfile-which-perl libswitch-perl libtry-tiny-perl
libfile-basedir-perl pwgen psmisc lsof net-tools bc xauth xkb-data
x11-xkb-utils x11-utils iproute2 procps nxagent sqlite3 adduser"

# Whole directories the reference owns (shown instead of the host's, if any).
DIR_UNITS="usr/lib/x2go usr/share/x2go usr/share/perl5/X2Go etc/x2go var/lib/x2go"
# Directories where the reference adds single files (x2go* entries).
FILE_DIRS="usr/bin usr/sbin usr/lib/x86_64-linux-gnu/nx/bin"
# Host directories where a stray x2go* of ours must be hidden (whiteouts).
HIDE_DIRS="usr/bin usr/sbin usr/local/bin usr/local/sbin"

die() { echo "refenv: $*" >&2; exit 1; }
log() { echo "refenv: $*" >&2; }

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# ---------------------------------------------------------------- setup ---
do_setup() {
    need_root
    for t in unshare nsenter dpkg apt-get mount mknod; do
        command -v $t >/dev/null || die "missing tool: $t"
    done
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || die "kernel has no overlayfs"

    mkdir -p "$REFENV_DIR/debs" "$STATE" "$SCRATCH"
    chmod 0755 "$REFENV_DIR"

    # 1. host dependencies (never an x2go package)
    local missing="" p
    for p in $HOST_DEPS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing host dependencies:$missing"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
            >"$REFENV_DIR/apt-install.log" 2>&1 \
            || { apt-get update -q >/dev/null 2>&1;
                 DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
                     >"$REFENV_DIR/apt-install.log" 2>&1; } \
            || die "apt-get install failed, see $REFENV_DIR/apt-install.log"
    fi

    # 2. download the reference packages (not installed!)
    local have=1
    for p in $REF_PKGS; do ls "$REFENV_DIR/debs/${p}"_*.deb >/dev/null 2>&1 || have=0; done
    if [ $have = 0 ]; then
        log "downloading reference packages"
        ( cd "$REFENV_DIR/debs" && apt-get download $REF_PKGS ) >"$REFENV_DIR/apt-download.log" 2>&1 \
            || { apt-get update -q >/dev/null 2>&1;
                 ( cd "$REFENV_DIR/debs" && apt-get download $REF_PKGS ) >"$REFENV_DIR/apt-download.log" 2>&1; } \
            || die "apt-get download failed, see $REFENV_DIR/apt-download.log"
    fi

    # 3. unpack into a fresh tree, only when the .debs changed: a namespace
    #    that is running (e.g. someone's sshd) has the current tree mounted
    local d stamp
    stamp=$(cd "$REFENV_DIR/debs" && ls -l -- *.deb | md5sum | cut -d' ' -f1)
    if [ "$(cat "$ROOT/.refenv-stamp" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$ROOT.new" && mkdir -p "$ROOT.new"
        for d in "$REFENV_DIR"/debs/*.deb; do dpkg -x "$d" "$ROOT.new" || die "dpkg -x $d"; done
        echo "$stamp" > "$ROOT.new/.refenv-stamp"
        if [ -d "$ROOT" ]; then mv "$ROOT" "$ROOT.old.$$"; fi
        mv "$ROOT.new" "$ROOT"
        rm -rf "$ROOT.old.$$" 2>/dev/null
    fi
    [ -x "$ROOT/usr/bin/x2gostartagent" ] || die "unpacked tree incomplete"

    # 4. users and groups, as x2goserver-common's postinst does (on the host:
    #    /etc/passwd is shared; our server uses the same system user)
    getent group x2gouser >/dev/null || addgroup --system x2gouser >/dev/null \
        || die "addgroup x2gouser"
    getent passwd x2gouser >/dev/null || adduser --system --home /var/lib/x2go \
        --no-create-home --ingroup x2gouser --disabled-password --disabled-login \
        --shell /bin/false x2gouser >/dev/null 2>&1 || die "adduser x2gouser"

    # 5. maintainer-script modes (statoverride equivalents)
    chown root:x2gouser "$ROOT/usr/lib/x2go/libx2go-server-db-sqlite3-wrapper"
    chmod 2755 "$ROOT/usr/lib/x2go/libx2go-server-db-sqlite3-wrapper"
    mkdir -p "$ROOT/etc/x2go/x2gosql/passwords"
    chmod 0700 "$ROOT/etc/x2go/x2gosql/passwords"
    : > "$ROOT/etc/x2go/x2gosql/passwords/pgadmin"
    : > "$ROOT/etc/x2go/x2gosql/passwords/mysqladmin"
    chmod 0600 "$ROOT"/etc/x2go/x2gosql/passwords/*
    [ -L "$ROOT/etc/x2go/applications" ] || ln -s /usr/share/applications "$ROOT/etc/x2go/applications"
    mkdir -p "$STATE/var-lib-x2go"
    chown x2gouser:x2gouser "$STATE/var-lib-x2go"
    chmod 0770 "$STATE/var-lib-x2go"

    # 6. the database, created by the reference itself, inside the namespace
    if [ ! -s "$STATE/var-lib-x2go/x2go_sessions" ] || [ "${REFENV_RECREATEDB:-0}" = 1 ]; then
        "$SELF" run x2godbadmin --createdb || die "x2godbadmin --createdb failed"
    fi
    local v
    v=$("$SELF" run x2goversion x2goserver) || die "x2goversion failed in namespace"
    [ "$v" = "4.1.0.3" ] || log "warning: unexpected x2goversion output: $v"
    log "setup done: reference $v in $ROOT, DB $STATE/var-lib-x2go/x2go_sessions"
}

# ------------------------------------------------------- namespace init ---
# Runs INSIDE a fresh private mount namespace (as PID of the final command),
# builds the mounts, then execs "$@".
ns_mounts() {
    [ -x "$ROOT/usr/bin/x2gostartagent" ] || die "not set up: run '$0 setup' first"
    mount --make-rprivate / || die "make-rprivate"
    mount -t tmpfs -o mode=0755,size=4m refenv-scratch "$SCRATCH" || die "tmpfs scratch"
    local n=0 d name layer lowers lowers_done=""

    # Order matters: parents (/usr/lib, /usr/share, /etc, /var/lib) first,
    # then the deeper file directories, so no overlay hides an earlier mount.
    # Whole directories: bind over the host's if it exists, else give the
    # parent a read-only overlay that adds an empty mount point, then bind.
    for d in $DIR_UNITS; do
        local src=$ROOT/$d
        [ "$d" = var/lib/x2go ] && src=$STATE/var-lib-x2go
        [ -d "$src" ] || continue
        if [ ! -d "/$d" ] || [ -L "/$d" ]; then
            local parent=${d%/*}
            [ -d "/$parent" ] || die "host has no /$parent"
            n=$((n+1)); layer=$SCRATCH/mp$n; mkdir -p "$layer/${d##*/}"
            mount -t overlay -o "ro,lowerdir=$layer:/$parent" "refenv-$n" "/$parent" \
                || die "overlay on /$parent"
        fi
        mount --bind "$src" "/$d" || die "bind $src on /$d"
    done
    # Hide any host x2go* that the reference does not ship (whiteouts).  Then
    # put the reference's own files on top.
    for d in $HIDE_DIRS $FILE_DIRS; do
        [ -d "/$d" ] || continue
        case " $lowers_done " in *" $d "*) continue;; esac
        lowers_done="$lowers_done $d"
        n=$((n+1)); layer=$SCRATCH/wo$n; mkdir -p "$layer"
        for name in "/$d"/x2go* "/$d"/libx2go*; do
            [ -e "$name" ] || [ -L "$name" ] || continue
            name=${name##*/}
            [ -e "$ROOT/$d/$name" ] || [ -L "$ROOT/$d/$name" ] || mknod "$layer/$name" c 0 0
        done
        lowers=$layer
        [ -d "$ROOT/$d" ] && lowers=$lowers:$ROOT/$d
        # nothing to hide and nothing to add: leave the host directory alone
        [ "$lowers" = "$layer" ] && [ -z "$(ls -A "$layer")" ] && continue
        mount -t overlay -o "ro,lowerdir=$lowers:/$d" "refenv-$n" "/$d" \
            || die "overlay on /$d"
    done

    mount -o remount,ro,bind "$SCRATCH" 2>/dev/null || true
    export X2GO_REFENV=1
}

ns_exec() {
    ns_mounts
    [ $# -gt 0 ] || set -- "${SHELL:-/bin/bash}"
    exec "$@"
}

# -------------------------------------------------------------- commands ---
do_run() {
    need_root
    # unshare execs (no --fork), bash execs the command: same PID throughout,
    # so `refenv.sh run sshd -D &` gives $! = sshd's pid.
    exec unshare --mount --propagation private -- "$SELF" _ns "$@"
}

do_persist() {
    need_root
    drop_persist
    mkdir -p "${REFENV_NS%/*}"
    # the pin file must live on a private mount for unshare --mount=FILE
    touch "$REFENV_NS"
    unshare --mount="$REFENV_NS" --propagation private -- "$SELF" _ns true \
        || die "could not create persistent namespace $REFENV_NS"
    log "persistent namespace pinned at $REFENV_NS (enter with: $0 enter CMD)"
}

drop_persist() {
    if [ -e "$REFENV_NS" ]; then
        umount "$REFENV_NS" 2>/dev/null
        rm -f "$REFENV_NS"
    fi
}

do_enter() {
    need_root
    [ -e "$REFENV_NS" ] && mountpoint -q "$REFENV_NS" 2>/dev/null \
        || die "no persistent namespace; run '$0 persist' first (or use 'run')"
    [ $# -gt 0 ] || set -- "${SHELL:-/bin/bash}"
    exec nsenter --mount="$REFENV_NS" -- env X2GO_REFENV=1 "$@"
}

do_status() {
    need_root
    echo "REFENV_DIR=$REFENV_DIR"
    [ -x "$ROOT/usr/bin/x2gostartagent" ] && echo "unpacked: yes" || echo "unpacked: no"
    ls -l "$STATE/var-lib-x2go/" 2>/dev/null
    echo "host x2go paths (should contain only OUR server, if anything):"
    ls -d /usr/bin/x2go* /usr/sbin/x2go* /usr/lib/x2go /etc/x2go /var/lib/x2go /usr/share/x2go /usr/share/perl5/X2Go 2>/dev/null | sed 's/^/  /'
    if [ -x "$ROOT/usr/bin/x2goversion" ]; then
        echo "inside: $("$SELF" run x2goversion x2goserver 2>&1)"
    fi
    [ -e "$REFENV_NS" ] && echo "persistent namespace: $REFENV_NS" || echo "persistent namespace: none"
}

do_teardown() {
    need_root
    drop_persist
    if [ "${1:-}" = --purge ]; then
        rm -rf "$ROOT" "$ROOT.new" "$STATE" "$SCRATCH"
        log "purged $ROOT and $STATE (debs kept in $REFENV_DIR/debs; user x2gouser kept)"
    fi
    log "teardown done"
}

cmd=${1:-}; shift || true
case "$cmd" in
    setup)    need_root; mkdir -p "$REFENV_DIR"
              exec 9>"$REFENV_DIR/.setup.lock"; flock -w 600 9 || die "setup lock busy"
              do_setup "$@" ;;
    run)      do_run "$@" ;;
    _ns)      ns_exec "$@" ;;
    persist)  do_persist ;;
    enter)    do_enter "$@" ;;
    status)   do_status ;;
    teardown) do_teardown "$@" ;;
    *) sed -n '2,22p' "$SELF" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
