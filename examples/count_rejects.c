/* Count rejected records per destination port, from a file or stdin, with
 * the streaming reader. Build against the installed library:
 *   cc count_rejects.c $(pkg-config --cflags --libs flowlog) -o count_rejects */
#include <flowlog/flowlog.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (flowlog_version_number() >> 16 != FLOWLOG_VERSION_MAJOR) {
        fprintf(stderr, "built for libflowlog %s, running with %s\n", FLOWLOG_VERSION_STRING,
                flowlog_version_string());
        return 1;
    }
    flowlog_reader *reader;
    if (flowlog_reader_new(&reader, NULL, NULL) != FLOWLOG_OK)
        return 1;
    for (int i = 1; i < argc; i++)
        if (flowlog_reader_add_path(reader, argv[i]) != FLOWLOG_OK)
            fprintf(stderr, "%s\n", flowlog_reader_error_message(reader));
    if (argc < 2 && flowlog_reader_add_path(reader, "-") != FLOWLOG_OK)
        return 1;

    static unsigned long rejects[65536];
    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(reader, &rec)) != FLOWLOG_END) {
        if (rc < 0) {
            fprintf(stderr, "%s:%llu: %s\n", flowlog_reader_path(reader),
                    (unsigned long long)flowlog_reader_line(reader), flowlog_reader_error_message(reader));
            continue;
        }
        int action;
        uint64_t port;
        if (flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action) == FLOWLOG_OK &&
            action == FLOWLOG_ACTION_REJECT &&
            flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &port) == FLOWLOG_OK && port < 65536)
            rejects[port]++;
    }
    for (unsigned p = 0; p < 65536; p++)
        if (rejects[p])
            printf("%u %lu\n", p, rejects[p]);
    printf("records %llu errors %llu\n",
           (unsigned long long)flowlog_reader_count(reader, FLOWLOG_COUNT_RECORDS),
           (unsigned long long)flowlog_reader_count(reader, FLOWLOG_COUNT_ERRORS));
    flowlog_reader_free(reader);
    return 0;
}
