/* test_catalog.c — DDL against the catalog: CREATE STREAM/TABLE with its
 * checks and ksqlDB's messages, topics made on an embedded broker, DROP, and
 * custom types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/broker.h>
#include <sluice/client.h>

#include "common/trace.h"
#include "sql/catalog.h"
#include "sql/sql_parse.h"
#include "testutil.h"

typedef struct fx {
    char *dir;
    sl_embedded_broker_t *eb;
    sl_client_t *client;
    sl_sql_catalog_t *cat;
    sl_arena_t arena;
    char err[2048];
    const char *msg;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    f->dir = sl_test_mkdtemp();
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    char err[256];
    if (sl_embedded_broker_start(f->dir, "127.0.0.1:0", &f->eb, err, sizeof err) ||
        sl_client_new(NULL, f->eb, &f->client, err, sizeof err))
        fail_msg("broker: %s", err);
    sl_sql_topics_t topics = sl_sql_topics_of_client(f->client);
    f->cat = sl_sql_catalog_new(&topics);
    assert_non_null(f->cat);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    sl_sql_catalog_destroy(f->cat);
    sl_client_destroy(f->client);
    sl_embedded_broker_stop(f->eb);
    sl_arena_free(&f->arena);
    sl_test_rmdir(f->dir);
    free(f);
    return 0;
}

/* Runs one statement: its error code, the message or error in f. */
static sl_err_t run(fx_t *f, const char *sql)
{
    sl_sql_stmt_list_t *list;
    sl_sql_error_t perr;
    if (sl_sql_parse(sql, &f->arena, &list, &perr) != SL_OK) {
        char *m = sl_sql_error_format(&perr, sql);
        fail_msg("parse: %s", m);
    }
    assert_int_equal(list->n, 1);
    f->err[0] = 0;
    return sl_sql_catalog_apply(f->cat, list->items[0], &f->msg, f->err, sizeof f->err);
}

static void expect_error(fx_t *f, const char *sql, const char *part)
{
    sl_err_t e = run(f, sql);
    if (e == SL_OK)
        fail_msg("'%s' should fail with '%s'", sql, part);
    if (!strstr(f->err, part))
        fail_msg("'%s': got '%s', want '%s'", sql, f->err, part);
}

static void test_create_stream(void **state)
{
    fx_t *f = *state;
    assert_int_equal(run(f, "CREATE STREAM pageviews (user VARCHAR KEY, page STRING, "
                            "viewtime BIGINT) WITH (KAFKA_TOPIC='pageviews', "
                            "VALUE_FORMAT='JSON', PARTITIONS=3, TIMESTAMP='viewtime');"),
                     SL_OK);
    assert_string_equal(f->msg, "Stream created");
    const sl_sql_datasource_t *s = sl_sql_catalog_find(f->cat, "PAGEVIEWS");
    assert_non_null(s);
    assert_false(s->table);
    assert_int_equal(s->ncols, 3);
    assert_int_equal(s->key_schema.ncols, 1);
    assert_string_equal(s->key_schema.cols[0].name, "USER");
    assert_int_equal(s->value_schema.ncols, 2);
    assert_string_equal(s->value_schema.cols[1].name, "VIEWTIME");
    assert_int_equal(s->key_format.kind, SL_SQL_FORMAT_KAFKA);
    assert_int_equal(s->value_format.kind, SL_SQL_FORMAT_JSON);
    assert_string_equal(s->timestamp, "VIEWTIME");
    assert_string_equal(s->topic, "pageviews");
    assert_int_equal(s->partitions, 3);
    /* The topic was made on the broker. */
    int32_t n;
    assert_int_equal(sl_client_partitions(f->client, "pageviews", &n), SL_OK);
    assert_int_equal(n, 3);

    /* Same name again; IF NOT EXISTS; OR REPLACE. */
    expect_error(f, "CREATE STREAM pageviews (a INT) WITH (KAFKA_TOPIC='pageviews', "
                    "VALUE_FORMAT='JSON');",
                 "Cannot add stream 'PAGEVIEWS': A stream with the same name already exists");
    assert_int_equal(run(f, "CREATE STREAM IF NOT EXISTS pageviews (a INT) WITH "
                            "(KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON');"),
                     SL_OK);
    assert_int_equal(sl_sql_catalog_find(f->cat, "PAGEVIEWS")->ncols, 3);
    /* OR REPLACE: checked as ksqlDB's metastore checks it (canUpgradeTo),
     * whether queries read the stream or not: other columns, formats or
     * TIMESTAMP are refused, and nothing changes; value columns may follow. */
    expect_error(f, "CREATE OR REPLACE STREAM pageviews (a INT, b STRING) WITH "
                    "(KAFKA_TOPIC='pageviews', VALUE_FORMAT='DELIMITED', "
                    "VALUE_DELIMITER='|');",
                 "Cannot upgrade data source: DataSource '`PAGEVIEWS`' has topic = pageviews "
                 "(KEY_FORMAT KAFKA, VALUE_FORMAT JSON) which is not upgradeable to pageviews "
                 "(KEY_FORMAT NONE, VALUE_FORMAT DELIMITED, VALUE_DELIMITER '|')\n\tAND "
                 "DataSource '`PAGEVIEWS`' has timestampColumn = VIEWTIME which is not "
                 "upgradeable to none\n\tAND DataSource '`PAGEVIEWS`' has schema = `USER` "
                 "STRING KEY, `PAGE` STRING, `VIEWTIME` BIGINT which is not upgradeable to `A` "
                 "INTEGER, `B` STRING. (Key columns must be identical.)");
    assert_int_equal(sl_sql_catalog_find(f->cat, "PAGEVIEWS")->ncols, 3);
    expect_error(f, "CREATE OR REPLACE STREAM pageviews (user VARCHAR KEY, viewtime BIGINT, "
                    "page STRING) WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', "
                    "TIMESTAMP='viewtime');",
                 "(The following columns are changed or missing: [`PAGE` STRING, `VIEWTIME` "
                 "BIGINT])");
    assert_int_equal(run(f, "CREATE OR REPLACE STREAM pageviews (user VARCHAR KEY, page STRING, "
                            "viewtime BIGINT, referrer STRING) WITH (KAFKA_TOPIC='pageviews', "
                            "VALUE_FORMAT='JSON', TIMESTAMP='viewtime');"),
                     SL_OK);
    s = sl_sql_catalog_find(f->cat, "PAGEVIEWS");
    assert_int_equal(s->ncols, 4);
    assert_string_equal(s->value_schema.cols[2].name, "REFERRER");
    /* An existing topic with another partition count. */
    expect_error(f, "CREATE STREAM other (a INT) WITH (KAFKA_TOPIC='pageviews', "
                    "VALUE_FORMAT='JSON', PARTITIONS=5);",
                 "already exists, with different partition/replica configuration");
}

static void test_create_table_and_checks(void **state)
{
    fx_t *f = *state;
    assert_int_equal(run(f, "CREATE TABLE users (id BIGINT PRIMARY KEY, name STRING, "
                            "address STRUCT<street STRING, zip INT>, tags ARRAY<STRING>, "
                            "attrs MAP<STRING, DOUBLE>, balance DECIMAL(10, 2)) WITH "
                            "(KAFKA_TOPIC='users', FORMAT='JSON', PARTITIONS=2);"),
                     SL_OK);
    assert_string_equal(f->msg, "Table created");
    const sl_sql_datasource_t *t = sl_sql_catalog_find(f->cat, "USERS");
    assert_true(t->table);
    assert_int_equal(t->key_format.kind, SL_SQL_FORMAT_JSON);
    assert_int_equal(t->cols[2].type->base, SL_SQL_STRUCT);
    assert_int_equal(t->cols[5].type->precision, 10);

    expect_error(f, "CREATE TABLE t1 (id INT, v STRING) WITH (KAFKA_TOPIC='t1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
    expect_error(f, "CREATE TABLE t1 (id INT KEY) WITH (KAFKA_TOPIC='t1', VALUE_FORMAT='JSON', "
                    "PARTITIONS=1);",
                 "please use 'PRIMARY KEY' for tables");
    expect_error(f, "CREATE STREAM s1 (id INT PRIMARY KEY) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "please use 'KEY' for streams");
    expect_error(f, "CREATE STREAM s1 (a INT) WITH (VALUE_FORMAT='JSON');",
                 "Missing required property \"KAFKA_TOPIC\"");
    expect_error(f, "CREATE STREAM s1 (a INT) WITH (KAFKA_TOPIC='s1');",
                 "missing the 'VALUE_FORMAT' property");
    expect_error(f, "CREATE STREAM s1 (a INT) WITH (KAFKA_TOPIC='s1', VALUE_FORMAT='JSON');",
                 "Topic 's1' does not exist. If you want to create a new topic for the stream "
                 "please re-run the statement providing the required 'PARTITIONS'");
    expect_error(f, "CREATE STREAM s1 (a INT) WITH (KAFKA_TOPIC='s1', VALUE_FORMAT='JSON', "
                    "PARTITIONS=1, COLOUR='blue', SIZE=3);",
                 "Invalid config variable(s) in the WITH clause: COLOUR, SIZE");
    expect_error(f, "CREATE STREAM s1 (a INT) WITH (KAFKA_TOPIC='s1', FORMAT='JSON', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "Cannot supply both 'VALUE_FORMAT' and 'FORMAT'");
    expect_error(f, "CREATE STREAM s1 (rowtime BIGINT) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "'ROWTIME' is a reserved column name.");
    expect_error(f, "CREATE STREAM s1 (a INT, A STRING) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "Duplicate column names: A");
    expect_error(f, "CREATE STREAM s1 (a INT, b STRING) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='KAFKA', PARTITIONS=1);",
                 "KAFKA");
    expect_error(f, "CREATE STREAM s1 (a INT, b STRING) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='nope');",
                 "does not exist in the schema: 'NOPE'");
    expect_error(f, "CREATE STREAM s1 (a INT, b STRING) WITH (KAFKA_TOPIC='s1', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='b');",
                 "should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format");
    assert_int_equal(run(f, "CREATE STREAM s1 (a INT, b STRING) WITH (KAFKA_TOPIC='s1', "
                            "VALUE_FORMAT='JSON', PARTITIONS=1, TIMESTAMP='b', "
                            "TIMESTAMP_FORMAT='yyyy-MM-dd');"),
                     SL_OK);
    expect_error(f, "CREATE STREAM s2 (x nosuchtype) WITH (KAFKA_TOPIC='s2', VALUE_FORMAT='JSON', "
                    "PARTITIONS=1);",
                 "Unknown type: NOSUCHTYPE");
    expect_error(f, "CREATE STREAM s2 (h BYTES HEADERS) WITH (KAFKA_TOPIC='s2', "
                    "VALUE_FORMAT='JSON', PARTITIONS=1);",
                 "Invalid type for HEADERS column");
    assert_int_equal(run(f, "CREATE STREAM s2 (v INT, h BYTES HEADER('trace')) WITH "
                            "(KAFKA_TOPIC='s2', VALUE_FORMAT='JSON', PARTITIONS=1);"),
                     SL_OK);
    const sl_sql_datasource_t *s2 = sl_sql_catalog_find(f->cat, "S2");
    assert_int_equal(s2->cols[1].role, SL_SQL_ROLE_HEADER);
    assert_string_equal(s2->cols[1].header_key, "trace");
    assert_int_equal(s2->value_schema.ncols, 1);
}

static void test_types_and_drop(void **state)
{
    fx_t *f = *state;
    assert_int_equal(run(f, "CREATE TYPE address AS STRUCT<street STRING, city STRING>;"), SL_OK);
    expect_error(f, "CREATE TYPE address AS INT;", "already registered");
    assert_int_equal(run(f, "CREATE TYPE IF NOT EXISTS address AS INT;"), SL_OK);
    assert_int_equal(run(f, "CREATE STREAM people (name STRING, home ADDRESS) WITH "
                            "(KAFKA_TOPIC='people', VALUE_FORMAT='JSON', PARTITIONS=1);"),
                     SL_OK);
    const sl_sql_datasource_t *p = sl_sql_catalog_find(f->cat, "PEOPLE");
    assert_int_equal(p->cols[1].type->base, SL_SQL_STRUCT);
    assert_int_equal(p->cols[1].type->nfields, 2);
    /* The stream keeps its own copy of the type. */
    assert_int_equal(run(f, "DROP TYPE address;"), SL_OK);
    assert_null(sl_sql_catalog_type(f->cat, "ADDRESS"));
    assert_int_equal(sl_sql_catalog_find(f->cat, "PEOPLE")->cols[1].type->nfields, 2);
    expect_error(f, "DROP TYPE address;", "Type ADDRESS does not exist.");

    expect_error(f, "DROP TABLE people;",
                 "Incompatible data source type is STREAM, but statement was DROP TABLE");
    expect_error(f, "DROP STREAM nobody;", "Source NOBODY does not exist.");
    assert_int_equal(run(f, "DROP STREAM IF EXISTS nobody;"), SL_OK);
    assert_int_equal(run(f, "DROP STREAM people DELETE TOPIC;"), SL_OK);
    assert_string_equal(f->msg, "Stream dropped.");
    assert_null(sl_sql_catalog_find(f->cat, "PEOPLE"));
    int32_t n;
    assert_int_equal(sl_client_partitions(f->client, "people", &n), SL_ERR_UNKNOWN_TOPIC);
    /* A source stream cannot delete its topic. */
    assert_int_equal(run(f, "CREATE SOURCE STREAM ro (a INT) WITH (KAFKA_TOPIC='people2', "
                            "VALUE_FORMAT='JSON', PARTITIONS=1);"),
                     SL_ERR_INVAL);
    assert_int_equal(sl_client_create_topic(f->client, "people2", 1, NULL, 0), SL_OK);
    assert_int_equal(run(f, "CREATE SOURCE STREAM ro (a INT) WITH (KAFKA_TOPIC='people2', "
                            "VALUE_FORMAT='JSON');"),
                     SL_OK);
    assert_true(sl_sql_catalog_find(f->cat, "RO")->read_only);
    expect_error(f, "DROP STREAM ro DELETE TOPIC;", "read-only");
    assert_int_equal(run(f, "SELECT * FROM ro;"), SL_ERR_UNSUPPORTED);
}

SL_TEST_GROUP(catalog, cmocka_unit_test_setup_teardown(test_create_stream, setup, teardown),
              cmocka_unit_test_setup_teardown(test_create_table_and_checks, setup, teardown),
              cmocka_unit_test_setup_teardown(test_types_and_drop, setup, teardown))
