/* Terminal manners: colour for verdicts and headers only on a terminal
 * (off with NO_COLOR or --color never), and a progress line on stderr that
 * appears only on a terminal, only once the work has taken a second (or at
 * once with --progress), is silenced by --quiet, and is erased before
 * anything else is written. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int color_mode = -1; /* -1 auto, 0 never, 1 always */
bool cli_quiet;
static bool progress_shown;

int cli_term_options(int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            cli_quiet = true;
            continue;
        }
        if (!strncmp(a, "--color=", 8) || !strncmp(a, "--colour=", 9))
            v = strchr(a, '=') + 1;
        else if ((!strcmp(a, "--color") || !strcmp(a, "--colour")) && i + 1 < *argc)
            v = argv[++i];
        if (v) {
            if (!strcmp(v, "auto"))
                color_mode = -1;
            else if (!strcmp(v, "always"))
                color_mode = 1;
            else if (!strcmp(v, "never"))
                color_mode = 0;
            else {
                fprintf(stderr, "flowlog: --color takes auto, always or never\n");
                return 2;
            }
            continue;
        }
        argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

bool cli_color(void)
{
    static int decided = -1;
    if (decided < 0) {
        const char *no = getenv("NO_COLOR");
        const char *term = getenv("TERM");
        decided = color_mode == 1 || (color_mode < 0 && !(no && *no) && isatty(1) && !(term && !strcmp(term, "dumb")));
    }
    return decided == 1;
}

const char *cli_paint(const char *style)
{
    if (!cli_color())
        return "";
    if (!strcmp(style, "bad"))
        return "\033[1;31m";
    if (!strcmp(style, "good"))
        return "\033[1;32m";
    if (!strcmp(style, "warn"))
        return "\033[1;33m";
    if (!strcmp(style, "head"))
        return "\033[1m";
    return "\033[0m";
}

const char *cli_verdict_style(int verdict)
{
    switch (verdict) {
    case FLOWLOG_VERDICT_ESTABLISHED: return "good";
    case FLOWLOG_VERDICT_INTERMITTENT:
    case FLOWLOG_VERDICT_NO_TRAFFIC: return "warn";
    default: return "bad";
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(double b, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (b >= 1000 && u < 4) {
        b /= 1000;
        u++;
    }
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

typedef struct progress {
    const flowlog_reader *reader;
    double started, drawn;
    bool forced;
} progress;

static progress the_progress;

static void draw(void *ctx, uint64_t consumed, uint64_t total)
{
    progress *p = ctx;
    double t = now_seconds(), spent = t - p->started;
    /* a second before the first line (none for quick work), then ten a second */
    if ((!p->forced && spent < 1.0) || t - p->drawn < 0.1 || !p->reader)
        return;
    p->drawn = t;
    char done[32], all[32];
    human_bytes((double)consumed, done, sizeof done);
    double records = (double)flowlog_reader_count(p->reader, FLOWLOG_COUNT_RECORDS);
    double rate = spent > 0 ? records / spent : 0;
    fprintf(stderr, "\r\033[K");
    if (total && consumed <= total) {
        human_bytes((double)total, all, sizeof all);
        double eta = consumed ? spent * (double)(total - consumed) / (double)consumed : 0;
        fprintf(stderr, "%5.1f%%  %s of %s  %.1f M records/s  ETA %.0fs", 100.0 * (double)consumed / (double)total,
                done, all, rate / 1e6, eta);
    } else {
        fprintf(stderr, "%s  %.1f M records/s", done, rate / 1e6);
    }
    fflush(stderr);
    progress_shown = true;
}

void cli_progress_start(flowlog_reader *r, bool forced, bool output_streams)
{
    /* Never on a pipe, and not where the rows stream to the same terminal. */
    if (cli_quiet || !isatty(2) || (output_streams && isatty(1)))
        return;
    the_progress = (progress){r, now_seconds(), 0, forced};
    (void)flowlog_reader_set_progress(r, draw, &the_progress);
}

void cli_progress_clear(void)
{
    if (progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        progress_shown = false;
    }
}
