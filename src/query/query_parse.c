#include "query_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* A recursive-descent parser for Logs Insights queries. Tokens are read on
 * demand; a `/` in operand position after `like` or `=~` starts a regex. */

typedef enum ttype {
    T_END, T_IDENT, T_STRING, T_NUMBER, T_PIPE, T_COMMA, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
    T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_MATCH, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT
} ttype;

typedef struct token {
    ttype t;
    size_t off, len;
    const char *s;   /* identifier or unescaped string */
    size_t slen;
    bool quoted;     /* a `backquoted` identifier */
    bool is_int;
    int64_t ival;
    double num;
} token;

typedef struct parser {
    flowlog_query *q;
    const char *src;
    size_t len, pos;
    token tok;
    int depth;
    bool too_tall;   /* an expression tree passed QUERY_MAX_HEIGHT: the next token fails */
    bool in_stats;   /* aggregates allowed */
    bool in_agg;
    bool results;    /* names refer to result columns (after stats) */
    /* `fields x as y`: y names x from then on */
    const char *alias_name[QUERY_MAX_COLS];
    qexpr *alias_expr[QUERY_MAX_COLS];
    int naliases;
} parser;

/* Bounds on an untrusted regular expression (see parse_regex). */
#define MAX_REGEX_LENGTH 1024
#define MAX_REGEX_REPEAT 255
#define MAX_REGEX_GROWTH 4096
#define MAX_REGEX_EXPANSION 2048

#define FAIL(p, off, ...)                                                                 \
    do {                                                                                  \
        flowlog__error_set(&(p)->q->err, (off), -1, __VA_ARGS__);                         \
        return FLOWLOG_E_QUERY;                                                           \
    } while (0)

static void *alloc_code(parser *p, size_t n)
{
    return flowlog__arena_alloc(&p->q->code, &p->q->alloc, n);
}

static char *copy_text(parser *p, const char *s, size_t n)
{
    char *c = alloc_code(p, n + 1);
    if (c) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

static bool ident_start(int c)
{
    return isalpha(c) || c == '_' || c == '@';
}

static bool ident_char(int c)
{
    return isalnum(c) || c == '_' || c == '@' || c == '.';
}

static int lex(parser *p)
{
    if (p->too_tall)
        return FLOWLOG_E_LIMIT;
    const char *s = p->src;
    /* white space, and comments: # to the end of the line */
    for (;;) {
        while (p->pos < p->len && isspace((unsigned char)s[p->pos]))
            p->pos++;
        if (p->pos == p->len || s[p->pos] != '#')
            break;
        while (p->pos < p->len && s[p->pos] != '\n')
            p->pos++;
    }
    token *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->off = p->pos;
    if (p->pos == p->len) {
        t->t = T_END;
        return FLOWLOG_OK;
    }
    unsigned char c = (unsigned char)s[p->pos];
    if (ident_start(c)) {
        size_t e = p->pos + 1;
        while (e < p->len && ident_char((unsigned char)s[e]))
            e++;
        t->t = T_IDENT;
        t->s = s + p->pos;
        t->slen = e - p->pos;
    } else if (c == '`') {
        size_t e = p->pos + 1;
        while (e < p->len && s[e] != '`')
            e++;
        if (e == p->len)
            FAIL(p, p->pos, "unterminated `name`");
        t->t = T_IDENT;
        t->quoted = true;
        t->s = s + p->pos + 1;
        t->slen = e - p->pos - 1;
        e++;
        t->len = e - p->pos;
        p->pos = e;
        return FLOWLOG_OK;
    } else if (isdigit(c) || (c == '.' && p->pos + 1 < p->len && isdigit((unsigned char)s[p->pos + 1]))) {
        size_t e = p->pos;
        bool frac = false;
        while (e < p->len && (isdigit((unsigned char)s[e]) || (s[e] == '.' && !frac))) {
            frac |= s[e] == '.';
            e++;
        }
        char buf[64];
        size_t n = e - p->pos;
        if (n >= sizeof buf)
            FAIL(p, p->pos, "number is too long");
        memcpy(buf, s + p->pos, n);
        buf[n] = '\0';
        t->t = T_NUMBER;
        t->num = strtod(buf, NULL);
        uint64_t u;
        t->is_int = !frac && flowlog__parse_u64(buf, n, &u) == FLOWLOG_OK && u <= (uint64_t)INT64_MAX;
        t->ival = t->is_int ? (int64_t)u : 0;
        t->len = n;
        p->pos = e;
        return FLOWLOG_OK;
    } else if (c == '"' || c == '\'') {
        /* Unescape into the code arena: \" \' \\ \n \t. */
        size_t e = p->pos + 1;
        while (e < p->len && (unsigned char)s[e] != c)
            e += s[e] == '\\' && e + 1 < p->len ? 2 : 1;
        if (e >= p->len)
            FAIL(p, p->pos, "unterminated string");
        char *out = alloc_code(p, e - p->pos);
        if (!out)
            return FLOWLOG_E_NOMEM;
        e = p->pos + 1;
        size_t n = 0;
        while (e < p->len && (unsigned char)s[e] != c) {
            if (s[e] == '\\' && e + 1 < p->len) {
                e++;
                out[n++] = s[e] == 'n' ? '\n' : s[e] == 't' ? '\t' : s[e];
            } else {
                out[n++] = s[e];
            }
            e++;
        }
        if (e == p->len)
            FAIL(p, p->pos, "unterminated string");
        t->t = T_STRING;
        t->s = out;
        t->slen = n;
        e++;
        t->len = e - p->pos;
        p->pos = e;
        return FLOWLOG_OK;
    } else {
        size_t n = 1;
        char d = p->pos + 1 < p->len ? s[p->pos + 1] : '\0';
        switch (c) {
        case '|': t->t = d == '|' ? (n = 2, T_END) : T_PIPE; break;
        case ',': t->t = T_COMMA; break;
        case '(': t->t = T_LPAREN; break;
        case ')': t->t = T_RPAREN; break;
        case '[': t->t = T_LBRACK; break;
        case ']': t->t = T_RBRACK; break;
        case '+': t->t = T_PLUS; break;
        case '-': t->t = T_MINUS; break;
        case '*': t->t = T_STAR; break;
        case '/': t->t = T_SLASH; break;
        case '%': t->t = T_PERCENT; break;
        case '=':
            t->t = d == '~' ? T_MATCH : T_EQ;
            n = d == '~' || d == '=' ? 2 : 1;
            break;
        case '!':
            if (d != '=')
                FAIL(p, p->pos, "unexpected '!' (write != or not)");
            t->t = T_NE;
            n = 2;
            break;
        case '<':
            t->t = d == '=' ? T_LE : d == '>' ? T_NE : T_LT;
            n = d == '=' || d == '>' ? 2 : 1;
            break;
        case '>':
            t->t = d == '=' ? T_GE : T_GT;
            n = d == '=' ? 2 : 1;
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
                FAIL(p, p->pos, "unexpected byte 0x%02x", c);
            FAIL(p, p->pos, "unexpected '%c'", c);
        }
        if (t->t == T_END && c == '|')
            FAIL(p, p->pos, "unexpected '||' (write or)");
        t->len = n;
        p->pos += n;
        return FLOWLOG_OK;
    }
    t->len = t->slen;
    p->pos += t->len;
    return FLOWLOG_OK;
}

static bool is_word(const token *t, const char *w)
{
    size_t n = strlen(w);
    if (t->t != T_IDENT || t->quoted || t->slen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)t->s[i]) != w[i])
            return false;
    return true;
}

static bool span_is(const char *s, size_t n, const char *w)
{
    size_t wn = strlen(w);
    if (n != wn)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != tolower((unsigned char)w[i]))
            return false;
    return true;
}

static qexpr *node(parser *p, qkind kind, size_t off)
{
    qexpr *e = alloc_code(p, sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->off = off;
    e->len = 0;
    e->height = 1;
    return e;
}

static uint32_t height_of(const qexpr *e)
{
    return e ? e->height : 0;
}

static void close_span(parser *p, qexpr *e)
{
    /* The source text of a node ends where the last token consumed ended. */
    size_t end = p->tok.off;
    while (end > e->off && isspace((unsigned char)p->src[end - 1]))
        end--;
    e->len = end > e->off ? end - e->off : 0;
    uint32_t h = height_of(e->a) > height_of(e->b) ? height_of(e->a) : height_of(e->b);
    for (int i = 0; i < e->nargs; i++)
        h = height_of(e->args[i]) > h ? height_of(e->args[i]) : h;
    e->height = h + 1;
    if (e->height > QUERY_MAX_HEIGHT && !p->too_tall) {
        p->too_tall = true;
        flowlog__error_set(&p->q->err, e->off, -1,
                           "the expression is more than %d operations deep (a chain of + or and, or nesting)",
                           QUERY_MAX_HEIGHT);
    }
}

/* Levenshtein distance over names compared the way the registry compares
 * them (case, '-' and '_' ignored), capped at 3. */
static int name_distance(const char *a, size_t an, const char *b, size_t bn)
{
    char x[64], y[64];
    size_t xn = 0, yn = 0;
    for (size_t i = 0; i < an && xn < sizeof x; i++)
        if (a[i] != '-' && a[i] != '_')
            x[xn++] = (char)tolower((unsigned char)a[i]);
    for (size_t i = 0; i < bn && yn < sizeof y; i++)
        if (b[i] != '-' && b[i] != '_')
            y[yn++] = (char)tolower((unsigned char)b[i]);
    int row[65];
    for (size_t j = 0; j <= yn; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= xn; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= yn; j++) {
            int up = row[j];
            int best = diag + (x[i - 1] != y[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[yn] > 3 ? 3 : row[yn];
}

static int unknown_field(parser *p, const token *t)
{
    const char *best = NULL;
    int best_d = 3;
    for (uint32_t id = flowlog_field_next(FLOWLOG_FIELD_NONE); id != FLOWLOG_FIELD_NONE; id = flowlog_field_next(id)) {
        const char *name = flowlog_field_name(id);
        int d = name_distance(t->s, t->slen, name, strlen(name));
        if (d < best_d) {
            best_d = d;
            best = name;
        }
    }
    if (best && best_d <= 2)
        FAIL(p, t->off, "unknown field '%.*s' (did you mean '%s'?)", (int)t->slen, t->s, best);
    FAIL(p, t->off, "unknown field '%.*s'", (int)t->slen, t->s);
}

static int resolve_column(parser *p, const token *t, qexpr **out)
{
    flowlog_query *q = p->q;
    int found = -1;
    for (int i = 0; i < q->ncols && found < 0; i++)
        if (strlen(q->cols[i].name) == t->slen && memcmp(q->cols[i].name, t->s, t->slen) == 0)
            found = i;
    for (int i = 0; i < q->ncols && found < 0; i++)
        if (flowlog__name_equal(q->cols[i].name, strlen(q->cols[i].name), t->s, t->slen))
            found = i;
    if (found < 0) {
        char names[160] = "";
        size_t n = 0;
        for (int i = 0; i < q->ncols && n < sizeof names - 8; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", q->cols[i].name);
        FAIL(p, t->off, "unknown column '%.*s' after stats (columns: %s)", (int)t->slen, t->s, names);
    }
    qexpr *e = node(p, Q_COL, t->off);
    if (!e)
        return FLOWLOG_E_NOMEM;
    e->index = found;
    *out = e;
    return FLOWLOG_OK;
}

/* A name in a second stage: a column of the rows of the stage before. */
static int resolve_input(parser *p, const token *t, qexpr **out)
{
    const flowlog_query *in = p->q->input;
    int found = -1;
    for (int i = 0; i < in->ndisplay && found < 0; i++) {
        const char *name = in->cols[in->display[i]].name;
        if (flowlog__name_equal(name, strlen(name), t->s, t->slen))
            found = in->display[i];
    }
    if (found < 0) {
        char names[160] = "";
        size_t n = 0;
        for (int i = 0; i < in->ndisplay && n < sizeof names - 8; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", in->cols[in->display[i]].name);
        FAIL(p, t->off, "unknown column '%.*s' of the stats before (columns: %s)", (int)t->slen, t->s, names);
    }
    qexpr *e = node(p, Q_INCOL, t->off);
    if (!e)
        return FLOWLOG_E_NOMEM;
    e->index = found;
    *out = e;
    return FLOWLOG_OK;
}

static int resolve_name(parser *p, const token *t, qexpr **out)
{
    if (p->results)
        return resolve_column(p, t, out);
    if (p->q->input)
        return resolve_input(p, t, out);
    for (int i = p->naliases - 1; i >= 0; i--)
        if (strlen(p->alias_name[i]) == t->slen && memcmp(p->alias_name[i], t->s, t->slen) == 0) {
            /* the same expression, written here: a column it makes is
             * named as it is written here */
            qexpr *e = node(p, Q_LIT, t->off);
            if (!e)
                return FLOWLOG_E_NOMEM;
            *e = *p->alias_expr[i];
            e->off = t->off;
            e->len = t->len;
            *out = e;
            return FLOWLOG_OK;
        }
    qkind special = Q_LIT;
    if (span_is(t->s, t->slen, "@timestamp"))
        special = Q_TIMESTAMP;
    else if (span_is(t->s, t->slen, "@message"))
        special = Q_MESSAGE;
    else if (span_is(t->s, t->slen, "@logStream"))
        special = Q_STREAM;
    else if (span_is(t->s, t->slen, "@log"))
        special = Q_LOG;
    if (special != Q_LIT) {
        *out = node(p, special, t->off);
        return *out ? FLOWLOG_OK : FLOWLOG_E_NOMEM;
    }
    uint32_t id = flowlog_field_lookup(t->s, t->slen);
    if (id == FLOWLOG_FIELD_NONE)
        return unknown_field(p, t);
    qexpr *e = node(p, Q_FIELD, t->off);
    if (!e)
        return FLOWLOG_E_NOMEM;
    e->field = id;
    e->ftype = flowlog_field_type(id);
    *out = e;
    return FLOWLOG_OK;
}

static int parse_expr(parser *p, qexpr **out);

static int expect(parser *p, ttype t, const char *what)
{
    if (p->tok.t != t)
        FAIL(p, p->tok.off, "expected %s", what);
    return lex(p);
}

/* A query may come from anyone, and glibc compiles a regular expression into
 * an automaton that grows with repetition: bounded repetition copies its
 * operand, a quantifier on a quantifier (a++) doubles it, and
 * back-references (an extension to ERE) make matching exponential. The
 * message of the first risk, or NULL; *at is its byte offset. */
static const char *regex_risk(const char *re, size_t n, size_t *at, char *msg, size_t msgsize)
{
    unsigned long growth = 1; /* the product of repetition counts */
    int after_quantifier = 0;  /* 1 after a quantifier, 2 after its lazy or possessive mark */
    if (n > MAX_REGEX_LENGTH) {
        *at = 0;
        snprintf(msg, msgsize, "regular expression is longer than %d bytes", MAX_REGEX_LENGTH);
        return msg;
    }
    for (size_t k = 0; k < n; k++) {
        *at = k;
        char c = re[k];
        bool quantifier = c == '*' || c == '+' || c == '?' || c == '{';
        if ((c == '?' || c == '+') && after_quantifier == 1) {
            after_quantifier = 2; /* lazy (*?) or possessive (*+): once */
            continue;
        }
        if (quantifier && after_quantifier)
            return "a quantifier cannot follow another quantifier in a regular expression";
        after_quantifier = 0;
        if (c == '\\' && k + 1 < n) {
            if (re[k + 1] >= '1' && re[k + 1] <= '9') {
                snprintf(msg, msgsize, "back-references (\\%c) are not supported in a regular expression", re[k + 1]);
                return msg;
            }
            k++;
        } else if (c == '[') {
            /* A bracket expression is one atom: its bytes are literal. */
            size_t m = k + 1;
            if (m < n && re[m] == '^')
                m++;
            if (m < n && re[m] == ']')
                m++;
            while (m < n && re[m] != ']')
                m += re[m] == '[' && m + 1 < n && (re[m + 1] == ':' || re[m + 1] == '.' || re[m + 1] == '=') ? 2 : 1;
            k = m;
        } else if (quantifier) {
            after_quantifier = 1;
            if (c != '{')
                continue;
            unsigned long count = 0, most = 1;
            size_t m = k + 1;
            for (; m < n && re[m] != '}'; m++) {
                if (re[m] >= '0' && re[m] <= '9') {
                    count = count * 10 + (unsigned long)(re[m] - '0');
                    if (count > MAX_REGEX_REPEAT) {
                        snprintf(msg, msgsize, "a repetition count in a regular expression is above %d",
                                 MAX_REGEX_REPEAT);
                        return msg;
                    }
                    if (count > most)
                        most = count;
                } else {
                    count = 0;
                }
            }
            k = m;
            growth *= most;
            if (growth > MAX_REGEX_GROWTH || growth * n > MAX_REGEX_EXPANSION) {
                snprintf(msg, msgsize, "a regular expression's repetitions expand it beyond %d bytes",
                         MAX_REGEX_EXPANSION);
                return msg;
            }
        }
    }
    return NULL;
}

static int parse_regex(parser *p, qexpr *e)
{
    /* p->tok is the opening '/', already consumed by the lexer. */
    size_t start = p->tok.off + 1, i = start;
    while (i < p->len && p->src[i] != '/') {
        if (p->src[i] == '\\' && i + 1 < p->len)
            i++;
        i++;
    }
    if (i >= p->len)
        FAIL(p, p->tok.off, "unterminated /regex/");
    char *pattern = alloc_code(p, i - start + 1);
    if (!pattern)
        return FLOWLOG_E_NOMEM;
    /* "\/" stands for "/" inside the delimiters. */
    size_t n = 0;
    for (size_t k = start; k < i; k++) {
        if (p->src[k] == '\\' && k + 1 < i && p->src[k + 1] == '/')
            k++;
        pattern[n++] = p->src[k];
    }
    pattern[n] = '\0';
    size_t risk_at;
    char risk_msg[96];
    const char *risk = regex_risk(pattern, n, &risk_at, risk_msg, sizeof risk_msg);
    if (risk)
        FAIL(p, start + risk_at, "%s", risk);
    p->pos = i + 1;
    bool icase = false;
    /* An `i` right after the closing slash: case-insensitive. */
    if (p->pos < p->len && p->src[p->pos] == 'i' &&
        (p->pos + 1 == p->len || !ident_char((unsigned char)p->src[p->pos + 1]))) {
        icase = true;
        p->pos++;
    }
    if (p->q->nregexes == (int)(sizeof p->q->regexes / sizeof p->q->regexes[0]))
        FAIL(p, start - 1, "too many regular expressions");
    qregex *re;
    char why[120];
    size_t at = 0;
    int rc = flowlog__regex_compile(p->q, pattern, n, icase, &re, why, sizeof why, &at);
    if (rc == FLOWLOG_E_QUERY)
        FAIL(p, start + (at < n ? at : n), "bad regular expression: %s", why);
    if (rc < 0)
        return rc;
    p->q->regexes[p->q->nregexes++] = re;
    e->re = re;
    return lex(p);
}

static const struct {
    const char *name;
    qfn fn;
    int min_args, max_args;
} functions[] = {
    {"isipv4insubnet", FN_IN_SUBNET4, 2, 2}, {"isipv6insubnet", FN_IN_SUBNET6, 2, 2},
    {"isipinsubnet", FN_IN_SUBNET, 2, 2},    {"ispresent", FN_ISPRESENT, 1, 1},
    {"bin", FN_BIN, 1, 1},                   {"strlen", FN_STRLEN, 1, 1},
    {"toupper", FN_TOUPPER, 1, 1},           {"tolower", FN_TOLOWER, 1, 1},
    {"concat", FN_CONCAT, 1, 16},            {"abs", FN_ABS, 1, 1},
    {"floor", FN_FLOOR, 1, 1},               {"ceil", FN_CEIL, 1, 1},
    {"strcontains", FN_STRCONTAINS, 2, 2},   {"substr", FN_SUBSTR, 2, 3},
    {"replace", FN_REPLACE, 3, 3},           {"trim", FN_TRIM, 1, 2},
    {"ltrim", FN_LTRIM, 1, 2},               {"rtrim", FN_RTRIM, 1, 2},
    {"coalesce", FN_COALESCE, 1, 16},        {"isempty", FN_ISEMPTY, 1, 1},
    {"isblank", FN_ISBLANK, 1, 1},           {"isvalidip", FN_ISVALIDIP, 1, 1},
    {"isvalidipv4", FN_ISVALIDIP4, 1, 1},    {"isvalidipv6", FN_ISVALIDIP6, 1, 1},
    {"greatest", FN_GREATEST, 1, 16},        {"least", FN_LEAST, 1, 16},
    {"log", FN_LOG, 1, 1},                   {"sqrt", FN_SQRT, 1, 1},
    {"frommillis", FN_FROMMILLIS, 1, 1},     {"tomillis", FN_TOMILLIS, 1, 1},
    {"datefloor", FN_DATEFLOOR, 2, 2},       {"dateceil", FN_DATECEIL, 2, 2},
};

static const struct {
    const char *name;
    qagg agg;
} aggregates[] = {
    {"count", AGG_COUNT}, {"count_distinct", AGG_COUNT_DISTINCT}, {"sum", AGG_SUM},
    {"avg", AGG_AVG},     {"min", AGG_MIN},                       {"max", AGG_MAX},
    {"stddev", AGG_STDDEV}, {"pct", AGG_PCT},                     {"earliest", AGG_EARLIEST},
    {"latest", AGG_LATEST}, {"sortsfirst", AGG_SORTS_FIRST},      {"sortslast", AGG_SORTS_LAST},
};

static int parse_period(parser *p, int64_t *seconds)
{
    if (p->tok.t != T_NUMBER || !p->tok.is_int || p->tok.ival <= 0)
        FAIL(p, p->tok.off, "bin() needs a period such as 5m or 1h");
    int64_t n = p->tok.ival;
    size_t end = p->tok.off + p->tok.len;
    int rc = lex(p);
    if (rc < 0)
        return rc;
    int64_t unit = 1;
    if (p->tok.t == T_IDENT && p->tok.off == end) {
        const char *u = p->tok.s;
        size_t un = p->tok.slen;
        if (span_is(u, un, "s") || span_is(u, un, "sec") || span_is(u, un, "second") || span_is(u, un, "seconds"))
            unit = 1;
        else if (span_is(u, un, "m") || span_is(u, un, "min") || span_is(u, un, "minute") || span_is(u, un, "minutes"))
            unit = 60;
        else if (span_is(u, un, "h") || span_is(u, un, "hr") || span_is(u, un, "hour") || span_is(u, un, "hours"))
            unit = 3600;
        else if (span_is(u, un, "d") || span_is(u, un, "day") || span_is(u, un, "days"))
            unit = 86400;
        else if (span_is(u, un, "w") || span_is(u, un, "week") || span_is(u, un, "weeks"))
            unit = 7 * 86400;
        else
            FAIL(p, p->tok.off, "unknown time unit '%.*s' (s, m, h, d or w)", (int)un, u);
        rc = lex(p);
        if (rc < 0)
            return rc;
    }
    if (n > INT64_MAX / unit)
        FAIL(p, end, "period is too long");
    *seconds = n * unit;
    return FLOWLOG_OK;
}

static int parse_call(parser *p, qexpr **out)
{
    token name = p->tok;
    int rc = lex(p); /* the name */
    if (rc == FLOWLOG_OK)
        rc = lex(p); /* '(' */
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof aggregates / sizeof aggregates[0]; i++) {
        if (!span_is(name.s, name.slen, aggregates[i].name))
            continue;
        if (!p->in_stats)
            FAIL(p, name.off, "%s() is an aggregate: use it in stats", aggregates[i].name);
        if (p->in_agg)
            FAIL(p, name.off, "an aggregate cannot contain another");
        if (p->q->naggs == QUERY_MAX_AGGS)
            FAIL(p, name.off, "too many aggregates (at most %d)", QUERY_MAX_AGGS);
        qexpr *e = node(p, Q_AGG, name.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        qagg kind = aggregates[i].agg;
        qexpr *arg = NULL;
        if (kind == AGG_COUNT && (p->tok.t == T_RPAREN || p->tok.t == T_STAR)) {
            kind = AGG_COUNT_ALL;
            if (p->tok.t == T_STAR && (rc = lex(p)) < 0)
                return rc;
        } else {
            p->in_agg = true;
            rc = parse_expr(p, &arg);
            p->in_agg = false;
            if (rc < 0)
                return rc;
        }
        if (kind == AGG_PCT) {
            /* pct(field, percentile): a number from 0 to 100 */
            if ((rc = expect(p, T_COMMA, "',' and a percentile from 0 to 100")) < 0)
                return rc;
            double pc = p->tok.t == T_NUMBER ? p->tok.num : -1;
            if (p->tok.t != T_NUMBER || pc < 0 || pc > 100)
                FAIL(p, p->tok.off, "pct() needs a percentile from 0 to 100");
            p->q->agg_param[p->q->naggs] = pc;
            if ((rc = lex(p)) < 0)
                return rc;
        }
        rc = expect(p, T_RPAREN, "')'");
        if (rc < 0)
            return rc;
        e->index = p->q->naggs;
        p->q->aggs[p->q->naggs] = kind;
        p->q->agg_args[p->q->naggs++] = arg;
        close_span(p, e);
        *out = e;
        return FLOWLOG_OK;
    }
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        if (!span_is(name.s, name.slen, functions[i].name))
            continue;
        qexpr *e = node(p, Q_CALL, name.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->op = functions[i].fn;
        e->args = alloc_code(p, 16 * sizeof *e->args);
        if (!e->args)
            return FLOWLOG_E_NOMEM;
        if (e->op == FN_BIN) {
            rc = parse_period(p, &e->period);
            if (rc < 0)
                return rc;
        } else if (e->op == FN_DATEFLOOR || e->op == FN_DATECEIL) {
            /* datefloor(time, period): the period is written as bin()'s */
            if ((rc = parse_expr(p, &e->args[0])) < 0 || (rc = expect(p, T_COMMA, "',' and a period such as 1h")) < 0 ||
                (rc = parse_period(p, &e->period)) < 0)
                return rc;
            e->nargs = 1;
        } else {
            while (p->tok.t != T_RPAREN) {
                if (e->nargs == functions[i].max_args)
                    FAIL(p, p->tok.off, "%s() takes at most %d argument%s", functions[i].name,
                         functions[i].max_args, functions[i].max_args == 1 ? "" : "s");
                if (e->nargs && (rc = expect(p, T_COMMA, "',' or ')'")) < 0)
                    return rc;
                if ((rc = parse_expr(p, &e->args[e->nargs])) < 0)
                    return rc;
                e->nargs++;
            }
            if (e->nargs < functions[i].min_args)
                FAIL(p, name.off, "%s() needs %d argument%s", functions[i].name, functions[i].min_args,
                     functions[i].min_args == 1 ? "" : "s");
        }
        if (e->op == FN_IN_SUBNET4 || e->op == FN_IN_SUBNET6 || e->op == FN_IN_SUBNET) {
            qexpr *c = e->args[1];
            if (c->kind != Q_LIT || c->lit.type != FLOWLOG_VALUE_STRING)
                FAIL(p, c->off, "the subnet must be a quoted CIDR such as \"10.0.0.0/16\"");
            if (flowlog_cidr_parse(c->lit.s, c->lit.len, &e->net, &e->prefix) != FLOWLOG_OK)
                FAIL(p, c->off, "'%.*s' is not a CIDR block", (int)c->lit.len, c->lit.s);
            if ((e->op == FN_IN_SUBNET4 && e->net.family != FLOWLOG_AF_INET) ||
                (e->op == FN_IN_SUBNET6 && e->net.family != FLOWLOG_AF_INET6))
                FAIL(p, c->off, "'%.*s' is not an IPv%c block", (int)c->lit.len, c->lit.s,
                     e->op == FN_IN_SUBNET4 ? '4' : '6');
        }
        if (e->op == FN_ISPRESENT && e->args[0]->kind != Q_FIELD && e->args[0]->kind != Q_STREAM &&
            e->args[0]->kind != Q_LOG &&
            e->args[0]->kind != Q_COL && e->args[0]->kind != Q_CAPTURE)
            FAIL(p, e->args[0]->off, "ispresent() takes a field name");
        rc = expect(p, T_RPAREN, "')'");
        if (rc < 0)
            return rc;
        close_span(p, e);
        *out = e;
        return FLOWLOG_OK;
    }
    FAIL(p, name.off, "unknown function '%.*s'", (int)name.slen, name.s);
}

/* After stats, a call written as a column is named (`sort count(*) desc`,
 * `display bin(1h)`) refers to that column. FLOWLOG_ABSENT when it is not
 * one. `open` is the position of the '('. */
static int call_as_column(parser *p, size_t open, qexpr **out)
{
    size_t i = open, depth = 0;
    char quote = 0;
    for (; i < p->len; i++) {
        char c = p->src[i];
        if (quote) {
            if (c == '\\')
                i++;
            else if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '(') {
            depth++;
        } else if (c == ')' && --depth == 0) {
            break;
        }
    }
    if (i >= p->len)
        return FLOWLOG_ABSENT;
    size_t off = p->tok.off, len = i + 1 - off;
    for (int c = 0; c < p->q->ncols; c++)
        if (strlen(p->q->cols[c].name) == len && memcmp(p->q->cols[c].name, p->src + off, len) == 0) {
            qexpr *e = node(p, Q_COL, off);
            if (!e)
                return FLOWLOG_E_NOMEM;
            e->index = c;
            e->len = len;
            *out = e;
            p->pos = i + 1;
            return lex(p);
        }
    return FLOWLOG_ABSENT;
}

static int parse_primary(parser *p, qexpr **out)
{
    token t = p->tok;
    int rc;
    switch (t.t) {
    case T_NUMBER: {
        qexpr *e = node(p, Q_LIT, t.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->lit.type = t.is_int ? FLOWLOG_VALUE_INT : FLOWLOG_VALUE_FLOAT;
        e->lit.i = t.ival;
        e->lit.f = t.num;
        *out = e;
        rc = lex(p);
        if (rc == FLOWLOG_OK)
            close_span(p, e);
        return rc;
    }
    case T_STRING: {
        qexpr *e = node(p, Q_LIT, t.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->lit.type = FLOWLOG_VALUE_STRING;
        e->lit.s = t.s;
        e->lit.len = t.slen;
        *out = e;
        rc = lex(p);
        if (rc == FLOWLOG_OK)
            close_span(p, e);
        return rc;
    }
    case T_LPAREN: {
        if ((rc = lex(p)) < 0 || (rc = parse_expr(p, out)) < 0)
            return rc;
        return expect(p, T_RPAREN, "')'");
    }
    case T_IDENT: {
        /* A name followed by '(' is a call. */
        size_t save = p->pos;
        while (save < p->len && isspace((unsigned char)p->src[save]))
            save++;
        if (!t.quoted && save < p->len && p->src[save] == '(') {
            if (p->results) {
                int rc2 = call_as_column(p, save, out);
                if (rc2 != FLOWLOG_ABSENT)
                    return rc2;
            }
            return parse_call(p, out);
        }
        rc = resolve_name(p, &t, out);
        if (rc < 0)
            return rc;
        return lex(p);
    }
    case T_END:
        FAIL(p, t.off, "expected a value at the end of the query");
    default:
        FAIL(p, t.off, "expected a value, found '%.*s'", (int)t.len, p->src + t.off);
    }
}

static int parse_unary(parser *p, qexpr **out)
{
    if (++p->depth > (int)p->q->max_depth) {
        flowlog__error_set(&p->q->err, p->tok.off, -1, "the query nests deeper than %zu", p->q->max_depth);
        return FLOWLOG_E_LIMIT;
    }
    int rc;
    if (p->tok.t == T_MINUS) {
        qexpr *e = node(p, Q_NEG, p->tok.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        if ((rc = lex(p)) < 0 || (rc = parse_unary(p, &e->a)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    } else {
        rc = parse_primary(p, out);
    }
    p->depth--;
    return rc;
}

static int parse_mul(parser *p, qexpr **out)
{
    int rc = parse_unary(p, out);
    while (rc == FLOWLOG_OK && (p->tok.t == T_STAR || p->tok.t == T_SLASH || p->tok.t == T_PERCENT)) {
        qexpr *e = node(p, Q_ARITH, (*out)->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->op = p->tok.t == T_STAR ? OP_MUL : p->tok.t == T_SLASH ? OP_DIV : OP_MOD;
        e->a = *out;
        if ((rc = lex(p)) < 0 || (rc = parse_unary(p, &e->b)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    }
    return rc;
}

static int parse_add(parser *p, qexpr **out)
{
    int rc = parse_mul(p, out);
    while (rc == FLOWLOG_OK && (p->tok.t == T_PLUS || p->tok.t == T_MINUS)) {
        qexpr *e = node(p, Q_ARITH, (*out)->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->op = p->tok.t == T_PLUS ? OP_ADD : OP_SUB;
        e->a = *out;
        if ((rc = lex(p)) < 0 || (rc = parse_mul(p, &e->b)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    }
    return rc;
}

static int parse_cmp(parser *p, qexpr **out)
{
    int rc = parse_add(p, out);
    if (rc < 0)
        return rc;
    qexpr *left = *out;
    bool negate = false;
    if (is_word(&p->tok, "not")) {
        negate = true;
        if ((rc = lex(p)) < 0)
            return rc;
        if (!is_word(&p->tok, "in") && !is_word(&p->tok, "like"))
            FAIL(p, p->tok.off, "expected 'in' or 'like' after 'not'");
    }
    ttype t = p->tok.t;
    if (t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE) {
        qexpr *e = node(p, Q_CMP, left->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->op = t == T_EQ ? OP_EQ : t == T_NE ? OP_NE : t == T_LT ? OP_LT : t == T_LE ? OP_LE : t == T_GT ? OP_GT : OP_GE;
        e->a = left;
        if ((rc = lex(p)) < 0 || (rc = parse_add(p, &e->b)) < 0)
            return rc;
        close_span(p, e);
        /* `field = "text"` compares bytes; for a typed field, whether the
         * text is a value of the type decides whether equal bytes are a
         * valid field (then nothing is left to check) */
        if (flowlog__is_text_equality(e)) {
            flowlog_addr a;
            e->lit_valid = e->a->ftype == FLOWLOG_TYPE_ENUM
                               ? flowlog__enum_parse(e->a->field, e->b->lit.s, e->b->lit.len) >= 0
                           : e->a->ftype == FLOWLOG_TYPE_ADDR
                               ? flowlog_addr_parse(e->b->lit.s, e->b->lit.len, &a) == FLOWLOG_OK
                               : true;
        }
        *out = e;
    } else if (is_word(&p->tok, "in")) {
        qexpr *e = node(p, Q_IN, left->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->a = left;
        e->negate = negate;
        if ((rc = lex(p)) < 0 || (rc = expect(p, T_LBRACK, "'[' after in")) < 0)
            return rc;
        e->args = alloc_code(p, 256 * sizeof *e->args);
        if (!e->args)
            return FLOWLOG_E_NOMEM;
        while (p->tok.t != T_RBRACK) {
            if (e->nargs == 256)
                FAIL(p, p->tok.off, "an in [...] list holds at most 256 values");
            if (e->nargs && (rc = expect(p, T_COMMA, "',' or ']'")) < 0)
                return rc;
            if ((rc = parse_add(p, &e->args[e->nargs])) < 0)
                return rc;
            e->nargs++;
        }
        if ((rc = lex(p)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    } else if (is_word(&p->tok, "like") || t == T_MATCH) {
        bool regex_only = t == T_MATCH;
        if ((rc = lex(p)) < 0)
            return rc;
        qexpr *e = node(p, Q_LIKE, left->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->a = left;
        e->negate = negate;
        if (p->tok.t == T_SLASH) {
            e->kind = Q_REGEX;
            if ((rc = parse_regex(p, e)) < 0)
                return rc;
        } else if (p->tok.t == T_STRING && !regex_only) {
            e->lit.type = FLOWLOG_VALUE_STRING;
            e->lit.s = p->tok.s;
            e->lit.len = p->tok.slen;
            if ((rc = lex(p)) < 0)
                return rc;
        } else if (p->tok.t == T_STRING) {
            FAIL(p, p->tok.off, "=~ takes a /regex/");
        } else {
            FAIL(p, p->tok.off, "expected \"text\" or /regex/");
        }
        close_span(p, e);
        *out = e;
    }
    return FLOWLOG_OK;
}

static int parse_not(parser *p, qexpr **out)
{
    if (is_word(&p->tok, "not")) {
        if (++p->depth > (int)p->q->max_depth) {
            flowlog__error_set(&p->q->err, p->tok.off, -1, "the query nests deeper than %zu", p->q->max_depth);
            return FLOWLOG_E_LIMIT;
        }
        qexpr *e = node(p, Q_NOT, p->tok.off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        int rc = lex(p);
        if (rc == FLOWLOG_OK)
            rc = parse_not(p, &e->a);
        p->depth--;
        if (rc < 0)
            return rc;
        close_span(p, e);
        *out = e;
        return FLOWLOG_OK;
    }
    return parse_cmp(p, out);
}

static int parse_and(parser *p, qexpr **out)
{
    int rc = parse_not(p, out);
    while (rc == FLOWLOG_OK && is_word(&p->tok, "and")) {
        qexpr *e = node(p, Q_AND, (*out)->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->a = *out;
        if ((rc = lex(p)) < 0 || (rc = parse_not(p, &e->b)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    }
    return rc;
}

static int parse_expr(parser *p, qexpr **out)
{
    if (++p->depth > (int)p->q->max_depth) {
        flowlog__error_set(&p->q->err, p->tok.off, -1, "the query nests deeper than %zu", p->q->max_depth);
        return FLOWLOG_E_LIMIT;
    }
    int rc = parse_and(p, out);
    while (rc == FLOWLOG_OK && is_word(&p->tok, "or")) {
        qexpr *e = node(p, Q_OR, (*out)->off);
        if (!e)
            return FLOWLOG_E_NOMEM;
        e->a = *out;
        if ((rc = lex(p)) < 0 || (rc = parse_and(p, &e->b)) < 0)
            return rc;
        close_span(p, e);
        *out = e;
    }
    p->depth--;
    return rc;
}

static bool contains_agg(const qexpr *e)
{
    if (!e)
        return false;
    if (e->kind == Q_AGG)
        return true;
    if (contains_agg(e->a) || contains_agg(e->b))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (contains_agg(e->args[i]))
            return true;
    return false;
}

/* An item of fields/stats/by: an expression with an optional `as name`. */
static int parse_item(parser *p, qexpr **expr, char **name)
{
    int rc = parse_expr(p, expr);
    if (rc < 0)
        return rc;
    size_t off = (*expr)->off, len = (*expr)->len;
    if ((*expr)->kind == Q_FIELD || (*expr)->kind == Q_TIMESTAMP || (*expr)->kind == Q_MESSAGE ||
        (*expr)->kind == Q_STREAM || (*expr)->kind == Q_LOG || (*expr)->kind == Q_COL || (*expr)->kind == Q_CAPTURE ||
        len == 0) {
        /* A bare name keeps the spelling the user wrote. */
        len = 0;
        while (off + len < p->len && (ident_char((unsigned char)p->src[off + len]) || p->src[off + len] == '`' ||
                                      p->src[off + len] == '-'))
            len++;
        if (len && p->src[off] == '`') {
            off++;
            len = 0;
            while (off + len < p->len && p->src[off + len] != '`')
                len++;
        }
    }
    if (is_word(&p->tok, "as")) {
        if ((rc = lex(p)) < 0)
            return rc;
        if (p->tok.t != T_IDENT)
            FAIL(p, p->tok.off, "expected a name after 'as'");
        off = p->tok.off + (p->tok.quoted ? 1 : 0);
        len = p->tok.slen;
        if ((rc = lex(p)) < 0)
            return rc;
    }
    *name = copy_text(p, p->src + off, len);
    return *name ? FLOWLOG_OK : FLOWLOG_E_NOMEM;
}

static int add_column(parser *p, char *name, qexpr *e, size_t off)
{
    flowlog_query *q = p->q;
    for (int i = 0; i < q->ncols; i++)
        if (strcmp(q->cols[i].name, name) == 0) {
            q->cols[i].expr = e;
            return i;
        }
    if (q->ncols == QUERY_MAX_COLS)
        FAIL(p, off, "too many columns (at most %d)", QUERY_MAX_COLS);
    q->cols[q->ncols].name = name;
    q->cols[q->ncols].expr = e;
    q->cols[q->ncols].is_bin = e && e->kind == Q_CALL && e->op == FN_BIN;
    return q->ncols++;
}

static int cmd_fields(parser *p)
{
    int rc;
    do {
        if (p->tok.t == T_COMMA && (rc = lex(p)) < 0)
            return rc;
        qexpr *e;
        char *name;
        size_t off = p->tok.off;
        if ((rc = parse_item(p, &e, &name)) < 0)
            return rc;
        if ((rc = add_column(p, name, e, off)) < 0)
            return rc;
        if (p->naliases < QUERY_MAX_COLS) {
            p->alias_name[p->naliases] = name;
            p->alias_expr[p->naliases++] = e;
        }
    } while (p->tok.t == T_COMMA);
    return FLOWLOG_OK;
}

static int cmd_stats(parser *p)
{
    flowlog_query *q = p->q;
    if (q->stats)
        FAIL(p, p->tok.off, "only one stats command is supported");
    q->stats = true;
    qexpr *items[QUERY_MAX_COLS];
    char *names[QUERY_MAX_COLS];
    int nitems = 0, rc;
    p->in_stats = true;
    do {
        if (p->tok.t == T_COMMA && (rc = lex(p)) < 0)
            return rc;
        if (nitems == QUERY_MAX_COLS)
            FAIL(p, p->tok.off, "too many columns (at most %d)", QUERY_MAX_COLS);
        size_t off = p->tok.off;
        if ((rc = parse_item(p, &items[nitems], &names[nitems])) < 0)
            return rc;
        if (!contains_agg(items[nitems]))
            FAIL(p, off, "stats needs an aggregate such as count(*) or sum(bytes)");
        nitems++;
    } while (p->tok.t == T_COMMA);
    p->in_stats = false;
    /* The columns are the group keys, then the aggregates. */
    q->ncols = 0;
    if (is_word(&p->tok, "by")) {
        do {
            if ((rc = lex(p)) < 0)
                return rc;
            if (q->nkeys == QUERY_MAX_KEYS)
                FAIL(p, p->tok.off, "too many group keys (at most %d)", QUERY_MAX_KEYS);
            qexpr *e;
            char *name;
            size_t off = p->tok.off;
            if ((rc = parse_item(p, &e, &name)) < 0)
                return rc;
            q->keys[q->nkeys++] = e;
            if ((rc = add_column(p, name, e, off)) < 0)
                return rc;
        } while (p->tok.t == T_COMMA);
    }
    for (int i = 0; i < nitems; i++)
        if ((rc = add_column(p, names[i], items[i], items[i]->off)) < 0)
            return rc;
    p->results = true;
    return FLOWLOG_OK;
}

static int cmd_sort(parser *p)
{
    flowlog_query *q = p->q;
    int rc;
    q->nsort = 0;
    do {
        if (p->tok.t == T_COMMA && (rc = lex(p)) < 0)
            return rc;
        if (q->nsort == QUERY_MAX_SORT)
            FAIL(p, p->tok.off, "too many sort keys (at most %d)", QUERY_MAX_SORT);
        qsort_key *k = &q->sort[q->nsort++];
        if ((rc = parse_expr(p, &k->expr)) < 0)
            return rc;
        k->desc = false;
        if (is_word(&p->tok, "desc") || is_word(&p->tok, "asc")) {
            k->desc = is_word(&p->tok, "desc");
            if ((rc = lex(p)) < 0)
                return rc;
        }
    } while (p->tok.t == T_COMMA);
    return FLOWLOG_OK;
}

/* A field the parse command makes: a name from then on. */
static int add_capture(parser *p, int parse, int capture, const char *name, size_t n, size_t off)
{
    qexpr *e = node(p, Q_CAPTURE, off);
    char *copy = copy_text(p, name, n);
    if (!e || !copy)
        return FLOWLOG_E_NOMEM;
    e->index = parse;
    e->op = capture;
    if (p->naliases == QUERY_MAX_COLS)
        FAIL(p, off, "too many names (at most %d)", QUERY_MAX_COLS);
    p->alias_name[p->naliases] = copy;
    p->alias_expr[p->naliases++] = e;
    return FLOWLOG_OK;
}

/* parse SOURCE "pattern with * for each field" as a, b
 * parse SOURCE /regex with (?<name>named) groups/ */
static int cmd_parse(parser *p, size_t at)
{
    flowlog_query *q = p->q;
    if (p->results)
        FAIL(p, at, "parse after stats is not supported: parse first");
    if (q->nparses == QUERY_MAX_PARSES)
        FAIL(p, at, "too many parse commands (at most %d)", QUERY_MAX_PARSES);
    int index = q->nparses;
    qparse *pp = &q->parses[index];
    memset(pp, 0, sizeof *pp);
    token src = p->tok;
    if (src.t != T_IDENT)
        FAIL(p, src.off, "parse needs the field to read, such as @message");
    int rc = resolve_name(p, &src, &pp->source);
    if (rc < 0 || (rc = lex(p)) < 0)
        return rc;
    if (p->tok.t == T_SLASH) {
        qexpr holder;
        memset(&holder, 0, sizeof holder);
        size_t re_at = p->tok.off;
        if ((rc = parse_regex(p, &holder)) < 0)
            return rc;
        pp->re = holder.re;
        const char *names[QUERY_MAX_CAPTURES];
        size_t lens[QUERY_MAX_CAPTURES];
        int n = flowlog__regex_names(pp->re, names, lens, pp->group, QUERY_MAX_CAPTURES);
        if (n == 0)
            FAIL(p, re_at, "parse /regex/ needs named groups, such as (?<port>\\d+)");
        for (int i = 0; i < n; i++)
            if ((rc = add_capture(p, index, i, names[i], lens[i], re_at)) < 0)
                return rc;
        pp->ncaptures = n;
    } else if (p->tok.t == T_STRING) {
        /* the literals around the stars */
        const char *s = p->tok.s;
        size_t n = p->tok.slen, from = 0, pat_at = p->tok.off;
        int stars = 0;
        for (size_t i = 0; i <= n; i++)
            if (i == n || s[i] == '*') {
                if (stars > QUERY_MAX_CAPTURES || (i < n && stars == QUERY_MAX_CAPTURES))
                    FAIL(p, pat_at, "a parse pattern may have at most %d stars", QUERY_MAX_CAPTURES);
                pp->lit[stars] = s + from;
                pp->lit_len[stars] = i - from;
                from = i + 1;
                stars += i < n;
            }
        if (stars == 0)
            FAIL(p, pat_at, "a parse pattern needs a * for each field it takes, as in \"srcport=*,\"");
        if ((rc = lex(p)) < 0)
            return rc;
        if (!is_word(&p->tok, "as"))
            FAIL(p, p->tok.off, "expected 'as' and %d name%s after the pattern", stars, stars == 1 ? "" : "s");
        int named = 0;
        do {
            if ((rc = lex(p)) < 0)
                return rc;
            if (p->tok.t != T_IDENT)
                FAIL(p, p->tok.off, "expected a name for the field of each *");
            if (named == stars)
                FAIL(p, p->tok.off, "the pattern has %d star%s, and more names follow", stars, stars == 1 ? "" : "s");
            if ((rc = add_capture(p, index, named, p->tok.s, p->tok.slen, p->tok.off)) < 0)
                return rc;
            named++;
            if ((rc = lex(p)) < 0)
                return rc;
        } while (p->tok.t == T_COMMA);
        if (named != stars)
            FAIL(p, p->tok.off, "the pattern has %d stars, and %d names follow", stars, named);
        pp->ncaptures = stars;
    } else {
        FAIL(p, p->tok.off, "parse needs a \"pattern with *\" and 'as' names, or a /regex/ with named groups");
    }
    q->nparses++;
    return FLOWLOG_OK;
}

/* dedup a, b: names of the result's columns. */
static int cmd_dedup(parser *p)
{
    flowlog_query *q = p->q;
    int rc;
    if (q->ndedup)
        FAIL(p, p->tok.off, "one dedup per query");
    do {
        if (p->tok.t == T_COMMA && (rc = lex(p)) < 0)
            return rc;
        token t = p->tok;
        if (t.t != T_IDENT)
            FAIL(p, t.off, "dedup needs the names of result columns");
        int found = -1;
        for (int i = 0; i < q->ncols && found < 0; i++)
            if (flowlog__name_equal(q->cols[i].name, strlen(q->cols[i].name), t.s, t.slen))
                found = i;
        if (found < 0)
            FAIL(p, t.off, "dedup %.*s: not a column of the result (name it in fields or stats first)", (int)t.slen,
                 t.s);
        q->dedup[q->ndedup++] = found;
        if ((rc = lex(p)) < 0)
            return rc;
    } while (p->tok.t == T_COMMA && q->ndedup < QUERY_MAX_COLS);
    return FLOWLOG_OK;
}

static int cmd_display(parser *p)
{
    flowlog_query *q = p->q;
    int rc;
    q->ndisplay = 0;
    do {
        if (p->tok.t == T_COMMA && (rc = lex(p)) < 0)
            return rc;
        size_t off = p->tok.off;
        qexpr *e;
        char *name;
        if ((rc = parse_item(p, &e, &name)) < 0)
            return rc;
        int col = -1;
        if (e->kind == Q_COL)
            col = e->index;
        else if (p->results)
            FAIL(p, off, "display after stats names result columns");
        else if ((col = add_column(p, name, e, off)) < 0)
            return col;
        if (q->ndisplay == QUERY_MAX_COLS)
            FAIL(p, off, "too many columns (at most %d)", QUERY_MAX_COLS);
        q->display[q->ndisplay++] = col;
    } while (p->tok.t == T_COMMA);
    return FLOWLOG_OK;
}

/* The end of a stage: the columns shown, and a bin() series' order. */
static int finish_columns(parser *p)
{
    flowlog_query *q = p->q;
    if (q->ndisplay == 0)
        for (int i = 0; i < q->ncols; i++)
            q->display[q->ndisplay++] = i;
    /* stats by bin() without a sort: in time order, whatever order the
     * files were read in, as the console shows a time series */
    for (int i = 0; q->stats && q->nsort == 0 && i < q->ncols; i++)
        if (q->cols[i].is_bin) {
            qexpr *e = node(p, Q_COL, 0);
            if (!e)
                return FLOWLOG_E_NOMEM;
            e->index = i;
            q->sort[q->nsort].expr = e;
            q->sort[q->nsort++].desc = false;
        }
    return FLOWLOG_OK;
}

int flowlog__query_parse(flowlog_query *q, const char *text, size_t len)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.q = q;
    p.src = text;
    p.len = len;
    q->limit = -1;
    int rc = lex(&p);
    if (rc < 0)
        return rc;
    if (p.tok.t == T_END)
        FAIL(&p, 0, "the query is empty");
    bool saw_fields = false;
    for (;;) {
        token cmd = p.tok;
        if (cmd.t != T_IDENT)
            FAIL(&p, cmd.off, "expected a command (fields, filter, stats, sort, limit, display)");
        if ((rc = lex(&p)) < 0)
            return rc;
        if (is_word(&cmd, "fields")) {
            if (p.results)
                FAIL(&p, cmd.off, "fields after stats is not supported; use display");
            if ((rc = cmd_fields(&p)) < 0)
                return rc;
            saw_fields = true;
        } else if (is_word(&cmd, "filter")) {
            qexpr *e;
            if ((rc = parse_expr(&p, &e)) < 0)
                return rc;
            if (p.results) {
                if (q->npost == (int)(sizeof q->post_filters / sizeof q->post_filters[0]))
                    FAIL(&p, cmd.off, "too many filter commands");
                q->post_filters[q->npost++] = e;
            } else {
                if (q->nfilters == (int)(sizeof q->filters / sizeof q->filters[0]))
                    FAIL(&p, cmd.off, "too many filter commands");
                q->filters[q->nfilters++] = e;
            }
        } else if (is_word(&cmd, "stats") && q->stats) {
            /* a second stats: the rest of the query is a stage over these rows */
            if ((rc = finish_columns(&p)) < 0)
                return rc;
            return flowlog__query_stage(q, text + cmd.off, len - cmd.off, cmd.off);
        } else if (is_word(&cmd, "stats")) {
            if ((rc = cmd_stats(&p)) < 0)
                return rc;
        } else if (is_word(&cmd, "sort")) {
            if ((rc = cmd_sort(&p)) < 0)
                return rc;
        } else if (is_word(&cmd, "limit") || is_word(&cmd, "head")) {
            if (p.tok.t != T_NUMBER || !p.tok.is_int)
                FAIL(&p, p.tok.off, "limit needs a whole number");
            q->limit = p.tok.ival;
            if ((rc = lex(&p)) < 0)
                return rc;
        } else if (is_word(&cmd, "display")) {
            if ((rc = cmd_display(&p)) < 0)
                return rc;
        } else if (is_word(&cmd, "dedup")) {
            if ((rc = cmd_dedup(&p)) < 0)
                return rc;
        } else if (is_word(&cmd, "parse")) {
            if ((rc = cmd_parse(&p, cmd.off)) < 0)
                return rc;
        } else if (is_word(&cmd, "unmask") ||
                   is_word(&cmd, "pattern") || is_word(&cmd, "diff") || is_word(&cmd, "anomaly")) {
            FAIL(&p, cmd.off, "the %.*s command is not supported", (int)cmd.slen, cmd.s);
        } else {
            FAIL(&p, cmd.off, "unknown command '%.*s' (fields, filter, stats, sort, limit, display, dedup, parse)",
                 (int)cmd.slen, cmd.s);
        }
        if (p.too_tall)
            return FLOWLOG_E_LIMIT;
        if (p.tok.t == T_END)
            break;
        if (p.tok.t != T_PIPE)
            FAIL(&p, p.tok.off, "expected '|' or the end of the query, found '%.*s'", (int)p.tok.len, p.src + p.tok.off);
        if ((rc = lex(&p)) < 0)
            return rc;
    }
    if (!q->stats && !saw_fields && q->ndisplay == 0 && !q->input) {
        /* What the console shows for a query without fields. */
        static const char *defaults[] = {"@timestamp", "@message"};
        for (int i = 0; i < 2; i++) {
            qexpr *e = node(&p, i == 0 ? Q_TIMESTAMP : Q_MESSAGE, 0);
            char *name = copy_text(&p, defaults[i], strlen(defaults[i]));
            if (!e || !name)
                return FLOWLOG_E_NOMEM;
            if ((rc = add_column(&p, name, e, 0)) < 0)
                return rc;
        }
    }
    return finish_columns(&p);
}

int flowlog__query_parse_alarm(flowlog_query *q, const char *text, size_t len, qexpr **out)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.q = q;
    p.src = text;
    p.len = len;
    p.results = true; /* names are the result's columns */
    int rc = lex(&p);
    if (rc < 0)
        return rc;
    if (p.tok.t == T_END)
        FAIL(&p, 0, "the alarm expression is empty");
    if ((rc = parse_expr(&p, out)) < 0)
        return rc;
    if (p.too_tall)
        return FLOWLOG_E_LIMIT;
    if (p.tok.t != T_END)
        FAIL(&p, p.tok.off, "expected the end of the alarm expression, found '%.*s'", (int)p.tok.len, p.src + p.tok.off);
    return FLOWLOG_OK;
}
