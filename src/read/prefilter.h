/* The reader's prefilter: a scan over many lines at once that passes over
 * the records a consumer has said it does not need, counting them, so only
 * the few it needs are split into fields. Not API. */
#ifndef FLOWLOG_PREFILTER_H
#define FLOWLOG_PREFILTER_H

#include "../core/internal.h"

#include <flowlog/reader.h>

#define FLOWLOG__MAX_NEEDLES FLOWLOG_PREFILTER_MAX_NEEDLES
#define FLOWLOG__MAX_NEEDLE FLOWLOG_PREFILTER_MAX_NEEDLE

typedef struct flowlog__prefilter {
    /* A line with any of these byte strings is never passed over. */
    size_t nneedles;
    size_t needle_len[FLOWLOG__MAX_NEEDLES];
    char needle[FLOWLOG__MAX_NEEDLES][FLOWLOG__MAX_NEEDLE];
    size_t longest;      /* of the needles */
    /* What a plain record of the schema in force looks like. */
    size_t ncols;
    int time_cols[2];    /* start and end, -1 when absent */
    size_t max_line;
    bool keep_passed;    /* list the lines passed over in the work area */
    /* Pass over nothing: every line is a stop, a plain one with its fields
     * left to the masks (a consumer that reads a few fields of each record
     * is spared the split of the rest). */
    bool stop_all;
    int cpu;             /* the level of the scan (enum flowlog_cpu_level) */
} flowlog__prefilter;

/* The bytes that make a needle candidate (its first, middle and last),
 * taken out of the prefilter once a chunk so that the compiler keeps them
 * in registers. */
typedef struct flowlog__pf_needles {
    char first[FLOWLOG__MAX_NEEDLES], mid[FLOWLOG__MAX_NEEDLES], last[FLOWLOG__MAX_NEEDLES];
    size_t mid_off[FLOWLOG__MAX_NEEDLES], last_off[FLOWLOG__MAX_NEEDLES];
} flowlog__pf_needles;

/* A line the scan passed over: where it starts and its newline, from the
 * chunk's start. */
typedef struct flowlog__pf_passed {
    uint16_t off, nl;
} flowlog__pf_passed;

/* A line of a chunk the scan cannot pass over: where it starts and where
 * the next line starts, relative to the chunk, and how many lines it did
 * pass over since the previous one (or the chunk's start). */
typedef struct flowlog__pf_stop {
    uint32_t off, end;
    uint32_t before;
    uint32_t plain;   /* 1: a plain record stopped only for a needle */
} flowlog__pf_stop;

#define FLOWLOG__PF_CHUNK 16384
#define FLOWLOG__PF_STOPS 512
#define FLOWLOG__PF_WORDS (FLOWLOG__PF_CHUNK / 64)

/* The masks of a chunk, kept off the stack (the caller's thread may have a
 * small one). */
typedef struct flowlog__pf_work {
    uint64_t sep[FLOWLOG__PF_WORDS + 4], start[FLOWLOG__PF_WORDS + 4], cand[FLOWLOG__PF_WORDS];
    uint32_t rank[FLOWLOG__PF_WORDS + 4];   /* field starts before each word */
    uint32_t crank[FLOWLOG__PF_WORDS + 4];  /* needle candidates before each word */
    uint16_t nl[FLOWLOG__PF_CHUNK + 2];
    /* With keep_passed: each line passed over, in order (a plain line has
     * at least two bytes). */
    flowlog__pf_passed passed[FLOWLOG__PF_CHUNK / 2 + 1];
} flowlog__pf_work;

/* Judge the whole lines of p[0..min(len, FLOWLOG__PF_CHUNK)), which starts a
 * line. A line is passed over when it is certainly a record of f's schema
 * that the reader's own path would take without an error, whose times are
 * in seconds, and which holds none of the needles: it starts with a digit,
 * has at most max_line bytes and exactly ncols fields. Every other line is
 * a stop, up to cap of them. Returns the bytes judged (whole lines only;
 * it ends before the stop that did not fit); *tail gets the lines passed
 * over after the last stop. Anything the scan is unsure of is a stop. */
size_t flowlog__prefilter_scan(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                               flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail);

/* The fields of line chunk[a..e) (e: its end without newline or CR), a
 * stop that the last scan with wk found plain, from the scan's masks: what
 * the reader's split would give. Returns how many there are; at most cap
 * are stored. */
size_t flowlog__prefilter_spans(const flowlog__pf_work *wk, const char *chunk, size_t a, size_t e,
                                flowlog_span *out, size_t cap);

/* The newlines of p[0..n), n at most FLOWLOG__PF_CHUNK, as offsets into
 * pos, which has room for n + 2 (two are written past the last): how many
 * there are. The reader finds lines with it a chunk at a time. */
size_t flowlog__newlines(const char *p, size_t n, uint16_t *pos, int cpu);
size_t flowlog__newlines_portable(const char *p, size_t n, uint16_t *pos);
size_t flowlog__newlines_scalar(const char *p, size_t n, uint16_t *pos);
#if FLOWLOG_HAVE_AVX512
size_t flowlog__newlines_avx512(const char *p, size_t n, uint16_t *pos);
#endif
#if FLOWLOG_HAVE_AVX2
size_t flowlog__newlines_avx2(const char *p, size_t n, uint16_t *pos);
#endif

/* Make rec's spans pending, to be filled from wk's masks for the plain stop
 * chunk[a..e) when read (rec->n and the rest are the caller's). */
void flowlog__prefilter_defer(const flowlog__pf_work *wk, const char *chunk, size_t a, size_t e,
                              flowlog_record *rec, int cpu);

/* A run of lines the reader's prefilter passed over, shown to a consumer
 * that needs a little of every record even so (a diagnosis: each record
 * narrows its ENI's own address). Runs come in order among the records the
 * reader returns; what they point to is valid for the call. */
typedef struct flowlog__passed {
    const char *chunk;              /* what the lines' offsets count from */
    const flowlog__pf_passed *lines;
    size_t n;
    const flowlog_schema *schema; /* every line is a plain record of it */
    const char *stream;           /* the reader's log stream, or NULL */
    /* Line i as the reader's record, its fields filled as they are read;
     * valid until the next call. */
    flowlog_record *(*record)(const struct flowlog__passed *p, size_t i);
    void *reader;
} flowlog__passed;

typedef void (*flowlog__watch_fn)(void *ctx, const flowlog__passed *run);

/* Set the prefilter's needles (as flowlog_reader_set_prefilter) and the
 * consumer to show the runs it passes over. */
int flowlog__reader_watch(flowlog_reader *r, const flowlog_span *needles, size_t n, flowlog__watch_fn fn,
                          void *ctx);

/* Fill a pending span of a record from the masks (the record chooses);
 * or the n pending columns cols (fill_cols, chosen with it). */
void flowlog__record_fill_portable(flowlog_record *r, size_t col);
void flowlog__record_fill_scalar(flowlog_record *r, size_t col);
void flowlog__record_fill_cols_portable(flowlog_record *r, const uint8_t *cols, size_t n);
void flowlog__record_fill_cols_scalar(flowlog_record *r, const uint8_t *cols, size_t n);
#if FLOWLOG_HAVE_AVX2
void flowlog__record_fill_avx2(flowlog_record *r, size_t col);
void flowlog__record_fill_cols_avx2(flowlog_record *r, const uint8_t *cols, size_t n);
#endif
/* The filler of the columns a consumer reads that goes with rec's own. */
void flowlog__record_fill_declared(flowlog_record *rec, const uint8_t *cols, size_t n);

/* The implementations behind it, for the tests that hold them to agree. */
size_t flowlog__prefilter_scan_portable(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                                        flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail);
size_t flowlog__prefilter_scan_scalar(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                                      flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail);
#if FLOWLOG_HAVE_AVX512
size_t flowlog__prefilter_scan_avx512(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                                      flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail);
#endif
#if FLOWLOG_HAVE_AVX2
size_t flowlog__prefilter_scan_avx2(const flowlog__prefilter *f, flowlog__pf_work *wk, const char *p, size_t len,
                                    flowlog__pf_stop *stops, size_t cap, size_t *nstops, uint32_t *tail);
#endif

#endif
