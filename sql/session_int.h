/* session_int.h — what the parts of the SQL compiler share: the session, a
 * compiled query's layout, the per-record building blocks, and the compile
 * steps each file adds (session.c: single-source queries and INSERT VALUES;
 * session_agg.c: GROUP BY and aggregates; session_join.c: joins). */
#ifndef SL_SQL_SESSION_INT_H
#define SL_SQL_SESSION_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/catalog.h"
#include "sql/expr.h"
#include "sql/session.h"
#include "sql/sql_parse.h"

typedef struct versioned_serde versioned_serde_t;

typedef struct source_handle {
    char *topic;
    const sl_sql_datasource_t *ds; /* the version of the source it reads (rows laid out so) */
    sl_kstream_t *stream; /* one of these */
    sl_ktable_t *table;
    versioned_serde_t *vs; /* its value serde (session.c: share_source) */
} source_handle_t;

struct sl_sql_session {
    sl_sql_catalog_t *catalog;
    sl_topology_t *topo;
    sl_arena_t arena; /* what the topology's callbacks read: lives as long as it */
    source_handle_t *sources;
    size_t nsources;
    int nqueries;         /* queries compiled: numbers the query ids */
    int topo_queries;     /* of them, in the current topology */
    int transient;        /* sl_sql_session_set_transient */
    int materialize;      /* sl_sql_session_set_materialize */
    const char *query_id; /* the query being compiled (in the arena) */
    struct session_query {  /* the queries compiled: what DROP must not pull from under them */
        const char *id, *sink;
        const char **sources;
        size_t nsources;
        const struct sqls_plan *plan; /* CSAS/CTAS: what an upgrade must keep (session_upgrade.c) */
        const char *scope; /* the name scope of its part of the topology */
        int gen;           /* the topology it went into (topo_gen then) */
    } *queries;
    size_t nqueries_rec, queries_cap;
    char message[256];
    sl_sql_insert_t *inserts; /* from INSERT … VALUES, bytes in the arena */
    size_t ninserts, inserts_cap;
    /* ksql.functions.collect_list.limit, ksql.functions.collect_set.limit
     * (sl_sql_session_set_property): -1 for no limit */
    int64_t collect_list_limit, collect_set_limit;
    /* Query upgrades (session_upgrade.c): topo_gen counts the topologies
     * handed over; upgrade is set while compiling a CREATE OR REPLACE … AS
     * SELECT of a running query's sink (upgrade_of: its index in queries),
     * last_upgraded after one succeeded. */
    int topo_gen, upg_versions;
    int upgrade, last_upgraded;
    size_t upgrade_of;
    const char *upg_scope; /* the versioned scope the new version went under, or NULL */
};

/* A compiled query: what its callbacks read. */
typedef struct query {
    const char *id;
    size_t nkey, nvalue;          /* the source's key and value columns (slots in that order) */
    int ts_slot;                  /* the source's TIMESTAMP column, or -1 */
    const struct sl_sql_fn_call *ts_parse; /* TIMESTAMP_FORMAT: PARSE_TIMESTAMP, or NULL */
    const char *ts_format;
    size_t nheader;               /* header columns, slots after the value columns */
    const sl_sql_datasource_col_t *hcols;
    const sl_sql_cexpr_t *where;  /* NULL: none */
    const sl_sql_cexpr_t **out;   /* the target's value columns */
    size_t nout;
    const int *key_from;          /* the target's key columns: source key slots */
    size_t nkey_out;
    const sl_sql_cexpr_t **key_exprs; /* PARTITION BY: the new key, instead of key_from */
    /* Table functions (EXPLODE, CUBE_EXPLODE) in the projection: per value
     * column, 0 or the function (out[i] is then its ARRAY argument) and the
     * column's type; NULL when there are none. */
    const uint8_t *tf;
    const sl_sql_type_t **tf_type;
    int window; /* the source is a windowed table (0, 1 time, 2 session windows): its
                 * keys are sl_windowed_t, and WINDOWSTART / WINDOWEND come from them */
} query_t;

/* query_t.tf values. */
enum { SQLS_TF_NONE, SQLS_TF_EXPLODE, SQLS_TF_CUBE_EXPLODE };

typedef enum agg_kind {
    AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_LATEST, AGG_EARLIEST,
    AGG_COUNT_DISTINCT, AGG_COLLECT_LIST, AGG_COLLECT_SET, AGG_HISTOGRAM, AGG_TOPK,
    AGG_TOPK_DISTINCT, AGG_STDDEV_SAMP, AGG_STDDEV_SAMPLE, AGG_CORRELATION
} agg_kind_t;

typedef struct agg_spec {
    agg_kind_t kind;
    const sl_sql_cexpr_t *arg; /* NULL: COUNT(*) */
    const sl_sql_cexpr_t *arg2; /* CORRELATION's second argument */
    int64_t k;                  /* TOPK, TOPKDISTINCT: k; *_BY_OFFSET: N (0: the one-value form) */
    int64_t limit;              /* COLLECT_LIST, COLLECT_SET: at most this many items (-1: no limit) */
    int keep_nulls;             /* *_BY_OFFSET with ignoreNulls FALSE: NULLs count */
    const sl_sql_type_t *type; /* the result's */
    size_t state;              /* its first state slot (AVG has two: sum, count) */
} agg_spec_t;

typedef struct gquery {
    query_t q;                    /* id, source layout, WHERE */
    const sl_sql_cexpr_t **group; /* over the source's key + value slots */
    size_t ngroup;
    agg_spec_t *aggs;
    size_t naggs, aggs_cap;
    size_t nstate;
    const sl_sql_cexpr_t *having; /* over the result scope */
    const sl_sql_cexpr_t **out;   /* the target's value columns, over the result scope */
    size_t nout;
    sl_arena_t *arena;
    const sl_sql_scope_t *value_scope;
    const sl_sql_catalog_t *catalog;
    int64_t collect_list_limit, collect_set_limit; /* the session's, when compiled */
    int window; /* 0, 1 time windows, 2 session windows: keys are sl_windowed_t */
} gquery_t;

/* ---- building blocks (session.c) ---- */

/** Ends building a query's part of the topology: SL_ERR_INVAL with the
 * topology's error in errbuf, or SL_OK with the query counted. */
sl_err_t sl__sqls_query_built(sl_sql_session_t *s, char *errbuf, size_t errlen);

/** The message for a WHERE whose type t is not BOOLEAN (ksqlDB's words). */
void sl__sqls_where_not_boolean(const sl_sql_expr_t *where, const sl_sql_type_t *t, char *errbuf,
                                size_t errlen);

/** Writes a message into errbuf (printf-style); NULL errbuf is fine. */
void sl__sqls_fail(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A copy of s in the arena (NULL for NULL or no memory). */
char *sl__sqls_arena_str(sl_arena_t *a, const char *s);

/** The source row as one slot vector (q's key columns, then its value
 * columns) in the record's memory; NULL when memory runs out. */
sl_sql_value_t *sl__sqls_slots(sl_ctx_t *ctx, const query_t *q, const sl_sql_row_t *key,
                               const sl_sql_row_t *value);

/** The record's pseudo-columns (SL_SQL_PSEUDO_COUNT values; windows NULL). */
void sl__sqls_pseudo_of(sl_ctx_t *ctx, sl_sql_value_t *p);
/** A windowed source's key (q->window): the key row inside it, with
 * WINDOWSTART and WINDOWEND set in p; any other key as it is. */
const void *sl__sqls_window_key(const query_t *q, const void *key, sl_sql_value_t *p);

/** Traces a run-time failure of an expression of q on the current record. */
void sl__sqls_log_failure(const query_t *q, sl_ctx_t *ctx, const char *what, const char *msg);

/** Engine callbacks over a query_t (arg): WHERE, the projection of a stream
 * (new key and value) and of a table (value), and the source's TIMESTAMP. */
int sl__sqls_where_pass(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
void sl__sqls_stream_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                             const void **out_key, const void **out_value);
/** sl__sqls_stream_project over keys in windows (sl_windowed_t): the new key
 * in the same window. */
void sl__sqls_stream_project_in_window(void *arg, sl_ctx_t *ctx, const void *key,
                                       const void *value, const void **out_key,
                                       const void **out_value);
/** The projection of a stream whose SELECT has table functions: a flat-map
 * giving one record per row the functions return (zipped, padded with NULLs),
 * keys in their windows when q->window. */
void sl__sqls_stream_project_tf(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
const void *sl__sqls_table_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value);
int64_t sl__sqls_row_timestamp(void *arg, const void *key, const void *value, int64_t record_ts,
                               int64_t partition_time);

/** A TIMESTAMP column read with TIMESTAMP_FORMAT format (NULL: none) as
 * ksqlDB's StringTimestampExtractor does: *parse becomes PARSE_TIMESTAMP and
 * *fmt format (both NULL without one). what names the source in messages.
 * Errors: SL_ERR_INVAL (errbuf). */
sl_err_t sl__sqls_timestamp_format(sl_arena_t *a, const char *what, const char *format,
                                   const struct sl_sql_fn_call **parse, const char **fmt,
                                   char *errbuf, size_t errlen);

/* Does projection item x select PARTITION BY expression p (pt: p's text,
 * or NULL to print it here, in arena a)? Columns match by the slot they read
 * in scope all, anything else by its text. */
int sl__sqls_selects(sl_arena_t *a, const sl_sql_scope_t *all, const sl_sql_expr_t *x,
                     const sl_sql_expr_t *p, const char *pt);

/** A value column of a projection compiled over scope into *out (type *t):
 * a table function (EXPLODE, CUBE_EXPLODE) at the top of x marks column
 * q->nout in q->tf (made with cap entries on the first) and compiles its
 * ARRAY argument; table says the query reads a table (which refuses them,
 * as ksqlDB does). Errors: SL_ERR_INVAL (errbuf), SL_ERR_NOMEM. */
sl_err_t sl__sqls_compile_value(query_t *q, int table, const sl_sql_expr_t *x,
                                const sl_sql_scope_t *scope, const sl_sql_expr_opts_t *o,
                                sl_arena_t *a, size_t cap, const sl_sql_cexpr_t **out,
                                const sl_sql_type_t **t, char *errbuf, size_t errlen);

/** The engine source of a stream or table (one per topic in a topology). */
sl_err_t sl__sqls_source_for(sl_sql_session_t *s, const sl_sql_datasource_t *src, query_t *q,
                             sl_kstream_t **stream, sl_ktable_t **table, char *errbuf,
                             size_t errlen);

/** A WITH property of CREATE … AS SELECT as text (NULL when absent). */
const char *sl__sqls_with_prop(const sl_sql_stmt_t *stmt, const char *name, char *buf, size_t len);

/** The formats of a query's result: *kfmt and *vfmt come in as the
 * defaults (the source's), and the WITH clause's FORMAT, KEY_FORMAT,
 * VALUE_FORMAT, VALUE_DELIMITER and WRAP_SINGLE_VALUE apply over them
 * (WRAP_SINGLE_VALUE is not inherited). Errors: SL_ERR_INVAL (errbuf). */
sl_err_t sl__sqls_sink_formats(const sl_sql_stmt_t *stmt, sl_sql_format_t *kfmt,
                               sl_sql_format_t *vfmt, char *errbuf, size_t errlen);

/** The result's record time: WITH (TIMESTAMP='col' [, TIMESTAMP_FORMAT='f'])
 * of a CREATE … AS SELECT, checked against made's columns with ksqlDB's
 * messages; *out is what sl__sqls_restamp applies (NULL without one), and
 * made's TIMESTAMP (and TIMESTAMP_FORMAT) are set, for the queries that read
 * the result. In the session's arena. Errors: SL_ERR_INVAL, SL_ERR_UNSUPPORTED
 * (a key column), SL_ERR_NOMEM. */
typedef struct restamp restamp_t;
sl_err_t sl__sqls_sink_timestamp(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                 sl_sql_datasource_t *made, restamp_t **out, char *errbuf,
                                 size_t errlen);

/** stream with each record's time taken from r's column (a tombstone at the
 * stream time; a record whose time is NULL, negative or does not parse is
 * dropped and logged), or stream itself when r is NULL. */
sl_kstream_t *sl__sqls_restamp(sl_kstream_t *stream, const restamp_t *r);

/** Adds the result of a CREATE … AS SELECT to the catalog (made: its
 * description), creating its topic when missing, and checks its formats;
 * *target is the catalog's entry, or NULL (and SL_OK) when it exists and the
 * statement says IF NOT EXISTS. Errors: SL_ERR_EXISTS (ksqlDB's "Cannot add
 * …"), SL_ERR_IO (the topic), SL_ERR_INVAL (formats), SL_ERR_NOMEM. */
sl_err_t sl__sqls_add_target(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                             const sl_sql_datasource_t *made, const sl_sql_datasource_t **target,
                             char *errbuf, size_t errlen);

/** The stream an INSERT INTO … SELECT writes to: it must exist, be a
 * stream (and so must the query's result: table says it is not), and have
 * the result's columns (cols, nvalue value and nkey key columns) with the
 * same names and types. Errors: SL_ERR_INVAL with ksqlDB's message. */
sl_err_t sl__sqls_insert_target(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, int table,
                                const sl_sql_datasource_col_t *cols, size_t ncols, size_t nvalue,
                                size_t nkey, const sl_sql_datasource_t **target, char *errbuf,
                                size_t errlen);

/** Are an INSERT INTO … SELECT's results windowed as its target (window: 0
 * no, 1 time windows of window_size, 2 session windows)? Their keys are
 * written as they are. Errors: SL_ERR_INVAL (errbuf says how they differ). */
sl_err_t sl__sqls_insert_windows(const sl_sql_datasource_t *target, int window,
                                 int64_t window_size, char *errbuf, size_t errlen);

/** The joins of a query, analyzed (session_join.c): the combined row they
 * give (every source's key and value columns, each join's key), for the
 * steps that follow them (a projection, or GROUP BY). In the arena. */
typedef struct jplan jplan_t;
typedef struct join_input {
    jplan_t *plan;
    sl_sql_scope_t scope;                /* the sources' columns; slots in the combined row */
    size_t nslots;                       /* the combined row's length */
    const sl_sql_type_t *const *types;   /* each slot's type */
    int table;                           /* the joins give a table (else a stream) */
    int window;                          /* its keys are windowed: 1 time, 2 session windows */
} join_input_t;

/** A materialization of the current query's result table for pull queries
 * into *m (store named after the query id, the target's serdes) and m, or
 * NULL when the session does not materialize. */
const sl_materialized_t *sl__sqls_result_store(sl_sql_session_t *s, sl_materialized_t *m,
                                               const sl_serde_t *ks, const sl_serde_t *vs);

/* ---- query upgrades (session_upgrade.c) ---- */

/** Before compiling stmt: when it is a CREATE OR REPLACE … AS SELECT of the
 * sink of a live CREATE … AS SELECT query, the compile is that query's
 * upgrade: id (idlen bytes) becomes its id. */
void sl__sqls_upgrade_begin(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *id,
                            size_t idlen);

/** After begin_query: an upgrade whose old version is in the current
 * topology (the test runner's one topology) goes under a scope of its own. */
sl_err_t sl__sqls_upgrade_scope(sl_sql_session_t *s);

/** Replacing old with made (a CREATE … AS SELECT's result) when queries use
 * old: for an upgrade, ksqlDB's checks of the data source and of the plan;
 * otherwise refused. Errors: SL_ERR_INVAL with ksqlDB's message. */
sl_err_t sl__sqls_upgrade_check(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                const sl_sql_datasource_t *old, const sl_sql_datasource_t *made,
                                char *errbuf, size_t errlen);

/** After a CREATE … AS SELECT compiled: an upgrade takes the old query's
 * place (its old version retired from the topology when it is there); a new
 * query, recorded last, gets its plan noted. */
sl_err_t sl__sqls_upgrade_finish(sl_sql_session_t *s, const sl_sql_stmt_t *stmt);

/** May a query compiled against b read rows of a source built for a (the
 * same key and value columns, TIMESTAMP column)? */
int sl__sqls_same_layout(const sl_sql_datasource_t *a, const sl_sql_datasource_t *b);

/* ---- compile steps ---- */

/** GROUP BY over a windowed source or join (session_agg.c): in, its scope,
 * with WINDOWSTART and WINDOWEND as two BIGINT columns more (slots after q's
 * key, value and header columns: the aggregation's rows carry them, for the
 * re-grouping takes the window off the key), into *out (in a). Over a join,
 * they are the first source's, and the others' when qualified (B.WINDOWSTART:
 * the same window). Errors: SL_ERR_NOMEM. */
sl_err_t sl__sqls_window_scope(sl_arena_t *a, const query_t *q, const sl_sql_scope_t *in,
                               sl_sql_scope_t *out);

/** GROUP BY (session_agg.c): g holds the source layout and WHERE already;
 * join (NULL without one) the joins whose combined rows it reads instead of
 * src's records (src is then the FROM source). */
sl_err_t sl__sqls_compile_aggregate(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                    const sl_sql_datasource_t *src, const sl_sql_query_t *qa,
                                    gquery_t *g, const sl_sql_scope_t *scope,
                                    const join_input_t *join, char *errbuf, size_t errlen);

/** Analyzes the FROM … JOIN … of qa (first: the FROM source): checks, ON,
 * keys, formats. Errors: SL_ERR_INVAL / SL_ERR_UNSUPPORTED with ksqlDB's
 * message in errbuf, SL_ERR_NOMEM. */
sl_err_t sl__sqls_join_input(sl_sql_session_t *s, const sl_sql_datasource_t *first,
                             const sl_sql_query_t *qa, join_input_t *in, char *errbuf,
                             size_t errlen);

/** Builds the joins into the session's topology: *stream or *table (the
 * other NULL) gives the combined rows as values. */
sl_err_t sl__sqls_join_build(sl_sql_session_t *s, const join_input_t *in, sl_kstream_t **stream,
                             sl_ktable_t **table, char *errbuf, size_t errlen);

/** A source table with header columns (q: its layout, header slots after
 * the values), for steps that read its rows after the record that set them
 * (joins, an aggregation's subtraction): *table becomes one whose rows
 * carry the headers of their records as values (kept in a store named after
 * the query and what), and q is changed to read them so (the same slots).
 * Errors: SL_ERR_INVAL (errbuf), SL_ERR_NOMEM. */
sl_err_t sl__sqls_table_headers(sl_sql_session_t *s, const sl_sql_datasource_t *src, query_t *q,
                                const char *what, sl_ktable_t **table, char *errbuf,
                                size_t errlen);

/** A query with a JOIN (session_join.c). */
sl_err_t sl__sqls_compile_join(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                               const sl_sql_datasource_t *left, const sl_sql_query_t *qa,
                               char *errbuf, size_t errlen);

#endif
