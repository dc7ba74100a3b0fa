#include "internal.h"

/* The registry. Ids are pinned in fields.h; versions and types follow the
 * Amazon VPC User Guide's field table (transit-gateway fields are version 6;
 * encryption-status and resource-id have no documented version: 0). */
static const flowlog__field_info registry[] = {
    {FLOWLOG_FIELD_NONE, NULL, 0, -1},
    {FLOWLOG_FIELD_VERSION, "version", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_ACCOUNT_ID, "account-id", FLOWLOG_TYPE_STRING, 2},
    {FLOWLOG_FIELD_INTERFACE_ID, "interface-id", FLOWLOG_TYPE_STRING, 2},
    {FLOWLOG_FIELD_SRCADDR, "srcaddr", FLOWLOG_TYPE_ADDR, 2},
    {FLOWLOG_FIELD_DSTADDR, "dstaddr", FLOWLOG_TYPE_ADDR, 2},
    {FLOWLOG_FIELD_SRCPORT, "srcport", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_DSTPORT, "dstport", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_PROTOCOL, "protocol", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_PACKETS, "packets", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_BYTES, "bytes", FLOWLOG_TYPE_UINT, 2},
    {FLOWLOG_FIELD_START, "start", FLOWLOG_TYPE_TIME, 2},
    {FLOWLOG_FIELD_END, "end", FLOWLOG_TYPE_TIME, 2},
    {FLOWLOG_FIELD_ACTION, "action", FLOWLOG_TYPE_ENUM, 2},
    {FLOWLOG_FIELD_LOG_STATUS, "log-status", FLOWLOG_TYPE_ENUM, 2},
    {FLOWLOG_FIELD_VPC_ID, "vpc-id", FLOWLOG_TYPE_STRING, 3},
    {FLOWLOG_FIELD_SUBNET_ID, "subnet-id", FLOWLOG_TYPE_STRING, 3},
    {FLOWLOG_FIELD_INSTANCE_ID, "instance-id", FLOWLOG_TYPE_STRING, 3},
    {FLOWLOG_FIELD_TCP_FLAGS, "tcp-flags", FLOWLOG_TYPE_UINT, 3},
    {FLOWLOG_FIELD_TYPE, "type", FLOWLOG_TYPE_ENUM, 3},
    {FLOWLOG_FIELD_PKT_SRCADDR, "pkt-srcaddr", FLOWLOG_TYPE_ADDR, 3},
    {FLOWLOG_FIELD_PKT_DSTADDR, "pkt-dstaddr", FLOWLOG_TYPE_ADDR, 3},
    {FLOWLOG_FIELD_REGION, "region", FLOWLOG_TYPE_STRING, 4},
    {FLOWLOG_FIELD_AZ_ID, "az-id", FLOWLOG_TYPE_STRING, 4},
    {FLOWLOG_FIELD_SUBLOCATION_TYPE, "sublocation-type", FLOWLOG_TYPE_ENUM, 4},
    {FLOWLOG_FIELD_SUBLOCATION_ID, "sublocation-id", FLOWLOG_TYPE_STRING, 4},
    {FLOWLOG_FIELD_PKT_SRC_AWS_SERVICE, "pkt-src-aws-service", FLOWLOG_TYPE_STRING, 5},
    {FLOWLOG_FIELD_PKT_DST_AWS_SERVICE, "pkt-dst-aws-service", FLOWLOG_TYPE_STRING, 5},
    {FLOWLOG_FIELD_FLOW_DIRECTION, "flow-direction", FLOWLOG_TYPE_ENUM, 5},
    {FLOWLOG_FIELD_TRAFFIC_PATH, "traffic-path", FLOWLOG_TYPE_UINT, 5},
    {FLOWLOG_FIELD_RESOURCE_TYPE, "resource-type", FLOWLOG_TYPE_ENUM, 6},
    {FLOWLOG_FIELD_TGW_ID, "tgw-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_ATTACHMENT_ID, "tgw-attachment-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_SRC_VPC_ACCOUNT_ID, "tgw-src-vpc-account-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_DST_VPC_ACCOUNT_ID, "tgw-dst-vpc-account-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_SRC_VPC_ID, "tgw-src-vpc-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_DST_VPC_ID, "tgw-dst-vpc-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_SRC_SUBNET_ID, "tgw-src-subnet-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_DST_SUBNET_ID, "tgw-dst-subnet-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_SRC_ENI, "tgw-src-eni", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_DST_ENI, "tgw-dst-eni", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_SRC_AZ_ID, "tgw-src-az-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_DST_AZ_ID, "tgw-dst-az-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_TGW_PAIR_ATTACHMENT_ID, "tgw-pair-attachment-id", FLOWLOG_TYPE_STRING, 6},
    {FLOWLOG_FIELD_PACKETS_LOST_NO_ROUTE, "packets-lost-no-route", FLOWLOG_TYPE_UINT, 6},
    {FLOWLOG_FIELD_PACKETS_LOST_BLACKHOLE, "packets-lost-blackhole", FLOWLOG_TYPE_UINT, 6},
    {FLOWLOG_FIELD_PACKETS_LOST_MTU_EXCEEDED, "packets-lost-mtu-exceeded", FLOWLOG_TYPE_UINT, 6},
    {FLOWLOG_FIELD_PACKETS_LOST_TTL_EXPIRED, "packets-lost-ttl-expired", FLOWLOG_TYPE_UINT, 6},
    {FLOWLOG_FIELD_ECS_CLUSTER_ARN, "ecs-cluster-arn", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_CLUSTER_NAME, "ecs-cluster-name", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_CONTAINER_INSTANCE_ARN, "ecs-container-instance-arn", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_CONTAINER_INSTANCE_ID, "ecs-container-instance-id", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_CONTAINER_ID, "ecs-container-id", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_SECOND_CONTAINER_ID, "ecs-second-container-id", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_SERVICE_NAME, "ecs-service-name", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_TASK_DEFINITION_ARN, "ecs-task-definition-arn", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_TASK_ARN, "ecs-task-arn", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_ECS_TASK_ID, "ecs-task-id", FLOWLOG_TYPE_STRING, 7},
    {FLOWLOG_FIELD_REJECT_REASON, "reject-reason", FLOWLOG_TYPE_STRING, 8},
    {FLOWLOG_FIELD_ENCRYPTION_STATUS, "encryption-status", FLOWLOG_TYPE_UINT, 0},
    {FLOWLOG_FIELD_RESOURCE_ID, "resource-id", FLOWLOG_TYPE_STRING, 0},
};

#define REGISTRY_SIZE (sizeof registry / sizeof registry[0])

/* CloudWatch Logs Insights discovers these under names that are not a
 * respelling of the AWS name. */
static const struct {
    const char *alias;
    uint32_t id;
} aliases[] = {
    {"startTime", FLOWLOG_FIELD_START},
    {"endTime", FLOWLOG_FIELD_END},
};

const flowlog__field_info *flowlog__field_info_of(uint32_t id)
{
    if (id == FLOWLOG_FIELD_NONE || id >= REGISTRY_SIZE)
        return NULL;
    return &registry[id];
}

static int fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

bool flowlog__name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < alen && (a[i] == '-' || a[i] == '_'))
            i++;
        while (j < blen && (b[j] == '-' || b[j] == '_'))
            j++;
        if (i == alen || j == blen)
            return i == alen && j == blen;
        if (fold((unsigned char)a[i]) != fold((unsigned char)b[j]))
            return false;
        i++;
        j++;
    }
}

bool flowlog__is_name_shape(const char *s, size_t len)
{
    if (len == 0 || len > FLOWLOG__MAX_NAME)
        return false;
    unsigned char c0 = (unsigned char)s[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z')))
        return false;
    for (size_t i = 1; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

uint32_t flowlog_field_lookup(const char *name, size_t len)
{
    if (!name)
        return FLOWLOG_FIELD_NONE;
    for (size_t i = 1; i < REGISTRY_SIZE; i++)
        if (flowlog__name_equal(name, len, registry[i].name, strlen(registry[i].name)))
            return registry[i].id;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (flowlog__name_equal(name, len, aliases[i].alias, strlen(aliases[i].alias)))
            return aliases[i].id;
    return FLOWLOG_FIELD_NONE;
}

const char *flowlog_field_name(uint32_t id)
{
    const flowlog__field_info *f = flowlog__field_info_of(id);
    return f ? f->name : NULL;
}

int flowlog_field_type(uint32_t id)
{
    const flowlog__field_info *f = flowlog__field_info_of(id);
    return f ? f->type : 0;
}

int flowlog_field_version(uint32_t id)
{
    const flowlog__field_info *f = flowlog__field_info_of(id);
    return f ? f->version : -1;
}

uint32_t flowlog_field_next(uint32_t id)
{
    return id + 1 < REGISTRY_SIZE ? id + 1 : FLOWLOG_FIELD_NONE;
}

/* ---- enums ---- */
typedef struct enum_word {
    const char *word;
    int value;
} enum_word;

static const enum_word action_words[] = {{"ACCEPT", FLOWLOG_ACTION_ACCEPT}, {"REJECT", FLOWLOG_ACTION_REJECT}, {NULL, 0}};
static const enum_word status_words[] = {{"OK", FLOWLOG_STATUS_OK}, {"NODATA", FLOWLOG_STATUS_NODATA},
                                         {"SKIPDATA", FLOWLOG_STATUS_SKIPDATA}, {NULL, 0}};
static const enum_word type_words[] = {{"IPv4", FLOWLOG_TRAFFIC_IPV4}, {"IPv6", FLOWLOG_TRAFFIC_IPV6},
                                       {"EFA", FLOWLOG_TRAFFIC_EFA}, {NULL, 0}};
static const enum_word direction_words[] = {{"ingress", FLOWLOG_DIRECTION_INGRESS},
                                            {"egress", FLOWLOG_DIRECTION_EGRESS}, {NULL, 0}};
static const enum_word sublocation_words[] = {{"wavelength", FLOWLOG_SUBLOCATION_WAVELENGTH},
                                              {"outpost", FLOWLOG_SUBLOCATION_OUTPOST},
                                              {"localzone", FLOWLOG_SUBLOCATION_LOCALZONE}, {NULL, 0}};
static const enum_word resource_words[] = {{"TransitGateway", FLOWLOG_RESOURCE_TRANSIT_GATEWAY},
                                           {"TransitGatewayAttachment", FLOWLOG_RESOURCE_TRANSIT_GATEWAY_ATTACHMENT},
                                           {NULL, 0}};

static const enum_word *enum_words(uint32_t field)
{
    switch (field) {
    case FLOWLOG_FIELD_ACTION: return action_words;
    case FLOWLOG_FIELD_LOG_STATUS: return status_words;
    case FLOWLOG_FIELD_TYPE: return type_words;
    case FLOWLOG_FIELD_FLOW_DIRECTION: return direction_words;
    case FLOWLOG_FIELD_SUBLOCATION_TYPE: return sublocation_words;
    case FLOWLOG_FIELD_RESOURCE_TYPE: return resource_words;
    default: return NULL;
    }
}

int flowlog__enum_parse(uint32_t field, const char *s, size_t len)
{
    const enum_word *w = enum_words(field);
    for (; w && w->word; w++)
        if (strlen(w->word) == len && memcmp(w->word, s, len) == 0)
            return w->value;
    return 0;
}

const char *flowlog_enum_name(uint32_t field, int value)
{
    const enum_word *w = enum_words(field);
    for (; w && w->word; w++)
        if (w->value == value)
            return w->word;
    return NULL;
}
