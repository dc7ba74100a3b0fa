#!/bin/bash
# Every question of the performance targets in one table, measured in one
# run on one generated file (default 500 MB, in the page cache): flowlog on
# one core and on all, DuckDB at threads=1 on one core and at its default,
# the ratios, the peak memory of each flowlog run, and whether the answers
# agree (every row, sorted, compared; a sum of no values is 0 in flowlog and
# NULL in SQL, so the SQL coalesces it). Each command's best of RUNS (3),
# a question's commands taking turns.
# usage: bench/run_all.sh [BUILD_DIR] [BYTES]
# DuckDB comes from npm: set DUCKDB_DIR to a folder where
# `npm install @duckdb/node-api@1.5.6-r.1` was run (its columns are then blank).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
. "$top/bench/flows.sh"
fl=$build/tools/flowlog
runs=${RUNS:-3}
duck=
if [ -n "${DUCKDB_DIR:-}" ] && [ -d "$DUCKDB_DIR/node_modules/@duckdb/node-api" ]; then
    duck=$DUCKDB_DIR
    cp "$top/bench/duck_csv.mjs" "$duck/"
fi

# name, flowlog query, DuckDB SQL over the view flows (its answer, every row), tab-separated
questions=(
"rejects by port\tfilter action = \"REJECT\" | stats count(*) as n by dstPort\tSELECT dstport, count(*) FROM flows WHERE action = 'REJECT' GROUP BY ALL"
"rejects by 5 min\tfilter action = \"REJECT\" | stats count(*) as n by bin(5m)\tSELECT strftime(to_timestamp(start - start % 300), '%Y-%m-%d %H:%M:%S.000'), count(*) FROM flows WHERE action = 'REJECT' GROUP BY ALL"
"one source\tfilter srcAddr = \"10.1.226.236\" | stats count(*) as n, sum(bytes) as b\tSELECT count(*), sum(bytes) FROM flows WHERE srcaddr = '10.1.226.236'"
"a subnet by port\tfilter isIpv4InSubnet(srcAddr, \"10.0.0.0/8\") | stats sum(packets) as p by dstPort\tSELECT dstport, sum(packets) FROM flows WHERE srcaddr LIKE '10.%' AND srcaddr NOT LIKE '%:%' GROUP BY ALL"
"by protocol, action\tstats count(*) as n, sum(bytes) as b by protocol, action\tSELECT protocol, action, count(*), coalesce(sum(bytes), 0) FROM flows GROUP BY ALL"
"bytes by pair\tfilter ispresent(srcAddr) | stats sum(bytes) as b by srcAddr, dstAddr\tSELECT srcaddr, dstaddr, sum(bytes) FROM flows WHERE srcaddr IS NOT NULL GROUP BY ALL"
"sources by ENI\tfilter ispresent(srcAddr) | stats count_distinct(srcAddr) as n by interfaceId\tSELECT interface_id, count(DISTINCT srcaddr) FROM flows WHERE srcaddr IS NOT NULL GROUP BY ALL"
)

# A run that fails (a command that exits with an error, or cannot start)
# gives no time: it is told on stderr and its row shows "-", never the
# time of a run before it or of an early exit.
is_time() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
ratio() { is_time "$1" && is_time "$2" && echo "scale=1; $1 / $2" | bc || echo "-"; }
# the lower of a best so far (may be empty) and a time (may be "-")
lower() {
    if ! is_time "$2"; then echo "$1"; return; fi
    if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
# seconds and peak KiB of one run of a command, its output in $out/answer
once() {
    rm -f "$out/time"
    if /usr/bin/time -f '%e %M' -o "$out/time" "$@" > "$out/answer" 2> /dev/null; then
        tail -1 "$out/time"
    else
        echo "run_all.sh: failed: $*" >&2
        echo "- 0"
    fi
}
# best seconds and peak KiB of a command: best_of CMD... -> "SECONDS KIB"
best_of() {
    local best= kib=0 t k
    for _ in $(seq "$runs"); do
        read -r t k <<< "$(once "$@")"
        best=$(lower "$best" "$t")
        [ "$k" -gt "$kib" ] && kib=$k
    done
    echo "${best:--} $kib"
}

printf '%s, %s processors, best of %s\n' "$f" "$(nproc)" "$runs"
printf '%-20s %8s %8s %9s %8s %8s %7s %7s %s\n' question 1-core 2-core peak-MiB duck-1t duck-2t x1t x2t answers
# A question's four commands take turns, round after round: the machine's
# slower spells fall on all four alike, not on one of them.
for q in "${questions[@]}"; do
    IFS=$'\t' read -r name fq dq <<< "${q//\\t/$'\t'}"
    t1= t2= d1= d2= kib=0 same=-
    for r in $(seq "$runs"); do
        read -r t k <<< "$(once taskset -c 1 "$fl" query --csv "$fq" "$f")"
        t1=$(lower "$t1" "$t")
        [ "$k" -gt "$kib" ] && kib=$k
        [ "$r" = 1 ] && tail -n +2 "$out/answer" | sort > "$out/flowlog.csv"
        read -r t _ <<< "$(once "$fl" query --csv "$fq" "$f")"
        t2=$(lower "$t2" "$t")
        if [ -n "$duck" ]; then
            # DuckDB's own query time, as it reports it (threads=1 pinned, then its default)
            d1=$(lower "$d1" "$(DUCK_THREADS=1 taskset -c 1 node "$duck/duck_csv.mjs" "$f" "$dq" 2>&1 > /dev/null)")
            d2=$(lower "$d2" "$(node "$duck/duck_csv.mjs" "$f" "$dq" 2>&1 > /dev/null)")
        fi
    done
    if [ -n "$duck" ]; then
        node "$duck/duck_csv.mjs" "$f" "$dq" 2> /dev/null | sort > "$out/duck.csv" || true
        same=$( [ "$(md5sum < "$out/flowlog.csv")" = "$(md5sum < "$out/duck.csv")" ] && echo same || echo DIFFERENT)
    fi
    printf '%-20s %8s %8s %9s %8s %8s %7s %7s %s\n' "$name" "${t1:--}" "${t2:--}" "$((kib / 1024))" "${d1:--}" "${d2:--}" \
        "$(ratio "$d1" "$t1")" "$(ratio "$d2" "$t2")" "$same"
done

# The diagnosis, the sweep, a busy core, and memory against input size.
pair="diagnose --client 10.1.226.236 --server 10.0.215.112 --port 8088"
wide="diagnose --client 10.0.0.0/8 --server 0.0.0.0/0 --port 443"
for c in "$pair" "$wide" "diagnose"; do
    read -r t1 kib <<< "$(eval "best_of taskset -c 1 \"$fl\" $c \"$f\"")"
    read -r t2 _ <<< "$(eval "best_of \"$fl\" $c \"$f\"")"
    printf '%-20s %8s %8s %9s\n' "$(echo "$c" | cut -c1-20)" "$t1" "$t2" "$((kib / 1024))"
done
taskset -c 0 yes > /dev/null &
busy=$!
sleep 0.3
read -r tb _ <<< "$(best_of "$fl" query "filter action = \"REJECT\" | stats count(*) as n by dstPort" "$f")"
read -r tp _ <<< "$(best_of taskset -c 1 "$fl" query "filter action = \"REJECT\" | stats count(*) as n by dstPort" "$f")"
kill "$busy"
printf 'core 0 busy: rejects by port %s s on both cores, %s s pinned to the free one (%s)\n' "$tb" "$tp" "$(ratio "$tb" "$tp")"

# Many compressed objects: the same records split by lines into 200 gzip
# files in one directory (made once), each file a part of its own.
gzdir=$out/gz200-$bytes
if [ ! -f "$gzdir/part-199.gz" ]; then
    rm -rf "$gzdir"
    mkdir -p "$gzdir"
    split -n l/200 -d -a 3 "$f" "$gzdir/part-"
    ls "$gzdir" | xargs -P "$(nproc)" -I{} gzip -6 "$gzdir/{}"
fi
for c in "query --csv 'filter action = \"REJECT\" | stats count(*) as n by dstPort'" "$pair"; do
    read -r t1 _ <<< "$(eval "best_of taskset -c 1 \"$fl\" $c \"$gzdir\"")"
    read -r t2 _ <<< "$(eval "best_of \"$fl\" $c \"$gzdir\"")"
    printf '200 gzip objects, %-18s %6s s on one core, %6s s on both (%s)\n' "$(echo "$c" | cut -d' ' -f1)" "$t1" "$t2" \
        "$(ratio "$t1" "$t2")"
done

# Peak memory against input size: the same commands on 100 MB and on 1 GB
# (generated alike, seed 42), each one run.
small=$out/flows-100000000.log big=$out/flows-1000000000.log
[ -f "$small" ] || "$out/gen_flowlogs" "$small" 100000000 42
[ -f "$big" ] || "$out/gen_flowlogs" "$big" 1000000000 42
for c in "query 'stats count(*) as n, sum(bytes) as b by protocol, action'" "$pair" "diagnose"; do
    peak() {
        rm -f "$out/time"
        if eval "/usr/bin/time -f %M -o \"$out/time\" \"$fl\" $c \"$1\"" > /dev/null 2>&1; then
            tail -1 "$out/time"
        else
            echo "run_all.sh: failed: $c $1" >&2
            echo 0
        fi
    }
    ks=$(peak "$small") kb=$(peak "$big")
    printf 'peak MiB, %-22s %5s on 100 MB, %5s on 1 GB (%s)\n' "$(echo "$c" | cut -c1-22)" "$((ks / 1024))" "$((kb / 1024))" \
        "$( [ "$ks" -gt 0 ] && [ "$kb" -gt 0 ] && echo "scale=2; $kb / $ks" | bc || echo "-")"
done
