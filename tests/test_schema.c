#include "test_util.h"

static void format_string_compiles_in_order(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema("${version} ${vpc-id} ${srcaddr} ${tcp-flags} ${pkt-dstaddr}", FLOWLOG_SYNTAX_AUTO);
    assert_int_equal(flowlog_schema_column_count(s), 5);
    assert_int_equal(flowlog_schema_column_field(s, 0), FLOWLOG_FIELD_VERSION);
    assert_int_equal(flowlog_schema_column_field(s, 3), FLOWLOG_FIELD_TCP_FLAGS);
    assert_int_equal(flowlog_schema_field_column(s, FLOWLOG_FIELD_PKT_DSTADDR), 4);
    assert_int_equal(flowlog_schema_field_column(s, FLOWLOG_FIELD_DSTADDR), -1);
    assert_int_equal(flowlog_schema_version(s), 3);
    assert_true(flowlog_schema_is_frozen(s));
    assert_false(flowlog_schema_is_transit_gateway(s));
    flowlog_schema_free(s);
}

static void header_line_compiles(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
                                    "packets bytes start end action log-status\r\n", FLOWLOG_SYNTAX_AUTO);
    assert_int_equal(flowlog_schema_column_count(s), 14);
    assert_int_equal(flowlog_schema_column_field(s, 13), FLOWLOG_FIELD_LOG_STATUS);
    flowlog_schema_free(s);
}

static void default_format_is_aws_v2(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    static const uint32_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    assert_int_equal(flowlog_schema_column_count(s), 14);
    for (size_t i = 0; i < 14; i++)
        assert_int_equal(flowlog_schema_column_field(s, i), want[i]);
    assert_int_equal(flowlog_schema_version(s), 2);
    flowlog_schema_free(s);
}

static void expect_error(const char *text, int syntax, int rc, size_t offset, const char *fragment)
{
    flowlog_schema *s;
    assert_int_equal(flowlog_schema_new(&s, NULL), FLOWLOG_OK);
    int got = syntax == FLOWLOG_SYNTAX_FORMAT ? flowlog_schema_set_format(s, STR(text))
                                               : flowlog_schema_set_header(s, STR(text));
    assert_int_equal(got, rc);
    assert_int_equal(flowlog_schema_error_offset(s), offset);
    if (!strstr(flowlog_schema_error_message(s), fragment))
        fail_msg("message '%s' lacks '%s'", flowlog_schema_error_message(s), fragment);
    assert_int_equal(flowlog_schema_column_count(s), 0);
    assert_int_equal(flowlog_schema_freeze(s), FLOWLOG_E_FORMAT);
    flowlog_schema_free(s);
    flowlog_schema *c = (flowlog_schema *)0x1;
    assert_int_equal(flowlog_schema_compile(&c, STR(text), syntax, NULL), rc);
    assert_null(c);
}

static void bad_formats_name_the_byte(void **state)
{
    (void)state;
    expect_error("", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 0, "empty format");
    expect_error("   ", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 0, "empty format");
    expect_error("${version} ${srcaddr", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 11, "unbalanced '${'");
    expect_error("${version} ${srcaddr} ${version}", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_DUPLICATE, 24, "appears twice");
    expect_error("${version} srcaddr", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 11, "expected '${'");
    expect_error("${version}${srcaddr}", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 10, "space after");
    expect_error("${9lives}", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 2, "not a field name");
    expect_error("${}", FLOWLOG_SYNTAX_FORMAT, FLOWLOG_E_FORMAT, 2, "not a field name");
    expect_error("version srcaddr log_status log-status", FLOWLOG_SYNTAX_HEADER, FLOWLOG_E_DUPLICATE, 27, "appears twice");
    expect_error("version 2x", FLOWLOG_SYNTAX_HEADER, FLOWLOG_E_FORMAT, 8, "not a field name");
    expect_error("", FLOWLOG_SYNTAX_HEADER, FLOWLOG_E_FORMAT, 0, "empty header");
}

static void unknown_names_are_opaque_strings(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema("${version} ${next-year-field} ${srcaddr}", FLOWLOG_SYNTAX_FORMAT);
    uint32_t id = flowlog_schema_lookup(s, STR("next-year-field"));
    assert_true(id >= FLOWLOG_FIELD_CUSTOM_BASE);
    assert_int_equal(flowlog_schema_column_field(s, 1), id);
    assert_int_equal(flowlog_schema_field_type(s, id), FLOWLOG_TYPE_STRING);
    assert_string_equal(flowlog_schema_field_name(s, id), "next-year-field");
    assert_int_equal(flowlog_schema_lookup(s, STR("next_year_field")), id);
    flowlog_schema_free(s);
}

static void custom_fields_have_types(void **state)
{
    (void)state;
    flowlog_schema *s;
    uint32_t id, id2;
    assert_int_equal(flowlog_schema_new(&s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_register(s, STR("hops"), FLOWLOG_TYPE_UINT, &id), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_register(s, STR("hops"), FLOWLOG_TYPE_UINT, &id2), FLOWLOG_E_DUPLICATE);
    assert_int_equal(flowlog_schema_register(s, STR("srcaddr"), FLOWLOG_TYPE_UINT, &id2), FLOWLOG_E_DUPLICATE);
    assert_int_equal(flowlog_schema_register(s, STR("bad name"), FLOWLOG_TYPE_UINT, &id2), FLOWLOG_E_FORMAT);
    assert_int_equal(flowlog_schema_register(s, STR("x"), 99, &id2), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_schema_set_format(s, STR("${srcaddr} ${hops}")), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_freeze(s), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_register(s, STR("late"), FLOWLOG_TYPE_UINT, &id2), FLOWLOG_E_FROZEN);
    assert_int_equal(flowlog_schema_set_default(s), FLOWLOG_E_FROZEN);

    flowlog_record *r;
    assert_int_equal(flowlog_record_new(&r, s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_record_parse(r, STR("10.0.0.1 7")), FLOWLOG_OK);
    uint64_t v;
    assert_int_equal(flowlog_record_get_u64(r, id, &v), FLOWLOG_OK);
    assert_int_equal(v, 7);

    /* A derived schema keeps the caller's fields with their ids. */
    flowlog_schema *d;
    assert_int_equal(flowlog_schema_derive(&d, s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_set_header(d, STR("hops srcaddr")), FLOWLOG_OK);
    assert_int_equal(flowlog_schema_lookup(d, STR("hops")), id);
    assert_int_equal(flowlog_schema_field_type(d, id), FLOWLOG_TYPE_UINT);
    flowlog_schema_free(d);
    flowlog_record_free(r);
    flowlog_schema_free(s);
}

static void header_detection(void **state)
{
    (void)state;
    assert_true(flowlog_is_header_line(STR("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")));
    assert_true(flowlog_is_header_line(STR("account-id bytes dstaddr dstport end instance-id\n")));
    assert_true(flowlog_is_header_line(STR("resource-type tgw-id tgw-attachment-id some-new-field")));
    assert_false(flowlog_is_header_line(STR("bogus line")));
    assert_false(flowlog_is_header_line(STR("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")));
    assert_false(flowlog_is_header_line(STR("i-01234567890123456 eni-1111aaaa2222bbbb3 10.0.1.5 203.0.113.5")));
    assert_false(flowlog_is_header_line(STR("TransitGateway 00000000 00000001")));
    assert_false(flowlog_is_header_line(STR("")));
    assert_false(flowlog_is_header_line(STR("   ")));
    /* Half known is not most. */
    assert_false(flowlog_is_header_line(STR("srcaddr foo")));
}

static void transit_gateway_schema_is_recognised(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema("resource-type tgw-id srcaddr dstaddr", FLOWLOG_SYNTAX_HEADER);
    assert_true(flowlog_schema_is_transit_gateway(s));
    assert_int_equal(flowlog_schema_version(s), 6);
    flowlog_schema_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_string_compiles_in_order),
        cmocka_unit_test(header_line_compiles),
        cmocka_unit_test(default_format_is_aws_v2),
        cmocka_unit_test(bad_formats_name_the_byte),
        cmocka_unit_test(unknown_names_are_opaque_strings),
        cmocka_unit_test(custom_fields_have_types),
        cmocka_unit_test(header_detection),
        cmocka_unit_test(transit_gateway_schema_is_recognised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
