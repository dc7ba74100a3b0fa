/**
 * @file reader.h
 * The streaming reader: turns what AWS delivered into records, and accounts
 * for every input line.
 *
 * Inputs are queued and read in order: paths (a file, a directory walked
 * recursively in byte-wise sorted order, or `-` for standard input), file
 * descriptors, memory buffers, or chunks the caller pushes. Each input is
 * recognised by its content, not its name:
 *  - gzip (magic bytes 1f 8b), multi-member streams included;
 *  - plain text flow logs, with S3 header lines at the start or anywhere,
 *    each switching the schema from that line on;
 *  - CloudWatch Logs subscription payloads (JSON with logGroup, logStream,
 *    logEvents[].message), also as a Lambda receives them
 *    (`{"awslogs":{"data":"<base64 of gzip>"}}`), and NDJSON of
 *    `{"message": "..."}`; the log stream name (the ENI) is kept as context;
 *  - the CloudWatch console's CSV export (`timestamp,message`);
 *  - Apache Parquet (magic `PAR1`, since 1.6), as AWS delivers flow logs to
 *    S3 when asked to: flat schemas of INT32, INT64 and BYTE_ARRAY columns,
 *    UNCOMPRESSED, GZIP, SNAPPY or ZSTD pages (v1 and v2), PLAIN,
 *    dictionary and DELTA encodings. Its columns named after flow-log fields
 *    (`account_id` or `account-id`) are its schema and count as one header
 *    line; each row is one line, a null is `-`; other columns are not read.
 *    The file is held whole (at most 4 GiB; pages at most 256 MiB) while it
 *    is read; anything else (nested schemas, encryption, another codec) is
 *    an error naming the file and the column.
 *
 * Every line ends in exactly one bucket: record, header, blank or error. For
 * JSON input a "line" is one log event's message; for CSV, one data row (the
 * CSV header counts as a header). Transit-gateway and VPC records mixed in
 * one stream are each parsed with their own schema.
 *
 * Memory stays bounded by the longest line (at most FLOWLOG_OPT_MAX_LINE)
 * plus a fixed read buffer, and for JSON by the largest document (at most
 * FLOWLOG_OPT_MAX_ENVELOPE).
 *
 * Thread-safety and ownership (every call here): one reader per thread;
 * its own decoding and scanning threads are internal and join before
 * flowlog_reader_free() returns. Callbacks (progress, the error handler)
 * run on the thread that calls flowlog_reader_next() or a run call. A
 * record it returns, and the strings it gives (path, stream, messages),
 * are owned by the reader and valid until its next call. Memory and push
 * inputs must stay unchanged until used up.
 */
#ifndef FLOWLOG_READER_H
#define FLOWLOG_READER_H

#include "common.h"
#include "record.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_reader flowlog_reader;

/** Option keys for flowlog_reader_set(). */
enum flowlog_reader_option {
    FLOWLOG_OPT_MAX_LINE = 1,     ///< longest line in bytes (default 65536; 16 .. 1 GiB); set while an input is being read, it applies from the next input
    FLOWLOG_OPT_ON_ERROR = 2,     ///< FLOWLOG_ON_ERROR_SKIP (default) or _STOP
    FLOWLOG_OPT_MAX_ENVELOPE = 3, ///< largest JSON document in bytes (default 64 MiB)
    FLOWLOG_OPT_VALIDATE = 4,     ///< 1 (default): a record whose typed fields do not convert is an error; 0: lazy
    /** How many threads the reader may use. 1 (default): as many as the
     * processors the process may run on (sched_getaffinity); N from 2 to
     * 256: at most N, and no more than those processors (since 1.7);
     * 0: everything runs on the caller's thread.
     *
     * With more than one, the run calls (flowlog_query_run() of a stats
     * query, flowlog_diag_run(), flowlog_sweep_run()) given queued files
     * of 16 MiB or more in all read them in parts on that many threads,
     * the caller's among them (since 1.7): plain-text files cut at line
     * starts into pieces of 8 to 64 MiB (a sweep's of 4 MiB), other
     * files whole; each part into a state of its own, merged in order on
     * the caller's thread. The answer, every count, each input's account
     * and the bad lines told (with their lines, in order, on the caller's
     * thread) are those of one thread, a table that fills included: a
     * diagnosis's clients or a sweep's conversations hold those one pass
     * would. A part that cannot be merged exactly (a header line in the
     * middle of a file changes the schema of the pieces after it; a
     * diagnosis's ENIs or intervals fill; the part's own state fills its
     * share of memory; more than 4096 bad lines in a piece) is read again
     * by the caller. No thread spins: one with nothing to do sleeps.
     * Not for inputs other than files, FLOWLOG_ON_ERROR_STOP, or a reader
     * already read from.
     *
     * Otherwise (and with 1 where the process may use more than one
     * processor), regular files of 1 MiB or more are read and inflated on
     * a second thread while the caller parses, and with a prefilter, an
     * input that lies whole in memory (256 KiB or more, mapped or given
     * as memory) is judged on it a few chunks ahead (since 1.3). Since: 1.1 */
    FLOWLOG_OPT_THREADS = 5,
    /** Most fields a header line in the input may name (default and most
     * FLOWLOG_MAX_COLUMNS; 1 .. FLOWLOG_MAX_COLUMNS): a longer one is an
     * error (FLOWLOG_E_LIMIT) for that line, and the schema before it stays
     * in force. The schema given to flowlog_reader_new() is not limited.
     * Since: 1.1 */
    FLOWLOG_OPT_MAX_FIELDS = 6,
    /** 1: plain-text regular files of 1 MiB or more are mapped into memory
     * and read where they lie, without copying them out of the page cache;
     * 0 (default): read(). A mapped file that shrinks while it is read (it is
     * truncated, or rewritten in place) raises SIGBUS in the reading thread:
     * set this only where files do not change under the reader, or where
     * the program handles SIGBUS (the flowlog CLI reports it and exits).
     * gzip files are always read. Since: 1.2 */
    FLOWLOG_OPT_MMAP = 7,
    /** The instructions the reader's scans may use, a flowlog_cpu_level
     * (default: the best the processor has; the environment variable
     * FLOWLOG_CPU=scalar|sse2|avx2|avx512 caps it for the whole process).
     * Every level gives the same results. FLOWLOG_E_UNSUPPORTED for a
     * level above what the processor and the build have. Since: 1.4 */
    FLOWLOG_OPT_CPU = 8,
    /** A time window, applied before anything else: a record whose
     * start..end (seconds; milliseconds are recognised) ends before SINCE
     * or starts after UNTIL is not returned, and is counted in
     * FLOWLOG_COUNT_OUTSIDE (it stays one of FLOWLOG_COUNT_RECORDS: it was
     * read). Unix seconds; 0 (the default) leaves that side open. A record
     * without a start or end is returned. Since: 1.5 */
    FLOWLOG_OPT_SINCE = 9,
    FLOWLOG_OPT_UNTIL = 10, ///< see FLOWLOG_OPT_SINCE. Since: 1.5
    /** How inputs are framed, a flowlog_input_format: detected from each
     * input's first line (the default), or forced, from the next input
     * opened on. Since: 1.5 */
    FLOWLOG_OPT_INPUT_FORMAT = 11
};

/** Values of FLOWLOG_OPT_INPUT_FORMAT. Since: 1.5 */
enum flowlog_input_format {
    FLOWLOG_INPUT_AUTO = 0, ///< by the first line: `{` is JSON, `timestamp,message` is CSV, else text
    FLOWLOG_INPUT_TEXT = 1, ///< flow-log lines (S3 objects, plain files)
    FLOWLOG_INPUT_JSON = 2, ///< CloudWatch Logs JSON: subscription payloads, the AWS CLI's output, NDJSON
    FLOWLOG_INPUT_CSV = 3   ///< the CloudWatch console's CSV export (timestamp,message)
};

/** Levels of FLOWLOG_OPT_CPU. Since: 1.4 */
enum flowlog_cpu_level {
    FLOWLOG_CPU_SCALAR = 0, ///< plain C, a byte at a time
    FLOWLOG_CPU_SSE2 = 1,   ///< 16 bytes at a time (every x86-64)
    FLOWLOG_CPU_AVX2 = 2,   ///< 32 bytes, with BMI1, BMI2 and POPCNT
    FLOWLOG_CPU_AVX512 = 3  ///< 64 bytes (AVX-512BW), with BMI1, BMI2 and POPCNT
};

/** Values of FLOWLOG_OPT_ON_ERROR. */
#define FLOWLOG_ON_ERROR_SKIP 0
#define FLOWLOG_ON_ERROR_STOP 1

/** What became of a queued input (flowlog_reader_input()). Since: 1.4 */
enum flowlog_input_status {
    FLOWLOG_INPUT_QUEUED = 0,   ///< not opened yet
    FLOWLOG_INPUT_READING = 1,  ///< being read
    FLOWLOG_INPUT_COMPLETE = 2, ///< read to its end (its bad lines are counted as errors)
    FLOWLOG_INPUT_FAILED = 3,   ///< could not be opened, or not read to its end (I/O or decompression error)
    FLOWLOG_INPUT_STOPPED = 4   ///< reading stopped at a bad line (FLOWLOG_ON_ERROR_STOP)
};

/** Counters of flowlog_reader_count(). */
enum flowlog_reader_counter {
    FLOWLOG_COUNT_LINES = 1,   ///< every line seen (= records + headers + blanks + errors)
    FLOWLOG_COUNT_RECORDS = 2,
    FLOWLOG_COUNT_HEADERS = 3,
    FLOWLOG_COUNT_BLANKS = 4,
    FLOWLOG_COUNT_ERRORS = 5,  ///< bad lines
    FLOWLOG_COUNT_BYTES = 6,   ///< raw input bytes consumed (compressed, for gzip)
    FLOWLOG_COUNT_INPUTS = 7,  ///< inputs opened
    FLOWLOG_COUNT_MILLIS = 8,  ///< records whose start/end were in milliseconds
    FLOWLOG_COUNT_INPUT_ERRORS = 9, ///< errors that are not lines (unreadable file, corrupt gzip)
    FLOWLOG_COUNT_SKIPPED = 10, ///< files a directory walk passed over by their name: README.md, *.txt, images, scripts, the VPC configuration's describe-*.json (since 1.5)
    FLOWLOG_COUNT_OUTSIDE = 11 ///< of the records, those outside the FLOWLOG_OPT_SINCE/UNTIL window, not returned (since 1.5)
};

/**
 * Progress callback: raw bytes consumed so far, and the total where known
 * (sum of the sizes of regular files queued), else 0.
 */
typedef void (*flowlog_progress_fn)(void *ctx, uint64_t consumed, uint64_t total);

/**
 * Make a reader.
 * @param schema the schema of lines before any header (frozen), or NULL for
 * AWS's default format. Its own registered fields carry over to schemas made
 * from header lines. The reader does not take ownership.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Thread-safety: one
 * reader per thread; the schema may be shared. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_new(flowlog_reader **out,
                                                     const flowlog_schema *schema,
                                                     const flowlog_allocator *a);

/** As flowlog_reader_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_new_ex(flowlog_reader **out,
                                                        const flowlog_schema *schema,
                                                        const flowlog_allocator *a,
                                                        flowlog_error_info *err);

/** Free a reader and everything it opened; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_reader_free(flowlog_reader *r);

/**
 * Set an option (before or between inputs).
 * @return FLOWLOG_OK, FLOWLOG_E_UNSUPPORTED (unknown key), FLOWLOG_E_RANGE. Since: 1.0
 */
FLOWLOG_API int flowlog_reader_set(flowlog_reader *r, int key, int64_t value);

/** Set (or clear with NULL) the progress callback. Since: 1.0 */
FLOWLOG_API int flowlog_reader_set_progress(flowlog_reader *r, flowlog_progress_fn fn, void *ctx);

/** Most byte strings flowlog_reader_set_prefilter() takes, and their longest. */
#define FLOWLOG_PREFILTER_MAX_NEEDLES 4
#define FLOWLOG_PREFILTER_MAX_NEEDLE 64

/**
 * Queue a path: a file, a directory (its regular files, recursively, in
 * byte-wise sorted order of their paths, dot files skipped), or `-` for
 * standard input.
 * @return FLOWLOG_OK, FLOWLOG_E_IO (cannot stat or list; the detail names the
 * path), FLOWLOG_E_NOMEM. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_add_path(flowlog_reader *r, const char *path);

/**
 * Queue an open file descriptor, read to its end and not closed.
 * @param name shown in errors (copied); NULL gives "<fd N>". Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_add_fd(flowlog_reader *r, int fd,
                                                        const char *name);

/**
 * Queue a memory buffer. It is not copied and must stay unchanged until the
 * reader has finished it (flowlog_reader_next() returned FLOWLOG_END or the
 * reader is freed). Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_add_memory(flowlog_reader *r, const void *buf,
                                                            size_t len, const char *name);

/**
 * Start a push input: the caller then feeds it with flowlog_reader_push().
 * It is read after the inputs queued before it. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_begin_push(flowlog_reader *r, const char *name);

/**
 * Give the push input its next chunk. The chunk is not copied: it must stay
 * unchanged until flowlog_reader_next() returns FLOWLOG_NEED_MORE: the reader
 * copies from it into its own bounded buffer as it goes, so a line split
 * across chunks is reassembled. An empty chunk (len 0) marks the end of the push input.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG (no push input, or the last chunk is not
 * used up yet). Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_push(flowlog_reader *r, const void *buf, size_t len);

/**
 * Read the next record.
 * @param rec receives the record, valid until the next call on this reader.
 * @return FLOWLOG_OK (a record); FLOWLOG_END (all inputs done);
 * FLOWLOG_NEED_MORE (a push input wants its next chunk); a negative status for
 * a bad line or input: the detail functions say where and why. With
 * FLOWLOG_ON_ERROR_SKIP the next call goes on after it; with _STOP every later
 * call returns FLOWLOG_END. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reader_next(flowlog_reader *r, flowlog_record **rec);

/** Name of the input the last record or error came from (NUL-terminated). Since: 1.0 */
FLOWLOG_API const char *flowlog_reader_path(const flowlog_reader *r);

/** 1-based line number (of the input after decompression) of the last record or error. Since: 1.0 */
FLOWLOG_API uint64_t flowlog_reader_line(const flowlog_reader *r);

/** Byte offset (after decompression) of the start of that line. Since: 1.0 */
FLOWLOG_API uint64_t flowlog_reader_offset(const flowlog_reader *r);

/**
 * The CloudWatch Logs stream of the last record (for VPC flow logs, the ENI
 * id), or NULL when the input did not say. Since: 1.0
 */
FLOWLOG_API const char *flowlog_reader_stream(const flowlog_reader *r);

/**
 * The CloudWatch Logs log group of the last record (a subscription
 * payload's logGroup, a query result's @log), or NULL when the input did
 * not say. Valid until the next call on the reader. Since: 1.5
 */
FLOWLOG_API const char *flowlog_reader_log_group(const flowlog_reader *r);

/** Message of the last error ("" when none). Since: 1.0 */
FLOWLOG_API const char *flowlog_reader_error_message(const flowlog_reader *r);

/** A counter (FLOWLOG_COUNT_*), or 0 for an unknown one. Since: 1.0 */
FLOWLOG_API uint64_t flowlog_reader_count(const flowlog_reader *r, int counter);

/**
 * Told of every bad line or input as the reader meets it, and of every
 * record rejected after it was read (flowlog_reader_reject()): the input's
 * name, the 1-based line (0 for an error of the whole input), the status
 * and the reason. The strings last until the handler returns. It is called
 * on the thread that calls flowlog_reader_next() (or a run call). NULL
 * removes it.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG. Since: 1.4
 */
typedef void (*flowlog_error_fn)(void *ctx, const char *path, uint64_t line, int status, const char *message);
FLOWLOG_API int flowlog_reader_set_error_handler(flowlog_reader *r, flowlog_error_fn fn, void *ctx);

/**
 * How many inputs the reader has queued: each file of a directory, and each
 * path that could not be queued (flowlog_reader_add_path() failed: listed as
 * FLOWLOG_INPUT_FAILED). Since: 1.4
 */
FLOWLOG_API size_t flowlog_reader_input_count(const flowlog_reader *r);

/**
 * The account of input `index` (in the order read): its name, its status
 * (a flowlog_input_status), the records and the bad lines it gave so far,
 * and why it failed ("" unless FLOWLOG_INPUT_FAILED). Any pointer may be
 * NULL; the strings are owned by the reader. This is what a diagnosis
 * records of its evidence (flowlog_diag_add_reader_inputs()).
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE past the last input, FLOWLOG_E_ARG.
 * Thread-safety: as the reader. Since: 1.4
 */
FLOWLOG_API int flowlog_reader_input(const flowlog_reader *r, size_t index, const char **name, int *status,
                                     uint64_t *records, uint64_t *errors, const char **reason);

/** Most fields flowlog_reader_set_fields() takes. */
#define FLOWLOG_READER_MAX_FIELDS 64

/* ---- advanced: what the run calls do by themselves ---- */

/**
 * The fields the caller will read (their ids), before the first record:
 * inputs that keep their columns apart (Parquet) then give records of these
 * columns only, and their lines hold just them; a field not among them is
 * FLOWLOG_ABSENT there. Text inputs are read whole as before. n = 0: every
 * field (the default). flowlog_query_run() sets the fields of its query.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE (n past FLOWLOG_READER_MAX_FIELDS),
 * FLOWLOG_E_ARG. Since: 1.6
 */
FLOWLOG_API int flowlog_reader_set_fields(flowlog_reader *r, const uint32_t *fields, size_t n);

/**
 * Let the reader pass over records the caller has no use for: once set, a
 * record whose line holds none of the n byte strings in `needles` may be
 * counted (as a record, in flowlog_reader_count()) without being returned.
 * Records that hold one are always returned, and so may some that do not,
 * so the caller still tests every record it gets. flowlog_query_prefilter()
 * gives the strings for a query. The reader scans many lines at once for
 * them, which is much faster than returning every record.
 *
 * It applies to plain text lines while FLOWLOG_OPT_VALIDATE is 0 (with
 * validation on, every record is checked and returned); a line the reader
 * would treat in any other way than as a plain record of the schema in
 * force (a header, an error, millisecond times) is returned or reported as
 * without it. The strings are copied; n = 0 turns it off.
 * @return FLOWLOG_OK; FLOWLOG_E_ARG for more than
 *         FLOWLOG_PREFILTER_MAX_NEEDLES strings, or one that is empty or
 *         longer than FLOWLOG_PREFILTER_MAX_NEEDLE bytes. Since: 1.2
 */
FLOWLOG_API int flowlog_reader_set_prefilter(flowlog_reader *r, const flowlog_span *needles, size_t n);

/**
 * The record flowlog_reader_next() returned last is bad after all: a value
 * the caller used did not convert (with FLOWLOG_OPT_VALIDATE 0 the reader
 * checks only what is read). It is counted as an error line instead of a
 * record, in the counts and in its input's account, so every line stays in
 * exactly one bucket; the error handler, if any, is told (with `status` and
 * `message`); with FLOWLOG_ON_ERROR_STOP the reading stops there. Call it
 * before the next flowlog_reader_next(). The run calls
 * (flowlog_query_run(), flowlog_diag_run(), flowlog_sweep_run()) do this by
 * themselves.
 * @return FLOWLOG_OK; FLOWLOG_E_ARG when the last call returned no record,
 * or it was rejected already. Since: 1.4
 */
FLOWLOG_API int flowlog_reader_reject(flowlog_reader *r, int status, const char *message);

#ifdef __cplusplus
}
#endif

#endif
