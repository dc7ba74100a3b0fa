#include "cli.h"

#include <flowlog/diag.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog diagnose --client A --server B --port P[-Q] [--protocol tcp|udp|icmp|N]\n"
          "                        [--since T] [--until T] [--json] [--bucket SECONDS]\n"
          "                        [--config DIR [--ephemeral LO-HI]] [--fail-unless VERDICT[,...]]\n"
          "                        [--save-state FILE] [--load-state FILE]... [PATH...]\n"
          "       flowlog diagnose [--since T] [--until T] [--json] [--top N] [--max-conversations N]\n"
          "                        [--max-memory SIZE] [PATH...]\n"
          "Tell why A cannot reach B on port P, and which layer is to blame: prints the verdict,\n"
          "the evidence in both directions, which of the endpoints' ENIs the logs cover and when,\n"
          "what the client did instead, a timeline and what to check next. An input that could not\n"
          "be read whole is named before the verdict, which rests on the records that were read.\n"
          "Without a question, sweep: list every client -> server:port conversation that is\n"
          "blocked, return-blocked, refused or unanswered, most packets first (--top N rows,\n"
          "default 20 on text and all in JSON; 0 = all; at most --max-conversations are kept,\n"
          "default 1000000, in at most --max-memory, default 256M; a fuller table is reported as\n"
          "truncated, naming the limit it reached).\n"
          "A and B are addresses or CIDRs (or 'any'). T is Unix seconds or ISO 8601 with an offset:\n"
          "2024-01-02T12:00:00Z, 2024-01-02T17:30+05:30, 2024-01-02 12:00:00+00:00.\n"
          "Verdicts: no-traffic blocked return-blocked refused no-response established intermittent.\n"
          "--config DIR: the VPC's configuration as the AWS CLI prints it (see flowlog explain-rules\n"
          "  --help): the ENIs it describes have known endpoints, and the verdict gains the rule that\n"
          "  explains it and whether the configuration agrees with the logs (--ephemeral: the client's\n"
          "  ports the reply goes to, default 1024-65535).\n"
          "  --format FMT, --max-line N, --max-fields N, --max-envelope SIZE, --stop-on-error, --stats,\n"
          "  --progress, --no-mmap, --input-format F, --threads N:\n"
          "  as for flowlog parse\n"
          "--save-state FILE: also write the evidence read as a state; --load-state FILE (repeated):\n"
          "  merge such states (of the same question, read elsewhere: other machines, other days)\n"
          "  into the answer; with states alone nothing else is read.\n"
          "--fail-unless VERDICT[,VERDICT...]: exit 4 when the verdict is none of these (for cron\n"
          "  and CI: --fail-unless established).\n"
          "Exit status: 0 success; 1 some input lines were errors; 2 usage error; 3 an input could\n"
          "not be opened or read to its end (or no input could be read: no verdict; or the --config\n"
          "folder could not be read), or the output could not be written; 4 --fail-unless: the verdict\n"
          "is not one of those given (2 and 3 come before 4, 4 before 1).\n"
          "Example:\n"
          "  flowlog diagnose --client 10.0.1.25 --server 10.0.2.10 --port 3306 AWSLogs/\n",
          f);
}

static const char *protocol_text(int p, char *buf, size_t n)
{
    static const char *const names[] = {[1] = "icmp", [6] = "tcp", [17] = "udp", [58] = "icmpv6"};
    if (p >= 0 && p <= 58 && names[p])
        return names[p];
    snprintf(buf, n, "%d", p);
    return buf;
}

void diag_format_time(uint64_t t, char *buf, size_t n)
{
    cli_time_text(t, buf, n);
}

/* tcp-flags by name; SYN with ACK is the server's SYN-ACK. */
static void flags_text(uint64_t f, char *buf, size_t n)
{
    static const struct {
        uint64_t bits;
        const char *name;
    } names[] = {{18, "SYN-ACK"}, {2, "SYN"}, {16, "ACK"}, {1, "FIN"}, {4, "RST"}, {8, "PSH"}, {32, "URG"}};
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((f & names[i].bits) == names[i].bits) {
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "|" : "", names[i].name);
            f &= ~names[i].bits;
            if (len >= n)
                break;
        }
    if (!buf[0])
        snprintf(buf, n, "-");
}

static const char *status_name(int status)
{
    switch (status) {
    case FLOWLOG_INPUT_COMPLETE: return "ok";
    case FLOWLOG_INPUT_FAILED: return "failed";
    case FLOWLOG_INPUT_STOPPED: return "stopped";
    default: return "unread";
    }
}

/* What the text says before the verdict when the evidence is incomplete:
 * each input not read whole, or with bad lines. */
static void print_incomplete(const flowlog_diag *d)
{
    size_t n = flowlog_diag_input_count(d), bad = 0;
    for (size_t i = 0; i < n; i++) {
        int st;
        uint64_t errors;
        if (flowlog_diag_input(d, i, NULL, &st, NULL, &errors, NULL) == FLOWLOG_OK &&
            (st != FLOWLOG_INPUT_COMPLETE || errors))
            bad++;
    }
    printf("EVIDENCE INCOMPLETE: %zu of %zu inputs %s not read whole; the verdict rests only on the records read.\n",
           bad, n, bad == 1 ? "was" : "were");
    for (size_t i = 0, shown = 0; i < n && shown < 10; i++) {
        const char *name, *reason;
        int st;
        uint64_t records, errors;
        char safe[512];
        if (flowlog_diag_input(d, i, &name, &st, &records, &errors, &reason) != FLOWLOG_OK ||
            (st == FLOWLOG_INPUT_COMPLETE && !errors))
            continue;
        shown++;
        printf("  %s: ", cli_printable(name, safe, sizeof safe));
        if (st == FLOWLOG_INPUT_FAILED)
            printf("%s%s", *reason ? "" : "not read to its end", *reason ? cli_printable(reason, safe, sizeof safe) : "");
        else if (st == FLOWLOG_INPUT_STOPPED)
            printf("reading stopped at a bad line");
        else if (st != FLOWLOG_INPUT_COMPLETE)
            printf("not read");
        else
            printf("read to its end");
        printf(" (%" PRIu64 " record%s, %" PRIu64 " bad line%s)\n", records, records == 1 ? "" : "s", errors,
               errors == 1 ? "" : "s");
    }
    if (bad > 10)
        printf("  and %zu more\n", bad - 10);
    printf("\n");
}

static void print_near_misses(const flowlog_diag *d, const char *client_text)
{
    int kind, proto;
    unsigned port;
    flowlog_addr c, sv;
    uint64_t k[5];
    if (flowlog_diag_near_miss(d, 0, &kind, &c, &sv, &port, &proto, k) != FLOWLOG_OK)
        return;
    printf("\nwhat the client did instead (near misses)\n");
    for (size_t i = 0; i < 12 && flowlog_diag_near_miss(d, i, &kind, &c, &sv, &port, &proto, k) == FLOWLOG_OK; i++) {
        char ct[64], st[64], pb[16], first[32], last[32], route[160];
        if (kind == FLOWLOG_NEAR_OTHER_CLIENT)
            flowlog_addr_format(&c, ct, sizeof ct);
        else
            snprintf(ct, sizeof ct, "%s", client_text);
        flowlog_addr_format(&sv, st, sizeof st);
        if (proto == 1 || proto == 58)
            snprintf(route, sizeof route, "%s -> %s %s", ct, st, protocol_text(proto, pb, sizeof pb));
        else
            snprintf(route, sizeof route, "%s -> %s:%u %s", ct, st, port, protocol_text(proto, pb, sizeof pb));
        printf("  %-13s %-42s %6" PRIu64 " records (%" PRIu64 " ACCEPT, %" PRIu64 " REJECT)  %s .. %s\n",
               flowlog_diag_near_miss_name(kind), route, k[0], k[1], k[2], cli_time_text(k[3], first, sizeof first),
               cli_time_text(k[4], last, sizeof last));
    }
}

static void print_coverage(const flowlog_diag *d)
{
    const char *id;
    int side;
    uint64_t span[2], gaps[2];
    printf("\nendpoints' ENIs in the logs (logged from .. to, UTC; NODATA/SKIPDATA records in the window)\n");
    size_t i = 0;
    for (; flowlog_diag_endpoint_eni(d, i, &id, &side, span, gaps) == FLOWLOG_OK && i < 20; i++) {
        char safe[200], first[32], last[32];
        printf("  %-7s %-24s %s .. %s  %" PRIu64 "/%" PRIu64 "\n", flowlog_diag_side_name(side),
               cli_printable(id, safe, sizeof safe), cli_time_text(span[0], first, sizeof first),
               cli_time_text(span[1], last, sizeof last), gaps[0], gaps[1]);
    }
    if (flowlog_diag_endpoint_eni(d, i, NULL, NULL, NULL, NULL) == FLOWLOG_OK)
        printf("  (more; --json lists all)\n");
    unsigned w = flowlog_diag_warnings(d);
    if (w & FLOWLOG_WARN_CLIENT_ENI_NOT_LOGGED)
        printf("  client  none: no ENI in the logs has the client's address\n");
    if (w & FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED)
        printf("  server  none: no ENI in the logs has the server's address\n");
}

/* The configuration's part of a diagnosis (--config): its evaluation of
 * the same question, and whether it explains what the logs show. */
typedef struct config_view {
    const flowlog_reach *reach; /* NULL when the question cannot be evaluated */
    int agreement;              /* enum flowlog_agreement */
    char why[512];
} config_view;

static const char *agreement_word(int a)
{
    return a == FLOWLOG_AGREE ? "agrees" : a == FLOWLOG_DISAGREE ? "DISAGREES" : "cannot say";
}

static void print_text(const flowlog_diag *d, const char *question, const char *client_text, int protocol,
                       uint64_t since, uint64_t until, const config_view *cv)
{
    if (!flowlog_diag_complete(d))
        print_incomplete(d);
    int v = flowlog_diag_verdict(d);
    char first[32], last[32];
    printf("verdict:  %s%s%s\n", cli_paint(cli_verdict_style(v)), flowlog_verdict_name(v), cli_paint("end"));
    if (cv && cv->reach && flowlog_reach_blocking(cv->reach) >= 0) {
        int checkpoint;
        const char *resource, *detail;
        int64_t rule;
        (void)flowlog_reach_checkpoint(cv->reach, (size_t)flowlog_reach_blocking(cv->reach), &checkpoint, NULL,
                                       &resource, &rule, &detail);
        char number[24] = "";
        if (rule >= 0)
            snprintf(number, sizeof number, rule == 32767 ? " rule *" : " rule %" PRId64, rule);
        printf("rule:     %s%s at %s: %s\n", resource, number, flowlog_checkpoint_name(checkpoint), detail);
    }
    if (cv)
        printf("config:   %s: %s\n", agreement_word(cv->agreement), cv->why);
    printf("side:     %s\n", flowlog_diag_side_name(flowlog_diag_side(d)));
    printf("question: %s\n", question);
    if (since || until)
        printf("window:   %s .. %s\n", since ? cli_time_text(since, first, sizeof first) : "the start",
               until ? cli_time_text(until, last, sizeof last) : "the end");
    uint64_t range[2];
    (void)flowlog_diag_time_range(d, range);
    if (range[0])
        printf("logs:     %s .. %s\n", cli_time_text(range[0], first, sizeof first), cli_time_text(range[1], last, sizeof last));
    printf("\n%s%-16s %9s %12s %14s  %-15s %-20s %-20s%s\n", cli_paint("head"), "evidence", "records", "packets", "bytes", "tcp-flags",
           "first (UTC)", "last (UTC)", cli_paint("end"));
    for (int dir = 0; dir < 2; dir++)
        for (int rej = 0; rej < 2; rej++) {
            char flags[64];
            uint64_t recs = flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_RECORDS_REJECT : FLOWLOG_DIAG_RECORDS_ACCEPT);
            flags_text(flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_TCP_FLAGS_REJECT : FLOWLOG_DIAG_TCP_FLAGS_ACCEPT),
                       flags, sizeof flags);
            if (protocol != 6)
                snprintf(flags, sizeof flags, "-");
            cli_time_text(flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_FIRST_REJECT : FLOWLOG_DIAG_FIRST_ACCEPT), first, sizeof first);
            cli_time_text(flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_LAST_REJECT : FLOWLOG_DIAG_LAST_ACCEPT), last, sizeof last);
            printf("%-16s %9" PRIu64 " %12" PRIu64 " %14" PRIu64 "  %-15s %-20s %-20s\n",
                   dir ? (rej ? "reverse REJECT" : "reverse ACCEPT") : (rej ? "forward REJECT" : "forward ACCEPT"), recs,
                   flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_PACKETS_REJECT : FLOWLOG_DIAG_PACKETS_ACCEPT),
                   flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_BYTES_REJECT : FLOWLOG_DIAG_BYTES_ACCEPT), recs ? flags : "",
                   recs ? first : "", recs ? last : "");
        }
    size_t neni = flowlog_diag_eni_count(d);
    if (neni) {
        printf("\n%s%-24s %-13s %-15s %-15s %-15s %s%s\n", cli_paint("head"), "ENI", "endpoint", "forward acc/rej",
               "reverse acc/rej", "direction", "nodata/skipdata", cli_paint("end"));
        for (size_t i = 0; i < neni; i++) {
            const char *id;
            int side;
            uint64_t c[4], ns[2];
            unsigned io;
            char fw[32], rv[32], who[32];
            (void)flowlog_diag_eni(d, i, &id, &side, c, &io, ns);
            snprintf(fw, sizeof fw, "%" PRIu64 "/%" PRIu64, c[0], c[1]);
            snprintf(rv, sizeof rv, "%" PRIu64 "/%" PRIu64, c[2], c[3]);
            snprintf(who, sizeof who, "%s%s", flowlog_diag_eni_translates(d, i) == 1 ? "nat " : "",
                     flowlog_diag_side_name(side));
            char safe[200];
            printf("%-24s %-13s %-15s %-15s %-15s %" PRIu64 "/%" PRIu64 "%s\n", cli_printable(id, safe, sizeof safe), who,
                   fw, rv, io == 3 ? "ingress+egress" : io == 1 ? "ingress" : io == 2 ? "egress" : "-", ns[0], ns[1],
                   flowlog_diag_side_inferred(d, i) == 1 ? "  (side inferred from the order packets pass ENIs)" : "");
        }
    }
    print_coverage(d);
    if (v == FLOWLOG_VERDICT_NO_TRAFFIC || v == FLOWLOG_VERDICT_BLOCKED || v == FLOWLOG_VERDICT_NO_RESPONSE)
        print_near_misses(d, client_text);
    uint64_t start, p[4];
    if (flowlog_diag_interval(d, 0, &start, p) == FLOWLOG_OK) {
        uint64_t max = 1;
        size_t n = 0;
        for (; flowlog_diag_interval(d, n, &start, p) == FLOWLOG_OK; n++)
            for (int k = 0; k < 4; k++)
                max = p[k] > max ? p[k] : max;
        printf("\ntimeline (UTC; packets per interval; forward | reverse; '+' ACCEPT, 'x' REJECT)\n");
        size_t shown = n > 40 ? 40 : n;
        for (size_t i = 0; i < shown; i++) {
            size_t idx = n > 40 ? i * n / 40 : i;
            char when[32];
            (void)flowlog_diag_interval(d, idx, &start, p);
            cli_time_text(start, when, sizeof when);
            char bar[2][48];
            for (int dir = 0; dir < 2; dir++) {
                int a = (int)((p[dir * 2] * 10 + max - 1) / max), r = (int)((p[dir * 2 + 1] * 10 + max - 1) / max);
                int len = 0;
                for (int k = 0; k < a; k++)
                    bar[dir][len++] = '+';
                for (int k = 0; k < r; k++)
                    bar[dir][len++] = 'x';
                bar[dir][len] = '\0';
            }
            printf("  %s  %-20s | %s\n", when, bar[0], bar[1]);
        }
        if (n > 40)
            printf("  (%zu intervals, 40 shown)\n", n);
    }
    flowlog_addr a;
    uint64_t x, y;
    if (v == FLOWLOG_VERDICT_INTERMITTENT && flowlog_diag_client(d, 0, &a, &x, &y) == FLOWLOG_OK) {
        printf("\nclients (forward records ACCEPT/REJECT)\n");
        for (size_t i = 0; flowlog_diag_client(d, i, &a, &x, &y) == FLOWLOG_OK && i < 20; i++) {
            char t[64];
            flowlog_addr_format(&a, t, sizeof t);
            printf("  %-40s %" PRIu64 "/%" PRIu64 "\n", t, x, y);
        }
    }
    unsigned w = flowlog_diag_warnings(d);
    if (w) {
        printf("\nwarnings:");
        for (unsigned bit = 1; bit; bit <<= 1)
            if ((w & bit) && flowlog_diag_warning_name(bit))
                printf(" %s", flowlog_diag_warning_name(bit));
        printf("\n");
    }
    size_t need = flowlog_diag_explain(d, NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        flowlog_diag_explain(d, text, need + 1);
        /* It names ENIs, whose ids come from the logs. */
        printf("\nwhat to check next:\n");
        cli_print_text(stdout, text, strlen(text), true);
        free(text);
    }
    if (cv && cv->reach) {
        printf("\n");
        rules_text(stdout, cv->reach);
    }
}

/* The evidence object without its closing brace, for more keys. */
static void json_evidence_open(const uint64_t c[DIAG_COUNTERS])
{
    printf("{\"records_accept\":%" PRIu64 ",\"records_reject\":%" PRIu64 ",\"packets_accept\":%" PRIu64
           ",\"packets_reject\":%" PRIu64 ",\"bytes_accept\":%" PRIu64 ",\"bytes_reject\":%" PRIu64
           ",\"tcp_flags\":%" PRIu64 ",\"first\":%" PRIu64 ",\"last\":%" PRIu64,
           c[FLOWLOG_DIAG_RECORDS_ACCEPT], c[FLOWLOG_DIAG_RECORDS_REJECT], c[FLOWLOG_DIAG_PACKETS_ACCEPT],
           c[FLOWLOG_DIAG_PACKETS_REJECT], c[FLOWLOG_DIAG_BYTES_ACCEPT], c[FLOWLOG_DIAG_BYTES_REJECT],
           c[FLOWLOG_DIAG_TCP_FLAGS], c[FLOWLOG_DIAG_FIRST_TIME], c[FLOWLOG_DIAG_LAST_TIME]);
}

void diag_json_evidence(const uint64_t c[DIAG_COUNTERS])
{
    json_evidence_open(c);
    printf("}");
}

static void json_direction(const flowlog_diag *d, int dir)
{
    uint64_t c[DIAG_COUNTERS];
    for (int k = 0; k < DIAG_COUNTERS; k++)
        c[k] = flowlog_diag_count(d, dir, k);
    json_evidence_open(c);
    printf(",\"tcp_flags_accept\":%" PRIu64 ",\"tcp_flags_reject\":%" PRIu64 "}",
           flowlog_diag_count(d, dir, FLOWLOG_DIAG_TCP_FLAGS_ACCEPT), flowlog_diag_count(d, dir, FLOWLOG_DIAG_TCP_FLAGS_REJECT));
}

void diag_json_inputs(size_t n, int (*get)(const void *, size_t, const char **, int *, uint64_t *, uint64_t *,
                                           const char **),
                      const void *handle, int complete)
{
    printf("\"complete\":%s,\"inputs\":[", complete ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        const char *name, *reason;
        int st;
        uint64_t records, errors;
        if (get(handle, i, &name, &st, &records, &errors, &reason) != FLOWLOG_OK)
            continue;
        printf("%s{\"path\":", i ? "," : "");
        json_string(stdout, name, strlen(name));
        printf(",\"records\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"status\":\"%s\"", records, errors, status_name(st));
        if (*reason) {
            printf(",\"reason\":");
            json_string(stdout, reason, strlen(reason));
        }
        printf("}");
    }
    printf("]");
}

static int diag_input(const void *d, size_t i, const char **name, int *st, uint64_t *records, uint64_t *errors,
                      const char **reason)
{
    return flowlog_diag_input(d, i, name, st, records, errors, reason);
}

static void print_json(const flowlog_diag *d, const char *client_text, const config_view *cv)
{
    int v = flowlog_diag_verdict(d);
    printf("{\"verdict\":\"%s\",\"side\":\"%s\",", flowlog_verdict_name(v), flowlog_diag_side_name(flowlog_diag_side(d)));
    diag_json_inputs(flowlog_diag_input_count(d), diag_input, d, flowlog_diag_complete(d) == 1);
    printf(",\"forward\":");
    json_direction(d, 0);
    printf(",\"reverse\":");
    json_direction(d, 1);
    printf(",\"enis\":[");
    for (size_t i = 0; i < flowlog_diag_eni_count(d); i++) {
        const char *id;
        int side;
        uint64_t c[4], ns[2];
        unsigned io;
        (void)flowlog_diag_eni(d, i, &id, &side, c, &io, ns);
        printf("%s{\"id\":", i ? "," : "");
        json_string(stdout, id, strlen(id));
        printf(",\"endpoint\":\"%s\",\"side_inferred\":%s,\"translates\":%s,\"forward_accept\":%" PRIu64
               ",\"forward_reject\":%" PRIu64 ",\"reverse_accept\":%" PRIu64 ",\"reverse_reject\":%" PRIu64
               ",\"ingress\":%s,\"egress\":%s,\"nodata\":%" PRIu64 ",\"skipdata\":%" PRIu64 "}",
               flowlog_diag_side_name(side), flowlog_diag_side_inferred(d, i) == 1 ? "true" : "false",
               flowlog_diag_eni_translates(d, i) == 1 ? "true" : "false", c[0], c[1], c[2], c[3],
               io & 1 ? "true" : "false", io & 2 ? "true" : "false", ns[0], ns[1]);
    }
    uint64_t range[2];
    (void)flowlog_diag_time_range(d, range);
    printf("],\"coverage\":{\"logs_first\":%" PRIu64 ",\"logs_last\":%" PRIu64 ",\"endpoint_enis\":[", range[0], range[1]);
    const char *id;
    int side;
    uint64_t span[2], gaps[2];
    for (size_t i = 0; flowlog_diag_endpoint_eni(d, i, &id, &side, span, gaps) == FLOWLOG_OK; i++) {
        printf("%s{\"id\":", i ? "," : "");
        json_string(stdout, id, strlen(id));
        printf(",\"endpoint\":\"%s\",\"first\":%" PRIu64 ",\"last\":%" PRIu64 ",\"nodata\":%" PRIu64 ",\"skipdata\":%" PRIu64 "}",
               flowlog_diag_side_name(side), span[0], span[1], gaps[0], gaps[1]);
    }
    printf("]},\"timeline\":[");
    uint64_t start, p[4];
    for (size_t i = 0; flowlog_diag_interval(d, i, &start, p) == FLOWLOG_OK; i++)
        printf("%s{\"start\":%" PRIu64 ",\"forward_accept\":%" PRIu64 ",\"forward_reject\":%" PRIu64
               ",\"reverse_accept\":%" PRIu64 ",\"reverse_reject\":%" PRIu64 "}",
               i ? "," : "", start, p[0], p[1], p[2], p[3]);
    printf("],\"clients\":[");
    flowlog_addr a;
    uint64_t x, y;
    char t[64];
    for (size_t i = 0; flowlog_diag_client(d, i, &a, &x, &y) == FLOWLOG_OK; i++) {
        flowlog_addr_format(&a, t, sizeof t);
        printf("%s{\"address\":\"%s\",\"accept\":%" PRIu64 ",\"reject\":%" PRIu64 "}", i ? "," : "", t, x, y);
    }
    printf("],\"elsewhere\":[");
    for (size_t i = 0; flowlog_diag_elsewhere(d, i, &a, &x) == FLOWLOG_OK; i++) {
        flowlog_addr_format(&a, t, sizeof t);
        printf("%s{\"address\":\"%s\",\"records\":%" PRIu64 "}", i ? "," : "", t, x);
    }
    printf("],\"near_misses\":[");
    bool absent = v == FLOWLOG_VERDICT_NO_TRAFFIC || v == FLOWLOG_VERDICT_BLOCKED || v == FLOWLOG_VERDICT_NO_RESPONSE;
    int kind, proto;
    unsigned port;
    flowlog_addr c, sv;
    uint64_t k[5];
    for (size_t i = 0; absent && flowlog_diag_near_miss(d, i, &kind, &c, &sv, &port, &proto, k) == FLOWLOG_OK; i++) {
        char ct[64], st[64], pb[16];
        if (kind == FLOWLOG_NEAR_OTHER_CLIENT)
            flowlog_addr_format(&c, ct, sizeof ct);
        else
            snprintf(ct, sizeof ct, "%s", client_text);
        flowlog_addr_format(&sv, st, sizeof st);
        printf("%s{\"kind\":\"%s\",\"client\":", i ? "," : "", flowlog_diag_near_miss_name(kind));
        json_string(stdout, ct, strlen(ct));
        printf(",\"server\":\"%s\",\"port\":%u,\"protocol\":\"%s\",\"records\":%" PRIu64 ",\"accept\":%" PRIu64
               ",\"reject\":%" PRIu64 ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 "}",
               st, port, protocol_text(proto, pb, sizeof pb), k[0], k[1], k[2], k[3], k[4]);
    }
    printf("],\"warnings\":[");
    unsigned w = flowlog_diag_warnings(d);
    int nw = 0;
    for (unsigned bit = 1; bit; bit <<= 1)
        if ((w & bit) && flowlog_diag_warning_name(bit))
            printf("%s\"%s\"", nw++ ? "," : "", flowlog_diag_warning_name(bit));
    printf("],\"explanation\":");
    size_t need = flowlog_diag_explain(d, NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        flowlog_diag_explain(d, text, need + 1);
        json_string(stdout, text, need);
        free(text);
    } else {
        printf("\"\"");
    }
    if (cv) {
        printf(",\"configuration\":{");
        if (cv->reach) {
            rules_json_members(stdout, cv->reach);
            printf(",\"agrees\":%s,\"why\":", cv->agreement == FLOWLOG_AGREE      ? "true"
                                              : cv->agreement == FLOWLOG_DISAGREE ? "false"
                                                                                  : "null");
        } else {
            printf("\"reachable\":null,\"blocking\":null,\"checkpoints\":[],\"fix\":null,\"agrees\":null,\"why\":");
        }
        json_string(stdout, cv->why, strlen(cv->why));
        printf("}");
    }
    printf("}\n");
}

/* No input could be read at all: there is nothing to give a verdict on. */
static bool nothing_read(const flowlog_diag *d)
{
    size_t n = flowlog_diag_input_count(d);
    for (size_t i = 0; i < n; i++) {
        int st;
        uint64_t records;
        if (flowlog_diag_input(d, i, NULL, &st, &records, NULL, NULL) == FLOWLOG_OK &&
            (st == FLOWLOG_INPUT_COMPLETE || records))
            return false;
    }
    return n > 0;
}

static void report_nothing_read(const flowlog_diag *d)
{
    fprintf(stderr, "flowlog diagnose: no input could be read, so there is no verdict:\n");
    size_t n = flowlog_diag_input_count(d);
    for (size_t i = 0; i < n; i++) {
        const char *name, *reason;
        int st;
        char safe[512], why[256];
        if (flowlog_diag_input(d, i, &name, &st, NULL, NULL, &reason) == FLOWLOG_OK)
            fprintf(stderr, "  %s: %s\n", cli_printable(name, safe, sizeof safe),
                    *reason ? cli_printable(reason, why, sizeof why) : status_name(st));
    }
}

/* Larger than any diagnosis state (its tables are bounded): not read whole. */
#define STATE_MAX_BYTES ((size_t)256 << 20)

/* A file's whole content, malloc'ed; NULL with errno when it cannot be
 * read (EFBIG past STATE_MAX_BYTES). */
static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > STATE_MAX_BYTES) {
        fclose(f);
        errno = EFBIG; /* said before reading, for a file; a pipe is read up to the bound */
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            unsigned char *grown = cap < STATE_MAX_BYTES ? realloc(buf, cap * 2) : NULL;
            if (!grown) {
                free(buf);
                buf = NULL;
                errno = cap < STATE_MAX_BYTES ? ENOMEM : EFBIG;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Merge the states of --load-state into d: 0, or the exit status (printed). */
static int load_states(flowlog_diag *d, char **states, int nstates)
{
    for (int i = 0; i < nstates; i++) {
        size_t len;
        unsigned char *buf = read_file(states[i], &len);
        if (!buf && errno == EFBIG) {
            fprintf(stderr, "flowlog diagnose: --load-state %s: larger than any state (256 MiB)\n", states[i]);
            return 2;
        }
        if (!buf) {
            fprintf(stderr, "flowlog diagnose: %s: %s\n", states[i], strerror(errno));
            return 3;
        }
        flowlog_diag *part;
        flowlog_error_info why;
        int rc = flowlog_diag_deserialize_ex(&part, buf, len, NULL, &why);
        free(buf);
        if (rc == FLOWLOG_OK && (rc = flowlog_diag_merge(d, part)) < 0)
            snprintf(why.message, sizeof why.message, "%s", flowlog_diag_error_message(d));
        flowlog_diag_free(part);
        if (rc < 0) {
            fprintf(stderr, "flowlog diagnose: --load-state %s: %s\n", states[i], why.message);
            return rc == FLOWLOG_E_NOMEM ? 3 : 2;
        }
    }
    return 0;
}

/* --save-state: the state after reading, for another run to merge. */
static int save_diag_state(const flowlog_diag *d, const char *path)
{
    size_t need = 0;
    (void)flowlog_diag_serialize(d, NULL, 0, &need);
    unsigned char *buf = malloc(need ? need : 1);
    FILE *f = buf && flowlog_diag_serialize(d, buf, need, &need) == FLOWLOG_OK ? fopen(path, "wb") : NULL;
    bool ok = f && fwrite(buf, 1, need, f) == need;
    int e = errno;
    ok = f && fclose(f) == 0 && ok;
    free(buf);
    if (!ok) {
        fprintf(stderr, "flowlog diagnose: --save-state %s: %s\n", path, strerror(f ? errno : e));
        return 3;
    }
    return 0;
}

#define MAX_STATES 4096

int cmd_diagnose(int argc, char **argv)
{
    cli_input in = {0};
    const char *client = NULL, *server = NULL, *port = NULL, *proto = "tcp", *since = NULL, *until = NULL,
               *config_dir = NULL, *ephemeral = NULL, *fail_unless = NULL, *save_state = NULL;
    static char *states[MAX_STATES];
    int nstates = 0;
    long bucket = 60;
    long long max_conversations = 0, top = -2, max_memory = 0;
    bool json = false;
    char **paths = argv + 1;
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        int taken = cli_input_option(&in, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        const char **slot = !strcmp(argv[i], "--client") ? &client : !strcmp(argv[i], "--server") ? &server
                          : !strcmp(argv[i], "--port") ? &port : !strcmp(argv[i], "--protocol") ? &proto
                          : !strcmp(argv[i], "--since") ? &since : !strcmp(argv[i], "--until") ? &until
                          : !strcmp(argv[i], "--config") ? &config_dir : !strcmp(argv[i], "--ephemeral") ? &ephemeral
                          : !strcmp(argv[i], "--fail-unless") ? &fail_unless
                          : !strcmp(argv[i], "--save-state") ? &save_state : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flowlog diagnose: %s needs a value\n", argv[i]);
                return 2;
            }
            *slot = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--bucket") && i + 1 < argc) {
            long long v;
            if (!cli_parse_number(argv[++i], 1, 86400, &v)) {
                fprintf(stderr, "flowlog diagnose: --bucket takes a number of seconds from 1 to 86400\n");
                return 2;
            }
            bucket = (long)v;
            continue;
        }
        if ((!strcmp(argv[i], "--max-conversations") || !strcmp(argv[i], "--top")) && i + 1 < argc) {
            bool is_top = !strcmp(argv[i], "--top");
            long long v;
            if (!cli_parse_number(argv[i + 1], is_top ? 0 : 1, is_top ? INT64_MAX / 2 : INT32_MAX, &v)) {
                fprintf(stderr, "flowlog diagnose: %s takes a number%s\n", argv[i],
                        is_top ? " (0: all)" : " from 1 to 2147483647");
                return 2;
            }
            *(is_top ? &top : &max_conversations) = v;
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--max-memory") && i + 1 < argc) {
            if (!cli_parse_size(argv[++i], 1LL << 20, 1LL << 40, &max_memory)) {
                fprintf(stderr, "flowlog diagnose: --max-memory takes a size from 1M to 1024G (bytes, or with K, M or G)\n");
                return 2;
            }
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
            continue;
        }
        if (!strcmp(argv[i], "--load-state")) {
            if (i + 1 >= argc || nstates == MAX_STATES) {
                fprintf(stderr, "flowlog diagnose: --load-state needs a file (at most %d)\n", MAX_STATES);
                return 2;
            }
            states[nstates++] = argv[++i];
            continue;
        }
        int st = cli_other_arg("diagnose", argv[i], paths, &npaths, usage);
        if (st >= 0)
            return st;
    }
    int protocol = cli_parse_protocol(proto);
    if (protocol < 0) {
        fprintf(stderr, "flowlog diagnose: --protocol takes tcp, udp, icmp, icmpv6 or a number 0-255\n");
        return 2;
    }
    bool icmp = protocol == 1 || protocol == 58;
    uint64_t t_since = 0, t_until = 0;
    if ((since && !cli_parse_time(since, &t_since)) || (until && !cli_parse_time(until, &t_until))) {
        fprintf(stderr, "flowlog diagnose: %s '%s' is not a time: give Unix seconds or ISO 8601 with an offset "
                        "(2024-01-02T12:00:00Z, 2024-01-02T17:30:00+05:30)\n",
                since && !cli_parse_time(since, &t_since) ? "--since" : "--until",
                since && !cli_parse_time(since, &t_since) ? since : until);
        return 2;
    }
    if (t_until && t_since > t_until) {
        fprintf(stderr, "flowlog diagnose: --since is after --until\n");
        return 2;
    }
    /* --fail-unless: the verdicts that are fine, as a bit each */
    unsigned fine = 0;
    for (const char *v = fail_unless; v && *v;) {
        size_t n = strcspn(v, ",");
        int found = 0;
        for (int k = FLOWLOG_VERDICT_NO_TRAFFIC; k <= FLOWLOG_VERDICT_INTERMITTENT && !found; k++)
            if (strlen(flowlog_verdict_name(k)) == n && !strncmp(v, flowlog_verdict_name(k), n))
                found = k;
        if (!found) {
            fprintf(stderr, "flowlog diagnose: --fail-unless takes verdicts separated by commas: no-traffic, "
                            "blocked, return-blocked, refused, no-response, established, intermittent\n");
            return 2;
        }
        fine |= 1u << found;
        v += n + (v[n] == ',');
    }
    if (fail_unless && !fine) {
        fprintf(stderr, "flowlog diagnose: --fail-unless needs a verdict, e.g. established\n");
        return 2;
    }
    if (fail_unless && !client && !server && !port) {
        fprintf(stderr, "flowlog diagnose: --fail-unless needs a question (--client, --server, --port)\n");
        return 2;
    }
    unsigned eph_lo = 1024, eph_hi = 65535;
    if (ephemeral && !rules_parse_ephemeral(ephemeral, &eph_lo, &eph_hi)) {
        fprintf(stderr, "flowlog diagnose: --ephemeral takes a port range such as 32768-60999\n");
        return 2;
    }
    if (config_dir && !client && !server && !port) {
        fprintf(stderr, "flowlog diagnose: --config needs a question (--client, --server, --port)\n");
        return 2;
    }
    if (!client && !server && !port) {
        sweep_options o = {json, t_since, t_until, max_conversations, max_memory,
                           top == -2 ? (json ? -1 : 20) : top == 0 ? -1 : top};
        return diagnose_sweep(&in, paths, npaths, &o);
    }
    if (!client || !server || (!port && !icmp)) {
        fprintf(stderr, "flowlog diagnose: give --client, --server and --port (a port is not needed for ICMP)\n");
        usage(stderr);
        return 2;
    }
    unsigned lo = 0, hi = 65535;
    if (port) {
        char first[8];
        const char *dash = strchr(port, '-');
        size_t n = dash ? (size_t)(dash - port) : strlen(port);
        long long a = -1, b = -1;
        if (n < sizeof first) {
            memcpy(first, port, n);
            first[n] = '\0';
            if (cli_parse_number(first, 0, 65535, &a))
                b = a;
            if (dash && !cli_parse_number(dash + 1, 0, 65535, &b))
                b = -1;
        }
        if (a < 0 || b < 0 || a > b) {
            fprintf(stderr, "flowlog diagnose: --port takes a port or a range such as 1024-65535\n");
            return 2;
        }
        lo = (unsigned)a;
        hi = (unsigned)b;
    }
    flowlog_diag *d;
    flowlog_error_info why;
    int made = flowlog_diag_new_ex(&d, client, server, lo, hi, protocol, NULL, &why);
    if (made == FLOWLOG_E_NOMEM)
        return cli_out_of_memory("diagnose");
    if (made == FLOWLOG_E_QUERY) {
        fprintf(stderr, "flowlog diagnose: --%s\n", why.message);
        return 2;
    }
    if (made != FLOWLOG_OK || flowlog_diag_set_window(d, t_since, t_until) != FLOWLOG_OK ||
        flowlog_diag_set(d, FLOWLOG_DIAG_OPT_BUCKET_SECONDS, bucket) != FLOWLOG_OK) {
        fprintf(stderr, "flowlog diagnose: invalid question (window or --bucket 1-86400)\n");
        flowlog_diag_free(d);
        return 2;
    }
    flowlog_config *config = NULL;
    int status = config_dir ? rules_load("diagnose", config_dir, &config) : 0;
    if (status) {
        flowlog_diag_free(d);
        return status;
    }
    if ((status = load_states(d, states, nstates)) != 0) {
        flowlog_diag_free(d);
        flowlog_config_free(config);
        return status;
    }
    /* states alone: nothing to read (not even stdin) */
    if (npaths || !nstates) {
        status = cli_input_open(&in, paths, npaths);
        if (status) {
            flowlog_diag_free(d);
            flowlog_config_free(config);
            cli_input_close(&in);
            return status;
        }
        /* Records that do not name the client are only narrowed to their ENI's
         * own address, by the reader's scan, without being split: the files are
         * mapped then. */
        if (flowlog_diag_attach_reader(d, in.reader) > 0)
            cli_input_map(&in);
        int ran = flowlog_diag_run(d, in.reader);
        cli_progress_clear();
        if (ran != FLOWLOG_OK) {
            flowlog_diag_free(d);
            flowlog_config_free(config);
            cli_input_close(&in);
            return cli_out_of_memory("diagnose");
        }
        status = cli_input_status(&in, in.status);
    }
    if (save_state && save_diag_state(d, save_state)) {
        flowlog_diag_free(d);
        flowlog_config_free(config);
        cli_input_close(&in);
        return 3;
    }
    if (nothing_read(d)) {
        report_nothing_read(d);
        flowlog_diag_free(d);
        flowlog_config_free(config);
        cli_input_close(&in);
        return 3;
    }
    config_view view = {NULL, FLOWLOG_AGREE_UNKNOWN, ""}, *cv = config ? &view : NULL;
    flowlog_reach *reach = NULL;
    if (config) {
        (void)flowlog_diag_set_config(d, config);
        int made_reach = flowlog_reach_new(&reach, config, NULL);
        int evaluated = made_reach == FLOWLOG_OK && (lo == hi || icmp)
                            ? flowlog_reach_evaluate(reach, client, server, icmp ? 65535 : lo, protocol, eph_lo, eph_hi)
                            : FLOWLOG_E_QUERY;
        if (made_reach == FLOWLOG_E_NOMEM || evaluated == FLOWLOG_E_NOMEM) {
            flowlog_reach_free(reach);
            flowlog_diag_free(d);
            flowlog_config_free(config);
            cli_input_close(&in);
            return cli_out_of_memory("diagnose");
        }
        if (evaluated == FLOWLOG_OK) {
            view.reach = reach;
            view.agreement = flowlog_diag_agreement(d, reach, view.why, sizeof view.why);
        } else {
            snprintf(view.why, sizeof view.why, "the configuration is not evaluated: %s",
                     lo != hi && !icmp ? "it answers for one port, not a range"
                     : made_reach == FLOWLOG_OK ? flowlog_reach_error_message(reach) : "no memory");
        }
    }
    char question[256];
    snprintf(question, sizeof question, "%s -> %s%s%s %s", client, server, port ? ":" : "", port ? port : "", proto);
    if (json)
        print_json(d, client, cv);
    else
        print_text(d, question, client, protocol, t_since, t_until, cv);
    /* the alarm is what cron waits for; an input not read whole says more,
     * an error line less */
    if (fine && !(fine >> flowlog_diag_verdict(d) & 1u) && status < 2)
        status = 4;
    flowlog_reach_free(reach);
    flowlog_diag_free(d);
    flowlog_config_free(config);
    cli_input_close(&in);
    return status;
}
