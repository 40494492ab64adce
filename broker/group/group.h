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
 * coordinator. Errors: SL_ERR_NOMEM, SL_ERR_IO (reading the topic; errbuf).
 * The single-node coordinator: sl_group_coord_start_with(..., NULL, ...). */
sl_err_t sl_group_coord_start(sl_topics_t *topics, const sl_group_config_t *cfg, sl_group_coord_t **out,
                              char *errbuf, size_t errlen);

/** Writes one partition of __consumer_offsets for a coordinator in ownership
 * mode. records[0..len) is one v2 record batch (base offset 0); the hook may
 * rewrite it in place (offsets, partitionLeaderEpoch) and must not keep it
 * past the call. The broker appends it as leader of partition with
 * leader_epoch (the epoch given to sl_group_coord_partition_acquired) and
 * returns once it is in the leader's log, without waiting for the in-sync
 * replicas: *end_offset gets the offset after the batch, which the
 * coordinator then passes to the wait hook. Any error fails the request that
 * wrote (mapped to Kafka's codes as Kafka's coordinator does:
 * SL_ERR_NOT_LEADER_OR_FOLLOWER and SL_ERR_FENCED_LEADER_EPOCH answer
 * NOT_COORDINATOR; SL_ERR_UNKNOWN_TOPIC, SL_ERR_NOT_ENOUGH_REPLICAS(_AFTER_APPEND)
 * and SL_ERR_LEADER_NOT_AVAILABLE answer COORDINATOR_NOT_AVAILABLE; any other
 * error its own code, e.g. SL_ERR_TIMEOUT REQUEST_TIMED_OUT). It is called
 * with the coordinator's lock held, from a request handler thread or the
 * coordinator's timer thread; it must not block for long and must not call
 * back into the coordinator. */
typedef sl_err_t sl_group_append_fn(void *opaque, int32_t partition, int32_t leader_epoch, uint8_t *records,
                                    size_t len, int64_t *end_offset);

/** Waits until the in-sync replicas of partition hold every offset below
 * end_offset (acks=all): SL_OK means the write is committed. Errors as for
 * sl_group_append_fn. It may block; for offset commits, the leader's
 * SyncGroup and offset expiry it is called without the coordinator's lock
 * (other groups, and this group's heartbeats, are served meanwhile), for the
 * other writes with it held (see sl_group_hooks_t). Must not call back into
 * the coordinator. */
typedef sl_err_t sl_group_wait_fn(void *opaque, int32_t partition, int64_t end_offset);

/** What makes a coordinator one of several (the replicated cluster): with
 * hooks, the coordinator owns no partition of __consumer_offsets until the
 * broker calls sl_group_coord_partition_acquired, loads nothing at start,
 * never creates __consumer_offsets (the cluster's controller does) and never
 * appends to its logs itself: every record goes through append, then wait.
 *
 * In this "ownership mode" a group belongs to partition
 * sl_group_partition_for(id, len, offsets_topic_num_partitions) — the broker
 * must configure offsets_topic_num_partitions as the topic's partition count.
 * Every request about a group of a partition not owned is answered
 * NOT_COORDINATOR (Kafka's 16: clients look the coordinator up again), of a
 * partition being loaded COORDINATOR_LOAD_IN_PROGRESS (14); ListGroups lists
 * only the owned groups (with error 14 while any partition loads).
 *
 * An offset commit waits for replication without the coordinator's lock, as
 * Kafka keeps a pending commit out of its cache until the append is
 * acknowledged: the commit is applied to the cache after the wait, unless a
 * later write of the same partition's offset got there first (each cached
 * offset remembers the log offset that wrote it). So does the leader's
 * SyncGroup: the generation becomes Stable after the wait if no new
 * rebalance began meanwhile; and offset expiry: an offset committed again
 * during the wait stays. While a group has writes in flight, OffsetDelete
 * and DeleteGroups of it wait for them, and offset expiry passes it by.
 * Known limit: the rare writes left (the metadata of a group a rebalance
 * left empty, OffsetDelete, DeleteGroups) still wait for replication with
 * the lock held, which stalls every group for that long. */
typedef struct sl_group_hooks {
    sl_group_append_fn *append; /* required */
    sl_group_wait_fn *wait;     /* NULL: an append is committed when append returns */
    void *opaque;               /* passed to append and wait */
} sl_group_hooks_t;

/** sl_group_coord_start, with hooks: NULL (or hooks->append NULL) is exactly
 * sl_group_coord_start; otherwise the coordinator starts in ownership mode
 * (see sl_group_hooks_t), owning nothing. hooks is copied. topics must outlive
 * the coordinator. Errors: SL_ERR_NOMEM, SL_ERR_IO (single-node mode: reading
 * the topic; errbuf). */
sl_err_t sl_group_coord_start_with(sl_topics_t *topics, const sl_group_config_t *cfg, const sl_group_hooks_t *hooks,
                                   sl_group_coord_t **out, char *errbuf, size_t errlen);

/** Ownership mode: this broker now leads partition of __consumer_offsets with
 * leader_epoch. Marks the partition loading (its groups answer
 * COORDINATOR_LOAD_IN_PROGRESS), reads the groups and committed offsets of
 * that partition from its local log in topics (to the log end offset) without
 * holding the coordinator's lock — other partitions are served meanwhile —
 * then serves them. Blocks the calling thread for the read.
 *
 * Already owned (or loading) with an epoch <= leader_epoch: the epoch is
 * updated and nothing is reloaded (the groups in memory are what this broker
 * wrote). An epoch older than the one held is stale: ignored, SL_OK. A
 * sl_group_coord_partition_lost during the read wins: the read is discarded.
 * Errors: SL_ERR_STATE (not in ownership mode), SL_ERR_INVAL (partition
 * outside [0, offsets_topic_num_partitions)), SL_ERR_UNKNOWN_TOPIC (no local
 * log of that partition: it stays unowned), SL_ERR_IO / SL_ERR_NOMEM (reading;
 * the partition stays unowned). Any thread; not concurrently with or after
 * sl_group_coord_stop. */
sl_err_t sl_group_coord_partition_acquired(sl_group_coord_t *c, int32_t partition, int32_t leader_epoch);

/** Ownership mode: this broker no longer leads partition of
 * __consumer_offsets. Drops every group of that partition from memory; their
 * held JoinGroup/SyncGroup answers are sent NOT_COORDINATOR (from the calling
 * thread, with the lock held) and later requests about them too. Unowned
 * already: no-op. Errors: SL_ERR_STATE (not in ownership mode), SL_ERR_INVAL
 * (partition out of range). Any thread; not after sl_group_coord_stop. */
sl_err_t sl_group_coord_partition_lost(sl_group_coord_t *c, int32_t partition);

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
