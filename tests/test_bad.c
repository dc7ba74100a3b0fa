/* Malformed inputs (tests/data/bad, listed in its MANIFEST): each gives its
 * expected status and a message that says why, and the good lines around a
 * bad one are all still delivered. Kinds by extension: flow-log inputs
 * (.log .gz .json .csv) go through the reader; .fmt through schema
 * compilation; .query through query compilation; .state through loading a
 * serialised diagnosis (diag-*) or sweep (sweep-*) state. */
#include "test_util.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <flowlog/query.h>
#include <flowlog/reader.h>
#include <flowlog/sweep.h>

#define MAX_SEEN 8

/* What a case gave: its records and its first errors. */
typedef struct outcome {
    uint64_t records; /* records delivered */
    uint64_t errors;  /* errors reported */
    size_t nseen;
    struct {
        int status;
        uint64_t line; /* 0 when the error is not a line's */
        char message[512];
    } seen[MAX_SEEN];
} outcome;

static void note(outcome *o, int status, uint64_t line, const char *message)
{
    /* The first errors, and the last in the last slot. */
    o->errors++;
    size_t i = o->nseen < MAX_SEEN ? o->nseen++ : MAX_SEEN - 1;
    o->seen[i].status = status;
    o->seen[i].line = line;
    snprintf(o->seen[i].message, sizeof o->seen[i].message, "%s", message);
}

static const char *bad_dir(void)
{
    const char *d = getenv("FLOWLOG_TEST_DATA");
    static char path[1024];
    snprintf(path, sizeof path, "%s/bad", d ? d : "tests/data");
    return path;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void read_input(const char *path, outcome *o)
{
    flowlog_reader *r;
    flowlog_record *rec;
    int rc;
    assert_int_equal(flowlog_reader_new(&r, NULL, NULL), FLOWLOG_OK);
    assert_int_equal(flowlog_reader_add_path(r, path), FLOWLOG_OK);
    while ((rc = flowlog_reader_next(r, &rec)) != FLOWLOG_END) {
        if (rc == FLOWLOG_OK) {
            o->records++;
            continue;
        }
        note(o, rc, flowlog_reader_line(r), flowlog_reader_error_message(r));
    }
    /* Every line is in one bucket. */
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_LINES),
                     flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS) + flowlog_reader_count(r, FLOWLOG_COUNT_HEADERS) +
                         flowlog_reader_count(r, FLOWLOG_COUNT_BLANKS) + flowlog_reader_count(r, FLOWLOG_COUNT_ERRORS));
    assert_int_equal(flowlog_reader_count(r, FLOWLOG_COUNT_RECORDS), o->records);
    flowlog_reader_free(r);
}

/* A format string (.fmt) or a query (.query) compiled from the file's text. */
static void compile_text(const char *path, bool query, outcome *o)
{
    size_t len;
    char *text = slurp(path, &len);
    if (query) {
        flowlog_query *q;
        assert_int_equal(flowlog_query_new(&q, NULL), FLOWLOG_OK);
        int rc = flowlog_query_compile(q, text, len);
        note(o, rc, 0, flowlog_query_error_message(q));
        flowlog_query_free(q);
    } else {
        flowlog_schema *s;
        assert_int_equal(flowlog_schema_new(&s, NULL), FLOWLOG_OK);
        int rc = flowlog_schema_set_format(s, text, len);
        note(o, rc, 0, flowlog_schema_error_message(s));
        flowlog_schema_free(s);
    }
    free(text);
}

static void load_state(const char *name, const char *path, outcome *o)
{
    size_t len;
    char *bytes = slurp(path, &len);
    int rc;
    if (strncmp(name, "sweep-", 6) == 0) {
        flowlog_sweep *s;
        rc = flowlog_sweep_deserialize(&s, bytes, len, NULL);
        if (rc == FLOWLOG_OK)
            flowlog_sweep_free(s);
        else
            assert_null(s);
    } else {
        flowlog_diag *d;
        rc = flowlog_diag_deserialize(&d, bytes, len, NULL);
        if (rc == FLOWLOG_OK)
            flowlog_diag_free(d);
        else
            assert_null(d);
    }
    /* A state's status is its message: the bytes are not text to point into. */
    note(o, rc, 0, flowlog_strerror(rc));
    free(bytes);
}

static void run(const char *name, outcome *o)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", bad_dir(), name);
    memset(o, 0, sizeof *o);
    if (ends_with(name, ".fmt") || ends_with(name, ".query"))
        compile_text(path, ends_with(name, ".query"), o);
    else if (ends_with(name, ".state"))
        load_state(name, path, o);
    else
        read_input(path, o);
}

static void every_case_fails_as_listed(void **state)
{
    (void)state;
    char manifest[2048];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", bad_dir());
    FILE *f = fopen(manifest, "r");
    assert_non_null(f);
    char line[1024];
    int cases = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *fields[5] = {NULL, NULL, NULL, NULL, NULL};
        int n = 0;
        for (char *p = line; n < 5; n++) {
            fields[n] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                n++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        if (n != 5)
            fail_msg("MANIFEST: '%s' needs 5 tab-separated fields", line);
        const char *name = fields[0], *want_status = fields[1], *want_records = fields[2], *want_line = fields[3],
                   *fragment = fields[4];
        outcome o;
        run(name, &o);
        cases++;
        /* The listed error is among those reported (a corrupt gzip stream
         * may first decode into a garbled line), and the good lines around
         * it were delivered. */
        bool found = false;
        for (size_t i = 0; i < o.nseen && !found; i++)
            found = strcmp(flowlog_status_name(o.seen[i].status), want_status) == 0 &&
                    strstr(o.seen[i].message, fragment) != NULL &&
                    (strcmp(want_line, "-") == 0 || o.seen[i].line == strtoull(want_line, NULL, 10));
        bool good = found && (strcmp(want_records, "-") == 0 || o.records == strtoull(want_records, NULL, 10));
        if (!good) {
            failures++;
            print_error("%s: %llu records, first error %s line %llu \"%s\"; want %s records, %s line %s \"%s\"\n", name,
                        (unsigned long long)o.records, o.nseen ? flowlog_status_name(o.seen[0].status) : "none",
                        o.nseen ? (unsigned long long)o.seen[0].line : 0ull, o.nseen ? o.seen[0].message : "",
                        want_records, want_status, want_line, fragment);
        }
    }
    fclose(f);
    assert_int_equal(failures, 0);
    assert_true(cases >= 60);
}

/* Every file in the folder is listed: a new case cannot be forgotten. */
static void every_file_is_listed(void **state)
{
    (void)state;
    char manifest[2048];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST", bad_dir());
    size_t len;
    char *text = slurp(manifest, &len);
    DIR *d = opendir(bad_dir());
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "MANIFEST") == 0)
            continue;
        char needle[300];
        snprintf(needle, sizeof needle, "\n%s\t", e->d_name);
        if (!strstr(text, needle))
            fail_msg("%s is not in MANIFEST", e->d_name);
    }
    closedir(d);
    free(text);
}

/* FLOWLOG_BAD_PROBE=1: print what each file gives, to write its MANIFEST line. */
static void probe(void)
{
    DIR *d = opendir(bad_dir());
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "MANIFEST") == 0)
            continue;
        outcome o;
        run(e->d_name, &o);
        for (size_t i = 0; i < o.nseen; i++)
            printf("%s\t%s\t%llu\t%llu\t%s\n", e->d_name, flowlog_status_name(o.seen[i].status),
                   (unsigned long long)o.records, (unsigned long long)o.seen[i].line, o.seen[i].message);
    }
    if (d)
        closedir(d);
}

int main(void)
{
    if (getenv("FLOWLOG_BAD_PROBE")) {
        probe();
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_case_fails_as_listed),
        cmocka_unit_test(every_file_is_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
