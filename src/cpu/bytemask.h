/* A bit per byte of a 64-byte block that equals a given byte: the building
 * block of the split and the prefilter's portable scan. SSE2 where the
 * compiler targets it (every x86-64), a loop otherwise or where the
 * including file defines FLOWLOG__SCALAR (the scalar level of cpu.h). Not
 * API. */
#ifndef FLOWLOG_BYTEMASK_H
#define FLOWLOG_BYTEMASK_H

#include <stdint.h>

#if defined(__SSE2__) && !defined(FLOWLOG__SCALAR)
#include <emmintrin.h>
static inline uint64_t flowlog__byte_mask(const char *p, char byte)
{
    const __m128i b = _mm_set1_epi8(byte);
    uint64_t m0 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), b));
    uint64_t m1 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), b));
    uint64_t m2 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), b));
    uint64_t m3 = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), b));
    return m0 | m1 << 16 | m2 << 32 | m3 << 48;
}
#else
static inline uint64_t flowlog__byte_mask(const char *p, char byte)
{
    uint64_t m = 0;
    for (int i = 0; i < 64; i++)
        m |= (uint64_t)(p[i] == byte) << i;
    return m;
}
#endif

#endif
