/* Helpers shared by the unit tests. */
#ifndef FLOWLOG_TEST_UTIL_H
#define FLOWLOG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowlog/flowlog.h>

#define STR(s) (s), strlen(s)

/* A repeatable pseudo-random sequence (xorshift64) for property tests. */
static inline unsigned next_rand(void)
{
    static uint64_t rng = 0x9e3779b97f4a7c15u;
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 32);
}

/* The reader's next status other than FLOWLOG_NEED_MORE: a push input is
 * given data[*pos..] in chunks of `chunk` bytes whenever it asks, and each
 * push must be taken. */
static inline int next_pushing(flowlog_reader *r, flowlog_record **rec, const void *data, size_t len,
                               size_t chunk, size_t *pos)
{
    for (;;) {
        int rc = flowlog_reader_next(r, rec);
        if (rc != FLOWLOG_NEED_MORE)
            return rc;
        size_t n = len - *pos < chunk ? len - *pos : chunk;
        assert_int_equal(flowlog_reader_push(r, (const char *)data + *pos, n), FLOWLOG_OK);
        *pos += n;
    }
}

/* A reader of data[0..len) with validation off and the given line limit:
 * as memory, or pushed in chunks of `chunk` bytes (0: memory). */
static inline flowlog_reader *lazy_reader(const char *data, size_t len, size_t chunk, size_t max_line)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, (int64_t)max_line), FLOWLOG_OK);
    if (chunk)
        assert_int_equal(flowlog_reader_begin_push(r, "t"), FLOWLOG_OK);
    else
        assert_int_equal(flowlog_reader_add_memory(r, data, len, "t"), FLOWLOG_OK);
    return r;
}

/* Compile a schema or fail the test. */
static inline flowlog_schema *must_schema(const char *text, int syntax)
{
    flowlog_schema *s = NULL;
    int rc = flowlog_schema_compile(&s, text, text ? strlen(text) : 0, syntax, NULL);
    assert_int_equal(rc, FLOWLOG_OK);
    return s;
}

static inline void assert_span(flowlog_span sp, const char *want)
{
    assert_int_equal(sp.len, strlen(want));
    assert_memory_equal(sp.ptr, want, sp.len);
}

/* A counting allocator that can fail the N-th allocation and checks that
 * every free is given the size that was allocated (live_bytes ends at 0). */
typedef struct counting {
    unsigned long allocs, frees;
    long live_bytes;
    long fail_at; /* 1-based allocation to fail; 0 = never */
    long peak_bytes; /* the most live_bytes ever was */
} counting;

static inline void *c_alloc(void *ctx, size_t n)
{
    counting *c = ctx;
    c->allocs++;
    if (c->fail_at && (long)c->allocs == c->fail_at)
        return NULL;
    void *p = malloc(n);
    if (p)
        c->live_bytes += (long)n;
    if (c->live_bytes > c->peak_bytes)
        c->peak_bytes = c->live_bytes;
    return p;
}

static inline void *c_realloc(void *ctx, void *p, size_t old_n, size_t n)
{
    counting *c = ctx;
    c->allocs++;
    if (c->fail_at && (long)c->allocs == c->fail_at)
        return NULL;
    void *q = realloc(p, n);
    if (q)
        c->live_bytes += (long)n - (long)old_n;
    if (c->live_bytes > c->peak_bytes)
        c->peak_bytes = c->live_bytes;
    return q;
}

static inline void c_free(void *ctx, void *p, size_t n)
{
    counting *c = ctx;
    if (!p)
        return;
    c->frees++;
    c->live_bytes -= (long)n;
    free(p);
}

static inline flowlog_allocator make_allocator(counting *c)
{
    flowlog_allocator a = {c_alloc, c_realloc, c_free, c};
    return a;
}

/* The rows a finished query gives, as text: cells by commas, rows by
 * newlines, floats to 12 digits (the same numbers summed in another order
 * may differ in the last bits). Malloc'ed. */
static inline char *query_rows_text(flowlog_query *q)
{
    size_t cap = 1 << 16, len = 0, cols = flowlog_query_column_count(q);
    char *out = malloc(cap);
    assert_non_null(out);
    int rc;
    while ((rc = flowlog_query_next_row(q)) == FLOWLOG_OK)
        for (size_t c = 0; c < cols; c++) {
            flowlog_value v;
            assert_int_equal(flowlog_query_cell(q, c, &v), FLOWLOG_OK);
            if (cap - len < 600 + (v.type == FLOWLOG_VALUE_STRING ? v.len : 0)) {
                cap = 2 * cap + (v.type == FLOWLOG_VALUE_STRING ? v.len : 0);
                out = realloc(out, cap);
                assert_non_null(out);
            }
            len += (size_t)(v.type == FLOWLOG_VALUE_STRING ? snprintf(out + len, cap - len, "%.*s", (int)v.len, v.s)
                            : v.type == FLOWLOG_VALUE_FLOAT ? snprintf(out + len, cap - len, "%.12g", v.f)
                            : v.type == FLOWLOG_VALUE_NULL  ? snprintf(out + len, cap - len, "-")
                                                            : snprintf(out + len, cap - len, "%lld", (long long)v.i));
            out[len++] = c + 1 < cols ? ',' : '\n';
        }
    assert_int_equal(rc, FLOWLOG_END);
    out[len] = '\0';
    return out;
}

#endif
