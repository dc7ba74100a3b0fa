#include "internal.h"
#include "../cpu/cpu.h"

#include <stdio.h>
#if defined(__SSE2__)
#  include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  include <smmintrin.h> /* the shuffle's, for one function compiled for SSSE3 and SSE4.1 */
#endif

int flowlog__parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return FLOWLOG_E_MALFORMED;
    uint64_t v = 0;
    if (FLOWLOG__IS_LITTLE_ENDIAN && FLOWLOG__LIKELY(len <= 16)) /* sixteen digits cannot pass 2^64 */
        return flowlog__parse_u64_short(s, len, out) ? FLOWLOG_OK : FLOWLOG_E_MALFORMED;
    if (FLOWLOG__LIKELY(len <= 19)) {
        /* nineteen digits cannot pass 2^64: no test for overflow (a division) per digit */
        unsigned bad = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            bad |= d > 9;
            v = v * 10 + d;
        }
        if (bad)
            return FLOWLOG_E_MALFORMED;
        *out = v;
        return FLOWLOG_OK;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return FLOWLOG_E_MALFORMED;
        if (v > (UINT64_MAX - d) / 10)
            return FLOWLOG_E_OVERFLOW;
        v = v * 10 + d;
    }
    *out = v;
    return FLOWLOG_OK;
}

int flowlog_parse_u64(const char *text, size_t len, uint64_t *out)
{
    if (!text || !out)
        return FLOWLOG_E_ARG;
    if (len == 1 && text[0] == '-')
        return FLOWLOG_ABSENT;
    return flowlog__parse_u64(text, len, out);
}

/* Dotted quad, each part 0..255 without leading zeros (as inet_pton). */
int flowlog__parse_ipv4_scalar(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return FLOWLOG_E_MALFORMED;
            i++;
        }
        size_t start = i;
        unsigned v = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
        }
        size_t digits = i - start;
        if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0'))
            return FLOWLOG_E_MALFORMED;
        out[part] = (uint8_t)v;
    }
    return i == len ? FLOWLOG_OK : FLOWLOG_E_MALFORMED;
}

#if defined(__SSE2__)
/* The text of an address (7 to 15 bytes) in a register, by two fixed-size
 * loads that overlap (a copy of a variable length is a call, and a block
 * written in pieces and read whole stalls), nothing read past it, zeros
 * after it. */
static inline __m128i ipv4_text(const char *s, size_t len)
{
    uint64_t lo, hi;
    if (len >= 8) {
        uint64_t tail;
        memcpy(&lo, s, 8);
        memcpy(&tail, s + len - 8, 8);
        hi = len == 8 ? 0 : tail >> (8 * (16 - len));
    } else { /* seven bytes */
        uint32_t head, tail;
        memcpy(&head, s, 4);
        memcpy(&tail, s + 3, 4);
        lo = (uint64_t)head | (uint64_t)(tail >> 8) << 32;
        hi = 0;
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}

/* The whole form from the masks of the text's dots, digits and zeros: dots
 * and digits cover the text, three dots (each step drops the lowest; no
 * popcount instruction is assumed), none first, last or beside another, no
 * run of four digits, and no part of two or three digits that starts with
 * 0. The dots' masks past the first, second and third are left in two,
 * one. */
static inline bool ipv4_form(unsigned dots, unsigned digits, unsigned zeros, size_t len, unsigned *two, unsigned *one)
{
    unsigned all = (1u << len) - 1, last = 1u << (len - 1);
    *two = dots & (dots - 1);
    *one = *two & (*two - 1);
    unsigned none = *one & (*one - 1);
    unsigned starts = (dots << 1 | 1) & all;
    return (dots | digits) == all && *one && !none && !(dots & (1u | last | dots >> 1)) &&
           !(digits & digits >> 1 & digits >> 2 & digits >> 3) && !(starts & zeros & digits >> 1);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* With a byte shuffle (SSSE3): each part's last three places moved into
 * four bytes of their own (a place before the part's start reads as zero),
 * then weighed 100, 10, 1 and summed, all four parts at once. */
__attribute__((target("ssse3,sse4.1"))) int flowlog__parse_ipv4_ssse3(const char *s, size_t len, uint8_t out[4])
{
    if (len < 7 || len > 15)
        return FLOWLOG_E_MALFORMED;
    __m128i v = ipv4_text(s, len);
    __m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
    unsigned all = (1u << len) - 1;
    unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    unsigned digits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) & all;
    unsigned zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, _mm_setzero_si128())) & all;
    unsigned two, one;
    if (!ipv4_form(dots, digits, zeros, len, &two, &one))
        return FLOWLOG_E_MALFORMED;
    int e0 = __builtin_ctz(dots), e1 = __builtin_ctz(two), e2 = __builtin_ctz(one), e3 = (int)len;
    const int each = 0x01010101;
    __m128i ends = _mm_set_epi32(e3 * each, e2 * each, e1 * each, e0 * each);
    __m128i starts = _mm_set_epi32((e2 + 1) * each, (e1 + 1) * each, (e0 + 1) * each, 0);
    __m128i at = _mm_add_epi8(ends, _mm_set1_epi32(0x7ffffefd)); /* -3, -2, -1 and a fourth byte kept out */
    __m128i keep = _mm_andnot_si128(_mm_cmplt_epi8(at, starts), _mm_set1_epi32(0x00ffffff));
    __m128i places = _mm_or_si128(_mm_and_si128(keep, at), _mm_andnot_si128(keep, _mm_set1_epi8((char)0x80)));
    __m128i parts = _mm_shuffle_epi8(d, places);
    __m128i tens = _mm_maddubs_epi16(parts, _mm_set1_epi32(0x00010a64)); /* 100, 10, 1, 0 */
    __m128i sums = _mm_madd_epi16(tens, _mm_set1_epi16(1));
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(sums, _mm_set1_epi32(255))))
        return FLOWLOG_E_MALFORMED;
    uint32_t bytes = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(_mm_packus_epi32(sums, sums), _mm_setzero_si128()));
    memcpy(out, &bytes, 4);
    return FLOWLOG_OK;
}
#endif

/* The same with SSE2 alone: each run's value is a sum without a branch
 * per byte. */
int flowlog__parse_ipv4_sse2(const char *s, size_t len, uint8_t out[4])
{
    if (len < 7 || len > 15)
        return FLOWLOG_E_MALFORMED;
    __m128i v = ipv4_text(s, len);
    unsigned all = (1u << len) - 1;
    unsigned dots = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    unsigned digits = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                                                _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)))) &
                      all;
    unsigned zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('0'))) & all;
    unsigned two, one;
    if (!ipv4_form(dots, digits, zeros, len, &two, &one))
        return FLOWLOG_E_MALFORMED;
    /* Each part's one to three digits are the top bytes of the four that
     * end where it ends, read from the text; the first part, and the second
     * when it ends at byte 3, have fewer before them and are moved up into
     * place instead. No branch on a part's length. */
    unsigned end[4], x[4];
    uint32_t raw[4], head;
    end[0] = (unsigned)__builtin_ctz(dots);
    end[1] = (unsigned)__builtin_ctz(two);
    end[2] = (unsigned)__builtin_ctz(one);
    end[3] = (unsigned)len;
    memcpy(&head, s, 4);
    raw[0] = head << (8 * (4 - end[0]));
    memcpy(&raw[1], s + (end[1] >= 4 ? end[1] - 4 : 0), 4);
    raw[1] = end[1] >= 4 ? raw[1] : head << 8;
    memcpy(&raw[2], s + end[2] - 4, 4);
    memcpy(&raw[3], s + len - 4, 4);
    unsigned start = 0, big = 0;
    for (int part = 0; part < 4; part++) {
        unsigned n = end[part] - start;
        uint32_t keep = ~0u << (32 - 8 * n);
        uint32_t w = (raw[part] & keep) - (0x30303030u & keep);
        x[part] = ((w >> 8) & 0xff) * 100 + ((w >> 16) & 0xff) * 10 + (w >> 24);
        big |= x[part];
        start = end[part] + 1;
    }
    if (big > 255)
        return FLOWLOG_E_MALFORMED;
    for (int part = 0; part < 4; part++)
        out[part] = (uint8_t)x[part];
    return FLOWLOG_OK;
}

/* The shuffle where the processor has it (every processor of the AVX2
 * level does; FLOWLOG_CPU=sse2 asks for the SSE2 way): the level asked
 * once, kept where the hot path reads it without a call. */
int flowlog__parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static int shuffle = -1;
    int use = __atomic_load_n(&shuffle, __ATOMIC_RELAXED);
    if (FLOWLOG__UNLIKELY(use < 0)) {
        use = flowlog__cpu_best() >= FLOWLOG_CPU_AVX2;
        __atomic_store_n(&shuffle, use, __ATOMIC_RELAXED);
    }
    if (use)
        return flowlog__parse_ipv4_ssse3(s, len, out);
#endif
    return flowlog__parse_ipv4_sse2(s, len, out);
}
#else
int flowlog__parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    return flowlog__parse_ipv4_scalar(s, len, out);
}
#endif

/* A hex digit's value + 1 by byte, 0 for any other byte: one load, where
 * three range tests would each be a branch the processor must guess. */
static const uint8_t hex_plus_one[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(char c)
{
    return (int)hex_plus_one[(unsigned char)c] - 1;
}

/* RFC 4291 section 2.2: eight groups of 1-4 hex digits, one "::" standing
 * for one or more zero groups, and an optional trailing dotted quad. */
int flowlog__parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t tmp[16] = {0};
    int ngroups = 0, gap = -1;
    size_t i = 0;
    if (len < 2)
        return FLOWLOG_E_MALFORMED;
    if (s[0] == ':') {
        if (s[1] != ':')
            return FLOWLOG_E_MALFORMED;
        gap = 0;
        i = 2;
        if (i == len) {
            memset(out, 0, 16);
            return FLOWLOG_OK;
        }
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        for (int h; i < len && i - start < 4 && (h = hexval(s[i])) >= 0; i++)
            v = (v << 4) | (unsigned)h;
        if (i < len && s[i] == '.') {
            /* Embedded IPv4 takes the last 32 bits. */
            if (ngroups > 6 || (gap < 0 && ngroups != 6))
                return FLOWLOG_E_MALFORMED;
            if (flowlog__parse_ipv4(s + start, len - start, tmp + ngroups * 2) < 0)
                return FLOWLOG_E_MALFORMED;
            ngroups += 2;
            i = len;
            break;
        }
        if (i == start || ngroups == 8)
            return FLOWLOG_E_MALFORMED;
        tmp[ngroups * 2] = (uint8_t)(v >> 8);
        tmp[ngroups * 2 + 1] = (uint8_t)v;
        ngroups++;
        if (i == len)
            break;
        if (s[i] != ':')
            return FLOWLOG_E_MALFORMED;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return FLOWLOG_E_MALFORMED;
            gap = ngroups;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return FLOWLOG_E_MALFORMED; /* a trailing single ':' */
        }
    }
    if (gap >= 0) {
        if (ngroups > 7)
            return FLOWLOG_E_MALFORMED;
        int tail = ngroups - gap;
        memset(out, 0, 16);
        memcpy(out, tmp, (size_t)gap * 2);
        memcpy(out + 16 - tail * 2, tmp + gap * 2, (size_t)tail * 2);
        return FLOWLOG_OK;
    }
    if (ngroups != 8)
        return FLOWLOG_E_MALFORMED;
    memcpy(out, tmp, 16);
    return FLOWLOG_OK;
}

int flowlog_addr_parse(const char *text, size_t len, flowlog_addr *out)
{
    if (!text || !out)
        return FLOWLOG_E_ARG;
    if (len == 1 && text[0] == '-')
        return FLOWLOG_ABSENT;
    /* A colon comes within the first five bytes of any IPv6 address (a
     * group has at most four digits); text with one only later is neither
     * form, and either parser says so. */
    bool colon;
    if (len >= 5) {
        uint32_t w;
        memcpy(&w, text, 4);
        w ^= 0x3a3a3a3au; /* a zero byte where a colon was */
        colon = ((w - 0x01010101u) & ~w & 0x80808080u) != 0 || text[4] == ':';
    } else {
        colon = memchr(text, ':', len) != NULL;
    }
    if (colon) {
        flowlog_addr a;
        memset(&a, 0, sizeof a);
        if (flowlog__parse_ipv6(text, len, a.bytes) < 0)
            return FLOWLOG_E_MALFORMED;
        a.family = FLOWLOG_AF_INET6;
        *out = a;
        return FLOWLOG_OK;
    }
    uint8_t v4[4];
    if (flowlog__parse_ipv4(text, len, v4) < 0)
        return FLOWLOG_E_MALFORMED;
    memset(out, 0, sizeof *out);
    memcpy(out->bytes, v4, 4);
    out->family = FLOWLOG_AF_INET;
    return FLOWLOG_OK;
}

int flowlog_addr_format(const flowlog_addr *addr, char *buf, size_t size)
{
    char tmp[64];
    int n;
    if (!addr || !buf)
        return FLOWLOG_E_ARG;
    const uint8_t *b = addr->bytes;
    if (addr->family == FLOWLOG_AF_INET) {
        n = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    } else if (addr->family == FLOWLOG_AF_INET6) {
        unsigned g[8];
        for (int i = 0; i < 8; i++)
            g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
        /* RFC 5952: compress the longest run (>= 2) of zero groups, the first on a tie. */
        int best = -1, best_len = 0;
        for (int i = 0; i < 8;) {
            if (g[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0)
                j++;
            if (j - i > best_len && j - i >= 2) {
                best = i;
                best_len = j - i;
            }
            i = j;
        }
        bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 &&
                      g[5] == 0xffff;
        n = 0;
        if (mapped) {
            n = snprintf(tmp, sizeof tmp, "::ffff:%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
        } else {
            for (int i = 0; i < 8; i++) {
                if (i == best) {
                    n += snprintf(tmp + n, sizeof tmp - (size_t)n, "::");
                    i += best_len - 1;
                    continue;
                }
                if (i && !(best >= 0 && i == best + best_len))
                    tmp[n++] = ':';
                n += snprintf(tmp + n, sizeof tmp - (size_t)n, "%x", g[i]);
            }
            tmp[n] = '\0';
        }
    } else {
        return FLOWLOG_E_ARG;
    }
    if ((size_t)n + 1 > size)
        return FLOWLOG_E_RANGE;
    memcpy(buf, tmp, (size_t)n + 1);
    return n;
}

int flowlog_cidr_parse(const char *text, size_t len, flowlog_addr *net, unsigned *prefix)
{
    if (!text || !net || !prefix)
        return FLOWLOG_E_ARG;
    const char *slash = memchr(text, '/', len);
    size_t alen = slash ? (size_t)(slash - text) : len;
    flowlog_addr a;
    if (flowlog_addr_parse(text, alen, &a) != FLOWLOG_OK)
        return FLOWLOG_E_MALFORMED;
    unsigned max = a.family == FLOWLOG_AF_INET ? 32 : 128;
    uint64_t p = max;
    if (slash) {
        size_t plen = len - alen - 1;
        if (plen == 0 || plen > 3 || flowlog__parse_u64(slash + 1, plen, &p) < 0 || p > max)
            return FLOWLOG_E_MALFORMED;
    }
    for (unsigned bit = (unsigned)p; bit < 128; bit++)
        a.bytes[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    *net = a;
    *prefix = (unsigned)p;
    return FLOWLOG_OK;
}

int flowlog_addr_in_cidr(const flowlog_addr *addr, const flowlog_addr *net, unsigned prefix)
{
    if (!addr || !net || addr->family != net->family)
        return 0;
    unsigned max = addr->family == FLOWLOG_AF_INET ? 32 : 128;
    if (prefix > max)
        return 0;
    if (addr->family == FLOWLOG_AF_INET) {
        /* one word, no call: the test runs for every record of a subnet filter */
        uint32_t a = (uint32_t)addr->bytes[0] << 24 | (uint32_t)addr->bytes[1] << 16 | (uint32_t)addr->bytes[2] << 8 |
                     addr->bytes[3],
                 n = (uint32_t)net->bytes[0] << 24 | (uint32_t)net->bytes[1] << 16 | (uint32_t)net->bytes[2] << 8 |
                     net->bytes[3];
        uint32_t mask = prefix ? ~(uint32_t)0 << (32 - prefix) : 0;
        return ((a ^ n) & mask) == 0;
    }
    unsigned whole = prefix / 8, rest = prefix % 8;
    if (memcmp(addr->bytes, net->bytes, whole) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff00u >> rest);
        if ((addr->bytes[whole] & mask) != (net->bytes[whole] & mask))
            return 0;
    }
    return 1;
}
