/* One frozen schema shared by four threads, each tokenizing, parsing,
 * querying and diagnosing on its own handles: every thread gets the answer
 * one thread alone gets. Run under ThreadSanitizer in CI. */
#include "test_util.h"

#include <pthread.h>
#include <stdio.h>

#include <flowlog/query.h>

#define NTHREADS 4
#define NLINES 20000

static char *text;
static size_t text_len;
static flowlog_schema *shared;

typedef struct answer {
    uint64_t records, rejects, port_sum, verdict, sweep_problems;
    int64_t top_port, top_count;
} answer;

static void make_text(void)
{
    size_t cap = (size_t)NLINES * 160;
    text = malloc(cap);
    assert_non_null(text);
    text_len = 0;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < NLINES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned port = (unsigned[]){22, 443, 3306, 8080}[x % 4];
        text_len += (size_t)snprintf(text + text_len, cap - text_len,
                                     "2 123456789010 eni-%05u 10.0.%u.%u 10.1.0.%u %u %u 6 %u %u %u %u %s OK\n",
                                     (unsigned)(x >> 20) % 64, (unsigned)(x >> 8) % 4, (unsigned)(x >> 12) % 250,
                                     (unsigned)(x >> 16) % 8, 40000 + (unsigned)(x >> 24) % 1000, port,
                                     1 + (unsigned)(x >> 32) % 50, 100 + (unsigned)(x >> 40) % 9000,
                                     1700000000 + (unsigned)i, 1700000060 + (unsigned)i,
                                     (x >> 50) % 5 == 0 ? "REJECT" : "ACCEPT");
    }
}

static void *work(void *arg)
{
    answer *a = arg;
    memset(a, 0, sizeof *a);
    flowlog_tokenizer *t;
    flowlog_record *rec;
    flowlog_query *q;
    flowlog_diag *d;
    flowlog_sweep *s;
    if (flowlog_tokenizer_new(&t, shared, NULL) != FLOWLOG_OK || flowlog_record_new(&rec, shared, NULL) != FLOWLOG_OK ||
        flowlog_query_new(&q, NULL) != FLOWLOG_OK || flowlog_diag_new(&d, "10.0.0.0/16", "10.1.0.0/24", 3306, 3306, 6, NULL) != FLOWLOG_OK ||
        flowlog_sweep_new(&s, NULL) != FLOWLOG_OK)
        return NULL;
    static const char query[] = "filter action = \"REJECT\" | stats count(*) as n by dstPort | sort n desc | limit 1";
    if (flowlog_query_compile(q, query, sizeof query - 1) != FLOWLOG_OK)
        return NULL;
    const char *p = text, *end = text + text_len;
    while (p < end) {
        flowlog_span fields[32];
        size_t n = 32, used;
        if (flowlog_tokenize(t, p, (size_t)(end - p), fields, &n, &used) == FLOWLOG_OK &&
            flowlog_record_parse(rec, p, used) == FLOWLOG_OK) {
            uint64_t port;
            int action;
            a->records++;
            if (flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &port) == FLOWLOG_OK)
                a->port_sum += port;
            if (flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action) == FLOWLOG_OK &&
                action == FLOWLOG_ACTION_REJECT)
                a->rejects++;
            (void)flowlog_query_feed(q, rec, NULL);
            (void)flowlog_diag_feed(d, rec, NULL);
            (void)flowlog_sweep_feed(s, rec);
        }
        p += used;
    }
    flowlog_value v;
    size_t problems = 0;
    if (flowlog_query_finish(q) == FLOWLOG_OK && flowlog_query_next_row(q) == FLOWLOG_OK) {
        if (flowlog_query_cell(q, 0, &v) == FLOWLOG_OK)
            a->top_port = v.i;
        if (flowlog_query_cell(q, 1, &v) == FLOWLOG_OK)
            a->top_count = v.i;
    }
    a->verdict = (uint64_t)flowlog_diag_verdict(d);
    if (flowlog_sweep_finish(s, &problems) == FLOWLOG_OK)
        a->sweep_problems = problems;
    flowlog_sweep_free(s);
    flowlog_diag_free(d);
    flowlog_query_free(q);
    flowlog_record_free(rec);
    flowlog_tokenizer_free(t);
    return a;
}

static void shared_schema_across_threads(void **state)
{
    (void)state;
    make_text();
    shared = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    assert_true(flowlog_schema_is_frozen(shared));
    answer alone, each[NTHREADS];
    assert_non_null(work(&alone));
    assert_int_equal(alone.records, NLINES);
    assert_true(alone.rejects > 0 && alone.top_count > 0 && alone.sweep_problems > 0);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, work, &each[i]), 0);
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_non_null(ret);
        assert_memory_equal(&each[i], &alone, sizeof alone);
    }
    flowlog_schema_free(shared);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_schema_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
