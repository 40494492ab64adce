/* engine_int.h — the engine's private model: the topology graph the DSL
 * builds (nodes, stores), the per-task instances that run it, and the
 * processing context that carries one record depth-first through a task.
 *
 * Build time. Every DSL operator adds an sl_node_t to the topology: a vtable
 * (what the node does), a definition (its parameters, owned by the
 * topology), edges to its children, and the stores it uses. Before running,
 * sl__topology_build splits the graph into sub-topologies (connected parts;
 * repartition topics cut them) and freezes it.
 *
 * Run time. A task instantiates one sub-topology for one partition: an
 * sl_inst_t per node with the node's per-task state, the task's stores (LMDB
 * handles), its stream time and punctuators. A record enters at a source
 * node and flows depth-first through sl__forward; every object made for it
 * lives in the task's record scope (task->mem), reset when the record is done
 * — no malloc per record. Sinks hand bytes to the task's collector (the test
 * driver's queues, or the runner's producer).
 *
 * Threads: a task is used by one thread at a time (its owner's). */
#ifndef SL_ENGINE_ENGINE_INT_H
#define SL_ENGINE_ENGINE_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/streams.h>

#include "common/buf.h"
#include "state/state.h"

/* ---- memory scopes and output buffers ------------------------------------------ */

typedef struct sl_mem_defer {
    struct sl_mem_defer *next;
    void (*fn)(void *);
    void *p;
} sl_mem_defer_t;

struct sl_mem {
    sl_arena_t arena;
    sl_mem_defer_t *defers;
};

/** Runs the deferred frees and resets the arena (keeping its first chunk). */
void sl__mem_reset(sl_mem_t *m);
/** Releases everything. */
void sl__mem_free(sl_mem_t *m);

struct sl_out {
    sl_buf_t buf;
};

/** Serializes obj with serde into out (replacing its contents). obj NULL:
 * *is_null = 1 and out empty. Errors: the serde's. */
sl_err_t sl__serialize(const sl_serde_t *serde, const void *obj, sl_out_t *out, int *is_null);

/** Deserializes b (is_null: Kafka's null, *obj = NULL) with memory from mem. */
sl_err_t sl__deserialize(const sl_serde_t *serde, const sl_bytes_t *b, sl_mem_t *mem,
                         const void **obj);

/* ---- configuration (topology.c) ------------------------------------------------------ */

typedef struct sl_config_entry {
    char *key, *value;
} sl_config_entry_t;

struct sl_config {
    sl_config_entry_t *e;
    size_t n, cap;
};

/* ---- build time: nodes and stores ------------------------------------------------ */

typedef struct sl_node sl_node_t;
typedef struct sl_inst sl_inst_t;
typedef struct sl_task sl_task_t;
typedef struct sl_rec sl_rec_t;

/** What a node does. Every hook may be NULL except process (sources and
 * sinks have theirs in task.c). */
typedef struct sl_node_vt {
    const char *kind; /* the name prefix: "KSTREAM-FILTER" */
    /** Per-task set-up (inst->state is zeroed, def_size... see state_size). */
    sl_err_t (*init)(sl_ctx_t *ctx, sl_inst_t *inst);
    /** One record. Failures go through sl_ctx_fail. */
    void (*process)(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec);
    /** Commit: emit what a cache holds. */
    void (*flush)(sl_ctx_t *ctx, sl_inst_t *inst);
    /** Task close: free what init made (not inst->state itself). */
    void (*close)(sl_inst_t *inst);
    /** Frees the definition (the topology is going away); NULL: free(def). */
    void (*free_def)(void *def);
    /** Tables: the current value of key as this node would give it (a value
     * getter, for joins and lookups) and, when found, its timestamp in *ts
     * (Kafka's ValueAndTimestamp: a timestamped store's stored time, a
     * computed value's from the values it comes from; a store that is not
     * timestamped gives the record's time). 1 found, 0 absent, or an error. */
    int (*get)(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
               int64_t *ts);
    /** Bytes of per-task state (inst->state) to allocate, zeroed. */
    size_t state_size;
} sl_node_vt_t;

struct sl_node {
    sl_topology_t *topo;
    int id;
    char *name;
    const sl_node_vt_t *vt;
    void *def; /* the operator's parameters; freed with vt->free_def */
    sl_node_t **children;
    int nchildren, children_cap;
    sl_node_t **parents;
    int nparents, parents_cap;
    int *stores; /* ids of the stores the node uses */
    int nstores;
    int subtopology; /* set by sl__topology_build */

    /* sources */
    char **topics;
    int ntopics;
    const sl_serde_t *key_serde, *value_serde; /* source and sink serdes */
    sl_timestamp_extractor_fn ts_fn;
    void *ts_arg;
    int offset_reset_latest;
    int is_repartition_source; /* reads a topic the topology writes */

    /* sinks */
    char *topic; /* static topic; NULL with a topic extractor */
    sl_topic_extractor_fn topic_fn;
    void *topic_arg;
    int32_t (*partitioner)(void *arg, const char *topic, const void *key, const void *value,
                           int32_t n);
    void *partitioner_arg;
    int is_repartition_sink;
    int32_t repartition_partitions; /* 0: as the sources */

    int retired; /* sl_topology_retire_scope: its parents do not forward to it */
};

/** A store the topology declares. */
typedef struct sl_store {
    int id;
    char *name;
    sl_store_type_t type;
    const sl_serde_t *key_serde, *value_serde;
    int logging, caching;
    int64_t retention_ms, window_size_ms;
    int subtopology;
    int queryable; /* named by the user */
    int processor_cache; /* a processor's store with caching: cached from the
                          * task's start, with no owner to emit */
    int timestamped; /* a table's store (sources, aggregations, materialized
                      * table operators and joins): each value carries its
                      * timestamp (Kafka's timestamped stores); in LMDB the value
                      * is prefixed with it (state.h, "timestamped values"), in
                      * the record cache it is the entry's time, on the
                      * changelog the record's timestamp */
} sl_store_t;

struct sl_topology {
    sl_node_t **nodes;
    int nnodes, nodes_cap;
    sl_store_t **stores;
    int nstores, stores_cap;
    int counter; /* Kafka Streams' node-name index */
    char name_prefix[80]; /* "<scope>-" before generated names (sl_topology_name_scope), or "" */
    const sl_serde_t *default_key_serde, *default_value_serde;
    char *error; /* first latched error */
    void **allocs; /* handles and strings the topology owns */
    size_t nallocs, allocs_cap;
    int built;
    int nsubtopologies;
};

/* DSL handles. */
struct sl_kstream {
    sl_topology_t *topo;
    sl_node_t *node;
    const sl_serde_t *key_serde, *value_serde; /* NULL: unknown (defaults) */
    int repartition_required;                  /* the key changed since the source */
};

struct sl_ktable {
    sl_topology_t *topo;
    sl_node_t *node;
    const sl_serde_t *key_serde, *value_serde;
    int store; /* the store holding the table's values, or -1 */
    int windowed; /* 0, 1 time windows, 2 session windows */
    int64_t window_size_ms;
};

struct sl_globalktable {
    sl_topology_t *topo;
    sl_node_t *node;
    const sl_serde_t *key_serde, *value_serde;
    int store;
    char *topic;
};

struct sl_kgroupedstream {
    sl_topology_t *topo;
    sl_node_t *node;
    const sl_serde_t *key_serde, *value_serde;
    int repartition_required;
    char *name; /* grouped name, or NULL */
};

struct sl_kgroupedtable {
    sl_topology_t *topo;
    sl_node_t *node;
    const sl_serde_t *key_serde, *value_serde;
    char *name;
};

struct sl_twstream {
    sl_kgroupedstream_t *grouped;
    sl_time_windows_t windows;
    int sliding; /* windows.size_ms is the time difference */
};

struct sl_swstream {
    sl_kgroupedstream_t *grouped;
    sl_session_windows_t windows;
};

/** Latches err (first one wins) and returns NULL for chaining. */
void *sl__topo_fail(sl_topology_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** calloc'd memory the topology frees when destroyed; NULL latches "out of memory". */
void *sl__topo_alloc(sl_topology_t *t, size_t n);
char *sl__topo_strdup(sl_topology_t *t, const char *s);

/** Adds a node named "<vt->kind>-<10-digit index>" (or name when given) under
 * the parents (nparents may be 0 for sources). def is owned by the node from
 * here on, even on failure (freed). NULL on error (latched). */
sl_node_t *sl__node_add(sl_topology_t *t, const sl_node_vt_t *vt, void *def, const char *name,
                        sl_node_t *const *parents, int nparents);

/** Connects an extra parent to a node (merge, joins). */
int sl__node_connect(sl_node_t *parent, sl_node_t *child);

/** Declares a store; returns its id or -1 (latched). name NULL: an internal
 * name "<prefix>-STATE-STORE-<index>". */
int sl__store_add(sl_topology_t *t, const char *name, const char *prefix, sl_store_type_t type,
                  const sl_serde_t *key_serde, const sl_serde_t *value_serde,
                  const sl_materialized_t *m);

/** Lets node use store id. */
int sl__node_use_store(sl_node_t *n, int store);

/** A store by name, or -1. */
int sl__store_find(const sl_topology_t *t, const char *name);

/** A new stream handle on node with the given serdes. */
sl_kstream_t *sl__kstream_new(sl_topology_t *t, sl_node_t *node, const sl_serde_t *ks,
                              const sl_serde_t *vs, int repartition_required);
sl_ktable_t *sl__ktable_new(sl_topology_t *t, sl_node_t *node, const sl_serde_t *ks,
                            const sl_serde_t *vs, int store);

/** Adds a sink to a repartition topic "<application.id>-<name>-repartition"
 * (the application id is filled in when the topology runs: the topic is
 * stored as "-<name>-repartition" with a leading marker) and a source reading
 * it; returns the source node. */
sl_node_t *sl__repartition(sl_topology_t *t, sl_node_t *parent, const char *name,
                           const sl_serde_t *ks, const sl_serde_t *vs, int32_t partitions);

/** Adds a source node reading topics with the consumed options (serdes
 * defaulted); kind_name names the operator in errors. NULL on error (latched). */
sl_node_t *sl__add_source(sl_topology_t *t, const char *const *topics, size_t ntopics,
                          const sl_consumed_t *c, const char *kind_name);

/** The serde to use: s, else the topology default. */
const sl_serde_t *sl__key_serde(const sl_topology_t *t, const sl_serde_t *s);
const sl_serde_t *sl__value_serde(const sl_topology_t *t, const sl_serde_t *s);

/** Splits the graph into sub-topologies and checks it. 0 or SL_ERR_TOPOLOGY
 * with errbuf naming the node. Idempotent. */
sl_err_t sl__topology_build(sl_topology_t *t, char *errbuf, size_t errlen);

/** The real name of a topic for an application: internal topics (repartition
 * and changelog) start with '\x01' in the graph and get "<app.id>" in front.
 * Writes into buf. */
const char *sl__topic_name(const char *app_id, const char *topic, char *buf, size_t len);

/** Marker that starts internal topic names in the graph. */
#define SL_INTERNAL_TOPIC_MARK '\x01'

/* ---- run time ----------------------------------------------------------------- */

/** A record in flight: objects in the task's record scope. */
struct sl_rec {
    const void *key, *value;
    const void *old_value; /* tables: the value before this change */
    int has_old;           /* old_value is known (it may be NULL: no old value) */
    int64_t ts;
    const sl_header_t *headers;
    size_t nheaders;
};

struct sl_inst {
    sl_node_t *node;
    sl_task_t *task;
    sl_inst_t **children;
    int nchildren;
    void *state; /* vt->state_size bytes, zeroed */
};

/** A scheduled punctuator. */
typedef struct sl_punct {
    sl_inst_t *inst;
    int64_t interval, next;
    sl_punctuation_t type;
    sl_punctuator_fn fn;
    void *state;
} sl_punct_t;

struct sl_ctx {
    sl_task_t *task;
    sl_inst_t *cur;      /* the node running */
    const sl_rec_t *rec; /* the record it runs on */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int in_init;
    int keep_key; /* flat_map_values: forward keeps the record's key */
};

/** Where a task's output goes: topic is the real name; partition -1 means
 * "choose by the key bytes" (murmur2) — the collector knows partition counts.
 * key/value NULL: Kafka's null. */
typedef sl_err_t (*sl_collect_fn)(void *opaque, const char *topic, int32_t partition,
                                  const sl_bytes_t *key, const sl_bytes_t *value, int64_t ts,
                                  const sl_header_t *headers, size_t nheaders);

/** A store opened in a task. */
typedef struct sl_cache sl_cache_t;

/** Called for each flushed entry: objects in the record scope, ts the
 * entry's time: a timestamped store's value timestamp, else the time of the
 * entry's last write. ctx->cur is the owner. (See the record cache below.) */
typedef void (*sl_cache_flush_fn)(sl_ctx_t *ctx, sl_inst_t *owner, const void *key,
                                  int64_t window_start, const void *new_value,
                                  const void *old_value, int64_t ts);


typedef struct sl_task_store {
    sl_store_t *def;
    void *handle; /* sl_kv_t*, sl_window_t*, … */
    char changelog[512];
    sl_state_txn_t *txn;        /* a global store's: a read transaction on the
                                 * global environment (NULL: the task's) */
    sl_cache_t *cache;          /* NULL: writes go straight through */
    sl_inst_t *owner;           /* the node emitting the store's changes */
    sl_cache_flush_fn on_flush; /* the owner's callback */
} sl_task_store_t;

typedef struct sl_task_metrics {
    int64_t dropped, skipped, deser_errors, processed;
    int64_t sent; /* records sent to the topology's output topics (sinks
                   * other than repartition topics' and changelogs) */
} sl_task_metrics_t;

struct sl_task {
    sl_topology_t *topo;
    int subtopology;
    int32_t partition;
    char app_id[256];
    sl_inst_t **insts; /* by node id; NULL outside the sub-topology */
    sl_mem_t mem;      /* the record scope */
    sl_ctx_t ctx;
    sl_state_txn_t *txn; /* the owner's write transaction (borrowed) */
    sl_state_txn_t *global_txn; /* a read transaction on the environment of
                                 * the global stores, or NULL: they live in
                                 * txn's (the test driver) */
    sl_task_store_t *stores; /* by store id; handle NULL outside the task */
    int64_t stream_time;
    int64_t wall_clock;
    sl_punct_t *puncts;
    size_t npuncts, puncts_cap;
    sl_collect_fn collect;
    int32_t (*partitions)(void *opaque, const char *topic); /* for custom partitioners */
    void *collect_opaque;
    int continue_on_deser_error;
    char plog_topic[256]; /* processing.log.topic, or "" */
    int64_t cache_max_bytes; /* the budget of cache_used: cache.max.bytes.buffering's
                              * share of the owner (a stream thread) */
    int64_t cache_bytes;     /* bytes this task's caches hold */
    int64_t *cache_used;     /* the bytes counted against the budget: &cache_bytes,
                              * or the owner's counter shared by its tasks */
    sl_task_metrics_t metrics;
    sl_err_t err; /* the record's failure */
    char errmsg[512];
    sl_out_t kout, vout; /* scratch for serialization */
};

/** Makes the task of sub-topology sub for partition. Its stores are opened
 * in txn, the owner's write transaction: the owner (driver or stream thread)
 * keeps one write transaction open for all its tasks, commits it after
 * sl__task_flush, and hands the next one over with sl__task_set_txn. The task
 * borrows topo, txn and the collector. global_txn (may be NULL): a read
 * transaction on the environment holding the global tables' stores, when
 * that is not txn's (see sl__task_set_global_txn). */
sl_err_t sl__task_new(sl_topology_t *topo, int sub, int32_t partition, const char *app_id,
                      sl_state_txn_t *txn, sl_collect_fn collect,
                      int32_t (*partitions)(void *opaque, const char *topic),
                      void *collect_opaque, int continue_on_deser_error, int64_t wall_clock,
                      int64_t cache_max_bytes, sl_state_txn_t *global_txn, sl_task_t **out,
                      char *errbuf, size_t errlen);

/** Closes the instances and frees the task. NULL is a no-op. */
void sl__task_free(sl_task_t *task);

/** Does the task's sub-topology read topic (real name)? Returns the source
 * node, or NULL. */
sl_node_t *sl__task_source_for(sl_task_t *task, const char *topic);

/** Processes one record read from topic/partition/offset at source node src.
 * key/value NULL are Kafka's null. Returns 0, or the failure (the message in
 * task->errmsg) — deserialization errors under logAndContinue are counted
 * and return 0. Runs the stream-time punctuators that came due. */
sl_err_t sl__task_process(sl_task_t *task, sl_node_t *src, const char *topic, int32_t partition,
                          int64_t offset, const sl_bytes_t *key, const sl_bytes_t *value,
                          int64_t ts, const sl_header_t *headers, size_t nheaders);

/** Moves the wall clock to now and runs the due wall-clock punctuators. */
sl_err_t sl__task_wall_clock(sl_task_t *task, int64_t now);

/** Before a commit: lets every node emit what its cache holds. */
sl_err_t sl__task_flush(sl_task_t *task);

/** The owner's next write transaction. */
void sl__task_set_txn(sl_task_t *task, sl_state_txn_t *txn);

/** Where the task writes its processing log (processing.log.topic; NULL or
 * "": nowhere but the trace). */
void sl__task_set_processing_log(sl_task_t *task, const char *topic);

/** The owner's next read transaction on the global stores' environment
 * (sl_streams: renewed at each commit, so global tables move on). */
void sl__task_set_global_txn(sl_task_t *task, sl_state_txn_t *txn);

/** The transaction a store's reads and writes go to. */
static inline sl_state_txn_t *sl__store_txn(const sl_task_t *task, const sl_task_store_t *ts)
{
    return ts->txn ? ts->txn : task->txn;
}

/** Sends rec to inst's children (ctx->cur and ctx->rec are restored after). */
void sl__forward(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec);

/** Sends a record from a sink node: serializes with the node's serdes and
 * hands the bytes to the collector. */
void sl__sink_send(sl_ctx_t *ctx, sl_inst_t *inst, const char *topic, const sl_rec_t *rec);

/** Latches a failure for the record in flight (as sl_ctx_fail). */
void sl__ctx_failv(sl_ctx_t *ctx, sl_err_t err, const char *fmt, va_list ap);

/* Typed store access for operators: keys and values are objects of the
 * store's serdes; results live in the record scope. Writes go to the task's
 * transaction and, when the store logs, to its changelog topic through the
 * collector. */
int sl__kv_get(sl_ctx_t *ctx, int store, const void *key, const void **value);
sl_err_t sl__kv_put(sl_ctx_t *ctx, int store, const void *key, const void *value);
int sl__window_get(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                   const void **value);
sl_err_t sl__window_put(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                        const void *value);
/* The same with the value's timestamp, for timestamped stores (the
 * tables'): a get gives the stored timestamp in *ts when found (ts may
 * be NULL; a store that is not timestamped gives the record's time), a put
 * stores ts with the value and logs the change with ts as its record
 * timestamp. The plain put uses the record's time. */
int sl__kv_get_ts(sl_ctx_t *ctx, int store, const void *key, const void **value, int64_t *ts);
sl_err_t sl__kv_put_ts(sl_ctx_t *ctx, int store, const void *key, const void *value, int64_t ts);
int sl__window_get_ts(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                      const void **value, int64_t *ts);
sl_err_t sl__window_put_ts(sl_ctx_t *ctx, int store, const void *key, int64_t start,
                           const void *value, int64_t ts);

/* ---- the record cache (engine/cache.c) ------------------------------------------------
 * A store declared with caching (the default) in a task whose cache budget is
 * above 0 (cache.max.bytes.buffering) keeps its writes in memory: puts and
 * gets of the same key fold in a hash map; on a commit (sl__task_flush) or
 * when the task's cached bytes pass its budget, the store's dirty entries are
 * written to LMDB and to the changelog, in the order they were last updated,
 * and handed to the store's owner — the node that emits the store's changes
 * downstream (an aggregation, a table source) — as (key, new value, old
 * value) where old is the value before the first change since the last flush.
 * So with caching, an owner forwards in its flush callback; without, right
 * after each write. Kafka Streams' caching layer, sitting above change-logging.
 * Key-value and window stores only (window entries are keyed by key + start);
 * range reads (sl_kvstore_range) first flush the store. */

/** Makes inst the owner of store in its task (from the node's init). Returns 1
 * when the store is cached in this task (the owner emits from fn), 0 when not
 * (the owner emits after each write), or an error. */
int sl__store_own(sl_ctx_t *ctx, int store, sl_cache_flush_fn fn);

/** Gives a processor's store with enable_caching its cache when the task
 * opens it (DSL stores get theirs from their owner's sl__store_own). */
sl_err_t sl__cache_open(sl_task_t *task, sl_task_store_t *ts);

/** Is store cached in ctx's task? */
int sl__store_cached(sl_ctx_t *ctx, int store);

/** Writes every dirty entry of every cached store of the task and calls the
 * owners; part of sl__task_flush (between records: resets the record scope
 * after each entry). */
sl_err_t sl__cache_flush_all(sl_task_t *task);

/** Writes and emits one store's dirty entries now (an eviction, or before a
 * range read), in the middle of a record. */
sl_err_t sl__cache_flush_store(sl_ctx_t *ctx, sl_task_store_t *ts);

/** The cached state of key bytes k: 1 with *v (valid until the next write of
 * the key) and *time (may be NULL) the entry's time, 0 when cached as
 * deleted, -1 when not in the cache. */
int sl__cache_get(sl_task_store_t *ts, sl_bytes_t k, sl_bytes_t *v, int64_t *time);

/** Caches a write of k (v NULL: a delete) at time (a timestamped store's
 * value timestamp, else the record's time). When k is not cached yet, old /
 * old_found are its value in LMDB (for the owner's old value; a timestamped
 * store's without its timestamp). Cached values are plain value bytes: a
 * timestamped store's timestamp is the entry's time, put in front of the
 * value when the entry is written to LMDB. */
sl_err_t sl__cache_put(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v,
                       int64_t time, const sl_bytes_t *old, int old_found);

/** Frees a store's cache (dirty entries are dropped: flush first); returns
 * the bytes they were counted for. */
int64_t sl__cache_free(sl_task_store_t *ts);

/* Building blocks for typed store access (task.c); each fails the record
 * (sl_ctx_fail) when it fails. */
/** The task's store of that id and type, or NULL. */
sl_task_store_t *sl__task_store(sl_ctx_t *ctx, int store, sl_store_type_t type);
/** Serializes key with the store's key serde into the task's key scratch
 * (task->kout: valid until the next serialization); 0 or -1 (null key too). */
int sl__store_key_bytes(sl_ctx_t *ctx, sl_task_store_t *ts, const void *key, sl_bytes_t *out);
/** Copies stored bytes into the record scope and deserializes them with the
 * store's value serde: 1, or an error. */
int sl__store_value_obj(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t v, const void **value);
/** Sends a changelog record (value NULL: tombstone) when the store logs,
 * stamped with the record's time. */
void sl__store_log_change(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v);
/** The same stamped with time (a timestamped store's value timestamp: the
 * changelog value stays the plain value bytes, as Kafka's). */
void sl__store_log_change_ts(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t k, const sl_bytes_t *v,
                             int64_t time);
/** A value read from LMDB as the store's value bytes: a timestamped store's
 * without its timestamp (into *time when not NULL). 0, or -1 after failing
 * the record (a stored value too short). */
int sl__store_value_bytes(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t stored, sl_bytes_t *v,
                          int64_t *time);
/** The bytes LMDB keeps for value bytes v at time: v itself, or for a
 * timestamped store time + v (state.h's layout; in the record scope). 0, or
 * -1 after failing the record. */
int sl__store_lmdb_value(sl_ctx_t *ctx, sl_task_store_t *ts, sl_bytes_t v, int64_t time,
                         sl_bytes_t *out);
/** Fails the record with a store error rc. */
void sl__store_fail(sl_ctx_t *ctx, sl_task_store_t *ts, int rc);

/** The serialized key of a window store record as Kafka Streams' changelog
 * writes it: key bytes + 8-byte big-endian start + 4-byte sequence number 0. */
#define SL_WINDOW_CHANGELOG_SUFFIX 12

#endif
