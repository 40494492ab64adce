/* replica.c — a cluster broker's replicas: leaders, followers, ISR, high
 * watermarks (see replica.h). */
#include "broker/server/replica.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/log/batch.h"
#include "broker/net/kclient.h"
#include "broker/server/broker_int.h"
#include "broker/server/cluster.h"
#include "common/clock.h"
#include "common/trace.h"

enum { SL__NONE, SL__LEADER, SL__FOLLOWER };

#define SL__BUCKETS 4096
#define SL__MAXR SL_META_MAX_REPLICAS

typedef struct sl__follower {
    int32_t id;
    int64_t leo;                  /* its log end offset, -1 until it fetched */
    int64_t caught_up_ms;         /* the last time it had everything the leader had */
    int64_t last_fetch_ms;        /* Kafka's lastFetchTimeMs / lastFetchLeaderLogEndOffset */
    int64_t last_fetch_leader_leo;
} sl__follower_t;

typedef struct sl__rep {
    struct sl__rep *next; /* hash chain */
    char topic[SL_META_MAX_TOPIC_NAME + 1];
    uint8_t topic_id[16];
    int32_t partition;
    int role;
    int32_t leader, leader_epoch, partition_epoch;
    int32_t replicas[SL__MAXR], nreplicas;
    int32_t isr[SL__MAXR], nisr;
    int32_t min_isr;
    int seen; /* reconcile mark */
    /* leader */
    sl__follower_t fol[SL__MAXR];
    int nfol;
    int64_t epoch_start; /* the log end offset when this leader epoch began */
    int isr_pending;     /* an ISR change was sent for this partition epoch */
    int64_t isr_retry_ms;
    /* follower */
    int busy;             /* a fetcher is appending to it (set under m->mu) */
    int truncate_pending; /* ask the leader where our logs agree first */
    int64_t stalled_until_ms;
} sl__rep_t;

typedef struct sl__fetcher {
    sl_replica_mgr_t *m;
    int32_t leader;
    pthread_t thread;
    sl_kclient_t *k; /* under m->mu only for shutdown */
} sl__fetcher_t;

/* A request parked until its records are committed. */
typedef struct sl__parked {
    struct sl__parked *next;
    sl_replica_wait_t *waits;
    int n;
    int64_t deadline_ms;
    sl_replica_done_fn *done;
    void *ctx;
} sl__parked_t;

struct sl_replica_mgr {
    sl_broker_t *b;
    sl__parked_t *parked; /* under mu */
    int32_t self;
    pthread_mutex_t mu;
    pthread_cond_t cond;    /* the reconciler's wakeups, fetchers' idle waits */
    sl__rep_t *buckets[SL__BUCKETS];
    int nreps;
    int image_dirty;
    int stop;
    int halted; /* sl_replica_mgr_halt has joined the threads */
    pthread_t thread;
    int started;
    sl__fetcher_t **fetchers;
    int nfetchers;
};

static uint32_t sl__hash(const char *topic, int32_t partition)
{
    uint32_t h = 2166136261u;
    for (const char *p = topic; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ (uint32_t)partition) * 16777619u;
    return h % SL__BUCKETS;
}

static sl__rep_t *sl__find(sl_replica_mgr_t *m, const char *topic, int32_t partition)
{
    for (sl__rep_t *r = m->buckets[sl__hash(topic, partition)]; r; r = r->next)
        if (r->partition == partition && strcmp(r->topic, topic) == 0)
            return r;
    return NULL;
}

static int sl__in(const int32_t *ids, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static sl__follower_t *sl__fol(sl__rep_t *r, int32_t id)
{
    for (int i = 0; i < r->nfol; i++)
        if (r->fol[i].id == id)
            return &r->fol[i];
    return NULL;
}

/* ---- the high watermark ---------------------------------------------------------------- */

/* Moves the leader's high watermark to the smallest log end offset of the
 * committed ISR (never down); returns 1 when it moved. Call with m->mu. */
static int sl__advance_hw(sl_replica_mgr_t *m, sl__rep_t *r)
{
    if (r->role != SL__LEADER)
        return 0;
    sl_topic_part_t *part = sl_topics_acquire(m->b->topics, r->topic, r->partition);
    if (!part)
        return 0;
    sl_log_t *log = sl_topic_part_log(part);
    int64_t hw = sl_log_end_offset(log);
    for (int32_t i = 0; i < r->nisr; i++) {
        if (r->isr[i] == m->self)
            continue;
        sl__follower_t *f = sl__fol(r, r->isr[i]);
        if (!f || f->leo < 0) {
            hw = -1;
            break;
        }
        if (f->leo < hw)
            hw = f->leo;
    }
    int moved = 0;
    if (hw > sl_log_high_watermark(log)) {
        sl_log_set_high_watermark(log, hw);
        moved = 1;
    }
    sl_topics_release(m->b->topics, part);
    if (moved)
        sl__broker_notify_append(m->b); /* consumers waiting for committed records */
    return moved;
}

/* ---- for the request handlers ------------------------------------------------------------ */

int sl_replica_view(sl_replica_mgr_t *m, const char *topic, int32_t partition, sl_replica_view_t *v)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    if (r) {
        v->is_leader = r->role == SL__LEADER;
        v->leader = r->leader;
        v->leader_epoch = r->leader_epoch;
        v->nisr = r->nisr;
        v->min_isr = r->min_isr;
    }
    pthread_mutex_unlock(&m->mu);
    return r != NULL;
}

static void sl__parked_run(sl_replica_mgr_t *m);

void sl_replica_leader_appended(sl_replica_mgr_t *m, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    int moved = r ? sl__advance_hw(m, r) : 0;
    pthread_mutex_unlock(&m->mu);
    if (moved)
        sl__parked_run(m);
}

sl_err_t sl_replica_follower_fetch(sl_replica_mgr_t *m, const char *topic, int32_t partition, int32_t follower,
                                   int32_t leader_epoch, int64_t fetch_offset)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    sl_err_t err = SL_OK;
    int moved = 0;
    sl__follower_t *f = NULL;
    if (!r || r->role != SL__LEADER)
        err = SL_ERR_NOT_LEADER_OR_FOLLOWER;
    else if (leader_epoch >= 0 && leader_epoch < r->leader_epoch)
        err = SL_ERR_FENCED_LEADER_EPOCH;
    else if (leader_epoch > r->leader_epoch)
        err = SL_ERR_UNKNOWN_LEADER_EPOCH;
    else if (!(f = sl__fol(r, follower)))
        err = SL_ERR_INVALID_REQUEST;
    if (!err) {
        sl_topic_part_t *part = sl_topics_acquire(m->b->topics, topic, partition);
        int64_t leo = part ? sl_log_end_offset(sl_topic_part_log(part)) : 0;
        sl_topics_release(m->b->topics, part);
        int64_t now = sl_now_ms();
        /* Kafka's Replica.updateFetchState: caught up when it asks for the
         * leader's end, or for what was the end at its previous fetch. */
        if (fetch_offset >= leo)
            f->caught_up_ms = now;
        else if (fetch_offset >= f->last_fetch_leader_leo && f->last_fetch_ms > f->caught_up_ms)
            f->caught_up_ms = f->last_fetch_ms;
        f->last_fetch_leader_leo = leo;
        f->last_fetch_ms = now;
        f->leo = fetch_offset;
        moved = sl__advance_hw(m, r);
        /* A follower out of the ISR that has caught up is due to rejoin:
         * the reconciler's tick asks the controller. */
        if (!sl__in(r->isr, r->nisr, follower) && !r->isr_pending) {
            pthread_cond_signal(&m->cond);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (moved)
        sl__parked_run(m);
    return err;
}


/* Resolves what it can of every parked request; those complete are moved to
 * *done (to be called without the lock). Call with m->mu. */
static void sl__parked_check(sl_replica_mgr_t *m, int64_t now, sl__parked_t **done)
{
    sl__parked_t **pp = &m->parked;
    while (*pp) {
        sl__parked_t *pk = *pp;
        int open = 0;
        for (int i = 0; i < pk->n; i++) {
            sl_replica_wait_t *w = &pk->waits[i];
            if (w->done_)
                continue;
            sl__rep_t *r = sl__find(m, w->topic, w->partition);
            if (!r || r->role != SL__LEADER) {
                w->result = SL_ERR_NOT_LEADER_OR_FOLLOWER;
                w->done_ = 1;
                continue;
            }
            sl_topic_part_t *part = sl_topics_acquire(m->b->topics, w->topic, w->partition);
            int64_t hw = part ? sl_log_high_watermark(sl_topic_part_log(part)) : -1;
            sl_topics_release(m->b->topics, part);
            if (hw >= w->offset) {
                w->result = r->nisr < r->min_isr ? SL_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND : SL_OK;
                w->done_ = 1;
            } else if (now >= pk->deadline_ms || m->stop) {
                w->result = SL_ERR_TIMEOUT;
                w->done_ = 1;
            } else {
                open = 1;
            }
        }
        if (open) {
            pp = &pk->next;
            continue;
        }
        *pp = pk->next;
        pk->next = *done;
        *done = pk;
    }
}

static void sl__parked_finish(sl__parked_t *done)
{
    while (done) {
        sl__parked_t *next = done->next;
        done->done(done->ctx, done->waits, done->n);
        free(done);
        done = next;
    }
}

/* Checks the parked requests and answers those complete. Call without m->mu. */
static void sl__parked_run(sl_replica_mgr_t *m)
{
    sl__parked_t *done = NULL;
    pthread_mutex_lock(&m->mu);
    if (m->parked)
        sl__parked_check(m, sl_now_ms(), &done);
    pthread_mutex_unlock(&m->mu);
    sl__parked_finish(done);
}

void sl_replica_park(sl_replica_mgr_t *m, sl_replica_wait_t *waits, int n, int64_t deadline_ms,
                     sl_replica_done_fn *done, void *ctx)
{
    for (int i = 0; i < n; i++)
        waits[i].done_ = 0;
    sl__parked_t *pk = calloc(1, sizeof *pk);
    if (!pk) {
        /* No memory for the wait: answer as a timeout would. */
        for (int i = 0; i < n; i++)
            waits[i].result = SL_ERR_TIMEOUT;
        done(ctx, waits, n);
        return;
    }
    *pk = (sl__parked_t){NULL, waits, n, deadline_ms, done, ctx};
    sl__parked_t *finished = NULL;
    pthread_mutex_lock(&m->mu);
    pk->next = m->parked;
    m->parked = pk;
    sl__parked_check(m, sl_now_ms(), &finished); /* committed already, or halted */
    pthread_mutex_unlock(&m->mu);
    sl__parked_finish(finished);
}

/* sl_replica_wait_hw: a parked request of one wait, whose answer wakes the
 * caller. */
typedef struct sl__sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done;
} sl__sync_wait_t;

static void sl__sync_done(void *ctx, sl_replica_wait_t *waits, int n)
{
    (void)waits, (void)n;
    sl__sync_wait_t *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

sl_err_t sl_replica_wait_hw(sl_replica_mgr_t *m, const char *topic, int32_t partition, int64_t offset,
                            int64_t deadline_ms)
{
    sl_replica_wait_t w = {topic, partition, offset, SL_OK, 0};
    sl__sync_wait_t s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    sl_replica_park(m, &w, 1, deadline_ms, sl__sync_done, &s);
    pthread_mutex_lock(&s.mu);
    while (!s.done)
        pthread_cond_wait(&s.cond, &s.mu);
    pthread_mutex_unlock(&s.mu);
    pthread_cond_destroy(&s.cond);
    pthread_mutex_destroy(&s.mu);
    return w.result;
}

/* ---- following: a fetcher thread per leader ---------------------------------------------- */

typedef struct sl__fpart {
    char topic[SL_META_MAX_TOPIC_NAME + 1];
    int32_t partition;
    int32_t leader_epoch;
    int truncate;
} sl__fpart_t;

static int sl__fetcher_sleep(sl_replica_mgr_t *m, int64_t ms)
{
    pthread_mutex_lock(&m->mu);
    if (!m->stop) {
        struct timespec ts = sl_deadline_in_ms(ms);
        pthread_cond_timedwait(&m->cond, &m->mu, &ts);
    }
    int stop = m->stop;
    pthread_mutex_unlock(&m->mu);
    return stop;
}

/* The partitions this broker follows from leader, into *out (malloc'd). */
static int sl__collect(sl_replica_mgr_t *m, int32_t leader, sl__fpart_t **out)
{
    int n = 0, cap = 0;
    sl__fpart_t *v = NULL;
    int64_t now = sl_now_ms();
    pthread_mutex_lock(&m->mu);
    for (int b = 0; b < SL__BUCKETS; b++)
        for (sl__rep_t *r = m->buckets[b]; r; r = r->next) {
            if (r->role != SL__FOLLOWER || r->leader != leader || r->stalled_until_ms > now || r->busy)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                sl__fpart_t *nv = realloc(v, sizeof *v * (size_t)cap);
                if (!nv)
                    break;
                v = nv;
            }
            snprintf(v[n].topic, sizeof v[n].topic, "%s", r->topic);
            v[n].partition = r->partition;
            v[n].leader_epoch = r->leader_epoch;
            v[n].truncate = r->truncate_pending;
            n++;
        }
    pthread_mutex_unlock(&m->mu);
    *out = v;
    return n;
}

static void sl__stall(sl_replica_mgr_t *m, const char *topic, int32_t partition, int32_t epoch, int truncate,
                      int64_t ms)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    if (r && r->leader_epoch == epoch) {
        if (ms)
            r->stalled_until_ms = sl_now_ms() + ms;
        if (truncate >= 0)
            r->truncate_pending = truncate;
    }
    pthread_mutex_unlock(&m->mu);
}

/* Claims a partition for writing fetched records: only while it still
 * follows leader at epoch (a fetcher of a former leader, whose answer came
 * late, must not write), and no other fetcher writes. Returns 1 when claimed;
 * sl__release gives it back. */
static int sl__claim(sl_replica_mgr_t *m, const char *topic, int32_t partition, int32_t leader, int32_t epoch)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    int ok = r && r->role == SL__FOLLOWER && r->leader == leader && r->leader_epoch == epoch && !r->busy;
    if (ok)
        r->busy = 1;
    pthread_mutex_unlock(&m->mu);
    return ok;
}

static void sl__release(sl_replica_mgr_t *m, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&m->mu);
    sl__rep_t *r = sl__find(m, topic, partition);
    if (r)
        r->busy = 0;
    pthread_mutex_unlock(&m->mu);
}

/* OffsetForLeaderEpoch for the partitions that became followers: truncates
 * each local log where it diverges from the leader's. */
static sl_err_t sl__truncate(sl_replica_mgr_t *m, sl_kclient_t *k, int32_t leader, sl__fpart_t *ps, int n)
{
    int16_t v = sl_kclient_version(k, SL_KAPI_OFFSET_FOR_LEADER_EPOCH, 3, 4);
    if (v < 0)
        return SL_ERR_UNSUPPORTED_VERSION;
    for (int i = 0; i < n; i++) {
        if (!ps[i].truncate)
            continue;
        sl_topic_part_t *part = sl_topics_acquire(m->b->topics, ps[i].topic, ps[i].partition);
        if (!part)
            continue;
        sl_log_t *log = sl_topic_part_log(part);
        int32_t latest = sl_log_latest_epoch(log);
        int64_t leo = sl_log_end_offset(log);
        int64_t target = leo;
        sl_err_t err = SL_OK;
        char answer[96] = "nothing";
        if (latest >= 0) {
            sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_partition_t rp;
            sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_partition_init(&rp);
            rp.partition = ps[i].partition;
            rp.current_leader_epoch = ps[i].leader_epoch;
            rp.leader_epoch = latest;
            sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_topic_t rt;
            sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_topic_init(&rt);
            rt.topic = sl_kstr_from(ps[i].topic);
            rt.partitions.items = &rp;
            rt.partitions.count = 1;
            sl_kmsg_offset_for_leader_epoch_request_t req;
            sl_kmsg_offset_for_leader_epoch_request_init(&req);
            req.replica_id = m->self;
            req.topics.items = &rt;
            req.topics.count = 1;
            sl_arena_t a = SL_ARENA_INIT;
            sl_kmsg_offset_for_leader_epoch_response_t resp;
            err = SL_KCLIENT_CALL(k, offset_for_leader_epoch, v, &req, &a, &resp,
                                  (int)m->b->cfg.replica_socket_timeout_ms);
            if (!err && (resp.topics.count != 1 || resp.topics.items[0].partitions.count != 1))
                err = SL_ERR_INVALID_REQUEST;
            if (!err) {
                sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_t *eo = &resp.topics.items[0].partitions.items[0];
                err = sl_err_from_kafka_code(eo->error_code);
                snprintf(answer, sizeof answer, "epoch %d ends at %" PRId64, eo->leader_epoch, eo->end_offset);
                if (!err && eo->leader_epoch >= 0 && eo->end_offset >= 0) {
                    /* Kafka's follower truncation (KIP-101/279): to the leader's
                     * end of the last epoch both have, or our own end of it. */
                    target = eo->end_offset;
                    if (eo->leader_epoch != latest) {
                        int32_t le;
                        int64_t local_end;
                        if (sl_log_end_offset_for_epoch(log, eo->leader_epoch, &le, &local_end) == SL_OK &&
                            local_end >= 0 && local_end < target)
                            target = local_end;
                    }
                } else if (!err) {
                    /* The leader knows no epoch of ours: keep what is committed. */
                    target = sl_log_high_watermark(log);
                }
            }
            sl_arena_free(&a);
        }
        if (!err && target < leo) {
            if (sl__claim(m, ps[i].topic, ps[i].partition, leader, ps[i].leader_epoch)) {
                sl_trace(SL_TRACE_INFO, "replica", "%s-%d: truncating from %" PRId64 " to %" PRId64
                         " (our last epoch %d; the leader, at epoch %d, answered %s)", ps[i].topic,
                         ps[i].partition, leo, target, latest, ps[i].leader_epoch, answer);
                err = sl_log_truncate_to(log, target);
                sl__release(m, ps[i].topic, ps[i].partition);
            } else {
                err = SL_ERR_NOT_LEADER_OR_FOLLOWER; /* moved on meanwhile */
            }
        }
        sl_topics_release(m->b->topics, part);
        if (err == SL_ERR_NOT_LEADER_OR_FOLLOWER || err == SL_ERR_FENCED_LEADER_EPOCH ||
            err == SL_ERR_UNKNOWN_LEADER_EPOCH) {
            sl__stall(m, ps[i].topic, ps[i].partition, ps[i].leader_epoch, -1, 200);
            ps[i].truncate = 1; /* not fetched this round */
            continue;
        }
        if (err)
            return err;
        sl__stall(m, ps[i].topic, ps[i].partition, ps[i].leader_epoch, 0, 0);
        ps[i].truncate = 0;
    }
    return SL_OK;
}

/* Appends the complete batches of a fetch response to log. */
static sl_err_t sl__append_fetched(sl_log_t *log, const uint8_t *data, size_t len)
{
    size_t whole = 0;
    while (whole + SL_BATCH_LOG_OVERHEAD <= len) {
        sl_batch_header_t h;
        if (len - whole < SL_BATCH_HEADER_SIZE || sl_batch_header_parse(data + whole, len - whole, &h) != SL_OK)
            break;
        size_t sz = sl_batch_size(&h);
        if (sz > len - whole)
            break; /* a partial batch at the end: the next fetch brings it */
        whole += sz;
    }
    if (!whole)
        return SL_OK;
    sl_log_append_info_t info;
    return sl_log_append_with_offsets(log, data, whole, &info);
}

static sl_err_t sl__fetch_round(sl_replica_mgr_t *m, sl_kclient_t *k, int32_t leader, sl__fpart_t *ps, int n)
{
    sl_broker_t *b = m->b;
    int16_t v = sl_kclient_version(k, SL_KAPI_FETCH, 9, 12);
    if (v < 0)
        return SL_ERR_UNSUPPORTED_VERSION;
    sl_arena_t a = SL_ARENA_INIT;
    /* One topic entry per partition, grouped by name where they follow each other. */
    sl_kmsg_fetch_request_fetch_topic_t *topics = sl_arena_alloc(&a, sizeof *topics * (size_t)n);
    sl_kmsg_fetch_request_fetch_partition_t *parts = sl_arena_alloc(&a, sizeof *parts * (size_t)n);
    if (!topics || !parts) {
        sl_arena_free(&a);
        return SL_ERR_NOMEM;
    }
    int nt = 0, np = 0;
    for (int i = 0; i < n; i++) {
        if (ps[i].truncate)
            continue;
        sl_topic_part_t *part = sl_topics_acquire(b->topics, ps[i].topic, ps[i].partition);
        if (!part)
            continue;
        sl_log_t *log = sl_topic_part_log(part);
        sl_kmsg_fetch_request_fetch_partition_t *fp = &parts[np++];
        sl_kmsg_fetch_request_fetch_partition_init(fp);
        fp->partition = ps[i].partition;
        fp->current_leader_epoch = ps[i].leader_epoch;
        fp->fetch_offset = sl_log_end_offset(log);
        fp->last_fetched_epoch = -1;
        fp->log_start_offset = sl_log_start_offset(log);
        fp->partition_max_bytes = b->cfg.replica_fetch_max_bytes;
        sl_topics_release(b->topics, part);
        if (nt == 0 || strcmp(topics[nt - 1].topic.data, ps[i].topic) != 0 ||
            (size_t)topics[nt - 1].topic.len != strlen(ps[i].topic)) {
            sl_kmsg_fetch_request_fetch_topic_t *t = &topics[nt++];
            sl_kmsg_fetch_request_fetch_topic_init(t);
            t->topic = sl_kstr_from(ps[i].topic);
            t->partitions.items = fp;
            t->partitions.count = 0;
        }
        topics[nt - 1].partitions.count++;
    }
    if (np == 0) {
        sl_arena_free(&a);
        return SL_OK;
    }
    sl_kmsg_fetch_request_t req;
    sl_kmsg_fetch_request_init(&req);
    req.replica_id = m->self;
    req.max_wait_ms = (int32_t)b->cfg.replica_fetch_wait_max_ms;
    req.min_bytes = b->cfg.replica_fetch_min_bytes;
    req.max_bytes = b->cfg.replica_fetch_response_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1;
    req.topics.items = topics;
    req.topics.count = nt;
    sl_kmsg_fetch_response_t resp;
    sl_err_t err = SL_KCLIENT_CALL(k, fetch, v, &req, &a, &resp,
                                   (int)(b->cfg.replica_fetch_wait_max_ms + b->cfg.replica_socket_timeout_ms));
    if (!err && resp.error_code)
        err = sl_err_from_kafka_code(resp.error_code);
    for (int t = 0; !err && t < resp.responses.count; t++) {
        sl_kmsg_fetch_response_fetchable_topic_response_t *tr = &resp.responses.items[t];
        char topic[SL_META_MAX_TOPIC_NAME + 1];
        snprintf(topic, sizeof topic, "%.*s", (int)(tr->topic.len > 0 ? tr->topic.len : 0), tr->topic.data);
        for (int j = 0; j < tr->partitions.count; j++) {
            sl_kmsg_fetch_response_partition_data_t *pd = &tr->partitions.items[j];
            int32_t epoch = -1;
            for (int i = 0; i < n; i++)
                if (ps[i].partition == pd->partition_index && strcmp(ps[i].topic, topic) == 0)
                    epoch = ps[i].leader_epoch;
            sl_err_t pe = sl_err_from_kafka_code(pd->error_code);
            if (pe == SL_ERR_OFFSET_OUT_OF_RANGE) {
                sl__stall(m, topic, pd->partition_index, epoch, 1, 0);
                continue;
            }
            if (pe) {
                /* Not (yet) the leader at our epoch: wait for the metadata. */
                sl_trace(SL_TRACE_DEBUG, "replica", "%s-%d: fetch: %s", topic, pd->partition_index, sl_err_str(pe));
                sl__stall(m, topic, pd->partition_index, epoch, -1, 100);
                continue;
            }
            if (!sl__claim(m, topic, pd->partition_index, leader, epoch))
                continue; /* it follows another leader now: this answer is stale */
            sl_topic_part_t *part = sl_topics_acquire(b->topics, topic, pd->partition_index);
            if (!part) {
                sl__release(m, topic, pd->partition_index);
                continue;
            }
            sl_log_t *log = sl_topic_part_log(part);
            sl_err_t ae = pd->records.len > 0 ? sl__append_fetched(log, pd->records.data, (size_t)pd->records.len)
                                              : SL_OK;
            if (ae) {
                sl_trace(SL_TRACE_WARN, "replica", "%s-%d: appending fetched records: %s", topic,
                         pd->partition_index, sl_err_str(ae));
                sl__stall(m, topic, pd->partition_index, epoch, 1, 100);
            }
            if (pd->log_start_offset > sl_log_start_offset(log) && pd->log_start_offset <= sl_log_end_offset(log))
                sl_log_advance_start_offset(log, pd->log_start_offset);
            int64_t hw = pd->high_watermark < sl_log_end_offset(log) ? pd->high_watermark : sl_log_end_offset(log);
            if (hw > sl_log_high_watermark(log))
                sl_log_set_high_watermark(log, hw);
            sl_topics_release(b->topics, part);
            sl__release(m, topic, pd->partition_index);
        }
    }
    sl_arena_free(&a);
    return err;
}

static void *sl__fetcher_main(void *arg)
{
    sl__fetcher_t *f = arg;
    sl_replica_mgr_t *m = f->m;
    sl_broker_t *b = m->b;
    int64_t backoff = b->cfg.replica_fetch_backoff_ms;
    while (!m->stop) {
        sl__fpart_t *ps = NULL;
        int n = sl__collect(m, f->leader, &ps);
        if (n == 0) {
            free(ps);
            if (f->k) {
                pthread_mutex_lock(&m->mu);
                sl_kclient_close(f->k);
                f->k = NULL;
                pthread_mutex_unlock(&m->mu);
            }
            if (sl__fetcher_sleep(m, 200))
                break;
            continue;
        }
        if (!f->k || sl_kclient_broken(f->k)) {
            const sl_meta_image_t *img = sl_cluster_image(sl__cluster(b));
            const sl_meta_broker_t *br = sl_meta_image_broker(img, f->leader);
            char host[SL_META_MAX_HOST + 1] = "";
            int port = br ? br->port : 0;
            if (br)
                snprintf(host, sizeof host, "%s", br->host);
            sl_meta_image_unref(img);
            sl_kclient_t *k = NULL;
            char err[256] = "";
            char id[64];
            snprintf(id, sizeof id, "sluice-replica-%d", m->self);
            if (port)
                sl_kclient_connect(host, port, (int)b->cfg.replica_socket_timeout_ms, id, &k, err, sizeof err);
            pthread_mutex_lock(&m->mu);
            sl_kclient_close(f->k);
            f->k = k;
            pthread_mutex_unlock(&m->mu);
            if (!k) {
                sl_trace(SL_TRACE_DEBUG, "replica", "fetcher for leader %d: %s", f->leader,
                         err[0] ? err : "address not known yet");
                free(ps);
                if (sl__fetcher_sleep(m, backoff < 50 ? 50 : backoff > 500 ? 500 : backoff))
                    break;
                continue;
            }
        }
        sl_err_t err = sl__truncate(m, f->k, f->leader, ps, n);
        if (!err)
            err = sl__fetch_round(m, f->k, f->leader, ps, n);
        free(ps);
        if (err && !m->stop) {
            sl_trace(SL_TRACE_DEBUG, "replica", "fetching from leader %d: %s", f->leader, sl_err_str(err));
            if (sl__fetcher_sleep(m, backoff < 50 ? 50 : backoff > 1000 ? 1000 : backoff))
                break;
        }
    }
    return NULL;
}

/* Starts the fetcher for leader unless there is one. Call with m->mu. */
static void sl__ensure_fetcher(sl_replica_mgr_t *m, int32_t leader)
{
    for (int i = 0; i < m->nfetchers; i++)
        if (m->fetchers[i]->leader == leader)
            return;
    sl__fetcher_t **v = realloc(m->fetchers, sizeof *v * (size_t)(m->nfetchers + 1));
    if (!v)
        return;
    m->fetchers = v;
    sl__fetcher_t *f = calloc(1, sizeof *f);
    if (!f)
        return;
    f->m = m;
    f->leader = leader;
    if (pthread_create(&f->thread, NULL, sl__fetcher_main, f) != 0) {
        free(f);
        return;
    }
    char name[16];
    snprintf(name, sizeof name, "sl-fetch-%d", leader);
    pthread_setname_np(f->thread, name);
    m->fetchers[m->nfetchers++] = f;
}

/* ---- the reconciler: local state as the metadata says ------------------------------------- */

typedef struct {
    sl_topic_info_t *v;
    int n, cap;
} sl__local_t;

static void sl__collect_local(void *opaque, const sl_topic_info_t *info)
{
    sl__local_t *l = opaque;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        sl_topic_info_t *v = realloc(l->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *info;
}

typedef struct {
    const sl_meta_topic_t *t;
    int differs;
} sl__cfg_cmp_t;

static void sl__cfg_cmp(void *opaque, const sl_topic_config_entry_t *e)
{
    sl__cfg_cmp_t *c = opaque;
    const char *v = sl_meta_topic_config(c->t, e->key);
    if (e->is_default ? v != NULL : !v || strcmp(v, e->value) != 0)
        c->differs = 1;
}

/* Local topics as the image has them. */
static void sl__sync_topics(sl_replica_mgr_t *m, const sl_meta_image_t *img)
{
    sl_broker_t *b = m->b;
    sl__local_t local = {0};
    sl_topics_list(b->topics, sl__collect_local, &local);
    for (int i = 0; i < local.n; i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, local.v[i].name);
        if (t && memcmp(t->id, local.v[i].id, 16) == 0)
            continue;
        if (!t && strncmp(local.v[i].name, "__", 2) == 0)
            continue; /* this broker's own internal topics (the group coordinator's) */
        /* Deleted, or deleted and created again (another id). */
        sl_trace(SL_TRACE_INFO, "replica", "deleting local topic %s (%s)", local.v[i].name,
                 t ? "recreated in the cluster" : "deleted in the cluster");
        sl_topics_delete(b->topics, local.v[i].name);
    }
    free(local.v);
    for (size_t i = 0; i < sl_meta_image_topic_count(img); i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_at(img, i);
        sl_topic_info_t info;
        char err[256] = "";
        if (!sl_topics_get(b->topics, t->name, &info)) {
            const char *keys[64], *values[64];
            int nc = t->nconfigs < 64 ? t->nconfigs : 64;
            for (int c = 0; c < nc; c++) {
                keys[c] = t->configs[c].key;
                values[c] = t->configs[c].value;
            }
            sl_err_t e = sl_topics_create_as(b->topics, t->name, t->id, t->npartitions, keys, values, nc, err,
                                             sizeof err);
            if (e)
                sl_trace(SL_TRACE_ERROR, "replica", "creating local topic %s: %s", t->name, err[0] ? err : sl_err_str(e));
        } else {
            if (info.partitions < t->npartitions) {
                sl_err_t e = sl_topics_add_partitions(b->topics, t->name, t->npartitions, 0, err, sizeof err);
                if (e)
                    sl_trace(SL_TRACE_ERROR, "replica", "growing local topic %s: %s", t->name,
                             err[0] ? err : sl_err_str(e));
            }
            /* Config overrides changed through the controller. */
            sl__cfg_cmp_t cmp = {t, 0};
            sl_topics_describe_configs(b->topics, t->name, sl__cfg_cmp, &cmp);
            if (cmp.differs) {
                const char *keys[64], *values[64];
                int nc = t->nconfigs < 64 ? t->nconfigs : 64;
                for (int c = 0; c < nc; c++) {
                    keys[c] = t->configs[c].key;
                    values[c] = t->configs[c].value;
                }
                sl_err_t e = sl_topics_alter_configs(b->topics, t->name, keys, values, nc, 1, 0, err, sizeof err);
                if (e)
                    sl_trace(SL_TRACE_ERROR, "replica", "configs of local topic %s: %s", t->name,
                             err[0] ? err : sl_err_str(e));
            }
        }
    }
}

static void sl__become_leader(sl_replica_mgr_t *m, sl__rep_t *r)
{
    sl_topic_part_t *part = sl_topics_acquire(m->b->topics, r->topic, r->partition);
    if (!part)
        return;
    sl_log_t *log = sl_topic_part_log(part);
    int64_t leo = sl_log_end_offset(log);
    sl_log_assign_epoch(log, r->leader_epoch, leo);
    /* The producers' state comes from the log again: their batches arrived
     * here as a follower's. */
    sl_topic_part_reset_pstate(part);
    sl_topics_release(m->b->topics, part);
    r->epoch_start = leo;
    int64_t now = sl_now_ms();
    r->nfol = 0;
    for (int32_t i = 0; i < r->nreplicas; i++) {
        if (r->replicas[i] == m->self)
            continue;
        sl__follower_t *f = &r->fol[r->nfol++];
        memset(f, 0, sizeof *f);
        f->id = r->replicas[i];
        f->leo = -1;
        f->caught_up_ms = now; /* as Kafka: every ISR member gets a full lag period */
        f->last_fetch_leader_leo = -1;
    }
    sl_trace(SL_TRACE_INFO, "replica", "%s-%d: leader at epoch %d (log end %" PRId64 ")", r->topic, r->partition,
             r->leader_epoch, leo);
}

/* A change of this broker's leadership of a partition of __consumer_offsets,
 * told to the group coordinator once the manager's lock is released (loading
 * a partition's groups reads its log). */
typedef struct sl__coord_change {
    int32_t partition, epoch;
    int acquired;
} sl__coord_change_t;

typedef struct sl__coord_changes {
    sl__coord_change_t *v;
    int n, cap;
} sl__coord_changes_t;

static void sl__coord_note(sl__coord_changes_t *cc, const sl__rep_t *r, int acquired)
{
    if (strcmp(r->topic, SL_GROUP_OFFSETS_TOPIC) != 0)
        return;
    if (cc->n == cc->cap) {
        int cap = cc->cap ? cc->cap * 2 : 16;
        sl__coord_change_t *v = realloc(cc->v, sizeof *v * (size_t)cap);
        if (!v)
            return;
        cc->v = v;
        cc->cap = cap;
    }
    cc->v[cc->n++] = (sl__coord_change_t){r->partition, r->leader_epoch, acquired};
}

/* Returns 0 (and does nothing) while this broker's image may be behind the
 * cluster's: before it registered and applied the metadata up to its
 * registration, an image may lack topics that exist, and local logs must not
 * be deleted for that. */
static int sl__reconcile(sl_replica_mgr_t *m)
{
    sl_broker_t *b = m->b;
    const sl_meta_image_t *img = sl_cluster_image(sl__cluster(b));
    uint64_t epoch = sl_cluster_broker_epoch(sl__cluster(b));
    if (!epoch || sl_meta_image_last_index(img) < epoch) {
        sl_meta_image_unref(img);
        return 0;
    }
    sl__sync_topics(m, img);
    sl__coord_changes_t cc = {0};
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < SL__BUCKETS; i++)
        for (sl__rep_t *r = m->buckets[i]; r; r = r->next)
            r->seen = 0;
    for (size_t i = 0; i < sl_meta_image_topic_count(img); i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_at(img, i);
        const char *mis = sl_meta_topic_config(t, "min.insync.replicas");
        int32_t min_isr = mis ? (int32_t)atoi(mis) : b->cfg.log.log_defaults.min_insync_replicas;
        for (int32_t p = 0; p < t->npartitions; p++) {
            const sl_meta_partition_t *mp = &t->partitions[p];
            if (!sl_meta_partition_is_replica(mp, m->self))
                continue;
            sl__rep_t *r = sl__find(m, t->name, p);
            if (r && memcmp(r->topic_id, t->id, 16) != 0)
                r->role = SL__NONE, r->leader_epoch = -1; /* another topic of that name: start over */
            if (!r) {
                r = calloc(1, sizeof *r);
                if (!r)
                    continue;
                snprintf(r->topic, sizeof r->topic, "%s", t->name);
                r->partition = p;
                r->role = SL__NONE;
                r->leader_epoch = -1;
                uint32_t h = sl__hash(t->name, p);
                r->next = m->buckets[h];
                m->buckets[h] = r;
                m->nreps++;
            }
            memcpy(r->topic_id, t->id, 16);
            r->seen = 1;
            r->min_isr = min_isr;
            int32_t old_epoch = r->leader_epoch;
            int old_role = r->role;
            int new_role = mp->leader == m->self ? SL__LEADER : mp->leader >= 0 ? SL__FOLLOWER : SL__NONE;
            if (mp->partition_epoch != r->partition_epoch)
                r->isr_pending = 0;
            r->leader = mp->leader;
            r->leader_epoch = mp->leader_epoch;
            r->partition_epoch = mp->partition_epoch;
            r->nreplicas = mp->nreplicas < SL__MAXR ? mp->nreplicas : SL__MAXR;
            memcpy(r->replicas, mp->replicas, sizeof r->replicas[0] * (size_t)r->nreplicas);
            r->nisr = mp->nisr < SL__MAXR ? mp->nisr : SL__MAXR;
            memcpy(r->isr, mp->isr, sizeof r->isr[0] * (size_t)r->nisr);
            if (new_role != old_role || r->leader_epoch != old_epoch) {
                r->role = new_role;
                r->stalled_until_ms = 0;
                if (new_role == SL__LEADER)
                    sl__coord_note(&cc, r, 1);
                else if (old_role == SL__LEADER)
                    sl__coord_note(&cc, r, 0);
                if (new_role == SL__LEADER) {
                    sl__become_leader(m, r);
                } else if (new_role == SL__FOLLOWER) {
                    r->truncate_pending = 1;
                    sl__ensure_fetcher(m, r->leader);
                    sl_trace(SL_TRACE_INFO, "replica", "%s-%d: follower of %d at epoch %d", r->topic, p,
                             r->leader, r->leader_epoch);
                }
            }
            if (r->role == SL__LEADER)
                sl__advance_hw(m, r); /* the ISR may have shrunk */
        }
    }
    /* Replicas this broker no longer holds. */
    for (int i = 0; i < SL__BUCKETS; i++) {
        sl__rep_t **pp = &m->buckets[i];
        while (*pp) {
            sl__rep_t *r = *pp;
            if (r->seen) {
                pp = &r->next;
                continue;
            }
            *pp = r->next;
            m->nreps--;
            if (r->role == SL__LEADER)
                sl__coord_note(&cc, r, 0);
            free(r);
        }
    }
    /* A fetcher whose leader leads nothing of ours any more (it died, or was
     * paused and replaced) is waiting on it: cut its call short. */
    for (int f = 0; f < m->nfetchers; f++) {
        int used = 0;
        for (int i = 0; i < SL__BUCKETS && !used; i++)
            for (sl__rep_t *r = m->buckets[i]; r && !used; r = r->next)
                used = r->role == SL__FOLLOWER && r->leader == m->fetchers[f]->leader;
        if (!used && m->fetchers[f]->k)
            sl_kclient_shutdown(m->fetchers[f]->k);
    }
    pthread_cond_broadcast(&m->cond);    /* fetchers pick up their partitions */
    pthread_mutex_unlock(&m->mu);
    sl_meta_image_unref(img);
    for (int i = 0; i < cc.n; i++) {
        sl_err_t err = cc.v[i].acquired ? sl_group_coord_partition_acquired(b->groups, cc.v[i].partition, cc.v[i].epoch)
                                        : sl_group_coord_partition_lost(b->groups, cc.v[i].partition);
        if (err)
            sl_trace(SL_TRACE_WARN, "replica", "%s-%d: the group coordinator %s it: %s", SL_GROUP_OFFSETS_TOPIC,
                     cc.v[i].partition, cc.v[i].acquired ? "could not take" : "could not give up", sl_err_str(err));
    }
    free(cc.v);
    return 1;
}

/* An ISR change to ask for. */
typedef struct sl__isr_req {
    uint8_t topic_id[16];
    char topic[SL_META_MAX_TOPIC_NAME + 1];
    int32_t partition, leader_epoch, partition_epoch;
    int32_t isr[SL__MAXR], nisr;
} sl__isr_req_t;

/* The leaders' ISR checks (Kafka's maybeShrinkIsr / maybeExpandIsr): the
 * changes due, collected under m->mu, sent without it. */
static void sl__isr_checks(sl_replica_mgr_t *m)
{
    sl_broker_t *b = m->b;
    int64_t now = sl_now_ms();
    sl__isr_req_t *reqs = NULL;
    int n = 0, cap = 0;
    /* Only unfenced brokers may join an ISR (KIP-841): a dead follower that
     * had caught up is not asked for again and again. */
    if (!sl__cluster(b))
        return;
    const sl_meta_image_t *img = sl_cluster_image(sl__cluster(b));
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < SL__BUCKETS; i++)
        for (sl__rep_t *r = m->buckets[i]; r; r = r->next) {
            if (r->role != SL__LEADER || r->isr_pending || r->isr_retry_ms > now)
                continue;
            sl_topic_part_t *part = sl_topics_acquire(b->topics, r->topic, r->partition);
            if (!part)
                continue;
            int64_t hw = sl_log_high_watermark(sl_topic_part_log(part));
            sl_topics_release(b->topics, part);
            int32_t isr[SL__MAXR], nisr = 0;
            int changed = 0;
            for (int32_t k = 0; k < r->nreplicas; k++) {
                int32_t id = r->replicas[k];
                int in = sl__in(r->isr, r->nisr, id);
                if (id == m->self) {
                    if (in)
                        isr[nisr++] = id;
                    continue;
                }
                sl__follower_t *f = sl__fol(r, id);
                if (!f)
                    continue;
                if (in && now - f->caught_up_ms > b->cfg.replica_lag_time_max_ms) {
                    changed = 1; /* out: lagging */
                    continue;
                }
                /* In again once it has everything committed, and is fetching
                 * (caught up within the lag time: a paused follower whose last
                 * fetch was caught up must not flap in and out). */
                if (!in && f->leo >= hw && f->leo >= r->epoch_start && f->leo >= 0 &&
                    now - f->caught_up_ms <= b->cfg.replica_lag_time_max_ms && sl_meta_image_broker_unfenced(img, id)) {
                    isr[nisr++] = id; /* in: caught up */
                    changed = 1;
                    continue;
                }
                if (in)
                    isr[nisr++] = id;
            }
            if (!changed)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                sl__isr_req_t *v = realloc(reqs, sizeof *v * (size_t)cap);
                if (!v)
                    break;
                reqs = v;
            }
            sl__isr_req_t *q = &reqs[n++];
            memcpy(q->topic_id, r->topic_id, 16);
            snprintf(q->topic, sizeof q->topic, "%s", r->topic);
            q->partition = r->partition;
            q->leader_epoch = r->leader_epoch;
            q->partition_epoch = r->partition_epoch;
            memcpy(q->isr, isr, sizeof isr[0] * (size_t)nisr);
            q->nisr = nisr;
            r->isr_pending = 1;
        }
    pthread_mutex_unlock(&m->mu);
    sl_meta_image_unref(img);
    for (int i = 0; i < n; i++) {
        sl__isr_req_t *q = &reqs[i];
        sl_err_t err = sl_cluster_alter_isr_anywhere(sl__cluster(b), q->topic_id, q->partition, q->leader_epoch,
                                                     q->partition_epoch, q->isr, q->nisr);
        /* Refusals are expected now and then (a replica not unfenced yet, a
         * leadership moving): asked again later. */
        sl_trace(err && err != SL_ERR_INVALID_REQUEST && err != SL_ERR_NOT_LEADER_OR_FOLLOWER ? SL_TRACE_WARN
                                                                                              : SL_TRACE_INFO,
                 "replica", "%s-%d: asked for an ISR of %d: %s", q->topic, q->partition, q->nisr,
                 err ? sl_err_str(err) : "done");
        if (err) {
            pthread_mutex_lock(&m->mu);
            sl__rep_t *r = sl__find(m, q->topic, q->partition);
            if (r && r->partition_epoch == q->partition_epoch) {
                r->isr_pending = 0;
                r->isr_retry_ms = sl_now_ms() + 500;
            }
            pthread_mutex_unlock(&m->mu);
        }
    }
    free(reqs);
}

static void *sl__reconciler_main(void *arg)
{
    sl_replica_mgr_t *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        if (!m->stop && !m->image_dirty) {
            struct timespec ts = sl_deadline_in_ms(100);
            pthread_cond_timedwait(&m->cond, &m->mu, &ts);
        }
        int stop = m->stop, dirty = m->image_dirty;
        m->image_dirty = 0;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            break;
        if (dirty && !sl__cluster(m->b)) {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL); /* not joined yet: later */
            sl_replica_mgr_image(m);
            continue;
        }
        sl__parked_run(m); /* deadlines, leadership that moved */
        if (dirty && !sl__reconcile(m)) {
            struct timespec ts = {0, 20 * 1000000};
            nanosleep(&ts, NULL); /* not caught up yet: again soon */
            sl_replica_mgr_image(m);
            continue;
        }
        sl__isr_checks(m);
    }
    return NULL;
}

void sl_replica_mgr_image(sl_replica_mgr_t *m)
{
    pthread_mutex_lock(&m->mu);
    m->image_dirty = 1;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->mu);
}

sl_err_t sl_replica_mgr_start(sl_broker_t *b, sl_replica_mgr_t **out)
{
    sl_replica_mgr_t *m = calloc(1, sizeof *m);
    if (!m)
        return SL_ERR_NOMEM;
    m->b = b;
    m->self = b->cfg.node_id;
    m->image_dirty = 1;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cond, NULL);
    if (pthread_create(&m->thread, NULL, sl__reconciler_main, m) != 0) {
        sl_replica_mgr_stop(m);
        return SL_ERR_NOMEM;
    }
    pthread_setname_np(m->thread, "sl-replicas");
    m->started = 1;
    *out = m;
    return SL_OK;
}

void sl_replica_mgr_halt(sl_replica_mgr_t *m)
{
    if (!m || m->halted)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = 1;
    pthread_cond_broadcast(&m->cond);
    for (int i = 0; i < m->nfetchers; i++)
        if (m->fetchers[i]->k)
            sl_kclient_shutdown(m->fetchers[i]->k);
    pthread_mutex_unlock(&m->mu);
    if (m->started)
        pthread_join(m->thread, NULL);
    /* The reconciler has ended: no fetcher starts any more. */
    for (int i = 0; i < m->nfetchers; i++)
        pthread_join(m->fetchers[i]->thread, NULL);
    m->halted = 1;
    sl__parked_run(m); /* with stop set: every parked request answered */
}

void sl_replica_mgr_stop(sl_replica_mgr_t *m)
{
    if (!m)
        return;
    sl_replica_mgr_halt(m);
    for (int i = 0; i < m->nfetchers; i++) {
        sl_kclient_close(m->fetchers[i]->k);
        free(m->fetchers[i]);
    }
    free(m->fetchers);
    for (int i = 0; i < SL__BUCKETS; i++)
        for (sl__rep_t *r = m->buckets[i], *next; r; r = next) {
            next = r->next;
            free(r);
        }
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cond);
    free(m);
}
