/* The configuration handle: its arena, its arrays of objects, and the
 * lookups evaluations make in them (linear: a VPC holds hundreds of
 * groups and ENIs, and a question looks up a handful). */
#include "config_internal.h"

struct cfg_block {
    cfg_block *next;
    size_t size;
    /* the room follows */
};

#define ARENA_BLOCK ((size_t)64 << 10)

void *flowlog__cfg_alloc(flowlog_config *c, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!n)
        n = 16;
    if (!c->arena || c->arena_cap - c->arena_used < n) {
        size_t room = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        cfg_block *b = c->alloc.alloc(c->alloc.ctx, sizeof(cfg_block) + 16 + room);
        if (!b)
            return NULL;
        b->next = c->arena;
        b->size = sizeof(cfg_block) + 16 + room;
        c->arena = b;
        c->arena_used = 0;
        c->arena_cap = room;
    }
    char *base = (char *)(c->arena + 1);
    base += (16 - ((uintptr_t)base & 15)) & 15;
    void *p = base + c->arena_used;
    c->arena_used += n;
    memset(p, 0, n);
    return p;
}

int flowlog_config_new(flowlog_config **out, const flowlog_allocator *a)
{
    flowlog_allocator al;
    if (!out)
        return FLOWLOG_E_ARG;
    *out = NULL;
    if (flowlog__allocator_init(&al, a) < 0)
        return FLOWLOG_E_ARG;
    flowlog_config *c = flowlog__calloc(&al, 1, sizeof *c);
    if (!c)
        return FLOWLOG_E_NOMEM;
    c->alloc = al;
    flowlog__error_clear(&c->err);
    *out = c;
    return FLOWLOG_OK;
}

int flowlog_config_new_ex(flowlog_config **out, const flowlog_allocator *a, flowlog_error_info *err)
{
    return flowlog__error_info_args(err, flowlog_config_new(out, a), out, a, NULL, false);
}

static void vec_free(flowlog_config *c, cfg_vec *v, size_t item)
{
    if (v->items)
        FLOWLOG__FREE(&c->alloc, v->items, v->cap * item);
}

void flowlog_config_free(flowlog_config *c)
{
    if (!c)
        return;
    vec_free(c, &c->sgs, sizeof(cfg_sg));
    vec_free(c, &c->acls, sizeof(cfg_acl));
    vec_free(c, &c->enis, sizeof(cfg_eni));
    vec_free(c, &c->subnets, sizeof(cfg_subnet));
    vec_free(c, &c->rtbs, sizeof(cfg_rtb));
    vec_free(c, &c->plists, sizeof(cfg_plist));
    for (cfg_block *b = c->arena, *next; b; b = next) {
        next = b->next;
        FLOWLOG__FREE(&c->alloc, b, b->size);
    }
    FLOWLOG__FREE(&c->alloc, c, sizeof *c);
}

void *flowlog__cfg_push(flowlog_config *c, cfg_vec *v, size_t item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *grown = c->alloc.realloc(c->alloc.ctx, v->items, v->cap * item, cap * item);
        if (!grown)
            return NULL;
        v->items = grown;
        v->cap = cap;
    }
    void *p = (char *)v->items + v->n++ * item;
    memset(p, 0, item);
    return p;
}

int flowlog_config_has(const flowlog_config *c, int document)
{
    return c && document >= FLOWLOG_CONFIG_SECURITY_GROUPS && document <= FLOWLOG_CONFIG_PREFIX_LIST_ENTRIES &&
           (c->loaded >> document) & 1u;
}

const char *flowlog_config_error_message(const flowlog_config *c)
{
    return c ? c->err.msg : "";
}

/* ---- lookups ---- */

#define FIND(vec, type, cond)                                                                                    \
    do {                                                                                                         \
        const type *items_ = (const type *)(vec).items;                                                          \
        for (size_t i_ = 0; i_ < (vec).n; i_++) {                                                                \
            const type *x = &items_[i_];                                                                         \
            if (cond)                                                                                            \
                return x;                                                                                        \
        }                                                                                                        \
        return NULL;                                                                                             \
    } while (0)

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

const cfg_sg *flowlog__cfg_sg(const flowlog_config *c, const char *id)
{
    FIND(c->sgs, cfg_sg, same(x->id, id));
}

const cfg_eni *flowlog__cfg_eni_by_id(const flowlog_config *c, const char *id)
{
    FIND(c->enis, cfg_eni, same(x->id, id));
}

static bool carries(const cfg_eni *e, const flowlog_addr *a)
{
    for (size_t i = 0; i < e->naddrs; i++)
        if (memcmp(&e->addrs[i], a, sizeof *a) == 0)
            return true;
    return false;
}

const cfg_eni *flowlog__cfg_eni_by_addr(const flowlog_config *c, const flowlog_addr *a)
{
    FIND(c->enis, cfg_eni, carries(x, a));
}

const cfg_subnet *flowlog__cfg_subnet(const flowlog_config *c, const char *id)
{
    FIND(c->subnets, cfg_subnet, same(x->id, id));
}

const cfg_plist *flowlog__cfg_plist(const flowlog_config *c, const char *id)
{
    FIND(c->plists, cfg_plist, same(x->id, id));
}

static bool lists(const char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (same(ids[i], id))
            return true;
    return false;
}

static const cfg_acl *default_acl(const flowlog_config *c, const char *vpc)
{
    FIND(c->acls, cfg_acl, x->is_default && (!vpc || !x->vpc || same(x->vpc, vpc)));
}

static const cfg_acl *associated_acl(const flowlog_config *c, const char *subnet)
{
    FIND(c->acls, cfg_acl, lists(x->subnets, x->nsubnets, subnet));
}

const cfg_acl *flowlog__cfg_acl_of(const flowlog_config *c, const char *subnet, const char *vpc)
{
    const cfg_acl *a = associated_acl(c, subnet);
    return a ? a : default_acl(c, vpc);
}

static const cfg_rtb *main_rtb(const flowlog_config *c, const char *vpc)
{
    FIND(c->rtbs, cfg_rtb, x->main && (!vpc || !x->vpc || same(x->vpc, vpc)));
}

static const cfg_rtb *associated_rtb(const flowlog_config *c, const char *subnet)
{
    FIND(c->rtbs, cfg_rtb, lists(x->subnets, x->nsubnets, subnet));
}

const cfg_rtb *flowlog__cfg_rtb_of(const flowlog_config *c, const char *subnet, const char *vpc)
{
    const cfg_rtb *t = associated_rtb(c, subnet);
    return t ? t : main_rtb(c, vpc);
}

const char *flowlog_config_eni_of(const flowlog_config *c, const flowlog_addr *addr)
{
    if (!c || !addr)
        return NULL;
    const cfg_eni *e = flowlog__cfg_eni_by_addr(c, addr);
    return e ? e->id : NULL;
}

int flowlog_config_eni_address(const flowlog_config *c, const char *eni_id, flowlog_addr *out)
{
    if (!c || !eni_id || !out)
        return FLOWLOG_E_ARG;
    const cfg_eni *e = flowlog__cfg_eni_by_id(c, eni_id);
    if (!e || !e->naddrs)
        return FLOWLOG_ABSENT;
    *out = e->addrs[0];
    return FLOWLOG_OK;
}
