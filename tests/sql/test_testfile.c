/* test_testfile.c — ksql-test-runner's files: loading, encoding to a topic's
 * bytes and back, and the comparison rule (numbers to 1e-6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/testfile.h"
#include "testutil.h"

static void test_load(void **state)
{
    char *dir = sl_test_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/input.json", dir);
    const char *text =
        "{\"inputs\": [{\"topic\": \"t\", \"key\": 1, \"value\": {\"A\": 1.5}, \"timestamp\": 7},"
        " {\"topic\": \"u\", \"key\": null, \"value\": null}]}";
    sl_test_write_file(path, text, strlen(text));
    sl_sql_test_records_t r;
    char err[256];
    assert_int_equal(sl_sql_test_records_load(path, "inputs", &r, err, sizeof err), SL_OK);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.v[0].topic, "t");
    assert_int_equal(json_integer_value(r.v[0].key), 1);
    assert_true(r.v[0].has_timestamp);
    assert_int_equal(r.v[0].timestamp, 7);
    assert_null(r.v[1].key);
    assert_null(r.v[1].value);
    assert_false(r.v[1].has_timestamp);
    sl_sql_test_records_free(&r);
    assert_int_equal(sl_sql_test_records_load(path, "outputs", &r, err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "\"outputs\""));
    sl_test_write_file(path, "{\"inputs\": [{\"key\": 1}]}", 24);
    assert_int_equal(sl_sql_test_records_load(path, "inputs", &r, err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "topic"));
    snprintf(path, sizeof path, "%s/missing.json", dir);
    assert_int_equal(sl_sql_test_records_load(path, "inputs", &r, err, sizeof err), SL_ERR_IO);
    sl_test_rmdir(dir);
}

static void roundtrip(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema, json_t *v,
                      const void *want_bytes, size_t want_len)
{
    sl_buf_t b = SL_BUF_INIT;
    int is_null;
    char err[256];
    assert_int_equal(sl_sql_test_encode(fmt, schema, v, &b, &is_null, err, sizeof err), SL_OK);
    assert_false(is_null);
    assert_int_equal(b.len, want_len);
    assert_memory_equal(b.data, want_bytes, want_len);
    json_t *back;
    assert_int_equal(sl_sql_test_decode(fmt, schema, b.data, b.len, 0, &back, err, sizeof err),
                     SL_OK);
    assert_true(sl_sql_test_json_equal(v, back));
    json_decref(back);
    sl_buf_free(&b);
}

static void test_encode_decode(void **state)
{
    sl_sql_format_t json = {.kind = SL_SQL_FORMAT_JSON}, kafka = {.kind = SL_SQL_FORMAT_KAFKA},
                    delim = {.kind = SL_SQL_FORMAT_DELIMITED};
    sl_sql_column_t icol = {"K", sl_sql_type_prim(SL_SQL_INT)};
    sl_sql_column_t scol = {"K", sl_sql_type_prim(SL_SQL_STRING)};
    sl_sql_schema_t ischema = {1, &icol}, sschema = {1, &scol};
    json_t *o = json_pack("{s:i,s:s}", "A", 1, "B", "x");
    roundtrip(&json, &sschema, o, "{\"A\":1,\"B\":\"x\"}", 15);
    json_decref(o);
    json_t *i = json_integer(-2);
    roundtrip(&kafka, &ischema, i, "\xff\xff\xff\xfe", 4);
    json_decref(i);
    json_t *s = json_string("a,b");
    roundtrip(&delim, &sschema, s, "a,b", 3);
    roundtrip(&kafka, &sschema, s, "a,b", 3);
    sl_buf_t b = SL_BUF_INIT;
    int is_null;
    char err[256];
    assert_int_equal(sl_sql_test_encode(&kafka, &ischema, s, &b, &is_null, err, sizeof err),
                     SL_ERR_INVAL);
    json_decref(s);
    assert_int_equal(sl_sql_test_encode(&json, &sschema, NULL, &b, &is_null, err, sizeof err),
                     SL_OK);
    assert_true(is_null);
    sl_buf_free(&b);
    json_t *back;
    assert_int_equal(sl_sql_test_decode(&json, &sschema, (const uint8_t *)"{", 1, 0, &back, err,
                                        sizeof err),
                     SL_ERR_SERDE);
}

static void test_equal(void **state)
{
    json_t *a = json_pack("{s:f,s:[i,s]}", "X", 0.1 + 0.2, "Y", 1, "z");
    json_t *b = json_pack("{s:f,s:[i,s]}", "X", 0.3, "Y", 1, "z");
    json_t *c = json_pack("{s:f,s:[i,s]}", "X", 0.31, "Y", 1, "z");
    json_t *d = json_pack("{s:f,s:[i,s]}", "X", 0.3, "Y", 1, "Z");
    assert_true(sl_sql_test_json_equal(a, b));
    assert_false(sl_sql_test_json_equal(a, c));
    assert_false(sl_sql_test_json_equal(b, d));
    json_t *one = json_integer(1), *onef = json_real(1.0);
    assert_true(sl_sql_test_json_equal(one, onef));
    assert_true(sl_sql_test_json_equal(NULL, NULL));
    assert_false(sl_sql_test_json_equal(one, NULL));
    json_decref(a), json_decref(b), json_decref(c), json_decref(d), json_decref(one),
        json_decref(onef);
}

SL_TEST_GROUP(testfile, cmocka_unit_test(test_load), cmocka_unit_test(test_encode_decode),
              cmocka_unit_test(test_equal))
