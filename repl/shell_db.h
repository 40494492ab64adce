/* shell_db.h — the shell's catalog in SQLite (<data-dir>/catalog.db): the
 * statements that made streams, tables, types and persistent queries, in
 * order, replayed when the shell starts. Private to repl/. All strings are
 * the caller's; errors are -1 with err (len bytes) saying why. */
#ifndef SL_REPL_SHELL_DB_H
#define SL_REPL_SHELL_DB_H

#include <stddef.h>
#include <stdlib.h>

typedef struct sl_shell_db sl_shell_db_t;

/* Opens (creating when missing) the catalog in data_dir, which must exist.
 * *out is the caller's (sl__shell_db_close). */
int sl__shell_db_open(const char *data_dir, sl_shell_db_t **out, char *err, size_t len);

/* Closes it; NULL is a no-op. */
void sl__shell_db_close(sl_shell_db_t *d);

/* Appends a statement that ran: sql[0..sql_len), the query it made
 * (query_id, or NULL) and the properties it ran with (props: "key=value"
 * lines, or NULL). Durable when it returns 0. */
int sl__shell_db_append(sl_shell_db_t *d, const char *sql, size_t sql_len, const char *query_id,
                        const char *props, char *err, size_t len);

/* Appends the statement that upgraded query_id (CREATE OR REPLACE … AS
 * SELECT of its sink) and marks its earlier statements upgraded, at once: a
 * replay compiles them (for the catalog) and starts only the last. */
int sl__shell_db_upgrade(sl_shell_db_t *d, const char *sql, size_t sql_len, const char *query_id,
                         const char *props, char *err, size_t len);

/* Marks query_id terminated: a replay makes its sink but does not start it. */
int sl__shell_db_terminate(sl_shell_db_t *d, const char *query_id, char *err, size_t len);

/* A replayed statement: its text, query id (NULL: none), properties, and
 * whether its query was terminated (1) or upgraded by a later statement
 * (SL_SHELL_DB_UPGRADED). */
#define SL_SHELL_DB_UPGRADED 2
typedef void (*sl_shell_db_fn)(void *arg, const char *sql, const char *query_id,
                               const char *props, int terminated);

/* Calls fn with each statement in the order they ran. */
int sl__shell_db_foreach(sl_shell_db_t *d, sl_shell_db_fn fn, void *arg, char *err, size_t len);

#endif
