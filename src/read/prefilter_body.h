/* The prefilter's scan, compiled once per instruction set: the including
 * file defines eq_mask() and pf_block() (the masks of one 64-byte block),
 * PF_POPCOUNT, PF_TZCNT and PF_SELECT (the position of the j-th set bit of
 * a word), and the names to give what this file defines (PF_NAME,
 * PF_NEWLINES, PF_HAS_NEEDLE, PF_PUT_NEWLINES, and PF_FILL where wanted).
 *
 * A chunk of up to 16 KiB is turned into bit masks first (separators,
 * newlines, field starts, needle candidates) and a running count of field
 * starts per word; each line is then judged from the masks alone: its
 * field count is the difference of two ranks, a time field's start is a
 * select, its length a look at the separator bits; whether it holds a
 * needle candidate is a difference of ranks too. Only a line with a
 * candidate is looked at byte by byte. */

/* Whether a needle lies in p[a..b): only where a candidate bit says its
 * first, middle and last bytes do (every needle is tried there; the bits
 * of all of them are one mask), so a line is compared at one or two
 * places. */
static bool PF_HAS_NEEDLE(const flowlog__prefilter *f, const uint64_t *cand, const char *p, size_t a, size_t b)
{
    for (size_t w = a >> 6; w * 64 < b; w++) {
        uint64_t m = cand[w];
        if (w == a >> 6)
            m &= ~(uint64_t)0 << (a & 63);
        for (; m; m &= m - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(m);
            if (i >= b)
                return false;
            for (size_t j = 0; j < f->nneedles; j++) {
                size_t n = f->needle_len[j], k = 1;
                if (i + n > b)
                    continue;
                while (k < n && p[i + k] == f->needle[j][k]) /* byte 0 matched already */
                    k++;
                if (k >= n)
                    return true;
            }
        }
    }
    return false;
}

/* The positions of a block's newlines (mask l, block at base) into pos[k..]:
 * a line is about two blocks long, so two are written whether they exist or
 * not, and more only when there are more: no branch to guess for most
 * blocks. pos has room for two past the last. Returns the new count. */
static inline size_t PF_PUT_NEWLINES(uint16_t *pos, size_t k, uint64_t l, size_t base)
{
    size_t cnt = (size_t)PF_POPCOUNT(l);
    pos[k] = (uint16_t)(base + PF_TZCNT(l));
    l &= l - 1;
    pos[k + 1] = (uint16_t)(base + PF_TZCNT(l));
    l &= l - 1;
    if (cnt <= 2)
        return k + cnt;
    k += 2;
    for (; l; l &= l - 1)
        pos[k++] = (uint16_t)(base + PF_TZCNT(l));
    return k;
}

/* The masks and ranks of p[0..n) into wk, with nn needles (a constant
 * where it is inlined, so the needle loop unrolls): how many newlines. */
static inline __attribute__((always_inline)) size_t pf_masks(const flowlog__pf_needles *nd, size_t nn, flowlog__pf_work *wk,
                                                             const char *p, size_t n, size_t reach)
{
    uint64_t *sep = wk->sep, *start = wk->start, *cand = wk->cand;
    uint32_t *rank = wk->rank, *crank = wk->crank;
    size_t words = (n + 63) / 64, nnl = 0;
    uint64_t carry = 1; /* the chunk starts a line */
    uint32_t r = 0, cr = 0;
    for (size_t w = 0; w < words; w++) {
        size_t base = w * 64;
        uint64_t s, l, k;
        if (base + 64 + reach <= n) {
            pf_block(nd, nn, p + base, &s, &l, &k);
        } else {
            /* The end of the chunk: the bytes past it are zeros, which are
             * neither separators nor newlines, and a needle must lie inside
             * a line, so inside the chunk. */
            char tail_bytes[64 + FLOWLOG__MAX_NEEDLE];
            size_t have = n - base < sizeof tail_bytes ? n - base : sizeof tail_bytes;
            memset(tail_bytes, 0, sizeof tail_bytes);
            memcpy(tail_bytes, p + base, have);
            pf_block(nd, nn, tail_bytes, &s, &l, &k);
        }
        uint64_t sp = s | l;
        sep[w] = sp;
        cand[w] = k;
        start[w] = ~sp & (sp << 1 | carry);
        carry = sp >> 63;
        rank[w] = r;
        r += (uint32_t)PF_POPCOUNT(start[w]);
        crank[w] = cr;
        cr += (uint32_t)PF_POPCOUNT(k);
        nnl = PF_PUT_NEWLINES(wk->nl, nnl, l, base);
    }
    for (size_t w = words; w < words + 4; w++) {
        rank[w] = r;
        crank[w] = cr;
        sep[w] = 0;
        start[w] = 0;
    }
    return nnl;
}

size_t PF_NAME(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
               flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail)
{
    const uint64_t *sep = wk->sep, *start = wk->start, *cand = wk->cand;
    const uint32_t *rank = wk->rank, *crank = wk->crank;
    const uint16_t *nl = wk->nl;
    size_t reach = f->longest ? f->longest - 1 : 0; /* bytes past a block its needle test reads */
    size_t n = len < FLOWLOG__PF_CHUNK ? len : FLOWLOG__PF_CHUNK;
    flowlog__pf_needles nd;
    for (size_t j = 0; j < f->nneedles; j++) {
        size_t m = f->needle_len[j];
        nd.first[j] = f->needle[j][0];
        nd.mid[j] = f->needle[j][m / 2];
        nd.last[j] = f->needle[j][m - 1];
        nd.mid_off[j] = m / 2;
        nd.last_off[j] = m - 1;
    }
    size_t nnl;
    switch (f->nneedles) {
    case 0: nnl = pf_masks(&nd, 0, wk, p, n, reach); break;
    case 1: nnl = pf_masks(&nd, 1, wk, p, n, reach); break;
    case 2: nnl = pf_masks(&nd, 2, wk, p, n, reach); break;
    case 3: nnl = pf_masks(&nd, 3, wk, p, n, reach); break;
    default: nnl = pf_masks(&nd, 4, wk, p, n, reach); break;
    }

    size_t a = 0;      /* where the line being judged starts */
    uint32_t ra = 0;   /* field starts before a */
    uint32_t ca = 0;   /* needle candidates before a */
    uint32_t run = 0;  /* lines passed over since the last stop */
    size_t ns = 0, np = 0;
    bool keep = f->keep_passed;
    for (size_t i = 0; i < nnl; i++) {
        /* The next chunk is asked for while this one is judged, so that
         * reading it from memory overlaps the work (the hardware prefetcher
         * sees no loads while it waits); a prefetch never faults. */
        __builtin_prefetch((const void *)((uintptr_t)p + n + i * 128));
        __builtin_prefetch((const void *)((uintptr_t)p + n + i * 128 + 64));
        size_t b = nl[i], w = b >> 6;
        uint64_t below = ((uint64_t)1 << (b & 63)) - 1;
        uint32_t rb = rank[w] + (uint32_t)PF_POPCOUNT(start[w] & below);
        uint32_t cb = crank[w] + (uint32_t)PF_POPCOUNT(cand[w] & below);
        size_t linelen = b - a;
        /* The reader drops a CR before the newline, and with it a field
         * when the CR stands alone after a space. */
        uint32_t cr_field = linelen && p[b - 1] == '\r' && ((start[(b - 1) >> 6] >> ((b - 1) & 63)) & 1);
        bool ok = linelen && (unsigned char)(p[a] - '0') <= 9 && linelen <= f->max_line &&
                  rb - cr_field - ra == f->ncols;
        /* Twelve bytes without a separator in a time field: milliseconds,
         * which the reader flags and counts. The field's word is found by
         * comparisons rather than a loop when the line spans at most four
         * words, as nearly every line does; two adjacent time fields (start
         * and end, as AWS writes them) are read from one window. */
        for (int t = 0; ok && t < 2; t++) {
            if (f->time_cols[t] < 0)
                continue;
            uint32_t want = ra + (uint32_t)f->time_cols[t];
            size_t v = a >> 6;
            if (w - v < 4) {
                v += (size_t)(rank[v + 1] <= want) + (size_t)(rank[v + 2] <= want) + (size_t)(rank[v + 3] <= want);
            } else {
                while (rank[v + 1] <= want)
                    v++;
            }
            size_t pos = v * 64 + PF_SELECT(start[v], want - rank[v]);
            size_t o = pos & 63, x = pos >> 6;
            /* The next word's bits above; the two shifts give none when o
             * is 0, where one shift by 64 would be undefined. */
            uint64_t win = sep[x] >> o | (sep[x + 1] << 1) << (63 - o);
            ok = (win & 0xfff) != 0;
            if (ok && t == 0 && f->time_cols[1] == f->time_cols[0] + 1) {
                unsigned end1 = (unsigned)PF_TZCNT(win);
                uint64_t after = ~win >> end1; /* non-separators from the field's end */
                unsigned next = after ? end1 + (unsigned)PF_TZCNT(after) : 64;
                if (next + 12 <= 64) {
                    ok = ((win >> next) & 0xfff) != 0;
                    break;
                }
            }
        }
        bool plain = ok;
        if (ok && f->stop_all)
            ok = false;
        else if (ok && cb != ca)
            ok = !PF_HAS_NEEDLE(f, cand, p, a, b);
        if (ok) {
            run++;
            if (keep) {
                flowlog__pf_passed *pl = &wk->passed[np++];
                pl->off = (uint16_t)a;
                pl->nl = (uint16_t)b;
            }
        } else {
            if (ns == cap)
                break;
            stops[ns].off = (uint32_t)a;
            stops[ns].end = (uint32_t)(b + 1);
            stops[ns].before = run;
            stops[ns].plain = plain;
            ns++;
            run = 0;
        }
        a = b + 1;
        ra = rb;
        ca = cb + (uint32_t)((cand[w] >> (b & 63)) & 1);
    }
    *nstops = ns;
    *tail = run;
    return a;
}

/* The newlines of p[0..n), n at most FLOWLOG__PF_CHUNK, as offsets into
 * pos (which has room for n + 2): how many there are. */
size_t PF_NEWLINES(const char *p, size_t n, uint16_t *pos)
{
    size_t count = 0, base = 0;
    for (; base < n; base += 64) {
        uint64_t l;
        if (n - base >= 64) {
            l = eq_mask(p + base, '\n');
        } else {
            char tail_bytes[64];
            memset(tail_bytes, 0, sizeof tail_bytes);
            memcpy(tail_bytes, p + base, n - base);
            l = eq_mask(tail_bytes, '\n');
        }
        count = PF_PUT_NEWLINES(pos, count, l, base);
    }
    return count;
}

#ifdef PF_FILL
/* Fill pending span col of a record the prefilter judged whole, from the
 * masks of its chunk: its start is a select over the ranks, its end the
 * next separator (or the line's end). */
static inline __attribute__((always_inline)) void pf_fill_one(flowlog_record *r, const flowlog__pf_work *wk, size_t line_word,
                                                              size_t col)
{
    uint32_t want = r->lazy_rank + (uint32_t)col;
    size_t v = line_word;
    /* The field's word by comparisons, as the scan finds a time field's
     * (the ranks go four words past the chunk's last); a loop only for the
     * rest of a line longer than four words. */
    v += (size_t)(wk->rank[v + 1] <= want) + (size_t)(wk->rank[v + 2] <= want) + (size_t)(wk->rank[v + 3] <= want);
    while (wk->rank[v + 1] <= want)
        v++;
    size_t pos = v * 64 + PF_SELECT(wk->start[v], want - wk->rank[v]);
    size_t x = pos >> 6;
    uint64_t m = wk->sep[x] & (~(uint64_t)0 << (pos & 63));
    while (!m && (x + 1) * 64 < r->lazy_end)
        m = wk->sep[++x];
    size_t end = m ? x * 64 + (size_t)PF_TZCNT(m) : r->lazy_end;
    if (end > r->lazy_end)
        end = r->lazy_end;
    r->spans[col].ptr = r->lazy_chunk + pos;
    r->spans[col].len = end - pos;
    r->pending &= ~((uint64_t)1 << col);
}

void PF_FILL(flowlog_record *r, size_t col)
{
    pf_fill_one(r, r->lazy_src, (size_t)(r->line.ptr - r->lazy_chunk) >> 6, col);
}

/* The columns a consumer said it reads, filled at once: their lookups do
 * not wait on one another as they would one by one between its own work. */
void PF_FILL_COLS(flowlog_record *r, const uint8_t *cols, size_t n)
{
    const flowlog__pf_work *wk = r->lazy_src;
    size_t line_word = (size_t)(r->line.ptr - r->lazy_chunk) >> 6;
    for (size_t i = 0; i < n; i++)
        if (cols[i] < r->n) /* found for a schema since gone, at worst: none past the record */
            pf_fill_one(r, wk, line_word, cols[i]);
}
#endif
