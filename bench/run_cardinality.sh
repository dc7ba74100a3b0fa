#!/bin/sh
# The high-cardinality questions (millions of groups) over a generated file
# (default 500 MB): flowlog query within its default memory budget, and
# DuckDB on the same file; every group of each answer compared (sorted, as
# a hash), with the time and peak memory of each.
# usage: bench/run_cardinality.sh [BUILD_DIR] [BYTES]
# FLOWLOG_ARGS adds options to flowlog query: FLOWLOG_ARGS='--max-memory 128M'
# makes it group past that much memory in temporary files (--temp-dir).
# DuckDB comes from npm: set DUCKDB_DIR to a folder where
# `npm install @duckdb/node-api@1.5.6-r.1` was run (only flowlog without it).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
. "$top/bench/flows.sh"
flowlog_q1='filter action = "REJECT" | stats count(*) as n by srcAddr, dstAddr, dstPort'
duck_q1="SELECT srcaddr, dstaddr, dstport, count(*) FROM flows WHERE action = 'REJECT' GROUP BY ALL"
flowlog_q2='filter ispresent(srcAddr) | stats sum(bytes) as b by srcAddr, dstAddr'
duck_q2="SELECT srcaddr, dstaddr, sum(bytes) FROM flows WHERE srcaddr IS NOT NULL GROUP BY ALL"
flowlog_q3='filter ispresent(srcAddr) | stats count_distinct(srcAddr) as n by interfaceId'
duck_q3="SELECT interface_id, count(DISTINCT srcaddr) FROM flows WHERE srcaddr IS NOT NULL GROUP BY ALL"
status=0
for k in 1 2 3; do
    eval "fq=\$flowlog_q$k; dq=\$duck_q$k"
    # shellcheck disable=SC2086 # FLOWLOG_ARGS is words
    /usr/bin/time -f '%e %M' -o "$out/time" "$build/tools/flowlog" query --csv ${FLOWLOG_ARGS:-} "$fq" "$f" | tail -n +2 | sort > "$out/flowlog.csv"
    read -r secs kb < "$out/time"
    groups=$(wc -l < "$out/flowlog.csv")
    line="query $k: $groups groups; flowlog $secs s, $((kb / 1024)) MiB"
    if [ -n "${DUCKDB_DIR:-}" ] && [ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ]; then
        cp "$top/bench/duck_csv.mjs" "$DUCKDB_DIR/"
        /usr/bin/time -f '%e %M' -o "$out/time" node "$DUCKDB_DIR/duck_csv.mjs" "$f" "$dq" 2> "$out/duck.err" | sort > "$out/duck.csv"
        read -r dsecs dkb < "$out/time"
        same=$( [ "$(md5sum < "$out/flowlog.csv")" = "$(md5sum < "$out/duck.csv")" ] && echo same || echo DIFFERENT)
        [ "$same" = same ] || status=1
        line="$line; duckdb $dsecs s (query $(head -1 "$out/duck.err") s), $((dkb / 1024)) MiB; answers $same"
    fi
    echo "$line"
done
exit $status
