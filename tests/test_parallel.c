/* Reading on several threads gives what one thread gives: the rows, the
 * diagnosis, the sweep, every count, the account of every input and every
 * bad line told, with its line, in order. The files are cut into parts of
 * a few KiB here, so that every seam is crossed: header lines at the start
 * and in the middle, bad lines, blank lines, CRLF, gzip and JSON files
 * read whole, and a part with more bad lines than a part keeps. */
#define _GNU_SOURCE
#include "test_util.h"

#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../src/read/parallel.h"

static char dir[64];

static const char v2_header[] =
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
static const char v5_header[] = "interface-id srcaddr dstaddr dstport srcport protocol packets bytes start end action "
                                "log-status version account-id tcp-flags";

static const char *const addrs[] = {"10.0.0.5", "10.0.1.9", "10.0.2.7", "172.31.3.4", "192.168.9.1", "10.0.0.6"};
static const char *const enis[] = {"eni-0a1", "eni-0b2", "eni-0c3"};

/* One record line of the given header's order (v5 when mid is set). */
static int record_line(char *buf, size_t size, bool v5)
{
    const char *src = addrs[next_rand() % 6], *dst = addrs[next_rand() % 6], *eni = enis[next_rand() % 3];
    unsigned sport = next_rand() % 3 ? 443 : 1024 + next_rand() % 60000, dport = next_rand() % 2 ? 443 : 22;
    unsigned packets = 1 + next_rand() % 50, bytes = packets * (40 + next_rand() % 1400);
    unsigned start = 1700000000 + next_rand() % 3600, proto = next_rand() % 5 ? 6 : 17;
    const char *action = next_rand() % 3 ? "ACCEPT" : "REJECT";
    if (v5)
        return snprintf(buf, size, "%s %s %s %u %u %u %u %u %u %u %s OK 5 123456789012 %u", eni, src, dst, dport,
                        sport, proto, packets, bytes, start, start + 30, action, next_rand() % 2 ? 2 : 18);
    return snprintf(buf, size, "2 123456789012 %s %s %s %u %u %u %u %u %u %u %s OK", eni, src, dst, sport, dport,
                    proto, packets, bytes, start, start + 30, action);
}

static void write_file(const char *name, const char *text, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A plain file of n lines with every kind of line the reader meets. */
static char *plain_lines(int n, bool header, size_t *len)
{
    size_t cap = (size_t)n * 200 + 1024, used = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    bool v5 = false;
    if (header)
        used += (size_t)snprintf(t + used, cap - used, "%s\n", v2_header);
    for (int i = 0; i < n; i++) {
        if (i == n / 2 && header) { /* the schema changes in the middle */
            used += (size_t)snprintf(t + used, cap - used, "%s\n", v5_header);
            v5 = true;
            continue;
        }
        if (i % 97 == 13)
            used += (size_t)snprintf(t + used, cap - used, "this is not a flow log line %d\n", i);
        else if (i % 131 == 7)
            used += (size_t)snprintf(t + used, cap - used, "\n");
        else if (i % 211 == 5) /* a value the query reads that does not convert */
            used += (size_t)snprintf(t + used, cap - used,
                                     v5 ? "eni-0a1 10.0.0.5 10.0.1.9 443 5 6 -3 100 1700000000 1700000030 ACCEPT OK "
                                          "5 123456789012 2\n"
                                        : "2 123456789012 eni-0a1 10.0.0.5 10.0.1.9 5 443 6 -3 100 1700000000 "
                                          "1700000030 ACCEPT OK\n");
        else {
            used += (size_t)record_line(t + used, cap - used, v5);
            used += (size_t)snprintf(t + used, cap - used, i % 50 == 3 ? "\r\n" : "\n");
        }
    }
    *len = used;
    return t;
}

static void make_inputs(void)
{
    size_t len;
    char *t = plain_lines(6000, true, &len);
    write_file("a.log", t, len);
    free(t);
    t = plain_lines(4000, false, &len);
    write_file("b.log", t, len - 1); /* the last line without its newline */
    /* the same as gzip, read whole */
    char path[128];
    snprintf(path, sizeof path, "%s/c.log.gz", dir);
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, t, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    free(t);
    /* CloudWatch JSON, read whole */
    char json[4096], line[256];
    size_t used = (size_t)snprintf(json, sizeof json, "{\"logGroup\":\"g\",\"logStream\":\"eni-0a1\",\"logEvents\":[");
    for (int i = 0; i < 12; i++) {
        record_line(line, sizeof line, false);
        used += (size_t)snprintf(json + used, sizeof json - used, "%s{\"id\":\"%d\",\"message\":\"%s\"}", i ? "," : "",
                                 i, line);
    }
    used += (size_t)snprintf(json + used, sizeof json - used, "]}\n");
    write_file("d.json", json, used);
    /* many bad lines in one part: more than a part keeps to tell */
    size_t cap = 7000 * 40, n = 0;
    char *bad = malloc(cap);
    assert_non_null(bad);
    for (int i = 0; i < 6000; i++)
        n += (size_t)snprintf(bad + n, cap - n, "bad %d\n", i);
    n += (size_t)record_line(bad + n, cap - n, false);
    bad[n++] = '\n';
    write_file("e.log", bad, n);
    free(bad);
    /* thousands of clients of 10.0.0.0/8 to many servers */
    cap = 20000 * 120;
    n = 0;
    char *wide = malloc(cap);
    assert_non_null(wide);
    for (int i = 0; i < 20000; i++) {
        unsigned c = next_rand() % 3000, port = next_rand() % 4 ? 443 : 8443;
        n += (size_t)snprintf(wide + n, cap - n, "2 123456789012 eni-0%x 10.%u.%u.%u 172.16.%u.%u %u %u 6 3 300 %u %u %s OK\n",
                              next_rand() % 40, c % 7, c / 7 % 256, c % 251, next_rand() % 4, next_rand() % 200,
                              40000 + next_rand() % 20000, port, 1700000000 + i / 10, 1700000030 + i / 10,
                              next_rand() % 5 ? "ACCEPT" : "REJECT");
    }
    write_file("w.log", wide, n);
    free(wide);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/flowlog-par-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    make_inputs();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"a.log", "b.log", "c.log.gz", "d.json", "e.log", "w.log"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* What a run tells and counts, as text. */
typedef struct seen {
    char *text;
    size_t len, cap;
} seen;

static void append(seen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(seen *s, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(s->text ? s->text + s->len : NULL, s->text ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (s->text && (size_t)n < s->cap - s->len) {
            s->len += (size_t)n;
            return;
        }
        s->cap = s->cap * 2 + (size_t)n + 256;
        s->text = realloc(s->text, s->cap);
        assert_non_null(s->text);
    }
}

static void on_error(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    append(ctx, "%s:%llu: %d %s\n", path, (unsigned long long)line, status, message);
}

static void account(seen *s, const flowlog_reader *r)
{
    for (int c = FLOWLOG_COUNT_LINES; c <= FLOWLOG_COUNT_OUTSIDE; c++)
        append(s, "count %d: %llu\n", c, (unsigned long long)flowlog_reader_count(r, c));
    for (size_t i = 0; i < flowlog_reader_input_count(r); i++) {
        const char *name, *reason;
        int status;
        uint64_t records, errors;
        assert_int_equal(flowlog_reader_input(r, i, &name, &status, &records, &errors, &reason), FLOWLOG_OK);
        append(s, "input %s %d %llu %llu %s\n", name, status, (unsigned long long)records,
               (unsigned long long)errors, reason);
    }
}

static flowlog_reader *reader_of(const char *const *names, int threads, bool map, seen *s)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, threads), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MMAP, map), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set_error_handler(r, on_error, s), FLOWLOG_OK);
    char path[128];
    for (; *names; names++) {
        snprintf(path, sizeof path, "%s/%s", dir, *names);
        assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    }
    return r;
}

/* A state's bytes as hex, and the bytes freed. */
static void append_hex(seen *s, unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        append(s, "%02x", bytes[i]);
    free(bytes);
}

typedef enum job { JOB_QUERY, JOB_DIAG, JOB_SWEEP } job;

static char *run(job kind, const char *what, const char *const *names, int threads, bool map)
{
    seen s = {0};
    flowlog_reader *r = reader_of(names, threads, map, &s);
    if (kind == JOB_QUERY) {
        flowlog_query *q;
        assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
        if (flowlog_query_compile(q, what, strlen(what)) != FLOWLOG_OK)
            fail_msg("%s: %s", what, flowlog_query_error_message(q));
        assert_int_equal(flowlog_query_run(q, r, NULL, NULL), FLOWLOG_OK);
        char *rows = query_rows_text(q);
        append(&s, "%s", rows);
        free(rows);
        flowlog_query_free(q);
    } else if (kind == JOB_DIAG) {
        /* what: "CLIENT SERVER", or NULL for one pair */
        char client[64] = "10.0.0.5", server[64] = "10.0.1.9";
        if (what)
            assert_int_equal(sscanf(what, "%63s %63s", client, server), 2);
        flowlog_diag *d;
        assert_int_equal(flowlog_diag_new(&d, client, server, 443, 443, 6, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_diag_run(d, r), FLOWLOG_OK);
        size_t need;
        (void)flowlog_diag_serialize(d, NULL, 0, &need);
        unsigned char *bytes = malloc(need);
        assert_non_null(bytes);
        assert_int_equal(flowlog_diag_serialize(d, bytes, need, &need), FLOWLOG_OK);
        append_hex(&s, bytes, need);
        char why[4096];
        flowlog_diag_explain(d, why, sizeof why);
        append(&s, "\n%s\n", why);
        flowlog_diag_free(d);
    } else {
        flowlog_sweep *w;
        size_t n;
        assert_int_equal(flowlog_sweep_new(&w, NULL), FLOWLOG_OK);
        if (what) /* "max N": at most N conversations */
            assert_int_equal(flowlog_sweep_set(w, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, strtoll(what + 4, NULL, 10)),
                             FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_run(w, r, &n), FLOWLOG_OK);
        size_t need;
        (void)flowlog_sweep_serialize(w, NULL, 0, &need);
        unsigned char *bytes = malloc(need);
        assert_non_null(bytes);
        assert_int_equal(flowlog_sweep_serialize(w, bytes, need, &need), FLOWLOG_OK);
        append_hex(&s, bytes, need);
        append(&s, "\n%zu\n", n);
        flowlog_sweep_free(w);
    }
    account(&s, r);
    flowlog_reader_free(r);
    return s.text;
}

static bool two_processors(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 2;
}

/* The same answer on one thread and on several, cut every way. */
static void check_alike(job kind, const char *what, const char *const *names)
{
    char *one = run(kind, what, names, 0, false);
    static const uint64_t parts[] = {4096, 7777, 65536};
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
        for (int map = 0; map < 2; map++) {
            flowlog__parallel_part_bytes = parts[p];
            flowlog__parallel_min_bytes = 1;
            uint64_t runs = flowlog__parallel_runs;
            char *many = run(kind, what, names, 4, map);
            flowlog__parallel_part_bytes = flowlog__parallel_min_bytes = 0;
            if (two_processors())
                assert_true(flowlog__parallel_runs == runs + 1);
            if (strcmp(one, many) != 0) {
                size_t at = 0;
                while (one[at] == many[at])
                    at++;
                fail_msg("%s: parts of %llu bytes, mapped %d: differs at %zu:\none: %.300s\nmany: %.300s", what,
                         (unsigned long long)parts[p], map, at, one + (at > 100 ? at - 100 : 0),
                         many + (at > 100 ? at - 100 : 0));
            }
            free(many);
        }
    free(one);
}

static const char *const every[] = {"a.log", "b.log", "c.log.gz", "d.json", "e.log", NULL};

static void queries_alike(void **state)
{
    (void)state;
    check_alike(JOB_QUERY,
                "stats count(*) as n, sum(bytes) as b, min(start) as s, max(packets) as p, "
                "count_distinct(srcAddr) as d, avg(packets) as a, earliest(srcAddr) as e by dstPort, action",
                every);
    check_alike(JOB_QUERY, "filter action = \"REJECT\" | stats count(*) as n by srcAddr, interfaceId", every);
    /* few groups of many values: a part's sorted values go in by runs of its groups, renumbered */
    check_alike(JOB_QUERY,
                "stats count_distinct(srcAddr) as s, count_distinct(dstPort) as p, count(*) as n by action, protocol",
                every);
    check_alike(JOB_QUERY, "stats count(*) by bin(5m)", every);
    check_alike(JOB_QUERY, "stats sum(packets) as p by srcAddr | sort p desc | limit 3", every);
}

static void diagnoses_and_sweeps_alike(void **state)
{
    (void)state;
    check_alike(JOB_DIAG, NULL, every);
    check_alike(JOB_SWEEP, NULL, every);
}

/* A header line in the middle of a file: the parts after it assumed the
 * file's first line, and are read again with the one in force. */
static void parts_after_a_new_header_are_read_again(void **state)
{
    (void)state;
    static const char *const a[] = {"a.log", NULL};
    uint64_t before = flowlog__parallel_rereads;
    check_alike(JOB_QUERY, "stats count(*) as n, sum(bytes) as b by srcAddr, tcpFlags", a);
    if (two_processors())
        assert_true(flowlog__parallel_rereads > before);
}

/* Threads are not used where they cannot be: a stream, ON_ERROR_STOP,
 * little to read. */
/* A wide question fills the caller's table of clients: a part keeps
 * every client it sees in the order first seen, and merged in that order
 * adds what one pass would have, without the part being read again. */
static void a_full_table_of_clients_merges_alike(void **state)
{
    (void)state;
    static const char *const w[] = {"w.log", NULL};
    char *one = run(JOB_DIAG, "10.0.0.0/8 any", w, 0, false);
    assert_non_null(strstr(one, "a table was full"));
    uint64_t before = flowlog__parallel_rereads;
    check_alike(JOB_DIAG, "10.0.0.0/8 any", w);
    assert_true(flowlog__parallel_rereads == before);
    free(one);
}

/* So does a sweep whose table of conversations fills. */
static void a_full_table_of_conversations_merges_alike(void **state)
{
    (void)state;
    static const char *const w[] = {"w.log", NULL};
    uint64_t before = flowlog__parallel_rereads;
    check_alike(JOB_SWEEP, "max 500", w);
    assert_true(flowlog__parallel_rereads == before);
    flowlog_sweep *s;
    assert_int_equal(flowlog_sweep_new(&s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(s, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, 500), FLOWLOG_OK);
    seen ignored = {0};
    flowlog_reader *r = reader_of(w, 4, false, &ignored);
    size_t n;
    assert_int_equal(flowlog_sweep_run(s, r, &n), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_conversations(s), 500);
    assert_true(flowlog_sweep_dropped(s) > 1000);
    flowlog_reader_free(r);
    flowlog_sweep_free(s);
    free(ignored.text);
}

static void threads_only_where_they_can_be(void **state)
{
    (void)state;
    static const char *const b[] = {"b.log", NULL};
    uint64_t runs = flowlog__parallel_runs;
    char *small = run(JOB_QUERY, "stats count(*)", b, 4, false); /* below the least worth it */
    free(small);
    flowlog__parallel_part_bytes = 4096;
    flowlog__parallel_min_bytes = 1;
    seen s = {0};
    flowlog_reader *r = reader_of(b, 4, false, &s);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_ON_ERROR, FLOWLOG_ON_ERROR_STOP), FLOWLOG_OK);
    flowlog_query *q;
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("stats count(*)")), FLOWLOG_OK);
    assert_int_equal(flowlog_query_run(q, r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS), 1); /* stopped at the first */
    flowlog_query_free(q);
    flowlog_reader_free(r);
    free(s.text);
    /* rows that stream are not held back for threads */
    s = (seen){0};
    r = reader_of(b, 4, false, &s);
    assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_query_compile(q, STR("fields srcAddr | limit 2")), FLOWLOG_OK);
    assert_int_equal(flowlog_query_run(q, r, NULL, NULL), FLOWLOG_OK);
    flowlog_query_free(q);
    flowlog_reader_free(r);
    free(s.text);
    flowlog__parallel_part_bytes = flowlog__parallel_min_bytes = 0;
    assert_true(flowlog__parallel_runs == runs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queries_alike),
        cmocka_unit_test(diagnoses_and_sweeps_alike),
        cmocka_unit_test(parts_after_a_new_header_are_read_again),
        cmocka_unit_test(a_full_table_of_clients_merges_alike),
        cmocka_unit_test(a_full_table_of_conversations_merges_alike),
        cmocka_unit_test(threads_only_where_they_can_be),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
