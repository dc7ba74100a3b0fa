#include "cli.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
        return true;
    }
    if (strcmp(argv[*i], name) == 0) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "flowlog: %s needs a value\n", name);
            *value = NULL;
            return true;
        }
        *value = argv[++*i];
        return true;
    }
    return false;
}

/* Large plain files are mapped, not copied, which is faster; a mapped file
 * that shrinks while it is read raises SIGBUS, and this says so and stops
 * rather than crash. */
static const flowlog_reader *mapped_reader;

static void on_sigbus(int sig)
{
    (void)sig;
    static const char head[] = "flowlog: ", tail[] =
        ": the file became shorter while it was being read (truncated or rewritten); stopping\n";
    const char *path = mapped_reader ? flowlog_reader_path(mapped_reader) : "an input";
    ssize_t ignored = write(2, head, sizeof head - 1);
    ignored = write(2, path, strlen(path));
    ignored = write(2, tail, sizeof tail - 1);
    (void)ignored;
    _exit(3); /* an input not read to its end */
}

static bool watch_for_shrinking_files(const flowlog_reader *r)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGBUS, &sa, NULL) != 0)
        return false;
    mapped_reader = r;
    return true;
}

int cli_input_option(cli_input *in, int argc, char **argv, int *i)
{
    const char *v;
    if (take_value(argc, argv, i, "--format", &v)) {
        if (!v)
            return -1;
        in->format = v;
        return 1;
    }
    if (take_value(argc, argv, i, "--max-line", &v)) {
        if (!v)
            return -1;
        /* the reader's own bounds, refused here rather than dropped there */
        if (!cli_parse_number(v, 16, 1LL << 30, &in->max_line)) {
            fprintf(stderr, "flowlog: --max-line takes a number of bytes from 16 to 1073741824 (1 GiB)\n");
            return -1;
        }
        return 1;
    }
    if (take_value(argc, argv, i, "--max-fields", &v)) {
        if (!v)
            return -1;
        if (!cli_parse_number(v, 1, FLOWLOG_MAX_COLUMNS, &in->max_fields)) {
            fprintf(stderr, "flowlog: --max-fields takes a number from 1 to %d\n", FLOWLOG_MAX_COLUMNS);
            return -1;
        }
        return 1;
    }
    if (take_value(argc, argv, i, "--threads", &v)) {
        if (!v)
            return -1;
        if (!cli_parse_number(v, 1, 256, &in->threads)) {
            fprintf(stderr, "flowlog: --threads takes a number from 1 to 256\n");
            return -1;
        }
        return 1;
    }
    if (take_value(argc, argv, i, "--max-envelope", &v)) {
        if (!v)
            return -1;
        if (!cli_parse_size(v, 1024, 1LL << 32, &in->max_envelope)) {
            fprintf(stderr, "flowlog: --max-envelope takes a size from 1K to 4G (bytes, or with K, M or G)\n");
            return -1;
        }
        return 1;
    }
    if (in->time_window && (strcmp(argv[*i], "--since") == 0 || strcmp(argv[*i], "--until") == 0)) {
        bool since = strcmp(argv[*i], "--since") == 0;
        if (!take_value(argc, argv, i, since ? "--since" : "--until", &v) || !v)
            return -1;
        if (!cli_parse_time(v, since ? &in->since : &in->until)) {
            fprintf(stderr, "flowlog: %s '%s' is not a time: give ISO 8601 with an offset (2024-01-02T12:00:00Z), Unix "
                            "seconds, or a time before now (15m, 2h, 7d)\n", since ? "--since" : "--until", v);
            return -1;
        }
        if (in->since && in->until && in->since > in->until) {
            fprintf(stderr, "flowlog: --since is after --until\n");
            return -1;
        }
        return 1;
    }
    if (take_value(argc, argv, i, "--input-format", &v)) {
        static const struct {
            const char *name;
            int format;
        } forms[] = {{"auto", FLOWLOG_INPUT_AUTO}, {"text", FLOWLOG_INPUT_TEXT}, {"s3", FLOWLOG_INPUT_TEXT},
                     {"json", FLOWLOG_INPUT_JSON}, {"cloudwatch", FLOWLOG_INPUT_JSON}, {"csv", FLOWLOG_INPUT_CSV}};
        for (size_t k = 0; v && k < sizeof forms / sizeof forms[0]; k++)
            if (!strcmp(v, forms[k].name)) {
                in->input_format = forms[k].format;
                return 1;
            }
        fprintf(stderr, "flowlog: --input-format takes auto, text (or s3), json (or cloudwatch) or csv\n");
        return -1;
    }
    if (strcmp(argv[*i], "--no-mmap") == 0) {
        in->no_mmap = true;
        return 1;
    }
    if (strcmp(argv[*i], "--stop-on-error") == 0) {
        in->stop_on_error = true;
        return 1;
    }
    if (strcmp(argv[*i], "--stats") == 0) {
        in->stats = true;
        return 1;
    }
    if (strcmp(argv[*i], "--progress") == 0) {
        in->progress = true;
        return 1;
    }
    return 0;
}

/* Every bad line, input and rejected record, as the reader meets it: named
 * on stderr, and the exit status it calls for kept (1, or 3 when memory
 * ran out). */
static void on_error(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    cli_input *in = ctx;
    char where[512], why[512];
    if (in->follow && in->reader && cli_follow_seen(in->follow, in->reader)) {
        in->status = status == FLOWLOG_E_NOMEM || in->status == 3 ? 3 : 1;
        return;
    }
    cli_progress_clear();
    fflush(stdout);
    cli_printable(path, where, sizeof where);
    cli_printable(message, why, sizeof why);
    if (line)
        fprintf(stderr, "%s:%llu: %s\n", where, (unsigned long long)line, why);
    else
        fprintf(stderr, "%s: %s\n", where, why);
    in->status = status == FLOWLOG_E_NOMEM || in->status == 3 ? 3 : 1;
}

int cli_input_open(cli_input *in, char **paths, int npaths)
{
    int rc;
    if (in->format) {
        flowlog_error_info why;
        rc = flowlog_schema_compile_ex(&in->schema, in->format, strlen(in->format), FLOWLOG_SYNTAX_AUTO, NULL, &why);
        if (rc == FLOWLOG_E_NOMEM)
            return cli_out_of_memory("flowlog");
        if (rc < 0) {
            fprintf(stderr, "flowlog: --format: %s\n", why.message);
            return 2;
        }
    }
    rc = flowlog_reader_new(&in->reader, in->schema, NULL);
    if (rc < 0) {
        fprintf(stderr, "flowlog: %s\n", flowlog_strerror(rc));
        return rc == FLOWLOG_E_NOMEM ? 3 : 2;
    }
    if ((in->max_line && flowlog_reader_set(in->reader, FLOWLOG_OPT_MAX_LINE, in->max_line) != FLOWLOG_OK) ||
        (in->max_fields && flowlog_reader_set(in->reader, FLOWLOG_OPT_MAX_FIELDS, in->max_fields) != FLOWLOG_OK) ||
        (in->max_envelope &&
         flowlog_reader_set(in->reader, FLOWLOG_OPT_MAX_ENVELOPE, in->max_envelope) != FLOWLOG_OK) ||
        (in->input_format && flowlog_reader_set(in->reader, FLOWLOG_OPT_INPUT_FORMAT, in->input_format) != FLOWLOG_OK) ||
        (in->since && flowlog_reader_set(in->reader, FLOWLOG_OPT_SINCE, (int64_t)in->since) != FLOWLOG_OK) ||
        (in->until && flowlog_reader_set(in->reader, FLOWLOG_OPT_UNTIL, (int64_t)in->until) != FLOWLOG_OK) ||
        /* --threads 1: everything on this thread */
        (in->threads && flowlog_reader_set(in->reader, FLOWLOG_OPT_THREADS, in->threads == 1 ? 0 : in->threads) !=
                            FLOWLOG_OK)) {
        fprintf(stderr, "flowlog: the reader refused --max-line, --max-fields, --max-envelope, --since, --until or --threads\n");
        return 2;
    }
    (void)flowlog_reader_set_error_handler(in->reader, on_error, in);
    if (in->stop_on_error)
        (void)flowlog_reader_set(in->reader, FLOWLOG_OPT_ON_ERROR, FLOWLOG_ON_ERROR_STOP);
    cli_progress_start(in->reader, in->progress, in->streams);
    if (npaths == 0) {
        static char dash[] = "-";
        static char *stdin_only[] = {dash};
        paths = stdin_only;
        npaths = 1;
    }
    for (int i = 0; i < npaths; i++) {
        rc = flowlog_reader_add_path(in->reader, paths[i]);
        if (rc < 0) {
            /* Like a bad input: say so, read the rest; it is listed as failed. */
            fprintf(stderr, "%s\n", flowlog_reader_error_message(in->reader));
            in->status = rc == FLOWLOG_E_NOMEM ? 3 : in->status ? in->status : 1;
        }
    }
    return 0;
}

void cli_input_map(cli_input *in)
{
    if (!in->no_mmap && watch_for_shrinking_files(in->reader))
        (void)flowlog_reader_set(in->reader, FLOWLOG_OPT_MMAP, 1);
}

void cli_input_close(cli_input *in)
{
    cli_progress_clear();
    if (in->reader && in->stats) {
        const flowlog_reader *r = in->reader;
        fprintf(stderr,
                "inputs %llu  bytes %llu  lines %llu  records %llu  headers %llu  blanks %llu  "
                "errors %llu  input-errors %llu  millisecond-times %llu  skipped-files %llu  outside-window %llu\n",
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_INPUTS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_BYTES),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_LINES),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_MILLIS),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_SKIPPED),
                (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_OUTSIDE));
    }
    flowlog_reader_free(in->reader);
    flowlog_schema_free(in->schema);
    in->reader = NULL;
    in->schema = NULL;
}

const char *cli_printable(const char *s, char *buf, size_t size)
{
    cli_escape(s, strlen(s), buf, size, false);
    return buf;
}

int cli_other_arg(const char *cmd, const char *arg, char **paths, int *npaths, void (*usage)(FILE *))
{
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "flowlog %s: unknown option %s\n", cmd, arg);
        usage(stderr);
        return 2;
    }
    paths[(*npaths)++] = (char *)(uintptr_t)arg;
    return -1;
}

int cli_read_all(cli_input *in, cli_record_fn fn, void *ctx)
{
    for (uint64_t n = 1;; n++) {
        flowlog_record *rec;
        int rc = flowlog_reader_next(in->reader, &rec);
        if (rc == FLOWLOG_END)
            break;
        /* Output nobody can take (a closed pipe, a full disk) ends the
         * reading: main() reports it. */
        if (FLOWLOG__CLI_UNLIKELY(n % 1024 == 0) && ferror(stdout))
            break;
        if (rc != FLOWLOG_OK)
            continue; /* reported by the error handler */
        if (fn(ctx, rec, in->reader))
            break;
    }
    return in->status;
}

int cli_input_status(const cli_input *in, int status)
{
    size_t n = flowlog_reader_input_count(in->reader);
    for (size_t i = 0; i < n; i++) {
        int st;
        uint64_t errors;
        if (flowlog_reader_input(in->reader, i, NULL, &st, NULL, &errors, NULL) != FLOWLOG_OK)
            continue;
        if (st == FLOWLOG_INPUT_FAILED)
            return 3;
        if (errors)
            status = status ? status : 1;
    }
    return status;
}

int cli_out_of_memory(const char *cmd)
{
    fprintf(stderr, "flowlog %s: out of memory\n", cmd);
    return 3;
}
