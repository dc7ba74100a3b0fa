#include "../core/internal.h"
#include "reader_internal.h"

#include <stdio.h>

/* CloudWatch Logs delivery forms: subscription payloads (also gzip-compressed
 * and base64-encoded, as a Lambda function receives them), the AWS CLI's
 * `aws logs filter-log-events` / `get-log-events` output ({"events": [...]})
 * and `get-query-results` output ({"results": [[{"field", "value"}...]]},
 * the record in @message), NDJSON of {"message": ...}, and the console's
 * CSV export. JSON is parsed with
 * jansson; documents are found by tracking brace depth outside strings, so
 * NDJSON, pretty-printed documents and concatenated documents all work, and
 * no document is parsed twice. */

static void free_doc(flowlog_reader *r)
{
    flowlog__json_state *j = &r->frame.json;
    if (j->doc)
        json_decref(j->doc);
    j->doc = NULL;
    j->events = NULL;
    j->event_stream = NULL;
    j->log_group = NULL;
    j->rows = false;
    j->index = j->count = 0;
    if (j->stream)
        FLOWLOG__FREE(&r->alloc, j->stream, strlen(j->stream) + 1);
    j->stream = NULL;
}

void flowlog__json_reset(flowlog_reader *r)
{
    flowlog__json_state *j = &r->frame.json;
    free_doc(r);
    if (j->acc)
        FLOWLOG__FREE(&r->alloc, j->acc, j->acc_cap);
    j->acc = NULL;
    j->acc_len = j->acc_cap = 0;
    j->depth = 0;
    j->in_string = j->escaped = j->skipping = j->reread = false;
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional, whitespace
 * skipped) into out, which has room for len * 3 / 4 + 3 bytes. */
static int base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    bool padding = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        int v = base64_value(c);
        if (v < 0 || padding)
            return FLOWLOG_E_JSON;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = n;
    return FLOWLOG_OK;
}

static int gunzip_memory(flowlog_reader *r, const uint8_t *in, size_t in_len, char **out,
                         size_t *out_len, size_t *out_cap)
{
    flowlog__gz gz;
    int rc = flowlog__gz_init(&gz, &r->alloc);
    if (rc < 0)
        return rc;
    size_t cap = in_len * 4 + 1024, len = 0, pos = 0;
    if (cap > r->opt.max_envelope + 1)
        cap = r->opt.max_envelope + 1;
    char *buf = r->alloc.alloc(r->alloc.ctx, cap);
    if (!buf) {
        flowlog__gz_end(&gz);
        return FLOWLOG_E_NOMEM;
    }
    for (;;) {
        size_t used, made;
        const char *why = "corrupt gzip data";
        rc = flowlog__gz_inflate(&gz, in + pos, in_len - pos, &used, (uint8_t *)buf + len,
                                 cap - len, &made, true, &why);
        pos += used;
        len += made;
        if (rc == FLOWLOG_END)
            break;
        if (rc < 0) {
            flowlog__error_set(&r->err, 0, -1, "awslogs.data: %s", why);
            break;
        }
        if (len == cap) {
            if (cap > r->opt.max_envelope) {
                flowlog__error_set(&r->err, 0, -1, "decompressed CloudWatch payload is larger than %zu bytes", r->opt.max_envelope);
                rc = FLOWLOG_E_LIMIT;
                break;
            }
            size_t ncap = cap * 2 > r->opt.max_envelope + 1 ? r->opt.max_envelope + 1 : cap * 2;
            char *grown = r->alloc.realloc(r->alloc.ctx, buf, cap, ncap);
            if (!grown) {
                rc = FLOWLOG_E_NOMEM;
                break;
            }
            buf = grown;
            cap = ncap;
        } else if (used == 0 && made == 0) {
            flowlog__error_static(&r->err, 0, -1, "awslogs.data: gzip stream is truncated");
            rc = FLOWLOG_E_GZIP;
            break;
        }
    }
    flowlog__gz_end(&gz);
    if (rc < 0 && rc != FLOWLOG_END) {
        FLOWLOG__FREE(&r->alloc, buf, cap);
        return rc;
    }
    *out = buf;
    *out_len = len;
    *out_cap = cap;
    return FLOWLOG_OK;
}

static int take_document(flowlog_reader *r, json_t *doc, int depth);

/* {"awslogs": {"data": "<base64 of gzip of a subscription payload>"}} */
static int take_lambda_event(flowlog_reader *r, json_t *data, int depth)
{
    if (!json_is_string(data) || depth > 0) {
        flowlog__error_static(&r->err, 0, -1, "awslogs.data must be a base64 string");
        return FLOWLOG_E_JSON;
    }
    const char *b64 = json_string_value(data);
    size_t b64_len = json_string_length(data);
    size_t cap = b64_len / 4 * 3 + 3;
    uint8_t *bin = r->alloc.alloc(r->alloc.ctx, cap);
    if (!bin)
        return FLOWLOG_E_NOMEM;
    size_t bin_len;
    int rc = base64_decode(b64, b64_len, bin, &bin_len);
    if (rc < 0) {
        flowlog__error_static(&r->err, 0, -1, "awslogs.data is not valid base64");
        FLOWLOG__FREE(&r->alloc, bin, cap);
        return rc;
    }
    char *text;
    size_t text_len, text_cap;
    if (bin_len >= 2 && bin[0] == 0x1f && bin[1] == 0x8b) {
        rc = gunzip_memory(r, bin, bin_len, &text, &text_len, &text_cap);
        FLOWLOG__FREE(&r->alloc, bin, cap);
        if (rc < 0)
            return rc;
    } else {
        text = (char *)bin;
        text_len = bin_len;
        text_cap = cap;
    }
    json_error_t jerr;
    json_t *inner = json_loadb(text, text_len, 0, &jerr);
    FLOWLOG__FREE(&r->alloc, text, text_cap);
    if (!inner) {
        flowlog__error_set(&r->err, 0, -1, "awslogs.data: JSON error: %s", jerr.text);
        return FLOWLOG_E_JSON;
    }
    rc = take_document(r, inner, depth + 1);
    json_decref(inner);
    return rc;
}

/* Make a parsed document the current one. Takes a reference when it keeps it. */
static int take_document(flowlog_reader *r, json_t *doc, int depth)
{
    flowlog__json_state *j = &r->frame.json;
    if (!json_is_object(doc)) {
        flowlog__error_static(&r->err, 0, -1, "expected a JSON object");
        return FLOWLOG_E_JSON;
    }
    json_t *awslogs = json_object_get(doc, "awslogs");
    if (awslogs)
        return take_lambda_event(r, json_object_get(awslogs, "data"), depth);
    /* the subscription payload's logEvents, the CLI's events or query results */
    static const char *const lists[] = {"logEvents", "events", "results"};
    json_t *events = NULL;
    size_t list = 0;
    for (; list < sizeof lists / sizeof lists[0] && !events; list++)
        events = json_object_get(doc, lists[list]);
    list--;
    json_t *message = json_object_get(doc, "message");
    if (events) {
        if (!json_is_array(events)) {
            flowlog__error_set(&r->err, 0, -1, "%s is not an array", lists[list]);
            return FLOWLOG_E_JSON;
        }
        json_t *type = json_object_get(doc, "messageType");
        /* CloudWatch checks a subscription with a CONTROL_MESSAGE whose events
         * are not flow-log records. */
        if (json_is_string(type) && strcmp(json_string_value(type), "CONTROL_MESSAGE") == 0)
            events = NULL;
    } else if (!json_is_string(message)) {
        flowlog__error_static(&r->err, 0, -1,
                              "JSON object has neither logEvents (a subscription payload), events (aws logs "
                              "filter-log-events or get-log-events), results (get-query-results) nor a message string");
        return FLOWLOG_E_JSON;
    }
    json_t *stream = json_object_get(doc, "logStream");
    if (json_is_string(stream)) {
        j->stream = flowlog__strndup(&r->alloc, json_string_value(stream), json_string_length(stream));
        if (!j->stream)
            return FLOWLOG_E_NOMEM;
    }
    j->doc = json_incref(doc);
    json_t *group = json_object_get(doc, "logGroup");
    j->log_group = json_is_string(group) ? json_string_value(group) : NULL;
    j->events = events;
    j->rows = events && list == 2;
    j->list = lists[list];
    j->index = 0;
    j->count = events ? json_array_size(events) : (json_object_get(doc, "logEvents") ? 0 : 1);
    return FLOWLOG_OK;
}

/* Parse the next document of the accumulated text. FLOWLOG_END when none is left. */
static int parse_next_document(flowlog_reader *r)
{
    flowlog__json_state *j = &r->frame.json;
    size_t off = 0;
    while (off < j->acc_len && (j->acc[off] == ' ' || j->acc[off] == '\n' || j->acc[off] == '\r' ||
                                j->acc[off] == '\t'))
        off++;
    if (off == j->acc_len) {
        j->acc_len = 0;
        return FLOWLOG_END;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(j->acc + off, j->acc_len - off, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!doc) {
        flowlog__error_set(&r->err, 0, -1, "JSON error: %s", jerr.text);
        j->acc_len = 0;
        return FLOWLOG_E_JSON;
    }
    size_t used = off + (size_t)jerr.position;
    if (used > j->acc_len)
        used = j->acc_len;
    memmove(j->acc, j->acc + used, j->acc_len - used);
    j->acc_len -= used;
    /* Only the line's end, or another document, may follow the document:
     * `{...},` is one bad line, not a record and an error. */
    size_t rest = 0;
    while (rest < j->acc_len && (j->acc[rest] == ' ' || j->acc[rest] == '\n' || j->acc[rest] == '\r' || j->acc[rest] == '\t'))
        rest++;
    if (rest == j->acc_len) {
        j->acc_len = 0;
    } else if (j->acc[rest] != '{') {
        flowlog__error_set(&r->err, 0, -1, "JSON document is followed by '%c'", j->acc[rest]);
        j->acc_len = 0;
        json_decref(doc);
        return FLOWLOG_E_JSON;
    }
    int rc = take_document(r, doc, 0);
    json_decref(doc);
    return rc;
}

/* Forget the document being accumulated (its error is reported once). */
static void drop_pending(flowlog__json_state *j)
{
    j->acc_len = 0;
    j->depth = 0;
    j->in_string = j->escaped = j->skipping = false;
}

/* Follow the line's brackets and strings. A status: FLOWLOG_OK, or
 * FLOWLOG_E_JSON for brackets that do not match or nest too deep (the
 * document is broken there, and nothing after it belongs to it). */
static int scan_brackets(flowlog_reader *r, const char *line, size_t len)
{
    flowlog__json_state *j = &r->frame.json;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (j->in_string) {
            if (j->escaped)
                j->escaped = false;
            else if (c == '\\')
                j->escaped = true;
            else if (c == '"')
                j->in_string = false;
        } else if (c == '"') {
            j->in_string = true;
        } else if (c == '{' || c == '[') {
            if (j->depth == FLOWLOG__JSON_MAX_DEPTH) {
                flowlog__error_set(&r->err, 0, -1, "JSON nests deeper than %d (the document began on line %llu)",
                                   FLOWLOG__JSON_MAX_DEPTH, (unsigned long long)j->line);
                return FLOWLOG_E_JSON;
            }
            j->open[j->depth++] = c;
        } else if (c == '}' || c == ']') {
            if (j->depth == 0 || j->open[j->depth - 1] != (c == '}' ? '{' : '[')) {
                flowlog__error_set(&r->err, 0, -1, "JSON '%c' does not close %s (the document began on line %llu)", c,
                                   j->depth ? (j->open[j->depth - 1] == '{' ? "'{'" : "'['") : "anything",
                                   (unsigned long long)j->line);
                return FLOWLOG_E_JSON;
            }
            j->depth--;
        }
    }
    return FLOWLOG_OK;
}

int flowlog__json_feed(flowlog_reader *r, const char *line, size_t len)
{
    flowlog__json_state *j = &r->frame.json;
    j->reread = false;
    if ((j->acc_len || j->skipping) && len && line[0] == '{') {
        /* A document starts at the line's first byte, where one inside
         * another would be indented: the one before it is broken, and only
         * it; this line is read again as the start of the next. */
        uint64_t began = j->line;
        bool skipped = j->skipping;
        drop_pending(j);
        if (skipped)
            return flowlog__json_feed(r, line, len);
        j->reread = true;
        flowlog__error_set(&r->err, 0, -1, "JSON document that began on line %llu is not complete where the next begins",
                           (unsigned long long)began);
        return FLOWLOG_E_JSON;
    }
    if (j->skipping) {
        /* the rest of a document already reported as too large */
        if (scan_brackets(r, line, len) < 0 || j->in_string || j->depth == 0)
            drop_pending(j);
        return FLOWLOG_NEED_MORE;
    }
    if (j->acc_len == 0) {
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
            i++;
        if (i == len)
            return FLOWLOG_NEED_MORE; /* whitespace between documents */
        if (line[i] != '{') {
            flowlog__error_static(&r->err, 0, -1, "expected a JSON object in a JSON input");
            return FLOWLOG_E_JSON;
        }
        j->line = r->win.line_no;
    }
    if (j->acc_len + len + 1 > r->opt.max_envelope) {
        flowlog__error_set(&r->err, 0, -1, "JSON document is larger than %zu bytes", r->opt.max_envelope);
        int rc = scan_brackets(r, line, len);
        bool open = rc == FLOWLOG_OK && !j->in_string && j->depth > 0;
        if (!open)
            drop_pending(j);
        FLOWLOG__FREE(&r->alloc, j->acc, j->acc_cap);
        j->acc = NULL;
        j->acc_len = j->acc_cap = 0;
        /* what is left of it (its brackets still followed) is passed over
         * without another error */
        j->skipping = open;
        return FLOWLOG_E_LIMIT;
    }
    if (j->acc_len + len + 1 > j->acc_cap) {
        size_t cap = j->acc_cap ? j->acc_cap : 4096;
        while (cap < j->acc_len + len + 1)
            cap *= 2;
        char *grown = r->alloc.realloc(r->alloc.ctx, j->acc, j->acc_cap, cap);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        j->acc = grown;
        j->acc_cap = cap;
    }
    int rc = scan_brackets(r, line, len);
    if (rc < 0) {
        drop_pending(j);
        return rc;
    }
    if (j->in_string) {
        /* JSON cannot hold a raw line break in a string: this document is
         * broken here, and the next line starts afresh rather than being
         * swallowed into it. */
        flowlog__error_set(&r->err, 0, -1, "JSON string is not closed at the end of the line (the document began on line %llu)",
                           (unsigned long long)j->line);
        drop_pending(j);
        return FLOWLOG_E_JSON;
    }
    memcpy(j->acc + j->acc_len, line, len);
    j->acc_len += len;
    j->acc[j->acc_len++] = '\n';
    if (j->depth > 0)
        return FLOWLOG_NEED_MORE;
    rc = parse_next_document(r);
    if (rc == FLOWLOG_END)
        return FLOWLOG_NEED_MORE;
    return rc;
}

/* The value of one field of a get-query-results row, or NULL. */
static json_t *row_field(json_t *row, const char *name)
{
    for (size_t k = 0; k < json_array_size(row); k++) {
        json_t *cell = json_array_get(row, k), *field = json_object_get(cell, "field");
        if (json_is_string(field) && strcmp(json_string_value(field), name) == 0)
            return json_object_get(cell, "value");
    }
    return NULL;
}

int flowlog__json_next(flowlog_reader *r, const char **msg, size_t *len, size_t *index)
{
    flowlog__json_state *j = &r->frame.json;
    while (j->doc) {
        if (j->index < j->count) {
            size_t i = j->index++;
            *index = i;
            json_t *event = j->events ? json_array_get(j->events, i) : j->doc, *m, *stream;
            if (j->rows) {
                m = row_field(event, "@message");
                stream = row_field(event, "@logStream");
                json_t *group = row_field(event, "@log");
                j->log_group = json_is_string(group) ? json_string_value(group) : NULL;
            } else {
                m = json_object_get(event, "message");
                stream = json_object_get(event, "logStreamName");
            }
            j->event_stream = json_is_string(stream) ? json_string_value(stream) : NULL;
            if (!json_is_string(m)) {
                if (j->rows)
                    flowlog__error_set(&r->err, 0, -1, "results[%zu]: the row has no @message (query with `fields @message`)", i);
                else if (j->events)
                    flowlog__error_set(&r->err, 0, -1, "%s[%zu]: the event has no message string", j->list, i);
                else
                    flowlog__error_static(&r->err, 0, -1, "log event has no message string");
                return FLOWLOG_E_JSON;
            }
            *msg = json_string_value(m);
            *len = json_string_length(m);
            return FLOWLOG_OK;
        }
        free_doc(r);
        int rc = parse_next_document(r);
        if (rc == FLOWLOG_END)
            return FLOWLOG_END;
        if (rc < 0)
            return rc;
    }
    return FLOWLOG_END;
}

static size_t csv_field(const char *s, size_t len, size_t i, size_t *start, size_t *flen,
                        bool *quoted)
{
    *quoted = i < len && s[i] == '"';
    if (!*quoted) {
        *start = i;
        while (i < len && s[i] != ',')
            i++;
        *flen = i - *start;
        return i;
    }
    *start = ++i;
    while (i < len) {
        if (s[i] == '"') {
            if (i + 1 < len && s[i + 1] == '"') {
                i += 2;
                continue;
            }
            break;
        }
        i++;
    }
    *flen = i - *start;
    return i < len ? i + 1 : SIZE_MAX;
}

bool flowlog__is_csv_header(const char *line, size_t len)
{
    len = flowlog__chomp(line, len);
    size_t i, start, flen;
    bool quoted;
    i = csv_field(line, len, 0, &start, &flen, &quoted);
    if (i == SIZE_MAX || i >= len || line[i] != ',')
        return false;
    if (flen && line[start] == '@') {
        start++;
        flen--;
    }
    if (!flowlog__name_equal(line + start, flen, "timestamp", 9))
        return false;
    i = csv_field(line, len, i + 1, &start, &flen, &quoted);
    if (i == SIZE_MAX || i != len)
        return false;
    if (flen && line[start] == '@') {
        start++;
        flen--;
    }
    return flowlog__name_equal(line + start, flen, "message", 7);
}

int flowlog__csv_message(flowlog_reader *r, const char *line, size_t len, const char **msg,
                         size_t *msg_len)
{
    len = flowlog__chomp(line, len);
    size_t start, flen;
    bool quoted;
    size_t i = csv_field(line, len, 0, &start, &flen, &quoted);
    if (i == SIZE_MAX || i >= len || line[i] != ',') {
        flowlog__error_static(&r->err, 0, -1, "CSV row is not timestamp,message");
        return FLOWLOG_E_INVALID;
    }
    i = csv_field(line, len, i + 1, &start, &flen, &quoted);
    if (i == SIZE_MAX || (i != len && !quoted) || (quoted && i != len)) {
        flowlog__error_static(&r->err, 0, -1, "CSV message field is not closed or has extra columns");
        return FLOWLOG_E_INVALID;
    }
    if (!quoted || !memchr(line + start, '"', flen)) {
        *msg = line + start;
        *msg_len = flen;
        return FLOWLOG_OK;
    }
    if (flen > r->frame.scratch_cap) {
        char *grown = r->alloc.realloc(r->alloc.ctx, r->frame.scratch, r->frame.scratch_cap, flen);
        if (!grown)
            return FLOWLOG_E_NOMEM;
        r->frame.scratch = grown;
        r->frame.scratch_cap = flen;
    }
    size_t n = 0;
    for (size_t k = start; k < start + flen; k++) {
        r->frame.scratch[n++] = line[k];
        if (line[k] == '"')
            k++; /* "" stands for one quote */
    }
    *msg = r->frame.scratch;
    *msg_len = n;
    return FLOWLOG_OK;
}
