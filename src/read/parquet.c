/* A Parquet file as the lines of its text twin (parquet.h): each column
 * the registry knows has a cursor over its chunk in the current row group,
 * which decodes a page at a time (decompressing it, reading its levels and
 * values), and each row takes the next value of every cursor. */
#include "parquet.h"

#include "parquet_meta.h"
#include "reader_internal.h"

#include <flowlog/fields.h>

#include <snappy-c.h>
#include <stdio.h>
#include <zlib.h>
#include <zstd.h>

enum { V_NULL, V_INT, V_TEXT };

typedef struct pq_value {
    const char *s;
    uint32_t len;
    uint8_t kind;
    int64_t i;
} pq_value;

typedef struct pq_buf {
    uint8_t *p;
    size_t cap;
} pq_buf;

typedef struct pq_cursor {
    int column;                 /* in the schema */
    uint32_t field;             /* its flow-log field */
    const pq_chunk *chunk;
    size_t pos, end;            /* of the chunk's pages in the file */
    int64_t values_left;        /* in the chunk */
    pq_value *dict;
    size_t ndict, dict_cap;
    pq_buf dict_bytes;          /* the dictionary page, decompressed */
    pq_buf page;                /* the data page, decompressed */
    pq_buf built;               /* DELTA_BYTE_ARRAY's values, built from prefixes */
    pq_value *vals;             /* the page's values, nulls included */
    size_t nvals, vals_cap, next;
    uint32_t *u32;              /* scratch: levels, indices, lengths */
    size_t u32_cap;
    int64_t *i64;               /* scratch: DELTA_BINARY_PACKED values */
    size_t i64_cap;
    uint8_t *present;           /* the page's rows that have a value */
    size_t present_cap;
} pq_cursor;

struct flowlog__pq {
    flowlog_allocator alloc;
    uint8_t *file;
    size_t len, cap;
    pq_meta meta;
    pq_cursor cursors[PQ_MAX_COLUMNS];
    int ncursors;
    bool header_done;
    size_t group;               /* the row group being read */
    int64_t rows_left;          /* in it */
    uint64_t since, until;      /* the reader's window (0: open) */
    /* A row group whose statistics put every row outside the window is not
     * decoded: its rows are written with only the time that puts them
     * outside (start or end; -1: none), so they are counted as the reader
     * counts rows outside its window. */
    bool skip_group;
    int64_t skip_start, skip_end;
    flowlog__gz gz;             /* GZIP pages: the reader's fast decoder, made at the first */
    bool gz_ready;
    char *line;                 /* a row's line that did not fit yet */
    size_t line_len, line_cap;
    bool line_pending;
};

/* ---- small helpers ---- */

static int fail(char *why, int rc, const char *what, const char *column, size_t group)
{
    snprintf(why, FLOWLOG__MSG_SIZE, "parquet: %.80s (column %.64s, row group %zu)", what, column, group);
    return rc;
}

static bool reserve(const flowlog_allocator *a, pq_buf *b, size_t n)
{
    if (n <= b->cap && b->p)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < n)
        cap *= 2;
    uint8_t *p = a->realloc(a->ctx, b->p, b->cap, cap);
    if (!p)
        return false;
    b->p = p;
    b->cap = cap;
    return true;
}

static bool reserve_n(const flowlog_allocator *a, void **p, size_t *cap, size_t n, size_t elem)
{
    if (n <= *cap && *p)
        return true;
    size_t c = *cap ? *cap : 1024;
    while (c < n)
        c *= 2;
    void *q = a->realloc(a->ctx, *p, *cap * elem, c * elem);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* ---- decompression: exactly `want` bytes or an error ---- */

static int decompress(pq_cursor *c, flowlog__pq *p, const uint8_t *src, size_t n, pq_buf *out, size_t want,
                      const uint8_t **data, char *why)
{
    const char *col = p->meta.columns[c->column].name;
    if (want > FLOWLOG__PQ_MAX_PAGE)
        return fail(why, FLOWLOG_E_LIMIT, "a page is larger than 256 MiB", col, p->group);
    if (c->chunk->codec == PQ_UNCOMPRESSED) {
        if (n != want)
            return fail(why, FLOWLOG_E_CORRUPT, "an uncompressed page's sizes differ", col, p->group);
        *data = src;
        return FLOWLOG_OK;
    }
    if (!reserve(&p->alloc, out, want + 1))
        return FLOWLOG_E_NOMEM;
    bool ok = false;
    switch (c->chunk->codec) {
    case PQ_GZIP: {
        /* the reader's decoder (isa-l where built) first; zlib for what it refuses */
        if (!p->gz_ready && flowlog__gz_init(&p->gz, &p->alloc) == FLOWLOG_OK)
            p->gz_ready = true;
        if (p->gz_ready) {
            size_t used, made;
            const char *reason;
            flowlog__gz_restart(&p->gz);
            int zr = flowlog__gz_inflate(&p->gz, src, n, &used, out->p, want + 1, &made, true, &reason);
            if (zr == FLOWLOG_END && made == want) {
                ok = true;
                break;
            }
        }
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK)
            return FLOWLOG_E_NOMEM;
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)n;
        z.next_out = out->p;
        z.avail_out = (uInt)want;
        int zr;
        /* a writer may put several gzip members in one page */
        do {
            zr = inflate(&z, Z_NO_FLUSH);
            if (zr == Z_STREAM_END && z.avail_in && z.avail_out) {
                if (inflateReset(&z) != Z_OK)
                    break;
                zr = Z_OK;
            }
        } while (zr == Z_OK && z.avail_in && z.avail_out);
        ok = (zr == Z_STREAM_END || zr == Z_OK) && z.avail_out == 0;
        inflateEnd(&z);
        break;
    }
    case PQ_SNAPPY: {
        size_t len = 0;
        ok = snappy_uncompressed_length((const char *)src, n, &len) == SNAPPY_OK && len == want &&
             snappy_uncompress((const char *)src, n, (char *)out->p, &len) == SNAPPY_OK && len == want;
        break;
    }
    case PQ_ZSTD: {
        size_t r = ZSTD_decompress(out->p, want, src, n);
        ok = !ZSTD_isError(r) && r == want;
        break;
    }
    default:
        return fail(why, FLOWLOG_E_UNSUPPORTED, "the codec is not UNCOMPRESSED, GZIP, SNAPPY or ZSTD", col, p->group);
    }
    if (!ok)
        return fail(why, FLOWLOG_E_CORRUPT, "a page does not decompress to its size", col, p->group);
    *data = out->p;
    return FLOWLOG_OK;
}

/* ---- RLE / bit-packed hybrid: n values of `width` bits ---- */

static bool hybrid(const uint8_t *p, const uint8_t *end, int width, uint32_t *out, size_t n)
{
    size_t done = 0;
    size_t bytes = (size_t)(width + 7) / 8;
    if (width < 0 || width > 32)
        return false;
    while (done < n) {
        uint64_t h;
        if (!uleb(&p, end, &h))
            return false;
        if (h & 1) {
            uint64_t groups = h >> 1;
            if (groups > (uint64_t)(end - p) + 1)
                return false;
            size_t count = (size_t)groups * 8, need = (size_t)groups * (size_t)width;
            if (need > (size_t)(end - p))
                return false;
            uint64_t acc = 0;
            int have = 0;
            const uint8_t *q = p;
            for (size_t i = 0; i < count; i++) {
                while (have < width) {
                    acc |= (uint64_t)*q++ << have;
                    have += 8;
                }
                uint32_t v = width ? (uint32_t)(acc & ((width == 32) ? 0xffffffffu : ((1u << width) - 1))) : 0;
                acc >>= width;
                have -= width;
                if (done < n)
                    out[done++] = v;
            }
            p += need;
        } else {
            uint64_t run = h >> 1;
            if ((size_t)(end - p) < bytes)
                return false;
            uint32_t v = 0;
            for (size_t i = 0; i < bytes; i++)
                v |= (uint32_t)p[i] << (8 * i);
            p += bytes;
            if (run == 0)
                return false;
            for (uint64_t i = 0; i < run && done < n; i++)
                out[done++] = v;
        }
    }
    return true;
}

/* ---- DELTA_BINARY_PACKED: n values from p, *p moved past them ---- */

static bool delta_packed(const uint8_t **pp, const uint8_t *end, int64_t *out, size_t n, size_t *total)
{
    const uint8_t *p = *pp;
    uint64_t block, minis, count, zz;
    if (!uleb(&p, end, &block) || !uleb(&p, end, &minis) || !uleb(&p, end, &count) || !uleb(&p, end, &zz))
        return false;
    if (!block || !minis || block % 128 || block % minis || (block / minis) % 32 || block > 65536)
        return false;
    *total = (size_t)count;
    if (count > n)
        return false;
    int64_t value = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
    size_t done = 0, per_mini = (size_t)(block / minis);
    if (count)
        out[done++] = value;
    while (done < count) {
        uint64_t mz;
        if (!uleb(&p, end, &mz) || (uint64_t)(end - p) < minis)
            return false;
        int64_t min_delta = (int64_t)(mz >> 1) ^ -(int64_t)(mz & 1);
        const uint8_t *widths = p;
        p += minis;
        for (uint64_t m = 0; m < minis && done < count; m++) {
            int w = widths[m];
            if (w > 64)
                return false;
            size_t need = per_mini * (size_t)w / 8;
            if ((size_t)(end - p) < need)
                return false;
            uint64_t acc = 0;
            int have = 0;
            const uint8_t *q = p;
            for (size_t i = 0; i < per_mini; i++) {
                uint64_t v = 0;
                int got = 0;
                while (got < w) {
                    if (have == 0) {
                        acc = *q++;
                        have = 8;
                    }
                    int take = w - got < have ? w - got : have;
                    v |= (acc & ((1u << take) - 1)) << got;
                    acc >>= take;
                    have -= take;
                    got += take;
                }
                if (done < count) {
                    value = (int64_t)((uint64_t)value + (uint64_t)min_delta + v);
                    out[done++] = value;
                }
            }
            p += need;
        }
    }
    *pp = p;
    return true;
}

/* ---- plain values ---- */

static bool plain(const pq_column *col, const uint8_t **pp, const uint8_t *end, pq_value *v)
{
    const uint8_t *p = *pp;
    switch (col->type) {
    case PQ_INT32:
        if (end - p < 4)
            return false;
        v->kind = V_INT;
        v->i = (int32_t)le32(p);
        p += 4;
        break;
    case PQ_INT64:
        if (end - p < 8)
            return false;
        v->kind = V_INT;
        v->i = (int64_t)le64(p);
        p += 8;
        break;
    case PQ_BYTE_ARRAY: {
        if (end - p < 4)
            return false;
        uint32_t n = le32(p);
        p += 4;
        if (n > (size_t)(end - p))
            return false;
        v->kind = V_TEXT;
        v->s = (const char *)p;
        v->len = n;
        p += n;
        break;
    }
    case PQ_FIXED:
        if (col->type_length < 0 || (size_t)col->type_length > (size_t)(end - p))
            return false;
        v->kind = V_TEXT;
        v->s = (const char *)p;
        v->len = (uint32_t)col->type_length;
        p += col->type_length;
        break;
    default:
        return false;
    }
    *pp = p;
    return true;
}

static const char *type_problem(int type)
{
    return type == PQ_INT32 || type == PQ_INT64 || type == PQ_BYTE_ARRAY || type == PQ_FIXED
               ? NULL
               : "its type is not INT32, INT64 or BYTE_ARRAY";
}

/* ---- pages ---- */

static int read_dictionary(flowlog__pq *p, pq_cursor *c, const pq_page_header *h, const uint8_t *src, char *why)
{
    const pq_column *col = &p->meta.columns[c->column];
    const uint8_t *data;
    int rc = decompress(c, p, src, (size_t)h->compressed_size, &c->dict_bytes, (size_t)h->uncompressed_size, &data,
                        why);
    if (rc < 0)
        return rc;
    if (h->encoding != PQ_PLAIN && h->encoding != PQ_PLAIN_DICTIONARY)
        return fail(why, FLOWLOG_E_UNSUPPORTED, "a dictionary that is not PLAIN", col->name, p->group);
    if ((uint64_t)h->num_values > (uint64_t)h->uncompressed_size + 1)
        return fail(why, FLOWLOG_E_CORRUPT, "a dictionary holds more values than bytes", col->name, p->group);
    if ((uint64_t)h->num_values > 2 * FLOWLOG__PQ_MAX_PAGE_VALUES)
        return fail(why, FLOWLOG_E_LIMIT, "a dictionary holds more than 4,194,304 values", col->name, p->group);
    if (!reserve_n(&p->alloc, (void **)&c->dict, &c->dict_cap, (size_t)h->num_values + 1, sizeof *c->dict))
        return FLOWLOG_E_NOMEM;
    const uint8_t *q = data, *end = data + h->uncompressed_size;
    for (int64_t i = 0; i < h->num_values; i++)
        if (!plain(col, &q, end, &c->dict[i]))
            return fail(why, FLOWLOG_E_CORRUPT, "a dictionary value runs past its page", col->name, p->group);
    c->ndict = (size_t)h->num_values;
    /* a dictionary of an uncompressed page points into the file, which lives on */
    return FLOWLOG_OK;
}

/* The values of a data page, after its levels: `present` of them. */
static int page_values(flowlog__pq *p, pq_cursor *c, int encoding, const uint8_t *q, const uint8_t *end,
                       size_t present, pq_value *out, char *why)
{
    const pq_column *col = &p->meta.columns[c->column];
    switch (encoding) {
    case PQ_PLAIN:
        for (size_t i = 0; i < present; i++)
            if (!plain(col, &q, end, &out[i]))
                return fail(why, FLOWLOG_E_CORRUPT, "a value runs past its page", col->name, p->group);
        return FLOWLOG_OK;
    case PQ_PLAIN_DICTIONARY:
    case PQ_RLE_DICTIONARY: {
        if (q >= end && present)
            return fail(why, FLOWLOG_E_CORRUPT, "dictionary indices are missing", col->name, p->group);
        int width = present ? *q++ : 0;
        if (!reserve_n(&p->alloc, (void **)&c->u32, &c->u32_cap, present + 1, sizeof *c->u32))
            return FLOWLOG_E_NOMEM;
        if (present && !hybrid(q, end, width, c->u32, present))
            return fail(why, FLOWLOG_E_CORRUPT, "dictionary indices are corrupt", col->name, p->group);
        for (size_t i = 0; i < present; i++) {
            if (c->u32[i] >= c->ndict)
                return fail(why, FLOWLOG_E_CORRUPT, "a dictionary index is past the dictionary", col->name, p->group);
            out[i] = c->dict[c->u32[i]];
        }
        return FLOWLOG_OK;
    }
    case PQ_DELTA_BINARY_PACKED: {
        if (col->type != PQ_INT32 && col->type != PQ_INT64)
            break;
        size_t total;
        if (!reserve_n(&p->alloc, (void **)&c->i64, &c->i64_cap, present + 1, sizeof *c->i64))
            return FLOWLOG_E_NOMEM;
        if (!delta_packed(&q, end, c->i64, present, &total) || total != present)
            return fail(why, FLOWLOG_E_CORRUPT, "DELTA_BINARY_PACKED values are corrupt", col->name, p->group);
        for (size_t i = 0; i < present; i++) {
            out[i].kind = V_INT;
            out[i].i = col->type == PQ_INT32 ? (int32_t)c->i64[i] : c->i64[i];
        }
        return FLOWLOG_OK;
    }
    case PQ_DELTA_LENGTH_BYTE_ARRAY:
    case PQ_DELTA_BYTE_ARRAY: {
        if (col->type != PQ_BYTE_ARRAY)
            break;
        size_t count;
        bool prefixed = encoding == PQ_DELTA_BYTE_ARRAY;
        /* i64 holds the prefix lengths (DELTA_BYTE_ARRAY) then the lengths */
        if (!reserve_n(&p->alloc, (void **)&c->i64, &c->i64_cap, 2 * present + 2, sizeof *c->i64))
            return FLOWLOG_E_NOMEM;
        int64_t *prefix = c->i64, *lens = c->i64 + present + 1;
        if (prefixed && (!delta_packed(&q, end, prefix, present, &count) || count != present))
            return fail(why, FLOWLOG_E_CORRUPT, "DELTA_BYTE_ARRAY prefixes are corrupt", col->name, p->group);
        if (!delta_packed(&q, end, lens, present, &count) || count != present)
            return fail(why, FLOWLOG_E_CORRUPT, "byte array lengths are corrupt", col->name, p->group);
        /* the values' bytes: their own, or (DELTA_BYTE_ARRAY) each built
         * from a prefix of the one before, into one buffer sized first */
        size_t total = 0, bytes = 0, last = 0;
        for (size_t i = 0; i < present; i++) {
            if (lens[i] < 0 || (uint64_t)lens[i] > (uint64_t)(end - q) - bytes)
                return fail(why, FLOWLOG_E_CORRUPT, "a byte array runs past its page", col->name, p->group);
            bytes += (size_t)lens[i];
            if (prefixed) {
                if (prefix[i] < 0 || (uint64_t)prefix[i] > (i ? last : 0))
                    return fail(why, FLOWLOG_E_CORRUPT, "a prefix is longer than the value before", col->name,
                                p->group);
                last = (size_t)prefix[i] + (size_t)lens[i];
                if (last > FLOWLOG__PQ_MAX_PAGE || total + last > FLOWLOG__PQ_MAX_PAGE)
                    return fail(why, FLOWLOG_E_LIMIT, "the values of a page pass 256 MiB", col->name, p->group);
                total += last;
            }
        }
        if (prefixed && !reserve(&p->alloc, &c->built, total + 1))
            return FLOWLOG_E_NOMEM;
        char *to = prefixed ? (char *)c->built.p : NULL;
        for (size_t i = 0; i < present; i++) {
            if (!prefixed) {
                out[i] = (pq_value){(const char *)q, (uint32_t)lens[i], V_TEXT, 0};
            } else {
                size_t pre = (size_t)prefix[i];
                if (pre)
                    memcpy(to, out[i - 1].s, pre);
                memcpy(to + pre, q, (size_t)lens[i]);
                out[i] = (pq_value){to, (uint32_t)(pre + (size_t)lens[i]), V_TEXT, 0};
                to += pre + (size_t)lens[i];
            }
            q += lens[i];
        }
        return FLOWLOG_OK;
    }
    default:
        break;
    }
    return fail(why, FLOWLOG_E_UNSUPPORTED, "its values' encoding is not one this reader reads", col->name, p->group);
}

/* The next page of the cursor's chunk, decoded into c->vals. */
static int next_page(flowlog__pq *p, pq_cursor *c, char *why)
{
    const pq_column *col = &p->meta.columns[c->column];
    for (;;) {
        if (c->pos >= c->end)
            return fail(why, FLOWLOG_E_CORRUPT, "the column chunk ends before its values", col->name, p->group);
        pq_page_header h;
        size_t used;
        if (flowlog__pq_page_header(&h, p->file + c->pos, c->end - c->pos, &used) < 0)
            return fail(why, FLOWLOG_E_CORRUPT, "a page header is corrupt", col->name, p->group);
        c->pos += used;
        if ((uint64_t)h.compressed_size > c->end - c->pos)
            return fail(why, FLOWLOG_E_CORRUPT, "a page runs past its column chunk", col->name, p->group);
        const uint8_t *src = p->file + c->pos;
        c->pos += (size_t)h.compressed_size;
        if (h.type == PQ_DICTIONARY_PAGE) {
            int rc = read_dictionary(p, c, &h, src, why);
            if (rc < 0)
                return rc;
            continue;
        }
        if (h.type != PQ_DATA_PAGE && h.type != PQ_DATA_PAGE_V2)
            continue; /* an index page */
        size_t n = (size_t)h.num_values;
        if (h.num_values == 0 || (uint64_t)h.num_values > (uint64_t)c->values_left)
            return fail(why, FLOWLOG_E_CORRUPT, "a page's count of values is wrong", col->name, p->group);
        /* its values are held decoded (24 bytes each) whatever the page's
         * bytes: nulls cost a bit each, so its length does not bound them */
        if ((uint64_t)h.num_values > FLOWLOG__PQ_MAX_PAGE_VALUES)
            return fail(why, FLOWLOG_E_LIMIT, "a page holds more than 2,097,152 values", col->name, p->group);
        const uint8_t *data, *end, *levels;
        size_t levels_len = 0;
        int rc;
        if (h.type == PQ_DATA_PAGE) {
            rc = decompress(c, p, src, (size_t)h.compressed_size, &c->page, (size_t)h.uncompressed_size, &data, why);
            if (rc < 0)
                return rc;
            end = data + h.uncompressed_size;
            levels = data;
            if (col->repetition == 1) {
                if (h.def_encoding != PQ_RLE)
                    return fail(why, FLOWLOG_E_UNSUPPORTED, "its levels are not RLE", col->name, p->group);
                if (end - data < 4 || le32(data) > (size_t)(end - data - 4))
                    return fail(why, FLOWLOG_E_CORRUPT, "its definition levels run past the page", col->name,
                                p->group);
                levels = data + 4;
                levels_len = le32(data);
                data += 4 + levels_len;
            }
        } else {
            size_t lv = (size_t)h.def_length + (size_t)h.rep_length;
            if (h.rep_length || lv > (size_t)h.compressed_size || lv > (size_t)h.uncompressed_size)
                return fail(why, FLOWLOG_E_CORRUPT, "a v2 page's levels are wrong", col->name, p->group);
            levels = src;
            levels_len = (size_t)h.def_length;
            if (h.compressed) {
                rc = decompress(c, p, src + lv, (size_t)h.compressed_size - lv, &c->page,
                                (size_t)h.uncompressed_size - lv, &data, why);
                if (rc < 0)
                    return rc;
            } else {
                data = src + lv;
            }
            end = data + ((size_t)h.uncompressed_size - lv);
        }
        if (!reserve_n(&p->alloc, (void **)&c->vals, &c->vals_cap, n + 1, sizeof *c->vals) ||
            !reserve_n(&p->alloc, (void **)&c->u32, &c->u32_cap, n + 1, sizeof *c->u32))
            return FLOWLOG_E_NOMEM;
        size_t present = n;
        if (col->repetition == 1) {
            if (!hybrid(levels, levels + levels_len, 1, c->u32, n))
                return fail(why, FLOWLOG_E_CORRUPT, "its definition levels are corrupt", col->name, p->group);
            present = 0;
            for (size_t i = 0; i < n; i++) {
                if (c->u32[i] > 1) /* a flat optional column's levels are 0 and 1 */
                    return fail(why, FLOWLOG_E_CORRUPT, "a definition level is past the column's", col->name,
                                p->group);
                present += c->u32[i];
            }
            /* values first at the end of vals, then spread over the rows */
        }
        /* the values decode to the end of vals, then spread over the rows
         * with a value (u32 may be reused for indices meanwhile) */
        pq_value *packed = c->vals + (n - present);
        bool optional = col->repetition == 1;
        if (optional) {
            if (!reserve_n(&p->alloc, (void **)&c->present, &c->present_cap, n + 1, 1))
                return FLOWLOG_E_NOMEM;
            for (size_t i = 0; i < n; i++)
                c->present[i] = c->u32[i] != 0;
        }
        rc = page_values(p, c, h.encoding, data, end, present, packed, why);
        if (rc == FLOWLOG_OK && optional) {
            size_t k = 0;
            for (size_t i = 0; i < n; i++) /* read at (n - present) + k >= i: never overtaken */
                c->vals[i] = c->present[i] ? packed[k++] : (pq_value){NULL, 0, V_NULL, 0};
        }
        if (rc < 0)
            return rc;
        c->nvals = n;
        c->next = 0;
        c->values_left -= (int64_t)n;
        return FLOWLOG_OK;
    }
}

static int cursor_next(flowlog__pq *p, pq_cursor *c, pq_value *v, char *why)
{
    if (c->next == c->nvals) {
        int rc = next_page(p, c, why);
        if (rc < 0)
            return rc;
    }
    *v = c->vals[c->next++];
    return FLOWLOG_OK;
}

/* ---- row groups and rows ---- */

static int start_group(flowlog__pq *p, char *why)
{
    const pq_group *g = &p->meta.groups[p->group];
    for (int k = 0; k < p->ncursors; k++) {
        pq_cursor *c = &p->cursors[k];
        const pq_chunk *ch = &g->chunks[c->column];
        const char *name = p->meta.columns[c->column].name;
        int64_t start = ch->dictionary_offset > 0 && ch->dictionary_offset < ch->data_offset ? ch->dictionary_offset
                                                                                             : ch->data_offset;
        size_t limit = p->len - 8; /* the footer's length and the magic */
        if (start < 4 || ch->compressed_size < 0 || (uint64_t)start > limit ||
            (uint64_t)ch->compressed_size > limit - (uint64_t)start)
            return fail(why, FLOWLOG_E_CORRUPT, "the column chunk lies outside the file", name, p->group);
        if (ch->type != p->meta.columns[c->column].type)
            return fail(why, FLOWLOG_E_CORRUPT, "the column chunk's type is not the schema's", name, p->group);
        if (ch->num_values != g->num_rows)
            return fail(why, FLOWLOG_E_CORRUPT, "the column chunk's values are not the row group's rows", name,
                        p->group);
        c->chunk = ch;
        c->pos = (size_t)start;
        c->end = (size_t)start + (size_t)ch->compressed_size;
        c->values_left = ch->num_values;
        c->ndict = 0;
        c->nvals = c->next = 0;
    }
    p->rows_left = g->num_rows;
    /* Statistics that put the whole group outside the window: times that
     * are plainly seconds (after 1970, before 10^11), none null or zero. */
    p->skip_group = false;
    p->skip_start = p->skip_end = -1;
    for (int k = 0; k < p->ncursors; k++) {
        const pq_cursor *c = &p->cursors[k];
        const pq_chunk *ch = c->chunk;
        bool ints = ch->type == PQ_INT32 || ch->type == PQ_INT64;
        if (!ints || !ch->has_minmax || ch->null_count != 0 || ch->min <= 0 || ch->max >= 100000000000)
            continue;
        if (c->field == FLOWLOG_FIELD_END && p->since && (uint64_t)ch->max < p->since) {
            p->skip_group = true;
            p->skip_end = ch->max;
        } else if (c->field == FLOWLOG_FIELD_START && p->until && (uint64_t)ch->min > p->until) {
            p->skip_group = true;
            p->skip_start = ch->min;
        }
    }
    return FLOWLOG_OK;
}

static bool append(flowlog__pq *p, const char *s, size_t n)
{
    if (p->line_len + n + 1 > p->line_cap) {
        size_t cap = p->line_cap ? p->line_cap : 1024;
        while (cap < p->line_len + n + 1)
            cap *= 2;
        char *grown = p->alloc.realloc(p->alloc.ctx, p->line, p->line_cap, cap);
        if (!grown)
            return false;
        p->line = grown;
        p->line_cap = cap;
    }
    memcpy(p->line + p->line_len, s, n);
    p->line_len += n;
    return true;
}

/* v in decimal at out: its length (at most 20). */
static size_t decimal(char *out, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

/* A row's line in p->line. A text value that is empty, or pandas' "None",
 * is written `-` as AWS writes an absent field; a text value with a
 * newline has it as a space (one row is one line: the field count then
 * makes it an error, as its twin would be). */
static int make_row(flowlog__pq *p, char *why)
{
    p->line_len = 0;
    for (int k = 0; k < p->ncursors; k++) {
        pq_value v = {NULL, 0, V_NULL, 0};
        if (!p->skip_group) {
            int rc = cursor_next(p, &p->cursors[k], &v, why);
            if (rc < 0)
                return rc;
        } else if (p->cursors[k].field == FLOWLOG_FIELD_START && p->skip_start >= 0) {
            v = (pq_value){NULL, 0, V_INT, p->skip_start};
        } else if (p->cursors[k].field == FLOWLOG_FIELD_END && p->skip_end >= 0) {
            v = (pq_value){NULL, 0, V_INT, p->skip_end};
        }
        size_t need = (v.kind == V_TEXT ? v.len : 0) + 24; /* a separator, a number, a newline */
        if (p->line_len + need > p->line_cap) {
            size_t cap = p->line_cap ? p->line_cap : 1024;
            while (cap < p->line_len + need)
                cap *= 2;
            char *grown = p->alloc.realloc(p->alloc.ctx, p->line, p->line_cap, cap);
            if (!grown)
                return FLOWLOG_E_NOMEM;
            p->line = grown;
            p->line_cap = cap;
        }
        char *at = p->line + p->line_len;
        if (k)
            *at++ = ' ';
        if (v.kind == V_INT) {
            at += decimal(at, v.i);
        } else if (v.kind == V_NULL || v.len == 0 || (v.len == 4 && memcmp(v.s, "None", 4) == 0)) {
            *at++ = '-';
        } else {
            memcpy(at, v.s, v.len);
            for (uint32_t i = 0; i < v.len; i++)
                if (at[i] == '\n' || at[i] == '\r')
                    at[i] = ' ';
            at += v.len;
        }
        if (k + 1 == p->ncursors)
            *at++ = '\n';
        p->line_len = (size_t)(at - p->line);
    }
    if (!p->ncursors && !append(p, "\n", 1))
        return FLOWLOG_E_NOMEM;
    return FLOWLOG_OK;
}

static int make_header(flowlog__pq *p)
{
    p->line_len = 0;
    for (int k = 0; k < p->ncursors; k++) {
        const char *name = p->meta.columns[p->cursors[k].column].name;
        if ((k && !append(p, " ", 1)))
            return FLOWLOG_E_NOMEM;
        for (const char *s = name; *s; s++) {
            char ch = *s == '_' ? '-' : *s;
            if (!append(p, &ch, 1))
                return FLOWLOG_E_NOMEM;
        }
    }
    return append(p, "\n", 1) ? FLOWLOG_OK : FLOWLOG_E_NOMEM;
}

int flowlog__pq_read(flowlog__pq *p, char *dst, size_t room, size_t *made, char *why)
{
    *made = 0;
    for (;;) {
        if (p->line_pending) {
            if (p->line_len > room - *made) {
                if (*made)
                    return FLOWLOG_OK;
                /* longer than the whole room: given in parts, the reader sees a long line */
                memcpy(dst, p->line, room);
                memmove(p->line, p->line + room, p->line_len - room);
                p->line_len -= room;
                *made = room;
                return FLOWLOG_OK;
            }
            memcpy(dst + *made, p->line, p->line_len);
            *made += p->line_len;
            p->line_pending = false;
        }
        int rc;
        if (!p->header_done) {
            rc = make_header(p);
            p->header_done = true;
        } else {
            while (p->rows_left == 0 && p->group < p->meta.ngroups) {
                if (++p->group == p->meta.ngroups)
                    break;
                if ((rc = start_group(p, why)) < 0)
                    return rc;
            }
            if (p->group >= p->meta.ngroups)
                return *made ? FLOWLOG_OK : FLOWLOG_END;
            rc = make_row(p, why);
            p->rows_left--;
        }
        if (rc < 0) {
            p->group = p->meta.ngroups; /* nothing after an error in a file */
            return rc;
        }
        p->line_pending = true;
    }
}

/* The footer, the columns the registry knows, the first row group. */
int flowlog__pq_open(flowlog__pq **out, const flowlog_allocator *a, uint8_t *file, size_t len, size_t cap,
                     const uint32_t *fields, size_t nfields, uint64_t since, uint64_t until, char *why)
{
    *out = NULL;
    flowlog__pq *p = flowlog__calloc(a, 1, sizeof *p);
    if (!p) {
        FLOWLOG__FREE(a, file, cap);
        return FLOWLOG_E_NOMEM;
    }
    p->alloc = *a;
    p->since = since;
    p->until = until;
    p->file = file;
    p->len = len;
    p->cap = cap;
    *out = p;
    if (len < 12 || !flowlog__pq_magic(file, len) || !flowlog__pq_magic(file + len - 4, 4)) {
        snprintf(why, FLOWLOG__MSG_SIZE, "parquet: the file is cut short (no PAR1 at its end)");
        return FLOWLOG_E_CORRUPT;
    }
    uint32_t footer = le32(file + len - 8);
    if (footer > len - 12) {
        snprintf(why, FLOWLOG__MSG_SIZE, "parquet: the footer's length is past the file");
        return FLOWLOG_E_CORRUPT;
    }
    char meta_why[FLOWLOG__MSG_SIZE];
    int rc = flowlog__pq_meta_read(&p->meta, a, file + len - 8 - footer, footer, meta_why);
    if (rc < 0) {
        memcpy(why, "parquet: ", 9);
        snprintf(why + 9, FLOWLOG__MSG_SIZE - 9, "%.*s", (int)(FLOWLOG__MSG_SIZE - 10), meta_why);
        return rc;
    }
    int first_known = -1;
    for (int i = 0; i < p->meta.ncolumns; i++) {
        pq_column *col = &p->meta.columns[i];
        char text[PQ_MAX_NAME];
        size_t n = strlen(col->name);
        for (size_t k = 0; k <= n; k++)
            text[k] = col->name[k] == '_' ? '-' : col->name[k];
        uint32_t id = flowlog_field_lookup(text, n);
        if (!id)
            continue; /* not a flow-log field (a partition column, an extra): not read */
        if (first_known < 0 && !type_problem(col->type))
            first_known = i;
        bool wanted = !nfields;
        for (size_t k = 0; k < nfields && !wanted; k++)
            wanted = fields[k] == id;
        if (!wanted)
            continue; /* the caller reads no more than `fields` */
        const char *problem = type_problem(col->type);
        if (problem) {
            snprintf(why, FLOWLOG__MSG_SIZE, "parquet: column %s: %s", col->name, problem);
            return FLOWLOG_E_UNSUPPORTED;
        }
        p->cursors[p->ncursors].field = id;
        p->cursors[p->ncursors++].column = i;
    }
    if (!p->ncursors && nfields && first_known >= 0) {
        /* a row is still a record, with none of the fields asked */
        char text[PQ_MAX_NAME];
        const char *name = p->meta.columns[first_known].name;
        size_t n = strlen(name);
        for (size_t k = 0; k <= n; k++)
            text[k] = name[k] == '_' ? '-' : name[k];
        p->cursors[p->ncursors].field = flowlog_field_lookup(text, n);
        p->cursors[p->ncursors++].column = first_known;
    }
    if (!p->ncursors) {
        snprintf(why, FLOWLOG__MSG_SIZE, "parquet: no column is a flow-log field");
        return FLOWLOG_E_UNSUPPORTED;
    }
    p->group = 0;
    p->rows_left = 0;
    if (p->meta.ngroups && (rc = start_group(p, why)) < 0)
        return rc;
    return FLOWLOG_OK;
}

void flowlog__pq_free(flowlog__pq *p)
{
    if (!p)
        return;
    flowlog_allocator a = p->alloc;
    for (int k = 0; k < p->ncursors; k++) {
        pq_cursor *c = &p->cursors[k];
        if (c->dict)
            FLOWLOG__FREE(&a, c->dict, c->dict_cap * sizeof *c->dict);
        if (c->vals)
            FLOWLOG__FREE(&a, c->vals, c->vals_cap * sizeof *c->vals);
        if (c->u32)
            FLOWLOG__FREE(&a, c->u32, c->u32_cap * sizeof *c->u32);
        if (c->i64)
            FLOWLOG__FREE(&a, c->i64, c->i64_cap * sizeof *c->i64);
        if (c->present)
            FLOWLOG__FREE(&a, c->present, c->present_cap);
        pq_buf *bufs[3] = {&c->dict_bytes, &c->page, &c->built};
        for (int b = 0; b < 3; b++)
            if (bufs[b]->p)
                FLOWLOG__FREE(&a, bufs[b]->p, bufs[b]->cap);
    }
    if (p->line)
        FLOWLOG__FREE(&a, p->line, p->line_cap);
    if (p->gz_ready)
        flowlog__gz_end(&p->gz);
    flowlog__pq_meta_free(&p->meta, &a);
    if (p->file)
        FLOWLOG__FREE(&a, p->file, p->cap);
    FLOWLOG__FREE(&a, p, sizeof *p);
}
