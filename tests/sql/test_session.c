/* test_session.c — the session's own properties (the ksql.functions.…
 * limits the aggregate compiler reads): their names, values, and SET and
 * UNSET statements. Queries themselves are tested by the SQL cases. */
#include <stdlib.h>
#include <string.h>

#include "sql/session.h"
#include "sql/session_int.h"
#include "sql/sql_parse.h"
#include "testutil.h"

static const char *const LIST = "ksql.functions.collect_list.limit";
static const char *const SET = "ksql.functions.collect_set.limit";

static void test_is_property(void **state)
{
    (void)state;
    assert_true(sl_sql_session_is_property(LIST));
    assert_true(sl_sql_session_is_property(SET));
    assert_true(sl_sql_session_is_property("KSQL.Functions.Collect_List.Limit"));
    assert_false(sl_sql_session_is_property("ksql.functions.collect_list"));
    assert_false(sl_sql_session_is_property("auto.offset.reset"));
    assert_false(sl_sql_session_is_property(NULL));
}

static void test_set_property(void **state)
{
    (void)state;
    sl_sql_catalog_t *cat = sl_sql_catalog_new(NULL);
    sl_sql_session_t *s = sl_sql_session_new(cat);
    assert_non_null(s);
    char err[256];
    assert_int_equal(s->collect_list_limit, -1); /* no limit by default, as ksqlDB */
    assert_int_equal(s->collect_set_limit, -1);
    assert_int_equal(sl_sql_session_set_property(s, LIST, "5", err, sizeof err), SL_OK);
    assert_int_equal(s->collect_list_limit, 5);
    assert_int_equal(sl_sql_session_set_property(s, SET, " 0 ", err, sizeof err), SL_OK);
    assert_int_equal(s->collect_set_limit, 0);
    assert_int_equal(sl_sql_session_set_property(s, LIST, "-7", err, sizeof err), SL_OK);
    assert_int_equal(s->collect_list_limit, -1); /* negative: no limit */
    assert_int_equal(sl_sql_session_set_property(s, LIST, "2147483647", err, sizeof err), SL_OK);
    assert_int_equal(s->collect_list_limit, 2147483647);
    static const char *const bad[] = {"", "abc", "1.5", "2147483648", "3 4", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sl_sql_session_set_property(s, SET, bad[i], err, sizeof err),
                         SL_ERR_INVAL);
        assert_non_null(strstr(err, "Invalid value"));
        assert_int_equal(s->collect_set_limit, 0); /* unchanged */
    }
    assert_int_equal(sl_sql_session_set_property(s, "auto.offset.reset", "1", err, sizeof err),
                     SL_ERR_INVAL);
    assert_int_equal(sl_sql_session_set_property(s, SET, NULL, err, sizeof err), SL_OK);
    assert_int_equal(s->collect_set_limit, -1);
    assert_int_equal(sl_sql_session_set_property(s, SET, "3", err, sizeof err), SL_OK);
    assert_int_equal(sl_sql_session_set_property(s, NULL, NULL, err, sizeof err), SL_OK);
    assert_int_equal(s->collect_list_limit, -1);
    assert_int_equal(s->collect_set_limit, -1);
    sl_sql_session_destroy(s);
    sl_sql_catalog_destroy(cat);
}

/* Runs the one statement of text in s. */
static sl_err_t run(sl_sql_session_t *s, const char *text, const char **msg, char *err,
                    size_t len)
{
    sl_arena_t a = SL_ARENA_INIT;
    sl_sql_stmt_list_t *list;
    sl_sql_error_t perr;
    assert_int_equal(sl_sql_parse(text, &a, &list, &perr), SL_OK);
    assert_int_equal(list->n, 1);
    sl_err_t e = sl_sql_session_execute(s, list->items[0], msg, err, len);
    sl_arena_free(&a);
    return e;
}

static void test_set_statements(void **state)
{
    (void)state;
    sl_sql_catalog_t *cat = sl_sql_catalog_new(NULL);
    sl_sql_session_t *s = sl_sql_session_new(cat);
    assert_non_null(s);
    char err[256];
    const char *msg;
    assert_int_equal(run(s, "SET 'ksql.functions.collect_set.limit' = '3';", &msg, err,
                         sizeof err),
                     SL_OK);
    assert_string_equal(msg, "Successfully changed local property.");
    assert_int_equal(s->collect_set_limit, 3);
    assert_int_equal(run(s, "SET 'ksql.functions.collect_list.limit' = 'x';", &msg, err,
                         sizeof err),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "Invalid value 'x' for property "
                                "'ksql.functions.collect_list.limit'"));
    assert_int_equal(run(s, "UNSET 'ksql.functions.collect_set.limit';", &msg, err, sizeof err),
                     SL_OK);
    assert_string_equal(msg, "Successfully unset local property.");
    assert_int_equal(s->collect_set_limit, -1);
    /* Other properties are the shell's. */
    assert_int_equal(run(s, "SET 'auto.offset.reset' = 'earliest';", &msg, err, sizeof err),
                     SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "SET statements are not supported"));
    sl_sql_session_destroy(s);
    sl_sql_catalog_destroy(cat);
}

SL_TEST_GROUP(session, cmocka_unit_test(test_is_property), cmocka_unit_test(test_set_property),
              cmocka_unit_test(test_set_statements))
