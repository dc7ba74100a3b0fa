/**
 * @file config.h
 * The VPC's configuration as evidence: security groups, network ACLs, ENIs,
 * subnets, route tables and managed prefix lists, loaded from the JSON the
 * AWS CLI prints, and a question (client, server, port, protocol) evaluated
 * against them checkpoint by checkpoint, as AWS documents the semantics:
 *
 *  - security groups allow only, are stateful, and an ENI has the union of
 *    its groups' rules; peers by CIDR (IPv4, IPv6), managed prefix list
 *    (resolved when its entries are loaded, unknown otherwise) or
 *    referenced group (the peer's ENI carries it);
 *  - network ACLs belong to subnets (the VPC's default ACL where a subnet
 *    has no association), are stateless, ingress and egress apart, rules in
 *    rule-number order, the first match wins, and the final `*` denies;
 *  - route tables (when loaded): the subnet's table or the VPC's main one,
 *    the longest prefix that matches; a blackhole or no route blocks.
 *
 * The request goes client SG egress, client ACL egress, client route,
 * server ACL ingress, server SG ingress; the reply goes server ACL egress,
 * server route and client ACL ingress to the client's ephemeral ports
 * (security groups pass replies). An endpoint outside the VPC (the
 * internet, an on-premises network) has no checkpoints of its own.
 *
 * Thread-safety and ownership (every call here): a loaded configuration is
 * read-only to evaluations, so one may serve several flowlog_reach handles
 * in different threads once loading is done; loading belongs to one thread.
 * A flowlog_reach belongs to one thread, and borrows its configuration,
 * which must outlive it. Strings returned are owned by the handle they
 * come from, valid until its next evaluation or its free.
 */
#ifndef FLOWLOG_CONFIG_H
#define FLOWLOG_CONFIG_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct flowlog_config flowlog_config;
typedef struct flowlog_reach flowlog_reach;

/** The AWS CLI outputs a configuration is made of (pinned). Since: 1.5 */
enum flowlog_config_document {
    FLOWLOG_CONFIG_SECURITY_GROUPS = 1,    ///< `aws ec2 describe-security-groups` (required)
    FLOWLOG_CONFIG_NETWORK_ACLS = 2,       ///< `aws ec2 describe-network-acls` (required)
    FLOWLOG_CONFIG_NETWORK_INTERFACES = 3, ///< `aws ec2 describe-network-interfaces` (required)
    FLOWLOG_CONFIG_SUBNETS = 4,            ///< `aws ec2 describe-subnets`
    FLOWLOG_CONFIG_ROUTE_TABLES = 5,       ///< `aws ec2 describe-route-tables`
    FLOWLOG_CONFIG_PREFIX_LISTS = 6,       ///< `aws ec2 describe-managed-prefix-lists`
    FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES = 7 ///< `aws ec2 get-managed-prefix-list-entries` of one list
};

/** The checkpoints of a path, in the order a packet meets them (pinned). Since: 1.5 */
enum flowlog_checkpoint {
    FLOWLOG_CHECK_CLIENT_SG_EGRESS = 1,  ///< "client-sg-egress"
    FLOWLOG_CHECK_CLIENT_ACL_EGRESS = 2, ///< "client-acl-egress"
    FLOWLOG_CHECK_CLIENT_ROUTE = 3,      ///< "client-route": the client subnet's route to the server
    FLOWLOG_CHECK_SERVER_ACL_INGRESS = 4, ///< "server-acl-ingress"
    FLOWLOG_CHECK_SERVER_SG_INGRESS = 5, ///< "server-sg-ingress"
    FLOWLOG_CHECK_SERVER_ACL_EGRESS = 6, ///< "server-acl-egress": the reply to the ephemeral ports
    FLOWLOG_CHECK_SERVER_ROUTE = 7,      ///< "server-route": the server subnet's route back to the client
    FLOWLOG_CHECK_CLIENT_ACL_INGRESS = 8 ///< "client-acl-ingress": the reply to the ephemeral ports
};

/** What a checkpoint does to the traffic (pinned). Since: 1.5 */
enum flowlog_check_outcome {
    FLOWLOG_CHECK_ALLOW = 1,   ///< "allow"
    FLOWLOG_CHECK_DENY = 2,    ///< "deny": it blocks
    FLOWLOG_CHECK_PARTIAL = 3, ///< "partial": the reply is allowed to some ephemeral ports only
    FLOWLOG_CHECK_UNKNOWN = 4, ///< "unknown": it depends on what was not loaded (an unresolved prefix list, no route tables)
    FLOWLOG_CHECK_OUTSIDE = 5  ///< "outside": the endpoint is not in the configuration; no such checkpoint
};

/**
 * Make an empty configuration.
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_config_new(flowlog_config **out, const flowlog_allocator *a);

/** As flowlog_config_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_config_new_ex(flowlog_config **out, const flowlog_allocator *a,
                                                        flowlog_error_info *err);

/** Free a configuration; NULL is a no-op. Since: 1.5 */
FLOWLOG_API void flowlog_config_free(flowlog_config *c);

/**
 * Load one AWS CLI output. Several JSON documents one after the other (the
 * CLI's pages concatenated) are read in turn; unknown keys are ignored.
 * @param document a flowlog_config_document.
 * @param name the file name used in messages (NULL: "<json>").
 * @param prefix_list_id the list whose entries these are, for
 * FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES only (the CLI's output does not name it).
 * @return FLOWLOG_OK, FLOWLOG_E_JSON (not JSON, or a required key missing or
 * of the wrong type: flowlog_config_error_message() names the file and the
 * JSON path, such as `SecurityGroups[2].GroupId`), FLOWLOG_E_ARG,
 * FLOWLOG_E_NOMEM. Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_config_load(flowlog_config *c, int document, const char *text,
                                                      size_t len, const char *name,
                                                      const char *prefix_list_id);

/**
 * Load a folder of AWS CLI outputs named after their commands:
 * describe-security-groups.json, describe-network-acls.json and
 * describe-network-interfaces.json (required); describe-subnets.json,
 * describe-route-tables.json, describe-managed-prefix-lists.json and
 * get-managed-prefix-list-entries-<pl-id>.json (optional).
 * @return FLOWLOG_OK, FLOWLOG_E_IO (a required file missing or unreadable;
 * the message names it), FLOWLOG_E_JSON, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM.
 * Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_config_load_dir(flowlog_config *c, const char *dir);

/** @return 1 when a document of that kind was loaded, else 0. Since: 1.5 */
FLOWLOG_API int flowlog_config_has(const flowlog_config *c, int document);

/**
 * The ENI that carries an address (a private IPv4 or IPv6 address, or a
 * public IPv4 address associated with it).
 * @return its id (owned by the configuration), or NULL. Since: 1.5
 */
FLOWLOG_API const char *flowlog_config_eni_of(const flowlog_config *c, const flowlog_addr *addr);

/**
 * The primary private address of a described ENI.
 * @return FLOWLOG_OK, FLOWLOG_ABSENT (not described), FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_config_eni_address(const flowlog_config *c, const char *eni_id, flowlog_addr *out);

/** Message of the last error ("" when none). Since: 1.5 */
FLOWLOG_API const char *flowlog_config_error_message(const flowlog_config *c);

/**
 * Make an evaluation handle over a loaded configuration (borrowed).
 * @return FLOWLOG_OK, FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reach_new(flowlog_reach **out, const flowlog_config *c,
                                                    const flowlog_allocator *a);

/** As flowlog_reach_new(), and on failure err (may be NULL) says why. Since: 1.5 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reach_new_ex(flowlog_reach **out, const flowlog_config *c,
                                                       const flowlog_allocator *a, flowlog_error_info *err);

/** Free an evaluation; NULL is a no-op. Since: 1.5 */
FLOWLOG_API void flowlog_reach_free(flowlog_reach *r);

/**
 * Evaluate a question: every checkpoint of the request and of the reply.
 * @param client, server one IPv4 or IPv6 address each (the same family).
 * @param port the server's port (ignored for ICMP).
 * @param protocol an IANA number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6); for
 * ICMP, port is type * 256 + code, or 65535 for any.
 * @param eph_lo, eph_hi the client's ephemeral ports the reply goes to (AWS
 * advises 1024-65535, the range of Lambda and NAT gateways; Linux uses
 * 32768-60999); one port when the client's port is known.
 * @return FLOWLOG_OK, FLOWLOG_E_QUERY (a bad address or range;
 * flowlog_reach_error_message()), FLOWLOG_E_ARG, FLOWLOG_E_NOMEM. Since: 1.5
 */
FLOWLOG_API FLOWLOG_NODISCARD int flowlog_reach_evaluate(flowlog_reach *r, const char *client,
                                                         const char *server, unsigned port, int protocol,
                                                         unsigned eph_lo, unsigned eph_hi);

/**
 * @return 1 when every checkpoint allows, 0 when one denies (or allows the
 * reply to some ephemeral ports only), -1 when it depends on what was not
 * loaded. Since: 1.5
 */
FLOWLOG_API int flowlog_reach_reachable(const flowlog_reach *r);

/** @return the number of checkpoints evaluated (those that exist for these endpoints). Since: 1.5 */
FLOWLOG_API size_t flowlog_reach_count(const flowlog_reach *r);

/**
 * One checkpoint, in path order. Any out pointer may be NULL.
 * @param checkpoint receives a flowlog_checkpoint; @param outcome a flowlog_check_outcome.
 * @param resource the sg-, acl- or rtb- id decided it ("" for none; for
 * security groups, the group whose rule allowed, or every group, space-separated).
 * @param rule the ACL rule number that matched (32767 for `*`), or -1.
 * @param detail one line of English: the rule that matched or why none did.
 * @return FLOWLOG_OK, FLOWLOG_E_RANGE (index past the end), FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_reach_checkpoint(const flowlog_reach *r, size_t index, int *checkpoint, int *outcome,
                                         const char **resource, int64_t *rule, const char **detail);

/** @return the index of the first checkpoint that does not allow (deny, partial or unknown), or -1. Since: 1.5 */
FLOWLOG_API int flowlog_reach_blocking(const flowlog_reach *r);

/**
 * The smallest change that opens the first blocking checkpoint.
 * @param command receives the AWS CLI command that makes it ("" when none
 * can be written, such as for a missing route whose target is a choice).
 * @return the change in words, or "" when nothing blocks. Since: 1.5
 */
FLOWLOG_API const char *flowlog_reach_fix(const flowlog_reach *r, const char **command);

/**
 * The ENI of an endpoint (FLOWLOG_SIDE_CLIENT = 1 or FLOWLOG_SIDE_SERVER = 2
 * of diag.h), its subnet and VPC.
 * @return FLOWLOG_OK, FLOWLOG_ABSENT (the endpoint is outside the
 * configuration), FLOWLOG_E_ARG. Since: 1.5
 */
FLOWLOG_API int flowlog_reach_endpoint(const flowlog_reach *r, int side, const char **eni, const char **subnet,
                                       const char **vpc);

/** Message of the last error ("" when none). Since: 1.5 */
FLOWLOG_API const char *flowlog_reach_error_message(const flowlog_reach *r);

/** @return the stable id of a checkpoint ("server-acl-ingress", ...), or NULL. Since: 1.5 */
FLOWLOG_API const char *flowlog_checkpoint_name(int checkpoint);

/** @return the stable id of an outcome ("allow", "deny", ...), or NULL. Since: 1.5 */
FLOWLOG_API const char *flowlog_check_outcome_name(int outcome);

#ifdef __cplusplus
}
#endif

#endif
