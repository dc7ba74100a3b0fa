#include "../core/internal.h"
#include "reader_internal.h"

/* gzip decoding. Members are decoded one after another, as gzip(1) does, so
 * concatenated .gz files read as one stream. Both backends present the same
 * contract: FLOWLOG_END after the last member when the input has ended,
 * FLOWLOG_OK when more input or more room is needed, an error otherwise. */

/* After a member ends: 1 when another member starts here, else what the
 * caller returns (the end, a wait for more input, or an error). */
static int next_member(const uint8_t *in, size_t left, bool in_eof, const char **why)
{
    if (left == 0)
        return in_eof ? FLOWLOG_END : FLOWLOG_OK;
    if (left < 2 && !in_eof)
        return FLOWLOG_OK; /* wait for the magic of the next member */
    if (left < 2 || in[0] != 0x1f || in[1] != 0x8b) {
        *why = "data after the end of the gzip stream is not gzip";
        return FLOWLOG_E_GZIP;
    }
    return 1;
}

#if FLOWLOG_HAVE_ISAL
#include <isa-l/igzip_lib.h>

const char *flowlog__gz_backend(void)
{
    return "isa-l";
}

int flowlog__gz_init(flowlog__gz *g, const flowlog_allocator *a)
{
    memset(g, 0, sizeof *g);
    g->alloc = a;
    g->st = a->alloc(a->ctx, sizeof *g->st);
    if (!g->st)
        return FLOWLOG_E_NOMEM;
    /* igzip resolves a back-reference of a damaged stream from its history
     * buffer without checking that the history was ever written: zeroed, a
     * damaged stream decodes to the same bytes every time, never to memory
     * left over in the heap. */
    memset(g->st, 0, sizeof *g->st);
    isal_inflate_init(g->st);
    g->st->crc_flag = ISAL_GZIP;
    g->active = true;
    return FLOWLOG_OK;
}

void flowlog__gz_restart(flowlog__gz *g)
{
    isal_inflate_reset(g->st);
    g->st->crc_flag = ISAL_GZIP;
    g->member_done = false;
}

void flowlog__gz_end(flowlog__gz *g)
{
    if (g->active)
        g->alloc->free(g->alloc->ctx, g->st, sizeof *g->st);
    g->st = NULL;
    g->active = false;
}

static const char *isal_reason(int rc)
{
    switch (rc) {
    case ISAL_INVALID_WRAPPER:
        return "not a gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "gzip member uses an unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "gzip checksum does not match: the data is corrupt";
    case ISAL_INVALID_LOOKBACK:
        return "corrupt gzip data: invalid distance";
    case ISAL_INVALID_SYMBOL:
        return "corrupt gzip data: invalid symbol";
    default:
        return "corrupt gzip data: invalid block";
    }
}

int flowlog__gz_inflate(flowlog__gz *g, const uint8_t *in, size_t in_len, size_t *in_used,
                        uint8_t *out, size_t out_cap, size_t *out_made, bool in_eof,
                        const char **why)
{
    struct inflate_state *st = g->st;
    *in_used = 0;
    *out_made = 0;
    while (*out_made < out_cap) {
        if (g->member_done) {
            int next = next_member(in + *in_used, in_len - *in_used, in_eof, why);
            if (next != 1)
                return next;
            isal_inflate_reset(st);
            st->crc_flag = ISAL_GZIP;
            g->member_done = false;
        }
        size_t in_left = in_len - *in_used, out_left = out_cap - *out_made;
        st->next_in = (uint8_t *)(uintptr_t)(in + *in_used);
        st->avail_in = (uint32_t)(in_left > UINT32_MAX ? UINT32_MAX : in_left);
        st->next_out = out + *out_made;
        st->avail_out = (uint32_t)(out_left > UINT32_MAX ? UINT32_MAX : out_left);
        uint32_t avail_in = st->avail_in, avail_out = st->avail_out;
        int rc = isal_inflate(st);
        *in_used += avail_in - st->avail_in;
        /* After an invalid distance, what this call wrote is not trusted:
         * igzip may have copied the back-reference, from before the data it
         * was given, before it found the distance invalid. */
        if (rc != ISAL_INVALID_LOOKBACK)
            *out_made += avail_out - st->avail_out;
        if (rc < 0) {
            *why = isal_reason(rc);
            return FLOWLOG_E_GZIP;
        }
        if (st->block_state == ISAL_BLOCK_FINISH) {
            g->member_done = true;
            continue;
        }
        bool progressed = st->avail_in != avail_in || st->avail_out != avail_out;
        if (st->avail_in == 0 && in_eof && !progressed) {
            *why = "gzip stream is truncated";
            return FLOWLOG_E_GZIP;
        }
        if (!progressed || st->avail_in == 0)
            return FLOWLOG_OK; /* needs more input or more room */
    }
    return FLOWLOG_OK;
}

#else

const char *flowlog__gz_backend(void)
{
    return "zlib";
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    const flowlog_allocator *a = opaque;
    return flowlog__calloc(a, items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    const flowlog_allocator *a = opaque;
    /* zlib does not pass sizes back; the libc allocator ignores them and a
     * sized allocator is given 0, documented as unknown. */
    a->free(a->ctx, p, 0);
}

int flowlog__gz_init(flowlog__gz *g, const flowlog_allocator *a)
{
    memset(g, 0, sizeof *g);
    g->zs.zalloc = z_alloc;
    g->zs.zfree = z_free;
    g->zs.opaque = (voidpf)a;
    if (inflateInit2(&g->zs, 15 + 16) != Z_OK)
        return FLOWLOG_E_NOMEM;
    g->active = true;
    return FLOWLOG_OK;
}

void flowlog__gz_restart(flowlog__gz *g)
{
    inflateReset(&g->zs);
    g->member_done = false;
}

void flowlog__gz_end(flowlog__gz *g)
{
    if (g->active)
        inflateEnd(&g->zs);
    g->active = false;
}

int flowlog__gz_inflate(flowlog__gz *g, const uint8_t *in, size_t in_len, size_t *in_used,
                        uint8_t *out, size_t out_cap, size_t *out_made, bool in_eof,
                        const char **why)
{
    *in_used = 0;
    *out_made = 0;
    while (*out_made < out_cap) {
        if (g->member_done) {
            int next = next_member(in + *in_used, in_len - *in_used, in_eof, why);
            if (next != 1)
                return next;
            inflateReset(&g->zs);
            g->member_done = false;
        }
        g->zs.next_in = (Bytef *)(uintptr_t)(in + *in_used);
        g->zs.avail_in = (uInt)((in_len - *in_used) > UINT32_MAX ? UINT32_MAX : in_len - *in_used);
        g->zs.next_out = out + *out_made;
        g->zs.avail_out = (uInt)((out_cap - *out_made) > UINT32_MAX ? UINT32_MAX : out_cap - *out_made);
        uInt avail_in = g->zs.avail_in, avail_out = g->zs.avail_out;
        int zr = inflate(&g->zs, Z_NO_FLUSH);
        *in_used += avail_in - g->zs.avail_in;
        *out_made += avail_out - g->zs.avail_out;
        if (zr == Z_STREAM_END) {
            g->member_done = true;
            continue;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR) {
            if (g->zs.avail_in == 0 && in_eof) {
                *why = "gzip stream is truncated";
                return FLOWLOG_E_GZIP;
            }
            return FLOWLOG_OK; /* needs more input or more room */
        }
        if (zr == Z_MEM_ERROR) {
            *why = "out of memory while decompressing";
            return FLOWLOG_E_NOMEM;
        }
        *why = g->zs.msg ? g->zs.msg : "corrupt gzip data";
        return FLOWLOG_E_GZIP;
    }
    return FLOWLOG_OK;
}

#endif
