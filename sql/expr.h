/* expr.h — the expression compiler and evaluator: an expression of the syntax
 * tree (ast.h), checked against a scope of typed columns, becomes a compiled
 * program (resolved column slots, function overloads, implicit widenings,
 * literal-only subtrees folded) that is then evaluated once per record
 * without a malloc.
 *
 * Semantics are ksqlDB's (its ExpressionTypeManager, Operator, ComparisonUtil
 * and generated code), with these rules worth knowing:
 *   - arithmetic: INT op INT is INT, with BIGINT it is BIGINT (both wrap on
 *     overflow, as Java does); with DOUBLE it is DOUBLE; DECIMAL with INT
 *     (as DECIMAL(10, 0)), BIGINT (DECIMAL(19, 0)) or DECIMAL is a DECIMAL:
 *     + and -: scale max(s1, s2), precision max(s1, s2) + max(p1-s1, p2-s2) + 1;
 *     *: p1 + p2 + 1, s1 + s2; /: scale max(6, s1 + p2 + 1), precision
 *     p1 - s1 + s2 + that scale; %: min(p1-s1, p2-s2) + max(s1, s2), max(s1, s2).
 *     Precision and scale are capped at 38 (ksqlDB has no cap; 128 bits do).
 *     DECIMAL with DOUBLE is DOUBLE. STRING + STRING concatenates. Integer
 *     division or modulus by zero is a run-time error ("/ by zero"); DOUBLE
 *     follows IEEE (Infinity, NaN). A DECIMAL quotient that is not exact at
 *     the result's scale is a run-time error ("Rounding necessary"), as
 *     ksqlDB's BigDecimal.divide with RoundingMode.UNNECESSARY is.
 *   - a || b is CONCAT(a, b).
 *   - comparisons (=, <>, <, <=, >, >=, BETWEEN, IN, LIKE, simple CASE) with
 *     a NULL operand are FALSE, not NULL: ksqlDB's generated code guards each
 *     comparison with "either side null ? false". NOT BETWEEN, NOT IN and NOT
 *     LIKE are NOT of that result (so TRUE for a NULL operand), as ksqlDB
 *     parses them. A NULL literal compared with = etc. is refused at compile
 *     time ("Comparison with NULL not supported").
 *   - AND, OR, NOT are three-valued on NULL booleans (a column, a function
 *     result, CAST(NULL AS BOOLEAN)): FALSE AND NULL is FALSE, TRUE OR NULL
 *     is TRUE, NOT NULL is NULL, otherwise NULL.
 *   - subscripts: ARRAY[i] is 1-based, a negative i counts from the end (-1
 *     is the last), out of range (and 0) is NULL; MAP[k] is NULL when k is
 *     absent. A NULL base or index gives NULL.
 *   - the pseudo-columns: ROWTIME BIGINT (ksqlDB still types it BIGINT),
 *     ROWPARTITION INTEGER, ROWOFFSET BIGINT, and WINDOWSTART / WINDOWEND
 *     BIGINT when the scope says the source is windowed.
 *   - an error while evaluating (a function that fails, a CAST of 'x' to
 *     INT, a division by zero) makes the whole expression NULL and returns
 *     the error with a message, for the caller's processing log: ksqlDB logs
 *     the exception and emits NULL for that expression. */
#ifndef SL_SQL_EXPR_H
#define SL_SQL_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/ast.h"
#include "sql/func.h"
#include "sql/value.h"

struct sl_sql_catalog; /* catalog.h: custom types for CAST */

/* ---- scopes --------------------------------------------------------------------- */

/** The pseudo-columns a record carries besides its columns; their values are
 * passed to sl_sql_expr_eval in this order. */
typedef enum sl_sql_pseudo {
    SL_SQL_PSEUDO_ROWTIME,      /* BIGINT: the record's timestamp */
    SL_SQL_PSEUDO_ROWPARTITION, /* INTEGER: its partition */
    SL_SQL_PSEUDO_ROWOFFSET,    /* BIGINT: its offset */
    SL_SQL_PSEUDO_WINDOWSTART,  /* BIGINT: only in a windowed scope */
    SL_SQL_PSEUDO_WINDOWEND,    /* BIGINT: only in a windowed scope */
    SL_SQL_PSEUDO_COUNT
} sl_sql_pseudo_t;

/** One column an expression can see: the source alias it belongs to (NULL
 * when it has none, e.g. the output of a projection), its name (as stored:
 * upper case unless it was quoted; matched exactly), its type, and its index
 * in the row array given to sl_sql_expr_eval. */
typedef struct sl_sql_scope_col {
    const char *source;
    const char *name;
    const sl_sql_type_t *type;
    uint32_t slot; /* may carry SL_SQL_SLOT_QUALIFIED */
} sl_sql_scope_col_t;

/** A flag in sl_sql_scope_col_t.slot (the slot is slot & ~flag): the column
 * is found only as source.name, never by its name alone — a join side's own
 * ROWTIME, ROWPARTITION, ROWOFFSET (S.ROWTIME), while an unqualified ROWTIME
 * stays the pseudo-column of the record being processed. (A flag in the slot
 * rather than a field of its own keeps every positional initializer of the
 * struct as it is.) */
#define SL_SQL_SLOT_QUALIFIED 0x80000000u

/** What an expression can see: a plain struct the caller fills and keeps
 * for the duration of sl_sql_expr_compile (the compiled expression does not
 * point to it). Name resolution is ksqlDB's: an unqualified name must match
 * exactly one column (of any source) — none is "<clause> column 'X' cannot
 * be resolved.", several "Column 'X' is ambiguous. Could be any of: A.X,
 * B.X"; a qualified A.X must match a column of source A (A must be one of
 * sources[], or the name of some column's source). Pseudo-columns are
 * found when no column has the name: ROWTIME, ROWPARTITION and ROWOFFSET
 * always (qualified or not: a join passes the values of the record being
 * processed), WINDOWSTART and WINDOWEND when windowed is set. */
typedef struct sl_sql_scope {
    const sl_sql_scope_col_t *cols;
    size_t ncols;
    bool windowed;
} sl_sql_scope_t;

/* ---- compiling ------------------------------------------------------------------- */

/** An aggregate call met while compiling (COUNT, SUM, ... — any name in
 * sl_sql_expr_is_aggregate). Returns 0 and sets *slot and *type to make the
 * call a reference to row[*slot] of that type (the planner computes the
 * aggregate and puts its value there); non-zero to refuse it, with a message
 * in errbuf. call is the AST node of the call. */
typedef int (*sl_sql_agg_fn)(void *arg, const sl_sql_expr_t *call, uint32_t *slot,
                             const sl_sql_type_t **type, char *errbuf, size_t errlen);

/** Options of a compilation. A zeroed struct is valid. */
typedef struct sl_sql_expr_opts {
    /** The clause the expression comes from, for messages: "WHERE",
     * "SELECT", "GROUP BY", "HAVING", "PARTITION BY", "JOIN ON" ... NULL:
     * "SELECT". */
    const char *clause;
    /** Aggregate calls: NULL refuses them ("Aggregate functions are not
     * allowed in <clause>: COUNT"). */
    sl_sql_agg_fn on_aggregate;
    void *agg_arg;
    /** Where CAST's custom type names (CREATE TYPE) are looked up; NULL:
     * a custom type is "Unknown type: X". Only read during the compilation. */
    const struct sl_sql_catalog *catalog;
} sl_sql_expr_opts_t;

/** A compiled expression: immutable once compiled, so any number of threads
 * may evaluate it at once. Lives in the arena it was compiled into. */
typedef struct sl_sql_cexpr sl_sql_cexpr_t;

/** Type-checks ast against scope and compiles it into *out, allocating
 * everything (the program, result types, folded constants) from arena:
 * valid until the arena is reset or freed; the AST and the scope may go
 * once this returns. *type gets the expression's type (valid as long as the
 * arena; NULL only for an expression that is the bare NULL literal or only
 * NULLs, which the caller may refuse as ksqlDB does). opts may be NULL.
 *
 * Errors: SL_ERR_INVAL for an expression that does not type-check — err (if
 * not NULL) gets the line and column of the offending node and ksqlDB's
 * message where ksqlDB has one, e.g. "WHERE column 'BOB' cannot be
 * resolved.", "Error processing expression: (A + 'x'). Unsupported
 * arithmetic types. INTEGER STRING", "Cannot compare A (INTEGER) to B
 * (STRING) with EQUAL."; SL_ERR_NOMEM. Nothing is freed on error: what was
 * allocated stays in the arena. */
sl_err_t sl_sql_expr_compile(const sl_sql_expr_t *ast, const sl_sql_scope_t *scope,
                             const sl_sql_expr_opts_t *opts, sl_arena_t *arena,
                             const sl_sql_cexpr_t **out, const sl_sql_type_t **type,
                             sl_sql_error_t *err);

/** The compiled expression's type (as sl_sql_expr_compile gave it). */
const sl_sql_type_t *sl_sql_cexpr_type(const sl_sql_cexpr_t *e);

/** Non-zero when the compiled expression is a constant (no column, no
 * pseudo-column, nothing volatile): its value is then the same for every
 * record. */
int sl_sql_cexpr_is_const(const sl_sql_cexpr_t *e);

/** Non-zero when name (any case) is one of ksqlDB's aggregate functions
 * (COUNT, SUM, AVG, MIN, MAX, COUNT_DISTINCT, LATEST_BY_OFFSET, ...). */
int sl_sql_expr_is_aggregate(const char *name);

/* ---- evaluating ------------------------------------------------------------------- */

/** Evaluates e on one record into *out.
 *
 * row: the record's column values, indexed by the scope's slots (NULL is
 * fine for an expression that reads no column). pseudo: SL_SQL_PSEUDO_COUNT
 * values indexed by sl_sql_pseudo_t (NULL when the expression reads none;
 * only the ones the scope allowed are read). ctx: the thread's function
 * context; ctx->al is required and receives every value the evaluation makes
 * (strings, containers, function results) — use an arena or record scope
 * reset per record or batch: *out may point into it and into row. Nothing is
 * malloc'd. ctx->call_lambda and ctx->eval are used during the call and
 * restored before it returns.
 *
 * Errors: a run-time failure (a function's error, a failed CAST, an integer
 * division by zero, a DECIMAL overflow) gives *out = NULL of the expression's
 * type and returns the error (SL_ERR_INVAL, SL_ERR_RANGE, ...), with the
 * message in ctx->errbuf when there is one — the processing log's entry;
 * SL_ERR_NOMEM when ctx->al runs out. Never crashes on any input values. */
sl_err_t sl_sql_expr_eval(const sl_sql_cexpr_t *e, const sl_sql_value_t *row, const sl_sql_value_t *pseudo,
                          sl_sql_fn_ctx_t *ctx, sl_sql_value_t *out);

/** Results of sl_sql_expr_predicate. */
typedef enum sl_sql_tristate {
    SL_SQL_FALSE = 0,
    SL_SQL_TRUE = 1,
    SL_SQL_NULL = 2
} sl_sql_tristate_t;

/** Evaluates a BOOLEAN expression (a WHERE, HAVING or ON condition) to
 * TRUE, FALSE or NULL in *res; a WHERE keeps only TRUE. A run-time error
 * gives SL_SQL_NULL and returns the error as sl_sql_expr_eval does.
 * SL_ERR_INVAL without evaluating when e is not BOOLEAN. */
sl_err_t sl_sql_expr_predicate(const sl_sql_cexpr_t *e, const sl_sql_value_t *row,
                               const sl_sql_value_t *pseudo, sl_sql_fn_ctx_t *ctx,
                               sl_sql_tristate_t *res);

#endif
