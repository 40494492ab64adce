/* logclient.h — the engine's only door to the log: produce, fetch, commit
 * offsets, topic metadata. Two implementations behind one interface: local
 * (direct calls into a broker embedded in this process, no sockets,
 * logclient_local.c) and kafka (librdkafka against any Kafka-protocol cluster,
 * logclient_kafka.c). Engine code is written once against this header and
 * runs on either; tests/engine/test_logclient.c is the contract both pass.
 *
 * What a Kafka Streams-like runtime builds from it:
 *  - input consumer: group mode (sl_lc_subscribe), the rebalance callback
 *    hands out partitions and the engine sets each one's start offset from
 *    what it keeps itself (or leaves the committed offset);
 *  - restore consumer: assign mode (sl_lc_assign at the changelog offset kept
 *    in the state store), poll until sl_lc_position says the end offset taken
 *    with sl_lc_end_offset is reached (or at_end), then unassign;
 *  - producer: output, changelog and repartition records (sl_lc_produce),
 *    sl_lc_flush at commit, then sl_lc_commit of the input offsets.
 *
 * Threads: an sl_lc_t belongs to one thread at a time (the stream thread that
 * created it, or whoever it hands the client to): every function but
 * sl_lc_wakeup must be called from that thread, never concurrently. Callbacks
 * (records, rebalances, delivery reports) run on that thread, inside
 * sl_lc_poll / sl_lc_flush / sl_lc_produce / sl_lc_unsubscribe as each says.
 * Different clients are independent and may run on different threads.
 *
 * Offsets follow Kafka: a committed offset and a position are the offset of
 * the next record to read. */
#ifndef SL_ENGINE_LOGCLIENT_H
#define SL_ENGINE_LOGCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/broker.h>
#include <sluice/bytes.h>
#include <sluice/err.h>

/* The broker, opaque here: engine code never looks inside (broker/server/broker.h). */
typedef struct sl_broker sl_broker_t;

typedef struct sl_lc sl_lc_t;

/* Symbolic start offsets for sl_lc_assign, sl_lc_seek and the rebalance
 * callback (librdkafka's values, so the kafka client passes them through). */
#define SL_LC_OFFSET_BEGINNING (-2)   /* the log start offset */
#define SL_LC_OFFSET_END (-1)         /* the log end offset: only new records */
#define SL_LC_OFFSET_COMMITTED (-1000) /* the group's committed offset, else auto_offset_reset */

/* sl_lc_produce's partition: pick one from the key (murmur2, as the Java
 * client, so Sluice, Kafka Streams and ksqlDB agree), round-robin for a null
 * key. */
#define SL_LC_PARTITION_ANY (-1)

/** Where to start when there is no committed offset, or the position is
 * outside the log (retention removed it): Kafka's auto.offset.reset. */
typedef enum sl_lc_reset {
    SL_LC_RESET_EARLIEST = 0, /* Kafka Streams' choice, and the zero value */
    SL_LC_RESET_LATEST = 1,
} sl_lc_reset_t;

/** Called once per produced record when its fate is known: offset is the
 * offset the log gave it (-1 on error), err SL_OK or why it was not written.
 * topic is valid during the call only. Runs on the client's thread inside
 * sl_lc_produce, sl_lc_flush or sl_lc_poll; must not call back into the
 * client. Per partition, reports come in produce order. */
typedef void sl_lc_delivery_cb(void *opaque, const char *topic, int32_t partition, int64_t offset,
                               sl_err_t err);

/** How to make a client. All-zero (or a NULL pointer) is valid: defaults.
 * Strings are copied by sl_lc_new_*; nothing here needs to outlive it. */
typedef struct sl_lc_config {
    const char *client_id; /* client.id; NULL: "sluice" */
    const char *group_id;  /* group.id; NULL: no group — assign mode only, no
                            * commits, SL_LC_OFFSET_COMMITTED means auto_offset_reset */
    sl_lc_reset_t auto_offset_reset;
    int request_timeout_ms; /* bound on blocking calls (metadata, admin, commit); 0: 30000 */
    /* Extra properties: key, value, key, value, …, NULL. The kafka client
     * passes each to librdkafka (keys prefixed "producer." or "consumer." go
     * to that side only; others to both). The local client honours
     * batch.size (bytes of records per partition buffered before an append;
     * 262144), linger.ms (how long poll leaves buffered records unappended;
     * 5), compression.type (none, gzip, snappy, lz4, zstd) and
     * max.partition.fetch.bytes (bytes read from one partition at a time;
     * 1048576); it ignores the rest. */
    const char *const *props;
    sl_lc_delivery_cb *on_delivery; /* NULL: no per-record reports (errors still reach sl_lc_flush) */
    void *delivery_opaque;
} sl_lc_config_t;

/** One record header. name is never null; value.data == NULL is a null value. */
typedef struct sl_lc_header {
    sl_bytes_t name;
    sl_bytes_t value;
} sl_lc_header_t;

/** A record as produced and as consumed: views, never owning. key.data ==
 * NULL is a null key and value.data == NULL a null value (a tombstone); an
 * empty but non-null key or value has a non-NULL data and len 0. */
typedef struct sl_lc_record {
    sl_bytes_t key;
    sl_bytes_t value;
    int64_t timestamp; /* ms since the epoch; produce: -1 means now (and so does 0 with
                        * the kafka client: librdkafka reads 0 as "now") */
    const sl_lc_header_t *headers;
    size_t header_count;
    int64_t offset; /* consumed records: the record's offset; ignored on produce */
} sl_lc_record_t;

/** A topic-partition with an offset: what sl_lc_assign, sl_lc_commit and the
 * rebalance callback exchange. topic is borrowed: the caller's, or (in a
 * callback) valid during the call only. */
typedef struct sl_lc_tp {
    const char *topic;
    int32_t partition;
    int64_t offset; /* an offset, or SL_LC_OFFSET_* where the call allows it */
} sl_lc_tp_t;

/* ---- create, destroy ----------------------------------------------------------------- */

/** Makes a client over broker, a broker running in this process (with
 * sl_broker_start, or inside an sl_embedded_broker_t: see
 * sl__embedded_broker_get). No sockets, no threads: produce buffers batches
 * and appends them by the Produce handler's path; poll reads the logs and
 * waits on appends; commits go to the group coordinator directly.
 * Group mode is a one-member group: the client takes every partition of the
 * subscribed topics, does not join the coordinator's group (other members of
 * the same group.id do not see it) and commits as a simple consumer, which
 * the coordinator refuses (SL_ERR_UNKNOWN_MEMBER_ID) while a real member of
 * that group.id is active. broker must outlive the client: destroy every
 * client before sl_broker_stop. cfg may be NULL. *out is the caller's
 * (sl_lc_destroy). Errors: SL_ERR_INVAL (no broker, a bad property value;
 * errbuf says which), SL_ERR_NOMEM. */
sl_err_t sl_lc_new_local(sl_broker_t *broker, const sl_lc_config_t *cfg, sl_lc_t **out, char *errbuf,
                         size_t errlen);

/** Makes a client for the Kafka-protocol cluster at bootstrap_servers
 * ("host:port[,host:port…]": a Sluice broker or Apache Kafka), through
 * librdkafka: a producer (acks=all, idempotent, no topic auto-creation) and
 * a consumer (no auto-commit; partition EOF tracked for sl_lc_position),
 * each made on first use. Group mode is Kafka's consumer group protocol:
 * members with the same group.id share the partitions. Nothing is contacted
 * here: an unreachable cluster shows in the first call that needs it.
 * cfg may be NULL. *out is the caller's (sl_lc_destroy). Errors:
 * SL_ERR_INVAL (no bootstrap servers), SL_ERR_CONFIG (librdkafka refused a
 * property; errbuf names it), SL_ERR_NOMEM. */
sl_err_t sl_lc_new_kafka(const char *bootstrap_servers, const sl_lc_config_t *cfg, sl_lc_t **out,
                         char *errbuf, size_t errlen);

/** Frees the client. Records produced and not flushed are dropped (flush
 * first); a group member leaves its group without calling the rebalance
 * callback (call sl_lc_unsubscribe first to see the revocation). Not from
 * inside a callback of lc. NULL is a no-op. */
void sl_lc_destroy(sl_lc_t *lc);

/** "local" or "kafka" (static). */
const char *sl_lc_kind(const sl_lc_t *lc);

/** Detail on the last error a call on lc returned (librdkafka's message, the
 * broker's reason), or "" — valid until the next call on lc. */
const char *sl_lc_errstr(const sl_lc_t *lc);

/** Makes a sl_lc_poll blocked on another thread return early (0 records).
 * The only function that may be called from any thread, at any time while
 * lc exists. A wakeup with no poll running makes the next poll return at
 * once. */
void sl_lc_wakeup(sl_lc_t *lc);

/* ---- metadata ----------------------------------------------------------------------- */

/** *out gets the number of partitions of topic. Errors: SL_ERR_UNKNOWN_TOPIC
 * (no such topic), SL_ERR_INVALID_TOPIC (not a legal name), SL_ERR_IO (the
 * cluster did not answer within the request timeout). */
sl_err_t sl_lc_partition_count(sl_lc_t *lc, const char *topic, int32_t *out);

/** Creates topic with partitions partitions (-1: the broker's num.partitions)
 * and replication_factor replicas (-1: the broker's default; the local broker
 * has one node, so only 1 or -1). configs: topic-level key, value, …, NULL
 * (e.g. "cleanup.policy", "compact"), or NULL. Returns once the topic is
 * usable through this client (the kafka client waits for it to show in
 * metadata, up to the request timeout). Errors: SL_ERR_TOPIC_EXISTS (already
 * there: callers that only need it to exist ignore this one),
 * SL_ERR_INVALID_TOPIC, SL_ERR_INVALID_PARTITIONS,
 * SL_ERR_INVALID_REPLICATION_FACTOR, SL_ERR_INVALID_CONFIG (errbuf names the
 * key), SL_ERR_IO; errbuf (may be NULL) gets the broker's message. */
sl_err_t sl_lc_create_topic(sl_lc_t *lc, const char *topic, int32_t partitions, int16_t replication_factor,
                            const char *const *configs, char *errbuf, size_t errlen);

/** Deletes topic (and, in this client, records still buffered for it, which
 * are reported failed). Errors: SL_ERR_UNKNOWN_TOPIC,
 * SL_ERR_TOPIC_DELETION_DISABLED, SL_ERR_IO. */
sl_err_t sl_lc_delete_topic(sl_lc_t *lc, const char *topic);

/** The partition's log start offset (*start, first readable offset) and log
 * end offset (*end, the next offset to be written; for a consumer, the high
 * watermark), asked of the broker now. Either pointer may be NULL.
 * Errors: SL_ERR_UNKNOWN_TOPIC, SL_ERR_IO. */
sl_err_t sl_lc_watermarks(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *start, int64_t *end);

/** sl_lc_watermarks for the end offset only. */
sl_err_t sl_lc_end_offset(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *end);

/* ---- produce ---------------------------------------------------------------------------- */

/** Queues rec for topic-partition (SL_LC_PARTITION_ANY: from the key) and
 * returns; everything rec points to is copied. Delivery is asynchronous:
 * records reach the log in produce order per partition, acknowledged by every
 * in-sync replica (acks=all); sl_lc_flush waits for them. The local client
 * appends a partition's buffered batch when it reaches batch.size, when a
 * poll finds it older than linger.ms, and at flush. Blocks (serving delivery
 * reports) while the kafka client's queue is full. The topic is looked up on
 * first use and the answer cached, so a missing topic is reported here.
 * Errors: SL_ERR_UNKNOWN_TOPIC (no such topic or partition),
 * SL_ERR_INVAL (rec NULL, a header without name), SL_ERR_RECORD_TOO_LARGE,
 * SL_ERR_NOMEM; an error from an earlier append is returned by sl_lc_flush,
 * not here. */
sl_err_t sl_lc_produce(sl_lc_t *lc, const char *topic, int32_t partition, const sl_lc_record_t *rec);

/** Sends everything buffered and waits up to timeout_ms (-1: forever) until
 * every record produced so far is acknowledged or failed; delivery reports
 * run in here. Returns the first error of any record since the previous
 * flush (then forgets it), or SL_ERR_IO when records are still outstanding
 * at the timeout (sl_lc_errstr says how many). After SL_OK,
 * sl_lc_end_offset sees every record. */
sl_err_t sl_lc_flush(sl_lc_t *lc, int timeout_ms);

/* ---- consume ------------------------------------------------------------------------------ */

/** Replaces the assignment with parts[0..n) (n 0: none), each starting at its
 * offset (an offset, or SL_LC_OFFSET_BEGINNING / END / COMMITTED). Not in
 * group mode (SL_ERR_STATE; sl_lc_unsubscribe first). Errors: SL_ERR_STATE,
 * SL_ERR_INVAL (duplicate partition, bad offset), SL_ERR_NOMEM. A missing
 * topic is not checked here: sl_lc_poll reports it. */
sl_err_t sl_lc_assign(sl_lc_t *lc, const sl_lc_tp_t *parts, size_t n);

/** Sets the position of an assigned partition: the next poll delivers from
 * offset (or SL_LC_OFFSET_BEGINNING / END / COMMITTED) on; records fetched
 * before are dropped. Errors: SL_ERR_STATE (not assigned), SL_ERR_INVAL,
 * SL_ERR_IO (kafka: the consumer did not take the seek). */
sl_err_t sl_lc_seek(sl_lc_t *lc, const char *topic, int32_t partition, int64_t offset);

/** Pauses (paused 1) or resumes (0) an assigned partition: a paused one is
 * not fetched, its position kept; resuming continues from there. May be
 * called from the record callback. Errors: SL_ERR_STATE (not assigned). */
sl_err_t sl_lc_pause(sl_lc_t *lc, const char *topic, int32_t partition, int paused);

/** The rebalance callback's events. */
typedef enum sl_lc_rebalance {
    SL_LC_ASSIGNED = 1, /* parts are now this member's: set each one's offset */
    SL_LC_REVOKED = 2,  /* parts are no longer this member's: commit, close tasks */
} sl_lc_rebalance_t;

/** Reports a rebalance. With SL_LC_ASSIGNED each parts[i].offset comes as
 * SL_LC_OFFSET_COMMITTED and the callback may set it to where that partition
 * should start (an offset the engine keeps, BEGINNING, END). With
 * SL_LC_REVOKED the offsets mean nothing, and this is the last moment to
 * commit for these partitions (sl_lc_commit works in here). parts and its
 * topic strings are valid during the call only. Runs inside sl_lc_poll (and
 * sl_lc_unsubscribe) on the client's thread; it may call sl_lc_commit,
 * sl_lc_committed, sl_lc_position and the metadata functions; sl_lc_poll,
 * sl_lc_assign, sl_lc_seek, sl_lc_subscribe and sl_lc_unsubscribe return
 * SL_ERR_STATE there. Assignments are eager: a rebalance revokes every
 * partition, then assigns the new set. */
typedef void sl_lc_rebalance_cb(void *opaque, sl_lc_t *lc, sl_lc_rebalance_t event, sl_lc_tp_t *parts,
                                size_t n);

/** Joins group.id subscribed to topics[0..n) (strings copied); partitions
 * arrive through cb during later polls. Needs a group.id (else SL_ERR_STATE);
 * a manual assignment (sl_lc_assign) is dropped. Subscribing again replaces
 * the topic list. A topic that does not exist yet gets partitions
 * once it does (the local client looks every 500 ms). Errors: SL_ERR_STATE,
 * SL_ERR_INVAL (no topics, cb NULL), SL_ERR_NOMEM, SL_ERR_IO (kafka). */
sl_err_t sl_lc_subscribe(sl_lc_t *lc, const char *const *topics, size_t n, sl_lc_rebalance_cb *cb,
                         void *opaque);

/** Leaves the group: the rebalance callback sees the current partitions
 * revoked (inside this call), then the client has no assignment. A no-op
 * when not subscribed. Errors: SL_ERR_IO (kafka). */
sl_err_t sl_lc_unsubscribe(sl_lc_t *lc);

/** Called for each record polled. topic and rec (and what it points to) are
 * valid during the call only. Return 0 to go on, non-zero to end the poll
 * after this record. May call sl_lc_produce, sl_lc_pause and sl_lc_position
 * (sl_lc_poll, sl_lc_assign, sl_lc_seek, sl_lc_subscribe and
 * sl_lc_unsubscribe return SL_ERR_STATE; leave the others alone too). */
typedef int sl_lc_record_cb(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *rec);

/** Delivers up to max_records records of the assigned, unpaused partitions,
 * in offset order within each partition, to cb; waits up to timeout_ms (0:
 * not at all, -1: forever) for the first one — the local client sleeps on
 * the broker's appends, it does not spin. In group mode the rebalance
 * callback runs in here first when the assignment changes. Records past the
 * position are fetched from the log in batches and handed out as views: the
 * local client allocates nothing per record. Control records (transaction
 * markers) are skipped. A position outside the log moves by
 * auto_offset_reset. Returns the number of records delivered (0 at the
 * timeout or after sl_lc_wakeup), or an error: SL_ERR_STATE (called from a
 * callback), SL_ERR_UNKNOWN_TOPIC (an assigned partition does not exist),
 * SL_ERR_IO; records delivered before an error stay delivered. */
int sl_lc_poll(sl_lc_t *lc, int timeout_ms, int max_records, sl_lc_record_cb *cb, void *opaque);

/** The position of an assigned partition: *offset the next offset poll will
 * deliver (-1 while not known yet: a symbolic start offset the kafka client
 * has not resolved), *at_end (may be NULL) 1 when the last fetch reached the
 * log end offset with nothing left to deliver — past compacted-away records
 * and transaction markers, which is how a restore knows it is done.
 * Errors: SL_ERR_STATE (not assigned). */
sl_err_t sl_lc_position(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset, int *at_end);

/* ---- offsets -------------------------------------------------------------------------------- */

/** Commits offsets[0..n) (each the next offset to read, >= 0) for group.id,
 * synchronously: on return the coordinator has written them to
 * __consumer_offsets. A group member commits as a member of its generation;
 * otherwise as a simple consumer. Errors: SL_ERR_STATE (no group.id),
 * SL_ERR_INVAL, SL_ERR_UNKNOWN_TOPIC, SL_ERR_ILLEGAL_GENERATION /
 * SL_ERR_UNKNOWN_MEMBER_ID / SL_ERR_REBALANCE_IN_PROGRESS (the coordinator
 * refused: a rebalance is under way or the member was evicted), SL_ERR_IO. */
sl_err_t sl_lc_commit(sl_lc_t *lc, const sl_lc_tp_t *offsets, size_t n);

/** *offset gets group.id's committed offset for topic-partition, -1 when
 * there is none. Errors: SL_ERR_STATE (no group.id), SL_ERR_IO. */
sl_err_t sl_lc_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset);

/* ---- the embedded broker, for the engine ----------------------------------------------------- */

/** The broker inside an embedded broker, for sl_lc_new_local. Valid until
 * sl_embedded_broker_stop. Defined in embedded.c. */
sl_broker_t *sl__embedded_broker_get(sl_embedded_broker_t *eb);

#endif
