/* sluice/err.h — the one error type of Sluice: codes, names and messages.
 *
 * Every fallible function returns an sl_err_t. SL_OK is zero; errors are
 * negative, grouped by module, and never renumbered. Where an error crosses
 * the Kafka wire it carries Kafka's own error code (sl_err_kafka_code()). */
#ifndef SLUICE_ERR_H
#define SLUICE_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, value, kafka error code, message). Values are stable: add new rows,
 * never renumber. Kafka codes: 0 none, -1 UNKNOWN_SERVER_ERROR, 1
 * OFFSET_OUT_OF_RANGE, 2 CORRUPT_MESSAGE, 10 MESSAGE_TOO_LARGE, 32
 * INVALID_TIMESTAMP, 76 UNSUPPORTED_COMPRESSION_TYPE, 87 INVALID_RECORD. */
#define SL_ERR_TABLE(X)                                                        \
    X(SL_OK, 0, 0, "success")                                                  \
    /* general: -1 .. -99 */                                                   \
    X(SL_ERR_NOMEM, -1, -1, "out of memory")                                   \
    X(SL_ERR_INVAL, -2, -1, "invalid argument")                                \
    X(SL_ERR_IO, -3, -1, "I/O error")                                          \
    X(SL_ERR_RANGE, -4, -1, "value out of range")                              \
    X(SL_ERR_EXISTS, -5, -1, "already exists")                                 \
    X(SL_ERR_STATE, -6, -1, "operation not allowed in this state")             \
    X(SL_ERR_CONFIG, -7, -1, "bad configuration value")                        \
    X(SL_ERR_TRUNCATED, -8, -1, "input ends too early")                        \
    X(SL_ERR_UNSUPPORTED, -9, -1, "not supported")                             \
    X(SL_ERR_TIMEOUT, -10, 7, "timed out")                                     \
    /* partition log and record batches: -100 .. -199 */                       \
    X(SL_ERR_CORRUPT_MESSAGE, -100, 2, "corrupt record batch (CRC or length)") \
    X(SL_ERR_INVALID_RECORD, -101, 87, "invalid record")                       \
    X(SL_ERR_UNKNOWN_MAGIC, -102, 2, "unsupported record batch magic")         \
    X(SL_ERR_UNSUPPORTED_COMPRESSION, -103, 76, "unsupported compression type") \
    X(SL_ERR_COMPRESSION, -104, 2, "compression or decompression failed")      \
    X(SL_ERR_RECORD_TOO_LARGE, -105, 10, "record batch too large")             \
    X(SL_ERR_OFFSET_OUT_OF_RANGE, -106, 1, "offset out of range")              \
    X(SL_ERR_INVALID_TIMESTAMP, -107, 32, "invalid timestamp")                 \
    X(SL_ERR_LOG_CLOSED, -108, -1, "partition log is closed")                   \
    /* broker: -200 .. -299 */                                                 \
    X(SL_ERR_UNKNOWN_TOPIC, -200, 3, "unknown topic or partition")             \
    X(SL_ERR_TOPIC_EXISTS, -201, 36, "topic already exists")                   \
    X(SL_ERR_INVALID_TOPIC, -202, 17, "invalid topic name")                    \
    X(SL_ERR_INVALID_PARTITIONS, -203, 37, "invalid number of partitions")     \
    X(SL_ERR_INVALID_REPLICATION_FACTOR, -204, 38, "invalid replication factor") \
    X(SL_ERR_INVALID_CONFIG, -205, 40, "invalid configuration")                \
    X(SL_ERR_INVALID_REQUEST, -206, 42, "invalid request")                     \
    X(SL_ERR_UNSUPPORTED_VERSION, -207, 35, "unsupported API version")         \
    X(SL_ERR_TOPIC_DELETION_DISABLED, -208, 73, "topic deletion is disabled")   \
    X(SL_ERR_OUT_OF_ORDER_SEQUENCE, -209, 45, "out of order sequence number")  \
    X(SL_ERR_INVALID_PRODUCER_EPOCH, -210, 47, "producer epoch is older than the last seen") \
    X(SL_ERR_UNKNOWN_PRODUCER_ID, -211, 59, "unknown producer id")            \
    /* broker: the group coordinator */                                        \
    X(SL_ERR_UNKNOWN_MEMBER_ID, -212, 25, "unknown group member id")           \
    X(SL_ERR_ILLEGAL_GENERATION, -213, 22, "stale or unknown group generation") \
    X(SL_ERR_REBALANCE_IN_PROGRESS, -214, 27, "the group is rebalancing")      \
    X(SL_ERR_INCONSISTENT_GROUP_PROTOCOL, -215, 23, "no protocol in common with the group") \
    X(SL_ERR_COORDINATOR_NOT_AVAILABLE, -216, 15, "the group coordinator is not available") \
    X(SL_ERR_NOT_COORDINATOR, -217, 16, "not the coordinator for this group")  \
    X(SL_ERR_GROUP_ID_NOT_FOUND, -218, 69, "no such group")                    \
    X(SL_ERR_NON_EMPTY_GROUP, -219, 68, "the group has members")               \
    X(SL_ERR_MEMBER_ID_REQUIRED, -220, 79, "rejoin with the member id given")  \
    X(SL_ERR_FENCED_INSTANCE_ID, -221, 82, "a newer member has this group.instance.id") \
    X(SL_ERR_INVALID_GROUP_ID, -222, 24, "invalid group id")                   \
    X(SL_ERR_INVALID_SESSION_TIMEOUT, -223, 26, "session timeout outside the broker's bounds") \
    X(SL_ERR_OFFSET_METADATA_TOO_LARGE, -224, 12, "offset metadata too large") \
    X(SL_ERR_GROUP_SUBSCRIBED_TO_TOPIC, -225, 86, "the group is subscribed to the topic") \
    X(SL_ERR_COORDINATOR_LOAD_IN_PROGRESS, -238, 14,                          \
      "the coordinator is loading the group's partition of __consumer_offsets") \
    /* broker: the cluster (controller quorum, replication) */                 \
    X(SL_ERR_NOT_LEADER_OR_FOLLOWER, -226, 6, "this broker does not lead the partition") \
    X(SL_ERR_NOT_CONTROLLER, -227, 41, "this node is not the active controller") \
    X(SL_ERR_NOT_ENOUGH_REPLICAS, -228, 19, "fewer in-sync replicas than min.insync.replicas") \
    X(SL_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, -229, 20,                        \
      "written, but fewer in-sync replicas than min.insync.replicas")          \
    X(SL_ERR_FENCED_LEADER_EPOCH, -230, 74, "the leader epoch is older than the broker's") \
    X(SL_ERR_UNKNOWN_LEADER_EPOCH, -231, 75, "the leader epoch is newer than the broker's") \
    X(SL_ERR_STALE_BROKER_EPOCH, -232, 77, "stale broker epoch")               \
    X(SL_ERR_BROKER_NOT_AVAILABLE, -233, 8, "broker not available")            \
    X(SL_ERR_LEADER_NOT_AVAILABLE, -234, 5, "the partition has no leader now") \
    X(SL_ERR_INVALID_UPDATE_VERSION, -235, 108, "stale partition epoch")       \
    X(SL_ERR_ELECTION_NOT_NEEDED, -236, 84, "the preferred leader already leads") \
    X(SL_ERR_PREFERRED_LEADER_NOT_AVAILABLE, -237, 80, "the preferred leader is not available") \
    X(SL_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE, -239, 83, "no replica is eligible to lead") \
    /* dataflow engine: -300 .. -399 */                                        \
    X(SL_ERR_SERDE, -300, -1, "a serde could not read or write a value")       \
    X(SL_ERR_TOPOLOGY, -301, -1, "invalid topology")                           \
    X(SL_ERR_PROCESSING, -302, -1, "a processor failed")

/** The error type. Zero is success; every error is negative. */
typedef enum sl_err {
#define SL__ERR_ENUM(name, value, kafka, msg) name = value,
    SL_ERR_TABLE(SL__ERR_ENUM)
#undef SL__ERR_ENUM
} sl_err_t;

/** A human-readable message for err ("unknown error" for a value not in the
 * table). The string is static: never free it. */
const char *sl_err_str(sl_err_t err);

/** The symbolic name of err, e.g. "SL_ERR_IO" ("SL_ERR_UNKNOWN" for a value
 * not in the table). The string is static. */
const char *sl_err_name(sl_err_t err);

/** Kafka's wire error code for err: 0 for SL_OK, -1 (UNKNOWN_SERVER_ERROR)
 * where Kafka has no closer code. */
int sl_err_kafka_code(sl_err_t err);

/** The first error of the table with Kafka's wire code (an answer read from
 * a Kafka-protocol peer): SL_OK for 0, SL_ERR_IO for -1 and codes the table
 * does not have. */
sl_err_t sl_err_from_kafka_code(int code);

#ifdef __cplusplus
}
#endif
#endif
