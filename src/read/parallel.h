/* Reading the queued inputs on several threads (parallel.c): for the run
 * calls of the layers above, which keep their own states. Not API. */
#ifndef FLOWLOG_PARALLEL_H
#define FLOWLOG_PARALLEL_H

#include "../core/internal.h"

/* What the caller of flowlog__parallel_read() does with a part of the
 * records. A state is what the records of one part make (a query's
 * groups, a diagnosis); the caller's own is the one the run call was
 * given. */
typedef struct flowlog__par_ops {
    void *ctx;
    /* An empty state of the same question; at most `shares` of them are
     * held at once (a memory budget divides by it). */
    int (*make)(void *ctx, size_t shares, void **state);
    /* Read r to its end into state (NULL: the caller's own), as the run
     * call would: its reader set up, its bad records rejected. Runs on any
     * of the threads, one part per state. */
    int (*read)(void *ctx, void *state, flowlog_reader *r);
    /* Add a part's state to the caller's own: called on the caller's
     * thread, in the order of the records. FLOWLOG_ABSENT when it would
     * not give what one pass gives (a table would fill): nothing is
     * merged, and the part is read again into the caller's own. A read
     * that returns FLOWLOG_E_LIMIT (its state could not hold the part)
     * is read again too; after either, the caller's thread reads every
     * part left itself. */
    int (*merge)(void *ctx, void *state);
    void (*drop)(void *ctx, void *state);
    /* At most this many bytes of a file a part (0: as many as suit the
     * threads): a state whose memory grows with what it reads keeps a
     * part within its share. */
    uint64_t part_bytes;
} flowlog__par_ops;

/* Read every input queued on r into the caller's state, in parts on
 * several threads when that is worth it: plain-text files split at line
 * boundaries, other files whole; each part into a state of its own,
 * merged in order, so the states, the counts, the account of each input
 * and the bad lines told (with their lines, in order, on the caller's
 * thread) are those of one pass. FLOWLOG_ABSENT when it is not worth it
 * or not possible (one processor, FLOWLOG_OPT_THREADS 0, little to read,
 * inputs that are not files, reading begun, FLOWLOG_ON_ERROR_STOP): the
 * caller then reads r itself. Otherwise the first error that ends the
 * reading, or FLOWLOG_OK; r is then at its end. */
int flowlog__parallel_read(flowlog_reader *r, const flowlog__par_ops *ops);

/* FLOWLOG_OPT_THREADS as set (1: the default). */
int flowlog__reader_threads(const flowlog_reader *r);

/* For tests: the size of the parts a file is split into, and the least
 * every input must hold together, in place of the defaults (0). */
extern uint64_t flowlog__parallel_part_bytes;
extern uint64_t flowlog__parallel_min_bytes;
/* For tests: how many reads went on several threads, and parts read again. */
extern uint64_t flowlog__parallel_runs, flowlog__parallel_rereads;

#endif
