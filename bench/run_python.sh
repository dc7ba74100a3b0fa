#!/bin/sh
# The Python binding's overhead: flowlog.query() from Debian's python3
# against `flowlog query` on the same questions and file (default 500 MB),
# taking turns, best of ROUNDS (default 5) each; the ratio is Python's time
# over the CLI's, the answers compared.
# usage: bench/run_python.sh [BUILD_DIR] [BYTES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
rounds=${ROUNDS:-5}
. "$top/bench/flows.sh"
export FLOWLOG_LIBRARY=$build/src/libflowlog.so.1 PYTHONPATH=$top/bindings/python
best() { sort -n | head -1; }
printf '%-40s %8s %8s %6s %s\n' question cli python ratio answers
for q in 'filter action = "REJECT" | stats count(*) as n by dstPort | sort n desc | limit 10' \
         'stats sum(bytes) as b by protocol, action | sort b desc' \
         'filter srcAddr = "10.0.1.25" | stats count(*) as n by dstAddr | sort n desc | limit 10'; do
    : > "$out/cli.t"; : > "$out/py.t"
    for i in $(seq "$rounds"); do
        /usr/bin/time -f %e -a -o "$out/cli.t" "$build/tools/flowlog" query --csv "$q" "$f" > "$out/cli.csv"
        /usr/bin/time -f %e -a -o "$out/py.t" /usr/bin/python3 -c '
import csv, sys, flowlog
rows = flowlog.query(sys.argv[1], sys.argv[2])
w = csv.writer(sys.stdout, lineterminator="\n")
if rows: w.writerow(rows[0].keys())
for r in rows: w.writerow(r.values())' "$q" "$f" > "$out/py.csv"
    done
    c=$(best < "$out/cli.t"); p=$(best < "$out/py.t")
    same=$(cmp -s "$out/cli.csv" "$out/py.csv" && echo same || echo DIFFERENT)
    printf '%-40.40s %8s %8s %6s %s\n' "$q" "$c" "$p" "$(echo "$p $c" | awk '{printf "%.2f", $1 / $2}')" "$same"
done
