/* format.c — rows to bytes and back in ksqlDB's formats (JSON, DELIMITED,
 * KAFKA, NONE), and the SQL serde the compiler hands to the engine. The JSON
 * reader is hand-written: see format.h for why. */
#include "sql/format.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/value_int.h"

/* ---- names and checks -------------------------------------------------------------- */

static const char *const kind_names[] = {"NONE", "KAFKA", "JSON", "DELIMITED"};

const char *sl_sql_format_kind_name(sl_sql_format_kind_t kind)
{
    return (unsigned)kind < 4 ? kind_names[kind] : "?";
}

sl_err_t sl_sql_format_kind_parse(const char *name, sl_sql_format_kind_t *out, char *errbuf,
                                  size_t errlen)
{
    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, kind_names[i]) == 0) {
            *out = (sl_sql_format_kind_t)i;
            return SL_OK;
        }
    return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Unknown format: %s", name);
}

sl_err_t sl_sql_format_delimiter_parse(const char *s, char *out, char *errbuf, size_t errlen)
{
    size_t blank = strspn(s, " \t\n\r\f\v");
    if (!s[blank]) /* ksqlDB's Delimiter.parse: empty once trimmed */
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "Delimiter cannot be empty, if you meant to have a tab or space for "
                           "delimiter, please use the special values 'TAB' or 'SPACE'");
    if (strcasecmp(s, "SPACE") == 0)
        *out = ' ';
    else if (strcasecmp(s, "TAB") == 0)
        *out = '\t';
    else if (strlen(s) == 1 && s[0] != '"')
        *out = s[0];
    else /* ksqlDB's wording */
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                           "Invalid delimiter value: '%s'. Delimiter must be a single character "
                           "or TAB,SPACE",
                           s);
    return SL_OK;
}

int sl_sql_format_unwrapped(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema)
{
    if (schema->ncols != 1)
        return 0;
    switch (fmt->kind) {
    case SL_SQL_FORMAT_KAFKA:
    case SL_SQL_FORMAT_DELIMITED:
        return 1;
    case SL_SQL_FORMAT_JSON:
        return fmt->wrap == SL_SQL_WRAP_OFF || (fmt->wrap == SL_SQL_WRAP_DEFAULT && fmt->is_key);
    default:
        return 0;
    }
}

sl_err_t sl_sql_format_check(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                             char *errbuf, size_t errlen)
{
    const char *name = sl_sql_format_kind_name(fmt->kind);
    const char *what = fmt->is_key ? "key" : "value";
    switch (fmt->kind) {
    case SL_SQL_FORMAT_NONE:
        if (schema->ncols)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "The 'NONE' format can only be used when no columns are defined. "
                               "Got: %zu %s columns",
                               schema->ncols, what);
        return SL_OK;
    case SL_SQL_FORMAT_KAFKA:
        if (fmt->wrap == SL_SQL_WRAP_ON)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", name);
        if (schema->ncols != 1)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "The '%s' format only supports a single field. Got: %zu %s columns",
                               name, schema->ncols, what);
        switch (schema->cols[0].type->base) {
        case SL_SQL_INT: case SL_SQL_BIGINT: case SL_SQL_DOUBLE: case SL_SQL_STRING: case SL_SQL_BYTES:
            return SL_OK;
        default: /* ksqlDB names the base type only: 'STRUCT', not 'STRUCT<`A` INTEGER>' */
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "The '%s' format does not support type '%s', column: %s", name,
                               sl_sql_base_name(schema->cols[0].type->base), schema->cols[0].name);
        }
    case SL_SQL_FORMAT_DELIMITED:
        if (fmt->wrap == SL_SQL_WRAP_ON)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", name);
        for (size_t i = 0; i < schema->ncols; i++) {
            int b = schema->cols[i].type->base;
            if (b == SL_SQL_ARRAY || b == SL_SQL_MAP || b == SL_SQL_STRUCT)
                return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                                   "The '%s' format does not support type '%s', column: %s", name,
                                   sl_sql_base_name(b), schema->cols[i].name);
        }
        return SL_OK;
    case SL_SQL_FORMAT_JSON:
        if (fmt->wrap == SL_SQL_WRAP_OFF && schema->ncols != 1)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "'WRAP_SINGLE_VALUE' is only valid for single-field %s schemas", what);
        return SL_OK;
    }
    return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Unknown format");
}

/* ---- JSON reading ------------------------------------------------------------------- */

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jnode jnode_t;
struct jnode {
    uint8_t kind;
    uint8_t frac;  /* J_NUM: has a fraction or exponent */
    const char *s; /* J_STR: decoded text; J_NUM: the literal; member key: see key */
    size_t n;
    const char *key; /* as a member of an object */
    size_t keylen;
    jnode_t *child, *next; /* J_ARR/J_OBJ: first item; siblings */
    size_t count;
};

typedef struct jparser {
    const char *p, *end;
    const sl_sql_alloc_t *al;
    const char *err;
    int depth;
} jparser_t;

#define J_MAX_DEPTH 500

static void jws(jparser_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static void put_utf8(char *o, size_t *k, uint32_t c)
{
    if (c < 0x80) {
        o[(*k)++] = (char)c;
    } else if (c < 0x800) {
        o[(*k)++] = (char)(0xC0 | (c >> 6));
        o[(*k)++] = (char)(0x80 | (c & 63));
    } else if (c < 0x10000) {
        o[(*k)++] = (char)(0xE0 | (c >> 12));
        o[(*k)++] = (char)(0x80 | ((c >> 6) & 63));
        o[(*k)++] = (char)(0x80 | (c & 63));
    } else {
        o[(*k)++] = (char)(0xF0 | (c >> 18));
        o[(*k)++] = (char)(0x80 | ((c >> 12) & 63));
        o[(*k)++] = (char)(0x80 | ((c >> 6) & 63));
        o[(*k)++] = (char)(0x80 | (c & 63));
    }
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* A string at j->p (just past the opening quote) into *s, *n (decoded, NUL-terminated). */
static int jstring(jparser_t *j, const char **s, size_t *n)
{
    const char *start = j->p;
    int esc = 0;
    while (j->p < j->end && *j->p != '"') {
        if ((unsigned char)*j->p < 0x20) {
            j->err = "Illegal unquoted character in a string";
            return -1;
        }
        if (*j->p == '\\') {
            esc = 1;
            j->p++;
        }
        j->p++;
    }
    if (j->p >= j->end) {
        j->err = "Unexpected end-of-input in a string";
        return -1;
    }
    size_t raw = (size_t)(j->p - start);
    j->p++; /* the closing quote */
    char *o = sl_sql_alloc(j->al, raw + 1);
    if (!o) {
        j->err = "out of memory";
        return -1;
    }
    if (!esc) {
        memcpy(o, start, raw);
        o[raw] = 0;
        *s = o, *n = raw;
        return 0;
    }
    size_t k = 0;
    for (const char *p = start; p < start + raw; p++) {
        if (*p != '\\') {
            o[k++] = *p;
            continue;
        }
        p++;
        switch (*p) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            uint32_t c, lo;
            if (start + raw - p < 5 || hex4(p + 1, &c)) {
                j->err = "Invalid \\u escape in a string";
                return -1;
            }
            p += 4;
            if (c >= 0xD800 && c < 0xDC00 && start + raw - p >= 7 && p[1] == '\\' && p[2] == 'u' &&
                !hex4(p + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            }
            /* a \u escape never takes more room (6 bytes) than its UTF-8 (<= 4) */
            put_utf8(o, &k, c);
            break;
        }
        default:
            j->err = "Unrecognized character escape in a string";
            return -1;
        }
    }
    o[k] = 0;
    *s = o, *n = k;
    return 0;
}

static jnode_t *jvalue(jparser_t *j);

static jnode_t *jnew(jparser_t *j, int kind)
{
    jnode_t *n = sl_sql_alloc(j->al, sizeof *n);
    if (!n) {
        j->err = "out of memory";
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    return n;
}

static int jlit(jparser_t *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return 0;
    j->p += n;
    return 1;
}

static jnode_t *jnumber(jparser_t *j)
{
    const char *s = j->p;
    int frac = 0;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || !isdigit((unsigned char)*j->p))
        goto bad;
    if (*j->p == '0' && j->p + 1 < j->end && isdigit((unsigned char)j->p[1]))
        goto bad; /* leading zeros are not JSON */
    while (j->p < j->end && isdigit((unsigned char)*j->p))
        j->p++;
    if (j->p < j->end && *j->p == '.') {
        frac = 1;
        j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p))
            goto bad;
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        frac = 1;
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || !isdigit((unsigned char)*j->p))
            goto bad;
        while (j->p < j->end && isdigit((unsigned char)*j->p))
            j->p++;
    }
    jnode_t *n = jnew(j, J_NUM);
    if (n)
        n->s = s, n->n = (size_t)(j->p - s), n->frac = (uint8_t)frac;
    return n;
bad:
    j->err = "Invalid numeric value";
    return NULL;
}

static jnode_t *jcontainer(jparser_t *j, int obj)
{
    if (++j->depth > J_MAX_DEPTH) {
        j->err = "JSON nested too deeply";
        return NULL;
    }
    jnode_t *c = jnew(j, obj ? J_OBJ : J_ARR), **tail;
    if (!c)
        return NULL;
    tail = &c->child;
    jws(j);
    if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
        j->p++;
        j->depth--;
        return c;
    }
    for (;;) {
        const char *key = NULL;
        size_t keylen = 0;
        if (obj) {
            jws(j);
            if (j->p >= j->end || *j->p != '"') {
                j->err = "Unexpected character: was expecting double-quote to start field name";
                return NULL;
            }
            j->p++;
            if (jstring(j, &key, &keylen))
                return NULL;
            jws(j);
            if (j->p >= j->end || *j->p != ':') {
                j->err = "Unexpected character: was expecting a colon to separate field name and value";
                return NULL;
            }
            j->p++;
        }
        jnode_t *v = jvalue(j);
        if (!v)
            return NULL;
        v->key = key, v->keylen = keylen;
        *tail = v, tail = &v->next;
        c->count++;
        jws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
            j->p++;
            j->depth--;
            return c;
        }
        j->err = obj ? "Unexpected character: was expecting comma to separate Object entries"
                     : "Unexpected character: was expecting comma to separate Array entries";
        return NULL;
    }
}

static jnode_t *jvalue(jparser_t *j)
{
    jws(j);
    if (j->p >= j->end) {
        j->err = "Unexpected end-of-input";
        return NULL;
    }
    switch (*j->p) {
    case '{': j->p++; return jcontainer(j, 1);
    case '[': j->p++; return jcontainer(j, 0);
    case '"': {
        j->p++;
        jnode_t *n = jnew(j, J_STR);
        if (n && jstring(j, &n->s, &n->n))
            return NULL;
        return n;
    }
    case 't': if (jlit(j, "true")) return jnew(j, J_TRUE); break;
    case 'f': if (jlit(j, "false")) return jnew(j, J_FALSE); break;
    case 'n': if (jlit(j, "null")) return jnew(j, J_NULL); break;
    default:
        if (*j->p == '-' || isdigit((unsigned char)*j->p))
            return jnumber(j);
    }
    j->err = "Unrecognized token: was expecting a JSON value";
    return NULL;
}

/* ---- JSON coercion (ksqlDB's KsqlJsonDeserializer) ------------------------------------ */

typedef struct jctx {
    const sl_sql_alloc_t *al;
    char path[256];
    size_t plen;
    char *errbuf;
    size_t errlen;
} jctx_t;

static size_t path_push(jctx_t *c, const char *fmt, const char *s, size_t n, size_t idx)
{
    size_t old = c->plen;
    int w = s ? snprintf(c->path + old, sizeof c->path - old, fmt, (int)n, s)
              : snprintf(c->path + old, sizeof c->path - old, fmt, idx);
    if (w > 0)
        c->plen = old + (size_t)w < sizeof c->path ? old + (size_t)w : sizeof c->path - 1;
    return old;
}

static void path_pop(jctx_t *c, size_t old) { c->plen = old, c->path[old] = 0; }

/* Jackson's node class names, which ksqlDB's messages show. */
static const char *node_name(const jnode_t *n)
{
    switch (n->kind) {
    case J_NULL: return "NullNode";
    case J_FALSE: case J_TRUE: return "BooleanNode";
    case J_STR: return "TextNode";
    case J_ARR: return "ArrayNode";
    case J_OBJ: return "ObjectNode";
    }
    if (n->frac)
        return "DecimalNode";
    int64_t x;
    int r = sl__sql_parse_int(n->s, n->n, INT32_MIN, INT32_MAX, &x);
    if (r == 0)
        return "IntNode";
    r = sl__sql_parse_int(n->s, n->n, INT64_MIN, INT64_MAX, &x);
    return r == 0 ? "LongNode" : "BigIntegerNode";
}

static sl_err_t conv_err(jctx_t *c, const jnode_t *n, const sl_sql_type_t *t)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b);
    sl__sql_err(c->errbuf, c->errlen, SL_ERR_SERDE,
                "Can't convert type. sourceType: %s, requiredType: %.*s, path: %s", node_name(n),
                (int)b.len, b.data ? (const char *)b.data : "", c->path);
    sl_buf_free(&b);
    return SL_ERR_SERDE;
}

static sl_err_t coerce_err(jctx_t *c, const sl_sql_type_t *t)
{
    return sl__sql_err(c->errbuf, c->errlen, SL_ERR_SERDE,
                       "Can't coerce string to type. targetType: %s, path: %s",
                       sl_sql_base_name(t->base), c->path);
}

/* NumericNode.intValue()/longValue(): integers wrap to the low bits, fractions truncate. */
static int64_t num_to_i64(const jnode_t *n)
{
    if (!n->frac) {
        unsigned __int128 v = 0;
        size_t i = n->s[0] == '-';
        for (; i < n->n; i++)
            v = v * 10 + (unsigned)(n->s[i] - '0');
        if (n->s[0] == '-')
            v = -v;
        return (int64_t)(uint64_t)v;
    }
    double d;
    if (sl__sql_parse_double(n->s, n->n, &d) || isnan(d))
        return 0;
    if (d <= -9.2233720368547758e18)
        return INT64_MIN;
    if (d >= 9.2233720368547758e18)
        return INT64_MAX;
    return (int64_t)d;
}

static sl_err_t jwrite_node(sl__sql_sink_t *s, const jnode_t *n);

static sl_err_t coerce(jctx_t *c, const jnode_t *n, const sl_sql_type_t *t, sl_sql_value_t *out);

static sl_err_t jstring_of(jctx_t *c, const jnode_t *n, sl_sql_value_t *out)
{
    switch (n->kind) {
    case J_STR: *out = sl_sql_value_string(n->s, n->n); return SL_OK; /* already in al */
    case J_TRUE: *out = sl_sql_value_string("true", 4); return SL_OK;
    case J_FALSE: *out = sl_sql_value_string("false", 5); return SL_OK;
    case J_NUM: return sl_sql_value_string_dup(c->al, n->s, n->n, out);
    default: {
        /* an object as its JSON text; an array as "[a, b]" of its items as strings */
        sl_buf_t b = SL_BUF_INIT;
        sl__sql_sink_t s = {&b, NULL};
        sl_err_t err = SL_OK;
        if (n->kind == J_OBJ) {
            err = jwrite_node(&s, n);
        } else {
            err = sl__sql_putc(&s, '[');
            size_t i = 0;
            for (const jnode_t *it = n->child; it && !err; it = it->next, i++) {
                sl_sql_value_t v;
                size_t old = path_push(c, "[%zu]", NULL, 0, i);
                if (i)
                    err = sl__sql_puts(&s, ", ");
                if (!err && it->kind == J_NULL)
                    err = sl__sql_puts(&s, "null");
                else if (!err && !(err = jstring_of(c, it, &v)))
                    err = sl__sql_put(&s, v.u.str, v.len);
                path_pop(c, old);
            }
            if (!err)
                err = sl__sql_putc(&s, ']');
        }
        if (!err)
            err = sl_sql_value_string_dup(c->al, b.len ? (const char *)b.data : "", b.len, out);
        sl_buf_free(&b);
        return err;
    }
    }
}

static const jnode_t *find_field(const jnode_t *obj, const char *name)
{
    const jnode_t *exact = NULL, *upper = NULL;
    size_t nl = strlen(name);
    for (const jnode_t *m = obj->child; m; m = m->next) {
        if (m->keylen != nl)
            continue;
        if (memcmp(m->key, name, nl) == 0)
            exact = m;
        size_t i = 0;
        while (i < nl && toupper((unsigned char)m->key[i]) == (unsigned char)name[i])
            i++;
        if (i == nl)
            upper = m;
    }
    return exact ? exact : upper;
}

static sl_err_t coerce(jctx_t *c, const jnode_t *n, const sl_sql_type_t *t, sl_sql_value_t *out)
{
    if (!n || n->kind == J_NULL) {
        *out = sl_sql_value_null(t);
        return SL_OK;
    }
    int64_t x;
    switch (t->base) {
    case SL_SQL_BOOLEAN:
        if (n->kind != J_TRUE && n->kind != J_FALSE)
            return conv_err(c, n, t);
        *out = sl_sql_value_bool(n->kind == J_TRUE);
        return SL_OK;
    case SL_SQL_INT:
    case SL_SQL_DATE:
    case SL_SQL_TIME:
        if (n->kind == J_NUM)
            x = (int64_t)(int32_t)(uint32_t)(uint64_t)num_to_i64(n);
        else if (n->kind != J_STR)
            return conv_err(c, n, t);
        else if (sl__sql_parse_int(n->s, n->n, INT32_MIN, INT32_MAX, &x))
            return coerce_err(c, t);
        out->base = (uint8_t)t->base, out->is_null = 0, out->u.i32 = (int32_t)x;
        return SL_OK;
    case SL_SQL_BIGINT:
    case SL_SQL_TIMESTAMP:
        if (n->kind == J_NUM)
            x = num_to_i64(n);
        else if (n->kind != J_STR)
            return conv_err(c, n, t);
        else if (sl__sql_parse_int(n->s, n->n, INT64_MIN, INT64_MAX, &x))
            return coerce_err(c, t);
        *out = t->base == SL_SQL_BIGINT ? sl_sql_value_bigint(x) : sl_sql_value_timestamp(x);
        return SL_OK;
    case SL_SQL_DOUBLE: {
        double d;
        if (n->kind != J_NUM && n->kind != J_STR)
            return conv_err(c, n, t);
        if (sl__sql_parse_double(n->s, n->n, &d))
            return n->kind == J_STR ? coerce_err(c, t) : conv_err(c, n, t);
        *out = sl_sql_value_double(d);
        return SL_OK;
    }
    case SL_SQL_DECIMAL: {
        sl_sql_i128_t u;
        char msg[200];
        if (n->kind != J_NUM && n->kind != J_STR)
            return conv_err(c, n, t);
        sl_err_t err = sl_sql_decimal_parse(n->s, n->n, t->precision, t->scale, 1, &u, msg, sizeof msg);
        if (err)
            return sl__sql_err(c->errbuf, c->errlen, SL_ERR_SERDE, "%s, path: %s", msg, c->path);
        *out = sl_sql_value_decimal(u, t->precision, t->scale);
        return SL_OK;
    }
    case SL_SQL_STRING:
        return jstring_of(c, n, out);
    case SL_SQL_BYTES: {
        const uint8_t *p;
        size_t len;
        if (n->kind != J_STR)
            return conv_err(c, n, t);
        sl_err_t err = sl__sql_base64_decode(c->al, n->s, n->n, &p, &len);
        if (err == SL_ERR_INVAL)
            return sl__sql_err(c->errbuf, c->errlen, SL_ERR_SERDE,
                               "Value is not a valid Base64 encoded string: %.*s, path: %s",
                               (int)n->n, n->s, c->path);
        if (err)
            return err;
        *out = sl_sql_value_bytes(p, len);
        return SL_OK;
    }
    case SL_SQL_ARRAY: {
        if (n->kind != J_ARR)
            return conv_err(c, n, t);
        sl_err_t err = sl_sql_value_container(c->al, t, n->count, out);
        size_t i = 0;
        for (const jnode_t *it = n->child; it && !err; it = it->next, i++) {
            size_t old = path_push(c, "[%zu]", NULL, 0, i);
            err = coerce(c, it, t->item, &out->u.items[i]);
            if (!err)
                path_pop(c, old);
        }
        return err;
    }
    case SL_SQL_MAP: {
        if (n->kind != J_OBJ)
            return conv_err(c, n, t);
        sl_err_t err = sl_sql_value_container(c->al, t, n->count, out);
        size_t i = 0;
        for (const jnode_t *m = n->child; m && !err; m = m->next, i++) {
            size_t old = path_push(c, ".%.*s.key", m->key, m->keylen, 0);
            if (t->key->base == SL_SQL_STRING) {
                out->u.items[2 * i] = sl_sql_value_string(m->key, m->keylen);
            } else {
                /* a non-string key: the key text cast to the key type */
                char msg[200];
                sl_sql_value_t ks = sl_sql_value_string(m->key, m->keylen);
                err = sl_sql_cast(c->al, sl_sql_type_prim(SL_SQL_STRING), &ks, t->key,
                                  &out->u.items[2 * i], msg, sizeof msg);
                if (err == SL_ERR_INVAL || err == SL_ERR_RANGE)
                    err = sl__sql_err(c->errbuf, c->errlen, SL_ERR_SERDE, "%s, path: %s", msg, c->path);
            }
            if (err)
                break;
            path_pop(c, old);
            old = path_push(c, ".%.*s.value", m->key, m->keylen, 0);
            err = coerce(c, m, t->item, &out->u.items[2 * i + 1]);
            if (!err)
                path_pop(c, old);
        }
        return err;
    }
    case SL_SQL_STRUCT: {
        if (n->kind != J_OBJ)
            return conv_err(c, n, t);
        sl_err_t err = sl_sql_value_container(c->al, t, 0, out);
        for (size_t i = 0; i < t->nfields && !err; i++) {
            size_t old = path_push(c, ".%.*s", t->fields[i].name, strlen(t->fields[i].name), 0);
            err = coerce(c, find_field(n, t->fields[i].name), t->fields[i].type, &out->u.items[i]);
            if (!err)
                path_pop(c, old);
        }
        return err;
    }
    }
    return conv_err(c, n, t);
}

/* An object node back to compact JSON (for STRING columns holding objects). */
static sl_err_t jwrite_node(sl__sql_sink_t *s, const jnode_t *n)
{
    sl_err_t err = SL_OK;
    switch (n->kind) {
    case J_NULL: return sl__sql_puts(s, "null");
    case J_TRUE: return sl__sql_puts(s, "true");
    case J_FALSE: return sl__sql_puts(s, "false");
    case J_NUM: return sl__sql_put(s, n->s, n->n);
    case J_STR: return sl__sql_json_string(s, n->s, n->n);
    }
    int obj = n->kind == J_OBJ;
    if ((err = sl__sql_putc(s, obj ? '{' : '[')))
        return err;
    for (const jnode_t *m = n->child; m && !err; m = m->next) {
        if (m != n->child && (err = sl__sql_putc(s, ',')))
            return err;
        if (obj && ((err = sl__sql_json_string(s, m->key, m->keylen)) || (err = sl__sql_putc(s, ':'))))
            return err;
        err = jwrite_node(s, m);
    }
    return err ? err : sl__sql_putc(s, obj ? '}' : ']');
}

static sl_err_t json_read(const sl_sql_schema_t *schema, int unwrapped, const char *data, size_t len,
                          const sl_sql_alloc_t *al, sl_sql_value_t *values, int *is_null,
                          char *errbuf, size_t errlen)
{
    jparser_t j = {data, data + len, al, NULL, 0};
    jnode_t *root = jvalue(&j);
    if (root) {
        jws(&j);
        if (j.p != j.end)
            root = NULL, j.err = "Unexpected character after the JSON value";
    }
    if (!root) {
        if (j.err && strcmp(j.err, "out of memory") == 0)
            return SL_ERR_NOMEM;
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE, "Invalid JSON: %s at offset %zu", j.err,
                           (size_t)(j.p - data));
    }
    if (root->kind == J_NULL) {
        *is_null = 1;
        return SL_OK;
    }
    jctx_t c = {.al = al, .path = "$", .plen = 1, .errbuf = errbuf, .errlen = errlen};
    if (unwrapped)
        return coerce(&c, root, schema->cols[0].type, &values[0]);
    if (root->kind != J_OBJ) {
        /* ksqlDB reads the row as a STRUCT of the columns */
        sl_sql_field_t f[schema->ncols ? schema->ncols : 1];
        for (size_t i = 0; i < schema->ncols; i++)
            f[i].name = schema->cols[i].name, f[i].type = schema->cols[i].type;
        sl_sql_type_t st = {.base = SL_SQL_STRUCT, .nfields = schema->ncols, .fields = f};
        return conv_err(&c, root, &st);
    }
    for (size_t i = 0; i < schema->ncols; i++) {
        const char *name = schema->cols[i].name;
        size_t old = path_push(&c, ".%.*s", name, strlen(name), 0);
        sl_err_t err = coerce(&c, find_field(root, name), schema->cols[i].type, &values[i]);
        if (err)
            return err;
        path_pop(&c, old);
    }
    return SL_OK;
}

/* ---- DELIMITED (Apache commons-csv's DEFAULT format with the delimiter) ---------------- */

static sl_err_t csv_text(sl__sql_sink_t *s, const sl_sql_value_t *v, char *tmp, const char **p,
                         size_t *n)
{
    switch (v->base) {
    case SL_SQL_BOOLEAN: *p = v->u.b ? "true" : "false", *n = strlen(*p); break;
    case SL_SQL_INT: case SL_SQL_DATE: case SL_SQL_TIME: *n = (size_t)sprintf(tmp, "%d", v->u.i32), *p = tmp; break;
    case SL_SQL_BIGINT: case SL_SQL_TIMESTAMP: *n = (size_t)sprintf(tmp, "%lld", (long long)v->u.i64), *p = tmp; break;
    case SL_SQL_DOUBLE: *n = sl_sql_double_text(v->u.d, tmp), *p = tmp; break;
    case SL_SQL_DECIMAL: *n = sl_sql_decimal_text(v->u.dec, v->scale, tmp), *p = tmp; break;
    case SL_SQL_STRING: *p = v->u.str, *n = v->len; break;
    default: return SL_ERR_SERDE;
    }
    return SL_OK;
}

/* commons-csv QuoteMode.MINIMAL: quote an empty first field, a field starting
 * with a character <= '#', holding a line break, the quote or the delimiter,
 * or ending in a character <= ' '. */
static int csv_needs_quote(const char *p, size_t n, char delim, int first)
{
    if (n == 0)
        return first;
    if ((unsigned char)p[0] <= '#')
        return 1;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n' || p[i] == '\r' || p[i] == '"' || p[i] == delim)
            return 1;
    return (unsigned char)p[n - 1] <= ' ';
}

static sl_err_t delimited_write(sl__sql_sink_t *s, const sl_sql_format_t *fmt,
                                const sl_sql_schema_t *schema, const sl_sql_row_t *row, char *errbuf,
                                size_t errlen)
{
    char delim = fmt->delimiter ? fmt->delimiter : ',';
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < schema->ncols && !err; i++) {
        const sl_sql_value_t *v = &row->values[i];
        if (i && (err = sl__sql_putc(s, delim)))
            return err;
        if (v->is_null)
            continue; /* commons-csv prints a null as nothing, unquoted */
        char tmp[64];
        const char *p;
        size_t n;
        if (v->base == SL_SQL_BYTES) {
            err = sl__sql_base64(s, v->u.bytes, v->len);
            continue;
        }
        if (csv_text(s, v, tmp, &p, &n))
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                               "Error serializing CSV message: DELIMITED does not support type %s, "
                               "column: %s",
                               sl_sql_base_name(v->base), schema->cols[i].name);
        if (!csv_needs_quote(p, n, delim, i == 0)) {
            err = sl__sql_put(s, p, n);
            continue;
        }
        err = sl__sql_putc(s, '"');
        size_t run = 0;
        for (size_t k = 0; k < n && !err; k++)
            if (p[k] == '"') { /* a quote inside is doubled */
                err = sl__sql_put(s, p + run, k + 1 - run);
                run = k;
            }
        if (!err)
            err = sl__sql_put(s, p + run, n - run);
        if (!err)
            err = sl__sql_putc(s, '"');
    }
    return err;
}

typedef struct csv_field {
    const char *p;
    size_t n;
} csv_field_t;

/* Splits the first record of data into fields (quoted fields unescaped into al). */
static sl_err_t csv_split(const char *data, size_t len, char delim, const sl_sql_alloc_t *al,
                          csv_field_t *fields, size_t max, size_t *count, char *errbuf,
                          size_t errlen)
{
    size_t i = 0, nf = 0;
    /* commons-csv's DEFAULT ignores empty lines */
    while (i < len && (data[i] == '\n' || data[i] == '\r'))
        i++;
    if (i == len)
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                           "Error deserializing delimited row: No fields in record");
    for (;;) {
        csv_field_t f;
        if (i < len && data[i] == '"') {
            char *o = sl_sql_alloc(al, len - i + 1);
            size_t k = 0;
            if (!o)
                return SL_ERR_NOMEM;
            i++;
            for (;;) {
                if (i >= len)
                    return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                                       "Error deserializing delimited row: EOF reached before "
                                       "encapsulated token finished (field %zu)",
                                       nf + 1);
                if (data[i] == '"') {
                    if (i + 1 < len && data[i + 1] == '"') {
                        o[k++] = '"', i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                o[k++] = data[i++];
            }
            o[k] = 0;
            f.p = o, f.n = k;
            if (i < len && data[i] != delim && data[i] != '\n' && data[i] != '\r')
                return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                                   "Error deserializing delimited row: invalid char between "
                                   "encapsulated token and delimiter (field %zu)",
                                   nf + 1);
        } else {
            size_t st = i;
            while (i < len && data[i] != delim && data[i] != '\n' && data[i] != '\r')
                i++;
            f.p = data + st, f.n = i - st;
        }
        if (nf < max)
            fields[nf] = f;
        nf++;
        if (i < len && data[i] == delim) {
            i++;
            continue;
        }
        break; /* end of data or of the first record */
    }
    *count = nf;
    return SL_OK;
}

static sl_err_t delimited_read(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                               const char *data, size_t len, const sl_sql_alloc_t *al,
                               sl_sql_value_t *values, char *errbuf, size_t errlen)
{
    char delim = fmt->delimiter ? fmt->delimiter : ',';
    size_t nf = 0, max = schema->ncols + 1;
    csv_field_t *f = sl_sql_alloc(al, max * sizeof *f);
    if (!f)
        return SL_ERR_NOMEM;
    sl_err_t err = csv_split(data, len, delim, al, f, max, &nf, errbuf, errlen);
    if (err)
        return err;
    if (nf != schema->ncols)
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                           "Error deserializing delimited row: Unexpected field count, "
                           "csvFields:%zu schemaFields:%zu",
                           nf, schema->ncols);
    for (size_t i = 0; i < nf; i++) {
        const sl_sql_type_t *t = schema->cols[i].type;
        const char *p = f[i].p;
        size_t n = f[i].n;
        int64_t x;
        char msg[200];
        sl_sql_value_t *v = &values[i];
        if (n == 0) { /* ksqlDB: an empty field is NULL, whatever the type */
            *v = sl_sql_value_null(t);
            continue;
        }
        int r = 0;
        switch (t->base) {
        case SL_SQL_BOOLEAN: /* Java's Boolean.parseBoolean: anything but "true" is false */
            *v = sl_sql_value_bool(n == 4 && strncasecmp(p, "true", 4) == 0);
            break;
        case SL_SQL_INT: case SL_SQL_DATE: case SL_SQL_TIME:
            if ((r = sl__sql_parse_int(p, n, INT32_MIN, INT32_MAX, &x)))
                break;
            v->base = (uint8_t)t->base, v->is_null = 0, v->u.i32 = (int32_t)x;
            break;
        case SL_SQL_BIGINT: case SL_SQL_TIMESTAMP:
            if ((r = sl__sql_parse_int(p, n, INT64_MIN, INT64_MAX, &x)))
                break;
            *v = t->base == SL_SQL_BIGINT ? sl_sql_value_bigint(x) : sl_sql_value_timestamp(x);
            break;
        case SL_SQL_DOUBLE: {
            double d;
            if ((r = sl__sql_parse_double(p, n, &d)))
                break;
            *v = sl_sql_value_double(d);
            break;
        }
        case SL_SQL_DECIMAL: {
            sl_sql_i128_t u;
            if (sl_sql_decimal_parse(p, n, t->precision, t->scale, 1, &u, msg, sizeof msg))
                return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                                   "Error deserializing delimited row: %s, column: %s", msg,
                                   schema->cols[i].name);
            *v = sl_sql_value_decimal(u, t->precision, t->scale);
            break;
        }
        case SL_SQL_STRING:
            if ((err = sl_sql_value_string_dup(al, p, n, v)))
                return err;
            break;
        case SL_SQL_BYTES: {
            const uint8_t *b;
            size_t bl;
            if ((err = sl__sql_base64_decode(al, p, n, &b, &bl)) == SL_ERR_NOMEM)
                return err;
            if (err)
                return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                                   "Error deserializing delimited row: Value is not a valid Base64 "
                                   "encoded string: %.*s, column: %s",
                                   (int)n, p, schema->cols[i].name);
            *v = sl_sql_value_bytes(b, bl);
            break;
        }
        default:
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                               "Error deserializing delimited row: DELIMITED does not support type "
                               "%s, column: %s",
                               sl_sql_base_name(t->base), schema->cols[i].name);
        }
        if (r) /* Java's NumberFormatException wording */
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                               "Error deserializing delimited row: For input string: \"%.*s\", "
                               "column: %s",
                               (int)n, p, schema->cols[i].name);
    }
    return SL_OK;
}

/* ---- KAFKA ------------------------------------------------------------------------- */

static sl_err_t kafka_write(sl__sql_sink_t *s, const sl_sql_value_t *v)
{
    uint8_t b[8];
    switch (v->base) {
    case SL_SQL_INT: sl_store_be32(b, (uint32_t)v->u.i32); return sl__sql_put(s, b, 4);
    case SL_SQL_BIGINT: sl_store_be64(b, (uint64_t)v->u.i64); return sl__sql_put(s, b, 8);
    case SL_SQL_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        sl_store_be64(b, bits);
        return sl__sql_put(s, b, 8);
    }
    case SL_SQL_STRING: return sl__sql_put(s, v->u.str, v->len);
    case SL_SQL_BYTES: return sl__sql_put(s, v->u.bytes, v->len);
    }
    return SL_ERR_SERDE;
}

static sl_err_t kafka_read(const sl_sql_schema_t *schema, const uint8_t *data, size_t len,
                           const sl_sql_alloc_t *al, sl_sql_value_t *v, char *errbuf, size_t errlen)
{
    const sl_sql_type_t *t = schema->cols[0].type;
    const char *who = NULL;
    size_t need = 0;
    switch (t->base) {
    case SL_SQL_INT: who = "IntegerDeserializer", need = 4; break;
    case SL_SQL_BIGINT: who = "LongDeserializer", need = 8; break;
    case SL_SQL_DOUBLE: who = "DoubleDeserializer", need = 8; break;
    case SL_SQL_STRING: return sl_sql_value_string_dup(al, (const char *)data, len, v);
    case SL_SQL_BYTES: return sl_sql_value_bytes_dup(al, data, len, v);
    default:
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                           "The 'KAFKA' format does not support type %s, column: %s",
                           sl_sql_base_name(t->base), schema->cols[0].name);
    }
    if (len != need) /* Kafka's own wording, then the column */
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                           "Size of data received by %s is not %zu, column: %s", who, need,
                           schema->cols[0].name);
    if (t->base == SL_SQL_INT) {
        *v = sl_sql_value_int((int32_t)sl_load_be32(data));
    } else if (t->base == SL_SQL_BIGINT) {
        *v = sl_sql_value_bigint((int64_t)sl_load_be64(data));
    } else {
        uint64_t bits = sl_load_be64(data);
        double d;
        memcpy(&d, &bits, 8);
        *v = sl_sql_value_double(d);
    }
    return SL_OK;
}

/* ---- rows ------------------------------------------------------------------------------ */

static sl_err_t check_row(const sl_sql_schema_t *schema, const sl_sql_row_t *row, char *errbuf,
                          size_t errlen)
{
    if (row->n != schema->ncols)
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE, "The row has %zu values for %zu columns",
                           row->n, schema->ncols);
    for (size_t i = 0; i < row->n; i++)
        if (row->values[i].base != schema->cols[i].type->base)
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                               "The value of column %s is a %s, not a %s", schema->cols[i].name,
                               sl_sql_base_name(row->values[i].base),
                               sl_sql_base_name(schema->cols[i].type->base));
    return SL_OK;
}

static sl_err_t row_write(sl__sql_sink_t *s, const sl_sql_format_t *fmt,
                          const sl_sql_schema_t *schema, const sl_sql_row_t *row, int *is_null,
                          char *errbuf, size_t errlen)
{
    *is_null = 0;
    sl_err_t err = check_row(schema, row, errbuf, errlen);
    if (err)
        return err;
    if (fmt->kind == SL_SQL_FORMAT_NONE)
        return SL_OK;
    if (sl_sql_format_unwrapped(fmt, schema) && row->values[0].is_null) {
        *is_null = 1;
        return SL_OK;
    }
    switch (fmt->kind) {
    case SL_SQL_FORMAT_KAFKA:
        if ((err = kafka_write(s, &row->values[0])) == SL_ERR_SERDE)
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE,
                               "The 'KAFKA' format does not support type %s, column: %s",
                               sl_sql_base_name(row->values[0].base), schema->cols[0].name);
        return err;
    case SL_SQL_FORMAT_DELIMITED:
        return delimited_write(s, fmt, schema, row, errbuf, errlen);
    case SL_SQL_FORMAT_JSON:
        if (sl_sql_format_unwrapped(fmt, schema))
            return sl__sql_value_print(s, schema->cols[0].type, &row->values[0], SL_SQL_PRINT_JSON);
        if ((err = sl__sql_putc(s, '{')))
            return err;
        for (size_t i = 0; i < schema->ncols; i++) {
            const char *name = schema->cols[i].name;
            if ((i && (err = sl__sql_putc(s, ','))) ||
                (err = sl__sql_json_string(s, name, strlen(name))) || (err = sl__sql_putc(s, ':')) ||
                (err = sl__sql_value_print(s, schema->cols[i].type, &row->values[i], SL_SQL_PRINT_JSON)))
                return err;
        }
        return sl__sql_putc(s, '}');
    default:
        return sl__sql_err(errbuf, errlen, SL_ERR_SERDE, "Unknown format");
    }
}

sl_err_t sl_sql_row_serialize(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                              const sl_sql_row_t *row, sl_buf_t *out, int *is_null, char *errbuf,
                              size_t errlen)
{
    sl__sql_sink_t s = {out, NULL};
    return row_write(&s, fmt, schema, row, is_null, errbuf, errlen);
}

sl_err_t sl_sql_row_deserialize(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                                const uint8_t *data, size_t len, const sl_sql_alloc_t *al,
                                sl_sql_row_t *row, int *is_null, char *errbuf, size_t errlen)
{
    *is_null = 0;
    sl_sql_value_t *values = sl_sql_alloc(al, schema->ncols * sizeof *values);
    if (!values)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < schema->ncols; i++)
        values[i] = sl_sql_value_null(schema->cols[i].type);
    row->n = schema->ncols, row->values = values;
    const char *text = (const char *)(data ? data : (const uint8_t *)"");
    switch (fmt->kind) {
    case SL_SQL_FORMAT_NONE:
        return SL_OK;
    case SL_SQL_FORMAT_KAFKA:
        if (schema->ncols != 1)
            return sl__sql_err(errbuf, errlen, SL_ERR_SERDE, "The 'KAFKA' format needs one column");
        return kafka_read(schema, data, len, al, &values[0], errbuf, errlen);
    case SL_SQL_FORMAT_DELIMITED:
        return delimited_read(fmt, schema, text, len, al, values, errbuf, errlen);
    case SL_SQL_FORMAT_JSON:
        return json_read(schema, sl_sql_format_unwrapped(fmt, schema), text, len, al, values,
                         is_null, errbuf, errlen);
    }
    return sl__sql_err(errbuf, errlen, SL_ERR_SERDE, "Unknown format");
}

/* ---- the serde ------------------------------------------------------------------------ */

typedef struct sql_serde {
    sl_serde_t serde; /* first: the engine gets &serde */
    sl_sql_format_t fmt;
    sl_sql_schema_t schema;
} sql_serde_t;

/* Serdes run on stream threads; the message of the last failure is kept per thread. */
static _Thread_local char last_error[512];

const char *sl_sql_serde_last_error(void) { return last_error; }

static sl_err_t serde_ser(const sl_serde_t *serde, const void *obj, sl_out_t *out)
{
    const sql_serde_t *s = (const sql_serde_t *)serde;
    sl__sql_sink_t sink = {NULL, out};
    int is_null;
    return row_write(&sink, &s->fmt, &s->schema, obj, &is_null, last_error, sizeof last_error);
}

static sl_err_t serde_de(const sl_serde_t *serde, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    const sql_serde_t *s = (const sql_serde_t *)serde;
    sl_sql_alloc_t al = sl_sql_alloc_mem(mem);
    sl_sql_row_t *row = sl_sql_alloc(&al, sizeof *row);
    int is_null;
    if (!row)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_sql_row_deserialize(&s->fmt, &s->schema, in.data, in.len, &al, row, &is_null,
                                          last_error, sizeof last_error);
    if (err)
        return err;
    *obj = is_null ? NULL : row;
    return SL_OK;
}

sl_err_t sl_sql_serde_new(const sl_sql_alloc_t *al, const sl_sql_format_t *fmt,
                          const sl_sql_schema_t *schema, const sl_serde_t **out, char *errbuf,
                          size_t errlen)
{
    sl_err_t err = sl_sql_format_check(fmt, schema, errbuf, errlen);
    if (err)
        return err;
    sql_serde_t *s = sl_sql_alloc(al, sizeof *s);
    if (!s)
        return SL_ERR_NOMEM;
    s->serde = (sl_serde_t){.name = sl_sql_format_kind_name(fmt->kind), .serialize = serde_ser,
                            .deserialize = serde_de};
    s->fmt = *fmt;
    s->schema = *schema;
    *out = &s->serde;
    return SL_OK;
}
