/* The streaming reader: every delivery form, and no line lost. */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <flowlog/reader.h>

#define REC1 "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
#define REC2 "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
#define HDR "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

typedef struct tally {
    uint64_t records, errors;
    uint64_t ports_sum;
    int first_error;
    char first_message[256];
    uint64_t first_error_line;
} tally;

/* Drain a reader; records and errors tallied, counters checked to add up. */
static void drain(flowlog_reader *r, tally *t)
{
    flowlog_record *rec;
    int rc;
    memset(t, 0, sizeof *t);
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        assert_int_not_equal(rc, FLOWLOG_NEED_MORE);
        if (rc < 0) {
            if (!t->errors++) {
                t->first_error = rc;
                snprintf(t->first_message, sizeof t->first_message, "%s", flowlog_reader_error_message(r));
                t->first_error_line = flowlog_reader_line(r);
            }
            continue;
        }
        t->records++;
        uint64_t v;
        if (flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v) == FLOWLOG_OK)
            t->ports_sum += v;
    }
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES),
                     flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS) + flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS) +
                         flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS) + flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS));
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), t->records);
}

static flowlog_reader *memory_reader(const char *text, size_t len)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, text, len, "mem"), FLOWLOG_OK);
    return r;
}

static size_t gzip_into(const char *text, size_t len, unsigned char *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)text;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t n = cap - zs.avail_out;
    deflateEnd(&zs);
    return n;
}

/* Push the whole input in chunks of `chunk` bytes; return the reader, drained. */
static void push_in_chunks(const void *data, size_t len, size_t chunk, tally *t, uint64_t *lines)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_begin_push(r, "push"), FLOWLOG_OK);
    size_t pos = 0;
    memset(t, 0, sizeof *t);
    for (;;) {
        flowlog_record *rec;
        int rc = next_pushing(r, &rec, data, len, chunk, &pos);
        if (rc == FLOWLOG_END)
            break;
        if (rc < 0) {
            t->errors++;
            continue;
        }
        uint64_t v;
        t->records++;
        if (flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v) == FLOWLOG_OK)
            t->ports_sum += v;
    }
    *lines = flowlog_reader_count(r, FLOWLOG_COUNT_LINES);
    flowlog_reader_free(r);
}

/* Chunks of any size, down to one byte, give every line, plain or gzip:
 * the gzip test needs two bytes, which may come in two chunks. */
static void tiny_chunks(void **state)
{
    (void)state;
    static const char text[] = HDR "\r\n" REC1 "\r\n\n" REC2 "\n" REC1;
    unsigned char gz[1024];
    size_t gzlen = gzip_into(text, sizeof text - 1, gz, sizeof gz);
    for (size_t chunk = 1; chunk <= 9; chunk++) {
        tally t;
        uint64_t lines;
        push_in_chunks(text, sizeof text - 1, chunk, &t, &lines);
        assert_int_equal(t.records, 3);
        assert_int_equal(t.errors, 0);
        assert_int_equal(t.ports_sum, 22 + 3389 + 22);
        assert_int_equal(lines, 5);
        push_in_chunks(gz, gzlen, chunk, &t, &lines);
        assert_int_equal(t.records, 3);
        assert_int_equal(t.errors, 0);
        assert_int_equal(lines, 5);
    }
}

static void record_split_at_every_byte(void **state)
{
    (void)state;
    static const char text[] = HDR "\r\n" REC1 "\r\n\n" REC2 "\n" REC1;
    size_t len = sizeof text - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        flowlog_reader *r;
        assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_reader_begin_push(r, "push"), FLOWLOG_OK);
        const char *chunks[3] = {text, text + cut, NULL};
        size_t lens[3] = {cut, len - cut, 0};
        int k = 0;
        if (cut == 0) { /* an empty chunk would end the input */
            chunks[0] = text;
            lens[0] = len;
            chunks[1] = NULL;
            lens[1] = 0;
        }
        uint64_t ports = 0, records = 0;
        assert_int_equal(flowlog_reader_push(r, chunks[k], lens[k]), FLOWLOG_OK);
        for (;;) {
            flowlog_record *rec;
            int rc = flowlog_reader_next(r, &rec);
            if (rc == FLOWLOG_END)
                break;
            if (rc == FLOWLOG_NEED_MORE) {
                k++;
                assert_true(k < 3);
                if (lens[k] == 0 && k == 1)
                    k = 2;
                assert_int_equal(flowlog_reader_push(r, chunks[k], lens[k]), FLOWLOG_OK);
                continue;
            }
            assert_int_equal(rc, FLOWLOG_OK);
            uint64_t v;
            assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
            ports += v;
            records++;
        }
        assert_int_equal(records, 3);
        assert_int_equal(ports, 22 + 3389 + 22);
        assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 1);
        assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS), 1);
        assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES), 5);
        flowlog_reader_free(r);
    }
}


static void gzip_multi_member_and_truncated(void **state)
{
    (void)state;
    static unsigned char gz[4096];
    static const char part1[] = HDR "\n" REC1 "\n";
    static const char part2[] = REC2 "\n" REC2 "\n";
    size_t n1 = gzip_into(part1, sizeof part1 - 1, gz, sizeof gz);
    size_t n2 = gzip_into(part2, sizeof part2 - 1, gz + n1, sizeof gz - n1);
    tally t;
    flowlog_reader *r = memory_reader((const char *)gz, n1 + n2);
    drain(r, &t);
    assert_int_equal(t.records, 3);
    assert_int_equal(t.errors, 0);
    assert_int_equal(t.ports_sum, 22 + 3389 + 3389);
    flowlog_reader_free(r);

    /* Pushed so that a chunk ends at every byte around where the second
     * member starts, its magic split between chunks too: the decoder must
     * wait for the rest, not ask again for ever. */
    for (size_t cut = n1 - 2; cut <= n1 + 3; cut++) {
        assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_reader_begin_push(r, "push"), FLOWLOG_OK);
        size_t pos = 0, records = 0;
        flowlog_record *rec;
        int rc;
        while ((rc = next_pushing(r, &rec, gz, n1 + n2, pos < cut ? cut : n1 + n2, &pos)) != FLOWLOG_END) {
            assert_int_equal(rc, FLOWLOG_OK);
            records++;
        }
        assert_int_equal(records, 3);
        flowlog_reader_free(r);
    }

    /* Cut inside the second member: every record before the damage is still
     * delivered, and the damage is an error that says so. */
    r = memory_reader((const char *)gz, n1 + n2 - 12);
    drain(r, &t);
    assert_true(t.records >= 1 && t.records <= 2);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error, FLOWLOG_E_GZIP);
    if (!strstr(t.first_message, "truncated"))
        fail_msg("message: %s", t.first_message);
    flowlog_reader_free(r);

    /* Garbage after a member is reported, not ignored. */
    memcpy(gz + n1, "garbage!", 8);
    r = memory_reader((const char *)gz, n1 + 8);
    drain(r, &t);
    assert_int_equal(t.records, 1);
    assert_int_equal(t.first_error, FLOWLOG_E_GZIP);
    flowlog_reader_free(r);

    /* Larger than every internal buffer, so decoding spans many reads. */
    size_t big_len = 0, nrec = 40000;
    char *big = malloc(nrec * (sizeof REC1) + 1);
    assert_non_null(big);
    for (size_t i = 0; i < nrec; i++) {
        memcpy(big + big_len, REC1 "\n", sizeof REC1);
        big_len += sizeof REC1;
    }
    unsigned char *bgz = malloc(big_len + 1024);
    assert_non_null(bgz);
    size_t bn = gzip_into(big, big_len, bgz, big_len + 1024);
    r = memory_reader((const char *)bgz, bn);
    drain(r, &t);
    assert_int_equal(t.records, nrec);
    assert_int_equal(t.errors, 0);
    flowlog_reader_free(r);
    r = memory_reader(big, big_len);
    drain(r, &t);
    assert_int_equal(t.records, nrec);
    flowlog_reader_free(r);
    free(bgz);
    free(big);

    /* Not gzip at all after the magic. */
    r = memory_reader("\x1f\x8b\x08\x00garbage-garbage-garbage", 27);
    drain(r, &t);
    assert_int_equal(t.records, 0);
    assert_int_equal(t.first_error, FLOWLOG_E_GZIP);
    flowlog_reader_free(r);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void directory_tree_mixed_forms(void **state)
{
    (void)state;
    char root[] = "/tmp/flowlog-test-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512];
    const char *dirs[] = {"AWSLogs", "AWSLogs/123456789012", "AWSLogs/123456789012/vpcflowlogs",
                          "AWSLogs/123456789012/vpcflowlogs/us-east-1", "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024",
                          "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01",
                          "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/02",
                          "AWSLogs/aws-account-id=123456789012"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(path, 0700), 0);
    }
    const char *day = "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/02";
    static unsigned char gz[4096];
    static const char custom[] = "version srcaddr dstaddr dstport action log-status\n"
                                 "3 10.0.0.1 10.0.0.2 443 ACCEPT OK\n3 10.0.0.1 10.0.0.2 80 REJECT OK\n";
    size_t n = gzip_into(custom, sizeof custom - 1, gz, sizeof gz);
    snprintf(path, sizeof path, "%s/%s/b_flow.log.gz", root, day);
    write_file(path, gz, n);
    static const char plain[] = HDR "\n" REC1 "\n";
    snprintf(path, sizeof path, "%s/%s/a_flow.log", root, day);
    write_file(path, plain, sizeof plain - 1);
    /* A gzip file with a plain name, and a plain file with a .gz name. */
    n = gzip_into(REC2 "\n", sizeof REC2, gz, sizeof gz);
    snprintf(path, sizeof path, "%s/AWSLogs/aws-account-id=123456789012/c.log", root);
    write_file(path, gz, n);
    snprintf(path, sizeof path, "%s/AWSLogs/aws-account-id=123456789012/d.log.gz", root);
    write_file(path, REC1, sizeof REC1 - 1);
    snprintf(path, sizeof path, "%s/AWSLogs/.hidden", root);
    write_file(path, "junk\n", 5);

    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, root), FLOWLOG_OK);
    flowlog_record *rec;
    uint64_t want_ports[] = {22, 443, 80, 3389, 22};
    const char *want_files[] = {"/a_flow.log", "/b_flow.log.gz", "/b_flow.log.gz", "/c.log", "/d.log.gz"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
        uint64_t v;
        assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
        assert_int_equal(v, want_ports[i]);
        const char *p = flowlog_reader_path(r);
        assert_string_equal(p + strlen(p) - strlen(want_files[i]), want_files[i]);
    }
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_END);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_INPUTS), 4);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 2);
    flowlog_reader_free(r);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* A walk reports every entry it cannot look at, in its place, and goes
 * on: nothing sorted after a bad entry is skipped. */
static void directory_walk_goes_past_bad_entries(void **state)
{
    (void)state;
    char root[] = "/tmp/flowlog-walk-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512], target[512];
    static const char plain[] = REC1 "\n";
    const char *files[] = {"a.log", "c/e.log", "f.log"};
    snprintf(path, sizeof path, "%s/c", root);
    assert_int_equal(mkdir(path, 0700), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", root, files[i]);
        write_file(path, plain, sizeof plain - 1);
    }
    snprintf(path, sizeof path, "%s/b.log", root); /* dangling */
    assert_int_equal(symlink("/nonexistent/flowlog", path), 0);
    snprintf(path, sizeof path, "%s/c/d.log", root); /* a loop */
    assert_int_equal(symlink(path, path), 0);
    snprintf(path, sizeof path, "%s/c/loop", root); /* a directory loop: nested too deep */
    snprintf(target, sizeof target, "%s/c", root);
    assert_int_equal(symlink(target, path), 0);

    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, root), FLOWLOG_OK);
    tally t;
    drain(r, &t);
    /* the files of the tree, the loop's copies of c/e.log included */
    assert_true(t.records >= 3);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS), t.errors);
    assert_true(t.errors >= 3);
    const char *want[] = {"/a.log", "/b.log", "/c/d.log", "/c/e.log"};
    for (size_t i = 0; i < 4; i++) {
        const char *name;
        int status;
        assert_int_equal(flowlog_reader_input(r, i, &name, &status, NULL, NULL, NULL), FLOWLOG_OK);
        assert_string_equal(name + strlen(root), want[i]);
        assert_int_equal(status, i == 1 || i == 2 ? FLOWLOG_INPUT_FAILED : FLOWLOG_INPUT_COMPLETE);
    }
    const char *last;
    int status;
    assert_int_equal(flowlog_reader_input(r, flowlog_reader_input_count(r) - 1, &last, &status, NULL, NULL, NULL),
                     FLOWLOG_OK);
    assert_string_equal(last + strlen(root), "/f.log");
    assert_int_equal(status, FLOWLOG_INPUT_COMPLETE);
    flowlog_reader_free(r);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void awkward_lines(void **state)
{
    (void)state;
    tally t;
    flowlog_reader *r;

    /* CRLF, no final newline, blank lines. */
    static const char crlf[] = REC1 "\r\n\r\n   \r\n" REC2;
    r = memory_reader(crlf, sizeof crlf - 1);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS), 2);
    flowlog_reader_free(r);

    /* A NUL byte inside a line is that line's error; its neighbours are read. */
    static const char nul[] = REC1 "\n2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACC\0EPT OK\n" REC2 "\n";
    r = memory_reader(nul, sizeof nul - 1);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error_line, 2);
    assert_non_null(strstr(t.first_message, "0x00"));
    flowlog_reader_free(r);

    /* An empty input and a header-only input have no records and no errors. */
    r = memory_reader("", 0);
    drain(r, &t);
    assert_int_equal(t.records + t.errors, 0);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES), 0);
    flowlog_reader_free(r);
    r = memory_reader(HDR "\n", sizeof HDR);
    drain(r, &t);
    assert_int_equal(t.records + t.errors, 0);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 1);
    flowlog_reader_free(r);

    /* Invalid UTF-8 is an error, valid UTF-8 in a string field is not. */
    static const char utf[] = "2 \xc3\xa9t\xc3\xa9 eni-1 - - - - - - - 1 2 - NODATA\n2 \xc3\x28 eni-1 - - - - - - - 1 2 - NODATA\n";
    r = memory_reader(utf, sizeof utf - 1);
    drain(r, &t);
    assert_int_equal(t.records, 1);
    assert_int_equal(t.errors, 1);
    assert_non_null(strstr(t.first_message, "UTF-8"));
    flowlog_reader_free(r);
}

static void long_lines_are_bounded(void **state)
{
    (void)state;
    size_t big = (size_t)1 << 20;
    char *text = malloc(big + 400);
    assert_non_null(text);
    size_t len = 0;
    len += (size_t)sprintf(text, "%s\n", REC1);
    memset(text + len, 'x', big);
    len += big;
    text[len++] = '\n';
    len += (size_t)sprintf(text + len, "%s\n", REC2);

    /* The default limit (64 KiB) makes the 1 MiB line one error. */
    tally t;
    flowlog_reader *r = memory_reader(text, len);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error, FLOWLOG_E_TOO_LONG);
    assert_int_equal(t.first_error_line, 2);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES), 3);
    flowlog_reader_free(r);

    /* A raised limit reads it: it is one wrong-shaped line. */
    r = memory_reader(text, len);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 2 << 20), FLOWLOG_OK);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error, FLOWLOG_E_FIELD_COUNT);
    flowlog_reader_free(r);
    free(text);

    r = memory_reader("", 0);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 3), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_set(r, 999, 1), FLOWLOG_E_UNSUPPORTED);
    flowlog_reader_free(r);
}

/* A header line naming more fields than FLOWLOG_OPT_MAX_FIELDS is an error
 * for that line; the schema before it reads the records after it. */
static void header_field_limit(void **state)
{
    (void)state;
    static const char text[] = "version srcaddr dstaddr action\n"
                               "5 10.0.0.1 10.0.0.2 ACCEPT\n"
                               "version srcaddr dstaddr srcport dstport action\n"
                               "5 10.0.0.3 10.0.0.4 REJECT\n";
    flowlog_reader *r = memory_reader(text, sizeof text - 1);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_FIELDS, 0), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_FIELDS, FLOWLOG_MAX_COLUMNS + 1), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_FIELDS, 4), FLOWLOG_OK);
    flowlog_record *rec;
    flowlog_addr a;
    char buf[64];
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_E_LIMIT);
    assert_int_equal(flowlog_reader_line(r), 3);
    assert_non_null(strstr(flowlog_reader_error_message(r), "header line names 6 fields, more than the limit of 4"));
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    assert_int_equal(flowlog_record_get_addr(rec, FLOWLOG_FIELD_SRCADDR, &a), FLOWLOG_OK);
    flowlog_addr_format(&a, buf, sizeof buf);
    assert_string_equal(buf, "10.0.0.3");
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_END);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 1);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS), 1);
    flowlog_reader_free(r);
}

static void stop_policy(void **state)
{
    (void)state;
    static const char text[] = REC1 "\nbogus line\n" REC2 "\n";
    tally t;
    flowlog_reader *r = memory_reader(text, sizeof text - 1);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_ON_ERROR, FLOWLOG_ON_ERROR_STOP), FLOWLOG_OK);
    drain(r, &t);
    assert_int_equal(t.records, 1);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error_line, 2);
    assert_string_equal(t.first_message, "expected 14 fields, found 2");
    flowlog_reader_free(r);
}

static void repeated_headers_and_mixed_transit_gateway(void **state)
{
    (void)state;
    static const char text[] =
        "version srcaddr dstaddr dstport\n"
        "3 10.0.0.1 10.0.0.2 443\n"
        "resource-type tgw-id srcaddr dstaddr dstport packets-lost-no-route\n"
        "TransitGateway tgw-1 10.0.0.1 10.0.1.1 8443 0\n"
        "3 10.0.0.1 10.0.0.2 80\n"
        "TransitGatewayAttachment tgw-1 10.0.0.1 10.0.1.1 53 7\n"
        "version interface-id srcaddr dstaddr srcport dstport\n"
        "3 eni-1 10.0.0.9 10.0.0.8 1 25\n";
    tally t;
    flowlog_reader *r = memory_reader(text, sizeof text - 1);
    drain(r, &t);
    assert_int_equal(t.errors, 0);
    assert_int_equal(t.records, 5);
    assert_int_equal(t.ports_sum, 443 + 8443 + 80 + 53 + 25);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 3);
    flowlog_reader_free(r);
}

static void cloudwatch_forms(void **state)
{
    (void)state;
    tally t;
    /* A subscription payload, pretty-printed, then a control message, then NDJSON. */
    static const char sub[] =
        "{\n  \"messageType\": \"DATA_MESSAGE\",\n  \"logGroup\": \"/vpc\",\n  \"logStream\": \"eni-0abc\",\n"
        "  \"logEvents\": [\n    {\"id\": \"1\", \"timestamp\": 1, \"message\": \"" REC1 "\"},\n"
        "    {\"id\": \"2\", \"timestamp\": 2, \"message\": \"" REC2 "\"}\n  ]\n}\n"
        "{\"messageType\":\"CONTROL_MESSAGE\",\"logGroup\":\"\",\"logStream\":\"\",\"logEvents\":[{\"id\":\"\",\"timestamp\":1,\"message\":\"CWL CONTROL MESSAGE: Checking health of destination Firehose.\"}]}\n"
        "{\"message\": \"" REC1 "\"}\n{\"message\": \"bogus line\"}\n";
    flowlog_reader *r = memory_reader(sub, sizeof sub - 1);
    flowlog_record *rec;
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    assert_string_equal(flowlog_reader_stream(r), "eni-0abc");
    flowlog_reader_free(r);
    r = memory_reader(sub, sizeof sub - 1);
    drain(r, &t);
    assert_int_equal(t.records, 3);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.ports_sum, 22 + 3389 + 22);
    flowlog_reader_free(r);

    /* As a Lambda function receives it: base64 of gzip of the payload. */
    static const char payload[] = "{\"logStream\":\"eni-0def\",\"logEvents\":[{\"message\":\"" REC2 "\"}]}";
    static unsigned char gz[1024];
    size_t n = gzip_into(payload, sizeof payload - 1, gz, sizeof gz);
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char event[4096];
    size_t len = (size_t)sprintf(event, "{\"awslogs\": {\"data\": \"");
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)gz[i] << 16 | (i + 1 < n ? (uint32_t)gz[i + 1] << 8 : 0) | (i + 2 < n ? gz[i + 2] : 0);
        event[len++] = b64[v >> 18 & 63];
        event[len++] = b64[v >> 12 & 63];
        event[len++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        event[len++] = i + 2 < n ? b64[v & 63] : '=';
    }
    len += (size_t)sprintf(event + len, "\"}}\n");
    r = memory_reader(event, len);
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    assert_string_equal(flowlog_reader_stream(r), "eni-0def");
    uint64_t v;
    assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
    assert_int_equal(v, 3389);
    assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_END);
    flowlog_reader_free(r);

    /* JSON of the wrong shape, and a document cut short. */
    static const char wrong[] = "{\"records\": []}\n{\"message\": \"" REC1 "\"}\n{\"logEvents\": [\n";
    r = memory_reader(wrong, sizeof wrong - 1);
    drain(r, &t);
    assert_int_equal(t.records, 1);
    assert_int_equal(t.errors, 2);
    assert_int_equal(t.first_error, FLOWLOG_E_JSON);
    assert_non_null(strstr(t.first_message, "neither logEvents (a subscription payload), events"));
    flowlog_reader_free(r);

    /* The console's CSV export. */
    static const char csv[] = "timestamp,message\n1418530010000,\"" REC1 "\"\n1418530010000," REC2 "\n";
    r = memory_reader(csv, sizeof csv - 1);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(t.errors, 0);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS), 1);
    flowlog_reader_free(r);
}

/* NDJSON: one line, one bucket. A broken line never takes the good ones
 * after it with it, and is never counted twice. */
static void ndjson_lines_each_in_one_bucket(void **state)
{
    (void)state;
    static const struct {
        const char *first; /* the bad line */
        int error;
        const char *message;
    } cases[] = {
        {"{\"message\": [}", FLOWLOG_E_JSON, "does not close '['"},
        {"{\"message\": \"" REC1 "\"},", FLOWLOG_E_JSON, "followed by ','"},
        {"{\"message\": \"" REC1 "\"", FLOWLOG_E_JSON, "began on line 1 is not complete"},
        {"{\"message\": {\"a\": [1, 2}}", FLOWLOG_E_JSON, "does not close"},
        {"{\"message\": \"" REC1 "\"}}", FLOWLOG_E_JSON, "does not close anything"},
    };
    size_t cap = 200 * 1024;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = (size_t)snprintf(text, cap, "%s\n", cases[c].first);
        for (int i = 0; i < 1000; i++)
            n += (size_t)snprintf(text + n, cap - n, "{\"message\": \"%s\"}\n", i % 2 ? REC1 : REC2);
        tally t;
        flowlog_reader *r = memory_reader(text, n);
        drain(r, &t);
        if (t.records != 1000 || t.errors != 1 || flowlog_reader_count(r, FLOWLOG_COUNT_LINES) != 1001 ||
            t.first_error != cases[c].error || t.first_error_line != 1 || !strstr(t.first_message, cases[c].message))
            fail_msg("%s: %llu records, %llu errors, %llu lines, first error %s at line %llu: %s", cases[c].first,
                     (unsigned long long)t.records, (unsigned long long)t.errors,
                     (unsigned long long)flowlog_reader_count(r, FLOWLOG_COUNT_LINES),
                     flowlog_status_name(t.first_error), (unsigned long long)t.first_error_line, t.first_message);
        flowlog_reader_free(r);
    }
    /* A document past the size limit is one error, its other lines none;
     * the documents after it are read. */
    size_t n = (size_t)snprintf(text, cap, "{\"logEvents\": [\n");
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(text + n, cap - n, "  {\"message\": \"%s\"},\n", REC1);
    n += (size_t)snprintf(text + n, cap - n, "  {\"message\": \"%s\"}\n]}\n{\"message\": \"%s\"}\n", REC1, REC2);
    flowlog_reader *r = memory_reader(text, n);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_ENVELOPE, 1024), FLOWLOG_OK);
    tally t;
    drain(r, &t);
    assert_int_equal(t.records, 1);
    assert_int_equal(t.errors, 1);
    assert_int_equal(t.first_error, FLOWLOG_E_LIMIT);
    assert_int_equal(t.ports_sum, 3389);
    flowlog_reader_free(r);
    free(text);
}

static uint64_t progress_seen;
static void on_progress(void *ctx, uint64_t consumed, uint64_t total)
{
    (void)ctx;
    assert_true(consumed <= total);
    progress_seen = consumed;
}

static void progress_and_fd_inputs(void **state)
{
    (void)state;
    static const char text[] = REC1 "\n" REC2 "\n";
    flowlog_reader *r = memory_reader(text, sizeof text - 1);
    assert_int_equal(flowlog_reader_set_progress(r, on_progress, NULL), FLOWLOG_OK);
    tally t;
    drain(r, &t);
    assert_int_equal(progress_seen, sizeof text - 1);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_BYTES), sizeof text - 1);
    flowlog_reader_free(r);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fds[1]);
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_fd(r, fds[0], NULL), FLOWLOG_OK);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_non_null(strstr(flowlog_reader_path(r), "<fd "));
    flowlog_reader_free(r);
    close(fds[0]);

    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, "/nonexistent/flowlog"), FLOWLOG_E_IO);
    assert_non_null(strstr(flowlog_reader_error_message(r), "/nonexistent/flowlog"));
    flowlog_reader_free(r);
}

static void millisecond_records_are_counted(void **state)
{
    (void)state;
    static const char text[] = "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1439387263000 1439387264000 ACCEPT OK\n" REC1 "\n";
    tally t;
    flowlog_reader *r = memory_reader(text, sizeof text - 1);
    drain(r, &t);
    assert_int_equal(t.records, 2);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_MILLIS), 1);
    flowlog_reader_free(r);
}


/* A text of several MiB whose lines vary in length so that they straddle
 * every internal buffer and block boundary: runs of spaces inside records,
 * a header midway, blank lines, a 50 KiB record and a line over the limit. */
static char *big_text(size_t *len_out)
{
    size_t cap = 6u << 20, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (unsigned i = 0; len < cap - (200u << 10); i++) {
        if (i == 9000) {
            len += (size_t)sprintf(t + len, "%s\n", HDR);
        } else if (i % 997 == 5) {
            t[len++] = '\n';
        } else if (i == 12345) { /* valid: 50 KiB of spaces inside a record */
            len += (size_t)sprintf(t + len, "2 1 eni-big 10.0.0.1 10.0.0.2 1 ");
            memset(t + len, ' ', 50u << 10);
            len += 50u << 10;
            len += (size_t)sprintf(t + len, "7 6 1 40 1 2 ACCEPT OK\n");
        } else if (i == 30000) { /* blank lines, more to a block than the reading thread indexes */
            memset(t + len, '\n', 40000);
            len += 40000;
        } else if (i == 20000) { /* over the 64 KiB limit */
            memset(t + len, 'x', 70u << 10);
            len += 70u << 10;
            t[len++] = '\n';
        } else {
            len += (size_t)sprintf(t + len, "2 1 eni-%u 10.0.%u.%u 10.1.0.1 %u %u 6 1 40 1 2 %s OK%s\n", i,
                                   i % 250, i % 199, 1024 + i % 60000, i % 1000, i % 3 ? "ACCEPT" : "REJECT",
                                   i % 7 ? "" : "\r");
            if (i % 13 == 0 && i % 7) { /* a run of spaces shifts the next line */
                t[len - 1] = ' ';
                memset(t + len, ' ', i % 300);
                len += i % 300;
                t[len++] = '\n';
            }
        }
    }
    *len_out = len;
    return t;
}

/* Everything a caller can observe of a drained reader, folded together. */
typedef struct observed {
    uint64_t digest, records, errors, lines, bytes;
} observed;

static observed observe(flowlog_reader *r)
{
    observed o = {0};
    flowlog_record *rec;
    int rc;
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        uint64_t v = 0;
        if (rc == FLOWLOG_OK) {
            o.records++;
            assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
        } else {
            o.errors++;
        }
        o.digest = o.digest * 1099511628211u + ((uint64_t)(rc + 100) << 56) + (flowlog_reader_line(r) << 32) +
                   flowlog_reader_offset(r) * 31 + v;
    }
    o.lines = flowlog_reader_count(r, FLOWLOG_COUNT_LINES);
    o.bytes = flowlog_reader_count(r, FLOWLOG_COUNT_BYTES);
    return o;
}

static observed observe_path(const char *path, int threads, int mapped)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, threads), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MMAP, mapped), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    observed o = observe(r);
    flowlog_reader_free(r);
    return o;
}

static void large_inputs_read_alike_on_every_path(void **state)
{
    (void)state;
    size_t len;
    char *text = big_text(&len);
    char dir[] = "/tmp/flowlog-big-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], gzpath[64];
    snprintf(path, sizeof path, "%s/big.log", dir);
    snprintf(gzpath, sizeof gzpath, "%s/big.log.gz", dir);
    write_file(path, text, len);
    size_t gzcap = len / 2 + 4096, gzlen;
    unsigned char *gz = malloc(gzcap);
    assert_non_null(gz);
    gzlen = gzip_into(text, len, gz, gzcap);
    write_file(gzpath, gz, gzlen);

    flowlog_reader *r = memory_reader(text, len);
    observed want = observe(r);
    assert_true(want.records > 40000);
    assert_int_equal(want.errors, 1); /* the over-long line */
    assert_int_equal(want.bytes, len);

    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MMAP, 2), FLOWLOG_E_RANGE);
    flowlog_reader_free(r);
    observed threaded = observe_path(path, 1, 0), direct = observe_path(path, 0, 0),
             mapped = observe_path(path, 1, 1);
    assert_int_equal(threaded.digest, want.digest);
    assert_int_equal(direct.digest, want.digest);
    assert_int_equal(mapped.digest, want.digest);
    assert_int_equal(threaded.lines, want.lines);
    assert_int_equal(mapped.lines, want.lines);
    assert_int_equal(threaded.bytes, len);
    assert_int_equal(mapped.bytes, len);

    /* gzip is read, never mapped, whatever the option says. */
    observed gz_threaded = observe_path(gzpath, 1, 0), gz_direct = observe_path(gzpath, 0, 0),
             gz_mapped = observe_path(gzpath, 1, 1);
    assert_int_equal(gz_threaded.digest, want.digest);
    assert_int_equal(gz_direct.digest, want.digest);
    assert_int_equal(gz_mapped.digest, want.digest);
    assert_int_equal(gz_threaded.bytes, gzlen);
    assert_int_equal(gz_mapped.bytes, gzlen);

    /* Pushed in odd-sized chunks. */
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_begin_push(r, "push"), FLOWLOG_OK);
    observed pushed = {0};
    size_t pos = 0;
    flowlog_record *rec;
    for (;;) {
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_NEED_MORE) {
            size_t n = len - pos < 7777 ? len - pos : 7777;
            assert_int_equal(flowlog_reader_push(r, text + pos, n), FLOWLOG_OK);
            pos += n;
            continue;
        }
        uint64_t v = 0;
        if (rc == FLOWLOG_OK)
            assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_DSTPORT, &v), FLOWLOG_OK);
        pushed.digest = pushed.digest * 1099511628211u + ((uint64_t)(rc + 100) << 56) +
                        (flowlog_reader_line(r) << 32) + flowlog_reader_offset(r) * 31 + v;
    }
    assert_int_equal(pushed.digest, want.digest);
    flowlog_reader_free(r);

    /* A .gz cut at 60%: the records before the damage all arrive, then the
     * error; the lines still add up. */
    write_file(gzpath, gz, gzlen * 6 / 10);
    for (int threads = 0; threads <= 1; threads++) {
        assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, threads), FLOWLOG_OK);
        assert_int_equal(flowlog_reader_add_path(r, gzpath), FLOWLOG_OK);
        uint64_t records = 0;
        char last[256] = "";
        int rc;
        while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
            if (rc == FLOWLOG_OK)
                records++;
            else
                snprintf(last, sizeof last, "%s", flowlog_reader_error_message(r));
        }
        assert_true(records > want.records / 2);
        assert_true(records < want.records);
        assert_non_null(strstr(last, "truncated"));
        assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), records);
        flowlog_reader_free(r);
    }

    /* A longer line limit set mid-input applies from the next input: this
     * one keeps the buffers it was read with, and its 70 KiB line is still
     * an error. */
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_MAX_LINE, 1 << 20), FLOWLOG_OK);
    {
        int rc, errors = 0;
        int codes[2] = {0, 0};
        while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END)
            if (rc < 0 && errors < 2)
                codes[errors++] = rc;
        /* The same line: too long in the first input, one field too few for a
         * record in the second, read under the new limit. */
        assert_int_equal(errors, 2);
        assert_int_equal(codes[0], FLOWLOG_E_TOO_LONG);
        assert_int_equal(codes[1], FLOWLOG_E_FIELD_COUNT);
        assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), 2 * want.records);
    }
    flowlog_reader_free(r);

    /* Freed half-way, with the decoding thread still busy. */
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(flowlog_reader_next(r, &rec), FLOWLOG_OK);
    flowlog_reader_free(r);
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    /* a number of threads, up to 256 */
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, 2), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, 256), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, 257), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_THREADS, -1), FLOWLOG_E_RANGE);
    flowlog_reader_free(r);

    unlink(path);
    unlink(gzpath);
    rmdir(dir);
    free(gz);
    free(text);
}

/* FLOWLOG_OPT_CPU: every level up to the processor's reads alike; above
 * it, refused. */
static void every_cpu_level_reads_alike(void **state)
{
    (void)state;
    size_t len;
    char *text = big_text(&len);
    tally want, got;
    flowlog_reader *r = memory_reader(text, len);
    drain(r, &want);
    flowlog_reader_free(r);
    uint64_t returned_first = 0;
    for (int level = FLOWLOG_CPU_SCALAR; level <= FLOWLOG_CPU_AVX512; level++) {
        for (int filtered = 0; filtered < 2; filtered++) {
            r = memory_reader(text, len);
            int rc = flowlog_reader_set(r, FLOWLOG_OPT_CPU, level);
            if (rc == FLOWLOG_E_UNSUPPORTED) { /* the processor has less */
                flowlog_reader_free(r);
                continue;
            }
            assert_int_equal(rc, FLOWLOG_OK);
            if (!filtered) {
                drain(r, &got); /* the newline index at this level */
                assert_int_equal(got.records, want.records);
                assert_int_equal(got.errors, want.errors);
                assert_int_equal(got.ports_sum, want.ports_sum);
                flowlog_reader_free(r);
                continue;
            }
            /* the scan at this level: the same records returned, the same counts */
            flowlog_span sp = {"172.31.9.69", 11};
            assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0), FLOWLOG_OK);
            assert_int_equal(flowlog_reader_set_prefilter(r, &sp, 1), FLOWLOG_OK);
            flowlog_record *rec;
            uint64_t returned = 0;
            while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END)
                returned += rc == FLOWLOG_OK;
            if (!returned_first)
                returned_first = returned;
            assert_int_equal(returned, returned_first);
            assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), want.records);
            assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS), want.errors);
            flowlog_reader_free(r);
        }
    }
    r = memory_reader(text, len);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_CPU, 4), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_CPU, -1), FLOWLOG_E_RANGE);
    flowlog_reader_free(r);
    free(text);
}

/* FLOWLOG_OPT_SINCE / _UNTIL: records outside are read and counted, not
 * returned; milliseconds are recognised; a record without times is kept. */
static void a_time_window(void **state)
{
    (void)state;
    static const char text[] = "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000000 1700000060 ACCEPT OK\n"
                               "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000200 1700000260 ACCEPT OK\n"
                               "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1700000300000 1700000360000 ACCEPT OK\n"
                               "2 1 eni-1 - - - - - - - 1700000390 1700000450 - NODATA\n"
                               "2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1800000000000 1800000060000 ACCEPT OK\n";
    flowlog_reader *r;
    flowlog_record *rec;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_SINCE, 1700000100), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_UNTIL, 1700000400), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_set(r, FLOWLOG_OPT_UNTIL, -1), FLOWLOG_E_RANGE);
    assert_int_equal(flowlog_reader_add_memory(r, text, sizeof text - 1, "window"), FLOWLOG_OK);
    uint64_t starts[8];
    int n = 0;
    while (flowlog_reader_next(r, &rec) == FLOWLOG_OK) {
        assert_true(n < 8);
        assert_int_equal(flowlog_record_get_u64(rec, FLOWLOG_FIELD_START, &starts[n]), FLOWLOG_OK);
        n++;
    }
    assert_int_equal(n, 3);
    assert_int_equal(starts[0], 1700000200);
    assert_int_equal(starts[1], 1700000300); /* written in milliseconds, read in seconds */
    assert_int_equal(starts[2], 1700000390);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), 5);
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_OUTSIDE), 2);
    flowlog_reader_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_time_window),
        cmocka_unit_test(record_split_at_every_byte),
        cmocka_unit_test(tiny_chunks),
        cmocka_unit_test(gzip_multi_member_and_truncated),
        cmocka_unit_test(directory_tree_mixed_forms),
        cmocka_unit_test(directory_walk_goes_past_bad_entries),
        cmocka_unit_test(awkward_lines),
        cmocka_unit_test(long_lines_are_bounded),
        cmocka_unit_test(header_field_limit),
        cmocka_unit_test(stop_policy),
        cmocka_unit_test(repeated_headers_and_mixed_transit_gateway),
        cmocka_unit_test(cloudwatch_forms),
        cmocka_unit_test(ndjson_lines_each_in_one_bucket),
        cmocka_unit_test(progress_and_fd_inputs),
        cmocka_unit_test(millisecond_records_are_counted),
        cmocka_unit_test(large_inputs_read_alike_on_every_path),
        cmocka_unit_test(every_cpu_level_reads_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
