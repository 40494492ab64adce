/* broker.c — the single-node broker's core: start and stop, meta.properties,
 * the request entry point (header decoding, version checks) and the fetch
 * purgatory that answers long-polling fetches when data arrives. The API
 * handlers are in handlers.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/server/broker_int.h"
#include "common/fsutil.h"
#include "common/trace.h"

/* ---- meta.properties --------------------------------------------------------- */

/* Kafka's cluster ids: a random UUID in URL-safe base64 without padding. */
static void sl__new_cluster_id(char out[23], const char *voters)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t u[18] = {0};
    if (voters && *voters) {
        /* The nodes of a cluster start with the same quorum list and no
         * `kafka-storage format` step: they derive the same id from it
         * (two FNV-1a hashes of the list). */
        uint64_t h1 = 14695981039346656037ull, h2 = 1099511628211ull * 31;
        for (const char *p = voters; *p; p++) {
            h1 = (h1 ^ (uint8_t)*p) * 1099511628211ull;
            h2 = (h2 ^ (uint8_t)*p) * 1099511628211ull + 0x9e3779b97f4a7c15ull;
        }
        for (int i = 0; i < 8; i++) {
            u[i] = (uint8_t)(h1 >> (8 * i));
            u[8 + i] = (uint8_t)(h2 >> (8 * i));
        }
    } else if (getrandom(u, 16, 0) != 16)
        for (int i = 0; i < 16; i++)
            u[i] = (uint8_t)rand();
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    int o = 0;
    for (int i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)u[i] << 16 | (uint32_t)u[i + 1] << 8 | u[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < 16)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < 16)
            out[o++] = b64[v & 63];
    }
    out[22] = 0;
}

/* Reads or writes <data dir>/meta.properties (cluster.id, node.id, version). */
static sl_err_t sl__meta_properties(sl_broker_t *b, char *errbuf, size_t errlen)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/meta.properties", b->cfg.data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[512];
        int32_t node = -1;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "cluster.id=%31s", b->cluster_id) == 1)
                continue;
            sscanf(line, "node.id=%" SCNd32, &node);
        }
        fclose(f);
        if (node >= 0 && node != b->cfg.node_id) {
            snprintf(errbuf, errlen, "%s says node.id=%" PRId32 " but this broker is node %" PRId32, path,
                     node, b->cfg.node_id);
            return SL_ERR_CONFIG;
        }
        if (b->cluster_id[0])
            return SL_OK;
    }
    sl__new_cluster_id(b->cluster_id, b->cfg.controller_quorum_voters);
    sl_atomic_file_t af;
    sl_err_t err = sl_atomic_file_open(&af, path);
    if (!err) {
        fprintf(af.f, "#\nversion=1\ncluster.id=%s\nnode.id=%" PRId32 "\n", b->cluster_id, b->cfg.node_id);
        err = sl_atomic_file_commit(&af);
    }
    if (err)
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
    return err;
}

/* ---- requests ------------------------------------------------------------------ */

/* The versions served: what the issue and the handlers cover, within what the
 * generated codecs know. Produce is advertised from v0 though v0-2 (message
 * formats 0 and 1) are refused per partition with UNSUPPORTED_VERSION, as
 * Kafka 4 does (KAFKA-18659): librdkafka up to 2.11 compresses with gzip and
 * snappy only for brokers that list Produce v0. */
static const struct {
    int16_t key, min, max;
} sl__served[] = {
    {SL_KAPI_PRODUCE, 0, 9},          {SL_KAPI_FETCH, 4, 12},
    {SL_KAPI_LIST_OFFSETS, 1, 7},     {SL_KAPI_METADATA, 0, 12},
    {SL_KAPI_API_VERSIONS, 0, 3},     {SL_KAPI_CREATE_TOPICS, 0, 7},
    {SL_KAPI_DELETE_TOPICS, 0, 6},    {SL_KAPI_DELETE_RECORDS, 0, 2},
    {SL_KAPI_INIT_PRODUCER_ID, 0, 4}, {SL_KAPI_DESCRIBE_CONFIGS, 0, 4},
    {SL_KAPI_ALTER_CONFIGS, 0, 2},    {SL_KAPI_CREATE_PARTITIONS, 0, 3},
    {SL_KAPI_INCREMENTAL_ALTER_CONFIGS, 0, 1}, {SL_KAPI_DESCRIBE_CLUSTER, 0, 0},
    /* the controller's, between the brokers of a cluster */
    {SL_KAPI_BROKER_REGISTRATION, 0, 4}, {SL_KAPI_BROKER_HEARTBEAT, 0, 1},
    {SL_KAPI_ALTER_PARTITION, 2, 3},      {SL_KAPI_OFFSET_FOR_LEADER_EPOCH, 0, 4},
    {SL_KAPI_ELECT_LEADERS, 0, 2},
    /* the group coordinator (group_handlers.c) */
    {SL_KAPI_FIND_COORDINATOR, 0, 4}, {SL_KAPI_JOIN_GROUP, 0, 9},
    {SL_KAPI_SYNC_GROUP, 0, 5},       {SL_KAPI_HEARTBEAT, 0, 4},
    {SL_KAPI_LEAVE_GROUP, 0, 5},      {SL_KAPI_OFFSET_COMMIT, 2, 8},
    {SL_KAPI_OFFSET_FETCH, 1, 8},     {SL_KAPI_LIST_GROUPS, 0, 4},
    {SL_KAPI_DESCRIBE_GROUPS, 0, 5},  {SL_KAPI_DELETE_GROUPS, 0, 2},
    {SL_KAPI_OFFSET_DELETE, 0, 0},
};

int sl__broker_supported(int16_t key, int16_t *min, int16_t *max)
{
    for (size_t i = 0; i < sizeof sl__served / sizeof sl__served[0]; i++)
        if (sl__served[i].key == key) {
            if (min)
                *min = sl__served[i].min;
            if (max)
                *max = sl__served[i].max;
            return 1;
        }
    return 0;
}

void sl__req_free(sl__req_t *q)
{
    if (!q)
        return;
    sl_arena_free(&q->arena);
    free(q);
}

sl_err_t sl__req_header(sl__req_t *q, sl_outbuf_t *ob)
{
    sl_kmsg_response_header_t h;
    sl_kmsg_response_header_init(&h);
    h.correlation_id = q->hdr.correlation_id;
    return sl_kmsg_response_header_encode(ob, sl_kmsg_response_header_version(q->key, q->version), &h);
}

void sl__req_respond(sl__req_t *q, sl_outbuf_t *ob)
{
    sl_net_respond(q->nreq, ob);
    sl_outbuf_free(ob);
    sl__req_free(q);
}

/* KIP-511: an ApiVersions request of a version we do not know is answered in
 * version 0 with UNSUPPORTED_VERSION and the versions we do serve, so that
 * the client can pick one. */
static void sl__api_versions_unsupported(sl__req_t *q)
{
    sl_kmsg_api_versions_response_t resp;
    sl_kmsg_api_versions_response_init(&resp);
    resp.error_code = (int16_t)sl_err_kafka_code(SL_ERR_UNSUPPORTED_VERSION);
    int n = (int)(sizeof sl__served / sizeof sl__served[0]);
    resp.api_keys.items = sl_arena_alloc(&q->arena, (size_t)n * sizeof *resp.api_keys.items);
    resp.api_keys.count = resp.api_keys.items ? n : 0;
    for (int i = 0; i < resp.api_keys.count; i++)
        resp.api_keys.items[i] = (sl_kmsg_api_versions_response_api_version_t){
            sl__served[i].key, sl__served[i].min, sl__served[i].max};
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    sl_kmsg_response_header_t h = {q->hdr.correlation_id};
    if (sl_kmsg_response_header_encode(&ob, 0, &h) || sl_kmsg_api_versions_response_encode(&ob, 0, &resp)) {
        sl_outbuf_free(&ob);
        sl_net_close(q->nreq);
        sl__req_free(q);
        return;
    }
    sl__req_respond(q, &ob);
}

static void sl__handle(void *opaque, sl_net_request_t *nreq)
{
    sl_broker_t *b = opaque;
    size_t len;
    const uint8_t *data = sl_net_request_data(nreq, &len);
    if (len < 8) {
        sl_trace(SL_TRACE_WARN, "broker", "%s: a request of %zu bytes is too short; closing",
                 sl_net_request_peer(nreq), len);
        sl_net_close(nreq);
        return;
    }
    sl__req_t *q = calloc(1, sizeof *q);
    if (!q) {
        sl_net_close(nreq);
        return;
    }
    q->b = b;
    q->nreq = nreq;
    q->arena.chunk_size = 16384;
    q->key = (int16_t)sl_load_be16(data);
    q->version = (int16_t)sl_load_be16(data + 2);
    q->hdr.correlation_id = (int32_t)sl_load_be32(data + 4);
    int16_t min = 0, max = -1;
    int served = sl__broker_supported(q->key, &min, &max);
    if (q->key == SL_KAPI_API_VERSIONS && (q->version > max || q->version < min)) {
        sl__api_versions_unsupported(q);
        return;
    }
    if (!served || q->version < min || q->version > max) {
        sl_trace(SL_TRACE_WARN, "broker", "%s: %s api key %d version %d; closing",
                 sl_net_request_peer(nreq), served ? "unsupported version of" : "unknown", q->key, q->version);
        sl_net_close(nreq);
        sl__req_free(q);
        return;
    }
    sl_kreader_t r = sl_kreader_make(data, len);
    sl_err_t err = sl_kmsg_request_header_decode(&r, sl_kmsg_request_header_version(q->key, q->version),
                                                 &q->arena, &q->hdr);
    if (err) {
        sl_trace(SL_TRACE_WARN, "broker", "%s: bad request header (%s); closing", sl_net_request_peer(nreq),
                 sl_err_str(err));
        sl_net_close(nreq);
        sl__req_free(q);
        return;
    }
    sl__dispatch(q, &r);
}

/* ---- the fetch purgatory ----------------------------------------------------------- */

struct sl__fetch_wait {
    sl__req_t *q;
    void *request;
    int64_t deadline_ms;
    uint64_t seen_seq; /* append_seq when last tried */
    sl__fetch_wait_t *next;
};

void sl__broker_notify_append(sl_broker_t *b)
{
    pthread_mutex_lock(&b->wait_mu);
    b->append_seq++;
    if (b->waiters)
        pthread_cond_signal(&b->wait_cond);
    pthread_cond_broadcast(&b->append_cond);
    pthread_mutex_unlock(&b->wait_mu);
}

void sl__broker_park_fetch(sl_broker_t *b, sl__req_t *q, void *request, int64_t deadline_ms)
{
    sl__fetch_wait_t *w = malloc(sizeof *w);
    if (!w) {
        sl__fetch_try(q, request, 1);
        return;
    }
    pthread_mutex_lock(&b->wait_mu);
    *w = (sl__fetch_wait_t){q, request, deadline_ms, b->append_seq, b->waiters};
    /* An append between the handler's try and now must not be missed. */
    if (w->seen_seq > 0)
        w->seen_seq--;
    b->waiters = w;
    pthread_cond_signal(&b->wait_cond);
    pthread_mutex_unlock(&b->wait_mu);
}

/* Retries waiting fetches when data arrived, answers them at their deadline.
 * One thread: a fetch is only ever tried by one thread at a time. */
static void *sl__purgatory(void *arg)
{
    sl_broker_t *b = arg;
    pthread_mutex_lock(&b->wait_mu);
    for (;;) {
        int64_t now = sl_now_ms();
        int64_t next = now + 1000;
        for (sl__fetch_wait_t *w = b->waiters; w; w = w->next)
            if (w->deadline_ms < next)
                next = w->deadline_ms;
        int due = b->wait_stop;
        for (sl__fetch_wait_t *w = b->waiters; w && !due; w = w->next)
            if (w->seen_seq != b->append_seq || w->deadline_ms <= now)
                due = 1;
        if (!due) {
            struct timespec ts = {next / 1000, (next % 1000) * 1000000};
            pthread_cond_timedwait(&b->wait_cond, &b->wait_mu, &ts);
            continue;
        }
        /* Take the list; try each without the lock; put back the unanswered. */
        sl__fetch_wait_t *list = b->waiters;
        b->waiters = NULL;
        uint64_t seq = b->append_seq;
        int stopping = b->wait_stop;
        pthread_mutex_unlock(&b->wait_mu);
        sl__fetch_wait_t *keep = NULL;
        now = sl_now_ms();
        while (list) {
            sl__fetch_wait_t *w = list;
            list = w->next;
            int final = stopping || w->deadline_ms <= now;
            if ((final || w->seen_seq != seq) && sl__fetch_try(w->q, w->request, final)) {
                free(w);
                continue;
            }
            w->seen_seq = seq;
            w->next = keep;
            keep = w;
        }
        pthread_mutex_lock(&b->wait_mu);
        while (keep) {
            sl__fetch_wait_t *w = keep;
            keep = w->next;
            w->next = b->waiters;
            b->waiters = w;
        }
        if (stopping && !b->waiters)
            break;
    }
    pthread_mutex_unlock(&b->wait_mu);
    return NULL;
}

/* ---- start and stop ------------------------------------------------------------------ */

/* The group coordinator's writes to __consumer_offsets in a cluster: appended
 * as the partition's leader (sl__group_append), answered once the ISR has
 * them (sl__group_wait; Kafka's offsets.commit.timeout.ms, 5 s, bounds the
 * wait). */
static sl_err_t sl__group_append(void *opaque, int32_t partition, int32_t leader_epoch, uint8_t *records, size_t len,
                                 int64_t *end_offset)
{
    sl_broker_t *b = opaque;
    sl_replica_view_t v;
    if (!b->replicas || !sl_replica_view(b->replicas, SL_GROUP_OFFSETS_TOPIC, partition, &v) || !v.is_leader)
        return SL_ERR_NOT_LEADER_OR_FOLLOWER;
    if (v.leader_epoch != leader_epoch)
        return SL_ERR_FENCED_LEADER_EPOCH;
    if (v.nisr < v.min_isr)
        return SL_ERR_NOT_ENOUGH_REPLICAS;
    sl_topic_part_t *part = sl_topics_acquire(b->topics, SL_GROUP_OFFSETS_TOPIC, partition);
    if (!part)
        return SL_ERR_UNKNOWN_TOPIC;
    pthread_mutex_t *mu = sl_topic_part_produce_lock(part);
    sl_log_append_info_t info;
    pthread_mutex_lock(mu);
    sl_err_t err = sl_log_append(sl_topic_part_log(part), records, len, leader_epoch, 0, &info);
    pthread_mutex_unlock(mu);
    sl_topics_release(b->topics, part);
    if (err)
        return err;
    sl_replica_leader_appended(b->replicas, SL_GROUP_OFFSETS_TOPIC, partition);
    sl__broker_notify_append(b); /* the followers' fetches wait for it */
    *end_offset = info.last_offset + 1;
    return SL_OK;
}

static sl_err_t sl__group_wait(void *opaque, int32_t partition, int64_t end_offset)
{
    sl_broker_t *b = opaque;
    return sl_replica_wait_hw(b->replicas, SL_GROUP_OFFSETS_TOPIC, partition, end_offset, sl_now_ms() + 5000);
}

static void sl__on_conn_close(void *opaque, uint64_t conn)
{
    sl_broker_t *b = opaque;
    sl_cluster_t *c = __atomic_load_n(&b->cluster, __ATOMIC_ACQUIRE);
    if (c)
        sl_cluster_connection_closed(c, conn);
}

static void sl__on_image(void *opaque, const sl_meta_image_t *img)
{
    (void)img;
    sl_broker_t *b = opaque;
    if (b->replicas)
        sl_replica_mgr_image(b->replicas);
}

sl_err_t sl_broker_start(const sl_broker_config_t *cfg, sl_broker_t **out, char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    sl_broker_t *b = calloc(1, sizeof *b);
    if (!b)
        return SL_ERR_NOMEM;
    b->cfg = *cfg;
    b->lock_fd = -1;
    pthread_mutex_init(&b->wait_mu, NULL);
    pthread_cond_init(&b->wait_cond, NULL);
    pthread_cond_init(&b->append_cond, NULL);
    sl_err_t err = SL_OK;
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "%s: %s", cfg->data_dir, strerror(errno));
        err = SL_ERR_IO;
    }
    if (!err) {
        /* Two processes on one data directory would corrupt it: Kafka's .lock. */
        char lock[2048];
        snprintf(lock, sizeof lock, "%s/.lock", cfg->data_dir);
        b->lock_fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
        if (b->lock_fd < 0 || flock(b->lock_fd, LOCK_EX | LOCK_NB) != 0) {
            snprintf(errbuf, errlen, "%s: %s", cfg->data_dir,
                     errno == EWOULDBLOCK ? "data directory in use by another broker" : strerror(errno));
            err = SL_ERR_IO;
        }
    }
    if (!err)
        err = sl__meta_properties(b, errbuf, errlen);
    if (!err)
        err = sl_logmgr_open(cfg->data_dir, &cfg->log, &b->logs, errbuf, errlen);
    if (!err)
        err = sl_topics_open(b->logs, cfg->data_dir, &cfg->log.log_defaults, &b->topics, errbuf, errlen);
    if (!err && (err = sl_pid_alloc_open(cfg->data_dir, &b->pids)) != SL_OK)
        snprintf(errbuf, errlen, "%s/producer-id-block: %s", cfg->data_dir, sl_err_str(err));
    if (!err) {
        sl_group_config_t gc = {
            .offsets_topic_num_partitions = cfg->offsets_topic_num_partitions,
            .offsets_retention_ms = cfg->offsets_retention_minutes * 60000,
            .offsets_retention_check_ms = 600000,
            .initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms,
            .min_session_timeout_ms = cfg->group_min_session_timeout_ms,
            .max_session_timeout_ms = cfg->group_max_session_timeout_ms,
            .offset_metadata_max_bytes = 4096,
        };
        /* In a cluster the coordinator of a group is the leader of its
         * partition of __consumer_offsets (the replicas' manager tells it
         * which it leads), and its writes are replicated. */
        sl_group_hooks_t hooks = {.append = sl__group_append, .wait = sl__group_wait, .opaque = b};
        err = sl_group_coord_start_with(b->topics, &gc, cfg->controller_quorum_voters[0] ? &hooks : NULL, &b->groups,
                                        errbuf, errlen);
    }
    if (!err)
        err = sl_logmgr_start(b->logs);
    if (!err) {
        if (pthread_create(&b->wait_thread, NULL, sl__purgatory, b) != 0)
            err = SL_ERR_NOMEM;
        else {
            pthread_setname_np(b->wait_thread, "sl-fetch-wait");
            b->wait_started = 1;
        }
    }
    if (!err && cfg->controller_quorum_voters[0]) {
        /* A node of a cluster serves nothing as a single node, not even
         * before it has joined: the replicas' manager (which answers "not
         * the leader" until the metadata says otherwise) comes first. */
        b->clustered = 1;
        err = sl_replica_mgr_start(b, &b->replicas);
    }
    if (!err) {
        sl_net_config_t nc = cfg->net;
        snprintf(nc.host, sizeof nc.host, "%s", cfg->listener_host);
        nc.port = cfg->listener_port;
        err = sl_net_start(&nc, sl__handle, b, &b->net, errbuf, errlen);
    }
    if (err) {
        sl_broker_stop(b);
        return err;
    }
    /* What clients are told to connect to: advertised.listeners, else the
     * listener (all interfaces advertise as localhost). */
    if (cfg->advertised_host[0]) {
        snprintf(b->adv_host, sizeof b->adv_host, "%s", cfg->advertised_host);
        b->adv_port = cfg->advertised_port ? cfg->advertised_port : sl_net_port(b->net);
    } else {
        const char *h = cfg->listener_host;
        snprintf(b->adv_host, sizeof b->adv_host, "%s",
                 !h[0] || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0 ? "localhost" : h);
        b->adv_port = sl_net_port(b->net);
    }
    if (cfg->controller_quorum_voters[0]) {
        /* Join the cluster (the replicas' manager, started above, hears of
         * every metadata image the quorum applies, its replay included). */
        sl_cluster_t *c = NULL;
        err = sl_cluster_start(cfg, b->adv_host, b->adv_port, sl__on_image, b, &c, errbuf, errlen);
        if (err) {
            sl_broker_stop(b);
            return err;
        }
        __atomic_store_n(&b->cluster, c, __ATOMIC_RELEASE);
        sl_replica_mgr_image(b->replicas);
        sl_net_set_close_hook(b->net, sl__on_conn_close);
    }
    sl_trace(SL_TRACE_INFO, "broker", "node %" PRId32 " of cluster %s serving on %s:%d, data in %s",
             cfg->node_id, b->cluster_id, b->adv_host, b->adv_port, cfg->data_dir);
    *out = b;
    return SL_OK;
}

int sl_broker_port(const sl_broker_t *b) { return sl_net_port(b->net); }

const char *sl_broker_cluster_id(const sl_broker_t *b) { return b->cluster_id; }

/* ---- for in-process clients --------------------------------------------------------- */

sl_topics_t *sl_broker_topics(sl_broker_t *b) { return b->topics; }

sl_group_coord_t *sl_broker_groups(sl_broker_t *b) { return b->groups; }

const sl_broker_config_t *sl_broker_config(const sl_broker_t *b) { return &b->cfg; }

void sl_broker_offset_commit(sl_broker_t *b, int16_t version, const sl_kmsg_offset_commit_request_t *req,
                             sl_kmsg_offset_commit_response_t *resp, sl_arena_t *a)
{
    sl_group_offset_commit(b->groups, version, req, resp, a);
    sl__broker_notify_append(b);
}

uint64_t sl_broker_append_seq(sl_broker_t *b)
{
    pthread_mutex_lock(&b->wait_mu);
    uint64_t seq = b->append_seq;
    pthread_mutex_unlock(&b->wait_mu);
    return seq;
}

uint64_t sl_broker_wait_append(sl_broker_t *b, uint64_t seen, int64_t deadline_ms)
{
    pthread_mutex_lock(&b->wait_mu);
    if (b->append_seq == seen && !b->wait_stop) {
        struct timespec ts = {deadline_ms / 1000, (deadline_ms % 1000) * 1000000};
        pthread_cond_timedwait(&b->append_cond, &b->wait_mu, &ts);
    }
    uint64_t seq = b->append_seq;
    pthread_mutex_unlock(&b->wait_mu);
    return seq;
}

void sl_broker_wake_readers(sl_broker_t *b)
{
    pthread_mutex_lock(&b->wait_mu);
    /* Bumped, so that a reader that read the counter but is not waiting yet
     * does not sleep through this wakeup. Parked fetches merely retry. */
    b->append_seq++;
    pthread_cond_broadcast(&b->append_cond);
    pthread_mutex_unlock(&b->wait_mu);
}

void sl_broker_stop(sl_broker_t *b)
{
    if (!b)
        return;
    /* No new requests; handlers finish what they hold. */
    if (b->net)
        sl_net_shutdown(b->net);
    /* A cluster's replicas stop following and reconciling first: the
     * reconciler hands partitions to the group coordinator. */
    sl_replica_mgr_halt(b->replicas);
    /* Held JoinGroup/SyncGroup requests are answered (NOT_COORDINATOR). */
    sl_group_coord_stop(b->groups);
    /* Waiting fetches are answered (the answers are dropped by the network
     * layer now), then the purgatory thread ends. */
    if (b->wait_started) {
        pthread_mutex_lock(&b->wait_mu);
        b->wait_stop = 1;
        pthread_cond_signal(&b->wait_cond);
        pthread_cond_broadcast(&b->append_cond);
        pthread_mutex_unlock(&b->wait_mu);
        pthread_join(b->wait_thread, NULL);
    }
    /* Connections close (the close hook still reaches the cluster); then
     * the controlled shutdown (leadership moves away) and the quorum voter,
     * whose thread tells the (halted) replicas' manager of new images until
     * it ends; then the manager is freed. */
    sl_net_destroy(b->net);
    sl_cluster_stop(b->cluster);
    sl_replica_mgr_stop(b->replicas);
    sl_topics_close(b->topics);
    sl_logmgr_close(b->logs); /* flushes, checkpoints, marks a clean shutdown */
    sl_pid_alloc_close(b->pids);
    if (b->lock_fd >= 0)
        close(b->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&b->wait_mu);
    pthread_cond_destroy(&b->wait_cond);
    pthread_cond_destroy(&b->append_cond);
    free(b);
}
