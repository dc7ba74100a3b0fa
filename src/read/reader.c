#if defined(__linux__)
#define _GNU_SOURCE /* sched_getaffinity */
#include <sched.h>
#endif
#include "../core/internal.h"
#include "reader_internal.h"
#include "../cpu/cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)256 * 1024)
#define DEFAULT_MAX_LINE ((size_t)64 * 1024)
#define DEFAULT_MAX_ENVELOPE ((size_t)64 * 1024 * 1024)

/* AWS's default transit-gateway format: every field of the TGW table, in
 * the table's order. Used for a TransitGateway record met without a header. */
static const char default_tgw_format[] =
    "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id "
    "tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id "
    "tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr "
    "srcport dstport protocol packets bytes start end log-status type packets-lost-no-route "
    "packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region "
    "flow-direction pkt-src-aws-service pkt-dst-aws-service";

int flowlog_reader_new(flowlog_reader **out, const flowlog_schema *schema,
                       const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if ((schema && !schema->frozen) || flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_reader *r = flowlog__calloc(&al, 1, sizeof *r);
    if (!r)
        return FLOWLOG_E_NOMEM;
    r->alloc = al;
    flowlog__error_clear(&r->err);
    r->opt.max_line = DEFAULT_MAX_LINE;
    r->opt.max_envelope = DEFAULT_MAX_ENVELOPE;
    r->opt.validate = true;
    r->opt.threads = true;
    r->opt.max_fields = FLOWLOG_MAX_COLUMNS;
    r->opt.cpu = flowlog__cpu_best();
    int rc = FLOWLOG_OK;
    if (!schema) {
        rc = flowlog_schema_compile(&r->default_schema, NULL, 0, FLOWLOG_SYNTAX_DEFAULT, &al);
        schema = r->default_schema;
    }
    if (rc == FLOWLOG_OK) {
        r->base = schema;
        r->current = schema;
        rc = flowlog_record_new(&r->rec, schema, &al);
    }
    if (rc < 0) {
        flowlog_reader_free(r);
        return rc;
    }
    *out = r;
    return FLOWLOG_OK;
}

int flowlog_reader_new_ex(flowlog_reader **out, const flowlog_schema *schema, const flowlog_allocator *a,
                          flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_reader_new(out, schema, a), out, a, schema, false);
}

/* The account of the input being closed: what it gave, and whether it was
 * read to its end. */
static void settle_input(flowlog_reader *r)
{
    flowlog__input *in = r->src.in;
    in->records = r->counts[FLOWLOG_COUNT_RECORDS] - r->src.in_base[0];
    in->errors = r->counts[FLOWLOG_COUNT_ERRORS] - r->src.in_base[1];
    in->status = r->src.in_failed ? FLOWLOG_INPUT_FAILED : r->stopped ? FLOWLOG_INPUT_STOPPED : FLOWLOG_INPUT_COMPLETE;
}

/* Remember why the input being read failed (the reader's message of now). */
static void fail_input(flowlog_reader *r)
{
    r->src.in_failed = true;
    if (!r->src.in->reason)
        r->src.in->reason = flowlog__strndup(&r->alloc, r->err.msg, strlen(r->err.msg));
}

static void close_input(flowlog_reader *r)
{
    if (!r->src.in_open)
        return;
    settle_input(r);
    if (r->src.piped) {
        flowlog__pipe_stop(r);
        r->src.piped = false;
    }
    if (r->scan.ahead)
        flowlog__ahead_restart(r->scan.ahead, NULL, NULL, 0, 0);
    r->scan.ahead_ok = false;
    if (r->src.in->kind == INPUT_FILE && r->src.in->fd >= 0) {
        close(r->src.in->fd);
        r->src.in->fd = -1;
    }
    if (r->src.map) {
        munmap(r->src.map, r->src.map_len);
        r->src.map = NULL;
        r->win.bytes = r->win.buf;
        r->win.start = r->win.end = 0;
    }
    flowlog__gz_end(&r->src.gz);
    flowlog__json_reset(r);
    r->src.in_open = false;
    r->scan.pf_valid = false;
    r->win.nlx_len = 0;
    r->win.nlx_block = NULL;
}

static void drop_header_schemas(flowlog_reader *r)
{
    if (r->header_vpc || r->header_tgw) {
        /* The record must not point at a schema about to go; the base never
         * needs more room than the record was made with. */
        r->rec->schema = r->base;
        r->rec->n = 0;
        flowlog_schema_free(r->header_vpc);
        flowlog_schema_free(r->header_tgw);
        r->header_vpc = r->header_tgw = NULL;
    }
    r->current = r->base;
}

void flowlog_reader_free(flowlog_reader *r)
{
    if (!r)
        return;
    flowlog_allocator al = r->alloc;
    close_input(r);
    drop_header_schemas(r);
    flowlog_record_free(r->rec);
    flowlog_schema_free(r->default_schema);
    flowlog_schema_free(r->default_tgw);
    for (size_t i = 0; i < r->src.ninputs; i++) {
        if (r->src.inputs[i].kind == INPUT_FILE && r->src.inputs[i].fd >= 0)
            close(r->src.inputs[i].fd);
        FLOWLOG__FREE(&al, r->src.inputs[i].name, strlen(r->src.inputs[i].name) + 1);
        if (r->src.inputs[i].reason)
            FLOWLOG__FREE(&al, r->src.inputs[i].reason, strlen(r->src.inputs[i].reason) + 1);
    }
    FLOWLOG__FREE(&al, r->src.inputs, r->src.inputs_cap * sizeof *r->src.inputs);
    FLOWLOG__FREE(&al, r->src.raw, r->src.raw_cap);
    FLOWLOG__FREE(&al, r->win.buf, r->win.buf_cap);
    flowlog__pipe_free(r);
    flowlog__ahead_free(r->scan.ahead);
    FLOWLOG__FREE(&al, r->frame.scratch, r->frame.scratch_cap);
    if (r->scan.pf_work)
        FLOWLOG__FREE(&al, r->scan.pf_work, sizeof *r->scan.pf_work);
    if (r->win.nlx_own)
        FLOWLOG__FREE(&al, r->win.nlx_own, (FLOWLOG__PF_CHUNK + 2) * sizeof *r->win.nlx_own);
    FLOWLOG__FREE(&al, r, sizeof *r);
}

int flowlog_reader_set(flowlog_reader *r, int key, int64_t value)
{
    if (!r)
        return FLOWLOG_E_ARG;
    switch (key) {
    case FLOWLOG_OPT_MAX_LINE:
        if (value < 16 || value > ((int64_t)1 << 30))
            return FLOWLOG_E_RANGE;
        /* The buffers of an open input were sized for the old limit: a new
         * one applies from the next input. */
        if (r->src.in_open)
            r->opt.max_line_next = (size_t)value;
        else
            r->opt.max_line = (size_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_ON_ERROR:
        if (value != FLOWLOG_ON_ERROR_SKIP && value != FLOWLOG_ON_ERROR_STOP)
            return FLOWLOG_E_RANGE;
        r->opt.stop_on_error = value == FLOWLOG_ON_ERROR_STOP;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_MAX_ENVELOPE:
        if (value < 1024 || value > ((int64_t)1 << 32))
            return FLOWLOG_E_RANGE;
        r->opt.max_envelope = (size_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_VALIDATE:
        if (value != 0 && value != 1)
            return FLOWLOG_E_RANGE;
        r->opt.validate = value == 1;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_THREADS:
        if (value != 0 && value != 1)
            return FLOWLOG_E_RANGE;
        r->opt.threads = value == 1;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_CPU:
        if (value < FLOWLOG_CPU_SCALAR || value > FLOWLOG_CPU_AVX512)
            return FLOWLOG_E_RANGE;
        if (value > flowlog__cpu_best())
            return FLOWLOG_E_UNSUPPORTED;
        r->opt.cpu = (int)value;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_MMAP:
        if (value != 0 && value != 1)
            return FLOWLOG_E_RANGE;
        r->opt.map_files = value == 1;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_MAX_FIELDS:
        if (value < 1 || value > FLOWLOG_MAX_COLUMNS)
            return FLOWLOG_E_RANGE;
        r->opt.max_fields = (size_t)value;
        return FLOWLOG_OK;
    default:
        return FLOWLOG_E_UNSUPPORTED;
    }
}

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
    if (r->scan.ahead_ok && !r->scan.ahead && !r->scan.ahead_failed)
        r->scan.ahead_failed = flowlog__ahead_new(&r->scan.ahead, &r->alloc) != FLOWLOG_OK;
    if (r->scan.ahead_ok && r->scan.ahead) {
        const flowlog__ahead_chunk *c = flowlog__ahead_take(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start);
        if (!c) {
            r->scan.pf.cpu = r->opt.cpu;
            flowlog__ahead_restart(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start, r->win.end);
            c = flowlog__ahead_take(r->scan.ahead, &r->scan.pf, r->win.bytes, r->win.start);
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
static void pass_over(flowlog_reader *r)
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
            r->scan.pf_schema = s;
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
        if (r->win.start == r->win.end)
            return;
    }
}

/* The record at the window's start, a stop the scan found plain: its
 * fields come from the scan's masks, without another pass over its bytes,
 * each when it is first read. */
static bool take_plain(flowlog_reader *r)
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
    }
    r->win.start += n + 1;
    r->win.line_offset = r->win.dec_offset;
    r->win.dec_offset += n + 1;
    r->win.line_no++;
    r->counts[FLOWLOG_COUNT_RECORDS]++;
    return true;
}

int flowlog_reader_set_progress(flowlog_reader *r, flowlog_progress_fn fn, void *ctx)
{
    if (!r)
        return FLOWLOG_E_ARG;
    r->opt.progress = fn;
    r->opt.progress_ctx = ctx;
    return FLOWLOG_OK;
}

static int queue(flowlog_reader *r, input_kind kind, const char *name, int fd,
                 const void *mem, size_t len)
{
    if (r->src.ninputs == r->src.inputs_cap) {
        size_t cap = r->src.inputs_cap ? r->src.inputs_cap * 2 : 8;
        flowlog__input *grown = r->alloc.realloc(r->alloc.ctx, r->src.inputs,
                                                 r->src.inputs_cap * sizeof *r->src.inputs,
                                                 cap * sizeof *r->src.inputs);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        r->src.inputs = grown;
        r->src.inputs_cap = cap;
    }
    char *copy = flowlog__strndup(&r->alloc, name, strlen(name));
    if (!copy)
        return FLOWLOG_E_NOMEM;
    r->src.inputs[r->src.ninputs++] = (flowlog__input){kind, copy, fd, mem, len, FLOWLOG_INPUT_QUEUED, 0, 0, NULL};
    return FLOWLOG_OK;
}

/* A path that cannot be read is still an input: it is listed, failed, with
 * why, and counted as an input error. A path given is reported at once
 * (flowlog_reader_add_path() fails); an entry of a directory, when the
 * reading comes to it (fd -1 until then), so that the walk goes on and
 * every bad entry is reported in its place. */
int flowlog__reader_queue_missing(flowlog_reader *r, const char *path, const char *why, bool now)
{
    int rc = queue(r, INPUT_MISSING, path, now ? 0 : -1, NULL, 0);
    if (rc < 0)
        return rc;
    flowlog__input *in = &r->src.inputs[r->src.ninputs - 1];
    in->reason = flowlog__strndup(&r->alloc, why, strlen(why));
    if (!in->reason)
        return FLOWLOG_E_NOMEM;
    if (now) {
        in->status = FLOWLOG_INPUT_FAILED;
        r->counts[FLOWLOG_COUNT_INPUT_ERRORS]++;
        flowlog__error_set(&r->err, 0, -1, "%s: %s", path, why);
        return FLOWLOG_E_IO;
    }
    return FLOWLOG_OK;
}

int flowlog__reader_queue_file(flowlog_reader *r, const char *path, uint64_t size)
{
    r->src.total_bytes += size;
    return queue(r, INPUT_FILE, path, -1, NULL, 0);
}

int flowlog_reader_add_path(flowlog_reader *r, const char *path)
{
    if (!r || !path)
        return FLOWLOG_E_ARG;
    if (strcmp(path, "-") == 0)
        return queue(r, INPUT_FD, "<stdin>", 0, NULL, 0);
    struct stat st;
    if (stat(path, &st) != 0) {
        int rc = flowlog__reader_queue_missing(r, path, strerror(errno), true);
        return rc == FLOWLOG_E_NOMEM ? rc : FLOWLOG_E_IO;
    }
    if (S_ISDIR(st.st_mode))
        return flowlog__reader_walk(r, path);
    return flowlog__reader_queue_file(r, path, S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
}

int flowlog_reader_add_fd(flowlog_reader *r, int fd, const char *name)
{
    char fallback[32];
    if (!r || fd < 0)
        return FLOWLOG_E_ARG;
    if (!name) {
        snprintf(fallback, sizeof fallback, "<fd %d>", fd);
        name = fallback;
    }
    return queue(r, INPUT_FD, name, fd, NULL, 0);
}

int flowlog_reader_add_memory(flowlog_reader *r, const void *buf, size_t len, const char *name)
{
    if (!r || (!buf && len))
        return FLOWLOG_E_ARG;
    r->src.total_bytes += len;
    return queue(r, INPUT_MEMORY, name ? name : "<memory>", -1, buf, len);
}

int flowlog_reader_begin_push(flowlog_reader *r, const char *name)
{
    if (!r)
        return FLOWLOG_E_ARG;
    return queue(r, INPUT_PUSH, name ? name : "<push>", -1, NULL, 0);
}

int flowlog_reader_push(flowlog_reader *r, const void *buf, size_t len)
{
    if (!r || (!buf && len))
        return FLOWLOG_E_ARG;
    /* The push input is the last queued; it may not be open yet. */
    if (r->src.ninputs == 0 || r->src.inputs[r->src.ninputs - 1].kind != INPUT_PUSH || r->src.push_ended)
        return FLOWLOG_E_ARG;
    if (r->src.push_pos < r->src.push_len)
        return FLOWLOG_E_ARG;
    if (len == 0) {
        r->src.push_ended = true;
        return FLOWLOG_OK;
    }
    r->src.push_ptr = buf;
    r->src.push_len = len;
    r->src.push_pos = 0;
    return FLOWLOG_OK;
}

static int input_error(flowlog_reader *r, int rc)
{
    r->counts[FLOWLOG_COUNT_INPUT_ERRORS]++;
    fail_input(r);
    close_input(r);
    return rc;
}

static int raw_read(flowlog_reader *r, uint8_t *dst, size_t cap, size_t *got, char *why)
{
    *got = 0;
    switch (r->src.in->kind) {
    case INPUT_FD:
    case INPUT_FILE: {
        ssize_t n;
        do
            n = read(r->src.in->fd, dst, cap);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            snprintf(why, FLOWLOG__MSG_SIZE, "read failed: %s", strerror(errno));
            return FLOWLOG_E_IO;
        }
        if (n == 0)
            r->src.raw_eof = true;
        *got = (size_t)n;
        break;
    }
    case INPUT_MEMORY: {
        size_t n = r->src.in->mem_len - r->src.mem_pos;
        if (n > cap)
            n = cap;
        if (n)
            memcpy(dst, r->src.in->mem + r->src.mem_pos, n);
        r->src.mem_pos += n;
        if (r->src.mem_pos == r->src.in->mem_len)
            r->src.raw_eof = true;
        *got = n;
        break;
    }
    case INPUT_PUSH: {
        size_t n = r->src.push_len - r->src.push_pos;
        if (n == 0) {
            if (r->src.push_ended) {
                r->src.raw_eof = true;
                return FLOWLOG_OK;
            }
            return FLOWLOG_NEED_MORE;
        }
        if (n > cap)
            n = cap;
        memcpy(dst, r->src.push_ptr + r->src.push_pos, n);
        r->src.push_pos += n;
        *got = n;
        break;
    }
    case INPUT_MISSING: /* never opened */
        r->src.raw_eof = true;
        break;
    }
    r->src.raw_total += *got;
    return FLOWLOG_OK;
}

int flowlog__reader_decode(flowlog_reader *r, char *dst, size_t room, size_t *made, char *why)
{
    int rc;
    *made = 0;
    if (!r->src.gz_mode) {
        size_t got, held = 0;
        if (r->src.have_sniff) {
            dst[0] = (char)r->src.sniff_byte;
            r->src.have_sniff = false;
            held = 1;
        }
        rc = raw_read(r, (uint8_t *)dst + held, room - held, &got, why);
        if (rc != FLOWLOG_OK) {
            r->src.have_sniff = held;
            return rc;
        }
        got += held;
        if (!r->src.detected_gz) {
            /* Content, not the name, says gzip: the magic 1f 8b at the start.
             * A first read of one byte waits for the second; a push input
             * may have to wait for its next chunk, so the byte is held. */
            if (got == 1 && !r->src.raw_eof) {
                size_t more;
                rc = raw_read(r, (uint8_t *)dst + 1, room - 1, &more, why);
                if (rc != FLOWLOG_OK) {
                    r->src.sniff_byte = (uint8_t)dst[0];
                    r->src.have_sniff = true;
                    return rc;
                }
                got += more;
            }
            r->src.detected_gz = true;
            if (got >= 2 && (uint8_t)dst[0] == 0x1f && (uint8_t)dst[1] == 0x8b) {
                /* The compressed bytes read so far move to the raw buffer. */
                size_t cap = got > READ_CHUNK ? got : READ_CHUNK;
                if (r->src.raw_cap < cap) {
                    uint8_t *grown = r->alloc.realloc(r->alloc.ctx, r->src.raw, r->src.raw_cap, cap);
                    if (!grown)
                        return FLOWLOG_E_NOMEM;
                    r->src.raw = grown;
                    r->src.raw_cap = cap;
                }
                memcpy(r->src.raw, dst, got);
                r->src.raw_start = 0;
                r->src.raw_end = got;
                rc = flowlog__gz_init(&r->src.gz, &r->alloc);
                if (rc < 0)
                    return rc;
                r->src.gz_mode = true;
                return FLOWLOG_OK;
            }
        }
        *made = got;
        if (r->src.raw_eof)
            r->src.decoded_all = true;
        return FLOWLOG_OK;
    }
    if (r->src.raw_start == r->src.raw_end && !r->src.raw_eof) {
        size_t got;
        r->src.raw_start = r->src.raw_end = 0;
        rc = raw_read(r, r->src.raw, r->src.raw_cap, &got, why);
        if (rc != FLOWLOG_OK)
            return rc;
        r->src.raw_end = got;
    }
    size_t used;
    const char *reason = "corrupt gzip data";
    rc = flowlog__gz_inflate(&r->src.gz, r->src.raw + r->src.raw_start, r->src.raw_end - r->src.raw_start, &used,
                             (uint8_t *)dst, room, made, r->src.raw_eof, &reason);
    r->src.raw_start += used;
    if (rc == FLOWLOG_OK && used == 0 && *made == 0 && room > 0 && !r->src.raw_eof) {
        /* The decoder needs more than the bytes held (the start of the next
         * member, cut by a push): keep them and read more after them, or
         * the caller would ask again for ever. */
        size_t left = r->src.raw_end - r->src.raw_start, got;
        if (left == r->src.raw_cap) {
            /* A full buffer the decoder takes nothing from: never read
             * into no room (a read of 0 bytes would look like the end). */
            snprintf(why, FLOWLOG__MSG_SIZE, "corrupt gzip data: the decoder makes no progress");
            return FLOWLOG_E_GZIP;
        }
        memmove(r->src.raw, r->src.raw + r->src.raw_start, left);
        r->src.raw_start = 0;
        r->src.raw_end = left;
        rc = raw_read(r, r->src.raw + left, r->src.raw_cap - left, &got, why);
        r->src.raw_end += got;
        return rc;
    }
    if (rc == FLOWLOG_END) {
        r->src.decoded_all = true;
        return FLOWLOG_OK;
    }
    if (rc < 0)
        snprintf(why, FLOWLOG__MSG_SIZE, "%s", reason);
    return rc < 0 ? rc : FLOWLOG_OK;
}

static void report_bytes(flowlog_reader *r, uint64_t raw_total)
{
    if (raw_total == r->counts[FLOWLOG_COUNT_BYTES])
        return;
    r->counts[FLOWLOG_COUNT_BYTES] = raw_total;
    if (r->opt.progress)
        r->opt.progress(r->opt.progress_ctx, raw_total, r->src.total_bytes);
}

/* A second thread pays off on inputs big enough to outlast its start, and
 * only on regular files, whose reads never block indefinitely: stopping the
 * thread must not wait on a pipe that may never speak again. */
#define PIPE_MIN_BYTES ((uint64_t)1 << 20)
#define PIPE_MAX_HEAD ((size_t)4 << 20)

/* A process allowed one processor (taskset, a container's cpuset) gains
 * nothing from a second thread but the switches between the two. */
static bool one_processor(void)
{
#if defined(__linux__)
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) == 1;
#else
    return false;
#endif
}

static bool worth_a_thread(flowlog_reader *r)
{
    struct stat st;
    return r->opt.threads && r->src.in->kind == INPUT_FILE && r->opt.max_line + 2 <= PIPE_MAX_HEAD &&
           fstat(r->src.in->fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= PIPE_MIN_BYTES &&
           !one_processor();
}

/* Below this, a thread to judge ahead costs more to start than it saves. */
#define AHEAD_MIN_BYTES ((size_t)256 << 10)

/* An input that lies whole in the window, big enough: the prefilter's scan
 * may run ahead on a second thread. */
static bool worth_judging_ahead(flowlog_reader *r)
{
    return r->opt.threads && r->win.end - r->win.start >= AHEAD_MIN_BYTES && !one_processor();
}

/* Map a plain-text regular file and read it where it lies, as a memory
 * input; false (and nothing changed) when it is not worth it or not
 * possible, and the file is read as usual. */
static bool map_input(flowlog_reader *r)
{
    struct stat st;
    uint8_t magic[2];
    if (!r->opt.map_files || fstat(r->src.in->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < PIPE_MIN_BYTES || (uint64_t)st.st_size > SIZE_MAX ||
        pread(r->src.in->fd, magic, 2, 0) != 2 || (magic[0] == 0x1f && magic[1] == 0x8b))
        return false;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->src.in->fd, 0);
    if (m == MAP_FAILED)
        return false;
    (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    r->src.map = m;
    r->src.map_len = (size_t)st.st_size;
    r->src.map_trimmed = 0;
    r->win.bytes = m;
    r->win.end = r->src.map_len;
    r->src.raw_eof = r->src.decoded_all = r->win.dec_eof = r->src.detected_gz = true;
    r->src.raw_total += r->src.map_len;
    report_bytes(r, r->src.raw_total);
    r->scan.ahead_ok = worth_judging_ahead(r);
    return true;
}

/* The pages of a mapped input that every line has left are given back, so
 * the process's resident memory does not grow with the file. */
#define MAP_TRIM_STEP ((size_t)64 << 20)

static void trim_map(flowlog_reader *r)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), upto = r->win.start / page * page;
    if (upto > r->src.map_trimmed) {
        (void)madvise((char *)r->src.map + r->src.map_trimmed, upto - r->src.map_trimmed, MADV_DONTNEED);
        r->src.map_trimmed = upto;
    }
}

static int open_next_input(flowlog_reader *r)
{
    while (r->src.next_input < r->src.ninputs && r->src.inputs[r->src.next_input].kind == INPUT_MISSING &&
           r->src.inputs[r->src.next_input].fd == 0)
        r->src.next_input++; /* reported when it was queued */
    if (r->src.next_input == r->src.ninputs)
        return FLOWLOG_END;
    if (r->src.inputs[r->src.next_input].kind == INPUT_MISSING) {
        /* a directory's entry that could not be looked at: its error now */
        r->src.in = &r->src.inputs[r->src.next_input++];
        r->src.in->status = FLOWLOG_INPUT_FAILED;
        r->src.in->fd = 0;
        r->win.line_no = r->win.line_offset = 0;
        r->counts[FLOWLOG_COUNT_INPUT_ERRORS]++;
        flowlog__error_set(&r->err, 0, -1, "%s", r->src.in->reason ? r->src.in->reason : "cannot be read");
        return FLOWLOG_E_IO;
    }
    r->src.in = &r->src.inputs[r->src.next_input++];
    r->src.in_open = true;
    r->src.in->status = FLOWLOG_INPUT_READING;
    r->src.in_failed = false;
    r->src.in_base[0] = r->counts[FLOWLOG_COUNT_RECORDS];
    r->src.in_base[1] = r->counts[FLOWLOG_COUNT_ERRORS];
    if (r->opt.max_line_next) {
        r->opt.max_line = r->opt.max_line_next;
        r->opt.max_line_next = 0;
    }
    r->src.raw_eof = r->src.gz_mode = r->src.detected_gz = r->src.gz_finished = r->src.have_sniff = false;
    r->win.dec_eof = r->src.decoded_all = r->win.discarding = r->src.piped = false;
    r->win.deferred_rc = 0;
    r->frame.form = FORM_DETECT;
    r->win.start = r->win.end = r->src.raw_start = r->src.raw_end = 0;
    r->win.bytes = r->win.buf;
    r->src.mem_pos = 0;
    r->win.line_no = r->win.dec_offset = r->win.line_offset = 0;
    r->frame.stream = NULL;
    drop_header_schemas(r);
    r->counts[FLOWLOG_COUNT_INPUTS]++;
    if (r->src.in->kind == INPUT_FILE) {
        r->src.in->fd = open(r->src.in->name, O_RDONLY);
        if (r->src.in->fd < 0) {
            flowlog__error_set(&r->err, 0, -1, "cannot open: %s", strerror(errno));
            return input_error(r, FLOWLOG_E_IO);
        }
        if (map_input(r))
            return FLOWLOG_OK;
        if (worth_a_thread(r))
            r->src.piped = flowlog__pipe_start(r, r->opt.max_line + 2) == FLOWLOG_OK;
        if (!r->src.piped)
            flowlog__pipe_stop(r); /* a start that failed half-way */
    }
    if (r->src.in->kind == INPUT_MEMORY) {
        const uint8_t *m = r->src.in->mem;
        size_t n = r->src.in->mem_len;
        if (n < 2 || m[0] != 0x1f || m[1] != 0x8b) {
            /* Plain text in memory is read where it lies. */
            r->win.bytes = (const char *)m;
            r->win.end = n;
            r->src.mem_pos = n;
            r->src.raw_eof = r->src.decoded_all = r->win.dec_eof = r->src.detected_gz = true;
            r->src.raw_total += n;
            report_bytes(r, r->src.raw_total);
            r->scan.ahead_ok = worth_judging_ahead(r);
        }
    }
    return FLOWLOG_OK;
}

/* Make room after r->win.end: move the pending line to the front, and grow the
 * buffer when the pending line fills it (up to the line limit). */
static int make_room(flowlog_reader *r)
{
    if (r->win.start > 0) {
        memmove(r->win.buf, r->win.buf + r->win.start, r->win.end - r->win.start);
        r->win.end -= r->win.start;
        r->win.start = 0;
    }
    size_t want = r->win.end + READ_CHUNK;
    if (want <= r->win.buf_cap)
        return FLOWLOG_OK;
    if (r->win.buf_cap && r->win.end >= r->opt.max_line + 2)
        return FLOWLOG_OK; /* the caller sees the over-long line first */
    size_t cap = r->win.buf_cap ? r->win.buf_cap * 2 : 2 * READ_CHUNK;
    while (cap < want)
        cap *= 2;
    char *grown = r->alloc.realloc(r->alloc.ctx, r->win.buf, r->win.buf_cap, cap);
    if (!grown)
        return FLOWLOG_E_NOMEM;
    r->win.buf = grown;
    r->win.buf_cap = cap;
    r->win.bytes = grown;
    return FLOWLOG_OK;
}

/* Bytes decoded with an error after them: the lines go out first, the error
 * when they are used up. */
static int decoded_error(flowlog_reader *r, int rc, size_t made, const char *why)
{
    if (made) {
        r->win.deferred_rc = rc;
        snprintf(r->win.deferred_msg, sizeof r->win.deferred_msg, "%s", why);
        return FLOWLOG_OK;
    }
    flowlog__error_set(&r->err, 0, -1, "%s", why);
    return rc;
}

/* Bring more decoded bytes into the window. */
static int fill(flowlog_reader *r)
{
    if (r->win.deferred_rc) {
        int deferred = r->win.deferred_rc;
        r->win.deferred_rc = 0;
        flowlog__error_set(&r->err, 0, -1, "%s", r->win.deferred_msg);
        return deferred;
    }
    if (r->src.piped) {
        size_t pending = r->win.end - r->win.start;
        flowlog__block *b = flowlog__pipe_next(r, pending ? r->win.bytes + r->win.start : NULL, pending);
        r->win.bytes = b->data - pending;
        r->win.start = 0;
        r->win.end = pending + b->len;
        /* The block before is the thread's again: nothing may point into it. */
        r->win.nlx_len = 0;
        r->win.nlx_block = b->nparts ? b : NULL;
        r->win.nlx_block_base = r->win.dec_offset + pending;
        report_bytes(r, b->raw_bytes);
        if (b->eof)
            r->win.dec_eof = true;
        return b->rc ? decoded_error(r, b->rc, b->len, b->msg) : FLOWLOG_OK;
    }
    int rc = make_room(r);
    if (rc < 0)
        return rc;
    size_t made;
    char why[FLOWLOG__MSG_SIZE];
    rc = flowlog__reader_decode(r, r->win.buf + r->win.end, r->win.buf_cap - r->win.end, &made, why);
    r->win.end += made;
    report_bytes(r, r->src.raw_total);
    if (rc == FLOWLOG_NEED_MORE)
        return rc;
    if (rc < 0)
        return decoded_error(r, rc, made, why);
    if (r->src.decoded_all)
        r->win.dec_eof = true;
    return FLOWLOG_OK;
}

/* Count a line into the error bucket and make its status the reader's. */
static int line_error(flowlog_reader *r, int rc)
{
    r->counts[FLOWLOG_COUNT_ERRORS]++;
    return rc;
}

/* The first newline at or after the window's start, or NULL when the
 * window has none: from the index of the chunk it is in, made when the
 * lines reach a chunk not indexed yet. */
static const char *index_newlines(flowlog_reader *r);

static inline const char *find_newline(flowlog_reader *r)
{
    uint64_t cur = r->win.dec_offset;
    if (FLOWLOG__LIKELY(cur >= r->win.nlx_base && cur - r->win.nlx_base < r->win.nlx_len)) {
        size_t rel = (size_t)(cur - r->win.nlx_base);
        while (r->win.nlx_next < r->win.nlx_count && r->win.nlx_pos[r->win.nlx_next] < rel)
            r->win.nlx_next++;
        if (FLOWLOG__LIKELY(r->win.nlx_next < r->win.nlx_count))
            return r->win.bytes + r->win.start + (r->win.nlx_pos[r->win.nlx_next] - rel);
        if (r->win.nlx_base + r->win.nlx_len - cur >= r->win.end - r->win.start)
            return NULL; /* no newline in what the window holds */
        /* The window holds bytes past the indexed ones: index from here. */
    }
    return index_newlines(r);
}

static const char *index_newlines(flowlog_reader *r)
{
    uint64_t cur = r->win.dec_offset;
    size_t avail = r->win.end - r->win.start;
    if (avail == 0)
        return NULL;
    const char *at = r->win.bytes + r->win.start;
    const flowlog__block *b = r->win.nlx_block;
    if (b && cur >= r->win.nlx_block_base && cur - r->win.nlx_block_base < b->len) {
        /* The decoding thread found the newlines of this part already. */
        size_t rel = (size_t)(cur - r->win.nlx_block_base), k = rel / FLOWLOG__BLOCK_PART;
        size_t in = rel - k * FLOWLOG__BLOCK_PART;
        if (b->nl_count[k] >= 0) {
            const uint16_t *pos = b->nl + b->nl_first[k];
            size_t count = (size_t)b->nl_count[k], i = 0;
            while (i < count && pos[i] < in)
                i++;
            if (i < count) {
                r->win.nlx_base = r->win.nlx_block_base + k * FLOWLOG__BLOCK_PART;
                r->win.nlx_len = b->len - k * FLOWLOG__BLOCK_PART < FLOWLOG__BLOCK_PART ? b->len - k * FLOWLOG__BLOCK_PART
                                                                                    : FLOWLOG__BLOCK_PART;
                r->win.nlx_pos = pos;
                r->win.nlx_count = count;
                r->win.nlx_next = i;
                return at + (pos[i] - in);
            }
            /* The line goes on into the next part. */
            if (k + 1 < b->nparts && b->nl_count[k + 1] > 0)
                return at + (FLOWLOG__BLOCK_PART - in + b->nl[b->nl_first[k + 1]]);
        }
    }
    if (!r->win.nlx_own && !(r->win.nlx_own = r->alloc.alloc(r->alloc.ctx, (FLOWLOG__PF_CHUNK + 2) * sizeof *r->win.nlx_own)))
        return memchr(at, '\n', avail);
    size_t n = avail < FLOWLOG__PF_CHUNK ? avail : FLOWLOG__PF_CHUNK;
    r->win.nlx_base = cur;
    r->win.nlx_len = n;
    r->win.nlx_pos = r->win.nlx_own;
    r->win.nlx_count = flowlog__newlines(at, n, r->win.nlx_own, r->opt.cpu);
    r->win.nlx_next = 0;
    if (r->win.nlx_count)
        return at + r->win.nlx_pos[0];
    /* A line longer than a chunk. */
    return n < avail ? memchr(at + n, '\n', avail - n) : NULL;
}

/* The next physical line of the input (without its newline). */
/* Drop the bytes held of a line that cannot be kept (over the limit, or no
 * memory to hold it), and the rest of it as it comes. True the first time
 * for a line: its error is to be reported then. */
static bool pass_over_pending(flowlog_reader *r)
{
    size_t pending = r->win.end - r->win.start;
    r->win.dec_offset += pending;
    r->win.start = r->win.end;
    if (r->win.discarding)
        return false;
    r->win.discarding = true;
    r->win.line_no++;
    r->win.line_offset = r->win.dec_offset - pending;
    return true;
}

static int next_line(flowlog_reader *r, const char **line, size_t *len)
{
    for (;;) {
        const char *nl = find_newline(r);
        if (nl || (r->win.dec_eof && r->win.start < r->win.end)) {
            size_t n = nl ? (size_t)(nl - (r->win.bytes + r->win.start)) : r->win.end - r->win.start;
            *line = r->win.bytes + r->win.start;
            *len = n;
            r->win.start += nl ? n + 1 : n;
            r->win.line_offset = r->win.dec_offset;
            r->win.dec_offset += nl ? n + 1 : n;
            if (r->win.discarding) {
                r->win.discarding = false;
                continue;
            }
            r->win.line_no++;
            if (n > r->opt.max_line) {
                flowlog__error_set(&r->err, 0, -1, "line is longer than %zu bytes", r->opt.max_line);
                return line_error(r, FLOWLOG_E_TOO_LONG);
            }
            return FLOWLOG_OK;
        }
        if (r->win.dec_eof)
            return FLOWLOG_END;
        /* Report the over-long line now and drop its bytes as they come,
         * so memory stays bounded by the limit. */
        if (r->win.end - r->win.start > r->opt.max_line && pass_over_pending(r)) {
            flowlog__error_set(&r->err, 0, -1, "line is longer than %zu bytes", r->opt.max_line);
            return line_error(r, FLOWLOG_E_TOO_LONG);
        }
        int rc = fill(r);
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc == FLOWLOG_E_NOMEM && r->win.end > r->win.start && !r->src.piped) {
            /* No memory to hold the line: it is passed over like one over
             * the limit, an error of its own, and the lines after it read. */
            size_t held = r->win.end - r->win.start;
            if (pass_over_pending(r)) {
                flowlog__error_set(&r->err, 0, -1, "out of memory holding a line of more than %zu bytes", held);
                return line_error(r, FLOWLOG_E_NOMEM);
            }
            continue;
        }
        if (rc < 0) {
            if (r->win.end > r->win.start && !r->win.discarding) {
                /* A partial line before the damage is not a record: it may
                 * be cut inside a number and still look valid. */
                r->win.line_no++;
                r->win.line_offset = r->win.dec_offset;
                char why[FLOWLOG__MSG_SIZE];
                snprintf(why, sizeof why, "%s", r->err.msg);
                flowlog__error_set(&r->err, 0, -1, "%s; the last line (%zu bytes) is incomplete",
                                   why, r->win.end - r->win.start);
                r->win.start = r->win.end;
                r->counts[FLOWLOG_COUNT_ERRORS]++;
                fail_input(r);
                close_input(r);
                return rc;
            }
            return input_error(r, rc);
        }
    }
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int header_line(flowlog_reader *r, const char *line, size_t len)
{
    flowlog_schema *s;
    int rc = flowlog_schema_derive(&s, r->base, &r->alloc);
    if (rc < 0)
        return line_error(r, rc);
    rc = flowlog_schema_set_header(s, line, len);
    if (rc == FLOWLOG_OK && flowlog_schema_column_count(s) > r->opt.max_fields) {
        flowlog__error_set(&r->err, 0, -1, "header line names %zu fields, more than the limit of %zu",
                           flowlog_schema_column_count(s), r->opt.max_fields);
        flowlog_schema_free(s);
        return line_error(r, FLOWLOG_E_LIMIT);
    }
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_freeze(s);
    if (rc < 0) {
        flowlog__error_set(&r->err, flowlog_schema_error_offset(s), -1, "header line: %s",
                           flowlog_schema_error_message(s));
        flowlog_schema_free(s);
        return line_error(r, rc);
    }
    r->rec->schema = r->base;
    r->rec->n = 0;
    if (s->transit_gateway) {
        flowlog_schema_free(r->header_tgw);
        r->header_tgw = s;
    } else {
        flowlog_schema_free(r->header_vpc);
        r->header_vpc = s;
    }
    r->current = s;
    r->counts[FLOWLOG_COUNT_HEADERS]++;
    return FLOWLOG_NEED_MORE;
}

static bool starts_with_tgw_resource(const char *line, size_t len)
{
    while (len && *line == ' ') {
        line++;
        len--;
    }
    return len >= 14 && memcmp(line, "TransitGateway", 14) == 0 && (len == 14 || line[14] == ' ' ||
           (len >= 24 && memcmp(line + 14, "Attachment", 10) == 0 && (len == 24 || line[24] == ' ')));
}

static const flowlog_schema *tgw_schema(flowlog_reader *r, bool tgw_record)
{
    if (r->header_tgw)
        return r->header_tgw;
    if (r->base->transit_gateway)
        return r->base;
    if (!tgw_record)
        return NULL;
    if (!r->default_tgw &&
        flowlog_schema_compile(&r->default_tgw, default_tgw_format, sizeof default_tgw_format - 1,
                               FLOWLOG_SYNTAX_HEADER, &r->alloc) < 0)
        return NULL;
    return r->default_tgw;
}

static const flowlog_schema *vpc_schema(flowlog_reader *r)
{
    if (r->header_vpc)
        return r->header_vpc;
    return r->base->transit_gateway ? NULL : r->base;
}

static int load_with(flowlog_reader *r, const flowlog_schema *s, const char *line, size_t len)
{
    if (r->rec->schema != s && flowlog_record_bind(r->rec, s) < 0)
        return FLOWLOG_E_NOMEM;
    return flowlog__record_load(r->rec, line, len);
}

static int check_bytes(flowlog_reader *r, const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c >= 0x20 && c < 0x7f)
            continue;
        if (c < 0x20 || c == 0x7f) {
            flowlog__error_set(&r->err, i, -1, "control byte 0x%02x at byte %zu", c, i);
            return FLOWLOG_E_MALFORMED;
        }
        /* UTF-8: a lead byte and its continuation bytes, shortest form only. */
        size_t need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
        bool ok = c >= 0xc2 && c <= 0xf4 && i + need < len;
        for (size_t k = 1; ok && k <= need; k++)
            ok = i + k < len && ((unsigned char)line[i + k] & 0xc0) == 0x80;
        if (ok && c == 0xe0)
            ok = (unsigned char)line[i + 1] >= 0xa0;
        if (ok && c == 0xf0)
            ok = (unsigned char)line[i + 1] >= 0x90;
        if (ok && c == 0xf4)
            ok = (unsigned char)line[i + 1] < 0x90;
        if (ok && c == 0xed)
            ok = (unsigned char)line[i + 1] < 0xa0;
        if (!ok) {
            flowlog__error_set(&r->err, i, -1, "invalid UTF-8 at byte %zu", i);
            return FLOWLOG_E_MALFORMED;
        }
        i += need;
    }
    return FLOWLOG_OK;
}

static int validate(flowlog_reader *r)
{
    flowlog_record *rec = r->rec;
    const flowlog_schema *s = rec->schema;
    for (size_t c = 0; c < s->ncols; c++) {
        uint32_t f = s->cols[c];
        int rc = FLOWLOG_OK;
        switch (s->col_types[c]) {
        case FLOWLOG_TYPE_UINT:
        case FLOWLOG_TYPE_TIME: {
            uint64_t v;
            rc = flowlog_record_get_u64(rec, f, &v);
            uint64_t max = (f == FLOWLOG_FIELD_SRCPORT || f == FLOWLOG_FIELD_DSTPORT) ? 65535
                         : (f == FLOWLOG_FIELD_PROTOCOL || f == FLOWLOG_FIELD_TCP_FLAGS) ? 255
                         : UINT64_MAX;
            if (rc == FLOWLOG_OK && v > max) {
                flowlog__error_set(&rec->err, (size_t)(flowlog__record_span(rec, c)->ptr - rec->line.ptr), (int)c,
                                   "%s %llu is above %llu", flowlog_schema_field_name(s, f),
                                   (unsigned long long)v, (unsigned long long)max);
                rc = FLOWLOG_E_OVERFLOW;
            }
            break;
        }
        case FLOWLOG_TYPE_ADDR: {
            flowlog_addr a;
            rc = flowlog_record_get_addr(rec, f, &a);
            break;
        }
        case FLOWLOG_TYPE_ENUM: {
            int e;
            rc = flowlog_record_get_enum(rec, f, &e);
            break;
        }
        default:
            break;
        }
        if (rc < 0) {
            r->err = rec->err;
            if (rec->err.msg == rec->err.buf)
                r->err.msg = r->err.buf;
            return rc;
        }
    }
    return FLOWLOG_OK;
}

/* Put one line in its bucket: FLOWLOG_OK for a record, FLOWLOG_NEED_MORE for
 * a header or blank line, or the line's error. */
static int classify(flowlog_reader *r, const char *line, size_t len)
{
    len = flowlog__chomp(line, len);
    /* A VPC record starts with its version number: no header, blank line or
     * transit-gateway record does, so the common case skips those checks. */
    bool plain = len && line[0] >= '0' && line[0] <= '9';
    if (plain && !r->opt.validate && !r->current->transit_gateway) {
        int rc = load_with(r, r->current, line, len);
        if (FLOWLOG__LIKELY(rc == FLOWLOG_OK)) {
            r->counts[FLOWLOG_COUNT_MILLIS] += (r->rec->flags & FLOWLOG_RECORD_MILLIS) != 0;
            r->counts[FLOWLOG_COUNT_RECORDS]++;
            return FLOWLOG_OK;
        }
    }
    if (!plain && is_blank(line, len)) {
        r->counts[FLOWLOG_COUNT_BLANKS]++;
        return FLOWLOG_NEED_MORE;
    }
    if (!plain && flowlog_is_header_line(line, len))
        return header_line(r, line, len);
    if (r->opt.validate) {
        int rc = check_bytes(r, line, len);
        if (rc < 0)
            return line_error(r, rc);
    }
    bool tgw_record = starts_with_tgw_resource(line, len);
    const flowlog_schema *first = r->current;
    if (tgw_record && !first->transit_gateway) {
        const flowlog_schema *t = tgw_schema(r, true);
        if (t)
            first = t;
    }
    int rc = load_with(r, first, line, len);
    if (rc == FLOWLOG_E_FIELD_COUNT) {
        /* VPC and transit-gateway records may be mixed in one stream. */
        const flowlog_schema *other = first->transit_gateway ? vpc_schema(r) : tgw_schema(r, tgw_record);
        if (other && other != first && load_with(r, other, line, len) == FLOWLOG_OK)
            rc = FLOWLOG_OK;
        else
            (void)load_with(r, first, line, len);
    }
    if (rc < 0) {
        r->err = r->rec->err;
        if (r->rec->err.msg == r->rec->err.buf)
            r->err.msg = r->err.buf;
        return line_error(r, rc);
    }
    if (r->opt.validate) {
        rc = validate(r);
        if (rc < 0)
            return line_error(r, rc);
    }
    if (r->rec->flags & FLOWLOG_RECORD_MILLIS)
        r->counts[FLOWLOG_COUNT_MILLIS]++;
    r->counts[FLOWLOG_COUNT_RECORDS]++;
    return FLOWLOG_OK;
}

static int finish(flowlog_reader *r, int rc)
{
    if (rc < 0 && r->opt.stop_on_error) {
        r->stopped = true;
        close_input(r);
    }
    return rc;
}

static int detect_form(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len)
        return FORM_DETECT;
    if (line[i] == '{')
        return FORM_JSON;
    if (flowlog__is_csv_header(line, len))
        return FORM_CSV;
    return FORM_TEXT;
}

static int next_record(flowlog_reader *r, flowlog_record **rec);

static void tell_error(const flowlog_reader *r, int status, const char *message)
{
    if (r->opt.on_error)
        r->opt.on_error(r->opt.on_error_ctx, r->src.in ? r->src.in->name : "", r->win.line_no, status,
                    message && *message ? message : flowlog_strerror(status));
}

int flowlog_reader_next(flowlog_reader *r, flowlog_record **rec)
{
    if (!r || !rec)
        return FLOWLOG_E_ARG;
    int rc = next_record(r, rec);
    r->last_record = rc == FLOWLOG_OK;
    if (FLOWLOG__UNLIKELY(rc < 0))
        tell_error(r, rc, r->err.msg);
    return rc;
}

int flowlog_reader_reject(flowlog_reader *r, int status, const char *message)
{
    if (!r || !r->last_record)
        return FLOWLOG_E_ARG;
    r->last_record = false;
    r->counts[FLOWLOG_COUNT_RECORDS]--;
    r->counts[FLOWLOG_COUNT_ERRORS]++;
    if (!r->src.in_open) { /* its input's account is settled already */
        r->src.in->records--;
        r->src.in->errors++;
    }
    tell_error(r, status < 0 ? status : FLOWLOG_E_MALFORMED, message);
    if (r->opt.stop_on_error) {
        r->stopped = true;
        close_input(r);
    }
    return FLOWLOG_OK;
}

int flowlog_reader_set_error_handler(flowlog_reader *r, flowlog_error_fn fn, void *ctx)
{
    if (!r)
        return FLOWLOG_E_ARG;
    r->opt.on_error = fn;
    r->opt.on_error_ctx = ctx;
    return FLOWLOG_OK;
}

static int next_record(flowlog_reader *r, flowlog_record **rec)
{
    *rec = NULL;
    if (r->stopped)
        return FLOWLOG_END;
    if (FLOWLOG__UNLIKELY(r->err.msg[0] != '\0')) /* a message is only ever set with the rest */
        flowlog__error_clear(&r->err);
    if (FLOWLOG__UNLIKELY(r->src.map != NULL) && r->win.start - r->src.map_trimmed >= MAP_TRIM_STEP)
        trim_map(r);
    if (r->scan.prefilter_on && r->frame.form == FORM_TEXT && !r->win.discarding && r->win.end > r->win.start && !r->opt.validate &&
        !r->current->transit_gateway) {
        pass_over(r);
        if (r->scan.pf_plain && r->rec->schema == r->current && take_plain(r))
            return *rec = r->rec, FLOWLOG_OK;
    }
    if (FLOWLOG__LIKELY(r->frame.form == FORM_TEXT && !r->win.discarding && r->win.end > r->win.start)) {
        /* The common line: whole in the window, a record of the current
         * schema. Anything else takes the general path below. */
        const char *line = r->win.bytes + r->win.start;
        const char *nl = find_newline(r);
        size_t n = nl ? (size_t)(nl - line) : 0;
        if (nl && n <= r->opt.max_line && n && line[0] >= '0' && line[0] <= '9') {
            r->win.start += n + 1;
            r->win.line_offset = r->win.dec_offset;
            r->win.dec_offset += n + 1;
            r->win.line_no++;
            int rc;
            if (!r->opt.validate && !r->current->transit_gateway && r->rec->schema == r->current &&
                (rc = flowlog__record_load(r->rec, line, n)) == FLOWLOG_OK) {
                if (FLOWLOG__UNLIKELY(r->rec->flags & FLOWLOG_RECORD_MILLIS))
                    r->counts[FLOWLOG_COUNT_MILLIS]++;
                r->counts[FLOWLOG_COUNT_RECORDS]++;
                *rec = r->rec;
                return FLOWLOG_OK;
            }
            rc = classify(r, line, n);
            if (rc == FLOWLOG_OK) {
                *rec = r->rec;
                return rc;
            }
            if (rc < 0)
                return finish(r, rc);
        }
    }
    for (;;) {
        int rc;
        if (!r->src.in_open) {
            rc = open_next_input(r);
            if (rc == FLOWLOG_END)
                return rc;
            if (rc < 0)
                return finish(r, rc);
        }
        if (r->frame.form == FORM_JSON && r->frame.json.doc) {
            const char *msg;
            size_t mlen, index;
            rc = flowlog__json_next(r, &msg, &mlen, &index);
            if (rc == FLOWLOG_OK) {
                r->win.line_no = r->frame.json.line;
                r->frame.stream = r->frame.json.stream;
                rc = classify(r, msg, mlen);
                if (rc == FLOWLOG_OK) {
                    *rec = r->rec;
                    return rc;
                }
                if (rc < 0) {
                    char detail[FLOWLOG__MSG_SIZE];
                    snprintf(detail, sizeof detail, "%s", r->err.msg);
                    flowlog__error_set(&r->err, 0, -1, "logEvents[%zu]: %s", index, detail);
                    return finish(r, rc);
                }
                continue;
            }
            if (rc < 0) {
                r->win.line_no = r->frame.json.line;
                return finish(r, line_error(r, rc));
            }
            continue; /* document used up */
        }
        const char *line;
        size_t len;
        rc = next_line(r, &line, &len);
        if (rc == FLOWLOG_END) {
            if (r->frame.form == FORM_JSON && r->frame.json.acc_len) {
                r->win.line_no = r->frame.json.line;
                flowlog__error_static(&r->err, 0, -1, "JSON document is not complete at the end of the input");
                flowlog__json_reset(r);
                close_input(r);
                return finish(r, line_error(r, FLOWLOG_E_JSON));
            }
            close_input(r);
            continue;
        }
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc < 0)
            return finish(r, rc);
        if (r->frame.form == FORM_DETECT) {
            r->frame.form = (input_form)detect_form(line, len);
            if (r->frame.form == FORM_CSV) {
                r->counts[FLOWLOG_COUNT_HEADERS]++;
                continue;
            }
        }
        if (r->frame.form == FORM_JSON) {
            rc = flowlog__json_feed(r, line, len);
            if (rc < 0 && r->frame.json.reread) {
                /* The line begins the next document and ends the broken one
                 * before it: the error is the line before's, and this line
                 * is read again. */
                r->win.start = (size_t)(line - r->win.bytes);
                r->win.dec_offset = r->win.line_offset;
                r->win.line_no--;
            }
            if (rc < 0)
                return finish(r, line_error(r, rc));
            continue;
        }
        if (r->frame.form == FORM_CSV) {
            const char *msg;
            size_t mlen;
            if (is_blank(line, len)) {
                rc = classify(r, line, len);
                continue;
            }
            rc = flowlog__csv_message(r, line, len, &msg, &mlen);
            if (rc < 0)
                return finish(r, line_error(r, rc));
            line = msg;
            len = mlen;
        }
        rc = classify(r, line, len);
        if (rc == FLOWLOG_OK) {
            *rec = r->rec;
            return rc;
        }
        if (rc < 0)
            return finish(r, rc);
    }
}

const char *flowlog_reader_path(const flowlog_reader *r)
{
    return r && r->src.in ? r->src.in->name : "";
}

uint64_t flowlog_reader_line(const flowlog_reader *r)
{
    return r ? r->win.line_no : 0;
}

uint64_t flowlog_reader_offset(const flowlog_reader *r)
{
    return r ? r->win.line_offset : 0;
}

const char *flowlog_reader_stream(const flowlog_reader *r)
{
    return r ? r->frame.stream : NULL;
}

const char *flowlog_reader_error_message(const flowlog_reader *r)
{
    return r ? r->err.msg : "";
}

uint64_t flowlog_reader_count(const flowlog_reader *r, int counter)
{
    if (!r || counter < 1 || counter >= (int)(sizeof r->counts / sizeof r->counts[0]))
        return 0;
    if (counter == FLOWLOG_COUNT_LINES) /* every line is in exactly one bucket */
        return r->counts[FLOWLOG_COUNT_RECORDS] + r->counts[FLOWLOG_COUNT_HEADERS] +
               r->counts[FLOWLOG_COUNT_BLANKS] + r->counts[FLOWLOG_COUNT_ERRORS];
    return r->counts[counter];
}

size_t flowlog_reader_input_count(const flowlog_reader *r)
{
    return r ? r->src.ninputs : 0;
}

int flowlog_reader_input(const flowlog_reader *r, size_t index, const char **name, int *status,
                         uint64_t *records, uint64_t *errors, const char **reason)
{
    if (!r)
        return FLOWLOG_E_ARG;
    if (index >= r->src.ninputs)
        return FLOWLOG_E_RANGE;
    const flowlog__input *in = &r->src.inputs[index];
    bool live = in == r->src.in && r->src.in_open;
    if (name)
        *name = in->name;
    if (status)
        *status = in->status;
    if (records)
        *records = live ? r->counts[FLOWLOG_COUNT_RECORDS] - r->src.in_base[0] : in->records;
    if (errors)
        *errors = live ? r->counts[FLOWLOG_COUNT_ERRORS] - r->src.in_base[1] : in->errors;
    if (reason)
        *reason = in->reason ? in->reason : "";
    return FLOWLOG_OK;
}
