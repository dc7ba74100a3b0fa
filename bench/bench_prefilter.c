/* The reader's prefilter, measured against baselines run in the same
 * process on the file held in memory:
 *   1. memchr line splitting (the floor for anything that finds lines);
 *   2. the reader returning every record (lazy, as queries read);
 *   3. the reader with a prefilter for NEEDLE, returning the records that
 *      may hold it, from memory and from the path, with and without the
 *      decoding thread.
 * Each is the best of REPEAT runs.
 * usage: bench_prefilter FILE [NEEDLE] [REPEAT] */
#include <flowlog/flowlog.h>

#include "bench_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Returns the time; *got: records returned, *records: records counted. */
static double t_reader(const char *path, const char *buf, size_t len, const char *needle, int threads,
                       uint64_t *got, uint64_t *records)
{
    flowlog_reader *rd;
    flowlog_span sp = {needle, needle ? strlen(needle) : 0};
    double t0 = now();
    if (flowlog_reader_new(&rd, NULL, NULL) || flowlog_reader_set(rd, FLOWLOG_OPT_VALIDATE, 0) ||
        flowlog_reader_set(rd, FLOWLOG_OPT_THREADS, threads) ||
        (needle && flowlog_reader_set_prefilter(rd, &sp, 1)) ||
        (path ? flowlog_reader_add_path(rd, path) : flowlog_reader_add_memory(rd, buf, len, "memory"))) {
        fprintf(stderr, "bench_prefilter: cannot set up the reader\n");
        exit(2);
    }
    flowlog_record *rec;
    int rc;
    uint64_t n = 0;
    while ((rc = flowlog_reader_next(rd, &rec)) != FLOWLOG_END)
        n += rc == FLOWLOG_OK;
    double t = now() - t0;
    *got = n;
    *records = flowlog_reader_count(rd, FLOWLOG_COUNT_RECORDS);
    flowlog_reader_free(rd);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: bench_prefilter FILE [NEEDLE] [REPEAT]\n", stderr);
        return 2;
    }
    const char *needle = argc > 2 ? argv[2] : "REJECT";
    int repeat = argc > 3 ? atoi(argv[3]) : 5;
    size_t len;
    char *buf = slurp(argv[1], &len);
    if (!buf) {
        perror(argv[1]);
        return 2;
    }
    double best[6] = {1e9, 1e9, 1e9, 1e9, 1e9, 1e9};
    uint64_t lines = 0, got[6] = {0}, recs[6] = {0};
    for (int r = 0; r < repeat; r++) {
        double t[6];
        t[0] = t_memchr(buf, len, &lines);
        t[1] = t_reader(NULL, buf, len, NULL, 1, &got[1], &recs[1]);
        t[2] = t_reader(NULL, buf, len, needle, 1, &got[2], &recs[2]);
        t[3] = t_reader(argv[1], NULL, 0, needle, 1, &got[3], &recs[3]);
        t[4] = t_reader(argv[1], NULL, 0, needle, 0, &got[4], &recs[4]);
        t[5] = t_reader(argv[1], NULL, 0, NULL, 1, &got[5], &recs[5]);
        for (int i = 0; i < 6; i++)
            best[i] = t[i] < best[i] ? t[i] : best[i];
    }
    static const char *what[6] = {
        "memchr lines, memory", "reader, every record, memory", "reader + prefilter, memory",
        "reader + prefilter, path, thread", "reader + prefilter, path, no thread", "reader, every record, path",
    };
    printf("file: %s (%zu bytes, %llu lines), needle \"%s\", best of %d\n", argv[1], len,
           (unsigned long long)lines, needle, repeat);
    for (int i = 0; i < 6; i++) {
        printf("  %-38s %7.3f s  %7.0f MB/s", what[i], best[i], (double)len / best[i] / 1e6);
        if (i)
            printf("  returned %llu of %llu records", (unsigned long long)got[i], (unsigned long long)recs[i]);
        printf("\n");
    }
    printf("prefilter (memory) / memchr       %.2f\n", best[2] / best[0]);
    printf("prefilter (memory) / every record %.2f\n", best[2] / best[1]);
    free(buf);
    return 0;
}
