/* window.c — windowed aggregations of a grouped stream: windowed_by with time
 * and sliding windows, and count / reduce / aggregate over them (Kafka
 * Streams' KStreamWindowAggregate and KStreamSlidingWindowAggregate); the
 * helpers every windowed aggregation shares (session windows: session.c).
 * The results are tables keyed by sl_windowed_t, kept in window stores.
 *
 * Semantics, Kafka Streams 3.x's:
 *
 * Stream time. Each aggregation node closes windows by its own stream time:
 * the largest record time it has seen (Kafka's observedStreamTime; like
 * Kafka's, not kept across restarts: a restarted task starts from its next
 * record).
 *
 * Time windows (tumbling, hopping) are [start, start + size), starts the
 * multiples of advance from 0; a record at t belongs to every window with
 * start <= t < start + size. A window is closed once end + grace <= stream
 * time (KStreamWindowAggregate: windowEnd > streamTime - grace still takes
 * records; the docs' "stream time greater than end plus grace" is off by one
 * for this exclusive end). A record is dropped for each closed window it
 * belongs to and counted once per such window ("dropped-records"), and still
 * counts in its open windows.
 *
 * Sliding windows are [start, start + d], both ends inclusive, anchored on
 * records: each record has a left window [t - d, t] and, when a later record
 * falls in it, a right window [t + 1, t + 1 + d]; a record joins every
 * existing window it falls in. Kafka's algorithm, step by step (it scans the
 * key's windows in [t - 2d, t + 1], newest first, as Kafka does with RocksDB's
 * reverse iterator; records before d go to the window [0, d] as Kafka's
 * processEarly puts them). A window still takes records while end >= stream
 * time - grace; a record with t + 1 + d <= stream time - grace is dropped
 * whole (one count).
 *
 * Retention. A window store keeps a window until its start is more than the
 * retention period behind stream time: by default size + grace for time
 * windows and 2d + grace for sliding windows (Kafka 3.x; 2.x kept a day), and
 * a retention given in sl_materialized_t must be at least that (Kafka refuses
 * less). A window with start <= stream time - retention is gone at once for
 * reads (the sliding algorithm's scans, the value getter), as Kafka's
 * segmented stores hide it, so results do not depend on when commits happen;
 * at each commit (vt->flush), when stream time has moved, such windows are
 * deleted (sl_window_delete_before: a scan of the whole store — cheap enough
 * for now), without changelog tombstones (Kafka's windowed changelogs expire
 * by retention too). The aggregation itself never reads them: retention is
 * at least size + grace, so they are closed.
 *
 * Output. Each update is a table change: key an sl_windowed_t (end = start +
 * size; sliding: start + d), value the new aggregate, old_value the one before
 * (has_old = 1; NULL for a new window, where Kafka sends the initializer's
 * value). Time windows stamp it with the record's time (Kafka: the largest
 * record time in the window; our window stores keep no time per value, as in
 * aggregate.c); sliding windows with the largest record time in the window,
 * as Kafka, because their algorithm needs that time anyway: it is kept in a
 * second window store, "<store>-timestamps", so that the aggregate store keeps
 * plain values for queries.
 *
 * Caching. A time-window store that is cached in the task (sl__store_own)
 * folds updates per window and the node emits from the cache's flush
 * callback; otherwise after each update. Sliding-window stores are never
 * cached: the algorithm range-reads a key's windows, which the record cache
 * cannot serve; they emit every update (with the test driver's commit per
 * record that is the cached output too: no window changes twice per record). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "engine/window_int.h"

/* ---- shared by the windowed aggregations ----------------------------------------------------- */

static const int64_t *new_count(sl_ctx_t *ctx, int64_t v)
{
    int64_t *n = sl_ctx_alloc(ctx, sizeof *n);
    if (!n) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *n = v;
    return n;
}

const void *sl__win_initial(sl_ctx_t *ctx, const sl_win_def_t *d)
{
    switch (d->kind) {
    case SL_WIN_COUNT:
        return new_count(ctx, 0);
    case SL_WIN_REDUCE:
        return NULL; /* the first value is the aggregate */
    case SL_WIN_AGGREGATE:
        return d->init(d->arg, ctx);
    }
    return NULL;
}

const void *sl__win_add(sl_ctx_t *ctx, const sl_win_def_t *d, const void *key, const void *value,
                        const void *agg)
{
    switch (d->kind) {
    case SL_WIN_COUNT:
        return new_count(ctx, (agg ? *(const int64_t *)agg : 0) + 1);
    case SL_WIN_REDUCE:
        return agg ? d->reducer(d->arg, ctx, agg, value) : value;
    case SL_WIN_AGGREGATE:
        return d->aggregator(d->arg, ctx, key, value, agg);
    }
    return NULL;
}

void sl__win_emit(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, int64_t start, int64_t end,
                  const void *new_value, const void *old_value, int64_t ts)
{
    sl_windowed_t *w = sl_ctx_alloc(ctx, sizeof *w);
    if (!w) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    *w = (sl_windowed_t){key, start, end};
    sl_rec_t r = {.key = w, .value = new_value, .old_value = old_value, .has_old = 1, .ts = ts};
    if (ctx->rec) {
        r.headers = ctx->rec->headers;
        r.nheaders = ctx->rec->nheaders;
    }
    sl__forward(ctx, inst, &r);
}

int sl__win_bad_ts(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    if (rec->ts >= 0)
        return 0;
    /* Sources drop these already; a processor can still forward one. */
    ctx->task->metrics.dropped++;
    sl_trace(SL_TRACE_WARN, "engine", "%s: dropping a record with a negative timestamp %lld",
             inst->node->name, (long long)rec->ts);
    return 1;
}

void sl__win_skip(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    ctx->task->metrics.skipped++;
    sl_trace(SL_TRACE_WARN, "engine",
             "%s: skipping a record with a null %s (topic %s partition %d offset %lld)",
             inst->node->name, rec->key ? "value" : "key", ctx->topic ? ctx->topic : "?",
             (int)ctx->partition, (long long)ctx->offset);
}

void sl__win_drop(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec, int64_t start, int64_t end,
                  int64_t close)
{
    ctx->task->metrics.dropped++;
    sl_trace(SL_TRACE_DEBUG, "engine",
             "%s: skipping a record for an expired window (topic %s partition %d offset %lld "
             "timestamp %lld window [%lld,%lld] expiration %lld)",
             inst->node->name, ctx->topic ? ctx->topic : "?", (int)ctx->partition,
             (long long)ctx->offset, (long long)rec->ts, (long long)start, (long long)end,
             (long long)close);
}

void sl__win_observe(sl_win_state_t *st, int64_t ts)
{
    if (!st->seen || ts > st->observed)
        st->observed = ts;
    st->seen = 1;
}

int64_t sl__win_add_sat(int64_t a, int64_t b) { return a > INT64_MAX - b ? INT64_MAX : a + b; }

int64_t sl__win_live_from(const sl_win_state_t *st, const sl_win_def_t *d)
{
    /* observed >= 0 and retention >= 0: no overflow. */
    return st->seen ? st->observed - d->retention + 1 : INT64_MIN;
}

int sl__win_purge_due(sl_win_state_t *st, const sl_win_def_t *d, int64_t *cutoff)
{
    if (!st->seen)
        return -1;
    int64_t c = sl__win_live_from(st, d);
    if (st->purged_set && c <= st->purged)
        return -1;
    st->purged = c;
    st->purged_set = 1;
    *cutoff = c;
    return 0;
}

/* Retention for window stores: at commit, drop windows past retention. */
static void window_purge(sl_ctx_t *ctx, sl_inst_t *inst)
{
    sl_win_def_t *d = inst->node->def;
    int64_t cutoff;
    if (sl__win_purge_due(inst->state, d, &cutoff))
        return;
    int stores[2] = {d->store, d->ts_store};
    for (int i = 0; i < 2; i++) {
        if (stores[i] < 0)
            continue;
        sl_task_store_t *ts = sl__task_store(ctx, stores[i], SL_STORE_WINDOW);
        if (!ts)
            return;
        sl_err_t err = sl_window_delete_before(ctx->task->txn, ts->handle, cutoff, NULL);
        if (err) {
            sl__store_fail(ctx, ts, err);
            return;
        }
    }
}

/* The table's value getter: key is an sl_windowed_t; its window's aggregate
 * and the result's time (a sliding window's is kept in its own store). */
static int window_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                      int64_t *ts)
{
    const sl_win_def_t *d = inst->node->def;
    const sl_windowed_t *w = key;
    *value = NULL;
    if (!w || w->start < sl__win_live_from(inst->state, d))
        return 0;
    int rc = sl__window_get_ts(ctx, d->store, w->key, w->start, value, ts);
    if (rc != 1 || d->ts_store < 0)
        return rc;
    const void *t;
    int trc = sl__window_get(ctx, d->ts_store, w->key, w->start, &t);
    if (trc < 0)
        return trc;
    if (trc == 1 && t)
        *ts = *(const int64_t *)t;
    return 1;
}

/* ---- time windows: KStreamWindowAggregate ---------------------------------------------------- */

static void time_on_flush(sl_ctx_t *ctx, sl_inst_t *owner, const void *key, int64_t window_start,
                          const void *new_value, const void *old_value, int64_t ts)
{
    const sl_win_def_t *d = owner->node->def;
    if (new_value || old_value)
        sl__win_emit(ctx, owner, key, window_start, sl__win_add_sat(window_start, d->size),
                     new_value, old_value, ts);
}

static sl_err_t time_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    const sl_win_def_t *d = inst->node->def;
    sl_win_state_t *st = inst->state;
    int rc = sl__store_own(ctx, d->store, time_on_flush);
    if (rc < 0)
        return (sl_err_t)rc;
    st->cached = rc == 1;
    return SL_OK;
}

static void time_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    const sl_win_def_t *d = inst->node->def;
    sl_win_state_t *st = inst->state;
    if (!rec->key || !rec->value) {
        sl__win_skip(ctx, inst, rec);
        return;
    }
    if (sl__win_bad_ts(ctx, inst, rec))
        return;
    int64_t t = rec->ts;
    sl__win_observe(st, t);
    int64_t close = st->observed - d->grace;
    /* TimeWindows.windowsFor: the starts, multiples of advance, of the
     * windows holding t, oldest first. */
    int64_t first = t - d->size + d->advance;
    if (first < 0)
        first = 0;
    first = first / d->advance * d->advance;
    for (int64_t s = first; s <= t; s += d->advance) {
        int64_t end = sl__win_add_sat(s, d->size);
        if (end <= close) {
            sl__win_drop(ctx, inst, rec, s, end, close);
        } else {
            const void *old, *agg, *nv;
            int64_t old_ts = 0;
            if (sl__window_get_ts(ctx, d->store, rec->key, s, &old, &old_ts) < 0)
                return;
            agg = old ? old : sl__win_initial(ctx, d);
            if (ctx->task->err)
                return;
            nv = sl__win_add(ctx, d, rec->key, rec->value, agg);
            if (ctx->task->err)
                return;
            if (old || nv) {
                /* KStreamWindowAggregate: the result's time is the latest
                 * of the record's and the window's previous result's. */
                int64_t rt = old && old_ts > t ? old_ts : t;
                if (sl__window_put_ts(ctx, d->store, rec->key, s, nv, rt))
                    return;
                if (!st->cached)
                    sl__win_emit(ctx, inst, rec->key, s, end, nv, old, rt);
                if (ctx->task->err)
                    return;
            }
        }
        if (s > t - d->advance)
            break; /* the next start is past t (and may not fit in int64) */
    }
}

static const sl_node_vt_t time_aggregate_vt = {.kind = "KSTREAM-AGGREGATE",
                                               .init = time_init,
                                               .process = time_process,
                                               .flush = window_purge,
                                               .get = window_get,
                                               .state_size = sizeof(sl_win_state_t)};

static const sl_node_vt_t time_reduce_vt = {.kind = "KSTREAM-REDUCE",
                                            .init = time_init,
                                            .process = time_process,
                                            .flush = window_purge,
                                            .get = window_get,
                                            .state_size = sizeof(sl_win_state_t)};

/* ---- sliding windows: KStreamSlidingWindowAggregate ------------------------------------------ */

/* A window of the key read from the store: its start, aggregate and the
 * largest record time in it. */
typedef struct swin {
    int64_t start, ts;
    const void *value;
} swin_t;

/* One record going through a sliding-window aggregation. */
typedef struct slide {
    sl_ctx_t *ctx;
    sl_inst_t *inst;
    const sl_win_def_t *d;
    const sl_rec_t *rec;
    int64_t t, close;
    swin_t *w; /* the key's windows read, by start */
    size_t n;
} slide_t;

/* Reads the key's windows with from <= start <= to into r->w (record scope).
 * -1 when it failed the record. */
static int slide_fetch(slide_t *r, int64_t from, int64_t to)
{
    sl_ctx_t *ctx = r->ctx;
    sl_task_t *task = ctx->task;
    sl_task_store_t *as = sl__task_store(ctx, r->d->store, SL_STORE_WINDOW);
    sl_task_store_t *ts = as ? sl__task_store(ctx, r->d->ts_store, SL_STORE_WINDOW) : NULL;
    sl_bytes_t k;
    if (!ts || sl__store_key_bytes(ctx, as, r->rec->key, &k))
        return -1;
    /* The key bytes live in the task's scratch until the next serialization. */
    k.data = sl_mem_dup(&task->mem, k.len ? k.data : (const uint8_t *)"", k.len);
    if (!k.data) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    sl_state_iter_t *it;
    sl_err_t err = sl_window_fetch(task->txn, as->handle, k, from, to, &it);
    if (err) {
        sl__store_fail(ctx, as, err);
        return -1;
    }
    size_t cap = 0;
    r->w = NULL, r->n = 0;
    sl_bytes_t wk, v;
    int64_t start;
    int rc;
    while ((rc = sl_window_iter_next(it, &wk, &start, &v)) == 1) {
        if (r->n == cap) {
            cap = cap ? cap * 2 : 8;
            swin_t *w = sl_ctx_alloc(ctx, cap * sizeof *w);
            if (!w) {
                rc = SL_ERR_NOMEM;
                break;
            }
            if (r->n)
                memcpy(w, r->w, r->n * sizeof *w);
            r->w = w;
        }
        swin_t *x = &r->w[r->n++];
        x->start = start;
        if ((rc = sl__store_value_obj(ctx, as, v, &x->value)) < 0)
            break;
    }
    sl_state_iter_close(it);
    if (rc < 0) {
        if (!task->err)
            sl__store_fail(ctx, as, rc);
        return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        swin_t *x = &r->w[i];
        rc = sl_window_get(task->txn, ts->handle, k, x->start, &v);
        if (rc < 0) {
            sl__store_fail(ctx, ts, rc);
            return -1;
        }
        /* A window without a time (cannot happen: both stores are written
         * together) counts as holding a record at its end. */
        x->ts = rc == 1 && v.len == 8 ? (int64_t)sl_load_be64(v.data)
                                      : sl__win_add_sat(x->start, r->d->size);
    }
    return 0;
}

static int slide_has_start(const slide_t *r, int64_t start)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->w[i].start == start)
            return 1;
    return 0;
}

/* Writes a window's aggregate and its time. */
static int slide_put(slide_t *r, int64_t start, const void *value, int64_t ts)
{
    if (sl__window_put(r->ctx, r->d->store, r->rec->key, start, value))
        return -1;
    return sl__window_put(r->ctx, r->d->ts_store, r->rec->key, start, value ? &ts : NULL) ? -1 : 0;
}

/* updateWindowAndForward: adds the record to window start (whose aggregate
 * so far is agg, with latest record time agg_ts; is_new: the window is being
 * created), unless the window is closed. */
static int slide_update(slide_t *r, int64_t start, const void *agg, int64_t agg_ts, int is_new)
{
    sl_ctx_t *ctx = r->ctx;
    int64_t end = sl__win_add_sat(start, r->d->size);
    if (end < r->close) {
        sl__win_drop(ctx, r->inst, r->rec, start, end, r->close);
        return 0;
    }
    const void *nv = sl__win_add(ctx, r->d, r->rec->key, r->rec->value, agg);
    if (ctx->task->err)
        return -1;
    if (is_new && !nv)
        return 0;
    int64_t ts = agg_ts > r->t ? agg_ts : r->t;
    if (slide_put(r, start, nv, ts))
        return -1;
    sl__win_emit(ctx, r->inst, r->rec->key, start, end, nv, is_new ? NULL : agg, ts);
    return ctx->task->err ? -1 : 0;
}

/* A new window with the initial aggregate plus the record. */
static int slide_create(slide_t *r, int64_t start)
{
    const void *init = sl__win_initial(r->ctx, r->d);
    if (r->ctx->task->err)
        return -1;
    return slide_update(r, start, init, r->t, 1);
}

/* createCurrentRecordRightWindow: [t + 1, t + 1 + d] gets the aggregate of
 * the records after t that the window agg held (agg's records all are). */
static int slide_right_window(slide_t *r, const swin_t *agg)
{
    int64_t start = r->t + 1;
    if (slide_put(r, start, agg->value, agg->ts))
        return -1;
    sl__win_emit(r->ctx, r->inst, r->rec->key, start, sl__win_add_sat(start, r->d->size),
                 agg->value, NULL, agg->ts);
    return r->ctx->task->err ? -1 : 0;
}

/* processReverse: t >= d. */
static void slide_process_late(slide_t *r)
{
    int64_t t = r->t, d = r->d->size;
    int64_t from = t - d - d; /* t >= d: no overflow */
    int64_t live = sl__win_live_from(r->inst->state, r->d);
    if (from < live)
        from = live;
    if (slide_fetch(r, from < 0 ? 0 : from, t + 1))
        return;
    const swin_t *left = NULL, *right = NULL;
    int left_created = 0, right_created = 0, have_prev = 0;
    int64_t prev = 0; /* the time of the latest record before t, when have_prev */
    for (size_t i = r->n; i-- > 0;) {
        const swin_t *x = &r->w[i];
        int64_t end = sl__win_add_sat(x->start, d);
        if (x->start == t + 1) {
            right_created = 1;
        } else if (end > t) {
            if (!right)
                right = x;
            if (slide_update(r, x->start, x->value, x->ts, 0))
                return;
        } else if (end == t) {
            left_created = 1;
            if (slide_update(r, x->start, x->value, x->ts, 0))
                return;
            if (x->ts >= t)
                return; /* a record at t came before: its windows are all there */
            have_prev = 1, prev = x->ts;
        } else {
            left = x;
            have_prev = 1, prev = x->ts;
            break;
        }
    }
    /* createWindows. The previous record's right window, when t falls in it. */
    if (have_prev && !slide_has_start(r, prev + 1) && sl__win_add_sat(prev + 1, d) >= t &&
        slide_create(r, prev + 1))
        return;
    if (!left_created) {
        /* The left window holds the previous record's left window's records
         * when the previous record is in it. */
        if (have_prev && left && t - d <= prev) {
            if (slide_update(r, t - d, left->value, t, 1))
                return;
        } else if (slide_create(r, t - d)) {
            return;
        }
    }
    if (!right_created && right && right->ts > t)
        slide_right_window(r, right);
}

/* processEarly: 0 <= t < d. Windows cannot start before 0, so the records
 * before d share the window [0, d]. */
static void slide_process_early(slide_t *r)
{
    int64_t t = r->t;
    int64_t live = sl__win_live_from(r->inst->state, r->d);
    if (slide_fetch(r, live > 0 ? live : 0, t + 1))
        return;
    const swin_t *combined = NULL, *right = NULL;
    int right_created = 0, have_prev = 0;
    int64_t prev = 0;
    for (size_t i = 0; i < r->n; i++) {
        const swin_t *x = &r->w[i];
        if (x->start == 0) {
            combined = x;
            if (x->ts < t)
                have_prev = 1, prev = x->ts;
        } else if (x->start <= t) {
            right = x;
            if (slide_update(r, x->start, x->value, x->ts, 0))
                return;
        } else if (x->start == t + 1) {
            right_created = 1;
        }
    }
    /* With no right window found, the combined window's records after t are
     * its only ones (else a right window would exist). */
    if (!right && combined && combined->ts > t)
        right = combined;
    if (!right_created && right && right->ts > t && slide_right_window(r, right))
        return;
    if (have_prev && !slide_has_start(r, prev + 1) && slide_create(r, prev + 1))
        return;
    if (!combined)
        slide_create(r, 0);
    else
        slide_update(r, 0, combined->value, combined->ts, 0);
}

static void sliding_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    const sl_win_def_t *d = inst->node->def;
    sl_win_state_t *st = inst->state;
    if (!rec->key || !rec->value) {
        sl__win_skip(ctx, inst, rec);
        return;
    }
    if (sl__win_bad_ts(ctx, inst, rec))
        return;
    int64_t t = rec->ts;
    sl__win_observe(st, t);
    int64_t close = st->observed - d->grace;
    /* Every window the record could be in or create has closed. */
    if (sl__win_add_sat(sl__win_add_sat(t, 1), d->size) <= close) {
        sl__win_drop(ctx, inst, rec, t - d->size, t, close);
        return;
    }
    slide_t r = {.ctx = ctx, .inst = inst, .d = d, .rec = rec, .t = t, .close = close};
    if (t < d->size)
        slide_process_early(&r);
    else
        slide_process_late(&r);
}

static const sl_node_vt_t sliding_aggregate_vt = {.kind = "KSTREAM-AGGREGATE",
                                                  .process = sliding_process,
                                                  .flush = window_purge,
                                                  .get = window_get,
                                                  .state_size = sizeof(sl_win_state_t)};

static const sl_node_vt_t sliding_reduce_vt = {.kind = "KSTREAM-REDUCE",
                                               .process = sliding_process,
                                               .flush = window_purge,
                                               .get = window_get,
                                               .state_size = sizeof(sl_win_state_t)};

int64_t sl__window_grace(const sl_node_t *n)
{
    if (n->vt == &time_aggregate_vt || n->vt == &time_reduce_vt || n->vt == &sliding_aggregate_vt ||
        n->vt == &sliding_reduce_vt)
        return ((const sl_win_def_t *)n->def)->grace;
    return sl__session_grace(n);
}

/* ---- the DSL --------------------------------------------------------------------------------- */

sl_timewindowedstream_t *sl_kgroupedstream_windowed_by(sl_kgroupedstream_t *g,
                                                       const sl_time_windows_t *w)
{
    if (!g)
        return NULL;
    sl_topology_t *t = g->topo;
    if (!w)
        return sl__topo_fail(t, "windowed_by: the windows are NULL");
    if (w->size_ms <= 0)
        return sl__topo_fail(t, "windowed_by: the window size must be > 0 (got %lld)",
                             (long long)w->size_ms);
    int64_t advance = w->advance_ms ? w->advance_ms : w->size_ms;
    if (advance <= 0 || advance > w->size_ms)
        return sl__topo_fail(t,
                             "windowed_by: the advance must be > 0 and no more than the size "
                             "(got advance %lld, size %lld)",
                             (long long)w->advance_ms, (long long)w->size_ms);
    if (w->grace_ms < 0)
        return sl__topo_fail(t, "windowed_by: the grace period must be >= 0 (got %lld)",
                             (long long)w->grace_ms);
    sl_timewindowedstream_t *tw = sl__topo_alloc(t, sizeof *tw);
    if (!tw)
        return NULL;
    tw->grouped = g;
    tw->windows = (sl_time_windows_t){w->size_ms, advance, w->grace_ms};
    return tw;
}

sl_timewindowedstream_t *sl_kgroupedstream_windowed_by_sliding(sl_kgroupedstream_t *g,
                                                               const sl_sliding_windows_t *w)
{
    if (!g)
        return NULL;
    sl_topology_t *t = g->topo;
    if (!w)
        return sl__topo_fail(t, "windowed_by_sliding: the windows are NULL");
    /* SlidingWindows: a time difference of 0 is allowed (windows [t, t]). */
    if (w->time_difference_ms < 0)
        return sl__topo_fail(t, "windowed_by_sliding: the time difference must be >= 0 (got %lld)",
                             (long long)w->time_difference_ms);
    if (w->grace_ms < 0)
        return sl__topo_fail(t, "windowed_by_sliding: the grace period must be >= 0 (got %lld)",
                             (long long)w->grace_ms);
    sl_timewindowedstream_t *tw = sl__topo_alloc(t, sizeof *tw);
    if (!tw)
        return NULL;
    tw->grouped = g;
    tw->windows = (sl_time_windows_t){w->time_difference_ms, 0, w->grace_ms};
    tw->sliding = 1;
    return tw;
}

/* count / reduce / aggregate over time or sliding windows. */
static sl_ktable_t *tw_build(sl_timewindowedstream_t *w, sl_win_kind_t kind, sl_initializer_fn init,
                             sl_aggregator_fn aggregator, sl_reducer_fn reducer, void *arg,
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
    if (kind == SL_WIN_AGGREGATE && (!init || !aggregator))
        return sl__topo_fail(t, "%s: the initializer or the aggregator is NULL", op);
    int sliding = w->sliding;
    int64_t size = w->windows.size_ms, grace = w->windows.grace_ms;
    int64_t least = sl__win_add_sat(sliding ? sl__win_add_sat(size, size) : size, grace);
    int64_t retention = m && m->retention_ms ? m->retention_ms : least;
    if (retention < least)
        return sl__topo_fail(t,
                             "%s: the retention period of the window store must be no smaller "
                             "than %s plus the grace period (got %s %lld, grace %lld, "
                             "retention %lld)",
                             op, sliding ? "2 * time difference" : "its window size",
                             sliding ? "time difference" : "size", (long long)size,
                             (long long)grace, (long long)retention);
    const sl_serde_t *ks = m && m->key_serde ? m->key_serde : g->key_serde;
    const sl_serde_t *vs = m && m->value_serde     ? m->value_serde
                           : kind == SL_WIN_COUNT  ? &sl_serde_int64
                           : kind == SL_WIN_REDUCE ? g->value_serde
                                                   : NULL;
    const char *prefix = kind == SL_WIN_REDUCE ? "KSTREAM-REDUCE" : "KSTREAM-AGGREGATE";
    int store = sl__store_add(t, m ? m->store_name : NULL, prefix, SL_STORE_WINDOW, ks, vs, m);
    if (store < 0)
        return NULL;
    sl_store_t *sd = t->stores[store];
    sd->timestamped = !sliding; /* sliding windows keep their times in ts_store */
    sd->retention_ms = retention;
    sd->window_size_ms = size;
    int ts_store = -1;
    if (sliding) {
        sd->caching = 0; /* see the file comment */
        char name[SL_STATE_MAX_STORE_NAME + 32];
        snprintf(name, sizeof name, "%s-timestamps", sd->name);
        sl_materialized_t tm = {.disable_caching = 1, .disable_logging = !sd->logging};
        ts_store = sl__store_add(t, name, prefix, SL_STORE_WINDOW, ks, &sl_serde_int64, &tm);
        if (ts_store < 0)
            return NULL;
        t->stores[ts_store]->retention_ms = retention;
        t->stores[ts_store]->window_size_ms = size;
        t->stores[ts_store]->queryable = 0;
    }
    sl_win_def_t *d = calloc(1, sizeof *d);
    if (!d)
        return sl__topo_fail(t, "out of memory");
    *d = (sl_win_def_t){.kind = kind,
                        .store = store,
                        .ts_store = ts_store,
                        .size = size,
                        .advance = w->windows.advance_ms,
                        .grace = grace,
                        .retention = retention,
                        .init = init,
                        .aggregator = aggregator,
                        .reducer = reducer,
                        .arg = arg};
    const sl_node_vt_t *vt =
        sliding ? (kind == SL_WIN_REDUCE ? &sliding_reduce_vt : &sliding_aggregate_vt)
                : (kind == SL_WIN_REDUCE ? &time_reduce_vt : &time_aggregate_vt);
    sl_node_t *n = sl__node_add(t, vt, d, NULL, &g->node, 1);
    if (!n || sl__node_use_store(n, store) || (ts_store >= 0 && sl__node_use_store(n, ts_store)))
        return NULL;
    /* The table's keys: windows of the grouping key, in Kafka's
     * TimeWindowedSerde layout (sliding windows too, size d). */
    sl_serde_t *wks = sl__topo_alloc(t, sizeof *wks);
    if (!wks)
        return NULL;
    *wks = sl_serde_time_windowed(sl__key_serde(t, ks), size);
    sl_ktable_t *out = sl__ktable_new(t, n, wks, sl__value_serde(t, vs), store);
    if (out) {
        out->windowed = 1;
        out->window_size_ms = size;
    }
    return out;
}

sl_ktable_t *sl_twstream_count(sl_timewindowedstream_t *w, const sl_materialized_t *m)
{
    return tw_build(w, SL_WIN_COUNT, NULL, NULL, NULL, NULL, m, "windowed count");
}

sl_ktable_t *sl_twstream_reduce(sl_timewindowedstream_t *w, sl_reducer_fn fn, void *arg,
                                const sl_materialized_t *m)
{
    return tw_build(w, SL_WIN_REDUCE, NULL, NULL, fn, arg, m, "windowed reduce");
}

sl_ktable_t *sl_twstream_aggregate(sl_timewindowedstream_t *w, sl_initializer_fn init,
                                   sl_aggregator_fn fn, void *arg, const sl_materialized_t *m)
{
    return tw_build(w, SL_WIN_AGGREGATE, init, fn, NULL, arg, m, "windowed aggregate");
}
