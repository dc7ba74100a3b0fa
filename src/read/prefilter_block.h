/* The masks of one 64-byte block for the prefilter's scan, from the byte
 * masks of ../cpu/bytemask.h at the level the including file chose: its
 * separators, its newlines, and where a needle may start (its first, middle
 * and last bytes where they must be). Included by prefilter_portable.h
 * (SSE2 and scalar) and prefilter_avx2.c; the AVX-512 scan loads a block
 * once and has its own. Not API. */
#ifndef FLOWLOG_PREFILTER_BLOCK_H
#define FLOWLOG_PREFILTER_BLOCK_H

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

#endif
