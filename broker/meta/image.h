/* image.h — the cluster metadata image: brokers, topics and partitions
 * (replicas, ISR, leader, epochs) rebuilt by replaying the committed entries
 * of the Raft-replicated metadata log, as KRaft brokers replay
 * __cluster_metadata. Also the encoding of those entries (batches of
 * metadata records), snapshots, and the controller's pure decision helpers
 * (replica assignment, leader election, the changes that fencing a broker
 * implies).
 *
 * The module is pure: no I/O, no threads, no clocks, no randomness. Applying
 * the same entries in the same order always gives the same image, and the
 * same image always gives byte-identical snapshots.
 *
 * Threads: an image is built and changed by one thread (the Raft thread:
 * clone the current image, apply the new entries to the clone, publish it).
 * A published image is never changed again, so any number of threads may
 * read it at once, each holding a reference (sl_meta_image_ref/_unref, which
 * are thread-safe). Every other function must not run concurrently with an
 * apply on the same image.
 *
 * Record encoding (format SL_META_FORMAT_V1): an entry is one format byte
 * followed by records, each a type byte then its fields; int32 fields are
 * zigzag varints, uint64 fields unsigned varints, strings a uvarint length
 * then the bytes, nullable strings a uvarint (length + 1, 0 = null), int32
 * arrays a uvarint count then varints, topic ids 16 raw bytes. A future
 * layout gets a new format byte; an image refuses formats it does not know. */
#ifndef SL_BROKER_META_IMAGE_H
#define SL_BROKER_META_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "common/buf.h"

/** The leading byte of every entry this module writes. */
#define SL_META_FORMAT_V1 1
/** The leading byte of a snapshot (sl_meta_image_snapshot). */
#define SL_META_SNAPSHOT_V1 0x81

/** The most replicas a partition may have (and so the longest ISR). */
#define SL_META_MAX_REPLICAS 64
/** The longest broker host name (bytes, without the NUL). */
#define SL_META_MAX_HOST 255
/** The longest topic name, as Kafka (legal characters: [a-zA-Z0-9._-]). */
#define SL_META_MAX_TOPIC_NAME 249
/** The longest config key or value, in bytes. */
#define SL_META_MAX_CONFIG 32767

/** "No leader", in sl_meta_partition_t.leader and election results. */
#define SL_META_NO_LEADER (-1)

/** The topic config that allows unclean leader election for a topic when it
 * is "true" (the fencing helpers read it; the default is false, as Kafka). */
#define SL_META_UNCLEAN_KEY "unclean.leader.election.enable"

/* ---- records ------------------------------------------------------------- */

/** Metadata record types (their byte values are part of the format). */
typedef enum sl_meta_record_type {
    /** {broker_id, incarnation, host, port}: creates or replaces the broker,
     * fenced, with broker epoch = the index of the entry carrying it. */
    SL_META_REGISTER_BROKER = 1,
    /** {broker_id, broker_epoch}: unfences; ignored when the epoch is not the
     * broker's current one (stale) or the broker is unknown. */
    SL_META_UNFENCE_BROKER = 2,
    /** {broker_id, broker_epoch}: fences; ignored like UNFENCE. */
    SL_META_FENCE_BROKER = 3,
    /** {broker_id}: removes the broker (ignored when unknown). Partitions
     * naming it keep it: replicas are not brokers' registrations. */
    SL_META_UNREGISTER_BROKER = 4,
    /** {name, topic_id}: a new topic with no partitions. */
    SL_META_TOPIC = 5,
    /** {topic_id, partition, replicas, isr, leader, leader_epoch,
     * partition_epoch}: creates partition `partition` (which must be the
     * topic's partition count: partitions are dense) or replaces it. */
    SL_META_PARTITION = 6,
    /** {topic_id, partition, [leader], [isr], [replicas]}: changes the fields
     * present; a present leader (even the same one) bumps leader_epoch by
     * one, and every change bumps partition_epoch by one (Kafka's
     * PartitionChangeRecord and PartitionRegistration.merge). */
    SL_META_PARTITION_CHANGE = 7,
    /** {topic_id}: removes the topic and its partitions. */
    SL_META_REMOVE_TOPIC = 8,
    /** {topic_id, key, value or NULL}: sets a config override, or removes it
     * when value is NULL (removing one that is not set is no change). */
    SL_META_TOPIC_CONFIG = 9,
    /** {broker_id, incarnation, host, port, broker_epoch, fenced}: a broker
     * exactly as it was, epoch included. Snapshots use it; replaces the
     * broker like REGISTER_BROKER but keeps the given epoch and fence. */
    SL_META_BROKER_STATE = 10,
} sl_meta_record_type_t;

/** One decoded record (sl_meta_entry_next). Only the fields of its type are
 * meaningful; strings point into the entry's bytes (not NUL-terminated) and
 * are valid as long as those bytes are. */
typedef struct sl_meta_record {
    sl_meta_record_type_t type;
    int32_t broker_id;
    uint64_t incarnation;
    const char *host;
    size_t host_len;
    int32_t port;
    uint64_t broker_epoch;
    int fenced;
    const char *name; /* TOPIC */
    size_t name_len;
    uint8_t topic_id[16];
    int32_t partition;
    int has_leader, has_isr, has_replicas; /* PARTITION_CHANGE; all 1 for PARTITION */
    int32_t leader, leader_epoch, partition_epoch;
    int32_t nreplicas, nisr;
    int32_t replicas[SL_META_MAX_REPLICAS];
    int32_t isr[SL_META_MAX_REPLICAS];
    const char *key; /* TOPIC_CONFIG */
    size_t key_len;
    const char *value; /* TOPIC_CONFIG; NULL = remove the override */
    size_t value_len;
} sl_meta_record_t;

/** Reads the record at *off of an entry and moves *off
 * past it. Start with *off = 0: the format byte is checked and skipped.
 * Returns 1 with *rec filled, 0 at the end of the entry, or an error:
 * SL_ERR_UNSUPPORTED (a format byte this build does not know),
 * SL_ERR_CORRUPT_MESSAGE (bytes that do not decode, an unknown record type,
 * an array longer than SL_META_MAX_REPLICAS). Checks syntax only. */
int sl_meta_entry_next(const uint8_t *entry, size_t len, size_t *off, sl_meta_record_t *rec);

/* ---- batches: building one Raft entry ------------------------------------ */

/** A batch of records that will be one Raft entry, applied atomically. Plain
 * struct owned by its declarer: sl_meta_batch_init, add records, encode,
 * sl_meta_batch_free. The first failing add latches its error: later adds do
 * nothing and sl_meta_batch_encode returns it. */
typedef struct sl_meta_batch {
    sl_buf_t body; /* the encoded records, without the format byte */
    int count;     /* records added */
    sl_err_t err;  /* the latched error, SL_OK if none */
} sl_meta_batch_t;

/** Makes b an empty batch (no memory yet). */
void sl_meta_batch_init(sl_meta_batch_t *b);

/** Frees b's memory; it may be initialised again. NULL is a no-op. */
void sl_meta_batch_free(sl_meta_batch_t *b);

/** Forgets b's records and latched error, keeping its memory. */
void sl_meta_batch_reset(sl_meta_batch_t *b);

/* Each add_* appends one record and returns SL_OK, the latched error, or:
 * SL_ERR_NOMEM; SL_ERR_INVAL for a NULL string where one is required, a host
 * longer than SL_META_MAX_HOST, a port outside 0..65535, a key or value
 * longer than SL_META_MAX_CONFIG, more than SL_META_MAX_REPLICAS ids.
 * Consistency with the image (topic exists, leader in ISR, ...) is checked by
 * sl_meta_image_apply, not here. Strings are copied. */
sl_err_t sl_meta_batch_add_register_broker(sl_meta_batch_t *b, int32_t id, uint64_t incarnation,
                                           const char *host, int32_t port);
sl_err_t sl_meta_batch_add_broker_state(sl_meta_batch_t *b, int32_t id, uint64_t incarnation,
                                        const char *host, int32_t port, uint64_t epoch, int fenced);
sl_err_t sl_meta_batch_add_unfence_broker(sl_meta_batch_t *b, int32_t id, uint64_t epoch);
sl_err_t sl_meta_batch_add_fence_broker(sl_meta_batch_t *b, int32_t id, uint64_t epoch);
sl_err_t sl_meta_batch_add_unregister_broker(sl_meta_batch_t *b, int32_t id);
sl_err_t sl_meta_batch_add_topic(sl_meta_batch_t *b, const char *name, const uint8_t id[16]);
sl_err_t sl_meta_batch_add_partition(sl_meta_batch_t *b, const uint8_t topic_id[16], int32_t partition,
                                     const int32_t *replicas, int32_t nreplicas, const int32_t *isr,
                                     int32_t nisr, int32_t leader, int32_t leader_epoch,
                                     int32_t partition_epoch);
/** leader is ignored unless has_leader; isr is NULL for "ISR unchanged" (an
 * empty ISR is isr non-NULL with nisr 0), replicas likewise. */
sl_err_t sl_meta_batch_add_partition_change(sl_meta_batch_t *b, const uint8_t topic_id[16],
                                            int32_t partition, int has_leader, int32_t leader,
                                            const int32_t *isr, int32_t nisr,
                                            const int32_t *replicas, int32_t nreplicas);
sl_err_t sl_meta_batch_add_remove_topic(sl_meta_batch_t *b, const uint8_t topic_id[16]);
/** value NULL removes the override. */
sl_err_t sl_meta_batch_add_topic_config(sl_meta_batch_t *b, const uint8_t topic_id[16], const char *key,
                                        const char *value);

/** Appends the entry (format byte + records) to out. An empty batch is a
 * valid entry that changes nothing but the last applied index. Returns the
 * latched error, or SL_ERR_NOMEM (out unchanged in length). */
sl_err_t sl_meta_batch_encode(const sl_meta_batch_t *b, sl_buf_t *out);

/* ---- the image ----------------------------------------------------------- */

/** A registered broker. */
typedef struct sl_meta_broker {
    int32_t id;
    uint64_t incarnation; /* random per process start: tells restarts apart */
    char host[SL_META_MAX_HOST + 1];
    int32_t port;         /* its Kafka listener */
    uint64_t epoch;       /* broker epoch: the index of its REGISTER_BROKER entry */
    int fenced;           /* 1 until unfenced; fenced brokers lead nothing */
} sl_meta_broker_t;

/** One partition. replicas and isr are arrays of broker ids. */
typedef struct sl_meta_partition {
    int32_t *replicas;       /* nreplicas >= 1 ids, distinct; replicas[0] is the preferred leader */
    int32_t nreplicas;
    int32_t *isr;            /* nisr ids, distinct, each in replicas */
    int32_t nisr;
    int32_t leader;          /* a member of isr, or SL_META_NO_LEADER */
    int32_t leader_epoch;
    int32_t partition_epoch;
} sl_meta_partition_t;

/** One per-topic config override. */
typedef struct sl_meta_config {
    char *key;
    char *value;
} sl_meta_config_t;

/** A topic. */
typedef struct sl_meta_topic {
    char *name;
    uint8_t id[16];
    sl_meta_partition_t *partitions; /* npartitions, indexed by partition number */
    int32_t npartitions;
    sl_meta_config_t *configs;       /* nconfigs overrides, sorted by key (strcmp) */
    int32_t nconfigs;
    uint64_t gen_;                   /* private: the apply that last copied it */
} sl_meta_topic_t;

typedef struct sl_meta_image sl_meta_image_t;

/* Pointers into an image (brokers, topics, partitions, strings) are valid as
 * long as the caller holds its reference, and until the image's next apply
 * for the one thread that may apply to it. */

/** A new empty image (no brokers, no topics, last applied index 0) with one
 * reference, or NULL when memory runs out. */
sl_meta_image_t *sl_meta_image_new(void);

/** A deep copy of img with one reference of its own (it shares nothing with
 * img), or NULL when memory runs out. */
sl_meta_image_t *sl_meta_image_clone(const sl_meta_image_t *img);

/** Takes one more reference to img (thread-safe) and returns img. */
sl_meta_image_t *sl_meta_image_ref(const sl_meta_image_t *img);

/** Drops one reference (thread-safe); the last frees the image. NULL is a
 * no-op. */
void sl_meta_image_unref(const sl_meta_image_t *img);

/** Applies the Raft entry at index to img: all of its records or none.
 * Errors (img unchanged for all of them):
 *   SL_ERR_STATE            index is not above img's last applied index;
 *   SL_ERR_UNSUPPORTED      an unknown format byte;
 *   SL_ERR_CORRUPT_MESSAGE  the bytes do not decode;
 *   SL_ERR_UNKNOWN_TOPIC    a topic id that does not exist, a partition
 *                           beyond the topic's partitions;
 *   SL_ERR_TOPIC_EXISTS     a TOPIC whose name or id is taken;
 *   SL_ERR_INVALID_TOPIC    an illegal topic name, an all-zero topic id;
 *   SL_ERR_INVALID_RECORD   any other inconsistency: no replicas, duplicate
 *                           replicas or ISR members, an ISR member that is
 *                           not a replica, a leader not in the ISR, a
 *                           negative broker id, port or epoch, an epoch that
 *                           would overflow, a NUL inside a host, config key
 *                           or value, an empty config key;
 *   SL_ERR_NOMEM.
 * Must not be called on a published image (one other threads read). */
sl_err_t sl_meta_image_apply(sl_meta_image_t *img, const uint8_t *entry, size_t len, uint64_t index);

/** The index of the last entry applied (0 for a new image). */
uint64_t sl_meta_image_last_index(const sl_meta_image_t *img);

/** Appends a snapshot of img to out: SL_META_SNAPSHOT_V1, the last applied
 * index (uvarint), then records that rebuild img (BROKER_STATE per broker by
 * id, then per topic by name TOPIC, its PARTITIONs, its TOPIC_CONFIGs by key).
 * Equal images give byte-identical snapshots. SL_ERR_NOMEM (out's length
 * unchanged). */
sl_err_t sl_meta_image_snapshot(const sl_meta_image_t *img, sl_buf_t *out);

/** Rebuilds an image from a snapshot: *out gets a new image with one
 * reference. Errors: those of sl_meta_image_apply (*out untouched). */
sl_err_t sl_meta_image_restore(const uint8_t *snap, size_t len, sl_meta_image_t **out);

/* ---- reading ------------------------------------------------------------- */

/** The number of brokers, and the i-th in id order (i < count). */
size_t sl_meta_image_broker_count(const sl_meta_image_t *img);
const sl_meta_broker_t *sl_meta_image_broker_at(const sl_meta_image_t *img, size_t i);

/** The broker with this id, or NULL. O(log brokers). */
const sl_meta_broker_t *sl_meta_image_broker(const sl_meta_image_t *img, int32_t id);

/** 1 when broker id is registered and not fenced, else 0. */
int sl_meta_image_broker_unfenced(const sl_meta_image_t *img, int32_t id);

/** The number of topics, and the i-th in name order (strcmp). */
size_t sl_meta_image_topic_count(const sl_meta_image_t *img);
const sl_meta_topic_t *sl_meta_image_topic_at(const sl_meta_image_t *img, size_t i);

/** The topic with this name, or NULL. O(log topics). */
const sl_meta_topic_t *sl_meta_image_topic_by_name(const sl_meta_image_t *img, const char *name);

/** The topic with this id, or NULL. O(1) expected (a hash on the id). */
const sl_meta_topic_t *sl_meta_image_topic_by_id(const sl_meta_image_t *img, const uint8_t id[16]);

/** Partition p of topic t, or NULL when out of range. */
const sl_meta_partition_t *sl_meta_topic_partition(const sl_meta_topic_t *t, int32_t p);

/** The override of key for topic t, or NULL when not overridden. */
const char *sl_meta_topic_config(const sl_meta_topic_t *t, const char *key);

/** 1 when id is in p's ISR (or replicas), else 0. */
int sl_meta_partition_in_isr(const sl_meta_partition_t *p, int32_t id);
int sl_meta_partition_is_replica(const sl_meta_partition_t *p, int32_t id);

/** Partitions whose ISR is smaller than their replica set. O(partitions). */
size_t sl_meta_image_under_replicated(const sl_meta_image_t *img);

/** Partitions with no leader. O(partitions). */
size_t sl_meta_image_offline(const sl_meta_image_t *img);

/* ---- decisions for the controller (pure: same inputs, same answer) -------- */

/** Kafka's rack-unaware replica assignment (AdminUtils.
 * assignReplicasToBrokersRackUnaware with a fixed start index) over the
 * unfenced brokers in id order: partition i's first replica is broker
 * (i + start) mod n; its followers follow at a shift that grows by one every
 * n partitions, so leaders and followers both spread. out gets
 * partitions * rf ids: out[i*rf + j] is replica j of partition i. start
 * (>= 0) is the caller's choice (the controller picks it at random).
 * Errors: SL_ERR_INVALID_PARTITIONS (partitions < 1),
 * SL_ERR_INVALID_REPLICATION_FACTOR (rf < 1, rf > unfenced brokers, or rf >
 * SL_META_MAX_REPLICAS), SL_ERR_INVAL (start < 0). */
sl_err_t sl_meta_assign_replicas(const sl_meta_image_t *img, int32_t partitions, int16_t rf,
                                 int32_t start, int32_t *out);

/** The leader p should have: the first replica (in replica order, so the
 * preferred leader first) that is in the ISR and unfenced; with unclean and
 * no such replica, the first unfenced replica. SL_META_NO_LEADER when none. */
int32_t sl_meta_elect_leader(const sl_meta_image_t *img, const sl_meta_partition_t *p, int unclean);

/** Adds to b the PARTITION_CHANGEs that fencing (or shutting down) broker
 * implies, as Kafka's controller (ReplicationControlManager.
 * generateLeaderAndIsrUpdates, KIP-841) for every partition whose ISR
 * holds it, in topic-name then partition order:
 *   - the ISR loses the broker, except when it is the ISR's last member:
 *     the ISR is never shrunk to empty, so it stays (and, since a fenced
 *     broker cannot lead, the partition goes leaderless: leader -1, and the
 *     broker is the one to come back to when it unfences);
 *   - a leader still in the new ISR keeps leading; otherwise a new leader is
 *     elected among the other unfenced replicas in the new ISR, or, when the
 *     topic allows unclean election (SL_META_UNCLEAN_KEY = "true") and there
 *     is none, any other unfenced replica, whose ISR then becomes just
 *     itself; -1 when there is none.
 * The broker counts as fenced whatever the image says (the batch usually
 * carries its FENCE_BROKER too). Returns the number of records added, or b's
 * latched error / SL_ERR_NOMEM. */
int sl_meta_fence_changes(const sl_meta_image_t *img, int32_t broker, sl_meta_batch_t *b);

/** Adds to b the PARTITION_CHANGEs that unfencing broker allows, as Kafka's
 * handleBrokerUnfenced: every leaderless partition that has the broker as a
 * replica gets a leader if it can, elected as sl_meta_elect_leader with the
 * broker counted as unfenced — so a partition whose ISR kept the broker as
 * its last member (sl_meta_fence_changes) gets it back as leader. When the
 * ISR has no unfenced member and the topic allows unclean election
 * (SL_META_UNCLEAN_KEY), the first unfenced replica leads and the ISR
 * restarts with just it. Returns the number of records added, or an error
 * as sl_meta_fence_changes. */
int sl_meta_unfence_changes(const sl_meta_image_t *img, int32_t broker, sl_meta_batch_t *b);

/** Adds to b a PARTITION_CHANGE making replicas[0] the leader for every
 * partition led by another broker (or by none) while replicas[0] is unfenced
 * and in the ISR (Kafka's preferred leader election). Returns the number of
 * records added, or an error as sl_meta_fence_changes. */
int sl_meta_preferred_changes(const sl_meta_image_t *img, sl_meta_batch_t *b);

#endif
