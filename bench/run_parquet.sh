#!/bin/sh
# A query over the generated flow logs (default 500 MB) as a GZIP Parquet
# object (written once by DuckDB) against the same records as text .gz,
# flowlog both times, DuckDB's read_parquet as the baseline; best of ROUNDS
# (default 3) each, taking turns, answers compared.
# usage: DUCKDB_DIR=... bench/run_parquet.sh [BUILD_DIR] [BYTES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
rounds=${ROUNDS:-3}
. "$top/bench/flows.sh"
[ -n "${DUCKDB_DIR:-}" ] && [ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ] ||
    { echo "set DUCKDB_DIR to a folder where npm install @duckdb/node-api@1.5.6-r.1 was run"; exit 2; }
cp "$top/bench/duck_csv.mjs" "$top/bench/to_parquet.mjs" "$DUCKDB_DIR/"
[ -f "$f.gz" ] || gzip -1 -k "$f"
[ -f "$f.parquet" ] || node "$DUCKDB_DIR/to_parquet.mjs" "$f" "$f.parquet"
cat "$f.gz" "$f.parquet" > /dev/null
q='filter action = "REJECT" | stats count(*) as n by dstPort | sort n desc, dstPort | limit 10'
dq="SELECT dstport, count(*) AS n FROM flows WHERE action = 'REJECT' GROUP BY dstport ORDER BY n DESC, dstport LIMIT 10"
best() { sort -n | head -1; }
: > "$out/pq.t"; : > "$out/gz.t"; : > "$out/dk.t"
for i in $(seq "$rounds"); do
    /usr/bin/time -f %e -a -o "$out/pq.t" "$build/tools/flowlog" query --csv "$q" "$f.parquet" > "$out/pq.csv"
    /usr/bin/time -f %e -a -o "$out/gz.t" "$build/tools/flowlog" query --csv "$q" "$f.gz" > "$out/gz.csv"
    /usr/bin/time -f %e -a -o "$out/dk.t" node "$DUCKDB_DIR/duck_csv.mjs" "$f.parquet" "$dq" > "$out/dk.csv" 2>/dev/null
done
pq=$(best < "$out/pq.t") gz=$(best < "$out/gz.t") dk=$(best < "$out/dk.t")
same=$(cmp -s "$out/pq.csv" "$out/gz.csv" && [ "$(tail -n +2 "$out/pq.csv")" = "$(cat "$out/dk.csv")" ] && echo same || echo DIFFERENT)
echo "$(wc -c < "$f.parquet") bytes of Parquet, $(wc -c < "$f.gz") of text .gz; best of $rounds"
echo "flowlog over Parquet $pq s, over text .gz $gz s, DuckDB read_parquet $dk s; answers $same"
echo "Parquet / .gz: $(echo "$pq $gz" | awk '{printf "%.2f", $1 / $2}'); DuckDB / flowlog over Parquet: $(echo "$dk $pq" | awk '{printf "%.2f", $1 / $2}')"
