#include "../core/internal.h"
#include "reader_internal.h"

#include <pthread.h>
#include <time.h>

/* The prefilter's scan one chunk ahead of the reader, on a second thread,
 * for an input that lies whole in memory (mapped, or given as memory):
 * while the reader passes over one chunk's lines and returns its stops,
 * the next chunks are judged. The scan is most of the cost of a filtered
 * read, so this nearly halves it on two processors.
 *
 * A chunk is 16 KiB, judged in a few microseconds: handing one over must
 * cost far less, so each side waits for the other by spinning a while
 * before it sleeps, and the mutex is held only to publish or give back. */

#define AHEAD_SLOTS 16
#define AHEAD_SPINS 4000 /* polls (a pause each) before sleeping: tens of microseconds */
/* A thread that has a processor hands a chunk over in microseconds; one
 * that waits this long for it has none (another process holds it), and
 * after STARVED_TIMES such waits the reader judges alone: a second thread
 * must never make a read slower than one. */
#define STARVED_NS 100000
#define STARVED_TIMES 2

typedef struct ahead_slot {
    flowlog__ahead_chunk c;
    unsigned gen;
} ahead_slot;

struct flowlog__ahead {
    flowlog_allocator alloc;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ahead_slot *slots;
    /* Under mu (produced and consumed are also read without it). */
    unsigned gen;             /* bumped by each restart: older work is dropped */
    flowlog__prefilter f;     /* what the thread judges with */
    const char *data;
    size_t pos, end;          /* where the thread judges next, and the input's end */
    bool stopped;             /* nothing more to judge until a restart */
    bool busy;                /* the thread is judging, outside the lock */
    bool quit;
    bool thread_waits, reader_waits;
    uint64_t produced, consumed;
    bool holding;             /* the reader holds slots[consumed % AHEAD_SLOTS] */
    unsigned starved;         /* the reader's waits of more than STARVED_NS */
};

static void pause_once(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *ahead_thread(void *arg)
{
    flowlog__ahead *h = arg;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        if (h->quit)
            break;
        uint64_t in_use = h->produced - h->consumed;
        if (h->stopped || in_use >= AHEAD_SLOTS) {
            if (!h->stopped) {
                /* The reader is behind: give it a moment before sleeping. */
                pthread_mutex_unlock(&h->mu);
                for (int i = 0; i < AHEAD_SPINS && __atomic_load_n(&h->consumed, __ATOMIC_ACQUIRE) + AHEAD_SLOTS <=
                                                        __atomic_load_n(&h->produced, __ATOMIC_RELAXED);
                     i++)
                    pause_once();
                pthread_mutex_lock(&h->mu);
                if (h->quit || h->stopped || h->produced - h->consumed < AHEAD_SLOTS)
                    continue;
            }
            h->thread_waits = true;
            pthread_cond_wait(&h->cv, &h->mu);
            h->thread_waits = false;
            continue;
        }
        unsigned gen = h->gen;
        flowlog__prefilter f = h->f;
        const char *data = h->data;
        size_t pos = h->pos, end = h->end;
        ahead_slot *s = &h->slots[h->produced % AHEAD_SLOTS];
        h->busy = true;
        pthread_mutex_unlock(&h->mu);
        s->c.judged = flowlog__prefilter_scan(&f, &s->c.wk, data + pos, end - pos, s->c.stops, FLOWLOG__PF_STOPS,
                                              &s->c.nstops, &s->c.tail);
        s->c.at = pos;
        s->gen = gen;
        pthread_mutex_lock(&h->mu);
        h->busy = false;
        if (h->reader_waits)
            pthread_cond_broadcast(&h->cv);
        if (gen != h->gen)
            continue; /* restarted meanwhile: judged for nothing */
        h->pos = pos + s->c.judged;
        /* A line longer than a chunk (nothing judged) or the input's end:
         * the reader goes on by itself and restarts the thread after. */
        h->stopped = s->c.judged == 0 || h->pos >= end;
        __atomic_store_n(&h->produced, h->produced + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int flowlog__ahead_new(flowlog__ahead **out, const flowlog_allocator *a)
{
    flowlog__ahead *h = a->alloc(a->ctx, sizeof *h);
    if (!h)
        return FLOWLOG_E_NOMEM;
    memset(h, 0, sizeof *h);
    h->alloc = *a;
    h->stopped = true;
    h->slots = a->alloc(a->ctx, AHEAD_SLOTS * sizeof *h->slots);
    if (!h->slots) {
        a->free(a->ctx, h, sizeof *h);
        return FLOWLOG_E_NOMEM;
    }
    bool mu = false, cv = false;
    if ((mu = pthread_mutex_init(&h->mu, NULL) == 0) && (cv = pthread_cond_init(&h->cv, NULL) == 0) &&
        pthread_create(&h->thread, NULL, ahead_thread, h) == 0) {
        *out = h;
        return FLOWLOG_OK;
    }
    if (cv)
        pthread_cond_destroy(&h->cv);
    if (mu)
        pthread_mutex_destroy(&h->mu);
    a->free(a->ctx, h->slots, AHEAD_SLOTS * sizeof *h->slots);
    a->free(a->ctx, h, sizeof *h);
    return FLOWLOG_E_NOMEM;
}

void flowlog__ahead_free(flowlog__ahead *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->mu);
    h->quit = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    flowlog_allocator a = h->alloc;
    a.free(a.ctx, h->slots, AHEAD_SLOTS * sizeof *h->slots);
    a.free(a.ctx, h, sizeof *h);
}

void flowlog__ahead_restart(flowlog__ahead *h, const flowlog__prefilter *f, const char *data, size_t from, size_t end)
{
    pthread_mutex_lock(&h->mu);
    while (!data && h->busy) {
        h->reader_waits = true;
        pthread_cond_wait(&h->cv, &h->mu);
        h->reader_waits = false;
    }
    h->gen++;
    if (f)
        h->f = *f;
    h->data = data;
    h->pos = from;
    h->end = end;
    h->stopped = data == NULL || from >= end;
    h->holding = false;
    __atomic_store_n(&h->consumed, h->produced, __ATOMIC_RELEASE);
    if (h->thread_waits)
        pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static bool same_prefilter(const flowlog__prefilter *a, const flowlog__prefilter *b)
{
    if (a->nneedles != b->nneedles || a->ncols != b->ncols || a->time_cols[0] != b->time_cols[0] ||
        a->time_cols[1] != b->time_cols[1] || a->max_line != b->max_line || a->keep_passed != b->keep_passed ||
        a->stop_all != b->stop_all)
        return false;
    for (size_t i = 0; i < a->nneedles; i++)
        if (a->needle_len[i] != b->needle_len[i] || memcmp(a->needle[i], b->needle[i], a->needle_len[i]) != 0)
            return false;
    return true;
}

const flowlog__ahead_chunk *flowlog__ahead_take(flowlog__ahead *h, const flowlog__prefilter *f, const char *data,
                                                size_t at)
{
    pthread_mutex_lock(&h->mu);
    if (h->holding) {
        h->holding = false;
        __atomic_store_n(&h->consumed, h->consumed + 1, __ATOMIC_RELEASE);
        if (h->thread_waits)
            pthread_cond_broadcast(&h->cv);
    }
    if (h->data != data || !same_prefilter(&h->f, f)) {
        pthread_mutex_unlock(&h->mu);
        return NULL;
    }
    for (;;) {
        if (h->produced > h->consumed)
            break;
        if (h->stopped) {
            pthread_mutex_unlock(&h->mu);
            return NULL;
        }
        /* The thread is judging it: poll a while, then sleep. */
        pthread_mutex_unlock(&h->mu);
        for (int i = 0; i < AHEAD_SPINS && __atomic_load_n(&h->produced, __ATOMIC_ACQUIRE) == h->consumed; i++)
            pause_once();
        pthread_mutex_lock(&h->mu);
        if (h->produced > h->consumed || h->stopped)
            continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        h->reader_waits = true;
        pthread_cond_wait(&h->cv, &h->mu);
        h->reader_waits = false;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > STARVED_NS)
            h->starved++;
    }
    ahead_slot *s = &h->slots[h->consumed % AHEAD_SLOTS];
    bool ours = s->gen == h->gen && s->c.at == at;
    h->holding = ours;
    pthread_mutex_unlock(&h->mu);
    return ours ? &s->c : NULL;
}

bool flowlog__ahead_starved(const flowlog__ahead *h)
{
    return h->starved >= STARVED_TIMES;
}
