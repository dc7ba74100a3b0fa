/* Shared by the fuzz targets: the libFuzzer entry point, and a record
 * exercised through every accessor of every field its schema has. */
#ifndef FLOWLOG_FUZZ_H
#define FLOWLOG_FUZZ_H

#include <flowlog/flowlog.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the library promises; a broken one is a finding. */
#define FUZZ_CHECK(cond)                                                                                    \
    do {                                                                                                    \
        if (!(cond)) {                                                                                      \
            fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond);                              \
            abort();                                                                                        \
        }                                                                                                   \
    } while (0)

static inline void fuzz_touch_record(flowlog_record *rec)
{
    const flowlog_schema *s = flowlog_record_schema(rec);
    size_t n = flowlog_schema_column_count(s);
    for (size_t c = 0; c < n; c++) {
        uint32_t field = flowlog_schema_column_field(s, c);
        flowlog_span sp;
        uint64_t u;
        flowlog_addr a;
        int e;
        char text[64];
        if (flowlog_record_get_str(rec, field, &sp) == FLOWLOG_OK)
            FUZZ_CHECK(sp.len == 0 || sp.ptr != NULL);
        (void)flowlog_record_get_u64(rec, field, &u);
        if (flowlog_record_get_addr(rec, field, &a) == FLOWLOG_OK)
            FUZZ_CHECK(flowlog_addr_format(&a, text, sizeof text) > 0);
        (void)flowlog_record_get_enum(rec, field, &e);
        (void)flowlog_record_column(rec, c, &sp);
    }
    (void)flowlog_record_error_message(rec);
}

#endif
