#include "internal.h"

#include <stdlib.h>
#if defined(__linux__)
#  include <sys/mman.h>
#endif

static void *libc_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}

static void *libc_realloc(void *ctx, void *p, size_t old_n, size_t n)
{
    (void)ctx;
    (void)old_n;
    return realloc(p, n ? n : 1);
}

static void libc_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}

const flowlog_allocator flowlog__libc_allocator = {libc_alloc, libc_realloc, libc_free, NULL};

int flowlog__allocator_init(flowlog_allocator *dst, const flowlog_allocator *src)
{
    if (!src) {
        *dst = flowlog__libc_allocator;
        return FLOWLOG_OK;
    }
    if (!src->alloc || !src->realloc || !src->free)
        return FLOWLOG_E_ARG;
    *dst = *src;
    return FLOWLOG_OK;
}

void *flowlog__calloc(const flowlog_allocator *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = a->alloc(a->ctx, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

/* A table probed at random, past the reach of the processor's small-page
 * address cache: asked for in 2 MiB pages before its first touch (the
 * zeroing), so that a probe walks no page table (in a virtual machine, a
 * walk of two). Where the system has no such pages, it is advice ignored. */
void *flowlog__calloc_table(const flowlog_allocator *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    bool libc = a->alloc == libc_alloc;
    /* calloc knows fresh pages are zeros already, and leaves them untouched */
    void *p = libc ? calloc(bytes ? bytes : 1, 1) : a->alloc(a->ctx, bytes);
    if (!p)
        return NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (bytes >= 4 * huge) {
        uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1), hi = ((uintptr_t)p + bytes) & ~(huge - 1);
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    if (!libc)
        memset(p, 0, bytes);
    return p;
}

char *flowlog__strndup(const flowlog_allocator *a, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        return NULL;
    char *p = a->alloc(a->ctx, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}
