/* sluice/broker.h — a Kafka-protocol broker inside your program: start one on a
 * data directory, point any Kafka client (or a Sluice engine, in process) at
 * it, stop it. The same broker `sluice broker` runs, with one node.
 *
 *     sl_embedded_broker_t *eb;
 *     char err[256];
 *     if (sl_embedded_broker_start("./data", "127.0.0.1:0", &eb, err, sizeof err))
 *         fprintf(stderr, "%s\n", err);
 *     printf("bootstrap.servers=%s\n", sl_embedded_broker_bootstrap(eb));
 *     ...
 *     sl_embedded_broker_stop(eb);
 *
 * Threads: the broker runs its own threads (network, request handlers,
 * fetch purgatory, group coordinator, log maintenance); the functions here
 * may be called from any thread, but stop only once, after everything else. */
#ifndef SLUICE_BROKER_H
#define SLUICE_BROKER_H

#include <stddef.h>

#include <sluice/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A running embedded broker (opaque). */
typedef struct sl_embedded_broker sl_embedded_broker_t;

/** Starts a broker on data_dir (created when missing; NULL: "./sluice-data";
 * its logs are recovered when it holds some) listening on listen,
 * "HOST:PORT" (port 0: any free port, see sl_embedded_broker_port; NULL or
 * "none": 127.0.0.1 on a free port — the broker always serves the Kafka
 * protocol, this keeps it to the machine). Kafka's defaults otherwise, except
 * group.initial.rebalance.delay.ms 0 (nothing to wait for in one process).
 * *out is the caller's (sl_embedded_broker_stop). Errors: SL_ERR_INVAL (bad
 * listen), SL_ERR_IO (the data directory is unusable or used by another
 * broker, the address is taken), SL_ERR_CORRUPT_MESSAGE (an unreadable topic
 * catalogue), SL_ERR_NOMEM; errbuf (may be NULL) says what and why. */
sl_err_t sl_embedded_broker_start(const char *data_dir, const char *listen, sl_embedded_broker_t **out,
                                  char *errbuf, size_t errlen);

/** sl_embedded_broker_start with broker settings: props is key, value, key,
 * value, …, NULL, in server.properties names ("num.partitions", "3",
 * "log.retention.ms", "60000", …), applied after the defaults and before
 * data_dir and listen (so "log.dirs" and "listeners" here are overridden).
 * props may be NULL. Errors as sl_embedded_broker_start, plus SL_ERR_CONFIG
 * (a bad value) and SL_ERR_INVAL (an unknown key); errbuf names the key. */
sl_err_t sl_embedded_broker_start_with(const char *data_dir, const char *listen, const char *const *props,
                                       sl_embedded_broker_t **out, char *errbuf, size_t errlen);

/** The port the broker listens on (the one picked when listen said port 0). */
int sl_embedded_broker_port(const sl_embedded_broker_t *eb);

/** "host:port" for a Kafka client's bootstrap.servers. The string is eb's:
 * valid until sl_embedded_broker_stop. */
const char *sl_embedded_broker_bootstrap(const sl_embedded_broker_t *eb);

/** Stops the broker gracefully (waiting requests answered, logs flushed,
 * a clean shutdown recorded) and frees eb. Every in-process client of it
 * must be gone first. NULL is a no-op. */
void sl_embedded_broker_stop(sl_embedded_broker_t *eb);

#ifdef __cplusplus
}
#endif
#endif
