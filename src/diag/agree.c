/* Whether the VPC's configuration explains the verdict the logs give: the
 * first checkpoint that blocks must be where the logs saw the traffic
 * stop. Built on the public calls of both. */
#include "diag_internal.h"

#include <stdio.h>

static bool on_request(int checkpoint)
{
    return checkpoint >= FLOWLOG_CHECK_CLIENT_SG_EGRESS && checkpoint <= FLOWLOG_CHECK_SERVER_SG_INGRESS;
}

static bool at_side(int checkpoint, int side)
{
    switch (checkpoint) {
    case FLOWLOG_CHECK_CLIENT_SG_EGRESS:
    case FLOWLOG_CHECK_CLIENT_ACL_EGRESS:
    case FLOWLOG_CHECK_CLIENT_ROUTE:
    case FLOWLOG_CHECK_CLIENT_ACL_INGRESS:
        return side == FLOWLOG_SIDE_CLIENT;
    default:
        return side == FLOWLOG_SIDE_SERVER;
    }
}

int flowlog_diag_agreement(const flowlog_diag *d, const flowlog_reach *r, char *why, size_t size)
{
    if (!d || !r || (!why && size))
        return FLOWLOG_E_ARG;
    char scratch[8];
    if (!why) {
        why = scratch;
        size = sizeof scratch;
    }
    int verdict = flowlog_diag_verdict(d), side = flowlog_diag_side(d), reachable = flowlog_reach_reachable(r);
    int at = flowlog_reach_blocking(r), checkpoint = 0, outcome = 0;
    const char *resource = "", *detail = "";
    int64_t rule = -1;
    if (at >= 0)
        (void)flowlog_reach_checkpoint(r, (size_t)at, &checkpoint, &outcome, &resource, &rule, &detail);
    const char *name = flowlog_verdict_name(verdict), *where = flowlog_checkpoint_name(checkpoint);
    if (reachable < 0) {
        snprintf(why, size, "the logs show %s; the configuration cannot say at %s: %s", name, where, detail);
        return FLOWLOG_AGREE_UNKNOWN;
    }
    switch (verdict) {
    case FLOWLOG_VERDICT_ESTABLISHED:
    case FLOWLOG_VERDICT_REFUSED:
    case FLOWLOG_VERDICT_NO_RESPONSE:
        if (reachable) {
            snprintf(why, size, "the logs show %s and every checkpoint of the configuration allows the traffic", name);
            return FLOWLOG_AGREE;
        }
        snprintf(why, size,
                 "the logs show %s, but the configuration blocks at %s (%s): it changed since the logs, or they are "
                 "of other traffic",
                 name, where, detail);
        return FLOWLOG_DISAGREE;
    case FLOWLOG_VERDICT_BLOCKED:
        if (reachable) {
            snprintf(why, size,
                     "the logs show the request REJECTed, but the configuration allows it: it changed since the logs");
            return FLOWLOG_DISAGREE;
        }
        bool known = side == FLOWLOG_SIDE_CLIENT || side == FLOWLOG_SIDE_SERVER;
        if (on_request(checkpoint) && (!known || at_side(checkpoint, side))) {
            snprintf(why, size, "the logs show the request REJECTed%s, and %s denies it at %s",
                     side == FLOWLOG_SIDE_SERVER ? " at the server" : side == FLOWLOG_SIDE_CLIENT ? " at the client" : "",
                     resource, where);
            return FLOWLOG_AGREE;
        }
        snprintf(why, size, "the logs show the request REJECTed at the %s, but the configuration first blocks at %s (%s)",
                 flowlog_diag_side_name(side), where, detail);
        return FLOWLOG_DISAGREE;
    case FLOWLOG_VERDICT_RETURN_BLOCKED:
        if (reachable) {
            snprintf(why, size, "the logs show the reply REJECTed, but the configuration allows it: it changed since the logs");
            return FLOWLOG_DISAGREE;
        }
        if (!on_request(checkpoint)) {
            snprintf(why, size, "the logs show the reply REJECTed, and %s denies it at %s", resource, where);
            return FLOWLOG_AGREE;
        }
        snprintf(why, size,
                 "the logs show the request ACCEPTed and the reply REJECTed, but the configuration blocks the request "
                 "at %s (%s): it changed since the logs",
                 where, detail);
        return FLOWLOG_DISAGREE;
    default:
        snprintf(why, size, "the logs show %s; the configuration %s%s%s", name,
                 reachable ? "allows the traffic" : "blocks it at ", reachable ? "" : where,
                 verdict == FLOWLOG_VERDICT_NO_TRAFFIC ? ", and no record of it was read to compare" : "");
        return FLOWLOG_AGREE_UNKNOWN;
    }
}
