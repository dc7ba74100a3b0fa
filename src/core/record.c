#include "internal.h"
#include "../cpu/cpu.h"

static int ensure_capacity(flowlog_record *r, size_t n)
{
    if (n <= r->cap)
        return FLOWLOG_OK;
    flowlog_span *grown = r->alloc.realloc(r->alloc.ctx, r->spans, r->cap * sizeof *r->spans,
                                           n * sizeof *r->spans);
    if (!grown)
        return FLOWLOG_E_NOMEM;
    r->spans = grown;
    r->cap = n;
    return FLOWLOG_OK;
}

int flowlog_record_new(flowlog_record **out, const flowlog_schema *s, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (!s || !s->frozen || flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_record *r = flowlog__calloc(&al, 1, sizeof *r);
    if (!r)
        return FLOWLOG_E_NOMEM;
    r->alloc = al;
    r->schema = s;
    r->split = flowlog__split_at(flowlog__cpu_best());
    flowlog__error_clear(&r->err);
    if (ensure_capacity(r, s->ncols) < 0) {
        flowlog_record_free(r);
        return FLOWLOG_E_NOMEM;
    }
    *out = r;
    return FLOWLOG_OK;
}

int flowlog_record_new_ex(flowlog_record **out, const flowlog_schema *s, const flowlog_allocator *a,
                          flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_record_new(out, s, a), out, a, s, true);
}

void flowlog_record_free(flowlog_record *r)
{
    if (!r)
        return;
    FLOWLOG__FREE(&r->alloc, r->spans, r->cap * sizeof *r->spans);
    FLOWLOG__FREE(&r->alloc, r, sizeof *r);
}

int flowlog_record_bind(flowlog_record *r, const flowlog_schema *s)
{
    if (!r || !s || !s->frozen)
        return FLOWLOG_E_ARG;
    int rc = ensure_capacity(r, s->ncols);
    if (rc < 0)
        return rc;
    r->schema = s;
    r->n = 0;
    r->pending = 0;
    return FLOWLOG_OK;
}

const flowlog_schema *flowlog_record_schema(const flowlog_record *r)
{
    return r ? r->schema : NULL;
}

/* Called where every span was just filled (none pending). */
static inline void detect_millis(flowlog_record *r)
{
    /* Twelve digits or more cannot be seconds before the year 5138. */
    const flowlog_schema *s = r->schema;
    int cs = s->builtin_col[FLOWLOG_FIELD_START], ce = s->builtin_col[FLOWLOG_FIELD_END];
    r->flags = 0;
    if ((cs >= 0 && r->spans[cs].len >= 12) || (ce >= 0 && r->spans[ce].len >= 12))
        r->flags |= FLOWLOG_RECORD_MILLIS;
}

int flowlog__record_load(flowlog_record *r, const char *line, size_t len)
{
    len = flowlog__chomp(line, len);
    r->line.ptr = line;
    r->line.len = len;
    size_t want = r->schema->ncols;
    r->pending = 0;
    size_t n = r->split(line, len, r->spans, want);
    if (FLOWLOG__UNLIKELY(n != want)) {
        r->n = 0;
        r->flags = 0;
        flowlog__error_set(&r->err, n > want ? (size_t)(r->spans[want - 1].ptr + r->spans[want - 1].len - line) : len,
                           -1, "expected %zu fields, found %zu", want, n);
        return FLOWLOG_E_FIELD_COUNT;
    }
    r->n = n;
    detect_millis(r);
    return FLOWLOG_OK;
}

int flowlog_record_parse(flowlog_record *r, const char *line, size_t len)
{
    if (!r || (!line && len))
        return FLOWLOG_E_ARG;
    if (!line)
        line = "";
    return flowlog__record_load(r, line, len);
}

int flowlog_record_set_spans(flowlog_record *r, const flowlog_span *spans, size_t n)
{
    if (!r || (!spans && n))
        return FLOWLOG_E_ARG;
    if (n != r->schema->ncols) {
        r->n = 0;
        flowlog__error_set(&r->err, 0, -1, "expected %zu fields, found %zu", r->schema->ncols, n);
        return FLOWLOG_E_FIELD_COUNT;
    }
    r->pending = 0;
    memcpy(r->spans, spans, n * sizeof *spans);
    r->n = n;
    r->line.ptr = n ? spans[0].ptr : "";
    r->line.len = n ? (size_t)(spans[n - 1].ptr + spans[n - 1].len - spans[0].ptr) : 0;
    detect_millis(r);
    return FLOWLOG_OK;
}

flowlog_span flowlog_record_line(const flowlog_record *r)
{
    flowlog_span none = {"", 0};
    return r ? r->line : none;
}

unsigned flowlog_record_flags(const flowlog_record *r)
{
    return r ? r->flags : 0;
}

int flowlog_record_column(const flowlog_record *r, size_t col, flowlog_span *out)
{
    if (!r || !out)
        return FLOWLOG_E_ARG;
    if (col >= r->n)
        return FLOWLOG_E_RANGE;
    *out = *flowlog__record_span(r, col);
    return FLOWLOG_OK;
}

/* The column of `field` in this record, or -1 for absent (no column, `-`). */
static inline int present_col(const flowlog_record *r, uint32_t field)
{
    int c = flowlog__schema_col(r->schema, field);
    if (c < 0 || (size_t)c >= r->n)
        return -1;
    const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
    if (sp->len == 1 && sp->ptr[0] == '-')
        return -1;
    return c;
}

static int type_error(flowlog_record *r, uint32_t field, const char *want)
{
    const char *name = flowlog_schema_field_name(r->schema, field);
    flowlog__error_set(&r->err, 0, flowlog__schema_col(r->schema, field),
                       "field '%s' is not %s", name ? name : "?", want);
    return FLOWLOG_E_TYPE;
}

static int value_error(flowlog_record *r, int col, int rc, const char *what)
{
    const flowlog_span *sp = flowlog__record_span(r, (size_t)col);
    const char *name = flowlog_schema_field_name(r->schema, r->schema->cols[col]);
    int shown = sp->len > 40 ? 40 : (int)sp->len;
    flowlog__error_set(&r->err, (size_t)(sp->ptr - r->line.ptr), col, "%s '%.*s%s' in field '%s'",
                       rc == FLOWLOG_E_OVERFLOW ? "integer overflow:" : what, shown, sp->ptr,
                       sp->len > 40 ? "..." : "", name ? name : "?");
    return rc;
}

int flowlog_record_get_str(flowlog_record *r, uint32_t field, flowlog_span *out)
{
    if (!r || !out)
        return FLOWLOG_E_ARG;
    int c = present_col(r, field);
    if (c < 0)
        return FLOWLOG_ABSENT;
    *out = *flowlog__record_span(r, (size_t)c);
    return FLOWLOG_OK;
}

int flowlog_record_get_u64(flowlog_record *r, uint32_t field, uint64_t *out)
{
    if (!r || !out)
        return FLOWLOG_E_ARG;
    int c = present_col(r, field);
    if (c < 0) {
        int t = flowlog_schema_field_type(r->schema, field);
        if (t && t != FLOWLOG_TYPE_UINT && t != FLOWLOG_TYPE_TIME)
            return type_error(r, field, "an integer");
        return FLOWLOG_ABSENT;
    }
    int type = r->schema->col_types[c];
    if (type != FLOWLOG_TYPE_UINT && type != FLOWLOG_TYPE_TIME)
        return type_error(r, field, "an integer");
    uint64_t v;
    const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
    int rc = flowlog__parse_u64(sp->ptr, sp->len, &v);
    if (FLOWLOG__UNLIKELY(rc < 0))
        return value_error(r, c, rc, "not an unsigned integer:");
    if (type == FLOWLOG_TYPE_TIME && v >= FLOWLOG__MILLIS_THRESHOLD)
        v /= 1000;
    *out = v;
    return FLOWLOG_OK;
}

int flowlog_record_get_addr(flowlog_record *r, uint32_t field, flowlog_addr *out)
{
    if (!r || !out)
        return FLOWLOG_E_ARG;
    int c = present_col(r, field);
    if (c < 0) {
        int t = flowlog_schema_field_type(r->schema, field);
        if (t && t != FLOWLOG_TYPE_ADDR)
            return type_error(r, field, "an address");
        return FLOWLOG_ABSENT;
    }
    if (r->schema->col_types[c] != FLOWLOG_TYPE_ADDR)
        return type_error(r, field, "an address");
    const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
    int rc = flowlog_addr_parse(sp->ptr, sp->len, out);
    if (rc < 0)
        return value_error(r, c, FLOWLOG_E_MALFORMED, "not an IPv4 or IPv6 address:");
    return FLOWLOG_OK;
}

int flowlog_record_get_enum(flowlog_record *r, uint32_t field, int *out)
{
    if (!r || !out)
        return FLOWLOG_E_ARG;
    int c = present_col(r, field);
    if (c < 0) {
        int t = flowlog_schema_field_type(r->schema, field);
        if (t && t != FLOWLOG_TYPE_ENUM)
            return type_error(r, field, "an enumeration");
        return FLOWLOG_ABSENT;
    }
    if (r->schema->col_types[c] != FLOWLOG_TYPE_ENUM)
        return type_error(r, field, "an enumeration");
    const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
    int v = flowlog__enum_parse(field, sp->ptr, sp->len);
    if (v == 0)
        return value_error(r, c, FLOWLOG_E_MALFORMED, "unknown value");
    *out = v;
    return FLOWLOG_OK;
}

const char *flowlog_record_error_message(const flowlog_record *r)
{
    return r ? r->err.msg : "";
}

int flowlog_record_error_column(const flowlog_record *r)
{
    return r ? r->err.column : -1;
}

size_t flowlog_record_error_offset(const flowlog_record *r)
{
    return r ? r->err.offset : 0;
}
