/* test_err.c — the error table: names, messages, Kafka codes. */
#include "testutil.h"

#include <string.h>

#include <sluice/err.h>

static void names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(sl_err_name(SL_OK), "SL_OK");
    assert_string_equal(sl_err_name(SL_ERR_CORRUPT_MESSAGE), "SL_ERR_CORRUPT_MESSAGE");
    assert_string_equal(sl_err_str(SL_ERR_NOMEM), "out of memory");
    assert_string_equal(sl_err_name((sl_err_t)-99999), "SL_ERR_UNKNOWN");
    assert_string_equal(sl_err_str((sl_err_t)-99999), "unknown error");
}

static void kafka_codes(void **state)
{
    (void)state;
    assert_int_equal(sl_err_kafka_code(SL_OK), 0);
    assert_int_equal(sl_err_kafka_code(SL_ERR_CORRUPT_MESSAGE), 2);
    assert_int_equal(sl_err_kafka_code(SL_ERR_INVALID_RECORD), 87);
    assert_int_equal(sl_err_kafka_code(SL_ERR_OFFSET_OUT_OF_RANGE), 1);
    assert_int_equal(sl_err_kafka_code(SL_ERR_UNSUPPORTED_COMPRESSION), 76);
    assert_int_equal(sl_err_kafka_code(SL_ERR_IO), -1);
}

#define SL__CHECK_ROW(name, value, kafka, msg)           \
    assert_int_equal((int)name, value);                  \
    assert_true(value <= 0);                             \
    assert_string_equal(sl_err_name(name), #name);       \
    assert_true(strlen(sl_err_str(name)) > 0);

static void every_row_is_distinct_and_named(void **state)
{
    (void)state;
    SL_ERR_TABLE(SL__CHECK_ROW)
}

SL_TEST_GROUP(err, cmocka_unit_test(names_and_messages), cmocka_unit_test(kafka_codes),
              cmocka_unit_test(every_row_is_distinct_and_named))
