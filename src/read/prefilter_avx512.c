/* The prefilter's scan with AVX-512BW (a 64-byte block compares to a mask
 * in one instruction), BMI1, BMI2 and POPCNT; this file alone is compiled
 * for them, and it runs only where the processor has them. */
#define FLOWLOG__ISA_AVX512
#include "prefilter.h"
#include "../cpu/bytemask.h"

#include <immintrin.h>

static inline uint64_t eq_mask(const char *p, char byte)
{
    return flowlog__byte_mask(p, byte);
}

static inline void pf_block(const flowlog__pf_needles *nd, size_t nn, const char *p, uint64_t *sep, uint64_t *nl,
                            uint64_t *cand)
{
    __m512i v = _mm512_loadu_si512((const void *)p);
    *sep = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' '));
    *nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
    uint64_t k = 0;
    for (size_t j = 0; j < nn; j++)
        k |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(nd->first[j])) & eq_mask(p + nd->mid_off[j], nd->mid[j]) &
             eq_mask(p + nd->last_off[j], nd->last[j]);
    *cand = k;
}

#define PF_NAME flowlog__prefilter_scan_avx512
#define PF_NEWLINES flowlog__newlines_avx512
#define PF_HAS_NEEDLE has_needle
#define PF_PUT_NEWLINES put_newlines
#define PF_POPCOUNT(x) _mm_popcnt_u64(x)
#define PF_SELECT(x, j) ((size_t)_tzcnt_u64(_pdep_u64((uint64_t)1 << (j), (x))))
#define PF_TZCNT(x) _tzcnt_u64(x)
#include "prefilter_body.h"
