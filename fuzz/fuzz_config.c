/* The VPC's configuration from untrusted JSON: the input is documents
 * separated by NUL bytes, each one's first byte choosing its kind (the
 * AWS CLI command it stands for); whatever loads is then asked questions
 * between the addresses the seeds describe, over TCP, ICMP and IPv6. */
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    flowlog_config *c;
    if (flowlog_config_new(&c, NULL) != FLOWLOG_OK)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nul = memchr(p, '\0', (size_t)(end - p));
        const char *stop = nul ? nul : end;
        if (stop > p) {
            int kind = 1 + (unsigned char)p[0] % 7;
            int rc = flowlog_config_load(c, kind, p + 1, (size_t)(stop - p - 1), "fuzz.json",
                                         kind == FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES ? "pl-1" : NULL);
            FUZZ_CHECK(rc == FLOWLOG_OK || rc == FLOWLOG_E_JSON || rc == FLOWLOG_E_NOMEM);
            FUZZ_CHECK(rc == FLOWLOG_OK || flowlog_config_error_message(c)[0] != '\0');
        }
        p = nul ? nul + 1 : end;
    }
    static const struct {
        const char *client, *server;
        unsigned port;
        int protocol;
    } questions[] = {{"10.1.1.10", "10.1.2.20", 5432, 6},        {"10.1.1.10", "10.1.2.20", 8 * 256, 1},
                     {"198.51.100.7", "10.1.2.20", 443, 6},       {"10.1.2.20", "10.1.1.10", 65535, 1},
                     {"2001:db8:1:1::10", "2001:db8:1:2::20", 5432, 6}, {"10.1.1.10", "10.1.4.50", 80, 17}};
    flowlog_reach *r;
    if (flowlog_reach_new(&r, c, NULL) == FLOWLOG_OK) {
        for (size_t i = 0; i < sizeof questions / sizeof questions[0]; i++) {
            int rc = flowlog_reach_evaluate(r, questions[i].client, questions[i].server, questions[i].port,
                                            questions[i].protocol, 1024, 65535);
            FUZZ_CHECK(rc == FLOWLOG_OK || rc == FLOWLOG_E_QUERY || rc == FLOWLOG_E_NOMEM);
            if (rc != FLOWLOG_OK)
                continue;
            int reachable = flowlog_reach_reachable(r), at = flowlog_reach_blocking(r);
            FUZZ_CHECK(reachable >= -1 && reachable <= 1);
            FUZZ_CHECK((reachable == 1) == (at < 0));
            size_t n = flowlog_reach_count(r);
            FUZZ_CHECK(n >= 5 && n <= 8 && (at < 0 || (size_t)at < n));
            for (size_t k = 0; k < n; k++) {
                int checkpoint, outcome;
                const char *resource, *detail;
                int64_t rule;
                FUZZ_CHECK(flowlog_reach_checkpoint(r, k, &checkpoint, &outcome, &resource, &rule, &detail) ==
                           FLOWLOG_OK);
                FUZZ_CHECK(flowlog_checkpoint_name(checkpoint) && flowlog_check_outcome_name(outcome));
                FUZZ_CHECK(detail[0] != '\0' && rule >= -1 && rule <= 32767);
            }
            const char *command, *fix = flowlog_reach_fix(r, &command);
            FUZZ_CHECK((at < 0) == (fix[0] == '\0'));
        }
        flowlog_reach_free(r);
    }
    flowlog_config_free(c);
    return 0;
}
