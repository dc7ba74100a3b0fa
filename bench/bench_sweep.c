/* The sweep's memory on many distinct conversations: peak RSS growth while
 * feeding N conversations (default 10 million) into a sweep capped at
 * MAX_MEMORY MiB (default 256), against that cap.
 * usage: bench_sweep [N] [MAX_MEMORY_MIB]
 * Exits 1 when the peak exceeds the cap. */
#include <flowlog/flowlog.h>

#include "bench_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long peak_kib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    long long cap_mib = argc > 2 ? strtoll(argv[2], NULL, 10) : 256;
    flowlog_schema *schema;
    flowlog_record *rec;
    flowlog_sweep *s;
    const char *fmt = "srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags";
    if (flowlog_schema_compile(&schema, fmt, strlen(fmt), FLOWLOG_SYNTAX_HEADER, NULL) != FLOWLOG_OK ||
        flowlog_record_new(&rec, schema, NULL) != FLOWLOG_OK || flowlog_sweep_new(&s, NULL) != FLOWLOG_OK ||
        flowlog_sweep_set(s, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, INT32_MAX) != FLOWLOG_OK ||
        flowlog_sweep_set(s, FLOWLOG_SWEEP_OPT_MAX_MEMORY, cap_mib << 20) != FLOWLOG_OK) {
        fprintf(stderr, "bench_sweep: setup failed\n");
        return 2;
    }
    long before = peak_kib();
    double t0 = now();
    char line[160];
    for (uint64_t i = 0; i < n; i++) {
        /* client i, one of 64 servers, one of 8 ports: every line a new conversation */
        unsigned c = (unsigned)(i / 512), srv = (unsigned)(i % 64), port = 8000 + (unsigned)(i / 64 % 8);
        int len = snprintf(line, sizeof line, "10.%u.%u.%u 172.31.0.%u %u %u 6 3 180 1700000000 1700000060 %s 2",
                           (c >> 16) & 255, (c >> 8) & 255, c & 255, srv, 40000 + (unsigned)(i % 20000), port,
                           i % 3 ? "ACCEPT" : "REJECT");
        if (flowlog_record_parse(rec, line, (size_t)len) != FLOWLOG_OK || flowlog_sweep_feed(s, rec) < 0) {
            fprintf(stderr, "bench_sweep: line %" PRIu64 " failed\n", i);
            return 2;
        }
    }
    double t1 = now();
    size_t problems;
    if (flowlog_sweep_finish(s, &problems) != FLOWLOG_OK) {
        fprintf(stderr, "bench_sweep: finish failed\n");
        return 2;
    }
    long after = peak_kib();
    long growth_kib = after - before;
    printf("records fed           %" PRIu64 " (%.2f s, %.1f M records/s)\n", n, t1 - t0, (double)n / (t1 - t0) / 1e6);
    printf("conversations kept    %" PRIu64 "\n", flowlog_sweep_conversations(s));
    printf("records dropped       %" PRIu64 " (truncated: %s)\n", flowlog_sweep_dropped(s),
           flowlog_sweep_dropped(s) ? "yes" : "no");
    printf("problems ranked       %zu\n", problems);
    printf("sweep memory          %.1f MiB (flowlog_sweep_memory)\n", (double)flowlog_sweep_memory(s) / 1048576.0);
    printf("peak RSS growth       %.1f MiB\n", (double)growth_kib / 1024.0);
    printf("cap                   %lld MiB\n", cap_mib);
    printf("peak / cap            %.2f\n", (double)growth_kib / 1024.0 / (double)cap_mib);
    flowlog_sweep_free(s);
    flowlog_record_free(rec);
    flowlog_schema_free(schema);
    return growth_kib > cap_mib * 1024 ? 1 : 0;
}
