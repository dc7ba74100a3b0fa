/* Regular expressions of queries (`like /re/`, `=~ /re/`), through PCRE2,
 * with a budget of work per line: a backtracking pattern such as /(a+)+$/
 * on a long line of a's would otherwise take minutes. A match may take at
 * most REGEX_STEPS_BASE + REGEX_STEPS_PER_BYTE × the line's length steps of
 * PCRE2's matcher, and REGEX_HEAP_KIB of memory; a line that needs more is
 * an error of that line (FLOWLOG_E_BUDGET), never a wrong answer or a hang. */
#include "query_internal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>

#define REGEX_STEPS_BASE 100000u
#define REGEX_STEPS_PER_BYTE 200u
#define REGEX_HEAP_KIB 16384u

struct qregex {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_general_context *gctx;
};

/* PCRE2 frees without a size; the query's allocator wants one, so each
 * block carries it in front (aligned for anything). */
typedef union block_head {
    size_t size;
    long double ld;
    long long ll;
    void *p;
} block_head;

static void *pcre_alloc(size_t n, void *ctx)
{
    const flowlog_allocator *a = ctx;
    block_head *h = a->alloc(a->ctx, sizeof *h + n);
    if (!h)
        return NULL;
    h->size = sizeof *h + n;
    return h + 1;
}

static void pcre_free(void *p, void *ctx)
{
    if (!p)
        return;
    const flowlog_allocator *a = ctx;
    block_head *h = (block_head *)p - 1;
    a->free(a->ctx, h, h->size);
}

void flowlog__regex_free(flowlog_query *q, qregex *re)
{
    if (!re)
        return;
    pcre2_match_data_free(re->md);
    pcre2_match_context_free(re->mctx);
    pcre2_code_free(re->code);
    pcre2_general_context_free(re->gctx);
    FLOWLOG__FREE(&q->alloc, re, sizeof *re);
}

int flowlog__regex_compile(flowlog_query *q, const char *pattern, size_t n, bool icase, qregex **out, char *why,
                           size_t whysize, size_t *at)
{
    *out = NULL;
    qregex *re = flowlog__calloc(&q->alloc, 1, sizeof *re);
    if (!re)
        return FLOWLOG_E_NOMEM;
    re->gctx = pcre2_general_context_create(pcre_alloc, pcre_free, &q->alloc);
    pcre2_compile_context *cctx = re->gctx ? pcre2_compile_context_create(re->gctx) : NULL;
    if (!cctx) {
        flowlog__regex_free(q, re);
        return FLOWLOG_E_NOMEM;
    }
    /* no \C (it splits characters), and nested parentheses bounded */
    (void)pcre2_set_parens_nest_limit(cctx, 64);
    int err;
    PCRE2_SIZE off;
    uint32_t options = PCRE2_NEVER_BACKSLASH_C | (icase ? PCRE2_CASELESS : 0u);
    re->code = pcre2_compile((PCRE2_SPTR)pattern, n, options, &err, &off, cctx);
    pcre2_compile_context_free(cctx);
    if (!re->code) {
        PCRE2_UCHAR msg[120];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", err);
        snprintf(why, whysize, "%s", (const char *)msg);
        *at = off;
        flowlog__regex_free(q, re);
        return err == PCRE2_ERROR_HEAP_FAILED ? FLOWLOG_E_NOMEM : FLOWLOG_E_QUERY;
    }
    /* what every match needs, made now: a match allocates nothing more
     * unless it backtracks deeply, and then within the heap limit */
    re->md = pcre2_match_data_create_from_pattern(re->code, re->gctx);
    re->mctx = pcre2_match_context_create(re->gctx);
    if (!re->md || !re->mctx) {
        flowlog__regex_free(q, re);
        return FLOWLOG_E_NOMEM;
    }
    (void)pcre2_set_heap_limit(re->mctx, REGEX_HEAP_KIB);
    *out = re;
    return FLOWLOG_OK;
}

int flowlog__regex_match(const qregex *re, const char *s, size_t n)
{
    uint64_t steps = REGEX_STEPS_BASE + (uint64_t)REGEX_STEPS_PER_BYTE * n;
    (void)pcre2_set_match_limit(re->mctx, steps > UINT32_MAX ? UINT32_MAX : (uint32_t)steps);
    (void)pcre2_set_depth_limit(re->mctx, steps > UINT32_MAX ? UINT32_MAX : (uint32_t)steps);
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, re->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    return rc == PCRE2_ERROR_NOMEMORY ? FLOWLOG_E_NOMEM : FLOWLOG_E_BUDGET;
}

int flowlog__regex_group(const qregex *re, int g, size_t *start, size_t *len)
{
    if (g < 0 || (uint32_t)g >= pcre2_get_ovector_count(re->md))
        return -1;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
    if (ov[2 * g] == PCRE2_UNSET)
        return -1;
    *start = ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
    return 0;
}

int flowlog__regex_names(const qregex *re, const char **names, size_t *lens, int *numbers, int max)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table;
    if (pcre2_pattern_info(re->code, PCRE2_INFO_NAMECOUNT, &count) != 0 ||
        pcre2_pattern_info(re->code, PCRE2_INFO_NAMEENTRYSIZE, &size) != 0 ||
        pcre2_pattern_info(re->code, PCRE2_INFO_NAMETABLE, &table) != 0)
        return 0;
    int n = 0;
    /* each entry: the group number in two bytes, then the name, NUL-terminated */
    for (uint32_t i = 0; i < count && n < max; i++, n++) {
        PCRE2_SPTR e = table + (size_t)i * size;
        numbers[n] = (e[0] << 8) | e[1];
        names[n] = (const char *)(e + 2);
        lens[n] = strlen(names[n]);
    }
    return n;
}
