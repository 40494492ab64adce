/* cluster.h — a broker's part in a replicated cluster (KRaft's combined mode:
 * every node is a broker and a controller-quorum voter).
 *
 * The cluster's metadata (brokers, topics, partitions: replicas, ISR, leader,
 * epochs) is a Raft-replicated log (broker/meta/quorum.h) that every node
 * applies to an in-memory image (broker/meta/image.h). The quorum's leader is
 * the active controller: it registers brokers, fences those that stop
 * heartbeating and elects new partition leaders from the ISR, creates and
 * deletes topics, and applies the leaders' ISR changes (AlterPartition).
 * Every node, the controller included, registers itself with the controller
 * and heartbeats to it (BrokerRegistration / BrokerHeartbeat over the Kafka
 * protocol, or directly when it is the controller itself).
 *
 * Threads: the quorum's thread applies entries; a controller thread watches
 * heartbeats while this node leads; a lifecycle thread registers and
 * heartbeats. Every function below may be called from any thread. */
#ifndef SL_BROKER_SERVER_CLUSTER_H
#define SL_BROKER_SERVER_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/meta/image.h"
#include "broker/server/config.h"

typedef struct sl_cluster sl_cluster_t;

/** Called (on an internal thread) after each new metadata image is
 * published; img is borrowed for the call. */
typedef void (*sl_cluster_image_cb)(void *opaque, const sl_meta_image_t *img);

/** Joins the cluster described by cfg->controller_quorum_voters: starts this
 * node's voter (Raft log in <data dir>/__cluster_metadata.raft), the controller
 * thread and the lifecycle thread, which registers this broker as
 * adv_host:adv_port. on_image (may be NULL) learns every new image. cfg is
 * copied. Errors: SL_ERR_CONFIG (a bad voters list, this node not a voter),
 * SL_ERR_IO, SL_ERR_NOMEM, with detail in errbuf. */
sl_err_t sl_cluster_start(const sl_broker_config_t *cfg, const char *adv_host, int adv_port,
                          sl_cluster_image_cb on_image, void *opaque, sl_cluster_t **out, char *errbuf,
                          size_t errlen);

/** Leaves: stops the threads and the voter; frees c. NULL is a no-op. */
void sl_cluster_stop(sl_cluster_t *c);

/** The current metadata image, referenced: give it back with
 * sl_meta_image_unref. Never NULL. */
const sl_meta_image_t *sl_cluster_image(sl_cluster_t *c);

/** The active controller's node id (the quorum's leader), -1 when none. */
int32_t sl_cluster_controller(sl_cluster_t *c);

/** This node's broker epoch: 0 until registered (again, after the
 * controller forgot it). */
uint64_t sl_cluster_broker_epoch(sl_cluster_t *c);

/* ---- the active controller's operations ---------------------------------------
 * Each answers SL_ERR_NOT_CONTROLLER on a node that does not lead the quorum,
 * and returns once the change is committed and applied here. */

/** Registers (or re-registers, after a restart) a broker; *epoch gets its
 * new broker epoch. It starts fenced; its heartbeats unfence it. */
sl_err_t sl_cluster_register_broker(sl_cluster_t *c, int32_t id, uint64_t incarnation, const char *host,
                                    int port, uint64_t *epoch);

/** A broker's heartbeat: refreshes its session; unfences it when fenced, not
 * want_fence, and caught up (metadata_offset, the last metadata index it has
 * applied, at least its registration's); fences it with want_fence (a
 * controlled shutdown: what it leads moves at once). *fenced gets its state
 * after the call. Errors: SL_ERR_STALE_BROKER_EPOCH (unknown broker or
 * epoch: register again). */
sl_err_t sl_cluster_heartbeat(sl_cluster_t *c, int32_t id, uint64_t epoch, int want_fence,
                              uint64_t metadata_offset, uint64_t conn, int *fenced);

/** The network layer closed connection conn (sl_net_request_conn). A broker
 * whose heartbeats came on it is fenced at the controller's next round
 * rather than after its session timeout: a killed broker's socket closes at
 * once. Quick and lock-light: called on the network layer's threads. */
void sl_cluster_connection_closed(sl_cluster_t *c, uint64_t conn);

/** Creates a topic: partitions and replication factor (-1: the configured
 * defaults), the replicas spread over the unfenced brokers, configs as
 * key/value overrides (validated as the single-node broker does). id_out
 * (may be NULL) gets the topic id. With validate_only nothing changes.
 * Errors: SL_ERR_TOPIC_EXISTS, SL_ERR_INVALID_TOPIC, SL_ERR_INVALID_PARTITIONS,
 * SL_ERR_INVALID_REPLICATION_FACTOR (more than the unfenced brokers),
 * SL_ERR_INVALID_CONFIG; errbuf says why. */
sl_err_t sl_cluster_create_topic(sl_cluster_t *c, const char *name, int32_t partitions, int16_t rf,
                                 const char *const *keys, const char *const *values, int nconfigs,
                                 int validate_only, uint8_t id_out[16], char *errbuf, size_t errlen);

/** Deletes a topic. Errors: SL_ERR_UNKNOWN_TOPIC. */
sl_err_t sl_cluster_delete_topic(sl_cluster_t *c, const char *name);

/** Adds partitions to a topic (to total). Errors: SL_ERR_UNKNOWN_TOPIC,
 * SL_ERR_INVALID_PARTITIONS, SL_ERR_INVALID_REPLICATION_FACTOR. */
sl_err_t sl_cluster_add_partitions(sl_cluster_t *c, const char *name, int32_t total, int validate_only,
                                   char *errbuf, size_t errlen);

/** Changes a topic's config overrides: with replace_all (AlterConfigs) the
 * overrides become exactly keys/values; otherwise (IncrementalAlterConfigs)
 * each key is set, or removed when its value is NULL. The values must have
 * been validated (sl_topics_alter_configs with validate_only); every broker
 * applies them to its replicas as the metadata reaches it. Errors:
 * SL_ERR_UNKNOWN_TOPIC. */
sl_err_t sl_cluster_alter_topic_configs(sl_cluster_t *c, const char *name, const char *const *keys,
                                        const char *const *values, int n, int replace_all);

/** A leader's ISR change (AlterPartition): applied when broker leads the
 * partition at leader_epoch and partition_epoch is current. Errors:
 * SL_ERR_UNKNOWN_TOPIC, SL_ERR_NOT_LEADER_OR_FOLLOWER (not the leader),
 * SL_ERR_FENCED_LEADER_EPOCH, SL_ERR_INVALID_UPDATE_VERSION (stale partition
 * epoch), SL_ERR_INVALID_REQUEST (an ISR member that is not a replica or is
 * fenced), SL_ERR_STALE_BROKER_EPOCH. */
sl_err_t sl_cluster_alter_isr(sl_cluster_t *c, int32_t broker, uint64_t broker_epoch,
                              const uint8_t topic_id[16], int32_t partition, int32_t leader_epoch,
                              int32_t partition_epoch, const int32_t *isr, int32_t nisr);

/** ElectLeaders for one partition. Preferred (unclean 0): its first replica
 * leads, when it is unfenced and in the ISR; errors SL_ERR_ELECTION_NOT_NEEDED
 * (it leads already), SL_ERR_PREFERRED_LEADER_NOT_AVAILABLE. Unclean: a
 * partition without a leader gets any unfenced replica, which becomes the
 * whole ISR; errors SL_ERR_ELECTION_NOT_NEEDED (it has a leader),
 * SL_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE. Also SL_ERR_UNKNOWN_TOPIC. */
sl_err_t sl_cluster_elect_leader(sl_cluster_t *c, const char *topic, int32_t partition, int unclean);

/** Moves leadership of every partition back to its preferred replica where
 * that one is unfenced and in the ISR; *moved gets the count. */
sl_err_t sl_cluster_elect_preferred(sl_cluster_t *c, int *moved);

/* ---- on behalf of clients ---------------------------------------------------------- */

/** Creates a topic through the active controller, wherever it is (this node,
 * or another over the Kafka protocol: CreateTopics), with the defaults for
 * -1 and the config overrides keys[i]=values[i] (at most 16), and waits (up
 * to 2 s) until this node has the topic in its image.
 * Errors as sl_cluster_create_topic, plus SL_ERR_BROKER_NOT_AVAILABLE (the
 * controller cannot be reached). */
sl_err_t sl_cluster_create_topic_anywhere(sl_cluster_t *c, const char *name, int32_t partitions, int16_t rf,
                                          const char *const *keys, const char *const *values, int nconfigs,
                                          char *errbuf, size_t errlen);

/** A leader's ISR change (sl_cluster_alter_isr) sent to the active
 * controller wherever it is, as this broker with its broker epoch. Errors as
 * sl_cluster_alter_isr, plus SL_ERR_BROKER_NOT_AVAILABLE. */
sl_err_t sl_cluster_alter_isr_anywhere(sl_cluster_t *c, const uint8_t topic_id[16], int32_t partition,
                                       int32_t leader_epoch, int32_t partition_epoch, const int32_t *isr,
                                       int32_t nisr);

#endif
