#!/bin/sh
# End-to-end checks of the flowlog command, as a user runs it.
# usage: test_cli.sh FLOWLOG TESTS_DIR
set -u
flowlog=$1
tests=$2
data=$tests/data
shared=${FLOWLOG_SHARED_DATA:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# FLOWLOG_WRAPPER (e.g. valgrind and its options) runs every flowlog under it.
if [ -n "${FLOWLOG_WRAPPER:-}" ]; then
    printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$FLOWLOG_WRAPPER" "$flowlog" > "$tmp/flowlog"
    chmod +x "$tmp/flowlog"
    flowlog=$tmp/flowlog
fi
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
bad() { failed=$((failed + 1)); echo "not ok - $1"; [ -f "$tmp/err" ] && sed 's/^/#   /' "$tmp/err" | head -20; }

# expect NAME STATUS CMD...: run CMD, stdout to $tmp/out, stderr to $tmp/err
expect() {
    name=$1 want=$2; shift 2
    "$@" > "$tmp/out" 2> "$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then return 0; fi
    echo "# $name: exit $got, want $want" >> "$tmp/err"
    return 1
}

has() { grep -qF -- "$2" "$1"; }

# --- parse: NDJSON with AWS names, numbers, null for '-' ---
if expect parse-default 0 "$flowlog" parse "$data/aws-docs/accept-reject.log" &&
   [ "$(head -1 "$tmp/out")" = '{"version":2,"account-id":"123456789010","interface-id":"eni-1235b8ca123456789","srcaddr":"172.31.16.139","dstaddr":"172.31.16.21","srcport":20641,"dstport":22,"protocol":6,"packets":20,"bytes":4249,"start":1418530010,"end":1418530070,"action":"ACCEPT","log-status":"OK"}' ] &&
   [ "$(wc -l < "$tmp/out")" -eq 2 ] && [ ! -s "$tmp/err" ]
then ok "parse prints one JSON object per record"; else bad "parse prints one JSON object per record"; fi

if expect parse-nodata 0 "$flowlog" parse "$data/aws-docs/nodata-skipdata.log" &&
   has "$tmp/out" '"srcaddr":null,"dstaddr":null,"srcport":null' && has "$tmp/out" '"action":null,"log-status":"SKIPDATA"'
then ok "parse writes '-' as null"; else bad "parse writes '-' as null"; fi

if expect parse-header 0 "$flowlog" parse "$data/aws-docs/tcp-flags.log" &&
   [ "$(wc -l < "$tmp/out")" -eq 8 ] && ! has "$tmp/out" '"version":"version"' &&
   has "$tmp/out" '"bytes":568,"packets":8' && has "$tmp/out" '"tcp-flags":18'
then ok "a header line switches the schema and is not printed"; else bad "a header line switches the schema and is not printed"; fi

printf '2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\nbogus line\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 ACCEPT\n2 1 eni-1 10.0.0.1 10.0.0.999 1 2 6 1 40 1 2 ACCEPT OK\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 REJECT OK\n' > "$tmp/mixed.log"
if expect parse-errors 1 "$flowlog" parse "$tmp/mixed.log" &&
   [ "$(wc -l < "$tmp/out")" -eq 2 ] &&
   has "$tmp/err" "$tmp/mixed.log:2: expected 14 fields, found 2" &&
   has "$tmp/err" "$tmp/mixed.log:3: expected 14 fields, found 13" &&
   has "$tmp/err" "$tmp/mixed.log:4: " && has "$tmp/err" "dstaddr"
then ok "bad lines are reported as PATH:LINE: reason, exit 1, good lines still printed"; else bad "bad lines are reported as PATH:LINE: reason, exit 1, good lines still printed"; fi

printf '10.0.0.1 10.0.0.2 hello\n' > "$tmp/fmt.log"
if expect parse-format 0 "$flowlog" parse --format '${srcaddr} ${dstaddr} ${next-year}' "$tmp/fmt.log" &&
   [ "$(cat "$tmp/out")" = '{"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","next-year":"hello"}' ]
then ok "--format takes a format string with an unknown field"; else bad "--format takes a format string with an unknown field"; fi

if expect parse-badformat 2 "$flowlog" parse --format '${srcaddr} ${dstaddr' "$tmp/fmt.log" && has "$tmp/err" "unbalanced"
then ok "a bad --format is a clear usage error"; else bad "a bad --format is a clear usage error"; fi

if expect parse-stats 1 "$flowlog" parse --stats "$tmp/mixed.log" &&
   has "$tmp/err" "lines 5  records 2  headers 0  blanks 0  errors 3"
then ok "--stats accounts for every line"; else bad "--stats accounts for every line"; fi

if expect parse-stdin 0 sh -c "\"$flowlog\" parse < \"$data/aws-docs/ipv6.log\"" && has "$tmp/out" '"srcaddr":"2001:db8:1234:a100:8d6e:3477:df66:f105"'
then ok "parse reads standard input"; else bad "parse reads standard input"; fi

if expect parse-missing 3 "$flowlog" parse "$tmp/no-such-file.log" && has "$tmp/err" "no-such-file.log"
then ok "a missing file is named, exit 3"; else bad "a missing file is named, exit 3"; fi

# A reader that goes away (SIGPIPE ignored, as some shells and services
# do): parse stops at the broken pipe and says so, exit 3.
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "2 1 eni-1 10.0.%d.%d 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n", int(i / 256) % 256, i % 256 }' > "$tmp/pipe.log"
sh -c 'trap "" PIPE; "$0" parse "$1"; echo "rc=$?" >&2' "$flowlog" "$tmp/pipe.log" 2> "$tmp/err" | head -1 > /dev/null
if has "$tmp/err" "rc=3" && has "$tmp/err" "cannot write the output: Broken pipe"
then ok "parse into a closed pipe stops with exit 3"; else bad "parse into a closed pipe stops with exit 3"; fi
rm -f "$tmp/pipe.log"

"$flowlog" parse "$data/aws-docs/accept-reject.log" > /dev/full 2> "$tmp/err"
st_parse=$?
"$flowlog" query 'stats count(*) by dstPort' "$data/aws-docs/accept-reject.log" > /dev/full 2> "$tmp/err.q"
st_query=$?
if [ $st_parse -eq 3 ] && has "$tmp/err" "cannot write the output" && [ $st_query -eq 3 ] && has "$tmp/err.q" "cannot write the output"
then ok "parse and query into a full disk fail with exit 3"; else bad "parse and query into a full disk fail with exit 3"; fi

# Every numeric argument is checked whole, and limits the library refuses
# are refused here, naming the option (exit 2).
arg_fails=0
ar=$data/aws-docs/accept-reject.log
for args in "parse --max-line 2000000000" "parse --max-line -5" "parse --max-line 16x" "parse --max-line 0x40" \
            "parse --max-fields 0" "parse --max-fields 300" "query --max-groups 0 stats_count" "query --max-groups 1e3 stats_count" \
            "diagnose --client 10.0.1.25 --server 10.0.2.10 --port -5" "diagnose --client 10.0.1.25 --server 10.0.2.10 --port 80-+90" \
            "diagnose --client 10.0.1.25 --server 10.0.2.10 --port 99999" "diagnose --client 10.0.1.25 --server 10.0.2.10 --port 80 --protocol 6x" \
            "diagnose --top -1" "diagnose --max-conversations 99999999999" "parse --threads 0" "diagnose --threads 300" "diagnose --client 10.0.1.25 --server 10.0.2.10 --port 80 --bucket 86400x"; do
    opt=$(echo "$args" | grep -o -- '--[a-z-]*' | tail -1)
    # shellcheck disable=SC2086
    set -- $args
    [ "${4:-}" = stats_count ] && set -- "$1" "$2" "$3" 'stats count(*)'
    if ! expect "arg $args" 2 "$flowlog" "$@" "$ar" || ! has "$tmp/err" "$opt"; then
        arg_fails=$((arg_fails + 1)); echo "# taken: $args"
    fi
done
if [ "$arg_fails" -eq 0 ]; then ok "numeric arguments are checked whole, out-of-range ones refused naming the option"
else bad "numeric arguments are checked whole, out-of-range ones refused naming the option"; fi

# Files of 16 MiB or more are read on every processor: the same rows, the
# same --stats and the same errors, in order, with their lines, as on one.
awk 'BEGIN { print "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
    for (i = 0; i < 190000; i++) {
        if (i % 9973 == 5) { print "not a record " i; continue }
        printf "2 123456789012 eni-%03d 10.0.%d.%d 10.0.2.10 %d 443 6 %d %d %d %d %s OK\n", i % 7, i % 3, i % 250,
            1024 + i % 60000, 1 + i % 20, 100 + i % 5000, 1700000000 + i % 3600, 1700000030 + i % 3600, i % 5 ? "ACCEPT" : "REJECT"
    } }' > "$tmp/big.log"
"$flowlog" query --stats --threads 1 'stats count(*), sum(bytes) by interfaceId, action' "$tmp/big.log" > "$tmp/one" 2>&1
"$flowlog" diagnose --threads 1 --client 10.0.1.0/24 --server 10.0.2.10 --port 443 "$tmp/big.log" >> "$tmp/one" 2>&1
"$flowlog" query --stats 'stats count(*), sum(bytes) by interfaceId, action' "$tmp/big.log" > "$tmp/many" 2>&1
"$flowlog" diagnose --client 10.0.1.0/24 --server 10.0.2.10 --port 443 "$tmp/big.log" >> "$tmp/many" 2>&1
if [ "$(wc -c < "$tmp/big.log")" -ge 16777216 ] && cmp -s "$tmp/one" "$tmp/many" && has "$tmp/many" "big.log:9980:" && has "$tmp/many" "errors 20"
then ok "a big file read on every processor gives the rows, counts and errors of one thread"
else bad "a big file read on every processor gives the rows, counts and errors of one thread"; diff "$tmp/one" "$tmp/many" | head -5; fi
# A pipe among the files is read once, by one reader: never opened twice,
# never waited on for a writer that has gone.
mkfifo "$tmp/pipe"
head -3 "$tmp/big.log" | tail -2 > "$tmp/pipe" &
timeout 60 "$flowlog" query 'stats count(*) as n' "$tmp/big.log" "$tmp/pipe" > "$tmp/out" 2> /dev/null
st=$?
wait
if [ $st -eq 1 ] && has "$tmp/out" "189982"
then ok "a pipe beside a big file is read once, on one thread"
else bad "a pipe beside a big file is read once, on one thread (exit $st)"; fi
rm -f "$tmp/big.log" "$tmp/pipe"

# Out of memory is a clear message and exit 3, never an empty message or
# a silent drop. Under a sanitizer or valgrind the address space cannot be
# limited: then it is skipped.
if [ -z "${FLOWLOG_WRAPPER:-}" ] && (ulimit -v 150000 && "$flowlog" version) > /dev/null 2>&1; then
    awk 'BEGIN { for (i = 0; i < 1200000; i++) printf "2 1 eni-1 10.%d.%d.%d 10.0.0.2 1 2 6 1 40 1 2 ACCEPT OK\n", i % 256, int(i / 256) % 256, int(i / 65536) }' > "$tmp/many.log"
    { head -2 "$tmp/many.log"; head -c 200000000 /dev/zero | tr '\0' a; echo; head -2 "$tmp/many.log"; } > "$tmp/longline.log"
    if (ulimit -v 100000; "$flowlog" query 'stats count(*) by srcaddr' "$tmp/many.log" > "$tmp/out" 2> "$tmp/err"; [ $? -eq 3 ]) &&
       has "$tmp/err" "flowlog query: out of memory" &&
       (ulimit -v 150000; "$flowlog" parse --stats --max-line 1000000000 "$tmp/longline.log" > "$tmp/out" 2> "$tmp/err"; [ $? -eq 3 ]) &&
       [ "$(wc -l < "$tmp/out")" -eq 4 ] && has "$tmp/err" "longline.log:3: out of memory holding a line"
    then ok "out of memory: a clear message, exit 3, and the lines after a line too big for memory still read"
    else bad "out of memory: a clear message, exit 3, and the lines after a line too big for memory still read"; fi
    rm -f "$tmp/many.log" "$tmp/longline.log"
else
    skipped=$((skipped + 1)); echo "ok - out of memory # SKIP the address space cannot be limited here"
fi

# --- fields ---
if expect fields 0 "$flowlog" fields && [ "$(wc -l < "$tmp/out")" -eq 60 ] &&
   grep -qE '^log-status +enum +2$' "$tmp/out" && grep -qE '^reject-reason +string +8$' "$tmp/out" &&
   grep -qE '^packets-lost-blackhole +integer +6$' "$tmp/out"
then ok "fields lists the registry with type and version"; else bad "fields lists the registry with type and version"; fi

# --- the conformance corpus, where it is present ---
if [ -n "$shared" ] && [ -d "$shared/peers" ]; then
    p=$shared/peers
    if expect peers 1 "$flowlog" parse --stats "$p/centralized-logging" "$p/flowlogs-reader" "$p/opensearch-catalog" \
           "$p/otel-collector-contrib/valid_tgw_flow_log.log" "$p/otel-collector-contrib/valid_vpc_flow_cw.json" \
           "$p/otel-collector-contrib/valid_vpc_flow_log.log" "$p/otel-collector-contrib/valid_vpc_flow_log_ecs.log" \
           "$p/otel-collector-contrib/valid_vpc_flow_log_multi.log" "$p/otel-collector-contrib/vpc_flow_log_too_few_fields.log" \
           "$p/otel-collector-contrib/vpc_flow_log_too_many_fields.log" "$p/otel-collector-contrib/valid_tgw_flow_cw.json" &&
       [ "$(grep -c ':[0-9]*: ' "$tmp/err")" -eq 4 ] &&
       has "$tmp/err" "lines 826  records 811  headers 11  blanks 0  errors 4" &&
       has "$tmp/err" "extracted_V5_FILE.log:4: expected 29 fields, found 2" &&
       has "$tmp/err" "vpc_flow_log_too_few_fields.log:2: expected 14 fields, found 13" &&
       has "$tmp/err" "vpc_flow_log_too_many_fields.log:2: expected 14 fields, found 15" &&
       has "$tmp/err" "valid_tgw_flow_cw.json:1: logEvents[0]: expected 14 fields, found 27"
    then ok "peers corpus: exactly the known bad lines are errors"; else bad "peers corpus: exactly the known bad lines are errors"; fi
    o=$p/otel-collector-contrib
    if expect cw-custom 0 "$flowlog" parse --context --format '${version} ${interface-id} ${srcaddr} ${dstaddr}' "$o/valid_vpc_flow_cw_custom.json" &&
       [ "$(wc -l < "$tmp/out")" -eq 2 ] && has "$tmp/out" '"@logStream":"eni-1234567890abcdef"' &&
       has "$tmp/out" '"srcaddr":"172.31.9.69","dstaddr":"172.31.9.12"'
    then ok "CloudWatch JSON with a custom format yields its records with the stream name"; else bad "CloudWatch JSON with a custom format yields its records with the stream name"; fi
    if expect cw-tgw 0 "$flowlog" parse --context --format 'version account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type tcp-flags flow-direction region' "$o/valid_tgw_flow_cw.json" &&
       has "$tmp/out" '"@logStream":"tgw-0abc12345def67890"' && has "$tmp/out" '"tgw-dst-eni":"eni-0def12345abc67890"' && has "$tmp/out" '"flow-direction":"ingress","region":"us-east-1"'
    then ok "CloudWatch JSON of transit-gateway records with their format"; else bad "CloudWatch JSON of transit-gateway records with their format"; fi
    if expect cw-default 0 "$flowlog" parse --context "$o/valid_vpc_flow_cw.json" && [ "$(wc -l < "$tmp/out")" -eq 2 ] &&
       has "$tmp/out" '"@logStream":"eni-1235b8ca123456789"'
    then ok "CloudWatch JSON of default records keeps the stream"; else bad "CloudWatch JSON of default records keeps the stream"; fi
else
    skipped=$((skipped + 1)); echo "ok - peers corpus # SKIP shared/testdata not present"
fi

for extra in "$tests"/cli/*.sh.inc; do
    [ -f "$extra" ] && . "$extra"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
