#include "cli.h"

#include <flowlog/query.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: flowlog query [--json | --ndjson | --csv | --chart] [--since T] [--until T] [--fail-when EXPR]\n"
          "                     [--max-memory SIZE] [--temp-dir DIR | --no-spill] [--max-groups N]\n"
          "                     [input options] 'QUERY' [PATH...]\n"
          "Run a CloudWatch Logs Insights query over flow logs, e.g.\n"
          "  flowlog query 'filter action=\"REJECT\" | stats count(*) as n by dstPort | sort n desc | limit 10' logs/\n"
          "Output is an aligned table unless a format is chosen.\n"
          "  --json           one JSON array of objects\n"
          "  --ndjson         one JSON object per line\n"
          "  --csv            RFC 4180 CSV with a header row\n"
          "  --chart          for a query grouped by bin(): a text chart of each series\n"
          "  --max-memory SIZE  memory for groups, distinct values and rows to sort (default half\n"
          "                   of the machine's memory; K, M or G): past it, grouping and sorting\n"
          "                   go on in temporary files, with the same answer\n"
          "  --temp-dir DIR   where those files go (default $TMPDIR, else /tmp); they are removed\n"
          "                   as soon as made, so none is left behind\n"
          "  --no-spill       no temporary files: a query that needs more than --max-memory stops\n"
          "                   with an error, exactly, never with a partial answer\n"
          "  --max-groups N   most groups, distinct values or rows to sort (default: no count, the\n"
          "                   memory bounds them)\n"
          "  --max-query-length N  longest query text in bytes (default 65536)\n"
          "  --max-nesting N  deepest nesting of parentheses and operators (default 64)\n"
          "  --follow         run the query again every --interval seconds (default 60) over what\n"
          "                   the paths hold then (a growing file, a directory where new objects\n"
          "                   land), each result under a '# TIME' line; --count N stops after N.\n"
          "                   Rows that stream (no stats or sort) come only from what was added\n"
          "                   since, like tail -f (a file replaced or cut shorter is read anew);\n"
          "                   a stats or sort result is over everything, given whole each time\n"
          "  --fail-when EXPR exit 4 when a result row satisfies EXPR, an expression over the\n"
          "                   result's columns: --fail-when 'n > 100' (for cron and CI)\n"
          "  --format FMT, --max-line N, --max-fields N, --max-envelope SIZE, --stop-on-error, --stats,\n"
          "  --progress, --no-mmap, --since T, --until T, --input-format F, --threads N: as for flowlog parse\n"
          "A value the query reads that does not convert (a packets of -1, an action of REJECTED), and\n"
          "a line a regular expression would need too much work on, are error lines: named, counted.\n"
          "Exit status: 0 done; 1 some input lines were bad; 2 usage, query or limit error; 3 an input\n"
          "could not be read to its end, memory ran out, or the output could not be written; 4 the\n"
          "--fail-when alarm held (2 and 3 come before 4, 4 before 1).\n",
          f);
}

typedef enum out_form { OUT_TABLE, OUT_JSON, OUT_NDJSON, OUT_CSV, OUT_CHART } out_form;

/* Formatted rows waiting to be printed (table and chart need all widths). */
typedef struct sink {
    flowlog_query *q;
    out_form form;
    size_t ncols;
    char **cells;         /* rows x ncols, each malloc'ed */
    flowlog_value *nums;  /* chart: the value column of each row */
    int64_t *times;       /* chart: the bin of each row */
    size_t nrows, cap;
    size_t *width;
    bool header_done, any_json_row;
    bool value_not_numeric;  /* chart: the last column holds text */
    int error;            /* a query error met while feeding */
    cli_follow *follow;   /* --follow of streaming rows: rows earlier runs gave are not given again */
    const flowlog_reader *reader;
} sink;

static char *format_value(const flowlog_value *v)
{
    char buf[64];
    switch (v->type) {
    case FLOWLOG_VALUE_INT:
        snprintf(buf, sizeof buf, "%" PRId64, v->i);
        break;
    case FLOWLOG_VALUE_FLOAT:
        snprintf(buf, sizeof buf, "%.15g", v->f);
        break;
    case FLOWLOG_VALUE_TIME: {
        time_t t = (time_t)v->i;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S.000", &tm);
        break;
    }
    case FLOWLOG_VALUE_STRING: {
        /* Log text reaches a terminal here: control bytes (escape
         * sequences, NUL) are shown as \xHH, never sent raw. */
        char *s = malloc(v->len * 4 + 1);
        if (!s) {
            exit(cli_out_of_memory("query"));
        }
        cli_escape(v->s, v->len, s, v->len * 4 + 1, false);
        return s;
    }
    default:
        buf[0] = '\0';
        break;
    }
    char *s = strdup(buf);
    if (!s) {
        exit(cli_out_of_memory("query"));
    }
    return s;
}

/* The decimal digits of v at the end of buf (24 bytes): where they start.
 * A row of millions of groups is mostly numbers, which printf formats
 * slowly. */
static char *int_text(int64_t v, char *end)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *p = end;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

/* v as text in a buffer of this file's own, valid until the next call,
 * and its length: rows that stream out need no memory of their own per
 * cell. */
static const char *cell_text(const flowlog_value *v, size_t *len)
{
    static char *cell;
    static size_t cap;
    size_t need = v->type == FLOWLOG_VALUE_STRING ? v->len * 4 + 1 : 64;
    if (need > cap) {
        char *grown = realloc(cell, need);
        if (!grown)
            exit(cli_out_of_memory("query"));
        cell = grown;
        cap = need;
    }
    if (v->type == FLOWLOG_VALUE_STRING) {
        *len = cli_escape(v->s, v->len, cell, cap, false);
        return cell;
    }
    if (v->type == FLOWLOG_VALUE_INT) {
        const char *p = int_text(v->i, cell + 24);
        *len = (size_t)(cell + 24 - p);
        return p;
    }
    char *s = format_value(v);
    snprintf(cell, cap, "%s", s);
    free(s);
    *len = strlen(cell);
    return cell;
}

static void json_value(const flowlog_value *v)
{
    switch (v->type) {
    case FLOWLOG_VALUE_INT:
        printf("%" PRId64, v->i);
        return;
    case FLOWLOG_VALUE_FLOAT:
        if (isfinite(v->f))
            printf("%.17g", v->f);
        else
            fputs("null", stdout); /* JSON has no infinity or NaN */
        return;
    case FLOWLOG_VALUE_STRING:
        json_string(stdout, v->s, v->len);
        return;
    case FLOWLOG_VALUE_TIME: {
        char *s = format_value(v);
        json_string(stdout, s, strlen(s));
        free(s);
        return;
    }
    default:
        fputs("null", stdout);
    }
}

static void csv_field(const char *s, size_t len)
{
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fwrite(s, 1, len, stdout);
        return;
    }
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            putchar('"');
        putchar(s[i]);
    }
    putchar('"');
}

/* Whether text goes into a CSV row as it is: printable ASCII, nothing to
 * quote (an address, an ENI id, a word). */
static bool csv_plain(const char *s, size_t len)
{
    static bool ready, plain[256];
    if (!ready) {
        for (int b = 0x20; b < 0x7f; b++)
            plain[b] = b != ',' && b != '"';
        ready = true;
    }
    unsigned all = 1;
    for (size_t i = 0; i < len; i++)
        all &= plain[(unsigned char)s[i]];
    return all;
}

/* A row of CSV: whole numbers and plain text are put together in a buffer
 * and written at once (millions of groups make millions of rows); any
 * other cell is escaped and quoted on its own, after what came before it. */
static void csv_row(sink *k)
{
    char buf[4096];
    size_t n = 0;
    for (size_t c = 0; c < k->ncols; c++) {
        flowlog_value v;
        (void)flowlog_query_cell(k->q, c, &v);
        if (n + 32 > sizeof buf) {
            fwrite(buf, 1, n, stdout);
            n = 0;
        }
        if (c)
            buf[n++] = ',';
        if (v.type == FLOWLOG_VALUE_INT) {
            char digits[24];
            const char *p = int_text(v.i, digits + sizeof digits);
            size_t len = (size_t)(digits + sizeof digits - p);
            memcpy(buf + n, p, len);
            n += len;
            continue;
        }
        if (v.type == FLOWLOG_VALUE_STRING && v.len <= sizeof buf - 1 - n && csv_plain(v.s, v.len)) {
            memcpy(buf + n, v.s, v.len);
            n += v.len;
            continue;
        }
        fwrite(buf, 1, n, stdout);
        n = 0;
        size_t len;
        const char *s = cell_text(&v, &len);
        csv_field(s, len);
    }
    buf[n++] = '\n';
    fwrite(buf, 1, n, stdout);
}

static void print_table(sink *k)
{
    for (size_t c = 0; c < k->ncols; c++) {
        size_t w = strlen(flowlog_query_column_name(k->q, c));
        if (w > k->width[c])
            k->width[c] = w;
        for (size_t r = 0; r < k->nrows; r++) {
            size_t cw = strlen(k->cells[r * k->ncols + c]);
            if (cw > k->width[c])
                k->width[c] = cw;
        }
    }
    if (!k->header_done) {
        fputs(cli_paint("head"), stdout);
        for (size_t c = 0; c < k->ncols; c++)
            printf("%s%-*s", c ? "  " : "", c + 1 < k->ncols ? (int)k->width[c] : 0, flowlog_query_column_name(k->q, c));
        fputs(cli_paint("end"), stdout);
        putchar('\n');
        for (size_t c = 0; c < k->ncols; c++) {
            printf("%s", c ? "  " : "");
            for (size_t i = 0; i < k->width[c]; i++)
                putchar('-');
        }
        putchar('\n');
        k->header_done = true;
    }
    for (size_t r = 0; r < k->nrows; r++) {
        for (size_t c = 0; c < k->ncols; c++)
            printf("%s%-*s", c ? "  " : "", c + 1 < k->ncols ? (int)k->width[c] : 0, k->cells[r * k->ncols + c]);
        putchar('\n');
    }
}

static void drop_rows(sink *k)
{
    for (size_t i = 0; i < k->nrows * k->ncols; i++)
        free(k->cells[i]);
    k->nrows = 0;
}

static void print_csv_header(sink *k)
{
    for (size_t c = 0; c < k->ncols; c++) {
        const char *name = flowlog_query_column_name(k->q, c);
        if (c)
            putchar(',');
        csv_field(name, strlen(name));
    }
    putchar('\n');
    k->header_done = true;
}

/* The current row of the query, printed or kept. */
static void take_row(sink *k)
{
    flowlog_value v;
    switch (k->form) {
    case OUT_JSON:
    case OUT_NDJSON:
        if (k->form == OUT_JSON)
            fputs(k->any_json_row ? ",\n" : "[\n", stdout);
        k->any_json_row = true;
        putchar('{');
        for (size_t c = 0; c < k->ncols; c++) {
            const char *name = flowlog_query_column_name(k->q, c);
            (void)flowlog_query_cell(k->q, c, &v);
            if (c)
                putchar(',');
            json_string(stdout, name, strlen(name));
            putchar(':');
            json_value(&v);
        }
        putchar('}');
        if (k->form == OUT_NDJSON)
            putchar('\n');
        return;
    case OUT_CSV:
        if (!k->header_done)
            print_csv_header(k);
        csv_row(k);
        return;
    default:
        break;
    }
    if (k->nrows == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 1024;
        k->cells = realloc(k->cells, k->cap * k->ncols * sizeof *k->cells);
        k->nums = realloc(k->nums, k->cap * sizeof *k->nums);
        k->times = realloc(k->times, k->cap * sizeof *k->times);
        if (!k->cells || !k->nums || !k->times) {
            exit(cli_out_of_memory("query"));
        }
    }
    k->times[k->nrows] = 0;
    for (size_t c = 0; c < k->ncols; c++) {
        (void)flowlog_query_cell(k->q, c, &v);
        k->cells[k->nrows * k->ncols + c] = format_value(&v);
        if (flowlog_query_column_is_bin(k->q, c))
            k->times[k->nrows] = v.i;
    }
    /* The chart plots the last column; a null there is drawn as 0. */
    if (k->ncols)
        (void)flowlog_query_cell(k->q, k->ncols - 1, &v);
    if (!k->ncols || v.type == FLOWLOG_VALUE_NULL) {
        v.type = FLOWLOG_VALUE_INT;
        v.i = 0;
    } else if (v.type != FLOWLOG_VALUE_INT && v.type != FLOWLOG_VALUE_FLOAT) {
        k->value_not_numeric = true;
    }
    k->nums[k->nrows] = v;
    k->nrows++;
    /* A table prints in pages so memory stays flat: a streaming one's
     * columns are as wide as its first thousand rows need; a deferred
     * result's, as wide as its first hundred thousand (past that, rows
     * that come from temporary files may be more than memory holds). */
    if (k->form == OUT_TABLE && k->nrows == (flowlog_query_is_deferred(k->q) ? 100000u : 1000u)) {
        print_table(k);
        drop_rows(k);
    }
}

static int chart(sink *k)
{
    size_t bin = k->ncols, value = k->ncols;
    for (size_t c = 0; c < k->ncols; c++)
        if (flowlog_query_column_is_bin(k->q, c))
            bin = c;
    if (bin == k->ncols) {
        fputs("flowlog query: --chart needs a query grouped by bin(), e.g. 'stats count(*) by bin(5m)'\n", stderr);
        return 2;
    }
    value = k->ncols - 1; /* the last column is the plotted aggregate */
    if (value == bin || k->value_not_numeric) {
        fputs("flowlog query: --chart plots the last column, which must be a number such as count(*)\n", stderr);
        return 2;
    }
    /* Series: the rows sharing the other key columns, in first-seen order. */
    bool *done = calloc(k->nrows ? k->nrows : 1, sizeof *done);
    size_t *order = malloc((k->nrows ? k->nrows : 1) * sizeof *order);
    if (!done || !order) {
        exit(cli_out_of_memory("query"));
    }
    double top = 0;
    for (size_t r = 0; r < k->nrows; r++) {
        double x = k->nums[r].type == FLOWLOG_VALUE_FLOAT ? k->nums[r].f : (double)k->nums[r].i;
        if (x > top)
            top = x;
    }
    printf("%s by %s\n", flowlog_query_column_name(k->q, value), flowlog_query_column_name(k->q, bin));
    for (size_t r = 0; r < k->nrows; r++) {
        if (done[r])
            continue;
        size_t n = 0;
        for (size_t s = r; s < k->nrows; s++) {
            bool same = !done[s];
            for (size_t c = 0; c < k->ncols && same; c++)
                if (c != bin && c != value)
                    same = strcmp(k->cells[r * k->ncols + c], k->cells[s * k->ncols + c]) == 0;
            if (same) {
                done[s] = true;
                order[n++] = s;
            }
        }
        /* Oldest bin first. */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && k->times[order[j - 1]] > k->times[order[j]]; j--) {
                size_t t = order[j];
                order[j] = order[j - 1];
                order[j - 1] = t;
            }
        bool labelled = false;
        for (size_t c = 0; c < k->ncols; c++)
            if (c != bin && c != value) {
                printf("%s%s=%s", labelled ? " " : "\n", flowlog_query_column_name(k->q, c), k->cells[r * k->ncols + c]);
                labelled = true;
            }
        if (labelled)
            putchar('\n');
        for (size_t i = 0; i < n; i++) {
            size_t s = order[i];
            double x = k->nums[s].type == FLOWLOG_VALUE_FLOAT ? k->nums[s].f : (double)k->nums[s].i;
            int bar = top > 0 ? (int)(x / top * 50 + 0.5) : 0;
            printf("%s |", k->cells[s * k->ncols + bin]);
            for (int b = 0; b < bar; b++)
                fputs("\xe2\x96\x88", stdout); /* U+2588 FULL BLOCK */
            printf(" %s\n", k->cells[s * k->ncols + value]);
        }
    }
    free(done);
    free(order);
    return 0;
}

/* Each result row: printed, or kept for a table or chart. Output nobody can
 * take (a closed pipe, a full disk) ends the run: main() reports it. */
static int row(void *ctx, const flowlog_query *q)
{
    (void)q;
    sink *k = ctx;
    if (k->follow && cli_follow_seen(k->follow, k->reader))
        return 0;
    take_row(k);
    return ferror(stdout) ? 1 : 0;
}

static void show_compile_error(const char *what, const char *text, const flowlog_query *q)
{
    size_t off = flowlog_query_error_offset(q), len = strlen(text);
    const char *msg = flowlog_query_error_message(q);
    fprintf(stderr, "flowlog query: %s%s%s\n", what, msg,
            strstr(msg, "the query is longer than") ? " (--max-query-length)"
            : strstr(msg, "nests deeper than")      ? " (--max-nesting)"
                                                    : "");
    if (len <= 200 && !strchr(text, '\n')) {
        fprintf(stderr, "  %s\n  %*s^\n", text, (int)(off > len ? len : off), "");
    } else {
        fprintf(stderr, "  at byte %zu\n", off);
    }
}

/* What the command line asked, for one run of the query. */
typedef struct query_opts {
    const char *text, *fail_when;
    const char *temp_dir; /* NULL: no spilling */
    out_form form;
    long long max_groups, max_length, max_nesting, max_memory;
    bool follow;
} query_opts;

/* Compile, read every input, print the result: one run. With `follow`, a
 * query whose rows stream gives only rows earlier runs did not. */
static int query_once(const query_opts *o, cli_input in, char **paths, int npaths, cli_follow *follow)
{
    const char *text = o->text, *fail_when = o->fail_when;
    out_form form = o->form;
    long long max_groups = o->max_groups, max_length = o->max_length, max_nesting = o->max_nesting,
              max_memory = o->max_memory;
    flowlog_query *q;
    if (flowlog_query_new(&q, NULL) != FLOWLOG_OK)
        return cli_out_of_memory("query");
    /* Memory, not a count, bounds a query: half the machine's unless told */
    if (!max_memory) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        max_memory = pages > 0 && size > 0 ? (long long)pages * size / 2 : 1LL << 30;
        if (max_memory < 1LL << 20)
            max_memory = 1LL << 20;
    }
    if (!max_groups)
        max_groups = 1LL << 40;
    if (flowlog_query_set(q, FLOWLOG_QOPT_MAX_MEMORY, max_memory) != FLOWLOG_OK ||
        (max_groups && flowlog_query_set(q, FLOWLOG_QOPT_MAX_GROUPS, max_groups) != FLOWLOG_OK) ||
        (max_length && flowlog_query_set(q, FLOWLOG_QOPT_MAX_LENGTH, max_length) != FLOWLOG_OK) ||
        (max_nesting && flowlog_query_set(q, FLOWLOG_QOPT_MAX_DEPTH, max_nesting) != FLOWLOG_OK)) {
        fputs("flowlog query: --max-memory, --max-groups, --max-query-length or --max-nesting is out of range\n", stderr);
        flowlog_query_free(q);
        return 2;
    }
    if (o->temp_dir && flowlog_query_set_spill_dir(q, o->temp_dir) != FLOWLOG_OK) {
        flowlog_query_free(q);
        return cli_out_of_memory("query");
    }
    int compiled = flowlog_query_compile(q, text, strlen(text));
    if (compiled != FLOWLOG_OK) {
        if (compiled == FLOWLOG_E_NOMEM)
            cli_out_of_memory("query");
        else
            show_compile_error("", text, q);
        flowlog_query_free(q);
        return compiled == FLOWLOG_E_NOMEM ? 3 : 2;
    }
    if (fail_when) {
        int set = flowlog_query_set_alarm(q, fail_when, strlen(fail_when));
        if (set < 0) {
            if (set == FLOWLOG_E_NOMEM)
                cli_out_of_memory("query");
            else
                show_compile_error("--fail-when: ", fail_when, q);
            flowlog_query_free(q);
            return set == FLOWLOG_E_NOMEM ? 3 : 2;
        }
    }
    in.streams = !flowlog_query_is_deferred(q);
    if (!in.streams)
        follow = NULL; /* a result over everything: given whole each time */
    if (follow)
        cli_follow_check(follow);
    in.follow = follow;
    int status = cli_input_open(&in, paths, npaths);
    if (status) {
        cli_input_close(&in);
        flowlog_query_free(q);
        return status;
    }
    /* Regular files are read where they lie: the reader's scan passes over
     * the records the filters cannot accept, and finds the fields of the
     * rest, faster than a second thread could copy them. */
    cli_input_map(&in);
    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    sink k = {0};
    k.q = q;
    k.form = form;
    k.ncols = flowlog_query_column_count(q);
    k.width = calloc(k.ncols ? k.ncols : 1, sizeof *k.width);
    if (!k.width)
        return cli_out_of_memory("query");
    k.follow = follow;
    k.reader = in.reader;
    int rc = flowlog_query_run(q, in.reader, row, &k);
    if (follow && cli_follow_update(follow, in.reader) < 0) {
        cli_out_of_memory("query");
        k.error = FLOWLOG_E_NOMEM;
    }
    cli_progress_clear();
    if (rc < 0) {
        const char *msg = flowlog_query_error_message(q);
        fprintf(stderr, "flowlog query: %s%s\n", *msg ? msg : flowlog_strerror(rc),
                rc == FLOWLOG_E_LIMIT && strstr(msg, "limit on groups")   ? " (--max-groups)"
                : rc == FLOWLOG_E_LIMIT && strstr(msg, "memory limit") ? " (--max-memory)"
                : rc == FLOWLOG_E_IO                                   ? " (--temp-dir)"
                                                                       : "");
        k.error = rc;
    }
    status = in.status;
    if (!k.error) {
        if (form == OUT_TABLE && (k.nrows || !k.header_done))
            print_table(&k);
        else if (form == OUT_CHART && chart(&k))
            k.error = 1;
        if (form == OUT_JSON)
            fputs(k.any_json_row ? "\n]\n" : "[]\n", stdout);
        if (form == OUT_CSV && !k.header_done)
            print_csv_header(&k); /* an empty result is still a table of these columns */
    }
    fflush(stdout);
    status = cli_input_status(&in, status);
    if (in.stats && flowlog_query_spilled(q))
        fprintf(stderr, "spilled %llu bytes to temporary files in %s\n", (unsigned long long)flowlog_query_spilled(q),
                o->temp_dir);
    bool alarm = flowlog_query_alarm(q) == 1;
    flowlog_query_free(q);
    drop_rows(&k);
    free(k.cells);
    free(k.nums);
    free(k.times);
    free(k.width);
    cli_input_close(&in);
    /* out of memory is an I/O error of the machine's (3); a limit reached
     * is one the user can raise (2, with the option named) */
    if (k.error)
        return k.error == FLOWLOG_E_NOMEM || k.error == FLOWLOG_E_IO ? 3 : 2;
    /* the alarm is what cron waits for; an input not read whole or a
     * usage error says more, an error line less */
    return status >= 2 ? status : alarm ? 4 : status;
}


int cmd_query(int argc, char **argv)
{
    cli_input in = {0};
    in.time_window = true; /* --since, --until: the reader's window */
    char **paths = argv + 1;
    int npaths = 0;
    const char *text = NULL, *fail_when = NULL;
    out_form form = OUT_TABLE;
    long long max_groups = 0, max_length = 0, max_nesting = 0, max_memory = 0, interval = 60, count = 0;
    bool follow = false;
    const char *temp_dir = getenv("TMPDIR");
    if (!temp_dir || !*temp_dir)
        temp_dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        int taken = cli_input_option(&in, argc, argv, &i);
        if (taken < 0)
            return 2;
        if (taken)
            continue;
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            form = OUT_JSON;
        } else if (strcmp(a, "--ndjson") == 0) {
            form = OUT_NDJSON;
        } else if (strcmp(a, "--csv") == 0) {
            form = OUT_CSV;
        } else if (strcmp(a, "--chart") == 0) {
            form = OUT_CHART;
        } else if (strcmp(a, "--max-query-length") == 0 || strcmp(a, "--max-nesting") == 0) {
            bool length = strcmp(a, "--max-query-length") == 0;
            long long v = 0;
            /* the library's own bounds */
            if (i + 1 >= argc || !cli_parse_number(argv[i + 1], length ? 16 : 4, length ? 1LL << 24 : 1024, &v)) {
                fprintf(stderr, "flowlog query: %s takes a whole number from %s\n", a,
                        length ? "16 to 16777216" : "4 to 1024");
                return 2;
            }
            *(length ? &max_length : &max_nesting) = v;
            i++;
        } else if (strcmp(a, "--follow") == 0) {
            follow = true;
        } else if (strcmp(a, "--interval") == 0 || strcmp(a, "--count") == 0) {
            bool is_interval = strcmp(a, "--interval") == 0;
            long long v;
            if (i + 1 >= argc || !cli_parse_number(argv[i + 1], 1, is_interval ? 86400 : 1LL << 40, &v)) {
                fprintf(stderr, "flowlog query: %s takes a whole number%s\n", a, is_interval ? " of seconds, 1 to 86400" : " from 1");
                return 2;
            }
            *(is_interval ? &interval : &count) = v;
            i++;
        } else if (strcmp(a, "--fail-when") == 0) {
            if (i + 1 >= argc) {
                fputs("flowlog query: --fail-when needs an expression over the result's columns, e.g. 'n > 100'\n", stderr);
                return 2;
            }
            fail_when = argv[++i];
        } else if (strcmp(a, "--max-memory") == 0) {
            if (i + 1 >= argc || !cli_parse_size(argv[i + 1], 1LL << 20, 1LL << 50, &max_memory)) {
                fputs("flowlog query: --max-memory takes a size from 1M (bytes, or with K, M or G)\n", stderr);
                return 2;
            }
            i++;
        } else if (strcmp(a, "--temp-dir") == 0) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fputs("flowlog query: --temp-dir needs a directory\n", stderr);
                return 2;
            }
            temp_dir = argv[++i];
        } else if (strcmp(a, "--no-spill") == 0) {
            temp_dir = NULL;
        } else if (strcmp(a, "--max-groups") == 0) {
            long long v = 0;
            if (i + 1 >= argc || !cli_parse_number(argv[i + 1], 1, 1LL << 40, &v)) {
                fputs("flowlog query: --max-groups takes a whole number from 1 to 1099511627776\n", stderr);
                return 2;
            }
            max_groups = v;
            i++;
        } else if (!text && a[0] != '-') {
            text = a;
        } else {
            int st = cli_other_arg("query", a, paths, &npaths, usage);
            if (st >= 0)
                return st;
        }
    }
    if (!text) {
        usage(stderr);
        return 2;
    }
    if (!follow && (count || interval != 60)) {
        fputs("flowlog query: --interval and --count go with --follow\n", stderr);
        return 2;
    }
    query_opts o = {text, fail_when, temp_dir, form, max_groups, max_length, max_nesting, max_memory, follow};
    if (!follow)
        return query_once(&o, in, paths, npaths, NULL);
    cli_follow *seen = cli_follow_new();
    if (!seen)
        return cli_out_of_memory("query");
    /* --follow: the query again over what the paths hold now, every
     * --interval, each result under the time it was taken */
    int worst = 0;
    for (long long n = 0; !count || n < count; n++) {
        if (n)
            sleep((unsigned)interval);
        char when[32];
        cli_time_text((uint64_t)time(NULL), when, sizeof when);
        printf("# %s\n", when);
        fflush(stdout);
        int st = query_once(&o, in, paths, npaths, seen);
        fflush(stdout);
        if (st == 2 || st == 3) {
            cli_follow_free(seen);
            return st;
        }
        worst = st == 4 || worst == 4 ? 4 : st > worst ? st : worst;
    }
    cli_follow_free(seen);
    return worst;
}

