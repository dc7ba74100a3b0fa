/* The hot path never allocates, and every allocation in handle creation and
 * registration can fail cleanly. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/reader.h>
#include <flowlog/diag.h>
#include <flowlog/query.h>
#include <flowlog/sweep.h>
#include <zlib.h>

#if defined(__SANITIZE_ADDRESS__)
#  define NO_INTERPOSER 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define NO_INTERPOSER 1
#  endif
#endif

/* ---- a malloc interposer: counts every libc allocation while armed ---- */
static volatile int interposer_armed;
static volatile unsigned long interposed_calls;
#ifndef NO_INTERPOSER
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n);
void *calloc(size_t n, size_t s);
void *realloc(void *p, size_t n);
void free(void *p);
void *malloc(size_t n)
{
    if (interposer_armed)
        interposed_calls++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t s)
{
    if (interposer_armed)
        interposed_calls++;
    return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n)
{
    if (interposer_armed)
        interposed_calls++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}
#endif


#define NRECORDS 1000000

static void hot_path_never_allocates(void **state)
{
    (void)state;
    counting c = {0};
    flowlog_allocator a = make_allocator(&c);
    flowlog_schema *s;
    flowlog_record *r;
    flowlog_tokenizer *t;
    assert_int_equal(flowlog_schema_compile(&s, NULL, 0, FLOWLOG_SYNTAX_DEFAULT, &a), FLOWLOG_OK);
    assert_int_equal(flowlog_record_new(&r, s, &a), FLOWLOG_OK);
    assert_int_equal(flowlog_tokenizer_new(&t, s, &a), FLOWLOG_OK);

    /* A buffer of varied lines, made before counting starts. */
    enum { NLINES = 1000 };
    static char text[NLINES * 200];
    size_t len = 0;
    for (int i = 0; i < NLINES; i++) {
        if (i % 50 == 7)
            len += (size_t)sprintf(text + len, "2 123456789012 eni-%017x - - - - - - - 1633024800 1633024860 - NODATA\n", i);
        else if (i % 20 == 3)
            len += (size_t)sprintf(text + len, "2 123456789012 eni-%017x 2600:1f18:1000:a100::%x 2001:db8::%x %d 443 6 %d %d 1633024800 1633024860 REJECT OK\n",
                                   i, i, i + 1, 1024 + i, i, i * 40);
        else
            len += (size_t)sprintf(text + len, "2 123456789012 eni-%017x 10.0.%d.%d 172.31.%d.%d %d %d 6 %d %d 1633024800 1633024860 ACCEPT OK\n",
                                   i, i % 256, i % 250 + 1, i % 64, i % 200 + 1, 1024 + i, i % 3 ? 443 : 22, i + 1, (i + 1) * 60);
    }

    unsigned long before_allocs = c.allocs;
    interposed_calls = 0;
    interposer_armed = 1;
    uint64_t sum = 0;
    size_t records = 0;
    while (records < NRECORDS) {
        size_t off = 0;
        while (off < len && records < NRECORDS) {
            flowlog_span f[16];
            size_t n = 16, used;
            int rc = flowlog_tokenize(t, text + off, len - off, f, &n, &used);
            if (rc != FLOWLOG_OK)
                break;
            rc = flowlog_record_parse(r, text + off, used);
            off += used;
            if (rc != FLOWLOG_OK)
                break;
            uint64_t v;
            flowlog_addr addr;
            int e;
            flowlog_span sp;
            if (flowlog_record_get_u64(r, FLOWLOG_FIELD_BYTES, &v) == FLOWLOG_OK)
                sum += v;
            if (flowlog_record_get_u64(r, FLOWLOG_FIELD_DSTPORT, &v) == FLOWLOG_OK)
                sum += v;
            if (flowlog_record_get_u64(r, FLOWLOG_FIELD_START, &v) == FLOWLOG_OK)
                sum += v & 1;
            if (flowlog_record_get_addr(r, FLOWLOG_FIELD_SRCADDR, &addr) == FLOWLOG_OK)
                sum += addr.bytes[3];
            if (flowlog_record_get_addr(r, FLOWLOG_FIELD_DSTADDR, &addr) == FLOWLOG_OK)
                sum += addr.family;
            if (flowlog_record_get_enum(r, FLOWLOG_FIELD_ACTION, &e) == FLOWLOG_OK)
                sum += (uint64_t)e;
            if (flowlog_record_get_enum(r, FLOWLOG_FIELD_LOG_STATUS, &e) == FLOWLOG_OK)
                sum += (uint64_t)e;
            if (flowlog_record_get_str(r, FLOWLOG_FIELD_INTERFACE_ID, &sp) == FLOWLOG_OK)
                sum += sp.len;
            (void)flowlog_record_get_u64(r, FLOWLOG_FIELD_SRCADDR, &v); /* a type error, also without allocating */
            records++;
        }
        assert_true(off == len);
    }
    interposer_armed = 0;
    assert_int_equal(records, NRECORDS);
    assert_true(sum > 0);
    assert_int_equal(c.allocs, before_allocs);
#ifndef NO_INTERPOSER
    assert_int_equal(interposed_calls, 0);
#endif
    flowlog_tokenizer_free(t);
    flowlog_record_free(r);
    flowlog_schema_free(s);
    assert_int_equal(c.live_bytes, 0);
    assert_int_equal(c.allocs, c.frees);
}

/* ---- every path a record takes, at ten million records ----
 * A query (without a prefilter, so its fields come from the scan's masks;
 * with one), a diagnosis and a sweep each read RECORDS records pushed from
 * one buffer over and over, as text and as gzip (members one after another),
 * and bad lines among them; once the first tenth is read (its groups, its
 * conversations, the reader's buffers made), the rest must not allocate. */

#ifdef NO_INTERPOSER
#  define PATH_RECORDS 1000000 /* the sanitizers' runs take ten times as long */
#else
#  define PATH_RECORDS 10000000
#endif

static size_t path_records(void)
{
    const char *env = getenv("FLOWLOG_ALLOC_RECORDS"); /* the valgrind run sets fewer */
    return env && atol(env) > 0 ? (size_t)atol(env) : PATH_RECORDS;
}

enum { PATH_LINES = 2000 };

/* PATH_LINES lines: records of 40 clients, both directions, accepted and
 * rejected, IPv6, NODATA with `-` fields, and a bad line every 250th. */
static char *path_text(size_t *len)
{
    char *text = malloc(PATH_LINES * 200);
    assert_non_null(text);
    size_t n = 0;
    for (int i = 0; i < PATH_LINES; i++) {
        if (i % 250 == 17)
            n += (size_t)sprintf(text + n, "this is not a flow log record\n");
        else if (i % 50 == 7)
            n += (size_t)sprintf(text + n, "2 123456789012 eni-%017x - - - - - - - 1633024800 1633024860 - NODATA\n", i % 8);
        else if (i % 20 == 3)
            n += (size_t)sprintf(text + n, "2 123456789012 eni-%017x 2600:1f18::%x 2001:db8::1 %d 443 6 3 180 1633024800 1633024860 REJECT OK\n",
                                 i % 8, i % 40, 1024 + i);
        else if (i % 2)
            n += (size_t)sprintf(text + n, "2 123456789012 eni-%017x 10.0.1.%d 10.0.2.9 %d 443 6 %d %d %d %d %s OK\n", i % 8,
                                 i % 40, 1024 + i, i % 9 + 1, (i % 9 + 1) * 60, 1633024800 + i, 1633024860 + i,
                                 i % 3 ? "ACCEPT" : "REJECT");
        else
            n += (size_t)sprintf(text + n, "2 123456789012 eni-%017x 10.0.2.9 10.0.1.%d 443 %d 6 %d %d %d %d ACCEPT OK\n", i % 8,
                                 i % 40, 1024 + i, i % 9 + 1, (i % 9 + 1) * 60, 1633024800 + i, 1633024860 + i);
    }
    *len = n;
    return text;
}

static char *gzip_of(const char *text, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len);
    char *out = malloc(cap);
    assert_non_null(out);
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

typedef enum { RUN_QUERY, RUN_DIAG, RUN_SWEEP } run_kind;

typedef struct path_run {
    run_kind kind;
    flowlog_query *q;
    flowlog_diag *d;
    flowlog_sweep *s;
} path_run;

static int run_once(path_run *p, flowlog_reader *r)
{
    size_t count;
    switch (p->kind) {
    case RUN_QUERY:
        return flowlog_query_run(p->q, r, NULL, NULL);
    case RUN_DIAG:
        return flowlog_diag_run(p->d, r);
    default:
        return flowlog_sweep_run(p->s, r, &count);
    }
}

static void quiet_errors(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    (*(uint64_t *)ctx)++;
    (void)path;
    (void)line;
    (void)status;
    (void)message;
}

/* Push `data` (gzip or text, `lines` lines) until `total` lines were given;
 * the allocations counted after the first tenth must not grow. */
static void path_allocates_nothing(path_run *p, counting *c, const flowlog_allocator *a, const char *data, size_t len,
                                   size_t total)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, a), FLOWLOG_OK);
    uint64_t errors = 0;
    assert_int_equal(flowlog_reader_set_error_handler(r, quiet_errors, &errors), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_begin_push(r, "pushed"), FLOWLOG_OK);
    size_t given = 0, rounds = (total + PATH_LINES - 1) / PATH_LINES, warm = rounds / 10;
    unsigned long allocs_warm = 0;
    unsigned long calls_warm = 0;
    int rc;
    while ((rc = run_once(p, r)) == FLOWLOG_NEED_MORE) {
        if (given == warm) {
            allocs_warm = c->allocs;
            calls_warm = interposed_calls;
            interposer_armed = 1;
        }
        if (given == rounds) {
            interposer_armed = 0;
            /* every record read: nothing was allocated for any after the first tenth */
            assert_int_equal(c->allocs, allocs_warm);
#ifndef NO_INTERPOSER
            assert_int_equal(interposed_calls, calls_warm);
#endif
            (void)calls_warm;
            assert_int_equal(flowlog_reader_push(r, "", 0), FLOWLOG_OK);
            given++;
            continue;
        }
        assert_int_equal(flowlog_reader_push(r, data, len), FLOWLOG_OK);
        given++;
    }
    interposer_armed = 0;
    assert_int_equal(rc, FLOWLOG_OK);
    assert_true(given == rounds + 1);
    /* every line is accounted for: records and bad lines */
    uint64_t bad = (uint64_t)rounds * (PATH_LINES / 250);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS) + flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS),
                     (uint64_t)rounds * PATH_LINES);
    assert_int_equal(errors, bad);
    flowlog_reader_free(r);
}

static void every_path_allocates_nothing_per_record(void **state)
{
    (void)state;
    size_t text_len, gz_len, total = path_records();
    char *text = path_text(&text_len);
    char *gz = gzip_of(text, text_len, &gz_len);
    static const char *queries[] = {
        "stats count(*) as n, sum(bytes) as b, max(packets) as p by dstPort, action",
        "filter action = \"REJECT\" | stats count(*) as n, count_distinct(srcAddr) as c by interfaceId",
    };
    for (int form = 0; form < 2; form++) {
        const char *data = form ? gz : text;
        size_t len = form ? gz_len : text_len;
        for (int kind = RUN_QUERY; kind <= RUN_SWEEP + 1; kind++) {
            counting c = {0};
            flowlog_allocator a = make_allocator(&c);
            path_run p = {.kind = kind > RUN_SWEEP ? RUN_QUERY : (run_kind)kind};
            if (p.kind == RUN_QUERY) {
                const char *qt = queries[kind > RUN_SWEEP];
                assert_int_equal(flowlog_query_new(&p.q, &a), FLOWLOG_OK);
                assert_int_equal(flowlog_query_compile(p.q, qt, strlen(qt)), FLOWLOG_OK);
            } else if (p.kind == RUN_DIAG) {
                assert_int_equal(flowlog_diag_new(&p.d, "10.0.1.0/24", "10.0.2.9", 443, 443, 6, &a), FLOWLOG_OK);
            } else {
                assert_int_equal(flowlog_sweep_new(&p.s, &a), FLOWLOG_OK);
            }
            /* the gzip runs read a tenth as many: inflating dominates them */
            path_allocates_nothing(&p, &c, &a, data, len, form ? total / 10 : total);
            if (p.kind == RUN_QUERY) {
                assert_int_equal(flowlog_query_next_row(p.q), FLOWLOG_OK); /* it did count */
                flowlog_query_free(p.q);
            } else if (p.kind == RUN_DIAG) {
                assert_true(flowlog_diag_count(p.d, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_RECORDS_ACCEPT) > 0);
                flowlog_diag_free(p.d);
            } else {
                flowlog_sweep_free(p.s);
            }
            assert_int_equal(c.live_bytes, 0); /* every block given back, each with its size */
        }
    }
    free(gz);
    free(text);
}

/* Run `scenario` with the N-th allocation failing, for every N until it succeeds. */
typedef int (*scenario_fn)(const flowlog_allocator *a);

static void fail_each_allocation(scenario_fn scenario)
{
    for (long n = 1;; n++) {
        counting c = {0};
        c.fail_at = n;
        flowlog_allocator a = make_allocator(&c);
        int rc = scenario(&a);
        if (c.live_bytes != 0)
            fail_msg("allocation %ld failing leaks %ld bytes", n, c.live_bytes);
        if (rc == FLOWLOG_OK) {
            assert_true(n > 1);
            return;
        }
        if (rc != FLOWLOG_E_NOMEM)
            fail_msg("allocation %ld failing gave %s, not FLOWLOG_E_NOMEM", n, flowlog_status_name(rc));
        assert_true(n < 10000);
    }
}

static int make_schema_and_record(const flowlog_allocator *a)
{
    flowlog_schema *s;
    flowlog_record *r;
    flowlog_tokenizer *t;
    uint32_t id;
    int rc = flowlog_schema_new(&s, a);
    if (rc < 0)
        return rc;
    rc = flowlog_schema_register(s, STR("hops"), FLOWLOG_TYPE_UINT, &id);
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_register(s, STR("zone"), FLOWLOG_TYPE_STRING, &id);
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_set_format(s, STR("${version} ${unknown-a} ${unknown-b} ${unknown-c} ${unknown-d} "
                                              "${unknown-e} ${unknown-f} ${unknown-g} ${unknown-h} ${hops} ${srcaddr}"));
    if (rc == FLOWLOG_OK)
        rc = flowlog_schema_freeze(s);
    if (rc < 0) {
        flowlog_schema_free(s);
        return rc;
    }
    rc = flowlog_record_new(&r, s, a);
    if (rc == FLOWLOG_OK) {
        rc = flowlog_tokenizer_new(&t, s, a);
        if (rc == FLOWLOG_OK) {
            /* The handles made before the failure still work. */
            if (flowlog_record_parse(r, STR("2 a b c d e f g h 3 10.0.0.1")) != FLOWLOG_OK)
                rc = FLOWLOG_E_INVALID;
            flowlog_tokenizer_free(t);
        }
        flowlog_record_free(r);
    }
    flowlog_schema_free(s);
    return rc;
}

static int derive_schema(const flowlog_allocator *a)
{
    flowlog_schema *base, *d;
    uint32_t id;
    int rc = flowlog_schema_new(&base, a);
    if (rc < 0)
        return rc;
    rc = flowlog_schema_register(base, STR("hops"), FLOWLOG_TYPE_UINT, &id);
    if (rc == FLOWLOG_OK) {
        rc = flowlog_schema_derive(&d, base, a);
        if (rc == FLOWLOG_OK) {
            rc = flowlog_schema_set_header(d, STR("version hops newthing"));
            flowlog_schema_free(d);
        }
    }
    flowlog_schema_free(base);
    return rc;
}

static int read_with_headers(const flowlog_allocator *a)
{
    static const char text[] = "version srcaddr dstaddr\n2 10.0.0.1 10.0.0.2\n"
                               "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
                               "2 1 eni-1 - - - - - - - 1 2 - NODATA\n";
    flowlog_reader *r;
    flowlog_record *rec;
    int rc = flowlog_reader_new(&r, NULL, a);
    if (rc < 0)
        return rc;
    rc = flowlog_reader_add_memory(r, text, sizeof text - 1, "mem");
    int records = 0;
    while (rc == FLOWLOG_OK) {
        rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_OK)
            records++;
    }
    if (rc == FLOWLOG_END)
        rc = records == 2 ? FLOWLOG_OK : FLOWLOG_E_INVALID;
    flowlog_reader_free(r);
    return rc;
}

/* Diagnosis and sweep handles: made, fed, serialised, loaded and merged. */
static int diagnose_and_merge(const flowlog_allocator *a)
{
    static const char *const lines[] = {
        "2 1 eni-1 10.0.1.5 10.0.2.9 40000 3306 6 3 180 100 160 ACCEPT OK",
        "2 1 eni-2 10.0.2.9 10.0.1.5 3306 40000 6 3 180 100 160 REJECT OK",
        "2 1 eni-3 10.0.7.1 10.0.8.1 0 0 1 1 84 100 160 ACCEPT OK",
    };
    flowlog_schema *s = NULL;
    flowlog_record *rec = NULL;
    flowlog_diag *d = NULL, *back = NULL;
    flowlog_sweep *w = NULL, *wback = NULL;
    uint8_t buf[1 << 16];
    size_t n, problems;
    int rc = flowlog_schema_compile(&s, NULL, 0, FLOWLOG_SYNTAX_DEFAULT, a);
    if (rc == FLOWLOG_OK)
        rc = flowlog_record_new(&rec, s, a);
    if (rc == FLOWLOG_OK)
        rc = flowlog_diag_new(&d, "10.0.1.0/24", "10.0.2.9", 3306, 3306, 6, a);
    if (rc == FLOWLOG_OK)
        rc = flowlog_sweep_new(&w, a);
    for (size_t i = 0; rc == FLOWLOG_OK && i < sizeof lines / sizeof *lines; i++) {
        rc = flowlog_record_parse(rec, lines[i], strlen(lines[i]));
        if (rc == FLOWLOG_OK)
            rc = flowlog_diag_feed(d, rec, NULL);
        if (rc == FLOWLOG_OK)
            rc = flowlog_sweep_feed(w, rec);
    }
    if (rc == FLOWLOG_OK && (rc = flowlog_diag_serialize(d, buf, sizeof buf, &n)) == FLOWLOG_OK &&
        (rc = flowlog_diag_deserialize(&back, buf, n, a)) == FLOWLOG_OK)
        rc = flowlog_diag_merge(d, back);
    if (rc == FLOWLOG_OK && (rc = flowlog_sweep_serialize(w, buf, sizeof buf, &n)) == FLOWLOG_OK &&
        (rc = flowlog_sweep_deserialize(&wback, buf, n, a)) == FLOWLOG_OK)
        rc = flowlog_sweep_merge(w, wback);
    if (rc == FLOWLOG_OK)
        rc = flowlog_sweep_finish(w, &problems);
    /* What was made before a failure still answers. */
    if (rc == FLOWLOG_OK && (flowlog_diag_verdict(d) != FLOWLOG_VERDICT_RETURN_BLOCKED || problems != 2))
        rc = FLOWLOG_E_INVALID;
    flowlog_sweep_free(wback);
    flowlog_sweep_free(w);
    flowlog_diag_free(back);
    flowlog_diag_free(d);
    flowlog_record_free(rec);
    flowlog_schema_free(s);
    return rc;
}

static void every_allocation_can_fail(void **state)
{
    (void)state;
    fail_each_allocation(make_schema_and_record);
    fail_each_allocation(derive_schema);
    fail_each_allocation(read_with_headers);
    fail_each_allocation(diagnose_and_merge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hot_path_never_allocates),
        cmocka_unit_test(every_path_allocates_nothing_per_record),
        cmocka_unit_test(every_allocation_can_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
