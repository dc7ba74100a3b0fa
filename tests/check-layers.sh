#!/bin/sh
# The folders of src/ are layers, and arrows point only down: a file
# includes its own folder's headers and those of the layers below it
# (cpu < core < read, config < query, diag; read and config, query and
# diag are side by side and include neither each other). The CLI and the examples use only the
# public headers. Any other include fails, naming it.
# usage: check-layers.sh SOURCE_ROOT
set -u
root=$1
rank() {
    case $1 in
    cpu) echo 0 ;; core) echo 1 ;; read|config) echo 2 ;; query|diag) echo 3 ;; *) echo 99 ;;
    esac
}
bad=0 checked=0
for f in "$root"/src/*/*.c "$root"/src/*/*.h; do
    layer=$(basename "$(dirname "$f")")
    mine=$(rank "$layer")
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        checked=$((checked + 1))
        case $inc in
        ../*/*)
            other=$(echo "$inc" | cut -d/ -f2)
            theirs=$(rank "$other")
            if [ "$theirs" -ge "$mine" ]; then
                echo "${f#$root/}: includes $inc: $other is not below $layer"
                bad=$((bad + 1))
            fi ;;
        */*)
            echo "${f#$root/}: includes $inc: only ../LAYER/file or a file of its own folder"
            bad=$((bad + 1)) ;;
        *)
            if [ ! -e "$(dirname "$f")/$inc" ]; then
                echo "${f#$root/}: includes $inc, which is not in its folder"
                bad=$((bad + 1))
            fi ;;
        esac
    done
done
for f in "$root"/tools/*.c "$root"/tools/*.h "$root"/examples/*.c "$root"/examples/*.cpp; do
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        checked=$((checked + 1))
        case $inc in
        ../*|*/*) echo "${f#$root/}: includes $inc: the CLI and the examples use only <flowlog/...>"; bad=$((bad + 1)) ;;
        esac
    done
    if grep -n 'flowlog__' "$f" > /dev/null; then
        echo "${f#$root/}: uses an internal flowlog__ name"
        bad=$((bad + 1))
    fi
done
if [ "$bad" -eq 0 ]; then
    echo "1 passed, 0 failed: $checked includes, every one down the layers"
    exit 0
fi
echo "0 passed, 1 failed: $bad includes against the layers"
exit 1
