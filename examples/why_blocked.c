/* Why can CLIENT not reach SERVER on PORT (TCP)? Reads flow log files or
 * directories, lets the reader pass over the records that cannot be
 * evidence, and prints the verdict, where a rejection was recorded, and
 * what to check next; an input it could not read whole is said first, and
 * makes the exit status 3. Build against the installed library:
 *   cc why_blocked.c $(pkg-config --cflags --libs flowlog) -o why_blocked
 * usage: why_blocked CLIENT SERVER PORT PATH... */
#include <flowlog/flowlog.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: why_blocked CLIENT SERVER PORT PATH...\n");
        return 2;
    }
    unsigned port = (unsigned)strtoul(argv[3], NULL, 10);
    flowlog_diag *d;
    flowlog_reader *r;
    if (flowlog_diag_new(&d, argv[1], argv[2], port, port, 6, NULL) != FLOWLOG_OK) {
        fprintf(stderr, "why_blocked: not an address or network: %s or %s\n", argv[1], argv[2]);
        return 2;
    }
    if (flowlog_reader_new(&r, NULL, NULL) != FLOWLOG_OK) {
        flowlog_diag_free(d);
        return 2;
    }
    /* Only the fields the diagnosis reads are converted, and the records
     * that do not name the client are passed over (still counted, and
     * still telling which ENI is whose). */
    (void)flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    (void)flowlog_diag_attach_reader(d, r);
    for (int i = 4; i < argc; i++)
        if (flowlog_reader_add_path(r, argv[i]) != FLOWLOG_OK)
            fprintf(stderr, "%s\n", flowlog_reader_error_message(r));
    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        if (rc == FLOWLOG_OK)
            (void)flowlog_diag_feed(d, rec, flowlog_reader_stream(r));
        else
            fprintf(stderr, "%s:%llu: %s\n", flowlog_reader_path(r), (unsigned long long)flowlog_reader_line(r),
                    flowlog_reader_error_message(r));
    }
    /* What the verdict rests on: an input not read whole is said first. */
    (void)flowlog_diag_add_reader_inputs(d, r);
    int complete = flowlog_diag_complete(d) == 1;
    if (!complete)
        printf("evidence incomplete: some inputs were not read whole\n");
    printf("%s (recorded at: %s)\n", flowlog_verdict_name(flowlog_diag_verdict(d)),
           flowlog_diag_side_name(flowlog_diag_side(d)));
    size_t need = flowlog_diag_explain(d, NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        flowlog_diag_explain(d, text, need + 1);
        printf("%s\n", text);
        free(text);
    }
    flowlog_reader_free(r);
    flowlog_diag_free(d);
    return complete ? 0 : 3;
}
