/* cache.c — the record cache (see engine_int.h): a hash map per cached store
 * of a task holding the store's dirty entries between commits, so that a
 * key updated many times costs one LMDB write, one changelog record and one
 * downstream update per commit — and gets and puts of hot keys never reach
 * LMDB. Entries are kept in the order of their last update (Kafka Streams'
 * NamedCache flushes its dirty keys in that order). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

typedef struct centry {
    struct centry *hnext;       /* hash chain */
    struct centry *prev, *next; /* update order */
    uint64_t hash;
    int64_t ts;   /* a timestamped store's value timestamp, else the last write's time */
    uint8_t *val; /* the new value (plain value bytes); NULL with deleted */
    size_t vlen, vcap;
    uint8_t *old; /* the value in LMDB before the first change, without a
                   * timestamped store's timestamp; NULL: none */
    size_t olen;
    int deleted;
    int has_old;
    size_t klen;
    uint8_t key[]; /* store key bytes (window stores: key + encoded start) */
} centry_t;

struct sl_cache {
    centry_t **buckets;
    size_t nbuckets, n;
    centry_t *head, *tail;
};

/* What an entry costs against the budget. */
static size_t entry_bytes(const centry_t *e) { return sizeof *e + e->klen + e->vcap + e->olen; }

/* FNV-1a: short keys, one pass. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static sl_cache_t *cache_new(void)
{
    sl_cache_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->nbuckets = 1024;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return NULL;
    }
    return c;
}

static void entry_free(centry_t *e)
{
    free(e->val);
    free(e->old);
    free(e);
}

/* Frees the cache; returns the bytes its entries were counted for. */
static int64_t cache_free(sl_cache_t *c)
{
    int64_t bytes = 0;
    if (!c)
        return 0;
    for (centry_t *e = c->head, *nx; e; e = nx) {
        nx = e->next;
        bytes += (int64_t)entry_bytes(e);
        entry_free(e);
    }
    free(c->buckets);
    free(c);
    return bytes;
}

static centry_t *lookup(sl_cache_t *c, const uint8_t *k, size_t klen, uint64_t h)
{
    for (centry_t *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && !memcmp(e->key, k, klen))
            return e;
    return NULL;
}

static void grow(sl_cache_t *c)
{
    size_t nb = c->nbuckets * 2;
    centry_t **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* stay at this size: chains get longer, nothing breaks */
    for (size_t i = 0; i < c->nbuckets; i++) {
        for (centry_t *e = c->buckets[i], *nx; e; e = nx) {
            nx = e->hnext;
            e->hnext = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(c->buckets);
    c->buckets = b, c->nbuckets = nb;
}

static void unlink_order(sl_cache_t *c, centry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void append_order(sl_cache_t *c, centry_t *e)
{
    e->prev = c->tail;
    e->next = NULL;
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
}

/* ---- owners -------------------------------------------------------------------------------------- */

int sl__store_own(sl_ctx_t *ctx, int store, sl_cache_flush_fn fn)
{
    sl_task_t *task = ctx->task;
    if (store < 0 || store >= task->topo->nstores || !task->stores[store].def)
        return SL_ERR_STATE;
    sl_task_store_t *ts = &task->stores[store];
    ts->owner = ctx->cur;
    ts->on_flush = fn;
    if (ts->def->caching && task->cache_max_bytes > 0 &&
        (ts->def->type == SL_STORE_KV || ts->def->type == SL_STORE_WINDOW) && !ts->cache) {
        ts->cache = cache_new();
        if (!ts->cache)
            return SL_ERR_NOMEM;
    }
    return ts->cache != NULL;
}

sl_err_t sl__cache_open(sl_task_t *task, sl_task_store_t *ts)
{
    if (ts->cache || !ts->def->processor_cache || task->cache_max_bytes <= 0)
        return SL_OK;
    ts->cache = cache_new();
    return ts->cache ? SL_OK : SL_ERR_NOMEM;
}

int sl__store_cached(sl_ctx_t *ctx, int store)
{
    sl_task_t *task = ctx->task;
    return store >= 0 && store < task->topo->nstores && task->stores[store].cache != NULL;
}

int64_t sl__cache_free(sl_task_store_t *ts)
{
    int64_t bytes = cache_free(ts->cache);
    ts->cache = NULL;
    return bytes;
}

/* ---- reads and writes ------------------------------------------------------------------------------ */

int sl__cache_get(sl_task_store_t *ts, sl_bytes_t k, sl_bytes_t *v, int64_t *time)
{
    centry_t *e = lookup(ts->cache, k.data, k.len, hash_bytes(k.data, k.len));
    if (!e)
        return -1;
    if (e->deleted)
        return 0;
    *v = (sl_bytes_t){e->val, e->vlen};
    if (time)
        *time = e->ts;
    return 1;
}

sl_err_t sl__cache_put(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v,
                       int64_t time, const sl_bytes_t *old, int old_found)
{
    sl_task_t *task = ctx->task;
    sl_cache_t *c = ts->cache;
    uint64_t h = hash_bytes(k.data, k.len);
    centry_t *e = lookup(c, k.data, k.len, h);
    if (!e) {
        e = calloc(1, sizeof *e + k.len);
        if (!e)
            return SL_ERR_NOMEM;
        memcpy(e->key, k.data, k.len);
        e->klen = k.len;
        e->hash = h;
        e->has_old = old_found;
        if (old_found) {
            e->old = malloc(old->len ? old->len : 1);
            if (!e->old) {
                free(e);
                return SL_ERR_NOMEM;
            }
            memcpy(e->old, old->data, old->len);
            e->olen = old->len;
        }
        if (c->n >= c->nbuckets)
            grow(c);
        e->hnext = c->buckets[h & (c->nbuckets - 1)];
        c->buckets[h & (c->nbuckets - 1)] = e;
        c->n++;
        append_order(c, e);
    } else {
        *task->cache_used -= (int64_t)entry_bytes(e);
        unlink_order(c, e);
        append_order(c, e);
    }
    if (v) {
        if (v->len > e->vcap || !e->val) {
            uint8_t *nv = realloc(e->val, v->len ? v->len : 1);
            if (!nv) {
                *task->cache_used += (int64_t)entry_bytes(e);
                return SL_ERR_NOMEM;
            }
            e->val = nv, e->vcap = v->len ? v->len : 1;
        }
        memcpy(e->val, v->data, v->len);
        e->vlen = v->len;
        e->deleted = 0;
    } else {
        e->deleted = 1;
        e->vlen = 0;
    }
    e->ts = time;
    *task->cache_used += (int64_t)entry_bytes(e);
    return SL_OK;
}

/* ---- flushing ----------------------------------------------------------------------------------------- */

/* Writes one entry to LMDB and the changelog, then hands it to the owner. */
static void flush_entry(sl_ctx_t *ctx, sl_task_store_t *ts, centry_t *e)
{
    sl_task_t *task = ctx->task;
    sl_bytes_t k = {e->key, e->klen}, v = {e->val, e->vlen};
    sl_bytes_t skey = k, logk = k, sv = v; /* sv: the bytes LMDB keeps */
    int64_t start = 0;
    int rc;
    if (!e->deleted && sl__store_lmdb_value(ctx, ts, v, e->ts, &sv))
        return;
    if (ts->def->type == SL_STORE_WINDOW) {
        if (!sl__window_key_decode(k, &skey, &start)) {
            sl__store_fail(ctx, ts, SL_ERR_STATE);
            return;
        }
        uint8_t *lk = sl_mem_alloc(&task->mem, skey.len + SL_WINDOW_CHANGELOG_SUFFIX);
        if (!lk) {
            sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
            return;
        }
        memcpy(lk, skey.data, skey.len);
        sl_store_be64(lk + skey.len, (uint64_t)start);
        sl_store_be32(lk + skey.len + 8, 0);
        logk = (sl_bytes_t){lk, skey.len + SL_WINDOW_CHANGELOG_SUFFIX};
        rc = e->deleted ? sl_window_delete(sl__store_txn(task, ts), ts->handle, skey, start)
                        : (int)sl_window_put(sl__store_txn(task, ts), ts->handle, skey, start, sv);
    } else {
        rc = e->deleted ? sl_kv_delete(sl__store_txn(task, ts), ts->handle, k)
                        : (int)sl_kv_put(sl__store_txn(task, ts), ts->handle, k, sv);
    }
    if (rc < 0) {
        sl__store_fail(ctx, ts, rc);
        return;
    }
    if (e->deleted && !e->has_old)
        return; /* created and deleted between two flushes: nothing happened */
    /* The entry's own time for its changelog record and its update. */
    sl_rec_t r = {.ts = e->ts};
    ctx->rec = &r;
    sl__store_log_change_ts(ctx, ts, logk, e->deleted ? NULL : &v, e->ts);
    if (task->err || !ts->owner || !ts->on_flush) {
        ctx->rec = NULL;
        return;
    }
    const void *ko, *nv = NULL, *ov = NULL;
    sl_err_t err = sl__deserialize(ts->def->key_serde, &skey, &task->mem, &ko);
    if (err) {
        sl_ctx_fail(ctx, err, "store %s: the %s serde cannot read a cached key", ts->def->name,
                    ts->def->key_serde->name);
        return;
    }
    if ((!e->deleted && sl__store_value_obj(ctx, ts, v, &nv) < 0) ||
        (e->has_old && sl__store_value_obj(ctx, ts, (sl_bytes_t){e->old, e->olen}, &ov) < 0)) {
        ctx->rec = NULL;
        return;
    }
    ctx->cur = ts->owner;
    ts->on_flush(ctx, ts->owner, ko, start, nv, ov, e->ts);
    ctx->rec = NULL; /* r dies here */
}

static sl_err_t flush_store(sl_ctx_t *ctx, sl_task_store_t *ts, int reset)
{
    sl_cache_t *c = ts->cache;
    if (!c || !c->head)
        return ctx->task->err;
    sl_task_t *task = ctx->task;
    /* Detach the entries first: the owner's downstream may write to this
     * store's cache again while they are emitted. */
    centry_t *list = c->head;
    c->head = c->tail = NULL;
    c->n = 0;
    memset(c->buckets, 0, c->nbuckets * sizeof *c->buckets);
    sl_inst_t *saved_cur = ctx->cur;
    const sl_rec_t *saved_rec = ctx->rec;
    for (centry_t *e = list, *nx; e; e = nx) {
        nx = e->next;
        *task->cache_used -= (int64_t)entry_bytes(e);
        if (!task->err)
            flush_entry(ctx, ts, e);
        entry_free(e);
        if (reset)
            sl__mem_reset(&task->mem);
    }
    ctx->cur = saved_cur;
    ctx->rec = saved_rec;
    return task->err;
}

sl_err_t sl__cache_flush_store(sl_ctx_t *ctx, sl_task_store_t *ts)
{
    return flush_store(ctx, ts, 0);
}

sl_err_t sl__cache_flush_all(sl_task_t *task)
{
    sl_ctx_t *ctx = &task->ctx;
    for (int i = 0; i < task->topo->nstores && !task->err; i++) {
        if (task->stores[i].cache)
            flush_store(ctx, &task->stores[i], 1);
    }
    return task->err;
}
