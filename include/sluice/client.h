/* sluice/client.h — a small producer and admin client for programs that feed
 * or set up the topics their topologies read: the embedded broker of this
 * process (in-process calls, no sockets) or any Kafka-protocol cluster
 * (librdkafka). For everything else use a Kafka client library. */
#ifndef SLUICE_CLIENT_H
#define SLUICE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/broker.h>
#include <sluice/err.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_client sl_client_t;

/** Makes a client of the cluster at bootstrap ("host:port,…"), or, when
 * bootstrap is NULL, of the embedded broker eb (which must outlive the
 * client). *out is the caller's (sl_client_destroy). Errors: SL_ERR_INVAL
 * (neither given), SL_ERR_CONFIG, SL_ERR_NOMEM; errbuf says why. */
sl_err_t sl_client_new(const char *bootstrap, sl_embedded_broker_t *eb, sl_client_t **out,
                       char *errbuf, size_t errlen);

/** Flushes nothing and frees the client (call sl_client_flush first). NULL
 * is a no-op. */
void sl_client_destroy(sl_client_t *c);

/** Creates topic with partitions partitions (-1: the broker's default).
 * Errors: SL_ERR_TOPIC_EXISTS (it is there already), SL_ERR_INVALID_TOPIC,
 * SL_ERR_INVALID_PARTITIONS, SL_ERR_IO; errbuf gets the broker's message. */
sl_err_t sl_client_create_topic(sl_client_t *c, const char *topic, int32_t partitions,
                                char *errbuf, size_t errlen);

/** sl_client_create_topic with topic configs: configs is NULL or key, value,
 * …, NULL (Kafka's names, e.g. "retention.ms"; copied). Errors as there, and
 * SL_ERR_INVALID_CONFIG (errbuf names the key). */
sl_err_t sl_client_create_topic_with(sl_client_t *c, const char *topic, int32_t partitions,
                                     const char *const *configs, char *errbuf, size_t errlen);

/** Deletes topic. Errors: SL_ERR_UNKNOWN_TOPIC, SL_ERR_TOPIC_DELETION_DISABLED,
 * SL_ERR_IO. */
sl_err_t sl_client_delete_topic(sl_client_t *c, const char *topic);

/** Queues a record for topic (the partition chosen from the key by murmur2,
 * as the Java client does). key/value NULL are Kafka's null; the bytes are
 * copied. timestamp -1: now. Errors: SL_ERR_UNKNOWN_TOPIC, SL_ERR_NOMEM,
 * SL_ERR_RECORD_TOO_LARGE. */
sl_err_t sl_client_produce(sl_client_t *c, const char *topic, const void *key, size_t key_len,
                           const void *value, size_t value_len, int64_t timestamp);

/** Waits up to timeout_ms (-1: forever) until every queued record is written
 * (acks=all). Returns the first error since the last flush. */
sl_err_t sl_client_flush(sl_client_t *c, int timeout_ms);

/** The number of partitions of topic into *n. Errors: SL_ERR_UNKNOWN_TOPIC,
 * SL_ERR_IO. */
sl_err_t sl_client_partitions(sl_client_t *c, const char *topic, int32_t *n);

#ifdef __cplusplus
}
#endif
#endif
