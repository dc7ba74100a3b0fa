#include "query_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Expression evaluation. Values point into the record, the compiled query or
 * the per-record scratch buffer; nothing is allocated. */

static void set_null(flowlog_value *v)
{
    v->type = FLOWLOG_VALUE_NULL;
    v->i = 0;
    v->f = 0;
    v->s = NULL;
    v->len = 0;
}

static void set_int(flowlog_value *v, int64_t i)
{
    set_null(v);
    v->type = FLOWLOG_VALUE_INT;
    v->i = i;
}

static void set_float(flowlog_value *v, double f)
{
    set_null(v);
    v->type = FLOWLOG_VALUE_FLOAT;
    v->f = f;
}

static void set_str(flowlog_value *v, const char *s, size_t len)
{
    set_null(v);
    v->type = FLOWLOG_VALUE_STRING;
    v->s = s;
    v->len = len;
}

static char *scratch(flowlog_query *q, size_t n)
{
    if (n > QUERY_SCRATCH - q->scratch_used) {
        q->scratch_full = true;
        return NULL;
    }
    char *p = q->scratch + q->scratch_used;
    q->scratch_used += n;
    return p;
}

bool flowlog__value_truthy(const flowlog_value *v)
{
    switch (v->type) {
    case FLOWLOG_VALUE_INT:
    case FLOWLOG_VALUE_TIME:
        return v->i != 0;
    case FLOWLOG_VALUE_FLOAT:
        return v->f != 0;
    case FLOWLOG_VALUE_STRING:
        return v->len != 0;
    default:
        return false;
    }
}

static bool is_number(const flowlog_value *v)
{
    return v->type == FLOWLOG_VALUE_INT || v->type == FLOWLOG_VALUE_FLOAT || v->type == FLOWLOG_VALUE_TIME;
}

/* Text that is wholly a number becomes one. */
static bool parse_number(const char *s, size_t len, flowlog_value *out)
{
    bool neg = len && s[0] == '-';
    uint64_t u;
    if (flowlog__parse_u64(s + neg, len - neg, &u) == FLOWLOG_OK && u <= (uint64_t)INT64_MAX) {
        set_int(out, neg ? -(int64_t)u : (int64_t)u);
        return true;
    }
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '+' || s[i] == 'e' || s[i] == 'E'))
            return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + len)
        return false;
    set_float(out, d);
    return true;
}

static bool to_number(const flowlog_value *v, flowlog_value *out)
{
    if (is_number(v)) {
        *out = *v;
        if (out->type == FLOWLOG_VALUE_TIME)
            out->type = FLOWLOG_VALUE_INT;
        return true;
    }
    return v->type == FLOWLOG_VALUE_STRING && parse_number(v->s, v->len, out);
}

static double as_double(const flowlog_value *v)
{
    return v->type == FLOWLOG_VALUE_FLOAT ? v->f : (double)v->i;
}

/* The text of a value: strings as they are, numbers formatted into scratch. */
static bool text_of(flowlog_query *q, const flowlog_value *v, const char **s, size_t *len)
{
    char buf[40];
    int n;
    switch (v->type) {
    case FLOWLOG_VALUE_STRING:
        *s = v->s;
        *len = v->len;
        return true;
    case FLOWLOG_VALUE_INT:
        n = snprintf(buf, sizeof buf, "%lld", (long long)v->i);
        break;
    case FLOWLOG_VALUE_FLOAT:
        n = snprintf(buf, sizeof buf, "%.17g", v->f);
        break;
    case FLOWLOG_VALUE_TIME: {
        time_t t = (time_t)v->i;
        struct tm tm;
        gmtime_r(&t, &tm);
        n = (int)strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S.000", &tm);
        break;
    }
    default:
        return false;
    }
    char *out = scratch(q, (size_t)n);
    if (!out)
        return false;
    memcpy(out, buf, (size_t)n);
    *s = out;
    *len = (size_t)n;
    return true;
}

static int compare_text(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : an < bn ? -1 : an > bn;
}

/* Comparison for filters: false when either side is null. */
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, size_t count, int64_t *out)
{
    if (at + count > n)
        return false;
    int64_t v = 0;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* A date as Logs Insights shows and people write it, in milliseconds:
 * 2024-01-02, 2024-01-02 12:00, 2024-01-02T12:00:00.250Z, with an offset
 * (+05:30) or none (UTC). */
static bool date_ms(const char *s, size_t n, int64_t *ms)
{
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
    if (!digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &mo) || s[7] != '-' ||
        !digits(s, n, 8, 2, &d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    size_t i = 10;
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {
        if (!digits(s, n, i + 1, 2, &h) || i + 3 >= n || s[i + 3] != ':' || !digits(s, n, i + 4, 2, &mi) || h > 23 ||
            mi > 59)
            return false;
        i += 6;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &sec) || sec > 60)
                return false;
            i += 3;
            if (i < n && s[i] == '.') {
                size_t k = i + 1;
                int64_t scale = 100;
                while (k < n && s[k] >= '0' && s[k] <= '9') {
                    frac += (s[k] - '0') * scale;
                    scale /= 10;
                    k++;
                }
                if (k == i + 1)
                    return false;
                i = k;
            }
        }
        if (i < n && s[i] == 'Z') {
            i++;
        } else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int64_t oh, om;
            if (!digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' || !digits(s, n, i + 4, 2, &om))
                return false;
            off = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
            i += 6;
        }
    }
    if (i != n)
        return false;
    *ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * 1000) + frac;
    return true;
}

/* A time (seconds) against what people compare @timestamp with: a number
 * of milliseconds, as Logs Insights' @timestamp is (anything from 10^11,
 * the year 1973 in milliseconds), or a date. 2 when neither. */
static int compare_time(const flowlog_value *t, const flowlog_value *other)
{
    int64_t ms;
    if (other->type == FLOWLOG_VALUE_STRING) {
        if (!date_ms(other->s, other->len, &ms))
            return 2;
    } else if (other->type == FLOWLOG_VALUE_INT && (other->i >= 100000000000 || other->i <= -100000000000)) {
        ms = other->i;
    } else if (other->type == FLOWLOG_VALUE_FLOAT && fabs(other->f) >= 1e11 && fabs(other->f) < 9e18) {
        ms = (int64_t)floor(other->f);
    } else {
        return 2;
    }
    if (t->i > INT64_MAX / 1000 || t->i < INT64_MIN / 1000)
        return 2;
    int64_t tm = t->i * 1000;
    return tm < ms ? -1 : tm > ms;
}

static bool compare(flowlog_query *q, int op, const flowlog_value *a, const flowlog_value *b)
{
    if (a->type == FLOWLOG_VALUE_NULL || b->type == FLOWLOG_VALUE_NULL)
        return false;
    int c = 2;
    flowlog_value x, y;
    if ((a->type == FLOWLOG_VALUE_TIME) != (b->type == FLOWLOG_VALUE_TIME)) {
        c = a->type == FLOWLOG_VALUE_TIME ? compare_time(a, b) : compare_time(b, a);
        if (c != 2 && b->type == FLOWLOG_VALUE_TIME)
            c = -c;
    }
    if (c != 2) {
        /* decided in milliseconds */
    } else if (a->type == FLOWLOG_VALUE_STRING && b->type == FLOWLOG_VALUE_STRING) {
        c = compare_text(a->s, a->len, b->s, b->len);
    } else if (to_number(a, &x) && to_number(b, &y)) {
        if (x.type == FLOWLOG_VALUE_INT && y.type == FLOWLOG_VALUE_INT)
            c = x.i < y.i ? -1 : x.i > y.i;
        else
            c = as_double(&x) < as_double(&y) ? -1 : as_double(&x) > as_double(&y);
    } else {
        const char *as, *bs;
        size_t al, bl;
        if (!text_of(q, a, &as, &al) || !text_of(q, b, &bs, &bl))
            return false;
        c = compare_text(as, al, bs, bl);
    }
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

bool flowlog__value_equal(const flowlog_value *a, const flowlog_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case FLOWLOG_VALUE_NULL:
        return true;
    case FLOWLOG_VALUE_FLOAT:
        return a->f == b->f;
    case FLOWLOG_VALUE_STRING:
        return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
    default:
        return a->i == b->i;
    }
}

uint64_t flowlog__value_hash(const flowlog_value *v, uint64_t h)
{
    h ^= (uint64_t)v->type * 0x9e3779b97f4a7c15u;
    switch (v->type) {
    case FLOWLOG_VALUE_STRING:
        for (size_t i = 0; i < v->len; i++)
            h = (h ^ (unsigned char)v->s[i]) * 0x100000001b3u;
        break;
    case FLOWLOG_VALUE_FLOAT: {
        uint64_t bits;
        double f = v->f == 0 ? 0 : v->f; /* -0 and 0 are one key */
        memcpy(&bits, &f, sizeof bits);
        h = (h ^ bits) * 0xff51afd7ed558ccdu;
        break;
    }
    case FLOWLOG_VALUE_NULL:
        break;
    default:
        h = (h ^ (uint64_t)v->i) * 0xff51afd7ed558ccdu;
        break;
    }
    return h ^ (h >> 29);
}

/* Logs Insights' natural order: runs of digits compare by length, then by
 * value; everything else by byte. */
static int natural_compare(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    while (i < an && j < bn) {
        bool da = a[i] >= '0' && a[i] <= '9', db = b[j] >= '0' && b[j] <= '9';
        if (da && db) {
            size_t ie = i, je = j;
            while (ie < an && a[ie] >= '0' && a[ie] <= '9')
                ie++;
            while (je < bn && b[je] >= '0' && b[je] <= '9')
                je++;
            if (ie - i != je - j)
                return ie - i < je - j ? -1 : 1;
            int c = memcmp(a + i, b + j, ie - i);
            if (c)
                return c;
            i = ie;
            j = je;
            continue;
        }
        if (a[i] != b[j])
            return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
        i++;
        j++;
    }
    return (an - i) == (bn - j) ? 0 : (an - i) < (bn - j) ? -1 : 1;
}

int flowlog__value_order(const flowlog_value *a, const flowlog_value *b)
{
    int ra = a->type == FLOWLOG_VALUE_NULL ? 0 : a->type == FLOWLOG_VALUE_STRING ? 1 : 2;
    int rb = b->type == FLOWLOG_VALUE_NULL ? 0 : b->type == FLOWLOG_VALUE_STRING ? 1 : 2;
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 0)
        return 0;
    if (ra == 1)
        return natural_compare(a->s, a->len, b->s, b->len);
    if (a->type != FLOWLOG_VALUE_FLOAT && b->type != FLOWLOG_VALUE_FLOAT)
        return a->i < b->i ? -1 : a->i > b->i;
    double x = as_double(a), y = as_double(b);
    return x < y ? -1 : x > y;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of the group's values: the smallest value
 * at or below which p percent of them lie. */
static void pct_value(const qacc *acc, double p, flowlog_value *out)
{
    qkept *k = acc->kept;
    set_null(out);
    if (!k || !k->nvals)
        return;
    if (!k->sorted) { /* once, when the first row reads it */
        qsort(k->vals, k->nvals, sizeof *k->vals, compare_doubles);
        k->sorted = true;
    }
    size_t rank = (size_t)ceil(p / 100.0 * (double)k->nvals);
    double v = k->vals[rank ? rank - 1 : 0];
    if (v == floor(v) && fabs(v) < 9.2e18)
        set_int(out, (int64_t)v);
    else
        set_float(out, v);
}

/* The value an aggregate slot holds at the end; param is pct()'s percentile. */
static void set_time(flowlog_value *v, int64_t t);

static void agg_value(qagg kind, const qacc *acc, double param, flowlog_value *out)
{
    switch (kind) {
    case AGG_COUNT_ALL:
    case AGG_COUNT:
    case AGG_COUNT_DISTINCT:
        set_int(out, (int64_t)acc->count);
        return;
    case AGG_SUM:
        if (acc->floats)
            set_float(out, acc->fsum + (double)acc->isum);
        else
            set_int(out, acc->isum);
        return;
    case AGG_AVG:
        if (acc->count)
            set_float(out, (acc->fsum + (double)acc->isum) / (double)acc->count);
        else
            set_null(out);
        return;
    case AGG_STDDEV:
        /* the sample standard deviation, as Athena's stddev() */
        if (acc->count > 1)
            set_float(out, sqrt(acc->m2 / (double)(acc->count - 1)));
        else if (acc->count == 1)
            set_float(out, 0);
        else
            set_null(out);
        return;
    case AGG_PCT:
        pct_value(acc, param, out);
        return;
    case AGG_EARLIEST:
    case AGG_LATEST:
    case AGG_SORTS_FIRST:
    case AGG_SORTS_LAST:
        if (acc->kept && acc->count)
            *out = acc->kept->v;
        else
            set_null(out);
        return;
    default: {
        double v = kind == AGG_MIN ? acc->min : acc->max;
        if (!acc->count)
            set_null(out);
        else if (acc->times) /* min(@timestamp) is a time */
            set_time(out, (int64_t)v);
        else if (!acc->floats && v >= -9.2e18 && v <= 9.2e18)
            set_int(out, (int64_t)v);
        else
            set_float(out, v);
        return;
    }
    }
}

/* A field's text as the record holds it; false when absent or '-'. */
static inline bool field_text(const flowlog_record *rec, uint32_t field, flowlog_span *out)
{
    int c = flowlog__schema_col(rec->schema, field);
    if (c < 0 || (size_t)c >= rec->n)
        return false;
    *out = *flowlog__record_span(rec, (size_t)c);
    return !(out->len == 1 && out->ptr[0] == '-');
}

/* A value the record gave that does not convert: the record is an error
 * (never a null that changes an answer); the first one is kept. */
static void bad_value(flowlog_query *q, int rc)
{
    if (q->bad)
        return;
    q->bad = rc;
    flowlog__error_set(&q->err, 0, -1, "%s", flowlog_record_error_message(q->rec));
}

static void eval_field(flowlog_query *q, const qexpr *e, flowlog_value *out)
{
    set_null(out);
    if (!q->rec)
        return;
    int rc;
    if (e->ftype == FLOWLOG_TYPE_UINT || e->ftype == FLOWLOG_TYPE_TIME) {
        uint64_t u;
        rc = flowlog__record_u64(q->rec, e->field, &u);
        if (rc == FLOWLOG_OK) {
            if (u <= (uint64_t)INT64_MAX)
                set_int(out, (int64_t)u);
            else
                set_float(out, (double)u);
        } else if (rc < 0) {
            bad_value(q, rc);
        }
        return;
    }
    flowlog_span sp;
    if (flowlog_record_get_str(q->rec, e->field, &sp) != FLOWLOG_OK)
        return;
    /* Typed text is checked as it is read: an action of REJECTED or an
     * address of 10.0.0.999 is an error, not a string that matches nothing. */
    /* A field read twice for one record (a filter, then an aggregate) is checked once. */
    uint64_t bit = e->field < 64 ? (uint64_t)1 << e->field : 0;
    if (e->ftype == FLOWLOG_TYPE_ENUM && !(q->checked & bit)) {
        int v;
        rc = flowlog_record_get_enum(q->rec, e->field, &v);
    } else if (e->ftype == FLOWLOG_TYPE_ADDR && !(q->checked & bit)) {
        flowlog_addr a;
        rc = flowlog__record_addr(q->rec, e->field, &a);
        if (rc == FLOWLOG_OK && a.family == FLOWLOG_AF_INET) {
            q->checked_ipv4_text = sp.ptr;
            q->checked_ipv4_len = sp.len;
            memcpy(&q->checked_ipv4, a.bytes, 4);
        }
    } else {
        rc = FLOWLOG_OK;
    }
    if (rc < 0) {
        bad_value(q, rc);
        return;
    }
    q->checked |= bit;
    set_str(out, sp.ptr, sp.len);
}

/* The first place t (m bytes, m > 0) occurs in s (n bytes), or NULL. */
static const char *find_bytes(const char *s, size_t n, const char *t, size_t m)
{
    for (const char *end = s + n; m <= (size_t)(end - s);) {
        const char *at = memchr(s, t[0], (size_t)(end - s) - m + 1);
        if (!at)
            return NULL;
        if (memcmp(at, t, m) == 0)
            return at;
        s = at + 1;
    }
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A time value (seconds) from a number of seconds, if it is one. */
static bool time_of(const flowlog_value *v, int64_t *t)
{
    flowlog_value x;
    if (!to_number(v, &x))
        return false;
    *t = x.type == FLOWLOG_VALUE_INT ? x.i : (int64_t)floor(x.f);
    return true;
}

static void set_time(flowlog_value *v, int64_t t)
{
    set_int(v, t);
    v->type = FLOWLOG_VALUE_TIME;
}

/* The string functions of Logs Insights; null in, null out. */
static void eval_text_call(flowlog_query *q, const qexpr *e, const flowlog_value *row, const qacc *accs,
                           flowlog_value *out)
{
    flowlog_value v, w;
    const char *s, *t;
    size_t n, m;
    flowlog__query_eval(q, e->args[0], row, accs, &v);
    if (!text_of(q, &v, &s, &n))
        return;
    switch ((qfn)e->op) {
    case FN_STRCONTAINS:
        flowlog__query_eval(q, e->args[1], row, accs, &w);
        if (text_of(q, &w, &t, &m))
            set_int(out, m == 0 || (m <= n && find_bytes(s, n, t, m) != NULL));
        return;
    case FN_SUBSTR: {
        /* substr(s, start[, length]): start counts from 0; past the end is "" */
        flowlog_value a, b;
        flowlog__query_eval(q, e->args[1], row, accs, &w);
        if (!to_number(&w, &a))
            return;
        int64_t start = a.type == FLOWLOG_VALUE_INT ? a.i : (int64_t)a.f, len = (int64_t)n;
        if (e->nargs == 3) {
            flowlog_value x;
            flowlog__query_eval(q, e->args[2], row, accs, &x);
            if (!to_number(&x, &b))
                return;
            len = b.type == FLOWLOG_VALUE_INT ? b.i : (int64_t)b.f;
        }
        if (start < 0)
            start = 0;
        if ((uint64_t)start > n)
            start = (int64_t)n;
        if (len < 0)
            len = 0;
        if ((uint64_t)len > n - (size_t)start)
            len = (int64_t)(n - (size_t)start);
        set_str(out, s + start, (size_t)len);
        return;
    }
    case FN_REPLACE: {
        flowlog_value x;
        const char *r;
        size_t rn;
        flowlog__query_eval(q, e->args[1], row, accs, &w);
        flowlog__query_eval(q, e->args[2], row, accs, &x);
        if (!text_of(q, &w, &t, &m) || !text_of(q, &x, &r, &rn))
            return;
        if (m == 0) {
            set_str(out, s, n);
            return;
        }
        size_t count = 0;
        for (const char *at = s; (at = find_bytes(at, n - (size_t)(at - s), t, m)) != NULL; at += m)
            count++;
        size_t total = n - count * m + count * rn;
        char *c = scratch(q, total ? total : 1);
        if (!c)
            return;
        size_t o = 0;
        for (const char *at = s, *hit; at < s + n; at = hit + m) {
            hit = find_bytes(at, n - (size_t)(at - s), t, m);
            size_t keep = hit ? (size_t)(hit - at) : n - (size_t)(at - s);
            memmove(c + o, at, keep);
            o += keep;
            if (!hit)
                break;
            memmove(c + o, r, rn);
            o += rn;
        }
        set_str(out, c, total);
        return;
    }
    case FN_TRIM:
    case FN_LTRIM:
    case FN_RTRIM: {
        /* whitespace, or the characters of the second argument */
        const char *chars = NULL;
        size_t nchars = 0;
        if (e->nargs == 2) {
            flowlog__query_eval(q, e->args[1], row, accs, &w);
            if (!text_of(q, &w, &chars, &nchars))
                return;
        }
        size_t lo = 0, hi = n;
        bool left = e->op != FN_RTRIM, right = e->op != FN_LTRIM;
        while (left && lo < hi && (chars ? memchr(chars, s[lo], nchars) != NULL : is_space(s[lo])))
            lo++;
        while (right && hi > lo && (chars ? memchr(chars, s[hi - 1], nchars) != NULL : is_space(s[hi - 1])))
            hi--;
        set_str(out, s + lo, hi - lo);
        return;
    }
    case FN_ISVALIDIP:
    case FN_ISVALIDIP4:
    case FN_ISVALIDIP6: {
        flowlog_addr a;
        bool ok = flowlog_addr_parse(s, n, &a) == FLOWLOG_OK;
        set_int(out, ok && (e->op == FN_ISVALIDIP || (e->op == FN_ISVALIDIP4) == (a.family == FLOWLOG_AF_INET)));
        return;
    }
    default:
        return;
    }
}

/* The functions that take any values: null handling, extremes, numbers, times. */
static void eval_value_call(flowlog_query *q, const qexpr *e, const flowlog_value *row, const qacc *accs,
                            flowlog_value *out)
{
    flowlog_value v, x;
    switch ((qfn)e->op) {
    case FN_COALESCE:
        for (int i = 0; i < e->nargs; i++) {
            flowlog__query_eval(q, e->args[i], row, accs, &v);
            if (v.type != FLOWLOG_VALUE_NULL) {
                *out = v;
                return;
            }
        }
        return;
    case FN_ISEMPTY:
    case FN_ISBLANK: {
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        bool empty = v.type == FLOWLOG_VALUE_NULL || (v.type == FLOWLOG_VALUE_STRING && v.len == 0);
        if (!empty && e->op == FN_ISBLANK && v.type == FLOWLOG_VALUE_STRING) {
            empty = true;
            for (size_t i = 0; i < v.len && empty; i++)
                empty = is_space(v.s[i]);
        }
        set_int(out, empty);
        return;
    }
    case FN_GREATEST:
    case FN_LEAST:
        /* nulls are passed over; the order is sort's */
        for (int i = 0; i < e->nargs; i++) {
            flowlog__query_eval(q, e->args[i], row, accs, &v);
            if (v.type == FLOWLOG_VALUE_NULL)
                continue;
            int c = out->type == FLOWLOG_VALUE_NULL ? 0 : flowlog__value_order(&v, out);
            if (out->type == FLOWLOG_VALUE_NULL || (e->op == FN_GREATEST ? c > 0 : c < 0))
                *out = v;
        }
        return;
    case FN_LOG:
    case FN_SQRT: {
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (!to_number(&v, &x))
            return;
        double d = as_double(&x);
        if ((e->op == FN_LOG && d > 0) || (e->op == FN_SQRT && d >= 0))
            set_float(out, e->op == FN_LOG ? log(d) : sqrt(d));
        return;
    }
    case FN_FROMMILLIS: {
        int64_t ms;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (time_of(&v, &ms))
            set_time(out, ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        return;
    }
    case FN_TOMILLIS: {
        int64_t t;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (time_of(&v, &t) && t <= INT64_MAX / 1000 && t >= INT64_MIN / 1000)
            set_int(out, t * 1000);
        return;
    }
    case FN_DATEFLOOR:
    case FN_DATECEIL: {
        int64_t t;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (!time_of(&v, &t))
            return;
        int64_t r = t % e->period;
        if (r < 0)
            r += e->period;
        int64_t floor_t = t - r;
        if (e->op == FN_DATECEIL && r && floor_t > INT64_MAX - e->period)
            return;
        set_time(out, e->op == FN_DATECEIL && r ? floor_t + e->period : floor_t);
        return;
    }
    default:
        return;
    }
}

static void eval_call(flowlog_query *q, const qexpr *e, const flowlog_value *row, const qacc *accs,
                      flowlog_value *out)
{
    flowlog_value v;
    set_null(out);
    switch ((qfn)e->op) {
    case FN_IN_SUBNET4:
    case FN_IN_SUBNET6:
    case FN_IN_SUBNET: {
        flowlog_addr addr;
        const qexpr *arg = e->args[0];
        int rc;
        if (arg->kind == Q_FIELD && arg->ftype == FLOWLOG_TYPE_ADDR) {
            if (!q->rec)
                return;
            rc = flowlog__record_addr(q->rec, arg->field, &addr);
            if (rc < 0) {
                bad_value(q, rc);
                return;
            }
        } else {
            flowlog__query_eval(q, arg, row, accs, &v);
            const char *s;
            size_t n;
            rc = v.type == FLOWLOG_VALUE_STRING && text_of(q, &v, &s, &n) ? flowlog_addr_parse(s, n, &addr)
                                                                           : FLOWLOG_E_MALFORMED;
        }
        if (rc == FLOWLOG_OK)
            set_int(out, flowlog_addr_in_cidr(&addr, &e->net, e->prefix));
        else if (rc != FLOWLOG_ABSENT)
            set_int(out, 0);
        return;
    }
    case FN_ISPRESENT:
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        set_int(out, v.type != FLOWLOG_VALUE_NULL);
        return;
    case FN_BIN: {
        uint64_t t;
        int rc = q->rec ? flowlog_record_get_u64(q->rec, FLOWLOG_FIELD_START, &t) : FLOWLOG_ABSENT;
        if (rc == FLOWLOG_OK && t <= (uint64_t)INT64_MAX) {
            set_int(out, (int64_t)t - (int64_t)t % e->period);
            out->type = FLOWLOG_VALUE_TIME;
        } else if (rc < 0) {
            bad_value(q, rc);
        }
        return;
    }
    case FN_STRLEN: {
        const char *s;
        size_t n;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (text_of(q, &v, &s, &n))
            set_int(out, (int64_t)n);
        return;
    }
    case FN_TOUPPER:
    case FN_TOLOWER: {
        const char *s;
        size_t n;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (!text_of(q, &v, &s, &n))
            return;
        char *c = scratch(q, n);
        if (!c)
            return;
        for (size_t i = 0; i < n; i++) {
            char ch = s[i];
            if (e->op == FN_TOUPPER && ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 32);
            else if (e->op == FN_TOLOWER && ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + 32);
            c[i] = ch;
        }
        set_str(out, c, n);
        return;
    }
    case FN_CONCAT: {
        /* The pieces may themselves live in scratch: gather, then copy. */
        const char *parts[16];
        size_t lens[16], total = 0;
        int n = 0;
        for (int i = 0; i < e->nargs; i++) {
            flowlog__query_eval(q, e->args[i], row, accs, &v);
            if (text_of(q, &v, &parts[n], &lens[n]))
                total += lens[n++];
        }
        char *c = scratch(q, total ? total : 1);
        if (!c)
            return;
        size_t at = 0;
        for (int i = 0; i < n; i++) {
            memmove(c + at, parts[i], lens[i]);
            at += lens[i];
        }
        set_str(out, c, total);
        return;
    }
    case FN_ABS:
    case FN_FLOOR:
    case FN_CEIL: {
        flowlog_value x;
        flowlog__query_eval(q, e->args[0], row, accs, &v);
        if (!to_number(&v, &x))
            return;
        if (x.type == FLOWLOG_VALUE_INT && !(e->op == FN_ABS && x.i == INT64_MIN)) {
            set_int(out, e->op == FN_ABS && x.i < 0 ? -x.i : x.i);
            return;
        }
        if (x.type == FLOWLOG_VALUE_INT) { /* |INT64_MIN| does not fit: as every overflow, in floating point */
            set_float(out, -(double)x.i);
            return;
        }
        set_float(out, e->op == FN_ABS ? fabs(x.f) : e->op == FN_FLOOR ? floor(x.f) : ceil(x.f));
        return;
    }
    case FN_STRCONTAINS:
    case FN_SUBSTR:
    case FN_REPLACE:
    case FN_TRIM:
    case FN_LTRIM:
    case FN_RTRIM:
    case FN_ISVALIDIP:
    case FN_ISVALIDIP4:
    case FN_ISVALIDIP6:
        eval_text_call(q, e, row, accs, out);
        return;
    default:
        eval_value_call(q, e, row, accs, out);
        return;
    }
}

/* A time in arithmetic is what Logs Insights' @timestamp is: milliseconds
 * (`@timestamp - 60000` is a minute before; fromMillis() makes it a time
 * again). False when that does not fit. */
static bool time_as_millis(const flowlog_value *v, flowlog_value *ms)
{
    if (v->i > INT64_MAX / 1000 || v->i < INT64_MIN / 1000)
        return false;
    set_int(ms, v->i * 1000);
    return true;
}

static void arith(int op, const flowlog_value *a, const flowlog_value *b, flowlog_value *out)
{
    flowlog_value x, y;
    set_null(out);
    if (a->type == FLOWLOG_VALUE_TIME ? !time_as_millis(a, &x) : !to_number(a, &x))
        return;
    if (b->type == FLOWLOG_VALUE_TIME ? !time_as_millis(b, &y) : !to_number(b, &y))
        return;
    if (x.type == FLOWLOG_VALUE_INT && y.type == FLOWLOG_VALUE_INT && op != OP_DIV) {
        int64_t r;
        switch (op) {
        case OP_ADD:
            if ((y.i > 0 && x.i > INT64_MAX - y.i) || (y.i < 0 && x.i < INT64_MIN - y.i))
                break;
            set_int(out, x.i + y.i);
            return;
        case OP_SUB:
            if ((y.i < 0 && x.i > INT64_MAX + y.i) || (y.i > 0 && x.i < INT64_MIN + y.i))
                break;
            set_int(out, x.i - y.i);
            return;
        case OP_MUL:
            if (x.i != 0 && y.i != 0 && (x.i == INT64_MIN || y.i == INT64_MIN ||
                                         (x.i > 0 ? x.i : -x.i) > INT64_MAX / (y.i > 0 ? y.i : -y.i)))
                break;
            set_int(out, x.i * y.i);
            return;
        default: /* OP_MOD */
            if (y.i == 0 || (x.i == INT64_MIN && y.i == -1))
                return;
            r = x.i % y.i;
            set_int(out, r);
            return;
        }
    }
    double p = as_double(&x), r2 = as_double(&y);
    switch (op) {
    case OP_ADD: set_float(out, p + r2); return;
    case OP_SUB: set_float(out, p - r2); return;
    case OP_MUL: set_float(out, p * r2); return;
    case OP_DIV:
        if (r2 != 0)
            set_float(out, p / r2);
        return;
    default:
        if (r2 != 0)
            set_float(out, fmod(p, r2));
        return;
    }
}

/* Run a parse command on the record being evaluated, once per record. */
static void run_parse(flowlog_query *q, qparse *pp, const flowlog_value *row, const qacc *accs)
{
    flowlog_value v;
    const char *s;
    size_t n;
    pp->done_for = q->record_seq;
    pp->matched = false;
    flowlog__query_eval(q, pp->source, row, accs, &v);
    if (!text_of(q, &v, &s, &n))
        return;
    if (pp->re) {
        int m = flowlog__regex_match(pp->re, s, n);
        if (m < 0) {
            if (!q->bad) {
                q->bad = m;
                flowlog__error_static(&q->err, 0, -1, "a parse /regex/ needs more work on this line than one may take");
            }
            return;
        }
        if (m == 0)
            return;
        for (int i = 0; i < pp->ncaptures; i++) {
            size_t at, len;
            if (flowlog__regex_group(pp->re, pp->group[i], &at, &len) == 0) {
                pp->cap[i] = s + at;
                pp->cap_len[i] = len;
            } else {
                pp->cap[i] = NULL;
            }
        }
        pp->matched = true;
        return;
    }
    /* the glob: the first literal anywhere, then each star up to the next
     * literal (to the end after the last star when nothing follows it) */
    const char *at = pp->lit_len[0] ? find_bytes(s, n, pp->lit[0], pp->lit_len[0]) : s;
    if (!at)
        return;
    const char *pos = at + pp->lit_len[0], *end = s + n;
    for (int i = 0; i < pp->ncaptures; i++) {
        size_t ln = pp->lit_len[i + 1];
        const char *stop = ln ? find_bytes(pos, (size_t)(end - pos), pp->lit[i + 1], ln)
                              : i + 1 == pp->ncaptures ? end : pos;
        if (!stop)
            return;
        pp->cap[i] = pos;
        pp->cap_len[i] = (size_t)(stop - pos);
        pos = stop + ln;
    }
    pp->matched = true;
}

static void capture(flowlog_query *q, const qexpr *e, const flowlog_value *row, const qacc *accs, flowlog_value *out)
{
    qparse *pp = &q->parses[e->index];
    set_null(out);
    if (pp->done_for != q->record_seq)
        run_parse(q, pp, row, accs);
    if (pp->matched && pp->cap[e->op])
        set_str(out, pp->cap[e->op], pp->cap_len[e->op]);
}

void flowlog__query_eval(flowlog_query *q, const qexpr *e, const flowlog_value *row, const qacc *accs,
                         flowlog_value *out)
{
    flowlog_value a, b;
    switch (e->kind) {
    case Q_LIT:
        *out = e->lit;
        return;
    case Q_FIELD:
        eval_field(q, e, out);
        return;
    case Q_TIMESTAMP: {
        uint64_t t;
        set_null(out);
        int rc = q->rec ? flowlog_record_get_u64(q->rec, FLOWLOG_FIELD_START, &t) : FLOWLOG_ABSENT;
        if (rc == FLOWLOG_OK && t <= (uint64_t)INT64_MAX) {
            set_int(out, (int64_t)t);
            out->type = FLOWLOG_VALUE_TIME;
        } else if (rc < 0) {
            bad_value(q, rc);
        }
        return;
    }
    case Q_MESSAGE:
        if (q->rec) {
            flowlog_span line = flowlog_record_line(q->rec);
            set_str(out, line.ptr, line.len);
        } else {
            set_null(out);
        }
        return;
    case Q_CAPTURE:
        capture(q, e, row, accs, out);
        return;
    case Q_LOG:
        if (q->log_group)
            set_str(out, q->log_group, strlen(q->log_group));
        else
            set_null(out);
        return;
    case Q_STREAM:
        if (q->stream)
            set_str(out, q->stream, strlen(q->stream));
        else
            set_null(out);
        return;
    case Q_COL:
        if (row)
            *out = row[e->index];
        else
            set_null(out);
        return;
    case Q_INCOL:
        if (q->in_row)
            *out = q->in_row[e->index];
        else
            set_null(out);
        return;
    case Q_AGG:
        if (accs)
            agg_value(q->aggs[e->index], &accs[e->index], q->agg_param[e->index], out);
        else
            set_null(out);
        return;
    case Q_NEG:
        flowlog__query_eval(q, e->a, row, accs, &a);
        set_int(&b, 0);
        arith(OP_SUB, &b, &a, out);
        return;
    case Q_NOT:
        flowlog__query_eval(q, e->a, row, accs, &a);
        set_int(out, !flowlog__value_truthy(&a));
        return;
    case Q_AND:
        flowlog__query_eval(q, e->a, row, accs, &a);
        if (!flowlog__value_truthy(&a)) {
            set_int(out, 0);
            return;
        }
        flowlog__query_eval(q, e->b, row, accs, &b);
        set_int(out, flowlog__value_truthy(&b));
        return;
    case Q_OR:
        flowlog__query_eval(q, e->a, row, accs, &a);
        if (flowlog__value_truthy(&a)) {
            set_int(out, 1);
            return;
        }
        flowlog__query_eval(q, e->b, row, accs, &b);
        set_int(out, flowlog__value_truthy(&b));
        return;
    case Q_CMP:
        if (flowlog__is_text_equality(e)) {
            /* `field = "text"`, the commonest filter (action = "REJECT"):
             * the field's bytes against the literal's, nothing converted. */
            flowlog_span sp;
            if (!q->rec || !field_text(q->rec, e->a->field, &sp)) {
                set_int(out, 0);
                return;
            }
            bool eq = sp.len == e->b->lit.len && memcmp(sp.ptr, e->b->lit.s, sp.len) == 0;
            /* a typed field is still checked (REJECTED is no action), unless
             * its bytes are those of a valid literal */
            if ((e->a->ftype == FLOWLOG_TYPE_ENUM || e->a->ftype == FLOWLOG_TYPE_ADDR) && !(eq && e->lit_valid)) {
                eval_field(q, e->a, &a);
                if (q->bad) {
                    set_int(out, 0);
                    return;
                }
            }
            set_int(out, (e->op == OP_EQ) == eq);
            return;
        }
        flowlog__query_eval(q, e->a, row, accs, &a);
        flowlog__query_eval(q, e->b, row, accs, &b);
        set_int(out, compare(q, e->op, &a, &b));
        return;
    case Q_ARITH:
        flowlog__query_eval(q, e->a, row, accs, &a);
        flowlog__query_eval(q, e->b, row, accs, &b);
        arith(e->op, &a, &b, out);
        return;
    case Q_IN: {
        flowlog__query_eval(q, e->a, row, accs, &a);
        bool found = false;
        for (int i = 0; i < e->nargs && !found && a.type != FLOWLOG_VALUE_NULL; i++) {
            flowlog__query_eval(q, e->args[i], row, accs, &b);
            found = compare(q, OP_EQ, &a, &b);
        }
        set_int(out, a.type != FLOWLOG_VALUE_NULL && found != e->negate);
        return;
    }
    case Q_LIKE: {
        const char *s;
        size_t n;
        flowlog__query_eval(q, e->a, row, accs, &a);
        if (!text_of(q, &a, &s, &n)) {
            set_int(out, 0);
            return;
        }
        bool found = e->lit.len == 0 || find_bytes(s, n, e->lit.s, e->lit.len) != NULL;
        set_int(out, found != e->negate);
        return;
    }
    case Q_REGEX: {
        const char *s;
        size_t n;
        flowlog__query_eval(q, e->a, row, accs, &a);
        if (!text_of(q, &a, &s, &n)) {
            set_int(out, 0);
            return;
        }
        int rc = flowlog__regex_match(e->re, s, n);
        if (rc < 0) {
            /* the line needs more work than it may take: it is an error */
            if (!q->bad) {
                q->bad = rc;
                flowlog__error_set(&q->err, e->off, -1,
                                   rc == FLOWLOG_E_BUDGET
                                       ? "the regular expression needs more work on this %zu-byte text than it may take"
                                       : "out of memory matching a regular expression (%zu bytes)",
                                   n);
            }
            set_int(out, 0);
            return;
        }
        set_int(out, (rc == 1) != e->negate);
        return;
    }
    case Q_CALL:
        eval_call(q, e, row, accs, out);
        return;
    }
    set_null(out);
}
