/* The reader's private state, shared by reader.c, walk.c, inflate.c and
 * envelope.c. Not API. */
#ifndef FLOWLOG_READER_INTERNAL_H
#define FLOWLOG_READER_INTERNAL_H

#include "../core/internal.h"
#include "prefilter.h"

/* The prefilter's scan ahead of the reader, on a second thread, for an
 * input that lies whole in memory (scan_ahead.c). */
typedef struct flowlog__ahead flowlog__ahead;

#include <jansson.h>
#include <zlib.h>

#if FLOWLOG_HAVE_ISAL
struct inflate_state;
#endif

/* One gzip decoder. isa-l's igzip when the build has it (several times
 * faster than zlib on this data), zlib otherwise. */
typedef struct flowlog__gz {
#if FLOWLOG_HAVE_ISAL
    struct inflate_state *st;
    const flowlog_allocator *alloc;
#else
    z_stream zs;
#endif
    bool active;
    bool member_done;
} flowlog__gz;

/* The name of the decoder in use, for benchmarks and --version. */
const char *flowlog__gz_backend(void);
int flowlog__gz_init(flowlog__gz *g, const flowlog_allocator *a);
void flowlog__gz_end(flowlog__gz *g);
/* Ready for a stream of its own (after init). */
void flowlog__gz_restart(flowlog__gz *g);
/* Inflate from in into out. FLOWLOG_END when the last member ended with the
 * input; FLOWLOG_OK when more input or room is needed (see the counts). */
int flowlog__gz_inflate(flowlog__gz *g, const uint8_t *in, size_t in_len, size_t *in_used,
                        uint8_t *out, size_t out_cap, size_t *out_made, bool in_eof,
                        const char **why);

/* A decoded block handed from the decoding thread to the caller's thread.
 * The first `head` bytes of mem are room where the caller copies the
 * unfinished line of the previous block, so every line is contiguous. */
/* A block the decoding thread fills: 256 KiB (fewer hand-overs between the
 * threads than at 128 KiB, measurably, and no gain further up). Of plain
 * text, it also finds the newlines, 16 KiB at a time, while the caller
 * parses the block before: positions from each part's start, for as many
 * parts as FLOWLOG__BLOCK_NL positions hold (-1: a part not indexed). */
#define FLOWLOG__BLOCK_BODY ((size_t)1 << 18)
#define FLOWLOG__BLOCK_PART FLOWLOG__PF_CHUNK
#define FLOWLOG__BLOCK_PARTS (FLOWLOG__BLOCK_BODY / FLOWLOG__BLOCK_PART)
#define FLOWLOG__BLOCK_NL 16384

typedef struct flowlog__block {
    char *mem;
    char *data;          /* mem + head room */
    size_t len;          /* decoded bytes, after the head room */
    uint16_t *nl;        /* FLOWLOG__BLOCK_NL */
    uint32_t nl_first[FLOWLOG__BLOCK_PARTS];
    int32_t nl_count[FLOWLOG__BLOCK_PARTS];
    size_t nparts;       /* 0: no newlines found */
    uint64_t raw_bytes;  /* input bytes consumed when the block was done */
    int rc;              /* an error met after the data, or 0 */
    bool eof;
    char msg[FLOWLOG__MSG_SIZE];
} flowlog__block;

#define FLOWLOG__PIPE_BLOCKS 8

typedef struct flowlog__pipe flowlog__pipe;

/* INPUT_MISSING: a path that could not be queued (it does not exist, or
 * cannot be looked at): kept so that the account of inputs names it. */
typedef enum input_kind { INPUT_FD, INPUT_FILE, INPUT_MEMORY, INPUT_PUSH, INPUT_MISSING } input_kind;

typedef struct flowlog__input {
    input_kind kind;
    char *name;
    int fd;
    const uint8_t *mem;
    size_t mem_len;
    /* its account, final once it is closed (flowlog_reader_input()) */
    int status;          /* enum flowlog_input_status */
    uint64_t records, errors;
    char *reason;        /* why it failed, or NULL */
    /* A part of a plain-text file read on a thread of its own
     * (parallel.c): its bytes [range_start, range_end), which begin and
     * end at line starts, and the header lines in force where it begins
     * (applied in order, not counted: they are another part's lines). */
    bool ranged;
    uint64_t range_start, range_end;
    char *prologue[2];
    size_t prologue_len[2];
} flowlog__input;

/* In the order of enum flowlog_input_format. */
typedef enum input_form { FORM_DETECT, FORM_TEXT, FORM_JSON, FORM_CSV } input_form;

/* JSON nested deeper than this is refused (jansson's own limit is 2048). */
#define FLOWLOG__JSON_MAX_DEPTH 64

/* One log event list of a CloudWatch Logs JSON document being delivered. */
typedef struct flowlog__json_state {
    json_t *doc;          /* the document that owns the strings */
    json_t *events;       /* array of events, or NULL for a lone {"message"} */
    size_t index, count;
    char *stream;         /* logStream, owned */
    const char *event_stream; /* the current event's own stream (filter-log-events' logStreamName), in doc */
    const char *log_group;    /* the document's logGroup (or a query result row's @log), in doc */
    bool rows;            /* events are get-query-results rows: arrays of {field, value} */
    const char *list;     /* the events' key (logEvents, events, results), for messages */
    uint64_t line;        /* physical line where the document began */
    char *acc;            /* the document being accumulated */
    size_t acc_len, acc_cap;
    int depth;
    char open[FLOWLOG__JSON_MAX_DEPTH]; /* the brackets open at each depth */
    bool in_string, escaped;
    bool skipping;        /* the rest of a document past the size limit: counted once, not kept */
    bool reread;          /* the line fed ends the document before it: read it again, afresh */
} flowlog__json_state;

/* The reader is a pipeline, each part with its own state:
 *
 *   source (the queue, one input open: fd, mapping, memory or pushed
 *           bytes, gzip, the decoding thread)      -> decoded bytes
 *   window (the decoded bytes lines are cut from, their newlines, where the
 *           line being read is)                   -> one line
 *   frame  (text, CloudWatch JSON documents, CSV exports: a line or an
 *           event becomes one message)            -> one message
 *   scan   (the prefilter: whole chunks of plain lines judged at once, and
 *           the lines no record can come from passed over)
 *   classification (reader.c: header, blank, record, error; the schemas)
 *
 * and flowlog_reader_next() is the one loop that asks each part in turn. */

/* What the caller set (flowlog_reader_set() and the handlers). */
typedef struct flowlog__reader_options {
    size_t max_line;
    size_t max_fields;         /* FLOWLOG_OPT_MAX_FIELDS */
    size_t max_line_next;      /* set while an input was open: applies from the next */
    size_t max_envelope;
    bool stop_on_error;
    bool validate;
    bool map_files;            /* FLOWLOG_OPT_MMAP */
    int threads;               /* FLOWLOG_OPT_THREADS: 0 none, 1 as many as the processors, N at most N */
    int cpu;                   /* FLOWLOG_OPT_CPU */
    uint64_t since, until;     /* FLOWLOG_OPT_SINCE, _UNTIL (0: open) */
    int input_format;          /* FLOWLOG_OPT_INPUT_FORMAT: an input_form, FORM_DETECT by default */
    flowlog_progress_fn progress;
    void *progress_ctx;
    flowlog_error_fn on_error; /* flowlog_reader_set_error_handler() */
    void *on_error_ctx;
    uint32_t fields[FLOWLOG_READER_MAX_FIELDS]; /* flowlog_reader_set_fields(); nfields 0: every field */
    size_t nfields;
} flowlog__reader_options;

/* The source: the queue of inputs and the one open, up to decoded bytes. */
typedef struct flowlog__source {
    flowlog__input *inputs;
    size_t ninputs, inputs_cap, next_input;
    uint64_t total_bytes;

    flowlog__input *in;        /* the input being read */
    bool in_failed;            /* it could not be read to its end */
    uint64_t in_base[2];       /* records and errors counted before it */
    bool in_open, raw_eof, gz_mode, detected_gz;
    /* A push input's first bytes, fewer than its magic: held until the
     * next say whether the input is gzip (1f 8b) or Parquet (PAR1). */
    uint8_t sniff[4];
    size_t nsniff;
    size_t mem_pos;
    uint64_t range_left;       /* of a part of a file read (not mapped) */
    const uint8_t *push_ptr;
    size_t push_len, push_pos;
    bool push_ended;

    uint8_t *raw;              /* compressed bytes waiting to be inflated */
    size_t raw_cap, raw_start, raw_end;
    flowlog__gz gz;
    bool gz_finished;
    void *map;                 /* the input's mapping, when mapped */
    size_t map_len, map_trimmed;
    bool decoded_all;          /* the decoder has nothing more to give */
    uint64_t raw_total;        /* input bytes read by the decoder */
    flowlog__pipe *pipe;       /* the decoding thread, when the input uses one */
    bool piped;
    /* Parquet (read/parquet.h): the file read whole first (pq_file, while
     * pq_slurping), then given as the lines of its text twin. */
    struct flowlog__pq *pq;
    bool pq_slurping;
    uint8_t *pq_file;
    size_t pq_len, pq_cap;
} flowlog__source;

/* The window lines are cut from: [bytes + start, bytes + end), the reader's
 * own buffer, a block from the decoding thread, or the caller's memory. */
typedef struct flowlog__window {
    const char *bytes;
    size_t start, end;
    char *buf;                 /* the reader's own buffer of decoded bytes */
    size_t buf_cap;
    bool dec_eof;              /* the window holds the last bytes of the input */
    bool discarding;           /* skipping the rest of an over-long line */
    int deferred_rc;           /* a decoding error to report once the lines before it are out */
    char deferred_msg[FLOWLOG__MSG_SIZE];
    /* The newlines of the window from decoded offset nlx_base on, over
     * nlx_len bytes, found a chunk at a time (or by the decoding thread);
     * nlx_next: the first not yet passed. nlx_own is allocated with the
     * first chunk found here. */
    uint64_t nlx_base;
    size_t nlx_len, nlx_count, nlx_next;
    const uint16_t *nlx_pos;
    uint16_t *nlx_own;
    const flowlog__block *nlx_block; /* the window's block, with its newlines */
    uint64_t nlx_block_base;         /* the decoded offset of its data */
    /* where we are */
    uint64_t line_no, dec_offset, line_offset;
} flowlog__window;

/* The framing of the input: what a line is a part of. */
typedef struct flowlog__frame {
    input_form form;
    char *scratch;             /* an unquoted CSV message */
    size_t scratch_cap;
    flowlog__json_state json;
    const char *stream;        /* the CloudWatch log stream of the message */
    const char *log_group;     /* and its log group */
} flowlog__frame;

/* The scan: the prefilter's judgement of whole chunks. */
typedef struct flowlog__scan {
    bool prefilter_on;         /* flowlog_reader_set_prefilter() */
    flowlog__prefilter pf;     /* its needles, and the schema its scan was set for: */
    const flowlog_schema *pf_schema;
    /* The chunk the prefilter last judged, in decoded offsets of the input:
     * [pf_base, pf_end), its stops, the next one due, and where the lines
     * passed over before it begin. */
    bool pf_valid;
    uint64_t pf_base, pf_end, pf_pos;
    flowlog__pf_stop pf_stops[FLOWLOG__PF_STOPS];
    flowlog__pf_work *pf_work;   /* allocated with the first scan */
    /* The judgement in use: the reader's own (pf_work, pf_stops) or one
     * judged ahead on the second thread. */
    const flowlog__pf_work *pf_wk;
    const flowlog__pf_stop *pf_st;
    flowlog__ahead *ahead;     /* made with the first scan ahead */
    bool ahead_ok;             /* this input may be judged ahead */
    bool ahead_failed;         /* it could not be made: never again */
    size_t pf_nstops, pf_next;
    uint32_t pf_tail;
    bool pf_plain;             /* the line at the window's start is the last stop taken, a plain record */
    flowlog__watch_fn watch;   /* shown each record passed over (flowlog__reader_watch) */
    void *watch_ctx;
    size_t pf_passed_next;     /* the next of the chunk's passed lines to show it */
    /* The columns of the fields the consumer reads (flowlog_reader_set_fields),
     * in the schema they were found for, filled as a plain record is taken. */
    const flowlog_schema *declared_schema;
    uint8_t declared[FLOWLOG_READER_MAX_FIELDS];
    size_t ndeclared;
} flowlog__scan;

struct flowlog_reader {
    flowlog_allocator alloc;
    flowlog__error err;
    flowlog__reader_options opt;
    flowlog__source src;
    flowlog__window win;
    flowlog__frame frame;
    flowlog__scan scan;

    /* classification: the caller's (or the default) schema, those made
     * from headers, and the record lines are loaded into */
    const flowlog_schema *base;
    flowlog_schema *default_schema;
    flowlog_schema *header_vpc, *header_tgw;
    flowlog_schema *default_tgw;
    const flowlog_schema *current;
    flowlog_record *rec;
    /* The header lines in force, as text (a reader that reads parts of a
     * file keeps them, so the part after it can be checked to have
     * assumed the same): [0] the VPC one, [1] the transit gateway's, and
     * which of them was last. */
    bool keep_headers;
    char *header_text[2];
    size_t header_len[2];
    int header_last;           /* -1: none */
    bool headers_lost;         /* one could not be kept (out of memory) */
    bool last_record;          /* the last call returned a record (flowlog_reader_reject()) */
    bool stopped;
    uint64_t counts[12];
};

/* ---- the parts' calls, one section per file ---- */

/* parallel.c: the processors the process may run on (sched_getaffinity). */
int flowlog__processors(void);

/* reader.c: the framing an input's first line shows (an input_form). */
int flowlog__detect_form(const char *line, size_t len);

/* Most threads FLOWLOG_OPT_THREADS asks for. */
#define FLOWLOG__MAX_THREADS 256

/* Decoded bytes read at a time. */
#define FLOWLOG__READ_CHUNK ((size_t)256 * 1024)
/* The pages of a mapped input that every line has left are given back, so
 * the process's resident memory does not grow with the file: every
 * megabyte, so that the pages held at once by the readers of several
 * threads stay a few MB (at 4 MiB they were some 10 MB on two threads, and
 * made the peak vary by that much from run to run). */
#define FLOWLOG__MAP_TRIM_STEP ((size_t)1 << 20)

/* source.c */
/* Open the next queued input: FLOWLOG_OK, FLOWLOG_END when none is left,
 * or its error (it is then closed and failed). */
int flowlog__source_open_next(flowlog_reader *r);
/* Close the input being read and settle its account. */
void flowlog__source_close(flowlog_reader *r);
/* Mark the input being read as not read to its end, with the reader's message. */
void flowlog__source_fail(flowlog_reader *r);
/* An error that ends the input: counted, failed, closed; returns rc. */
int flowlog__source_error(flowlog_reader *r, int rc);
void flowlog__source_report_bytes(flowlog_reader *r, uint64_t raw_total);
void flowlog__source_trim_map(flowlog_reader *r);

/* window.c */
/* Bring more decoded bytes into the window. */
int flowlog__window_fill(flowlog_reader *r);
/* The next physical line of the input (without its newline). */
int flowlog__window_next_line(flowlog_reader *r, const char **line, size_t *len);
/* The first newline at or after the window's start, or NULL when the
 * window has none: from the index of the chunk it is in, made when the
 * lines reach a chunk not indexed yet. */
const char *flowlog__window_index_newlines(flowlog_reader *r);

static inline const char *flowlog__window_find_newline(flowlog_reader *r)
{
    uint64_t cur = r->win.dec_offset;
    if (FLOWLOG__LIKELY(cur >= r->win.nlx_base && cur - r->win.nlx_base < r->win.nlx_len)) {
        size_t rel = (size_t)(cur - r->win.nlx_base);
        while (r->win.nlx_next < r->win.nlx_count && r->win.nlx_pos[r->win.nlx_next] < rel)
            r->win.nlx_next++;
        if (FLOWLOG__LIKELY(r->win.nlx_next < r->win.nlx_count))
            return r->win.bytes + r->win.start + (r->win.nlx_pos[r->win.nlx_next] - rel);
        if (r->win.nlx_base + r->win.nlx_len - cur >= r->win.end - r->win.start)
            return NULL; /* no newline in what the window holds */
        /* The window holds bytes past the indexed ones: index from here. */
    }
    return flowlog__window_index_newlines(r);
}

/* Count a line into the error bucket and make its status the reader's. */
static inline int flowlog__line_error(flowlog_reader *r, int rc)
{
    r->counts[FLOWLOG_COUNT_ERRORS]++;
    return rc;
}

/* scan.c */
/* Pass over the records at the window's start the prefilter says no caller
 * needs, up to the next line one must see. */
void flowlog__scan_pass_over(flowlog_reader *r);
/* Take the record at the window's start, a line the scan found plain. */
bool flowlog__scan_take_plain(flowlog_reader *r);

/* Decode the next bytes of the input into dst: read, and inflate when the
 * content is gzip. An error may come with bytes decoded before it. Sets
 * decoded_all at the end of the input. Runs on the decoding thread when the
 * input has one, so it touches only the decoder's state and writes its
 * message to why. */
int flowlog__reader_decode(flowlog_reader *r, char *dst, size_t room, size_t *made, char *why);

/* pipe.c: the decoding thread of one input. */
/* Start it; FLOWLOG_OK, or an error after which the caller decodes itself. */
int flowlog__pipe_start(flowlog_reader *r, size_t head);
/* The next block, with the n pending bytes copied just before its data; the
 * previous block goes back to the thread. */
flowlog__block *flowlog__pipe_next(flowlog_reader *r, const char *pending, size_t n);
/* Stop the thread (it may be mid-input) and wait for it. */
void flowlog__pipe_stop(flowlog_reader *r);
void flowlog__pipe_free(flowlog_reader *r);

int flowlog__reader_queue_file(flowlog_reader *r, const char *path, uint64_t size);
/* Queue bytes [start, end) of a plain-text file, which begin and end at
 * line starts, with the header lines in force at start (either may be NULL). */
int flowlog__reader_queue_range(flowlog_reader *r, const char *path, uint64_t start, uint64_t end,
                                const char *const prologue[2], const size_t prologue_len[2]);
/* A path that cannot be read, with why: reported now (the status of
 * flowlog_reader_add_path()), or when the reading comes to it. */
int flowlog__reader_queue_missing(flowlog_reader *r, const char *path, const char *why, bool now);
int flowlog__reader_walk(flowlog_reader *r, const char *dir);

/* envelope.c */
void flowlog__json_reset(flowlog_reader *r);
/* Feed one physical line of a JSON input. Returns FLOWLOG_OK when a
 * document is ready to deliver, FLOWLOG_NEED_MORE when it needs more lines,
 * or an error. */
int flowlog__json_feed(flowlog_reader *r, const char *line, size_t len);
/* The next message of the current document: FLOWLOG_OK with the message,
 * FLOWLOG_END when the document is used up. */
int flowlog__json_next(flowlog_reader *r, const char **msg, size_t *len, size_t *index);
bool flowlog__is_csv_header(const char *line, size_t len);
/* The message of a CSV export row, unquoted into scratch when quoted. */
int flowlog__csv_message(flowlog_reader *r, const char *line, size_t len, const char **msg,
                         size_t *msg_len);


typedef struct flowlog__ahead_chunk {
    flowlog__pf_work wk;
    flowlog__pf_stop stops[FLOWLOG__PF_STOPS];
    size_t nstops;
    uint32_t tail;
    size_t judged;
    size_t at;        /* the chunk's offset in the data */
} flowlog__ahead_chunk;

int flowlog__ahead_new(flowlog__ahead **out, const flowlog_allocator *a);
/* The thread has not had a processor when the reader waited for it: judge alone. */
bool flowlog__ahead_starved(const flowlog__ahead *h);
void flowlog__ahead_free(flowlog__ahead *h);
/* Drop everything judged, and judge data[from..end) with f from now on;
 * with data NULL, judge nothing, and return once no scan reads the old
 * data (it may go away). */
void flowlog__ahead_restart(flowlog__ahead *h, const flowlog__prefilter *f, const char *data, size_t from, size_t end);
/* The judgement of the chunk at `at` of data with f, once the thread has
 * it; NULL when the thread judges something else or has stopped (restart
 * it there). Gives back the chunk taken before. */
const flowlog__ahead_chunk *flowlog__ahead_take(flowlog__ahead *h, const flowlog__prefilter *f, const char *data,
                                                size_t at);

#endif
