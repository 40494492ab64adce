/* fuzz_sql.c — libFuzzer target for the SQL front end: any bytes go through
 * statement splitting, ${variable} substitution and the parser; an error must
 * format, and whatever parses must print as SQL that parses again and prints
 * the same (the printer's round trip). `make fuzz` builds and runs it (lemon
 * first makes sql/parse.y into $(BUILD)/fuzz/sql, as CMake does).
 *
 * Built with -DSL_FUZZ_MAKE_SEEDS instead (no -fsanitize=fuzzer), it is a
 * program that writes a seed corpus (one statement of every form per file) and
 * a libFuzzer dictionary of the dialect's keywords and operators into the
 * directory named on its command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/sql_parse.h"

#ifndef SL_FUZZ_MAKE_SEEDS

static sl_arena_t arena = SL_ARENA_INIT;

static void print_all(const sl_sql_stmt_list_t *l, sl_buf_t *out)
{
    for (size_t i = 0; i < l->n; i++) {
        if (sl_sql_stmt_print(l->items[i], out) || sl_buf_append(out, ";\n", 2))
            abort();
        sl_buf_t tree = SL_BUF_INIT;
        if (sl_sql_stmt_print_tree(l->items[i], &tree))
            abort();
        sl_buf_free(&tree);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sl_sql_var_t vars[] = {{"x", "1"}, {"name", "'s'"}, {"T", "topic"}};
    char *sub = NULL;
    size_t sublen = 0;
    bool complete;
    size_t end = sl_sql_statement_end((const char *)data, size, &complete);
    if (end > size || (complete && (end == 0 || data[end - 1] != ';')))
        abort();
    if (sl_sql_substitute((const char *)data, size, vars, 3, &arena, &sub, &sublen))
        goto done;
    sl_sql_stmt_list_t *l;
    sl_sql_error_t err;
    sl_err_t e = sl_sql_parse_len(sub, sublen, &arena, &l, &err);
    if (e == SL_ERR_INVAL) {
        if (err.line == 0 || err.col == 0 || err.offset > sublen || !err.message[0])
            abort();
        if (!memchr(sub, 0, sublen)) {
            char *msg = sl_sql_error_format(&err, sub);
            if (!msg)
                abort();
            free(msg);
        }
        goto done;
    }
    if (e)
        goto done;
    sl_buf_t once = SL_BUF_INIT, twice = SL_BUF_INIT;
    print_all(l, &once);
    if (sl_buf_put_u8(&once, 0))
        abort();
    sl_sql_stmt_list_t *l2;
    e = sl_sql_parse((const char *)once.data, &arena, &l2, &err);
    if (e) {
        char *msg = sl_sql_error_format(&err, (const char *)once.data);
        fprintf(stderr, "printed SQL does not parse:\n%s\n", msg ? msg : err.message);
        abort();
    }
    print_all(l2, &twice);
    if (sl_buf_put_u8(&twice, 0))
        abort();
    if (l2->n != l->n || strcmp((const char *)once.data, (const char *)twice.data) != 0) {
        fprintf(stderr, "round trip differs:\n%s\n---\n%s\n", (const char *)once.data, (const char *)twice.data);
        abort();
    }
    sl_buf_free(&once);
    sl_buf_free(&twice);
done:
    sl_arena_reset(&arena);
    return 0;
}

#else /* SL_FUZZ_MAKE_SEEDS */

static const char *const seeds[] = {
    "CREATE STREAM s (id INT KEY, name VARCHAR, amount DECIMAL(10, 2), tags ARRAY<STRING>, "
    "m MAP<STRING, BIGINT>, st STRUCT<a INT, `b c` BOOLEAN>, h BYTES HEADERS, k BYTES HEADER('k')) "
    "WITH (kafka_topic='s', value_format='JSON', partitions=1, replicas=1);",
    "CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS t (id STRING PRIMARY KEY, d DATE, tm TIME, ts TIMESTAMP) "
    "WITH (kafka_topic='t', format='JSON');",
    "CREATE STREAM big WITH (kafka_topic='big') AS SELECT * FROM s WHERE amount > 50 EMIT CHANGES;",
    "CREATE TABLE agg AS SELECT name, COUNT(*) AS n, SUM(amount) FROM s WINDOW TUMBLING (SIZE 1 HOUR, "
    "RETENTION 2 DAYS, GRACE PERIOD 10 MINUTES) GROUP BY name HAVING COUNT(*) > 1 EMIT CHANGES;",
    "SELECT a.id, b.x FROM a LEFT OUTER JOIN b WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 1 SECOND "
    "ON a.id = b.id FULL JOIN c ON a.id = c.id EMIT CHANGES LIMIT 5;",
    "SELECT * FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) PARTITION BY id;",
    "SELECT WINDOWSTART, WINDOWEND, ROWTIME, ROWPARTITION, ROWOFFSET FROM s WINDOW SESSION (5 MINUTES) "
    "GROUP BY k EMIT FINAL;",
    "SELECT CASE WHEN a BETWEEN 1 AND 2 THEN 'x' WHEN a NOT IN (3, 4) THEN 'y' ELSE NULL END, "
    "CASE b WHEN 1 THEN TRUE END FROM s;",
    "SELECT CAST(a AS DOUBLE), st->a->b, arr[1], m['k'], -x * (y + 2) % 3 || 'z', "
    "TRANSFORM(arr, x => x + 1), REDUCE(arr, 0, (s, x) => s + x) FROM s;",
    "SELECT ARRAY[1, 2], MAP('a' := 1), STRUCT(f := 1.5, g := 1e3), name LIKE 'a%' ESCAPE '\\' FROM s "
    "WHERE x IS NOT NULL AND y IS DISTINCT FROM z OR NOT w;",
    "INSERT INTO s (id, name) VALUES (1, 'it''s');",
    "INSERT INTO s SELECT * FROM t;",
    "DROP STREAM IF EXISTS s DELETE TOPIC; DROP TABLE t; DROP TYPE IF EXISTS ty;",
    "CREATE TYPE address AS STRUCT<street STRING, zip INT>;",
    "DEFINE format = 'JSON'; UNDEFINE format; SET 'auto.offset.reset' = 'earliest'; UNSET 'x';",
    "SHOW STREAMS EXTENDED; LIST TABLES; SHOW QUERIES; SHOW ALL TOPICS; SHOW FUNCTIONS; SHOW TYPES; "
    "SHOW PROPERTIES; SHOW VARIABLES;",
    "DESCRIBE s EXTENDED; DESCRIBE EXTENDED s; DESCRIBE STREAMS; DESCRIBE FUNCTION concat;",
    "EXPLAIN CSAS_BIG_1; EXPLAIN SELECT * FROM s;",
    "PRINT 'topic' FROM BEGINNING INTERVAL 2 LIMIT 10; PRINT t;",
    "TERMINATE CSAS_BIG_1; TERMINATE ALL; RUN SCRIPT '/tmp/x.sql';",
    "-- comment\n/* block */ SELECT `Quoted`, \"dq\", ${x} FROM ${T} WHERE n = '${name}' AND m = '$${x}';",
};

static const char *const dict[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "PARTITION", "HAVING", "EMIT", "CHANGES", "FINAL", "LIMIT",
    "CREATE", "OR", "REPLACE", "SOURCE", "STREAM", "TABLE", "IF", "NOT", "EXISTS", "WITH", "AS", "INSERT",
    "INTO", "VALUES", "DROP", "DELETE", "TOPIC", "TYPE", "DEFINE", "UNDEFINE", "SET", "UNSET", "SHOW",
    "LIST", "STREAMS", "TABLES", "QUERIES", "TOPICS", "FUNCTIONS", "TYPES", "PROPERTIES", "VARIABLES",
    "EXTENDED", "DESCRIBE", "FUNCTION", "EXPLAIN", "PRINT", "BEGINNING", "INTERVAL", "TERMINATE", "ALL",
    "RUN", "SCRIPT", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "WITHIN", "GRACE", "PERIOD", "ON",
    "WINDOW", "TUMBLING", "HOPPING", "SESSION", "SIZE", "ADVANCE", "RETENTION", "SECONDS", "MILLISECOND",
    "DAYS", "AND", "BETWEEN", "IN", "LIKE", "ESCAPE", "IS", "NULL", "DISTINCT", "CASE", "WHEN", "THEN",
    "ELSE", "END", "CAST", "TRUE", "FALSE", "ARRAY", "MAP", "STRUCT", "DECIMAL", "KEY", "PRIMARY",
    "HEADERS", "HEADER", "INT", "BIGINT", "STRING", "->", "=>", ":=", "||", "<>", "!=", "<=", ">=", "${",
    "'", "`", "--", "/*", "*/", "1e3", ".5",
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(path, sizeof path, "%s/seed-%02zu.sql", argv[1], i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(seeds[i], 1, strlen(seeds[i]), f) != strlen(seeds[i]) || fclose(f))
            return 1;
    }
    snprintf(path, sizeof path, "%s.dict", argv[1]);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    for (size_t i = 0; i < sizeof dict / sizeof dict[0]; i++) {
        fputc('"', f);
        for (const char *c = dict[i]; *c; c++)
            fprintf(f, *c == '"' || *c == '\\' ? "\\%c" : "%c", *c);
        fputs("\"\n", f);
    }
    if (fclose(f))
        return 1;
    printf("%zu seeds\n", sizeof seeds / sizeof seeds[0]);
    return 0;
}

#endif
