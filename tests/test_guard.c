/* Inputs that end exactly at a PROT_NONE page: any read past `len` faults. */
#include "test_util.h"

#include <sys/mman.h>
#include <unistd.h>

static char *guard_base;
static size_t page;

static int setup(void **state)
{
    (void)state;
    page = (size_t)sysconf(_SC_PAGESIZE);
    guard_base = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard_base == MAP_FAILED)
        return -1;
    return mprotect(guard_base + page, page, PROT_NONE);
}

static int teardown(void **state)
{
    (void)state;
    munmap(guard_base, 2 * page);
    return 0;
}

/* Copy text so that its last byte is the last readable byte. */
static const char *at_guard(const char *text, size_t len)
{
    char *p = guard_base + page - len;
    memcpy(p, text, len);
    return p;
}

static void exercise(const char *text)
{
    size_t len = strlen(text);
    for (size_t cut = 0; cut <= len; cut++) {
        const char *p = at_guard(text, cut);
        flowlog_schema *s = must_schema(NULL, FLOWLOG_SYNTAX_DEFAULT);
        flowlog_record *r;
        flowlog_tokenizer *t;
        assert_int_equal(flowlog_record_new(&r, s, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_tokenizer_new(&t, NULL, NULL), FLOWLOG_OK);
        flowlog_span f[32];
        size_t n = 32, used;
        int trc = flowlog_tokenize(t, p, cut, f, &n, &used);
        assert_true(trc == FLOWLOG_OK || trc == FLOWLOG_E_TOO_MANY_FIELDS);
        assert_true(used <= cut);
        if (flowlog_record_parse(r, p, cut) == FLOWLOG_OK) {
            uint64_t v;
            flowlog_addr a;
            int e;
            flowlog_span sp;
            for (uint32_t id = 1; id <= 14; id++) {
                (void)flowlog_record_get_u64(r, id, &v);
                (void)flowlog_record_get_addr(r, id, &a);
                (void)flowlog_record_get_enum(r, id, &e);
                (void)flowlog_record_get_str(r, id, &sp);
            }
        }
        for (size_t k = 0; k < n && k < 32; k++) {
            flowlog_addr a;
            uint64_t v;
            unsigned prefix;
            (void)flowlog_addr_parse(f[k].ptr, f[k].len, &a);
            (void)flowlog_parse_u64(f[k].ptr, f[k].len, &v);
            (void)flowlog_cidr_parse(f[k].ptr, f[k].len, &a, &prefix);
        }
        (void)flowlog_is_header_line(p, cut);
        flowlog_schema *h;
        if (flowlog_schema_compile(&h, p, cut, FLOWLOG_SYNTAX_AUTO, NULL) == FLOWLOG_OK)
            flowlog_schema_free(h);
        if (flowlog_schema_compile(&h, p, cut, FLOWLOG_SYNTAX_FORMAT, NULL) == FLOWLOG_OK)
            flowlog_schema_free(h);
        uint64_t line, col;
        assert_int_equal(flowlog_locate(p, cut, cut, &line, &col), FLOWLOG_OK);
        flowlog_tokenizer_free(t);
        flowlog_record_free(r);
        flowlog_schema_free(s);
    }
}

static void no_read_past_len(void **state)
{
    (void)state;
    exercise("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK");
    exercise("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 ::ffff:1.2.3.4 34892 22 6 54 8855 1477913708 1477913820 REJECT NODATA\r\n");
    exercise("2 1 eni-1 1:: 10.0.0.1/24 1 2 3 4 5 1439387263000 6 - SKIPDATA");
    exercise("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status");
    exercise("${version} ${srcaddr} ${dstaddr} ${unknown-x}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_read_past_len),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
