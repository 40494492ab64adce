/* test_parse.c — the SQL front end: every statement and expression form,
 * precedence, names and quoting, comments, variables, positions, the printers'
 * round trip, nesting limits and errors with their exact line:column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sql/sql_parse.h"

size_t sl__sql_keywords_check(void);

static sl_arena_t arena = SL_ARENA_INIT;

/* Parses text, failing the test with the formatted error when it does not parse. */
static sl_sql_stmt_list_t *parse_ok(const char *text)
{
    sl_sql_stmt_list_t *l = NULL;
    sl_sql_error_t err;
    sl_err_t e = sl_sql_parse(text, &arena, &l, &err);
    if (e) {
        char *m = sl_sql_error_format(&err, text);
        fail_msg("%s\n%s", text, m ? m : err.message);
    }
    assert_non_null(l);
    return l;
}

static sl_sql_stmt_t *one(const char *text)
{
    sl_sql_stmt_list_t *l = parse_ok(text);
    assert_int_equal(l->n, 1);
    return l->items[0];
}

static sl_sql_query_t *query(const char *text)
{
    sl_sql_stmt_t *s = one(text);
    assert_int_equal(s->kind, SL_SQL_STMT_SELECT);
    return s->query;
}

/* The first select item of "SELECT <expr> FROM t". */
static sl_sql_expr_t *expr(const char *e)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "SELECT %s FROM t", e);
    sl_sql_query_t *q = query(buf);
    assert_int_equal(q->items[0]->kind, SL_SQL_SELECT_EXPR);
    return q->items[0]->expr;
}

/* Prints all statements, "; "-separated, into a static buffer. */
static const char *print_list(const sl_sql_stmt_list_t *l)
{
    static char out[8192];
    sl_buf_t b = SL_BUF_INIT;
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            assert_int_equal(sl_buf_append(&b, "; ", 2), SL_OK);
        assert_int_equal(sl_sql_stmt_print(l->items[i], &b), SL_OK);
    }
    assert_int_equal(sl_buf_put_u8(&b, 0), SL_OK);
    assert_true(b.len <= sizeof out);
    memcpy(out, b.data, b.len);
    sl_buf_free(&b);
    return out;
}

/* text prints as want, and want parses and prints as itself. */
static void round_trip(const char *text, const char *want)
{
    const char *got = print_list(parse_ok(text));
    if (strcmp(got, want) != 0)
        fail_msg("input: %s\n  got: %s\n want: %s", text, got, want);
    char again[8192];
    strcpy(again, got);
    const char *got2 = print_list(parse_ok(again));
    if (strcmp(got2, want) != 0)
        fail_msg("reprint of: %s\n  got: %s", want, got2);
}

/* An S-expression of e's shape for precedence checks. */
static void sexpr_into(const sl_sql_expr_t *e, sl_buf_t *b)
{
    if (e->kind == SL_SQL_EXPR_BINARY || e->kind == SL_SQL_EXPR_UNARY) {
        sl_buf_append(b, "(", 1);
        const char *op = sl_sql_op_str(e->op.op);
        if (e->kind == SL_SQL_EXPR_UNARY && e->op.op == SL_SQL_OP_NEG)
            op = "neg";
        sl_buf_append(b, op, strlen(op));
        sl_buf_append(b, " ", 1);
        sexpr_into(e->op.a, b);
        if (e->kind == SL_SQL_EXPR_BINARY)
            sl_buf_append(b, " ", 1), sexpr_into(e->op.b, b);
        sl_buf_append(b, ")", 1);
    } else if (e->kind == SL_SQL_EXPR_BETWEEN) {
        sl_buf_append(b, "(between ", 9);
        sexpr_into(e->between.a, b), sl_buf_append(b, " ", 1);
        sexpr_into(e->between.lo, b), sl_buf_append(b, " ", 1);
        sexpr_into(e->between.hi, b), sl_buf_append(b, ")", 1);
    } else if (e->kind == SL_SQL_EXPR_IS_NULL) {
        sl_buf_append(b, "(isnull ", 8), sexpr_into(e->op.a, b), sl_buf_append(b, ")", 1);
    } else if (e->kind == SL_SQL_EXPR_DEREF) {
        sl_buf_append(b, "(-> ", 4), sexpr_into(e->deref.a, b);
        sl_buf_append(b, " ", 1), sl_buf_append(b, e->deref.field.s, strlen(e->deref.field.s));
        sl_buf_append(b, ")", 1);
    } else if (e->kind == SL_SQL_EXPR_SUBSCRIPT) {
        sl_buf_append(b, "([] ", 4), sexpr_into(e->op.a, b), sl_buf_append(b, " ", 1);
        sexpr_into(e->op.b, b), sl_buf_append(b, ")", 1);
    } else {
        sl_sql_expr_print(e, b);
    }
}

static void shape(const char *text, const char *want)
{
    sl_buf_t b = SL_BUF_INIT;
    sexpr_into(expr(text), &b);
    sl_buf_put_u8(&b, 0);
    if (strcmp((const char *)b.data, want) != 0)
        fail_msg("%s\n  got: %s\n want: %s", text, (const char *)b.data, want);
    sl_buf_free(&b);
}

/* text fails at line:col with a message starting with msg. */
static void parse_err(const char *text, unsigned line, unsigned col, const char *msg)
{
    sl_sql_stmt_list_t *l = (void *)1;
    sl_sql_error_t err;
    sl_err_t e = sl_sql_parse(text, &arena, &l, &err);
    if (e != SL_ERR_INVAL)
        fail_msg("parsed, but should fail: %s", text);
    assert_null(l);
    if (err.line != line || err.col != col || strncmp(err.message, msg, strlen(msg)) != 0)
        fail_msg("%s\n  got: line %u:%u: %s\n want: line %u:%u: %s...", text, err.line, err.col, err.message, line,
                 col, msg);
}

static int reset(void **state)
{
    (void)state;
    sl_arena_reset(&arena);
    return 0;
}

/* ---- statements ------------------------------------------------------------------------- */

static void test_keywords_sorted(void **state)
{
    (void)state;
    assert_int_equal(sl__sql_keywords_check(), 0);
}

static void test_create_stream(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("CREATE STREAM pageviews (viewtime BIGINT KEY, `userId` VARCHAR, pageid STRING) "
                           "WITH (kafka_topic='pageviews', value_format='JSON', partitions=4, 'replicas'=1);");
    assert_int_equal(s->kind, SL_SQL_STMT_CREATE_SOURCE);
    assert_false(s->create.table);
    assert_false(s->create.or_replace);
    assert_string_equal(s->create.name.s, "PAGEVIEWS");
    assert_int_equal(s->create.ncolumns, 3);
    assert_string_equal(s->create.columns[0]->name.s, "VIEWTIME");
    assert_int_equal(s->create.columns[0]->type->kind, SL_SQL_TYPE_BIGINT);
    assert_int_equal(s->create.columns[0]->role, SL_SQL_COL_KEY);
    assert_string_equal(s->create.columns[1]->name.s, "userId");
    assert_int_equal(s->create.columns[1]->type->kind, SL_SQL_TYPE_STRING);
    assert_int_equal(s->create.nprops, 4);
    assert_string_equal(s->create.props[0]->name.s, "KAFKA_TOPIC");
    assert_int_equal(s->create.props[0]->value->kind, SL_SQL_EXPR_STRING);
    assert_string_equal(s->create.props[0]->value->str.s, "pageviews");
    assert_int_equal(s->create.props[2]->value->kind, SL_SQL_EXPR_INT);
    assert_int_equal(s->create.props[2]->value->i, 4);
    assert_true(s->create.props[3]->quoted);
    assert_string_equal(s->create.props[3]->name.s, "replicas");
}

static void test_create_table_variants(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("create or replace source table if not exists users (id STRING PRIMARY KEY, h BYTES "
                           "HEADERS, k BYTES HEADER('trace-id'), n INT) with (kafka_topic='u', format='JSON')");
    assert_int_equal(s->kind, SL_SQL_STMT_CREATE_SOURCE);
    assert_true(s->create.table && s->create.or_replace && s->create.source && s->create.if_not_exists);
    assert_int_equal(s->create.columns[0]->role, SL_SQL_COL_PRIMARY_KEY);
    assert_int_equal(s->create.columns[1]->role, SL_SQL_COL_HEADERS);
    assert_int_equal(s->create.columns[2]->role, SL_SQL_COL_HEADER);
    assert_string_equal(s->create.columns[2]->header_key, "trace-id");
    assert_int_equal(s->create.columns[3]->role, SL_SQL_COL_VALUE);
    /* No columns: the schema comes from the format. */
    s = one("CREATE TABLE t WITH (kafka_topic='t', value_format='AVRO')");
    assert_int_equal(s->create.ncolumns, 0);
    assert_int_equal(s->create.nprops, 2);
    s = one("CREATE STREAM s (a INT)");
    assert_int_equal(s->create.nprops, 0);
    round_trip("create or replace source table if not exists users (id STRING PRIMARY KEY, h BYTES HEADERS, "
               "k BYTES HEADER('trace-id')) with (kafka_topic='u', timestamp='ts', wrap_single_value=false, "
               "retention_ms=-1)",
               "CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS USERS (ID STRING PRIMARY KEY, H BYTES HEADERS, "
               "K BYTES HEADER('trace-id')) WITH (KAFKA_TOPIC='u', TIMESTAMP='ts', WRAP_SINGLE_VALUE=FALSE, "
               "RETENTION_MS=-1)");
}

static void test_create_as(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("CREATE STREAM big WITH (kafka_topic='big', partitions=2) AS SELECT * FROM s "
                           "WHERE amount > 50 EMIT CHANGES;");
    assert_int_equal(s->kind, SL_SQL_STMT_CREATE_AS);
    assert_false(s->create.table);
    assert_int_equal(s->create.nprops, 2);
    assert_non_null(s->create.query);
    assert_int_equal(s->create.query->emit, SL_SQL_EMIT_CHANGES);
    s = one("CREATE OR REPLACE TABLE IF NOT EXISTS counts AS SELECT user, COUNT(*) FROM s GROUP BY user");
    assert_int_equal(s->kind, SL_SQL_STMT_CREATE_AS);
    assert_true(s->create.table && s->create.or_replace && s->create.if_not_exists);
    assert_int_equal(s->create.query->ngroup_by, 1);
    round_trip("create table c as select user, count(*) as n from s group by user emit changes",
               "CREATE TABLE C AS SELECT USER, COUNT(*) AS N FROM S GROUP BY USER EMIT CHANGES");
    parse_err("CREATE SOURCE STREAM s AS SELECT * FROM t", 1, 1, "CREATE SOURCE STREAM cannot be used with AS SELECT");
}

static void test_insert(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("INSERT INTO s (id, name) VALUES (1, 'it''s');");
    assert_int_equal(s->kind, SL_SQL_STMT_INSERT_VALUES);
    assert_string_equal(s->insert.target.s, "S");
    assert_int_equal(s->insert.ncolumns, 2);
    assert_string_equal(s->insert.columns[1].s, "NAME");
    assert_int_equal(s->insert.nvalues, 2);
    assert_string_equal(s->insert.values[1]->str.s, "it's");
    s = one("INSERT INTO s VALUES (1, 2 + 3, ARRAY[1], NULL)");
    assert_int_equal(s->insert.ncolumns, 0);
    assert_int_equal(s->insert.nvalues, 4);
    s = one("INSERT INTO s VALUES ()");
    assert_int_equal(s->insert.nvalues, 0);
    s = one("INSERT INTO s SELECT * FROM t EMIT CHANGES");
    assert_int_equal(s->kind, SL_SQL_STMT_INSERT_SELECT);
    assert_non_null(s->insert.query);
    s = one("INSERT INTO s (a, b) WITH (query_id='q1') SELECT a, b FROM t");
    assert_int_equal(s->insert.ncolumns, 2);
    assert_int_equal(s->insert.nprops, 1);
    round_trip("insert into s (a,b) values (1,'x'); insert into s with (query_id='q') select * from t",
               "INSERT INTO S (A, B) VALUES (1, 'x'); INSERT INTO S WITH (QUERY_ID='q') SELECT * FROM T");
}

static void test_drop(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("DROP STREAM IF EXISTS s DELETE TOPIC");
    assert_int_equal(s->kind, SL_SQL_STMT_DROP_SOURCE);
    assert_true(s->drop.if_exists && s->drop.delete_topic && !s->drop.table);
    s = one("drop table t");
    assert_true(s->drop.table && !s->drop.if_exists && !s->drop.delete_topic);
    s = one("DROP TYPE IF EXISTS address");
    assert_int_equal(s->kind, SL_SQL_STMT_DROP_TYPE);
    assert_true(s->drop.if_exists);
    round_trip("drop stream if exists s delete topic; drop table t; drop type a",
               "DROP STREAM IF EXISTS S DELETE TOPIC; DROP TABLE T; DROP TYPE A");
}

static void test_create_type(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("CREATE TYPE address AS STRUCT<number INTEGER, street VARCHAR, city STRING>");
    assert_int_equal(s->kind, SL_SQL_STMT_CREATE_TYPE);
    assert_string_equal(s->create_type.name.s, "ADDRESS");
    assert_int_equal(s->create_type.type->kind, SL_SQL_TYPE_STRUCT);
    assert_int_equal(s->create_type.type->nfields, 3);
    assert_int_equal(s->create_type.type->fields[0]->type->kind, SL_SQL_TYPE_INT);
    s = one("CREATE TYPE IF NOT EXISTS money AS DECIMAL(10, 2)");
    assert_true(s->create_type.if_not_exists);
    round_trip("create type person as struct<name string, address address>",
               "CREATE TYPE PERSON AS STRUCT<NAME STRING, ADDRESS ADDRESS>");
}

static void test_variables_and_properties(void **state)
{
    (void)state;
    sl_sql_stmt_list_t *l = parse_ok("DEFINE format = 'JSON'; DEFINE topicName = '''my_topic'''; UNDEFINE format;"
                                     "SET 'auto.offset.reset' = 'earliest'; UNSET 'auto.offset.reset';");
    assert_int_equal(l->n, 5);
    assert_int_equal(l->items[0]->kind, SL_SQL_STMT_DEFINE);
    assert_string_equal(l->items[0]->define.name.s, "format");
    assert_string_equal(l->items[0]->define.value, "JSON");
    assert_string_equal(l->items[1]->define.value, "'my_topic'");
    assert_int_equal(l->items[2]->kind, SL_SQL_STMT_UNDEFINE);
    assert_null(l->items[2]->define.value);
    assert_int_equal(l->items[3]->kind, SL_SQL_STMT_SET);
    assert_string_equal(l->items[3]->set.name, "auto.offset.reset");
    assert_string_equal(l->items[3]->set.value, "earliest");
    assert_int_equal(l->items[4]->kind, SL_SQL_STMT_UNSET);
    round_trip("define key = 'x'; set 'a'='b'; unset 'a'; undefine key",
               "DEFINE key = 'x'; SET 'a' = 'b'; UNSET 'a'; UNDEFINE key");
    parse_err("DEFINE `x` = 'a'", 1, 8, "variable names cannot be quoted");
}

static void test_show_list(void **state)
{
    (void)state;
    static const struct { const char *text; sl_sql_show_what_t what; bool ext, all; } cases[] = {
        {"SHOW STREAMS", SL_SQL_SHOW_STREAMS, false, false},
        {"LIST STREAMS EXTENDED", SL_SQL_SHOW_STREAMS, true, false},
        {"show tables", SL_SQL_SHOW_TABLES, false, false},
        {"LIST QUERIES EXTENDED", SL_SQL_SHOW_QUERIES, true, false},
        {"SHOW TOPICS", SL_SQL_SHOW_TOPICS, false, false},
        {"SHOW ALL TOPICS EXTENDED", SL_SQL_SHOW_TOPICS, true, true},
        {"LIST FUNCTIONS", SL_SQL_SHOW_FUNCTIONS, false, false},
        {"SHOW TYPES", SL_SQL_SHOW_TYPES, false, false},
        {"SHOW PROPERTIES", SL_SQL_SHOW_PROPERTIES, false, false},
        {"LIST VARIABLES", SL_SQL_SHOW_VARIABLES, false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sl_sql_stmt_t *s = one(cases[i].text);
        assert_int_equal(s->kind, SL_SQL_STMT_SHOW);
        assert_int_equal(s->show.what, cases[i].what);
        assert_int_equal(s->show.extended, cases[i].ext);
        assert_int_equal(s->show.all, cases[i].all);
    }
    round_trip("list streams extended; show all topics", "SHOW STREAMS EXTENDED; SHOW ALL TOPICS");
}

static void test_describe(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("DESCRIBE pageviews");
    assert_int_equal(s->kind, SL_SQL_STMT_DESCRIBE);
    assert_string_equal(s->describe.name.s, "PAGEVIEWS");
    assert_false(s->describe.extended);
    s = one("DESCRIBE pageviews EXTENDED");
    assert_true(s->describe.extended);
    s = one("describe extended pageviews");
    assert_true(s->describe.extended);
    assert_string_equal(s->describe.name.s, "PAGEVIEWS");
    s = one("DESCRIBE STREAMS EXTENDED");
    assert_true(s->describe.streams && s->describe.extended);
    assert_null(s->describe.name.s);
    s = one("DESCRIBE TABLES");
    assert_true(s->describe.tables);
    s = one("DESCRIBE FUNCTION concat");
    assert_int_equal(s->kind, SL_SQL_STMT_DESCRIBE_FUNCTION);
    assert_string_equal(s->describe.name.s, "CONCAT");
    /* A source may be named like a non-reserved keyword. */
    s = one("DESCRIBE extended");
    assert_string_equal(s->describe.name.s, "EXTENDED");
    assert_false(s->describe.extended);
    round_trip("describe extended s; describe function f; describe streams",
               "DESCRIBE S EXTENDED; DESCRIBE FUNCTION F; DESCRIBE STREAMS");
}

static void test_explain(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("EXPLAIN CSAS_BIG_1");
    assert_int_equal(s->kind, SL_SQL_STMT_EXPLAIN);
    assert_string_equal(s->explain.query_id.s, "CSAS_BIG_1");
    assert_null(s->explain.stmt);
    s = one("EXPLAIN SELECT * FROM s EMIT CHANGES;");
    assert_non_null(s->explain.stmt);
    assert_int_equal(s->explain.stmt->kind, SL_SQL_STMT_SELECT);
    assert_int_equal(s->explain.stmt->text_len, strlen("SELECT * FROM s EMIT CHANGES"));
    s = one("EXPLAIN CREATE STREAM x AS SELECT * FROM s");
    assert_int_equal(s->explain.stmt->kind, SL_SQL_STMT_CREATE_AS);
    round_trip("explain q1; explain select * from s", "EXPLAIN Q1; EXPLAIN SELECT * FROM S");
}

static void test_print(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("PRINT 'my-topic' FROM BEGINNING INTERVAL 2 LIMIT 10");
    assert_int_equal(s->kind, SL_SQL_STMT_PRINT);
    assert_string_equal(s->print.topic.s, "my-topic");
    assert_true(s->print.quoted && s->print.from_beginning);
    assert_int_equal(s->print.interval, 2);
    assert_int_equal(s->print.limit, 10);
    s = one("print pageviews");
    assert_string_equal(s->print.topic.s, "PAGEVIEWS");
    assert_false(s->print.quoted || s->print.from_beginning);
    assert_int_equal(s->print.interval, -1);
    assert_int_equal(s->print.limit, -1);
    s = one("PRINT t LIMIT 3");
    assert_int_equal(s->print.limit, 3);
    round_trip("print 'T' from beginning limit 1; print t interval 5",
               "PRINT 'T' FROM BEGINNING LIMIT 1; PRINT T INTERVAL 5");
}

static void test_terminate_run_script(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("TERMINATE CTAS_COUNTS_3");
    assert_int_equal(s->kind, SL_SQL_STMT_TERMINATE);
    assert_false(s->terminate.all);
    assert_string_equal(s->terminate.query_id.s, "CTAS_COUNTS_3");
    s = one("TERMINATE ALL");
    assert_true(s->terminate.all);
    s = one("RUN SCRIPT '/tmp/setup.sql'");
    assert_int_equal(s->kind, SL_SQL_STMT_RUN_SCRIPT);
    assert_string_equal(s->run_script.path, "/tmp/setup.sql");
    round_trip("terminate all; terminate q; run script 'a''b.sql'",
               "TERMINATE ALL; TERMINATE Q; RUN SCRIPT 'a''b.sql'");
}

/* ---- queries ----------------------------------------------------------------------------------- */

static void test_select_items(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT *, s.*, a, b AS bee, c cee, st->*, 1 + 2 FROM src s");
    assert_int_equal(q->nitems, 7);
    assert_int_equal(q->items[0]->kind, SL_SQL_SELECT_STAR);
    assert_int_equal(q->items[1]->kind, SL_SQL_SELECT_SOURCE_STAR);
    assert_string_equal(q->items[1]->qualifier.s, "S");
    assert_null(q->items[2]->alias.s);
    assert_string_equal(q->items[3]->alias.s, "BEE");
    assert_string_equal(q->items[4]->alias.s, "CEE");
    assert_int_equal(q->items[5]->kind, SL_SQL_SELECT_STRUCT_STAR);
    assert_int_equal(q->items[5]->expr->kind, SL_SQL_EXPR_COLUMN);
    assert_string_equal(q->from.name.s, "SRC");
    assert_string_equal(q->from.alias.s, "S");
    assert_null(q->where);
    assert_int_equal(q->emit, SL_SQL_EMIT_NONE);
    assert_false(q->has_limit);
    q = query("SELECT a FROM src AS x");
    assert_string_equal(q->from.alias.s, "X");
    round_trip("select *, s.*, a, b bee, st->* from src s", "SELECT *, S.*, A, B AS BEE, ST->* FROM SRC S");
}

static void test_joins(void **state)
{
    (void)state;
    sl_sql_query_t *q = query(
        "SELECT * FROM a JOIN b WITHIN 10 SECONDS ON a.id = b.id "
        "INNER JOIN c ON a.id = c.id LEFT JOIN d WITHIN (1 MINUTE, 2 HOURS) GRACE PERIOD 5 SECONDS ON a.id = d.id "
        "LEFT OUTER JOIN e x ON a.id = x.id RIGHT JOIN f ON TRUE RIGHT OUTER JOIN g ON TRUE "
        "FULL JOIN h WITHIN 1 DAY GRACE PERIOD 1 HOUR ON TRUE FULL OUTER JOIN i WITHIN (3 MILLISECONDS) ON TRUE");
    assert_int_equal(q->njoins, 8);
    static const sl_sql_join_kind_t kinds[] = {SL_SQL_JOIN_INNER, SL_SQL_JOIN_INNER, SL_SQL_JOIN_LEFT,
                                               SL_SQL_JOIN_LEFT, SL_SQL_JOIN_RIGHT, SL_SQL_JOIN_RIGHT,
                                               SL_SQL_JOIN_FULL, SL_SQL_JOIN_FULL};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(q->joins[i]->kind, kinds[i]);
    sl_sql_join_t *j = q->joins[0];
    assert_true(j->before.set && !j->within_pair && !j->grace.set);
    assert_int_equal(sl_sql_duration_ms(&j->before), 10000);
    assert_int_equal(sl_sql_duration_ms(&j->after), 10000);
    assert_false(q->joins[1]->before.set);
    j = q->joins[2];
    assert_true(j->within_pair && j->grace.set);
    assert_int_equal(sl_sql_duration_ms(&j->before), 60000);
    assert_int_equal(sl_sql_duration_ms(&j->after), 7200000);
    assert_int_equal(sl_sql_duration_ms(&j->grace), 5000);
    assert_string_equal(q->joins[3]->source.alias.s, "X");
    assert_int_equal(q->joins[3]->on->kind, SL_SQL_EXPR_BINARY);
    assert_int_equal(sl_sql_duration_ms(&q->joins[6]->grace), 3600000);
    assert_int_equal(sl_sql_duration_ms(&q->joins[7]->before), 3);
    round_trip("select * from a left outer join b within (1 second, 2 seconds) grace period 1 second on a.k = b.k "
               "full join c within 1 hour on a.k = c.k join d on a.k = d.k",
               "SELECT * FROM A LEFT JOIN B WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 1 SECOND ON A.K = B.K "
               "FULL JOIN C WITHIN 1 HOUR ON A.K = C.K INNER JOIN D ON A.K = D.K");
}

static void test_windows(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT k, COUNT(*) FROM s WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY k");
    assert_int_equal(q->window->kind, SL_SQL_WINDOW_TUMBLING);
    assert_int_equal(sl_sql_duration_ms(&q->window->size), 3600000);
    assert_false(q->window->retention.set || q->window->grace.set);
    q = query("SELECT k FROM s WINDOW TUMBLING (SIZE 5 MINUTES, RETENTION 7 DAYS, GRACE PERIOD 30 SECONDS) GROUP BY k");
    assert_int_equal(sl_sql_duration_ms(&q->window->retention), 7 * 86400000LL);
    assert_int_equal(sl_sql_duration_ms(&q->window->grace), 30000);
    q = query("SELECT k FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY k");
    assert_int_equal(q->window->kind, SL_SQL_WINDOW_HOPPING);
    assert_int_equal(sl_sql_duration_ms(&q->window->advance), 10000);
    assert_true(q->window->grace.set);
    assert_int_equal(q->window->grace.value, 0);
    q = query("SELECT k FROM s WINDOW SESSION (60 SECONDS, RETENTION 1 DAY) GROUP BY k");
    assert_int_equal(q->window->kind, SL_SQL_WINDOW_SESSION);
    assert_int_equal(sl_sql_duration_ms(&q->window->size), 60000);
    assert_true(q->window->retention.set);
    q = query("SELECT k FROM s WINDOW TUMBLING (SIZE 100 MILLISECONDS) GROUP BY k");
    assert_int_equal(sl_sql_duration_ms(&q->window->size), 100);
    q = query("SELECT k FROM s WINDOW TUMBLING (SIZE 1 MILLISECOND) GROUP BY k");
    assert_int_equal(sl_sql_duration_ms(&q->window->size), 1);
    round_trip("select k from s window hopping (size 1 minute, advance by 1 seconds, retention 1 day, grace period 2 "
               "days) group by k",
               "SELECT K FROM S WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 1 SECOND, RETENTION 1 DAY, "
               "GRACE PERIOD 2 DAYS) GROUP BY K");
    round_trip("select k from s window session (5 minutes) group by k",
               "SELECT K FROM S WINDOW SESSION (5 MINUTES) GROUP BY K");
    parse_err("SELECT a FROM t WINDOW TUMBLING (SIZE 1 HOUR, GRACE PERIOD 1 SECOND, RETENTION 1 DAY)", 1, 80,
              "RETENTION must come before GRACE PERIOD");
    parse_err("SELECT a FROM t WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 1 DAY, RETENTION 1 DAY)", 1, 74,
              "duplicate RETENTION");
    parse_err("SELECT a FROM t WINDOW HOPPING (SIZE 1 HOUR)", 1, 44, "mismatched input ')' expecting ','");
    parse_err("SELECT a FROM t WINDOW TUMBLING (SIZE 1 WEEK)", 1, 41, "mismatched input 'WEEK' expecting {");
}

static void test_clauses(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT user, SUM(amount) FROM s WHERE amount > 50 GROUP BY user, region "
                              "HAVING SUM(amount) > 100 EMIT CHANGES LIMIT 10");
    assert_non_null(q->where);
    assert_int_equal(q->ngroup_by, 2);
    assert_non_null(q->having);
    assert_int_equal(q->emit, SL_SQL_EMIT_CHANGES);
    assert_true(q->has_limit);
    assert_int_equal(q->limit, 10);
    q = query("SELECT * FROM s PARTITION BY a, b->c EMIT FINAL");
    assert_int_equal(q->npartition_by, 2);
    assert_int_equal(q->emit, SL_SQL_EMIT_FINAL);
    round_trip("select a from s where x partition by a having b emit final limit 0",
               "SELECT A FROM S WHERE X PARTITION BY A HAVING B EMIT FINAL LIMIT 0");
}

/* ---- types and literals --------------------------------------------------------------------- */

static void test_types(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("CREATE STREAM s (a BOOLEAN, b INT, c INTEGER, d BIGINT, e DOUBLE, f DECIMAL(10, 2), "
                           "g STRING, h VARCHAR, i BYTES, j DATE, k TIME, l TIMESTAMP, m ARRAY<INT>, "
                           "n MAP<STRING, ARRAY<DOUBLE>>, o STRUCT<x INT, `Y` STRUCT<z BIGINT>>, p address, "
                           "q STRUCT<>, r struct< >, t ARRAY<ARRAY<INT>>)");
    static const sl_sql_ast_type_kind_t kinds[] = {
        SL_SQL_TYPE_BOOLEAN, SL_SQL_TYPE_INT, SL_SQL_TYPE_INT, SL_SQL_TYPE_BIGINT, SL_SQL_TYPE_DOUBLE,
        SL_SQL_TYPE_DECIMAL, SL_SQL_TYPE_STRING, SL_SQL_TYPE_STRING, SL_SQL_TYPE_BYTES, SL_SQL_TYPE_DATE,
        SL_SQL_TYPE_TIME, SL_SQL_TYPE_TIMESTAMP, SL_SQL_TYPE_ARRAY, SL_SQL_TYPE_MAP, SL_SQL_TYPE_STRUCT,
        SL_SQL_TYPE_CUSTOM, SL_SQL_TYPE_STRUCT, SL_SQL_TYPE_STRUCT, SL_SQL_TYPE_ARRAY};
    assert_int_equal(s->create.ncolumns, sizeof kinds / sizeof kinds[0]);
    for (size_t i = 0; i < s->create.ncolumns; i++)
        assert_int_equal(s->create.columns[i]->type->kind, kinds[i]);
    sl_sql_ast_type_t *f = s->create.columns[5]->type;
    assert_int_equal(f->precision, 10);
    assert_int_equal(f->scale, 2);
    sl_sql_ast_type_t *n = s->create.columns[13]->type;
    assert_int_equal(n->key->kind, SL_SQL_TYPE_STRING);
    assert_int_equal(n->elem->kind, SL_SQL_TYPE_ARRAY);
    assert_int_equal(n->elem->elem->kind, SL_SQL_TYPE_DOUBLE);
    sl_sql_ast_type_t *o = s->create.columns[14]->type;
    assert_int_equal(o->nfields, 2);
    assert_string_equal(o->fields[1]->name.s, "Y");
    assert_int_equal(o->fields[1]->type->fields[0]->type->kind, SL_SQL_TYPE_BIGINT);
    assert_int_equal(o->height, 3);
    assert_string_equal(s->create.columns[15]->type->name, "ADDRESS");
    assert_int_equal(s->create.columns[16]->type->nfields, 0);
    round_trip("create stream s (a varchar, b map<string,array<decimal(4,1)>>, c struct<>, d struct<`a b` int>)",
               "CREATE STREAM S (A STRING, B MAP<STRING, ARRAY<DECIMAL(4, 1)>>, C STRUCT<>, D STRUCT<`a b` INT>)");
    round_trip("select cast(x as array<int>), cast(y as my_type) from t",
               "SELECT CAST(X AS ARRAY<INT>), CAST(Y AS MY_TYPE) FROM T");
}

static void test_literals(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("2147483647");
    assert_int_equal(e->kind, SL_SQL_EXPR_INT);
    assert_int_equal(e->i, 2147483647);
    e = expr("2147483648");
    assert_int_equal(e->kind, SL_SQL_EXPR_BIGINT);
    e = expr("-2147483648");
    assert_int_equal(e->kind, SL_SQL_EXPR_INT);
    assert_int_equal(e->i, -2147483648LL);
    e = expr("-2147483649");
    assert_int_equal(e->kind, SL_SQL_EXPR_BIGINT);
    e = expr("9223372036854775807");
    assert_int_equal(e->kind, SL_SQL_EXPR_BIGINT);
    assert_int_equal(e->i, INT64_MAX);
    e = expr("1.50");
    assert_int_equal(e->kind, SL_SQL_EXPR_DECIMAL);
    assert_string_equal(e->num.text, "1.50");
    assert_int_equal(e->num.precision, 3);
    assert_int_equal(e->num.scale, 2);
    e = expr("0.05");
    assert_int_equal(e->num.precision, 2);
    assert_int_equal(e->num.scale, 2);
    e = expr(".5");
    assert_int_equal(e->kind, SL_SQL_EXPR_DECIMAL);
    assert_int_equal(e->num.scale, 1);
    e = expr("-12.5");
    assert_string_equal(e->num.text, "-12.5");
    e = expr("1e3");
    assert_int_equal(e->kind, SL_SQL_EXPR_DOUBLE);
    assert_true(e->num.d == 1000.0);
    e = expr("2.5E-1");
    assert_int_equal(e->kind, SL_SQL_EXPR_DOUBLE);
    assert_true(e->num.d == 0.25);
    e = expr("-1e3");
    assert_true(e->num.d == -1000.0);
    e = expr("'it''s'");
    assert_int_equal(e->kind, SL_SQL_EXPR_STRING);
    assert_string_equal(e->str.s, "it's");
    assert_int_equal(e->str.len, 4);
    e = expr("''");
    assert_int_equal(e->str.len, 0);
    assert_int_equal(expr("TRUE")->kind, SL_SQL_EXPR_BOOL);
    assert_true(expr("true")->b);
    assert_false(expr("False")->b);
    assert_int_equal(expr("null")->kind, SL_SQL_EXPR_NULL);
    e = expr("- -5");
    assert_int_equal(e->kind, SL_SQL_EXPR_INT);
    assert_int_equal(e->i, 5);
    e = expr("+5");
    assert_int_equal(e->kind, SL_SQL_EXPR_UNARY);
    round_trip("select 1, -2, 2147483648, 1.50, -.5, 1e3, 1.5e-3, 'a''b', true, null, - -1.5, +-1 from t",
               "SELECT 1, -2, 2147483648, 1.50, -.5, 1E3, 1.5E-3, 'a''b', TRUE, NULL, 1.5, + -1 FROM T");
    parse_err("SELECT 9223372036854775808 FROM t", 1, 8, "Invalid numeric literal: 9223372036854775808");
    parse_err("SELECT 1e999 FROM t", 1, 8, "Number overflows DOUBLE: 1e999");
}

static void test_constructors(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("ARRAY[1, 2, 3]");
    assert_int_equal(e->kind, SL_SQL_EXPR_ARRAY);
    assert_int_equal(e->list.n, 3);
    assert_int_equal(expr("ARRAY[]")->list.n, 0);
    e = expr("MAP('a' := 1, 'b' := 2)");
    assert_int_equal(e->kind, SL_SQL_EXPR_MAP);
    assert_int_equal(e->map.n, 2);
    assert_string_equal(e->map.keys[1]->str.s, "b");
    assert_int_equal(e->map.values[1]->i, 2);
    assert_int_equal(expr("MAP()")->map.n, 0);
    e = expr("STRUCT(name := 'x', `Age` := 3)");
    assert_int_equal(e->kind, SL_SQL_EXPR_STRUCT);
    assert_string_equal(e->struct_.names[0].s, "NAME");
    assert_string_equal(e->struct_.names[1].s, "Age");
    assert_int_equal(expr("STRUCT()")->struct_.n, 0);
    round_trip("select array[1,2], map('k':=array[1]), struct(a:=1, b:=map()), array[] from t",
               "SELECT ARRAY[1, 2], MAP('k' := ARRAY[1]), STRUCT(A := 1, B := MAP()), ARRAY[] FROM T");
}

/* ---- expressions ------------------------------------------------------------------------------------ */

static void test_operators(void **state)
{
    (void)state;
    shape("a + b", "(+ A B)");
    shape("a - b", "(- A B)");
    shape("a * b", "(* A B)");
    shape("a / b", "(/ A B)");
    shape("a % b", "(% A B)");
    shape("a || b", "(|| A B)");
    shape("-a", "(neg A)");
    shape("a = b", "(= A B)");
    shape("a <> b", "(<> A B)");
    shape("a != b", "(<> A B)");
    shape("a < b", "(< A B)");
    shape("a <= b", "(<= A B)");
    shape("a > b", "(> A B)");
    shape("a >= b", "(>= A B)");
    shape("a AND b", "(AND A B)");
    shape("a OR b", "(OR A B)");
    shape("NOT a", "(NOT A)");
    round_trip("select a+b-c*d/e%f||g from t", "SELECT A + B - C * D / E % F || G FROM T");
}

static void test_precedence(void **state)
{
    (void)state;
    shape("1 + 2 * 3", "(+ 1 (* 2 3))");
    shape("1 * 2 + 3", "(+ (* 1 2) 3)");
    shape("1 - 2 - 3", "(- (- 1 2) 3)");
    shape("1 - (2 - 3)", "(- 1 (- 2 3))");
    shape("a / b * c", "(* (/ A B) C)");
    shape("-a * b", "(* (neg A) B)");
    shape("-(a * b)", "(neg (* A B))");
    shape("a || b + c", "(|| A (+ B C))");
    shape("a + b || c", "(|| (+ A B) C)");
    shape("a + 1 = b * 2", "(= (+ A 1) (* B 2))");
    shape("a = 1 AND b = 2 OR c = 3", "(OR (AND (= A 1) (= B 2)) (= C 3))");
    shape("a OR b AND c", "(OR A (AND B C))");
    shape("(a OR b) AND c", "(AND (OR A B) C)");
    shape("NOT a AND b", "(AND (NOT A) B)");
    shape("NOT a = b", "(NOT (= A B))");
    shape("NOT NOT a", "(NOT (NOT A))");
    shape("a BETWEEN 1 AND 2 AND b", "(AND (between A 1 2) B)");
    shape("a BETWEEN b + 1 AND c * 2", "(between A (+ B 1) (* C 2))");
    shape("a + 1 IS NULL OR b", "(OR (isnull (+ A 1)) B)");
    shape("-a->b", "(neg (-> A B))");
    shape("a->b[1]->c", "(-> ([] (-> A B) 1) C)");
    shape("a[1][2]", "([] ([] A 1) 2)");
    shape("x[i + 1]", "([] X (+ I 1))");
    round_trip("select (a + b) * c, a - (b - c), (a = b) = c, -(a * b), (a OR b) AND NOT (c AND d), "
               "(a + b)->c, (-1)[1], NOT (a IS NULL) from t",
               "SELECT (A + B) * C, A - (B - C), (A = B) = C, -(A * B), (A OR B) AND NOT (C AND D), "
               "(A + B)->C, (-1)[1], NOT A IS NULL FROM T");
    parse_err("SELECT a = b = c FROM t", 1, 14, "mismatched input '='");
}

static void test_predicates(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("a BETWEEN 1 AND 10");
    assert_int_equal(e->kind, SL_SQL_EXPR_BETWEEN);
    assert_false(e->negated);
    e = expr("a NOT BETWEEN 1 AND 10");
    assert_true(e->negated);
    e = expr("a IN (1, 2, 3)");
    assert_int_equal(e->kind, SL_SQL_EXPR_IN);
    assert_int_equal(e->in.n, 3);
    assert_true(expr("a NOT IN ('x')")->negated);
    e = expr("name LIKE 'a%'");
    assert_int_equal(e->kind, SL_SQL_EXPR_LIKE);
    assert_null(e->like.escape);
    e = expr("name NOT LIKE 'a!%%' ESCAPE '!'");
    assert_true(e->negated);
    assert_string_equal(e->like.escape, "!");
    e = expr("a IS NULL");
    assert_int_equal(e->kind, SL_SQL_EXPR_IS_NULL);
    assert_false(e->negated);
    assert_true(expr("a IS NOT NULL")->negated);
    e = expr("a IS DISTINCT FROM b");
    assert_int_equal(e->kind, SL_SQL_EXPR_IS_DISTINCT);
    assert_false(e->negated);
    assert_true(expr("a IS NOT DISTINCT FROM b")->negated);
    round_trip("select a between 1 and 2, a not between 1 and 2, a in (1,2), a not in (3), a like 'x' escape '\\', "
               "a not like 'y', a is null, a is not null, a is distinct from b, a is not distinct from b from t",
               "SELECT A BETWEEN 1 AND 2, A NOT BETWEEN 1 AND 2, A IN (1, 2), A NOT IN (3), A LIKE 'x' ESCAPE '\\', "
               "A NOT LIKE 'y', A IS NULL, A IS NOT NULL, A IS DISTINCT FROM B, A IS NOT DISTINCT FROM B FROM T");
}

static void test_case_cast(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END");
    assert_int_equal(e->kind, SL_SQL_EXPR_CASE);
    assert_null(e->case_.operand);
    assert_int_equal(e->case_.nwhens, 2);
    assert_non_null(e->case_.else_);
    e = expr("CASE a WHEN 1 THEN 'one' END");
    assert_non_null(e->case_.operand);
    assert_null(e->case_.else_);
    e = expr("CAST(a AS DECIMAL(5, 1))");
    assert_int_equal(e->kind, SL_SQL_EXPR_CAST);
    assert_int_equal(e->cast.type->kind, SL_SQL_TYPE_DECIMAL);
    e = expr("CAST(a + 1 AS STRING)");
    assert_int_equal(e->cast.a->kind, SL_SQL_EXPR_BINARY);
    round_trip("select case a + 1 when 2 then 'x' else 'y' end, case when a or b then 1 end, cast(a as varchar) from t",
               "SELECT CASE A + 1 WHEN 2 THEN 'x' ELSE 'y' END, CASE WHEN A OR B THEN 1 END, CAST(A AS STRING) "
               "FROM T");
}

static void test_deref_subscript(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("s.addr->street->name");
    assert_int_equal(e->kind, SL_SQL_EXPR_DEREF);
    assert_string_equal(e->deref.field.s, "NAME");
    assert_int_equal(e->deref.a->kind, SL_SQL_EXPR_DEREF);
    assert_int_equal(e->deref.a->deref.a->kind, SL_SQL_EXPR_COLUMN);
    assert_string_equal(e->deref.a->deref.a->column.qualifier.s, "S");
    e = expr("arr[1]");
    assert_int_equal(e->kind, SL_SQL_EXPR_SUBSCRIPT);
    e = expr("m['k']->`Field`");
    assert_string_equal(e->deref.field.s, "Field");
    round_trip("select s.a->b->c, arr[0], m['x'][1], f(x)->y, `Weird Col`->`f g` from t",
               "SELECT S.A->B->C, ARR[0], M['x'][1], F(X)->Y, `Weird Col`->`f g` FROM T");
}

static void test_calls_lambdas_units(void **state)
{
    (void)state;
    sl_sql_expr_t *e = expr("COUNT(*)");
    assert_int_equal(e->kind, SL_SQL_EXPR_CALL);
    assert_true(e->call.star);
    assert_string_equal(e->call.name.s, "COUNT");
    e = expr("now()");
    assert_int_equal(e->call.nargs, 0);
    assert_false(e->call.star);
    e = expr("substring(name, 1, 2)");
    assert_int_equal(e->call.nargs, 3);
    e = expr("TRANSFORM(arr, x => x * 2)");
    assert_int_equal(e->call.args[1]->kind, SL_SQL_EXPR_LAMBDA);
    assert_int_equal(e->call.args[1]->lambda.nparams, 1);
    assert_string_equal(e->call.args[1]->lambda.params[0].s, "X");
    e = expr("REDUCE(arr, 0, (s, x) => s + x)");
    sl_sql_expr_t *lam = e->call.args[2];
    assert_int_equal(lam->kind, SL_SQL_EXPR_LAMBDA);
    assert_int_equal(lam->lambda.nparams, 2);
    assert_int_equal(lam->lambda.body->kind, SL_SQL_EXPR_BINARY);
    e = expr("FILTER(m, (k, v) => v > 0 AND (k) IS NOT NULL)");
    assert_int_equal(e->call.args[1]->lambda.nparams, 2);
    e = expr("TRANSFORM(arr, (x) => (x))");
    assert_int_equal(e->call.args[1]->lambda.nparams, 1);
    e = expr("f((a), (b + 1))"); /* parentheses that are not lambdas */
    assert_int_equal(e->call.args[0]->kind, SL_SQL_EXPR_COLUMN);
    assert_int_equal(e->call.args[1]->kind, SL_SQL_EXPR_BINARY);
    e = expr("TIMESTAMPADD(SECONDS, 5, ts)");
    assert_int_equal(e->call.args[0]->kind, SL_SQL_EXPR_TIME_UNIT);
    assert_int_equal(e->call.args[0]->unit, SL_SQL_UNIT_SECOND);
    e = expr("f(day + 1, day)"); /* a column named DAY, then the unit */
    assert_int_equal(e->call.args[0]->kind, SL_SQL_EXPR_BINARY);
    assert_int_equal(e->call.args[1]->kind, SL_SQL_EXPR_TIME_UNIT);
    round_trip("select count(*), f(), transform(a, x => x + 1), reduce(a, 0, (s,x) => s + x), "
               "timestampadd(minute, 1, ts), transform(a, (key) => key) from t",
               "SELECT COUNT(*), F(), TRANSFORM(A, X => X + 1), REDUCE(A, 0, (S, X) => S + X), "
               "TIMESTAMPADD(MINUTES, 1, TS), TRANSFORM(A, `KEY` => `KEY`) FROM T");
}

static void test_pseudo_columns(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT ROWTIME, ROWPARTITION, ROWOFFSET, WINDOWSTART, WINDOWEND FROM s "
                              "WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY k");
    static const char *const names[] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(q->items[i]->expr->kind, SL_SQL_EXPR_COLUMN);
        assert_string_equal(q->items[i]->expr->column.name.s, names[i]);
    }
}

/* ---- names, comments, statements ---------------------------------------------------------------------- */

static void test_identifiers(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT abc, AbC, `AbC`, \"dq\", `a``b`, t1.x, _u, a@b, 1abc FROM `My Stream`");
    static const char *const names[] = {"ABC", "ABC", "AbC", "dq", "a`b", "X", "_U", "A@B", "1ABC"};
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(q->items[i]->expr->column.name.s, names[i]);
    assert_string_equal(q->items[5]->expr->column.qualifier.s, "T1");
    assert_string_equal(q->from.name.s, "My Stream");
    /* Non-reserved keywords serve as names where a keyword does not fit. */
    q = query("SELECT key, value, map, struct, array, emit, type, size, date, timestamp, partition "
              "FROM changes WHERE key = 1");
    assert_string_equal(q->items[0]->expr->column.name.s, "KEY");
    assert_string_equal(q->items[2]->expr->column.name.s, "MAP");
    assert_string_equal(q->items[5]->expr->column.name.s, "EMIT");
    assert_string_equal(q->from.name.s, "CHANGES");
    /* ... while still keywords where they do fit. */
    q = query("SELECT * FROM t emit changes");
    assert_int_equal(q->emit, SL_SQL_EMIT_CHANGES);
    assert_null(q->from.alias.s);
    q = query("SELECT * FROM t partition by key");
    assert_int_equal(q->npartition_by, 1);
    round_trip("select `select`, \"from\", `a b`, key, `lower` from `t`",
               "SELECT `select`, `from`, `a b`, `KEY`, `lower` FROM `t`");
    parse_err("SELECT select FROM t", 1, 8, "mismatched input 'select'");
    parse_err("SELECT `` FROM t", 1, 8, "zero-length delimited identifier");
}

static void test_comments_and_blanks(void **state)
{
    (void)state;
    sl_sql_stmt_list_t *l = parse_ok("-- leading comment\nSELECT /* inline */ a -- trailing\nFROM t; /* after */\n");
    assert_int_equal(l->n, 1);
    assert_string_equal(print_list(l), "SELECT A FROM T");
    assert_int_equal(parse_ok("")->n, 0);
    assert_int_equal(parse_ok("  \n\t -- nothing\n/* at all */")->n, 0);
    assert_int_equal(parse_ok(";;;")->n, 0);
    l = parse_ok("SELECT 'a -- not a comment', '/* nor this */' FROM t");
    assert_string_equal(l->items[0]->query->items[0]->expr->str.s, "a -- not a comment");
    assert_int_equal(parse_ok("SELECT a-->comment\n FROM t")->items[0]->query->nitems, 1);
}

static void test_multi_statement(void **state)
{
    (void)state;
    const char *text = "CREATE STREAM s (a INT) WITH (kafka_topic='s');\n;  SELECT * FROM s ;\nSHOW STREAMS";
    sl_sql_stmt_list_t *l = parse_ok(text);
    assert_int_equal(l->n, 3);
    assert_int_equal(l->items[0]->kind, SL_SQL_STMT_CREATE_SOURCE);
    assert_int_equal(l->items[1]->kind, SL_SQL_STMT_SELECT);
    assert_int_equal(l->items[2]->kind, SL_SQL_STMT_SHOW);
    assert_int_equal(l->items[0]->text_len, strlen("CREATE STREAM s (a INT) WITH (kafka_topic='s')"));
    assert_memory_equal(l->items[1]->text, "SELECT * FROM s", l->items[1]->text_len);
    assert_int_equal(l->items[1]->text_len, strlen("SELECT * FROM s"));
    assert_memory_equal(l->items[2]->text, "SHOW STREAMS", 12);
    assert_int_equal(l->items[2]->pos.line, 3);
    assert_int_equal(l->items[2]->pos.col, 1);
    /* The first error stops the parse, wherever it is. */
    parse_err("SHOW STREAMS; SHOW TABLES;\n  SHOW NOTHING; SHOW TOPICS", 2, 8, "mismatched input 'NOTHING'");
}

static void test_positions(void **state)
{
    (void)state;
    sl_sql_query_t *q = query("SELECT\n  a + b,\n\t'é' || c\nFROM s\nWHERE x->y > 1");
    assert_int_equal(q->pos.line, 1);
    assert_int_equal(q->pos.col, 1);
    sl_sql_expr_t *e = q->items[0]->expr;
    assert_int_equal(e->pos.line, 2);
    assert_int_equal(e->pos.col, 3);
    assert_int_equal(e->op.b->pos.col, 7);
    e = q->items[1]->expr;
    assert_int_equal(e->pos.line, 3);
    assert_int_equal(e->pos.col, 2);
    assert_int_equal(e->op.b->pos.col, 9); /* 'é' is one column */
    assert_int_equal(q->from.name.pos.line, 4);
    assert_int_equal(q->from.name.pos.col, 6);
    assert_int_equal(q->where->pos.line, 5);
    assert_int_equal(q->where->op.a->pos.col, 7);
    assert_int_equal(q->where->op.b->pos.col, 14);
    assert_int_equal(q->where->op.b->pos.off, strlen("SELECT\n  a + b,\n\t'é' || c\nFROM s\nWHERE x->y > "));
    parse_err("SELECT\n  'é' é FROM t", 2, 7, "token recognition error at: 'é'");
}

static void test_substitute(void **state)
{
    (void)state;
    static const sl_sql_var_t vars[] = {{"format", "JSON"}, {"replicas", "3"}, {"stream", "orders"}};
    const char *in = "CREATE STREAM ${STREAM} (id INT) WITH (value_format='${format}', replicas=${Replicas}, "
                     "x='$${format}', y='${missing}')";
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(sl_sql_substitute(in, strlen(in), vars, 3, &arena, &out, &len), SL_OK);
    assert_string_equal(out, "CREATE STREAM orders (id INT) WITH (value_format='JSON', replicas=3, "
                             "x='${format}', y='${missing}')");
    assert_int_equal(len, strlen(out));
    sl_sql_stmt_t *s = one(out);
    assert_string_equal(s->create.name.s, "ORDERS");
    assert_int_equal(s->create.props[1]->value->i, 3);
    assert_string_equal(s->create.props[2]->value->str.s, "${format}");
    /* A reference left unresolved outside a string is an error that names it. */
    assert_int_equal(sl_sql_substitute("SELECT ${nope} FROM t", 21, vars, 3, &arena, &out, NULL), SL_OK);
    parse_err(out, 1, 8, "variable '${nope}' is not defined");
    assert_int_equal(sl_sql_substitute("${", 2, NULL, 0, &arena, &out, &len), SL_OK);
    assert_string_equal(out, "${");
}

static void test_statement_end(void **state)
{
    (void)state;
    bool complete;
    const char *t = "SELECT ';', `;`, \";\" -- ;\n /* ; */ FROM t; SHOW STREAMS;";
    size_t end = sl_sql_statement_end(t, strlen(t), &complete);
    assert_true(complete);
    assert_int_equal(end, strlen("SELECT ';', `;`, \";\" -- ;\n /* ; */ FROM t;"));
    end = sl_sql_statement_end(t + end, strlen(t + end), &complete);
    assert_true(complete);
    assert_int_equal(end, strlen(" SHOW STREAMS;"));
    assert_int_equal(sl_sql_statement_end("SELECT 'a;", 10, &complete), 10);
    assert_false(complete);
    assert_int_equal(sl_sql_statement_end("SELECT 1 /* ;", 13, &complete), 13);
    assert_false(complete);
    assert_int_equal(sl_sql_statement_end("", 0, NULL), 0);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "CREATE STREAM S (ID INT KEY, `Name` STRING, M MAP<STRING, STRUCT<A ARRAY<BIGINT>>>) "
        "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, 'x.y'=2.5)",
        "CREATE TABLE T AS SELECT K, LATEST_BY_OFFSET(V) AS V FROM S WINDOW TUMBLING (SIZE 1 HOUR) GROUP BY K "
        "HAVING COUNT(*) > 1 EMIT CHANGES",
        "SELECT A.ID, B.X FROM A A INNER JOIN B B WITHIN 5 SECONDS ON A.ID = B.ID WHERE A.X IS NOT NULL "
        "PARTITION BY A.ID EMIT CHANGES LIMIT 3",
        "SELECT CASE WHEN A BETWEEN 1 AND 2 THEN ARRAY[1] ELSE ARRAY[] END FROM T",
        "SELECT -X, - -X, NOT NOT A, A - -1, + -1, -(A + 1), A || B || C, A || (B || C) FROM T",
        "SELECT TRANSFORM(M, (K, V) => CONCAT(K, 'x'), (K, V) => V * 2) FROM T",
        "SELECT 'multi\nline' FROM T",
        "INSERT INTO S (`a`, B) VALUES (1, -1.50, 'x', NULL, TRUE, MAP('a' := STRUCT(B := 1)))",
        "EXPLAIN INSERT INTO S SELECT * FROM T",
        "SELECT A FROM T WHERE A IN (1, 2) AND B NOT LIKE 'x%' ESCAPE '%' OR C IS DISTINCT FROM D",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        round_trip(texts[i], texts[i]);
}

static void test_tree_print(void **state)
{
    (void)state;
    sl_sql_stmt_t *s = one("SELECT a + 1 AS b FROM t WHERE c IN (1, 2)");
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_stmt_print_tree(s, &b), SL_OK);
    sl_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, "SELECT @1:1\n"
                                              "  QUERY @1:1\n"
                                              "    ITEM AS B @1:8\n"
                                              "      BINARY + @1:8\n"
                                              "        COLUMN A @1:8\n"
                                              "        INT 1 @1:12\n"
                                              "    FROM T @1:24\n"
                                              "    WHERE\n"
                                              "      IN @1:32\n"
                                              "        COLUMN C @1:32\n"
                                              "        INT 1 @1:38\n"
                                              "        INT 2 @1:41\n");
    sl_buf_reset(&b);
    s = one("CREATE STREAM s (a INT KEY) WITH (kafka_topic='x')");
    assert_int_equal(sl_sql_stmt_print_tree(s, &b), SL_OK);
    sl_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, "CREATE_SOURCE STREAM S @1:1\n"
                                              "  COLUMN A INT KEY @1:18\n"
                                              "  PROPERTY KAFKA_TOPIC = 'x' @1:35\n");
    sl_buf_reset(&b);
    s = one("SHOW TABLES");
    assert_int_equal(sl_sql_stmt_print_tree(s, &b), SL_OK);
    sl_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, "SHOW: SHOW TABLES @1:1\n");
    sl_buf_free(&b);
}

/* ---- errors and limits ------------------------------------------------------------------------------ */

static void test_errors(void **state)
{
    (void)state;
    parse_err("SELECT a FORM t", 1, 15, "mismatched input 't' expecting {',', 'FROM'}");
    parse_err("SELECT * FORM t", 1, 10, "mismatched input 'FORM' expecting {',', 'FROM'}");
    parse_err("SELEC * FROM t", 1, 1, "mismatched input 'SELEC' expecting {';', 'CREATE', 'DROP', 'INSERT'");
    parse_err("SELECT * FROM", 1, 14, "mismatched input '<EOF>' expecting IDENTIFIER");
    parse_err("SELECT * FROM t WHERE", 1, 22, "mismatched input '<EOF>' expecting {'(', IDENTIFIER, STRING");
    parse_err("SELECT * FROM;", 1, 14, "mismatched input ';' expecting IDENTIFIER");
    parse_err("SELECT * FROM t;\nSELECT * FROM u WHERE x =* 2", 2, 26, "mismatched input '*' expecting {'('");
    parse_err("SELECT a FROM t GROUP a", 1, 23, "mismatched input 'a' expecting 'BY'");
    parse_err("DROP STREAM", 1, 12, "mismatched input '<EOF>' expecting {IDENTIFIER, 'IF'}");
    parse_err("SHOW", 1, 5, "mismatched input '<EOF>' expecting {'ALL', 'TOPICS', 'STREAMS'");
    parse_err("SELECT a, FROM t", 1, 11, "mismatched input 'FROM' expecting {'('");
    parse_err("CREATE STREAM s (a INT, b) WITH (x=1);", 1, 26,
              "mismatched input ')' expecting {IDENTIFIER, 'DECIMAL', 'ARRAY', 'MAP', 'STRUCT'}");
    parse_err("CREATE STREAM s (a INT) WITH (x=y);", 1, 33, "mismatched input 'y' expecting {STRING");
    parse_err("CREATE STREAM s (a INT) AS SELECT * FROM t", 1, 25, "mismatched input 'AS' expecting {';', 'WITH'}");
    parse_err("SELECT CAST(a AS) FROM t", 1, 17, "mismatched input ')' expecting {IDENTIFIER");
    parse_err("SELECT f(x =>) FROM t", 1, 14, "mismatched input ')'");
    parse_err("SELECT * FROM a JOIN b WITHIN 1 SECOND", 1, 39, "mismatched input '<EOF>' expecting {'ON', 'GRACE'}");
    parse_err("INSERT INTO s VALUES (1,)", 1, 25, "mismatched input ')'");
    parse_err("SELECT 'abc FROM t", 1, 8, "unterminated string literal");
    parse_err("SELECT `abc FROM t", 1, 8, "unterminated quoted identifier");
    parse_err("SELECT a FROM t /* never closed", 1, 17, "unterminated comment");
    parse_err("SELECT a # b FROM t", 1, 10, "token recognition error at: '#'");
    parse_err("SELECT a | b FROM t", 1, 10, "token recognition error at: '|'");
    parse_err("SELECT a\n\n   ! b FROM t", 3, 4, "token recognition error at: '!'");
    parse_err("SELECT DECIMAL FROM t", 1, 8, "mismatched input 'DECIMAL'");
    parse_err("CREATE STREAM s (d DECIMAL) WITH (a=1)", 1, 27, "mismatched input ')' expecting '('");
    parse_err("SET a = 'b'", 1, 5, "mismatched input 'a' expecting STRING");
    parse_err("TERMINATE", 1, 10, "mismatched input '<EOF>' expecting {IDENTIFIER, 'ALL'}");

    sl_sql_stmt_list_t *l = (void *)1;
    sl_sql_error_t err;
    const char nul[] = "SELECT a\0 FROM t";
    assert_int_equal(sl_sql_parse_len(nul, sizeof nul - 1, &arena, &l, &err), SL_ERR_INVAL);
    assert_int_equal(err.col, 9);
    assert_null(l);
}

static void test_error_format(void **state)
{
    (void)state;
    const char *text = "SELECT *\n\tFROM t\n\tWHERE a = = 1;";
    sl_sql_stmt_list_t *l;
    sl_sql_error_t err;
    assert_int_equal(sl_sql_parse(text, &arena, &l, &err), SL_ERR_INVAL);
    char *m = sl_sql_error_format(&err, text);
    assert_non_null(m);
    const char *want_prefix = "line 3:12: mismatched input '=' expecting {";
    assert_memory_equal(m, want_prefix, strlen(want_prefix));
    const char *tail = strchr(m, '\n');
    assert_string_equal(tail, "\n\tWHERE a = = 1;\n\t          ^");
    free(m);
    text = "SELECT 'é', '";
    assert_int_equal(sl_sql_parse(text, &arena, &l, &err), SL_ERR_INVAL);
    m = sl_sql_error_format(&err, text);
    assert_string_equal(m, "line 1:13: unterminated string literal\nSELECT 'é', '\n"
                           "            ^");
    free(m);
    sl_sql_error_t none = {0};
    strcpy(none.message, "out of memory");
    m = sl_sql_error_format(&none, "x");
    assert_string_equal(m, "out of memory");
    free(m);
}

/* "SELECT " + open x n + mid + close x n + " FROM t", malloc'd. */
static char *nested(int n, const char *open, const char *mid, const char *close)
{
    size_t cap = 32 + (size_t)n * (strlen(open) + strlen(close)) + strlen(mid);
    char *buf = malloc(cap), *o = buf;
    assert_non_null(buf);
    o += sprintf(o, "SELECT ");
    for (int i = 0; i < n; i++)
        o += sprintf(o, "%s", open);
    o += sprintf(o, "%s", mid);
    for (int i = 0; i < n; i++)
        o += sprintf(o, "%s", close);
    sprintf(o, " FROM t");
    return buf;
}

static void test_depth_limits(void **state)
{
    (void)state;
    char *t = nested(150, "(", "1", ")");
    assert_int_equal(query(t)->items[0]->expr->kind, SL_SQL_EXPR_INT);
    free(t);
    t = nested(201, "(", "1", ")");
    parse_err(t, 1, 208, "statement nested too deeply (more than 200 levels of brackets)");
    free(t);
    t = nested(100000, "f(", "1", ")");
    parse_err(t, 1, 9 + 200 * 2, "statement nested too deeply");
    free(t);
    t = nested(199, "", "1", " + 1"); /* a left-deep chain of height 200 */
    assert_int_equal(query(t)->items[0]->expr->height, 200);
    free(t);
    t = nested(200, "", "1", " + 1");
    parse_err(t, 1, 8, "expression nested too deeply (more than 200 levels)");
    free(t);
    t = nested(300, "NOT ", "a", "");
    parse_err(t, 1, 8 + 100 * 4, "expression nested too deeply");
    free(t);
    t = nested(5000, "- ", "a", ""); /* fills lemon's stack before any reduction */
    sl_sql_stmt_list_t *l;
    sl_sql_error_t err;
    assert_int_equal(sl_sql_parse(t, &arena, &l, &err), SL_ERR_INVAL);
    assert_int_equal(err.line, 1);
    assert_string_equal(err.message, "statement nested too deeply (parser stack full)");
    free(t);
    /* Types: ARRAY<...> nesting is refused the same way. */
    char *buf = malloc(10000), *o = buf;
    o += sprintf(o, "CREATE STREAM s (a ");
    for (int i = 0; i < 250; i++)
        o += sprintf(o, "ARRAY<");
    o += sprintf(o, "INT");
    for (int i = 0; i < 250; i++)
        o += sprintf(o, ">");
    sprintf(o, ")");
    assert_int_equal(sl_sql_parse(buf, &arena, &l, &err), SL_ERR_INVAL);
    assert_string_equal(err.message, "type nested too deeply (more than 200 levels)");
    free(buf);
}

SL_TEST_GROUP(parse,
              cmocka_unit_test_teardown(test_keywords_sorted, reset),
              cmocka_unit_test_teardown(test_create_stream, reset),
              cmocka_unit_test_teardown(test_create_table_variants, reset),
              cmocka_unit_test_teardown(test_create_as, reset),
              cmocka_unit_test_teardown(test_insert, reset),
              cmocka_unit_test_teardown(test_drop, reset),
              cmocka_unit_test_teardown(test_create_type, reset),
              cmocka_unit_test_teardown(test_variables_and_properties, reset),
              cmocka_unit_test_teardown(test_show_list, reset),
              cmocka_unit_test_teardown(test_describe, reset),
              cmocka_unit_test_teardown(test_explain, reset),
              cmocka_unit_test_teardown(test_print, reset),
              cmocka_unit_test_teardown(test_terminate_run_script, reset),
              cmocka_unit_test_teardown(test_select_items, reset),
              cmocka_unit_test_teardown(test_joins, reset),
              cmocka_unit_test_teardown(test_windows, reset),
              cmocka_unit_test_teardown(test_clauses, reset),
              cmocka_unit_test_teardown(test_types, reset),
              cmocka_unit_test_teardown(test_literals, reset),
              cmocka_unit_test_teardown(test_constructors, reset),
              cmocka_unit_test_teardown(test_operators, reset),
              cmocka_unit_test_teardown(test_precedence, reset),
              cmocka_unit_test_teardown(test_predicates, reset),
              cmocka_unit_test_teardown(test_case_cast, reset),
              cmocka_unit_test_teardown(test_deref_subscript, reset),
              cmocka_unit_test_teardown(test_calls_lambdas_units, reset),
              cmocka_unit_test_teardown(test_pseudo_columns, reset),
              cmocka_unit_test_teardown(test_identifiers, reset),
              cmocka_unit_test_teardown(test_comments_and_blanks, reset),
              cmocka_unit_test_teardown(test_multi_statement, reset),
              cmocka_unit_test_teardown(test_positions, reset),
              cmocka_unit_test_teardown(test_substitute, reset),
              cmocka_unit_test_teardown(test_statement_end, reset),
              cmocka_unit_test_teardown(test_round_trips, reset),
              cmocka_unit_test_teardown(test_tree_print, reset),
              cmocka_unit_test_teardown(test_errors, reset),
              cmocka_unit_test_teardown(test_error_format, reset),
              cmocka_unit_test_teardown(test_depth_limits, reset))
