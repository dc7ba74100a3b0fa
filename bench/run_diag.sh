#!/bin/sh
# Diagnosis throughput against queries over the same generated file (default
# 500 MB, in the page cache), best of 5 each, measured in one run; then the
# sweep's peak memory on 10 million distinct conversations under its cap.
# usage: bench/run_diag.sh [BUILD_DIR] [BYTES] [SWEEP_CAP_MIB]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
cap=${3:-64}
out=$top/bench/out
mkdir -p "$out"
[ -x "$out/gen_flowlogs" ] || cc -O2 -o "$out/gen_flowlogs" "$top/../shared/bench/gen_flowlogs.c"
f=$out/flows-$bytes.log
[ -f "$f" ] || "$out/gen_flowlogs" "$f" "$bytes" 42
cat "$f" > /dev/null
fl=$build/tools/flowlog
now() { date +%s.%N; }
best() {
    b=
    for _ in 1 2 3 4 5; do
        t0=$(now); "$@" > /dev/null; t1=$(now)
        t=$(echo "$t1 - $t0" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
mb=$(echo "scale=1; $(stat -c %s "$f") / 1000000" | bc)
echo "file: $f ($mb MB)"
# The question as an operator asks it: one client, one server, one port (a
# pair that occurs in the file); and a wide one, where a quarter of the
# records match and are accounted in full.
t_diag=$(best "$fl" diagnose --client 10.1.226.236 --server 10.0.215.112 --port 8088 "$f")
t_wide=$(best "$fl" diagnose --client 10.0.0.0/8 --server 172.31.0.0/16 --port 443 "$f")
t_count=$(best "$fl" query 'stats count(*)' "$f")
t_rej=$(best "$fl" query 'filter action = "REJECT" | stats count(*)' "$f")
t_top=$(best "$fl" query 'filter action = "REJECT" | stats count(*) as n by dstPort | sort n desc, dstPort asc | limit 10' "$f")
fastest=$(printf '%s\n' "$t_count" "$t_rej" "$t_top" | sort -n | head -1)
printf '%-64s %8s s\n' "diagnose --client 10.1.226.236 --server 10.0.215.112 --port 8088" "$t_diag"
printf '%-64s %8s s\n' "diagnose --client 10.0.0.0/8 --server 172.31.0.0/16 --port 443" "$t_wide"
printf '%-64s %8s s\n' "query 'stats count(*)'" "$t_count"
printf '%-64s %8s s\n' "query 'filter action = \"REJECT\" | stats count(*)'" "$t_rej"
printf '%-64s %8s s\n' "query top rejected destination ports" "$t_top"
echo "diagnosis throughput / fastest query throughput: $(echo "scale=2; $fastest / $t_diag" | bc) (target >= 0.8)"
echo "diagnosis throughput / top-rejected-ports query:  $(echo "scale=2; $t_top / $t_diag" | bc)"
echo "wide diagnosis throughput / fastest query:         $(echo "scale=2; $fastest / $t_wide" | bc)"
echo
echo "sweep: 10,000,000 distinct conversations, memory cap $cap MiB ($build/bench/bench_sweep 10000000 $cap)"
"$build/bench/bench_sweep" 10000000 "$cap"
