#include "query_internal.h"

#include <stdlib.h>

/* The values count_distinct has seen, by group and aggregate: each is
 * counted for its group the first time it comes.
 *
 * Most values are an IPv4 address or a small whole number (an address, a
 * port, a protocol), and most questions of them see nearly every value
 * once (sources by interface: 4 million of 4.3 million records new). A
 * hash table of them is probed at random once a record, and holds a value
 * in 64 bytes (an entry of 32 at half load). Such a value is instead packed
 * with its group into one 64-bit word, the words of many records gathered
 * and sorted, and merged into a sorted array of every word seen: memory is
 * read in order, a value costs 8 bytes (and up to 16 more for the batch and
 * its sort), and a value new to the array is counted for its group as the
 * merge meets it. The other values (text that is not an address written
 * the one way an IPv4 address is, numbers beyond 32 bits, floats, values
 * of groups past 2^24) go to the hash table. A value goes to one or the
 * other by what it is, so the two never hold the same value and their
 * counts add. */

/* The packed word: kind, aggregate, group, the value's 32 bits. Sorting
 * the words sorts by kind, aggregate, group, then value; the bits in which
 * the words differ are together (a sort of them passes over fewer digits). */
#define PACKED_GROUPS ((uint32_t)1 << 24)
#define PACKED_IPV4 1u /* text of a canonical IPv4 address, as its 32 bits */
#define PACKED_INT 2u  /* an INT in [0, 2^32) */
#define PACKED_BATCH_MIN ((size_t)4096)
#define PACKED_BATCH_MAX ((size_t)1 << 28) /* a digit's counts are 32 bits */

#define PACKED_GROUP_SHIFT 32
#define PACKED_AGG_SHIFT 56
#define PACKED_KIND_SHIFT 61

static inline uint64_t packed_word(uint32_t group, uint32_t agg, uint32_t kind, uint32_t bits)
{
    return (uint64_t)kind << PACKED_KIND_SHIFT | (uint64_t)agg << PACKED_AGG_SHIFT |
           (uint64_t)group << PACKED_GROUP_SHIFT | bits;
}

/* The value of an entry; inline text points into the entry, valid until
 * the table changes. */
static flowlog_value distinct_value(const struct qdistinct *d)
{
    flowlog_value v = {.type = d->type};
    if (d->type == FLOWLOG_VALUE_STRING && d->inline_len) {
        v.s = d->u.bytes;
        v.len = (size_t)d->inline_len - 1;
    } else if (d->type == FLOWLOG_VALUE_STRING) {
        v.s = d->u.text.s;
        v.len = d->u.text.len;
    } else if (d->type == FLOWLOG_VALUE_FLOAT) {
        v.f = d->u.f;
    } else {
        v.i = d->u.i;
    }
    return v;
}

static uint64_t distinct_hash(uint32_t group, uint32_t agg, const flowlog_value *v)
{
    return flowlog__value_hash(v, ((uint64_t)group << 8 | agg) * 0x9e3779b97f4a7c15u) | 1;
}

/* An entry of e's group and aggregate holding e's value: its index, or
 * the empty slot where it goes. */
static size_t distinct_find(const flowlog_query *q, const struct qdistinct *e, const flowlog_value *v, bool *found)
{
    size_t j = e->hash & (q->distinct.cap - 1);
    for (; q->distinct.table[j].hash; j = (j + 1) & (q->distinct.cap - 1)) {
        const struct qdistinct *d = &q->distinct.table[j];
        if (d->hash == e->hash && d->group == e->group && d->agg == e->agg) {
            flowlog_value seen = distinct_value(d);
            if (flowlog__value_equal(&seen, v)) {
                *found = true;
                return j;
            }
        }
    }
    *found = false;
    return j;
}

/* Room for every value waiting and one more, made before a value waits:
 * a table that grows does so as the records that need it come. */
static int distinct_room(flowlog_query *q)
{
    if ((q->distinct.used + q->distinct.ahead_n) * 2 >= q->distinct.cap)
        return flowlog__table_double(q, (void **)&q->distinct.table, &q->distinct.cap, sizeof *q->distinct.table);
    return FLOWLOG_OK;
}

/* The inline text of an entry: n bytes (at most DISTINCT_INLINE), the
 * first sixteen stored as two words (most text is that short: no call to
 * copy it). */
static inline void inline_text(char *dst, const char *s, size_t n)
{
    if (n > 16) {
        memcpy(dst, s, n);
        return;
    }
    uint64_t lo = flowlog__load_bytes(s, n < 8 ? n : 8), hi = n > 8 ? flowlog__load_bytes(s + 8, n - 8) : 0;
    memcpy(dst, &lo, 8);
    memcpy(dst + 8, &hi, 8);
}

/* e, an entry for v made without the table: whole when v fits in it (the
 * value no longer needed), else its text still in the record. */
static void distinct_entry(struct qdistinct *e, uint32_t group, uint32_t agg, const flowlog_value *v)
{
    e->hash = distinct_hash(group, agg, v);
    e->group = group;
    e->agg = (uint16_t)agg;
    e->type = (uint8_t)v->type;
    e->inline_len = 0;
    if (v->type == FLOWLOG_VALUE_STRING && v->len <= DISTINCT_INLINE) {
        inline_text(e->u.bytes, v->s, v->len);
        e->inline_len = (uint8_t)(v->len + 1);
    } else if (v->type == FLOWLOG_VALUE_STRING) {
        e->u.text.s = v->s;
        e->u.text.len = (uint32_t)v->len;
    } else if (v->type == FLOWLOG_VALUE_FLOAT) {
        e->u.f = v->f;
    } else {
        e->u.i = v->i;
    }
}

/* Has e's (group, agg, value) been seen? Adds it when not. */
static int distinct_add_entry(flowlog_query *q, const struct qdistinct *e, bool *added)
{
    *added = false;
    int rc = distinct_room(q);
    if (rc < 0)
        return rc;
    flowlog_value v = distinct_value(e);
    bool found;
    size_t j = distinct_find(q, e, &v, &found);
    if (found)
        return FLOWLOG_OK;
    if (q->distinct.used >= q->max_groups)
        return flowlog__query_limit_error(q, "distinct values");
    int mem = flowlog__query_memory_check_spill(q);
    if (mem < 0)
        return mem;
    struct qdistinct *d = &q->distinct.table[j];
    *d = *e;
    if (e->type == FLOWLOG_VALUE_STRING && !e->inline_len) {
        rc = flowlog__query_keep_value(q, &q->data, &v);
        if (rc < 0) {
            d->hash = 0; /* an entry whose text could not be kept stays empty */
            return rc;
        }
        d->u.text.s = v.s;
    }
    q->distinct.used++;
    *added = true;
    return FLOWLOG_OK;
}

static int distinct_add(flowlog_query *q, uint32_t group, uint32_t agg, const flowlog_value *v, bool *added)
{
    struct qdistinct e;
    distinct_entry(&e, group, agg, v);
    return distinct_add_entry(q, &e, added);
}

/* The oldest value waiting, into the table and its group's count. */
static int distinct_settle_oldest(flowlog_query *q)
{
    struct qdistinct *e = &q->distinct.ahead[q->distinct.ahead_at];
    q->distinct.ahead_at = (q->distinct.ahead_at + 1) % QUERY_DISTINCT_AHEAD;
    q->distinct.ahead_n--;
    bool added;
    int rc = distinct_add_entry(q, e, &added);
    q->gaccs[(size_t)e->group * (size_t)q->naggs + e->agg].count += added;
    return rc;
}

/* A value of the table: one held whole in an entry waits its turn while
 * its line of the table comes in; longer text, which lives only as long as
 * the record, is looked up at once. */
static int hashed_count(flowlog_query *q, uint32_t group, uint32_t agg, const flowlog_value *v)
{
    if (v->type == FLOWLOG_VALUE_STRING && v->len > DISTINCT_INLINE) {
        bool added;
        int rc = distinct_add(q, group, agg, v, &added);
        q->gaccs[(size_t)group * (size_t)q->naggs + agg].count += added;
        return rc;
    }
    int rc = FLOWLOG_OK;
    if (q->distinct.ahead_n == QUERY_DISTINCT_AHEAD)
        rc = distinct_settle_oldest(q);
    if (rc < 0 || (rc = distinct_room(q)) < 0)
        return rc;
    struct qdistinct *e = &q->distinct.ahead[(q->distinct.ahead_at + q->distinct.ahead_n) % QUERY_DISTINCT_AHEAD];
    distinct_entry(e, group, agg, v);
    if (q->distinct.cap) {
        /* and the line after: a probe goes on into it about half the time */
        uintptr_t at = (uintptr_t)&q->distinct.table[e->hash & (q->distinct.cap - 1)];
        FLOWLOG__PREFETCH((const void *)at);
        FLOWLOG__PREFETCH((const void *)(at + 64));
    }
    q->distinct.ahead_n++;
    return rc;
}


/* Least significant digit first, 11 bits a digit, skipping the digits in
 * which every word agrees (the group's high bits, the kind): a few passes
 * over memory read and written in order. The sorted words end in a or tmp:
 * returns which. */
#define RADIX_BITS 11
#define RADIX_SIZE QUERY_RADIX_SIZE
#define RADIX_DIGITS QUERY_RADIX_DIGITS
_Static_assert(RADIX_SIZE == 1u << RADIX_BITS && RADIX_DIGITS * RADIX_BITS >= 64, "digits cover a word");

static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, size_t n, uint32_t (*counts)[RADIX_SIZE])
{
    memset(counts, 0, RADIX_DIGITS * sizeof *counts);
    uint64_t any = 0, all = ~(uint64_t)0;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = a[i];
        any |= w;
        all &= w;
        for (unsigned d = 0; d < RADIX_DIGITS; d++)
            counts[d][(w >> (d * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
    }
    uint64_t differ = any ^ all;
    for (unsigned d = 0; d < RADIX_DIGITS; d++) {
        unsigned shift = d * RADIX_BITS;
        if (!((differ >> shift) & (RADIX_SIZE - 1)))
            continue;
        uint32_t sum = 0;
        for (unsigned b = 0; b < RADIX_SIZE; b++) {
            uint32_t c = counts[d][b];
            counts[d][b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t w = a[i];
            tmp[counts[d][(w >> shift) & (RADIX_SIZE - 1)]++] = w;
        }
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* The accumulator a word counts for: its group's, of its aggregate. */
static inline qacc *word_acc(const flowlog_query *q, uint64_t w)
{
    return &q->gaccs[(size_t)((w >> PACKED_GROUP_SHIFT) & (PACKED_GROUPS - 1)) * (size_t)q->naggs +
                     (size_t)((w >> PACKED_AGG_SHIFT) & 31)];
}

/* Sorted words b[0..m), each once: how many the array lacks, each counted
 * for its group as this read of both in order passes it (when
 * count_groups; a word is passed once). */
static size_t new_words(flowlog_query *q, const uint64_t *b, size_t m, bool count_groups)
{
    const uint64_t *s = q->distinct.packed;
    size_t ns = q->distinct.npacked, fresh = 0, i = 0, j = 0;
    while (i < ns && j < m) { /* without a branch on the words: they interleave at random */
        uint64_t x = s[i], y = b[j];
        bool new_word = y < x;
        fresh += new_word;
        word_acc(q, y)->count += count_groups && new_word;
        i += x <= y;
        j += y <= x;
    }
    for (; j < m; j++, fresh++)
        word_acc(q, b[j])->count += count_groups;
    return fresh;
}

/* Sorted words b[0..m), each once, into the array, a word new to it
 * counted for its group (unless counted already). The array grows by
 * exactly the new words: they are counted first, then the merge goes from
 * the ends backwards, in place. */
static int merge_sorted(flowlog_query *q, const uint64_t *b, size_t m, bool count)
{
    qdistincts *d = &q->distinct;
    size_t ns = d->npacked, fresh = new_words(q, b, m, count);
    if (d->used + ns + fresh > q->max_groups)
        return flowlog__query_limit_error(q, "distinct values");
    if (ns + fresh > d->packed_cap) {
        size_t cap = d->packed_cap + d->packed_cap / 2;
        cap = cap > ns + fresh ? cap : ns + fresh;
        uint64_t *p = q->alloc.realloc(q->alloc.ctx, d->packed, d->packed_cap * sizeof *p, cap * sizeof *p);
        if (!p)
            return FLOWLOG_E_NOMEM;
        d->packed = p;
        d->packed_cap = cap;
    }
    uint64_t *out = d->packed;
    size_t w = ns + fresh, i = ns, j = m;
    while (w > i) { /* w == i: no new word left, the rest is in place */
        uint64_t x = b[j - 1], y = i ? out[i - 1] : 0;
        bool old_word = i && y >= x;
        out[--w] = old_word ? y : x;
        i -= old_word;
        j -= !old_word || y == x;
    }
    d->npacked = ns + fresh;
    return flowlog__query_memory_check_spill(q);
}

/* The n words waiting sorted and each once: where they are (the batch or
 * the sort's other half), *m of them. */
static uint64_t *sort_unique(qdistincts *d, size_t n, size_t *m)
{
    uint64_t *b = radix_sort(d->batch, d->sort_tmp, n, d->radix_counts);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (b[i] != b[k - 1])
            b[k++] = b[i];
    *m = k;
    return b;
}

/* The words gathered since the last merge: sorted, each once, merged into
 * the sorted array. */
static int packed_merge(flowlog_query *q)
{
    qdistincts *d = &q->distinct;
    size_t n = d->nbatch;
    if (!n)
        return FLOWLOG_OK;
    d->nbatch = 0; /* a failure below ends the query: what waited is lost with it */
    if (d->batch_sorted) {
        bool count = !d->batch_counted;
        d->batch_sorted = d->batch_counted = false;
        return merge_sorted(q, d->batch, n, count);
    }
    size_t m;
    uint64_t *b = sort_unique(d, n, &m);
    return merge_sorted(q, b, m, true);
}

/* The words waiting counted for their groups where new to the array, and
 * left waiting, sorted and each once (batch_counted): when the counts are
 * all that is asked for next (the rows of a finished query), the array is
 * not written again, nor grown. A later merge adds them without counting. */
static int packed_count(flowlog_query *q)
{
    qdistincts *d = &q->distinct;
    if (!d->nbatch || d->batch_counted)
        return FLOWLOG_OK;
    if (!d->batch_sorted) {
        size_t m;
        uint64_t *b = sort_unique(d, d->nbatch, &m);
        if (b != d->batch)
            memcpy(d->batch, b, m * sizeof *b);
        d->nbatch = m;
        d->batch_sorted = true;
    }
    size_t fresh = new_words(q, d->batch, d->nbatch, true);
    if (d->used + d->npacked + fresh > q->max_groups)
        return flowlog__query_limit_error(q, "distinct values");
    d->batch_counted = true;
    return FLOWLOG_OK;
}

static size_t block_bytes(size_t batch_cap)
{
    return batch_cap ? RADIX_DIGITS * sizeof(uint32_t[RADIX_SIZE]) + 2 * batch_cap * sizeof(uint64_t) : 0;
}

/* Room for a batch of want words (and its sort's other half and counts,
 * in one block); the words waiting keep their place. */
static int packed_room_for(flowlog_query *q, size_t want)
{
    qdistincts *d = &q->distinct;
    if (d->block && want <= d->batch_cap)
        return FLOWLOG_OK;
    /* the array made with the first batch: a merge of values already seen allocates nothing */
    if (!d->packed) {
        if (!(d->packed = q->alloc.alloc(q->alloc.ctx, PACKED_BATCH_MIN * sizeof *d->packed)))
            return FLOWLOG_E_NOMEM;
        d->packed_cap = PACKED_BATCH_MIN;
    }
    /* grown where it is: the pages already touched are not touched afresh */
    char *block = q->alloc.realloc(q->alloc.ctx, d->block, block_bytes(d->batch_cap), block_bytes(want));
    if (!block)
        return FLOWLOG_E_NOMEM;
    d->block = block;
    d->radix_counts = (uint32_t(*)[RADIX_SIZE])(void *)block;
    d->batch = (uint64_t *)(void *)(block + RADIX_DIGITS * sizeof(uint32_t[RADIX_SIZE]));
    d->sort_tmp = d->batch + want;
    d->batch_cap = want;
    return flowlog__query_memory_check_spill(q);
}

/* A batch of as many words as the array holds: a merge reads the whole
 * array, so batches grow with it and each word is merged a bounded number
 * of times. */
static int packed_room(flowlog_query *q)
{
    size_t want = q->distinct.npacked;
    return packed_room_for(q, want < PACKED_BATCH_MIN ? PACKED_BATCH_MIN : want > PACKED_BATCH_MAX ? PACKED_BATCH_MAX : want);
}

/* A value in a word, or false when it has none. */
static bool packed_of(const flowlog_query *q, uint32_t group, uint32_t agg, const flowlog_value *v, uint64_t *word)
{
    if (group >= PACKED_GROUPS)
        return false;
    if (v->type == FLOWLOG_VALUE_INT && v->i >= 0 && v->i <= (int64_t)UINT32_MAX) {
        *word = packed_word(group, agg, PACKED_INT, (uint32_t)v->i);
        return true;
    }
    uint8_t a[4];
    if (v->type != FLOWLOG_VALUE_STRING || v->len < 7 || v->len > 15)
        return false;
    /* the record's whole field, checked as the value was read: not parsed again
     * (only while a record is fed: a state merged in has text of its own) */
    if (q->rec && v->s == q->checked_ipv4_text && v->len == q->checked_ipv4_len)
        memcpy(a, &q->checked_ipv4, 4);
    else if (flowlog__parse_ipv4(v->s, v->len, a) != FLOWLOG_OK)
        return false;
    *word = packed_word(group, agg, PACKED_IPV4, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
    return true;
}

/* A word's value: an address's text written to text (16 bytes). */
static flowlog_value packed_value(uint64_t w, char *text)
{
    flowlog_value v = {.type = FLOWLOG_VALUE_INT};
    uint32_t bits = (uint32_t)w;
    if (w >> PACKED_KIND_SHIFT == PACKED_INT) {
        v.i = bits;
        return v;
    }
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        unsigned o = (bits >> shift) & 255;
        if (o >= 100)
            text[n++] = (char)('0' + o / 100);
        if (o >= 10)
            text[n++] = (char)('0' + o / 10 % 10);
        text[n++] = (char)('0' + o % 10);
        if (shift)
            text[n++] = '.';
    }
    v.type = FLOWLOG_VALUE_STRING;
    v.s = text;
    v.len = n;
    return v;
}

static inline int packed_add(flowlog_query *q, uint64_t w)
{
    qdistincts *d = &q->distinct;
    if (FLOWLOG__UNLIKELY(d->nbatch == d->batch_cap || d->batch_sorted)) {
        int rc = packed_merge(q);
        if (rc < 0 || (rc = packed_room(q)) < 0)
            return rc;
    }
    d->batch[d->nbatch++] = w;
    return FLOWLOG_OK;
}

int flowlog__distinct_add(flowlog_query *q, uint32_t group, uint32_t agg, const flowlog_value *v)
{
    uint64_t w;
    if (!packed_of(q, group, agg, v, &w))
        return hashed_count(q, group, agg, v);
    return packed_add(q, w);
}

/* The values waiting for the table's lines, into it. */
static int ahead_settle(flowlog_query *q)
{
    qdistincts *d = &q->distinct;
    while (d->ahead_n) {
        int rc = distinct_settle_oldest(q);
        if (rc < 0) {
            d->ahead_n = 0; /* what waited is lost with the query */
            return rc;
        }
    }
    return FLOWLOG_OK;
}

int flowlog__distinct_settle(flowlog_query *q)
{
    int rc = ahead_settle(q);
    return rc < 0 ? rc : packed_merge(q);
}

int flowlog__distinct_count(flowlog_query *q)
{
    int rc = ahead_settle(q);
    return rc < 0 ? rc : packed_count(q);
}

size_t flowlog__distinct_held(const flowlog_query *q)
{
    return q->distinct.used + q->distinct.npacked;
}

bool flowlog__distinct_none(const flowlog_query *q)
{
    const qdistincts *d = &q->distinct;
    return !d->used && !d->ahead_n && !d->npacked && !d->nbatch && !d->table && !d->packed && !d->block;
}

bool flowlog__query_distinct_at(const flowlog_query *q, size_t *i, uint32_t *group, uint32_t *agg,
                                flowlog_value *v, char *text, uint64_t *word)
{
    const qdistincts *d = &q->distinct;
    if (word)
        *word = 0;
    for (; *i < d->cap; ++*i)
        if (d->table[*i].hash) {
            *group = d->table[*i].group;
            *agg = d->table[*i].agg;
            *v = distinct_value(&d->table[*i]);
            ++*i;
            return true;
        }
    if (*i - d->cap >= d->npacked)
        return false;
    uint64_t w = d->packed[*i - d->cap];
    *group = (uint32_t)(w >> PACKED_GROUP_SHIFT) & (PACKED_GROUPS - 1);
    *agg = (uint32_t)(w >> PACKED_AGG_SHIFT) & 31;
    if (word)
        *word = w;
    else
        *v = packed_value(w, text);
    ++*i;
    return true;
}

size_t flowlog__distinct_table_end(const flowlog_query *q)
{
    return q->distinct.cap;
}

int flowlog__distinct_add_word(flowlog_query *q, uint32_t group, uint64_t word)
{
    if (group >= PACKED_GROUPS) { /* too many groups for a word: its value to the table */
        char text[16];
        flowlog_value v = packed_value(word, text);
        return hashed_count(q, group, (uint32_t)(word >> PACKED_AGG_SHIFT) & 31, &v);
    }
    return packed_add(q, (word & ~((uint64_t)(PACKED_GROUPS - 1) << PACKED_GROUP_SHIFT)) |
                             (uint64_t)group << PACKED_GROUP_SHIFT);
}

static inline uint64_t renumbered(uint64_t w, const uint32_t *map)
{
    const uint64_t groups = (uint64_t)(PACKED_GROUPS - 1) << PACKED_GROUP_SHIFT;
    uint64_t group = map[(w & groups) >> PACKED_GROUP_SHIFT] - 1;
    return (w & ~groups) | group << PACKED_GROUP_SHIFT;
}

/* Sorted words b[0..m) into sorted a[0..n), a having room for both, each
 * word once: merged from the ends backwards in place, then moved down over
 * the places words found in both left. Returns the words in a. */
static size_t merge_unique_backwards(uint64_t *a, size_t n, const uint64_t *b, size_t m)
{
    size_t w = n + m, i = n, j = m;
    while (j) {
        uint64_t x = b[j - 1], y = i ? a[i - 1] : 0;
        bool from_a = i && y >= x;
        a[--w] = from_a ? y : x;
        i -= from_a;
        j -= !from_a || y == x;
    }
    /* w - i: the words of both written once */
    if (w > i)
        memmove(a + i, a + w, (n + m - w) * sizeof *a);
    return n + m - (w - i);
}

/* A run of a part's array: its words share kind, aggregate and group. */
typedef struct packed_run {
    uint64_t high; /* kind, aggregate and group in q, as the words' high half */
    size_t start, len;
} packed_run;

static int by_high(const void *a, const void *b)
{
    const packed_run *x = a, *y = b;
    return (x->high > y->high) - (x->high < y->high);
}

/* A part's sorted array renumbered is sorted within each run of a group:
 * the runs put in the order of their new groups make it sorted again
 * without sorting a word. Parts so sorted gather in the batch, each merged
 * with those before it, until they are as many words as the array: the
 * array is then merged with as many again, not read whole once a part.
 * FLOWLOG_ABSENT when the runs are too many for this to pay (a run of a
 * few words): the words are sorted. */
static int absorb_runs(flowlog_query *q, const uint64_t *w, size_t n, const uint32_t *map)
{
    size_t nruns = 1;
    for (size_t i = 1; i < n; i++)
        nruns += (w[i] >> PACKED_GROUP_SHIFT) != (w[i - 1] >> PACKED_GROUP_SHIFT);
    if (nruns > n / 4 + 1)
        return FLOWLOG_ABSENT;
    packed_run *runs = q->alloc.alloc(q->alloc.ctx, nruns * sizeof *runs);
    if (!runs)
        return FLOWLOG_E_NOMEM;
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        if (!i || (w[i] >> PACKED_GROUP_SHIFT) != (w[i - 1] >> PACKED_GROUP_SHIFT))
            runs[r++] = (packed_run){renumbered(w[i], map) >> PACKED_GROUP_SHIFT, i, 0};
    for (size_t k = 0; k < nruns; k++)
        runs[k].len = (k + 1 < nruns ? runs[k + 1].start : n) - runs[k].start;
    qsort(runs, nruns, sizeof *runs, by_high);
    qdistincts *d = &q->distinct;
    int rc = FLOWLOG_OK;
    size_t array = d->npacked > PACKED_BATCH_MIN ? d->npacked : PACKED_BATCH_MIN;
    if (d->nbatch && (!d->batch_sorted || d->batch_counted || d->nbatch + n > array))
        rc = packed_merge(q);
    if (rc == FLOWLOG_OK)
        rc = packed_room_for(q, d->nbatch + n > d->batch_cap ? d->nbatch + n : d->batch_cap);
    if (rc == FLOWLOG_OK) {
        size_t nb = d->nbatch;
        uint64_t *to = nb ? d->sort_tmp : d->batch;
        for (size_t k = 0; k < nruns; k++) {
            uint64_t high = runs[k].high << PACKED_GROUP_SHIFT;
            const uint64_t *from = w + runs[k].start;
            for (size_t i = 0; i < runs[k].len; i++)
                *to++ = high | (uint32_t)from[i];
        }
        d->nbatch = nb ? merge_unique_backwards(d->batch, nb, d->sort_tmp, n) : n;
        d->batch_sorted = true;
    }
    FLOWLOG__FREE(&q->alloc, runs, nruns * sizeof *runs);
    return rc;
}

int flowlog__distinct_absorb_packed(flowlog_query *q, const flowlog_query *part, const uint32_t *map)
{
    const qdistincts *pd = &part->distinct;
    qdistincts *d = &q->distinct;
    const uint64_t *w = pd->packed;
    size_t n = pd->npacked;
    /* some of q's groups past a word's, or more words than a batch sorts: each value on its own */
    if (q->ngroups >= PACKED_GROUPS || n > PACKED_BATCH_MAX) {
        for (size_t i = 0; i < n; i++) {
            int rc = flowlog__distinct_add_word(q, map[(w[i] >> PACKED_GROUP_SHIFT) & (PACKED_GROUPS - 1)] - 1, w[i]);
            if (rc < 0)
                return rc;
        }
        return FLOWLOG_OK;
    }
    if (!n)
        return FLOWLOG_OK;
    int rc = absorb_runs(q, w, n, map);
    if (rc != FLOWLOG_ABSENT)
        return rc;
    /* the words wait with the others: the array is merged with as many
     * again, not once a part */
    if (d->nbatch + n > d->batch_cap || d->batch_sorted) {
        rc = packed_merge(q);
        size_t want = n > d->npacked ? n : d->npacked;
        if (rc < 0 || (rc = packed_room_for(q, want > d->batch_cap ? want : d->batch_cap)) < 0)
            return rc;
    }
    uint64_t *b = d->batch + d->nbatch;
    for (size_t i = 0; i < n; i++)
        b[i] = renumbered(w[i], map);
    d->nbatch += n;
    return FLOWLOG_OK;
}

void flowlog__distinct_clear(flowlog_query *q)
{
    qdistincts *d = &q->distinct;
    if (d->table)
        FLOWLOG__FREE(&q->alloc, d->table, d->cap * sizeof *d->table);
    if (d->packed)
        FLOWLOG__FREE(&q->alloc, d->packed, d->packed_cap * sizeof *d->packed);
    if (d->block)
        FLOWLOG__FREE(&q->alloc, d->block, block_bytes(d->batch_cap));
    memset(d, 0, sizeof *d);
}

size_t flowlog__distinct_memory(const flowlog_query *q)
{
    const qdistincts *d = &q->distinct;
    return d->cap * sizeof *d->table + d->packed_cap * sizeof *d->packed + block_bytes(d->batch_cap);
}

size_t flowlog__distinct_growth(const flowlog_query *q)
{
    const qdistincts *d = &q->distinct;
    size_t extra = 0;
    if ((d->used + d->ahead_n + (size_t)q->naggs) * 2 >= d->cap)
        extra += 2 * d->cap * sizeof *d->table;
    if (d->block && d->nbatch + (size_t)q->naggs >= d->batch_cap) /* a merge: the array grows by the batch at most */
        extra += d->batch_cap * 3 * sizeof *d->batch;
    else if (!d->block && q->distinct_aggs) /* the first packed value makes the batch and the array */
        extra += block_bytes(PACKED_BATCH_MIN) + PACKED_BATCH_MIN * sizeof *d->packed;
    return extra;
}
