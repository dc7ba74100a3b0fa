# Sourced by the benchmarks: the generated file of $bytes bytes (default
# 500 MB, seed 42, ../shared/bench/gen_flowlogs.c) as $f, made once under
# bench/out and read into the page cache; $out is bench/out.
out=$top/bench/out
mkdir -p "$out"
[ -x "$out/gen_flowlogs" ] || cc -O2 -o "$out/gen_flowlogs" "$top/../shared/bench/gen_flowlogs.c"
f=$out/flows-${bytes:-500000000}.log
[ -f "$f" ] || "$out/gen_flowlogs" "$f" "${bytes:-500000000}" 42
cat "$f" > /dev/null
