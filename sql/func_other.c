/* func_other.c — the aggregate and table functions as SHOW FUNCTIONS and
 * DESCRIBE FUNCTION show them. Their code is elsewhere (aggregates in
 * session_agg.c, EXPLODE and CUBE_EXPLODE in session.c): these entries only
 * describe them, so their overloads have no impl and are never resolved as
 * scalar calls. */
#include "sql/func.h"
#include "sql/func_int.h"

#define OV(p, r) {(p), (r), NULL, NULL, 0}
#define FN(name, cat, desc, ...)                                                               \
    {                                                                                          \
        (name), (cat), (desc), (const sl_sql_overload_t[]){__VA_ARGS__},                       \
            sizeof((const sl_sql_overload_t[]){__VA_ARGS__}) / sizeof(sl_sql_overload_t)       \
    }

const sl_sql_function_t sl__sql_fn_other[] = {
    FN("AVG", "AGGREGATE", "Returns the average of the values.", OV("INT", "DOUBLE"),
       OV("BIGINT", "DOUBLE"), OV("DOUBLE", "DOUBLE")),
    FN("COLLECT_LIST", "AGGREGATE",
       "Returns an array of every value (NULLs included), in arrival order, up to "
       "ksql.functions.collect_list.limit values.",
       OV("T", "ARRAY<T>")),
    FN("COLLECT_SET", "AGGREGATE",
       "Returns an array of the distinct values, in order of first arrival, up to "
       "ksql.functions.collect_set.limit values.",
       OV("T", "ARRAY<T>")),
    FN("CORRELATION", "AGGREGATE",
       "Returns Pearson's correlation coefficient of the pairs of values.",
       OV("DOUBLE, DOUBLE", "DOUBLE"), OV("INT, INT", "DOUBLE"), OV("BIGINT, BIGINT", "DOUBLE")),
    FN("COUNT", "AGGREGATE", "Counts the rows (*), or the non-NULL values of the argument.",
       OV("*", "BIGINT"), OV("T", "BIGINT")),
    FN("COUNT_DISTINCT", "AGGREGATE", "Counts the distinct non-NULL values.", OV("T", "BIGINT")),
    FN("CUBE_EXPLODE", "TABLE",
       "Outputs one row per combination of the array's elements (the others NULL).",
       OV("ARRAY<T>", "ARRAY<T>")),
    FN("EARLIEST_BY_OFFSET", "AGGREGATE",
       "Returns the value of the earliest record by offset (or the earliest N values).",
       OV("T", "T"), OV("T, BOOLEAN", "T"), OV("T, INT", "ARRAY<T>"),
       OV("T, INT, BOOLEAN", "ARRAY<T>")),
    FN("EXPLODE", "TABLE", "Outputs one row per element of the array.", OV("ARRAY<T>", "T")),
    FN("HISTOGRAM", "AGGREGATE", "Returns a map of each distinct value to its count.",
       OV("STRING", "MAP<STRING, BIGINT>")),
    FN("LATEST_BY_OFFSET", "AGGREGATE",
       "Returns the value of the latest record by offset (or the latest N values).",
       OV("T", "T"), OV("T, BOOLEAN", "T"), OV("T, INT", "ARRAY<T>"),
       OV("T, INT, BOOLEAN", "ARRAY<T>")),
    FN("MAX", "AGGREGATE", "Returns the largest value.", OV("T", "T")),
    FN("MIN", "AGGREGATE", "Returns the smallest value.", OV("T", "T")),
    FN("STDDEV_SAMP", "AGGREGATE", "Returns the sample variance of the values (as ksqlDB's).",
       OV("INT", "DOUBLE"), OV("BIGINT", "DOUBLE"), OV("DOUBLE", "DOUBLE")),
    FN("STDDEV_SAMPLE", "AGGREGATE", "Returns the sample standard deviation of the values.",
       OV("INT", "DOUBLE"), OV("BIGINT", "DOUBLE"), OV("DOUBLE", "DOUBLE")),
    FN("SUM", "AGGREGATE", "Returns the sum of the values.", OV("INT", "INT"),
       OV("BIGINT", "BIGINT"), OV("DOUBLE", "DOUBLE"), OV("DECIMAL", "DECIMAL")),
    FN("TOPK", "AGGREGATE", "Returns the k largest values, largest first.",
       OV("T, INT", "ARRAY<T>")),
    FN("TOPKDISTINCT", "AGGREGATE", "Returns the k largest distinct values, largest first.",
       OV("T, INT", "ARRAY<T>")),
};

const size_t sl__sql_fn_other_n = sizeof sl__sql_fn_other / sizeof sl__sql_fn_other[0];
