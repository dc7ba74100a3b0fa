/* Internal declarations shared by the library's source files. Not API:
 * nothing here is exported (flowlog__ names are hidden and absent from the
 * version map). */
#ifndef FLOWLOG_INTERNAL_H
#define FLOWLOG_INTERNAL_H

#include <flowlog/flowlog.h>

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define FLOWLOG__BUILTIN_SLOTS 64   /* > the highest built-in id */
#define FLOWLOG__MAX_OWN_FIELDS 1024
#define FLOWLOG__MAX_NAME 64
#define FLOWLOG__MSG_SIZE 192

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define FLOWLOG__IS_LITTLE_ENDIAN 0
#else
#  define FLOWLOG__IS_LITTLE_ENDIAN 1
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define FLOWLOG__LIKELY(x) __builtin_expect(!!(x), 1)
#  define FLOWLOG__UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define FLOWLOG__PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define FLOWLOG__PREFETCH(p) __builtin_prefetch(p)
#  define FLOWLOG__INLINE static inline __attribute__((always_inline))
#else
#  define FLOWLOG__LIKELY(x) (x)
#  define FLOWLOG__UNLIKELY(x) (x)
#  define FLOWLOG__PRINTF(a, b)
#  define FLOWLOG__PREFETCH(p) ((void)(p))
#  define FLOWLOG__INLINE static inline
#endif

/* p[0..n), n <= 8, as a word whose byte i is p[i] in memory order (zeros
 * above n), by fixed-size loads that read nothing outside those bytes: a
 * copy of a variable length is a call, and bytes stored one by one then
 * read back as a word wait for each other. Where the word is stored back,
 * it holds the bytes as they were. */
FLOWLOG__INLINE uint64_t flowlog__load_bytes(const char *p, size_t n)
{
    uint64_t w = 0;
    if (n == 8) {
        memcpy(&w, p, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w = FLOWLOG__IS_LITTLE_ENDIAN ? (uint64_t)a | (uint64_t)b << (8 * (n - 4))
                                      : (uint64_t)a << 32 | (uint64_t)b << (8 * (8 - n));
    } else if (n) {
        /* one, two or three bytes as the first, the middle and the last: no loop to mispredict */
        size_t m = n >> 1;
        w = FLOWLOG__IS_LITTLE_ENDIAN ? (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[m] << (8 * m) |
                                            (uint64_t)(unsigned char)p[n - 1] << (8 * (n - 1))
                                      : (uint64_t)(unsigned char)p[0] << 56 | (uint64_t)(unsigned char)p[m] << (8 * (7 - m)) |
                                            (uint64_t)(unsigned char)p[n - 1] << (8 * (8 - n));
    }
    return w;
}

/* ---- allocation ---- */
extern const flowlog_allocator flowlog__libc_allocator;
int flowlog__allocator_init(flowlog_allocator *dst, const flowlog_allocator *src);
void *flowlog__calloc(const flowlog_allocator *a, size_t n, size_t size);
/* The same for a large table probed at random: in large pages where the
 * system has them. */
void *flowlog__calloc_table(const flowlog_allocator *a, size_t n, size_t size);
char *flowlog__strndup(const flowlog_allocator *a, const char *s, size_t len);
#define FLOWLOG__FREE(a, p, n) ((a)->free((a)->ctx, (p), (n)))

/* ---- error detail kept by every handle ---- */
typedef struct flowlog__error {
    const char *msg;   /* points at buf or at a static string */
    size_t offset;
    int column;
    char buf[FLOWLOG__MSG_SIZE];
} flowlog__error;

/* Inline: the reader clears its error on every record. */
static inline void flowlog__error_clear(flowlog__error *e)
{
    e->msg = "";
    e->offset = 0;
    e->column = -1;
}
void flowlog__error_static(flowlog__error *e, size_t offset, int column, const char *msg);
void flowlog__error_set(flowlog__error *e, size_t offset, int column, const char *fmt, ...)
    FLOWLOG__PRINTF(4, 5);

/* Fill a caller's flowlog_error_info from a call's status and, when it
 * has one, the message of the handle that failed (NULL: the status's own
 * text). info may be NULL. Returns status. */
int flowlog__error_info(flowlog_error_info *info, int status, const flowlog__error *why);
/* The reason a constructor refused its arguments: out NULL, an incomplete
 * allocator, a schema not frozen or missing (schema_required). */
int flowlog__error_info_args(flowlog_error_info *info, int status, const void *out, const flowlog_allocator *a,
                             const flowlog_schema *schema, bool schema_required);

/* ---- field registry ---- */
typedef struct flowlog__field_info {
    uint32_t id;
    const char *name;
    int type;
    int version;
} flowlog__field_info;

const flowlog__field_info *flowlog__field_info_of(uint32_t id);
/* Name equality as the registry sees it: case, '-' and '_' ignored. */
bool flowlog__name_equal(const char *a, size_t alen, const char *b, size_t blen);
bool flowlog__is_name_shape(const char *s, size_t len);
int flowlog__enum_parse(uint32_t field, const char *s, size_t len);

/* ---- schema ---- */
typedef struct flowlog__own_field {
    char *name;
    size_t name_len;
    int type;
    int column;        /* -1 when not a column of this schema */
    bool registered;   /* by the caller (true) or met as an unknown name (false) */
} flowlog__own_field;

struct flowlog_schema {
    flowlog_allocator alloc;
    bool frozen;
    int version;
    bool transit_gateway;
    size_t ncols;
    uint32_t *cols;        /* field id of each column */
    uint8_t *col_types;    /* FLOWLOG_TYPE_* of each column */
    int16_t builtin_col[FLOWLOG__BUILTIN_SLOTS];
    flowlog__own_field *own;
    size_t nown, own_cap;
    flowlog__error err;
};

/* Column of a field, -1 when the schema lacks it; hot path. */
static inline int flowlog__schema_col(const flowlog_schema *s, uint32_t field)
{
    if (field < FLOWLOG__BUILTIN_SLOTS)
        return s->builtin_col[field];
    if (field >= FLOWLOG_FIELD_CUSTOM_BASE && field - FLOWLOG_FIELD_CUSTOM_BASE < s->nown)
        return s->own[field - FLOWLOG_FIELD_CUSTOM_BASE].column;
    return -1;
}

/* ---- tokenizing ---- */
/* Strip a trailing "\n", "\r\n" or "\r" from a line. */
static inline size_t flowlog__chomp(const char *line, size_t len)
{
    if (len && line[len - 1] == '\n')
        len--;
    if (len && line[len - 1] == '\r')
        len--;
    return len;
}
/* Split a line (no newline) on runs of spaces. Stores at most cap spans and
 * returns how many fields there are. */
size_t flowlog__split(const char *line, size_t len, flowlog_span *out, size_t cap);
/* The same split at one instruction-set level (enum flowlog_cpu_level),
 * each defined by the scalar one below and tested against it. */
typedef size_t (*flowlog__split_fn)(const char *line, size_t len, flowlog_span *out, size_t cap);
flowlog__split_fn flowlog__split_at(int level);
size_t flowlog__split_sse2(const char *line, size_t len, flowlog_span *out, size_t cap);
size_t flowlog__split_avx2(const char *line, size_t len, flowlog_span *out, size_t cap);
size_t flowlog__split_avx512(const char *line, size_t len, flowlog_span *out, size_t cap);
/* Only field col of the same split: false when the line has fewer. Reads
 * as far as the field's end, a block at a time. */
bool flowlog__split_field(const char *line, size_t len, size_t col, flowlog_span *out);
/* The byte-at-a-time definition of the same split, kept as the reference the
 * fast one is tested against. */
size_t flowlog__split_scalar(const char *line, size_t len, flowlog_span *out, size_t cap);

/* ---- values ---- */
int flowlog__parse_u64(const char *s, size_t len, uint64_t *out);

/* Eight digits as one word, the first in the lowest byte: their value, or
 * false when any byte is not a digit. Three multiplications join pairs of
 * digits, then of pairs, then of fours (no carry crosses a lane: a pair
 * is at most 99, a four at most 9999). */
FLOWLOG__INLINE bool flowlog__digits8(uint64_t w, uint64_t *v)
{
    const uint64_t high = 0xF0F0F0F0F0F0F0F0u, threes = 0x3030303030303030u;
    /* a digit is 0x30-0x39: 0x3 above, and still 0x3 above after adding 6
     * (a carry out of a byte comes only from one that is not 0x3 above) */
    if ((w & high) != threes || ((w + 0x0606060606060606u) & high) != threes)
        return false;
    uint64_t t = w - threes;
    t = (t * 10 + (t >> 8)) & 0x00FF00FF00FF00FFu;
    t = (t * 100 + (t >> 16)) & 0x0000FFFF0000FFFFu;
    *v = (t * 10000 + (t >> 32)) & 0xFFFFFFFFu;
    return true;
}

/* s[0..n), 1 <= n <= 8, as eight digits with zeros before (little endian:
 * the first digit in the lowest byte). */
FLOWLOG__INLINE uint64_t flowlog__digits_word(const char *s, size_t n)
{
    uint64_t w = flowlog__load_bytes(s, n);
    return n == 8 ? w : w << (8 * (8 - n)) | 0x3030303030303030u >> (8 * n); /* no shift by 64 */
}

/* 1 to 16 decimal digits, inline where a loop reads one for every record:
 * false for anything else (no digits, more of them, another byte), which
 * flowlog__parse_u64() tells apart. */
FLOWLOG__INLINE bool flowlog__parse_u64_short(const char *s, size_t len, uint64_t *out)
{
    if (!FLOWLOG__IS_LITTLE_ENDIAN || len - 1 >= 16)
        return false;
    uint64_t hi = 0, lo;
    size_t head = len > 8 ? len - 8 : 0;
    if (head && !flowlog__digits8(flowlog__digits_word(s, head), &hi))
        return false;
    if (!flowlog__digits8(flowlog__digits_word(s + head, len - head), &lo))
        return false;
    *out = hi * 100000000u + lo;
    return true;
}
int flowlog__parse_ipv4(const char *s, size_t len, uint8_t out[4]);
/* The definition, a byte at a time, that the fast ones are tested against;
 * the two that flowlog__parse_ipv4() chooses from by the processor. */
int flowlog__parse_ipv4_scalar(const char *s, size_t len, uint8_t out[4]);
int flowlog__parse_ipv4_sse2(const char *s, size_t len, uint8_t out[4]);
int flowlog__parse_ipv4_ssse3(const char *s, size_t len, uint8_t out[4]);
int flowlog__parse_ipv6(const char *s, size_t len, uint8_t out[16]);
/* Milliseconds since the epoch are recognised by magnitude: 10^11 seconds
 * is the year 5138, 10^11 milliseconds is 1973. */
#define FLOWLOG__MILLIS_THRESHOLD 100000000000ull

/* ---- records ---- */

struct flowlog_record {
    flowlog_allocator alloc;
    const flowlog_schema *schema;
    flowlog_span *spans;
    size_t cap;
    size_t n;
    flowlog_span line;
    unsigned flags;
    flowlog__error err;
    /* A record whose loader knows where its fields are without having cut
     * them (the reader's scan, from its bit masks): the spans of the first
     * 64 columns, a bit each in pending, are filled by lazy_fill when first
     * asked for, since a consumer reads only a few. What the filler needs
     * stays valid until its loader is next called, as the record does; the
     * record knows nothing of it but these words. */
    uint64_t pending;
    const void *lazy_src;    /* the filler's own state */
    const char *lazy_chunk;  /* what the filler's positions count from */
    size_t lazy_end;         /* the line's end in the chunk, without CR */
    uint32_t lazy_rank;      /* the filler's count of what comes before the line */
    void (*lazy_fill)(flowlog_record *r, size_t col);
    flowlog__split_fn split; /* the split of the level in force (flowlog__split_at) */
};

int flowlog__record_load(flowlog_record *r, const char *line, size_t len);

/* Column col's span; every reader of spans goes through this. */
static inline const flowlog_span *flowlog__record_span(const flowlog_record *r, size_t col)
{
    if (FLOWLOG__UNLIKELY(col < 64 && ((r->pending >> col) & 1)))
        r->lazy_fill((flowlog_record *)(uintptr_t)r, col); /* a cache of the record's own content */
    return &r->spans[col];
}

/* flowlog_record_get_u64() for loops that read integers from every record:
 * a present value of up to sixteen digits is read here, inline; anything
 * else (absent, '-', a type that is not an integer, a malformed value and
 * its message, milliseconds) goes to the accessor, which tells them apart.
 * Callers know r and out are there. */
FLOWLOG__INLINE int flowlog__record_u64(flowlog_record *r, uint32_t field, uint64_t *out)
{
    int c = flowlog__schema_col(r->schema, field);
    if (FLOWLOG__LIKELY(c >= 0 && (size_t)c < r->n)) {
        int type = r->schema->col_types[c];
        const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
        uint64_t v;
        if ((type == FLOWLOG_TYPE_UINT || type == FLOWLOG_TYPE_TIME) && flowlog__parse_u64_short(sp->ptr, sp->len, &v) &&
            (type == FLOWLOG_TYPE_UINT || v < FLOWLOG__MILLIS_THRESHOLD)) {
            *out = v;
            return FLOWLOG_OK;
        }
    }
    return flowlog_record_get_u64(r, field, out);
}

/* flowlog_record_get_addr() the same way: a present IPv4 address is read
 * here; the rest (IPv6, absent, errors and their messages) by the accessor. */
FLOWLOG__INLINE int flowlog__record_addr(flowlog_record *r, uint32_t field, flowlog_addr *out)
{
    int c = flowlog__schema_col(r->schema, field);
    if (FLOWLOG__LIKELY(c >= 0 && (size_t)c < r->n) && r->schema->col_types[c] == FLOWLOG_TYPE_ADDR) {
        const flowlog_span *sp = flowlog__record_span(r, (size_t)c);
        uint8_t v4[4];
        if (sp->len <= 15 && flowlog__parse_ipv4(sp->ptr, sp->len, v4) == FLOWLOG_OK) {
            memset(out, 0, sizeof *out);
            memcpy(out->bytes, v4, 4);
            out->family = FLOWLOG_AF_INET;
            return FLOWLOG_OK;
        }
    }
    return flowlog_record_get_addr(r, field, out);
}

#endif
