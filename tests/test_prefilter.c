/* The prefilter passes over records a consumer cannot use, and nothing
 * else: its scan agrees with a line-by-line definition in every
 * implementation, the reader with it counts every line exactly as without
 * it and returns every record that holds a needle, a query gives the same
 * rows with it as without, and a diagnosis the same state with its reader
 * attached as fed every record. The internal functions are reached through
 * the static library. */
#include "test_util.h"

#include <stdio.h>

#include "../src/read/prefilter.h"
#include "../src/cpu/cpu.h"

size_t flowlog__split(const char *line, size_t len, flowlog_span *out, size_t cap);

/* ---- the scan against its definition ---- */

/* A line the scan may pass over, judged byte by byte. */
static bool passable(const flowlog__prefilter *f, const char *line, size_t len)
{
    if (len == 0 || line[0] < '0' || line[0] > '9' || len > f->max_line)
        return false;
    /* Fields are counted as the reader does, without a final CR; a time
     * field's length is taken with it, which only makes the scan stop at
     * a line it could have passed over. */
    size_t counted = 0;
    for (size_t i = 0, end = line[len - 1] == '\r' ? len - 1 : len; i < end;) {
        if (line[i] == ' ') {
            i++;
            continue;
        }
        while (i < end && line[i] != ' ')
            i++;
        counted++;
    }
    if (counted != f->ncols)
        return false;
    size_t nfields = 0, field_start[FLOWLOG_MAX_COLUMNS + 1], field_len[FLOWLOG_MAX_COLUMNS + 1];
    for (size_t i = 0; i < len;) {
        if (line[i] == ' ') {
            i++;
            continue;
        }
        size_t s = i;
        while (i < len && line[i] != ' ')
            i++;
        if (nfields <= FLOWLOG_MAX_COLUMNS) {
            field_start[nfields] = s;
            field_len[nfields] = i - s;
        }
        nfields++;
    }
    for (int t = 0; t < 2; t++)
        if (f->time_cols[t] >= 0 && field_len[f->time_cols[t]] >= 12)
            return false;
    (void)field_start;
    for (size_t j = 0; j < f->nneedles; j++)
        for (size_t i = 0; i + f->needle_len[j] <= len; i++)
            if (memcmp(line + i, f->needle[j], f->needle_len[j]) == 0)
                return false;
    return true;
}

typedef size_t (*scan_fn)(const flowlog__prefilter *, flowlog__pf_work *, const char *, size_t,
                          flowlog__pf_stop *, size_t, size_t *, uint32_t *);

/* What the scan of p[0..len) must give, from the definition. */
static size_t scan_reference(const flowlog__prefilter *f, const char *p, size_t len, flowlog__pf_stop *stops,
                             size_t cap, size_t *nstops, uint32_t *tail)
{
    size_t n = len < FLOWLOG__PF_CHUNK ? len : FLOWLOG__PF_CHUNK, a = 0, ns = 0;
    uint32_t run = 0;
    for (size_t b = 0; b < n; b++) {
        if (p[b] != '\n')
            continue;
        if (passable(f, p + a, b - a)) {
            run++;
        } else {
            if (ns == cap)
                break;
            flowlog__prefilter bare = *f;
            bare.nneedles = 0;
            stops[ns].off = (uint32_t)a;
            stops[ns].end = (uint32_t)(b + 1);
            stops[ns].before = run;
            stops[ns].plain = passable(&bare, p + a, b - a);
            ns++;
            run = 0;
        }
        a = b + 1;
    }
    *nstops = ns;
    *tail = run;
    return a;
}

/* The lines passed over in p[0..judged), as the scan lists them (with
 * keep_passed): each its start and newline. */
static void check_passed(const flowlog__prefilter *f, const flowlog__pf_work *work, const char *p, size_t judged)
{
    size_t a = 0, np = 0;
    for (size_t b = 0; b < judged; b++) {
        if (p[b] != '\n')
            continue;
        if (passable(f, p + a, b - a)) {
            const flowlog__pf_passed *pl = &work->passed[np++];
            assert_int_equal(pl->off, a);
            assert_int_equal(pl->nl, b);
        }
        a = b + 1;
    }
}

static void check_scan(scan_fn fn, const flowlog__prefilter *f, const char *p, size_t len, size_t cap)
{
    static flowlog__pf_work work;
    flowlog__pf_stop want[FLOWLOG__PF_STOPS], got[FLOWLOG__PF_STOPS];
    size_t nwant, ngot;
    uint32_t twant, tgot;
    size_t bwant = scan_reference(f, p, len, want, cap, &nwant, &twant);
    size_t bgot = fn(f, &work, p, len, got, cap, &ngot, &tgot);
    assert_int_equal(bgot, bwant);
    assert_int_equal(ngot, nwant);
    assert_int_equal(tgot, twant);
    if (f->keep_passed)
        check_passed(f, &work, p, bgot);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(got[i].off, want[i].off);
        assert_int_equal(got[i].end, want[i].end);
        assert_int_equal(got[i].before, want[i].before);
        assert_int_equal(got[i].plain, want[i].plain);
        if (!got[i].plain)
            continue;
        /* A plain stop's fields, from the masks, are the split's. */
        const char *line = p + got[i].off;
        size_t linelen = got[i].end - got[i].off - 1;
        if (linelen && line[linelen - 1] == '\r')
            linelen--;
        flowlog_span fast[FLOWLOG_MAX_COLUMNS], slow[FLOWLOG_MAX_COLUMNS];
        size_t nf = flowlog__prefilter_spans(&work, p, got[i].off, got[i].off + linelen, fast, FLOWLOG_MAX_COLUMNS);
        size_t nsl = flowlog__split(line, linelen, slow, FLOWLOG_MAX_COLUMNS);
        assert_int_equal(nf, nsl);
        assert_int_equal(nf, f->ncols);
        for (size_t k = 0; k < nf; k++) {
            assert_ptr_equal(fast[k].ptr, slow[k].ptr);
            assert_int_equal(fast[k].len, slow[k].len);
        }
    }
}

/* Every level the processor has, each directly and through the dispatch,
 * against the reference definition. */
static void check_every_level(const flowlog__prefilter *f, const char *p, size_t len, size_t cap)
{
    static const scan_fn levels[] = {
        flowlog__prefilter_scan_scalar, flowlog__prefilter_scan_portable,
#if FLOWLOG_HAVE_AVX2
        flowlog__prefilter_scan_avx2,
#else
        NULL,
#endif
#if FLOWLOG_HAVE_AVX512
        flowlog__prefilter_scan_avx512,
#else
        NULL,
#endif
    };
    flowlog__prefilter at = *f;
    /* the newlines of the first chunk, as the reader indexes them */
    size_t n = len < FLOWLOG__PF_CHUNK ? len : FLOWLOG__PF_CHUNK, want = 0;
    static uint16_t pos[FLOWLOG__PF_CHUNK + 2], ref[FLOWLOG__PF_CHUNK + 2];
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n')
            ref[want++] = (uint16_t)i;
    for (int level = FLOWLOG_CPU_SCALAR; level <= flowlog__cpu_best(); level++) {
        if (!levels[level])
            continue;
        check_scan(levels[level], f, p, len, cap);
        at.cpu = level;
        check_scan(flowlog__prefilter_scan, &at, p, len, cap);
        assert_int_equal(flowlog__newlines(p, n, pos, level), want);
        assert_memory_equal(pos, ref, want * sizeof *pos);
    }
}

static void set_needles(flowlog__prefilter *f, const char *const *needles, size_t n)
{
    f->nneedles = n;
    f->longest = 0;
    for (size_t i = 0; i < n; i++) {
        f->needle_len[i] = strlen(needles[i]);
        memcpy(f->needle[i], needles[i], f->needle_len[i]);
        if (f->needle_len[i] > f->longest)
            f->longest = f->needle_len[i];
    }
}

/* Lines of a few fields, built to sit near every edge the scan judges: the
 * field count, twelve-byte time fields, the first byte, runs of spaces, CR,
 * tabs, needles whole and cut, blank lines, and lines around the 64-byte
 * blocks and the chunk's end. */
static size_t random_text(char *buf, size_t cap)
{
    static const char *const pieces[] = {"REJECT", "REJEC", "EJECT", "ACCEPT", "OK", "-", "10.0.0.1", "eni-1"};
    size_t n = 0;
    while (n + 300 < cap) {
        unsigned kind = next_rand() % 16;
        if (kind == 0) {
            buf[n++] = '\n';
            continue;
        }
        if (kind == 1) {
            size_t len = next_rand() % 200;
            for (size_t i = 0; i < len; i++)
                buf[n++] = "ab 1\t\r"[next_rand() % 6];
            buf[n++] = '\n';
            continue;
        }
        if (next_rand() % 8 == 0)
            buf[n++] = next_rand() % 2 ? ' ' : 'v';
        size_t fields = 4 + next_rand() % 4;
        for (size_t k = 0; k < fields; k++) {
            if (k)
                for (unsigned s = 1 + (next_rand() % 6 == 0); s; s--)
                    buf[n++] = ' ';
            unsigned what = next_rand() % 6;
            if (what < 3) {
                size_t digits = 1 + next_rand() % 14;
                for (size_t i = 0; i < digits; i++)
                    buf[n++] = (char)('0' + next_rand() % 10);
            } else {
                const char *piece = pieces[next_rand() % (sizeof pieces / sizeof pieces[0])];
                memcpy(buf + n, piece, strlen(piece));
                n += strlen(piece);
            }
        }
        if (next_rand() % 10 == 0)
            buf[n++] = next_rand() % 2 ? '\r' : ' ';
        if (next_rand() % 200 == 0) { /* a long field */
            size_t len = 64 + next_rand() % 200;
            memset(buf + n, '7', len);
            n += len;
        }
        buf[n++] = '\n';
    }
    return n;
}

static void scans_agree_with_the_definition(void **state)
{
    (void)state;
    static const char *const needle_sets[][2] = {{"REJECT", NULL}, {"OK", "10.0.0.1"}, {"R", NULL}};
    char *buf = malloc(FLOWLOG__PF_CHUNK + 4096);
    assert_non_null(buf);
    for (int round = 0; round < 300; round++) {
        size_t len = random_text(buf, FLOWLOG__PF_CHUNK + 4096);
        /* Start anywhere a line starts, and cut anywhere. */
        size_t from = 0;
        for (unsigned skip = next_rand() % 5; skip && from < len; skip--) {
            const char *nl = memchr(buf + from, '\n', len - from);
            from = nl ? (size_t)(nl - buf) + 1 : len;
        }
        size_t cut = from + next_rand() % (len - from + 1);
        flowlog__prefilter f;
        memset(&f, 0, sizeof f);
        f.ncols = 4 + next_rand() % 4;
        f.time_cols[0] = next_rand() % 3 ? (int)(next_rand() % f.ncols) : -1;
        f.time_cols[1] = next_rand() % 3 ? (int)(next_rand() % f.ncols) : -1;
        f.max_line = next_rand() % 4 ? 65536 : 40 + next_rand() % 80;
        int set = (int)(next_rand() % 4);
        if (set < 3)
            set_needles(&f, needle_sets[set], needle_sets[set][1] ? 2 : 1);
        f.keep_passed = next_rand() % 2;
        /* An exact-size copy, so the sanitizers see a read past its end. */
        char *exact = malloc(cut - from ? cut - from : 1);
        assert_non_null(exact);
        memcpy(exact, buf + from, cut - from);
        size_t cap = next_rand() % 8 ? FLOWLOG__PF_STOPS : next_rand() % 4;
        check_every_level(&f, exact, cut - from, cap);
        free(exact);
    }
    free(buf);
}

/* A time field of exactly eleven and twelve bytes, at every offset of a
 * 64-byte block, since the scan reads a field's length across two words. */
static void time_field_lengths_at_every_offset(void **state)
{
    (void)state;
    flowlog__prefilter f;
    memset(&f, 0, sizeof f);
    f.ncols = 3;
    f.time_cols[0] = 1;
    f.time_cols[1] = -1;
    f.max_line = 65536;
    char buf[512];
    for (size_t pad = 1; pad < 140; pad++) {
        for (size_t tlen = 10; tlen <= 13; tlen++) {
            size_t n = 0;
            memset(buf + n, '1', pad);
            n += pad;
            buf[n++] = ' ';
            memset(buf + n, '2', tlen);
            n += tlen;
            memcpy(buf + n, " x\n9 1 2\n", 9);
            n += 9;
            check_every_level(&f, buf, n, FLOWLOG__PF_STOPS);
            flowlog__pf_stop stops[4];
            size_t ns;
            uint32_t tail;
            static flowlog__pf_work work;
            size_t judged = flowlog__prefilter_scan(&f, &work, buf, n, stops, 4, &ns, &tail);
            assert_int_equal(judged, n);
            assert_int_equal(ns, tlen >= 12 ? 1 : 0);
            assert_int_equal(tail, tlen >= 12 ? 1 : 2);
        }
    }
}

/* ---- the scan on a second thread ---- */

#include "../src/read/reader_internal.h"

/* Chunk after chunk judged ahead is what the scan gives there, and a
 * restart anywhere, even with another prefilter, judges from there. */
static void chunks_judged_ahead_are_the_scans(void **state)
{
    (void)state;
    size_t cap = 600000;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t len = random_text(buf, cap);
    flowlog_allocator a = {0};
    assert_int_equal(flowlog__allocator_init(&a, NULL), FLOWLOG_OK);
    flowlog__ahead *h;
    assert_int_equal(flowlog__ahead_new(&h, &a), FLOWLOG_OK);
    static flowlog__pf_work work;
    flowlog__pf_stop stops[FLOWLOG__PF_STOPS];
    for (int round = 0; round < 6; round++) {
        flowlog__prefilter f;
        memset(&f, 0, sizeof f);
        f.ncols = 4 + next_rand() % 4;
        f.time_cols[0] = (int)(next_rand() % f.ncols);
        f.time_cols[1] = -1;
        f.max_line = 65536;
        f.keep_passed = round % 2;
        const char *const needles[] = {round % 3 ? "REJECT" : "10.0.0.1"};
        set_needles(&f, needles, 1);
        size_t at = round ? next_rand() % (len / 2) : 0;
        while (at && buf[at - 1] != '\n')
            at++;
        flowlog__ahead_restart(h, &f, buf, at, len);
        size_t chunks = 0;
        while (at < len) {
            const flowlog__ahead_chunk *c = flowlog__ahead_take(h, &f, buf, at);
            assert_non_null(c);
            size_t nstops;
            uint32_t tail;
            size_t judged = flowlog__prefilter_scan(&f, &work, buf + at, len - at, stops, FLOWLOG__PF_STOPS, &nstops, &tail);
            assert_int_equal(c->at, at);
            assert_int_equal(c->judged, judged);
            assert_int_equal(c->nstops, nstops);
            assert_int_equal(c->tail, tail);
            assert_memory_equal(c->stops, stops, nstops * sizeof stops[0]);
            if (f.keep_passed)
                check_passed(&f, &c->wk, buf + at, judged);
            if (!judged)
                break;
            at += judged;
            chunks++;
            /* now and then the reader goes elsewhere, as after a header */
            if (next_rand() % 50 == 0 && at < len) {
                f.ncols = 4 + (f.ncols - 3) % 4; /* another schema */
                f.time_cols[0] = (int)(next_rand() % f.ncols);
                assert_null(flowlog__ahead_take(h, &f, buf, at));
                flowlog__ahead_restart(h, &f, buf, at, len);
            }
        }
        assert_true(chunks > 10);
        /* judged to the end: nothing more */
        if (at >= len)
            assert_null(flowlog__ahead_take(h, &f, buf, at));
    }
    flowlog__ahead_restart(h, NULL, NULL, 0, 0);
    flowlog__ahead_free(h);
    free(buf);
}

/* ---- the reader with and without it ---- */

typedef struct seen {
    uint64_t counts[10];
    char *needled;      /* "line_no:text\n" of every record holding a needle */
    size_t needled_len, needled_cap;
    char *errors;       /* "line_no:message\n" of every error */
    size_t errors_len, errors_cap;
    uint64_t returned;
} seen;

static void append(char **buf, size_t *len, size_t *cap, uint64_t line, const char *text, size_t n)
{
    char head[32];
    int h = snprintf(head, sizeof head, "%llu:", (unsigned long long)line);
    if (*len + (size_t)h + n + 2 > *cap) {
        *cap = (*len + (size_t)h + n + 2) * 2;
        *buf = realloc(*buf, *cap);
        assert_non_null(*buf);
    }
    memcpy(*buf + *len, head, (size_t)h);
    memcpy(*buf + *len + h, text, n);
    *len += (size_t)h + n;
    (*buf)[(*len)++] = '\n';
    (*buf)[*len] = '\0';
}

static bool holds(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0)
            return true;
    return false;
}

/* needle "": no prefilter, but a consumer that reads two fields, whose
 * plain lines come from the scan with their fields found as read. */
static void read_all(const char *data, size_t len, const char *needle, size_t chunk, size_t max_line, seen *out)
{
    memset(out, 0, sizeof *out);
    flowlog_reader *r = lazy_reader(data, len, chunk, max_line);
    if (needle && !*needle) {
        const uint32_t few[] = {FLOWLOG_FIELD_DSTADDR, FLOWLOG_FIELD_ACTION};
        assert_int_equal(flowlog_reader_set_fields(r, few, 2), FLOWLOG_OK);
    } else if (needle) {
        flowlog_span sp = {needle, strlen(needle)};
        assert_int_equal(flowlog_reader_set_prefilter(r, &sp, 1), FLOWLOG_OK);
    }
    size_t pos = 0;
    for (;;) {
        flowlog_record *rec;
        int rc = next_pushing(r, &rec, data, len, chunk, &pos);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_OK) {
            out->returned++;
            flowlog_span line = flowlog_record_line(rec);
            if (holds(line.ptr, line.len, "REJECT")) {
                append(&out->needled, &out->needled_len, &out->needled_cap, flowlog_reader_line(r), line.ptr,
                       line.len);
                /* Every field too, last first (the reader may fill them
                 * as they are asked for), each as "[text]". */
                char fields[1024];
                size_t used = 0, ncols = flowlog_schema_column_count(flowlog_record_schema(rec));
                for (size_t c = ncols; c-- > 0;) {
                    flowlog_span sp;
                    assert_int_equal(flowlog_record_column(rec, c, &sp), FLOWLOG_OK);
                    used += (size_t)snprintf(fields + used, sizeof fields - used, "[%.*s]", (int)sp.len, sp.ptr);
                    assert_true(used < sizeof fields);
                }
                append(&out->needled, &out->needled_len, &out->needled_cap, flowlog_reader_line(r), fields, used);
            }
        } else {
            const char *msg = flowlog_reader_error_message(r);
            append(&out->errors, &out->errors_len, &out->errors_cap, flowlog_reader_line(r), msg, strlen(msg));
        }
    }
    for (int c = 1; c < 10; c++)
        out->counts[c] = flowlog_reader_count(r, c);
    flowlog_reader_free(r);
}

static void seen_free(seen *s)
{
    free(s->needled);
    free(s->errors);
}

static size_t line_of(char *buf, size_t n, unsigned kind)
{
    static const char *const actions[] = {"ACCEPT", "REJECT"};
    switch (kind) {
    case 0:
        return (size_t)snprintf(buf, n, "\n");
    case 1:
        return (size_t)snprintf(buf, n, "version account-id interface-id srcaddr dstaddr srcport dstport "
                                        "protocol packets bytes start end action log-status\n");
    case 2: /* a header for a shorter format */
        return (size_t)snprintf(buf, n, "version srcaddr dstaddr action start end\n");
    case 3: /* the short format's record */
        return (size_t)snprintf(buf, n, "5 10.0.0.%u 10.0.1.%u %s %u %u\n", next_rand() % 256, next_rand() % 256,
                                actions[next_rand() % 2], 1600000000u + next_rand() % 1000, 1600000060u);
    case 4: /* milliseconds */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000123 1600000060123 %s OK\n",
                                actions[next_rand() % 2]);
    case 5: /* too few fields */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-1 10.0.0.1 REJECT OK\n");
    case 6: /* CRLF */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-2 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 %s OK\r\n",
                                actions[next_rand() % 2]);
    case 10: /* CRLF after a space: one field fewer once the CR goes */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-2 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 ACCEPT \r\n");
    case 11: /* CRLF after a space, the right count once the CR goes */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-2 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 ACCEPT OK \r\n");
    case 7: /* a transit-gateway record among VPC records */
        return (size_t)snprintf(buf, n, "TransitGateway tgw-1 REJECT\n");
    case 12: { /* longer than a chunk of the scan: a line it cannot judge */
        size_t len = (size_t)snprintf(buf, n, "2 123456789012 eni-4 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 REJECT OK ");
        while (len < 20000 && len + 2 < n)
            buf[len++] = 'x';
        buf[len++] = '\n';
        return len;
    }
    case 8: /* longer than the reader's limit in some runs */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-3 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 %s OK %0200u\n",
                                actions[next_rand() % 2], 7u);
    default: /* the common record */
        return (size_t)snprintf(buf, n, "2 123456789012 eni-%u 10.0.%u.%u 10.1.%u.%u %u %u 6 %u %u 1600000000 1600000060 %s OK\n",
                                next_rand() % 9, next_rand() % 256, next_rand() % 256, next_rand() % 256,
                                next_rand() % 256, next_rand() % 65536, next_rand() % 65536, 1 + next_rand() % 99,
                                next_rand() % 99999, actions[next_rand() % 5 == 0]);
    }
}

/* The same counts, errors, and lines with a needle (every field of them). */
static void assert_seen_alike(const seen *a, const seen *b)
{
    assert_memory_equal(a->counts, b->counts, sizeof a->counts);
    assert_int_equal(a->errors_len, b->errors_len);
    if (a->errors_len)
        assert_string_equal(a->errors, b->errors);
    assert_int_equal(a->needled_len, b->needled_len);
    if (a->needled_len)
        assert_string_equal(a->needled, b->needled);
}

static void reader_counts_alike_with_and_without(void **state)
{
    (void)state;
    size_t cap = 400000;
    char *data = malloc(cap);
    assert_non_null(data);
    for (int round = 0; round < 40; round++) {
        size_t len = 0;
        unsigned special = 2 + next_rand() % 30; /* how rare the unusual lines are */
        while (len + 400 < cap) {
            unsigned kind = next_rand() % special;
            len += line_of(data + len, cap - len, kind < 9 ? kind : kind < 11 ? kind + 1 : 9);
            if (next_rand() % 5000 == 0 && len + 20400 < cap)
                len += line_of(data + len, cap - len, 12);
        }
        if (next_rand() % 2)
            len--; /* no final newline */
        size_t max_line = next_rand() % 2 ? 65536 : 180;
        seen plain, filtered, few;
        size_t chunk = next_rand() % 3 ? 0 : 1 + next_rand() % 70000;
        read_all(data, len, NULL, chunk, max_line, &plain);
        read_all(data, len, "REJECT", chunk, max_line, &filtered);
        read_all(data, len, "", chunk, max_line, &few);
        /* fields found from the scan's masks are the split's, every record returned */
        assert_seen_alike(&plain, &few);
        assert_int_equal(plain.returned, few.returned);
        seen_free(&few);
        assert_seen_alike(&plain, &filtered);
        assert_true(filtered.returned <= plain.returned);
        seen_free(&plain);
        seen_free(&filtered);
    }
    free(data);
}

static void records_are_passed_over(void **state)
{
    (void)state;
    char data[4096];
    size_t len = 0;
    for (int i = 0; i < 30; i++)
        len += (size_t)snprintf(data + len, sizeof data - len,
                                "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 %s OK\n",
                                i % 10 == 3 ? "REJECT" : "ACCEPT");
    seen s;
    read_all(data, len, "REJECT", 0, 65536, &s);
    assert_int_equal(s.counts[FLOWLOG_COUNT_RECORDS], 30);
    /* The first line of an input is read the general way, which tells the
     * input's form; after it, only the three with the needle. */
    assert_in_range(s.returned, 3, 4);
#define FIELDS "[OK][REJECT][1600000060][1600000000][1][1][6][2][1][10.0.0.2][10.0.0.1][eni-1][1][2]\n"
    assert_string_equal(s.needled, "4:2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 REJECT OK\n4:" FIELDS
                                   "14:2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 REJECT OK\n14:" FIELDS
                                   "24:2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1600000000 1600000060 REJECT OK\n24:" FIELDS);
#undef FIELDS
    seen_free(&s);
}

static void bad_needles_are_refused(void **state)
{
    (void)state;
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    char big[FLOWLOG_PREFILTER_MAX_NEEDLE + 1];
    memset(big, 'x', sizeof big);
    flowlog_span five[5] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}};
    flowlog_span empty = {"", 0}, toolong = {big, sizeof big}, longest = {big, sizeof big - 1};
    assert_int_equal(flowlog_reader_set_prefilter(r, five, 5), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_reader_set_prefilter(r, &empty, 1), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_reader_set_prefilter(r, &toolong, 1), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_reader_set_prefilter(r, NULL, 1), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_reader_set_prefilter(NULL, five, 1), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_reader_set_prefilter(r, &longest, 1), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set_prefilter(r, five, 4), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set_prefilter(r, NULL, 0), FLOWLOG_OK);
    flowlog_reader_free(r);
}

/* ---- a diagnosis with the reader attached ---- */

/* Addresses that make the client's text a trap as well as a match:
 * 10.0.0.1 is in 110.0.0.1 and begins 10.0.0.100. */
static const char *const diag_addrs[] = {"10.0.0.1", "10.0.0.2",  "10.0.0.3",   "10.0.0.0", "10.0.0.5",
                                         "10.0.0.6", "110.0.0.1", "10.0.0.100", "10.0.1.1"};
#define NADDRS (sizeof diag_addrs / sizeof diag_addrs[0])

/* A line of a file in the default format (v5 = false) or with flow
 * direction, packet addresses and tcp-flags (v5 = true). ENIs 0 to 3 own
 * one address each, which is in every record they log; the others log
 * anything. */
static size_t diag_line(char *buf, size_t n, bool v5)
{
    static const char *const actions[] = {"ACCEPT", "REJECT"};
    static const unsigned protos[] = {6, 6, 6, 17, 1};
    static const unsigned ports[] = {443, 22, 3306, 40000, 40001, 65535};
    unsigned kind = next_rand() % 40;
    if (kind == 0 || kind == 1)
        return (size_t)snprintf(buf, n, "2 123456789012 eni-%u - - - - - - - 1600000000 1600000060 - %s%s%s\n",
                                next_rand() % 6, kind ? "SKIPDATA" : "NODATA", v5 ? " - - - -" : "",
                                (const char *[]){"", "", "", "\r", " ", " \r"}[next_rand() % 6]);
    if (kind == 2 && !v5)
        return line_of(buf, n, next_rand() % 9); /* a header, an error, milliseconds, CRLF, ... */
    unsigned eni = next_rand() % 6;
    char far[2][16]; /* most traffic is with addresses far from the question's */
    snprintf(far[0], sizeof far[0], "10.9.%u.%u", next_rand() % 256, next_rand() % 256);
    snprintf(far[1], sizeof far[1], "10.9.%u.%u", next_rand() % 256, next_rand() % 256);
    const char *own = diag_addrs[eni], *other = next_rand() % 4 ? far[0] : diag_addrs[next_rand() % NADDRS];
    if (eni >= 4 && next_rand() % 4)
        own = far[1];
    const char *src = own, *dst = other;
    if (eni >= 4 || next_rand() % 2) {
        src = eni >= 4 ? diag_addrs[next_rand() % NADDRS] : other;
        dst = eni >= 4 ? other : own;
    }
    /* a record without a flow direction, of neither address: its ENI's
     * own address from all records is none, from the direction still one */
    bool undirected = v5 && next_rand() % 10 == 0;
    if (undirected)
        src = dst = far[0];
    unsigned sport = ports[next_rand() % 6], dport = ports[next_rand() % 6];
    unsigned start = 1600000000u + next_rand() % 600;
    /* now and then a port written with a leading zero, which reads as the port */
    int len = snprintf(buf, n, "2 123456789012 eni-%u %s %s %u %s%u %u %u %u %u %u %s OK", eni, src, dst, sport,
                       next_rand() % 40 ? "" : "0", dport,
                       protos[next_rand() % 5], 1 + next_rand() % 9, 40 + next_rand() % 999, start, start + 60,
                       actions[next_rand() % 4 == 0]);
    if (v5) {
        /* the packet addresses differ now and then, as behind a NAT gateway */
        bool nat = next_rand() % 5 == 0;
        len += snprintf(buf + len, n - (size_t)len, " %s %s %s %u", undirected ? "-" : (src == own) != (next_rand() % 30 == 0) ? "egress" : "ingress",
                        nat ? diag_addrs[next_rand() % NADDRS] : src, nat ? diag_addrs[next_rand() % NADDRS] : dst,
                        next_rand() % 2 ? 2u : 18u);
    }
    len += snprintf(buf + len, n - (size_t)len, "%s\n", next_rand() % 50 ? "" : "\r");
    return (size_t)len;
}

/* Diagnose the whole of data: with the reader attached (and whether it
 * took), or fed every record. Gives the state's bytes and the reader's
 * counts. */
static unsigned char *diagnosed(const char *data, size_t len, const char *const q[4], bool window, bool attach,
                                size_t chunk, int *took, size_t *size, uint64_t counts[10], uint64_t *returned)
{
    flowlog_diag *d;
    unsigned lo = (unsigned)atoi(q[2]), hi = strchr(q[2], '-') ? (unsigned)atoi(strchr(q[2], '-') + 1) : lo;
    assert_int_equal(flowlog_diag_new(&d, q[0], q[1], lo, hi, atoi(q[3]), NULL), FLOWLOG_OK);
    if (window)
        assert_int_equal(flowlog_diag_set_window(d, 1600000200, 1600000400), FLOWLOG_OK);
    flowlog_reader *r = lazy_reader(data, len, chunk, 180);
    *took = attach ? flowlog_diag_attach_reader(d, r) : 0;
    assert_true(*took >= 0);
    size_t pos = 0;
    *returned = 0;
    for (;;) {
        flowlog_record *rec;
        int rc = next_pushing(r, &rec, data, len, chunk, &pos);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_OK) {
            ++*returned;
            assert_int_equal(flowlog_diag_feed(d, rec, flowlog_reader_stream(r)), FLOWLOG_OK);
        }
    }
    for (int c = 1; c < 10; c++)
        counts[c] = flowlog_reader_count(r, c);
    flowlog_reader_free(r);
    assert_int_equal(flowlog_diag_serialize(d, NULL, 0, size), FLOWLOG_OK);
    unsigned char *bytes = malloc(*size);
    assert_non_null(bytes);
    assert_int_equal(flowlog_diag_serialize(d, bytes, *size, size), FLOWLOG_OK);
    flowlog_diag_free(d);
    return bytes;
}

static void diagnoses_alike_attached_or_not(void **state)
{
    (void)state;
    static const char *const questions[][4] = {
        {"10.0.0.1", "10.0.0.2", "443", "6"},       {"10.0.0.1", "any", "443", "6"},
        {"10.0.0.1/32", "10.0.0.0/24", "1-65535", "6"}, {"10.0.0.0/31", "10.0.0.3", "22", "6"},
        {"10.0.0.0/30", "10.0.0.2", "40000-40001", "17"}, {"10.0.0.2", "10.0.0.1", "0", "1"},
        {"10.0.0.5", "10.0.0.6", "3306", "6"},      {"10.0.0.0/24", "10.0.0.2", "443", "6"},
        {"any", "10.0.0.2", "443", "6"},            {"::1", "10.0.0.2", "443", "6"},
        {"10.0.0.0/24", "any", "443", "6"},         {"any", "any", "3306", "17"},
        {"10.0.0.0/16", "10.0.0.0/24", "40000", "6"}, {"10.0.0.0/24", "::1", "443", "6"},
        {"10.0.0.0/24", "any", "22", "1"},          {"10.0.0.0/30", "10.0.0.2", "40001", "6"},
    };
    size_t cap = 300000; /* past the size at which the scan runs ahead */
    char *data = malloc(cap);
    assert_non_null(data);
    uint64_t passed_over = 0;
    for (int round = 0; round < 60; round++) {
        bool v5 = round % 2;
        size_t len = 0;
        if (v5)
            len += (size_t)snprintf(data, cap,
                                    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
                                    "bytes start end action log-status flow-direction pkt-srcaddr pkt-dstaddr tcp-flags\n");
        while (len + 400 < cap)
            len += diag_line(data + len, cap - len, v5);
        const char *const *q = questions[next_rand() % (sizeof questions / sizeof questions[0])];
        size_t chunk = next_rand() % 3 ? 0 : 1 + next_rand() % 30000;
        bool window = next_rand() % 4 == 0;
        int took_plain, took;
        size_t size_plain, size;
        uint64_t counts_plain[10], counts[10], returned_plain, returned;
        unsigned char *plain, *attached;
        plain = diagnosed(data, len, q, window, false, chunk, &took_plain, &size_plain, counts_plain, &returned_plain);
        attached = diagnosed(data, len, q, window, true, chunk, &took, &size, counts, &returned);
        /* an IPv4 client of at most 4 addresses, and the server too where it
         * is one address: at most 4 needles; otherwise one port of three
         * digits or more, not ICMP, and the server's address where it is
         * one IPv4 address */
        bool server_v6 = strchr(q[1], ':') != NULL, server_one = !server_v6 && strcmp(q[1], "any") && !strchr(q[1], '/');
        int prefix = strchr(q[0], '/') ? atoi(strchr(q[0], '/') + 1) : 32;
        bool by_client = strchr(q[0], '.') && prefix >= 30 && (1 << (32 - prefix)) + server_one <= 4 && !server_v6;
        bool by_port = !strchr(q[2], '-') && atoi(q[2]) >= 100 && atoi(q[3]) != 1 && !server_v6;
        assert_int_equal(took, by_client || by_port ? 1 : 0);
        assert_memory_equal(counts_plain + 1, counts + 1, 9 * sizeof counts[0]);
        assert_int_equal(size_plain, size);
        assert_memory_equal(plain, attached, size);
        assert_true(returned <= returned_plain);
        passed_over += returned_plain - returned;
        free(plain);
        free(attached);
    }
    /* and it did pass over most records */
    assert_true(passed_over > 60 * 500);
    free(data);
}

/* ---- queries ---- */

static flowlog_query *compiled(const char *text)
{
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, text, strlen(text)), FLOWLOG_OK);
    return q;
}

/* The needles of a query, joined with '|' ("" for none). */
static void needles_are(const char *text, const char *want)
{
    flowlog_query *q = compiled(text);
    flowlog_span sp[FLOWLOG_PREFILTER_MAX_NEEDLES];
    size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
    assert_int_equal(flowlog_query_prefilter(q, sp, &n), FLOWLOG_OK);
    char got[512] = "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(got, "|");
        strncat(got, sp[i].ptr, sp[i].len);
    }
    if (strcmp(got, want) != 0)
        fail_msg("query %s: needles '%s', want '%s'", text, got, want);
    flowlog_query_free(q);
}

static void query_needles(void **state)
{
    (void)state;
    needles_are("filter action = \"REJECT\"", "REJECT");
    needles_are("filter action = \"REJECT\" | stats count(*) by dstport", "REJECT");
    needles_are("filter action = \"REJECT\" and srcaddr = \"10.0.0.1\"", "10.0.0.1");
    needles_are("filter action = \"REJECT\" | filter srcaddr = \"10.0.0.1\"", "10.0.0.1");
    needles_are("filter action = \"REJECT\" or action = \"ACCEPT\"", "REJECT|ACCEPT");
    needles_are("filter (srcaddr = \"10.0.0.1\" or dstaddr = \"10.0.0.1\") and action = \"REJECT\"", "REJECT");
    needles_are("filter @message like \"eni-0abc\"", "eni-0abc");
    needles_are("filter action != \"REJECT\"", "");
    needles_are("filter not action = \"REJECT\"", "");
    needles_are("filter @message not like \"x\"", "");
    needles_are("filter dstport = 443", "");
    /* an IPv4 field in a network: the network's whole octets, as text */
    needles_are("filter isIpv4InSubnet(srcAddr, \"10.0.0.0/8\")", "10.");
    needles_are("filter isIpInSubnet(dstAddr, \"10.1.0.0/16\")", "10.1.");
    needles_are("filter isIpv4InSubnet(srcAddr, \"172.16.0.0/12\")", "172.");
    needles_are("filter isIpv4InSubnet(srcAddr, \"10.1.2.3/32\")", "10.1.2.3");
    needles_are("filter isIpv4InSubnet(srcAddr, \"10.1.2.0/23\") and action = \"REJECT\"", "REJECT"); /* the longer */
    needles_are("filter isIpv4InSubnet(srcAddr, \"0.0.0.0/0\")", "");
    needles_are("filter isIpv4InSubnet(srcAddr, \"10.0.0.0/7\")", "");
    needles_are("filter isIpInSubnet(srcAddr, \"2001:db8::/32\")", "");
    needles_are("filter not isIpv4InSubnet(srcAddr, \"10.0.0.0/8\")", "");
    needles_are("filter dstport = \"443\"", "");
    needles_are("filter action = \"REJECT\" or dstport = 22", "");
    needles_are("filter srcaddr like \"10.0\"", "");
    needles_are("filter action = \"\"", "");
    needles_are("stats count(*) as n by action | filter action = \"REJECT\"", "");
    needles_are("filter action = \"A\" or action = \"B\" or action = \"C\" or action = \"D\"", "A|B|C|D");
    needles_are("filter action = \"A\" or action = \"B\" or action = \"C\" or action = \"D\" or action = \"E\"", "");
    needles_are("fields srcaddr", "");

    flowlog_query *q = compiled("filter action = \"A\" or action = \"B\"");
    flowlog_span sp[1];
    size_t n = 1;
    assert_int_equal(flowlog_query_prefilter(q, sp, &n), FLOWLOG_OK);
    assert_int_equal(n, 0); /* two do not fit in one */
    assert_int_equal(flowlog_query_prefilter(q, NULL, &n), FLOWLOG_OK);
    assert_int_equal(flowlog_query_prefilter(q, sp, NULL), FLOWLOG_E_ARG);
    flowlog_query_free(q);
    flowlog_query *fresh;
    assert_int_equal(flowlog_query_new(&fresh, NULL), FLOWLOG_OK);
    n = 1;
    assert_int_equal(flowlog_query_prefilter(fresh, sp, &n), FLOWLOG_E_ARG);
    flowlog_query_free(fresh);
}

/* Every row of a query run over data, as text, with or without the
 * reader's prefilter for the query's needles. */
static char *run_query(const char *text, const char *data, size_t len, bool prefilter)
{
    flowlog_query *q = compiled(text);
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0), FLOWLOG_OK);
    if (prefilter) {
        flowlog_span sp[FLOWLOG_PREFILTER_MAX_NEEDLES];
        size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
        assert_int_equal(flowlog_query_prefilter(q, sp, &n), FLOWLOG_OK);
        assert_true(n > 0);
        assert_int_equal(flowlog_reader_set_prefilter(r, sp, n), FLOWLOG_OK);
    }
    assert_int_equal(flowlog_reader_add_memory(r, data, len, "t"), FLOWLOG_OK);
    size_t cap = 1 << 16, used = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    size_t ncols = flowlog_query_column_count(q);
    for (bool finished = false;;) {
        flowlog_record *rec;
        int rc = finished ? FLOWLOG_END : flowlog_reader_next(r, &rec);
        int qrc = FLOWLOG_ABSENT;
        if (rc == FLOWLOG_OK)
            qrc = flowlog_query_feed(q, rec, flowlog_reader_stream(r));
        else if (rc == FLOWLOG_END && !finished) {
            assert_int_equal(flowlog_query_finish(q), FLOWLOG_OK);
            finished = true;
        }
        if (finished)
            qrc = flowlog_query_next_row(q) == FLOWLOG_OK ? FLOWLOG_OK : FLOWLOG_END;
        if (qrc == FLOWLOG_END && finished)
            break;
        if (qrc != FLOWLOG_OK)
            continue;
        for (size_t c = 0; c < ncols; c++) {
            flowlog_value v;
            assert_int_equal(flowlog_query_cell(q, c, &v), FLOWLOG_OK);
            char cell[128];
            int k = v.type == FLOWLOG_VALUE_STRING ? snprintf(cell, sizeof cell, "%.*s,", (int)v.len, v.s)
                  : v.type == FLOWLOG_VALUE_FLOAT  ? snprintf(cell, sizeof cell, "%g,", v.f)
                                                   : snprintf(cell, sizeof cell, "%lld,", (long long)v.i);
            if (used + (size_t)k + 2 > cap) {
                cap *= 2;
                out = realloc(out, cap);
                assert_non_null(out);
            }
            memcpy(out + used, cell, (size_t)k);
            used += (size_t)k;
        }
        out[used++] = '\n';
        out[used] = '\0';
    }
    flowlog_reader_free(r);
    flowlog_query_free(q);
    return out;
}

static void queries_answer_alike(void **state)
{
    (void)state;
    static const char *const queries[] = {
        "filter action = \"REJECT\" | stats count(*) as n by dstport | sort n desc, dstport asc | limit 10",
        "filter action = \"REJECT\" | fields srcaddr, dstaddr, dstport",
        "filter action = \"REJECT\" and `interface-id` = \"eni-3\" | stats sum(bytes) by dstaddr | sort dstaddr",
        "filter @message like \"eni-3\" | stats count(*), min(start), max(end)",
        "filter action = \"ACCEPT\" or action = \"REJECT\" | stats count(*) by action | sort action",
        "filter action = \"REJECT\" | stats count(*) by bin(5m) | sort 1",
        "filter isIpv4InSubnet(srcaddr, \"10.0.7.0/24\") | stats count(*), sum(bytes) by dstport | sort dstport",
        ("filter isIpInSubnet(dstaddr, \"10.1.0.0/16\") and isIpv4InSubnet(srcaddr, \"10.0.200.0/22\") "
         "| stats count(*) by action | sort action"),
        "filter isIpv4InSubnet(srcaddr, \"10.0.0.1/32\") or isIpv4InSubnet(dstaddr, \"10.1.9.0/24\") | stats count(*)",
    };
    size_t cap = 600000, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    while (len + 400 < cap)
        len += line_of(data + len, cap - len, next_rand() % 40 == 0 ? next_rand() % 9 : 9);
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        char *plain = run_query(queries[i], data, len, false);
        char *filtered = run_query(queries[i], data, len, true);
        if (plain[0] == '\0')
            fail_msg("no rows from %s", queries[i]);
        assert_string_equal(plain, filtered);
        free(plain);
        free(filtered);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scans_agree_with_the_definition),
        cmocka_unit_test(chunks_judged_ahead_are_the_scans),
        cmocka_unit_test(time_field_lengths_at_every_offset),
        cmocka_unit_test(records_are_passed_over),
        cmocka_unit_test(reader_counts_alike_with_and_without),
        cmocka_unit_test(bad_needles_are_refused),
        cmocka_unit_test(query_needles),
        cmocka_unit_test(queries_answer_alike),
        cmocka_unit_test(diagnoses_alike_attached_or_not),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
