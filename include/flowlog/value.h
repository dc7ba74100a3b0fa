/**
 * @file value.h
 * Conversions of single field texts: the same strict parsers the record
 * accessors use, for callers who hold a span of their own. None allocates;
 * none reads past `len`.
 *
 * Thread-safety and ownership (every call here): pure functions of their
 * arguments, safe from any thread at once; they write only where told.
 */
#ifndef FLOWLOG_VALUE_H
#define FLOWLOG_VALUE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse an unsigned decimal integer (digits only, no sign, no spaces).
 * @return FLOWLOG_OK, FLOWLOG_ABSENT for `-`, FLOWLOG_E_MALFORMED (empty, a
 * non-digit), FLOWLOG_E_OVERFLOW (above UINT64_MAX), FLOWLOG_E_ARG.
 * Since: 1.0
 */
FLOWLOG_API int flowlog_parse_u64(const char *text, size_t len, uint64_t *out);

/**
 * Parse an IPv4 (dotted quad, no leading zeros) or IPv6 address in any
 * textual form RFC 4291 allows (`::` compression, embedded IPv4).
 * @return FLOWLOG_OK, FLOWLOG_ABSENT for `-`, FLOWLOG_E_MALFORMED, FLOWLOG_E_ARG.
 * Since: 1.0
 */
FLOWLOG_API int flowlog_addr_parse(const char *text, size_t len, flowlog_addr *out);

/**
 * Write an address in its canonical text form (RFC 5952 for IPv6) with a
 * terminating NUL. 46 bytes always suffice.
 * @return the length written (without NUL), or FLOWLOG_E_ARG / FLOWLOG_E_RANGE
 * (buffer too small). Since: 1.0
 */
FLOWLOG_API int flowlog_addr_format(const flowlog_addr *addr, char *buf, size_t size);

/**
 * Parse `ADDR/PREFIX` (or a bare address, taken as a host prefix). Host bits
 * below the prefix are cleared in `net`.
 * @return FLOWLOG_OK, FLOWLOG_E_MALFORMED, FLOWLOG_E_ARG. Since: 1.0
 */
FLOWLOG_API int flowlog_cidr_parse(const char *text, size_t len, flowlog_addr *net,
                                   unsigned *prefix);

/**
 * @return 1 when `addr` is inside `net/prefix` (same family), else 0. Since: 1.0
 */
FLOWLOG_API int flowlog_addr_in_cidr(const flowlog_addr *addr, const flowlog_addr *net,
                                     unsigned prefix);

#ifdef __cplusplus
}
#endif

#endif
