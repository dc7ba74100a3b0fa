/* The human explanation of a diagnosis: what the evidence says and what to
 * check next. Built only from the public accessors. */
#include "internal.h"

#include <stdio.h>

typedef struct text {
    char *buf;
    size_t size, len;
} text;

static void say(text *t, const char *fmt, ...) FLOWLOG__PRINTF(2, 3);
static void say(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = t->len < t->size ? t->buf + t->len : NULL;
    int n = vsnprintf(dst, dst ? t->size - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

static const char capture_cmd[] =
    "aws ec2 create-flow-logs --resource-type NetworkInterface --resource-ids %s "
    "--traffic-type ALL --max-aggregation-interval 60 --log-destination-type s3 "
    "--log-destination arn:aws:s3:::YOUR-BUCKET --log-format '${version} ${account-id} ${interface-id} "
    "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} "
    "${action} ${log-status} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${flow-direction}'";

size_t flowlog_diag_explain(const flowlog_diag *d, char *buf, size_t size)
{
    text t = {buf, buf ? size : 0, 0};
    if (buf && size)
        buf[0] = '\0';
    if (!d)
        return 0;
    int v = flowlog_diag_verdict(d);
    int side = flowlog_diag_side(d);
    unsigned warn = flowlog_diag_warnings(d);
    uint64_t rf = flowlog_diag_count(d, 1, FLOWLOG_DIAG_TCP_FLAGS);
    const char *server_eni = NULL, *client_eni = NULL, *any_eni = NULL;
    for (size_t i = 0; i < flowlog_diag_eni_count(d); i++) {
        const char *id;
        int s;
        if (flowlog_diag_eni(d, i, &id, &s, NULL, NULL, NULL) != FLOWLOG_OK)
            continue;
        any_eni = any_eni ? any_eni : id;
        if (s == FLOWLOG_SIDE_SERVER && !server_eni)
            server_eni = id;
        if (s == FLOWLOG_SIDE_CLIENT && !client_eni)
            client_eni = id;
    }
    switch (v) {
    case FLOWLOG_VERDICT_NO_TRAFFIC:
        say(&t, "No flow-log record shows this traffic in either direction: it never reached a logged ENI.\n"
                "Next steps:\n"
                "- Check that flow logs cover both the client's and the server's ENIs, and wait 10 minutes "
                "for records to arrive (delivery takes 5-10 minutes).\n"
                "- Check that the client resolves the server's name to this address and has a route to it.\n");
        if (flowlog_diag_elsewhere(d, 0, NULL, NULL) == FLOWLOG_OK)
            say(&t, "- The client did send this traffic to other addresses (listed above): a DNS name "
                    "resolving to another address is the usual cause.\n");
        break;
    case FLOWLOG_VERDICT_BLOCKED:
        say(&t, "The request is REJECTed%s: a security group or network ACL denies it.\n",
            side == FLOWLOG_SIDE_SERVER ? " at the server's ENI" : side == FLOWLOG_SIDE_CLIENT ? " at the client's ENI" : "");
        say(&t, "Next steps:\n");
        if (side == FLOWLOG_SIDE_SERVER || side == FLOWLOG_SIDE_UNKNOWN || side == FLOWLOG_SIDE_INTERMEDIATE)
            say(&t, "- The server's security group must allow inbound traffic on the port from the client's "
                    "address or security group.\n"
                    "- The server subnet's network ACL must allow the inbound request, and its outbound rules the "
                    "replies to ports 1024-65535.\n");
        if (side == FLOWLOG_SIDE_CLIENT || side == FLOWLOG_SIDE_UNKNOWN || side == FLOWLOG_SIDE_INTERMEDIATE)
            say(&t, "- The client's security group must allow outbound traffic to the server's port.\n"
                    "- The client subnet's network ACL must allow the outbound request and inbound replies on "
                    "ports 1024-65535.\n");
        say(&t, "- Flow logs do not say which of the two rejected; check the security group first: it is "
                "the usual cause.\n");
        break;
    case FLOWLOG_VERDICT_RETURN_BLOCKED:
        say(&t, "The request is ACCEPTed but the reply is REJECTed%s. Security groups are stateful and always "
                "let replies out, so a network ACL (stateless) denies the reply.\n",
            side == FLOWLOG_SIDE_SERVER ? " at the server's ENI" : side == FLOWLOG_SIDE_CLIENT ? " at the client's ENI" : "");
        say(&t, "Next steps:\n"
                "- The server subnet's network ACL must allow outbound traffic to the client on its "
                "ephemeral ports (1024-65535), and the client subnet's network ACL must allow them inbound.\n");
        break;
    case FLOWLOG_VERDICT_REFUSED:
        say(&t, "The network passes the packets both ways, but the server answers with a TCP reset: nothing "
                "listens on the port, or the service refuses the connection.\n"
                "Next steps:\n"
                "- On the server, check the service is running and listening on that port and address "
                "(ss -ltnp).\n");
        break;
    case FLOWLOG_VERDICT_NO_RESPONSE:
        say(&t, "The request is ACCEPTed but nothing comes back: the host firewall drops it, the instance is down "
                "or overloaded, or the reply is not logged.\n"
                "Next steps:\n"
                "- Check the server is running and its host firewall (iptables, Windows Firewall) allows the port.\n");
        if (!server_eni)
            say(&t, "- The server's ENI is not in these logs: its records would show whether it replied.\n");
        break;
    case FLOWLOG_VERDICT_ESTABLISHED:
        say(&t, "The network layer is fine: the request and the replies are ACCEPTed%s.\n"
                "Next steps: look above the network: the application and its logs, TLS certificates, "
                "credentials and IAM, DNS names, timeouts.\n",
            (rf & FLOWLOG_TCP_SYN_ACK) == FLOWLOG_TCP_SYN_ACK ? " and the server answered SYN with SYN-ACK" : "");
        break;
    case FLOWLOG_VERDICT_INTERMITTENT: {
        uint64_t fa_last = flowlog_diag_count(d, 0, FLOWLOG_DIAG_LAST_ACCEPT), fr_last = flowlog_diag_count(d, 0, FLOWLOG_DIAG_LAST_REJECT);
        uint64_t fa_first = flowlog_diag_count(d, 0, FLOWLOG_DIAG_FIRST_ACCEPT), fr_first = flowlog_diag_count(d, 0, FLOWLOG_DIAG_FIRST_REJECT);
        say(&t, "The same traffic is both ACCEPTed and REJECTed at one ENI.\n");
        if (fr_last && fa_first && fr_last <= fa_first)
            say(&t, "It was REJECTed until %llu and ACCEPTed from %llu on: a rule was fixed in between.\n",
                (unsigned long long)fr_last, (unsigned long long)fa_first);
        else if (fa_last && fr_first && fa_last <= fr_first)
            say(&t, "It was ACCEPTed until %llu and REJECTed from %llu on: a rule was removed or a deny added "
                    "in between.\n",
                (unsigned long long)fa_last, (unsigned long long)fr_first);
        else
            say(&t, "ACCEPT and REJECT overlap in time: some client addresses are allowed and others not "
                    "(see the clients above), or rules keep changing.\n");
        say(&t, "Next steps: compare the security group and network ACL rules with the client addresses that "
                "were rejected; check CloudTrail for rule changes in the window.\n");
        break;
    }
    default:
        break;
    }
    if (warn & FLOWLOG_WARN_SKIPDATA)
        say(&t, "- Warning: SKIPDATA records on an involved ENI: some records were lost; the evidence may be incomplete.\n");
    if (warn & FLOWLOG_WARN_SHORT_WINDOW)
        say(&t, "- Warning: the window is shorter than the 10-minute aggregation interval; widen it.\n");
    if (warn & FLOWLOG_WARN_TRUNCATED)
        say(&t, "- Warning: a table was full, so some detail is missing.\n");
    if (warn & (FLOWLOG_WARN_ONE_SIDE | FLOWLOG_WARN_NO_TCP_FLAGS | FLOWLOG_WARN_NO_PKT_ADDR | FLOWLOG_WARN_NO_FLOW_DIRECTION)) {
        say(&t, "To capture the missing evidence");
        if (warn & FLOWLOG_WARN_ONE_SIDE)
            say(&t, " (only %s side's ENI is logged)", server_eni ? "the server" : client_eni ? "the client" : "one");
        if (warn & (FLOWLOG_WARN_NO_TCP_FLAGS | FLOWLOG_WARN_NO_PKT_ADDR | FLOWLOG_WARN_NO_FLOW_DIRECTION))
            say(&t, " (the format lacks%s%s%s)", warn & FLOWLOG_WARN_NO_TCP_FLAGS ? " tcp-flags" : "",
                warn & FLOWLOG_WARN_NO_PKT_ADDR ? " pkt-srcaddr/pkt-dstaddr" : "",
                warn & FLOWLOG_WARN_NO_FLOW_DIRECTION ? " flow-direction" : "");
        say(&t, ", log both ENIs with every field the diagnosis uses, then look again after 10 minutes:\n  ");
        say(&t, capture_cmd, (warn & FLOWLOG_WARN_ONE_SIDE) ? (server_eni ? "CLIENT-ENI" : client_eni ? "SERVER-ENI" : "CLIENT-ENI SERVER-ENI")
                                                           : (any_eni ? any_eni : "ENI-ID"));
        say(&t, "\n");
    }
    return t.len;
}
