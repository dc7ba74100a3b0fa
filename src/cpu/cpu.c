#include "cpu.h"

#define FLOWLOG__CPU_UNLIKELY(x) __builtin_expect(!!(x), 0)

#include <flowlog/reader.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"scalar", "sse2", "avx2", "avx512"};

const char *flowlog__cpu_name(int level)
{
    return level >= FLOWLOG_CPU_SCALAR && level <= FLOWLOG_CPU_AVX512 ? names[level] : NULL;
}

int flowlog__cpu_parse(const char *name)
{
    for (int i = FLOWLOG_CPU_SCALAR; name && i <= FLOWLOG_CPU_AVX512; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* What the processor has, of what this build was compiled for: each AVX
 * level is built with BMI1, BMI2 and POPCNT, so it needs them too. */
static int detect(void)
{
    int level = FLOWLOG_CPU_SCALAR;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    level = FLOWLOG_CPU_SSE2; /* every x86-64 */
    bool bits = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
#if FLOWLOG_HAVE_AVX2
    if (bits && __builtin_cpu_supports("avx2"))
        level = FLOWLOG_CPU_AVX2;
#endif
#if FLOWLOG_HAVE_AVX512
    if (bits && level == FLOWLOG_CPU_AVX2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        level = FLOWLOG_CPU_AVX512;
#endif
    (void)bits;
#endif
    /* a lower level only: asking for more than there is changes nothing */
    int cap = flowlog__cpu_parse(getenv("FLOWLOG_CPU"));
    return cap >= 0 && cap < level ? cap : level;
}

static int best = -1; /* read without the once on the hot path: set before any reader sees it */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void settle(void)
{
    __atomic_store_n(&best, detect(), __ATOMIC_RELEASE);
}

int flowlog__cpu_best(void)
{
    int level = __atomic_load_n(&best, __ATOMIC_ACQUIRE);
    if (FLOWLOG__CPU_UNLIKELY(level < 0)) {
        pthread_once(&once, settle);
        level = __atomic_load_n(&best, __ATOMIC_ACQUIRE);
    }
    return level;
}
