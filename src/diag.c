#include "internal.h"
#include "prefilter.h"

#include <stdio.h>
#include <sys/random.h>
#include <time.h>
#include "serial.h"

/* Table capacities: fixed at flowlog_diag_new(), so feeding never allocates.
 * A full table sets FLOWLOG_WARN_TRUNCATED. */
#define MAX_ENIS 6144      /* every ENI seen: own-address inference, NODATA/SKIPDATA counts */
#define ENI_SLOTS 8192     /* the index over them at most: a power of two, at most 3/4 full */
#define ENI_SLOTS_MIN 2048 /* the part of it in use at first; more when a quarter full, to probe little */
#define MAX_BUCKETS 4096
#define MAX_CLIENTS 256
#define MAX_ELSEWHERE 256
#define ENI_ID_MAX 47
#define NCOUNTERS 14

/* What an ENI's own address can still be: the intersection of the address
 * sets of its records. The canonical text of each candidate is kept beside
 * it, so a record that names the candidate again (nearly every record) is
 * checked with a memcmp instead of parsing two addresses. */
typedef struct own_set {
    uint8_t n; /* 0..2 candidates; 3 = nothing seen yet */
    uint8_t len[2];
    char text[2][48];
    flowlog_addr addr[2];
} own_set;

typedef struct eni_state {
    /* what every record looks at comes first, to share its cache lines */
    uint8_t idlen;
    char id[ENI_ID_MAX + 1];
    uint16_t slot;        /* its eni_key */
    own_set own;          /* from the addresses of every record */
    own_set dir_own;      /* from flow-direction: the destination of ingress, the source of egress */
    uint64_t counts[4];   /* forward accept, forward reject, reverse accept, reverse reject */
    unsigned io;
    uint64_t nodata, skipdata;
} eni_state;

/* A slot of the index over the ENIs, half a cache line: the id as three
 * overlapping words (ids of 8 to 24 bytes; longer ones are compared in
 * eni_state) and whether the ENI's own address is settled as none, which
 * is all a record that is not evidence asks of most ENIs. The index uses
 * as few slots as its ENIs need (a few hundred take a few pages, which
 * stay in the cache and its address map while a scan streams past). */
typedef struct eni_key {
    uint64_t idw[3];
    uint16_t index; /* into enis, + 1; 0: an empty slot */
    uint8_t idlen;
    uint8_t quiet;  /* 1: own.n is 0; 2: dir_own.n is 0 */
    uint32_t unused;
} eni_key;

#define QUIET_OWN 1u
#define QUIET_DIR 2u

/* What a record that names the ENI's candidates compares them with: their
 * text (8 to 16 bytes: IPv4), in the ENIs' order. A mirror of eni_state,
 * which stays the truth. */
typedef struct eni_hot {
    uint8_t n;      /* own.n */
    uint8_t len[2]; /* candidate text lengths; 0 when not mirrored */
    char text[2][16];
} eni_hot;

typedef struct bucket {
    uint64_t start;
    uint64_t packets[4];
} bucket;

typedef struct addr_count {
    flowlog_addr addr;
    uint64_t a, b;
} addr_count;

struct flowlog_diag {
    flowlog_allocator alloc;
    flowlog__error err;
    /* the question */
    bool client_any, server_any;
    flowlog_addr client_net, server_net;
    unsigned client_prefix, server_prefix;
    unsigned port_lo, port_hi;
    int protocol;
    uint64_t since, until, bucket_seconds;
    /* the evidence */
    uint64_t dir[2][NCOUNTERS];
    unsigned seen_fields;  /* bits: 1 tcp-flags, 2 pkt addresses, 4 flow-direction, 8 any matched record */
    unsigned overflow;     /* FLOWLOG_WARN_TRUNCATED when a table filled */
    eni_state *enis;       /* in order of first sight */
    eni_hot *hot;          /* beside them, in the same order */
    eni_key *slots;        /* ENI_SLOTS, open addressing by id hash */
    size_t nslots;         /* how many are in use: a power of two */
    size_t neni;
    uint16_t last_slot;    /* slot + 1 of the ENI of the previous record */
    uint64_t seed[3];      /* of hash_id(), drawn for each handle */
    bucket *buckets;       /* sorted by start */
    size_t nbuckets;
    addr_count *clients;   /* sorted by address */
    size_t nclients;
    addr_count *elsewhere; /* sorted by address */
    size_t nelsewhere;
    /* a sorted view of the involved ENIs, rebuilt when stale */
    uint32_t *involved;
    size_t ninvolved;
    bool involved_stale;
};

static const char *const verdict_names[] = {NULL, "no-traffic", "blocked", "return-blocked", "refused",
                                            "no-response", "established", "intermittent"};
static const char *const side_names[] = {"none", "client", "server", "intermediate", "unknown"};

const char *flowlog_verdict_name(int verdict)
{
    return verdict >= 1 && verdict <= 7 ? verdict_names[verdict] : NULL;
}

const char *flowlog_diag_side_name(int side)
{
    return side >= 0 && side <= 4 ? side_names[side] : NULL;
}

static int parse_endpoint(flowlog_diag *d, const char *text, bool *any, flowlog_addr *net,
                          unsigned *prefix, const char *what)
{
    if (!text || strcmp(text, "any") == 0 || strcmp(text, "*") == 0) {
        *any = true;
        return FLOWLOG_OK;
    }
    *any = false;
    if (flowlog_cidr_parse(text, strlen(text), net, prefix) != FLOWLOG_OK) {
        flowlog__error_set(&d->err, 0, -1, "%s '%s' is not an IPv4/IPv6 address or CIDR", what, text);
        return FLOWLOG_E_QUERY;
    }
    return FLOWLOG_OK;
}

void flowlog_diag_free(flowlog_diag *d)
{
    if (!d)
        return;
    flowlog_allocator al = d->alloc;
    FLOWLOG__FREE(&al, d->enis, MAX_ENIS * sizeof *d->enis);
    FLOWLOG__FREE(&al, d->hot, MAX_ENIS * sizeof *d->hot);
    FLOWLOG__FREE(&al, d->slots, ENI_SLOTS * sizeof *d->slots);
    FLOWLOG__FREE(&al, d->buckets, MAX_BUCKETS * sizeof *d->buckets);
    FLOWLOG__FREE(&al, d->clients, MAX_CLIENTS * sizeof *d->clients);
    FLOWLOG__FREE(&al, d->elsewhere, MAX_ELSEWHERE * sizeof *d->elsewhere);
    FLOWLOG__FREE(&al, d->involved, MAX_ENIS * sizeof *d->involved);
    FLOWLOG__FREE(&al, d, sizeof *d);
}

static uint64_t mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* From the kernel's random source, or where it fails, from the clock and
 * where the handle lies: not a secret worth more than that. */
static void draw_seed(flowlog_diag *d)
{
    if (getrandom(d->seed, sizeof d->seed, GRND_NONBLOCK) == (ssize_t)sizeof d->seed)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)(uintptr_t)d;
    for (int i = 0; i < 3; i++)
        d->seed[i] = x = mix64(x + 0x9e3779b97f4a7c15ull);
}

static int diag_alloc(flowlog_diag **out, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_diag *d = flowlog__calloc(&al, 1, sizeof *d);
    if (!d)
        return FLOWLOG_E_NOMEM;
    d->alloc = al;
    flowlog__error_clear(&d->err);
    d->enis = flowlog__calloc(&al, MAX_ENIS, sizeof *d->enis);
    d->hot = flowlog__calloc(&al, MAX_ENIS, sizeof *d->hot);
    d->slots = flowlog__calloc(&al, ENI_SLOTS, sizeof *d->slots);
    d->buckets = flowlog__calloc(&al, MAX_BUCKETS, sizeof *d->buckets);
    d->clients = flowlog__calloc(&al, MAX_CLIENTS, sizeof *d->clients);
    d->elsewhere = flowlog__calloc(&al, MAX_ELSEWHERE, sizeof *d->elsewhere);
    d->involved = flowlog__calloc(&al, MAX_ENIS, sizeof *d->involved);
    if (!d->enis || !d->hot || !d->slots || !d->buckets || !d->clients || !d->elsewhere || !d->involved) {
        flowlog_diag_free(d);
        return FLOWLOG_E_NOMEM;
    }
    d->bucket_seconds = 60;
    d->involved_stale = true;
    d->nslots = ENI_SLOTS_MIN;
    draw_seed(d);
    *out = d;
    return FLOWLOG_OK;
}

int flowlog_diag_new(flowlog_diag **out, const char *client, const char *server, unsigned port_lo,
                     unsigned port_hi, int protocol, const flowlog_allocator *a)
{
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    flowlog_diag *d;
    int rc = diag_alloc(&d, a);
    if (rc < 0)
        return rc;
    rc = parse_endpoint(d, client, &d->client_any, &d->client_net, &d->client_prefix, "client");
    if (rc == FLOWLOG_OK)
        rc = parse_endpoint(d, server, &d->server_any, &d->server_net, &d->server_prefix, "server");
    if (rc == FLOWLOG_OK && (port_lo > port_hi || port_hi > 65535)) {
        flowlog__error_set(&d->err, 0, -1, "port range %u-%u is not within 0-65535", port_lo, port_hi);
        rc = FLOWLOG_E_QUERY;
    }
    if (rc == FLOWLOG_OK && (protocol < 0 || protocol > 255)) {
        flowlog__error_set(&d->err, 0, -1, "protocol %d is not 0-255", protocol);
        rc = FLOWLOG_E_QUERY;
    }
    d->port_lo = port_lo;
    d->port_hi = port_hi;
    d->protocol = protocol;
    if (rc < 0) {
        flowlog_diag_free(d);
        return rc;
    }
    *out = d;
    return FLOWLOG_OK;
}

int flowlog_diag_set_window(flowlog_diag *d, uint64_t since, uint64_t until)
{
    if (!d || (until && since > until))
        return FLOWLOG_E_ARG;
    d->since = since;
    d->until = until;
    return FLOWLOG_OK;
}

int flowlog_diag_set(flowlog_diag *d, int key, int64_t value)
{
    if (!d)
        return FLOWLOG_E_ARG;
    if (key != FLOWLOG_DIAG_OPT_BUCKET_SECONDS)
        return FLOWLOG_E_UNSUPPORTED;
    if (value < 1 || value > 86400)
        return FLOWLOG_E_RANGE;
    d->bucket_seconds = (uint64_t)value;
    return FLOWLOG_OK;
}

static bool is_icmp(int protocol)
{
    return protocol == 1 || protocol == 58;
}

static bool in_endpoint(bool any, const flowlog_addr *net, unsigned prefix, const flowlog_addr *a)
{
    return any || flowlog_addr_in_cidr(a, net, prefix);
}

/* ENI ids and addresses are 8 to 24 bytes: three overlapping word loads
 * cover them, without a call or a loop (this runs for every record). */
static inline uint64_t load64(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline bool same_text(const char *a, const char *b, size_t len)
{
    if (len >= 8 && len <= 24) {
        size_t mid = len > 16 ? 8 : len - 8;
        return ((load64(a) ^ load64(b)) | (load64(a + mid) ^ load64(b + mid)) |
                (load64(a + len - 8) ^ load64(b + len - 8))) == 0;
    }
    return memcmp(a, b, len) == 0;
}

/* The ids come from the input: the hash takes a seed of the handle's, so
 * that no input can be made whose ENIs all fall on one slot (which would
 * make each record probe thousands). */
static inline uint64_t hash_id(const uint64_t seed[3], const char *s, size_t len)
{
    uint64_t h = len * 0x9e3779b97f4a7c15ull ^ seed[0];
    if (len >= 8 && len <= 24) {
        /* three products side by side, not one after another: a record's
         * lookup waits on this */
        size_t mid = len > 16 ? 8 : len - 8;
        h ^= (load64(s) ^ seed[0]) * 0xff51afd7ed558ccdull ^ (load64(s + mid) ^ seed[1]) * 0xc4ceb9fe1a85ec53ull ^
             (load64(s + len - 8) ^ seed[2]) * 0x94d049bb133111ebull;
    } else {
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    }
    return h ^ (h >> 29) ^ (h >> 47);
}

static void id_words(const char *id, size_t len, uint64_t w[3])
{
    if (len >= 8 && len <= 24) {
        size_t mid = len > 16 ? 8 : len - 8;
        w[0] = load64(id);
        w[1] = load64(id + mid);
        w[2] = load64(id + len - 8);
    } else {
        w[0] = w[1] = w[2] = 0;
    }
}

static inline bool same_id(const flowlog_diag *d, const eni_key *key, const char *id, size_t len)
{
    if (key->idlen != len)
        return false;
    if (len >= 8 && len <= 24) {
        size_t mid = len > 16 ? 8 : len - 8;
        return ((key->idw[0] ^ load64(id)) | (key->idw[1] ^ load64(id + mid)) | (key->idw[2] ^ load64(id + len - 8))) ==
               0;
    }
    return memcmp(d->enis[key->index - 1].id, id, len) == 0;
}

static uint8_t quiet_of(const eni_state *e)
{
    return (uint8_t)((e->own.n == 0 ? QUIET_OWN : 0) | (e->dir_own.n == 0 ? QUIET_DIR : 0));
}

/* Put ENI k into the first free slot from its hash's. */
static void eni_index(flowlog_diag *d, size_t k)
{
    eni_state *e = &d->enis[k];
    size_t mask = d->nslots - 1, i = (size_t)hash_id(d->seed, e->id, e->idlen) & mask;
    while (d->slots[i].index)
        i = (i + 1) & mask;
    eni_key *key = &d->slots[i];
    id_words(e->id, e->idlen, key->idw);
    key->idlen = e->idlen;
    key->index = (uint16_t)(k + 1);
    key->quiet = quiet_of(e);
    e->slot = (uint16_t)i;
}

/* The slot of an ENI by its id and hash_id() of it (the id cut to
 * ENI_ID_MAX bytes first): its own, or the empty one where it would go. */
static inline eni_key *eni_lookup(flowlog_diag *d, const char *id, size_t len, uint64_t hash)
{
    size_t mask = d->nslots - 1, i = (size_t)hash & mask;
    while (d->slots[i].index && !same_id(d, &d->slots[i], id, len))
        i = (i + 1) & mask;
    return &d->slots[i];
}

/* Find or add an ENI as eni_lookup() finds it: its index, or -1 when the
 * table is full. */
static int eni_find_hashed(flowlog_diag *d, const char *id, size_t len, uint64_t hash)
{
    const eni_key *key = eni_lookup(d, id, len, hash);
    if (key->index) {
        d->last_slot = (uint16_t)(key - d->slots + 1);
        return key->index - 1;
    }
    if (d->neni == MAX_ENIS) {
        d->overflow |= FLOWLOG_WARN_TRUNCATED;
        return -1;
    }
    size_t k = d->neni++;
    eni_state *e = &d->enis[k];
    memcpy(e->id, id, len);
    e->id[len] = '\0';
    e->idlen = (uint8_t)len;
    e->own.n = 3;
    e->dir_own.n = 3;
    d->hot[k].n = 3;
    if (d->neni > d->nslots / 4 && d->nslots < ENI_SLOTS) {
        /* More slots (the memory is there from the start): every ENI
         * again, from its id. */
        d->nslots *= 2;
        memset(d->slots, 0, d->nslots * sizeof *d->slots);
        for (size_t j = 0; j < d->neni; j++)
            eni_index(d, j);
    } else {
        eni_index(d, k);
    }
    d->last_slot = (uint16_t)(e->slot + 1);
    d->involved_stale = true;
    return (int)k;
}

static int eni_find(flowlog_diag *d, const char *id, size_t len)
{
    if (len > ENI_ID_MAX)
        len = ENI_ID_MAX;
    if (d->last_slot && same_id(d, &d->slots[d->last_slot - 1], id, len))
        return d->slots[d->last_slot - 1].index - 1;
    return eni_find_hashed(d, id, len, hash_id(d->seed, id, len));
}

static eni_state *eni_slot(flowlog_diag *d, const char *id, size_t len)
{
    int k = eni_find(d, id, len);
    return k < 0 ? NULL : &d->enis[k];
}

static bool addr_eq(const flowlog_addr *a, const flowlog_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

static int addr_cmp(const flowlog_addr *a, const flowlog_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, 16);
}

/* Intersect a set of candidate addresses (3 = not yet seen) with a set of
 * one or two: the result does not depend on the order records come in. */
static void narrow_addrs(own_set *o, const flowlog_addr *set, int n)
{
    if (o->n == 3) {
        o->n = 0;
        for (int i = 0; i < n; i++)
            if (!(i == 1 && addr_eq(&set[0], &set[1])))
                o->addr[o->n++] = set[i];
        if (o->n == 2 && addr_cmp(&o->addr[0], &o->addr[1]) > 0) {
            flowlog_addr t = o->addr[0];
            o->addr[0] = o->addr[1];
            o->addr[1] = t;
        }
    } else {
        uint8_t kept = 0;
        for (int i = 0; i < o->n; i++) {
            bool found = false;
            for (int j = 0; j < n; j++)
                found = found || addr_eq(&o->addr[i], &set[j]);
            if (found)
                o->addr[kept++] = o->addr[i];
        }
        o->n = kept;
    }
    for (int i = 0; i < o->n; i++) {
        int len = flowlog_addr_format(&o->addr[i], o->text[i], sizeof o->text[i]);
        o->len[i] = (uint8_t)(len > 0 ? len : 0);
    }
}

/* The same with the addresses as the record writes them. */
static void narrow_spans(own_set *o, const flowlog_span *set, int n)
{
    if (o->n == 0)
        return;
    if (o->n != 3) {
        bool all_named = true;
        for (int i = 0; i < o->n && all_named; i++) {
            bool found = false;
            for (int j = 0; j < n && !found; j++)
                found = set[j].len == o->len[i] && same_text(set[j].ptr, o->text[i], set[j].len);
            all_named = found;
        }
        if (all_named)
            return;
    }
    flowlog_addr addrs[2];
    for (int j = 0; j < n; j++)
        if (flowlog_addr_parse(set[j].ptr, set[j].len, &addrs[j]) != FLOWLOG_OK)
            return;
    narrow_addrs(o, addrs, n);
}

/* Copy what an ENI's own-address candidates are into where every record
 * looks. */
static void mirror_own(flowlog_diag *d, const eni_state *e)
{
    d->slots[e->slot].quiet = quiet_of(e);
    eni_hot *h = &d->hot[e - d->enis];
    h->n = e->own.n;
    for (int i = 0; i < 2; i++) {
        bool fits = i < e->own.n && e->own.n <= 2 && e->own.len[i] >= 8 && e->own.len[i] <= 16;
        h->len[i] = fits ? e->own.len[i] : 0;
        if (fits)
            memcpy(h->text[i], e->own.text[i], e->own.len[i]);
    }
}

/* Narrow an ENI's own address by a record's two addresses, from its cache
 * line when the record names every candidate (nearly always). */
static void narrow_record(flowlog_diag *d, int k, const flowlog_span pair[2])
{
    const eni_hot *h = &d->hot[k];
    if (h->n == 0)
        return;
    if (h->n <= 2) {
        bool all_named = true;
        for (int i = 0; i < h->n && all_named; i++) {
            size_t len = h->len[i];
            all_named = len && ((pair[0].len == len && same_text(pair[0].ptr, h->text[i], len)) ||
                                (pair[1].len == len && same_text(pair[1].ptr, h->text[i], len)));
        }
        if (all_named)
            return;
    }
    eni_state *e = &d->enis[k];
    narrow_spans(&e->own, pair, 2);
    mirror_own(d, e);
}

static void add_sorted(addr_count *table, size_t *n, size_t cap, const flowlog_addr *addr, uint64_t a,
                       uint64_t b, unsigned *overflow)
{
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = addr_cmp(&table[mid].addr, addr);
        if (c == 0) {
            table[mid].a += a;
            table[mid].b += b;
            return;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (*n == cap) {
        *overflow |= FLOWLOG_WARN_TRUNCATED;
        return;
    }
    memmove(&table[lo + 1], &table[lo], (*n - lo) * sizeof *table);
    table[lo].addr = *addr;
    table[lo].a = a;
    table[lo].b = b;
    (*n)++;
}

static void add_bucket(flowlog_diag *d, uint64_t start, const uint64_t packets[4])
{
    size_t lo = 0, hi = d->nbuckets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->buckets[mid].start == start) {
            for (int k = 0; k < 4; k++)
                d->buckets[mid].packets[k] += packets[k];
            return;
        }
        if (d->buckets[mid].start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (d->nbuckets == MAX_BUCKETS) {
        d->overflow |= FLOWLOG_WARN_TRUNCATED;
        return;
    }
    memmove(&d->buckets[lo + 1], &d->buckets[lo], (d->nbuckets - lo) * sizeof *d->buckets);
    d->buckets[lo].start = start;
    memcpy(d->buckets[lo].packets, packets, sizeof d->buckets[lo].packets);
    d->nbuckets++;
}

static void min_time(uint64_t *slot, uint64_t t)
{
    if (t && (*slot == 0 || t < *slot))
        *slot = t;
}

static void max_time(uint64_t *slot, uint64_t t)
{
    if (t > *slot)
        *slot = t;
}

/* A protocol number or port straight from its text: these are read for
 * every record, and are 1 to 5 digits. Anything else is not a match. */
static inline bool small_uint(const flowlog_record *rec, uint32_t field, uint64_t *out)
{
    int c = flowlog__schema_col(rec->schema, field);
    if (c < 0 || (size_t)c >= rec->n)
        return false;
    const flowlog_span *sp = flowlog__record_span(rec, (size_t)c);
    if (sp->len == 0 || sp->len > 5)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < sp->len; i++) {
        unsigned digit = (unsigned char)sp->ptr[i] - '0';
        if (digit > 9)
            return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

/* A field's text as the record holds it; false when absent or '-'. */
static inline bool field_span(const flowlog_record *rec, uint32_t field, flowlog_span *out)
{
    int c = flowlog__schema_col(rec->schema, field);
    if (c < 0 || (size_t)c >= rec->n)
        return false;
    *out = *flowlog__record_span(rec, (size_t)c);
    return !(out->len == 1 && out->ptr[0] == '-');
}

/* The slot of a record's ENI (its interface-id, or the log stream's name),
 * or -1: none, or the table is full. */
static int eni_of(flowlog_diag *d, flowlog_record *rec, const char *stream)
{
    flowlog_span id;
    if (field_span(rec, FLOWLOG_FIELD_INTERFACE_ID, &id))
        return eni_find(d, id.ptr, id.len);
    if (stream && *stream)
        return eni_find(d, stream, strlen(stream));
    return -1;
}

/* What every record tells, whatever it is about: its ENI's own address,
 * and whether it was NODATA or SKIPDATA. Returns false for a record
 * without both addresses; else gives them and the flow direction
 * (have_dir false where the format has none). */
static bool note_eni(flowlog_diag *d, flowlog_record *rec, int eni_index, flowlog_span pair[2], bool *have_dir,
                     int *direction)
{
    if (!field_span(rec, FLOWLOG_FIELD_SRCADDR, &pair[0]) || !field_span(rec, FLOWLOG_FIELD_DSTADDR, &pair[1])) {
        int status = 0;
        (void)flowlog_record_get_enum(rec, FLOWLOG_FIELD_LOG_STATUS, &status);
        if (eni_index >= 0 && status == FLOWLOG_STATUS_NODATA)
            d->enis[eni_index].nodata++;
        else if (eni_index >= 0 && status == FLOWLOG_STATUS_SKIPDATA)
            d->enis[eni_index].skipdata++;
        return false;
    }
    *direction = 0;
    *have_dir = flowlog__schema_col(rec->schema, FLOWLOG_FIELD_FLOW_DIRECTION) >= 0 &&
                flowlog_record_get_enum(rec, FLOWLOG_FIELD_FLOW_DIRECTION, direction) == FLOWLOG_OK;
    if (eni_index >= 0) {
        narrow_record(d, eni_index, pair);
        if (*have_dir) {
            eni_state *e = &d->enis[eni_index];
            uint8_t before = e->dir_own.n;
            narrow_spans(&e->dir_own, &pair[*direction == FLOWLOG_DIRECTION_INGRESS ? 1 : 0], 1);
            if (e->dir_own.n != before)
                mirror_own(d, e);
        }
    }
    return true;
}

/* Whether a line passed over, chunk[off..nl), may be NODATA or SKIPDATA,
 * where its last field is the log status: the reader drops a CR before
 * the newline and the spaces before it, and the status is one of its
 * words exactly. */
static inline bool may_lack_data(const char *chunk, size_t off, size_t nl)
{
    size_t e = nl;
    if (e > off && chunk[e - 1] == '\r')
        e--;
    while (e > off && chunk[e - 1] == ' ')
        e--;
    return e - off < 4 || memcmp(chunk + e - 4, "DATA", 4) == 0;
}

/* Records the reader passed over: they cannot be evidence (they do not
 * name the client), but each still narrows its ENI's own address. A record
 * of an ENI whose own address is settled as none has nothing more to
 * tell, unless it is NODATA or SKIPDATA: where the format ends with the log
 * status (as AWS's do) or has none, such a record is told by its last
 * bytes, and otherwise only its ENI is split out and looked up, in a loop
 * kept small for it: this runs for nearly every line of a file. Other
 * formats go the record's way. */
static void note_passed(void *ctx, const flowlog__passed *run)
{
    flowlog_diag *d = ctx;
    const flowlog_schema *s = run->schema;
    int col = flowlog__schema_col(s, FLOWLOG_FIELD_INTERFACE_ID);
    int status_col = flowlog__schema_col(s, FLOWLOG_FIELD_LOG_STATUS);
    bool dir_col = flowlog__schema_col(s, FLOWLOG_FIELD_FLOW_DIRECTION) >= 0;
    flowlog_span pair[2];
    int direction;
    bool have_dir;
    if (col < 0 || (status_col >= 0 && (size_t)status_col != s->ncols - 1)) {
        for (size_t i = 0; i < run->n; i++) {
            flowlog_record *rec = run->record(run, i);
            (void)note_eni(d, rec, eni_of(d, rec, run->stream), pair, &have_dir, &direction);
        }
        return;
    }
    const char *chunk = run->chunk;
    const flowlog__pf_passed *lines = run->lines;
    size_t n = run->n;
    unsigned settled = dir_col ? QUIET_OWN | QUIET_DIR : QUIET_OWN;
    for (size_t i = 0; i < n; i++) {
        const char *line = chunk + lines[i].off;
        flowlog_span id;
        if ((status_col < 0 || !may_lack_data(chunk, lines[i].off, lines[i].nl)) &&
            flowlog__split_field(line, flowlog__chomp(line, lines[i].nl - lines[i].off), (size_t)col, &id) &&
            !(id.len == 1 && id.ptr[0] == '-')) {
            size_t len = id.len < ENI_ID_MAX ? id.len : ENI_ID_MAX;
            const eni_key *key = eni_lookup(d, id.ptr, len, hash_id(d->seed, id.ptr, len));
            if (key->index && (key->quiet & settled) == settled)
                continue;
        }
        flowlog_record *rec = run->record(run, i);
        (void)note_eni(d, rec, eni_of(d, rec, run->stream), pair, &have_dir, &direction);
    }
}

int flowlog_diag_attach_reader(flowlog_diag *d, flowlog_reader *r)
{
    if (!d || !r)
        return FLOWLOG_E_ARG;
    /* Every record that can be evidence, or name a place the client sent
     * to instead, has the client as its (packet) source or destination,
     * written out in full; an IPv4 address has one way to be written (as
     * the reader parses it), so its text is in the line. An IPv6 address
     * has many, and a network too many addresses. */
    if (d->client_any || d->client_net.family != FLOWLOG_AF_INET || d->client_prefix < 30)
        return 0;
    size_t n = (size_t)1 << (32 - d->client_prefix);
    char text[4][16];
    flowlog_span needles[4];
    for (size_t i = 0; i < n; i++) {
        flowlog_addr a = d->client_net;
        a.bytes[3] = (uint8_t)((a.bytes[3] & ~(n - 1)) | i);
        int len = flowlog_addr_format(&a, text[i], sizeof text[i]);
        if (len <= 0)
            return 0;
        needles[i].ptr = text[i];
        needles[i].len = (size_t)len;
    }
    int rc = flowlog__reader_watch(r, needles, n, note_passed, d);
    return rc < 0 ? rc : 1;
}

int flowlog_diag_feed(flowlog_diag *d, flowlog_record *rec, const char *stream)
{
    if (!d || !rec)
        return FLOWLOG_E_ARG;
    const flowlog_schema *s = flowlog_record_schema(rec);
    /* Most records are not about the question; they are read only as far as
     * the ENI's own address needs, in text, and the protocol and ports. The
     * ENI's full state is another cache line: it is touched only when used. */
    flowlog_span pair[2];
    int eni_index = eni_of(d, rec, stream), direction;
    bool have_dir;
    if (!note_eni(d, rec, eni_index, pair, &have_dir, &direction))
        return FLOWLOG_OK;
    eni_state *eni = NULL;
    uint64_t protocol;
    if (!small_uint(rec, FLOWLOG_FIELD_PROTOCOL, &protocol) || protocol != (uint64_t)d->protocol)
        return FLOWLOG_OK;
    uint64_t sport = 0, dport = 0;
    bool icmp = is_icmp(d->protocol);
    if (!icmp && (!small_uint(rec, FLOWLOG_FIELD_SRCPORT, &sport) || !small_uint(rec, FLOWLOG_FIELD_DSTPORT, &dport)))
        return FLOWLOG_OK;
    bool port_fwd = icmp || (dport >= d->port_lo && dport <= d->port_hi);
    bool port_rev = icmp || (sport >= d->port_lo && sport <= d->port_hi);
    if (!port_fwd && !port_rev)
        return FLOWLOG_OK;
    if (eni_index >= 0)
        eni = &d->enis[eni_index];
    /* The packet-level addresses name the real endpoints behind NAT and
     * transit gateways. */
    flowlog_addr src, dst;
    if (flowlog_record_get_addr(rec, FLOWLOG_FIELD_PKT_SRCADDR, &src) != FLOWLOG_OK &&
        flowlog_addr_parse(pair[0].ptr, pair[0].len, &src) != FLOWLOG_OK)
        return FLOWLOG_OK;
    if (flowlog_record_get_addr(rec, FLOWLOG_FIELD_PKT_DSTADDR, &dst) != FLOWLOG_OK &&
        flowlog_addr_parse(pair[1].ptr, pair[1].len, &dst) != FLOWLOG_OK)
        return FLOWLOG_OK;
    uint64_t start = 0, end = 0;
    (void)flowlog_record_get_u64(rec, FLOWLOG_FIELD_START, &start);
    (void)flowlog_record_get_u64(rec, FLOWLOG_FIELD_END, &end);
    if (end < start)
        end = start;
    if ((d->since && end && end < d->since) || (d->until && start > d->until))
        return FLOWLOG_OK;

    bool src_client = in_endpoint(d->client_any, &d->client_net, d->client_prefix, &src);
    bool dst_server = in_endpoint(d->server_any, &d->server_net, d->server_prefix, &dst);
    bool src_server = in_endpoint(d->server_any, &d->server_net, d->server_prefix, &src);
    bool dst_client = in_endpoint(d->client_any, &d->client_net, d->client_prefix, &dst);
    int dir;
    if (src_client && dst_server && port_fwd)
        dir = FLOWLOG_DIAG_FORWARD;
    else if (src_server && dst_client && port_rev)
        dir = FLOWLOG_DIAG_REVERSE;
    else {
        if (src_client && port_fwd && !d->server_any)
            add_sorted(d->elsewhere, &d->nelsewhere, MAX_ELSEWHERE, &dst, 1, 0, &d->overflow);
        return FLOWLOG_OK;
    }
    int action = 0;
    if (flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action) != FLOWLOG_OK)
        return FLOWLOG_OK;
    bool reject = action == FLOWLOG_ACTION_REJECT;
    uint64_t packets = 0, bytes = 0, flags = 0;
    (void)flowlog_record_get_u64(rec, FLOWLOG_FIELD_PACKETS, &packets);
    (void)flowlog_record_get_u64(rec, FLOWLOG_FIELD_BYTES, &bytes);
    if (flowlog_record_get_u64(rec, FLOWLOG_FIELD_TCP_FLAGS, &flags) == FLOWLOG_OK)
        d->dir[dir][FLOWLOG_DIAG_TCP_FLAGS] |= flags;
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_TCP_FLAGS) >= 0)
        d->seen_fields |= 1;
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_PKT_SRCADDR) >= 0 &&
        flowlog_schema_field_column(s, FLOWLOG_FIELD_PKT_DSTADDR) >= 0)
        d->seen_fields |= 2;
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_FLOW_DIRECTION) >= 0)
        d->seen_fields |= 4;
    d->seen_fields |= 8;

    uint64_t *c = d->dir[dir];
    c[reject ? FLOWLOG_DIAG_RECORDS_REJECT : FLOWLOG_DIAG_RECORDS_ACCEPT]++;
    c[reject ? FLOWLOG_DIAG_PACKETS_REJECT : FLOWLOG_DIAG_PACKETS_ACCEPT] += packets;
    c[reject ? FLOWLOG_DIAG_BYTES_REJECT : FLOWLOG_DIAG_BYTES_ACCEPT] += bytes;
    min_time(&c[FLOWLOG_DIAG_FIRST_TIME], start);
    max_time(&c[FLOWLOG_DIAG_LAST_TIME], end);
    min_time(&c[reject ? FLOWLOG_DIAG_FIRST_REJECT : FLOWLOG_DIAG_FIRST_ACCEPT], start);
    max_time(&c[reject ? FLOWLOG_DIAG_LAST_REJECT : FLOWLOG_DIAG_LAST_ACCEPT], end);
    if (eni) {
        eni->counts[dir * 2 + (reject ? 1 : 0)]++;
        if (have_dir)
            eni->io |= direction == FLOWLOG_DIRECTION_INGRESS ? 1u : 2u;
        d->involved_stale = true;
    }
    uint64_t p4[4] = {0, 0, 0, 0};
    p4[dir * 2 + (reject ? 1 : 0)] = packets ? packets : 1;
    add_bucket(d, start - start % d->bucket_seconds, p4);
    if (dir == FLOWLOG_DIAG_FORWARD)
        add_sorted(d->clients, &d->nclients, MAX_CLIENTS, &src, reject ? 0 : 1, reject ? 1 : 0, &d->overflow);
    return FLOWLOG_OK;
}

static bool is_private_v4(const flowlog_addr *a)
{
    const uint8_t *b = a->bytes;
    return a->family == FLOWLOG_AF_INET &&
           (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
            (b[0] == 100 && (b[1] & 0xc0) == 64));
}

/* The endpoint an ENI belongs to, from its own address. */
static int eni_side(const flowlog_diag *d, const eni_state *e)
{
    const flowlog_addr *own = NULL;
    const own_set *o = &e->own;
    if (o->n == 1)
        own = &o->addr[0];
    else if (e->dir_own.n == 1)
        own = &e->dir_own.addr[0];
    else if (o->n == 2 && is_private_v4(&o->addr[0]) != is_private_v4(&o->addr[1]))
        /* An ENI's IPv4 address in its records is always its private one. */
        own = is_private_v4(&o->addr[0]) ? &o->addr[0] : &o->addr[1];
    if (!own)
        return FLOWLOG_SIDE_UNKNOWN;
    bool server = !d->server_any && flowlog_addr_in_cidr(own, &d->server_net, d->server_prefix);
    bool client = !d->client_any && flowlog_addr_in_cidr(own, &d->client_net, d->client_prefix);
    if (server && !client)
        return FLOWLOG_SIDE_SERVER;
    if (client && !server)
        return FLOWLOG_SIDE_CLIENT;
    if (d->client_any && !server)
        return FLOWLOG_SIDE_CLIENT;
    if (d->server_any && !client)
        return FLOWLOG_SIDE_SERVER;
    return server ? FLOWLOG_SIDE_UNKNOWN : FLOWLOG_SIDE_INTERMEDIATE;
}

static int compare_eni(const void *a, const void *b, const eni_state *enis)
{
    return strcmp(enis[*(const uint32_t *)a].id, enis[*(const uint32_t *)b].id);
}

static void refresh_involved(const flowlog_diag *cd)
{
    flowlog_diag *d = (flowlog_diag *)(uintptr_t)cd; /* a cache, not state */
    if (!d->involved_stale)
        return;
    d->ninvolved = 0;
    for (uint32_t i = 0; i < d->neni; i++) {
        const eni_state *e = &d->enis[i];
        if ((e->counts[0] | e->counts[1] | e->counts[2] | e->counts[3]))
            d->involved[d->ninvolved++] = i;
    }
    /* insertion sort: few ENIs carry one conversation */
    for (size_t i = 1; i < d->ninvolved; i++)
        for (size_t j = i; j > 0 && compare_eni(&d->involved[j - 1], &d->involved[j], d->enis) > 0; j--) {
            uint32_t t = d->involved[j];
            d->involved[j] = d->involved[j - 1];
            d->involved[j - 1] = t;
        }
    d->involved_stale = false;
}

static bool mixed_at_one_eni(const flowlog_diag *d, int dir)
{
    refresh_involved(d);
    for (size_t i = 0; i < d->ninvolved; i++) {
        const eni_state *e = &d->enis[d->involved[i]];
        if (e->counts[dir * 2] && e->counts[dir * 2 + 1])
            return true;
    }
    return false;
}

int flowlog_diag_verdict(const flowlog_diag *d)
{
    if (!d)
        return 0;
    bool any = d->dir[0][FLOWLOG_DIAG_RECORDS_ACCEPT] | d->dir[0][FLOWLOG_DIAG_RECORDS_REJECT] |
               d->dir[1][FLOWLOG_DIAG_RECORDS_ACCEPT] | d->dir[1][FLOWLOG_DIAG_RECORDS_REJECT];
    return flowlog__verdict(d->dir[0], d->dir[1], d->protocol, any && mixed_at_one_eni(d, 0),
                            any && mixed_at_one_eni(d, 1));
}

int flowlog_diag_side(const flowlog_diag *d)
{
    if (!d)
        return FLOWLOG_SIDE_NONE;
    int v = flowlog_diag_verdict(d);
    int dir = v == FLOWLOG_VERDICT_RETURN_BLOCKED ? 1 : v == FLOWLOG_VERDICT_BLOCKED || v == FLOWLOG_VERDICT_INTERMITTENT ? -1 : -2;
    if (dir == -2)
        return FLOWLOG_SIDE_NONE;
    refresh_involved(d);
    int side = FLOWLOG_SIDE_NONE;
    for (int pass = 0; pass < 2 && side == FLOWLOG_SIDE_NONE; pass++) {
        int want = dir >= 0 ? dir : pass; /* blocked: forward rejects first */
        for (size_t i = 0; i < d->ninvolved; i++) {
            const eni_state *e = &d->enis[d->involved[i]];
            if (!e->counts[want * 2 + 1])
                continue;
            int s = eni_side(d, e);
            /* The server's ENI is the usual place; prefer it when several saw rejects. */
            if (side == FLOWLOG_SIDE_NONE || s == FLOWLOG_SIDE_SERVER)
                side = s;
        }
        if (dir >= 0)
            break;
    }
    return side == FLOWLOG_SIDE_NONE ? FLOWLOG_SIDE_UNKNOWN : side;
}

uint64_t flowlog_diag_count(const flowlog_diag *d, int direction, int counter)
{
    if (!d || direction < 0 || direction > 1 || counter < 1 || counter >= NCOUNTERS)
        return 0;
    return d->dir[direction][counter];
}

unsigned flowlog_diag_warnings(const flowlog_diag *d)
{
    if (!d)
        return 0;
    unsigned w = d->overflow;
    refresh_involved(d);
    bool client_side = false, server_side = false;
    for (size_t i = 0; i < d->ninvolved; i++) {
        const eni_state *e = &d->enis[d->involved[i]];
        int s = eni_side(d, e);
        client_side = client_side || s == FLOWLOG_SIDE_CLIENT;
        server_side = server_side || s == FLOWLOG_SIDE_SERVER;
        if (s == FLOWLOG_SIDE_UNKNOWN)
            w |= FLOWLOG_WARN_ENI_UNKNOWN;
        if (e->skipdata)
            w |= FLOWLOG_WARN_SKIPDATA;
        if (e->nodata)
            w |= FLOWLOG_WARN_NODATA;
    }
    if (d->ninvolved && !(client_side && server_side))
        w |= FLOWLOG_WARN_ONE_SIDE;
    if (d->seen_fields & 8) {
        if (!(d->seen_fields & 1) && d->protocol == 6)
            w |= FLOWLOG_WARN_NO_TCP_FLAGS;
        if (!(d->seen_fields & 2))
            w |= FLOWLOG_WARN_NO_PKT_ADDR;
        if (!(d->seen_fields & 4))
            w |= FLOWLOG_WARN_NO_FLOW_DIRECTION;
    }
    if (d->since && d->until && d->until - d->since < 600)
        w |= FLOWLOG_WARN_SHORT_WINDOW;
    return w;
}

size_t flowlog_diag_eni_count(const flowlog_diag *d)
{
    if (!d)
        return 0;
    refresh_involved(d);
    return d->ninvolved;
}

int flowlog_diag_eni(const flowlog_diag *d, size_t index, const char **id, int *side, uint64_t counts[4],
                     unsigned *ingress_egress, uint64_t nodata_skipdata[2])
{
    if (!d)
        return FLOWLOG_E_ARG;
    refresh_involved(d);
    if (index >= d->ninvolved)
        return FLOWLOG_E_RANGE;
    const eni_state *e = &d->enis[d->involved[index]];
    if (id)
        *id = e->id;
    if (side)
        *side = eni_side(d, e);
    if (counts)
        memcpy(counts, e->counts, sizeof e->counts);
    if (ingress_egress)
        *ingress_egress = e->io;
    if (nodata_skipdata) {
        nodata_skipdata[0] = e->nodata;
        nodata_skipdata[1] = e->skipdata;
    }
    return FLOWLOG_OK;
}

int flowlog_diag_interval(const flowlog_diag *d, size_t index, uint64_t *start, uint64_t packets[4])
{
    if (!d)
        return FLOWLOG_E_ARG;
    if (index >= d->nbuckets)
        return FLOWLOG_E_RANGE;
    if (start)
        *start = d->buckets[index].start;
    if (packets)
        memcpy(packets, d->buckets[index].packets, sizeof d->buckets[index].packets);
    return FLOWLOG_OK;
}

int flowlog_diag_client(const flowlog_diag *d, size_t index, flowlog_addr *addr, uint64_t *accepts,
                        uint64_t *rejects)
{
    if (!d)
        return FLOWLOG_E_ARG;
    if (index >= d->nclients)
        return FLOWLOG_E_RANGE;
    if (addr)
        *addr = d->clients[index].addr;
    if (accepts)
        *accepts = d->clients[index].a;
    if (rejects)
        *rejects = d->clients[index].b;
    return FLOWLOG_OK;
}

int flowlog_diag_elsewhere(const flowlog_diag *d, size_t index, flowlog_addr *addr, uint64_t *records)
{
    if (!d)
        return FLOWLOG_E_ARG;
    if (index >= d->nelsewhere)
        return FLOWLOG_E_RANGE;
    /* Rank by records, then address: the index-th of that order. */
    size_t chosen = SIZE_MAX;
    for (size_t rank = 0; rank <= index; rank++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < d->nelsewhere; i++) {
            const addr_count *c = &d->elsewhere[i];
            bool taken = false;
            if (chosen != SIZE_MAX) {
                const addr_count *p = &d->elsewhere[chosen];
                taken = c->a > p->a || (c->a == p->a && addr_cmp(&c->addr, &p->addr) <= 0);
            }
            if (taken)
                continue;
            if (best == SIZE_MAX || c->a > d->elsewhere[best].a ||
                (c->a == d->elsewhere[best].a && addr_cmp(&c->addr, &d->elsewhere[best].addr) < 0))
                best = i;
        }
        chosen = best;
    }
    if (addr)
        *addr = d->elsewhere[chosen].addr;
    if (records)
        *records = d->elsewhere[chosen].a;
    return FLOWLOG_OK;
}

const char *flowlog_diag_error_message(const flowlog_diag *d)
{
    return d ? d->err.msg : "";
}

/* ---- merge ---- */

static bool same_question(const flowlog_diag *a, const flowlog_diag *b)
{
    return a->client_any == b->client_any && a->server_any == b->server_any &&
           (a->client_any || (addr_eq(&a->client_net, &b->client_net) && a->client_prefix == b->client_prefix)) &&
           (a->server_any || (addr_eq(&a->server_net, &b->server_net) && a->server_prefix == b->server_prefix)) &&
           a->port_lo == b->port_lo && a->port_hi == b->port_hi && a->protocol == b->protocol &&
           a->since == b->since && a->until == b->until && a->bucket_seconds == b->bucket_seconds;
}

static void merge_eni(flowlog_diag *dst, const eni_state *src)
{
    eni_state *e = eni_slot(dst, src->id, strlen(src->id));
    if (!e)
        return;
    if (src->own.n != 3)
        narrow_addrs(&e->own, src->own.addr, src->own.n);
    if (src->dir_own.n != 3)
        narrow_addrs(&e->dir_own, src->dir_own.addr, src->dir_own.n);
    mirror_own(dst, e);
    for (int k = 0; k < 4; k++)
        e->counts[k] += src->counts[k];
    e->io |= src->io;
    e->nodata += src->nodata;
    e->skipdata += src->skipdata;
    dst->involved_stale = true;
}

int flowlog_diag_merge(flowlog_diag *dst, const flowlog_diag *src)
{
    if (!dst || !src || dst == src)
        return FLOWLOG_E_ARG;
    if (!same_question(dst, src)) {
        flowlog__error_static(&dst->err, 0, -1, "the two states answer different questions");
        return FLOWLOG_E_ARG;
    }
    for (int dir = 0; dir < 2; dir++) {
        for (int c = FLOWLOG_DIAG_RECORDS_ACCEPT; c <= FLOWLOG_DIAG_BYTES_REJECT; c++)
            dst->dir[dir][c] += src->dir[dir][c];
        dst->dir[dir][FLOWLOG_DIAG_TCP_FLAGS] |= src->dir[dir][FLOWLOG_DIAG_TCP_FLAGS];
        for (int c = FLOWLOG_DIAG_FIRST_TIME; c <= FLOWLOG_DIAG_LAST_ACCEPT; c++) {
            bool is_first = c == FLOWLOG_DIAG_FIRST_TIME || c == FLOWLOG_DIAG_FIRST_REJECT || c == FLOWLOG_DIAG_FIRST_ACCEPT;
            if (is_first)
                min_time(&dst->dir[dir][c], src->dir[dir][c]);
            else
                max_time(&dst->dir[dir][c], src->dir[dir][c]);
        }
    }
    dst->seen_fields |= src->seen_fields;
    dst->overflow |= src->overflow;
    for (size_t i = 0; i < src->neni; i++)
        merge_eni(dst, &src->enis[i]);
    for (size_t i = 0; i < src->nbuckets; i++)
        add_bucket(dst, src->buckets[i].start, src->buckets[i].packets);
    for (size_t i = 0; i < src->nclients; i++)
        add_sorted(dst->clients, &dst->nclients, MAX_CLIENTS, &src->clients[i].addr, src->clients[i].a,
                   src->clients[i].b, &dst->overflow);
    for (size_t i = 0; i < src->nelsewhere; i++)
        add_sorted(dst->elsewhere, &dst->nelsewhere, MAX_ELSEWHERE, &src->elsewhere[i].addr,
                   src->elsewhere[i].a, 0, &dst->overflow);
    return FLOWLOG_OK;
}

/* ---- serialisation: "FLDG", version, length, fields as little-endian u64, CRC-32 ---- */

#define SER_MAGIC "FLDG"
#define SER_VERSION 1

int flowlog_diag_serialize(const flowlog_diag *d, void *buf, size_t size, size_t *needed)
{
    if (!d || !needed || (!buf && size))
        return FLOWLOG_E_ARG;
    flowlog__writer w = {buf, size, 0};
    flowlog__put_bytes(&w, SER_MAGIC, 4);
    flowlog__put_u64(&w, SER_VERSION);
    flowlog__put_u64(&w, 0); /* total length, patched below */
    flowlog__put_u64(&w, (uint64_t)d->client_any | (uint64_t)d->server_any << 1);
    flowlog__put_addr(&w, &d->client_net);
    flowlog__put_u64(&w, d->client_prefix);
    flowlog__put_addr(&w, &d->server_net);
    flowlog__put_u64(&w, d->server_prefix);
    flowlog__put_u64(&w, d->port_lo);
    flowlog__put_u64(&w, d->port_hi);
    flowlog__put_u64(&w, (uint64_t)d->protocol);
    flowlog__put_u64(&w, d->since);
    flowlog__put_u64(&w, d->until);
    flowlog__put_u64(&w, d->bucket_seconds);
    for (int dir = 0; dir < 2; dir++)
        for (int c = 0; c < NCOUNTERS; c++)
            flowlog__put_u64(&w, d->dir[dir][c]);
    flowlog__put_u64(&w, d->seen_fields);
    flowlog__put_u64(&w, d->overflow);
    flowlog__put_u64(&w, d->neni);
    for (size_t i = 0; i < d->neni; i++) {
        const eni_state *e = &d->enis[i];
        flowlog__put_bytes(&w, e->id, sizeof e->id);
        const own_set *sets[2] = {&e->own, &e->dir_own};
        for (int k = 0; k < 2; k++) {
            flowlog__put_u64(&w, sets[k]->n);
            flowlog__put_addr(&w, &sets[k]->addr[0]);
            flowlog__put_addr(&w, &sets[k]->addr[1]);
        }
        for (int k = 0; k < 4; k++)
            flowlog__put_u64(&w, e->counts[k]);
        flowlog__put_u64(&w, e->io);
        flowlog__put_u64(&w, e->nodata);
        flowlog__put_u64(&w, e->skipdata);
    }
    flowlog__put_u64(&w, d->nbuckets);
    for (size_t i = 0; i < d->nbuckets; i++) {
        flowlog__put_u64(&w, d->buckets[i].start);
        for (int k = 0; k < 4; k++)
            flowlog__put_u64(&w, d->buckets[i].packets[k]);
    }
    const addr_count *tables[2] = {d->clients, d->elsewhere};
    size_t counts[2] = {d->nclients, d->nelsewhere};
    for (int t = 0; t < 2; t++) {
        flowlog__put_u64(&w, counts[t]);
        for (size_t i = 0; i < counts[t]; i++) {
            flowlog__put_addr(&w, &tables[t][i].addr);
            flowlog__put_u64(&w, tables[t][i].a);
            flowlog__put_u64(&w, tables[t][i].b);
        }
    }
    return flowlog__serial_end(&w, buf, size, needed);
}

int flowlog_diag_deserialize(flowlog_diag **out, const void *buf, size_t len, const flowlog_allocator *a)
{
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    flowlog__reader r;
    int rc = flowlog__serial_begin(buf, len, SER_MAGIC, SER_VERSION, &r);
    if (rc < 0)
        return rc;
    flowlog_diag *d;
    rc = diag_alloc(&d, a);
    if (rc < 0)
        return rc;
    uint64_t anyflags = flowlog__get_u64(&r);
    d->client_any = anyflags & 1;
    d->server_any = (anyflags >> 1) & 1;
    flowlog__get_addr(&r, &d->client_net);
    d->client_prefix = (unsigned)flowlog__get_u64(&r);
    flowlog__get_addr(&r, &d->server_net);
    d->server_prefix = (unsigned)flowlog__get_u64(&r);
    d->port_lo = (unsigned)flowlog__get_u64(&r);
    d->port_hi = (unsigned)flowlog__get_u64(&r);
    d->protocol = (int)flowlog__get_u64(&r);
    d->since = flowlog__get_u64(&r);
    d->until = flowlog__get_u64(&r);
    d->bucket_seconds = flowlog__get_u64(&r);
    if (anyflags > 3 || d->client_prefix > 128 || d->server_prefix > 128 || d->port_hi > 65535 ||
        d->port_lo > d->port_hi || d->protocol < 0 || d->protocol > 255 || d->bucket_seconds < 1 ||
        d->bucket_seconds > 86400)
        r.bad = true;
    for (int dir = 0; dir < 2; dir++)
        for (int c = 0; c < NCOUNTERS; c++)
            d->dir[dir][c] = flowlog__get_u64(&r);
    d->seen_fields = (unsigned)flowlog__get_u64(&r);
    d->overflow = (unsigned)flowlog__get_u64(&r) & FLOWLOG_WARN_TRUNCATED;
    uint64_t neni = flowlog__get_u64(&r);
    if (neni > MAX_ENIS)
        r.bad = true;
    for (uint64_t i = 0; i < neni && !r.bad; i++) {
        eni_state e;
        memset(&e, 0, sizeof e);
        flowlog__get_bytes(&r, e.id, sizeof e.id);
        e.id[ENI_ID_MAX] = '\0';
        own_set *sets[2] = {&e.own, &e.dir_own};
        for (int k = 0; k < 2; k++) {
            uint64_t n = flowlog__get_u64(&r);
            sets[k]->n = (uint8_t)(n > 3 ? 3 : n);
            r.bad = r.bad || n > 3;
            flowlog__get_addr(&r, &sets[k]->addr[0]);
            flowlog__get_addr(&r, &sets[k]->addr[1]);
            /* A candidate must be an address (3: none seen yet, nothing to check). */
            for (uint64_t c = 0; n <= 2 && c < n; c++)
                r.bad = r.bad || sets[k]->addr[c].family == 0;
        }
        for (int k = 0; k < 4; k++)
            e.counts[k] = flowlog__get_u64(&r);
        e.io = (unsigned)flowlog__get_u64(&r) & 3u;
        e.nodata = flowlog__get_u64(&r);
        e.skipdata = flowlog__get_u64(&r);
        if (!r.bad)
            merge_eni(d, &e);
    }
    uint64_t nb = flowlog__get_u64(&r);
    if (nb > MAX_BUCKETS)
        r.bad = true;
    for (uint64_t i = 0; i < nb && !r.bad; i++) {
        uint64_t start = flowlog__get_u64(&r), p[4];
        for (int k = 0; k < 4; k++)
            p[k] = flowlog__get_u64(&r);
        add_bucket(d, start, p);
    }
    for (int t = 0; t < 2 && !r.bad; t++) {
        uint64_t n = flowlog__get_u64(&r);
        if (n > MAX_CLIENTS)
            r.bad = true;
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            flowlog_addr ad;
            flowlog__get_addr(&r, &ad);
            uint64_t x = flowlog__get_u64(&r), y = flowlog__get_u64(&r);
            if (t == 0)
                add_sorted(d->clients, &d->nclients, MAX_CLIENTS, &ad, x, y, &d->overflow);
            else
                add_sorted(d->elsewhere, &d->nelsewhere, MAX_ELSEWHERE, &ad, x, 0, &d->overflow);
        }
    }
    if (r.bad || r.pos != r.len) {
        flowlog_diag_free(d);
        return FLOWLOG_E_CORRUPT;
    }
    *out = d;
    return FLOWLOG_OK;
}
