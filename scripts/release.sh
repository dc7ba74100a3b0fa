#!/bin/sh
# Release builds as a distribution makes them: the default options (no
# -Werror), gcc and clang, -O2 and -O3. Any warning fails, and the unit
# tests run on each.
set -eu
cd "$(dirname "$0")/.."
for cc in gcc clang; do
    cxx=g++
    [ "$cc" = clang ] && cxx=clang++
    for opt in 2 3; do
        dir=build-release-$cc-O$opt
        CC=$cc CXX=$cxx meson setup "$dir" -Dbuildtype=release -Doptimization=$opt --wipe >/dev/null 2>&1 ||
            CC=$cc CXX=$cxx meson setup "$dir" -Dbuildtype=release -Doptimization=$opt >/dev/null
        meson compile -C "$dir" > "$dir/compile.log" 2>&1 || { cat "$dir/compile.log"; exit 1; }
        if grep -q "warning:" "$dir/compile.log"; then
            grep -B2 -A4 "warning:" "$dir/compile.log"
            echo "$dir: the release build has warnings"
            exit 1
        fi
        meson test -C "$dir" --suite unit --print-errorlogs
    done
done
