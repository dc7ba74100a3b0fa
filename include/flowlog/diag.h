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
 *
 * Thread-safety and ownership (every call here): a diagnosis belongs to
 * one thread at a time, const calls included (they fill caches); handles
 * in different threads are independent, and are combined with
 * flowlog_diag_merge() once both are idle. Strings (ENI ids, input names,
 * messages) are owned by the handle, valid until it changes.
 */
#ifndef FLOWLOG_DIAG_H
#define FLOWLOG_DIAG_H

#include "common.h"
#include "config.h"
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
    FLOWLOG_DIAG_LAST_ACCEPT = 13,
    FLOWLOG_DIAG_TCP_FLAGS_ACCEPT = 14, ///< OR of tcp-flags of ACCEPT records (since 1.4)
    FLOWLOG_DIAG_TCP_FLAGS_REJECT = 15  ///< OR of tcp-flags of REJECT records (since 1.4)
};

/** Coverage warnings (bits of flowlog_diag_warnings()). */
#define FLOWLOG_WARN_SKIPDATA 0x01u           ///< SKIPDATA records on an involved or an endpoint's ENI in the window
#define FLOWLOG_WARN_ONE_SIDE 0x02u           ///< only one endpoint's ENI is logged
#define FLOWLOG_WARN_NO_TCP_FLAGS 0x04u       ///< the format has no tcp-flags
#define FLOWLOG_WARN_NO_PKT_ADDR 0x08u        ///< the format has no pkt-srcaddr / pkt-dstaddr
#define FLOWLOG_WARN_NO_FLOW_DIRECTION 0x10u  ///< the format has no flow-direction
#define FLOWLOG_WARN_SHORT_WINDOW 0x20u       ///< the window is shorter than the aggregation interval
#define FLOWLOG_WARN_ENI_UNKNOWN 0x40u        ///< an involved ENI's endpoint could not be inferred
#define FLOWLOG_WARN_TRUNCATED 0x80u          ///< a table was full: some detail is missing
#define FLOWLOG_WARN_NODATA 0x100u            ///< NODATA records on an involved or an endpoint's ENI in the window
#define FLOWLOG_WARN_CLIENT_ENI_NOT_LOGGED 0x200u ///< no ENI in the logs is, or may be, the client's (since 1.4)
#define FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED 0x400u ///< no ENI in the logs is, or may be, the server's (since 1.4)
#define FLOWLOG_WARN_WINDOW_OUTSIDE_LOGS 0x800u   ///< the window misses the time the logs cover (since 1.4)
#define FLOWLOG_WARN_INCOMPLETE_INPUT 0x1000u     ///< an input was not read whole, or had bad lines (since 1.4)

/** Kinds of near miss (flowlog_diag_near_miss()). Since: 1.4 */
enum flowlog_near_miss_kind {
    FLOWLOG_NEAR_OTHER_PORT = 1,   ///< "other-port": the client to the server on another port or protocol
    FLOWLOG_NEAR_OTHER_SERVER = 2, ///< "other-server": the client to another address on the asked port
    FLOWLOG_NEAR_OTHER_CLIENT = 3  ///< "other-client": another client of the client's subnet to the server
};
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

/** As flowlog_diag_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_diag_new_ex(flowlog_diag **out, const char *client,
                                                      const char *server, unsigned port_lo,
                                                      unsigned port_hi, int protocol,
                                                      const flowlog_allocator *a,
                                                      flowlog_error_info *err);

/** Free a handle; NULL is a no-op. Since: 1.0 */
FLOWLOG_API void flowlog_diag_free(flowlog_diag *d);

/** Restrict to records overlapping [since, until] (Unix seconds; 0 = open). Since: 1.0 */
FLOWLOG_API int flowlog_diag_set_window(flowlog_diag *d, uint64_t since, uint64_t until);

/** Set an option. @return FLOWLOG_OK, FLOWLOG_E_UNSUPPORTED, FLOWLOG_E_RANGE. Since: 1.0 */
FLOWLOG_API int flowlog_diag_set(flowlog_diag *d, int key, int64_t value);

/**
 * The simple call: read every record of a reader into the diagnosis. It
 * applies by itself every speed-up that keeps the result exact: the reader
 * passes over the records that cannot be evidence
 * (flowlog_diag_attach_reader()) and converts only what the diagnosis reads
 * (FLOWLOG_OPT_VALIDATE 0). Bad lines, and records with a value the
 * diagnosis cannot convert (counted as error lines with
 * flowlog_reader_reject()), go to the reader's error handler and counts;
 * at the end every input's account is recorded
 * (flowlog_diag_add_reader_inputs()), so flowlog_diag_complete() tells
 * whether the evidence is whole. Set FLOWLOG_OPT_MMAP on the reader to
 * have large files mapped (see reader.h for the hazard).
 * @return FLOWLOG_OK when every input is read; FLOWLOG_NEED_MORE when a
 * push input wants its next chunk (push it and call again);
 * FLOWLOG_E_NOMEM, FLOWLOG_E_ARG. Thread-safety: the diagnosis and the
 * reader belong to the calling thread for its duration. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_run(flowlog_diag *d, flowlog_reader *r);

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

/** As flowlog_diag_deserialize(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_diag_deserialize_ex(flowlog_diag **out, const void *buf,
                                                              size_t len, const flowlog_allocator *a,
                                                              flowlog_error_info *err);

/** Message of the last error ("" when none). Since: 1.0 */
FLOWLOG_API const char *flowlog_diag_error_message(const flowlog_diag *d);

/* ---- what the evidence rests on (since 1.4) ----
 * A verdict is only as good as what was read. A diagnosis keeps an account
 * of its inputs, which merges and serialises with the rest of its state,
 * and tells which of the endpoints' ENIs the logs cover, and when.
 * Thread-safety of everything below: as the handle (one thread at a time;
 * the const calls fill caches, so not even two readers at once). */

/** The stable id of one FLOWLOG_WARN_* bit ("skipdata", ...), or NULL. Since: 1.4 */
FLOWLOG_API const char *flowlog_diag_warning_name(unsigned bit);

/** How many inputs are recorded (sorted by name; past 65536, only counted). Since: 1.4 */
FLOWLOG_API size_t flowlog_diag_input_count(const flowlog_diag *d);

/**
 * Input `index`: its name, status, records, bad lines and why it failed
 * ("" unless it did). Strings are owned by the handle.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_input(const flowlog_diag *d, size_t index, const char **name, int *status,
                                   uint64_t *records, uint64_t *errors, const char **reason);

/**
 * @return 1 when every recorded input was read to its end without a bad
 * line (also when none was recorded), 0 when not (and
 * FLOWLOG_WARN_INCOMPLETE_INPUT is set), FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_complete(const flowlog_diag *d);

/**
 * The time the logs cover, first start to last end in Unix seconds (0, 0
 * when unknown): of the records of every ENI that may be an endpoint's, of
 * NODATA and SKIPDATA records, and of the evidence. (An ENI whose records
 * name no single address of its own, such as a load balancer's, is left
 * out: the reader passes over its records unsplit.)
 * @return FLOWLOG_OK, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_time_range(const flowlog_diag *d, uint64_t range[2]);

/**
 * The endpoints' ENIs: every ENI in the logs whose own address is the
 * client's or the server's (or that the evidence shows to be), sorted by
 * side (client first) and id, whether or not it logged the asked traffic:
 * its id, side (FLOWLOG_SIDE_CLIENT or _SERVER), the time it was logged
 * (first, last; its NODATA and SKIPDATA records included) and its NODATA
 * and SKIPDATA records in the window. An endpoint that is "any" has none.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE past the last, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_endpoint_eni(const flowlog_diag *d, size_t index, const char **id, int *side,
                                          uint64_t span[2], uint64_t nodata_skipdata[2]);

/**
 * Whether involved ENI `index` (as flowlog_diag_eni() numbers them)
 * translates for the client, as a NAT gateway's does: records addressed to
 * it carry the server as pkt-dstaddr. Its legs to and from the server are
 * then joined to the evidence (the counts, the verdict and the side).
 * @return 1, 0, FLOWLOG_E_RANGE, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_eni_translates(const flowlog_diag *d, size_t index);

/**
 * Whether the side of involved ENI `index` was inferred from what packets
 * must do (an extract of only the pair's records names both addresses at
 * both ENIs): a packet REJECTed at its sender's ENI never reaches the
 * receiver's, so the ENI that ACCEPTed a direction another only REJECTed is
 * the sender's. This is worked out where at most 64 involved ENIs are left
 * open (a wide question's thousands stay unknown: the rules compare them
 * pairwise). @return 1, 0, FLOWLOG_E_RANGE, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_side_inferred(const flowlog_diag *d, size_t index);

/* ---- the VPC's configuration as evidence (since 1.5) ---- */

/**
 * Use a VPC's configuration (config.h): an ENI it describes has its own
 * address from describe-network-interfaces, so its endpoint is known, not
 * inferred from packets. NULL stops using one. Not part of the serialised
 * state: set it on the handle that answers.
 * Ownership: borrowed; it must outlive every answer of d.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_diag_set_config(flowlog_diag *d, const flowlog_config *c);

/** How the logs and the configuration relate (flowlog_diag_agreement()). Since: 1.5 */
enum flowlog_agreement {
    FLOWLOG_DISAGREE = 0,     ///< they contradict: the configuration changed since, or logs are missing
    FLOWLOG_AGREE = 1,        ///< the configuration explains what the logs show
    FLOWLOG_AGREE_UNKNOWN = 2 ///< one cannot confirm the other (no traffic, both outcomes logged, a checkpoint unknown)
};

/**
 * Whether the configuration, evaluated for the same question, explains the
 * verdict the logs give: a return-blocked verdict and an ACL that denies the
 * reply; blocked at the server and a server ACL or group that denies the
 * request; established and a path that allows it.
 * @param why receives one line of English (NUL-terminated, cut to size).
 * @return a flowlog_agreement, or FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_diag_agreement(const flowlog_diag *d, const flowlog_reach *r, char *why, size_t size);

/** The stable id of a near-miss kind ("other-port", ...), or NULL. Since: 1.4 */
FLOWLOG_API const char *flowlog_diag_near_miss_name(int kind);

/**
 * What the client did instead of the asked traffic, in the window: when
 * the server is one address, the same server on another port or protocol
 * (FLOWLOG_NEAR_OTHER_PORT; the server port is the destination port of the
 * client's records) and other clients of the client's /24 (IPv4) or /64
 * (IPv6) to it on the asked port (_OTHER_CLIENT); and another address on
 * the asked port and protocol (_OTHER_SERVER). Sorted by kind in that order, then by
 * records, most first. `client` is the other client, else the question's
 * (its network address for a network); `server` likewise; `counts`
 * receives records, ACCEPT records, REJECT records, first start, last end.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE past the last, FLOWLOG_E_ARG. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_near_miss(const flowlog_diag *d, size_t index, int *kind, flowlog_addr *client,
                                       flowlog_addr *server, unsigned *port, int *protocol, uint64_t counts[5]);

/* ---- advanced: for callers that drive the reader themselves ----
 * flowlog_diag_run() does all of this; these stay for a caller that reads
 * records some other way. */

/**
 * Feed one record. Never allocates.
 * @param stream the CloudWatch log stream (ENI id) when the record lacks
 * interface-id, or NULL.
 * @return FLOWLOG_OK (used or not relevant); FLOWLOG_E_MALFORMED or
 * FLOWLOG_E_OVERFLOW (since 1.4): a value the diagnosis reads does not
 * convert (flowlog_diag_error_message() says which): the record counts
 * for nothing as evidence; report it, and flowlog_reader_reject() it.
 * Values it does not read are not checked. FLOWLOG_E_ARG. Since: 1.0
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
 * 4), as every such record names it, and otherwise when the question is of
 * one port of three digits or more other than for ICMP, as every such
 * record holds the port's digits; otherwise nothing changes. The same
 * conditions as for a prefilter apply (FLOWLOG_OPT_VALIDATE 0, plain text
 * lines). `d` must outlive the reader's reading, or be detached first with
 * flowlog_reader_set_prefilter(r, NULL, 0); it replaces any prefilter set
 * before. Feeding the diagnosis from two readers at once is not safe.
 * @return 1 when the reader will pass records over, 0 when the question
 *         does not allow it, FLOWLOG_E_ARG. Since: 1.3
 */
FLOWLOG_API int flowlog_diag_attach_reader(flowlog_diag *d, flowlog_reader *r);

/**
 * Record one input the evidence came from: its name, a flowlog_input_status,
 * the records and bad lines it gave, and why it failed (or NULL). The same
 * name again adds into the first, keeping the worse status (one file split
 * between workers).
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_add_input(flowlog_diag *d, const char *name, int status, uint64_t records,
                                       uint64_t errors, const char *reason);

/**
 * Record every input of a reader, as flowlog_reader_input() gives them: call
 * it once, after reading (an input not read to its end counts as such).
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.4
 */
FLOWLOG_API int flowlog_diag_add_reader_inputs(flowlog_diag *d, const flowlog_reader *r);

#ifdef __cplusplus
}
#endif

#endif
