/* The block-wise field split, at every instruction-set level the processor
 * has (FLOWLOG_CPU caps them, as for the whole library), whole or one field
 * alone, agrees with the byte-at-a-time definition on every kind of line: any length around the
 * 16- and 64-byte steps, runs of spaces anywhere, tabs and other bytes that
 * are not separators, and fewer spans than fields. The internal functions are reached through the static
 * library. */
#include "test_util.h"

#include <stdbool.h>
#include <stdlib.h>

#include <flowlog/reader.h>

size_t flowlog__split(const char *line, size_t len, flowlog_span *out, size_t cap);
typedef size_t (*split_fn)(const char *line, size_t len, flowlog_span *out, size_t cap);
split_fn flowlog__split_at(int level);
int flowlog__cpu_best(void);
size_t flowlog__split_scalar(const char *line, size_t len, flowlog_span *out, size_t cap);
bool flowlog__split_field(const char *line, size_t len, size_t col, flowlog_span *out);

static void check(const char *line, size_t len, size_t cap)
{
    flowlog_span fast[80], slow[80];
    memset(fast, 0, sizeof fast);
    memset(slow, 0, sizeof slow);
    size_t ns = flowlog__split_scalar(line, len, slow, cap);
    /* the dispatched split, then every level this processor has */
    for (int level = -1; level <= flowlog__cpu_best(); level++) {
        memset(fast, 0, sizeof fast);
        size_t nf = level < 0 ? flowlog__split(line, len, fast, cap) : flowlog__split_at(level)(line, len, fast, cap);
        assert_int_equal(nf, ns);
        for (size_t i = 0; i < nf && i < cap; i++) {
            assert_ptr_equal(fast[i].ptr, slow[i].ptr);
            assert_int_equal(fast[i].len, slow[i].len);
        }
    }
    /* One field alone is the same field, and past the last there is none. */
    size_t col = next_rand() % (ns + 2);
    flowlog_span one;
    bool found = flowlog__split_field(line, len, col, &one);
    assert_int_equal(found, col < ns);
    if (found && col < 80) {
        flowlog__split_scalar(line, len, slow, 80);
        assert_ptr_equal(one.ptr, slow[col].ptr);
        assert_int_equal(one.len, slow[col].len);
    }
}

static void random_lines_split_alike(void **state)
{
    (void)state;
    static const char alphabet[] = "  a1-.:\t\r";
    for (int round = 0; round < 200000; round++) {
        size_t len = next_rand() % 200;
        /* Exactly len bytes on the heap, so a read past the end is caught by
         * the sanitizers. */
        char *line = malloc(len ? len : 1);
        assert_non_null(line);
        unsigned density = 1 + next_rand() % 8;
        for (size_t i = 0; i < len; i++)
            line[i] = next_rand() % density == 0 ? ' ' : alphabet[2 + next_rand() % (sizeof alphabet - 3)];
        check(line, len, 80);
        check(line, len, next_rand() % 6);
        free(line);
    }
}

static void boundaries(void **state)
{
    (void)state;
    char buf[300];
    for (size_t len = 0; len < sizeof buf; len++) {
        for (size_t at = 0; at <= len; at++) {
            memset(buf, 'x', len);
            if (at < len)
                buf[at] = ' ';
            char *line = malloc(len ? len : 1);
            assert_non_null(line);
            memcpy(line, buf, len);
            check(line, len, 80);
            free(line);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_lines_split_alike),
        cmocka_unit_test(boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
