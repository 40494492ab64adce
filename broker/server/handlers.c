/* handlers.c — the broker's request handlers, one per Kafka API: decode the
 * body, do the work against the topic catalogue and the logs, encode the
 * answer. Run on the network layer's handler threads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/broker_int.h"
#include "common/trace.h"

#define SL__ALLOC(q, T, n) ((T *)sl_arena_alloc(&(q)->arena, (size_t)(n) * sizeof(T)))

/* A NUL-terminated copy of a wire string in arena a. */
static char *sl__cstr_in(sl_arena_t *a, sl_kstr_t s)
{
    if (s.len < 0)
        return NULL;
    char *p = sl_arena_alloc(a, (size_t)s.len + 1);
    if (p) {
        memcpy(p, s.data, (size_t)s.len);
        p[s.len] = 0;
    }
    return p;
}

/* A NUL-terminated copy of a wire string in the request's arena. */
static char *sl__cstr(sl__req_t *q, sl_kstr_t s) { return sl__cstr_in(&q->arena, s); }

/* A wire string of a C string, copied into the arena (responses outlive stack buffers). */
static sl_kstr_t sl__kstr_dup(sl__req_t *q, const char *s)
{
    size_t n = strlen(s);
    char *p = sl_arena_memdup(&q->arena, s, n);
    return p ? (sl_kstr_t){p, (int32_t)n} : SL_KSTR_NULL;
}

static int16_t sl__code(sl_err_t err) { return (int16_t)(err ? sl_err_kafka_code(err) : 0); }

/* ---- ApiVersions ------------------------------------------------------------------ */

static void sl__api_versions(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_api_versions_request_t *req;
    SL__DECODE(q, r, api_versions_request, req);
    if (!req)
        return;
    sl_kmsg_api_versions_response_t resp;
    sl_kmsg_api_versions_response_init(&resp);
    int n = 0;
    for (int i = 0; i < SL_KMSG_API_COUNT; i++)
        n += sl__broker_supported(sl_kmsg_apis[i].key, NULL, NULL);
    resp.api_keys.items = SL__ALLOC(q, sl_kmsg_api_versions_response_api_version_t, n);
    resp.api_keys.count = 0;
    for (int i = 0; i < SL_KMSG_API_COUNT && resp.api_keys.items; i++) {
        int16_t min, max;
        if (sl__broker_supported(sl_kmsg_apis[i].key, &min, &max))
            resp.api_keys.items[resp.api_keys.count++] =
                (sl_kmsg_api_versions_response_api_version_t){sl_kmsg_apis[i].key, min, max};
    }
    SL__RESPOND(q, api_versions_response, &resp);
}

/* ---- Metadata ------------------------------------------------------------------------- */

static int32_t *sl__one_node(sl__req_t *q)
{
    int32_t *n = SL__ALLOC(q, int32_t, 1);
    if (n)
        *n = q->b->cfg.node_id;
    return n;
}

/* Fills a topic's metadata: every partition led by this node. */
static void sl__metadata_topic(sl__req_t *q, const sl_topic_info_t *info,
                               sl_kmsg_metadata_response_metadata_response_topic_t *t)
{
    sl_kmsg_metadata_response_metadata_response_topic_init(t);
    t->name = sl__kstr_dup(q, info->name);
    memcpy(t->topic_id, info->id, 16);
    t->is_internal = (uint8_t)info->internal;
    t->partitions.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_partition_t, info->partitions);
    t->partitions.count = t->partitions.items ? info->partitions : 0;
    for (int32_t p = 0; p < t->partitions.count; p++) {
        sl_kmsg_metadata_response_metadata_response_partition_t *mp = &t->partitions.items[p];
        sl_kmsg_metadata_response_metadata_response_partition_init(mp);
        mp->partition_index = p;
        mp->leader_id = q->b->cfg.node_id;
        mp->leader_epoch = 0;
        mp->replica_nodes = (sl_kint32_array_t){sl__one_node(q), 1};
        mp->isr_nodes = (sl_kint32_array_t){sl__one_node(q), 1};
        mp->offline_replicas = (sl_kint32_array_t){NULL, 0};
    }
}

typedef struct {
    sl__req_t *q;
    sl_kmsg_metadata_response_t *resp;
    int cap;
} sl__md_all_t;

static void sl__metadata_add(void *opaque, const sl_topic_info_t *info)
{
    sl__md_all_t *a = opaque;
    if (a->resp->topics.count < a->cap)
        sl__metadata_topic(a->q, info, &a->resp->topics.items[a->resp->topics.count++]);
}

static void sl__count_topic(void *opaque, const sl_topic_info_t *info)
{
    (void)info;
    (*(int *)opaque)++;
}

/* ---- Metadata in a cluster: from the metadata image ------------------------------------- */

static int32_t *sl__ids_dup(sl__req_t *q, const int32_t *ids, int32_t n)
{
    int32_t *p = SL__ALLOC(q, int32_t, n > 0 ? n : 1);
    if (p && n > 0)
        memcpy(p, ids, sizeof *p * (size_t)n);
    return p;
}

static void sl__metadata_cluster_topic(sl__req_t *q, const sl_meta_image_t *img, const sl_meta_topic_t *mt,
                                       sl_kmsg_metadata_response_metadata_response_topic_t *t)
{
    sl_kmsg_metadata_response_metadata_response_topic_init(t);
    t->name = sl__kstr_dup(q, mt->name);
    memcpy(t->topic_id, mt->id, 16);
    t->is_internal = strncmp(mt->name, "__", 2) == 0;
    t->partitions.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_partition_t, mt->npartitions);
    t->partitions.count = t->partitions.items ? mt->npartitions : 0;
    for (int32_t p = 0; p < t->partitions.count; p++) {
        const sl_meta_partition_t *mp = &mt->partitions[p];
        sl_kmsg_metadata_response_metadata_response_partition_t *rp = &t->partitions.items[p];
        sl_kmsg_metadata_response_metadata_response_partition_init(rp);
        rp->partition_index = p;
        rp->leader_id = mp->leader;
        rp->leader_epoch = mp->leader_epoch;
        if (mp->leader == SL_META_NO_LEADER)
            rp->error_code = sl__code(SL_ERR_LEADER_NOT_AVAILABLE);
        rp->replica_nodes = (sl_kint32_array_t){sl__ids_dup(q, mp->replicas, mp->nreplicas), mp->nreplicas};
        rp->isr_nodes = (sl_kint32_array_t){sl__ids_dup(q, mp->isr, mp->nisr), mp->nisr};
        int32_t *off = SL__ALLOC(q, int32_t, mp->nreplicas);
        int32_t noff = 0;
        for (int32_t i = 0; off && i < mp->nreplicas; i++)
            if (!sl_meta_image_broker_unfenced(img, mp->replicas[i]))
                off[noff++] = mp->replicas[i];
        rp->offline_replicas = (sl_kint32_array_t){off, noff};
    }
}

static void sl__metadata_cluster(sl__req_t *q, sl_kmsg_metadata_request_t *req, sl_cluster_t *c)
{
    sl_broker_t *b = q->b;
    sl_kmsg_metadata_response_t resp;
    sl_kmsg_metadata_response_init(&resp);
    const sl_meta_image_t *img = sl_cluster_image(c);
    /* Topics asked for that do not exist are created first (auto-create). */
    int all = req->topics.count < 0 || (q->version == 0 && req->topics.count == 0);
    int auto_create = b->cfg.auto_create_topics_enable && (q->version < 4 || req->allow_auto_topic_creation);
    int created = 0;
    for (int i = 0; !all && auto_create && i < req->topics.count; i++) {
        char *name = sl__cstr(q, req->topics.items[i].name);
        if (name && sl_topic_name_valid(name) && strncmp(name, "__", 2) != 0 &&
            !sl_meta_image_topic_by_name(img, name)) {
            char err[256] = "";
            sl_err_t e = sl_cluster_create_topic_anywhere(c, name, -1, -1, NULL, NULL, 0, err, sizeof err);
            if (e && e != SL_ERR_TOPIC_EXISTS)
                sl_trace(SL_TRACE_WARN, "broker", "auto-creating topic %s: %s", name, err[0] ? err : sl_err_str(e));
            else
                created = 1;
        }
    }
    if (created) {
        sl_meta_image_unref(img);
        img = sl_cluster_image(c);
    }
    int nb = (int)sl_meta_image_broker_count(img);
    resp.brokers.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_broker_t, nb);
    resp.brokers.count = 0;
    for (int i = 0; resp.brokers.items && i < nb; i++) {
        const sl_meta_broker_t *br = sl_meta_image_broker_at(img, (size_t)i);
        if (br->fenced)
            continue;
        sl_kmsg_metadata_response_metadata_response_broker_t *rb = &resp.brokers.items[resp.brokers.count++];
        sl_kmsg_metadata_response_metadata_response_broker_init(rb);
        rb->node_id = br->id;
        rb->host = sl__kstr_dup(q, br->host);
        rb->port = br->port;
    }
    resp.cluster_id = sl_kstr_from(b->cluster_id);
    resp.controller_id = sl_cluster_controller(c);
    if (all) {
        int n = (int)sl_meta_image_topic_count(img);
        resp.topics.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_topic_t, n);
        resp.topics.count = resp.topics.items ? n : 0;
        for (int i = 0; i < resp.topics.count; i++)
            sl__metadata_cluster_topic(q, img, sl_meta_image_topic_at(img, (size_t)i), &resp.topics.items[i]);
    } else {
        int n = req->topics.count;
        resp.topics.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_topic_t, n);
        resp.topics.count = resp.topics.items ? n : 0;
        for (int i = 0; i < resp.topics.count; i++) {
            sl_kmsg_metadata_request_metadata_request_topic_t *rt = &req->topics.items[i];
            sl_kmsg_metadata_response_metadata_response_topic_t *t = &resp.topics.items[i];
            char *name = sl__cstr(q, rt->name);
            const sl_meta_topic_t *mt = name ? sl_meta_image_topic_by_name(img, name)
                                             : sl_meta_image_topic_by_id(img, rt->topic_id);
            if (mt) {
                sl__metadata_cluster_topic(q, img, mt, t);
                continue;
            }
            sl_kmsg_metadata_response_metadata_response_topic_init(t);
            t->name = rt->name;
            memcpy(t->topic_id, rt->topic_id, 16);
            t->error_code = sl__code(name && !sl_topic_name_valid(name) ? SL_ERR_INVALID_TOPIC
                                     : created                       ? SL_ERR_LEADER_NOT_AVAILABLE
                                                                     : SL_ERR_UNKNOWN_TOPIC);
            t->partitions = (sl_kmsg_metadata_response_metadata_response_partition_array_t){NULL, 0};
        }
    }
    sl_meta_image_unref(img);
    SL__RESPOND(q, metadata_response, &resp);
}

static void sl__metadata(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_metadata_request_t *req;
    SL__DECODE(q, r, metadata_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_cluster_t *c = sl__cluster(b);
    if (c) {
        sl__metadata_cluster(q, req, c);
        return;
    }
    sl_kmsg_metadata_response_t resp;
    sl_kmsg_metadata_response_init(&resp);
    resp.brokers.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_broker_t, 1);
    if (resp.brokers.items) {
        resp.brokers.count = 1;
        sl_kmsg_metadata_response_metadata_response_broker_init(&resp.brokers.items[0]);
        resp.brokers.items[0].node_id = b->cfg.node_id;
        resp.brokers.items[0].host = sl_kstr_from(b->adv_host);
        resp.brokers.items[0].port = b->adv_port;
    }
    resp.cluster_id = sl_kstr_from(b->cluster_id);
    resp.controller_id = b->cfg.node_id;
    if (b->clustered) {
        /* A node of a cluster that has not joined yet knows no topics. */
        resp.controller_id = -1;
        int n = req->topics.count > 0 ? req->topics.count : 0;
        resp.topics.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_topic_t, n);
        resp.topics.count = resp.topics.items ? n : 0;
        for (int i = 0; i < resp.topics.count; i++) {
            sl_kmsg_metadata_response_metadata_response_topic_t *t = &resp.topics.items[i];
            sl_kmsg_metadata_response_metadata_response_topic_init(t);
            t->name = req->topics.items[i].name;
            memcpy(t->topic_id, req->topics.items[i].topic_id, 16);
            t->error_code = sl__code(SL_ERR_LEADER_NOT_AVAILABLE);
            t->partitions = (sl_kmsg_metadata_response_metadata_response_partition_array_t){NULL, 0};
        }
        SL__RESPOND(q, metadata_response, &resp);
        return;
    }

    /* v0: an empty list means all topics; v1+: null means all. */
    int all = req->topics.count < 0 || (q->version == 0 && req->topics.count == 0);
    if (all) {
        int n = 0;
        sl_topics_list(b->topics, sl__count_topic, &n);
        n += 16; /* topics created meanwhile are simply left out */
        resp.topics.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_topic_t, n);
        resp.topics.count = 0;
        sl__md_all_t a = {q, &resp, resp.topics.items ? n : 0};
        sl_topics_list(b->topics, sl__metadata_add, &a);
    } else {
        int n = req->topics.count;
        resp.topics.items = SL__ALLOC(q, sl_kmsg_metadata_response_metadata_response_topic_t, n);
        resp.topics.count = resp.topics.items ? n : 0;
        int auto_create = b->cfg.auto_create_topics_enable && (q->version < 4 || req->allow_auto_topic_creation);
        for (int i = 0; i < resp.topics.count; i++) {
            sl_kmsg_metadata_request_metadata_request_topic_t *rt = &req->topics.items[i];
            sl_kmsg_metadata_response_metadata_response_topic_t *t = &resp.topics.items[i];
            sl_topic_info_t info;
            char *name = sl__cstr(q, rt->name);
            int found = 0;
            if (name)
                found = sl_topics_get(b->topics, name, &info);
            else if (!sl_kuuid_is_zero(rt->topic_id))
                found = sl_topics_get_by_id(b->topics, rt->topic_id, &info);
            if (!found && name && auto_create && sl_topic_name_valid(name) && strncmp(name, "__", 2) != 0) {
                char err[256];
                sl_err_t e = sl_topics_create(b->topics, name, b->cfg.num_partitions, NULL, NULL, 0, 0,
                                              NULL, err, sizeof err);
                if (e && e != SL_ERR_TOPIC_EXISTS)
                    sl_trace(SL_TRACE_WARN, "broker", "auto-creating topic %s: %s", name, err);
                else
                    sl_trace(SL_TRACE_INFO, "broker", "created topic %s on first use", name);
                found = sl_topics_get(b->topics, name, &info);
            }
            if (found) {
                sl__metadata_topic(q, &info, t);
                continue;
            }
            sl_kmsg_metadata_response_metadata_response_topic_init(t);
            t->name = rt->name;
            memcpy(t->topic_id, rt->topic_id, 16);
            t->error_code = sl__code(name && !sl_topic_name_valid(name) ? SL_ERR_INVALID_TOPIC : SL_ERR_UNKNOWN_TOPIC);
            t->partitions = (sl_kmsg_metadata_response_metadata_response_partition_array_t){NULL, 0};
        }
    }
    SL__RESPOND(q, metadata_response, &resp);
}

/* ---- Produce ----------------------------------------------------------------------------- */

/* Appends one partition's records for a producer, with the idempotence checks. */
static sl_err_t sl__produce_partition(sl_broker_t *b, sl_topic_part_t *part, uint8_t *data, size_t len,
                                      int32_t leader_epoch, sl_kmsg_produce_response_partition_produce_response_t *out,
                                      int64_t *end_offset)
{
    sl_log_t *log = sl_topic_part_log(part);
    pthread_mutex_t *mu = sl_topic_part_produce_lock(part);
    pthread_mutex_lock(mu);
    sl_err_t err = SL_OK;
    /* The idempotence check needs the first batch's producer fields. */
    sl_batch_header_t h;
    int idempotent = 0;
    if (len >= SL_BATCH_HEADER_SIZE && sl_batch_header_parse(data, len, &h) == SL_OK && h.producer_id >= 0 &&
        data[SL_BATCH_OFF_MAGIC] == SL_BATCH_MAGIC)
        idempotent = 1;
    sl_pstate_t *ps = idempotent ? sl_topic_part_pstate(part) : NULL;
    if (idempotent && !ps)
        err = SL_ERR_NOMEM;
    if (!err && ps) {
        int64_t dup;
        int c = sl_pstate_check(ps, &h, &dup);
        if (c == 1) {
            /* A retry of a batch already written: answer as the first time. */
            *end_offset = dup + 1;
            out->base_offset = dup;
            out->log_start_offset = sl_log_start_offset(log);
            pthread_mutex_unlock(mu);
            return SL_OK;
        }
        err = (sl_err_t)c;
    }
    sl_log_append_info_t info;
    if (!err)
        err = sl_log_append(log, data, len, leader_epoch, 0, &info);
    if (!err) {
        *end_offset = info.last_offset + 1;
        /* A single node's records are committed once written. */
        if (!b->clustered)
            sl_log_set_high_watermark(log, info.log_end_offset);
        out->base_offset = info.first_offset;
        out->log_append_time_ms = info.log_append_time;
        out->log_start_offset = sl_log_start_offset(log);
        if (ps) {
            /* The batches now carry their offsets: remember them. */
            int64_t now = sl_now_ms();
            for (size_t off = 0; off < len;) {
                sl_batch_header_parse(data + off, len - off, &h);
                if (sl_pstate_record(ps, &h, now) != SL_OK)
                    break;
                off += sl_batch_size(&h);
            }
        }
    }
    pthread_mutex_unlock(mu);
    if (!err)
        sl__broker_notify_append(b);
    return err;
}

sl_err_t sl_broker_produce(sl_broker_t *b, const char *topic, int32_t partition, uint8_t *data, size_t len,
                           int64_t *base_offset)
{
    sl_topic_part_t *part = sl_topics_acquire(b->topics, topic, partition);
    if (!part)
        return SL_ERR_UNKNOWN_TOPIC;
    sl_kmsg_produce_response_partition_produce_response_t pr;
    sl_kmsg_produce_response_partition_produce_response_init(&pr);
    int64_t end = 0;
    sl_err_t err = len > 0 ? sl__produce_partition(b, part, data, len, 0, &pr, &end) : SL_ERR_CORRUPT_MESSAGE;
    sl_topics_release(b->topics, part);
    if (!err && base_offset)
        *base_offset = pr.base_offset;
    return err;
}

/* Produce to a partition of a cluster: only its leader takes records, stamps
 * them with its leader epoch, and with acks=all answers once the ISR has
 * them (the high watermark passed them). */
static sl_err_t sl__produce_replicated(sl__req_t *q, const sl_kmsg_produce_request_t *req, const char *topic,
                                       sl_topic_part_t *part, sl_kmsg_produce_request_partition_produce_data_t *pd,
                                       sl_kmsg_produce_response_partition_produce_response_t *pr, int64_t *end)
{
    sl_broker_t *b = q->b;
    sl_replica_view_t v;
    if (!sl_replica_view(b->replicas, topic, pd->index, &v) || !v.is_leader)
        return SL_ERR_NOT_LEADER_OR_FOLLOWER;
    if (req->acks == -1 && v.nisr < v.min_isr)
        return SL_ERR_NOT_ENOUGH_REPLICAS;
    sl_err_t err = sl__produce_partition(b, part, (uint8_t *)pd->records.data, (size_t)pd->records.len,
                                         v.leader_epoch, pr, end);
    if (!err)
        sl_replica_leader_appended(b->replicas, topic, pd->index);
    return err;
}

/* An acks=all produce parked until its records are committed: the answer,
 * built, and where each waiting partition's result goes. In the request's
 * arena. */
typedef struct sl__produce_wait {
    sl__req_t *q;
    sl_kmsg_produce_response_t resp;
    sl_kmsg_produce_response_partition_produce_response_t **prs; /* one per wait */
} sl__produce_wait_t;

static void sl__produce_committed(void *ctx, sl_replica_wait_t *waits, int n)
{
    sl__produce_wait_t *pw = ctx;
    for (int i = 0; i < n; i++)
        if (waits[i].result) {
            pw->prs[i]->error_code = sl__code(waits[i].result);
            pw->prs[i]->error_message = sl_kstr_from(sl_err_str(waits[i].result));
        }
    sl__req_t *q = pw->q;
    SL__RESPOND(q, produce_response, &pw->resp);
}

static void sl__produce(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_produce_request_t *req;
    SL__DECODE(q, r, produce_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_produce_response_t resp;
    sl_kmsg_produce_response_init(&resp);
    int n = req->topic_data.count > 0 ? req->topic_data.count : 0;
    resp.responses.items = SL__ALLOC(q, sl_kmsg_produce_response_topic_produce_response_t, n);
    resp.responses.count = resp.responses.items ? n : 0;
    int bad_acks = req->acks != 0 && req->acks != 1 && req->acks != -1;
    /* acks=all in a cluster: the partitions appended wait for their ISR. */
    int maxw = 0;
    for (int i = 0; b->clustered && req->acks == -1 && i < req->topic_data.count; i++)
        maxw += req->topic_data.items[i].partition_data.count > 0 ? req->topic_data.items[i].partition_data.count : 0;
    sl__produce_wait_t *pw = maxw ? SL__ALLOC(q, sl__produce_wait_t, 1) : NULL;
    sl_replica_wait_t *waits = pw ? SL__ALLOC(q, sl_replica_wait_t, maxw) : NULL;
    if (pw && waits)
        pw->prs = SL__ALLOC(q, sl_kmsg_produce_response_partition_produce_response_t *, maxw);
    if (pw && (!waits || !pw->prs))
        pw = NULL;
    int nw = 0;
    for (int i = 0; i < resp.responses.count; i++) {
        sl_kmsg_produce_request_topic_produce_data_t *td = &req->topic_data.items[i];
        sl_kmsg_produce_response_topic_produce_response_t *tr = &resp.responses.items[i];
        sl_kmsg_produce_response_topic_produce_response_init(tr);
        tr->name = td->name;
        int np = td->partition_data.count > 0 ? td->partition_data.count : 0;
        tr->partition_responses.items = SL__ALLOC(q, sl_kmsg_produce_response_partition_produce_response_t, np);
        tr->partition_responses.count = tr->partition_responses.items ? np : 0;
        char *topic = sl__cstr(q, td->name);
        for (int j = 0; j < tr->partition_responses.count; j++) {
            sl_kmsg_produce_request_partition_produce_data_t *pd = &td->partition_data.items[j];
            sl_kmsg_produce_response_partition_produce_response_t *pr = &tr->partition_responses.items[j];
            sl_kmsg_produce_response_partition_produce_response_init(pr);
            pr->index = pd->index;
            pr->base_offset = -1;
            sl_err_t err = SL_OK;
            sl_topic_part_t *part = topic ? sl_topics_acquire(b->topics, topic, pd->index) : NULL;
            if (q->version < 3)
                err = SL_ERR_UNSUPPORTED_VERSION; /* message formats 0 and 1: see sl__served */
            else if (bad_acks)
                pr->error_code = 21; /* INVALID_REQUIRED_ACKS */
            else if (!part)
                err = SL_ERR_UNKNOWN_TOPIC;
            else if (pd->records.len <= 0)
                err = SL_ERR_CORRUPT_MESSAGE;
            else if (b->clustered) {
                int64_t end = 0;
                err = sl__produce_replicated(q, req, topic, part, pd, pr, &end);
                if (!err && req->acks == -1 && !pw)
                    err = SL_ERR_NOMEM; /* could not wait for the ISR: not acknowledged */
                else if (!err && req->acks == -1) {
                    waits[nw] = (sl_replica_wait_t){topic, pd->index, end, SL_OK, 0};
                    pw->prs[nw++] = pr;
                }
            }
            else
                /* The records are a view into the request frame, which is ours
                 * until we answer: offsets are assigned in place. */
                err = sl__produce_partition(b, part, (uint8_t *)pd->records.data, (size_t)pd->records.len, 0, pr,
                                            &(int64_t){0});
            if (err) {
                pr->error_code = sl__code(err);
                pr->error_message = sl_kstr_from(sl_err_str(err));
            }
            sl_topics_release(b->topics, part);
        }
    }
    if (req->acks == 0) {
        /* acks=0: the producer expects nothing back. */
        sl_net_respond_none(q->nreq);
        sl__req_free(q);
        return;
    }
    if (nw > 0) {
        /* Answered once the ISR has the records (or at the request's
         * timeout), without holding this handler thread meanwhile. */
        pw->q = q;
        pw->resp = resp;
        int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : 0;
        sl_replica_park(b->replicas, waits, nw, sl_now_ms() + timeout, sl__produce_committed, pw);
        return;
    }
    SL__RESPOND(q, produce_response, &resp);
}

/* ---- Fetch ---------------------------------------------------------------------------------- */

typedef struct sl__slice_box {
    sl_log_slice_t slice;
} sl__slice_box_t;

static void sl__slice_release(void *opaque)
{
    sl__slice_box_t *box = opaque;
    sl_log_slice_release(&box->slice);
    free(box);
}

/* Builds and, when there is enough data or final is set, sends the fetch
 * response. Returns 1 when it answered. */
int sl__fetch_try(sl__req_t *q, void *request, int final)
{
    sl_kmsg_fetch_request_t *req = request;
    sl_broker_t *b = q->b;
    sl_kmsg_fetch_response_t resp;
    sl_kmsg_fetch_response_init(&resp);
    resp.session_id = 0; /* no fetch sessions: clients keep sending full fetches (KIP-227) */
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    /* Built in a scratch arena: a fetch may be tried many times. */
    sl_arena_t scratch = SL_ARENA_INIT;
    resp.responses.items = sl_arena_alloc(&scratch, (size_t)nt * sizeof *resp.responses.items);
    resp.responses.count = resp.responses.items ? nt : 0;
    int64_t budget = req->max_bytes > 0 ? req->max_bytes : 0;
    int64_t total = 0;
    int any_error = 0;
    for (int i = 0; i < resp.responses.count; i++) {
        sl_kmsg_fetch_request_fetch_topic_t *ft = &req->topics.items[i];
        sl_kmsg_fetch_response_fetchable_topic_response_t *tr = &resp.responses.items[i];
        sl_kmsg_fetch_response_fetchable_topic_response_init(tr);
        tr->topic = ft->topic;
        int np = ft->partitions.count > 0 ? ft->partitions.count : 0;
        tr->partitions.items = sl_arena_alloc(&scratch, (size_t)np * sizeof *tr->partitions.items);
        tr->partitions.count = tr->partitions.items ? np : 0;
        /* In the scratch arena: a parked fetch is tried again on every append. */
        char *topic = sl__cstr_in(&scratch, ft->topic);
        for (int j = 0; j < tr->partitions.count; j++) {
            sl_kmsg_fetch_request_fetch_partition_t *fp = &ft->partitions.items[j];
            sl_kmsg_fetch_response_partition_data_t *pd = &tr->partitions.items[j];
            sl_kmsg_fetch_response_partition_data_init(pd);
            pd->partition_index = fp->partition;
            pd->records = (sl_krecords_t){(const uint8_t *)"", 0, -1, 0, NULL, NULL};
            /* read_committed sees an empty aborted list (no transactions yet). */
            pd->aborted_transactions = req->isolation_level == 1
                                           ? (sl_kmsg_fetch_response_aborted_transaction_array_t){NULL, 0}
                                           : (sl_kmsg_fetch_response_aborted_transaction_array_t){NULL, -1};
            sl_topic_part_t *part = topic ? sl_topics_acquire(b->topics, topic, fp->partition) : NULL;
            if (!part) {
                pd->error_code = sl__code(SL_ERR_UNKNOWN_TOPIC);
                pd->high_watermark = pd->last_stable_offset = pd->log_start_offset = -1;
                any_error = 1;
                continue;
            }
            sl_log_t *log = sl_topic_part_log(part);
            int64_t hw = sl_log_end_offset(log);
            if (b->clustered) {
                /* Only the leader serves; a follower reads up to the log end
                 * (its fetch tells how far it got), a consumer up to the
                 * high watermark. */
                sl_replica_view_t v;
                int32_t epoch = q->version >= 9 ? fp->current_leader_epoch : -1;
                sl_err_t ce = SL_OK;
                if (!sl_replica_view(b->replicas, topic, fp->partition, &v) || !v.is_leader)
                    ce = SL_ERR_NOT_LEADER_OR_FOLLOWER;
                else if (epoch >= 0 && epoch < v.leader_epoch)
                    ce = SL_ERR_FENCED_LEADER_EPOCH;
                else if (epoch > v.leader_epoch)
                    ce = SL_ERR_UNKNOWN_LEADER_EPOCH;
                else if (req->replica_id >= 0)
                    ce = sl_replica_follower_fetch(b->replicas, topic, fp->partition, req->replica_id, epoch,
                                                   fp->fetch_offset);
                if (ce) {
                    pd->error_code = sl__code(ce);
                    pd->high_watermark = pd->last_stable_offset = pd->log_start_offset = -1;
                    any_error = 1;
                    sl_topics_release(b->topics, part);
                    continue;
                }
                int64_t committed = sl_log_high_watermark(log);
                pd->high_watermark = committed;
                pd->last_stable_offset = committed;
                if (req->replica_id < 0)
                    hw = committed;
            } else {
                pd->high_watermark = hw;
                pd->last_stable_offset = hw;
            }
            pd->log_start_offset = sl_log_start_offset(log);
            int64_t room = budget - total;
            size_t max = fp->partition_max_bytes > 0 ? (size_t)fp->partition_max_bytes : 0;
            if (room < (int64_t)max)
                max = room > 0 ? (size_t)room : 0;
            sl__slice_box_t *box = NULL;
            sl_err_t err = SL_OK;
            if (max > 0 || total == 0) {
                box = malloc(sizeof *box);
                if (!box)
                    err = SL_ERR_NOMEM;
                else
                    /* At least one whole batch when nothing was returned yet (KIP-74). */
                    err = sl_log_read(log, fp->fetch_offset, max ? max : 1, hw, &box->slice);
                if (!err && total > 0 && box->slice.len > max) {
                    sl_log_slice_release(&box->slice);
                    box->slice.len = 0;
                }
            }
            if (err) {
                pd->error_code = sl__code(err);
                any_error = 1;
                free(box);
            } else if (box && box->slice.len > 0) {
                pd->records = (sl_krecords_t){NULL, (int32_t)box->slice.len, box->slice.fd,
                                              box->slice.position, sl__slice_release, box};
                total += (int64_t)box->slice.len;
            } else {
                free(box);
            }
            sl_topics_release(b->topics, part);
        }
    }
    if (!final && !any_error && total < (req->min_bytes > 0 ? req->min_bytes : 1) && req->max_wait_ms > 0) {
        /* Not enough yet: let go of the ranges and wait. */
        for (int i = 0; i < resp.responses.count; i++)
            for (int j = 0; j < resp.responses.items[i].partitions.count; j++) {
                sl_krecords_t *rec = &resp.responses.items[i].partitions.items[j].records;
                if (rec->release)
                    rec->release(rec->opaque);
            }
        sl_arena_free(&scratch);
        return 0;
    }
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    sl_err_t e = sl__req_header(q, &ob);
    /* The encoder hands every file range to the outbuf (or releases it). */
    sl_err_t e2 = sl_kmsg_fetch_response_encode(&ob, q->version, &resp);
    sl_arena_free(&scratch);
    if (e || e2) {
        sl_trace(SL_TRACE_ERROR, "broker", "encoding a fetch_response v%d: %s", q->version,
                 sl_err_str(e ? e : e2));
        sl_outbuf_free(&ob);
        sl_net_close(q->nreq);
        sl__req_free(q);
        return 1;
    }
    sl__req_respond(q, &ob);
    return 1;
}

static void sl__fetch(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_fetch_request_t *req;
    SL__DECODE(q, r, fetch_request, req);
    if (!req)
        return;
    if (sl__fetch_try(q, req, 0))
        return;
    sl__broker_park_fetch(q->b, q, req, sl_now_ms() + req->max_wait_ms);
}

/* ---- ListOffsets ---------------------------------------------------------------------------- */

static void sl__list_offsets(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_list_offsets_request_t *req;
    SL__DECODE(q, r, list_offsets_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_list_offsets_response_t resp;
    sl_kmsg_list_offsets_response_init(&resp);
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp.topics.items = SL__ALLOC(q, sl_kmsg_list_offsets_response_list_offsets_topic_response_t, nt);
    resp.topics.count = resp.topics.items ? nt : 0;
    for (int i = 0; i < resp.topics.count; i++) {
        sl_kmsg_list_offsets_request_list_offsets_topic_t *rt = &req->topics.items[i];
        sl_kmsg_list_offsets_response_list_offsets_topic_response_t *tr = &resp.topics.items[i];
        sl_kmsg_list_offsets_response_list_offsets_topic_response_init(tr);
        tr->name = rt->name;
        int np = rt->partitions.count > 0 ? rt->partitions.count : 0;
        tr->partitions.items = SL__ALLOC(q, sl_kmsg_list_offsets_response_list_offsets_partition_response_t, np);
        tr->partitions.count = tr->partitions.items ? np : 0;
        char *topic = sl__cstr(q, rt->name);
        for (int j = 0; j < tr->partitions.count; j++) {
            sl_kmsg_list_offsets_request_list_offsets_partition_t *rp = &rt->partitions.items[j];
            sl_kmsg_list_offsets_response_list_offsets_partition_response_t *pr = &tr->partitions.items[j];
            sl_kmsg_list_offsets_response_list_offsets_partition_response_init(pr);
            pr->partition_index = rp->partition_index;
            sl_topic_part_t *part = topic ? sl_topics_acquire(b->topics, topic, rp->partition_index) : NULL;
            if (!part) {
                pr->error_code = sl__code(SL_ERR_UNKNOWN_TOPIC);
                continue;
            }
            int64_t off = -1, ts = -1;
            int32_t epoch = 0;
            if (b->clustered) {
                sl_replica_view_t v;
                if (!sl_replica_view(b->replicas, topic, rp->partition_index, &v) ||
                    (!v.is_leader && req->replica_id != -2)) {
                    pr->error_code = sl__code(SL_ERR_NOT_LEADER_OR_FOLLOWER);
                    sl_topics_release(b->topics, part);
                    continue;
                }
                epoch = v.leader_epoch;
            }
            int found = rp->timestamp >= -3
                            ? sl_log_offset_for_timestamp(sl_topic_part_log(part), rp->timestamp, &off, &ts)
                            : SL_ERR_INVAL;
            if (b->clustered && found >= 0 && rp->timestamp == -1) {
                /* Latest: what consumers can read, the high watermark. */
                off = sl_log_high_watermark(sl_topic_part_log(part));
                found = 1;
            }
            if (found < 0) {
                pr->error_code = sl__code(found == SL_ERR_INVAL ? SL_ERR_INVALID_REQUEST : (sl_err_t)found);
            } else {
                pr->offset = found ? off : -1;
                pr->timestamp = found ? ts : -1;
                if (q->version >= 4)
                    pr->leader_epoch = epoch;
            }
            sl_topics_release(b->topics, part);
        }
    }
    SL__RESPOND(q, list_offsets_response, &resp);
}

/* ---- topics: create, delete, grow ----------------------------------------------------------------- */

/* Only this node exists: a replica list naming any other is invalid. */
static int sl__only_me(const sl__req_t *q, const sl_kint32_array_t *ids)
{
    for (int i = 0; i < ids->count; i++)
        if (ids->items[i] != q->b->cfg.node_id)
            return 0;
    return ids->count == 1;
}

typedef struct {
    sl__req_t *q;
    sl_kmsg_create_topics_response_creatable_topic_configs_array_t *arr;
    int cap;
} sl__cfg_collect_t;

static void sl__collect_create_config(void *opaque, const sl_topic_config_entry_t *e)
{
    sl__cfg_collect_t *c = opaque;
    if (c->arr->count >= c->cap)
        return;
    sl_kmsg_create_topics_response_creatable_topic_configs_t *ce = &c->arr->items[c->arr->count++];
    sl_kmsg_create_topics_response_creatable_topic_configs_init(ce);
    ce->name = sl_kstr_from(e->key);
    ce->value = sl__kstr_dup(c->q, e->value);
    ce->config_source = e->is_default ? 5 : 1; /* DEFAULT_CONFIG : DYNAMIC_TOPIC_CONFIG */
}

static void sl__create_topics(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_create_topics_request_t *req;
    SL__DECODE(q, r, create_topics_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_create_topics_response_t resp;
    sl_kmsg_create_topics_response_init(&resp);
    int n = req->topics.count > 0 ? req->topics.count : 0;
    resp.topics.items = SL__ALLOC(q, sl_kmsg_create_topics_response_creatable_topic_result_t, n);
    resp.topics.count = resp.topics.items ? n : 0;
    for (int i = 0; i < resp.topics.count; i++) {
        sl_kmsg_create_topics_request_creatable_topic_t *ct = &req->topics.items[i];
        sl_kmsg_create_topics_response_creatable_topic_result_t *tr = &resp.topics.items[i];
        sl_kmsg_create_topics_response_creatable_topic_result_init(tr);
        tr->name = ct->name;
        char *name = sl__cstr(q, ct->name);
        char err[256] = "";
        sl_err_t e = SL_OK;
        int32_t parts = ct->num_partitions;
        int16_t rf = ct->replication_factor;
        if (b->clustered && ct->assignments.count > 0) {
            snprintf(err, sizeof err, "manual replica assignment is not supported yet");
            e = SL_ERR_INVALID_REQUEST;
        } else if (b->clustered) {
            /* The controller checks the replication factor against the brokers. */
        } else if (ct->assignments.count > 0) {
            /* Manual assignment: partitions are its entries, each on this node. */
            parts = ct->assignments.count;
            for (int a = 0; a < ct->assignments.count && !e; a++)
                if (!sl__only_me(q, &ct->assignments.items[a].broker_ids)) {
                    snprintf(err, sizeof err, "replica assignment names brokers that do not exist");
                    e = SL_ERR_INVALID_REPLICATION_FACTOR;
                }
            rf = 1;
        } else {
            if (parts == -1)
                parts = b->cfg.num_partitions;
            if (rf == -1)
                rf = b->cfg.default_replication_factor;
            if (rf < 1 || rf > 1) {
                snprintf(err, sizeof err, "Replication factor: %d larger than available brokers: 1", rf);
                e = SL_ERR_INVALID_REPLICATION_FACTOR;
            }
        }
        int nc = ct->configs.count > 0 ? ct->configs.count : 0;
        const char **keys = SL__ALLOC(q, const char *, nc + 1), **values = SL__ALLOC(q, const char *, nc + 1);
        int m = 0;
        for (int c = 0; c < nc && keys && values && !e; c++) {
            if (ct->configs.items[c].value.len < 0)
                continue; /* a null value: the default */
            keys[m] = sl__cstr(q, ct->configs.items[c].name);
            values[m++] = sl__cstr(q, ct->configs.items[c].value);
        }
        uint8_t id[16] = {0};
        if (!e && !name)
            e = SL_ERR_INVALID_TOPIC;
        if (!e && b->clustered)
            e = sl__cluster(b) ? sl_cluster_create_topic(sl__cluster(b), name, parts, rf, keys, values, m,
                                                         req->validate_only, id, err, sizeof err)
                               : SL_ERR_NOT_CONTROLLER;
        else if (!e)
            e = sl_topics_create(b->topics, name, parts, keys, values, m, req->validate_only, id, err, sizeof err);
        if (!e && b->clustered) {
            parts = parts == -1 ? b->cfg.num_partitions : parts;
            rf = rf == -1 ? b->cfg.default_replication_factor : rf;
        }
        tr->error_code = sl__code(e);
        if (e) {
            tr->error_message = sl__kstr_dup(q, err[0] ? err : sl_err_str(e));
            continue;
        }
        memcpy(tr->topic_id, id, 16);
        tr->num_partitions = parts;
        tr->replication_factor = rf;
        if (!req->validate_only && q->version >= 5) {
            tr->configs.items = SL__ALLOC(q, sl_kmsg_create_topics_response_creatable_topic_configs_t, 32);
            tr->configs.count = 0;
            sl__cfg_collect_t cc = {q, &tr->configs, tr->configs.items ? 32 : 0};
            sl_topics_describe_configs(b->topics, name, sl__collect_create_config, &cc);
        }
        sl_trace(SL_TRACE_INFO, "broker", "%s topic %s with %" PRId32 " partitions",
                 req->validate_only ? "validated" : "created", name, parts);
    }
    SL__RESPOND(q, create_topics_response, &resp);
}

static void sl__delete_topics(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_delete_topics_request_t *req;
    SL__DECODE(q, r, delete_topics_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_delete_topics_response_t resp;
    sl_kmsg_delete_topics_response_init(&resp);
    /* v0-5 name topics; v6 names or ids. */
    int n = q->version >= 6 ? req->topics.count : req->topic_names.count;
    if (n < 0)
        n = 0;
    resp.responses.items = SL__ALLOC(q, sl_kmsg_delete_topics_response_deletable_topic_result_t, n);
    resp.responses.count = resp.responses.items ? n : 0;
    for (int i = 0; i < resp.responses.count; i++) {
        sl_kmsg_delete_topics_response_deletable_topic_result_t *tr = &resp.responses.items[i];
        sl_kmsg_delete_topics_response_deletable_topic_result_init(tr);
        sl_topic_info_t info;
        int found;
        if (q->version >= 6) {
            sl_kmsg_delete_topics_request_delete_topic_state_t *ts = &req->topics.items[i];
            char *name = sl__cstr(q, ts->name);
            found = name ? sl_topics_get(b->topics, name, &info) : sl_topics_get_by_id(b->topics, ts->topic_id, &info);
            tr->name = ts->name;
            memcpy(tr->topic_id, ts->topic_id, 16);
        } else {
            char *name = sl__cstr(q, req->topic_names.items[i]);
            found = name && sl_topics_get(b->topics, name, &info);
            tr->name = req->topic_names.items[i];
        }
        sl_err_t e = !found ? SL_ERR_UNKNOWN_TOPIC
                     : !b->cfg.delete_topic_enable ? SL_ERR_TOPIC_DELETION_DISABLED
                     : b->clustered ? (sl__cluster(b) ? sl_cluster_delete_topic(sl__cluster(b), info.name)
                                                      : SL_ERR_NOT_CONTROLLER)
                                                    : sl_topics_delete(b->topics, info.name);
        if (found) {
            tr->name = sl__kstr_dup(q, info.name);
            memcpy(tr->topic_id, info.id, 16);
        }
        tr->error_code = sl__code(e);
        if (e)
            tr->error_message = sl_kstr_from(sl_err_str(e));
        else
            sl_trace(SL_TRACE_INFO, "broker", "deleted topic %s", info.name);
    }
    SL__RESPOND(q, delete_topics_response, &resp);
}

static void sl__create_partitions(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_create_partitions_request_t *req;
    SL__DECODE(q, r, create_partitions_request, req);
    if (!req)
        return;
    sl_kmsg_create_partitions_response_t resp;
    sl_kmsg_create_partitions_response_init(&resp);
    int n = req->topics.count > 0 ? req->topics.count : 0;
    resp.results.items = SL__ALLOC(q, sl_kmsg_create_partitions_response_create_partitions_topic_result_t, n);
    resp.results.count = resp.results.items ? n : 0;
    for (int i = 0; i < resp.results.count; i++) {
        sl_kmsg_create_partitions_request_create_partitions_topic_t *ct = &req->topics.items[i];
        sl_kmsg_create_partitions_response_create_partitions_topic_result_t *tr = &resp.results.items[i];
        sl_kmsg_create_partitions_response_create_partitions_topic_result_init(tr);
        tr->name = ct->name;
        char err[256] = "";
        sl_err_t e = SL_OK;
        if (q->b->clustered && ct->assignments.count > 0) {
            snprintf(err, sizeof err, "manual replica assignment is not supported yet");
            e = SL_ERR_INVALID_REQUEST;
        }
        for (int a = 0; !q->b->clustered && a < ct->assignments.count && !e; a++)
            if (!sl__only_me(q, &ct->assignments.items[a].broker_ids)) {
                snprintf(err, sizeof err, "replica assignment names brokers that do not exist");
                e = SL_ERR_INVALID_REPLICATION_FACTOR;
            }
        char *name = sl__cstr(q, ct->name);
        if (!e && !name)
            e = SL_ERR_UNKNOWN_TOPIC;
        else if (!e && q->b->clustered)
            e = sl__cluster(q->b) ? sl_cluster_add_partitions(sl__cluster(q->b), name, ct->count, req->validate_only,
                                                              err, sizeof err)
                                  : SL_ERR_NOT_CONTROLLER;
        else if (!e)
            e = sl_topics_add_partitions(q->b->topics, name, ct->count, req->validate_only, err, sizeof err);
        tr->error_code = sl__code(e);
        if (e)
            tr->error_message = sl__kstr_dup(q, err[0] ? err : sl_err_str(e));
    }
    SL__RESPOND(q, create_partitions_response, &resp);
}

/* ---- configs ------------------------------------------------------------------------------------ */

#define SL__RESOURCE_TOPIC 2
#define SL__RESOURCE_BROKER 4

typedef struct {
    sl__req_t *q;
    sl_kmsg_describe_configs_response_describe_configs_result_t *res;
    const sl_kstr_array_t *keys; /* count -1: all */
    int cap;
} sl__dc_t;

static int sl__wanted(const sl_kstr_array_t *keys, const char *key)
{
    if (keys->count < 0)
        return 1;
    for (int i = 0; i < keys->count; i++)
        if (sl_kstr_is(keys->items[i], key, (int32_t)strlen(key)))
            return 1;
    return 0;
}

static void sl__dc_entry(sl__dc_t *d, const char *key, const char *value, int is_default, int8_t source)
{
    if (!sl__wanted(d->keys, key) || d->res->configs.count >= d->cap)
        return;
    sl_kmsg_describe_configs_response_describe_configs_resource_result_t *e =
        &d->res->configs.items[d->res->configs.count++];
    sl_kmsg_describe_configs_response_describe_configs_resource_result_init(e);
    e->name = sl__kstr_dup(d->q, key);
    e->value = sl__kstr_dup(d->q, value);
    if (d->q->version == 0)
        e->is_default = (uint8_t)is_default; /* v1+ say it with config_source */
    e->config_source = source;
    e->synonyms = (sl_kmsg_describe_configs_response_describe_configs_synonym_array_t){NULL, 0};
}

static void sl__dc_topic_entry(void *opaque, const sl_topic_config_entry_t *e)
{
    sl__dc_entry(opaque, e->key, e->value, e->is_default, e->is_default ? 5 : 1);
}

static void sl__describe_configs(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_describe_configs_request_t *req;
    SL__DECODE(q, r, describe_configs_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_describe_configs_response_t resp;
    sl_kmsg_describe_configs_response_init(&resp);
    int n = req->resources.count > 0 ? req->resources.count : 0;
    resp.results.items = SL__ALLOC(q, sl_kmsg_describe_configs_response_describe_configs_result_t, n);
    resp.results.count = resp.results.items ? n : 0;
    for (int i = 0; i < resp.results.count; i++) {
        sl_kmsg_describe_configs_request_describe_configs_resource_t *rs = &req->resources.items[i];
        sl_kmsg_describe_configs_response_describe_configs_result_t *res = &resp.results.items[i];
        sl_kmsg_describe_configs_response_describe_configs_result_init(res);
        res->resource_type = rs->resource_type;
        res->resource_name = rs->resource_name;
        res->configs.items = SL__ALLOC(q, sl_kmsg_describe_configs_response_describe_configs_resource_result_t, 64);
        res->configs.count = 0;
        sl__dc_t d = {q, res, &rs->configuration_keys, res->configs.items ? 64 : 0};
        char *name = sl__cstr(q, rs->resource_name);
        if (rs->resource_type == SL__RESOURCE_TOPIC) {
            if (!name || !sl_topics_describe_configs(b->topics, name, sl__dc_topic_entry, &d)) {
                res->error_code = sl__code(SL_ERR_UNKNOWN_TOPIC);
                res->error_message = sl_kstr_from(sl_err_str(SL_ERR_UNKNOWN_TOPIC));
            }
        } else if (rs->resource_type == SL__RESOURCE_BROKER) {
            char me[16];
            snprintf(me, sizeof me, "%" PRId32, b->cfg.node_id);
            if (name && name[0] && strcmp(name, me) != 0) {
                res->error_code = sl__code(SL_ERR_INVALID_REQUEST);
                res->error_message = sl_kstr_from("no such broker");
                continue;
            }
            char v[64];
            const sl_log_config_t *lc = &b->cfg.log.log_defaults;
#define SL__BROKER_ENTRY(key, fmt, val)          \
    do {                                         \
        snprintf(v, sizeof v, fmt, val);         \
        sl__dc_entry(&d, key, v, 0, 4); /* STATIC_BROKER_CONFIG */ \
    } while (0)
            SL__BROKER_ENTRY("num.partitions", "%" PRId32, b->cfg.num_partitions);
            SL__BROKER_ENTRY("default.replication.factor", "%d", b->cfg.default_replication_factor);
            SL__BROKER_ENTRY("auto.create.topics.enable", "%s", b->cfg.auto_create_topics_enable ? "true" : "false");
            SL__BROKER_ENTRY("log.segment.bytes", "%" PRId64, lc->segment_bytes);
            SL__BROKER_ENTRY("log.retention.ms", "%" PRId64, lc->retention_ms);
            SL__BROKER_ENTRY("log.retention.bytes", "%" PRId64, lc->retention_bytes);
            SL__BROKER_ENTRY("message.max.bytes", "%" PRId32, lc->max_message_bytes);
            SL__BROKER_ENTRY("num.network.threads", "%d", b->cfg.net.num_network_threads);
            SL__BROKER_ENTRY("num.io.threads", "%d", b->cfg.net.num_io_threads);
            SL__BROKER_ENTRY("socket.request.max.bytes", "%" PRId32, b->cfg.net.socket_request_max_bytes);
            SL__BROKER_ENTRY("min.insync.replicas", "%" PRId32, b->cfg.min_insync_replicas);
#undef SL__BROKER_ENTRY
        } else {
            res->error_code = sl__code(SL_ERR_INVALID_REQUEST);
            res->error_message = sl_kstr_from("unsupported resource type");
        }
    }
    SL__RESPOND(q, describe_configs_response, &resp);
}

/* AlterConfigs and IncrementalAlterConfigs share this: keys/values (NULL value:
 * back to the default) for one resource. */
static sl_err_t sl__alter_one(sl__req_t *q, int8_t type, sl_kstr_t rname, const char **keys,
                              const char **values, int n, int replace_all, int validate_only, char *err,
                              size_t errlen)
{
    if (type != SL__RESOURCE_TOPIC) {
        snprintf(err, errlen, "only topic configs can be altered (dynamic broker configs are not supported)");
        return SL_ERR_INVALID_REQUEST;
    }
    char *name = sl__cstr(q, rname);
    if (!name)
        return SL_ERR_UNKNOWN_TOPIC;
    if (!q->b->clustered)
        return sl_topics_alter_configs(q->b->topics, name, keys, values, n, replace_all, validate_only, err, errlen);
    /* A cluster: checked here against this broker's copy of the topic, then
     * changed through the controller; every broker applies it from there. */
    sl_err_t e = sl_topics_alter_configs(q->b->topics, name, keys, values, n, replace_all, 1, err, errlen);
    if (e || validate_only)
        return e;
    sl_cluster_t *c = sl__cluster(q->b);
    e = c ? sl_cluster_alter_topic_configs(c, name, (const char *const *)keys, (const char *const *)values, n,
                                           replace_all)
          : SL_ERR_NOT_CONTROLLER;
    if (e == SL_ERR_NOT_CONTROLLER)
        snprintf(err, errlen, "this node is not the active controller (node %d is)",
                 c ? sl_cluster_controller(c) : -1);
    return e;
}

static void sl__alter_configs(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_alter_configs_request_t *req;
    SL__DECODE(q, r, alter_configs_request, req);
    if (!req)
        return;
    sl_kmsg_alter_configs_response_t resp;
    sl_kmsg_alter_configs_response_init(&resp);
    int n = req->resources.count > 0 ? req->resources.count : 0;
    resp.responses.items = SL__ALLOC(q, sl_kmsg_alter_configs_response_alter_configs_resource_response_t, n);
    resp.responses.count = resp.responses.items ? n : 0;
    for (int i = 0; i < resp.responses.count; i++) {
        sl_kmsg_alter_configs_request_alter_configs_resource_t *rs = &req->resources.items[i];
        sl_kmsg_alter_configs_response_alter_configs_resource_response_t *rr = &resp.responses.items[i];
        sl_kmsg_alter_configs_response_alter_configs_resource_response_init(rr);
        rr->resource_type = rs->resource_type;
        rr->resource_name = rs->resource_name;
        int nc = rs->configs.count > 0 ? rs->configs.count : 0;
        const char **keys = SL__ALLOC(q, const char *, nc + 1), **values = SL__ALLOC(q, const char *, nc + 1);
        int m = 0;
        for (int c = 0; c < nc && keys && values; c++) {
            if (rs->configs.items[c].value.len < 0)
                continue;
            keys[m] = sl__cstr(q, rs->configs.items[c].name);
            values[m++] = sl__cstr(q, rs->configs.items[c].value);
        }
        char err[256] = "";
        sl_err_t e = sl__alter_one(q, rs->resource_type, rs->resource_name, keys, values, m, 1,
                                   req->validate_only, err, sizeof err);
        rr->error_code = sl__code(e);
        if (e)
            rr->error_message = sl__kstr_dup(q, err[0] ? err : sl_err_str(e));
    }
    SL__RESPOND(q, alter_configs_response, &resp);
}

static void sl__incremental_alter_configs(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_incremental_alter_configs_request_t *req;
    SL__DECODE(q, r, incremental_alter_configs_request, req);
    if (!req)
        return;
    sl_kmsg_incremental_alter_configs_response_t resp;
    sl_kmsg_incremental_alter_configs_response_init(&resp);
    int n = req->resources.count > 0 ? req->resources.count : 0;
    resp.responses.items = SL__ALLOC(q, sl_kmsg_incremental_alter_configs_response_alter_configs_resource_response_t, n);
    resp.responses.count = resp.responses.items ? n : 0;
    for (int i = 0; i < resp.responses.count; i++) {
        sl_kmsg_incremental_alter_configs_request_alter_configs_resource_t *rs = &req->resources.items[i];
        sl_kmsg_incremental_alter_configs_response_alter_configs_resource_response_t *rr = &resp.responses.items[i];
        sl_kmsg_incremental_alter_configs_response_alter_configs_resource_response_init(rr);
        rr->resource_type = rs->resource_type;
        rr->resource_name = rs->resource_name;
        int nc = rs->configs.count > 0 ? rs->configs.count : 0;
        const char **keys = SL__ALLOC(q, const char *, nc + 1), **values = SL__ALLOC(q, const char *, nc + 1);
        char err[256] = "";
        sl_err_t e = keys && values ? SL_OK : SL_ERR_NOMEM;
        for (int c = 0; c < nc && !e; c++) {
            sl_kmsg_incremental_alter_configs_request_alterable_config_t *ac = &rs->configs.items[c];
            keys[c] = sl__cstr(q, ac->name);
            if (ac->config_operation == 0) { /* SET */
                values[c] = ac->value.len >= 0 ? sl__cstr(q, ac->value) : NULL;
            } else if (ac->config_operation == 1) { /* DELETE */
                values[c] = NULL;
            } else {
                /* APPEND and SUBTRACT apply to list-valued keys; none of the
                 * supported topic keys is a list but cleanup.policy, whose two
                 * values SET covers. */
                snprintf(err, sizeof err, "%s: APPEND and SUBTRACT are not supported; use SET",
                         keys[c] ? keys[c] : "?");
                e = SL_ERR_INVALID_CONFIG;
            }
        }
        if (!e)
            e = sl__alter_one(q, rs->resource_type, rs->resource_name, keys, values, nc, 0, req->validate_only,
                              err, sizeof err);
        rr->error_code = sl__code(e);
        if (e)
            rr->error_message = sl__kstr_dup(q, err[0] ? err : sl_err_str(e));
    }
    SL__RESPOND(q, incremental_alter_configs_response, &resp);
}

/* ---- DeleteRecords, InitProducerId, DescribeCluster ------------------------------------------------ */

static void sl__delete_records(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_delete_records_request_t *req;
    SL__DECODE(q, r, delete_records_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_delete_records_response_t resp;
    sl_kmsg_delete_records_response_init(&resp);
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp.topics.items = SL__ALLOC(q, sl_kmsg_delete_records_response_delete_records_topic_result_t, nt);
    resp.topics.count = resp.topics.items ? nt : 0;
    for (int i = 0; i < resp.topics.count; i++) {
        sl_kmsg_delete_records_request_delete_records_topic_t *rt = &req->topics.items[i];
        sl_kmsg_delete_records_response_delete_records_topic_result_t *tr = &resp.topics.items[i];
        sl_kmsg_delete_records_response_delete_records_topic_result_init(tr);
        tr->name = rt->name;
        int np = rt->partitions.count > 0 ? rt->partitions.count : 0;
        tr->partitions.items = SL__ALLOC(q, sl_kmsg_delete_records_response_delete_records_partition_result_t, np);
        tr->partitions.count = tr->partitions.items ? np : 0;
        char *topic = sl__cstr(q, rt->name);
        for (int j = 0; j < tr->partitions.count; j++) {
            sl_kmsg_delete_records_request_delete_records_partition_t *rp = &rt->partitions.items[j];
            sl_kmsg_delete_records_response_delete_records_partition_result_t *pr = &tr->partitions.items[j];
            sl_kmsg_delete_records_response_delete_records_partition_result_init(pr);
            pr->partition_index = rp->partition_index;
            pr->low_watermark = -1;
            sl_topic_part_t *part = topic ? sl_topics_acquire(b->topics, topic, rp->partition_index) : NULL;
            if (!part) {
                pr->error_code = sl__code(SL_ERR_UNKNOWN_TOPIC);
                continue;
            }
            sl_log_t *log = sl_topic_part_log(part);
            /* -1: up to the high watermark. */
            int64_t off = rp->offset == -1 ? sl_log_end_offset(log) : rp->offset;
            sl_err_t e = sl_log_advance_start_offset(log, off);
            pr->error_code = sl__code(e);
            pr->low_watermark = sl_log_start_offset(log);
            sl_topics_release(b->topics, part);
        }
    }
    SL__RESPOND(q, delete_records_response, &resp);
}

static void sl__init_producer_id(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_init_producer_id_request_t *req;
    SL__DECODE(q, r, init_producer_id_request, req);
    if (!req)
        return;
    sl_kmsg_init_producer_id_response_t resp;
    sl_kmsg_init_producer_id_response_init(&resp);
    if (req->transactional_id.len >= 0) {
        /* Transactions (a transaction coordinator) are a later issue. */
        resp.error_code = 15; /* COORDINATOR_NOT_AVAILABLE */
    } else {
        /* An idempotent producer always gets a fresh id, as Kafka's
         * coordinator gives when the transactional id is null. */
        int64_t id;
        sl_err_t e = sl_pid_alloc_next(q->b->pids, &id);
        if (e) {
            resp.error_code = sl__code(SL_ERR_IO);
        } else {
            /* In a cluster every broker allocates from its own range (the
             * node id in the high bits), so that two brokers never hand out
             * the same producer id; Kafka asks the controller for blocks
             * (AllocateProducerIds) instead. */
            resp.producer_id = q->b->clustered ? ((int64_t)q->b->cfg.node_id << 40) + id : id;
            resp.producer_epoch = 0;
        }
    }
    SL__RESPOND(q, init_producer_id_response, &resp);
}

static void sl__describe_cluster(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_describe_cluster_request_t *req;
    SL__DECODE(q, r, describe_cluster_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_describe_cluster_response_t resp;
    sl_kmsg_describe_cluster_response_init(&resp);
    resp.cluster_id = sl_kstr_from(b->cluster_id);
    resp.controller_id = b->cfg.node_id;
    if (sl__cluster(b)) {
        const sl_meta_image_t *img = sl_cluster_image(sl__cluster(b));
        int nb = (int)sl_meta_image_broker_count(img);
        resp.controller_id = sl_cluster_controller(sl__cluster(b));
        resp.brokers.items = SL__ALLOC(q, sl_kmsg_describe_cluster_response_describe_cluster_broker_t, nb);
        resp.brokers.count = 0;
        for (int i = 0; resp.brokers.items && i < nb; i++) {
            const sl_meta_broker_t *br = sl_meta_image_broker_at(img, (size_t)i);
            if (br->fenced)
                continue;
            sl_kmsg_describe_cluster_response_describe_cluster_broker_t *rb = &resp.brokers.items[resp.brokers.count++];
            sl_kmsg_describe_cluster_response_describe_cluster_broker_init(rb);
            rb->broker_id = br->id;
            rb->host = sl__kstr_dup(q, br->host);
            rb->port = br->port;
        }
        sl_meta_image_unref(img);
        SL__RESPOND(q, describe_cluster_response, &resp);
        return;
    }
    resp.brokers.items = SL__ALLOC(q, sl_kmsg_describe_cluster_response_describe_cluster_broker_t, 1);
    if (resp.brokers.items) {
        resp.brokers.count = 1;
        sl_kmsg_describe_cluster_response_describe_cluster_broker_init(&resp.brokers.items[0]);
        resp.brokers.items[0].broker_id = b->cfg.node_id;
        resp.brokers.items[0].host = sl_kstr_from(b->adv_host);
        resp.brokers.items[0].port = b->adv_port;
    }
    SL__RESPOND(q, describe_cluster_response, &resp);
}

/* ---- OffsetForLeaderEpoch: where a leader epoch ends (KIP-101, KIP-320) --------------------------- */

static void sl__offset_for_leader_epoch(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_offset_for_leader_epoch_request_t *req;
    SL__DECODE(q, r, offset_for_leader_epoch_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_offset_for_leader_epoch_response_t resp;
    sl_kmsg_offset_for_leader_epoch_response_init(&resp);
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp.topics.items = SL__ALLOC(q, sl_kmsg_offset_for_leader_epoch_response_offset_for_leader_topic_result_t, nt);
    resp.topics.count = resp.topics.items ? nt : 0;
    for (int i = 0; i < resp.topics.count; i++) {
        sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_topic_t *rt = &req->topics.items[i];
        sl_kmsg_offset_for_leader_epoch_response_offset_for_leader_topic_result_t *tr = &resp.topics.items[i];
        sl_kmsg_offset_for_leader_epoch_response_offset_for_leader_topic_result_init(tr);
        tr->topic = rt->topic;
        int np = rt->partitions.count > 0 ? rt->partitions.count : 0;
        tr->partitions.items = SL__ALLOC(q, sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_t, np);
        tr->partitions.count = tr->partitions.items ? np : 0;
        char *topic = sl__cstr(q, rt->topic);
        for (int j = 0; j < tr->partitions.count; j++) {
            sl_kmsg_offset_for_leader_epoch_request_offset_for_leader_partition_t *rp = &rt->partitions.items[j];
            sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_t *pr = &tr->partitions.items[j];
            sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_init(pr);
            pr->partition = rp->partition;
            pr->leader_epoch = -1;
            pr->end_offset = -1;
            sl_err_t e = SL_OK;
            int32_t current = 0;
            if (b->clustered) {
                sl_replica_view_t v;
                if (!sl_replica_view(b->replicas, topic ? topic : "", rp->partition, &v) || !v.is_leader)
                    e = SL_ERR_NOT_LEADER_OR_FOLLOWER;
                current = v.leader_epoch;
            }
            if (!e && rp->current_leader_epoch >= 0 && rp->current_leader_epoch < current)
                e = SL_ERR_FENCED_LEADER_EPOCH;
            else if (!e && rp->current_leader_epoch > current)
                e = SL_ERR_UNKNOWN_LEADER_EPOCH;
            sl_topic_part_t *part = !e && topic ? sl_topics_acquire(b->topics, topic, rp->partition) : NULL;
            if (!e && !part)
                e = SL_ERR_UNKNOWN_TOPIC;
            if (!e)
                e = sl_log_end_offset_for_epoch(sl_topic_part_log(part), rp->leader_epoch, &pr->leader_epoch,
                                                &pr->end_offset);
            sl_topics_release(b->topics, part);
            pr->error_code = sl__code(e);
        }
    }
    SL__RESPOND(q, offset_for_leader_epoch_response, &resp);
}

/* ---- ElectLeaders (kafka-leader-election.sh) ------------------------------------------------------ */

static void sl__elect_one(sl__req_t *q, sl_cluster_t *c, int8_t type, const char *topic, int32_t partition,
                          sl_kmsg_elect_leaders_response_partition_result_t *pr)
{
    sl_kmsg_elect_leaders_response_partition_result_init(pr);
    pr->partition_id = partition;
    sl_err_t e;
    if (!q->b->clustered) {
        sl_topic_info_t info;
        /* One node leads everything already. */
        e = sl_topics_get(q->b->topics, topic, &info) && partition >= 0 && partition < info.partitions
                ? SL_ERR_ELECTION_NOT_NEEDED
                : SL_ERR_UNKNOWN_TOPIC;
    } else {
        e = c ? sl_cluster_elect_leader(c, topic, partition, type == 1) : SL_ERR_NOT_CONTROLLER;
    }
    pr->error_code = sl__code(e);
    if (e)
        pr->error_message = sl_kstr_from(sl_err_str(e));
}

static void sl__elect_leaders(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_elect_leaders_request_t *req;
    SL__DECODE(q, r, elect_leaders_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_cluster_t *c = sl__cluster(b);
    sl_kmsg_elect_leaders_response_t resp;
    sl_kmsg_elect_leaders_response_init(&resp);
    int8_t type = q->version >= 1 ? req->election_type : 0;
    if (type != 0 && type != 1) {
        resp.error_code = sl__code(SL_ERR_INVALID_REQUEST);
        SL__RESPOND(q, elect_leaders_response, &resp);
        return;
    }
    if (b->clustered && q->version >= 1 && (!c || sl_cluster_controller(c) != b->cfg.node_id)) {
        resp.error_code = sl__code(SL_ERR_NOT_CONTROLLER);
        SL__RESPOND(q, elect_leaders_response, &resp);
        return;
    }
    if (req->topic_partitions.count < 0) {
        /* Null: every partition of the cluster's topics (a single node's lead
         * there already: nothing to report). */
        const sl_meta_image_t *img = c ? sl_cluster_image(c) : NULL;
        int nt = img ? (int)sl_meta_image_topic_count(img) : 0;
        resp.replica_election_results.items =
            SL__ALLOC(q, sl_kmsg_elect_leaders_response_replica_election_result_t, nt);
        resp.replica_election_results.count = 0;
        for (int i = 0; resp.replica_election_results.items && i < nt; i++) {
            const sl_meta_topic_t *t = sl_meta_image_topic_at(img, (size_t)i);
            sl_kmsg_elect_leaders_response_replica_election_result_t *tr =
                &resp.replica_election_results.items[resp.replica_election_results.count++];
            sl_kmsg_elect_leaders_response_replica_election_result_init(tr);
            tr->topic = sl__kstr_dup(q, t->name);
            tr->partition_result.items = SL__ALLOC(q, sl_kmsg_elect_leaders_response_partition_result_t,
                                                   t->npartitions);
            tr->partition_result.count = tr->partition_result.items ? t->npartitions : 0;
            for (int32_t p = 0; p < tr->partition_result.count; p++)
                sl__elect_one(q, c, type, t->name, p, &tr->partition_result.items[p]);
        }
        sl_meta_image_unref(img);
        SL__RESPOND(q, elect_leaders_response, &resp);
        return;
    }
    int nt = req->topic_partitions.count;
    resp.replica_election_results.items = SL__ALLOC(q, sl_kmsg_elect_leaders_response_replica_election_result_t, nt);
    resp.replica_election_results.count = resp.replica_election_results.items ? nt : 0;
    for (int i = 0; i < resp.replica_election_results.count; i++) {
        sl_kmsg_elect_leaders_request_topic_partitions_t *rt = &req->topic_partitions.items[i];
        sl_kmsg_elect_leaders_response_replica_election_result_t *tr = &resp.replica_election_results.items[i];
        sl_kmsg_elect_leaders_response_replica_election_result_init(tr);
        tr->topic = rt->topic;
        char *topic = sl__cstr(q, rt->topic);
        int np = rt->partitions.count > 0 ? rt->partitions.count : 0;
        tr->partition_result.items = SL__ALLOC(q, sl_kmsg_elect_leaders_response_partition_result_t, np);
        tr->partition_result.count = tr->partition_result.items ? np : 0;
        for (int j = 0; j < tr->partition_result.count; j++)
            sl__elect_one(q, c, type, topic ? topic : "", rt->partitions.items[j], &tr->partition_result.items[j]);
    }
    SL__RESPOND(q, elect_leaders_response, &resp);
}

/* ---- the controller's APIs (between brokers of a cluster) ---------------------------------------- */

static void sl__broker_registration(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_broker_registration_request_t *req;
    SL__DECODE(q, r, broker_registration_request, req);
    if (!req)
        return;
    sl_kmsg_broker_registration_response_t resp;
    sl_kmsg_broker_registration_response_init(&resp);
    sl_err_t e = SL_OK;
    char *host = req->listeners.count > 0 ? sl__cstr(q, req->listeners.items[0].host) : NULL;
    sl_cluster_t *c = sl__cluster(q->b);
    if (!c)
        e = SL_ERR_NOT_CONTROLLER;
    else if (!host)
        e = SL_ERR_INVALID_REQUEST;
    if (!e) {
        uint64_t incarnation, epoch = 0;
        memcpy(&incarnation, req->incarnation_id, sizeof incarnation);
        e = sl_cluster_register_broker(c, req->broker_id, incarnation, host,
                                       req->listeners.items[0].port, &epoch);
        resp.broker_epoch = e ? -1 : (int64_t)epoch;
    }
    resp.error_code = sl__code(e);
    SL__RESPOND(q, broker_registration_response, &resp);
}

static void sl__broker_heartbeat(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_broker_heartbeat_request_t *req;
    SL__DECODE(q, r, broker_heartbeat_request, req);
    if (!req)
        return;
    sl_kmsg_broker_heartbeat_response_t resp;
    sl_kmsg_broker_heartbeat_response_init(&resp);
    int fenced = 1;
    int leave = req->want_fence || req->want_shut_down;
    sl_cluster_t *c = sl__cluster(q->b);
    sl_err_t e = !c ? SL_ERR_NOT_CONTROLLER
                                : sl_cluster_heartbeat(c, req->broker_id, (uint64_t)req->broker_epoch,
                                                       leave, (uint64_t)req->current_metadata_offset,
                                                       sl_net_request_conn(q->nreq), &fenced);
    resp.error_code = sl__code(e);
    resp.is_caught_up = !e;
    resp.is_fenced = (uint8_t)fenced;
    resp.should_shut_down = !e && req->want_shut_down && fenced;
    SL__RESPOND(q, broker_heartbeat_response, &resp);
}

static void sl__alter_partition(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_alter_partition_request_t *req;
    SL__DECODE(q, r, alter_partition_request, req);
    if (!req)
        return;
    sl_broker_t *b = q->b;
    sl_kmsg_alter_partition_response_t resp;
    sl_kmsg_alter_partition_response_init(&resp);
    sl_cluster_t *c = sl__cluster(b);
    if (!c || q->version < 2) {
        /* Topics by name (v0-1) are the ZooKeeper era's: ids only here. */
        resp.error_code = sl__code(!c ? SL_ERR_NOT_CONTROLLER : SL_ERR_UNSUPPORTED_VERSION);
        SL__RESPOND(q, alter_partition_response, &resp);
        return;
    }
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp.topics.items = SL__ALLOC(q, sl_kmsg_alter_partition_response_topic_data_t, nt);
    resp.topics.count = resp.topics.items ? nt : 0;
    for (int i = 0; i < resp.topics.count; i++) {
        sl_kmsg_alter_partition_request_topic_data_t *td = &req->topics.items[i];
        sl_kmsg_alter_partition_response_topic_data_t *rt = &resp.topics.items[i];
        sl_kmsg_alter_partition_response_topic_data_init(rt);
        memcpy(rt->topic_id, td->topic_id, 16);
        int np = td->partitions.count > 0 ? td->partitions.count : 0;
        rt->partitions.items = SL__ALLOC(q, sl_kmsg_alter_partition_response_partition_data_t, np);
        rt->partitions.count = rt->partitions.items ? np : 0;
        for (int j = 0; j < rt->partitions.count; j++) {
            sl_kmsg_alter_partition_request_partition_data_t *pd = &td->partitions.items[j];
            sl_kmsg_alter_partition_response_partition_data_t *rp = &rt->partitions.items[j];
            sl_kmsg_alter_partition_response_partition_data_init(rp);
            rp->partition_index = pd->partition_index;
            int32_t nisr = q->version >= 3 ? pd->new_isr_with_epochs.count : pd->new_isr.count;
            int32_t *isr = SL__ALLOC(q, int32_t, nisr > 0 ? nisr : 1);
            for (int32_t k = 0; isr && k < nisr; k++)
                isr[k] = q->version >= 3 ? pd->new_isr_with_epochs.items[k].broker_id : pd->new_isr.items[k];
            sl_err_t e = isr ? sl_cluster_alter_isr(c, req->broker_id, (uint64_t)req->broker_epoch,
                                                    td->topic_id, pd->partition_index, pd->leader_epoch,
                                                    pd->partition_epoch, isr, nisr > 0 ? nisr : 0)
                             : SL_ERR_NOMEM;
            if (e == SL_ERR_NOT_CONTROLLER || e == SL_ERR_STALE_BROKER_EPOCH) {
                resp.error_code = sl__code(e);
                continue;
            }
            rp->error_code = sl__code(e);
            /* The partition as it is now (after the change, or the state that
             * made it fail). */
            const sl_meta_image_t *img = sl_cluster_image(c);
            const sl_meta_topic_t *mt = sl_meta_image_topic_by_id(img, td->topic_id);
            const sl_meta_partition_t *mp = mt ? sl_meta_topic_partition(mt, pd->partition_index) : NULL;
            if (mp) {
                rp->leader_id = mp->leader;
                rp->leader_epoch = mp->leader_epoch;
                rp->partition_epoch = mp->partition_epoch;
                rp->isr = (sl_kint32_array_t){sl__ids_dup(q, mp->isr, mp->nisr), mp->nisr};
            }
            sl_meta_image_unref(img);
        }
    }
    SL__RESPOND(q, alter_partition_response, &resp);
}

/* ---- dispatch ------------------------------------------------------------------------------------- */

void sl__dispatch(sl__req_t *q, sl_kreader_t *r)
{
    switch (q->key) {
    case SL_KAPI_API_VERSIONS: sl__api_versions(q, r); break;
    case SL_KAPI_METADATA: sl__metadata(q, r); break;
    case SL_KAPI_PRODUCE: sl__produce(q, r); break;
    case SL_KAPI_FETCH: sl__fetch(q, r); break;
    case SL_KAPI_LIST_OFFSETS: sl__list_offsets(q, r); break;
    case SL_KAPI_CREATE_TOPICS: sl__create_topics(q, r); break;
    case SL_KAPI_DELETE_TOPICS: sl__delete_topics(q, r); break;
    case SL_KAPI_CREATE_PARTITIONS: sl__create_partitions(q, r); break;
    case SL_KAPI_DESCRIBE_CONFIGS: sl__describe_configs(q, r); break;
    case SL_KAPI_ALTER_CONFIGS: sl__alter_configs(q, r); break;
    case SL_KAPI_INCREMENTAL_ALTER_CONFIGS: sl__incremental_alter_configs(q, r); break;
    case SL_KAPI_DELETE_RECORDS: sl__delete_records(q, r); break;
    case SL_KAPI_INIT_PRODUCER_ID: sl__init_producer_id(q, r); break;
    case SL_KAPI_DESCRIBE_CLUSTER: sl__describe_cluster(q, r); break;
    case SL_KAPI_OFFSET_FOR_LEADER_EPOCH: sl__offset_for_leader_epoch(q, r); break;
    case SL_KAPI_ELECT_LEADERS: sl__elect_leaders(q, r); break;
    case SL_KAPI_BROKER_REGISTRATION: sl__broker_registration(q, r); break;
    case SL_KAPI_BROKER_HEARTBEAT: sl__broker_heartbeat(q, r); break;
    case SL_KAPI_ALTER_PARTITION: sl__alter_partition(q, r); break;
    default:
        if (sl__group_dispatch(q, r))
            break;
        sl_net_close(q->nreq);
        sl__req_free(q);
    }
}
