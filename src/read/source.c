/* The source: the queue of inputs, and the one open read to decoded bytes
 * (a file, a mapping, a descriptor, memory or pushed chunks; gzip by its
 * content; the decoding thread for big files). */
#include "../core/internal.h"
#include "parquet.h"
#include "reader_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
void flowlog__source_fail(flowlog_reader *r)
{
    r->src.in_failed = true;
    if (!r->src.in->reason)
        r->src.in->reason = flowlog__strndup(&r->alloc, r->err.msg, strlen(r->err.msg));
}

void flowlog__source_close(flowlog_reader *r)
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
    flowlog__pq_free(r->src.pq);
    r->src.pq = NULL;
    if (r->src.pq_file)
        FLOWLOG__FREE(&r->alloc, r->src.pq_file, r->src.pq_cap);
    r->src.pq_file = NULL;
    r->src.pq_len = r->src.pq_cap = 0;
    r->src.pq_slurping = false;
    flowlog__json_reset(r);
    r->src.in_open = false;
    r->scan.pf_valid = false;
    r->win.nlx_len = 0;
    r->win.nlx_block = NULL;
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
    r->src.inputs[r->src.ninputs++] = (flowlog__input){.kind = kind, .name = copy, .fd = fd, .mem = mem, .mem_len = len,
                                                       .status = FLOWLOG_INPUT_QUEUED};
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

int flowlog__reader_queue_range(flowlog_reader *r, const char *path, uint64_t start, uint64_t end,
                                const char *const prologue[2], const size_t prologue_len[2])
{
    int rc = queue(r, INPUT_FILE, path, -1, NULL, 0);
    if (rc < 0)
        return rc;
    flowlog__input *in = &r->src.inputs[r->src.ninputs - 1];
    in->ranged = true;
    in->range_start = start;
    in->range_end = end;
    r->src.total_bytes += end - start;
    for (int i = 0; i < 2; i++) {
        if (!prologue || !prologue[i])
            continue;
        in->prologue[i] = flowlog__strndup(&r->alloc, prologue[i], prologue_len[i]);
        if (!in->prologue[i])
            return FLOWLOG_E_NOMEM;
        in->prologue_len[i] = prologue_len[i];
    }
    return FLOWLOG_OK;
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

int flowlog__source_error(flowlog_reader *r, int rc)
{
    r->counts[FLOWLOG_COUNT_INPUT_ERRORS]++;
    flowlog__source_fail(r);
    flowlog__source_close(r);
    return rc;
}

static int raw_read(flowlog_reader *r, uint8_t *dst, size_t cap, size_t *got, char *why)
{
    *got = 0;
    switch (r->src.in->kind) {
    case INPUT_FD:
    case INPUT_FILE: {
        ssize_t n;
        if (r->src.in->ranged && cap > r->src.range_left)
            cap = (size_t)r->src.range_left;
        do
            n = cap ? read(r->src.in->fd, dst, cap) : 0;
        while (n < 0 && errno == EINTR);
        if (r->src.in->ranged && n > 0)
            r->src.range_left -= (uint64_t)n;
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

/* The first bytes may still become gzip's or Parquet's magic. */
static bool could_be_magic(const uint8_t *p, size_t n)
{
    static const uint8_t gz[2] = {0x1f, 0x8b};
    return (n < 2 && memcmp(p, gz, n) == 0) || memcmp(p, "PAR1", n) == 0;
}

/* The largest Parquet file read (held whole: its footer is at its end). */
#define PQ_MAX_FILE ((size_t)4 << 30)

/* A Parquet input: read whole (again and again for a push input that
 * wants more), then opened; its lines come from flowlog__pq_read. */
static int parquet_decode(flowlog_reader *r, char *dst, size_t room, size_t *made, char *why)
{
    while (r->src.pq_slurping && !r->src.raw_eof) {
        if (r->src.pq_cap - r->src.pq_len < FLOWLOG__READ_CHUNK) {
            size_t cap = r->src.pq_cap * 2;
            if (cap > PQ_MAX_FILE + FLOWLOG__READ_CHUNK) {
                snprintf(why, FLOWLOG__MSG_SIZE, "parquet: the file is larger than 4 GiB");
                return FLOWLOG_E_LIMIT;
            }
            uint8_t *grown = r->alloc.realloc(r->alloc.ctx, r->src.pq_file, r->src.pq_cap, cap);
            if (!grown)
                return FLOWLOG_E_NOMEM;
            r->src.pq_file = grown;
            r->src.pq_cap = cap;
        }
        size_t got;
        int rc = raw_read(r, r->src.pq_file + r->src.pq_len, r->src.pq_cap - r->src.pq_len, &got, why);
        if (rc != FLOWLOG_OK)
            return rc;
        r->src.pq_len += got;
    }
    if (r->src.pq_slurping) {
        r->src.pq_slurping = false;
        uint8_t *file = r->src.pq_file;
        r->src.pq_file = NULL; /* the state owns it now */
        /* the window reads start and end: with one, they are among the fields */
        uint32_t fields[FLOWLOG_READER_MAX_FIELDS + 2];
        size_t n = r->opt.nfields;
        memcpy(fields, r->opt.fields, n * sizeof *fields);
        if (n && (r->opt.since || r->opt.until)) {
            fields[n++] = FLOWLOG_FIELD_START;
            fields[n++] = FLOWLOG_FIELD_END;
        }
        int rc = flowlog__pq_open(&r->src.pq, &r->alloc, file, r->src.pq_len, r->src.pq_cap, fields, n, r->opt.since,
                                  r->opt.until, why);
        r->src.pq_cap = r->src.pq_len = 0;
        if (rc < 0)
            return rc;
    }
    int rc = flowlog__pq_read(r->src.pq, dst, room, made, why);
    if (rc == FLOWLOG_END) {
        r->src.decoded_all = true;
        return FLOWLOG_OK;
    }
    return rc;
}

/* The first bytes of an input say Parquet: they start the file held whole. */
static int parquet_begin(flowlog_reader *r, const char *first, size_t got)
{
    size_t cap = FLOWLOG__READ_CHUNK * 4;
    while (cap < got + FLOWLOG__READ_CHUNK)
        cap *= 2;
    r->src.pq_file = r->alloc.alloc(r->alloc.ctx, cap);
    if (!r->src.pq_file)
        return FLOWLOG_E_NOMEM;
    r->src.pq_cap = cap;
    memcpy(r->src.pq_file, first, got);
    r->src.pq_len = got;
    r->src.pq_slurping = true;
    return FLOWLOG_OK;
}

int flowlog__reader_decode(flowlog_reader *r, char *dst, size_t room, size_t *made, char *why)
{
    int rc;
    *made = 0;
    if (r->src.pq_slurping || r->src.pq)
        return parquet_decode(r, dst, room, made, why);
    if (!r->src.gz_mode) {
        size_t got, held = r->src.nsniff;
        memcpy(dst, r->src.sniff, held);
        r->src.nsniff = 0;
        rc = raw_read(r, (uint8_t *)dst + held, room - held, &got, why);
        if (rc != FLOWLOG_OK) {
            memcpy(r->src.sniff, dst, held);
            r->src.nsniff = held;
            return rc;
        }
        got += held;
        if (!r->src.detected_gz) {
            /* Content, not the name, says gzip (1f 8b) or Parquet (PAR1).
             * A first read shorter than the magic it may be waits for more;
             * a push input may have to wait for its next chunk, so the
             * bytes are held. */
            while (got < 4 && !r->src.raw_eof && could_be_magic((const uint8_t *)dst, got)) {
                size_t more;
                rc = raw_read(r, (uint8_t *)dst + got, room - got, &more, why);
                if (rc != FLOWLOG_OK) {
                    memcpy(r->src.sniff, dst, got);
                    r->src.nsniff = got;
                    return rc;
                }
                got += more;
            }
            r->src.detected_gz = true;
            if (flowlog__pq_magic((const uint8_t *)dst, got)) {
                rc = parquet_begin(r, dst, got);
                return rc < 0 ? rc : parquet_decode(r, dst, room, made, why);
            }
            if (got >= 2 && (uint8_t)dst[0] == 0x1f && (uint8_t)dst[1] == 0x8b) {
                /* The compressed bytes read so far move to the raw buffer. */
                size_t cap = got > FLOWLOG__READ_CHUNK ? got : FLOWLOG__READ_CHUNK;
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

void flowlog__source_report_bytes(flowlog_reader *r, uint64_t raw_total)
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
    return flowlog__processors() == 1;
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
    uint8_t magic[4];
    const flowlog__input *in = r->src.in;
    if (!r->opt.map_files || fstat(in->fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < (in->ranged ? in->range_end : PIPE_MIN_BYTES) || (uint64_t)st.st_size > SIZE_MAX ||
        (!in->ranged && (pread(in->fd, magic, 4, 0) != 4 || (magic[0] == 0x1f && magic[1] == 0x8b) ||
                         flowlog__pq_magic(magic, 4))))
        return false;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
    if (m == MAP_FAILED)
        return false;
    size_t from = in->ranged ? (size_t)in->range_start : 0, to = in->ranged ? (size_t)in->range_end : (size_t)st.st_size;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    (void)madvise((char *)m + from / page * page, to - from / page * page, MADV_SEQUENTIAL);
    r->src.map = m;
    r->src.map_len = (size_t)st.st_size;
    r->src.map_trimmed = from / page * page;
    r->win.bytes = m;
    r->win.start = from;
    r->win.dec_offset = from;
    r->win.end = to;
    r->src.raw_eof = r->src.decoded_all = r->win.dec_eof = r->src.detected_gz = true;
    r->src.raw_total += to - from;
    flowlog__source_report_bytes(r, r->src.raw_total);
    r->scan.ahead_ok = worth_judging_ahead(r);
    return true;
}

void flowlog__source_trim_map(flowlog_reader *r)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), upto = r->win.start / page * page;
    if (upto > r->src.map_trimmed) {
        (void)madvise((char *)r->src.map + r->src.map_trimmed, upto - r->src.map_trimmed, MADV_DONTNEED);
        r->src.map_trimmed = upto;
    }
}

int flowlog__source_open_next(flowlog_reader *r)
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
    r->src.raw_eof = r->src.gz_mode = r->src.detected_gz = r->src.gz_finished = false;
    r->src.nsniff = 0;
    r->win.dec_eof = r->src.decoded_all = r->win.discarding = r->src.piped = false;
    r->win.deferred_rc = 0;
    r->frame.form = (input_form)r->opt.input_format;
    r->win.start = r->win.end = r->src.raw_start = r->src.raw_end = 0;
    r->win.bytes = r->win.buf;
    r->src.mem_pos = 0;
    r->win.line_no = r->win.dec_offset = r->win.line_offset = 0;
    r->frame.stream = NULL;
    r->frame.log_group = NULL;
    r->counts[FLOWLOG_COUNT_INPUTS]++;
    if (r->src.in->kind == INPUT_FILE) {
        r->src.in->fd = open(r->src.in->name, O_RDONLY);
        if (r->src.in->fd < 0) {
            flowlog__error_set(&r->err, 0, -1, "cannot open: %s", strerror(errno));
            return flowlog__source_error(r, FLOWLOG_E_IO);
        }
        if (r->src.in->ranged) {
            r->frame.form = FORM_TEXT; /* only plain text is read in parts */
            r->src.range_left = r->src.in->range_end - r->src.in->range_start;
        }
        if (map_input(r))
            return FLOWLOG_OK;
        if (r->src.in->ranged) {
            if (lseek(r->src.in->fd, (off_t)r->src.in->range_start, SEEK_SET) < 0) {
                flowlog__error_set(&r->err, 0, -1, "cannot seek: %s", strerror(errno));
                return flowlog__source_error(r, FLOWLOG_E_IO);
            }
            r->win.dec_offset = r->src.in->range_start;
        }
        if (worth_a_thread(r))
            r->src.piped = flowlog__pipe_start(r, r->opt.max_line + 2) == FLOWLOG_OK;
        if (!r->src.piped)
            flowlog__pipe_stop(r); /* a start that failed half-way */
    }
    if (r->src.in->kind == INPUT_MEMORY) {
        const uint8_t *m = r->src.in->mem;
        size_t n = r->src.in->mem_len;
        if ((n < 2 || m[0] != 0x1f || m[1] != 0x8b) && !flowlog__pq_magic(m, n)) {
            /* Plain text in memory is read where it lies. */
            r->win.bytes = (const char *)m;
            r->win.end = n;
            r->src.mem_pos = n;
            r->src.raw_eof = r->src.decoded_all = r->win.dec_eof = r->src.detected_gz = true;
            r->src.raw_total += n;
            flowlog__source_report_bytes(r, r->src.raw_total);
            r->scan.ahead_ok = worth_judging_ahead(r);
        }
    }
    return FLOWLOG_OK;
}

