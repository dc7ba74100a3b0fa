/* Query compilation and evaluation: the input is a query, a newline, then
 * flow-log lines the compiled query runs over. */
#include "fuzz.h"

#include <flowlog/query.h>
#include <flowlog/reader.h>

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t qlen = nl ? (size_t)(nl - text) : size;
    flowlog_query *q;
    if (flowlog_query_new(&q, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, 1000);
    if (flowlog_query_compile(q, text, qlen) != FLOWLOG_OK) {
        FUZZ_CHECK(flowlog_query_error_message(q)[0] != '\0');
        FUZZ_CHECK(flowlog_query_error_offset(q) <= qlen);
        flowlog_query_free(q);
        return 0;
    }
    size_t ncol = flowlog_query_column_count(q);
    for (size_t i = 0; i < ncol; i++)
        FUZZ_CHECK(flowlog_query_column_name(q, i) != NULL);
    flowlog_reader *r;
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    size_t rest = nl ? size - qlen - 1 : 0;
    FUZZ_CHECK(flowlog_reader_add_memory(r, nl ? nl + 1 : "", rest, "fuzz") == FLOWLOG_OK);
    flowlog_record *rec;
    int rc;
    bool stop = false;
    while (!stop && (rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        if (rc != FLOWLOG_OK)
            continue;
        int fed = flowlog_query_feed(q, rec, flowlog_reader_stream(r));
        stop = fed == FLOWLOG_END || fed < 0;
        for (size_t i = 0; fed == FLOWLOG_OK && i < ncol; i++) {
            flowlog_value v;
            FUZZ_CHECK(flowlog_query_cell(q, i, &v) == FLOWLOG_OK);
        }
    }
    if (flowlog_query_finish(q) == FLOWLOG_OK)
        for (int rows = 0; flowlog_query_next_row(q) == FLOWLOG_OK && rows < 10000; rows++)
            for (size_t i = 0; i < ncol; i++) {
                flowlog_value v;
                FUZZ_CHECK(flowlog_query_cell(q, i, &v) == FLOWLOG_OK);
                FUZZ_CHECK(v.type != FLOWLOG_VALUE_STRING || v.len == 0 || v.s != NULL);
            }
    flowlog_reader_free(r);
    flowlog_query_free(q);
    return 0;
}
