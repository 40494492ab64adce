/* test_expr.c — the expression compiler and evaluator: every expression form
 * parsed from SQL and evaluated against a small row, NULL tables, ksqlDB's
 * arithmetic types, resolution and type errors with their positions, and an
 * evaluation loop that allocates nothing. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "sql/expr.h"
#include "sql/sql_parse.h"

static sl_arena_t arena = SL_ARENA_INIT; /* parse + compile */
static sl_arena_t rarena = SL_ARENA_INIT; /* evaluation */
static sl_sql_alloc_t al, ral;
static sl_sql_error_t err;
static char rterr[512];
static char out[1024];

static const sl_sql_type_t *P(sl_sql_base_t b) { return sl_sql_type_prim(b); }

/* The row: T(A INT, B BIGINT, D DOUBLE, S STRING, DEC DECIMAL(4, 2), BT, BF,
 * BN BOOLEAN, ARR ARRAY<INT>, M MAP<STRING, INT>, ST STRUCT<X INT, Y STRING>,
 * NI INT, TS TIMESTAMP, NS STRING). */
enum { C_A, C_B, C_D, C_S, C_DEC, C_BT, C_BF, C_BN, C_ARR, C_M, C_ST, C_NI, C_TS, C_NS, NCOLS };
static sl_sql_scope_col_t cols[NCOLS];
static sl_sql_value_t row[NCOLS];
static sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
static sl_sql_scope_t scope;

static void build_row(void)
{
    char eb[256];
    const sl_sql_type_t *dec, *arr, *map, *st;
    assert_int_equal(sl_sql_type_decimal(&al, 4, 2, &dec, eb, sizeof eb), SL_OK);
    arr = sl_sql_type_array(&al, P(SL_SQL_INT));
    assert_int_equal(sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_INT), &map, eb, sizeof eb), SL_OK);
    sl_sql_field_t f[2] = {{"X", P(SL_SQL_INT)}, {"Y", P(SL_SQL_STRING)}};
    assert_int_equal(sl_sql_type_struct(&al, f, 2, &st, eb, sizeof eb), SL_OK);
    static const char *const names[NCOLS] = {"A",  "B",   "D", "S",  "DEC", "BT", "BF",
                                             "BN", "ARR", "M", "ST", "NI",  "TS", "NS"};
    const sl_sql_type_t *types[NCOLS] = {P(SL_SQL_INT), P(SL_SQL_BIGINT),  P(SL_SQL_DOUBLE),  P(SL_SQL_STRING),
                                         dec,           P(SL_SQL_BOOLEAN), P(SL_SQL_BOOLEAN), P(SL_SQL_BOOLEAN),
                                         arr,           map,               st,                P(SL_SQL_INT),
                                         P(SL_SQL_TIMESTAMP), P(SL_SQL_STRING)};
    for (int i = 0; i < NCOLS; i++)
        cols[i] = (sl_sql_scope_col_t){"T", names[i], types[i], (uint32_t)i};
    row[C_A] = sl_sql_value_int(7);
    row[C_B] = sl_sql_value_bigint(10000000000LL);
    row[C_D] = sl_sql_value_double(2.5);
    row[C_S] = sl_sql_value_string("hello", 5);
    row[C_DEC] = sl_sql_value_decimal(1234, 4, 2);
    row[C_BT] = sl_sql_value_bool(1);
    row[C_BF] = sl_sql_value_bool(0);
    row[C_BN] = sl_sql_value_null(P(SL_SQL_BOOLEAN));
    assert_int_equal(sl_sql_value_container(&al, arr, 3, &row[C_ARR]), SL_OK);
    for (int i = 0; i < 3; i++)
        row[C_ARR].u.items[i] = sl_sql_value_int(i + 1);
    assert_int_equal(sl_sql_value_container(&al, map, 2, &row[C_M]), SL_OK);
    row[C_M].u.items[0] = sl_sql_value_string("a", 1), row[C_M].u.items[1] = sl_sql_value_int(1);
    row[C_M].u.items[2] = sl_sql_value_string("b", 1), row[C_M].u.items[3] = sl_sql_value_int(2);
    assert_int_equal(sl_sql_value_container(&al, st, 0, &row[C_ST]), SL_OK);
    row[C_ST].u.items[0] = sl_sql_value_int(42), row[C_ST].u.items[1] = sl_sql_value_string("why", 3);
    row[C_NI] = sl_sql_value_null(P(SL_SQL_INT));
    row[C_TS] = sl_sql_value_timestamp(1600000000000LL); /* 2020-09-13T12:26:40 */
    row[C_NS] = sl_sql_value_null(P(SL_SQL_STRING));
    pseudo[SL_SQL_PSEUDO_ROWTIME] = sl_sql_value_bigint(123);
    pseudo[SL_SQL_PSEUDO_ROWPARTITION] = sl_sql_value_int(3);
    pseudo[SL_SQL_PSEUDO_ROWOFFSET] = sl_sql_value_bigint(99);
    pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_value_bigint(1000);
    pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_value_bigint(2000);
    scope = (sl_sql_scope_t){cols, NCOLS, false};
}

static int setup(void **state)
{
    (void)state;
    al = sl_sql_alloc_arena(&arena);
    ral = sl_sql_alloc_arena(&rarena);
    build_row();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_free(&arena);
    sl_arena_free(&rarena);
    return 0;
}

/* The expression of "SELECT <text> FROM T;" (or the WHERE of a whole query
 * when text starts with "SELECT"). */
static const sl_sql_expr_t *parse(const char *text)
{
    char sql[1024];
    int where = !strncmp(text, "SELECT", 6);
    snprintf(sql, sizeof sql, where ? "%s" : "SELECT %s FROM T;", text);
    sl_sql_stmt_list_t *l = NULL;
    sl_sql_error_t pe;
    char *copy = sl_arena_memdup(&arena, sql, strlen(sql) + 1);
    if (sl_sql_parse(copy, &arena, &l, &pe) != SL_OK)
        fail_msg("parse of %s: %s", sql, pe.message);
    sl_sql_query_t *q = l->items[0]->query;
    return where ? q->where : q->items[0]->expr;
}

static sl_err_t compile_opts(const char *text, const sl_sql_expr_opts_t *opts, const sl_sql_cexpr_t **ce,
                             const sl_sql_type_t **t)
{
    return sl_sql_expr_compile(parse(text), &scope, opts, &arena, ce, t, &err);
}

static sl_err_t compile(const char *text, const sl_sql_cexpr_t **ce, const sl_sql_type_t **t)
{
    return compile_opts(text, NULL, ce, t);
}

static sl_sql_fn_ctx_t fctx(void) { return (sl_sql_fn_ctx_t){.al = &ral, .errbuf = rterr, .errlen = sizeof rterr}; }

/* text evaluated and printed ("ERR: message" for a compile error,
 * "NULL (message)" for a run-time one). */
static const char *show(const char *text)
{
    const sl_sql_cexpr_t *ce;
    const sl_sql_type_t *t;
    if (compile(text, &ce, &t) != SL_OK) {
        snprintf(out, sizeof out, "ERR: %s", err.message);
        return out;
    }
    sl_sql_fn_ctx_t ctx = fctx();
    sl_sql_value_t v;
    sl_err_t e = sl_sql_expr_eval(ce, row, pseudo, &ctx, &v);
    if (e) {
        assert_true(v.is_null);
        snprintf(out, sizeof out, "NULL (%s)", rterr);
        return out;
    }
    sl_buf_t b;
    sl_buf_init(&b);
    assert_int_equal(sl_sql_value_print(t, &v, SL_SQL_PRINT_DISPLAY, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    sl_buf_free(&b);
    return out;
}

/* The type of text as ksqlDB spells it. */
static const char *type_of(const char *text)
{
    const sl_sql_cexpr_t *ce;
    const sl_sql_type_t *t;
    if (compile(text, &ce, &t) != SL_OK) {
        snprintf(out, sizeof out, "ERR: %s", err.message);
        return out;
    }
    sl_buf_t b;
    sl_buf_init(&b);
    if (!t)
        sl_buf_append(&b, "NULL", 4);
    else
        assert_int_equal(sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    sl_buf_free(&b);
    return out;
}

#define EQ(expr, want) assert_string_equal(show(expr), want)
#define TY(expr, want) assert_string_equal(type_of(expr), want)

/* ---- tests -------------------------------------------------------------------------- */

static void test_literals(void **state)
{
    (void)state;
    EQ("1", "1");
    TY("1", "INTEGER");
    TY("10000000000", "BIGINT");
    TY("1.50", "DECIMAL(3, 2)");
    EQ("1.50", "1.50");
    TY("1.5E1", "DOUBLE");
    EQ("1.5E1", "15.0");
    EQ("'it''s'", "it's");
    EQ("TRUE", "true");
    TY("NULL", "NULL");
    EQ("-5", "-5");
    EQ("ARRAY[1, 2, 3]", "[1, 2, 3]");
    TY("ARRAY[1, 2.5E0]", "ARRAY<DOUBLE>");
    EQ("ARRAY[1, NULL]", "[1, null]");
    EQ("MAP('a' := 1, 'b' := 2)", "{a=1, b=2}");
    TY("MAP('a' := 1)", "MAP<STRING, INTEGER>");
    EQ("STRUCT(F := 1, G := 'x')", "{F=1, G=x}");
    TY("STRUCT(F := 1, G := 'x')", "STRUCT<`F` INTEGER, `G` STRING>");
    assert_string_equal(show("ARRAY[NULL]"),
                        "ERR: Cannot construct an array with all NULL elements (see "
                        "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL "
                        "value to the desired type.");
    assert_non_null(strstr(show("ARRAY[1, 'x']"), "ERR: "));
}

static void test_columns_and_pseudo(void **state)
{
    (void)state;
    EQ("A", "7");
    EQ("T.A", "7");
    EQ("S", "hello");
    EQ("ROWTIME", "123");
    TY("ROWTIME", "BIGINT");
    TY("ROWPARTITION", "INTEGER");
    EQ("ROWOFFSET", "99");
    EQ("T.ROWTIME", "123");
    assert_string_equal(show("WINDOWSTART"), "ERR: SELECT column 'WINDOWSTART' cannot be resolved.");
    scope.windowed = true;
    EQ("WINDOWSTART", "1000");
    EQ("WINDOWEND - WINDOWSTART", "1000");
    scope.windowed = false;
}

static void test_arithmetic_types(void **state)
{
    (void)state;
    TY("A + A", "INTEGER");
    TY("A + B", "BIGINT");
    TY("B * A", "BIGINT");
    TY("A + D", "DOUBLE");
    TY("DEC + D", "DOUBLE");
    TY("DEC + A", "DECIMAL(13, 2)");
    TY("DEC - B", "DECIMAL(22, 2)");
    TY("DEC * A", "DECIMAL(15, 2)");
    TY("DEC / A", "DECIMAL(15, 13)");
    TY("DEC % A", "DECIMAL(4, 2)");
    TY("DEC + DEC", "DECIMAL(5, 2)");
    TY("DEC * DEC", "DECIMAL(9, 4)");
    TY("DEC / DEC", "DECIMAL(11, 7)");
    TY("S + S", "STRING");
    TY("-DEC", "DECIMAL(4, 2)");
    EQ("A + 1", "8");
    EQ("A - 10", "-3");
    EQ("A * B", "70000000000");
    EQ("A / 2", "3");
    EQ("-7 / 2", "-3");
    EQ("A % 3", "1");
    EQ("-7 % 3", "-1");
    EQ("D * 2", "5.0");
    EQ("A + D", "9.5");
    EQ("DEC + A", "19.34");
    EQ("DEC - 20", "-7.66");
    EQ("DEC * 2", "24.68");
    EQ("DEC / 2", "6.1700000000000");
    EQ("DEC % 5", "2.34");
    EQ("DEC * DEC", "152.2756");
    EQ("DEC + D", "14.84");
    EQ("-DEC", "-12.34");
    EQ("-A", "-7");
    EQ("S + ' world'", "hello world");
    EQ("2147483647 + 1", "-2147483648");                 /* Java int wraps */
    EQ("9223372036854775807 + 1", "-9223372036854775808");
    EQ("-2147483648 / -1", "-2147483648");
    EQ("A / 0", "NULL (/ by zero)");
    EQ("A % 0", "NULL (/ by zero)");
    EQ("D / 0", "Infinity");
    EQ("DEC / 0", "NULL (Division by zero)");
    EQ("1.0 / 3", "NULL (Rounding necessary)");       /* BigDecimal.divide, UNNECESSARY */
    EQ("1.0 / 4", "0.250000000000"); /* DECIMAL(13, 12) */
    EQ("NI + 1", "null");
    EQ("A + NULL", "null");
    assert_string_equal(show("A + 'x'"),
                        "ERR: Error processing expression: (A + 'x'). Unsupported arithmetic types. INTEGER STRING");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 8);
    assert_string_equal(show("BT * 2"),
                        "ERR: Error processing expression: (BT * 2). Unsupported arithmetic types. BOOLEAN INTEGER");
    assert_non_null(strstr(show("-S"), "ERR: "));
}

static void test_concat(void **state)
{
    (void)state;
    EQ("S || '!'", "hello!");
    EQ("S || NS", "hello"); /* CONCAT skips NULLs */
    TY("S || 'x'", "STRING");
}

static void test_comparisons(void **state)
{
    (void)state;
    EQ("A = 7", "true");
    EQ("A <> 7", "false");
    EQ("A < B", "true");
    EQ("B >= A", "true");
    EQ("A > D", "true");
    EQ("DEC > 12", "true");
    EQ("DEC = 12.340", "true");
    EQ("S = 'hello'", "true");
    EQ("S < 'help'", "true");
    EQ("BT = TRUE", "true");
    EQ("TS > '2020-09-01'", "true");
    EQ("TS < '2020-09-01T00:00:00'", "false");
    EQ("ARR = ARRAY[1, 2, 3]", "true");
    EQ("ST = STRUCT(X := 42, Y := 'why')", "true");
    /* ksqlDB: a comparison with a NULL operand is FALSE, and NOT of it TRUE. */
    EQ("NI = 1", "false");
    EQ("NI <> 1", "false");
    EQ("NOT (NI = 1)", "true");
    EQ("NS < 'a'", "false");
    assert_string_equal(show("A = 'x'"), "ERR: Cannot compare A (INTEGER) to 'x' (STRING) with EQUAL.");
    assert_string_equal(show("S > 1.5"), "ERR: Cannot compare S (STRING) to 1.5 (DECIMAL(2, 1)) with GREATER_THAN.");
    assert_string_equal(show("BT < BF"), "ERR: Cannot compare BT (BOOLEAN) to BF (BOOLEAN) with LESS_THAN.");
    assert_string_equal(show("A = NULL"),
                        "ERR: Comparison with NULL not supported: INTEGER = NULL\nUse 'IS NULL' or 'IS NOT NULL' "
                        "instead.");
    assert_non_null(strstr(show("TS > 'garbage'"), "NULL (Failed to parse timestamp 'garbage'"));
}

/* AND, OR, NOT over TRUE, FALSE and NULL columns: Kleene's tables. */
static void test_logic_tables(void **state)
{
    (void)state;
    static const char *const v[3] = {"BT", "BF", "BN"};
    static const char *const and_[3][3] = {{"true", "false", "null"}, {"false", "false", "false"},
                                           {"null", "false", "null"}};
    static const char *const or_[3][3] = {{"true", "true", "true"}, {"true", "false", "null"},
                                          {"true", "null", "null"}};
    char e[64];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            snprintf(e, sizeof e, "%s AND %s", v[i], v[j]);
            assert_string_equal(show(e), and_[i][j]);
            snprintf(e, sizeof e, "%s OR %s", v[i], v[j]);
            assert_string_equal(show(e), or_[i][j]);
        }
    }
    EQ("NOT BT", "false");
    EQ("NOT BF", "true");
    EQ("NOT BN", "null");
    EQ("TRUE AND NULL", "null");
    EQ("FALSE AND NULL", "false");
    assert_non_null(strstr(show("A AND BT"), "ERR: AND: A has type INTEGER, not BOOLEAN."));
    /* The predicate helper. */
    const sl_sql_cexpr_t *ce;
    sl_sql_tristate_t r;
    sl_sql_fn_ctx_t ctx = fctx();
    const char *const exprs[] = {"BT OR BN", "BF AND BN", "BT AND BN"};
    const sl_sql_tristate_t want[] = {SL_SQL_TRUE, SL_SQL_FALSE, SL_SQL_NULL};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(compile(exprs[i], &ce, NULL), SL_OK);
        assert_int_equal(sl_sql_expr_predicate(ce, row, pseudo, &ctx, &r), SL_OK);
        assert_int_equal(r, want[i]);
    }
    assert_int_equal(compile("A", &ce, NULL), SL_OK);
    assert_int_equal(sl_sql_expr_predicate(ce, row, pseudo, &ctx, &r), SL_ERR_INVAL);
}

static void test_predicates(void **state)
{
    (void)state;
    EQ("A BETWEEN 1 AND 10", "true");
    EQ("A BETWEEN 8 AND 10", "false");
    EQ("A NOT BETWEEN 8 AND 10", "true");
    EQ("D BETWEEN 2 AND 3", "true");
    EQ("S BETWEEN 'a' AND 'z'", "true");
    EQ("NI BETWEEN 1 AND 2", "false");
    EQ("NI NOT BETWEEN 1 AND 2", "true");
    EQ("A IN (1, 7, 9)", "true");
    EQ("A IN (1, 2)", "false");
    EQ("A NOT IN (1, 2)", "true");
    EQ("A IN (NULL, 7)", "true");
    EQ("B IN (7, 10000000000)", "true");
    EQ("NI IN (1, NULL)", "false");
    EQ("S IN ('x', 'hello')", "true");
    assert_non_null(strstr(show("A IN ('x')"), "ERR: Cannot compare A (INTEGER) to 'x' (STRING) with EQUAL."));
    EQ("A IS NULL", "false");
    EQ("NI IS NULL", "true");
    EQ("NI IS NOT NULL", "false");
    EQ("NULL IS NULL", "true");
    EQ("A IS DISTINCT FROM 7", "false");
    EQ("A IS DISTINCT FROM NI", "true");
    EQ("NI IS DISTINCT FROM NULL", "false");
    EQ("NI IS NOT DISTINCT FROM NULL", "true");
    EQ("A IS NOT DISTINCT FROM 7", "true");
}

static void test_like(void **state)
{
    (void)state;
    EQ("S LIKE 'hello'", "true");
    EQ("S LIKE 'h%'", "true");
    EQ("S LIKE '%llo'", "true");
    EQ("S LIKE '%l%'", "true");
    EQ("S LIKE 'h_llo'", "true");
    EQ("S LIKE 'h_lo'", "false");
    EQ("S LIKE 'H%'", "false"); /* case-sensitive */
    EQ("S LIKE '%'", "true");
    EQ("S LIKE '%%o'", "true");
    EQ("S LIKE 'hel'", "false");
    EQ("S NOT LIKE 'x%'", "true");
    EQ("'a%c' LIKE 'a!%c' ESCAPE '!'", "true");
    EQ("'abc' LIKE 'a!%c' ESCAPE '!'", "false");
    EQ("'a_c' LIKE 'a!_%' ESCAPE '!'", "true");
    EQ("'' LIKE '%'", "true");
    EQ("'' LIKE '_'", "false");
    EQ("'ñandú' LIKE '_and_'", "true"); /* _ is one character, not one byte */
    EQ("'aaa' LIKE '%a%a%a%'", "true");
    EQ("'mississippi' LIKE '%iss%ppi'", "true");
    EQ("NS LIKE '%'", "false");
    assert_non_null(strstr(show("A LIKE 'x'"), "ERR: "));
}

static void test_case(void **state)
{
    (void)state;
    EQ("CASE WHEN A > 5 THEN 'big' WHEN A > 0 THEN 'small' ELSE 'neg' END", "big");
    EQ("CASE WHEN A > 50 THEN 'big' WHEN A > 0 THEN 'small' ELSE 'neg' END", "small");
    EQ("CASE WHEN A > 50 THEN 'big' END", "null");
    EQ("CASE WHEN BN THEN 1 ELSE 2 END", "2");
    EQ("CASE A WHEN 1 THEN 'one' WHEN 7 THEN 'seven' ELSE 'many' END", "seven");
    EQ("CASE NI WHEN 1 THEN 'one' ELSE 'other' END", "other");
    TY("CASE WHEN BT THEN 1 ELSE 2.5E0 END", "DOUBLE");
    EQ("CASE WHEN BT THEN 1 ELSE 2.5E0 END", "1.0");
    TY("CASE WHEN BT THEN NULL ELSE B END", "BIGINT");
    assert_string_equal(show("CASE WHEN BT THEN 1 ELSE 'x' END"),
                        "ERR: Invalid Case expression. Type for the default clause should be the same as for "
                        "'THEN' clauses.\nTHEN type: INTEGER.\nDEFAULT type: STRING.");
    assert_string_equal(show("CASE WHEN A THEN 1 END"), "ERR: WHEN operand type should be boolean.\nType for 'A' is INTEGER");
    assert_string_equal(show("CASE WHEN BT THEN NULL END"),
                        "ERR: Invalid Case expression. All case branches have NULL type");
}

static void test_cast(void **state)
{
    (void)state;
    EQ("CAST('12' AS INT) + 1", "13");
    EQ("CAST(A AS STRING)", "7");
    EQ("CAST(A AS DECIMAL(5, 1))", "7.0");
    EQ("CAST(D AS INT)", "2");
    EQ("CAST(NULL AS INT)", "null");
    TY("CAST(NULL AS ARRAY<STRING>)", "ARRAY<STRING>");
    EQ("CAST(S AS INT)", "NULL (For input string: \"hello\")");
    /* ksqlDB's CAST to BOOLEAN never fails: anything but a prefix of true/yes is false. */
    EQ("CAST(' Yes ' AS BOOLEAN)", "true");
    EQ("CAST('TRU' AS BOOLEAN)", "true");
    EQ("CAST('no' AS BOOLEAN)", "false");
    EQ("CAST('42' AS BOOLEAN)", "false");
    EQ("CAST('' AS BOOLEAN)", "false");
    assert_non_null(strstr(show("CAST(BT AS INT)"), "ERR: Cast of BOOLEAN to INTEGER is not supported"));
    assert_string_equal(show("CAST(A AS MYTYPE)"), "ERR: Unknown type: MYTYPE");
}

static void test_access(void **state)
{
    (void)state;
    EQ("ST->X", "42");
    EQ("ST->Y", "why");
    TY("ST->Y", "STRING");
    EQ("ARR[1]", "1");
    EQ("ARR[3]", "3");
    EQ("ARR[-1]", "3");
    EQ("ARR[-3]", "1");
    EQ("ARR[4]", "null");
    EQ("ARR[0]", "null");
    EQ("ARR[-4]", "null");
    EQ("ARR[NI]", "null");
    EQ("M['b']", "2");
    EQ("M['zz']", "null");
    EQ("ARRAY[10, 20, 30][2]", "20");
    EQ("MAP('k' := 1.5)['k']", "1.5");
    EQ("STRUCT(F := ARRAY[1, 2])->F[2]", "2");
    assert_string_equal(show("ST->Z"), "ERR: Could not find field 'Z' in 'ST'.");
    assert_non_null(strstr(show("A->X"), "ERR: Expected STRUCT type"));
    assert_non_null(strstr(show("ST['X']"), "ERR: Subscript expression"));
    assert_non_null(strstr(show("ARR['x']"), "ERR: Array index"));
}

static void test_functions(void **state)
{
    (void)state;
    EQ("UCASE(S)", "HELLO");
    EQ("ABS(-3)", "3");
    EQ("LEN(S) + 1", "6");
    EQ("COALESCE(NI, A)", "7");
    EQ("ARRAY_LENGTH(ARR)", "3");
    assert_string_equal(show("NOSUCH(1)"), "ERR: Can't find any functions with the name 'NOSUCH'");
    assert_non_null(strstr(show("UCASE(A)"), "ERR: Function 'UCASE' does not accept parameters (INTEGER)"));
    /* A literal-only call is folded. */
    const sl_sql_cexpr_t *ce;
    assert_int_equal(compile("UCASE('x') || 'y'", &ce, NULL), SL_OK);
    assert_true(sl_sql_cexpr_is_const(ce));
    assert_int_equal(compile("1 + 2 * 3", &ce, NULL), SL_OK);
    assert_true(sl_sql_cexpr_is_const(ce));
    assert_int_equal(compile("A + 1", &ce, NULL), SL_OK);
    assert_false(sl_sql_cexpr_is_const(ce));
    /* 1/0 is not folded: it fails at run time, as a record would. */
    assert_int_equal(compile("1 / 0", &ce, NULL), SL_OK);
    assert_false(sl_sql_cexpr_is_const(ce));
}

static void test_lambdas(void **state)
{
    (void)state;
    EQ("TRANSFORM(ARR, x => x * 2)", "[2, 4, 6]");
    TY("TRANSFORM(ARR, x => CAST(x AS STRING))", "ARRAY<STRING>");
    EQ("TRANSFORM(ARR, x => x + A)", "[8, 9, 10]");
    EQ("FILTER(ARR, x => x > 1)", "[2, 3]");
    EQ("REDUCE(ARR, 0, (s, x) => s + x)", "6");
    EQ("TRANSFORM(ARR, x => TRANSFORM(ARR, y => x * 10 + y))", "[[11, 12, 13], [21, 22, 23], [31, 32, 33]]");
    EQ("TRANSFORM(M, (k, v) => UCASE(k), (k, v) => v + 1)", "{A=2, B=3}");
    EQ("FILTER(M, (k, v) => v > 1)", "{b=2}");
    EQ("REDUCE(M, 0, (s, k, v) => s + v)", "3");
    EQ("TRANSFORM(ARR, A => A + 1)", "[2, 3, 4]"); /* the parameter hides the column */
    assert_non_null(strstr(show("TRANSFORM(ARR, x => x + 'a')"), "ERR: Error processing expression"));
    assert_non_null(strstr(show("FILTER(ARR, x => x)"), "ERR: "));
}

static void test_resolution(void **state)
{
    (void)state;
    const sl_sql_cexpr_t *ce;
    sl_sql_expr_opts_t o = {.clause = "WHERE"};
    assert_int_equal(compile_opts("SELECT * FROM T WHERE A > 1 AND BOB = 2;", &o, &ce, NULL), SL_ERR_INVAL);
    assert_string_equal(err.message, "WHERE column 'BOB' cannot be resolved.");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 33);
    assert_int_equal(compile_opts("SELECT * FROM T\nWHERE\n  X.A > 1;", &o, &ce, NULL), SL_ERR_INVAL);
    assert_string_equal(err.message, "WHERE column 'X.A' cannot be resolved.");
    assert_int_equal(err.line, 3);
    assert_int_equal(err.col, 3);
    EQ("bob", "ERR: SELECT column 'BOB' cannot be resolved.");
    EQ("`a`", "ERR: SELECT column 'a' cannot be resolved.");

    /* Two sources: unqualified names must be unique. */
    sl_sql_scope_col_t two[3] = {{"L", "ID", P(SL_SQL_INT), 0}, {"R", "ID", P(SL_SQL_INT), 1},
                                 {"R", "NAME", P(SL_SQL_STRING), 2}};
    sl_sql_scope_t saved = scope;
    scope = (sl_sql_scope_t){two, 3, false};
    sl_sql_value_t r2[3] = {sl_sql_value_int(1), sl_sql_value_int(2), sl_sql_value_string("n", 1)};
    assert_string_equal(show("ID"), "ERR: Column 'ID' is ambiguous. Could be any of: L.ID, R.ID");
    assert_int_equal(compile("L.ID + R.ID", &ce, NULL), SL_OK);
    sl_sql_fn_ctx_t ctx = fctx();
    sl_sql_value_t v;
    assert_int_equal(sl_sql_expr_eval(ce, r2, pseudo, &ctx, &v), SL_OK);
    assert_int_equal(v.u.i32, 3);
    assert_int_equal(compile("NAME", &ce, NULL), SL_OK);
    assert_int_equal(sl_sql_expr_eval(ce, r2, pseudo, &ctx, &v), SL_OK);
    assert_int_equal(v.len, 1);
    assert_string_equal(show("L.NAME"), "ERR: SELECT column 'L.NAME' cannot be resolved.");
    scope = saved;
}

/* The planner's aggregate slots. */
static int agg_cb(void *arg, const sl_sql_expr_t *call, uint32_t *slot, const sl_sql_type_t **type, char *eb,
                  size_t n)
{
    (void)arg;
    if (!strcmp(call->call.name.s, "SUM")) {
        snprintf(eb, n, "no SUM today");
        return 1;
    }
    *slot = C_B, *type = P(SL_SQL_BIGINT);
    return 0;
}

static void test_aggregates(void **state)
{
    (void)state;
    assert_true(sl_sql_expr_is_aggregate("count"));
    assert_true(sl_sql_expr_is_aggregate("LATEST_BY_OFFSET"));
    assert_false(sl_sql_expr_is_aggregate("UCASE"));
    EQ("COUNT(*)", "ERR: Aggregate functions are not allowed in SELECT: COUNT");
    const sl_sql_cexpr_t *ce;
    sl_sql_expr_opts_t o = {.clause = "SELECT", .on_aggregate = agg_cb};
    assert_int_equal(compile_opts("COUNT(*) + 1", &o, &ce, NULL), SL_OK);
    sl_sql_fn_ctx_t ctx = fctx();
    sl_sql_value_t v;
    assert_int_equal(sl_sql_expr_eval(ce, row, pseudo, &ctx, &v), SL_OK);
    assert_int_equal(v.u.i64, 10000000001LL);
    assert_int_equal(compile_opts("SUM(A)", &o, &ce, NULL), SL_ERR_INVAL);
    assert_string_equal(err.message, "no SUM today");
    EQ("EXPLODE(ARR)", "ERR: Table function EXPLODE is only allowed in the SELECT list of a query.");
}

/* 100k records through a compiled expression: the evaluation arena is reset
 * per record and never grows past its first chunk, and the heap does not
 * grow at all. */
static void test_no_malloc_loop(void **state)
{
    (void)state;
    const sl_sql_cexpr_t *ce;
    assert_int_equal(compile("CASE WHEN A + B * 2 > 10 AND S LIKE 'he%' AND UCASE(S) = 'HELLO' "
                             "THEN TRANSFORM(ARR, x => x + A)[1] + CAST(DEC * 2 AS INT) ELSE -1 END",
                             &ce, NULL),
                     SL_OK);
    sl_arena_t loop = SL_ARENA_INIT;
    sl_sql_alloc_t lal = sl_sql_alloc_arena(&loop);
    sl_sql_fn_ctx_t ctx = {.al = &lal, .errbuf = rterr, .errlen = sizeof rterr};
    sl_sql_value_t v;
    assert_int_equal(sl_sql_expr_eval(ce, row, pseudo, &ctx, &v), SL_OK); /* the first chunk */
    assert_int_equal(v.u.i32, 8 + 24);
    sl_arena_reset(&loop);
    const void *chunk = loop.head;
#ifndef __SANITIZE_ADDRESS__
    struct mallinfo2 before = mallinfo2();
#endif
    for (int i = 0; i < 100000; i++) {
        row[C_A].u.i32 = i % 100;
        sl_err_t e = sl_sql_expr_eval(ce, row, pseudo, &ctx, &v);
        assert_int_equal(e, SL_OK);
        assert_int_equal(v.u.i32, i % 100 + 1 + 24);
        assert_ptr_equal(loop.head, chunk);
        sl_arena_reset(&loop);
    }
#ifndef __SANITIZE_ADDRESS__
    struct mallinfo2 after = mallinfo2();
    assert_int_equal(after.uordblks, before.uordblks);
#endif
    row[C_A].u.i32 = 7;
    sl_arena_free(&loop);
}

SL_TEST_GROUP(expr,
              cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
              cmocka_unit_test_setup_teardown(test_columns_and_pseudo, setup, teardown),
              cmocka_unit_test_setup_teardown(test_arithmetic_types, setup, teardown),
              cmocka_unit_test_setup_teardown(test_concat, setup, teardown),
              cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
              cmocka_unit_test_setup_teardown(test_logic_tables, setup, teardown),
              cmocka_unit_test_setup_teardown(test_predicates, setup, teardown),
              cmocka_unit_test_setup_teardown(test_like, setup, teardown),
              cmocka_unit_test_setup_teardown(test_case, setup, teardown),
              cmocka_unit_test_setup_teardown(test_cast, setup, teardown),
              cmocka_unit_test_setup_teardown(test_access, setup, teardown),
              cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
              cmocka_unit_test_setup_teardown(test_lambdas, setup, teardown),
              cmocka_unit_test_setup_teardown(test_resolution, setup, teardown),
              cmocka_unit_test_setup_teardown(test_aggregates, setup, teardown),
              cmocka_unit_test_setup_teardown(test_no_malloc_loop, setup, teardown))
