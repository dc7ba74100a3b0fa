#!/bin/bash
# Two builds of flowlog on the same questions over the same generated file,
# taking turns, each command's best of ROUNDS (default 7) counting: a change's
# cost, measured in one run on a noisy machine.
# usage: bench/run_ab.sh BEFORE_FLOWLOG AFTER_FLOWLOG [BYTES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
before=$1 after=$2 bytes=${3:-500000000}
out=$top/bench/out
mkdir -p "$out"
[ -x "$out/gen_flowlogs" ] || cc -O2 -o "$out/gen_flowlogs" "$top/../shared/bench/gen_flowlogs.c"
f=$out/flows-$bytes.log
[ -f "$f" ] || "$out/gen_flowlogs" "$f" "$bytes" 42
cat "$f" > /dev/null
cmds=("diagnose --client 10.1.226.236 --server 10.0.215.112 --port 8088"
      "diagnose --client 10.0.0.0/8 --server 172.31.0.0/16 --port 443"
      "query 'stats count(*)'"
      "query 'filter action = \"REJECT\" | stats count(*)'"
      "query 'filter action = \"REJECT\" | stats count(*) as n by dstPort | sort n desc, dstPort asc | limit 10'")
declare -A best
for ((r = 0; r < ${ROUNDS:-7}; r++)); do
    for i in "${!cmds[@]}"; do
        for side in before after; do
            exe=${!side}
            t0=$(date +%s.%N)
            eval "\"$exe\" ${cmds[$i]} \"$f\"" > /dev/null 2>&1 || true
            t1=$(date +%s.%N)
            t=$(echo "$t1 - $t0" | bc)
            k=$side$i
            if [ -z "${best[$k]:-}" ] || [ "$(echo "$t < ${best[$k]}" | bc)" = 1 ]; then best[$k]=$t; fi
        done
    done
done
echo "file: $f, $(nproc) processors, best of ${ROUNDS:-7}"
for i in "${!cmds[@]}"; do
    printf '%-64s before %6.3f s  after %6.3f s  after/before %.2f\n' "$(echo "${cmds[$i]}" | cut -c1-64)" \
        "${best[before$i]}" "${best[after$i]}" "$(echo "scale=3; ${best[after$i]} / ${best[before$i]}" | bc)"
done
