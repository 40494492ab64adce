/* test_format.c — rows in ksqlDB's formats: JSON, DELIMITED, KAFKA, NONE,
 * single-value wrapping, bad records, and the SQL serde. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "engine/engine_int.h" /* a record scope (sl_mem_t) and sink (sl_out_t) for the serde */
#include "sql/format.h"

static sl_arena_t arena = SL_ARENA_INIT;
static sl_sql_alloc_t al;
static char eb[512];

static void setup(void) { al = sl_sql_alloc_arena(&arena); eb[0] = 0; }
static void done(void) { sl_arena_free(&arena); }

static const sl_sql_type_t *P(sl_sql_base_t b) { return sl_sql_type_prim(b); }
static sl_sql_value_t S(const char *s) { return sl_sql_value_string(s, strlen(s)); }

static sl_sql_format_t F(sl_sql_format_kind_t k) { return (sl_sql_format_t){.kind = k}; }

/* Serializes row; returns the text (static) or "NULL" for Kafka's null. */
static const char *ser(const sl_sql_format_t *f, const sl_sql_schema_t *s, sl_sql_value_t *vals)
{
    static char out[1024];
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_row_t row = {s->ncols, vals};
    int is_null = 0;
    assert_int_equal(sl_sql_row_serialize(f, s, &row, &b, &is_null, eb, sizeof eb), SL_OK);
    snprintf(out, sizeof out, "%s%.*s", is_null ? "NULL" : "", (int)b.len,
             b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return out;
}

/* Deserializes text, then prints the row as "v1|v2|..." (display style). */
static const char *de(const sl_sql_format_t *f, const sl_sql_schema_t *s, const char *text)
{
    static char out[1024];
    sl_sql_row_t row;
    int is_null = 0;
    eb[0] = 0;
    sl_err_t err = sl_sql_row_deserialize(f, s, (const uint8_t *)text, strlen(text), &al, &row,
                                          &is_null, eb, sizeof eb);
    if (err) {
        snprintf(out, sizeof out, "ERR:%s", sl_err_name(err));
        return out;
    }
    if (is_null)
        return "NULLROW";
    sl_buf_t b = SL_BUF_INIT;
    for (size_t i = 0; i < row.n; i++) {
        if (i)
            sl_buf_append(&b, "|", 1);
        assert_int_equal(sl_sql_value_print(s->cols[i].type, &row.values[i], SL_SQL_PRINT_DISPLAY, &b), SL_OK);
    }
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return out;
}

/* ---- JSON --------------------------------------------------------------------------- */

static void test_json_roundtrip(void **state)
{
    setup();
    const sl_sql_type_t *dec, *st, *m, *arr;
    sl_sql_type_decimal(&al, 38, 4, &dec, eb, sizeof eb);
    sl_sql_field_t fl[] = {{"X", P(SL_SQL_INT)}, {"y", P(SL_SQL_STRING)}};
    sl_sql_type_struct(&al, fl, 2, &st, eb, sizeof eb);
    sl_sql_type_map(&al, P(SL_SQL_STRING), P(SL_SQL_DOUBLE), &m, eb, sizeof eb);
    arr = sl_sql_type_array(&al, st);
    sl_sql_column_t cols[] = {
        {"B", P(SL_SQL_BOOLEAN)}, {"I", P(SL_SQL_INT)},     {"L", P(SL_SQL_BIGINT)},
        {"D", P(SL_SQL_DOUBLE)},  {"M", dec},               {"S", P(SL_SQL_STRING)},
        {"Y", P(SL_SQL_BYTES)},   {"DT", P(SL_SQL_DATE)},   {"TM", P(SL_SQL_TIME)},
        {"TS", P(SL_SQL_TIMESTAMP)}, {"A", arr},            {"MP", m},
        {"lower", P(SL_SQL_INT)}};
    sl_sql_schema_t s = {13, cols};
    sl_sql_value_t v[13], a, item, mp;
    sl_sql_value_container(&al, arr, 2, &a);
    sl_sql_value_container(&al, st, 0, &item);
    item.u.items[0] = sl_sql_value_int(1), item.u.items[1] = S("q\"uote");
    a.u.items[0] = item;
    sl_sql_value_container(&al, m, 1, &mp);
    mp.u.items[0] = S("k"), mp.u.items[1] = sl_sql_value_double(0.5);
    sl_sql_i128_t big = sl_sql_pow10(37) + 12345; /* 34 integer digits and 4 decimals: exact */
    v[0] = sl_sql_value_bool(1), v[1] = sl_sql_value_int(-5), v[2] = sl_sql_value_bigint(INT64_MIN);
    v[3] = sl_sql_value_double(1e10), v[4] = sl_sql_value_decimal(big, 38, 4), v[5] = S("héllo\n");
    v[6] = sl_sql_value_bytes((const uint8_t *)"\x00\xff", 2), v[7] = sl_sql_value_date(18690);
    v[8] = sl_sql_value_time(1000), v[9] = sl_sql_value_timestamp(1614852930000), v[10] = a;
    v[11] = mp, v[12] = sl_sql_value_null(P(SL_SQL_INT));
    sl_sql_format_t f = F(SL_SQL_FORMAT_JSON);
    const char *json = ser(&f, &s, v);
    assert_string_equal(json,
                        "{\"B\":true,\"I\":-5,\"L\":-9223372036854775808,\"D\":1.0E10,"
                        "\"M\":1000000000000000000000000000000001.2345,\"S\":\"héllo\\n\","
                        "\"Y\":\"AP8=\",\"DT\":18690,\"TM\":1000,\"TS\":1614852930000,"
                        "\"A\":[{\"X\":1,\"y\":\"q\\\"uote\"},null],\"MP\":{\"k\":0.5},\"lower\":null}");
    char copy[1024];
    strcpy(copy, json);
    assert_string_equal(de(&f, &s, copy),
                        "true|-5|-9223372036854775808|1.0E10|1000000000000000000000000000000001.2345|"
                        "héllo\n|AP8=|2021-03-04|00:00:01|2021-03-04T10:15:30.000|"
                        "[{X=1, y=q\"uote}, null]|{k=0.5}|null");
    done();
}

static void test_json_case_insensitive(void **state)
{
    setup();
    sl_sql_column_t cols[] = {{"NAME", P(SL_SQL_STRING)}, {"lower", P(SL_SQL_INT)}, {"AGE", P(SL_SQL_INT)}};
    sl_sql_schema_t s = {3, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_JSON);
    /* unquoted (upper-case) columns match any case; the quoted `lower` only exactly */
    assert_string_equal(de(&f, &s, "{\"name\":\"a\",\"lower\":1,\"Age\":2}"), "a|1|2");
    assert_string_equal(de(&f, &s, "{\"Name\":\"a\",\"LOWER\":1}"), "a|null|null");
    /* an exact match wins over a case-insensitive one */
    assert_string_equal(de(&f, &s, "{\"NAME\":\"exact\",\"name\":\"other\"}"), "exact|null|null");
    /* missing fields are NULL, extra ones ignored, JSON null is NULL */
    assert_string_equal(de(&f, &s, "{\"extra\":[1,{}],\"AGE\":null}"), "null|null|null");
    /* nested struct fields follow the same rule */
    const sl_sql_type_t *st;
    sl_sql_field_t fl[] = {{"INNER", P(SL_SQL_INT)}};
    sl_sql_type_struct(&al, fl, 1, &st, eb, sizeof eb);
    sl_sql_column_t c2[] = {{"S", st}};
    sl_sql_schema_t s2 = {1, c2};
    assert_string_equal(de(&f, &s2, "{\"s\":{\"inner\":3}}"), "{INNER=3}");
    done();
}

static void test_json_coercion(void **state)
{
    setup();
    const sl_sql_type_t *dec;
    sl_sql_type_decimal(&al, 5, 2, &dec, eb, sizeof eb);
    sl_sql_column_t cols[] = {{"I", P(SL_SQL_INT)}, {"L", P(SL_SQL_BIGINT)}, {"D", P(SL_SQL_DOUBLE)},
                              {"S", P(SL_SQL_STRING)}, {"M", dec}};
    sl_sql_schema_t s = {5, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_JSON);
    /* strings into numbers, numbers into strings (ksqlDB's JsonSerdeUtils) */
    assert_string_equal(de(&f, &s, "{\"I\":\"12\",\"L\":\"-3\",\"D\":\"1.5\",\"S\":12.50,\"M\":\"1.5\"}"),
                        "12|-3|1.5|12.50|1.50");
    /* fractions truncate into INT/BIGINT (NumericNode.intValue) */
    assert_string_equal(de(&f, &s, "{\"I\":1.9,\"L\":-2.9,\"D\":3,\"S\":true,\"M\":12}"),
                        "1|-2|3.0|true|12.00");
    /* objects and arrays into STRING */
    assert_string_equal(de(&f, &s, "{\"S\":{\"a\": [1, \"x\"]}}"), "null|null|null|{\"a\":[1,\"x\"]}|null");
    assert_string_equal(de(&f, &s, "{\"S\":[1, \"x\", null]}"), "null|null|null|[1, x, null]|null");
    /* escapes and surrogate pairs */
    assert_string_equal(de(&f, &s, "{\"S\":\"\\u00e9\\ud83d\\ude00\\t\"}"), "null|null|null|é😀\t|null");
    done();
}

static void test_json_bad_records(void **state)
{
    setup();
    const sl_sql_type_t *dec, *arr;
    sl_sql_type_decimal(&al, 4, 2, &dec, eb, sizeof eb);
    arr = sl_sql_type_array(&al, P(SL_SQL_INT));
    sl_sql_column_t cols[] = {{"AGE", P(SL_SQL_INT)}, {"OK", P(SL_SQL_BOOLEAN)}, {"M", dec}, {"A", arr}};
    sl_sql_schema_t s = {4, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_JSON);
    assert_string_equal(de(&f, &s, "{\"AGE\":\"x\"}"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't coerce string to type. targetType: INTEGER, path: $.AGE");
    assert_string_equal(de(&f, &s, "{\"AGE\":true}"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't convert type. sourceType: BooleanNode, requiredType: INTEGER, path: $.AGE");
    assert_string_equal(de(&f, &s, "{\"OK\":\"true\"}"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't convert type. sourceType: TextNode, requiredType: BOOLEAN, path: $.OK");
    assert_string_equal(de(&f, &s, "{\"A\":[1,\"z\"]}"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't coerce string to type. targetType: INTEGER, path: $.A[1]");
    assert_string_equal(de(&f, &s, "{\"A\":{}}"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't convert type. sourceType: ObjectNode, requiredType: ARRAY<INTEGER>, path: $.A");
    assert_string_equal(de(&f, &s, "{\"M\":123.4}"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "path: $.M"));
    assert_string_equal(de(&f, &s, "{\"M\":1.234}"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "without rounding"));
    assert_string_equal(de(&f, &s, "[1]"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Can't convert type. sourceType: ArrayNode, requiredType: STRUCT<`AGE` "
                            "INTEGER, `OK` BOOLEAN, `M` DECIMAL(4, 2), `A` ARRAY<INTEGER>>, path: $");
    const char *broken[] = {"{", "{\"AGE\":1,}", "{\"AGE\" 1}", "{\"AGE\":01}", "nul", "{} x",
                            "{\"AGE\":\"\\q\"}", "", "{\"A\":[1 2]}", "\"abc"};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        assert_string_equal(de(&f, &s, broken[i]), "ERR:SL_ERR_SERDE");
        assert_non_null(strstr(eb, "Invalid JSON"));
    }
    /* deep nesting is refused, not a stack overflow */
    static char deep[4000];
    memset(deep, '[', 2000);
    deep[2000] = 0;
    sl_sql_column_t c1[] = {{"S", P(SL_SQL_STRING)}};
    sl_sql_schema_t s1 = {1, c1};
    sl_sql_format_t unwrapped = {.kind = SL_SQL_FORMAT_JSON, .wrap = SL_SQL_WRAP_OFF};
    assert_string_equal(de(&unwrapped, &s1, deep), "ERR:SL_ERR_SERDE");
    done();
}

static void test_json_wrapping(void **state)
{
    setup();
    sl_sql_column_t cols[] = {{"V", P(SL_SQL_BIGINT)}};
    sl_sql_schema_t s = {1, cols};
    sl_sql_value_t v[] = {sl_sql_value_bigint(42)};
    sl_sql_format_t wrapped = F(SL_SQL_FORMAT_JSON);
    sl_sql_format_t bare = {.kind = SL_SQL_FORMAT_JSON, .wrap = SL_SQL_WRAP_OFF};
    sl_sql_format_t key = {.kind = SL_SQL_FORMAT_JSON, .is_key = 1};
    assert_string_equal(ser(&wrapped, &s, v), "{\"V\":42}");
    assert_string_equal(ser(&bare, &s, v), "42");
    assert_string_equal(ser(&key, &s, v), "42"); /* keys are unwrapped by default */
    assert_string_equal(de(&bare, &s, "42"), "42");
    assert_string_equal(de(&bare, &s, "\"43\""), "43");
    assert_string_equal(de(&wrapped, &s, "{\"V\":44}"), "44");
    assert_string_equal(de(&wrapped, &s, "null"), "NULLROW");
    assert_string_equal(de(&bare, &s, "null"), "NULLROW");
    v[0] = sl_sql_value_null(P(SL_SQL_BIGINT));
    assert_string_equal(ser(&bare, &s, v), "NULL");
    assert_string_equal(ser(&wrapped, &s, v), "{\"V\":null}");
    /* WRAP_SINGLE_VALUE=false needs one column */
    sl_sql_column_t two[] = {{"A", P(SL_SQL_INT)}, {"B", P(SL_SQL_INT)}};
    sl_sql_schema_t s2 = {2, two};
    assert_int_equal(sl_sql_format_check(&bare, &s2, eb, sizeof eb), SL_ERR_INVAL);
    assert_int_equal(sl_sql_format_check(&wrapped, &s2, eb, sizeof eb), SL_OK);
    /* doubles keep Java's spelling, non-finite ones are strings */
    sl_sql_column_t dc[] = {{"D", P(SL_SQL_DOUBLE)}};
    sl_sql_schema_t ds = {1, dc};
    sl_sql_value_t dv[] = {sl_sql_value_double(NAN)};
    assert_string_equal(ser(&bare, &ds, dv), "\"NaN\"");
    assert_string_equal(de(&bare, &ds, "\"NaN\""), "NaN");
    done();
}

/* ---- DELIMITED ------------------------------------------------------------------------ */

static void test_delimited(void **state)
{
    setup();
    const sl_sql_type_t *dec;
    sl_sql_type_decimal(&al, 6, 2, &dec, eb, sizeof eb);
    sl_sql_column_t cols[] = {{"S", P(SL_SQL_STRING)}, {"I", P(SL_SQL_INT)}, {"D", P(SL_SQL_DOUBLE)},
                              {"M", dec}, {"B", P(SL_SQL_BOOLEAN)}, {"T", P(SL_SQL_TIMESTAMP)}};
    sl_sql_schema_t s = {6, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_DELIMITED);
    sl_sql_value_t v[] = {S("a,b \"c\""), sl_sql_value_int(7), sl_sql_value_double(0.5),
                          sl_sql_value_decimal(-150, 6, 2), sl_sql_value_bool(0),
                          sl_sql_value_timestamp(1000)};
    assert_string_equal(ser(&f, &s, v), "\"a,b \"\"c\"\"\",7,0.5,-1.50,false,1000");
    assert_string_equal(de(&f, &s, "\"a,b \"\"c\"\"\",7,0.5,-1.50,false,1000"),
                        "a,b \"c\"|7|0.5|-1.50|false|1970-01-01T00:00:01.000");
    /* NULLs are empty fields; an empty first value is quoted, and reads back as NULL */
    v[0] = S(""), v[1] = sl_sql_value_null(P(SL_SQL_INT)), v[5] = sl_sql_value_null(P(SL_SQL_TIMESTAMP));
    assert_string_equal(ser(&f, &s, v), "\"\",,0.5,-1.50,false,");
    assert_string_equal(de(&f, &s, "\"\",,0.5,-1.50,false,"), "null|null|0.5|-1.50|false|null");
    /* MINIMAL quoting: leading '#' or space, trailing space, line breaks */
    sl_sql_column_t c1[] = {{"S", P(SL_SQL_STRING)}, {"S2", P(SL_SQL_STRING)}};
    sl_sql_schema_t s1 = {2, c1};
    sl_sql_value_t q[] = {S("#x"), S("y ")};
    assert_string_equal(ser(&f, &s1, q), "\"#x\",\"y \"");
    q[0] = S("line\nbreak"), q[1] = S("plain");
    assert_string_equal(ser(&f, &s1, q), "\"line\nbreak\",plain");
    assert_string_equal(de(&f, &s1, "\"line\nbreak\",plain"), "line\nbreak|plain");
    /* only the first record counts; leading empty lines are skipped */
    assert_string_equal(de(&f, &s1, "\r\na,b\r\nc,d"), "a|b");
    /* a custom delimiter */
    sl_sql_format_t tab = {.kind = SL_SQL_FORMAT_DELIMITED};
    assert_int_equal(sl_sql_format_delimiter_parse("TAB", &tab.delimiter, eb, sizeof eb), SL_OK);
    q[0] = S("a,b"), q[1] = S("c\td");
    assert_string_equal(ser(&tab, &s1, q), "a,b\t\"c\td\"");
    assert_string_equal(de(&tab, &s1, "a,b\t\"c\td\""), "a,b|c\td");
    char d;
    assert_int_equal(sl_sql_format_delimiter_parse("space", &d, eb, sizeof eb), SL_OK);
    assert_int_equal(d, ' ');
    assert_int_equal(sl_sql_format_delimiter_parse("|", &d, eb, sizeof eb), SL_OK);
    assert_int_equal(sl_sql_format_delimiter_parse("||", &d, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "Invalid delimiter"));
    /* BOOLEAN reads as Java's Boolean.parseBoolean */
    sl_sql_column_t bc[] = {{"B", P(SL_SQL_BOOLEAN)}, {"C", P(SL_SQL_BOOLEAN)}};
    sl_sql_schema_t bs = {2, bc};
    assert_string_equal(de(&f, &bs, "TRUE,yes"), "true|false");
    done();
}

static void test_delimited_bad_records(void **state)
{
    setup();
    const sl_sql_type_t *dec;
    sl_sql_type_decimal(&al, 4, 2, &dec, eb, sizeof eb);
    sl_sql_column_t cols[] = {{"NAME", P(SL_SQL_STRING)}, {"AGE", P(SL_SQL_INT)}, {"M", dec}};
    sl_sql_schema_t s = {3, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_DELIMITED);
    assert_string_equal(de(&f, &s, "a,b,1"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Error deserializing delimited row: For input string: \"b\", column: AGE");
    assert_string_equal(de(&f, &s, "a,1"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Error deserializing delimited row: Unexpected field count, csvFields:2 schemaFields:3");
    assert_string_equal(de(&f, &s, "a,1,2,3"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "csvFields:4"));
    assert_string_equal(de(&f, &s, "\"a,1,2"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "EOF reached before encapsulated token finished"));
    assert_string_equal(de(&f, &s, "\"a\"x,1,2"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "invalid char between encapsulated token and delimiter"));
    assert_string_equal(de(&f, &s, ""), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "No fields in record"));
    assert_string_equal(de(&f, &s, "a,1,123.45"), "ERR:SL_ERR_SERDE");
    assert_non_null(strstr(eb, "column: M"));
    assert_string_equal(de(&f, &s, "a, 1,2"), "ERR:SL_ERR_SERDE"); /* parseInt does not trim */
    /* DELIMITED refuses nested types and wrapping */
    sl_sql_column_t ac[] = {{"A", sl_sql_type_array(&al, P(SL_SQL_INT))}};
    sl_sql_schema_t as = {1, ac};
    assert_int_equal(sl_sql_format_check(&f, &as, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "column: A"));
    sl_sql_format_t w = {.kind = SL_SQL_FORMAT_DELIMITED, .wrap = SL_SQL_WRAP_ON};
    assert_int_equal(sl_sql_format_check(&w, &s, eb, sizeof eb), SL_ERR_INVAL);
    done();
}

/* ---- KAFKA and NONE ---------------------------------------------------------------------- */

static void kafka_bytes(const sl_sql_type_t *t, sl_sql_value_t v, const uint8_t *want, size_t n)
{
    sl_sql_column_t c[] = {{"K", t}};
    sl_sql_schema_t s = {1, c};
    sl_sql_format_t f = F(SL_SQL_FORMAT_KAFKA);
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_row_t row = {1, &v};
    int is_null;
    assert_int_equal(sl_sql_format_check(&f, &s, eb, sizeof eb), SL_OK);
    assert_int_equal(sl_sql_row_serialize(&f, &s, &row, &b, &is_null, eb, sizeof eb), SL_OK);
    assert_int_equal(is_null, 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data ? b.data : (uint8_t *)"", want, n);
    sl_sql_row_t back;
    assert_int_equal(sl_sql_row_deserialize(&f, &s, b.data, b.len, &al, &back, &is_null, eb, sizeof eb), SL_OK);
    assert_true(sl_sql_value_equal(&back.values[0], &v));
    sl_buf_free(&b);
}

static void test_kafka(void **state)
{
    setup();
    kafka_bytes(P(SL_SQL_INT), sl_sql_value_int(-2), (const uint8_t *)"\xff\xff\xff\xfe", 4);
    kafka_bytes(P(SL_SQL_INT), sl_sql_value_int(0x01020304), (const uint8_t *)"\x01\x02\x03\x04", 4);
    kafka_bytes(P(SL_SQL_BIGINT), sl_sql_value_bigint(1), (const uint8_t *)"\0\0\0\0\0\0\0\x01", 8);
    kafka_bytes(P(SL_SQL_DOUBLE), sl_sql_value_double(1.0), (const uint8_t *)"\x3f\xf0\0\0\0\0\0\0", 8);
    kafka_bytes(P(SL_SQL_STRING), S("héj"), (const uint8_t *)"h\xc3\xa9j", 4);
    kafka_bytes(P(SL_SQL_STRING), S(""), (const uint8_t *)"", 0);
    kafka_bytes(P(SL_SQL_BYTES), sl_sql_value_bytes((const uint8_t *)"\0\1", 2), (const uint8_t *)"\0\1", 2);
    /* wrong sizes */
    sl_sql_column_t c[] = {{"ID", P(SL_SQL_INT)}};
    sl_sql_schema_t s = {1, c};
    sl_sql_format_t f = F(SL_SQL_FORMAT_KAFKA);
    assert_string_equal(de(&f, &s, "abc"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Size of data received by IntegerDeserializer is not 4, column: ID");
    sl_sql_column_t cb[] = {{"ID", P(SL_SQL_BIGINT)}};
    sl_sql_schema_t sb = {1, cb};
    assert_string_equal(de(&f, &sb, "abc"), "ERR:SL_ERR_SERDE");
    assert_string_equal(eb, "Size of data received by LongDeserializer is not 8, column: ID");
    /* a NULL value is Kafka's null */
    sl_sql_value_t n[] = {sl_sql_value_null(P(SL_SQL_INT))};
    assert_string_equal(ser(&f, &s, n), "NULL");
    /* what KAFKA refuses */
    sl_sql_column_t two[] = {{"A", P(SL_SQL_INT)}, {"B", P(SL_SQL_INT)}};
    sl_sql_schema_t s2 = {2, two};
    assert_int_equal(sl_sql_format_check(&f, &s2, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "only supports a single field"));
    sl_sql_column_t bc[] = {{"B", P(SL_SQL_BOOLEAN)}};
    sl_sql_schema_t bs = {1, bc};
    assert_int_equal(sl_sql_format_check(&f, &bs, eb, sizeof eb), SL_ERR_INVAL);
    assert_non_null(strstr(eb, "BOOLEAN"));
    /* ksqlDB's message names the base type only */
    sl_sql_column_t ac[] = {{"V", sl_sql_type_array(&al, P(SL_SQL_INT))}};
    sl_sql_schema_t as = {1, ac};
    assert_int_equal(sl_sql_format_check(&f, &as, eb, sizeof eb), SL_ERR_INVAL);
    assert_string_equal(eb, "The 'KAFKA' format does not support type 'ARRAY', column: V");
    sl_sql_format_t w = {.kind = SL_SQL_FORMAT_KAFKA, .wrap = SL_SQL_WRAP_ON};
    assert_int_equal(sl_sql_format_check(&w, &s, eb, sizeof eb), SL_ERR_INVAL);
    done();
}

static void test_none_and_names(void **state)
{
    setup();
    sl_sql_schema_t empty = {0, NULL};
    sl_sql_format_t f = F(SL_SQL_FORMAT_NONE);
    assert_int_equal(sl_sql_format_check(&f, &empty, eb, sizeof eb), SL_OK);
    assert_string_equal(ser(&f, &empty, NULL), "");
    assert_string_equal(de(&f, &empty, "whatever"), "");
    sl_sql_column_t c[] = {{"A", P(SL_SQL_INT)}};
    sl_sql_schema_t s = {1, c};
    assert_int_equal(sl_sql_format_check(&f, &s, eb, sizeof eb), SL_ERR_INVAL);
    sl_sql_format_kind_t k;
    assert_int_equal(sl_sql_format_kind_parse("json", &k, eb, sizeof eb), SL_OK);
    assert_int_equal(k, SL_SQL_FORMAT_JSON);
    assert_int_equal(sl_sql_format_kind_parse("Delimited", &k, eb, sizeof eb), SL_OK);
    assert_int_equal(k, SL_SQL_FORMAT_DELIMITED);
    assert_int_equal(sl_sql_format_kind_parse("AVRO", &k, eb, sizeof eb), SL_ERR_INVAL);
    assert_string_equal(sl_sql_format_kind_name(SL_SQL_FORMAT_KAFKA), "KAFKA");
    /* a row that does not match its schema is refused */
    sl_sql_value_t wrong[] = {S("x")};
    sl_sql_row_t row = {1, wrong};
    sl_buf_t b = SL_BUF_INIT;
    int is_null;
    sl_sql_format_t j = F(SL_SQL_FORMAT_JSON);
    assert_int_equal(sl_sql_row_serialize(&j, &s, &row, &b, &is_null, eb, sizeof eb), SL_ERR_SERDE);
    assert_non_null(strstr(eb, "column A"));
    sl_buf_free(&b);
    done();
}

/* ---- the serde ------------------------------------------------------------------------- */

static void test_serde(void **state)
{
    setup();
    sl_sql_column_t cols[] = {{"ID", P(SL_SQL_BIGINT)}, {"NAME", P(SL_SQL_STRING)}};
    sl_sql_schema_t s = {2, cols};
    sl_sql_format_t f = F(SL_SQL_FORMAT_JSON);
    const sl_serde_t *serde;
    assert_int_equal(sl_sql_serde_new(&al, &f, &s, &serde, eb, sizeof eb), SL_OK);
    assert_string_equal(serde->name, "JSON");
    sl_mem_t mem = {SL_ARENA_INIT, NULL};
    const char *text = "{\"id\":7,\"name\":\"n\"}";
    const void *obj = NULL;
    assert_int_equal(serde->deserialize(serde, (sl_bytes_t){(const uint8_t *)text, strlen(text)}, &mem, &obj), SL_OK);
    const sl_sql_row_t *row = obj;
    assert_int_equal(row->n, 2);
    assert_int_equal(row->values[0].u.i64, 7);
    struct sl_out out = {SL_BUF_INIT};
    assert_int_equal(serde->serialize(serde, row, &out), SL_OK);
    assert_int_equal(out.buf.len, strlen("{\"ID\":7,\"NAME\":\"n\"}"));
    assert_memory_equal(out.buf.data, "{\"ID\":7,\"NAME\":\"n\"}", out.buf.len);
    /* a bad record: SL_ERR_SERDE and the message on this thread */
    const char *bad = "{\"ID\":\"seven\"}";
    assert_int_equal(serde->deserialize(serde, (sl_bytes_t){(const uint8_t *)bad, strlen(bad)}, &mem, &obj),
                     SL_ERR_SERDE);
    assert_string_equal(sl_sql_serde_last_error(),
                        "Can't coerce string to type. targetType: BIGINT, path: $.ID");
    /* JSON null: a null row */
    assert_int_equal(serde->deserialize(serde, (sl_bytes_t){(const uint8_t *)"null", 4}, &mem, &obj), SL_OK);
    assert_null(obj);
    /* a format that cannot carry the schema is refused */
    sl_sql_format_t k = F(SL_SQL_FORMAT_KAFKA);
    assert_int_equal(sl_sql_serde_new(&al, &k, &s, &serde, eb, sizeof eb), SL_ERR_INVAL);
    sl_buf_free(&out.buf);
    sl__mem_free(&mem);
    done();
}

SL_TEST_GROUP(format, cmocka_unit_test(test_json_roundtrip), cmocka_unit_test(test_json_case_insensitive),
              cmocka_unit_test(test_json_coercion), cmocka_unit_test(test_json_bad_records),
              cmocka_unit_test(test_json_wrapping), cmocka_unit_test(test_delimited),
              cmocka_unit_test(test_delimited_bad_records), cmocka_unit_test(test_kafka),
              cmocka_unit_test(test_none_and_names), cmocka_unit_test(test_serde))
