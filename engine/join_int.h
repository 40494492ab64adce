/* join_int.h — what the join operators (join.c: key joins and global tables;
 * fkjoin.c: foreign-key joins) share: reaching a table's value getter from
 * another node, and bytes in the record scope. */
#ifndef SL_ENGINE_JOIN_INT_H
#define SL_ENGINE_JOIN_INT_H

#include "engine/engine_int.h"

/** Puts node into the sub-topology of table t, so that t's value getter works
 * in node's tasks: node uses a store of t's node or of its nearest ancestor
 * that has one (every node joined to t by edges runs in t's sub-topology, so
 * any of those stores will do). Build time. Returns 0, or -1 (latched, the
 * message starting with op) when t has no value getter or no store upstream. */
int sl__join_link_table(sl_node_t *node, const sl_ktable_t *t, const char *op);

/** Looks key up through the value getter of table node tn in ctx's task:
 * 1 with *value (an object in the record scope) and *ts (ts may be NULL) the
 * value's timestamp, 0 when absent, or an error (the record has failed). */
int sl__join_table_get(sl_ctx_t *ctx, sl_node_t *tn, const void *key, const void **value,
                       int64_t *ts);

/** Serializes obj with serde into a copy in the record scope: 0 with *out
 * ({NULL, 0} when obj is NULL), or -1 after failing the record. */
int sl__join_serialize(sl_ctx_t *ctx, const sl_serde_t *serde, const void *obj, sl_bytes_t *out);

/** Deserializes bytes with serde (the bytes are copied into the record scope
 * first: store views die at the next write): 0 with *obj, or -1 after
 * failing the record. */
int sl__join_deserialize(sl_ctx_t *ctx, const sl_serde_t *serde, sl_bytes_t b, const void **obj);

/** Is sub-topology sub (after sl__topology_build) a global table's? Such a
 * sub-topology runs as one task on partition 0 fed by every partition of its
 * topic (see join.c, "global tables"); the runner asks this. 1 or 0. */
int sl__join_global_subtopology(const sl_topology_t *t, int sub);

/** a + b, saturating at INT64_MIN and INT64_MAX (window arithmetic with
 * "unknown" times at the extremes). */
static inline int64_t sl__join_sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

#endif
