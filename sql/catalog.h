/* catalog.h — what the SQL layer knows: the streams and tables (columns with
 * their roles, topic, formats, timestamp), custom types, and the DDL that
 * changes them (CREATE STREAM/TABLE, DROP, CREATE/DROP TYPE), checked with
 * ksqlDB's rules and messages. In memory; persistence (the SQLite catalog)
 * is the shell's (issue 7).
 *
 * Topics are reached through sl_sql_topics_t, so that the catalog works on
 * any log (the test runner's driver, the embedded broker, a cluster).
 *
 * Threads: a catalog is used by one thread at a time. */
#ifndef SL_SQL_CATALOG_H
#define SL_SQL_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/client.h>

#include "sql/ast.h"
#include "sql/format.h"
#include "sql/value.h"

typedef struct sl_sql_catalog sl_sql_catalog_t;

/** The topics a catalog may look at, create and delete. */
typedef struct sl_sql_topics {
    /** The partition count of topic, or -1 when it does not exist. */
    int32_t (*partitions)(void *opaque, const char *topic);
    /** Creates topic; retention_ms >= 0 sets its retention.ms. Errors: any;
     * errbuf says why. */
    sl_err_t (*create)(void *opaque, const char *topic, int32_t partitions, int16_t replicas,
                       int64_t retention_ms, char *errbuf, size_t errlen);
    /** Deletes topic. */
    sl_err_t (*remove)(void *opaque, const char *topic);
    void *opaque;
} sl_sql_topics_t;

typedef enum sl_sql_col_role {
    SL_SQL_ROLE_VALUE,
    SL_SQL_ROLE_KEY,    /* a stream's KEY or a table's PRIMARY KEY */
    SL_SQL_ROLE_HEADERS, /* all the headers: ARRAY<STRUCT<KEY STRING, VALUE BYTES>> */
    SL_SQL_ROLE_HEADER,  /* one header's value (BYTES): header_key */
    SL_SQL_ROLE_PSEUDO   /* never in the catalog: a join side's ROWTIME, ROWPARTITION or
                          * ROWOFFSET (its name), carried as a column (session_join.c) */
} sl_sql_col_role_t;

/** A column of a stream or table. */
typedef struct sl_sql_datasource_col {
    const char *name;
    const sl_sql_type_t *type;
    sl_sql_col_role_t role;
    const char *header_key; /* SL_SQL_ROLE_HEADER */
} sl_sql_datasource_col_t;

/** A stream or a table. Everything it points to belongs to the catalog and
 * lives until the source is dropped or replaced. */
typedef struct sl_sql_datasource {
    const char *name;
    int table;      /* 0: a stream */
    int read_only;  /* CREATE SOURCE: no INSERT, no persistent query writes it */
    const sl_sql_datasource_col_t *cols; /* in declaration order */
    size_t ncols;
    sl_sql_schema_t key_schema;   /* the KEY/PRIMARY KEY columns, in order */
    sl_sql_schema_t value_schema; /* the value columns, in order */
    const char *topic;
    int32_t partitions;
    sl_sql_format_t key_format, value_format;
    const char *timestamp;        /* TIMESTAMP column, or NULL (the record's time) */
    const char *timestamp_format; /* TIMESTAMP_FORMAT, or NULL */
    const char *sql;              /* the statement text that made it */
    int window;                   /* a windowed table: 0 no, 1 time windows, 2 session windows;
                                   * its keys are the key columns then the window (Kafka
                                   * Streams' windowed key layouts) */
    int64_t window_size;          /* time windows: their size (ms) */
    int window_hopping;           /* time windows: HOPPING ones (else TUMBLING), for joins'
                                   * checks and messages */
} sl_sql_datasource_t;

/** Topics through a client of the embedded broker or a cluster
 * (<sluice/client.h>); client must outlive the catalog. */
sl_sql_topics_t sl_sql_topics_of_client(sl_client_t *client);

/** A new, empty catalog; NULL when memory runs out. topics (copied) may be
 * NULL: then no topic is checked, created or deleted (CREATE needs
 * KAFKA_TOPIC and takes PARTITIONS as given, or 1). */
sl_sql_catalog_t *sl_sql_catalog_new(const sl_sql_topics_t *topics);

/** Frees the catalog and every source and type in it. NULL is a no-op. */
void sl_sql_catalog_destroy(sl_sql_catalog_t *c);

/** The stream or table named name (as stored: upper case unless quoted), or
 * NULL. Valid until it is dropped or replaced. */
const sl_sql_datasource_t *sl_sql_catalog_find(const sl_sql_catalog_t *c, const char *name);

/** Calls fn for each source in creation order until fn returns non-zero. */
void sl_sql_catalog_foreach(const sl_sql_catalog_t *c,
                            int (*fn)(void *arg, const sl_sql_datasource_t *s), void *arg);

/** Calls fn for each custom type (CREATE TYPE) in creation order until fn
 * returns non-zero. */
void sl_sql_catalog_foreach_type(const sl_sql_catalog_t *c,
                                 int (*fn)(void *arg, const char *name, const sl_sql_type_t *t),
                                 void *arg);

/** The custom type named name (CREATE TYPE), or NULL. */
const sl_sql_type_t *sl_sql_catalog_type(const sl_sql_catalog_t *c, const char *name);

/** Resolves a type as written (custom names looked up) into a type
 * allocated from al. Errors: SL_ERR_INVAL ("Unknown type: FOO", a bad DECIMAL,
 * a MAP key that is not a primitive), SL_ERR_NOMEM; errbuf says why, with the
 * line and column. */
sl_err_t sl_sql_catalog_resolve_type(const sl_sql_catalog_t *c, const sl_sql_ast_type_t *t,
                                     const sl_sql_alloc_t *al, const sl_sql_type_t **out,
                                     char *errbuf, size_t errlen);

/** May old be replaced by made (OR REPLACE)? ksqlDB's DataSource.canUpgradeTo
 * (catalog_upgrade.c): the same topic and formats (window, delimiter and
 * wrapping included), TIMESTAMP column and key columns (in their order when
 * keys_in_order), and every value column of old in made with its name, type
 * and position (new ones may follow). Errors: SL_ERR_INVAL with ksqlDB's
 * message ("Cannot upgrade data source: DataSource '`S`' has schema = … which
 * is not upgradeable to … (The following columns are changed or missing:
 * [`B` STRING])"). */
sl_err_t sl_sql_catalog_upgrade_check(const sl_sql_datasource_t *old,
                                      const sl_sql_datasource_t *made, int keys_in_order,
                                      char *errbuf, size_t errlen);

/** Adds a stream or table made by a query (CREATE … AS SELECT): a deep copy
 * of *src (columns, schemas, formats, names, topic, timestamp column), with
 * key_schema and value_schema made from the columns' roles. The topic must exist or be made
 * by the caller. Errors: SL_ERR_EXISTS ("Cannot add stream 'X': A stream
 * with the same name already exists") unless or_replace, SL_ERR_INVAL when
 * it replaces a source it cannot upgrade (sl_sql_catalog_upgrade_check: an
 * OR REPLACE is checked so whether queries use the source or not, as
 * ksqlDB's metastore does), SL_ERR_NOMEM. */
sl_err_t sl_sql_catalog_add(sl_sql_catalog_t *c, const sl_sql_datasource_t *src, int or_replace,
                            char *errbuf, size_t errlen);

/** The partition count of topic through the catalog's topics (-1: missing or
 * no topics), and creating one (SL_OK when there are no topics to make). */
int32_t sl_sql_catalog_topic_partitions(const sl_sql_catalog_t *c, const char *topic);

/** The WITH clause of a CREATE statement checked as CREATE STREAM|TABLE
 * checks it (unknown properties, value types, FORMAT with KEY_FORMAT …):
 * SL_OK with its PARTITIONS and RETENTION_MS (-1 when absent), or
 * SL_ERR_INVAL with the reason in errbuf. */
sl_err_t sl_sql_catalog_with_check(const sl_sql_stmt_t *stmt, int32_t *partitions,
                                   int64_t *retention_ms, char *errbuf, size_t errlen);
sl_err_t sl_sql_catalog_topic_create(sl_sql_catalog_t *c, const char *topic, int32_t partitions,
                                     int64_t retention_ms, char *errbuf, size_t errlen);

/** Runs a DDL statement: CREATE [OR REPLACE] [SOURCE] STREAM|TABLE with
 * columns (SL_SQL_STMT_CREATE_SOURCE), DROP STREAM|TABLE, CREATE TYPE, DROP
 * TYPE. On success *message (may be NULL) gets ksqlDB's answer ("Stream
 * created", "Table dropped.", "Type created") — static text. Errors:
 * SL_ERR_INVAL (the statement breaks a rule: errbuf says which, in ksqlDB's
 * words where it has them), SL_ERR_EXISTS (the name is taken), SL_ERR_UNSUPPORTED
 * (not a DDL statement this function runs), SL_ERR_IO (a topic could not be
 * made), SL_ERR_NOMEM. */
sl_err_t sl_sql_catalog_apply(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt,
                              const char **message, char *errbuf, size_t errlen);

#endif
