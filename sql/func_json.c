/* func_json.c — the JSON string functions: EXTRACTJSONFIELD (a JSONPath
 * subset), IS_JSON_STRING, JSON_ARRAY_CONTAINS, JSON_ARRAY_LENGTH,
 * JSON_CONCAT, JSON_ITEMS, JSON_KEYS, JSON_RECORDS and TO_JSON_STRING.
 *
 * JSON text that does not parse gives NULL (FALSE for IS_JSON_STRING and
 * JSON_ARRAY_CONTAINS), as in ksqlDB. The parse tree lives in ctx->al.
 * JSON written back out is compact (no white space between tokens, as
 * Jackson writes it); strings and numbers keep their source spelling
 * (Jackson would normalize "\u0041" to "A" and 1e3 to 1000.0). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "sql/func_int.h"
#include "sql/value_int.h"

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };

typedef struct jn jn_t;
struct jn {
    uint8_t kind;
    const char *p; /* J_NUM, J_STR: the token as written (strings with quotes) */
    size_t len;
    size_t n;      /* J_ARR: items; J_OBJ: entries (kids holds key, value pairs) */
    jn_t *kids;
};

typedef struct jp {
    const char *s;
    size_t n, i;
    const sl_sql_alloc_t *al;
    int err; /* 1 bad JSON, 2 out of memory */
} jp_t;

static void ws(jp_t *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

static int lit(jp_t *p, const char *w)
{
    size_t l = strlen(w);
    if (p->i + l <= p->n && !memcmp(p->s + p->i, w, l)) {
        p->i += l;
        return 1;
    }
    return 0;
}

static void parse_value(jp_t *p, jn_t *out, int depth);

static void parse_string(jp_t *p, jn_t *out)
{
    size_t st = p->i++;
    while (p->i < p->n && p->s[p->i] != '"') {
        unsigned char c = (unsigned char)p->s[p->i];
        if (c < 0x20) {
            p->err = 1;
            return;
        }
        if (c == '\\') {
            p->i++;
            if (p->i >= p->n || !strchr("\"\\/bfnrtu", p->s[p->i])) {
                p->err = 1;
                return;
            }
            if (p->s[p->i] == 'u') {
                for (int k = 1; k <= 4; k++)
                    if (p->i + (size_t)k >= p->n || !isxdigit((unsigned char)p->s[p->i + (size_t)k])) {
                        p->err = 1;
                        return;
                    }
                p->i += 4;
            }
        }
        p->i++;
    }
    if (p->i >= p->n) {
        p->err = 1;
        return;
    }
    p->i++;
    out->kind = J_STR, out->p = p->s + st, out->len = p->i - st;
}

static void parse_number(jp_t *p, jn_t *out)
{
    size_t st = p->i;
    if (p->s[p->i] == '-')
        p->i++;
    size_t d = p->i;
    while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
        p->i++;
    if (p->i == d || (p->s[d] == '0' && p->i - d > 1)) {
        p->err = 1;
        return;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        size_t f = ++p->i;
        while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
            p->i++;
        if (p->i == f) {
            p->err = 1;
            return;
        }
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
            p->i++;
        size_t e = p->i;
        while (p->i < p->n && isdigit((unsigned char)p->s[p->i]))
            p->i++;
        if (p->i == e) {
            p->err = 1;
            return;
        }
    }
    out->kind = J_NUM, out->p = p->s + st, out->len = p->i - st;
}

/* Appends a node to a vector growing in the allocator. */
static jn_t *push(jp_t *p, jn_t **v, size_t *len, size_t *cap)
{
    if (*len == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        jn_t *nv = sl_sql_alloc(p->al, nc * sizeof *nv);
        if (!nv) {
            p->err = 2;
            return NULL;
        }
        if (*len)
            memcpy(nv, *v, *len * sizeof *nv);
        *v = nv, *cap = nc;
    }
    memset(&(*v)[*len], 0, sizeof **v);
    return &(*v)[(*len)++];
}

static void parse_container(jp_t *p, jn_t *out, int depth)
{
    int obj = p->s[p->i] == '{';
    char close = obj ? '}' : ']';
    size_t len = 0, cap = 0;
    jn_t *kids = NULL;
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == close) {
        p->i++;
    } else {
        for (;;) {
            ws(p);
            if (obj) {
                if (p->i >= p->n || p->s[p->i] != '"') {
                    p->err = 1;
                    return;
                }
                jn_t *k = push(p, &kids, &len, &cap);
                if (!k)
                    return;
                parse_string(p, k);
                ws(p);
                if (p->err || p->i >= p->n || p->s[p->i] != ':') {
                    p->err = p->err ? p->err : 1;
                    return;
                }
                p->i++;
            }
            jn_t *v = push(p, &kids, &len, &cap);
            if (!v)
                return;
            parse_value(p, v, depth + 1);
            if (p->err)
                return;
            ws(p);
            if (p->i < p->n && p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            if (p->i < p->n && p->s[p->i] == close) {
                p->i++;
                break;
            }
            p->err = 1;
            return;
        }
    }
    out->kind = obj ? J_OBJ : J_ARR, out->kids = kids, out->n = obj ? len / 2 : len;
}

static void parse_value(jp_t *p, jn_t *out, int depth)
{
    ws(p);
    if (p->i >= p->n || depth > 256) {
        p->err = 1;
        return;
    }
    char c = p->s[p->i];
    memset(out, 0, sizeof *out);
    if (c == '{' || c == '[')
        parse_container(p, out, depth);
    else if (c == '"')
        parse_string(p, out);
    else if (c == '-' || isdigit((unsigned char)c))
        parse_number(p, out);
    else if (lit(p, "true"))
        out->kind = J_TRUE;
    else if (lit(p, "false"))
        out->kind = J_FALSE;
    else if (lit(p, "null"))
        out->kind = J_NULL;
    else
        p->err = 1;
}

/* Parses a whole JSON text; SL_OK and *root, or SL_ERR_INVAL (not JSON) or
 * SL_ERR_NOMEM. */
static sl_err_t json_parse(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, jn_t *root)
{
    jp_t p = {v->u.str, v->len, 0, ctx->al, 0};
    parse_value(&p, root, 0);
    ws(&p);
    if (!p.err && p.i != p.n)
        p.err = 1;
    return p.err == 2 ? SL_ERR_NOMEM : p.err ? SL_ERR_INVAL : SL_OK;
}

static void write_json(sl__fn_sb_t *b, const jn_t *j)
{
    switch (j->kind) {
    case J_NULL: sl__fn_sb_puts(b, "null"); break;
    case J_TRUE: sl__fn_sb_puts(b, "true"); break;
    case J_FALSE: sl__fn_sb_puts(b, "false"); break;
    case J_NUM:
    case J_STR: sl__fn_sb_put(b, j->p, j->len); break;
    case J_ARR:
        sl__fn_sb_putc(b, '[');
        for (size_t i = 0; i < j->n; i++) {
            if (i)
                sl__fn_sb_putc(b, ',');
            write_json(b, &j->kids[i]);
        }
        sl__fn_sb_putc(b, ']');
        break;
    case J_OBJ:
        sl__fn_sb_putc(b, '{');
        for (size_t i = 0; i < j->n; i++) {
            if (i)
                sl__fn_sb_putc(b, ',');
            write_json(b, &j->kids[2 * i]);
            sl__fn_sb_putc(b, ':');
            write_json(b, &j->kids[2 * i + 1]);
        }
        sl__fn_sb_putc(b, '}');
        break;
    }
}

static sl_err_t json_text(sl_sql_fn_ctx_t *ctx, const jn_t *j, sl_sql_value_t *out)
{
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    write_json(&b, j);
    return sl__fn_sb_done(&b, 0, out);
}

static size_t put_utf8(uint32_t cp, char *o)
{
    if (cp < 0x80)
        return o[0] = (char)cp, 1;
    if (cp < 0x800)
        return o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
               o[2] = (char)(0x80 | (cp & 0x3F)), 3;
    o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The text of a J_STR node, escapes decoded. */
static sl_err_t string_of(sl_sql_fn_ctx_t *ctx, const jn_t *j, sl_sql_value_t *out)
{
    const char *s = j->p + 1;
    size_t n = j->len - 2;
    if (!memchr(s, '\\', n)) {
        *out = sl_sql_value_string(s, n);
        return SL_OK;
    }
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            sl__fn_sb_putc(&b, s[i]);
            continue;
        }
        char e = s[++i];
        switch (e) {
        case 'b': sl__fn_sb_putc(&b, '\b'); break;
        case 'f': sl__fn_sb_putc(&b, '\f'); break;
        case 'n': sl__fn_sb_putc(&b, '\n'); break;
        case 'r': sl__fn_sb_putc(&b, '\r'); break;
        case 't': sl__fn_sb_putc(&b, '\t'); break;
        case 'u': {
            uint32_t cp = (uint32_t)strtoul((char[5]){s[i + 1], s[i + 2], s[i + 3], s[i + 4], 0}, NULL, 16);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n + 0 && s[i + 1] == '\\' && s[i + 2] == 'u') {
                uint32_t lo =
                    (uint32_t)strtoul((char[5]){s[i + 3], s[i + 4], s[i + 5], s[i + 6], 0}, NULL, 16);
                if (lo >= 0xDC00 && lo < 0xE000)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), i += 6;
            }
            char o[4];
            sl__fn_sb_put(&b, o, put_utf8(cp, o));
            break;
        }
        default: sl__fn_sb_putc(&b, e); break;
        }
    }
    return sl__fn_sb_done(&b, 0, out);
}

static int key_is(sl_sql_fn_ctx_t *ctx, const jn_t *k, const char *name, size_t n)
{
    sl_sql_value_t s;
    if (string_of(ctx, k, &s))
        return 0;
    return s.len == n && !memcmp(s.u.str, name, n);
}

/* Follows a JSONPath ($, .name, ['name'], ["name"], [index]); NULL when a
 * step is missing or the path is not one of these forms. */
static const jn_t *follow(sl_sql_fn_ctx_t *ctx, const jn_t *j, const char *p, size_t n)
{
    size_t i = 0;
    if (i < n && p[i] == '$')
        i++;
    while (i < n && j) {
        if (p[i] == '.') {
            size_t st = ++i;
            while (i < n && p[i] != '.' && p[i] != '[')
                i++;
            if (j->kind != J_OBJ)
                return NULL;
            const jn_t *next = NULL;
            for (size_t k = 0; k < j->n && !next; k++)
                if (key_is(ctx, &j->kids[2 * k], p + st, i - st))
                    next = &j->kids[2 * k + 1];
            j = next;
        } else if (p[i] == '[') {
            i++;
            if (i < n && (p[i] == '\'' || p[i] == '"')) {
                char q = p[i];
                size_t st = ++i;
                while (i < n && p[i] != q)
                    i++;
                if (i + 1 >= n || p[i + 1] != ']' || j->kind != J_OBJ)
                    return NULL;
                const jn_t *next = NULL;
                for (size_t k = 0; k < j->n && !next; k++)
                    if (key_is(ctx, &j->kids[2 * k], p + st, i - st))
                        next = &j->kids[2 * k + 1];
                j = next;
                i += 2;
            } else {
                size_t idx = 0, st = i;
                while (i < n && isdigit((unsigned char)p[i]))
                    idx = idx * 10 + (size_t)(p[i++] - '0');
                if (i == st || i >= n || p[i] != ']' || j->kind != J_ARR)
                    return NULL;
                i++;
                j = idx < j->n ? &j->kids[idx] : NULL;
            }
        } else {
            return NULL;
        }
    }
    return j;
}

/* EXTRACTJSONFIELD(json, path): a string node's text, any other node as
 * JSON; NULL for JSON null, a missing path or text that is not JSON. */
static sl_err_t fn_extractjsonfield(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    sl_err_t err = json_parse(ctx, &a[0], &root);
    if (err == SL_ERR_NOMEM)
        return err;
    const jn_t *j = err ? NULL : follow(ctx, &root, a[1].u.str, a[1].len);
    if (!j || j->kind == J_NULL) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    return j->kind == J_STR ? string_of(ctx, j, out) : json_text(ctx, j, out);
}

static sl_err_t fn_is_json_string(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    if (a[0].is_null) {
        *out = sl_sql_value_bool(0);
        return SL_OK;
    }
    sl_err_t err = json_parse(ctx, &a[0], &root);
    if (err == SL_ERR_NOMEM)
        return err;
    *out = sl_sql_value_bool(err == SL_OK);
    return SL_OK;
}

/* Parses a[0] as JSON of kind want; *ok 0 (result NULL) when it is not. */
static sl_err_t parse_kind(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v, int want, jn_t *root, int *ok)
{
    sl_err_t err = json_parse(ctx, v, root);
    if (err == SL_ERR_NOMEM)
        return err;
    *ok = !err && root->kind == want;
    return SL_OK;
}

static sl_err_t fn_json_array_length(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    int ok;
    sl_err_t err = parse_kind(ctx, &a[0], J_ARR, &root, &ok);
    if (!err)
        *out = ok ? sl_sql_value_int((int32_t)root.n) : sl__fn_null(rt);
    return err;
}

static sl_err_t fn_json_items(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    int ok;
    sl_err_t err = parse_kind(ctx, &a[0], J_ARR, &root, &ok);
    if (err || !ok) {
        *out = sl__fn_null(rt);
        return err;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < root.n; i++) {
        sl_sql_value_t v;
        if ((err = json_text(ctx, &root.kids[i], &v)))
            return err;
        sl__fn_vb_push(&vb, &v);
    }
    return sl__fn_vb_done(&vb, 0, out);
}

static sl_err_t fn_json_keys(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    int ok;
    sl_err_t err = parse_kind(ctx, &a[0], J_OBJ, &root, &ok);
    if (err || !ok) {
        *out = sl__fn_null(rt);
        return err;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < root.n; i++) {
        sl_sql_value_t v;
        if ((err = string_of(ctx, &root.kids[2 * i], &v)))
            return err;
        sl__fn_vb_push(&vb, &v);
    }
    return sl__fn_vb_done(&vb, 0, out);
}

static sl_err_t fn_json_records(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    int ok;
    sl_err_t err = parse_kind(ctx, &a[0], J_OBJ, &root, &ok);
    if (err || !ok) {
        *out = sl__fn_null(rt);
        return err;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < root.n; i++) {
        sl_sql_value_t k, v;
        if ((err = string_of(ctx, &root.kids[2 * i], &k)) || (err = json_text(ctx, &root.kids[2 * i + 1], &v)))
            return err;
        size_t j;
        for (j = 0; j < vb.len; j += 2) /* a repeated key: the last one wins, as Jackson's */
            if (sl_sql_value_equal(&vb.v[j], &k))
                break;
        if (j < vb.len) {
            vb.v[j + 1] = v;
        } else {
            sl__fn_vb_push(&vb, &k);
            sl__fn_vb_push(&vb, &v);
        }
    }
    return sl__fn_vb_done(&vb, 1, out);
}

/* JSON_CONCAT: PostgreSQL's ||: objects merge (later keys win), otherwise
 * arrays concatenate, a non-array counting as a one-element array; NULL
 * when any argument is NULL or not JSON. */
static sl_err_t fn_json_concat(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t *roots = sl_sql_alloc(ctx->al, (n ? n : 1) * sizeof *roots);
    if (!roots)
        return SL_ERR_NOMEM;
    int all_obj = 1;
    for (size_t i = 0; i < n; i++) {
        if (a[i].is_null) {
            *out = sl__fn_null(rt);
            return SL_OK;
        }
        sl_err_t err = json_parse(ctx, &a[i], &roots[i]);
        if (err) {
            *out = sl__fn_null(rt);
            return err == SL_ERR_NOMEM ? err : SL_OK;
        }
        all_obj &= roots[i].kind == J_OBJ;
    }
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    size_t count = 0;
    if (all_obj && n) {
        /* each key written once, at its first place, with its last value */
        sl__fn_sb_putc(&b, '{');
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < roots[i].n; k++) {
                sl_sql_value_t key;
                if (string_of(ctx, &roots[i].kids[2 * k], &key))
                    return SL_ERR_NOMEM;
                int seen = 0;
                for (size_t pi = 0; pi <= i && !seen; pi++)
                    for (size_t pk = 0; pk < (pi == i ? k : roots[pi].n) && !seen; pk++)
                        seen = key_is(ctx, &roots[pi].kids[2 * pk], key.u.str, key.len);
                if (seen)
                    continue;
                const jn_t *last = &roots[i].kids[2 * k + 1];
                for (size_t li = i; li < n; li++)
                    for (size_t lk = 0; lk < roots[li].n; lk++)
                        if (key_is(ctx, &roots[li].kids[2 * lk], key.u.str, key.len))
                            last = &roots[li].kids[2 * lk + 1];
                if (count++)
                    sl__fn_sb_putc(&b, ',');
                write_json(&b, &roots[i].kids[2 * k]);
                sl__fn_sb_putc(&b, ':');
                write_json(&b, last);
            }
        sl__fn_sb_putc(&b, '}');
    } else {
        sl__fn_sb_putc(&b, '[');
        for (size_t i = 0; i < n; i++) {
            if (roots[i].kind == J_ARR) {
                for (size_t k = 0; k < roots[i].n; k++) {
                    if (count++)
                        sl__fn_sb_putc(&b, ',');
                    write_json(&b, &roots[i].kids[k]);
                }
            } else {
                if (count++)
                    sl__fn_sb_putc(&b, ',');
                write_json(&b, &roots[i]);
            }
        }
        sl__fn_sb_putc(&b, ']');
    }
    return sl__fn_sb_done(&b, 0, out);
}

/* JSON_ARRAY_CONTAINS(json, value): FALSE when the text is not a JSON array.
 * Numbers compare by value, strings by text, booleans and null as such. */
static sl_err_t fn_json_array_contains(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    jn_t root;
    int ok = 0, found = 0;
    sl_err_t err = a[0].is_null ? SL_OK : parse_kind(ctx, &a[0], J_ARR, &root, &ok);
    if (err)
        return err;
    for (size_t i = 0; ok && i < root.n && !found; i++) {
        const jn_t *j = &root.kids[i];
        const sl_sql_value_t *v = &a[1];
        if (v->is_null) {
            found = j->kind == J_NULL;
        } else if (v->base == SL_SQL_BOOLEAN) {
            found = (j->kind == J_TRUE && v->u.b) || (j->kind == J_FALSE && !v->u.b);
        } else if (v->base == SL_SQL_STRING && j->kind == J_STR) {
            sl_sql_value_t s;
            if ((err = string_of(ctx, j, &s)))
                return err;
            found = s.len == v->len && !memcmp(s.u.str, v->u.str, v->len);
        } else if (j->kind == J_NUM && sl_sql_type_is_numeric(at[1])) {
            char buf[64];
            if (j->len >= sizeof buf)
                continue;
            memcpy(buf, j->p, j->len);
            buf[j->len] = 0;
            int integral = !strpbrk(buf, ".eE");
            if (v->base == SL_SQL_INT || v->base == SL_SQL_BIGINT)
                found = integral && strtoll(buf, NULL, 10) == (v->base == SL_SQL_INT ? v->u.i32 : v->u.i64);
            else if (v->base == SL_SQL_DOUBLE)
                found = !integral && strtod(buf, NULL) == v->u.d;
            else
                found = strtod(buf, NULL) == sl_sql_decimal_to_double(v->u.dec, v->scale);
        }
    }
    *out = sl_sql_value_bool(found);
    return SL_OK;
}

/* A map key or struct field name, printed, for TO_JSON_STRING's sort. */
typedef struct jkey {
    sl_buf_t text;
    size_t index;
} jkey_t;

/* Insertion sort by text, bytewise (code-point order for UTF-8; Java's
 * TreeMap compares UTF-16 units, which differs only between characters
 * above U+FFFF and those in U+E000..U+FFFF). Stable: equal keys keep their
 * order. Maps and structs are small, so n^2 is fine. */
static void jkeys_sort(jkey_t *k, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        jkey_t x = k[i];
        size_t j = i;
        for (; j > 0; j--) {
            const jkey_t *y = &k[j - 1];
            size_t m = y->text.len < x.text.len ? y->text.len : x.text.len;
            int c = m ? memcmp(y->text.data, x.text.data, m) : 0;
            if (c < 0 || (c == 0 && y->text.len <= x.text.len))
                break;
            k[j] = k[j - 1];
        }
        k[j] = x;
    }
}

static sl_err_t to_json(sl__sql_sink_t *s, const sl_sql_type_t *t, const sl_sql_value_t *v);

/* The entries of a MAP (keys printed as text) or the fields of a STRUCT, in
 * key order: ksqlDB's TO_JSON_STRING copies both into a TreeMap<String, ...>
 * before writing them. */
static sl_err_t to_json_object(sl__sql_sink_t *s, const sl_sql_type_t *t, const sl_sql_value_t *v)
{
    int is_map = v->base == SL_SQL_MAP;
    sl_err_t err = SL_OK;
    /* A temporary array and key texts from malloc, freed before returning:
     * there is no allocator-backed sink (see fn_to_json_string). */
    jkey_t *k = calloc(v->len ? v->len : 1, sizeof *k);
    if (!k)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < v->len && !err; i++) {
        k[i].index = i;
        if (is_map) {
            sl__sql_sink_t ks = {&k[i].text, NULL};
            err = sl__sql_value_print(&ks, t && t->base == SL_SQL_MAP ? t->key : NULL, &v->u.items[2 * i],
                                      SL_SQL_PRINT_DISPLAY);
        } else {
            const char *name = t && t->base == SL_SQL_STRUCT && i < t->nfields ? t->fields[i].name : "?";
            err = sl_buf_append(&k[i].text, name, strlen(name));
        }
    }
    if (!err) {
        jkeys_sort(k, v->len);
        err = sl__sql_putc(s, '{');
    }
    for (size_t i = 0; i < v->len && !err; i++) {
        size_t j = k[i].index;
        const sl_sql_type_t *vt = NULL;
        if (is_map)
            vt = t && t->base == SL_SQL_MAP ? t->item : NULL;
        else if (t && t->base == SL_SQL_STRUCT && j < t->nfields)
            vt = t->fields[j].type;
        if ((i && (err = sl__sql_putc(s, ','))) ||
            (err = sl__sql_json_string(s, k[i].text.data ? (const char *)k[i].text.data : "", k[i].text.len)) ||
            (err = sl__sql_putc(s, ':')))
            break;
        err = to_json(s, vt, &v->u.items[is_map ? 2 * j + 1 : j]);
    }
    if (!err)
        err = sl__sql_putc(s, '}');
    for (size_t i = 0; i < v->len; i++)
        sl_buf_free(&k[i].text);
    free(k);
    return err;
}

/* TO_JSON_STRING's printer: the JSON format's, except that DATE, TIME and
 * TIMESTAMP, at any depth, are ISO-8601 strings ("1972-09-27",
 * "1971-11-28T23:46:40.000"), and that map entries and struct fields are
 * written in key order, as ksqlDB's ToJsonString does. A TIME is
 * LocalTime.ofSecondOfDay(ms / 1000).toString(): whole seconds, and the
 * seconds left out when 0 ("13:25", "16:43:40"). */
static sl_err_t to_json(sl__sql_sink_t *s, const sl_sql_type_t *t, const sl_sql_value_t *v)
{
    char tmp[64];
    sl_err_t err;
    if (v->is_null)
        return sl__sql_puts(s, "null");
    switch (v->base) {
    case SL_SQL_DATE: return sl__sql_json_string(s, tmp, sl__sql_date_text(v->u.i32, tmp));
    case SL_SQL_TIME: {
        int32_t sec = v->u.i32 / 1000;
        int len = sec % 60 ? snprintf(tmp, sizeof tmp, "%02d:%02d:%02d", sec / 3600, sec / 60 % 60, sec % 60)
                           : snprintf(tmp, sizeof tmp, "%02d:%02d", sec / 3600, sec / 60 % 60);
        return sl__sql_json_string(s, tmp, (size_t)len);
    }
    case SL_SQL_TIMESTAMP: return sl__sql_json_string(s, tmp, sl__sql_timestamp_text(v->u.i64, tmp));
    case SL_SQL_ARRAY:
        if ((err = sl__sql_putc(s, '[')))
            return err;
        for (size_t i = 0; i < v->len; i++)
            if ((i && (err = sl__sql_putc(s, ','))) ||
                (err = to_json(s, t && t->base == SL_SQL_ARRAY ? t->item : NULL, &v->u.items[i])))
                return err;
        return sl__sql_putc(s, ']');
    case SL_SQL_MAP:
    case SL_SQL_STRUCT:
        return to_json_object(s, t, v);
    default:
        return sl__sql_value_print(s, t, v, SL_SQL_PRINT_JSON);
    }
}

/* TO_JSON_STRING(value): as the JSON format writes the value, with dates and
 * times as ISO-8601 strings; NULL is the text null. */
static sl_err_t fn_to_json_string(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null || !at[0])
        return sl__fn_str(ctx, "null", 4, out);
    /* Printed into an sl_buf_t, then copied into ctx->al (one malloc per
     * call, freed at once; there is no allocator-backed sink). */
    sl_buf_t b = SL_BUF_INIT;
    sl__sql_sink_t sink = {&b, NULL};
    sl_err_t err = to_json(&sink, at[0], &a[0]);
    if (!err)
        err = sl__fn_str(ctx, b.data ? (const char *)b.data : "", b.len, out);
    sl_buf_free(&b);
    return err;
}

#define S SL_SQL_FN_STRICT
static const sl_sql_overload_t ov_extractjsonfield[] = {
    {"STRING, STRING", "STRING", NULL, fn_extractjsonfield, S}};
static const sl_sql_overload_t ov_is_json_string[] = {{"STRING", "BOOLEAN", NULL, fn_is_json_string, 0}};
static const sl_sql_overload_t ov_json_array_contains[] = {
    {"STRING, T", "BOOLEAN", NULL, fn_json_array_contains, 0}};
static const sl_sql_overload_t ov_json_array_length[] = {{"STRING", "INT", NULL, fn_json_array_length, S}};
static const sl_sql_overload_t ov_json_concat[] = {{"STRING, STRING...", "STRING", NULL, fn_json_concat, 0}};
static const sl_sql_overload_t ov_json_items[] = {{"STRING", "ARRAY<STRING>", NULL, fn_json_items, S}};
static const sl_sql_overload_t ov_json_keys[] = {{"STRING", "ARRAY<STRING>", NULL, fn_json_keys, S}};
static const sl_sql_overload_t ov_json_records[] = {{"STRING", "MAP<STRING, STRING>", NULL, fn_json_records, S}};
static const sl_sql_overload_t ov_to_json_string[] = {{"T", "STRING", NULL, fn_to_json_string, 0}};
#undef S

#define C "JSON"
const sl_sql_function_t sl__sql_fn_json[] = {
    SL_FN("EXTRACTJSONFIELD", C, "Extracts the value at a JSONPath ($.a.b[0]) from a JSON string.",
          ov_extractjsonfield),
    SL_FN("IS_JSON_STRING", C, "Returns whether a string is valid JSON.", ov_is_json_string),
    SL_FN("JSON_ARRAY_CONTAINS", C, "Returns whether a JSON array string contains a value.", ov_json_array_contains),
    SL_FN("JSON_ARRAY_LENGTH", C, "Returns the length of a JSON array string, NULL if it is not one.",
          ov_json_array_length),
    SL_FN("JSON_CONCAT", C, "Merges JSON objects, or concatenates JSON arrays (PostgreSQL's || rules).",
          ov_json_concat),
    SL_FN("JSON_ITEMS", C, "Returns the elements of a JSON array string as JSON strings.", ov_json_items),
    SL_FN("JSON_KEYS", C, "Returns the keys of a JSON object string.", ov_json_keys),
    SL_FN("JSON_RECORDS", C, "Returns the entries of a JSON object string, values as JSON strings.", ov_json_records),
    SL_FN("TO_JSON_STRING", C, "Converts any value to its JSON text.", ov_to_json_string),
};
const size_t sl__sql_fn_json_n = SL_FN_COUNT(sl__sql_fn_json);
