#!/bin/sh
# Build the fuzz targets for libFuzzer with AddressSanitizer and
# UndefinedBehaviorSanitizer (clang), then run each for FUZZ_SECONDS
# (default 60) from its corpus in fuzz/corpus/<target>. New inputs go to a
# scratch directory; an input that crashes, hangs or runs out of memory is
# saved as fuzz/findings/<target>-crash-... to become a regression input.
# usage: scripts/fuzz.sh [TARGET...]
set -eu
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
targets=${*:-tokenize schema reader query state config parquet}
opts="-Dfuzzing_engine=libfuzzer -Db_sanitize=address,undefined -Db_lundef=false -Dabi_check=disabled -Dtests=disabled --buildtype=debugoptimized"
# shellcheck disable=SC2086
CC=clang meson setup build-fuzz $opts --wipe > /dev/null 2>&1 || CC=clang meson setup build-fuzz $opts > /dev/null
meson compile -C build-fuzz > /dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/findings
status=0
for t in $targets; do
    mkdir -p "$work/$t"
    if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        "build-fuzz/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/findings/$t-" "$work/$t" "fuzz/corpus/$t" > "$work/$t.log" 2>&1; then
        echo "fuzz_$t: $(grep -E '^Done' "$work/$t.log" || echo done), no findings"
    else
        echo "fuzz_$t: FINDING"
        tail -n 40 "$work/$t.log"
        status=1
    fi
done
exit $status
