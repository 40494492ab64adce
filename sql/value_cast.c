/* value_cast.c — CAST between SQL types with ksqlDB's rules, and the parsers
 * it needs (Java-style integers and doubles, BigDecimal text, ISO dates and
 * times). The formats (format.c) use the same parsers. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/value.h"
#include "sql/value_int.h"

/* ---- number parsers ------------------------------------------------------------------ */

int sl__sql_parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i == n)
        return -1;
    sl_sql_i128_t v = 0;
    int big = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (!big) {
            v = v * 10 + (s[i] - '0');
            if (v > ((sl_sql_i128_t)1 << 64))
                big = 1;
        }
    }
    if (neg)
        v = -v;
    if (big || v < lo || v > hi)
        return -2;
    *out = (int64_t)v;
    return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s))
        (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

int sl__sql_parse_double(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    char tmp[128];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    /* Java spells the specials one way; strtod would also take "inf", "nan", hex */
    const char *body = tmp + (tmp[0] == '-' || tmp[0] == '+');
    if (strcmp(body, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    if (strcmp(body, "Infinity") == 0) {
        *out = tmp[0] == '-' ? -INFINITY : INFINITY;
        return 0;
    }
    for (const char *p = body; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.' && *p != 'e' && *p != 'E' && *p != '-' &&
            *p != '+' && !((*p == 'd' || *p == 'D' || *p == 'f' || *p == 'F') && !p[1]))
            return -1;
    if (!isdigit((unsigned char)body[0]) && !(body[0] == '.' && isdigit((unsigned char)body[1])))
        return -1;
    char *end;
    double d = strtod(tmp, &end);
    if (*end && !((*end == 'd' || *end == 'D' || *end == 'f' || *end == 'F') && !end[1]))
        return -1;
    *out = d;
    return 0;
}

/* ---- decimals ---------------------------------------------------------------------- */

static sl_err_t overflow(char *errbuf, size_t errlen, sl_sql_i128_t v, int vscale, int precision,
                         int scale)
{
    char t[48];
    sl_sql_decimal_text(v, vscale, t);
    /* ksqlDB's DecimalUtil.ensureMax wording */
    return sl__sql_err(errbuf, errlen, SL_ERR_RANGE,
                       "Numeric field overflow: A field with precision %d and scale %d must round "
                       "to an absolute value less than 10^%d. Got %s",
                       precision, scale, precision - scale, t);
}

sl_err_t sl_sql_decimal_parse(const char *s, size_t len, int precision, int scale, int strict,
                              sl_sql_i128_t *out, char *errbuf, size_t errlen)
{
    const char *p = s;
    size_t n = len;
    trim(&p, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        neg = p[i++] == '-';
    /* locate the digits, the point and the exponent */
    size_t d0 = i, dot = (size_t)-1, nd = 0;
    for (; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9')
            nd++;
        else if (p[i] == '.' && dot == (size_t)-1)
            dot = i;
        else
            break;
    }
    size_t dend = i;
    long exp = 0;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        int64_t e;
        if (sl__sql_parse_int(p + i + 1, n - i - 1, -100000, 100000, &e) != 0)
            goto bad;
        exp = (long)e;
        i = n;
    }
    if (nd == 0 || i != n)
        goto bad;
    /* digit k (0-based among digits) has decimal position pos = intdigits-1-k
     * (10^pos) + exp; we want unscaled = sum digit * 10^(pos + scale) */
    size_t intdigits = (dot == (size_t)-1 ? dend : dot) - d0;
    sl_sql_i128_t v = 0;
    sl_sql_i128_t lim = sl_sql_pow10(precision);
    int round = 0, dropped_nonzero = 0, over = 0;
    long k = 0;
    for (size_t j = d0; j < dend; j++) {
        if (p[j] == '.')
            continue;
        int dg = p[j] - '0';
        long pos = (long)intdigits - 1 - k + exp + scale;
        k++;
        if (pos >= 0) {
            if (over)
                continue;
            /* v = v*10 + dg keeps the value of digits placed so far; zeros for
             * the positions past the last digit are added after the loop */
            if (v > (lim - 1 - dg) / 10)
                over = 1;
            else
                v = v * 10 + dg;
        } else if (pos == -1) {
            round = dg >= 5;
            dropped_nonzero |= dg != 0;
        } else {
            dropped_nonzero |= dg != 0;
        }
    }
    /* the last digit's position: pad with zeros */
    long last = (long)intdigits - 1 - (k - 1) + exp + scale;
    for (long z = 0; z < last && !over; z++) {
        if (v > (lim - 1) / 10)
            over = 1;
        else
            v *= 10;
    }
    if (strict && dropped_nonzero) {
        return sl__sql_err(errbuf, errlen, SL_ERR_RANGE,
                           "Cannot fit decimal '%.*s' into DECIMAL(%d, %d) without rounding.",
                           (int)n, p, precision, scale);
    }
    v += round;
    if (over || v >= lim) {
        if (strict)
            return sl__sql_err(errbuf, errlen, SL_ERR_RANGE,
                               "Cannot fit decimal '%.*s' into DECIMAL(%d, %d): it needs more "
                               "than %d integer digits.",
                               (int)n, p, precision, scale, precision - scale);
        return sl__sql_err(errbuf, errlen, SL_ERR_RANGE,
                           "Numeric field overflow: A field with precision %d and scale %d must "
                           "round to an absolute value less than 10^%d. Got %.*s",
                           precision, scale, precision - scale, (int)n, p);
    }
    *out = neg ? -v : v;
    return SL_OK;
bad:
    return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Invalid decimal number: '%.*s'", (int)n, p);
}

sl_err_t sl_sql_decimal_rescale(sl_sql_i128_t v, int from_scale, int precision, int scale,
                                sl_sql_i128_t *out, char *errbuf, size_t errlen)
{
    sl_sql_i128_t r = v;
    if (scale > from_scale) {
        sl_sql_i128_t lim = sl_sql_pow10(SL_SQL_DECIMAL_MAX_PRECISION);
        for (int i = from_scale; i < scale; i++) {
            if (r > (lim - 1) / 10 || r < -((lim - 1) / 10))
                return overflow(errbuf, errlen, v, from_scale, precision, scale);
            r *= 10;
        }
    } else if (scale < from_scale) {
        sl_sql_i128_t p = sl_sql_pow10(from_scale - scale);
        sl_sql_i128_t q = r / p, rem = r % p;
        /* HALF_UP: away from zero when the dropped part is at least half */
        if (rem < 0 ? -rem * 2 >= p : rem * 2 >= p)
            q += rem < 0 ? -1 : 1;
        r = q;
    }
    if (!sl_sql_decimal_fits(r, precision))
        return overflow(errbuf, errlen, r, scale, precision, scale);
    *out = r;
    return SL_OK;
}

/* ---- dates and times --------------------------------------------------------------- */

static int digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++, (*i)++) {
        if (*i >= n || !isdigit((unsigned char)s[*i]))
            return -1;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* "HH[:mm[:ss[.fff...]]]" from s[*i]; ms of the day. */
static int parse_time_part(const char *s, size_t n, size_t *i, int need_minutes, int64_t *ms)
{
    int h, mi = 0, sec = 0, frac = 0;
    if (digits(s, n, i, 2, &h))
        return -1;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (digits(s, n, i, 2, &mi))
            return -1;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (digits(s, n, i, 2, &sec))
                return -1;
            if (*i < n && s[*i] == '.') {
                (*i)++;
                int nd = 0;
                while (*i < n && isdigit((unsigned char)s[*i])) {
                    if (nd < 3)
                        frac = frac * 10 + (s[*i] - '0');
                    nd++, (*i)++;
                }
                if (nd == 0)
                    return -1;
                for (; nd < 3; nd++)
                    frac *= 10;
            }
        }
    } else if (need_minutes) {
        return -1;
    }
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    *ms = ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return 0;
}

/* "yyyy[-MM[-dd]]" */
static int parse_date_part(const char *s, size_t n, size_t *i, int64_t *days)
{
    int y, m = 1, d = 1;
    if (digits(s, n, i, 4, &y))
        return -1;
    if (*i < n && s[*i] == '-') {
        (*i)++;
        if (digits(s, n, i, 2, &m))
            return -1;
        if (*i < n && s[*i] == '-') {
            (*i)++;
            if (digits(s, n, i, 2, &d))
                return -1;
        }
    }
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = sl_sql_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

static sl_err_t parse_date(const char *s, size_t n, int32_t *out, char *errbuf, size_t errlen)
{
    size_t i = 0;
    int64_t days;
    if (parse_date_part(s, n, &i, &days) || i != n)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "Failed to parse date '%.*s': Date format must be yyyy-mm-dd", (int)n, s);
    *out = (int32_t)days;
    return SL_OK;
}

static sl_err_t parse_time(const char *s, size_t n, int32_t *out, char *errbuf, size_t errlen)
{
    size_t i = 0;
    int64_t ms;
    if (parse_time_part(s, n, &i, 1, &ms) || i != n)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "Failed to parse time '%.*s': Time format must be hh:mm:ss[.fff]",
                           (int)n, s);
    *out = (int32_t)ms;
    return SL_OK;
}

static sl_err_t parse_timestamp(const char *s, size_t n, int64_t *out, char *errbuf, size_t errlen)
{
    size_t i = 0;
    int64_t days, ms = 0, off = 0;
    if (parse_date_part(s, n, &i, &days))
        goto bad;
    if (i < n && s[i] == 'T') {
        i++;
        if (parse_time_part(s, n, &i, 0, &ms))
            goto bad;
    }
    if (i < n) {
        if (s[i] == 'Z' && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (digits(s, n, &i, 2, &oh))
                goto bad;
            if (i < n && s[i] == ':')
                i++;
            if (i < n && digits(s, n, &i, 2, &om))
                goto bad;
            if (oh > 18 || om > 59)
                goto bad;
            off = sign * ((int64_t)oh * 3600 + om * 60) * 1000;
        }
    }
    if (i != n)
        goto bad;
    /* a local time at offset `off` is UTC time minus off */
    *out = days * 86400000 + ms - off;
    return SL_OK;
bad:
    return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                       "Failed to parse timestamp '%.*s': Timestamp format must be "
                       "yyyy-mm-ddThh:mm:ss[.S]",
                       (int)n, s);
}

/* ---- CAST ------------------------------------------------------------------------- */

static int prim_num(int b) { return b == SL_SQL_INT || b == SL_SQL_BIGINT || b == SL_SQL_DOUBLE || b == SL_SQL_DECIMAL; }

int sl_sql_cast_allowed(const sl_sql_type_t *from, const sl_sql_type_t *to)
{
    int f = from->base, t = to->base;
    if (t == SL_SQL_STRING)
        return f != SL_SQL_BYTES;
    if (sl_sql_type_equal(from, to))
        return 1;
    switch (t) {
    case SL_SQL_INT: case SL_SQL_BIGINT: case SL_SQL_DOUBLE: case SL_SQL_DECIMAL:
        return prim_num(f) || f == SL_SQL_STRING;
    case SL_SQL_BOOLEAN:
        return f == SL_SQL_STRING;
    case SL_SQL_DATE:
        return f == SL_SQL_STRING || f == SL_SQL_TIMESTAMP;
    case SL_SQL_TIME:
        return f == SL_SQL_STRING || f == SL_SQL_TIMESTAMP;
    case SL_SQL_TIMESTAMP:
        return f == SL_SQL_STRING || f == SL_SQL_DATE;
    case SL_SQL_ARRAY:
        return f == SL_SQL_ARRAY && sl_sql_cast_allowed(from->item, to->item);
    case SL_SQL_MAP:
        return f == SL_SQL_MAP && sl_sql_cast_allowed(from->key, to->key) &&
               sl_sql_cast_allowed(from->item, to->item);
    case SL_SQL_STRUCT:
        if (f != SL_SQL_STRUCT)
            return 0;
        for (size_t i = 0; i < to->nfields; i++) {
            long j = sl_sql_type_field_index(from, to->fields[i].name);
            if (j >= 0 && !sl_sql_cast_allowed(from->fields[j].type, to->fields[i].type))
                return 0;
        }
        return 1;
    }
    return 0;
}

static sl_err_t not_allowed(const sl_sql_type_t *from, const sl_sql_type_t *to, char *errbuf,
                            size_t errlen)
{
    sl_buf_t a = SL_BUF_INIT, b = SL_BUF_INIT;
    sl_err_t err = sl_sql_type_format(from, SL_SQL_TYPE_SQL, &a);
    if (!err)
        err = sl_sql_type_format(to, SL_SQL_TYPE_SQL, &b);
    if (!err) /* ksqlDB's CastEvaluator wording */
        err = sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Cast of %.*s to %.*s is not supported",
                          (int)a.len, (const char *)a.data, (int)b.len, (const char *)b.data);
    sl_buf_free(&a);
    sl_buf_free(&b);
    return err;
}

static sl_err_t to_string(const sl_sql_alloc_t *al, const sl_sql_type_t *from,
                          const sl_sql_value_t *v, sl_sql_value_t *out)
{
    char tmp[64];
    size_t n;
    switch (v->base) {
    case SL_SQL_STRING: *out = *v; return SL_OK;
    case SL_SQL_BOOLEAN: n = (size_t)sprintf(tmp, "%s", v->u.b ? "true" : "false"); break;
    case SL_SQL_INT: n = (size_t)sprintf(tmp, "%d", v->u.i32); break;
    case SL_SQL_BIGINT: n = (size_t)sprintf(tmp, "%lld", (long long)v->u.i64); break;
    case SL_SQL_DOUBLE: n = sl_sql_double_text(v->u.d, tmp); break;
    case SL_SQL_DECIMAL: n = sl_sql_decimal_text(v->u.dec, v->scale, tmp); break;
    case SL_SQL_DATE: n = sl__sql_date_text(v->u.i32, tmp); break;
    case SL_SQL_TIME: n = sl__sql_time_text(v->u.i32, tmp); break;
    case SL_SQL_TIMESTAMP: n = sl__sql_timestamp_text(v->u.i64, tmp); break;
    default: {
        /* containers: their display form, built in a scratch buffer */
        sl_buf_t b = SL_BUF_INIT;
        sl_err_t err = sl_sql_value_print(from, v, SL_SQL_PRINT_DISPLAY, &b);
        if (!err)
            err = sl_sql_value_string_dup(al, b.len ? (const char *)b.data : "", b.len, out);
        sl_buf_free(&b);
        return err;
    }
    }
    return sl_sql_value_string_dup(al, tmp, n, out);
}

/* SqlBooleans.parseBooleanExact: a case-insensitive prefix of true/yes or false/no. */
static int bool_prefix(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);
    if (n == 0 || n > w)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)s[i]) != word[i])
            return 0;
    return 1;
}

static int64_t trunc_double(double d, int64_t lo, int64_t hi)
{
    /* Java's (int)/(long) narrowing: NaN is 0, beyond the range saturates */
    if (isnan(d))
        return 0;
    if (d <= (double)lo)
        return lo;
    if (d >= (double)hi)
        return hi;
    return (int64_t)d;
}

static sl_err_t cast_number(const sl_sql_value_t *v, const sl_sql_type_t *to, sl_sql_value_t *out,
                            char *errbuf, size_t errlen)
{
    int f = v->base;
    switch (to->base) {
    case SL_SQL_INT:
    case SL_SQL_BIGINT: {
        int64_t x;
        if (f == SL_SQL_INT)
            x = v->u.i32;
        else if (f == SL_SQL_BIGINT)
            x = v->u.i64;
        else if (f == SL_SQL_DOUBLE)
            x = to->base == SL_SQL_INT ? trunc_double(v->u.d, INT32_MIN, INT32_MAX)
                                       : trunc_double(v->u.d, INT64_MIN, INT64_MAX);
        else /* BigDecimal.longValue: truncate, keep the low 64 bits */
            x = (int64_t)(uint64_t)(unsigned __int128)(v->u.dec / sl_sql_pow10(v->scale));
        *out = to->base == SL_SQL_INT ? sl_sql_value_int((int32_t)(uint32_t)(uint64_t)x)
                                      : sl_sql_value_bigint(x);
        return SL_OK;
    }
    case SL_SQL_DOUBLE:
        *out = sl_sql_value_double(f == SL_SQL_INT      ? v->u.i32
                                   : f == SL_SQL_BIGINT ? (double)v->u.i64
                                   : f == SL_SQL_DOUBLE ? v->u.d
                                                        : sl_sql_decimal_to_double(v->u.dec, v->scale));
        return SL_OK;
    case SL_SQL_DECIMAL: {
        sl_sql_i128_t u;
        sl_err_t err;
        if (f == SL_SQL_DOUBLE) {
            if (!isfinite(v->u.d))
                return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Cannot cast %s to DECIMAL",
                                   isnan(v->u.d) ? "NaN" : "Infinity");
            char tmp[40];
            size_t n = sl_sql_double_text(v->u.d, tmp);
            err = sl_sql_decimal_parse(tmp, n, to->precision, to->scale, 0, &u, errbuf, errlen);
        } else {
            sl_sql_i128_t x = f == SL_SQL_INT ? v->u.i32 : f == SL_SQL_BIGINT ? v->u.i64 : v->u.dec;
            err = sl_sql_decimal_rescale(x, f == SL_SQL_DECIMAL ? v->scale : 0, to->precision,
                                         to->scale, &u, errbuf, errlen);
        }
        if (err)
            return err;
        *out = sl_sql_value_decimal(u, to->precision, to->scale);
        return SL_OK;
    }
    default:
        break;
    }
    return SL_ERR_INVAL;
}

static sl_err_t from_string(const sl_sql_value_t *v, const sl_sql_type_t *to, sl_sql_value_t *out,
                            char *errbuf, size_t errlen)
{
    const char *s = v->u.str;
    size_t n = v->len;
    int64_t x;
    int r;
    switch (to->base) {
    case SL_SQL_BOOLEAN:
        trim(&s, &n);
        if (bool_prefix(s, n, "true") || bool_prefix(s, n, "yes"))
            *out = sl_sql_value_bool(1);
        else if (bool_prefix(s, n, "false") || bool_prefix(s, n, "no"))
            *out = sl_sql_value_bool(0);
        else
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Invalid BOOLEAN value: '%.*s'",
                               (int)v->len, v->u.str);
        return SL_OK;
    case SL_SQL_INT:
    case SL_SQL_BIGINT:
        trim(&s, &n);
        r = to->base == SL_SQL_INT ? sl__sql_parse_int(s, n, INT32_MIN, INT32_MAX, &x)
                                   : sl__sql_parse_int(s, n, INT64_MIN, INT64_MAX, &x);
        if (r) /* Java's NumberFormatException wording */
            return sl__sql_err(errbuf, errlen, r == -1 ? SL_ERR_INVAL : SL_ERR_RANGE,
                               "For input string: \"%.*s\"", (int)v->len, v->u.str);
        *out = to->base == SL_SQL_INT ? sl_sql_value_int((int32_t)x) : sl_sql_value_bigint(x);
        return SL_OK;
    case SL_SQL_DOUBLE: {
        double d;
        if (sl__sql_parse_double(s, n, &d))
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "For input string: \"%.*s\"",
                               (int)v->len, v->u.str);
        *out = sl_sql_value_double(d);
        return SL_OK;
    }
    case SL_SQL_DECIMAL: {
        sl_sql_i128_t u;
        sl_err_t err = sl_sql_decimal_parse(s, n, to->precision, to->scale, 0, &u, errbuf, errlen);
        if (err)
            return err;
        *out = sl_sql_value_decimal(u, to->precision, to->scale);
        return SL_OK;
    }
    case SL_SQL_DATE: {
        int32_t d = 0;
        trim(&s, &n);
        sl_err_t err = parse_date(s, n, &d, errbuf, errlen);
        if (!err)
            *out = sl_sql_value_date(d);
        return err;
    }
    case SL_SQL_TIME: {
        int32_t t = 0;
        trim(&s, &n);
        sl_err_t err = parse_time(s, n, &t, errbuf, errlen);
        if (!err)
            *out = sl_sql_value_time(t);
        return err;
    }
    case SL_SQL_TIMESTAMP: {
        int64_t t = 0;
        trim(&s, &n);
        sl_err_t err = parse_timestamp(s, n, &t, errbuf, errlen);
        if (!err)
            *out = sl_sql_value_timestamp(t);
        return err;
    }
    default:
        break;
    }
    return SL_ERR_INVAL;
}

sl_err_t sl_sql_cast(const sl_sql_alloc_t *al, const sl_sql_type_t *from, const sl_sql_value_t *v,
                     const sl_sql_type_t *to, sl_sql_value_t *out, char *errbuf, size_t errlen)
{
    if (!sl_sql_cast_allowed(from, to))
        return not_allowed(from, to, errbuf, errlen);
    if (v->is_null) {
        *out = sl_sql_value_null(to);
        return SL_OK;
    }
    if (sl_sql_type_equal(from, to)) {
        *out = *v;
        return SL_OK;
    }
    int f = v->base;
    if (to->base == SL_SQL_STRING)
        return to_string(al, from, v, out);
    if (f == SL_SQL_STRING)
        return from_string(v, to, out, errbuf, errlen);
    if (prim_num(f))
        return cast_number(v, to, out, errbuf, errlen);
    switch (to->base) {
    case SL_SQL_DATE: /* from TIMESTAMP */
        *out = sl_sql_value_date((int32_t)(v->u.i64 / 86400000 - (v->u.i64 % 86400000 < 0)));
        return SL_OK;
    case SL_SQL_TIME: {
        int64_t r = v->u.i64 % 86400000;
        *out = sl_sql_value_time((int32_t)(r < 0 ? r + 86400000 : r));
        return SL_OK;
    }
    case SL_SQL_TIMESTAMP: /* from DATE */
        *out = sl_sql_value_timestamp((int64_t)v->u.i32 * 86400000);
        return SL_OK;
    case SL_SQL_ARRAY:
    case SL_SQL_MAP: {
        sl_err_t err = sl_sql_value_container(al, to, v->len, out);
        for (size_t i = 0; !err && i < (to->base == SL_SQL_MAP ? 2 * (size_t)v->len : v->len); i++) {
            const sl_sql_type_t *ft = to->base == SL_SQL_ARRAY ? from->item : i % 2 ? from->item : from->key;
            const sl_sql_type_t *tt = to->base == SL_SQL_ARRAY ? to->item : i % 2 ? to->item : to->key;
            err = sl_sql_cast(al, ft, &v->u.items[i], tt, &out->u.items[i], errbuf, errlen);
        }
        return err;
    }
    case SL_SQL_STRUCT: {
        sl_err_t err = sl_sql_value_container(al, to, 0, out);
        for (size_t i = 0; !err && i < to->nfields; i++) {
            long j = sl_sql_type_field_index(from, to->fields[i].name);
            if (j >= 0 && (size_t)j < v->len)
                err = sl_sql_cast(al, from->fields[j].type, &v->u.items[j], to->fields[i].type,
                                  &out->u.items[i], errbuf, errlen);
        }
        return err;
    }
    default:
        break;
    }
    return not_allowed(from, to, errbuf, errlen);
}
