/* The verdict rules of DESIGN.md section 3, shared by a question's diagnosis
 * and the sweep so that both name the same evidence the same way. */
#include "diag_internal.h"

#include <flowlog/diag.h>

bool flowlog__late_rejects_after_close(const uint64_t *fwd, const uint64_t *rev, int protocol)
{
    /* AWS logs packets that arrive after a TCP connection closed as REJECT:
     * a few of them after a SYN-ACK and a FIN or RST are not a network ACL. */
    if (protocol != 6 || !(rev[FLOWLOG_DIAG_TCP_FLAGS] & FLOWLOG_TCP_SYN) || !rev[FLOWLOG_DIAG_RECORDS_ACCEPT])
        return false;
    if (!((fwd[FLOWLOG_DIAG_TCP_FLAGS] | rev[FLOWLOG_DIAG_TCP_FLAGS]) & (FLOWLOG_TCP_FIN | FLOWLOG_TCP_RST)))
        return false;
    uint64_t accepts = rev[FLOWLOG_DIAG_RECORDS_ACCEPT], rejects = rev[FLOWLOG_DIAG_RECORDS_REJECT];
    return rejects * 10 <= accepts + rejects;
}

int flowlog__verdict(const uint64_t *fwd, const uint64_t *rev, int protocol, bool mixed_fwd, bool mixed_rev)
{
    uint64_t fa = fwd[FLOWLOG_DIAG_RECORDS_ACCEPT], fr = fwd[FLOWLOG_DIAG_RECORDS_REJECT];
    uint64_t ra = rev[FLOWLOG_DIAG_RECORDS_ACCEPT], rr = rev[FLOWLOG_DIAG_RECORDS_REJECT];
    if (!(fa | fr | ra | rr))
        return FLOWLOG_VERDICT_NO_TRAFFIC;
    bool late = flowlog__late_rejects_after_close(fwd, rev, protocol);
    if (mixed_fwd || (mixed_rev && !late))
        return FLOWLOG_VERDICT_INTERMITTENT;
    if (fr)
        return FLOWLOG_VERDICT_BLOCKED;
    if (rr && !late)
        return FLOWLOG_VERDICT_RETURN_BLOCKED;
    uint64_t rflags = rev[FLOWLOG_DIAG_TCP_FLAGS];
    if (protocol == 6 && (rflags & FLOWLOG_TCP_RST) && !(rflags & FLOWLOG_TCP_SYN))
        return FLOWLOG_VERDICT_REFUSED;
    if (!ra)
        return fa ? FLOWLOG_VERDICT_NO_RESPONSE : FLOWLOG_VERDICT_RETURN_BLOCKED;
    return FLOWLOG_VERDICT_ESTABLISHED;
}
