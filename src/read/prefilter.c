#define PF_NAME flowlog__prefilter_scan_portable
#define PF_NEWLINES flowlog__newlines_portable
#define PF_FILL flowlog__record_fill_portable
#define PF_FILL_COLS flowlog__record_fill_cols_portable
#include "prefilter_portable.h"

size_t flowlog__prefilter_spans(const flowlog__pf_work *wk, const char *chunk, size_t a, size_t e,
                                flowlog_span *out, size_t cap)
{
    size_t starts = 0, ends = 0;
    for (size_t w = a >> 6; w * 64 < e; w++) {
        uint64_t in = ~(uint64_t)0;
        if (w == a >> 6)
            in &= ~(uint64_t)0 << (a & 63);
        if (e - w * 64 < 64)
            in &= ((uint64_t)1 << (e - w * 64)) - 1;
        uint64_t before = wk->sep[w] << 1 | (w ? wk->sep[w - 1] >> 63 : 1);
        uint64_t s = wk->start[w] & in, en = wk->sep[w] & ~before & in;
        for (; s; s &= s - 1, starts++)
            if (starts < cap)
                out[starts].ptr = chunk + w * 64 + (size_t)__builtin_ctzll(s);
        for (; en; en &= en - 1, ends++)
            if (ends < cap)
                out[ends].len = (size_t)(chunk + w * 64 + (size_t)__builtin_ctzll(en) - out[ends].ptr);
    }
    if (ends < starts && ends < cap) /* the last field ends where the line does */
        out[ends].len = (size_t)(chunk + e - out[ends].ptr);
    return starts;
}

/* The set bits of x, in a dozen operations: this file is built for any
 * x86-64, where __builtin_popcountll is a call into the compiler's
 * library, and this runs once a record. */
static inline uint32_t bits_set(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555u;
    x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
    return (uint32_t)((x * 0x0101010101010101u) >> 56);
}

void flowlog__prefilter_defer(const flowlog__pf_work *wk, const char *chunk, size_t a, size_t e,
                              flowlog_record *rec, int cpu)
{
    size_t w = a >> 6;
    uint64_t below = ((uint64_t)1 << (a & 63)) - 1;
    size_t ncols = rec->schema->ncols;
    rec->lazy_src = wk;
    rec->lazy_chunk = chunk;
    rec->lazy_end = e;
    rec->lazy_rank = wk->rank[w] + bits_set(wk->start[w] & below);
    rec->pending = ncols == 64 ? ~(uint64_t)0 : ((uint64_t)1 << ncols) - 1;
    rec->lazy_fill = cpu == FLOWLOG_CPU_SCALAR ? flowlog__record_fill_scalar : flowlog__record_fill_portable;
#if FLOWLOG_HAVE_AVX2 /* the AVX2 file is built for BMI2 too, and has the select it gives */
    if (cpu >= FLOWLOG_CPU_AVX2)
        rec->lazy_fill = flowlog__record_fill_avx2;
#endif
}

void flowlog__record_fill_declared(flowlog_record *rec, const uint8_t *cols, size_t n)
{
#if FLOWLOG_HAVE_AVX2
    if (rec->lazy_fill == flowlog__record_fill_avx2) {
        flowlog__record_fill_cols_avx2(rec, cols, n);
        return;
    }
#endif
    if (rec->lazy_fill == flowlog__record_fill_scalar)
        flowlog__record_fill_cols_scalar(rec, cols, n);
    else
        flowlog__record_fill_cols_portable(rec, cols, n);
}

/* The level's implementation: one switch each, the level chosen once (cpu.h). */
size_t flowlog__prefilter_scan(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                               flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail)
{
    switch (f->cpu) {
#if FLOWLOG_HAVE_AVX512
    case FLOWLOG_CPU_AVX512:
        return flowlog__prefilter_scan_avx512(f, wk, p, len, stops, cap, nstops, tail);
#endif
#if FLOWLOG_HAVE_AVX2
    case FLOWLOG_CPU_AVX2:
        return flowlog__prefilter_scan_avx2(f, wk, p, len, stops, cap, nstops, tail);
#endif
    case FLOWLOG_CPU_SCALAR:
        return flowlog__prefilter_scan_scalar(f, wk, p, len, stops, cap, nstops, tail);
    default:
        return flowlog__prefilter_scan_portable(f, wk, p, len, stops, cap, nstops, tail);
    }
}

size_t flowlog__newlines(const char *p, size_t n, uint16_t *pos, int cpu)
{
    switch (cpu) {
#if FLOWLOG_HAVE_AVX512
    case FLOWLOG_CPU_AVX512:
        return flowlog__newlines_avx512(p, n, pos);
#endif
#if FLOWLOG_HAVE_AVX2
    case FLOWLOG_CPU_AVX2:
        return flowlog__newlines_avx2(p, n, pos);
#endif
    case FLOWLOG_CPU_SCALAR:
        return flowlog__newlines_scalar(p, n, pos);
    default:
        return flowlog__newlines_portable(p, n, pos);
    }
}
