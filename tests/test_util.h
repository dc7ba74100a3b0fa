/* Helpers shared by the unit tests. */
#ifndef FLOWLOG_TEST_UTIL_H
#define FLOWLOG_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <flowlog/flowlog.h>

#define STR(s) (s), strlen(s)

/* Compile a schema or fail the test. */
static inline flowlog_schema *must_schema(const char *text, int syntax)
{
    flowlog_schema *s = NULL;
    int rc = flowlog_schema_compile(&s, text, text ? strlen(text) : 0, syntax, NULL);
    assert_int_equal(rc, FLOWLOG_OK);
    return s;
}

static inline void assert_span(flowlog_span sp, const char *want)
{
    assert_int_equal(sp.len, strlen(want));
    assert_memory_equal(sp.ptr, want, sp.len);
}

#endif
