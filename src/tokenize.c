#include "internal.h"

struct flowlog_tokenizer {
    flowlog_allocator alloc;
    const flowlog_schema *schema;
    flowlog__error err;
};

size_t flowlog__split(const char *line, size_t len, flowlog_span *out, size_t cap)
{
    const char *p = line, *end = line + len;
    size_t n = 0;
    while (p < end) {
        if (*p == ' ') {
            p++;
            continue;
        }
        const char *start = p;
        while (p < end && *p != ' ')
            p++;
        if (FLOWLOG__LIKELY(n < cap)) {
            out[n].ptr = start;
            out[n].len = (size_t)(p - start);
        }
        n++;
    }
    return n;
}

int flowlog_tokenizer_new(flowlog_tokenizer **out, const flowlog_schema *s,
                          const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if ((s && !s->frozen) || flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_tokenizer *t = flowlog__calloc(&al, 1, sizeof *t);
    if (!t)
        return FLOWLOG_E_NOMEM;
    t->alloc = al;
    t->schema = s;
    flowlog__error_clear(&t->err);
    *out = t;
    return FLOWLOG_OK;
}

void flowlog_tokenizer_free(flowlog_tokenizer *t)
{
    if (t)
        FLOWLOG__FREE(&t->alloc, t, sizeof *t);
}

int flowlog_tokenize(flowlog_tokenizer *t, const char *buf, size_t len, flowlog_span *fields,
                     size_t *nfields, size_t *consumed)
{
    if (consumed)
        *consumed = 0;
    if (!t || (!buf && len) || !nfields || (!fields && *nfields) || !consumed)
        return FLOWLOG_E_ARG;
    const char *nl = len ? memchr(buf, '\n', len) : NULL;
    size_t line_len = nl ? (size_t)(nl - buf) : len;
    *consumed = nl ? line_len + 1 : len;
    line_len = flowlog__chomp(buf, line_len);
    size_t cap = *nfields;
    size_t n = flowlog__split(buf, line_len, fields, cap);
    if (t->schema && n != t->schema->ncols) {
        *nfields = n < cap ? n : cap;
        flowlog__error_set(&t->err, n > t->schema->ncols && n <= cap ? (size_t)(fields[t->schema->ncols].ptr - buf) : line_len,
                           -1, "expected %zu fields, found %zu", t->schema->ncols, n);
        return FLOWLOG_E_FIELD_COUNT;
    }
    if (n > cap) {
        *nfields = cap;
        flowlog__error_set(&t->err, cap ? (size_t)(fields[cap - 1].ptr - buf) : 0, (int)cap,
                           "%zu fields do not fit in %zu spans", n, cap);
        return FLOWLOG_E_TOO_MANY_FIELDS;
    }
    *nfields = n;
    flowlog__error_clear(&t->err);
    return FLOWLOG_OK;
}

size_t flowlog_tokenizer_error_offset(const flowlog_tokenizer *t)
{
    return t ? t->err.offset : 0;
}

int flowlog_tokenizer_error_column(const flowlog_tokenizer *t)
{
    return t ? t->err.column : -1;
}

const char *flowlog_tokenizer_error_message(const flowlog_tokenizer *t)
{
    return t ? t->err.msg : "";
}
