/* table.c — KTables: sources (sl_table, sl_kstream_to_table) materialized in
 * key-value stores, the stateless table operators (filter, map_values,
 * to_stream), and value getters — how joins look a table up.
 *
 * A table change is an sl_rec_t with value = the new value (NULL: the key was
 * deleted) and old_value = the value before (has_old = 1). A node that keeps
 * a store emits its changes after each write, or — when the store is cached —
 * from the cache's flush callback, folded per key (Kafka Streams' caching).
 *
 * The stores are timestamped (Kafka's KTableSource and materialized
 * operators keep ValueAndTimestamp): each value is kept with its change's
 * time — the record's own, no larger one — and the getters give it, so that
 * a table-table join can stamp its result with the later of both sides'. */
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "engine/engine_int.h"

/* ---- materialization shared by the table nodes -------------------------------------------- */

typedef struct table_def {
    int store;          /* the store this node writes, or -1 */
    sl_predicate_fn pred; /* filter */
    sl_value_mapper_fn map; /* map_values */
    void *arg;
    int negate;
} table_def_t;

typedef struct table_state {
    int cached; /* the store is cached in this task: emit from the flush callback */
} table_state_t;

static void emit_change(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *new_value,
                        const void *old_value, int64_t ts)
{
    sl_rec_t r = {0};
    if (ctx->rec) {
        r.headers = ctx->rec->headers;
        r.nheaders = ctx->rec->nheaders;
    }
    r.key = key;
    r.value = new_value;
    r.old_value = old_value;
    r.has_old = 1;
    r.ts = ts;
    sl__forward(ctx, inst, &r);
}

static void on_flush(sl_ctx_t *ctx, sl_inst_t *owner, const void *key, int64_t window_start,
                     const void *new_value, const void *old_value, int64_t ts)
{
    emit_change(ctx, owner, key, new_value, old_value, ts);
}

static sl_err_t table_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    table_def_t *d = inst->node->def;
    table_state_t *st = inst->state;
    if (d->store < 0)
        return SL_OK;
    int rc = sl__store_own(ctx, d->store, on_flush);
    if (rc < 0)
        return (sl_err_t)rc;
    st->cached = rc;
    return SL_OK;
}

/* Writes the change to the node's store (if any) and emits it now unless the
 * cache will. old is the value before when the caller knows it. */
static void materialize(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec,
                        const void *new_value, const void *old_value, int know_old)
{
    table_def_t *d = inst->node->def;
    table_state_t *st = inst->state;
    if (d->store >= 0) {
        if (!know_old) {
            if (sl__kv_get(ctx, d->store, rec->key, &old_value) < 0)
                return;
        }
        if (sl__kv_put(ctx, d->store, rec->key, new_value))
            return;
        if (st->cached)
            return;
    }
    emit_change(ctx, inst, rec->key, new_value, old_value, rec->ts);
}

/* A table node's getter reads its store when it has one. */
static int store_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                     int64_t *ts)
{
    table_def_t *d = inst->node->def;
    return sl__kv_get_ts(ctx, d->store, key, value, ts);
}

/* The parent's getter (the one table parent of a table operator). */
static int parent_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                      int64_t *ts)
{
    sl_node_t *p = inst->node->parents[0];
    sl_inst_t *pi = ctx->task->insts[p->id];
    *value = NULL;
    if (!pi || !p->vt->get) {
        sl_ctx_fail(ctx, SL_ERR_STATE, "%s has no value getter", p->name);
        return SL_ERR_STATE;
    }
    return p->vt->get(ctx, pi, key, value, ts);
}

/* ---- sources: sl_table, sl_kstream_to_table ------------------------------------------------- */

static void source_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    if (!rec->key) {
        ctx->task->metrics.skipped++;
        sl_trace(SL_TRACE_WARN, "engine", "%s: skipping a record with a null key",
                 inst->node->name);
        return;
    }
    materialize(ctx, inst, rec, rec->value, NULL, 0);
}

static const sl_node_vt_t table_source_vt = {.kind = "KTABLE-SOURCE",
                                             .init = table_init,
                                             .process = source_process,
                                             .get = store_get,
                                             .state_size = sizeof(table_state_t)};

static const sl_node_vt_t to_table_vt = {.kind = "KSTREAM-TOTABLE",
                                         .init = table_init,
                                         .process = source_process,
                                         .get = store_get,
                                         .state_size = sizeof(table_state_t)};

/* A materializing node under parent with a store named by m (or internal). */
static sl_ktable_t *materialized_node(sl_topology_t *t, const sl_node_vt_t *vt, sl_node_t *parent,
                                      const sl_serde_t *ks, const sl_serde_t *vs,
                                      const sl_materialized_t *m)
{
    ks = m && m->key_serde ? m->key_serde : ks;
    vs = m && m->value_serde ? m->value_serde : vs;
    int store = sl__store_add(t, m ? m->store_name : NULL, vt->kind, SL_STORE_KV, ks, vs, m);
    if (store < 0)
        return NULL;
    t->stores[store]->timestamped = 1;
    table_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    d->store = store;
    sl_node_t *n = sl__node_add(t, vt, d, NULL, &parent, 1);
    if (!n || sl__node_use_store(n, store))
        return NULL;
    return sl__ktable_new(t, n, sl__key_serde(t, ks), sl__value_serde(t, vs), store);
}

sl_ktable_t *sl_table(sl_topology_t *t, const char *topic, const sl_consumed_t *consumed,
                      const sl_materialized_t *m)
{
    if (!t)
        return NULL;
    if (!topic)
        return sl__topo_fail(t, "table: topic is NULL");
    sl_node_t *src = sl__add_source(t, &topic, 1, consumed, "table");
    if (!src)
        return NULL;
    return materialized_node(t, &table_source_vt, src, src->key_serde, src->value_serde, m);
}

sl_ktable_t *sl_kstream_to_table(sl_kstream_t *s, const sl_materialized_t *m)
{
    if (!s)
        return NULL;
    sl_node_t *parent = s->node;
    const sl_serde_t *ks = s->key_serde, *vs = s->value_serde;
    if (s->repartition_required) {
        /* A table is partitioned by its key: re-key through a topic first. */
        parent = sl__repartition(s->topo, parent, NULL, m && m->key_serde ? m->key_serde : ks,
                                 m && m->value_serde ? m->value_serde : vs, 0);
        if (!parent)
            return NULL;
    }
    return materialized_node(s->topo, &to_table_vt, parent, ks, vs, m);
}

const char *sl_ktable_store_name(const sl_ktable_t *t)
{
    if (!t || t->store < 0)
        return NULL;
    return t->topo->stores[t->store]->name;
}

/* ---- filter, map_values ----------------------------------------------------------------------- */

/* The operator's view of one value (NULL stays NULL). -1 when the callback
 * failed the record. */
static int apply(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *v,
                 const void **out)
{
    table_def_t *d = inst->node->def;
    *out = NULL;
    if (!v)
        return 0;
    if (d->pred) {
        int keep = d->pred(d->arg, ctx, key, v) != 0;
        *out = keep != d->negate ? v : NULL;
    } else {
        *out = d->map(d->arg, ctx, key, v);
    }
    return ctx->task->err ? -1 : 0;
}

static void op_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    const void *nv, *ov = NULL;
    if (apply(ctx, inst, rec->key, rec->value, &nv))
        return;
    if (rec->has_old && apply(ctx, inst, rec->key, rec->old_value, &ov))
        return;
    /* Nothing was there and nothing is: no change to tell (KTableFilter). */
    if (rec->has_old && !nv && !ov)
        return;
    materialize(ctx, inst, rec, nv, ov, rec->has_old);
}

/* KTableFilter / KTableMapValues getters: the stored value, or the parent's
 * value seen through the operator, at the parent value's time. */
static int op_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                  int64_t *ts)
{
    table_def_t *d = inst->node->def;
    if (d->store >= 0)
        return sl__kv_get_ts(ctx, d->store, key, value, ts);
    const void *v;
    int rc = parent_get(ctx, inst, key, &v, ts);
    if (rc != 1) {
        *value = NULL;
        return rc;
    }
    if (apply(ctx, inst, key, v, value))
        return ctx->task->err;
    return *value != NULL;
}

static const sl_node_vt_t filter_vt = {.kind = "KTABLE-FILTER",
                                       .init = table_init,
                                       .process = op_process,
                                       .get = op_get,
                                       .state_size = sizeof(table_state_t)};

static const sl_node_vt_t map_values_vt = {.kind = "KTABLE-MAPVALUES",
                                           .init = table_init,
                                           .process = op_process,
                                           .get = op_get,
                                           .state_size = sizeof(table_state_t)};

static sl_ktable_t *table_op(sl_ktable_t *t, const sl_node_vt_t *vt, sl_predicate_fn pred,
                             sl_value_mapper_fn map, void *arg, int negate,
                             const sl_materialized_t *m, const char *op)
{
    if (!t)
        return NULL;
    sl_topology_t *topo = t->topo;
    if (!pred && !map)
        return sl__topo_fail(topo, "%s: the function is NULL", op);
    const sl_serde_t *ks = m && m->key_serde ? m->key_serde : t->key_serde;
    const sl_serde_t *vs = map ? NULL : t->value_serde;
    if (m && m->value_serde)
        vs = m->value_serde;
    int store = -1;
    if (m && m->store_name) {
        store = sl__store_add(topo, m->store_name, vt->kind, SL_STORE_KV, ks, vs, m);
        if (store < 0)
            return NULL;
        topo->stores[store]->timestamped = 1;
    }
    table_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(topo, "out of memory");
    *d = (table_def_t){.store = store, .pred = pred, .map = map, .arg = arg, .negate = negate};
    sl_node_t *n = sl__node_add(topo, vt, d, NULL, &t->node, 1);
    if (!n || (store >= 0 && sl__node_use_store(n, store)))
        return NULL;
    sl_ktable_t *out = sl__ktable_new(topo, n, ks, vs, store);
    if (out) {
        out->windowed = t->windowed;
        out->window_size_ms = t->window_size_ms;
    }
    return out;
}

sl_ktable_t *sl_ktable_filter(sl_ktable_t *t, sl_predicate_fn fn, void *arg,
                              const sl_materialized_t *m)
{
    return table_op(t, &filter_vt, fn, NULL, arg, 0, m, "ktable filter");
}

sl_ktable_t *sl_ktable_filter_not(sl_ktable_t *t, sl_predicate_fn fn, void *arg,
                                  const sl_materialized_t *m)
{
    return table_op(t, &filter_vt, fn, NULL, arg, 1, m, "ktable filter_not");
}

sl_ktable_t *sl_ktable_map_values(sl_ktable_t *t, sl_value_mapper_fn fn, void *arg,
                                  const sl_materialized_t *m)
{
    return table_op(t, &map_values_vt, NULL, fn, arg, 0, m, "ktable map_values");
}

/* ---- to_stream ----------------------------------------------------------------------------------- */

static void to_stream_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    sl__forward(ctx, inst, &r);
}

static const sl_node_vt_t to_stream_vt = {.kind = "KTABLE-TOSTREAM", .process = to_stream_process};

sl_kstream_t *sl_ktable_to_stream(sl_ktable_t *t)
{
    if (!t)
        return NULL;
    sl_node_t *n = sl__node_add(t->topo, &to_stream_vt, NULL, NULL, &t->node, 1);
    return n ? sl__kstream_new(t->topo, n, t->key_serde, t->value_serde, 0) : NULL;
}
