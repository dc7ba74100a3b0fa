/* The queued inputs read on several threads, as one pass would read them.
 *
 * The inputs are cut into parts: a plain-text file into pieces that begin
 * and end at line starts, any other file whole. The caller's thread and
 * T-1 others take the parts in order, each reading one into a state of
 * its own with a reader of its own; the caller's thread settles them in
 * order: the part's bad lines told with their line numbers (a piece
 * counts its lines from 1; the pieces before it say how many to add), its
 * counts and its input's account added to the reader's, its state merged.
 *
 * A piece assumes the header lines in force where it begins are those of
 * its file's first line. The piece before it says, once read, which were
 * in force where it ended; where they differ (a header line in the middle
 * of the file), or where a part could not keep its bad lines (more than
 * PART_MAX_TOLD) or failed, the caller reads that part again itself, with
 * the right header lines, straight into its own state, telling its bad
 * lines as they come. So the answer never depends on how the work was cut.
 *
 * No thread spins: a thread with no part to take sleeps on a condition
 * variable, and parts are megabytes, so hand-overs are rare. Parts are
 * taken at most 2T ahead of the one being settled, which bounds the
 * states held at once. */
#if defined(__linux__)
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#endif
#include "parallel.h"
#include "parquet.h"
#include "reader_internal.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t flowlog__parallel_part_bytes;
uint64_t flowlog__parallel_min_bytes;
uint64_t flowlog__parallel_runs, flowlog__parallel_rereads;

/* Below this in all, threads cost more to start than they save. */
#define PAR_MIN_BYTES ((uint64_t)16 << 20)
/* Pieces of a file: about four per thread, within these bounds. */
#define PART_MIN_BYTES ((uint64_t)8 << 20)
#define PART_MAX_BYTES ((uint64_t)64 << 20)
/* The bad lines a part keeps to be told in order; past these, the caller
 * reads the part again and tells them as they come. */
#define PART_MAX_TOLD 4096
#define PART_MAX_TOLD_TEXT ((size_t)1 << 20)
/* How far a cut looks for the start of a line. */
#define CUT_LOOK ((size_t)64 << 10)

typedef struct told {
    uint64_t line;
    int status;
    size_t msg; /* offset in the part's text */
} told;

/* Header lines in force, in the order to apply them (the one in force
 * last, last): 0 to 2 texts. */
typedef struct headers {
    char *text[2];
    size_t len[2];
} headers;

typedef struct par par;

typedef struct part {
    par *par;
    size_t input;        /* of the reader's inputs */
    bool ranged, direct_only;
    uint64_t start, end;
    const headers *assumed; /* where it begins (its file's first line), NULL for none */
    /* set by the thread that reads it */
    int stage;           /* 0 waiting, 1 being read, 2 read (under par->mu) */
    int rc;
    void *state;
    uint64_t counts[12];
    uint64_t lines;
    int status;
    uint64_t records, errors;
    char *reason;
    headers last;        /* in force where it ends */
    bool headers_lost, overflow;
    told *told;
    size_t ntold, told_cap;
    char *text;
    size_t text_len, text_cap;
    uint64_t consumed;   /* bytes read so far (atomic: the caller's thread sums them) */
    /* while the caller reads it again: what to add to its lines */
    uint64_t base;
} part;

struct par {
    flowlog_reader *r;
    const flowlog__par_ops *ops;
    part *parts;
    size_t nparts, parts_cap;
    headers *firsts;     /* the first-line headers of split files */
    size_t nfirsts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_claim, next_settle, ahead;
    bool quit;
    uint64_t settled_bytes;
};

int flowlog__processors(void)
{
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void headers_free(flowlog_allocator *a, headers *h)
{
    for (int i = 0; i < 2; i++)
        if (h->text[i])
            FLOWLOG__FREE(a, h->text[i], h->len[i] + 1);
    *h = (headers){{NULL, NULL}, {0, 0}};
}

static bool headers_equal(const headers *a, const headers *b)
{
    static const headers none;
    if (!a)
        a = &none;
    if (!b)
        b = &none;
    for (int i = 0; i < 2; i++) {
        if (!a->text[i] != !b->text[i])
            return false;
        if (a->text[i] && (a->len[i] != b->len[i] || memcmp(a->text[i], b->text[i], a->len[i]) != 0))
            return false;
    }
    return true;
}

/* The header lines a reader has in force, in the order to apply them. */
static bool headers_of(flowlog_allocator *a, const flowlog_reader *w, headers *out)
{
    int order[2] = {w->header_last == 0 ? 1 : 0, w->header_last == 0 ? 0 : 1};
    int n = 0;
    for (int i = 0; i < 2; i++) {
        int k = order[i];
        if (!w->header_text[k])
            continue;
        out->text[n] = flowlog__strndup(a, w->header_text[k], w->header_len[k]);
        if (!out->text[n])
            return false;
        out->len[n++] = w->header_len[k];
    }
    return true;
}

/* ---- what a part's reader tells ---- */

static void keep_told(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    part *p = ctx;
    flowlog_allocator *a = &p->par->r->alloc;
    (void)path;
    size_t n = strlen(message) + 1;
    if (p->overflow || p->ntold == PART_MAX_TOLD || p->text_len + n > PART_MAX_TOLD_TEXT) {
        p->overflow = true;
        return;
    }
    if (p->ntold == p->told_cap) {
        size_t cap = p->told_cap ? p->told_cap * 2 : 16;
        told *t = a->realloc(a->ctx, p->told, p->told_cap * sizeof *t, cap * sizeof *t);
        if (!t) {
            p->overflow = true;
            return;
        }
        p->told = t;
        p->told_cap = cap;
    }
    if (p->text_len + n > p->text_cap) {
        size_t cap = p->text_cap ? p->text_cap : 1024;
        while (cap < p->text_len + n)
            cap *= 2;
        char *t = a->realloc(a->ctx, p->text, p->text_cap, cap);
        if (!t) {
            p->overflow = true;
            return;
        }
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, message, n);
    p->told[p->ntold++] = (told){line, status, p->text_len};
    p->text_len += n;
}

/* A part the caller reads again: its bad lines go straight to the handler. */
static void tell_now(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    part *p = ctx;
    flowlog_reader *r = p->par->r;
    if (r->opt.on_error)
        r->opt.on_error(r->opt.on_error_ctx, path, line ? line + p->base : 0, status, message);
}

static uint64_t bytes_so_far(par *pp)
{
    uint64_t n = pp->settled_bytes;
    for (size_t u = pp->next_settle; u < pp->nparts; u++)
        n += __atomic_load_n(&pp->parts[u].consumed, __ATOMIC_RELAXED);
    return n;
}

static void note_progress(void *ctx, uint64_t consumed, uint64_t total)
{
    part *p = ctx;
    (void)total;
    __atomic_store_n(&p->consumed, consumed, __ATOMIC_RELAXED);
}

/* The progress callback of a part the caller's thread reads. */
static void note_progress_here(void *ctx, uint64_t consumed, uint64_t total)
{
    part *p = ctx;
    flowlog_reader *r = p->par->r;
    note_progress(ctx, consumed, total);
    r->opt.progress(r->opt.progress_ctx, bytes_so_far(p->par), r->src.total_bytes);
}

/* ---- reading one part ---- */

static int worker_reader(const flowlog_reader *r, flowlog_reader **out)
{
    flowlog_reader *w;
    int rc = flowlog_reader_new(&w, r->base, &r->alloc);
    if (rc < 0)
        return rc;
    w->opt = r->opt;
    w->opt.threads = 0; /* the part is this thread's work: no helpers */
    w->opt.on_error = NULL;
    w->opt.progress = NULL;
    w->opt.max_line_next = 0;
    w->rec->split = flowlog__split_at(w->opt.cpu);
    *out = w;
    return FLOWLOG_OK;
}

/* Read part p: into a state of its own, or (here) into the caller's,
 * telling its bad lines as they come. */
static void read_part(par *pp, part *p, bool here, const headers *assume)
{
    flowlog_reader *r = pp->r;
    const flowlog__input *in = &r->src.inputs[p->input];
    flowlog_reader *w = NULL;
    int rc = worker_reader(r, &w);
    if (rc == FLOWLOG_OK) {
        w->keep_headers = p->ranged;
        (void)flowlog_reader_set_error_handler(w, here ? tell_now : keep_told, p);
        if (r->opt.progress)
            (void)flowlog_reader_set_progress(w, here ? note_progress_here : note_progress, p);
        if (in->kind == INPUT_MISSING)
            rc = flowlog__reader_queue_missing(w, in->name, in->reason ? in->reason : "cannot be read", false);
        else if (p->ranged)
            rc = flowlog__reader_queue_range(w, in->name, p->start, p->end,
                                             assume ? (const char *const *)assume->text : NULL,
                                             assume ? assume->len : NULL);
        else
            rc = flowlog__reader_queue_file(w, in->name, 0);
    }
    if (rc == FLOWLOG_OK && !here)
        rc = pp->ops->make(pp->ops->ctx, pp->ahead + 1, &p->state);
    if (rc == FLOWLOG_OK)
        rc = pp->ops->read(pp->ops->ctx, here ? NULL : p->state, w);
    p->rc = rc;
    if (w) {
        memcpy(p->counts, w->counts, sizeof p->counts);
        p->lines = w->win.line_no;
        if (w->src.ninputs) {
            const flowlog__input *got = &w->src.inputs[0];
            p->status = got->status;
            p->records = got->records;
            p->errors = got->errors;
            if (got->reason && !p->reason)
                p->reason = flowlog__strndup(&r->alloc, got->reason, strlen(got->reason));
        }
        headers_free(&r->alloc, &p->last);
        p->headers_lost = w->headers_lost || !headers_of(&r->alloc, w, &p->last);
        flowlog_reader_free(w);
    }
}

static void drop_part(par *pp, part *p)
{
    flowlog_allocator *a = &pp->r->alloc;
    if (p->state)
        pp->ops->drop(pp->ops->ctx, p->state);
    p->state = NULL;
    FLOWLOG__FREE(a, p->told, p->told_cap * sizeof *p->told);
    FLOWLOG__FREE(a, p->text, p->text_cap);
    p->told = NULL;
    p->text = NULL;
    p->ntold = p->told_cap = p->text_len = p->text_cap = 0;
}

/* The next part to read, if one may be taken now (under mu); nparts when
 * none is left. */
static size_t claim(par *pp, bool *wait)
{
    *wait = false;
    while (pp->next_claim < pp->nparts && pp->parts[pp->next_claim].direct_only)
        pp->parts[pp->next_claim++].stage = 2;
    if (pp->quit || pp->next_claim == pp->nparts)
        return pp->nparts;
    if (pp->next_claim >= pp->next_settle + pp->ahead) {
        *wait = true;
        return pp->nparts;
    }
    pp->parts[pp->next_claim].stage = 1;
    return pp->next_claim++;
}

static void read_claimed(par *pp, size_t u)
{
    part *p = &pp->parts[u];
    read_part(pp, p, false, p->assumed);
    pthread_mutex_lock(&pp->mu);
    p->stage = 2;
    pthread_cond_broadcast(&pp->cv);
    pthread_mutex_unlock(&pp->mu);
}

static void *worker(void *arg)
{
    par *pp = arg;
    pthread_mutex_lock(&pp->mu);
    for (;;) {
        bool wait;
        size_t u = claim(pp, &wait);
        if (u == pp->nparts && !wait)
            break;
        if (wait) {
            pthread_cond_wait(&pp->cv, &pp->mu);
            continue;
        }
        pthread_mutex_unlock(&pp->mu);
        read_claimed(pp, u);
        pthread_mutex_lock(&pp->mu);
    }
    pthread_mutex_unlock(&pp->mu);
    return NULL;
}

/* ---- the plan ---- */

/* The first line at or after `at`: its offset, or 0 when none begins
 * within CUT_LOOK (no cut there). */
static uint64_t line_start_at(int fd, uint64_t at, uint64_t size, char *buf)
{
    uint64_t pos = at - 1; /* the byte before: a newline there makes `at` a start */
    while (pos < size && pos - (at - 1) < CUT_LOOK) {
        ssize_t n = pread(fd, buf, CUT_LOOK, (off_t)pos);
        if (n <= 0)
            return 0;
        const char *nl = memchr(buf, '\n', (size_t)n);
        if (nl)
            return pos + (uint64_t)(nl - buf) + 1;
        pos += (uint64_t)n;
    }
    return 0;
}

/* The first line of a file, when it is a header line: the header all its
 * pieces but the first assume. */
static int first_header(par *pp, int fd, char *buf, size_t *nfirst)
{
    flowlog_reader *r = pp->r;
    size_t want = r->opt.max_line + 2 < CUT_LOOK ? r->opt.max_line + 2 : CUT_LOOK;
    ssize_t n = pread(fd, buf, want, 0);
    const char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
    *nfirst = pp->nfirsts;
    if (!nl)
        return FLOWLOG_OK;
    size_t len = flowlog__chomp(buf, (size_t)(nl - buf));
    if (!flowlog_is_header_line(buf, len))
        return FLOWLOG_OK;
    headers *h = &pp->firsts[pp->nfirsts];
    h->text[0] = flowlog__strndup(&r->alloc, buf, len);
    if (!h->text[0])
        return FLOWLOG_E_NOMEM;
    h->len[0] = len;
    pp->nfirsts++;
    return FLOWLOG_OK;
}

/* Whether a file may be read in pieces: plain text lines. */
static bool splittable(const flowlog_reader *r, const char *head, size_t n)
{
    if (r->opt.input_format != FORM_DETECT && r->opt.input_format != FORM_TEXT)
        return false;
    if ((n >= 2 && (uint8_t)head[0] == 0x1f && (uint8_t)head[1] == 0x8b) || flowlog__pq_magic((const uint8_t *)head, n))
        return false;
    const char *nl = memchr(head, '\n', n);
    size_t len = nl ? (size_t)(nl - head) : n;
    return r->opt.input_format == FORM_TEXT || flowlog__detect_form(head, len) == FORM_TEXT;
}

static int add_part(par *pp, part p)
{
    flowlog_allocator *a = &pp->r->alloc;
    if (pp->nparts == pp->parts_cap) {
        size_t n = pp->parts_cap ? pp->parts_cap * 2 : 16;
        part *grown = a->realloc(a->ctx, pp->parts, pp->parts_cap * sizeof *grown, n * sizeof *grown);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        pp->parts = grown;
        pp->parts_cap = n;
    }
    p.par = pp;
    pp->parts[pp->nparts++] = p;
    return FLOWLOG_OK;
}

/* Cut the inputs into parts. */
static int plan(par *pp, int threads, char *buf)
{
    flowlog_reader *r = pp->r;
    uint64_t total = 0;
    size_t nin = r->src.ninputs;
    for (size_t i = 0; i < nin; i++) {
        const flowlog__input *in = &r->src.inputs[i];
        if (in->kind != INPUT_FILE && in->kind != INPUT_MISSING)
            return FLOWLOG_ABSENT;
        /* A pipe (a named one, /dev/fd/N of a shell's <(...)) is read once,
         * by one reader: opened here to look at it, it would be gone. */
        struct stat st;
        if (in->kind == INPUT_FILE && (stat(in->name, &st) != 0 || !S_ISREG(st.st_mode)))
            return FLOWLOG_ABSENT;
        if (in->kind == INPUT_FILE)
            total += (uint64_t)st.st_size;
    }
    uint64_t least = flowlog__parallel_min_bytes ? flowlog__parallel_min_bytes : PAR_MIN_BYTES;
    if (total < least)
        return FLOWLOG_ABSENT;
    uint64_t piece = total / ((uint64_t)threads * 4);
    piece = piece < PART_MIN_BYTES ? PART_MIN_BYTES : piece > PART_MAX_BYTES ? PART_MAX_BYTES : piece;
    if (pp->ops->part_bytes && piece > pp->ops->part_bytes)
        piece = pp->ops->part_bytes;
    if (flowlog__parallel_part_bytes)
        piece = flowlog__parallel_part_bytes;
    pp->firsts = flowlog__calloc(&r->alloc, nin ? nin : 1, sizeof *pp->firsts);
    if (!pp->firsts)
        return FLOWLOG_E_NOMEM;
    for (size_t i = 0; i < nin; i++) {
        const flowlog__input *in = &r->src.inputs[i];
        if (in->kind == INPUT_MISSING) {
            if (in->fd != 0 && add_part(pp, (part){.input = i, .direct_only = true}) < 0)
                return FLOWLOG_E_NOMEM;
            continue; /* fd 0: told when it was queued, and not read */
        }
        int fd = open(in->name, O_RDONLY | O_NONBLOCK);
        struct stat st;
        ssize_t n = 0;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            n = pread(fd, buf, CUT_LOOK, 0);
        int rc = FLOWLOG_OK;
        if (fd >= 0 && n > 0 && (uint64_t)st.st_size >= 2 * piece && splittable(r, buf, (size_t)n)) {
            size_t first;
            rc = first_header(pp, fd, buf, &first);
            const headers *assumed = first < pp->nfirsts ? &pp->firsts[first] : NULL;
            uint64_t size = (uint64_t)st.st_size, from = 0;
            uint64_t pieces = (size + piece - 1) / piece;
            for (uint64_t k = 1; rc == FLOWLOG_OK && k < pieces; k++) {
                uint64_t cut = line_start_at(fd, size / pieces * k, size, buf);
                if (cut <= from || cut >= size)
                    continue;
                rc = add_part(pp, (part){.input = i, .ranged = true, .start = from, .end = cut,
                                               .assumed = from ? assumed : NULL});
                from = cut;
            }
            if (rc == FLOWLOG_OK)
                rc = add_part(pp, (part){.input = i, .ranged = from > 0, .start = from, .end = size,
                                               .assumed = from ? assumed : NULL});
        } else {
            rc = add_part(pp, (part){.input = i});
        }
        if (fd >= 0)
            close(fd);
        if (rc < 0)
            return rc;
    }
    return pp->nparts >= 2 ? FLOWLOG_OK : FLOWLOG_ABSENT;
}

/* ---- settling, in order, on the caller's thread ---- */

static void add_counts(flowlog_reader *r, const part *p)
{
    for (int k = 0; k < 12; k++)
        if (k != FLOWLOG_COUNT_INPUTS)
            r->counts[k] += p->counts[k];
}

/* Settle part u, read: merge, tell, count; or read it again here. */
static int settle(par *pp, size_t u, const headers *before, uint64_t base)
{
    flowlog_reader *r = pp->r;
    part *p = &pp->parts[u];
    bool again = p->direct_only || p->rc < 0 || p->overflow || p->headers_lost ||
                 (p->ranged && !headers_equal(p->assumed, before));
    int rc = FLOWLOG_OK;
    if (!again) {
        rc = pp->ops->merge(pp->ops->ctx, p->state);
        again = rc == FLOWLOG_ABSENT; /* it would not merge exactly: nothing was */
    }
    if (!again) {
        const char *name = r->src.inputs[p->input].name;
        for (size_t i = 0; i < p->ntold; i++)
            if (r->opt.on_error)
                r->opt.on_error(r->opt.on_error_ctx, name, p->told[i].line ? p->told[i].line + base : 0,
                                p->told[i].status, p->text + p->told[i].msg);
        add_counts(r, p);
        drop_part(pp, p);
        return rc;
    }
    /* A part past what a state holds (its share of a memory budget, a
     * table that filled): the parts after it would be too, so the caller
     * reads the rest itself. */
    if (p->rc == FLOWLOG_E_LIMIT || rc == FLOWLOG_ABSENT) {
        pthread_mutex_lock(&pp->mu);
        pp->quit = true;
        pthread_mutex_unlock(&pp->mu);
    }
    drop_part(pp, p);
    __atomic_add_fetch(&flowlog__parallel_rereads, 1, __ATOMIC_RELAXED);
    char *reason = p->reason;
    p->reason = NULL;
    if (reason)
        FLOWLOG__FREE(&r->alloc, reason, strlen(reason) + 1);
    p->overflow = false;
    p->base = base;
    __atomic_store_n(&p->consumed, 0, __ATOMIC_RELAXED);
    read_part(pp, p, true, before);
    add_counts(r, p);
    return p->rc;
}

/* Settle the account of input i from its parts [first, end). */
static void settle_input(par *pp, size_t i, size_t first, size_t end)
{
    flowlog_reader *r = pp->r;
    flowlog__input *in = &r->src.inputs[i];
    in->records = in->errors = 0;
    in->status = FLOWLOG_INPUT_COMPLETE;
    for (size_t u = first; u < end; u++) {
        part *p = &pp->parts[u];
        in->records += p->records;
        in->errors += p->errors;
        if (p->status == FLOWLOG_INPUT_FAILED)
            in->status = FLOWLOG_INPUT_FAILED;
        if (p->reason && !in->reason) {
            in->reason = p->reason;
            p->reason = NULL;
        }
    }
    if (in->kind == INPUT_FILE)
        r->counts[FLOWLOG_COUNT_INPUTS]++;
    else
        in->fd = 0;
}

static int settle_all(par *pp)
{
    flowlog_reader *r = pp->r;
    int rc = FLOWLOG_OK;
    size_t first = 0;
    uint64_t base = 0;
    for (size_t u = 0; u < pp->nparts && rc >= 0; u++) {
        part *p = &pp->parts[u];
        /* take parts to read here while this one is being read */
        pthread_mutex_lock(&pp->mu);
        while (p->stage != 2) {
            if (p->stage == 0 && pp->quit) {
                p->direct_only = true; /* no thread takes parts any more: read here */
                break;
            }
            bool wait;
            size_t mine = claim(pp, &wait);
            if (mine < pp->nparts) {
                pthread_mutex_unlock(&pp->mu);
                read_claimed(pp, mine);
                pthread_mutex_lock(&pp->mu);
            } else {
                pthread_cond_wait(&pp->cv, &pp->mu);
            }
        }
        pthread_mutex_unlock(&pp->mu);
        if (u == 0 || pp->parts[u - 1].input != p->input) {
            first = u;
            base = 0;
        }
        const headers *before = u > first ? &pp->parts[u - 1].last : NULL;
        rc = settle(pp, u, before, base);
        base += p->lines;
        pthread_mutex_lock(&pp->mu);
        pp->next_settle = u + 1;
        pp->settled_bytes += p->counts[FLOWLOG_COUNT_BYTES];
        pthread_cond_broadcast(&pp->cv);
        pthread_mutex_unlock(&pp->mu);
        if (r->opt.progress)
            r->opt.progress(r->opt.progress_ctx, bytes_so_far(pp), r->src.total_bytes);
        if (u + 1 == pp->nparts || pp->parts[u + 1].input != p->input)
            settle_input(pp, p->input, first, u + 1);
    }
    return rc;
}

int flowlog__reader_threads(const flowlog_reader *r)
{
    return r->opt.threads;
}

int flowlog__parallel_read(flowlog_reader *r, const flowlog__par_ops *ops)
{
    if (r->opt.threads == 0 || r->opt.stop_on_error || r->src.next_input != 0 || r->src.in_open ||
        r->counts[FLOWLOG_COUNT_LINES] != 0)
        return FLOWLOG_ABSENT;
    int threads = flowlog__processors();
    if (r->opt.threads > 1 && r->opt.threads < threads)
        threads = r->opt.threads;
    if (threads < 2)
        return FLOWLOG_ABSENT;
    char *buf = r->alloc.alloc(r->alloc.ctx, CUT_LOOK);
    if (!buf)
        return FLOWLOG_E_NOMEM;
    par pp = {.r = r, .ops = ops, .ahead = (size_t)threads * 2};
    int rc = plan(&pp, threads, buf);
    FLOWLOG__FREE(&r->alloc, buf, CUT_LOOK);
    pthread_t tids[FLOWLOG__MAX_THREADS];
    int started = 0;
    bool locks = false;
    if (rc == FLOWLOG_OK) {
        locks = pthread_mutex_init(&pp.mu, NULL) == 0;
        if (locks && pthread_cond_init(&pp.cv, NULL) != 0) {
            pthread_mutex_destroy(&pp.mu);
            locks = false;
        }
        rc = locks ? FLOWLOG_OK : FLOWLOG_ABSENT;
    }
    if (rc == FLOWLOG_OK) {
        if (threads > (int)pp.nparts)
            threads = (int)pp.nparts;
        while (started < threads - 1 && pthread_create(&tids[started], NULL, worker, &pp) == 0)
            started++;
        __atomic_add_fetch(&flowlog__parallel_runs, 1, __ATOMIC_RELAXED);
        rc = settle_all(&pp);
        pthread_mutex_lock(&pp.mu);
        pp.quit = true;
        pthread_cond_broadcast(&pp.cv);
        pthread_mutex_unlock(&pp.mu);
        for (int t = 0; t < started; t++)
            pthread_join(tids[t], NULL);
        r->src.next_input = r->src.ninputs;
        r->src.raw_total = r->counts[FLOWLOG_COUNT_BYTES];
    }
    if (locks) {
        pthread_cond_destroy(&pp.cv);
        pthread_mutex_destroy(&pp.mu);
    }
    for (size_t u = 0; u < pp.nparts; u++) {
        part *p = &pp.parts[u];
        drop_part(&pp, p);
        headers_free(&r->alloc, &p->last);
        if (p->reason)
            FLOWLOG__FREE(&r->alloc, p->reason, strlen(p->reason) + 1);
    }
    for (size_t i = 0; i < pp.nfirsts; i++)
        headers_free(&r->alloc, &pp.firsts[i]);
    if (pp.firsts)
        FLOWLOG__FREE(&r->alloc, pp.firsts, (r->src.ninputs ? r->src.ninputs : 1) * sizeof *pp.firsts);
    if (pp.parts)
        FLOWLOG__FREE(&r->alloc, pp.parts, pp.parts_cap * sizeof *pp.parts);
    return rc;
}
