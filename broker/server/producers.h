/* producers.h — idempotent producers: producer ids, and per partition the
 * last five batches of each producer, so that a retried batch is answered
 * with its first offsets instead of being written twice, and a gap in
 * sequence numbers is refused (Kafka's ProducerStateManager, without
 * transactions yet).
 *
 * Threads: a partition's state is used under that partition's produce lock
 * (the caller's); the id allocator locks itself. */
#ifndef SL_BROKER_SERVER_PRODUCERS_H
#define SL_BROKER_SERVER_PRODUCERS_H

#include <stdint.h>

#include <sluice/err.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"

#define SL_PRODUCER_DEDUPE_BATCHES 5 /* Kafka keeps the last five batches per producer */

typedef struct sl_pstate sl_pstate_t;

/** A partition's producer state, empty. NULL when memory runs out. */
sl_pstate_t *sl_pstate_new(void);
void sl_pstate_free(sl_pstate_t *ps);

/** Rebuilds the state from the log's batch headers (after a restart, so that
 * a retry of a batch written before it is still recognised). */
sl_err_t sl_pstate_load(sl_pstate_t *ps, sl_log_t *log);

/** Checks a producer's batch before it is appended. Returns SL_OK (append
 * it; also for non-idempotent batches, producer id -1), 1 when it repeats one
 * of the producer's last five batches (*dup_base_offset gets the offset it
 * was written at; append nothing, answer with that), or
 * SL_ERR_INVALID_PRODUCER_EPOCH (an epoch older than the last seen),
 * SL_ERR_OUT_OF_ORDER_SEQUENCE (not the next sequence, or a new epoch not
 * starting at 0). A producer the partition does not know may start at any
 * sequence, as Kafka allows once its records have gone by retention. */
int sl_pstate_check(const sl_pstate_t *ps, const sl_batch_header_t *h, int64_t *dup_base_offset);

/** Records a batch just appended (h->base_offset is the offset it got) at
 * wall-clock time now_ms. Errors: SL_ERR_NOMEM. */
sl_err_t sl_pstate_record(sl_pstate_t *ps, const sl_batch_header_t *h, int64_t now_ms);

/** Forgets producers idle for longer than expiration_ms
 * (producer.id.expiration.ms). */
void sl_pstate_expire(sl_pstate_t *ps, int64_t now_ms, int64_t expiration_ms);

/** Number of producers known. */
int sl_pstate_count(const sl_pstate_t *ps);

/* ---- producer ids ---------------------------------------------------------- */

typedef struct sl_pid_alloc sl_pid_alloc_t;

/** Opens the allocator whose state is the file `producer-id-block` in
 * data_dir: ids are handed out from blocks of 1000 and the next block is
 * recorded before its first id is used, so no id is ever given twice, also
 * across crashes. Errors: SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_pid_alloc_open(const char *data_dir, sl_pid_alloc_t **out);
void sl_pid_alloc_close(sl_pid_alloc_t *a);

/** The next producer id. Errors: SL_ERR_IO (the block could not be recorded). */
sl_err_t sl_pid_alloc_next(sl_pid_alloc_t *a, int64_t *id);

#endif
