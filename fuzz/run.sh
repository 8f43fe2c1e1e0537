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
for t in sid session ini desktop keyboard dirspec history; do
    clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
        -I"$here/src/core" -I"$out/lib" "$here/fuzz/fuzz_$t.c" \
        "$here"/src/core/{sid,session,ini,util,desktop,keyboard,xdisplay,agentconf,log,conf,dirspec,mounts,history,metrics,json,strbuf,validate,timelimit}.c -o "$out/fuzz_$t"
    mkdir -p "$out/corpus_$t"
    "$out/fuzz_$t" -max_total_time="$secs" -max_len=2048 "$out/corpus_$t" 2>&1 | tail -n 2
done
