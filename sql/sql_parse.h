/* sql_parse.h — the SQL front end's API: text in, statements (ast.h) out.
 *
 * The pipeline for a script: split it into statements (sl_sql_statement_end),
 * substitute ${variables} defined so far (sl_sql_substitute), parse
 * (sl_sql_parse); on error, show sl_sql_error_format's three lines. The
 * parser is re-entrant: it keeps no state between calls, and any number of
 * threads may parse at once with their own arenas. */
#ifndef SL_SQL_PARSE_H
#define SL_SQL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "sql/ast.h"

/** Where and why a text did not parse. line and col are 1-based (col counts
 * characters); both are 0 when the error has no place (out of memory). */
struct sl_sql_error {
    uint32_t line;
    uint32_t col;
    size_t offset;     /* byte offset of line:col in the text */
    char message[512]; /* e.g. "mismatched input 'FORM' expecting {',', 'FROM'}" */
};

/** Parses every statement of text (NUL-terminated) into arena.
 *
 * Statements are separated by ';'; the last may omit it. Keywords are
 * case-insensitive; unquoted identifiers are upper-cased, `back-quoted` and
 * "double-quoted" ones kept as written. On success *out (allocated in arena,
 * valid until the arena is reset or freed) holds the statements in order; the
 * nodes point into text only through stmt->text, so text must outlive the
 * tree only for that field.
 *
 * Errors: SL_ERR_INVAL for a text that does not parse (err gets line, column
 * and a message; *out is NULL), SL_ERR_NOMEM when memory runs out. Whatever
 * the arena received stays there until the caller resets it. err may be NULL. */
sl_err_t sl_sql_parse(const char *text, sl_arena_t *arena, sl_sql_stmt_list_t **out, sl_sql_error_t *err);

/** As sl_sql_parse, for len bytes of text (no NUL needed; a NUL byte inside
 * is an error). Texts of 4 GiB or more are refused with SL_ERR_RANGE. */
sl_err_t sl_sql_parse_len(const char *text, size_t len, sl_arena_t *arena, sl_sql_stmt_list_t **out,
                          sl_sql_error_t *err);

/** Formats err for people: "line L:C: message", then the line of text it is
 * in, then a caret under column C (tabs kept so the caret lines up):
 *
 *     line 1:15: mismatched input 'FORM' expecting ...
 *     SELECT * FROM FORM x;
 *                   ^
 *
 * An error with no place gives only its message. text is the text that was
 * parsed (NUL-terminated). Returns a malloc'd string the caller frees, or NULL
 * when memory runs out. */
char *sl_sql_error_format(const sl_sql_error_t *err, const char *text);

/** A variable for ${name} substitution. */
typedef struct sl_sql_var {
    const char *name;  /* matched case-insensitively */
    const char *value; /* substituted as is (DEFINE's quotes already removed) */
} sl_sql_var_t;

/** Replaces every ${name} in text[0..len) with its value from vars (names
 * compared case-insensitively), as ksqlDB does before parsing: anywhere in
 * the text, inside string literals too. $${name} is an escape that leaves
 * ${name}. A reference to a name not in vars stays as written (the parser
 * then reports it). *out gets a NUL-terminated copy in arena (valid until the
 * arena is reset), *out_len its length (out_len may be NULL).
 * Errors: SL_ERR_NOMEM. */
sl_err_t sl_sql_substitute(const char *text, size_t len, const sl_sql_var_t *vars, size_t nvars, sl_arena_t *arena,
                           char **out, size_t *out_len);

/** Finds the end of the first statement in text[0..len): returns the offset
 * just past its ';' (a ';' inside a string, a quoted identifier or a comment
 * does not count) and sets *complete, or returns len with *complete false
 * when no ';' ends it (the shell then reads more lines). complete may be NULL. */
size_t sl_sql_statement_end(const char *text, size_t len, bool *complete);

#endif
