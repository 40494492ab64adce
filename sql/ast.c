/* ast.c — the SQL syntax tree: the builders parse.y's actions call (each one
 * node, arena-allocated, with its place in the text and its height checked
 * against SL_SQL_MAX_DEPTH) and the printers that turn a tree back into
 * normalized SQL or an indented outline. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/parse.h"
#include "sql/sql_parse.h"

/* ---- memory and names ---------------------------------------------------------------- */

void *sl__sql_alloc(sl__sql_parse_t *p, size_t n)
{
    void *m = sl_arena_alloc(p->arena, n ? n : 1);
    if (!m)
        return sl__sql_nomem(p);
    memset(m, 0, n ? n : 1);
    return m;
}

static char *dup_n(sl__sql_parse_t *p, const char *z, size_t n)
{
    char *s = sl__sql_alloc(p, n + 1);
    if (s && n)
        memcpy(s, z, n);
    return s;
}

/* Copies a quoted run (quotes included) without its quotes, doubled quotes
 * made single. */
static char *unquote(sl__sql_parse_t *p, const char *z, size_t n, size_t *len)
{
    char q = z[0];
    char *s = sl__sql_alloc(p, n);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        s[o++] = z[i];
        if (z[i] == q)
            i++;
    }
    s[o] = 0;
    if (len)
        *len = o;
    return s;
}

sl__sql_list_t *sl__sql_list_push(sl__sql_parse_t *p, sl__sql_list_t *l, void *item)
{
    if (p->failed || !item)
        return l;
    if (!l && !(l = sl__sql_alloc(p, sizeof *l)))
        return NULL;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 4;
        void **items = sl__sql_alloc(p, ncap * sizeof *items);
        if (!items)
            return l;
        if (l->n)
            memcpy(items, l->items, l->n * sizeof *items);
        l->items = items, l->cap = ncap;
    }
    l->items[l->n++] = item;
    return l;
}

static size_t list_n(const sl__sql_list_t *l) { return l ? l->n : 0; }

sl_sql_name_t sl__sql_name(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    sl_sql_name_t n = {NULL, t->pos};
    if (p->failed)
        return n;
    if (t->z[0] == '`' || t->z[0] == '"') {
        n.s = unquote(p, t->z, t->n, NULL);
        return n;
    }
    char *s = dup_n(p, t->z, t->n);
    if (s)
        for (char *c = s; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
    n.s = s;
    return n;
}

sl_sql_name_t sl__sql_name_raw(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    sl_sql_name_t n = {NULL, t->pos};
    if (p->failed)
        return n;
    n.s = (t->z[0] == '`' || t->z[0] == '"') ? unquote(p, t->z, t->n, NULL) : dup_n(p, t->z, t->n);
    return n;
}

sl_sql_name_t *sl__sql_name_ptr(sl__sql_parse_t *p, sl_sql_name_t n)
{
    if (p->failed)
        return NULL;
    sl_sql_name_t *np = sl__sql_alloc(p, sizeof *np);
    if (np)
        *np = n;
    return np;
}

const char *sl__sql_string(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    return p->failed ? NULL : unquote(p, t->z, t->n, NULL);
}

sl_sql_name_t sl__sql_name_string(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    sl_sql_name_t n = {sl__sql_string(p, t), t->pos};
    return n;
}

/* Parses an INTEGER token; false (error recorded) when it does not fit 63 bits. */
static bool parse_int(sl__sql_parse_t *p, const sl__sql_token_t *t, int64_t *v)
{
    uint64_t x = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        unsigned d = (unsigned)(t->z[i] - '0');
        if (x > (UINT64_C(0x7fffffffffffffff) - d) / 10) {
            sl__sql_error_at(p, t->pos, "Invalid numeric literal: %.*s", (int)(t->n > 40 ? 40 : t->n), t->z);
            return false;
        }
        x = x * 10 + d;
    }
    *v = (int64_t)x;
    return true;
}

/* ---- types ------------------------------------------------------------------------- */

static sl_sql_ast_type_t *new_type(sl__sql_parse_t *p, sl_sql_ast_type_kind_t kind, sl_sql_pos_t pos, const char *name)
{
    if (p->failed)
        return NULL;
    sl_sql_ast_type_t *t = sl__sql_alloc(p, sizeof *t);
    if (!t)
        return NULL;
    t->kind = kind, t->pos = pos, t->name = name, t->height = 1;
    return t;
}

static sl_sql_ast_type_t *type_height(sl__sql_parse_t *p, sl_sql_ast_type_t *t, const sl_sql_ast_type_t *c)
{
    if (!t || !c)
        return t;
    if (c->height + 1 > t->height)
        t->height = (uint16_t)(c->height + 1);
    if (t->height > SL_SQL_MAX_DEPTH) {
        sl__sql_error_at(p, t->pos, "type nested too deeply (more than %d levels)", SL_SQL_MAX_DEPTH);
        return NULL;
    }
    return t;
}

sl_sql_ast_type_t *sl__sql_type_named(sl__sql_parse_t *p, sl_sql_name_t n)
{
    static const struct { const char *name; sl_sql_ast_type_kind_t kind; const char *canon; } builtin[] = {
        {"BOOLEAN", SL_SQL_TYPE_BOOLEAN, "BOOLEAN"}, {"INT", SL_SQL_TYPE_INT, "INT"},
        {"INTEGER", SL_SQL_TYPE_INT, "INT"},         {"BIGINT", SL_SQL_TYPE_BIGINT, "BIGINT"},
        {"DOUBLE", SL_SQL_TYPE_DOUBLE, "DOUBLE"},    {"STRING", SL_SQL_TYPE_STRING, "STRING"},
        {"VARCHAR", SL_SQL_TYPE_STRING, "STRING"},   {"BYTES", SL_SQL_TYPE_BYTES, "BYTES"},
        {"DATE", SL_SQL_TYPE_DATE, "DATE"},          {"TIME", SL_SQL_TYPE_TIME, "TIME"},
        {"TIMESTAMP", SL_SQL_TYPE_TIMESTAMP, "TIMESTAMP"},
    };
    if (p->failed || !n.s)
        return NULL;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcasecmp(n.s, builtin[i].name) == 0)
            return new_type(p, builtin[i].kind, n.pos, builtin[i].canon);
    return new_type(p, SL_SQL_TYPE_CUSTOM, n.pos, n.s);
}

sl_sql_ast_type_t *sl__sql_type_decimal(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *prec,
                                    const sl__sql_token_t *scale)
{
    int64_t pr, sc;
    if (p->failed || !parse_int(p, prec, &pr) || !parse_int(p, scale, &sc))
        return NULL;
    if (pr > INT32_MAX || sc > INT32_MAX) {
        sl__sql_error_at(p, prec->pos, "DECIMAL precision and scale must fit 32 bits");
        return NULL;
    }
    sl_sql_ast_type_t *ty = new_type(p, SL_SQL_TYPE_DECIMAL, t->pos, "DECIMAL");
    if (ty)
        ty->precision = (int32_t)pr, ty->scale = (int32_t)sc;
    return ty;
}

sl_sql_ast_type_t *sl__sql_type_array(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_ast_type_t *elem)
{
    sl_sql_ast_type_t *ty = elem ? new_type(p, SL_SQL_TYPE_ARRAY, t->pos, "ARRAY") : NULL;
    if (ty)
        ty->elem = elem;
    return type_height(p, ty, elem);
}

sl_sql_ast_type_t *sl__sql_type_map(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_ast_type_t *k, sl_sql_ast_type_t *v)
{
    sl_sql_ast_type_t *ty = k && v ? new_type(p, SL_SQL_TYPE_MAP, t->pos, "MAP") : NULL;
    if (ty)
        ty->key = k, ty->elem = v;
    return type_height(p, type_height(p, ty, k), v);
}

sl_sql_ast_type_t *sl__sql_type_struct(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *fields)
{
    sl_sql_ast_type_t *ty = new_type(p, SL_SQL_TYPE_STRUCT, t->pos, "STRUCT");
    if (!ty)
        return NULL;
    ty->nfields = list_n(fields);
    if (!(ty->fields = sl__sql_alloc(p, ty->nfields * sizeof *ty->fields)))
        return NULL;
    for (size_t i = 0; i < ty->nfields; i++) {
        ty->fields[i] = fields->items[i];
        if (!type_height(p, ty, ty->fields[i]->type))
            return NULL;
    }
    return ty;
}

sl_sql_ast_field_t *sl__sql_field(sl__sql_parse_t *p, sl_sql_name_t n, sl_sql_ast_type_t *t)
{
    if (p->failed || !t)
        return NULL;
    sl_sql_ast_field_t *f = sl__sql_alloc(p, sizeof *f);
    if (f)
        f->name = n, f->type = t;
    return f;
}

/* ---- expressions ------------------------------------------------------------------------ */

static sl_sql_expr_t *new_expr(sl__sql_parse_t *p, sl_sql_expr_kind_t kind, sl_sql_pos_t pos)
{
    if (p->failed)
        return NULL;
    sl_sql_expr_t *e = sl__sql_alloc(p, sizeof *e);
    if (!e)
        return NULL;
    e->kind = kind, e->pos = pos, e->height = 1;
    return e;
}

/* Raises e's height over child c; NULL (error recorded) past SL_SQL_MAX_DEPTH. */
static sl_sql_expr_t *grow(sl__sql_parse_t *p, sl_sql_expr_t *e, const sl_sql_expr_t *c)
{
    if (!e || !c)
        return e;
    if (c->height + 1 > e->height)
        e->height = (uint16_t)(c->height + 1);
    if (e->height > SL_SQL_MAX_DEPTH) {
        sl__sql_error_at(p, e->pos, "expression nested too deeply (more than %d levels)", SL_SQL_MAX_DEPTH);
        return NULL;
    }
    return e;
}

/* Copies a list of expressions into a typed array, growing e over each. */
static sl_sql_expr_t **expr_array(sl__sql_parse_t *p, sl_sql_expr_t *e, const sl__sql_list_t *l, size_t *n)
{
    *n = list_n(l);
    sl_sql_expr_t **a = sl__sql_alloc(p, *n * sizeof *a);
    if (!a)
        return NULL;
    for (size_t i = 0; i < *n; i++) {
        a[i] = l->items[i];
        if (!grow(p, e, a[i]))
            return NULL;
    }
    return a;
}

static void decimal_shape(const char *text, int32_t *precision, int32_t *scale)
{
    int32_t digits = 0, frac = 0;
    bool lead = true, after = false;
    for (const char *c = text; *c; c++) {
        if (*c == '.') {
            after = true;
            continue;
        }
        if (*c < '0' || *c > '9')
            continue;
        if (after)
            frac++;
        if (lead && *c == '0')
            continue;
        lead = false;
        digits++;
    }
    if (digits == 0)
        digits = 1;
    *scale = frac;
    *precision = digits > frac ? digits : frac;
}

sl_sql_expr_t *sl__sql_expr_literal(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    sl_sql_expr_t *e;
    switch (t->code) {
    case SL_TK_NULL:
        return new_expr(p, SL_SQL_EXPR_NULL, t->pos);
    case SL_TK_TRUE:
    case SL_TK_FALSE:
        if ((e = new_expr(p, SL_SQL_EXPR_BOOL, t->pos)))
            e->b = t->code == SL_TK_TRUE;
        return e;
    case SL_TK_STRING:
        if ((e = new_expr(p, SL_SQL_EXPR_STRING, t->pos)) && !(e->str.s = unquote(p, t->z, t->n, &e->str.len)))
            return NULL;
        return e;
    case SL_TK_INTEGER: {
        int64_t v;
        if (p->failed || !parse_int(p, t, &v))
            return NULL;
        if ((e = new_expr(p, v <= INT32_MAX ? SL_SQL_EXPR_INT : SL_SQL_EXPR_BIGINT, t->pos)))
            e->i = v;
        return e;
    }
    case SL_TK_NUMBER:
    case SL_TK_FLOAT: {
        bool dbl = t->code == SL_TK_FLOAT;
        if (!(e = new_expr(p, dbl ? SL_SQL_EXPR_DOUBLE : SL_SQL_EXPR_DECIMAL, t->pos)))
            return NULL;
        char *s = dup_n(p, t->z, t->n);
        if (!s)
            return NULL;
        for (char *c = s; *c; c++)
            if (*c == 'e')
                *c = 'E';
        e->num.text = s;
        e->num.d = strtod(s, NULL);
        if (dbl && (e->num.d == HUGE_VAL || e->num.d == -HUGE_VAL)) {
            sl__sql_error_at(p, t->pos, "Number overflows DOUBLE: %.*s", (int)(t->n > 40 ? 40 : t->n), t->z);
            return NULL;
        }
        if (!dbl)
            decimal_shape(s, &e->num.precision, &e->num.scale);
        return e;
    }
    default:
        sl__sql_error_at(p, t->pos, "not a literal");
        return NULL;
    }
}

sl_sql_expr_t *sl__sql_expr_unary(sl__sql_parse_t *p, sl_sql_op_t op, sl_sql_expr_t *a, const sl__sql_token_t *t)
{
    if (p->failed || !a)
        return NULL;
    if (op == SL_SQL_OP_NEG && (a->kind == SL_SQL_EXPR_INT || a->kind == SL_SQL_EXPR_BIGINT)) {
        /* Fold: ksqlDB's number rule takes the sign, so -2147483648 is an INT. */
        a->i = -a->i;
        a->kind = a->i >= INT32_MIN && a->i <= INT32_MAX ? SL_SQL_EXPR_INT : SL_SQL_EXPR_BIGINT;
        a->pos = t->pos;
        return a;
    }
    if (op == SL_SQL_OP_NEG && (a->kind == SL_SQL_EXPR_DECIMAL || a->kind == SL_SQL_EXPR_DOUBLE)) {
        const char *s = a->num.text;
        if (s[0] == '-') {
            a->num.text = s + 1;
        } else {
            size_t n = strlen(s);
            char *m = sl__sql_alloc(p, n + 2);
            if (!m)
                return NULL;
            m[0] = '-';
            memcpy(m + 1, s, n + 1);
            a->num.text = m;
        }
        a->num.d = -a->num.d;
        a->pos = t->pos;
        return a;
    }
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_UNARY, t->pos);
    if (e)
        e->op.op = op, e->op.a = a;
    return grow(p, e, a);
}

sl_sql_expr_t *sl__sql_expr_binary(sl__sql_parse_t *p, sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b)
{
    if (p->failed || !a || !b)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_BINARY, a->pos);
    if (e)
        e->op.op = op, e->op.a = a, e->op.b = b;
    return grow(p, grow(p, e, a), b);
}

sl_sql_expr_t *sl__sql_expr_column(sl__sql_parse_t *p, const sl_sql_name_t *q, sl_sql_name_t n)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_COLUMN, q ? q->pos : n.pos);
    if (e) {
        if (q)
            e->column.qualifier = *q;
        e->column.name = n;
    }
    return e;
}

sl_sql_expr_t *sl__sql_expr_between(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *lo, sl_sql_expr_t *hi,
                                    bool negated)
{
    if (p->failed || !a || !lo || !hi)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_BETWEEN, a->pos);
    if (e)
        e->between.a = a, e->between.lo = lo, e->between.hi = hi, e->negated = negated;
    return grow(p, grow(p, grow(p, e, a), lo), hi);
}

sl_sql_expr_t *sl__sql_expr_in(sl__sql_parse_t *p, sl_sql_expr_t *a, sl__sql_list_t *items, bool negated)
{
    if (p->failed || !a)
        return NULL;
    sl_sql_expr_t *e = grow(p, new_expr(p, SL_SQL_EXPR_IN, a->pos), a);
    if (!e || !(e->in.items = expr_array(p, e, items, &e->in.n)))
        return NULL;
    e->in.a = a, e->negated = negated;
    return e;
}

sl_sql_expr_t *sl__sql_expr_like(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *pat,
                                 const sl__sql_token_t *esc, bool negated)
{
    if (p->failed || !a || !pat)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_LIKE, a->pos);
    if (!e)
        return NULL;
    e->like.a = a, e->like.pattern = pat, e->negated = negated;
    if (esc && !(e->like.escape = sl__sql_string(p, esc)))
        return NULL;
    return grow(p, grow(p, e, a), pat);
}

sl_sql_expr_t *sl__sql_expr_is(sl__sql_parse_t *p, sl_sql_expr_kind_t kind, sl_sql_expr_t *a, sl_sql_expr_t *b,
                               bool negated)
{
    if (p->failed || !a || (kind == SL_SQL_EXPR_IS_DISTINCT && !b))
        return NULL;
    sl_sql_expr_t *e = new_expr(p, kind, a->pos);
    if (e)
        e->op.a = a, e->op.b = b, e->negated = negated;
    return b ? grow(p, grow(p, e, a), b) : grow(p, e, a);
}

sl_sql_when_t *sl__sql_when(sl__sql_parse_t *p, sl_sql_expr_t *cond, sl_sql_expr_t *result)
{
    if (p->failed || !cond || !result)
        return NULL;
    sl_sql_when_t *w = sl__sql_alloc(p, sizeof *w);
    if (w)
        w->cond = cond, w->result = result;
    return w;
}

sl_sql_expr_t *sl__sql_expr_case(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_expr_t *operand,
                                 sl__sql_list_t *whens, sl_sql_expr_t *else_)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_CASE, t->pos);
    if (!e)
        return NULL;
    e->case_.operand = operand, e->case_.else_ = else_;
    e->case_.nwhens = list_n(whens);
    if (!(e->case_.whens = sl__sql_alloc(p, e->case_.nwhens * sizeof *e->case_.whens)))
        return NULL;
    for (size_t i = 0; i < e->case_.nwhens; i++) {
        sl_sql_when_t *w = e->case_.whens[i] = whens->items[i];
        if (!grow(p, grow(p, e, w->cond), w->result))
            return NULL;
    }
    return grow(p, grow(p, e, operand), else_);
}

sl_sql_expr_t *sl__sql_expr_cast(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_expr_t *a, sl_sql_ast_type_t *ty)
{
    if (p->failed || !a || !ty)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_CAST, t->pos);
    if (e)
        e->cast.a = a, e->cast.type = ty;
    return grow(p, e, a);
}

sl_sql_expr_t *sl__sql_expr_deref(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_name_t field)
{
    if (p->failed || !a)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_DEREF, a->pos);
    if (e)
        e->deref.a = a, e->deref.field = field;
    return grow(p, e, a);
}

sl_sql_expr_t *sl__sql_expr_subscript(sl__sql_parse_t *p, sl_sql_expr_t *a, sl_sql_expr_t *index)
{
    if (p->failed || !a || !index)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_SUBSCRIPT, a->pos);
    if (e)
        e->op.a = a, e->op.b = index;
    return grow(p, grow(p, e, a), index);
}

sl_sql_expr_t *sl__sql_expr_call(sl__sql_parse_t *p, sl_sql_name_t name, sl__sql_list_t *args, bool star)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_CALL, name.pos);
    if (!e || !(e->call.args = expr_array(p, e, args, &e->call.nargs)))
        return NULL;
    e->call.name = name, e->call.star = star;
    return e;
}

sl_sql_expr_t *sl__sql_expr_lambda(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *params,
                                   sl_sql_expr_t *body)
{
    if (p->failed || !body)
        return NULL;
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_LAMBDA, t->pos);
    if (!e)
        return NULL;
    e->lambda.nparams = list_n(params);
    if (!(e->lambda.params = sl__sql_alloc(p, e->lambda.nparams * sizeof *e->lambda.params)))
        return NULL;
    for (size_t i = 0; i < e->lambda.nparams; i++)
        e->lambda.params[i] = *(sl_sql_name_t *)params->items[i];
    e->lambda.body = body;
    return grow(p, e, body);
}

sl_sql_expr_t *sl__sql_expr_lambda1(sl__sql_parse_t *p, sl_sql_name_t param, sl_sql_expr_t *body)
{
    sl__sql_token_t t = {NULL, 0, 0, param.pos};
    sl__sql_list_t *l = sl__sql_list_push(p, NULL, sl__sql_name_ptr(p, param));
    return l ? sl__sql_expr_lambda(p, &t, l, body) : NULL;
}

sl_sql_expr_t *sl__sql_expr_array(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *items)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_ARRAY, t->pos);
    if (!e || !(e->list.items = expr_array(p, e, items, &e->list.n)))
        return NULL;
    return e;
}

sl__sql_pair_t *sl__sql_pair(sl__sql_parse_t *p, const sl_sql_name_t *n, sl_sql_expr_t *k, sl_sql_expr_t *v)
{
    if (p->failed || !v || (!n && !k))
        return NULL;
    sl__sql_pair_t *pr = sl__sql_alloc(p, sizeof *pr);
    if (pr) {
        if (n)
            pr->name = *n;
        pr->key = k, pr->value = v;
    }
    return pr;
}

sl_sql_expr_t *sl__sql_expr_map(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *pairs)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_MAP, t->pos);
    if (!e)
        return NULL;
    size_t n = e->map.n = list_n(pairs);
    if (!(e->map.keys = sl__sql_alloc(p, n * sizeof *e->map.keys)) ||
        !(e->map.values = sl__sql_alloc(p, n * sizeof *e->map.values)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        sl__sql_pair_t *pr = pairs->items[i];
        e->map.keys[i] = pr->key, e->map.values[i] = pr->value;
        if (!grow(p, grow(p, e, pr->key), pr->value))
            return NULL;
    }
    return e;
}

sl_sql_expr_t *sl__sql_expr_struct(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *pairs)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_STRUCT, t->pos);
    if (!e)
        return NULL;
    size_t n = e->struct_.n = list_n(pairs);
    if (!(e->struct_.names = sl__sql_alloc(p, n * sizeof *e->struct_.names)) ||
        !(e->struct_.values = sl__sql_alloc(p, n * sizeof *e->struct_.values)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        sl__sql_pair_t *pr = pairs->items[i];
        e->struct_.names[i] = pr->name, e->struct_.values[i] = pr->value;
        if (!grow(p, e, pr->value))
            return NULL;
    }
    return e;
}

static sl_sql_time_unit_t unit_of(int code)
{
    switch (code) {
    case SL_TK_MILLISECOND: case SL_TK_MILLISECONDS: return SL_SQL_UNIT_MILLISECOND;
    case SL_TK_SECOND: case SL_TK_SECONDS: return SL_SQL_UNIT_SECOND;
    case SL_TK_MINUTE: case SL_TK_MINUTES: return SL_SQL_UNIT_MINUTE;
    case SL_TK_HOUR: case SL_TK_HOURS: return SL_SQL_UNIT_HOUR;
    default: return SL_SQL_UNIT_DAY;
    }
}

sl_sql_expr_t *sl__sql_expr_unit(sl__sql_parse_t *p, const sl__sql_token_t *t)
{
    sl_sql_expr_t *e = new_expr(p, SL_SQL_EXPR_TIME_UNIT, t->pos);
    if (e) {
        e->unit = unit_of(t->code);
        e->unit_word = sl__sql_name(p, t);
    }
    return e;
}

/* ---- queries ------------------------------------------------------------------------------- */

sl_sql_duration_t sl__sql_duration(sl__sql_parse_t *p, const sl__sql_token_t *n, const sl__sql_token_t *unit)
{
    sl_sql_duration_t d = {0};
    if (!n || p->failed || !parse_int(p, n, &d.value))
        return d;
    d.set = true;
    d.unit = unit_of(unit->code);
    d.pos = n->pos;
    return d;
}

int64_t sl_sql_duration_ms(const sl_sql_duration_t *d)
{
    static const int64_t ms[] = {1, 1000, 60000, 3600000, 86400000};
    int64_t m = ms[d->unit];
    if (d->value > INT64_MAX / m)
        return INT64_MAX;
    if (d->value < INT64_MIN / m)
        return INT64_MIN;
    return d->value * m;
}

sl__sql_within_t *sl__sql_within(sl__sql_parse_t *p, const sl_sql_duration_t *before, const sl_sql_duration_t *after,
                                 const sl_sql_duration_t *grace, bool pair)
{
    if (p->failed)
        return NULL;
    sl__sql_within_t *w = sl__sql_alloc(p, sizeof *w);
    if (w)
        w->before = *before, w->after = *after, w->grace = *grace, w->pair = pair;
    return w;
}

sl__sql_wopt_t *sl__sql_wopt(sl__sql_parse_t *p, int which, const sl_sql_duration_t *d)
{
    if (p->failed)
        return NULL;
    sl__sql_wopt_t *o = sl__sql_alloc(p, sizeof *o);
    if (o)
        o->which = which, o->d = *d;
    return o;
}

sl_sql_window_t *sl__sql_window(sl__sql_parse_t *p, sl_sql_window_kind_t kind, const sl__sql_token_t *t,
                                const sl_sql_duration_t *size, const sl_sql_duration_t *advance, sl__sql_list_t *opts)
{
    if (p->failed)
        return NULL;
    sl_sql_window_t *w = sl__sql_alloc(p, sizeof *w);
    if (!w)
        return NULL;
    w->kind = kind, w->pos = t->pos, w->size = *size;
    if (advance)
        w->advance = *advance;
    for (size_t i = 0; i < list_n(opts); i++) {
        const sl__sql_wopt_t *o = opts->items[i];
        if (o->which == 0 && (w->retention.set || w->grace.set)) {
            sl__sql_error_at(p, o->d.pos, w->retention.set ? "duplicate RETENTION" : "RETENTION must come before GRACE PERIOD");
            return NULL;
        }
        if (o->which == 1 && w->grace.set) {
            sl__sql_error_at(p, o->d.pos, "duplicate GRACE PERIOD");
            return NULL;
        }
        if (o->which == 0)
            w->retention = o->d;
        else
            w->grace = o->d;
    }
    return w;
}

sl_sql_source_t *sl__sql_source(sl__sql_parse_t *p, sl_sql_name_t name, const sl_sql_name_t *alias)
{
    if (p->failed)
        return NULL;
    sl_sql_source_t *s = sl__sql_alloc(p, sizeof *s);
    if (s) {
        s->name = name;
        if (alias)
            s->alias = *alias;
    }
    return s;
}

sl_sql_join_t *sl__sql_join(sl__sql_parse_t *p, int kind, const sl__sql_token_t *t, sl_sql_source_t *src,
                            sl__sql_within_t *within, sl_sql_expr_t *on)
{
    if (p->failed || !src || !on)
        return NULL;
    sl_sql_join_t *j = sl__sql_alloc(p, sizeof *j);
    if (!j)
        return NULL;
    j->kind = (sl_sql_join_kind_t)kind, j->pos = t->pos, j->source = *src, j->on = on;
    if (within) {
        j->before = within->before, j->after = within->after, j->grace = within->grace;
        j->within_pair = within->pair;
    }
    return j;
}

sl_sql_select_item_t *sl__sql_select_item(sl__sql_parse_t *p, sl_sql_select_kind_t kind, const sl__sql_token_t *t,
                                          sl_sql_expr_t *e, const sl_sql_name_t *qualifier,
                                          const sl_sql_name_t *alias)
{
    if (p->failed || ((kind == SL_SQL_SELECT_EXPR || kind == SL_SQL_SELECT_STRUCT_STAR) && !e))
        return NULL;
    sl_sql_select_item_t *it = sl__sql_alloc(p, sizeof *it);
    if (!it)
        return NULL;
    it->kind = kind, it->expr = e;
    it->pos = t ? t->pos : qualifier ? qualifier->pos : e->pos;
    if (qualifier)
        it->qualifier = *qualifier;
    if (alias)
        it->alias = *alias;
    return it;
}

sl__sql_tail_t *sl__sql_tail(sl__sql_parse_t *p, sl_sql_window_t *w, sl_sql_expr_t *where, sl__sql_list_t *group_by,
                             sl__sql_list_t *partition_by, sl_sql_expr_t *having, int emit,
                             const sl__sql_token_t *limit)
{
    if (p->failed)
        return NULL;
    sl__sql_tail_t *t = sl__sql_alloc(p, sizeof *t);
    if (!t)
        return NULL;
    t->window = w, t->where = where, t->group_by = group_by, t->partition_by = partition_by;
    t->having = having, t->emit = emit;
    if (limit->code && !(t->has_limit = parse_int(p, limit, &t->limit)))
        return NULL;
    return t;
}

static sl_sql_expr_t **plain_exprs(sl__sql_parse_t *p, const sl__sql_list_t *l, size_t *n)
{
    *n = list_n(l);
    sl_sql_expr_t **a = sl__sql_alloc(p, *n * sizeof *a);
    for (size_t i = 0; a && i < *n; i++)
        a[i] = l->items[i];
    return a;
}

sl_sql_query_t *sl__sql_query(sl__sql_parse_t *p, const sl__sql_token_t *t, sl__sql_list_t *items,
                              sl_sql_source_t *from, sl__sql_list_t *joins, sl__sql_tail_t *tail)
{
    if (p->failed || !from || !tail)
        return NULL;
    sl_sql_query_t *q = sl__sql_alloc(p, sizeof *q);
    if (!q)
        return NULL;
    q->pos = t->pos, q->from = *from;
    q->nitems = list_n(items);
    q->njoins = list_n(joins);
    if (!(q->items = sl__sql_alloc(p, q->nitems * sizeof *q->items)) ||
        !(q->joins = sl__sql_alloc(p, q->njoins * sizeof *q->joins)) ||
        !(q->group_by = plain_exprs(p, tail->group_by, &q->ngroup_by)) ||
        !(q->partition_by = plain_exprs(p, tail->partition_by, &q->npartition_by)))
        return NULL;
    for (size_t i = 0; i < q->nitems; i++)
        q->items[i] = items->items[i];
    for (size_t i = 0; i < q->njoins; i++)
        q->joins[i] = joins->items[i];
    q->window = tail->window, q->where = tail->where, q->having = tail->having;
    q->emit = (sl_sql_emit_t)tail->emit, q->has_limit = tail->has_limit, q->limit = tail->limit;
    return q;
}

/* ---- statements ---------------------------------------------------------------------------------- */

sl_sql_ast_column_t *sl__sql_column(sl__sql_parse_t *p, sl_sql_name_t n, sl_sql_ast_type_t *t, sl_sql_column_role_t role,
                                const sl__sql_token_t *header)
{
    if (p->failed || !t)
        return NULL;
    sl_sql_ast_column_t *c = sl__sql_alloc(p, sizeof *c);
    if (!c)
        return NULL;
    c->name = n, c->type = t, c->role = role;
    if (header && !(c->header_key = sl__sql_string(p, header)))
        return NULL;
    return c;
}

sl_sql_prop_t *sl__sql_prop(sl__sql_parse_t *p, const sl_sql_name_t *n, const sl__sql_token_t *s, sl_sql_expr_t *v)
{
    if (p->failed || !v)
        return NULL;
    sl_sql_prop_t *pr = sl__sql_alloc(p, sizeof *pr);
    if (!pr)
        return NULL;
    pr->name = n ? *n : sl__sql_name_string(p, s);
    pr->quoted = n == NULL;
    pr->value = v;
    return pr->name.s ? pr : NULL;
}

static sl_sql_prop_t **prop_array(sl__sql_parse_t *p, const sl__sql_list_t *l, size_t *n)
{
    *n = list_n(l);
    sl_sql_prop_t **a = sl__sql_alloc(p, *n * sizeof *a);
    for (size_t i = 0; a && i < *n; i++)
        a[i] = l->items[i];
    return a;
}

sl_sql_stmt_t *sl__sql_stmt(sl__sql_parse_t *p, sl_sql_stmt_kind_t kind, const sl__sql_token_t *t)
{
    if (p->failed)
        return NULL;
    sl_sql_stmt_t *s = sl__sql_alloc(p, sizeof *s);
    if (s)
        s->kind = kind, s->pos = t->pos;
    return s;
}

sl_sql_stmt_t *sl__sql_stmt_query(sl__sql_parse_t *p, sl_sql_query_t *q)
{
    if (p->failed || !q)
        return NULL;
    sl__sql_token_t t = {NULL, 0, 0, q->pos};
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_SELECT, &t);
    if (s)
        s->query = q;
    return s;
}

sl_sql_stmt_t *sl__sql_create_head(sl__sql_parse_t *p, const sl__sql_token_t *t, bool or_replace,
                                   const sl__sql_token_t *source, bool table, bool if_not_exists, sl_sql_name_t name)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_CREATE_SOURCE, t);
    if (s) {
        s->create.or_replace = or_replace, s->create.source = source->code != 0;
        s->create.table = table, s->create.if_not_exists = if_not_exists, s->create.name = name;
    }
    return s;
}

sl_sql_stmt_t *sl__sql_create_source(sl__sql_parse_t *p, sl_sql_stmt_t *head, sl__sql_list_t *cols,
                                     sl__sql_list_t *props)
{
    if (p->failed || !head)
        return NULL;
    head->create.ncolumns = list_n(cols);
    if (!(head->create.columns = sl__sql_alloc(p, head->create.ncolumns * sizeof *head->create.columns)) ||
        !(head->create.props = prop_array(p, props, &head->create.nprops)))
        return NULL;
    for (size_t i = 0; i < head->create.ncolumns; i++)
        head->create.columns[i] = cols->items[i];
    return head;
}

sl_sql_stmt_t *sl__sql_create_as(sl__sql_parse_t *p, sl_sql_stmt_t *head, sl__sql_list_t *props, sl_sql_query_t *q)
{
    if (p->failed || !head || !q)
        return NULL;
    if (head->create.source) {
        sl__sql_error_at(p, head->pos, "CREATE SOURCE %s cannot be used with AS SELECT",
                         head->create.table ? "TABLE" : "STREAM");
        return NULL;
    }
    head->kind = SL_SQL_STMT_CREATE_AS;
    head->create.query = q;
    if (!(head->create.columns = sl__sql_alloc(p, 0)) || !(head->create.props = prop_array(p, props, &head->create.nprops)))
        return NULL;
    return head;
}

sl_sql_stmt_t *sl__sql_insert(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_name_t target,
                              sl__sql_list_t *cols, sl__sql_list_t *props, sl_sql_query_t *q,
                              sl__sql_list_t *values, bool is_values)
{
    if (p->failed || (!is_values && !q))
        return NULL;
    sl_sql_stmt_t *s = sl__sql_stmt(p, is_values ? SL_SQL_STMT_INSERT_VALUES : SL_SQL_STMT_INSERT_SELECT, t);
    if (!s)
        return NULL;
    s->insert.target = target, s->insert.query = q;
    s->insert.ncolumns = list_n(cols);
    if (!(s->insert.columns = sl__sql_alloc(p, s->insert.ncolumns * sizeof *s->insert.columns)) ||
        !(s->insert.props = prop_array(p, props, &s->insert.nprops)) ||
        !(s->insert.values = plain_exprs(p, values, &s->insert.nvalues)))
        return NULL;
    for (size_t i = 0; i < s->insert.ncolumns; i++)
        s->insert.columns[i] = *(sl_sql_name_t *)cols->items[i];
    return s;
}

sl_sql_stmt_t *sl__sql_drop(sl__sql_parse_t *p, const sl__sql_token_t *t, int what, bool if_exists,
                            sl_sql_name_t name, bool delete_topic)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, what == 2 ? SL_SQL_STMT_DROP_TYPE : SL_SQL_STMT_DROP_SOURCE, t);
    if (s)
        s->drop.table = what == 1, s->drop.if_exists = if_exists, s->drop.name = name, s->drop.delete_topic = delete_topic;
    return s;
}

sl_sql_stmt_t *sl__sql_create_type(sl__sql_parse_t *p, const sl__sql_token_t *t, bool if_not_exists,
                                   sl_sql_name_t name, sl_sql_ast_type_t *type)
{
    if (!type)
        return NULL;
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_CREATE_TYPE, t);
    if (s)
        s->create_type.if_not_exists = if_not_exists, s->create_type.name = name, s->create_type.type = type;
    return s;
}

sl_sql_stmt_t *sl__sql_define(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *name,
                              const sl__sql_token_t *value)
{
    if (!p->failed && (name->z[0] == '`' || name->z[0] == '"')) {
        sl__sql_error_at(p, name->pos, "variable names cannot be quoted");
        return NULL;
    }
    sl_sql_stmt_t *s = sl__sql_stmt(p, value ? SL_SQL_STMT_DEFINE : SL_SQL_STMT_UNDEFINE, t);
    if (!s)
        return NULL;
    s->define.name = sl__sql_name_raw(p, name);
    if (value && !(s->define.value = sl__sql_string(p, value)))
        return NULL;
    return s->define.name.s ? s : NULL;
}

sl_sql_stmt_t *sl__sql_set(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *k,
                           const sl__sql_token_t *v)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, v ? SL_SQL_STMT_SET : SL_SQL_STMT_UNSET, t);
    if (!s || !(s->set.name = sl__sql_string(p, k)) || (v && !(s->set.value = sl__sql_string(p, v))))
        return NULL;
    return s;
}

sl_sql_stmt_t *sl__sql_show(sl__sql_parse_t *p, const sl__sql_token_t *t, int what, bool all, bool extended)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_SHOW, t);
    if (s)
        s->show.what = (sl_sql_show_what_t)what, s->show.all = all, s->show.extended = extended;
    return s;
}

sl_sql_stmt_t *sl__sql_describe(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *name, int what,
                                bool extended)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, what == 3 ? SL_SQL_STMT_DESCRIBE_FUNCTION : SL_SQL_STMT_DESCRIBE, t);
    if (!s)
        return NULL;
    if (name)
        s->describe.name = *name;
    s->describe.streams = what == 1, s->describe.tables = what == 2, s->describe.extended = extended;
    return s;
}

sl_sql_stmt_t *sl__sql_explain(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *id,
                               sl_sql_stmt_t *inner)
{
    if (!id && !inner)
        return NULL;
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_EXPLAIN, t);
    if (s) {
        if (id)
            s->explain.query_id = *id;
        s->explain.stmt = inner;
    }
    return s;
}

sl_sql_stmt_t *sl__sql_print(sl__sql_parse_t *p, const sl__sql_token_t *t, sl_sql_name_t topic, bool quoted,
                             bool from_beginning, const sl__sql_token_t *interval, const sl__sql_token_t *limit)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_PRINT, t);
    if (!s)
        return NULL;
    s->print.topic = topic, s->print.quoted = quoted, s->print.from_beginning = from_beginning;
    s->print.interval = s->print.limit = -1;
    if ((interval->code && !parse_int(p, interval, &s->print.interval)) ||
        (limit->code && !parse_int(p, limit, &s->print.limit)))
        return NULL;
    return topic.s ? s : NULL;
}

sl_sql_stmt_t *sl__sql_terminate(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl_sql_name_t *id)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_TERMINATE, t);
    if (s) {
        if (id)
            s->terminate.query_id = *id;
        s->terminate.all = id == NULL;
    }
    return s;
}

sl_sql_stmt_t *sl__sql_run_script(sl__sql_parse_t *p, const sl__sql_token_t *t, const sl__sql_token_t *path)
{
    sl_sql_stmt_t *s = sl__sql_stmt(p, SL_SQL_STMT_RUN_SCRIPT, t);
    if (s && !(s->run_script.path = sl__sql_string(p, path)))
        return NULL;
    return s;
}

static void set_text(sl__sql_parse_t *p, sl_sql_stmt_t *s, uint32_t end)
{
    while (end > s->pos.off && (p->text[end - 1] == ' ' || p->text[end - 1] == '\t' || p->text[end - 1] == '\n' ||
                                p->text[end - 1] == '\r'))
        end--;
    s->text = p->text + s->pos.off;
    s->text_len = end > s->pos.off ? end - s->pos.off : 0;
}

void sl__sql_stmt_add(sl__sql_parse_t *p, sl_sql_stmt_t *s, const sl__sql_token_t *end)
{
    if (p->failed || !s)
        return;
    set_text(p, s, end->pos.off);
    for (sl_sql_stmt_t *in = s; in->kind == SL_SQL_STMT_EXPLAIN && in->explain.stmt; in = in->explain.stmt)
        set_text(p, in->explain.stmt, end->pos.off);
    if (p->stmts.n == p->stmts.cap) {
        size_t ncap = p->stmts.cap ? p->stmts.cap * 2 : 8;
        void **items = sl__sql_alloc(p, ncap * sizeof *items);
        if (!items)
            return;
        if (p->stmts.n)
            memcpy(items, p->stmts.items, p->stmts.n * sizeof *items);
        p->stmts.items = items, p->stmts.cap = ncap;
    }
    p->stmts.items[p->stmts.n++] = s;
}

/* ---- printing SQL ----------------------------------------------------------------------------------- */

typedef struct printer {
    sl_buf_t *out;
    sl_err_t err;
} printer_t;

static void put_n(printer_t *pr, const char *s, size_t n)
{
    if (!pr->err && n)
        pr->err = sl_buf_append(pr->out, s, n);
}

static void put(printer_t *pr, const char *s) { put_n(pr, s, strlen(s)); }

static void putf(printer_t *pr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(printer_t *pr, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put_n(pr, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static bool needs_quotes(const char *s)
{
    if (!s[0] || !((s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return true;
    for (const char *c = s + 1; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '@'))
            return true;
    return sl__sql_is_keyword(s);
}

static void put_name(printer_t *pr, const char *s)
{
    if (!s)
        s = "";
    if (!needs_quotes(s)) {
        put(pr, s);
        return;
    }
    put(pr, "`");
    for (const char *c = s; *c; c++)
        put_n(pr, c, *c == '`' ? 0 : 1), put(pr, *c == '`' ? "``" : "");
    put(pr, "`");
}

static void put_string(printer_t *pr, const char *s, size_t n)
{
    put(pr, "'");
    for (size_t i = 0; i < n; i++)
        put_n(pr, s[i] == '\'' ? "''" : s + i, s[i] == '\'' ? 2 : 1);
    put(pr, "'");
}

const char *sl_sql_op_str(sl_sql_op_t op)
{
    static const char *const names[] = {"-", "+", "NOT", "+", "-", "*", "/", "%", "||",
                                        "=", "<>", "<", "<=", ">", ">=", "AND", "OR"};
    return (unsigned)op < sizeof names / sizeof names[0] ? names[op] : "?";
}

const char *sl_sql_unit_str(sl_sql_time_unit_t unit, bool plural)
{
    static const char *const one[] = {"MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY"};
    static const char *const many[] = {"MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS"};
    return (unsigned)unit < 5 ? (plural ? many : one)[unit] : "?";
}

const char *sl_sql_stmt_kind_str(sl_sql_stmt_kind_t kind)
{
    static const char *const names[] = {
        "SELECT", "CREATE_SOURCE", "CREATE_AS", "INSERT_SELECT", "INSERT_VALUES", "DROP_SOURCE", "CREATE_TYPE",
        "DROP_TYPE", "DEFINE", "UNDEFINE", "SET", "UNSET", "SHOW", "DESCRIBE", "DESCRIBE_FUNCTION", "EXPLAIN",
        "PRINT", "TERMINATE", "RUN_SCRIPT"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static void put_type(printer_t *pr, const sl_sql_ast_type_t *t)
{
    switch (t->kind) {
    case SL_SQL_TYPE_DECIMAL:
        putf(pr, "DECIMAL(%d, %d)", (int)t->precision, (int)t->scale);
        break;
    case SL_SQL_TYPE_ARRAY:
        put(pr, "ARRAY<"), put_type(pr, t->elem), put(pr, ">");
        break;
    case SL_SQL_TYPE_MAP:
        put(pr, "MAP<"), put_type(pr, t->key), put(pr, ", "), put_type(pr, t->elem), put(pr, ">");
        break;
    case SL_SQL_TYPE_STRUCT:
        put(pr, "STRUCT<");
        for (size_t i = 0; i < t->nfields; i++) {
            if (i)
                put(pr, ", ");
            put_name(pr, t->fields[i]->name.s), put(pr, " "), put_type(pr, t->fields[i]->type);
        }
        put(pr, ">");
        break;
    case SL_SQL_TYPE_CUSTOM:
        put_name(pr, t->name);
        break;
    default:
        put(pr, t->name);
        break;
    }
}

static void put_duration(printer_t *pr, const sl_sql_duration_t *d)
{
    putf(pr, "%" PRId64 " %s", d->value, sl_sql_unit_str(d->unit, d->value != 1));
}

/* Binding strength, loosest first: OR 1, AND 2, NOT 3, predicates 4, || 5,
 * + - 6, * / % 7, unary sign 8, primaries 9; lambdas 0. */
static int prec(const sl_sql_expr_t *e)
{
    switch (e->kind) {
    case SL_SQL_EXPR_BINARY:
        switch (e->op.op) {
        case SL_SQL_OP_OR: return 1;
        case SL_SQL_OP_AND: return 2;
        case SL_SQL_OP_CONCAT: return 5;
        case SL_SQL_OP_ADD: case SL_SQL_OP_SUB: return 6;
        case SL_SQL_OP_MUL: case SL_SQL_OP_DIV: case SL_SQL_OP_MOD: return 7;
        default: return 4;
        }
    case SL_SQL_EXPR_UNARY:
        return e->op.op == SL_SQL_OP_NOT ? 3 : 8;
    case SL_SQL_EXPR_BETWEEN: case SL_SQL_EXPR_IN: case SL_SQL_EXPR_LIKE:
    case SL_SQL_EXPR_IS_NULL: case SL_SQL_EXPR_IS_DISTINCT:
        return 4;
    case SL_SQL_EXPR_INT: case SL_SQL_EXPR_BIGINT:
        return e->i < 0 ? 8 : 9;
    case SL_SQL_EXPR_DECIMAL: case SL_SQL_EXPR_DOUBLE:
        return e->num.text[0] == '-' ? 8 : 9;
    case SL_SQL_EXPR_LAMBDA:
        return 0;
    default:
        return 9;
    }
}

static void put_expr(printer_t *pr, const sl_sql_expr_t *e);

static void put_sub(printer_t *pr, const sl_sql_expr_t *e, int min)
{
    bool paren = prec(e) < min;
    if (paren)
        put(pr, "(");
    put_expr(pr, e);
    if (paren)
        put(pr, ")");
}

static void put_list(printer_t *pr, sl_sql_expr_t *const *items, size_t n, int min)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(pr, ", ");
        put_sub(pr, items[i], min);
    }
}

static void put_expr(printer_t *pr, const sl_sql_expr_t *e)
{
    switch (e->kind) {
    case SL_SQL_EXPR_NULL: put(pr, "NULL"); break;
    case SL_SQL_EXPR_BOOL: put(pr, e->b ? "TRUE" : "FALSE"); break;
    case SL_SQL_EXPR_INT:
    case SL_SQL_EXPR_BIGINT: putf(pr, "%" PRId64, e->i); break;
    case SL_SQL_EXPR_DECIMAL:
    case SL_SQL_EXPR_DOUBLE: put(pr, e->num.text); break;
    case SL_SQL_EXPR_STRING: put_string(pr, e->str.s, e->str.len); break;
    case SL_SQL_EXPR_COLUMN:
        if (e->column.qualifier.s)
            put_name(pr, e->column.qualifier.s), put(pr, ".");
        put_name(pr, e->column.name.s);
        break;
    case SL_SQL_EXPR_UNARY:
        if (e->op.op == SL_SQL_OP_NOT) {
            put(pr, "NOT "), put_sub(pr, e->op.a, 3);
        } else {
            put(pr, sl_sql_op_str(e->op.op));
            /* "- -x", never "--x", which would start a comment. */
            if (prec(e->op.a) == 8)
                put(pr, " ");
            put_sub(pr, e->op.a, 8);
        }
        break;
    case SL_SQL_EXPR_BINARY: {
        int p = prec(e), left = p, right = p + 1;
        if (p == 4)
            left = right = 5; /* comparisons do not chain */
        put_sub(pr, e->op.a, left);
        put(pr, " "), put(pr, sl_sql_op_str(e->op.op)), put(pr, " ");
        put_sub(pr, e->op.b, right);
        break;
    }
    case SL_SQL_EXPR_BETWEEN:
        put_sub(pr, e->between.a, 5), put(pr, e->negated ? " NOT BETWEEN " : " BETWEEN ");
        put_sub(pr, e->between.lo, 5), put(pr, " AND "), put_sub(pr, e->between.hi, 5);
        break;
    case SL_SQL_EXPR_IN:
        put_sub(pr, e->in.a, 5), put(pr, e->negated ? " NOT IN (" : " IN (");
        put_list(pr, e->in.items, e->in.n, 1), put(pr, ")");
        break;
    case SL_SQL_EXPR_LIKE:
        put_sub(pr, e->like.a, 5), put(pr, e->negated ? " NOT LIKE " : " LIKE "), put_sub(pr, e->like.pattern, 5);
        if (e->like.escape)
            put(pr, " ESCAPE "), put_string(pr, e->like.escape, strlen(e->like.escape));
        break;
    case SL_SQL_EXPR_IS_NULL:
        put_sub(pr, e->op.a, 5), put(pr, e->negated ? " IS NOT NULL" : " IS NULL");
        break;
    case SL_SQL_EXPR_IS_DISTINCT:
        put_sub(pr, e->op.a, 5), put(pr, e->negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ");
        put_sub(pr, e->op.b, 5);
        break;
    case SL_SQL_EXPR_CASE:
        put(pr, "CASE");
        if (e->case_.operand)
            put(pr, " "), put_sub(pr, e->case_.operand, 5);
        for (size_t i = 0; i < e->case_.nwhens; i++) {
            put(pr, " WHEN "), put_sub(pr, e->case_.whens[i]->cond, 1);
            put(pr, " THEN "), put_sub(pr, e->case_.whens[i]->result, 1);
        }
        if (e->case_.else_)
            put(pr, " ELSE "), put_sub(pr, e->case_.else_, 1);
        put(pr, " END");
        break;
    case SL_SQL_EXPR_CAST:
        put(pr, "CAST("), put_sub(pr, e->cast.a, 1), put(pr, " AS "), put_type(pr, e->cast.type), put(pr, ")");
        break;
    case SL_SQL_EXPR_DEREF:
        put_sub(pr, e->deref.a, 9), put(pr, "->"), put_name(pr, e->deref.field.s);
        break;
    case SL_SQL_EXPR_SUBSCRIPT:
        put_sub(pr, e->op.a, 9), put(pr, "["), put_sub(pr, e->op.b, 5), put(pr, "]");
        break;
    case SL_SQL_EXPR_CALL:
        put_name(pr, e->call.name.s), put(pr, "(");
        if (e->call.star)
            put(pr, "*");
        put_list(pr, e->call.args, e->call.nargs, 0);
        put(pr, ")");
        break;
    case SL_SQL_EXPR_LAMBDA:
        if (e->lambda.nparams != 1)
            put(pr, "(");
        for (size_t i = 0; i < e->lambda.nparams; i++) {
            if (i)
                put(pr, ", ");
            put_name(pr, e->lambda.params[i].s);
        }
        put(pr, e->lambda.nparams != 1 ? ") => " : " => ");
        put_sub(pr, e->lambda.body, 1);
        break;
    case SL_SQL_EXPR_ARRAY:
        put(pr, "ARRAY["), put_list(pr, e->list.items, e->list.n, 1), put(pr, "]");
        break;
    case SL_SQL_EXPR_MAP:
        put(pr, "MAP(");
        for (size_t i = 0; i < e->map.n; i++) {
            if (i)
                put(pr, ", ");
            put_sub(pr, e->map.keys[i], 1), put(pr, " := "), put_sub(pr, e->map.values[i], 1);
        }
        put(pr, ")");
        break;
    case SL_SQL_EXPR_STRUCT:
        put(pr, "STRUCT(");
        for (size_t i = 0; i < e->struct_.n; i++) {
            if (i)
                put(pr, ", ");
            put_name(pr, e->struct_.names[i].s), put(pr, " := "), put_sub(pr, e->struct_.values[i], 1);
        }
        put(pr, ")");
        break;
    case SL_SQL_EXPR_TIME_UNIT:
        put(pr, sl_sql_unit_str(e->unit, true));
        break;
    }
}

static void put_source(printer_t *pr, const sl_sql_source_t *s)
{
    put_name(pr, s->name.s);
    if (s->alias.s)
        put(pr, " "), put_name(pr, s->alias.s);
}

static void put_props(printer_t *pr, sl_sql_prop_t *const *props, size_t n)
{
    if (!n)
        return;
    put(pr, " WITH (");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(pr, ", ");
        if (props[i]->quoted)
            put_string(pr, props[i]->name.s, strlen(props[i]->name.s));
        else
            put_name(pr, props[i]->name.s);
        put(pr, "="), put_expr(pr, props[i]->value);
    }
    put(pr, ")");
}

static void put_window(printer_t *pr, const sl_sql_window_t *w)
{
    static const char *const kinds[] = {"TUMBLING", "HOPPING", "SESSION"};
    put(pr, " WINDOW "), put(pr, kinds[w->kind]), put(pr, " (");
    if (w->kind != SL_SQL_WINDOW_SESSION)
        put(pr, "SIZE ");
    put_duration(pr, &w->size);
    if (w->kind == SL_SQL_WINDOW_HOPPING)
        put(pr, ", ADVANCE BY "), put_duration(pr, &w->advance);
    if (w->retention.set)
        put(pr, ", RETENTION "), put_duration(pr, &w->retention);
    if (w->grace.set)
        put(pr, ", GRACE PERIOD "), put_duration(pr, &w->grace);
    put(pr, ")");
}

static void put_query(printer_t *pr, const sl_sql_query_t *q)
{
    static const char *const joins[] = {"INNER JOIN ", "LEFT JOIN ", "RIGHT JOIN ", "FULL JOIN "};
    put(pr, "SELECT ");
    for (size_t i = 0; i < q->nitems; i++) {
        const sl_sql_select_item_t *it = q->items[i];
        if (i)
            put(pr, ", ");
        switch (it->kind) {
        case SL_SQL_SELECT_STAR: put(pr, "*"); break;
        case SL_SQL_SELECT_SOURCE_STAR: put_name(pr, it->qualifier.s), put(pr, ".*"); break;
        case SL_SQL_SELECT_STRUCT_STAR: put_sub(pr, it->expr, 9), put(pr, "->*"); break;
        case SL_SQL_SELECT_EXPR:
            put_sub(pr, it->expr, 1);
            if (it->alias.s)
                put(pr, " AS "), put_name(pr, it->alias.s);
            break;
        }
    }
    put(pr, " FROM "), put_source(pr, &q->from);
    for (size_t i = 0; i < q->njoins; i++) {
        const sl_sql_join_t *j = q->joins[i];
        put(pr, " "), put(pr, joins[j->kind]), put_source(pr, &j->source);
        if (j->before.set) {
            put(pr, " WITHIN ");
            if (j->within_pair)
                put(pr, "("), put_duration(pr, &j->before), put(pr, ", "), put_duration(pr, &j->after), put(pr, ")");
            else
                put_duration(pr, &j->before);
            if (j->grace.set)
                put(pr, " GRACE PERIOD "), put_duration(pr, &j->grace);
        }
        put(pr, " ON "), put_sub(pr, j->on, 1);
    }
    if (q->window)
        put_window(pr, q->window);
    if (q->where)
        put(pr, " WHERE "), put_sub(pr, q->where, 1);
    if (q->ngroup_by)
        put(pr, " GROUP BY "), put_list(pr, q->group_by, q->ngroup_by, 1);
    if (q->npartition_by)
        put(pr, " PARTITION BY "), put_list(pr, q->partition_by, q->npartition_by, 1);
    if (q->having)
        put(pr, " HAVING "), put_sub(pr, q->having, 1);
    if (q->emit != SL_SQL_EMIT_NONE)
        put(pr, q->emit == SL_SQL_EMIT_CHANGES ? " EMIT CHANGES" : " EMIT FINAL");
    if (q->has_limit)
        putf(pr, " LIMIT %" PRId64, q->limit);
}

static void put_stmt(printer_t *pr, const sl_sql_stmt_t *s)
{
    static const char *const roles[] = {"", " KEY", " PRIMARY KEY", " HEADERS", ""};
    static const char *const shows[] = {"STREAMS", "TABLES", "QUERIES", "TOPICS",
                                        "FUNCTIONS", "TYPES", "PROPERTIES", "VARIABLES"};
    switch (s->kind) {
    case SL_SQL_STMT_SELECT:
        put_query(pr, s->query);
        break;
    case SL_SQL_STMT_CREATE_SOURCE:
    case SL_SQL_STMT_CREATE_AS:
        put(pr, "CREATE ");
        if (s->create.or_replace)
            put(pr, "OR REPLACE ");
        if (s->create.source)
            put(pr, "SOURCE ");
        put(pr, s->create.table ? "TABLE " : "STREAM ");
        if (s->create.if_not_exists)
            put(pr, "IF NOT EXISTS ");
        put_name(pr, s->create.name.s);
        if (s->create.ncolumns) {
            put(pr, " (");
            for (size_t i = 0; i < s->create.ncolumns; i++) {
                const sl_sql_ast_column_t *c = s->create.columns[i];
                if (i)
                    put(pr, ", ");
                put_name(pr, c->name.s), put(pr, " "), put_type(pr, c->type), put(pr, roles[c->role]);
                if (c->role == SL_SQL_COL_HEADER)
                    put(pr, " HEADER("), put_string(pr, c->header_key, strlen(c->header_key)), put(pr, ")");
            }
            put(pr, ")");
        }
        put_props(pr, s->create.props, s->create.nprops);
        if (s->kind == SL_SQL_STMT_CREATE_AS)
            put(pr, " AS "), put_query(pr, s->create.query);
        break;
    case SL_SQL_STMT_INSERT_SELECT:
    case SL_SQL_STMT_INSERT_VALUES:
        put(pr, "INSERT INTO "), put_name(pr, s->insert.target.s);
        if (s->insert.ncolumns) {
            put(pr, " (");
            for (size_t i = 0; i < s->insert.ncolumns; i++)
                put(pr, i ? ", " : ""), put_name(pr, s->insert.columns[i].s);
            put(pr, ")");
        }
        if (s->kind == SL_SQL_STMT_INSERT_SELECT) {
            put_props(pr, s->insert.props, s->insert.nprops);
            put(pr, " "), put_query(pr, s->insert.query);
        } else {
            put(pr, " VALUES ("), put_list(pr, s->insert.values, s->insert.nvalues, 1), put(pr, ")");
        }
        break;
    case SL_SQL_STMT_DROP_SOURCE:
    case SL_SQL_STMT_DROP_TYPE:
        put(pr, s->kind == SL_SQL_STMT_DROP_TYPE ? "DROP TYPE " : s->drop.table ? "DROP TABLE " : "DROP STREAM ");
        if (s->drop.if_exists)
            put(pr, "IF EXISTS ");
        put_name(pr, s->drop.name.s);
        if (s->drop.delete_topic)
            put(pr, " DELETE TOPIC");
        break;
    case SL_SQL_STMT_CREATE_TYPE:
        put(pr, s->create_type.if_not_exists ? "CREATE TYPE IF NOT EXISTS " : "CREATE TYPE ");
        put_name(pr, s->create_type.name.s), put(pr, " AS "), put_type(pr, s->create_type.type);
        break;
    case SL_SQL_STMT_DEFINE:
        put(pr, "DEFINE "), put(pr, s->define.name.s), put(pr, " = ");
        put_string(pr, s->define.value, strlen(s->define.value));
        break;
    case SL_SQL_STMT_UNDEFINE:
        put(pr, "UNDEFINE "), put(pr, s->define.name.s);
        break;
    case SL_SQL_STMT_SET:
        put(pr, "SET "), put_string(pr, s->set.name, strlen(s->set.name)), put(pr, " = ");
        put_string(pr, s->set.value, strlen(s->set.value));
        break;
    case SL_SQL_STMT_UNSET:
        put(pr, "UNSET "), put_string(pr, s->set.name, strlen(s->set.name));
        break;
    case SL_SQL_STMT_SHOW:
        put(pr, "SHOW "), put(pr, s->show.all ? "ALL " : ""), put(pr, shows[s->show.what]);
        put(pr, s->show.extended ? " EXTENDED" : "");
        break;
    case SL_SQL_STMT_DESCRIBE:
        put(pr, "DESCRIBE ");
        if (s->describe.streams || s->describe.tables)
            put(pr, s->describe.streams ? "STREAMS" : "TABLES");
        else
            put_name(pr, s->describe.name.s);
        put(pr, s->describe.extended ? " EXTENDED" : "");
        break;
    case SL_SQL_STMT_DESCRIBE_FUNCTION:
        put(pr, "DESCRIBE FUNCTION "), put_name(pr, s->describe.name.s);
        break;
    case SL_SQL_STMT_EXPLAIN:
        put(pr, "EXPLAIN ");
        if (s->explain.stmt)
            put_stmt(pr, s->explain.stmt);
        else
            put_name(pr, s->explain.query_id.s);
        break;
    case SL_SQL_STMT_PRINT:
        put(pr, "PRINT ");
        if (s->print.quoted)
            put_string(pr, s->print.topic.s, strlen(s->print.topic.s));
        else
            put_name(pr, s->print.topic.s);
        if (s->print.from_beginning)
            put(pr, " FROM BEGINNING");
        if (s->print.interval >= 0)
            putf(pr, " INTERVAL %" PRId64, s->print.interval);
        if (s->print.limit >= 0)
            putf(pr, " LIMIT %" PRId64, s->print.limit);
        break;
    case SL_SQL_STMT_TERMINATE:
        put(pr, "TERMINATE ");
        if (s->terminate.all)
            put(pr, "ALL");
        else
            put_name(pr, s->terminate.query_id.s);
        break;
    case SL_SQL_STMT_RUN_SCRIPT:
        put(pr, "RUN SCRIPT "), put_string(pr, s->run_script.path, strlen(s->run_script.path));
        break;
    }
}

sl_err_t sl_sql_stmt_print(const sl_sql_stmt_t *stmt, sl_buf_t *out)
{
    printer_t pr = {out, SL_OK};
    put_stmt(&pr, stmt);
    return pr.err;
}

sl_err_t sl_sql_expr_print(const sl_sql_expr_t *e, sl_buf_t *out)
{
    printer_t pr = {out, SL_OK};
    put_expr(&pr, e);
    return pr.err;
}

sl_err_t sl_sql_ast_type_print(const sl_sql_ast_type_t *t, sl_buf_t *out)
{
    printer_t pr = {out, SL_OK};
    put_type(&pr, t);
    return pr.err;
}

sl_err_t sl_sql_name_print(const char *name, sl_buf_t *out)
{
    printer_t pr = {out, SL_OK};
    put_name(&pr, name);
    return pr.err;
}

/* ---- printing a tree --------------------------------------------------------------------------------- */

static void tree_line(printer_t *pr, int depth, sl_sql_pos_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void tree_line(printer_t *pr, int depth, sl_sql_pos_t pos, const char *fmt, ...)
{
    char tmp[256];
    for (int i = 0; i < depth; i++)
        put(pr, "  ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put_n(pr, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    if (pos.line)
        putf(pr, " @%u:%u", (unsigned)pos.line, (unsigned)pos.col);
    put(pr, "\n");
}

/* A node's one-line SQL, for labels. */
static const char *sql_of(printer_t *pr, sl_buf_t *tmp, const sl_sql_expr_t *e, const sl_sql_ast_type_t *t)
{
    printer_t sub = {tmp, SL_OK};
    sl_buf_reset(tmp);
    if (e)
        put_expr(&sub, e);
    if (t)
        put_type(&sub, t);
    put_n(&sub, "", 1);
    if (sub.err && !pr->err)
        pr->err = sub.err;
    return sub.err ? "?" : (const char *)tmp->data;
}

static void tree_expr(printer_t *pr, sl_buf_t *tmp, const sl_sql_expr_t *e, int d)
{
    static const char *const kinds[] = {
        "NULL", "BOOL", "INT", "BIGINT", "DECIMAL", "DOUBLE", "STRING", "COLUMN", "UNARY", "BINARY",
        "BETWEEN", "IN", "LIKE", "IS_NULL", "IS_DISTINCT", "CASE", "CAST", "DEREF", "SUBSCRIPT", "CALL",
        "LAMBDA", "ARRAY", "MAP", "STRUCT", "TIME_UNIT"};
    const char *k = kinds[e->kind], *neg = e->negated ? " NOT" : "";
    switch (e->kind) {
    case SL_SQL_EXPR_UNARY:
    case SL_SQL_EXPR_BINARY:
        tree_line(pr, d, e->pos, "%s %s", k, sl_sql_op_str(e->op.op));
        tree_expr(pr, tmp, e->op.a, d + 1);
        if (e->kind == SL_SQL_EXPR_BINARY)
            tree_expr(pr, tmp, e->op.b, d + 1);
        return;
    case SL_SQL_EXPR_BETWEEN:
        tree_line(pr, d, e->pos, "%s%s", k, neg);
        tree_expr(pr, tmp, e->between.a, d + 1), tree_expr(pr, tmp, e->between.lo, d + 1);
        tree_expr(pr, tmp, e->between.hi, d + 1);
        return;
    case SL_SQL_EXPR_IN:
        tree_line(pr, d, e->pos, "%s%s", k, neg);
        tree_expr(pr, tmp, e->in.a, d + 1);
        for (size_t i = 0; i < e->in.n; i++)
            tree_expr(pr, tmp, e->in.items[i], d + 1);
        return;
    case SL_SQL_EXPR_LIKE:
        tree_line(pr, d, e->pos, "%s%s%s%s%s", k, neg, e->like.escape ? " ESCAPE '" : "",
                  e->like.escape ? e->like.escape : "", e->like.escape ? "'" : "");
        tree_expr(pr, tmp, e->like.a, d + 1), tree_expr(pr, tmp, e->like.pattern, d + 1);
        return;
    case SL_SQL_EXPR_IS_NULL:
    case SL_SQL_EXPR_IS_DISTINCT:
    case SL_SQL_EXPR_SUBSCRIPT:
        tree_line(pr, d, e->pos, "%s%s", k, neg);
        tree_expr(pr, tmp, e->op.a, d + 1);
        if (e->op.b)
            tree_expr(pr, tmp, e->op.b, d + 1);
        return;
    case SL_SQL_EXPR_CASE:
        tree_line(pr, d, e->pos, "%s", k);
        if (e->case_.operand)
            tree_expr(pr, tmp, e->case_.operand, d + 1);
        for (size_t i = 0; i < e->case_.nwhens; i++) {
            tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "WHEN");
            tree_expr(pr, tmp, e->case_.whens[i]->cond, d + 2);
            tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "THEN");
            tree_expr(pr, tmp, e->case_.whens[i]->result, d + 2);
        }
        if (e->case_.else_) {
            tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "ELSE");
            tree_expr(pr, tmp, e->case_.else_, d + 2);
        }
        return;
    case SL_SQL_EXPR_CAST:
        tree_line(pr, d, e->pos, "%s AS %s", k, sql_of(pr, tmp, NULL, e->cast.type));
        tree_expr(pr, tmp, e->cast.a, d + 1);
        return;
    case SL_SQL_EXPR_DEREF:
        tree_line(pr, d, e->pos, "%s ->%s", k, e->deref.field.s);
        tree_expr(pr, tmp, e->deref.a, d + 1);
        return;
    case SL_SQL_EXPR_CALL:
        tree_line(pr, d, e->pos, "%s %s%s", k, e->call.name.s, e->call.star ? "(*)" : "");
        for (size_t i = 0; i < e->call.nargs; i++)
            tree_expr(pr, tmp, e->call.args[i], d + 1);
        return;
    case SL_SQL_EXPR_LAMBDA:
        tree_line(pr, d, e->pos, "%s %zu param(s)", k, e->lambda.nparams);
        for (size_t i = 0; i < e->lambda.nparams; i++)
            tree_line(pr, d + 1, e->lambda.params[i].pos, "PARAM %s", e->lambda.params[i].s);
        tree_expr(pr, tmp, e->lambda.body, d + 1);
        return;
    case SL_SQL_EXPR_ARRAY:
        tree_line(pr, d, e->pos, "%s", k);
        for (size_t i = 0; i < e->list.n; i++)
            tree_expr(pr, tmp, e->list.items[i], d + 1);
        return;
    case SL_SQL_EXPR_MAP:
        tree_line(pr, d, e->pos, "%s", k);
        for (size_t i = 0; i < e->map.n; i++)
            tree_expr(pr, tmp, e->map.keys[i], d + 1), tree_expr(pr, tmp, e->map.values[i], d + 2);
        return;
    case SL_SQL_EXPR_STRUCT:
        tree_line(pr, d, e->pos, "%s", k);
        for (size_t i = 0; i < e->struct_.n; i++) {
            tree_line(pr, d + 1, e->struct_.names[i].pos, "FIELD %s", e->struct_.names[i].s);
            tree_expr(pr, tmp, e->struct_.values[i], d + 2);
        }
        return;
    default: /* leaves */
        tree_line(pr, d, e->pos, "%s %s", k, sql_of(pr, tmp, e, NULL));
        return;
    }
}

static void tree_query(printer_t *pr, sl_buf_t *tmp, const sl_sql_query_t *q, int d)
{
    static const char *const joins[] = {"INNER", "LEFT", "RIGHT", "FULL"};
    static const char *const emits[] = {"", "EMIT CHANGES", "EMIT FINAL"};
    tree_line(pr, d, q->pos, "QUERY");
    for (size_t i = 0; i < q->nitems; i++) {
        const sl_sql_select_item_t *it = q->items[i];
        if (it->kind == SL_SQL_SELECT_STAR)
            tree_line(pr, d + 1, it->pos, "ITEM *");
        else if (it->kind == SL_SQL_SELECT_SOURCE_STAR)
            tree_line(pr, d + 1, it->pos, "ITEM %s.*", it->qualifier.s);
        else {
            tree_line(pr, d + 1, it->pos, "ITEM%s%s%s", it->kind == SL_SQL_SELECT_STRUCT_STAR ? " ->*" : "",
                      it->alias.s ? " AS " : "", it->alias.s ? it->alias.s : "");
            tree_expr(pr, tmp, it->expr, d + 2);
        }
    }
    tree_line(pr, d + 1, q->from.name.pos, "FROM %s%s%s", q->from.name.s, q->from.alias.s ? " " : "",
              q->from.alias.s ? q->from.alias.s : "");
    for (size_t i = 0; i < q->njoins; i++) {
        const sl_sql_join_t *j = q->joins[i];
        tree_line(pr, d + 1, j->pos, "JOIN %s %s%s%s", joins[j->kind], j->source.name.s, j->source.alias.s ? " " : "",
                  j->source.alias.s ? j->source.alias.s : "");
        if (j->before.set)
            tree_line(pr, d + 2, j->before.pos, "WITHIN %" PRId64 " ms BEFORE, %" PRId64 " ms AFTER%s",
                      sl_sql_duration_ms(&j->before), sl_sql_duration_ms(&j->after), j->grace.set ? ", GRACE" : "");
        tree_line(pr, d + 2, (sl_sql_pos_t){0, 0, 0}, "ON");
        tree_expr(pr, tmp, j->on, d + 3);
    }
    if (q->window) {
        static const char *const kinds[] = {"TUMBLING", "HOPPING", "SESSION"};
        const sl_sql_window_t *w = q->window;
        char adv[48] = "";
        if (w->kind == SL_SQL_WINDOW_HOPPING)
            snprintf(adv, sizeof adv, ", advance %" PRId64 " ms", sl_sql_duration_ms(&w->advance));
        tree_line(pr, d + 1, w->pos, "WINDOW %s size %" PRId64 " ms%s%s%s", kinds[w->kind],
                  sl_sql_duration_ms(&w->size), adv, w->retention.set ? ", retention" : "",
                  w->grace.set ? ", grace" : "");
    }
    struct { const char *name; sl_sql_expr_t *e; } one[] = {{"WHERE", q->where}, {"HAVING", q->having}};
    for (size_t i = 0; i < 2; i++)
        if (one[i].e)
            tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "%s", one[i].name), tree_expr(pr, tmp, one[i].e, d + 2);
    if (q->ngroup_by)
        tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "GROUP BY");
    for (size_t i = 0; i < q->ngroup_by; i++)
        tree_expr(pr, tmp, q->group_by[i], d + 2);
    if (q->npartition_by)
        tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "PARTITION BY");
    for (size_t i = 0; i < q->npartition_by; i++)
        tree_expr(pr, tmp, q->partition_by[i], d + 2);
    if (q->emit)
        tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "%s", emits[q->emit]);
    if (q->has_limit)
        tree_line(pr, d + 1, (sl_sql_pos_t){0, 0, 0}, "LIMIT %" PRId64, q->limit);
}

static void tree_stmt(printer_t *pr, sl_buf_t *tmp, const sl_sql_stmt_t *s, int d)
{
    const char *kind = sl_sql_stmt_kind_str(s->kind);
    switch (s->kind) {
    case SL_SQL_STMT_SELECT:
        tree_line(pr, d, s->pos, "%s", kind);
        tree_query(pr, tmp, s->query, d + 1);
        return;
    case SL_SQL_STMT_CREATE_SOURCE:
    case SL_SQL_STMT_CREATE_AS:
        tree_line(pr, d, s->pos, "%s %s %s%s%s%s", kind, s->create.table ? "TABLE" : "STREAM", s->create.name.s,
                  s->create.or_replace ? " OR REPLACE" : "", s->create.source ? " SOURCE" : "",
                  s->create.if_not_exists ? " IF NOT EXISTS" : "");
        for (size_t i = 0; i < s->create.ncolumns; i++) {
            static const char *const roles[] = {"", " KEY", " PRIMARY KEY", " HEADERS", " HEADER"};
            const sl_sql_ast_column_t *c = s->create.columns[i];
            tree_line(pr, d + 1, c->name.pos, "COLUMN %s %s%s%s", c->name.s, sql_of(pr, tmp, NULL, c->type),
                      roles[c->role], c->header_key ? c->header_key : "");
        }
        for (size_t i = 0; i < s->create.nprops; i++)
            tree_line(pr, d + 1, s->create.props[i]->name.pos, "PROPERTY %s = %s", s->create.props[i]->name.s,
                      sql_of(pr, tmp, s->create.props[i]->value, NULL));
        if (s->create.query)
            tree_query(pr, tmp, s->create.query, d + 1);
        return;
    case SL_SQL_STMT_INSERT_SELECT:
    case SL_SQL_STMT_INSERT_VALUES:
        tree_line(pr, d, s->pos, "%s %s", kind, s->insert.target.s);
        for (size_t i = 0; i < s->insert.ncolumns; i++)
            tree_line(pr, d + 1, s->insert.columns[i].pos, "COLUMN %s", s->insert.columns[i].s);
        for (size_t i = 0; i < s->insert.nprops; i++)
            tree_line(pr, d + 1, s->insert.props[i]->name.pos, "PROPERTY %s = %s", s->insert.props[i]->name.s,
                      sql_of(pr, tmp, s->insert.props[i]->value, NULL));
        for (size_t i = 0; i < s->insert.nvalues; i++)
            tree_expr(pr, tmp, s->insert.values[i], d + 1);
        if (s->insert.query)
            tree_query(pr, tmp, s->insert.query, d + 1);
        return;
    case SL_SQL_STMT_EXPLAIN:
        if (s->explain.stmt) {
            tree_line(pr, d, s->pos, "%s", kind);
            tree_stmt(pr, tmp, s->explain.stmt, d + 1);
            return;
        }
        break;
    default:
        break;
    }
    /* The rest carry no expressions: their SQL says it all. */
    printer_t sub = {tmp, SL_OK};
    sl_buf_reset(tmp);
    put_stmt(&sub, s);
    put_n(&sub, "", 1);
    tree_line(pr, d, s->pos, "%s: %s", kind, sub.err ? "?" : (const char *)tmp->data);
    if (sub.err && !pr->err)
        pr->err = sub.err;
}

sl_err_t sl_sql_stmt_print_tree(const sl_sql_stmt_t *stmt, sl_buf_t *out)
{
    printer_t pr = {out, SL_OK};
    sl_buf_t tmp = SL_BUF_INIT;
    tree_stmt(&pr, &tmp, stmt, 0);
    sl_buf_free(&tmp);
    return pr.err;
}

/* ---- walking ---------------------------------------------------------------------------------- */

int sl_sql_expr_each_child(const sl_sql_expr_t *e,
                           int (*fn)(void *arg, const sl_sql_expr_t *child), void *arg)
{
    const sl_sql_expr_t *const *v = NULL; /* a list of children, or... */
    const sl_sql_expr_t *one[3] = {NULL, NULL, NULL}; /* ...up to three fixed ones */
    size_t n = 0;
    int rc;
    if (!e)
        return 0;
    switch (e->kind) {
    case SL_SQL_EXPR_UNARY:
    case SL_SQL_EXPR_BINARY:
    case SL_SQL_EXPR_IS_NULL:
    case SL_SQL_EXPR_IS_DISTINCT:
    case SL_SQL_EXPR_SUBSCRIPT:
        one[0] = e->op.a, one[1] = e->op.b;
        break;
    case SL_SQL_EXPR_BETWEEN:
        one[0] = e->between.a, one[1] = e->between.lo, one[2] = e->between.hi;
        break;
    case SL_SQL_EXPR_IN:
        if (e->in.a && (rc = fn(arg, e->in.a)))
            return rc;
        v = (const sl_sql_expr_t *const *)e->in.items, n = e->in.n;
        break;
    case SL_SQL_EXPR_LIKE:
        one[0] = e->like.a, one[1] = e->like.pattern;
        break;
    case SL_SQL_EXPR_CASE:
        if ((e->case_.operand && (rc = fn(arg, e->case_.operand))) ||
            (e->case_.else_ && (rc = fn(arg, e->case_.else_))))
            return rc;
        for (size_t i = 0; i < e->case_.nwhens; i++)
            if ((rc = fn(arg, e->case_.whens[i]->cond)) || (rc = fn(arg, e->case_.whens[i]->result)))
                return rc;
        return 0;
    case SL_SQL_EXPR_CAST:
        one[0] = e->cast.a;
        break;
    case SL_SQL_EXPR_DEREF:
        one[0] = e->deref.a;
        break;
    case SL_SQL_EXPR_CALL:
        v = (const sl_sql_expr_t *const *)e->call.args, n = e->call.nargs;
        break;
    case SL_SQL_EXPR_LAMBDA:
        one[0] = e->lambda.body;
        break;
    case SL_SQL_EXPR_ARRAY:
        v = (const sl_sql_expr_t *const *)e->list.items, n = e->list.n;
        break;
    case SL_SQL_EXPR_MAP:
        for (size_t i = 0; i < e->map.n; i++)
            if ((rc = fn(arg, e->map.keys[i])) || (rc = fn(arg, e->map.values[i])))
                return rc;
        return 0;
    case SL_SQL_EXPR_STRUCT:
        v = (const sl_sql_expr_t *const *)e->struct_.values, n = e->struct_.n;
        break;
    default:
        return 0;
    }
    for (size_t i = 0; i < 3; i++)
        if (one[i] && (rc = fn(arg, one[i])))
            return rc;
    for (size_t i = 0; i < n; i++)
        if (v[i] && (rc = fn(arg, v[i])))
            return rc;
    return 0;
}
