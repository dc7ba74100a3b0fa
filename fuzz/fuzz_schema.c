/* Schema compilation from untrusted format strings and header lines. The
 * first byte picks the syntax; a schema that compiles parses a line. */
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int syntax = data[0] % 3; /* AUTO, FORMAT, HEADER */
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    flowlog_schema *s;
    int rc = flowlog_schema_compile(&s, text, len, syntax, NULL);
    if (rc != FLOWLOG_OK) {
        FUZZ_CHECK(s == NULL);
        return 0;
    }
    size_t n = flowlog_schema_column_count(s);
    FUZZ_CHECK(n > 0 && n <= FLOWLOG_MAX_COLUMNS);
    for (size_t c = 0; c < n; c++) {
        uint32_t field = flowlog_schema_column_field(s, c);
        FUZZ_CHECK(flowlog_schema_field_column(s, field) == (int)c);
        const char *name = flowlog_schema_field_name(s, field);
        FUZZ_CHECK(name && flowlog_schema_lookup(s, name, strlen(name)) == field);
        (void)flowlog_schema_field_type(s, field);
    }
    (void)flowlog_schema_version(s);
    (void)flowlog_schema_is_transit_gateway(s);
    (void)flowlog_is_header_line(text, len);
    /* A line of n dashes is a record of this schema with every field absent. */
    char line[FLOWLOG_MAX_COLUMNS * 2];
    for (size_t c = 0; c < n; c++) {
        line[2 * c] = '-';
        line[2 * c + 1] = ' ';
    }
    flowlog_record *rec;
    if (flowlog_record_new(&rec, s, NULL) == FLOWLOG_OK) {
        FUZZ_CHECK(flowlog_record_parse(rec, line, 2 * n - 1) == FLOWLOG_OK);
        fuzz_touch_record(rec);
        flowlog_record_free(rec);
    }
    flowlog_schema_free(s);
    return 0;
}
