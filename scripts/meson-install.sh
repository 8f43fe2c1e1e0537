#!/bin/sh
# Run by `meson install` (see meson.build):
#   meson-install.sh <x2go-cmd> <libexecdir> <bindir> <sbindir> <dbgroup> [spec...]
# with spec  link:<path>:<target>  (a link, target absolute; may dangle)
#       or   setgid:<path>         (setgid to <dbgroup>).
# Links every command name the multi-call binary lists to it and makes the
# other links (relative, in DESTDIR when set); then, only when installing
# as root straight onto this system, sets the set-id modes.
set -eu
cmd=$1 libexecdir=$2 bindir=$3 sbindir=$4 dbgroup=$5
shift 5
root=${DESTDIR:-}

link() { # path target
    mkdir -p "$root$(dirname "$1")"
    ln -sfn "$(realpath -m -s --relative-to="$(dirname "$1")" "$2")" "$root$1"
}

"$cmd" --list | while read -r kind name; do
    case $kind in
    bin) dir=$bindir ;;
    sbin) dir=$sbindir ;;
    libexec) dir=$libexecdir ;;
    *) echo "meson-install.sh: unknown directory kind '$kind'" >&2; exit 1 ;;
    esac
    link "$dir/$name" "$libexecdir/x2go-cmd"
done
for spec in "$@"; do
    case $spec in
    link:*) spec=${spec#link:}; link "${spec%%:*}" "${spec#*:}" ;;
    esac
done

[ -z "$root" ] && [ "$(id -u)" = 0 ] || exit 0
for spec in "$@"; do
    case $spec in
    setgid:*)
        if getent group "$dbgroup" >/dev/null; then
            chown "root:$dbgroup" "${spec#setgid:}"
            chmod 2755 "${spec#setgid:}"
        else
            echo "meson-install.sh: no group $dbgroup; ${spec#setgid:} left without setgid" >&2
        fi ;;
    esac
done
