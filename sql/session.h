/* session.h — statements in, topology out: a SQL session keeps the catalog
 * and compiles persistent queries (CREATE STREAM/TABLE AS SELECT, INSERT
 * INTO … SELECT) through the engine's public API into one topology, which a
 * runner or the test driver then runs.
 *
 * So far: a query reads one stream or table; WHERE and projections of any
 * expressions (key columns pass through); over a stream, GROUP BY any
 * expressions with COUNT, SUM, AVG, MIN, MAX, LATEST_BY_OFFSET,
 * EARLIEST_BY_OFFSET and HAVING, into a table, also in tumbling, hopping
 * and session windows; PARTITION BY on a stream;
 * EMIT FINAL on windows; joins of two sources: stream-stream (WITHIN),
 * stream-table, table-table and foreign-key. N-way joins are refused with a
 * message saying so (issue 6 goes on).
 *
 * Threads: a session is built on one thread; the callbacks it installs in
 * the topology run on stream threads and only read what compiling made. */
#ifndef SL_SQL_SESSION_H
#define SL_SQL_SESSION_H

#include <sluice/streams.h>

#include "sql/catalog.h"

typedef struct sl_sql_session sl_sql_session_t;

/** A session over catalog (borrowed: it must outlive the session) and a new
 * topology. NULL when memory runs out. */
sl_sql_session_t *sl_sql_session_new(sl_sql_catalog_t *catalog);

/** Frees the session and its topology (stop whatever runs it first). NULL is
 * a no-op. */
void sl_sql_session_destroy(sl_sql_session_t *s);

/** The topology the persistent queries so far compiled into (the session's). */
sl_topology_t *sl_sql_session_topology(sl_sql_session_t *s);

/** How many persistent queries the topology holds. */
int sl_sql_session_queries(const sl_sql_session_t *s);

/** Hands over the topology the queries compiled since the last call went
 * into, and starts a new one: the shell runs each persistent query as an
 * application of its own. The caller owns it (sl_topology_destroy) but its
 * callbacks read the session's memory: the session must outlive it. NULL
 * when memory runs out (the session keeps its topology then). */
sl_topology_t *sl_sql_session_take_topology(sl_sql_session_t *s);

/** The id of the query the last CREATE … AS SELECT or INSERT INTO … SELECT
 * made (CSAS_<SINK>_<n> …; the session's memory), or NULL. */
const char *sl_sql_session_last_query(const sl_sql_session_t *s);

/** Did the last statement upgrade a running query (CREATE OR REPLACE … AS
 * SELECT of its sink, as ksqlDB upgrades queries in place)? Then
 * sl_sql_session_last_query is that query's id, unchanged: whoever runs it
 * stops its old version and starts the new one under the same id (its
 * internal topic and store names are the same, so it resumes from the old
 * one's committed offsets and state). In a topology that still held the old
 * version, the old version is retired from it. */
int sl_sql_session_last_upgraded(const sl_sql_session_t *s);

/** Forgets query id (it was terminated): DROP no longer counts it. Returns 0,
 * or -1 when the session has no such query. */
int sl_sql_session_forget_query(sl_sql_session_t *s, const char *id);

/** Calls fn with each query the session compiled and has not forgotten: its
 * id, the stream or table it writes, and the sources it reads. */
void sl_sql_session_foreach_query(const sl_sql_session_t *s,
                                  void (*fn)(void *arg, const char *id, const char *sink,
                                             const char *const *sources, size_t nsources),
                                  void *arg);

/** Numbers the next queries from n on (a shell resuming its queries keeps
 * their ids). */
void sl_sql_session_set_query_seq(sl_sql_session_t *s, int n);

/** Materialized results (on != 0): a table a query makes from now on is
 * also kept, row by row as it writes it, in a key-value store named by
 * sl_sql_session_pull_store — what pull queries read (the shell's). A
 * windowed table's store is keyed by its windowed keys (sl_windowed_t). */
void sl_sql_session_set_materialize(sl_sql_session_t *s, int on);

/** The name of the store of query_id's result (see
 * sl_sql_session_set_materialize) into buf. */
void sl_sql_session_pull_store(const char *query_id, char *buf, size_t len);

/** Transient mode (on != 0): queries may have LIMIT (the caller applies it:
 * the shell's push queries), and need not select their key columns, as
 * ksqlDB's push queries: a key column (or grouping column) a single-source
 * or GROUP BY query leaves out is kept as a key column of the result named
 * SL_SQL_HIDDEN_PREFIX followed by its name, which the caller does not show. */
#define SL_SQL_HIDDEN_PREFIX "_SL_HIDDEN_"
void sl_sql_session_set_transient(sl_sql_session_t *s, int on);

/** Is key (any case) a ksqlDB property the compiler itself reads:
 * ksql.functions.collect_list.limit or ksql.functions.collect_set.limit? */
int sl_sql_session_is_property(const char *key);

/** Sets (value non-NULL) or resets (value NULL) one of those properties for
 * the queries compiled from now on; key and value NULL reset them all. The
 * limits are INTs: at most that many items in COLLECT_LIST's (COLLECT_SET's)
 * ARRAY, the first ones; negative or reset: no limit (ksqlDB's default).
 * Errors: SL_ERR_INVAL — not such a property, or a bad value (errbuf:
 * "Invalid value 'x' for property …"). */
sl_err_t sl_sql_session_set_property(sl_sql_session_t *s, const char *key, const char *value,
                                     char *errbuf, size_t errlen);

/** Runs one statement: DDL through the catalog, CREATE … AS SELECT and
 * INSERT INTO … SELECT into the topology, SET and UNSET of the properties
 * above (of others: SL_ERR_UNSUPPORTED). *message gets ksqlDB's answer
 * (static or the session's). Errors: SL_ERR_INVAL (errbuf says why, in
 * ksqlDB's words where it has them, with line:column), SL_ERR_EXISTS,
 * SL_ERR_UNSUPPORTED (a statement or clause not compiled yet), SL_ERR_NOMEM. */
sl_err_t sl_sql_session_execute(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                const char **message, char *errbuf, size_t errlen);

/** A record INSERT INTO … VALUES made: bytes in the target's formats. */
typedef struct sl_sql_insert {
    const char *topic;
    sl_bytes_t key, value; /* data NULL: Kafka's null */
    int64_t timestamp;     /* -1: now */
} sl_sql_insert_t;

/** The records INSERT INTO … VALUES statements made since the last call, in
 * order (the session's, valid until its next statement); *n gets how many.
 * Whoever runs the session writes them to their topics (the test runner
 * pipes them before the inputs, as ksqlDB's does). */
const sl_sql_insert_t *sl_sql_session_inserts(sl_sql_session_t *s, size_t *n);

/** Forgets the records sl_sql_session_inserts gave. */
void sl_sql_session_clear_inserts(sl_sql_session_t *s);

#endif
