/* testfile.c — ksql-test-runner's input/output files: loading, turning their
 * values into a topic's bytes and back, and comparing them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/testfile.h"

static void fail(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

void sl_sql_test_records_free(sl_sql_test_records_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].topic);
        json_decref(r->v[i].key);
        json_decref(r->v[i].value);
        json_decref(r->v[i].headers);
        json_decref(r->v[i].window);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

/* A member's value with a new reference, NULL for absent or JSON null. */
static json_t *member(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return v && !json_is_null(v) ? json_incref(v) : NULL;
}

sl_err_t sl_sql_test_records_load(const char *path, const char *which,
                                  sl_sql_test_records_t *out, char *errbuf, size_t errlen)
{
    out->v = NULL;
    out->n = 0;
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        fail(errbuf, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        return json_error_code(&je) == json_error_cannot_open_file ? SL_ERR_IO : SL_ERR_INVAL;
    }
    json_t *arr = json_object_get(doc, which);
    if (!json_is_array(arr)) {
        fail(errbuf, errlen, "%s: expected an object with an array \"%s\"", path, which);
        json_decref(doc);
        return SL_ERR_INVAL;
    }
    size_t n = json_array_size(arr);
    out->v = calloc(n ? n : 1, sizeof *out->v);
    if (!out->v) {
        json_decref(doc);
        return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(arr, i);
        json_t *topic = json_object_get(r, "topic");
        if (!json_is_object(r) || !json_is_string(topic)) {
            fail(errbuf, errlen, "%s: %s[%zu]: a record needs a \"topic\" string", path, which, i);
            json_decref(doc);
            sl_sql_test_records_free(out);
            return SL_ERR_INVAL;
        }
        sl_sql_test_record_t *t = &out->v[out->n++];
        t->topic = strdup(json_string_value(topic));
        t->key = member(r, "key");
        t->value = member(r, "value");
        t->headers = member(r, "headers");
        t->window = member(r, "window");
        json_t *ts = json_object_get(r, "timestamp");
        if (ts && !json_is_null(ts)) {
            if (!json_is_integer(ts)) {
                fail(errbuf, errlen, "%s: %s[%zu]: \"timestamp\" must be an integer", path, which,
                     i);
                json_decref(doc);
                sl_sql_test_records_free(out);
                return SL_ERR_INVAL;
            }
            t->timestamp = json_integer_value(ts);
            t->has_timestamp = 1;
        }
        if (!t->topic) {
            json_decref(doc);
            sl_sql_test_records_free(out);
            return SL_ERR_NOMEM;
        }
    }
    json_decref(doc);
    return SL_OK;
}

/* The one column of a KAFKA-format schema. */
static const sl_sql_type_t *single_type(const sl_sql_schema_t *schema)
{
    return schema->ncols == 1 ? schema->cols[0].type : NULL;
}

/* JSON text of v with numbers written shortest-first (Java's Double.toString),
 * so that 3.10 given in a test file reaches a DECIMAL(6, 2) column as 3.1,
 * not as jansson's %.17g 3.1000000000000001. */
static sl_err_t dump_json(const json_t *v, sl_buf_t *out)
{
    char num[64];
    sl_err_t err = SL_OK;
    switch (json_typeof(v)) {
    case JSON_REAL: {
        size_t n = sl_sql_double_text(json_real_value(v), num);
        return sl_buf_append(out, num, n);
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;
        err = sl_buf_append(out, "{", 1);
        json_object_foreach((json_t *)v, k, x) {
            json_t *ks = json_string(k);
            char *kt = ks ? json_dumps(ks, JSON_ENCODE_ANY) : NULL;
            json_decref(ks);
            if (!kt)
                return SL_ERR_NOMEM;
            if (!err && !first)
                err = sl_buf_append(out, ",", 1);
            if (!err)
                err = sl_buf_append(out, kt, strlen(kt));
            free(kt);
            if (!err)
                err = sl_buf_append(out, ":", 1);
            if (!err)
                err = dump_json(x, out);
            first = 0;
        }
        return err ? err : sl_buf_append(out, "}", 1);
    }
    case JSON_ARRAY:
        err = sl_buf_append(out, "[", 1);
        for (size_t i = 0; !err && i < json_array_size(v); i++) {
            if (i)
                err = sl_buf_append(out, ",", 1);
            if (!err)
                err = dump_json(json_array_get(v, i), out);
        }
        return err ? err : sl_buf_append(out, "]", 1);
    default: {
        char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!t)
            return SL_ERR_NOMEM;
        err = sl_buf_append(out, t, strlen(t));
        free(t);
        return err;
    }
    }
}

sl_err_t sl_sql_test_encode(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                            const json_t *v, sl_buf_t *out, int *is_null, char *errbuf,
                            size_t errlen)
{
    sl_buf_reset(out);
    *is_null = v == NULL || fmt->kind == SL_SQL_FORMAT_NONE;
    if (*is_null)
        return SL_OK;
    switch (fmt->kind) {
    case SL_SQL_FORMAT_JSON:
        return dump_json(v, out);
    case SL_SQL_FORMAT_DELIMITED:
        if (!json_is_string(v)) {
            fail(errbuf, errlen, "a DELIMITED record is given as a string");
            return SL_ERR_INVAL;
        }
        return sl_buf_append(out, json_string_value(v), json_string_length(v));
    case SL_SQL_FORMAT_KAFKA: {
        const sl_sql_type_t *t = single_type(schema);
        if (!t)
            return SL_ERR_INVAL;
        switch (t->base) {
        case SL_SQL_INT:
            if (!json_is_integer(v))
                break;
            return sl_buf_put_be32(out, (uint32_t)(int32_t)json_integer_value(v));
        case SL_SQL_BIGINT:
            if (!json_is_integer(v))
                break;
            return sl_buf_put_be64(out, (uint64_t)json_integer_value(v));
        case SL_SQL_DOUBLE: {
            if (!json_is_number(v))
                break;
            double d = json_number_value(v);
            uint64_t bits;
            memcpy(&bits, &d, 8);
            return sl_buf_put_be64(out, bits);
        }
        case SL_SQL_STRING:
        case SL_SQL_BYTES:
            if (!json_is_string(v))
                break;
            return sl_buf_append(out, json_string_value(v), json_string_length(v));
        default:
            break;
        }
        fail(errbuf, errlen, "the value does not fit the KAFKA format's column type");
        return SL_ERR_INVAL;
    }
    default:
        return SL_ERR_INVAL;
    }
}

sl_err_t sl_sql_test_decode(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                            const uint8_t *data, size_t len, int is_null, json_t **out,
                            char *errbuf, size_t errlen)
{
    *out = NULL;
    if (is_null || fmt->kind == SL_SQL_FORMAT_NONE)
        return SL_OK;
    switch (fmt->kind) {
    case SL_SQL_FORMAT_JSON: {
        json_error_t je;
        *out = json_loadb((const char *)data, len, JSON_DECODE_ANY, &je);
        if (!*out) {
            fail(errbuf, errlen, "not JSON: %s", je.text);
            return SL_ERR_SERDE;
        }
        return SL_OK;
    }
    case SL_SQL_FORMAT_DELIMITED:
        *out = json_stringn((const char *)data, len);
        return *out ? SL_OK : SL_ERR_SERDE;
    case SL_SQL_FORMAT_KAFKA: {
        const sl_sql_type_t *t = single_type(schema);
        if (t && t->base == SL_SQL_INT && len == 4)
            *out = json_integer((int32_t)sl_load_be32(data));
        else if (t && t->base == SL_SQL_BIGINT && len == 8)
            *out = json_integer((json_int_t)(int64_t)sl_load_be64(data));
        else if (t && t->base == SL_SQL_DOUBLE && len == 8) {
            uint64_t bits = sl_load_be64(data);
            double d;
            memcpy(&d, &bits, 8);
            *out = json_real(d);
        } else if (t && (t->base == SL_SQL_STRING || t->base == SL_SQL_BYTES))
            *out = json_stringn((const char *)data, len);
        if (!*out) {
            fail(errbuf, errlen, "%zu bytes do not read as the KAFKA format's column", len);
            return SL_ERR_SERDE;
        }
        return SL_OK;
    }
    default:
        return SL_ERR_SERDE;
    }
}

int sl_sql_test_json_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        double x = json_number_value(a), y = json_number_value(b);
        return fabs(x - y) <= 1e-6 * fmax(1.0, fmax(fabs(x), fabs(y)));
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v) {
            if (!sl_sql_test_json_equal(v, json_object_get(b, k)))
                return 0;
        }
        return 1;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!sl_sql_test_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    return json_equal((json_t *)a, (json_t *)b);
}
