/* func_null.c — the null-handling functions COALESCE, IFNULL, NULLIF (none
 * null-strict: NULL arguments are what they are about), and AS_VALUE. */
#include "sql/func_int.h"

static sl_err_t fn_coalesce(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    for (size_t i = 0; i < n; i++)
        if (!a[i].is_null) {
            *out = a[i];
            return SL_OK;
        }
    *out = sl__fn_null(rt);
    return SL_OK;
}

static sl_err_t fn_nullif(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (!a[0].is_null && !a[1].is_null && sl_sql_value_compare(&a[0], &a[1]) == SL_SQL_EQ)
        *out = sl__fn_null(rt);
    else
        *out = a[0];
    return SL_OK;
}

/* AS_VALUE(keyColumn): the value itself; what makes it special (copying a
 * key column into the value) is the analyzer's business. */
static sl_err_t fn_as_value(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = a[0];
    return SL_OK;
}

static const sl_sql_overload_t ov_as_value[] = {{"T", "T", NULL, fn_as_value, 0}};
static const sl_sql_overload_t ov_coalesce[] = {{"T, T...", "T", NULL, fn_coalesce, 0}};
static const sl_sql_overload_t ov_ifnull[] = {{"T, T", "T", NULL, fn_coalesce, 0}};
static const sl_sql_overload_t ov_nullif[] = {{"T, T", "T", NULL, fn_nullif, 0}};

const sl_sql_function_t sl__sql_fn_null[] = {
    SL_FN("AS_VALUE", "OTHER", "Copies a row's key column into the row's value.", ov_as_value),
    SL_FN("COALESCE", "CONDITIONAL", "Returns the first non-NULL argument, or NULL when all are NULL.",
          ov_coalesce),
    SL_FN("IFNULL", "CONDITIONAL", "Returns the first argument unless it is NULL, else the second.",
          ov_ifnull),
    SL_FN("NULLIF", "CONDITIONAL", "Returns NULL when the two arguments are equal, else the first.",
          ov_nullif),
};
const size_t sl__sql_fn_null_n = SL_FN_COUNT(sl__sql_fn_null);
