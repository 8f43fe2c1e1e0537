#!/bin/bash
# The Debian package and the install tree (run as root, under the suite lock;
# tests/run.sh calls it):
#  - build the package twice (this version and a higher one) and lintian it;
#  - `meson install --destdir`: every command of the reference (or the
#    README says why not), a manual page for every command that renders
#    without warnings, --help on every command;
#  - install it, upgrade it with sessions running (database kept, sessions
#    listed), remove it, purge it (nothing of ours left), and install it
#    again so the machine is as before.
# Prints PASS/FAIL lines and finally "N passed, M failed".
#   tests/package.sh [--no-install]   (--no-install: stop before installing)
set -uo pipefail
install=yes
[ "${1:-}" = --no-install ] && install=no

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
[ "$(id -u)" = 0 ] || { echo "tests/package.sh: run as root" >&2; exit 1; }
work=$(mktemp -d /var/tmp/x2go-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # label command...: PASS when the command succeeds
    local label=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$label"; else fail "$label: $(echo "$out" | tail -n 5)"; fi
}
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
newer=$version.1

# ---- build ------------------------------------------------------------------
check "package builds ($version)" scripts/build-package.sh "$work/v1"
check "package builds ($newer)" scripts/build-package.sh --version "$newer" "$work/v2"
deb1=$(ls "$work"/v1/x2goserver-c_*.deb 2>/dev/null | head -n 1)
deb2=$(ls "$work"/v2/x2goserver-c_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb1" ] || [ -z "$deb2" ]; then
    fail "no package to test"
    echo "$passed passed, $failed failed"
    exit 1
fi
lint=$(lintian --fail-on none -I --pedantic "$work"/v1/*.changes 2>&1 |
       grep -E '^[EWIP]: ')
errs=$(echo "$lint" | grep -E '^[EW]: ')
if [ -z "$errs" ]; then pass "lintian: no errors or warnings"; else fail "lintian: $errs"; fi
[ -n "$lint" ] && echo "$lint" | sed 's/^/     lintian note: /'

# ---- the meson install tree --------------------------------------------------
tree=$work/destdir
if meson setup "$work/build" "$here" -Dtests=false >/dev/null &&
    ninja -C "$work/build" >/dev/null &&
    DESTDIR=$tree meson install -C "$work/build" --quiet >/dev/null; then
    pass "meson install --destdir"
else
    fail "meson install --destdir"
fi
cmd=$tree/usr/lib/x2go/x2go-cmd
mapfile -t commands < <("$cmd" --list | awk '{print $2}')
[ "${#commands[@]}" -gt 20 ] && pass "x2go-cmd --list: ${#commands[@]} commands" ||
    fail "x2go-cmd --list: ${#commands[@]} commands"

# Every command the reference installs, or a README line that says why not.
notprovided=$(sed -n '/^## Commands not provided/,/^## /p' README.md)
missing=
while read -r path; do
    case $path in '#'* | '') continue ;; esac
    [ -e "$tree/$path" ] || [ -L "$tree/$path" ] && continue
    echo "$notprovided" | grep -q "\`$(basename "$path")\`" || missing="$missing $path"
done <tests/package/reference-commands.txt
[ -z "$missing" ] && pass "every reference command installed or explained in README" ||
    fail "reference commands neither installed nor explained:$missing"

# A manual page for every command (and the daemon, the agent link and the
# configuration file) that man renders without a warning.
bad=
for name in "${commands[@]}" x2go-cmd x2gocleansessions x2go-stored x2goiconpng x2goagent \
    x2goserver.conf; do
    page=$(ls "$tree"/usr/share/man/man[158]/"$name".[158]* 2>/dev/null | head -n 1)
    if [ -z "$page" ]; then bad="$bad $name(no page)"; continue; fi
    warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    [ -z "$warn" ] || bad="$bad $name($warn)"
done
[ -z "$bad" ] && pass "manual pages render without warnings" || fail "manual pages:$bad"

# --help on every command: usage on stdout, exit 0.
bad=
for name in "${commands[@]}"; do
    out=$("$cmd" "$name" --help 2>/dev/null) && echo "$out" | grep -q "sage" || bad="$bad $name"
done
for prog in usr/sbin/x2gocleansessions usr/lib/x2go/x2go-cmd usr/lib/x2go/x2go-stored \
    usr/lib/x2go/x2goiconpng; do
    out=$("$tree/$prog" --help 2>/dev/null) && echo "$out" | grep -q sage || bad="$bad $prog"
done
[ -z "$bad" ] && pass "--help on every command" || fail "--help:$bad"

# ---- install, upgrade, remove, purge ----------------------------------------
if [ $install = no ]; then
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
    exit
fi
installed() { dpkg-query -W -f '${Status} ${Version}' x2goserver-c 2>/dev/null; }
check "install $version" dpkg -i --force-confdef --force-confold "$deb1"
[ "$(installed)" = "install ok installed $version" ] && pass "dpkg: installed $version" ||
    fail "dpkg: $(installed)"
# Set-id files: exactly those with a statoverride, root:x2gouser 2755.
# Only this package's files and overrides: x2gobroker-agent, when
# installed, has its own set-id helper and override in /usr/lib/x2go.
ours() { dpkg -L x2goserver-c | sort; }
setid=$(find /usr/lib/x2go /usr/bin /usr/sbin -xdev -type f -perm /6000 -name 'x2go*' | sort |
    comm -12 - <(ours))
over=$(dpkg-statoverride --list '/usr/lib/x2go/*' | awk '{print $4}' | sort | comm -12 - <(ours))
bad=$(dpkg-statoverride --list '/usr/lib/x2go/*' | awk '$2 == "x2gouser" && ($1 != "root" || $3 != "2755")')
[ "$setid" = "$over" ] && [ -z "$bad" ] && pass "set-id files: ${over:-none}" ||
    fail "set-id files: found '$setid', overrides '$over' $bad"
check "database created" test -s /var/lib/x2go/x2go_sessions
check "x2golistsessions works" /usr/bin/x2golistsessions
# Printing: the spool account cups-x2go copies jobs to, its spool, and
# the sudo rule a separate print server needs.
acct=$(getent passwd x2goprint | cut -d: -f6,7)
[ "$acct" = /var/spool/x2goprint:/bin/sh ] && getent group x2goprint >/dev/null &&
    pass "x2goprint account and group" || fail "x2goprint account: '$acct'"
getent group x2godesktopsharing >/dev/null &&
    grep -qx 'group=x2godesktopsharing' /etc/x2go/desktopsharing/settings &&
    pass "desktop-sharing group and settings" || fail "desktop-sharing group or settings missing"
spool=$(stat -c '%U:%G %a' /var/spool/x2goprint 2>&1)
[ "$spool" = "x2goprint:x2goprint 700" ] && pass "print spool $spool" || fail "print spool: $spool"
sudoers=$(stat -c '%U:%G %a' /etc/sudoers.d/x2goserver-printing 2>&1)
[ "$sudoers" = "root:root 440" ] && visudo -cqf /etc/sudoers.d/x2goserver-printing &&
    pass "sudo rule $sudoers, visudo accepts it" || fail "sudo rule: $sudoers"
check "sudo lets x2goprint run x2goprint as root" \
    sudo -n -l -U x2goprint -u root /usr/bin/x2goprint
sudo -n -l -U x2goprint -u root /usr/bin/id >/dev/null 2>&1 &&
    fail "sudo lets x2goprint run /usr/bin/id" || pass "sudo lets x2goprint run nothing else"
# Log entries reach journald with the session id and user as fields.
unshare -m --propagation private sh -c \
    'mount -t tmpfs none /run && exec /usr/bin/python3 tests/package/journal.py'
[ $? = 0 ] && pass "journal fields X2GO_SESSION_ID and X2GO_USER" || fail "journal fields"
# Users reach the database through the store server: without systemd (a
# container, where policy-rc.d may forbid invoke-rc.d) the init script
# starts it after the package change.
services='[ -d /run/systemd/system ] || (exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &&
    /etc/init.d/x2goserver restart >/dev/null)'
/usr/bin/python3 tests/package/sessions.py bash -c \
    "dpkg -i --force-confdef --force-confold $deb2 && $services"
[ $? = 0 ] && pass "upgrade to $newer keeps the database and the sessions" ||
    fail "upgrade to $newer"
[ "$(installed)" = "install ok installed $newer" ] && pass "dpkg: installed $newer" ||
    fail "dpkg: $(installed)"

# The service without systemd: the init script starts and stops the daemon
# (a daemon must not inherit this script's descriptors, the lock included).
daemon_runs() { # pid...: one of them is the clean-up daemon or the store server
    local p
    for p in "$@"; do
        case $(readlink "/proc/$p/exe" 2>/dev/null) in
        /usr/sbin/x2gocleansessions* | /usr/lib/x2go/x2go-stored*) return 0 ;;
        esac
    done
    return 1
}
initd() { (exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && /etc/init.d/x2goserver "$1" >/dev/null); }
started=
if [ ! -d /run/systemd/system ]; then
    initd restart
    sleep 0.5
    started=$(cat /run/x2go/stored.pid /run/x2goserver.pid 2>/dev/null | tr '\n' ' ')
    [ "$(echo $started | wc -w)" = 2 ] && daemon_runs $started &&
        pass "init script starts the daemons ($started)" || fail "init script start: '$started'"
fi
# Removal stops it (invoke-rc.d), unless policy-rc.d forbids service
# actions on this machine (containers): then the init script's stop.
policy=0
[ -x /usr/sbin/policy-rc.d ] && { /usr/sbin/policy-rc.d x2goserver stop >/dev/null 2>&1; policy=$?; }
if [ "$policy" = 101 ] && daemon_runs $started; then
    echo "     policy-rc.d forbids service actions here: the init script stops the daemon"
    initd stop
fi
# Everything the package holds, to look for after remove and purge.
mapfile -t files < <(dpkg-deb -c "$deb2" | awk '$1 !~ /^d/ {sub(/^\./, "", $6); print $6}')
conffiles=$(dpkg-deb -f "$deb2" Package >/dev/null && dpkg-deb -I "$deb2" conffiles)
check "remove" dpkg -r x2goserver-c
leftover=
for f in "${files[@]}"; do
    { [ -e "$f" ] || [ -L "$f" ]; } && ! grep -qx "$f" <<<"$conffiles" && leftover="$leftover $f"
done
[ -z "$leftover" ] && pass "remove leaves nothing but the configuration" ||
    fail "after remove:$leftover"
check "remove keeps the configuration" test -s /etc/x2go/x2goserver.conf
check "remove keeps the database" test -s /var/lib/x2go/x2go_sessions
dpkg-statoverride --list '/usr/lib/x2go/*' | awk '$2 == "x2gouser"' | grep -q . &&
    fail "statoverride left after remove" ||
    pass "statoverride removed"
daemon_runs $started && fail "a daemon still runs after remove" || pass "the daemons are stopped"
check "purge" dpkg -P x2goserver-c
leftover=
for f in "${files[@]}" /var/lib/x2go /etc/x2go/x2gosql/passwords /var/spool/x2goprint \
    /etc/sudoers.d/x2goserver-printing; do
    { [ -e "$f" ] || [ -L "$f" ]; } && leftover="$leftover $f"
done
getent passwd x2gouser >/dev/null &&
    leftover="$leftover user:x2gouser(processes: $(pgrep -u x2gouser -d ' ' -l 2>/dev/null))"
getent group x2gouser >/dev/null && leftover="$leftover group:x2gouser"
getent passwd x2goprint >/dev/null && leftover="$leftover user:x2goprint"
getent group x2goprint >/dev/null && leftover="$leftover group:x2goprint"
[ -z "$leftover" ] && pass "purge leaves nothing" || fail "after purge:" $leftover

# ---- over the reference ---------------------------------------------------
# The administrator's path: Debian's x2goserver with sessions, then this
# package installed over it with apt (which removes the reference's
# packages): the database is kept and the sessions stay listed.
apt_() { flock /run/lock/x2go-apt.lock apt-get "$@"; }
if [ "${X2GO_PACKAGE_OVER_REFERENCE:-yes}" = yes ] &&
    apt-cache show x2goserver >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    check "reference x2goserver installs" apt_ install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold x2goserver
    check "reference database created" test -s /var/lib/x2go/x2go_sessions
    /usr/bin/python3 tests/package/sessions.py bash -c \
        "flock /run/lock/x2go-apt.lock apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $deb1 &&
        $services"
    [ $? = 0 ] && pass "install over the reference keeps its database and sessions" ||
        fail "install over the reference"
    left=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'x2goserver*' 'libx2go*' \
        2>/dev/null | awk '$1 ~ /^.i/ && $2 != "x2goserver-c" {print $2}')
    [ -z "$left" ] && pass "the reference's packages are gone" ||
        fail "reference packages still installed:" $left
    check "the init script is enabled again" test -x /etc/init.d/x2goserver
fi

# The machine as before: the package installed again.
check "install again" scripts/install.sh --no-deps
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
