/* A stats query's state as bytes: the parts of a sequence of records, each
 * fed to its own query, serialised and merged in order, give the rows of
 * one pass in the same order, and the same bytes; states that are cut,
 * altered or of another query are refused. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/query.h>

#define NRECORDS 6000

static flowlog_schema *schema;
static flowlog_record *rec;
static char *lines[NRECORDS];

static int setup(void **state)
{
    (void)state;
    schema = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    assert_int_equal(flowlog_record_new(&rec, schema, NULL), FLOWLOG_OK);
    for (int i = 0; i < NRECORDS; i++) {
        unsigned r = next_rand();
        char line[200];
        int n = snprintf(line, sizeof line, "2 1 eni-%u 10.0.%u.%u 10.9.0.%u %u %u 6 %u %u %u %u %s OK", r % 7,
                         (r >> 4) % 20, (r >> 10) % 30, (r >> 18) % 5, 1024 + (r >> 5) % 500, (r >> 7) % 3 ? 443 : 22,
                         1 + (r >> 3) % 50, ((r >> 9) % 40) * 100, 1700000000 + (r >> 12) % 86400,
                         1700000060 + (r >> 12) % 86400, (r >> 15) % 4 ? "ACCEPT" : "REJECT");
        lines[i] = strndup(line, (size_t)n);
        assert_non_null(lines[i]);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NRECORDS; i++)
        free(lines[i]);
    flowlog_record_free(rec);
    flowlog_schema_free(schema);
    return 0;
}

static flowlog_query *compiled(const char *text)
{
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    if (flowlog_query_compile(q, text, strlen(text)) != FLOWLOG_OK)
        fail_msg("%s: %s", text, flowlog_query_error_message(q));
    return q;
}

static void feed(flowlog_query *q, int from, int to)
{
    for (int i = from; i < to; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_ABSENT);
    }
}

static unsigned char *state_of(const flowlog_query *q, size_t *n)
{
    int rc = flowlog_query_serialize(q, NULL, 0, n);
    if (rc != FLOWLOG_OK && rc != FLOWLOG_E_RANGE)
        fail_msg("serialise: %d %s", rc, flowlog_query_error_message(q));
    unsigned char *b = malloc(*n);
    assert_non_null(b);
    size_t again;
    assert_int_equal(flowlog_query_serialize(q, b, *n, &again), FLOWLOG_OK);
    assert_int_equal(again, *n);
    return b;
}

/* The rows after finish, as text. */
static char *rows_of(flowlog_query *q)
{
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
    return query_rows_text(q);
}

static const char *const queries[] = {
    "stats count(*) as n by srcAddr, dstAddr",
    "stats count(*) as n by dstPort",
    "stats count(*) as n, sum(bytes) as b, min(packets) as lo, max(packets) as hi, avg(bytes) as a by interfaceId",
    "stats count_distinct(srcAddr) as clients, pct(bytes, 50) as p by dstAddr, dstPort",
    "stats earliest(srcPort) as e, latest(srcPort) as l, sortsFirst(srcAddr) as f, max(@timestamp) as t by dstAddr",
    "filter action = \"REJECT\" | stats count(*) as n by srcAddr | sort n desc, srcAddr | limit 10",
    "stats count(*) as n by srcAddr, dstAddr | stats count(*) as pairs by n",
    "stats stddev(bytes) as sd by interfaceId",
};

static void parts_merged_in_order_are_one_pass(void **state)
{
    (void)state;
    for (size_t qi = 0; qi < sizeof queries / sizeof *queries; qi++) {
        flowlog_query *whole = compiled(queries[qi]);
        feed(whole, 0, NRECORDS);
        size_t whole_n;
        unsigned char *whole_state = state_of(whole, &whole_n);
        char *want = rows_of(whole);
        for (int k = 1; k <= 4; k++) {
            flowlog_query *merged = compiled(queries[qi]);
            for (int p = 0; p < k; p++) {
                flowlog_query *part = compiled(queries[qi]);
                feed(part, NRECORDS * p / k, NRECORDS * (p + 1) / k);
                size_t n;
                unsigned char *b = state_of(part, &n);
                if (flowlog_query_merge(merged, b, n) != FLOWLOG_OK)
                    fail_msg("%s: %s", queries[qi], flowlog_query_error_message(merged));
                free(b);
                flowlog_query_free(part);
            }
            size_t merged_n;
            unsigned char *merged_state = state_of(merged, &merged_n);
            if (!strstr(queries[qi], "stddev") && !strstr(queries[qi], "avg") &&
                (merged_n != whole_n || memcmp(merged_state, whole_state, whole_n) != 0))
            {
                size_t at = 0;
                while (at < whole_n && at < merged_n && merged_state[at] == whole_state[at])
                    at++;
                fail_msg("%s in %d parts: not the bytes of one pass (%zu, %zu bytes; from %zu)", queries[qi], k,
                         merged_n, whole_n, at);
            }
            free(merged_state);
            char *got = rows_of(merged);
            if (strcmp(want, got) != 0)
                fail_msg("%s in %d parts: other rows than one pass", queries[qi], k);
            free(got);
            flowlog_query_free(merged);
        }
        free(want);
        free(whole_state);
        flowlog_query_free(whole);
    }
}

static void bad_states_are_refused(void **state)
{
    (void)state;
    flowlog_query *q = compiled(queries[0]);
    feed(q, 0, 500);
    size_t n;
    unsigned char *b = state_of(q, &n);
    flowlog_query *into = compiled(queries[0]);
    for (size_t cut = 0; cut < n; cut += 1 + cut / 4)
        assert_int_equal(flowlog_query_merge(into, b, cut), FLOWLOG_E_CORRUPT);
    b[n / 2] ^= 0x40;
    assert_int_equal(flowlog_query_merge(into, b, n), FLOWLOG_E_CORRUPT);
    assert_non_null(strstr(flowlog_query_error_message(into), "checksum"));
    b[n / 2] ^= 0x40;
    flowlog_query *other = compiled(queries[1]);
    assert_int_equal(flowlog_query_merge(other, b, n), FLOWLOG_E_ARG);
    assert_non_null(strstr(flowlog_query_error_message(other), "another query"));
    flowlog_query *rows = compiled("fields srcAddr | sort srcAddr");
    size_t need;
    assert_int_equal(flowlog_query_serialize(rows, NULL, 0, &need), FLOWLOG_E_UNSUPPORTED);
    assert_int_equal(flowlog_query_merge(rows, b, n), FLOWLOG_E_UNSUPPORTED);
    assert_int_equal(flowlog_query_merge(into, b, n), FLOWLOG_OK);
    assert_int_equal(flowlog_query_finish(into), FLOWLOG_OK);
    assert_int_equal(flowlog_query_merge(into, b, n), FLOWLOG_E_UNSUPPORTED);
    free(b);
    flowlog_query_free(q);
    flowlog_query_free(into);
    flowlog_query_free(other);
    flowlog_query_free(rows);
}

/* A state whose checksum holds but whose first text says it is 100 MiB
 * long: refused as corrupt, nothing allocated for the length it claims. */
static void a_length_past_the_state_is_corrupt(void **state)
{
    (void)state;
    flowlog_query *q = compiled(queries[0]); /* keys srcAddr, dstAddr: text */
    feed(q, 0, 100);
    size_t n;
    unsigned char *b = state_of(q, &n);
    /* magic 4, six numbers 48; a group: its tag, hash, first record; the key's type, then its length */
    size_t at = 4 + 48 + 1 + 8 + 8 + 1;
    assert_int_equal(b[at - 1], FLOWLOG_VALUE_STRING);
    uint64_t claimed = (uint64_t)100 << 20;
    memcpy(b + at, &claimed, sizeof claimed);
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n - 8; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    memcpy(b + n - 8, &h, sizeof h);
    counting c = {0};
    flowlog_allocator a = make_allocator(&c);
    flowlog_query *into;
    assert_int_equal(flowlog_query_new(&into, &a), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(into, STR(queries[0])), FLOWLOG_OK);
    assert_int_equal(flowlog_query_merge(into, b, n), FLOWLOG_E_CORRUPT);
    assert_true(c.peak_bytes < (16L << 20));
    flowlog_query_free(into);
    assert_int_equal(c.live_bytes, 0);
    free(b);
    flowlog_query_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parts_merged_in_order_are_one_pass),
        cmocka_unit_test(bad_states_are_refused),
        cmocka_unit_test(a_length_past_the_state_is_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
