#include "ledger.h"

#include <stdio.h>

/* How far an input is from read whole: the worse of two accounts of one
 * name wins a merge. */
static int badness(int status)
{
    switch (status) {
    case FLOWLOG_INPUT_COMPLETE: return 0;
    case FLOWLOG_INPUT_READING: return 1;
    case FLOWLOG_INPUT_QUEUED: return 2;
    case FLOWLOG_INPUT_STOPPED: return 3;
    default: return 4;
    }
}

static bool valid_status(uint64_t s)
{
    return s <= FLOWLOG_INPUT_STOPPED;
}

static size_t find(const flowlog__ledger *l, const char *name, bool *found)
{
    size_t lo = 0, hi = l->n;
    /* inputs mostly come in sorted order: the end first */
    if (hi && strcmp(l->e[hi - 1].name, name) < 0) {
        *found = false;
        return hi;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(l->e[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static void free_string(const flowlog_allocator *a, char *s)
{
    if (s)
        FLOWLOG__FREE(a, s, strlen(s) + 1);
}

int flowlog__ledger_add(flowlog__ledger *l, const flowlog_allocator *a, const char *name, int status,
                        uint64_t records, uint64_t errors, const char *reason)
{
    if (!name || !valid_status((uint64_t)status))
        return FLOWLOG_E_ARG;
    /* What is kept is what a serialised state can hold: names of at most
     * FLOWLOG__LEDGER_NAME_MAX bytes (a longer one is looked up as cut),
     * and a reason, of at most a message's size, only for a failed input. */
    char cut[FLOWLOG__LEDGER_NAME_MAX + 1];
    size_t name_len = strnlen(name, FLOWLOG__LEDGER_NAME_MAX + 1);
    if (name_len > FLOWLOG__LEDGER_NAME_MAX) {
        memcpy(cut, name, FLOWLOG__LEDGER_NAME_MAX);
        cut[FLOWLOG__LEDGER_NAME_MAX] = '\0';
        name = cut;
        name_len = FLOWLOG__LEDGER_NAME_MAX;
    }
    if (status != FLOWLOG_INPUT_FAILED || (reason && !*reason))
        reason = NULL;
    size_t reason_len = reason ? strnlen(reason, FLOWLOG__MSG_SIZE - 1) : 0;
    bool found;
    size_t at = find(l, name, &found);
    if (found) {
        flowlog__ledger_entry *e = &l->e[at];
        e->records += records;
        e->errors += errors;
        if (badness(status) > badness(e->status)) {
            e->status = status;
            if (reason && !e->reason) /* kept when memory fails: the status says it */
                e->reason = flowlog__strndup(a, reason, reason_len);
        }
        return FLOWLOG_OK;
    }
    if (l->n == FLOWLOG__LEDGER_MAX) {
        l->more_inputs++;
        l->more_records += records;
        l->more_errors += errors;
        l->more_unread += status != FLOWLOG_INPUT_COMPLETE;
        return FLOWLOG_OK;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        flowlog__ledger_entry *grown = a->realloc(a->ctx, l->e, l->cap * sizeof *l->e, cap * sizeof *l->e);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        l->e = grown;
        l->cap = cap;
    }
    char *copy = flowlog__strndup(a, name, name_len);
    char *why = reason ? flowlog__strndup(a, reason, reason_len) : NULL;
    if (!copy || (reason && !why)) {
        free_string(a, copy);
        free_string(a, why);
        return FLOWLOG_E_NOMEM;
    }
    memmove(&l->e[at + 1], &l->e[at], (l->n - at) * sizeof *l->e);
    l->e[at] = (flowlog__ledger_entry){copy, why, records, errors, status};
    l->n++;
    return FLOWLOG_OK;
}

int flowlog__ledger_add_reader(flowlog__ledger *l, const flowlog_allocator *a, const flowlog_reader *r)
{
    size_t n = flowlog_reader_input_count(r);
    for (size_t i = 0; i < n; i++) {
        const char *name, *reason;
        int status;
        uint64_t records, errors;
        if (flowlog_reader_input(r, i, &name, &status, &records, &errors, &reason) != FLOWLOG_OK)
            return FLOWLOG_E_ARG;
        int rc = flowlog__ledger_add(l, a, name, status, records, errors, reason);
        if (rc < 0)
            return rc;
    }
    return FLOWLOG_OK;
}

int flowlog__ledger_merge(flowlog__ledger *dst, const flowlog_allocator *a, const flowlog__ledger *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const flowlog__ledger_entry *e = &src->e[i];
        int rc = flowlog__ledger_add(dst, a, e->name, e->status, e->records, e->errors, e->reason);
        if (rc < 0)
            return rc;
    }
    dst->more_inputs += src->more_inputs;
    dst->more_records += src->more_records;
    dst->more_errors += src->more_errors;
    dst->more_unread += src->more_unread;
    return FLOWLOG_OK;
}

void flowlog__ledger_free(flowlog__ledger *l, const flowlog_allocator *a)
{
    for (size_t i = 0; i < l->n; i++) {
        free_string(a, l->e[i].name);
        free_string(a, l->e[i].reason);
    }
    if (l->e)
        FLOWLOG__FREE(a, l->e, l->cap * sizeof *l->e);
    memset(l, 0, sizeof *l);
}

bool flowlog__ledger_complete(const flowlog__ledger *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].status != FLOWLOG_INPUT_COMPLETE || l->e[i].errors)
            return false;
    return l->more_unread == 0 && l->more_errors == 0;
}

size_t flowlog__ledger_count(const flowlog__ledger *l)
{
    return l->n;
}

int flowlog__ledger_entry_at(const flowlog__ledger *l, size_t index, const char **name, int *status,
                             uint64_t *records, uint64_t *errors, const char **reason)
{
    if (index >= l->n)
        return FLOWLOG_E_RANGE;
    const flowlog__ledger_entry *e = &l->e[index];
    if (name)
        *name = e->name;
    if (status)
        *status = e->status;
    if (records)
        *records = e->records;
    if (errors)
        *errors = e->errors;
    if (reason)
        *reason = e->reason ? e->reason : "";
    return FLOWLOG_OK;
}

static void put_string(flowlog__writer *w, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    flowlog__put_u64(w, len);
    flowlog__put_bytes(w, s ? s : "", len);
}

void flowlog__ledger_put(flowlog__writer *w, const flowlog__ledger *l)
{
    flowlog__put_u64(w, l->n);
    for (size_t i = 0; i < l->n; i++) {
        const flowlog__ledger_entry *e = &l->e[i];
        put_string(w, e->name);
        put_string(w, e->reason);
        flowlog__put_u64(w, (uint64_t)e->status);
        flowlog__put_u64(w, e->records);
        flowlog__put_u64(w, e->errors);
    }
    flowlog__put_u64(w, l->more_inputs);
    flowlog__put_u64(w, l->more_records);
    flowlog__put_u64(w, l->more_errors);
    flowlog__put_u64(w, l->more_unread);
}

/* A string of at most `max` bytes, without NUL bytes, into buf. */
static bool get_string(flowlog__reader *r, char *buf, size_t max)
{
    uint64_t len = flowlog__get_u64(r);
    if (r->bad || len > max || len > r->len - r->pos) {
        r->bad = true;
        return false;
    }
    flowlog__get_bytes(r, buf, (size_t)len);
    buf[len] = '\0';
    if (memchr(buf, '\0', (size_t)len)) {
        r->bad = true;
        return false;
    }
    return true;
}

int flowlog__ledger_get(flowlog__reader *r, flowlog__ledger *l, const flowlog_allocator *a)
{
    uint64_t n = flowlog__get_u64(r);
    if (n > FLOWLOG__LEDGER_MAX)
        r->bad = true;
    char *name = a->alloc(a->ctx, FLOWLOG__LEDGER_NAME_MAX + 1);
    char *reason = a->alloc(a->ctx, FLOWLOG__MSG_SIZE + 1);
    int rc = name && reason ? FLOWLOG_OK : FLOWLOG_E_NOMEM;
    const char *prev = NULL;
    for (uint64_t i = 0; i < n && !r->bad && rc == FLOWLOG_OK; i++) {
        if (!get_string(r, name, FLOWLOG__LEDGER_NAME_MAX) || !get_string(r, reason, FLOWLOG__MSG_SIZE))
            break;
        uint64_t status = flowlog__get_u64(r), records = flowlog__get_u64(r), errors = flowlog__get_u64(r);
        /* Sorted, each name once, as a ledger is written: anything else was
         * not written by one. */
        if (!valid_status(status) || (prev && strcmp(prev, name) >= 0) || (*reason && status != FLOWLOG_INPUT_FAILED)) {
            r->bad = true;
            break;
        }
        rc = flowlog__ledger_add(l, a, name, (int)status, records, errors, reason);
        prev = rc == FLOWLOG_OK ? l->e[l->n - 1].name : prev;
    }
    if (name)
        FLOWLOG__FREE(a, name, FLOWLOG__LEDGER_NAME_MAX + 1);
    if (reason)
        FLOWLOG__FREE(a, reason, FLOWLOG__MSG_SIZE + 1);
    l->more_inputs = flowlog__get_u64(r);
    l->more_records = flowlog__get_u64(r);
    l->more_errors = flowlog__get_u64(r);
    l->more_unread = flowlog__get_u64(r);
    if (l->more_unread > l->more_inputs || (l->more_inputs && l->n < FLOWLOG__LEDGER_MAX))
        r->bad = true;
    return rc;
}
