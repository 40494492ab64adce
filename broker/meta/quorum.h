/* quorum.h — the controller quorum: a Raft-replicated log of metadata entries
 * (libraft over TCP, its own log and snapshots on disk), KRaft's
 * __cluster_metadata in spirit.
 *
 * Every voter applies every committed entry, in log order, to a state machine
 * given by the caller (sl_quorum_fsm_t): that is how every node of the
 * cluster learns metadata changes. Only the leader (the active controller)
 * accepts new entries (sl_quorum_propose).
 *
 * Threads: the quorum runs libraft on a libuv loop in a thread of its own;
 * the state machine's callbacks run on that thread, one at a time. The other
 * functions may be called from any other thread (never from the callbacks:
 * sl_quorum_propose and sl_quorum_barrier block until the loop answers). */
#ifndef SL_BROKER_META_QUORUM_H
#define SL_BROKER_META_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

typedef struct sl_quorum sl_quorum_t;

/** One voter: node id (> 0) and the host:port of its Raft listener. */
typedef struct sl_quorum_voter {
    int32_t id;
    char host[256];
    int port;
} sl_quorum_voter_t;

#define SL_QUORUM_MAX_VOTERS 16

/** Parses Kafka's `controller.quorum.voters` form, "1@host:port,2@host:port"
 * (also accepted: KIP-853's "1@host:port:dir-id" — the directory id is
 * ignored). Fills voters (room for SL_QUORUM_MAX_VOTERS) and *n. Errors:
 * SL_ERR_CONFIG with errbuf naming the bad entry (duplicate id, id < 1, bad
 * port, too many). */
sl_err_t sl_quorum_parse_voters(const char *spec, sl_quorum_voter_t *voters, int *n, char *errbuf,
                                size_t errlen);

/** The state machine the quorum drives. Every callback runs on the quorum's
 * thread. */
typedef struct sl_quorum_fsm {
    void *opaque;
    /** A committed entry, in log order. index rises strictly from one entry
     * to the next (it is Raft's log index). The bytes are the quorum's: copy
     * what is kept. An entry the state machine cannot apply is its own to
     * trace and skip — the log goes on. */
    void (*apply)(void *opaque, const uint8_t *entry, size_t len, uint64_t index);
    /** Encodes the whole state into *out (malloc'd; the quorum frees it).
     * An error skips this snapshot. */
    sl_err_t (*snapshot)(void *opaque, uint8_t **out, size_t *len);
    /** Replaces the state by a snapshot's (bytes borrowed for the call). */
    sl_err_t (*restore)(void *opaque, const uint8_t *data, size_t len);
    /** The known leader changed: leader_id, or -1 while there is none (an
     * election). May be NULL. */
    void (*leader_changed)(void *opaque, int32_t leader_id);
} sl_quorum_fsm_t;

typedef struct sl_quorum_config {
    int32_t node_id;                 /* must be one of voters */
    const sl_quorum_voter_t *voters; /* the whole quorum, the same on every node */
    int nvoters;
    const char *dir;            /* Raft's log and snapshots (created when missing) */
    unsigned election_timeout_ms; /* 0: 1000 (KRaft: controller.quorum.election.timeout.ms) */
    unsigned heartbeat_timeout_ms; /* 0: 100 */
    unsigned snapshot_threshold;  /* entries between snapshots; 0: 1024 */
} sl_quorum_config_t;

/** Starts this node's voter: opens (or bootstraps, the first time, with the
 * voters of cfg) the Raft log in cfg->dir, listens on its own voter address,
 * and replays what the log holds into fsm before taking part. cfg and fsm are
 * copied. Errors: SL_ERR_CONFIG (node not a voter), SL_ERR_IO (the directory,
 * the listening address), SL_ERR_NOMEM, with detail in errbuf. */
sl_err_t sl_quorum_start(const sl_quorum_config_t *cfg, const sl_quorum_fsm_t *fsm, sl_quorum_t **out,
                         char *errbuf, size_t errlen);

/** Stops the voter and frees q: pending proposals fail with SL_ERR_STATE.
 * NULL is a no-op. Not from a state-machine callback. */
void sl_quorum_stop(sl_quorum_t *q);

/** The current leader's node id, or -1 when none is known. */
int32_t sl_quorum_leader(sl_quorum_t *q);

/** 1 when this node is the leader (the active controller). */
int sl_quorum_is_leader(sl_quorum_t *q);

/** Appends entry (copied) to the log and waits until it is committed and
 * applied on this node; *index (may be NULL) gets its log index. Errors:
 * SL_ERR_NOT_CONTROLLER (this node does not lead, or lost the lead before the
 * entry committed: it may or may not commit later), SL_ERR_STATE (stopping),
 * SL_ERR_NOMEM, SL_ERR_IO. */
sl_err_t sl_quorum_propose(sl_quorum_t *q, const uint8_t *entry, size_t len, uint64_t *index);

/** Waits until every entry committed before the call is applied on this
 * node (a leader calls it when it takes over, before acting on its state).
 * Errors as sl_quorum_propose. */
sl_err_t sl_quorum_barrier(sl_quorum_t *q);

/** The index of the last entry applied on this node. */
uint64_t sl_quorum_applied(sl_quorum_t *q);

#endif
