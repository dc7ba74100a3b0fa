#include "diag_internal.h"
#include "../config/config_internal.h"
#include "ledger.h"
#include "../read/parallel.h"
#include "../read/prefilter.h"

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
#define MAX_OTHER_PORTS 256
#define MAX_NEIGHBOURS 256
/* A thread's part keeps up to this many addresses a table (see seen_table) */
#define PART_TABLE_MAX ((size_t)1 << 16)
#define ENI_ID_MAX 47
#define MAX_INFERRED 64    /* ENIs whose sides infer_sides() works out, at most */
#define NCOUNTERS 16

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
    uint64_t nodata, skipdata; /* records overlapping the window */
    /* When the ENI was logged: the records with addresses while its own
     * address is not settled as none (every record of an ENI that can be an
     * endpoint's, and the reader passes over none of those), and its NODATA
     * and SKIPDATA records. 0 when none. */
    uint64_t data_span[2], gap_span[2];
    /* Bits: 1 a forward record here was addressed to this ENI on the way
     * (dstaddr is not the server's, pkt-dstaddr is), 2 a reverse one came
     * from it (srcaddr is not the server's): the ENI translates for the
     * client, as a NAT gateway does. */
    unsigned translated;
    /* The legs of a translating ENI between itself and the server: records
     * to the server's port from an address that is not the client's, and
     * from the server's port to one that is not. They are evidence only
     * where the ENI turns out to translate for the client. */
    uint64_t leg[2][NCOUNTERS];
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

/* A row of the tables of addresses (and ports) seen: a and b count
 * records (accepted and rejected, or records and 0), first and last are
 * their times. */
typedef struct addr_count {
    flowlog_addr addr;
    uint64_t a, b;
    uint64_t first, last;
} addr_count;

/* The tables of addresses (clients, elsewhere, other ports, neighbours)
 * keep the first addresses seen and count the records of those only: once
 * full, what they hold depends on the order records came in. A thread's
 * part therefore keeps every address it sees (up to PART_TABLE_MAX), in
 * the order first seen, found through an index: merged in that order into
 * the caller's table, it adds what one pass would have, whether that table
 * fills or not. */
enum { TABLE_CLIENTS, TABLE_ELSEWHERE, TABLE_OTHER_PORTS, TABLE_NEIGHBOURS, NTABLES };
static const size_t table_max[NTABLES] = {MAX_CLIENTS, MAX_ELSEWHERE, MAX_OTHER_PORTS, MAX_NEIGHBOURS};

typedef struct seen_table {
    uint32_t *slots; /* entry + 1, 0 empty: open addressing by the address's hash */
    size_t nslots;   /* a power of two, at least twice the entries */
    size_t cap;      /* entries the table's array holds */
} seen_table;

struct flowlog_diag {
    flowlog_allocator alloc;
    flowlog__error err;
    const flowlog_config *config; /* borrowed (flowlog_diag_set_config): ENIs it describes have their address from it */
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
    /* near misses: the client to the server on another port or protocol
     * (addr: port in bytes[0..1], protocol in bytes[2]), and other clients
     * of the client's subnet to the server on the asked port */
    addr_count *other_ports;
    size_t nother_ports;
    addr_count *neighbours;
    size_t nneighbours;
    seen_table *seen;               /* a thread's part: its tables in the order first seen; NULL otherwise */
    bool watch_server;              /* the server is one address: the reader passes over nothing that names it */
    bool watch_neighbours;          /* and the client is narrower than its subnet */
    flowlog_addr subnet;            /* the client's /24 (IPv4) or /64 (IPv6) */
    unsigned subnet_prefix;
    flowlog__ledger inputs;
    /* sorted views of the involved ENIs and the endpoints' ENIs, with their
     * sides, rebuilt when stale */
    uint32_t *involved;
    uint8_t *involved_side;
    size_t ninvolved;
    uint32_t *endpoints;
    uint8_t *endpoint_side;
    size_t nendpoints;
    bool involved_stale;
    bool running;       /* flowlog_diag_run() has attached its reader */
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
        flowlog__error_set(&d->err, 0, -1, "%s '%s' is not an IPv4/IPv6 address or CIDR, or 'any'", what, text);
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
    addr_count **tables[NTABLES] = {&d->clients, &d->elsewhere, &d->other_ports, &d->neighbours};
    for (int t = 0; t < NTABLES; t++) {
        FLOWLOG__FREE(&al, *tables[t], (d->seen ? d->seen[t].cap : table_max[t]) * sizeof **tables[t]);
        if (d->seen)
            FLOWLOG__FREE(&al, d->seen[t].slots, d->seen[t].nslots * sizeof *d->seen[t].slots);
    }
    FLOWLOG__FREE(&al, d->seen, NTABLES * sizeof *d->seen);
    FLOWLOG__FREE(&al, d->involved, MAX_ENIS * sizeof *d->involved);
    FLOWLOG__FREE(&al, d->involved_side, MAX_ENIS * sizeof *d->involved_side);
    FLOWLOG__FREE(&al, d->endpoints, MAX_ENIS * sizeof *d->endpoints);
    FLOWLOG__FREE(&al, d->endpoint_side, MAX_ENIS * sizeof *d->endpoint_side);
    flowlog__ledger_free(&d->inputs, &al);
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

/* What follows from the question: whether other clients of the client's
 * subnet are watched (the server must be one address, so that the reader
 * can still pass over what does not name it), and that subnet. */
static void settle_question(flowlog_diag *d)
{
    unsigned host = d->server_net.family == FLOWLOG_AF_INET ? 32 : 128;
    d->watch_server = !d->client_any && !d->server_any && d->server_prefix == host;
    unsigned wide = d->client_net.family == FLOWLOG_AF_INET ? 24 : 64;
    d->subnet = d->client_net;
    d->subnet_prefix = d->client_prefix < wide ? d->client_prefix : wide;
    for (unsigned bit = d->subnet_prefix; bit < 128; bit++)
        d->subnet.bytes[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
    d->watch_neighbours = d->watch_server && d->subnet_prefix < d->client_prefix;
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
    d->other_ports = flowlog__calloc(&al, MAX_OTHER_PORTS, sizeof *d->other_ports);
    d->neighbours = flowlog__calloc(&al, MAX_NEIGHBOURS, sizeof *d->neighbours);
    d->involved = flowlog__calloc(&al, MAX_ENIS, sizeof *d->involved);
    d->involved_side = flowlog__calloc(&al, MAX_ENIS, sizeof *d->involved_side);
    d->endpoints = flowlog__calloc(&al, MAX_ENIS, sizeof *d->endpoints);
    d->endpoint_side = flowlog__calloc(&al, MAX_ENIS, sizeof *d->endpoint_side);
    if (!d->enis || !d->hot || !d->slots || !d->buckets || !d->clients || !d->elsewhere || !d->other_ports ||
        !d->neighbours || !d->involved || !d->involved_side || !d->endpoints || !d->endpoint_side) {
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
    return flowlog_diag_new_ex(out, client, server, port_lo, port_hi, protocol, a, NULL);
}

int flowlog_diag_new_ex(flowlog_diag **out, const char *client, const char *server, unsigned port_lo,
                        unsigned port_hi, int protocol, const flowlog_allocator *a, flowlog_error_info *err)
{
    if (!out)
        return flowlog__error_info_args(err, FLOWLOG_E_ARG, out, a, NULL, false);
    *out = NULL;
    flowlog_diag *d;
    int rc = diag_alloc(&d, a);
    if (rc < 0)
        return flowlog__error_info_args(err, rc, out, a, NULL, false);
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
    settle_question(d);
    flowlog__error_info(err, rc, &d->err);
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

void flowlog__diag_window(const flowlog_diag *d, uint64_t window[2])
{
    window[0] = d->since;
    window[1] = d->until;
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

static void add_timed(addr_count *table, size_t *n, size_t cap, const flowlog_addr *addr, uint64_t a, uint64_t b,
                      uint64_t first, uint64_t last, unsigned *overflow)
{
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = addr_cmp(&table[mid].addr, addr);
        if (c == 0) {
            table[mid].a += a;
            table[mid].b += b;
            min_time(&table[mid].first, first);
            max_time(&table[mid].last, last);
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
    table[lo] = (addr_count){*addr, a, b, 0, 0};
    min_time(&table[lo].first, first);
    max_time(&table[lo].last, last);
    (*n)++;
}

static uint32_t addr_hash(const flowlog_addr *addr)
{
    uint64_t w[2];
    memcpy(w, addr->bytes, 16);
    return (uint32_t)(mix64(w[0] ^ mix64(w[1] ^ addr->family)) >> 32);
}

/* The index of a part's table grown to twice its slots; false when memory
 * fails. */
static bool seen_grow(flowlog_diag *d, seen_table *f, const addr_count *table, size_t n)
{
    size_t nslots = f->nslots ? f->nslots * 2 : 1024;
    uint32_t *slots = flowlog__calloc(&d->alloc, nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t j = addr_hash(&table[i].addr) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = (uint32_t)i + 1;
    }
    FLOWLOG__FREE(&d->alloc, f->slots, f->nslots * sizeof *f->slots);
    f->slots = slots;
    f->nslots = nslots;
    return true;
}

/* Records of an address into table t: add_timed(), or in a thread's part,
 * the table in the order first seen. A part's table that cannot take a
 * new address (PART_TABLE_MAX, or memory) is marked truncated: the caller
 * then reads the part again itself. */
static void add_addr(flowlog_diag *d, int t, const flowlog_addr *addr, uint64_t a, uint64_t b, uint64_t first,
                     uint64_t last)
{
    addr_count **tables[NTABLES] = {&d->clients, &d->elsewhere, &d->other_ports, &d->neighbours};
    size_t *counts[NTABLES] = {&d->nclients, &d->nelsewhere, &d->nother_ports, &d->nneighbours};
    addr_count *table = *tables[t];
    size_t *n = counts[t];
    if (!d->seen) {
        add_timed(table, n, table_max[t], addr, a, b, first, last, &d->overflow);
        return;
    }
    seen_table *f = &d->seen[t];
    size_t j = 0;
    if (f->nslots) {
        for (j = addr_hash(addr) & (f->nslots - 1); f->slots[j]; j = (j + 1) & (f->nslots - 1)) {
            addr_count *e = &table[f->slots[j] - 1];
            if (addr_cmp(&e->addr, addr) == 0) {
                e->a += a;
                e->b += b;
                min_time(&e->first, first);
                max_time(&e->last, last);
                return;
            }
        }
    }
    if (*n == PART_TABLE_MAX) {
        d->overflow |= FLOWLOG_WARN_TRUNCATED;
        return;
    }
    if (*n == f->cap) {
        size_t cap = f->cap * 2 < PART_TABLE_MAX ? f->cap * 2 : PART_TABLE_MAX;
        addr_count *grown = d->alloc.realloc(d->alloc.ctx, table, f->cap * sizeof *table, cap * sizeof *table);
        if (!grown) {
            d->overflow |= FLOWLOG_WARN_TRUNCATED;
            return;
        }
        *tables[t] = table = grown;
        f->cap = cap;
    }
    if ((*n + 1) * 2 > f->nslots) {
        if (!seen_grow(d, f, table, *n)) {
            d->overflow |= FLOWLOG_WARN_TRUNCATED;
            return;
        }
        for (j = addr_hash(addr) & (f->nslots - 1); f->slots[j]; j = (j + 1) & (f->nslots - 1))
            ;
    }
    table[*n] = (addr_count){*addr, a, b, 0, 0};
    min_time(&table[*n].first, first);
    max_time(&table[*n].last, last);
    f->slots[j] = (uint32_t)(*n)++ + 1;
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

/* A value the diagnosis reads did not convert: the record is an error,
 * with the accessor's message, and counts for nothing. */
static int bad_record(flowlog_diag *d, const flowlog_record *rec, int rc)
{
    flowlog__error_set(&d->err, 0, -1, "%s", flowlog_record_error_message(rec));
    return rc;
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

/* A record's start and end (end at least start; 0 when absent), and
 * whether both converted (else the accessor's error). */
static int checked_times(flowlog_record *rec, uint64_t *start, uint64_t *end)
{
    *start = *end = 0;
    int rc = flowlog__record_u64(rec, FLOWLOG_FIELD_START, start);
    if (rc < 0 || (rc = flowlog__record_u64(rec, FLOWLOG_FIELD_END, end)) < 0)
        return rc;
    if (*end < *start)
        *end = *start;
    return FLOWLOG_OK;
}

/* The same where a record only tells when an ENI was logged: a time that
 * does not convert tells nothing. */
static void record_times(flowlog_record *rec, uint64_t *start, uint64_t *end)
{
    if (checked_times(rec, start, end) < 0)
        *start = *end = 0;
}

static void widen_span(uint64_t span[2], uint64_t start, uint64_t end)
{
    if (!start)
        return;
    min_time(&span[0], start);
    max_time(&span[1], end);
}

static bool in_window(const flowlog_diag *d, uint64_t start, uint64_t end)
{
    return !((d->since && end && end < d->since) || (d->until && start > d->until));
}

/* What every record tells, whatever it is about: its ENI's own address,
 * when the ENI was logged, and whether it was NODATA or SKIPDATA. Returns
 * false for a record without both addresses; else gives them and the flow
 * direction (have_dir false where the format has none). */
static bool note_eni(flowlog_diag *d, flowlog_record *rec, int eni_index, flowlog_span pair[2], bool *have_dir,
                     int *direction)
{
    if (!field_span(rec, FLOWLOG_FIELD_SRCADDR, &pair[0]) || !field_span(rec, FLOWLOG_FIELD_DSTADDR, &pair[1])) {
        int status = 0;
        (void)flowlog_record_get_enum(rec, FLOWLOG_FIELD_LOG_STATUS, &status);
        if (eni_index >= 0 && (status == FLOWLOG_STATUS_NODATA || status == FLOWLOG_STATUS_SKIPDATA)) {
            eni_state *e = &d->enis[eni_index];
            uint64_t start, end;
            record_times(rec, &start, &end);
            widen_span(e->gap_span, start, end);
            if (in_window(d, start, end))
                (*(status == FLOWLOG_STATUS_NODATA ? &e->nodata : &e->skipdata))++;
        }
        return false;
    }
    *direction = 0;
    *have_dir = flowlog__schema_col(rec->schema, FLOWLOG_FIELD_FLOW_DIRECTION) >= 0 &&
                flowlog_record_get_enum(rec, FLOWLOG_FIELD_FLOW_DIRECTION, direction) == FLOWLOG_OK;
    if (eni_index >= 0) {
        narrow_record(d, eni_index, pair);
        eni_state *e = &d->enis[eni_index];
        if (*have_dir) {
            uint8_t before = e->dir_own.n;
            narrow_spans(&e->dir_own, &pair[*direction == FLOWLOG_DIRECTION_INGRESS ? 1 : 0], 1);
            if (e->dir_own.n != before)
                mirror_own(d, e);
        }
        /* An ENI settled as no one's is no endpoint's: when it was logged
         * is not asked, and the reader passes over its records. */
        if (d->hot[eni_index].n) {
            uint64_t start, end;
            record_times(rec, &start, &end);
            widen_span(e->data_span, start, end);
        } else if (e->data_span[1]) {
            e->data_span[0] = e->data_span[1] = 0;
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

/* A question of one port, whatever its client: every record that can be
 * evidence has the port as its source or destination port, and however a
 * port is written (leading zeros are read), its digits are in the line.
 * Where the server is one address, the client's near misses to it on other
 * ports name it. A port of one or two digits is in nearly every line. */
static int watch_port(flowlog_diag *d, flowlog_reader *r)
{
    if (d->port_lo != d->port_hi || d->port_lo < 100 || is_icmp(d->protocol) ||
        (d->watch_server && d->server_net.family != FLOWLOG_AF_INET))
        return 0;
    char text[2][16];
    flowlog_span needles[2];
    size_t total = 0;
    needles[total].ptr = text[total];
    needles[total++].len = (size_t)snprintf(text[0], sizeof text[0], "%u", d->port_lo);
    if (d->watch_server) {
        int len = flowlog_addr_format(&d->server_net, text[1], sizeof text[1]);
        if (len <= 0)
            return 0;
        needles[total].ptr = text[total];
        needles[total++].len = (size_t)len;
    }
    int rc = flowlog__reader_watch(r, needles, total, note_passed, d);
    return rc < 0 ? rc : 1;
}

int flowlog_diag_attach_reader(flowlog_diag *d, flowlog_reader *r)
{
    if (!d || !r)
        return FLOWLOG_E_ARG;
    /* Every record that can be evidence, or name a place the client sent
     * to instead, has the client as its (packet) source or destination,
     * written out in full; an IPv4 address has one way to be written (as
     * the reader parses it), so its text is in the line. Another client of
     * its subnet to the server, and a NAT gateway's leg to the server, name
     * the server: its text too, where the server is one address. An IPv6
     * address has many ways, and a network too many addresses. */
    if (d->client_any || d->client_net.family != FLOWLOG_AF_INET || d->client_prefix < 30)
        return watch_port(d, r);
    size_t n = (size_t)1 << (32 - d->client_prefix), total = n + (d->watch_server ? 1 : 0);
    if (total > FLOWLOG_PREFILTER_MAX_NEEDLES || (d->watch_server && d->server_net.family != FLOWLOG_AF_INET))
        return watch_port(d, r);
    char text[FLOWLOG_PREFILTER_MAX_NEEDLES][16];
    flowlog_span needles[FLOWLOG_PREFILTER_MAX_NEEDLES];
    for (size_t i = 0; i < total; i++) {
        flowlog_addr a = i < n ? d->client_net : d->server_net;
        if (i < n)
            a.bytes[3] = (uint8_t)((a.bytes[3] & ~(n - 1)) | i);
        int len = flowlog_addr_format(&a, text[i], sizeof text[i]);
        if (len <= 0)
            return 0;
        needles[i].ptr = text[i];
        needles[i].len = (size_t)len;
    }
    int rc = flowlog__reader_watch(r, needles, total, note_passed, d);
    return rc < 0 ? rc : 1;
}

/* Add a record into a block of evidence counters. */
static void count_into(uint64_t *c, bool reject, uint64_t packets, uint64_t bytes, uint64_t start, uint64_t end,
                       bool have_flags, uint64_t flags)
{
    c[reject ? FLOWLOG_DIAG_RECORDS_REJECT : FLOWLOG_DIAG_RECORDS_ACCEPT]++;
    c[reject ? FLOWLOG_DIAG_PACKETS_REJECT : FLOWLOG_DIAG_PACKETS_ACCEPT] += packets;
    c[reject ? FLOWLOG_DIAG_BYTES_REJECT : FLOWLOG_DIAG_BYTES_ACCEPT] += bytes;
    if (have_flags) {
        c[FLOWLOG_DIAG_TCP_FLAGS] |= flags;
        c[reject ? FLOWLOG_DIAG_TCP_FLAGS_REJECT : FLOWLOG_DIAG_TCP_FLAGS_ACCEPT] |= flags;
    }
    min_time(&c[FLOWLOG_DIAG_FIRST_TIME], start);
    max_time(&c[FLOWLOG_DIAG_LAST_TIME], end);
    min_time(&c[reject ? FLOWLOG_DIAG_FIRST_REJECT : FLOWLOG_DIAG_FIRST_ACCEPT], start);
    max_time(&c[reject ? FLOWLOG_DIAG_LAST_REJECT : FLOWLOG_DIAG_LAST_ACCEPT], end);
}

/* Add one block of evidence counters into another. */
static void add_counters(uint64_t *dst, const uint64_t *src)
{
    for (int c = FLOWLOG_DIAG_RECORDS_ACCEPT; c <= FLOWLOG_DIAG_BYTES_REJECT; c++)
        dst[c] += src[c];
    dst[FLOWLOG_DIAG_TCP_FLAGS] |= src[FLOWLOG_DIAG_TCP_FLAGS];
    dst[FLOWLOG_DIAG_TCP_FLAGS_ACCEPT] |= src[FLOWLOG_DIAG_TCP_FLAGS_ACCEPT];
    dst[FLOWLOG_DIAG_TCP_FLAGS_REJECT] |= src[FLOWLOG_DIAG_TCP_FLAGS_REJECT];
    for (int c = FLOWLOG_DIAG_FIRST_TIME; c <= FLOWLOG_DIAG_LAST_ACCEPT; c++) {
        bool is_first = c == FLOWLOG_DIAG_FIRST_TIME || c == FLOWLOG_DIAG_FIRST_REJECT || c == FLOWLOG_DIAG_FIRST_ACCEPT;
        if (is_first)
            min_time(&dst[c], src[c]);
        else
            max_time(&dst[c], src[c]);
    }
}

/* Which fields the records that bear on the question had: what the
 * warnings say the format lacks. */
static void note_fields(flowlog_diag *d, const flowlog_schema *s)
{
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_TCP_FLAGS) >= 0)
        d->seen_fields |= 1;
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_PKT_SRCADDR) >= 0 &&
        flowlog_schema_field_column(s, FLOWLOG_FIELD_PKT_DSTADDR) >= 0)
        d->seen_fields |= 2;
    if (flowlog_schema_field_column(s, FLOWLOG_FIELD_FLOW_DIRECTION) >= 0)
        d->seen_fields |= 4;
}

/* A record's packet-level address where it has one (the real endpoint
 * behind a NAT gateway, a transit gateway or an EKS pod), else the ENI's:
 * whether they differ goes to *translated. A status: FLOWLOG_OK, or the
 * accessor's error for an address that does not convert. */
static int packet_addr(flowlog_record *rec, uint32_t field, uint32_t eni_field, const flowlog_span *eni_level,
                       flowlog_addr *out, bool *translated)
{
    flowlog_span pkt;
    *translated = field_span(rec, field, &pkt) &&
                  !(pkt.len == eni_level->len && memcmp(pkt.ptr, eni_level->ptr, pkt.len) == 0);
    return flowlog_record_get_addr(rec, *translated ? field : eni_field, out);
}


/* The client to the server on a port or protocol other than the asked
 * ones: the near miss of a wrong port. */
static int note_other_port(flowlog_diag *d, flowlog_record *rec, const flowlog_span pair[2], uint64_t protocol,
                           bool ports, uint64_t dport)
{
    flowlog_addr src, dst;
    bool tsrc, tdst;
    int rc = packet_addr(rec, FLOWLOG_FIELD_PKT_SRCADDR, FLOWLOG_FIELD_SRCADDR, &pair[0], &src, &tsrc);
    if (rc < 0)
        return bad_record(d, rec, rc);
    if (!in_endpoint(false, &d->client_net, d->client_prefix, &src))
        return FLOWLOG_OK;
    if ((rc = packet_addr(rec, FLOWLOG_FIELD_PKT_DSTADDR, FLOWLOG_FIELD_DSTADDR, &pair[1], &dst, &tdst)) < 0)
        return bad_record(d, rec, rc);
    if (!in_endpoint(false, &d->server_net, d->server_prefix, &dst))
        return FLOWLOG_OK;
    uint64_t start, end;
    if ((rc = checked_times(rec, &start, &end)) < 0)
        return bad_record(d, rec, rc);
    if (!in_window(d, start, end))
        return FLOWLOG_OK;
    int action = 0;
    if ((rc = flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action)) < 0)
        return bad_record(d, rec, rc);
    bool reject = action == FLOWLOG_ACTION_REJECT;
    flowlog_addr key;
    memset(&key, 0, sizeof key);
    key.family = FLOWLOG_AF_INET;
    uint64_t port = ports && !is_icmp((int)protocol) ? dport : 0;
    key.bytes[0] = (uint8_t)(port >> 8);
    key.bytes[1] = (uint8_t)port;
    key.bytes[2] = (uint8_t)protocol;
    add_addr(d, TABLE_OTHER_PORTS, &key, reject ? 0 : 1, reject ? 1 : 0, start, end);
    return FLOWLOG_OK;
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
    int rc = flowlog__record_u64(rec, FLOWLOG_FIELD_PROTOCOL, &protocol);
    if (rc != FLOWLOG_OK)
        return rc < 0 ? bad_record(d, rec, rc) : FLOWLOG_OK;
    uint64_t sport = 0, dport = 0;
    bool icmp = is_icmp(d->protocol);
    int rs = flowlog__record_u64(rec, FLOWLOG_FIELD_SRCPORT, &sport);
    if (rs < 0)
        return bad_record(d, rec, rs);
    int rd = flowlog__record_u64(rec, FLOWLOG_FIELD_DSTPORT, &dport);
    if (rd < 0)
        return bad_record(d, rec, rd);
    bool ports = rs == FLOWLOG_OK && rd == FLOWLOG_OK;
    bool same_protocol = protocol == (uint64_t)d->protocol;
    bool port_fwd = same_protocol && (icmp || (ports && dport >= d->port_lo && dport <= d->port_hi));
    bool port_rev = same_protocol && (icmp || (ports && sport >= d->port_lo && sport <= d->port_hi));
    if (!port_fwd && !port_rev) {
        /* "the same server": one address, so that a network's many servers
         * do not fill the table with ports nobody asked about */
        return d->watch_server ? note_other_port(d, rec, pair, protocol, ports, dport) : FLOWLOG_OK;
    }
    if (eni_index >= 0)
        eni = &d->enis[eni_index];
    flowlog_addr src, dst;
    bool tsrc, tdst;
    if ((rc = packet_addr(rec, FLOWLOG_FIELD_PKT_SRCADDR, FLOWLOG_FIELD_SRCADDR, &pair[0], &src, &tsrc)) < 0 ||
        (rc = packet_addr(rec, FLOWLOG_FIELD_PKT_DSTADDR, FLOWLOG_FIELD_DSTADDR, &pair[1], &dst, &tdst)) < 0)
        return bad_record(d, rec, rc);
    uint64_t start, end;
    if ((rc = checked_times(rec, &start, &end)) < 0)
        return bad_record(d, rec, rc);
    if (!in_window(d, start, end))
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
    else
        dir = -1;
    int action = 0;
    if ((rc = flowlog_record_get_enum(rec, FLOWLOG_FIELD_ACTION, &action)) < 0)
        return bad_record(d, rec, rc);
    bool have_action = rc == FLOWLOG_OK, reject = action == FLOWLOG_ACTION_REJECT;
    bool leg_fwd = !src_client && dst_server && port_fwd, leg_rev = !dst_client && src_server && port_rev;
    /* A leg between a translating ENI and the server is logged as it is on
     * the wire: not translated. */
    bool leg = dir < 0 && eni && have_action && !tsrc && !tdst && d->watch_server && (leg_fwd || leg_rev);
    uint64_t packets = 0, bytes = 0, flags = 0;
    bool have_flags = false;
    if ((dir >= 0 && have_action) || leg) {
        /* everything the evidence takes from the record, checked before any of it counts */
        int dir_rc = FLOWLOG_OK, flags_rc;
        if ((rc = flowlog__record_u64(rec, FLOWLOG_FIELD_PACKETS, &packets)) < 0 ||
            (rc = flowlog__record_u64(rec, FLOWLOG_FIELD_BYTES, &bytes)) < 0 ||
            (flags_rc = rc = flowlog__record_u64(rec, FLOWLOG_FIELD_TCP_FLAGS, &flags)) < 0 ||
            (!have_dir && (dir_rc = rc = flowlog_record_get_enum(rec, FLOWLOG_FIELD_FLOW_DIRECTION, &direction)) < 0))
            return bad_record(d, rec, rc);
        (void)dir_rc;
        have_flags = flags_rc == FLOWLOG_OK;
    }
    if (dir < 0) {
        if (src_client && port_fwd && !d->server_any) {
            add_addr(d, TABLE_ELSEWHERE, &dst, !(have_action && reject), have_action && reject, start, end);
            note_fields(d, s);
            d->seen_fields |= 16;
        }
        if (d->watch_neighbours && leg_fwd && have_action && flowlog_addr_in_cidr(&src, &d->subnet, d->subnet_prefix))
            add_addr(d, TABLE_NEIGHBOURS, &src, reject ? 0 : 1, reject ? 1 : 0, start, end);
        if (leg) {
            count_into(eni->leg[leg_fwd ? 0 : 1], reject, packets, bytes, start, end, have_flags, flags);
            d->involved_stale = true;
        }
        return FLOWLOG_OK;
    }
    if (!have_action)
        return FLOWLOG_OK;
    note_fields(d, s);
    d->seen_fields |= 8;
    count_into(d->dir[dir], reject, packets, bytes, start, end, have_flags, flags);
    if (eni) {
        eni->counts[dir * 2 + (reject ? 1 : 0)]++;
        if (have_dir)
            eni->io |= direction == FLOWLOG_DIRECTION_INGRESS ? 1u : 2u;
        /* addressed to this ENI on the way to the server, or from it on the
         * way back */
        if (dir == FLOWLOG_DIAG_FORWARD && tdst)
            eni->translated |= 1u;
        if (dir == FLOWLOG_DIAG_REVERSE && tsrc)
            eni->translated |= 2u;
        d->involved_stale = true;
    }
    uint64_t p4[4] = {0, 0, 0, 0};
    p4[dir * 2 + (reject ? 1 : 0)] = packets ? packets : 1;
    add_bucket(d, start - start % d->bucket_seconds, p4);
    if (dir == FLOWLOG_DIAG_FORWARD)
        add_addr(d, TABLE_CLIENTS, &src, reject ? 0 : 1, reject ? 1 : 0, start, end);
    return FLOWLOG_OK;
}

static bool is_private_v4(const flowlog_addr *a)
{
    const uint8_t *b = a->bytes;
    return a->family == FLOWLOG_AF_INET &&
           (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
            (b[0] == 100 && (b[1] & 0xc0) == 64));
}

/* The address the configuration describes an ENI with, or NULL. */
static const flowlog_addr *described_address(const flowlog_diag *d, const eni_state *e)
{
    if (!d->config)
        return NULL;
    const cfg_eni *c = flowlog__cfg_eni_by_id(d->config, e->id);
    return c && c->naddrs ? &c->addrs[0] : NULL;
}

/* An ENI's own address: as the configuration describes it, else where its
 * records settle it. */
static const flowlog_addr *own_address(const flowlog_diag *d, const eni_state *e)
{
    const flowlog_addr *described = described_address(d, e);
    if (described)
        return described;
    const own_set *o = &e->own;
    if (o->n == 1)
        return &o->addr[0];
    if (e->dir_own.n == 1)
        return &e->dir_own.addr[0];
    if (o->n == 2 && is_private_v4(&o->addr[0]) != is_private_v4(&o->addr[1]))
        /* An ENI's IPv4 address in its records is always its private one. */
        return is_private_v4(&o->addr[0]) ? &o->addr[0] : &o->addr[1];
    return NULL;
}

/* The endpoint an ENI with this own address belongs to. */
static int side_of_address(const flowlog_diag *d, const flowlog_addr *own)
{
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

static int own_side(const flowlog_diag *d, const eni_state *e)
{
    const flowlog_addr *own = own_address(d, e);
    return own ? side_of_address(d, own) : FLOWLOG_SIDE_UNKNOWN;
}

/* An ENI between the client and the server that translates for the
 * client (a NAT gateway's): its legs to and from the server are evidence. */
static bool translates_for_client(const flowlog_diag *d, const eni_state *e)
{
    return e->translated && !d->client_any && !d->server_any && own_side(d, e) == FLOWLOG_SIDE_INTERMEDIATE;
}

/* An ENI's record counts, its legs joined where it translates. */
static void eni_counts(const flowlog_diag *d, const eni_state *e, uint64_t out[4])
{
    memcpy(out, e->counts, sizeof e->counts);
    if (!translates_for_client(d, e))
        return;
    for (int dir = 0; dir < 2; dir++) {
        out[dir * 2] += e->leg[dir][FLOWLOG_DIAG_RECORDS_ACCEPT];
        out[dir * 2 + 1] += e->leg[dir][FLOWLOG_DIAG_RECORDS_REJECT];
    }
}

static int compare_eni(const void *a, const void *b, const eni_state *enis)
{
    return strcmp(enis[*(const uint32_t *)a].id, enis[*(const uint32_t *)b].id);
}

static void sort_by_id(uint32_t *list, size_t n, const eni_state *enis)
{
    /* insertion sort: few ENIs carry one conversation */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && compare_eni(&list[j - 1], &list[j], enis) > 0; j--) {
            uint32_t t = list[j];
            list[j] = list[j - 1];
            list[j - 1] = t;
        }
}

#define SIDE_INFERRED 0x80u /* in involved_side: known from what packets must do, not from addresses */

static int opposite(int side)
{
    return side == FLOWLOG_SIDE_CLIENT ? FLOWLOG_SIDE_SERVER : FLOWLOG_SIDE_CLIENT;
}

/* Whether an ENI with an unsettled own address may be the side's: one of
 * its candidates is that endpoint's. */
static bool may_be(const flowlog_diag *d, const eni_state *e, int side)
{
    const flowlog_addr *described = described_address(d, e);
    if (described)
        return side_of_address(d, described) == side;
    for (int i = 0; e->own.n <= 2 && i < e->own.n; i++)
        if (side_of_address(d, &e->own.addr[i]) == side)
            return true;
    return false;
}

/* The side of ENI k from addresses: its own, or where its records leave
 * two candidates of which one is an endpoint's, the other one when the
 * first is another ENI's settled own address (one address, one ENI). */
static int settled_side(const flowlog_diag *d, size_t k)
{
    const eni_state *x = &d->enis[k];
    int side = own_side(d, x);
    if (side != FLOWLOG_SIDE_UNKNOWN || x->own.n != 2 ||
        !(may_be(d, x, FLOWLOG_SIDE_CLIENT) || may_be(d, x, FLOWLOG_SIDE_SERVER)))
        return side;
    for (size_t j = 0; j < d->neni; j++) {
        const flowlog_addr *other = own_address(d, &d->enis[j]);
        if (j == k || !other || (d->enis[j].own.n != 1 && !described_address(d, &d->enis[j])))
            continue;
        for (int c = 0; c < 2; c++)
            if (addr_eq(other, &x->own.addr[c])) {
                int s = side_of_address(d, &x->own.addr[1 - c]);
                if (s == FLOWLOG_SIDE_CLIENT || s == FLOWLOG_SIDE_SERVER)
                    return s;
            }
    }
    return side;
}

/* The sides of the involved ENIs whose own address the records leave
 * open (an extract of only the pair's records names both addresses at
 * both ENIs), from what packets must do:
 *  - one address is one ENI's: a candidate that is another ENI's settled
 *    own address is not this one's;
 *  - a packet REJECTed at its sender's ENI never reaches the receiver's:
 *    where one ENI ACCEPTed a direction and another only REJECTed it, the
 *    first is the sender's; where an ENI only REJECTed a direction that
 *    another ENI, logging the other direction, never saw, it is the
 *    sender's;
 *  - one client, one server, two ENIs: the other one is the other side's. */
static void infer_sides(flowlog_diag *d)
{
    size_t n = d->ninvolved;
    for (size_t i = 0; i < n; i++) {
        int own = own_side(d, &d->enis[d->involved[i]]), settled = settled_side(d, d->involved[i]);
        d->involved_side[i] = (uint8_t)(settled == own ? (unsigned)own : (unsigned)settled | SIDE_INFERRED);
    }
    /* The rules compare ENIs pairwise: for the few a conversation's records
     * leave open (two in an extract of one pair's records), never for the
     * thousands a wide question may involve, where the cost would grow with
     * their square. */
    size_t open = 0;
    for (size_t i = 0; i < n; i++)
        open += d->involved_side[i] == FLOWLOG_SIDE_UNKNOWN;
    if (open == 0 || open > MAX_INFERRED)
        return;
    bool single = !d->client_any && !d->server_any &&
                  d->client_prefix == (d->client_net.family == FLOWLOG_AF_INET ? 32u : 128u) &&
                  d->server_prefix == (d->server_net.family == FLOWLOG_AF_INET ? 32u : 128u);
    for (int round = 0, changed = 1; changed && round < 4; round++) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            if (d->involved_side[i] != FLOWLOG_SIDE_UNKNOWN)
                continue;
            const eni_state *x = &d->enis[d->involved[i]];
            int found = FLOWLOG_SIDE_UNKNOWN;
            uint64_t xc[4];
            eni_counts(d, x, xc);
            for (int dir = 0; dir < 2 && found == FLOWLOG_SIDE_UNKNOWN; dir++) {
                int sender = dir == 0 ? FLOWLOG_SIDE_CLIENT : FLOWLOG_SIDE_SERVER;
                bool x_accepts = xc[dir * 2] && !xc[dir * 2 + 1], x_rejects = xc[dir * 2 + 1] && !xc[dir * 2];
                for (size_t j = 0; j < n && found == FLOWLOG_SIDE_UNKNOWN; j++) {
                    if (j == i || d->involved_side[j] == FLOWLOG_SIDE_INTERMEDIATE)
                        continue;
                    uint64_t yc[4];
                    eni_counts(d, &d->enis[d->involved[j]], yc);
                    bool y_accepts = yc[dir * 2] && !yc[dir * 2 + 1], y_rejects = yc[dir * 2 + 1] && !yc[dir * 2];
                    bool y_silent = !yc[dir * 2] && !yc[dir * 2 + 1] && (yc[2 - dir * 2] | yc[3 - dir * 2]);
                    if (x_rejects && y_accepts)
                        found = opposite(sender);
                    else if (x_accepts && y_rejects)
                        found = sender;
                    else if (x_rejects && y_silent)
                        found = sender;
                }
            }
            if (found == FLOWLOG_SIDE_UNKNOWN && single && n == 2) {
                int other = d->involved_side[1 - i] & ~SIDE_INFERRED;
                if (other == FLOWLOG_SIDE_CLIENT || other == FLOWLOG_SIDE_SERVER)
                    found = opposite(other);
            }
            if ((found == FLOWLOG_SIDE_CLIENT || found == FLOWLOG_SIDE_SERVER) && (x->own.n > 2 || may_be(d, x, found))) {
                d->involved_side[i] = (uint8_t)(found | SIDE_INFERRED);
                changed = 1;
            }
        }
    }
}

/* The involved ENIs (those that logged evidence) and the endpoints' ENIs
 * (whose own address is the client's or the server's, or inferred so),
 * each sorted by id: a cache, rebuilt when stale. */
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
    sort_by_id(d->involved, d->ninvolved, d->enis);
    infer_sides(d);
    d->nendpoints = 0;
    for (uint32_t i = 0; i < d->neni; i++) {
        int side = settled_side(d, i);
        for (size_t k = 0; k < d->ninvolved; k++)
            if (d->involved[k] == i)
                side = d->involved_side[k] & ~SIDE_INFERRED;
        bool any = side == FLOWLOG_SIDE_CLIENT ? d->client_any : d->server_any;
        if ((side == FLOWLOG_SIDE_CLIENT || side == FLOWLOG_SIDE_SERVER) && !any) {
            d->endpoint_side[d->nendpoints] = (uint8_t)side;
            d->endpoints[d->nendpoints++] = i;
        }
    }
    /* sorted by side, then id */
    for (size_t i = 1; i < d->nendpoints; i++)
        for (size_t j = i; j > 0 && (d->endpoint_side[j - 1] > d->endpoint_side[j] ||
                                     (d->endpoint_side[j - 1] == d->endpoint_side[j] &&
                                      compare_eni(&d->endpoints[j - 1], &d->endpoints[j], d->enis) > 0)); j--) {
            uint32_t t = d->endpoints[j];
            d->endpoints[j] = d->endpoints[j - 1];
            d->endpoints[j - 1] = t;
            uint8_t u = d->endpoint_side[j];
            d->endpoint_side[j] = d->endpoint_side[j - 1];
            d->endpoint_side[j - 1] = u;
        }
    d->involved_stale = false;
}

static int involved_side(const flowlog_diag *d, size_t i)
{
    return d->involved_side[i] & ~SIDE_INFERRED;
}

/* The evidence of a direction: its records, and the legs of the ENIs
 * that translate for the client. */
static void evidence(const flowlog_diag *d, int dir, uint64_t out[NCOUNTERS])
{
    memcpy(out, d->dir[dir], sizeof d->dir[dir]);
    refresh_involved(d);
    for (size_t i = 0; i < d->ninvolved; i++) {
        const eni_state *e = &d->enis[d->involved[i]];
        if (translates_for_client(d, e))
            add_counters(out, e->leg[dir]);
    }
}

static bool mixed_at_one_eni(const flowlog_diag *d, int dir)
{
    refresh_involved(d);
    for (size_t i = 0; i < d->ninvolved; i++) {
        uint64_t c[4];
        eni_counts(d, &d->enis[d->involved[i]], c);
        if (c[dir * 2] && c[dir * 2 + 1])
            return true;
    }
    return false;
}

int flowlog_diag_verdict(const flowlog_diag *d)
{
    if (!d)
        return 0;
    uint64_t fwd[NCOUNTERS], rev[NCOUNTERS];
    evidence(d, 0, fwd);
    evidence(d, 1, rev);
    bool any = fwd[FLOWLOG_DIAG_RECORDS_ACCEPT] | fwd[FLOWLOG_DIAG_RECORDS_REJECT] | rev[FLOWLOG_DIAG_RECORDS_ACCEPT] |
               rev[FLOWLOG_DIAG_RECORDS_REJECT];
    return flowlog__verdict(fwd, rev, d->protocol, any && mixed_at_one_eni(d, 0), any && mixed_at_one_eni(d, 1));
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
            uint64_t c[4];
            eni_counts(d, &d->enis[d->involved[i]], c);
            if (!c[want * 2 + 1])
                continue;
            int s = involved_side(d, i);
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
    uint64_t c[NCOUNTERS];
    evidence(d, direction, c);
    return c[counter];
}

/* An endpoint outside every VPC: one public IPv4 address, which no ENI's
 * records name as its own (they name its private one). */
static bool outside(const flowlog_diag *d, int side)
{
    bool any = side == FLOWLOG_SIDE_CLIENT ? d->client_any : d->server_any;
    const flowlog_addr *a = side == FLOWLOG_SIDE_CLIENT ? &d->client_net : &d->server_net;
    unsigned prefix = side == FLOWLOG_SIDE_CLIENT ? d->client_prefix : d->server_prefix;
    return !any && a->family == FLOWLOG_AF_INET && prefix == 32 && !is_private_v4(a);
}

/* Whether any ENI in the logs is, or may be, the side's. */
static bool side_logged(const flowlog_diag *d, int side)
{
    for (size_t i = 0; i < d->nendpoints; i++)
        if (d->endpoint_side[i] == side)
            return true;
    for (size_t i = 0; i < d->neni; i++)
        if (may_be(d, &d->enis[i], side))
            return true;
    return false;
}

int flowlog_diag_time_range(const flowlog_diag *d, uint64_t range[2])
{
    if (!d || !range)
        return FLOWLOG_E_ARG;
    range[0] = range[1] = 0;
    for (size_t i = 0; i < d->neni; i++) {
        const eni_state *e = &d->enis[i];
        widen_span(range, e->data_span[0], e->data_span[1]);
        widen_span(range, e->gap_span[0], e->gap_span[1]);
    }
    for (int dir = 0; dir < 2; dir++)
        widen_span(range, d->dir[dir][FLOWLOG_DIAG_FIRST_TIME], d->dir[dir][FLOWLOG_DIAG_LAST_TIME]);
    return FLOWLOG_OK;
}

unsigned flowlog_diag_warnings(const flowlog_diag *d)
{
    if (!d)
        return 0;
    unsigned w = d->overflow;
    refresh_involved(d);
    size_t sides[5] = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < d->ninvolved; i++) {
        const eni_state *e = &d->enis[d->involved[i]];
        sides[involved_side(d, i)]++;
        w |= (e->skipdata ? FLOWLOG_WARN_SKIPDATA : 0) | (e->nodata ? FLOWLOG_WARN_NODATA : 0);
    }
    for (size_t i = 0; i < d->nendpoints; i++) {
        const eni_state *e = &d->enis[d->endpoints[i]];
        w |= (e->skipdata ? FLOWLOG_WARN_SKIPDATA : 0) | (e->nodata ? FLOWLOG_WARN_NODATA : 0);
    }
    size_t c = sides[FLOWLOG_SIDE_CLIENT], s = sides[FLOWLOG_SIDE_SERVER], u = sides[FLOWLOG_SIDE_UNKNOWN];
    if (u)
        w |= FLOWLOG_WARN_ENI_UNKNOWN;
    /* Only one side's ENI is logged unless the unknown ones can be the
     * other side's; an endpoint outside the VPC has none to log. */
    bool both = (c && s) || (u && (c || s)) || u >= 2 || (c && outside(d, FLOWLOG_SIDE_SERVER)) ||
                (s && outside(d, FLOWLOG_SIDE_CLIENT));
    if (d->ninvolved && !both)
        w |= FLOWLOG_WARN_ONE_SIDE;
    if (d->seen_fields & (8 | 16)) {
        if (!(d->seen_fields & 1) && d->protocol == 6 && (d->seen_fields & 8))
            w |= FLOWLOG_WARN_NO_TCP_FLAGS;
        if (!(d->seen_fields & 2))
            w |= FLOWLOG_WARN_NO_PKT_ADDR;
        if (!(d->seen_fields & 4) && (d->seen_fields & 8))
            w |= FLOWLOG_WARN_NO_FLOW_DIRECTION;
    }
    if (d->since && d->until && d->until - d->since < 600)
        w |= FLOWLOG_WARN_SHORT_WINDOW;
    for (int side = FLOWLOG_SIDE_CLIENT; side <= FLOWLOG_SIDE_SERVER; side++) {
        bool any = side == FLOWLOG_SIDE_CLIENT ? d->client_any : d->server_any;
        if (!any && !outside(d, side) && !side_logged(d, side))
            w |= side == FLOWLOG_SIDE_CLIENT ? FLOWLOG_WARN_CLIENT_ENI_NOT_LOGGED : FLOWLOG_WARN_SERVER_ENI_NOT_LOGGED;
    }
    uint64_t range[2];
    (void)flowlog_diag_time_range(d, range);
    if ((d->since || d->until) && range[1] && ((d->until && d->until < range[0]) || (d->since && d->since > range[1])))
        w |= FLOWLOG_WARN_WINDOW_OUTSIDE_LOGS;
    if (!flowlog__ledger_complete(&d->inputs))
        w |= FLOWLOG_WARN_INCOMPLETE_INPUT;
    return w;
}

static const char *const warning_names[] = {"skipdata", "one-side-logged", "no-tcp-flags", "no-pkt-addresses",
                                            "no-flow-direction", "window-shorter-than-aggregation",
                                            "eni-endpoint-unknown", "truncated", "nodata", "client-eni-not-logged",
                                            "server-eni-not-logged", "window-outside-logs", "incomplete-input"};

const char *flowlog_diag_warning_name(unsigned bit)
{
    for (size_t i = 0; i < sizeof warning_names / sizeof warning_names[0]; i++)
        if (bit == 1u << i)
            return warning_names[i];
    return NULL;
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
        *side = involved_side(d, index);
    if (counts)
        eni_counts(d, e, counts);
    if (ingress_egress)
        *ingress_egress = e->io;
    if (nodata_skipdata) {
        nodata_skipdata[0] = e->nodata;
        nodata_skipdata[1] = e->skipdata;
    }
    return FLOWLOG_OK;
}

int flowlog_diag_endpoint_eni(const flowlog_diag *d, size_t index, const char **id, int *side, uint64_t span[2],
                              uint64_t nodata_skipdata[2])
{
    if (!d)
        return FLOWLOG_E_ARG;
    refresh_involved(d);
    if (index >= d->nendpoints)
        return FLOWLOG_E_RANGE;
    const eni_state *e = &d->enis[d->endpoints[index]];
    if (id)
        *id = e->id;
    if (side)
        *side = d->endpoint_side[index];
    if (span) {
        span[0] = span[1] = 0;
        widen_span(span, e->data_span[0], e->data_span[1]);
        widen_span(span, e->gap_span[0], e->gap_span[1]);
    }
    if (nodata_skipdata) {
        nodata_skipdata[0] = e->nodata;
        nodata_skipdata[1] = e->skipdata;
    }
    return FLOWLOG_OK;
}

int flowlog_diag_eni_translates(const flowlog_diag *d, size_t index)
{
    if (!d)
        return FLOWLOG_E_ARG;
    refresh_involved(d);
    if (index >= d->ninvolved)
        return FLOWLOG_E_RANGE;
    return translates_for_client(d, &d->enis[d->involved[index]]) ? 1 : 0;
}

int flowlog_diag_side_inferred(const flowlog_diag *d, size_t index)
{
    if (!d)
        return FLOWLOG_E_ARG;
    refresh_involved(d);
    if (index >= d->ninvolved)
        return FLOWLOG_E_RANGE;
    return (d->involved_side[index] & SIDE_INFERRED) ? 1 : 0;
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

/* The index-th row of a table ranked by records (a + b), most first, then
 * by address; SIZE_MAX past the last. Tables are small: a selection. */
static size_t ranked_row(const addr_count *t, size_t n, size_t index)
{
    if (index >= n)
        return SIZE_MAX;
    size_t chosen = SIZE_MAX;
    for (size_t rank = 0; rank <= index; rank++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            const addr_count *c = &t[i];
            uint64_t rc = c->a + c->b;
            if (chosen != SIZE_MAX) {
                const addr_count *p = &t[chosen];
                uint64_t rp = p->a + p->b;
                if (rc > rp || (rc == rp && addr_cmp(&c->addr, &p->addr) <= 0))
                    continue; /* ranked before */
            }
            if (best == SIZE_MAX || rc > t[best].a + t[best].b ||
                (rc == t[best].a + t[best].b && addr_cmp(&c->addr, &t[best].addr) < 0))
                best = i;
        }
        chosen = best;
    }
    return chosen;
}

int flowlog_diag_elsewhere(const flowlog_diag *d, size_t index, flowlog_addr *addr, uint64_t *records)
{
    if (!d)
        return FLOWLOG_E_ARG;
    size_t row = ranked_row(d->elsewhere, d->nelsewhere, index);
    if (row == SIZE_MAX)
        return FLOWLOG_E_RANGE;
    if (addr)
        *addr = d->elsewhere[row].addr;
    if (records)
        *records = d->elsewhere[row].a + d->elsewhere[row].b;
    return FLOWLOG_OK;
}

static const char *const near_miss_names[] = {NULL, "other-port", "other-server", "other-client"};

const char *flowlog_diag_near_miss_name(int kind)
{
    return kind >= FLOWLOG_NEAR_OTHER_PORT && kind <= FLOWLOG_NEAR_OTHER_CLIENT ? near_miss_names[kind] : NULL;
}

int flowlog_diag_near_miss(const flowlog_diag *d, size_t index, int *kind, flowlog_addr *client, flowlog_addr *server,
                           unsigned *port, int *protocol, uint64_t counts[5])
{
    if (!d)
        return FLOWLOG_E_ARG;
    const addr_count *tables[3] = {d->other_ports, d->elsewhere, d->neighbours};
    size_t sizes[3] = {d->nother_ports, d->nelsewhere, d->nneighbours};
    for (int k = 0; k < 3; k++) {
        if (index >= sizes[k]) {
            index -= sizes[k];
            continue;
        }
        const addr_count *row = &tables[k][ranked_row(tables[k], sizes[k], index)];
        int the_kind = k + 1;
        if (kind)
            *kind = the_kind;
        if (client)
            *client = the_kind == FLOWLOG_NEAR_OTHER_CLIENT ? row->addr : d->client_net;
        if (server)
            *server = the_kind == FLOWLOG_NEAR_OTHER_SERVER ? row->addr : d->server_net;
        if (port)
            *port = the_kind == FLOWLOG_NEAR_OTHER_PORT ? (unsigned)row->addr.bytes[0] << 8 | row->addr.bytes[1]
                                                        : d->port_lo;
        if (protocol)
            *protocol = the_kind == FLOWLOG_NEAR_OTHER_PORT ? row->addr.bytes[2] : d->protocol;
        if (counts) {
            counts[0] = row->a + row->b;
            counts[1] = row->a;
            counts[2] = row->b;
            counts[3] = row->first;
            counts[4] = row->last;
        }
        return FLOWLOG_OK;
    }
    return FLOWLOG_E_RANGE;
}

int flowlog_diag_add_input(flowlog_diag *d, const char *name, int status, uint64_t records, uint64_t errors,
                           const char *reason)
{
    if (!d)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_add(&d->inputs, &d->alloc, name, status, records, errors, reason);
}

int flowlog_diag_add_reader_inputs(flowlog_diag *d, const flowlog_reader *r)
{
    if (!d || !r)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_add_reader(&d->inputs, &d->alloc, r);
}

size_t flowlog_diag_input_count(const flowlog_diag *d)
{
    return d ? flowlog__ledger_count(&d->inputs) : 0;
}

int flowlog_diag_input(const flowlog_diag *d, size_t index, const char **name, int *status, uint64_t *records,
                       uint64_t *errors, const char **reason)
{
    if (!d)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_entry_at(&d->inputs, index, name, status, records, errors, reason);
}

int flowlog_diag_complete(const flowlog_diag *d)
{
    if (!d)
        return FLOWLOG_E_ARG;
    return flowlog__ledger_complete(&d->inputs) ? 1 : 0;
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
    widen_span(e->gap_span, src->gap_span[0], src->gap_span[1]);
    /* as feeding keeps it: only while the ENI can be someone's */
    widen_span(e->data_span, src->data_span[0], src->data_span[1]);
    if (e->own.n == 0)
        e->data_span[0] = e->data_span[1] = 0;
    e->translated |= src->translated;
    add_counters(e->leg[0], src->leg[0]);
    add_counters(e->leg[1], src->leg[1]);
    dst->involved_stale = true;
}

static void merge_table(addr_count *dst, size_t *n, size_t cap, const addr_count *src, size_t nsrc, unsigned *overflow)
{
    for (size_t i = 0; i < nsrc; i++)
        add_timed(dst, n, cap, &src[i].addr, src[i].a, src[i].b, src[i].first, src[i].last, overflow);
}

int flowlog_diag_merge(flowlog_diag *dst, const flowlog_diag *src)
{
    if (!dst || !src || dst == src)
        return FLOWLOG_E_ARG;
    if (!same_question(dst, src)) {
        flowlog__error_static(&dst->err, 0, -1, "the two states answer different questions");
        return FLOWLOG_E_ARG;
    }
    int rc = flowlog__ledger_merge(&dst->inputs, &dst->alloc, &src->inputs);
    if (rc < 0)
        return rc;
    for (int dir = 0; dir < 2; dir++)
        add_counters(dst->dir[dir], src->dir[dir]);
    dst->seen_fields |= src->seen_fields;
    dst->overflow |= src->overflow;
    for (size_t i = 0; i < src->neni; i++)
        merge_eni(dst, &src->enis[i]);
    for (size_t i = 0; i < src->nbuckets; i++)
        add_bucket(dst, src->buckets[i].start, src->buckets[i].packets);
    merge_table(dst->clients, &dst->nclients, MAX_CLIENTS, src->clients, src->nclients, &dst->overflow);
    merge_table(dst->elsewhere, &dst->nelsewhere, MAX_ELSEWHERE, src->elsewhere, src->nelsewhere, &dst->overflow);
    merge_table(dst->other_ports, &dst->nother_ports, MAX_OTHER_PORTS, src->other_ports, src->nother_ports,
                &dst->overflow);
    merge_table(dst->neighbours, &dst->nneighbours, MAX_NEIGHBOURS, src->neighbours, src->nneighbours, &dst->overflow);
    return FLOWLOG_OK;
}

/* ---- serialisation: "FLDG", version, length, fields as little-endian u64, CRC-32 ----
 * Version 2 added the account of inputs, when each ENI was logged, the legs
 * of translating ENIs, tcp-flags by action and the near misses; a version 1
 * state is refused with FLOWLOG_E_VERSION. */

#define SER_MAGIC "FLDG"
#define SER_VERSION 2

static void put_counters(flowlog__writer *w, const uint64_t c[NCOUNTERS])
{
    for (int k = 0; k < NCOUNTERS; k++)
        flowlog__put_u64(w, c[k]);
}

static void get_counters(flowlog__reader *r, uint64_t c[NCOUNTERS])
{
    for (int k = 0; k < NCOUNTERS; k++)
        c[k] = flowlog__get_u64(r);
    r->bad = r->bad || c[0] != 0;
}

static bool zero_counters(const uint64_t c[NCOUNTERS])
{
    for (int k = 0; k < NCOUNTERS; k++)
        if (c[k])
            return false;
    return true;
}

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
        put_counters(&w, d->dir[dir]);
    flowlog__put_u64(&w, d->seen_fields);
    flowlog__put_u64(&w, d->overflow);
    flowlog__put_u64(&w, d->neni);
    for (size_t i = 0; i < d->neni; i++) {
        const eni_state *e = &d->enis[i];
        flowlog__put_bytes(&w, e->id, sizeof e->id);
        const own_set *sets[2] = {&e->own, &e->dir_own};
        for (int k = 0; k < 2; k++) {
            /* past n a candidate narrowed away may linger: written as none,
             * so equal states are equal bytes */
            static const flowlog_addr none;
            flowlog__put_u64(&w, sets[k]->n);
            for (int c = 0; c < 2; c++)
                flowlog__put_addr(&w, c < sets[k]->n && sets[k]->n <= 2 ? &sets[k]->addr[c] : &none);
        }
        for (int k = 0; k < 4; k++)
            flowlog__put_u64(&w, e->counts[k]);
        flowlog__put_u64(&w, e->io);
        flowlog__put_u64(&w, e->nodata);
        flowlog__put_u64(&w, e->skipdata);
        for (int k = 0; k < 2; k++) {
            flowlog__put_u64(&w, e->data_span[k]);
            flowlog__put_u64(&w, e->gap_span[k]);
        }
        flowlog__put_u64(&w, e->translated);
        /* most ENIs have no legs: a flag, and the counters where they do */
        bool legs = !zero_counters(e->leg[0]) || !zero_counters(e->leg[1]);
        flowlog__put_u64(&w, legs);
        for (int k = 0; legs && k < 2; k++)
            put_counters(&w, e->leg[k]);
    }
    flowlog__put_u64(&w, d->nbuckets);
    for (size_t i = 0; i < d->nbuckets; i++) {
        flowlog__put_u64(&w, d->buckets[i].start);
        for (int k = 0; k < 4; k++)
            flowlog__put_u64(&w, d->buckets[i].packets[k]);
    }
    const addr_count *tables[4] = {d->clients, d->elsewhere, d->other_ports, d->neighbours};
    size_t counts[4] = {d->nclients, d->nelsewhere, d->nother_ports, d->nneighbours};
    for (int t = 0; t < 4; t++) {
        flowlog__put_u64(&w, counts[t]);
        for (size_t i = 0; i < counts[t]; i++) {
            flowlog__put_addr(&w, &tables[t][i].addr);
            flowlog__put_u64(&w, tables[t][i].a);
            flowlog__put_u64(&w, tables[t][i].b);
            flowlog__put_u64(&w, tables[t][i].first);
            flowlog__put_u64(&w, tables[t][i].last);
        }
    }
    flowlog__ledger_put(&w, &d->inputs);
    return flowlog__serial_end(&w, buf, size, needed);
}

/* A question as flowlog_diag_new() would take it. */
static bool valid_question(const flowlog_diag *d, uint64_t anyflags)
{
    unsigned cmax = d->client_net.family == FLOWLOG_AF_INET ? 32 : 128;
    unsigned smax = d->server_net.family == FLOWLOG_AF_INET ? 32 : 128;
    return anyflags <= 3 && (d->client_any || (d->client_net.family && d->client_prefix <= cmax)) &&
           (d->server_any || (d->server_net.family && d->server_prefix <= smax)) && d->port_hi <= 65535 &&
           d->port_lo <= d->port_hi && d->protocol >= 0 && d->protocol <= 255 && d->bucket_seconds >= 1 &&
           d->bucket_seconds <= 86400 && !(d->until && d->since > d->until);
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
    uint64_t client_prefix = flowlog__get_u64(&r);
    flowlog__get_addr(&r, &d->server_net);
    uint64_t server_prefix = flowlog__get_u64(&r);
    uint64_t port_lo = flowlog__get_u64(&r), port_hi = flowlog__get_u64(&r), protocol = flowlog__get_u64(&r);
    d->since = flowlog__get_u64(&r);
    d->until = flowlog__get_u64(&r);
    d->bucket_seconds = flowlog__get_u64(&r);
    d->client_prefix = client_prefix > 128 ? 129 : (unsigned)client_prefix;
    d->server_prefix = server_prefix > 128 ? 129 : (unsigned)server_prefix;
    d->port_lo = port_lo > 65536 ? 65536 : (unsigned)port_lo;
    d->port_hi = port_hi > 65536 ? 65536 : (unsigned)port_hi;
    d->protocol = protocol > 256 ? 256 : (int)protocol;
    if (!valid_question(d, anyflags))
        r.bad = true;
    settle_question(d);
    for (int dir = 0; dir < 2; dir++)
        get_counters(&r, d->dir[dir]);
    d->seen_fields = (unsigned)flowlog__get_u64(&r) & 31u;
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
        for (int k = 0; k < 2; k++) {
            e.data_span[k] = flowlog__get_u64(&r);
            e.gap_span[k] = flowlog__get_u64(&r);
        }
        r.bad = r.bad || e.data_span[0] > e.data_span[1] || e.gap_span[0] > e.gap_span[1];
        e.translated = (unsigned)flowlog__get_u64(&r) & 3u;
        uint64_t legs = flowlog__get_u64(&r);
        r.bad = r.bad || legs > 1;
        for (int k = 0; legs == 1 && k < 2; k++)
            get_counters(&r, e.leg[k]);
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
    addr_count *tables[4] = {d->clients, d->elsewhere, d->other_ports, d->neighbours};
    size_t *counts[4] = {&d->nclients, &d->nelsewhere, &d->nother_ports, &d->nneighbours};
    const size_t caps[4] = {MAX_CLIENTS, MAX_ELSEWHERE, MAX_OTHER_PORTS, MAX_NEIGHBOURS};
    for (int t = 0; t < 4 && !r.bad; t++) {
        uint64_t n = flowlog__get_u64(&r);
        if (n > caps[t])
            r.bad = true;
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            flowlog_addr ad;
            flowlog__get_addr(&r, &ad);
            uint64_t x = flowlog__get_u64(&r), y = flowlog__get_u64(&r);
            uint64_t first = flowlog__get_u64(&r), last = flowlog__get_u64(&r);
            r.bad = r.bad || first > last;
            add_timed(tables[t], counts[t], caps[t], &ad, x, y, first, last, &d->overflow);
        }
    }
    if (!r.bad)
        rc = flowlog__ledger_get(&r, &d->inputs, &d->alloc);
    if (rc < 0 || r.bad || r.pos != r.len) {
        flowlog_diag_free(d);
        return rc < 0 ? rc : FLOWLOG_E_CORRUPT;
    }
    *out = d;
    return FLOWLOG_OK;
}

int flowlog_diag_deserialize_ex(flowlog_diag **out, const void *buf, size_t len, const flowlog_allocator *a,
                                flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_diag_deserialize(out, buf, len, a), out, a, NULL, false);
}

/* Feed d every record of r, up to its end (FLOWLOG_OK) or a push input's
 * wait (FLOWLOG_NEED_MORE). */
/* Feed d the records of r. A thread's part stops as soon as a table of
 * its state fills (FLOWLOG_E_LIMIT): the caller reads it again whatever
 * else it holds, so reading on would only take from the caller's time. */
static int feed_reader(flowlog_diag *d, flowlog_reader *r, bool part)
{
    unsigned overflow = d->overflow;
    for (;;) {
        if (part && d->overflow != overflow)
            return FLOWLOG_E_LIMIT;
        flowlog_record *rec;
        int rc = flowlog_reader_next(r, &rec);
        if (rc == FLOWLOG_END)
            return FLOWLOG_OK;
        if (rc == FLOWLOG_NEED_MORE)
            return rc;
        if (rc < 0)
            continue; /* counted, and told to the error handler */
        int fed = flowlog_diag_feed(d, rec, flowlog_reader_stream(r));
        if (fed < 0)
            (void)flowlog_reader_reject(r, fed, d->err.msg);
    }
}

static int set_up_reader(flowlog_diag *d, flowlog_reader *r)
{
    int rc = flowlog_reader_set(r, FLOWLOG_OPT_VALIDATE, 0);
    if (rc == FLOWLOG_OK)
        rc = flowlog_reader_set_fields(r, flowlog__diag_fields, FLOWLOG__DIAG_NFIELDS);
    if (rc == FLOWLOG_OK)
        rc = flowlog_diag_attach_reader(d, r);
    return rc < 0 ? rc : FLOWLOG_OK;
}

/* ---- on several threads: a diagnosis of the same question per part ---- */

static int part_make(void *ctx, size_t shares, void **state)
{
    const flowlog_diag *d = ctx;
    flowlog_diag *part;
    (void)shares; /* a diagnosis's tables are of a fixed size */
    int rc = diag_alloc(&part, &d->alloc);
    if (rc < 0)
        return rc;
    part->config = d->config;
    part->client_any = d->client_any;
    part->server_any = d->server_any;
    part->client_net = d->client_net;
    part->server_net = d->server_net;
    part->client_prefix = d->client_prefix;
    part->server_prefix = d->server_prefix;
    part->port_lo = d->port_lo;
    part->port_hi = d->port_hi;
    part->protocol = d->protocol;
    part->since = d->since;
    part->until = d->until;
    part->bucket_seconds = d->bucket_seconds;
    settle_question(part);
    if (!(part->seen = flowlog__calloc(&part->alloc, NTABLES, sizeof *part->seen))) {
        flowlog_diag_free(part);
        return FLOWLOG_E_NOMEM;
    }
    for (int t = 0; t < NTABLES; t++)
        part->seen[t].cap = table_max[t];
    *state = part;
    return FLOWLOG_OK;
}

static int part_read(void *ctx, void *state, flowlog_reader *r)
{
    flowlog_diag *d = state ? state : ctx;
    unsigned overflow = d->overflow;
    int rc = set_up_reader(d, r);
    if (rc == FLOWLOG_OK)
        rc = feed_reader(d, r, state != NULL);
    (void)flowlog_reader_set_prefilter(r, NULL, 0);
    /* a part whose tables filled may have kept what one pass would not:
     * the caller reads it again into its own */
    if (rc == FLOWLOG_OK && state && d->overflow != overflow)
        rc = FLOWLOG_E_LIMIT;
    return rc;
}

/* Whether merging src would fill the ENIs or the intervals of dst: what
 * one pass keeps of a table that fills depends on the order the records
 * came in, which a merge of whole parts does not keep (counted as all
 * new: a bound, not the count). The tables of addresses merge exactly
 * (seen_table). */
static bool would_fill(const flowlog_diag *dst, const flowlog_diag *src)
{
    return dst->neni + src->neni > MAX_ENIS || dst->nbuckets + src->nbuckets > MAX_BUCKETS;
}

static int part_merge(void *ctx, void *state)
{
    flowlog_diag *d = ctx;
    const flowlog_diag *part = state;
    if (would_fill(d, part))
        return FLOWLOG_ABSENT;
    return flowlog_diag_merge(d, part);
}

static void part_drop(void *ctx, void *state)
{
    (void)ctx;
    flowlog_diag_free(state);
}

int flowlog_diag_run(flowlog_diag *d, flowlog_reader *r)
{
    if (!d || !r)
        return FLOWLOG_E_ARG;
    if (!d->running) {
        /* once, before the first record */
        d->running = true;
        const flowlog__par_ops ops = {d, part_make, part_read, part_merge, part_drop, 0};
        int rc = flowlog__parallel_read(r, &ops);
        if (rc != FLOWLOG_ABSENT) {
            d->running = false;
            return rc < 0 ? rc : flowlog_diag_add_reader_inputs(d, r);
        }
        if ((rc = set_up_reader(d, r)) < 0)
            return rc;
    }
    int rc = feed_reader(d, r, false);
    if (rc == FLOWLOG_NEED_MORE)
        return rc;
    /* detached: the reader must not call back into a handle it may outlive */
    (void)flowlog_reader_set_prefilter(r, NULL, 0);
    d->running = false;
    return flowlog_diag_add_reader_inputs(d, r);
}

int flowlog_diag_set_config(flowlog_diag *d, const flowlog_config *c)
{
    if (!d)
        return FLOWLOG_E_ARG;
    d->config = c;
    d->involved_stale = true;
    return FLOWLOG_OK;
}
