/* join.c — joins on the record key: stream-stream (windowed; Kafka Streams'
 * KStreamKStreamJoin with the 3.1+ left/outer semantics), stream-table and
 * stream-global-table (lookups through a value getter; KStreamKTableJoin),
 * table-table (KTableKTableJoin and its merger), and global tables.
 * Foreign-key joins are in fkjoin.c.
 *
 * Stream-stream joins. Each input gets a join node (KSTREAM-JOINTHIS /
 * -JOINOTHER, or -OUTERTHIS / -OUTEROTHER for the sides whose partner may
 * miss) and both feed a merge node, the result. Each side keeps its records
 * in a window store (key = the record key, window start = the record's
 * time). A key may have several records at one timestamp: Kafka's store keeps
 * them apart with a sequence number in the key; here the value of a (key,
 * time) entry is the list of the values, each as a 4-byte big-endian length
 * and the value's bytes. The list is rewritten whole on each append, so its
 * changelog record (key + time + sequence 0, Sluice's window changelog key)
 * always holds the whole list and compaction keeps the right one. A record at
 * t looks up the other side's records of its key within [t - before,
 * t + after] (the other side mirrors: [t - after, t + before]), emits
 * joiner(left, right) for each at max(left time, right time), and is then
 * stored. Both stores keep before + after + grace of stream time (the side's
 * own largest time): older records are not stored, not returned, and purged
 * now and then.
 *
 * Left and outer joins (Kafka 3.1+, KIP-633): a record of an outer side that
 * found nothing waits in a key-value "outer" store shared by both nodes, keyed
 * by (time, side, key) so that it iterates in time order, valued by the list
 * of values. A later match from the other side deletes it. When a record
 * arrives at the join's stream time (the largest time either side has seen),
 * every waiting record whose window has closed — a left record at t once
 * stream time > t + after + grace, a right one once > t + before + grace (the
 * same strict comparison as Kafka's code) — is emitted with null on the other
 * side, at its own time, and deleted. A record that found nothing and whose
 * window end (t + after) is already behind stream time is emitted with null
 * at once, as Kafka does for out-of-order records. Kafka throttles the
 * scanning by wall-clock time (1 s); Sluice scans whenever a closed window
 * may exist, which gives the same results without needing the clock.
 *
 * Eager left and outer joins (sl_join_windows_t.eager; Kafka before 3.1):
 * there is no outer store, and a record that finds nothing is emitted with
 * null when it arrives — a "spurious" result if a partner comes later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/trace.h"
#include "engine/engine_int.h"
#include "engine/join_int.h"

/* ---- shared helpers (join_int.h) ------------------------------------------------------------ */

int sl__join_serialize(sl_ctx_t *ctx, const sl_serde_t *serde, const void *obj, sl_bytes_t *out)
{
    sl_task_t *task = ctx->task;
    *out = (sl_bytes_t){NULL, 0};
    if (!obj)
        return 0;
    int is_null;
    sl_err_t err = sl__serialize(serde, obj, &task->vout, &is_null);
    if (err) {
        sl_ctx_fail(ctx, err, "the %s serde cannot serialize a value (%s)", serde->name,
                    sl_err_str(err));
        return -1;
    }
    const uint8_t *src = task->vout.buf.data ? task->vout.buf.data : (const uint8_t *)"";
    uint8_t *p = sl_mem_dup(&task->mem, src, task->vout.buf.len);
    if (!p) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    *out = (sl_bytes_t){p, task->vout.buf.len};
    return 0;
}

int sl__join_deserialize(sl_ctx_t *ctx, const sl_serde_t *serde, sl_bytes_t b, const void **obj)
{
    sl_task_t *task = ctx->task;
    sl_bytes_t c = {sl_mem_dup(&task->mem, b.data ? b.data : (const uint8_t *)"", b.len), b.len};
    *obj = NULL;
    if (!c.data) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    sl_err_t err = sl__deserialize(serde, &c, &task->mem, obj);
    if (err) {
        sl_ctx_fail(ctx, err, "the %s serde cannot read a stored value (%s)", serde->name,
                    sl_err_str(err));
        return -1;
    }
    return 0;
}

int sl__join_link_table(sl_node_t *node, const sl_ktable_t *t, const char *op)
{
    sl_topology_t *topo = node->topo;
    if (!t->node->vt->get) {
        sl__topo_fail(topo, "%s: table %s cannot be looked up (it has no value getter)", op,
                      t->node->name);
        return -1;
    }
    if (t->store >= 0)
        return sl__node_use_store(node, t->store);
    /* Breadth first up the parents: the nearest node with a store. */
    sl_node_t **queue = calloc((size_t)topo->nnodes, sizeof *queue);
    char *seen = calloc((size_t)topo->nnodes, 1);
    if (!queue || !seen) {
        free(queue), free(seen);
        sl__topo_fail(topo, "out of memory");
        return -1;
    }
    int head = 0, tail = 0, store = -1;
    queue[tail++] = t->node;
    seen[t->node->id] = 1;
    while (head < tail && store < 0) {
        sl_node_t *n = queue[head++];
        if (n->nstores) {
            store = n->stores[0];
            break;
        }
        for (int i = 0; i < n->nparents; i++) {
            if (!seen[n->parents[i]->id]) {
                seen[n->parents[i]->id] = 1;
                queue[tail++] = n->parents[i];
            }
        }
    }
    free(queue), free(seen);
    if (store < 0) {
        sl__topo_fail(topo, "%s: table %s is not materialized (no store upstream)", op,
                      t->node->name);
        return -1;
    }
    return sl__node_use_store(node, store);
}

int sl__join_table_get(sl_ctx_t *ctx, sl_node_t *tn, const void *key, const void **value,
                       int64_t *ts)
{
    sl_inst_t *ti = ctx->task->insts[tn->id];
    int64_t t = ctx->rec ? ctx->rec->ts : ctx->task->stream_time;
    *value = NULL;
    if (!ti || !tn->vt->get) {
        sl_ctx_fail(ctx, SL_ERR_STATE, "table %s is not in this task", tn->name);
        return SL_ERR_STATE;
    }
    int rc = tn->vt->get(ctx, ti, key, value, &t);
    if (ts)
        *ts = t;
    if (rc < 0 || ctx->task->err)
        return rc < 0 ? rc : ctx->task->err;
    return *value != NULL;
}

/* Sends (key, value) at ts to inst's children, with the record's headers. */
static void emit(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *value, int64_t ts)
{
    sl_rec_t r = {0};
    if (ctx->rec)
        r.headers = ctx->rec->headers, r.nheaders = ctx->rec->nheaders;
    r.key = key;
    r.value = value;
    r.ts = ts;
    sl__forward(ctx, inst, &r);
}

static void skip_record(sl_ctx_t *ctx, sl_inst_t *inst, const char *why)
{
    ctx->task->metrics.skipped++;
    sl_trace(SL_TRACE_DEBUG, "engine", "%s: skipping a record with %s", inst->node->name, why);
}

static void pass_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    sl__forward(ctx, inst, rec);
}

static const sl_node_vt_t merge_vt = {.kind = "KSTREAM-MERGE", .process = pass_process};

/* ---- stream-stream joins: value lists ------------------------------------------------------- */

enum { SIDE_RIGHT = 0, SIDE_LEFT = 1 };

/* Returns list with v appended, in the record scope: 0, or -1 (failed). */
static int list_append(sl_ctx_t *ctx, sl_bytes_t list, sl_bytes_t v, sl_bytes_t *out)
{
    if (v.len > UINT32_MAX) {
        sl_ctx_fail(ctx, SL_ERR_RANGE, "a joined value is too large");
        return -1;
    }
    uint8_t *p = sl_mem_alloc(&ctx->task->mem, list.len + 4 + v.len);
    if (!p) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (list.len)
        memcpy(p, list.data, list.len);
    sl_store_be32(p + list.len, (uint32_t)v.len);
    if (v.len)
        memcpy(p + list.len + 4, v.data, v.len);
    *out = (sl_bytes_t){p, list.len + 4 + v.len};
    return 0;
}

/* The next value of a list: 1 with *v (a view into the list), 0 at the end,
 * -1 when the list is malformed. */
static int list_next(sl_bytes_t *rest, sl_bytes_t *v)
{
    if (rest->len == 0)
        return 0;
    if (rest->len < 4)
        return -1;
    uint32_t n = sl_load_be32(rest->data);
    if (rest->len - 4 < n)
        return -1;
    *v = (sl_bytes_t){rest->data + 4, n};
    rest->data += 4 + n;
    rest->len -= 4 + (size_t)n;
    return 1;
}

/* ---- stream-stream joins: the nodes ---------------------------------------------------------- */

typedef struct ssj_def {
    int side;  /* the input this node reads */
    int outer; /* this side's records that find nothing are emitted with null */
    sl_value_joiner_fn fn;
    void *arg;
    int64_t before, after;                /* this side's look-up: [t - before, t + after] */
    int64_t win_before, win_after, grace; /* the join windows as given */
    int64_t retention;                    /* of both window stores */
    int this_store, other_store;          /* window stores */
    int outer_store;                      /* -1: an inner join */
    sl_node_t *partner;                   /* the other side's join node */
} ssj_def_t;

/* Per task, in the left node's instance and shared by both (Kafka's
 * TimeTracker). In memory only: after a restart the first record scans the
 * outer store once and the stores' times start again from the records. */
typedef struct ssj_state {
    int64_t stream_time; /* the largest time either side has seen */
    int64_t min_time;    /* no outer record is older; INT64_MIN: unknown, INT64_MAX: none */
    int64_t observed[2]; /* the largest time put into each side's store */
    int64_t next_purge[2];
} ssj_state_t;

static ssj_state_t *ssj_shared(sl_ctx_t *ctx, sl_inst_t *inst)
{
    ssj_def_t *d = inst->node->def;
    if (d->side == SIDE_LEFT)
        return inst->state;
    return ctx->task->insts[d->partner->id]->state;
}

static sl_err_t ssj_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    (void)ctx;
    ssj_state_t *st = inst->state;
    st->stream_time = INT64_MIN;
    st->min_time = INT64_MIN;
    st->observed[0] = st->observed[1] = INT64_MIN;
    st->next_purge[0] = st->next_purge[1] = INT64_MIN;
    return SL_OK;
}

/* The store holding side's records, from node d's point of view. */
static int side_store(const ssj_def_t *d, int side)
{
    return side == d->side ? d->this_store : d->other_store;
}

/* The key of an outer-store entry: time (8 bytes, big-endian, sign bit
 * flipped so that bytes sort as numbers), side (0 right, 1 left), key bytes. */
static int outer_key(sl_ctx_t *ctx, int64_t ts, int side, sl_bytes_t k, sl_bytes_t *out)
{
    uint8_t *p = sl_mem_alloc(&ctx->task->mem, 9 + k.len);
    if (!p) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    sl_store_be64(p, (uint64_t)ts ^ (UINT64_C(1) << 63));
    p[8] = (uint8_t)side;
    if (k.len)
        memcpy(p + 9, k.data, k.len);
    *out = (sl_bytes_t){p, 9 + k.len};
    return 0;
}

/* Appends v to the list at key k, start ts in a window store; logged. */
static int window_append(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, int64_t t, sl_bytes_t v)
{
    sl_task_t *task = ctx->task;
    sl_bytes_t old = {NULL, 0}, list;
    int rc = sl_window_get(task->txn, ts->handle, k, t, &old);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    if (list_append(ctx, rc == 1 ? old : (sl_bytes_t){NULL, 0}, v, &list))
        return -1;
    if ((rc = sl_window_put(task->txn, ts->handle, k, t, list)) < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    uint8_t *lk = sl_mem_alloc(&task->mem, k.len + SL_WINDOW_CHANGELOG_SUFFIX);
    if (!lk) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (k.len)
        memcpy(lk, k.data, k.len);
    sl_store_be64(lk + k.len, (uint64_t)t);
    sl_store_be32(lk + k.len + 8, 0);
    sl__store_log_change(ctx, ts, (sl_bytes_t){lk, k.len + SL_WINDOW_CHANGELOG_SUFFIX}, &list);
    return task->err ? -1 : 0;
}

/* Appends v to the list at key k of a key-value store; logged. */
static int kv_append(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, sl_bytes_t v)
{
    sl_task_t *task = ctx->task;
    sl_bytes_t old = {NULL, 0}, list;
    int rc = sl_kv_get(task->txn, ts->handle, k, &old);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    if (list_append(ctx, rc == 1 ? old : (sl_bytes_t){NULL, 0}, v, &list))
        return -1;
    if ((rc = sl_kv_put(task->txn, ts->handle, k, list)) < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    sl__store_log_change(ctx, ts, k, &list);
    return task->err ? -1 : 0;
}

/* Deletes key k of a key-value store; logged when it was there. */
static int kv_delete(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k)
{
    int rc = sl_kv_delete(ctx->task->txn, ts->handle, k);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    if (rc == 1)
        sl__store_log_change(ctx, ts, k, NULL);
    return ctx->task->err ? -1 : 0;
}

/* A growing array in the record scope (the old copies stay in the arena
 * until the record ends: arrays here are small). */
typedef struct entry {
    int64_t ts;
    int side;
    sl_bytes_t key; /* outer store: the whole store key */
    sl_bytes_t list;
} entry_t;

typedef struct entries {
    entry_t *e;
    size_t n, cap;
} entries_t;

static int entries_add(sl_ctx_t *ctx, entries_t *a, int64_t ts, int side, sl_bytes_t key,
                       sl_bytes_t list)
{
    sl_mem_t *mem = &ctx->task->mem;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        entry_t *e = sl_mem_alloc(mem, cap * sizeof *e);
        if (!e)
            goto nomem;
        if (a->n)
            memcpy(e, a->e, a->n * sizeof *e);
        a->e = e, a->cap = cap;
    }
    entry_t *x = &a->e[a->n];
    x->ts = ts, x->side = side;
    x->key = (sl_bytes_t){key.len ? sl_mem_dup(mem, key.data, key.len) : NULL, key.len};
    x->list = (sl_bytes_t){list.len ? sl_mem_dup(mem, list.data, list.len) : NULL, list.len};
    if ((key.len && !x->key.data) || (list.len && !x->list.data))
        goto nomem;
    a->n++;
    return 0;
nomem:
    sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
    return -1;
}

/* Calls the joiner for (this, other) in left/right order and emits the result. */
static void ssj_emit(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *this_v,
                     const void *other_v, int this_side, int64_t ts)
{
    ssj_def_t *d = inst->node->def;
    const void *l = this_side == SIDE_LEFT ? this_v : other_v;
    const void *r = this_side == SIDE_LEFT ? other_v : this_v;
    const void *out = d->fn(d->arg, ctx, key, l, r);
    if (!ctx->task->err)
        emit(ctx, inst, key, out, ts);
}

/* Emits (with null on the other side) and deletes every outer record whose
 * window has closed at the join's stream time. */
static void ssj_emit_closed(sl_ctx_t *ctx, sl_inst_t *inst, ssj_state_t *st)
{
    ssj_def_t *d = inst->node->def;
    sl_task_t *task = ctx->task;
    int64_t min_lookback = d->win_after < d->win_before ? d->win_after : d->win_before;
    if (sl__join_sat_add(sl__join_sat_add(st->min_time, min_lookback), d->grace) >=
        st->stream_time)
        return; /* nothing can have closed yet */
    sl_task_store_t *os = sl__task_store(ctx, d->outer_store, SL_STORE_KV);
    if (!os)
        return;
    sl_state_iter_t *it;
    sl_err_t err = sl_kv_range(task->txn, os->handle, NULL, NULL, &it);
    if (err) {
        sl__store_fail(ctx, os, err);
        return;
    }
    /* Collect first: forwarding may write to stores (views die) and the
     * deletes below would move the cursor. */
    entries_t closed = {0};
    int64_t new_min = INT64_MAX;
    int open[2] = {0, 0};
    sl_bytes_t k, v;
    int rc;
    while ((rc = sl_kv_iter_next(it, &k, &v)) == 1) {
        if (k.len < 9) {
            rc = SL_ERR_IO;
            break;
        }
        int64_t ts = (int64_t)(sl_load_be64(k.data) ^ (UINT64_C(1) << 63));
        int side = k.data[8] ? SIDE_LEFT : SIDE_RIGHT;
        int64_t lookback = side == SIDE_LEFT ? d->win_after : d->win_before;
        if (sl__join_sat_add(sl__join_sat_add(ts, lookback), d->grace) >= st->stream_time) {
            /* Entries come in time order: this side's later ones are open too. */
            if (new_min == INT64_MAX)
                new_min = ts;
            open[side] = 1;
            if (open[0] && open[1])
                break;
            continue;
        }
        if (entries_add(ctx, &closed, ts, side, k, v)) {
            rc = task->err;
            break;
        }
    }
    sl_state_iter_close(it);
    if (rc < 0) {
        if (!task->err)
            sl__store_fail(ctx, os, rc);
        return;
    }
    st->min_time = new_min;
    const sl_serde_t *ks = task->topo->stores[d->this_store]->key_serde;
    for (size_t i = 0; i < closed.n && !task->err; i++) {
        entry_t *e = &closed.e[i];
        if (kv_delete(ctx, os, e->key))
            return;
        const void *key;
        if (sl__join_deserialize(ctx, ks, (sl_bytes_t){e->key.data + 9, e->key.len - 9}, &key))
            return;
        sl_task_store_t *vs = sl__task_store(ctx, side_store(d, e->side), SL_STORE_WINDOW);
        if (!vs)
            return;
        sl_bytes_t rest = e->list, one;
        while (!task->err && (rc = list_next(&rest, &one)) == 1) {
            const void *val;
            if (sl__join_deserialize(ctx, vs->def->value_serde, one, &val))
                return;
            ssj_emit(ctx, inst, key, val, NULL, e->side, e->ts);
        }
        if (rc < 0 && !task->err)
            sl_ctx_fail(ctx, SL_ERR_IO, "store %s: a malformed value list", os->def->name);
    }
}

/* The earliest time a side's store still holds (older records have expired). */
static int64_t live_from(const ssj_def_t *d, const ssj_state_t *st, int side)
{
    return sl__join_sat_add(st->observed[side], 1 - d->retention);
}

/* Stores the record in this side's window store (unless it has expired), and
 * purges expired records now and then. */
static void ssj_store(sl_ctx_t *ctx, sl_inst_t *inst, ssj_state_t *st, sl_bytes_t k,
                      const void *value, int64_t t)
{
    ssj_def_t *d = inst->node->def;
    sl_task_t *task = ctx->task;
    if (t > st->observed[d->side])
        st->observed[d->side] = t;
    int64_t from = live_from(d, st, d->side);
    if (t < from)
        return; /* Kafka's segmented store drops records of expired segments */
    sl_task_store_t *ts = sl__task_store(ctx, d->this_store, SL_STORE_WINDOW);
    sl_bytes_t v;
    if (!ts || sl__join_serialize(ctx, ts->def->value_serde, value, &v))
        return;
    if (window_append(ctx, ts, k, t, v))
        return;
    /* Purging reads the whole store: do it once per half retention. */
    if (from > st->next_purge[d->side]) {
        int rc = sl_window_delete_before(task->txn, ts->handle, from, NULL);
        if (rc < 0) {
            sl__store_fail(ctx, ts, rc);
            return;
        }
        int64_t step = d->retention / 2 > 0 ? d->retention / 2 : 1;
        st->next_purge[d->side] = sl__join_sat_add(from, step);
    }
}

static void ssj_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    ssj_def_t *d = inst->node->def;
    ssj_state_t *st = ssj_shared(ctx, inst);
    sl_task_t *task = ctx->task;
    int64_t t = rec->ts;
    if (t > st->stream_time)
        st->stream_time = t;
    if (!rec->key || !rec->value) {
        skip_record(ctx, inst, rec->key ? "a null value" : "a null key");
        return;
    }
    if (d->outer_store >= 0 && t == st->stream_time) {
        ssj_emit_closed(ctx, inst, st);
        if (task->err)
            return;
    }
    /* The other side's records of this key in the window. */
    sl_task_store_t *os = sl__task_store(ctx, d->other_store, SL_STORE_WINDOW);
    sl_bytes_t k;
    if (!os || sl__store_key_bytes(ctx, os, rec->key, &k))
        return;
    if (!(k.data = sl_mem_dup(&task->mem, k.data, k.len))) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    int other = d->side == SIDE_LEFT ? SIDE_RIGHT : SIDE_LEFT;
    int64_t from = sl__join_sat_add(t, -d->before), to = sl__join_sat_add(t, d->after);
    if (from < 0)
        from = 0;
    if (to < 0)
        to = 0;
    int64_t live = live_from(d, st, other);
    if (from < live)
        from = live;
    entries_t found = {0};
    if (from <= to) {
        sl_state_iter_t *it;
        sl_err_t err = sl_window_fetch(task->txn, os->handle, k, from, to, &it);
        if (err) {
            sl__store_fail(ctx, os, err);
            return;
        }
        sl_bytes_t wk, wv;
        int64_t start;
        int rc;
        while ((rc = sl_window_iter_next(it, &wk, &start, &wv)) == 1)
            if (entries_add(ctx, &found, start, other, (sl_bytes_t){NULL, 0}, wv))
                break;
        sl_state_iter_close(it);
        if (rc < 0 && !task->err)
            sl__store_fail(ctx, os, rc);
        if (task->err)
            return;
    }
    sl_task_store_t *outs = NULL;
    if (d->outer_store >= 0 && !(outs = sl__task_store(ctx, d->outer_store, SL_STORE_KV)))
        return;
    for (size_t i = 0; i < found.n && !task->err; i++) {
        entry_t *e = &found.e[i];
        if (outs) {
            /* The other record has a partner now: it will never be emitted
             * with null (Kafka deletes it even when its side is inner). */
            sl_bytes_t ok;
            if (outer_key(ctx, e->ts, other, k, &ok) || kv_delete(ctx, outs, ok))
                return;
        }
        sl_bytes_t rest = e->list, one;
        int rc = 0;
        while (!task->err && (rc = list_next(&rest, &one)) == 1) {
            const void *ov;
            if (sl__join_deserialize(ctx, os->def->value_serde, one, &ov))
                return;
            ssj_emit(ctx, inst, rec->key, rec->value, ov, d->side, t > e->ts ? t : e->ts);
        }
        if (rc < 0 && !task->err)
            sl_ctx_fail(ctx, SL_ERR_IO, "store %s: a malformed value list", os->def->name);
    }
    if (task->err)
        return;
    if (!found.n && d->outer) {
        if (!outs || sl__join_sat_add(t, d->after) < st->stream_time) {
            ssj_emit(ctx, inst, rec->key, rec->value, NULL, d->side, t);
        } else {
            sl_task_store_t *ts = sl__task_store(ctx, d->this_store, SL_STORE_WINDOW);
            sl_bytes_t v, ok;
            if (!ts || sl__join_serialize(ctx, ts->def->value_serde, rec->value, &v) ||
                outer_key(ctx, t, d->side, k, &ok) || kv_append(ctx, outs, ok, v))
                return;
            if (st->min_time != INT64_MIN && t < st->min_time)
                st->min_time = t;
        }
    }
    if (!task->err)
        ssj_store(ctx, inst, st, k, rec->value, t);
}

static const sl_node_vt_t ssj_left_vt = {.kind = "KSTREAM-JOINTHIS",
                                         .init = ssj_init,
                                         .process = ssj_process,
                                         .state_size = sizeof(ssj_state_t)};

static const sl_node_vt_t ssj_right_vt = {.kind = "KSTREAM-JOINOTHER", .process = ssj_process};

/* Repartitions a stream whose key changed (Kafka Streams does so before a
 * join: both inputs must be partitioned by the join key). */
static sl_node_t *join_input(sl_kstream_t *s, const char *name, const char *suffix,
                             const sl_serde_t *ks, const sl_serde_t *vs)
{
    if (!s->repartition_required)
        return s->node;
    char nm[300];
    if (name)
        snprintf(nm, sizeof nm, "%s%s", name, suffix);
    return sl__repartition(s->topo, s->node, name ? nm : NULL, sl__key_serde(s->topo, ks),
                           sl__value_serde(s->topo, vs), 0);
}

/* Adds a store for the join's own use: not queryable, not cached (the join
 * reads and writes it directly), logged. */
static int join_store(sl_topology_t *t, const char *name, sl_store_type_t type,
                      const sl_serde_t *ks, const sl_serde_t *vs, int64_t retention,
                      int64_t window)
{
    sl_materialized_t m = {.disable_caching = 1};
    int id = sl__store_add(t, name, NULL, type, ks, vs, &m);
    if (id < 0)
        return -1;
    t->stores[id]->queryable = 0;
    t->stores[id]->retention_ms = retention;
    t->stores[id]->window_size_ms = window;
    return id;
}

static sl_kstream_t *kstream_join(sl_kstream_t *s, sl_kstream_t *o, sl_value_joiner_fn fn,
                                  void *arg, const sl_join_windows_t *w, const sl_joined_t *j,
                                  int left_outer, int right_outer, const char *op)
{
    if (!s || !o)
        return NULL;
    sl_topology_t *t = s->topo;
    if (o->topo != t)
        return sl__topo_fail(t, "%s: the streams belong to different topologies", op);
    if (!fn)
        return sl__topo_fail(t, "%s: the joiner is NULL", op);
    if (!w)
        return sl__topo_fail(t, "%s: the join windows are NULL", op);
    if (w->grace_ms < 0 || sl__join_sat_add(w->before_ms, w->after_ms) < 0)
        return sl__topo_fail(t, "%s: the join window (before + after) and grace must be >= 0",
                             op);
    const char *name = j ? j->name : NULL;
    const sl_serde_t *ks = j && j->key_serde ? j->key_serde : s->key_serde ? s->key_serde
                                                                            : o->key_serde;
    const sl_serde_t *vs = j && j->value_serde ? j->value_serde : s->value_serde;
    const sl_serde_t *ovs = j && j->other_value_serde ? j->other_value_serde : o->value_serde;
    sl_node_t *lp = join_input(s, name, "-left", ks, vs);
    sl_node_t *rp = lp ? join_input(o, name, "-right", ks, ovs) : NULL;
    if (!rp)
        return NULL;
    /* Kafka Streams' names: a side whose partner may miss is an OUTER one. */
    char ln[300], rn[300], mn[300], ls[320], rs[320], os[300];
    if (name) {
        snprintf(ln, sizeof ln, "%s-this-join", name);
        snprintf(rn, sizeof rn, "%s-other-join", name);
        snprintf(mn, sizeof mn, "%s-merge", name);
        snprintf(os, sizeof os, "%s-%s-shared-join-store", name, right_outer ? "outer" : "left");
    } else {
        snprintf(ln, sizeof ln, "%sKSTREAM-%sTHIS-%010d", t->name_prefix,
                 right_outer ? "OUTER" : "JOIN", t->counter);
        snprintf(rn, sizeof rn, "%sKSTREAM-%sOTHER-%010d", t->name_prefix,
                 left_outer ? "OUTER" : "JOIN", t->counter + 1);
        snprintf(mn, sizeof mn, "%sKSTREAM-MERGE-%010d", t->name_prefix, t->counter + 2);
        snprintf(os, sizeof os, "%sKSTREAM-OUTERSHARED-%010d-store", t->name_prefix, t->counter);
    }
    snprintf(ls, sizeof ls, "%s-store", ln);
    snprintf(rs, sizeof rs, "%s-store", rn);
    int64_t size = sl__join_sat_add(w->before_ms, w->after_ms);
    int64_t retention = sl__join_sat_add(size, w->grace_ms);
    int lstore = join_store(t, ls, SL_STORE_WINDOW, ks, vs, retention, size);
    int rstore = join_store(t, rs, SL_STORE_WINDOW, ks, ovs, retention, size);
    /* Eager joins emit an unmatched record at once: nothing waits, no
     * outer store (ssj_process emits with null when there is none). */
    int waits = (left_outer || right_outer) && !w->eager, ostore = -1;
    if (waits)
        ostore = join_store(t, os, SL_STORE_KV, &sl_serde_bytes, &sl_serde_bytes, 0, 0);
    if (lstore < 0 || rstore < 0 || (waits && ostore < 0))
        return NULL;
    ssj_def_t *ld = calloc(1, sizeof *ld), *rd = calloc(1, sizeof *rd);
    if (!ld || !rd) {
        free(ld), free(rd);
        return sl__topo_fail(t, "out of memory");
    }
    *ld = (ssj_def_t){.side = SIDE_LEFT,
                      .outer = left_outer,
                      .fn = fn,
                      .arg = arg,
                      .before = w->before_ms,
                      .after = w->after_ms,
                      .win_before = w->before_ms,
                      .win_after = w->after_ms,
                      .grace = w->grace_ms,
                      .retention = retention,
                      .this_store = lstore,
                      .other_store = rstore,
                      .outer_store = ostore};
    *rd = *ld;
    rd->side = SIDE_RIGHT;
    rd->outer = right_outer;
    rd->before = w->after_ms, rd->after = w->before_ms;
    rd->this_store = rstore, rd->other_store = lstore;
    sl_node_t *lj = sl__node_add(t, &ssj_left_vt, ld, ln, &lp, 1);
    if (!lj) {
        free(rd);
        return NULL;
    }
    sl_node_t *rj = sl__node_add(t, &ssj_right_vt, rd, rn, &rp, 1);
    if (!rj)
        return NULL;
    ld->partner = rj, rd->partner = lj;
    int stores[] = {lstore, rstore, ostore};
    for (int i = 0; i < 3; i++) {
        if (stores[i] < 0)
            continue;
        if (sl__node_use_store(lj, stores[i]) || sl__node_use_store(rj, stores[i]))
            return NULL;
    }
    sl_node_t *parents[] = {lj, rj};
    sl_node_t *m = sl__node_add(t, &merge_vt, NULL, mn, parents, 2);
    return m ? sl__kstream_new(t, m, ks, NULL, 0) : NULL;
}

sl_kstream_t *sl_kstream_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                              void *arg, const sl_join_windows_t *w, const sl_joined_t *j)
{
    return kstream_join(s, other, fn, arg, w, j, 0, 0, "join");
}

sl_kstream_t *sl_kstream_left_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                                   void *arg, const sl_join_windows_t *w, const sl_joined_t *j)
{
    return kstream_join(s, other, fn, arg, w, j, 1, 0, "left_join");
}

sl_kstream_t *sl_kstream_outer_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                                    void *arg, const sl_join_windows_t *w, const sl_joined_t *j)
{
    return kstream_join(s, other, fn, arg, w, j, 1, 1, "outer_join");
}

/* ---- global tables ------------------------------------------------------------------------------
 * A global table is a source node and a key-value store, the node writing
 * every record of the topic into the store (null values delete). The store is
 * not logged (the topic is its changelog) and not cached (other tasks read it
 * directly). Nothing connects the store to the joins that read it, so the
 * source forms a sub-topology of its own; a join node, when its task starts,
 * opens the store's partition 0 in that task (global_attach below).
 *
 * The test driver runs that sub-topology as one more task on partition 0,
 * and all its tasks share one LMDB environment: the store lives in partition
 * 0 and every task reads it there. The runner (one environment per task) must
 * instead run it as a global task of its own (sl__join_global_subtopology):
 * one per application instance, in an environment of its own, fed by every
 * partition of the topic (assigned, no group), bootstrapped to the end of the
 * topic before the stream tasks start, committing its own offsets. Stream
 * tasks then read the store through that environment: the runner sets the
 * task's sl_task_store_t for it (handle, and a read transaction on the global
 * environment renewed at each commit) before the nodes start, and
 * global_attach leaves a store already set alone. */

typedef struct gt_def {
    int store;
} gt_def_t;

static void gt_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    gt_def_t *d = inst->node->def;
    if (!rec->key) {
        skip_record(ctx, inst, "a null key");
        return;
    }
    sl__kv_put(ctx, d->store, rec->key, rec->value);
}

static const sl_node_vt_t gt_vt = {.kind = "KTABLE-SOURCE", .process = gt_process};

int sl__join_global_subtopology(const sl_topology_t *t, int sub)
{
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i]->subtopology == sub && t->nodes[i]->vt == &gt_vt)
            return 1;
    return 0;
}

/* Opens a global store in ctx's task, where the sub-topology did not. */
static sl_err_t global_attach(sl_ctx_t *ctx, int store)
{
    sl_task_t *task = ctx->task;
    sl_task_store_t *ts = &task->stores[store];
    if (ts->handle)
        return SL_OK;
    sl_store_t *s = task->topo->stores[store];
    sl_kv_t *kv = NULL;
    /* In sl_streams the global stores have an environment of their own, read
     * through the owner's read transaction on it. */
    sl_state_txn_t *txn = task->global_txn ? task->global_txn : task->txn;
    int rc = sl_kv_open(txn, s->name, 0, &kv);
    if (rc < 0)
        return (sl_err_t)rc;
    if (!kv)
        return SL_ERR_STATE;
    ts->def = s;
    ts->handle = kv;
    ts->txn = task->global_txn;
    return SL_OK;
}

sl_globalktable_t *sl_global_table(sl_topology_t *t, const char *topic,
                                   const sl_consumed_t *consumed, const sl_materialized_t *m)
{
    if (!t)
        return NULL;
    if (!topic)
        return sl__topo_fail(t, "global_table: topic is NULL");
    sl_node_t *src = sl__add_source(t, &topic, 1, consumed, "global_table");
    if (!src)
        return NULL;
    const sl_serde_t *ks = m && m->key_serde ? m->key_serde : src->key_serde;
    const sl_serde_t *vs = m && m->value_serde ? m->value_serde : src->value_serde;
    int store = sl__store_add(t, m ? m->store_name : NULL, "KTABLE-SOURCE", SL_STORE_KV, ks, vs,
                              m);
    if (store < 0)
        return NULL;
    t->stores[store]->logging = 0;
    t->stores[store]->caching = 0;
    gt_def_t *d = malloc(sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    d->store = store;
    sl_node_t *n = sl__node_add(t, &gt_vt, d, NULL, &src, 1);
    if (!n || sl__node_use_store(n, store))
        return NULL;
    sl_globalktable_t *g = sl__topo_alloc(t, sizeof *g);
    if (!g)
        return NULL;
    g->topo = t;
    g->node = n;
    g->key_serde = ks;
    g->value_serde = vs;
    g->store = store;
    g->topic = sl__topo_strdup(t, topic);
    return g->topic ? g : NULL;
}

/* ---- stream-table and stream-global-table joins ---------------------------------------------- */

typedef struct stj_def {
    sl_node_t *table; /* NULL: a global table, read from global_store */
    int global_store;
    sl_key_mapper_fn key_fn; /* global tables: the table key of a record */
    void *key_arg;
    sl_value_joiner_fn fn;
    void *arg;
    int left;
} stj_def_t;

static sl_err_t stj_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    stj_def_t *d = inst->node->def;
    return d->table ? SL_OK : global_attach(ctx, d->global_store);
}

/* Only stream records join; the table's updates only change what they find
 * (KStreamKTableJoinProcessor). */
static void stj_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    stj_def_t *d = inst->node->def;
    if (!rec->value) {
        skip_record(ctx, inst, "a null value");
        return;
    }
    const void *tk = rec->key;
    if (d->key_fn) {
        tk = d->key_fn(d->key_arg, ctx, rec->key, rec->value);
        if (ctx->task->err)
            return;
    }
    if (!tk) {
        skip_record(ctx, inst, d->key_fn ? "a null table key" : "a null key");
        return;
    }
    const void *tv = NULL;
    /* The result keeps the stream record's time (KStreamKTableJoinProcessor). */
    int rc = d->table ? sl__join_table_get(ctx, d->table, tk, &tv, NULL)
                      : sl__kv_get(ctx, d->global_store, tk, &tv);
    if (rc < 0 || ctx->task->err)
        return;
    if (!tv && !d->left)
        return;
    const void *out = d->fn(d->arg, ctx, rec->key, rec->value, tv);
    if (!ctx->task->err)
        emit(ctx, inst, rec->key, out, rec->ts);
}

static const sl_node_vt_t stj_vt = {
    .kind = "KSTREAM-JOIN", .init = stj_init, .process = stj_process};
static const sl_node_vt_t stj_left_vt = {
    .kind = "KSTREAM-LEFTJOIN", .init = stj_init, .process = stj_process};

static sl_kstream_t *kstream_table_join(sl_kstream_t *s, sl_ktable_t *tb, sl_value_joiner_fn fn,
                                        void *arg, const sl_joined_t *j, int left,
                                        const char *op)
{
    if (!s || !tb)
        return NULL;
    sl_topology_t *t = s->topo;
    if (tb->topo != t)
        return sl__topo_fail(t, "%s: the stream and the table belong to different topologies",
                             op);
    if (!fn)
        return sl__topo_fail(t, "%s: the joiner is NULL", op);
    const char *name = j ? j->name : NULL;
    const sl_serde_t *ks = j && j->key_serde ? j->key_serde : s->key_serde;
    const sl_serde_t *vs = j && j->value_serde ? j->value_serde : s->value_serde;
    sl_node_t *parent = join_input(s, name, "", ks, vs);
    if (!parent)
        return NULL;
    stj_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    *d = (stj_def_t){.table = tb->node, .global_store = -1, .fn = fn, .arg = arg, .left = left};
    sl_node_t *n = sl__node_add(t, left ? &stj_left_vt : &stj_vt, d, name, &parent, 1);
    if (!n || sl__join_link_table(n, tb, op))
        return NULL;
    return sl__kstream_new(t, n, ks, NULL, 0);
}

sl_kstream_t *sl_kstream_join_table(sl_kstream_t *s, sl_ktable_t *t, sl_value_joiner_fn fn,
                                    void *arg, const sl_joined_t *j)
{
    return kstream_table_join(s, t, fn, arg, j, 0, "join_table");
}

sl_kstream_t *sl_kstream_left_join_table(sl_kstream_t *s, sl_ktable_t *t, sl_value_joiner_fn fn,
                                         void *arg, const sl_joined_t *j)
{
    return kstream_table_join(s, t, fn, arg, j, 1, "left_join_table");
}

/* No repartition, even after a key change: every task sees the whole table
 * (Kafka Streams' globalTableJoin does not repartition either). */
static sl_kstream_t *kstream_global_join(sl_kstream_t *s, sl_globalktable_t *g,
                                         sl_key_mapper_fn key_fn, void *key_arg,
                                         sl_value_joiner_fn fn, void *arg, int left,
                                         const char *op)
{
    if (!s || !g)
        return NULL;
    sl_topology_t *t = s->topo;
    if (g->topo != t)
        return sl__topo_fail(t, "%s: the stream and the table belong to different topologies",
                             op);
    if (!key_fn || !fn)
        return sl__topo_fail(t, "%s: the %s is NULL", op, key_fn ? "joiner" : "key mapper");
    stj_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    *d = (stj_def_t){.global_store = g->store,
                     .key_fn = key_fn,
                     .key_arg = key_arg,
                     .fn = fn,
                     .arg = arg,
                     .left = left};
    sl_node_t *n = sl__node_add(t, left ? &stj_left_vt : &stj_vt, d, NULL, &s->node, 1);
    return n ? sl__kstream_new(t, n, s->key_serde, NULL, s->repartition_required) : NULL;
}

sl_kstream_t *sl_kstream_join_global(sl_kstream_t *s, sl_globalktable_t *g,
                                     sl_key_mapper_fn key_fn, void *key_arg,
                                     sl_value_joiner_fn fn, void *arg)
{
    return kstream_global_join(s, g, key_fn, key_arg, fn, arg, 0, "join_global");
}

sl_kstream_t *sl_kstream_left_join_global(sl_kstream_t *s, sl_globalktable_t *g,
                                          sl_key_mapper_fn key_fn, void *key_arg,
                                          sl_value_joiner_fn fn, void *arg)
{
    return kstream_global_join(s, g, key_fn, key_arg, fn, arg, 1, "left_join_global");
}

/* ---- table-table joins --------------------------------------------------------------------------
 * A join node per input (KTABLE-JOINTHIS/-JOINOTHER, -LEFTTHIS/-LEFTOTHER,
 * -OUTERTHIS/-OUTEROTHER) looks each change of its table up in the other
 * table's getter and emits the change of the result; a merge node (the result
 * table) stores it when materialized and is the result's getter. Old results
 * are always computed (Kafka computes them when downstream asks): the joiner
 * runs on old values too. The result's time is the later of the change's and
 * the other side's value's (its getter gives the time the value was stored
 * with), or the change's when the other side has none — Kafka's
 * KTableKTable{Inner,Left,Outer}Join. The result's getter does the same with
 * both sides' getters. */

enum { JOIN_INNER, JOIN_LEFT, JOIN_OUTER };

typedef struct ttj_def {
    int side;
    int this_keeps;  /* a value of this side with nothing on the other is a result */
    int other_keeps; /* a value of the other side alone is a result */
    sl_value_joiner_fn fn;
    void *arg;
    sl_node_t *other; /* the other table's node */
} ttj_def_t;

/* The result for this side's value x and the other side's value o. */
static const void *ttj_result(sl_ctx_t *ctx, const ttj_def_t *d, const void *key, const void *x,
                              const void *o)
{
    if (x ? !o && !d->this_keeps : !o || !d->other_keeps)
        return NULL;
    return d->side == SIDE_LEFT ? d->fn(d->arg, ctx, key, x, o) : d->fn(d->arg, ctx, key, o, x);
}

static void ttj_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    ttj_def_t *d = inst->node->def;
    if (!rec->key) {
        skip_record(ctx, inst, "a null key");
        return;
    }
    const void *nv = rec->value, *ov = rec->has_old ? rec->old_value : NULL;
    const void *o;
    int64_t ots;
    if (sl__join_table_get(ctx, d->other, rec->key, &o, &ots) < 0 || ctx->task->err)
        return;
    /* KTableKTable{Inner,Left,Right,Outer}Join: no other value and nothing
     * this side can stand for alone, or nothing at all: no change. */
    if (!o && (!d->this_keeps || (!nv && !ov)))
        return;
    sl_rec_t r = *rec;
    if (o && ots > r.ts)
        r.ts = ots;
    r.value = ttj_result(ctx, d, rec->key, nv, o);
    if (ctx->task->err)
        return;
    r.old_value = ttj_result(ctx, d, rec->key, ov, o);
    r.has_old = 1;
    if (!ctx->task->err)
        sl__forward(ctx, inst, &r);
}

typedef struct ttm_def {
    int type;
    sl_value_joiner_fn fn;
    void *arg;
    sl_node_t *left, *right; /* the input tables' nodes */
    int store;               /* -1: not materialized */
} ttm_def_t;

typedef struct ttm_state {
    int cached;
} ttm_state_t;

static void ttm_flush(sl_ctx_t *ctx, sl_inst_t *owner, const void *key, int64_t window_start,
                      const void *new_value, const void *old_value, int64_t ts)
{
    (void)window_start;
    sl_rec_t r = {.key = key, .value = new_value, .old_value = old_value, .has_old = 1, .ts = ts};
    if (ctx->rec)
        r.headers = ctx->rec->headers, r.nheaders = ctx->rec->nheaders;
    sl__forward(ctx, owner, &r);
}

static sl_err_t ttm_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    ttm_def_t *d = inst->node->def;
    ttm_state_t *st = inst->state;
    if (d->store < 0)
        return SL_OK;
    int rc = sl__store_own(ctx, d->store, ttm_flush);
    if (rc < 0)
        return (sl_err_t)rc;
    st->cached = rc;
    return SL_OK;
}

/* KTableKTableJoinMerger: stores the result when materialized (the cache,
 * if any, then emits it), and passes the change on. */
static void ttm_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    ttm_def_t *d = inst->node->def;
    ttm_state_t *st = inst->state;
    if (d->store >= 0) {
        if (sl__kv_put_ts(ctx, d->store, rec->key, rec->value, rec->ts) || st->cached)
            return;
    }
    sl__forward(ctx, inst, rec);
}

/* The result's getter: its store, or both inputs' getters joined, at the
 * later of the times of the values there are (Kafka's
 * KTableKTable*JoinValueGetter). */
static int ttm_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                   int64_t *ts)
{
    ttm_def_t *d = inst->node->def;
    *value = NULL;
    if (d->store >= 0)
        return sl__kv_get_ts(ctx, d->store, key, value, ts);
    const void *l, *r = NULL;
    int64_t lt, rt;
    int rc = sl__join_table_get(ctx, d->left, key, &l, &lt);
    if (rc < 0)
        return rc;
    if (!l && d->type != JOIN_OUTER)
        return 0;
    if ((rc = sl__join_table_get(ctx, d->right, key, &r, &rt)) < 0)
        return rc;
    if (!r && (d->type == JOIN_INNER || !l))
        return 0;
    *ts = !l ? rt : !r || lt > rt ? lt : rt;
    *value = d->fn(d->arg, ctx, key, l, r);
    if (ctx->task->err)
        return ctx->task->err;
    return *value != NULL;
}

static const sl_node_vt_t ttj_vt = {.kind = "KTABLE-JOINTHIS", .process = ttj_process};
static const sl_node_vt_t ttm_vt = {.kind = "KTABLE-MERGE",
                                    .init = ttm_init,
                                    .process = ttm_process,
                                    .get = ttm_get,
                                    .state_size = sizeof(ttm_state_t)};

static sl_ktable_t *ktable_join(sl_ktable_t *a, sl_ktable_t *b, sl_value_joiner_fn fn, void *arg,
                                const sl_materialized_t *m, int type, const char *op)
{
    if (!a || !b)
        return NULL;
    sl_topology_t *t = a->topo;
    if (b->topo != t)
        return sl__topo_fail(t, "%s: the tables belong to different topologies", op);
    if (!fn)
        return sl__topo_fail(t, "%s: the joiner is NULL", op);
    if (!a->node->vt->get || !b->node->vt->get)
        return sl__topo_fail(t, "%s: table %s cannot be looked up (it has no value getter)", op,
                             a->node->vt->get ? b->node->name : a->node->name);
    static const char *const kinds[] = {"JOIN", "LEFT", "OUTER"};
    const sl_serde_t *ks = m && m->key_serde ? m->key_serde : a->key_serde;
    const sl_serde_t *vs = m ? m->value_serde : NULL;
    int store = -1;
    if (m && m->store_name) {
        store = sl__store_add(t, m->store_name, "KTABLE-MERGE", SL_STORE_KV, ks, vs, m);
        if (store < 0)
            return NULL;
        t->stores[store]->timestamped = 1;
    }
    ttj_def_t *ad = calloc(1, sizeof *ad), *bd = calloc(1, sizeof *bd);
    ttm_def_t *md = calloc(1, sizeof *md);
    if (!ad || !bd || !md) {
        free(ad), free(bd), free(md);
        return sl__topo_fail(t, "out of memory");
    }
    *ad = (ttj_def_t){.side = SIDE_LEFT,
                      .this_keeps = type != JOIN_INNER,
                      .other_keeps = type == JOIN_OUTER,
                      .fn = fn,
                      .arg = arg,
                      .other = b->node};
    *bd = (ttj_def_t){.side = SIDE_RIGHT,
                      .this_keeps = type == JOIN_OUTER,
                      .other_keeps = type != JOIN_INNER,
                      .fn = fn,
                      .arg = arg,
                      .other = a->node};
    *md = (ttm_def_t){
        .type = type, .fn = fn, .arg = arg, .left = a->node, .right = b->node, .store = store};
    char an[160], bn[160];
    snprintf(an, sizeof an, "%sKTABLE-%sTHIS-%010d", t->name_prefix, kinds[type], t->counter);
    snprintf(bn, sizeof bn, "%sKTABLE-%sOTHER-%010d", t->name_prefix, kinds[type],
             t->counter + 1);
    sl_node_t *aj = sl__node_add(t, &ttj_vt, ad, an, &a->node, 1);
    sl_node_t *bj = aj ? sl__node_add(t, &ttj_vt, bd, bn, &b->node, 1) : NULL;
    if (!bj) {
        if (!aj)
            free(bd);
        free(md);
        return NULL;
    }
    sl_node_t *parents[] = {aj, bj};
    sl_node_t *mg = sl__node_add(t, &ttm_vt, md, NULL, parents, 2);
    if (!mg || (store >= 0 && sl__node_use_store(mg, store)))
        return NULL;
    return sl__ktable_new(t, mg, ks, vs, store);
}

sl_ktable_t *sl_ktable_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn, void *arg,
                            const sl_materialized_t *m)
{
    return ktable_join(t, other, fn, arg, m, JOIN_INNER, "ktable join");
}

sl_ktable_t *sl_ktable_left_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn,
                                 void *arg, const sl_materialized_t *m)
{
    return ktable_join(t, other, fn, arg, m, JOIN_LEFT, "ktable left_join");
}

sl_ktable_t *sl_ktable_outer_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn,
                                  void *arg, const sl_materialized_t *m)
{
    return ktable_join(t, other, fn, arg, m, JOIN_OUTER, "ktable outer_join");
}
