#include "internal.h"

unsigned flowlog_version_number(void) { return FLOWLOG_VERSION_NUMBER; }

const char *flowlog_version_string(void) { return FLOWLOG_VERSION_STRING; }

int flowlog_locate(const char *buf, size_t len, size_t offset, uint64_t *line, uint64_t *column)
{
    if (!buf || !line || !column || offset > len)
        return FLOWLOG_E_ARG;
    uint64_t ln = 1;
    size_t line_start = 0;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + offset - p))) != NULL; p++) {
        ln++;
        line_start = (size_t)(p - buf) + 1;
    }
    *line = ln;
    *column = (uint64_t)(offset - line_start) + 1;
    return FLOWLOG_OK;
}
