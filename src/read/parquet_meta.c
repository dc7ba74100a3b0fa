/* Thrift's compact protocol, as much as Parquet's footer and page headers
 * need: varints, zigzag integers, binaries, lists and structs, with every
 * field the reader does not use skipped by its type. Every read is checked
 * against the end of the buffer, and nesting against a depth. */
#include "parquet_meta.h"

#include <stdio.h>

enum { T_STOP, T_TRUE, T_FALSE, T_BYTE, T_I16, T_I32, T_I64, T_DOUBLE, T_BINARY, T_LIST, T_SET, T_MAP, T_STRUCT };

#define MAX_DEPTH 16
#define MAX_LIST ((uint64_t)1 << 24)

typedef struct tr {
    const uint8_t *p, *end;
    int depth;
    bool bad;
} tr;

static uint64_t varint(tr *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) {
            t->bad = true;
            return 0;
        }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    t->bad = true;
    return 0;
}

static int64_t zigzag(tr *t)
{
    uint64_t v = varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void binary(tr *t, const uint8_t **s, size_t *n)
{
    uint64_t len = varint(t);
    if (t->bad || len > (uint64_t)(t->end - t->p)) {
        t->bad = true;
        *s = NULL;
        *n = 0;
        return;
    }
    *s = t->p;
    *n = (size_t)len;
    t->p += len;
}

static void list_header(tr *t, int *elem, uint64_t *size)
{
    if (t->p >= t->end) {
        t->bad = true;
        *size = 0;
        return;
    }
    uint8_t b = *t->p++;
    *elem = b & 0x0f;
    *size = b >> 4;
    if (*size == 15)
        *size = varint(t);
    if (*size > MAX_LIST)
        t->bad = true;
}

/* The next field of a struct: false at its end. */
static bool field(tr *t, int *last, int *id, int *type)
{
    if (t->p >= t->end) {
        t->bad = true;
        return false;
    }
    uint8_t b = *t->p++;
    *type = b & 0x0f;
    if (*type == T_STOP)
        return false;
    int delta = b >> 4;
    *id = delta ? *last + delta : (int)zigzag(t);
    *last = *id;
    return !t->bad;
}

static void skip(tr *t, int type);

static void skip_struct(tr *t)
{
    if (++t->depth > MAX_DEPTH) {
        t->bad = true;
        return;
    }
    int last = 0, id, type;
    while (!t->bad && field(t, &last, &id, &type))
        skip(t, type);
    t->depth--;
}

static void skip(tr *t, int type)
{
    const uint8_t *s;
    size_t n;
    uint64_t size;
    int elem = 0;
    switch (type) {
    case T_TRUE:
    case T_FALSE:
        break;
    case T_BYTE:
        if (t->p >= t->end)
            t->bad = true;
        else
            t->p++;
        break;
    case T_I16:
    case T_I32:
    case T_I64:
        (void)varint(t);
        break;
    case T_DOUBLE:
        if (t->end - t->p < 8)
            t->bad = true;
        else
            t->p += 8;
        break;
    case T_BINARY:
        binary(t, &s, &n);
        break;
    case T_LIST:
    case T_SET:
        list_header(t, &elem, &size);
        if (++t->depth > MAX_DEPTH)
            t->bad = true;
        for (uint64_t i = 0; i < size && !t->bad; i++)
            skip(t, elem);
        t->depth--;
        break;
    case T_MAP: {
        size = varint(t);
        if (size > MAX_LIST || t->p >= t->end) {
            t->bad = true;
            break;
        }
        if (!size)
            break;
        uint8_t kv = *t->p++;
        if (++t->depth > MAX_DEPTH)
            t->bad = true;
        for (uint64_t i = 0; i < size && !t->bad; i++) {
            skip(t, kv >> 4);
            skip(t, kv & 0x0f);
        }
        t->depth--;
        break;
    }
    case T_STRUCT:
        skip_struct(t);
        break;
    default:
        t->bad = true;
    }
}

static int64_t integer(tr *t, int type)
{
    if (type != T_I16 && type != T_I32 && type != T_I64 && type != T_BYTE) {
        skip(t, type);
        t->bad = true;
        return 0;
    }
    if (type == T_BYTE) {
        if (t->p >= t->end) {
            t->bad = true;
            return 0;
        }
        return (int8_t)*t->p++;
    }
    return zigzag(t);
}

/* SchemaElement: the fields a flat schema needs. */
static void schema_element(tr *t, pq_column *c, int *num_children)
{
    int last = 0, id, type;
    c->type = -1;
    c->repetition = 0;
    c->converted = -1;
    c->type_length = 0;
    c->name[0] = '\0';
    *num_children = 0;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (id == 1)
            c->type = (int)integer(t, type);
        else if (id == 2)
            c->type_length = (int)integer(t, type);
        else if (id == 3)
            c->repetition = (int)integer(t, type);
        else if (id == 5)
            *num_children = (int)integer(t, type);
        else if (id == 6)
            c->converted = (int)integer(t, type);
        else if (id == 4 && type == T_BINARY) {
            const uint8_t *s;
            size_t n;
            binary(t, &s, &n);
            if (n >= sizeof c->name)
                n = sizeof c->name - 1;
            if (s)
                memcpy(c->name, s, n);
            c->name[n] = '\0';
        } else
            skip(t, type);
    }
}

/* A little-endian integer statistic of 4 or 8 bytes. */
static bool stat_value(const uint8_t *s, size_t n, int64_t *v)
{
    if (n == 4) {
        *v = (int32_t)((uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24);
        return true;
    }
    if (n == 8) {
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | s[i];
        *v = (int64_t)u;
        return true;
    }
    return false;
}

/* Statistics: min_value and max_value (or the old min and max, which for
 * signed integers order the same), and null_count. */
static void statistics(tr *t, pq_chunk *k)
{
    int last = 0, id, type;
    bool have_min = false, have_max = false;
    k->null_count = -1;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (type == T_BINARY && (id == 1 || id == 2 || id == 5 || id == 6)) {
            const uint8_t *s;
            size_t n;
            int64_t v;
            binary(t, &s, &n);
            if (!s || !stat_value(s, n, &v))
                continue;
            if (id == 1 || id == 5) {
                k->max = v;
                have_max = true;
            } else {
                k->min = v;
                have_min = true;
            }
        } else if (id == 3) {
            k->null_count = integer(t, type);
        } else {
            skip(t, type);
        }
    }
    k->has_minmax = have_min && have_max && k->min <= k->max;
}

static void column_meta(tr *t, pq_chunk *k)
{
    int last = 0, id, type;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (id == 12 && type == T_STRUCT) {
            statistics(t, k);
            continue;
        }
        switch (id) {
        case 1: k->type = (int)integer(t, type); break;
        case 4: k->codec = (int)integer(t, type); break;
        case 5: k->num_values = integer(t, type); break;
        case 7: k->compressed_size = integer(t, type); break;
        case 9: k->data_offset = integer(t, type); break;
        case 11: k->dictionary_offset = integer(t, type); break;
        default: skip(t, type);
        }
    }
}

static void column_chunk(tr *t, pq_chunk *k, bool *encrypted, bool *elsewhere)
{
    int last = 0, id, type;
    bool have_meta = false;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (id == 3 && type == T_STRUCT) {
            column_meta(t, k);
            have_meta = true;
        } else {
            if (id == 8 || id == 9)
                *encrypted = true; /* crypto_metadata, encrypted_column_metadata */
            if (id == 1)
                *elsewhere = true; /* file_path: the chunk is in another file */
            skip(t, type);
        }
    }
    if (!have_meta && !*encrypted)
        t->bad = true;
}

static int row_group(tr *t, pq_group *g, int ncolumns, const flowlog_allocator *a, char *why, size_t index)
{
    int last = 0, id, type;
    bool encrypted = false, elsewhere = false;
    g->chunks = flowlog__calloc(a, (size_t)ncolumns, sizeof *g->chunks);
    if (!g->chunks)
        return FLOWLOG_E_NOMEM;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (id == 1 && type == T_LIST) {
            int elem = 0;
            uint64_t n;
            list_header(t, &elem, &n);
            if (n != (uint64_t)ncolumns || elem != T_STRUCT) {
                snprintf(why, FLOWLOG__MSG_SIZE, "row group %zu has %llu column chunks for %d columns", index,
                         (unsigned long long)n, ncolumns);
                return FLOWLOG_E_CORRUPT;
            }
            for (uint64_t i = 0; i < n && !t->bad; i++)
                column_chunk(t, &g->chunks[i], &encrypted, &elsewhere);
        } else if (id == 3) {
            g->num_rows = integer(t, type);
        } else {
            skip(t, type);
        }
    }
    if (encrypted) {
        snprintf(why, FLOWLOG__MSG_SIZE, "row group %zu is encrypted, which this reader does not read", index);
        return FLOWLOG_E_UNSUPPORTED;
    }
    if (elsewhere) {
        snprintf(why, FLOWLOG__MSG_SIZE, "row group %zu has columns in other files, which this reader does not read",
                 index);
        return FLOWLOG_E_UNSUPPORTED;
    }
    return FLOWLOG_OK;
}

void flowlog__pq_meta_free(pq_meta *m, const flowlog_allocator *a)
{
    for (size_t i = 0; m->groups && i < m->ngroups; i++)
        if (m->groups[i].chunks)
            FLOWLOG__FREE(a, m->groups[i].chunks, (size_t)m->ncolumns * sizeof *m->groups[i].chunks);
    if (m->groups)
        FLOWLOG__FREE(a, m->groups, m->ngroups * sizeof *m->groups);
    m->groups = NULL;
    m->ngroups = 0;
}

/* The schema list: a root with every leaf directly under it. */
static int schema(tr *t, pq_meta *m, char *why)
{
    int elem = 0;
    uint64_t n;
    list_header(t, &elem, &n);
    if (t->bad || elem != T_STRUCT || n < 1)
        return FLOWLOG_E_CORRUPT;
    pq_column root;
    int children;
    schema_element(t, &root, &children);
    if (t->bad)
        return FLOWLOG_E_CORRUPT;
    if ((uint64_t)children != n - 1 || n - 1 > PQ_MAX_COLUMNS) {
        snprintf(why, FLOWLOG__MSG_SIZE, "the schema is nested or has more than %d columns, which this reader does "
                 "not read", PQ_MAX_COLUMNS);
        return FLOWLOG_E_UNSUPPORTED;
    }
    for (uint64_t i = 1; i < n && !t->bad; i++) {
        pq_column *c = &m->columns[m->ncolumns++];
        schema_element(t, c, &children);
        if (!t->bad && (children || c->repetition == 2 || c->type < 0)) {
            snprintf(why, FLOWLOG__MSG_SIZE, "column %s is nested or repeated, which this reader does not read",
                     c->name);
            return FLOWLOG_E_UNSUPPORTED;
        }
    }
    return t->bad ? FLOWLOG_E_CORRUPT : FLOWLOG_OK;
}

int flowlog__pq_meta_read(pq_meta *m, const flowlog_allocator *a, const uint8_t *buf, size_t len, char *why)
{
    tr t = {buf, buf + len, 0, false};
    int last = 0, id, type, rc = FLOWLOG_OK;
    bool have_schema = false, have_groups = false;
    memset(m, 0, sizeof *m);
    snprintf(why, FLOWLOG__MSG_SIZE, "the footer is corrupt");
    while (rc == FLOWLOG_OK && !t.bad && field(&t, &last, &id, &type)) {
        if (id == 2 && type == T_LIST) {
            rc = schema(&t, m, why);
            have_schema = true;
        } else if (id == 3) {
            m->num_rows = integer(&t, type);
        } else if (id == 4 && type == T_LIST && have_schema) {
            int elem = 0;
            uint64_t n;
            list_header(&t, &elem, &n);
            if (t.bad || (n && elem != T_STRUCT) || n > len) {
                t.bad = true;
                break;
            }
            m->groups = n ? flowlog__calloc(a, (size_t)n, sizeof *m->groups) : NULL;
            if (n && !m->groups)
                return FLOWLOG_E_NOMEM;
            m->ngroups = (size_t)n;
            for (size_t i = 0; i < m->ngroups && rc == FLOWLOG_OK && !t.bad; i++)
                rc = row_group(&t, &m->groups[i], m->ncolumns, a, why, i);
            have_groups = true;
        } else {
            skip(&t, type);
        }
    }
    if (rc == FLOWLOG_OK && (t.bad || !have_schema || (!have_groups && m->num_rows)))
        rc = FLOWLOG_E_CORRUPT;
    for (size_t i = 0; rc == FLOWLOG_OK && i < m->ngroups; i++)
        if (m->groups[i].num_rows < 0) {
            snprintf(why, FLOWLOG__MSG_SIZE, "row group %zu has a negative number of rows", i);
            rc = FLOWLOG_E_CORRUPT;
        }
    if (rc < 0)
        flowlog__pq_meta_free(m, a);
    return rc;
}

static void data_header(tr *t, pq_page_header *h, bool v2)
{
    int last = 0, id, type;
    while (!t->bad && field(t, &last, &id, &type)) {
        if (id == 1)
            h->num_values = integer(t, type);
        else if (!v2 && id == 2)
            h->encoding = (int)integer(t, type);
        else if (!v2 && id == 3 && type != T_TRUE && type != T_FALSE) /* a dictionary's is_sorted is a bool */
            h->def_encoding = (int)integer(t, type);
        else if (v2 && id == 2)
            h->num_nulls = integer(t, type);
        else if (v2 && id == 4)
            h->encoding = (int)integer(t, type);
        else if (v2 && id == 5)
            h->def_length = integer(t, type);
        else if (v2 && id == 6)
            h->rep_length = integer(t, type);
        else if (v2 && id == 7 && (type == T_TRUE || type == T_FALSE))
            h->compressed = type == T_TRUE;
        else
            skip(t, type);
    }
}

int flowlog__pq_page_header(pq_page_header *h, const uint8_t *buf, size_t len, size_t *used)
{
    tr t = {buf, buf + len, 0, false};
    int last = 0, id, type;
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->compressed = true;
    h->def_encoding = PQ_RLE;
    while (!t.bad && field(&t, &last, &id, &type)) {
        if (id == 1)
            h->type = (int)integer(&t, type);
        else if (id == 2)
            h->uncompressed_size = integer(&t, type);
        else if (id == 3)
            h->compressed_size = integer(&t, type);
        else if ((id == 5 || id == 7 || id == 8) && type == T_STRUCT)
            data_header(&t, h, id == 8); /* the dictionary header's first two fields are the data header's */
        else
            skip(&t, type);
    }
    *used = (size_t)(t.p - buf);
    if (t.bad || h->type < 0 || h->uncompressed_size < 0 || h->compressed_size < 0 || h->num_values < 0 ||
        h->def_length < 0 || h->rep_length < 0)
        return FLOWLOG_E_CORRUPT;
    return FLOWLOG_OK;
}
