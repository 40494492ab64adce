/* session.c — session-windowed aggregations of a grouped stream:
 * windowed_by_session and count / reduce / aggregate over session windows
 * (Kafka Streams' KStreamSessionWindowAggregate), on a session store; with
 * the typed access to session stores the engine's other stores have in
 * task.c.
 *
 * Semantics, Kafka Streams 3.x's:
 *
 * A session of a key is a window [start, end] (both inclusive) spanning
 * records no more than gap apart. A record at t merges every session of its
 * key with end >= t - gap and start <= t + gap (the gap boundary is
 * inclusive) into one: the merged sessions' aggregates are combined with the
 * merger (reduce: the reducer; count: their sum), the record is added with the
 * aggregator, the merged sessions are removed — each removal forwarded as a
 * tombstone change (value NULL, old_value its aggregate) — and the new
 * session is put and forwarded (old_value NULL, as Kafka: the sessions it
 * replaced were tombstoned just before; when the record lands exactly on a
 * one-instant session [t, t], that session is updated in place and its
 * aggregate is the old value). Changes are stamped with the session's end,
 * as Kafka 3.x does.
 *
 * Closing. Stream time is the node's own (as in window.c). A record is
 * dropped (counted, "dropped-records") when the merged session would end
 * before stream time - grace - gap: a session takes no more records once
 * end + gap + grace < stream time (Kafka 3.3+ counts the gap in; suppress
 * waits the same gap + grace past the end, see sl__session_grace).
 *
 * Retention: by default gap + grace (Kafka's default; a given one must be at
 * least that). A session with end <= stream time - retention is gone at once
 * for reads (merging, the value getter), as in Kafka's segmented stores — so
 * with the default retention a record can no longer bridge to a session that
 * ended more than gap + grace ago, even though the merged session would be
 * open — and at each commit such sessions are deleted
 * (sl_session_delete_before, a scan of the store).
 *
 * Caching: session stores are never cached (the record cache serves
 * key-value and window stores): every change is forwarded as it happens. */
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "engine/window_int.h"

/* ---- typed session store access -------------------------------------------------------------- */

/* A session of the key read from the store. */
typedef struct sess {
    int64_t start, end;
    const void *value;
} sess_t;

/* The store and the key's bytes, copied into the record scope (the task's
 * scratch is reused by the next serialization). -1 when it failed the record. */
static int sess_key(sl_ctx_t *ctx, int store, const void *key, sl_task_store_t **ts, sl_bytes_t *k)
{
    *ts = sl__task_store(ctx, store, SL_STORE_SESSION);
    if (!*ts || sl__store_key_bytes(ctx, *ts, key, k))
        return -1;
    k->data = sl_mem_dup(&ctx->task->mem, k->len ? k->data : (const uint8_t *)"", k->len);
    if (!k->data) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* SessionStore.findSessions: the key's sessions with end >= earliest_end and
 * start <= latest_start, in order of end then start, into *out (record
 * scope). -1 when it failed the record. */
static int sess_find(sl_ctx_t *ctx, int store, const void *key, int64_t earliest_end,
                     int64_t latest_start, sess_t **out, size_t *n)
{
    sl_task_t *task = ctx->task;
    sl_task_store_t *ts;
    sl_bytes_t k;
    *out = NULL, *n = 0;
    if (sess_key(ctx, store, key, &ts, &k))
        return -1;
    sl_state_iter_t *it;
    sl_err_t err = sl_session_find(task->txn, ts->handle, k, earliest_end, latest_start, &it);
    if (err) {
        sl__store_fail(ctx, ts, err);
        return -1;
    }
    size_t cap = 0;
    sl_bytes_t sk, v;
    int64_t start, end;
    int rc;
    while ((rc = sl_session_iter_next(it, &sk, &start, &end, &v)) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            sess_t *s = sl_ctx_alloc(ctx, cap * sizeof *s);
            if (!s) {
                rc = SL_ERR_NOMEM;
                break;
            }
            if (*n)
                memcpy(s, *out, *n * sizeof *s);
            *out = s;
        }
        sess_t *s = &(*out)[(*n)++];
        s->start = start, s->end = end;
        if ((rc = sl__store_value_obj(ctx, ts, v, &s->value)) < 0)
            break;
    }
    sl_state_iter_close(it);
    if (rc < 0) {
        if (!task->err)
            sl__store_fail(ctx, ts, rc);
        return -1;
    }
    return 0;
}

/* The key's session [start, end]: 1 with *value, 0 when absent, or an error. */
static int sess_get(sl_ctx_t *ctx, int store, const void *key, int64_t start, int64_t end,
                    const void **value)
{
    sl_task_store_t *ts;
    sl_bytes_t k, v;
    *value = NULL;
    if (sess_key(ctx, store, key, &ts, &k))
        return ctx->task->err;
    int rc = sl_session_get(ctx->task->txn, ts->handle, k, start, end, &v);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return rc;
    }
    return rc == 0 ? 0 : sl__store_value_obj(ctx, ts, v, value);
}

/* Sets the key's session [start, end] to value (NULL removes it), and logs
 * the change under Kafka's SessionKeySchema key: key bytes, end, start, each
 * 8 bytes big-endian. -1 when it failed the record. */
static int sess_put(sl_ctx_t *ctx, int store, const void *key, int64_t start, int64_t end,
                    const void *value)
{
    sl_task_t *task = ctx->task;
    sl_task_store_t *ts;
    sl_bytes_t k;
    if (sess_key(ctx, store, key, &ts, &k))
        return -1;
    uint8_t *lk = sl_mem_alloc(&task->mem, k.len + 16);
    if (!lk) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    memcpy(lk, k.data, k.len);
    sl_store_be64(lk + k.len, (uint64_t)end);
    sl_store_be64(lk + k.len + 8, (uint64_t)start);
    sl_bytes_t logk = {lk, k.len + 16};
    int rc;
    if (!value) {
        rc = sl_session_delete(task->txn, ts->handle, k, start, end);
        if (rc >= 0)
            sl__store_log_change(ctx, ts, logk, NULL);
    } else {
        int is_null;
        sl_err_t err = sl__serialize(ts->def->value_serde, value, &task->vout, &is_null);
        if (err) {
            sl_ctx_fail(ctx, err, "store %s: cannot serialize the value", ts->def->name);
            return -1;
        }
        sl_bytes_t v = {task->vout.buf.data, task->vout.buf.len};
        rc = sl_session_put(task->txn, ts->handle, k, start, end, v);
        if (rc >= 0)
            sl__store_log_change(ctx, ts, logk, &v);
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    return task->err ? -1 : 0;
}

/* ---- the aggregation: KStreamSessionWindowAggregate ------------------------------------------ */

/* Merges two session aggregates: count adds, reduce reduces (the first
 * aggregate NULL: the second), aggregate calls the merger. */
static const void *sess_merge(sl_ctx_t *ctx, const sl_win_def_t *d, const void *key, const void *a,
                              const void *b)
{
    switch (d->kind) {
    case SL_WIN_COUNT: {
        int64_t *n = sl_ctx_alloc(ctx, sizeof *n);
        if (!n) {
            sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
            return NULL;
        }
        *n = (a ? *(const int64_t *)a : 0) + (b ? *(const int64_t *)b : 0);
        return n;
    }
    case SL_WIN_REDUCE:
        return a ? d->reducer(d->arg, ctx, a, b) : b;
    case SL_WIN_AGGREGATE:
        return d->merger(d->arg, ctx, key, a, b);
    }
    return NULL;
}

static void session_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    const sl_win_def_t *d = inst->node->def;
    sl_win_state_t *st = inst->state;
    if (!rec->key || !rec->value) {
        sl__win_skip(ctx, inst, rec);
        return;
    }
    if (sl__win_bad_ts(ctx, inst, rec))
        return;
    int64_t t = rec->ts, gap = d->size;
    sl__win_observe(st, t);
    int64_t close = st->observed - sl__win_add_sat(d->grace, gap);
    sess_t *found;
    size_t n;
    /* Sessions past retention are invisible, purged or not (window.c). */
    int64_t earliest = t - gap, live = sl__win_live_from(st, d);
    if (sess_find(ctx, d->store, rec->key, earliest > live ? earliest : live,
                  sl__win_add_sat(t, gap), &found, &n))
        return;
    const void *agg = sl__win_initial(ctx, d);
    if (ctx->task->err)
        return;
    int64_t start = t, end = t;
    for (size_t i = 0; i < n; i++) {
        agg = sess_merge(ctx, d, rec->key, agg, found[i].value);
        if (ctx->task->err)
            return;
        if (found[i].start < start)
            start = found[i].start;
        if (found[i].end > end)
            end = found[i].end;
    }
    if (end < close) {
        sl__win_drop(ctx, inst, rec, start, end, close);
        return;
    }
    const void *old = NULL;
    if (start == t && end == t) {
        /* Only the session [t, t] itself can be found: updated in place. */
        if (n)
            old = found[0].value;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (sess_put(ctx, d->store, rec->key, found[i].start, found[i].end, NULL))
                return;
            sl__win_emit(ctx, inst, rec->key, found[i].start, found[i].end, NULL, found[i].value,
                         found[i].end);
            if (ctx->task->err)
                return;
        }
    }
    const void *nv = sl__win_add(ctx, d, rec->key, rec->value, agg);
    if (ctx->task->err)
        return;
    if (!nv && !old)
        return;
    if (sess_put(ctx, d->store, rec->key, start, end, nv))
        return;
    sl__win_emit(ctx, inst, rec->key, start, end, nv, old, end);
}

/* Retention: at commit, drop sessions past retention. */
static void session_purge(sl_ctx_t *ctx, sl_inst_t *inst)
{
    const sl_win_def_t *d = inst->node->def;
    int64_t cutoff;
    if (sl__win_purge_due(inst->state, d, &cutoff))
        return;
    sl_task_store_t *ts = sl__task_store(ctx, d->store, SL_STORE_SESSION);
    if (!ts)
        return;
    sl_err_t err = sl_session_delete_before(ctx->task->txn, ts->handle, cutoff, NULL);
    if (err)
        sl__store_fail(ctx, ts, err);
}

/* The table's value getter: key is an sl_windowed_t naming one session. Its
 * time is the session's end, its latest record's (Kafka's session stores are
 * not timestamped; its getter gives the end too). */
static int session_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                       int64_t *ts)
{
    const sl_win_def_t *d = inst->node->def;
    const sl_windowed_t *w = key;
    *value = NULL;
    if (!w || w->end < sl__win_live_from(inst->state, d))
        return 0;
    *ts = w->end;
    return sess_get(ctx, d->store, w->key, w->start, w->end, value);
}

static const sl_node_vt_t session_aggregate_vt = {.kind = "KSTREAM-AGGREGATE",
                                                  .process = session_process,
                                                  .flush = session_purge,
                                                  .get = session_get,
                                                  .state_size = sizeof(sl_win_state_t)};

static const sl_node_vt_t session_reduce_vt = {.kind = "KSTREAM-REDUCE",
                                               .process = session_process,
                                               .flush = session_purge,
                                               .get = session_get,
                                               .state_size = sizeof(sl_win_state_t)};

int64_t sl__session_grace(const sl_node_t *n)
{
    if (n->vt != &session_aggregate_vt && n->vt != &session_reduce_vt)
        return -1;
    const sl_win_def_t *d = n->def;
    return sl__win_add_sat(d->size, d->grace);
}

/* ---- the DSL --------------------------------------------------------------------------------- */

sl_sessionwindowedstream_t *sl_kgroupedstream_windowed_by_session(sl_kgroupedstream_t *g,
                                                                  const sl_session_windows_t *w)
{
    if (!g)
        return NULL;
    sl_topology_t *t = g->topo;
    if (!w)
        return sl__topo_fail(t, "windowed_by_session: the windows are NULL");
    if (w->gap_ms <= 0)
        return sl__topo_fail(t, "windowed_by_session: the inactivity gap must be > 0 (got %lld)",
                             (long long)w->gap_ms);
    if (w->grace_ms < 0)
        return sl__topo_fail(t, "windowed_by_session: the grace period must be >= 0 (got %lld)",
                             (long long)w->grace_ms);
    sl_sessionwindowedstream_t *sw = sl__topo_alloc(t, sizeof *sw);
    if (!sw)
        return NULL;
    sw->grouped = g;
    sw->windows = *w;
    return sw;
}

static sl_ktable_t *sw_build(sl_sessionwindowedstream_t *w, sl_win_kind_t kind,
                             sl_initializer_fn init, sl_aggregator_fn aggregator,
                             sl_merger_fn merger, sl_reducer_fn reducer, void *arg,
                             const sl_materialized_t *m, const char *op)
{
    if (!w)
        return NULL;
    sl_kgroupedstream_t *g = w->grouped;
    sl_topology_t *t = g->topo;
    if (t->error)
        return NULL;
    if (kind == SL_WIN_REDUCE && !reducer)
        return sl__topo_fail(t, "%s: the reducer is NULL", op);
    if (kind == SL_WIN_AGGREGATE && (!init || !aggregator || !merger))
        return sl__topo_fail(t, "%s: the initializer, the aggregator or the merger is NULL", op);
    int64_t gap = w->windows.gap_ms, grace = w->windows.grace_ms;
    int64_t least = sl__win_add_sat(gap, grace);
    int64_t retention = m && m->retention_ms ? m->retention_ms : least;
    if (retention < least)
        return sl__topo_fail(t,
                             "%s: the retention period of the session store must be no smaller "
                             "than the session inactivity gap plus the grace period (got gap "
                             "%lld, grace %lld, retention %lld)",
                             op, (long long)gap, (long long)grace, (long long)retention);
    const sl_serde_t *ks = m && m->key_serde ? m->key_serde : g->key_serde;
    const sl_serde_t *vs = m && m->value_serde     ? m->value_serde
                           : kind == SL_WIN_COUNT  ? &sl_serde_int64
                           : kind == SL_WIN_REDUCE ? g->value_serde
                                                   : NULL;
    const char *prefix = kind == SL_WIN_REDUCE ? "KSTREAM-REDUCE" : "KSTREAM-AGGREGATE";
    int store = sl__store_add(t, m ? m->store_name : NULL, prefix, SL_STORE_SESSION, ks, vs, m);
    if (store < 0)
        return NULL;
    t->stores[store]->retention_ms = retention;
    t->stores[store]->caching = 0; /* see the file comment */
    sl_win_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    *d = (sl_win_def_t){.kind = kind,
                        .store = store,
                        .ts_store = -1,
                        .size = gap,
                        .grace = grace,
                        .retention = retention,
                        .init = init,
                        .aggregator = aggregator,
                        .reducer = reducer,
                        .merger = merger,
                        .arg = arg};
    const sl_node_vt_t *vt = kind == SL_WIN_REDUCE ? &session_reduce_vt : &session_aggregate_vt;
    sl_node_t *n = sl__node_add(t, vt, d, NULL, &g->node, 1);
    if (!n || sl__node_use_store(n, store))
        return NULL;
    sl_serde_t *wks = sl__topo_alloc(t, sizeof *wks);
    if (!wks)
        return NULL;
    *wks = sl_serde_session_windowed(sl__key_serde(t, ks));
    sl_ktable_t *out = sl__ktable_new(t, n, wks, sl__value_serde(t, vs), store);
    if (out)
        out->windowed = 2;
    return out;
}

sl_ktable_t *sl_swstream_count(sl_sessionwindowedstream_t *w, const sl_materialized_t *m)
{
    return sw_build(w, SL_WIN_COUNT, NULL, NULL, NULL, NULL, NULL, m, "session count");
}

sl_ktable_t *sl_swstream_reduce(sl_sessionwindowedstream_t *w, sl_reducer_fn fn, void *arg,
                                const sl_materialized_t *m)
{
    return sw_build(w, SL_WIN_REDUCE, NULL, NULL, NULL, fn, arg, m, "session reduce");
}

sl_ktable_t *sl_swstream_aggregate(sl_sessionwindowedstream_t *w, sl_initializer_fn init,
                                   sl_aggregator_fn fn, sl_merger_fn merger, void *arg,
                                   const sl_materialized_t *m)
{
    return sw_build(w, SL_WIN_AGGREGATE, init, fn, merger, NULL, arg, m, "session aggregate");
}
