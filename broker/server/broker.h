/* broker.h — a single-node Kafka-protocol broker: the log manager, the topic
 * catalogue and the network layer wired to the request handlers. `sluice
 * broker` runs one; tests and the embedded shell start one in process. */
#ifndef SL_BROKER_SERVER_BROKER_H
#define SL_BROKER_SERVER_BROKER_H

#include <stddef.h>

#include <sluice/err.h>

#include "broker/server/config.h"

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

#endif
