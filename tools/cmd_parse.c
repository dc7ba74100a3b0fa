#include "cli.h"

#include <inttypes.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog parse [--format FMT] [--context] [--stats] [--stop-on-error] [--max-line N] [--max-fields N]\n"
          "                    [--max-envelope SIZE] [--no-mmap] [--since T] [--until T] [PATH...]\n"
          "Print each record as one JSON object (NDJSON). Keys are the AWS field names;\n"
          "integers are numbers, other values strings, '-' is null. Errors go to stderr\n"
          "as PATH:LINE: reason.\n"
          "  --format FMT     the format of lines before any header (${a} ${b} ... or a b ...)\n"
          "  --context        add @file, @line and, for CloudWatch input, @logStream\n"
          "  --stats          print how many lines were records, headers, blanks and errors\n"
          "  --stop-on-error  stop at the first bad line\n"
          "  --max-line N     longest line in bytes (default 65536; at most 1073741824)\n"
          "  --max-fields N   most fields a header line in the input may name (default 256)\n"
          "  --max-envelope SIZE  largest CloudWatch JSON document (default 64M)\n"
          "  --since T, --until T  only records whose start..end overlaps the window (T: ISO 8601\n"
          "                   with an offset, Unix seconds, or before now: 15m, 2h, 7d); those\n"
          "                   outside are counted (--stats outside-window), not printed\n"
          "  --input-format F auto (default: by each input's first line), text (or s3), json (or\n"
          "                   cloudwatch: subscription payloads, aws logs output, NDJSON) or csv\n"
          "  --no-mmap        read large plain files with read() where a command would map\n"
          "                   them (query does when its filters let it skip records; a mapped\n"
          "                   file that is truncated while it is read stops it with status 3)\n"
          "  --threads N      threads a command may read on (default: the processors the process\n"
          "                   may use; 1: one): query's stats, diagnose and the sweep read files\n"
          "                   of 16 MiB or more in parts, with the answer and errors of one thread\n"
          "Exit status: 0 done; 1 some lines were bad; 2 usage error; 3 an input could not be\n"
          "opened or read to its end, memory ran out, or the output could not be written.\n"
          "Examples:\n"
          "  flowlog parse --stats AWSLogs/ > records.ndjson\n"
          "  aws logs filter-log-events --log-group-name vpc-flow-logs | flowlog parse --context -\n",
          f);
}

static void print_record(FILE *out, flowlog_record *rec, const flowlog_reader *r, bool context)
{
    const flowlog_schema *s = flowlog_record_schema(rec);
    size_t n = flowlog_schema_column_count(s);
    putc('{', out);
    for (size_t c = 0; c < n; c++) {
        uint32_t f = flowlog_schema_column_field(s, c);
        const char *name = flowlog_schema_field_name(s, f);
        if (c)
            putc(',', out);
        json_string(out, name, strlen(name));
        putc(':', out);
        flowlog_span sp;
        if (flowlog_record_get_str(rec, f, &sp) == FLOWLOG_ABSENT) {
            fputs("null", out);
            continue;
        }
        int type = flowlog_schema_field_type(s, f);
        uint64_t v;
        if ((type == FLOWLOG_TYPE_UINT || type == FLOWLOG_TYPE_TIME) &&
            flowlog_record_get_u64(rec, f, &v) == FLOWLOG_OK)
            fprintf(out, "%" PRIu64, v);
        else
            json_string(out, sp.ptr, sp.len);
    }
    if (context) {
        const char *path = flowlog_reader_path(r), *stream = flowlog_reader_stream(r);
        fputs(",\"@file\":", out);
        json_string(out, path, strlen(path));
        fprintf(out, ",\"@line\":%" PRIu64, flowlog_reader_line(r));
        if (stream) {
            fputs(",\"@logStream\":", out);
            json_string(out, stream, strlen(stream));
        }
    }
    fputs("}\n", out);
}

static int print_plain(void *ctx, flowlog_record *rec, const flowlog_reader *r)
{
    (void)ctx;
    print_record(stdout, rec, r, false);
    return 0;
}

static int print_with_context(void *ctx, flowlog_record *rec, const flowlog_reader *r)
{
    (void)ctx;
    print_record(stdout, rec, r, true);
    return 0;
}

int cmd_parse(int argc, char **argv)
{
    cli_input in = {0};
    in.time_window = true; /* --since, --until: the reader's window */
    in.streams = true;
    char **paths = argv + 1;
    int npaths = 0;
    bool context = false;
    for (int i = 1; i < argc; i++) {
        int taken = cli_input_option(&in, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        if (strcmp(argv[i], "--context") == 0) {
            context = true;
            continue;
        }
        int st = cli_other_arg("parse", argv[i], paths, &npaths, usage);
        if (st >= 0)
            return st;
    }
    int status = cli_input_open(&in, paths, npaths);
    if (status) {
        cli_input_close(&in);
        return status;
    }
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    status = cli_read_all(&in, context ? print_with_context : print_plain, NULL);
    fflush(stdout);
    status = cli_input_status(&in, status);
    cli_input_close(&in);
    return status;
}
