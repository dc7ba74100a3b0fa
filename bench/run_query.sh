#!/bin/sh
# "Top rejected destination ports" over a generated file (default 500 MB) in
# the page cache: flowlog query vs DuckDB (threads=1 and default), mawk and
# python3, in one run, answers checked to be the same. Each single-threaded
# tool runs on one core (taskset -c 1); flowlog too. Every tool runs RUNS
# times (default 3) and its best time counts, the same for all.
# usage: bench/run_query.sh [BUILD_DIR] [BYTES]
# DuckDB comes from npm: set DUCKDB_DIR to a folder where
# `npm install @duckdb/node-api@1.5.6-r.1` was run (skipped when absent).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
out=$top/bench/out
shared=$top/../shared/bench
mkdir -p "$out"
[ -x "$out/gen_flowlogs" ] || cc -O2 -o "$out/gen_flowlogs" "$shared/gen_flowlogs.c"
f=$out/flows-$bytes.log
[ -f "$f" ] || "$out/gen_flowlogs" "$f" "$bytes" 42
cat "$f" > /dev/null
one="taskset -c 1"
now() { date +%s.%N; }
answer_file() { tr ',' '\n' | grep . | sort -t: -k2,2nr -k1,1n | head -10 | tr '\n' ',' ; }

runs=${RUNS:-3}
lower() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" -eq 1 ]; then echo "$2"; else echo "$1"; fi; }

query='filter action = "REJECT" | stats count(*) as n by dstPort | sort n desc, dstPort asc | limit 10'
t_flowlog=
for i in $(seq "$runs"); do
    t0=$(now)
    fl=$($one "$build/tools/flowlog" query --csv "$query" "$f")
    t1=$(now)
    t_flowlog=$(lower "$t_flowlog" "$(echo "$t1 - $t0" | bc)")
done
fl=$(echo "$fl" | tail -n +2 | awk -F, '{printf "%s:%s,", $1, $2}')
fl_answer=$(echo "$fl" | answer_file)

t_mawk=
for i in $(seq "$runs"); do
    t0=$(now)
    mk=$($one mawk '$13=="REJECT"{c[$7]++} END{for (p in c) printf "%s:%d,", p, c[p]}' "$f")
    t1=$(now)
    t_mawk=$(lower "$t_mawk" "$(echo "$t1 - $t0" | bc)")
done
mk_answer=$(echo "$mk" | answer_file)

py=$(mktemp)
cat > "$py" <<'PY'
import sys, time
t = time.perf_counter()
c = {}
with open(sys.argv[1], 'rb') as f:
    for line in f:
        p = line.split()
        if len(p) > 12 and p[12] == b'REJECT':
            c[p[6]] = c.get(p[6], 0) + 1
print(time.perf_counter() - t, ','.join('%s:%d' % (k.decode(), v) for k, v in c.items()))
PY
t_python=
for i in $(seq "$runs"); do
    pyout=$($one /usr/bin/python3 "$py" "$f")
    t_python=$(lower "$t_python" "${pyout%% *}")
done
rm -f "$py"
py_answer=$(echo "${pyout#* }" | answer_file)

t_duck1=- t_duckn=- duck_answer=$fl_answer
if [ -n "${DUCKDB_DIR:-}" ] && [ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ]; then
    cp "$shared/duck_top.mjs" "$DUCKDB_DIR/duck_top.mjs"
    t_duck1= t_duckn=
    for i in $(seq "$runs"); do
        d1=$(cd "$DUCKDB_DIR" && $one node duck_top.mjs "$f" 1)
        dn=$(cd "$DUCKDB_DIR" && node duck_top.mjs "$f" "$(nproc)")
        t_duck1=$(lower "$t_duck1" "${d1%% *}")
        t_duckn=$(lower "$t_duckn" "${dn%% *}")
    done
    duck_answer=$(echo "${d1#* }" | answer_file)
fi

echo "file: $f ($(wc -c < "$f") bytes), best of $runs runs each"
echo "query: $query"
printf '  flowlog query (1 core)        %8.3f s\n' "$t_flowlog"
printf '  DuckDB threads=1 (in-process) %8s s\n' "$t_duck1"
printf '  DuckDB threads=%s (in-process) %8s s\n' "$(nproc)" "$t_duckn"
printf '  mawk (1 core)                 %8.3f s\n' "$t_mawk"
printf '  python3 (1 core, in-process)  %8.3f s\n' "$t_python"
[ "$t_duck1" = - ] || printf 'ratio DuckDB-1/flowlog   %.2f  (target >= 6)\n' "$(echo "$t_duck1 / $t_flowlog" | bc -l)"
printf 'ratio mawk/flowlog       %.2f  (target >= 8)\n' "$(echo "$t_mawk / $t_flowlog" | bc -l)"
printf 'ratio python3/flowlog    %.2f\n' "$(echo "$t_python / $t_flowlog" | bc -l)"
echo "answer: $fl_answer"
if [ "$fl_answer" != "$mk_answer" ] || [ "$fl_answer" != "$py_answer" ] || [ "$fl_answer" != "$duck_answer" ]; then
    echo "ANSWERS DIFFER: mawk $mk_answer; python3 $py_answer; duckdb $duck_answer" >&2
    exit 1
fi
echo "answers agree"
