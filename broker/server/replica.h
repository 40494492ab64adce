/* replica.h — a cluster broker's replicas: Kafka's ReplicaManager.
 *
 * It keeps the local topic catalogue as the cluster's metadata says (topics
 * created, grown, deleted with the cluster's ids and configs), and each
 * partition this broker holds a replica of in its role:
 *  - leader: tracks each follower's log end offset (from its fetches), moves
 *    the high watermark to the smallest log end offset of the ISR, asks the
 *    controller to shrink the ISR when a follower lags more than
 *    replica.lag.time.max.ms and to grow it when one catches up;
 *  - follower: a fetcher thread per leader fetches with this broker's replica
 *    id, appends the leader's batches as they are, and takes the leader's
 *    high watermark; a replica that becomes follower first truncates what
 *    diverges from the leader, asked with OffsetForLeaderEpoch.
 * The ISR in effect is the committed one (the metadata image's): a leader's
 * ISR change counts once the controller has applied it, so that a deposed
 * leader cannot shrink its ISR to itself and acknowledge writes alone.
 *
 * Threads: every function may be called from any thread. */
#ifndef SL_BROKER_SERVER_REPLICA_H
#define SL_BROKER_SERVER_REPLICA_H

#include <stdint.h>

#include <sluice/err.h>

#include "broker/meta/image.h"

typedef struct sl_broker sl_broker_t;
typedef struct sl_replica_mgr sl_replica_mgr_t;

/** Starts the manager of broker b (its reconciler thread; fetchers start as
 * partitions need them). Errors: SL_ERR_NOMEM. */
sl_err_t sl_replica_mgr_start(sl_broker_t *b, sl_replica_mgr_t **out);

/** Stops the threads (the reconciler, which calls into the group
 * coordinator, and the fetchers) but keeps the state: the view and wait
 * functions still answer (waits end at once), so that the broker can stop
 * its other parts before freeing m. NULL is a no-op; so is a second call. */
void sl_replica_mgr_halt(sl_replica_mgr_t *m);

/** Halts (if not yet) and frees m. NULL is a no-op. */
void sl_replica_mgr_stop(sl_replica_mgr_t *m);

/** A new metadata image is published: the reconciler takes it up. Cheap;
 * called on the quorum's thread. */
void sl_replica_mgr_image(sl_replica_mgr_t *m);

/** What the request handlers need to know of a partition here. */
typedef struct sl_replica_view {
    int is_leader;        /* this broker leads it (with the log set up for it) */
    int32_t leader;       /* the leader's id, -1 when none */
    int32_t leader_epoch;
    int32_t nisr;         /* the committed ISR's size */
    int32_t min_isr;      /* min.insync.replicas for the topic */
} sl_replica_view_t;

/** Fills *v for topic-partition; returns 0 when this broker holds no replica
 * of it (or does not know it yet). */
int sl_replica_view(sl_replica_mgr_t *m, const char *topic, int32_t partition, sl_replica_view_t *v);

/** The leader appended records: with an ISR of one, the high watermark
 * follows the log end at once. */
void sl_replica_leader_appended(sl_replica_mgr_t *m, const char *topic, int32_t partition);

/** A follower's fetch at fetch_offset (its log end offset): records its
 * progress and moves the high watermark. Errors: SL_ERR_NOT_LEADER_OR_FOLLOWER
 * (not the leader here), SL_ERR_FENCED_LEADER_EPOCH / SL_ERR_UNKNOWN_LEADER_EPOCH
 * (the follower's epoch is older / newer; -1 skips the check),
 * SL_ERR_INVALID_REQUEST (follower is not a replica). */
sl_err_t sl_replica_follower_fetch(sl_replica_mgr_t *m, const char *topic, int32_t partition, int32_t follower,
                                   int32_t leader_epoch, int64_t fetch_offset);

/** One partition of an acks=all produce waiting for its records to be
 * committed (sl_replica_park). */
typedef struct sl_replica_wait {
    const char *topic; /* the caller's, valid until the callback */
    int32_t partition;
    int64_t offset;    /* committed once the high watermark reaches it */
    sl_err_t result;   /* set for the callback: SL_OK or the error of sl_replica_wait_hw */
    int done_;         /* private */
} sl_replica_wait_t;

/** Called once every wait of a parked request has its result (on the thread
 * that moved the high watermark, or the manager's own for timeouts and
 * leadership changes), without the manager's lock held. */
typedef void sl_replica_done_fn(void *ctx, sl_replica_wait_t *waits, int n);

/** acks=all without holding a handler thread (Kafka's produce purgatory):
 * done(ctx, waits, n) runs once the high watermark of each wait's partition
 * reaches its offset, its leadership moved, or deadline_ms (sl_now_ms clock)
 * passed — each wait's result as sl_replica_wait_hw would give it. It may run
 * before this returns. waits (n >= 1) stay the caller's and must live until
 * then. A halted manager answers at once (SL_ERR_TIMEOUT). */
void sl_replica_park(sl_replica_mgr_t *m, sl_replica_wait_t *waits, int n, int64_t deadline_ms,
                     sl_replica_done_fn *done, void *ctx);

/** acks=all holding the calling thread (the group coordinator's writes):
 * sl_replica_park of one wait, waited for. Waits until the high watermark
 * reaches offset, or deadline_ms
 * (sl_now_ms clock) passes. Errors: SL_ERR_TIMEOUT, SL_ERR_NOT_LEADER_OR_FOLLOWER
 * (leadership moved meanwhile), SL_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND (the
 * ISR fell below min.insync.replicas). */
sl_err_t sl_replica_wait_hw(sl_replica_mgr_t *m, const char *topic, int32_t partition, int64_t offset,
                            int64_t deadline_ms);

#endif
