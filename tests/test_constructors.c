/* Every constructor has an _ex form whose flowlog_error_info says why it
 * failed, after the handle that would have held the message is gone, and
 * leaves *out NULL as the plain form does. */
#include "test_util.h"

#include <stdlib.h>

#include <flowlog/flowlog.h>

static void *no_alloc(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
    return NULL;
}

static void *no_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)p;
    (void)o;
    (void)n;
    return NULL;
}

static void no_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
}

static void a_bad_question_says_which_part(void **state)
{
    (void)state;
    flowlog_diag *d = (flowlog_diag *)1;
    flowlog_error_info why;
    assert_int_equal(flowlog_diag_new_ex(&d, "10.0.0.x", "10.0.2.10", 5432, 5432, 6, NULL, &why), FLOWLOG_E_QUERY);
    assert_null(d);
    assert_int_equal(why.status, FLOWLOG_E_QUERY);
    assert_string_equal(why.message, "client '10.0.0.x' is not an IPv4/IPv6 address or CIDR, or 'any'");
    assert_int_equal(flowlog_diag_new_ex(&d, "10.0.1.25", "10.0.2.10", 6000, 5432, 6, NULL, &why), FLOWLOG_E_QUERY);
    assert_string_equal(why.message, "port range 6000-5432 is not within 0-65535");
    assert_int_equal(flowlog_diag_new_ex(&d, "10.0.1.25", "10.0.2.10", 5432, 5432, 300, NULL, &why), FLOWLOG_E_QUERY);
    assert_string_equal(why.message, "protocol 300 is not 0-255");
    /* success clears what a failure before left */
    assert_int_equal(flowlog_diag_new_ex(&d, "10.0.1.25", "any", 5432, 5432, 6, NULL, &why), FLOWLOG_OK);
    assert_non_null(d);
    assert_int_equal(why.status, FLOWLOG_OK);
    assert_string_equal(why.message, "");
    flowlog_diag_free(d);
    /* err may be NULL */
    assert_int_equal(flowlog_diag_new_ex(&d, "nope", NULL, 1, 1, 6, NULL, NULL), FLOWLOG_E_QUERY);
}

static void a_bad_format_says_where(void **state)
{
    (void)state;
    flowlog_schema *s = (flowlog_schema *)1;
    flowlog_error_info why;
    static const char format[] = "${version} ${srcaddr} ${srcaddr}";
    assert_int_equal(flowlog_schema_compile_ex(&s, format, sizeof format - 1, FLOWLOG_SYNTAX_AUTO, NULL, &why),
                     FLOWLOG_E_DUPLICATE);
    assert_null(s);
    assert_int_equal(why.status, FLOWLOG_E_DUPLICATE);
    assert_string_equal(why.message, "field 'srcaddr' appears twice (byte 24)");
    assert_int_equal(why.offset, 24);
    /* the plain form fails the same way */
    assert_int_equal(flowlog_schema_compile(&s, format, sizeof format - 1, FLOWLOG_SYNTAX_AUTO, NULL),
                     FLOWLOG_E_DUPLICATE);
    assert_int_equal(flowlog_schema_compile_ex(&s, "x", 1, 99, NULL, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "syntax 99 is not a flowlog_schema_syntax");
    assert_int_equal(flowlog_schema_compile_ex(&s, "version srcaddr", 15, FLOWLOG_SYNTAX_AUTO, NULL, &why), FLOWLOG_OK);
    assert_string_equal(why.message, "");
    flowlog_schema_free(s);
}

static void misuse_and_memory_are_named(void **state)
{
    (void)state;
    flowlog_error_info why;
    flowlog_schema *open_schema;
    assert_int_equal(flowlog_schema_new_ex(&open_schema, NULL, &why), FLOWLOG_OK);
    flowlog_reader *r = (flowlog_reader *)1;
    assert_int_equal(flowlog_reader_new_ex(&r, open_schema, NULL, &why), FLOWLOG_E_ARG);
    assert_null(r);
    assert_string_equal(why.message, "the schema is not frozen (flowlog_schema_freeze())");
    flowlog_record *rec;
    assert_int_equal(flowlog_record_new_ex(&rec, NULL, NULL, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "a schema is required");
    flowlog_tokenizer *t;
    assert_int_equal(flowlog_tokenizer_new_ex(&t, open_schema, NULL, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "the schema is not frozen (flowlog_schema_freeze())");
    assert_int_equal(flowlog_query_new_ex(NULL, NULL, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "the handle's out pointer is NULL");
    flowlog_allocator half = {no_alloc, NULL, no_free, NULL};
    flowlog_sweep *s;
    assert_int_equal(flowlog_sweep_new_ex(&s, &half, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "the allocator lacks alloc, realloc or free");
    flowlog_allocator none = {no_alloc, no_realloc, no_free, NULL};
    flowlog_query *q;
    assert_int_equal(flowlog_query_new_ex(&q, &none, &why), FLOWLOG_E_NOMEM);
    assert_int_equal(why.status, FLOWLOG_E_NOMEM);
    assert_string_equal(why.message, flowlog_strerror(FLOWLOG_E_NOMEM));
    flowlog_diag *d;
    assert_int_equal(flowlog_diag_new_ex(&d, "10.0.1.25", NULL, 1, 1, 6, &none, &why), FLOWLOG_E_NOMEM);
    assert_string_equal(why.message, flowlog_strerror(FLOWLOG_E_NOMEM));
    flowlog_schema_free(open_schema);
}

static void corrupt_states_are_named(void **state)
{
    (void)state;
    flowlog_error_info why;
    static const char junk[64] = "not a state";
    flowlog_diag *d = (flowlog_diag *)1;
    assert_int_equal(flowlog_diag_deserialize_ex(&d, junk, sizeof junk, NULL, &why), FLOWLOG_E_CORRUPT);
    assert_null(d);
    assert_int_equal(why.status, FLOWLOG_E_CORRUPT);
    assert_string_equal(why.message, flowlog_strerror(FLOWLOG_E_CORRUPT));
    flowlog_sweep *s = (flowlog_sweep *)1;
    assert_int_equal(flowlog_sweep_deserialize_ex(&s, junk, sizeof junk, NULL, &why), FLOWLOG_E_CORRUPT);
    assert_null(s);
    assert_string_equal(why.message, flowlog_strerror(FLOWLOG_E_CORRUPT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_bad_question_says_which_part),
        cmocka_unit_test(a_bad_format_says_where),
        cmocka_unit_test(misuse_and_memory_are_named),
        cmocka_unit_test(corrupt_states_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
