#!/bin/bash
# Build the libFuzzer targets with clang and run each for a while.
#   fuzz/run.sh [seconds per target, default 60]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
out=$here/build-fuzz
mkdir -p "$out"
# Only for the generated x2go-config.h; the targets are compiled below.
[ -d "$out/lib" ] || meson setup "$out/lib" "$here" -Dtests=false >/dev/null
# The core files the targets use, found by name in src/core's folders.
core=$here/src/core
incs=()
while IFS= read -r d; do incs+=(-I"$d"); done < <(find "$core" -type d)
srcs=()
for n in sid session ini util desktop keyboard xdisplay agentconf log conf dirspec mounts \
         history metrics json strbuf validate timelimit; do
    srcs+=("$(find "$core" -name "$n.c")")
done
for t in sid session ini desktop keyboard dirspec history; do
    clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        "${incs[@]}" -I"$out/lib" "$here/fuzz/fuzz_$t.c" "${srcs[@]}" -o "$out/fuzz_$t"
    mkdir -p "$out/corpus_$t"
    "$out/fuzz_$t" -max_total_time="$secs" -max_len=2048 "$out/corpus_$t" 2>&1 | tail -n 2
done
