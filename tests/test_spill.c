/* Grouping and sorting past the memory limit, in temporary files: the
 * rows are the ones memory alone gives, in the same order; nothing is left
 * in the directory; a directory that cannot be used is an error that says
 * so; without one, the limit is an error as before. */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <flowlog/query.h>

#define NRECORDS 16000
#define LIMIT ((int64_t)1 << 20) /* the smallest memory limit a query takes */

static flowlog_schema *schema;
static flowlog_record *rec;
static char *lines[NRECORDS];
static char dir[64];

static int setup(void **state)
{
    (void)state;
    schema = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    assert_int_equal(flowlog_record_new(&rec, schema, NULL), FLOWLOG_OK);
    /* Many pairs (tens of thousands of groups), few ENIs, ties in bytes;
     * each ENI's times go up and down, so earliest and latest pick. */
    for (int i = 0; i < NRECORDS; i++) {
        unsigned r = next_rand();
        char line[200];
        int n = snprintf(line, sizeof line, "2 1 eni-%u 10.%u.%u.%u 10.9.%u.%u %u %u 6 %u %u %u %u %s OK", r % 37,
                         r % 3, (r >> 4) % 40, (r >> 10) % 250, (r >> 18) % 8, (r >> 21) % 9, 1024 + (r >> 5) % 60000,
                         (r >> 7) % 5 ? 443 : 22, 1 + (r >> 3) % 50, ((r >> 9) % 40) * 100,
                         1700000000 + (r >> 12) % 86400, 1700000000 + (r >> 12) % 86400 + 60,
                         (r >> 15) % 4 ? "ACCEPT" : "REJECT");
        lines[i] = strndup(line, (size_t)n);
        assert_non_null(lines[i]);
    }
    strcpy(dir, "/tmp/flowlog-test-spill-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NRECORDS; i++)
        free(lines[i]);
    flowlog_record_free(rec);
    flowlog_schema_free(schema);
    rmdir(dir);
    return 0;
}

static size_t entries_in(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The query over every record: its rows, and what it wrote out. */
static char *run(const char *text, int64_t max_memory, const char *spill, uint64_t *spilled)
{
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    if (max_memory)
        assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_MEMORY, max_memory), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, (int64_t)1 << 40), FLOWLOG_OK);
    if (flowlog_query_compile(q, text, strlen(text)) != FLOWLOG_OK)
        fail_msg("%s: %s", text, flowlog_query_error_message(q));
    assert_int_equal(flowlog_query_set_spill_dir(q, spill), FLOWLOG_OK);
    for (int i = 0; i < NRECORDS; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        int rc = flowlog_query_feed(q, rec, NULL);
        if (rc < 0 && rc != FLOWLOG_ABSENT)
            fail_msg("%s: record %d: %s", text, i, flowlog_query_error_message(q));
    }
    if (flowlog_query_finish(q) != FLOWLOG_OK)
        fail_msg("%s: %s", text, flowlog_query_error_message(q));
    char *out = query_rows_text(q);
    *spilled = flowlog_query_spilled(q);
    flowlog_query_free(q);
    return out;
}

static const char *const queries[] = {
    "stats count(*) as n, sum(bytes) as b, min(packets) as lo, max(packets) as hi, avg(bytes) as a by srcAddr, dstAddr",
    "stats count(*) as n by srcAddr, dstAddr, dstPort | sort n desc, srcAddr | limit 25",
    "stats count(*) as n by srcAddr, dstAddr | sort n desc",
    "stats stddev(bytes) as sd, pct(bytes, 90) as p by srcAddr",
    "stats count_distinct(srcAddr) as clients, count_distinct(srcPort) as ports by interfaceId, dstAddr",
    "stats earliest(srcPort) as e, latest(srcPort) as l, sortsFirst(dstAddr) as f, sortsLast(dstAddr) as s by srcAddr, dstPort",
    "stats count(*) as n by srcAddr, dstAddr | stats count(*) as pairs by n",
    "fields srcAddr, dstAddr, srcPort, bytes | sort bytes desc, srcPort",
    "fields srcAddr, srcPort | sort srcPort | limit 3000",
    "stats count(*) as n by bin(1h), srcAddr",
    /* groups found by an array (one small number) and by their key bytes */
    "stats sum(bytes) as b, max(packets) as m by srcPort",
    /* a key an array finds for some records (below 65536) and the table for the others */
    "stats sum(bytes) as b, min(packets) as m, count(*) as n by srcPort * 2",
    "stats count(*) as n, sum(bytes) as b by protocol, srcPort",
};

/* Every query gives, past the limit with a spill directory, the rows that
 * memory alone gives, and writes out only when it has to. */
static void the_rows_memory_alone_gives(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        uint64_t in_memory, spilled;
        char *want = run(queries[i], 0, NULL, &in_memory);
        char *got = run(queries[i], LIMIT, dir, &spilled);
        assert_int_equal(in_memory, 0);
        if (strcmp(want, got) != 0)
            fail_msg("%s: the rows differ when written out", queries[i]);
        /* a sort with a small limit keeps only its rows and never needs to */
        if (!strstr(queries[i], "limit") && !spilled)
            fail_msg("%s: nothing was written out", queries[i]);
        assert_true(strlen(want) > 0);
        assert_int_equal(entries_in(dir), 0);
        free(want);
        free(got);
    }
}

/* A spill directory that cannot be used is an I/O error naming it; with
 * none, the limit stays an error; a reset query spills again alike. */
static void errors_and_reuse(void **state)
{
    (void)state;
    const char *text = queries[0];
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_MEMORY, LIMIT), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR(text)), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set_spill_dir(q, ""), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_query_set_spill_dir(q, "/nonexistent/flowlog"), FLOWLOG_OK);
    int rc = FLOWLOG_OK;
    for (int i = 0; i < NRECORDS && rc != FLOWLOG_E_IO; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        rc = flowlog_query_feed(q, rec, NULL);
    }
    assert_int_equal(rc, FLOWLOG_E_IO);
    assert_non_null(strstr(flowlog_query_error_message(q), "/nonexistent/flowlog"));
    /* after a reset, with no directory: the limit */
    flowlog_query_reset(q);
    assert_int_equal(flowlog_query_set_spill_dir(q, NULL), FLOWLOG_OK);
    rc = FLOWLOG_OK;
    for (int i = 0; i < NRECORDS && rc != FLOWLOG_E_LIMIT; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        rc = flowlog_query_feed(q, rec, NULL);
    }
    assert_int_equal(rc, FLOWLOG_E_LIMIT);
    assert_non_null(strstr(flowlog_query_error_message(q), "memory limit"));
    /* and with one again: the same rows as a fresh query */
    flowlog_query_reset(q);
    assert_int_equal(flowlog_query_set_spill_dir(q, dir), FLOWLOG_OK);
    for (int i = 0; i < NRECORDS; i++) {
        assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
        rc = flowlog_query_feed(q, rec, NULL);
        assert_true(rc == FLOWLOG_ABSENT);
    }
    assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
    assert_true(flowlog_query_spilled(q) > 0);
    char *got = query_rows_text(q);
    flowlog_query_free(q);
    uint64_t spilled;
    char *want = run(text, 0, NULL, &spilled);
    assert_string_equal(want, got);
    free(want);
    free(got);
    assert_int_equal(entries_in(dir), 0);
}

/* One group whose values alone pass the limit cannot be split: an error
 * that says so, not an answer. */
static void one_group_too_large(void **state)
{
    (void)state;
    static const char text[] = "stats pct(bytes, 50) as p, count_distinct(srcPort) as d";
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_MEMORY, LIMIT), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, (int64_t)1 << 40), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR(text)), FLOWLOG_OK);
    assert_int_equal(flowlog_query_set_spill_dir(q, dir), FLOWLOG_OK);
    char line[200];
    int rc = FLOWLOG_OK;
    for (int i = 0; i < 60000 && rc >= 0; i++) {
        int n = snprintf(line, sizeof line, "2 1 eni-1 10.0.0.1 10.0.0.2 %d 443 6 1 %d 1700000000 1700000060 ACCEPT OK",
                         i, i);
        assert_int_equal(flowlog_record_parse(rec, line, (size_t)n), FLOWLOG_OK);
        rc = flowlog_query_feed(q, rec, NULL);
        assert_true(rc == FLOWLOG_ABSENT);
    }
    rc = flowlog_query_finish(q);
    assert_int_equal(rc, FLOWLOG_E_LIMIT);
    assert_non_null(strstr(flowlog_query_error_message(q), "one group"));
    flowlog_query_free(q);
    assert_int_equal(entries_in(dir), 0);
}

/* Every allocation of a query that writes out may fail: an error, and
 * nothing leaked (the files closed with it). */
static void every_allocation_may_fail(void **state)
{
    (void)state;
    const char *text = queries[4];
    for (long fail = 1; fail < 300; fail += 11) {
        counting c = {0};
        c.fail_at = fail;
        flowlog_allocator a = make_allocator(&c);
        flowlog_query *q;
        int rc = flowlog_query_new(&q, &a);
        if (rc == FLOWLOG_OK) {
            (void)flowlog_query_set(q, FLOWLOG_QOPT_MAX_MEMORY, LIMIT);
            rc = flowlog_query_compile(q, STR(text));
            if (rc == FLOWLOG_OK)
                rc = flowlog_query_set_spill_dir(q, dir);
            for (int i = 0; i < NRECORDS && rc >= 0; i++) {
                assert_int_equal(flowlog_record_parse(rec, lines[i], strlen(lines[i])), FLOWLOG_OK);
                rc = flowlog_query_feed(q, rec, NULL);
            }
            if (rc >= 0)
                rc = flowlog_query_finish(q);
            while (rc >= 0 && (rc = flowlog_query_next_row(q)) == FLOWLOG_OK)
                ;
            flowlog_query_free(q);
        }
        assert_true(rc >= 0 || rc == FLOWLOG_E_NOMEM);
        assert_int_equal(c.live_bytes, 0);
    }
    assert_int_equal(entries_in(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rows_memory_alone_gives),
        cmocka_unit_test(errors_and_reuse),
        cmocka_unit_test(one_group_too_large),
        cmocka_unit_test(every_allocation_may_fail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
