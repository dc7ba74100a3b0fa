#include "../read/parallel.h"
#include "query_internal.h"

#include <stdlib.h>

/* The query handle: compile, feed, finish, rows. */

#define DEFAULT_MAX_GROUPS 1000000
#define DEFAULT_MAX_LENGTH 65536
#define DEFAULT_MAX_DEPTH 64

/* A stats query whose every aggregate is count(*) counts in its slots. */
static void set_counts_only(flowlog_query *q)
{
    q->counts_only = q->stats && q->naggs > 0;
    q->distinct_aggs = 0;
    for (int k = 0; k < q->naggs; k++) {
        q->counts_only = q->counts_only && q->aggs[k] == AGG_COUNT_ALL;
        q->distinct_aggs += q->aggs[k] == AGG_COUNT_DISTINCT;
    }
}

int flowlog_query_new(flowlog_query **out, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_query *q = flowlog__calloc(&al, 1, sizeof *q);
    if (!q)
        return FLOWLOG_E_NOMEM;
    q->alloc = al;
    flowlog__error_clear(&q->err);
    q->max_groups = DEFAULT_MAX_GROUPS;
    q->max_length = DEFAULT_MAX_LENGTH;
    q->max_depth = DEFAULT_MAX_DEPTH;
    q->limit = -1;
    *out = q;
    return FLOWLOG_OK;
}

int flowlog_query_new_ex(flowlog_query **out, const flowlog_allocator *a, flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_query_new(out, a), out, a, NULL, false);
}

/* A row: its columns, its sort keys, and its order among the rows made
 * (the record's number, or the group's first record's), which breaks ties
 * the same way however the rows were sorted, in memory or in runs. */
static size_t row_width(const flowlog_query *q)
{
    return (size_t)q->ncols + (size_t)q->nsort + 1;
}

size_t flowlog__row_width(const flowlog_query *q)
{
    return row_width(q);
}

static void clear_rows(flowlog_query *q)
{
    FLOWLOG__FREE(&q->alloc, q->rows, q->rows_cap * row_width(q) * sizeof *q->rows);
    q->rows = NULL;
    q->nrows = q->rows_cap = q->next_row = 0;
    flowlog__arena_free(&q->rowtext, &q->alloc);
}

void flowlog_query_reset(flowlog_query *q)
{
    if (!q)
        return;
    flowlog_query_reset(q->next);
    flowlog__query_waiting_clear(q);
    flowlog__query_groups_clear(q);
    flowlog__query_seen_clear(q);
    clear_rows(q);
    flowlog__spill_free(q);
    q->emitted = 0;
    q->stream_given = 0;
    q->have_row = q->finished = q->done = q->running = q->alarm_held = q->fed = false;
    q->streaming = q->spill_pending = q->from_groups = false;
    set_counts_only(q); /* writing groups out turned the count(*) fast path off */
    flowlog__error_clear(&q->err);
}

void flowlog_query_free(flowlog_query *q)
{
    if (!q)
        return;
    flowlog_allocator al = q->alloc;
    flowlog_query_free(q->next);
    q->next = NULL;
    flowlog_query_reset(q);
    for (int i = 0; i < q->nregexes; i++)
        flowlog__regex_free(q, q->regexes[i]);
    if (q->scratch)
        FLOWLOG__FREE(&al, q->scratch, QUERY_SCRATCH);
    flowlog__arena_free(&q->code, &al);
    if (q->spill_dir)
        FLOWLOG__FREE(&al, q->spill_dir, strlen(q->spill_dir) + 1);
    if (q->text)
        FLOWLOG__FREE(&al, q->text, q->text_len + 1);
    FLOWLOG__FREE(&al, q, sizeof *q);
}

int flowlog_query_set(flowlog_query *q, int key, int64_t value)
{
    if (q && q->next) {
        int rc = flowlog_query_set(q->next, key, value);
        if (rc < 0)
            return rc;
    }
    if (!q || q->compiled)
        return FLOWLOG_E_ARG;
    switch (key) {
    case FLOWLOG_QOPT_MAX_GROUPS:
        if (value < 1 || value > ((int64_t)1 << 40))
            return FLOWLOG_E_RANGE;
        q->max_groups = (size_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_QOPT_MAX_LENGTH:
        if (value < 16 || value > ((int64_t)1 << 24))
            return FLOWLOG_E_RANGE;
        q->max_length = (size_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_QOPT_MAX_DEPTH:
        if (value < 4 || value > 1024)
            return FLOWLOG_E_RANGE;
        q->max_depth = (size_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_QOPT_MAX_MEMORY:
        if (value < 0 || (value > 0 && value < ((int64_t)1 << 20)) || (uint64_t)value > SIZE_MAX / 2)
            return FLOWLOG_E_RANGE;
        q->max_memory = (size_t)value;
        return FLOWLOG_OK;
    default:
        return FLOWLOG_E_UNSUPPORTED;
    }
}

/* A later stage's error, as the query's own (its message may be in its buffer). */
static void copy_error(flowlog__error *to, const flowlog__error *from)
{
    *to = *from;
    if (from->msg == from->buf)
        to->msg = to->buf;
}

/* The stage whose columns and rows the query gives: the last. */
static flowlog_query *last_stage(const flowlog_query *q)
{
    while (q->next)
        q = q->next;
    return (flowlog_query *)(uintptr_t)q;
}

int flowlog__query_stage(flowlog_query *q, const char *text, size_t len, size_t base)
{
    flowlog_query *n;
    int rc = flowlog_query_new(&n, &q->alloc);
    if (rc < 0)
        return rc;
    n->max_groups = q->max_groups;
    n->max_length = q->max_length;
    n->max_depth = q->max_depth;
    n->max_memory = q->max_memory;
    n->input = q;
    n->scratch = n->alloc.alloc(n->alloc.ctx, QUERY_SCRATCH);
    rc = n->scratch ? flowlog_query_set_spill_dir(n, q->spill_dir) : FLOWLOG_E_NOMEM;
    if (rc == FLOWLOG_OK)
        rc = flowlog__query_parse(n, text, len);
    if (rc < 0) {
        flowlog__error_set(&q->err, n->err.offset + base, n->err.column, "%s", n->err.msg);
        flowlog_query_free(n);
        return rc;
    }
    set_counts_only(n);
    n->compiled = true;
    q->next = n;
    return FLOWLOG_OK;
}

int flowlog_query_compile(flowlog_query *q, const char *text, size_t len)
{
    if (!q || (!text && len) || q->compiled || q->scratch)
        return FLOWLOG_E_ARG;
    if (!text)
        text = "";
    if (len > q->max_length) {
        flowlog__error_set(&q->err, q->max_length, -1, "the query is longer than %zu bytes", q->max_length);
        return FLOWLOG_E_LIMIT;
    }
    q->scratch = q->alloc.alloc(q->alloc.ctx, QUERY_SCRATCH);
    if (!q->scratch)
        return FLOWLOG_E_NOMEM;
    int rc = flowlog__query_parse(q, text, len);
    if (rc < 0)
        return rc;
    set_counts_only(q);
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3u;
    q->text_hash = h;
    q->text = flowlog__strndup(&q->alloc, text, len);
    if (!q->text)
        return FLOWLOG_E_NOMEM;
    q->text_len = len;
    q->compiled = true;
    flowlog__error_clear(&q->err);
    return FLOWLOG_OK;
}

const char *flowlog_query_error_message(const flowlog_query *q)
{
    return q ? q->err.msg : "";
}

size_t flowlog_query_error_offset(const flowlog_query *q)
{
    return q ? q->err.offset : 0;
}

int flowlog_query_is_deferred(const flowlog_query *q)
{
    return q && (q->stats || q->nsort > 0 || q->next);
}

typedef struct needle_set {
    size_t n;
    flowlog_span s[FLOWLOG_PREFILTER_MAX_NEEDLES];
} needle_set;

static bool one_needle(const flowlog_value *lit, needle_set *out)
{
    if (lit->len == 0 || lit->len > FLOWLOG_PREFILTER_MAX_NEEDLE)
        return false;
    out->n = 1;
    out->s[0].ptr = lit->s;
    out->s[0].len = lit->len;
    return true;
}

/* Of two sets either of which every passing line must meet, the one that
 * lets fewer lines through: fewer strings, then longer ones. */
static const needle_set *narrower(const needle_set *x, const needle_set *y)
{
    if (x->n != y->n)
        return x->n < y->n ? x : y;
    size_t sx = SIZE_MAX, sy = SIZE_MAX;
    for (size_t i = 0; i < x->n; i++) {
        sx = x->s[i].len < sx ? x->s[i].len : sx;
        sy = y->s[i].len < sy ? y->s[i].len : sy;
    }
    return sx >= sy ? x : y;
}

/* A field's IPv4 address in a network of a whole octet or more: an IPv4
 * address has one way to be written (leading zeros are not read), so the
 * field's text, in the line, starts with the network's whole octets and
 * their dots, which the literal starts with too ("10.0.0.0/8": "10."). */
static bool subnet_needle(const qexpr *e, needle_set *out)
{
    if ((e->op != FN_IN_SUBNET4 && e->op != FN_IN_SUBNET) || e->nargs != 2 || e->args[0]->kind != Q_FIELD ||
        e->net.family != FLOWLOG_AF_INET || e->prefix < 8)
        return false;
    const flowlog_value *lit = &e->args[1]->lit;
    size_t octets = e->prefix / 8, len = 0, dots = 0;
    while (len < lit->len && lit->s[len] != '/' && dots < octets)
        dots += lit->s[len++] == '.';
    if (len == 0 || len > FLOWLOG_PREFILTER_MAX_NEEDLE)
        return false;
    out->n = 1;
    out->s[0].ptr = lit->s;
    out->s[0].len = len;
    return true;
}

/* Byte strings one of which is in the line of every record for which e is
 * true; false when there are none to say. */
static bool needles_of(const qexpr *e, needle_set *out)
{
    needle_set x, y;
    switch (e->kind) {
    case Q_CALL:
        return subnet_needle(e, out);
    case Q_CMP:
        return e->op == OP_EQ && flowlog__is_text_equality(e) && one_needle(&e->b->lit, out);
    case Q_LIKE:
        return !e->negate && e->a->kind == Q_MESSAGE && one_needle(&e->lit, out);
    case Q_AND: {
        bool hx = needles_of(e->a, &x), hy = needles_of(e->b, &y);
        if (!hx && !hy)
            return false;
        *out = hx && hy ? *narrower(&x, &y) : hx ? x : y;
        return true;
    }
    case Q_OR:
        if (!needles_of(e->a, &x) || !needles_of(e->b, &y) || x.n + y.n > FLOWLOG_PREFILTER_MAX_NEEDLES)
            return false;
        memcpy(&x.s[x.n], y.s, y.n * sizeof y.s[0]);
        x.n += y.n;
        *out = x;
        return true;
    default:
        return false;
    }
}

int flowlog_query_prefilter(const flowlog_query *q, flowlog_span *needles, size_t *n)
{
    if (!q || !q->compiled || !n || (*n && !needles))
        return FLOWLOG_E_ARG;
    needle_set best = {0}, one;
    bool have = false;
    for (int i = 0; i < q->nfilters; i++) {
        if (!needles_of(q->filters[i], &one))
            continue;
        best = have ? *narrower(&best, &one) : one;
        have = true;
    }
    if (!have || best.n > *n) {
        *n = 0;
        return FLOWLOG_OK;
    }
    memcpy(needles, best.s, best.n * sizeof best.s[0]);
    *n = best.n;
    return FLOWLOG_OK;
}

size_t flowlog_query_column_count(const flowlog_query *q)
{
    if (!q || !q->compiled)
        return 0;
    q = last_stage(q);
    return (size_t)q->ndisplay;
}

const char *flowlog_query_column_name(const flowlog_query *q, size_t i)
{
    if (!q || !q->compiled)
        return NULL;
    q = last_stage(q);
    return i < (size_t)q->ndisplay ? q->cols[q->display[i]].name : NULL;
}

int flowlog_query_column_is_bin(const flowlog_query *q, size_t i)
{
    if (!q || !q->compiled)
        return 0;
    q = last_stage(q);
    return i < (size_t)q->ndisplay ? q->cols[q->display[i]].is_bin : 0;
}

static int grow_rows(flowlog_query *q)
{
    size_t w = row_width(q);
    size_t cap = q->rows_cap ? q->rows_cap * 2 : 256;
    flowlog_value *p = q->alloc.realloc(q->alloc.ctx, q->rows, q->rows_cap * w * sizeof *p, cap * w * sizeof *p);
    if (!p)
        return FLOWLOG_E_NOMEM;
    q->rows = p;
    q->rows_cap = cap;
    return FLOWLOG_OK;
}

bool flowlog__row_before(const flowlog_query *q, const flowlog_value *a, const flowlog_value *b)
{
    for (int k = 0; k < q->nsort; k++) {
        int c = flowlog__value_order(&a[q->ncols + k], &b[q->ncols + k]);
        if (c)
            return q->sort[k].desc ? c > 0 : c < 0;
    }
    return a[q->ncols + q->nsort].i < b[q->ncols + q->nsort].i;
}

/* Row a comes before row b: by the sort keys, then in the order the rows
 * were made, so the order is total and the same however rows are picked. */
static bool row_before(const flowlog_query *q, size_t a, size_t b)
{
    size_t w = row_width(q);
    return flowlog__row_before(q, q->rows + a * w, q->rows + b * w);
}

static void sift_down(const flowlog_query *q, size_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t worst = i, l = 2 * i + 1, r = l + 1;
        if (l < n && row_before(q, heap[worst], heap[l]))
            worst = l;
        if (r < n && row_before(q, heap[worst], heap[r]))
            worst = r;
        if (worst == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[worst];
        heap[worst] = t;
        i = worst;
    }
}

/* The first `keep` rows in sort order, in src[0..keep): a heap of the best
 * seen so far whose root is the worst of them, so n rows cost n log keep
 * comparisons rather than n log n. */
static void pick_first(const flowlog_query *q, size_t *src, size_t n, size_t keep)
{
    if (keep == 0)
        return;
    for (size_t i = 0; i < keep; i++)
        src[i] = i;
    for (size_t i = keep / 2; i-- > 0;)
        sift_down(q, src, keep, i);
    for (size_t i = keep; i < n; i++) {
        if (row_before(q, i, src[0])) {
            src[0] = i;
            sift_down(q, src, keep, 0);
        }
    }
}

/* Stable merge sort of row indices by the sort keys (qsort has no context
 * argument and is not stable). Rows of groups written out are sorted even
 * without sort keys: back into the order of their first records. */
static int sort_rows(flowlog_query *q)
{
    size_t n = q->nrows, w = row_width(q);
    if ((q->nsort == 0 && !flowlog__spill_has_groups(q)) || n < 2)
        return FLOWLOG_OK;
    /* With a limit, only the rows it keeps need their order (after a
     * dedup, which drops rows, all of them). */
    size_t keep = q->limit >= 0 && (size_t)q->limit < n && !q->ndedup ? (size_t)q->limit : n;
    size_t *idx = q->alloc.alloc(q->alloc.ctx, 2 * n * sizeof *idx);
    flowlog_value *sorted = q->alloc.alloc(q->alloc.ctx, q->rows_cap * w * sizeof *sorted);
    if (!idx || !sorted) {
        if (idx)
            FLOWLOG__FREE(&q->alloc, idx, 2 * n * sizeof *idx);
        if (sorted)
            FLOWLOG__FREE(&q->alloc, sorted, q->rows_cap * w * sizeof *sorted);
        return FLOWLOG_E_NOMEM;
    }
    size_t *src = idx, *dst = idx + n;
    if (keep < n) {
        pick_first(q, src, n, keep);
    } else {
        for (size_t i = 0; i < n; i++)
            src[i] = i;
    }
    for (size_t width = 1; width < keep; width *= 2) {
        for (size_t lo = 0; lo < keep; lo += 2 * width) {
            size_t mid = lo + width < keep ? lo + width : keep, hi = lo + 2 * width < keep ? lo + 2 * width : keep;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = row_before(q, src[j], src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        size_t *t = src;
        src = dst;
        dst = t;
    }
    for (size_t i = 0; i < keep; i++)
        memcpy(sorted + i * w, q->rows + src[i] * w, w * sizeof *sorted);
    FLOWLOG__FREE(&q->alloc, q->rows, q->rows_cap * w * sizeof *q->rows);
    FLOWLOG__FREE(&q->alloc, idx, 2 * n * sizeof *idx);
    q->rows = sorted;
    q->nrows = keep;
    return FLOWLOG_OK;
}

/* Sort, cut to the limit, and move the kept rows' text to a fresh arena so
 * the memory of rows cut away is given back. */
static int prune(flowlog_query *q)
{
    int rc = sort_rows(q);
    if (rc < 0)
        return rc;
    if (q->limit >= 0 && q->nrows > (size_t)q->limit)
        q->nrows = (size_t)q->limit;
    qarena fresh = {0};
    size_t cells = q->nrows * row_width(q);
    for (size_t i = 0; i < cells; i++)
        if ((rc = flowlog__query_keep_value(q, &fresh, &q->rows[i])) < 0) {
            flowlog__arena_free(&fresh, &q->alloc);
            return rc;
        }
    flowlog__arena_free(&q->data, &q->alloc);
    q->data = fresh;
    return FLOWLOG_OK;
}

static int keep_row(flowlog_query *q)
{
    if (q->nrows == q->rows_cap) {
        int rc = grow_rows(q);
        if (rc < 0)
            return rc;
    }
    size_t w = row_width(q);
    flowlog_value *row = q->rows + q->nrows * w;
    for (int i = 0; i < q->ncols; i++)
        flowlog__query_eval(q, q->cols[i].expr, NULL, NULL, &row[i]);
    for (int k = 0; k < q->nsort; k++)
        flowlog__query_eval(q, q->sort[k].expr, NULL, NULL, &row[q->ncols + k]);
    if (q->bad)
        return q->bad;
    row[q->ncols + q->nsort] = (flowlog_value){.type = FLOWLOG_VALUE_INT, .i = (int64_t)q->record_seq};
    for (size_t i = 0; i < w; i++) {
        int rc = flowlog__query_keep_value(q, &q->data, &row[i]);
        if (rc < 0)
            return rc;
    }
    q->nrows++;
    if (q->limit >= 0 && (uint64_t)q->limit <= q->max_groups && q->nrows >= 2 * (size_t)q->limit + 1024)
        return prune(q);
    int mem = flowlog__query_memory_check_spill(q);
    if (mem < 0)
        return mem;
    if (q->spill_pending)
        return flowlog__spill_rows(q);
    if (q->nrows > q->max_groups) {
        flowlog__error_set(&q->err, 0, -1, "more than %zu rows to sort: add a limit, raise the limit on groups, or narrow the query",
                           q->max_groups);
        return FLOWLOG_E_LIMIT;
    }
    return FLOWLOG_OK;
}

/* The row just given against the alarm, once one row has held it. */
static void check_alarm(flowlog_query *q)
{
    if (!q->alarm || q->alarm_held)
        return;
    flowlog_value v;
    flowlog__query_eval(q, q->alarm, q->row, NULL, &v);
    q->alarm_held = flowlog__value_truthy(&v);
}

int flowlog_query_set_alarm(flowlog_query *q, const char *text, size_t len)
{
    if (!q || !q->compiled || (!text && len) || q->running || q->fed || q->finished)
        return FLOWLOG_E_ARG;
    if (q->next) { /* over the rows the query gives: the last stage's */
        flowlog_query *last = last_stage(q);
        int rc = flowlog_query_set_alarm(last, text, len);
        if (rc < 0)
            copy_error(&q->err, &last->err);
        return rc;
    }
    if (len > q->max_length) {
        flowlog__error_set(&q->err, q->max_length, -1, "the alarm expression is longer than %zu bytes", q->max_length);
        return FLOWLOG_E_LIMIT;
    }
    qexpr *e;
    int rc = flowlog__query_parse_alarm(q, text ? text : "", len, &e);
    if (rc < 0)
        return rc;
    q->alarm = e;
    q->alarm_held = false;
    flowlog__error_clear(&q->err);
    return FLOWLOG_OK;
}

int flowlog_query_set_log_group(flowlog_query *q, const char *log_group)
{
    if (!q)
        return FLOWLOG_E_ARG;
    q->log_group = log_group;
    return FLOWLOG_OK;
}

int flowlog_query_set_spill_dir(flowlog_query *q, const char *dir)
{
    if (!q || (dir && !*dir) || q->fed || q->finished)
        return FLOWLOG_E_ARG;
    char *copy = NULL;
    if (dir) {
        size_t n = strlen(dir) + 1;
        copy = q->alloc.alloc(q->alloc.ctx, n);
        if (!copy)
            return FLOWLOG_E_NOMEM;
        memcpy(copy, dir, n);
    }
    int rc = q->next ? flowlog_query_set_spill_dir(q->next, dir) : FLOWLOG_OK;
    if (rc < 0) {
        if (copy)
            FLOWLOG__FREE(&q->alloc, copy, strlen(copy) + 1);
        return rc;
    }
    if (q->spill_dir)
        FLOWLOG__FREE(&q->alloc, q->spill_dir, strlen(q->spill_dir) + 1);
    q->spill_dir = copy;
    return FLOWLOG_OK;
}

uint64_t flowlog_query_spilled(const flowlog_query *q)
{
    uint64_t n = 0;
    for (; q; q = q->next)
        n += flowlog__spill_bytes(q);
    return n;
}

int flowlog_query_alarm(const flowlog_query *q)
{
    return q && last_stage(q)->alarm_held;
}

int flowlog_query_feed(flowlog_query *q, flowlog_record *rec, const char *stream)
{
    if (!q || !q->compiled || !rec || q->finished)
        return FLOWLOG_E_ARG;
    q->have_row = false;
    q->fed = true;
    q->record_seq++; /* the parse commands' captures are of the record before */
    if (q->done)
        return FLOWLOG_END;
    q->rec = rec;
    q->stream = stream;
    q->scratch_used = 0;
    q->scratch_full = false;
    q->bad = 0;
    q->checked = 0;
    q->checked_ipv4_text = NULL;
    int rc = FLOWLOG_ABSENT;
    bool pass = true;
    for (int i = 0; i < q->nfilters && pass; i++) {
        flowlog_value v;
        flowlog__query_eval(q, q->filters[i], NULL, NULL, &v);
        pass = flowlog__value_truthy(&v);
    }
    if (q->bad) {
        pass = false;
        rc = q->bad;
    }
    if (pass) {
        if (q->stats) {
            rc = flowlog__query_group(q);
            if (rc == FLOWLOG_OK)
                rc = FLOWLOG_ABSENT;
        } else if (q->nsort) {
            rc = keep_row(q);
            if (rc == FLOWLOG_OK)
                rc = FLOWLOG_ABSENT;
        } else if (q->limit >= 0 && q->emitted >= q->limit) {
            q->done = true;
            rc = FLOWLOG_END;
        } else {
            for (int i = 0; i < q->ncols; i++)
                flowlog__query_eval(q, q->cols[i].expr, NULL, NULL, &q->row[i]);
            bool seen = false;
            if (!q->bad && q->ndedup && (rc = flowlog__query_seen(q, q->row, &seen)) < 0) {
                q->rec = NULL;
                return rc;
            }
            if (q->bad) {
                rc = q->bad;
            } else if (seen) {
                rc = FLOWLOG_ABSENT;
            } else {
                q->emitted++;
                q->have_row = true;
                check_alarm(q);
                rc = FLOWLOG_OK;
            }
        }
    }
    if (q->scratch_full && rc >= 0) {
        q->have_row = false;
        flowlog__error_set(&q->err, 0, -1, "a string the query builds is longer than %zu bytes", QUERY_SCRATCH);
        rc = FLOWLOG_E_LIMIT;
    }
    q->rec = NULL;
    q->checked_ipv4_text = NULL;
    return rc;
}

int flowlog__query_sort_held(flowlog_query *q)
{
    return sort_rows(q);
}

/* Group g's row (no group: the row of stats over nothing) into row: its
 * columns, sort keys and order; false when a filter after stats drops it. */
static bool group_row(flowlog_query *q, size_t g, bool single, flowlog_value *row)
{
    static const qacc zero[QUERY_MAX_AGGS];
    const qacc *accs = single ? zero : q->gaccs + g * (size_t)q->naggs;
    for (int i = 0; i < q->ncols; i++) {
        int key = -1;
        for (int k = 0; k < q->nkeys && key < 0; k++)
            if (q->keys[k] == q->cols[i].expr)
                key = k;
        if (key >= 0)
            row[i] = q->gkeys[g * (size_t)q->nkeys + (size_t)key];
        else
            flowlog__query_eval(q, q->cols[i].expr, NULL, accs, &row[i]);
    }
    bool pass = true;
    for (int i = 0; i < q->npost && pass; i++) {
        flowlog_value v;
        flowlog__query_eval(q, q->post_filters[i], row, accs, &v);
        pass = flowlog__value_truthy(&v);
    }
    if (!pass)
        return false;
    for (int k = 0; k < q->nsort; k++)
        flowlog__query_eval(q, q->sort[k].expr, row, accs, &row[q->ncols + k]);
    row[q->ncols + q->nsort] = (flowlog_value){.type = FLOWLOG_VALUE_INT, .i = single ? 0 : (int64_t)q->gfirst[g]};
    return true;
}

int flowlog__query_group_rows(flowlog_query *q, bool copy_text)
{
    size_t w = row_width(q);
    int settled = flowlog__query_groups_count(q); /* records waiting for their group may make groups */
    if (settled < 0)
        return settled;
    size_t groups = q->ngroups;
    /* stats count(*) over nothing is 0 */
    bool single = q->nkeys == 0 && groups == 0 && !flowlog__spill_has_groups(q);
    size_t want = q->nrows + (single ? 1 : groups);
    while (q->rows_cap < want) {
        int rc = grow_rows(q);
        if (rc < 0)
            return rc;
    }
    for (size_t g = 0; g < (single ? 1 : groups); g++) {
        flowlog_value *row = q->rows + q->nrows * w;
        if (!group_row(q, g, single, row))
            continue;
        for (size_t i = 0; copy_text && i < w; i++) {
            int rc = flowlog__query_keep_value(q, &q->rowtext, &row[i]);
            if (rc < 0)
                return rc;
        }
        q->nrows++;
    }
    return FLOWLOG_OK;
}

static int finish_stats(flowlog_query *q)
{
    q->nrows = 0;
    /* Rows in the groups' order, none sorted: each is made from its group
     * as it is asked for, not all of them first (millions of groups would
     * hold as many rows again). */
    if (!flowlog__spill_has_groups(q) && q->nsort == 0 && q->ngroups + q->nkeys > 0) {
        int rc = flowlog__query_groups_count(q);
        if (rc < 0 || (q->rows_cap == 0 && (rc = grow_rows(q)) < 0))
            return rc;
        q->from_groups = true;
        q->next_group = 0;
        return FLOWLOG_OK;
    }
    if (!flowlog__spill_has_groups(q))
        return flowlog__query_group_rows(q, false);
    int rc = flowlog__spill_groups(q);
    return rc < 0 ? rc : flowlog__spill_merge(q);
}

/* The first row of each dedup combination, in order. */
static int dedup_rows(flowlog_query *q)
{
    size_t w = row_width(q), kept = 0;
    for (size_t i = 0; i < q->nrows; i++) {
        bool seen;
        int rc = flowlog__query_seen(q, q->rows + i * w, &seen);
        if (rc < 0)
            return rc;
        if (seen)
            continue;
        if (kept != i)
            memmove(q->rows + kept * w, q->rows + i * w, w * sizeof *q->rows);
        kept++;
    }
    q->nrows = kept;
    return FLOWLOG_OK;
}

/* The next row of the finished result: from the rows held, or from the
 * runs merged, where the dedup and the limit apply as rows are given. */
static int next_result(flowlog_query *q, const flowlog_value **row)
{
    while (q->from_groups) {
        if ((q->limit >= 0 && q->stream_given >= (uint64_t)q->limit) || q->next_group >= q->ngroups)
            return FLOWLOG_END;
        q->scratch_used = 0; /* text a row's functions make lives as long as the row */
        q->scratch_full = false;
        if (!group_row(q, q->next_group++, false, q->rows))
            continue;
        if (q->scratch_full) {
            flowlog__error_set(&q->err, 0, -1, "a string the query builds is longer than %zu bytes", QUERY_SCRATCH);
            return FLOWLOG_E_LIMIT;
        }
        bool seen = false;
        int rc;
        if (q->ndedup && (rc = flowlog__query_seen(q, q->rows, &seen)) < 0)
            return rc;
        if (!seen) {
            q->stream_given++;
            *row = q->rows;
            return FLOWLOG_OK;
        }
    }
    if (!q->streaming) {
        if (q->next_row >= q->nrows)
            return FLOWLOG_END;
        *row = q->rows + q->next_row++ * row_width(q);
        return FLOWLOG_OK;
    }
    for (;;) {
        if (q->limit >= 0 && q->stream_given >= (uint64_t)q->limit)
            return FLOWLOG_END;
        int rc = flowlog__spill_stream_next(q, row);
        if (rc != FLOWLOG_OK)
            return rc;
        bool seen = false;
        if (q->ndedup && (rc = flowlog__query_seen(q, *row, &seen)) < 0)
            return rc;
        if (!seen) {
            q->stream_given++;
            return FLOWLOG_OK;
        }
    }
}

/* The next stage fed every row of this finished one, then finished. */
static int feed_next_stage(flowlog_query *q)
{
    flowlog_query *n = q->next;
    const flowlog_value *row;
    int rc;
    while ((rc = next_result(q, &row)) == FLOWLOG_OK) {
        n->in_row = row;
        n->fed = true;
        n->record_seq++;
        n->scratch_used = 0;
        n->scratch_full = false;
        n->bad = 0;
        rc = flowlog__query_group(n);
        if (rc < 0) {
            n->in_row = NULL;
            copy_error(&q->err, &n->err);
            return rc;
        }
    }
    n->in_row = NULL;
    if (rc != FLOWLOG_END)
        return rc;
    rc = flowlog_query_finish(n);
    if (rc < 0)
        copy_error(&q->err, &n->err);
    return rc;
}

int flowlog_query_finish(flowlog_query *q)
{
    if (!q || !q->compiled || q->finished)
        return FLOWLOG_E_ARG;
    q->have_row = false;
    q->scratch_used = 0;
    int rc = FLOWLOG_OK;
    if (q->stats)
        rc = finish_stats(q);
    if (rc == FLOWLOG_OK && flowlog__spill_has_runs(q)) {
        rc = flowlog__spill_stream_begin(q);
        q->streaming = rc == FLOWLOG_OK;
    } else if (!q->from_groups) {
        if (rc == FLOWLOG_OK && (q->stats || q->nsort))
            rc = sort_rows(q);
        if (rc == FLOWLOG_OK && q->ndedup)
            rc = dedup_rows(q);
        if (rc == FLOWLOG_OK && q->limit >= 0 && q->nrows > (size_t)q->limit)
            q->nrows = (size_t)q->limit;
    }
    if (rc < 0)
        return rc;
    q->next_row = 0;
    q->finished = true;
    return q->next ? feed_next_stage(q) : FLOWLOG_OK;
}

int flowlog_query_next_row(flowlog_query *q)
{
    if (!q || !q->finished)
        return FLOWLOG_E_ARG;
    if (q->next) {
        flowlog_query *last = last_stage(q);
        int rc = flowlog_query_next_row(last);
        if (rc < 0)
            copy_error(&q->err, &last->err);
        return rc;
    }
    const flowlog_value *row;
    int rc = next_result(q, &row);
    if (rc != FLOWLOG_OK) {
        q->have_row = false;
        return rc;
    }
    memcpy(q->row, row, (size_t)q->ncols * sizeof *q->row);
    q->have_row = true;
    check_alarm(q);
    return FLOWLOG_OK;
}

int flowlog_query_cell(const flowlog_query *q, size_t col, flowlog_value *out)
{
    if (q && q->next)
        q = last_stage(q);
    if (!q || !out || !q->have_row || col >= (size_t)q->ndisplay)
        return FLOWLOG_E_ARG;
    *out = q->row[q->display[col]];
    return FLOWLOG_OK;
}

/* A record-level failure: the record counts for nothing, the run goes on. */
static bool record_failure(int rc)
{
    return rc == FLOWLOG_E_MALFORMED || rc == FLOWLOG_E_OVERFLOW || rc == FLOWLOG_E_BUDGET;
}

/* Field id once in out[0..*n); false when there is no room. */
static bool add_field(uint32_t id, uint32_t *out, size_t *n, size_t cap)
{
    for (size_t k = 0; k < *n; k++)
        if (out[k] == id)
            return true;
    if (*n == cap)
        return false;
    out[(*n)++] = id;
    return true;
}

/* Add the fields e reads to out; false when it reads the whole line. */
static bool fields_of(const qexpr *e, uint32_t *out, size_t *n, size_t cap)
{
    if (!e)
        return true;
    if (e->kind == Q_MESSAGE)
        return false;
    if (e->kind == Q_FIELD && !add_field(e->field, out, n, cap))
        return false;
    if ((e->kind == Q_TIMESTAMP || (e->kind == Q_CALL && e->op == FN_BIN)) &&
        !add_field(FLOWLOG_FIELD_START, out, n, cap))
        return false;
    if (!fields_of(e->a, out, n, cap) || !fields_of(e->b, out, n, cap))
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!fields_of(e->args[i], out, n, cap))
            return false;
    return true;
}

int flowlog_query_fields(const flowlog_query *q, uint32_t *fields, size_t *n)
{
    if (!q || !q->compiled || !fields || !n)
        return FLOWLOG_E_ARG;
    size_t cap = *n, have = 0;
    bool ok = true;
    for (int i = 0; ok && i < q->nfilters; i++)
        ok = fields_of(q->filters[i], fields, &have, cap);
    for (int i = 0; ok && i < q->ncols; i++)
        ok = fields_of(q->cols[i].expr, fields, &have, cap);
    for (int i = 0; ok && i < q->nkeys; i++)
        ok = fields_of(q->keys[i], fields, &have, cap);
    for (int i = 0; ok && i < q->naggs; i++) {
        ok = fields_of(q->agg_args[i], fields, &have, cap);
        if (ok && (q->aggs[i] == AGG_EARLIEST || q->aggs[i] == AGG_LATEST))
            ok = add_field(FLOWLOG_FIELD_START, fields, &have, cap); /* they pick by the record's start */
    }
    for (int i = 0; ok && i < q->nsort; i++)
        ok = fields_of(q->sort[i].expr, fields, &have, cap);
    for (int i = 0; ok && i < q->nparses; i++)
        ok = fields_of(q->parses[i].source, fields, &have, cap);
    if (!ok)
        return FLOWLOG_ABSENT;
    *n = have;
    return FLOWLOG_OK;
}

/* Once, before the first record: the reader reads only what the query can use. */
static int set_up_reader(const flowlog_query *q, flowlog_reader *r)
{
    int rc = flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    flowlog_span needles[FLOWLOG_PREFILTER_MAX_NEEDLES];
    size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
    if (rc == FLOWLOG_OK && flowlog_query_prefilter(q, needles, &n) == FLOWLOG_OK && n)
        rc = flowlog_reader_set_prefilter(r, needles, n);
    uint32_t fields[FLOWLOG_READER_MAX_FIELDS];
    size_t nfields = FLOWLOG_READER_MAX_FIELDS;
    if (rc == FLOWLOG_OK && flowlog_query_fields(q, fields, &nfields) == FLOWLOG_OK) {
        if (!nfields) /* count(*) alone: a record is all it needs, and 0 would ask for every field */
            fields[nfields++] = FLOWLOG_FIELD_START;
        rc = flowlog_reader_set_fields(r, fields, nfields);
    }
    return rc < 0 ? rc : FLOWLOG_OK;
}

/* Feed q the records of r up to its end (FLOWLOG_OK), the caller's stop
 * (FLOWLOG_END), more wanted by a push input (FLOWLOG_NEED_MORE), or an
 * error. */
static int feed_reader(flowlog_query *q, flowlog_reader *r, flowlog_row_fn fn, void *ctx)
{
    for (;;) {
        flowlog_record *rec;
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            return FLOWLOG_OK;
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc < 0)
            continue; /* counted, and told to the error handler */
        q->log_group = flowlog_reader_log_group(r);
        int fed = flowlog_query_feed(q, rec, flowlog_reader_stream(r));
        if (fed == FLOWLOG_OK && fn && fn(ctx, q))
            return FLOWLOG_END;
        if (fed == FLOWLOG_END)
            return FLOWLOG_OK;
        if (record_failure(fed))
            (void)flowlog_reader_reject(r, fed, flowlog_query_error_message(q));
        else if (fed < 0)
            return fed;
    }
}

/* ---- the same, on several threads: a state of the query per part ---- */

static int part_make(void *ctx, size_t shares, void **state)
{
    const flowlog_query *q = ctx;
    flowlog_query *part;
    int rc = flowlog_query_new(&part, &q->alloc);
    if (rc < 0)
        return rc;
    part->max_groups = q->max_groups;
    part->max_length = q->max_length;
    part->max_depth = q->max_depth;
    /* groups past its share of the budget: the part is read again by the
     * caller, into the query that may write them out */
    part->max_memory = q->max_memory ? q->max_memory / shares : 0;
    if (q->max_memory && part->max_memory < ((size_t)1 << 20))
        part->max_memory = (size_t)1 << 20;
    rc = flowlog_query_compile(part, q->text, q->text_len);
    if (rc < 0) {
        flowlog_query_free(part);
        return rc;
    }
    *state = part;
    return FLOWLOG_OK;
}

static int part_read(void *ctx, void *state, flowlog_reader *r)
{
    flowlog_query *q = state ? state : ctx;
    int rc = set_up_reader(q, r);
    if (rc >= 0)
        rc = feed_reader(q, r, NULL, NULL);
    /* a part settles on its own thread: what waits in it (the last batch
     * of count_distinct's values) is sorted there, not where parts merge */
    return rc == FLOWLOG_OK && state ? flowlog__query_groups_settle(q) : rc;
}

static int part_merge(void *ctx, void *state)
{
    return flowlog__query_absorb(ctx, state);
}

static void part_drop(void *ctx, void *state)
{
    (void)ctx;
    flowlog_query_free(state);
}

int flowlog_query_run(flowlog_query *q, flowlog_reader *r, flowlog_row_fn fn, void *ctx)
{
    if (!q || !r || !q->compiled)
        return FLOWLOG_E_ARG;
    int rc = FLOWLOG_ABSENT;
    if (!q->running) {
        q->running = true;
        if ((rc = set_up_reader(q, r)) < 0)
            return rc;
        /* Groups of parts merge exactly; rows that stream as they come do not wait. */
        rc = FLOWLOG_ABSENT;
        if (q->stats && !q->fed) {
            const flowlog__par_ops ops = {q, part_make, part_read, part_merge, part_drop, 0};
            rc = flowlog__parallel_read(r, &ops);
            if (rc < 0)
                return rc;
        }
    }
    if (rc == FLOWLOG_ABSENT && (rc = feed_reader(q, r, fn, ctx)) != FLOWLOG_OK)
        return rc;
    rc = flowlog_query_finish(q);
    if (rc < 0)
        return rc;
    while (fn && (rc = flowlog_query_next_row(q)) == FLOWLOG_OK)
        if (fn(ctx, q))
            return FLOWLOG_END;
    return rc == FLOWLOG_END || !fn ? FLOWLOG_OK : rc;
}
