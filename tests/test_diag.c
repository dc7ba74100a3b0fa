/* Connectivity diagnosis: the scenarios, AWS's documented examples, and
 * merging and serialising that give exactly the single-pass result. */
#include "test_util.h"

#include <stdbool.h>
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
    assert_true((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) < sizeof path);
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
    assert_true((size_t)snprintf(sub, sizeof sub, "%s/aws-docs", dir) < sizeof sub);
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

/* ---- what a verdict rests on ---- */

static bool has_near_miss(const flowlog_diag *d, int want, const char *addr, unsigned port, uint64_t records)
{
    int kind;
    flowlog_addr c, sv;
    unsigned p;
    uint64_t k[5];
    for (size_t i = 0; flowlog_diag_near_miss(d, i, &kind, &c, &sv, &p, NULL, k) == FLOWLOG_OK; i++) {
        char t[64];
        flowlog_addr_format(kind == FLOWLOG_NEAR_OTHER_CLIENT ? &c : &sv, t, sizeof t);
        if (kind == want && !strcmp(t, addr) && p == port && k[0] == records && k[3] && k[4] >= k[3])
            return true;
    }
    return false;
}

static void explained(const flowlog_diag *d, const char *fragment)
{
    char text[8192];
    flowlog_diag_explain(d, text, sizeof text);
    if (!strstr(text, fragment))
        fail_msg("explanation lacks \"%s\":\n%s", fragment, text);
}

static void evidence_scenarios(void **state)
{
    (void)state;
    const char *dir = dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data");
    /* Extracts of only the pair's records name both addresses at both ENIs:
     * which is whose follows from where packets stop. No warning may say one
     * side is missing, or unknown. */
    static const struct {
        const char *file;
        int verdict, side;
    } pairs[] = {
        {"pair-only-blocked-server.log", FLOWLOG_VERDICT_BLOCKED, FLOWLOG_SIDE_SERVER},
        {"pair-only-return-blocked-server.log", FLOWLOG_VERDICT_RETURN_BLOCKED, FLOWLOG_SIDE_SERVER},
        {"pair-only-return-blocked-client.log", FLOWLOG_VERDICT_RETURN_BLOCKED, FLOWLOG_SIDE_CLIENT},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        flowlog_diag *d = diagnose(dir, pairs[i].file, "10.0.1.25", "10.0.2.10", 3306, 3306, 6);
        if (flowlog_diag_verdict(d) != pairs[i].verdict || flowlog_diag_side(d) != pairs[i].side)
            fail_msg("%s: %s/%s", pairs[i].file, flowlog_verdict_name(flowlog_diag_verdict(d)),
                     flowlog_diag_side_name(flowlog_diag_side(d)));
        unsigned w = flowlog_diag_warnings(d);
        assert_false(w & (FLOWLOG_WARN_ONE_SIDE | FLOWLOG_WARN_ENI_UNKNOWN | FLOWLOG_WARN_CLIENT_ENI_NOT_LOGGED |
                          FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED));
        assert_int_equal(flowlog_diag_eni_count(d), 2);
        for (size_t k = 0; k < 2; k++) {
            int side;
            const char *id;
            assert_int_equal(flowlog_diag_eni(d, k, &id, &side, NULL, NULL, NULL), FLOWLOG_OK);
            assert_int_equal(side, strstr(id, "aaaa") ? FLOWLOG_SIDE_CLIENT : FLOWLOG_SIDE_SERVER);
            assert_int_equal(flowlog_diag_side_inferred(d, k), 1);
        }
        explained(d, "inferred from what packets must do");
        flowlog_diag_free(d);
    }

    /* SKIPDATA on the server's ENI, and no matching traffic: the absence is
     * not evidence, and the explanation says where the gap is. */
    flowlog_diag *d = diagnose(dir, "skipdata-server.log", "10.0.1.25", "10.0.2.10", 3306, 3306, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_NO_TRAFFIC);
    assert_true(flowlog_diag_warnings(d) & FLOWLOG_WARN_SKIPDATA);
    const char *id;
    int side;
    uint64_t span[2], gaps[2];
    assert_int_equal(flowlog_diag_endpoint_eni(d, 0, &id, &side, span, gaps), FLOWLOG_OK);
    assert_string_equal(id, "eni-0aaa1111aaaa11111");
    assert_int_equal(side, FLOWLOG_SIDE_CLIENT);
    assert_int_equal(gaps[1], 0);
    assert_int_equal(flowlog_diag_endpoint_eni(d, 1, &id, &side, span, gaps), FLOWLOG_OK);
    assert_string_equal(id, "eni-0bbb2222bbbb22222");
    assert_int_equal(side, FLOWLOG_SIDE_SERVER);
    assert_int_equal(gaps[1], 3);
    assert_int_equal(span[0], 1704196800);
    assert_int_equal(span[1], 1704196800 + 600);
    assert_int_equal(flowlog_diag_endpoint_eni(d, 2, NULL, NULL, NULL, NULL), FLOWLOG_E_RANGE);
    explained(d, "the server's ENI eni-0bbb2222bbbb22222 has 3 SKIPDATA records in the window");
    flowlog_diag_free(d);
    /* outside the window, the SKIPDATA does not count; a window after the
     * logs is a gap of its own, with the time the logs cover */
    char path[1024];
    assert_true((size_t)snprintf(path, sizeof path, "%s/skipdata-server.log", dir) < sizeof path);
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_set_window(d, 1704283200, 0), FLOWLOG_OK);
    feed_file(d, path);
    unsigned w = flowlog_diag_warnings(d);
    assert_true(w & FLOWLOG_WARN_WINDOW_OUTSIDE_LOGS);
    assert_false(w & FLOWLOG_WARN_SKIPDATA);
    assert_int_equal(flowlog_diag_time_range(d, span), FLOWLOG_OK);
    assert_int_equal(span[0], 1704196800);
    assert_int_equal(span[1], 1704196800 + 600);
    explained(d, "outside the time these logs cover (2024-01-02T12:00:00Z to 2024-01-02T12:10:00Z UTC)");
    flowlog_diag_free(d);
    /* both ENIs logged throughout, nothing lost: then the traffic did not happen */
    d = diagnose(dir, "dns-elsewhere.log", "10.0.1.25", "10.0.2.10", 443, 443, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_NO_TRAFFIC);
    flowlog_diag_free(d);

    /* The wrong port: the client talks to the server on 5432, and another
     * client of its subnet reaches 3306. */
    d = diagnose(dir, "wrong-port.log", "10.0.1.25", "10.0.2.10", 3306, 3306, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_NO_TRAFFIC);
    assert_true(has_near_miss(d, FLOWLOG_NEAR_OTHER_PORT, "10.0.2.10", 5432, 8));
    assert_true(has_near_miss(d, FLOWLOG_NEAR_OTHER_CLIENT, "10.0.1.30", 3306, 8));
    int kind;
    assert_int_equal(flowlog_diag_near_miss(d, 0, &kind, NULL, NULL, NULL, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(kind, FLOWLOG_NEAR_OTHER_PORT);
    explained(d, "The client did reach the server on tcp 5432 instead: 8 records");
    explained(d, "Both the client's and the server's ENIs were logged throughout");
    flowlog_diag_free(d);

    /* Through a NAT gateway: the reply is rejected entering the gateway's
     * ENI, on the leg that names the gateway, not the client. */
    d = diagnose(dir, "nat-gateway.log", "10.0.1.5", "203.0.113.5", 443, 443, 6);
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(flowlog_diag_side(d), FLOWLOG_SIDE_INTERMEDIATE);
    assert_int_equal(flowlog_diag_count(d, 1, FLOWLOG_DIAG_RECORDS_REJECT), 3);
    assert_int_equal(flowlog_diag_count(d, 1, FLOWLOG_DIAG_TCP_FLAGS_REJECT), 18);
    assert_int_equal(flowlog_diag_eni_count(d), 2);
    assert_int_equal(flowlog_diag_eni_translates(d, 1), 1);
    assert_false(flowlog_diag_warnings(d) & (FLOWLOG_WARN_ONE_SIDE | FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED));
    explained(d, "REJECTed at the NAT gateway's ENI eni-0ddd4444dddd44444");
    flowlog_diag_free(d);
    /* the same records without pkt-srcaddr/pkt-dstaddr cannot be joined: say so */
    d = diagnose(dir, "nat-gateway-default-format.log", "10.0.1.5", "203.0.113.5", 443, 443, 6);
    assert_int_not_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_true(flowlog_diag_warnings(d) & FLOWLOG_WARN_NO_PKT_ADDR);
    explained(d, "pkt-srcaddr");
    flowlog_diag_free(d);
}

/* Every diagnosis knows what it read: a missing file, a truncated gzip and
 * a file with a bad line each leave their mark, and the account survives
 * serialising. */
static void assert_same(const flowlog_diag *a, const flowlog_diag *b);

static void inputs_are_accounted(void **state)
{
    (void)state;
    char good[1024], gz[1024];
    const char *dir = dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data");
    assert_true((size_t)snprintf(good, sizeof good, "%s/lambda-rds-nacl-return.log", dir) < sizeof good);
    assert_true((size_t)snprintf(gz, sizeof gz, "%s/bad/truncated.log.gz", dir_of("FLOWLOG_TEST_DATA", "tests/data")) < sizeof gz);
    flowlog_reader *r;
    flowlog_record *rec;
    flowlog_diag *d;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, "/nonexistent/flows.log"), FLOWLOG_E_IO);
    assert_int_equal(flowlog_reader_add_path(r, good), FLOWLOG_OK);
    static const char bad[] = "2 1 eni-1 10.0.1.25 10.0.2.10 1 3306 6 1 40 1 2 ACCEPT OK\nnot a record\n";
    assert_int_equal(flowlog_reader_add_memory(r, bad, sizeof bad - 1, "memory"), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    int rc, errors = 0;
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        if (rc == FLOWLOG_OK)
            assert_int_equal(flowlog_diag_feed(d, rec, NULL), FLOWLOG_OK);
        else
            errors++;
    }
    assert_int_equal(errors, 1);
    assert_int_equal(flowlog_reader_input_count(r), 3);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS), 1);
    assert_int_equal(flowlog_diag_add_reader_inputs(d, r), FLOWLOG_OK);
    flowlog_reader_free(r);
    assert_int_equal(flowlog_diag_complete(d), 0);
    assert_true(flowlog_diag_warnings(d) & FLOWLOG_WARN_INCOMPLETE_INPUT);
    /* the verdict is still the one the records read give */
    assert_int_equal(flowlog_diag_verdict(d), FLOWLOG_VERDICT_RETURN_BLOCKED);
    uint8_t *bytes;
    size_t n = serialize(d, &bytes);
    flowlog_diag *back;
    assert_int_equal(flowlog_diag_deserialize(&back, bytes, n, NULL), FLOWLOG_OK);
    free(bytes);
    flowlog_diag *both[2] = {d, back};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(flowlog_diag_input_count(both[k]), 3);
        const char *name, *reason;
        int status;
        uint64_t records, errs;
        /* sorted by name; where the examples folder sorts depends on the
         * checkout's path, so each entry is found by its name */
        size_t missing = 3, memory = 3, example = 3;
        for (size_t i = 0; i < 3; i++) {
            assert_int_equal(flowlog_diag_input(both[k], i, &name, NULL, NULL, NULL, NULL), FLOWLOG_OK);
            if (strcmp(name, "/nonexistent/flows.log") == 0)
                missing = i;
            else if (strcmp(name, "memory") == 0)
                memory = i;
            else if (strcmp(name, good) == 0)
                example = i;
        }
        assert_true(missing < 3 && memory < 3 && example < 3);
        assert_int_equal(flowlog_diag_input(both[k], missing, &name, &status, &records, &errs, &reason), FLOWLOG_OK);
        assert_int_equal(status, FLOWLOG_INPUT_FAILED);
        assert_string_equal(reason, "No such file or directory");
        assert_int_equal(flowlog_diag_input(both[k], memory, &name, &status, &records, &errs, &reason), FLOWLOG_OK);
        assert_int_equal(status, FLOWLOG_INPUT_COMPLETE);
        assert_int_equal(records, 1);
        assert_int_equal(errs, 1);
        assert_string_equal(reason, "");
        assert_int_equal(flowlog_diag_input(both[k], example, &name, &status, &records, &errs, NULL), FLOWLOG_OK);
        assert_int_equal(status, FLOWLOG_INPUT_COMPLETE);
        assert_int_equal(records, 6);
        const char *first, *second;
        assert_int_equal(flowlog_diag_input(both[k], 0, &first, NULL, NULL, NULL, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_diag_input(both[k], 1, &second, NULL, NULL, NULL, NULL), FLOWLOG_OK);
        assert_true(strcmp(first, second) < 0);
        assert_int_equal(flowlog_diag_input(both[k], 3, NULL, NULL, NULL, NULL, NULL), FLOWLOG_E_RANGE);
    }
    flowlog_diag_free(back);
    flowlog_diag_free(d);

    /* What any caller may add survives serialising: a long reason, a reason
     * given with a status that is not a failure, a name past the longest
     * kept (twice: it adds into one entry) */
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    char longer[5000], why[300];
    memset(longer, 'p', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memset(why, 'w', sizeof why - 1);
    why[sizeof why - 1] = '\0';
    assert_int_equal(flowlog_diag_add_input(d, "a.log", FLOWLOG_INPUT_FAILED, 1, 0, why), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_add_input(d, "b.log", FLOWLOG_INPUT_COMPLETE, 1, 0, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_add_input(d, "b.log", FLOWLOG_INPUT_STOPPED, 1, 0, "stopped here"), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_add_input(d, longer, FLOWLOG_INPUT_COMPLETE, 2, 0, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_add_input(d, longer, FLOWLOG_INPUT_COMPLETE, 3, 0, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_input_count(d), 3);
    n = serialize(d, &bytes);
    assert_int_equal(flowlog_diag_deserialize(&back, bytes, n, NULL), FLOWLOG_OK);
    free(bytes);
    assert_same(d, back);
    const char *name, *reason;
    uint64_t records;
    int status;
    assert_int_equal(flowlog_diag_input(back, 1, &name, &status, &records, NULL, &reason), FLOWLOG_OK);
    assert_string_equal(name, "b.log");
    assert_int_equal(status, FLOWLOG_INPUT_STOPPED);
    assert_int_equal(records, 2);
    assert_string_equal(reason, "");
    assert_int_equal(flowlog_diag_input(back, 2, &name, NULL, &records, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(records, 5);
    flowlog_diag_free(back);
    flowlog_diag_free(d);

    /* a gzip cut short: failed, with the records before the cut counted */
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, gz), FLOWLOG_OK);
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END)
        ;
    assert_int_equal(flowlog_reader_input(r, 0, NULL, &status, NULL, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(status, FLOWLOG_INPUT_FAILED);
    flowlog_reader_free(r);
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
    int k1, k2, r1, r2;
    unsigned q1, q2;
    flowlog_addr b1, b2;
    uint64_t m1[5], m2[5];
    for (i = 0; flowlog_diag_near_miss(a, i, &k1, &a1, &b1, &q1, &r1, m1) == FLOWLOG_OK; i++) {
        assert_int_equal(flowlog_diag_near_miss(b, i, &k2, &a2, &b2, &q2, &r2, m2), FLOWLOG_OK);
        assert_true(k1 == k2 && q1 == q2 && r1 == r2);
        assert_memory_equal(&a1, &a2, sizeof a1);
        assert_memory_equal(&b1, &b2, sizeof b1);
        assert_memory_equal(m1, m2, sizeof m1);
    }
    assert_int_equal(flowlog_diag_near_miss(b, i, NULL, NULL, NULL, NULL, NULL, NULL), FLOWLOG_E_RANGE);
    const char *e1, *e2;
    uint64_t sp1[2], sp2[2], g1[2], g2[2];
    for (i = 0; flowlog_diag_endpoint_eni(a, i, &e1, &k1, sp1, g1) == FLOWLOG_OK; i++) {
        assert_int_equal(flowlog_diag_endpoint_eni(b, i, &e2, &k2, sp2, g2), FLOWLOG_OK);
        assert_string_equal(e1, e2);
        assert_int_equal(k1, k2);
        assert_memory_equal(sp1, sp2, sizeof sp1);
        assert_memory_equal(g1, g2, sizeof g1);
    }
    assert_int_equal(flowlog_diag_endpoint_eni(b, i, NULL, NULL, NULL, NULL), FLOWLOG_E_RANGE);
    for (i = 0; i < flowlog_diag_eni_count(a); i++) {
        assert_int_equal(flowlog_diag_eni_translates(a, i), flowlog_diag_eni_translates(b, i));
        assert_int_equal(flowlog_diag_side_inferred(a, i), flowlog_diag_side_inferred(b, i));
    }
    assert_int_equal(flowlog_diag_time_range(a, sp1), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_time_range(b, sp2), FLOWLOG_OK);
    assert_memory_equal(sp1, sp2, sizeof sp1);
    assert_int_equal(flowlog_diag_complete(a), flowlog_diag_complete(b));
    assert_int_equal(flowlog_diag_input_count(a), flowlog_diag_input_count(b));
    for (i = 0; i < flowlog_diag_input_count(a); i++) {
        const char *w1, *w2;
        assert_int_equal(flowlog_diag_input(a, i, &e1, &k1, &m1[0], &m1[1], &w1), FLOWLOG_OK);
        assert_int_equal(flowlog_diag_input(b, i, &e2, &k2, &m2[0], &m2[1], &w2), FLOWLOG_OK);
        assert_string_equal(e1, e2);
        assert_string_equal(w1, w2);
        assert_int_equal(k1, k2);
        assert_memory_equal(m1, m2, 2 * sizeof m1[0]);
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

/* One random record of a client (of 10.0.1.0/24), a server 10.0.2.10 (or
 * another address), on 5432 or another port, at one of 4 ENIs, sometimes
 * through a NAT gateway (eni-3, 10.0.0.220: translated on the client's
 * side, its legs to the server not), sometimes NODATA or SKIPDATA; eni-0 is
 * 10.0.1.25's, eni-1 10.0.2.10's. */
static void random_line(char *line, size_t size)
{
    static const char *const clients[] = {"10.0.1.25", "10.0.1.25", "10.0.1.25", "10.0.1.26", "10.0.1.30"};
    const char *client = clients[rnd() % 5];
    const char *server = (rnd() % 5) ? "10.0.2.10" : "10.0.9.9";
    unsigned port = rnd() % 6 ? 5432u : (rnd() % 2 ? 3306u : 22u);
    int fwd = rnd() % 2, eni = (int)(rnd() % 4);
    /* the client's ENI logs what names it, the server's likewise */
    if (eni < 2 && !strcmp(client, "10.0.1.25") && !strcmp(server, "10.0.2.10"))
        eni = (int)(rnd() % 2);
    else if (eni < 2)
        eni = !strcmp(client, "10.0.1.25") ? 0 : !strcmp(server, "10.0.2.10") ? 1 : 2;
    unsigned long t = 1704196800ul + rnd() % 3600;
    const char *action = (rnd() % 3) ? "ACCEPT" : "REJECT";
    unsigned eph = 40000u + (unsigned)(rnd() % 50);
    const char *src = fwd ? client : server, *dst = fwd ? server : client, *psrc = src, *pdst = dst;
    if (eni == 3) { /* the NAT gateway: the client's leg addressed to it, or its own leg to the server */
        if (rnd() % 2) {
            if (fwd)
                dst = "10.0.0.220";
            else
                src = "10.0.0.220";
        } else {
            src = fwd ? "10.0.0.220" : server;
            dst = fwd ? server : "10.0.0.220";
            psrc = src;
            pdst = dst;
        }
    }
    if (rnd() % 25 == 0)
        snprintf(line, size, "5 eni-%d - - - - - - - %lu %lu - %s - - - -", eni, t, t + 60,
                 rnd() % 2 ? "NODATA" : "SKIPDATA");
    else
        snprintf(line, size, "5 eni-%d %s %s %u %u 6 %u %u %lu %lu %s OK %u %s %s %s", eni, src, dst,
                 fwd ? eph : port, fwd ? port : eph, (unsigned)(1 + rnd() % 20), (unsigned)(40 + rnd() % 9000), t,
                 t + rnd() % 60, action, (unsigned)(fwd ? 2 : (rnd() % 2 ? 18 : 4)), rnd() % 2 ? "ingress" : "egress",
                 psrc, pdst);
}

static void random_splits_merge_to_one_pass(void **state)
{
    (void)state;
    static char lines[NREC][200];
    flowlog_schema *s = must_schema("version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
                                    "action log-status tcp-flags flow-direction pkt-srcaddr pkt-dstaddr",
                                    FLOWLOG_SYNTAX_HEADER);
    static const char *const inputs[] = {"a.log", "b.log.gz", "c/d.log"};
    /* what the rounds must have shown, so that the merge was tried on it */
    int seen_kind[4] = {0, 0, 0, 0}, seen_translating = 0, seen_gaps = 0;
    for (int round = 0; round < 60; round++) {
        for (int i = 0; i < NREC; i++)
            random_line(lines[i], sizeof lines[i]);
        /* one client (near misses of every kind), or the client's network */
        const char *client = round % 2 ? "10.0.1.25" : "10.0.1.0/24";
        flowlog_diag *whole;
        flowlog_record *rec;
        assert_int_equal(flowlog_record_new(&rec, s, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_diag_new(&whole, client, "10.0.2.10", 5432, 5432, 6, NULL), FLOWLOG_OK);
        if (round % 3 == 0)
            assert_int_equal(flowlog_diag_set_window(whole, 1704197000, 1704199000), FLOWLOG_OK);
        for (int i = 0; i < NREC; i++) {
            assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
            flowlog_diag_feed(whole, rec, NULL);
        }
        /* Split into k parts at random, serialise each, merge in a random
         * order; each input's account is split between the parts too. */
        int k = 2 + (int)(rnd() % 5);
        flowlog_diag *parts[8];
        for (int p = 0; p < k; p++) {
            assert_int_equal(flowlog_diag_new(&parts[p], client, "10.0.2.10", 5432, 5432, 6, NULL), FLOWLOG_OK);
            if (round % 3 == 0)
                assert_int_equal(flowlog_diag_set_window(parts[p], 1704197000, 1704199000), FLOWLOG_OK);
        }
        for (int i = 0; i < NREC; i++) {
            assert_int_equal(flowlog_record_parse(rec, STR(lines[i])), FLOWLOG_OK);
            flowlog_diag_feed(parts[rnd() % (uint64_t)k], rec, NULL);
        }
        for (int in = 0; in < 3; in++) {
            uint64_t records = rnd() % 1000, errors = rnd() % 3 == 0;
            int status = rnd() % 4 ? FLOWLOG_INPUT_COMPLETE : FLOWLOG_INPUT_FAILED;
            const char *why = status == FLOWLOG_INPUT_FAILED ? "gzip stream is truncated" : NULL;
            assert_int_equal(flowlog_diag_add_input(whole, inputs[in], status, records, errors, why), FLOWLOG_OK);
            int p = (int)(rnd() % (uint64_t)k);
            /* the worse status in one part, the rest of the records in another */
            assert_int_equal(flowlog_diag_add_input(parts[p], inputs[in], status, records / 2, errors, why), FLOWLOG_OK);
            assert_int_equal(flowlog_diag_add_input(parts[(p + 1) % k], inputs[in], FLOWLOG_INPUT_COMPLETE,
                                                    records - records / 2, 0, NULL), FLOWLOG_OK);
        }
        for (int p = 0; p < k; p++) {
            uint8_t *bytes;
            size_t n = serialize(parts[p], &bytes);
            flowlog_diag_free(parts[p]);
            assert_int_equal(flowlog_diag_deserialize(&parts[p], bytes, n, NULL), FLOWLOG_OK);
            /* a state loaded writes the bytes it was loaded from: equal
             * states are equal bytes, which is what a cluster compares */
            uint8_t *again;
            assert_int_equal(serialize(parts[p], &again), n);
            assert_memory_equal(again, bytes, n);
            free(again);
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
        int kind;
        for (size_t i = 0; flowlog_diag_near_miss(whole, i, &kind, NULL, NULL, NULL, NULL, NULL) == FLOWLOG_OK; i++)
            seen_kind[kind]++;
        for (size_t i = 0; i < flowlog_diag_eni_count(whole); i++)
            seen_translating += flowlog_diag_eni_translates(whole, i) == 1;
        uint64_t gaps[2];
        for (size_t i = 0; flowlog_diag_endpoint_eni(whole, i, NULL, NULL, NULL, gaps) == FLOWLOG_OK; i++)
            seen_gaps += gaps[0] + gaps[1] > 0;
        for (int p = 0; p < k; p++)
            flowlog_diag_free(parts[p]);
        flowlog_diag_free(whole);
        flowlog_record_free(rec);
    }
    assert_true(seen_kind[FLOWLOG_NEAR_OTHER_PORT] && seen_kind[FLOWLOG_NEAR_OTHER_SERVER] &&
                seen_kind[FLOWLOG_NEAR_OTHER_CLIENT]);
    assert_true(seen_translating > 0);
    assert_true(seen_gaps > 0);
    flowlog_schema_free(s);
}

static void corrupt_states_are_errors(void **state)
{
    (void)state;
    flowlog_diag *d, *back;
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    char path[1024];
    assert_true((size_t)snprintf(path, sizeof path, "%s/lambda-rds-nacl-return.log", dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data")) < sizeof path);
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
        cmocka_unit_test(evidence_scenarios),
        cmocka_unit_test(inputs_are_accounted),
        cmocka_unit_test(random_splits_merge_to_one_pass),
        cmocka_unit_test(corrupt_states_are_errors),
        cmocka_unit_test(state_with_an_eni_without_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
