/**
 * @file schema.h
 * A schema is the column map of one flow-log format: which field each
 * space-separated column holds. It is compiled from a format string
 * (`${version} ${srcaddr} ...`, as given to `aws ec2 create-flow-logs`), from
 * an S3 header line (`version srcaddr ...`), or set to AWS's default v2
 * format. It also holds the schema's own fields: those a caller registers with
 * a type, and names no built-in field has (the field AWS adds next year),
 * which are accepted as opaque strings rather than refused.
 *
 * Lifecycle: flowlog_schema_new(), optional flowlog_schema_register(), one of
 * the set_* calls, flowlog_schema_freeze(). A frozen schema never changes and
 * may be shared by any number of threads; tokenizers, records and readers
 * require a frozen one. flowlog_schema_compile() does all of this in one call.
 *
 * Thread-safety and ownership (every call here): a schema being built
 * belongs to one thread at a time; a frozen schema is immutable and may be
 * shared by any number of threads, records and readers, which do not take
 * ownership (free it after them). Strings returned are owned by the schema.
 */
#ifndef FLOWLOG_SCHEMA_H
#define FLOWLOG_SCHEMA_H

#include "common.h"
#include "fields.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_schema flowlog_schema;

/** The most columns one schema may have. */
#define FLOWLOG_MAX_COLUMNS 256

/** How flowlog_schema_compile() reads its text. */
enum flowlog_schema_syntax {
    FLOWLOG_SYNTAX_AUTO = 0,    ///< a format string when it contains `${`, else a header line
    FLOWLOG_SYNTAX_FORMAT = 1,  ///< `${field} ${field} ...`
    FLOWLOG_SYNTAX_HEADER = 2,  ///< `field field ...`
    FLOWLOG_SYNTAX_DEFAULT = 3  ///< ignore the text: AWS's default v2 format
};

/**
 * Make an empty, mutable schema.
 * @param out receives the schema; @param a allocator or NULL for libc.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM.
 * Ownership: free with flowlog_schema_free(). Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_new(flowlog_schema **out,
                                                     const flowlog_allocator *a);

/** As flowlog_schema_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_new_ex(flowlog_schema **out, const flowlog_allocator *a,
                                                       flowlog_error_info *err);

/** Free a schema; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_schema_free(flowlog_schema *s);

/**
 * Make a new mutable schema that has the same own fields (custom and
 * unknown names, same ids and types) as `s` but no columns. Readers use it to
 * build the schema of a header line while keeping the caller's fields.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_derive(flowlog_schema **out,
                                                        const flowlog_schema *s,
                                                        const flowlog_allocator *a);

/**
 * Register a field of the caller's own with a type (FLOWLOG_TYPE_STRING,
 * _UINT, _ADDR or _TIME). A name may be any run of letters, digits, `-` and
 * `_` starting with a letter, 64 bytes at most.
 * @param id receives the field's id (>= FLOWLOG_FIELD_CUSTOM_BASE); may be NULL.
 * @return FLOWLOG_OK, FLOWLOG_E_DUPLICATE (a built-in or registered name),
 * FLOWLOG_E_FORMAT (bad name), FLOWLOG_E_ARG (bad type), FLOWLOG_E_FROZEN,
 * FLOWLOG_E_LIMIT (more than 1024 own fields), FLOWLOG_E_NOMEM. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_register(flowlog_schema *s, const char *name,
                                                          size_t len, int type, uint32_t *id);

/**
 * Set the columns from a format string, `${version} ${srcaddr} ...`.
 * @return FLOWLOG_OK, FLOWLOG_E_FORMAT (empty, unbalanced `${`, text outside
 * `${}`, too many columns), FLOWLOG_E_DUPLICATE (a field twice),
 * FLOWLOG_E_FROZEN, FLOWLOG_E_NOMEM. The error offset names the byte.
 * Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_set_format(flowlog_schema *s, const char *fmt,
                                                            size_t len);

/**
 * Set the columns from an S3 header line, `version srcaddr ...` (a trailing
 * CR or newline is ignored).
 * @return as flowlog_schema_set_format(). Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_set_header(flowlog_schema *s, const char *line,
                                                            size_t len);

/** Set the columns to AWS's default format (14 v2 fields). Since: 1.0 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_set_default(flowlog_schema *s);

/**
 * Freeze the schema: it never changes again and may be shared between
 * threads. A schema with no columns cannot be frozen.
 * @return FLOWLOG_OK, FLOWLOG_E_FORMAT (no columns), FLOWLOG_E_ARG. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_freeze(flowlog_schema *s);

/** @return 1 when frozen, 0 otherwise (and for NULL). Since: 1.0 */
FLOWLOG_API int flowlog_schema_is_frozen(const flowlog_schema *s);

/**
 * new + set_format/set_header/set_default + freeze in one call.
 * @param syntax a flowlog_schema_syntax.
 * @return as the calls it makes; on error *out is NULL. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_compile(flowlog_schema **out, const char *text,
                                                         size_t len, int syntax,
                                                         const flowlog_allocator *a);

/** As flowlog_schema_compile(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_schema_compile_ex(flowlog_schema **out, const char *text,
                                                            size_t len, int syntax,
                                                            const flowlog_allocator *a,
                                                            flowlog_error_info *err);

/** @return the number of columns (0 before a set_* call). Since: 1.0 */
FLOWLOG_API size_t flowlog_schema_column_count(const flowlog_schema *s);

/** @return the field id of column `col`, or FLOWLOG_FIELD_NONE past the end. Since: 1.0 */
FLOWLOG_API uint32_t flowlog_schema_column_field(const flowlog_schema *s, size_t col);

/** @return the column that holds `field`, or -1 when this schema lacks it. Since: 1.0 */
FLOWLOG_API int flowlog_schema_field_column(const flowlog_schema *s, uint32_t field);

/**
 * Resolve a name against the built-in registry and this schema's own fields.
 * @return the id, or FLOWLOG_FIELD_NONE. Since: 1.0
 */
FLOWLOG_API uint32_t flowlog_schema_lookup(const flowlog_schema *s, const char *name, size_t len);

/** @return the name (NUL-terminated; lives as long as the schema) of a field id, or NULL. Since: 1.0 */
FLOWLOG_API const char *flowlog_schema_field_name(const flowlog_schema *s, uint32_t field);

/** @return the FLOWLOG_TYPE_* of a field id in this schema, or 0. Since: 1.0 */
FLOWLOG_API int flowlog_schema_field_type(const flowlog_schema *s, uint32_t field);

/**
 * @return the highest field version among the columns: the value AWS writes
 * in `version` for this format. Since: 1.0
 */
FLOWLOG_API int flowlog_schema_version(const flowlog_schema *s);

/**
 * @return 1 when the schema's columns are AWS's transit-gateway field set
 * (it has `resource-type` or `tgw-id`), else 0. Since: 1.0
 */
FLOWLOG_API int flowlog_schema_is_transit_gateway(const flowlog_schema *s);

/** Byte offset in the text of the last set or register error. Since: 1.0 */
FLOWLOG_API size_t flowlog_schema_error_offset(const flowlog_schema *s);

/** Message of the last error (static or schema-owned; "" when none). Since: 1.0 */
FLOWLOG_API const char *flowlog_schema_error_message(const flowlog_schema *s);

/**
 * Decide whether a line is an S3 header line: every space-separated token has
 * the shape of a field name, and more than half of them are built-in fields.
 * So `version account-id ...` is a header and `bogus line` is not.
 * @return 1 or 0. Thread-safety: safe. Since: 1.0
 */
FLOWLOG_API int flowlog_is_header_line(const char *line, size_t len);

#ifdef __cplusplus
}
#endif

#endif
