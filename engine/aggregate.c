/* aggregate.c — the rolling aggregations: count, reduce and aggregate of a
 * grouped stream (Kafka Streams' KStreamAggregate, KStreamReduce); a table
 * re-grouped through a repartition topic (KTableRepartitionMap); and count,
 * reduce and aggregate of a grouped table with adder and subtractor
 * (KTableAggregate, KTableReduce). Each aggregation keeps its results in a
 * key-value store and emits them as table changes.
 *
 * Emitting. The aggregation node owns its store (sl__store_own). When the
 * store is cached in the task, the cache folds the updates per key and hands
 * them back at commit or eviction: the node emits from its flush callback.
 * Otherwise it emits right after each write, old value = the aggregate it read
 * before the write. Either way a change is an sl_rec_t with value = the new
 * aggregate (NULL: the key was removed), old_value = the previous one and
 * has_old = 1; its timestamp is the record's. (Kafka Streams stamps it
 * max(record time, previous aggregate's time): its stores keep a timestamp
 * per value, ours do not.)
 *
 * Table re-grouping. A table change (new, old) of key k becomes, on the
 * repartition topic, a subtraction of old under f(k, old)'s key and an
 * addition of new under f(k, new)'s key — Kafka Streams 3.5+ (KIP-904): when
 * both map to the same key (equal key bytes), one record carries both and the
 * aggregation applies the subtractor then the adder, so nobody sees the
 * aggregate without the row; otherwise the subtraction goes first. A pair
 * whose mapped key or value is NULL is left out. The repartition value is a
 * change: see the change serde below for its bytes. */
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "engine/engine_int.h"

/* ---- the change serde: repartition records of a re-grouped table -------------------------- *
 * The object is a change_t; the bytes are Kafka Streams 3.5's ChangedSerializer
 * layout (without the later "is latest" flag of versioned tables), so a Java
 * application reads the same repartition topic:
 *   {old value bytes}{0x00}                                a subtraction
 *   {new value bytes}{0x01}                                an addition
 *   {u32 big-endian length of new}{new bytes}{old bytes}{0x02}   both, one key
 * The flag comes last. Value bytes are the inner serde's (the grouping's
 * value serde). A change with neither value cannot be written. */

typedef struct change {
    const void *new_value, *old_value;
} change_t;

enum { CHANGE_OLD = 0, CHANGE_NEW = 1, CHANGE_BOTH = 2 };

static sl_err_t change_ser(const sl_serde_t *serde, const void *obj, sl_out_t *out)
{
    const sl_serde_t *inner = serde->arg;
    const change_t *c = obj;
    uint8_t flag;
    sl_err_t err = SL_OK;
    if (c->new_value && c->old_value) {
        size_t at = out->buf.len;
        err = sl_out_append(out, "\0\0\0\0", 4);
        if (!err)
            err = inner->serialize(inner, c->new_value, out);
        if (err)
            return err;
        size_t n = out->buf.len - at - 4;
        if (n > UINT32_MAX)
            return SL_ERR_SERDE;
        sl_store_be32(out->buf.data + at, (uint32_t)n);
        err = inner->serialize(inner, c->old_value, out);
        flag = CHANGE_BOTH;
    } else if (c->new_value) {
        err = inner->serialize(inner, c->new_value, out);
        flag = CHANGE_NEW;
    } else if (c->old_value) {
        err = inner->serialize(inner, c->old_value, out);
        flag = CHANGE_OLD;
    } else {
        return SL_ERR_SERDE;
    }
    return err ? err : sl_out_append(out, &flag, 1);
}

static sl_err_t change_de(const sl_serde_t *serde, sl_bytes_t in, sl_mem_t *mem,
                          const void **obj)
{
    const sl_serde_t *inner = serde->arg;
    if (in.len < 1)
        return SL_ERR_SERDE;
    change_t *c = sl_mem_alloc(mem, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    c->new_value = c->old_value = NULL;
    uint8_t flag = in.data[in.len - 1];
    sl_bytes_t body = {in.data, in.len - 1};
    sl_err_t err;
    switch (flag) {
    case CHANGE_OLD:
        err = inner->deserialize(inner, body, mem, &c->old_value);
        break;
    case CHANGE_NEW:
        err = inner->deserialize(inner, body, mem, &c->new_value);
        break;
    case CHANGE_BOTH: {
        if (body.len < 4)
            return SL_ERR_SERDE;
        size_t n = sl_load_be32(body.data);
        if (n > body.len - 4)
            return SL_ERR_SERDE;
        sl_bytes_t nb = {body.data + 4, n}, ob = {body.data + 4 + n, body.len - 4 - n};
        err = inner->deserialize(inner, nb, mem, &c->new_value);
        if (!err)
            err = inner->deserialize(inner, ob, mem, &c->old_value);
        break;
    }
    default:
        return SL_ERR_SERDE;
    }
    if (err)
        return err;
    *obj = c;
    return SL_OK;
}

/* A change serde around inner, owned by the topology. */
static const sl_serde_t *change_serde(sl_topology_t *t, const sl_serde_t *inner)
{
    sl_serde_t *s = sl__topo_alloc(t, sizeof *s);
    if (s)
        *s = (sl_serde_t){"change", change_ser, change_de, inner, 0, NULL};
    return s;
}

/* ---- the aggregation nodes ---------------------------------------------------------------- */

typedef enum agg_kind { AGG_COUNT, AGG_REDUCE, AGG_AGGREGATE } agg_kind_t;

typedef struct agg_def {
    agg_kind_t kind;
    int store;
    sl_initializer_fn init;             /* aggregate */
    sl_aggregator_fn add, sub;          /* aggregate (sub: tables) */
    sl_reducer_fn reduce_add, reduce_sub; /* reduce (reduce_sub: tables) */
    void *arg;
} agg_def_t;

typedef struct agg_state {
    int cached; /* the store is cached in this task: emit from the flush callback */
} agg_state_t;

static void emit_change(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *new_value,
                        const void *old_value, int64_t ts)
{
    sl_rec_t r = {.key = key, .value = new_value, .old_value = old_value, .has_old = 1, .ts = ts};
    if (ctx->rec) {
        r.headers = ctx->rec->headers;
        r.nheaders = ctx->rec->nheaders;
    }
    sl__forward(ctx, inst, &r);
}

static void agg_on_flush(sl_ctx_t *ctx, sl_inst_t *owner, const void *key, int64_t window_start,
                         const void *new_value, const void *old_value, int64_t ts)
{
    if (new_value || old_value)
        emit_change(ctx, owner, key, new_value, old_value, ts);
}

static sl_err_t agg_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    agg_def_t *d = inst->node->def;
    agg_state_t *st = inst->state;
    int rc = sl__store_own(ctx, d->store, agg_on_flush);
    if (rc < 0)
        return (sl_err_t)rc;
    st->cached = rc;
    return SL_OK;
}

/* The table's value getter: the aggregate as stored (the cache's, if any),
 * with its result's time. */
static int agg_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                   int64_t *ts)
{
    agg_def_t *d = inst->node->def;
    return sl__kv_get_ts(ctx, d->store, key, value, ts);
}

/* A count plus delta, as a new int64 in the record scope (old NULL: 0). */
static const void *count_plus(sl_ctx_t *ctx, const void *old, int64_t delta)
{
    int64_t *n = sl_ctx_alloc(ctx, sizeof *n);
    if (!n) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *n = (old ? *(const int64_t *)old : 0) + delta;
    return n;
}

/* Stores the new aggregate (NULL deletes) and emits the change unless the
 * cache will. Nothing there before or after: no change to tell. */
static void store_and_emit(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec,
                           const void *old_agg, int64_t old_ts, const void *new_agg)
{
    agg_def_t *d = inst->node->def;
    agg_state_t *st = inst->state;
    if (!old_agg && !new_agg)
        return;
    /* Kafka Streams' KStreamAggregate / KTableAggregate: the result's time
     * is the latest of the record's and the previous result's. */
    int64_t ts = old_agg && old_ts > rec->ts ? old_ts : rec->ts;
    if (sl__kv_put_ts(ctx, d->store, rec->key, new_agg, ts))
        return;
    if (!st->cached)
        emit_change(ctx, inst, rec->key, new_agg, old_agg, ts);
}

/* KStreamAggregate / KStreamReduce: fold each record into its key's aggregate. */
static void stream_agg_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    agg_def_t *d = inst->node->def;
    if (!rec->key || !rec->value) {
        /* Kafka Streams: "Skipping record due to null key or value". */
        ctx->task->metrics.skipped++;
        sl_trace(SL_TRACE_WARN, "engine",
                 "%s: skipping a record with a null %s (topic %s partition %d offset %lld)",
                 inst->node->name, rec->key ? "value" : "key", ctx->topic ? ctx->topic : "?",
                 (int)ctx->partition, (long long)ctx->offset);
        return;
    }
    const void *old_agg, *agg = NULL;
    int64_t old_ts = 0;
    if (sl__kv_get_ts(ctx, d->store, rec->key, &old_agg, &old_ts) < 0)
        return;
    switch (d->kind) {
    case AGG_COUNT:
        agg = count_plus(ctx, old_agg, 1);
        break;
    case AGG_REDUCE:
        /* The first value of a key is its aggregate. */
        agg = old_agg ? d->reduce_add(d->arg, ctx, old_agg, rec->value) : rec->value;
        break;
    case AGG_AGGREGATE: {
        const void *start = old_agg;
        if (!start) {
            start = d->init(d->arg, ctx);
            if (ctx->task->err)
                return;
        }
        agg = d->add(d->arg, ctx, rec->key, rec->value, start);
        break;
    }
    }
    if (ctx->task->err)
        return;
    store_and_emit(ctx, inst, rec, old_agg, old_ts, agg);
}

/* KTableAggregate / KTableReduce: the record is a change from the repartition
 * topic; subtract its old value, then add its new one. */
static void table_agg_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    agg_def_t *d = inst->node->def;
    if (!rec->key) {
        sl_ctx_fail(ctx, SL_ERR_PROCESSING, "the key of a re-grouped table record is null");
        return;
    }
    const change_t *ch = rec->value;
    if (!ch) {
        /* A tombstone on the repartition topic: none of ours writes one. */
        ctx->task->metrics.skipped++;
        sl_trace(SL_TRACE_WARN, "engine", "%s: skipping a repartition record with a null value",
                 inst->node->name);
        return;
    }
    const void *old_agg, *agg;
    int64_t old_ts = 0;
    if (sl__kv_get_ts(ctx, d->store, rec->key, &old_agg, &old_ts) < 0)
        return;
    agg = old_agg;
    if (ch->old_value && agg) {
        switch (d->kind) {
        case AGG_COUNT:
            agg = count_plus(ctx, agg, -1);
            break;
        case AGG_REDUCE:
            agg = d->reduce_sub(d->arg, ctx, agg, ch->old_value);
            break;
        case AGG_AGGREGATE:
            agg = d->sub(d->arg, ctx, rec->key, ch->old_value, agg);
            break;
        }
        if (ctx->task->err)
            return;
    }
    if (ch->new_value) {
        switch (d->kind) {
        case AGG_COUNT:
            agg = count_plus(ctx, agg, 1);
            break;
        case AGG_REDUCE:
            /* After the subtractor removed the key (NULL), the next value
             * starts it again. */
            agg = agg ? d->reduce_add(d->arg, ctx, agg, ch->new_value) : ch->new_value;
            break;
        case AGG_AGGREGATE:
            if (!agg) {
                agg = d->init(d->arg, ctx);
                if (ctx->task->err)
                    return;
            }
            agg = d->add(d->arg, ctx, rec->key, ch->new_value, agg);
            break;
        }
        if (ctx->task->err)
            return;
    }
    store_and_emit(ctx, inst, rec, old_agg, old_ts, agg);
}

static const sl_node_vt_t stream_aggregate_vt = {.kind = "KSTREAM-AGGREGATE",
                                                 .init = agg_init,
                                                 .process = stream_agg_process,
                                                 .get = agg_get,
                                                 .state_size = sizeof(agg_state_t)};

static const sl_node_vt_t stream_reduce_vt = {.kind = "KSTREAM-REDUCE",
                                              .init = agg_init,
                                              .process = stream_agg_process,
                                              .get = agg_get,
                                              .state_size = sizeof(agg_state_t)};

static const sl_node_vt_t table_aggregate_vt = {.kind = "KTABLE-AGGREGATE",
                                                .init = agg_init,
                                                .process = table_agg_process,
                                                .get = agg_get,
                                                .state_size = sizeof(agg_state_t)};

static const sl_node_vt_t table_reduce_vt = {.kind = "KTABLE-REDUCE",
                                             .init = agg_init,
                                             .process = table_agg_process,
                                             .get = agg_get,
                                             .state_size = sizeof(agg_state_t)};

/* Adds the store and the aggregation node under parent; the table handle.
 * proto has the kind and functions. ks/vs: the store's serdes before the
 * materialization's and the defaults. When repartition_name is set (tables),
 * parent is first connected through the repartition topic
 * <app>-<repartition_name or the store's name>-repartition with the change
 * serde around rvs (the grouping's key serde rks). */
static sl_ktable_t *add_aggregation(sl_topology_t *t, const sl_node_vt_t *vt, sl_node_t *parent,
                                    const agg_def_t *proto, const sl_serde_t *ks,
                                    const sl_serde_t *vs, const sl_materialized_t *m,
                                    int table, const char *grouped_name, const sl_serde_t *rks,
                                    const sl_serde_t *rvs)
{
    if (t->error)
        return NULL;
    ks = m && m->key_serde ? m->key_serde : ks;
    vs = m && m->value_serde ? m->value_serde : vs;
    int store = sl__store_add(t, m ? m->store_name : NULL, vt->kind, SL_STORE_KV, ks, vs, m);
    if (store < 0)
        return NULL;
    t->stores[store]->timestamped = 1;
    if (table) {
        /* Kafka Streams names the topic after the grouping, else the store. */
        const sl_serde_t *cs = change_serde(t, rvs);
        if (!cs)
            return NULL;
        parent = sl__repartition(t, parent, grouped_name ? grouped_name : t->stores[store]->name,
                                 rks, cs, 0);
        if (!parent)
            return NULL;
    }
    agg_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    *d = *proto;
    d->store = store;
    sl_node_t *n = sl__node_add(t, vt, d, NULL, &parent, 1);
    if (!n || sl__node_use_store(n, store))
        return NULL;
    return sl__ktable_new(t, n, sl__key_serde(t, ks), sl__value_serde(t, vs), store);
}

/* ---- KGroupedStream --------------------------------------------------------------------------- */

static sl_ktable_t *stream_aggregation(sl_kgroupedstream_t *g, const sl_node_vt_t *vt,
                                       const agg_def_t *proto, const sl_serde_t *vs,
                                       const sl_materialized_t *m)
{
    sl_topology_t *t = g->topo;
    sl_node_t *parent = g->node;
    if (g->repartition_required) {
        /* group.c repartitions when it groups; kept for a handle made otherwise. */
        parent = sl__repartition(t, parent, g->name, sl__key_serde(t, g->key_serde),
                                 sl__value_serde(t, g->value_serde), 0);
        if (!parent)
            return NULL;
    }
    return add_aggregation(t, vt, parent, proto, g->key_serde, vs, m, 0, NULL, NULL, NULL);
}

sl_ktable_t *sl_kgroupedstream_count(sl_kgroupedstream_t *g, const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    agg_def_t p = {.kind = AGG_COUNT};
    return stream_aggregation(g, &stream_aggregate_vt, &p, &sl_serde_int64, m);
}

sl_ktable_t *sl_kgroupedstream_reduce(sl_kgroupedstream_t *g, sl_reducer_fn fn, void *arg,
                                      const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    if (!fn)
        return sl__topo_fail(g->topo, "reduce: the reducer is NULL");
    agg_def_t p = {.kind = AGG_REDUCE, .reduce_add = fn, .arg = arg};
    /* The aggregate has the values' type: the grouping's value serde. */
    return stream_aggregation(g, &stream_reduce_vt, &p, g->value_serde, m);
}

sl_ktable_t *sl_kgroupedstream_aggregate(sl_kgroupedstream_t *g, sl_initializer_fn init,
                                         sl_aggregator_fn fn, void *arg,
                                         const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    if (!init || !fn)
        return sl__topo_fail(g->topo, "aggregate: the %s is NULL",
                             init ? "aggregator" : "initializer");
    agg_def_t p = {.kind = AGG_AGGREGATE, .init = init, .add = fn, .arg = arg};
    return stream_aggregation(g, &stream_aggregate_vt, &p, NULL, m);
}

/* ---- KTable.groupBy: the repartition map ------------------------------------------------------ */

typedef struct select_def {
    sl_kv_mapper_fn fn;
    void *arg;
    const sl_serde_t *key_serde; /* the grouping's: compares the mapped keys */
} select_def_t;

/* Do a and b serialize to the same bytes? 1, 0, or -1 after failing the record. */
static int same_key(sl_ctx_t *ctx, const sl_serde_t *serde, const void *a, const void *b)
{
    sl_task_t *task = ctx->task;
    int is_null;
    sl_err_t err = sl__serialize(serde, a, &task->kout, &is_null);
    uint8_t *ab = NULL;
    size_t alen = task->kout.buf.len;
    if (!err && !(ab = sl_mem_dup(&task->mem, task->kout.buf.data ? task->kout.buf.data
                                                                  : (const uint8_t *)"",
                                  alen)))
        err = SL_ERR_NOMEM;
    if (!err)
        err = sl__serialize(serde, b, &task->kout, &is_null);
    if (err) {
        sl_ctx_fail(ctx, err, "cannot serialize a grouping key with the %s serde (%s)",
                    serde->name, sl_err_str(err));
        return -1;
    }
    return alen == task->kout.buf.len && (alen == 0 || !memcmp(ab, task->kout.buf.data, alen));
}

static void select_forward(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec, const void *key,
                           const void *new_value, const void *old_value)
{
    change_t c = {new_value, old_value};
    sl_rec_t r = *rec;
    r.key = key;
    r.value = &c;
    r.old_value = NULL, r.has_old = 0;
    sl__forward(ctx, inst, &r);
}

static void select_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    select_def_t *d = inst->node->def;
    if (!rec->key) {
        sl_ctx_fail(ctx, SL_ERR_PROCESSING, "the key of a table record to re-group is null");
        return;
    }
    /* An upstream that does not know the old value (has_old 0) gives only
     * the addition; the tables of table.c always know it. */
    const void *nk = NULL, *nv = NULL, *ok = NULL, *ov = NULL;
    if (rec->value) {
        d->fn(d->arg, ctx, rec->key, rec->value, &nk, &nv);
        if (ctx->task->err)
            return;
    }
    if (rec->has_old && rec->old_value) {
        d->fn(d->arg, ctx, rec->key, rec->old_value, &ok, &ov);
        if (ctx->task->err)
            return;
    }
    int add = nk && nv, sub = ok && ov;
    if (add && sub) {
        int same = same_key(ctx, d->key_serde, ok, nk);
        if (same < 0)
            return;
        if (same) {
            select_forward(ctx, inst, rec, ok, nv, ov);
            return;
        }
    }
    if (sub)
        select_forward(ctx, inst, rec, ok, NULL, ov);
    if (add && !ctx->task->err)
        select_forward(ctx, inst, rec, nk, nv, NULL);
}

static const sl_node_vt_t select_vt = {.kind = "KTABLE-SELECT", .process = select_process};

sl_kgroupedtable_t *sl_ktable_group_by(sl_ktable_t *t, sl_kv_mapper_fn fn, void *arg,
                                       const sl_grouped_t *g)
{
    if (!t)
        return NULL;
    sl_topology_t *topo = t->topo;
    if (!fn)
        return sl__topo_fail(topo, "group_by: the key-value mapper is NULL");
    sl_kgroupedtable_t *gt = sl__topo_alloc(topo, sizeof *gt);
    if (!gt)
        return NULL;
    gt->topo = topo;
    /* The key and value changed: only the grouping's serdes (or the
     * defaults) can write them. */
    gt->key_serde = sl__key_serde(topo, g ? g->key_serde : NULL);
    gt->value_serde = sl__value_serde(topo, g ? g->value_serde : NULL);
    if (g && g->name && !(gt->name = sl__topo_strdup(topo, g->name)))
        return NULL;
    select_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(topo, "out of memory");
    *d = (select_def_t){fn, arg, gt->key_serde};
    /* Kafka Streams names the select node after the grouping too. */
    gt->node = sl__node_add(topo, &select_vt, d, gt->name, &t->node, 1);
    return gt->node ? gt : NULL;
}

/* ---- KGroupedTable ------------------------------------------------------------------------------ */

static sl_ktable_t *table_aggregation(sl_kgroupedtable_t *g, const sl_node_vt_t *vt,
                                      const agg_def_t *proto, const sl_serde_t *vs,
                                      const sl_materialized_t *m)
{
    return add_aggregation(g->topo, vt, g->node, proto, g->key_serde, vs, m, 1, g->name,
                           g->key_serde, g->value_serde);
}

sl_ktable_t *sl_kgroupedtable_count(sl_kgroupedtable_t *g, const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    agg_def_t p = {.kind = AGG_COUNT};
    return table_aggregation(g, &table_aggregate_vt, &p, &sl_serde_int64, m);
}

sl_ktable_t *sl_kgroupedtable_reduce(sl_kgroupedtable_t *g, sl_reducer_fn adder,
                                     sl_reducer_fn subtractor, void *arg,
                                     const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    if (!adder || !subtractor)
        return sl__topo_fail(g->topo, "reduce: the %s is NULL", adder ? "subtractor" : "adder");
    agg_def_t p = {.kind = AGG_REDUCE, .reduce_add = adder, .reduce_sub = subtractor, .arg = arg};
    return table_aggregation(g, &table_reduce_vt, &p, g->value_serde, m);
}

sl_ktable_t *sl_kgroupedtable_aggregate(sl_kgroupedtable_t *g, sl_initializer_fn init,
                                        sl_aggregator_fn adder, sl_aggregator_fn subtractor,
                                        void *arg, const sl_materialized_t *m)
{
    if (!g)
        return NULL;
    if (!init || !adder || !subtractor)
        return sl__topo_fail(g->topo, "aggregate: the %s is NULL",
                             !init ? "initializer" : !adder ? "adder" : "subtractor");
    agg_def_t p = {
        .kind = AGG_AGGREGATE, .init = init, .add = adder, .sub = subtractor, .arg = arg};
    return table_aggregation(g, &table_aggregate_vt, &p, NULL, m);
}
