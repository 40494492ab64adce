/* runner.c — running a topology for real (sl_streams_*): topic set-up, stream
 * threads polling a log client, tasks with an LMDB environment each, the
 * commit protocol, changelog restore, and interactive queries.
 *
 * Threads: each stream thread owns its log clients, its tasks and their
 * environments; the application's threads meet only at the task list lock
 * (interactive queries read task stores from other threads) and at atomics
 * (state, metrics, positions). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sluice/broker.h>
#include <sluice/streams.h>

#include "common/clock.h"
#include "common/murmur2.h"
#include "common/trace.h"
#include "engine/engine_int.h"
#include "engine/join_int.h"
#include "engine/logclient.h"

/* ---- types ------------------------------------------------------------------------------------ */

typedef struct rinput {
    char topic[512];
    _Atomic int64_t next; /* next offset to process; -1 unknown */
    int table;            /* a table's source topic: taken first on equal times */
} rinput_t;

typedef struct rlog {
    int store;
    char topic[512];
    int64_t end; /* the changelog's end offset as this task's acked writes left it; -1 unknown */
} rlog_t;

typedef struct rtask {
    int sub;
    int32_t partition;
    char dir[4200];
    sl_state_env_t *env;
    sl_state_txn_t *txn;
    sl_task_t *task;
    rinput_t *inputs;
    int ninputs;
    rlog_t *logs;
    int nlogs;
    struct pendq *q; /* per input: records held (tasks with several inputs) */
    int queued;
    int64_t held_since; /* when the task began holding records back (ms) */
} rtask_t;

/* A record of a task with several inputs, held until the poll ends so that
 * the task takes its inputs' records in timestamp order (Kafka Streams picks
 * the partition whose head record is oldest); copied into the thread's poll
 * arena. */
typedef struct pend {
    int32_t partition;
    int64_t offset, ts;
    sl_bytes_t key, value;
    int knull, vnull;
    sl_header_t *headers;
    size_t nheaders;
} pend_t;

typedef struct pendq {
    pend_t *v;
    int n, cap, head;
} pendq_t;

typedef struct sthread sthread_t;
typedef struct gpart gpart_t; /* a partition of a global table's topic */

/* The application's counters: the first M_TASK_COUNT are the tasks' own
 * (sl_task_metrics_t), summed per thread; the others the threads'. */
enum { M_PROCESS, M_DROPPED, M_SKIPPED, M_DESER, M_SENT, M_TASK_COUNT, M_RESTORED = M_TASK_COUNT,
       M_COMMITS, M_COUNT };

struct sl_streams {
    sl_topology_t *topo;
    sl_config_t *cfg;
    char app_id[256];
    char state_dir[4096]; /* <state.dir>/<application.id> */
    sl_embedded_broker_t *eb;
    char *bootstrap;
    int nthreads;
    sthread_t *threads;
    int64_t commit_interval;
    int64_t max_idle; /* max.task.idle.ms: how long a task waits for an input */
    int64_t cache_max;
    int cont_deser;
    sl_lc_reset_t reset;
    int32_t *sub_parts; /* partitions per sub-topology */
    int started;
    atomic_int stop;
    atomic_int state;
    atomic_int commit_gen; /* bumped to ask every thread for a commit now */
    pthread_mutex_t err_lock;
    char error[2200];
    pthread_rwlock_t tasks_lock; /* task lists vs interactive queries */
    /* Global tables: one task per global sub-topology, in an environment of
     * their own (<state dir>/global), fed by every partition of their topics
     * by the global thread; stream threads read them through a read
     * transaction each, renewed at their commits. */
    sl_state_env_t *genv;
    sl_state_txn_t *gtxn;
    rtask_t **gtasks;
    int ngtasks;
    sl_lc_t *glc;
    pthread_t gthread;
    int gthread_running;
    gpart_t *gparts;
    size_t ngparts;
    _Atomic int64_t closed_metrics[M_COUNT];
};

struct sthread {
    sl_streams_t *app;
    int idx;
    pthread_t th;
    int running;
    sl_lc_t *lc;         /* input, output, changelog and repartition records */
    sl_lc_t *restore_lc; /* changelog replay (assign mode) */
    rtask_t **tasks;
    int ntasks;
    sl_state_txn_t *gread; /* read transaction on the global stores, or NULL */
    int nheld;             /* records held in the tasks' queues */
    int64_t cache_used;    /* bytes in the caches of the thread's tasks (its budget:
                            * cache.max.bytes.buffering / num.stream.threads) */
    sl_arena_t parena;     /* their bytes; reset when none is held */
    int64_t last_commit;
    _Atomic int64_t live_metrics[M_COUNT];
    _Atomic int ready; /* tasks created and restored */
    atomic_int commit_done; /* the last commit_gen this thread committed after */
    char errbuf[2048];
};

static void app_fail(sl_streams_t *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void app_fail(sl_streams_t *app, const char *fmt, ...)
{
    pthread_mutex_lock(&app->err_lock);
    if (atomic_load(&app->state) != SL_STREAMS_ERROR) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(app->error, sizeof app->error, fmt, ap);
        va_end(ap);
        atomic_store(&app->state, SL_STREAMS_ERROR);
        sl_trace(SL_TRACE_ERROR, "engine", "%s: %s", app->app_id, app->error);
    }
    pthread_mutex_unlock(&app->err_lock);
    atomic_store(&app->stop, 1);
}

/* ---- log clients ------------------------------------------------------------------------------- */

/* The client properties: the config's "consumer."/"producer." keys as
 * key, value pairs (the log client routes them), NULL-terminated. A static
 * member id (consumer.group.instance.id) gets the thread's number appended:
 * one per stream thread, as Kafka Streams does. */
static const char **lc_props(const sl_config_t *cfg, int thread, char *idbuf, size_t idlen,
                             size_t *n_out)
{
    size_t n = 0;
    const char **p = calloc(2 * cfg->n + 1, sizeof *p);
    if (!p)
        return NULL;
    for (size_t i = 0; i < cfg->n; i++) {
        const char *k = cfg->e[i].key;
        if (!strcmp(k, "consumer.group.instance.id")) {
            if (thread < 0)
                continue; /* admin and restore clients are no group members */
            snprintf(idbuf, idlen, "%s-%d", cfg->e[i].value, thread + 1);
            p[n++] = k;
            p[n++] = idbuf;
        } else if (!strncmp(k, "consumer.", 9) || !strncmp(k, "producer.", 9)) {
            p[n++] = k;
            p[n++] = cfg->e[i].value;
        }
    }
    p[n] = NULL;
    *n_out = n;
    return p;
}

static void on_delivery(void *opaque, const char *topic, int32_t partition, int64_t offset,
                        sl_err_t err);

static sl_err_t make_lc(sl_streams_t *app, const char *client_id, const char *group_id,
                        sthread_t *th, sl_lc_t **out, char *errbuf, size_t errlen)
{
    size_t n;
    char idbuf[300];
    const char **props = lc_props(app->cfg, th && group_id ? th->idx : -1, idbuf, sizeof idbuf, &n);
    if (!props)
        return SL_ERR_NOMEM;
    sl_lc_config_t c = {
        .client_id = client_id,
        .group_id = group_id,
        .auto_offset_reset = app->reset,
        .props = props,
        .on_delivery = th ? on_delivery : NULL,
        .delivery_opaque = th,
    };
    sl_err_t err = app->bootstrap
                       ? sl_lc_new_kafka(app->bootstrap, &c, out, errbuf, errlen)
                       : sl_lc_new_local(sl__embedded_broker_get(app->eb), &c, out, errbuf, errlen);
    free(props);
    return err;
}

/* ---- topics ------------------------------------------------------------------------------------- */

static const char *real_topic(const sl_streams_t *app, const char *t, char *buf, size_t len)
{
    return sl__topic_name(app->app_id, t, buf, len);
}

void sl_streams_internal_topics(const sl_streams_t *app, void (*fn)(void *arg, const char *topic),
                                void *arg)
{
    const sl_topology_t *t = app->topo;
    char real[512];
    for (int i = 0; i < t->nnodes; i++) {
        const sl_node_t *n = t->nodes[i];
        for (int k = 0; k < n->ntopics; k++)
            if (n->topics[k][0] == SL_INTERNAL_TOPIC_MARK)
                fn(arg, real_topic(app, n->topics[k], real, sizeof real));
    }
    for (int i = 0; i < t->nstores; i++) {
        const sl_store_t *st = t->stores[i];
        if (!st->logging || st->subtopology < 0)
            continue;
        snprintf(real, sizeof real, "%s-%s-changelog", app->app_id, st->name);
        fn(arg, real);
    }
}

const char *sl_streams_state_dir(const sl_streams_t *app) { return app->state_dir; }

/* The sub-topology whose sink writes topic (graph name), or -1. */
static int writer_sub(const sl_topology_t *t, const char *topic)
{
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i]->topic && !strcmp(t->nodes[i]->topic, topic))
            return t->nodes[i]->subtopology;
    return -1;
}

/* The repartition sink writing topic, or NULL. */
static sl_node_t *writer_node(const sl_topology_t *t, const char *topic)
{
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i]->topic && !strcmp(t->nodes[i]->topic, topic))
            return t->nodes[i];
    return NULL;
}

static sl_err_t create_topic(sl_lc_t *lc, const char *topic, int32_t parts, int compact,
                             char *errbuf, size_t errlen)
{
    const char *compact_cfg[] = {"cleanup.policy", "compact", NULL};
    char msg[256] = "";
    sl_err_t err = sl_lc_create_topic(lc, topic, parts, -1, compact ? compact_cfg : NULL, msg,
                                      sizeof msg);
    if (err == SL_ERR_TOPIC_EXISTS) {
        int32_t have = 0;
        if (sl_lc_partition_count(lc, topic, &have) == SL_OK && have != parts) {
            snprintf(errbuf, errlen,
                     "internal topic %s has %d partitions; the topology needs %d (delete it, "
                     "or reset the application)",
                     topic, (int)have, (int)parts);
            return SL_ERR_TOPOLOGY;
        }
        return SL_OK;
    }
    if (err)
        snprintf(errbuf, errlen, "cannot create topic %s: %s (%s)", topic, sl_err_str(err), msg);
    return err;
}

/* Works out each sub-topology's partition count (the source topics'; for a
 * sub-topology fed only by repartition topics, the upstream one's, as Kafka
 * Streams does), checks the sources, and creates the internal topics and the
 * static sink topics that are missing. */
static sl_err_t setup_topics(sl_streams_t *app, sl_lc_t *lc, char *errbuf, size_t errlen)
{
    sl_topology_t *t = app->topo;
    int nsub = t->nsubtopologies;
    char real[512];
    for (int s = 0; s < nsub; s++)
        app->sub_parts[s] = 0;
    /* User source topics: they must exist; one sub-topology's must agree. */
    for (int i = 0; i < t->nnodes; i++) {
        sl_node_t *n = t->nodes[i];
        for (int k = 0; k < n->ntopics; k++) {
            if (n->topics[k][0] == SL_INTERNAL_TOPIC_MARK)
                continue;
            int32_t parts;
            sl_err_t err = sl_lc_partition_count(lc, n->topics[k], &parts);
            if (err == SL_ERR_UNKNOWN_TOPIC) {
                snprintf(errbuf, errlen, "%s: source topic '%s' does not exist", n->name,
                         n->topics[k]);
                return SL_ERR_TOPOLOGY;
            }
            if (err) {
                snprintf(errbuf, errlen, "%s: cannot read the metadata of topic '%s': %s (%s)",
                         n->name, n->topics[k], sl_err_str(err), sl_lc_errstr(lc));
                return err;
            }
            int32_t *have = &app->sub_parts[n->subtopology];
            if (*have && *have != parts) {
                /* Name the node reading the sources together: a join, else a
                 * merge. */
                const char *op = n->name;
                int best = 0;
                for (int j = 0; j < t->nnodes; j++) {
                    sl_node_t *x = t->nodes[j];
                    if (x->subtopology != n->subtopology)
                        continue;
                    int rank = strstr(x->name, "JOIN") ? 2 : x->nparents > 1 ? 1 : 0;
                    if (rank > best)
                        best = rank, op = x->name;
                }
                snprintf(errbuf, errlen,
                         "%s: the input topics are not co-partitioned: '%s' has %d partitions, "
                         "others of sub-topology %d have %d",
                         op, n->topics[k], (int)parts, n->subtopology, (int)*have);
                return SL_ERR_TOPOLOGY;
            }
            *have = parts;
        }
    }
    /* A sub-topology reading user topics has their count, and its
     * repartition inputs are made to match (co-partitioning); one reading
     * only repartition topics takes an explicit count or its writers'. */
    int fixed[nsub > 0 ? nsub : 1];
    for (int s = 0; s < nsub; s++)
        fixed[s] = app->sub_parts[s] > 0;
    for (int round = 0; round < nsub + 1; round++) {
        for (int i = 0; i < t->nnodes; i++) {
            sl_node_t *n = t->nodes[i];
            if (!n->is_repartition_source || fixed[n->subtopology])
                continue;
            sl_node_t *w = writer_node(t, n->topics[0]);
            int ws = writer_sub(t, n->topics[0]);
            int32_t parts = w && w->repartition_partitions ? w->repartition_partitions
                            : ws >= 0                      ? app->sub_parts[ws]
                                                           : 0;
            if (parts > app->sub_parts[n->subtopology])
                app->sub_parts[n->subtopology] = parts;
        }
    }
    for (int s = 0; s < nsub; s++) {
        if (app->sub_parts[s] <= 0) {
            snprintf(errbuf, errlen, "sub-topology %d: cannot work out its partition count", s);
            return SL_ERR_TOPOLOGY;
        }
    }
    for (int i = 0; i < t->nnodes; i++) {
        sl_node_t *n = t->nodes[i];
        if (n->is_repartition_source) {
            sl_err_t err = create_topic(lc, real_topic(app, n->topics[0], real, sizeof real),
                                        app->sub_parts[n->subtopology], 0, errbuf, errlen);
            if (err)
                return err;
        } else if (n->topic && n->topic[0] != SL_INTERNAL_TOPIC_MARK) {
            int32_t parts;
            if (sl_lc_partition_count(lc, n->topic, &parts) == SL_ERR_UNKNOWN_TOPIC) {
                sl_trace(SL_TRACE_INFO, "engine", "%s: creating output topic %s (%d partitions)",
                         n->name, n->topic, (int)app->sub_parts[n->subtopology]);
                sl_err_t err = create_topic(lc, n->topic, app->sub_parts[n->subtopology], 0,
                                            errbuf, errlen);
                if (err)
                    return err;
            }
        }
    }
    const char *plog = sl_config_get(app->cfg, "processing.log.topic");
    if (plog && *plog) {
        int32_t parts;
        if (sl_lc_partition_count(lc, plog, &parts) == SL_ERR_UNKNOWN_TOPIC) {
            sl_err_t err = create_topic(lc, plog, 1, 0, errbuf, errlen);
            if (err)
                return err;
        }
    }
    for (int i = 0; i < t->nstores; i++) {
        sl_store_t *st = t->stores[i];
        if (!st->logging || st->subtopology < 0)
            continue;
        snprintf(real, sizeof real, "%s-%s-changelog", app->app_id, st->name);
        sl_err_t err = create_topic(lc, real, app->sub_parts[st->subtopology], 1, errbuf, errlen);
        if (err)
            return err;
    }
    return SL_OK;
}

/* ---- tasks: open, restore, commit, close ------------------------------------------------------------ */

static sl_err_t collect(void *opaque, const char *topic, int32_t partition, const sl_bytes_t *key,
                        const sl_bytes_t *value, int64_t ts, const sl_header_t *headers,
                        size_t nheaders)
{
    sthread_t *th = opaque;
    static const uint8_t empty[1];
    sl_lc_header_t hs[16], *hp = hs;
    if (nheaders > 16 && !(hp = malloc(nheaders * sizeof *hp)))
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < nheaders; i++) {
        hp[i].name = (sl_bytes_t){(const uint8_t *)headers[i].key, strlen(headers[i].key)};
        hp[i].value = headers[i].value_null ? (sl_bytes_t){NULL, 0}
                                            : (sl_bytes_t){headers[i].value.data
                                                               ? headers[i].value.data
                                                               : empty,
                                                           headers[i].value.len};
    }
    sl_lc_record_t r = {
        .key = key ? (sl_bytes_t){key->data ? key->data : empty, key->len} : (sl_bytes_t){0},
        .value = value ? (sl_bytes_t){value->data ? value->data : empty, value->len}
                       : (sl_bytes_t){0},
        .timestamp = ts,
        .headers = hp,
        .header_count = nheaders,
    };
    sl_err_t err =
        sl_lc_produce(th->lc, topic, partition < 0 ? SL_LC_PARTITION_ANY : partition, &r);
    if (hp != hs)
        free(hp);
    return err;
}

static int32_t partitions_of(void *opaque, const char *topic)
{
    sthread_t *th = opaque;
    int32_t n = 0;
    return sl_lc_partition_count(th->lc, topic, &n) == SL_OK ? n : 0;
}

/* Delivery reports: a changelog record's offset moves its task's changelog
 * end (what the next LMDB commit records as restored-up-to). */
static void on_delivery(void *opaque, const char *topic, int32_t partition, int64_t offset,
                        sl_err_t err)
{
    sthread_t *th = opaque;
    if (err || offset < 0)
        return;
    size_t tl = strlen(topic);
    if (tl < 10 || strcmp(topic + tl - 10, "-changelog"))
        return;
    for (int i = 0; i < th->ntasks; i++) {
        rtask_t *rt = th->tasks[i];
        if (rt->partition != partition)
            continue;
        for (int k = 0; k < rt->nlogs; k++)
            if (!strcmp(rt->logs[k].topic, topic) && offset + 1 > rt->logs[k].end)
                rt->logs[k].end = offset + 1;
    }
}

static void publish_metrics(sthread_t *th)
{
    int64_t m[M_TASK_COUNT] = {0};
    for (int i = 0; i < th->ntasks; i++) {
        const sl_task_metrics_t *tm = &th->tasks[i]->task->metrics;
        m[M_PROCESS] += tm->processed;
        m[M_DROPPED] += tm->dropped;
        m[M_SKIPPED] += tm->skipped;
        m[M_DESER] += tm->deser_errors;
        m[M_SENT] += tm->sent;
    }
    for (int k = 0; k < M_TASK_COUNT; k++)
        atomic_store(&th->live_metrics[k], m[k]);
}

static void task_free(sthread_t *th, rtask_t *rt)
{
    if (!rt)
        return;
    if (rt->task) {
        /* Move the task's counts from the thread's live sums to the
         * application's closed ones (published sums included them). */
        const sl_task_metrics_t *tm = &rt->task->metrics;
        int64_t m[M_TASK_COUNT];
        m[M_PROCESS] = tm->processed;
        m[M_DROPPED] = tm->dropped;
        m[M_SKIPPED] = tm->skipped;
        m[M_DESER] = tm->deser_errors;
        m[M_SENT] = tm->sent;
        for (int k = 0; k < M_TASK_COUNT; k++) {
            atomic_fetch_add(&th->app->closed_metrics[k], m[k]);
            atomic_fetch_sub(&th->live_metrics[k], m[k]);
        }
    }
    sl__task_free(rt->task);
    sl_state_txn_abort(rt->txn);
    sl_state_env_close(rt->env);
    free(rt->inputs);
    free(rt->logs);
    for (int k = 0; rt->q && k < rt->ninputs; k++) {
        th->nheld -= rt->q[k].n - rt->q[k].head;
        free(rt->q[k].v);
    }
    free(rt->q);
    free(rt);
}

/* Writes or deletes one store record (changelog key bytes, LMDB value bytes). */
static int restore_write(rtask_t *rt, sl_store_t *st, void *handle, sl_bytes_t k, sl_bytes_t v,
                         int del)
{
    switch (st->type) {
    case SL_STORE_KV:
        return del ? sl_kv_delete(rt->txn, handle, k) : (int)sl_kv_put(rt->txn, handle, k, v);
    case SL_STORE_WINDOW: {
        if (k.len < SL_WINDOW_CHANGELOG_SUFFIX)
            return 0;
        sl_bytes_t key = {k.data, k.len - SL_WINDOW_CHANGELOG_SUFFIX};
        int64_t start = (int64_t)sl_load_be64(k.data + key.len);
        return del ? sl_window_delete(rt->txn, handle, key, start)
                   : (int)sl_window_put(rt->txn, handle, key, start, v);
    }
    case SL_STORE_SESSION: {
        if (k.len < 16)
            return 0;
        sl_bytes_t key = {k.data, k.len - 16};
        int64_t end = (int64_t)sl_load_be64(k.data + key.len);
        int64_t start = (int64_t)sl_load_be64(k.data + key.len + 8);
        return del ? sl_session_delete(rt->txn, handle, key, start, end)
                   : (int)sl_session_put(rt->txn, handle, key, start, end, v);
    }
    }
    return 0;
}

/* Writes one changelog record into a store, as the store's layer wrote it:
 * a timestamped store's value gets the record's timestamp in front (the
 * changelog holds the plain value; see state.h, "timestamped values"). */
static int restore_record(rtask_t *rt, sl_store_t *st, void *handle, const sl_lc_record_t *r)
{
    sl_bytes_t k = r->key, v = r->value;
    int del = v.data == NULL;
    if (!k.data)
        return 0; /* not a store record: skip */
    if (!st->timestamped || del)
        return restore_write(rt, st, handle, k, v, del);
    uint8_t small[512];
    uint8_t *b = SL_STATE_TS_LEN + v.len <= sizeof small ? small : malloc(SL_STATE_TS_LEN + v.len);
    if (!b)
        return SL_ERR_NOMEM;
    sl_bytes_t tv = {b, sl_state_ts_encode(b, r->timestamp, v)};
    int rc = restore_write(rt, st, handle, k, tv, 0); /* LMDB copies the value */
    if (b != small)
        free(b);
    return rc;
}

typedef struct restore_ctx {
    rtask_t *rt;
    sl_store_t *st;
    void *handle;
    int64_t n;
    int rc;
} restore_ctx_t;

static int restore_cb(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    restore_ctx_t *rc = opaque;
    int r = restore_record(rc->rt, rc->st, rc->handle, rec);
    if (r < 0) {
        rc->rc = r;
        return 1;
    }
    rc->n++;
    return 0;
}

/* Replays the changelog records after the offset the state holds. */
static sl_err_t restore_task(sthread_t *th, rtask_t *rt, char *errbuf, size_t errlen)
{
    sl_streams_t *app = th->app;
    for (int k = 0; k < rt->nlogs; k++) {
        rlog_t *lg = &rt->logs[k];
        sl_store_t *st = app->topo->stores[lg->store];
        char meta[600];
        snprintf(meta, sizeof meta, "changelog.%s", st->name);
        int64_t from = -1, start = 0, end = 0;
        int have = sl_state_meta_get_i64(rt->txn, meta, &from);
        if (have < 0)
            return (sl_err_t)have;
        sl_err_t err = sl_lc_watermarks(th->restore_lc, lg->topic, rt->partition, &start, &end);
        if (err) {
            snprintf(errbuf, errlen, "changelog %s-%d: %s (%s)", lg->topic, (int)rt->partition,
                     sl_err_str(err), sl_lc_errstr(th->restore_lc));
            return err;
        }
        if (!have || from < start)
            from = start;
        if (have && from > end) {
            sl_trace(SL_TRACE_WARN, "engine",
                     "%s: store %s partition %d holds changelog offset %" PRId64
                     " but the changelog ends at %" PRId64 ": replaying it whole",
                     app->app_id, st->name, (int)rt->partition, from, end);
            from = start;
        }
        lg->end = end;
        if (from >= end)
            continue;
        sl_trace(SL_TRACE_INFO, "engine", "%s: restoring store %s partition %d: %" PRId64
                 " changelog records (offsets %" PRId64 "..%" PRId64 ")",
                 app->app_id, st->name, (int)rt->partition, end - from, from, end);
        sl_lc_tp_t tp = {lg->topic, rt->partition, from};
        if ((err = sl_lc_assign(th->restore_lc, &tp, 1)))
            return err;
        restore_ctx_t rc = {rt, st, rt->task->stores[lg->store].handle, 0, 0};
        int64_t last_report = 0;
        for (;;) {
            int64_t pos = -1;
            int at_end = 0;
            if ((err = sl_lc_position(th->restore_lc, lg->topic, rt->partition, &pos, &at_end)))
                return err;
            if (pos >= end || (at_end && pos >= 0))
                break;
            if (atomic_load(&app->stop))
                return SL_ERR_STATE;
            int n = sl_lc_poll(th->restore_lc, 200, 10000, restore_cb, &rc);
            if (n < 0) {
                snprintf(errbuf, errlen, "restoring %s: %s (%s)", lg->topic, sl_err_str(n),
                         sl_lc_errstr(th->restore_lc));
                return (sl_err_t)n;
            }
            if (rc.rc < 0) {
                snprintf(errbuf, errlen, "restoring store %s: %s", st->name, sl_err_str(rc.rc));
                return (sl_err_t)rc.rc;
            }
            if (rc.n - last_report >= 100000) {
                sl_trace(SL_TRACE_INFO, "engine", "%s: store %s partition %d: %" PRId64
                         " of %" PRId64 " records restored",
                         app->app_id, st->name, (int)rt->partition, rc.n, end - from);
                last_report = rc.n;
            }
        }
        sl_lc_assign(th->restore_lc, NULL, 0);
        atomic_fetch_add(&th->live_metrics[M_RESTORED], rc.n);
        sl_trace(SL_TRACE_INFO, "engine", "%s: store %s partition %d restored (%" PRId64
                 " records)", app->app_id, st->name, (int)rt->partition, rc.n);
        if ((err = sl_state_meta_put_i64(rt->txn, meta, end)))
            return err;
    }
    return SL_OK;
}

/* Commits a task's state: the offsets go into the same LMDB transaction. */
static sl_err_t commit_task_state(rtask_t *rt, sl_topology_t *topo)
{
    char meta[800];
    for (int i = 0; i < rt->ninputs; i++) {
        int64_t next = atomic_load(&rt->inputs[i].next);
        if (next < 0)
            continue;
        snprintf(meta, sizeof meta, "input.%s", rt->inputs[i].topic);
        sl_state_meta_put_i64(rt->txn, meta, next);
    }
    for (int k = 0; k < rt->nlogs; k++) {
        if (rt->logs[k].end < 0)
            continue;
        snprintf(meta, sizeof meta, "changelog.%s", topo->stores[rt->logs[k].store]->name);
        sl_state_meta_put_i64(rt->txn, meta, rt->logs[k].end);
    }
    sl_err_t err = sl_state_txn_commit(rt->txn);
    rt->txn = NULL;
    if (!err)
        err = sl_state_txn_begin(rt->env, 1, &rt->txn);
    sl__task_set_txn(rt->task, rt->txn);
    return err;
}

/* The layout of the values in a task's stores, kept in its state's meta
 * "layout": 2 since the tables' stores keep their values' times (state.h,
 * "timestamped values"; the aggregations' did from 700cdc5, without a
 * layout key). A state written before holds plain values there, which would
 * be read as time and value: it is refused. */
#define STATE_LAYOUT 2

/* Checks a task's state layout; a new state gets the current one. */
static sl_err_t state_layout(sl_streams_t *app, rtask_t *rt, char *errbuf, size_t errlen)
{
    int64_t layout = 0, v;
    int rc = sl_state_meta_get_i64(rt->txn, "layout", &layout);
    if (rc < 0)
        return (sl_err_t)rc;
    if (rc == 1 && layout == STATE_LAYOUT)
        return SL_OK;
    /* No layout: a new state, or one of before (it holds offsets). */
    char meta[800];
    int used = rc == 1;
    for (int i = 0; !used && i < rt->ninputs; i++) {
        snprintf(meta, sizeof meta, "input.%s", rt->inputs[i].topic);
        if ((rc = sl_state_meta_get_i64(rt->txn, meta, &v)) < 0)
            return (sl_err_t)rc;
        used = rc == 1;
    }
    for (int k = 0; !used && k < rt->nlogs; k++) {
        snprintf(meta, sizeof meta, "changelog.%s", app->topo->stores[rt->logs[k].store]->name);
        if ((rc = sl_state_meta_get_i64(rt->txn, meta, &v)) < 0)
            return (sl_err_t)rc;
        used = rc == 1;
    }
    if (used) {
        snprintf(errbuf, errlen,
                 "task %d_%d: the state in %.1000s is of an older layout (its tables' stores keep "
                 "no times): delete it and it is rebuilt from the changelogs",
                 rt->sub, (int)rt->partition, rt->dir);
        return SL_ERR_STATE;
    }
    return sl_state_meta_put_i64(rt->txn, "layout", STATE_LAYOUT);
}

/* Opens the task (sub, partition) on this thread: its environment, stores,
 * restore; start offsets into starts[] (one per input, in input order). */
static sl_err_t task_open(sthread_t *th, int sub, int32_t partition, rtask_t **out, char *errbuf,
                          size_t errlen)
{
    sl_streams_t *app = th->app;
    sl_topology_t *t = app->topo;
    rtask_t *rt = calloc(1, sizeof *rt);
    if (!rt)
        return SL_ERR_NOMEM;
    rt->sub = sub;
    rt->partition = partition;
    int nin = 0, nlog = 0;
    for (int i = 0; i < t->nnodes; i++)
        if (t->nodes[i]->subtopology == sub)
            nin += t->nodes[i]->ntopics;
    for (int i = 0; i < t->nstores; i++)
        if (t->stores[i]->subtopology == sub && t->stores[i]->logging)
            nlog++;
    rt->inputs = calloc((size_t)nin + 1, sizeof *rt->inputs);
    rt->logs = calloc((size_t)nlog + 1, sizeof *rt->logs);
    rt->q = calloc((size_t)nin + 1, sizeof *rt->q);
    sl_err_t err = SL_ERR_NOMEM;
    if (!rt->inputs || !rt->logs || !rt->q)
        goto fail;
    char real[512];
    for (int i = 0; i < t->nnodes; i++) {
        sl_node_t *n = t->nodes[i];
        if (n->subtopology != sub)
            continue;
        for (int k = 0; k < n->ntopics; k++) {
            rinput_t *in = &rt->inputs[rt->ninputs++];
            snprintf(in->topic, sizeof in->topic, "%s",
                     real_topic(app, n->topics[k], real, sizeof real));
            atomic_store(&in->next, -1);
            for (int c = 0; c < n->nchildren; c++)
                in->table |= !strcmp(n->children[c]->vt->kind, "KTABLE-SOURCE");
        }
    }
    for (int i = 0; i < t->nstores; i++) {
        if (t->stores[i]->subtopology != sub || !t->stores[i]->logging)
            continue;
        rlog_t *lg = &rt->logs[rt->nlogs++];
        lg->store = i;
        lg->end = -1;
        snprintf(lg->topic, sizeof lg->topic, "%s-%s-changelog", app->app_id, t->stores[i]->name);
    }
    snprintf(rt->dir, sizeof rt->dir, "%s/%d_%d", app->state_dir, sub, (int)partition);
    if ((err = sl_state_env_open(rt->dir, 0, (unsigned)t->nstores + 4, &rt->env, errbuf, errlen)))
        goto fail;
    if ((err = sl_state_txn_begin(rt->env, 1, &rt->txn))) {
        snprintf(errbuf, errlen, "task %d_%d: state: %s", sub, (int)partition, sl_err_str(err));
        goto fail;
    }
    if ((err = state_layout(app, rt, errbuf, errlen)))
        goto fail;
    int64_t cache_share = app->cache_max / (app->nthreads > 0 ? app->nthreads : 1);
    if ((err = sl__task_new(t, sub, partition, app->app_id, rt->txn, collect, partitions_of, th,
                            app->cont_deser, sl_now_ms(), cache_share, th->gread, &rt->task,
                            errbuf, errlen)))
        goto fail;
    rt->task->cache_used = &th->cache_used; /* one budget per thread, as Kafka's ThreadCache */
    sl__task_set_processing_log(rt->task, sl_config_get(app->cfg, "processing.log.topic"));
    if ((err = restore_task(th, rt, errbuf, errlen)))
        goto fail;
    if ((err = commit_task_state(rt, t))) {
        snprintf(errbuf, errlen, "task %d_%d: state commit: %s", sub, (int)partition,
                 sl_err_str(err));
        goto fail;
    }
    *out = rt;
    return SL_OK;
fail:
    if (!errbuf[0])
        snprintf(errbuf, errlen, "task %d_%d: %s", sub, (int)partition, sl_err_str(err));
    task_free(th, rt);
    return err;
}

/* Where a task's input partition starts: after what the state holds and
 * what the group committed, whichever is further (the state may be behind
 * the group when another instance ran the task meanwhile: its changelog
 * tail was just replayed). */
static int64_t start_offset(sthread_t *th, rtask_t *rt, const char *topic)
{
    char meta[800];
    snprintf(meta, sizeof meta, "input.%s", topic);
    int64_t local = -1, committed = -1;
    if (sl_state_meta_get_i64(rt->txn, meta, &local) != 1)
        local = -1;
    if (sl_lc_committed(th->lc, topic, rt->partition, &committed) != SL_OK)
        committed = -1;
    int64_t best = local > committed ? local : committed;
    return best >= 0 ? best : SL_LC_OFFSET_COMMITTED;
}

static rinput_t *task_input(rtask_t *rt, const char *topic)
{
    for (int i = 0; i < rt->ninputs; i++)
        if (!strcmp(rt->inputs[i].topic, topic))
            return &rt->inputs[i];
    return NULL;
}

static rtask_t *find_task(sthread_t *th, const char *topic, int32_t partition, rinput_t **in)
{
    for (int i = 0; i < th->ntasks; i++) {
        rtask_t *rt = th->tasks[i];
        if (rt->partition == partition && (*in = task_input(rt, topic)))
            return rt;
    }
    return NULL;
}

/* A fresh snapshot of the global stores for the thread's tasks. */
static void renew_global_read(sthread_t *th)
{
    if (!th->app->genv)
        return;
    sl_state_txn_t *fresh;
    if (sl_state_txn_begin(th->app->genv, 0, &fresh) != SL_OK)
        return; /* keep reading the old snapshot */
    for (int i = 0; i < th->ntasks; i++)
        sl__task_set_global_txn(th->tasks[i]->task, fresh);
    sl_state_txn_abort(th->gread);
    th->gread = fresh;
}

/* The commit protocol for every task of the thread. */
static sl_err_t commit_all(sthread_t *th)
{
    sl_streams_t *app = th->app;
    for (int i = 0; i < th->ntasks; i++) {
        if (sl__task_flush(th->tasks[i]->task)) {
            app_fail(app, "%s", th->tasks[i]->task->errmsg);
            return SL_ERR_PROCESSING;
        }
    }
    sl_err_t err = sl_lc_flush(th->lc, 60000);
    if (err) {
        app_fail(app, "stream thread %d: cannot write its output: %s (%s)", th->idx,
                 sl_err_str(err), sl_lc_errstr(th->lc));
        return err;
    }
    size_t n = 0;
    sl_lc_tp_t *offs = NULL;
    size_t cap = 0;
    for (int i = 0; i < th->ntasks; i++)
        cap += (size_t)th->tasks[i]->ninputs;
    if (cap && !(offs = calloc(cap, sizeof *offs)))
        return SL_ERR_NOMEM;
    for (int i = 0; i < th->ntasks; i++) {
        rtask_t *rt = th->tasks[i];
        if ((err = commit_task_state(rt, app->topo))) {
            free(offs);
            app_fail(app, "task %d_%d: cannot commit its state: %s", rt->sub, (int)rt->partition,
                     sl_err_str(err));
            return err;
        }
        for (int k = 0; k < rt->ninputs; k++) {
            int64_t next = atomic_load(&rt->inputs[k].next);
            if (next >= 0)
                offs[n++] = (sl_lc_tp_t){rt->inputs[k].topic, rt->partition, next};
        }
    }
    renew_global_read(th);
    if (n) {
        err = sl_lc_commit(th->lc, offs, n);
        if (err)
            sl_trace(SL_TRACE_WARN, "engine",
                     "stream thread %d: the group did not take the offsets (%s: %s); the state "
                     "holds them",
                     th->idx, sl_err_str(err), sl_lc_errstr(th->lc));
    }
    free(offs);
    atomic_fetch_add(&th->live_metrics[M_COMMITS], 1);
    th->last_commit = sl_now_ms();
    publish_metrics(th);
    return SL_OK;
}

static void close_all_tasks(sthread_t *th)
{
    pthread_rwlock_wrlock(&th->app->tasks_lock);
    for (int i = 0; i < th->ntasks; i++)
        task_free(th, th->tasks[i]);
    th->ntasks = 0;
    pthread_rwlock_unlock(&th->app->tasks_lock);
}

static sl_err_t add_task(sthread_t *th, int sub, int32_t p)
{
    rtask_t *rt;
    th->errbuf[0] = 0;
    sl_err_t err = task_open(th, sub, p, &rt, th->errbuf, sizeof th->errbuf);
    if (err) {
        app_fail(th->app, "%s", th->errbuf);
        return err;
    }
    pthread_rwlock_wrlock(&th->app->tasks_lock);
    rtask_t **ts = realloc(th->tasks, (size_t)(th->ntasks + 1) * sizeof *ts);
    if (!ts) {
        pthread_rwlock_unlock(&th->app->tasks_lock);
        task_free(th, rt);
        return SL_ERR_NOMEM;
    }
    th->tasks = ts;
    th->tasks[th->ntasks++] = rt;
    pthread_rwlock_unlock(&th->app->tasks_lock);
    return SL_OK;
}

static void process_pending(sthread_t *th, int force);

/* Group mode: partitions come and go. Eager: everything is revoked first. */
static void on_rebalance(void *opaque, sl_lc_t *lc, sl_lc_rebalance_t event, sl_lc_tp_t *parts,
                         size_t n)
{
    sthread_t *th = opaque;
    sl_streams_t *app = th->app;
    if (event == SL_LC_REVOKED) {
        process_pending(th, 1); /* records held for these tasks go first */
        if (th->ntasks)
            commit_all(th);
        close_all_tasks(th);
        atomic_store(&th->ready, 0);
        return;
    }
    for (size_t i = 0; i < n && !atomic_load(&app->stop); i++) {
        rinput_t *in;
        rtask_t *rt = find_task(th, parts[i].topic, parts[i].partition, &in);
        if (!rt) {
            sl_node_t *src = NULL;
            for (int k = 0; k < app->topo->nnodes && !src; k++) {
                sl_node_t *nd = app->topo->nodes[k];
                char real[512];
                for (int j = 0; j < nd->ntopics; j++)
                    if (!strcmp(real_topic(app, nd->topics[j], real, sizeof real),
                                parts[i].topic))
                        src = nd;
            }
            if (!src || add_task(th, src->subtopology, parts[i].partition))
                continue;
            rt = find_task(th, parts[i].topic, parts[i].partition, &in);
        }
        if (rt)
            parts[i].offset = start_offset(th, rt, parts[i].topic);
    }
    atomic_store(&th->ready, 1);
}

/* Local mode: the thread takes partitions p with p % nthreads == idx. */
static sl_err_t local_assign(sthread_t *th)
{
    sl_streams_t *app = th->app;
    size_t cap = 0, n = 0;
    for (int s = 0; s < app->topo->nsubtopologies; s++) {
        if (sl__join_global_subtopology(app->topo, s))
            continue; /* the global thread's */
        for (int32_t p = 0; p < app->sub_parts[s]; p++) {
            if (p % app->nthreads != th->idx)
                continue;
            sl_err_t err = add_task(th, s, p);
            if (err)
                return err;
        }
    }
    for (int i = 0; i < th->ntasks; i++)
        cap += (size_t)th->tasks[i]->ninputs;
    sl_lc_tp_t *tps = calloc(cap + 1, sizeof *tps);
    if (!tps)
        return SL_ERR_NOMEM;
    for (int i = 0; i < th->ntasks; i++) {
        rtask_t *rt = th->tasks[i];
        for (int k = 0; k < rt->ninputs; k++)
            tps[n++] = (sl_lc_tp_t){rt->inputs[k].topic, rt->partition,
                                    start_offset(th, rt, rt->inputs[k].topic)};
    }
    sl_err_t err = sl_lc_assign(th->lc, tps, n);
    free(tps);
    atomic_store(&th->ready, 1);
    return err;
}

/* Hands one record to its task. */
static int process_one(sthread_t *th, rtask_t *rt, rinput_t *in, int32_t partition, int64_t offset,
                       const sl_bytes_t *key, const sl_bytes_t *value, int64_t ts,
                       const sl_header_t *headers, size_t nheaders)
{
    sl_err_t err = sl__task_process(rt->task, sl__task_source_for(rt->task, in->topic), in->topic,
                                    partition, offset, key, value, ts, headers, nheaders);
    atomic_store(&in->next, offset + 1);
    if (err) {
        app_fail(th->app, "%s", rt->task->errmsg);
        return 1;
    }
    return 0;
}

/* Do a record's headers need the poll arena (more than 16, or a name of 256
 * bytes or more)? */
static int big_headers(const sl_lc_record_t *rec)
{
    if (rec->header_count > 16)
        return 1;
    for (size_t i = 0; i < rec->header_count; i++)
        if (rec->headers[i].name.len > 255)
            return 1;
    return 0;
}

/* Headers as the engine takes them; names NUL-terminated into mem (NULL:
 * the caller's names buffer: 16 names of up to 255 bytes, see big_headers). */
static size_t convert_headers(const sl_lc_record_t *rec, sl_header_t *out, char (*names)[256],
                              sl_arena_t *mem)
{
    size_t nh = rec->header_count;
    if (!mem && nh > 16)
        nh = 16; /* the caller's arrays hold 16; it passes an arena for more */
    for (size_t i = 0; i < nh; i++) {
        size_t l = rec->headers[i].name.len; /* < 256 without an arena: see big_headers */
        char *nm = mem ? sl_arena_alloc(mem, l + 1) : names[i];
        if (!nm)
            return i;
        memcpy(nm, rec->headers[i].name.data, l);
        nm[l] = 0;
        sl_bytes_t v = rec->headers[i].value;
        if (mem && v.data)
            v.data = sl_arena_memdup(mem, v.data, v.len ? v.len : 1);
        out[i] = (sl_header_t){nm, v, rec->headers[i].value.data == NULL};
    }
    return nh;
}

static int on_record(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    sthread_t *th = opaque;
    rinput_t *in;
    rtask_t *rt = find_task(th, topic, partition, &in);
    if (!rt)
        return 0;
    if (rt->ninputs == 1) {
        /* One input: nothing to order, no copy (headers past 16 go through
         * the poll arena). */
        sl_header_t hs[16], *hp = hs;
        char names[16][256];
        size_t nh;
        if (big_headers(rec)) {
            hp = sl_arena_alloc(&th->parena, rec->header_count * sizeof *hp);
            if (!hp) {
                app_fail(th->app, "stream thread %d: out of memory", th->idx);
                return 1;
            }
            nh = convert_headers(rec, hp, NULL, &th->parena);
        } else {
            nh = convert_headers(rec, hs, names, NULL);
        }
        int rc = process_one(th, rt, in, partition, rec->offset,
                             rec->key.data ? &rec->key : NULL,
                             rec->value.data ? &rec->value : NULL, rec->timestamp, hp, nh);
        if (hp != hs && !th->nheld)
            sl_arena_reset(&th->parena);
        return rc;
    }
    int k = (int)(in - rt->inputs);
    pendq_t *q = &rt->q[k];
    if (q->n == q->cap) {
        int cap = q->cap ? q->cap * 2 : 256;
        pend_t *v = realloc(q->v, (size_t)cap * sizeof *v);
        if (!v) {
            app_fail(th->app, "stream thread %d: out of memory", th->idx);
            return 1;
        }
        q->v = v, q->cap = cap;
    }
    sl_arena_t *a = &th->parena;
    pend_t *p = &q->v[q->n];
    *p = (pend_t){.partition = partition, .offset = rec->offset, .ts = rec->timestamp,
                  .knull = !rec->key.data, .vnull = !rec->value.data};
    p->key = (sl_bytes_t){rec->key.data ? sl_arena_memdup(a, rec->key.data, rec->key.len + 1) : NULL,
                          rec->key.len};
    p->value = (sl_bytes_t){
        rec->value.data ? sl_arena_memdup(a, rec->value.data, rec->value.len + 1) : NULL,
        rec->value.len};
    if (rec->header_count) {
        p->headers = sl_arena_alloc(a, rec->header_count * sizeof *p->headers);
        p->nheaders = p->headers ? convert_headers(rec, p->headers, NULL, a) : 0;
    }
    if ((!p->knull && !p->key.data) || (!p->vnull && !p->value.data)) {
        app_fail(th->app, "stream thread %d: out of memory", th->idx);
        return 1;
    }
    q->n++;
    th->nheld++;
    rt->queued = 1;
    return 0;
}

/* Has the consumer read input k of rt to the end of its log? */
static int input_caught_up(sthread_t *th, rtask_t *rt, int k)
{
    int64_t pos = -1;
    int at_end = 0;
    if (sl_lc_position(th->lc, rt->inputs[k].topic, rt->partition, &pos, &at_end) != SL_OK)
        return 1;
    return at_end;
}

/* Processes held records: a task takes the oldest head among its inputs
 * (offset order within an input). While an input has nothing held but the
 * log has more (not read yet), the task waits for it — Kafka Streams'
 * max.task.idle.ms = 0 rule (KIP-695) — for at most max.task.idle.ms, 1 s by
 * default here, so that a slow input cannot stop a task for long. force: take
 * everything now (before a revocation). */
static void process_pending(sthread_t *th, int force)
{
    if (!th->nheld)
        return;
    int64_t now = sl_now_ms();
    for (int t = 0; t < th->ntasks && !atomic_load(&th->app->stop); t++) {
        rtask_t *rt = th->tasks[t];
        if (!rt->queued)
            continue;
        for (;;) {
            int best = -1, blocked = 0;
            for (int k = 0; k < rt->ninputs; k++) {
                pendq_t *q = &rt->q[k];
                if (q->head < q->n) {
                    /* The oldest head record; on equal times a table's
                     * update goes first, so that a stream record joins the
                     * table as of its time, that update included (as
                     * Kafka's versioned tables define it, KIP-914). */
                    int64_t ts = q->v[q->head].ts;
                    int64_t bts = best < 0 ? 0 : rt->q[best].v[rt->q[best].head].ts;
                    if (best < 0 || ts < bts ||
                        (ts == bts && rt->inputs[k].table && !rt->inputs[best].table))
                        best = k;
                } else if (!force && !blocked && !input_caught_up(th, rt, k)) {
                    blocked = 1;
                }
            }
            if (best < 0)
                break;
            if (blocked) {
                if (!rt->held_since)
                    rt->held_since = now;
                if (now - rt->held_since < th->app->max_idle)
                    break;
            }
            pendq_t *q = &rt->q[best];
            pend_t *p = &q->v[q->head++];
            th->nheld--;
            if (process_one(th, rt, &rt->inputs[best], p->partition, p->offset,
                            p->knull ? NULL : &p->key, p->vnull ? NULL : &p->value, p->ts,
                            p->headers, p->nheaders))
                return;
        }
        int left = 0;
        for (int k = 0; k < rt->ninputs; k++) {
            pendq_t *q = &rt->q[k];
            if (q->head == q->n)
                q->head = q->n = 0;
            left += q->n - q->head;
        }
        if (!left) {
            rt->queued = 0;
            rt->held_since = 0;
        }
    }
    if (!th->nheld)
        sl_arena_reset(&th->parena);
}

static void *thread_main(void *arg)
{
    sthread_t *th = arg;
    sl_streams_t *app = th->app;
    char cid[300];
    snprintf(cid, sizeof cid, "%s-StreamThread-%d", app->app_id, th->idx + 1);
    th->errbuf[0] = 0;
    sl_err_t err = make_lc(app, cid, app->app_id, th, &th->lc, th->errbuf, sizeof th->errbuf);
    if (!err) {
        snprintf(cid, sizeof cid, "%s-StreamThread-%d-restore", app->app_id, th->idx + 1);
        err = make_lc(app, cid, NULL, NULL, &th->restore_lc, th->errbuf, sizeof th->errbuf);
    }
    if (err) {
        app_fail(app, "stream thread %d: %s", th->idx, th->errbuf);
        return NULL;
    }
    if (app->genv && sl_state_txn_begin(app->genv, 0, &th->gread) != SL_OK) {
        app_fail(app, "stream thread %d: cannot read the global stores", th->idx);
        return NULL;
    }
    int grouped = app->bootstrap != NULL;
    if (grouped) {
        /* Every source topic of every sub-topology: the range assignor gives a
         * member the same partition numbers of co-partitioned topics. */
        const char **topics = calloc((size_t)app->topo->nnodes * 8 + 1, sizeof *topics);
        char(*names)[512] = calloc((size_t)app->topo->nnodes * 8 + 1, sizeof *names);
        size_t n = 0;
        for (int i = 0; topics && names && i < app->topo->nnodes; i++) {
            sl_node_t *nd = app->topo->nodes[i];
            if (sl__join_global_subtopology(app->topo, nd->subtopology))
                continue; /* the global thread reads those */
            for (int k = 0; k < nd->ntopics && n < (size_t)app->topo->nnodes * 8; k++) {
                topics[n] = real_topic(app, nd->topics[k], names[n], sizeof names[n]);
                n++;
            }
        }
        err = topics && names ? sl_lc_subscribe(th->lc, topics, n, on_rebalance, th) : SL_ERR_NOMEM;
        free(topics);
        free(names);
    } else {
        err = local_assign(th);
    }
    if (err) {
        app_fail(app, "stream thread %d: cannot start consuming: %s (%s)", th->idx,
                 sl_err_str(err), sl_lc_errstr(th->lc));
    }
    th->last_commit = sl_now_ms();
    while (!atomic_load(&app->stop)) {
        int n = sl_lc_poll(th->lc, th->nheld ? 10 : 100, 1000, on_record, th);
        process_pending(th, 0);
        if (n < 0 && !atomic_load(&app->stop)) {
            app_fail(app, "stream thread %d: polling failed: %s (%s)", th->idx, sl_err_str(n),
                     sl_lc_errstr(th->lc));
            break;
        }
        /* Positions not known yet (nothing read since the assignment): ask,
         * so that "caught up" can be seen before the first record. */
        for (int i = 0; i < th->ntasks; i++) {
            rtask_t *rt = th->tasks[i];
            for (int k = 0; k < rt->ninputs; k++) {
                int64_t pos = -1;
                if (atomic_load(&rt->inputs[k].next) < 0 &&
                    sl_lc_position(th->lc, rt->inputs[k].topic, rt->partition, &pos, NULL) ==
                        SL_OK &&
                    pos >= 0)
                    atomic_store(&rt->inputs[k].next, pos);
            }
        }
        int64_t now = sl_now_ms();
        for (int i = 0; i < th->ntasks && !atomic_load(&app->stop); i++) {
            if (sl__task_wall_clock(th->tasks[i]->task, now)) {
                app_fail(app, "%s", th->tasks[i]->task->errmsg);
                break;
            }
        }
        publish_metrics(th);
        int gen = atomic_load(&app->commit_gen);
        if (now - th->last_commit >= app->commit_interval || gen != atomic_load(&th->commit_done)) {
            if (commit_all(th) == SL_OK)
                atomic_store(&th->commit_done, gen);
        }
    }
    /* A clean stop commits; after a failure the state stays at the last commit. */
    if (atomic_load(&app->state) != SL_STREAMS_ERROR && th->ntasks)
        commit_all(th);
    publish_metrics(th);
    if (grouped)
        sl_lc_unsubscribe(th->lc);
    close_all_tasks(th);
    sl_state_txn_abort(th->gread);
    th->gread = NULL;
    sl_arena_free(&th->parena);
    sl_lc_destroy(th->restore_lc);
    th->restore_lc = NULL;
    sl_lc_destroy(th->lc);
    th->lc = NULL;
    return NULL;
}

/* ---- global tables ------------------------------------------------------------------------------ */

struct gpart {
    rtask_t *rt;
    sl_node_t *src;
    char topic[512];
    int32_t partition;
    int64_t next; /* next offset to apply; -1 unknown */
};

static sl_err_t global_collect(void *opaque, const char *topic, int32_t partition,
                               const sl_bytes_t *key, const sl_bytes_t *value, int64_t ts,
                               const sl_header_t *headers, size_t nheaders)
{
    return SL_ERR_STATE; /* a global table writes nothing but its store */
}

static gpart_t *gpart_find(gpart_t *gp, size_t n, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (gp[i].partition == partition && !strcmp(gp[i].topic, topic))
            return &gp[i];
    return NULL;
}

typedef struct gctx {
    sl_streams_t *app;
    gpart_t *parts;
    size_t nparts;
} gctx_t;

static int global_record(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    gctx_t *g = opaque;
    gpart_t *gp = gpart_find(g->parts, g->nparts, topic, partition);
    if (!gp)
        return 0;
    sl_err_t err = sl__task_process(gp->rt->task, gp->src, topic, partition, rec->offset,
                                    rec->key.data ? &rec->key : NULL,
                                    rec->value.data ? &rec->value : NULL, rec->timestamp, NULL, 0);
    gp->next = rec->offset + 1;
    if (err) {
        app_fail(g->app, "%s", gp->rt->task->errmsg);
        return 1;
    }
    return 0;
}

/* Commits the global stores with the offsets applied, and begins the next
 * write transaction when reopen says so. LMDB wants a write transaction
 * committed by the thread that began it: bootstrap (the caller's thread)
 * ends with reopen 0, and the global thread begins its own. */
static sl_err_t global_commit(sl_streams_t *app, gctx_t *g, int reopen)
{
    char meta[800];
    for (size_t i = 0; i < g->nparts; i++) {
        if (g->parts[i].next < 0)
            continue;
        snprintf(meta, sizeof meta, "input.%s.%d", g->parts[i].topic, (int)g->parts[i].partition);
        sl_state_meta_put_i64(app->gtxn, meta, g->parts[i].next);
    }
    sl_err_t err = sl_state_txn_commit(app->gtxn);
    app->gtxn = NULL;
    if (!err && reopen)
        err = sl_state_txn_begin(app->genv, 1, &app->gtxn);
    for (int i = 0; i < app->ngtasks; i++)
        sl__task_set_txn(app->gtasks[i]->task, app->gtxn);
    return err;
}

static gctx_t gctx_of(sl_streams_t *app) { return (gctx_t){app, app->gparts, app->ngparts}; }

/* Opens the global stores and reads every partition of the global topics to
 * its end before any stream task starts (Kafka Streams' global bootstrap). */
static sl_err_t global_start(sl_streams_t *app, char *errbuf, size_t errlen)
{
    sl_topology_t *t = app->topo;
    int nglobal = 0;
    for (int s = 0; s < t->nsubtopologies; s++)
        nglobal += sl__join_global_subtopology(t, s);
    if (!nglobal)
        return SL_OK;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/global", app->state_dir);
    sl_err_t err = sl_state_env_open(dir, 0, (unsigned)t->nstores + 4, &app->genv, errbuf, errlen);
    if (err)
        return err;
    if ((err = sl_state_txn_begin(app->genv, 1, &app->gtxn)))
        return err;
    app->gtasks = calloc((size_t)nglobal, sizeof *app->gtasks);
    size_t cap = 0;
    for (int s = 0; s < t->nsubtopologies; s++)
        if (sl__join_global_subtopology(t, s))
            cap += (size_t)app->sub_parts[s];
    app->gparts = calloc(cap + 1, sizeof *app->gparts);
    app->ngparts = 0;
    if (!app->gtasks || !app->gparts)
        return SL_ERR_NOMEM;
    char cid[300];
    snprintf(cid, sizeof cid, "%s-GlobalStreamThread", app->app_id);
    if ((err = make_lc(app, cid, NULL, NULL, &app->glc, errbuf, errlen)))
        return err;
    for (int s = 0; s < t->nsubtopologies; s++) {
        if (!sl__join_global_subtopology(t, s))
            continue;
        rtask_t *rt = calloc(1, sizeof *rt);
        if (!rt)
            return SL_ERR_NOMEM;
        rt->sub = s;
        app->gtasks[app->ngtasks++] = rt;
        if ((err = sl__task_new(t, s, 0, app->app_id, app->gtxn, global_collect, NULL, app,
                                app->cont_deser, sl_now_ms(), 0, NULL, &rt->task, errbuf,
                                errlen)))
            return err;
        for (int i = 0; i < t->nnodes; i++) {
            sl_node_t *n = t->nodes[i];
            if (n->subtopology != s || !n->ntopics)
                continue;
            for (int32_t p = 0; p < app->sub_parts[s]; p++) {
                gpart_t *gp = &app->gparts[app->ngparts++];
                gp->rt = rt;
                gp->src = n;
                snprintf(gp->topic, sizeof gp->topic, "%s", n->topics[0]);
                gp->partition = p;
                char meta[800];
                snprintf(meta, sizeof meta, "input.%s.%d", gp->topic, (int)p);
                if (sl_state_meta_get_i64(app->gtxn, meta, &gp->next) != 1)
                    gp->next = -1;
            }
        }
    }
    sl_lc_tp_t *tps = calloc(app->ngparts + 1, sizeof *tps);
    int64_t *ends = calloc(app->ngparts + 1, sizeof *ends);
    if (!tps || !ends) {
        free(tps);
        free(ends);
        return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i < app->ngparts; i++) {
        tps[i] = (sl_lc_tp_t){app->gparts[i].topic, app->gparts[i].partition,
                              app->gparts[i].next >= 0 ? app->gparts[i].next : SL_LC_OFFSET_BEGINNING};
        if ((err = sl_lc_end_offset(app->glc, app->gparts[i].topic, app->gparts[i].partition, &ends[i])))
            break;
    }
    if (!err)
        err = sl_lc_assign(app->glc, tps, app->ngparts);
    free(tps);
    gctx_t g = gctx_of(app);
    for (int done = 0; !err && !done;) {
        done = 1;
        for (size_t i = 0; i < app->ngparts && done; i++) {
            int64_t pos = -1;
            int at_end = 0;
            if ((err = sl_lc_position(app->glc, app->gparts[i].topic, app->gparts[i].partition, &pos,
                                      &at_end)))
                break;
            if (pos < ends[i] && !(at_end && pos >= 0))
                done = 0;
        }
        if (!err && !done) {
            int n = sl_lc_poll(app->glc, 200, 10000, global_record, &g);
            if (n < 0)
                err = (sl_err_t)n;
            if (atomic_load(&app->state) == SL_STREAMS_ERROR)
                err = SL_ERR_PROCESSING;
        }
    }
    free(ends);
    if (err) {
        snprintf(errbuf, errlen, "global tables: cannot read their topics: %s (%s)",
                 sl_err_str(err), app->error[0] ? app->error : sl_lc_errstr(app->glc));
        return err;
    }
    return global_commit(app, &g, 0);
}

/* The global thread: keeps the global stores up to date. */
static void *global_main(void *arg)
{
    sl_streams_t *app = arg;
    gctx_t g = gctx_of(app);
    int64_t last = sl_now_ms();
    if (sl_state_txn_begin(app->genv, 1, &app->gtxn) != SL_OK) {
        app_fail(app, "global thread: cannot write the global stores");
        return NULL;
    }
    for (int i = 0; i < app->ngtasks; i++)
        sl__task_set_txn(app->gtasks[i]->task, app->gtxn);
    while (!atomic_load(&app->stop)) {
        int n = sl_lc_poll(app->glc, 100, 10000, global_record, &g);
        if (n < 0 && !atomic_load(&app->stop)) {
            app_fail(app, "global thread: polling failed: %s (%s)", sl_err_str(n),
                     sl_lc_errstr(app->glc));
            break;
        }
        if (sl_now_ms() - last >= (app->commit_interval < 1000 ? app->commit_interval : 1000)) {
            if (global_commit(app, &g, 1)) {
                app_fail(app, "global thread: cannot commit the global stores");
                break;
            }
            last = sl_now_ms();
        }
    }
    if (atomic_load(&app->state) != SL_STREAMS_ERROR)
        global_commit(app, &g, 0);
    sl_state_txn_abort(app->gtxn); /* after a failure: this thread's to end */
    app->gtxn = NULL;
    return NULL;
}

static void global_close(sl_streams_t *app)
{
    if (app->gthread_running) {
        pthread_join(app->gthread, NULL);
        app->gthread_running = 0;
    }
    for (int i = 0; i < app->ngtasks; i++) {
        if (app->gtasks[i])
            sl__task_free(app->gtasks[i]->task);
        free(app->gtasks[i]);
    }
    free(app->gtasks);
    app->gtasks = NULL;
    app->ngtasks = 0;
    sl_state_txn_abort(app->gtxn);
    app->gtxn = NULL;
    sl_state_env_close(app->genv);
    app->genv = NULL;
    sl_lc_destroy(app->glc);
    app->glc = NULL;
    free(app->gparts);
    app->gparts = NULL;
    app->ngparts = 0;
}

/* ---- the application ------------------------------------------------------------------------------ */

static int64_t cfg_i64(const sl_config_t *cfg, const char *key, int64_t def)
{
    const char *v = sl_config_get(cfg, key);
    return v ? strtoll(v, NULL, 10) : def;
}

static sl_config_t *config_copy(const sl_config_t *cfg)
{
    sl_config_t *c = sl_config_new();
    for (size_t i = 0; c && cfg && i < cfg->n; i++) {
        if (sl_config_set(c, cfg->e[i].key, cfg->e[i].value, NULL, 0) == SL_ERR_NOMEM) {
            sl_config_destroy(c);
            return NULL;
        }
    }
    return c;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

sl_err_t sl_streams_new(sl_topology_t *t, const sl_config_t *cfg, sl_embedded_broker_t *broker,
                        sl_streams_t **out, char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    errbuf[0] = 0;
    sl_err_t err = sl__topology_build(t, errbuf, errlen);
    if (err)
        return err;
    const char *app_id = sl_config_get(cfg, "application.id");
    if (!app_id) {
        snprintf(errbuf, errlen, "application.id is required");
        return SL_ERR_CONFIG;
    }
    const char *bs = sl_config_get(cfg, "bootstrap.servers");
    if (!bs && !broker) {
        snprintf(errbuf, errlen,
                 "no log to run on: set bootstrap.servers, or pass an embedded broker");
        return SL_ERR_CONFIG;
    }
    for (int i = 0; i < t->nnodes; i++) {
        if (t->nodes[i]->ntopics && t->nodes[i]->subtopology < 0) {
            snprintf(errbuf, errlen, "%s: not in any sub-topology", t->nodes[i]->name);
            return SL_ERR_TOPOLOGY;
        }
    }
    sl_streams_t *app = calloc(1, sizeof *app);
    if (!app) {
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&app->err_lock, NULL);
    pthread_rwlock_init(&app->tasks_lock, NULL);
    app->topo = t;
    app->eb = broker;
    snprintf(app->app_id, sizeof app->app_id, "%s", app_id);
    const char *sd = sl_config_get(cfg, "state.dir");
    snprintf(app->state_dir, sizeof app->state_dir, "%s/%s", sd ? sd : "./sluice-state", app_id);
    app->cfg = config_copy(cfg);
    app->bootstrap = bs ? strdup(bs) : NULL;
    app->nthreads = (int)cfg_i64(cfg, "num.stream.threads", 1);
    app->commit_interval = cfg_i64(cfg, "commit.interval.ms", 30000);
    app->max_idle = cfg_i64(cfg, "max.task.idle.ms", 1000);
    if (app->max_idle < 0)
        app->max_idle = 0; /* -1 (Kafka: never wait): process what is there */
    app->cache_max = cfg_i64(cfg, "cache.max.bytes.buffering",
                             cfg_i64(cfg, "statestore.cache.max.bytes", 10485760));
    const char *h = sl_config_get(cfg, "default.deserialization.exception.handler");
    app->cont_deser = !h || strcmp(h, "logAndFail");
    const char *r = sl_config_get(cfg, "auto.offset.reset");
    app->reset = r && !strcmp(r, "latest") ? SL_LC_RESET_LATEST : SL_LC_RESET_EARLIEST;
    app->sub_parts = calloc((size_t)t->nsubtopologies + 1, sizeof *app->sub_parts);
    app->threads = calloc((size_t)app->nthreads, sizeof *app->threads);
    if (!app->cfg || (bs && !app->bootstrap) || !app->sub_parts || !app->threads) {
        sl_streams_close(app);
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    atomic_store(&app->state, SL_STREAMS_CREATED);
    *out = app;
    return SL_OK;
}

sl_err_t sl_streams_start(sl_streams_t *app, char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    errbuf[0] = 0;
    if (!app || app->started) {
        snprintf(errbuf, errlen, "the application was started before");
        return SL_ERR_STATE;
    }
    app->started = 1;
    if (mkdirs(app->state_dir)) {
        snprintf(errbuf, errlen, "cannot make the state directory %s: %s", app->state_dir,
                 strerror(errno));
        return SL_ERR_IO;
    }
    sl_lc_t *admin;
    char cid[300];
    snprintf(cid, sizeof cid, "%s-admin", app->app_id);
    sl_err_t err = make_lc(app, cid, NULL, NULL, &admin, errbuf, errlen);
    if (err)
        return err;
    err = setup_topics(app, admin, errbuf, errlen);
    sl_lc_destroy(admin);
    if (err)
        return err;
    if ((err = global_start(app, errbuf, errlen)))
        return err;
    if (app->genv) {
        if (pthread_create(&app->gthread, NULL, global_main, app)) {
            snprintf(errbuf, errlen, "cannot start the global thread");
            return SL_ERR_NOMEM;
        }
        app->gthread_running = 1;
    }
    atomic_store(&app->state, SL_STREAMS_RUNNING);
    for (int i = 0; i < app->nthreads; i++) {
        sthread_t *th = &app->threads[i];
        th->app = app;
        th->idx = i;
        if (pthread_create(&th->th, NULL, thread_main, th)) {
            snprintf(errbuf, errlen, "cannot start stream thread %d", i);
            atomic_store(&app->stop, 1);
            return SL_ERR_NOMEM;
        }
        th->running = 1;
    }
    return SL_OK;
}

void sl_streams_close(sl_streams_t *app)
{
    if (!app)
        return;
    atomic_store(&app->stop, 1);
    for (int i = 0; app->threads && i < app->nthreads; i++) {
        sthread_t *th = &app->threads[i];
        if (!th->running)
            continue;
        pthread_join(th->th, NULL);
        th->running = 0;
        free(th->tasks);
    }
    global_close(app);
    free(app->threads);
    free(app->sub_parts);
    free(app->bootstrap);
    sl_config_destroy(app->cfg);
    pthread_rwlock_destroy(&app->tasks_lock);
    pthread_mutex_destroy(&app->err_lock);
    free(app);
}

sl_streams_state_t sl_streams_state(const sl_streams_t *app)
{
    return app ? (sl_streams_state_t)atomic_load(&((sl_streams_t *)app)->state)
               : SL_STREAMS_NOT_RUNNING;
}

const char *sl_streams_error(const sl_streams_t *app)
{
    return app && sl_streams_state(app) == SL_STREAMS_ERROR ? app->error : "";
}

int64_t sl_streams_metric(const sl_streams_t *app, const char *name)
{
    static const char *const names[M_COUNT] = {
        [M_PROCESS] = "process-total",   [M_DROPPED] = "dropped-records",
        [M_SKIPPED] = "skipped-records", [M_DESER] = "deserialization-errors",
        [M_SENT] = "record-send-total",  [M_RESTORED] = "restored-records",
        [M_COMMITS] = "commit-total"};
    if (!app || !name)
        return -1;
    sl_streams_t *a = (sl_streams_t *)app;
    if (!strcmp(name, "tasks")) {
        int64_t n = 0;
        pthread_rwlock_rdlock(&a->tasks_lock);
        for (int i = 0; i < a->nthreads; i++)
            n += a->threads[i].ntasks;
        pthread_rwlock_unlock(&a->tasks_lock);
        return n;
    }
    for (int k = 0; k < M_COUNT; k++) {
        if (strcmp(name, names[k]))
            continue;
        int64_t v = atomic_load(&a->closed_metrics[k]);
        for (int i = 0; i < a->nthreads; i++)
            v += atomic_load(&a->threads[i].live_metrics[k]);
        return v;
    }
    return -1;
}

sl_err_t sl_streams_wait_idle(sl_streams_t *app, int timeout_ms)
{
    if (!app)
        return SL_ERR_INVAL;
    int64_t deadline = sl_now_ms() + timeout_ms;
    sl_lc_t *lc;
    char err[256], cid[300];
    snprintf(cid, sizeof cid, "%s-wait", app->app_id);
    if (make_lc(app, cid, NULL, NULL, &lc, err, sizeof err))
        return SL_ERR_IO;
    int idle_rounds = 0;
    sl_err_t rc = SL_ERR_IO;
    while (sl_now_ms() < deadline) {
        if (sl_streams_state(app) == SL_STREAMS_ERROR) {
            rc = SL_ERR_PROCESSING;
            break;
        }
        int idle = 1, ntasks = 0;
        pthread_rwlock_rdlock(&app->tasks_lock);
        for (int i = 0; i < app->nthreads && idle; i++) {
            sthread_t *th = &app->threads[i];
            if (!atomic_load(&th->ready))
                idle = 0;
            for (int k = 0; k < th->ntasks && idle; k++) {
                rtask_t *rt = th->tasks[k];
                ntasks++;
                for (int j = 0; j < rt->ninputs && idle; j++) {
                    int64_t end = 0, next = atomic_load(&rt->inputs[j].next);
                    if (sl_lc_end_offset(lc, rt->inputs[j].topic, rt->partition, &end) != SL_OK)
                        idle = 0;
                    else if (end > 0 && next < end)
                        idle = 0;
                }
            }
        }
        pthread_rwlock_unlock(&app->tasks_lock);
        if (idle && ntasks > 0) {
            if (++idle_rounds >= 3) {
                /* Caught up: have every thread commit, so that its caches
                 * are flushed and queries see everything. */
                int gen = atomic_fetch_add(&app->commit_gen, 1) + 1;
                int done = 0;
                while (!done && sl_now_ms() < deadline &&
                       sl_streams_state(app) != SL_STREAMS_ERROR) {
                    done = 1;
                    for (int i = 0; i < app->nthreads; i++)
                        if (atomic_load(&app->threads[i].commit_done) < gen)
                            done = 0;
                    if (!done) {
                        struct timespec ts = {0, 5 * 1000000};
                        nanosleep(&ts, NULL);
                    }
                }
                rc = done ? SL_OK : SL_ERR_IO;
                break;
            }
        } else {
            idle_rounds = 0;
        }
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    sl_lc_destroy(lc);
    return rc;
}

/* ---- interactive queries ----------------------------------------------------------------------------- */

/* Interactive queries read the committed state of the tasks on this
 * instance, under the task list lock (tasks do not close meanwhile). */
static rtask_t *iq_task(sl_streams_t *app, int sub, int32_t p)
{
    for (int i = 0; i < app->nthreads; i++)
        for (int k = 0; k < app->threads[i].ntasks; k++) {
            rtask_t *rt = app->threads[i].tasks[k];
            if (rt->sub == sub && rt->partition == p)
                return rt;
        }
    return NULL;
}

/* The environment holding partition p of store st on this instance, and the
 * partition its database is named with; NULL when no task here has it. Under
 * the task list lock. */
static sl_state_env_t *iq_env(sl_streams_t *app, const sl_store_t *st, int32_t *p)
{
    if (app->genv && sl__join_global_subtopology(app->topo, st->subtopology)) {
        *p = 0; /* a global table: all of it, here */
        return app->genv;
    }
    rtask_t *rt = iq_task(app, st->subtopology, *p);
    return rt ? rt->env : NULL;
}

/* A stored value as the store's value bytes: a timestamped store's without
 * its timestamp. SL_OK, or SL_ERR_STATE for a value too short to have one. */
static sl_err_t iq_value_bytes(const sl_store_t *st, sl_bytes_t *v)
{
    if (st->timestamped && !sl_state_ts_decode(*v, NULL, v))
        return SL_ERR_STATE;
    return SL_OK;
}

/* A store by name and type, or NULL. */
static sl_store_t *iq_store(sl_streams_t *app, const char *store, sl_store_type_t type)
{
    int id = store ? sl__store_find(app->topo, store) : -1;
    return id >= 0 && app->topo->stores[id]->type == type ? app->topo->stores[id] : NULL;
}

/* The partition of a serialized key (the default partitioner's). */
static int32_t iq_partition(sl_streams_t *app, const sl_store_t *st, sl_bytes_t k)
{
    int32_t np = app->sub_parts[st->subtopology];
    return np > 0 ? sl_murmur2_partition(k.data, k.len, np) : 0;
}

int sl_streams_kv_get(sl_streams_t *app, const char *store, const void *key,
                      void (*fn)(void *arg, const void *value), void *arg)
{
    if (!app || !key || !fn)
        return SL_ERR_INVAL;
    sl_store_t *st = iq_store(app, store, SL_STORE_KV);
    if (!st)
        return SL_ERR_INVAL;
    sl_out_t kout = {SL_BUF_INIT};
    int is_null;
    sl_err_t err = sl__serialize(st->key_serde, key, &kout, &is_null);
    if (err || is_null) {
        sl_buf_free(&kout.buf);
        return err ? (int)err : SL_ERR_INVAL;
    }
    sl_bytes_t k = {kout.buf.data, kout.buf.len};
    int32_t p = iq_partition(app, st, k);
    int rc;
    pthread_rwlock_rdlock(&app->tasks_lock);
    sl_state_env_t *env = iq_env(app, st, &p);
    sl_state_txn_t *txn = NULL;
    sl_kv_t *kv;
    sl_bytes_t v;
    if (!env)
        rc = SL_ERR_STATE;
    else if (!(rc = sl_state_txn_begin(env, 0, &txn)) &&
             (rc = sl_kv_open(txn, st->name, p, &kv)) == 1)
        rc = sl_kv_get(txn, kv, k, &v);
    if (rc == 1) {
        sl_mem_t mem = {SL_ARENA_INIT, NULL};
        const void *obj;
        if ((err = iq_value_bytes(st, &v)) ||
            (err = sl__deserialize(st->value_serde, &v, &mem, &obj)))
            rc = err;
        else
            fn(arg, obj);
        sl__mem_free(&mem);
    }
    sl_state_txn_abort(txn);
    pthread_rwlock_unlock(&app->tasks_lock);
    sl_buf_free(&kout.buf);
    return rc;
}

sl_err_t sl_streams_kv_range(sl_streams_t *app, const char *store, const void *from,
                             const void *to,
                             int (*fn)(void *arg, const void *key, const void *value), void *arg)
{
    if (!app || !fn)
        return SL_ERR_INVAL;
    sl_store_t *st = iq_store(app, store, SL_STORE_KV);
    if (!st)
        return SL_ERR_INVAL;
    sl_out_t fo = {SL_BUF_INIT}, to_ = {SL_BUF_INIT};
    int fnull = 1, tnull = 1;
    sl_err_t rc = SL_OK;
    if ((from && (rc = sl__serialize(st->key_serde, from, &fo, &fnull))) ||
        (to && (rc = sl__serialize(st->key_serde, to, &to_, &tnull)))) {
        sl_buf_free(&fo.buf);
        sl_buf_free(&to_.buf);
        return rc;
    }
    sl_bytes_t fb = {fo.buf.data, fo.buf.len}, tb = {to_.buf.data, to_.buf.len};
    int stop = 0;
    pthread_rwlock_rdlock(&app->tasks_lock);
    int32_t nparts = app->sub_parts[st->subtopology];
    for (int32_t q = 0; q < nparts && !stop && !rc; q++) {
        int32_t p = q;
        sl_state_env_t *env = iq_env(app, st, &p);
        if (!env)
            continue; /* that partition's task is elsewhere */
        sl_state_txn_t *txn;
        if ((rc = sl_state_txn_begin(env, 0, &txn)))
            break;
        sl_kv_t *kv;
        sl_state_iter_t *it = NULL;
        if (sl_kv_open(txn, st->name, p, &kv) == 1 &&
            !(rc = sl_kv_range(txn, kv, fnull ? NULL : &fb, tnull ? NULL : &tb, &it))) {
            sl_bytes_t k, v;
            sl_mem_t mem = {SL_ARENA_INIT, NULL};
            while (!stop && sl_kv_iter_next(it, &k, &v) == 1) {
                const void *ko, *vo;
                if ((rc = sl__deserialize(st->key_serde, &k, &mem, &ko)) ||
                    (rc = iq_value_bytes(st, &v)) ||
                    (rc = sl__deserialize(st->value_serde, &v, &mem, &vo)))
                    break;
                stop = fn(arg, ko, vo);
                sl__mem_reset(&mem);
            }
            sl__mem_free(&mem);
            sl_state_iter_close(it);
        }
        sl_state_txn_abort(txn);
        if (env == app->genv)
            break; /* a global store is one partition */
    }
    pthread_rwlock_unlock(&app->tasks_lock);
    sl_buf_free(&fo.buf);
    sl_buf_free(&to_.buf);
    return rc;
}

sl_err_t sl_streams_store_partitions(sl_streams_t *app, const char *store, int32_t *local,
                                     int32_t *total)
{
    int id = app && store ? sl__store_find(app->topo, store) : -1;
    if (id < 0 || !local || !total)
        return SL_ERR_INVAL;
    const sl_store_t *st = app->topo->stores[id];
    pthread_rwlock_rdlock(&app->tasks_lock);
    if (app->genv && sl__join_global_subtopology(app->topo, st->subtopology)) {
        *local = *total = 1;
    } else {
        *total = app->sub_parts[st->subtopology];
        *local = 0;
        for (int32_t p = 0; p < *total; p++)
            *local += iq_task(app, st->subtopology, p) != NULL;
    }
    pthread_rwlock_unlock(&app->tasks_lock);
    return SL_OK;
}

sl_err_t sl_streams_kv_all(sl_streams_t *app, const char *store,
                           int (*fn)(void *arg, const void *key, const void *value), void *arg)
{
    return sl_streams_kv_range(app, store, NULL, NULL, fn, arg);
}

int sl_streams_window_fetch(sl_streams_t *app, const char *store, const void *key, int64_t t_from,
                            int64_t t_to, int (*fn)(void *arg, int64_t start, const void *value),
                            void *arg)
{
    if (!app || !key || !fn)
        return SL_ERR_INVAL;
    sl_store_t *st = iq_store(app, store, SL_STORE_WINDOW);
    if (!st)
        return SL_ERR_INVAL;
    sl_out_t kout = {SL_BUF_INIT};
    int is_null;
    sl_err_t err = sl__serialize(st->key_serde, key, &kout, &is_null);
    if (err || is_null) {
        sl_buf_free(&kout.buf);
        return err ? (int)err : SL_ERR_INVAL;
    }
    sl_bytes_t k = {kout.buf.data, kout.buf.len};
    int32_t p = iq_partition(app, st, k);
    int rc = 0, n = 0;
    pthread_rwlock_rdlock(&app->tasks_lock);
    sl_state_env_t *env = iq_env(app, st, &p);
    sl_state_txn_t *txn = NULL;
    sl_window_t *w;
    sl_state_iter_t *it = NULL;
    if (!env)
        rc = SL_ERR_STATE;
    else if (!(rc = sl_state_txn_begin(env, 0, &txn)) &&
             (rc = sl_window_open(txn, st->name, p, &w)) == 1 &&
             !(rc = sl_window_fetch(txn, w, k, t_from, t_to, &it))) {
        sl_bytes_t kk, v;
        int64_t start;
        sl_mem_t mem = {SL_ARENA_INIT, NULL};
        int stop = 0;
        while (!stop && (rc = sl_window_iter_next(it, &kk, &start, &v)) == 1) {
            const void *vo;
            if ((rc = iq_value_bytes(st, &v)) ||
                (rc = sl__deserialize(st->value_serde, &v, &mem, &vo)))
                break;
            n++;
            stop = fn(arg, start, vo);
            sl__mem_reset(&mem);
        }
        sl__mem_free(&mem);
    }
    sl_state_iter_close(it);
    sl_state_txn_abort(txn);
    pthread_rwlock_unlock(&app->tasks_lock);
    sl_buf_free(&kout.buf);
    return rc < 0 ? rc : n;
}
