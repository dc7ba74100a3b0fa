/* The simple calls: flowlog_query_run, flowlog_diag_run and
 * flowlog_sweep_run give what feeding every record by hand gives, report
 * every bad line and rejected record to the reader's error handler, and
 * account for every line. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/flowlog.h>

static const char *dir_of(const char *env, const char *fallback)
{
    const char *d = getenv(env);
    return d ? d : fallback;
}

typedef struct told {
    int n;
    uint64_t lines[8];
    int status[8];
    char last[256];
} told;

static void on_error(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    told *t = ctx;
    (void)path;
    if (t->n < 8) {
        t->lines[t->n] = line;
        t->status[t->n] = status;
    }
    t->n++;
    snprintf(t->last, sizeof t->last, "%s", message);
}

/* Two good records around a bad line, a record with a malformed value the
 * query reads (packets), and a REJECT on 3389. */
static const char lines[] =
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n"
    "bogus line\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20642 22 6 -1 4249 1418530010 1418530070 ACCEPT OK\n"
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n";

static flowlog_reader *reader_of(told *t)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set_error_handler(r, on_error, t), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, lines, sizeof lines - 1, "mem"), FLOWLOG_OK);
    return r;
}

typedef struct rows {
    int n;
    int64_t v[8];
} rows;

static int take(void *ctx, const flowlog_query *q)
{
    rows *r = ctx;
    flowlog_value v;
    assert_int_equal(flowlog_query_cell(q, 0, &v), FLOWLOG_OK);
    if (r->n < 8)
        r->v[r->n] = v.type == FLOWLOG_VALUE_INT ? v.i : -1;
    r->n++;
    return 0;
}

static void query_run_reports_and_answers(void **state)
{
    (void)state;
    told t = {0};
    flowlog_reader *r = reader_of(&t);
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("stats sum(packets) as p")), FLOWLOG_OK);
    rows got = {0};
    assert_int_equal(flowlog_query_run(q, r, take, &got), FLOWLOG_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.v[0], 40); /* the -1 counts for nothing, never as 0 or null */
    /* the bad line and the malformed value, each told and counted once */
    assert_int_equal(t.n, 2);
    assert_int_equal(t.lines[0], 2);
    assert_int_equal(t.lines[1], 3);
    assert_int_equal(t.status[1], FLOWLOG_E_MALFORMED);
    assert_non_null(strstr(t.last, "packets"));
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), 2);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS), 2);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES), 4);
    uint64_t recs, errs;
    assert_int_equal(flowlog_reader_input(r, 0, NULL, NULL, &recs, &errs, NULL), FLOWLOG_OK);
    assert_true(recs == 2 && errs == 2);
    flowlog_query_free(q);
    flowlog_reader_free(r);

    /* a streaming query gives its rows as they come, and stops at its limit */
    memset(&t, 0, sizeof t);
    r = reader_of(&t);
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("filter dstPort = 3389 | fields dstPort | limit 1")), FLOWLOG_OK);
    memset(&got, 0, sizeof got);
    assert_int_equal(flowlog_query_run(q, r, take, &got), FLOWLOG_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.v[0], 3389);
    flowlog_query_free(q);
    flowlog_reader_free(r);
}

/* diag_run over files equals feeding every record by hand, inputs recorded */
static void diag_run_equals_feeding(void **state)
{
    (void)state;
    char path[1024];
    assert_true((size_t)snprintf(path, sizeof path, "%s/lambda-rds-nacl-return.log",
                                 dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data")) < sizeof path);
    flowlog_diag *a, *b;
    assert_int_equal(flowlog_diag_new(&a, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_new(&b, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_run(a, r), FLOWLOG_OK);
    flowlog_reader_free(r);
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        assert_int_equal(rc, FLOWLOG_OK);
        assert_int_equal(flowlog_diag_feed(b, rec, flowlog_reader_stream(r)), FLOWLOG_OK);
    }
    assert_int_equal(flowlog_diag_add_reader_inputs(b, r), FLOWLOG_OK);
    flowlog_reader_free(r);
    size_t na, nb;
    assert_int_equal(flowlog_diag_serialize(a, NULL, 0, &na), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_serialize(b, NULL, 0, &nb), FLOWLOG_OK);
    assert_int_equal(na, nb);
    unsigned char *x = malloc(na), *y = malloc(nb);
    assert_true(x && y);
    assert_int_equal(flowlog_diag_serialize(a, x, na, &na), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_serialize(b, y, nb, &nb), FLOWLOG_OK);
    assert_memory_equal(x, y, na);
    assert_int_equal(flowlog_diag_verdict(a), FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(flowlog_diag_input_count(a), 1);
    assert_int_equal(flowlog_diag_complete(a), 1);
    free(x);
    free(y);
    flowlog_diag_free(a);
    flowlog_diag_free(b);
}

static void sweep_run_ranks(void **state)
{
    (void)state;
    told t = {0};
    flowlog_reader *r = reader_of(&t);
    flowlog_sweep *s;
    assert_int_equal(flowlog_sweep_new(&s, NULL), FLOWLOG_OK);
    size_t n;
    assert_int_equal(flowlog_sweep_run(s, r, &n), FLOWLOG_OK);
    /* the SSH conversation gets no answer, the RDP one is blocked; the
     * malformed record is an error, and counts for nothing */
    assert_int_equal(n, 2);
    assert_int_equal(t.n, 2);
    assert_int_equal(flowlog_sweep_input_count(s), 1);
    assert_int_equal(flowlog_sweep_complete(s), 0);
    flowlog_addr c, sv;
    unsigned port;
    int proto, verdict, seen = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(flowlog_sweep_result(s, i, &c, &sv, &port, &proto, &verdict), FLOWLOG_OK);
        seen |= port == 3389 && verdict == FLOWLOG_VERDICT_BLOCKED ? 1 : port == 22 && verdict == FLOWLOG_VERDICT_NO_RESPONSE ? 2 : 4;
        if (port == 22) /* one record: the malformed one is not in it */
            assert_int_equal(flowlog_sweep_count(s, i, 0, FLOWLOG_DIAG_RECORDS_ACCEPT), 1);
    }
    assert_int_equal(seen, 3);
    flowlog_sweep_free(s);
    flowlog_reader_free(r);
}

/* The bytes of a sweep's state. */
static unsigned char *sweep_bytes(const flowlog_sweep *s, size_t *n)
{
    assert_int_equal(flowlog_sweep_serialize(s, NULL, 0, n), FLOWLOG_OK);
    unsigned char *b = malloc(*n);
    assert_non_null(b);
    assert_int_equal(flowlog_sweep_serialize(s, b, *n, n), FLOWLOG_OK);
    return b;
}

/* Many conversations, past the cap, with bad values among them: the run
 * (which looks conversations up some records after reading them) keeps and
 * drops exactly what feeding each record keeps and drops. */
static void sweep_run_keeps_what_feeding_keeps(void **state)
{
    (void)state;
    size_t cap = 8 << 20, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    uint64_t x = 42;
    for (int i = 0; i < 60000 && len + 200 < cap; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        unsigned a = (unsigned)(x >> 33), b = (unsigned)(x >> 45);
        len += (size_t)snprintf(text + len, cap - len,
                                "2 1 eni-%u 10.%u.%u.%u 10.0.%u.%u %u %u %u %s %u %u %u %s OK\n", a % 7, a % 3, (a >> 3) % 40,
                                (a >> 9) % 250, b % 3, (b >> 2) % 200, 1024 + (a >> 4) % 50000,
                                (unsigned[]){22, 443, 3306, 8080}[(b >> 11) % 4], (b >> 13) % 9 ? 6u : 17u,
                                (b >> 17) % 97 ? "3" : "x", 40 + a % 999, 1600000000u + i, 1600000060u + i,
                                (a >> 21) % 5 ? "ACCEPT" : "REJECT");
    }
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, text, len, "mem"), FLOWLOG_OK);
    flowlog_sweep *run, *fed;
    assert_int_equal(flowlog_sweep_new(&run, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_new(&fed, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(run, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, 5000), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(fed, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, 5000), FLOWLOG_OK);
    size_t n;
    assert_int_equal(flowlog_sweep_run(run, r, &n), FLOWLOG_OK);
    flowlog_reader_free(r);
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, text, len, "mem"), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0), FLOWLOG_OK); /* the sweep checks what it reads */
    flowlog_record *rec;
    int rc, bad = 0;
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        int fed_rc = rc == FLOWLOG_OK ? flowlog_sweep_feed(fed, rec) : FLOWLOG_OK;
        if (fed_rc < 0) {
            bad++;
            assert_int_equal(flowlog_reader_reject(r, fed_rc, flowlog_record_error_message(rec)), FLOWLOG_OK);
        }
    }
    assert_int_equal(flowlog_sweep_add_reader_inputs(fed, r), FLOWLOG_OK);
    assert_true(bad > 100);
    assert_true(flowlog_sweep_dropped(fed) > 1000);
    assert_int_equal(flowlog_sweep_conversations(run), 5000);
    assert_int_equal(flowlog_sweep_dropped(run), flowlog_sweep_dropped(fed));
    size_t na, nb;
    unsigned char *a = sweep_bytes(run, &na), *b = sweep_bytes(fed, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    flowlog_sweep_free(run);
    flowlog_sweep_free(fed);
    flowlog_reader_free(r);
    free(text);
}

/* With FLOWLOG_ON_ERROR_STOP a rejected record stops the reading too. */
static void a_rejected_record_stops_when_asked(void **state)
{
    (void)state;
    static const char two[] =
        "2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 -1 40 1 2 ACCEPT OK\n2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 5 40 1 2 ACCEPT OK\n";
    told t = {0};
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set_error_handler(r, on_error, &t), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_ON_ERROR, FLOWLOG_ON_ERROR_STOP), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, two, sizeof two - 1, "mem"), FLOWLOG_OK);
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("stats sum(packets) as p")), FLOWLOG_OK);
    rows got = {0};
    assert_int_equal(flowlog_query_run(q, r, take, &got), FLOWLOG_OK);
    assert_int_equal(t.n, 1);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.v[0], 0); /* nothing summed */
    int status;
    assert_int_equal(flowlog_reader_input(r, 0, NULL, &status, NULL, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(status, FLOWLOG_INPUT_STOPPED);
    /* reject once only, and only a record */
    assert_int_equal(flowlog_reader_reject(r, FLOWLOG_E_MALFORMED, "again"), FLOWLOG_E_ARG);
    flowlog_query_free(q);
    flowlog_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_run_reports_and_answers),
        cmocka_unit_test(diag_run_equals_feeding),
        cmocka_unit_test(sweep_run_ranks),
        cmocka_unit_test(sweep_run_keeps_what_feeding_keeps),
        cmocka_unit_test(a_rejected_record_stops_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
