/* The VPC's configuration, as loaded from the AWS CLI's JSON (load.c) and
 * evaluated for one question (reach.c). Not API. */
#ifndef FLOWLOG_CONFIG_INTERNAL_H
#define FLOWLOG_CONFIG_INTERNAL_H

#include "../core/internal.h"

#include <flowlog/config.h>

typedef struct cfg_cidr {
    flowlog_addr net;
    unsigned prefix;
} cfg_cidr;

/* Any port, type or code: AWS's -1. */
#define CFG_ANY (-1)

/* A security group rule's peer: one per IpRanges / Ipv6Ranges /
 * PrefixListIds / UserIdGroupPairs element (AWS's own rule granularity). */
enum { PEER_CIDR = 1, PEER_PREFIX_LIST = 2, PEER_GROUP = 3 };

typedef struct sg_rule {
    int protocol;     /* IANA number, CFG_ANY for "-1" */
    int from, to;     /* ports; for ICMP, type and code; CFG_ANY for all */
    int peer_kind;
    cfg_cidr cidr;
    const char *ref;  /* the prefix list or group id */
} sg_rule;

typedef struct cfg_sg {
    const char *id, *name, *vpc;
    sg_rule *rules[2]; /* ingress, egress */
    size_t nrules[2];
} cfg_sg;

typedef struct acl_entry {
    int number;
    bool egress, allow;
    int protocol;     /* CFG_ANY for "-1" */
    int from, to;     /* PortRange, or the whole range when absent */
    int icmp_type, icmp_code;
    cfg_cidr cidr;
} acl_entry;

typedef struct cfg_acl {
    const char *id, *vpc;
    bool is_default;
    const char **subnets;
    size_t nsubnets;
    acl_entry *entries; /* sorted by rule number */
    size_t nentries;
} cfg_acl;

typedef struct cfg_eni {
    const char *id, *subnet, *vpc, *type, *description;
    const char **groups;
    size_t ngroups;
    flowlog_addr *addrs; /* the primary private address first, then the others, the IPv6 and the public ones */
    size_t naddrs;
} cfg_eni;

typedef struct cfg_subnet {
    const char *id, *vpc;
    cfg_cidr cidr[2]; /* IPv4, IPv6 (prefix 129 when none) */
} cfg_subnet;

typedef struct cfg_route {
    cfg_cidr dest;
    const char *dest_list; /* DestinationPrefixListId, or NULL */
    const char *target;    /* the gateway, NAT, ENI, ... id, or "local" */
    bool blackhole;
} cfg_route;

typedef struct cfg_rtb {
    const char *id, *vpc;
    bool main;
    const char **subnets;
    size_t nsubnets;
    cfg_route *routes;
    size_t nroutes;
} cfg_rtb;

typedef struct cfg_plist {
    const char *id, *name;
    cfg_cidr *entries;
    size_t nentries;
    bool resolved; /* its entries were loaded */
} cfg_plist;

/* A growing array of one kind of object. */
typedef struct cfg_vec {
    void *items;
    size_t n, cap;
} cfg_vec;

typedef struct cfg_block cfg_block;

struct flowlog_config {
    flowlog_allocator alloc;
    flowlog__error err;
    cfg_block *arena;      /* strings and the arrays inside objects */
    size_t arena_used, arena_cap;
    cfg_vec sgs, acls, enis, subnets, rtbs, plists;
    unsigned loaded;       /* bit per flowlog_config_document */
};

/* Room from the configuration's arena, zeroed; NULL when out of memory. */
void *flowlog__cfg_alloc(flowlog_config *c, size_t n);
/* A new zeroed object at the end of an array of objects of size item. */
void *flowlog__cfg_push(flowlog_config *c, cfg_vec *v, size_t item);

const cfg_sg *flowlog__cfg_sg(const flowlog_config *c, const char *id);
const cfg_eni *flowlog__cfg_eni_by_id(const flowlog_config *c, const char *id);
const cfg_eni *flowlog__cfg_eni_by_addr(const flowlog_config *c, const flowlog_addr *a);
const cfg_subnet *flowlog__cfg_subnet(const flowlog_config *c, const char *id);
const cfg_plist *flowlog__cfg_plist(const flowlog_config *c, const char *id);
/* The ACL of a subnet: its association, else the default ACL of its VPC. */
const cfg_acl *flowlog__cfg_acl_of(const flowlog_config *c, const char *subnet, const char *vpc);
/* The route table of a subnet: its association, else the main one of its VPC. */
const cfg_rtb *flowlog__cfg_rtb_of(const flowlog_config *c, const char *subnet, const char *vpc);

#endif
