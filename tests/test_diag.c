/* Connectivity diagnosis: the scenarios, AWS's documented examples, and
 * merging and serialising that give exactly the single-pass result. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/diag.h>
#include <flowlog/reader.h>

static const char *dir_of(const char *env, const char *fallback)
{
    const char *d = getenv(env);
    return d ? d : fallback;
}

/* Feed a file through the reader into d. */
static void feed_file(flowlog_diag *d, const char *path)
{
    flowlog_reader *r;
    flowlog_record *rec;
    int rc;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        assert_int_equal(rc, FLOWLOG_OK);
        assert_int_equal(flowlog_diag_feed(d, rec, flowlog_reader_stream(r)), FLOWLOG_OK);
    }
    flowlog_reader_free(r);
}

static flowlog_diag *diagnose(const char *dir, const char *file, const char *client, const char *server,
                              unsigned lo, unsigned hi, int proto)
{
    char path[1024];
    flowlog_diag *d;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    assert_int_equal(flowlog_diag_new(&d, client, server, lo, hi, proto, NULL), FLOWLOG_OK);
    feed_file(d, path);
    return d;
}

static void expect(const char *file, const char *client, const char *server, unsigned port, int proto,
                   int verdict, int side)
{
    flowlog_diag *d = diagnose(dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data"), file, client, server, port, port, proto);
    if (flowlog_diag_verdict(d) != verdict || flowlog_diag_side(d) != side)
        fail_msg("%s: %s/%s, want %s/%s", file, flowlog_verdict_name(flowlog_diag_verdict(d)),
                 flowlog_diag_side_name(flowlog_diag_side(d)), flowlog_verdict_name(verdict), flowlog_diag_side_name(side));
    char text[4096];
    assert_true(flowlog_diag_explain(d, text, sizeof text) > 0);
    flowlog_diag_free(d);
}

static void scenarios(void **state)
{
    (void)state;
    expect("lambda-rds-nacl-inbound.log", "10.0.1.25", "10.0.2.10", 3306, 6, FLOWLOG_VERDICT_BLOCKED, FLOWLOG_SIDE_SERVER);
    expect("lambda-rds-nacl-return.log", "10.0.1.25", "10.0.2.10", 3306, 6, FLOWLOG_VERDICT_RETURN_BLOCKED, FLOWLOG_SIDE_SERVER);
    expect("lambda-rds-working.log", "10.0.1.25", "10.0.2.10", 3306, 6, FLOWLOG_VERDICT_ESTABLISHED, FLOWLOG_SIDE_NONE);
    expect("ecs-https.log", "10.0.3.40", "10.0.4.0/24", 443, 6, FLOWLOG_VERDICT_ESTABLISHED, FLOWLOG_SIDE_NONE);
    expect("refused-port.log", "10.0.1.25", "10.0.2.20", 8080, 6, FLOWLOG_VERDICT_REFUSED, FLOWLOG_SIDE_NONE);
    expect("unanswered-port.log", "10.0.1.25", "10.0.2.30", 9200, 6, FLOWLOG_VERDICT_NO_RESPONSE, FLOWLOG_SIDE_NONE);
    expect("intermittent-rule-fix.log", "10.0.1.0/24", "10.0.2.10", 5432, 6, FLOWLOG_VERDICT_INTERMITTENT, FLOWLOG_SIDE_SERVER);
    expect("dns-elsewhere.log", "10.0.1.25", "10.0.2.10", 443, 6, FLOWLOG_VERDICT_NO_TRAFFIC, FLOWLOG_SIDE_NONE);
}

static void scenario_evidence(void **state)
{
    (void)state;
    const char *dir = dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data");
    flowlog_diag *d = diagnose(dir, "lambda-rds-nacl-inbound.log", "10.0.1.25", "10.0.2.10", 3306, 3306, 6);
    assert_int_equal(flowlog_diag_count(d, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_RECORDS_ACCEPT), 2);
    assert_int_equal(flowlog_diag_count(d, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_RECORDS_REJECT), 2);
    assert_int_equal(flowlog_diag_count(d, FLOWLOG_DIAG_FORWARD, FLOWLOG_DIAG_PACKETS_REJECT), 6);
    assert_int_equal(flowlog_diag_eni_count(d), 2);
    const char *id;
    int side;
    uint64_t c[4], ns[2];
    unsigned io;
    assert_int_equal(flowlog_diag_eni(d, 0, &id, &side, c, &io, ns), FLOWLOG_OK);
    assert_string_equal(id, "eni-0aaa1111aaaa11111");
    assert_int_equal(side, FLOWLOG_SIDE_CLIENT);
    assert_int_equal(io, 2);
    assert_int_equal(flowlog_diag_eni(d, 1, &id, &side, c, &io, ns), FLOWLOG_OK);
    assert_int_equal(side, FLOWLOG_SIDE_SERVER);
    assert_int_equal(c[1], 2);
    flowlog_diag_free(d);

    /* intermittent splits by time: REJECT until 12:04, ACCEPT after */
    d = diagnose(dir, "intermittent-rule-fix.log", "10.0.1.25", "10.0.2.10", 5432, 5432, 6);
    assert_true(flowlog_diag_count(d, 0, FLOWLOG_DIAG_LAST_REJECT) <= flowlog_diag_count(d, 0, FLOWLOG_DIAG_FIRST_ACCEPT));
    char text[4096];
    flowlog_diag_explain(d, text, sizeof text);
    assert_non_null(strstr(text, "REJECTed until 2024-01-02T12:04:00Z"));
    assert_null(strstr(text, "1704197040")); /* no epoch seconds for people */
    uint64_t start, p[4];
    assert_int_equal(flowlog_diag_interval(d, 0, &start, p), FLOWLOG_OK);
    assert_int_equal(start, 1704196800);
    assert_int_equal(p[1], 2);
    flowlog_diag_free(d);

    /* no-traffic lists where the client sent instead */
    d = diagnose(dir, "dns-elsewhere.log", "10.0.1.25", "10.0.2.10", 443, 443, 6);
    flowlog_addr a;
    uint64_t n;
    assert_int_equal(flowlog_diag_elsewhere(d, 0, &a, &n), FLOWLOG_OK);
    char t[64];
    flowlog_addr_format(&a, t, sizeof t);
    assert_string_equal(t, "10.0.9.9");
    assert_int_equal(n, 2);
    flowlog_diag_free(d);
}

static void aws_documented_examples(void **state)
{
    (void)state;
    const char *dir = dir_of("FLOWLOG_TEST_DATA", "tests/data");
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/aws-docs", dir);
    /* The ping whose reply the network ACL rejects. */
    flowlog_diag *d = diagnose(sub, "icmp-nacl-reply-rejected.log", "203.0.113.12", "172.31.16.139", 0, 65535, 1);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(flowlog_diag_side(d), FLOWLOG_SIDE_SERVER);
    flowlog_diag_free(d);
    /* The tcp-flags connections are established (SYN, then SYN-ACK back). */
    d = diagnose(sub, "tcp-flags.log", "52.213.180.42", "10.0.0.62", 5001, 5001, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_ESTABLISHED);
    assert_int_equal(flowlog_diag_count(d, 1, FLOWLOG_DIAG_TCP_FLAGS) & FLOWLOG_TCP_SYN_ACK, FLOWLOG_TCP_SYN_ACK);
    flowlog_diag_free(d);
    /* Through a transit gateway: pkt-srcaddr/pkt-dstaddr name the real endpoints,
     * so the TGW ENIs' records count for the conversation. */
    d = diagnose(sub, "transit-gateway-vpc.log", "10.20.33.164", "10.40.2.236", 80, 80, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_ESTABLISHED);
    assert_int_equal(flowlog_diag_count(d, 0, FLOWLOG_DIAG_RECORDS_ACCEPT), 2);
    assert_int_equal(flowlog_diag_count(d, 1, FLOWLOG_DIAG_RECORDS_ACCEPT), 2);
    assert_int_equal(flowlog_diag_eni_count(d), 3);
    flowlog_diag_free(d);
    /* The RDP record is rejected; SSH is accepted but nothing answers in this log. */
    d = diagnose(sub, "accept-reject.log", "172.31.9.69", "172.31.9.12", 3389, 3389, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_BLOCKED);
    assert_true(flowlog_diag_warnings(d) & FLOWLOG_WARN_NO_TCP_FLAGS);
    char text[8192];
    flowlog_diag_explain(d, text, sizeof text);
    assert_non_null(strstr(text, "aws ec2 create-flow-logs"));
    flowlog_diag_free(d);
}

/* ---- merge: any split, merged in any order, equals one pass ---- */

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static size_t serialize(const flowlog_diag *d, uint8_t **out)
{
    size_t need;
    assert_int_equal(flowlog_diag_serialize(d, NULL, 0, &need), FLOWLOG_OK);
    *out = malloc(need);
    assert_non_null(*out);
    size_t again;
    assert_int_equal(flowlog_diag_serialize(d, *out, need, &again), FLOWLOG_OK);
    assert_int_equal(again, need);
    return need;
}

static void assert_same(const flowlog_diag *a, const flowlog_diag *b)
{
    uint8_t *x, *y;
    size_t nx = serialize(a, &x), ny = serialize(b, &y);
    /* The serialised bytes hold every table in a canonical order except the
     * ENI hash table, so compare what the accessors report. */
    assert_int_equal(flowlog_diag_verdict(a), flowlog_diag_verdict(b));
    assert_int_equal(flowlog_diag_side(a), flowlog_diag_side(b));
    assert_int_equal(flowlog_diag_warnings(a), flowlog_diag_warnings(b));
    for (int dir = 0; dir < 2; dir++)
        for (int c = 1; c <= FLOWLOG_DIAG_LAST_ACCEPT; c++)
            assert_int_equal(flowlog_diag_count(a, dir, c), flowlog_diag_count(b, dir, c));
    assert_int_equal(flowlog_diag_eni_count(a), flowlog_diag_eni_count(b));
    for (size_t i = 0; i < flowlog_diag_eni_count(a); i++) {
        const char *ia, *ib;
        int sa, sb;
        uint64_t ca[4], cb[4], na[2], nb[2];
        unsigned oa, ob;
        flowlog_diag_eni(a, i, &ia, &sa, ca, &oa, na);
        flowlog_diag_eni(b, i, &ib, &sb, cb, &ob, nb);
        assert_string_equal(ia, ib);
        assert_int_equal(sa, sb);
        assert_memory_equal(ca, cb, sizeof ca);
        assert_int_equal(oa, ob);
        assert_memory_equal(na, nb, sizeof na);
    }
    uint64_t s1, s2, p1[4], p2[4];
    size_t i = 0;
    for (; flowlog_diag_interval(a, i, &s1, p1) == FLOWLOG_OK; i++) {
        assert_int_equal(flowlog_diag_interval(b, i, &s2, p2), FLOWLOG_OK);
        assert_int_equal(s1, s2);
        assert_memory_equal(p1, p2, sizeof p1);
    }
    assert_int_equal(flowlog_diag_interval(b, i, &s2, p2), FLOWLOG_E_RANGE);
    flowlog_addr a1, a2;
    uint64_t x1, x2, y1, y2;
    for (i = 0; flowlog_diag_client(a, i, &a1, &x1, &y1) == FLOWLOG_OK; i++) {
        assert_int_equal(flowlog_diag_client(b, i, &a2, &x2, &y2), FLOWLOG_OK);
        assert_memory_equal(&a1, &a2, sizeof a1);
        assert_true(x1 == x2 && y1 == y2);
    }
    for (i = 0; flowlog_diag_elsewhere(a, i, &a1, &x1) == FLOWLOG_OK; i++) {
        assert_int_equal(flowlog_diag_elsewhere(b, i, &a2, &x2), FLOWLOG_OK);
        assert_memory_equal(&a1, &a2, sizeof a1);
        assert_int_equal(x1, x2);
    }
    char t1[8192], t2[8192];
    flowlog_diag_explain(a, t1, sizeof t1);
    flowlog_diag_explain(b, t2, sizeof t2);
    assert_string_equal(t1, t2);
    assert_int_equal(nx, ny);
    free(x);
    free(y);
}

#define NREC 300

static void random_splits_merge_to_one_pass(void **state)
{
    (void)state;
    static char lines[NREC][200];
    flowlog_schema *s = must_schema("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
                                    "action log-status tcp-flags flow-direction", FLOWLOG_SYNTAX_HEADER);
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < NREC; i++) {
            const char *client = (rnd() % 4) ? "10.0.1.25" : "10.0.1.26";
            const char *server = (rnd() % 5) ? "10.0.2.10" : "10.0.9.9";
            int fwd = rnd() % 2, eni = (int)(rnd() % 3);
            unsigned long t = 1704196800ul + rnd() % 3600;
            const char *action = (rnd() % 3) ? "ACCEPT" : "REJECT";
            if (rnd() % 25 == 0)
                snprintf(lines[i], sizeof lines[i], "5 eni-%d - - - - - - - %lu %lu - %s - -", eni, t, t + 60,
                         rnd() % 2 ? "NODATA" : "SKIPDATA");
            else
                snprintf(lines[i], sizeof lines[i], "5 eni-%d %s %s %u %u 6 %u %u %lu %lu %s OK %u %s", eni,
                         fwd ? client : server, fwd ? server : client, fwd ? 40000u + (unsigned)(rnd() % 50) : 5432u,
                         fwd ? 5432u : 40000u + (unsigned)(rnd() % 50), (unsigned)(1 + rnd() % 20),
                         (unsigned)(40 + rnd() % 9000), t, t + rnd() % 60, action,
                         (unsigned)(fwd ? 2 : (rnd() % 2 ? 18 : 4)), rnd() % 2 ? "ingress" : "egress");
        }
        flowlog_diag *whole;
        flowlog_record *rec;
        assert_int_equal(flowlog_record_new(&rec, s, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_diag_new(&whole, "10.0.1.0/24", "10.0.2.10", 5432, 5432, 6, NULL), FLOWLOG_OK);
        for (int i = 0; i < NREC; i++) {
            assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
            flowlog_diag_feed(whole, rec, NULL);
        }
        /* Split into k parts at random, serialise each, merge in a random order. */
        int k = 2 + (int)(rnd() % 5);
        flowlog_diag *parts[8];
        for (int p = 0; p < k; p++)
            assert_int_equal(flowlog_diag_new(&parts[p], "10.0.1.0/24", "10.0.2.10", 5432, 5432, 6, NULL), FLOWLOG_OK);
        for (int i = 0; i < NREC; i++) {
            assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
            flowlog_diag_feed(parts[rnd() % (uint64_t)k], rec, NULL);
        }
        for (int p = 0; p < k; p++) {
            uint8_t *bytes;
            size_t n = serialize(parts[p], &bytes);
            flowlog_diag_free(parts[p]);
            assert_int_equal(flowlog_diag_deserialize(&parts[p], bytes, n, NULL), FLOWLOG_OK);
            free(bytes);
        }
        for (int p = k - 1; p > 0; p--) {
            int j = (int)(rnd() % (uint64_t)(p + 1));
            flowlog_diag *tmp = parts[p];
            parts[p] = parts[j];
            parts[j] = tmp;
        }
        for (int p = 1; p < k; p++)
            assert_int_equal(flowlog_diag_merge(parts[0], parts[p]), FLOWLOG_OK);
        assert_same(whole, parts[0]);
        for (int p = 0; p < k; p++)
            flowlog_diag_free(parts[p]);
        flowlog_diag_free(whole);
        flowlog_record_free(rec);
    }
    flowlog_schema_free(s);
}

static void corrupt_states_are_errors(void **state)
{
    (void)state;
    flowlog_diag *d, *back;
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/lambda-rds-nacl-return.log", dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data"));
    feed_file(d, path);
    uint8_t *bytes;
    size_t n = serialize(d, &bytes);
    assert_int_equal(flowlog_diag_deserialize(&back, bytes, n, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_verdict(back), FLOWLOG_VERDICT_RETURN_BLOCKED);
    flowlog_diag_free(back);
    for (size_t i = 0; i < n; i += 7) {
        bytes[i] ^= 0x41;
        int rc = flowlog_diag_deserialize(&back, bytes, n, NULL);
        assert_true(rc == FLOWLOG_E_CORRUPT || rc == FLOWLOG_E_VERSION);
        assert_null(back);
        bytes[i] ^= 0x41;
    }
    for (size_t cut = 0; cut < n; cut += 13)
        assert_int_equal(flowlog_diag_deserialize(&back, bytes, cut, NULL), FLOWLOG_E_CORRUPT);
    size_t need;
    assert_int_equal(flowlog_diag_serialize(d, bytes, n - 1, &need), FLOWLOG_E_RANGE);
    flowlog_diag *other;
    assert_int_equal(flowlog_diag_new(&other, "10.0.1.25", "10.0.2.10", 3307, 3307, 6, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_merge(d, other), FLOWLOG_E_ARG);
    flowlog_diag_free(other);
    free(bytes);
    flowlog_diag_free(d);
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.x", "10.0.2.10", 1, 1, 6, NULL), FLOWLOG_E_QUERY);
    assert_null(d);
    assert_int_equal(flowlog_diag_new(&d, "any", "10.0.2.10", 9, 1, 6, NULL), FLOWLOG_E_QUERY);
}

/* An ENI known only from NODATA records has no address yet; its state still
 * loads. */
static void state_with_an_eni_without_addresses(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    flowlog_record *rec;
    flowlog_diag *d, *back;
    assert_int_equal(flowlog_record_new(&rec, s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_record_parse(rec, STR("2 1 eni-quiet - - - - - - - 1704196800 1704196860 - NODATA")), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_feed(d, rec, NULL), FLOWLOG_OK);
    uint8_t *bytes;
    size_t n = serialize(d, &bytes);
    assert_int_equal(flowlog_diag_deserialize(&back, bytes, n, NULL), FLOWLOG_OK);
    assert_same(d, back);
    free(bytes);
    flowlog_diag_free(back);
    flowlog_diag_free(d);
    flowlog_record_free(rec);
    flowlog_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scenarios),
        cmocka_unit_test(scenario_evidence),
        cmocka_unit_test(aws_documented_examples),
        cmocka_unit_test(random_splits_merge_to_one_pass),
        cmocka_unit_test(corrupt_states_are_errors),
        cmocka_unit_test(state_with_an_eni_without_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
