/* flowlog schema: a format string or header line validated and explained,
 * and the same columns as an Athena table or a DuckDB view, so that users
 * who outgrow local files query the same data where it lives. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog schema [--json] FMT\n"
          "       flowlog schema --athena [--parquet] [--table NAME] [--location s3://...] [--partitions hive|date] FMT\n"
          "       flowlog schema --duckdb [--table NAME] [--location PATH] FMT\n"
          "Validate a flow-log format (a format string such as '${version} ${srcaddr} ...', or the\n"
          "header line of an S3 object such as 'version srcaddr ...'; 'default' for AWS's default\n"
          "format) and explain each column: its AWS name, the version that brought it, its type\n"
          "and its name in Athena. With --athena, print the CREATE EXTERNAL TABLE that reads\n"
          "objects of this format where they lie in S3 (Athena's column names and types, the\n"
          "header line skipped; --partitions date projects the yyyy/MM/dd prefixes AWS writes,\n"
          "hive the Hive-compatible ones; --parquet for objects AWS delivered as Parquet: STORED AS\n"
          "PARQUET, no header); with --duckdb, a view over read_csv that reads them\n"
          "locally ('-' is null). --table names the table (default vpc_flow_logs).\n"
          "Exit status: 0 valid; 2 usage error or a format that is not valid (the message says\n"
          "where).\n"
          "Example:\n"
          "  flowlog schema --athena --location s3://my-logs/AWSLogs/111122223333/vpcflowlogs/us-east-1/ \\\n"
          "      --partitions date 'version account-id interface-id srcaddr dstaddr srcport dstport\n"
          "      protocol packets bytes start end action log-status vpc-id tcp-flags'\n",
          f);
}

static const char *type_word(int t)
{
    switch (t) {
    case FLOWLOG_TYPE_UINT: return "integer";
    case FLOWLOG_TYPE_ADDR: return "address";
    case FLOWLOG_TYPE_ENUM: return "enum";
    case FLOWLOG_TYPE_TIME: return "time";
    default: return "string";
    }
}

/* Athena's name for a field: AWS's with '_' for '-'. */
static void athena_name(const char *name, char *out, size_t size)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        out[i] = name[i] == '-' ? '_' : name[i];
    out[i] = '\0';
}

/* The small integers, as AWS's own table declares them; the rest bigint. */
static bool small_int(const char *name)
{
    static const char *const small[] = {"version", "srcport", "dstport", "tcp-flags", "traffic-path"};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
        if (!strcmp(name, small[i]))
            return true;
    return false;
}

static const char *athena_type(const char *name, int t)
{
    if (t == FLOWLOG_TYPE_UINT || t == FLOWLOG_TYPE_TIME)
        return small_int(name) ? "int" : "bigint";
    return "string";
}

static const char *duckdb_type(const char *name, int t)
{
    if (t != FLOWLOG_TYPE_UINT && t != FLOWLOG_TYPE_TIME)
        return "VARCHAR";
    if (!strcmp(name, "version") || !strcmp(name, "protocol"))
        return "UTINYINT";
    if (small_int(name))
        return "USMALLINT";
    return "UBIGINT";
}

/* Text of the command line inside a SQL string literal: quotes doubled. */
static void sql_text(const char *s)
{
    for (; *s; s++) {
        if (*s == '\'')
            putchar('\'');
        putchar(*s);
    }
}

static void print_athena(const flowlog_schema *s, const char *table, const char *location, const char *partitions,
                         bool parquet)
{
    size_t n = flowlog_schema_column_count(s);
    printf("CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (\n", table);
    for (size_t c = 0; c < n; c++) {
        uint32_t f = flowlog_schema_column_field(s, c);
        const char *name = flowlog_schema_field_name(s, f);
        char col[128];
        athena_name(name, col, sizeof col);
        printf("  `%s` %s%s\n", col, athena_type(name, flowlog_schema_field_type(s, f)), c + 1 < n ? "," : "");
    }
    printf(")\n");
    if (partitions && !strcmp(partitions, "date"))
        printf("PARTITIONED BY (`date` date)\n");
    else if (partitions)
        printf("PARTITIONED BY (`aws-account-id` string, `aws-service` string, `aws-region` string, `year` string, "
               "`month` string, `day` string, `hour` string)\n");
    /* Parquet objects name their columns and need no header skipped */
    printf(parquet ? "STORED AS PARQUET\nLOCATION '" : "ROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\nLOCATION '");
    sql_text(location ? location : "s3://BUCKET/PREFIX/AWSLogs/ACCOUNT/vpcflowlogs/REGION/");
    printf(parquet ? "'\nTBLPROPERTIES (\n  \"parquet.compression\"=\"GZIP\""
                   : "'\nTBLPROPERTIES (\n  \"skip.header.line.count\"=\"1\"");
    if (partitions && !strcmp(partitions, "date")) {
        /* AWS writes objects under yyyy/MM/dd/: partition projection finds them */
        const char *loc = location ? location : "s3://BUCKET/PREFIX/AWSLogs/ACCOUNT/vpcflowlogs/REGION/";
        size_t len = strlen(loc);
        printf(",\n  \"projection.enabled\"=\"true\",\n  \"projection.date.type\"=\"date\",\n"
               "  \"projection.date.format\"=\"yyyy/MM/dd\",\n  \"projection.date.range\"=\"NOW-1YEARS,NOW\",\n"
               "  \"projection.date.interval\"=\"1\",\n  \"projection.date.interval.unit\"=\"DAYS\",\n"
               "  \"storage.location.template\"=\"");
        sql_text(loc);
        printf("%s${date}\"", len && loc[len - 1] == '/' ? "" : "/");
    }
    printf("\n);\n");
    if (partitions && strcmp(partitions, "date"))
        printf("-- Hive-compatible prefixes: load the partitions once, and after new days\nMSCK REPAIR TABLE `%s`;\n",
               table);
}

static void print_duckdb(const flowlog_schema *s, const char *table, const char *location)
{
    size_t n = flowlog_schema_column_count(s);
    printf("CREATE VIEW %s AS SELECT * FROM read_csv('", table);
    sql_text(location ? location : "AWSLogs/**/*.log.gz");
    printf("', delim=' ', header=true, quote='', escape='', nullstr='-', auto_detect=false, columns={");
    for (size_t c = 0; c < n; c++) {
        uint32_t f = flowlog_schema_column_field(s, c);
        const char *name = flowlog_schema_field_name(s, f);
        char col[128];
        athena_name(name, col, sizeof col);
        printf("%s'%s': '%s'", c ? ", " : "", col, duckdb_type(name, flowlog_schema_field_type(s, f)));
    }
    printf("});\n");
}

int cmd_schema(int argc, char **argv)
{
    const char *fmt = NULL, *table = "vpc_flow_logs", *location = NULL, *partitions = NULL;
    bool athena = false, duckdb = false, json = false, parquet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--table") ? &table : !strcmp(a, "--location") ? &location
                          : !strcmp(a, "--partitions") ? &partitions : NULL;
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "flowlog schema: %s needs a value\n", a);
                return 2;
            }
            *slot = argv[++i];
        } else if (!strcmp(a, "--athena")) {
            athena = true;
        } else if (!strcmp(a, "--parquet")) {
            parquet = true;
        } else if (!strcmp(a, "--duckdb")) {
            duckdb = true;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!fmt && (a[0] != '-' || !a[1])) {
            fmt = a;
        } else {
            fprintf(stderr, "flowlog schema: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!fmt || athena + duckdb + json > 1) {
        fputs(fmt ? "flowlog schema: choose one of --athena, --duckdb and --json\n"
                  : "flowlog schema: give a format string or header line (or 'default')\n",
              stderr);
        usage(stderr);
        return 2;
    }
    if (parquet && !athena) {
        fputs("flowlog schema: --parquet goes with --athena\n", stderr);
        return 2;
    }
    if (partitions && (!athena || (strcmp(partitions, "hive") && strcmp(partitions, "date")))) {
        fputs("flowlog schema: --partitions takes hive or date, with --athena\n", stderr);
        return 2;
    }
    for (const char *c = table; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            fputs("flowlog schema: --table takes letters, digits and '_'\n", stderr);
            return 2;
        }
    bool dflt = !strcmp(fmt, "default");
    flowlog_schema *s;
    flowlog_error_info why;
    int rc = flowlog_schema_compile_ex(&s, dflt ? NULL : fmt, dflt ? 0 : strlen(fmt),
                                       dflt ? FLOWLOG_SYNTAX_DEFAULT : FLOWLOG_SYNTAX_AUTO, NULL, &why);
    if (rc == FLOWLOG_E_NOMEM)
        return cli_out_of_memory("schema");
    if (rc < 0) {
        char safe[512];
        fprintf(stderr, "flowlog schema: %s\n", cli_printable(why.message, safe, sizeof safe));
        return 2;
    }
    if (athena) {
        print_athena(s, table, location, partitions, parquet);
    } else if (duckdb) {
        print_duckdb(s, table, location);
    } else {
        size_t n = flowlog_schema_column_count(s);
        if (json)
            printf("{\"version\":%d,\"transit_gateway\":%s,\"columns\":[", flowlog_schema_version(s),
                   flowlog_schema_is_transit_gateway(s) ? "true" : "false");
        else
            printf("%-6s %-28s %-7s %-8s %s\n", "column", "field", "version", "type", "athena");
        for (size_t c = 0; c < n; c++) {
            uint32_t f = flowlog_schema_column_field(s, c);
            const char *name = flowlog_schema_field_name(s, f);
            int v = flowlog_field_version(f);
            char col[128], ver[12] = "-";
            athena_name(name, col, sizeof col);
            if (v > 0)
                snprintf(ver, sizeof ver, "%d", v);
            if (json) {
                printf("%s{\"name\":", c ? "," : "");
                json_string(stdout, name, strlen(name));
                printf(",\"version\":%s,\"type\":\"%s\",\"athena\":", v > 0 ? ver : "null",
                       type_word(flowlog_schema_field_type(s, f)));
                json_string(stdout, col, strlen(col));
                printf(",\"known\":%s}", v > 0 ? "true" : "false");
            } else {
                char safe[2][128];
                printf("%-6zu %-28s %-7s %-8s %s%s\n", c + 1, cli_printable(name, safe[0], sizeof safe[0]), ver,
                       type_word(flowlog_schema_field_type(s, f)), cli_printable(col, safe[1], sizeof safe[1]),
                       v > 0 ? "" : "  (not an AWS field: read as text)");
            }
        }
        if (json)
            printf("]}\n");
        else
            printf("%zu columns; records of this format carry version %d%s\n", n, flowlog_schema_version(s),
                   flowlog_schema_is_transit_gateway(s) ? " (a transit gateway's flow logs)" : "");
    }
    flowlog_schema_free(s);
    return 0;
}
