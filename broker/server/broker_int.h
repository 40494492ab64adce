/* broker_int.h — what the broker's core (broker.c) and its request handlers
 * (handlers.c) share. */
#ifndef SL_BROKER_SERVER_BROKER_INT_H
#define SL_BROKER_SERVER_BROKER_INT_H

#include <pthread.h>

#include "broker/group/group.h"
#include "broker/log/logmgr.h"
#include "broker/net/net.h"
#include "broker/proto/kmsg.h"
#include "broker/server/broker.h"
#include "broker/server/cluster.h"
#include "broker/server/replica.h"
#include "broker/server/producers.h"
#include "broker/server/topics.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/trace.h"

typedef struct sl__fetch_wait sl__fetch_wait_t;

struct sl_broker {
    sl_broker_config_t cfg;
    char cluster_id[32];
    char adv_host[256]; /* what Metadata tells clients to connect to */
    int adv_port;
    sl_logmgr_t *logs;
    sl_topics_t *topics;
    sl_pid_alloc_t *pids;
    sl_net_t *net;
    int lock_fd; /* flock on <data dir>/.lock: one broker per data directory */
    sl_group_coord_t *groups; /* the group coordinator */
    int clustered;            /* controller.quorum.voters is set: a node of a cluster */
    sl_cluster_t *cluster;    /* with clustered, once joined (read it with sl__cluster) */
    sl_replica_mgr_t *replicas; /* with cluster: the replicas' roles and fetchers */

    /* Fetches waiting for data (the fetch purgatory): woken by appends. */
    pthread_mutex_t wait_mu;
    pthread_cond_t wait_cond;
    pthread_cond_t append_cond; /* broadcast on every append: in-process readers wait on it */
    sl__fetch_wait_t *waiters;
    uint64_t append_seq; /* bumped by every append */
    int wait_stop;
    pthread_t wait_thread;
    int wait_started;
};

/** One request being handled: its decoded header and body live in arena,
 * which lives as long as the request. */
typedef struct sl__req {
    sl_broker_t *b;
    sl_net_request_t *nreq;
    sl_arena_t arena;
    int16_t key, version;
    sl_kmsg_request_header_t hdr;
} sl__req_t;

/** The cluster this broker has joined: NULL on a single node, and on a node
 * of a cluster (b->clustered) until sl_broker_start has joined it — requests
 * that need it then answer as a broker that is not ready. */
static inline sl_cluster_t *sl__cluster(sl_broker_t *b) { return __atomic_load_n(&b->cluster, __ATOMIC_ACQUIRE); }

/** The versions this broker serves of an API: 0 when it does not serve it. */
int sl__broker_supported(int16_t key, int16_t *min, int16_t *max);

/** Encodes the response header and body and answers the request; frees q.
 * On an encoding error the connection is closed (traced). */
void sl__req_respond(sl__req_t *q, sl_outbuf_t *body_and_header);

/** Frees q without answering (the caller answered or closed through nreq). */
void sl__req_free(sl__req_t *q);

/** Starts a response: writes the response header for q into *ob. */
sl_err_t sl__req_header(sl__req_t *q, sl_outbuf_t *ob);

/** Tells waiting fetches that data arrived. */
void sl__broker_notify_append(sl_broker_t *b);

/** Parks a fetch until data arrives or its wait ends; handlers.c's
 * sl__fetch_try is called again then. Takes q. */
void sl__broker_park_fetch(sl_broker_t *b, sl__req_t *q, void *request, int64_t deadline_ms);

/** Tries to answer a fetch: returns 1 when it answered (q is freed), 0 when
 * it has less than min_bytes and may wait (final == 0). */
int sl__fetch_try(sl__req_t *q, void *request, int final);

/** Runs the handler for q's API (the body is still to be decoded from r). */
void sl__dispatch(sl__req_t *q, sl_kreader_t *r);

/** Runs the handler of a group API (group_handlers.c); returns 0, having
 * done nothing, when q's API is not one of them. */
int sl__group_dispatch(sl__req_t *q, sl_kreader_t *r);


/* ---- for the handlers: decode a body, encode and send an answer ------------ */

/* Encodes header + body with enc and answers; closes the connection when
 * encoding fails (a handler bug, traced). */
#define SL__RESPOND(q, name, resp)                                                                   \
    do {                                                                                             \
        sl_outbuf_t ob_ = SL_OUTBUF_INIT;                                                            \
        sl_err_t e_ = sl__req_header((q), &ob_);                                                     \
        if (!e_)                                                                                     \
            e_ = sl_kmsg_##name##_encode(&ob_, (q)->version, (resp));                                \
        if (e_) {                                                                                    \
            sl_trace(SL_TRACE_ERROR, "broker", "encoding a " #name " v%d: %s", (q)->version,         \
                     sl_err_str(e_));                                                                \
            sl_outbuf_free(&ob_);                                                                    \
            sl_net_close((q)->nreq);                                                                 \
            sl__req_free(q);                                                                         \
        } else {                                                                                     \
            sl__req_respond((q), &ob_);                                                              \
        }                                                                                            \
    } while (0)

/* Decodes the body into a struct allocated in the arena; on failure closes the
 * connection (traced) and returns NULL. */
#define SL__DECODE(q, r, name, out)                                                                  \
    do {                                                                                             \
        (out) = sl_arena_alloc(&(q)->arena, sizeof *(out));                                          \
        sl_err_t e_ = (out) ? sl_kmsg_##name##_decode((r), (q)->version, &(q)->arena, (out))         \
                            : SL_ERR_NOMEM;                                                          \
        if (e_) {                                                                                    \
            sl_trace(SL_TRACE_WARN, "broker", "%s: bad " #name " v%d (%s); closing",                 \
                     sl_net_request_peer((q)->nreq), (q)->version, sl_err_str(e_));                  \
            sl_net_close((q)->nreq);                                                                 \
            sl__req_free(q);                                                                         \
            (out) = NULL;                                                                            \
        }                                                                                            \
    } while (0)


#endif
