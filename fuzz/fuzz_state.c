/* Serialised diagnosis and sweep states are untrusted bytes (they cross
 * processes and machines). The first byte picks which; a state that loads
 * is merged with a copy of itself, reported and serialised again. */
#include "fuzz.h"

#include <flowlog/diag.h>
#include <flowlog/sweep.h>

#include <string.h>

static void diag_state(const uint8_t *data, size_t size)
{
    flowlog_diag *a, *b;
    if (flowlog_diag_deserialize(&a, data, size, NULL) != FLOWLOG_OK)
        return;
    FUZZ_CHECK(flowlog_diag_deserialize(&b, data, size, NULL) == FLOWLOG_OK);
    FUZZ_CHECK(flowlog_diag_merge(a, b) == FLOWLOG_OK);
    FUZZ_CHECK(flowlog_verdict_name(flowlog_diag_verdict(a)) != NULL);
    FUZZ_CHECK(flowlog_diag_side_name(flowlog_diag_side(a)) != NULL);
    (void)flowlog_diag_warnings(a);
    char text[256];
    (void)flowlog_diag_explain(a, text, sizeof text);
    for (size_t i = 0; i < flowlog_diag_eni_count(a); i++)
        FUZZ_CHECK(flowlog_diag_eni(a, i, NULL, NULL, NULL, NULL, NULL) == FLOWLOG_OK);
    size_t need;
    FUZZ_CHECK(flowlog_diag_serialize(a, NULL, 0, &need) == FLOWLOG_OK);
    uint8_t *again = malloc(need);
    if (again && flowlog_diag_serialize(a, again, need, &need) == FLOWLOG_OK) {
        flowlog_diag *c;
        FUZZ_CHECK(flowlog_diag_deserialize(&c, again, need, NULL) == FLOWLOG_OK);
        FUZZ_CHECK(flowlog_diag_verdict(c) == flowlog_diag_verdict(a));
        flowlog_diag_free(c);
    }
    free(again);
    flowlog_diag_free(a);
    flowlog_diag_free(b);
}

static void sweep_state(const uint8_t *data, size_t size)
{
    flowlog_sweep *a, *b;
    if (flowlog_sweep_deserialize(&a, data, size, NULL) != FLOWLOG_OK)
        return;
    FUZZ_CHECK(flowlog_sweep_deserialize(&b, data, size, NULL) == FLOWLOG_OK);
    int rc = flowlog_sweep_merge(a, b);
    FUZZ_CHECK(rc == FLOWLOG_OK || rc == FLOWLOG_E_NOMEM);
    size_t n;
    if (flowlog_sweep_finish(a, &n) == FLOWLOG_OK)
        for (size_t i = 0; i < n; i++) {
            int v;
            FUZZ_CHECK(flowlog_sweep_result(a, i, NULL, NULL, NULL, NULL, &v) == FLOWLOG_OK);
            FUZZ_CHECK(flowlog_verdict_name(v) != NULL);
        }
    flowlog_sweep_free(a);
    flowlog_sweep_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        sweep_state(data + 1, size - 1);
    else
        diag_state(data + 1, size - 1);
    return 0;
}
