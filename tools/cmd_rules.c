/* flowlog explain-rules: a question evaluated against the VPC's
 * configuration alone; and the configuration's part of flowlog diagnose
 * --config. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog explain-rules --config DIR --client A --server B --port P [--protocol P]\n"
          "                             [--icmp-type T[/CODE]] [--ephemeral LO-HI | --client-port P] [--json]\n"
          "Evaluate, from the VPC's configuration alone, whether A can reach B on port P: the\n"
          "client's security groups and network ACL outbound, the client subnet's route, the\n"
          "server's network ACL and security groups inbound, then the reply: the server's ACL\n"
          "outbound, its subnet's route back, the client's ACL inbound, to the client's ephemeral\n"
          "ports (default 1024-65535, as AWS advises; --client-port P for one). Names the first\n"
          "checkpoint that blocks, the group, ACL rule or route responsible, and the smallest fix\n"
          "as an AWS CLI command.\n"
          "DIR holds the AWS CLI's JSON, named after the commands: describe-security-groups.json,\n"
          "describe-network-acls.json, describe-network-interfaces.json (required);\n"
          "describe-subnets.json, describe-route-tables.json, describe-managed-prefix-lists.json and\n"
          "get-managed-prefix-list-entries-<pl-id>.json (optional). For example:\n"
          "  aws ec2 describe-security-groups --output json > DIR/describe-security-groups.json\n"
          "A and B are single addresses; an endpoint no described ENI carries is outside the VPC\n"
          "and has no checkpoints of its own. --protocol is tcp (default), udp, icmp, icmpv6 or 0-255.\n"
          "Exit status: 0 evaluated (reachable or not); 2 usage error; 3 the configuration could\n"
          "not be read (a file missing, unreadable or not the JSON the AWS CLI prints), or the\n"
          "output could not be written.\n"
          "Example:\n"
          "  flowlog explain-rules --config vpc/ --client 10.0.1.25 --server 10.0.2.10 --port 3306\n",
          f);
}

int rules_load(const char *cmd, const char *dir, flowlog_config **out)
{
    flowlog_error_info why;
    *out = NULL;
    if (flowlog_config_new_ex(out, NULL, &why) != FLOWLOG_OK) {
        fprintf(stderr, "flowlog %s: %s\n", cmd, why.message);
        return 3;
    }
    int rc = flowlog_config_load_dir(*out, dir);
    if (rc < 0) {
        char safe[512];
        fprintf(stderr, "flowlog %s: --config: %s\n", cmd,
                cli_printable(flowlog_config_error_message(*out), safe, sizeof safe));
        flowlog_config_free(*out);
        *out = NULL;
        return 3;
    }
    return 0;
}

bool rules_parse_ephemeral(const char *s, unsigned *lo, unsigned *hi)
{
    const char *dash = strchr(s, '-');
    char first[8];
    long long a, b;
    if (!dash || (size_t)(dash - s) >= sizeof first)
        return false;
    memcpy(first, s, (size_t)(dash - s));
    first[dash - s] = '\0';
    if (!cli_parse_number(first, 0, 65535, &a) || !cli_parse_number(dash + 1, 0, 65535, &b) || a > b)
        return false;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return true;
}

static const char *direction_of(int checkpoint)
{
    switch (checkpoint) {
    case FLOWLOG_CHECK_SERVER_ACL_INGRESS:
    case FLOWLOG_CHECK_SERVER_SG_INGRESS:
    case FLOWLOG_CHECK_CLIENT_ACL_INGRESS:
        return "ingress";
    default:
        return "egress";
    }
}

static const char *path_of(int checkpoint)
{
    return checkpoint <= FLOWLOG_CHECK_SERVER_SG_INGRESS ? "request" : "reply";
}

static void json_checkpoint(FILE *f, const flowlog_reach *r, size_t i)
{
    int checkpoint, outcome;
    const char *resource, *detail;
    int64_t rule;
    (void)flowlog_reach_checkpoint(r, i, &checkpoint, &outcome, &resource, &rule, &detail);
    fprintf(f, "{\"checkpoint\":\"%s\",\"path\":\"%s\",\"direction\":\"%s\",\"outcome\":\"%s\",\"resource\":",
            flowlog_checkpoint_name(checkpoint), path_of(checkpoint), direction_of(checkpoint),
            flowlog_check_outcome_name(outcome));
    if (*resource)
        json_string(f, resource, strlen(resource));
    else
        fputs("null", f);
    if (rule >= 0)
        fprintf(f, ",\"rule\":%" PRId64 ",\"detail\":", rule);
    else
        fputs(",\"rule\":null,\"detail\":", f);
    json_string(f, detail, strlen(detail));
    fputc('}', f);
}

void rules_json_members(FILE *f, const flowlog_reach *r)
{
    int reachable = flowlog_reach_reachable(r), at = flowlog_reach_blocking(r);
    fprintf(f, "\"reachable\":%s,\"blocking\":", reachable > 0 ? "true" : reachable == 0 ? "false" : "null");
    if (at >= 0)
        json_checkpoint(f, r, (size_t)at);
    else
        fputs("null", f);
    fputs(",\"checkpoints\":[", f);
    for (size_t i = 0; i < flowlog_reach_count(r); i++) {
        if (i)
            fputc(',', f);
        json_checkpoint(f, r, i);
    }
    fputs("],\"fix\":", f);
    const char *command, *fix = flowlog_reach_fix(r, &command);
    if (*fix) {
        fputs("{\"words\":", f);
        json_string(f, fix, strlen(fix));
        fputs(",\"command\":", f);
        if (*command)
            json_string(f, command, strlen(command));
        else
            fputs("null", f);
        fputc('}', f);
    } else {
        fputs("null", f);
    }
    fputs(",\"endpoints\":{", f);
    for (int side = 1; side <= 2; side++) {
        const char *eni, *subnet, *vpc;
        fprintf(f, "%s\"%s\":", side == 2 ? "," : "", side == 1 ? "client" : "server");
        if (flowlog_reach_endpoint(r, side, &eni, &subnet, &vpc) != FLOWLOG_OK) {
            fputs("null", f);
            continue;
        }
        fputs("{\"eni\":", f);
        json_string(f, eni, strlen(eni));
        fputs(",\"subnet\":", f);
        json_string(f, subnet, strlen(subnet));
        fputs(",\"vpc\":", f);
        json_string(f, vpc, strlen(vpc));
        fputc('}', f);
    }
    fputc('}', f);
}

void rules_text(FILE *f, const flowlog_reach *r)
{
    int reachable = flowlog_reach_reachable(r), at = flowlog_reach_blocking(r);
    fprintf(f, "configuration: %s%s%s\n", cli_paint(reachable > 0 ? "good" : reachable == 0 ? "bad" : "warn"),
            reachable > 0 ? "reachable: every checkpoint allows it"
                          : reachable == 0 ? "NOT reachable" : "cannot say: a checkpoint depends on what was not loaded",
            cli_paint("end"));
    for (int side = 1; side <= 2; side++) {
        const char *eni, *subnet, *vpc;
        if (flowlog_reach_endpoint(r, side, &eni, &subnet, &vpc) == FLOWLOG_OK)
            fprintf(f, "  %-7s %s in %s (%s)\n", side == 1 ? "client" : "server", eni, subnet, vpc);
        else
            fprintf(f, "  %-7s outside the described ENIs (the internet, another VPC or on-premises)\n",
                    side == 1 ? "client" : "server");
    }
    for (size_t i = 0; i < flowlog_reach_count(r); i++) {
        int checkpoint, outcome;
        const char *resource, *detail;
        int64_t rule;
        (void)flowlog_reach_checkpoint(r, i, &checkpoint, &outcome, &resource, &rule, &detail);
        const char *style = outcome == FLOWLOG_CHECK_ALLOW ? "good" : outcome == FLOWLOG_CHECK_OUTSIDE ? "end"
                          : outcome == FLOWLOG_CHECK_UNKNOWN ? "warn" : "bad";
        fprintf(f, "  %-7s %-18s %s%-7s%s %s\n", path_of(checkpoint), flowlog_checkpoint_name(checkpoint),
                cli_paint(style), flowlog_check_outcome_name(outcome), cli_paint("end"), detail);
    }
    if (at >= 0) {
        int checkpoint;
        const char *resource, *detail;
        int64_t rule;
        (void)flowlog_reach_checkpoint(r, (size_t)at, &checkpoint, NULL, &resource, &rule, &detail);
        char number[24] = "";
        if (rule >= 0)
            snprintf(number, sizeof number, rule == 32767 ? " rule *" : " rule %" PRId64, rule);
        fprintf(f, "blocking: %s at %s%s%s\n", flowlog_checkpoint_name(checkpoint), *resource ? resource : "(none)",
                number, "");
        const char *command, *fix = flowlog_reach_fix(r, &command);
        if (*fix)
            fprintf(f, "fix: %s\n", fix);
        if (*command)
            fprintf(f, "  %s\n", command);
    }
}

int cmd_explain_rules(int argc, char **argv)
{
    const char *dir = NULL, *client = NULL, *server = NULL, *port = NULL, *proto = "tcp", *icmp_type = NULL,
               *ephemeral = NULL, *client_port = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--config") ? &dir : !strcmp(argv[i], "--client") ? &client
                          : !strcmp(argv[i], "--server") ? &server : !strcmp(argv[i], "--port") ? &port
                          : !strcmp(argv[i], "--protocol") ? &proto : !strcmp(argv[i], "--icmp-type") ? &icmp_type
                          : !strcmp(argv[i], "--ephemeral") ? &ephemeral
                          : !strcmp(argv[i], "--client-port") ? &client_port : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flowlog explain-rules: %s needs a value\n", argv[i]);
                return 2;
            }
            *slot = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
            continue;
        }
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "flowlog explain-rules: unexpected argument '%s'\n", argv[i]);
        usage(stderr);
        return 2;
    }
    int protocol = cli_parse_protocol(proto);
    bool icmp = protocol == 1 || protocol == 58;
    if (!dir || !client || !server || (!port && !icmp) || protocol < 0) {
        fprintf(stderr, "flowlog explain-rules: give --config, --client, --server and --port (not for ICMP)%s\n",
                protocol < 0 ? "; --protocol takes tcp, udp, icmp, icmpv6 or 0-255" : "");
        usage(stderr);
        return 2;
    }
    long long p = 65535;
    if (port && !icmp && !cli_parse_number(port, 0, 65535, &p)) {
        fprintf(stderr, "flowlog explain-rules: --port takes one port, 0-65535\n");
        return 2;
    }
    if (icmp && icmp_type) {
        long long type, code = -1;
        char first[8];
        const char *slash = strchr(icmp_type, '/');
        size_t n = slash ? (size_t)(slash - icmp_type) : strlen(icmp_type);
        bool ok = n < sizeof first;
        if (ok) {
            memcpy(first, icmp_type, n);
            first[n] = '\0';
            ok = cli_parse_number(first, 0, 255, &type) && (!slash || cli_parse_number(slash + 1, 0, 255, &code));
        }
        if (!ok) {
            fprintf(stderr, "flowlog explain-rules: --icmp-type takes a type 0-255, or TYPE/CODE\n");
            return 2;
        }
        /* a type without a code: code 0, the only one echo and most types have */
        p = type * 256 + (code < 0 ? 0 : code);
    }
    unsigned lo = 1024, hi = 65535;
    long long cp;
    if (ephemeral && !rules_parse_ephemeral(ephemeral, &lo, &hi)) {
        fprintf(stderr, "flowlog explain-rules: --ephemeral takes a port range such as 32768-60999\n");
        return 2;
    }
    if (client_port) {
        if (!cli_parse_number(client_port, 0, 65535, &cp)) {
            fprintf(stderr, "flowlog explain-rules: --client-port takes one port, 0-65535\n");
            return 2;
        }
        lo = hi = (unsigned)cp;
    }
    flowlog_config *config;
    int status = rules_load("explain-rules", dir, &config);
    if (status)
        return status;
    flowlog_reach *r;
    flowlog_error_info why;
    if (flowlog_reach_new_ex(&r, config, NULL, &why) != FLOWLOG_OK) {
        fprintf(stderr, "flowlog explain-rules: %s\n", why.message);
        flowlog_config_free(config);
        return 3;
    }
    int rc = flowlog_reach_evaluate(r, client, server, (unsigned)p, protocol, lo, hi);
    if (rc < 0) {
        char safe[512];
        fprintf(stderr, "flowlog explain-rules: %s\n",
                cli_printable(flowlog_reach_error_message(r), safe, sizeof safe));
        flowlog_reach_free(r);
        flowlog_config_free(config);
        return rc == FLOWLOG_E_NOMEM ? cli_out_of_memory("explain-rules") : 2;
    }
    if (json) {
        fputs("{\"client\":", stdout);
        json_string(stdout, client, strlen(client));
        fputs(",\"server\":", stdout);
        json_string(stdout, server, strlen(server));
        printf(",\"port\":%lld,\"protocol\":%d,\"ephemeral\":[%u,%u],", icmp ? -1LL : p, protocol, lo, hi);
        rules_json_members(stdout, r);
        fputs("}\n", stdout);
    } else {
        char safe[2][128];
        printf("question: %s -> %s %s %lld\n", cli_printable(client, safe[0], sizeof safe[0]),
               cli_printable(server, safe[1], sizeof safe[1]), proto, icmp ? -1LL : p);
        rules_text(stdout, r);
    }
    flowlog_reach_free(r);
    flowlog_config_free(config);
    return 0;
}
