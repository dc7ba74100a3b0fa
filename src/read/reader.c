/* The reader: its handle, options and accounts, the classification of
 * each line (header, blank, record of which schema, error), and the one
 * loop of flowlog_reader_next() that asks the parts of the pipeline in
 * turn (reader_internal.h draws them). */
#include "../core/internal.h"
#include "reader_internal.h"
#include "../cpu/cpu.h"

#include <stdio.h>
#include <unistd.h>

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
    r->opt.threads = 1;
    r->header_last = -1;
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
    for (int k = 0; k < 2; k++) {
        if (r->header_text[k])
            FLOWLOG__FREE(&r->alloc, r->header_text[k], r->header_len[k] + 1);
        r->header_text[k] = NULL;
        r->header_len[k] = 0;
    }
    r->header_last = -1;
}

/* Keep the text of a header line now in force (keep_headers). */
static void keep_header(flowlog_reader *r, int kind, const char *line, size_t len)
{
    if (r->header_text[kind])
        FLOWLOG__FREE(&r->alloc, r->header_text[kind], r->header_len[kind] + 1);
    r->header_text[kind] = flowlog__strndup(&r->alloc, line, len);
    r->header_len[kind] = r->header_text[kind] ? len : 0;
    r->headers_lost |= !r->header_text[kind];
    r->header_last = kind;
}

void flowlog_reader_free(flowlog_reader *r)
{
    if (!r)
        return;
    flowlog_allocator al = r->alloc;
    flowlog__source_close(r);
    drop_header_schemas(r);
    flowlog_record_free(r->rec);
    flowlog_schema_free(r->default_schema);
    flowlog_schema_free(r->default_tgw);
    for (size_t i = 0; i < r->src.ninputs; i++) {
        if (r->src.inputs[i].kind == INPUT_FILE && r->src.inputs[i].fd >= 0)
            close(r->src.inputs[i].fd);
        FLOWLOG__FREE(&al, r->src.inputs[i].name, strlen(r->src.inputs[i].name) + 1);
        for (int k = 0; k < 2; k++)
            if (r->src.inputs[i].prologue[k])
                FLOWLOG__FREE(&al, r->src.inputs[i].prologue[k], r->src.inputs[i].prologue_len[k] + 1);
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
        if (value < 0 || value > FLOWLOG__MAX_THREADS)
            return FLOWLOG_E_RANGE;
        r->opt.threads = (int)value;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_CPU:
        if (value < FLOWLOG_CPU_SCALAR || value > FLOWLOG_CPU_AVX512)
            return FLOWLOG_E_RANGE;
        if (value > flowlog__cpu_best())
            return FLOWLOG_E_UNSUPPORTED;
        r->opt.cpu = (int)value;
        r->rec->split = flowlog__split_at(r->opt.cpu);
        return FLOWLOG_OK;
    case FLOWLOG_OPT_SINCE:
    case FLOWLOG_OPT_UNTIL:
        if (value < 0 || value > (int64_t)1 << 40)
            return FLOWLOG_E_RANGE;
        *(key == FLOWLOG_OPT_SINCE ? &r->opt.since : &r->opt.until) = (uint64_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_OPT_INPUT_FORMAT:
        if (value < FLOWLOG_INPUT_AUTO || value > FLOWLOG_INPUT_CSV)
            return FLOWLOG_E_RANGE;
        r->opt.input_format = (int)value;
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

int flowlog_reader_set_progress(flowlog_reader *r, flowlog_progress_fn fn, void *ctx)
{
    if (!r)
        return FLOWLOG_E_ARG;
    r->opt.progress = fn;
    r->opt.progress_ctx = ctx;
    return FLOWLOG_OK;
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
        return flowlog__line_error(r, rc);
    rc = flowlog_schema_set_header(s, line, len);
    if (rc == FLOWLOG_OK && flowlog_schema_column_count(s) > r->opt.max_fields) {
        flowlog__error_set(&r->err, 0, -1, "header line names %zu fields, more than the limit of %zu",
                           flowlog_schema_column_count(s), r->opt.max_fields);
        flowlog_schema_free(s);
        return flowlog__line_error(r, FLOWLOG_E_LIMIT);
    }
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_freeze(s);
    if (rc < 0) {
        flowlog__error_set(&r->err, flowlog_schema_error_offset(s), -1, "header line: %s",
                           flowlog_schema_error_message(s));
        flowlog_schema_free(s);
        return flowlog__line_error(r, rc);
    }
    r->rec->schema = r->base;
    r->rec->n = 0;
    if (r->keep_headers)
        keep_header(r, s->transit_gateway ? 1 : 0, line, len);
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
            return flowlog__line_error(r, rc);
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
        return flowlog__line_error(r, rc);
    }
    if (r->opt.validate) {
        rc = validate(r);
        if (rc < 0)
            return flowlog__line_error(r, rc);
    }
    if (r->rec->flags & FLOWLOG_RECORD_MILLIS)
        r->counts[FLOWLOG_COUNT_MILLIS]++;
    r->counts[FLOWLOG_COUNT_RECORDS]++;
    return FLOWLOG_OK;
}

/* The header lines in force where a part of a file begins: as if read,
 * but not counted (they are lines of the part before). One that fails
 * leaves the schema as it was, as reading it would have. */
static void assume_headers(flowlog_reader *r)
{
    uint64_t headers = r->counts[FLOWLOG_COUNT_HEADERS], errors = r->counts[FLOWLOG_COUNT_ERRORS];
    for (int i = 0; i < 2; i++)
        if (r->src.in->prologue[i])
            (void)header_line(r, r->src.in->prologue[i],
                              flowlog__chomp(r->src.in->prologue[i], r->src.in->prologue_len[i]));
    r->counts[FLOWLOG_COUNT_HEADERS] = headers;
    r->counts[FLOWLOG_COUNT_ERRORS] = errors;
    flowlog__error_clear(&r->err);
}

static int finish(flowlog_reader *r, int rc)
{
    if (rc < 0 && r->opt.stop_on_error) {
        r->stopped = true;
        flowlog__source_close(r);
    }
    return rc;
}

int flowlog__detect_form(const char *line, size_t len)
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

/* A time of the record in seconds (the accessor reads milliseconds as
 * seconds), or 0 when it has none. */
static uint64_t record_time(flowlog_record *rec, uint32_t field)
{
    uint64_t t;
    return flowlog_record_get_u64(rec, field, &t) == FLOWLOG_OK ? t : 0;
}

/* Outside the window: it ends before since or starts after until. A value
 * that does not convert is left for the caller to find. */
static bool outside_window(const flowlog_reader *r, flowlog_record *rec)
{
    uint64_t start = record_time(rec, FLOWLOG_FIELD_START), end = record_time(rec, FLOWLOG_FIELD_END);
    return (r->opt.since && end && end < r->opt.since) || (r->opt.until && start && start > r->opt.until);
}

int flowlog_reader_next(flowlog_reader *r, flowlog_record **rec)
{
    if (!r || !rec)
        return FLOWLOG_E_ARG;
    int rc = next_record(r, rec);
    while (FLOWLOG__UNLIKELY(r->opt.since | r->opt.until) && rc == FLOWLOG_OK && outside_window(r, *rec)) {
        r->counts[FLOWLOG_COUNT_OUTSIDE]++;
        rc = next_record(r, rec);
    }
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
        flowlog__source_close(r);
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
    if (FLOWLOG__UNLIKELY(r->src.map != NULL) && r->win.start - r->src.map_trimmed >= FLOWLOG__MAP_TRIM_STEP)
        flowlog__source_trim_map(r);
    /* Without a prefilter, a consumer that reads few of the fields still
     * takes plain lines from the scan: their fields are found from its
     * masks as they are read, and the rest are never split. */
    if ((r->scan.prefilter_on || (r->opt.nfields && r->opt.nfields * 2 <= r->current->ncols)) && r->frame.form == FORM_TEXT && !r->win.discarding && r->win.end > r->win.start && !r->opt.validate &&
        !r->current->transit_gateway) {
        flowlog__scan_pass_over(r);
        if (r->scan.pf_plain && r->rec->schema == r->current && flowlog__scan_take_plain(r))
            return *rec = r->rec, FLOWLOG_OK;
    }
    if (FLOWLOG__LIKELY(r->frame.form == FORM_TEXT && !r->win.discarding && r->win.end > r->win.start)) {
        /* The common line: whole in the window, a record of the current
         * schema. Anything else takes the general path below. */
        const char *line = r->win.bytes + r->win.start;
        const char *nl = flowlog__window_find_newline(r);
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
            uint64_t opened = r->counts[FLOWLOG_COUNT_INPUTS];
            rc = flowlog__source_open_next(r);
            if (r->counts[FLOWLOG_COUNT_INPUTS] != opened) {
                drop_header_schemas(r); /* a header holds for its own input only */
                if (rc == FLOWLOG_OK && r->src.in->ranged)
                    assume_headers(r);
            }
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
                r->frame.stream = r->frame.json.event_stream ? r->frame.json.event_stream : r->frame.json.stream;
                r->frame.log_group = r->frame.json.log_group;
                rc = classify(r, msg, mlen);
                if (rc == FLOWLOG_OK) {
                    *rec = r->rec;
                    return rc;
                }
                if (rc < 0) {
                    char detail[FLOWLOG__MSG_SIZE];
                    snprintf(detail, sizeof detail, "%s", r->err.msg);
                    flowlog__error_set(&r->err, 0, -1, "%s[%zu]: %s",
                                       r->frame.json.list ? r->frame.json.list : "logEvents", index, detail);
                    return finish(r, rc);
                }
                continue;
            }
            if (rc < 0) {
                r->win.line_no = r->frame.json.line;
                return finish(r, flowlog__line_error(r, rc));
            }
            continue; /* document used up */
        }
        const char *line;
        size_t len;
        rc = flowlog__window_next_line(r, &line, &len);
        if (rc == FLOWLOG_END) {
            if (r->frame.form == FORM_JSON && r->frame.json.acc_len) {
                r->win.line_no = r->frame.json.line;
                flowlog__error_static(&r->err, 0, -1, "JSON document is not complete at the end of the input");
                flowlog__json_reset(r);
                flowlog__source_close(r);
                return finish(r, flowlog__line_error(r, FLOWLOG_E_JSON));
            }
            flowlog__source_close(r);
            continue;
        }
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc < 0)
            return finish(r, rc);
        if (r->frame.form == FORM_DETECT) {
            r->frame.form = (input_form)flowlog__detect_form(line, len);
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
                return finish(r, flowlog__line_error(r, rc));
            continue;
        }
        if (r->frame.form == FORM_CSV) {
            const char *msg;
            size_t mlen;
            if (is_blank(line, len)) {
                rc = classify(r, line, len);
                continue;
            }
            if (flowlog__is_csv_header(line, len)) { /* a forced CSV input's own header */
                r->counts[FLOWLOG_COUNT_HEADERS]++;
                continue;
            }
            rc = flowlog__csv_message(r, line, len, &msg, &mlen);
            if (rc < 0)
                return finish(r, flowlog__line_error(r, rc));
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

const char *flowlog_reader_log_group(const flowlog_reader *r)
{
    return r ? r->frame.log_group : NULL;
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
