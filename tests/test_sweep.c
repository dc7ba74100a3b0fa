/* The sweep: problem conversations found without a question, who is the
 * server, bounded memory, and merging and serialising that give exactly the
 * single-pass result. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/reader.h>
#include <flowlog/sweep.h>

static const char *examples(void)
{
    const char *d = getenv("FLOWLOG_EXAMPLES_DATA");
    return d ? d : "examples/data";
}

static flowlog_sweep *sweep_file(const char *file, size_t *count)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", examples(), file);
    flowlog_sweep *s;
    flowlog_reader *r;
    flowlog_record *rec;
    int rc;
    assert_int_equal(flowlog_sweep_new(&s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        assert_int_equal(rc, FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_feed(s, rec), FLOWLOG_OK);
    }
    flowlog_reader_free(r);
    assert_int_equal(flowlog_sweep_finish(s, count), FLOWLOG_OK);
    return s;
}

static void assert_addr(const flowlog_addr *a, const char *text)
{
    char buf[64];
    flowlog_addr_format(a, buf, sizeof buf);
    assert_string_equal(buf, text);
}

static void expect_first(const char *file, size_t want_count, const char *client, const char *server,
                         unsigned port, int verdict)
{
    size_t n;
    flowlog_sweep *s = sweep_file(file, &n);
    if (n != want_count)
        fail_msg("%s: %zu problem conversations, want %zu", file, n, want_count);
    if (want_count) {
        flowlog_addr c, sv;
        unsigned p;
        int proto, v;
        assert_int_equal(flowlog_sweep_result(s, 0, &c, &sv, &p, &proto, &v), FLOWLOG_OK);
        assert_addr(&c, client);
        assert_addr(&sv, server);
        assert_int_equal(p, port);
        assert_int_equal(proto, 6);
        if (v != verdict)
            fail_msg("%s: %s, want %s", file, flowlog_verdict_name(v), flowlog_verdict_name(verdict));
    }
    assert_int_equal(flowlog_sweep_result(s, want_count, NULL, NULL, NULL, NULL, NULL), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_sweep_dropped(s), 0);
    flowlog_sweep_free(s);
}

static void scenarios(void **state)
{
    (void)state;
    expect_first("lambda-rds-nacl-inbound.log", 1, "10.0.1.25", "10.0.2.10", 3306, FLOWLOG_VERDICT_BLOCKED);
    expect_first("lambda-rds-nacl-return.log", 1, "10.0.1.25", "10.0.2.10", 3306, FLOWLOG_VERDICT_RETURN_BLOCKED);
    expect_first("refused-port.log", 1, "10.0.1.25", "10.0.2.20", 8080, FLOWLOG_VERDICT_REFUSED);
    expect_first("unanswered-port.log", 1, "10.0.1.25", "10.0.2.30", 9200, FLOWLOG_VERDICT_NO_RESPONSE);
    expect_first("lambda-rds-working.log", 0, NULL, NULL, 0, 0);
    expect_first("ecs-https.log", 0, NULL, NULL, 0, 0);
}

/* Feed text lines of one schema. */
static void feed_lines(flowlog_sweep *s, flowlog_record *rec, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_feed(s, rec), FLOWLOG_OK);
    }
}

static void who_is_the_server(void **state)
{
    (void)state;
    flowlog_schema *sch = must_schema("version srcaddr dstaddr srcport dstport protocol packets bytes start end "
                                      "action log-status tcp-flags", FLOWLOG_SYNTAX_HEADER);
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new(&rec, sch, NULL), FLOWLOG_OK);
    static const char *const lines[] = {
        /* A SYN-ACK from the higher port names its sender the server: both
         * records are one conversation to port 50000, and it is established,
         * so it is not reported. */
        "5 10.9.0.1 10.9.0.2 40000 50000 6 1 60 100 110 ACCEPT OK 2",
        "5 10.9.0.2 10.9.0.1 50000 40000 6 1 60 100 110 ACCEPT OK 18",
        /* UDP without flags: the well-known port is the server's, whatever
         * the other port. */
        "5 10.9.1.1 10.9.1.2 53 1000 17 2 100 100 110 REJECT OK -",
        "5 10.9.1.2 10.9.1.1 1000 53 17 3 100 90 110 ACCEPT OK -",
        /* ICMP has no ports: the end that sent first is the client; the
         * echo reply is rejected on the way back. */
        "5 10.9.2.9 10.9.2.1 0 0 1 4 336 200 260 REJECT OK -",
        "5 10.9.2.1 10.9.2.9 0 0 1 4 336 150 200 ACCEPT OK -",
    };
    flowlog_sweep *s;
    assert_int_equal(flowlog_sweep_new(&s, NULL), FLOWLOG_OK);
    feed_lines(s, rec, lines, sizeof lines / sizeof *lines);
    size_t n;
    assert_int_equal(flowlog_sweep_finish(s, &n), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_conversations(s), 3);
    assert_int_equal(n, 2);
    flowlog_addr c, sv;
    unsigned port;
    int proto, v;
    /* Ranked by packets: ICMP (8) before UDP (5). */
    assert_int_equal(flowlog_sweep_result(s, 0, &c, &sv, &port, &proto, &v), FLOWLOG_OK);
    assert_addr(&c, "10.9.2.1");
    assert_addr(&sv, "10.9.2.9");
    assert_int_equal(proto, 1);
    assert_int_equal(v, FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(flowlog_sweep_count(s, 0, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_PACKETS_ACCEPT), 4);
    assert_int_equal(flowlog_sweep_count(s, 0, FLOWLOG_DIAG_REVERSE, FLOWLOG_DIAG_PACKETS_REJECT), 4);
    assert_int_equal(flowlog_sweep_count(s, 0, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_FIRST_TIME), 150);
    assert_int_equal(flowlog_sweep_result(s, 1, &c, &sv, &port, &proto, &v), FLOWLOG_OK);
    assert_addr(&c, "10.9.1.2");
    assert_addr(&sv, "10.9.1.1");
    assert_int_equal(port, 53);
    assert_int_equal(v, FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(flowlog_sweep_count(s, 1, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_RECORDS_ACCEPT), 1);
    assert_int_equal(flowlog_sweep_count(s, 1, FLOWLOG_DIAG_REVERSE, FLOWLOG_DIAG_RECORDS_REJECT), 1);
    assert_int_equal(flowlog_sweep_count(s, 1, FLOWLOG_DIAG_REVERSE, 99), 0);
    /* Feeding again makes the ranking stale until finished again. */
    feed_lines(s, rec, lines, 1);
    assert_int_equal(flowlog_sweep_result(s, 0, &c, &sv, &port, &proto, &v), FLOWLOG_E_RANGE);
    flowlog_sweep_free(s);
    flowlog_record_free(rec);
    flowlog_schema_free(sch);
}

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static size_t serialize(const flowlog_sweep *s, uint8_t **out)
{
    size_t need, again;
    assert_int_equal(flowlog_sweep_serialize(s, NULL, 0, &need), FLOWLOG_OK);
    *out = malloc(need);
    assert_non_null(*out);
    assert_int_equal(flowlog_sweep_serialize(s, *out, need, &again), FLOWLOG_OK);
    assert_int_equal(again, need);
    return need;
}

static void assert_same(flowlog_sweep *a, flowlog_sweep *b)
{
    size_t na, nb;
    assert_int_equal(flowlog_sweep_finish(a, &na), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_finish(b, &nb), FLOWLOG_OK);
    assert_int_equal(na, nb);
    assert_int_equal(flowlog_sweep_conversations(a), flowlog_sweep_conversations(b));
    assert_int_equal(flowlog_sweep_dropped(a), flowlog_sweep_dropped(b));
    for (size_t i = 0; i < na; i++) {
        flowlog_addr c1, c2, s1, s2;
        unsigned p1, p2;
        int pr1, pr2, v1, v2;
        assert_int_equal(flowlog_sweep_result(a, i, &c1, &s1, &p1, &pr1, &v1), FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_result(b, i, &c2, &s2, &p2, &pr2, &v2), FLOWLOG_OK);
        assert_memory_equal(&c1, &c2, sizeof c1);
        assert_memory_equal(&s1, &s2, sizeof s1);
        assert_true(p1 == p2 && pr1 == pr2 && v1 == v2);
        for (int dir = 0; dir < 2; dir++)
            for (int k = 1; k <= FLOWLOG_DIAG_LAST_TIME; k++)
                assert_int_equal(flowlog_sweep_count(a, i, dir, k), flowlog_sweep_count(b, i, dir, k));
    }
}

#define NREC 400

static void random_line(char *buf, size_t size)
{
    static const char *const hosts[] = {"10.0.1.25", "10.0.1.26", "10.0.2.10", "10.0.9.9", "fd00::1", "fd00::2"};
    static const unsigned ports[] = {443, 5432, 53, 40001, 40002, 50000};
    static const unsigned protos[] = {6, 6, 6, 17, 1, 58};
    int v6 = rnd() % 4 == 0;
    const char *a = hosts[(v6 ? 4 : 0) + rnd() % (v6 ? 2 : 4)], *b = hosts[(v6 ? 4 : 0) + rnd() % (v6 ? 2 : 4)];
    unsigned proto = protos[rnd() % 6];
    unsigned sp = ports[rnd() % 6], dp = ports[rnd() % 6];
    if (proto == 1 || proto == 58)
        sp = dp = 0;
    static const char *const flags[] = {"2", "18", "4", "1", "0", "-", "3", "19"};
    unsigned long t = 1704196800ul + rnd() % 3600;
    if (rnd() % 30 == 0)
        snprintf(buf, size, "5 - - - - - - - %lu %lu - NODATA -", t, t + 60);
    else
        snprintf(buf, size, "5 %s %s %u %u %u %u %u %lu %lu %s OK %s", a, b, sp, dp, proto,
                 (unsigned)(1 + rnd() % 20), (unsigned)(40 + rnd() % 9000), t, t + rnd() % 60,
                 rnd() % 3 ? "ACCEPT" : "REJECT", proto == 6 ? flags[rnd() % 8] : "-");
}

static void random_splits_merge_to_one_pass(void **state)
{
    (void)state;
    static char lines[NREC][200];
    flowlog_schema *sch = must_schema("version srcaddr dstaddr srcport dstport protocol packets bytes start end "
                                      "action log-status tcp-flags", FLOWLOG_SYNTAX_HEADER);
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new(&rec, sch, NULL), FLOWLOG_OK);
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < NREC; i++)
            random_line(lines[i], sizeof lines[i]);
        flowlog_sweep *whole, *parts[8];
        assert_int_equal(flowlog_sweep_new(&whole, NULL), FLOWLOG_OK);
        int k = 2 + (int)(rnd() % 6);
        for (int p = 0; p < k; p++)
            assert_int_equal(flowlog_sweep_new(&parts[p], NULL), FLOWLOG_OK);
        for (int i = 0; i < NREC; i++) {
            assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
            assert_int_equal(flowlog_sweep_feed(whole, rec), FLOWLOG_OK);
            assert_int_equal(flowlog_sweep_feed(parts[rnd() % (uint64_t)k], rec), FLOWLOG_OK);
        }
        for (int p = 0; p < k; p++) {
            uint8_t *bytes;
            size_t n = serialize(parts[p], &bytes);
            flowlog_sweep_free(parts[p]);
            assert_int_equal(flowlog_sweep_deserialize(&parts[p], bytes, n, NULL), FLOWLOG_OK);
            free(bytes);
        }
        for (int p = k - 1; p > 0; p--) {
            int j = (int)(rnd() % (uint64_t)(p + 1));
            flowlog_sweep *t = parts[p];
            parts[p] = parts[j];
            parts[j] = t;
        }
        for (int p = 1; p < k; p++)
            assert_int_equal(flowlog_sweep_merge(parts[0], parts[p]), FLOWLOG_OK);
        assert_same(whole, parts[0]);
        size_t problems;
        assert_int_equal(flowlog_sweep_finish(whole, &problems), FLOWLOG_OK);
        assert_true(problems > 0);
        for (int p = 0; p < k; p++)
            flowlog_sweep_free(parts[p]);
        flowlog_sweep_free(whole);
    }
    flowlog_record_free(rec);
    flowlog_schema_free(sch);
}

/* Problems come most packets first, ties by client, server, port and
 * protocol, however many there are and whatever order they came in. */
static void results_are_ranked(void **state)
{
    (void)state;
    flowlog_schema *sch = must_schema("version srcaddr dstaddr srcport dstport protocol packets bytes start end "
                                      "action log-status tcp-flags", FLOWLOG_SYNTAX_HEADER);
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new(&rec, sch, NULL), FLOWLOG_OK);
    for (int round = 0; round < 6; round++) {
        flowlog_sweep *s;
        assert_int_equal(flowlog_sweep_new(&s, NULL), FLOWLOG_OK);
        size_t n = round ? 4000 + rnd() % 20000 : 40; /* short ranges and long ones */
        for (size_t i = 0; i < n; i++) {
            char line[200];
            snprintf(line, sizeof line, "5 10.%u.%u.%u 10.9.0.%u 40000 %u 6 %u 100 1704196800 1704196805 REJECT OK 2",
                     (unsigned)(rnd() % 4), (unsigned)(rnd() % 256), (unsigned)(rnd() % 256), (unsigned)(rnd() % 3),
                     (unsigned)(rnd() % 2 ? 443 : 5432), (unsigned)(1 + rnd() % (round % 2 ? 4 : 400)));
            assert_int_equal(flowlog_record_parse(rec, STR(line)), FLOWLOG_OK);
            assert_int_equal(flowlog_sweep_feed(s, rec), FLOWLOG_OK);
        }
        size_t count;
        assert_int_equal(flowlog_sweep_finish(s, &count), FLOWLOG_OK);
        assert_int_equal(count, flowlog_sweep_conversations(s));
        uint64_t prev_packets = UINT64_MAX;
        flowlog_addr prev_client, prev_server;
        unsigned prev_port = 0;
        for (size_t i = 0; i < count; i++) {
            flowlog_addr client, server;
            unsigned port;
            int protocol, verdict;
            assert_int_equal(flowlog_sweep_result(s, i, &client, &server, &port, &protocol, &verdict), FLOWLOG_OK);
            uint64_t packets = 0;
            for (int dir = 0; dir < 2; dir++)
                packets += flowlog_sweep_count(s, i, dir, FLOWLOG_DIAG_PACKETS_ACCEPT) +
                           flowlog_sweep_count(s, i, dir, FLOWLOG_DIAG_PACKETS_REJECT);
            assert_true(packets <= prev_packets);
            if (i && packets == prev_packets) {
                int c = memcmp(prev_client.bytes, client.bytes, 16);
                if (!c)
                    c = memcmp(prev_server.bytes, server.bytes, 16);
                assert_true(c < 0 || (c == 0 && prev_port < port));
            }
            prev_packets = packets;
            prev_client = client;
            prev_server = server;
            prev_port = port;
        }
        flowlog_sweep_free(s);
    }
    flowlog_record_free(rec);
    flowlog_schema_free(sch);
}

/* Distinct conversations beyond the cap are dropped and counted, and the
 * memory held stays under the memory cap. */
static void caps_bound_memory(void **state)
{
    (void)state;
    flowlog_schema *sch = must_schema("srcaddr dstaddr srcport dstport protocol packets bytes start end action",
                                      FLOWLOG_SYNTAX_HEADER);
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new(&rec, sch, NULL), FLOWLOG_OK);
    flowlog_sweep *by_count, *by_memory;
    assert_int_equal(flowlog_sweep_new(&by_count, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_new(&by_memory, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(by_count, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, 1000), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(by_memory, FLOWLOG_SWEEP_OPT_MAX_MEMORY, 1 << 20), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set(by_memory, FLOWLOG_SWEEP_OPT_MAX_MEMORY, 1000), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_sweep_set(by_memory, 77, 1), FLOWLOG_E_UNSUPPORTED);
    char line[128];
    for (unsigned i = 0; i < 50000; i++) {
        snprintf(line, sizeof line, "10.%u.%u.%u 10.200.0.1 40000 443 6 2 100 100 110 REJECT", i >> 16,
                 (i >> 8) & 255, i & 255);
        assert_int_equal(flowlog_record_parse(rec, STR(line)), FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_feed(by_count, rec), FLOWLOG_OK);
        assert_int_equal(flowlog_sweep_feed(by_memory, rec), FLOWLOG_OK);
    }
    assert_int_equal(flowlog_sweep_conversations(by_count), 1000);
    assert_int_equal(flowlog_sweep_dropped(by_count), 49000);
    assert_true(flowlog_sweep_conversations(by_memory) > 1000);
    assert_int_equal(flowlog_sweep_conversations(by_memory) + flowlog_sweep_dropped(by_memory), 50000);
    assert_true(flowlog_sweep_memory(by_memory) <= 1 << 20);
    size_t n;
    assert_int_equal(flowlog_sweep_finish(by_memory, &n), FLOWLOG_OK);
    assert_int_equal(n, flowlog_sweep_conversations(by_memory));
    assert_true(flowlog_sweep_memory(by_memory) <= 1 << 20);
    /* A cap below what is held is refused. */
    assert_int_equal(flowlog_sweep_set(by_count, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, 999), FLOWLOG_E_RANGE);
    flowlog_sweep_free(by_count);
    flowlog_sweep_free(by_memory);
    flowlog_record_free(rec);
    flowlog_schema_free(sch);
}

static void allocation_failures_drop_and_leak_nothing(void **state)
{
    (void)state;
    flowlog_schema *sch = must_schema("srcaddr dstaddr srcport dstport protocol packets bytes start end action",
                                      FLOWLOG_SYNTAX_HEADER);
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new(&rec, sch, NULL), FLOWLOG_OK);
    char line[128];
    for (long fail = 1; fail < 40; fail++) {
        counting c = {0};
        c.fail_at = fail;
        flowlog_allocator al = make_allocator(&c);
        flowlog_sweep *s;
        int rc = flowlog_sweep_new(&s, &al);
        if (rc == FLOWLOG_E_NOMEM) {
            assert_int_equal(c.live_bytes, 0);
            continue;
        }
        assert_int_equal(rc, FLOWLOG_OK);
        uint64_t failed = 0;
        for (unsigned i = 0; i < 20000; i++) {
            snprintf(line, sizeof line, "10.1.%u.%u 10.2.0.1 40000 443 6 2 100 100 110 ACCEPT", i >> 8, i & 255);
            assert_int_equal(flowlog_record_parse(rec, STR(line)), FLOWLOG_OK);
            rc = flowlog_sweep_feed(s, rec);
            assert_true(rc == FLOWLOG_OK || rc == FLOWLOG_E_NOMEM);
            failed += rc == FLOWLOG_E_NOMEM;
        }
        /* Every record is either held or counted as dropped. */
        assert_int_equal(flowlog_sweep_conversations(s) + flowlog_sweep_dropped(s), 20000);
        assert_true(failed <= flowlog_sweep_dropped(s));
        size_t n;
        rc = flowlog_sweep_finish(s, &n);
        assert_true(rc == FLOWLOG_OK || rc == FLOWLOG_E_NOMEM);
        flowlog_sweep_free(s);
        assert_int_equal(c.live_bytes, 0);
    }
    flowlog_record_free(rec);
    flowlog_schema_free(sch);
}

static void corrupt_states_are_errors(void **state)
{
    (void)state;
    size_t count;
    flowlog_sweep *s = sweep_file("lambda-rds-nacl-return.log", &count), *back;
    uint8_t *bytes;
    size_t n = serialize(s, &bytes);
    assert_int_equal(flowlog_sweep_deserialize(&back, bytes, n, NULL), FLOWLOG_OK);
    assert_same(s, back);
    flowlog_sweep_free(back);
    for (size_t i = 0; i < n; i++) {
        bytes[i] ^= 0x41;
        int rc = flowlog_sweep_deserialize(&back, bytes, n, NULL);
        assert_true(rc == FLOWLOG_E_CORRUPT || rc == FLOWLOG_E_VERSION);
        assert_null(back);
        bytes[i] ^= 0x41;
    }
    for (size_t cut = 0; cut < n; cut++)
        assert_int_equal(flowlog_sweep_deserialize(&back, bytes, cut, NULL), FLOWLOG_E_CORRUPT);
    size_t need;
    assert_int_equal(flowlog_sweep_serialize(s, bytes, n - 1, &need), FLOWLOG_E_RANGE);
    /* States with different windows do not merge. */
    flowlog_sweep *other;
    assert_int_equal(flowlog_sweep_new(&other, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_set_window(other, 10, 20), FLOWLOG_OK);
    assert_int_equal(flowlog_sweep_merge(s, other), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_sweep_set_window(other, 30, 20), FLOWLOG_E_ARG);
    flowlog_sweep_free(other);
    free(bytes);
    flowlog_sweep_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scenarios),
        cmocka_unit_test(who_is_the_server),
        cmocka_unit_test(random_splits_merge_to_one_pass),
        cmocka_unit_test(results_are_ranked),
        cmocka_unit_test(caps_bound_memory),
        cmocka_unit_test(allocation_failures_drop_and_leak_nothing),
        cmocka_unit_test(corrupt_states_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
