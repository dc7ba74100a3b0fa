/* The query engine through its API: compile errors with positions, results,
 * streaming and limits, the group cap, and no allocation per record. */
#include "test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <flowlog/query.h>

#define LINE(src, dst, sport, dport, proto, pk, by, start, action)                                     \
    "2 123456789012 eni-0a1 " src " " dst " " #sport " " #dport " " #proto " " #pk " " #by " " #start " " \
    #start " " action " OK"

static const char *const lines[] = {
    LINE("10.0.1.5", "10.0.2.9", 40000, 3306, 6, 10, 1000, 1700000000, "REJECT"),
    LINE("10.0.1.5", "10.0.2.9", 40001, 3306, 6, 20, 2000, 1700000100, "REJECT"),
    LINE("10.0.2.9", "10.0.1.5", 3306, 40002, 6, 5, 500, 1700003700, "ACCEPT"),
    LINE("192.0.2.7", "10.0.2.9", 5353, 53, 17, 1, 80, 1700003800, "ACCEPT"),
    LINE("2001:db8::1", "2001:db8::2", 1000, 443, 6, 3, 300, 1700007300, "ACCEPT"),
    "2 123456789012 eni-0a1 - - - - - - - 1700007400 1700007460 - SKIPDATA",
};
#define NLINES (sizeof lines / sizeof lines[0])

static flowlog_schema *schema;
static flowlog_record *rec;

static int setup(void **state)
{
    (void)state;
    schema = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    assert_int_equal(flowlog_record_new(&rec, schema, NULL), FLOWLOG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    flowlog_record_free(rec);
    flowlog_schema_free(schema);
    return 0;
}

static flowlog_query *compile(const char *text)
{
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    int rc = flowlog_query_compile(q, text, strlen(text));
    if (rc != FLOWLOG_OK)
        fail_msg("%s: %s", text, flowlog_query_error_message(q));
    return q;
}

static void feed_all(flowlog_query *q, const char *stream)
{
    for (size_t i = 0; i < NLINES; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        int rc = flowlog_query_feed(q, rec, stream);
        assert_true(rc == FLOWLOG_ABSENT || rc == FLOWLOG_OK || rc == FLOWLOG_END);
    }
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
}

static int64_t count_of(const char *filter)
{
    char text[256];
    snprintf(text, sizeof text, "filter %s | stats count(*) as n", filter);
    flowlog_query *q = compile(text);
    feed_all(q, NULL);
    flowlog_value v;
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    flowlog_query_free(q);
    return v.i;
}

/* A comparison with a missing field ('-', or not in the format) is false
 * whichever way it is asked, and a field against a string literal gives
 * what the same comparison against a computed string gives. */
static void text_comparisons_with_missing_fields(void **state)
{
    (void)state;
    assert_int_equal(count_of("action = \"REJECT\""), 2);
    assert_int_equal(count_of("action != \"ACCEPT\""), 2);
    assert_int_equal(count_of("action != concat(\"ACC\", \"EPT\")"), 2);
    assert_int_equal(count_of("action = concat(\"REJ\", \"ECT\")"), 2);
    assert_int_equal(count_of("vpcId = \"vpc-1\""), 0);
    assert_int_equal(count_of("vpcId != \"vpc-1\""), 0);
    assert_int_equal(count_of("srcAddr != \"10.0.1.5\""), 3);
}

static void compile_errors_point_at_the_mistake(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        size_t offset;
        const char *message;
    } cases[] = {
        {"filter dstprot = 22", FLOWLOG_E_QUERY, 7, "unknown field 'dstprot' (did you mean 'dstport'?)"},
        {"filter action = \"REJECT", FLOWLOG_E_QUERY, 16, "unterminated string"},
        {"count(*)", FLOWLOG_E_QUERY, 0, "unknown command 'count'"},
        {"filter count(*) > 1", FLOWLOG_E_QUERY, 7, "count() is an aggregate"},
        {"stats srcAddr", FLOWLOG_E_QUERY, 6, "stats needs an aggregate"},
        {"stats count(*) by srcAddr | sort packets", FLOWLOG_E_QUERY, 33, "unknown column 'packets'"},
        {"filter isIpv4InSubnet(srcAddr, \"10.0.0.0/33\")", FLOWLOG_E_QUERY, 31, "not a CIDR block"},
        {"filter isIpv6InSubnet(srcAddr, \"10.0.0.0/8\")", FLOWLOG_E_QUERY, 31, "not an IPv6 block"},
        {"filter srcAddr =~ /([a-z/", FLOWLOG_E_QUERY, 24, "bad regular expression: missing terminating ]"},
        {"filter packets > 1 |", FLOWLOG_E_QUERY, 20, "expected a command"},
        {"filter packets > 1 limit 5", FLOWLOG_E_QUERY, 19, "expected '|'"},
        {"stats count(*) by bin(5x)", FLOWLOG_E_QUERY, 23, "unknown time unit 'x'"},
        {"wibble", FLOWLOG_E_QUERY, 0, "unknown command 'wibble'"},
        {"", FLOWLOG_E_QUERY, 0, "the query is empty"},
        {"stats sum(max(bytes))", FLOWLOG_E_QUERY, 10, "an aggregate cannot contain another"},
        {"filter frobnicate(bytes)", FLOWLOG_E_QUERY, 7, "unknown function 'frobnicate'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flowlog_query *q;
        assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
        int rc = flowlog_query_compile(q, cases[i].text, strlen(cases[i].text));
        if (rc != cases[i].rc || !strstr(flowlog_query_error_message(q), cases[i].message) ||
            flowlog_query_error_offset(q) != cases[i].offset)
            fail_msg("%s: rc %d offset %zu message '%s'", cases[i].text, rc, flowlog_query_error_offset(q),
                     flowlog_query_error_message(q));
        flowlog_query_free(q);
    }
}

static void limits_on_query_text(void **state)
{
    (void)state;
    flowlog_query *q;
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "filter ");
    for (int i = 0; i < 100; i++)
        deep[n++] = '(';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "1");
    for (int i = 0; i < 100; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, deep, n), FLOWLOG_E_LIMIT);
    assert_non_null(strstr(flowlog_query_error_message(q), "nests deeper"));
    flowlog_query_free(q);

    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_LENGTH, 16), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("filter packets > 100000")), FLOWLOG_E_LIMIT);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, 0), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_query_set(q, 99, 1), FLOWLOG_E_UNSUPPORTED);
    flowlog_query_free(q);
}

/* A chain of operators is as deep as it is long, and evaluating it
 * recurses that deep: a long one is refused (and one of 999 still runs). */
static void long_chains_are_bounded(void **state)
{
    (void)state;
    static const char *const ops[] = {"+", "*", " or ", " and ", "-"};
    size_t cap = 120000;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        for (int terms = 999; terms <= 16000; terms += 15001) {
            size_t n = (size_t)snprintf(text, cap, "filter ");
            for (int i = 0; i < terms; i++)
                n += (size_t)snprintf(text + n, cap - n, "%s1", i ? ops[k] : "");
            flowlog_query *q;
            assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
            assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_LENGTH, (int64_t)cap), FLOWLOG_OK);
            int rc = flowlog_query_compile(q, text, n);
            if (terms < 1000) {
                if (rc != FLOWLOG_OK)
                    fail_msg("a chain of %d '%s': %s", terms, ops[k], flowlog_query_error_message(q));
                feed_all(q, NULL);
            } else {
                assert_int_equal(rc, FLOWLOG_E_LIMIT);
                assert_non_null(strstr(flowlog_query_error_message(q), "operations deep"));
            }
            flowlog_query_free(q);
        }
    }
    free(text);
}

/* Integer arithmetic is exact while it fits in 64 bits and never wraps:
 * a result that does not fit (a sum included, and |INT64_MIN|) goes on in
 * floating point; division and remainder by zero are null. */
static void integer_overflow_goes_on_in_floating_point(void **state)
{
    (void)state;
    flowlog_query *q = compile("fields abs(-9223372036854775807 - 1) as a, 9223372036854775807 + 1 as b, "
                               "-9223372036854775807 - 2 as c, 4611686018427387904 * 2 as d, "
                               "9223372036854775807 * -1 as e, 7 / 0 as f, 7 % 0 as g, abs(-5) as h, "
                               "9223372036854775806 + 1 as i | limit 1");
    assert_int_equal(flowlog_record_parse(rec, lines[0], strlen(lines[0])), FLOWLOG_OK);
    assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_OK);
    flowlog_value v;
    const double big = 9223372036854775808.0;
    const double want[] = {big, big, -big - 1, big};
    for (size_t c = 0; c < 4; c++) {
        assert_int_equal(flowlog_query_cell(q, c, &v), FLOWLOG_OK);
        assert_int_equal(v.type, FLOWLOG_VALUE_FLOAT);
        assert_true(v.f == want[c]);
    }
    assert_int_equal(flowlog_query_cell(q, 4, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_INT);
    assert_true(v.i == -INT64_MAX);
    for (size_t c = 5; c < 7; c++) {
        assert_int_equal(flowlog_query_cell(q, c, &v), FLOWLOG_OK);
        assert_int_equal(v.type, FLOWLOG_VALUE_NULL);
    }
    assert_int_equal(flowlog_query_cell(q, 7, &v), FLOWLOG_OK);
    assert_true(v.type == FLOWLOG_VALUE_INT && v.i == 5);
    assert_int_equal(flowlog_query_cell(q, 8, &v), FLOWLOG_OK);
    assert_true(v.type == FLOWLOG_VALUE_INT && v.i == INT64_MAX);
    flowlog_query_free(q);

    /* sum past 2^63 - 1, from records of packets near the top of u64 */
    q = compile("stats sum(packets) as s, max(packets) as m");
    flowlog_record *big_rec;
    assert_int_equal(flowlog_record_new(&big_rec, schema, NULL), FLOWLOG_OK);
    static const char line[] =
        "2 123456789012 eni-0a1 10.0.1.5 10.0.2.9 40000 3306 6 9223372036854775807 1 1700000000 1700000000 ACCEPT OK";
    for (int i = 0; i < 3; i++) {
        assert_int_equal(flowlog_record_parse(big_rec, line, sizeof line - 1), FLOWLOG_OK);
        assert_int_equal(flowlog_query_feed(q, big_rec, NULL), FLOWLOG_ABSENT);
    }
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_FLOAT);
    assert_true(v.f > 2.7e19 && v.f < 2.8e19);
    flowlog_record_free(big_rec);
    flowlog_query_free(q);
}

static void streaming_rows_and_limit(void **state)
{
    (void)state;
    flowlog_query *q = compile("fields @timestamp, srcAddr, bytes / 100 as hundreds, @logStream | filter dstPort = 3306 | limit 1");
    assert_false(flowlog_query_is_deferred(q));
    assert_int_equal(flowlog_query_column_count(q), 4);
    assert_string_equal(flowlog_query_column_name(q, 2), "hundreds");
    assert_int_equal(flowlog_record_parse(rec, lines[2], strlen(lines[2])), FLOWLOG_OK);
    assert_int_equal(flowlog_query_feed(q, rec, "eni-0a1"), FLOWLOG_ABSENT); /* port 40002 */
    assert_int_equal(flowlog_record_parse(rec, lines[0], strlen(lines[0])), FLOWLOG_OK);
    assert_int_equal(flowlog_query_feed(q, rec, "eni-0a1"), FLOWLOG_OK);
    flowlog_value v;
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_TIME);
    assert_int_equal(v.i, 1700000000);
    assert_int_equal(flowlog_query_cell(q, 1, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_STRING);
    assert_memory_equal(v.s, "10.0.1.5", v.len);
    assert_int_equal(flowlog_query_cell(q, 2, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_FLOAT);
    assert_true(v.f == 10.0);
    assert_int_equal(flowlog_query_cell(q, 3, &v), FLOWLOG_OK);
    assert_memory_equal(v.s, "eni-0a1", v.len);
    assert_int_equal(flowlog_query_cell(q, 4, &v), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_END); /* the limit is reached */
    flowlog_query_free(q);
}

static void aggregates_groups_and_sort(void **state)
{
    (void)state;
    flowlog_query *q = compile("filter ispresent(action) | stats count(*) as n, sum(bytes) as b, avg(packets) as p, "
                               "count_distinct(srcPort) as ports by action | sort n desc");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_column_count(q), 5);
    assert_string_equal(flowlog_query_column_name(q, 0), "action");
    flowlog_value v;
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_memory_equal(v.s, "ACCEPT", 6);
    assert_int_equal(flowlog_query_cell(q, 1, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 3);
    assert_int_equal(flowlog_query_cell(q, 2, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 880);
    assert_int_equal(flowlog_query_cell(q, 3, &v), FLOWLOG_OK);
    assert_true(v.f == 3.0);
    assert_int_equal(flowlog_query_cell(q, 4, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 3);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 1, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 2);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_END);
    flowlog_query_free(q);

    /* bin() keys, IPv6 subnets, in/not in, like, regex, string functions. */
    q = compile("filter isIpInSubnet(srcAddr, \"2001:db8::/32\") or srcAddr not in [\"10.0.1.5\", \"10.0.2.9\"] "
                "| stats count(*) as n by bin(1h) as hour | sort hour desc");
    feed_all(q, NULL);
    assert_true(flowlog_query_column_is_bin(q, 0));
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_TIME);
    assert_int_equal(v.i, 1700006400);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 1700002800);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_END);
    flowlog_query_free(q);

    q = compile("filter toupper(concat(action, \"-\", protocol)) = \"REJECT-6\" and strlen(srcAddr) = 8 "
                "and srcAddr like \"10.0\" and interfaceId =~ /^ENI-0A/i | stats count(*) as n");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 2);
    flowlog_query_free(q);

    /* After stats, an aggregate written as its column is named is that column. */
    q = compile("filter ispresent(action) | stats count(*) by action | sort count(*) desc | filter count(*) > 2 "
                "| display count(*)");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_column_count(q), 1);
    assert_string_equal(flowlog_query_column_name(q, 0), "count(*)");
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 3);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_END);
    flowlog_query_free(q);

    /* Nothing matched: one row saying 0. */
    q = compile("filter dstPort = 1 | stats count(*) as n");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 0);
    flowlog_query_free(q);
}

static void the_group_cap_is_an_error_not_growth(void **state)
{
    (void)state;
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, 2), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("stats count(*) by srcAddr")), FLOWLOG_OK);
    int rc = FLOWLOG_OK;
    for (size_t i = 0; i < NLINES && rc >= 0; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        rc = flowlog_query_feed(q, rec, NULL);
    }
    assert_int_equal(rc, FLOWLOG_E_LIMIT);
    assert_non_null(strstr(flowlog_query_error_message(q), "more than 2 groups"));
    flowlog_query_free(q);
}

/* Sorting without stats keeps only the rows a limit can return. */
static void top_rows_without_stats(void **state)
{
    (void)state;
    counting c = {0};
    flowlog_allocator a = make_allocator(&c);
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, &a), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, 5000), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("fields srcPort, interfaceId | sort srcPort desc | limit 3")), FLOWLOG_OK);
    char line[200];
    int64_t want[3] = {-1, -1, -1};
    for (int i = 0; i < 100000; i++) {
        int64_t port = (i * 7919) % 65536;
        for (int k = 0; k < 3; k++)
            if (port > want[k]) {
                for (int j = 2; j > k; j--)
                    want[j] = want[j - 1];
                want[k] = port;
                break;
            }
        int n = snprintf(line, sizeof line, "2 1 eni-%d 10.0.0.1 10.0.0.2 %d 80 6 1 40 1 2 ACCEPT OK", i, (int)port);
        assert_int_equal(flowlog_record_parse(rec, line, (size_t)n), FLOWLOG_OK);
        assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_ABSENT);
    }
    assert_true(c.live_bytes < 4 << 20);
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
    flowlog_value v;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
        assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
        assert_int_equal(v.i, want[i]);
    }
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_END);
    flowlog_query_free(q);
    assert_int_equal(c.live_bytes, 0);
}

/* Rows of a query over 2000 records with many ties, as "key:tag" text. */
static void sorted_rows(const char *text, char *out, size_t size)
{
    flowlog_query *q = compile(text);
    char line[200];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(line, sizeof line, "2 1 eni-%d 10.0.0.1 10.0.0.2 %d %d 6 1 40 1 2 ACCEPT OK", i,
                         (i * 7919) % 37, i % 11);
        assert_int_equal(flowlog_record_parse(rec, line, (size_t)n), FLOWLOG_OK);
        int rc = flowlog_query_feed(q, rec, NULL);
        assert_true(rc == FLOWLOG_ABSENT || rc == FLOWLOG_OK);
    }
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
    size_t used = 0;
    out[0] = '\0';
    while (flowlog_query_next_row(q) == FLOWLOG_OK) {
        flowlog_value a, b;
        assert_int_equal(flowlog_query_cell(q, 0, &a), FLOWLOG_OK);
        assert_int_equal(flowlog_query_cell(q, 1, &b), FLOWLOG_OK);
        used += (size_t)snprintf(out + used, size - used, "%lld:%lld,", (long long)a.i, (long long)b.i);
        assert_true(used < size);
    }
    flowlog_query_free(q);
}

/* A limit keeps exactly the first rows of the whole sort, ties in the order
 * the rows were made, for every limit from none at all to more than there
 * are; with stats and without. */
static void a_limit_keeps_the_first_rows_of_the_sort(void **state)
{
    (void)state;
    static const char *const shapes[] = {
        "fields srcPort, dstPort | sort srcPort desc",
        "stats count(*) as n by srcPort | sort n desc",
        "stats count(*) as n, sum(packets) as p by dstPort | sort n asc",
    };
    static char all[64 * 1024], some[64 * 1024];
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        char text[200];
        snprintf(text, sizeof text, "%s", shapes[s]);
        sorted_rows(text, all, sizeof all);
        size_t rows = 0;
        for (const char *p = all; *p; p++)
            rows += *p == ',';
        static const size_t limits[] = {0, 1, 2, 3, 10, 36, 37, 38, 1999, 2000, 2001};
        for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
            snprintf(text, sizeof text, "%s | limit %zu", shapes[s], limits[l]);
            sorted_rows(text, some, sizeof some);
            /* The first min(limit, rows) rows of the unlimited result. */
            size_t keep = limits[l] < rows ? limits[l] : rows, cut = 0;
            for (size_t k = 0; k < keep; k++)
                cut = (size_t)(strchr(all + cut, ',') - all) + 1;
            if (strlen(some) != cut || strncmp(some, all, cut) != 0)
                fail_msg("%s: got %.80s..., want the first %zu rows of %.80s...", text, some, keep, all);
        }
    }
}

static void no_allocation_per_record(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "filter action = \"REJECT\" and isIpv4InSubnet(srcAddr, \"10.0.0.0/8\") | fields srcAddr, toupper(action)",
        "filter dstPort in [3306, 53] | stats count(*), sum(bytes), count_distinct(srcAddr) by dstPort, bin(5m)",
    };
    for (size_t t = 0; t < 2; t++) {
        counting c = {0};
        flowlog_allocator a = make_allocator(&c);
        flowlog_query *q;
        assert_int_equal(flowlog_query_new(&q, &a), FLOWLOG_OK);
        assert_int_equal(flowlog_query_compile(q, texts[t], strlen(texts[t])), FLOWLOG_OK);
        feed_all(q, NULL); /* the groups exist now */
        flowlog_query_reset(q);
        for (size_t i = 0; i < NLINES; i++) {
            assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
            (void)flowlog_query_feed(q, rec, NULL);
        }
        unsigned long before = c.allocs;
        for (int round = 0; round < 2000; round++)
            for (size_t i = 0; i < NLINES; i++) {
                assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
                (void)flowlog_query_feed(q, rec, NULL);
            }
        assert_int_equal(c.allocs, before);
        flowlog_query_free(q);
        assert_int_equal(c.live_bytes, 0);
    }
}

static void every_allocation_may_fail(void **state)
{
    (void)state;
    static const char text[] = "filter srcAddr =~ /^10\\./ | stats count(*) as n, count_distinct(dstPort) by srcAddr | sort n desc";
    for (long fail = 1; fail < 200; fail++) {
        counting c = {0};
        c.fail_at = fail;
        flowlog_allocator a = make_allocator(&c);
        flowlog_query *q;
        int rc = flowlog_query_new(&q, &a);
        if (rc == FLOWLOG_OK) {
            rc = flowlog_query_compile(q, text, sizeof text - 1);
            for (size_t i = 0; i < NLINES && rc >= 0; i++) {
                assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
                rc = flowlog_query_feed(q, rec, NULL);
            }
            if (rc >= 0)
                rc = flowlog_query_finish(q);
            flowlog_query_free(q);
        }
        assert_true(rc >= 0 || rc == FLOWLOG_E_NOMEM);
        assert_int_equal(c.live_bytes, 0);
    }
}

/* An alarm over the result's columns: held by any row given, streaming or
 * after stats; refused before compile, after the first record, or naming
 * a column the result lacks; cleared by a reset. */
static void alarms_over_result_rows(void **state)
{
    (void)state;
    flowlog_query *q = compile("stats sum(packets) as p by action");
    assert_int_equal(flowlog_query_set_alarm(q, "p > 30", 6), FLOWLOG_OK);
    feed_all(q, NULL);
    while (flowlog_query_next_row(q) == FLOWLOG_OK) {
    }
    assert_int_equal(flowlog_query_alarm(q), 0); /* REJECT 30, ACCEPT 9 */
    flowlog_query_reset(q);
    static const char both[] = "p >= 30 and action = \"REJECT\"";
    assert_int_equal(flowlog_query_set_alarm(q, both, strlen(both)), FLOWLOG_OK);
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_alarm(q), 0); /* nothing is held before a row is given */
    while (flowlog_query_next_row(q) == FLOWLOG_OK) {
    }
    assert_int_equal(flowlog_query_alarm(q), 1);
    flowlog_query_reset(q);
    assert_int_equal(flowlog_query_alarm(q), 0);
    assert_int_equal(flowlog_query_set_alarm(q, "packets > 1", 11), FLOWLOG_E_QUERY);
    assert_non_null(strstr(flowlog_query_error_message(q), "unknown column 'packets'"));
    assert_int_equal(flowlog_query_set_alarm(q, "p >", 3), FLOWLOG_E_QUERY);
    assert_int_equal(flowlog_query_set_alarm(q, "p > 1 p", 7), FLOWLOG_E_QUERY);
    assert_int_equal(flowlog_query_error_offset(q), 6);
    flowlog_query_free(q);

    q = compile("fields srcAddr, dstPort");
    assert_int_equal(flowlog_query_set_alarm(q, "dstPort = 53", 12), FLOWLOG_OK);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_OK);
    }
    assert_int_equal(flowlog_query_alarm(q), 0);
    assert_int_equal(flowlog_record_parse(rec, lines[3], strlen(lines[3])), FLOWLOG_OK);
    assert_int_equal(flowlog_query_feed(q, rec, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_alarm(q), 1);
    /* set once the records flow: too late */
    assert_int_equal(flowlog_query_set_alarm(q, "dstPort = 53", 12), FLOWLOG_E_ARG);
    flowlog_query_free(q);

    flowlog_query *raw;
    assert_int_equal(flowlog_query_new(&raw, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set_alarm(raw, "x", 1), FLOWLOG_E_ARG);
    flowlog_query_free(raw);
}

/* parse: its fields are names from then on; a pattern without a star, names
 * that do not match the stars, a regex without named groups and a parse
 * after stats are errors that say so. */
static void the_parse_command(void **state)
{
    (void)state;
    flowlog_query *q = compile("parse @message \"eni-* \" as eni | parse srcAddr /^(?<net>\\d+\\.\\d+)\\./ "
                               "| filter ispresent(net) | stats count(*) as n by eni, net | sort n desc");
    feed_all(q, NULL);
    flowlog_value eni, net, n;
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &eni), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 1, &net), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 2, &n), FLOWLOG_OK);
    assert_int_equal(eni.len, 3);
    assert_memory_equal(eni.s, "0a1", 3);
    assert_int_equal(net.len, 4);
    assert_memory_equal(net.s, "10.0", 4);
    assert_int_equal(n.i, 3);
    flowlog_query_free(q);
    static const char *const bad[][2] = {
        {"parse @message \"no stars\" as a", "needs a * for each field"},
        {"parse @message \"* *\" as a", "2 stars, and 1 names"},
        {"parse @message \"*\" as a, b", "more names follow"},
        {"parse @message /(\\d+)/", "needs named groups"},
        {"stats count(*) as n | parse @message \"*\" as a", "parse after stats"},
        {"parse 7 \"*\" as a", "the field to read"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_query_compile(q, bad[i][0], strlen(bad[i][0])), FLOWLOG_E_QUERY);
        if (!strstr(flowlog_query_error_message(q), bad[i][1]))
            fail_msg("%s: %s", bad[i][0], flowlog_query_error_message(q));
        flowlog_query_free(q);
    }
}

/* A second stats reads the first's rows by their column names; the query's
 * columns and rows are the second's; a name the first did not make is an
 * error where it is written. */
static void a_second_stats(void **state)
{
    (void)state;
    static const char text[] = "stats sum(packets) as p by srcAddr, action | stats count(*) as sources, max(p) as most by action "
                               "| sort most desc";
    flowlog_query *q = compile(text);
    assert_int_equal(flowlog_query_is_deferred(q), 1);
    assert_int_equal(flowlog_query_column_count(q), 3);
    assert_string_equal(flowlog_query_column_name(q, 1), "sources");
    assert_int_equal(flowlog_query_set_alarm(q, "most >= 30", 10), FLOWLOG_OK);
    feed_all(q, NULL);
    flowlog_value act, n, most;
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &act), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 1, &n), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 2, &most), FLOWLOG_OK);
    assert_memory_equal(act.s, "REJECT", 6);
    assert_int_equal(n.i, 1);     /* 10.0.1.5 alone */
    assert_int_equal(most.i, 30); /* 10 + 20 */
    assert_int_equal(flowlog_query_alarm(q), 1);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 1, &n), FLOWLOG_OK);
    assert_int_equal(n.i, 3); /* three sources ACCEPTed */
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK); /* the SKIPDATA record: no action */
    assert_int_equal(flowlog_query_cell(q, 0, &act), FLOWLOG_OK);
    assert_int_equal(act.type, FLOWLOG_VALUE_NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_END);
    flowlog_query_reset(q);
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    flowlog_query_free(q);

    static const char bad[] = "stats count(*) as n by srcAddr | stats sum(packets)";
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, bad, sizeof bad - 1), FLOWLOG_E_QUERY);
    assert_non_null(strstr(flowlog_query_error_message(q), "unknown column 'packets' of the stats before"));
    assert_int_equal(flowlog_query_error_offset(q), (size_t)(strstr(bad, "packets)") - bad));
    flowlog_query_free(q);
}

/* @timestamp is in milliseconds in arithmetic as in comparisons, a time
 * again through fromMillis(); min and max of it are times. */
static void timestamp_arithmetic_in_milliseconds(void **state)
{
    (void)state;
    flowlog_value v;
    flowlog_query *q = compile("fields @timestamp - 1000 as before, fromMillis(@timestamp - 60000) as minute_ago, "
                "toMillis(@timestamp) - @timestamp as zero, -@timestamp as neg | sort before | limit 1");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_INT);
    assert_int_equal(v.i, 1699999999000);
    assert_int_equal(flowlog_query_cell(q, 1, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_TIME);
    assert_int_equal(v.i, 1699999940);
    assert_int_equal(flowlog_query_cell(q, 2, &v), FLOWLOG_OK);
    assert_int_equal(v.i, 0);
    assert_int_equal(flowlog_query_cell(q, 3, &v), FLOWLOG_OK);
    assert_int_equal(v.i, -1700000000000);
    flowlog_query_free(q);

    q = compile("stats min(@timestamp) as lo, max(@timestamp) as hi, max(@timestamp) - min(@timestamp) as span, "
                "max(bytes) as b");
    feed_all(q, NULL);
    assert_int_equal(flowlog_query_next_row(q), FLOWLOG_OK);
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_TIME);
    assert_int_equal(v.i, 1700000000);
    assert_int_equal(flowlog_query_cell(q, 1, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_TIME);
    assert_int_equal(v.i, 1700007400);
    assert_int_equal(flowlog_query_cell(q, 2, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_INT);
    assert_int_equal(v.i, 7400000);
    assert_int_equal(flowlog_query_cell(q, 3, &v), FLOWLOG_OK);
    assert_int_equal(v.type, FLOWLOG_VALUE_INT);
    flowlog_query_free(q);
}

/* The fields a query reads, for inputs that read only those (Parquet): each
 * once; the record's start for times; none when it reads whole lines. */
static void the_fields_a_query_reads(void **state)
{
    (void)state;
    uint32_t f[8];
    size_t n = 8;
    flowlog_query *q = compile("filter action = \"REJECT\" and dstPort > 1000 | stats count(*) by dstPort, bin(5m)");
    assert_int_equal(flowlog_query_fields(q, f, &n), FLOWLOG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(f[0], FLOWLOG_FIELD_ACTION);
    assert_int_equal(f[1], FLOWLOG_FIELD_DSTPORT);
    assert_int_equal(f[2], FLOWLOG_FIELD_START);
    size_t two = 2;
    assert_int_equal(flowlog_query_fields(q, f, &two), FLOWLOG_ABSENT);
    flowlog_query_free(q);
    q = compile("stats earliest(srcAddr) as first by dstAddr");
    n = 8;
    assert_int_equal(flowlog_query_fields(q, f, &n), FLOWLOG_OK);
    assert_int_equal(n, 3);
    flowlog_query_free(q);
    q = compile("filter @message like \"REJECT\" | fields srcAddr");
    n = 8;
    assert_int_equal(flowlog_query_fields(q, f, &n), FLOWLOG_ABSENT);
    flowlog_query_free(q);
}

/* ---- groups found by their key fields' bytes (query_keycache.c) and by
 * one small number (the dense array) give what the values give ---- */

static const char *pick(const char *const *from, size_t n)
{
    return from[next_rand() % n];
}

/* Records whose key fields take every form: numbers with leading zeros,
 * `-`, IPv6, values that do not convert, interface ids too long for the
 * cache; and headers that change the format (one without action). */
static char *varied_records(size_t nlines, size_t *len)
{
    static const char *const protos[] = {"6", "06", "17", "1", "-", "006"};
    static const char *const actions[] = {"ACCEPT", "REJECT", "-", "REJECTED"};
    static const char *const addrs[] = {"10.0.0.1", "10.0.0.2", "2001:db8::1", "-", "10.0.0.999"};
    static const char *const ports[] = {"443", "0443", "-", "22", "70000", "65535", "0"};
    size_t cap = nlines * 200 + 400, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    bool short_format = false;
    for (size_t i = 0; i < nlines; i++) {
        if (next_rand() % 300 == 0) {
            short_format = !short_format;
            n += (size_t)snprintf(text + n, cap - n, "%s\n",
                                  short_format ? "version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end"
                                               : "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status");
        }
        char eni[80];
        if (next_rand() % 10 == 0)
            snprintf(eni, sizeof eni, "eni-%060u", next_rand() % 3);
        else
            snprintf(eni, sizeof eni, "eni-%u", next_rand() % 5);
        if (short_format)
            n += (size_t)snprintf(text + n, cap - n, "2 %s %s %s %u %s %s %u %u 1700000000 1700000060\n", eni,
                                  pick(addrs, 5), pick(addrs, 5), next_rand() % 5, pick(ports, 7), pick(protos, 6),
                                  next_rand() % 9, next_rand() % 999);
        else
            n += (size_t)snprintf(text + n, cap - n, "2 123456789012 %s %s %s %u %s %s %u %u 1700000000 1700000060 %s OK\n",
                                  eni, pick(addrs, 5), pick(addrs, 5), next_rand() % 5, pick(ports, 7), pick(protos, 6),
                                  next_rand() % 9, next_rand() % 999, pick(actions, 4));
    }
    *len = n;
    return text;
}

/* The rows and the error count of a query over text. */
static char *answer(const char *query, const char *text, size_t len, uint64_t *errors)
{
    flowlog_query *q = compile(query);
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, text, len, "varied"), FLOWLOG_OK);
    assert_int_equal(flowlog_query_run(q, r, NULL, NULL), FLOWLOG_OK);
    char *rows = query_rows_text(q);
    *errors = flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS);
    flowlog_reader_free(r);
    flowlog_query_free(q);
    return rows;
}

static void groups_by_key_bytes_are_groups_by_value(void **state)
{
    (void)state;
    /* each query, then the same with keys the fast ways do not take
     * (coalesce() of a field is an expression; concat() makes a number text,
     * and of nothing an empty text, hence ispresent) */
    static const char *const pairs[][2] = {
        {"stats count(*) as n, sum(bytes) as b by protocol, action",
         "stats count(*) as n, sum(bytes) as b by coalesce(protocol), coalesce(action)"},
        {"stats count(*) as n by interfaceId, srcAddr", "stats count(*) as n by coalesce(interfaceId), coalesce(srcAddr)"},
        {"filter ispresent(dstPort) | stats sum(packets) as p, max(bytes) as m, count(*) as n by dstPort",
         "filter ispresent(dstPort) | stats sum(packets) as p, max(bytes) as m, count(*) as n by concat(dstPort)"},
        {"filter ispresent(dstPort) | stats count(*) as n by dstPort",
         "filter ispresent(dstPort) | stats count(*) as n by concat(dstPort)"},
        {"filter action = \"REJECT\" | stats avg(bytes) as a by protocol, dstAddr",
         "filter action = \"REJECT\" | stats avg(bytes) as a by coalesce(protocol), coalesce(dstAddr)"},
        /* keys that are not fields wait for their group, records in order
         * (an address too long to wait in lets the waiting ones through):
         * a standard deviation, which depends on the order of its values,
         * comes out the same to the last digit */
        {"stats stddev(bytes) as s, min(packets) as m, count(*) as n by srcAddr, dstPort",
         "stats stddev(bytes) as s, min(packets) as m, count(*) as n by coalesce(srcAddr), coalesce(dstPort)"},
        {"stats stddev(bytes) as s, count(*) as n by interfaceId, dstPort",
         "stats stddev(bytes) as s, count(*) as n by coalesce(interfaceId), coalesce(dstPort)"},
    };
    for (int round = 0; round < 4; round++) {
        size_t len;
        char *text = varied_records(round ? 20000 : 300, &len);
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            uint64_t fast_errors, slow_errors;
            char *fast = answer(pairs[i][0], text, len, &fast_errors);
            char *slow = answer(pairs[i][1], text, len, &slow_errors);
            assert_string_equal(fast, slow);
            /* a value that does not convert is an error each time it comes, never a group */
            assert_int_equal(fast_errors, slow_errors);
            assert_true(fast_errors > 0 || strstr(pairs[i][0], "dstPort")); /* every port converts */
            assert_true(strlen(fast) > 20);
            free(fast);
            free(slow);
        }
        free(text);
    }
}

/* Records of many distinct values: sources from a pool of 40000 IPv4
 * addresses (and some IPv6 and absent), any port, byte counts up to 2^40,
 * on 700 interfaces. */
static char *many_values(size_t nlines, size_t *len)
{
    size_t cap = nlines * 160, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t i = 0; i < nlines; i++) {
        unsigned a = next_rand() % 40000, kind = next_rand() % 20;
        char src[48];
        if (kind == 0)
            snprintf(src, sizeof src, "2001:db8::%x", a);
        else if (kind == 1)
            snprintf(src, sizeof src, "-");
        else
            snprintf(src, sizeof src, "%u.%u.%u.%u", 10 + a % 3, a / 256 % 256, a % 256, a / 7 % 256);
        uint64_t bytes = ((uint64_t)next_rand() << 20 ^ next_rand()) % ((uint64_t)1 << 40);
        n += (size_t)snprintf(text + n, cap - n, "2 123456789012 eni-%u %s 10.9.%u.%u %u %u 6 3 %llu 1700000000 1700000060 ACCEPT OK\n",
                              next_rand() % 700, src, next_rand() % 4, next_rand() % 256, next_rand() % 65536,
                              next_rand() % 65536, (unsigned long long)bytes);
    }
    *len = n;
    return text;
}

/* Each pair of queries over nlines of many_values() gives the same rows
 * (more than min_text bytes of them) and the same error count. */
static void pairs_agree(const char *const (*pairs)[2], size_t npairs, size_t nlines, size_t min_text)
{
    size_t len;
    char *text = many_values(nlines, &len);
    for (size_t i = 0; i < npairs; i++) {
        uint64_t e1, e2;
        char *one = answer(pairs[i][0], text, len, &e1);
        char *other = answer(pairs[i][1], text, len, &e2);
        assert_string_equal(one, other);
        assert_int_equal(e1, e2);
        assert_true(strlen(one) > min_text);
        free(one);
        free(other);
    }
    free(text);
}

/* Groups by a port among tens of thousands: a record of a known port waits
 * for its group's accumulators, in order (a standard deviation depends on
 * the order of its values), as the same groups by text do not. */
static void many_ports_wait_alike(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"stats stddev(bytes) as s, sum(packets) as p, min(bytes) as lo, max(bytes) as hi, avg(bytes) as a, "
         "count(*) as n, count(srcAddr) as c by dstPort",
         "stats stddev(bytes) as s, sum(packets) as p, min(bytes) as lo, max(bytes) as hi, avg(bytes) as a, "
         "count(*) as n, count(srcAddr) as c by concat(dstPort)"},
        {"filter ispresent(srcAddr) | stats sum(bytes) as b by srcPort",
         "filter ispresent(srcAddr) | stats sum(bytes) as b by concat(srcPort)"},
    };
    pairs_agree(pairs, sizeof pairs / sizeof pairs[0], 60000, 30000 * 10); /* rows of tens of thousands of ports */
}

/* count_distinct of addresses and whole numbers (gathered, sorted and merged)
 * counts as it does of values it keeps in a table (text that is not an
 * address, numbers past 32 bits), over several merges, many groups, and a
 * state serialized and merged. */
static void distinct_values_gathered_count_as_any(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"filter ispresent(srcAddr) | stats count_distinct(srcAddr) as a, count(*) as n by interfaceId",
         "filter ispresent(srcAddr) | stats count_distinct(concat(\"a\", srcAddr)) as a, count(*) as n by interfaceId"},
        {"stats count_distinct(dstPort) as p, count_distinct(bytes) as b, count_distinct(dstAddr) as d by interfaceId",
         "stats count_distinct(concat(dstPort)) as p, count_distinct(bytes + 4294967296) as b, "
         "count_distinct(concat(\"a\", dstAddr)) as d by interfaceId"},
        {"filter ispresent(srcAddr) | stats count_distinct(srcPort) as p, count_distinct(srcAddr) as s by dstAddr",
         "filter ispresent(srcAddr) | stats count_distinct(concat(srcPort)) as p, count_distinct(concat(\"a\", srcAddr)) as s by dstAddr"},
        {"filter ispresent(srcAddr) | stats count_distinct(srcAddr) as s",
         "filter ispresent(srcAddr) | stats count_distinct(concat(\"a\", srcAddr)) as s"},
        /* a part of a checked address is other text than the address */
        {"filter ispresent(srcAddr) | stats count_distinct(substr(srcAddr, 0, 9)) as s, count(*) as n by interfaceId",
         "filter ispresent(srcAddr) | stats count_distinct(concat(\"a\", substr(srcAddr, 0, 9))) as s, count(*) as n "
         "by interfaceId"},
    };
    size_t len;
    char *text = many_values(60000, &len);
    size_t half = len / 2;
    while (text[half - 1] != '\n')
        half++;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t fast_errors, slow_errors;
        char *fast = answer(pairs[i][0], text, len, &fast_errors);
        char *slow = answer(pairs[i][1], text, len, &slow_errors);
        assert_string_equal(fast, slow);
        assert_int_equal(fast_errors, 0);
        /* rows of counts; the last, of one group, counts nearly every address of the pool */
        assert_true(strlen(fast) > 30 || (strtoull(fast, NULL, 10) > 20000 && strtoull(fast, NULL, 10) <= 40000));
        /* two halves, one serialized and merged into the other */
        flowlog_query *parts[2];
        for (int h = 0; h < 2; h++) {
            parts[h] = compile(pairs[i][0]);
            flowlog_reader *r;
            assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
            assert_int_equal(flowlog_reader_add_memory(r, h ? text + half : text, h ? len - half : half, "half"),
                             FLOWLOG_OK);
            flowlog_record *hrec;
            int rc;
            while ((rc = flowlog_reader_next(r, &hrec)) == FLOWLOG_OK) {
                int fed = flowlog_query_feed(parts[h], hrec, NULL);
                assert_true(fed == FLOWLOG_ABSENT || fed == FLOWLOG_OK);
            }
            assert_int_equal(rc, FLOWLOG_END);
            flowlog_reader_free(r);
        }
        size_t need;
        assert_int_equal(flowlog_query_serialize(parts[1], NULL, 0, &need), FLOWLOG_E_RANGE);
        void *buf = malloc(need);
        assert_int_equal(flowlog_query_serialize(parts[1], buf, need, &need), FLOWLOG_OK);
        assert_int_equal(flowlog_query_merge(parts[0], buf, need), FLOWLOG_OK);
        assert_int_equal(flowlog_query_finish(parts[0]), FLOWLOG_OK);
        char *merged = query_rows_text(parts[0]);
        assert_string_equal(merged, fast);
        free(merged);
        free(buf);
        flowlog_query_free(parts[0]);
        flowlog_query_free(parts[1]);
        free(fast);
        free(slow);
    }
    free(text);
}

/* Rows of groups not sorted are made from the groups as they are asked
 * for: the same rows, filtered, deduplicated, cut and fed to a second
 * stats, as rows all made first (a sort of one key for all keeps the
 * groups' order and makes them first). */
static void rows_from_groups_as_asked(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"stats count(*) as n, sum(bytes) as b by interfaceId | filter n > 25 | limit 40",
         "stats count(*) as n, sum(bytes) as b by interfaceId | filter n > 25 | sort n * 0 | limit 40"},
        {"stats count(*) as n by interfaceId, dstPort | dedup n | limit 25",
         "stats count(*) as n by interfaceId, dstPort | sort n * 0 | dedup n | limit 25"},
        {"stats count(*) as n by srcAddr, dstAddr | stats count(*) as g, sum(n) as s by n",
         "stats count(*) as n by srcAddr, dstAddr | sort n * 0 | stats count(*) as g, sum(n) as s by n"},
        {"stats count_distinct(srcPort) as p by dstAddr", "stats count_distinct(srcPort) as p by dstAddr | sort p * 0"},
    };
    pairs_agree(pairs, sizeof pairs / sizeof pairs[0], 20000, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compile_errors_point_at_the_mistake),
        cmocka_unit_test(text_comparisons_with_missing_fields),
        cmocka_unit_test(limits_on_query_text),
        cmocka_unit_test(long_chains_are_bounded),
        cmocka_unit_test(integer_overflow_goes_on_in_floating_point),
        cmocka_unit_test(streaming_rows_and_limit),
        cmocka_unit_test(aggregates_groups_and_sort),
        cmocka_unit_test(the_group_cap_is_an_error_not_growth),
        cmocka_unit_test(top_rows_without_stats),
        cmocka_unit_test(a_limit_keeps_the_first_rows_of_the_sort),
        cmocka_unit_test(no_allocation_per_record),
        cmocka_unit_test(every_allocation_may_fail),
        cmocka_unit_test(alarms_over_result_rows),
        cmocka_unit_test(the_parse_command),
        cmocka_unit_test(a_second_stats),
        cmocka_unit_test(timestamp_arithmetic_in_milliseconds),
        cmocka_unit_test(the_fields_a_query_reads),
        cmocka_unit_test(groups_by_key_bytes_are_groups_by_value),
        cmocka_unit_test(distinct_values_gathered_count_as_any),
        cmocka_unit_test(many_ports_wait_alike),
        cmocka_unit_test(rows_from_groups_as_asked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
