#include "../core/internal.h"
#include "reader_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

/* Directories nested deeper than this are refused: a symlink loop would
 * otherwise recurse for ever. */
#define MAX_DEPTH 32

static bool ends_with(const char *s, size_t n, const char *end)
{
    size_t m = strlen(end);
    return n >= m && strcasecmp(s + n - m, end) == 0;
}

/* Files that `aws s3 sync` or a person leaves beside flow logs and that are
 * plainly not flow logs, by their name: read, each would only be a line of
 * errors. A file named on its own is always read. */
static bool plainly_not_logs(const char *name)
{
    static const char *const endings[] = {".md", ".txt", ".rst", ".html", ".htm", ".pdf", ".png", ".jpg",
                                          ".jpeg", ".gif", ".svg", ".sh", ".py", ".yml", ".yaml", ".toml",
                                          ".ini", ".cfg", ".xml", ".zip", ".tar"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++)
        if (ends_with(name, n, endings[i]))
            return true;
    /* README, LICENSE, MANIFEST and the like; and the VPC's configuration
     * as the AWS CLI prints it (flowlog explain-rules --config reads it) */
    return strncmp(name, "README", 6) == 0 || strncmp(name, "LICENSE", 7) == 0 || strcmp(name, "MANIFEST") == 0 ||
           (strncmp(name, "describe-", 9) == 0 && ends_with(name, n, ".json")) ||
           (strncmp(name, "get-managed-prefix-list-entries", 31) == 0 && ends_with(name, n, ".json"));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(const flowlog_allocator *al, char **names, size_t n, size_t cap)
{
    for (size_t i = 0; i < n; i++)
        if (names[i])
            FLOWLOG__FREE(al, names[i], strlen(names[i]) + 1);
    FLOWLOG__FREE(al, names, cap * sizeof *names);
}

/* Every entry of the tree is an input, in sorted order (but for hidden
 * ones and those plainly not flow logs by name, counted); one that cannot
 * be looked at (a dangling link, a link loop, one that vanished, a
 * directory that cannot be listed) is listed as failed, in its place, and
 * the walk goes on. Only running out of memory stops it. */
static int walk(flowlog_reader *r, const char *dir, int depth)
{
    const flowlog_allocator *al = &r->alloc;
    if (depth > MAX_DEPTH) {
        char why[64];
        snprintf(why, sizeof why, "directories nested more than %d deep", MAX_DEPTH);
        return flowlog__reader_queue_missing(r, dir, why, false);
    }
    DIR *d = opendir(dir);
    if (!d)
        return flowlog__reader_queue_missing(r, dir, strerror(errno), false);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = FLOWLOG_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (e->d_type != DT_DIR && plainly_not_logs(e->d_name)) {
            r->counts[FLOWLOG_COUNT_SKIPPED]++;
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **grown = al->realloc(al->ctx, names, cap * sizeof *names, ncap * sizeof *names);
            if (!grown) {
                rc = FLOWLOG_E_NOMEM;
                break;
            }
            names = grown;
            cap = ncap;
        }
        size_t len = strlen(dir) + 1 + strlen(e->d_name);
        names[n] = al->alloc(al->ctx, len + 1);
        if (!names[n]) {
            rc = FLOWLOG_E_NOMEM;
            break;
        }
        snprintf(names[n], len + 1, "%s/%s", dir, e->d_name);
        n++;
    }
    closedir(d);
    if (rc == FLOWLOG_OK && n)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; rc == FLOWLOG_OK && i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) != 0)
            rc = flowlog__reader_queue_missing(r, names[i], strerror(errno), false);
        else if (S_ISDIR(st.st_mode))
            rc = walk(r, names[i], depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = flowlog__reader_queue_file(r, names[i], (uint64_t)st.st_size);
    }
    free_names(al, names, n, cap);
    return rc;
}

int flowlog__reader_walk(flowlog_reader *r, const char *dir)
{
    return walk(r, dir, 0);
}
