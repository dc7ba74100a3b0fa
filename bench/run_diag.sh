#!/bin/sh
# Diagnosis throughput against queries over the same generated file (default
# 500 MB, in the page cache), measured in one run; then the
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
mb=$(echo "scale=1; $(stat -c %s "$f") / 1000000" | bc)
echo "file: $f ($mb MB), $(nproc) processors"
# The question as an operator asks it: one client, one server, one port (a
# pair that occurs in the file); and a wide one, where a quarter of the
# records match and are accounted in full. The commands take turns, ROUNDS
# times (default 7), and each one's best time counts: a machine that slows
# down for a while slows all of them alike.
set -- \
    "diagnose --client 10.1.226.236 --server 10.0.215.112 --port 8088" \
    "diagnose --client 10.0.0.0/8 --server 172.31.0.0/16 --port 443" \
    "query 'stats count(*)'" \
    "query 'filter action = \"REJECT\" | stats count(*)'" \
    "query 'filter action = \"REJECT\" | stats count(*) as n by dstPort | sort n desc, dstPort asc | limit 10'"
rounds=${ROUNDS:-7}
best_1= best_2= best_3= best_4= best_5=
r=0
while [ "$r" -lt "$rounds" ]; do
    i=1
    for cmd in "$@"; do
        t0=$(now)
        eval "\"$fl\" $cmd \"$f\"" > /dev/null
        t1=$(now)
        t=$(echo "$t1 - $t0" | bc)
        eval "b=\${best_$i}"
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then eval "best_$i=$t"; fi
        i=$((i + 1))
    done
    r=$((r + 1))
done
t_diag=$best_1 t_wide=$best_2 t_count=$best_3 t_rej=$best_4 t_top=$best_5
fastest=$(printf '%s\n' "$t_count" "$t_rej" "$t_top" | sort -n | head -1)
i=1
for cmd in "$@"; do
    eval "b=\${best_$i}"
    printf '%-64s %8s s\n' "$(echo "$cmd" | cut -c1-64)" "$b"
    i=$((i + 1))
done
echo "diagnosis throughput / fastest query throughput: $(echo "scale=2; $fastest / $t_diag" | bc) (target >= 0.8)"
echo "diagnosis throughput / top-rejected-ports query:  $(echo "scale=2; $t_top / $t_diag" | bc)"
echo "wide diagnosis throughput / fastest query:         $(echo "scale=2; $fastest / $t_wide" | bc)"
echo
echo "sweep: 10,000,000 distinct conversations, memory cap $cap MiB ($build/bench/bench_sweep 10000000 $cap)"
"$build/bench/bench_sweep" 10000000 "$cap"
