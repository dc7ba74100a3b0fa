/**
 * @file diag.h
 * Connectivity diagnosis: why can't a client reach a server, and which layer
 * is to blame.
 *
 * A diagnosis handle is made for one question (client, server, server port
 * range, protocol, optional time window), then fed records. Records are
 * matched in both directions: forward is client -> server:port, reverse is
 * server:port -> client; where pkt-srcaddr / pkt-dstaddr are present they
 * identify the endpoints (NAT gateways, transit gateways, EKS pods).
 *
 * Which ENI belongs to which endpoint is learnt from the records: an ENI's own
 * address appears in every record it logs. flow-direction, where present,
 * settles ingress and egress.
 *
 * The accumulated state merges (flowlog_diag_merge) and serialises
 * (flowlog_diag_serialize), so results of many files, threads or processes
 * combine exactly: feeding a file in one piece gives the same result as
 * feeding any split of it into several handles and merging them in any order.
 *
 * Feeding never allocates: every table is made at flowlog_diag_new() with a
 * fixed capacity, and a full table sets a flag that the result reports.
 */
#ifndef FLOWLOG_DIAG_H
#define FLOWLOG_DIAG_H

#include "common.h"
#include "reader.h"
#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_diag flowlog_diag;

/** Verdicts (pinned). Stable string ids come from flowlog_verdict_name(). */
enum flowlog_verdict {
    FLOWLOG_VERDICT_NO_TRAFFIC = 1,     ///< "no-traffic": no record in either direction
    FLOWLOG_VERDICT_BLOCKED = 2,        ///< "blocked": the request is REJECTed at some ENI
    FLOWLOG_VERDICT_RETURN_BLOCKED = 3, ///< "return-blocked": forward ACCEPT, reverse REJECT (a network ACL)
    FLOWLOG_VERDICT_REFUSED = 4,        ///< "refused": forward ACCEPT, reverse carries RST
    FLOWLOG_VERDICT_NO_RESPONSE = 5,    ///< "no-response": forward ACCEPT, nothing back
    FLOWLOG_VERDICT_ESTABLISHED = 6,    ///< "established": both directions ACCEPT
    FLOWLOG_VERDICT_INTERMITTENT = 7    ///< "intermittent": ACCEPT and REJECT in one direction at one ENI
};

/** Directions of the evidence. */
enum flowlog_diag_direction { FLOWLOG_DIAG_FORWARD = 0, FLOWLOG_DIAG_REVERSE = 1 };

/** Where a rejection was recorded (flowlog_diag_side()). */
enum flowlog_diag_side {
    FLOWLOG_SIDE_NONE = 0,         ///< nothing was rejected
    FLOWLOG_SIDE_CLIENT = 1,       ///< at the client's ENI
    FLOWLOG_SIDE_SERVER = 2,       ///< at the server's ENI
    FLOWLOG_SIDE_INTERMEDIATE = 3, ///< at an ENI of neither endpoint (NAT, transit gateway)
    FLOWLOG_SIDE_UNKNOWN = 4       ///< the ENI's endpoint could not be inferred
};

/** Evidence counters (flowlog_diag_count()). */
enum flowlog_diag_counter {
    FLOWLOG_DIAG_RECORDS_ACCEPT = 1,
    FLOWLOG_DIAG_RECORDS_REJECT = 2,
    FLOWLOG_DIAG_PACKETS_ACCEPT = 3,
    FLOWLOG_DIAG_PACKETS_REJECT = 4,
    FLOWLOG_DIAG_BYTES_ACCEPT = 5,
    FLOWLOG_DIAG_BYTES_REJECT = 6,
    FLOWLOG_DIAG_TCP_FLAGS = 7,       ///< OR of tcp-flags
    FLOWLOG_DIAG_FIRST_TIME = 8,      ///< earliest start (0 when none)
    FLOWLOG_DIAG_LAST_TIME = 9,       ///< latest end
    FLOWLOG_DIAG_FIRST_REJECT = 10,   ///< earliest start of a REJECT record
    FLOWLOG_DIAG_LAST_REJECT = 11,    ///< latest end of a REJECT record
    FLOWLOG_DIAG_FIRST_ACCEPT = 12,
    FLOWLOG_DIAG_LAST_ACCEPT = 13
};

/** Coverage warnings (bits of flowlog_diag_warnings()). */
#define FLOWLOG_WARN_SKIPDATA 0x01u           ///< SKIPDATA records on an involved ENI
#define FLOWLOG_WARN_ONE_SIDE 0x02u           ///< only one endpoint's ENI is logged
#define FLOWLOG_WARN_NO_TCP_FLAGS 0x04u       ///< the format has no tcp-flags
#define FLOWLOG_WARN_NO_PKT_ADDR 0x08u        ///< the format has no pkt-srcaddr / pkt-dstaddr
#define FLOWLOG_WARN_NO_FLOW_DIRECTION 0x10u  ///< the format has no flow-direction
#define FLOWLOG_WARN_SHORT_WINDOW 0x20u       ///< the window is shorter than the aggregation interval
#define FLOWLOG_WARN_ENI_UNKNOWN 0x40u        ///< an involved ENI's endpoint could not be inferred
#define FLOWLOG_WARN_TRUNCATED 0x80u          ///< a table was full: some detail is missing
#define FLOWLOG_WARN_NODATA 0x100u            ///< NODATA records on an involved ENI

/** Options (flowlog_diag_set()). */
enum flowlog_diag_option {
    FLOWLOG_DIAG_OPT_BUCKET_SECONDS = 1 ///< timeline interval (default 60; 1 .. 86400)
};

/**
 * Make a diagnosis handle for a question.
 * @param client, server an IPv4/IPv6 address or CIDR, or "any" (NULL = any).
 * @param port_lo, port_hi the server port range (ignored for ICMP).
 * @param protocol an IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
 * @return FLOWLOG_OK, FLOWLOG_E_QUERY (a bad address, port range or
 * protocol; see flowlog_diag_error_message()), FLOWLOG_E_ARG, FLOWLOG_E_NOMEM.
 * Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_diag_new(flowlog_diag **out, const char *client,
                                                   const char *server, unsigned port_lo,
                                                   unsigned port_hi, int protocol,
                                                   const flowlog_allocator *a);

/** Free a handle; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_diag_free(flowlog_diag *d);

/** Restrict to records overlapping [since, until] (Unix seconds; 0 = open). Since: 1.0 */
FLOWLOG_API int flowlog_diag_set_window(flowlog_diag *d, uint64_t since, uint64_t until);

/** Set an option. @return FLOWLOG_OK, FLOWLOG_E_UNSUPPORTED, FLOWLOG_E_RANGE. Since: 1.0 */
FLOWLOG_API int flowlog_diag_set(flowlog_diag *d, int key, int64_t value);

/**
 * Feed one record. Never allocates.
 * @param stream the CloudWatch log stream (ENI id) when the record lacks
 * interface-id, or NULL.
 * @return FLOWLOG_OK (used or not relevant), FLOWLOG_E_ARG. Since: 1.0
 */
FLOWLOG_API int flowlog_diag_feed(flowlog_diag *d, flowlog_record *rec, const char *stream);

/**
 * Let a reader pass over the records that cannot be evidence for this
 * question, the way flowlog_reader_set_prefilter() does, and show each of
 * them to the diagnosis as it passes, which reads only what every record
 * tells (its ENI's own address, NODATA and SKIPDATA). Keep feeding the
 * records flowlog_reader_next() still returns to flowlog_diag_feed(): the
 * result is exactly that of feeding every record, in much less time.
 *
 * It applies when the client is one IPv4 address (or a network of at most
 * 4), as every such record names it; otherwise nothing changes. The same
 * conditions as for a prefilter apply (FLOWLOG_OPT_VALIDATE 0, plain text
 * lines). `d` must outlive the reader's reading, or be detached first with
 * flowlog_reader_set_prefilter(r, NULL, 0); it replaces any prefilter set
 * before. Feeding the diagnosis from two readers at once is not safe.
 * @return 1 when the reader will pass records over, 0 when the question
 *         does not allow it, FLOWLOG_E_ARG. Since: 1.3
 */
FLOWLOG_API int flowlog_diag_attach_reader(flowlog_diag *d, flowlog_reader *r);

/** @return the verdict (a flowlog_verdict). Since: 1.0 */
FLOWLOG_API int flowlog_diag_verdict(const flowlog_diag *d);

/** @return the stable id of a verdict ("blocked", ...), or NULL. Since: 1.0 */
FLOWLOG_API const char *flowlog_verdict_name(int verdict);

/** @return where a rejection was recorded (a flowlog_diag_side). Since: 1.0 */
FLOWLOG_API int flowlog_diag_side(const flowlog_diag *d);

/** @return the stable id of a side ("client", "server", ...). Since: 1.0 */
FLOWLOG_API const char *flowlog_diag_side_name(int side);

/** An evidence counter for a direction; 0 for an unknown one. Since: 1.0 */
FLOWLOG_API uint64_t flowlog_diag_count(const flowlog_diag *d, int direction, int counter);

/** @return FLOWLOG_WARN_* bits. Since: 1.0 */
FLOWLOG_API unsigned flowlog_diag_warnings(const flowlog_diag *d);

/** @return the number of ENIs that logged matching records. Since: 1.0 */
FLOWLOG_API size_t flowlog_diag_eni_count(const flowlog_diag *d);

/**
 * One ENI that logged matching records, in sorted order of ids.
 * @param id receives the ENI id (NUL-terminated, owned by the handle).
 * @param side receives the endpoint it belongs to (flowlog_diag_side).
 * @param counts receives 4 record counts: forward accept, forward reject,
 *        reverse accept, reverse reject.
 * @param ingress_egress receives a bit mask: 1 ingress seen, 2 egress seen.
 * @param nodata_skipdata receives 2 counts: NODATA and SKIPDATA records.
 * @return FLOWLOG_OK or FLOWLOG_E_RANGE. Since: 1.0
 */
FLOWLOG_API int flowlog_diag_eni(const flowlog_diag *d, size_t index, const char **id, int *side,
                                 uint64_t counts[4], unsigned *ingress_egress,
                                 uint64_t nodata_skipdata[2]);

/**
 * The timeline: interval `index` (sorted by time) with its start time and
 * packets for forward accept, forward reject, reverse accept, reverse reject.
 * @return FLOWLOG_OK, or FLOWLOG_E_RANGE past the last interval. Since: 1.0
 */
FLOWLOG_API int flowlog_diag_interval(const flowlog_diag *d, size_t index, uint64_t *start,
                                      uint64_t packets[4]);

/**
 * Client addresses seen in forward records, with their accept and reject
 * record counts, sorted by address (how `intermittent` splits by client).
 * @return FLOWLOG_OK, or FLOWLOG_E_RANGE. Since: 1.0
 */
FLOWLOG_API int flowlog_diag_client(const flowlog_diag *d, size_t index, flowlog_addr *addr,
                                    uint64_t *accepts, uint64_t *rejects);

/**
 * Where the client sent traffic of this protocol and port instead of the
 * server (for `no-traffic`), sorted by records, most first.
 * @return FLOWLOG_OK, or FLOWLOG_E_RANGE. Since: 1.0
 */
FLOWLOG_API int flowlog_diag_elsewhere(const flowlog_diag *d, size_t index, flowlog_addr *addr,
                                       uint64_t *records);

/**
 * A human explanation with concrete next steps, written to buf (NUL-terminated,
 * cut to size). The text is not ABI.
 * @return the length the whole text needs (without NUL). Since: 1.0
 */
FLOWLOG_API size_t flowlog_diag_explain(const flowlog_diag *d, char *buf, size_t size);

/**
 * Add the state of `src` into `dst`. Both must ask the same question.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG (different questions). Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_diag_merge(flowlog_diag *dst, const flowlog_diag *src);

/**
 * Serialise the state (versioned, with a checksum).
 * @param buf NULL to ask the size. @param needed receives the size.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE (buf too small). Since: 1.0
 */
FLOWLOG_API int flowlog_diag_serialize(const flowlog_diag *d, void *buf, size_t size, size_t *needed);

/**
 * Make a handle from serialised bytes.
 * @return FLOWLOG_OK, FLOWLOG_E_CORRUPT (bad magic, size, checksum or
 * contents), FLOWLOG_E_VERSION, FLOWLOG_E_NOMEM. Since: 1.0
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_diag_deserialize(flowlog_diag **out, const void *buf,
                                                           size_t len, const flowlog_allocator *a);

/** Message of the last error ("" when none). Since: 1.0 */
FLOWLOG_API const char *flowlog_diag_error_message(const flowlog_diag *d);

#ifdef __cplusplus
}
#endif

#endif
