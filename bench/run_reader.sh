#!/bin/sh
# Reader benchmark over a generated file (default 500 MB), in the page cache.
# usage: bench/run_reader.sh [BUILD_DIR] [BYTES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
out=$top/bench/out
mkdir -p "$out"
gen=$top/../shared/bench/gen_flowlogs.c
[ -x "$out/gen_flowlogs" ] || cc -O2 -o "$out/gen_flowlogs" "$gen"
f=$out/flows-$bytes.log
[ -f "$f" ] || "$out/gen_flowlogs" "$f" "$bytes" 42
[ -f "$f.gz" ] || gzip -6 -k -c "$f" > "$f.gz"
cat "$f" "$f.gz" > /dev/null
# The reader decodes on a second thread: both cores are given to it.
echo "command: $build/bench/bench_reader $f $f.gz 9"
"$build/bench/bench_reader" "$f" "$f.gz" 9
