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

struct cfg_block {
    cfg_block *next;
    size_t size;
    /* the room follows */
};

#define ARENA_BLOCK ((size_t)64 << 10)

void *flowlog__cfg_alloc(flowlog_config *c, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    if (!c->arena || c->arena_cap - c->arena_used < n) {
        size_t room = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        cfg_block *b = c->alloc.alloc(c->alloc.ctx, sizeof(cfg_block) + 16 + room);
        if (!b)
            return NULL;
        b->next = c->arena;
        b->size = sizeof(cfg_block) + 16 + room;
        c->arena = b;
        c->arena_used = 0;
        c->arena_cap = room;
    }
    char *base = (char *)(c->arena + 1);
    base += (16 - ((uintptr_t)base & 15)) & 15;
    void *p = base + c->arena_used;
    c->arena_used += n;
    memset(p, 0, n);
    return p;
}

int flowlog_config_new(flowlog_config **out, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_config *c = flowlog__calloc(&al, 1, sizeof *c);
    if (!c)
        return FLOWLOG_E_NOMEM;
    c->alloc = al;
    flowlog__error_clear(&c->err);
    *out = c;
    return FLOWLOG_OK;
}

int flowlog_config_new_ex(flowlog_config **out, const flowlog_allocator *a, flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_config_new(out, a), out, a, NULL, false);
}

static void vec_free(flowlog_config *c, cfg_vec *v, size_t item)
{
    if (v->items)
        FLOWLOG__FREE(&c->alloc, v->items, v->cap * item);
}

void flowlog_config_free(flowlog_config *c)
{
    if (!c)
        return;
    vec_free(c, &c->sgs, sizeof(cfg_sg));
    vec_free(c, &c->acls, sizeof(cfg_acl));
    vec_free(c, &c->enis, sizeof(cfg_eni));
    vec_free(c, &c->subnets, sizeof(cfg_subnet));
    vec_free(c, &c->rtbs, sizeof(cfg_rtb));
    vec_free(c, &c->plists, sizeof(cfg_plist));
    for (cfg_block *b = c->arena, *next; b; b = next) {
        next = b->next;
        FLOWLOG__FREE(&c->alloc, b, b->size);
    }
    FLOWLOG__FREE(&c->alloc, c, sizeof *c);
}

static void *vec_push(flowlog_config *c, cfg_vec *v, size_t item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *grown = c->alloc.realloc(c->alloc.ctx, v->items, v->cap * item, cap * item);
        if (!grown)
            return NULL;
        v->items = grown;
        v->cap = cap;
    }
    void *p = (char *)v->items + v->n++ * item;
    memset(p, 0, item);
    return p;
}

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

static int get_object(jctx *j, json_t *arr, size_t i, json_t **out)
{
    *out = json_array_get(arr, i);
    if (!json_is_object(*out)) {
        size_t was = path_push(j, NULL, (long)i);
        int rc = fail(j, NULL, "not an object");
        path_pop(j, was);
        return rc;
    }
    return FLOWLOG_OK;
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
static int parse_protocol(jctx *j, const char *key, const char *s, int *out)
{
    static const struct {
        const char *name;
        int number;
    } names[] = {{"-1", CFG_ANY}, {"all", CFG_ANY}, {"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}};
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

/* ---- the documents ---- */

static int load_permissions(jctx *j, json_t *perms, cfg_sg *g, int dir)
{
    size_t total = 0, n = json_array_size(perms);
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(perms, i);
        static const char *const lists[] = {"IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"};
        for (int k = 0; k < 4; k++)
            total += json_array_size(json_object_get(p, lists[k]));
    }
    g->rules[dir] = flowlog__cfg_alloc(j->c, (total ? total : 1) * sizeof(sg_rule));
    if (!g->rules[dir])
        return nomem(j);
    for (size_t i = 0; i < n; i++) {
        json_t *p;
        size_t at = path_push(j, NULL, (long)i);
        int rc = get_object(j, perms, i, &p);
        const char *proto = NULL;
        long long from = CFG_ANY, to = CFG_ANY;
        sg_rule base = {0};
        if (rc == FLOWLOG_OK)
            rc = get_str(j, p, "IpProtocol", true, &proto);
        if (rc == FLOWLOG_OK)
            rc = parse_protocol(j, "IpProtocol", proto, &base.protocol);
        if (rc == FLOWLOG_OK)
            rc = get_int(j, p, "FromPort", false, CFG_ANY, &from);
        if (rc == FLOWLOG_OK)
            rc = get_int(j, p, "ToPort", false, CFG_ANY, &to);
        if (rc == FLOWLOG_OK && (from < CFG_ANY || from > 65535 || to < CFG_ANY || to > 65535))
            rc = fail(j, "FromPort", "out of range");
        base.from = (int)from;
        base.to = (int)to;
        static const struct {
            const char *list, *key;
            int kind;
        } peers[] = {{"IpRanges", "CidrIp", PEER_CIDR},
                     {"Ipv6Ranges", "CidrIpv6", PEER_CIDR},
                     {"PrefixListIds", "PrefixListId", PEER_PREFIX_LIST},
                     {"UserIdGroupPairs", "GroupId", PEER_GROUP}};
        for (int k = 0; k < 4 && rc == FLOWLOG_OK; k++) {
            json_t *arr;
            size_t was = path_push(j, peers[k].list, -1);
            rc = get_array(j, p, peers[k].list, false, &arr);
            for (size_t e = 0; rc == FLOWLOG_OK && e < json_array_size(arr); e++) {
                json_t *peer;
                size_t at2 = path_push(j, NULL, (long)e);
                rc = get_object(j, arr, e, &peer);
                sg_rule r = base;
                r.peer_kind = peers[k].kind;
                if (rc == FLOWLOG_OK && peers[k].kind == PEER_CIDR) {
                    bool found;
                    rc = get_cidr(j, peer, peers[k].key, &found, &r.cidr);
                    if (rc == FLOWLOG_OK && !found)
                        rc = fail(j, peers[k].key, "missing");
                } else if (rc == FLOWLOG_OK) {
                    rc = get_str(j, peer, peers[k].key, true, &r.ref);
                }
                if (rc == FLOWLOG_OK)
                    g->rules[dir][g->nrules[dir]++] = r;
                path_pop(j, at2);
            }
            path_pop(j, was);
        }
        path_pop(j, at);
        if (rc < 0)
            return rc;
    }
    return FLOWLOG_OK;
}

static int load_security_groups(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "SecurityGroups", -1);
    int rc = get_array(j, doc, "SecurityGroups", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        cfg_sg *g = rc == FLOWLOG_OK ? vec_push(j->c, &j->c->sgs, sizeof *g) : NULL;
        if (rc == FLOWLOG_OK && !g)
            rc = nomem(j);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "GroupId", true, &g->id);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "GroupName", false, &g->name);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "VpcId", false, &g->vpc);
        static const char *const keys[2] = {"IpPermissions", "IpPermissionsEgress"};
        for (int dir = 0; dir < 2 && rc == FLOWLOG_OK; dir++) {
            json_t *perms;
            size_t w = path_push(j, keys[dir], -1);
            rc = get_array(j, o, keys[dir], false, &perms);
            if (rc == FLOWLOG_OK)
                rc = load_permissions(j, perms, g, dir);
            path_pop(j, w);
        }
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    const acl_entry *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static int load_acl_entry(jctx *j, json_t *o, acl_entry *e)
{
    long long number, from = 0, to = 65535, type = CFG_ANY, code = CFG_ANY;
    const char *proto, *action;
    bool found4, found6;
    int rc = get_int(j, o, "RuleNumber", true, 0, &number);
    if (rc == FLOWLOG_OK && (number < 1 || number > 32767))
        rc = fail(j, "RuleNumber", "not 1-32767");
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "Protocol", true, &proto);
    if (rc == FLOWLOG_OK)
        rc = parse_protocol(j, "Protocol", proto, &e->protocol);
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
    json_t *range = json_object_get(o, "PortRange");
    if (rc == FLOWLOG_OK && range) {
        size_t w = path_push(j, "PortRange", -1);
        rc = json_is_object(range) ? get_int(j, range, "From", true, 0, &from) : fail(j, NULL, "not an object");
        if (rc == FLOWLOG_OK)
            rc = get_int(j, range, "To", true, 0, &to);
        if (rc == FLOWLOG_OK && (from < 0 || to > 65535 || from > to))
            rc = fail(j, NULL, "not a range within 0-65535");
        path_pop(j, w);
    }
    json_t *icmp = json_object_get(o, "IcmpTypeCode");
    if (rc == FLOWLOG_OK && icmp) {
        size_t w = path_push(j, "IcmpTypeCode", -1);
        rc = json_is_object(icmp) ? get_int(j, icmp, "Type", false, CFG_ANY, &type) : fail(j, NULL, "not an object");
        if (rc == FLOWLOG_OK)
            rc = get_int(j, icmp, "Code", false, CFG_ANY, &code);
        if (rc == FLOWLOG_OK && (type < CFG_ANY || type > 255 || code < CFG_ANY || code > 255))
            rc = fail(j, NULL, "type or code not -1 or 0-255");
        path_pop(j, w);
    }
    e->number = (int)number;
    e->allow = rc == FLOWLOG_OK && strcmp(action, "allow") == 0;
    e->from = (int)from;
    e->to = (int)to;
    e->icmp_type = (int)type;
    e->icmp_code = (int)code;
    return rc;
}

static int load_network_acls(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "NetworkAcls", -1);
    int rc = get_array(j, doc, "NetworkAcls", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o, *assoc = NULL, *entries = NULL;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        cfg_acl *a = rc == FLOWLOG_OK ? vec_push(j->c, &j->c->acls, sizeof *a) : NULL;
        if (rc == FLOWLOG_OK && !a)
            rc = nomem(j);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "NetworkAclId", true, &a->id);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "VpcId", false, &a->vpc);
        if (rc == FLOWLOG_OK)
            rc = get_bool(j, o, "IsDefault", false, &a->is_default);
        if (rc == FLOWLOG_OK)
            rc = get_array(j, o, "Associations", false, &assoc);
        if (rc == FLOWLOG_OK)
            rc = get_array(j, o, "Entries", true, &entries);
        size_t na = json_array_size(assoc), ne = json_array_size(entries);
        if (rc == FLOWLOG_OK) {
            a->subnets = flowlog__cfg_alloc(j->c, (na ? na : 1) * sizeof *a->subnets);
            a->entries = flowlog__cfg_alloc(j->c, (ne ? ne : 1) * sizeof *a->entries);
            if (!a->subnets || !a->entries)
                rc = nomem(j);
        }
        size_t w = path_push(j, "Associations", -1);
        for (size_t k = 0; rc == FLOWLOG_OK && k < na; k++) {
            json_t *s;
            size_t at2 = path_push(j, NULL, (long)k);
            rc = get_object(j, assoc, k, &s);
            if (rc == FLOWLOG_OK)
                rc = get_str(j, s, "SubnetId", true, &a->subnets[a->nsubnets]);
            if (rc == FLOWLOG_OK)
                a->nsubnets++;
            path_pop(j, at2);
        }
        path_pop(j, w);
        w = path_push(j, "Entries", -1);
        for (size_t k = 0; rc == FLOWLOG_OK && k < ne; k++) {
            json_t *e;
            size_t at2 = path_push(j, NULL, (long)k);
            rc = get_object(j, entries, k, &e);
            if (rc == FLOWLOG_OK)
                rc = load_acl_entry(j, e, &a->entries[a->nentries]);
            if (rc == FLOWLOG_OK)
                a->nentries++;
            path_pop(j, at2);
        }
        path_pop(j, w);
        if (rc == FLOWLOG_OK)
            qsort(a->entries, a->nentries, sizeof *a->entries, compare_entries);
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static int add_addr(jctx *j, cfg_eni *e, json_t *obj, const char *key)
{
    const char *s;
    int rc = get_str(j, obj, key, false, &s);
    if (rc < 0 || !s)
        return rc;
    flowlog_addr a;
    if (flowlog_addr_parse(s, strlen(s), &a) != FLOWLOG_OK)
        return fail(j, key, "not an IPv4 or IPv6 address");
    for (size_t i = 0; i < e->naddrs; i++)
        if (memcmp(&e->addrs[i], &a, sizeof a) == 0)
            return FLOWLOG_OK;
    e->addrs[e->naddrs++] = a;
    return FLOWLOG_OK;
}

static int load_eni(jctx *j, json_t *o, cfg_eni *e)
{
    json_t *groups = NULL, *privs = NULL, *v6 = NULL;
    int rc = get_str(j, o, "NetworkInterfaceId", true, &e->id);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "SubnetId", true, &e->subnet);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "VpcId", true, &e->vpc);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "InterfaceType", false, &e->type);
    if (rc == FLOWLOG_OK)
        rc = get_str(j, o, "Description", false, &e->description);
    if (rc == FLOWLOG_OK)
        rc = get_array(j, o, "Groups", false, &groups);
    if (rc == FLOWLOG_OK)
        rc = get_array(j, o, "PrivateIpAddresses", false, &privs);
    if (rc == FLOWLOG_OK)
        rc = get_array(j, o, "Ipv6Addresses", false, &v6);
    if (rc < 0)
        return rc;
    size_t ng = json_array_size(groups), np = json_array_size(privs), n6 = json_array_size(v6);
    e->groups = flowlog__cfg_alloc(j->c, (ng ? ng : 1) * sizeof *e->groups);
    e->addrs = flowlog__cfg_alloc(j->c, (2 + 2 * np + n6) * sizeof *e->addrs);
    if (!e->groups || !e->addrs)
        return nomem(j);
    size_t w = path_push(j, "Groups", -1);
    for (size_t k = 0; rc == FLOWLOG_OK && k < ng; k++) {
        json_t *g;
        size_t at = path_push(j, NULL, (long)k);
        rc = get_object(j, groups, k, &g);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, g, "GroupId", true, &e->groups[e->ngroups]);
        if (rc == FLOWLOG_OK)
            e->ngroups++;
        path_pop(j, at);
    }
    path_pop(j, w);
    /* the primary private address first: the one its records name */
    if (rc == FLOWLOG_OK)
        rc = add_addr(j, e, o, "PrivateIpAddress");
    w = path_push(j, "PrivateIpAddresses", -1);
    for (size_t k = 0; rc == FLOWLOG_OK && k < np; k++) {
        json_t *p;
        size_t at = path_push(j, NULL, (long)k);
        rc = get_object(j, privs, k, &p);
        if (rc == FLOWLOG_OK)
            rc = add_addr(j, e, p, "PrivateIpAddress");
        path_pop(j, at);
    }
    path_pop(j, w);
    w = path_push(j, "Ipv6Addresses", -1);
    for (size_t k = 0; rc == FLOWLOG_OK && k < n6; k++) {
        json_t *p;
        size_t at = path_push(j, NULL, (long)k);
        rc = get_object(j, v6, k, &p);
        if (rc == FLOWLOG_OK)
            rc = add_addr(j, e, p, "Ipv6Address");
        path_pop(j, at);
    }
    path_pop(j, w);
    /* public addresses reach the ENI through the internet gateway's NAT */
    json_t *assoc = json_object_get(o, "Association");
    if (rc == FLOWLOG_OK && json_is_object(assoc)) {
        w = path_push(j, "Association", -1);
        rc = add_addr(j, e, assoc, "PublicIp");
        path_pop(j, w);
    }
    for (size_t k = 0; rc == FLOWLOG_OK && k < np; k++) {
        json_t *a = json_object_get(json_array_get(privs, k), "Association");
        if (json_is_object(a)) {
            size_t at = path_push(j, "PrivateIpAddresses", -1);
            size_t at2 = path_push(j, NULL, (long)k);
            size_t at3 = path_push(j, "Association", -1);
            rc = add_addr(j, e, a, "PublicIp");
            path_pop(j, at3);
            path_pop(j, at2);
            path_pop(j, at);
        }
    }
    return rc;
}

static int load_network_interfaces(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "NetworkInterfaces", -1);
    int rc = get_array(j, doc, "NetworkInterfaces", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        cfg_eni *e = rc == FLOWLOG_OK ? vec_push(j->c, &j->c->enis, sizeof *e) : NULL;
        if (rc == FLOWLOG_OK && !e)
            rc = nomem(j);
        if (rc == FLOWLOG_OK)
            rc = load_eni(j, o, e);
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static int load_subnets(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "Subnets", -1);
    int rc = get_array(j, doc, "Subnets", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o, *v6 = NULL;
        bool found;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        cfg_subnet *s = rc == FLOWLOG_OK ? vec_push(j->c, &j->c->subnets, sizeof *s) : NULL;
        if (rc == FLOWLOG_OK && !s)
            rc = nomem(j);
        if (rc == FLOWLOG_OK) {
            s->cidr[0].prefix = s->cidr[1].prefix = 129;
            rc = get_str(j, o, "SubnetId", true, &s->id);
        }
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "VpcId", false, &s->vpc);
        if (rc == FLOWLOG_OK)
            rc = get_cidr(j, o, "CidrBlock", &found, &s->cidr[0]);
        if (rc == FLOWLOG_OK && !found)
            s->cidr[0].prefix = 129;
        if (rc == FLOWLOG_OK)
            rc = get_array(j, o, "Ipv6CidrBlockAssociationSet", false, &v6);
        if (rc == FLOWLOG_OK && json_array_size(v6) > 0 && json_is_object(json_array_get(v6, 0))) {
            size_t w = path_push(j, "Ipv6CidrBlockAssociationSet[0]", -1);
            rc = get_cidr(j, json_array_get(v6, 0), "Ipv6CidrBlock", &found, &s->cidr[1]);
            if (rc == FLOWLOG_OK && !found)
                s->cidr[1].prefix = 129;
            path_pop(j, w);
        }
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static int load_route(jctx *j, json_t *o, cfg_route *r)
{
    bool found4, found6;
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
    if (rc == FLOWLOG_OK)
        r->blackhole = state && strcmp(state, "blackhole") == 0;
    if (rc == FLOWLOG_OK && !r->target)
        r->target = "";
    return rc;
}

static int load_route_tables(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "RouteTables", -1);
    int rc = get_array(j, doc, "RouteTables", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o, *assoc = NULL, *routes = NULL;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        cfg_rtb *t = rc == FLOWLOG_OK ? vec_push(j->c, &j->c->rtbs, sizeof *t) : NULL;
        if (rc == FLOWLOG_OK && !t)
            rc = nomem(j);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "RouteTableId", true, &t->id);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "VpcId", false, &t->vpc);
        if (rc == FLOWLOG_OK)
            rc = get_array(j, o, "Associations", false, &assoc);
        if (rc == FLOWLOG_OK)
            rc = get_array(j, o, "Routes", true, &routes);
        size_t na = json_array_size(assoc), nr = json_array_size(routes);
        if (rc == FLOWLOG_OK) {
            t->subnets = flowlog__cfg_alloc(j->c, (na ? na : 1) * sizeof *t->subnets);
            t->routes = flowlog__cfg_alloc(j->c, (nr ? nr : 1) * sizeof *t->routes);
            if (!t->subnets || !t->routes)
                rc = nomem(j);
        }
        size_t w = path_push(j, "Associations", -1);
        for (size_t k = 0; rc == FLOWLOG_OK && k < na; k++) {
            json_t *s;
            bool main_table;
            size_t at2 = path_push(j, NULL, (long)k);
            rc = get_object(j, assoc, k, &s);
            if (rc == FLOWLOG_OK)
                rc = get_bool(j, s, "Main", false, &main_table);
            if (rc == FLOWLOG_OK)
                t->main = t->main || main_table;
            if (rc == FLOWLOG_OK)
                rc = get_str(j, s, "SubnetId", false, &t->subnets[t->nsubnets]);
            if (rc == FLOWLOG_OK && t->subnets[t->nsubnets])
                t->nsubnets++;
            path_pop(j, at2);
        }
        path_pop(j, w);
        w = path_push(j, "Routes", -1);
        for (size_t k = 0; rc == FLOWLOG_OK && k < nr; k++) {
            json_t *r;
            size_t at2 = path_push(j, NULL, (long)k);
            rc = get_object(j, routes, k, &r);
            if (rc == FLOWLOG_OK)
                rc = load_route(j, r, &t->routes[t->nroutes]);
            if (rc == FLOWLOG_OK)
                t->nroutes++;
            path_pop(j, at2);
        }
        path_pop(j, w);
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static cfg_plist *plist_for(flowlog_config *c, const char *id)
{
    cfg_plist *p = (cfg_plist *)(uintptr_t)flowlog__cfg_plist(c, id);
    if (p)
        return p;
    p = vec_push(c, &c->plists, sizeof *p);
    if (!p)
        return NULL;
    size_t n = strlen(id);
    char *copy = flowlog__cfg_alloc(c, n + 1);
    if (!copy)
        return NULL;
    memcpy(copy, id, n);
    p->id = copy;
    return p;
}

static int load_prefix_lists(jctx *j, json_t *doc)
{
    json_t *arr;
    size_t was = path_push(j, "PrefixLists", -1);
    int rc = get_array(j, doc, "PrefixLists", true, &arr);
    for (size_t i = 0; rc == FLOWLOG_OK && i < json_array_size(arr); i++) {
        json_t *o;
        const char *id, *name;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "PrefixListId", true, &id);
        if (rc == FLOWLOG_OK)
            rc = get_str(j, o, "PrefixListName", false, &name);
        cfg_plist *p = rc == FLOWLOG_OK ? plist_for(j->c, id) : NULL;
        if (rc == FLOWLOG_OK && !p)
            rc = nomem(j);
        if (rc == FLOWLOG_OK && name)
            p->name = name;
        path_pop(j, at);
    }
    path_pop(j, was);
    return rc;
}

static int load_prefix_list_entries(jctx *j, json_t *doc, const char *list)
{
    json_t *arr;
    size_t was = path_push(j, "Entries", -1);
    int rc = get_array(j, doc, "Entries", true, &arr);
    cfg_plist *p = rc == FLOWLOG_OK ? plist_for(j->c, list) : NULL;
    if (rc == FLOWLOG_OK && !p)
        rc = nomem(j);
    size_t n = json_array_size(arr);
    cfg_cidr *all = NULL;
    if (rc == FLOWLOG_OK && !(all = flowlog__cfg_alloc(j->c, (p->nentries + n + 1) * sizeof *all)))
        rc = nomem(j);
    if (rc == FLOWLOG_OK && p->nentries)
        memcpy(all, p->entries, p->nentries * sizeof *all);
    size_t have = rc == FLOWLOG_OK ? p->nentries : 0;
    for (size_t i = 0; rc == FLOWLOG_OK && i < n; i++) {
        json_t *o;
        bool found;
        size_t at = path_push(j, NULL, (long)i);
        rc = get_object(j, arr, i, &o);
        if (rc == FLOWLOG_OK)
            rc = get_cidr(j, o, "Cidr", &found, &all[have]);
        if (rc == FLOWLOG_OK && !found)
            rc = fail(j, "Cidr", "missing");
        if (rc == FLOWLOG_OK)
            have++;
        path_pop(j, at);
    }
    if (rc == FLOWLOG_OK) {
        p->entries = all;
        p->nentries = have;
        p->resolved = true;
    }
    path_pop(j, was);
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
        switch (document) {
        case FLOWLOG_CONFIG_SECURITY_GROUPS: rc = load_security_groups(&j, doc); break;
        case FLOWLOG_CONFIG_NETWORK_ACLS: rc = load_network_acls(&j, doc); break;
        case FLOWLOG_CONFIG_NETWORK_INTERFACES: rc = load_network_interfaces(&j, doc); break;
        case FLOWLOG_CONFIG_SUBNETS: rc = load_subnets(&j, doc); break;
        case FLOWLOG_CONFIG_ROUTE_TABLES: rc = load_route_tables(&j, doc); break;
        case FLOWLOG_CONFIG_PREFIX_LISTS: rc = load_prefix_lists(&j, doc); break;
        default: rc = load_prefix_list_entries(&j, doc, prefix_list_id); break;
        }
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
        if (n - p - 5 >= sizeof list)
            continue;
        memcpy(list, e->d_name + p, n - p - 5);
        list[n - p - 5] = '\0';
        rc = load_file(c, dir, e->d_name, FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES, list, true);
    }
    closedir(d);
    return rc;
}

int flowlog_config_has(const flowlog_config *c, int document)
{
    return c && document >= FLOWLOG_CONFIG_SECURITY_GROUPS && document <= FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES &&
           (c->loaded >> document) & 1u;
}

const char *flowlog_config_error_message(const flowlog_config *c)
{
    return c ? c->err.msg : "";
}

/* ---- lookups ---- */

#define FIND(vec, type, cond)                                                                                    \
    do {                                                                                                         \
        const type *items_ = (const type *)(vec).items;                                                          \
        for (size_t i_ = 0; i_ < (vec).n; i_++) {                                                                \
            const type *x = &items_[i_];                                                                         \
            if (cond)                                                                                            \
                return x;                                                                                        \
        }                                                                                                        \
        return NULL;                                                                                             \
    } while (0)

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

const cfg_sg *flowlog__cfg_sg(const flowlog_config *c, const char *id)
{
    FIND(c->sgs, cfg_sg, same(x->id, id));
}

const cfg_eni *flowlog__cfg_eni_by_id(const flowlog_config *c, const char *id)
{
    FIND(c->enis, cfg_eni, same(x->id, id));
}

static bool carries(const cfg_eni *e, const flowlog_addr *a)
{
    for (size_t i = 0; i < e->naddrs; i++)
        if (memcmp(&e->addrs[i], a, sizeof *a) == 0)
            return true;
    return false;
}

const cfg_eni *flowlog__cfg_eni_by_addr(const flowlog_config *c, const flowlog_addr *a)
{
    FIND(c->enis, cfg_eni, carries(x, a));
}

const cfg_subnet *flowlog__cfg_subnet(const flowlog_config *c, const char *id)
{
    FIND(c->subnets, cfg_subnet, same(x->id, id));
}

const cfg_plist *flowlog__cfg_plist(const flowlog_config *c, const char *id)
{
    FIND(c->plists, cfg_plist, same(x->id, id));
}

static bool lists(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (same(ids[i], id))
            return true;
    return false;
}

static const cfg_acl *default_acl(const flowlog_config *c, const char *vpc)
{
    FIND(c->acls, cfg_acl, x->is_default && (!vpc || !x->vpc || same(x->vpc, vpc)));
}

static const cfg_acl *associated_acl(const flowlog_config *c, const char *subnet)
{
    FIND(c->acls, cfg_acl, lists(x->subnets, x->nsubnets, subnet));
}

const cfg_acl *flowlog__cfg_acl_of(const flowlog_config *c, const char *subnet, const char *vpc)
{
    const cfg_acl *a = associated_acl(c, subnet);
    return a ? a : default_acl(c, vpc);
}

static const cfg_rtb *main_rtb(const flowlog_config *c, const char *vpc)
{
    FIND(c->rtbs, cfg_rtb, x->main && (!vpc || !x->vpc || same(x->vpc, vpc)));
}

static const cfg_rtb *associated_rtb(const flowlog_config *c, const char *subnet)
{
    FIND(c->rtbs, cfg_rtb, lists(x->subnets, x->nsubnets, subnet));
}

const cfg_rtb *flowlog__cfg_rtb_of(const flowlog_config *c, const char *subnet, const char *vpc)
{
    const cfg_rtb *t = associated_rtb(c, subnet);
    return t ? t : main_rtb(c, vpc);
}

const char *flowlog_config_eni_of(const flowlog_config *c, const flowlog_addr *addr)
{
    if (!c || !addr)
        return NULL;
    const cfg_eni *e = flowlog__cfg_eni_by_addr(c, addr);
    return e ? e->id : NULL;
}

int flowlog_config_eni_address(const flowlog_config *c, const char *eni_id, flowlog_addr *out)
{
    if (!c || !eni_id || !out)
        return FLOWLOG_E_ARG;
    const cfg_eni *e = flowlog__cfg_eni_by_id(c, eni_id);
    if (!e || !e->naddrs)
        return FLOWLOG_ABSENT;
    *out = e->addrs[0];
    return FLOWLOG_OK;
}
