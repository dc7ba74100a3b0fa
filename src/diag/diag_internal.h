/* Declarations shared by the diagnosis layer's files (src/diag). */
#ifndef FLOWLOG_DIAG_INTERNAL_H
#define FLOWLOG_DIAG_INTERNAL_H

#include "../core/internal.h"

/* ---- diagnosis verdicts (verdict.c) ----
 * fwd and rev are counters indexed by enum flowlog_diag_counter. mixed_*:
 * one ENI saw both ACCEPT and REJECT in that direction. */
bool flowlog__late_rejects_after_close(const uint64_t *fwd, const uint64_t *rev, int protocol);
/* The window a diagnosis asks about: since, until (0: open). */
void flowlog__diag_window(const flowlog_diag *d, uint64_t window[2]);
int flowlog__verdict(const uint64_t *fwd, const uint64_t *rev, int protocol, bool mixed_fwd, bool mixed_rev);

#endif
