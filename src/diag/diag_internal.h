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

/* The fields a diagnosis and a sweep read: inputs that keep columns apart
 * (Parquet) are read for these alone (flowlog_reader_set_fields). */
static const uint32_t flowlog__diag_fields[] = {
    FLOWLOG_FIELD_INTERFACE_ID, FLOWLOG_FIELD_SRCADDR, FLOWLOG_FIELD_DSTADDR, FLOWLOG_FIELD_SRCPORT,
    FLOWLOG_FIELD_DSTPORT, FLOWLOG_FIELD_PROTOCOL, FLOWLOG_FIELD_PACKETS, FLOWLOG_FIELD_BYTES,
    FLOWLOG_FIELD_START, FLOWLOG_FIELD_END, FLOWLOG_FIELD_ACTION, FLOWLOG_FIELD_LOG_STATUS,
    FLOWLOG_FIELD_TCP_FLAGS, FLOWLOG_FIELD_PKT_SRCADDR, FLOWLOG_FIELD_PKT_DSTADDR, FLOWLOG_FIELD_FLOW_DIRECTION};
#define FLOWLOG__DIAG_NFIELDS (sizeof flowlog__diag_fields / sizeof flowlog__diag_fields[0])

#endif
