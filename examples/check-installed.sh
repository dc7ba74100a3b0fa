#!/bin/sh
# Install the library into a scratch prefix, then build and run the examples
# against it through pkg-config, as a user of the installed library would.
# usage: examples/check-installed.sh BUILD_DIR
set -eu
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
meson install -C "$build" --destdir "$prefix" >/dev/null
root=$prefix$(meson introspect "$build" --buildoptions | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
libdir=$(find "$root" -name flowlog.pc -printf '%h\n' | head -1)
# The .pc file names the final prefix; point a copy at the staged tree.
sed -e "s|^prefix=.*|prefix=$root|" -e "s|^libdir=.*|libdir=$(dirname "$libdir")|" -e "s|^includedir=.*|includedir=$root/include|" "$libdir/flowlog.pc" > "$prefix/flowlog.pc"
export PKG_CONFIG_PATH=$prefix
cc -std=c99 -Wall -Wextra -Werror "$top/examples/count_rejects.c" $(pkg-config --cflags --libs flowlog) -o "$prefix/count_rejects"
c++ -std=c++17 -Wall -Wextra -Werror "$top/examples/top_talkers.cpp" $(pkg-config --cflags --libs flowlog) -o "$prefix/top_talkers"
cc -std=c99 -Wall -Wextra -Werror "$top/examples/query_prefilter.c" $(pkg-config --cflags --libs flowlog) -o "$prefix/query_prefilter"
cc -std=c99 -Wall -Wextra -Werror "$top/examples/why_blocked.c" $(pkg-config --cflags --libs flowlog) -o "$prefix/why_blocked"
cc -std=c99 -Wall -Wextra -Werror "$top/examples/query_run.c" $(pkg-config --cflags --libs flowlog) -o "$prefix/query_run"
cc -std=c99 -Wall -Wextra -Werror "$top/examples/diag_run.c" $(pkg-config --cflags --libs flowlog) -o "$prefix/diag_run"
export LD_LIBRARY_PATH=$(dirname "$libdir")
out=$("$prefix/count_rejects" "$top/tests/data/aws-docs/accept-reject.log")
expected="3389 1
records 2 errors 0"
[ "$out" = "$expected" ] || { echo "count_rejects printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/top_talkers" "$top/tests/data/aws-docs/tcp-flags.log" | head -1)
[ "$out" = "52.213.180.42 23397117" ] || { echo "top_talkers printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/top_talkers" --diagnose 10.0.1.25 10.0.2.10 3306 "$top/examples/data/lambda-rds-nacl-inbound.log" | head -2)
[ "$out" = "verdict: blocked
side: server" ] || { echo "top_talkers --diagnose printed: $out"; echo "0 passed, 1 failed"; exit 1; }
[ -f "$root/include/flowlog/flowlog.hpp" ] || { echo "meson install lacks flowlog.hpp"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/query_prefilter" 'filter action = "REJECT" | stats count(*) as n by dstPort' "$top/tests/data/aws-docs/accept-reject.log" 2>/dev/null)
[ "$out" = "3389 1" ] || { echo "query_prefilter printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/why_blocked" 10.0.1.25 10.0.2.10 3306 "$top/examples/data/lambda-rds-nacl-return.log" | head -1)
[ "$out" = "return-blocked (recorded at: server)" ] || { echo "why_blocked printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/why_blocked" 10.0.1.25 10.0.2.10 3306 "$prefix/missing.log" "$top/examples/data/lambda-rds-nacl-return.log" 2>/dev/null | head -2)
[ "$out" = "evidence incomplete: some inputs were not read whole
return-blocked (recorded at: server)" ] || { echo "why_blocked printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/query_run" 'filter action = "REJECT" | stats count(*) as n by dstPort' "$top/tests/data/aws-docs/accept-reject.log")
[ "$out" = "3389	1" ] || { echo "query_run printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/diag_run" 10.0.1.25 10.0.2.10 3306 "$top/examples/data/lambda-rds-nacl-return.log" | head -1)
[ "$out" = "return-blocked (recorded at: server)" ] || { echo "diag_run printed: $out"; echo "0 passed, 1 failed"; exit 1; }
out=$("$prefix/diag_run" 10.0.1.25 10.0.2.10 3306 "$prefix/missing.log" "$top/examples/data/lambda-rds-nacl-return.log" 2>/dev/null | head -1)
[ "$out" = "evidence incomplete" ] || { echo "diag_run printed: $out"; echo "0 passed, 1 failed"; exit 1; }
# Python: the binding over the installed library, as a user would point it there.
if [ -x /usr/bin/python3 ]; then
    out=$(FLOWLOG_LIBRARY=$(dirname "$libdir")/libflowlog.so.1 PYTHONPATH="$top/bindings/python" \
          /usr/bin/python3 "$top/examples/why_blocked.py" 10.0.1.25 10.0.2.10 3306 "$top/examples/data/lambda-rds-nacl-inbound.log" | head -1)
    [ "$out" = "blocked (recorded at: server)" ] || { echo "why_blocked.py printed: $out"; echo "0 passed, 1 failed"; exit 1; }
fi
# Go: the cgo package through the installed library's pkg-config file.
if command -v go >/dev/null 2>&1; then
    out=$(cd "$top/examples/go" && GOCACHE=$prefix/gocache GOPATH=$prefix/gopath GOFLAGS=-mod=mod GOPROXY=off \
          CGO_LDFLAGS="-Wl,-rpath,$(dirname "$libdir")" go run . 10.0.1.25 10.0.2.10 3306 "$top/examples/data/lambda-rds-nacl-inbound.log" | head -1)
    [ "$out" = "blocked (recorded at: server)" ] || { echo "the Go example printed: $out"; echo "0 passed, 1 failed"; exit 1; }
fi
# What meson install puts beside the library: the command, its manual, its
# completion; the command finds the library where it was installed.
final=$(meson introspect "$build" --buildoptions | python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(sys.stdin)}; print(o["prefix"] + "/" + o["libdir"])')
[ -x "$root/bin/flowlog" ] && [ -f "$root/share/man/man1/flowlog.1" ] && [ -f "$root/share/bash-completion/completions/flowlog" ] ||
    { echo "meson install lacks bin/flowlog, its man page or its bash completion"; echo "6 passed, 1 failed"; exit 1; }
case $final in
/usr/*) ;;
*) readelf -d "$root/bin/flowlog" | grep -E 'R(UN)?PATH' | grep -qF "[$final]" ||
       { echo "the installed flowlog has no run path to $final"; echo "6 passed, 1 failed"; exit 1; } ;;
esac
out=$(LD_LIBRARY_PATH=$(dirname "$libdir") "$root/bin/flowlog" version)
[ "$out" = "flowlog $(sed -n "s/^#define FLOWLOG_VERSION_STRING \"\(.*\)\"/\1/p" "$top/include/flowlog/version.h")" ] ||
    { echo "the installed flowlog printed: $out"; echo "6 passed, 1 failed"; exit 1; }
echo "7 passed, 0 failed: the C, C++, Python and Go examples build and run against the installed library; flowlog is installed with its manual, completion and run path"
