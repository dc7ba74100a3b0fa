/* flowlog: read AWS VPC Flow Logs from the command line. */
#include "cli.h"

#include <errno.h>
#include <string.h>
#if defined(__GLIBC__)
#  include <stdio_ext.h>
#endif

static void usage(FILE *f)
{
    fprintf(f,
            "usage: flowlog COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  diagnose  tell why one address cannot reach another, and which layer blocks it\n"
            "  explain-rules  evaluate the VPC's security groups, network ACLs and routes for a\n"
            "            question, and name the rule that blocks it\n"
            "  parse     print records as NDJSON\n"
            "  query     run a CloudWatch Logs Insights query over flow logs\n"
            "  schema    validate and explain a format; print it as an Athena table or DuckDB view\n"
            "  fields    list the fields the library knows\n"
            "  version   print the library version\n"
            "\n"
            "Run 'flowlog COMMAND --help' for a command's options. Every command takes --quiet (no\n"
            "progress line) and --color auto|always|never (colour only on a terminal by default;\n"
            "NO_COLOR turns it off).\n"
            "\n"
            "exit status (every command): 0 success; 1 some input lines were errors (results\n"
            "still printed); 2 usage error; 3 an input could not be opened or read to its end,\n"
            "or the output could not be written; 4 an alarm held (query --fail-when, diagnose\n"
            "--fail-unless).\n");
}

/* Every command's output ends here: a write that failed (a full disk, a
 * closed pipe) is an I/O error, never a silent success. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "flowlog: cannot write the output: %s\n", strerror(errno ? errno : EIO));
        return 3;
    }
    return status;
}

static int run(int argc, char **argv);

int main(int argc, char **argv)
{
#if defined(__GLIBC__)
    /* Only this thread writes the output (the library's threads read, and
     * tell bad lines through this one): a lock a character is not needed,
     * and millions of rows take millions of characters. */
    __fsetlocking(stdout, FSETLOCKING_BYCALLER);
#endif
    return finish_output(run(argc, argv));
}

static int run(int argc, char **argv)
{
    if (cli_term_options(&argc, argv))
        return 2;
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
    if (strcmp(cmd, "schema") == 0)
        return cmd_schema(argc - 1, argv + 1);
    if (strcmp(cmd, "explain-rules") == 0)
        return cmd_explain_rules(argc - 1, argv + 1);
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
