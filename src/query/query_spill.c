/* Grouping and sorting past the memory budget (FLOWLOG_QOPT_MAX_MEMORY),
 * in temporary files of the query's spill directory.
 *
 * Groups: when the groups held would pass the budget, every one is
 * written out (its keys, its key hash, the number of its first record and
 * its accumulators; count_distinct's values as entries of their own) to
 * one of 64 partitions chosen by bits of the key hash, and forgotten.
 * After the last record each partition is read back and merged into a
 * table, which then holds every group of its keys whole, and gives its
 * rows. A partition still too large is split again by the next bits of
 * the hash, so only one group too large for the budget can fail.
 *
 * Rows: rows to sort that would pass the budget are sorted and written as
 * a run; the runs are merged as rows are asked for. Ties keep the order in
 * which the rows were made (each row carries it), so the answer is the
 * same row for row as one made in memory.
 *
 * Every file is unlinked as soon as it is made: nothing stays behind, even
 * when the process is killed. */
#include "query_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PARTS 64
#define PART_BITS 6
#define MAX_LEVEL 5      /* 36 bits of the hash: past that, it is one group */
#define MAX_RUNS 32      /* runs merged into one when there are this many */
#define IO_BUF ((size_t)64 * 1024)
#define MAX_FIXES (QUERY_MAX_COLS + QUERY_MAX_SORT + QUERY_MAX_KEYS + 2 * QUERY_MAX_AGGS + 2)

typedef struct sfile {
    FILE *f;
    char *buf;
} sfile;

/* Text and numbers of one entry or row read back: in a buffer that grows,
 * so they are pointed to once the whole entry is read. */
typedef struct sbuf {
    char *p;
    size_t used, cap;
    struct {
        const void **at;
        size_t off;
    } fix[MAX_FIXES];
    int nfix;
    bool nomem;    /* the last read failed for want of memory, not of bytes */
} sbuf;

/* One run being merged: its file and the row it is at. */
typedef struct srun {
    sfile file;
    flowlog_value *row;
    sbuf text;
    bool done;
} srun;

typedef struct spart {
    sfile file;
    int level;
} spart;

struct qspill {
    sfile parts[PARTS];                   /* the first partitions of the groups */
    spart stack[PARTS * (MAX_LEVEL + 1)]; /* partitions left to merge */
    int nstack;
    sfile runs[MAX_RUNS];
    int nruns;
    srun *readers;                        /* the runs as they are merged */
    int *heap, nheap, given;              /* given: the run whose row was given last, -1 none */
    sbuf entry;
    uint64_t bytes;
    bool groups;                          /* groups were written out */
    size_t read_limit;                    /* an entry read back is at most this long (a state's length) */
};

static int io_error(flowlog_query *q, const char *what)
{
    int e = errno;
    flowlog__error_set(&q->err, 0, -1, "%s a temporary file in %s: %s", what, q->spill_dir ? q->spill_dir : "memory",
                       e ? strerror(e) : "it ended early");
    return FLOWLOG_E_IO;
}

static int file_open(flowlog_query *q, sfile *s)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/flowlog-spill-XXXXXX", q->spill_dir);
    errno = ENAMETOOLONG;
    if (n < 0 || (size_t)n >= sizeof path)
        return io_error(q, "cannot make");
    int fd = mkstemp(path);
    if (fd < 0)
        return io_error(q, "cannot make");
    (void)unlink(path);
    s->f = fdopen(fd, "w+b");
    if (!s->f) {
        int e = errno;
        close(fd);
        errno = e;
        return io_error(q, "cannot make");
    }
    s->buf = q->alloc.alloc(q->alloc.ctx, IO_BUF);
    if (s->buf)
        (void)setvbuf(s->f, s->buf, _IOFBF, IO_BUF);
    return FLOWLOG_OK;
}

static void file_close(flowlog_query *q, sfile *s)
{
    if (s->f)
        fclose(s->f);
    if (s->buf)
        FLOWLOG__FREE(&q->alloc, s->buf, IO_BUF);
    s->f = NULL;
    s->buf = NULL;
}

/* Everything written reached the file. */
static int file_flush(flowlog_query *q, sfile *s)
{
    errno = 0;
    if (fflush(s->f) != 0 || ferror(s->f))
        return io_error(q, "cannot write");
    return FLOWLOG_OK;
}

static int file_rewind(flowlog_query *q, sfile *s)
{
    int rc = file_flush(q, s);
    if (rc < 0)
        return rc;
    if (fseek(s->f, 0, SEEK_SET) != 0)
        return io_error(q, "cannot read");
    return FLOWLOG_OK;
}

static struct qspill *spill_of(flowlog_query *q)
{
    if (!q->spill)
        q->spill = flowlog__calloc(&q->alloc, 1, sizeof *q->spill);
    return q->spill;
}

/* ---- writing ---- */

static void put(flowlog_query *q, FILE *f, const void *p, size_t n)
{
    (void)fwrite(p, 1, n, f); /* a failure stays in ferror, checked at the flush */
    if (q->spill)
        q->spill->bytes += n;
}

static void put_u64(flowlog_query *q, FILE *f, uint64_t v)
{
    put(q, f, &v, sizeof v);
}

static void put_f64(flowlog_query *q, FILE *f, double v)
{
    put(q, f, &v, sizeof v);
}

static void put_value(flowlog_query *q, FILE *f, const flowlog_value *v)
{
    unsigned char t = (unsigned char)v->type;
    put(q, f, &t, 1);
    if (v->type == FLOWLOG_VALUE_NULL)
        return;
    if (v->type == FLOWLOG_VALUE_STRING) {
        put_u64(q, f, v->len);
        put(q, f, v->s, v->len);
        return;
    }
    put_u64(q, f, (uint64_t)v->i);
    put_f64(q, f, v->f);
}

static bool numeric_agg(qagg a)
{
    return a != AGG_COUNT_ALL && a != AGG_COUNT && a != AGG_COUNT_DISTINCT && !flowlog__agg_keeps(a);
}

void flowlog__spill_put_group(flowlog_query *q, FILE *f, size_t g, uint64_t h)
{
    unsigned char tag = 'G';
    put(q, f, &tag, 1);
    put_u64(q, f, h);
    put_u64(q, f, q->gfirst[g]);
    for (int k = 0; k < q->nkeys; k++)
        put_value(q, f, &q->gkeys[g * (size_t)q->nkeys + (size_t)k]);
    const qacc *accs = q->gaccs + g * (size_t)q->naggs;
    for (int k = 0; k < q->naggs; k++) {
        const qacc *a = &accs[k];
        put_u64(q, f, a->count);
        if (numeric_agg(q->aggs[k])) {
            put_u64(q, f, (uint64_t)a->isum);
            put_f64(q, f, a->fsum);
            put_f64(q, f, a->min);
            put_f64(q, f, a->max);
            put_f64(q, f, a->m2);
            unsigned char fl = (unsigned char)(a->floats | a->times << 1);
            put(q, f, &fl, 1);
        } else if (q->aggs[k] == AGG_PCT) {
            size_t n = a->kept && a->count ? a->kept->nvals : 0;
            put_u64(q, f, n);
            if (n)
                put(q, f, a->kept->vals, n * sizeof *a->kept->vals);
        } else if (flowlog__agg_keeps(q->aggs[k])) {
            unsigned char has = a->kept && a->count;
            put(q, f, &has, 1);
            if (has) {
                put_u64(q, f, (uint64_t)a->kept->t);
                put_value(q, f, &a->kept->v);
            }
        }
    }
}

void flowlog__spill_put_distinct(flowlog_query *q, FILE *f, uint32_t group, uint32_t agg, const flowlog_value *v,
                                 uint64_t h)
{
    const flowlog_value *key = q->gkeys + (size_t)group * (size_t)q->nkeys;
    unsigned char tag = 'D';
    put(q, f, &tag, 1);
    put_u64(q, f, h);
    for (int k = 0; k < q->nkeys; k++)
        put_value(q, f, &key[k]);
    put_u64(q, f, agg);
    put_value(q, f, v);
}

static int part_of(uint64_t h, int level)
{
    return (int)(h >> (64 - PART_BITS * (level + 1))) & (PARTS - 1);
}

/* Every group held written to the partitions of `level` (opened as
 * needed), then forgotten. */
static int write_groups(flowlog_query *q, sfile *parts, int level)
{
    int rc = flowlog__query_groups_settle(q);
    if (rc < 0)
        return rc;
    q->counts_only = false; /* from now on every count is in the accumulators */
    for (size_t g = 0; g < q->ngroups && rc == FLOWLOG_OK; g++) {
        uint64_t h = flowlog__query_keys_hash(q->gkeys + g * (size_t)q->nkeys, q->nkeys);
        sfile *p = &parts[part_of(h, level)];
        if (!p->f && (rc = file_open(q, p)) < 0)
            break;
        flowlog__spill_put_group(q, p->f, g, h);
    }
    size_t i = 0;
    uint32_t group, agg;
    flowlog_value v;
    char text[16];
    while (rc == FLOWLOG_OK && flowlog__query_distinct_at(q, &i, &group, &agg, &v, text, NULL)) {
        const flowlog_value *key = q->gkeys + (size_t)group * (size_t)q->nkeys;
        uint64_t h = flowlog__query_keys_hash(key, q->nkeys);
        flowlog__spill_put_distinct(q, parts[part_of(h, level)].f, group, agg, &v, h); /* opened for its group */
    }
    for (int p = 0; p < PARTS && rc == FLOWLOG_OK; p++)
        if (parts[p].f)
            rc = file_flush(q, &parts[p]);
    flowlog__query_groups_clear(q);
    q->spill_pending = false;
    return rc;
}

int flowlog__spill_groups(flowlog_query *q)
{
    struct qspill *sp = spill_of(q);
    if (!sp)
        return FLOWLOG_E_NOMEM;
    sp->groups = true;
    return write_groups(q, sp->parts, 0);
}

bool flowlog__spill_has_groups(const flowlog_query *q)
{
    return q->spill && q->spill->groups;
}

/* ---- reading ---- */

static bool get(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

static bool get_u64(FILE *f, uint64_t *v)
{
    return get(f, v, sizeof *v);
}

static bool get_f64(FILE *f, double *v)
{
    return get(f, v, sizeof *v);
}

/* n bytes of f at the end of b, aligned for doubles; *at is pointed to
 * them once the entry is read whole (sbuf_fix). */
static bool get_bytes(flowlog_query *q, FILE *f, sbuf *b, size_t n, const void **at)
{
    size_t off = (b->used + 7) & ~(size_t)7;
    size_t limit = q->spill->read_limit ? q->spill->read_limit : SIZE_MAX / 2;
    /* a length is checked against what it may be before anything is allocated for it */
    if (n > SIZE_MAX / 2 || off + n < off || off + n > limit || b->nfix >= MAX_FIXES)
        return false;
    if (off + n > b->cap || !b->p) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < off + n || cap == b->cap)
            cap *= 2;
        char *p = q->alloc.realloc(q->alloc.ctx, b->p, b->cap, cap);
        if (!p) {
            b->nomem = true;
            return false;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n && !get(f, b->p + off, n))
        return false;
    b->fix[b->nfix].at = at;
    b->fix[b->nfix++].off = off;
    b->used = off + n;
    return true;
}

static void sbuf_fix(sbuf *b)
{
    for (int i = 0; i < b->nfix; i++)
        *b->fix[i].at = b->p + b->fix[i].off;
    b->nfix = 0;
    b->used = 0;
}

static void sbuf_free(flowlog_query *q, sbuf *b)
{
    if (b->p)
        FLOWLOG__FREE(&q->alloc, b->p, b->cap);
    memset(b, 0, sizeof *b);
}

static bool get_value(flowlog_query *q, FILE *f, sbuf *b, flowlog_value *v)
{
    unsigned char t;
    memset(v, 0, sizeof *v);
    if (!get(f, &t, 1))
        return false;
    v->type = t;
    if (t == FLOWLOG_VALUE_NULL)
        return true;
    if (t == FLOWLOG_VALUE_STRING) {
        uint64_t len;
        if (!get_u64(f, &len) || len > SIZE_MAX / 2)
            return false;
        v->len = (size_t)len;
        return get_bytes(q, f, b, v->len, (const void **)&v->s);
    }
    uint64_t i;
    if (!get_u64(f, &i) || !get_f64(f, &v->f))
        return false;
    v->i = (int64_t)i;
    return true;
}

/* The accumulators of a group entry, their kept values in kept[]. */
static bool get_accs(flowlog_query *q, FILE *f, sbuf *b, qacc *accs, qkept *kept)
{
    for (int k = 0; k < q->naggs; k++) {
        qacc *a = &accs[k];
        memset(a, 0, sizeof *a);
        if (!get_u64(f, &a->count))
            return false;
        if (numeric_agg(q->aggs[k])) {
            uint64_t isum;
            unsigned char fl;
            if (!get_u64(f, &isum) || !get_f64(f, &a->fsum) || !get_f64(f, &a->min) || !get_f64(f, &a->max) ||
                !get_f64(f, &a->m2) || !get(f, &fl, 1))
                return false;
            a->isum = (int64_t)isum;
            a->floats = (fl & 1) != 0;
            a->times = (fl & 2) != 0;
        } else if (q->aggs[k] == AGG_PCT) {
            uint64_t n;
            if (!get_u64(f, &n) || n > SIZE_MAX / 16)
                return false;
            memset(&kept[k], 0, sizeof kept[k]);
            kept[k].nvals = (size_t)n;
            if (!get_bytes(q, f, b, (size_t)n * sizeof(double), (const void **)&kept[k].vals))
                return false;
            a->kept = &kept[k];
        } else if (flowlog__agg_keeps(q->aggs[k])) {
            unsigned char has;
            if (!get(f, &has, 1))
                return false;
            if (has) {
                uint64_t t;
                memset(&kept[k], 0, sizeof kept[k]);
                if (!get_u64(f, &t) || !get_value(q, f, b, &kept[k].v))
                    return false;
                kept[k].t = (int64_t)t;
                a->kept = &kept[k];
            }
        }
    }
    return true;
}

/* Merge one entry of a partition into the groups held. FLOWLOG_END at the
 * partition's end. */
int flowlog__spill_merge_entry(flowlog_query *q, FILE *f, uint64_t first_offset, size_t limit)
{
    struct qspill *sp = spill_of(q);
    if (!sp)
        return FLOWLOG_E_NOMEM;
    sp->read_limit = limit;
    sbuf *b = &sp->entry;
    unsigned char tag;
    if (!get(f, &tag, 1))
        return ferror(f) ? io_error(q, "cannot read") : FLOWLOG_END;
    uint64_t h, first = 0, agg = 0;
    flowlog_value key[QUERY_MAX_KEYS], v;
    qacc accs[QUERY_MAX_AGGS];
    qkept kept[QUERY_MAX_AGGS];
    b->nfix = 0;
    b->used = 0;
    b->nomem = false;
    bool ok = (tag == 'G' || tag == 'D') && get_u64(f, &h) && (tag != 'G' || get_u64(f, &first));
    for (int k = 0; ok && k < q->nkeys; k++)
        ok = get_value(q, f, b, &key[k]);
    if (ok && tag == 'G')
        ok = get_accs(q, f, b, accs, kept);
    else if (ok)
        ok = get_u64(f, &agg) && agg < (uint64_t)q->naggs && get_value(q, f, b, &v);
    if (!ok && b->nomem)
        return FLOWLOG_E_NOMEM;
    if (!ok) {
        errno = ferror(f) ? errno : 0;
        return io_error(q, "cannot read back");
    }
    sbuf_fix(b);
    first = first > UINT64_MAX - first_offset ? UINT64_MAX : first + first_offset;
    return tag == 'G' ? flowlog__query_merge_group(q, key, h, first, accs)
                      : flowlog__query_merge_distinct(q, key, h, (uint32_t)agg, &v);
}

/* Rows held past half the budget go out as a run before the next
 * partition is merged, so groups always have the other half. */
static int make_room(flowlog_query *q)
{
    if (q->nrows && flowlog__query_memory(q) > q->max_memory / 2)
        return flowlog__spill_rows(q);
    return FLOWLOG_OK;
}

/* Read one partition back whole. Its groups give their rows; or, when they
 * do not fit, they go on to the next level's partitions, to be merged in
 * turn. */
static int merge_part(flowlog_query *q, spart *part)
{
    struct qspill *sp = q->spill;
    sfile sub[PARTS];
    memset(sub, 0, sizeof sub);
    bool split = false;
    int rc = make_room(q);
    if (rc == FLOWLOG_OK)
        rc = file_rewind(q, &part->file);
    while (rc == FLOWLOG_OK) {
        if (flowlog__query_spill_due(q)) {
            if (part->level + 1 > MAX_LEVEL) {
                flowlog__error_set(&q->err, 0, -1,
                                   "one group needs more than %zu MiB for its values: raise the memory limit or "
                                   "narrow the query",
                                   q->max_memory >> 20);
                rc = FLOWLOG_E_LIMIT;
                break;
            }
            split = true;
            if ((rc = write_groups(q, sub, part->level + 1)) < 0)
                break;
        }
        rc = flowlog__spill_merge_entry(q, part->file.f, 0, 0);
    }
    if (rc == FLOWLOG_END)
        rc = FLOWLOG_OK;
    file_close(q, &part->file);
    if (rc == FLOWLOG_OK && split)
        rc = write_groups(q, sub, part->level + 1);
    if (rc == FLOWLOG_OK && !split) {
        rc = flowlog__query_group_rows(q, true);
        flowlog__query_groups_clear(q);
    }
    /* the next level's partitions, merged next, the first on top */
    for (int p = PARTS; p-- > 0;) {
        if (!sub[p].f)
            continue;
        if (rc < 0) {
            file_close(q, &sub[p]);
            continue;
        }
        sp->stack[sp->nstack].file = sub[p];
        sp->stack[sp->nstack++].level = part->level + 1;
    }
    return rc;
}

int flowlog__spill_merge(flowlog_query *q)
{
    struct qspill *sp = q->spill;
    for (int p = PARTS; p-- > 0;) {
        if (!sp->parts[p].f)
            continue;
        sp->stack[sp->nstack].file = sp->parts[p];
        sp->stack[sp->nstack++].level = 0;
        sp->parts[p].f = NULL;
        sp->parts[p].buf = NULL;
    }
    int rc = FLOWLOG_OK;
    while (sp->nstack && rc == FLOWLOG_OK) {
        spart part = sp->stack[--sp->nstack];
        rc = merge_part(q, &part);
    }
    return rc;
}

/* ---- runs ---- */

static void put_row(flowlog_query *q, FILE *f, const flowlog_value *row, size_t w)
{
    for (size_t i = 0; i < w; i++)
        put_value(q, f, &row[i]);
}

/* The next row of a run being merged, into its reader; done at its end. */
static int run_advance(flowlog_query *q, srun *r, size_t w)
{
    q->spill->read_limit = 0; /* our own runs: no bound but the value's */
    sbuf *b = &r->text;
    b->nfix = 0;
    b->used = 0;
    unsigned char t;
    int c = getc(r->file.f);
    if (c == EOF) {
        if (ferror(r->file.f))
            return io_error(q, "cannot read");
        r->done = true;
        return FLOWLOG_OK;
    }
    t = (unsigned char)c;
    if (ungetc(t, r->file.f) == EOF)
        return io_error(q, "cannot read");
    b->nomem = false;
    for (size_t i = 0; i < w; i++)
        if (!get_value(q, r->file.f, b, &r->row[i])) {
            if (b->nomem)
                return FLOWLOG_E_NOMEM;
            errno = ferror(r->file.f) ? errno : 0;
            return io_error(q, "cannot read back");
        }
    sbuf_fix(b);
    return FLOWLOG_OK;
}

static bool heap_before(const flowlog_query *q, int a, int b)
{
    return flowlog__row_before(q, q->spill->readers[a].row, q->spill->readers[b].row);
}

static void heap_down(flowlog_query *q, int i)
{
    struct qspill *sp = q->spill;
    for (;;) {
        int best = i, l = 2 * i + 1, r = l + 1;
        if (l < sp->nheap && heap_before(q, sp->heap[l], sp->heap[best]))
            best = l;
        if (r < sp->nheap && heap_before(q, sp->heap[r], sp->heap[best]))
            best = r;
        if (best == i)
            return;
        int t = sp->heap[i];
        sp->heap[i] = sp->heap[best];
        sp->heap[best] = t;
        i = best;
    }
}

static void readers_free(flowlog_query *q)
{
    struct qspill *sp = q->spill;
    size_t w = flowlog__row_width(q);
    for (int i = 0; sp->readers && i < sp->nruns; i++) {
        srun *r = &sp->readers[i];
        file_close(q, &r->file);
        if (r->row)
            FLOWLOG__FREE(&q->alloc, r->row, w * sizeof *r->row);
        sbuf_free(q, &r->text);
    }
    if (sp->readers)
        FLOWLOG__FREE(&q->alloc, sp->readers, (size_t)MAX_RUNS * sizeof *sp->readers);
    if (sp->heap)
        FLOWLOG__FREE(&q->alloc, sp->heap, (size_t)MAX_RUNS * sizeof *sp->heap);
    sp->readers = NULL;
    sp->heap = NULL;
    sp->nheap = 0;
    sp->nruns = 0;
}

/* Every run's reader at its first row, and the heap of them. The runs'
 * files move to the readers. */
static int readers_begin(flowlog_query *q)
{
    struct qspill *sp = q->spill;
    size_t w = flowlog__row_width(q);
    sp->readers = flowlog__calloc(&q->alloc, MAX_RUNS, sizeof *sp->readers);
    sp->heap = flowlog__calloc(&q->alloc, MAX_RUNS, sizeof *sp->heap);
    if (!sp->readers || !sp->heap) {
        readers_free(q);
        return FLOWLOG_E_NOMEM;
    }
    int rc = FLOWLOG_OK;
    for (int i = 0; i < sp->nruns; i++) {
        srun *r = &sp->readers[i];
        r->file = sp->runs[i];
        sp->runs[i].f = NULL;
        sp->runs[i].buf = NULL;
        if (rc < 0)
            continue;
        r->row = flowlog__calloc(&q->alloc, w, sizeof *r->row);
        rc = r->row ? file_rewind(q, &r->file) : FLOWLOG_E_NOMEM;
        if (rc == FLOWLOG_OK)
            rc = run_advance(q, r, w);
        if (rc == FLOWLOG_OK && !r->done)
            sp->heap[sp->nheap++] = i;
    }
    if (rc < 0) {
        readers_free(q);
        return rc;
    }
    for (int i = sp->nheap / 2; i-- > 0;)
        heap_down(q, i);
    sp->given = -1;
    return FLOWLOG_OK;
}

static int readers_next(flowlog_query *q, const flowlog_value **row)
{
    struct qspill *sp = q->spill;
    if (sp->given >= 0) {
        /* the row given last stayed valid until now */
        srun *r = &sp->readers[sp->given];
        int rc = run_advance(q, r, flowlog__row_width(q));
        if (rc < 0)
            return rc;
        if (r->done)
            sp->heap[0] = sp->heap[--sp->nheap];
        heap_down(q, 0);
        sp->given = -1;
    }
    if (!sp->nheap)
        return FLOWLOG_END;
    sp->given = sp->heap[0];
    *row = sp->readers[sp->given].row;
    return FLOWLOG_OK;
}

/* MAX_RUNS runs become one, so the files open stay few however many
 * runs the rows make. */
static int compact_runs(flowlog_query *q)
{
    struct qspill *sp = q->spill;
    sfile out = {0};
    int rc = file_open(q, &out);
    if (rc == FLOWLOG_OK)
        rc = readers_begin(q);
    const flowlog_value *row;
    size_t w = flowlog__row_width(q);
    while (rc == FLOWLOG_OK && (rc = readers_next(q, &row)) == FLOWLOG_OK)
        put_row(q, out.f, row, w);
    if (rc == FLOWLOG_END)
        rc = file_flush(q, &out);
    if (sp->readers)
        readers_free(q);
    if (rc < 0) {
        file_close(q, &out);
        return rc;
    }
    sp->runs[0] = out;
    sp->nruns = 1;
    return FLOWLOG_OK;
}

int flowlog__spill_rows(flowlog_query *q)
{
    struct qspill *sp = spill_of(q);
    if (!sp)
        return FLOWLOG_E_NOMEM;
    q->spill_pending = false;
    int rc = flowlog__query_sort_held(q);
    if (rc < 0)
        return rc;
    if (sp->nruns == MAX_RUNS && (rc = compact_runs(q)) < 0)
        return rc;
    sfile *run = &sp->runs[sp->nruns];
    if ((rc = file_open(q, run)) < 0)
        return rc;
    size_t w = flowlog__row_width(q);
    for (size_t i = 0; i < q->nrows; i++)
        put_row(q, run->f, q->rows + i * w, w);
    if ((rc = file_flush(q, run)) < 0) {
        file_close(q, run);
        return rc;
    }
    sp->nruns++;
    /* the rows held are in the run now: their memory goes back */
    FLOWLOG__FREE(&q->alloc, q->rows, q->rows_cap * w * sizeof *q->rows);
    q->rows = NULL;
    q->nrows = q->rows_cap = 0;
    flowlog__arena_free(q->stats ? &q->rowtext : &q->data, &q->alloc);
    return FLOWLOG_OK;
}

bool flowlog__spill_has_runs(const flowlog_query *q)
{
    return q->spill && q->spill->nruns > 0;
}

int flowlog__spill_stream_begin(flowlog_query *q)
{
    int rc = q->nrows ? flowlog__spill_rows(q) : FLOWLOG_OK;
    return rc < 0 ? rc : readers_begin(q);
}

int flowlog__spill_stream_next(flowlog_query *q, const flowlog_value **row)
{
    return readers_next(q, row);
}

uint64_t flowlog__spill_bytes(const flowlog_query *q)
{
    return q->spill ? q->spill->bytes : 0;
}

void flowlog__spill_free(flowlog_query *q)
{
    struct qspill *sp = q->spill;
    if (!sp)
        return;
    if (sp->readers)
        readers_free(q);
    for (int p = 0; p < PARTS; p++)
        file_close(q, &sp->parts[p]);
    for (int i = 0; i < sp->nstack; i++)
        file_close(q, &sp->stack[i].file);
    for (int i = 0; i < sp->nruns; i++)
        file_close(q, &sp->runs[i]);
    sbuf_free(q, &sp->entry);
    FLOWLOG__FREE(&q->alloc, sp, sizeof *sp);
    q->spill = NULL;
}
