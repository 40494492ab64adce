/* sluice/streams.h — the dataflow DSL: a topology of KStreams and KTables,
 * built once, then run by the engine (sl_streams_*) or by the deterministic
 * test driver (sl_test_driver_*). The model and the semantics are Kafka
 * Streams' (../shared/kafka-docs/streams/); differences are written down here.
 *
 * Building. sl_topology_new makes an empty topology; sl_stream/sl_table add
 * sources, and each operator takes a handle and returns a new one. Handles
 * (sl_kstream_t, sl_ktable_t, …) belong to the topology and live until
 * sl_topology_destroy. The first mistake (a bad argument, a name used twice)
 * is latched: the operator returns NULL, every operator given NULL returns
 * NULL, and sl_topology_error says what went wrong and where — so a chain of
 * calls needs one check at the end.
 *
 * Callbacks. Every user function gets the `arg` given with it and the
 * processing context (sl_ctx_t) of the record in flight: record metadata,
 * memory (sl_ctx_alloc: objects a callback returns must come from there or
 * outlive the record), forwarding, stores. Keys and values are objects of the
 * stream's serdes (sluice/serde.h); NULL is Kafka's null. Callbacks run on
 * the stream thread that owns the task, one record at a time; they must not
 * block for long. A callback reports a failure with sl_ctx_fail: the record
 * then goes to the processing error handler.
 *
 * Serdes. A source's serdes come from its sl_consumed_t (or the topology's
 * defaults); operators that change a key or value type lose the serde, and the
 * next operator that needs bytes (a sink, a store, a repartition) takes the
 * serde from its own options or, failing that, the topology's defaults —
 * Kafka Streams' rule. */
#ifndef SLUICE_STREAMS_H
#define SLUICE_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/bytes.h>
#include <sluice/err.h>
#include <sluice/serde.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_topology sl_topology_t;
typedef struct sl_kstream sl_kstream_t;
typedef struct sl_ktable sl_ktable_t;
typedef struct sl_globalktable sl_globalktable_t;
typedef struct sl_kgroupedstream sl_kgroupedstream_t;
typedef struct sl_kgroupedtable sl_kgroupedtable_t;
typedef struct sl_twstream sl_timewindowedstream_t;
typedef struct sl_swstream sl_sessionwindowedstream_t;
typedef struct sl_ctx sl_ctx_t;
typedef struct sl_config sl_config_t;

/* ---- configuration ---------------------------------------------------------------- */

/** A Kafka Streams-style configuration: string keys and values, with Kafka
 * Streams' names and defaults. Keys the engine knows are checked on set:
 *   application.id                 (required to run; the test driver defaults it)
 *   bootstrap.servers              unset: the embedded broker
 *   state.dir                      default ./sluice-state (test driver: a temp dir)
 *   commit.interval.ms             default 30000
 *   cache.max.bytes.buffering      default 10485760; 0 turns the record cache off
 *   num.stream.threads             default 1
 *   default.deserialization.exception.handler   logAndContinue (default) | logAndFail
 *   default.production.exception.handler        fail (default) | continue
 *   processing.log.topic           unset: records a serde cannot read, and
 *                                  sl_ctx_log_error, go to the trace only; set:
 *                                  also to this topic as JSON (ksqlDB's
 *                                  processing log shape)
 *   processing.guarantee           at_least_once (the only one so far)
 *   auto.offset.reset              earliest (default, as ksqlDB) | latest
 *   replication.factor             default -1 (the broker's default)
 *   num.standby.replicas           accepted, only 0 so far
 * Keys prefixed "consumer.", "producer." or "admin." go to the log client
 * unchecked. Other keys are accepted with a warning in sl_config_set's errbuf
 * (return value SL_OK), as Kafka logs unknown configs. */
sl_config_t *sl_config_new(void);

/** Frees cfg. NULL is a no-op. */
void sl_config_destroy(sl_config_t *cfg);

/** Sets key to value (both copied). Errors: SL_ERR_CONFIG (a known key with a
 * bad value: errbuf names the key and says why), SL_ERR_NOMEM. */
sl_err_t sl_config_set(sl_config_t *cfg, const char *key, const char *value, char *errbuf,
                       size_t errlen);

/** The value of key, or NULL when it was not set (the default then holds).
 * Valid until the key is set again or cfg is destroyed. */
const char *sl_config_get(const sl_config_t *cfg, const char *key);

/* ---- the processing context --------------------------------------------------------- */

/** A record header: key (NUL-terminated) and value (may be null: data NULL). */
typedef struct sl_header {
    const char *key;
    sl_bytes_t value;
    int value_null;
} sl_header_t;

/** n bytes from the record's memory scope (valid until the record has gone
 * through the topology); NULL when memory runs out. */
void *sl_ctx_alloc(sl_ctx_t *ctx, size_t n);

/** The record's memory scope, for serdes and for objects made in callbacks. */
sl_mem_t *sl_ctx_mem(sl_ctx_t *ctx);

/** The record's event time (ms). In a punctuator: the punctuation time. */
int64_t sl_ctx_timestamp(const sl_ctx_t *ctx);

/** Where the record was read from: topic (NULL in a punctuator or for a record
 * made by a table operator), partition, offset (-1 when unknown). */
const char *sl_ctx_topic(const sl_ctx_t *ctx);
int32_t sl_ctx_partition(const sl_ctx_t *ctx);
int64_t sl_ctx_offset(const sl_ctx_t *ctx);

/** The record's headers: *headers (valid while the record is in flight) and
 * the count returned. */
size_t sl_ctx_headers(const sl_ctx_t *ctx, const sl_header_t **headers);

/** The task's stream time: the largest record timestamp it has processed. */
int64_t sl_ctx_stream_time(const sl_ctx_t *ctx);

/** The engine's wall-clock time (ms): real time, or the test driver's clock. */
int64_t sl_ctx_wall_clock(const sl_ctx_t *ctx);

/** The application id; the task's partition. */
const char *sl_ctx_application_id(const sl_ctx_t *ctx);
int32_t sl_ctx_task_partition(const sl_ctx_t *ctx);

/** Reports that the current callback failed on this record: the record goes
 * to the processing error handler (log and fail, the default: the task stops
 * with err and the message; the test driver returns it from the pipe call).
 * The callback should return at once (its return value is ignored). */
void sl_ctx_fail(sl_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Writes an error about the record in flight to the processing log (the
 * topic named by the processing.log.topic setting: one JSON record, in the
 * shape of ksqlDB's KSQL_PROCESSING_LOG), or traces it as a warning when
 * there is none. For failures that do not stop the record (a column that
 * could not be computed and is NULL). */
void sl_ctx_log_error(sl_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Sends (key, value) to the current node's children with the current
 * record's timestamp and headers: from a processor (sl_kstream_process), a
 * punctuator, or a flat-mapper. The objects need to live only until this
 * call returns. */
void sl_ctx_forward(sl_ctx_t *ctx, const void *key, const void *value);

/** sl_ctx_forward with another timestamp. */
void sl_ctx_forward_ts(sl_ctx_t *ctx, const void *key, const void *value, int64_t timestamp);

/* ---- functions the operators call ---------------------------------------------------- */

/** A predicate: non-zero keeps the record. */
typedef int (*sl_predicate_fn)(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
/** Returns the new value (NULL: null). */
typedef const void *(*sl_value_mapper_fn)(void *arg, sl_ctx_t *ctx, const void *key,
                                          const void *value);
/** Sets the new key and value. */
typedef void (*sl_kv_mapper_fn)(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                                const void **out_key, const void **out_value);
/** Returns the new key. */
typedef const void *(*sl_key_mapper_fn)(void *arg, sl_ctx_t *ctx, const void *key,
                                        const void *value);
/** Emits any number of records with sl_ctx_forward (flat_map: new key and
 * value; flat_map_values: pass the record's key). */
typedef void (*sl_flat_mapper_fn)(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
/** A side effect (peek, foreach). */
typedef void (*sl_action_fn)(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
/** The topic to send a record to (to_dynamic); NULL fails the record. */
typedef const char *(*sl_topic_extractor_fn)(void *arg, sl_ctx_t *ctx, const void *key,
                                             const void *value);
/** The first aggregate of a key. */
typedef const void *(*sl_initializer_fn)(void *arg, sl_ctx_t *ctx);
/** Returns the new aggregate of key after value (adder or subtractor). */
typedef const void *(*sl_aggregator_fn)(void *arg, sl_ctx_t *ctx, const void *key,
                                        const void *value, const void *aggregate);
/** Combines two values of one key (reduce: aggregate then the new value). */
typedef const void *(*sl_reducer_fn)(void *arg, sl_ctx_t *ctx, const void *aggregate,
                                     const void *value);
/** Merges the aggregates of two session windows of key. */
typedef const void *(*sl_merger_fn)(void *arg, sl_ctx_t *ctx, const void *key, const void *agg1,
                                    const void *agg2);
/** Joins two values of key (either may be NULL in left and outer joins). */
typedef const void *(*sl_value_joiner_fn)(void *arg, sl_ctx_t *ctx, const void *key,
                                          const void *left, const void *right);
/** The event time of a record (a timestamp extractor): record_ts is the
 * record's own timestamp, partition_time the largest seen on its partition. A
 * negative result drops the record (counted), as Kafka Streams does. */
typedef int64_t (*sl_timestamp_extractor_fn)(void *arg, const void *key, const void *value,
                                             int64_t record_ts, int64_t partition_time);

/* ---- options ------------------------------------------------------------------------ *
 * Option structs may be NULL, and a zeroed field means "the default". */

/** How a source reads its topics. */
typedef struct sl_consumed {
    const sl_serde_t *key_serde, *value_serde;
    sl_timestamp_extractor_fn timestamp_extractor; /* NULL: the record's timestamp */
    void *timestamp_arg;
    const char *offset_reset; /* "earliest" | "latest"; NULL: auto.offset.reset */
    const char *name;         /* the source node's name */
} sl_consumed_t;

/** How a sink writes. The partitioner returns a partition in [0, n), or -1
 * for the default (murmur2 of the key bytes, as the Java client). */
typedef struct sl_produced {
    const sl_serde_t *key_serde, *value_serde;
    int32_t (*partitioner)(void *arg, const char *topic, const void *key, const void *value,
                           int32_t n);
    void *partitioner_arg;
    const char *name;
} sl_produced_t;

/** A store behind an operator. store_name NULL: an internal name (the store
 * cannot be queried). */
typedef struct sl_materialized {
    const char *store_name;
    const sl_serde_t *key_serde, *value_serde;
    int disable_caching;  /* emit every update (the cache folds updates per key) */
    int disable_logging;  /* no changelog topic: the state is lost with the disk */
    int64_t retention_ms; /* windowed stores; 0: window size + grace */
} sl_materialized_t;

/** A grouping (and the repartition topic when the key changed before it). */
typedef struct sl_grouped {
    const char *name; /* the repartition topic is <application.id>-<name>-repartition */
    const sl_serde_t *key_serde, *value_serde;
} sl_grouped_t;

/** An explicit repartition. partitions 0: as many as the source topics. */
typedef struct sl_repartitioned {
    const char *name;
    const sl_serde_t *key_serde, *value_serde;
    int32_t partitions;
} sl_repartitioned_t;

/** A join's serdes and name (stream-stream joins keep both sides in window
 * stores named <name>-this-join-store and <name>-other-join-store). */
typedef struct sl_joined {
    const char *name;
    const sl_serde_t *key_serde, *value_serde, *other_value_serde;
} sl_joined_t;

/** Time windows: tumbling when advance_ms is 0 (or size_ms), else hopping.
 * A record belongs to every window [start, start + size) holding its time;
 * windows close grace_ms after their end in stream time, and records for a
 * closed window are dropped and counted (metric "dropped-records"). */
typedef struct sl_time_windows {
    int64_t size_ms, advance_ms, grace_ms;
} sl_time_windows_t;

/** Sliding windows (Kafka Streams' SlidingWindows): windows of
 * time_difference_ms anchored on records. */
typedef struct sl_sliding_windows {
    int64_t time_difference_ms, grace_ms;
} sl_sliding_windows_t;

/** Session windows: records of a key closer than gap_ms belong to one session. */
typedef struct sl_session_windows {
    int64_t gap_ms, grace_ms;
} sl_session_windows_t;

/** Stream-stream join windows: the other side's record joins when its time
 * is within [t - before_ms, t + after_ms]. eager: the semantics before Kafka
 * 3.1 (JoinWindows.of without a grace period, ksqlDB's joins without GRACE
 * PERIOD): in left and outer joins a record that finds no partner when it
 * arrives is emitted with null at once, and again with each partner that
 * comes later; 0: such a record waits until its window closes (KIP-633). */
typedef struct sl_join_windows {
    int64_t before_ms, after_ms, grace_ms;
    int eager;
} sl_join_windows_t;

/** suppress(): until_window_closes emits one final result per window when it
 * closes (windowed tables only); otherwise a key's latest update is emitted
 * time_limit_ms after its first buffered update (stream time), or earlier when
 * the buffer holds more than max_records / max_bytes (0: no limit). */
typedef struct sl_suppressed {
    int until_window_closes;
    int64_t time_limit_ms;
    int64_t max_records, max_bytes;
    const char *name;
} sl_suppressed_t;

/* ---- topology ------------------------------------------------------------------------ */

/** A new, empty topology; NULL when memory runs out. The caller destroys it
 * (after every runner and driver using it is gone). */
sl_topology_t *sl_topology_new(void);

/** Frees the topology and every handle it gave out. NULL is a no-op. */
void sl_topology_destroy(sl_topology_t *t);

/** The serdes used where an operator has none (Kafka's default.key.serde and
 * default.value.serde); both default to sl_serde_bytes. */
void sl_topology_set_default_serdes(sl_topology_t *t, const sl_serde_t *key_serde,
                                    const sl_serde_t *value_serde);

/** The first error latched while building, or NULL: a message naming the
 * operator ("KSTREAM-FILTER-0000000002: predicate is NULL"). Valid until t is
 * destroyed. */
const char *sl_topology_error(const sl_topology_t *t);

/** Names the nodes, stores and internal topics added from now on whose
 * names are generated "<scope>-<Kafka Streams' generated name>", with the
 * index counted from 0 again: each part of a topology (a SQL query) keeps
 * the same names whatever was added before it, as a Kafka Streams
 * application of its own would. NULL or "" goes back to plain names (the
 * index keeps counting). Errors: SL_ERR_INVAL when scope is longer than 64
 * characters or has a character outside [A-Za-z0-9_.-] (the topology is
 * then failed, as sl_topology_error says). */
sl_err_t sl_topology_name_scope(sl_topology_t *t, const char *scope);

/** Retires the part of the topology named under scope (see
 * sl_topology_name_scope) before it runs: its nodes receive no records, so
 * it reads and writes nothing — a SQL query replaced by a new version in the
 * same topology. Nodes of the scope that nodes outside it hang below (a
 * source built under the first query that read it) keep working. Errors:
 * SL_ERR_INVAL (no scope, or the topology runs already), SL_ERR_NOMEM. */
sl_err_t sl_topology_retire_scope(sl_topology_t *t, const char *scope);

/** A text description of the topology (sub-topologies, nodes, stores,
 * topics), like Kafka Streams' TopologyDescription. The string is malloc'd:
 * the caller frees it. NULL when memory runs out. */
char *sl_topology_describe(const sl_topology_t *t);

/** A stream of the records of topics (at least one). */
sl_kstream_t *sl_stream(sl_topology_t *t, const char *const *topics, size_t ntopics,
                        const sl_consumed_t *consumed);

/** A table of a topic's latest value per key (null values delete). The table
 * is materialized when m names a store (or when an operator needs it). */
sl_ktable_t *sl_table(sl_topology_t *t, const char *topic, const sl_consumed_t *consumed,
                      const sl_materialized_t *m);

/** A global table: every partition of the topic, in every task. */
sl_globalktable_t *sl_global_table(sl_topology_t *t, const char *topic,
                                   const sl_consumed_t *consumed, const sl_materialized_t *m);

/* ---- KStream -------------------------------------------------------------------------- */

sl_kstream_t *sl_kstream_filter(sl_kstream_t *s, sl_predicate_fn fn, void *arg);
sl_kstream_t *sl_kstream_filter_not(sl_kstream_t *s, sl_predicate_fn fn, void *arg);
/** Changes key and value (the key change marks the stream for repartitioning
 * before grouping or joining). */
sl_kstream_t *sl_kstream_map(sl_kstream_t *s, sl_kv_mapper_fn fn, void *arg);
sl_kstream_t *sl_kstream_map_values(sl_kstream_t *s, sl_value_mapper_fn fn, void *arg);
sl_kstream_t *sl_kstream_flat_map(sl_kstream_t *s, sl_flat_mapper_fn fn, void *arg);
/** As flat_map, but sl_ctx_forward's key argument is ignored: the record's key
 * is kept. */
sl_kstream_t *sl_kstream_flat_map_values(sl_kstream_t *s, sl_flat_mapper_fn fn, void *arg);
sl_kstream_t *sl_kstream_select_key(sl_kstream_t *s, sl_key_mapper_fn fn, void *arg);
/** Splits s into n branches: a record goes to the first branch whose predicate
 * holds; a NULL predicate (last only) takes every record left. branches[i]
 * gets the handles. Records no predicate takes are dropped. */
sl_err_t sl_kstream_split(sl_kstream_t *s, size_t n, const sl_predicate_fn *preds,
                          void *const *args, sl_kstream_t **branches);
sl_kstream_t *sl_kstream_merge(sl_kstream_t *a, sl_kstream_t *b);
sl_kstream_t *sl_kstream_peek(sl_kstream_t *s, sl_action_fn fn, void *arg);
/** A terminal action. Returns 0, or -1 when s is NULL or the call is bad
 * (latched). */
int sl_kstream_foreach(sl_kstream_t *s, sl_action_fn fn, void *arg);
/** Writes the stream to topic. Returns 0 or -1 (latched). */
int sl_kstream_to(sl_kstream_t *s, const char *topic, const sl_produced_t *p);
/** Writes each record to the topic fn returns for it. */
int sl_kstream_to_dynamic(sl_kstream_t *s, sl_topic_extractor_fn fn, void *arg,
                          const sl_produced_t *p);
/** Sends the stream through a repartition topic
 * (<application.id>-<name>-repartition), partitioned by key. */
sl_kstream_t *sl_kstream_repartition(sl_kstream_t *s, const sl_repartitioned_t *r);
sl_kgroupedstream_t *sl_kstream_group_by_key(sl_kstream_t *s, const sl_grouped_t *g);
sl_kgroupedstream_t *sl_kstream_group_by(sl_kstream_t *s, sl_key_mapper_fn fn, void *arg,
                                         const sl_grouped_t *g);
/** Stream-stream joins within a window (inner, left, outer), Kafka Streams'
 * semantics: left/outer results for a record without a match are emitted
 * when its window closes (stream time past the window end plus grace). */
sl_kstream_t *sl_kstream_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                              void *arg, const sl_join_windows_t *w, const sl_joined_t *j);
sl_kstream_t *sl_kstream_left_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                                   void *arg, const sl_join_windows_t *w, const sl_joined_t *j);
sl_kstream_t *sl_kstream_outer_join(sl_kstream_t *s, sl_kstream_t *other, sl_value_joiner_fn fn,
                                    void *arg, const sl_join_windows_t *w,
                                    const sl_joined_t *j);
/** Stream-table joins: each stream record looks the table up by its key. */
sl_kstream_t *sl_kstream_join_table(sl_kstream_t *s, sl_ktable_t *t, sl_value_joiner_fn fn,
                                    void *arg, const sl_joined_t *j);
sl_kstream_t *sl_kstream_left_join_table(sl_kstream_t *s, sl_ktable_t *t, sl_value_joiner_fn fn,
                                         void *arg, const sl_joined_t *j);
/** Stream-global-table joins: key_fn maps each record to the table's key. */
sl_kstream_t *sl_kstream_join_global(sl_kstream_t *s, sl_globalktable_t *g,
                                     sl_key_mapper_fn key_fn, void *key_arg,
                                     sl_value_joiner_fn fn, void *arg);
sl_kstream_t *sl_kstream_left_join_global(sl_kstream_t *s, sl_globalktable_t *g,
                                          sl_key_mapper_fn key_fn, void *key_arg,
                                          sl_value_joiner_fn fn, void *arg);
/** The stream as a table (null values delete). */
sl_ktable_t *sl_kstream_to_table(sl_kstream_t *s, const sl_materialized_t *m);

/** A low-level processor: init runs once per task (it may schedule
 * punctuators and look stores up), process once per record, close when the
 * task closes. state is the processor's own, per task. */
typedef struct sl_processor {
    sl_err_t (*init)(void *arg, sl_ctx_t *ctx, void **state);
    void (*process)(void *state, sl_ctx_t *ctx, const void *key, const void *value);
    void (*close)(void *state);
    void *arg;
} sl_processor_t;

/** Runs p on every record; it forwards with sl_ctx_forward. stores names the
 * stores (added with sl_topology_add_store) that p uses. */
sl_kstream_t *sl_kstream_process(sl_kstream_t *s, const sl_processor_t *p,
                                 const char *const *stores, size_t nstores);

/** Punctuation: on stream time (advanced by records) or on wall-clock time. */
typedef enum sl_punctuation { SL_PUNCTUATE_STREAM_TIME, SL_PUNCTUATE_WALL_CLOCK } sl_punctuation_t;
typedef void (*sl_punctuator_fn)(void *state, sl_ctx_t *ctx, int64_t time);

/** Schedules fn every interval_ms (from a processor's init). Stream-time
 * punctuators fire when stream time has passed the next multiple, once per
 * advance however far it jumped (Kafka Streams' rule); wall-clock ones when
 * the clock has. Errors: SL_ERR_INVAL (interval < 1), SL_ERR_STATE (outside
 * init), SL_ERR_NOMEM. */
sl_err_t sl_ctx_schedule(sl_ctx_t *ctx, int64_t interval_ms, sl_punctuation_t type,
                         sl_punctuator_fn fn, void *state);

/* ---- stores for processors -------------------------------------------------------------- */

typedef enum sl_store_type { SL_STORE_KV, SL_STORE_WINDOW, SL_STORE_SESSION } sl_store_type_t;

/** A store for processors (sl_kstream_process). */
typedef struct sl_store_def {
    const char *name;
    sl_store_type_t type;
    const sl_serde_t *key_serde, *value_serde;
    int disable_logging;
    /* Key-value stores: keep writes in the record cache until the commit (one
     * LMDB write and one changelog record per key per commit), as Kafka's
     * withCachingEnabled; off by default, as in Kafka. */
    int enable_caching;
    int64_t retention_ms; /* window and session stores */
    int64_t window_size_ms;
} sl_store_def_t;

/** Adds a store. Errors: SL_ERR_INVAL (bad name or serde), SL_ERR_EXISTS. */
sl_err_t sl_topology_add_store(sl_topology_t *t, const sl_store_def_t *def);

typedef struct sl_kvstore sl_kvstore_t;

/** A key-value store by name, for the current task (from a processor's init
 * or process); NULL when the processor was not given it. */
sl_kvstore_t *sl_ctx_kv_store(sl_ctx_t *ctx, const char *name);

/** Looks key up: 1 with *value (an object in the record's scope), 0 when
 * absent, or an error (SL_ERR_SERDE, store errors). */
int sl_kvstore_get(sl_ctx_t *ctx, sl_kvstore_t *s, const void *key, const void **value);

/** Sets key's value; NULL deletes. Logged to the changelog. */
sl_err_t sl_kvstore_put(sl_ctx_t *ctx, sl_kvstore_t *s, const void *key, const void *value);

/** Calls fn for each key in [from, to) in key-byte order (NULL bounds are
 * open) until fn returns non-zero. The objects live in the record's scope. */
sl_err_t sl_kvstore_range(sl_ctx_t *ctx, sl_kvstore_t *s, const void *from, const void *to,
                          int (*fn)(void *arg, const void *key, const void *value), void *arg);

/* ---- KGroupedStream and windowed streams -------------------------------------------------- */

/** Counts per key; the table's values are int64 (sl_serde_int64). Records
 * with a null key or value are skipped (counted), as Kafka Streams does. */
sl_ktable_t *sl_kgroupedstream_count(sl_kgroupedstream_t *g, const sl_materialized_t *m);
sl_ktable_t *sl_kgroupedstream_reduce(sl_kgroupedstream_t *g, sl_reducer_fn fn, void *arg,
                                      const sl_materialized_t *m);
sl_ktable_t *sl_kgroupedstream_aggregate(sl_kgroupedstream_t *g, sl_initializer_fn init,
                                         sl_aggregator_fn fn, void *arg,
                                         const sl_materialized_t *m);
sl_timewindowedstream_t *sl_kgroupedstream_windowed_by(sl_kgroupedstream_t *g,
                                                       const sl_time_windows_t *w);
sl_timewindowedstream_t *sl_kgroupedstream_windowed_by_sliding(sl_kgroupedstream_t *g,
                                                               const sl_sliding_windows_t *w);
sl_sessionwindowedstream_t *sl_kgroupedstream_windowed_by_session(sl_kgroupedstream_t *g,
                                                                  const sl_session_windows_t *w);

/* Windowed aggregations return tables keyed by sl_windowed_t (see serde.h). */
sl_ktable_t *sl_twstream_count(sl_timewindowedstream_t *w, const sl_materialized_t *m);
sl_ktable_t *sl_twstream_reduce(sl_timewindowedstream_t *w, sl_reducer_fn fn, void *arg,
                                const sl_materialized_t *m);
sl_ktable_t *sl_twstream_aggregate(sl_timewindowedstream_t *w, sl_initializer_fn init,
                                   sl_aggregator_fn fn, void *arg, const sl_materialized_t *m);
sl_ktable_t *sl_swstream_count(sl_sessionwindowedstream_t *w, const sl_materialized_t *m);
sl_ktable_t *sl_swstream_reduce(sl_sessionwindowedstream_t *w, sl_reducer_fn fn, void *arg,
                                const sl_materialized_t *m);
sl_ktable_t *sl_swstream_aggregate(sl_sessionwindowedstream_t *w, sl_initializer_fn init,
                                   sl_aggregator_fn fn, sl_merger_fn merger, void *arg,
                                   const sl_materialized_t *m);

/* ---- KTable and KGroupedTable ------------------------------------------------------------ */

sl_ktable_t *sl_ktable_filter(sl_ktable_t *t, sl_predicate_fn fn, void *arg,
                              const sl_materialized_t *m);
sl_ktable_t *sl_ktable_filter_not(sl_ktable_t *t, sl_predicate_fn fn, void *arg,
                                  const sl_materialized_t *m);
sl_ktable_t *sl_ktable_map_values(sl_ktable_t *t, sl_value_mapper_fn fn, void *arg,
                                  const sl_materialized_t *m);
sl_kstream_t *sl_ktable_to_stream(sl_ktable_t *t);
sl_ktable_t *sl_ktable_suppress(sl_ktable_t *t, const sl_suppressed_t *s);
/** Re-groups a table by a new key (fn sets the new key and value). */
sl_kgroupedtable_t *sl_ktable_group_by(sl_ktable_t *t, sl_kv_mapper_fn fn, void *arg,
                                       const sl_grouped_t *g);
/** Table-table joins on the key (inner, left, outer). */
sl_ktable_t *sl_ktable_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn, void *arg,
                            const sl_materialized_t *m);
sl_ktable_t *sl_ktable_left_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn,
                                 void *arg, const sl_materialized_t *m);
sl_ktable_t *sl_ktable_outer_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_joiner_fn fn,
                                  void *arg, const sl_materialized_t *m);
/** Foreign-key joins: fk_fn gives the other table's key from this table's
 * value (NULL: no match). */
sl_ktable_t *sl_ktable_fk_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_mapper_fn fk_fn,
                               void *fk_arg, sl_value_joiner_fn fn, void *arg,
                               const sl_materialized_t *m);
sl_ktable_t *sl_ktable_fk_left_join(sl_ktable_t *t, sl_ktable_t *other,
                                    sl_value_mapper_fn fk_fn, void *fk_arg,
                                    sl_value_joiner_fn fn, void *arg,
                                    const sl_materialized_t *m);
/** The name of the store behind a materialized table, or NULL. */
const char *sl_ktable_store_name(const sl_ktable_t *t);

sl_ktable_t *sl_kgroupedtable_count(sl_kgroupedtable_t *g, const sl_materialized_t *m);
sl_ktable_t *sl_kgroupedtable_reduce(sl_kgroupedtable_t *g, sl_reducer_fn adder,
                                     sl_reducer_fn subtractor, void *arg,
                                     const sl_materialized_t *m);
sl_ktable_t *sl_kgroupedtable_aggregate(sl_kgroupedtable_t *g, sl_initializer_fn init,
                                        sl_aggregator_fn adder, sl_aggregator_fn subtractor,
                                        void *arg, const sl_materialized_t *m);

/* ---- running an application ------------------------------------------------------------ *
 * sl_streams_t runs a topology against a Kafka-protocol log: the embedded
 * broker of this process when bootstrap.servers is unset (no sockets), or any
 * cluster (a `sluice broker`, Apache Kafka) through librdkafka when it is set.
 * Instances with the same application.id share the input partitions through a
 * consumer group (remote clusters; the embedded broker's client is a one-member
 * group). Each task keeps its stores in an LMDB environment of its own under
 * <state.dir>/<application.id>/<sub-topology>_<partition>/ — LMDB admits one
 * writer per environment and a task holds its write transaction from one
 * commit to the next, so one environment per task (as Kafka Streams has a
 * RocksDB per store per task) keeps stream threads from waiting on each other.
 *
 * Every commit.interval.ms a stream thread flushes its tasks' caches, waits
 * until every output, repartition and changelog record is acknowledged, then
 * commits each task's LMDB transaction holding its state, the input offsets
 * and the changelog offsets, then commits the input offsets to the group.
 * On start a task replays only the changelog records after the offsets its
 * LMDB transaction holds (all of them when the state directory was lost) and
 * resumes its input after the offsets it committed. At-least-once. */

typedef struct sl_streams sl_streams_t;
typedef struct sl_embedded_broker sl_embedded_broker_t; /* sluice/broker.h */

typedef enum sl_streams_state {
    SL_STREAMS_CREATED,
    SL_STREAMS_RUNNING,
    SL_STREAMS_ERROR, /* a task failed: sl_streams_error says why; close it */
    SL_STREAMS_NOT_RUNNING,
} sl_streams_state_t;

/** Makes an application for t (which must outlive it) with cfg (copied;
 * application.id required). broker is the embedded broker to run on when
 * bootstrap.servers is unset (it must outlive the application). Nothing runs
 * until sl_streams_start. Errors: SL_ERR_TOPOLOGY (t cannot run: errbuf names
 * the operator), SL_ERR_CONFIG (no application.id; no broker and no
 * bootstrap.servers; a bad value), SL_ERR_NOMEM. */
sl_err_t sl_streams_new(sl_topology_t *t, const sl_config_t *cfg, sl_embedded_broker_t *broker,
                        sl_streams_t **out, char *errbuf, size_t errlen);

/** Checks the topics (every source topic must exist; the sources of one
 * sub-topology must have as many partitions as each other), creates the
 * internal topics (repartition, changelog), and starts num.stream.threads
 * threads. Returns once the threads run; tasks restore their state in the
 * threads. Errors: SL_ERR_TOPOLOGY (a missing source topic, sources that are
 * not co-partitioned: errbuf names the operator and the topics),
 * SL_ERR_STATE (started before), SL_ERR_IO (the cluster), SL_ERR_NOMEM. */
sl_err_t sl_streams_start(sl_streams_t *s, char *errbuf, size_t errlen);

/** Stops the threads (each commits its tasks and leaves the group), closes
 * the stores and frees s. NULL is a no-op. */
void sl_streams_close(sl_streams_t *s);

/** Calls fn with the name of each internal topic of the application
 * (repartition, foreign-key subscription and changelog topics, all named
 * "<application.id>-…"), e.g. to delete them when it is retired for good,
 * as ksqlDB does on TERMINATE. */
void sl_streams_internal_topics(const sl_streams_t *s, void (*fn)(void *arg, const char *topic),
                                void *arg);

/** The application's local state directory (<state.dir>/<application.id>);
 * valid until s is closed. */
const char *sl_streams_state_dir(const sl_streams_t *s);

/** The application's state, and (in SL_STREAMS_ERROR) the reason — valid
 * until s is closed. */
sl_streams_state_t sl_streams_state(const sl_streams_t *s);
const char *sl_streams_error(const sl_streams_t *s);

/** A metric summed over the threads' tasks: "process-total", "dropped-records",
 * "skipped-records", "deserialization-errors", "record-send-total" (records
 * sent to the topology's output topics: not repartition topics, changelogs
 * or the processing log), "restored-records" (changelog records replayed
 * into stores since start), "commit-total", "tasks"
 * (running). -1 for an unknown name. Any thread. */
int64_t sl_streams_metric(const sl_streams_t *s, const char *name);

/** Waits until every task of every thread is restored and processing and
 * the inputs have no records left (lag 0), then has every thread commit (so
 * caches are flushed and interactive queries see every update), or until
 * timeout_ms passes. Returns SL_OK, SL_ERR_IO at the timeout, or
 * SL_ERR_PROCESSING when the application failed. For tests and tools. */
sl_err_t sl_streams_wait_idle(sl_streams_t *s, int timeout_ms);

/** Interactive query: looks key up in a key-value store of the running
 * application (the committed state of the task holding key's partition) and
 * calls fn with the value (an object valid during the call) when found.
 * Returns 1 found, 0 absent, or an error: SL_ERR_INVAL (no such store),
 * SL_ERR_STATE (the partition's task is not on this instance), SL_ERR_SERDE.
 * Any thread. */
int sl_streams_kv_get(sl_streams_t *s, const char *store, const void *key,
                      void (*fn)(void *arg, const void *value), void *arg);

/** Interactive query over the keys in [from, to) of a key-value store on this
 * instance (NULL bounds are open; bounds compare as serialized key bytes), in
 * key order per partition: fn(arg, key, value) until it returns non-zero;
 * the objects are valid during the call. Partitions whose task runs on
 * another instance are skipped. Errors as sl_streams_kv_get. Any thread. */
sl_err_t sl_streams_kv_range(sl_streams_t *s, const char *store, const void *from,
                             const void *to,
                             int (*fn)(void *arg, const void *key, const void *value), void *arg);

/** How many partitions of a store's tasks run on this instance now (*total:
 * how many it has), so that a caller can wait for all of them (after a start
 * or a rebalance) before a range query. A global store counts as one
 * partition. SL_ERR_INVAL for an unknown store. Any thread. */
sl_err_t sl_streams_store_partitions(sl_streams_t *s, const char *store, int32_t *local,
                                     int32_t *total);

/** sl_streams_kv_range over every key. */
sl_err_t sl_streams_kv_all(sl_streams_t *s, const char *store,
                           int (*fn)(void *arg, const void *key, const void *value), void *arg);

/** Interactive query of a window store (a windowed aggregation's store):
 * key's windows with t_from <= start <= t_to, in start order, to fn(arg,
 * window start, value) until it returns non-zero. Returns how many windows fn
 * saw, or an error as sl_streams_kv_get. Any thread. */
int sl_streams_window_fetch(sl_streams_t *s, const char *store, const void *key, int64_t t_from,
                            int64_t t_to, int (*fn)(void *arg, int64_t start, const void *value),
                            void *arg);

#ifdef __cplusplus
}
#endif
#endif
