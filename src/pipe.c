#include "internal.h"
#include "reader_internal.h"

#include <pthread.h>

/* Decoding on a second thread: while the caller parses one block, the thread
 * reads (and inflates) the next. Reading a file costs a copy out of the page
 * cache and gzip costs far more; both overlap with parsing this way, and the
 * caller parses every line in place, in the block it arrived in. */

/* 256 KiB: fewer hand-overs between the threads than at 128 KiB, measurably
 * (bench_reader), and no gain further up. */
#define BLOCK_BODY ((size_t)1 << 18)

struct flowlog__pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    flowlog__block blocks[FLOWLOG__PIPE_BLOCKS];
    size_t head;           /* room before each block's data */
    unsigned first;        /* oldest published block (the caller's, once taken) */
    unsigned published;    /* blocks published and not yet given back */
    bool taken;            /* the caller holds blocks[first] */
    bool thread_waits;     /* the thread waits for room: wake it at half */
    bool cancel, running;
    flowlog_reader *r;
};

static void *decode_thread(void *arg)
{
    flowlog__pipe *p = arg;
    flowlog_reader *r = p->r;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        /* A full ring waits until half of it is free, so that the thread
         * is woken once per half a ring, not once per block: each wake-up
         * costs the caller a system call. */
        if (p->published == FLOWLOG__PIPE_BLOCKS) {
            p->thread_waits = true;
            while (!p->cancel && p->published > FLOWLOG__PIPE_BLOCKS / 2)
                pthread_cond_wait(&p->cv, &p->mu);
            p->thread_waits = false;
        }
        bool cancel = p->cancel;
        unsigned idx = (p->first + p->published) % FLOWLOG__PIPE_BLOCKS;
        pthread_mutex_unlock(&p->mu);
        if (cancel)
            return NULL;
        flowlog__block *b = &p->blocks[idx];
        char *data = b->data;
        b->len = 0;
        b->rc = 0;
        b->eof = false;
        /* Half a block at least per hand-over keeps the locking rare. */
        while (b->len < BLOCK_BODY / 2 && !r->decoded_all) {
            size_t made = 0;
            int rc = flowlog__reader_decode(r, data + b->len, BLOCK_BODY - b->len, &made, b->msg);
            b->len += made;
            if (rc < 0) {
                b->rc = rc;
                break;
            }
        }
        b->eof = r->decoded_all;
        b->raw_bytes = r->raw_total;
        pthread_mutex_lock(&p->mu);
        p->published++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (b->eof || b->rc)
            return NULL;
    }
}

static void free_blocks(flowlog_reader *r, flowlog__pipe *p)
{
    for (int i = 0; i < FLOWLOG__PIPE_BLOCKS; i++)
        if (p->blocks[i].mem)
            FLOWLOG__FREE(&r->alloc, p->blocks[i].mem, p->head + BLOCK_BODY);
    memset(p->blocks, 0, sizeof p->blocks);
}

int flowlog__pipe_start(flowlog_reader *r, size_t head)
{
    flowlog__pipe *p = r->pipe;
    if (!p) {
        p = flowlog__calloc(&r->alloc, 1, sizeof *p);
        if (!p)
            return FLOWLOG_E_NOMEM;
        if (pthread_mutex_init(&p->mu, NULL) != 0) {
            FLOWLOG__FREE(&r->alloc, p, sizeof *p);
            return FLOWLOG_E_NOMEM;
        }
        if (pthread_cond_init(&p->cv, NULL) != 0) {
            pthread_mutex_destroy(&p->mu);
            FLOWLOG__FREE(&r->alloc, p, sizeof *p);
            return FLOWLOG_E_NOMEM;
        }
        r->pipe = p;
    }
    head = (head + 63) & ~(size_t)63;
    if (p->head != head)
        free_blocks(r, p);
    p->head = head;
    for (int i = 0; i < FLOWLOG__PIPE_BLOCKS; i++) {
        if (!p->blocks[i].mem)
            p->blocks[i].mem = r->alloc.alloc(r->alloc.ctx, head + BLOCK_BODY);
        if (!p->blocks[i].mem)
            return FLOWLOG_E_NOMEM;
        p->blocks[i].data = p->blocks[i].mem + head;
    }
    p->first = p->published = 0;
    p->taken = p->cancel = p->thread_waits = false;
    p->r = r;
    if (pthread_create(&p->thread, NULL, decode_thread, p) != 0)
        return FLOWLOG_E_NOMEM;
    p->running = true;
    return FLOWLOG_OK;
}

flowlog__block *flowlog__pipe_next(flowlog_reader *r, const char *pending, size_t n)
{
    flowlog__pipe *p = r->pipe;
    unsigned want = p->taken ? 2 : 1;
    pthread_mutex_lock(&p->mu);
    while (p->published < want)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    unsigned idx = (p->first + want - 1) % FLOWLOG__PIPE_BLOCKS;
    flowlog__block *b = &p->blocks[idx];
    if (n)
        memcpy(b->data - n, pending, n);
    if (p->taken) {
        pthread_mutex_lock(&p->mu);
        p->first = (p->first + 1) % FLOWLOG__PIPE_BLOCKS;
        p->published--;
        if (p->thread_waits && p->published <= FLOWLOG__PIPE_BLOCKS / 2)
            pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    p->taken = true;
    return b;
}

void flowlog__pipe_stop(flowlog_reader *r)
{
    flowlog__pipe *p = r->pipe;
    if (!p || !p->running)
        return;
    pthread_mutex_lock(&p->mu);
    p->cancel = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->running = false;
}

void flowlog__pipe_free(flowlog_reader *r)
{
    flowlog__pipe *p = r->pipe;
    if (!p)
        return;
    flowlog__pipe_stop(r);
    free_blocks(r, p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    FLOWLOG__FREE(&r->alloc, p, sizeof *p);
    r->pipe = NULL;
}
