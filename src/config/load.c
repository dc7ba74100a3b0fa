/* Loading the AWS CLI's JSON into a configuration: one function per
 * document, each naming the file and the JSON path of what it refuses. */
#include "config_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading JSON with a path for every message ---- */

typedef struct jctx {
    flowlog_config *c;
    const char *file;
    char path[256];
    size_t len;
} jctx;

static size_t path_push(jctx *j, const char *key, long index)
{
    size_t was = j->len;
    if (index < 0 && !key)
        return was;
    int n = index >= 0 ? snprintf(j->path + j->len, sizeof j->path - j->len, "[%ld]", index)
                       : snprintf(j->path + j->len, sizeof j->path - j->len, "%s%s", j->len ? "." : "", key);
    if (n > 0)
        j->len = j->len + (size_t)n < sizeof j->path ? j->len + (size_t)n : sizeof j->path - 1;
    return was;
}

static void path_pop(jctx *j, size_t was)
{
    j->len = was;
    j->path[was] = '\0';
}

static int fail(jctx *j, const char *key, const char *why)
{
    size_t was = key ? path_push(j, key, -1) : j->len;
    flowlog__error_set(&j->c->err, 0, -1, "%s: %s: %s", j->file, j->path[0] ? j->path : "(document)", why);
    path_pop(j, was);
    return FLOWLOG_E_JSON;
}

static int nomem(jctx *j)
{
    flowlog__error_static(&j->c->err, 0, -1, "out of memory loading the configuration");
    return FLOWLOG_E_NOMEM;
}

/* A string member: *out NULL when absent and not required. */
static int get_str(jctx *j, json_t *obj, const char *key, bool required, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return required ? fail(j, key, "missing") : FLOWLOG_OK;
    if (!json_is_string(v))
        return fail(j, key, "not a string");
    size_t n = json_string_length(v);
    char *s = flowlog__cfg_alloc(j->c, n + 1);
    if (!s)
        return nomem(j);
    memcpy(s, json_string_value(v), n);
    *out = s;
    return FLOWLOG_OK;
}

static int get_int(jctx *j, json_t *obj, const char *key, bool required, long long dflt, long long *out)
{
    *out = dflt;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return required ? fail(j, key, "missing") : FLOWLOG_OK;
    if (!json_is_integer(v))
        return fail(j, key, "not an integer");
    *out = json_integer_value(v);
    return FLOWLOG_OK;
}

static int get_bool(jctx *j, json_t *obj, const char *key, bool required, bool *out)
{
    *out = false;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return required ? fail(j, key, "missing") : FLOWLOG_OK;
    if (!json_is_boolean(v))
        return fail(j, key, "not true or false");
    *out = json_is_true(v);
    return FLOWLOG_OK;
}

/* An array member: *out NULL (and count 0) when absent and not required. */
static int get_array(jctx *j, json_t *obj, const char *key, bool required, json_t **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return required ? fail(j, key, "missing") : FLOWLOG_OK;
    if (!json_is_array(v))
        return fail(j, key, "not an array");
    *out = v;
    return FLOWLOG_OK;
}

/* Every element of the array member `key` (absent: none, unless required),
 * each an object handed to fn under its path, key[i]. */
typedef int (*item_fn)(jctx *j, json_t *item, void *ctx);

static int each(jctx *j, json_t *obj, const char *key, bool required, item_fn fn, void *ctx)
{
    json_t *arr;
    int rc = get_array(j, obj, key, required, &arr);
    size_t was = path_push(j, key, -1);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        size_t at = path_push(j, NULL, (long)i);
        json_t *item = json_array_get(arr, i);
        rc = json_is_object(item) ? fn(j, item, ctx) : fail(j, NULL, "not an object");
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

/* An object member, as each() gives an array's elements: absent is none. */
static int member(jctx *j, json_t *obj, const char *key, item_fn fn, void *ctx)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return FLOWLOG_OK;
    size_t was = path_push(j, key, -1);
    int rc = json_is_object(v) ? fn(j, v, ctx) : fail(j, NULL, "not an object");
    path_pop(j, was);
    return rc;
}

/* Room in the arena for the elements of an array member (at least one). */
static void *room_for(jctx *j, json_t *obj, const char *key, size_t item, size_t extra)
{
    size_t n = json_array_size(json_object_get(obj, key)) + extra;
    return flowlog__cfg_alloc(j->c, (n ? n : 1) * item);
}

static int get_cidr(jctx *j, json_t *obj, const char *key, bool *found, cfg_cidr *out)
{
    const char *s;
    int rc = get_str(j, obj, key, false, &s);
    *found = s != NULL;
    if (rc < 0 || !s)
        return rc;
    if (flowlog_cidr_parse(s, strlen(s), &out->net, &out->prefix) != FLOWLOG_OK)
        return fail(j, key, "not an IPv4 or IPv6 CIDR block");
    return FLOWLOG_OK;
}

/* "-1", "tcp", "udp", "icmp", "icmpv6" or a number 0-255. */
static int get_protocol(jctx *j, json_t *obj, const char *key, int *out)
{
    static const struct {
        const char *name;
        int number;
    } names[] = {{"-1", CFG_ANY}, {"all", CFG_ANY}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
    const char *s;
    int rc = get_str(j, obj, key, true, &s);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return *out = names[i].number, FLOWLOG_OK;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (*s && !*end && !errno && n >= 0 && n <= 255)
        return *out = (int)n, FLOWLOG_OK;
    return fail(j, key, "not a protocol (-1, tcp, udp, icmp, icmpv6 or 0-255)");
}

/* A string member into a list of ids (the subnets of an association, the
 * groups of an ENI). */
typedef struct id_list {
    const char **ids;
    size_t *n;
    const char *key;
    bool required;
} id_list;

static int add_id(jctx *j, json_t *o, void *ctx)
{
    id_list *l = ctx;
    const char *id;
    int rc = get_str(j, o, l->key, l->required, &id);
    if (rc == FLOWLOG_OK && id)
        l->ids[(*l->n)++] = id;
    return rc;
}

/* ---- security groups ---- */

typedef struct sg_ctx {
    cfg_sg *g;
    int dir;
    sg_rule base; /* the permission's protocol and ports, for each of its peers */
    int kind;
    const char *key;
} sg_ctx;

static int add_peer(jctx *j, json_t *peer, void *ctx)
{
    sg_ctx *x = ctx;
    sg_rule r = x->base;
    r.peer_kind = x->kind;
    int rc;
    if (x->kind == PEER_CIDR) {
        bool found;
        rc = get_cidr(j, peer, x->key, &found, &r.cidr);
        if (rc == FLOWLOG_OK && !found)
            rc = fail(j, x->key, "missing");
    } else {
        rc = get_str(j, peer, x->key, true, &r.ref);
    }
    if (rc == FLOWLOG_OK)
        x->g->rules[x->dir][x->g->nrules[x->dir]++] = r;
    return rc;
}

static int add_permission(jctx *j, json_t *p, void *ctx)
{
    sg_ctx *x = ctx;
    long long from = CFG_ANY, to = CFG_ANY;
    int rc = get_protocol(j, p, "IpProtocol", &x->base.protocol);
    if (rc == FLOWLOG_OK)
        rc = get_int(j, p, "FromPort", false, CFG_ANY, &from);
    if (rc == FLOWLOG_OK)
        rc = get_int(j, p, "ToPort", false, CFG_ANY, &to);
    if (rc == FLOWLOG_OK && (from < CFG_ANY || from > 65535 || to < CFG_ANY || to > 65535))
        rc = fail(j, "FromPort", "not -1 or 0-65535 (nor is ToPort)");
    x->base.from = (int)from;
    x->base.to = (int)to;
    static const struct {
        const char *list, *key;
        int kind;
    } peers[] = {{"IpRanges", "CidrIp", PEER_CIDR},
                 {"Ipv6Ranges", "CidrIpv6", PEER_CIDR},
                 {"PrefixListIds", "PrefixListId", PEER_PREFIX_LIST},
                 {"UserIdGroupPairs", "GroupId", PEER_GROUP}};
    for (size_t k = 0; k < sizeof peers / sizeof peers[0] && rc == FLOWLOG_OK; k++) {
        x->kind = peers[k].kind;
        x->key = peers[k].key;
        rc = each(j, p, peers[k].list, false, add_peer, x);
    }
    return rc;
}

static int add_security_group(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    cfg_sg *g = flowlog__cfg_push(j->c, &j->c->sgs, sizeof *g);
    if (!g)
        return nomem(j);
    int rc = get_str(j, o, "GroupId", true, &g->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "GroupName", false, &g->name);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", false, &g->vpc);
    static const char *const keys[2] = {"IpPermissions", "IpPermissionsEgress"};
    for (int dir = 0; dir < 2 && rc == FLOWLOG_OK; dir++) {
        /* a rule per peer of every permission: count them for the room */
        json_t *perms = json_object_get(o, keys[dir]);
        size_t total = 0;
        for (size_t i = 0; i < json_array_size(perms); i++) {
            static const char *const lists[] = {"IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"};
            for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
                total += json_array_size(json_object_get(json_array_get(perms, i), lists[k]));
        }
        if (!(g->rules[dir] = flowlog__cfg_alloc(j->c, (total ? total : 1) * sizeof(sg_rule))))
            return nomem(j);
        sg_ctx x = {g, dir, {0}, 0, NULL};
        rc = each(j, o, keys[dir], false, add_permission, &x);
    }
    return rc;
}

/* ---- network ACLs ---- */

static int compare_entries(const void *a, const void *b)
{
    const acl_entry *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static int get_port_range(jctx *j, json_t *o, void *ctx)
{
    acl_entry *e = ctx;
    long long from = 0, to = 65535;
    int rc = get_int(j, o, "From", true, 0, &from);
    if (rc == FLOWLOG_OK)
        rc = get_int(j, o, "To", true, 0, &to);
    if (rc == FLOWLOG_OK && (from < 0 || to > 65535 || from > to))
        rc = fail(j, NULL, "not a range within 0-65535");
    e->from = (int)from;
    e->to = (int)to;
    return rc;
}

static int get_icmp_type_code(jctx *j, json_t *o, void *ctx)
{
    acl_entry *e = ctx;
    long long type = CFG_ANY, code = CFG_ANY;
    int rc = get_int(j, o, "Type", false, CFG_ANY, &type);
    if (rc == FLOWLOG_OK)
        rc = get_int(j, o, "Code", false, CFG_ANY, &code);
    if (rc == FLOWLOG_OK && (type < CFG_ANY || type > 255 || code < CFG_ANY || code > 255))
        rc = fail(j, NULL, "type or code not -1 or 0-255");
    e->icmp_type = (int)type;
    e->icmp_code = (int)code;
    return rc;
}

static int add_acl_entry(jctx *j, json_t *o, void *ctx)
{
    cfg_acl *a = ctx;
    acl_entry *e = &a->entries[a->nentries];
    long long number;
    const char *action;
    bool found4, found6;
    *e = (acl_entry){.from = 0, .to = 65535, .icmp_type = CFG_ANY, .icmp_code = CFG_ANY};
    int rc = get_int(j, o, "RuleNumber", true, 0, &number);
    if (rc == FLOWLOG_OK && (number < 1 || number > 32767))
        rc = fail(j, "RuleNumber", "not 1-32767");
    if (rc == FLOWLOG_OK)
        rc = get_protocol(j, o, "Protocol", &e->protocol);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "RuleAction", true, &action);
    if (rc == FLOWLOG_OK && strcmp(action, "allow") && strcmp(action, "deny"))
        rc = fail(j, "RuleAction", "not allow or deny");
    if (rc == FLOWLOG_OK)
        rc = get_bool(j, o, "Egress", true, &e->egress);
    if (rc == FLOWLOG_OK)
        rc = get_cidr(j, o, "CidrBlock", &found4, &e->cidr);
    if (rc == FLOWLOG_OK && !found4)
        rc = get_cidr(j, o, "Ipv6CidrBlock", &found6, &e->cidr);
    if (rc == FLOWLOG_OK && !found4 && !found6)
        rc = fail(j, "CidrBlock", "missing (and no Ipv6CidrBlock)");
    if (rc == FLOWLOG_OK)
        rc = member(j, o, "PortRange", get_port_range, e);
    if (rc == FLOWLOG_OK)
        rc = member(j, o, "IcmpTypeCode", get_icmp_type_code, e);
    if (rc == FLOWLOG_OK) {
        e->number = (int)number;
        e->allow = strcmp(action, "allow") == 0;
        a->nentries++;
    }
    return rc;
}

static int add_network_acl(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    cfg_acl *a = flowlog__cfg_push(j->c, &j->c->acls, sizeof *a);
    if (!a)
        return nomem(j);
    int rc = get_str(j, o, "NetworkAclId", true, &a->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", false, &a->vpc);
    if (rc == FLOWLOG_OK)
        rc = get_bool(j, o, "IsDefault", false, &a->is_default);
    if (rc < 0)
        return rc;
    a->subnets = room_for(j, o, "Associations", sizeof *a->subnets, 0);
    a->entries = room_for(j, o, "Entries", sizeof *a->entries, 0);
    if (!a->subnets || !a->entries)
        return nomem(j);
    id_list subnets = {a->subnets, &a->nsubnets, "SubnetId", true};
    rc = each(j, o, "Associations", false, add_id, &subnets);
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "Entries", true, add_acl_entry, a);
    if (rc == FLOWLOG_OK)
        qsort(a->entries, a->nentries, sizeof *a->entries, compare_entries);
    return rc;
}

/* ---- network interfaces ---- */

typedef struct addr_ctx {
    cfg_eni *e;
    const char *key;
} addr_ctx;

static int add_addr(jctx *j, json_t *obj, void *ctx)
{
    addr_ctx *x = ctx;
    const char *s;
    int rc = get_str(j, obj, x->key, false, &s);
    if (rc < 0 || !s)
        return rc;
    flowlog_addr a;
    if (flowlog_addr_parse(s, strlen(s), &a) != FLOWLOG_OK)
        return fail(j, x->key, "not an IPv4 or IPv6 address");
    for (size_t i = 0; i < x->e->naddrs; i++)
        if (memcmp(&x->e->addrs[i], &a, sizeof a) == 0)
            return FLOWLOG_OK;
    x->e->addrs[x->e->naddrs++] = a;
    return FLOWLOG_OK;
}

/* A public address reaches the ENI through the internet gateway's NAT. */
static int add_public_addr(jctx *j, json_t *o, void *ctx)
{
    addr_ctx x = {ctx, "PublicIp"};
    return member(j, o, "Association", add_addr, &x);
}

static int add_network_interface(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    cfg_eni *e = flowlog__cfg_push(j->c, &j->c->enis, sizeof *e);
    if (!e)
        return nomem(j);
    int rc = get_str(j, o, "NetworkInterfaceId", true, &e->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "SubnetId", true, &e->subnet);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", true, &e->vpc);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "InterfaceType", false, &e->type);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "Description", false, &e->description);
    if (rc < 0)
        return rc;
    /* the primary address, each private one and its public one, the IPv6 ones, the ENI's public one */
    size_t privates = json_array_size(json_object_get(o, "PrivateIpAddresses"));
    e->groups = room_for(j, o, "Groups", sizeof *e->groups, 0);
    e->addrs = room_for(j, o, "Ipv6Addresses", sizeof *e->addrs, 2 + 2 * privates);
    if (!e->groups || !e->addrs)
        return nomem(j);
    id_list groups = {e->groups, &e->ngroups, "GroupId", true};
    addr_ctx primary = {e, "PrivateIpAddress"}, v6 = {e, "Ipv6Address"};
    rc = each(j, o, "Groups", false, add_id, &groups);
    /* the primary private address first: the one its records name */
    if (rc == FLOWLOG_OK)
        rc = add_addr(j, o, &primary);
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "PrivateIpAddresses", false, add_addr, &primary);
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "Ipv6Addresses", false, add_addr, &v6);
    if (rc == FLOWLOG_OK)
        rc = add_public_addr(j, o, e);
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "PrivateIpAddresses", false, add_public_addr, e);
    return rc;
}

/* ---- subnets ---- */

static int first_ipv6_block(jctx *j, json_t *o, void *ctx)
{
    cfg_subnet *s = ctx;
    bool found;
    if (s->cidr[1].prefix != 129)
        return FLOWLOG_OK; /* the first block only */
    int rc = get_cidr(j, o, "Ipv6CidrBlock", &found, &s->cidr[1]);
    if (rc == FLOWLOG_OK && !found)
        s->cidr[1].prefix = 129;
    return rc;
}

static int add_subnet(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    bool found;
    cfg_subnet *s = flowlog__cfg_push(j->c, &j->c->subnets, sizeof *s);
    if (!s)
        return nomem(j);
    s->cidr[0].prefix = s->cidr[1].prefix = 129;
    int rc = get_str(j, o, "SubnetId", true, &s->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", false, &s->vpc);
    if (rc == FLOWLOG_OK)
        rc = get_cidr(j, o, "CidrBlock", &found, &s->cidr[0]);
    if (rc == FLOWLOG_OK && !found)
        s->cidr[0].prefix = 129;
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "Ipv6CidrBlockAssociationSet", false, first_ipv6_block, s);
    return rc;
}

/* ---- route tables ---- */

static int add_route(jctx *j, json_t *o, void *ctx)
{
    cfg_rtb *t = ctx;
    cfg_route *r = &t->routes[t->nroutes];
    bool found4, found6 = false;
    const char *state;
    r->dest.prefix = 129;
    int rc = get_cidr(j, o, "DestinationCidrBlock", &found4, &r->dest);
    if (rc == FLOWLOG_OK && !found4)
        rc = get_cidr(j, o, "DestinationIpv6CidrBlock", &found6, &r->dest);
    if (rc == FLOWLOG_OK && !found4 && !found6) {
        rc = get_str(j, o, "DestinationPrefixListId", false, &r->dest_list);
        if (rc == FLOWLOG_OK && !r->dest_list)
            rc = fail(j, "DestinationCidrBlock", "missing (and no DestinationIpv6CidrBlock or DestinationPrefixListId)");
        r->dest.prefix = 129;
    }
    static const char *const targets[] = {"GatewayId", "NatGatewayId", "NetworkInterfaceId", "TransitGatewayId",
                                          "VpcPeeringConnectionId", "InstanceId", "EgressOnlyInternetGatewayId",
                                          "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn"};
    for (size_t k = 0; rc == FLOWLOG_OK && !r->target && k < sizeof targets / sizeof targets[0]; k++)
        rc = get_str(j, o, targets[k], false, &r->target);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "State", false, &state);
    if (rc < 0)
        return rc;
    r->blackhole = state && strcmp(state, "blackhole") == 0;
    if (!r->target)
        r->target = "";
    t->nroutes++;
    return FLOWLOG_OK;
}

static int add_route_association(jctx *j, json_t *o, void *ctx)
{
    cfg_rtb *t = ctx;
    bool main_table;
    int rc = get_bool(j, o, "Main", false, &main_table);
    t->main = t->main || main_table;
    id_list subnets = {t->subnets, &t->nsubnets, "SubnetId", false};
    return rc == FLOWLOG_OK ? add_id(j, o, &subnets) : rc;
}

static int add_route_table(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    cfg_rtb *t = flowlog__cfg_push(j->c, &j->c->rtbs, sizeof *t);
    if (!t)
        return nomem(j);
    int rc = get_str(j, o, "RouteTableId", true, &t->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", false, &t->vpc);
    if (rc < 0)
        return rc;
    t->subnets = room_for(j, o, "Associations", sizeof *t->subnets, 0);
    t->routes = room_for(j, o, "Routes", sizeof *t->routes, 0);
    if (!t->subnets || !t->routes)
        return nomem(j);
    rc = each(j, o, "Associations", false, add_route_association, t);
    if (rc == FLOWLOG_OK)
        rc = each(j, o, "Routes", true, add_route, t);
    return rc;
}

/* ---- managed prefix lists ---- */

static cfg_plist *plist_for(flowlog_config *c, const char *id)
{
    cfg_plist *p = (cfg_plist *)(uintptr_t)flowlog__cfg_plist(c, id);
    if (p)
        return p;
    size_t n = strlen(id);
    char *copy = flowlog__cfg_alloc(c, n + 1);
    if (!copy || !(p = flowlog__cfg_push(c, &c->plists, sizeof *p)))
        return NULL;
    memcpy(copy, id, n);
    p->id = copy;
    return p;
}

static int add_prefix_list(jctx *j, json_t *o, void *ctx)
{
    (void)ctx;
    const char *id, *name;
    int rc = get_str(j, o, "PrefixListId", true, &id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "PrefixListName", false, &name);
    if (rc < 0)
        return rc;
    cfg_plist *p = plist_for(j->c, id);
    if (!p)
        return nomem(j);
    if (name)
        p->name = name;
    return FLOWLOG_OK;
}

typedef struct entries_ctx {
    cfg_cidr *all;
    size_t n;
} entries_ctx;

static int add_prefix_list_entry(jctx *j, json_t *o, void *ctx)
{
    entries_ctx *x = ctx;
    bool found;
    int rc = get_cidr(j, o, "Cidr", &found, &x->all[x->n]);
    if (rc == FLOWLOG_OK && !found)
        rc = fail(j, "Cidr", "missing");
    if (rc == FLOWLOG_OK)
        x->n++;
    return rc;
}

static int load_prefix_list_entries(jctx *j, json_t *doc, const char *list)
{
    cfg_plist *p = plist_for(j->c, list);
    if (!p)
        return nomem(j);
    /* a list's entries may come in several pages: each adds to those before */
    entries_ctx x = {room_for(j, doc, "Entries", sizeof(cfg_cidr), p->nentries), p->nentries};
    if (!x.all)
        return nomem(j);
    if (p->nentries)
        memcpy(x.all, p->entries, p->nentries * sizeof *x.all);
    int rc = each(j, doc, "Entries", true, add_prefix_list_entry, &x);
    if (rc == FLOWLOG_OK) {
        p->entries = x.all;
        p->nentries = x.n;
        p->resolved = true;
    }
    return rc;
}

static const char *const document_names[] = {
    NULL,
    "describe-security-groups",
    "describe-network-acls",
    "describe-network-interfaces",
    "describe-subnets",
    "describe-route-tables",
    "describe-managed-prefix-lists",
    "get-managed-prefix-list-entries",
};

int flowlog_config_load(flowlog_config *c, int document, const char *text, size_t len, const char *name,
                        const char *prefix_list_id)
{
    if (!c || (!text && len) || document < FLOWLOG_CONFIG_SECURITY_GROUPS ||
        document > FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES ||
        (document == FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES && (!prefix_list_id || !*prefix_list_id)))
        return FLOWLOG_E_ARG;
    flowlog__error_clear(&c->err);
    jctx j = {c, name ? name : "<json>", {0}, 0};
    size_t pos = 0, docs = 0;
    int rc = FLOWLOG_OK;
    for (;;) {
        while (pos < len && (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\r' || text[pos] == '\t'))
            pos++;
        if (pos == len)
            break;
        json_error_t jerr;
        json_t *doc = json_loadb(text + pos, len - pos, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (!doc) {
            flowlog__error_set(&c->err, pos + (size_t)(jerr.position > 0 ? jerr.position : 0), -1,
                               "%s: line %d: %s", j.file, jerr.line, jerr.text);
            return FLOWLOG_E_JSON;
        }
        pos += jerr.position;
        docs++;
        if (!json_is_object(doc)) {
            json_decref(doc);
            return fail(&j, NULL, "not a JSON object");
        }
        static const struct {
            const char *key;
            item_fn add;
        } lists[] = {{NULL, NULL},
                     {"SecurityGroups", add_security_group},
                     {"NetworkAcls", add_network_acl},
                     {"NetworkInterfaces", add_network_interface},
                     {"Subnets", add_subnet},
                     {"RouteTables", add_route_table},
                     {"PrefixLists", add_prefix_list}};
        if (document == FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES)
            rc = load_prefix_list_entries(&j, doc, prefix_list_id);
        else
            rc = each(&j, doc, lists[document].key, true, lists[document].add, NULL);
        json_decref(doc);
        if (rc < 0)
            return rc;
    }
    if (!docs) {
        flowlog__error_set(&c->err, 0, -1, "%s: no JSON document (an empty %s output?)", j.file,
                           document_names[document]);
        return FLOWLOG_E_JSON;
    }
    c->loaded |= 1u << document;
    return FLOWLOG_OK;
}

/* The whole of a file, NUL-terminated; NULL with errno set. */
static char *slurp(flowlog_config *c, const char *path, size_t *len, size_t *cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno ? errno : EISDIR;
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : e;
        return NULL;
    }
    *cap = (size_t)st.st_size + 1;
    char *buf = c->alloc.alloc(c->alloc.ctx, *cap);
    if (!buf) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    int e = errno;
    close(fd);
    if (got < (size_t)st.st_size) {
        FLOWLOG__FREE(&c->alloc, buf, *cap);
        errno = e ? e : EIO;
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

static int load_file(flowlog_config *c, const char *dir, const char *file, int document, const char *list,
                     bool required)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path) {
        flowlog__error_set(&c->err, 0, -1, "%s/%s: the path is too long", dir, file);
        return FLOWLOG_E_IO;
    }
    size_t len, cap;
    char *text = slurp(c, path, &len, &cap);
    if (!text) {
        if (errno == ENOENT && !required)
            return FLOWLOG_OK;
        if (errno == ENOMEM) {
            flowlog__error_set(&c->err, 0, -1, "%s: out of memory", path);
            return FLOWLOG_E_NOMEM;
        }
        if (errno == ENOENT)
            flowlog__error_set(&c->err, 0, -1, "%s: missing (aws ec2 %s --output json writes it)", path,
                               document_names[document]);
        else
            flowlog__error_set(&c->err, 0, -1, "%s: %s", path, strerror(errno));
        return FLOWLOG_E_IO;
    }
    int rc = flowlog_config_load(c, document, text, len, path, list);
    FLOWLOG__FREE(&c->alloc, text, cap);
    return rc;
}

#define ENTRIES_PREFIX "get-managed-prefix-list-entries-"

int flowlog_config_load_dir(flowlog_config *c, const char *dir)
{
    if (!c || !dir)
        return FLOWLOG_E_ARG;
    flowlog__error_clear(&c->err);
    static const struct {
        int document;
        bool required;
    } files[] = {{FLOWLOG_CONFIG_SECURITY_GROUPS, true}, {FLOWLOG_CONFIG_NETWORK_ACLS, true},
                 {FLOWLOG_CONFIG_NETWORK_INTERFACES, true}, {FLOWLOG_CONFIG_SUBNETS, false},
                 {FLOWLOG_CONFIG_ROUTE_TABLES, false}, {FLOWLOG_CONFIG_PREFIX_LISTS, false}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char file[64];
        snprintf(file, sizeof file, "%s.json", document_names[files[i].document]);
        int rc = load_file(c, dir, file, files[i].document, NULL, files[i].required);
        if (rc < 0)
            return rc;
    }
    DIR *d = opendir(dir);
    if (!d) {
        flowlog__error_set(&c->err, 0, -1, "%s: %s", dir, strerror(errno));
        return FLOWLOG_E_IO;
    }
    int rc = FLOWLOG_OK;
    for (struct dirent *e; rc == FLOWLOG_OK && (e = readdir(d));) {
        size_t n = strlen(e->d_name), p = sizeof ENTRIES_PREFIX - 1;
        if (n <= p + 5 || strncmp(e->d_name, ENTRIES_PREFIX, p) || strcmp(e->d_name + n - 5, ".json"))
            continue;
        char list[128];
        if (n - p - 5 >= sizeof list) {
            flowlog__error_set(&c->err, 0, -1, "%s/%.64s...: the name is not %s<pl-id>.json with a prefix list id",
                               dir, e->d_name, ENTRIES_PREFIX);
            rc = FLOWLOG_E_IO;
            break;
        }
        memcpy(list, e->d_name + p, n - p - 5);
        list[n - p - 5] = '\0';
        rc = load_file(c, dir, e->d_name, FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES, list, true);
    }
    closedir(d);
    return rc;
}

