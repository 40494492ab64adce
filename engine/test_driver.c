/* test_driver.c — the deterministic topology test driver: one task per
 * sub-topology on partition 0, one LMDB write transaction committed after
 * every piped record, output records kept in per-topic queues, and records
 * sent to topics the topology itself reads (repartition topics) processed
 * right after the record that made them, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/test_driver.h>

#include "common/fsutil.h"
#include "engine/engine_int.h"

typedef struct td_rec {
    struct td_rec *next;
    char *topic; /* feedback queue only */
    uint8_t *key, *value;
    size_t klen, vlen;
    int key_null, value_null;
    int64_t ts;
    int64_t offset;
    sl_header_t *headers;
    size_t nheaders;
} td_rec_t;

typedef struct td_queue {
    char *topic;
    td_rec_t *head, *tail;
    size_t n;
    int64_t next_offset; /* offsets as a log would give them */
} td_queue_t;

struct sl_test_driver {
    sl_topology_t *topo;
    char app_id[256];
    char state_dir[4096];
    int own_dir;
    sl_state_env_t *env;
    sl_state_txn_t *txn;
    sl_task_t **tasks;
    int ntasks;
    td_queue_t *queues;
    size_t nqueues, queues_cap;
    td_rec_t *fb_head, *fb_tail; /* records for the topology's own sources */
    td_rec_t *last_read;          /* freed at the next call */
    sl_mem_t mem;                 /* objects handed out; reset at the next call */
    sl_out_t kout, vout;
    int64_t wall_clock;
    int failed;
    char errmsg[512];
};

static void rec_free(td_rec_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nheaders; i++)
        free((char *)r->headers[i].key), free((void *)r->headers[i].value.data);
    free(r->headers);
    free(r->topic);
    free(r->key);
    free(r->value);
    free(r);
}

static td_rec_t *rec_new(const char *topic, const sl_bytes_t *key, const sl_bytes_t *value,
                         int64_t ts, const sl_header_t *headers, size_t nheaders)
{
    td_rec_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->ts = ts;
    r->key_null = !key, r->value_null = !value;
    if ((topic && !(r->topic = strdup(topic))) ||
        (key && !(r->key = malloc(key->len ? key->len : 1))) ||
        (value && !(r->value = malloc(value->len ? value->len : 1))))
        goto fail;
    if (key) {
        if (key->len)
            memcpy(r->key, key->data, key->len);
        r->klen = key->len;
    }
    if (value) {
        if (value->len)
            memcpy(r->value, value->data, value->len);
        r->vlen = value->len;
    }
    if (nheaders) {
        if (!(r->headers = calloc(nheaders, sizeof *r->headers)))
            goto fail;
        for (size_t i = 0; i < nheaders; i++) {
            sl_header_t *h = &r->headers[i];
            r->nheaders++;
            if (!(h->key = strdup(headers[i].key ? headers[i].key : "")))
                goto fail;
            h->value_null = headers[i].value_null || !headers[i].value.data;
            if (!h->value_null) {
                uint8_t *v = malloc(headers[i].value.len ? headers[i].value.len : 1);
                if (!v)
                    goto fail;
                memcpy(v, headers[i].value.data, headers[i].value.len);
                h->value = (sl_bytes_t){v, headers[i].value.len};
            }
        }
    }
    return r;
fail:
    rec_free(r);
    return NULL;
}

static td_queue_t *queue_get(sl_test_driver_t *d, const char *topic, int create)
{
    for (size_t i = 0; i < d->nqueues; i++)
        if (!strcmp(d->queues[i].topic, topic))
            return &d->queues[i];
    if (!create)
        return NULL;
    if (d->nqueues == d->queues_cap) {
        size_t cap = d->queues_cap ? d->queues_cap * 2 : 8;
        td_queue_t *q = realloc(d->queues, cap * sizeof *q);
        if (!q)
            return NULL;
        d->queues = q, d->queues_cap = cap;
    }
    td_queue_t *q = &d->queues[d->nqueues];
    memset(q, 0, sizeof *q);
    if (!(q->topic = strdup(topic)))
        return NULL;
    d->nqueues++;
    return q;
}

/* Finds the task and source node that read topic. */
static sl_task_t *task_for(sl_test_driver_t *d, const char *topic, sl_node_t **src)
{
    for (int i = 0; i < d->ntasks; i++) {
        sl_node_t *n = sl__task_source_for(d->tasks[i], topic);
        if (n) {
            *src = n;
            return d->tasks[i];
        }
    }
    return NULL;
}

static sl_err_t collect(void *opaque, const char *topic, int32_t partition, const sl_bytes_t *key,
                        const sl_bytes_t *value, int64_t ts, const sl_header_t *headers,
                        size_t nheaders)
{
    sl_test_driver_t *d = opaque;
    td_queue_t *q = queue_get(d, topic, 1);
    td_rec_t *r = q ? rec_new(NULL, key, value, ts, headers, nheaders) : NULL;
    if (!r)
        return SL_ERR_NOMEM;
    r->offset = q->next_offset++;
    if (q->tail)
        q->tail->next = r;
    else
        q->head = r;
    q->tail = r;
    q->n++;
    sl_node_t *src;
    if (task_for(d, topic, &src)) {
        td_rec_t *f = rec_new(topic, key, value, ts, headers, nheaders);
        if (!f)
            return SL_ERR_NOMEM;
        f->offset = r->offset;
        if (d->fb_tail)
            d->fb_tail->next = f;
        else
            d->fb_head = f;
        d->fb_tail = f;
    }
    return SL_OK;
}

static int32_t partitions(void *opaque, const char *topic) { return 1; }

static void cleanup_call(sl_test_driver_t *d)
{
    rec_free(d->last_read);
    d->last_read = NULL;
    sl__mem_reset(&d->mem);
}

static sl_err_t fail_with(sl_test_driver_t *d, sl_task_t *task, sl_err_t err)
{
    d->failed = 1;
    snprintf(d->errmsg, sizeof d->errmsg, "%s", task ? task->errmsg : sl_err_str(err));
    return err;
}

static sl_err_t process(sl_test_driver_t *d, const char *topic, int64_t offset,
                        const sl_bytes_t *key, const sl_bytes_t *value, int64_t ts,
                        const sl_header_t *headers, size_t nheaders)
{
    sl_node_t *src;
    sl_task_t *task = task_for(d, topic, &src);
    if (!task)
        return SL_ERR_UNKNOWN_TOPIC;
    sl_err_t err = sl__task_process(task, src, topic, 0, offset, key, value, ts, headers,
                                    nheaders);
    return err ? fail_with(d, task, err) : SL_OK;
}

/* Processes the records the topology sent to its own sources, then flushes
 * and commits, until nothing is left. */
static sl_err_t settle(sl_test_driver_t *d)
{
    for (;;) {
        while (d->fb_head) {
            td_rec_t *f = d->fb_head;
            d->fb_head = f->next;
            if (!d->fb_head)
                d->fb_tail = NULL;
            sl_bytes_t k = {f->key, f->klen}, v = {f->value, f->vlen};
            sl_err_t err = process(d, f->topic, f->offset, f->key_null ? NULL : &k,
                                   f->value_null ? NULL : &v, f->ts, f->headers, f->nheaders);
            rec_free(f);
            if (err)
                return err;
        }
        for (int i = 0; i < d->ntasks; i++) {
            sl_err_t err = sl__task_flush(d->tasks[i]);
            if (err)
                return fail_with(d, d->tasks[i], err);
        }
        if (!d->fb_head)
            break;
    }
    sl_err_t err = sl_state_txn_commit(d->txn);
    d->txn = NULL;
    if (!err)
        err = sl_state_txn_begin(d->env, 1, &d->txn);
    if (err) {
        d->failed = 1;
        snprintf(d->errmsg, sizeof d->errmsg, "state commit failed: %s", sl_err_str(err));
        return err;
    }
    for (int i = 0; i < d->ntasks; i++)
        sl__task_set_txn(d->tasks[i], d->txn);
    return SL_OK;
}

sl_err_t sl_test_driver_new(sl_topology_t *t, const sl_config_t *cfg, int64_t start_wall_ms,
                            sl_test_driver_t **out, char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    errbuf[0] = 0;
    sl_err_t err = sl__topology_build(t, errbuf, errlen);
    if (err)
        return err;
    sl_test_driver_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    d->topo = t;
    d->wall_clock = start_wall_ms;
    const char *app = sl_config_get(cfg, "application.id");
    snprintf(d->app_id, sizeof d->app_id, "%s", app ? app : "test-driver");
    const char *dir = sl_config_get(cfg, "state.dir");
    if (dir) {
        snprintf(d->state_dir, sizeof d->state_dir, "%s/%s", dir, d->app_id);
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(d->state_dir, sizeof d->state_dir, "%s/sluice-test-driver-XXXXXX",
                 base && *base ? base : "/tmp");
        if (!mkdtemp(d->state_dir)) {
            snprintf(errbuf, errlen, "cannot make a temporary state directory");
            free(d);
            return SL_ERR_IO;
        }
        d->own_dir = 1;
    }
    const char *h = sl_config_get(cfg, "default.deserialization.exception.handler");
    const char *cm = sl_config_get(cfg, "cache.max.bytes.buffering");
    if (!cm)
        cm = sl_config_get(cfg, "statestore.cache.max.bytes");
    int64_t cache_max = cm ? strtoll(cm, NULL, 10) : 10 * 1024 * 1024;
    int cont = !h || strcmp(h, "logAndFail");
    err = sl_state_env_open(d->state_dir, 0, (unsigned)t->nstores + 8, &d->env, errbuf, errlen);
    if (err)
        goto fail;
    if ((err = sl_state_txn_begin(d->env, 1, &d->txn))) {
        snprintf(errbuf, errlen, "state: %s", sl_err_str(err));
        goto fail;
    }
    d->tasks = calloc((size_t)t->nsubtopologies, sizeof *d->tasks);
    if (!d->tasks) {
        err = SL_ERR_NOMEM;
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    for (int s = 0; s < t->nsubtopologies; s++) {
        err = sl__task_new(t, s, 0, d->app_id, d->txn, collect, partitions, d, cont,
                           start_wall_ms, cache_max, NULL, &d->tasks[s], errbuf, errlen);
        if (err)
            goto fail;
        sl__task_set_processing_log(d->tasks[s], sl_config_get(cfg, "processing.log.topic"));
        d->ntasks++;
    }
    if ((err = settle(d))) {
        snprintf(errbuf, errlen, "%s", d->errmsg);
        goto fail;
    }
    *out = d;
    return SL_OK;
fail:
    sl_test_driver_destroy(d);
    return err;
}

void sl_test_driver_destroy(sl_test_driver_t *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->ntasks; i++)
        sl__task_free(d->tasks[i]);
    free(d->tasks);
    sl_state_txn_abort(d->txn);
    sl_state_env_close(d->env);
    if (d->own_dir)
        sl_rmtree(d->state_dir);
    for (size_t i = 0; i < d->nqueues; i++) {
        for (td_rec_t *r = d->queues[i].head, *nx; r; r = nx) {
            nx = r->next;
            rec_free(r);
        }
        free(d->queues[i].topic);
    }
    free(d->queues);
    for (td_rec_t *r = d->fb_head, *nx; r; r = nx) {
        nx = r->next;
        rec_free(r);
    }
    rec_free(d->last_read);
    sl__mem_free(&d->mem);
    sl_buf_free(&d->kout.buf);
    sl_buf_free(&d->vout.buf);
    free(d);
}

sl_err_t sl_test_driver_pipe_headers(sl_test_driver_t *d, const char *topic, const sl_bytes_t *key,
                                     const sl_bytes_t *value, int64_t timestamp,
                                     const sl_header_t *headers, size_t nheaders)
{
    if (!d || !topic)
        return SL_ERR_INVAL;
    cleanup_call(d);
    if (d->failed)
        return SL_ERR_STATE;
    sl_node_t *src;
    if (!task_for(d, topic, &src))
        return SL_ERR_UNKNOWN_TOPIC;
    /* The piped record takes an offset in its topic's queue numbering. */
    td_queue_t *q = queue_get(d, topic, 1);
    if (!q)
        return SL_ERR_NOMEM;
    sl_err_t err = process(d, topic, q->next_offset++, key, value, timestamp, headers, nheaders);
    if (err)
        return err;
    return settle(d);
}

sl_err_t sl_test_driver_pipe(sl_test_driver_t *d, const char *topic, const sl_bytes_t *key,
                             const sl_bytes_t *value, int64_t timestamp)
{
    return sl_test_driver_pipe_headers(d, topic, key, value, timestamp, NULL, 0);
}

sl_err_t sl_test_driver_pipe_obj(sl_test_driver_t *d, const char *topic,
                                 const sl_serde_t *key_serde, const void *key,
                                 const sl_serde_t *value_serde, const void *value,
                                 int64_t timestamp)
{
    if (!d || !topic)
        return SL_ERR_INVAL;
    sl_node_t *src;
    if (!task_for(d, topic, &src))
        return SL_ERR_UNKNOWN_TOPIC;
    int kn, vn;
    sl_err_t err = sl__serialize(key_serde ? key_serde : src->key_serde, key, &d->kout, &kn);
    if (!err)
        err = sl__serialize(value_serde ? value_serde : src->value_serde, value, &d->vout, &vn);
    if (err)
        return err;
    sl_bytes_t k = {d->kout.buf.data, d->kout.buf.len}, v = {d->vout.buf.data, d->vout.buf.len};
    return sl_test_driver_pipe(d, topic, kn ? NULL : &k, vn ? NULL : &v, timestamp);
}

int sl_test_driver_read(sl_test_driver_t *d, const char *topic, sl_test_record_t *rec)
{
    if (!d || !topic || !rec)
        return SL_ERR_INVAL;
    cleanup_call(d);
    td_queue_t *q = queue_get(d, topic, 0);
    if (!q || !q->head)
        return 0;
    td_rec_t *r = q->head;
    q->head = r->next;
    if (!q->head)
        q->tail = NULL;
    q->n--;
    d->last_read = r;
    *rec = (sl_test_record_t){
        .key = {r->key, r->klen},
        .value = {r->value, r->vlen},
        .key_null = r->key_null,
        .value_null = r->value_null,
        .timestamp = r->ts,
        .partition = 0,
        .headers = r->headers,
        .nheaders = r->nheaders,
    };
    return 1;
}

int sl_test_driver_read_obj(sl_test_driver_t *d, const char *topic, const sl_serde_t *key_serde,
                            const void **key, const sl_serde_t *value_serde, const void **value,
                            int64_t *timestamp)
{
    sl_test_record_t r;
    int rc = sl_test_driver_read(d, topic, &r);
    if (rc != 1)
        return rc;
    sl_err_t err = SL_OK;
    if (key)
        err = sl__deserialize(key_serde ? key_serde : &sl_serde_bytes, r.key_null ? NULL : &r.key,
                              &d->mem, key);
    if (!err && value)
        err = sl__deserialize(value_serde ? value_serde : &sl_serde_bytes,
                              r.value_null ? NULL : &r.value, &d->mem, value);
    if (timestamp)
        *timestamp = r.timestamp;
    return err ? (int)err : 1;
}

size_t sl_test_driver_queued(const sl_test_driver_t *d, const char *topic)
{
    if (!d || !topic)
        return 0;
    for (size_t i = 0; i < d->nqueues; i++)
        if (!strcmp(d->queues[i].topic, topic))
            return d->queues[i].n;
    return 0;
}

sl_err_t sl_test_driver_advance_wall_clock(sl_test_driver_t *d, int64_t ms)
{
    if (!d || ms < 0)
        return SL_ERR_INVAL;
    cleanup_call(d);
    if (d->failed)
        return SL_ERR_STATE;
    d->wall_clock += ms;
    for (int i = 0; i < d->ntasks; i++) {
        sl_err_t err = sl__task_wall_clock(d->tasks[i], d->wall_clock);
        if (err)
            return fail_with(d, d->tasks[i], err);
    }
    return settle(d);
}

int64_t sl_test_driver_metric(const sl_test_driver_t *d, const char *name)
{
    if (!d || !name)
        return -1;
    int64_t sum = 0;
    for (int i = 0; i < d->ntasks; i++) {
        const sl_task_metrics_t *m = &d->tasks[i]->metrics;
        if (!strcmp(name, "dropped-records"))
            sum += m->dropped;
        else if (!strcmp(name, "skipped-records"))
            sum += m->skipped;
        else if (!strcmp(name, "deserialization-errors"))
            sum += m->deser_errors;
        else if (!strcmp(name, "process-total"))
            sum += m->processed;
        else if (!strcmp(name, "record-send-total"))
            sum += m->sent;
        else
            return -1;
    }
    return sum;
}

/* Finds the task and store for an interactive query. */
static sl_task_store_t *iq_store(sl_test_driver_t *d, const char *store, sl_store_type_t type)
{
    int id = sl__store_find(d->topo, store);
    if (id < 0)
        return NULL;
    for (int i = 0; i < d->ntasks; i++) {
        sl_task_store_t *ts = &d->tasks[i]->stores[id];
        if (ts->handle && ts->def->type == type)
            return ts;
    }
    return NULL;
}

static int iq_value(sl_test_driver_t *d, sl_task_store_t *ts, int rc, sl_bytes_t v,
                    const void **value)
{
    if (rc != 1)
        return rc;
    if (ts->def->timestamped && !sl_state_ts_decode(v, NULL, &v))
        return SL_ERR_STATE;
    sl_bytes_t c = {sl_mem_dup(&d->mem, v.data ? v.data : (const uint8_t *)"", v.len), v.len};
    if (!c.data)
        return SL_ERR_NOMEM;
    sl_err_t err = sl__deserialize(ts->def->value_serde, &c, &d->mem, value);
    return err ? (int)err : 1;
}

int sl_test_driver_kv_get(sl_test_driver_t *d, const char *store, const void *key,
                          const void **value)
{
    if (!d || !store || !value)
        return SL_ERR_INVAL;
    cleanup_call(d);
    *value = NULL;
    sl_task_store_t *ts = iq_store(d, store, SL_STORE_KV);
    if (!ts)
        return SL_ERR_INVAL;
    int kn;
    sl_err_t err = sl__serialize(ts->def->key_serde, key, &d->kout, &kn);
    if (err || kn)
        return err ? (int)err : SL_ERR_INVAL;
    sl_bytes_t k = {d->kout.buf.data, d->kout.buf.len}, v;
    return iq_value(d, ts, sl_kv_get(d->txn, ts->handle, k, &v), v, value);
}

int sl_test_driver_window_get(sl_test_driver_t *d, const char *store, const void *key,
                              int64_t start, const void **value)
{
    if (!d || !store || !value)
        return SL_ERR_INVAL;
    cleanup_call(d);
    *value = NULL;
    sl_task_store_t *ts = iq_store(d, store, SL_STORE_WINDOW);
    if (!ts)
        return SL_ERR_INVAL;
    int kn;
    sl_err_t err = sl__serialize(ts->def->key_serde, key, &d->kout, &kn);
    if (err || kn)
        return err ? (int)err : SL_ERR_INVAL;
    sl_bytes_t k = {d->kout.buf.data, d->kout.buf.len}, v;
    return iq_value(d, ts, sl_window_get(d->txn, ts->handle, k, start, &v), v, value);
}

const char *sl_test_driver_last_error(const sl_test_driver_t *d) { return d ? d->errmsg : ""; }
