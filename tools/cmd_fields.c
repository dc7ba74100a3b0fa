#include "cli.h"

#include <string.h>

static const char *type_name(int t)
{
    switch (t) {
    case FLOWLOG_TYPE_STRING: return "string";
    case FLOWLOG_TYPE_UINT: return "integer";
    case FLOWLOG_TYPE_ADDR: return "address";
    case FLOWLOG_TYPE_ENUM: return "enum";
    case FLOWLOG_TYPE_TIME: return "time";
    default: return "?";
    }
}

int cmd_fields(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 && !json) {
        fputs("usage: flowlog fields [--json]\nList every field the library knows: name, type, version.\n"
              "Example:\n  flowlog fields --json | python3 -m json.tool\n",
              strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    if (json)
        putchar('[');
    for (uint32_t id = flowlog_field_next(FLOWLOG_FIELD_NONE), n = 0; id; id = flowlog_field_next(id), n++) {
        const char *name = flowlog_field_name(id);
        int v = flowlog_field_version(id);
        if (json) {
            printf("%s{\"id\":%u,\"name\":\"%s\",\"type\":\"%s\",\"version\":", n ? "," : "", id, name,
                   type_name(flowlog_field_type(id)));
            if (v > 0)
                printf("%d}", v);
            else
                printf("null}");
        } else if (v > 0) {
            printf("%-28s %-8s %d\n", name, type_name(flowlog_field_type(id)), v);
        } else {
            printf("%-28s %-8s -\n", name, type_name(flowlog_field_type(id)));
        }
    }
    if (json)
        puts("]");
    return 0;
}
