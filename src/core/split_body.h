/* The field split on 64-byte blocks, built on the byte masks of
 * ../cpu/bytemask.h at the level the including file chose: one bit per byte
 * that is a space, from which the starts (non-space after space) and ends
 * (space after non-space) of fields fall out with a shift. A line of 14
 * fields costs two blocks and 28 bit scans instead of a branch per byte.
 * Included by tokenize.c (SSE2) and split_avx2.c / split_avx512.c, which
 * name the function (SPLIT_NAME). Not API. */
#include "internal.h"

#include "../cpu/bytemask.h"

static inline uint64_t space_mask(const char *p)
{
    return flowlog__byte_mask(p, ' ');
}

#if defined(__GNUC__) || defined(__clang__)
#  define lowest_bit(x) ((unsigned)__builtin_ctzll(x))
#else
static inline unsigned lowest_bit(uint64_t x)
{
    unsigned i = 0;
    while (!(x & 1)) {
        x >>= 1;
        i++;
    }
    return i;
}
#endif

/* The last, partial block of a line: whole 16-byte pieces as usual, the
 * rest a byte at a time, and the bytes past the end count as spaces (they
 * close the last field). Nothing past the line is read. */
static inline uint64_t tail_space_mask(const char *line, size_t base, size_t n)
{
    const char *p = line + base;
    uint64_t m = ~(uint64_t)0 << n;
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i sp = _mm_set1_epi8(' ');
    for (; i + 16 <= n; i += 16)
        m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), sp)) << i;
    if (i < n && base + n >= 16) {
        /* The 16 bytes that end where the line ends, some seen already. */
        uint64_t last = (uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + n - 16)), sp));
        return m | (last >> (16 - (n - i))) << i;
    }
#endif
    for (; i < n; i++)
        m |= (uint64_t)(p[i] == ' ') << i;
    return m;
}

size_t SPLIT_NAME(const char *line, size_t len, flowlog_span *out, size_t cap)
{
    size_t starts = 0, ends = 0;
    uint64_t before = 1; /* the byte before the line counts as a space */
    for (size_t base = 0; base < len; base += 64) {
        uint64_t sp = len - base >= 64 ? space_mask(line + base) : tail_space_mask(line, base, len - base);
        uint64_t prev = sp << 1 | before;
        uint64_t s = ~sp & prev, e = sp & ~prev;
        before = sp >> 63;
        for (; s; s &= s - 1, starts++)
            if (FLOWLOG__LIKELY(starts < cap))
                out[starts].ptr = line + base + lowest_bit(s);
        for (; e; e &= e - 1, ends++)
            if (FLOWLOG__LIKELY(ends < cap))
                out[ends].len = (size_t)(line + base + lowest_bit(e) - out[ends].ptr);
    }
    if (ends < starts && ends < cap) {
        /* The line ends inside a field, at a 64-byte boundary. */
        out[ends].len = (size_t)(line + len - out[ends].ptr);
    }
    return starts;
}
