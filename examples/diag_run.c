/* Why can CLIENT not reach SERVER on PORT (TCP)? The simple call reads the
 * files, passing over what cannot be evidence, and keeps the account of
 * what it read. Build against the installed library:
 *   cc diag_run.c $(pkg-config --cflags --libs flowlog) -o diag_run
 * usage: diag_run CLIENT SERVER PORT PATH... */
#include <flowlog/flowlog.h>
#include <stdio.h>
#include <stdlib.h>

static void on_error(void *ctx, const char *path, uint64_t line, int status, const char *message)
{
    (void)ctx, (void)status;
    fprintf(stderr, "%s:%llu: %s\n", path, (unsigned long long)line, message);
}

int main(int argc, char **argv)
{
    unsigned port = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
    flowlog_diag *d;
    flowlog_reader *r;
    if (argc < 5 || flowlog_diag_new(&d, argv[1], argv[2], port, port, 6, NULL) || flowlog_reader_new(&r, NULL, NULL))
        return 2;
    (void)flowlog_reader_set_error_handler(r, on_error, NULL);
    (void)flowlog_reader_set(r, FLOWLOG_OPT_MMAP, 1); /* files that do not shrink while read */
    for (int i = 4; i < argc; i++)
        if (flowlog_reader_add_path(r, argv[i]) != FLOWLOG_OK)
            fprintf(stderr, "%s\n", flowlog_reader_error_message(r));
    if (flowlog_diag_run(d, r) != FLOWLOG_OK)
        return 3;
    char text[4096];
    flowlog_diag_explain(d, text, sizeof text);
    printf("%s%s (recorded at: %s)\n%s", flowlog_diag_complete(d) == 1 ? "" : "evidence incomplete\n",
           flowlog_verdict_name(flowlog_diag_verdict(d)), flowlog_diag_side_name(flowlog_diag_side(d)), text);
    return flowlog_diag_complete(d) == 1 ? 0 : 3;
}
