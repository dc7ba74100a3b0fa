/**
 * @file tokenizer.h
 * Split one flow-log line into field spans that point into the caller's
 * buffer. No allocation, no copy, no read past `len`.
 *
 * Single spaces separate fields; runs of spaces, leading and trailing spaces
 * and a trailing CR are tolerated (AWS's own documentation has a double space
 * in one example). A tokenizer bound to a schema checks the field count and
 * reports expected and found counts; one made without a schema only splits.
 *
 * Advanced: most programs read records with a reader (reader.h) or
 * flowlog_record_parse() (record.h), which split the same way, by the same
 * code for the processor's instruction set. A tokenizer is for a caller who
 * wants only the spans, without a record's typed accessors.
 *
 * Thread-safety and ownership (every call here): a tokenizer handle belongs
 * to one thread at a time; spans point into the caller's buffer and stay
 * valid while it is unchanged.
 */
#ifndef FLOWLOG_TOKENIZER_H
#define FLOWLOG_TOKENIZER_H

#include "common.h"
#include "schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_tokenizer flowlog_tokenizer;

/**
 * @param out receives the tokenizer.
 * @param s a frozen schema whose column count is enforced, or NULL to only split.
 * @param a allocator or NULL for libc.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG (unfrozen schema), FLOWLOG_E_NOMEM.
 * Ownership: the schema must outlive the tokenizer. Thread-safety: one
 * tokenizer per thread. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_tokenizer_new(flowlog_tokenizer **out,
                                                        const flowlog_schema *s,
                                                        const flowlog_allocator *a);

/** As flowlog_tokenizer_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_tokenizer_new_ex(flowlog_tokenizer **out,
                                                           const flowlog_schema *s,
                                                           const flowlog_allocator *a,
                                                           flowlog_error_info *err);

/** Free a tokenizer; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_tokenizer_free(flowlog_tokenizer *t);

/**
 * Tokenize the first line of `buf`: up to and including the first `\n`, or
 * all of `buf` when it has none (the last line of an input).
 * @param fields caller's array of *nfields spans.
 * @param nfields in: capacity; out: number of fields found (also on
 *        FLOWLOG_E_FIELD_COUNT; capped by capacity on FLOWLOG_E_TOO_MANY_FIELDS).
 * @param consumed always set: bytes of `buf` the line takes, newline included,
 *        so a caller skips a bad line and goes on.
 * @return FLOWLOG_OK; FLOWLOG_E_FIELD_COUNT (schema mismatch; message names
 * expected and found); FLOWLOG_E_TOO_MANY_FIELDS (capacity); FLOWLOG_E_ARG.
 * An empty or all-space line gives FLOWLOG_OK with 0 fields when there is no
 * schema. Thread-safety: one call at a time per tokenizer. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_tokenize(flowlog_tokenizer *t, const char *buf,
                                                   size_t len, flowlog_span *fields,
                                                   size_t *nfields, size_t *consumed);

/** Byte offset (in the last buffer) of the last error. Since: 1.0 */
FLOWLOG_API size_t flowlog_tokenizer_error_offset(const flowlog_tokenizer *t);

/** Column (0-based) the last error concerns, or -1. Since: 1.0 */
FLOWLOG_API int flowlog_tokenizer_error_column(const flowlog_tokenizer *t);

/** Message of the last error ("" when none); valid until the next call. Since: 1.0 */
FLOWLOG_API const char *flowlog_tokenizer_error_message(const flowlog_tokenizer *t);

#ifdef __cplusplus
}
#endif

#endif
