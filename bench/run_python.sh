#!/bin/sh
# The Python binding's overhead: flowlog.query() from Debian's python3
# against `flowlog query` on the same questions and file (default 500 MB),
# taking turns, best of ROUNDS (default 5) each: the CLI's whole run, the
# call of flowlog.query() (what the binding adds), and the whole Python
# process (its interpreter's start included); the ratios are over the CLI,
# the answers compared.
# usage: bench/run_python.sh [BUILD_DIR] [BYTES]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bytes=${2:-500000000}
rounds=${ROUNDS:-5}
. "$top/bench/flows.sh"
export FLOWLOG_LIBRARY=$build/src/libflowlog.so.1 PYTHONPATH=$top/bindings/python
best() { sort -n | head -1; }
printf '%-40s %8s %8s %6s %8s %6s %s\n' question cli call ratio process ratio answers
for q in 'filter action = "REJECT" | stats count(*) as n by dstPort | sort n desc | limit 10' \
         'stats sum(bytes) as b by protocol, action | sort b desc' \
         'filter srcAddr = "10.0.1.25" | stats count(*) as n by dstAddr | sort n desc | limit 10'; do
    : > "$out/cli.t"; : > "$out/py.t"; : > "$out/call.t"
    for i in $(seq "$rounds"); do
        /usr/bin/time -f %e -a -o "$out/cli.t" "$build/tools/flowlog" query --csv "$q" "$f" > "$out/cli.csv"
        /usr/bin/time -f %e -a -o "$out/py.t" /usr/bin/python3 -c '
import csv, sys, time, flowlog
t = time.perf_counter()
rows = flowlog.query(sys.argv[1], sys.argv[2])
print("%.2f" % (time.perf_counter() - t), file=open(sys.argv[3], "a"))
w = csv.writer(sys.stdout, lineterminator="\n")
if rows: w.writerow(rows[0].keys())
for r in rows: w.writerow(r.values())' "$q" "$f" "$out/call.t" > "$out/py.csv"
    done
    c=$(best < "$out/cli.t"); p=$(best < "$out/py.t"); k=$(best < "$out/call.t")
    same=$(cmp -s "$out/cli.csv" "$out/py.csv" && echo same || echo DIFFERENT)
    printf '%-40.40s %8s %8s %6s %8s %6s %s\n' "$q" "$c" "$k" "$(echo "$k $c" | awk '{printf "%.2f", $1 / $2}')" \
        "$p" "$(echo "$p $c" | awk '{printf "%.2f", $1 / $2}')" "$same"
done
