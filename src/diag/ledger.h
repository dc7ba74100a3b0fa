/* The account of the inputs a result rests on: for each input, the records
 * and bad lines it gave and whether it was read to its end. A diagnosis and
 * a sweep each keep one, merge it and serialise it with their state, so a
 * result combined from many workers still says what it did not read. */
#ifndef FLOWLOG_LEDGER_H
#define FLOWLOG_LEDGER_H

#include "../core/internal.h"
#include "serial.h"

#include <flowlog/reader.h>

/* Inputs listed one by one at most; the rest are summed (more_*). */
#define FLOWLOG__LEDGER_MAX 65536
#define FLOWLOG__LEDGER_NAME_MAX 4096

typedef struct flowlog__ledger_entry {
    char *name;
    char *reason; /* why it failed, or NULL */
    uint64_t records, errors;
    int status;   /* enum flowlog_input_status */
} flowlog__ledger_entry;

typedef struct flowlog__ledger {
    flowlog__ledger_entry *e; /* sorted by name, each name once */
    size_t n, cap;
    uint64_t more_inputs, more_records, more_errors, more_unread;
} flowlog__ledger;

/* Add one input's account; the same name again adds into it (a file split
 * between workers), keeping the worse status. */
int flowlog__ledger_add(flowlog__ledger *l, const flowlog_allocator *a, const char *name, int status,
                        uint64_t records, uint64_t errors, const char *reason);
int flowlog__ledger_add_reader(flowlog__ledger *l, const flowlog_allocator *a, const flowlog_reader *r);
int flowlog__ledger_merge(flowlog__ledger *dst, const flowlog_allocator *a, const flowlog__ledger *src);
void flowlog__ledger_free(flowlog__ledger *l, const flowlog_allocator *a);
/* Every input read to its end without a bad line (true when none was added). */
bool flowlog__ledger_complete(const flowlog__ledger *l);
size_t flowlog__ledger_count(const flowlog__ledger *l);
int flowlog__ledger_entry_at(const flowlog__ledger *l, size_t index, const char **name, int *status,
                             uint64_t *records, uint64_t *errors, const char **reason);
void flowlog__ledger_put(flowlog__writer *w, const flowlog__ledger *l);
/* Marks r bad on impossible contents; FLOWLOG_E_NOMEM when memory fails. */
int flowlog__ledger_get(flowlog__reader *r, flowlog__ledger *l, const flowlog_allocator *a);

#endif
