/* group.h — the group coordinator: Kafka's classic consumer-group protocol
 * (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), committed offsets, and their
 * records in the compacted internal topic __consumer_offsets, loaded back on
 * start. The request handlers (broker/server/group_handlers.c) decode the
 * wire and call in here; this module fills the generated response structs.
 *
 * Threads: every function may be called from any thread; one mutex guards all
 * groups. JoinGroup and SyncGroup are answered through a callback, maybe later
 * (when the rebalance completes) and from another thread: the coordinator's
 * timer thread ("sl-group") or the handler thread whose request completed the
 * rebalance. Callbacks run with the coordinator's lock held: they must encode
 * and send their answer and must not call back into the coordinator. */
#ifndef SL_BROKER_GROUP_GROUP_H
#define SL_BROKER_GROUP_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/proto/kmsg.h"
#include "broker/server/topics.h"
#include "common/buf.h"

#define SL_GROUP_OFFSETS_TOPIC "__consumer_offsets"

typedef struct sl_group_coord sl_group_coord_t;

/** The coordinator's settings (Kafka's broker keys). */
typedef struct sl_group_config {
    int32_t offsets_topic_num_partitions;  /* offsets.topic.num.partitions */
    int64_t offsets_retention_ms;          /* offsets.retention.minutes, in ms */
    int64_t offsets_retention_check_ms;    /* offsets.retention.check.interval.ms: 600000 */
    int64_t initial_rebalance_delay_ms;    /* group.initial.rebalance.delay.ms */
    int64_t min_session_timeout_ms;        /* group.min.session.timeout.ms */
    int64_t max_session_timeout_ms;        /* group.max.session.timeout.ms */
    int32_t offset_metadata_max_bytes;     /* offset.metadata.max.bytes: 4096 */
} sl_group_config_t;

/** Starts the coordinator over the topic catalogue: loads every group's
 * offsets and metadata from __consumer_offsets (when it exists; it is created
 * on first write) and starts the timer thread. topics must outlive the
 * coordinator. Errors: SL_ERR_NOMEM, SL_ERR_IO (reading the topic; errbuf). */
sl_err_t sl_group_coord_start(sl_topics_t *topics, const sl_group_config_t *cfg, sl_group_coord_t **out,
                              char *errbuf, size_t errlen);

/** Stops the timer thread, answers every held JoinGroup/SyncGroup with
 * NOT_COORDINATOR (as Kafka does when it gives up a group) and frees c.
 * NULL is a no-op. */
void sl_group_coord_stop(sl_group_coord_t *c);

/** Kafka's coordinator partition: Utils.abs(groupId.hashCode()) % n, with
 * Java's String.hashCode over the UTF-16 code units of the UTF-8 id. */
int32_t sl_group_partition_for(const char *group_id, size_t len, int32_t n);

/* ---- membership ------------------------------------------------------------------ */

/** The answer to a JoinGroup; resp is valid during the call only. */
typedef void sl_group_join_cb(void *ctx, sl_kmsg_join_group_response_t *resp);
/** The answer to a SyncGroup; resp is valid during the call only. */
typedef void sl_group_sync_cb(void *ctx, sl_kmsg_sync_group_response_t *resp);

/** JoinGroup of the given version (v4+ require a known member id, KIP-394).
 * cb is called exactly once, now or when the rebalance completes. req and the
 * strings it views need only live until this function returns. */
void sl_group_join(sl_group_coord_t *c, int16_t version, const sl_kmsg_join_group_request_t *req,
                   const char *client_id, const char *client_host, sl_group_join_cb *cb, void *ctx);

/** SyncGroup: cb is called exactly once, now or when the leader's assignment
 * arrives. */
void sl_group_sync(sl_group_coord_t *c, int16_t version, const sl_kmsg_sync_group_request_t *req,
                   sl_group_sync_cb *cb, void *ctx);

/** Heartbeat: fills resp->error_code. */
void sl_group_heartbeat(sl_group_coord_t *c, const sl_kmsg_heartbeat_request_t *req,
                        sl_kmsg_heartbeat_response_t *resp);

/** LeaveGroup (v0-2 one member, v3+ a batch): fills resp, allocating in a. */
void sl_group_leave(sl_group_coord_t *c, int16_t version, const sl_kmsg_leave_group_request_t *req,
                    sl_kmsg_leave_group_response_t *resp, sl_arena_t *a);

/* ---- offsets ----------------------------------------------------------------------- */

/** OffsetCommit: fills resp (one entry per requested partition), allocating in a. */
void sl_group_offset_commit(sl_group_coord_t *c, int16_t version, const sl_kmsg_offset_commit_request_t *req,
                            sl_kmsg_offset_commit_response_t *resp, sl_arena_t *a);

/** OffsetFetch (v1-7 one group, v8 many): fills resp, allocating in a. */
void sl_group_offset_fetch(sl_group_coord_t *c, int16_t version, const sl_kmsg_offset_fetch_request_t *req,
                           sl_kmsg_offset_fetch_response_t *resp, sl_arena_t *a);

/** OffsetDelete: fills resp, allocating in a. */
void sl_group_offset_delete(sl_group_coord_t *c, const sl_kmsg_offset_delete_request_t *req,
                            sl_kmsg_offset_delete_response_t *resp, sl_arena_t *a);

/* ---- administration ------------------------------------------------------------------- */

void sl_group_list(sl_group_coord_t *c, int16_t version, const sl_kmsg_list_groups_request_t *req,
                   sl_kmsg_list_groups_response_t *resp, sl_arena_t *a);
void sl_group_describe(sl_group_coord_t *c, const sl_kmsg_describe_groups_request_t *req,
                       sl_kmsg_describe_groups_response_t *resp, sl_arena_t *a);
void sl_group_delete(sl_group_coord_t *c, const sl_kmsg_delete_groups_request_t *req,
                     sl_kmsg_delete_groups_response_t *resp, sl_arena_t *a);

/** Runs the offsets.retention expiry now, as of now_ms (tests; the timer thread
 * runs it every offsets_retention_check_ms). Returns the offsets removed. */
int sl_group_expire_offsets(sl_group_coord_t *c, int64_t now_ms);

/* ---- __consumer_offsets records (the schemas in kafka-protocol/group-coordinator) ------------- */

/** OffsetCommitKey v1 / OffsetCommitValue v3, GroupMetadataKey v2: the bytes
 * Kafka writes, appended to out (version int16 + fields). */
sl_err_t sl_group_offset_key(sl_buf_t *out, const char *group, const char *topic, int32_t partition);
sl_err_t sl_group_offset_value(sl_buf_t *out, int64_t offset, int32_t leader_epoch, const char *metadata,
                               int64_t commit_ts);
sl_err_t sl_group_metadata_key(sl_buf_t *out, const char *group);

#endif
