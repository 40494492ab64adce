/* group_handlers.c — the request handlers of the group APIs: FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * ListGroups, DescribeGroups, DeleteGroups, OffsetDelete. They decode, call
 * the group coordinator (broker/group) and encode; JoinGroup and SyncGroup
 * are answered from the coordinator's callback, maybe later and from another
 * thread. Run on the network layer's handler threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/group/group.h"
#include "broker/server/broker_int.h"
#include "common/trace.h"

/* ---- FindCoordinator: this node, for groups; no transaction coordinator yet --------------------- */

static void sl__find_one(sl__req_t *q, int8_t key_type, sl_kstr_t key, int16_t *err, sl_kstr_t *msg,
                         int32_t *node, sl_kstr_t *host, int32_t *port)
{
    sl_broker_t *b = q->b;
    *node = -1;
    *host = SL_KSTR("");
    *port = -1;
    *msg = SL_KSTR_NULL;
    if (key_type != 0) {
        *err = (int16_t)sl_err_kafka_code(SL_ERR_COORDINATOR_NOT_AVAILABLE);
        *msg = SL_KSTR("transactions are not supported yet");
        return;
    }
    *err = 0;
    if (!b->clustered) {
        *node = b->cfg.node_id;
        *host = sl_kstr_from(b->adv_host);
        *port = b->adv_port;
        return;
    }
    /* A cluster: the leader of the group's partition of __consumer_offsets,
     * which the controller creates on the first lookup (as Kafka does). */
    sl_cluster_t *c = sl__cluster(b);
    *err = (int16_t)sl_err_kafka_code(SL_ERR_COORDINATOR_NOT_AVAILABLE);
    if (!c)
        return;
    const sl_meta_image_t *img = sl_cluster_image(c);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, SL_GROUP_OFFSETS_TOPIC);
    if (!t) {
        int brokers = 0;
        for (size_t i = 0; i < sl_meta_image_broker_count(img); i++)
            brokers += !sl_meta_image_broker_at(img, i)->fenced;
        sl_meta_image_unref(img);
        int16_t rf = (int16_t)(b->cfg.offsets_topic_replication_factor < brokers ? b->cfg.offsets_topic_replication_factor
                                                                                 : brokers);
        const char *keys[] = {"cleanup.policy", "segment.bytes"};
        const char *values[] = {"compact", "104857600"};
        char why[256] = "";
        sl_err_t e = rf < 1 ? SL_ERR_BROKER_NOT_AVAILABLE
                            : sl_cluster_create_topic_anywhere(c, SL_GROUP_OFFSETS_TOPIC, b->cfg.offsets_topic_num_partitions,
                                                               rf, keys, values, 2, why, sizeof why);
        if (e && e != SL_ERR_TOPIC_EXISTS)
            sl_trace(SL_TRACE_WARN, "broker", "creating %s: %s", SL_GROUP_OFFSETS_TOPIC, why[0] ? why : sl_err_str(e));
        return; /* the client asks again */
    }
    int32_t p = sl_group_partition_for(key.data, key.len > 0 ? (size_t)key.len : 0, t->npartitions);
    const sl_meta_partition_t *mp = sl_meta_topic_partition(t, p);
    const sl_meta_broker_t *br = mp ? sl_meta_image_broker(img, mp->leader) : NULL;
    if (br && !br->fenced) {
        size_t n = strlen(br->host);
        char *h = sl_arena_memdup(&q->arena, br->host, n);
        if (h) {
            *err = 0;
            *node = br->id;
            *host = (sl_kstr_t){h, (int32_t)n};
            *port = br->port;
        }
    }
    sl_meta_image_unref(img);
}

static void sl__find_coordinator(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_find_coordinator_request_t *req;
    SL__DECODE(q, r, find_coordinator_request, req);
    if (!req)
        return;
    sl_kmsg_find_coordinator_response_t resp;
    sl_kmsg_find_coordinator_response_init(&resp);
    int8_t kt = q->version >= 1 ? req->key_type : 0;
    if (q->version >= 4) {
        int n = req->coordinator_keys.count > 0 ? req->coordinator_keys.count : 0;
        resp.coordinators.items = sl_arena_alloc(&q->arena, ((size_t)n + 1) * sizeof *resp.coordinators.items);
        resp.coordinators.count = resp.coordinators.items ? n : 0;
        for (int i = 0; i < resp.coordinators.count; i++) {
            sl_kmsg_find_coordinator_response_coordinator_t *co = &resp.coordinators.items[i];
            sl_kmsg_find_coordinator_response_coordinator_init(co);
            co->key = req->coordinator_keys.items[i];
            sl__find_one(q, kt, co->key, &co->error_code, &co->error_message, &co->node_id, &co->host, &co->port);
        }
    } else {
        sl__find_one(q, kt, req->key, &resp.error_code, &resp.error_message, &resp.node_id, &resp.host,
                     &resp.port);
    }
    SL__RESPOND(q, find_coordinator_response, &resp);
}

/* ---- JoinGroup and SyncGroup: answered by the coordinator's callback ---------------------------- */

static void sl__join_done(void *ctx, sl_kmsg_join_group_response_t *resp)
{
    sl__req_t *q = ctx;
    if (q->version < 7 && resp->protocol_name.len < 0)
        resp->protocol_name = SL_KSTR(""); /* not nullable before v7 */
    SL__RESPOND(q, join_group_response, resp);
}

static void sl__join_group(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_join_group_request_t *req;
    SL__DECODE(q, r, join_group_request, req);
    if (!req)
        return;
    char client_id[256], host[80];
    snprintf(client_id, sizeof client_id, "%.*s", q->hdr.client_id.len > 0 ? (int)q->hdr.client_id.len : 0,
             q->hdr.client_id.len > 0 ? q->hdr.client_id.data : "");
    /* Kafka's clientHost is the peer address as InetAddress.toString prints it: "/ip". */
    snprintf(host, sizeof host, "/%s", sl_net_request_peer(q->nreq));
    char *colon = strrchr(host, ':');
    if (colon)
        *colon = 0;
    sl_group_join(q->b->groups, q->version, req, client_id, host, sl__join_done, q);
}

static void sl__sync_done(void *ctx, sl_kmsg_sync_group_response_t *resp)
{
    sl__req_t *q = ctx;
    SL__RESPOND(q, sync_group_response, resp);
}

static void sl__sync_group(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_sync_group_request_t *req;
    SL__DECODE(q, r, sync_group_request, req);
    if (!req)
        return;
    sl_group_sync(q->b->groups, q->version, req, sl__sync_done, q);
}

/* ---- the rest answer at once ------------------------------------------------------------------------ */

static void sl__heartbeat(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_heartbeat_request_t *req;
    SL__DECODE(q, r, heartbeat_request, req);
    if (!req)
        return;
    sl_kmsg_heartbeat_response_t resp;
    sl_kmsg_heartbeat_response_init(&resp);
    sl_group_heartbeat(q->b->groups, req, &resp);
    SL__RESPOND(q, heartbeat_response, &resp);
}

static void sl__leave_group(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_leave_group_request_t *req;
    SL__DECODE(q, r, leave_group_request, req);
    if (!req)
        return;
    sl_kmsg_leave_group_response_t resp;
    sl_kmsg_leave_group_response_init(&resp);
    sl_group_leave(q->b->groups, q->version, req, &resp, &q->arena);
    SL__RESPOND(q, leave_group_response, &resp);
}

static void sl__offset_commit(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_offset_commit_request_t *req;
    SL__DECODE(q, r, offset_commit_request, req);
    if (!req)
        return;
    sl_kmsg_offset_commit_response_t resp;
    sl_kmsg_offset_commit_response_init(&resp);
    sl_group_offset_commit(q->b->groups, q->version, req, &resp, &q->arena);
    sl__broker_notify_append(q->b);
    SL__RESPOND(q, offset_commit_response, &resp);
}

static void sl__offset_fetch(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_offset_fetch_request_t *req;
    SL__DECODE(q, r, offset_fetch_request, req);
    if (!req)
        return;
    sl_kmsg_offset_fetch_response_t resp;
    sl_kmsg_offset_fetch_response_init(&resp);
    sl_group_offset_fetch(q->b->groups, q->version, req, &resp, &q->arena);
    SL__RESPOND(q, offset_fetch_response, &resp);
}

static void sl__list_groups(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_list_groups_request_t *req;
    SL__DECODE(q, r, list_groups_request, req);
    if (!req)
        return;
    sl_kmsg_list_groups_response_t resp;
    sl_kmsg_list_groups_response_init(&resp);
    sl_group_list(q->b->groups, q->version, req, &resp, &q->arena);
    SL__RESPOND(q, list_groups_response, &resp);
}

static void sl__describe_groups(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_describe_groups_request_t *req;
    SL__DECODE(q, r, describe_groups_request, req);
    if (!req)
        return;
    sl_kmsg_describe_groups_response_t resp;
    sl_kmsg_describe_groups_response_init(&resp);
    sl_group_describe(q->b->groups, req, &resp, &q->arena);
    SL__RESPOND(q, describe_groups_response, &resp);
}

static void sl__delete_groups(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_delete_groups_request_t *req;
    SL__DECODE(q, r, delete_groups_request, req);
    if (!req)
        return;
    sl_kmsg_delete_groups_response_t resp;
    sl_kmsg_delete_groups_response_init(&resp);
    sl_group_delete(q->b->groups, req, &resp, &q->arena);
    SL__RESPOND(q, delete_groups_response, &resp);
}

static void sl__offset_delete(sl__req_t *q, sl_kreader_t *r)
{
    sl_kmsg_offset_delete_request_t *req;
    SL__DECODE(q, r, offset_delete_request, req);
    if (!req)
        return;
    sl_kmsg_offset_delete_response_t resp;
    sl_kmsg_offset_delete_response_init(&resp);
    sl_group_offset_delete(q->b->groups, req, &resp, &q->arena);
    SL__RESPOND(q, offset_delete_response, &resp);
}

int sl__group_dispatch(sl__req_t *q, sl_kreader_t *r)
{
    switch (q->key) {
    case SL_KAPI_FIND_COORDINATOR: sl__find_coordinator(q, r); return 1;
    case SL_KAPI_JOIN_GROUP: sl__join_group(q, r); return 1;
    case SL_KAPI_SYNC_GROUP: sl__sync_group(q, r); return 1;
    case SL_KAPI_HEARTBEAT: sl__heartbeat(q, r); return 1;
    case SL_KAPI_LEAVE_GROUP: sl__leave_group(q, r); return 1;
    case SL_KAPI_OFFSET_COMMIT: sl__offset_commit(q, r); return 1;
    case SL_KAPI_OFFSET_FETCH: sl__offset_fetch(q, r); return 1;
    case SL_KAPI_LIST_GROUPS: sl__list_groups(q, r); return 1;
    case SL_KAPI_DESCRIBE_GROUPS: sl__describe_groups(q, r); return 1;
    case SL_KAPI_DELETE_GROUPS: sl__delete_groups(q, r); return 1;
    case SL_KAPI_OFFSET_DELETE: sl__offset_delete(q, r); return 1;
    default: return 0;
    }
}
