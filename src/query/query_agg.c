#include "query_internal.h"

/* Hash aggregation, and the rows kept for a sort: memory grows with the
 * number of groups (or kept rows) only, never with the records fed. Past
 * FLOWLOG_QOPT_MAX_MEMORY the groups are written out (query_spill.c) when
 * the query has a spill directory, and merged here when read back. */

struct qchunk {
    struct qchunk *next;
    size_t cap;
};

#define CHUNK_MIN ((size_t)64 * 1024)

void *flowlog__arena_alloc(qarena *ar, const flowlog_allocator *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!ar->chunks || ar->used + n > ar->cap) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        struct qchunk *c = a->alloc(a->ctx, sizeof *c + 16 + cap);
        if (!c)
            return NULL;
        c->next = ar->chunks;
        c->cap = cap;
        ar->total += sizeof *c + 16 + cap;
        ar->chunks = c;
        ar->used = 0;
        ar->cap = cap;
    }
    char *base = (char *)(ar->chunks + 1);
    base += (16 - ((uintptr_t)base & 15)) & 15;
    void *p = base + ar->used;
    ar->used += n;
    return p;
}

void flowlog__arena_free(qarena *ar, const flowlog_allocator *a)
{
    for (struct qchunk *c = ar->chunks, *next; c; c = next) {
        next = c->next;
        a->free(a->ctx, c, sizeof *c + 16 + c->cap);
    }
    ar->chunks = NULL;
    ar->used = ar->cap = ar->total = 0;
}

int flowlog__query_keep_value(flowlog_query *q, qarena *ar, flowlog_value *v)
{
    if (v->type != FLOWLOG_VALUE_STRING || v->len == 0)
        return FLOWLOG_OK;
    char *c = flowlog__arena_alloc(ar, &q->alloc, v->len);
    if (!c)
        return FLOWLOG_E_NOMEM;
    memcpy(c, v->s, v->len);
    v->s = c;
    return FLOWLOG_OK;
}

int flowlog__query_limit_error(flowlog_query *q, const char *what)
{
    flowlog__error_set(&q->err, 0, -1, "more than %zu %s: raise the limit on groups or narrow the query",
                       q->max_groups, what);
    return FLOWLOG_E_LIMIT;
}

static int grow(flowlog_query *q, void **arr, size_t elem, size_t old_n, size_t new_n)
{
    void *p = q->alloc.realloc(q->alloc.ctx, *arr, old_n * elem, new_n * elem);
    if (!p)
        return FLOWLOG_E_NOMEM;
    *arr = p;
    return FLOWLOG_OK;
}

int flowlog__table_double(flowlog_query *q, void **table, size_t *cap, size_t elem)
{
    size_t old = *cap, fresh_cap = old ? old * 2 : 1024;
    char *fresh = flowlog__calloc_table(&q->alloc, fresh_cap, elem), *from = *table;
    if (!fresh)
        return FLOWLOG_E_NOMEM;
    for (size_t i = 0; i < old; i++) {
        uint64_t h;
        memcpy(&h, from + i * elem, sizeof h);
        if (!h)
            continue;
        size_t j = h & (fresh_cap - 1);
        for (uint64_t taken; memcpy(&taken, fresh + j * elem, sizeof taken), taken;)
            j = (j + 1) & (fresh_cap - 1);
        memcpy(fresh + j * elem, from + i * elem, elem);
    }
    if (from)
        FLOWLOG__FREE(&q->alloc, from, old * elem);
    *table = fresh;
    *cap = fresh_cap;
    return FLOWLOG_OK;
}

/* The aggregates' arguments of this record, read before any group is
 * touched: a value that does not convert makes the record an error that
 * leaves no trace. */
static int agg_values(flowlog_query *q, flowlog_value *vals)
{
    for (int k = 0; k < q->naggs; k++)
        if (q->aggs[k] != AGG_COUNT_ALL)
            flowlog__query_eval(q, q->agg_args[k], NULL, NULL, &vals[k]);
    return q->bad;
}

/* Keep v in a kept slot's own buffer (it is overwritten as picks change,
 * so memory stays one value per group). */
static int keep_pick(flowlog_query *q, qkept *k, const flowlog_value *v)
{
    k->v = *v;
    if (v->type != FLOWLOG_VALUE_STRING)
        return FLOWLOG_OK;
    if (v->len > k->buf_cap) {
        char *grown = q->alloc.realloc(q->alloc.ctx, k->buf, k->buf_cap, v->len);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        q->kept_bytes += v->len - k->buf_cap;
        k->buf = grown;
        k->buf_cap = v->len;
    }
    if (v->len)
        memcpy(k->buf, v->s, v->len);
    k->v.s = k->buf;
    return FLOWLOG_OK;
}

/* A group's kept slot, made with its first value (NULL: no memory). */
static qkept *kept_of(flowlog_query *q, qacc *acc)
{
    if (!acc->kept) {
        acc->kept = flowlog__calloc(&q->alloc, 1, sizeof *acc->kept);
        if (acc->kept)
            q->kept_bytes += sizeof *acc->kept;
    }
    return acc->kept;
}

/* earliest, latest, sortsFirst, sortsLast, pct: the value into the group's kept slot. */
static int keep_value(flowlog_query *q, qacc *acc, qagg kind, double param, const flowlog_value *v)
{
    (void)param;
    qkept *k = kept_of(q, acc);
    if (!k)
        return FLOWLOG_E_NOMEM;
    switch (kind) {
    case AGG_PCT: {
        flowlog_value x;
        if (v->type == FLOWLOG_VALUE_INT || v->type == FLOWLOG_VALUE_TIME)
            x.f = (double)v->i;
        else if (v->type == FLOWLOG_VALUE_FLOAT)
            x.f = v->f;
        else
            return FLOWLOG_OK; /* text has no percentile */
        if (q->nkept_values >= q->max_groups)
            return flowlog__query_limit_error(q, "values kept for pct()");
        int mem = flowlog__query_memory_check_spill(q);
        if (mem < 0)
            return mem;
        if (k->nvals == k->vals_cap) {
            size_t cap = k->vals_cap ? k->vals_cap * 2 : 16;
            int rc = grow(q, (void **)&k->vals, sizeof *k->vals, k->vals_cap, cap);
            if (rc < 0)
                return rc;
            q->kept_bytes += (cap - k->vals_cap) * sizeof *k->vals;
            k->vals_cap = cap;
        }
        k->vals[k->nvals++] = x.f;
        k->sorted = false;
        q->nkept_values++;
        acc->count++;
        return FLOWLOG_OK;
    }
    case AGG_EARLIEST:
    case AGG_LATEST: {
        uint64_t t;
        if (!q->rec || flowlog_record_get_u64(q->rec, FLOWLOG_FIELD_START, &t) != FLOWLOG_OK || t > (uint64_t)INT64_MAX)
            return FLOWLOG_OK;
        /* the first record of the earliest time, the last of the latest */
        bool take = !acc->count || (kind == AGG_EARLIEST ? (int64_t)t < k->t : (int64_t)t >= k->t);
        acc->count++;
        if (!take)
            return FLOWLOG_OK;
        k->t = (int64_t)t;
        return keep_pick(q, k, v);
    }
    default: {
        int c = acc->count ? flowlog__value_order(v, &k->v) : 0;
        bool take = !acc->count || (kind == AGG_SORTS_FIRST ? c < 0 : c > 0);
        acc->count++;
        return take ? keep_pick(q, k, v) : FLOWLOG_OK;
    }
    }
}

static int accumulate(flowlog_query *q, size_t g, const flowlog_value *vals)
{
    qacc *accs = q->gaccs + g * (size_t)q->naggs;
    for (int k = 0; k < q->naggs; k++) {
        qacc *acc = &accs[k];
        if (q->aggs[k] == AGG_COUNT_ALL) {
            acc->count++;
            continue;
        }
        flowlog_value v = vals[k];
        if (v.type == FLOWLOG_VALUE_NULL)
            continue;
        switch (q->aggs[k]) {
        case AGG_COUNT:
            acc->count++;
            break;
        case AGG_COUNT_DISTINCT: {
            int rc = flowlog__distinct_add(q, (uint32_t)g, (uint32_t)k, &v);
            if (rc < 0)
                return rc;
            break;
        }
        case AGG_PCT:
        case AGG_EARLIEST:
        case AGG_LATEST:
        case AGG_SORTS_FIRST:
        case AGG_SORTS_LAST: {
            int rc = keep_value(q, acc, q->aggs[k], q->agg_param[k], &v);
            if (rc < 0)
                return rc;
            break;
        }
        default: {
            double d;
            if ((q->aggs[k] == AGG_SUM || q->aggs[k] == AGG_AVG) && v.type == FLOWLOG_VALUE_INT &&
                FLOWLOG__LIKELY(v.i >= 0 && acc->isum <= INT64_MAX - v.i)) {
                /* a sum or mean of whole numbers reads no minimum, maximum nor time */
                acc->isum += v.i;
                acc->count++;
                break;
            }
            if (v.type == FLOWLOG_VALUE_INT || v.type == FLOWLOG_VALUE_TIME) {
                d = (double)v.i;
                if ((v.i > 0 && acc->isum > INT64_MAX - v.i) || (v.i < 0 && acc->isum < INT64_MIN - v.i)) {
                    acc->fsum += (double)v.i; /* beyond int64: carry on in floating point */
                    acc->floats = true;
                } else {
                    acc->isum += v.i;
                }
            } else if (v.type == FLOWLOG_VALUE_FLOAT) {
                d = v.f;
                acc->fsum += v.f;
                acc->floats = true;
            } else {
                continue; /* text is not summed */
            }
            acc->times = (v.type == FLOWLOG_VALUE_TIME) && (!acc->count || acc->times);
            if (!acc->count || d < acc->min)
                acc->min = d;
            if (!acc->count || d > acc->max)
                acc->max = d;
            if (q->aggs[k] == AGG_STDDEV) {
                /* Welford: the mean before this value, from the sums */
                double mean = acc->count ? (acc->fsum + (double)acc->isum - d) / (double)acc->count : 0;
                double next = mean + (d - mean) / (double)(acc->count + 1);
                acc->m2 += (d - mean) * (d - next);
            }
            acc->count++;
            break;
        }
        }
    }
    return FLOWLOG_OK;
}

/* A group's slot keeps its key's hash, so a probe that meets another
 * group's slot is told apart without reading that group's keys; and when
 * every aggregate is count(*), the count, so a record touches one cache
 * line of the table and nothing else. */
struct qslot {
    uint64_t hash;
    uint32_t group;  /* index + 1; 0: empty */
    uint32_t type;   /* of the key, when the group has one key */
    uint64_t count;  /* records, when counts_only; moved to gaccs at the end */
};

static int groups_let_through(flowlog_query *q, bool spill);

static int groups_settle(flowlog_query *q, bool only_counts)
{
    int through = groups_let_through(q, false);
    if (through < 0)
        return through;
    int rc = only_counts ? flowlog__distinct_count(q) : flowlog__distinct_settle(q);
    if (rc < 0)
        return rc;
    if (!q->counts_only)
        return FLOWLOG_OK;
    /* by the groups, not the array: a thread's part of a few hundred ports
     * settles without reading 65536 entries */
    for (size_t g = 0; q->dense && g < q->ngroups; g++) {
        const flowlog_value *key = &q->gkeys[g];
        if (key->type != FLOWLOG_VALUE_INT || key->i < 0 || key->i >= QUERY_DENSE_KEYS ||
            q->dense_group[key->i] != g + 1 || !q->dense[key->i])
            continue;
        size_t v = (size_t)key->i;
        qacc *accs = q->gaccs + g * (size_t)q->naggs;
        uint64_t count = (uint64_t)accs[0].isum + q->dense[v]; /* isum: the carry; settling twice is settling once */
        for (int k = 0; k < q->naggs; k++)
            accs[k].count = count;
    }
    for (size_t i = 0; i < q->nslots; i++) {
        if (!q->slots[i].group)
            continue;
        qacc *accs = q->gaccs + (size_t)(q->slots[i].group - 1) * (size_t)q->naggs;
        for (int k = 0; k < q->naggs; k++)
            accs[k].count = q->slots[i].count;
    }
    return FLOWLOG_OK;
}

int flowlog__query_groups_settle(flowlog_query *q)
{
    return groups_settle(q, false);
}

int flowlog__query_groups_count(flowlog_query *q)
{
    return groups_settle(q, true);
}

static inline int count_in(flowlog_query *q, struct qslot *sl, const flowlog_value *vals)
{
    if (q->counts_only) {
        sl->count++;
        return FLOWLOG_OK;
    }
    return accumulate(q, sl->group - 1, vals);
}

static uint64_t keys_hash(const flowlog_value *key, int nkeys)
{
    uint64_t h = 0x84222325cbf29ce4u;
    for (int k = 0; k < nkeys; k++)
        h = flowlog__value_hash(&key[k], h);
    return h;
}

/* One integer or time key: its hash is a bijection of the value for each
 * type (an xor, a multiplication by an odd constant, an xor-shift), so the
 * hash and type decide equality without reading the group's key. */
static inline bool hash_decides(const flowlog_value *key, int nkeys)
{
    return nkeys == 1 && (key[0].type == FLOWLOG_VALUE_INT || key[0].type == FLOWLOG_VALUE_TIME);
}

static int new_group(flowlog_query *q, flowlog_value *key, uint64_t first, size_t *out)
{
    if (q->ngroups >= q->max_groups)
        return flowlog__query_limit_error(q, "groups");
    int mem = flowlog__query_memory_check_spill(q);
    if (mem < 0)
        return mem;
    if (q->ngroups == q->groups_cap) {
        size_t cap = q->groups_cap ? q->groups_cap * 2 : 256;
        if (q->gkeys_cap < cap) {
            int rc = grow(q, (void **)&q->gkeys, sizeof *q->gkeys * (size_t)(q->nkeys ? q->nkeys : 1), q->gkeys_cap, cap);
            if (rc < 0)
                return rc;
            q->gkeys_cap = cap;
        }
        if (q->gfirst_cap < cap) {
            int rc = grow(q, (void **)&q->gfirst, sizeof *q->gfirst, q->gfirst_cap, cap);
            if (rc < 0)
                return rc;
            q->gfirst_cap = cap;
        }
        int rc = grow(q, (void **)&q->gaccs, sizeof *q->gaccs * (size_t)(q->naggs ? q->naggs : 1), q->groups_cap, cap);
        if (rc < 0)
            return rc;
        q->groups_cap = cap;
    }
    size_t g = q->ngroups;
    q->gfirst[g] = first;
    for (int k = 0; k < q->nkeys; k++) {
        int rc = flowlog__query_keep_value(q, &q->data, &key[k]);
        if (rc < 0)
            return rc;
        q->gkeys[g * (size_t)q->nkeys + (size_t)k] = key[k];
    }
    memset(q->gaccs + g * (size_t)q->naggs, 0, sizeof *q->gaccs * (size_t)q->naggs);
    q->ngroups++;
    *out = g;
    return FLOWLOG_OK;
}

static int group_of(flowlog_query *q, flowlog_value *key, uint64_t h, uint64_t first, struct qslot **out, bool *made);

/* Groups by one small whole number (a port, a protocol): an array indexed
 * by the value, a quarter of a megabyte, which stays in cache where a hash
 * table of the same groups would not; and when every aggregate is count(*),
 * the counts in another. */
static int dense_count(flowlog_query *q, flowlog_value *key, const flowlog_value *vals)
{
    size_t v = (size_t)key->i;
    if (!q->dense_group) {
        q->dense_group = flowlog__calloc(&q->alloc, QUERY_DENSE_KEYS, sizeof *q->dense_group);
        if (!q->dense_group)
            return FLOWLOG_E_NOMEM;
    }
    if (!q->counts_only) {
        /* the array finds the group the table holds (merges look there) */
        if (FLOWLOG__UNLIKELY(!q->dense_group[v])) {
            struct qslot *sl;
            bool made;
            int rc = group_of(q, key, keys_hash(key, 1), q->record_seq, &sl, &made);
            if (rc < 0)
                return rc;
            q->dense_group[v] = sl->group;
        }
        return accumulate(q, q->dense_group[v] - 1, vals);
    }
    if (!q->dense && !(q->dense = flowlog__calloc(&q->alloc, QUERY_DENSE_KEYS, sizeof *q->dense)))
        return FLOWLOG_E_NOMEM;
    if (FLOWLOG__LIKELY(q->dense[v] - 1 < UINT32_MAX - 1)) {
        q->dense[v]++;
        return FLOWLOG_OK;
    }
    if (q->dense[v]) {
        /* Four billion records of one value: carry on in the group (count(*) sums nothing: isum is free). */
        q->gaccs[(size_t)(q->dense_group[v] - 1) * (size_t)q->naggs].isum += (int64_t)q->dense[v];
        q->dense[v] = 1;
        return FLOWLOG_OK;
    }
    size_t g;
    int rc = new_group(q, key, q->record_seq, &g);
    if (rc < 0)
        return rc;
    q->dense_group[v] = (uint32_t)g + 1;
    q->dense[v] = 1;
    return FLOWLOG_OK;
}

/* The slot of the group of key (hash h), found or made (its first record
 * `first`); *made says which. */
static int group_of(flowlog_query *q, flowlog_value *key, uint64_t h, uint64_t first, struct qslot **out, bool *made)
{
    *made = false;
    /* At most three quarters full: linear probes stay short, and the table
     * of millions of groups takes a third less memory than at half. */
    if (q->ngroups * 4 >= q->nslots * 3) {
        size_t cap = q->nslots ? q->nslots * 2 : 1024;
        struct qslot *fresh = flowlog__calloc_table(&q->alloc, cap, sizeof *fresh);
        if (!fresh)
            return FLOWLOG_E_NOMEM;
        for (size_t i = 0; i < q->nslots; i++) {
            if (!q->slots[i].group)
                continue;
            size_t j = q->slots[i].hash & (cap - 1);
            while (fresh[j].group)
                j = (j + 1) & (cap - 1);
            fresh[j] = q->slots[i];
        }
        FLOWLOG__FREE(&q->alloc, q->slots, q->nslots * sizeof *q->slots);
        q->slots = fresh;
        q->nslots = cap;
        flowlog__keycache_clear(q);
    }
    bool decided = hash_decides(key, q->nkeys);
    uint32_t type = q->nkeys == 1 ? (uint32_t)key[0].type : 0;
    size_t j = h & (q->nslots - 1);
    for (; q->slots[j].group; j = (j + 1) & (q->nslots - 1)) {
        struct qslot *sl = &q->slots[j];
        if (sl->hash != h || sl->type != type)
            continue;
        if (decided) {
            *out = sl;
            return FLOWLOG_OK;
        }
        const flowlog_value *gk = q->gkeys + (size_t)(sl->group - 1) * (size_t)q->nkeys;
        int k = 0;
        while (k < q->nkeys && flowlog__value_equal(&gk[k], &key[k]))
            k++;
        if (k == q->nkeys) {
            *out = sl;
            return FLOWLOG_OK;
        }
    }
    size_t g;
    int rc = new_group(q, key, first, &g);
    if (rc < 0)
        return rc;
    q->slots[j].hash = h;
    q->slots[j].group = (uint32_t)g + 1;
    q->slots[j].type = type;
    q->slots[j].count = 0;
    *out = &q->slots[j];
    *made = true;
    return FLOWLOG_OK;
}

/* The bytes the next record may add at once: the tables it would double
 * (those of the groups only when it may make one). */
static size_t next_growth(const flowlog_query *q, bool new_group)
{
    size_t extra = 0;
    if (new_group && (q->ngroups + 1) * 4 >= q->nslots * 3)
        extra += 2 * q->nslots * sizeof *q->slots;
    if (new_group && q->ngroups + 1 >= q->groups_cap) {
        size_t keys = (size_t)(q->nkeys ? q->nkeys : 1), aggs = (size_t)(q->naggs ? q->naggs : 1);
        extra += q->groups_cap * (keys * sizeof *q->gkeys + aggs * sizeof *q->gaccs + sizeof *q->gfirst);
    }
    return q->distinct_aggs ? extra + flowlog__distinct_growth(q) : extra;
}

static bool spill_due(const flowlog_query *q, bool new_group)
{
    if (!q->spill_dir || !q->max_memory || !q->ngroups)
        return false;
    if (q->spill_pending)
        return true;
    size_t extra = next_growth(q, new_group);
    return extra && flowlog__query_memory(q) + extra > q->max_memory;
}

bool flowlog__query_spill_due(const flowlog_query *q)
{
    return spill_due(q, true);
}

/* Records waiting for their group, when groups are many (the key cache
 * found most keys new): each one's slot is asked for as it comes and its
 * group found this many records later, so that the misses of a table far
 * larger than the cache overlap; halfway, the slot is read and the group's
 * keys and accumulators are asked for too. Every record of the query
 * passes through in order (one that cannot wait first lets all waiting
 * ones through), so groups are made, and values added, in the order of the
 * records. Only aggregates that need nothing of the record but its values
 * wait: count, sum, avg, min, max, stddev. */
#define GROUP_AHEAD 16
#define GROUP_AHEAD_KEYS 4
#define GROUP_AHEAD_AGGS 8
#define GROUP_AHEAD_TEXT 16

struct qgroup_ahead {
    uint32_t dense_g; /* a record of a port's group (dense_wait): the group + 1, its key not kept; 0: by its key */
    uint64_t hash, seq;
    flowlog_value key[GROUP_AHEAD_KEYS], vals[GROUP_AHEAD_AGGS];
    char text[GROUP_AHEAD_KEYS][GROUP_AHEAD_TEXT];
};

static bool group_ahead_fits(const flowlog_query *q)
{
    if (q->nkeys < 1 || q->nkeys > GROUP_AHEAD_KEYS || q->naggs > GROUP_AHEAD_AGGS)
        return false;
    for (int k = 0; k < q->naggs; k++) {
        qagg a = q->aggs[k];
        if (a != AGG_COUNT_ALL && a != AGG_COUNT && a != AGG_SUM && a != AGG_AVG && a != AGG_MIN && a != AGG_MAX &&
            a != AGG_STDDEV)
            return false;
    }
    return true;
}

/* Group the oldest waiting record; with spill, write the groups out first
 * when they are due to be (not while they are being written out). */
static int group_oldest(flowlog_query *q, bool spill)
{
    if (spill && FLOWLOG__UNLIKELY(q->spill_dir) && flowlog__query_spill_due(q)) {
        int rc = flowlog__spill_groups(q); /* which lets every waiting record through first, in order */
        if (rc < 0 || !q->gahead_n)
            return rc;
    }
    struct qgroup_ahead *at = &q->gahead[q->gahead_at];
    q->gahead_at = (q->gahead_at + 1) % GROUP_AHEAD;
    q->gahead_n--;
    /* Its place is not written again before the next record waits: read
     * where it is (a copy of the whole place, some 600 bytes, cost more
     * than the rest of a record's grouping). */
    if (at->dense_g)
        return accumulate(q, at->dense_g - 1, at->vals);
    struct qslot *sl;
    bool made;
    int rc = group_of(q, at->key, at->hash, at->seq, &sl, &made);
    return rc < 0 ? rc : count_in(q, sl, at->vals);
}

static int groups_let_through(flowlog_query *q, bool spill)
{
    while (q->gahead_n) {
        int rc = group_oldest(q, spill);
        if (rc < 0) {
            q->gahead_n = 0; /* what waited is lost with the query */
            return rc;
        }
    }
    return FLOWLOG_OK;
}

/* Ask for the group the slots name for a waiting record (the first whose
 * hash agrees), its slot being in cache by now. */
static void prefetch_group(const flowlog_query *q, const struct qgroup_ahead *e)
{
    if (!q->nslots || e->dense_g) /* a port's record asked for its accumulators as it came */
        return;
    for (size_t j = e->hash & (q->nslots - 1); q->slots[j].group; j = (j + 1) & (q->nslots - 1))
        if (q->slots[j].hash == e->hash) {
            size_t g = q->slots[j].group - 1;
            FLOWLOG__PREFETCH(q->gkeys + g * (size_t)q->nkeys);
            if (q->naggs)
                FLOWLOG__PREFETCH(q->gaccs + g * (size_t)q->naggs);
            return;
        }
}

/* The ring's place for the next record to wait, made by letting the
 * oldest through when it is full (a port's record asks nothing of memory;
 * another may write the groups out first). NULL with *rc 0 when there is
 * no memory for the ring (the record goes the direct way), or with the
 * error of the record let through. */
static struct qgroup_ahead *wait_place(flowlog_query *q, int *rc)
{
    *rc = 0;
    if (!q->gahead && !(q->gahead = flowlog__calloc(&q->alloc, GROUP_AHEAD, sizeof *q->gahead)))
        return NULL;
    while (q->gahead_n == GROUP_AHEAD)
        if ((*rc = group_oldest(q, !q->gahead[q->gahead_at].dense_g)) < 0)
            return NULL;
    return &q->gahead[(q->gahead_at + q->gahead_n) % GROUP_AHEAD];
}

/* The aggregates' values of a waiting record (count(*) has none, and
 * agg_values() leaves it unset); text is counted, never summed: not kept. */
static void wait_values(const flowlog_query *q, struct qgroup_ahead *e, const flowlog_value *vals)
{
    for (int k = 0; k < q->naggs && !q->counts_only; k++) {
        if (q->aggs[k] == AGG_COUNT_ALL)
            continue;
        e->vals[k] = vals[k];
        if (vals[k].type == FLOWLOG_VALUE_STRING) {
            e->vals[k].s = "";
            e->vals[k].len = 0;
        }
    }
}

/* The record of key and vals made to wait: 1; 0 when it cannot (text too
 * long to hold); or an error of the record it let through. */
static int group_wait(flowlog_query *q, const flowlog_value *key, const flowlog_value *vals)
{
    for (int k = 0; k < q->nkeys; k++)
        if (key[k].type == FLOWLOG_VALUE_STRING && key[k].len > GROUP_AHEAD_TEXT)
            return 0;
    int rc;
    struct qgroup_ahead *e = wait_place(q, &rc);
    if (!e)
        return rc;
    e->dense_g = 0;
    e->hash = keys_hash(key, q->nkeys);
    e->seq = q->record_seq;
    for (int k = 0; k < q->nkeys; k++) {
        e->key[k] = key[k];
        if (key[k].type == FLOWLOG_VALUE_STRING) { /* the line's text is gone when the record goes in */
            if (key[k].len)
                memcpy(e->text[k], key[k].s, key[k].len);
            e->key[k].s = e->text[k];
        }
    }
    wait_values(q, e, vals);
    if (q->nslots)
        FLOWLOG__PREFETCH(&q->slots[e->hash & (q->nslots - 1)]);
    q->gahead_n++;
    if (q->gahead_n > GROUP_AHEAD / 2)
        prefetch_group(q, &q->gahead[(q->gahead_at + q->gahead_n - 1 - GROUP_AHEAD / 2) % GROUP_AHEAD]);
    return 1;
}

/* Groups by a port: past this many accumulators (of 64 bytes) they no
 * longer stay in the cache, and a record of a known port waits for its
 * group's accumulators as a record of a hashed key does for its slot. */
#define DENSE_WAIT_ACCS 4096

/* The record of a port whose group exists made to wait, its accumulators
 * asked for: 1; 0 when it goes the direct way (a new port, few groups,
 * aggregates that keep values); or an error of the record it let through.
 * Its values grow nothing, so letting it through asks nothing of memory;
 * groups written out let it through first. */
static int dense_wait(flowlog_query *q, const flowlog_value *key, const flowlog_value *vals)
{
    uint32_t g1 = q->dense_group ? q->dense_group[key->i] : 0;
    if (!g1 || q->ngroups * (size_t)q->naggs < DENSE_WAIT_ACCS)
        return 0;
    if (FLOWLOG__UNLIKELY(!q->gahead_fits))
        q->gahead_fits = group_ahead_fits(q) ? 1 : 2;
    if (q->gahead_fits != 1)
        return 0;
    int rc;
    struct qgroup_ahead *e = wait_place(q, &rc);
    /* a record of another key let through may have written the groups out */
    if (!e || !q->dense_group || !(g1 = q->dense_group[key->i]))
        return rc;
    e->dense_g = g1;
    wait_values(q, e, vals);
    const char *accs = (const char *)(q->gaccs + (size_t)(g1 - 1) * (size_t)q->naggs);
    for (size_t at = 0; at < (size_t)q->naggs * sizeof *q->gaccs; at += 64)
        FLOWLOG__PREFETCH(accs + at);
    q->gahead_n++;
    return 1;
}

void flowlog__query_waiting_clear(flowlog_query *q)
{
    if (q->gahead)
        FLOWLOG__FREE(&q->alloc, q->gahead, GROUP_AHEAD * sizeof *q->gahead);
    q->gahead = NULL;
    q->gahead_n = q->gahead_at = 0;
}

int flowlog__query_group(flowlog_query *q)
{
    flowlog_value key[QUERY_MAX_KEYS], vals[QUERY_MAX_AGGS];
    qkeybytes raw;
    if (FLOWLOG__UNLIKELY(!q->keycache_known)) {
        q->keycache_on = flowlog__keycache_applies(q);
        q->keycache_known = true;
    }
    bool cached = q->keycache_on && q->rec && flowlog__keycache_key(q, &raw);
    if (cached) {
        size_t at = flowlog__keycache_find(q, &raw);
        if (FLOWLOG__UNLIKELY(++q->keycache_tries == 65536)) {
            /* most keys new (many groups): the cache costs a probe and a
             * line written per record, and gives nothing */
            q->keycache_on = q->keycache_hits >= q->keycache_tries / 2;
            q->keycache_tries = q->keycache_hits = 0;
        }
        q->keycache_hits += at != 0;
        if (at) {
            /* key bytes seen before: their group, its keys known good */
            if (!q->counts_only && agg_values(q, vals))
                return q->bad;
            /* a group of the cache's is no new group: only its values may grow */
            if (FLOWLOG__UNLIKELY(q->spill_dir) && spill_due(q, false)) {
                int rc = flowlog__spill_groups(q); /* the groups go, and the cache with them */
                if (rc < 0)
                    return rc;
            } else {
                return count_in(q, &q->slots[at - 1], vals);
            }
        }
    }
    for (int k = 0; k < q->nkeys; k++)
        flowlog__query_eval(q, q->keys[k], NULL, NULL, &key[k]);
    bool dense = q->nkeys == 1 && key[0].type == FLOWLOG_VALUE_INT && key[0].i >= 0 && key[0].i < QUERY_DENSE_KEYS;
    /* a port's group's accumulators, among tens of thousands, asked for
     * while the aggregates' values are read */
    if (dense && !q->counts_only && q->dense_group && q->dense_group[key[0].i])
        FLOWLOG__PREFETCH(q->gaccs + (size_t)(q->dense_group[key[0].i] - 1) * (size_t)q->naggs);
    if (q->bad || (!q->counts_only && agg_values(q, vals)))
        return q->bad;
    if (!q->keycache_on && !dense) {
        if (FLOWLOG__UNLIKELY(!q->gahead_fits))
            q->gahead_fits = group_ahead_fits(q) ? 1 : 2;
        int waited = q->gahead_fits == 1 ? group_wait(q, key, vals) : 0;
        if (waited)
            return waited < 0 ? waited : FLOWLOG_OK;
    } else if (dense && !q->counts_only) {
        int waited = dense_wait(q, key, vals);
        if (waited)
            return waited < 0 ? waited : FLOWLOG_OK;
    }
    if (q->gahead_n) {
        int rc = groups_let_through(q, true);
        if (rc < 0)
            return rc;
    }
    if (FLOWLOG__UNLIKELY(q->spill_dir) && flowlog__query_spill_due(q)) {
        int rc = flowlog__spill_groups(q);
        if (rc < 0)
            return rc;
    }
    if (dense)
        return dense_count(q, key, vals);
    struct qslot *sl;
    bool made;
    int rc = group_of(q, key, keys_hash(key, q->nkeys), q->record_seq, &sl, &made);
    if (rc < 0)
        return rc;
    if (cached)
        flowlog__keycache_put(q, &raw, (size_t)(sl - q->slots));
    return count_in(q, sl, vals);
}

uint64_t flowlog__query_keys_hash(const flowlog_value *key, int nkeys)
{
    return keys_hash(key, nkeys);
}

void flowlog__query_prefetch_slot(const flowlog_query *q, uint64_t h)
{
    if (q->nslots)
        FLOWLOG__PREFETCH(&q->slots[h & (q->nslots - 1)]);
}

/* A group's kept value (earliest, latest, sortsFirst, sortsLast, pct)
 * merged with the one written out. */
static int merge_kept(flowlog_query *q, qacc *acc, qagg kind, const qacc *in)
{
    const qkept *from = in->kept;
    if (!from || !in->count)
        return FLOWLOG_OK;
    if (kind == AGG_PCT) {
        for (size_t i = 0; i < from->nvals; i++) {
            flowlog_value v = {.type = FLOWLOG_VALUE_FLOAT, .f = from->vals[i]};
            int rc = keep_value(q, acc, kind, 0, &v);
            if (rc < 0)
                return rc;
        }
        return FLOWLOG_OK;
    }
    qkept *k = kept_of(q, acc);
    if (!k)
        return FLOWLOG_E_NOMEM;
    bool take;
    /* What was written out came from earlier records than what is held
     * for the same group only when read back in file order: ties keep the
     * order of the records (earliest: the first; latest: the last). */
    if (kind == AGG_EARLIEST || kind == AGG_LATEST)
        take = !acc->count || (kind == AGG_EARLIEST ? from->t < k->t : from->t >= k->t);
    else {
        int c = acc->count ? flowlog__value_order(&from->v, &k->v) : 0;
        take = !acc->count || (kind == AGG_SORTS_FIRST ? c < 0 : c > 0);
    }
    acc->count += in->count;
    if (!take)
        return FLOWLOG_OK;
    k->t = from->t;
    return keep_pick(q, k, &from->v);
}

/* A count(*)-only query keeps its counts in the dense array and the slots
 * until it settles: what is merged goes there too. */
static int merge_counts(flowlog_query *q, flowlog_value *key, uint64_t h, uint64_t first, uint64_t count)
{
    size_t g;
    if (!count)
        return FLOWLOG_OK; /* no record made it: nothing to show */
    if (q->nkeys == 1 && key[0].type == FLOWLOG_VALUE_INT && key[0].i >= 0 && key[0].i < QUERY_DENSE_KEYS) {
        size_t v = (size_t)key[0].i;
        if (!q->dense || !q->dense_group[v]) {
            int rc = dense_count(q, key, NULL); /* makes the group with a count of one */
            if (rc < 0)
                return rc;
            count--;
            q->gfirst[q->dense_group[v] - 1] = first;
        }
        g = q->dense_group[v] - 1;
        q->gaccs[g * (size_t)q->naggs].isum += (int64_t)count;
    } else {
        struct qslot *sl;
        bool made;
        int rc = group_of(q, key, h, first, &sl, &made);
        if (rc < 0)
            return rc;
        g = sl->group - 1;
        sl->count += count;
    }
    if (first < q->gfirst[g])
        q->gfirst[g] = first;
    return FLOWLOG_OK;
}

int flowlog__query_merge_group(flowlog_query *q, flowlog_value *key, uint64_t h, uint64_t first, const qacc *in)
{
    if (q->counts_only)
        return merge_counts(q, key, h, first, q->naggs ? in[0].count : 0);
    struct qslot *sl;
    bool made;
    int rc = group_of(q, key, h, first, &sl, &made);
    if (rc < 0)
        return rc;
    size_t g = sl->group - 1;
    if (first < q->gfirst[g])
        q->gfirst[g] = first;
    qacc *accs = q->gaccs + g * (size_t)q->naggs;
    for (int k = 0; k < q->naggs; k++) {
        qacc *acc = &accs[k];
        const qacc *from = &in[k];
        switch (q->aggs[k]) {
        case AGG_COUNT_ALL:
        case AGG_COUNT:
            acc->count += from->count;
            break;
        case AGG_COUNT_DISTINCT:
            break; /* counted as its values are merged */
        case AGG_PCT:
        case AGG_EARLIEST:
        case AGG_LATEST:
        case AGG_SORTS_FIRST:
        case AGG_SORTS_LAST:
            if ((rc = merge_kept(q, acc, q->aggs[k], from)) < 0)
                return rc;
            break;
        default: {
            if (!from->count)
                break;
            if (q->aggs[k] == AGG_STDDEV && acc->count) {
                /* Chan et al.: the two parts' sums of squared distances
                 * from their means, joined */
                double na = (double)acc->count, nb = (double)from->count;
                double delta = (from->fsum + (double)from->isum) / nb - (acc->fsum + (double)acc->isum) / na;
                acc->m2 += from->m2 + delta * delta * na * nb / (na + nb);
            } else if (q->aggs[k] == AGG_STDDEV) {
                acc->m2 = from->m2;
            }
            if ((from->isum > 0 && acc->isum > INT64_MAX - from->isum) ||
                (from->isum < 0 && acc->isum < INT64_MIN - from->isum)) {
                acc->fsum += (double)from->isum;
                acc->floats = true;
            } else {
                acc->isum += from->isum;
            }
            acc->fsum += from->fsum;
            acc->floats = acc->floats || from->floats;
            acc->times = from->times && (!acc->count || acc->times);
            if (!acc->count || from->min < acc->min)
                acc->min = from->min;
            if (!acc->count || from->max > acc->max)
                acc->max = from->max;
            acc->count += from->count;
            break;
        }
        }
    }
    return FLOWLOG_OK;
}

int flowlog__query_merge_distinct(flowlog_query *q, flowlog_value *key, uint64_t h, uint32_t agg,
                                  const flowlog_value *v)
{
    size_t g;
    int rc = flowlog__query_group_index(q, key, h, &g);
    return rc < 0 ? rc : flowlog__distinct_add(q, (uint32_t)g, agg, v);
}

int flowlog__query_group_index(flowlog_query *q, flowlog_value *key, uint64_t h, size_t *g)
{
    struct qslot *sl;
    bool made;
    int rc = group_of(q, key, h, UINT64_MAX, &sl, &made);
    if (rc < 0)
        return rc;
    *g = sl->group - 1;
    return FLOWLOG_OK;
}

int flowlog__query_merge_distinct_in(flowlog_query *q, size_t g, uint32_t agg, const flowlog_value *v)
{
    return flowlog__distinct_add(q, (uint32_t)g, agg, v);
}

#define SWAP(a, b)                                                                                                     \
    do {                                                                                                               \
        char tmp_[sizeof(a)];                                                                                          \
        memcpy(tmp_, &(a), sizeof(a));                                                                                 \
        memcpy(&(a), &(b), sizeof(a));                                                                                 \
        memcpy(&(b), tmp_, sizeof(a));                                                                                 \
    } while (0)

bool flowlog__query_groups_adopt(flowlog_query *q, flowlog_query *part)
{
    if (q->ngroups || !flowlog__distinct_none(q) || part->distinct.ahead_n || part->distinct.nbatch ||
        q->record_seq || q->data.total || q->kept_bytes || q->nkept_values || q->slots || q->dense || q->dense_group || q->gaccs ||
        q->gkeys || q->gfirst || q->counts_only != part->counts_only)
        return false;
    SWAP(q->data, part->data);
    SWAP(q->slots, part->slots);
    SWAP(q->dense, part->dense);
    SWAP(q->dense_group, part->dense_group);
    SWAP(q->keycache, part->keycache);
    SWAP(q->keycache_on, part->keycache_on);
    SWAP(q->keycache_known, part->keycache_known);
    SWAP(q->keycache_tries, part->keycache_tries);
    SWAP(q->keycache_hits, part->keycache_hits);
    SWAP(q->nslots, part->nslots);
    SWAP(q->gkeys, part->gkeys);
    SWAP(q->gfirst, part->gfirst);
    SWAP(q->gaccs, part->gaccs);
    SWAP(q->ngroups, part->ngroups);
    SWAP(q->groups_cap, part->groups_cap);
    SWAP(q->gkeys_cap, part->gkeys_cap);
    SWAP(q->gfirst_cap, part->gfirst_cap);
    SWAP(q->distinct, part->distinct);
    SWAP(q->kept_bytes, part->kept_bytes);
    SWAP(q->nkept_values, part->nkept_values);
    return true;
}

static void free_kept(flowlog_query *q)
{
    bool any = false;
    for (int k = 0; k < q->naggs; k++)
        any = any || flowlog__agg_keeps(q->aggs[k]);
    for (size_t g = 0; any && g < q->ngroups; g++)
        for (int k = 0; k < q->naggs; k++) {
            qkept *kept = q->gaccs[g * (size_t)q->naggs + (size_t)k].kept;
            if (!flowlog__agg_keeps(q->aggs[k]) || !kept)
                continue;
            if (kept->buf)
                FLOWLOG__FREE(&q->alloc, kept->buf, kept->buf_cap);
            if (kept->vals)
                FLOWLOG__FREE(&q->alloc, kept->vals, kept->vals_cap * sizeof *kept->vals);
            FLOWLOG__FREE(&q->alloc, kept, sizeof *kept);
        }
    q->nkept_values = 0;
    q->kept_bytes = 0;
}

void flowlog__query_groups_clear(flowlog_query *q)
{
    free_kept(q);
    flowlog__keycache_free(q);
    /* the groups start over: whether the cache pays is asked again */
    q->keycache_known = false;
    q->keycache_tries = q->keycache_hits = 0;
    FLOWLOG__FREE(&q->alloc, q->slots, q->nslots * sizeof *q->slots);
    if (q->dense)
        FLOWLOG__FREE(&q->alloc, q->dense, QUERY_DENSE_KEYS * sizeof *q->dense);
    if (q->dense_group)
        FLOWLOG__FREE(&q->alloc, q->dense_group, QUERY_DENSE_KEYS * sizeof *q->dense_group);
    q->dense = NULL;
    q->dense_group = NULL;
    FLOWLOG__FREE(&q->alloc, q->gkeys, q->gkeys_cap * sizeof *q->gkeys * (size_t)(q->nkeys ? q->nkeys : 1));
    FLOWLOG__FREE(&q->alloc, q->gaccs, q->groups_cap * sizeof *q->gaccs * (size_t)(q->naggs ? q->naggs : 1));
    flowlog__distinct_clear(q);
    FLOWLOG__FREE(&q->alloc, q->gfirst, q->gfirst_cap * sizeof *q->gfirst);
    q->gfirst = NULL;
    q->gfirst_cap = 0;
    q->slots = NULL;
    q->gkeys = NULL;
    q->gaccs = NULL;
    q->nslots = q->ngroups = q->groups_cap = q->gkeys_cap = 0;
    /* count_distinct values waiting went in before the groups were written
     * out (settle); records waiting for their group stay, for the groups
     * that come next */
    flowlog__arena_free(&q->data, &q->alloc);
}

size_t flowlog__query_memory(const flowlog_query *q)
{
    size_t keys = (size_t)(q->nkeys ? q->nkeys : 1), aggs = (size_t)(q->naggs ? q->naggs : 1);
    size_t width = flowlog__row_width(q);
    return q->nslots * sizeof *q->slots + q->gkeys_cap * keys * sizeof *q->gkeys + q->groups_cap * aggs * sizeof *q->gaccs +
           flowlog__distinct_memory(q) + q->seen_cap * 16 + q->data.total + q->rowtext.total + q->kept_bytes +
           q->gfirst_cap * sizeof *q->gfirst +
           q->rows_cap * width * sizeof *q->rows + (q->dense ? QUERY_DENSE_KEYS * sizeof *q->dense : 0) +
           (q->dense_group ? QUERY_DENSE_KEYS * sizeof *q->dense_group : 0) +
           flowlog__keycache_memory(q);
}

int flowlog__query_memory_check(flowlog_query *q)
{
    if (!q->max_memory || flowlog__query_memory(q) <= q->max_memory)
        return FLOWLOG_OK;
    flowlog__error_set(&q->err, 0, -1,
                       "the query needs more than %zu MiB for its groups, values and rows: raise the memory limit or "
                       "narrow the query",
                       q->max_memory >> 20);
    return FLOWLOG_E_LIMIT;
}

int flowlog__query_memory_check_spill(flowlog_query *q)
{
    if (!q->spill_dir || !q->max_memory)
        return flowlog__query_memory_check(q);
    if (flowlog__query_memory(q) > q->max_memory)
        q->spill_pending = true;
    return FLOWLOG_OK;
}
