/* Parquet through the reader: the same records from a path, memory, a
 * descriptor and chunks pushed one by one; every cut of a file and bytes
 * changed at random give errors that name it, never a crash or a lost
 * count. The files are DuckDB's (tests/data/parquet). */
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static const char *data_path(const char *name)
{
    static char path[1024];
    const char *dir = getenv("FLOWLOG_TEST_DATA");
    snprintf(path, sizeof path, "%s/parquet/%s", dir ? dir : "tests/data", name);
    return path;
}

/* Records, errors and input errors, and a checksum of every record's line. */
typedef struct tally {
    uint64_t records, errors, input_errors, lines, sum;
} tally;

static tally drain(flowlog_reader *r, const char *data, size_t len, size_t chunk)
{
    tally t = {0};
    size_t pos = 0;
    for (;;) {
        flowlog_record *rec;
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            break;
        if (rc == FLOWLOG_NEED_MORE) {
            size_t n = len - pos < chunk ? len - pos : chunk;
            assert_int_equal(flowlog_reader_push(r, data + pos, n), FLOWLOG_OK);
            pos += n;
            continue;
        }
        if (rc == FLOWLOG_OK) {
            flowlog_span line = flowlog_record_line(rec);
            for (size_t i = 0; i < line.len; i++)
                t.sum = t.sum * 31 + (unsigned char)line.ptr[i];
        } else {
            assert_true(flowlog_reader_error_message(r)[0] != '\0');
        }
    }
    t.records = flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS);
    t.errors = flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS);
    t.input_errors = flowlog_reader_count(r, FLOWLOG_COUNT_INPUT_ERRORS);
    t.lines = flowlog_reader_count(r, FLOWLOG_COUNT_LINES);
    assert_int_equal(t.records + t.errors + flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS) +
                         flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS),
                     t.lines);
    return t;
}

static tally read_memory(const char *data, size_t len)
{
    flowlog_reader *r;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_memory(r, data, len, "mem.parquet"), FLOWLOG_OK);
    tally t = drain(r, data, len, 0);
    flowlog_reader_free(r);
    return t;
}

static void every_way_in_gives_the_same_records(void **state)
{
    (void)state;
    static const char *const files[] = {"flows-gzip.parquet", "flows-v2.parquet", "v5-gzip.parquet"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        size_t len;
        char *data = slurp(data_path(files[i]), &len);
        tally want = read_memory(data, len);
        assert_true(want.records > 0);
        assert_int_equal(want.errors + want.input_errors, 0);

        flowlog_reader *r;
        assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
        assert_int_equal(flowlog_reader_add_path(r, data_path(files[i])), FLOWLOG_OK);
        int fd = open(data_path(files[i]), O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(flowlog_reader_add_fd(r, fd, "fd.parquet"), FLOWLOG_OK);
        tally two = drain(r, data, len, 0);
        flowlog_reader_free(r);
        close(fd);
        assert_int_equal(two.records, 2 * want.records);

        for (size_t chunk = 1; chunk < 5000; chunk = chunk * 7 + 2) {
            assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
            assert_int_equal(flowlog_reader_begin_push(r, "push.parquet"), FLOWLOG_OK);
            tally pushed = drain(r, data, len, chunk);
            flowlog_reader_free(r);
            assert_memory_equal(&pushed, &want, sizeof want);
        }
        free(data);
    }
}

/* Every cut of a file: an input error (the footer is gone), never a crash. */
static void every_cut_is_an_error(void **state)
{
    (void)state;
    size_t len;
    char *data = slurp(data_path("v5-gzip.parquet"), &len);
    for (size_t cut = 0; cut < len; cut++) {
        tally t = read_memory(data, cut);
        if (cut >= 4)
            assert_int_equal(t.input_errors, 1);
        assert_int_equal(t.records, 0);
    }
    free(data);
}

/* Bytes changed at random: whatever they say, the lines are accounted for
 * and nothing reads outside the file (valgrind and ASan watch). */
static void changed_bytes_are_errors_or_records(void **state)
{
    (void)state;
    size_t len;
    char *data = slurp(data_path("flows-v2.parquet"), &len);
    char *copy = malloc(len);
    assert_non_null(copy);
    for (int round = 0; round < 300; round++) {
        memcpy(copy, data, len);
        for (int k = 0; k < 1 + round % 4; k++)
            copy[next_rand() % len] ^= (char)(1u << (next_rand() % 8));
        tally t = read_memory(copy, len);
        assert_true(t.records <= 1200);
    }
    free(copy);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_way_in_gives_the_same_records),
        cmocka_unit_test(every_cut_is_an_error),
        cmocka_unit_test(changed_bytes_are_errors_or_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
