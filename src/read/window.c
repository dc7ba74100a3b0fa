/* The window: decoded bytes brought in from the source, their newlines
 * found a chunk at a time, and the next physical line cut from them, with
 * over-long lines and damaged ends reported in their place. */
#include "../core/internal.h"
#include "reader_internal.h"

#include <stdio.h>

/* Make room after r->win.end: move the pending line to the front, and grow the
 * buffer when the pending line fills it (up to the line limit). */
static int make_room(flowlog_reader *r)
{
    if (r->win.start > 0) {
        memmove(r->win.buf, r->win.buf + r->win.start, r->win.end - r->win.start);
        r->win.end -= r->win.start;
        r->win.start = 0;
    }
    size_t want = r->win.end + FLOWLOG__READ_CHUNK;
    if (want <= r->win.buf_cap)
        return FLOWLOG_OK;
    if (r->win.buf_cap && r->win.end >= r->opt.max_line + 2)
        return FLOWLOG_OK; /* the caller sees the over-long line first */
    size_t cap = r->win.buf_cap ? r->win.buf_cap * 2 : 2 * FLOWLOG__READ_CHUNK;
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
int flowlog__window_fill(flowlog_reader *r)
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
        flowlog__source_report_bytes(r, b->raw_bytes);
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
    flowlog__source_report_bytes(r, r->src.raw_total);
    if (rc == FLOWLOG_NEED_MORE)
        return rc;
    if (rc < 0)
        return decoded_error(r, rc, made, why);
    if (r->src.decoded_all)
        r->win.dec_eof = true;
    return FLOWLOG_OK;
}



const char *flowlog__window_index_newlines(flowlog_reader *r)
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

int flowlog__window_next_line(flowlog_reader *r, const char **line, size_t *len)
{
    for (;;) {
        const char *nl = flowlog__window_find_newline(r);
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
                return flowlog__line_error(r, FLOWLOG_E_TOO_LONG);
            }
            return FLOWLOG_OK;
        }
        if (r->win.dec_eof)
            return FLOWLOG_END;
        /* Report the over-long line now and drop its bytes as they come,
         * so memory stays bounded by the limit. */
        if (r->win.end - r->win.start > r->opt.max_line && pass_over_pending(r)) {
            flowlog__error_set(&r->err, 0, -1, "line is longer than %zu bytes", r->opt.max_line);
            return flowlog__line_error(r, FLOWLOG_E_TOO_LONG);
        }
        int rc = flowlog__window_fill(r);
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc == FLOWLOG_E_NOMEM && r->win.end > r->win.start && !r->src.piped) {
            /* No memory to hold the line: it is passed over like one over
             * the limit, an error of its own, and the lines after it read. */
            size_t held = r->win.end - r->win.start;
            if (pass_over_pending(r)) {
                flowlog__error_set(&r->err, 0, -1, "out of memory holding a line of more than %zu bytes", held);
                return flowlog__line_error(r, FLOWLOG_E_NOMEM);
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
                flowlog__source_fail(r);
                flowlog__source_close(r);
                return rc;
            }
            return flowlog__source_error(r, rc);
        }
    }
}

