/* query_run 'QUERY' PATH...: a Logs Insights query over flow log files, rows
 * tab-separated (log text as it is). The simple call reads only what it needs.
 *   cc query_run.c $(pkg-config --cflags --libs flowlog) -o query_run */
#include <flowlog/flowlog.h>
#include <stdio.h>
#include <string.h>

static int print_row(void *out, const flowlog_query *q)
{
    for (size_t i = 0; i < flowlog_query_column_count(q); i++) {
        flowlog_value v;
        (void)flowlog_query_cell(q, i, &v);
        fputs(i ? "\t" : "", out);
        if (v.type == FLOWLOG_VALUE_INT || v.type == FLOWLOG_VALUE_TIME)
            fprintf(out, "%lld", (long long)v.i);
        else if (v.type == FLOWLOG_VALUE_FLOAT)
            fprintf(out, "%g", v.f);
        else if (v.type == FLOWLOG_VALUE_STRING)
            fprintf(out, "%.*s", (int)v.len, v.s);
    }
    return putc('\n', out) == EOF; /* a write that fails stops the run */
}

int main(int argc, char **argv)
{
    flowlog_query *q;
    flowlog_reader *r;
    if (argc < 3 || flowlog_query_new(&q, NULL) || flowlog_reader_new(&r, NULL, NULL))
        return 2;
    if (flowlog_query_compile(q, argv[1], strlen(argv[1])) != FLOWLOG_OK)
        return fprintf(stderr, "%s\n", flowlog_query_error_message(q)), 2;
    for (int i = 2; i < argc; i++)
        if (flowlog_reader_add_path(r, argv[i]) != FLOWLOG_OK)
            fprintf(stderr, "%s\n", flowlog_reader_error_message(r));
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MMAP, 1); /* files that do not shrink while read */
    int rc = flowlog_query_run(q, r, print_row, stdout);
    int bad = flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS) + flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS) > 0;
    return rc < 0 ? 2 : bad;
}
