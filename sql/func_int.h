/* func_int.h — what func.c and the function families (func_*.c) share: each
 * family's table, the implementation signature as a macro, and small builders
 * that grow strings and value vectors inside ctx->al (no malloc per call). */
#ifndef SL_SQL_FUNC_INT_H
#define SL_SQL_FUNC_INT_H

#include <stdarg.h>
#include <string.h>

#include "sql/func.h"
#include "sql/value_int.h"

/* The parameter list of every implementation. */
#define SL_FN_ARGS                                                                                \
    sl_sql_fn_ctx_t *ctx, const sl_sql_type_t *const *at, const sl_sql_value_t *a, size_t n,      \
        const sl_sql_type_t *rt, sl_sql_value_t *out

/* Marks the implementation parameters a function does not look at. */
#define SL_FN_UNUSED (void)ctx, (void)at, (void)a, (void)n, (void)rt

/* Each family's table (defined in its func_<family>.c). */
#define SL__FN_FAMILIES(X) X(string) X(math) X(null) X(date) X(json) X(collection) X(url)
#define SL__FN_DECL(f)                                \
    extern const sl_sql_function_t sl__sql_fn_##f[]; \
    extern const size_t sl__sql_fn_##f##_n;
SL__FN_FAMILIES(SL__FN_DECL)
#undef SL__FN_DECL

/* The aggregate and table functions, described only (func_other.c): listed
 * and found apart from the families, so that no scalar call resolves to one. */
extern const sl_sql_function_t sl__sql_fn_other[];
extern const size_t sl__sql_fn_other_n;

#define SL_FN_COUNT(arr) (sizeof(arr) / sizeof((arr)[0]))
#define SL_FN(name, cat, desc, ovs) {name, cat, desc, ovs, SL_FN_COUNT(ovs)}

/** A NULL of type t (t NULL: an untyped NULL, tagged STRING). */
static inline sl_sql_value_t sl__fn_null(const sl_sql_type_t *t)
{
    if (t)
        return sl_sql_value_null(t);
    sl_sql_value_t v = {.base = SL_SQL_STRING, .is_null = 1};
    return v;
}

/** Writes a message to ctx->errbuf and returns err. */
sl_err_t sl__fn_err(sl_sql_fn_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** A string growing inside an allocator (old chunks are abandoned to it). */
typedef struct sl__fn_sb {
    const sl_sql_alloc_t *al;
    char *p;
    size_t len, cap;
    int oom;
} sl__fn_sb_t;

static inline void sl__fn_sb_init(sl__fn_sb_t *b, const sl_sql_alloc_t *al)
{
    b->al = al, b->p = NULL, b->len = 0, b->cap = 0, b->oom = 0;
}

void sl__fn_sb_put(sl__fn_sb_t *b, const void *p, size_t n);
static inline void sl__fn_sb_putc(sl__fn_sb_t *b, char c) { sl__fn_sb_put(b, &c, 1); }
static inline void sl__fn_sb_puts(sl__fn_sb_t *b, const char *s) { sl__fn_sb_put(b, s, strlen(s)); }

/** Finishes b as a STRING (or BYTES when bytes) value in *out: SL_ERR_NOMEM
 * when an append ran out of memory. */
sl_err_t sl__fn_sb_done(sl__fn_sb_t *b, int bytes, sl_sql_value_t *out);

/** A vector of values growing inside an allocator. */
typedef struct sl__fn_vb {
    const sl_sql_alloc_t *al;
    sl_sql_value_t *v;
    size_t len, cap;
    int oom;
} sl__fn_vb_t;

static inline void sl__fn_vb_init(sl__fn_vb_t *b, const sl_sql_alloc_t *al)
{
    b->al = al, b->v = NULL, b->len = 0, b->cap = 0, b->oom = 0;
}

void sl__fn_vb_push(sl__fn_vb_t *b, const sl_sql_value_t *v);

/** Finishes b as an ARRAY (or, when map, a MAP of len/2 entries) value. */
sl_err_t sl__fn_vb_done(sl__fn_vb_t *b, int map, sl_sql_value_t *out);

/** A copy of s[0..n) as a STRING value from ctx->al. */
sl_err_t sl__fn_str(sl_sql_fn_ctx_t *ctx, const char *s, size_t n, sl_sql_value_t *out);

/** A NUL-terminated copy of a STRING value in ctx->al (NULL when out of memory). */
char *sl__fn_cstr(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v);

/** Next pseudo-random 64 bits from ctx's generator. */
uint64_t sl__fn_rand(sl_sql_fn_ctx_t *ctx);

/** Number of UTF-8 code points in s[0..n). */
size_t sl__fn_utf8_count(const char *s, size_t n);

/** Byte offset of code point number cp (clamped to n). */
size_t sl__fn_utf8_offset(const char *s, size_t n, size_t cp);

#endif
