#!/bin/sh
# The full test suite: a debug-info build with every test, the examples
# against the installed library; the suite again under valgrind memcheck,
# under AddressSanitizer + UndefinedBehaviorSanitizer, and its unit tests
# under ThreadSanitizer; release builds as distributions make them (default
# options, gcc and clang, -O2 and -O3, no warning allowed); then each fuzz
# target for FUZZ_SECONDS (default 60). The test builds treat warnings as
# errors; the default build does not.
set -eu
cd "$(dirname "$0")/.."
meson setup build-test --buildtype=debugoptimized -Dwerror=true --wipe >/dev/null 2>&1 ||
    meson setup build-test --buildtype=debugoptimized -Dwerror=true >/dev/null
meson compile -C build-test
meson test -C build-test --print-errorlogs
sh examples/check-installed.sh build-test
CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dabi_check=disabled -Dwerror=true --wipe >/dev/null 2>&1 ||
    CC=clang meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dabi_check=disabled -Dwerror=true >/dev/null
meson compile -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
    meson test -C build-asan --print-errorlogs
meson test -C build-test --setup valgrind --suite unit --suite fuzz --suite cli --print-errorlogs
CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dabi_check=disabled -Dwerror=true --wipe >/dev/null 2>&1 ||
    CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dabi_check=disabled -Dwerror=true >/dev/null
meson compile -C build-tsan
TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --suite unit --print-errorlogs
sh scripts/release.sh
sh scripts/fuzz.sh
