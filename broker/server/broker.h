/* broker.h — a single-node Kafka-protocol broker: the log manager, the topic
 * catalogue and the network layer wired to the request handlers. `sluice
 * broker` runs one; tests and the embedded shell start one in process. */
#ifndef SL_BROKER_SERVER_BROKER_H
#define SL_BROKER_SERVER_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/group/group.h"
#include "broker/server/config.h"
#include "broker/server/topics.h"

typedef struct sl_broker sl_broker_t;

/** Opens the data directory (recovering every log), binds the listener and
 * starts serving. cfg is copied. *out is owned by the caller (sl_broker_stop).
 * Errors: SL_ERR_IO (data directory or listener: errbuf says which and why,
 * e.g. "127.0.0.1:9092: address already in use"), SL_ERR_NOMEM,
 * SL_ERR_CORRUPT_MESSAGE (an unreadable catalogue). */
sl_err_t sl_broker_start(const sl_broker_config_t *cfg, sl_broker_t **out, char *errbuf, size_t errlen);

/** The port the broker listens on (useful with port 0). */
int sl_broker_port(const sl_broker_t *b);

/** The cluster id (22 characters, base64 of a random UUID, kept in
 * meta.properties as Kafka does). Valid until sl_broker_stop. */
const char *sl_broker_cluster_id(const sl_broker_t *b);

/** Stops gracefully: no new requests, waiting fetches answered, logs flushed,
 * checkpoints written, clean shutdown recorded. Frees b. NULL is a no-op. */
void sl_broker_stop(sl_broker_t *b);

/* ---- for in-process clients (engine/logclient_local.c) -----------------------------
 * The engine's local log client reaches the broker through these instead of
 * the network: the same catalogue, logs, coordinator and append path the
 * request handlers use, so that waiting fetches wake and offsets move exactly
 * as for a Produce or OffsetCommit request. Every function may be called from
 * any thread; none may be called after sl_broker_stop. */

/** The topic catalogue (borrow partitions with sl_topics_acquire). Valid until
 * sl_broker_stop. */
sl_topics_t *sl_broker_topics(sl_broker_t *b);

/** The group coordinator, for reads (OffsetFetch); commit through
 * sl_broker_offset_commit. Valid until sl_broker_stop. */
sl_group_coord_t *sl_broker_groups(sl_broker_t *b);

/** The configuration the broker runs with (num.partitions,
 * delete.topic.enable …). Valid until sl_broker_stop. */
const sl_broker_config_t *sl_broker_config(const sl_broker_t *b);

/** Appends complete v2 record batches data[0..len) to topic-partition by the
 * Produce handler's path (idempotence checks for batches with a producer id,
 * the log append, waking waiting fetches and sl_broker_wait_append). Offsets
 * are written into data, which stays the caller's. *base_offset (may be NULL)
 * gets the first batch's base offset. Errors: SL_ERR_UNKNOWN_TOPIC, those of
 * sl_log_append, those of the idempotence check. Defined in handlers.c. */
sl_err_t sl_broker_produce(sl_broker_t *b, const char *topic, int32_t partition, uint8_t *data, size_t len,
                           int64_t *base_offset);

/** OffsetCommit by the handler's path: sl_group_offset_commit, then waiting
 * fetches of __consumer_offsets are woken. resp is filled in a, as there. */
void sl_broker_offset_commit(sl_broker_t *b, int16_t version, const sl_kmsg_offset_commit_request_t *req,
                             sl_kmsg_offset_commit_response_t *resp, sl_arena_t *a);

/** A counter bumped by every append to any partition (and every offset
 * commit). Read it before looking at the logs, then wait with
 * sl_broker_wait_append for something newer. */
uint64_t sl_broker_append_seq(sl_broker_t *b);

/** Blocks until the append counter differs from seen, deadline_ms (wall
 * clock, sl_now_ms) passes, or sl_broker_wake_readers is called; may also
 * return early for no reason, so callers loop. Returns the counter. */
uint64_t sl_broker_wait_append(sl_broker_t *b, uint64_t seen, int64_t deadline_ms);

/** Wakes every thread blocked in sl_broker_wait_append, and makes a wait that
 * is about to start return at once: it counts as an append (nothing was
 * written). */
void sl_broker_wake_readers(sl_broker_t *b);

#endif
