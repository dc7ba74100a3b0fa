/* The Parquet source over untrusted bytes: an input that does not start
 * with PAR1 is given it, so every input reaches the footer, page and
 * encoding decoders. Read from memory and pushed in chunks whose size the
 * last byte picks, it must account for every line, give the same counts
 * both ways, and name its error when it has one. */
#include "fuzz.h"

#include <flowlog/reader.h>

#include <string.h>

static void read_all(const uint8_t *data, size_t size, size_t chunk, uint64_t out[4])
{
    flowlog_reader *r;
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        return;
    int rc = chunk ? flowlog_reader_begin_push(r, "fuzz.parquet") : flowlog_reader_add_memory(r, data, size, "fuzz.parquet");
    FUZZ_CHECK(rc == FLOWLOG_OK);
    size_t pos = 0;
    bool ended = false;
    for (;;) {
        flowlog_record *rec;
        rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_NEED_MORE) {
            FUZZ_CHECK(chunk && !ended);
            size_t n = size - pos < chunk ? size - pos : chunk;
            FUZZ_CHECK(flowlog_reader_push(r, data + pos, n) == FLOWLOG_OK);
            ended = n == 0;
            pos += n;
            continue;
        }
        if (rc == FLOWLOG_OK)
            fuzz_touch_record(rec);
        else
            FUZZ_CHECK(flowlog_reader_error_message(r)[0] != '\0');
    }
    out[0] = flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS);
    out[1] = flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS);
    out[2] = flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS);
    out[3] = flowlog_reader_count(r, FLOWLOG_COUNT_LINES);
    FUZZ_CHECK(out[0] + out[1] + flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS) +
                   flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS) == out[3]);
    flowlog_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    uint8_t *buf = malloc(size + 4);
    if (!buf)
        return 0;
    size_t n = size;
    if (size >= 4 && memcmp(data, "PAR1", 4) == 0) {
        memcpy(buf, data, size);
    } else {
        memcpy(buf, "PAR1", 4);
        memcpy(buf + 4, data, size);
        n = size + 4;
    }
    uint64_t whole[4] = {0}, pushed[4] = {0};
    read_all(buf, n, 0, whole);
    read_all(buf, n, 1 + (size ? data[size - 1] : 0) * 61u, pushed);
    FUZZ_CHECK(memcmp(whole, pushed, sizeof whole) == 0);
    free(buf);
    return 0;
}
