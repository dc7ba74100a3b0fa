/**
 * @file common.h
 * What every part of libflowlog shares: the export macro, the frozen POD
 * types (flowlog_span, flowlog_addr, flowlog_allocator), the pinned status
 * codes and the version functions.
 *
 * Status convention: every fallible call returns an int. 0 is FLOWLOG_OK,
 * positive values are non-error states (FLOWLOG_NEED_MORE, FLOWLOG_ABSENT,
 * FLOWLOG_END), negative values are errors. Callers test `rc < 0`. Values are
 * pinned for the life of SONAME 1 and never reused; a newer library may
 * return a negative code this header does not name, which callers treat as an
 * error like any other.
 *
 * Thread-safety and ownership (every call here): the status and version
 * functions are safe from any thread at once; their strings are static.
 */
#ifndef FLOWLOG_COMMON_H
#define FLOWLOG_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "version.h"

#ifndef FLOWLOG_API
#  if defined(_WIN32) || defined(__CYGWIN__)
#    if defined(FLOWLOG_BUILDING_DLL)
#      define FLOWLOG_API __declspec(dllexport)
#    elif defined(FLOWLOG_STATIC)
#      define FLOWLOG_API
#    else
#      define FLOWLOG_API __declspec(dllimport)
#    endif
#  elif defined(__GNUC__) || defined(__clang__)
#    define FLOWLOG_API __attribute__((visibility("default")))
#  else
#    define FLOWLOG_API
#  endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define FLOWLOG_NODISCARD __attribute__((warn_unused_result))
#  define FLOWLOG_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define FLOWLOG_NODISCARD
#  define FLOWLOG_DEPRECATED(msg)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A run of bytes inside a caller's buffer (frozen). Not NUL-terminated; valid
 * while the buffer it points into is unchanged. An empty span has len 0 and
 * ptr still inside the buffer.
 */
typedef struct flowlog_span {
    const char *ptr; ///< first byte
    size_t len;      ///< number of bytes
} flowlog_span;

/** Address families of flowlog_addr. */
#define FLOWLOG_AF_INET 4
#define FLOWLOG_AF_INET6 6

/**
 * An IPv4 or IPv6 address (frozen). IPv4 uses bytes[0..3] in network order
 * and leaves the rest zero, so two equal addresses compare equal with memcmp.
 */
typedef struct flowlog_addr {
    uint8_t family;    ///< FLOWLOG_AF_INET or FLOWLOG_AF_INET6
    uint8_t bytes[16]; ///< network byte order
} flowlog_addr;

/**
 * A caller's allocator (frozen). Sizes are passed back so arena allocators
 * work. The struct is copied when a handle is made; ctx must outlive the
 * handles that use it. Any member may not be NULL.
 */
typedef struct flowlog_allocator {
    void *(*alloc)(void *ctx, size_t n);                         ///< like malloc
    void *(*realloc)(void *ctx, void *p, size_t old_n, size_t n); ///< like realloc
    void (*free)(void *ctx, void *p, size_t n);                  ///< like free; p may be NULL
    void *ctx;                                                    ///< passed to each call
} flowlog_allocator;

/** Status codes (pinned). */
enum flowlog_status {
    FLOWLOG_OK = 0,                  ///< success; for accessors: the field has a value
    FLOWLOG_NEED_MORE = 1,           ///< a push reader wants more input
    FLOWLOG_ABSENT = 2,              ///< the field is `-` or not in this record's schema
    FLOWLOG_END = 3,                 ///< no more records
    FLOWLOG_E_INVALID = -1,          ///< input is not valid
    FLOWLOG_E_ARG = -2,              ///< the call was misused (NULL handle, bad argument)
    FLOWLOG_E_NOMEM = -3,            ///< an allocation failed
    FLOWLOG_E_UNSUPPORTED = -4,      ///< unknown option key or unsupported request
    FLOWLOG_E_RANGE = -5,            ///< an option value is out of range
    FLOWLOG_E_TOO_MANY_FIELDS = -6,  ///< the caller's span array is too small
    FLOWLOG_E_TOO_LONG = -7,         ///< a line is longer than the configured limit
    FLOWLOG_E_UNKNOWN_FIELD = -8,    ///< no field has that name or id
    FLOWLOG_E_FIELD_COUNT = -9,      ///< a record has more or fewer fields than its schema
    FLOWLOG_E_MALFORMED = -10,       ///< a field value does not have its type's shape
    FLOWLOG_E_OVERFLOW = -11,        ///< an integer does not fit
    FLOWLOG_E_TYPE = -12,            ///< the accessor does not fit the field's type
    FLOWLOG_E_FORMAT = -13,          ///< a format string or header line is not valid
    FLOWLOG_E_DUPLICATE = -14,       ///< a field appears twice, or a name is taken
    FLOWLOG_E_FROZEN = -15,          ///< the schema is frozen and cannot change
    FLOWLOG_E_IO = -16,              ///< reading a file or stream failed
    FLOWLOG_E_GZIP = -17,            ///< gzip data is corrupt or truncated
    FLOWLOG_E_JSON = -18,            ///< a CloudWatch Logs envelope is not valid
    FLOWLOG_E_LIMIT = -19,           ///< a configured limit was reached
    FLOWLOG_E_CORRUPT = -20,         ///< serialised bytes are corrupt
    FLOWLOG_E_VERSION = -21,         ///< serialised bytes have an unsupported version
    FLOWLOG_E_QUERY = -22,           ///< a query or question is not valid
    FLOWLOG_E_BUDGET = -23           ///< one record needed more work than it may take (a regular expression); since 1.4
};

/**
 * Why a constructor failed (frozen). Every constructor has an `_ex` form
 * (flowlog_diag_new_ex(), flowlog_schema_compile_ex(), ...) that fills one
 * the caller owns, so the reason outlives the handle that was not made;
 * a binding raises it as its exception. On success status is FLOWLOG_OK
 * and message is "". Since: 1.5
 */
typedef struct flowlog_error_info {
    int status;        ///< the status the call returned
    int column;        ///< the 0-based column or field involved, or -1
    size_t offset;     ///< byte offset in the text given, or 0
    char message[256]; ///< NUL-terminated, one line of English; never empty on error
} flowlog_error_info;

/**
 * The name of a status code, e.g. "FLOWLOG_E_NOMEM".
 * @return a static string; "FLOWLOG_E_UNKNOWN" for a code this build does not know.
 * Thread-safety: safe. Since: 1.0
 */
FLOWLOG_API const char *flowlog_status_name(int status);

/**
 * A one-line English description of a status code.
 * @return a static, non-empty string. Thread-safety: safe. Since: 1.0
 */
FLOWLOG_API const char *flowlog_strerror(int status);

/** @return FLOWLOG_VERSION_NUMBER of the library actually linked. Since: 1.0 */
FLOWLOG_API unsigned flowlog_version_number(void);

/** @return FLOWLOG_VERSION_STRING of the library actually linked. Since: 1.0 */
FLOWLOG_API const char *flowlog_version_string(void);

/**
 * Convert a byte offset into a buffer into a 1-based line and column.
 * @param buf the buffer; @param len its length; @param offset at most len.
 * @return FLOWLOG_OK, or FLOWLOG_E_ARG (NULL pointers, offset past len).
 * Thread-safety: safe. Since: 1.0
 */
FLOWLOG_API int flowlog_locate(const char *buf, size_t len, size_t offset,
                               uint64_t *line, uint64_t *column);

#ifdef __cplusplus
}
#endif

#endif
