#!/bin/bash
# bench/run.sh [--quick] [--only list,lifecycle,concurrent,daemon]
# Side-by-side benchmark of the reference x2goserver 4.1 (isolated by
# bench/refenv.sh) and our server as installed on the host.  Writes
# bench/RESULTS.md and bench/list_latency.png.  Needs root.  See README.md.
set -eu -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: must run as root" >&2; exit 1; }

# reference environment (idempotent; never touches the host's x2go paths)
"$HERE/refenv.sh" setup

# bench users, same for both sides
for i in $(seq 1 10); do
    id "x2gobench$i" >/dev/null 2>&1 || useradd -m -s /bin/bash "x2gobench$i"
done
command -v cc >/dev/null || { echo "bench/run.sh: need a C compiler (cc) for standin.c" >&2; exit 1; }
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-matplotlib >/dev/null 2>&1 \
    || echo "bench/run.sh: python3-matplotlib missing: no chart" >&2

# /usr/bin/python3 on purpose: `python3` on PATH may be a pyenv one
exec /usr/bin/python3 "$HERE/bench.py" "$@"
