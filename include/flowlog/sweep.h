/**
 * @file sweep.h
 * The sweep: diagnosis without a question. Every client -> server:port
 * conversation in the records is accumulated, and those whose verdict is
 * blocked, return-blocked, refused or no-response are ranked by packets.
 *
 * Who is the server of a record is decided from the record alone, so that
 * any split of the input gives the same conversations: the sender of a
 * SYN-ACK is the server, the sender of a SYN without it is the client;
 * without tcp-flags the side on the well-known (< 1024) or else lower port is
 * the server. Where neither settles it (ICMP and other protocols without
 * ports, equal ports), the side that sent first is the client.
 * pkt-srcaddr / pkt-dstaddr, where present, name the endpoints.
 *
 * A sweep does not split evidence by ENI: a conversation with a forward
 * REJECT is reported as blocked even where a rule changed in the window; ask
 * the question (diag.h) of one conversation for the full evidence.
 *
 * Memory is bounded: the conversation table grows up to a cap
 * (FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, FLOWLOG_SWEEP_OPT_MAX_MEMORY); the
 * records of a conversation that does not fit are counted as dropped and
 * flowlog_sweep_dropped() says how many. Growth allocates, a record never.
 *
 * States merge and serialise like a question's: feeding a file in one piece
 * gives the same result as feeding any split of it into several sweeps and
 * merging them in any order, as long as nothing was dropped.
 *
 * Thread-safety and ownership (every call here): a sweep belongs to one
 * thread at a time; handles in different threads are independent, and are
 * combined with flowlog_sweep_merge() once both are idle. Strings are
 * owned by the handle.
 */
#ifndef FLOWLOG_SWEEP_H
#define FLOWLOG_SWEEP_H

#include "common.h"
#include "reader.h"
#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_sweep flowlog_sweep;

/** Options (flowlog_sweep_set()). */
enum flowlog_sweep_option {
    /** Most conversations kept (default 1,000,000; 1 .. 2^31-1). */
    FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS = 1,
    /** Most bytes the conversation table may hold (default 256 MiB; at least 1 MiB). */
    FLOWLOG_SWEEP_OPT_MAX_MEMORY = 2
};

/**
 * Make a sweep.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_new(flowlog_sweep **out, const flowlog_allocator *a);

/** As flowlog_sweep_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_new_ex(flowlog_sweep **out, const flowlog_allocator *a,
                                                       flowlog_error_info *err);

/** Free a sweep; NULL is a no-op. Since: 1.1 */
FLOWLOG_API void flowlog_sweep_free(flowlog_sweep *s);

/**
 * Set an option. A cap below what is already held is FLOWLOG_E_RANGE.
 * @return FLOWLOG_OK, FLOWLOG_E_UNSUPPORTED, FLOWLOG_E_RANGE. Since: 1.1
 */
FLOWLOG_API int flowlog_sweep_set(flowlog_sweep *s, int key, int64_t value);

/** Restrict to records overlapping [since, until] (Unix seconds; 0 = open). Since: 1.1 */
FLOWLOG_API int flowlog_sweep_set_window(flowlog_sweep *s, uint64_t since, uint64_t until);

/**
 * The simple call: read every record of a reader into the sweep (the
 * reader converting only what the sweep reads, FLOWLOG_OPT_VALIDATE 0),
 * record every input's account (flowlog_sweep_add_reader_inputs()) and
 * rank the results (flowlog_sweep_finish(): `count` receives how many).
 * Bad lines, and records with a value the sweep cannot convert (counted as
 * error lines with flowlog_reader_reject()), go to the reader's error
 * handler and counts.
 * @return FLOWLOG_OK; FLOWLOG_NEED_MORE when a push input wants its next
 * chunk (push it and call again); FLOWLOG_E_NOMEM, FLOWLOG_E_ARG.
 * Thread-safety: the sweep and the reader belong to the calling thread for
 * its duration. Since: 1.4
 */
FLOWLOG_API int flowlog_sweep_run(flowlog_sweep *s, flowlog_reader *r, size_t *count);

/**
 * The index-th conversation with a problem, most packets first (ties in
 * order of client, server, port, protocol).
 * @param verdict receives a flowlog_verdict: BLOCKED, RETURN_BLOCKED,
 *        REFUSED or NO_RESPONSE.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE (past the last, or not finished). Since: 1.1
 */
FLOWLOG_API int flowlog_sweep_result(const flowlog_sweep *s, size_t index, flowlog_addr *client,
                                     flowlog_addr *server, unsigned *port, int *protocol, int *verdict);

/**
 * An evidence counter of the index-th result, for a direction
 * (flowlog_diag_direction) and a flowlog_diag_counter; the per-action first
 * and last times are not kept by a sweep and read 0.
 * Since: 1.1
 */
FLOWLOG_API uint64_t flowlog_sweep_count(const flowlog_sweep *s, size_t index, int direction, int counter);

/** @return the number of conversations held (with a problem or not). Since: 1.1 */
FLOWLOG_API uint64_t flowlog_sweep_conversations(const flowlog_sweep *s);

/** @return records dropped because their conversation did not fit (0: nothing truncated). Since: 1.1 */
FLOWLOG_API uint64_t flowlog_sweep_dropped(const flowlog_sweep *s);

/** @return bytes the sweep holds now. Since: 1.1 */
FLOWLOG_API size_t flowlog_sweep_memory(const flowlog_sweep *s);

/**
 * Add the state of `src` into `dst`. Both must have the same window.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_merge(flowlog_sweep *dst, const flowlog_sweep *src);

/**
 * Serialise the state (versioned, with a checksum).
 * @param buf NULL to ask the size. @param needed receives the size.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE (buf too small). Since: 1.1
 */
FLOWLOG_API int flowlog_sweep_serialize(const flowlog_sweep *s, void *buf, size_t size, size_t *needed);

/**
 * Make a sweep from serialised bytes; its caps are the defaults, raised to
 * hold what the bytes carry.
 * @return FLOWLOG_OK, FLOWLOG_E_CORRUPT, FLOWLOG_E_VERSION, FLOWLOG_E_NOMEM,
 * FLOWLOG_E_ARG. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_deserialize(flowlog_sweep **out, const void *buf, size_t len,
                                                            const flowlog_allocator *a);

/** As flowlog_sweep_deserialize(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_deserialize_ex(flowlog_sweep **out, const void *buf,
                                                               size_t len, const flowlog_allocator *a,
                                                               flowlog_error_info *err);

/* ---- what the sweep rests on (since 1.4): as for a diagnosis (diag.h) ---- */

/** How many inputs are recorded. Since: 1.4 */
FLOWLOG_API size_t flowlog_sweep_input_count(const flowlog_sweep *s);

/** Input `index` (see flowlog_diag_input()). @return FLOWLOG_OK, FLOWLOG_E_RANGE, FLOWLOG_E_ARG. Since: 1.4 */
FLOWLOG_API int flowlog_sweep_input(const flowlog_sweep *s, size_t index, const char **name, int *status,
                                    uint64_t *records, uint64_t *errors, const char **reason);

/** 1 when every recorded input was read whole without a bad line, else 0; FLOWLOG_E_ARG. Since: 1.4 */
FLOWLOG_API int flowlog_sweep_complete(const flowlog_sweep *s);

/* ---- advanced: for callers that drive the reader themselves ----
 * flowlog_sweep_run() does all of this. */

/**
 * Feed one record. Records without addresses (NODATA, SKIPDATA) and
 * without an action are not conversations and are ignored.
 * @return FLOWLOG_OK (counted, ignored, or dropped at the cap),
 * FLOWLOG_E_NOMEM (the table could not grow: the record is dropped),
 * FLOWLOG_E_MALFORMED or FLOWLOG_E_OVERFLOW (since 1.4: a value the sweep
 * reads does not convert, as flowlog_record_error_message() says; the
 * record counts for nothing: report it, and flowlog_reader_reject() it),
 * FLOWLOG_E_ARG. Since: 1.1
 */
FLOWLOG_API int flowlog_sweep_feed(flowlog_sweep *s, flowlog_record *rec);

/**
 * Rank the conversations with a problem. Needed after feeding or merging
 * and before flowlog_sweep_result(); allocates the ranking.
 * @param count receives the number of conversations with a problem.
 * @return FLOWLOG_OK, FLOWLOG_E_NOMEM, FLOWLOG_E_ARG. Since: 1.1
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_sweep_finish(flowlog_sweep *s, size_t *count);

/** Record every input of a reader (once, after reading). @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.4 */
FLOWLOG_API int flowlog_sweep_add_reader_inputs(flowlog_sweep *s, const flowlog_reader *r);

/** Record one input (see flowlog_diag_add_input()). Since: 1.4 */
FLOWLOG_API int flowlog_sweep_add_input(flowlog_sweep *s, const char *name, int status, uint64_t records,
                                        uint64_t errors, const char *reason);

#ifdef __cplusplus
}
#endif

#endif
