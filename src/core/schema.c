#include "internal.h"

static const uint32_t default_columns[] = {
    FLOWLOG_FIELD_VERSION, FLOWLOG_FIELD_ACCOUNT_ID, FLOWLOG_FIELD_INTERFACE_ID,
    FLOWLOG_FIELD_SRCADDR, FLOWLOG_FIELD_DSTADDR,    FLOWLOG_FIELD_SRCPORT,
    FLOWLOG_FIELD_DSTPORT, FLOWLOG_FIELD_PROTOCOL,   FLOWLOG_FIELD_PACKETS,
    FLOWLOG_FIELD_BYTES,   FLOWLOG_FIELD_START,      FLOWLOG_FIELD_END,
    FLOWLOG_FIELD_ACTION,  FLOWLOG_FIELD_LOG_STATUS,
};

static void reset_columns(flowlog_schema *s)
{
    for (size_t i = 0; i < FLOWLOG__BUILTIN_SLOTS; i++)
        s->builtin_col[i] = -1;
    for (size_t i = 0; i < s->nown; i++)
        s->own[i].column = -1;
    s->ncols = 0;
    s->version = 0;
    s->transit_gateway = false;
}

static int schema_alloc(flowlog_schema **out, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_schema *s = flowlog__calloc(&al, 1, sizeof *s);
    if (!s)
        return FLOWLOG_E_NOMEM;
    s->alloc = al;
    s->cols = flowlog__calloc(&al, FLOWLOG_MAX_COLUMNS, sizeof *s->cols);
    s->col_types = flowlog__calloc(&al, FLOWLOG_MAX_COLUMNS, sizeof *s->col_types);
    if (!s->cols || !s->col_types) {
        flowlog_schema_free(s);
        return FLOWLOG_E_NOMEM;
    }
    flowlog__error_clear(&s->err);
    reset_columns(s);
    *out = s;
    return FLOWLOG_OK;
}

int flowlog_schema_new(flowlog_schema **out, const flowlog_allocator *a)
{
    return schema_alloc(out, a);
}

int flowlog_schema_new_ex(flowlog_schema **out, const flowlog_allocator *a, flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_schema_new(out, a), out, a, NULL, false);
}

void flowlog_schema_free(flowlog_schema *s)
{
    if (!s)
        return;
    flowlog_allocator al = s->alloc;
    for (size_t i = 0; i < s->nown; i++)
        FLOWLOG__FREE(&al, s->own[i].name, s->own[i].name_len + 1);
    FLOWLOG__FREE(&al, s->own, s->own_cap * sizeof *s->own);
    FLOWLOG__FREE(&al, s->cols, FLOWLOG_MAX_COLUMNS * sizeof *s->cols);
    FLOWLOG__FREE(&al, s->col_types, FLOWLOG_MAX_COLUMNS * sizeof *s->col_types);
    FLOWLOG__FREE(&al, s, sizeof *s);
}

static int add_own(flowlog_schema *s, const char *name, size_t len, int type, bool registered,
                   uint32_t *id)
{
    if (s->nown == FLOWLOG__MAX_OWN_FIELDS)
        return FLOWLOG_E_LIMIT;
    if (s->nown == s->own_cap) {
        size_t cap = s->own_cap ? s->own_cap * 2 : 8;
        flowlog__own_field *grown = s->alloc.realloc(s->alloc.ctx, s->own,
                                                     s->own_cap * sizeof *s->own,
                                                     cap * sizeof *s->own);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        s->own = grown;
        s->own_cap = cap;
    }
    char *copy = flowlog__strndup(&s->alloc, name, len);
    if (!copy)
        return FLOWLOG_E_NOMEM;
    s->own[s->nown] = (flowlog__own_field){copy, len, type, -1, registered};
    *id = FLOWLOG_FIELD_CUSTOM_BASE + (uint32_t)s->nown;
    s->nown++;
    return FLOWLOG_OK;
}

static uint32_t lookup_own(const flowlog_schema *s, const char *name, size_t len)
{
    for (size_t i = 0; i < s->nown; i++)
        if (flowlog__name_equal(name, len, s->own[i].name, s->own[i].name_len))
            return FLOWLOG_FIELD_CUSTOM_BASE + (uint32_t)i;
    return FLOWLOG_FIELD_NONE;
}

int flowlog_schema_derive(flowlog_schema **out, const flowlog_schema *src,
                          const flowlog_allocator *a)
{
    if (!src)
        return FLOWLOG_E_ARG;
    int rc = schema_alloc(out, a);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < src->nown; i++) {
        uint32_t id;
        rc = add_own(*out, src->own[i].name, src->own[i].name_len, src->own[i].type,
                     src->own[i].registered, &id);
        if (rc < 0) {
            flowlog_schema_free(*out);
            *out = NULL;
            return rc;
        }
    }
    return FLOWLOG_OK;
}

int flowlog_schema_register(flowlog_schema *s, const char *name, size_t len, int type,
                            uint32_t *id)
{
    if (!s || !name)
        return FLOWLOG_E_ARG;
    if (type != FLOWLOG_TYPE_STRING && type != FLOWLOG_TYPE_UINT && type != FLOWLOG_TYPE_ADDR &&
        type != FLOWLOG_TYPE_TIME)
        return FLOWLOG_E_ARG;
    if (s->frozen)
        return FLOWLOG_E_FROZEN;
    flowlog__error_clear(&s->err);
    if (!flowlog__is_name_shape(name, len)) {
        flowlog__error_static(&s->err, 0, -1, "a field name is a letter then letters, digits, '-' or '_' (64 bytes at most)");
        return FLOWLOG_E_FORMAT;
    }
    if (flowlog_field_lookup(name, len) != FLOWLOG_FIELD_NONE) {
        flowlog__error_set(&s->err, 0, -1, "'%.*s' is a built-in field", (int)len, name);
        return FLOWLOG_E_DUPLICATE;
    }
    uint32_t existing = lookup_own(s, name, len);
    if (existing != FLOWLOG_FIELD_NONE) {
        flowlog__own_field *f = &s->own[existing - FLOWLOG_FIELD_CUSTOM_BASE];
        if (f->registered) {
            flowlog__error_set(&s->err, 0, -1, "field '%.*s' is already registered", (int)len, name);
            return FLOWLOG_E_DUPLICATE;
        }
        /* A name met earlier as unknown now gets the caller's type. */
        f->registered = true;
        f->type = type;
        for (size_t c = 0; c < s->ncols; c++)
            if (s->cols[c] == existing)
                s->col_types[c] = (uint8_t)type;
        if (id)
            *id = existing;
        return FLOWLOG_OK;
    }
    uint32_t fresh;
    int rc = add_own(s, name, len, type, true, &fresh);
    if (rc == FLOWLOG_E_LIMIT)
        flowlog__error_static(&s->err, 0, -1, "too many custom fields (1024 at most)");
    if (rc == FLOWLOG_OK && id)
        *id = fresh;
    return rc;
}

/* Append one column named text[off..off+len). */
static int add_column(flowlog_schema *s, const char *text, size_t off, size_t len)
{
    const char *name = text + off;
    if (!flowlog__is_name_shape(name, len)) {
        flowlog__error_set(&s->err, off, (int)s->ncols,
                           "'%.*s' is not a field name (byte %zu)", (int)(len > 64 ? 64 : len),
                           name, off);
        return FLOWLOG_E_FORMAT;
    }
    if (s->ncols == FLOWLOG_MAX_COLUMNS) {
        flowlog__error_set(&s->err, off, (int)s->ncols, "more than %d fields", FLOWLOG_MAX_COLUMNS);
        return FLOWLOG_E_FORMAT;
    }
    uint32_t id = flowlog_field_lookup(name, len);
    int type;
    if (id != FLOWLOG_FIELD_NONE) {
        type = flowlog_field_type(id);
        int v = flowlog_field_version(id);
        if (v > s->version)
            s->version = v;
        if (id == FLOWLOG_FIELD_RESOURCE_TYPE || id == FLOWLOG_FIELD_TGW_ID)
            s->transit_gateway = true;
    } else {
        id = lookup_own(s, name, len);
        if (id == FLOWLOG_FIELD_NONE) {
            int rc = add_own(s, name, len, FLOWLOG_TYPE_STRING, false, &id);
            if (rc < 0) {
                if (rc == FLOWLOG_E_LIMIT)
                    flowlog__error_static(&s->err, off, (int)s->ncols, "too many unknown fields");
                return rc;
            }
        }
        type = s->own[id - FLOWLOG_FIELD_CUSTOM_BASE].type;
    }
    if (flowlog__schema_col(s, id) >= 0) {
        flowlog__error_set(&s->err, off, (int)s->ncols, "field '%.*s' appears twice (byte %zu)",
                           (int)len, name, off);
        return FLOWLOG_E_DUPLICATE;
    }
    if (id < FLOWLOG__BUILTIN_SLOTS)
        s->builtin_col[id] = (int16_t)s->ncols;
    else
        s->own[id - FLOWLOG_FIELD_CUSTOM_BASE].column = (int)s->ncols;
    s->cols[s->ncols] = id;
    s->col_types[s->ncols] = (uint8_t)type;
    s->ncols++;
    return FLOWLOG_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int fail_columns(flowlog_schema *s, int rc)
{
    reset_columns(s);
    return rc;
}

int flowlog_schema_set_format(flowlog_schema *s, const char *fmt, size_t len)
{
    if (!s || (!fmt && len))
        return FLOWLOG_E_ARG;
    if (s->frozen)
        return FLOWLOG_E_FROZEN;
    flowlog__error_clear(&s->err);
    reset_columns(s);
    size_t i = 0;
    for (;;) {
        while (i < len && is_space(fmt[i]))
            i++;
        if (i == len)
            break;
        if (fmt[i] != '$' || i + 1 >= len || fmt[i + 1] != '{') {
            flowlog__error_set(&s->err, i, (int)s->ncols,
                               "expected '${' at byte %zu, found '%c'", i,
                               (fmt[i] >= 0x20 && fmt[i] < 0x7f) ? fmt[i] : '?');
            return fail_columns(s, FLOWLOG_E_FORMAT);
        }
        size_t open = i;
        size_t name_start = i + 2;
        size_t j = name_start;
        while (j < len && fmt[j] != '}' && fmt[j] != '$' && !is_space(fmt[j]))
            j++;
        if (j == len || fmt[j] != '}') {
            flowlog__error_set(&s->err, open, (int)s->ncols,
                               "unbalanced '${' at byte %zu: no closing '}'", open);
            return fail_columns(s, FLOWLOG_E_FORMAT);
        }
        int rc = add_column(s, fmt, name_start, j - name_start);
        if (rc < 0)
            return fail_columns(s, rc);
        i = j + 1;
        if (i < len && !is_space(fmt[i])) {
            flowlog__error_set(&s->err, i, (int)s->ncols,
                               "expected a space after '}' at byte %zu", i - 1);
            return fail_columns(s, FLOWLOG_E_FORMAT);
        }
    }
    if (s->ncols == 0) {
        flowlog__error_static(&s->err, 0, -1, "empty format: at least one ${field} is needed");
        return fail_columns(s, FLOWLOG_E_FORMAT);
    }
    return FLOWLOG_OK;
}

int flowlog_schema_set_header(flowlog_schema *s, const char *line, size_t len)
{
    if (!s || (!line && len))
        return FLOWLOG_E_ARG;
    if (s->frozen)
        return FLOWLOG_E_FROZEN;
    flowlog__error_clear(&s->err);
    reset_columns(s);
    len = flowlog__chomp(line, len);
    size_t i = 0;
    for (;;) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t j = i;
        while (j < len && line[j] != ' ' && line[j] != '\t')
            j++;
        int rc = add_column(s, line, i, j - i);
        if (rc < 0)
            return fail_columns(s, rc);
        i = j;
    }
    if (s->ncols == 0) {
        flowlog__error_static(&s->err, 0, -1, "empty header line");
        return fail_columns(s, FLOWLOG_E_FORMAT);
    }
    return FLOWLOG_OK;
}

int flowlog_schema_set_default(flowlog_schema *s)
{
    if (!s)
        return FLOWLOG_E_ARG;
    if (s->frozen)
        return FLOWLOG_E_FROZEN;
    flowlog__error_clear(&s->err);
    reset_columns(s);
    for (size_t i = 0; i < sizeof default_columns / sizeof default_columns[0]; i++) {
        uint32_t id = default_columns[i];
        s->builtin_col[id] = (int16_t)i;
        s->cols[i] = id;
        s->col_types[i] = (uint8_t)flowlog_field_type(id);
    }
    s->ncols = sizeof default_columns / sizeof default_columns[0];
    s->version = 2;
    return FLOWLOG_OK;
}

int flowlog_schema_freeze(flowlog_schema *s)
{
    if (!s)
        return FLOWLOG_E_ARG;
    if (s->ncols == 0) {
        flowlog__error_static(&s->err, 0, -1, "a schema needs columns before it is frozen");
        return FLOWLOG_E_FORMAT;
    }
    s->frozen = true;
    return FLOWLOG_OK;
}

int flowlog_schema_is_frozen(const flowlog_schema *s)
{
    return s && s->frozen;
}

int flowlog_schema_compile(flowlog_schema **out, const char *text, size_t len, int syntax,
                           const flowlog_allocator *a)
{
    return flowlog_schema_compile_ex(out, text, len, syntax, a, NULL);
}

int flowlog_schema_compile_ex(flowlog_schema **out, const char *text, size_t len, int syntax,
                              const flowlog_allocator *a, flowlog_error_info *err)
{
    flowlog__error why;
    flowlog__error_clear(&why);
    if (!out)
        return flowlog__error_info_args(err, FLOWLOG_E_ARG, out, a, NULL, false);
    *out = NULL;
    if (syntax < FLOWLOG_SYNTAX_AUTO || syntax > FLOWLOG_SYNTAX_DEFAULT) {
        flowlog__error_set(&why, 0, -1, "syntax %d is not a flowlog_schema_syntax", syntax);
        return flowlog__error_info(err, FLOWLOG_E_ARG, &why);
    }
    if (!text && len) {
        flowlog__error_static(&why, 0, -1, "the text is NULL but its length is not 0");
        return flowlog__error_info(err, FLOWLOG_E_ARG, &why);
    }
    flowlog_schema *s;
    int rc = flowlog_schema_new(&s, a);
    if (rc < 0)
        return flowlog__error_info_args(err, rc, out, a, NULL, false);
    if (syntax == FLOWLOG_SYNTAX_AUTO) {
        syntax = FLOWLOG_SYNTAX_HEADER;
        for (size_t i = 0; i + 1 < len; i++)
            if (text[i] == '$' && text[i + 1] == '{')
                syntax = FLOWLOG_SYNTAX_FORMAT;
    }
    if (syntax == FLOWLOG_SYNTAX_FORMAT)
        rc = flowlog_schema_set_format(s, text, len);
    else if (syntax == FLOWLOG_SYNTAX_HEADER)
        rc = flowlog_schema_set_header(s, text, len);
    else
        rc = flowlog_schema_set_default(s);
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_freeze(s);
    flowlog__error_info(err, rc, &s->err);
    if (rc < 0) {
        flowlog_schema_free(s);
        return rc;
    }
    *out = s;
    return FLOWLOG_OK;
}

size_t flowlog_schema_column_count(const flowlog_schema *s)
{
    return s ? s->ncols : 0;
}

uint32_t flowlog_schema_column_field(const flowlog_schema *s, size_t col)
{
    return (s && col < s->ncols) ? s->cols[col] : FLOWLOG_FIELD_NONE;
}

int flowlog_schema_field_column(const flowlog_schema *s, uint32_t field)
{
    return s ? flowlog__schema_col(s, field) : -1;
}

uint32_t flowlog_schema_lookup(const flowlog_schema *s, const char *name, size_t len)
{
    if (!name)
        return FLOWLOG_FIELD_NONE;
    uint32_t id = flowlog_field_lookup(name, len);
    if (id == FLOWLOG_FIELD_NONE && s)
        id = lookup_own(s, name, len);
    return id;
}

const char *flowlog_schema_field_name(const flowlog_schema *s, uint32_t field)
{
    if (field >= FLOWLOG_FIELD_CUSTOM_BASE) {
        if (!s || field - FLOWLOG_FIELD_CUSTOM_BASE >= s->nown)
            return NULL;
        return s->own[field - FLOWLOG_FIELD_CUSTOM_BASE].name;
    }
    return flowlog_field_name(field);
}

int flowlog_schema_field_type(const flowlog_schema *s, uint32_t field)
{
    if (field >= FLOWLOG_FIELD_CUSTOM_BASE) {
        if (!s || field - FLOWLOG_FIELD_CUSTOM_BASE >= s->nown)
            return 0;
        return s->own[field - FLOWLOG_FIELD_CUSTOM_BASE].type;
    }
    return flowlog_field_type(field);
}

int flowlog_schema_version(const flowlog_schema *s)
{
    return s ? s->version : 0;
}

int flowlog_schema_is_transit_gateway(const flowlog_schema *s)
{
    return s && s->transit_gateway;
}

size_t flowlog_schema_error_offset(const flowlog_schema *s)
{
    return s ? s->err.offset : 0;
}

const char *flowlog_schema_error_message(const flowlog_schema *s)
{
    return s ? s->err.msg : "";
}

int flowlog_is_header_line(const char *line, size_t len)
{
    if (!line)
        return 0;
    len = flowlog__chomp(line, len);
    size_t tokens = 0, known = 0, i = 0;
    for (;;) {
        while (i < len && line[i] == ' ')
            i++;
        if (i == len)
            break;
        size_t j = i;
        while (j < len && line[j] != ' ')
            j++;
        if (!flowlog__is_name_shape(line + i, j - i))
            return 0;
        tokens++;
        if (flowlog_field_lookup(line + i, j - i) != FLOWLOG_FIELD_NONE)
            known++;
        i = j;
    }
    return tokens > 0 && known * 2 > tokens;
}
