/* One question evaluated against the configuration: each checkpoint of the
 * request and of the reply, the first that blocks, and the smallest change
 * that opens it. */
#include "config_internal.h"

#include <stdio.h>

#define MAX_CHECKS 8

typedef struct check {
    int checkpoint, outcome;
    int64_t rule;
    const cfg_acl *acl; /* the ACL an ACL checkpoint read */
    char resource[160];
    char detail[768];
} check;

struct flowlog_reach {
    flowlog_allocator alloc;
    flowlog__error err;
    const flowlog_config *c;
    /* the question */
    flowlog_addr client, server;
    unsigned port, eph_lo, eph_hi;
    int protocol;
    const cfg_eni *eni[2]; /* client, server; NULL outside the configuration */
    /* the answer */
    check checks[MAX_CHECKS];
    size_t n;
    int reachable, blocking;
    char fix[512], command[768];
};

static const char *const checkpoint_names[] = {
    NULL, "client-sg-egress", "client-acl-egress", "client-route", "server-acl-ingress",
    "server-sg-ingress", "server-acl-egress", "server-route", "client-acl-ingress",
};
static const char *const outcome_names[] = {NULL, "allow", "deny", "partial", "unknown", "outside"};

const char *flowlog_checkpoint_name(int checkpoint)
{
    return checkpoint >= FLOWLOG_CHECK_CLIENT_SG_EGRESS && checkpoint <= FLOWLOG_CHECK_CLIENT_ACL_INGRESS
               ? checkpoint_names[checkpoint]
               : NULL;
}

const char *flowlog_check_outcome_name(int outcome)
{
    return outcome >= FLOWLOG_CHECK_ALLOW && outcome <= FLOWLOG_CHECK_OUTSIDE ? outcome_names[outcome] : NULL;
}

int flowlog_reach_new(flowlog_reach **out, const flowlog_config *c, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (!c || flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_reach *r = flowlog__calloc(&al, 1, sizeof *r);
    if (!r)
        return FLOWLOG_E_NOMEM;
    r->alloc = al;
    r->c = c;
    r->blocking = -1;
    flowlog__error_clear(&r->err);
    *out = r;
    return FLOWLOG_OK;
}

int flowlog_reach_new_ex(flowlog_reach **out, const flowlog_config *c, const flowlog_allocator *a,
                         flowlog_error_info *err)
{
    int rc = flowlog_reach_new(out, c, a);
    if (rc == FLOWLOG_E_ARG && out && !c) {
        flowlog__error why;
        flowlog__error_static(&why, 0, -1, "a configuration is required");
        return flowlog__error_info(err, rc, &why);
    }
    return flowlog__error_info_args(err, rc, out, a, NULL, false);
}

void flowlog_reach_free(flowlog_reach *r)
{
    if (r)
        FLOWLOG__FREE(&r->alloc, r, sizeof *r);
}

/* ---- words ---- */

static bool is_icmp(int protocol)
{
    return protocol == 1 || protocol == 58;
}

static bool has_ports(int protocol)
{
    return protocol == 6 || protocol == 17;
}

static const char *protocol_word(int protocol, char buf[8])
{
    switch (protocol) {
    case CFG_ANY: return "all traffic";
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: snprintf(buf, 8, "%d", protocol); return buf;
    }
}

static void range_words(char *buf, size_t size, int protocol, int from, int to)
{
    char p[8];
    const char *word = protocol_word(protocol, p);
    if (protocol == CFG_ANY || (!has_ports(protocol) && !is_icmp(protocol)))
        snprintf(buf, size, "%s", word);
    else if (is_icmp(protocol))
        snprintf(buf, size, "%s type %s", word, from == CFG_ANY ? "any" : (snprintf(p, sizeof p, "%d", from), p));
    else if (from == CFG_ANY || (from <= 0 && to >= 65535))
        snprintf(buf, size, "%s all ports", word);
    else if (from == to)
        snprintf(buf, size, "%s %d", word, from);
    else
        snprintf(buf, size, "%s %d-%d", word, from, to);
}

/* The traffic asked about: ports lo-hi, or for ICMP the type and code
 * packed in icmp (type * 256 + code; 65535 for any). */
static void traffic_words(char *buf, size_t size, int protocol, int lo, int hi, unsigned icmp)
{
    char p[8];
    if (is_icmp(protocol) && icmp != 65535)
        snprintf(buf, size, "%s type %u code %u", protocol_word(protocol, p), icmp >> 8, icmp & 255);
    else if (is_icmp(protocol))
        snprintf(buf, size, "%s", protocol_word(protocol, p));
    else
        range_words(buf, size, protocol, lo, hi);
}

static void cidr_words(char *buf, size_t size, const cfg_cidr *c)
{
    char a[48];
    flowlog_addr_format(&c->net, a, sizeof a);
    snprintf(buf, size, "%s/%u", a, c->prefix);
}

static void addr_words(char *buf, size_t size, const flowlog_addr *a)
{
    flowlog_addr_format(a, buf, size);
}

static void host_cidr(char *buf, size_t size, const flowlog_addr *a)
{
    char t[48];
    flowlog_addr_format(a, t, sizeof t);
    snprintf(buf, size, "%s/%u", t, a->family == FLOWLOG_AF_INET ? 32u : 128u);
}

/* ---- security groups ---- */

static bool eni_has_group(const cfg_eni *e, const char *group)
{
    for (size_t i = 0; e && i < e->ngroups; i++)
        if (strcmp(e->groups[i], group) == 0)
            return true;
    return false;
}

/* Whether a rule's protocol and ports (or ICMP type and code) take the traffic. */
static bool takes(int rule_protocol, int from, int to, int protocol, unsigned port)
{
    if (rule_protocol == CFG_ANY)
        return true;
    if (rule_protocol != protocol)
        return false;
    if (has_ports(protocol))
        return from == CFG_ANY || ((int)port >= from && (int)port <= to);
    if (is_icmp(protocol)) {
        int type = port == 65535 ? CFG_ANY : (int)(port >> 8), code = port == 65535 ? CFG_ANY : (int)(port & 255);
        return (from == CFG_ANY || from == type) && (to == CFG_ANY || to == code);
    }
    return true;
}

/* The peer matches a rule: 1 yes, 0 no, -1 cannot say (a prefix list whose entries are not loaded). */
static int peer_matches(const flowlog_config *c, const sg_rule *r, const flowlog_addr *peer, const cfg_eni *peer_eni)
{
    switch (r->peer_kind) {
    case PEER_CIDR:
        return flowlog_addr_in_cidr(peer, &r->cidr.net, r->cidr.prefix);
    case PEER_GROUP:
        return eni_has_group(peer_eni, r->ref);
    default: {
        const cfg_plist *p = flowlog__cfg_plist(c, r->ref);
        if (!p || !p->resolved)
            return -1;
        for (size_t i = 0; i < p->nentries; i++)
            if (flowlog_addr_in_cidr(peer, &p->entries[i].net, p->entries[i].prefix))
                return 1;
        return 0;
    }
    }
}

static void rule_words(char *buf, size_t size, const sg_rule *r, bool egress)
{
    char what[48], peer[64];
    range_words(what, sizeof what, r->protocol, r->from, r->to);
    if (r->peer_kind == PEER_CIDR)
        cidr_words(peer, sizeof peer, &r->cidr);
    else
        snprintf(peer, sizeof peer, "%s", r->ref);
    snprintf(buf, size, "%s %s %s", what, egress ? "to" : "from", peer);
}

static void eval_sg(flowlog_reach *x, check *ck, const cfg_eni *e, bool egress, const flowlog_addr *peer,
                    const cfg_eni *peer_eni)
{
    const flowlog_config *c = x->c;
    int dir = egress ? 1 : 0;
    char peer_text[48], what[48];
    addr_words(peer_text, sizeof peer_text, peer);
    traffic_words(what, sizeof what, x->protocol, (int)x->port, (int)x->port, x->port);
    if (!e->ngroups) {
        ck->outcome = FLOWLOG_CHECK_ALLOW;
        snprintf(ck->detail, sizeof ck->detail, "no security group applies to %s (%s)", e->id,
                 e->type ? e->type : "no groups");
        return;
    }
    const char *unresolved = NULL, *missing = NULL;
    size_t used = 0;
    for (size_t g = 0; g < e->ngroups; g++) {
        int n = snprintf(ck->resource + used, sizeof ck->resource - used, "%s%s", g ? " " : "", e->groups[g]);
        if (n > 0 && used + (size_t)n < sizeof ck->resource)
            used += (size_t)n;
        const cfg_sg *sg = flowlog__cfg_sg(c, e->groups[g]);
        if (!sg) {
            missing = e->groups[g];
            continue;
        }
        for (size_t i = 0; i < sg->nrules[dir]; i++) {
            const sg_rule *r = &sg->rules[dir][i];
            if (!takes(r->protocol, r->from, r->to, x->protocol, x->port))
                continue;
            int m = peer_matches(c, r, peer, peer_eni);
            if (m < 0 && !unresolved)
                unresolved = r->ref;
            if (m > 0) {
                char rw[160];
                rule_words(rw, sizeof rw, r, egress);
                ck->outcome = FLOWLOG_CHECK_ALLOW;
                snprintf(ck->resource, sizeof ck->resource, "%s", sg->id);
                snprintf(ck->detail, sizeof ck->detail, "%s allows %s (%s)", sg->id, rw,
                         egress ? "outbound" : "inbound");
                return;
            }
        }
    }
    if (unresolved || missing) {
        ck->outcome = FLOWLOG_CHECK_UNKNOWN;
        if (unresolved)
            snprintf(ck->detail, sizeof ck->detail,
                     "only prefix list %s could allow %s %s %s, and its entries are not loaded", unresolved, what,
                     egress ? "to" : "from", peer_text);
        else
            snprintf(ck->detail, sizeof ck->detail, "%s of %s is not in describe-security-groups", missing, e->id);
        return;
    }
    ck->outcome = FLOWLOG_CHECK_DENY;
    snprintf(ck->detail, sizeof ck->detail, "no rule of %s allows %s %s %s (%s)", ck->resource, what,
             egress ? "to" : "from", peer_text, egress ? "outbound" : "inbound");
}

/* ---- network ACLs ---- */

typedef struct span {
    int lo, hi;
} span;

static void entry_words(char *buf, size_t size, const acl_entry *e)
{
    char what[48], peer[64], num[8];
    range_words(what, sizeof what, e->protocol, is_icmp(e->protocol) ? e->icmp_type : e->from,
                is_icmp(e->protocol) ? e->icmp_code : e->to);
    cidr_words(peer, sizeof peer, &e->cidr);
    snprintf(num, sizeof num, "%d", e->number);
    snprintf(buf, size, "rule %s (%s %s %s %s)", e->number == 32767 ? "*" : num, e->allow ? "allow" : "deny",
             what, e->egress ? "to" : "from", peer);
}

static void spans_words(char *buf, size_t size, const span *s, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int k = s[i].lo == s[i].hi ? snprintf(buf + used, size - used, "%s%d", i ? ", " : "", s[i].lo)
                                   : snprintf(buf + used, size - used, "%s%d-%d", i ? ", " : "", s[i].lo, s[i].hi);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* Evaluate ports [lo, hi] (or the ICMP type and code in `port`) through an
 * ACL's entries of one direction, first match per port. */
static int eval_acl(flowlog_reach *x, check *ck, const cfg_acl *a, bool egress, const flowlog_addr *peer, int protocol,
                    unsigned icmp, int lo, int hi)
{
    snprintf(ck->resource, sizeof ck->resource, "%s", a->id);
    /* each entry splits a span in at most three: the open spans never
     * outnumber the entries seen plus one */
    size_t cap = 2 * a->nentries + 2;
    span *open = x->alloc.alloc(x->alloc.ctx, 4 * cap * sizeof *open);
    if (!open)
        return FLOWLOG_E_NOMEM;
    span *next = open + cap, *allowed = open + 2 * cap, *denied = open + 3 * cap;
    size_t nopen = 1, nallowed = 0, ndenied = 0;
    open[0] = (span){lo, hi};
    const acl_entry *first_allow = NULL, *first_deny = NULL;
    for (size_t i = 0; i < a->nentries && nopen; i++) {
        const acl_entry *e = &a->entries[i];
        if (e->egress != egress || !flowlog_addr_in_cidr(peer, &e->cidr.net, e->cidr.prefix))
            continue;
        if (e->protocol != CFG_ANY && e->protocol != protocol)
            continue;
        int elo = 0, ehi = 65535;
        if (is_icmp(protocol) && e->protocol != CFG_ANY) {
            if (!takes(e->protocol, e->icmp_type, e->icmp_code, protocol, icmp))
                continue;
        } else if (has_ports(protocol) && e->protocol != CFG_ANY) {
            elo = e->from;
            ehi = e->to;
        }
        size_t nnext = 0;
        bool took = false;
        for (size_t k = 0; k < nopen; k++) {
            span sp = open[k];
            int ilo = sp.lo > elo ? sp.lo : elo, ihi = sp.hi < ehi ? sp.hi : ehi;
            if (ilo > ihi) {
                next[nnext++] = sp;
                continue;
            }
            took = true;
            if (e->allow)
                allowed[nallowed++] = (span){ilo, ihi};
            else
                denied[ndenied++] = (span){ilo, ihi};
            if (sp.lo < ilo)
                next[nnext++] = (span){sp.lo, ilo - 1};
            if (ihi < sp.hi)
                next[nnext++] = (span){ihi + 1, sp.hi};
        }
        if (took && e->allow && !first_allow)
            first_allow = e;
        if (took && !e->allow && !first_deny)
            first_deny = e;
        memcpy(open, next, nnext * sizeof *open);
        nopen = nnext;
    }
    char what[48], peer_text[48];
    traffic_words(what, sizeof what, protocol, lo, hi, icmp);
    addr_words(peer_text, sizeof peer_text, peer);
    long long total = (long long)hi - lo + 1, yes = 0;
    for (size_t i = 0; i < nallowed; i++)
        yes += allowed[i].hi - allowed[i].lo + 1;
    if (is_icmp(protocol) || !has_ports(protocol))
        total = 1, yes = nallowed > 0;
    char ew[160];
    if (yes == total) {
        ck->outcome = FLOWLOG_CHECK_ALLOW;
        ck->rule = first_allow->number;
        entry_words(ew, sizeof ew, first_allow);
        snprintf(ck->detail, sizeof ck->detail, "%s takes %s %s %s", ew, what, egress ? "to" : "from", peer_text);
    } else if (yes == 0) {
        ck->outcome = FLOWLOG_CHECK_DENY;
        if (first_deny) {
            ck->rule = first_deny->number;
            entry_words(ew, sizeof ew, first_deny);
            snprintf(ck->detail, sizeof ck->detail, "%s matches %s %s %s first", ew, what, egress ? "to" : "from",
                     peer_text);
        } else {
            ck->rule = 32767;
            snprintf(ck->detail, sizeof ck->detail, "no rule allows %s %s %s; the final * denies it", what,
                     egress ? "to" : "from", peer_text);
        }
    } else {
        ck->outcome = FLOWLOG_CHECK_PARTIAL;
        ck->rule = first_deny ? first_deny->number : 32767;
        /* the ports denied: every one not allowed, in order */
        span *refused = next;
        size_t nrefused = 0;
        int from = lo;
        for (bool more = true; more && nrefused < cap;) {
            more = false;
            int start = hi + 1, end = hi + 1;
            for (size_t i = 0; i < nallowed; i++)
                if (allowed[i].lo >= from && allowed[i].lo < start) {
                    start = allowed[i].lo;
                    end = allowed[i].hi;
                }
            if (from < start)
                refused[nrefused++] = (span){from, start - 1};
            if (start <= hi) {
                from = end + 1;
                more = from <= hi;
            }
        }
        char allowed_words[120], refused_words[120];
        spans_words(allowed_words, sizeof allowed_words, allowed, nallowed);
        spans_words(refused_words, sizeof refused_words, refused, nrefused);
        if (first_deny)
            entry_words(ew, sizeof ew, first_deny);
        snprintf(ck->detail, sizeof ck->detail, "%s %s %s: allowed to ports %s only; %s denies %s",
                 what, egress ? "to" : "from", peer_text, allowed_words, first_deny ? ew : "the final *",
                 refused_words);
    }
    x->alloc.free(x->alloc.ctx, open, 4 * cap * sizeof *open);
    return FLOWLOG_OK;
}

/* ---- routes ---- */

static void eval_route(flowlog_reach *x, check *ck, const cfg_eni *from, const flowlog_addr *to)
{
    const cfg_rtb *t = flowlog__cfg_rtb_of(x->c, from->subnet, from->vpc);
    char dest[48];
    addr_words(dest, sizeof dest, to);
    if (!t) {
        ck->outcome = FLOWLOG_CHECK_UNKNOWN;
        snprintf(ck->detail, sizeof ck->detail, "no route table of %s (nor a main one of %s) was loaded", from->subnet,
                 from->vpc);
        return;
    }
    snprintf(ck->resource, sizeof ck->resource, "%s", t->id);
    const cfg_route *best = NULL;
    unsigned best_prefix = 0;
    const char *unresolved = NULL;
    for (size_t i = 0; i < t->nroutes; i++) {
        const cfg_route *r = &t->routes[i];
        if (r->dest_list) {
            const cfg_plist *p = flowlog__cfg_plist(x->c, r->dest_list);
            if (!p || !p->resolved) {
                unresolved = r->dest_list;
                continue;
            }
            for (size_t k = 0; k < p->nentries; k++)
                if (flowlog_addr_in_cidr(to, &p->entries[k].net, p->entries[k].prefix) &&
                    (!best || p->entries[k].prefix > best_prefix)) {
                    best = r;
                    best_prefix = p->entries[k].prefix;
                }
            continue;
        }
        if (flowlog_addr_in_cidr(to, &r->dest.net, r->dest.prefix) && (!best || r->dest.prefix > best_prefix)) {
            best = r;
            best_prefix = r->dest.prefix;
        }
    }
    if (!best) {
        ck->outcome = unresolved ? FLOWLOG_CHECK_UNKNOWN : FLOWLOG_CHECK_DENY;
        if (unresolved)
            snprintf(ck->detail, sizeof ck->detail, "%s has no route to %s unless prefix list %s (not loaded) holds it",
                     t->id, dest, unresolved);
        else
            snprintf(ck->detail, sizeof ck->detail, "%s has no route to %s", t->id, dest);
        return;
    }
    char d[64];
    if (best->dest_list)
        snprintf(d, sizeof d, "%s", best->dest_list);
    else
        cidr_words(d, sizeof d, &best->dest);
    if (best->blackhole) {
        ck->outcome = FLOWLOG_CHECK_DENY;
        snprintf(ck->detail, sizeof ck->detail, "the route to %s in %s is a blackhole (its target %s is gone)", d,
                 t->id, best->target[0] ? best->target : "");
        return;
    }
    ck->outcome = FLOWLOG_CHECK_ALLOW;
    snprintf(ck->detail, sizeof ck->detail, "%s routes %s to %s", t->id, d, best->target[0] ? best->target : "?");
}

/* ---- the path ---- */

static check *add(flowlog_reach *x, int checkpoint)
{
    check *ck = &x->checks[x->n++];
    memset(ck, 0, sizeof *ck);
    ck->checkpoint = checkpoint;
    ck->rule = -1;
    return ck;
}

static void outside(check *ck, const flowlog_addr *a)
{
    char t[48];
    addr_words(t, sizeof t, a);
    ck->outcome = FLOWLOG_CHECK_OUTSIDE;
    snprintf(ck->detail, sizeof ck->detail, "%s is not an address of any described ENI", t);
}

static int acl_check(flowlog_reach *x, int checkpoint, const cfg_eni *e, const cfg_eni *other, bool egress,
                     const flowlog_addr *peer, bool reply)
{
    check *ck = add(x, checkpoint);
    if (!e) {
        outside(ck, checkpoint == FLOWLOG_CHECK_CLIENT_ACL_EGRESS || checkpoint == FLOWLOG_CHECK_CLIENT_ACL_INGRESS
                        ? &x->client
                        : &x->server);
        return FLOWLOG_OK;
    }
    const cfg_acl *a = flowlog__cfg_acl_of(x->c, e->subnet, e->vpc);
    if (!a) {
        ck->outcome = FLOWLOG_CHECK_UNKNOWN;
        snprintf(ck->detail, sizeof ck->detail, "no network ACL of %s (nor a default one of %s) was loaded", e->subnet,
                 e->vpc);
        return FLOWLOG_OK;
    }
    if (other && strcmp(other->subnet, e->subnet) == 0) {
        ck->outcome = FLOWLOG_CHECK_ALLOW;
        snprintf(ck->resource, sizeof ck->resource, "%s", a->id);
        snprintf(ck->detail, sizeof ck->detail, "both endpoints are in %s: network ACLs do not apply", e->subnet);
        return FLOWLOG_OK;
    }
    ck->acl = a;
    int lo, hi;
    unsigned icmp = x->port;
    if (reply && has_ports(x->protocol)) {
        lo = (int)x->eph_lo;
        hi = (int)x->eph_hi;
    } else {
        lo = hi = (int)x->port;
    }
    if (reply && is_icmp(x->protocol) && x->port != 65535) {
        /* the echo request's reply is the echo reply */
        unsigned type = x->port >> 8;
        if ((x->protocol == 1 && type == 8) || (x->protocol == 58 && type == 128))
            icmp = ((type == 8 ? 0u : 129u) << 8) | (x->port & 255);
    }
    return eval_acl(x, ck, a, egress, peer, x->protocol, icmp, lo, hi);
}

static bool parse_one(flowlog_reach *x, const char *text, const char *what, flowlog_addr *out)
{
    if (text && flowlog_addr_parse(text, strlen(text), out) == FLOWLOG_OK)
        return true;
    flowlog__error_set(&x->err, 0, -1, "%s '%s' is not one IPv4 or IPv6 address", what, text ? text : "(null)");
    return false;
}

static void write_fix(flowlog_reach *x);

int flowlog_reach_evaluate(flowlog_reach *x, const char *client, const char *server, unsigned port, int protocol,
                           unsigned eph_lo, unsigned eph_hi)
{
    if (!x)
        return FLOWLOG_E_ARG;
    flowlog__error_clear(&x->err);
    x->n = 0;
    x->reachable = 0;
    x->blocking = -1;
    x->fix[0] = x->command[0] = '\0';
    if (!parse_one(x, client, "client", &x->client) || !parse_one(x, server, "server", &x->server))
        return FLOWLOG_E_QUERY;
    if (x->client.family != x->server.family) {
        flowlog__error_static(&x->err, 0, -1, "the client and the server are not of one address family");
        return FLOWLOG_E_QUERY;
    }
    if (protocol < 0 || protocol > 255 || port > 65535 || eph_lo > eph_hi || eph_hi > 65535) {
        flowlog__error_set(&x->err, 0, -1, "protocol %d, port %u or ephemeral ports %u-%u out of range", protocol,
                           port, eph_lo, eph_hi);
        return FLOWLOG_E_QUERY;
    }
    x->port = port;
    x->protocol = protocol;
    x->eph_lo = eph_lo;
    x->eph_hi = eph_hi;
    const cfg_eni *ce = flowlog__cfg_eni_by_addr(x->c, &x->client), *se = flowlog__cfg_eni_by_addr(x->c, &x->server);
    x->eni[0] = ce;
    x->eni[1] = se;
    if (!ce && !se) {
        flowlog__error_static(&x->err, 0, -1,
                              "neither the client nor the server is an address of an ENI in describe-network-interfaces");
        return FLOWLOG_E_QUERY;
    }
    bool routes = flowlog_config_has(x->c, FLOWLOG_CONFIG_ROUTE_TABLES);
    int rc = FLOWLOG_OK;
    /* the request */
    check *ck = add(x, FLOWLOG_CHECK_CLIENT_SG_EGRESS);
    if (ce)
        eval_sg(x, ck, ce, true, &x->server, se);
    else
        outside(ck, &x->client);
    rc = acl_check(x, FLOWLOG_CHECK_CLIENT_ACL_EGRESS, ce, se, true, &x->server, false);
    if (routes && ce && !(se && strcmp(ce->subnet, se->subnet) == 0))
        eval_route(x, add(x, FLOWLOG_CHECK_CLIENT_ROUTE), ce, &x->server);
    if (rc == FLOWLOG_OK)
        rc = acl_check(x, FLOWLOG_CHECK_SERVER_ACL_INGRESS, se, ce, false, &x->client, false);
    ck = add(x, FLOWLOG_CHECK_SERVER_SG_INGRESS);
    if (se)
        eval_sg(x, ck, se, false, &x->client, ce);
    else
        outside(ck, &x->server);
    /* the reply: security groups are stateful and pass it */
    if (rc == FLOWLOG_OK)
        rc = acl_check(x, FLOWLOG_CHECK_SERVER_ACL_EGRESS, se, ce, true, &x->client, true);
    if (routes && se && !(ce && strcmp(ce->subnet, se->subnet) == 0))
        eval_route(x, add(x, FLOWLOG_CHECK_SERVER_ROUTE), se, &x->client);
    if (rc == FLOWLOG_OK)
        rc = acl_check(x, FLOWLOG_CHECK_CLIENT_ACL_INGRESS, ce, se, false, &x->server, true);
    if (rc < 0) {
        flowlog__error_static(&x->err, 0, -1, "out of memory evaluating the network ACLs");
        return rc;
    }
    bool unknown = false;
    x->reachable = 1;
    for (size_t i = 0; i < x->n; i++) {
        int o = x->checks[i].outcome;
        if ((o == FLOWLOG_CHECK_DENY || o == FLOWLOG_CHECK_PARTIAL || o == FLOWLOG_CHECK_UNKNOWN) && x->blocking < 0)
            x->blocking = (int)i;
        if (o == FLOWLOG_CHECK_DENY || o == FLOWLOG_CHECK_PARTIAL)
            x->reachable = 0;
        unknown = unknown || o == FLOWLOG_CHECK_UNKNOWN;
    }
    if (x->reachable && unknown)
        x->reachable = -1;
    write_fix(x);
    return FLOWLOG_OK;
}

/* ---- the fix ---- */

static const char *cli_protocol(int protocol, char buf[8])
{
    switch (protocol) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: snprintf(buf, 8, "%d", protocol); return buf;
    }
}

/* The highest rule number below `before` that the ACL does not use in
 * that direction, or 0 when none is free. */
static int free_number_below(const cfg_acl *a, bool egress, int before)
{
    for (int n = before - 1; n >= 1; n--) {
        bool used = false;
        for (size_t i = 0; i < a->nentries && !used; i++)
            used = a->entries[i].egress == egress && a->entries[i].number == n;
        if (!used)
            return n;
    }
    return 0;
}

static void fix_sg(flowlog_reach *x, bool egress)
{
    const cfg_eni *e = x->eni[egress ? 0 : 1];
    const flowlog_addr *peer = egress ? &x->server : &x->client;
    char cidr[64], what[48], p[8];
    host_cidr(cidr, sizeof cidr, peer);
    range_words(what, sizeof what, x->protocol, (int)x->port, (int)x->port);
    const char *group = e->ngroups ? e->groups[0] : "";
    snprintf(x->fix, sizeof x->fix, "allow %s %s %s in %s, a security group of %s (%s)", what,
             egress ? "to" : "from", cidr, group, e->id, egress ? "outbound" : "inbound");
    int from = (int)x->port, to = (int)x->port;
    if (is_icmp(x->protocol)) {
        from = x->port == 65535 ? -1 : (int)(x->port >> 8);
        to = x->port == 65535 ? -1 : (int)(x->port & 255);
    }
    snprintf(x->command, sizeof x->command,
             "aws ec2 authorize-security-group-%s --group-id %s --ip-permissions "
             "'IpProtocol=%s,FromPort=%d,ToPort=%d,%s=[{%s=%s}]'",
             egress ? "egress" : "ingress", group, cli_protocol(x->protocol, p), from, to,
             peer->family == FLOWLOG_AF_INET ? "IpRanges" : "Ipv6Ranges",
             peer->family == FLOWLOG_AF_INET ? "CidrIp" : "CidrIpv6", cidr);
}

static void fix_acl(flowlog_reach *x, const check *ck, bool egress, bool reply)
{
    const cfg_acl *a = ck->acl;
    const flowlog_addr *peer = ck->checkpoint == FLOWLOG_CHECK_CLIENT_ACL_EGRESS ||
                                       ck->checkpoint == FLOWLOG_CHECK_SERVER_ACL_EGRESS
                                   ? (ck->checkpoint == FLOWLOG_CHECK_CLIENT_ACL_EGRESS ? &x->server : &x->client)
                                   : (ck->checkpoint == FLOWLOG_CHECK_SERVER_ACL_INGRESS ? &x->client : &x->server);
    char cidr[64], p[8], ports[64];
    host_cidr(cidr, sizeof cidr, peer);
    int lo = reply ? (int)x->eph_lo : (int)x->port, hi = reply ? (int)x->eph_hi : (int)x->port;
    if (has_ports(x->protocol))
        snprintf(ports, sizeof ports, " --port-range From=%d,To=%d", lo, hi);
    else if (is_icmp(x->protocol))
        snprintf(ports, sizeof ports, " --icmp-type-code Type=-1,Code=-1");
    else
        ports[0] = '\0';
    int before = ck->rule > 0 ? (int)ck->rule : 32767;
    int number = free_number_below(a, egress, before);
    char what[48];
    range_words(what, sizeof what, x->protocol, lo, hi);
    if (!number) {
        snprintf(x->fix, sizeof x->fix,
                 "rule %d of %s denies %s %s %s and no rule number below it is free: change that rule", before, a->id,
                 what, egress ? "to" : "from", cidr);
        snprintf(x->command, sizeof x->command,
                 "aws ec2 replace-network-acl-entry --network-acl-id %s --%s --rule-number %d --protocol %s%s "
                 "--%s %s --rule-action allow",
                 a->id, egress ? "egress" : "ingress", before, cli_protocol(x->protocol, p), ports,
                 peer->family == FLOWLOG_AF_INET ? "cidr-block" : "ipv6-cidr-block", cidr);
        return;
    }
    char b[12];
    snprintf(b, sizeof b, "%d", before);
    snprintf(x->fix, sizeof x->fix, "add an %s rule %d to %s that allows %s %s %s, ahead of rule %s",
             egress ? "outbound" : "inbound", number, a->id, what, egress ? "to" : "from", cidr,
             before == 32767 ? "*" : b);
    snprintf(x->command, sizeof x->command,
             "aws ec2 create-network-acl-entry --network-acl-id %s --%s --rule-number %d --protocol %s%s "
             "--%s %s --rule-action allow",
             a->id, egress ? "egress" : "ingress", number, cli_protocol(x->protocol, p), ports,
             peer->family == FLOWLOG_AF_INET ? "cidr-block" : "ipv6-cidr-block", cidr);
}

static void write_fix(flowlog_reach *x)
{
    if (x->blocking < 0)
        return;
    const check *ck = &x->checks[x->blocking];
    if (ck->outcome == FLOWLOG_CHECK_UNKNOWN) {
        snprintf(x->fix, sizeof x->fix, "load what is missing to decide: %s", ck->detail);
        const char *pl = strstr(ck->detail, "pl-");
        if (pl) {
            char id[64];
            size_t n = strcspn(pl, " ,()");
            snprintf(id, sizeof id, "%.*s", (int)(n < sizeof id ? n : sizeof id - 1), pl);
            snprintf(x->command, sizeof x->command,
                     "aws ec2 get-managed-prefix-list-entries --prefix-list-id %s --output json > "
                     "get-managed-prefix-list-entries-%s.json",
                     id, id);
        }
        return;
    }
    switch (ck->checkpoint) {
    case FLOWLOG_CHECK_CLIENT_SG_EGRESS: fix_sg(x, true); break;
    case FLOWLOG_CHECK_SERVER_SG_INGRESS: fix_sg(x, false); break;
    case FLOWLOG_CHECK_CLIENT_ACL_EGRESS: fix_acl(x, ck, true, false); break;
    case FLOWLOG_CHECK_SERVER_ACL_INGRESS: fix_acl(x, ck, false, false); break;
    case FLOWLOG_CHECK_SERVER_ACL_EGRESS: fix_acl(x, ck, true, true); break;
    case FLOWLOG_CHECK_CLIENT_ACL_INGRESS: fix_acl(x, ck, false, true); break;
    default: {
        char dest[48];
        addr_words(dest, sizeof dest, ck->checkpoint == FLOWLOG_CHECK_CLIENT_ROUTE ? &x->server : &x->client);
        snprintf(x->fix, sizeof x->fix, "give %s a route to %s with a target that exists (%s)", ck->resource, dest,
                 ck->detail);
        break; /* the target is the operator's choice: no command */
    }
    }
}

/* ---- what was found ---- */

int flowlog_reach_reachable(const flowlog_reach *x)
{
    return x ? x->reachable : 0;
}

size_t flowlog_reach_count(const flowlog_reach *x)
{
    return x ? x->n : 0;
}

int flowlog_reach_checkpoint(const flowlog_reach *x, size_t index, int *checkpoint, int *outcome,
                             const char **resource, int64_t *rule, const char **detail)
{
    if (!x)
        return FLOWLOG_E_ARG;
    if (index >= x->n)
        return FLOWLOG_E_RANGE;
    const check *ck = &x->checks[index];
    if (checkpoint)
        *checkpoint = ck->checkpoint;
    if (outcome)
        *outcome = ck->outcome;
    if (resource)
        *resource = ck->resource;
    if (rule)
        *rule = ck->rule;
    if (detail)
        *detail = ck->detail;
    return FLOWLOG_OK;
}

int flowlog_reach_blocking(const flowlog_reach *x)
{
    return x ? x->blocking : -1;
}

const char *flowlog_reach_fix(const flowlog_reach *x, const char **command)
{
    if (command)
        *command = x ? x->command : "";
    return x ? x->fix : "";
}

int flowlog_reach_endpoint(const flowlog_reach *x, int side, const char **eni, const char **subnet, const char **vpc)
{
    if (!x || (side != 1 && side != 2))
        return FLOWLOG_E_ARG;
    const cfg_eni *e = x->eni[side - 1];
    if (!e)
        return FLOWLOG_ABSENT;
    if (eni)
        *eni = e->id;
    if (subnet)
        *subnet = e->subnet;
    if (vpc)
        *vpc = e->vpc;
    return FLOWLOG_OK;
}

const char *flowlog_reach_error_message(const flowlog_reach *x)
{
    return x ? x->err.msg : "";
}
