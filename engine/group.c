/* group.c — grouping a stream by key (groupByKey, groupBy): the handle the
 * aggregations start from, with a repartition topic when the key changed. */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

static void select_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec);

typedef struct select_def {
    sl_key_mapper_fn fn;
    void *arg;
} select_def_t;

static const sl_node_vt_t group_select_vt = {.kind = "KSTREAM-KEY-SELECT",
                                             .process = select_process};

static void select_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    select_def_t *d = inst->node->def;
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    r.key = d->fn(d->arg, ctx, rec->key, rec->value);
    if (!ctx->task->err)
        sl__forward(ctx, inst, &r);
}

/* The grouped handle; repartitions first when the key changed upstream (the
 * repartition happens lazily in Kafka Streams, at the aggregation; doing it
 * here gives the same topology for one aggregation per grouping). */
static sl_kgroupedstream_t *grouped(sl_kstream_t *s, sl_node_t *node, const sl_serde_t *ks,
                                    const sl_serde_t *vs, int repartition, const sl_grouped_t *g)
{
    sl_topology_t *t = s->topo;
    sl_kgroupedstream_t *gs = sl__topo_alloc(t, sizeof *gs);
    if (!gs)
        return NULL;
    gs->topo = t;
    gs->key_serde = g && g->key_serde ? g->key_serde : ks;
    gs->value_serde = g && g->value_serde ? g->value_serde : vs;
    gs->name = g && g->name ? sl__topo_strdup(t, g->name) : NULL;
    gs->repartition_required = repartition;
    gs->node = node;
    if (repartition) {
        gs->node = sl__repartition(t, node, gs->name, sl__key_serde(t, gs->key_serde),
                                   sl__value_serde(t, gs->value_serde), 0);
        if (!gs->node)
            return NULL;
        gs->repartition_required = 0;
        gs->key_serde = sl__key_serde(t, gs->key_serde);
        gs->value_serde = sl__value_serde(t, gs->value_serde);
    }
    return gs;
}

sl_kgroupedstream_t *sl_kstream_group_by_key(sl_kstream_t *s, const sl_grouped_t *g)
{
    if (!s)
        return NULL;
    return grouped(s, s->node, s->key_serde, s->value_serde, s->repartition_required, g);
}

sl_kgroupedstream_t *sl_kstream_group_by(sl_kstream_t *s, sl_key_mapper_fn fn, void *arg,
                                         const sl_grouped_t *g)
{
    if (!s)
        return NULL;
    if (!fn)
        return sl__topo_fail(s->topo, "group_by: the key mapper is NULL");
    select_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(s->topo, "out of memory");
    d->fn = fn, d->arg = arg;
    sl_node_t *n = sl__node_add(s->topo, &group_select_vt, d, NULL, &s->node, 1);
    if (!n)
        return NULL;
    return grouped(s, n, NULL, s->value_serde, 1, g);
}
