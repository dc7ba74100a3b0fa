#!/bin/sh
# Exported symbols == version map == FLOWLOG_API declarations; nothing
# without the flowlog_ prefix is exported, and the stack is not executable.
# usage: check-symbols.sh LIB.so LIB.a MAP INCLUDE_DIR
set -eu
so=$1 a=$2 map=$3 inc=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u > "$tmp/exported"
sed -n 's/^[[:space:]]*\(flowlog_[a-z0-9_]*\);.*/\1/p' "$map" | sort -u > "$tmp/map"
cat "$inc"/flowlog/*.h | tr '\n' ' ' | grep -oE 'FLOWLOG_API[A-Za-z0-9_ *]*[ *]flowlog_[a-z0-9_]+[[:space:]]*\(' |
    sed -E 's/.*[ *](flowlog_[a-z0-9_]+)[[:space:]]*\($/\1/' | sort -u > "$tmp/declared"
status=0
if ! diff -u "$tmp/map" "$tmp/exported"; then echo "FAIL: exported symbols differ from $map"; status=1; fi
if ! diff -u "$tmp/map" "$tmp/declared"; then echo "FAIL: FLOWLOG_API declarations differ from $map"; status=1; fi
bad=$(nm -g --defined-only "$a" | awk 'NF == 3 {print $3}' | grep -v '^flowlog_' | grep -v '^flowlog__' || true)
if [ -n "$bad" ]; then echo "FAIL: static library defines global symbols without the flowlog_ prefix:"; echo "$bad"; status=1; fi
if readelf -lW "$so" | grep GNU_STACK | grep -q RWE; then echo "FAIL: executable stack"; status=1; fi
if ! grep -q 'SONAME.*libflowlog.so.1\]' <<EOF2
$(readelf -d "$so")
EOF2
then echo "FAIL: SONAME is not libflowlog.so.1"; status=1; fi
n=$(wc -l < "$tmp/map")
[ "$status" = 0 ] && echo "1 passed, 0 failed: $n symbols agree across the map, the library and the headers"
[ "$status" = 0 ] || echo "0 passed, 1 failed"
exit $status
