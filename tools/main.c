/* flowlog: read AWS VPC Flow Logs from the command line. */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: flowlog COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  diagnose  tell why one address cannot reach another, and which layer blocks it\n"
            "  parse     print records as NDJSON\n"
            "  query     run a CloudWatch Logs Insights query over flow logs\n"
            "  fields    list the fields the library knows\n"
            "  version   print the library version\n"
            "\n"
            "Run 'flowlog COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "parse") == 0)
        return cmd_parse(argc - 1, argv + 1);
    if (strcmp(cmd, "diagnose") == 0)
        return cmd_diagnose(argc - 1, argv + 1);
    if (strcmp(cmd, "query") == 0)
        return cmd_query(argc - 1, argv + 1);
    if (strcmp(cmd, "fields") == 0)
        return cmd_fields(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("flowlog %s\n", flowlog_version_string());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "flowlog: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
