#include "test_util.h"

#define DEFAULT_LINE "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"

static void tokenizer_splits_into_caller_spans(void **state)
{
    (void)state;
    flowlog_tokenizer *t;
    assert_int_equal(flowlog_tokenizer_new(&t, NULL, NULL), FLOWLOG_OK);
    const char buf[] = "a  bb ccc\r\nnext line";
    flowlog_span f[8];
    size_t n = 8, used;
    assert_int_equal(flowlog_tokenize(t, buf, sizeof buf - 1, f, &n, &used), FLOWLOG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(used, 11);
    assert_span(f[0], "a");
    assert_span(f[1], "bb");
    assert_span(f[2], "ccc");
    assert_ptr_equal(f[1].ptr, buf + 3);
    n = 8;
    assert_int_equal(flowlog_tokenize(t, buf + used, sizeof buf - 1 - used, f, &n, &used), FLOWLOG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(used, 9);
    n = 1;
    assert_int_equal(flowlog_tokenize(t, buf, sizeof buf - 1, f, &n, &used), FLOWLOG_E_TOO_MANY_FIELDS);
    assert_int_equal(used, 11);
    assert_non_null(strstr(flowlog_tokenizer_error_message(t), "3 fields"));
    n = 4;
    assert_int_equal(flowlog_tokenize(t, "", 0, f, &n, &used), FLOWLOG_OK);
    assert_int_equal(n, 0);
    flowlog_tokenizer_free(t);
}

static void tokenizer_with_schema_checks_counts(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    flowlog_tokenizer *t;
    assert_int_equal(flowlog_tokenizer_new(&t, s, NULL), FLOWLOG_OK);
    flowlog_span f[32];
    size_t n = 32, used;
    const char *short_line = "2 12345678910 eni-0eb1e4178af74336c - - - - - - - 1742570089 1742570142 -\n";
    assert_int_equal(flowlog_tokenize(t, STR(short_line), f, &n, &used), FLOWLOG_E_FIELD_COUNT);
    assert_string_equal(flowlog_tokenizer_error_message(t), "expected 14 fields, found 13");
    assert_int_equal(used, strlen(short_line));
    n = 32;
    const char *long_line = "2 12345678910 eni-0eb1e4178af74336c - - - - - - - 1742570089 1742570142 - NODATA one-too-many";
    assert_int_equal(flowlog_tokenize(t, STR(long_line), f, &n, &used), FLOWLOG_E_FIELD_COUNT);
    assert_string_equal(flowlog_tokenizer_error_message(t), "expected 14 fields, found 15");
    assert_int_equal(flowlog_tokenizer_error_offset(t), strlen(long_line) - strlen("one-too-many"));
    n = 32;
    assert_int_equal(flowlog_tokenize(t, STR(DEFAULT_LINE), f, &n, &used), FLOWLOG_OK);
    assert_int_equal(n, 14);
    flowlog_tokenizer_free(t);
    flowlog_schema *unfrozen;
    assert_int_equal(flowlog_schema_new(&unfrozen, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_tokenizer_new(&t, unfrozen, NULL), FLOWLOG_E_ARG);
    flowlog_schema_free(unfrozen);
    flowlog_schema_free(s);
}

static void typed_accessors_are_tri_state(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    flowlog_record *r;
    assert_int_equal(flowlog_record_new(&r, s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_record_parse(r, STR(DEFAULT_LINE "\r\n")), FLOWLOG_OK);
    uint64_t v;
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
    assert_int_equal(v, 22);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_BYTES, &v), FLOWLOG_OK);
    assert_int_equal(v, 4249);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_TCP_FLAGS, &v), FLOWLOG_ABSENT);
    flowlog_addr a;
    assert_int_equal(flowlog_record_get_addr(r, FLOWLOG_FIELD_SRCADDR, &a), FLOWLOG_OK);
    assert_int_equal(a.family, FLOWLOG_AF_INET);
    assert_memory_equal(a.bytes, ((uint8_t[]){172, 31, 16, 139}), 4);
    int e;
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_ACTION, &e), FLOWLOG_OK);
    assert_int_equal(e, FLOWLOG_ACTION_ACCEPT);
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_LOG_STATUS, &e), FLOWLOG_OK);
    assert_int_equal(e, FLOWLOG_STATUS_OK);
    flowlog_span sp;
    assert_int_equal(flowlog_record_get_str(r, FLOWLOG_FIELD_ACCOUNT_ID, &sp), FLOWLOG_OK);
    assert_span(sp, "123456789010");
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_SRCADDR, &v), FLOWLOG_E_TYPE);
    assert_int_equal(flowlog_record_get_addr(r, FLOWLOG_FIELD_DSTPORT, &a), FLOWLOG_E_TYPE);
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_BYTES, &e), FLOWLOG_E_TYPE);
    assert_span(flowlog_record_line(r), DEFAULT_LINE);

    /* NODATA is an ordinary record: its values are absent, its status says why. */
    assert_int_equal(flowlog_record_parse(r, STR("2 unknown eni-1 - - - - - - - 1431280876 1431280934 - NODATA")), FLOWLOG_OK);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_PACKETS, &v), FLOWLOG_ABSENT);
    assert_int_equal(flowlog_record_get_addr(r, FLOWLOG_FIELD_SRCADDR, &a), FLOWLOG_ABSENT);
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_ACTION, &e), FLOWLOG_ABSENT);
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_LOG_STATUS, &e), FLOWLOG_OK);
    assert_int_equal(e, FLOWLOG_STATUS_NODATA);
    assert_int_equal(flowlog_record_get_str(r, FLOWLOG_FIELD_ACCOUNT_ID, &sp), FLOWLOG_OK);
    assert_span(sp, "unknown");

    /* Malformed values say which field and why. */
    assert_int_equal(flowlog_record_parse(r, STR("2 007 eni-1 10.0.0.256 ::1 99999999999999999999 x7 6 1 1 1 1 MAYBE OK")), FLOWLOG_OK);
    assert_int_equal(flowlog_record_get_str(r, FLOWLOG_FIELD_ACCOUNT_ID, &sp), FLOWLOG_OK);
    assert_span(sp, "007");
    assert_int_equal(flowlog_record_get_addr(r, FLOWLOG_FIELD_SRCADDR, &a), FLOWLOG_E_MALFORMED);
    assert_non_null(strstr(flowlog_record_error_message(r), "srcaddr"));
    assert_int_equal(flowlog_record_error_column(r), 3);
    assert_int_equal(flowlog_record_error_offset(r), 12);
    assert_int_equal(flowlog_record_get_addr(r, FLOWLOG_FIELD_DSTADDR, &a), FLOWLOG_OK);
    assert_int_equal(a.family, FLOWLOG_AF_INET6);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_SRCPORT, &v), FLOWLOG_E_OVERFLOW);
    assert_non_null(strstr(flowlog_record_error_message(r), "overflow"));
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_E_MALFORMED);
    assert_non_null(strstr(flowlog_record_error_message(r), "dstport"));
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_ACTION, &e), FLOWLOG_E_MALFORMED);
    assert_non_null(strstr(flowlog_record_error_message(r), "MAYBE"));

    assert_int_equal(flowlog_record_parse(r, STR("2 1 2 3")), FLOWLOG_E_FIELD_COUNT);
    assert_string_equal(flowlog_record_error_message(r), "expected 14 fields, found 4");
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_VERSION, &v), FLOWLOG_ABSENT);
    flowlog_record_free(r);
    flowlog_schema_free(s);
}

static void u64_limits(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(flowlog_parse_u64(STR("18446744073709551615"), &v), FLOWLOG_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(flowlog_parse_u64(STR("18446744073709551616"), &v), FLOWLOG_E_OVERFLOW);
    assert_int_equal(flowlog_parse_u64(STR("0"), &v), FLOWLOG_OK);
    assert_int_equal(flowlog_parse_u64(STR(""), &v), FLOWLOG_E_MALFORMED);
    assert_int_equal(flowlog_parse_u64(STR("-"), &v), FLOWLOG_ABSENT);
    assert_int_equal(flowlog_parse_u64(STR("+1"), &v), FLOWLOG_E_MALFORMED);
    assert_int_equal(flowlog_parse_u64(STR("1 "), &v), FLOWLOG_E_MALFORMED);
}

static void check_addr(const char *text, const char *canonical)
{
    flowlog_addr a;
    char out[64];
    int rc = flowlog_addr_parse(STR(text), &a);
    if (!canonical) {
        if (rc != FLOWLOG_E_MALFORMED)
            fail_msg("'%s' should be malformed, got %d", text, rc);
        return;
    }
    if (rc != FLOWLOG_OK)
        fail_msg("'%s' should parse, got %d", text, rc);
    assert_true(flowlog_addr_format(&a, out, sizeof out) > 0);
    if (strcmp(out, canonical) != 0)
        fail_msg("'%s' formats as '%s', want '%s'", text, out, canonical);
}

static void addresses_in_every_textual_form(void **state)
{
    (void)state;
    check_addr("0.0.0.0", "0.0.0.0");
    check_addr("255.255.255.255", "255.255.255.255");
    check_addr("172.31.16.139", "172.31.16.139");
    check_addr("256.1.1.1", NULL);
    check_addr("1.2.3", NULL);
    check_addr("1.2.3.4.5", NULL);
    check_addr("01.2.3.4", NULL);
    check_addr("1..3.4", NULL);
    check_addr("1.2.3.4 ", NULL);
    check_addr("2001:db8:1234:a100:8d6e:3477:df66:f105", "2001:db8:1234:a100:8d6e:3477:df66:f105");
    check_addr("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
    check_addr("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    check_addr("::", "::");
    check_addr("::1", "::1");
    check_addr("1::", "1::");
    check_addr("1:0:0:2:0:0:0:3", "1:0:0:2::3");
    check_addr("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7");
    check_addr("::ffff:10.0.0.1", "::ffff:10.0.0.1");
    check_addr("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    check_addr("1:2:3:4:5:6:7:8:9", NULL);
    check_addr("1:2:3:4:5:6:7", NULL);
    check_addr("1::2::3", NULL);
    check_addr(":1:2:3:4:5:6:7", NULL);
    check_addr("1:2:3:4:5:6:7:", NULL);
    check_addr("12345::", NULL);
    check_addr("g::1", NULL);
    check_addr("1:2:3:4:5:6:7::8", NULL);
    check_addr("::1.2.3", NULL);
    check_addr("", NULL);
    flowlog_addr a;
    assert_int_equal(flowlog_addr_parse(STR("-"), &a), FLOWLOG_ABSENT);
}

static void cidr_membership(void **state)
{
    (void)state;
    flowlog_addr net, a;
    unsigned p;
    assert_int_equal(flowlog_cidr_parse(STR("10.0.1.77/24"), &net, &p), FLOWLOG_OK);
    assert_int_equal(p, 24);
    assert_int_equal(net.bytes[3], 0);
    assert_int_equal(flowlog_addr_parse(STR("10.0.1.200"), &a), FLOWLOG_OK);
    assert_true(flowlog_addr_in_cidr(&a, &net, p));
    assert_int_equal(flowlog_addr_parse(STR("10.0.2.1"), &a), FLOWLOG_OK);
    assert_false(flowlog_addr_in_cidr(&a, &net, p));
    assert_int_equal(flowlog_cidr_parse(STR("2600:1f18::/36"), &net, &p), FLOWLOG_OK);
    assert_int_equal(flowlog_addr_parse(STR("2600:1f18:0fff::1"), &a), FLOWLOG_OK);
    assert_true(flowlog_addr_in_cidr(&a, &net, p));
    assert_int_equal(flowlog_addr_parse(STR("2600:1f18:1000::1"), &a), FLOWLOG_OK);
    assert_false(flowlog_addr_in_cidr(&a, &net, p));
    assert_int_equal(flowlog_cidr_parse(STR("10.0.0.1"), &net, &p), FLOWLOG_OK);
    assert_int_equal(p, 32);
    assert_int_equal(flowlog_cidr_parse(STR("0.0.0.0/0"), &net, &p), FLOWLOG_OK);
    assert_true(flowlog_addr_in_cidr(&a, &net, p) == 0); /* families differ */
    assert_int_equal(flowlog_cidr_parse(STR("10.0.0.0/33"), &net, &p), FLOWLOG_E_MALFORMED);
    assert_int_equal(flowlog_cidr_parse(STR("10.0.0.0/"), &net, &p), FLOWLOG_E_MALFORMED);
    assert_int_equal(flowlog_cidr_parse(STR("10.0.0.0/8x"), &net, &p), FLOWLOG_E_MALFORMED);
}

static void millisecond_times_are_normalised_and_flagged(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    flowlog_record *r;
    uint64_t v;
    assert_int_equal(flowlog_record_new(&r, s, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_record_parse(r, STR("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1439387263000 1439387264999 ACCEPT OK")), FLOWLOG_OK);
    assert_true(flowlog_record_flags(r) & FLOWLOG_RECORD_MILLIS);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_START, &v), FLOWLOG_OK);
    assert_int_equal(v, 1439387263);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_END, &v), FLOWLOG_OK);
    assert_int_equal(v, 1439387264);
    assert_int_equal(flowlog_record_parse(r, STR(DEFAULT_LINE)), FLOWLOG_OK);
    assert_false(flowlog_record_flags(r) & FLOWLOG_RECORD_MILLIS);
    flowlog_record_free(r);
    flowlog_schema_free(s);
}

static void caller_spans_and_rebinding(void **state)
{
    (void)state;
    flowlog_schema *d = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
    flowlog_schema *wide = must_schema("${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} "
                                       "${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${tcp-flags} ${type} ${region}",
                                       FLOWLOG_SYNTAX_FORMAT);
    flowlog_record *r;
    flowlog_tokenizer *t;
    assert_int_equal(flowlog_record_new(&r, d, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_tokenizer_new(&t, d, NULL), FLOWLOG_OK);
    flowlog_span f[16];
    size_t n = 16, used;
    assert_int_equal(flowlog_tokenize(t, STR(DEFAULT_LINE), f, &n, &used), FLOWLOG_OK);
    assert_int_equal(flowlog_record_set_spans(r, f, n), FLOWLOG_OK);
    uint64_t v;
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_SRCPORT, &v), FLOWLOG_OK);
    assert_int_equal(v, 20641);
    assert_int_equal(flowlog_record_set_spans(r, f, 3), FLOWLOG_E_FIELD_COUNT);
    assert_int_equal(flowlog_record_bind(r, wide), FLOWLOG_OK);
    assert_ptr_equal(flowlog_record_schema(r), wide);
    assert_int_equal(flowlog_record_parse(r, STR("1.1.1.1 2.2.2.2 1 2 6 1 1 1 1 REJECT OK vpc-1 subnet-1 2 IPv4 us-east-1")), FLOWLOG_OK);
    int e;
    assert_int_equal(flowlog_record_get_enum(r, FLOWLOG_FIELD_TYPE, &e), FLOWLOG_OK);
    assert_int_equal(e, FLOWLOG_TRAFFIC_IPV4);
    assert_int_equal(flowlog_record_get_u64(r, FLOWLOG_FIELD_TCP_FLAGS, &v), FLOWLOG_OK);
    assert_int_equal(v, FLOWLOG_TCP_SYN);
    flowlog_span sp;
    assert_int_equal(flowlog_record_column(r, 15, &sp), FLOWLOG_OK);
    assert_span(sp, "us-east-1");
    assert_int_equal(flowlog_record_column(r, 16, &sp), FLOWLOG_E_RANGE);
    flowlog_tokenizer_free(t);
    flowlog_record_free(r);
    flowlog_schema_free(wide);
    flowlog_schema_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenizer_splits_into_caller_spans),
        cmocka_unit_test(tokenizer_with_schema_checks_counts),
        cmocka_unit_test(typed_accessors_are_tri_state),
        cmocka_unit_test(u64_limits),
        cmocka_unit_test(addresses_in_every_textual_form),
        cmocka_unit_test(cidr_membership),
        cmocka_unit_test(millisecond_times_are_normalised_and_flagged),
        cmocka_unit_test(caller_spans_and_rebinding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
