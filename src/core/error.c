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

int flowlog__error_info(flowlog_error_info *info, int status, const flowlog__error *why)
{
    if (!info)
        return status;
    info->status = status;
    info->column = -1;
    info->offset = 0;
    const char *msg = status == FLOWLOG_OK ? "" : flowlog_strerror(status);
    if (status < 0 && why && why->msg && why->msg[0]) {
        msg = why->msg;
        info->column = why->column;
        info->offset = why->offset;
    }
    snprintf(info->message, sizeof info->message, "%s", msg);
    return status;
}

int flowlog__error_info_args(flowlog_error_info *info, int status, const void *out, const flowlog_allocator *a,
                             const flowlog_schema *schema, bool schema_required)
{
    flowlog__error why;
    flowlog__error_clear(&why);
    if (status == FLOWLOG_E_ARG) {
        if (!out)
            flowlog__error_static(&why, 0, -1, "the handle's out pointer is NULL");
        else if (a && (!a->alloc || !a->realloc || !a->free))
            flowlog__error_static(&why, 0, -1, "the allocator lacks alloc, realloc or free");
        else if (schema && !schema->frozen)
            flowlog__error_static(&why, 0, -1, "the schema is not frozen (flowlog_schema_freeze())");
        else if (!schema && schema_required)
            flowlog__error_static(&why, 0, -1, "a schema is required");
    }
    return flowlog__error_info(info, status, &why);
}
