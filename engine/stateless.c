/* stateless.c — the record-at-a-time KStream operators (filter, map,
 * flat_map, select_key, split, merge, peek, foreach, repartition) and the
 * low-level processor (process + punctuators). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

/* The definition most operators need: one user function and its argument. */
typedef struct fn_def {
    void (*fn)(void);
    void *arg;
    int negate;
} fn_def_t;

static sl_node_t *add_fn_node(sl_kstream_t *s, const sl_node_vt_t *vt, void (*fn)(void),
                              void *arg, int negate, const char *op)
{
    if (!s)
        return NULL;
    if (!fn)
        return sl__topo_fail(s->topo, "%s: the function is NULL", op);
    fn_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(s->topo, "out of memory");
    *d = (fn_def_t){fn, arg, negate};
    return sl__node_add(s->topo, vt, d, NULL, &s->node, 1);
}

#define DEF(inst) ((fn_def_t *)(inst)->node->def)

/* ---- filter ---------------------------------------------------------------------------- */

static void filter_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    int keep = ((sl_predicate_fn)d->fn)(d->arg, ctx, rec->key, rec->value) != 0;
    if (ctx->task->err)
        return;
    if (keep != d->negate)
        sl__forward(ctx, inst, rec);
}

static const sl_node_vt_t filter_vt = {.kind = "KSTREAM-FILTER", .process = filter_process};

sl_kstream_t *sl_kstream_filter(sl_kstream_t *s, sl_predicate_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &filter_vt, (void (*)(void))fn, arg, 0, "filter");
    return n ? sl__kstream_new(s->topo, n, s->key_serde, s->value_serde, s->repartition_required)
             : NULL;
}

sl_kstream_t *sl_kstream_filter_not(sl_kstream_t *s, sl_predicate_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &filter_vt, (void (*)(void))fn, arg, 1, "filter_not");
    return n ? sl__kstream_new(s->topo, n, s->key_serde, s->value_serde, s->repartition_required)
             : NULL;
}

/* ---- map, map_values, select_key ----------------------------------------------------------------- */

static void map_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    ((sl_kv_mapper_fn)d->fn)(d->arg, ctx, rec->key, rec->value, &r.key, &r.value);
    if (!ctx->task->err)
        sl__forward(ctx, inst, &r);
}

static const sl_node_vt_t map_vt = {.kind = "KSTREAM-MAP", .process = map_process};

sl_kstream_t *sl_kstream_map(sl_kstream_t *s, sl_kv_mapper_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &map_vt, (void (*)(void))fn, arg, 0, "map");
    return n ? sl__kstream_new(s->topo, n, NULL, NULL, 1) : NULL;
}

static void map_values_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    r.value = ((sl_value_mapper_fn)d->fn)(d->arg, ctx, rec->key, rec->value);
    if (!ctx->task->err)
        sl__forward(ctx, inst, &r);
}

static const sl_node_vt_t map_values_vt = {.kind = "KSTREAM-MAPVALUES",
                                           .process = map_values_process};

sl_kstream_t *sl_kstream_map_values(sl_kstream_t *s, sl_value_mapper_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &map_values_vt, (void (*)(void))fn, arg, 0, "map_values");
    return n ? sl__kstream_new(s->topo, n, s->key_serde, NULL, s->repartition_required) : NULL;
}

static void select_key_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    r.key = ((sl_key_mapper_fn)d->fn)(d->arg, ctx, rec->key, rec->value);
    if (!ctx->task->err)
        sl__forward(ctx, inst, &r);
}

static const sl_node_vt_t select_key_vt = {.kind = "KSTREAM-KEY-SELECT",
                                           .process = select_key_process};

sl_kstream_t *sl_kstream_select_key(sl_kstream_t *s, sl_key_mapper_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &select_key_vt, (void (*)(void))fn, arg, 0, "select_key");
    return n ? sl__kstream_new(s->topo, n, NULL, s->value_serde, 1) : NULL;
}

/* ---- flat_map, flat_map_values ---------------------------------------------------------------------- */

static void flat_map_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    ctx->keep_key = d->negate; /* flat_map_values keeps the key */
    ((sl_flat_mapper_fn)d->fn)(d->arg, ctx, rec->key, rec->value);
    ctx->keep_key = 0;
}

static const sl_node_vt_t flat_map_vt = {.kind = "KSTREAM-FLATMAP", .process = flat_map_process};
static const sl_node_vt_t flat_map_values_vt = {.kind = "KSTREAM-FLATMAPVALUES",
                                                .process = flat_map_process};

sl_kstream_t *sl_kstream_flat_map(sl_kstream_t *s, sl_flat_mapper_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &flat_map_vt, (void (*)(void))fn, arg, 0, "flat_map");
    return n ? sl__kstream_new(s->topo, n, NULL, NULL, 1) : NULL;
}

sl_kstream_t *sl_kstream_flat_map_values(sl_kstream_t *s, sl_flat_mapper_fn fn, void *arg)
{
    sl_node_t *n =
        add_fn_node(s, &flat_map_values_vt, (void (*)(void))fn, arg, 1, "flat_map_values");
    return n ? sl__kstream_new(s->topo, n, s->key_serde, NULL, s->repartition_required) : NULL;
}

/* ---- peek, foreach -------------------------------------------------------------------------------- */

static void peek_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fn_def_t *d = DEF(inst);
    ((sl_action_fn)d->fn)(d->arg, ctx, rec->key, rec->value);
    if (!ctx->task->err)
        sl__forward(ctx, inst, rec);
}

static const sl_node_vt_t peek_vt = {.kind = "KSTREAM-PEEK", .process = peek_process};
static const sl_node_vt_t foreach_vt = {.kind = "KSTREAM-FOREACH", .process = peek_process};

sl_kstream_t *sl_kstream_peek(sl_kstream_t *s, sl_action_fn fn, void *arg)
{
    sl_node_t *n = add_fn_node(s, &peek_vt, (void (*)(void))fn, arg, 0, "peek");
    return n ? sl__kstream_new(s->topo, n, s->key_serde, s->value_serde, s->repartition_required)
             : NULL;
}

int sl_kstream_foreach(sl_kstream_t *s, sl_action_fn fn, void *arg)
{
    return add_fn_node(s, &foreach_vt, (void (*)(void))fn, arg, 0, "foreach") ? 0 : -1;
}

/* ---- split, merge ------------------------------------------------------------------------------------ */

/* The branch node holds every predicate; its i-th child is branch i. */
typedef struct split_def {
    size_t n;
    sl_predicate_fn *preds;
    void **args;
} split_def_t;

static void split_free(void *p)
{
    split_def_t *d = p;
    free(d->preds);
    free(d->args);
    free(d);
}

static void split_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    split_def_t *d = inst->node->def;
    for (size_t i = 0; i < d->n; i++) {
        int take = !d->preds[i] || d->preds[i](d->args[i], ctx, rec->key, rec->value);
        if (ctx->task->err)
            return;
        if (take) {
            sl_inst_t *c = inst->children[i];
            sl_inst_t *saved = ctx->cur;
            ctx->cur = c;
            c->node->vt->process(ctx, c, rec);
            ctx->cur = saved;
            return;
        }
    }
}

static const sl_node_vt_t split_vt = {
    .kind = "KSTREAM-BRANCH", .process = split_process, .free_def = split_free};

/* A pass-through node: one per branch (KSTREAM-BRANCHCHILD) and for merge. */
static void pass_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl__forward(ctx, inst, rec);
}

static const sl_node_vt_t branch_child_vt = {.kind = "KSTREAM-BRANCHCHILD",
                                             .process = pass_process};
static const sl_node_vt_t merge_vt = {.kind = "KSTREAM-MERGE", .process = pass_process};

sl_err_t sl_kstream_split(sl_kstream_t *s, size_t n, const sl_predicate_fn *preds,
                          void *const *args, sl_kstream_t **branches)
{
    if (!s)
        return SL_ERR_TOPOLOGY;
    sl_topology_t *t = s->topo;
    if (n == 0 || !preds || !branches) {
        sl__topo_fail(t, "split: no branches");
        return SL_ERR_TOPOLOGY;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (!preds[i]) {
            sl__topo_fail(t, "split: only the last branch may have a NULL predicate");
            return SL_ERR_TOPOLOGY;
        }
    }
    split_def_t *d = calloc(1, sizeof *d);
    if (d) {
        d->preds = calloc(n, sizeof *d->preds);
        d->args = calloc(n, sizeof *d->args);
    }
    if (!d || !d->preds || !d->args) {
        if (d)
            split_free(d);
        sl__topo_fail(t, "out of memory");
        return SL_ERR_NOMEM;
    }
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        d->preds[i] = preds[i];
        d->args[i] = args ? args[i] : NULL;
    }
    sl_node_t *b = sl__node_add(t, &split_vt, d, NULL, &s->node, 1);
    for (size_t i = 0; i < n; i++) {
        sl_node_t *c = b ? sl__node_add(t, &branch_child_vt, NULL, NULL, &b, 1) : NULL;
        branches[i] = c ? sl__kstream_new(t, c, s->key_serde, s->value_serde,
                                          s->repartition_required)
                        : NULL;
    }
    return t->error ? SL_ERR_TOPOLOGY : SL_OK;
}

sl_kstream_t *sl_kstream_merge(sl_kstream_t *a, sl_kstream_t *b)
{
    if (!a || !b)
        return NULL;
    if (a->topo != b->topo)
        return sl__topo_fail(a->topo, "merge: the streams belong to different topologies");
    sl_node_t *parents[] = {a->node, b->node};
    sl_node_t *n = sl__node_add(a->topo, &merge_vt, NULL, NULL, parents, 2);
    int same_k = a->key_serde == b->key_serde, same_v = a->value_serde == b->value_serde;
    return n ? sl__kstream_new(a->topo, n, same_k ? a->key_serde : NULL,
                               same_v ? a->value_serde : NULL,
                               a->repartition_required || b->repartition_required)
             : NULL;
}

/* ---- repartition ------------------------------------------------------------------------------------- */

sl_kstream_t *sl_kstream_repartition(sl_kstream_t *s, const sl_repartitioned_t *r)
{
    if (!s)
        return NULL;
    if (r && r->partitions < 0)
        return sl__topo_fail(s->topo, "repartition: partitions must be >= 0");
    const sl_serde_t *ks = r && r->key_serde ? r->key_serde : s->key_serde;
    const sl_serde_t *vs = r && r->value_serde ? r->value_serde : s->value_serde;
    sl_node_t *src =
        sl__repartition(s->topo, s->node, r ? r->name : NULL, ks, vs, r ? r->partitions : 0);
    return src ? sl__kstream_new(s->topo, src, sl__key_serde(s->topo, ks),
                                 sl__value_serde(s->topo, vs), 0)
               : NULL;
}

/* ---- process: the low-level processor ------------------------------------------------------------------ */

typedef struct proc_def {
    sl_processor_t p;
} proc_def_t;

typedef struct proc_state {
    void *user;
} proc_state_t;

static sl_err_t proc_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    proc_def_t *d = inst->node->def;
    proc_state_t *st = inst->state;
    st->user = d->p.arg;
    if (!d->p.init)
        return SL_OK;
    return d->p.init(d->p.arg, ctx, &st->user);
}

static void proc_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    proc_def_t *d = inst->node->def;
    proc_state_t *st = inst->state;
    d->p.process(st->user, ctx, rec->key, rec->value);
}

static void proc_close(sl_inst_t *inst)
{
    proc_def_t *d = inst->node->def;
    proc_state_t *st = inst->state;
    if (d->p.close)
        d->p.close(st->user);
}

static const sl_node_vt_t proc_vt = {.kind = "KSTREAM-PROCESSOR",
                                     .init = proc_init,
                                     .process = proc_process,
                                     .close = proc_close,
                                     .state_size = sizeof(proc_state_t)};

sl_kstream_t *sl_kstream_process(sl_kstream_t *s, const sl_processor_t *p,
                                 const char *const *stores, size_t nstores)
{
    if (!s)
        return NULL;
    sl_topology_t *t = s->topo;
    if (!p || !p->process)
        return sl__topo_fail(t, "process: the processor has no process function");
    int ids[64];
    if (nstores > 64)
        return sl__topo_fail(t, "process: at most 64 stores");
    for (size_t i = 0; i < nstores; i++) {
        ids[i] = stores && stores[i] ? sl__store_find(t, stores[i]) : -1;
        if (ids[i] < 0)
            return sl__topo_fail(t, "process: no store named '%s' (add it with "
                                    "sl_topology_add_store first)",
                                 stores && stores[i] ? stores[i] : "(null)");
    }
    proc_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    d->p = *p;
    sl_node_t *n = sl__node_add(t, &proc_vt, d, NULL, &s->node, 1);
    if (!n)
        return NULL;
    for (size_t i = 0; i < nstores; i++)
        if (sl__node_use_store(n, ids[i]))
            return NULL;
    return sl__kstream_new(t, n, NULL, NULL, 1);
}
