/* The scan: the prefilter judges a chunk of plain lines at once, on this
 * thread or ahead on a second one, and the reader passes over the records
 * no caller needs, counted like every other, and shows them to a watcher. */
#include "../core/internal.h"
#include "reader_internal.h"

int flowlog__reader_watch(flowlog_reader *r, const flowlog_span *needles, size_t n, flowlog__watch_fn fn,
                          void *ctx)
{
    if (!r || (n && !needles) || n > FLOWLOG__MAX_NEEDLES)
        return FLOWLOG_E_ARG;
    for (size_t i = 0; i < n; i++)
        if (!needles[i].ptr || needles[i].len == 0 || needles[i].len > FLOWLOG__MAX_NEEDLE)
            return FLOWLOG_E_ARG;
    r->scan.pf.nneedles = n;
    r->scan.pf.longest = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(r->scan.pf.needle[i], needles[i].ptr, needles[i].len);
        r->scan.pf.needle_len[i] = needles[i].len;
        if (needles[i].len > r->scan.pf.longest)
            r->scan.pf.longest = needles[i].len;
    }
    r->scan.prefilter_on = n > 0;
    r->scan.watch = n > 0 ? fn : NULL;
    r->scan.watch_ctx = ctx;
    r->scan.pf_valid = false;
    return FLOWLOG_OK;
}

int flowlog_reader_set_prefilter(flowlog_reader *r, const flowlog_span *needles, size_t n)
{
    return flowlog__reader_watch(r, needles, n, NULL, NULL);
}

int flowlog_reader_set_fields(flowlog_reader *r, const uint32_t *fields, size_t n)
{
    if (!r || (n && !fields))
        return FLOWLOG_E_ARG;
    if (n > FLOWLOG_READER_MAX_FIELDS)
        return FLOWLOG_E_RANGE;
    memcpy(r->opt.fields, fields, n * sizeof *fields);
    r->opt.nfields = n;
    r->scan.declared_schema = NULL;
    return FLOWLOG_OK;
}

/* Make the reader's record the plain line chunk[off..off+len) of the
 * schema in force, its fields taken from the scan's masks (each when first
 * read, for up to 64 columns). */
static bool load_plain(flowlog_reader *r, const char *chunk, size_t off, size_t len)
{
    flowlog_record *rec = r->rec;
    size_t ncols = r->current->ncols;
    if (ncols <= 64) {
        flowlog__prefilter_defer(r->scan.pf_wk, chunk, off, off + len, rec, r->opt.cpu);
    } else if (flowlog__prefilter_spans(r->scan.pf_wk, chunk, off, off + len, rec->spans, rec->cap) != ncols) {
        return false;
    } else {
        rec->pending = 0;
    }
    rec->n = ncols;
    rec->line.ptr = chunk + off;
    rec->line.len = len;
    rec->flags = 0; /* the scan passes only times in seconds as plain */
    return true;
}

/* A consumer that said which few fields it reads has them filled with the
 * record, one after another. */
static void fill_declared(flowlog_reader *r)
{
    if (r->scan.declared_schema != r->current) {
        r->scan.ndeclared = 0;
        for (size_t i = 0; i < r->opt.nfields; i++) {
            int c = flowlog__schema_col(r->current, r->opt.fields[i]);
            bool seen = c < 0 || c >= 64;
            for (size_t k = 0; k < r->scan.ndeclared && !seen; k++)
                seen = r->scan.declared[k] == (uint8_t)c;
            if (!seen)
                r->scan.declared[r->scan.ndeclared++] = (uint8_t)c;
        }
        r->scan.declared_schema = r->current;
    }
    flowlog__record_fill_declared(r->rec, r->scan.declared, r->scan.ndeclared);
}

static flowlog_record *passed_record(const flowlog__passed *p, size_t i)
{
    flowlog_reader *r = p->reader;
    const flowlog__pf_passed *pl = &p->lines[i];
    size_t len = flowlog__chomp(p->chunk + pl->off, (size_t)(pl->nl - pl->off));
    if (!load_plain(r, p->chunk, pl->off, len)) { /* not for a line the scan passed over: it has the fields */
        r->rec->n = 0;
        r->rec->pending = 0;
    }
    return r->rec;
}

/* Show the watcher the next `lines` lines the scan passed over, of the
 * chunk that starts at `chunk`. */
static void show_passed(flowlog_reader *r, const char *chunk, uint32_t lines)
{
    if (!lines)
        return;
    flowlog__passed run = {chunk, &r->scan.pf_wk->passed[r->scan.pf_passed_next], lines, r->current, r->frame.stream, passed_record, r};
    r->scan.pf_passed_next += lines;
    r->scan.watch(r->scan.watch_ctx, &run);
}

static void pass(flowlog_reader *r, uint64_t bytes, uint64_t lines)
{
    r->win.start += bytes;
    r->win.dec_offset += bytes;
    r->win.line_no += lines;
    r->counts[FLOWLOG_COUNT_RECORDS] += lines;
}

/* Judge the lines from the window's start: ahead, on the second thread,
 * where the input lies whole in memory, else here. Returns the bytes
 * judged (0: none, and every line is returned). */
static size_t judge(flowlog_reader *r)
{
    /* Every line a stop: the masks are read for each record, and must be
     * in this processor's cache. */
    bool ahead = r->scan.ahead_ok && !r->scan.pf.stop_all;
    if (ahead && !r->scan.ahead && !r->scan.ahead_failed)
        r->scan.ahead_failed = flowlog__ahead_new(&r->scan.ahead, &r->alloc) != FLOWLOG_OK;
    if (ahead && r->scan.ahead && !r->scan.ahead_failed) {
        const flowlog__ahead_chunk *c = flowlog__ahead_take(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start);
        if (!c) {
            r->scan.pf.cpu = r->opt.cpu;
            flowlog__ahead_restart(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start, r->win.end);
            c = flowlog__ahead_take(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start);
        }
        if (flowlog__ahead_starved(r->scan.ahead)) {
            /* the thread gets no processor of its own: from now on the
             * reader judges alone, never slower than one thread */
            flowlog__ahead_restart(r->scan.ahead, NULL, NULL, 0, 0);
            r->scan.ahead_failed = true;
            c = NULL;
        }
        if (c) {
            r->scan.pf_wk = &c->wk;
            r->scan.pf_st = c->stops;
            r->scan.pf_nstops = c->nstops;
            r->scan.pf_tail = c->tail;
            return c->judged;
        }
    }
    if (!r->scan.pf_work && !(r->scan.pf_work = r->alloc.alloc(r->alloc.ctx, sizeof *r->scan.pf_work)))
        return 0; /* without room to scan, every record is returned */
    r->scan.pf_wk = r->scan.pf_work;
    r->scan.pf_st = r->scan.pf_stops;
    r->scan.pf.cpu = r->opt.cpu;
    return flowlog__prefilter_scan(&r->scan.pf, r->scan.pf_work, r->win.bytes + r->win.start, r->win.end - r->win.start, r->scan.pf_stops,
                                   FLOWLOG__PF_STOPS, &r->scan.pf_nstops, &r->scan.pf_tail);
}

/* Pass over the records at the front of the window that the prefilter says
 * the caller does not need, up to the next line it must see; they are
 * counted like every record (and shown to a watcher). A chunk is judged
 * once: its stops are taken in turn as the caller comes back for more. */
void flowlog__scan_pass_over(flowlog_reader *r)
{
    r->scan.pf_plain = false;
    /* A watcher is shown passed lines in the reader's record, which must
     * have the schema's room; without it, nothing is passed over. */
    if (r->scan.watch && r->rec->schema != r->current && flowlog_record_bind(r->rec, r->current) < 0)
        return;
    for (;;) {
        uint64_t cur = r->win.dec_offset;
        if (!r->scan.pf_valid || r->scan.pf_schema != r->current || cur != r->scan.pf_pos) {
            const flowlog_schema *s = r->current;
            r->scan.pf.ncols = s->ncols;
            r->scan.pf.time_cols[0] = s->builtin_col[FLOWLOG_FIELD_START];
            r->scan.pf.time_cols[1] = s->builtin_col[FLOWLOG_FIELD_END];
            r->scan.pf.max_line = r->opt.max_line;
            r->scan.pf.keep_passed = r->scan.watch != NULL;
            r->scan.pf.stop_all = !r->scan.prefilter_on;
            r->scan.pf_schema = s;
            r->scan.declared_schema = NULL; /* found again for the chunk's schema */
            size_t judged = judge(r);
            r->scan.pf_valid = judged > 0;
            if (!r->scan.pf_valid)
                return;
            r->scan.pf_base = r->scan.pf_pos = cur;
            r->scan.pf_end = cur + judged;
            r->scan.pf_next = 0;
            r->scan.pf_passed_next = 0;
        }
        const char *chunk = r->win.bytes + r->win.start - (size_t)(cur - r->scan.pf_base);
        if (r->scan.pf_next < r->scan.pf_nstops) {
            const flowlog__pf_stop *st = &r->scan.pf_st[r->scan.pf_next++];
            if (r->scan.watch)
                show_passed(r, chunk, st->before);
            pass(r, r->scan.pf_base + st->off - cur, st->before);
            r->scan.pf_pos = r->scan.pf_base + st->end;
            r->scan.pf_plain = st->plain;
            return;
        }
        if (r->scan.watch)
            show_passed(r, chunk, r->scan.pf_tail);
        pass(r, r->scan.pf_end - cur, r->scan.pf_tail);
        r->scan.pf_valid = false;
        /* a long run passed over in one call: the mapped pages behind it
         * go back as they would between records */
        if (r->src.map && r->win.start - r->src.map_trimmed >= FLOWLOG__MAP_TRIM_STEP)
            flowlog__source_trim_map(r);
        if (r->win.start == r->win.end)
            return;
    }
}

/* The record at the window's start, a stop the scan found plain: its
 * fields come from the scan's masks, without another pass over its bytes,
 * each when it is first read. */
bool flowlog__scan_take_plain(flowlog_reader *r)
{
    const flowlog__pf_stop *st = &r->scan.pf_st[r->scan.pf_next - 1];
    const char *line = r->win.bytes + r->win.start, *chunk = line - st->off;
    size_t n = st->end - st->off - 1, len = flowlog__chomp(line, n);
    if (r->scan.pf_wk != r->scan.pf_work) {
        /* Judged on the other thread: its masks are in the other
         * processor's cache, and splitting the line here costs less than
         * fetching them from there. */
        if (flowlog__record_load(r->rec, line, len) != FLOWLOG_OK)
            return false;
    } else if (!load_plain(r, chunk, st->off, len)) {
        return false;
    } else if (r->rec->pending && r->opt.nfields && r->opt.nfields * 2 <= r->current->ncols) {
        fill_declared(r);
    }
    r->win.start += n + 1;
    r->win.line_offset = r->win.dec_offset;
    r->win.dec_offset += n + 1;
    r->win.line_no++;
    r->counts[FLOWLOG_COUNT_RECORDS]++;
    return true;
}

