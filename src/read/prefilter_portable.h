/* The prefilter's scan built on the byte masks of ../cpu/bytemask.h: SSE2,
 * or a loop where the including file defines FLOWLOG__SCALAR first.
 * Included by prefilter.c (SSE2) and prefilter_scalar.c, which name the
 * functions (PF_NAME, PF_NEWLINES, PF_FILL). */
#include "prefilter_block.h"

static inline unsigned select_bit(uint64_t x, unsigned j)
{
    while (j--)
        x &= x - 1;
    return (unsigned)__builtin_ctzll(x);
}

#define PF_HAS_NEEDLE has_needle
#define PF_PUT_NEWLINES put_newlines
#define PF_POPCOUNT(x) __builtin_popcountll(x)
#define PF_SELECT(x, j) select_bit((x), (j))
#define PF_TZCNT(x) ((x) ? (unsigned)__builtin_ctzll(x) : 0u)
#include "prefilter_body.h"
