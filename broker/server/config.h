/* config.h — the broker's configuration: Kafka's server.properties names and
 * defaults, read from a Java properties file and the command line.
 *
 * Unknown keys are warnings (Kafka logs them too), bad values errors naming
 * the key (and the file and line). Keys with a topic-level twin
 * (log.segment.bytes → segment.bytes …) set the defaults of new topics. */
#ifndef SL_BROKER_SERVER_CONFIG_H
#define SL_BROKER_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/log/logmgr.h"
#include "broker/net/net.h"

typedef struct sl_broker_config {
    int32_t node_id;                 /* node.id: 1 */
    char listener_host[256];         /* from listeners: PLAINTEXT://:9092 */
    int listener_port;
    char advertised_host[256];       /* advertised.listeners; "" = the listener's (or localhost) */
    int advertised_port;
    char data_dir[1024];             /* log.dirs (first entry) / log.dir: ./sluice-data */
    int32_t num_partitions;          /* num.partitions: 1 */
    int16_t default_replication_factor; /* default.replication.factor: 1 */
    int auto_create_topics_enable;   /* auto.create.topics.enable: true */
    int delete_topic_enable;         /* delete.topic.enable: true */
    int32_t min_insync_replicas;     /* min.insync.replicas: 1 */
    int64_t transactional_id_expiration_ms; /* transactional.id.expiration.ms: 604800000 */
    int64_t producer_id_expiration_ms; /* producer.id.expiration.ms: 86400000 */
    int32_t offsets_topic_num_partitions; /* offsets.topic.num.partitions: 50 */
    int16_t offsets_topic_replication_factor; /* offsets.topic.replication.factor: 3 (at most the brokers) */
    int64_t offsets_retention_minutes;    /* offsets.retention.minutes: 10080 */
    int64_t group_initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms: 3000 */
    int64_t group_min_session_timeout_ms; /* group.min.session.timeout.ms: 6000 */
    int64_t group_max_session_timeout_ms; /* group.max.session.timeout.ms: 1800000 */
    /* The cluster (empty controller_quorum_voters: a single node, no quorum). */
    char controller_quorum_voters[2048]; /* controller.quorum.voters: "1@host:port,..." */
    int64_t broker_session_timeout_ms;  /* broker.session.timeout.ms: 9000 */
    int64_t broker_heartbeat_interval_ms; /* broker.heartbeat.interval.ms: 2000 */
    int64_t controller_quorum_election_timeout_ms; /* controller.quorum.election.timeout.ms: 1000 */
    int64_t replica_lag_time_max_ms;    /* replica.lag.time.max.ms: 30000 */
    int64_t replica_fetch_wait_max_ms;  /* replica.fetch.wait.max.ms: 500 */
    int32_t replica_fetch_min_bytes;    /* replica.fetch.min.bytes: 1 */
    int32_t replica_fetch_max_bytes;    /* replica.fetch.max.bytes: 1048576 */
    int32_t replica_fetch_response_max_bytes; /* replica.fetch.response.max.bytes: 10485760 */
    int64_t replica_fetch_backoff_ms;   /* replica.fetch.backoff.ms: 1000 */
    int64_t replica_socket_timeout_ms;  /* replica.socket.timeout.ms: 30000 */
    int unclean_leader_election_enable; /* unclean.leader.election.enable: false */
    int auto_leader_rebalance_enable;   /* auto.leader.rebalance.enable: true */
    int64_t leader_imbalance_check_interval_seconds; /* leader.imbalance.check.interval.seconds: 300 */
    sl_net_config_t net;             /* num.network.threads, num.io.threads, socket.* */
    sl_logmgr_config_t log;          /* log.* and the defaults of new topics */
    int8_t retention_key_rank;       /* which of log.retention.{hours,minutes,ms} set it */
    int8_t roll_key_rank;            /* which of log.roll.{hours,ms} set segment.ms */
} sl_broker_config_t;

/** Kafka's defaults (with Sluice's data directory, ./sluice-data). */
void sl_broker_config_default(sl_broker_config_t *cfg);

/** Sets one key from its text value. Errors: SL_ERR_INVAL for an unknown key,
 * SL_ERR_CONFIG for a bad value; errbuf names the key and says what is
 * expected. cfg is unchanged on error. */
sl_err_t sl_broker_config_set(sl_broker_config_t *cfg, const char *key, const char *value,
                              char *errbuf, size_t errlen);

/** Reads a Java properties file (key=value, key: value or key value; # and !
 * comments; backslash line continuations; \t \n \\ \uXXXX escapes) into cfg.
 * Unknown keys are traced as warnings and skipped. Errors: SL_ERR_IO (cannot
 * read; errbuf names the file), SL_ERR_CONFIG (a bad value: errbuf gives
 * "FILE:LINE: key: reason"). */
sl_err_t sl_broker_config_load(sl_broker_config_t *cfg, const char *path, char *errbuf,
                               size_t errlen);

/** Parses "PLAINTEXT://host:port" (or "host:port", or "[v6]:port") into host
 * and port. Returns 0 on success, -1 on bad input. host "" means all
 * interfaces. */
int sl_parse_listener(const char *text, char *host, size_t hostlen, int *port);

#endif
