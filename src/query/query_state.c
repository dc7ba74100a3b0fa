/* A stats query's groups as bytes, and bytes merged back: so parts of the
 * records, read apart (threads, processes, the workers of a cluster), give
 * the one answer. The groups go out in the order of their first records,
 * and a state merged has its records counted after those already held,
 * so merging the parts of a sequence in order gives the rows, in the same
 * order, that one pass over it gives; and equal states are equal bytes.
 *
 * The entries are those query_spill.c writes; the frame around them is a
 * magic, a version, what the query is (its text's hash, keys, aggregates),
 * the records it was fed, and a checksum of everything. */
#include "query_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define STATE_MAGIC "FLQS"
#define STATE_VERSION 1u
#define STATE_HEAD ((size_t)4 + 8 * 6)

static uint64_t checksum(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

/* What the aggregates are, in one number: kinds and pct's parameters. */
static uint64_t shape_of(const flowlog_query *q)
{
    uint64_t h = 0x84222325cbf29ce4u ^ (uint64_t)q->nkeys << 32 ^ (uint64_t)q->naggs;
    for (int k = 0; k < q->naggs; k++) {
        uint64_t p;
        memcpy(&p, &q->agg_param[k], sizeof p);
        h = (h ^ (uint64_t)q->aggs[k]) * 0x100000001b3u;
        h = (h ^ p) * 0x100000001b3u;
    }
    return h;
}

static int unsupported(flowlog_query *q)
{
    flowlog__error_set(&q->err, 0, -1,
                       "only a stats query's groups, held in memory before finish, are a state that merges");
    return FLOWLOG_E_UNSUPPORTED;
}

typedef struct order_entry {
    uint64_t first;
    size_t group;
} order_entry;

static int by_first(const void *a, const void *b)
{
    const order_entry *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

typedef struct distinct_entry {
    uint64_t first;
    uint32_t group, agg;
    flowlog_value v;
} distinct_entry;

static int by_group_then_value(const void *a, const void *b)
{
    const distinct_entry *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    if (x->agg != y->agg)
        return x->agg < y->agg ? -1 : 1;
    int c = flowlog__value_order(&x->v, &y->v);
    if (c || x->v.type == y->v.type)
        return c;
    return x->v.type < y->v.type ? -1 : 1;
}

static void put_u64(FILE *f, uint64_t v)
{
    (void)fwrite(&v, sizeof v, 1, f);
}

int flowlog_query_serialize(const flowlog_query *cq, void *buf, size_t size, size_t *needed)
{
    if (!cq || !needed || (!buf && size) || !cq->compiled)
        return FLOWLOG_E_ARG;
    /* settling moves counts where the writer reads them; the answer is the same */
    flowlog_query *q = (flowlog_query *)(uintptr_t)cq;
    if (!q->stats || q->finished || flowlog__spill_has_groups(q))
        return unsupported(q);
    int settled = flowlog__query_groups_settle(q);
    if (settled < 0)
        return settled;
    order_entry *order = q->ngroups ? malloc(q->ngroups * sizeof *order) : NULL;
    size_t ndistinct = flowlog__distinct_held(q);
    distinct_entry *dist = ndistinct ? malloc(ndistinct * sizeof *dist) : NULL;
    char (*texts)[16] = ndistinct ? malloc(ndistinct * sizeof *texts) : NULL; /* where addresses are written */
    char *mem = NULL;
    size_t len = 0;
    FILE *f = (!q->ngroups || order) && (!ndistinct || (dist && texts)) ? open_memstream(&mem, &len) : NULL;
    if (!f) {
        free(order);
        free(dist);
        free(texts);
        return FLOWLOG_E_NOMEM;
    }
    fwrite(STATE_MAGIC, 1, 4, f);
    put_u64(f, STATE_VERSION);
    put_u64(f, q->text_hash);
    put_u64(f, shape_of(q));
    put_u64(f, q->record_seq);
    put_u64(f, q->ngroups);
    put_u64(f, ndistinct);
    for (size_t g = 0; g < q->ngroups; g++)
        order[g] = (order_entry){q->gfirst[g], g};
    if (q->ngroups)
        qsort(order, q->ngroups, sizeof *order, by_first);
    for (size_t i = 0; i < q->ngroups; i++) {
        size_t g = order[i].group;
        flowlog__spill_put_group(q, f, g, flowlog__query_keys_hash(q->gkeys + g * (size_t)q->nkeys, q->nkeys));
    }
    size_t n = 0, at = 0;
    uint32_t group, agg;
    flowlog_value v;
    while (n < ndistinct && flowlog__query_distinct_at(q, &at, &group, &agg, &v, texts[n], NULL))
        dist[n++] = (distinct_entry){q->gfirst[group], group, agg, v};
    if (n)
        qsort(dist, n, sizeof *dist, by_group_then_value);
    for (size_t i = 0; i < n; i++)
        flowlog__spill_put_distinct(q, f, dist[i].group, dist[i].agg, &dist[i].v,
                                    flowlog__query_keys_hash(q->gkeys + (size_t)dist[i].group * (size_t)q->nkeys,
                                                             q->nkeys));
    free(order);
    free(dist);
    free(texts);
    bool failed = fflush(f) != 0 || ferror(f);
    uint64_t sum = failed ? 0 : checksum((const unsigned char *)mem, len);
    put_u64(f, sum);
    failed = fclose(f) != 0 || failed;
    if (failed || !mem) {
        free(mem);
        return FLOWLOG_E_NOMEM;
    }
    *needed = len;
    int rc = FLOWLOG_OK;
    if (size < len)
        rc = FLOWLOG_E_RANGE;
    else if (len)
        memcpy(buf, mem, len);
    free(mem);
    return rc;
}

static uint64_t get_u64_at(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static int corrupt(flowlog_query *q, const char *why)
{
    flowlog__error_set(&q->err, 0, -1, "the query state is corrupt: %s", why);
    return FLOWLOG_E_CORRUPT;
}

int flowlog_query_merge(flowlog_query *q, const void *buf, size_t len)
{
    if (!q || (!buf && len) || !q->compiled)
        return FLOWLOG_E_ARG;
    if (!q->stats || q->finished)
        return unsupported(q);
    const unsigned char *p = buf;
    if (len < STATE_HEAD + 8 || memcmp(p, STATE_MAGIC, 4) != 0)
        return corrupt(q, "it is not one");
    if (checksum(p, len - 8) != get_u64_at(p + len - 8))
        return corrupt(q, "its checksum does not match");
    if (get_u64_at(p + 4) != STATE_VERSION) {
        flowlog__error_set(&q->err, 0, -1, "the query state is of version %llu; this library reads %u",
                           (unsigned long long)get_u64_at(p + 4), STATE_VERSION);
        return FLOWLOG_E_VERSION;
    }
    if (get_u64_at(p + 12) != q->text_hash || get_u64_at(p + 20) != shape_of(q)) {
        flowlog__error_set(&q->err, 0, -1, "the query state is of another query");
        return FLOWLOG_E_ARG;
    }
    uint64_t records = get_u64_at(p + 28), ngroups = get_u64_at(p + 36), ndistinct = get_u64_at(p + 44);
    FILE *f = fmemopen((void *)(uintptr_t)(p + STATE_HEAD), len - STATE_HEAD - 8, "rb");
    if (!f)
        return FLOWLOG_E_NOMEM;
    uint64_t offset = q->record_seq, entries = 0;
    int rc;
    for (;;) {
        if (q->spill_dir && flowlog__query_spill_due(q) && (rc = flowlog__spill_groups(q)) < 0)
            break;
        rc = flowlog__spill_merge_entry(q, f, offset, len);
        if (rc != FLOWLOG_OK)
            break;
        entries++;
    }
    fclose(f);
    if (rc == FLOWLOG_E_IO || (rc == FLOWLOG_END && entries != ngroups + ndistinct))
        return corrupt(q, "its entries do not read back");
    if (rc != FLOWLOG_END)
        return rc;
    q->record_seq += records;
    q->fed = true;
    return FLOWLOG_OK;
}

/* A state of the same query held in memory (a thread's part) merged into
 * q, as flowlog_query_merge() would merge its bytes, without making them. */
int flowlog__query_absorb(flowlog_query *q, flowlog_query *part)
{
    if (!q->stats || q->finished || !part->stats || part->finished || flowlog__spill_has_groups(part))
        return unsupported(q);
    if (part->text_hash != q->text_hash)
        return FLOWLOG_E_ARG;
    int settled = flowlog__query_groups_settle(part);
    if (settled < 0)
        return settled;
    /* a part fed in one pass made its groups in the order of their first records */
    bool in_order = true;
    for (size_t g = 1; g < part->ngroups && in_order; g++)
        in_order = part->gfirst[g - 1] < part->gfirst[g];
    /* The first part into a query that holds nothing yet: its groups as
     * they are, none made again, no value looked up again. */
    if (in_order && !flowlog__spill_has_groups(q) && flowlog__query_groups_adopt(q, part)) {
        q->record_seq = part->record_seq;
        q->fed = true;
        return FLOWLOG_OK;
    }
    order_entry *order = NULL;
    if (!in_order) {
        order = malloc(part->ngroups * sizeof *order);
        if (!order)
            return FLOWLOG_E_NOMEM;
        for (size_t g = 0; g < part->ngroups; g++)
            order[g] = (order_entry){part->gfirst[g], g};
        qsort(order, part->ngroups, sizeof *order, by_first);
    }
    uint64_t offset = q->record_seq;
    int rc = FLOWLOG_OK;
    /* each group's hash made, and its slot in q asked for, eight groups
     * before it is merged: the probes of a large table overlap */
    enum { AHEAD = 8 };
    uint64_t hashes[AHEAD];
    for (size_t i = 0; i < part->ngroups + AHEAD && rc == FLOWLOG_OK; i++) {
        if (i >= AHEAD) { /* the group of AHEAD before, whose hash is in the place this one's goes */
            size_t g = order ? order[i - AHEAD].group : i - AHEAD;
            flowlog_value *key = part->gkeys + g * (size_t)part->nkeys;
            if (q->spill_dir && flowlog__query_spill_due(q) && (rc = flowlog__spill_groups(q)) < 0)
                break;
            rc = flowlog__query_merge_group(q, key, hashes[i % AHEAD], part->gfirst[g] + offset,
                                            part->gaccs + g * (size_t)part->naggs);
        }
        if (i < part->ngroups) {
            size_t g = order ? order[i].group : i;
            hashes[i % AHEAD] = flowlog__query_keys_hash(part->gkeys + g * (size_t)part->nkeys, part->nkeys);
            flowlog__query_prefetch_slot(q, hashes[i % AHEAD]);
        }
    }
    free(order);
    /* Each part group's group in q, found by its key once (until groups
     * are written out) rather than once a value. */
    bool distinct = flowlog__distinct_held(part) != 0;
    uint32_t *in_q = distinct && rc == FLOWLOG_OK ? flowlog__calloc(&q->alloc, part->ngroups, sizeof *in_q) : NULL;
    if (distinct && rc == FLOWLOG_OK && !in_q)
        rc = FLOWLOG_E_NOMEM;
    /* Packed values go in at once when every group of the part has its
     * group in q with nothing written out meanwhile; else one at a time. */
    bool bulk = rc == FLOWLOG_OK && distinct;
    for (size_t g = 0; bulk && g < part->ngroups; g++) {
        flowlog_value *key = part->gkeys + g * (size_t)part->nkeys;
        size_t in;
        bulk = !(q->spill_dir && flowlog__query_spill_due(q));
        if (bulk && (rc = flowlog__query_group_index(q, key, flowlog__query_keys_hash(key, part->nkeys), &in)) < 0)
            bulk = false;
        else if (bulk)
            in_q[g] = (uint32_t)in + 1;
    }
    if (bulk)
        rc = flowlog__distinct_absorb_packed(q, part, in_q);
    size_t at = 0;
    uint32_t group, agg;
    flowlog_value v;
    char text[16];
    uint64_t word;
    size_t table_end = flowlog__distinct_table_end(part);
    while (rc == FLOWLOG_OK && (!bulk || at < table_end) &&
           flowlog__query_distinct_at(part, &at, &group, &agg, &v, text, &word)) {
        if (bulk && word)
            break; /* the table's values are all before the packed ones */
        flowlog_value *key = part->gkeys + (size_t)group * (size_t)part->nkeys;
        if (q->spill_dir && flowlog__query_spill_due(q)) {
            if ((rc = flowlog__spill_groups(q)) < 0)
                break;
            memset(in_q, 0, part->ngroups * sizeof *in_q);
        }
        if (!in_q[group]) {
            size_t g;
            if ((rc = flowlog__query_group_index(q, key, flowlog__query_keys_hash(key, part->nkeys), &g)) < 0)
                break;
            in_q[group] = (uint32_t)g + 1;
        }
        rc = word ? flowlog__distinct_add_word(q, in_q[group] - 1, word)
                  : flowlog__query_merge_distinct_in(q, in_q[group] - 1, agg, &v);
    }
    if (in_q)
        FLOWLOG__FREE(&q->alloc, in_q, part->ngroups * sizeof *in_q);
    if (rc < 0)
        return rc;
    q->record_seq += part->record_seq;
    q->fed = true;
    return FLOWLOG_OK;
}
