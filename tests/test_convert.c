/* The typed conversions every record path uses, written for speed (a
 * 16-byte load for an IPv4 address, eight digits of an integer at a time,
 * the IPv6 test on the first bytes), agree with their
 * byte-at-a-time definitions on structured and random text. The internal
 * functions are reached through the static library. */
#include "test_util.h"

#include <stdbool.h>
#include <stdlib.h>

int flowlog__parse_u64(const char *s, size_t len, uint64_t *out);
int flowlog__parse_ipv4(const char *s, size_t len, uint8_t out[4]);
int flowlog__parse_ipv4_scalar(const char *s, size_t len, uint8_t out[4]);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
int flowlog__parse_ipv4_sse2(const char *s, size_t len, uint8_t out[4]);
int flowlog__parse_ipv4_ssse3(const char *s, size_t len, uint8_t out[4]);
#endif
int flowlog__parse_ipv6(const char *s, size_t len, uint8_t out[16]);

#include "../src/core/internal.h" /* the inline accessors */

/* An unsigned integer: digits only, below 2^64. */
static int u64_definition(const char *s, size_t len, uint64_t *out)
{
    if (!len)
        return FLOWLOG_E_MALFORMED;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return FLOWLOG_E_MALFORMED;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            return FLOWLOG_E_OVERFLOW;
    }
    *out = v;
    return FLOWLOG_OK;
}

static void check_u64(const char *s, size_t len)
{
    uint64_t a = 7, b = 7;
    int ra = flowlog__parse_u64(s, len, &a), rb = u64_definition(s, len, &b);
    if (ra != rb || (ra == FLOWLOG_OK && a != b))
        fail_msg("'%.*s': %d %llu, defined %d %llu", (int)len, s, ra, (unsigned long long)a, rb, (unsigned long long)b);
}

static void integers_agree(void **state)
{
    (void)state;
    static const char *const edges[] = {"0", "00", "007", "18446744073709551615", "18446744073709551616",
                                        "9999999999999999999", "99999999999999999999", "1844674407370955161",
                                        "00000000000000000000000018446744073709551615", "-", "1-", "+1", " 1", "1 ",
                                        "12a", "/", ":", ""};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_u64(edges[i], strlen(edges[i]));
    char buf[32];
    for (int i = 0; i < 2000000; i++) {
        size_t len = next_rand() % 24;
        for (size_t k = 0; k < len; k++)
            buf[k] = next_rand() % 40 ? (char)('0' + next_rand() % 10) : "/:a -\xff\xfa\x80"[next_rand() % 8];
        check_u64(buf, len);
    }
}

/* A field's text for the accessors: digits, times in seconds and
 * milliseconds, addresses of both families, and the ways each goes wrong. */
static void random_field(char *buf, size_t cap)
{
    static const char *const fixed[] = {"-", "0", "00", "1620000000", "1620000000123", "99999999999",
                                        "100000000000", "18446744073709551615", "18446744073709551616",
                                        "12345678901234567", "10.0.0.1", "255.255.255.255", "10.0.0.256",
                                        "2001:db8::1", "::", "::ffff:10.0.0.1", "1.2.3", "abc", "1.2.3.4.5", "12a"};
    if (next_rand() % 3)
        snprintf(buf, cap, "%s", fixed[next_rand() % (sizeof fixed / sizeof fixed[0])]);
    else if (next_rand() % 2)
        snprintf(buf, cap, "%u.%u.%u.%u", next_rand() % 300, next_rand() % 256, next_rand() % 256, next_rand() % 256);
    else
        snprintf(buf, cap, "%llu", (unsigned long long)next_rand() * next_rand() % 1000000000000000ull);
}

/* What the loops over every record read (flowlog__record_u64 and
 * flowlog__record_addr, inline) is what the accessors give: the status,
 * the value, and the message of a value that does not convert, for every
 * field of a format, fields it lacks, and fields of another type. */
static void inline_accessors_agree(void **state)
{
    (void)state;
    flowlog_schema *s = must_schema("${srcaddr} ${pkt-dstaddr} ${start} ${end} ${packets} ${dstport} ${action}",
                                    FLOWLOG_SYNTAX_FORMAT);
    flowlog_record *r;
    assert_int_equal(flowlog_record_new(&r, s, NULL), FLOWLOG_OK);
    static const uint32_t fields[] = {FLOWLOG_FIELD_SRCADDR, FLOWLOG_FIELD_PKT_DSTADDR, FLOWLOG_FIELD_START,
                                      FLOWLOG_FIELD_END,     FLOWLOG_FIELD_PACKETS,     FLOWLOG_FIELD_DSTPORT,
                                      FLOWLOG_FIELD_ACTION,  FLOWLOG_FIELD_BYTES,       FLOWLOG_FIELD_DSTADDR};
    char line[512], field[7][64];
    for (int i = 0; i < 200000; i++) {
        for (int f = 0; f < 7; f++)
            random_field(field[f], sizeof field[f]);
        snprintf(line, sizeof line, "%s %s %s %s %s %s %s", field[0], field[1], field[2], field[3], field[4], field[5],
                 next_rand() % 2 ? "ACCEPT" : field[6]);
        assert_int_equal(flowlog_record_parse(r, line, strlen(line)), FLOWLOG_OK);
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            char message[256];
            uint64_t a = 7, b = 7;
            int rb = flowlog_record_get_u64(r, fields[f], &b);
            snprintf(message, sizeof message, "%s", flowlog_record_error_message(r));
            int ra = flowlog__record_u64(r, fields[f], &a);
            if (ra != rb || a != b || (ra < 0 && strcmp(message, flowlog_record_error_message(r)) != 0))
                fail_msg("'%s' field %u: inline %d %llu, accessor %d %llu (%s)", line, fields[f], ra,
                         (unsigned long long)a, rb, (unsigned long long)b, message);
            flowlog_addr x, y;
            memset(&x, 0x55, sizeof x);
            memset(&y, 0x55, sizeof y);
            rb = flowlog_record_get_addr(r, fields[f], &y);
            snprintf(message, sizeof message, "%s", flowlog_record_error_message(r));
            ra = flowlog__record_addr(r, fields[f], &x);
            if (ra != rb || memcmp(&x, &y, sizeof x) != 0 ||
                (ra < 0 && strcmp(message, flowlog_record_error_message(r)) != 0))
                fail_msg("'%s' field %u: inline %d, accessor %d (%s)", line, fields[f], ra, rb, message);
        }
    }
    flowlog_record_free(r);
    flowlog_schema_free(s);
}

typedef int (*ipv4_parser)(const char *s, size_t len, uint8_t out[4]);

/* The one the library chose, and each way it may choose where this
 * processor has it. */
static void check_ipv4(const char *s, size_t len)
{
    ipv4_parser ways[3] = {flowlog__parse_ipv4};
    int nways = 1;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    ways[nways++] = flowlog__parse_ipv4_sse2;
    if (__builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1"))
        ways[nways++] = flowlog__parse_ipv4_ssse3;
#endif
    uint8_t b[4] = {1, 2, 3, 4};
    int rb = flowlog__parse_ipv4_scalar(s, len, b);
    for (int w = 0; w < nways; w++) {
        uint8_t a[4] = {1, 2, 3, 4};
        int ra = ways[w](s, len, a);
        if (ra != rb || (ra == FLOWLOG_OK && memcmp(a, b, 4) != 0))
            fail_msg("'%.*s' (way %d): %d, defined %d", (int)len, s, w, ra, rb);
    }
}

static void ipv4_agrees(void **state)
{
    (void)state;
    static const char *const edges[] = {"0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3.04", "01.2.3.4",
                                        "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5", "1.2.3.1000",
                                        "999.999.999.999", "100.200.250.255", "1.2.3.-", "1.2.3.4 ", "1.2.3.\xff",
                                        "12.34.56.789", "10.0.0.1", "1.1.1.1111"};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_ipv4(edges[i], strlen(edges[i]));
    char buf[40];
    for (int i = 0; i < 2000000; i++) {
        size_t len;
        if (next_rand() % 2) {
            /* four parts of 0..299, some with leading zeros, some bytes changed */
            len = (size_t)snprintf(buf, sizeof buf, "%s%u.%u.%u.%u", next_rand() % 20 ? "" : "0", next_rand() % 300,
                                   next_rand() % 300, next_rand() % 300, next_rand() % 300);
            if (next_rand() % 4 == 0)
                buf[next_rand() % len] = "0.9a:\x80 /"[next_rand() % 8];
            if (next_rand() % 8 == 0)
                len = next_rand() % (len + 1);
        } else {
            len = next_rand() % 18;
            for (size_t k = 0; k < len; k++)
                buf[k] = "0123456789...:x"[next_rand() % 15];
        }
        check_ipv4(buf, len);
    }
}

/* The address parser looks for a colon in the first five bytes only. */
static void addresses_agree(void **state)
{
    (void)state;
    static const char *const texts[] = {"10.0.0.1", "2001:db8::1", "::", "::ffff:10.0.0.1", "12345:1::", "1.2.3.4:",
                                        "fe80::1%eth0", "1:2:3:4:5:6:7:8", "abcd:", "10.0.0.1::", "a.b.c.d",
                                        "ffff", "1:2:3:4:5:6:7:8:9", "12.0.0.1:2"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *s = texts[i];
        size_t len = strlen(s);
        flowlog_addr got, want;
        memset(&want, 0, sizeof want);
        int rw;
        if (memchr(s, ':', len)) {
            rw = flowlog__parse_ipv6(s, len, want.bytes) < 0 ? FLOWLOG_E_MALFORMED : FLOWLOG_OK;
            want.family = FLOWLOG_AF_INET6;
        } else {
            rw = flowlog__parse_ipv4_scalar(s, len, want.bytes) < 0 ? FLOWLOG_E_MALFORMED : FLOWLOG_OK;
            want.family = FLOWLOG_AF_INET;
        }
        int rg = flowlog_addr_parse(s, len, &got);
        assert_int_equal(rg, rw);
        if (rg == FLOWLOG_OK) {
            assert_int_equal(got.family, want.family);
            assert_memory_equal(got.bytes, want.bytes, sizeof got.bytes);
        }
    }
}

/* An IPv4 address in a network, tested as one word, agrees with the
 * definition bit by bit; an IPv6 one is never in an IPv4 network. */
static void ipv4_networks_agree(void **state)
{
    (void)state;
    for (int i = 0; i < 1000000; i++) {
        flowlog_addr a = {.family = FLOWLOG_AF_INET}, net = {.family = FLOWLOG_AF_INET};
        uint64_t x = next_rand(), y = next_rand();
        for (int b = 0; b < 4; b++) {
            a.bytes[b] = (uint8_t)(x >> (8 * b));
            /* nets near the address, so that long prefixes match too */
            net.bytes[b] = next_rand() % 3 ? a.bytes[b] : (uint8_t)(y >> (8 * b));
        }
        if (next_rand() % 4 == 0)
            net.bytes[next_rand() % 4] ^= (uint8_t)(1u << (next_rand() % 8));
        unsigned prefix = (unsigned)(next_rand() % 34); /* 33: past the end */
        int want = prefix <= 32;
        for (unsigned bit = 0; bit < prefix && bit < 32 && want; bit++)
            want = ((a.bytes[bit / 8] ^ net.bytes[bit / 8]) >> (7 - bit % 8) & 1) == 0;
        if (flowlog_addr_in_cidr(&a, &net, prefix) != want)
            fail_msg("%u.%u.%u.%u in %u.%u.%u.%u/%u: %d, defined %d", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3],
                     net.bytes[0], net.bytes[1], net.bytes[2], net.bytes[3], prefix, !want, want);
        a.family = FLOWLOG_AF_INET6;
        assert_int_equal(flowlog_addr_in_cidr(&a, &net, prefix), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_agree),
        cmocka_unit_test(inline_accessors_agree),
        cmocka_unit_test(ipv4_agrees),
        cmocka_unit_test(addresses_agree),
        cmocka_unit_test(ipv4_networks_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
