/* The reader over untrusted input: plain text, gzip, CloudWatch JSON, as a
 * memory input and as a push input in chunks whose size the first byte
 * picks. Both ways must account for every line (records + headers + blanks
 * + errors == lines) and agree on the counts, unless the gzip stream is
 * corrupt: how much decodes before the damage is found depends on how the
 * compressed bytes arrive. A third read with a prefilter must give the
 * memory input's counts exactly, and a diagnosis attached to its reader
 * the same state as one fed every record. */
#include "fuzz.h"

#include <flowlog/diag.h>
#include <flowlog/reader.h>

#include <string.h>

static void counts(flowlog_reader *r, uint64_t out[5])
{
    out[0] = flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS);
    out[1] = flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS);
    out[2] = flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS);
    out[3] = flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS);
    out[4] = flowlog_reader_count(r, FLOWLOG_COUNT_LINES);
    FUZZ_CHECK(out[0] + out[1] + out[2] + out[3] == out[4]);
}

static bool gzip_damaged;

static void drain(flowlog_reader *r, const uint8_t *data, size_t size, size_t chunk)
{
    size_t pos = 0;
    bool ended = false;
    for (;;) {
        flowlog_record *rec;
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            return;
        if (rc == FLOWLOG_NEED_MORE) {
            FUZZ_CHECK(!ended);
            size_t n = size - pos < chunk ? size - pos : chunk;
            FUZZ_CHECK(flowlog_reader_push(r, data + pos, n) == FLOWLOG_OK);
            ended = n == 0;
            pos += n;
            continue;
        }
        if (rc == FLOWLOG_OK) {
            fuzz_touch_record(rec);
            (void)flowlog_reader_stream(r);
        } else {
            FUZZ_CHECK(flowlog_reader_error_message(r)[0] != '\0');
            gzip_damaged = gzip_damaged || rc == FLOWLOG_E_GZIP;
        }
    }
}

/* The state of a diagnosis of the input, attached to its reader or not;
 * NULL where the handles cannot be made. */
static uint8_t *diagnosed(const uint8_t *data, size_t size, bool validate, bool attach, size_t *len)
{
    flowlog_diag *d;
    flowlog_reader *r;
    if (flowlog_diag_new(&d, "10.0.0.1", "10.0.0.0/24", 1, 65535, 6, NULL) != FLOWLOG_OK)
        return NULL;
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK) {
        flowlog_diag_free(d);
        return NULL;
    }
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 512);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_ENVELOPE, 1 << 16);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, validate);
    FUZZ_CHECK(!attach || flowlog_diag_attach_reader(d, r) == 1);
    FUZZ_CHECK(flowlog_reader_add_memory(r, data, size, "fuzz") == FLOWLOG_OK);
    for (;;) {
        flowlog_record *rec;
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_OK) {
            /* a value the diagnosis reads may not convert: that record
             * counts for nothing, and says why */
            int fed = flowlog_diag_feed(d, rec, flowlog_reader_stream(r));
            FUZZ_CHECK(fed == FLOWLOG_OK ||
                       ((fed == FLOWLOG_E_MALFORMED || fed == FLOWLOG_E_OVERFLOW) && flowlog_diag_error_message(d)[0]));
        }
    }
    flowlog_reader_free(r);
    uint8_t *bytes = NULL;
    if (flowlog_diag_serialize(d, NULL, 0, len) == FLOWLOG_OK && (bytes = malloc(*len)) != NULL)
        FUZZ_CHECK(flowlog_diag_serialize(d, bytes, *len, len) == FLOWLOG_OK);
    flowlog_diag_free(d);
    return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = 1 + data[0] % 97;
    bool validate = data[0] & 0x80;
    data++;
    size--;
    uint64_t whole[5], pushed[5];
    gzip_damaged = false;
    flowlog_reader *r;
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        abort();
    /* Small limits, so that fuzzing reaches them. */
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 512);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_ENVELOPE, 1 << 16);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, validate);
    FUZZ_CHECK(flowlog_reader_add_memory(r, data, size, "fuzz") == FLOWLOG_OK);
    drain(r, data, size, chunk);
    counts(r, whole);
    uint64_t whole_millis = flowlog_reader_count(r, FLOWLOG_COUNT_MILLIS);
    flowlog_reader_free(r);

    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 512);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_ENVELOPE, 1 << 16);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, validate);
    FUZZ_CHECK(flowlog_reader_begin_push(r, "fuzz") == FLOWLOG_OK);
    drain(r, data, size, chunk);
    counts(r, pushed);
    flowlog_reader_free(r);
    FUZZ_CHECK(gzip_damaged || memcmp(whole, pushed, sizeof whole) == 0);

    /* The prefilter passes over records without changing a count. Its
     * needles: a word every flow log has, and the input's last two bytes. */
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK)
        abort();
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 512);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MAX_ENVELOPE, 1 << 16);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, validate);
    flowlog_span needles[2] = {{"REJECT", 6}, {(const char *)data + (size >= 2 ? size - 2 : 0), size >= 2 ? 2 : 0}};
    FUZZ_CHECK(flowlog_reader_set_prefilter(r, needles, size >= 2 ? 2 : 1) == FLOWLOG_OK);
    FUZZ_CHECK(flowlog_reader_add_memory(r, data, size, "fuzz") == FLOWLOG_OK);
    uint64_t millis_filtered, filtered[5];
    drain(r, data, size, chunk);
    counts(r, filtered);
    millis_filtered = flowlog_reader_count(r, FLOWLOG_COUNT_MILLIS);
    flowlog_reader_free(r);
    FUZZ_CHECK(memcmp(whole, filtered, sizeof whole) == 0);
    FUZZ_CHECK(millis_filtered == whole_millis);

    size_t fed_len = 0, attached_len = 0;
    uint8_t *fed = diagnosed(data, size, validate, false, &fed_len);
    uint8_t *attached = diagnosed(data, size, validate, true, &attached_len);
    FUZZ_CHECK(!fed || !attached || (fed_len == attached_len && memcmp(fed, attached, fed_len) == 0));
    free(fed);
    free(attached);
    return 0;
}
