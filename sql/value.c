/* value.c — SQL types and values: descriptors, constructors, deep copies,
 * comparison, hashing and printing (CLI display and JSON). CAST is in
 * value_cast.c. */
#include "sql/value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/value_int.h"

/* ---- allocation ---------------------------------------------------------------- */

static void *arena_fn(void *ctx, size_t n) { return sl_arena_alloc(ctx, n); }
static void *mem_fn(void *ctx, size_t n) { return sl_mem_alloc(ctx, n); }

sl_sql_alloc_t sl_sql_alloc_arena(sl_arena_t *a) { return (sl_sql_alloc_t){arena_fn, a}; }
sl_sql_alloc_t sl_sql_alloc_mem(sl_mem_t *m) { return (sl_sql_alloc_t){mem_fn, m}; }

sl_err_t sl__sql_err(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

static char *dup_str(const sl_sql_alloc_t *al, const char *s, size_t n)
{
    char *p = sl_sql_alloc(al, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* ---- types --------------------------------------------------------------------- */

static const sl_sql_type_t prims[] = {
    [SL_SQL_BOOLEAN] = {.base = SL_SQL_BOOLEAN},     [SL_SQL_INT] = {.base = SL_SQL_INT},
    [SL_SQL_BIGINT] = {.base = SL_SQL_BIGINT},       [SL_SQL_DOUBLE] = {.base = SL_SQL_DOUBLE},
    [SL_SQL_STRING] = {.base = SL_SQL_STRING},       [SL_SQL_BYTES] = {.base = SL_SQL_BYTES},
    [SL_SQL_DATE] = {.base = SL_SQL_DATE},           [SL_SQL_TIME] = {.base = SL_SQL_TIME},
    [SL_SQL_TIMESTAMP] = {.base = SL_SQL_TIMESTAMP},
};

const sl_sql_type_t *sl_sql_type_prim(sl_sql_base_t base)
{
    switch (base) {
    case SL_SQL_BOOLEAN: case SL_SQL_INT: case SL_SQL_BIGINT: case SL_SQL_DOUBLE:
    case SL_SQL_STRING: case SL_SQL_BYTES: case SL_SQL_DATE: case SL_SQL_TIME:
    case SL_SQL_TIMESTAMP:
        return &prims[base];
    default:
        return NULL;
    }
}

const char *sl_sql_base_name(sl_sql_base_t base)
{
    switch (base) {
    case SL_SQL_BOOLEAN: return "BOOLEAN";
    case SL_SQL_INT: return "INTEGER";
    case SL_SQL_BIGINT: return "BIGINT";
    case SL_SQL_DOUBLE: return "DOUBLE";
    case SL_SQL_DECIMAL: return "DECIMAL";
    case SL_SQL_STRING: return "STRING";
    case SL_SQL_BYTES: return "BYTES";
    case SL_SQL_DATE: return "DATE";
    case SL_SQL_TIME: return "TIME";
    case SL_SQL_TIMESTAMP: return "TIMESTAMP";
    case SL_SQL_ARRAY: return "ARRAY";
    case SL_SQL_MAP: return "MAP";
    case SL_SQL_STRUCT: return "STRUCT";
    }
    return "?";
}

sl_err_t sl_sql_type_decimal(const sl_sql_alloc_t *al, int precision, int scale,
                             const sl_sql_type_t **out, char *errbuf, size_t errlen)
{
    /* ksqlDB's DecimalUtil.validateParameters wording */
    if (precision < 1 || precision > SL_SQL_DECIMAL_MAX_PRECISION)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "DECIMAL precision must be between 1 and %d: %d",
                           SL_SQL_DECIMAL_MAX_PRECISION, precision);
    if (scale < 0 || scale > precision)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "DECIMAL scale must be between 0 and precision (%d): %d", precision,
                           scale);
    sl_sql_type_t *t = sl_sql_alloc(al, sizeof *t);
    if (!t)
        return SL_ERR_NOMEM;
    *t = (sl_sql_type_t){.base = SL_SQL_DECIMAL, .precision = (uint8_t)precision,
                         .scale = (uint8_t)scale};
    *out = t;
    return SL_OK;
}

const sl_sql_type_t *sl_sql_type_array(const sl_sql_alloc_t *al, const sl_sql_type_t *item)
{
    sl_sql_type_t *t = sl_sql_alloc(al, sizeof *t);
    if (t)
        *t = (sl_sql_type_t){.base = SL_SQL_ARRAY, .item = item};
    return t;
}

static int is_container(const sl_sql_type_t *t)
{
    return t->base == SL_SQL_ARRAY || t->base == SL_SQL_MAP || t->base == SL_SQL_STRUCT;
}

sl_err_t sl_sql_type_map(const sl_sql_alloc_t *al, const sl_sql_type_t *key,
                         const sl_sql_type_t *value, const sl_sql_type_t **out, char *errbuf,
                         size_t errlen)
{
    if (!key || !value)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "MAP needs a key and a value type");
    if (is_container(key))
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "MAP key type must be a primitive type, not %s",
                           sl_sql_base_name(key->base));
    sl_sql_type_t *t = sl_sql_alloc(al, sizeof *t);
    if (!t)
        return SL_ERR_NOMEM;
    *t = (sl_sql_type_t){.base = SL_SQL_MAP, .key = key, .item = value};
    *out = t;
    return SL_OK;
}

sl_err_t sl_sql_type_struct(const sl_sql_alloc_t *al, const sl_sql_field_t *fields, size_t n,
                            const sl_sql_type_t **out, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (!fields[i].name || !fields[i].name[0] || !fields[i].type)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "STRUCT field %zu needs a name and a type", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(fields[i].name, fields[j].name) == 0)
                return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                                   "Duplicate field names found in STRUCT: '%s'", fields[i].name);
    }
    sl_sql_type_t *t = sl_sql_alloc(al, sizeof *t);
    sl_sql_field_t *f = sl_sql_alloc(al, n * sizeof *f);
    if (!t || !f)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        f[i].type = fields[i].type;
        if (!(f[i].name = dup_str(al, fields[i].name, strlen(fields[i].name))))
            return SL_ERR_NOMEM;
    }
    *t = (sl_sql_type_t){.base = SL_SQL_STRUCT, .nfields = n, .fields = f};
    *out = t;
    return SL_OK;
}

const sl_sql_type_t *sl_sql_type_copy(const sl_sql_alloc_t *al, const sl_sql_type_t *t)
{
    if (sl_sql_type_prim(t->base))
        return sl_sql_type_prim(t->base);
    sl_sql_type_t *c = sl_sql_alloc(al, sizeof *c);
    if (!c)
        return NULL;
    *c = *t;
    if (t->key && !(c->key = sl_sql_type_copy(al, t->key)))
        return NULL;
    if (t->item && !(c->item = sl_sql_type_copy(al, t->item)))
        return NULL;
    if (t->base == SL_SQL_STRUCT) {
        sl_sql_field_t *f = sl_sql_alloc(al, t->nfields * sizeof *f);
        if (!f)
            return NULL;
        for (size_t i = 0; i < t->nfields; i++) {
            f[i].name = dup_str(al, t->fields[i].name, strlen(t->fields[i].name));
            f[i].type = sl_sql_type_copy(al, t->fields[i].type);
            if (!f[i].name || !f[i].type)
                return NULL;
        }
        c->fields = f;
    }
    return c;
}

int sl_sql_type_equal(const sl_sql_type_t *a, const sl_sql_type_t *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->base != b->base)
        return 0;
    switch (a->base) {
    case SL_SQL_DECIMAL:
        return a->precision == b->precision && a->scale == b->scale;
    case SL_SQL_ARRAY:
        return sl_sql_type_equal(a->item, b->item);
    case SL_SQL_MAP:
        return sl_sql_type_equal(a->key, b->key) && sl_sql_type_equal(a->item, b->item);
    case SL_SQL_STRUCT:
        if (a->nfields != b->nfields)
            return 0;
        for (size_t i = 0; i < a->nfields; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) ||
                !sl_sql_type_equal(a->fields[i].type, b->fields[i].type))
                return 0;
        return 1;
    default:
        return 1;
    }
}

int sl_sql_type_is_numeric(const sl_sql_type_t *t)
{
    return t->base == SL_SQL_INT || t->base == SL_SQL_BIGINT || t->base == SL_SQL_DOUBLE ||
           t->base == SL_SQL_DECIMAL;
}

long sl_sql_type_field_index(const sl_sql_type_t *t, const char *name)
{
    if (t->base != SL_SQL_STRUCT)
        return -1;
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return (long)i;
    return -1;
}

static sl_err_t type_fmt(sl__sql_sink_t *s, const sl_sql_type_t *t, sl_sql_type_style_t style)
{
    sl_err_t err;
    char tmp[48];
    switch (t->base) {
    case SL_SQL_STRING:
        return sl__sql_puts(s, style == SL_SQL_TYPE_DESCRIBE ? "VARCHAR(STRING)" : "STRING");
    case SL_SQL_DECIMAL:
        snprintf(tmp, sizeof tmp, "DECIMAL(%d, %d)", t->precision, t->scale);
        return sl__sql_puts(s, tmp);
    case SL_SQL_ARRAY:
        if ((err = sl__sql_puts(s, "ARRAY<")) || (err = type_fmt(s, t->item, style)))
            return err;
        return sl__sql_putc(s, '>');
    case SL_SQL_MAP:
        if ((err = sl__sql_puts(s, "MAP<")) || (err = type_fmt(s, t->key, style)) ||
            (err = sl__sql_puts(s, ", ")) || (err = type_fmt(s, t->item, style)))
            return err;
        return sl__sql_putc(s, '>');
    case SL_SQL_STRUCT:
        if ((err = sl__sql_puts(s, "STRUCT<")))
            return err;
        for (size_t i = 0; i < t->nfields; i++) {
            if (i && (err = sl__sql_puts(s, ", ")))
                return err;
            if (style == SL_SQL_TYPE_SQL) {
                /* a backquote inside a name is doubled, as ksqlDB escapes identifiers */
                if ((err = sl__sql_putc(s, '`')))
                    return err;
                for (const char *p = t->fields[i].name; *p; p++)
                    if ((*p == '`' && (err = sl__sql_putc(s, '`'))) || (err = sl__sql_putc(s, *p)))
                        return err;
                if ((err = sl__sql_putc(s, '`')))
                    return err;
            } else if ((err = sl__sql_puts(s, t->fields[i].name))) {
                return err;
            }
            if ((err = sl__sql_putc(s, ' ')) || (err = type_fmt(s, t->fields[i].type, style)))
                return err;
        }
        return sl__sql_putc(s, '>');
    default:
        return sl__sql_puts(s, sl_sql_base_name(t->base));
    }
}

sl_err_t sl_sql_type_format(const sl_sql_type_t *t, sl_sql_type_style_t style, sl_buf_t *out)
{
    sl__sql_sink_t s = {out, NULL};
    return type_fmt(&s, t, style);
}

/* ---- value constructors ---------------------------------------------------------- */

sl_sql_value_t sl_sql_value_null(const sl_sql_type_t *t)
{
    sl_sql_value_t v = {.base = (uint8_t)t->base, .is_null = 1};
    if (t->base == SL_SQL_DECIMAL)
        v.precision = t->precision, v.scale = t->scale;
    return v;
}

sl_sql_value_t sl_sql_value_bool(int b) { return (sl_sql_value_t){.base = SL_SQL_BOOLEAN, .u.b = !!b}; }
sl_sql_value_t sl_sql_value_int(int32_t x) { return (sl_sql_value_t){.base = SL_SQL_INT, .u.i32 = x}; }
sl_sql_value_t sl_sql_value_bigint(int64_t x) { return (sl_sql_value_t){.base = SL_SQL_BIGINT, .u.i64 = x}; }
sl_sql_value_t sl_sql_value_double(double x) { return (sl_sql_value_t){.base = SL_SQL_DOUBLE, .u.d = x}; }
sl_sql_value_t sl_sql_value_date(int32_t x) { return (sl_sql_value_t){.base = SL_SQL_DATE, .u.i32 = x}; }
sl_sql_value_t sl_sql_value_time(int32_t x) { return (sl_sql_value_t){.base = SL_SQL_TIME, .u.i32 = x}; }
sl_sql_value_t sl_sql_value_timestamp(int64_t x)
{
    return (sl_sql_value_t){.base = SL_SQL_TIMESTAMP, .u.i64 = x};
}

sl_sql_value_t sl_sql_value_decimal(sl_sql_i128_t unscaled, int precision, int scale)
{
    return (sl_sql_value_t){.base = SL_SQL_DECIMAL, .precision = (uint8_t)precision,
                            .scale = (uint8_t)scale, .u.dec = unscaled};
}

sl_sql_value_t sl_sql_value_string(const char *s, size_t len)
{
    return (sl_sql_value_t){.base = SL_SQL_STRING, .len = (uint32_t)len, .u.str = s};
}

sl_sql_value_t sl_sql_value_bytes(const uint8_t *p, size_t len)
{
    return (sl_sql_value_t){.base = SL_SQL_BYTES, .len = (uint32_t)len, .u.bytes = p};
}

sl_err_t sl_sql_value_string_dup(const sl_sql_alloc_t *al, const char *s, size_t len,
                                 sl_sql_value_t *out)
{
    char *p = dup_str(al, s, len);
    if (!p)
        return SL_ERR_NOMEM;
    *out = sl_sql_value_string(p, len);
    return SL_OK;
}

sl_err_t sl_sql_value_bytes_dup(const sl_sql_alloc_t *al, const uint8_t *p, size_t len,
                                sl_sql_value_t *out)
{
    uint8_t *c = sl_sql_alloc(al, len);
    if (!c)
        return SL_ERR_NOMEM;
    if (len)
        memcpy(c, p, len);
    *out = sl_sql_value_bytes(c, len);
    return SL_OK;
}

sl_err_t sl_sql_value_container(const sl_sql_alloc_t *al, const sl_sql_type_t *t, size_t n,
                                sl_sql_value_t *out)
{
    size_t slots;
    switch (t->base) {
    case SL_SQL_ARRAY: slots = n; break;
    case SL_SQL_MAP: slots = 2 * n; break;
    case SL_SQL_STRUCT: slots = n = t->nfields; break;
    default: return SL_ERR_INVAL;
    }
    if (n > UINT32_MAX)
        return SL_ERR_RANGE;
    sl_sql_value_t *items = sl_sql_alloc(al, slots * sizeof *items);
    if (!items)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < slots; i++) {
        const sl_sql_type_t *it = t->base == SL_SQL_ARRAY    ? t->item
                                  : t->base == SL_SQL_STRUCT ? t->fields[i].type
                                  : i % 2 == 0               ? t->key
                                                             : t->item;
        items[i] = sl_sql_value_null(it);
    }
    *out = (sl_sql_value_t){.base = (uint8_t)t->base, .len = (uint32_t)n, .u.items = items};
    return SL_OK;
}

static size_t item_slots(const sl_sql_value_t *v)
{
    return v->base == SL_SQL_MAP ? 2 * (size_t)v->len : v->len;
}

static int is_container_value(const sl_sql_value_t *v)
{
    return v->base == SL_SQL_ARRAY || v->base == SL_SQL_MAP || v->base == SL_SQL_STRUCT;
}

sl_err_t sl_sql_value_copy(const sl_sql_alloc_t *al, const sl_sql_value_t *src, sl_sql_value_t *dst)
{
    sl_sql_value_t v = *src;
    if (!v.is_null) {
        if (v.base == SL_SQL_STRING) {
            if (!(v.u.str = dup_str(al, src->u.str, src->len)))
                return SL_ERR_NOMEM;
        } else if (v.base == SL_SQL_BYTES) {
            uint8_t *p = sl_sql_alloc(al, v.len);
            if (!p)
                return SL_ERR_NOMEM;
            if (v.len)
                memcpy(p, src->u.bytes, v.len);
            v.u.bytes = p;
        } else if (is_container_value(&v)) {
            size_t n = item_slots(&v);
            sl_sql_value_t *items = sl_sql_alloc(al, n * sizeof *items);
            if (!items)
                return SL_ERR_NOMEM;
            for (size_t i = 0; i < n; i++) {
                sl_err_t err = sl_sql_value_copy(al, &src->u.items[i], &items[i]);
                if (err)
                    return err;
            }
            v.u.items = items;
        }
    }
    *dst = v;
    return SL_OK;
}

/* ---- decimals -------------------------------------------------------------------- */

sl_sql_i128_t sl_sql_pow10(int n)
{
    sl_sql_i128_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

int sl_sql_decimal_fits(sl_sql_i128_t unscaled, int precision)
{
    sl_sql_i128_t lim = sl_sql_pow10(precision);
    return unscaled < lim && unscaled > -lim;
}

size_t sl_sql_decimal_text(sl_sql_i128_t v, int scale, char *buf)
{
    char digits[48];
    int n = 0;
    int neg = v < 0;
    /* work on the magnitude as unsigned: -2^127 has no positive counterpart */
    unsigned __int128 m = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (n <= scale)
        digits[n++] = '0';
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        buf[o++] = digits[i];
        if (i == scale && scale > 0)
            buf[o++] = '.';
    }
    buf[o] = 0;
    return o;
}

double sl_sql_decimal_to_double(sl_sql_i128_t unscaled, int scale)
{
    char buf[48];
    sl_sql_decimal_text(unscaled, scale, buf);
    return strtod(buf, NULL);
}

/* ---- doubles as Java prints them ---------------------------------------------------- */

size_t sl_sql_double_text(double d, char *buf)
{
    if (isnan(d))
        return (size_t)sprintf(buf, "NaN");
    if (isinf(d))
        return (size_t)sprintf(buf, d < 0 ? "-Infinity" : "Infinity");
    if (d == 0)
        return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
    /* the shortest digit string that reads back as d (Java 19+'s rule) */
    char e[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    char digits[24];
    int nd = 0;
    const char *p = e;
    int neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    size_t o = 0;
    if (neg)
        buf[o++] = '-';
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                buf[o++] = i < nd ? digits[i] : '0';
            buf[o++] = '.';
            if (nd > exp + 1)
                for (int i = exp + 1; i < nd; i++)
                    buf[o++] = digits[i];
            else
                buf[o++] = '0';
        } else {
            buf[o++] = '0', buf[o++] = '.';
            for (int i = 0; i < -exp - 1; i++)
                buf[o++] = '0';
            for (int i = 0; i < nd; i++)
                buf[o++] = digits[i];
        }
        buf[o] = 0;
        return o;
    }
    buf[o++] = digits[0];
    buf[o++] = '.';
    if (nd > 1)
        for (int i = 1; i < nd; i++)
            buf[o++] = digits[i];
    else
        buf[o++] = '0';
    o += (size_t)sprintf(buf + o, "E%d", exp);
    return o;
}

/* ---- dates ---------------------------------------------------------------------------- */

/* Howard Hinnant's civil-calendar algorithms (public domain). */
int64_t sl_sql_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sl_sql_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

size_t sl__sql_date_text(int64_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    sl_sql_civil_from_days(days, &y, &m, &d);
    /* java.time prints years past 9999 with a '+' */
    if (y > 9999)
        return (size_t)sprintf(buf, "+%lld-%02u-%02u", (long long)y, m, d);
    if (y < 0)
        return (size_t)sprintf(buf, "-%04lld-%02u-%02u", -(long long)y, m, d);
    return (size_t)sprintf(buf, "%04lld-%02u-%02u", (long long)y, m, d);
}

size_t sl__sql_time_text(int64_t ms, char *buf)
{
    int h = (int)(ms / 3600000), mi = (int)(ms / 60000 % 60), s = (int)(ms / 1000 % 60);
    int f = (int)(ms % 1000);
    size_t o = (size_t)sprintf(buf, "%02d:%02d:%02d", h, mi, s);
    if (f) { /* ISO_LOCAL_TIME: only the fraction digits needed */
        o += (size_t)sprintf(buf + o, ".%03d", f);
        while (buf[o - 1] == '0')
            buf[--o] = 0;
    }
    return o;
}

size_t sl__sql_timestamp_text(int64_t ms, char *buf)
{
    int64_t days = floordiv(ms, 86400000);
    int64_t rem = ms - days * 86400000;
    size_t o = sl__sql_date_text(days, buf);
    return o + (size_t)sprintf(buf + o, "T%02d:%02d:%02d.%03d", (int)(rem / 3600000),
                               (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

/* ---- comparison ---------------------------------------------------------------------- */

static int is_exact_num(int b) { return b == SL_SQL_INT || b == SL_SQL_BIGINT || b == SL_SQL_DECIMAL; }

/* An exact number as (unscaled, scale). */
static void exact_of(const sl_sql_value_t *v, sl_sql_i128_t *u, int *scale)
{
    switch (v->base) {
    case SL_SQL_INT: *u = v->u.i32, *scale = 0; break;
    case SL_SQL_BIGINT: *u = v->u.i64, *scale = 0; break;
    default: *u = v->u.dec, *scale = v->scale; break;
    }
}

static double double_of(const sl_sql_value_t *v)
{
    switch (v->base) {
    case SL_SQL_INT: return v->u.i32;
    case SL_SQL_BIGINT: return (double)v->u.i64;
    case SL_SQL_DECIMAL: return sl_sql_decimal_to_double(v->u.dec, v->scale);
    default: return v->u.d;
    }
}

static int cmp_double(double a, double b)
{
    /* Java's Double.compare: a total order */
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    int an = isnan(a), bn = isnan(b);
    if (an || bn)
        return an == bn ? 0 : an ? 1 : -1;
    if (a == 0 && b == 0 && signbit(a) != signbit(b))
        return signbit(a) ? -1 : 1;
    return 0;
}

/* Compares exact numbers of any scale without overflow: align by dividing
 * the one with the larger scale instead of multiplying the other. */
static int cmp_exact(sl_sql_i128_t a, int as, sl_sql_i128_t b, int bs)
{
    if (as == bs)
        return a < b ? -1 : a > b;
    int swap = as < bs;
    if (swap) {
        sl_sql_i128_t t = a; a = b; b = t;
        int ts = as; as = bs; bs = ts;
    }
    /* now as > bs: compare a / 10^(as-bs) with b, then the remainder */
    sl_sql_i128_t p = sl_sql_pow10(as - bs);
    sl_sql_i128_t q = a / p, r = a % p;
    int c = q < b ? -1 : q > b ? 1 : (r > 0) - (r < 0);
    return swap ? -c : c;
}

static int cmp_bytes(const void *a, size_t an, const void *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

static int map_equal(const sl_sql_value_t *a, const sl_sql_value_t *b);

/* The nested rule: NULL is a value that sorts first. */
static int cmp_nested(const sl_sql_value_t *a, const sl_sql_value_t *b)
{
    if (a->is_null || b->is_null)
        return a->is_null && b->is_null ? 0 : a->is_null ? -1 : 1;
    return sl_sql_value_compare(a, b);
}

int sl_sql_value_compare(const sl_sql_value_t *a, const sl_sql_value_t *b)
{
    if (a->is_null || b->is_null)
        return SL_SQL_UNKNOWN;
    int ab = a->base, bb = b->base;
    if (is_exact_num(ab) && is_exact_num(bb)) {
        sl_sql_i128_t x, y;
        int xs, ys;
        exact_of(a, &x, &xs);
        exact_of(b, &y, &ys);
        return cmp_exact(x, xs, y, ys);
    }
    if ((is_exact_num(ab) || ab == SL_SQL_DOUBLE) && (is_exact_num(bb) || bb == SL_SQL_DOUBLE))
        return cmp_double(double_of(a), double_of(b));
    if ((ab == SL_SQL_DATE && bb == SL_SQL_TIMESTAMP) || (ab == SL_SQL_TIMESTAMP && bb == SL_SQL_DATE)) {
        int64_t x = ab == SL_SQL_DATE ? (int64_t)a->u.i32 * 86400000 : a->u.i64;
        int64_t y = bb == SL_SQL_DATE ? (int64_t)b->u.i32 * 86400000 : b->u.i64;
        return x < y ? -1 : x > y;
    }
    if (ab != bb)
        return SL_SQL_INCOMPARABLE;
    switch (ab) {
    case SL_SQL_BOOLEAN: return a->u.b < b->u.b ? -1 : a->u.b > b->u.b;
    case SL_SQL_DATE:
    case SL_SQL_TIME: return a->u.i32 < b->u.i32 ? -1 : a->u.i32 > b->u.i32;
    case SL_SQL_TIMESTAMP: return a->u.i64 < b->u.i64 ? -1 : a->u.i64 > b->u.i64;
    case SL_SQL_STRING: return cmp_bytes(a->u.str, a->len, b->u.str, b->len);
    case SL_SQL_BYTES: return cmp_bytes(a->u.bytes, a->len, b->u.bytes, b->len);
    case SL_SQL_ARRAY:
    case SL_SQL_STRUCT: {
        size_t n = a->len < b->len ? a->len : b->len;
        for (size_t i = 0; i < n; i++) {
            int c = cmp_nested(&a->u.items[i], &b->u.items[i]);
            if (c)
                return c;
        }
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case SL_SQL_MAP:
        return map_equal(a, b) ? 0 : 1;
    }
    return SL_SQL_INCOMPARABLE;
}

static int map_equal(const sl_sql_value_t *a, const sl_sql_value_t *b)
{
    if (a->len != b->len)
        return 0;
    for (size_t i = 0; i < a->len; i++) {
        size_t j;
        for (j = 0; j < b->len; j++)
            if (sl_sql_value_equal(&a->u.items[2 * i], &b->u.items[2 * j]))
                break;
        if (j == b->len || !sl_sql_value_equal(&a->u.items[2 * i + 1], &b->u.items[2 * j + 1]))
            return 0;
    }
    return 1;
}

int sl_sql_value_equal(const sl_sql_value_t *a, const sl_sql_value_t *b)
{
    return cmp_nested(a, b) == 0;
}

/* ---- hashing ---------------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t x)
{
    /* splitmix64 finaliser over an FNV-style chain */
    h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30, h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27, h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    uint64_t f = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        f = (f ^ p[i]) * 0x100000001b3ull;
    return mix(h, f ^ n);
}

/* Numbers that compare equal hash equal: an integral value that fits int64
 * hashes as that integer, everything else as the double the comparison uses. */
static uint64_t hash_double(double d)
{
    if (d == 0)
        d = 0; /* -0.0 and 0.0 are different under Double.compare: keep them apart */
    if (isnan(d))
        return mix(2, 0x7ff8000000000000ull);
    if (d >= -9.2233720368547758e18 && d < 9.2233720368547758e18 && d == trunc(d) &&
        !(d == 0 && signbit(d)))
        return mix(1, (uint64_t)(int64_t)d);
    uint64_t bits;
    memcpy(&bits, &d, 8);
    return mix(2, bits);
}

uint64_t sl_sql_value_hash(const sl_sql_value_t *v)
{
    if (v->is_null)
        return 0x5bd1e995ull;
    switch (v->base) {
    case SL_SQL_BOOLEAN: return mix(3, (uint64_t)v->u.b);
    case SL_SQL_INT: return mix(1, (uint64_t)(int64_t)v->u.i32);
    case SL_SQL_BIGINT: return mix(1, (uint64_t)v->u.i64);
    case SL_SQL_DOUBLE: return hash_double(v->u.d);
    case SL_SQL_DECIMAL: {
        sl_sql_i128_t p = sl_sql_pow10(v->scale);
        if (v->u.dec % p == 0) {
            sl_sql_i128_t q = v->u.dec / p;
            if (q >= INT64_MIN && q <= INT64_MAX)
                return mix(1, (uint64_t)(int64_t)q);
        }
        return hash_double(sl_sql_decimal_to_double(v->u.dec, v->scale));
    }
    case SL_SQL_STRING: return hash_bytes(4, (const uint8_t *)v->u.str, v->len);
    case SL_SQL_BYTES: return hash_bytes(5, v->u.bytes, v->len);
    case SL_SQL_DATE: return mix(6, (uint64_t)((int64_t)v->u.i32 * 86400000));
    case SL_SQL_TIMESTAMP: return mix(6, (uint64_t)v->u.i64);
    case SL_SQL_TIME: return mix(7, (uint64_t)(int64_t)v->u.i32);
    case SL_SQL_ARRAY:
    case SL_SQL_STRUCT: {
        uint64_t h = v->base;
        for (size_t i = 0; i < v->len; i++)
            h = mix(h, sl_sql_value_hash(&v->u.items[i]));
        return mix(h, v->len);
    }
    case SL_SQL_MAP: {
        uint64_t h = 0; /* order-independent: a sum of entry hashes */
        for (size_t i = 0; i < v->len; i++)
            h += mix(sl_sql_value_hash(&v->u.items[2 * i]), sl_sql_value_hash(&v->u.items[2 * i + 1]));
        return mix(h, v->len);
    }
    }
    return 0;
}

/* ---- printing ---------------------------------------------------------------------- */

sl_err_t sl__sql_json_string(sl__sql_sink_t *s, const char *p, size_t n)
{
    sl_err_t err = sl__sql_putc(s, '"');
    size_t run = 0;
    for (size_t i = 0; i < n && !err; i++) {
        unsigned char c = (unsigned char)p[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", c);
                esc = u;
            }
        }
        if (!esc)
            continue;
        if ((err = sl__sql_put(s, p + run, i - run)))
            return err;
        err = sl__sql_puts(s, esc);
        run = i + 1;
    }
    if (!err)
        err = sl__sql_put(s, p + run, n - run);
    return err ? err : sl__sql_putc(s, '"');
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

sl_err_t sl__sql_base64(sl__sql_sink_t *s, const uint8_t *p, size_t n)
{
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < n && !err; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            x |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            x |= p[i + 2];
        char q[4] = {b64[x >> 18], b64[(x >> 12) & 63], i + 1 < n ? b64[(x >> 6) & 63] : '=',
                     i + 2 < n ? b64[x & 63] : '='};
        err = sl__sql_put(s, q, 4);
    }
    return err;
}

sl_err_t sl__sql_base64_decode(const sl_sql_alloc_t *al, const char *p, size_t n,
                               const uint8_t **out, size_t *outlen)
{
    if (n % 4)
        return SL_ERR_INVAL;
    uint8_t *o = sl_sql_alloc(al, n / 4 * 3);
    if (!o)
        return SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t x = 0;
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            char c = p[i + j];
            const char *f = c && c != '=' ? strchr(b64, c) : NULL;
            if (c == '=' && i + 4 == n && j >= 2) {
                pad++;
                x <<= 6;
                continue;
            }
            if (!f || pad)
                return SL_ERR_INVAL;
            x = (x << 6) | (uint32_t)(f - b64);
        }
        o[k++] = (uint8_t)(x >> 16);
        if (pad < 2)
            o[k++] = (uint8_t)(x >> 8);
        if (pad < 1)
            o[k++] = (uint8_t)x;
    }
    *out = o;
    *outlen = k;
    return SL_OK;
}

static const sl_sql_type_t *slot_type(const sl_sql_type_t *t, const sl_sql_value_t *v, size_t i)
{
    if (!t)
        return NULL;
    switch (v->base) {
    case SL_SQL_ARRAY: return t->item;
    case SL_SQL_MAP: return i % 2 ? t->item : t->key;
    case SL_SQL_STRUCT: return i < t->nfields ? t->fields[i].type : NULL;
    }
    return NULL;
}

sl_err_t sl__sql_value_print(sl__sql_sink_t *s, const sl_sql_type_t *t, const sl_sql_value_t *v,
                             sl_sql_print_style_t style)
{
    char tmp[64];
    sl_err_t err;
    int json = style == SL_SQL_PRINT_JSON;
    if (v->is_null)
        return sl__sql_puts(s, "null");
    switch (v->base) {
    case SL_SQL_BOOLEAN: return sl__sql_puts(s, v->u.b ? "true" : "false");
    case SL_SQL_INT: snprintf(tmp, sizeof tmp, "%d", v->u.i32); return sl__sql_puts(s, tmp);
    case SL_SQL_BIGINT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i64);
        return sl__sql_puts(s, tmp);
    case SL_SQL_DOUBLE:
        if (json && !isfinite(v->u.d)) /* Jackson writes these as strings by default */
            return sl__sql_json_string(s, tmp, sl_sql_double_text(v->u.d, tmp));
        return sl__sql_put(s, tmp, sl_sql_double_text(v->u.d, tmp));
    case SL_SQL_DECIMAL: return sl__sql_put(s, tmp, sl_sql_decimal_text(v->u.dec, v->scale, tmp));
    case SL_SQL_STRING:
        return json ? sl__sql_json_string(s, v->u.str, v->len) : sl__sql_put(s, v->u.str, v->len);
    case SL_SQL_BYTES:
        if (json && (err = sl__sql_putc(s, '"')))
            return err;
        if ((err = sl__sql_base64(s, v->u.bytes, v->len)))
            return err;
        return json ? sl__sql_putc(s, '"') : SL_OK;
    case SL_SQL_DATE:
        if (json) {
            snprintf(tmp, sizeof tmp, "%d", v->u.i32);
            return sl__sql_puts(s, tmp);
        }
        return sl__sql_put(s, tmp, sl__sql_date_text(v->u.i32, tmp));
    case SL_SQL_TIME:
        if (json) {
            snprintf(tmp, sizeof tmp, "%d", v->u.i32);
            return sl__sql_puts(s, tmp);
        }
        return sl__sql_put(s, tmp, sl__sql_time_text(v->u.i32, tmp));
    case SL_SQL_TIMESTAMP:
        if (json) {
            snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i64);
            return sl__sql_puts(s, tmp);
        }
        return sl__sql_put(s, tmp, sl__sql_timestamp_text(v->u.i64, tmp));
    case SL_SQL_ARRAY:
        if ((err = sl__sql_putc(s, '[')))
            return err;
        for (size_t i = 0; i < v->len; i++) {
            if (i && (err = sl__sql_puts(s, json ? "," : ", ")))
                return err;
            if ((err = sl__sql_value_print(s, slot_type(t, v, i), &v->u.items[i], style)))
                return err;
        }
        return sl__sql_putc(s, ']');
    case SL_SQL_MAP:
    case SL_SQL_STRUCT: {
        if ((err = sl__sql_putc(s, '{')))
            return err;
        int map = v->base == SL_SQL_MAP;
        for (size_t i = 0; i < v->len; i++) {
            const sl_sql_value_t *val = map ? &v->u.items[2 * i + 1] : &v->u.items[i];
            const sl_sql_type_t *vt = slot_type(t, v, map ? 2 * i + 1 : i);
            if (i && (err = sl__sql_puts(s, json ? "," : ", ")))
                return err;
            if (map) {
                const sl_sql_value_t *k = &v->u.items[2 * i];
                if (json && k->base != SL_SQL_STRING) {
                    /* JSON object keys are strings: print the key, then quote it */
                    sl_buf_t kb = SL_BUF_INIT;
                    sl__sql_sink_t ks = {&kb, NULL};
                    err = sl__sql_value_print(&ks, slot_type(t, v, 2 * i), k, SL_SQL_PRINT_DISPLAY);
                    if (!err)
                        err = sl__sql_json_string(s, (const char *)kb.data, kb.len);
                    sl_buf_free(&kb);
                } else {
                    err = sl__sql_value_print(s, slot_type(t, v, 2 * i), k, style);
                }
            } else {
                const char *name = t && i < t->nfields ? t->fields[i].name : "?";
                err = json ? sl__sql_json_string(s, name, strlen(name)) : sl__sql_puts(s, name);
            }
            if (err || (err = sl__sql_putc(s, json ? ':' : '=')) ||
                (err = sl__sql_value_print(s, vt, val, style)))
                return err;
        }
        return sl__sql_putc(s, '}');
    }
    }
    return SL_ERR_INVAL;
}

sl_err_t sl_sql_value_print(const sl_sql_type_t *t, const sl_sql_value_t *v,
                            sl_sql_print_style_t style, sl_buf_t *out)
{
    sl__sql_sink_t s = {out, NULL};
    return sl__sql_value_print(&s, t, v, style);
}
