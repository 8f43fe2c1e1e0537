#!/bin/bash
# PostgreSQL backend and farm tests (root). A private PostgreSQL 15 and a
# private mount namespace: the machine's /etc/x2go stays as it is; a private
# network namespace holds the farm's bridge and the hosts' links.
# X2GO_FARM_BUILD=<meson build dir> tests a build without installing it.
# Last line: "N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "tests/farm/run.sh: run as root" >&2; exit 1; }
exec /usr/bin/unshare --mount --net --propagation private /usr/bin/python3 "$here/run.py" "$@"
