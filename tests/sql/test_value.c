/* test_value.c — the SQL value model: types, printing, comparison, hashing,
 * deep copies, decimals and every CAST pair. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "sql/value.h"

static sl_arena_t arena = SL_ARENA_INIT;
static sl_sql_alloc_t al;
static char eb[256];

static void setup(void) { al = sl_sql_alloc_arena(&arena); eb[0] = 0; }
static void done(void) { sl_arena_free(&arena); }

static const sl_sql_type_t *P(sl_sql_base_t b) { return sl_sql_type_prim(b); }

static const sl_sql_type_t *DEC(int p, int s)
{
    const sl_sql_type_t *t = NULL;
    assert_int_equal(sl_sql_type_decimal(&al, p, s, &t, eb, sizeof eb), SL_OK);
    return t;
}

static const char *tname(const sl_sql_type_t *t, sl_sql_type_style_t st)
{
    static char out[512];
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_type_format(t, st, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    sl_buf_free(&b);
    return out;
}

static const char *show(const sl_sql_type_t *t, const sl_sql_value_t *v, sl_sql_print_style_t st)
{
    static char out[1024];
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_value_print(t, v, st, &b), SL_OK);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return out;
}

static sl_sql_value_t S(const char *s) { return sl_sql_value_string(s, strlen(s)); }

/* CAST(v AS to) printed for display; "ERR:<code>" on failure. */
static const char *cast(const sl_sql_type_t *from, sl_sql_value_t v, const sl_sql_type_t *to)
{
    static char out[1024];
    sl_sql_value_t r;
    eb[0] = 0;
    sl_err_t err = sl_sql_cast(&al, from, &v, to, &r, eb, sizeof eb);
    if (err) {
        snprintf(out, sizeof out, "ERR:%s", sl_err_name(err));
        return out;
    }
    assert_int_equal(r.base, to->base);
    snprintf(out, sizeof out, "%s", show(to, &r, SL_SQL_PRINT_DISPLAY));
    return out;
}

static const sl_sql_type_t *struct_ab(void)
{
    sl_sql_field_t f[] = {{"A", P(SL_SQL_INT)}, {"B", P(SL_SQL_STRING)}};
    const sl_sql_type_t *t;
    assert_int_equal(sl_sql_type_struct(&al, f, 2, &t, eb, sizeof eb), SL_OK);
    return t;
}

/* ---- types ------------------------------------------------------------------------ */

static void test_type_names(void **state)
{
    setup();
    assert_string_equal(tname(P(SL_SQL_INT), SL_SQL_TYPE_SQL), "INTEGER");
    assert_string_equal(tname(P(SL_SQL_STRING), SL_SQL_TYPE_SQL), "STRING");
    assert_string_equal(tname(P(SL_SQL_STRING), SL_SQL_TYPE_DESCRIBE), "VARCHAR(STRING)");
    assert_string_equal(tname(DEC(10, 2), SL_SQL_TYPE_SQL), "DECIMAL(10, 2)");
    const sl_sql_type_t *st = struct_ab();
    const sl_sql_type_t *arr = sl_sql_type_array(&al, st);
    assert_string_equal(tname(arr, SL_SQL_TYPE_SQL), "ARRAY<STRUCT<`A` INTEGER, `B` STRING>>");
    assert_string_equal(tname(arr, SL_SQL_TYPE_DESCRIBE),
                        "ARRAY<STRUCT<A INTEGER, B VARCHAR(STRING)>>");
    const sl_sql_type_t *m;
    assert_int_equal(sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_BIGINT), &m, eb, sizeof eb), SL_OK);
    assert_string_equal(tname(m, SL_SQL_TYPE_SQL), "MAP<STRING, BIGINT>");
    const char *names[] = {"BOOLEAN", "BIGINT", "DOUBLE", "BYTES", "DATE", "TIME", "TIMESTAMP"};
    sl_sql_base_t bases[] = {SL_SQL_BOOLEAN, SL_SQL_BIGINT, SL_SQL_DOUBLE, SL_SQL_BYTES,
                             SL_SQL_DATE, SL_SQL_TIME, SL_SQL_TIMESTAMP};
    for (int i = 0; i < 7; i++)
        assert_string_equal(tname(P(bases[i]), SL_SQL_TYPE_SQL), names[i]);
    /* a backquote in a field name is doubled */
    sl_sql_field_t f[] = {{"a`b", P(SL_SQL_INT)}};
    const sl_sql_type_t *q;
    assert_int_equal(sl_sql_type_struct(&al, f, 1, &q, eb, sizeof eb), SL_OK);
    assert_string_equal(tname(q, SL_SQL_TYPE_SQL), "STRUCT<`a``b` INTEGER>");
    done();
}

static void test_type_builders(void **state)
{
    setup();
    const sl_sql_type_t *t;
    assert_int_equal(sl_sql_type_decimal(&al, 0, 0, &t, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "precision"));
    assert_int_equal(sl_sql_type_decimal(&al, 39, 0, &t, eb, sizeof eb), SL_ERR_INVAL);
    assert_int_equal(sl_sql_type_decimal(&al, 5, 6, &t, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "scale"));
    assert_int_equal(sl_sql_type_decimal(&al, 38, 38, &t, eb, sizeof eb), SL_OK);
    sl_sql_field_t dup[] = {{"A", P(SL_SQL_INT)}, {"A", P(SL_SQL_INT)}};
    assert_int_equal(sl_sql_type_struct(&al, dup, 2, &t, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "'A'"));
    assert_int_equal(sl_sql_type_struct(&al, dup, 0, &t, eb, sizeof eb), SL_OK);
    assert_string_equal(tname(t, SL_SQL_TYPE_SQL), "STRUCT<>");
    const sl_sql_type_t *arr = sl_sql_type_array(&al, P(SL_SQL_INT));
    assert_int_equal(sl_sql_type_map(&al, arr, P(SL_SQL_INT), &t, eb, sizeof eb), SL_ERR_INVAL);
    assert_int_equal(sl_sql_type_map(&al, P(SL_SQL_INT), arr, &t, eb, sizeof eb), SL_OK);
    assert_null(sl_sql_type_prim(SL_SQL_DECIMAL));
    /* equality and deep copies */
    assert_true(sl_sql_type_equal(DEC(10, 2), DEC(10, 2)));
    assert_false(sl_sql_type_equal(DEC(10, 2), DEC(10, 3)));
    const sl_sql_type_t *st = struct_ab();
    assert_true(sl_sql_type_equal(st, struct_ab()));
    sl_arena_t other = SL_ARENA_INIT;
    sl_sql_alloc_t oal = sl_sql_alloc_arena(&other);
    const sl_sql_type_t *c = sl_sql_type_copy(&oal, sl_sql_type_array(&al, st));
    done(); /* the copy must not depend on the first arena */
    setup();
    assert_string_equal(tname(c, SL_SQL_TYPE_SQL), "ARRAY<STRUCT<`A` INTEGER, `B` STRING>>");
    assert_int_equal(sl_sql_type_field_index(c->item, "B"), 1);
    assert_int_equal(sl_sql_type_field_index(c->item, "b"), -1);
    sl_arena_free(&other);
    done();
}

/* ---- printing ------------------------------------------------------------------------- */

static void test_print(void **state)
{
    setup();
    sl_sql_value_t v = sl_sql_value_double(1.0);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "1.0");
    struct { double d; const char *s; } dd[] = {
        {0.1, "0.1"}, {-2.5, "-2.5"}, {1e7, "1.0E7"}, {1234567.0, "1234567.0"}, {0.001, "0.001"},
        {0.0001, "1.0E-4"}, {1.2345e-5, "1.2345E-5"}, {123456789.125, "1.23456789125E8"},
        {-0.0, "-0.0"}, {NAN, "NaN"}, {INFINITY, "Infinity"}, {100.0, "100.0"}, {1e21, "1.0E21"}};
    for (size_t i = 0; i < sizeof dd / sizeof dd[0]; i++) {
        char buf[40];
        sl_sql_double_text(dd[i].d, buf);
        assert_string_equal(buf, dd[i].s);
    }
    v = sl_sql_value_decimal(1230, 10, 2);
    assert_string_equal(show(DEC(10, 2), &v, SL_SQL_PRINT_DISPLAY), "12.30");
    v = sl_sql_value_decimal(-5, 3, 2);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_JSON), "-0.05");
    v = sl_sql_value_date(18690);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "2021-03-04");
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_JSON), "18690");
    v = sl_sql_value_time(36930500);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "10:15:30.5");
    v = sl_sql_value_timestamp(1614852930000);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "2021-03-04T10:15:30.000");
    v = sl_sql_value_timestamp(-1);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "1969-12-31T23:59:59.999");
    v = sl_sql_value_bytes((const uint8_t *)"hi!?", 4);
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "aGkhPw==");
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_JSON), "\"aGkhPw==\"");
    v = S("a\"b\n");
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "a\"b\n");
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_JSON), "\"a\\\"b\\n\"");
    v = sl_sql_value_null(P(SL_SQL_STRING));
    assert_string_equal(show(NULL, &v, SL_SQL_PRINT_DISPLAY), "null");

    /* nested: a struct holding an array and a map */
    const sl_sql_type_t *arr = sl_sql_type_array(&al, P(SL_SQL_STRING)), *m, *st;
    assert_int_equal(sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_INT), &m, eb, sizeof eb), SL_OK);
    sl_sql_field_t f[] = {{"L", arr}, {"M", m}, {"N", P(SL_SQL_INT)}};
    assert_int_equal(sl_sql_type_struct(&al, f, 3, &st, eb, sizeof eb), SL_OK);
    sl_sql_value_t s, a, mv;
    assert_int_equal(sl_sql_value_container(&al, arr, 2, &a), SL_OK);
    a.u.items[0] = S("x y");
    assert_int_equal(sl_sql_value_container(&al, m, 1, &mv), SL_OK);
    mv.u.items[0] = S("k"), mv.u.items[1] = sl_sql_value_int(7);
    assert_int_equal(sl_sql_value_container(&al, st, 0, &s), SL_OK);
    assert_int_equal(s.len, 3);
    s.u.items[0] = a, s.u.items[1] = mv;
    assert_string_equal(show(st, &s, SL_SQL_PRINT_DISPLAY), "{L=[x y, null], M={k=7}, N=null}");
    assert_string_equal(show(st, &s, SL_SQL_PRINT_JSON),
                        "{\"L\":[\"x y\",null],\"M\":{\"k\":7},\"N\":null}");
    /* a map with INT keys prints them as JSON strings */
    const sl_sql_type_t *mi;
    assert_int_equal(sl_sql_type_map(&al, P(SL_SQL_INT), P(SL_SQL_INT), &mi, eb, sizeof eb), SL_OK);
    assert_int_equal(sl_sql_value_container(&al, mi, 1, &mv), SL_OK);
    mv.u.items[0] = sl_sql_value_int(1), mv.u.items[1] = sl_sql_value_int(2);
    assert_string_equal(show(mi, &mv, SL_SQL_PRINT_JSON), "{\"1\":2}");
    done();
}

/* ---- comparison, equality, hashing ------------------------------------------------------ */

static void test_compare_nulls(void **state)
{
    setup();
    sl_sql_value_t n = sl_sql_value_null(P(SL_SQL_INT)), one = sl_sql_value_int(1);
    assert_int_equal(sl_sql_value_compare(&n, &one), SL_SQL_UNKNOWN);
    assert_int_equal(sl_sql_value_compare(&one, &n), SL_SQL_UNKNOWN);
    assert_int_equal(sl_sql_value_compare(&n, &n), SL_SQL_UNKNOWN);
    assert_true(sl_sql_value_equal(&n, &n));
    assert_false(sl_sql_value_equal(&n, &one));
    assert_int_equal(sl_sql_value_hash(&n), sl_sql_value_hash(&n));
    /* inside containers NULL is a value */
    const sl_sql_type_t *arr = sl_sql_type_array(&al, P(SL_SQL_INT));
    sl_sql_value_t a, b;
    sl_sql_value_container(&al, arr, 2, &a);
    sl_sql_value_container(&al, arr, 2, &b);
    a.u.items[0] = b.u.items[0] = sl_sql_value_int(1);
    assert_int_equal(sl_sql_value_compare(&a, &b), SL_SQL_EQ);
    b.u.items[1] = sl_sql_value_int(0);
    assert_int_equal(sl_sql_value_compare(&a, &b), SL_SQL_LT);
    done();
}

static void test_compare_values(void **state)
{
    setup();
    sl_sql_value_t i1 = sl_sql_value_int(1), b1 = sl_sql_value_bigint(1), d1 = sl_sql_value_double(1.0),
                   m1 = sl_sql_value_decimal(100, 5, 2), m15 = sl_sql_value_decimal(15, 3, 1),
                   d15 = sl_sql_value_double(1.5), big = sl_sql_value_bigint(INT64_MAX);
    assert_int_equal(sl_sql_value_compare(&i1, &b1), 0);
    assert_int_equal(sl_sql_value_compare(&i1, &d1), 0);
    assert_int_equal(sl_sql_value_compare(&m1, &i1), 0);
    assert_int_equal(sl_sql_value_compare(&m15, &d15), 0);
    assert_int_equal(sl_sql_value_compare(&m15, &m1), 1);
    assert_int_equal(sl_sql_value_compare(&big, &m1), 1);
    sl_sql_value_t nan = sl_sql_value_double(NAN), inf = sl_sql_value_double(INFINITY),
                   nz = sl_sql_value_double(-0.0), z = sl_sql_value_double(0.0);
    assert_int_equal(sl_sql_value_compare(&nan, &inf), 1);
    assert_int_equal(sl_sql_value_compare(&nan, &nan), 0);
    assert_int_equal(sl_sql_value_compare(&nz, &z), -1);
    sl_sql_value_t sa = S("a"), sab = S("ab"), sb = S("b");
    assert_int_equal(sl_sql_value_compare(&sa, &sab), -1);
    assert_int_equal(sl_sql_value_compare(&sb, &sab), 1);
    sl_sql_value_t t = sl_sql_value_bool(1), f = sl_sql_value_bool(0);
    assert_int_equal(sl_sql_value_compare(&f, &t), -1);
    sl_sql_value_t date = sl_sql_value_date(1), ts = sl_sql_value_timestamp(86400000);
    assert_int_equal(sl_sql_value_compare(&date, &ts), 0);
    assert_true(sl_sql_value_equal(&date, &ts));
    assert_int_equal(sl_sql_value_hash(&date), sl_sql_value_hash(&ts));
    assert_int_equal(sl_sql_value_compare(&sa, &i1), SL_SQL_INCOMPARABLE);
    /* equal values of different numeric types hash alike */
    assert_int_equal(sl_sql_value_hash(&i1), sl_sql_value_hash(&b1));
    assert_int_equal(sl_sql_value_hash(&i1), sl_sql_value_hash(&d1));
    assert_int_equal(sl_sql_value_hash(&i1), sl_sql_value_hash(&m1));
    assert_int_equal(sl_sql_value_hash(&m15), sl_sql_value_hash(&d15));
    assert_int_not_equal(sl_sql_value_hash(&i1), sl_sql_value_hash(&m15));
    sl_sql_value_t sa2 = S("a");
    assert_int_equal(sl_sql_value_hash(&sa), sl_sql_value_hash(&sa2));
    assert_int_not_equal(sl_sql_value_hash(&sa), sl_sql_value_hash(&sb));
    /* maps: equal in any order, hash alike */
    const sl_sql_type_t *m;
    sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_INT), &m, eb, sizeof eb);
    sl_sql_value_t x, y;
    sl_sql_value_container(&al, m, 2, &x);
    sl_sql_value_container(&al, m, 2, &y);
    x.u.items[0] = S("a"), x.u.items[1] = sl_sql_value_int(1);
    x.u.items[2] = S("b"), x.u.items[3] = sl_sql_value_int(2);
    y.u.items[0] = S("b"), y.u.items[1] = sl_sql_value_int(2);
    y.u.items[2] = S("a"), y.u.items[3] = sl_sql_value_int(1);
    assert_true(sl_sql_value_equal(&x, &y));
    assert_int_equal(sl_sql_value_hash(&x), sl_sql_value_hash(&y));
    y.u.items[3] = sl_sql_value_int(3);
    assert_false(sl_sql_value_equal(&x, &y));
    done();
}

static void test_deep_copy(void **state)
{
    setup();
    const sl_sql_type_t *st = struct_ab(), *arr = sl_sql_type_array(&al, st);
    sl_sql_value_t a, s;
    char buf[8];
    strcpy(buf, "hello");
    sl_sql_value_container(&al, arr, 1, &a);
    sl_sql_value_container(&al, st, 0, &s);
    s.u.items[0] = sl_sql_value_int(5);
    s.u.items[1] = sl_sql_value_string(buf, 5);
    a.u.items[0] = s;
    sl_arena_t other = SL_ARENA_INIT;
    sl_sql_alloc_t oal = sl_sql_alloc_arena(&other);
    sl_sql_value_t c;
    assert_int_equal(sl_sql_value_copy(&oal, &a, &c), SL_OK);
    strcpy(buf, "xxxxx");
    const sl_sql_type_t *arr2 = sl_sql_type_copy(&oal, arr);
    done(); /* the source's arena is gone */
    assert_string_equal(show(arr2, &c, SL_SQL_PRINT_DISPLAY), "[{A=5, B=hello}]");
    sl_arena_free(&other);
}

/* ---- decimals ------------------------------------------------------------------------- */

static void test_decimal(void **state)
{
    setup();
    sl_sql_i128_t u;
    assert_int_equal(sl_sql_decimal_parse("1.005", 5, 5, 2, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 101); /* HALF_UP */
    assert_int_equal(sl_sql_decimal_parse("-1.005", 6, 5, 2, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == -101);
    assert_int_equal(sl_sql_decimal_parse("1.004", 5, 5, 2, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 100);
    assert_int_equal(sl_sql_decimal_parse("9.995", 5, 3, 2, 0, &u, eb, sizeof eb), SL_ERR_RANGE);
    assert_non_null(strstr(eb, "Numeric field overflow"));
    assert_int_equal(sl_sql_decimal_parse("1.5e2", 5, 5, 1, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 1500);
    assert_int_equal(sl_sql_decimal_parse("12345e-4", 8, 5, 2, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 123);
    assert_int_equal(sl_sql_decimal_parse(".5", 2, 2, 0, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 1);
    assert_int_equal(sl_sql_decimal_parse("1.2.3", 5, 5, 2, 0, &u, eb, sizeof eb), SL_ERR_INVAL);
    assert_int_equal(sl_sql_decimal_parse("", 0, 5, 2, 0, &u, eb, sizeof eb), SL_ERR_INVAL);
    assert_int_equal(sl_sql_decimal_parse("1e", 2, 5, 2, 0, &u, eb, sizeof eb), SL_ERR_INVAL);
    /* strict: no rounding allowed (the deserializers) */
    assert_int_equal(sl_sql_decimal_parse("1.234", 5, 5, 2, 1, &u, eb, sizeof eb), SL_ERR_RANGE);
    assert_non_null(strstr(eb, "without rounding"));
    assert_int_equal(sl_sql_decimal_parse("1.230", 5, 5, 2, 1, &u, eb, sizeof eb), SL_OK);
    /* 38 digits: the whole range, and one past it */
    const char *max = "99999999999999999999999999999999999999";
    assert_int_equal(sl_sql_decimal_parse(max, 38, 38, 0, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == sl_sql_pow10(38) - 1);
    char buf[48];
    sl_sql_decimal_text(-u, 0, buf);
    assert_string_equal(buf, "-99999999999999999999999999999999999999");
    assert_int_equal(sl_sql_decimal_parse("100000000000000000000000000000000000000", 39, 38, 0, 0,
                                          &u, eb, sizeof eb),
                     SL_ERR_RANGE);
    assert_int_equal(sl_sql_decimal_parse("9999999999999999999999999999999999999.95", 40, 38, 1, 0,
                                          &u, eb, sizeof eb),
                     SL_ERR_RANGE); /* rounds up past 37 integer digits */
    assert_int_equal(sl_sql_decimal_parse("1e100", 5, 38, 0, 0, &u, eb, sizeof eb), SL_ERR_RANGE);
    assert_int_equal(sl_sql_decimal_parse("1e-100", 6, 38, 2, 0, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 0);
    /* rescale */
    assert_int_equal(sl_sql_decimal_rescale(12345, 3, 4, 2, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 1235);
    assert_int_equal(sl_sql_decimal_rescale(-12345, 3, 4, 2, &u, eb, sizeof eb), SL_OK);
    assert_true(u == -1235);
    assert_int_equal(sl_sql_decimal_rescale(12344, 3, 4, 2, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 1234);
    assert_int_equal(sl_sql_decimal_rescale(5, 0, 3, 2, &u, eb, sizeof eb), SL_OK);
    assert_true(u == 500);
    assert_int_equal(sl_sql_decimal_rescale(10, 0, 3, 2, &u, eb, sizeof eb), SL_ERR_RANGE);
    assert_int_equal(sl_sql_decimal_rescale(sl_sql_pow10(37), 0, 38, 30, &u, eb, sizeof eb), SL_ERR_RANGE);
    sl_sql_decimal_text(5, 3, buf);
    assert_string_equal(buf, "0.005");
    assert_true(sl_sql_decimal_to_double(15, 1) == 1.5);
    done();
}

/* ---- CAST --------------------------------------------------------------------------------- */

static void test_cast_numbers(void **state)
{
    setup();
    const sl_sql_type_t *I = P(SL_SQL_INT), *B = P(SL_SQL_BIGINT), *D = P(SL_SQL_DOUBLE),
                        *S_ = P(SL_SQL_STRING), *M = DEC(5, 2);
    /* widening */
    assert_string_equal(cast(I, sl_sql_value_int(-7), B), "-7");
    assert_string_equal(cast(I, sl_sql_value_int(7), D), "7.0");
    assert_string_equal(cast(B, sl_sql_value_bigint(1LL << 53), D), "9.007199254740992E15");
    assert_string_equal(cast(I, sl_sql_value_int(7), M), "7.00");
    assert_string_equal(cast(I, sl_sql_value_int(1000), M), "ERR:SL_ERR_RANGE");
    assert_non_null(strstr(eb, "Numeric field overflow: A field with precision 5 and scale 2"));
    assert_string_equal(cast(B, sl_sql_value_bigint(-999), M), "-999.00");
    /* narrowing */
    assert_string_equal(cast(B, sl_sql_value_bigint(4294967297LL), I), "1"); /* Long.intValue */
    assert_string_equal(cast(D, sl_sql_value_double(-2.9), I), "-2");
    assert_string_equal(cast(D, sl_sql_value_double(1e20), I), "2147483647");
    assert_string_equal(cast(D, sl_sql_value_double(NAN), B), "0");
    assert_string_equal(cast(D, sl_sql_value_double(1e20), B), "9223372036854775807");
    assert_string_equal(cast(M, sl_sql_value_decimal(-12399, 5, 2), I), "-123");
    assert_string_equal(cast(M, sl_sql_value_decimal(12399, 5, 2), B), "123");
    assert_string_equal(cast(M, sl_sql_value_decimal(12350, 5, 2), D), "123.5");
    /* DOUBLE to DECIMAL: HALF_UP from the shortest decimal form */
    assert_string_equal(cast(D, sl_sql_value_double(1.005), M), "1.01");
    assert_string_equal(cast(D, sl_sql_value_double(-1.005), M), "-1.01");
    assert_string_equal(cast(D, sl_sql_value_double(0.125), DEC(3, 2)), "0.13");
    assert_string_equal(cast(D, sl_sql_value_double(1000.0), M), "ERR:SL_ERR_RANGE");
    assert_string_equal(cast(D, sl_sql_value_double(NAN), M), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(D, sl_sql_value_double(1e-7), M), "0.00");
    /* DECIMAL to DECIMAL */
    assert_string_equal(cast(DEC(6, 3), sl_sql_value_decimal(123455, 6, 3), DEC(5, 2)), "123.46");
    assert_string_equal(cast(DEC(6, 3), sl_sql_value_decimal(999995, 6, 3), DEC(5, 2)),
                        "ERR:SL_ERR_RANGE");
    assert_string_equal(cast(DEC(2, 1), sl_sql_value_decimal(15, 2, 1), DEC(10, 5)), "1.50000");
    /* to STRING */
    assert_string_equal(cast(I, sl_sql_value_int(-3), S_), "-3");
    assert_string_equal(cast(D, sl_sql_value_double(2.0), S_), "2.0");
    assert_string_equal(cast(M, sl_sql_value_decimal(5, 5, 2), S_), "0.05");
    assert_string_equal(cast(P(SL_SQL_BOOLEAN), sl_sql_value_bool(1), S_), "true");
    /* NULL casts to NULL of the target */
    sl_sql_value_t r, n = sl_sql_value_null(I);
    assert_int_equal(sl_sql_cast(&al, I, &n, M, &r, eb, sizeof eb), SL_OK);
    assert_true(r.is_null);
    assert_int_equal(r.base, SL_SQL_DECIMAL);
    assert_int_equal(r.precision, 5);
    done();
}

static void test_cast_strings(void **state)
{
    setup();
    const sl_sql_type_t *S_ = P(SL_SQL_STRING);
    assert_string_equal(cast(S_, S("42"), P(SL_SQL_INT)), "42");
    assert_string_equal(cast(S_, S(" -42 "), P(SL_SQL_INT)), "-42");
    assert_string_equal(cast(S_, S("2147483648"), P(SL_SQL_INT)), "ERR:SL_ERR_RANGE");
    assert_string_equal(cast(S_, S("4.2"), P(SL_SQL_INT)), "ERR:SL_ERR_INVAL");
    assert_string_equal(eb, "For input string: \"4.2\"");
    assert_string_equal(cast(S_, S(""), P(SL_SQL_INT)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("9223372036854775807"), P(SL_SQL_BIGINT)), "9223372036854775807");
    assert_string_equal(cast(S_, S("9223372036854775808"), P(SL_SQL_BIGINT)), "ERR:SL_ERR_RANGE");
    assert_string_equal(cast(S_, S("1.5e3"), P(SL_SQL_DOUBLE)), "1500.0");
    assert_string_equal(cast(S_, S("NaN"), P(SL_SQL_DOUBLE)), "NaN");
    assert_string_equal(cast(S_, S("-Infinity"), P(SL_SQL_DOUBLE)), "-Infinity");
    assert_string_equal(cast(S_, S("abc"), P(SL_SQL_DOUBLE)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("inf"), P(SL_SQL_DOUBLE)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("12.345"), DEC(4, 2)), "12.35");
    assert_string_equal(cast(S_, S("123.4"), DEC(4, 2)), "ERR:SL_ERR_RANGE");
    assert_string_equal(cast(S_, S("x"), DEC(4, 2)), "ERR:SL_ERR_INVAL");
    /* booleans: SqlBooleans prefixes */
    const char *yes[] = {"true", "TRUE", "t", "Tr", "yes", "Y"};
    const char *no[] = {"false", "False", "f", "no", "N"};
    for (int i = 0; i < 6; i++)
        assert_string_equal(cast(S_, S(yes[i]), P(SL_SQL_BOOLEAN)), "true");
    for (int i = 0; i < 5; i++)
        assert_string_equal(cast(S_, S(no[i]), P(SL_SQL_BOOLEAN)), "false");
    assert_string_equal(cast(S_, S("truex"), P(SL_SQL_BOOLEAN)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S(""), P(SL_SQL_BOOLEAN)), "ERR:SL_ERR_INVAL");
    /* dates and times */
    assert_string_equal(cast(S_, S("2021-03-04"), P(SL_SQL_DATE)), "2021-03-04");
    assert_string_equal(cast(S_, S("2020-02-29"), P(SL_SQL_DATE)), "2020-02-29");
    assert_string_equal(cast(S_, S("2021-02-29"), P(SL_SQL_DATE)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("2021-3-4"), P(SL_SQL_DATE)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("1969-12-31"), P(SL_SQL_DATE)), "1969-12-31");
    assert_string_equal(cast(S_, S("10:15"), P(SL_SQL_TIME)), "10:15:00");
    assert_string_equal(cast(S_, S("10:15:30.123"), P(SL_SQL_TIME)), "10:15:30.123");
    assert_string_equal(cast(S_, S("24:00:00"), P(SL_SQL_TIME)), "ERR:SL_ERR_INVAL");
    assert_string_equal(cast(S_, S("2021-03-04T10:15:30.123"), P(SL_SQL_TIMESTAMP)),
                        "2021-03-04T10:15:30.123");
    assert_string_equal(cast(S_, S("2021-03-04T10:15"), P(SL_SQL_TIMESTAMP)),
                        "2021-03-04T10:15:00.000");
    assert_string_equal(cast(S_, S("2021-03-04"), P(SL_SQL_TIMESTAMP)), "2021-03-04T00:00:00.000");
    assert_string_equal(cast(S_, S("2021-03-04T10:15:30+02:00"), P(SL_SQL_TIMESTAMP)),
                        "2021-03-04T08:15:30.000");
    assert_string_equal(cast(S_, S("2021-03-04T10:15:30Z"), P(SL_SQL_TIMESTAMP)),
                        "2021-03-04T10:15:30.000");
    assert_string_equal(cast(S_, S("2021-03-04 10:15"), P(SL_SQL_TIMESTAMP)), "ERR:SL_ERR_INVAL");
    /* back to strings */
    assert_string_equal(cast(P(SL_SQL_DATE), sl_sql_value_date(0), S_), "1970-01-01");
    assert_string_equal(cast(P(SL_SQL_TIME), sl_sql_value_time(1000), S_), "00:00:01");
    assert_string_equal(cast(P(SL_SQL_TIMESTAMP), sl_sql_value_timestamp(0), S_),
                        "1970-01-01T00:00:00.000");
    /* the string result is a copy that lives in the allocator */
    sl_sql_value_t r, in = sl_sql_value_int(12);
    assert_int_equal(sl_sql_cast(&al, P(SL_SQL_INT), &in, S_, &r, eb, sizeof eb), SL_OK);
    assert_int_equal(r.len, 2);
    assert_string_equal(r.u.str, "12");
    done();
}

static void test_cast_temporal_and_refused(void **state)
{
    setup();
    const sl_sql_type_t *TS = P(SL_SQL_TIMESTAMP), *DT = P(SL_SQL_DATE), *TM = P(SL_SQL_TIME);
    assert_string_equal(cast(TS, sl_sql_value_timestamp(1614852930123), DT), "2021-03-04");
    assert_string_equal(cast(TS, sl_sql_value_timestamp(-1), DT), "1969-12-31");
    assert_string_equal(cast(TS, sl_sql_value_timestamp(1614852930123), TM), "10:15:30.123");
    assert_string_equal(cast(TS, sl_sql_value_timestamp(-1), TM), "23:59:59.999");
    assert_string_equal(cast(DT, sl_sql_value_date(1), TS), "1970-01-02T00:00:00.000");
    /* casts ksqlDB refuses */
    struct { sl_sql_base_t from, to; } bad[] = {
        {SL_SQL_BOOLEAN, SL_SQL_INT},  {SL_SQL_INT, SL_SQL_BOOLEAN},  {SL_SQL_BYTES, SL_SQL_STRING},
        {SL_SQL_STRING, SL_SQL_BYTES}, {SL_SQL_TIME, SL_SQL_DATE},    {SL_SQL_BIGINT, SL_SQL_TIMESTAMP},
        {SL_SQL_DATE, SL_SQL_TIME},    {SL_SQL_TIME, SL_SQL_TIMESTAMP}, {SL_SQL_DOUBLE, SL_SQL_DATE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_sql_value_t v = sl_sql_value_null(P(bad[i].from)), r;
        assert_false(sl_sql_cast_allowed(P(bad[i].from), P(bad[i].to)));
        assert_int_equal(sl_sql_cast(&al, P(bad[i].from), &v, P(bad[i].to), &r, eb, sizeof eb),
                         SL_ERR_INVAL);
        assert_non_null(strstr(eb, "is not supported"));
    }
    sl_sql_value_t v = sl_sql_value_bool(1), r;
    assert_int_equal(sl_sql_cast(&al, P(SL_SQL_BOOLEAN), &v, P(SL_SQL_INT), &r, eb, sizeof eb), SL_ERR_INVAL);
    assert_string_equal(eb, "Cast of BOOLEAN to INTEGER is not supported");
    /* every pair of primitives: allowed casts of a sample value succeed or fail cleanly */
    sl_sql_base_t all[] = {SL_SQL_BOOLEAN, SL_SQL_INT, SL_SQL_BIGINT, SL_SQL_DOUBLE, SL_SQL_STRING,
                           SL_SQL_BYTES, SL_SQL_DATE, SL_SQL_TIME, SL_SQL_TIMESTAMP};
    sl_sql_value_t samples[] = {sl_sql_value_bool(1), sl_sql_value_int(5), sl_sql_value_bigint(5),
                                sl_sql_value_double(5.5), S("5"), sl_sql_value_bytes((const uint8_t *)"5", 1),
                                sl_sql_value_date(5), sl_sql_value_time(5), sl_sql_value_timestamp(5)};
    int ok = 0;
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) {
            sl_err_t err = sl_sql_cast(&al, P(all[i]), &samples[i], P(all[j]), &r, eb, sizeof eb);
            if (sl_sql_cast_allowed(P(all[i]), P(all[j]))) {
                if (err == SL_OK) {
                    ok++;
                    assert_int_equal(r.base, all[j]);
                }
            } else {
                assert_int_equal(err, SL_ERR_INVAL);
            }
        }
    assert_int_equal(ok, 28); /* allowed pairs; STRING "5" is no BOOLEAN, DATE, TIME, TIMESTAMP */
    done();
}

static void test_cast_containers(void **state)
{
    setup();
    const sl_sql_type_t *ai = sl_sql_type_array(&al, P(SL_SQL_INT)),
                        *as = sl_sql_type_array(&al, P(SL_SQL_STRING));
    sl_sql_value_t a, r;
    sl_sql_value_container(&al, as, 3, &a);
    a.u.items[0] = S("1"), a.u.items[2] = S(" 3");
    assert_int_equal(sl_sql_cast(&al, as, &a, ai, &r, eb, sizeof eb), SL_OK);
    assert_string_equal(show(ai, &r, SL_SQL_PRINT_DISPLAY), "[1, null, 3]");
    a.u.items[1] = S("x");
    assert_int_equal(sl_sql_cast(&al, as, &a, ai, &r, eb, sizeof eb), SL_ERR_INVAL);
    const sl_sql_type_t *mi, *ms;
    sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_INT), &mi, eb, sizeof eb);
    sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_DOUBLE), &ms, eb, sizeof eb);
    sl_sql_value_t m;
    sl_sql_value_container(&al, mi, 1, &m);
    m.u.items[0] = S("k"), m.u.items[1] = sl_sql_value_int(2);
    assert_int_equal(sl_sql_cast(&al, mi, &m, ms, &r, eb, sizeof eb), SL_OK);
    assert_string_equal(show(ms, &r, SL_SQL_PRINT_DISPLAY), "{k=2.0}");
    /* struct to struct by name; missing fields are NULL */
    const sl_sql_type_t *src = struct_ab(), *dst;
    sl_sql_field_t f[] = {{"B", P(SL_SQL_STRING)}, {"C", P(SL_SQL_INT)}, {"A", P(SL_SQL_BIGINT)}};
    sl_sql_type_struct(&al, f, 3, &dst, eb, sizeof eb);
    sl_sql_value_t s;
    sl_sql_value_container(&al, src, 0, &s);
    s.u.items[0] = sl_sql_value_int(9), s.u.items[1] = S("b");
    assert_int_equal(sl_sql_cast(&al, src, &s, dst, &r, eb, sizeof eb), SL_OK);
    assert_string_equal(show(dst, &r, SL_SQL_PRINT_DISPLAY), "{B=b, C=null, A=9}");
    assert_string_equal(cast(src, s, P(SL_SQL_STRING)), "{A=9, B=b}");
    assert_false(sl_sql_cast_allowed(ai, mi));
    assert_false(sl_sql_cast_allowed(ai, P(SL_SQL_INT)));
    done();
}

SL_TEST_GROUP(value, cmocka_unit_test(test_type_names), cmocka_unit_test(test_type_builders),
              cmocka_unit_test(test_print), cmocka_unit_test(test_compare_nulls),
              cmocka_unit_test(test_compare_values), cmocka_unit_test(test_deep_copy),
              cmocka_unit_test(test_decimal), cmocka_unit_test(test_cast_numbers),
              cmocka_unit_test(test_cast_strings), cmocka_unit_test(test_cast_temporal_and_refused),
              cmocka_unit_test(test_cast_containers))
