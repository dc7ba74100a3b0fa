/* Run a Logs Insights query over files, letting the reader pass over the
 * records the query's filters cannot accept (they are counted, never split
 * into fields). Build against the installed library:
 *   cc query_prefilter.c $(pkg-config --cflags --libs flowlog) -o query_prefilter
 * usage: query_prefilter 'QUERY' PATH... */
#include <flowlog/flowlog.h>

#include <stdio.h>
#include <string.h>

static void print_cell(const flowlog_value *v)
{
    switch (v->type) {
    case FLOWLOG_VALUE_STRING:
        printf("%.*s", (int)v->len, v->s);
        break;
    case FLOWLOG_VALUE_FLOAT:
        printf("%g", v->f);
        break;
    case FLOWLOG_VALUE_NULL:
        printf("-");
        break;
    default:
        printf("%lld", (long long)v->i);
        break;
    }
}

static void print_row(const flowlog_query *q)
{
    flowlog_value v;
    for (size_t c = 0; flowlog_query_cell(q, c, &v) == FLOWLOG_OK; c++) {
        if (c)
            putchar(' ');
        print_cell(&v);
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: query_prefilter 'QUERY' PATH...\n", stderr);
        return 2;
    }
    flowlog_query *q;
    if (flowlog_query_new(&q, NULL) != FLOWLOG_OK)
        return 1;
    if (flowlog_query_compile(q, argv[1], strlen(argv[1])) != FLOWLOG_OK) {
        fprintf(stderr, "query, at byte %zu: %s\n", flowlog_query_error_offset(q), flowlog_query_error_message(q));
        return 2;
    }
    flowlog_reader *reader;
    if (flowlog_reader_new(&reader, NULL, NULL) != FLOWLOG_OK)
        return 1;
    /* Convert only what the query reads, and skip what it cannot match. */
    (void)flowlog_reader_set(reader, FLOWLOG_OPT_VALIDATE, 0);
    flowlog_span needles[FLOWLOG_PREFILTER_MAX_NEEDLES];
    size_t n = FLOWLOG_PREFILTER_MAX_NEEDLES;
    if (flowlog_query_prefilter(q, needles, &n) == FLOWLOG_OK && n)
        (void)flowlog_reader_set_prefilter(reader, needles, n);
    for (int i = 2; i < argc; i++)
        if (flowlog_reader_add_path(reader, argv[i]) != FLOWLOG_OK)
            fprintf(stderr, "%s\n", flowlog_reader_error_message(reader));

    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(reader, &rec)) != FLOWLOG_END) {
        if (rc < 0) {
            fprintf(stderr, "%s:%llu: %s\n", flowlog_reader_path(reader),
                    (unsigned long long)flowlog_reader_line(reader), flowlog_reader_error_message(reader));
            continue;
        }
        rc = flowlog_query_feed(q, rec, flowlog_reader_stream(reader));
        if (rc == FLOWLOG_OK)
            print_row(q); /* a query without stats or sort streams its rows */
        else if (rc == FLOWLOG_END)
            break;
        else if (rc < 0) {
            fprintf(stderr, "query: %s\n", flowlog_query_error_message(q));
            return 1;
        }
    }
    if (flowlog_query_finish(q) != FLOWLOG_OK)
        return 1;
    while (flowlog_query_next_row(q) == FLOWLOG_OK)
        print_row(q);
    fprintf(stderr, "records %llu\n", (unsigned long long)flowlog_reader_count(reader, FLOWLOG_COUNT_RECORDS));
    flowlog_reader_free(reader);
    flowlog_query_free(q);
    return 0;
}
