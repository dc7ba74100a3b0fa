#include "../read/parallel.h"
#include "diag_internal.h"
#include "ledger.h"
#include "serial.h"

#include <flowlog/diag.h>
#include <flowlog/sweep.h>

#include <stdint.h>
#include <stdlib.h>

/* Conversations live in fixed chunks so that growing never moves them (no
 * realloc peak of old + new); an open-addressing index of 32-bit entry
 * numbers finds them. */
#define CHUNK_SHIFT 12
#define CHUNK ((size_t)1 << CHUNK_SHIFT)
#define DEFAULT_MAX_CONVERSATIONS 1000000
#define DEFAULT_MAX_MEMORY ((int64_t)256 << 20)
#define MIN_MAX_MEMORY ((int64_t)1 << 20)
/* A part of a file on a thread holds its records' sightings (80 bytes
 * for a record of some 120 of text), not a table: this much text makes at
 * most a few MB of them, and the parts held at once add little to the
 * peak. */
#define SWEEP_PART_BYTES ((uint64_t)4 << 20)

/* What makes a conversation one, and its hash. */
typedef struct conv_key {
    uint8_t client[16], server[16]; /* when undecided: the two ends in address order */
    uint8_t family, protocol;
    uint16_t port;
    uint8_t undecided; /* the records did not say who is the client: the first sender is */
    uint32_t hash;
} conv_key;

typedef struct conversation {
    conv_key k;
    uint8_t flags[2];
    uint32_t first[2], last[2];
    uint64_t records[2][2], packets[2][2], bytes[2][2]; /* [direction][reject] */
} conversation;

/* What is put into the table: one record's evidence, in a line and a
 * quarter where its conversation takes two and a half, or a part's whole
 * conversation being merged. */
typedef struct sighting {
    conv_key k;
    uint8_t dir, reject, flags;
    uint32_t first, last;
    uint64_t packets, bytes;
    const conversation *whole; /* not NULL: its evidence, not the fields above */
} sighting;

/* A conversation in the order of the sweep's rows: packets, most first,
 * then family, client, server, port, protocol and whether undecided. The
 * order after packets is also packed in key (the whole of it for IPv4,
 * then exact; the first bytes of the client for IPv6): most comparisons
 * end there, without reading the conversation, which is far away in
 * memory and would be read at random. */
typedef struct ranked {
    uint64_t packets;
    uint64_t key[2];
    const conversation *c;
    unsigned swapped : 1; /* an undecided conversation whose second end sent first */
    unsigned exact : 1;
    int verdict : 16;
} ranked;

struct flowlog_sweep {
    flowlog_allocator alloc;
    uint64_t since, until;
    uint64_t max_conversations;
    size_t max_memory;
    conversation **chunks;
    size_t nchunks, chunk_cap;
    /* entry number + 1 (0: empty) in the low half, the key's hash in the
     * high half: a probe reads an entry only when the hashes agree */
    uint64_t *slots;
    size_t nslots;
    uint64_t n, dropped;
    ranked *ranks;
    size_t nranks, ranks_cap;
    bool ranked_valid;
    flowlog__ledger inputs;
    /* A part on a thread: its records' sightings in their order, put into
     * the caller's table when it merges; the table is left empty. */
    bool collects;
    sighting *seen;
    size_t nseen, seen_cap;
};

static conversation *entry(const flowlog_sweep *s, uint64_t i)
{
    return &s->chunks[i >> CHUNK_SHIFT][i & (CHUNK - 1)];
}

size_t flowlog_sweep_memory(const flowlog_sweep *s)
{
    if (!s)
        return 0;
    return sizeof *s + s->nchunks * CHUNK * sizeof(conversation) + s->chunk_cap * sizeof *s->chunks +
           s->nslots * sizeof *s->slots + s->ranks_cap * sizeof *s->ranks + s->seen_cap * sizeof *s->seen;
}

int flowlog_sweep_new(flowlog_sweep **out, const flowlog_allocator *a)
{
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    flowlog_allocator al;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_sweep *s = flowlog__calloc(&al, 1, sizeof *s);
    if (!s)
        return FLOWLOG_E_NOMEM;
    s->alloc = al;
    s->max_conversations = DEFAULT_MAX_CONVERSATIONS;
    s->max_memory = (size_t)DEFAULT_MAX_MEMORY;
    *out = s;
    return FLOWLOG_OK;
}

int flowlog_sweep_new_ex(flowlog_sweep **out, const flowlog_allocator *a, flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_sweep_new(out, a), out, a, NULL, false);
}

void flowlog_sweep_free(flowlog_sweep *s)
{
    if (!s)
        return;
    flowlog_allocator al = s->alloc;
    for (size_t i = 0; i < s->nchunks; i++)
        FLOWLOG__FREE(&al, s->chunks[i], CHUNK * sizeof(conversation));
    FLOWLOG__FREE(&al, s->chunks, s->chunk_cap * sizeof *s->chunks);
    FLOWLOG__FREE(&al, s->slots, s->nslots * sizeof *s->slots);
    FLOWLOG__FREE(&al, s->ranks, s->ranks_cap * sizeof *s->ranks);
    FLOWLOG__FREE(&al, s->seen, s->seen_cap * sizeof *s->seen);
    flowlog__ledger_free(&s->inputs, &al);
    FLOWLOG__FREE(&al, s, sizeof *s);
}

int flowlog_sweep_set(flowlog_sweep *s, int key, int64_t value)
{
    if (!s)
        return FLOWLOG_E_ARG;
    switch (key) {
    case FLOWLOG_SWEEP_OPT_MAX_CONVERSATIONS:
        if (value < 1 || value > INT32_MAX || (uint64_t)value < s->n)
            return FLOWLOG_E_RANGE;
        s->max_conversations = (uint64_t)value;
        return FLOWLOG_OK;
    case FLOWLOG_SWEEP_OPT_MAX_MEMORY:
        if (value < MIN_MAX_MEMORY || (uint64_t)value > SIZE_MAX / 2 || (size_t)value < flowlog_sweep_memory(s))
            return FLOWLOG_E_RANGE;
        s->max_memory = (size_t)value;
        return FLOWLOG_OK;
    default:
        return FLOWLOG_E_UNSUPPORTED;
    }
}

int flowlog_sweep_set_window(flowlog_sweep *s, uint64_t since, uint64_t until)
{
    if (!s || (until && since > until))
        return FLOWLOG_E_ARG;
    s->since = since;
    s->until = until;
    return FLOWLOG_OK;
}

uint64_t flowlog_sweep_conversations(const flowlog_sweep *s)
{
    return s ? s->n : 0;
}

uint64_t flowlog_sweep_dropped(const flowlog_sweep *s)
{
    return s ? s->dropped : 0;
}

/* ---- the table ---- */

static uint32_t key_hash(const conv_key *k)
{
    uint64_t w[4];
    memcpy(w, k->client, 16);
    memcpy(w + 2, k->server, 16);
    uint64_t h = ((uint64_t)k->family << 40 | (uint64_t)k->protocol << 32 | (uint64_t)k->port << 8 | k->undecided) *
                 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 4; i++)
        h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32);
}

static bool key_equal(const conv_key *a, const conv_key *b)
{
    return a->hash == b->hash && a->port == b->port && a->protocol == b->protocol && a->family == b->family &&
           a->undecided == b->undecided && memcmp(a->client, b->client, 16) == 0 &&
           memcmp(a->server, b->server, 16) == 0;
}

/* Bytes after growing to hold n conversations: the ranking that finish will
 * need is counted in, so the cap holds to the end. */
static size_t memory_for(const flowlog_sweep *s, size_t nchunks, size_t nslots, uint64_t n)
{
    size_t chunk_ptrs = s->chunk_cap > nchunks ? s->chunk_cap : nchunks * 2;
    return sizeof *s + nchunks * CHUNK * sizeof(conversation) + chunk_ptrs * sizeof *s->chunks +
           nslots * sizeof *s->slots + (size_t)n * sizeof(ranked);
}

static inline uint64_t slot_of(uint64_t index, uint32_t hash)
{
    return (uint64_t)hash << 32 | (index + 1);
}

static int grow_slots(flowlog_sweep *s)
{
    size_t nslots = s->nslots ? s->nslots * 2 : 1024;
    /* While rehashing, the old and the new index are both alive. */
    if (memory_for(s, s->nchunks, nslots + s->nslots, s->n + 1) > s->max_memory || nslots > (size_t)UINT32_MAX)
        return FLOWLOG_E_LIMIT;
    uint64_t *slots = flowlog__calloc_table(&s->alloc, nslots, sizeof *slots);
    if (!slots)
        return FLOWLOG_E_NOMEM;
    for (uint64_t i = 0; i < s->n; i++) {
        uint32_t h = entry(s, i)->k.hash;
        size_t j = h & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = slot_of(i, h);
    }
    FLOWLOG__FREE(&s->alloc, s->slots, s->nslots * sizeof *s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return FLOWLOG_OK;
}

static int add_chunk(flowlog_sweep *s)
{
    if (memory_for(s, s->nchunks + 1, s->nslots, s->n + 1) > s->max_memory)
        return FLOWLOG_E_LIMIT;
    if (s->nchunks == s->chunk_cap) {
        size_t cap = s->chunk_cap ? s->chunk_cap * 2 : 16;
        conversation **chunks = s->alloc.realloc(s->alloc.ctx, s->chunks, s->chunk_cap * sizeof *chunks,
                                                 cap * sizeof *chunks);
        if (!chunks)
            return FLOWLOG_E_NOMEM;
        s->chunks = chunks;
        s->chunk_cap = cap;
    }
    conversation *c = s->alloc.alloc(s->alloc.ctx, CHUNK * sizeof *c);
    if (!c)
        return FLOWLOG_E_NOMEM;
    s->chunks[s->nchunks++] = c;
    return FLOWLOG_OK;
}

/* Find the conversation of key k or add it. NULL when it does not fit:
 * *rc says whether a cap (FLOWLOG_E_LIMIT) or memory (FLOWLOG_E_NOMEM)
 * stopped it. */
static conversation *find_or_add(flowlog_sweep *s, const conv_key *k, int *rc)
{
    if (s->nslots) {
        size_t j = k->hash & (s->nslots - 1);
        uint64_t tag = slot_of(0, k->hash) & ~(uint64_t)UINT32_MAX;
        for (uint64_t e; (e = s->slots[j]) != 0; j = (j + 1) & (s->nslots - 1)) {
            if ((e & ~(uint64_t)UINT32_MAX) != tag)
                continue;
            conversation *c = entry(s, (uint32_t)e - 1);
            if (key_equal(&c->k, k))
                return c;
        }
    }
    if (s->n >= s->max_conversations) {
        *rc = FLOWLOG_E_LIMIT;
        return NULL;
    }
    if ((s->n + 1) * 2 > s->nslots && (*rc = grow_slots(s)) < 0)
        return NULL;
    if (s->n == s->nchunks * CHUNK && (*rc = add_chunk(s)) < 0)
        return NULL;
    conversation *c = entry(s, s->n);
    memset(c, 0, sizeof *c);
    c->k = *k;
    size_t j = k->hash & (s->nslots - 1);
    while (s->slots[j])
        j = (j + 1) & (s->nslots - 1);
    s->slots[j] = slot_of(s->n, k->hash);
    s->n++;
    s->ranked_valid = false;
    return c;
}

static uint32_t clamp32(uint64_t t)
{
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* Direction d's flags and times take in others' (a first time of 0: none). */
static void widen(conversation *c, int d, uint8_t flags, uint32_t first, uint32_t last)
{
    c->flags[d] |= flags;
    if (first && (!c->first[d] || first < c->first[d]))
        c->first[d] = first;
    if (last > c->last[d])
        c->last[d] = last;
}

static void add_evidence(conversation *c, const conversation *from)
{
    for (int d = 0; d < 2; d++) {
        for (int r = 0; r < 2; r++) {
            c->records[d][r] += from->records[d][r];
            c->packets[d][r] += from->packets[d][r];
            c->bytes[d][r] += from->bytes[d][r];
        }
        widen(c, d, from->flags[d], from->first[d], from->last[d]);
    }
}

static uint64_t record_count(const conversation *c)
{
    return c->records[0][0] + c->records[0][1] + c->records[1][0] + c->records[1][1];
}

/* One record's evidence, for its direction. */
static void add_one(conversation *c, const sighting *one)
{
    int d = one->dir, r = one->reject;
    c->records[d][r]++;
    c->packets[d][r] += one->packets;
    c->bytes[d][r] += one->bytes;
    widen(c, d, one->flags, one->first, one->last);
}

static int put(flowlog_sweep *s, const sighting *one)
{
    int rc = FLOWLOG_OK;
    conversation *c = find_or_add(s, &one->k, &rc);
    if (!c) {
        s->dropped += one->whole ? record_count(one->whole) : 1;
        return rc == FLOWLOG_E_NOMEM ? FLOWLOG_E_NOMEM : FLOWLOG_OK;
    }
    if (one->whole)
        add_evidence(c, one->whole);
    else
        add_one(c, one);
    s->ranked_valid = false;
    return FLOWLOG_OK;
}

/* Which end is the server, from this record alone: 1 the destination, 0 the
 * source, -1 the record does not say. */
static int server_is_destination(int protocol, bool have_ports, uint64_t sport, uint64_t dport, bool have_flags,
                                 uint64_t flags)
{
    if (!have_ports || sport == dport)
        return -1;
    if (protocol == 6 && have_flags) {
        if ((flags & FLOWLOG_TCP_SYN_ACK) == FLOWLOG_TCP_SYN_ACK)
            return 0;
        if (flags & FLOWLOG_TCP_SYN)
            return 1;
    }
    bool src_known = sport < 1024, dst_known = dport < 1024;
    if (src_known != dst_known)
        return dst_known;
    return dport < sport;
}

/* The conversations waiting for their line of the index: each one's slot
 * is asked for as it comes and its probe made this many conversations
 * later, so that the misses of an index far larger than the cache overlap;
 * halfway, the slot is read and the entry it names asked for too. Only
 * the sweep's own loops hold conversations back, and they put every one
 * before they return. */
#define AHEAD 16

typedef struct ahead {
    sighting one[AHEAD];
    unsigned n, at;
} ahead;

/* Ask for the entry the slots name for conversation k (the first whose
 * hash agrees), its slot being in cache by now. */
static void prefetch_entry(const flowlog_sweep *s, const conv_key *k)
{
    if (!s->nslots)
        return;
    size_t j = k->hash & (s->nslots - 1);
    uint64_t tag = slot_of(0, k->hash) & ~(uint64_t)UINT32_MAX;
    for (uint64_t e; (e = s->slots[j]) != 0; j = (j + 1) & (s->nslots - 1))
        if ((e & ~(uint64_t)UINT32_MAX) == tag) {
            /* every line of it: a match reads the key, evidence adds to the counts at its end */
            const char *at = (const char *)entry(s, (uint32_t)e - 1);
            for (uintptr_t line = (uintptr_t)at & ~(uintptr_t)63; line < (uintptr_t)(at + sizeof(conversation)); line += 64)
                FLOWLOG__PREFETCH((const void *)line);
            return;
        }
}

/* The ring's next place, made free by putting the oldest when it is full
 * (*rc: put()'s status). A sighting is written there in place, not built
 * elsewhere and copied: a copy's wide loads would wait on the narrow
 * stores that built it. */
static sighting *ahead_place(flowlog_sweep *s, ahead *a, int *rc)
{
    if (a->n == AHEAD) {
        *rc = put(s, &a->one[a->at]);
        a->at = (a->at + 1) % AHEAD;
        a->n--;
    }
    return &a->one[(a->at + a->n) % AHEAD];
}

/* The sighting written at ahead_place() joins the ring. */
static void ahead_take(flowlog_sweep *s, ahead *a)
{
    if (a->n >= AHEAD / 2)
        prefetch_entry(s, &a->one[(a->at + a->n - AHEAD / 2) % AHEAD].k);
    if (s->nslots)
        FLOWLOG__PREFETCH(&s->slots[a->one[(a->at + a->n) % AHEAD].k.hash & (s->nslots - 1)]);
    a->n++;
}

/* Returns put()'s status for the conversation it put, if any. */
static int put_ahead(flowlog_sweep *s, ahead *a, const sighting *one)
{
    int rc = FLOWLOG_OK;
    *ahead_place(s, a, &rc) = *one;
    ahead_take(s, a);
    return rc;
}

/* FLOWLOG_E_NOMEM when a put failed for memory. */
static int put_all(flowlog_sweep *s, ahead *a)
{
    int rc = FLOWLOG_OK;
    for (; a->n; a->n--, a->at = (a->at + 1) % AHEAD)
        if (put(s, &a->one[a->at]) < 0)
            rc = FLOWLOG_E_NOMEM;
    return rc;
}

/* The conversation record rec adds to (1), none (0), or an error. */
static int conversation_of(const flowlog_sweep *s, flowlog_record *rec, sighting *out)
{
    /* Every value the sweep reads is checked: one that does not convert
     * makes the record an error (the accessor's status and message), which
     * counts for nothing. Absent ones ('-', NODATA) tell nothing. */
    flowlog_addr src, dst, p;
    int rc;
    if ((rc = flowlog__record_addr(rec, FLOWLOG_FIELD_SRCADDR, &src)) != FLOWLOG_OK ||
        (rc = flowlog__record_addr(rec, FLOWLOG_FIELD_DSTADDR, &dst)) != FLOWLOG_OK)
        return rc < 0 ? rc : FLOWLOG_OK;
    if ((rc = flowlog__record_addr(rec, FLOWLOG_FIELD_PKT_SRCADDR, &p)) < 0)
        return rc;
    if (rc == FLOWLOG_OK)
        src = p;
    if ((rc = flowlog__record_addr(rec, FLOWLOG_FIELD_PKT_DSTADDR, &p)) < 0)
        return rc;
    if (rc == FLOWLOG_OK)
        dst = p;
    uint64_t protocol;
    int action;
    if ((rc = flowlog__record_u64(rec, FLOWLOG_FIELD_PROTOCOL, &protocol)) != FLOWLOG_OK ||
        (rc = flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action)) != FLOWLOG_OK)
        return rc < 0 ? rc : FLOWLOG_OK;
    if (src.family != dst.family)
        return FLOWLOG_OK;
    uint64_t start = 0, end = 0;
    if ((rc = flowlog__record_u64(rec, FLOWLOG_FIELD_START, &start)) < 0 ||
        (rc = flowlog__record_u64(rec, FLOWLOG_FIELD_END, &end)) < 0)
        return rc;
    if (end < start)
        end = start;
    if ((s->since && end && end < s->since) || (s->until && start > s->until))
        return FLOWLOG_OK;
    uint64_t sport = 0, dport = 0, flags = 0, packets = 0, bytes = 0;
    int rs, rd, rf;
    if ((rs = rc = flowlog__record_u64(rec, FLOWLOG_FIELD_SRCPORT, &sport)) < 0 ||
        (rd = rc = flowlog__record_u64(rec, FLOWLOG_FIELD_DSTPORT, &dport)) < 0 ||
        (rf = rc = flowlog__record_u64(rec, FLOWLOG_FIELD_TCP_FLAGS, &flags)) < 0 ||
        (rc = flowlog__record_u64(rec, FLOWLOG_FIELD_PACKETS, &packets)) < 0 ||
        (rc = flowlog__record_u64(rec, FLOWLOG_FIELD_BYTES, &bytes)) < 0)
        return rc;
    bool have_ports = rs == FLOWLOG_OK && rd == FLOWLOG_OK, have_flags = rf == FLOWLOG_OK;

    out->k.family = src.family;
    out->k.protocol = (uint8_t)protocol;
    int server_dst = server_is_destination((int)protocol, have_ports, sport, dport, have_flags, flags);
    int dir;
    if (server_dst < 0) {
        out->k.undecided = 1;
        out->k.port = (uint16_t)(have_ports ? dport : 0);
        dir = memcmp(src.bytes, dst.bytes, 16) > 0;
        memcpy(out->k.client, dir ? dst.bytes : src.bytes, 16);
        memcpy(out->k.server, dir ? src.bytes : dst.bytes, 16);
    } else {
        dir = !server_dst;
        out->k.undecided = 0;
        out->k.port = (uint16_t)(server_dst ? dport : sport);
        memcpy(out->k.client, server_dst ? src.bytes : dst.bytes, 16);
        memcpy(out->k.server, server_dst ? dst.bytes : src.bytes, 16);
    }
    out->k.hash = key_hash(&out->k);
    out->dir = (uint8_t)dir;
    out->reject = action == FLOWLOG_ACTION_REJECT;
    out->flags = (uint8_t)(have_flags ? flags : 0);
    out->first = clamp32(start);
    out->last = clamp32(end);
    out->packets = packets;
    out->bytes = bytes;
    out->whole = NULL;
    return 1;
}

int flowlog_sweep_feed(flowlog_sweep *s, flowlog_record *rec)
{
    if (!s || !rec)
        return FLOWLOG_E_ARG;
    sighting one;
    int rc = conversation_of(s, rec, &one);
    return rc <= 0 ? rc : put(s, &one);
}

/* ---- results ---- */

static void counters(const conversation *c, int dir, uint64_t out[14])
{
    memset(out, 0, 14 * sizeof *out);
    out[FLOWLOG_DIAG_RECORDS_ACCEPT] = c->records[dir][0];
    out[FLOWLOG_DIAG_RECORDS_REJECT] = c->records[dir][1];
    out[FLOWLOG_DIAG_PACKETS_ACCEPT] = c->packets[dir][0];
    out[FLOWLOG_DIAG_PACKETS_REJECT] = c->packets[dir][1];
    out[FLOWLOG_DIAG_BYTES_ACCEPT] = c->bytes[dir][0];
    out[FLOWLOG_DIAG_BYTES_REJECT] = c->bytes[dir][1];
    out[FLOWLOG_DIAG_TCP_FLAGS] = c->flags[dir];
    out[FLOWLOG_DIAG_FIRST_TIME] = c->first[dir];
    out[FLOWLOG_DIAG_LAST_TIME] = c->last[dir];
}

/* An undecided conversation's client is the end that sent first. */
static bool swapped(const conversation *c)
{
    if (!c->k.undecided)
        return false;
    bool sent0 = c->records[0][0] | c->records[0][1], sent1 = c->records[1][0] | c->records[1][1];
    if (!sent0 || !sent1)
        return !sent0;
    return c->first[1] < c->first[0];
}

static int verdict_of(const conversation *c, bool swap)
{
    uint64_t fwd[14], rev[14];
    counters(c, swap, fwd);
    counters(c, !swap, rev);
    return flowlog__verdict(fwd, rev, c->k.protocol, false, false);
}

static bool is_problem(int verdict)
{
    return verdict == FLOWLOG_VERDICT_BLOCKED || verdict == FLOWLOG_VERDICT_RETURN_BLOCKED ||
           verdict == FLOWLOG_VERDICT_REFUSED || verdict == FLOWLOG_VERDICT_NO_RESPONSE;
}

static int compare_conversations(const ranked *a, const ranked *b)
{
    const conversation *x = a->c, *y = b->c;
    const uint8_t *xc = a->swapped ? x->k.server : x->k.client, *yc = b->swapped ? y->k.server : y->k.client;
    const uint8_t *xs = a->swapped ? x->k.client : x->k.server, *ys = b->swapped ? y->k.client : y->k.server;
    int c;
    if (x->k.family != y->k.family)
        return x->k.family < y->k.family ? -1 : 1;
    if ((c = memcmp(xc, yc, 16)) != 0 || (c = memcmp(xs, ys, 16)) != 0)
        return c;
    if (x->k.port != y->k.port)
        return x->k.port < y->k.port ? -1 : 1;
    if (x->k.protocol != y->k.protocol)
        return x->k.protocol < y->k.protocol ? -1 : 1;
    return x->k.undecided < y->k.undecided ? -1 : x->k.undecided > y->k.undecided;
}

static inline int compare_ranked(const ranked *a, const ranked *b)
{
    if (a->packets != b->packets)
        return a->packets > b->packets ? -1 : 1;
    if (a->key[0] != b->key[0])
        return a->key[0] < b->key[0] ? -1 : 1;
    if (a->key[1] != b->key[1])
        return a->key[1] < b->key[1] ? -1 : 1;
    return a->exact & b->exact ? 0 : compare_conversations(a, b);
}

static uint64_t big_endian(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* r's key from its conversation; false for an IPv4 address with bytes
 * past its four (a state read from elsewhere), whose order the key cannot
 * hold. */
static bool rank_key(ranked *r)
{
    const conversation *c = r->c;
    const uint8_t *client = r->swapped ? c->k.server : c->k.client, *server = r->swapped ? c->k.client : c->k.server;
    if (c->k.family != FLOWLOG_AF_INET) {
        r->key[0] = (uint64_t)c->k.family << 56 | big_endian(client, 7);
        r->key[1] = big_endian(client + 7, 8);
        r->exact = 0;
        return true;
    }
    uint64_t cl = big_endian(client, 4), sv = big_endian(server, 4);
    r->key[0] = (uint64_t)c->k.family << 56 | cl << 24 | sv >> 8;
    r->key[1] = (sv & 0xff) << 56 | (uint64_t)c->k.port << 40 | (uint64_t)c->k.protocol << 32 | c->k.undecided;
    r->exact = 1;
    return big_endian(client + 4, 8) == 0 && big_endian(client + 12, 4) == 0 && big_endian(server + 4, 8) == 0 &&
           big_endian(server + 12, 4) == 0;
}

/* In place, because a sort's scratch buffer would not be within the memory
 * cap (glibc's qsort allocates one as large as the array): quicksort, whose
 * passes over the array are sequential, falling back to heap sort where a
 * range splits badly too often (never worse than n log n), and insertion
 * sort for short ranges. */
static void swap_ranked(ranked *a, ranked *b)
{
    ranked t = *a;
    *a = *b;
    *b = t;
}

static void sift_down(ranked *r, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && compare_ranked(&r[child], &r[child + 1]) < 0)
            child++;
        if (compare_ranked(&r[root], &r[child]) >= 0)
            return;
        swap_ranked(&r[root], &r[child]);
    }
}

static void heap_sort(ranked *r, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(r, i, n);
    for (size_t end = n; end-- > 1;) {
        swap_ranked(&r[0], &r[end]);
        sift_down(r, 0, end);
    }
}

static void sort_range(ranked *r, size_t n, int depth)
{
    while (n > 16) {
        if (depth-- == 0) {
            heap_sort(r, n);
            return;
        }
        /* the median of the first, middle and last as the pivot, at r[0] */
        size_t m = n / 2;
        if (compare_ranked(&r[m], &r[0]) < 0)
            swap_ranked(&r[m], &r[0]);
        if (compare_ranked(&r[n - 1], &r[0]) < 0)
            swap_ranked(&r[n - 1], &r[0]);
        if (compare_ranked(&r[n - 1], &r[m]) < 0)
            swap_ranked(&r[n - 1], &r[m]);
        swap_ranked(&r[0], &r[m]);
        size_t i = 0, j = n;
        for (;;) {
            while (compare_ranked(&r[++i], &r[0]) < 0 && i < n - 1)
                ;
            while (compare_ranked(&r[0], &r[--j]) < 0)
                ;
            if (i >= j)
                break;
            swap_ranked(&r[i], &r[j]);
        }
        swap_ranked(&r[0], &r[j]);
        /* the shorter side by recursion, the longer by the loop: depth log n */
        if (j < n - j - 1) {
            sort_range(r, j, depth);
            r += j + 1;
            n -= j + 1;
        } else {
            sort_range(r + j + 1, n - j - 1, depth);
            n = j;
        }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && compare_ranked(&r[k], &r[k - 1]) < 0; k--)
            swap_ranked(&r[k], &r[k - 1]);
}

static void sort_ranked(ranked *r, size_t n)
{
    int depth = 0;
    for (size_t k = n; k > 1; k >>= 1)
        depth += 2;
    sort_range(r, n, depth);
}

int flowlog_sweep_finish(flowlog_sweep *s, size_t *count)
{
    if (!s || !count)
        return FLOWLOG_E_ARG;
    *count = 0;
    if (s->ranks_cap < s->n) {
        ranked *r = s->alloc.realloc(s->alloc.ctx, s->ranks, s->ranks_cap * sizeof *r, (size_t)s->n * sizeof *r);
        if (!r)
            return FLOWLOG_E_NOMEM;
        s->ranks = r;
        s->ranks_cap = (size_t)s->n;
    }
    s->nranks = 0;
    bool keyed = true;
    for (uint64_t i = 0; i < s->n; i++) {
        const conversation *c = entry(s, i);
        bool swap = swapped(c);
        int v = verdict_of(c, swap);
        if (!is_problem(v))
            continue;
        ranked *r = &s->ranks[s->nranks++];
        r->packets = c->packets[0][0] + c->packets[0][1] + c->packets[1][0] + c->packets[1][1];
        r->c = c;
        r->swapped = swap;
        r->verdict = v;
        keyed = rank_key(r) && keyed;
    }
    for (size_t i = 0; !keyed && i < s->nranks; i++) { /* every comparison past packets reads the conversations */
        s->ranks[i].key[0] = s->ranks[i].key[1] = 0;
        s->ranks[i].exact = 0;
    }
    sort_ranked(s->ranks, s->nranks);
    s->ranked_valid = true;
    *count = s->nranks;
    return FLOWLOG_OK;
}

int flowlog_sweep_result(const flowlog_sweep *s, size_t index, flowlog_addr *client, flowlog_addr *server,
                         unsigned *port, int *protocol, int *verdict)
{
    if (!s)
        return FLOWLOG_E_ARG;
    if (!s->ranked_valid || index >= s->nranks)
        return FLOWLOG_E_RANGE;
    const ranked *r = &s->ranks[index];
    const conversation *c = r->c;
    if (client) {
        memset(client, 0, sizeof *client);
        client->family = c->k.family;
        memcpy(client->bytes, r->swapped ? c->k.server : c->k.client, 16);
    }
    if (server) {
        memset(server, 0, sizeof *server);
        server->family = c->k.family;
        memcpy(server->bytes, r->swapped ? c->k.client : c->k.server, 16);
    }
    if (port)
        *port = c->k.port;
    if (protocol)
        *protocol = c->k.protocol;
    if (verdict)
        *verdict = r->verdict;
    return FLOWLOG_OK;
}

uint64_t flowlog_sweep_count(const flowlog_sweep *s, size_t index, int direction, int counter)
{
    if (!s || !s->ranked_valid || index >= s->nranks || direction < 0 || direction > 1 || counter < 1 ||
        counter > FLOWLOG_DIAG_LAST_TIME)
        return 0;
    uint64_t out[14];
    counters(s->ranks[index].c, direction ^ (int)s->ranks[index].swapped, out);
    return out[counter];
}

int flowlog_sweep_merge(flowlog_sweep *dst, const flowlog_sweep *src)
{
    if (!dst || !src || dst == src || dst->since != src->since || dst->until != src->until)
        return FLOWLOG_E_ARG;
    dst->dropped += src->dropped;
    int rc = flowlog__ledger_merge(&dst->inputs, &dst->alloc, &src->inputs);
    if (rc < 0)
        return rc;
    ahead a = {.n = 0};
    for (uint64_t i = 0; i < src->n; i++) {
        const conversation *c = entry(src, i);
        sighting whole = {.k = c->k, .whole = c};
        if (put_ahead(dst, &a, &whole) < 0)
            rc = FLOWLOG_E_NOMEM;
    }
    if (put_all(dst, &a) < 0)
        rc = FLOWLOG_E_NOMEM;
    return rc;
}

/* ---- serialisation: "FLSW", version, length, window, dropped, conversations, CRC-32 ---- */

#define SER_MAGIC "FLSW"
#define SER_VERSION 2 /* 2: the account of inputs follows the conversations */
#define SER_CONVERSATION 152 /* bytes per conversation */

int flowlog_sweep_serialize(const flowlog_sweep *s, void *buf, size_t size, size_t *needed)
{
    if (!s || !needed || (!buf && size))
        return FLOWLOG_E_ARG;
    flowlog__writer w = {buf, size, 0};
    flowlog__put_bytes(&w, SER_MAGIC, 4);
    flowlog__put_u64(&w, SER_VERSION);
    flowlog__put_u64(&w, 0); /* total length, sealed below */
    flowlog__put_u64(&w, s->since);
    flowlog__put_u64(&w, s->until);
    flowlog__put_u64(&w, s->dropped);
    flowlog__put_u64(&w, s->n);
    for (uint64_t i = 0; i < s->n; i++) {
        const conversation *c = entry(s, i);
        flowlog__put_bytes(&w, c->k.client, 16);
        flowlog__put_bytes(&w, c->k.server, 16);
        flowlog__put_u64(&w, (uint64_t)c->k.family | (uint64_t)c->k.protocol << 8 | (uint64_t)c->k.port << 16 |
                                 (uint64_t)c->k.undecided << 32 | (uint64_t)c->flags[0] << 40 |
                                 (uint64_t)c->flags[1] << 48);
        flowlog__put_u64(&w, (uint64_t)c->first[0] | (uint64_t)c->last[0] << 32);
        flowlog__put_u64(&w, (uint64_t)c->first[1] | (uint64_t)c->last[1] << 32);
        for (int d = 0; d < 2; d++)
            for (int r = 0; r < 2; r++) {
                flowlog__put_u64(&w, c->records[d][r]);
                flowlog__put_u64(&w, c->packets[d][r]);
                flowlog__put_u64(&w, c->bytes[d][r]);
            }
    }
    flowlog__ledger_put(&w, &s->inputs);
    return flowlog__serial_end(&w, buf, size, needed);
}

int flowlog_sweep_deserialize(flowlog_sweep **out, const void *buf, size_t len, const flowlog_allocator *a)
{
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    flowlog__reader r;
    int rc = flowlog__serial_begin(buf, len, SER_MAGIC, SER_VERSION, &r);
    if (rc < 0)
        return rc;
    uint64_t since = flowlog__get_u64(&r), until = flowlog__get_u64(&r);
    uint64_t dropped = flowlog__get_u64(&r), n = flowlog__get_u64(&r);
    /* The count is checked against the length before anything is allocated
     * for it, so hostile bytes cannot ask for more memory than they carry. */
    if (r.bad || (until && since > until) || n > (r.len - r.pos) / SER_CONVERSATION || n > INT32_MAX)
        return FLOWLOG_E_CORRUPT;
    flowlog_sweep *s;
    if ((rc = flowlog_sweep_new(&s, a)) < 0)
        return rc;
    s->since = since;
    s->until = until;
    s->dropped = dropped;
    /* n is bounded by the bytes given: load it all, then cap at what it holds. */
    if (n > s->max_conversations)
        s->max_conversations = n;
    s->max_memory = SIZE_MAX / 2;
    for (uint64_t i = 0; i < n && !r.bad && rc == FLOWLOG_OK; i++) {
        conversation c;
        memset(&c, 0, sizeof c);
        flowlog__get_bytes(&r, c.k.client, 16);
        flowlog__get_bytes(&r, c.k.server, 16);
        uint64_t key = flowlog__get_u64(&r), t0 = flowlog__get_u64(&r), t1 = flowlog__get_u64(&r);
        c.k.family = (uint8_t)key;
        c.k.protocol = (uint8_t)(key >> 8);
        c.k.port = (uint16_t)(key >> 16);
        c.k.undecided = (uint8_t)(key >> 32);
        c.flags[0] = (uint8_t)(key >> 40);
        c.flags[1] = (uint8_t)(key >> 48);
        c.first[0] = (uint32_t)t0;
        c.last[0] = (uint32_t)(t0 >> 32);
        c.first[1] = (uint32_t)t1;
        c.last[1] = (uint32_t)(t1 >> 32);
        for (int d = 0; d < 2; d++)
            for (int k = 0; k < 2; k++) {
                c.records[d][k] = flowlog__get_u64(&r);
                c.packets[d][k] = flowlog__get_u64(&r);
                c.bytes[d][k] = flowlog__get_u64(&r);
            }
        if ((c.k.family != FLOWLOG_AF_INET && c.k.family != FLOWLOG_AF_INET6) || c.k.undecided > 1 || key >> 56)
            r.bad = true;
        c.k.hash = key_hash(&c.k);
        sighting whole = {.k = c.k, .whole = &c};
        if (!r.bad)
            rc = put(s, &whole);
    }
    if (rc == FLOWLOG_OK && !r.bad)
        rc = flowlog__ledger_get(&r, &s->inputs, &s->alloc);
    if (rc == FLOWLOG_OK && (r.bad || r.pos != r.len || s->dropped != dropped))
        rc = FLOWLOG_E_CORRUPT;
    size_t held = memory_for(s, s->nchunks, s->nslots, s->n);
    s->max_memory = held > (size_t)DEFAULT_MAX_MEMORY ? held : (size_t)DEFAULT_MAX_MEMORY;
    if (rc < 0) {
        flowlog_sweep_free(s);
        return rc;
    }
    *out = s;
    return FLOWLOG_OK;
}

int flowlog_sweep_deserialize_ex(flowlog_sweep **out, const void *buf, size_t len, const flowlog_allocator *a,
                                 flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_sweep_deserialize(out, buf, len, a), out, a, NULL, false);
}

int flowlog_sweep_add_reader_inputs(flowlog_sweep *s, const flowlog_reader *r)
{
    if (!s || !r)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_add_reader(&s->inputs, &s->alloc, r);
}

int flowlog_sweep_add_input(flowlog_sweep *s, const char *name, int status, uint64_t records, uint64_t errors,
                            const char *reason)
{
    if (!s)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_add(&s->inputs, &s->alloc, name, status, records, errors, reason);
}

size_t flowlog_sweep_input_count(const flowlog_sweep *s)
{
    return s ? flowlog__ledger_count(&s->inputs) : 0;
}

int flowlog_sweep_input(const flowlog_sweep *s, size_t index, const char **name, int *status, uint64_t *records,
                        uint64_t *errors, const char **reason)
{
    if (!s)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_entry_at(&s->inputs, index, name, status, records, errors, reason);
}

int flowlog_sweep_complete(const flowlog_sweep *s)
{
    if (!s)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_complete(&s->inputs) ? 1 : 0;
}

/* Room for one more sighting in a part's list: false when its share of
 * memory cannot hold it, or memory fails. */
static int seen_room(flowlog_sweep *s)
{
    if (s->nseen < s->seen_cap)
        return FLOWLOG_OK;
    size_t cap = s->seen_cap ? s->seen_cap * 2 : 4096;
    if (flowlog_sweep_memory(s) + (cap - s->seen_cap) * sizeof *s->seen > s->max_memory)
        return FLOWLOG_E_LIMIT;
    sighting *seen = s->alloc.realloc(s->alloc.ctx, s->seen, s->seen_cap * sizeof *seen, cap * sizeof *seen);
    if (!seen)
        return FLOWLOG_E_NOMEM;
    s->seen = seen;
    s->seen_cap = cap;
    return FLOWLOG_OK;
}

/* Feed s every record of r, up to its end (FLOWLOG_OK) or a push input's
 * wait (FLOWLOG_NEED_MORE); a part that collects stops when its list
 * cannot grow. */
static int feed_reader(flowlog_sweep *s, flowlog_reader *r)
{
    int rc = flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    if (rc == FLOWLOG_OK)
        rc = flowlog_reader_set_fields(r, flowlog__diag_fields, FLOWLOG__DIAG_NFIELDS);
    if (rc < 0)
        return rc;
    ahead a = {.n = 0};
    for (;;) {
        if (s->collects && (rc = seen_room(s)) < 0)
            return rc;
        flowlog_record *rec;
        rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END || rc == FLOWLOG_NEED_MORE) {
            (void)put_all(s, &a);
            return rc == FLOWLOG_END ? FLOWLOG_OK : rc;
        }
        if (rc < 0)
            continue; /* counted, and told to the error handler */
        int put_rc = FLOWLOG_OK; /* a table that cannot grow drops it, which dropped() counts */
        sighting *place = s->collects ? &s->seen[s->nseen] : ahead_place(s, &a, &put_rc);
        int fed = conversation_of(s, rec, place);
        if (fed == 1 && s->collects)
            s->nseen++;
        else if (fed == 1)
            ahead_take(s, &a);
        else if (fed == FLOWLOG_E_MALFORMED || fed == FLOWLOG_E_OVERFLOW)
            (void)flowlog_reader_reject(r, fed, flowlog_record_error_message(rec));
    }
}

/* ---- on several threads: a sweep per part ---- */

static int part_make(void *ctx, size_t shares, void **state)
{
    const flowlog_sweep *s = ctx;
    flowlog_sweep *part;
    int rc = flowlog_sweep_new(&part, &s->alloc);
    if (rc < 0)
        return rc;
    part->since = s->since;
    part->until = s->until;
    part->collects = true;
    part->max_memory = s->max_memory / shares > MIN_MAX_MEMORY ? s->max_memory / shares : MIN_MAX_MEMORY;
    *state = part;
    return FLOWLOG_OK;
}

static int part_read(void *ctx, void *state, flowlog_reader *r)
{
    return feed_reader(state ? state : ctx, r);
}

/* The part's records go into the caller's table in their order, as one
 * pass would put them: the same conversations kept, the same dropped (a
 * table whose memory fails drops the record and goes on, as in one pass:
 * dropped() counts it). */
static int part_merge(void *ctx, void *state)
{
    flowlog_sweep *s = ctx;
    const flowlog_sweep *part = state;
    ahead a = {.n = 0};
    for (size_t i = 0; i < part->nseen; i++)
        (void)put_ahead(s, &a, &part->seen[i]);
    (void)put_all(s, &a);
    return FLOWLOG_OK;
}

static void part_drop(void *ctx, void *state)
{
    (void)ctx;
    flowlog_sweep_free(state);
}

int flowlog_sweep_run(flowlog_sweep *s, flowlog_reader *r, size_t *count)
{
    if (!s || !r || !count)
        return FLOWLOG_E_ARG;
    /* The threads read and convert; the caller's thread looks up every
     * record's conversation, once, in the order of the records. */
    const flowlog__par_ops ops = {s, part_make, part_read, part_merge, part_drop, SWEEP_PART_BYTES};
    int rc = flowlog__parallel_read(r, &ops);
    if (rc == FLOWLOG_ABSENT)
        rc = feed_reader(s, r);
    if (rc != FLOWLOG_OK)
        return rc;
    if ((rc = flowlog_sweep_add_reader_inputs(s, r)) < 0)
        return rc;
    return flowlog_sweep_finish(s, count);
}
