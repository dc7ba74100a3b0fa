/* `flowlog diagnose PATH...` without a question: every conversation with a
 * problem, ranked by packets, with the question to ask about each. */
#include "cli.h"

#include <flowlog/diag.h>
#include <flowlog/sweep.h>

#include <inttypes.h>
#include <string.h>

static const char *protocol_name(int p, char *buf, size_t n)
{
    switch (p) {
    case 6:
        return "tcp";
    case 17:
        return "udp";
    case 1:
        return "icmp";
    case 58:
        return "icmpv6";
    default:
        snprintf(buf, n, "%d", p);
        return buf;
    }
}

static void counters(const flowlog_sweep *s, size_t i, int dir, uint64_t c[DIAG_COUNTERS])
{
    for (int k = 0; k < DIAG_COUNTERS; k++)
        c[k] = flowlog_sweep_count(s, i, dir, k);
}

static int sweep_input(const void *s, size_t i, const char **name, int *st, uint64_t *records, uint64_t *errors,
                       const char **reason)
{
    return flowlog_sweep_input(s, i, name, st, records, errors, reason);
}

static void print_json(const flowlog_sweep *s, size_t n, size_t shown)
{
    printf("{\"mode\":\"sweep\",");
    diag_json_inputs(flowlog_sweep_input_count(s), sweep_input, s, flowlog_sweep_complete(s) == 1);
    printf(",\"conversations\":%" PRIu64 ",\"problems\":%zu,\"truncated\":%s,\"dropped_records\":%" PRIu64
           ",\"results\":[",
           flowlog_sweep_conversations(s), n, flowlog_sweep_dropped(s) ? "true" : "false", flowlog_sweep_dropped(s));
    for (size_t i = 0; i < shown; i++) {
        flowlog_addr client, server;
        unsigned port;
        int protocol, verdict;
        char c[64], sv[64], pb[8];
        (void)flowlog_sweep_result(s, i, &client, &server, &port, &protocol, &verdict);
        flowlog_addr_format(&client, c, sizeof c);
        flowlog_addr_format(&server, sv, sizeof sv);
        uint64_t fwd[DIAG_COUNTERS], rev[DIAG_COUNTERS];
        counters(s, i, FLOWLOG_DIAG_FORWARD, fwd);
        counters(s, i, FLOWLOG_DIAG_REVERSE, rev);
        uint64_t packets = fwd[FLOWLOG_DIAG_PACKETS_ACCEPT] + fwd[FLOWLOG_DIAG_PACKETS_REJECT] +
                           rev[FLOWLOG_DIAG_PACKETS_ACCEPT] + rev[FLOWLOG_DIAG_PACKETS_REJECT];
        printf("%s{\"verdict\":\"%s\",\"client\":\"%s\",\"server\":\"%s\",\"port\":%u,\"protocol\":\"%s\",\"packets\":%" PRIu64
               ",\"forward\":",
               i ? "," : "", flowlog_verdict_name(verdict), c, sv, port, protocol_name(protocol, pb, sizeof pb), packets);
        diag_json_evidence(fwd);
        printf(",\"reverse\":");
        diag_json_evidence(rev);
        printf("}");
    }
    printf("]}\n");
}

static void print_text(const flowlog_sweep *s, size_t n, size_t shown, char **paths, int npaths)
{
    if (flowlog_sweep_complete(s) != 1) {
        size_t ninputs = flowlog_sweep_input_count(s), bad = 0;
        for (size_t i = 0; i < ninputs; i++) {
            const char *name, *reason;
            int st;
            uint64_t records, errors;
            char safe[512], why[256];
            if (flowlog_sweep_input(s, i, &name, &st, &records, &errors, &reason) != FLOWLOG_OK ||
                (st == FLOWLOG_INPUT_COMPLETE && !errors))
                continue;
            if (bad++ == 0)
                printf("EVIDENCE INCOMPLETE: these inputs were not read whole; the results rest only on the records read.\n");
            if (bad <= 10)
                printf("  %s: %s (%" PRIu64 " record%s, %" PRIu64 " bad line%s)\n", cli_printable(name, safe, sizeof safe),
                       *reason ? cli_printable(reason, why, sizeof why)
                               : st == FLOWLOG_INPUT_COMPLETE ? "read to its end" : "not read to its end",
                       records, records == 1 ? "" : "s", errors, errors == 1 ? "" : "s");
        }
        if (bad > 10)
            printf("  and %zu more\n", bad - 10);
        printf("\n");
    }
    printf("sweep: %" PRIu64 " conversations, %zu with a problem (blocked, return-blocked, refused, no-response), "
           "ranked by packets\n",
           flowlog_sweep_conversations(s), n);
    if (!n) {
        printf("\nno conversation shows a problem at the network layer.\n");
        return;
    }
    /* Columns as wide as the widest address shown. */
    int wc = 6, ws = 11;
    for (size_t i = 0; i < shown; i++) {
        char c[64], sv[64];
        int len;
        flowlog_addr client, server;
        (void)flowlog_sweep_result(s, i, &client, &server, NULL, NULL, NULL);
        if ((len = (int)flowlog_addr_format(&client, c, sizeof c)) > wc)
            wc = len;
        if ((len = (int)flowlog_addr_format(&server, sv, sizeof sv) + 8) > ws)
            ws = len;
    }
    printf("\n%-15s %-*s %-*s %-6s %12s %-13s %-13s %-19s %s\n", "verdict", wc, "client", ws, "server:port", "proto",
           "packets", "fwd acc/rej", "rev acc/rej", "first", "last");
    for (size_t i = 0; i < shown; i++) {
        flowlog_addr client, server;
        unsigned port;
        int protocol, verdict;
        char c[64], sv[64], endpoint[80], pb[8], fw[32], rv[32], first[32], last[32];
        (void)flowlog_sweep_result(s, i, &client, &server, &port, &protocol, &verdict);
        flowlog_addr_format(&client, c, sizeof c);
        flowlog_addr_format(&server, sv, sizeof sv);
        bool icmp = protocol == 1 || protocol == 58;
        if (icmp)
            snprintf(endpoint, sizeof endpoint, "%s", sv);
        else
            snprintf(endpoint, sizeof endpoint, server.family == FLOWLOG_AF_INET6 ? "[%s]:%u" : "%s:%u", sv, port);
        uint64_t f[DIAG_COUNTERS], r[DIAG_COUNTERS];
        counters(s, i, FLOWLOG_DIAG_FORWARD, f);
        counters(s, i, FLOWLOG_DIAG_REVERSE, r);
        snprintf(fw, sizeof fw, "%" PRIu64 "/%" PRIu64, f[FLOWLOG_DIAG_RECORDS_ACCEPT], f[FLOWLOG_DIAG_RECORDS_REJECT]);
        snprintf(rv, sizeof rv, "%" PRIu64 "/%" PRIu64, r[FLOWLOG_DIAG_RECORDS_ACCEPT], r[FLOWLOG_DIAG_RECORDS_REJECT]);
        uint64_t t0 = f[FLOWLOG_DIAG_FIRST_TIME], t1 = r[FLOWLOG_DIAG_FIRST_TIME];
        diag_format_time(t0 && (!t1 || t0 < t1) ? t0 : t1, first, sizeof first);
        t0 = f[FLOWLOG_DIAG_LAST_TIME];
        t1 = r[FLOWLOG_DIAG_LAST_TIME];
        diag_format_time(t0 > t1 ? t0 : t1, last, sizeof last);
        printf("%-15s %-*s %-*s %-6s %12" PRIu64 " %-13s %-13s %-19s %s\n", flowlog_verdict_name(verdict), wc, c, ws,
               endpoint, protocol_name(protocol, pb, sizeof pb),
               f[FLOWLOG_DIAG_PACKETS_ACCEPT] + f[FLOWLOG_DIAG_PACKETS_REJECT] + r[FLOWLOG_DIAG_PACKETS_ACCEPT] +
                   r[FLOWLOG_DIAG_PACKETS_REJECT],
               fw, rv, first, last);
    }
    if (shown < n)
        printf("(%zu more; --top 0 shows all)\n", n - shown);
    flowlog_addr client, server;
    unsigned port;
    int protocol;
    (void)flowlog_sweep_result(s, 0, &client, &server, &port, &protocol, NULL);
    char c[64], sv[64], pb[8];
    flowlog_addr_format(&client, c, sizeof c);
    flowlog_addr_format(&server, sv, sizeof sv);
    printf("\nfor the evidence and what to check next, ask about one conversation, e.g.:\n  flowlog diagnose "
           "--client %s --server %s",
           c, sv);
    if (protocol == 1 || protocol == 58)
        printf(" --protocol %s", protocol_name(protocol, pb, sizeof pb));
    else
        printf(" --port %u%s%s", port, protocol == 6 ? "" : " --protocol ", protocol == 6 ? "" : protocol_name(protocol, pb, sizeof pb));
    for (int i = 0; i < npaths && i < 3; i++)
        printf(" %s", paths[i]);
    printf("%s\n", npaths > 3 ? " ..." : "");
}

int diagnose_sweep(cli_input *in, char **paths, int npaths, const sweep_options *o)
{
    flowlog_sweep *s;
    if (flowlog_sweep_new(&s, NULL) != FLOWLOG_OK)
        return cli_out_of_memory("diagnose");
    if (flowlog_sweep_set_window(s, o->since, o->until) != FLOWLOG_OK ||
        (o->max_conversations &&
         flowlog_sweep_set(s, FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS, o->max_conversations) != FLOWLOG_OK) ||
        (o->max_memory && flowlog_sweep_set(s, FLOWLOG_SWEEP_OPT_MAX_MEMORY, o->max_memory) != FLOWLOG_OK)) {
        fprintf(stderr, "flowlog diagnose: invalid window, --max-conversations (1 .. 2147483647) or --max-memory\n");
        flowlog_sweep_free(s);
        return 2;
    }
    int status = cli_input_open(in, paths, npaths);
    if (status) {
        flowlog_sweep_free(s);
        cli_input_close(in);
        return status;
    }
    size_t n;
    int rc = flowlog_sweep_run(s, in->reader, &n);
    status = cli_input_status(in, in->status);
    if (rc != FLOWLOG_OK) {
        fprintf(stderr, "flowlog diagnose: out of memory ranking %" PRIu64 " conversations\n",
                flowlog_sweep_conversations(s));
        flowlog_sweep_free(s);
        cli_input_close(in);
        return 3;
    }
    if (flowlog_sweep_dropped(s)) {
        /* which limit it reached: the count, or the memory before it */
        long long cap = o->max_conversations ? o->max_conversations : 1000000;
        bool by_count = flowlog_sweep_conversations(s) >= (uint64_t)cap;
        fprintf(stderr,
                "flowlog diagnose: truncated: %" PRIu64 " records of conversations beyond the %" PRIu64
                " kept were not counted (%s)\n",
                flowlog_sweep_dropped(s), flowlog_sweep_conversations(s),
                by_count ? "raise --max-conversations" : "the memory cap was reached: raise --max-memory");
    }
    size_t shown = o->top < 0 || (size_t)o->top > n ? n : (size_t)o->top;
    if (o->json)
        print_json(s, n, shown);
    else
        print_text(s, n, shown, paths, npaths);
    flowlog_sweep_free(s);
    cli_input_close(in);
    return status;
}
