#!/bin/sh
# The full test suite: a debug-info build with every test, the examples
# against the installed library, then the suite again under AddressSanitizer
# and UndefinedBehaviorSanitizer.
set -eu
cd "$(dirname "$0")/.."
meson setup build-test --buildtype=debugoptimized --wipe >/dev/null 2>&1 || meson setup build-test --buildtype=debugoptimized >/dev/null
meson compile -C build-test
meson test -C build-test --print-errorlogs
sh examples/check-installed.sh build-test
CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dabi_check=disabled --wipe >/dev/null 2>&1 ||
    CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dabi_check=disabled >/dev/null
meson compile -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-asan --print-errorlogs
