/* dedup: the first row of each combination of the named columns, the
 * rest dropped; the combinations seen are kept (their text copied) in a
 * table bounded by the limit on groups. */
#include "query_internal.h"

struct qseen {
    uint64_t hash; /* 0: empty */
    flowlog_value *key;
};

static uint64_t key_hash(const flowlog_query *q, const flowlog_value *row)
{
    uint64_t h = 0x51ed27a3c4f0b19du;
    for (int i = 0; i < q->ndedup; i++)
        h = flowlog__value_hash(&row[q->dedup[i]], h);
    return h | 1;
}

static bool same_key(const flowlog_query *q, const flowlog_value *key, const flowlog_value *row)
{
    for (int i = 0; i < q->ndedup; i++)
        if (!flowlog__value_equal(&key[i], &row[q->dedup[i]]))
            return false;
    return true;
}

int flowlog__query_seen(flowlog_query *q, const flowlog_value *row, bool *seen)
{
    *seen = false;
    if (q->nseen * 2 >= q->seen_cap) {
        int rc = flowlog__table_double(q, (void **)&q->seen, &q->seen_cap, sizeof *q->seen);
        if (rc < 0)
            return rc;
    }
    uint64_t h = key_hash(q, row);
    size_t j = h & (q->seen_cap - 1);
    for (; q->seen[j].hash; j = (j + 1) & (q->seen_cap - 1))
        if (q->seen[j].hash == h && same_key(q, q->seen[j].key, row)) {
            *seen = true;
            return FLOWLOG_OK;
        }
    if (q->nseen >= q->max_groups) {
        flowlog__error_set(&q->err, 0, -1, "more than %zu combinations for dedup: raise the limit on groups",
                           q->max_groups);
        return FLOWLOG_E_LIMIT;
    }
    int mem = flowlog__query_memory_check(q);
    if (mem < 0) {
        /* combinations are not written out: say which part of the query it was */
        flowlog__error_set(&q->err, 0, -1,
                           "dedup needs more than %zu MiB for the combinations it has seen: raise the memory limit or "
                           "narrow the query",
                           q->max_memory >> 20);
        return mem;
    }
    flowlog_value *key = flowlog__arena_alloc(&q->data, &q->alloc, (size_t)q->ndedup * sizeof *key);
    if (!key)
        return FLOWLOG_E_NOMEM;
    for (int i = 0; i < q->ndedup; i++) {
        key[i] = row[q->dedup[i]];
        int rc = flowlog__query_keep_value(q, &q->data, &key[i]);
        if (rc < 0)
            return rc;
    }
    q->seen[j].hash = h;
    q->seen[j].key = key;
    q->nseen++;
    return FLOWLOG_OK;
}

void flowlog__query_seen_clear(flowlog_query *q)
{
    FLOWLOG__FREE(&q->alloc, q->seen, q->seen_cap * sizeof *q->seen);
    q->seen = NULL;
    q->nseen = q->seen_cap = 0;
}
