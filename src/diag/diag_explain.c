/* The human explanation of a diagnosis: what the evidence says and what to
 * check next. Built only from the public accessors. */
#include "diag_internal.h"

#include <stdio.h>
#include <time.h>

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

/* A time as people read it: ISO 8601, UTC. */
static const char *iso(uint64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!t || !gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "-");
    return buf;
}

static const char *proto_name(int p, char buf[8])
{
    snprintf(buf, 8, "%s", p == 6 ? "tcp" : p == 17 ? "udp" : p == 1 ? "icmp" : p == 58 ? "icmpv6" : "");
    if (!buf[0])
        snprintf(buf, 8, "%d", p & 0xff);
    return buf;
}

/* What the client did instead, first: the likeliest explanation of a
 * missing or rejected request is that the client asked for something else. */
static void near_misses(text *t, const flowlog_diag *d)
{
    int kind, proto;
    unsigned port;
    flowlog_addr c, sv;
    uint64_t k[5];
    for (size_t i = 0; i < 5 && flowlog_diag_near_miss(d, i, &kind, &c, &sv, &port, &proto, k) == FLOWLOG_OK; i++) {
        char a[64], p[8], t0[32], t1[32];
        flowlog_addr_format(kind == FLOWLOG_NEAR_OTHER_CLIENT ? &c : &sv, a, sizeof a);
        if (kind == FLOWLOG_NEAR_OTHER_PORT)
            say(t, "- The client did reach the server on %s %u instead: %llu records (%llu ACCEPT, %llu REJECT), "
                   "%s to %s. Is %u the port you meant, or is the client configured with the wrong one?\n",
                proto_name(proto, p), port, (unsigned long long)k[0], (unsigned long long)k[1],
                (unsigned long long)k[2], iso(k[3], t0), iso(k[4], t1), port);
        else if (kind == FLOWLOG_NEAR_OTHER_SERVER)
            say(t, "- The client sent this traffic to %s instead: %llu records (%llu ACCEPT, %llu REJECT), %s to %s. "
                   "A DNS name resolving to another address, or a stale configuration, is the usual cause.\n",
                a, (unsigned long long)k[0], (unsigned long long)k[1], (unsigned long long)k[2], iso(k[3], t0),
                iso(k[4], t1));
        else
            say(t, "- Another client of the client's subnet, %s, reaches the server on this port: %llu records "
                   "(%llu ACCEPT, %llu REJECT), %s to %s. Compare its security groups and route with the client's.\n",
                a, (unsigned long long)k[0], (unsigned long long)k[1], (unsigned long long)k[2], iso(k[3], t0),
                iso(k[4], t1));
    }
}

/* For no-traffic: every gap in what the logs cover, or that there is none. */
static void coverage(text *t, const flowlog_diag *d, unsigned warn, const uint64_t window[2])
{
    bool gap = false;
    const char *id;
    int side;
    uint64_t span[2], gaps[2], range[2];
    bool seen[3] = {false, false, false};
    (void)flowlog_diag_time_range(d, range);
    /* What "throughout" means: the window, or where it is open, the time
     * the logs cover; an ENI's records come every aggregation interval (at
     * most 10 minutes), so a record that close to an end covers it. */
    uint64_t from = window[0] ? window[0] : range[0], to = window[1] ? window[1] : range[1];
    to = to > from ? to : from;
    for (size_t i = 0; flowlog_diag_endpoint_eni(d, i, &id, &side, span, gaps) == FLOWLOG_OK; i++) {
        char t0[32], t1[32];
        seen[side] = true;
        if (span[1] && (span[0] > from + 600 || span[1] + 600 < to)) {
            say(t, "- Gap: the %s's ENI %s is logged only from %s to %s (UTC).\n", flowlog_diag_side_name(side), id,
                iso(span[0], t0), iso(span[1], t1));
            gap = true;
            continue;
        }
        if (gaps[1]) {
            say(t, "- Gap: the %s's ENI %s has %llu SKIPDATA records in the window: records were lost, so the absence "
                   "of one proves nothing.\n",
                flowlog_diag_side_name(side), id, (unsigned long long)gaps[1]);
            gap = true;
        }
        if (gaps[0])
            say(t, "- The %s's ENI %s logged NODATA %llu times in the window: it saw no traffic at all then.\n",
                flowlog_diag_side_name(side), id, (unsigned long long)gaps[0]);
        if (span[1])
            say(t, "- The %s's ENI %s is logged from %s to %s.\n", flowlog_diag_side_name(side), id, iso(span[0], t0),
                iso(span[1], t1));
    }
    if (warn & FLOWLOG_WARN_CLIENT_ENI_NOT_LOGGED) {
        say(t, "- Gap: no ENI in these logs has the client's address: its ENI is not logged (or not in these "
               "files), so whether it sent anything is unknown.\n");
        gap = true;
    }
    if (warn & FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED) {
        say(t, "- Gap: no ENI in these logs has the server's address: its ENI is not logged (or not in these "
               "files).\n");
        gap = true;
    }
    if (warn & FLOWLOG_WARN_WINDOW_OUTSIDE_LOGS) {
        char t0[32], t1[32];
        say(t, "- Gap: the window lies outside the time these logs cover (%s to %s UTC).\n", iso(range[0], t0),
            iso(range[1], t1));
        gap = true;
    }
    if (warn & FLOWLOG_WARN_INCOMPLETE_INPUT) {
        say(t, "- Gap: some inputs were not read whole (listed above): the missing records may hold the traffic.\n");
        gap = true;
    }
    if (!gap && seen[FLOWLOG_SIDE_CLIENT] && seen[FLOWLOG_SIDE_SERVER])
        say(t, "- Both the client's and the server's ENIs were logged throughout the window with no SKIPDATA, and "
               "every input was read whole: the traffic did not happen.\n");
}

size_t flowlog_diag_explain(const flowlog_diag *d, char *buf, size_t size)
{
    text t = {buf, buf ? size : 0, 0};
    if (buf && size)
        buf[0] = '\0';
    if (!d)
        return 0;
    int v = flowlog_diag_verdict(d);
    int side = flowlog_diag_side(d);
    uint64_t window[2];
    flowlog__diag_window(d, window);
    unsigned warn = flowlog_diag_warnings(d);
    uint64_t rf = flowlog_diag_count(d, 1, FLOWLOG_DIAG_TCP_FLAGS);
    const char *server_eni = NULL, *client_eni = NULL, *any_eni = NULL, *nat_eni = NULL;
    bool inferred = false;
    for (size_t i = 0; i < flowlog_diag_eni_count(d); i++) {
        const char *id;
        int s;
        if (flowlog_diag_eni(d, i, &id, &s, NULL, NULL, NULL) != FLOWLOG_OK)
            continue;
        any_eni = any_eni ? any_eni : id;
        if (flowlog_diag_eni_translates(d, i) == 1 && !nat_eni)
            nat_eni = id;
        inferred = inferred || flowlog_diag_side_inferred(d, i) == 1;
        if (s == FLOWLOG_SIDE_SERVER && !server_eni)
            server_eni = id;
        if (s == FLOWLOG_SIDE_CLIENT && !client_eni)
            client_eni = id;
    }
    if (warn & FLOWLOG_WARN_INCOMPLETE_INPUT)
        say(&t, "The evidence is incomplete: some inputs could not be read whole. What follows rests only on the "
                "records that were read.\n");
    bool missing = v == FLOWLOG_VERDICT_NO_TRAFFIC || v == FLOWLOG_VERDICT_BLOCKED || v == FLOWLOG_VERDICT_NO_RESPONSE;
    if (missing && flowlog_diag_near_miss(d, 0, NULL, NULL, NULL, NULL, NULL, NULL) == FLOWLOG_OK) {
        say(&t, "What the client did instead:\n");
        near_misses(&t, d);
    }
    switch (v) {
    case FLOWLOG_VERDICT_NO_TRAFFIC:
        say(&t, "No flow-log record shows this traffic in either direction in what was read.\n"
                "What the logs cover:\n");
        coverage(&t, d, warn, window);
        say(&t, "Next steps:\n"
                "- Check that flow logs cover both the client's and the server's ENIs, and wait 10 minutes "
                "for records to arrive (delivery takes 5-10 minutes).\n"
                "- Check that the client resolves the server's name to this address and has a route to it.\n");
        if ((warn & FLOWLOG_WARN_NO_PKT_ADDR) && flowlog_diag_elsewhere(d, 0, NULL, NULL) == FLOWLOG_OK)
            say(&t, "- If the client reaches the server through a NAT gateway (or a transit gateway), its records "
                    "name the gateway's address, not the server's: the format lacks pkt-srcaddr and pkt-dstaddr, "
                    "which would tell. Add them to the flow log's format.\n");
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
        if (side == FLOWLOG_SIDE_INTERMEDIATE && nat_eni) {
            say(&t, "The request is ACCEPTed but the reply is REJECTed at the NAT gateway's ENI %s, on its way back "
                    "from the server. Security groups are stateful, so a network ACL (stateless) denies the reply.\n"
                    "Next steps:\n"
                    "- The NAT gateway subnet's network ACL must allow inbound traffic from the server on the "
                    "ephemeral ports (1024-65535), and outbound to the client.\n",
                nat_eni);
            break;
        }
        say(&t, "The request is ACCEPTed but the reply is REJECTed%s. Security groups are stateful and always "
                "let replies out, so a network ACL (stateless) denies the reply.\n",
            side == FLOWLOG_SIDE_SERVER ? " at the server's ENI" : side == FLOWLOG_SIDE_CLIENT ? " at the client's ENI" : "");
        say(&t, "Next steps:\n");
        if (side == FLOWLOG_SIDE_CLIENT)
            say(&t, "- The client subnet's network ACL must allow inbound traffic from the server's port to the "
                    "client's ephemeral ports (1024-65535).\n");
        else if (side == FLOWLOG_SIDE_SERVER)
            say(&t, "- The server subnet's network ACL must allow outbound traffic to the client on its "
                    "ephemeral ports (1024-65535).\n");
        else
            say(&t, "- The server subnet's network ACL must allow outbound traffic to the client on its "
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
        char t0[32], t1[32];
        if (fr_last && fa_first && fr_last <= fa_first)
            say(&t, "It was REJECTed until %s and ACCEPTed from %s on (UTC): a rule was fixed in between.\n",
                iso(fr_last, t0), iso(fa_first, t1));
        else if (fa_last && fr_first && fa_last <= fr_first)
            say(&t, "It was ACCEPTed until %s and REJECTed from %s on (UTC): a rule was removed or a deny added "
                    "in between.\n",
                iso(fa_last, t0), iso(fr_first, t1));
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
    if (inferred)
        say(&t, "- Which ENI is whose was inferred from what packets must do (these records name both addresses "
                "at both ENIs): a packet REJECTed at its sender's ENI never reaches the receiver's.\n");
    if (nat_eni && v != FLOWLOG_VERDICT_RETURN_BLOCKED)
        say(&t, "- %s translates for the client (a NAT gateway): its legs to and from the server are part of the "
                "evidence, and so is the traffic of every other client behind it to the same server and port.\n",
            nat_eni);
    if ((warn & FLOWLOG_WARN_SKIPDATA) && v != FLOWLOG_VERDICT_NO_TRAFFIC)
        say(&t, "- Warning: SKIPDATA records on an endpoint's or an involved ENI in the window: some records were "
                "lost; the evidence may be incomplete.\n");
    if ((warn & FLOWLOG_WARN_WINDOW_OUTSIDE_LOGS) && v != FLOWLOG_VERDICT_NO_TRAFFIC) {
        uint64_t range[2];
        char t0[32], t1[32];
        (void)flowlog_diag_time_range(d, range);
        say(&t, "- Warning: the window lies outside the time these logs cover (%s to %s UTC).\n", iso(range[0], t0),
            iso(range[1], t1));
    }
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
