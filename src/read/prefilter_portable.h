/* The prefilter's scan built on the byte masks of ../cpu/bytemask.h: SSE2,
 * or a loop where the including file defines FLOWLOG__SCALAR first.
 * Included by prefilter.c (SSE2) and prefilter_scalar.c, which name the
 * functions (PF_NAME, PF_NEWLINES, PF_FILL). */
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

#define PF_HAS_NEEDLE has_needle
#define PF_PUT_NEWLINES put_newlines
#define PF_POPCOUNT(x) __builtin_popcountll(x)
#define PF_SELECT(x, j) select_bit((x), (j))
#define PF_TZCNT(x) ((x) ? (unsigned)__builtin_ctzll(x) : 0u)
#include "prefilter_body.h"
