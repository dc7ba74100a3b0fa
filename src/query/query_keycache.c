/* The groups of recent records by the bytes of their key fields.
 *
 * When every key of a stats is a field of the record, two records whose
 * key fields hold the same bytes fall in the same group: converting and
 * checking a field's text gives the same value, or the same error, for the
 * same bytes. So a record whose key bytes were seen before goes straight
 * to its group's slot, without converting, hashing and comparing values;
 * only the first record of each byte string takes the full way. The cache
 * is direct-mapped and bounded (one cache line a key), so many groups cost
 * a missed probe each and nothing more. Not API. */
#include "query_internal.h"

#define KEYCACHE_SLOTS 4096 /* a power of two */

struct qkeyslot {
    uint32_t hash;  /* the key's hash, high half */
    uint32_t slot;  /* the group's index in q->slots + 1; 0: empty */
    uint8_t len;
    char key[QUERY_KEYCACHE_KEY];
};

/* One probe: where the hash says, and only there. */
static inline struct qkeyslot *probe(const flowlog_query *q, uint64_t h)
{
    return &q->keycache[(h >> 8) & (KEYCACHE_SLOTS - 1)];
}

bool flowlog__keycache_applies(const flowlog_query *q)
{
    if (!q->nkeys)
        return false;
    for (int k = 0; k < q->nkeys; k++)
        if (q->keys[k]->kind != Q_FIELD)
            return false;
    /* groups by one small whole number have their own array (dense_count) */
    return !(q->nkeys == 1 && (q->keys[0]->ftype == FLOWLOG_TYPE_UINT || q->keys[0]->ftype == FLOWLOG_TYPE_TIME));
}

/* n bytes (at most 16) from src to dst by fixed-size moves that overlap,
 * nothing read past src + n (a copy of a variable length is a call). */
static inline void copy_short(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i];
    }
}

bool flowlog__keycache_key(const flowlog_query *q, char key[QUERY_KEYCACHE_BUF], size_t *len, uint64_t *h)
{
    const flowlog_record *r = q->rec;
    size_t n = 0;
    for (int k = 0; k < q->nkeys; k++) {
        int c = flowlog__schema_col(r->schema, q->keys[k]->field);
        if (c < 0 || (size_t)c >= r->n) {
            if (n + 1 > QUERY_KEYCACHE_KEY)
                return false;
            key[n++] = (char)0xff; /* no such column: a length no field has */
            continue;
        }
        const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
        if (sp->len > 250 || n + 1 + sp->len > QUERY_KEYCACHE_KEY)
            return false;
        key[n++] = (char)sp->len;
        if (sp->len <= 16)
            copy_short(key + n, sp->ptr, sp->len);
        else
            memcpy(key + n, sp->ptr, sp->len);
        n += sp->len;
    }
    /* whole words: the bytes up to the next word's start are zeros */
    memset(key + n, 0, 8);
    uint64_t x = (uint64_t)n * 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, key + i, sizeof w);
        x = (x ^ w) * 0xff51afd7ed558ccdu;
        x ^= x >> 32;
    }
    *len = n;
    *h = x;
    return true;
}

size_t flowlog__keycache_find(const flowlog_query *q, const char *key, size_t len, uint64_t h)
{
    if (!q->keycache)
        return 0;
    const struct qkeyslot *e = probe(q, h);
    if (!e->slot || e->hash != (uint32_t)(h >> 32) || e->len != len || memcmp(e->key, key, len) != 0)
        return 0;
    return e->slot;
}

void flowlog__keycache_put(flowlog_query *q, const char *key, size_t len, uint64_t h, size_t slot)
{
    if (slot >= UINT32_MAX - 1)
        return;
    if (!q->keycache) {
        /* made once, with the first group: no memory, no cache */
        q->keycache = flowlog__calloc(&q->alloc, KEYCACHE_SLOTS, sizeof *q->keycache);
        if (!q->keycache)
            return;
    }
    struct qkeyslot *e = probe(q, h);
    e->hash = (uint32_t)(h >> 32);
    e->slot = (uint32_t)slot + 1;
    e->len = (uint8_t)len;
    memcpy(e->key, key, len);
}

void flowlog__keycache_clear(flowlog_query *q)
{
    if (q->keycache)
        memset(q->keycache, 0, KEYCACHE_SLOTS * sizeof *q->keycache);
}

void flowlog__keycache_free(flowlog_query *q)
{
    if (q->keycache)
        FLOWLOG__FREE(&q->alloc, q->keycache, KEYCACHE_SLOTS * sizeof *q->keycache);
    q->keycache = NULL;
}

size_t flowlog__keycache_memory(const flowlog_query *q)
{
    return q->keycache ? KEYCACHE_SLOTS * sizeof *q->keycache : 0;
}
