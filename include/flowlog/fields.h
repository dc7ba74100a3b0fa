/**
 * @file fields.h
 * The registry of AWS VPC Flow Logs fields. Every field AWS documents has a
 * pinned numeric id (FLOWLOG_FIELD_*), a value type and the flow-log version
 * that introduced it. Names resolve in AWS spelling (`log-status`), Athena
 * spelling (`log_status`) and CloudWatch Logs Insights' discovered spelling
 * (`logStatus`, `srcAddr`, `startTime`).
 *
 * Fields a schema registers itself (custom fields, and names AWS adds later
 * that appear in a format or header) get ids from FLOWLOG_FIELD_CUSTOM_BASE
 * up, per schema: see schema.h.
 *
 * Thread-safety and ownership (every call here): the registry of built-in
 * fields is read-only, so every call is safe from any thread at once; the
 * names returned are static. (A schema's own fields: schema.h.)
 */
#ifndef FLOWLOG_FIELDS_H
#define FLOWLOG_FIELDS_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Built-in field ids (pinned; new fields get new numbers, none is reused). */
enum flowlog_field_id {
    FLOWLOG_FIELD_NONE = 0,
    FLOWLOG_FIELD_VERSION = 1,
    FLOWLOG_FIELD_ACCOUNT_ID = 2,
    FLOWLOG_FIELD_INTERFACE_ID = 3,
    FLOWLOG_FIELD_SRCADDR = 4,
    FLOWLOG_FIELD_DSTADDR = 5,
    FLOWLOG_FIELD_SRCPORT = 6,
    FLOWLOG_FIELD_DSTPORT = 7,
    FLOWLOG_FIELD_PROTOCOL = 8,
    FLOWLOG_FIELD_PACKETS = 9,
    FLOWLOG_FIELD_BYTES = 10,
    FLOWLOG_FIELD_START = 11,
    FLOWLOG_FIELD_END = 12,
    FLOWLOG_FIELD_ACTION = 13,
    FLOWLOG_FIELD_LOG_STATUS = 14,
    FLOWLOG_FIELD_VPC_ID = 15,
    FLOWLOG_FIELD_SUBNET_ID = 16,
    FLOWLOG_FIELD_INSTANCE_ID = 17,
    FLOWLOG_FIELD_TCP_FLAGS = 18,
    FLOWLOG_FIELD_TYPE = 19,
    FLOWLOG_FIELD_PKT_SRCADDR = 20,
    FLOWLOG_FIELD_PKT_DSTADDR = 21,
    FLOWLOG_FIELD_REGION = 22,
    FLOWLOG_FIELD_AZ_ID = 23,
    FLOWLOG_FIELD_SUBLOCATION_TYPE = 24,
    FLOWLOG_FIELD_SUBLOCATION_ID = 25,
    FLOWLOG_FIELD_PKT_SRC_AWS_SERVICE = 26,
    FLOWLOG_FIELD_PKT_DST_AWS_SERVICE = 27,
    FLOWLOG_FIELD_FLOW_DIRECTION = 28,
    FLOWLOG_FIELD_TRAFFIC_PATH = 29,
    FLOWLOG_FIELD_RESOURCE_TYPE = 30,
    FLOWLOG_FIELD_TGW_ID = 31,
    FLOWLOG_FIELD_TGW_ATTACHMENT_ID = 32,
    FLOWLOG_FIELD_TGW_SRC_VPC_ACCOUNT_ID = 33,
    FLOWLOG_FIELD_TGW_DST_VPC_ACCOUNT_ID = 34,
    FLOWLOG_FIELD_TGW_SRC_VPC_ID = 35,
    FLOWLOG_FIELD_TGW_DST_VPC_ID = 36,
    FLOWLOG_FIELD_TGW_SRC_SUBNET_ID = 37,
    FLOWLOG_FIELD_TGW_DST_SUBNET_ID = 38,
    FLOWLOG_FIELD_TGW_SRC_ENI = 39,
    FLOWLOG_FIELD_TGW_DST_ENI = 40,
    FLOWLOG_FIELD_TGW_SRC_AZ_ID = 41,
    FLOWLOG_FIELD_TGW_DST_AZ_ID = 42,
    FLOWLOG_FIELD_TGW_PAIR_ATTACHMENT_ID = 43,
    FLOWLOG_FIELD_PACKETS_LOST_NO_ROUTE = 44,
    FLOWLOG_FIELD_PACKETS_LOST_BLACKHOLE = 45,
    FLOWLOG_FIELD_PACKETS_LOST_MTU_EXCEEDED = 46,
    FLOWLOG_FIELD_PACKETS_LOST_TTL_EXPIRED = 47,
    FLOWLOG_FIELD_ECS_CLUSTER_ARN = 48,
    FLOWLOG_FIELD_ECS_CLUSTER_NAME = 49,
    FLOWLOG_FIELD_ECS_CONTAINER_INSTANCE_ARN = 50,
    FLOWLOG_FIELD_ECS_CONTAINER_INSTANCE_ID = 51,
    FLOWLOG_FIELD_ECS_CONTAINER_ID = 52,
    FLOWLOG_FIELD_ECS_SECOND_CONTAINER_ID = 53,
    FLOWLOG_FIELD_ECS_SERVICE_NAME = 54,
    FLOWLOG_FIELD_ECS_TASK_DEFINITION_ARN = 55,
    FLOWLOG_FIELD_ECS_TASK_ARN = 56,
    FLOWLOG_FIELD_ECS_TASK_ID = 57,
    FLOWLOG_FIELD_REJECT_REASON = 58,
    FLOWLOG_FIELD_ENCRYPTION_STATUS = 59,
    FLOWLOG_FIELD_RESOURCE_ID = 60
};

/** The first id given to a schema's own fields. */
#define FLOWLOG_FIELD_CUSTOM_BASE 1024u

/** Value types (pinned). */
enum flowlog_type {
    FLOWLOG_TYPE_STRING = 1, ///< bytes as written (`-` is absent)
    FLOWLOG_TYPE_UINT = 2,   ///< unsigned decimal, 64 bits at most
    FLOWLOG_TYPE_ADDR = 3,   ///< IPv4 or IPv6 address
    FLOWLOG_TYPE_ENUM = 4,   ///< one of a documented set of words (see below)
    FLOWLOG_TYPE_TIME = 5    ///< Unix seconds; milliseconds are recognised and normalised
};

/** `action` values. */
enum flowlog_action { FLOWLOG_ACTION_ACCEPT = 1, FLOWLOG_ACTION_REJECT = 2 };
/** `log-status` values. */
enum flowlog_log_status { FLOWLOG_STATUS_OK = 1, FLOWLOG_STATUS_NODATA = 2, FLOWLOG_STATUS_SKIPDATA = 3 };
/** `type` values. */
enum flowlog_traffic_type { FLOWLOG_TRAFFIC_IPV4 = 1, FLOWLOG_TRAFFIC_IPV6 = 2, FLOWLOG_TRAFFIC_EFA = 3 };
/** `flow-direction` values. */
enum flowlog_direction { FLOWLOG_DIRECTION_INGRESS = 1, FLOWLOG_DIRECTION_EGRESS = 2 };
/** `sublocation-type` values. */
enum flowlog_sublocation {
    FLOWLOG_SUBLOCATION_WAVELENGTH = 1,
    FLOWLOG_SUBLOCATION_OUTPOST = 2,
    FLOWLOG_SUBLOCATION_LOCALZONE = 3
};
/** `resource-type` values (transit-gateway flow logs). */
enum flowlog_resource_type {
    FLOWLOG_RESOURCE_TRANSIT_GATEWAY = 1,
    FLOWLOG_RESOURCE_TRANSIT_GATEWAY_ATTACHMENT = 2
};

/** `tcp-flags` bits, OR-ed over the aggregation interval. SYN-ACK is SYN|ACK = 18. */
#define FLOWLOG_TCP_FIN 1u
#define FLOWLOG_TCP_SYN 2u
#define FLOWLOG_TCP_RST 4u
#define FLOWLOG_TCP_PSH 8u
#define FLOWLOG_TCP_ACK 16u
#define FLOWLOG_TCP_URG 32u
#define FLOWLOG_TCP_SYN_ACK 18u

/**
 * Resolve a field name in any accepted spelling to a built-in id.
 * Built-in names only: flowlog_schema_lookup() also knows a schema's own
 * registered fields, and is the one to use when a schema is at hand.
 * @return the id, or FLOWLOG_FIELD_NONE (0) when no built-in field has that name.
 * Thread-safety: safe. Since: 1.0
 */
FLOWLOG_API uint32_t flowlog_field_lookup(const char *name, size_t len);

/** @return the AWS name (NUL-terminated, static) of a built-in id, or NULL. Since: 1.0 */
FLOWLOG_API const char *flowlog_field_name(uint32_t id);

/** @return the FLOWLOG_TYPE_* of a built-in id, or 0 for an unknown id. Since: 1.0 */
FLOWLOG_API int flowlog_field_type(uint32_t id);

/**
 * @return the flow-log version that introduced a built-in field (2..8; 6 for
 * the transit-gateway set), 0 where AWS has not documented it, -1 for an
 * unknown id. Since: 1.0
 */
FLOWLOG_API int flowlog_field_version(uint32_t id);

/**
 * Iterate over the built-in fields: start with FLOWLOG_FIELD_NONE.
 * @return the next built-in id after `id`, or FLOWLOG_FIELD_NONE after the last.
 * Since: 1.0
 */
FLOWLOG_API uint32_t flowlog_field_next(uint32_t id);

/**
 * The word for an enum value of a built-in enum field, e.g. "REJECT" for
 * (FLOWLOG_FIELD_ACTION, FLOWLOG_ACTION_REJECT).
 * @return a static string, or NULL when the pair is unknown. Since: 1.0
 */
FLOWLOG_API const char *flowlog_enum_name(uint32_t field, int value);

#ifdef __cplusplus
}
#endif

#endif
