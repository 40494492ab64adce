/* suppress.c — KTable suppress (Kafka Streams' KTableSuppressProcessor): holds
 * a table's changes back in a buffer and lets each key's latest one through
 * later: when its window closes (until_window_closes: one final result per
 * window), or time_limit_ms after the key's first held change, or earlier
 * when the buffer is full.
 *
 * Semantics, Kafka Streams 3.x's:
 *
 * Time is the suppress node's own stream time: the largest timestamp of the
 * changes it has received (Kafka's observedStreamTime). Each change is
 * buffered under a buffer time — the window's end for until_window_closes,
 * the change's timestamp for a time limit — and a key keeps the buffer time
 * of its first held change as later ones replace its value ("non-resetting").
 * After each change, every entry with buffer time <= stream time - duration
 * goes out, oldest buffer time first (ties: by key bytes), where duration is
 * the time limit, or for final results the windows' grace: a time window
 * closes when end + grace <= stream time, a session when end + gap + grace <=
 * stream time (Kafka's GraphGraceSearchUtil: found by walking up the graph to
 * the windowed aggregation; with several parents, the largest). Like Kafka's,
 * the buffer moves only when a change arrives: no punctuation, no eviction at
 * commit.
 *
 * What goes out is a change (key, the latest new value, the value downstream
 * last saw — the old value of the first held change), stamped with the latest
 * change's time (headers are not kept). Final results drop tombstones (a
 * merged-away session, a removed window: downstream never saw them); a time
 * limit lets them through.
 *
 * A full buffer (more than max_records entries or max_bytes bytes, 0: no
 * limit; bytes count key + stored record) emits its oldest entries early under
 * a time limit (Kafka's emitEarlyWhenFull); under until_window_closes an
 * early emission would not be final, so the record fails with the buffer's
 * state instead (Kafka's shutDownWhenFull).
 *
 * The buffer lives in a key-value store of the node (changelogged like any
 * store: "<name>-store" or KTABLE-SUPPRESS-STATE-STORE-<n>), not in memory:
 * Kafka keeps an in-memory buffer restored from a changelog; here the buffer
 * is in LMDB, committed with the task's other state, so a restarted task
 * finds every held change it committed and emits it when due — nothing held
 * is lost. (The node's stream time is not kept, as in Kafka: after a restart
 * it is the next change's time.) Layout, raw bytes:
 *   'i' key                  -> buffer time (8 bytes, sign-flipped big-endian)
 *   't' buffer time key      -> record: ts (8) flags (1: 1 prior, 2 new)
 *                               prior length (4) prior bytes, new bytes
 *   'm'                      -> entry count (8), entry bytes (8)
 * The 't' entries sort by buffer time then key: eviction reads the first.
 * Keys and values are the table's serdes' bytes.
 *
 * The suppressed table's value getter gives, for a key with a held change,
 * the value downstream last saw (at time -1, unknown, as Kafka's); otherwise
 * the parent table's value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "engine/window_int.h"

typedef struct sup_def {
    int store;
    int final;        /* until_window_closes */
    int64_t duration; /* final: the windows' grace (sessions: + gap); else the time limit */
    int64_t max_records, max_bytes; /* 0: no limit */
    const sl_serde_t *key_serde, *value_serde;
} sup_def_t;

typedef struct sup_state {
    int seen;
    int64_t observed; /* the largest change timestamp seen */
} sup_state_t;

enum { B_INDEX = 'i', B_META = 'm', B_REC = 't' };
enum { F_PRIOR = 1, F_NEW = 2 };

/* One held change. Byte views are in the record scope. */
typedef struct bent {
    int64_t time; /* buffer time */
    int64_t ts;   /* the latest change's timestamp */
    sl_bytes_t key;
    int has_prior, has_new;
    sl_bytes_t prior, new_value;
    int64_t size; /* what it counts for max_bytes */
} bent_t;

typedef struct meta {
    int64_t count, bytes;
} meta_t;

static void time_put(uint8_t *p, int64_t t) { sl_store_be64(p, (uint64_t)t ^ (UINT64_C(1) << 63)); }

static int64_t time_get(const uint8_t *p)
{
    return (int64_t)(sl_load_be64(p) ^ (UINT64_C(1) << 63));
}

static void *nomem(sl_ctx_t *ctx)
{
    sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
    return NULL;
}

static int corrupt(sl_ctx_t *ctx, sl_task_store_t *ts)
{
    sl_ctx_fail(ctx, SL_ERR_IO, "store %s: a suppress buffer entry is corrupt", ts->def->name);
    return -1;
}

/* A buffer key: tag, then the buffer time when given, then the key bytes. */
static int bkey(sl_ctx_t *ctx, uint8_t tag, const int64_t *time, sl_bytes_t kb, sl_bytes_t *out)
{
    size_t n = 1 + (time ? 8 : 0) + kb.len;
    uint8_t *p = sl_ctx_alloc(ctx, n);
    if (!p) {
        nomem(ctx);
        return -1;
    }
    p[0] = tag;
    if (time)
        time_put(p + 1, *time);
    if (kb.len)
        memcpy(p + n - kb.len, kb.data, kb.len);
    *out = (sl_bytes_t){p, n};
    return 0;
}

/* Serializes obj (not NULL) and copies the bytes into the record scope. */
static int ser(sl_ctx_t *ctx, const sl_serde_t *serde, const void *obj, sl_bytes_t *out)
{
    sl_task_t *task = ctx->task;
    int is_null;
    sl_err_t err = sl__serialize(serde, obj, &task->vout, &is_null);
    if (err) {
        sl_ctx_fail(ctx, err, "the %s serde cannot serialize a suppressed change (%s)", serde->name,
                    sl_err_str(err));
        return -1;
    }
    out->len = task->vout.buf.len;
    out->data =
        sl_mem_dup(&task->mem, out->len ? task->vout.buf.data : (const uint8_t *)"", out->len);
    if (!out->data) {
        nomem(ctx);
        return -1;
    }
    return 0;
}

static int de(sl_ctx_t *ctx, const sl_serde_t *serde, int present, sl_bytes_t b, const void **obj)
{
    sl_err_t err = sl__deserialize(serde, present ? &b : NULL, &ctx->task->mem, obj);
    if (err) {
        sl_ctx_fail(ctx, err, "the %s serde cannot read a suppressed change (%s)", serde->name,
                    sl_err_str(err));
        return -1;
    }
    return 0;
}

/* sl_kv_get, the value copied out of the map: 1, 0 absent, -1 failed. */
static int get_copy(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, sl_bytes_t *v)
{
    int rc = sl_kv_get(ctx->task->txn, ts->handle, k, v);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    if (rc == 0)
        return 0;
    v->data = sl_mem_dup(&ctx->task->mem, v->len ? v->data : (const uint8_t *)"", v->len);
    if (!v->data) {
        nomem(ctx);
        return -1;
    }
    return 1;
}

/* Writes (v NULL: deletes) and logs one buffer entry. */
static int buf_write(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v)
{
    sl_task_t *task = ctx->task;
    int rc =
        v ? (int)sl_kv_put(task->txn, ts->handle, k, *v) : sl_kv_delete(task->txn, ts->handle, k);
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return -1;
    }
    sl__store_log_change(ctx, ts, k, v);
    return task->err ? -1 : 0;
}

static int meta_get(sl_ctx_t *ctx, sl_task_store_t *ts, meta_t *m)
{
    static const uint8_t mk = B_META;
    sl_bytes_t v;
    m->count = m->bytes = 0;
    int rc = get_copy(ctx, ts, (sl_bytes_t){&mk, 1}, &v);
    if (rc <= 0)
        return rc;
    if (v.len != 16)
        return corrupt(ctx, ts);
    m->count = (int64_t)sl_load_be64(v.data);
    m->bytes = (int64_t)sl_load_be64(v.data + 8);
    return 0;
}

static int meta_put(sl_ctx_t *ctx, sl_task_store_t *ts, const meta_t *m)
{
    static const uint8_t mk = B_META;
    uint8_t b[16];
    sl_store_be64(b, (uint64_t)m->count);
    sl_store_be64(b + 8, (uint64_t)m->bytes);
    sl_bytes_t v = {b, sizeof b};
    return buf_write(ctx, ts, (sl_bytes_t){&mk, 1}, m->count ? &v : NULL);
}

/* The stored record of a held change. */
static int rec_encode(sl_ctx_t *ctx, const bent_t *e, sl_bytes_t *out)
{
    size_t plen = e->has_prior ? e->prior.len : 0, nlen = e->has_new ? e->new_value.len : 0;
    if (plen > UINT32_MAX) {
        sl_ctx_fail(ctx, SL_ERR_INVAL, "a suppressed value is too large");
        return -1;
    }
    size_t n = 8 + 1 + 4 + plen + nlen;
    uint8_t *p = sl_ctx_alloc(ctx, n);
    if (!p) {
        nomem(ctx);
        return -1;
    }
    sl_store_be64(p, (uint64_t)e->ts);
    p[8] = (uint8_t)((e->has_prior ? F_PRIOR : 0) | (e->has_new ? F_NEW : 0));
    sl_store_be32(p + 9, (uint32_t)plen);
    if (plen)
        memcpy(p + 13, e->prior.data, plen);
    if (nlen)
        memcpy(p + 13 + plen, e->new_value.data, nlen);
    *out = (sl_bytes_t){p, n};
    return 0;
}

/* Parses a stored record (views into v). 0, or -1 when it is malformed. */
static int rec_decode(sl_bytes_t v, bent_t *e)
{
    if (v.len < 13)
        return -1;
    size_t plen = sl_load_be32(v.data + 9);
    if (plen > v.len - 13)
        return -1;
    e->ts = (int64_t)sl_load_be64(v.data);
    e->has_prior = (v.data[8] & F_PRIOR) != 0;
    e->has_new = (v.data[8] & F_NEW) != 0;
    e->prior = (sl_bytes_t){v.data + 13, plen};
    e->new_value = (sl_bytes_t){v.data + 13 + plen, v.len - 13 - plen};
    return 0;
}

/* Looks a held change up by its key bytes: 1 with *e, 0 when none, -1. */
static int buffer_find(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t kb, bent_t *e)
{
    sl_bytes_t ik, tk, v;
    if (bkey(ctx, B_INDEX, NULL, kb, &ik))
        return -1;
    int rc = get_copy(ctx, ts, ik, &v);
    if (rc <= 0)
        return rc;
    if (v.len != 8)
        return corrupt(ctx, ts);
    e->time = time_get(v.data);
    e->key = kb;
    if (bkey(ctx, B_REC, &e->time, kb, &tk))
        return -1;
    rc = get_copy(ctx, ts, tk, &v);
    if (rc < 0)
        return -1;
    if (rc == 0 || rec_decode(v, e))
        return corrupt(ctx, ts);
    e->size = (int64_t)(kb.len + v.len);
    return 1;
}

/* The held change with the smallest buffer time: 1 with *e, 0 when the
 * buffer is empty, -1. */
static int buffer_first(sl_ctx_t *ctx, sl_task_store_t *ts, bent_t *e)
{
    sl_task_t *task = ctx->task;
    static const uint8_t from = B_REC, to = B_REC + 1;
    sl_bytes_t fb = {&from, 1}, tb = {&to, 1}, k, v;
    sl_state_iter_t *it;
    sl_err_t err = sl_kv_range(task->txn, ts->handle, &fb, &tb, &it);
    if (err) {
        sl__store_fail(ctx, ts, err);
        return -1;
    }
    int rc = sl_kv_iter_next(it, &k, &v);
    if (rc == 1) {
        k.data = sl_mem_dup(&task->mem, k.data, k.len);
        v.data = sl_mem_dup(&task->mem, v.len ? v.data : (const uint8_t *)"", v.len);
        if (!k.data || !v.data)
            rc = SL_ERR_NOMEM;
    }
    sl_state_iter_close(it);
    if (rc <= 0) {
        if (rc < 0)
            sl__store_fail(ctx, ts, rc);
        return rc < 0 ? -1 : 0;
    }
    if (k.len < 9 || rec_decode(v, e))
        return corrupt(ctx, ts);
    e->time = time_get(k.data + 1);
    e->key = (sl_bytes_t){k.data + 9, k.len - 9};
    e->size = (int64_t)(e->key.len + v.len);
    return 1;
}

/* Holds the change rec (key bytes kb, buffer time time) in the buffer. */
static int buffer_put(sl_ctx_t *ctx, const sup_def_t *d, sl_task_store_t *ts, sl_bytes_t kb,
                      int64_t time, const sl_rec_t *rec)
{
    bent_t old, e = {.time = time, .ts = rec->ts, .key = kb};
    int found = buffer_find(ctx, ts, kb, &old);
    if (found < 0)
        return -1;
    if (found) {
        /* Non-resetting: the key keeps its place and the value downstream
         * last saw. */
        e.time = old.time;
        e.has_prior = old.has_prior, e.prior = old.prior;
    } else if (rec->has_old && rec->old_value) {
        if (ser(ctx, d->value_serde, rec->old_value, &e.prior))
            return -1;
        e.has_prior = 1;
    }
    if (rec->value) {
        if (ser(ctx, d->value_serde, rec->value, &e.new_value))
            return -1;
        e.has_new = 1;
    }
    sl_bytes_t tk, rv;
    if (bkey(ctx, B_REC, &e.time, kb, &tk) || rec_encode(ctx, &e, &rv) ||
        buf_write(ctx, ts, tk, &rv))
        return -1;
    meta_t m;
    if (meta_get(ctx, ts, &m))
        return -1;
    if (!found) {
        sl_bytes_t ik;
        uint8_t tb[8];
        time_put(tb, e.time);
        sl_bytes_t tv = {tb, sizeof tb};
        if (bkey(ctx, B_INDEX, NULL, kb, &ik) || buf_write(ctx, ts, ik, &tv))
            return -1;
        m.count++;
    } else {
        m.bytes -= old.size;
    }
    m.bytes += (int64_t)(kb.len + rv.len);
    return meta_put(ctx, ts, &m);
}

/* Takes e out of the buffer and forwards it (final results: unless it is a
 * tombstone). */
static int evict(sl_ctx_t *ctx, sl_inst_t *inst, const sup_def_t *d, sl_task_store_t *ts,
                 const bent_t *e)
{
    sl_bytes_t tk, ik;
    meta_t m;
    if (bkey(ctx, B_REC, &e->time, e->key, &tk) || bkey(ctx, B_INDEX, NULL, e->key, &ik) ||
        buf_write(ctx, ts, tk, NULL) || buf_write(ctx, ts, ik, NULL) || meta_get(ctx, ts, &m))
        return -1;
    m.count--;
    m.bytes -= e->size;
    if (meta_put(ctx, ts, &m))
        return -1;
    if (!e->has_new && d->final)
        return 0;
    sl_rec_t r = {.has_old = 1, .ts = e->ts};
    if (de(ctx, d->key_serde, 1, e->key, &r.key) ||
        de(ctx, d->value_serde, e->has_new, e->new_value, &r.value) ||
        de(ctx, d->value_serde, e->has_prior, e->prior, &r.old_value))
        return -1;
    sl__forward(ctx, inst, &r);
    return ctx->task->err ? -1 : 0;
}

/* enforceConstraints: emits what is due, then what does not fit. */
static void enforce(sl_ctx_t *ctx, sl_inst_t *inst, const sup_def_t *d, const sup_state_t *st,
                    sl_task_store_t *ts)
{
    /* duration >= 0; a negative stream time (a processor may forward any
     * timestamp) must not wrap. */
    int64_t expiry =
        st->observed < INT64_MIN + d->duration ? INT64_MIN : st->observed - d->duration;
    bent_t e;
    int rc;
    while ((rc = buffer_first(ctx, ts, &e)) == 1 && e.time <= expiry)
        if (evict(ctx, inst, d, ts, &e))
            return;
    if (rc < 0)
        return;
    for (;;) {
        meta_t m;
        if (meta_get(ctx, ts, &m))
            return;
        if (!((d->max_records && m.count > d->max_records) ||
              (d->max_bytes && m.bytes > d->max_bytes)))
            return;
        if (d->final) {
            sl_ctx_fail(ctx, SL_ERR_PROCESSING,
                        "buffer exceeded its max capacity. Currently [%lld/%lld] records and "
                        "[%lld/%lld] bytes.",
                        (long long)m.count, (long long)d->max_records, (long long)m.bytes,
                        (long long)d->max_bytes);
            return;
        }
        if (buffer_first(ctx, ts, &e) != 1 || evict(ctx, inst, d, ts, &e))
            return;
    }
}

static void sup_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    const sup_def_t *d = inst->node->def;
    sup_state_t *st = inst->state;
    if (!rec->key) {
        ctx->task->metrics.skipped++;
        sl_trace(SL_TRACE_WARN, "engine", "%s: skipping a change with a null key",
                 inst->node->name);
        return;
    }
    if (!st->seen || rec->ts > st->observed)
        st->observed = rec->ts;
    st->seen = 1;
    sl_task_store_t *ts = sl__task_store(ctx, d->store, SL_STORE_KV);
    sl_bytes_t kb;
    if (!ts || ser(ctx, d->key_serde, rec->key, &kb))
        return;
    int64_t time = d->final ? ((const sl_windowed_t *)rec->key)->end : rec->ts;
    if (buffer_put(ctx, d, ts, kb, time, rec))
        return;
    enforce(ctx, inst, d, st, ts);
}

static int sup_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                   int64_t *time)
{
    const sup_def_t *d = inst->node->def;
    *value = NULL;
    if (!key)
        return 0;
    sl_task_store_t *ts = sl__task_store(ctx, d->store, SL_STORE_KV);
    sl_bytes_t kb;
    bent_t e;
    if (!ts || ser(ctx, d->key_serde, key, &kb))
        return ctx->task->err;
    int rc = buffer_find(ctx, ts, kb, &e);
    if (rc < 0)
        return ctx->task->err;
    if (rc == 1) {
        if (!e.has_prior)
            return 0;
        /* The prior value's time is not known: Kafka's getter gives
         * RecordQueue.UNKNOWN (-1) too. */
        *time = -1;
        return de(ctx, d->value_serde, 1, e.prior, value) ? ctx->task->err : 1;
    }
    sl_node_t *p = inst->node->parents[0];
    sl_inst_t *pi = ctx->task->insts[p->id];
    if (!pi || !p->vt->get) {
        sl_ctx_fail(ctx, SL_ERR_STATE, "%s has no value getter", p->name);
        return SL_ERR_STATE;
    }
    return p->vt->get(ctx, pi, key, value, time);
}

static const sl_node_vt_t suppress_vt = {.kind = "KTABLE-SUPPRESS",
                                         .process = sup_process,
                                         .get = sup_get,
                                         .state_size = sizeof(sup_state_t)};

/* The suppress duration of final results: the grace of the windowed
 * aggregation above n, the largest over several parents; -1 when some path
 * up has none. */
static int64_t find_grace(const sl_node_t *n)
{
    int64_t g = sl__window_grace(n);
    if (g >= 0)
        return g;
    if (!n->nparents)
        return -1;
    for (int i = 0; i < n->nparents; i++) {
        int64_t pg = find_grace(n->parents[i]);
        if (pg < 0)
            return -1;
        if (pg > g)
            g = pg;
    }
    return g;
}

sl_ktable_t *sl_ktable_suppress(sl_ktable_t *t, const sl_suppressed_t *s)
{
    if (!t)
        return NULL;
    sl_topology_t *topo = t->topo;
    if (topo->error)
        return NULL;
    if (!s)
        return sl__topo_fail(topo, "suppress: the suppression is NULL");
    if (s->time_limit_ms < 0 || s->max_records < 0 || s->max_bytes < 0)
        return sl__topo_fail(topo,
                             "suppress: time_limit_ms, max_records and max_bytes must be >= 0");
    int64_t duration = s->time_limit_ms;
    if (s->until_window_closes) {
        if (s->time_limit_ms)
            return sl__topo_fail(topo, "suppress: until_window_closes takes no time limit");
        if (!t->windowed || (duration = find_grace(t->node)) < 0)
            return sl__topo_fail(topo,
                                 "suppress: until_window_closes needs a windowed table (%s is "
                                 "not the result of a windowed aggregation)",
                                 t->node->name);
    }
    sup_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(topo, "out of memory");
    *d = (sup_def_t){.store = -1,
                     .final = s->until_window_closes != 0,
                     .duration = duration,
                     .max_records = s->max_records,
                     .max_bytes = s->max_bytes,
                     .key_serde = sl__key_serde(topo, t->key_serde),
                     .value_serde = sl__value_serde(topo, t->value_serde)};
    sl_node_t *n = sl__node_add(topo, &suppress_vt, d, s->name, &t->node, 1);
    if (!n)
        return NULL;
    char name[SL_STATE_MAX_STORE_NAME + 16];
    if (s->name)
        snprintf(name, sizeof name, "%s-store", s->name);
    sl_materialized_t m = {.disable_caching = 1};
    d->store = sl__store_add(topo, s->name ? name : NULL, "KTABLE-SUPPRESS", SL_STORE_KV,
                             &sl_serde_bytes, &sl_serde_bytes, &m);
    if (d->store < 0 || sl__node_use_store(n, d->store))
        return NULL;
    topo->stores[d->store]->queryable = 0;
    sl_ktable_t *out = sl__ktable_new(topo, n, t->key_serde, t->value_serde, -1);
    if (out) {
        out->windowed = t->windowed;
        out->window_size_ms = t->window_size_ms;
    }
    return out;
}
