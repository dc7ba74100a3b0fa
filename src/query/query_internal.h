/* The query engine's private state, shared by query_parse.c, query_eval.c,
 * query_agg.c and query.c. Not API. */
#ifndef FLOWLOG_QUERY_INTERNAL_H
#define FLOWLOG_QUERY_INTERNAL_H

#include "../core/internal.h"

#include <stdio.h>


#define QUERY_MAX_KEYS 8
#define QUERY_MAX_COLS 64
#define QUERY_MAX_AGGS 32
#define QUERY_MAX_SORT 8
#define QUERY_SCRATCH ((size_t)64 * 1024)
#define QUERY_DENSE_KEYS 65536 /* small whole-number keys counted in an array */

typedef enum qkind {
    Q_LIT, Q_FIELD, Q_TIMESTAMP, Q_MESSAGE, Q_STREAM, Q_LOG, Q_COL, Q_NEG, Q_NOT, Q_AND, Q_OR,
    Q_CMP, Q_ARITH, Q_IN, Q_LIKE, Q_REGEX, Q_CALL, Q_AGG,
    Q_CAPTURE, /* a field the parse command made: index = the parse, op = its capture */
    Q_INCOL    /* a second stats: a column (index) of the rows the stage before gives */
} qkind;

typedef enum qop {
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD
} qop;

typedef enum qfn {
    FN_IN_SUBNET4, FN_IN_SUBNET6, FN_IN_SUBNET, FN_ISPRESENT, FN_BIN, FN_STRLEN, FN_TOUPPER,
    FN_TOLOWER, FN_CONCAT, FN_ABS, FN_FLOOR, FN_CEIL,
    FN_STRCONTAINS, FN_SUBSTR, FN_REPLACE, FN_TRIM, FN_LTRIM, FN_RTRIM, FN_COALESCE, FN_ISEMPTY,
    FN_ISBLANK, FN_ISVALIDIP, FN_ISVALIDIP4, FN_ISVALIDIP6, FN_GREATEST, FN_LEAST, FN_LOG, FN_SQRT,
    FN_FROMMILLIS, FN_TOMILLIS, FN_DATEFLOOR, FN_DATECEIL
} qfn;

typedef enum qagg {
    AGG_COUNT_ALL, AGG_COUNT, AGG_COUNT_DISTINCT, AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX,
    AGG_STDDEV, AGG_PCT, AGG_EARLIEST, AGG_LATEST, AGG_SORTS_FIRST, AGG_SORTS_LAST
} qagg;

/* The aggregates that keep more than numbers: a value picked (earliest,
 * latest, sortsFirst, sortsLast) or every value (pct). */
static inline bool flowlog__agg_keeps(qagg a)
{
    return a == AGG_PCT || a == AGG_EARLIEST || a == AGG_LATEST || a == AGG_SORTS_FIRST || a == AGG_SORTS_LAST;
}

typedef struct qexpr qexpr;
typedef struct qregex qregex; /* query_regex.c */
struct qexpr {
    qkind kind;
    int op;               /* qop, qfn or qagg */
    uint32_t field;       /* Q_FIELD */
    int ftype;            /* Q_FIELD: FLOWLOG_TYPE_* */
    int index;            /* Q_COL: column; Q_AGG: slot */
    bool negate;          /* Q_IN, Q_LIKE, Q_REGEX: `not in`, `not like` */
    flowlog_value lit;    /* Q_LIT; Q_LIKE: the text */
    qexpr *a, *b;
    qexpr **args;         /* Q_CALL arguments, Q_IN list */
    int nargs;
    qregex *re;
    flowlog_addr net;     /* subnet functions */
    unsigned prefix;
    int64_t period;       /* bin() */
    size_t off, len;      /* the source text */
    uint32_t height;      /* of the tree below it: evaluation recurses this deep */
    bool lit_valid;       /* Q_CMP `field = "text"`: the text is a value of the field's type */
};

/* The tallest expression tree a query may hold: evaluation recurses once
 * per level, and a chain like 1+1+...+1 is as tall as it is long. */
#define QUERY_MAX_HEIGHT 1000

typedef struct qcol {
    char *name;
    qexpr *expr;
    bool is_bin;
} qcol;

typedef struct qsort_key {
    qexpr *expr;
    bool desc;
} qsort_key;

/* What a keeping aggregate holds for its group, made with its first value. */
typedef struct qkept {
    flowlog_value v;      /* the value picked; its text in buf */
    int64_t t;            /* earliest, latest: the record's time */
    char *buf;
    size_t buf_cap;
    double *vals;         /* pct: every value */
    size_t nvals, vals_cap;
    bool sorted;
} qkept;

typedef struct qacc {
    int64_t isum;
    double fsum, min, max;
    double m2;            /* stddev: the sum of squared distances from the mean so far */
    uint64_t count;
    qkept *kept;          /* flowlog__agg_keeps() aggregates */
    bool floats;          /* a float was summed */
    bool times;           /* every value was a time (min and max give a time) */
} qacc;

#define QUERY_MAX_PARSES 8
#define QUERY_MAX_CAPTURES 16

/* A parse command: its source, and a glob ("* * *": the literals around
 * the stars) or a regular expression with named groups; what it captured
 * for the record being evaluated. */
typedef struct qparse {
    qexpr *source;
    qregex *re;
    const char *lit[QUERY_MAX_CAPTURES + 1];
    size_t lit_len[QUERY_MAX_CAPTURES + 1];
    int group[QUERY_MAX_CAPTURES];  /* regex: the group of each capture */
    int ncaptures;
    uint64_t done_for;              /* the record (query->record_seq) the captures are of */
    bool matched;
    const char *cap[QUERY_MAX_CAPTURES];
    size_t cap_len[QUERY_MAX_CAPTURES];
} qparse;

/* Memory that lives as long as the compiled query, or until reset. */
typedef struct qarena {
    struct qchunk *chunks;
    size_t used, cap;
    size_t total;         /* bytes of every chunk: what the arena holds of memory */
} qarena;

void *flowlog__arena_alloc(qarena *ar, const flowlog_allocator *a, size_t n);
void flowlog__arena_free(qarena *ar, const flowlog_allocator *a);

/* A distinct value seen, in one line of 64 bytes. Addresses written as
 * IPv4 and small whole numbers are packed elsewhere (query_distinct.c), so
 * the table holds the rest: text of up to 48 bytes (any IPv6 address, an
 * ENI's id) in the entry itself, which then waits its turn while its line
 * is asked for, is copied nowhere else, and is compared without reading
 * another line of memory. */
#define DISTINCT_INLINE 48

struct qdistinct {
    uint64_t hash;     /* 0: empty */
    uint32_t group;
    uint16_t agg;
    uint8_t type;      /* FLOWLOG_VALUE_* */
    uint8_t inline_len; /* text held in u.bytes: its length + 1; 0: none there */
    union {
        int64_t i;
        double f;
        struct {
            const char *s;
            uint32_t len; /* a line's field: far below 4 GiB */
        } text;
        char bytes[DISTINCT_INLINE];
    } u;
};
_Static_assert(sizeof(struct qdistinct) == 64, "an entry is one line of memory");

/* count_distinct values waiting for their probe: each one's line of the
 * table is asked for as it comes and looked at this many values later, so
 * the misses of a table far larger than the cache overlap instead of
 * following one another. */
#define QUERY_DISTINCT_AHEAD 16

#define QUERY_RADIX_SIZE 2048
#define QUERY_RADIX_DIGITS 6

/* The values count_distinct has seen (query_distinct.c): a hash table of
 * entries, and the values that pack into a word with their group, sorted. */
typedef struct qdistincts {
    struct qdistinct *table; /* open addressing */
    size_t used, cap;
    struct qdistinct ahead[QUERY_DISTINCT_AHEAD]; /* not yet in the table: ahead_n from ahead_at, around */
    unsigned ahead_n, ahead_at;
    uint64_t *packed;        /* sorted, each word once */
    size_t npacked, packed_cap;
    char *block;             /* one allocation: the sort's counts, the batch, the sort's other half */
    uint32_t (*radix_counts)[QUERY_RADIX_SIZE];
    uint64_t *batch;         /* words not yet merged */
    uint64_t *sort_tmp;
    size_t nbatch, batch_cap;
    bool batch_sorted;       /* the batch is sorted, each word once (parts' arrays, their groups renumbered) */
    bool batch_counted;      /* and its words new to the array are counted (packed_count) */
} qdistincts;

struct flowlog_query {
    flowlog_allocator alloc;
    flowlog__error err;
    bool compiled;
    uint64_t text_hash;   /* of the query text: a state merges only into the same query */
    char *text;           /* the text, for states of the same query (threads) */
    size_t text_len;
    /* A second stats makes a second stage, fed the rows of this one; the
     * query's columns and rows are then the last stage's. */
    struct flowlog_query *next;
    const struct flowlog_query *input; /* the stage before, whose columns this one reads */
    const flowlog_value *in_row;       /* the row of it being fed */
    size_t max_groups, max_length, max_depth;
    size_t max_memory;    /* FLOWLOG_QOPT_MAX_MEMORY: bytes for groups, values and rows; 0: none */
    char *spill_dir;      /* flowlog_query_set_spill_dir(): where groups and rows go past max_memory; NULL: nowhere */
    struct qspill *spill; /* query_spill.c: the partitions and sorted runs written, NULL until the first */
    bool spill_pending;   /* max_memory was passed in the record before: write out before the next */
    size_t kept_bytes;    /* what keeping aggregates hold outside the arrays */

    qarena code;          /* compiled expressions and names */
    qregex *regexes[32];
    int nregexes;

    /* record-level part */
    qparse parses[QUERY_MAX_PARSES];
    int nparses;
    uint64_t record_seq;  /* counts the records fed: which record captures are of */
    qexpr *filters[32];
    int nfilters;
    qcol cols[QUERY_MAX_COLS];   /* output columns: fields, or stats outputs */
    int ncols;
    bool stats;
    qexpr *keys[QUERY_MAX_KEYS]; /* stats ... by */
    int nkeys;
    qagg aggs[QUERY_MAX_AGGS];
    bool counts_only;     /* stats whose every aggregate is count(*) */
    int distinct_aggs;    /* of them count_distinct */
    qexpr *agg_args[QUERY_MAX_AGGS];
    double agg_param[QUERY_MAX_AGGS]; /* pct: the percentile */
    int naggs;
    size_t nkept_values;  /* pct values kept, over every group: at most max_groups */

    /* result-level part */
    qexpr *post_filters[8];
    int npost;
    qexpr *alarm;         /* flowlog_query_set_alarm(), or NULL */
    bool alarm_held;      /* a row given satisfied it */
    bool fed;             /* a record was fed since the compile or the last reset */
    qsort_key sort[QUERY_MAX_SORT];
    int nsort;
    int64_t limit;        /* -1: none */
    int display[QUERY_MAX_COLS]; /* columns shown, in order */
    int ndisplay;
    int dedup[QUERY_MAX_COLS];   /* dedup: the columns whose combination is kept once */
    int ndedup;
    struct qseen *seen;          /* the combinations seen (query_dedup.c) */
    size_t nseen, seen_cap;

    /* evaluation */
    flowlog_record *rec;
    const char *stream;
    const char *log_group; /* @log of the records fed (flowlog_query_set_log_group) */
    char *scratch;
    size_t scratch_used;
    bool scratch_full;
    int bad;               /* a value the record gave did not convert: the status; q->err says which */
    uint64_t checked;      /* the record's typed fields (by bit) whose text was found good */
    const char *checked_ipv4_text; /* an IPv4 address checked in the record: where its text is, */
    size_t checked_ipv4_len;       /* how long (a part of it, as substr() gives, is other text), */
    uint32_t checked_ipv4;         /* and its bytes as they are in memory (network order) */
    bool running;          /* flowlog_query_run() has set up its reader */

    /* groups (stats) or kept rows (sort without stats) */
    qarena data;
    struct qslot *slots;  /* open addressing over the groups */
    uint32_t *dense;      /* counts_only, one key: the count of each small value, 0: no group
                             (past 2^32 - 2 the count goes on in the group's first accumulator) */
    uint32_t *dense_group;/* and its group + 1 */
    struct qkeyslot *keycache; /* query_keycache.c: slots of recent key bytes */
    bool keycache_on;     /* every key is a field (set at the first record grouped), and it pays */
    bool keycache_known;
    uint32_t keycache_tries, keycache_hits; /* since the last look at whether it pays */
    size_t nslots;
    flowlog_value *gkeys; /* ngroups x nkeys, or x ncols for kept rows */
    uint64_t *gfirst;     /* ngroups: record_seq of each group's first record, the order of its row */
    qacc *gaccs;          /* ngroups x naggs */
    size_t ngroups, groups_cap;   /* groups_cap: of gaccs */
    size_t gkeys_cap, gfirst_cap; /* these grow first and may get ahead */
    qdistincts distinct;  /* count_distinct: (group, agg, value) seen (query_distinct.c) */
    /* records waiting for their group (query_agg.c), when groups are many */
    struct qgroup_ahead *gahead;
    unsigned gahead_n, gahead_at;
    uint8_t gahead_fits;  /* the aggregates allow waiting: 0 not asked yet, 1 yes, 2 no */

    /* results */
    flowlog_value *rows;  /* nrows x row_width: the columns, the sort keys, the row's order (INT) */
    qarena rowtext;       /* the text of rows made from groups written out, which outlive them */
    bool streaming;       /* the rows come from sorted runs on disk (query_spill.c), not `rows` */
    bool from_groups;     /* the rows are made from the groups as they are asked for, in `rows` one at a time */
    size_t next_group;
    uint64_t stream_given;/* rows given from the runs, against the limit */
    size_t nrows, rows_cap, next_row;
    flowlog_value row[QUERY_MAX_COLS];
    bool have_row, finished, done;
    int64_t emitted;
};

/* A comparison of a text field's bytes with a string literal, which
 * evaluation does without converting anything; a missing field is false
 * either way, as with any comparison. */
static inline bool flowlog__is_text_equality(const qexpr *e)
{
    return (e->op == OP_EQ || e->op == OP_NE) && e->a->kind == Q_FIELD && e->b->kind == Q_LIT &&
           e->b->lit.type == FLOWLOG_VALUE_STRING && e->a->ftype != FLOWLOG_TYPE_UINT &&
           e->a->ftype != FLOWLOG_TYPE_TIME;
}

/* query_parse.c */
int flowlog__query_parse(flowlog_query *q, const char *text, size_t len);
/* query.c: the stage that the rest of the text (from a second stats on)
 * makes over q's rows; base is where text begins in the whole query. */
int flowlog__query_stage(flowlog_query *q, const char *text, size_t len, size_t base);
/* An expression over the result's columns (flowlog_query_set_alarm). */
int flowlog__query_parse_alarm(flowlog_query *q, const char *text, size_t len, qexpr **out);

/* query_eval.c */
/* Evaluate e against the current record (q->rec), or, for result-level
 * expressions, against the row in `row`. Never allocates: strings made by
 * functions go to the scratch buffer. */
void flowlog__query_eval(flowlog_query *q, const qexpr *e, const flowlog_value *row,
                         const qacc *accs, flowlog_value *out);
bool flowlog__value_truthy(const flowlog_value *v);
/* Total order used by sort: nulls, then text in natural order, then numbers. */
int flowlog__value_order(const flowlog_value *a, const flowlog_value *b);
bool flowlog__value_equal(const flowlog_value *a, const flowlog_value *b);
uint64_t flowlog__value_hash(const flowlog_value *v, uint64_t seed);

/* query_agg.c */
/* Double an open-addressing table whose elements begin with their 64-bit
 * hash, 0 in an empty one (the distinct values, dedup's combinations). */
int flowlog__table_double(flowlog_query *q, void **table, size_t *cap, size_t elem);
/* The memory the query holds for its groups, values and rows; and
 * FLOWLOG_E_LIMIT (with the message) once it passes max_memory. */
size_t flowlog__query_memory(const flowlog_query *q);
int flowlog__query_memory_check(flowlog_query *q);
/* As flowlog__query_memory_check, for memory that can be written out:
 * past max_memory with a spill directory it only sets spill_pending. */
int flowlog__query_memory_check_spill(flowlog_query *q);
uint64_t flowlog__query_keys_hash(const flowlog_value *key, int nkeys);
/* Whether the groups must be written out before the next record (or the
 * next group read back): max_memory was passed, or a table about to double
 * would pass it. */
bool flowlog__query_spill_due(const flowlog_query *q);
/* Merge what a group written out held into the group of the same keys
 * (made when absent, its first record the earlier): `in` are its
 * accumulators, their kept values in in[k].kept. */
int flowlog__query_merge_group(flowlog_query *q, flowlog_value *key, uint64_t h, uint64_t first, const qacc *in);
/* A distinct value of aggregate agg that a group written out had seen. */
int flowlog__query_merge_distinct(flowlog_query *q, flowlog_value *key, uint64_t h, uint32_t agg,
                                  const flowlog_value *v);
/* Ask for the line of the slot where a key of hash h is looked for first. */
void flowlog__query_prefetch_slot(const flowlog_query *q, uint64_t h);
/* The index of the group of key (hash h), made if new. */
int flowlog__query_group_index(flowlog_query *q, flowlog_value *key, uint64_t h, size_t *g);
/* A value of count_distinct aggregate agg merged into group g. */
int flowlog__query_merge_distinct_in(flowlog_query *q, size_t g, uint32_t agg, const flowlog_value *v);
/* q, which holds no group nor record yet, takes part's groups whole (and
 * part holds q's nothing): false when it cannot. Both settled. */
bool flowlog__query_groups_adopt(flowlog_query *q, flowlog_query *part);
/* The groups' rows after the rows there are (the filters after stats
 * applied, the sort keys and order computed); their text copied to
 * rowtext when copy_text. */
int flowlog__query_group_rows(flowlog_query *q, bool copy_text);

/* query_spill.c: groups and rows that do not fit in max_memory, in
 * temporary files of spill_dir. */
/* Write every group out to the partitions, and forget them. */
int flowlog__spill_groups(flowlog_query *q);
/* At finish: every partition read back, merged a part at a time, into rows. */
int flowlog__spill_merge(flowlog_query *q);
/* The rows held, sorted, written as a run; then forgotten. */
int flowlog__spill_rows(flowlog_query *q);
/* At finish, with runs written: the held rows become the last run and
 * the runs are merged as rows are asked for. */
int flowlog__spill_stream_begin(flowlog_query *q);
/* The next row of the merged runs (valid until the next call), or FLOWLOG_END. */
int flowlog__spill_stream_next(flowlog_query *q, const flowlog_value **row);
bool flowlog__spill_has_runs(const flowlog_query *q);
bool flowlog__spill_has_groups(const flowlog_query *q);
/* The entries a group is written as (its accumulators; a distinct value of
 * it), and one read back and merged, its first record moved by
 * first_offset: FLOWLOG_END at the end of f. A length read in an entry
 * past `limit` bytes (0: none) is corruption, found before allocating.
 * Shared with query_state.c. */
void flowlog__spill_put_group(flowlog_query *q, FILE *f, size_t g, uint64_t h);
void flowlog__spill_put_distinct(flowlog_query *q, FILE *f, uint32_t group, uint32_t agg, const flowlog_value *v,
                                 uint64_t h);
int flowlog__spill_merge_entry(flowlog_query *q, FILE *f, uint64_t first_offset, size_t limit);
uint64_t flowlog__spill_bytes(const flowlog_query *q);
void flowlog__spill_free(flowlog_query *q);

/* query.c */
size_t flowlog__row_width(const flowlog_query *q);
/* Row a before row b in the result: by the sort keys, then the row's order. */
bool flowlog__row_before(const flowlog_query *q, const flowlog_value *a, const flowlog_value *b);
/* Sort the rows held; with a limit and no dedup, keep only the first
 * `limit` of them (the rest can never be given). */
int flowlog__query_sort_held(flowlog_query *q);
/* Fold the current record into its group. */
int flowlog__query_group(flowlog_query *q);
void flowlog__query_groups_clear(flowlog_query *q);
/* Forget the records waiting for their group (a reset). */
void flowlog__query_waiting_clear(flowlog_query *q);
/* Move what the group slots counted into the groups' accumulators, and
 * the count_distinct values waiting into their table: before anything
 * reads the groups. */
int flowlog__query_groups_settle(flowlog_query *q);
/* The same for the rows of a finished query: count_distinct's values are
 * counted, not all merged (flowlog__distinct_count). */
int flowlog__query_groups_count(flowlog_query *q);
/* query_distinct.c: count_distinct aggregate agg of group g seeing v (its
 * count is right once settled); settle: every value waiting counted;
 * held: the values held (settled); none: nothing held nor waiting, nothing
 * allocated; clear: forget every value; memory: the bytes held; growth: the
 * bytes the next value may add at once. */
int flowlog__distinct_add(flowlog_query *q, uint32_t group, uint32_t agg, const flowlog_value *v);
int flowlog__distinct_settle(flowlog_query *q);
/* Every value waiting counted, not yet all held: for the rows of a
 * finished query; what reads the values held settles first. */
int flowlog__distinct_count(flowlog_query *q);
size_t flowlog__distinct_held(const flowlog_query *q);
bool flowlog__distinct_none(const flowlog_query *q);
void flowlog__distinct_clear(flowlog_query *q);
size_t flowlog__distinct_memory(const flowlog_query *q);
size_t flowlog__distinct_growth(const flowlog_query *q);
/* Every distinct value held, settled: group, aggregate and value, in turn
 * (i from 0 until it returns false). An address's text may be written to
 * text (16 bytes), where v then points. With word, a value held packed is
 * given as its word instead (v not set), else *word is 0. */
bool flowlog__query_distinct_at(const flowlog_query *q, size_t *i, uint32_t *group, uint32_t *agg,
                                flowlog_value *v, char *text, uint64_t *word);
/* Where flowlog__query_distinct_at's i comes to the packed values, after
 * those of the table. */
size_t flowlog__distinct_table_end(const flowlog_query *q);
/* A packed word of another state of the same query, for group g of q. */
int flowlog__distinct_add_word(flowlog_query *q, uint32_t group, uint64_t word);
/* Every packed word of part (settled) into q, whose groups are map[part's
 * group] - 1 (each part group mapped). */
int flowlog__distinct_absorb_packed(flowlog_query *q, const flowlog_query *part, const uint32_t *map);
int flowlog__query_limit_error(flowlog_query *q, const char *what);
/* query_keycache.c: the group slots of recent records by the bytes of
 * their key fields, when every key is a field (applies). key: where the
 * record's key fields are (false: too long to cache) and their hash; find:
 * the slot's index + 1, or 0; put: remember the slot's index; clear: forget
 * every slot (the slots moved or went). */
#define QUERY_KEYCACHE_KEY 55
typedef struct qkeybytes {
    const char *ptr[QUERY_MAX_KEYS];
    uint8_t len[QUERY_MAX_KEYS]; /* 0xff: the record has no such column */
    size_t total;                /* as the cache holds it: a length byte a field, then its bytes */
    uint64_t hash;
} qkeybytes;
bool flowlog__keycache_applies(const flowlog_query *q);
bool flowlog__keycache_key(const flowlog_query *q, qkeybytes *k);
size_t flowlog__keycache_find(const flowlog_query *q, const qkeybytes *k);
void flowlog__keycache_put(flowlog_query *q, const qkeybytes *k, size_t slot);
void flowlog__keycache_clear(flowlog_query *q);
void flowlog__keycache_free(flowlog_query *q);
size_t flowlog__keycache_memory(const flowlog_query *q);

/* query_state.c: a state of the same query, in memory, merged into q. */
int flowlog__query_absorb(flowlog_query *q, flowlog_query *part);
/* Keep a copy of v's text in the query's data arena. */
int flowlog__query_keep_value(flowlog_query *q, qarena *ar, flowlog_value *v);

/* query_dedup.c: whether row's dedup combination was seen (it is kept
 * when not); clear every combination. */
int flowlog__query_seen(flowlog_query *q, const flowlog_value *row, bool *seen);
void flowlog__query_seen_clear(flowlog_query *q);

/* query_regex.c: compile (FLOWLOG_E_QUERY with why and where), match
 * (1, 0, FLOWLOG_E_BUDGET past the work one line may take, FLOWLOG_E_NOMEM),
 * free. */
int flowlog__regex_compile(flowlog_query *q, const char *pattern, size_t n, bool icase, qregex **out, char *why,
                           size_t whysize, size_t *at);
int flowlog__regex_match(const qregex *re, const char *s, size_t n);
/* The match's groups after a match of 1: start and length of group g (-1 when it took part in none). */
int flowlog__regex_group(const qregex *re, int g, size_t *start, size_t *len);
/* The named groups: name and number of each, at most max; returns how many. */
int flowlog__regex_names(const qregex *re, const char **names, size_t *lens, int *numbers, int max);
void flowlog__regex_free(flowlog_query *q, qregex *re);

#endif
