/* sluice/test_driver.h — a deterministic driver for topologies, as Kafka
 * Streams' TopologyTestDriver: records piped in one at a time go through the
 * whole topology (repartition topics included) before the call returns; the
 * records written to output topics are kept in queues to read. No broker, no
 * threads, no real time: the wall clock moves only when the test moves it.
 *
 * State stores are the real ones (LMDB) in a temporary state directory the
 * driver removes when destroyed. After each piped record the driver commits,
 * as the TopologyTestDriver does: caches are flushed, so the output of a
 * record is in the queues when the pipe call returns. */
#ifndef SLUICE_TEST_DRIVER_H
#define SLUICE_TEST_DRIVER_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/bytes.h>
#include <sluice/err.h>
#include <sluice/streams.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_test_driver sl_test_driver_t;

/** A record read from an output topic. The views are the driver's, valid
 * until the next call on the driver. */
typedef struct sl_test_record {
    sl_bytes_t key, value;
    int key_null, value_null;
    int64_t timestamp;
    int32_t partition;
    const sl_header_t *headers;
    size_t nheaders;
} sl_test_record_t;

/** Makes a driver for t (which must outlive it) with configuration cfg (may
 * be NULL; application.id defaults to "test-driver", state.dir to a new
 * temporary directory). The wall clock starts at start_wall_ms. Errors:
 * SL_ERR_TOPOLOGY (t has a latched build error, or cannot run: errbuf names
 * the operator), SL_ERR_CONFIG, SL_ERR_IO (state directory), SL_ERR_NOMEM. */
sl_err_t sl_test_driver_new(sl_topology_t *t, const sl_config_t *cfg, int64_t start_wall_ms,
                            sl_test_driver_t **out, char *errbuf, size_t errlen);

/** Closes the tasks, removes the temporary state directory (not one the
 * configuration named) and frees the driver. NULL is a no-op. */
void sl_test_driver_destroy(sl_test_driver_t *d);

/** Pipes one record (key and value as bytes; NULL is Kafka's null) into
 * topic, partition 0, and processes it. Errors: SL_ERR_UNKNOWN_TOPIC (no
 * source reads topic), and any processing error the handlers turn into a
 * failure (the message in sl_test_driver_last_error); after a failure the
 * driver refuses further records with SL_ERR_STATE. */
sl_err_t sl_test_driver_pipe(sl_test_driver_t *d, const char *topic, const sl_bytes_t *key,
                             const sl_bytes_t *value, int64_t timestamp);

/** sl_test_driver_pipe with headers. */
sl_err_t sl_test_driver_pipe_headers(sl_test_driver_t *d, const char *topic, const sl_bytes_t *key,
                                     const sl_bytes_t *value, int64_t timestamp,
                                     const sl_header_t *headers, size_t nheaders);

/** Pipes objects, serialized with the serdes given (NULL: the source's). */
sl_err_t sl_test_driver_pipe_obj(sl_test_driver_t *d, const char *topic,
                                 const sl_serde_t *key_serde, const void *key,
                                 const sl_serde_t *value_serde, const void *value,
                                 int64_t timestamp);

/** Reads the oldest unread record of an output topic: 1 with *rec, 0 when
 * the queue is empty. */
int sl_test_driver_read(sl_test_driver_t *d, const char *topic, sl_test_record_t *rec);

/** Reads the oldest unread record as objects (deserialized with the serdes
 * given; objects valid until the next call on the driver): 1, 0 when empty,
 * or SL_ERR_SERDE. */
int sl_test_driver_read_obj(sl_test_driver_t *d, const char *topic, const sl_serde_t *key_serde,
                            const void **key, const sl_serde_t *value_serde, const void **value,
                            int64_t *timestamp);

/** How many unread records the queue of topic holds. */
size_t sl_test_driver_queued(const sl_test_driver_t *d, const char *topic);

/** Moves the wall clock forward by ms and runs the wall-clock punctuators
 * that are due. Errors as sl_test_driver_pipe. */
sl_err_t sl_test_driver_advance_wall_clock(sl_test_driver_t *d, int64_t ms);

/** A metric summed over the tasks: "dropped-records" (late records past a
 * window's grace, negative timestamps), "skipped-records" (null keys where a
 * key is needed), "deserialization-errors" (records a serde could not read,
 * continued past), "process-total" (records piped), "record-send-total"
 * (records sent to output topics, repartition topics and changelogs not
 * counted). -1 for an unknown name. */
int64_t sl_test_driver_metric(const sl_test_driver_t *d, const char *name);

/** Reads a key-value store (an interactive query): 1 with *value (an object
 * valid until the next call on the driver), 0 when absent, or an error
 * (SL_ERR_INVAL: no such store). */
int sl_test_driver_kv_get(sl_test_driver_t *d, const char *store, const void *key,
                          const void **value);

/** Reads a window store: the value of key's window starting at start. */
int sl_test_driver_window_get(sl_test_driver_t *d, const char *store, const void *key,
                              int64_t start, const void **value);

/** The message of the last failure (empty when none). */
const char *sl_test_driver_last_error(const sl_test_driver_t *d);

#ifdef __cplusplus
}
#endif
#endif
