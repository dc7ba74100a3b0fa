#include "prefilter.h"

#include "../cpu/bytemask.h"

static inline uint64_t eq_mask(const char *p, char byte)
{
    return flowlog__byte_mask(p, byte);
}

static inline void pf_block(const flowlog__pf_needles *nd, size_t nn, const char *p, uint64_t *sep, uint64_t *nl,
                            uint64_t *cand)
{
    *sep = eq_mask(p, ' ');
    *nl = eq_mask(p, '\n');
    uint64_t k = 0;
    for (size_t j = 0; j < nn; j++)
        k |= eq_mask(p, nd->first[j]) & eq_mask(p + nd->mid_off[j], nd->mid[j]) & eq_mask(p + nd->last_off[j], nd->last[j]);
    *cand = k;
}

static inline unsigned select_bit(uint64_t x, unsigned j)
{
    while (j--)
        x &= x - 1;
    return (unsigned)__builtin_ctzll(x);
}

#define PF_NAME flowlog__prefilter_scan_portable
#define PF_NEWLINES flowlog__newlines_portable
#define PF_FILL flowlog__record_fill_portable
#define PF_HAS_NEEDLE has_needle
#define PF_PUT_NEWLINES put_newlines
#define PF_POPCOUNT(x) __builtin_popcountll(x)
#define PF_SELECT(x, j) select_bit((x), (j))
#define PF_TZCNT(x) ((x) ? (unsigned)__builtin_ctzll(x) : 0u)
#include "prefilter_body.h"

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

void flowlog__prefilter_defer(const flowlog__pf_work *wk, const char *chunk, size_t a, size_t e,
                              flowlog_record *rec)
{
    size_t w = a >> 6;
    uint64_t below = ((uint64_t)1 << (a & 63)) - 1;
    size_t ncols = rec->schema->ncols;
    rec->lazy_src = wk;
    rec->lazy_chunk = chunk;
    rec->lazy_end = e;
    rec->lazy_rank = wk->rank[w] + (uint32_t)__builtin_popcountll(wk->start[w] & below);
    rec->pending = ncols == 64 ? ~(uint64_t)0 : ((uint64_t)1 << ncols) - 1;
    rec->lazy_fill = flowlog__record_fill_portable;
#if FLOWLOG_HAVE_AVX2 /* the AVX2 file is built for BMI2 too, and has the select it gives */
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("popcnt"))
        rec->lazy_fill = flowlog__record_fill_avx2;
#endif
}

size_t flowlog__prefilter_scan(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                               flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail)
{
#if FLOWLOG_HAVE_AVX512
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
        return flowlog__prefilter_scan_avx512(f, wk, p, len, stops, cap, nstops, tail);
#endif
#if FLOWLOG_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
        return flowlog__prefilter_scan_avx2(f, wk, p, len, stops, cap, nstops, tail);
#endif
    return flowlog__prefilter_scan_portable(f, wk, p, len, stops, cap, nstops, tail);
}

size_t flowlog__newlines(const char *p, size_t n, uint16_t *pos)
{
#if FLOWLOG_HAVE_AVX512
    if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("bmi") &&
        __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt"))
        return flowlog__newlines_avx512(p, n, pos);
#endif
#if FLOWLOG_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
        __builtin_cpu_supports("popcnt"))
        return flowlog__newlines_avx2(p, n, pos);
#endif
    return flowlog__newlines_portable(p, n, pos);
}
