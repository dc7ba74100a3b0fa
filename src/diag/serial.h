/* Little-endian encoding of serialised states (diagnosis, sweep). A writer
 * without a buffer only counts, so one pass tells the size; a reader marks
 * itself bad instead of reading past its end, so corrupt bytes are checked
 * once at the end. */
#ifndef FLOWLOG_SERIAL_H
#define FLOWLOG_SERIAL_H

#include <flowlog/common.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

typedef struct flowlog__writer {
    uint8_t *buf;
    size_t size, pos;
} flowlog__writer;

typedef struct flowlog__reader {
    const uint8_t *buf;
    size_t len, pos;
    bool bad;
} flowlog__reader;

static inline void flowlog__put_u64(flowlog__writer *w, uint64_t v)
{
    if (w->buf && w->pos + 8 <= w->size)
        for (int i = 0; i < 8; i++)
            w->buf[w->pos + (size_t)i] = (uint8_t)(v >> (8 * i));
    w->pos += 8;
}

static inline void flowlog__put_bytes(flowlog__writer *w, const void *p, size_t n)
{
    if (w->buf && w->pos + n <= w->size)
        memcpy(w->buf + w->pos, p, n);
    w->pos += n;
}

static inline void flowlog__put_addr(flowlog__writer *w, const flowlog_addr *a)
{
    flowlog__put_u64(w, a->family);
    flowlog__put_bytes(w, a->bytes, 16);
}

static inline uint64_t flowlog__get_u64(flowlog__reader *r)
{
    if (r->pos + 8 > r->len) {
        r->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->buf[r->pos + (size_t)i] << (8 * i);
    r->pos += 8;
    return v;
}

static inline void flowlog__get_bytes(flowlog__reader *r, void *p, size_t n)
{
    if (r->pos + n > r->len) {
        r->bad = true;
        memset(p, 0, n);
        return;
    }
    memcpy(p, r->buf + r->pos, n);
    r->pos += n;
}

/* Family 0 is an unset address (an open question's "any"). */
static inline void flowlog__get_addr(flowlog__reader *r, flowlog_addr *a)
{
    uint64_t fam = flowlog__get_u64(r);
    memset(a, 0, sizeof *a);
    if (fam != 0 && fam != FLOWLOG_AF_INET && fam != FLOWLOG_AF_INET6)
        r->bad = true;
    a->family = (uint8_t)fam;
    flowlog__get_bytes(r, a->bytes, 16);
}

/* The frame around a state: magic, version, total length, ..., CRC-32 of
 * everything before it. flowlog__seal writes the length and the CRC once
 * the writer has counted the whole state; flowlog__unseal checks them and
 * returns a reader over the body, or a status. */
static inline void flowlog__seal(uint8_t *buf, size_t body_end)
{
    flowlog__writer patch = {buf, body_end, 12};
    flowlog__put_u64(&patch, body_end + 4);
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)buf, (uInt)body_end);
    for (int i = 0; i < 4; i++)
        buf[body_end + (size_t)i] = (uint8_t)(crc >> (8 * i));
}

static inline int flowlog__unseal(const void *buf, size_t len, const char magic[4], uint64_t version,
                                  flowlog__reader *r)
{
    const uint8_t *b = buf;
    if (len < 24 || memcmp(b, magic, 4) != 0)
        return FLOWLOG_E_CORRUPT;
    *r = (flowlog__reader){b, len - 4, 4, false};
    if (flowlog__get_u64(r) != version)
        return FLOWLOG_E_VERSION;
    if (flowlog__get_u64(r) != len)
        return FLOWLOG_E_CORRUPT;
    uint32_t crc = (uint32_t)b[len - 4] | (uint32_t)b[len - 3] << 8 | (uint32_t)b[len - 2] << 16 |
                   (uint32_t)b[len - 1] << 24;
    if ((uint32_t)crc32(0L, b, (uInt)(len - 4)) != crc)
        return FLOWLOG_E_CORRUPT;
    return FLOWLOG_OK;
}

/* The end of serialising a state into buf (NULL: only the size): the size
 * needed, and the seal when buf holds it. */
static inline int flowlog__serial_end(const flowlog__writer *w, void *buf, size_t size, size_t *needed)
{
    size_t total = w->pos + 4;
    *needed = total;
    if (!buf || size < total)
        return buf ? FLOWLOG_E_RANGE : FLOWLOG_OK;
    flowlog__seal(buf, w->pos);
    return FLOWLOG_OK;
}

/* The start of loading a state: the arguments and the frame checked. */
static inline int flowlog__serial_begin(const void *buf, size_t len, const char magic[4], uint64_t version,
                                        flowlog__reader *r)
{
    if (!buf && len)
        return FLOWLOG_E_ARG;
    return flowlog__unseal(buf, len, magic, version, r);
}

#endif
