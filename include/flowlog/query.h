/**
 * @file query.h
 * CloudWatch Logs Insights queries over flow-log records.
 *
 * The language is Logs Insights' for flow-log fields: commands joined by `|`
 * (fields, filter, stats, sort, limit, display, dedup, parse with a glob
 * or a regex's named groups; a second stats over the first's rows), `#`
 * comments;
 * comparisons, and/or/not, `in [...]`, `like "text"`, `like /regex/` and
 * `=~ /regex/` (PCRE2), arithmetic; isIpv4InSubnet, isIpv6InSubnet,
 * isIpInSubnet, isValidIp, isValidIpV4, isValidIpV6, ispresent, isempty,
 * isblank, coalesce, bin(period), datefloor, dateceil, fromMillis, toMillis,
 * strlen, toupper, tolower, concat, strcontains, substr, replace, trim,
 * ltrim, rtrim, abs, floor, ceil, log, sqrt, greatest, least; the aggregates
 * count(), count(*), count(f), count_distinct(f), sum, avg, min, max, stddev,
 * pct(f, p), earliest, latest, sortsFirst and sortsLast, with `as` aliases,
 * grouped `by` fields or bin(). Field names are
 * accepted in AWS (`log-status` in backquotes), Athena (log_status) and
 * Insights (logStatus, srcAddr) spellings; `@timestamp` is the start time,
 * `@message` the record's line, `@log` the log group
 * (flowlog_query_set_log_group()) and `@logStream` the stream name the caller
 * passes (the ENI, for CloudWatch Logs input).
 *
 * A query is compiled once and fed records; evaluation never allocates and
 * converts only the fields the query uses. A query without stats (and without
 * sort) yields each row as its record is fed; otherwise rows come after
 * flowlog_query_finish(). Aggregation keeps at most FLOWLOG_QOPT_MAX_GROUPS
 * groups: reaching the cap is FLOWLOG_E_LIMIT, never unbounded memory.
 *
 * Thread-safety: one query handle per thread.
 *
 * Thread-safety and ownership (every call here): a query handle belongs to
 * one thread at a time, the reader it runs over too; different handles
 * may run in different threads (compile the same text in each). Cell
 * strings and messages are owned by the handle, valid until its next call.
 */
#ifndef FLOWLOG_QUERY_H
#define FLOWLOG_QUERY_H

#include "common.h"
#include "reader.h"
#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_query flowlog_query;

/** Types of a cell value. */
enum flowlog_value_type {
    FLOWLOG_VALUE_NULL = 0,   ///< absent (a `-` field, a field the schema lacks, avg of nothing)
    FLOWLOG_VALUE_INT = 1,    ///< i
    FLOWLOG_VALUE_FLOAT = 2,  ///< f
    FLOWLOG_VALUE_STRING = 3, ///< s, len (not NUL-terminated)
    FLOWLOG_VALUE_TIME = 4    ///< i: Unix seconds (@timestamp, bin())
};

/**
 * One cell (frozen POD). A string points into the record fed (streaming
 * rows) or into the query (rows after finish); it stays valid until the next
 * call on the query handle.
 */
typedef struct flowlog_value {
    int type;       ///< FLOWLOG_VALUE_*
    int64_t i;
    double f;
    const char *s;
    size_t len;
} flowlog_value;

/** Option keys for flowlog_query_set(), set before compiling. */
enum flowlog_query_option {
    FLOWLOG_QOPT_MAX_GROUPS = 1, ///< aggregation groups, sorted rows and distinct values kept (default 1000000; up to 2^40 since 1.5)
    FLOWLOG_QOPT_MAX_LENGTH = 2, ///< query text in bytes (default 65536)
    FLOWLOG_QOPT_MAX_DEPTH = 3,  ///< expression nesting (default 64)
    /** Bytes the query may hold for its groups, distinct values, kept
     * values and rows to sort, as it counts them (0, the default: no bound
     * but FLOWLOG_QOPT_MAX_GROUPS; else at least 1 MiB). Passing it is
     * FLOWLOG_E_LIMIT, never unbounded growth. Since: 1.5 */
    FLOWLOG_QOPT_MAX_MEMORY = 4
};

/** Make an empty query handle. @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.1 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_new(flowlog_query **out, const flowlog_allocator *a);

/** As flowlog_query_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_new_ex(flowlog_query **out, const flowlog_allocator *a,
                                                       flowlog_error_info *err);

/** Free a query handle (NULL is fine). Since: 1.1 */
FLOWLOG_API void flowlog_query_free(flowlog_query *q);

/** Set an option before flowlog_query_compile(). @return FLOWLOG_OK, _E_ARG, _E_RANGE, _E_UNSUPPORTED. Since: 1.1 */
FLOWLOG_API int flowlog_query_set(flowlog_query *q, int key, int64_t value);

/**
 * Compile query text. A handle compiles once.
 * @return FLOWLOG_OK; FLOWLOG_E_QUERY with a message and byte offset (e.g.
 * "unknown field 'dstprot' (did you mean 'dstport'?)"); FLOWLOG_E_LIMIT when
 * the text is longer or nests deeper than allowed; FLOWLOG_E_NOMEM. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_compile(flowlog_query *q, const char *text, size_t len);

/** The message of the last error ("" when none). Since: 1.1 */
FLOWLOG_API const char *flowlog_query_error_message(const flowlog_query *q);

/** The byte offset in the query text of the last compile error. Since: 1.1 */
FLOWLOG_API size_t flowlog_query_error_offset(const flowlog_query *q);

/** The number of result columns. Since: 1.1 */
FLOWLOG_API size_t flowlog_query_column_count(const flowlog_query *q);

/** The name of result column i (an alias, or the expression as written), or NULL. Since: 1.1 */
FLOWLOG_API const char *flowlog_query_column_name(const flowlog_query *q, size_t i);

/** 1 when column i holds the time bins of a `by bin(...)` group, else 0. Since: 1.1 */
FLOWLOG_API int flowlog_query_column_is_bin(const flowlog_query *q, size_t i);

/**
 * One result row of flowlog_query_run(): read its cells with
 * flowlog_query_cell(q, ...) (valid until the callback returns).
 * @return 0 to go on, anything else to stop. Since: 1.4
 */
typedef int (*flowlog_row_fn)(void *ctx, const flowlog_query *q);

/**
 * The simple call: run the compiled query over every record of a reader,
 * and give each result row to `fn`, in order. It applies by itself every
 * speed-up that keeps the answer exact: the reader passes over the records
 * the filters cannot accept (flowlog_query_prefilter()), converts only the
 * fields the query reads (FLOWLOG_OPT_VALIDATE 0), and stops reading once a
 * `limit` is met and nothing later can change the rows. Bad lines, and
 * records with a value the query cannot convert (counted as error lines
 * with flowlog_reader_reject()), go to the reader's error handler and its
 * counts; the run goes on past them. A query that aggregates or sorts gives
 * its rows after the last record; one that does not, as they come. With
 * `fn` NULL the rows of an aggregating or sorting query stay for
 * flowlog_query_next_row() (a streaming query's are counted only). Set
 * FLOWLOG_OPT_MMAP on the reader to have large files mapped (faster with a
 * prefilter; see reader.h for the hazard).
 * @return FLOWLOG_OK when the rows are done; FLOWLOG_END when `fn` stopped
 * it; FLOWLOG_NEED_MORE when a push input wants its next chunk (push it and
 * call again); FLOWLOG_E_LIMIT (a group or row limit:
 * flowlog_query_error_message() says which), FLOWLOG_E_NOMEM, FLOWLOG_E_ARG.
 * Thread-safety: the query and the reader belong to the calling thread for
 * its duration. Since: 1.4
 */
FLOWLOG_API int flowlog_query_run(flowlog_query *q, flowlog_reader *r, flowlog_row_fn fn, void *ctx);

/** The next deferred row after finish. @return FLOWLOG_OK, FLOWLOG_END;
 * FLOWLOG_E_IO when rows sorted on disk cannot be read back (since 1.6).
 * Since: 1.1 */
FLOWLOG_API int flowlog_query_next_row(flowlog_query *q);

/** A cell of the current row. @return FLOWLOG_OK, FLOWLOG_E_ARG (no row, no such column). Since: 1.1 */
FLOWLOG_API int flowlog_query_cell(const flowlog_query *q, size_t col, flowlog_value *out);

/** Forget every record fed; the compiled query stays. Since: 1.1 */
FLOWLOG_API void flowlog_query_reset(flowlog_query *q);

/**
 * An alarm for monitoring: an expression over the result's columns, by
 * their names as the result has them (as a filter after stats reads them),
 * such as `n > 100` or `action = "REJECT" and packets > 1000`. Every row
 * the query gives is tested; flowlog_query_alarm() says whether one held.
 * Set after flowlog_query_compile() and before the first record; a reset
 * clears what held.
 * @return FLOWLOG_OK, FLOWLOG_E_QUERY (flowlog_query_error_message() and
 * _error_offset() say what and where in the alarm's text), FLOWLOG_E_LIMIT,
 * FLOWLOG_E_ARG (not compiled, or already fed), FLOWLOG_E_NOMEM. Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_set_alarm(flowlog_query *q, const char *text, size_t len);

/** @return 1 when a row given so far satisfied the alarm, else 0. Since: 1.5 */
FLOWLOG_API int flowlog_query_alarm(const flowlog_query *q);

/**
 * The CloudWatch log group (`@log`) of the records fed from now on, or NULL
 * for none; flowlog_query_run() sets it from the reader for each record.
 * Ownership: borrowed until the next record is fed. @return FLOWLOG_OK,
 * FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_query_set_log_group(flowlog_query *q, const char *log_group);

/**
 * A directory for temporary files, so that grouping and sorting go on
 * when they would hold more than FLOWLOG_QOPT_MAX_MEMORY instead of
 * failing: groups are written out in partitions by their keys and merged a
 * partition at a time; rows to sort are written as sorted runs and merged
 * as they are given. The answer is the same, row for row and in the same
 * order, as one made in memory (sums of floating-point values may differ
 * in the last bits). Each file is unlinked as soon as it is made, so none
 * stays behind. Without one (the default), or with no memory limit, past
 * the limit is FLOWLOG_E_LIMIT. Still bounded by the limit alone: dedup's
 * combinations, and one group's own distinct or pct values. A file that
 * cannot be made, written or read back is FLOWLOG_E_IO from
 * flowlog_query_feed(), _finish(), _next_row() or _run(), the message
 * naming the directory. Set before the first record; `dir` is copied, NULL
 * for none. @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.6
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_set_spill_dir(flowlog_query *q, const char *dir);

/** Bytes written to temporary files so far (flowlog_query_set_spill_dir()). Since: 1.6 */
FLOWLOG_API uint64_t flowlog_query_spilled(const flowlog_query *q);

/**
 * A stats query's groups, fed and not yet finished, as bytes: for records
 * read in parts (threads, processes, a cluster's workers), each part's
 * state is merged into one query (flowlog_query_merge()), which then
 * finishes with the rows one pass over every part gives. Groups are
 * written in the order of their first records, so equal states are equal
 * bytes. Pass buf NULL and size 0 to learn the size.
 * @return FLOWLOG_OK; FLOWLOG_E_RANGE when size is short (*needed says
 * how much); FLOWLOG_E_UNSUPPORTED for a query without stats, one
 * finished, or one whose groups went to temporary files; FLOWLOG_E_ARG,
 * FLOWLOG_E_NOMEM. Since: 1.6
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_serialize(const flowlog_query *q, void *buf, size_t size,
                                                          size_t *needed);

/**
 * Merge a state of the same query (the same text) into q, before q
 * finishes. Its records count after those q holds: merging the parts of
 * a sequence of records in order gives the rows, in their order, of one
 * pass (sums of floating-point values may differ in the last bits).
 * @return FLOWLOG_OK; FLOWLOG_E_CORRUPT (cut, altered), FLOWLOG_E_VERSION,
 * FLOWLOG_E_ARG (another query's state); FLOWLOG_E_UNSUPPORTED as for
 * flowlog_query_serialize(); FLOWLOG_E_LIMIT, FLOWLOG_E_NOMEM as feeding.
 * flowlog_query_error_message() says why. Since: 1.6
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_merge(flowlog_query *q, const void *buf, size_t len);

/* ---- advanced: for callers that drive the reader themselves ----
 * flowlog_query_run() does all of this; these stay for a caller that reads
 * records some other way, or wants each one. */

/** 1 when rows come only after flowlog_query_finish() (stats or sort), else 0. Since: 1.1 */
FLOWLOG_API int flowlog_query_is_deferred(const flowlog_query *q);

/**
 * Byte strings of which every record that can pass the query's filters
 * holds at least one in its line: from a filter `field = "text"` on a text
 * field, `@message like "text"`, or an IPv4 field in a network of a whole
 * octet or more (`isIpv4InSubnet(srcAddr, "10.0.0.0/8")`: "10.", as an
 * IPv4 address has one way to be written), alone, in `and`, or as every
 * branch of an `or`. Give them to flowlog_reader_set_prefilter() and the reader passes
 * over the other records unseen; the result is the same.
 * @param n  in: the room in `needles`; out: how many there are, 0 when the
 *           query has none (or needs more than the room).
 * The spans point into the compiled query. @return FLOWLOG_OK, FLOWLOG_E_ARG
 * (not compiled). Since: 1.2
 */
FLOWLOG_API int flowlog_query_prefilter(const flowlog_query *q, flowlog_span *needles, size_t *n);

/**
 * The fields the query reads from records (their ids), for
 * flowlog_reader_set_fields(); flowlog_query_run() passes them itself.
 * @param n in: the room in `fields`; out: how many.
 * @return FLOWLOG_OK; FLOWLOG_ABSENT when the query reads whole lines
 * (@message, or more fields than the room): read every field then;
 * FLOWLOG_E_ARG. Since: 1.6
 */
FLOWLOG_API int flowlog_query_fields(const flowlog_query *q, uint32_t *fields, size_t *n);

/**
 * Feed one record. `stream` is the value of @logStream (may be NULL).
 * @return FLOWLOG_OK: a row is ready (read it with flowlog_query_cell());
 * FLOWLOG_ABSENT: no row now; FLOWLOG_END: the limit is reached and no
 * further record can change the result; FLOWLOG_E_MALFORMED or
 * FLOWLOG_E_OVERFLOW (since 1.4): a value the query reads does not convert
 * (a packets of -1, an action of REJECTED; flowlog_query_error_message()
 * says which): the record counts for nothing, never as a null; report it,
 * flowlog_reader_reject() it, and go on. FLOWLOG_E_BUDGET (since 1.4): a
 * regular expression needed more work on this record than a line may take
 * (a fixed budget of steps in proportion to its length): likewise. Values the query does not read are
 * not checked. FLOWLOG_E_LIMIT when the group cap is reached; FLOWLOG_E_ARG.
 * Since: 1.1
 */
FLOWLOG_API int flowlog_query_feed(flowlog_query *q, flowlog_record *rec, const char *stream);

/**
 * No more records: aggregate, filter, sort and limit the deferred rows.
 * @return FLOWLOG_OK, FLOWLOG_E_NOMEM, FLOWLOG_E_ARG. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_query_finish(flowlog_query *q);

#ifdef __cplusplus
}
#endif

#endif
