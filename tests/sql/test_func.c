/* test_func.c — the scalar function library: the registry's signatures,
 * overload resolution and its error messages, and every function family
 * against values worked out from ksqlDB's documentation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sql/func.h"

static sl_arena_t arena = SL_ARENA_INIT;
static sl_sql_alloc_t al;
static char eb[1024];

static const sl_sql_type_t *P(sl_sql_base_t b) { return sl_sql_type_prim(b); }

static const sl_sql_type_t *DEC(int p, int s)
{
    const sl_sql_type_t *t = NULL;
    assert_int_equal(sl_sql_type_decimal(&al, p, s, &t, eb, sizeof eb), SL_OK);
    return t;
}

static const sl_sql_type_t *ARRT(const sl_sql_type_t *it) { return sl_sql_type_array(&al, it); }

static const sl_sql_type_t *MAPT(const sl_sql_type_t *k, const sl_sql_type_t *v)
{
    const sl_sql_type_t *t = NULL;
    assert_int_equal(sl_sql_type_map(&al, k, v, &t, eb, sizeof eb), SL_OK);
    return t;
}

/* A typed argument. t == NULL: the NULL literal. */
typedef struct tv {
    const sl_sql_type_t *t;
    sl_sql_value_t v;
} tv_t;

#define EMO "\xf0\x9f\x98\x80" /* U+1F600, 2 UTF-16 units */

static tv_t S(const char *s) { return (tv_t){P(SL_SQL_STRING), sl_sql_value_string(s, strlen(s))}; }
static tv_t I(int32_t x) { return (tv_t){P(SL_SQL_INT), sl_sql_value_int(x)}; }
static tv_t BI(int64_t x) { return (tv_t){P(SL_SQL_BIGINT), sl_sql_value_bigint(x)}; }
static tv_t D(double x) { return (tv_t){P(SL_SQL_DOUBLE), sl_sql_value_double(x)}; }
static tv_t B(int x) { return (tv_t){P(SL_SQL_BOOLEAN), sl_sql_value_bool(x)}; }
static tv_t BY(const char *s) { return (tv_t){P(SL_SQL_BYTES), sl_sql_value_bytes((const uint8_t *)s, strlen(s))}; }
static tv_t BYN(const char *s, size_t n) { return (tv_t){P(SL_SQL_BYTES), sl_sql_value_bytes((const uint8_t *)s, n)}; }
static tv_t DT(int32_t days) { return (tv_t){P(SL_SQL_DATE), sl_sql_value_date(days)}; }
static tv_t TM(int32_t ms) { return (tv_t){P(SL_SQL_TIME), sl_sql_value_time(ms)}; }
static tv_t TS(int64_t ms) { return (tv_t){P(SL_SQL_TIMESTAMP), sl_sql_value_timestamp(ms)}; }
static tv_t DC(const char *s, int p, int sc)
{
    sl_sql_i128_t u = 0;
    assert_int_equal(sl_sql_decimal_parse(s, strlen(s), p, sc, 0, &u, eb, sizeof eb), SL_OK);
    return (tv_t){DEC(p, sc), sl_sql_value_decimal(u, p, sc)};
}
static tv_t NUL(void) { return (tv_t){NULL, {.base = SL_SQL_STRING, .is_null = 1}}; }
static tv_t N(const sl_sql_type_t *t) { return (tv_t){t, sl_sql_value_null(t)}; }
static tv_t LAM(const sl_sql_type_t *body) { return (tv_t){body, {.base = SL_SQL_STRING, .is_null = 1}}; }

/* An ARRAY of the given items (all of type it). */
static tv_t ARR(const sl_sql_type_t *it, size_t n, const tv_t *items)
{
    tv_t r = {ARRT(it), {0}};
    assert_int_equal(sl_sql_value_container(&al, r.t, n, &r.v), SL_OK);
    for (size_t i = 0; i < n; i++)
        r.v.u.items[i] = items[i].v;
    return r;
}
#define ARRAY(it, ...) ARR(it, sizeof((tv_t[]){__VA_ARGS__}) / sizeof(tv_t), (tv_t[]){__VA_ARGS__})

/* A MAP from alternating keys and values. */
static tv_t MP(const sl_sql_type_t *k, const sl_sql_type_t *v, size_t n, const tv_t *kv)
{
    tv_t r = {MAPT(k, v), {0}};
    assert_int_equal(sl_sql_value_container(&al, r.t, n / 2, &r.v), SL_OK);
    for (size_t i = 0; i < n; i++)
        r.v.u.items[i] = kv[i].v;
    return r;
}
#define MAP(k, v, ...) MP(k, v, sizeof((tv_t[]){__VA_ARGS__}) / sizeof(tv_t), (tv_t[]){__VA_ARGS__})

/* ---- the stand-in evaluator for lambdas ---------------------------------------- */

typedef sl_err_t (*lam_t)(const sl_sql_value_t *args, size_t n, sl_sql_value_t *out);
static lam_t lambdas[4];

static sl_err_t call_lambda(sl_sql_fn_ctx_t *ctx, size_t idx, const sl_sql_value_t *args, size_t n,
                            sl_sql_value_t *out)
{
    (void)ctx;
    assert_true(idx < 4 && lambdas[idx]);
    return lambdas[idx](args, n, out);
}

static sl_sql_fn_ctx_t ctx;
static sl_sql_fn_cache_t *cache;
static const sl_sql_type_t *last_type;

static void setup(void)
{
    al = sl_sql_alloc_arena(&arena);
    eb[0] = 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.al = &al;
    ctx.call_lambda = call_lambda;
    ctx.cache = cache;
    ctx.errbuf = eb;
    ctx.errlen = sizeof eb;
    ctx.rand_state = 42;
}
static void done(void) { sl_arena_free(&arena); }

static const char *type_str(const sl_sql_type_t *t)
{
    static char out[256];
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    sl_buf_free(&b);
    return out;
}

/* Resolves and calls fn; the result printed for display, "ERR:<code>" when
 * the call fails, "RESOLVE:<message>" when resolution does. last_type gets
 * the resolved return type. */
static const char *runm(const char *fn, size_t n, const tv_t *args, uint32_t mask)
{
    static char out[2048];
    const sl_sql_type_t *types[16];
    sl_sql_value_t vals[16];
    for (size_t i = 0; i < n; i++)
        types[i] = args[i].t, vals[i] = args[i].v;
    const sl_sql_fn_call_t *call = NULL;
    eb[0] = 0;
    sl_err_t err = sl_sql_func_resolve(fn, types, n, mask, &al, &call, eb, sizeof eb);
    if (err) {
        snprintf(out, sizeof out, "RESOLVE:%s", eb);
        return out;
    }
    last_type = call->ret;
    sl_sql_value_t r;
    err = sl_sql_func_call(&ctx, call, vals, &r);
    if (err) {
        snprintf(out, sizeof out, "ERR:%s", sl_err_name(err));
        return out;
    }
    if (!r.is_null)
        assert_int_equal(r.base, call->ret->base);
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_value_print(call->ret, &r, SL_SQL_PRINT_DISPLAY, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return out;
}

#define CALLM(mask, fn, ...) \
    runm(fn, sizeof((tv_t[]){__VA_ARGS__}) / sizeof(tv_t), (tv_t[]){__VA_ARGS__}, mask)
#define CALL(fn, ...) CALLM(0, fn, __VA_ARGS__)
#define CALL0(fn) runm(fn, 0, NULL, 0)
#define EQ(expect, got) assert_string_equal(got, expect)
#define RTYPE(expect) assert_string_equal(type_str(last_type), expect)

/* ---- registry and resolution ---------------------------------------------------- */

static int count_fn(void *arg, const sl_sql_function_t *fn)
{
    static char prev[64];
    size_t *n = arg;
    if (*n == 0)
        prev[0] = 0;
    assert_true(strcmp(prev, fn->name) < 0); /* name order, no duplicates */
    snprintf(prev, sizeof prev, "%s", fn->name);
    assert_non_null(fn->category);
    assert_non_null(fn->description);
    assert_true(fn->noverloads > 0);
    for (size_t i = 0; i < fn->noverloads; i++)
        assert_non_null(fn->overloads[i].impl);
    (*n)++;
    return 0;
}

/* Every overload's signature parses: resolving it with NULL literals (or its
 * patterns' simplest instances) must not report a bad signature. */
static int check_sigs(void *arg, const sl_sql_function_t *fn)
{
    (void)arg;
    const sl_sql_type_t *types[12] = {0};
    for (size_t i = 0; i < fn->noverloads; i++) {
        const char *p = fn->overloads[i].params;
        size_t n = 0;
        int lambda = 0;
        for (const char *c = p; *c; c++)
            if (*c == '(')
                lambda = 1;
        if (lambda)
            continue;
        if (*p) {
            n = 1;
            int depth = 0;
            for (const char *c = p; *c; c++) {
                depth += *c == '<' ? 1 : *c == '>' ? -1 : 0;
                n += *c == ',' && depth == 0;
            }
        }
        const sl_sql_fn_call_t *call;
        eb[0] = 0;
        sl_err_t err = sl_sql_func_resolve(fn->name, types, n, 0, &al, &call, eb, sizeof eb);
        if (err)
            assert_null(strstr(eb, "bad signature"));
    }
    return 0;
}

static void t_registry(void **state)
{
    (void)state;
    setup();
    size_t n = 0;
    sl_sql_func_list(count_fn, &n);
    assert_true(n > 100);
    sl_sql_func_list(check_sigs, NULL);
    assert_non_null(sl_sql_func_find("ucase"));
    assert_non_null(sl_sql_func_find("Array_Length"));
    assert_null(sl_sql_func_find("NO_SUCH"));
    done();
}

static void t_resolve(void **state)
{
    (void)state;
    setup();
    EQ("RESOLVE:Can't find any functions with the name 'FOO'", CALL("FOO", I(1)));
    const char *r = CALL("UCASE", S("a"), I(1));
    assert_non_null(strstr(r, "Function 'UCASE' does not accept parameters (STRING, INTEGER)."));
    assert_non_null(strstr(r, "Valid alternatives are:\nUCASE(STRING)"));
    /* widening: INT -> BIGINT -> DECIMAL -> DOUBLE, NULL matches anything */
    EQ("2.0", CALL("SQRT", I(4)));
    RTYPE("DOUBLE");
    EQ("3", CALL("ABS", I(-3)));
    RTYPE("INTEGER");
    EQ("3", CALL("ABS", BI(-3)));
    RTYPE("BIGINT");
    EQ("1.50", CALL("ABS", DC("-1.50", 4, 2)));
    RTYPE("DECIMAL(4, 2)");
    EQ("null", CALL("ABS", NUL()));
    /* generics widen to the widest number */
    EQ("5", CALL("GREATEST", I(3), BI(5), I(4)));
    RTYPE("BIGINT");
    EQ("5.5", CALL("GREATEST", I(3), D(5.5)));
    RTYPE("DOUBLE");
    EQ("2.50", CALL("GREATEST", I(2), DC("2.5", 2, 1), DC("1.25", 3, 2)));
    RTYPE("DECIMAL(12, 2)");
    /* no widening inside containers */
    r = CALL("ARRAY_CONCAT", ARRAY(P(SL_SQL_INT), I(1)), ARRAY(P(SL_SQL_STRING), S("a")));
    assert_non_null(strstr(r, "does not accept parameters (ARRAY<INTEGER>, ARRAY<STRING>)"));
    /* return type cannot be inferred from NULLs only */
    r = CALL("COALESCE", NUL(), NUL());
    assert_non_null(strstr(r, "cannot infer"));
    /* lambda parameter inference */
    const sl_sql_type_t *types[3] = {ARRT(P(SL_SQL_INT)), NULL}, *params[4];
    size_t np = 0;
    assert_int_equal(sl_sql_func_lambda_params("transform", types, 2, 2u, 1, 1, &al, params, 4, &np, eb, sizeof eb),
                     SL_OK);
    assert_int_equal(np, 1);
    assert_ptr_equal(params[0], P(SL_SQL_INT));
    const sl_sql_type_t *rtypes[3] = {MAPT(P(SL_SQL_STRING), P(SL_SQL_DOUBLE)), P(SL_SQL_BIGINT), NULL};
    assert_int_equal(sl_sql_func_lambda_params("REDUCE", rtypes, 3, 4u, 2, 3, &al, params, 4, &np, eb, sizeof eb),
                     SL_OK);
    assert_int_equal(np, 3);
    assert_string_equal(type_str(params[0]), "BIGINT");
    assert_string_equal(type_str(params[1]), "STRING");
    assert_string_equal(type_str(params[2]), "DOUBLE");
    /* a lambda where none is taken, and the reverse */
    r = CALLM(1u, "UCASE", LAM(P(SL_SQL_STRING)));
    assert_non_null(strstr(r, "(LAMBDA)"));
    r = CALL("TRANSFORM", ARRAY(P(SL_SQL_INT), I(1)), I(1));
    assert_non_null(strstr(r, "does not accept"));
    done();
}

/* ---- nulls ------------------------------------------------------------------------ */

static void t_nulls(void **state)
{
    (void)state;
    setup();
    EQ("b", CALL("COALESCE", N(P(SL_SQL_STRING)), S("b"), S("c")));
    EQ("null", CALL("COALESCE", N(P(SL_SQL_STRING)), NUL()));
    EQ("2", CALL("COALESCE", NUL(), BI(2)));
    RTYPE("BIGINT");
    EQ("2", CALL("COALESCE", I(2), BI(3)));
    RTYPE("BIGINT");
    EQ("x", CALL("IFNULL", N(P(SL_SQL_STRING)), S("x")));
    EQ("a", CALL("IFNULL", S("a"), S("x")));
    EQ("null", CALL("NULLIF", I(1), I(1)));
    EQ("1", CALL("NULLIF", I(1), I(2)));
    EQ("1", CALL("NULLIF", I(1), NUL()));
    EQ("null", CALL("NULLIF", N(P(SL_SQL_INT)), I(2)));
    EQ("7", CALL("AS_VALUE", BI(7)));
    RTYPE("BIGINT");
    EQ("null", CALL("AS_VALUE", N(P(SL_SQL_STRING))));
    done();
}

/* ---- math ------------------------------------------------------------------------- */

static void t_math(void **state)
{
    (void)state;
    setup();
    EQ("-2147483648", CALL("ABS", I(INT32_MIN))); /* Java's Math.abs */
    EQ("2.5", CALL("ABS", D(-2.5)));
    EQ("2", CALL("CEIL", I(2)));
    EQ("3.0", CALL("CEIL", D(2.1)));
    EQ("-2.0", CALL("CEIL", D(-2.1)));
    EQ("-3.0", CALL("FLOOR", D(-2.1)));
    EQ("2.00", CALL("FLOOR", DC("2.75", 3, 2)));
    EQ("-3.00", CALL("FLOOR", DC("-2.25", 3, 2)));
    EQ("3.00", CALL("CEIL", DC("2.25", 3, 2)));
    EQ("ERR:SL_ERR_RANGE", CALL("CEIL", DC("9.5", 2, 1)));
    EQ("null", CALL("FLOOR", N(P(SL_SQL_DOUBLE))));
    /* ROUND: ties go up (toward positive infinity) */
    EQ("3", CALL("ROUND", D(2.5)));
    RTYPE("BIGINT");
    EQ("-2", CALL("ROUND", D(-2.5)));
    EQ("1.01", CALL("ROUND", D(1.005), I(2)));
    RTYPE("DOUBLE");
    EQ("1200.0", CALL("ROUND", D(1234.5), I(-2)));
    EQ("5", CALL("ROUND", I(5)));
    EQ("13", CALL("ROUND", DC("12.50", 4, 2)));
    RTYPE("DECIMAL(3, 0)");
    EQ("12.40", CALL("ROUND", DC("12.35", 4, 2), I(1)));
    RTYPE("DECIMAL(5, 2)");
    EQ("-12.30", CALL("ROUND", DC("-12.35", 4, 2), I(1)));
    EQ("10.00", CALL("ROUND", DC("12.35", 4, 2), I(-1)));
    EQ("null", CALL("ROUND", D(1.5), N(P(SL_SQL_INT))));
    EQ("-1", CALL("SIGN", D(-0.5)));
    EQ("0", CALL("SIGN", I(0)));
    EQ("1", CALL("SIGN", DC("0.01", 3, 2)));
    EQ("3.0", CALL("SQRT", D(9)));
    EQ("NaN", CALL("SQRT", D(-1)));
    EQ("3.0", CALL("CBRT", D(27)));
    EQ("1.0", CALL("EXP", I(0)));
    EQ("0.0", CALL("LN", I(1)));
    EQ("-Infinity", CALL("LN", I(0)));
    EQ("2.0", CALL("LOG", I(10), I(100)));
    EQ("NaN", CALL("LOG", I(1), I(100)));
    EQ("8.0", CALL("POWER", I(2), I(3)));
    EQ("0.5", CALL("POWER", I(2), I(-1)));
    EQ("180.0", CALL("DEGREES", D(M_PI)));
    EQ("3.141592653589793", CALL("RADIANS", I(180)));
    EQ("3.141592653589793", CALL0("PI"));
    EQ("0.0", CALL("SIN", I(0)));
    EQ("1.0", CALL("COS", I(0)));
    EQ("0.0", CALL("TAN", I(0)));
    EQ("Infinity", CALL("COT", I(0)));
    EQ("1.5707963267948966", CALL("ASIN", I(1)));
    EQ("NaN", CALL("ACOS", I(2)));
    EQ("0.7853981633974483", CALL("ATAN", I(1)));
    EQ("1.5707963267948966", CALL("ATAN2", I(1), I(0)));
    EQ("0.0", CALL("SINH", I(0)));
    EQ("1.0", CALL("COSH", I(0)));
    EQ("0.0", CALL("TANH", I(0)));
    for (int i = 0; i < 100; i++) {
        double r = atof(CALL0("RANDOM"));
        assert_true(r >= 0 && r < 1);
    }
    EQ("c", CALL("GREATEST", S("a"), S("c"), N(P(SL_SQL_STRING)), S("b")));
    EQ("a", CALL("LEAST", S("b"), S("a"), S("c")));
    EQ("null", CALL("LEAST", N(P(SL_SQL_INT)), N(P(SL_SQL_INT))));
    EQ("1970-01-02", CALL("LEAST", DT(1), DT(5)));
    /* GEO_DISTANCE, ksqlDB's documented example */
    double km = atof(CALL("GEO_DISTANCE", D(37.4439), D(-122.1663), D(51.5041), D(-0.0874)));
    assert_true(fabs(km - 8637.58) < 0.01);
    double mi = atof(CALL("GEO_DISTANCE", D(37.4439), D(-122.1663), D(51.5041), D(-0.0874), S("MI")));
    assert_true(fabs(mi - 5367.48) < 0.01);
    EQ("ERR:SL_ERR_INVAL", CALL("GEO_DISTANCE", D(91), D(0), D(0), D(0)));
    done();
}

/* ---- strings ------------------------------------------------------------------------ */

static void t_strings(void **state)
{
    (void)state;
    setup();
    EQ("ab_c", CALL("CONCAT", S("ab"), N(P(SL_SQL_STRING)), S("_c")));
    EQ("", CALL("CONCAT", N(P(SL_SQL_STRING)), N(P(SL_SQL_STRING))));
    EQ("YWJj", CALL("CONCAT", BY("a"), BY("bc")));
    EQ("a, b, c", CALL("CONCAT_WS", S(", "), S("a"), S("b"), N(P(SL_SQL_STRING)), S("c")));
    EQ("null", CALL("CONCAT_WS", N(P(SL_SQL_STRING)), S("a")));
    EQ("hello wörld", CALL("LCASE", S("HeLLo WöRLD")));
    EQ("HELLO", CALL("UCASE", S("hello")));
    EQ("null", CALL("UCASE", N(P(SL_SQL_STRING))));
    EQ("5", CALL("LEN", S("héllo")));
    EQ("3", CALL("LEN", BY("abc")));
    EQ("0", CALL("LEN", S("")));
    EQ("a b", CALL("TRIM", S(" \t a b \n")));
    EQ("", CALL("TRIM", S("   ")));
    /* SUBSTRING, ksqlDB's examples */
    EQ("ll", CALL("SUBSTRING", S("hello"), I(3), I(2)));
    EQ("llo", CALL("SUBSTRING", S("hello"), I(3)));
    EQ("lo", CALL("SUBSTRING", S("hello"), I(-2)));
    EQ("hello", CALL("SUBSTRING", S("hello"), I(-10)));
    EQ("", CALL("SUBSTRING", S("hello"), I(10)));
    EQ("", CALL("SUBSTRING", S("hello"), I(2), I(-1)));
    EQ("hé", CALL("SUBSTRING", S("héllo"), I(0), I(2)));
    EQ("null", CALL("SUBSTRING", S("hello"), N(P(SL_SQL_INT))));
    EQ("YmM=", CALL("SUBSTRING", BY("abc"), I(2)));
    EQ("bazbar", CALL("REPLACE", S("foobar"), S("foo"), S("baz")));
    EQ("xaxbx", CALL("REPLACE", S("ab"), S(""), S("x")));
    EQ("null", CALL("REPLACE", S("ab"), N(P(SL_SQL_STRING)), S("x")));
    EQ("[a, b, , c]", CALL("SPLIT", S("a,b,,c"), S(",")));
    EQ("[, a, ]", CALL("SPLIT", S(",a,"), S(",")));
    EQ("[a, é, c]", CALL("SPLIT", S("aéc"), S("")));
    EQ("[abc]", CALL("SPLIT", S("abc"), S(";")));
    RTYPE("ARRAY<STRING>");
    EQ("null", CALL("SPLIT", N(P(SL_SQL_STRING)), S(",")));
    EQ("{apple=green, cherry=red}", CALL("SPLIT_TO_MAP", S("apple:=green/cherry:=red"), S("/"), S(":=")));
    EQ("{a=3, b=2}", CALL("SPLIT_TO_MAP", S("a=1;;b=2;c;a=3"), S(";"), S("=")));
    EQ("null", CALL("SPLIT_TO_MAP", S("a=1"), S("="), S("=")));
    EQ("null", CALL("SPLIT_TO_MAP", S("a=1"), S(""), S("=")));
    EQ("---abc", CALL("LPAD", S("abc"), I(6), S("-")));
    EQ("ababQ", CALL("LPAD", S("Q"), I(5), S("ab")));
    EQ("ab", CALL("LPAD", S("abc"), I(2), S("-")));
    EQ("null", CALL("LPAD", S("abc"), I(5), S("")));
    EQ("null", CALL("LPAD", S("abc"), I(-1), S("x")));
    EQ("abc---", CALL("RPAD", S("abc"), I(6), S("-")));
    EQ("Qabab", CALL("RPAD", S("Q"), I(5), S("ab")));
    EQ("YWJjeA==", CALL("RPAD", BY("abc"), I(4), BY("x")));
    /* INSTR, ksqlDB's documented examples */
    EQ("2", CALL("INSTR", S("CORPORATE FLOOR"), S("OR")));
    EQ("5", CALL("INSTR", S("CORPORATE FLOOR"), S("OR"), I(3)));
    EQ("14", CALL("INSTR", S("CORPORATE FLOOR"), S("OR"), I(3), I(2)));
    EQ("5", CALL("INSTR", S("CORPORATE FLOOR"), S("OR"), I(-3)));
    EQ("2", CALL("INSTR", S("CORPORATE FLOOR"), S("OR"), I(-3), I(2)));
    EQ("0", CALL("INSTR", S("CORPORATE FLOOR"), S("MOM")));
    EQ("0", CALL("INSTR", N(P(SL_SQL_STRING)), S("x"))); /* ksqlDB's: 0, not NULL */
    EQ("0", CALL("INSTR", S("x"), N(P(SL_SQL_STRING))));
    EQ("null", CALL("INSTR", S("x"), S("x"), N(P(SL_SQL_INT))));
    EQ("null", CALL("INSTR", S("x"), S("x"), I(1), N(P(SL_SQL_INT))));
    EQ("0", CALL("INSTR", S("short"), S("or"), I(4)));  /* ksqlDB's instr.json */
    EQ("0", CALL("INSTR", S("short"), S("or"), I(-4)));
    EQ("5", CALL("INSTR", S("corporate floor"), S("or"), I(-4)));
    EQ("2", CALL("INSTR", S("corporate floor"), S("or"), I(-4), I(2)));
    EQ("5", CALL("INSTR", S("corporate floor"), S("or"), I(-2))); /* must end by the 2nd unit from the end */
    EQ("14", CALL("INSTR", S("corporate floor"), S("or"), I(-1)));
    EQ("0", CALL("INSTR", S("abc"), S("b"), I(0)));
    EQ("0", CALL("INSTR", S("abc"), S("b"), I(1), I(0)));
    EQ("0", CALL("INSTR", S("abc"), S("b"), I(4)));
    EQ("2", CALL("INSTR", S("aaa"), S("aa"), I(1), I(2))); /* overlapping */
    /* UTF-16 units, as Java: an emoji is 2 */
    EQ("4", CALL("INSTR", S("a" EMO "b"), S("b")));
    EQ("4", CALL("LEN", S("a" EMO "b")));
    EQ("1", CALL("LEN", S("\xc3\xa9")));
    EQ(EMO "b", CALL("SUBSTRING", S("a" EMO "b"), I(2)));
    EQ("?b", CALL("SUBSTRING", S("a" EMO "b"), I(3))); /* half a pair: Java writes '?' */
    EQ("a?", CALL("SUBSTRING", S("a" EMO "b"), I(1), I(2)));
    EQ(EMO "", CALL("SUBSTRING", S("a" EMO "b"), I(-3), I(2)));
    EQ("-" EMO, CALL("LPAD", S(EMO ""), I(3), S("-")));
    EQ(EMO "", CALL("LPAD", S(EMO "b"), I(2), S("-")));
    EQ("?", CALL("LPAD", S(EMO "b"), I(1), S("-")));
    EQ(EMO "?b", CALL("LPAD", S("b"), I(4), S(EMO "")));
    EQ("b" EMO "?", CALL("RPAD", S("b"), I(4), S(EMO "")));
    EQ("X--b", CALL("MASK_LEFT", S("A" EMO "b"), I(3)));
    EQ("X-?b", CALL("MASK_LEFT", S("A" EMO "b"), I(2)));
    EQ("A" EMO "x", CALL("MASK_KEEP_LEFT", S("A" EMO "b"), I(3)));
    EQ("Hello World  Foo", CALL("INITCAP", S("hELLO wORLD  foo")));
    EQ("", CALL("INITCAP", S("")));
    done();
}

static void t_strings2(void **state)
{
    (void)state;
    setup();
    EQ("SGVsbG8=", CALL("ENCODE", S("Hello"), S("ascii"), S("base64")));
    EQ("48656c6c6f", CALL("ENCODE", S("Hello"), S("utf8"), S("hex")));
    EQ("Hello", CALL("ENCODE", S("48656C6C6F"), S("hex"), S("utf8")));
    EQ("Hello", CALL("ENCODE", S("SGVsbG8="), S("base64"), S("ascii")));
    EQ("ERR:SL_ERR_INVAL", CALL("ENCODE", S("Hello"), S("ebcdic"), S("hex")));
    EQ("ERR:SL_ERR_INVAL", CALL("ENCODE", S("zz"), S("hex"), S("utf8")));
    EQ("null", CALL("ENCODE", N(P(SL_SQL_STRING)), S("hex"), S("utf8")));
    EQ("IQ==", CALL("TO_BYTES", S("21"), S("hex")));
    EQ("AQ==", CALL("TO_BYTES", S("1"), S("hex")));
    EQ("abc", CALL("FROM_BYTES", BY("abc"), S("utf8")));
    EQ("616263", CALL("FROM_BYTES", BY("abc"), S("HEX")));
    EQ("YWJj", CALL("FROM_BYTES", BY("abc"), S("base64")));
    EQ("a\xEF\xBF\xBD", CALL("FROM_BYTES", BY("a\xC3"), S("ascii")));
    EQ("ERR:SL_ERR_INVAL", CALL("FROM_BYTES", BY("abc"), S("utf16")));
    EQ("16909060", CALL("INT_FROM_BYTES", BY("\x01\x02\x03\x04")));
    EQ("67305985", CALL("INT_FROM_BYTES", BY("\x01\x02\x03\x04"), S("LITTLE_ENDIAN")));
    EQ("ERR:SL_ERR_INVAL", CALL("INT_FROM_BYTES", BY("\x01\x02")));
    EQ("72623859790382856", CALL("BIGINT_FROM_BYTES", BY("\x01\x02\x03\x04\x05\x06\x07\x08")));
    EQ("1.0", CALL("DOUBLE_FROM_BYTES", BYN("\x3F\xF0\0\0\0\0\0\0", 8)));
    EQ("1.0", CALL("DOUBLE_FROM_BYTES", BYN("\0\0\0\0\0\0\xF0\x3F", 8), S("little_endian")));
    const char *u = CALL0("UUID");
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '4');
    assert_int_equal(u[8], '-');
    EQ("00010203-0405-0607-0809-0a0b0c0d0e0f",
       CALL("UUID", BYN("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16)));
    EQ("null", CALL("UUID", BY("short")));
    EQ("K", CALL("CHR", I(75)));
    EQ("K", CALL("CHR", S("\\u004b")));
    EQ("\xE2\x82\xAC", CALL("CHR", I(0x20AC)));
    EQ("null", CALL("CHR", I(-1)));
    EQ("null", CALL("CHR", S("K")));
    /* MASK family, ksqlDB's documented examples */
    EQ("XxXxXxXxX-nnn", CALL("MASK", S("AbCdEfGhI-123")));
    EQ("XxXx--nnnxx-X", CALL("MASK", S("AbCd#$123xy Z")));
    EQ("XxXxXxXx--nnn", CALL("MASK", S("AbCdEfGh!-123")));
    EQ("*.*.*.*.*#999", CALL("MASK", S("AbCdEfGhI-123"), S("*"), S("."), S("9"), S("#")));
    EQ("AbCdEfGhI-nnn", CALL("MASK", S("AbCdEfGhI-123"), NUL(), NUL(), S("n"), NUL()));
    EQ("null", CALL("MASK", N(P(SL_SQL_STRING))));
    EQ("AbCdExXxX-nnn", CALL("MASK_KEEP_LEFT", S("AbCdEfGhI-123"), I(5)));
    EQ("XxXxXxXxI-123", CALL("MASK_KEEP_RIGHT", S("AbCdEfGhI-123"), I(5)));
    EQ("XxXxXfGhI-123", CALL("MASK_LEFT", S("AbCdEfGhI-123"), I(5)));
    EQ("AbCdEfGhX-nnn", CALL("MASK_RIGHT", S("AbCdEfGhI-123"), I(5)));
    EQ("AbC", CALL("MASK_RIGHT", S("AbC"), I(0)));
    EQ("XxX", CALL("MASK_LEFT", S("AbC"), I(99)));
    EQ("ERR:SL_ERR_INVAL", CALL("MASK_LEFT", S("AbC"), I(-1)));
    done();
}

static void t_regex(void **state)
{
    (void)state;
    setup();
    for (int pass = 0; pass < 2; pass++) { /* without, then with, a cache */
        if (pass == 1) {
            cache = sl_sql_fn_cache_new();
            assert_non_null(cache);
            ctx.cache = cache;
        }
        EQ("ell", CALL("REGEXP_EXTRACT", S("e.l"), S("hello")));
        EQ("null", CALL("REGEXP_EXTRACT", S("x+"), S("hello")));
        EQ("Ell", CALL("REGEXP_EXTRACT", S("([AEIOU]).l"), S("hEllo")));
        EQ("E", CALL("REGEXP_EXTRACT", S("([AEIOU])l"), S("hElo"), I(1)));
        EQ("null", CALL("REGEXP_EXTRACT", S("(a)"), S("a"), I(3))); /* no such group: NULL, as ksqlDB */
        EQ("null", CALL("REGEXP_EXTRACT", S("(a)"), S("b"), I(-1)));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT", S("(a)"), S("a"), I(-1)));
        EQ("null", CALL("REGEXP_EXTRACT_ALL", S("(a)"), S("a"), I(2)));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT_ALL", S("(a)"), S("a"), I(-1)));
        /* Java syntax (PCRE2) */
        EQ("foo_1", CALL("REGEXP_EXTRACT", S("\\w+"), S("  foo_1 bar")));
        EQ("a b", CALL("REGEXP_EXTRACT", S("a\\sb"), S("xa by")));
        EQ("foo", CALL("REGEXP_EXTRACT", S("foo(?=bar)"), S("foobaz foobar")));
        EQ("42", CALL("REGEXP_EXTRACT", S("(?<=\\$)\\d+"), S("x 7 $42")));
        EQ("7", CALL("REGEXP_EXTRACT", S("(?<!\\$)\\b\\d+"), S("$42 7")));
        EQ("<b>", CALL("REGEXP_EXTRACT", S("<.+?>"), S("<b>x</b>")));
        EQ("<b>x</b>", CALL("REGEXP_EXTRACT", S("<.+>"), S("<b>x</b>")));
        EQ("a", CALL("REGEXP_EXTRACT", S("a|ab"), S("ab"))); /* leftmost-first, not POSIX's longest */
        EQ("aB", CALL("REGEXP_EXTRACT", S("a(?i)b"), S("AB aB")));
        EQ("Ab", CALL("REGEXP_EXTRACT", S("(?i:a)b"), S("AB Ab")));
        EQ("2024", CALL("REGEXP_EXTRACT", S("(?<y>\\d{4})-(?<m>\\d\\d)"), S("on 2024-05"), I(1)));
        EQ("c", CALL("REGEXP_EXTRACT", S("(?:a|b)(c)"), S("bc"), I(1)));
        EQ("\xc3\xa9t\xc3\xa9", CALL("REGEXP_EXTRACT", S("\\u00e9.\\u00E9"), S("l'\xc3\xa9t\xc3\xa9")));
        EQ("\xf0\x9f\x98\x80", CALL("REGEXP_EXTRACT", S("\\uD83D\\uDE00"), S("a\xf0\x9f\x98\x80")));
        EQ("x\xf0\x9f\x98\x80y", CALL("REGEXP_EXTRACT", S("x.y"), S("x\xf0\x9f\x98\x80y")));
        EQ("abc", CALL("REGEXP_EXTRACT", S("\\p{Lower}+"), S("ABabcD")));
        EQ("AB", CALL("REGEXP_EXTRACT", S("[\\p{Upper}]+"), S("ABabcD")));
        EQ("a.b", CALL("REGEXP_EXTRACT", S("\\Qa.b\\E"), S("axb a.b")));
        EQ("aaa", CALL("REGEXP_EXTRACT", S("a++"), S("aaa")));
        EQ("null", CALL("REGEXP_EXTRACT", S("a++a"), S("aaa"))); /* possessive: no backtracking */
        EQ("null", CALL("REGEXP_EXTRACT", S("^b"), S("a\nb"))); /* ^ at a line start needs (?m) */
        EQ("b", CALL("REGEXP_EXTRACT", S("(?m)^b"), S("a\r\nb")));
        EQ("null", CALL("REGEXP_EXTRACT", S("^b"), S("ab")));
        EQ("null", CALL("REGEXP_EXTRACT", S("a.b"), S("a\nb"))); /* . stops at a line end */
        EQ("a\nb", CALL("REGEXP_EXTRACT", S("(?s)a.b"), S("a\nb")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT", S("[a-z&&[^b]]"), S("a")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT", S("[a[b]]"), S("a")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT", S("\\u12"), S("a")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("*a"), S("b")));
        EQ("[]", CALL("REGEXP_EXTRACT_ALL", S("(?<=a)b"), S("cb")));
        EQ("[b, b]", CALL("REGEXP_EXTRACT_ALL", S("(?<=a)b"), S("abcab")));
        EQ("[1, null, 3]", CALL("REGEXP_EXTRACT_ALL", S("(\\d)|x"), S("1x3"), I(1)));
        EQ("[, ]", CALL("REGEXP_EXTRACT_ALL", S("a*|b"), S("b"))); /* Java steps past an empty match */
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_EXTRACT", S("(a"), S("a")));
        EQ("123", CALL("REGEXP_EXTRACT", S("\\d+"), S("ab123cd")));
        EQ("HELLO", CALL("REGEXP_EXTRACT", S("(?i)hello"), S("say HELLO")));
        EQ("[ab, ab]", CALL("REGEXP_EXTRACT_ALL", S("a.?"), S("abxab")));
        EQ("[1, 22, 333]", CALL("REGEXP_EXTRACT_ALL", S("[0-9]+"), S("a1b22c333")));
        EQ("[a, b]", CALL("REGEXP_EXTRACT_ALL", S("([a-z])[0-9]"), S("a1 b2"), I(1)));
        EQ("[]", CALL("REGEXP_EXTRACT_ALL", S("z"), S("abc")));
        EQ("null", CALL("REGEXP_EXTRACT_ALL", S("z"), N(P(SL_SQL_STRING))));
        EQ("bar", CALL("REGEXP_REPLACE", S("aaabbb"), S("a+b+"), S("bar")));
        EQ("xyz", CALL("REGEXP_REPLACE", S("xyz"), S("q"), S("r")));
        EQ("b-a", CALL("REGEXP_REPLACE", S("a-b"), S("([a-z])-([a-z])"), S("$2-$1")));
        EQ("-a-b-", CALL("REGEXP_REPLACE", S("ab"), S("x*"), S("-")));
        EQ("-a--b-", CALL("REGEXP_REPLACE", S("axxb"), S("x*"), S("-")));
        EQ("05/2024", CALL("REGEXP_REPLACE", S("2024-05"), S("(?<y>\\d+)-(?<m>\\d+)"), S("${m}/${y}")));
        EQ("a0", CALL("REGEXP_REPLACE", S("a"), S("(a)"), S("$10"))); /* $1 then 0: there is no group 10 */
        EQ("$x\\", CALL("REGEXP_REPLACE", S("a"), S("a"), S("\\$x\\\\")));
        EQ("[]", CALL("REGEXP_REPLACE", S("a"), S("(b)?a"), S("[$1]"))); /* a group that took no part */
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("(a)"), S("$2")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("a"), S("$")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("a"), S("x\\")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("(?<n>a)"), S("${m}")));
        EQ("ERR:SL_ERR_INVAL", CALL("REGEXP_REPLACE", S("a"), S("a"), S("$x")));
        EQ("b", CALL("REGEXP_REPLACE", S("b"), S("a"), S("$x"))); /* no match, no replacement read */
        EQ("[a, b, c]", CALL("REGEXP_SPLIT_TO_ARRAY", S("a--b-c"), S("-+")));
        EQ("[, a, b, ]", CALL("REGEXP_SPLIT_TO_ARRAY", S("-a-b-"), S("-")));
        EQ("[abc]", CALL("REGEXP_SPLIT_TO_ARRAY", S("abc"), S("x")));
        EQ("[a, b, c]", CALL("REGEXP_SPLIT_TO_ARRAY", S("abc"), S("")));   /* String.split: */
        EQ("[a, , b]", CALL("REGEXP_SPLIT_TO_ARRAY", S("axxb"), S("x*"))); /* no trailing empties */
        EQ("[a]", CALL("REGEXP_SPLIT_TO_ARRAY", S("a,,"), S(",*")));
        EQ("[ab,  , cd]", CALL("REGEXP_SPLIT_TO_ARRAY", S("ab cd"), S("\\b"))); /* Guava: empty matches */
        EQ("[a, b, ]", CALL("REGEXP_SPLIT_TO_ARRAY", S("a1b2"), S("\\d")));
        EQ("[a, b]", CALL("REGEXP_SPLIT_TO_ARRAY", S("a1b"), S("(?<=a)\\d")));
        EQ("null", CALL("REGEXP_SPLIT_TO_ARRAY", S("abc"), N(P(SL_SQL_STRING))));
    }
    for (int i = 0; i < 40; i++) { /* cache eviction */
        char pat[16];
        snprintf(pat, sizeof pat, "a{%d}", i % 20 + 1);
        assert_int_equal(strlen(CALL("REGEXP_EXTRACT", S(pat), S("aaaaaaaaaaaaaaaaaaaaaaa"))), (size_t)(i % 20 + 1));
    }
    sl_sql_fn_cache_destroy(cache);
    cache = NULL;
    sl_sql_fn_cache_destroy(NULL);
    done();
}

/* ---- collections ------------------------------------------------------------------ */

static void t_arrays(void **state)
{
    (void)state;
    setup();
    const sl_sql_type_t *IT = P(SL_SQL_INT), *ST = P(SL_SQL_STRING);
    tv_t a123 = ARRAY(IT, I(1), I(2), I(3));
    tv_t dup = ARRAY(IT, I(3), I(1), N(IT), I(3), I(1), N(IT));
    EQ("true", CALL("ARRAY_CONTAINS", a123, I(2)));
    EQ("false", CALL("ARRAY_CONTAINS", a123, I(5)));
    EQ("true", CALL("ARRAY_CONTAINS", a123, BI(2)));
    EQ("false", CALL("ARRAY_CONTAINS", N(ARRT(IT)), I(2)));
    EQ("true", CALL("ARRAY_CONTAINS", dup, N(IT)));
    EQ("[3, 1, null]", CALL("ARRAY_DISTINCT", dup));
    EQ("null", CALL("ARRAY_DISTINCT", N(ARRT(IT))));
    EQ("[]", CALL("ARRAY_DISTINCT", ARR(IT, 0, NULL)));
    EQ("[3, null]", CALL("ARRAY_EXCEPT", dup, ARRAY(IT, I(1), I(2))));
    EQ("[3, 1]", CALL("ARRAY_INTERSECT", dup, a123));
    EQ("[3, 1, null, 2]", CALL("ARRAY_UNION", dup, a123));
    EQ("null", CALL("ARRAY_UNION", dup, N(ARRT(IT))));
    EQ("1,2,3", CALL("ARRAY_JOIN", a123));
    EQ("1 - 2 - 3", CALL("ARRAY_JOIN", a123, S(" - ")));
    EQ("3null1", CALL("ARRAY_JOIN", ARRAY(IT, I(3), N(IT), I(1)), S("")));
    EQ("true|false", CALL("ARRAY_JOIN", ARRAY(P(SL_SQL_BOOLEAN), B(1), B(0)), S("|")));
    EQ("null", CALL("ARRAY_JOIN", N(ARRT(IT))));
    EQ("123", CALL("ARRAY_JOIN", a123, N(ST))); /* a NULL delimiter is empty, as ksqlDB's */
    EQ("ERR:SL_ERR_INVAL", CALL("ARRAY_JOIN", ARRAY(ARRT(IT), ARRAY(IT, I(1)))));
    EQ("null", CALL("ARRAY_JOIN", ARRAY(ARRT(IT), N(ARRT(IT)))));
    EQ("ERR:SL_ERR_INVAL", CALL("ARRAY_JOIN", ARRAY(P(SL_SQL_DATE), DT(1))));
    EQ("3", CALL("ARRAY_LENGTH", a123));
    EQ("0", CALL("ARRAY_LENGTH", ARR(IT, 0, NULL)));
    EQ("null", CALL("ARRAY_LENGTH", N(ARRT(IT))));
    EQ("3", CALL("ARRAY_MAX", dup));
    RTYPE("INTEGER");
    EQ("1", CALL("ARRAY_MIN", dup));
    EQ("null", CALL("ARRAY_MAX", ARRAY(IT, N(IT))));
    EQ("c", CALL("ARRAY_MAX", ARRAY(ST, S("a"), S("c"), S("b"))));
    EQ("[3, null, 3, null]", CALL("ARRAY_REMOVE", dup, I(1)));
    EQ("[3, 1, 3, 1]", CALL("ARRAY_REMOVE", dup, N(IT)));
    EQ("[1, 1, 3, 3, null, null]", CALL("ARRAY_SORT", dup));
    EQ("[3, 3, 1, 1, null, null]", CALL("ARRAY_SORT", dup, S("desc")));
    EQ("null", CALL("ARRAY_SORT", dup, S("sideways")));
    EQ("[a, b, c]", CALL("ARRAY_SORT", ARRAY(ST, S("c"), S("a"), S("b"))));
    EQ("[1, 2, 3, 3, 1, null, 3, 1, null]", CALL("ARRAY_CONCAT", a123, dup));
    EQ("[1, 2, 3]", CALL("ARRAY_CONCAT", a123, N(ARRT(IT))));
    EQ("null", CALL("ARRAY_CONCAT", N(ARRT(IT)), N(ARRT(IT))));
    EQ("[2, 3]", CALL("SLICE", a123, I(2), I(3)));
    EQ("[1, 2]", CALL("SLICE", a123, NUL(), I(2)));
    EQ("[2, 3]", CALL("SLICE", a123, I(2), NUL()));
    EQ("null", CALL("SLICE", a123, I(0), I(2)));
    EQ("null", CALL("SLICE", a123, I(2), I(4)));
    EQ("b", CALL("ELT", I(2), S("a"), S("b")));
    EQ("null", CALL("ELT", I(3), S("a"), S("b")));
    EQ("null", CALL("ELT", I(0), S("a")));
    EQ("2", CALL("FIELD", S("b"), S("a"), S("b")));
    EQ("0", CALL("FIELD", S("z"), S("a"), S("b")));
    EQ("0", CALL("FIELD", N(ST), S("a"), N(ST)));
    EQ("[1, 2, 3]", CALL("GENERATE_SERIES", I(1), I(3)));
    RTYPE("ARRAY<INTEGER>");
    EQ("[3, 2, 1]", CALL("GENERATE_SERIES", I(3), I(1)));
    EQ("[0, 5, 10]", CALL("GENERATE_SERIES", BI(0), BI(12), I(5)));
    RTYPE("ARRAY<BIGINT>");
    EQ("ERR:SL_ERR_INVAL", CALL("GENERATE_SERIES", I(1), I(5), I(-1)));
    EQ("ERR:SL_ERR_INVAL", CALL("GENERATE_SERIES", I(1), I(5), I(0)));
    EQ("[5]", CALL("GENERATE_SERIES", I(5), I(5)));
    done();
}

static void t_maps(void **state)
{
    (void)state;
    setup();
    const sl_sql_type_t *IT = P(SL_SQL_INT), *ST = P(SL_SQL_STRING);
    tv_t m = MAP(ST, IT, S("b"), I(2), S("a"), I(1), S("c"), N(IT));
    EQ("[b, a, c]", CALL("MAP_KEYS", m));
    RTYPE("ARRAY<STRING>");
    EQ("[2, 1, null]", CALL("MAP_VALUES", m));
    EQ("null", CALL("MAP_KEYS", N(MAPT(ST, IT))));
    EQ("{b=2, a=10, c=null, d=4}", CALL("MAP_UNION", m, MAP(ST, IT, S("a"), I(10), S("d"), I(4))));
    EQ("{b=2, a=1, c=null}", CALL("MAP_UNION", m, N(MAPT(ST, IT))));
    EQ("[{K=a, V=1}, {K=b, V=2}, {K=c, V=null}]", CALL("ENTRIES", m, B(1)));
    RTYPE("ARRAY<STRUCT<`K` STRING, `V` INTEGER>>");
    EQ("[{K=b, V=2}, {K=a, V=1}, {K=c, V=null}]", CALL("ENTRIES", m, B(0)));
    EQ("{a=1, b=null}", CALL("AS_MAP", ARRAY(ST, S("a"), S("b")), ARRAY(IT, I(1))));
    RTYPE("MAP<STRING, INTEGER>");
    EQ("null", CALL("AS_MAP", N(ARRT(ST)), ARRAY(IT, I(1))));
    done();
}

static sl_err_t lam_double(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 1);
    *out = a[0].is_null ? a[0] : sl_sql_value_int(a[0].u.i32 * 2);
    return SL_OK;
}
static sl_err_t lam_is_odd(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    (void)n;
    *out = a[0].is_null ? sl_sql_value_null(P(SL_SQL_BOOLEAN)) : sl_sql_value_bool(a[0].u.i32 % 2 != 0);
    return SL_OK;
}
static sl_err_t lam_sum(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 2);
    *out = sl_sql_value_bigint(a[0].u.i64 + a[1].u.i32);
    return SL_OK;
}
static sl_err_t lam_key_upper(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 2);
    char *p = sl_sql_alloc(&al, a[0].len);
    for (size_t i = 0; i < a[0].len; i++)
        p[i] = (char)(a[0].u.str[i] - 32);
    *out = sl_sql_value_string(p, a[0].len);
    return SL_OK;
}
static sl_err_t lam_val_plus_len(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 2);
    *out = sl_sql_value_int(a[1].u.i32 + (int32_t)a[0].len);
    return SL_OK;
}
static sl_err_t lam_val_gt1(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 2);
    *out = sl_sql_value_bool(a[1].u.i32 > 1);
    return SL_OK;
}
static sl_err_t lam_map_sum(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    assert_int_equal(n, 3);
    *out = sl_sql_value_bigint(a[0].u.i64 + a[2].u.i32);
    return SL_OK;
}
static sl_err_t lam_fail(const sl_sql_value_t *a, size_t n, sl_sql_value_t *out)
{
    (void)a, (void)n, (void)out;
    return SL_ERR_PROCESSING;
}

static void t_lambdas(void **state)
{
    (void)state;
    setup();
    const sl_sql_type_t *IT = P(SL_SQL_INT), *ST = P(SL_SQL_STRING), *BT = P(SL_SQL_BOOLEAN);
    tv_t arr = ARRAY(IT, I(1), I(2), N(IT), I(3));
    lambdas[0] = lam_double;
    EQ("[2, 4, null, 6]", CALLM(2u, "TRANSFORM", arr, LAM(IT)));
    RTYPE("ARRAY<INTEGER>");
    EQ("null", CALLM(2u, "TRANSFORM", N(ARRT(IT)), LAM(IT)));
    lambdas[0] = lam_is_odd;
    EQ("[1, 3]", CALLM(2u, "FILTER", arr, LAM(BT)));
    RTYPE("ARRAY<INTEGER>");
    assert_non_null(strstr(CALLM(2u, "FILTER", arr, LAM(IT)), "does not accept"));
    lambdas[0] = lam_sum;
    EQ("16", CALLM(4u, "REDUCE", ARRAY(IT, I(1), I(2), I(3)), BI(10), LAM(P(SL_SQL_BIGINT))));
    RTYPE("BIGINT");
    EQ("10", CALLM(4u, "REDUCE", ARR(IT, 0, NULL), BI(10), LAM(P(SL_SQL_BIGINT))));
    EQ("null", CALLM(4u, "REDUCE", ARRAY(IT, I(1)), N(P(SL_SQL_BIGINT)), LAM(P(SL_SQL_BIGINT))));
    EQ("10", CALLM(4u, "REDUCE", N(ARRT(IT)), BI(10), LAM(P(SL_SQL_BIGINT)))); /* ksqlDB: the initial state */
    EQ("null", CALLM(4u, "REDUCE", N(ARRT(IT)), N(P(SL_SQL_BIGINT)), LAM(P(SL_SQL_BIGINT))));
    tv_t m = MAP(ST, IT, S("ab"), I(1), S("c"), I(2));
    lambdas[0] = lam_key_upper, lambdas[1] = lam_val_plus_len;
    EQ("{AB=3, C=3}", CALLM(6u, "TRANSFORM", m, LAM(ST), LAM(IT)));
    RTYPE("MAP<STRING, INTEGER>");
    lambdas[0] = lam_val_gt1;
    EQ("{c=2}", CALLM(2u, "FILTER", m, LAM(BT)));
    lambdas[0] = lam_map_sum;
    EQ("103", CALLM(4u, "REDUCE", m, BI(100), LAM(P(SL_SQL_BIGINT))));
    lambdas[0] = lam_fail;
    EQ("ERR:SL_ERR_PROCESSING", CALLM(2u, "TRANSFORM", arr, LAM(IT)));
    ctx.call_lambda = NULL;
    EQ("ERR:SL_ERR_STATE", CALLM(2u, "TRANSFORM", arr, LAM(IT)));
    memset(lambdas, 0, sizeof lambdas);
    done();
}


/* ---- dates and times ------------------------------------------------------------------- */

#define T20210304 1614852930123LL /* 2021-03-04T10:15:30.123Z */

static void t_dates(void **state)
{
    (void)state;
    setup();
    ctx.now_ms = T20210304;
    EQ("1614852930123", CALL0("UNIX_TIMESTAMP"));
    EQ("1000", CALL("UNIX_TIMESTAMP", TS(1000)));
    EQ("18690", CALL0("UNIX_DATE"));
    EQ("3", CALL("UNIX_DATE", DT(3)));
    EQ("null", CALL("UNIX_DATE", N(P(SL_SQL_DATE))));
    EQ("2021-03-04T10:15:30.123", CALL("FROM_UNIXTIME", BI(T20210304)));
    EQ("1970-01-11", CALL("FROM_DAYS", I(10)));
    /* formatting */
    EQ("2021-03-04 10:15:30.123", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd HH:mm:ss.SSS")));
    EQ("2021-03-04T10:15:30Z", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd'T'HH:mm:ssX")));
    EQ("04 Mar 21, Thu 10:15 AM", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("dd MMM yy, EEE hh:mm a")));
    EQ("March Thursday 063 it's", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("MMMM EEEE DDD 'it''s'")));
    EQ("2021-03-04 15:45:30 +05:30", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd HH:mm:ss XXX"),
                                          S("+05:30")));
    EQ("2021-03-04 11:15 +0100", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd HH:mm Z"),
                                      S("Europe/Paris")));
    EQ("2021-07-04 12:00 +0200", CALL("FORMAT_TIMESTAMP", TS(1625392800000LL), S("yyyy-MM-dd HH:mm Z"),
                                      S("Europe/Paris")));
    EQ("2021-03-04 02:15", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd HH:mm"), S("America/Los_Angeles")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy"), S("Mars/Olympus")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy ww"))); /* locale-dependent weeks */
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy z")));
    EQ("2021 AD Anno Domini A", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy GG GGGG GGGGG")));
    EQ("1 01 Q1 1st quarter 1", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("Q QQ QQQ QQQQ q")));
    EQ("GMT+5:30 GMT+05:30", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("O OOOO"), S("Asia/Kolkata")));
    EQ("GMT-8 GMT-08:00", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("O OOOO"), S("America/Los_Angeles")));
    EQ("GMT GMT", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("O OOOO")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("OO")));
    EQ("2021-03-04 10:15", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy-MM-dd[ HH:mm]")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIMESTAMP", TS(T20210304), S("yyyy]")));
    EQ("0001 BC 0000", CALL("FORMAT_DATE", DT(-719528), S("yyyy G uuuu"))); /* year 0 is 1 BC */
    EQ("Q4 4th quarter", CALL("FORMAT_DATE", DT(18627), S("QQQ QQQQ")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIME", TM(0), S("HH G")));
    EQ("null", CALL("FORMAT_TIMESTAMP", N(P(SL_SQL_TIMESTAMP)), S("yyyy")));
    EQ("1969-12-31 23:59:59.999", CALL("TIMESTAMPTOSTRING", BI(-1), S("yyyy-MM-dd HH:mm:ss.SSS")));
    EQ("2021-03-04 19:15:30", CALL("TIMESTAMPTOSTRING", BI(T20210304), S("yyyy-MM-dd HH:mm:ss"), S("Asia/Tokyo")));
    EQ("2021-03-04", CALL("FORMAT_DATE", DT(18690), S("yyyy-MM-dd")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_DATE", DT(18690), S("yyyy-MM-dd HH")));
    EQ("04/03/2021", CALL("DATETOSTRING", I(18690), S("dd/MM/yyyy")));
    EQ("10:15:30.123", CALL("FORMAT_TIME", TM(36930123), S("HH:mm:ss.SSS")));
    EQ("10:15 AM", CALL("FORMAT_TIME", TM(36930123), S("hh:mm a")));
    EQ("ERR:SL_ERR_INVAL", CALL("FORMAT_TIME", TM(0), S("yyyy")));
    /* parsing */
    EQ("2021-03-04T10:15:30.123", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30.123"), S("yyyy-MM-dd HH:mm:ss.SSS")));
    EQ("2021-03-04T10:15:30.000", CALL("PARSE_TIMESTAMP", S("20210304101530"), S("yyyyMMddHHmmss")));
    EQ("2021-03-04T04:45:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04T10:15:30+05:30"),
                                       S("yyyy-MM-dd'T'HH:mm:ssXXX")));
    EQ("2021-03-04T09:15:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30"), S("yyyy-MM-dd HH:mm:ss"),
                                       S("Europe/Paris")));
    EQ("2021-03-04T00:00:00.000", CALL("PARSE_TIMESTAMP", S("2021-03-04"), S("yyyy-MM-dd")));
    EQ("2021-03-04T22:05:00.000", CALL("PARSE_TIMESTAMP", S("4 Mar 2021 10:05 PM"), S("d MMM yyyy hh:mm a")));
    /* SMART resolution: February 30 is February 28 (ksqlDB's documented example: June 31) */
    EQ("2021-02-28T00:00:00.000", CALL("PARSE_TIMESTAMP", S("2021-02-30"), S("yyyy-MM-dd")));
    EQ("2021-06-30T12:18:39.446", CALL("PARSE_TIMESTAMP", S("2021-06-31 12:18:39.446"),
                                       S("yyyy-MM-dd HH:mm:ss.SSS")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-02-32"), S("yyyy-MM-dd")));
    /* SMART: 24:00 is the next day's midnight (24:01 is no time); clock hours k and h take 0 */
    EQ("2022-01-01T00:00:00.000", CALL("PARSE_TIMESTAMP", S("2021-12-31 24:00"), S("yyyy-MM-dd HH:mm")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-12-31 24:01"), S("yyyy-MM-dd HH:mm")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-12-31 25:00"), S("yyyy-MM-dd HH:mm")));
    EQ("00:00:00", CALL("PARSE_TIME", S("24:00:00"), S("HH:mm:ss")));
    EQ("00:30:00", CALL("PARSE_TIME", S("0:30"), S("k:mm")));
    EQ("12:30:00", CALL("PARSE_TIME", S("0:30 PM"), S("h:mm a")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-03-04x"), S("yyyy-MM-dd")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("21-03-04"), S("yyyy-MM-dd")));
    /* optional sections */
    EQ("2021-03-04T00:00:00.000", CALL("PARSE_TIMESTAMP", S("2021-03-04"), S("yyyy-MM-dd[ HH:mm[:ss]]")));
    EQ("2021-03-04T10:15:00.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15"), S("yyyy-MM-dd[ HH:mm[:ss]]")));
    EQ("2021-03-04T10:15:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30"), S("yyyy-MM-dd[ HH:mm[:ss]]")));
    EQ("2021-03-04T10:15:00.000", CALL("PARSE_TIMESTAMP", S("2021-03-04T10:15"), S("yyyy-MM-dd['T'][' ']HH:mm")));
    EQ("2021-03-04T10:15:00.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15"), S("yyyy-MM-dd['T'][' ']HH:mm")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-03-04 10"), S("yyyy-MM-dd[ HH:mm]")));
    /* O offsets, eras, quarters */
    EQ("2021-03-04T04:45:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30 GMT+5:30"), S("yyyy-MM-dd HH:mm:ss O")));
    EQ("2021-03-04T18:15:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30 GMT-08:00"), S("yyyy-MM-dd HH:mm:ss OOOO")));
    EQ("2021-03-04T10:15:30.000", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30 GMT"), S("yyyy-MM-dd HH:mm:ss O")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_TIMESTAMP", S("2021-03-04 10:15:30 GMT+5"), S("yyyy-MM-dd HH:mm:ss OOOO")));
    EQ("1614852930123", CALL("STRINGTOTIMESTAMP", S("2021-03-04 10:15:30.123"), S("yyyy-MM-dd HH:mm:ss.SSS")));
    EQ("1614849330123", CALL("STRINGTOTIMESTAMP", S("2021-03-04 10:15:30.123"), S("yyyy-MM-dd HH:mm:ss.SSS"),
                             S("UTC+01:00")));
    EQ("2021-03-04", CALL("PARSE_DATE", S("04/03/2021"), S("dd/MM/yyyy")));
    EQ("18690", CALL("STRINGTODATE", S("2021-03-04"), S("yyyy-MM-dd")));
    EQ("2020-12-31", CALL("PARSE_DATE", S("2020-366"), S("yyyy-DDD")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_DATE", S("2021-13-01"), S("yyyy-MM-dd")));
    /* ResolverStyle.SMART: a day past its month's end is the month's last day; 32 is no day. */
    EQ("2021-06-30", CALL("PARSE_DATE", S("2021-06-31"), S("yyyy-MM-dd")));
    EQ("2021-02-28", CALL("PARSE_DATE", S("2021-02-29"), S("yyyy-MM-dd")));
    EQ("2020-02-29", CALL("PARSE_DATE", S("2020-02-31"), S("yyyy-MM-dd")));
    EQ("2021-12-31", CALL("PARSE_DATE", S("2021-12-31"), S("yyyy-MM-dd")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_DATE", S("2021-04-32"), S("yyyy-MM-dd")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_DATE", S("2021-04-00"), S("yyyy-MM-dd")));
    EQ("2021-02-28", CALL("PARSE_DATE", S("29 Feb 2021"), S("dd MMM yyyy")));
    EQ("0000-03-04", CALL("PARSE_DATE", S("0001-03-04 BC"), S("yyyy-MM-dd G")));
    EQ("-0001-03-04", CALL("PARSE_DATE", S("0002-03-04 Before Christ"), S("yyyy-MM-dd GGGG")));
    EQ("2021-03-04", CALL("PARSE_DATE", S("2021-03-04 AD"), S("yyyy-MM-dd G")));
    EQ("2021-03-04", CALL("PARSE_DATE", S("2021-03-04 Q1"), S("yyyy-MM-dd QQQ")));
    EQ("2021-11-04", CALL("PARSE_DATE", S("2021-11-04 4th quarter"), S("yyyy-MM-dd QQQQ")));
    EQ("ERR:SL_ERR_INVAL", CALL("PARSE_DATE", S("2021-03-04 2"), S("yyyy-MM-dd Q"))); /* not the month's quarter */
    EQ("22:05:00", CALL("PARSE_TIME", S("10:05 PM"), S("hh:mm a")));
    EQ("10:15:30.5", CALL("PARSE_TIME", S("10:15:30.5"), S("HH:mm:ss.S")));
    EQ("null", CALL("PARSE_TIME", N(P(SL_SQL_STRING)), S("HH")));
    /* arithmetic */
    EQ("2021-03-07", CALL("DATEADD", S("DAYS"), I(3), DT(18690)));
    EQ("2021-03-01", CALL("DATESUB", S("days"), I(3), DT(18690)));
    EQ("2021-03-04", CALL("DATEADD", S("HOURS"), I(5), DT(18690)));
    EQ("2021-03-05", CALL("DATEADD", S("HOURS"), I(24), DT(18690)));
    EQ("ERR:SL_ERR_INVAL", CALL("DATEADD", S("FORTNIGHTS"), I(1), DT(0)));
    EQ("01:00:00", CALL("TIMEADD", S("HOURS"), I(2), TM(23 * 3600000)));
    EQ("23:59:59", CALL("TIMESUB", S("SECONDS"), I(1), TM(0)));
    EQ("2021-03-04T10:15:35.123", CALL("TIMESTAMPADD", S("SECONDS"), I(5), TS(T20210304)));
    EQ("2021-03-03T10:15:30.123", CALL("TIMESTAMPSUB", S("DAY"), BI(1), TS(T20210304)));
    EQ("2021-03-04T10:15:30.124", CALL("TIMESTAMPADD", S("MICROSECONDS"), I(1500), TS(T20210304)));
    EQ("null", CALL("TIMESTAMPADD", S("SECONDS"), N(P(SL_SQL_INT)), TS(0)));
    EQ("2021-03-04T15:45:30.123", CALL("CONVERT_TZ", TS(T20210304), S("UTC"), S("+05:30")));
    EQ("2021-03-04T18:15:30.123", CALL("CONVERT_TZ", TS(T20210304), S("Europe/Paris"), S("Asia/Tokyo")));
    EQ("ERR:SL_ERR_INVAL", CALL("CONVERT_TZ", TS(0), S("UTC"), S("nowhere")));
    done();
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void t_json(void **state)
{
    (void)state;
    setup();
    const char *doc = "{\"log\": {\"cloud\": \"gcp\", \"app\": \"x\\\"y\\u00e9\", \"n\": [1, 2.5, {\"k\": null}]},"
                      " \"a b\": true}";
    EQ("gcp", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.cloud")));
    EQ("x\"y\xC3\xA9", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.app")));
    EQ("2.5", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.n[1]")));
    EQ("[1,2.5,{\"k\":null}]", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.n")));
    EQ("null", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.n[2].k")));
    EQ("true", CALL("EXTRACTJSONFIELD", S(doc), S("$['a b']")));
    EQ("null", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.missing")));
    EQ("null", CALL("EXTRACTJSONFIELD", S(doc), S("$.log.n[9]")));
    EQ("null", CALL("EXTRACTJSONFIELD", S("{not json"), S("$.a")));
    EQ("null", CALL("EXTRACTJSONFIELD", N(P(SL_SQL_STRING)), S("$.a")));
    EQ("true", CALL("IS_JSON_STRING", S("[1, {\"a\": \"b\"}]")));
    EQ("true", CALL("IS_JSON_STRING", S(" \"abc\" ")));
    EQ("false", CALL("IS_JSON_STRING", S("abc")));
    EQ("false", CALL("IS_JSON_STRING", S("{\"a\": 1,}")));
    EQ("false", CALL("IS_JSON_STRING", S("01")));
    EQ("false", CALL("IS_JSON_STRING", N(P(SL_SQL_STRING))));
    EQ("3", CALL("JSON_ARRAY_LENGTH", S("[1, [2], {}]")));
    EQ("0", CALL("JSON_ARRAY_LENGTH", S("[]")));
    EQ("null", CALL("JSON_ARRAY_LENGTH", S("{}")));
    EQ("null", CALL("JSON_ARRAY_LENGTH", S("[1,")));
    EQ("true", CALL("JSON_ARRAY_CONTAINS", S("[1, 2, 3]"), I(3)));
    EQ("false", CALL("JSON_ARRAY_CONTAINS", S("[1.5, 2, 3]"), I(1)));
    EQ("true", CALL("JSON_ARRAY_CONTAINS", S("[1.5, 2, 3]"), D(1.5)));
    EQ("true", CALL("JSON_ARRAY_CONTAINS", S("[\"abc\", true]"), S("abc")));
    EQ("true", CALL("JSON_ARRAY_CONTAINS", S("[\"abc\", true]"), B(1)));
    EQ("true", CALL("JSON_ARRAY_CONTAINS", S("[null]"), N(P(SL_SQL_STRING))));
    EQ("false", CALL("JSON_ARRAY_CONTAINS", S("{\"a\": 1}"), I(1)));
    EQ("false", CALL("JSON_ARRAY_CONTAINS", S("[1"), I(1)));
    /* JSON_CONCAT, ksqlDB's documented examples */
    EQ("{\"a\":1,\"b\":2}", CALL("JSON_CONCAT", S("{\"a\": 1}"), S("{\"b\": 2}")));
    EQ("{\"a\":{\"5\":6},\"b\":2}", CALL("JSON_CONCAT", S("{\"a\": {\"3\": 4}}"), S("{\"a\": {\"5\": 6}}"),
                                         S("{\"b\": 2}")));
    EQ("[1,2,3]", CALL("JSON_CONCAT", S("[1, 2]"), S("[3]")));
    EQ("[1,2,{\"a\":1}]", CALL("JSON_CONCAT", S("[1, 2]"), S("{\"a\": 1}")));
    EQ("[1,2]", CALL("JSON_CONCAT", S("1"), S("2")));
    EQ("null", CALL("JSON_CONCAT", S("[1]"), N(P(SL_SQL_STRING))));
    EQ("null", CALL("JSON_CONCAT", S("[1]"), S("[oops")));
    EQ("[1, \"a\", {\"b\":[2]}]", CALL("JSON_ITEMS", S("[1, \"a\", {\"b\": [2]}]")));
    EQ("null", CALL("JSON_ITEMS", S("{}")));
    EQ("[a, b c]", CALL("JSON_KEYS", S("{\"a\": 1, \"b c\": [2]}")));
    EQ("[]", CALL("JSON_KEYS", S("{}")));
    EQ("null", CALL("JSON_KEYS", S("[1]")));
    EQ("{a=1, b={\"c\":\"d\"}}", CALL("JSON_RECORDS", S("{\"a\": 1, \"b\": {\"c\": \"d\"}}")));
    RTYPE("MAP<STRING, STRING>");
    EQ("{a=2}", CALL("JSON_RECORDS", S("{\"a\": 1, \"a\": 2}")));
    EQ("null", CALL("JSON_RECORDS", S("\"str\"")));
    EQ("[1,2]", CALL("TO_JSON_STRING", ARRAY(P(SL_SQL_INT), I(1), I(2))));
    EQ("\"a\\\"b\"", CALL("TO_JSON_STRING", S("a\"b")));
    EQ("{\"k\":1.5}", CALL("TO_JSON_STRING", MAP(P(SL_SQL_STRING), P(SL_SQL_DOUBLE), S("k"), D(1.5))));
    EQ("null", CALL("TO_JSON_STRING", N(P(SL_SQL_INT))));
    /* Dates and times are ISO-8601 strings, at any depth (ksqlDB's to_json_string tests). */
    EQ("\"1972-09-27\"", CALL("TO_JSON_STRING", DT(1000)));
    EQ("\"16:43:40\"", CALL("TO_JSON_STRING", TM(60220000)));
    EQ("\"1971-11-28T23:46:40.000\"", CALL("TO_JSON_STRING", TS(60220000000LL)));
    EQ("[\"1970-01-02\",null]", CALL("TO_JSON_STRING", ARRAY(P(SL_SQL_DATE), DT(1), N(P(SL_SQL_DATE)))));
    EQ("{\"k\":\"1970-01-01T00:00:00.001\"}",
       CALL("TO_JSON_STRING", MAP(P(SL_SQL_STRING), P(SL_SQL_TIMESTAMP), S("k"), TS(1))));
    /* A TIME is LocalTime.ofSecondOfDay(ms / 1000).toString(): no milliseconds, no ":00" seconds. */
    EQ("\"13:25\"", CALL("TO_JSON_STRING", TM(48300000)));
    EQ("\"16:43:40\"", CALL("TO_JSON_STRING", TM(60220123)));
    EQ("\"00:00\"", CALL("TO_JSON_STRING", TM(999)));
    EQ("[\"00:00:01\"]", CALL("TO_JSON_STRING", ARRAY(P(SL_SQL_TIME), TM(1005))));
    /* Map entries in key order (ksqlDB copies them into a TreeMap<String, ...>), at any depth;
     * non-string keys sort by their text. */
    EQ("{\"c\":4,\"d\":2}", CALL("TO_JSON_STRING", MAP(P(SL_SQL_STRING), P(SL_SQL_INT), S("d"), I(2), S("c"), I(4))));
    EQ("{\"10\":\"b\",\"2\":\"a\"}",
       CALL("TO_JSON_STRING", MAP(P(SL_SQL_INT), P(SL_SQL_STRING), I(2), S("a"), I(10), S("b"))));
    EQ("[{\"a\":null,\"ab\":1,\"b\":0}]",
       CALL("TO_JSON_STRING", ARRAY(MAPT(P(SL_SQL_STRING), P(SL_SQL_INT)),
                                    MAP(P(SL_SQL_STRING), P(SL_SQL_INT), S("b"), I(0), S("ab"), I(1), S("a"),
                                        N(P(SL_SQL_INT))))));
    EQ("{}", CALL("TO_JSON_STRING", MP(P(SL_SQL_STRING), P(SL_SQL_INT), 0, NULL)));
    done();
}

/* ---- URL ------------------------------------------------------------------------------------- */

static void t_url(void **state)
{
    (void)state;
    setup();
    const char *u = "http://user@www.test.com:8080/nested/p%20ath.html?query=a%20b&q2=c+d&flag#frag%21";
    EQ("http", CALL("URL_EXTRACT_PROTOCOL", S(u)));
    EQ("www.test.com", CALL("URL_EXTRACT_HOST", S(u)));
    EQ("8080", CALL("URL_EXTRACT_PORT", S(u)));
    EQ("/nested/p ath.html", CALL("URL_EXTRACT_PATH", S(u)));
    EQ("query=a b&q2=c+d&flag", CALL("URL_EXTRACT_QUERY", S(u)));
    EQ("frag!", CALL("URL_EXTRACT_FRAGMENT", S(u)));
    EQ("a b", CALL("URL_EXTRACT_PARAMETER", S(u), S("query")));
    EQ("c+d", CALL("URL_EXTRACT_PARAMETER", S(u), S("q2"))); /* ksqlDB keeps the + */
    EQ("", CALL("URL_EXTRACT_PARAMETER", S(u), S("flag")));
    EQ("null", CALL("URL_EXTRACT_PARAMETER", S(u), S("nope")));
    EQ("null", CALL("URL_EXTRACT_PORT", S("https://docs.confluent.io/current/ksql/docs")));
    EQ("docs.confluent.io", CALL("URL_EXTRACT_HOST", S("https://docs.confluent.io/current/ksql/docs")));
    EQ("null", CALL("URL_EXTRACT_QUERY", S("https://docs.confluent.io/current/ksql/docs")));
    EQ("null", CALL("URL_EXTRACT_FRAGMENT", S("https://docs.confluent.io/current/ksql/docs")));
    EQ("[::1]", CALL("URL_EXTRACT_HOST", S("http://[::1]:80/x")));
    EQ("80", CALL("URL_EXTRACT_PORT", S("http://[::1]:80/x")));
    EQ("mailto", CALL("URL_EXTRACT_PROTOCOL", S("mailto:a@b.c")));
    EQ("null", CALL("URL_EXTRACT_PATH", S("mailto:a@b.c")));
    EQ("/rel/path", CALL("URL_EXTRACT_PATH", S("/rel/path?x=1")));
    EQ("null", CALL("URL_EXTRACT_PROTOCOL", S("/rel/path?x=1")));
    EQ("ERR:SL_ERR_INVAL", CALL("URL_EXTRACT_HOST", S("http://bad host/")));
    EQ("ERR:SL_ERR_INVAL", CALL("URL_EXTRACT_HOST", S("http://h/%zz")));
    EQ("null", CALL("URL_EXTRACT_HOST", N(P(SL_SQL_STRING))));
    EQ("url+encoded+%26+%3D+%C3%A9*-._", CALL("URL_ENCODE_PARAM", S("url encoded & = \xC3\xA9*-._")));
    EQ("url encoded & = \xC3\xA9", CALL("URL_DECODE_PARAM", S("url%20encoded+%26+%3D+%C3%A9")));
    EQ("ERR:SL_ERR_INVAL", CALL("URL_DECODE_PARAM", S("bad%2")));
    EQ("null", CALL("URL_ENCODE_PARAM", N(P(SL_SQL_STRING))));
    done();
}

SL_TEST_GROUP(func, cmocka_unit_test(t_registry), cmocka_unit_test(t_resolve), cmocka_unit_test(t_nulls),
              cmocka_unit_test(t_math), cmocka_unit_test(t_strings), cmocka_unit_test(t_strings2),
              cmocka_unit_test(t_regex), cmocka_unit_test(t_arrays), cmocka_unit_test(t_maps),
              cmocka_unit_test(t_lambdas), cmocka_unit_test(t_dates),
              cmocka_unit_test(t_json), cmocka_unit_test(t_url))
