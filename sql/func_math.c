/* func_math.c — the numeric functions: ABS, CEIL, FLOOR, ROUND, SIGN, the
 * exponentials, logarithms and trigonometry (DOUBLE, as Java's Math), RANDOM,
 * GREATEST/LEAST, GEO_DISTANCE and TRUNC. */
#include <math.h>
#include <strings.h>

#include "sql/func_int.h"

static const sl_sql_type_t *ret_arg0(const sl_sql_alloc_t *al, const sl_sql_type_t *const *t, size_t n)
{
    (void)al, (void)n;
    return t[0] ? t[0] : sl_sql_type_prim(SL_SQL_DOUBLE);
}

/* Floor division of a decimal's unscaled value by 10^drop with ties going up
 * (toward positive infinity), as ksqlDB documents for ROUND. */
static sl_sql_i128_t round_up_half(sl_sql_i128_t v, int drop)
{
    if (drop <= 0)
        return v;
    if (drop > 38)
        return 0;
    sl_sql_i128_t p = sl_sql_pow10(drop);
    sl_sql_i128_t q = v / p, r = v % p;
    if (r < 0)
        q -= 1, r += p;
    if (2 * r >= p)
        q += 1;
    return q;
}

static sl_sql_i128_t floor_div(sl_sql_i128_t v, int drop, int ceil_)
{
    sl_sql_i128_t p = sl_sql_pow10(drop), q = v / p, r = v % p;
    if (r < 0)
        q -= 1, r += p;
    if (ceil_ && r)
        q += 1;
    return q;
}

/* ---- ABS, SIGN, CEIL, FLOOR -------------------------------------------------------- */

static sl_err_t fn_abs(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = a[0];
    switch (a[0].base) {
    case SL_SQL_INT: out->u.i32 = (int32_t)(a[0].u.i32 < 0 ? 0u - (uint32_t)a[0].u.i32 : (uint32_t)a[0].u.i32); break;
    case SL_SQL_BIGINT: out->u.i64 = (int64_t)(a[0].u.i64 < 0 ? 0u - (uint64_t)a[0].u.i64 : (uint64_t)a[0].u.i64); break;
    case SL_SQL_DOUBLE: out->u.d = fabs(a[0].u.d); break;
    case SL_SQL_DECIMAL: out->u.dec = a[0].u.dec < 0 ? -a[0].u.dec : a[0].u.dec; break;
    }
    return SL_OK;
}

static sl_err_t fn_sign(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int s = 0;
    switch (a[0].base) {
    case SL_SQL_INT: s = (a[0].u.i32 > 0) - (a[0].u.i32 < 0); break;
    case SL_SQL_BIGINT: s = (a[0].u.i64 > 0) - (a[0].u.i64 < 0); break;
    case SL_SQL_DOUBLE: s = (a[0].u.d > 0) - (a[0].u.d < 0); break;
    case SL_SQL_DECIMAL: s = (a[0].u.dec > 0) - (a[0].u.dec < 0); break;
    }
    *out = sl_sql_value_int(s);
    return SL_OK;
}

static sl_err_t ceil_floor(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, int up, sl_sql_value_t *out)
{
    *out = *v;
    if (v->base == SL_SQL_DOUBLE)
        out->u.d = up ? ceil(v->u.d) : floor(v->u.d);
    else if (v->base == SL_SQL_DECIMAL && v->scale) {
        /* ksqlDB keeps the argument's type: FLOOR(1.25) is 1.00. */
        sl_sql_i128_t q = floor_div(v->u.dec, v->scale, up) * sl_sql_pow10(v->scale);
        if (!sl_sql_decimal_fits(q, v->precision))
            return sl__fn_err(ctx, SL_ERR_RANGE, "Numeric field overflow");
        out->u.dec = q;
    }
    return SL_OK;
}

static sl_err_t fn_ceil(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return ceil_floor(ctx, &a[0], 1, out);
}

static sl_err_t fn_floor(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return ceil_floor(ctx, &a[0], 0, out);
}

/* ---- ROUND ---------------------------------------------------------------------------- */

static const sl_sql_type_t *ret_round_dec(const sl_sql_alloc_t *al, const sl_sql_type_t *const *t, size_t n)
{
    const sl_sql_type_t *d = NULL, *x = t[0];
    if (!x)
        sl_sql_type_decimal(al, 38, 0, &d, NULL, 0);
    else if (n == 1)
        sl_sql_type_decimal(al, x->precision - x->scale + 1 > 38 ? 38 : x->precision - x->scale + 1, 0, &d,
                            NULL, 0);
    else
        sl_sql_type_decimal(al, x->precision + 1 > 38 ? 38 : x->precision + 1, x->scale, &d, NULL, 0);
    return d;
}

/* ROUND(DOUBLE, places) through the double's shortest decimal form, as Java's
 * BigDecimal.valueOf would, so that ROUND(1.005, 2) is 1.01. */
static double round_double(double x, int places)
{
    if (!isfinite(x) || fabs(x) >= 1e17)
        return x;
    if (places > 17)
        return x;
    char buf[48];
    size_t len = sl_sql_double_text(x, buf);
    int scale = 20;
    sl_sql_i128_t u;
    if (sl_sql_decimal_parse(buf, len, 38, scale, 0, &u, NULL, 0))
        return x;
    if (places < -17)
        return 0.0 * x;
    sl_sql_i128_t q = round_up_half(u, scale - places);
    /* back to a double: q * 10^-places */
    double r = (double)q;
    return places >= 0 ? r / pow(10, places) : r * pow(10, -places);
}

/* ROUND's and TRUNC's DECIMAL result: q, the unscaled value with drop
 * digits taken off, as an integer (n == 1: no places given) or scaled back
 * to the result type's scale (v itself when no digit was taken off). */
static sl_err_t decimal_at(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, sl_sql_i128_t q,
                           int drop, size_t n, const sl_sql_type_t *rt, sl_sql_value_t *out)
{
    if (n == 1) {
        *out = sl_sql_value_decimal(q, rt->precision, 0);
    } else {
        if (drop > 38)
            q = 0;
        else if (drop > 0)
            q = q * sl_sql_pow10(drop);
        else
            q = v->u.dec;
        *out = sl_sql_value_decimal(q, rt->precision, rt->scale);
    }
    if (!sl_sql_decimal_fits(out->u.dec, out->precision))
        return sl__fn_err(ctx, SL_ERR_RANGE, "Numeric field overflow");
    return SL_OK;
}

static sl_err_t fn_round(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    const sl_sql_value_t *v = &a[0];
    int places = n > 1 ? a[1].u.i32 : 0;
    switch (v->base) {
    case SL_SQL_INT:
    case SL_SQL_BIGINT:
        *out = *v;
        return SL_OK;
    case SL_SQL_DOUBLE:
        if (n == 1) {
            double r = floor(v->u.d + 0.5);
            if (isnan(v->u.d))
                *out = sl_sql_value_bigint(0);
            else if (r >= 9.2233720368547758e18)
                *out = sl_sql_value_bigint(INT64_MAX);
            else if (r <= -9.2233720368547758e18)
                *out = sl_sql_value_bigint(INT64_MIN);
            else
                *out = sl_sql_value_bigint((int64_t)r);
        } else {
            *out = sl_sql_value_double(round_double(v->u.d, places));
        }
        return SL_OK;
    case SL_SQL_DECIMAL: {
        int drop = v->scale - places;
        return decimal_at(ctx, v, round_up_half(v->u.dec, drop), drop, n, rt, out);
    }
    }
    *out = sl__fn_null(rt);
    return SL_OK;
}

/* ---- TRUNC ---------------------------------------------------------------------------- */

/* TRUNC(DECIMAL(p, s)) is DECIMAL(p - s, 0); with places it keeps DECIMAL(p, s). */
static const sl_sql_type_t *ret_trunc_dec(const sl_sql_alloc_t *al, const sl_sql_type_t *const *t, size_t n)
{
    const sl_sql_type_t *d = NULL, *x = t[0];
    if (!x)
        sl_sql_type_decimal(al, 38, 0, &d, NULL, 0);
    else if (n == 1)
        sl_sql_type_decimal(al, x->precision - x->scale < 1 ? 1 : x->precision - x->scale, 0, &d, NULL, 0);
    else
        sl_sql_type_decimal(al, x->precision, x->scale, &d, NULL, 0);
    return d;
}

/* Division of a decimal's unscaled value by 10^drop toward zero (RoundingMode.DOWN). */
static sl_sql_i128_t trunc_div(sl_sql_i128_t v, int drop)
{
    if (drop <= 0)
        return v;
    if (drop > 38)
        return 0;
    return v / sl_sql_pow10(drop);
}

/* TRUNC(DOUBLE, places) through the double's shortest decimal form, as Java's
 * BigDecimal.valueOf(x).setScale(places, DOWN).doubleValue(). */
static double trunc_double(double x, int places)
{
    if (fabs(x) >= 1e17 || places > 17)
        return places >= 0 ? x : trunc(x / pow(10, -places)) * pow(10, -places);
    char buf[48];
    size_t len = sl_sql_double_text(x, buf);
    int scale = 20;
    sl_sql_i128_t u;
    if (sl_sql_decimal_parse(buf, len, 38, scale, 0, &u, NULL, 0))
        return x;
    if (places < -17)
        return 0.0 * x;
    sl_sql_i128_t q = trunc_div(u, scale - places);
    double r = (double)q;
    return places >= 0 ? r / pow(10, places) : r * pow(10, -places);
}

static sl_err_t fn_trunc(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    const sl_sql_value_t *v = &a[0];
    int places = n > 1 ? a[1].u.i32 : 0;
    switch (v->base) {
    case SL_SQL_INT:
        *out = sl_sql_value_bigint(v->u.i32);
        return SL_OK;
    case SL_SQL_BIGINT:
        *out = *v;
        return SL_OK;
    case SL_SQL_DOUBLE:
        if (n == 1) {
            /* Java's Double.longValue(): toward zero, NaN is 0, saturating. */
            double d = v->u.d;
            if (isnan(d))
                *out = sl_sql_value_bigint(0);
            else if (d >= 9.2233720368547758e18)
                *out = sl_sql_value_bigint(INT64_MAX);
            else if (d <= -9.2233720368547758e18)
                *out = sl_sql_value_bigint(INT64_MIN);
            else
                *out = sl_sql_value_bigint((int64_t)d);
        } else {
            if (!isfinite(v->u.d))
                return sl__fn_err(ctx, SL_ERR_INVAL, "Infinite or NaN");
            *out = sl_sql_value_double(trunc_double(v->u.d, places));
        }
        return SL_OK;
    case SL_SQL_DECIMAL: {
        int drop = v->scale - places;
        return decimal_at(ctx, v, trunc_div(v->u.dec, drop), drop, n, rt, out);
    }
    }
    *out = sl__fn_null(rt);
    return SL_OK;
}

/* ---- DOUBLE functions ----------------------------------------------------------------- */

/* glibc's cbrt is not correctly rounded (cbrt(27) is 3.0000000000000004);
 * Java's Math.cbrt is within 1 ulp and exact for perfect cubes. */
static double exact_cbrt(double x)
{
    double r = cbrt(x), k = nearbyint(r);
    return k * k * k == x ? k : r;
}

#define D1(fname, expr)                      \
    static sl_err_t fname(SL_FN_ARGS)        \
    {                                        \
        SL_FN_UNUSED;                        \
        double x = a[0].u.d;                 \
        *out = sl_sql_value_double(expr);    \
        return SL_OK;                        \
    }

D1(fn_sqrt, sqrt(x))
D1(fn_cbrt, exact_cbrt(x))
D1(fn_exp, exp(x))
D1(fn_ln, log(x))
D1(fn_sin, sin(x))
D1(fn_cos, cos(x))
D1(fn_tan, tan(x))
D1(fn_cot, 1.0 / tan(x))
D1(fn_asin, asin(x))
D1(fn_acos, acos(x))
D1(fn_atan, atan(x))
D1(fn_sinh, sinh(x))
D1(fn_cosh, cosh(x))
D1(fn_tanh, tanh(x))
D1(fn_degrees, x * (180.0 / M_PI))
D1(fn_radians, x / 180.0 * M_PI)

static sl_err_t fn_log(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (n == 1) {
        *out = sl_sql_value_double(log(a[0].u.d));
        return SL_OK;
    }
    double base = a[0].u.d, x = a[1].u.d;
    /* ksqlDB's LOG(base, value): NaN for a base <= 0 or 1, or a negative value. */
    if (base <= 0 || base == 1 || x < 0)
        *out = sl_sql_value_double(NAN);
    else
        *out = sl_sql_value_double(log(x) / log(base));
    return SL_OK;
}

static sl_err_t fn_power(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_double(pow(a[0].u.d, a[1].u.d));
    return SL_OK;
}

static sl_err_t fn_atan2(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_double(atan2(a[0].u.d, a[1].u.d));
    return SL_OK;
}

static sl_err_t fn_pi(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_double(M_PI);
    return SL_OK;
}

static sl_err_t fn_random(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_double((double)(sl__fn_rand(ctx) >> 11) * 0x1.0p-53);
    return SL_OK;
}

/* GREATEST / LEAST: NULL arguments are skipped; all NULL gives NULL. */
static sl_err_t extreme(const sl_sql_value_t *a, size_t n, const sl_sql_type_t *rt, int want, sl_sql_value_t *out)
{
    const sl_sql_value_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (a[i].is_null)
            continue;
        if (!best || sl_sql_value_compare(&a[i], best) == want)
            best = &a[i];
    }
    *out = best ? *best : sl__fn_null(rt);
    return SL_OK;
}

static sl_err_t fn_greatest(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return extreme(a, n, rt, SL_SQL_GT, out);
}

static sl_err_t fn_least(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return extreme(a, n, rt, SL_SQL_LT, out);
}

static sl_err_t fn_geo_distance(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    double lat1 = a[0].u.d, lon1 = a[1].u.d, lat2 = a[2].u.d, lon2 = a[3].u.d, r = 6371.0;
    if (n > 4) {
        const char *u = a[4].u.str;
        size_t ul = a[4].len;
        if ((ul == 2 && !strncasecmp(u, "mi", 2)) || (ul == 5 && !strncasecmp(u, "miles", 5)) ||
            (ul == 4 && !strncasecmp(u, "mile", 4)))
            r = 3959.0;
        else if (!((ul == 2 && !strncasecmp(u, "km", 2)) || (ul == 10 && !strncasecmp(u, "kilometers", 10)) ||
                   (ul == 9 && !strncasecmp(u, "kilometer", 9))))
            return sl__fn_err(ctx, SL_ERR_INVAL, "GeoDistance function units parameter must be one of miles, mi, "
                                                 "kilometers or km.");
    }
    if (lat1 < -90 || lat1 > 90 || lat2 < -90 || lat2 > 90 || lon1 < -180 || lon1 > 180 || lon2 < -180 || lon2 > 180)
        return sl__fn_err(ctx, SL_ERR_INVAL, "valid latitude values for GeoDistance function are in the range of -90 "
                                             "to 90 decimal degrees, and longitude values in the range of -180 to 180");
    double p1 = lat1 * M_PI / 180, p2 = lat2 * M_PI / 180;
    double dp = (lat2 - lat1) * M_PI / 180, dl = (lon2 - lon1) * M_PI / 180;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    *out = sl_sql_value_double(2 * r * asin(sqrt(h)));
    return SL_OK;
}

#define S SL_SQL_FN_STRICT
#define NUM4(fn) {"INT", "INT", NULL, fn, S}, {"BIGINT", "BIGINT", NULL, fn, S}, \
                 {"DOUBLE", "DOUBLE", NULL, fn, S}, {"DECIMAL", NULL, ret_arg0, fn, S}
static const sl_sql_overload_t ov_abs[] = {NUM4(fn_abs)};
static const sl_sql_overload_t ov_ceil[] = {NUM4(fn_ceil)};
static const sl_sql_overload_t ov_floor[] = {NUM4(fn_floor)};
static const sl_sql_overload_t ov_sign[] = {{"INT", "INT", NULL, fn_sign, S}, {"BIGINT", "INT", NULL, fn_sign, S},
                                            {"DOUBLE", "INT", NULL, fn_sign, S}, {"DECIMAL", "INT", NULL, fn_sign, S}};
static const sl_sql_overload_t ov_round[] = {
    {"INT", "INT", NULL, fn_round, S},
    {"BIGINT", "BIGINT", NULL, fn_round, S},
    {"DOUBLE", "BIGINT", NULL, fn_round, S},
    {"DOUBLE, INT", "DOUBLE", NULL, fn_round, S},
    {"DECIMAL", NULL, ret_round_dec, fn_round, S},
    {"DECIMAL, INT", NULL, ret_round_dec, fn_round, S},
};
static const sl_sql_overload_t ov_trunc[] = {
    {"INT", "BIGINT", NULL, fn_trunc, S},
    {"BIGINT", "BIGINT", NULL, fn_trunc, S},
    {"DOUBLE", "BIGINT", NULL, fn_trunc, S},
    {"DOUBLE, INT", "DOUBLE", NULL, fn_trunc, S},
    {"DECIMAL", NULL, ret_trunc_dec, fn_trunc, S},
    {"DECIMAL, INT", NULL, ret_trunc_dec, fn_trunc, S},
};
#define OVD1(name, fn) static const sl_sql_overload_t name[] = {{"DOUBLE", "DOUBLE", NULL, fn, S}}
OVD1(ov_sqrt, fn_sqrt);
OVD1(ov_cbrt, fn_cbrt);
OVD1(ov_exp, fn_exp);
OVD1(ov_ln, fn_ln);
OVD1(ov_sin, fn_sin);
OVD1(ov_cos, fn_cos);
OVD1(ov_tan, fn_tan);
OVD1(ov_cot, fn_cot);
OVD1(ov_asin, fn_asin);
OVD1(ov_acos, fn_acos);
OVD1(ov_atan, fn_atan);
OVD1(ov_sinh, fn_sinh);
OVD1(ov_cosh, fn_cosh);
OVD1(ov_tanh, fn_tanh);
OVD1(ov_degrees, fn_degrees);
OVD1(ov_radians, fn_radians);
static const sl_sql_overload_t ov_log[] = {{"DOUBLE", "DOUBLE", NULL, fn_log, S},
                                           {"DOUBLE, DOUBLE", "DOUBLE", NULL, fn_log, S}};
static const sl_sql_overload_t ov_power[] = {{"DOUBLE, DOUBLE", "DOUBLE", NULL, fn_power, S}};
static const sl_sql_overload_t ov_atan2[] = {{"DOUBLE, DOUBLE", "DOUBLE", NULL, fn_atan2, S}};
static const sl_sql_overload_t ov_pi[] = {{"", "DOUBLE", NULL, fn_pi, 0}};
static const sl_sql_overload_t ov_random[] = {{"", "DOUBLE", NULL, fn_random, SL_SQL_FN_VOLATILE}};
static const sl_sql_overload_t ov_greatest[] = {{"T, T...", "T", NULL, fn_greatest, 0}};
static const sl_sql_overload_t ov_least[] = {{"T, T...", "T", NULL, fn_least, 0}};
static const sl_sql_overload_t ov_geo[] = {{"DOUBLE, DOUBLE, DOUBLE, DOUBLE", "DOUBLE", NULL, fn_geo_distance, S},
                                           {"DOUBLE, DOUBLE, DOUBLE, DOUBLE, STRING", "DOUBLE", NULL, fn_geo_distance, S}};
#undef S

#define M "MATHEMATICAL"
const sl_sql_function_t sl__sql_fn_math[] = {
    SL_FN("ABS", M, "Returns the absolute value of its argument.", ov_abs),
    SL_FN("ACOS", M, "Returns the inverse cosine of a value, in radians (NaN outside [-1, 1]).", ov_acos),
    SL_FN("ASIN", M, "Returns the inverse sine of a value, in radians (NaN outside [-1, 1]).", ov_asin),
    SL_FN("ATAN", M, "Returns the inverse tangent of a value, in radians.", ov_atan),
    SL_FN("ATAN2", M, "Returns the inverse tangent of y / x, in radians.", ov_atan2),
    SL_FN("CBRT", M, "Returns the cube root of a value.", ov_cbrt),
    SL_FN("CEIL", M, "Returns the smallest integral value not less than its argument, in its type.", ov_ceil),
    SL_FN("COS", M, "Returns the cosine of an angle in radians.", ov_cos),
    SL_FN("COSH", M, "Returns the hyperbolic cosine of a value.", ov_cosh),
    SL_FN("COT", M, "Returns the cotangent of an angle in radians.", ov_cot),
    SL_FN("DEGREES", M, "Converts radians to degrees.", ov_degrees),
    SL_FN("EXP", M, "Returns e raised to the power of its argument.", ov_exp),
    SL_FN("FLOOR", M, "Returns the largest integral value not greater than its argument, in its type.", ov_floor),
    SL_FN("GEO_DISTANCE", M, "Returns the great-circle distance between two lat/long points in km (or miles).",
          ov_geo),
    SL_FN("GREATEST", M, "Returns the greatest non-NULL argument (NULL when all are NULL).", ov_greatest),
    SL_FN("LEAST", M, "Returns the least non-NULL argument (NULL when all are NULL).", ov_least),
    SL_FN("LN", M, "Returns the natural logarithm of a value.", ov_ln),
    SL_FN("LOG", M, "LOG(value): the natural logarithm; LOG(base, value): the logarithm in that base.", ov_log),
    SL_FN("PI", M, "Returns the value of pi.", ov_pi),
    SL_FN("POWER", M, "Returns base raised to the power of exponent.", ov_power),
    SL_FN("RADIANS", M, "Converts degrees to radians.", ov_radians),
    SL_FN("RANDOM", M, "Returns a random DOUBLE in [0.0, 1.0).", ov_random),
    SL_FN("ROUND", M, "Rounds to the given number of decimal places (default 0); ties round up.", ov_round),
    SL_FN("SIGN", M, "Returns -1, 0 or 1 for a negative, zero or positive argument.", ov_sign),
    SL_FN("SIN", M, "Returns the sine of an angle in radians.", ov_sin),
    SL_FN("SINH", M, "Returns the hyperbolic sine of a value.", ov_sinh),
    SL_FN("SQRT", M, "Returns the square root of a value.", ov_sqrt),
    SL_FN("TAN", M, "Returns the tangent of an angle in radians.", ov_tan),
    SL_FN("TANH", M, "Returns the hyperbolic tangent of a value.", ov_tanh),
    SL_FN("TRUNC", M, "Truncates toward zero to the given number of decimal places (default 0).", ov_trunc),
};
const size_t sl__sql_fn_math_n = SL_FN_COUNT(sl__sql_fn_math);
