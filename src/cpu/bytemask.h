/* A bit per byte of a 64-byte block that equals a given byte: the building
 * block of the field split (core) and of the prefilter's scan (read), one
 * definition per instruction-set level. The including file chooses its
 * level before including: FLOWLOG__ISA_AVX512 or FLOWLOG__ISA_AVX2 (a file
 * compiled for them alone, run only where cpu.c says the processor has
 * them), FLOWLOG__SCALAR (a loop), or nothing: SSE2 where the compiler
 * targets it (every x86-64), the loop elsewhere. Not API. */
#ifndef FLOWLOG_BYTEMASK_H
#define FLOWLOG_BYTEMASK_H

#include <stdint.h>

#if defined(FLOWLOG__ISA_AVX512)
#include <immintrin.h>
static inline uint64_t flowlog__byte_mask(const char *p, char byte)
{
    return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8(byte));
}
#elif defined(FLOWLOG__ISA_AVX2)
#include <immintrin.h>
static inline uint64_t flowlog__byte_mask(const char *p, char byte)
{
    const __m256i b = _mm256_set1_epi8(byte);
    uint64_t lo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p), b));
    uint64_t hi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + 32)), b));
    return lo | hi << 32;
}
#elif defined(__SSE2__) && !defined(FLOWLOG__SCALAR)
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
