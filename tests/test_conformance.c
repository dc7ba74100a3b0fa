/* AWS's documented example records parse to the values the documentation
 * states (tests/data/aws-docs, see ORIGIN.md there). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>

#include <flowlog/reader.h>

typedef struct loaded {
    flowlog_reader *reader;
    flowlog_record *rec;
} loaded;

static const char *data_dir(void)
{
    const char *d = getenv("FLOWLOG_TEST_DATA");
    return d ? d : "tests/data";
}

static void open_file(loaded *l, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/aws-docs/%s", data_dir(), name);
    assert_int_equal(flowlog_reader_new(&l->reader, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(l->reader, path), FLOWLOG_OK);
}

static void next(loaded *l)
{
    int rc = flowlog_reader_next(l->reader, &l->rec);
    if (rc != FLOWLOG_OK)
        fail_msg("%s:%llu: %s", flowlog_reader_path(l->reader),
                 (unsigned long long)flowlog_reader_line(l->reader), flowlog_reader_error_message(l->reader));
}

static void done(loaded *l, uint64_t records, uint64_t headers)
{
    assert_int_equal(flowlog_reader_next(l->reader, &l->rec), FLOWLOG_END);
    assert_int_equal(flowlog_reader_count(l->reader, FLOWLOG_COUNT_RECORDS), records);
    assert_int_equal(flowlog_reader_count(l->reader, FLOWLOG_COUNT_HEADERS), headers);
    assert_int_equal(flowlog_reader_count(l->reader, FLOWLOG_COUNT_ERRORS), 0);
    flowlog_reader_free(l->reader);
}

static uint64_t u64(loaded *l, uint32_t f)
{
    uint64_t v = 0;
    assert_int_equal(flowlog_record_get_u64(l->rec, f, &v), FLOWLOG_OK);
    return v;
}

static int en(loaded *l, uint32_t f)
{
    int v = 0;
    assert_int_equal(flowlog_record_get_enum(l->rec, f, &v), FLOWLOG_OK);
    return v;
}

static void addr_is(loaded *l, uint32_t f, const char *want)
{
    flowlog_addr a, b;
    assert_int_equal(flowlog_record_get_addr(l->rec, f, &a), FLOWLOG_OK);
    assert_int_equal(flowlog_addr_parse(STR(want), &b), FLOWLOG_OK);
    assert_memory_equal(&a, &b, sizeof a);
}

static void str_is(loaded *l, uint32_t f, const char *want)
{
    flowlog_span sp;
    assert_int_equal(flowlog_record_get_str(l->rec, f, &sp), FLOWLOG_OK);
    assert_span(sp, want);
}

static void absent(loaded *l, uint32_t f)
{
    flowlog_span sp;
    assert_int_equal(flowlog_record_get_str(l->rec, f, &sp), FLOWLOG_ABSENT);
}

static void accept_reject(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "accept-reject.log");
    next(&l); /* SSH 172.31.16.139 -> 172.31.16.21:22 allowed */
    assert_int_equal(u64(&l, FLOWLOG_FIELD_VERSION), 2);
    str_is(&l, FLOWLOG_FIELD_ACCOUNT_ID, "123456789010");
    str_is(&l, FLOWLOG_FIELD_INTERFACE_ID, "eni-1235b8ca123456789");
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "172.31.16.139");
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "172.31.16.21");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_SRCPORT), 20641);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_DSTPORT), 22);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_PROTOCOL), 6);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_PACKETS), 20);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_BYTES), 4249);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_START), 1418530010);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_END), 1418530070);
    assert_int_equal(en(&l, FLOWLOG_FIELD_ACTION), FLOWLOG_ACTION_ACCEPT);
    assert_int_equal(en(&l, FLOWLOG_FIELD_LOG_STATUS), FLOWLOG_STATUS_OK);
    next(&l); /* RDP to 3389 rejected */
    assert_int_equal(u64(&l, FLOWLOG_FIELD_DSTPORT), 3389);
    assert_int_equal(en(&l, FLOWLOG_FIELD_ACTION), FLOWLOG_ACTION_REJECT);
    done(&l, 2, 0);
}

static void nodata_skipdata(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "nodata-skipdata.log");
    next(&l);
    assert_int_equal(en(&l, FLOWLOG_FIELD_LOG_STATUS), FLOWLOG_STATUS_NODATA);
    for (uint32_t f = FLOWLOG_FIELD_SRCADDR; f <= FLOWLOG_FIELD_BYTES; f++)
        absent(&l, f);
    absent(&l, FLOWLOG_FIELD_ACTION);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_START), 1431280876);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_END), 1431280934);
    next(&l);
    assert_int_equal(en(&l, FLOWLOG_FIELD_LOG_STATUS), FLOWLOG_STATUS_SKIPDATA);
    str_is(&l, FLOWLOG_FIELD_INTERFACE_ID, "eni-11111111aaaaaaaaa");
    done(&l, 2, 0);
}

static void icmp_reply_rejected(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "icmp-nacl-reply-rejected.log");
    next(&l);
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "203.0.113.12");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_PROTOCOL), 1);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_SRCPORT), 0);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_DSTPORT), 0);
    assert_int_equal(en(&l, FLOWLOG_FIELD_ACTION), FLOWLOG_ACTION_ACCEPT);
    next(&l);
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "172.31.16.139");
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "203.0.113.12");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_START), 1432917094);
    assert_int_equal(en(&l, FLOWLOG_FIELD_ACTION), FLOWLOG_ACTION_REJECT);
    done(&l, 2, 0);
}

static void ipv6(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "ipv6.log");
    next(&l);
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "2001:db8:1234:a100:8d6e:3477:df66:f105");
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "2001:db8:1234:a102:3304:8879:34cf:4071");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_DSTPORT), 22);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_PACKETS), 54);
    done(&l, 1, 0);
}

static void tcp_flags(void **state)
{
    (void)state;
    static const uint64_t flags[] = {2, 18, 2, 18, 1, 1, 3, 19};
    static const uint64_t bytes[] = {568, 376, 100701, 632, 63388, 23294588, 1260, 967};
    static const uint64_t packets[] = {8, 7, 70, 12, 1219, 15774, 17, 14};
    loaded l;
    open_file(&l, "tcp-flags.log");
    for (int i = 0; i < 8; i++) {
        next(&l);
        assert_int_equal(u64(&l, FLOWLOG_FIELD_VERSION), 3);
        assert_int_equal(u64(&l, FLOWLOG_FIELD_TCP_FLAGS), flags[i]);
        /* bytes come before packets in this format */
        assert_int_equal(u64(&l, FLOWLOG_FIELD_BYTES), bytes[i]);
        assert_int_equal(u64(&l, FLOWLOG_FIELD_PACKETS), packets[i]);
        assert_int_equal(en(&l, FLOWLOG_FIELD_TYPE), FLOWLOG_TRAFFIC_IPV4);
        str_is(&l, FLOWLOG_FIELD_VPC_ID, "vpc-abcdefab012345678");
    }
    done(&l, 8, 1);
}

static void nat_gateway(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "nat-gateway.log");
    next(&l); /* instance -> NAT ENI: dstaddr is the NAT's IP, pkt-dstaddr the internet host */
    absent(&l, FLOWLOG_FIELD_INSTANCE_ID);
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "10.0.0.220");
    addr_is(&l, FLOWLOG_FIELD_PKT_DSTADDR, "203.0.113.5");
    next(&l);
    next(&l);
    next(&l); /* NAT ENI -> instance: pkt-srcaddr is the internet host */
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "10.0.0.220");
    addr_is(&l, FLOWLOG_FIELD_PKT_SRCADDR, "203.0.113.5");
    next(&l); /* the instance's own ENI: addresses equal packet addresses */
    str_is(&l, FLOWLOG_FIELD_INSTANCE_ID, "i-01234567890123456");
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "203.0.113.5");
    addr_is(&l, FLOWLOG_FIELD_PKT_DSTADDR, "203.0.113.5");
    next(&l);
    done(&l, 6, 1);
}

static void transit_gateway(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "transit-gateway-vpc.log");
    next(&l);
    next(&l);
    next(&l); /* on a TGW ENI, srcaddr is the TGW ENI and pkt-srcaddr the client in VPC A */
    str_is(&l, FLOWLOG_FIELD_INTERFACE_ID, "eni-11111111111111111");
    addr_is(&l, FLOWLOG_FIELD_SRCADDR, "10.40.1.175");
    addr_is(&l, FLOWLOG_FIELD_PKT_SRCADDR, "10.20.33.164");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_TCP_FLAGS), 3);
    next(&l);
    addr_is(&l, FLOWLOG_FIELD_DSTADDR, "10.40.2.31");
    addr_is(&l, FLOWLOG_FIELD_PKT_DSTADDR, "10.20.33.164");
    assert_int_equal(u64(&l, FLOWLOG_FIELD_TCP_FLAGS), 19);
    done(&l, 4, 1);
}

static void v5_service_path_direction(void **state)
{
    (void)state;
    loaded l;
    open_file(&l, "v5-service-path-direction.log");
    next(&l);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_VERSION), 5);
    assert_int_equal(en(&l, FLOWLOG_FIELD_FLOW_DIRECTION), FLOWLOG_DIRECTION_INGRESS);
    absent(&l, FLOWLOG_FIELD_TRAFFIC_PATH); /* not supported for ingress */
    str_is(&l, FLOWLOG_FIELD_PKT_SRC_AWS_SERVICE, "S3");
    absent(&l, FLOWLOG_FIELD_PKT_DST_AWS_SERVICE);
    str_is(&l, FLOWLOG_FIELD_REGION, "ap-southeast-2");
    str_is(&l, FLOWLOG_FIELD_AZ_ID, "apse2-az3");
    absent(&l, FLOWLOG_FIELD_SUBLOCATION_TYPE);
    next(&l);
    assert_int_equal(en(&l, FLOWLOG_FIELD_FLOW_DIRECTION), FLOWLOG_DIRECTION_EGRESS);
    assert_int_equal(u64(&l, FLOWLOG_FIELD_TRAFFIC_PATH), 8); /* internet gateway */
    str_is(&l, FLOWLOG_FIELD_PKT_DST_AWS_SERVICE, "S3");
    done(&l, 2, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_reject),
        cmocka_unit_test(nodata_skipdata),
        cmocka_unit_test(icmp_reply_rejected),
        cmocka_unit_test(ipv6),
        cmocka_unit_test(tcp_flags),
        cmocka_unit_test(nat_gateway),
        cmocka_unit_test(transit_gateway),
        cmocka_unit_test(v5_service_path_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
