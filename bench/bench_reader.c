/* Reader overhead, measured against baselines run in the same process:
 *   1. memchr line splitting of the file held in memory (the floor);
 *   2. tokenizing every line of the file held in memory (flowlog_record_parse);
 *   3. the streaming reader over the file path (plain text) with read() and
 *      mapped (FLOWLOG_OPT_MMAP), and over the same bytes held in memory
 *      (what the reader adds without the copy out of the page cache);
 *   4. decompressing the .gz file alone with the inflater the library uses
 *      (isa-l when built with it, zlib otherwise), output discarded;
 *   5. the streaming reader over the .gz file.
 * Prints 3/2 (target <= 1.10) and 5/4 (target <= 1.20).
 * usage: bench_reader FILE FILE.gz [REPEAT] */
#include <flowlog/flowlog.h>

#include "bench_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#if FLOWLOG_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

static double t_tokenize(const char *buf, size_t len, uint64_t *records)
{
    flowlog_schema *s;
    flowlog_record *r;
    if (flowlog_schema_compile(&s, NULL, 0, FLOWLOG_SYNTAX_DEFAULT, NULL) || flowlog_record_new(&r, s, NULL))
        exit(1);
    double t0 = now();
    uint64_t n = 0;
    for (const char *p = buf, *end = buf + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (flowlog_record_parse(r, p, l) == FLOWLOG_OK)
            n++;
        p += l + 1;
    }
    double t = now() - t0;
    *records = n;
    flowlog_record_free(r);
    flowlog_schema_free(s);
    return t;
}

/* The reader over a path, or over buf[0, len) when path is NULL. */
static double t_reader(const char *path, const char *buf, size_t len, int validate, int mapped, uint64_t *records)
{
    flowlog_reader *rd;
    flowlog_record *rec;
    if (flowlog_reader_new(&rd, NULL, NULL) || flowlog_reader_set(rd, FLOWLOG_OPT_VALIDATE, validate) ||
        flowlog_reader_set(rd, FLOWLOG_OPT_MMAP, mapped) ||
        (path ? flowlog_reader_add_path(rd, path) : flowlog_reader_add_memory(rd, buf, len, "memory")))
        exit(1);
    double t0 = now();
    int rc;
    while ((rc = flowlog_reader_next(rd, &rec)) != FLOWLOG_END)
        if (rc < 0)
            exit(1);
    double t = now() - t0;
    *records = flowlog_reader_count(rd, FLOWLOG_COUNT_RECORDS);
    flowlog_reader_free(rd);
    return t;
}

#if FLOWLOG_HAVE_ISAL
static const char inflater[] = "isa-l";
static double t_inflate(const char *gzpath, uint64_t *out_bytes)
{
    static unsigned char out[256 * 1024];
    size_t len;
    double t0 = now();
    unsigned char *in = (unsigned char *)slurp(gzpath, &len);
    struct inflate_state *st = malloc(sizeof *st);
    if (!in || !st)
        exit(1);
    uint64_t total = 0;
    size_t pos = 0;
    while (pos < len) { /* one member after another, as gzip(1) reads them */
        isal_inflate_init(st);
        st->crc_flag = ISAL_GZIP;
        st->next_in = in + pos;
        st->avail_in = (uint32_t)(len - pos);
        while (st->block_state != ISAL_BLOCK_FINISH) {
            st->next_out = out;
            st->avail_out = sizeof out;
            if (isal_inflate(st) < 0)
                exit(1);
            total += sizeof out - st->avail_out;
            if (st->avail_out == sizeof out && st->avail_in == 0)
                break;
        }
        pos = len - st->avail_in;
    }
    free(st);
    free(in);
    *out_bytes = total;
    return now() - t0;
}
#else
static const char inflater[] = "zlib";
static double t_inflate(const char *gzpath, uint64_t *out_bytes)
{
    static unsigned char out[256 * 1024];
    double t0 = now();
    gzFile g = gzopen(gzpath, "rb");
    gzbuffer(g, 256 * 1024);
    uint64_t total = 0;
    int n;
    while ((n = gzread(g, out, sizeof out)) > 0)
        total += (uint64_t)n;
    gzclose(g);
    *out_bytes = total;
    return now() - t0;
}
#endif

static double best(double a, double b)
{
    return a < b ? a : b;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_reader FILE FILE.gz [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 3 ? atoi(argv[3]) : 3;
    size_t len;
    char *buf = slurp(argv[1], &len);
    if (!buf)
        return 1;
    double m = 1e9, tok = 1e9, rd = 1e9, rdmap = 1e9, rdm = 1e9, rdv = 1e9, inf = 1e9, gzr = 1e9;
    uint64_t lines = 0, records = 0, rrecords = 0, maprecords = 0, mrecords = 0, vrecords = 0, ibytes = 0, grecords = 0;
    for (int i = 0; i < repeat; i++) {
        m = best(m, t_memchr(buf, len, &lines));
        tok = best(tok, t_tokenize(buf, len, &records));
        rd = best(rd, t_reader(argv[1], NULL, 0, 0, 0, &rrecords));
        rdmap = best(rdmap, t_reader(argv[1], NULL, 0, 0, 1, &maprecords));
        rdm = best(rdm, t_reader(NULL, buf, len, 0, 0, &mrecords));
        rdv = best(rdv, t_reader(argv[1], NULL, 0, 1, 0, &vrecords));
        inf = best(inf, t_inflate(argv[2], &ibytes));
        gzr = best(gzr, t_reader(argv[2], NULL, 0, 0, 0, &grecords));
    }
    if (records != rrecords || records != maprecords || records != mrecords || records != vrecords || records != grecords || ibytes != len) {
        fprintf(stderr, "mismatch: %llu %llu %llu %llu records, %llu vs %zu bytes\n", (unsigned long long)records,
                (unsigned long long)rrecords, (unsigned long long)vrecords, (unsigned long long)grecords,
                (unsigned long long)ibytes, len);
        return 1;
    }
    double mb = (double)len / 1e6;
    printf("file: %.0f MB, %llu lines, %llu records; best of %d\n", mb, (unsigned long long)lines,
           (unsigned long long)records, repeat);
    printf("  memchr line split (memory)        %7.3f s  %7.0f MB/s\n", m, mb / m);
    printf("  tokenize from memory              %7.3f s  %7.0f MB/s\n", tok, mb / tok);
    printf("  reader, plain file                %7.3f s  %7.0f MB/s\n", rd, mb / rd);
    printf("  reader, plain file, mapped        %7.3f s  %7.0f MB/s\n", rdmap, mb / rdmap);
    printf("  reader, same bytes in memory      %7.3f s  %7.0f MB/s\n", rdm, mb / rdm);
    printf("  reader, plain file, validating    %7.3f s  %7.0f MB/s\n", rdv, mb / rdv);
    printf("  %-5s decompress alone            %7.3f s  %7.0f MB/s\n", inflater, inf, mb / inf);
    printf("  reader, .gz file                  %7.3f s  %7.0f MB/s\n", gzr, mb / gzr);
    printf("ratio reader/tokenize-from-memory   %.3f  (target <= 1.10)\n", rd / tok);
    printf("ratio reader-mapped/tokenize        %.3f  (FLOWLOG_OPT_MMAP)\n", rdmap / tok);
    printf("ratio reader-memory/tokenize        %.3f\n", rdm / tok);
    printf("ratio reader-gz/decompress-alone    %.3f  (target <= 1.20)\n", gzr / inf);
    free(buf);
    return 0;
}
