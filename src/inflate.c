#include "internal.h"
#include "reader_internal.h"

/* gzip decoding with zlib. Members are decoded one after another, as gzip(1)
 * does, so concatenated .gz files read as one stream. */

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
            if (*in_used == in_len)
                return in_eof ? FLOWLOG_END : FLOWLOG_OK;
            if (in_len - *in_used < 2 && !in_eof)
                return FLOWLOG_OK; /* wait for the magic of the next member */
            if (in_len - *in_used < 2 || in[*in_used] != 0x1f || in[*in_used + 1] != 0x8b) {
                *why = "data after the end of the gzip stream is not gzip";
                return FLOWLOG_E_GZIP;
            }
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
