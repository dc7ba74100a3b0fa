#include "test_util.h"

static void lookup_accepts_every_spelling(void **state)
{
    (void)state;
    assert_int_equal(flowlog_field_lookup(STR("log-status")), FLOWLOG_FIELD_LOG_STATUS);
    assert_int_equal(flowlog_field_lookup(STR("log_status")), FLOWLOG_FIELD_LOG_STATUS);
    assert_int_equal(flowlog_field_lookup(STR("logStatus")), FLOWLOG_FIELD_LOG_STATUS);
    assert_int_equal(flowlog_field_lookup(STR("srcAddr")), FLOWLOG_FIELD_SRCADDR);
    assert_int_equal(flowlog_field_lookup(STR("dstPort")), FLOWLOG_FIELD_DSTPORT);
    assert_int_equal(flowlog_field_lookup(STR("interfaceId")), FLOWLOG_FIELD_INTERFACE_ID);
    assert_int_equal(flowlog_field_lookup(STR("accountId")), FLOWLOG_FIELD_ACCOUNT_ID);
    assert_int_equal(flowlog_field_lookup(STR("startTime")), FLOWLOG_FIELD_START);
    assert_int_equal(flowlog_field_lookup(STR("endTime")), FLOWLOG_FIELD_END);
    assert_int_equal(flowlog_field_lookup(STR("pkt_src_aws_service")), FLOWLOG_FIELD_PKT_SRC_AWS_SERVICE);
    assert_int_equal(flowlog_field_lookup(STR("tgw-pair-attachment-id")), FLOWLOG_FIELD_TGW_PAIR_ATTACHMENT_ID);
    assert_int_equal(flowlog_field_lookup(STR("dstprot")), FLOWLOG_FIELD_NONE);
    assert_int_equal(flowlog_field_lookup(STR("")), FLOWLOG_FIELD_NONE);
    assert_int_equal(flowlog_field_lookup(STR("src")), FLOWLOG_FIELD_NONE);
}

static void registry_has_pinned_ids_types_and_versions(void **state)
{
    (void)state;
    static const struct { uint32_t id; const char *name; int type; int version; } want[] = {
        {1, "version", FLOWLOG_TYPE_UINT, 2},        {2, "account-id", FLOWLOG_TYPE_STRING, 2},
        {4, "srcaddr", FLOWLOG_TYPE_ADDR, 2},        {11, "start", FLOWLOG_TYPE_TIME, 2},
        {13, "action", FLOWLOG_TYPE_ENUM, 2},        {18, "tcp-flags", FLOWLOG_TYPE_UINT, 3},
        {20, "pkt-srcaddr", FLOWLOG_TYPE_ADDR, 3},   {24, "sublocation-type", FLOWLOG_TYPE_ENUM, 4},
        {28, "flow-direction", FLOWLOG_TYPE_ENUM, 5}, {29, "traffic-path", FLOWLOG_TYPE_UINT, 5},
        {30, "resource-type", FLOWLOG_TYPE_ENUM, 6}, {47, "packets-lost-ttl-expired", FLOWLOG_TYPE_UINT, 6},
        {48, "ecs-cluster-arn", FLOWLOG_TYPE_STRING, 7}, {57, "ecs-task-id", FLOWLOG_TYPE_STRING, 7},
        {58, "reject-reason", FLOWLOG_TYPE_STRING, 8}, {59, "encryption-status", FLOWLOG_TYPE_UINT, 0},
        {60, "resource-id", FLOWLOG_TYPE_STRING, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_string_equal(flowlog_field_name(want[i].id), want[i].name);
        assert_int_equal(flowlog_field_type(want[i].id), want[i].type);
        assert_int_equal(flowlog_field_version(want[i].id), want[i].version);
        assert_int_equal(flowlog_field_lookup(STR(want[i].name)), want[i].id);
    }
    assert_null(flowlog_field_name(0));
    assert_null(flowlog_field_name(9999));
    assert_int_equal(flowlog_field_version(9999), -1);
}

static void iteration_visits_every_field_once(void **state)
{
    (void)state;
    size_t n = 0;
    uint32_t prev = 0;
    for (uint32_t id = flowlog_field_next(FLOWLOG_FIELD_NONE); id; id = flowlog_field_next(id)) {
        assert_true(id > prev);
        assert_non_null(flowlog_field_name(id));
        assert_int_equal(flowlog_field_lookup(STR(flowlog_field_name(id))), id);
        prev = id;
        n++;
    }
    assert_int_equal(n, 60);
}

static void enum_names_round_trip(void **state)
{
    (void)state;
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_ACTION, FLOWLOG_ACTION_REJECT), "REJECT");
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_LOG_STATUS, FLOWLOG_STATUS_SKIPDATA), "SKIPDATA");
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_TYPE, FLOWLOG_TRAFFIC_IPV6), "IPv6");
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_FLOW_DIRECTION, FLOWLOG_DIRECTION_EGRESS), "egress");
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_SUBLOCATION_TYPE, FLOWLOG_SUBLOCATION_OUTPOST), "outpost");
    assert_string_equal(flowlog_enum_name(FLOWLOG_FIELD_RESOURCE_TYPE, FLOWLOG_RESOURCE_TRANSIT_GATEWAY_ATTACHMENT),
                        "TransitGatewayAttachment");
    assert_null(flowlog_enum_name(FLOWLOG_FIELD_ACTION, 7));
    assert_null(flowlog_enum_name(FLOWLOG_FIELD_SRCADDR, 1));
}

static void status_table_is_complete(void **state)
{
    (void)state;
    for (int s = -22; s <= 3; s++) {
        assert_true(strncmp(flowlog_status_name(s), "FLOWLOG_", 8) == 0);
        assert_true(strlen(flowlog_strerror(s)) > 0);
        assert_string_not_equal(flowlog_status_name(s), "FLOWLOG_E_UNKNOWN");
    }
    assert_string_equal(flowlog_status_name(FLOWLOG_E_NOMEM), "FLOWLOG_E_NOMEM");
    assert_string_equal(flowlog_status_name(-999), "FLOWLOG_E_UNKNOWN");
    assert_true(strlen(flowlog_strerror(-999)) > 0);
}

static void versions_agree(void **state)
{
    (void)state;
    assert_int_equal(flowlog_version_number(), FLOWLOG_VERSION_NUMBER);
    assert_string_equal(flowlog_version_string(), FLOWLOG_VERSION_STRING);
    assert_true(FLOWLOG_VERSION_CHECK(1, 0, 0));
    assert_false(FLOWLOG_VERSION_CHECK(FLOWLOG_VERSION_MAJOR + 1, 0, 0));
}

static void locate_converts_offsets(void **state)
{
    (void)state;
    const char *text = "ab\ncde\n\nf";
    uint64_t line, col;
    assert_int_equal(flowlog_locate(STR(text), 0, &line, &col), FLOWLOG_OK);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    assert_int_equal(flowlog_locate(STR(text), 5, &line, &col), FLOWLOG_OK);
    assert_int_equal(line, 2);
    assert_int_equal(col, 3);
    assert_int_equal(flowlog_locate(STR(text), 8, &line, &col), FLOWLOG_OK);
    assert_int_equal(line, 4);
    assert_int_equal(col, 1);
    assert_int_equal(flowlog_locate(STR(text), 99, &line, &col), FLOWLOG_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_accepts_every_spelling),
        cmocka_unit_test(registry_has_pinned_ids_types_and_versions),
        cmocka_unit_test(iteration_visits_every_field_once),
        cmocka_unit_test(enum_names_round_trip),
        cmocka_unit_test(status_table_is_complete),
        cmocka_unit_test(versions_agree),
        cmocka_unit_test(locate_converts_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
