#include "../core/internal.h"
#include "reader_internal.h"

#include <pthread.h>

/* Decoding on a second thread: while the caller parses one block, the thread
 * reads (and inflates) the next. Reading a file costs a copy out of the page
 * cache and gzip costs far more; both overlap with parsing this way, and the
 * caller parses every line in place, in the block it arrived in. */

#define BLOCK_BODY FLOWLOG__BLOCK_BODY

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
    uint16_t part_nl[FLOWLOG__BLOCK_PART + 2]; /* the thread's, for one part */
};

/* The newlines of a block of plain text, a part at a time, while the caller
 * parses the block before: that is work off the caller's thread, which
 * sets the pace. Not for gzip, where this thread sets it. */
static void find_newlines(flowlog__pipe *p, flowlog__block *b)
{
    size_t used = 0;
    bool full = false;
    b->nparts = (b->len + FLOWLOG__BLOCK_PART - 1) / FLOWLOG__BLOCK_PART;
    for (size_t k = 0; k < b->nparts; k++) {
        size_t off = k * FLOWLOG__BLOCK_PART, n = b->len - off < FLOWLOG__BLOCK_PART ? b->len - off : FLOWLOG__BLOCK_PART;
        size_t c = full ? 0 : flowlog__newlines(b->data + off, n, p->part_nl, p->r->opt.cpu);
        full = full || used + c > FLOWLOG__BLOCK_NL;
        if (full) {
            b->nl_count[k] = -1; /* no room: the caller finds them */
            continue;
        }
        memcpy(b->nl + used, p->part_nl, c * sizeof *b->nl);
        b->nl_first[k] = (uint32_t)used;
        b->nl_count[k] = (int32_t)c;
        used += c;
    }
}

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
        while (b->len < BLOCK_BODY / 2 && !r->src.decoded_all) {
            size_t made = 0;
            int rc = flowlog__reader_decode(r, data + b->len, BLOCK_BODY - b->len, &made, b->msg);
            b->len += made;
            if (rc < 0) {
                b->rc = rc;
                break;
            }
        }
        b->eof = r->src.decoded_all;
        b->raw_bytes = r->src.raw_total;
        if (r->src.gz_mode)
            b->nparts = 0;
        else
            find_newlines(p, b);
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
    for (int i = 0; i < FLOWLOG__PIPE_BLOCKS; i++) {
        if (p->blocks[i].mem)
            FLOWLOG__FREE(&r->alloc, p->blocks[i].mem, p->head + BLOCK_BODY);
        if (p->blocks[i].nl)
            FLOWLOG__FREE(&r->alloc, p->blocks[i].nl, FLOWLOG__BLOCK_NL * sizeof *p->blocks[i].nl);
    }
    memset(p->blocks, 0, sizeof p->blocks);
}

int flowlog__pipe_start(flowlog_reader *r, size_t head)
{
    flowlog__pipe *p = r->src.pipe;
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
        r->src.pipe = p;
    }
    head = (head + 63) & ~(size_t)63;
    if (p->head != head)
        free_blocks(r, p);
    p->head = head;
    for (int i = 0; i < FLOWLOG__PIPE_BLOCKS; i++) {
        if (!p->blocks[i].mem)
            p->blocks[i].mem = r->alloc.alloc(r->alloc.ctx, head + BLOCK_BODY);
        if (!p->blocks[i].nl)
            p->blocks[i].nl = r->alloc.alloc(r->alloc.ctx, FLOWLOG__BLOCK_NL * sizeof *p->blocks[i].nl);
        if (!p->blocks[i].mem || !p->blocks[i].nl)
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
    flowlog__pipe *p = r->src.pipe;
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
    flowlog__pipe *p = r->src.pipe;
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
    flowlog__pipe *p = r->src.pipe;
    if (!p)
        return;
    flowlog__pipe_stop(r);
    free_blocks(r, p);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    FLOWLOG__FREE(&r->alloc, p, sizeof *p);
    r->src.pipe = NULL;
}
