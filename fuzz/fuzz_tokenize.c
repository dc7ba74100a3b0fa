/* The tokenizer and the typed accessors over untrusted lines. The first
 * byte picks the schema; the rest is the buffer, tokenized line by line. */
#include "fuzz.h"

#include <string.h>

static const char *const formats[] = {
    NULL, /* AWS's default v2 */
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id "
    "sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path",
    "${srcaddr} ${dstaddr} ${start} ${end} ${tcp-flags} ${reject-reason} ${ecs-cluster-name}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0] % 4;
    const char *buf = (const char *)data + 1;
    size_t len = size - 1;
    flowlog_schema *s = NULL;
    if (pick < 3) {
        const char *f = formats[pick];
        if (flowlog_schema_compile(&s, f, f ? strlen(f) : 0, f ? FLOWLOG_SYNTAX_AUTO : FLOWLOG_SYNTAX_DEFAULT, NULL) !=
            FLOWLOG_OK)
            abort();
    }
    flowlog_tokenizer *t;
    flowlog_record *rec = NULL;
    if (flowlog_tokenizer_new(&t, s, NULL) != FLOWLOG_OK)
        abort();
    if (s && flowlog_record_new(&rec, s, NULL) != FLOWLOG_OK)
        abort();
    flowlog_span fields[64];
    while (len > 0) {
        size_t n = 64, consumed = 0;
        int rc = flowlog_tokenize(t, buf, len, fields, &n, &consumed);
        FUZZ_CHECK(consumed > 0 && consumed <= len);
        for (size_t i = 0; rc == FLOWLOG_OK && i < n; i++)
            FUZZ_CHECK(fields[i].ptr >= buf && fields[i].ptr + fields[i].len <= buf + consumed);
        if (rec && flowlog_record_parse(rec, buf, consumed) == FLOWLOG_OK)
            fuzz_touch_record(rec);
        (void)flowlog_tokenizer_error_message(t);
        buf += consumed;
        len -= consumed;
    }
    flowlog_record_free(rec);
    flowlog_tokenizer_free(t);
    flowlog_schema_free(s);
    return 0;
}
