/* shell_db.c — the shell's catalog in SQLite, <data-dir>/catalog.db: the
 * statements that made the streams, tables, types and persistent queries,
 * in the order they ran, with each query's id, the properties it started
 * with, and whether it was terminated. The shell replays them on start, as
 * ksqlDB replays its command topic, so every stream, table and query comes
 * back with the same names and ids, and each query resumes from its
 * committed offsets and its LMDB state. Written with synchronous=FULL in a
 * WAL journal: a statement the shell answered is in the file, kill -9 or
 * not. */
#include "repl/shell_db.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

struct sl_shell_db {
    sqlite3 *db;
};

static int fail(sqlite3 *db, const char *what, char *err, size_t len)
{
    snprintf(err, len, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
    return -1;
}

int sl__shell_db_open(const char *data_dir, sl_shell_db_t **out, char *err, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/catalog.db", data_dir);
    sl_shell_db_t *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, len, "out of memory");
        return -1;
    }
    if (sqlite3_open(path, &d->db) != SQLITE_OK) {
        fail(d->db, path, err, len);
        sqlite3_close(d->db);
        free(d);
        return -1;
    }
    static const char schema[] =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS commands ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  sql TEXT NOT NULL,"          /* the statement, variables substituted */
        "  query_id TEXT,"              /* the query it made, if any */
        "  props TEXT NOT NULL DEFAULT ''," /* SET properties it ran with: key=value lines */
        "  terminated INTEGER NOT NULL DEFAULT 0);";
    char *msg = NULL;
    if (sqlite3_exec(d->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, len, "%s: %s", path, msg ? msg : "cannot create the catalog");
        sqlite3_free(msg);
        sqlite3_close(d->db);
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void sl__shell_db_close(sl_shell_db_t *d)
{
    if (!d)
        return;
    sqlite3_close(d->db);
    free(d);
}

int sl__shell_db_append(sl_shell_db_t *d, const char *sql, size_t sql_len, const char *query_id,
                        const char *props, char *err, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db,
                           "INSERT INTO commands (sql, query_id, props) VALUES (?1, ?2, ?3)", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(d->db, "catalog", err, len);
    sqlite3_bind_text(st, 1, sql, (int)sql_len, SQLITE_TRANSIENT);
    if (query_id)
        sqlite3_bind_text(st, 2, query_id, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, props ? props : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(d->db, "catalog", err, len);
    sqlite3_finalize(st);
    return rc;
}

/* Sets terminated to what (1, or SL_SHELL_DB_UPGRADED) on query_id's
 * statements that run (an upgraded one stays upgraded). */
static int mark(sl_shell_db_t *d, const char *query_id, int what, char *err, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db,
                           "UPDATE commands SET terminated = ?2 WHERE query_id = ?1 AND "
                           "terminated = 0",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(d->db, "catalog", err, len);
    sqlite3_bind_text(st, 1, query_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, what);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(d->db, "catalog", err, len);
    sqlite3_finalize(st);
    return rc;
}

int sl__shell_db_upgrade(sl_shell_db_t *d, const char *sql, size_t sql_len, const char *query_id,
                         const char *props, char *err, size_t len)
{
    if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(d->db, "catalog", err, len);
    if (mark(d, query_id, SL_SHELL_DB_UPGRADED, err, len) ||
        sl__shell_db_append(d, sql, sql_len, query_id, props, err, len)) {
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(d->db, "catalog", err, len);
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

int sl__shell_db_terminate(sl_shell_db_t *d, const char *query_id, char *err, size_t len)
{
    return mark(d, query_id, 1, err, len);
}

int sl__shell_db_foreach(sl_shell_db_t *d, sl_shell_db_fn fn, void *arg, char *err, size_t len)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db,
                           "SELECT sql, query_id, props, terminated FROM commands ORDER BY seq", -1,
                           &st, NULL) != SQLITE_OK)
        return fail(d->db, "catalog", err, len);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        const char *qid = (const char *)sqlite3_column_text(st, 1);
        const char *props = (const char *)sqlite3_column_text(st, 2);
        fn(arg, sql ? sql : "", qid, props ? props : "", sqlite3_column_int(st, 3));
    }
    int out = rc == SQLITE_DONE ? 0 : fail(d->db, "catalog", err, len);
    sqlite3_finalize(st);
    return out;
}
