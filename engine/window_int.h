/* window_int.h — what the windowed aggregations share: the definition and
 * per-task state of their nodes and the helpers of window.c, used by
 * session.c; and the window grace that suppress.c needs to know when a
 * window closes. Private to engine/window.c, engine/session.c and
 * engine/suppress.c. */
#ifndef SL_ENGINE_WINDOW_INT_H
#define SL_ENGINE_WINDOW_INT_H

#include <stdint.h>

#include "engine/engine_int.h"

/** What a windowed aggregation computes. */
typedef enum sl_win_kind { SL_WIN_COUNT, SL_WIN_REDUCE, SL_WIN_AGGREGATE } sl_win_kind_t;

/** A windowed aggregation node's definition (node->def, owned by the topology). */
typedef struct sl_win_def {
    sl_win_kind_t kind;
    int store;         /* the window (session) store of the aggregates */
    int ts_store;      /* sliding windows: each window's latest record time; else -1 */
    int64_t size;      /* time windows: the size; sliding: the time difference; sessions: the gap */
    int64_t advance;   /* time windows */
    int64_t grace;     /* how long after a window's end (sessions: end + gap) records still count */
    int64_t retention; /* how long the store keeps a window after its start (sessions: end) */
    sl_initializer_fn init;
    sl_aggregator_fn aggregator;
    sl_reducer_fn reducer;
    sl_merger_fn merger;
    void *arg;
} sl_win_def_t;

/** A windowed aggregation node's per-task state (inst->state). */
typedef struct sl_win_state {
    int cached;       /* the store is cached in this task: emit from the flush callback */
    int seen;         /* observed is set */
    int64_t observed; /* the largest record time this node has seen (Kafka's observedStreamTime) */
    int64_t purged;   /* the retention cutoff of the last purge (valid when purged_set) */
    int purged_set;
} sl_win_state_t;

/** The first aggregate of a window: count 0, reduce NULL (the first value is
 * the aggregate), aggregate the initializer's. NULL with the record failed
 * when the initializer failed it (check ctx->task->err). */
const void *sl__win_initial(sl_ctx_t *ctx, const sl_win_def_t *d);

/** agg after value (agg as sl__win_initial gives it for a new window). */
const void *sl__win_add(sl_ctx_t *ctx, const sl_win_def_t *d, const void *key, const void *value,
                        const void *agg);

/** Forwards the change (new, old) of window [start, end] of key as a table
 * change keyed by an sl_windowed_t, with timestamp ts. */
void sl__win_emit(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, int64_t start, int64_t end,
                  const void *new_value, const void *old_value, int64_t ts);

/** Drops (counts, "dropped-records") a record with a negative timestamp:
 * 1 when it did. Window arithmetic assumes times >= 0, as Kafka's records
 * have. */
int sl__win_bad_ts(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec);

/** Counts and traces a record a windowed aggregation skips (null key or value). */
void sl__win_skip(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec);

/** Counts and traces a record dropped for a closed window [start, end]. */
void sl__win_drop(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec, int64_t start, int64_t end,
                  int64_t close);

/** Moves the node's observed stream time up to ts. */
void sl__win_observe(sl_win_state_t *st, int64_t ts);

/** a + b, saturating at INT64_MAX (both >= 0, or a any and b >= 0). */
int64_t sl__win_add_sat(int64_t a, int64_t b);

/** The oldest window start (session end) the store still shows: stream time -
 * retention + 1, as Kafka's segmented stores read (INT64_MIN before the
 * first record). Reads skip older ones, whether or not a purge removed them
 * yet, so results do not depend on when commits happen. */
int64_t sl__win_live_from(const sl_win_state_t *st, const sl_win_def_t *d);

/** The retention cutoff of a purge at commit: windows (sessions) whose start
 * (end) is below it are gone. 0 with *cutoff when a purge is due (stream
 * time moved since the last), -1 when not. */
int sl__win_purge_due(sl_win_state_t *st, const sl_win_def_t *d, int64_t *cutoff);

/** The suppress duration of a windowed aggregation node — how long after a
 * window's end it still takes records: grace for time and sliding windows,
 * gap + grace for session windows (Kafka's GraphGraceSearchUtil) — or -1 when
 * n is not one. */
int64_t sl__window_grace(const sl_node_t *n);

/** sl__window_grace for the session aggregation nodes (session.c). */
int64_t sl__session_grace(const sl_node_t *n);

#endif
