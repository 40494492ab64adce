/* func.h — the scalar function library: a registry of ksqlDB's built-in scalar
 * functions, overload resolution for the analyzer, and the call entry point
 * for the expression evaluator. Aggregates and table functions live elsewhere.
 *
 * Model. A function has a case-insensitive name, a category ("STRING",
 * "MATHEMATICAL", ...), a description and one or more overloads. An overload
 * declares its parameters as a signature string in a small type-pattern
 * language, the same text DESCRIBE FUNCTION shows:
 *
 *   BOOLEAN INT BIGINT DOUBLE STRING BYTES DATE TIME TIMESTAMP   that type
 *   DECIMAL                   any DECIMAL(p, s)
 *   STRUCT                    any STRUCT
 *   T, U, K, V, S (one upper-case letter)   a generic: binds to any type; every
 *                             occurrence must then be that type
 *   ARRAY<p>, MAP<p, p>       containers of patterns
 *   (p, ...) => p             a lambda argument: its parameter types and the
 *                             type of its body
 *   p...                      (last parameter only) zero or more of p
 *
 * and its return type either as a pattern over the same generics ("ARRAY<U>")
 * or by a function of the argument types (ROUND(DECIMAL(p, s), n) and the like).
 *
 * Resolution follows ksqlDB's UdfIndex: an argument matches a parameter when
 * its type is the parameter's, or widens to it implicitly (INT → BIGINT →
 * DECIMAL → DOUBLE; INT is DECIMAL(10, 0) and BIGINT DECIMAL(19, 0)); a NULL
 * literal (type NULL) matches anything; a generic bound to a number widens to
 * the widest number it meets (GREATEST(INT, BIGINT) is GREATEST(BIGINT,
 * BIGINT)). Among the overloads that match, the one needing the fewest
 * widenings wins, and a concrete parameter beats a generic one; ties go to
 * the overload declared first. Widening inside containers is not implicit
 * (ARRAY<INT> does not match ARRAY<BIGINT>), as in ksqlDB.
 *
 * Calls. sl_sql_func_call casts the arguments to the resolved parameter types
 * (the widenings above), returns NULL without calling the implementation when
 * the overload is null-strict and an argument is NULL, and otherwise calls the
 * implementation, which allocates its result from ctx->al — never with malloc.
 *
 * Errors at run time. ksqlDB's UDFs mostly answer bad input with NULL (JSON
 * that does not parse, a URL that is not one, a date that does not match its
 * pattern in the *_JSON and URL families); where ksqlDB's UDF throws (an
 * unknown encoding name, a bad pattern, a date that does not parse in
 * PARSE_TIMESTAMP & co.), the implementation returns SL_ERR_INVAL with the
 * message in ctx->errbuf. ksqlDB turns such an exception into a NULL column
 * and a processing-log entry; that is the evaluator's job. docs/sql/functions.md
 * lists each function's rule.
 *
 * Threads. The registry is static and read-only: resolution and calls may run
 * on any thread. A ctx (and its cache) belongs to one thread. */
#ifndef SL_SQL_FUNC_H
#define SL_SQL_FUNC_H

#include <stddef.h>
#include <stdint.h>

#include "sql/value.h"

typedef struct sl_sql_fn_ctx sl_sql_fn_ctx_t;
typedef struct sl_sql_function sl_sql_function_t;
typedef struct sl_sql_overload sl_sql_overload_t;

/** Compiled regular expressions kept across calls, so that a REGEXP_* call
 * with the same pattern as a recent one compiles nothing (and mallocs
 * nothing). Owned by whoever makes it; one thread at a time. */
typedef struct sl_sql_fn_cache sl_sql_fn_cache_t;

/** A new, empty cache; NULL when memory runs out. */
sl_sql_fn_cache_t *sl_sql_fn_cache_new(void);

/** Frees the cache and everything compiled in it. NULL is a no-op. */
void sl_sql_fn_cache_destroy(sl_sql_fn_cache_t *c);

/** Evaluates lambda argument number lambda_index (counting only the lambda
 * arguments of the call, from 0) on args[0..nargs), writing its result to
 * *out (memory from ctx->al, or the evaluator's own record scope). Provided
 * by the evaluator. Errors: whatever evaluating the body returns. */
typedef sl_err_t (*sl_sql_lambda_fn)(sl_sql_fn_ctx_t *ctx, size_t lambda_index,
                                     const sl_sql_value_t *args, size_t nargs, sl_sql_value_t *out);

/** What a function implementation gets besides its arguments. A plain struct
 * the evaluator fills; one per thread, reused for every call. */
struct sl_sql_fn_ctx {
    const sl_sql_alloc_t *al;   /* results and temporaries (required) */
    sl_sql_lambda_fn call_lambda; /* required for TRANSFORM, FILTER, REDUCE */
    void *eval;                 /* the evaluator's own state, for call_lambda */
    sl_sql_fn_cache_t *cache;   /* optional: without one, REGEXP_* compile per call */
    uint64_t rand_state;        /* RANDOM, UUID: xorshift state; 0 = seed on first use */
    int64_t now_ms;             /* UNIX_TIMESTAMP(), UNIX_DATE(): 0 = the clock */
    char *errbuf;               /* run-time error messages (may be NULL) */
    size_t errlen;
};

/** A function implementation. arg_types[i] is the (resolved parameter) type
 * of args[i] (NULL for a NULL literal, whose value is then a NULL of some
 * base); ret_type is the resolved return type; the result goes to *out, its
 * memory from ctx->al. Lambda arguments appear as NULL values; call them
 * through ctx->call_lambda. Errors: SL_ERR_INVAL (bad input where ksqlDB
 * throws; ctx->errbuf says why), SL_ERR_RANGE (overflow), SL_ERR_NOMEM. */
typedef sl_err_t (*sl_sql_fn_impl_t)(sl_sql_fn_ctx_t *ctx, const sl_sql_type_t *const *arg_types,
                                     const sl_sql_value_t *args, size_t nargs,
                                     const sl_sql_type_t *ret_type, sl_sql_value_t *out);

/** A return-type function: the type of a call given its resolved parameter
 * types (NULL for a NULL literal); NULL when memory runs out. */
typedef const sl_sql_type_t *(*sl_sql_fn_ret_t)(const sl_sql_alloc_t *al,
                                                const sl_sql_type_t *const *types, size_t n);

/** Overload flags. */
enum {
    /** Any NULL (non-lambda) argument makes the result NULL; the
     * implementation is not called. Most of ksqlDB's functions. */
    SL_SQL_FN_STRICT = 1,
    /** The result may differ between calls with the same arguments (RANDOM,
     * UUID, UNIX_TIMESTAMP()): never constant-folded. */
    SL_SQL_FN_VOLATILE = 2
};

/** One overload (static data in the registry). */
struct sl_sql_overload {
    const char *params;   /* the parameter patterns, e.g. "ARRAY<T>, (T) => U" */
    const char *ret;      /* the return pattern, e.g. "ARRAY<U>"; NULL: retfn decides */
    sl_sql_fn_ret_t retfn;
    sl_sql_fn_impl_t impl;
    unsigned flags;       /* SL_SQL_FN_* */
};

/** One function (static data in the registry). */
struct sl_sql_function {
    const char *name;     /* upper case */
    const char *category; /* as DESCRIBE FUNCTION shows it: "STRING", "MATHEMATICAL", ... */
    const char *description;
    const sl_sql_overload_t *overloads;
    size_t noverloads;
};

/** A resolved call: what the analyzer keeps and the evaluator calls with.
 * Allocated from the allocator given to sl_sql_func_resolve, lives as long. */
typedef struct sl_sql_fn_call {
    const sl_sql_function_t *fn;
    const sl_sql_overload_t *ov;
    const sl_sql_type_t *ret;                 /* the call's type */
    size_t nargs;
    const sl_sql_type_t *const *arg_types;    /* the arguments' own types (NULL: NULL literal) */
    const sl_sql_type_t *const *param_types;  /* what each is cast to before the call */
    uint32_t lambda_mask;                     /* bit i: argument i is a lambda */
} sl_sql_fn_call_t;

/** The function called name (case-insensitive), or NULL. Valid forever. */
const sl_sql_function_t *sl_sql_func_find(const char *name);

/** Resolves name(arg_types[0..nargs)) to an overload. arg_types[i] is the
 * argument's type, NULL for a NULL literal; for a lambda argument (bit i of
 * lambda_mask set, at most 32 arguments can be lambdas) it is the type of the
 * lambda's body, typed with the parameter types sl_sql_func_lambda_params
 * gave. On success *out (from al) describes the call. Errors, errbuf in
 * ksqlDB's words: SL_ERR_INVAL "Can't find any functions with the name
 * 'FOO'", "Function 'FOO' does not accept parameters (STRING, INTEGER)."
 * followed by the valid alternatives, or a return type that cannot be
 * inferred from NULL arguments; SL_ERR_NOMEM. */
sl_err_t sl_sql_func_resolve(const char *name, const sl_sql_type_t *const *arg_types, size_t nargs,
                             uint32_t lambda_mask, const sl_sql_alloc_t *al,
                             const sl_sql_fn_call_t **out, char *errbuf, size_t errlen);

/** The parameter types of lambda argument number arg (an index into the
 * call's arguments, whose bit is set in lambda_mask) given the types of the
 * other arguments (the lambda arguments' own entries are ignored, may be
 * NULL): for TRANSFORM(ARRAY<INT>, x => ...) x is INTEGER. Writes up to
 * max types to params and their number to *nparams. The analyzer calls this
 * before typing the lambda's body, then sl_sql_func_resolve. Errors:
 * SL_ERR_INVAL (no overload takes a lambda with that many parameters there,
 * or its types cannot be inferred: errbuf says why), SL_ERR_NOMEM. */
sl_err_t sl_sql_func_lambda_params(const char *name, const sl_sql_type_t *const *arg_types,
                                   size_t nargs, uint32_t lambda_mask, size_t arg,
                                   size_t nparams_given, const sl_sql_alloc_t *al,
                                   const sl_sql_type_t **params, size_t max, size_t *nparams,
                                   char *errbuf, size_t errlen);

/** Calls a resolved function on args[0..call->nargs) (values of
 * call->arg_types; lambda arguments' values are ignored), result in *out
 * (memory from ctx->al). Errors: as the implementation's (sl_sql_fn_impl_t),
 * or the implicit cast's. */
sl_err_t sl_sql_func_call(sl_sql_fn_ctx_t *ctx, const sl_sql_fn_call_t *call,
                          const sl_sql_value_t *args, sl_sql_value_t *out);

/** Calls cb(arg, fn) for every function in name order (SHOW FUNCTIONS,
 * DESCRIBE FUNCTION); stops early when cb returns non-zero and returns that. */
int sl_sql_func_list(int (*cb)(void *arg, const sl_sql_function_t *fn), void *arg);

/** The aggregate (category "AGGREGATE") or table ("TABLE") function named
 * name, case-insensitively, as DESCRIBE FUNCTION shows it; NULL when there is
 * none. Its overloads only describe it (no impl): the SQL compiler runs these
 * functions itself. Static data. */
const sl_sql_function_t *sl_sql_func_find_other(const char *name);

/** Every function, scalar, aggregate and table, in name order, as SHOW
 * FUNCTIONS lists them: calls cb for each until it returns non-zero, and
 * returns that (0 when all were listed). */
int sl_sql_func_list_all(int (*cb)(void *arg, const sl_sql_function_t *fn), void *arg);

#endif
