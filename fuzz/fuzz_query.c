/* Query compilation and evaluation: the input is a query, a newline, then
 * flow-log lines the compiled query runs over. A query whose filters give
 * the reader a prefilter runs a second time with it, and must give the
 * same rows and the same end. */
#include "fuzz.h"

#include <flowlog/query.h>
#include <flowlog/reader.h>

#include <string.h>

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static uint64_t row_digest(const flowlog_query *q, size_t ncol, uint64_t h)
{
    for (size_t i = 0; i < ncol; i++) {
        flowlog_value v;
        FUZZ_CHECK(flowlog_query_cell(q, i, &v) == FLOWLOG_OK);
        FUZZ_CHECK(v.type != FLOWLOG_VALUE_STRING || v.len == 0 || v.s != NULL);
        h = mix(h, &v.type, sizeof v.type);
        if (v.type == FLOWLOG_VALUE_STRING)
            h = mix(h, v.s, v.len);
        else if (v.type == FLOWLOG_VALUE_FLOAT)
            h = mix(h, &v.f, sizeof v.f);
        else
            h = mix(h, &v.i, sizeof v.i);
    }
    return h;
}

/* Run the compiled query over the lines; a digest of every row and of how
 * the run ended. */
static uint64_t run(flowlog_query *q, const char *lines, size_t len, bool prefilter)
{
    size_t ncol = flowlog_query_column_count(q);
    flowlog_reader *r;
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    if (prefilter) {
        flowlog_span needles[FLOWLOG_PREFILTER_MAX_NEEDLES];
        size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
        FUZZ_CHECK(flowlog_query_prefilter(q, needles, &n) == FLOWLOG_OK);
        FUZZ_CHECK(flowlog_reader_set_prefilter(r, needles, n) == FLOWLOG_OK);
    }
    FUZZ_CHECK(flowlog_reader_add_memory(r, lines, len, "fuzz") == FLOWLOG_OK);
    uint64_t h = 0xcbf29ce484222325u;
    flowlog_record *rec;
    int rc, fed = FLOWLOG_ABSENT;
    bool stop = false;
    while (!stop && (rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        if (rc != FLOWLOG_OK)
            continue;
        fed = flowlog_query_feed(q, rec, flowlog_reader_stream(r));
        /* A record with a value the query could not convert counts for
         * nothing (with a prefilter it may not even be read): reading goes on. */
        if (fed == FLOWLOG_E_MALFORMED || fed == FLOWLOG_E_OVERFLOW || fed == FLOWLOG_E_BUDGET)
            continue;
        stop = fed == FLOWLOG_END || fed < 0;
        if (fed == FLOWLOG_OK)
            h = row_digest(q, ncol, h);
    }
    int ended = stop ? fed : 0; /* how it stopped early, if it did; not the last record's own status */
    h = mix(h, &ended, sizeof ended);
    int fin = flowlog_query_finish(q);
    h = mix(h, &fin, sizeof fin);
    if (fin == FLOWLOG_OK)
        for (int rows = 0; flowlog_query_next_row(q) == FLOWLOG_OK && rows < 10000; rows++)
            h = row_digest(q, ncol, h);
    flowlog_reader_free(r);
    return h;
}

static flowlog_query *compile(const char *text, size_t len)
{
    flowlog_query *q;
    if (flowlog_query_new(&q, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, 1000);
    if (flowlog_query_compile(q, text, len) != FLOWLOG_OK) {
        FUZZ_CHECK(flowlog_query_error_message(q)[0] != '\0');
        FUZZ_CHECK(flowlog_query_error_offset(q) <= len);
        flowlog_query_free(q);
        return NULL;
    }
    return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t qlen = nl ? (size_t)(nl - text) : size;
    flowlog_query *q = compile(text, qlen);
    if (!q)
        return 0;
    size_t ncol = flowlog_query_column_count(q);
    for (size_t i = 0; i < ncol; i++)
        FUZZ_CHECK(flowlog_query_column_name(q, i) != NULL);
    const char *lines = nl ? nl + 1 : "";
    size_t rest = nl ? size - qlen - 1 : 0;
    uint64_t plain = run(q, lines, rest, false);
    flowlog_span needles[FLOWLOG_PREFILTER_MAX_NEEDLES];
    size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
    FUZZ_CHECK(flowlog_query_prefilter(q, needles, &n) == FLOWLOG_OK);
    flowlog_query_free(q);
    if (n) {
        q = compile(text, qlen);
        FUZZ_CHECK(q != NULL);
        FUZZ_CHECK(run(q, lines, rest, true) == plain);
        flowlog_query_free(q);
    }
    return 0;
}
