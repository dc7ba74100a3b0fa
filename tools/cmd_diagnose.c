#include "cli.h"

#include <flowlog/diag.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog diagnose --client A --server B --port P[-Q] [--protocol tcp|udp|icmp|N]\n"
          "                        [--since T] [--until T] [--json] [--bucket SECONDS] [PATH...]\n"
          "       flowlog diagnose [--since T] [--until T] [--json] [--top N] [--max-conversations N] [PATH...]\n"
          "Tell why A cannot reach B on port P, and which layer is to blame: prints the verdict,\n"
          "the evidence in both directions, a timeline and what to check next.\n"
          "Without a question, sweep: list every client -> server:port conversation that is\n"
          "blocked, return-blocked, refused or unanswered, most packets first (--top N rows,\n"
          "default 20 on text and all in JSON; 0 = all; at most --max-conversations are kept,\n"
          "default 1000000, and a fuller table is reported as truncated).\n"
          "A and B are addresses or CIDRs (or 'any'); T is Unix seconds or YYYY-MM-DDTHH:MM[:SS]Z.\n"
          "Verdicts: no-traffic blocked return-blocked refused no-response established intermittent.\n"
          "  --format FMT, --max-line N, --max-fields N, --stop-on-error, --stats, --progress, --no-mmap:\n"
          "  as for flowlog parse\n",
          f);
}

static int parse_protocol(const char *s)
{
    if (!strcmp(s, "tcp") || !strcmp(s, "TCP"))
        return 6;
    if (!strcmp(s, "udp") || !strcmp(s, "UDP"))
        return 17;
    if (!strcmp(s, "icmp") || !strcmp(s, "ICMP"))
        return 1;
    if (!strcmp(s, "icmpv6") || !strcmp(s, "ICMPv6") || !strcmp(s, "ipv6-icmp"))
        return 58;
    char *end;
    long v = strtol(s, &end, 10);
    return (*s && !*end && v >= 0 && v <= 255) ? (int)v : -1;
}

static int parse_time(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s && !*end) {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &n) < 5)
        return -1;
    s += n;
    if (*s == ':') {
        int sec, m = 0;
        if (sscanf(s, ":%2d%n", &sec, &m) < 1)
            return -1;
        tm.tm_sec = sec;
        s += m;
    }
    if (*s == 'Z')
        s++;
    if (*s)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t < 0)
        return -1;
    *out = (uint64_t)t;
    return 0;
}

void diag_format_time(uint64_t t, char *buf, size_t n)
{
    if (!t) {
        snprintf(buf, n, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *warning_names[] = {"skipdata", "one-side-logged", "no-tcp-flags", "no-pkt-addresses",
                                      "no-flow-direction", "window-shorter-than-aggregation", "eni-endpoint-unknown",
                                      "truncated", "nodata"};

static void flags_text(uint64_t f, char *buf, size_t n)
{
    static const char *names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG"};
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < 6; i++)
        if (f & (1u << i))
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "|" : "", names[i]);
    if (!len)
        snprintf(buf, n, "-");
}

static void print_text(const flowlog_diag *d, const char *question, int protocol)
{
    int v = flowlog_diag_verdict(d);
    printf("verdict:  %s\n", flowlog_verdict_name(v));
    printf("side:     %s\n", flowlog_diag_side_name(flowlog_diag_side(d)));
    printf("question: %s\n\n", question);
    printf("%-16s %9s %12s %14s  %-15s %-19s %-19s\n", "evidence", "records", "packets", "bytes", "tcp-flags", "first", "last");
    for (int dir = 0; dir < 2; dir++)
        for (int rej = 0; rej < 2; rej++) {
            char flags[64], first[32], last[32];
            uint64_t recs = flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_RECORDS_REJECT : FLOWLOG_DIAG_RECORDS_ACCEPT);
            flags_text(rej ? 0 : flowlog_diag_count(d, dir, FLOWLOG_DIAG_TCP_FLAGS), flags, sizeof flags);
            if (protocol != 6 || rej)
                snprintf(flags, sizeof flags, "%s", rej ? "" : "-");
            diag_format_time(flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_FIRST_REJECT : FLOWLOG_DIAG_FIRST_ACCEPT), first, sizeof first);
            diag_format_time(flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_LAST_REJECT : FLOWLOG_DIAG_LAST_ACCEPT), last, sizeof last);
            printf("%-16s %9" PRIu64 " %12" PRIu64 " %14" PRIu64 "  %-15s %-19s %-19s\n",
                   dir ? (rej ? "reverse REJECT" : "reverse ACCEPT") : (rej ? "forward REJECT" : "forward ACCEPT"), recs,
                   flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_PACKETS_REJECT : FLOWLOG_DIAG_PACKETS_ACCEPT),
                   flowlog_diag_count(d, dir, rej ? FLOWLOG_DIAG_BYTES_REJECT : FLOWLOG_DIAG_BYTES_ACCEPT), recs ? flags : "",
                   recs ? first : "", recs ? last : "");
        }
    size_t neni = flowlog_diag_eni_count(d);
    if (neni) {
        printf("\n%-24s %-13s %-15s %-15s %-15s %s\n", "ENI", "endpoint", "forward acc/rej", "reverse acc/rej", "direction", "nodata/skipdata");
        for (size_t i = 0; i < neni; i++) {
            const char *id;
            int side;
            uint64_t c[4], ns[2];
            unsigned io;
            char fw[32], rv[32];
            (void)flowlog_diag_eni(d, i, &id, &side, c, &io, ns);
            snprintf(fw, sizeof fw, "%" PRIu64 "/%" PRIu64, c[0], c[1]);
            snprintf(rv, sizeof rv, "%" PRIu64 "/%" PRIu64, c[2], c[3]);
            char safe[200];
            printf("%-24s %-13s %-15s %-15s %-15s %" PRIu64 "/%" PRIu64 "\n", cli_printable(id, safe, sizeof safe),
                   flowlog_diag_side_name(side), fw, rv,
                   io == 3 ? "ingress+egress" : io == 1 ? "ingress" : io == 2 ? "egress" : "-", ns[0], ns[1]);
        }
    }
    uint64_t start, p[4];
    if (flowlog_diag_interval(d, 0, &start, p) == FLOWLOG_OK) {
        uint64_t max = 1;
        size_t n = 0;
        for (; flowlog_diag_interval(d, n, &start, p) == FLOWLOG_OK; n++)
            for (int k = 0; k < 4; k++)
                max = p[k] > max ? p[k] : max;
        printf("\ntimeline (packets per interval; forward | reverse; '+' ACCEPT, 'x' REJECT)\n");
        size_t shown = n > 40 ? 40 : n;
        for (size_t i = 0; i < shown; i++) {
            size_t idx = n > 40 ? i * n / 40 : i;
            char when[32];
            (void)flowlog_diag_interval(d, idx, &start, p);
            diag_format_time(start, when, sizeof when);
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
    if (flowlog_diag_verdict(d) == FLOWLOG_VERDICT_INTERMITTENT && flowlog_diag_client(d, 0, &a, &x, &y) == FLOWLOG_OK) {
        printf("\nclients (forward records ACCEPT/REJECT)\n");
        for (size_t i = 0; flowlog_diag_client(d, i, &a, &x, &y) == FLOWLOG_OK && i < 20; i++) {
            char t[64];
            flowlog_addr_format(&a, t, sizeof t);
            printf("  %-40s %" PRIu64 "/%" PRIu64 "\n", t, x, y);
        }
    }
    if (flowlog_diag_verdict(d) == FLOWLOG_VERDICT_NO_TRAFFIC && flowlog_diag_elsewhere(d, 0, &a, &x) == FLOWLOG_OK) {
        printf("\nthe client sent this protocol and port instead to:\n");
        for (size_t i = 0; flowlog_diag_elsewhere(d, i, &a, &x) == FLOWLOG_OK && i < 10; i++) {
            char t[64];
            flowlog_addr_format(&a, t, sizeof t);
            printf("  %-40s %" PRIu64 " records\n", t, x);
        }
    }
    unsigned w = flowlog_diag_warnings(d);
    if (w) {
        printf("\nwarnings:");
        for (int i = 0; i < 9; i++)
            if (w & (1u << i))
                printf(" %s", warning_names[i]);
        printf("\n");
    }
    size_t need = flowlog_diag_explain(d, NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        flowlog_diag_explain(d, text, need + 1);
        /* It names ENIs, whose ids come from the logs. */
        printf("\nwhat to check next:\n");
        for (const char *c = text; *c; c++) {
            if ((unsigned char)*c < 0x20 && *c != '\n')
                printf("\\x%02x", (unsigned char)*c);
            else if (*c == 0x7f)
                printf("\\x7f");
            else
                putchar(*c);
        }
        free(text);
    }
}

void diag_json_evidence(const uint64_t c[DIAG_COUNTERS])
{
    printf("{\"records_accept\":%" PRIu64 ",\"records_reject\":%" PRIu64 ",\"packets_accept\":%" PRIu64
           ",\"packets_reject\":%" PRIu64 ",\"bytes_accept\":%" PRIu64 ",\"bytes_reject\":%" PRIu64
           ",\"tcp_flags\":%" PRIu64 ",\"first\":%" PRIu64 ",\"last\":%" PRIu64 "}",
           c[FLOWLOG_DIAG_RECORDS_ACCEPT], c[FLOWLOG_DIAG_RECORDS_REJECT], c[FLOWLOG_DIAG_PACKETS_ACCEPT],
           c[FLOWLOG_DIAG_PACKETS_REJECT], c[FLOWLOG_DIAG_BYTES_ACCEPT], c[FLOWLOG_DIAG_BYTES_REJECT],
           c[FLOWLOG_DIAG_TCP_FLAGS], c[FLOWLOG_DIAG_FIRST_TIME], c[FLOWLOG_DIAG_LAST_TIME]);
}

static void json_direction(const flowlog_diag *d, int dir)
{
    uint64_t c[DIAG_COUNTERS];
    for (int k = 0; k < DIAG_COUNTERS; k++)
        c[k] = flowlog_diag_count(d, dir, k);
    diag_json_evidence(c);
}

static void print_json(const flowlog_diag *d)
{
    printf("{\"verdict\":\"%s\",\"side\":\"%s\",\"forward\":", flowlog_verdict_name(flowlog_diag_verdict(d)),
           flowlog_diag_side_name(flowlog_diag_side(d)));
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
        printf(",\"endpoint\":\"%s\",\"forward_accept\":%" PRIu64 ",\"forward_reject\":%" PRIu64
               ",\"reverse_accept\":%" PRIu64 ",\"reverse_reject\":%" PRIu64 ",\"ingress\":%s,\"egress\":%s,\"nodata\":%" PRIu64
               ",\"skipdata\":%" PRIu64 "}",
               flowlog_diag_side_name(side), c[0], c[1], c[2], c[3], io & 1 ? "true" : "false", io & 2 ? "true" : "false", ns[0], ns[1]);
    }
    printf("],\"timeline\":[");
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
    printf("],\"warnings\":[");
    unsigned w = flowlog_diag_warnings(d);
    for (int i = 0, n = 0; i < 9; i++)
        if (w & (1u << i))
            printf("%s\"%s\"", n++ ? "," : "", warning_names[i]);
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
    printf("}\n");
}

static int feed(void *ctx, flowlog_record *rec, const flowlog_reader *r)
{
    (void)flowlog_diag_feed(ctx, rec, flowlog_reader_stream(r));
    return 0;
}

int cmd_diagnose(int argc, char **argv)
{
    cli_input in = {0};
    const char *client = NULL, *server = NULL, *port = NULL, *proto = "tcp", *since = NULL, *until = NULL;
    long bucket = 60;
    long long max_conversations = 0, top = -2;
    bool json = false;
    char **paths = argv + 1;
    int npaths = 0;
    in.lazy = true; /* only the fields the diagnosis reads are converted, each checked as it is read */
    for (int i = 1; i < argc; i++) {
        int taken = cli_input_option(&in, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        const char **slot = !strcmp(argv[i], "--client") ? &client : !strcmp(argv[i], "--server") ? &server
                          : !strcmp(argv[i], "--port") ? &port : !strcmp(argv[i], "--protocol") ? &proto
                          : !strcmp(argv[i], "--since") ? &since : !strcmp(argv[i], "--until") ? &until : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flowlog diagnose: %s needs a value\n", argv[i]);
                return 2;
            }
            *slot = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--bucket") && i + 1 < argc) {
            bucket = strtol(argv[++i], NULL, 10);
            continue;
        }
        if ((!strcmp(argv[i], "--max-conversations") || !strcmp(argv[i], "--top")) && i + 1 < argc) {
            bool is_top = !strcmp(argv[i], "--top");
            char *end;
            long long v = strtoll(argv[i + 1], &end, 10);
            if (*end || !*argv[i + 1] || v < (is_top ? 0 : 1)) {
                fprintf(stderr, "flowlog diagnose: %s takes a number%s\n", argv[i], is_top ? " (0: all)" : " of at least 1");
                return 2;
            }
            *(is_top ? &top : &max_conversations) = v;
            i++;
            continue;
        }
        if (!strcmp(argv[i], "--json")) {
            json = true;
            continue;
        }
        int st = cli_other_arg("diagnose", argv[i], paths, &npaths, usage);
        if (st >= 0)
            return st;
    }
    int protocol = parse_protocol(proto);
    if (protocol < 0) {
        fprintf(stderr, "flowlog diagnose: --protocol takes tcp, udp, icmp, icmpv6 or a number 0-255\n");
        return 2;
    }
    bool icmp = protocol == 1 || protocol == 58;
    uint64_t t_since = 0, t_until = 0;
    if ((since && parse_time(since, &t_since)) || (until && parse_time(until, &t_until))) {
        fprintf(stderr, "flowlog diagnose: a time is Unix seconds or YYYY-MM-DDTHH:MM[:SS]Z\n");
        return 2;
    }
    if (!client && !server && !port) {
        sweep_options o = {json, t_since, t_until, max_conversations, top == -2 ? (json ? -1 : 20) : top == 0 ? -1 : top};
        return diagnose_sweep(&in, paths, npaths, &o);
    }
    if (!client || !server || (!port && !icmp)) {
        fprintf(stderr, "flowlog diagnose: give --client, --server and --port (a port is not needed for ICMP)\n");
        usage(stderr);
        return 2;
    }
    unsigned lo = 0, hi = 65535;
    if (port) {
        char *end;
        unsigned long a = strtoul(port, &end, 10), b = a;
        if (*end == '-')
            b = strtoul(end + 1, &end, 10);
        if (*end || a > b || b > 65535 || !*port) {
            fprintf(stderr, "flowlog diagnose: --port takes a port or a range such as 1024-65535\n");
            return 2;
        }
        lo = (unsigned)a;
        hi = (unsigned)b;
    }
    for (int k = 0; k < 2; k++) {
        const char *ep = k ? server : client;
        flowlog_addr net;
        unsigned prefix;
        if (strcmp(ep, "any") && flowlog_cidr_parse(ep, strlen(ep), &net, &prefix) != FLOWLOG_OK) {
            fprintf(stderr, "flowlog diagnose: --%s '%s' is not an IPv4/IPv6 address or CIDR, or 'any'\n",
                    k ? "server" : "client", ep);
            return 2;
        }
    }
    flowlog_diag *d;
    if (flowlog_diag_new(&d, client, server, lo, hi, protocol, NULL) != FLOWLOG_OK ||
        flowlog_diag_set_window(d, t_since, t_until) != FLOWLOG_OK ||
        flowlog_diag_set(d, FLOWLOG_DIAG_OPT_BUCKET_SECONDS, bucket) != FLOWLOG_OK) {
        fprintf(stderr, "flowlog diagnose: invalid question (window or --bucket 1-86400)\n");
        return 2;
    }
    int status = cli_input_open(&in, paths, npaths);
    if (status) {
        flowlog_diag_free(d);
        cli_input_close(&in);
        return status;
    }
    /* Records that do not name the client are only narrowed to their ENI's
     * own address, by the reader's scan, without being split. */
    if (flowlog_diag_attach_reader(d, in.reader) > 0)
        cli_input_map(&in);
    status = cli_read_all(&in, feed, d);
    char question[256];
    snprintf(question, sizeof question, "%s -> %s%s%s %s", client, server, port ? ":" : "", port ? port : "", proto);
    if (json)
        print_json(d);
    else
        print_text(d, question, protocol);
    flowlog_diag_free(d);
    cli_input_close(&in);
    return status;
}
