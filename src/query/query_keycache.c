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

static inline uint64_t mix(uint64_t x, uint64_t w)
{
    x = (x ^ w) * 0xff51afd7ed558ccdu;
    return x ^ (x >> 32);
}

bool flowlog__keycache_key(const flowlog_query *q, qkeybytes *k)
{
    const flowlog_record *r = q->rec;
    size_t n = 0;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < q->nkeys; i++) {
        int c = flowlog__schema_col(r->schema, q->keys[i]->field);
        if (c < 0 || (size_t)c >= r->n) {
            k->len[i] = 0xff; /* no such column: a length no field has */
            k->ptr[i] = NULL;
            n++;
            x = mix(x, 0xff);
            continue;
        }
        const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
        if (sp->len > 250 || n + 1 + sp->len > QUERY_KEYCACHE_KEY)
            return false;
        k->len[i] = (uint8_t)sp->len;
        k->ptr[i] = sp->ptr;
        n += 1 + sp->len;
        /* read from the line itself: bytes just copied and read back as
         * words would wait for the copies */
        if (sp->len < 8) { /* the length in the word's top byte, which the bytes leave empty */
            x = mix(x, flowlog__load_bytes(sp->ptr, sp->len) ^ (uint64_t)sp->len << 56);
            continue;
        }
        x = mix(x, sp->len);
        for (size_t o = 0; o < sp->len; o += 8)
            x = mix(x, flowlog__load_bytes(sp->ptr + o, sp->len - o < 8 ? sp->len - o : 8));
    }
    k->total = n;
    k->hash = mix(x, n);
    return true;
}

/* a[0..n) == b[0..n): up to 16 bytes as two words each, more by memcmp */
static inline bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    size_t head = n < 8 ? n : 8;
    return ((flowlog__load_bytes(a, head) ^ flowlog__load_bytes(b, head)) |
            (flowlog__load_bytes(a + head, n - head) ^ flowlog__load_bytes(b + head, n - head))) == 0;
}

size_t flowlog__keycache_find(const flowlog_query *q, const qkeybytes *k)
{
    if (!q->keycache)
        return 0;
    const struct qkeyslot *e = probe(q, k->hash);
    if (!e->slot || e->hash != (uint32_t)(k->hash >> 32) || e->len != k->total)
        return 0;
    size_t off = 0;
    for (int i = 0; i < q->nkeys; i++) {
        if ((uint8_t)e->key[off] != k->len[i])
            return 0;
        off++;
        if (k->len[i] == 0xff)
            continue;
        if (!same_bytes(e->key + off, k->ptr[i], k->len[i]))
            return 0;
        off += k->len[i];
    }
    return e->slot;
}

void flowlog__keycache_put(flowlog_query *q, const qkeybytes *k, size_t slot)
{
    if (slot >= UINT32_MAX - 1)
        return;
    if (!q->keycache) {
        /* made once, with the first group: no memory, no cache */
        q->keycache = flowlog__calloc(&q->alloc, KEYCACHE_SLOTS, sizeof *q->keycache);
        if (!q->keycache)
            return;
    }
    struct qkeyslot *e = probe(q, k->hash);
    e->hash = (uint32_t)(k->hash >> 32);
    e->slot = (uint32_t)slot + 1;
    e->len = (uint8_t)k->total;
    size_t off = 0;
    for (int i = 0; i < q->nkeys; i++) {
        e->key[off++] = (char)k->len[i];
        if (k->len[i] == 0xff)
            continue;
        memcpy(e->key + off, k->ptr[i], k->len[i]);
        off += k->len[i];
    }
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
