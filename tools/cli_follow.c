/* --follow for a query whose rows stream: each run reads the paths again,
 * and what the runs before gave is not given again (like tail -f). What an
 * input gave is counted in its records and bad lines, in the order read;
 * a record, or a bad line, whose count in its input is within what the last
 * run read of it was given then. A file replaced or cut shorter since
 * (another inode, a smaller size) starts again from nothing. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct follow_file {
    char *name;
    dev_t dev;
    ino_t ino;
    off_t size;
    uint64_t read; /* records and bad lines given */
} follow_file;

struct cli_follow {
    follow_file *files;
    size_t n, cap;
    const follow_file *last; /* the file of the last question: rows come an input at a time */
    size_t input;            /* the reader's input of the last question */
};

cli_follow *cli_follow_new(void)
{
    return calloc(1, sizeof(cli_follow));
}

void cli_follow_free(cli_follow *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->files[i].name);
    free(f->files);
    free(f);
}

static follow_file *find(cli_follow *f, const char *name)
{
    if (f->last && strcmp(f->last->name, name) == 0)
        return (follow_file *)(uintptr_t)f->last;
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->files[i].name, name) == 0)
            return &f->files[i];
    return NULL;
}

/* The reader's account of the input it is reading: inputs are read in
 * the order queued, so from the one found last time onwards. */
static bool current_input(cli_follow *f, const flowlog_reader *r, const char **name, uint64_t *given)
{
    const char *path = flowlog_reader_path(r);
    size_t n = flowlog_reader_input_count(r);
    uint64_t records, errors;
    if (!path)
        return false;
    for (size_t k = 0; k < n; k++) {
        size_t i = (f->input + k) % n;
        if (flowlog_reader_input(r, i, name, NULL, &records, &errors, NULL) == FLOWLOG_OK && *name &&
            strcmp(*name, path) == 0) {
            f->input = i;
            *given = records + errors;
            return true;
        }
    }
    return false;
}

bool cli_follow_seen(cli_follow *f, const flowlog_reader *r)
{
    const char *name;
    uint64_t given;
    if (!f || !current_input(f, r, &name, &given))
        return false;
    const follow_file *file = find(f, name);
    f->last = file;
    return file && given <= file->read;
}

int cli_follow_update(cli_follow *f, const flowlog_reader *r)
{
    f->last = NULL;
    f->input = 0;
    for (size_t i = 0; i < flowlog_reader_input_count(r); i++) {
        const char *name;
        uint64_t records, errors;
        struct stat st;
        if (flowlog_reader_input(r, i, &name, NULL, &records, &errors, NULL) != FLOWLOG_OK || !name ||
            strcmp(name, "-") == 0 || stat(name, &st) != 0)
            continue;
        follow_file *file = find(f, name);
        if (!file) {
            if (f->n == f->cap) {
                size_t cap = f->cap ? 2 * f->cap : 16;
                follow_file *grown = realloc(f->files, cap * sizeof *grown);
                if (!grown)
                    return -1;
                f->files = grown;
                f->cap = cap;
            }
            file = &f->files[f->n];
            if (!(file->name = strdup(name)))
                return -1;
            f->n++;
        }
        file->dev = st.st_dev;
        file->ino = st.st_ino;
        file->size = st.st_size;
        file->read = records + errors;
    }
    return 0;
}

void cli_follow_check(cli_follow *f)
{
    f->last = NULL;
    f->input = 0;
    for (size_t i = 0; i < f->n; i++) {
        struct stat st;
        follow_file *file = &f->files[i];
        if (stat(file->name, &st) != 0 || st.st_dev != file->dev || st.st_ino != file->ino || st.st_size < file->size)
            file->read = 0; /* gone, replaced or cut: what it holds now is new */
    }
}
