#!/bin/sh
# Compare the freshly built library with the committed ABI baseline. Any
# difference other than an added symbol fails: abidiff exits 4 for a changed
# type (a grown struct) and 12 for a removed symbol, so every non-zero exit
# is a failure. Types are compared only when the library has debug info.
# usage: check-abi.sh LIB.so BASELINE INCLUDE_DIR
set -u
so=$1 baseline=$2 inc=$3
if ! command -v abidiff >/dev/null 2>&1; then
    echo "SKIP: abidiff not installed (Debian: abigail-tools)"; exit 77
fi
if ! readelf -S "$so" | grep -q '\.debug_info'; then
    echo "FAIL: $so has no .debug_info; build with debug info so types are compared"; exit 1
fi
abidiff --no-added-syms --headers-dir2 "$inc/flowlog" --drop-private-types "$baseline" "$so"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: abidiff exit $rc: the ABI differs from $baseline."
    echo "An intended addition regenerates the baseline with a new version node (see ABI.md)."
    echo "0 passed, 1 failed"
    exit 1
fi
echo "1 passed, 0 failed: ABI matches $baseline"
