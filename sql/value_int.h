/* value_int.h — what value.c, value_cast.c and format.c share and nobody else
 * sees: the byte sink the printers write to (an sl_buf_t, or the engine's
 * sl_out_t when a serde writes), and the error-message helper. */
#ifndef SL_SQL_VALUE_INT_H
#define SL_SQL_VALUE_INT_H

#include <stdarg.h>

#include "sql/value.h"

/** A byte sink: exactly one of buf and out is set. */
typedef struct sl__sql_sink {
    sl_buf_t *buf;
    sl_out_t *out;
} sl__sql_sink_t;

static inline sl_err_t sl__sql_put(sl__sql_sink_t *s, const void *p, size_t n)
{
    if (s->buf)
        return sl_buf_append(s->buf, p, n);
    return n ? sl_out_append(s->out, p, n) : SL_OK;
}

static inline sl_err_t sl__sql_putc(sl__sql_sink_t *s, char c) { return sl__sql_put(s, &c, 1); }

static inline sl_err_t sl__sql_puts(sl__sql_sink_t *s, const char *str)
{
    return sl__sql_put(s, str, strlen(str));
}

/** Prints v (type t) in style to s. */
sl_err_t sl__sql_value_print(sl__sql_sink_t *s, const sl_sql_type_t *t, const sl_sql_value_t *v,
                             sl_sql_print_style_t style);

/** Appends a JSON string literal of p[0..n) to s. */
sl_err_t sl__sql_json_string(sl__sql_sink_t *s, const char *p, size_t n);

/** Appends base64 (RFC 4648, padded, as Java's Base64 encoder) of p[0..n). */
sl_err_t sl__sql_base64(sl__sql_sink_t *s, const uint8_t *p, size_t n);

/** Decodes base64 text into al: SL_ERR_INVAL when it is not base64. */
sl_err_t sl__sql_base64_decode(const sl_sql_alloc_t *al, const char *p, size_t n,
                               const uint8_t **out, size_t *outlen);

/** Writes fmt to errbuf (when errbuf and errlen) and returns err. */
sl_err_t sl__sql_err(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Prints a date/time/timestamp as ksqlDB does ("2021-03-04", "10:15:30.5",
 * "2021-03-04T10:15:30.000") into buf (at least 40 bytes); returns the length. */
size_t sl__sql_date_text(int64_t days, char *buf);
size_t sl__sql_time_text(int64_t ms, char *buf);
size_t sl__sql_timestamp_text(int64_t ms, char *buf);

/** Parses an integer with Java's Integer/Long.parseLong rules (optional sign,
 * decimal digits, nothing else) into *out; 0 on success, -1 not a number,
 * -2 out of [lo, hi]. */
int sl__sql_parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out);

/** Parses a double as Java's Double.parseDouble (also "NaN", "Infinity");
 * 0 on success, -1 when it is not one. Leading/trailing white space allowed. */
int sl__sql_parse_double(const char *s, size_t n, double *out);

#endif
