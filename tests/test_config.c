/* The VPC's configuration as evidence: every checkpoint blocking in turn,
 * ACL rule order, the default ACL and its final deny, group references,
 * prefix lists resolved and not, IPv6, ICMP, port ranges, the ephemeral
 * ports of the reply, a blackhole route, a client outside the VPC; errors
 * that name the file and the JSON path; and the diagnosis agreeing, or
 * not, with what the logs show. tests/data/config/testvpc is written for
 * these tests (its README says what each part is for). */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <flowlog/flowlog.h>

static const char *dir_of(const char *env, const char *fallback)
{
    const char *d = getenv(env);
    return d ? d : fallback;
}

static flowlog_config *testvpc(void)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/config/testvpc", dir_of("FLOWLOG_TEST_DATA", "tests/data"));
    flowlog_config *c;
    assert_int_equal(flowlog_config_new(&c, NULL), FLOWLOG_OK);
    int rc = flowlog_config_load_dir(c, dir);
    if (rc != FLOWLOG_OK)
        fail_msg("%s", flowlog_config_error_message(c));
    return c;
}

typedef struct answer {
    int reachable;
    const char *checkpoint; /* the blocking one, or NULL */
    const char *outcome, *resource, *detail;
    int64_t rule;
} answer;

static answer ask(flowlog_reach *r, const char *client, const char *server, unsigned port, int protocol,
                  unsigned eph_lo, unsigned eph_hi)
{
    answer a = {0};
    int rc = flowlog_reach_evaluate(r, client, server, port, protocol, eph_lo, eph_hi);
    if (rc != FLOWLOG_OK)
        fail_msg("%s", flowlog_reach_error_message(r));
    a.reachable = flowlog_reach_reachable(r);
    int at = flowlog_reach_blocking(r);
    if (at >= 0) {
        int checkpoint, outcome;
        assert_int_equal(flowlog_reach_checkpoint(r, (size_t)at, &checkpoint, &outcome, &a.resource, &a.rule,
                                                  &a.detail),
                         FLOWLOG_OK);
        a.checkpoint = flowlog_checkpoint_name(checkpoint);
        a.outcome = flowlog_check_outcome_name(outcome);
    }
    return a;
}

/* The outcome of one named checkpoint of the last evaluation. */
static const char *outcome_at(const flowlog_reach *r, const char *name, const char **detail)
{
    for (size_t i = 0; i < flowlog_reach_count(r); i++) {
        int checkpoint, outcome;
        assert_int_equal(flowlog_reach_checkpoint(r, i, &checkpoint, &outcome, NULL, NULL, detail), FLOWLOG_OK);
        if (strcmp(flowlog_checkpoint_name(checkpoint), name) == 0)
            return flowlog_check_outcome_name(outcome);
    }
    return "absent";
}

static void each_checkpoint_blocks_in_turn(void **state)
{
    (void)state;
    flowlog_config *c = testvpc();
    flowlog_reach *r;
    assert_int_equal(flowlog_reach_new(&r, c, NULL), FLOWLOG_OK);
    const char *command;

    /* sg-d has no outbound rule */
    answer a = ask(r, "10.1.1.40", "10.1.2.20", 5432, 6, 40000, 40000);
    assert_int_equal(a.reachable, 0);
    assert_string_equal(a.checkpoint, "client-sg-egress");
    assert_string_equal(a.resource, "sg-d");
    assert_int_equal(a.rule, -1);
    assert_non_null(strstr(flowlog_reach_fix(r, &command), "sg-d"));
    assert_string_equal(command, "aws ec2 authorize-security-group-egress --group-id sg-d --ip-permissions "
                                 "'IpProtocol=tcp,FromPort=5432,ToPort=5432,IpRanges=[{CidrIp=10.1.2.20/32}]'");

    /* subnet-c has no association: the default ACL, which has no outbound
     * rule, so the final * (implicit here: the entries do not list it) */
    a = ask(r, "10.1.3.30", "10.1.2.20", 5432, 6, 40000, 40000);
    assert_string_equal(a.checkpoint, "client-acl-egress");
    assert_string_equal(a.resource, "acl-default");
    assert_int_equal(a.rule, 32767);
    (void)flowlog_reach_fix(r, &command);
    assert_string_equal(command, "aws ec2 create-network-acl-entry --network-acl-id acl-default --egress "
                                 "--rule-number 32766 --protocol tcp --port-range From=5432,To=5432 --cidr-block "
                                 "10.1.2.20/32 --rule-action allow");

    /* the main route table has no IPv6 route out of the VPC */
    a = ask(r, "2001:db8:1:1::10", "2001:db8:9::1", 443, 6, 1024, 65535);
    assert_string_equal(a.checkpoint, "client-route");
    assert_string_equal(a.resource, "rtb-main");
    assert_string_equal(a.detail, "rtb-main has no route to 2001:db8:9::1");

    /* rule 90 denies 8080 before rule 100 allows 8000-8100 */
    a = ask(r, "10.1.1.10", "10.1.2.20", 8080, 6, 40000, 40000);
    assert_string_equal(a.checkpoint, "server-acl-ingress");
    assert_string_equal(a.resource, "acl-b");
    assert_int_equal(a.rule, 90);
    (void)flowlog_reach_fix(r, &command);
    assert_non_null(strstr(command, "--ingress --rule-number 89 --protocol tcp --port-range From=8080,To=8080 "
                                    "--cidr-block 10.1.1.10/32"));

    /* rule 100 allows 8050 before rule 200 denies 8000-8100; sg-b's range
     * ends at 8049 */
    a = ask(r, "10.1.1.10", "10.1.2.20", 8050, 6, 40000, 40000);
    assert_string_equal(outcome_at(r, "server-acl-ingress", NULL), "allow");
    assert_string_equal(a.checkpoint, "server-sg-ingress");
    assert_string_equal(a.resource, "sg-b");
    (void)flowlog_reach_fix(r, &command);
    assert_string_equal(command, "aws ec2 authorize-security-group-ingress --group-id sg-b --ip-permissions "
                                 "'IpProtocol=tcp,FromPort=8050,ToPort=8050,IpRanges=[{CidrIp=10.1.1.10/32}]'");
    a = ask(r, "10.1.1.10", "10.1.2.20", 8049, 6, 40000, 40000);
    assert_int_equal(a.reachable, 1);
    assert_null(a.checkpoint);
    assert_string_equal(flowlog_reach_fix(r, &command), "");

    /* acl-b lets replies out to 32768-65535 only */
    a = ask(r, "10.1.1.10", "10.1.2.20", 5432, 6, 1024, 65535);
    assert_int_equal(a.reachable, 0);
    assert_string_equal(a.checkpoint, "server-acl-egress");
    assert_string_equal(a.outcome, "partial");
    assert_non_null(strstr(a.detail, "allowed to ports 32768-65535 only"));
    assert_non_null(strstr(a.detail, "denies 1024-32767"));
    /* a client whose port is known, inside the allowed range */
    a = ask(r, "10.1.1.10", "10.1.2.20", 5432, 6, 40000, 40000);
    assert_int_equal(a.reachable, 1);
    a = ask(r, "10.1.1.10", "10.1.2.20", 5432, 6, 20000, 20000);
    assert_string_equal(a.outcome, "deny");

    /* the reply from subnet-e into subnet-a: rule 50 of acl-a */
    a = ask(r, "10.1.1.10", "10.1.4.50", 80, 6, 1024, 65535);
    assert_string_equal(a.checkpoint, "client-acl-ingress");
    assert_string_equal(a.resource, "acl-a");
    assert_int_equal(a.rule, 50);
    (void)flowlog_reach_fix(r, &command);
    assert_non_null(strstr(command, "--network-acl-id acl-a --ingress --rule-number 49 --protocol tcp "
                                    "--port-range From=1024,To=65535 --cidr-block 10.1.4.50/32"));

    /* a client on the internet: no checkpoints of its own; the server
     * subnet's default route is a blackhole */
    a = ask(r, "198.51.100.7", "10.1.2.20", 443, 6, 1024, 65535);
    assert_string_equal(outcome_at(r, "client-sg-egress", NULL), "outside");
    assert_string_equal(outcome_at(r, "client-acl-ingress", NULL), "outside");
    assert_string_equal(outcome_at(r, "client-route", NULL), "absent");
    assert_string_equal(outcome_at(r, "server-sg-ingress", NULL), "allow"); /* pl-1 holds 198.51.100.0/24 */
    assert_string_equal(a.checkpoint, "server-route");
    assert_string_equal(a.outcome, "deny");
    assert_string_equal(a.resource, "rtb-b");
    assert_non_null(strstr(a.detail, "blackhole"));
    const char *eni, *subnet;
    assert_int_equal(flowlog_reach_endpoint(r, 1, &eni, NULL, NULL), FLOWLOG_ABSENT);
    assert_int_equal(flowlog_reach_endpoint(r, 2, &eni, &subnet, NULL), FLOWLOG_OK);
    assert_string_equal(eni, "eni-b");
    assert_string_equal(subnet, "subnet-b");
    /* the server's public address is the same ENI's */
    a = ask(r, "198.51.100.7", "54.0.0.20", 443, 6, 1024, 65535);
    assert_int_equal(flowlog_reach_endpoint(r, 2, &eni, NULL, NULL), FLOWLOG_OK);
    assert_string_equal(eni, "eni-b");

    flowlog_reach_free(r);
    flowlog_config_free(c);
}

static void groups_prefix_lists_ipv6_icmp(void **state)
{
    (void)state;
    flowlog_config *c = testvpc();
    flowlog_reach *r;
    assert_int_equal(flowlog_reach_new(&r, c, NULL), FLOWLOG_OK);
    const char *detail, *command;

    /* sg-b takes 5432 from members of sg-a: eni-a is one, eni-c is not */
    ask(r, "10.1.1.10", "10.1.2.20", 5432, 6, 40000, 40000);
    assert_string_equal(outcome_at(r, "server-sg-ingress", &detail), "allow");
    assert_non_null(strstr(detail, "from sg-a"));
    ask(r, "10.1.3.30", "10.1.2.20", 5432, 6, 40000, 40000);
    assert_string_equal(outcome_at(r, "server-sg-ingress", NULL), "deny");

    /* pl-2's entries were not loaded: the configuration cannot say */
    answer a = ask(r, "10.1.1.10", "10.1.2.20", 22, 6, 40000, 40000);
    assert_int_equal(a.reachable, -1);
    assert_string_equal(a.checkpoint, "server-sg-ingress");
    assert_string_equal(a.outcome, "unknown");
    assert_non_null(strstr(a.detail, "pl-2"));
    (void)flowlog_reach_fix(r, &command);
    assert_string_equal(command, "aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-2 --output json > "
                                 "get-managed-prefix-list-entries-pl-2.json");

    /* IPv6 end to end: ::/0 rules, the group reference, rule 140 */
    a = ask(r, "2001:db8:1:1::10", "2001:db8:1:2::20", 5432, 6, 1024, 65535);
    assert_int_equal(a.reachable, 1);
    assert_string_equal(outcome_at(r, "server-acl-ingress", &detail), "allow");
    assert_non_null(strstr(detail, "rule 140"));
    /* an IPv4 rule does not take IPv6 traffic: 8049 is allowed over IPv4 only */
    a = ask(r, "2001:db8:1:1::10", "2001:db8:1:2::20", 8049, 6, 40000, 40000);
    assert_string_equal(a.checkpoint, "server-acl-ingress");
    assert_int_equal(a.rule, 32767);
    (void)flowlog_reach_fix(r, &command);
    assert_non_null(strstr(command, "--ipv6-cidr-block 2001:db8:1:1::10/128"));

    /* ICMP: echo (type 8) is allowed both ways; timestamp (13) is not in sg-b */
    a = ask(r, "10.1.1.10", "10.1.2.20", 8 * 256, 1, 0, 65535);
    assert_int_equal(a.reachable, 1);
    a = ask(r, "10.1.1.10", "10.1.2.20", 13 * 256, 1, 0, 65535);
    assert_string_equal(a.checkpoint, "server-sg-ingress");
    assert_string_equal(a.detail, "no rule of sg-b allows icmp type 13 code 0 from 10.1.1.10 (inbound)");

    /* the same subnet: network ACLs do not apply, nor routes */
    ask(r, "10.1.1.10", "10.1.1.40", 5432, 6, 40000, 40000);
    assert_string_equal(outcome_at(r, "client-acl-egress", &detail), "allow");
    assert_non_null(strstr(detail, "network ACLs do not apply"));
    assert_string_equal(outcome_at(r, "client-route", NULL), "absent");

    /* questions that cannot be asked */
    assert_int_equal(flowlog_reach_evaluate(r, "10.9.9.9", "10.9.9.8", 80, 6, 1024, 65535), FLOWLOG_E_QUERY);
    assert_non_null(strstr(flowlog_reach_error_message(r), "neither"));
    assert_int_equal(flowlog_reach_evaluate(r, "10.1.1.10", "2001:db8:1:2::20", 80, 6, 1024, 65535), FLOWLOG_E_QUERY);
    assert_int_equal(flowlog_reach_evaluate(r, "10.1.1.0/24", "10.1.2.20", 80, 6, 1024, 65535), FLOWLOG_E_QUERY);
    assert_int_equal(flowlog_reach_evaluate(r, "10.1.1.10", "10.1.2.20", 80, 6, 2000, 1000), FLOWLOG_E_QUERY);

    flowlog_reach_free(r);
    flowlog_config_free(c);
}

static void documents_load_or_say_where(void **state)
{
    (void)state;
    flowlog_config *c;
    assert_int_equal(flowlog_config_new(&c, NULL), FLOWLOG_OK);
    /* two pages one after the other, and keys this library does not know */
    static const char pages[] = "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\",\"Novel\":{\"x\":[1]}}],\"NextToken\":\"t\"}\n"
                                "{\"SecurityGroups\":[{\"GroupId\":\"sg-2\",\"IpPermissions\":[]}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SECURITY_GROUPS, pages, sizeof pages - 1, "sg.json", NULL),
                     FLOWLOG_OK);
    assert_int_equal(flowlog_config_has(c, FLOWLOG_CONFIG_SECURITY_GROUPS), 1);
    assert_int_equal(flowlog_config_has(c, FLOWLOG_CONFIG_ROUTE_TABLES), 0);

    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SECURITY_GROUPS, "{}", 2, "sg.json", NULL), FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c), "sg.json: SecurityGroups: missing");
    static const char not_object[] = "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\"},7]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SECURITY_GROUPS, not_object, sizeof not_object - 1, "sg.json",
                                         NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c), "sg.json: SecurityGroups[1]: not an object");
    static const char bad_range[] = "{\"NetworkAcls\":[{\"NetworkAclId\":\"acl-1\",\"Entries\":[{\"RuleNumber\":100,"
                                    "\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"Egress\":false,"
                                    "\"CidrBlock\":\"10.0.0.0/8\",\"PortRange\":{\"From\":90,\"To\":80}}]}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_NETWORK_ACLS, bad_range, sizeof bad_range - 1, "acl.json",
                                         NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c),
                        "acl.json: NetworkAcls[0].Entries[0].PortRange: not a range within 0-65535");
    static const char no_id[] = "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\"},{\"IpPermissions\":[]}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SECURITY_GROUPS, no_id, sizeof no_id - 1, "sg.json", NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c), "sg.json: SecurityGroups[1].GroupId: missing");

    static const char no_proto[] =
        "{\"SecurityGroups\":[{\"GroupId\":\"sg-1\",\"IpPermissionsEgress\":[{\"IpRanges\":[]},{\"FromPort\":1}]}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SECURITY_GROUPS, no_proto, sizeof no_proto - 1, "sg.json",
                                         NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c),
                        "sg.json: SecurityGroups[0].IpPermissionsEgress[0].IpProtocol: missing");

    static const char bad_cidr[] = "{\"NetworkAcls\":[{\"NetworkAclId\":\"acl-1\",\"Entries\":[{\"RuleNumber\":100,"
                                   "\"Protocol\":\"6\",\"RuleAction\":\"allow\",\"Egress\":false,"
                                   "\"CidrBlock\":\"10.0.0.0/33\"}]}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_NETWORK_ACLS, bad_cidr, sizeof bad_cidr - 1, "acl.json", NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c),
                        "acl.json: NetworkAcls[0].Entries[0].CidrBlock: not an IPv4 or IPv6 CIDR block");

    static const char wrong_type[] = "{\"NetworkInterfaces\":[{\"NetworkInterfaceId\":\"eni-1\",\"SubnetId\":7}]}";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_NETWORK_INTERFACES, wrong_type, sizeof wrong_type - 1,
                                         "eni.json", NULL),
                     FLOWLOG_E_JSON);
    assert_string_equal(flowlog_config_error_message(c), "eni.json: NetworkInterfaces[0].SubnetId: not a string");

    static const char broken[] = "{\"Subnets\":[{\"SubnetId\":\"subnet-1\"},\n";
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SUBNETS, broken, sizeof broken - 1, "subnets.json", NULL),
                     FLOWLOG_E_JSON);
    assert_non_null(strstr(flowlog_config_error_message(c), "subnets.json: line "));
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_SUBNETS, "", 0, "subnets.json", NULL), FLOWLOG_E_JSON);
    assert_int_equal(flowlog_config_load(c, FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES, "{}", 2, "x", NULL), FLOWLOG_E_ARG);
    assert_int_equal(flowlog_config_load(c, 99, "{}", 2, "x", NULL), FLOWLOG_E_ARG);
    /* a file of prefix-list entries whose name cannot hold a list id is refused, not passed over */
    char dir[] = "/tmp/flowlog-config-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *const required[] = {"describe-security-groups.json", "describe-network-acls.json",
                                           "describe-network-interfaces.json"};
    static const char *const docs[] = {"{\"SecurityGroups\":[]}", "{\"NetworkAcls\":[]}", "{\"NetworkInterfaces\":[]}"};
    char path[512];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, required[i]);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(docs[i], f);
        fclose(f);
    }
    flowlog_config *d;
    assert_int_equal(flowlog_config_new(&d, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_config_load_dir(d, dir), FLOWLOG_OK);
    char long_name[400];
    memset(long_name, 'x', 200);
    long_name[200] = '\0';
    snprintf(path, sizeof path, "%s/get-managed-prefix-list-entries-pl-%s.json", dir, long_name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"Entries\":[]}", f);
    fclose(f);
    assert_int_equal(flowlog_config_load_dir(d, dir), FLOWLOG_E_IO);
    assert_non_null(strstr(flowlog_config_error_message(d), "with a prefix list id"));
    flowlog_config_free(d);
    assert_int_equal(unlink(path), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, required[i]);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(dir), 0);
    assert_int_equal(flowlog_config_load_dir(c, "/nonexistent/vpc"), FLOWLOG_E_IO);
    assert_non_null(strstr(flowlog_config_error_message(c), "/nonexistent/vpc/describe-security-groups.json: missing"));
    flowlog_config_free(c);

    flowlog_error_info why;
    flowlog_reach *r;
    assert_int_equal(flowlog_reach_new_ex(&r, NULL, NULL, &why), FLOWLOG_E_ARG);
    assert_string_equal(why.message, "a configuration is required");
}

/* A diagnosis of the bundled logs against the bundled configurations. */
static int diagnose(const char *log, const char *config_dir, char *why, size_t size, int *verdict, int *side,
                    int *inferred)
{
    char path[1024], dir[1024];
    const char *data = dir_of("FLOWLOG_EXAMPLES_DATA", "examples/data");
    snprintf(path, sizeof path, "%s/%s", data, log);
    snprintf(dir, sizeof dir, "%s/config/%s", data, config_dir);
    flowlog_config *c;
    assert_int_equal(flowlog_config_new(&c, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_config_load_dir(c, dir), FLOWLOG_OK);
    flowlog_diag *d;
    flowlog_reader *rd;
    assert_int_equal(flowlog_diag_new(&d, "10.0.1.25", "10.0.2.10", 3306, 3306, 6, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_new(&rd, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(rd, path), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_run(d, rd), FLOWLOG_OK);
    assert_int_equal(flowlog_diag_set_config(d, c), FLOWLOG_OK);
    flowlog_reach *r;
    assert_int_equal(flowlog_reach_new(&r, c, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reach_evaluate(r, "10.0.1.25", "10.0.2.10", 3306, 6, 1024, 65535), FLOWLOG_OK);
    int agreement = flowlog_diag_agreement(d, r, why, size);
    *verdict = flowlog_diag_verdict(d);
    *side = flowlog_diag_side(d);
    *inferred = 0;
    for (size_t i = 0; i < flowlog_diag_eni_count(d); i++)
        *inferred |= flowlog_diag_side_inferred(d, i) == 1;
    flowlog_reach_free(r);
    flowlog_reader_free(rd);
    flowlog_diag_free(d);
    flowlog_config_free(c);
    return agreement;
}

static void the_logs_and_the_configuration(void **state)
{
    (void)state;
    char why[512];
    int verdict, side, inferred;
    assert_int_equal(diagnose("lambda-rds-nacl-return.log", "lambda-rds-nacl-return", why, sizeof why, &verdict, &side,
                              &inferred),
                     FLOWLOG_AGREE);
    assert_int_equal(verdict, FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_non_null(strstr(why, "acl-0d8d8d8d8d8d8d8d8 denies it at server-acl-egress"));
    assert_int_equal(diagnose("lambda-rds-nacl-inbound.log", "lambda-rds-nacl-inbound", why, sizeof why, &verdict,
                              &side, &inferred),
                     FLOWLOG_AGREE);
    assert_int_equal(verdict, FLOWLOG_VERDICT_BLOCKED);
    assert_non_null(strstr(why, "at server-acl-ingress"));
    assert_int_equal(diagnose("lambda-rds-working.log", "lambda-rds-working", why, sizeof why, &verdict, &side,
                              &inferred),
                     FLOWLOG_AGREE);
    /* the logs of a blocked reply against a configuration that allows it */
    assert_int_equal(diagnose("lambda-rds-nacl-return.log", "lambda-rds-working", why, sizeof why, &verdict, &side,
                              &inferred),
                     FLOWLOG_DISAGREE);
    assert_non_null(strstr(why, "changed since the logs"));
    /* the logs of an inbound block against a configuration that blocks the reply */
    assert_int_equal(diagnose("lambda-rds-nacl-inbound.log", "lambda-rds-nacl-return", why, sizeof why, &verdict,
                              &side, &inferred),
                     FLOWLOG_DISAGREE);
    /* an extract of the pair's records alone, in the default format: the
     * ENIs' endpoints come from describe-network-interfaces, not inferred */
    assert_int_equal(diagnose("pair-only-return-blocked-server.log", "lambda-rds-nacl-return", why, sizeof why,
                              &verdict, &side, &inferred),
                     FLOWLOG_AGREE);
    assert_int_equal(verdict, FLOWLOG_VERDICT_RETURN_BLOCKED);
    assert_int_equal(side, FLOWLOG_SIDE_SERVER);
    assert_int_equal(inferred, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_checkpoint_blocks_in_turn),
        cmocka_unit_test(groups_prefix_lists_ipv6_icmp),
        cmocka_unit_test(documents_load_or_say_where),
        cmocka_unit_test(the_logs_and_the_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
