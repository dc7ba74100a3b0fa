/**
 * @file record.h
 * A record is one tokenized line seen through its schema, with lazy typed
 * accessors: nothing is converted until asked for, and nothing allocates after
 * flowlog_record_new().
 *
 * Every accessor is tri-state:
 *  - FLOWLOG_OK: the field has a value, written to *out;
 *  - FLOWLOG_ABSENT: the field is `-`, or this schema has no such column;
 *  - a negative code: the text is malformed (FLOWLOG_E_MALFORMED,
 *    FLOWLOG_E_OVERFLOW) or the accessor does not fit the field's type
 *    (FLOWLOG_E_TYPE); flowlog_record_error_message() gives the reason.
 *
 * NODATA and SKIPDATA records are ordinary records: their log-status says so.
 * `account-id` is a string (it may be `unknown` or have leading zeros).
 *
 * Thread-safety and ownership (every call here): a record belongs to one
 * thread at a time (even its const accessors fill its lazy spans); its
 * spans point into the line it was given (or the reader's buffer) and
 * stay valid while that does. Its schema must outlive it.
 */
#ifndef FLOWLOG_RECORD_H
#define FLOWLOG_RECORD_H

#include "common.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_record flowlog_record;

/** Record flags (flowlog_record_flags()). */
#define FLOWLOG_RECORD_MILLIS 1u ///< start or end was written in milliseconds and normalised

/**
 * Make a record bound to a frozen schema.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG (NULL, unfrozen schema), FLOWLOG_E_NOMEM.
 * Ownership: the schema must outlive the record, or be replaced with
 * flowlog_record_bind(). Thread-safety: one record per thread. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_record_new(flowlog_record **out,
                                                     const flowlog_schema *s,
                                                     const flowlog_allocator *a);

/** As flowlog_record_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_record_new_ex(flowlog_record **out, const flowlog_schema *s,
                                                        const flowlog_allocator *a,
                                                        flowlog_error_info *err);

/** Free a record; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_record_free(flowlog_record *r);

/**
 * Bind the record to another frozen schema (a reader does this at a header
 * line). Allocates only when the new schema has more columns than any before.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_record_bind(flowlog_record *r, const flowlog_schema *s);

/** @return the schema the record is bound to. Since: 1.0 */
FLOWLOG_API const flowlog_schema *flowlog_record_schema(const flowlog_record *r);

/**
 * Tokenize one line (a trailing `\n` or `\r\n` is ignored) into the record.
 * The record's spans point into `line`, which must stay unchanged while the
 * record is read.
 * @return FLOWLOG_OK, FLOWLOG_E_FIELD_COUNT (message names expected and found
 * counts), FLOWLOG_E_ARG. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_record_parse(flowlog_record *r, const char *line,
                                                       size_t len);

/** @return the whole line last parsed (without newline). Since: 1.0 */
FLOWLOG_API flowlog_span flowlog_record_line(const flowlog_record *r);

/** @return FLOWLOG_RECORD_* bits of the last parsed line. Since: 1.0 */
FLOWLOG_API unsigned flowlog_record_flags(const flowlog_record *r);

/**
 * The raw text of column `col`, `-` included.
 * @return FLOWLOG_OK, or FLOWLOG_E_RANGE past the last column. Since: 1.0
 */
FLOWLOG_API int flowlog_record_column(const flowlog_record *r, size_t col, flowlog_span *out);

/**
 * The text of a field of any type.
 * @return FLOWLOG_OK, FLOWLOG_ABSENT (`-` or no such column). Since: 1.0
 */
FLOWLOG_API int flowlog_record_get_str(flowlog_record *r, uint32_t field, flowlog_span *out);

/**
 * An unsigned integer field (FLOWLOG_TYPE_UINT, or _TIME: Unix seconds, with a
 * millisecond value divided by 1000).
 * @return FLOWLOG_OK, FLOWLOG_ABSENT, FLOWLOG_E_MALFORMED, FLOWLOG_E_OVERFLOW,
 * FLOWLOG_E_TYPE. Since: 1.0
 */
FLOWLOG_API int flowlog_record_get_u64(flowlog_record *r, uint32_t field, uint64_t *out);

/**
 * An address field (FLOWLOG_TYPE_ADDR).
 * @return FLOWLOG_OK, FLOWLOG_ABSENT, FLOWLOG_E_MALFORMED, FLOWLOG_E_TYPE. Since: 1.0
 */
FLOWLOG_API int flowlog_record_get_addr(flowlog_record *r, uint32_t field, flowlog_addr *out);

/**
 * An enum field (FLOWLOG_TYPE_ENUM): action, log-status, type,
 * flow-direction, sublocation-type, resource-type; values as in fields.h.
 * @return FLOWLOG_OK, FLOWLOG_ABSENT, FLOWLOG_E_MALFORMED (a word the field
 * does not have), FLOWLOG_E_TYPE. Since: 1.0
 */
FLOWLOG_API int flowlog_record_get_enum(flowlog_record *r, uint32_t field, int *out);

/** Message of the last accessor or parse error ("" when none). Since: 1.0 */
FLOWLOG_API const char *flowlog_record_error_message(const flowlog_record *r);

/** Column of the last error, or -1. Since: 1.0 */
FLOWLOG_API int flowlog_record_error_column(const flowlog_record *r);

/** Byte offset in the line of the last error. Since: 1.0 */
FLOWLOG_API size_t flowlog_record_error_offset(const flowlog_record *r);

/* ---- advanced: a second route to the same record ----
 * flowlog_record_parse() splits and checks in one call, and is the faster
 * of the two; this route is for a caller that already holds the spans. */

/**
 * Use spans the caller tokenized (e.g. with flowlog_tokenize()); `n` must
 * equal the schema's column count. The spans are copied.
 * @return FLOWLOG_OK, FLOWLOG_E_FIELD_COUNT, FLOWLOG_E_ARG. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_record_set_spans(flowlog_record *r,
                                                           const flowlog_span *spans, size_t n);

#ifdef __cplusplus
}
#endif

#endif
