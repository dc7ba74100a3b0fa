/* Shared pieces of the flowlog command-line tool. */
#ifndef FLOWLOG_CLI_H
#define FLOWLOG_CLI_H

#include <flowlog/flowlog.h>
#include <flowlog/reader.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_follow cli_follow;

/* Options every reading command takes. */
typedef struct cli_input {
    const char *format;     /* --format, or NULL */
    long long max_line;     /* --max-line, or 0 */
    long long max_fields;   /* --max-fields, or 0 */
    long long max_envelope; /* --max-envelope, or 0 */
    long long threads;      /* --threads, or 0 (the processors the process may use) */
    bool stop_on_error;     /* --stop-on-error */
    bool stats;             /* --stats */
    bool progress;          /* --progress: at once, not after a second */
    bool streams;           /* the command writes rows as it reads (the progress line would cut them) */
    bool no_mmap;           /* --no-mmap */
    bool time_window;       /* the command takes --since/--until as the reader's window */
    int input_format;       /* --input-format: a flowlog_input_format */
    uint64_t since, until;  /* --since, --until (0: open) */
    int status;             /* the exit status bad lines and inputs call for so far (0, 1, 3) */
    cli_follow *follow;     /* --follow of streaming rows: bad lines an earlier run told are not told again */
    flowlog_schema *schema; /* compiled from format */
    flowlog_reader *reader;
} cli_input;

/* Try to take argv[*i] (and its value) as a reading option. Returns 1 when
 * taken, 0 when not an input option, -1 on a usage error (printed). */
int cli_input_option(cli_input *in, int argc, char **argv, int *i);
/* Make the reader and queue the paths. Prints errors; returns 0 or 2. */
int cli_input_open(cli_input *in, char **paths, int npaths);
/* Map large plain files from now on: for a command whose reader passes
 * over records, scanning faster than a second thread could copy them. */
void cli_input_map(cli_input *in);
/* Handle an argument that is not a command option: -h/--help, an unknown
 * option, or a path. Returns -1 to go on, else the exit status. */
int cli_other_arg(const char *cmd, const char *arg, char **paths, int *npaths, void (*usage)(FILE *));
/* Read every record into fn (bad lines are reported by the reader's error
 * handler, which cli_input_open() sets): flowlog parse's loop; the other
 * commands use the library's run calls. fn returns 0 to go on, anything
 * else to stop reading. Returns the status so far (in->status). */
typedef int (*cli_record_fn)(void *ctx, flowlog_record *rec, const flowlog_reader *r);
int cli_read_all(cli_input *in, cli_record_fn fn, void *ctx);
/* The exit status the inputs call for, given the status so far: 3 when an
 * input could not be opened or read to its end, else 1 when lines were
 * bad (or status says so), else status. */
int cli_input_status(const cli_input *in, int status);
/* Say that memory ran out; returns the exit status for it, 3. */
int cli_out_of_memory(const char *cmd);
#if defined(__GNUC__) || defined(__clang__)
#  define FLOWLOG__CLI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define FLOWLOG__CLI_UNLIKELY(x) (x)
#endif
/* Print --stats and free the reader. */
void cli_input_close(cli_input *in);

/* --follow of streaming rows (cli_follow.c): what earlier runs gave of each
 * file. cli_follow_check before a run forgets files replaced or cut;
 * cli_follow_seen says whether the reader's current record or bad line was
 * given by an earlier run; cli_follow_update after a run (-1: out of memory). */
cli_follow *cli_follow_new(void);
void cli_follow_free(cli_follow *f);
void cli_follow_check(cli_follow *f);
bool cli_follow_seen(cli_follow *f, const flowlog_reader *r);
int cli_follow_update(cli_follow *f, const flowlog_reader *r);

/* Text from logs made safe for a terminal (cli_escape.c): C0 and C1
 * controls, DEL and bytes that are not UTF-8 as \xHH; cut to size, on a
 * whole character. cli_escape returns the length written. */
size_t cli_escape(const char *s, size_t len, char *out, size_t cap, bool keep_newlines);
const char *cli_printable(const char *s, char *buf, size_t size);
void cli_print_text(FILE *f, const char *s, size_t len, bool keep_newlines);

/* Terminal manners (cli_term.c). cli_term_options takes --color
 * auto|always|never and --quiet out of argv (every command has them);
 * 0, or 2 for a bad value. cli_paint gives the escape of a style ("bad",
 * "good", "warn", "head", "end"), or "" when colour is off. The progress
 * line shows on a terminal only, after a second of work (at once when
 * forced), not with --quiet, not where streamed rows go to the same
 * terminal; cli_progress_clear erases it before other output. */
int cli_term_options(int *argc, char **argv);
extern bool cli_quiet;
bool cli_color(void);
const char *cli_paint(const char *style);
const char *cli_verdict_style(int verdict);
void cli_progress_start(flowlog_reader *r, bool forced, bool output_streams);
void cli_progress_clear(void);

/* JSON output into a stdio stream. */
void json_string(FILE *f, const char *s, size_t len);

/* Times on the command line (cli_time.c): Unix seconds, ISO 8601 with an
 * offset (Z, +05:30), `now`, or a time before now (30s, 15m, 2h, 7d, 1w);
 * false for anything else. */
bool cli_parse_time(const char *s, uint64_t *out);
/* tcp, udp, icmp, icmpv6 (any case AWS prints) or a number 0-255; -1 for anything else. */
int cli_parse_protocol(const char *s);
/* A whole number of the command line, from min to max: digits only. */
bool cli_parse_number(const char *s, long long min, long long max, long long *out);
/* A size in bytes: digits, with K, M or G (KiB, MiB, GiB) after them. */
bool cli_parse_size(const char *s, long long min, long long max, long long *out);
/* A time as people read it: ISO 8601 in UTC (2024-01-02T12:00:00Z), "-" for 0. */
const char *cli_time_text(uint64_t t, char *buf, size_t n);

/* The VPC's configuration (cmd_rules.c): load a folder of AWS CLI output
 * (prints the error; returns 0 or the exit status, 3); a range LO-HI of
 * ephemeral ports; a reach's members as JSON (without braces) and as text. */
int rules_load(const char *cmd, const char *dir, flowlog_config **out);
bool rules_parse_ephemeral(const char *s, unsigned *lo, unsigned *hi);
void rules_json_members(FILE *f, const flowlog_reach *r);
void rules_text(FILE *f, const flowlog_reach *r);

/* Diagnosis output shared by a question and the sweep (cmd_diagnose.c). */
#define DIAG_COUNTERS 14 /* enum flowlog_diag_counter, 1-based */
void diag_format_time(uint64_t t, char *buf, size_t n);
void diag_json_evidence(const uint64_t counters[DIAG_COUNTERS]);
/* "complete" and "inputs" of a diagnosis or a sweep, through its accessor. */
void diag_json_inputs(size_t n, int (*get)(const void *, size_t, const char **, int *, uint64_t *, uint64_t *,
                                           const char **),
                      const void *handle, int complete);

/* `flowlog diagnose` without a question (cmd_sweep.c). */
typedef struct sweep_options {
    bool json;
    uint64_t since, until;
    long long max_conversations; /* 0: the library's default */
    long long max_memory;        /* --max-memory; 0: the library's default */
    long long top;               /* results shown; -1: all */
} sweep_options;
int diagnose_sweep(cli_input *in, char **paths, int npaths, const sweep_options *o);

int cmd_parse(int argc, char **argv);
int cmd_fields(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_explain_rules(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_query(int argc, char **argv);

#endif
