#include "internal.h"

#include <stdio.h>

void flowlog__error_static(flowlog__error *e, size_t offset, int column, const char *msg)
{
    e->msg = msg;
    e->offset = offset;
    e->column = column;
}

void flowlog__error_set(flowlog__error *e, size_t offset, int column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->buf, sizeof e->buf, fmt, ap);
    va_end(ap);
    e->msg = e->buf;
    e->offset = offset;
    e->column = column;
}
