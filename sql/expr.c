/* expr.c — the expression compiler (AST + scope -> typed tree of resolved
 * nodes, literal-only subtrees folded) and its evaluator (one recursive walk
 * per record, values from the caller's allocator, no malloc). See expr.h for
 * the semantics. */

#include "sql/catalog.h"
#include "sql/sql_parse.h"
#include "sql/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef sl_sql_i128_t i128;
__extension__ typedef unsigned __int128 u128;

/* Lambda parameters of one expression (all lambdas, nested or not), and the
 * arguments one call evaluates on the C stack before falling back to ctx->al. */
#define MAX_LVARS 32
#define STACK_ARGS 8

/* ---- the compiled form ------------------------------------------------------------- */

typedef enum nkind {
    N_CONST, N_COL, N_PSEUDO, N_LVAR, N_NEG, N_ARITH, N_CMP, N_AND, N_OR, N_NOT, N_BETWEEN, N_IN, N_LIKE,
    N_ISNULL, N_DISTINCT, N_CASE, N_CAST, N_DEREF, N_SUBSCRIPT, N_CALL, N_ARRAY, N_MAP, N_STRUCT
} nkind_t;

typedef struct node node_t;

/* A lambda argument of a call: its parameters are lvars[first .. first+n). */
typedef struct lambda {
    uint32_t first, nparams;
    node_t *body;
} lambda_t;

struct node {
    uint8_t kind;      /* nkind_t */
    uint8_t op;        /* N_ARITH, N_CMP: sl_sql_op_t */
    uint8_t negated;   /* BETWEEN, IN, LIKE, IS NULL, IS DISTINCT */
    uint8_t has_operand, has_else; /* CASE */
    int32_t escape;    /* LIKE: the ESCAPE byte, -1 when none */
    uint32_t idx;      /* COL: slot; PSEUDO: sl_sql_pseudo_t; LVAR: var; DEREF: field */
    const sl_sql_type_t *type; /* the result's type; NULL for an untyped NULL literal */
    node_t **k;        /* operands (CALL: NULL where the argument is a lambda) */
    uint32_t nk;
    sl_sql_value_t v;  /* CONST */
    const sl_sql_fn_call_t *call; /* CALL */
    lambda_t **lambdas;           /* CALL: its lambda arguments, in order */
    uint32_t nlambdas;
};

struct sl_sql_cexpr {
    node_t *root;
    uint32_t nvars; /* lambda variables the evaluation needs */
};

/* ---- small helpers ------------------------------------------------------------------ */

static const sl_sql_type_t *P(sl_sql_base_t b) { return sl_sql_type_prim(b); }

static sl_sql_value_t vnull(const sl_sql_type_t *t)
{
    if (t)
        return sl_sql_value_null(t);
    sl_sql_value_t v = {.base = SL_SQL_STRING, .is_null = 1};
    return v;
}

static int is_num(const sl_sql_type_t *t) { return t && sl_sql_type_is_numeric(t); }

/* INT 1 < BIGINT 2 < DECIMAL 3 < DOUBLE 4: ksqlDB's implicit widening order. */
static int num_rank(const sl_sql_type_t *t)
{
    switch (t ? t->base : 0) {
    case SL_SQL_INT: return 1;
    case SL_SQL_BIGINT: return 2;
    case SL_SQL_DECIMAL: return 3;
    case SL_SQL_DOUBLE: return 4;
    default: return 0;
    }
}

static int is_time(const sl_sql_type_t *t)
{
    return t && (t->base == SL_SQL_DATE || t->base == SL_SQL_TIME || t->base == SL_SQL_TIMESTAMP);
}

/* ---- the compiler ---------------------------------------------------------------------- */

typedef struct lvar {
    const char *name;
    uint32_t var;
    const sl_sql_type_t *type;
} lvar_t;

typedef struct cc {
    sl_arena_t *arena;
    sl_sql_alloc_t al;
    const sl_sql_scope_t *scope;
    const char *clause;
    const sl_sql_expr_opts_t *opts;
    sl_sql_error_t *err;
    lvar_t lv[MAX_LVARS]; /* lambda parameters in scope, innermost last */
    uint32_t nlv;
    uint32_t nvars;       /* lambda variables allocated so far */
} cc_t;

static sl_err_t fail(cc_t *c, const sl_sql_expr_t *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static sl_err_t fail(cc_t *c, const sl_sql_expr_t *at, const char *fmt, ...)
{
    if (c->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
        va_end(ap);
        c->err->line = at ? at->pos.line : 0;
        c->err->col = at ? at->pos.col : 0;
        c->err->offset = at ? at->pos.off : 0;
    }
    return SL_ERR_INVAL;
}

static sl_err_t nomem(cc_t *c)
{
    if (c->err) {
        snprintf(c->err->message, sizeof c->err->message, "out of memory");
        c->err->line = c->err->col = 0;
        c->err->offset = 0;
    }
    return SL_ERR_NOMEM;
}

/* e as SQL text for messages (arena memory; "?" when memory runs out).
 * Arithmetic is parenthesised, as ksqlDB's formatter does. */
static const char *etext(cc_t *c, const sl_sql_expr_t *e)
{
    sl_buf_t b;
    sl_buf_init(&b);
    int paren = e->kind == SL_SQL_EXPR_BINARY && e->op.op >= SL_SQL_OP_ADD && e->op.op <= SL_SQL_OP_MOD;
    char *s = NULL;
    if ((!paren || sl_buf_append(&b, "(", 1) == SL_OK) && sl_sql_expr_print(e, &b) == SL_OK &&
        (!paren || sl_buf_append(&b, ")", 1) == SL_OK) && (s = sl_arena_alloc(c->arena, b.len + 1))) {
        memcpy(s, b.data, b.len);
        s[b.len] = 0;
    }
    sl_buf_free(&b);
    return s ? s : "?";
}

/* t spelled as ksqlDB prints it ("INTEGER", "DECIMAL(4, 2)"); "NULL" for no type. */
static const char *tname(cc_t *c, const sl_sql_type_t *t)
{
    if (!t)
        return "NULL";
    sl_buf_t b;
    sl_buf_init(&b);
    char *s = NULL;
    if (sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b) == SL_OK && (s = sl_arena_alloc(c->arena, b.len + 1))) {
        memcpy(s, b.data, b.len);
        s[b.len] = 0;
    }
    sl_buf_free(&b);
    return s ? s : "?";
}

static const char *bname(const sl_sql_type_t *t) { return t ? sl_sql_base_name(t->base) : "NULL"; }

static node_t *mk(cc_t *c, nkind_t kind, const sl_sql_type_t *type, uint32_t nk)
{
    node_t *n = sl_arena_alloc(c->arena, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->type = type;
    n->escape = -1;
    if (nk) {
        n->k = sl_arena_alloc(c->arena, nk * sizeof *n->k);
        if (!n->k)
            return NULL;
        memset(n->k, 0, nk * sizeof *n->k);
    }
    n->nk = nk;
    return n;
}

static sl_err_t decimal_type(cc_t *c, const sl_sql_expr_t *at, int p, int s, const sl_sql_type_t **out)
{
    /* 128 bits hold 38 digits: ksqlDB's formulas may ask for more. */
    if (p > SL_SQL_DECIMAL_MAX_PRECISION)
        p = SL_SQL_DECIMAL_MAX_PRECISION;
    if (s > p)
        s = p;
    char eb[256];
    sl_err_t err = sl_sql_type_decimal(&c->al, p, s, out, eb, sizeof eb);
    if (err == SL_ERR_NOMEM)
        return nomem(c);
    return err ? fail(c, at, "%s", eb) : SL_OK;
}

/* A numeric type as a DECIMAL: INT is DECIMAL(10, 0), BIGINT DECIMAL(19, 0). */
static void as_decimal(const sl_sql_type_t *t, int *p, int *s)
{
    if (t->base == SL_SQL_INT)
        *p = 10, *s = 0;
    else if (t->base == SL_SQL_BIGINT)
        *p = 19, *s = 0;
    else
        *p = t->precision, *s = t->scale;
}

/* The common type of types[0..n) (NULLs ignored) under numeric widening;
 * *out NULL when all are NULL. Returns -1 when there is none. */
static int common_type(cc_t *c, const sl_sql_type_t *const *types, size_t n, const sl_sql_type_t **out)
{
    const sl_sql_type_t *t = NULL;
    int rank = 0, intd = 0, sc = 0, alleq = 1;
    for (size_t i = 0; i < n; i++) {
        const sl_sql_type_t *u = types[i];
        if (!u)
            continue;
        if (!t)
            t = u;
        else if (!sl_sql_type_equal(t, u))
            alleq = 0;
        int r = num_rank(u);
        if (r) {
            int p, s;
            as_decimal(u->base == SL_SQL_DOUBLE ? P(SL_SQL_BIGINT) : u, &p, &s);
            if (p - s > intd)
                intd = p - s;
            if (s > sc)
                sc = s;
            if (r > rank)
                rank = r;
        }
    }
    *out = t;
    if (!t || alleq)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (types[i] && !num_rank(types[i]))
            return -1;
    if (rank == 3) {
        if (decimal_type(c, NULL, intd + sc, sc, out))
            return -2;
        return 0;
    }
    *out = P(rank == 4 ? SL_SQL_DOUBLE : rank == 2 ? SL_SQL_BIGINT : SL_SQL_INT);
    return 0;
}

static sl_err_t fold(cc_t *c, node_t *n);

/* Makes *n of type to: a NULL literal takes the type, a number widens through
 * a CAST node. The caller has checked that the two are compatible. */
static sl_err_t coerce(cc_t *c, node_t **n, const sl_sql_type_t *to)
{
    if (!to || ((*n)->type && sl_sql_type_equal((*n)->type, to)))
        return SL_OK;
    if (!(*n)->type) {
        (*n)->type = to;
        if ((*n)->kind == N_CONST)
            (*n)->v = sl_sql_value_null(to);
        return SL_OK;
    }
    node_t *k = mk(c, N_CAST, to, 1);
    if (!k)
        return nomem(c);
    k->k[0] = *n;
    *n = k;
    return fold(c, k);
}

/* ---- evaluation (shared with folding) ------------------------------------------------- */

typedef struct ev {
    const sl_sql_value_t *row, *pseudo;
    sl_sql_fn_ctx_t *ctx;
    sl_sql_value_t *lvars;
    const node_t *cur_call;
} ev_t;

static sl_err_t ev(ev_t *s, const node_t *n, sl_sql_value_t *out);

static sl_err_t call_lambda(sl_sql_fn_ctx_t *ctx, size_t li, const sl_sql_value_t *args, size_t nargs,
                            sl_sql_value_t *out);

/* Evaluates a literal-only node now and makes it a constant; a node whose
 * evaluation fails (1/0) stays as it is and fails at run time. */
static sl_err_t fold(cc_t *c, node_t *n)
{
    if (n->kind == N_CONST || n->kind == N_COL || n->kind == N_PSEUDO || n->kind == N_LVAR)
        return SL_OK;
    if (n->kind == N_CALL && (n->nlambdas || (n->call->ov->flags & SL_SQL_FN_VOLATILE)))
        return SL_OK;
    for (uint32_t i = 0; i < n->nk; i++)
        if (n->k[i] && n->k[i]->kind != N_CONST)
            return SL_OK;
    char eb[256];
    sl_sql_fn_ctx_t fctx = {.al = &c->al, .errbuf = eb, .errlen = sizeof eb};
    ev_t s = {.ctx = &fctx};
    sl_sql_value_t v;
    sl_err_t err = ev(&s, n, &v);
    if (err == SL_ERR_NOMEM)
        return nomem(c);
    if (err)
        return SL_OK;
    n->kind = N_CONST;
    n->v = v;
    n->nk = 0;
    return SL_OK;
}

/* ---- compiling each form ----------------------------------------------------------------- */

static sl_err_t comp(cc_t *c, const sl_sql_expr_t *e, node_t **out);

static sl_err_t conv_type(cc_t *c, const sl_sql_expr_t *at, const sl_sql_ast_type_t *t, const sl_sql_type_t **out)
{
    char eb[256];
    sl_err_t err = SL_OK;
    if (c->opts && c->opts->catalog) {
        err = sl_sql_catalog_resolve_type(c->opts->catalog, t, &c->al, out, eb, sizeof eb);
        if (err == SL_ERR_NOMEM)
            return nomem(c);
        return err ? fail(c, at, "%s", eb) : SL_OK;
    }
    switch (t->kind) {
    case SL_SQL_TYPE_BOOLEAN: *out = P(SL_SQL_BOOLEAN); return SL_OK;
    case SL_SQL_TYPE_INT: *out = P(SL_SQL_INT); return SL_OK;
    case SL_SQL_TYPE_BIGINT: *out = P(SL_SQL_BIGINT); return SL_OK;
    case SL_SQL_TYPE_DOUBLE: *out = P(SL_SQL_DOUBLE); return SL_OK;
    case SL_SQL_TYPE_STRING: *out = P(SL_SQL_STRING); return SL_OK;
    case SL_SQL_TYPE_BYTES: *out = P(SL_SQL_BYTES); return SL_OK;
    case SL_SQL_TYPE_DATE: *out = P(SL_SQL_DATE); return SL_OK;
    case SL_SQL_TYPE_TIME: *out = P(SL_SQL_TIME); return SL_OK;
    case SL_SQL_TYPE_TIMESTAMP: *out = P(SL_SQL_TIMESTAMP); return SL_OK;
    case SL_SQL_TYPE_DECIMAL:
        err = sl_sql_type_decimal(&c->al, t->precision, t->scale, out, eb, sizeof eb);
        break;
    case SL_SQL_TYPE_ARRAY: {
        const sl_sql_type_t *it;
        if ((err = conv_type(c, at, t->elem, &it)))
            return err;
        return (*out = sl_sql_type_array(&c->al, it)) ? SL_OK : nomem(c);
    }
    case SL_SQL_TYPE_MAP: {
        const sl_sql_type_t *k, *v;
        if ((err = conv_type(c, at, t->key, &k)) || (err = conv_type(c, at, t->elem, &v)))
            return err;
        err = sl_sql_type_map(&c->al, k, v, out, eb, sizeof eb);
        break;
    }
    case SL_SQL_TYPE_STRUCT: {
        sl_sql_field_t *f = sl_arena_alloc(c->arena, (t->nfields + 1) * sizeof *f);
        if (!f)
            return nomem(c);
        for (size_t i = 0; i < t->nfields; i++) {
            f[i].name = t->fields[i]->name.s;
            if ((err = conv_type(c, at, t->fields[i]->type, &f[i].type)))
                return err;
        }
        err = sl_sql_type_struct(&c->al, f, t->nfields, out, eb, sizeof eb);
        break;
    }
    case SL_SQL_TYPE_CUSTOM:
        return fail(c, at, "Unknown type: %s", t->name);
    }
    if (err == SL_ERR_NOMEM)
        return nomem(c);
    return err ? fail(c, at, "%s", eb) : SL_OK;
}

static sl_err_t comp_column(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    const char *q = e->column.qualifier.s, *name = e->column.name.s;
    if (!q)
        for (uint32_t i = c->nlv; i-- > 0;)
            if (!strcmp(c->lv[i].name, name)) {
                node_t *n = mk(c, N_LVAR, c->lv[i].type, 0);
                if (!n)
                    return nomem(c);
                n->idx = c->lv[i].var;
                *out = n;
                return SL_OK;
            }
    const sl_sql_scope_t *sc = c->scope;
    const sl_sql_scope_col_t *hit = NULL;
    size_t nhits = 0;
    int qualifier_known = 0;
    for (size_t i = 0; sc && i < sc->ncols; i++) {
        const sl_sql_scope_col_t *col = &sc->cols[i];
        if (q && col->source && !strcmp(col->source, q))
            qualifier_known = 1;
        if ((q && (!col->source || strcmp(col->source, q))) || strcmp(col->name, name) ||
            (!q && (col->slot & SL_SQL_SLOT_QUALIFIED)))
            continue;
        if (!nhits++)
            hit = col;
    }
    if (nhits > 1) {
        char list[400];
        size_t len = 0;
        list[0] = 0;
        for (size_t i = 0; i < sc->ncols && len < sizeof list - 1; i++) {
            const sl_sql_scope_col_t *col = &sc->cols[i];
            if (strcmp(col->name, name) || (q && (!col->source || strcmp(col->source, q))) ||
                (!q && (col->slot & SL_SQL_SLOT_QUALIFIED)))
                continue;
            int w = snprintf(list + len, sizeof list - len, "%s%s%s%s", len ? ", " : "", col->source ? col->source : "",
                             col->source ? "." : "", col->name);
            len += w > 0 ? (size_t)w : 0;
        }
        return fail(c, e, "Column '%s' is ambiguous. Could be any of: %s", name, list);
    }
    if (hit) {
        node_t *n = mk(c, N_COL, hit->type, 0);
        if (!n)
            return nomem(c);
        n->idx = hit->slot & ~SL_SQL_SLOT_QUALIFIED;
        *out = n;
        return SL_OK;
    }
    static const char *const pseudo[] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND"};
    for (unsigned i = 0; i < SL_SQL_PSEUDO_COUNT; i++) {
        if (strcmp(pseudo[i], name) || (i >= SL_SQL_PSEUDO_WINDOWSTART && !(sc && sc->windowed)))
            continue;
        if (q && !qualifier_known)
            break;
        node_t *n = mk(c, N_PSEUDO, P(i == SL_SQL_PSEUDO_ROWPARTITION ? SL_SQL_INT : SL_SQL_BIGINT), 0);
        if (!n)
            return nomem(c);
        n->idx = i;
        *out = n;
        return SL_OK;
    }
    if (q)
        return fail(c, e, "%s column '%s.%s' cannot be resolved.", c->clause, q, name);
    return fail(c, e, "%s column '%s' cannot be resolved.", c->clause, name);
}

static sl_err_t comp_literal(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    node_t *n = mk(c, N_CONST, NULL, 0);
    if (!n)
        return nomem(c);
    switch (e->kind) {
    case SL_SQL_EXPR_NULL: n->v = vnull(NULL); break;
    case SL_SQL_EXPR_BOOL: n->type = P(SL_SQL_BOOLEAN), n->v = sl_sql_value_bool(e->b); break;
    case SL_SQL_EXPR_INT: n->type = P(SL_SQL_INT), n->v = sl_sql_value_int((int32_t)e->i); break;
    case SL_SQL_EXPR_BIGINT: n->type = P(SL_SQL_BIGINT), n->v = sl_sql_value_bigint(e->i); break;
    case SL_SQL_EXPR_DOUBLE: n->type = P(SL_SQL_DOUBLE), n->v = sl_sql_value_double(e->num.d); break;
    case SL_SQL_EXPR_STRING:
        n->type = P(SL_SQL_STRING), n->v = sl_sql_value_string(e->str.s, e->str.len);
        if (sl_sql_value_copy(&c->al, &n->v, &n->v))
            return nomem(c);
        break;
    case SL_SQL_EXPR_TIME_UNIT: {
        const char *u = sl_sql_unit_str(e->unit, true);
        n->type = P(SL_SQL_STRING), n->v = sl_sql_value_string(u, strlen(u));
        break;
    }
    case SL_SQL_EXPR_DECIMAL: {
        sl_err_t err = decimal_type(c, e, e->num.precision, e->num.scale, &n->type);
        if (err)
            return err;
        i128 u;
        char eb[256];
        if (sl_sql_decimal_parse(e->num.text, strlen(e->num.text), n->type->precision, n->type->scale, 0, &u, eb,
                                 sizeof eb))
            return fail(c, e, "%s", eb);
        n->v = sl_sql_value_decimal(u, n->type->precision, n->type->scale);
        break;
    }
    default: return fail(c, e, "not a literal");
    }
    *out = n;
    return SL_OK;
}

static const char *cmp_name(sl_sql_op_t op)
{
    switch (op) {
    case SL_SQL_OP_EQ: return "EQUAL";
    case SL_SQL_OP_NE: return "NOT_EQUAL";
    case SL_SQL_OP_LT: return "LESS_THAN";
    case SL_SQL_OP_LE: return "LESS_THAN_OR_EQUAL";
    case SL_SQL_OP_GT: return "GREATER_THAN";
    default: return "GREATER_THAN_OR_EQUAL";
    }
}

/* ksqlDB's ComparisonUtil: may a (type l) be compared with b (type r) by op
 * (equality: only =, <>, IS [NOT] DISTINCT FROM)? */
static int comparable(const sl_sql_type_t *l, const sl_sql_type_t *r, int equality)
{
    if (is_num(l))
        return is_num(r);
    switch (l->base) {
    case SL_SQL_STRING: return r->base == SL_SQL_STRING || is_time(r);
    case SL_SQL_BOOLEAN:
    case SL_SQL_ARRAY:
    case SL_SQL_MAP:
    case SL_SQL_STRUCT: return r->base == l->base && equality;
    case SL_SQL_TIME: return r->base == SL_SQL_TIME || r->base == SL_SQL_STRING;
    case SL_SQL_DATE:
    case SL_SQL_TIMESTAMP: return r->base == SL_SQL_DATE || r->base == SL_SQL_TIMESTAMP || r->base == SL_SQL_STRING;
    case SL_SQL_BYTES: return r->base == SL_SQL_BYTES;
    default: return 0;
    }
}

static sl_err_t check_compare(cc_t *c, const sl_sql_expr_t *e, const sl_sql_expr_t *ea, const node_t *a,
                              const sl_sql_expr_t *eb, const node_t *b, sl_sql_op_t op, int equality)
{
    if (!a->type || !b->type) {
        static const char *const sym[] = {"=", "<>", "<", "<=", ">", ">="};
        return fail(c, e, "Comparison with NULL not supported: %s %s %s\nUse 'IS NULL' or 'IS NOT NULL' instead.",
                    bname(a->type), sym[op - SL_SQL_OP_EQ], bname(b->type));
    }
    if (!comparable(a->type, b->type, equality))
        return fail(c, e, "Cannot compare %s (%s) to %s (%s) with %s.", etext(c, ea), tname(c, a->type), etext(c, eb),
                    tname(c, b->type), cmp_name(op));
    return SL_OK;
}

static sl_err_t arith_type(cc_t *c, const sl_sql_expr_t *e, sl_sql_op_t op, const sl_sql_type_t *l,
                           const sl_sql_type_t *r, const sl_sql_type_t **out)
{
    /* A NULL literal takes the other side's type (ksqlDB has no type for it). */
    if (!l && r && (is_num(r) || (r->base == SL_SQL_STRING && op == SL_SQL_OP_ADD)))
        return *out = r, SL_OK;
    if (!r && l && (is_num(l) || (l->base == SL_SQL_STRING && op == SL_SQL_OP_ADD)))
        return *out = l, SL_OK;
    if (l && r && op == SL_SQL_OP_ADD && l->base == SL_SQL_STRING && r->base == SL_SQL_STRING)
        return *out = P(SL_SQL_STRING), SL_OK;
    if (!is_num(l) || !is_num(r))
        return fail(c, e, "Error processing expression: %s. Unsupported arithmetic types. %s %s", etext(c, e),
                    bname(l), bname(r));
    int rl = num_rank(l), rr = num_rank(r), top = rl > rr ? rl : rr;
    if (top == 4)
        return *out = P(SL_SQL_DOUBLE), SL_OK;
    if (top != 3)
        return *out = P(top == 2 ? SL_SQL_BIGINT : SL_SQL_INT), SL_OK;
    int p1, s1, p2, s2, p, s;
    as_decimal(l, &p1, &s1);
    as_decimal(r, &p2, &s2);
    switch (op) {
    case SL_SQL_OP_ADD:
    case SL_SQL_OP_SUB:
        s = s1 > s2 ? s1 : s2;
        p = s + (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + 1;
        break;
    case SL_SQL_OP_MUL: p = p1 + p2 + 1, s = s1 + s2; break;
    case SL_SQL_OP_DIV:
        s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6;
        p = p1 - s1 + s2 + s;
        break;
    default:
        s = s1 > s2 ? s1 : s2;
        p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
        break;
    }
    return decimal_type(c, e, p, s, out);
}

static sl_err_t need_bool(cc_t *c, const sl_sql_expr_t *e, const node_t *n, const char *what)
{
    if (n->type && n->type->base != SL_SQL_BOOLEAN)
        return fail(c, e, "%s: %s has type %s, not BOOLEAN.", what, etext(c, e), tname(c, n->type));
    return SL_OK;
}

static const char *const aggregates[] = {
    "AVG", "COLLECT_LIST", "COLLECT_SET", "CORRELATION", "COUNT", "COUNT_DISTINCT", "EARLIEST_BY_OFFSET",
    "HISTOGRAM", "LATEST_BY_OFFSET", "MAX", "MIN", "STDDEV_SAMP", "STDDEV_SAMPLE", "SUM", "TOPK", "TOPKDISTINCT"};

int sl_sql_expr_is_aggregate(const char *name)
{
    for (size_t i = 0; i < sizeof aggregates / sizeof *aggregates; i++)
        if (!strcasecmp(aggregates[i], name))
            return 1;
    return 0;
}

static sl_err_t comp_call(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    const char *name = e->call.name.s;
    if (sl_sql_expr_is_aggregate(name)) {
        if (!c->opts || !c->opts->on_aggregate)
            return fail(c, e, "Aggregate functions are not allowed in %s: %s", c->clause, name);
        uint32_t slot = 0;
        const sl_sql_type_t *t = NULL;
        char eb[256] = "";
        if (c->opts->on_aggregate(c->opts->agg_arg, e, &slot, &t, eb, sizeof eb))
            return fail(c, e, "%s", eb[0] ? eb : "aggregate refused");
        node_t *n = mk(c, N_COL, t, 0);
        if (!n)
            return nomem(c);
        n->idx = slot;
        *out = n;
        return SL_OK;
    }
    if (!strcasecmp(name, "EXPLODE") || !strcasecmp(name, "CUBE_EXPLODE"))
        return fail(c, e, "Table function %s is only allowed in the SELECT list of a query.", name);
    if (e->call.star)
        return fail(c, e, "Function '%s' does not accept '*'.", name);
    size_t na = e->call.nargs;
    if (na > 64)
        return fail(c, e, "Function '%s' has too many arguments.", name);
    node_t *n = mk(c, N_CALL, NULL, (uint32_t)na);
    const sl_sql_type_t **types = sl_arena_alloc(c->arena, (na + 1) * sizeof *types);
    if (!n || !types)
        return nomem(c);
    uint32_t mask = 0, nl = 0;
    sl_err_t err;
    for (size_t i = 0; i < na; i++) {
        types[i] = NULL;
        if (e->call.args[i]->kind == SL_SQL_EXPR_LAMBDA) {
            if (i >= 32)
                return fail(c, e->call.args[i], "A lambda must be among the first 32 arguments.");
            mask |= 1u << i, nl++;
            continue;
        }
        if ((err = comp(c, e->call.args[i], &n->k[i])))
            return err;
        types[i] = n->k[i]->type;
    }
    if (nl) {
        n->lambdas = sl_arena_alloc(c->arena, nl * sizeof *n->lambdas);
        if (!n->lambdas)
            return nomem(c);
    }
    for (size_t i = 0; i < na; i++) {
        if (!(mask & (1u << i)))
            continue;
        const sl_sql_expr_t *le = e->call.args[i];
        const sl_sql_type_t *pt[8];
        size_t np = 0;
        char eb[512];
        err = sl_sql_func_lambda_params(name, types, na, mask, i, le->lambda.nparams, &c->al, pt, 8, &np, eb,
                                        sizeof eb);
        if (err == SL_ERR_NOMEM)
            return nomem(c);
        if (err)
            return fail(c, le, "%s", eb);
        if (np != le->lambda.nparams)
            return fail(c, le, "Function '%s' expects a lambda with %zu parameters here, not %zu.", name, np,
                        le->lambda.nparams);
        if (c->nlv + np > MAX_LVARS || c->nvars + np > MAX_LVARS)
            return fail(c, le, "Too many lambda parameters in one expression (at most %d).", MAX_LVARS);
        lambda_t *l = sl_arena_alloc(c->arena, sizeof *l);
        if (!l)
            return nomem(c);
        l->first = c->nvars, l->nparams = (uint32_t)np;
        uint32_t saved = c->nlv;
        for (size_t j = 0; j < np; j++) {
            for (size_t k = 0; k < j; k++)
                if (!strcmp(le->lambda.params[k].s, le->lambda.params[j].s))
                    return fail(c, le, "Lambda parameter '%s' is declared twice.", le->lambda.params[j].s);
            c->lv[c->nlv].name = le->lambda.params[j].s;
            c->lv[c->nlv].type = pt[j];
            c->lv[c->nlv].var = c->nvars++;
            c->nlv++;
        }
        err = comp(c, le->lambda.body, &l->body);
        c->nlv = saved;
        if (err)
            return err;
        types[i] = l->body->type;
        n->lambdas[n->nlambdas++] = l;
    }
    char eb[1024];
    err = sl_sql_func_resolve(name, types, na, mask, &c->al, &n->call, eb, sizeof eb);
    if (err == SL_ERR_NOMEM)
        return nomem(c);
    if (err)
        return fail(c, e, "%s", eb);
    n->type = n->call->ret;
    *out = n;
    return fold(c, n);
}

static sl_err_t comp_case(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    size_t nw = e->case_.nwhens;
    int hop = e->case_.operand != NULL, hel = e->case_.else_ != NULL;
    node_t *n = mk(c, N_CASE, NULL, (uint32_t)(hop + 2 * nw + hel));
    const sl_sql_type_t **rt = sl_arena_alloc(c->arena, (nw + 1) * sizeof *rt);
    if (!n || !rt)
        return nomem(c);
    n->has_operand = (uint8_t)hop, n->has_else = (uint8_t)hel;
    sl_err_t err;
    if (hop && (err = comp(c, e->case_.operand, &n->k[0])))
        return err;
    for (size_t i = 0; i < nw; i++) {
        const sl_sql_when_t *w = e->case_.whens[i];
        node_t **cn = &n->k[hop + 2 * i], **rn = cn + 1;
        if ((err = comp(c, w->cond, cn)) || (err = comp(c, w->result, rn)))
            return err;
        if (hop) {
            if ((err = check_compare(c, w->cond, e->case_.operand, n->k[0], w->cond, *cn, SL_SQL_OP_EQ, 1)))
                return err;
        } else if ((*cn)->type && (*cn)->type->base != SL_SQL_BOOLEAN) {
            return fail(c, w->cond, "WHEN operand type should be boolean.\nType for '%s' is %s", etext(c, w->cond),
                        tname(c, (*cn)->type));
        }
        rt[i] = (*rn)->type;
    }
    if (hel) {
        if ((err = comp(c, e->case_.else_, &n->k[n->nk - 1])))
            return err;
        rt[nw] = n->k[n->nk - 1]->type;
    }
    const sl_sql_type_t *t;
    int r = common_type(c, rt, nw + (size_t)hel, &t);
    if (r == -2)
        return SL_ERR_NOMEM;
    if (r) {
        const sl_sql_type_t *first = NULL;
        for (size_t i = 0; i < nw + (size_t)hel; i++) {
            if (!rt[i])
                continue;
            if (!first) {
                first = rt[i];
                continue;
            }
            if (!sl_sql_type_equal(first, rt[i]) && !(num_rank(first) && num_rank(rt[i]))) {
                if (i == nw)
                    return fail(c, e->case_.else_,
                                "Invalid Case expression. Type for the default clause should be the same as for "
                                "'THEN' clauses.\nTHEN type: %s.\nDEFAULT type: %s.",
                                tname(c, first), tname(c, rt[i]));
                return fail(c, e->case_.whens[i]->result,
                            "Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN "
                            "expression '%s' has type: %s.\nPrevious THEN expression(s) type: %s.",
                            etext(c, e->case_.whens[i]->result), tname(c, rt[i]), tname(c, first));
            }
        }
    }
    if (!t)
        return fail(c, e, "Invalid Case expression. All case branches have NULL type");
    for (size_t i = 0; i < nw; i++)
        if ((err = coerce(c, &n->k[hop + 2 * i + 1], t)))
            return err;
    if (hel && (err = coerce(c, &n->k[n->nk - 1], t)))
        return err;
    n->type = t;
    *out = n;
    return fold(c, n);
}

static sl_err_t comp_ctor(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    sl_err_t err;
    char eb[256];
    if (e->kind == SL_SQL_EXPR_STRUCT) {
        size_t nf = e->struct_.n;
        node_t *n = mk(c, N_STRUCT, NULL, (uint32_t)nf);
        sl_sql_field_t *f = sl_arena_alloc(c->arena, (nf + 1) * sizeof *f);
        if (!n || !f)
            return nomem(c);
        for (size_t i = 0; i < nf; i++) {
            if ((err = comp(c, e->struct_.values[i], &n->k[i])))
                return err;
            if (!n->k[i]->type)
                return fail(c, e->struct_.values[i],
                            "Cannot construct a struct with a NULL field '%s'. As a workaround, you may cast a "
                            "NULL value to the desired type.",
                            e->struct_.names[i].s);
            f[i].name = e->struct_.names[i].s, f[i].type = n->k[i]->type;
        }
        err = sl_sql_type_struct(&c->al, f, nf, &n->type, eb, sizeof eb);
        if (err == SL_ERR_NOMEM)
            return nomem(c);
        if (err)
            return fail(c, e, "%s", eb);
        *out = n;
        return fold(c, n);
    }
    int map = e->kind == SL_SQL_EXPR_MAP;
    size_t ni = map ? e->map.n : e->list.n;
    if (!ni)
        return fail(c, e,
                    map ? "Map constructor cannot be empty. Please supply at least one key value pair (see "
                          "https://github.com/confluentinc/ksql/issues/4239)."
                        : "Array constructor cannot be empty. Please supply at least one element (see "
                          "https://github.com/confluentinc/ksql/issues/4239).");
    size_t w = map ? 2 : 1;
    node_t *n = mk(c, map ? N_MAP : N_ARRAY, NULL, (uint32_t)(ni * w));
    const sl_sql_type_t **kt = sl_arena_alloc(c->arena, ni * sizeof *kt), **vt = sl_arena_alloc(c->arena, ni * sizeof *vt);
    if (!n || !kt || !vt)
        return nomem(c);
    for (size_t i = 0; i < ni; i++) {
        if (map) {
            if ((err = comp(c, e->map.keys[i], &n->k[2 * i])) || (err = comp(c, e->map.values[i], &n->k[2 * i + 1])))
                return err;
            kt[i] = n->k[2 * i]->type, vt[i] = n->k[2 * i + 1]->type;
        } else {
            if ((err = comp(c, e->list.items[i], &n->k[i])))
                return err;
            vt[i] = n->k[i]->type;
        }
    }
    const sl_sql_type_t *k = NULL, *v = NULL;
    int r = map ? common_type(c, kt, ni, &k) : 0;
    if (r == -2 || (r == 0 && (r = common_type(c, vt, ni, &v)) == -2))
        return SL_ERR_NOMEM;
    if (r)
        return fail(c, e, "invalid input syntax for type %s: the %s of %s have no common type.",
                    map ? "MAP" : "ARRAY", map ? "keys or values" : "elements", etext(c, e));
    if (map && !k)
        return fail(c, e,
                    "Cannot construct a map with all NULL keys (see https://github.com/confluentinc/ksql/issues/4239). "
                    "As a workaround, you may cast a NULL key to the desired type.");
    if (!v)
        return fail(c, e,
                    map ? "Cannot construct a map with all NULL values (see "
                          "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL "
                          "value to the desired type."
                        : "Cannot construct an array with all NULL elements (see "
                          "https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL "
                          "value to the desired type.");
    for (size_t i = 0; i < ni; i++) {
        if (map && (err = coerce(c, &n->k[2 * i], k)))
            return err;
        if ((err = coerce(c, &n->k[w * i + w - 1], v)))
            return err;
    }
    if (map) {
        err = sl_sql_type_map(&c->al, k, v, &n->type, eb, sizeof eb);
        if (err == SL_ERR_NOMEM)
            return nomem(c);
        if (err)
            return fail(c, e, "%s", eb);
    } else if (!(n->type = sl_sql_type_array(&c->al, v))) {
        return nomem(c);
    }
    *out = n;
    return fold(c, n);
}

static sl_err_t comp(cc_t *c, const sl_sql_expr_t *e, node_t **out)
{
    sl_err_t err;
    node_t *n, *a, *b;
    switch (e->kind) {
    case SL_SQL_EXPR_NULL:
    case SL_SQL_EXPR_BOOL:
    case SL_SQL_EXPR_INT:
    case SL_SQL_EXPR_BIGINT:
    case SL_SQL_EXPR_DECIMAL:
    case SL_SQL_EXPR_DOUBLE:
    case SL_SQL_EXPR_STRING: return comp_literal(c, e, out);
    case SL_SQL_EXPR_TIME_UNIT: {
        /* A call argument written DAY, HOURS …: a column of that name when
         * there is one (MIN(day)), else the time unit (TIMESTAMPADD(DAYS, …)). */
        const char *w = e->unit_word.s;
        int col = 0;
        for (uint32_t i = 0; w && i < c->nlv && !col; i++)
            col = c->lv[i].name && !strcmp(c->lv[i].name, w);
        for (size_t i = 0; w && c->scope && i < c->scope->ncols && !col; i++)
            col = c->scope->cols[i].name && !strcmp(c->scope->cols[i].name, w);
        if (!col)
            return comp_literal(c, e, out);
        sl_sql_expr_t ref = {.kind = SL_SQL_EXPR_COLUMN, .pos = e->pos, .height = 1};
        ref.column.name = e->unit_word;
        return comp_column(c, &ref, out);
    }
    case SL_SQL_EXPR_COLUMN: return comp_column(c, e, out);
    case SL_SQL_EXPR_UNARY:
        if ((err = comp(c, e->op.a, &a)))
            return err;
        if (e->op.op == SL_SQL_OP_NOT) {
            if ((err = need_bool(c, e->op.a, a, "NOT")))
                return err;
            n = mk(c, N_NOT, P(SL_SQL_BOOLEAN), 1);
        } else {
            if (a->type && !is_num(a->type))
                return fail(c, e, "Error processing expression: %s. Unary %s is not supported on %s.", etext(c, e),
                            e->op.op == SL_SQL_OP_NEG ? "minus" : "plus", bname(a->type));
            if (e->op.op == SL_SQL_OP_PLUS)
                return *out = a, SL_OK;
            n = mk(c, N_NEG, a->type, 1);
        }
        if (!n)
            return nomem(c);
        n->k[0] = a;
        *out = n;
        return fold(c, n);
    case SL_SQL_EXPR_BINARY: {
        sl_sql_op_t op = e->op.op;
        if (op == SL_SQL_OP_CONCAT) {
            /* ksqlDB's grammar turns a || b into CONCAT(a, b). */
            sl_sql_expr_t call = {.kind = SL_SQL_EXPR_CALL, .pos = e->pos, .height = e->height};
            sl_sql_expr_t *args[2] = {e->op.a, e->op.b};
            call.call.name.s = "CONCAT", call.call.name.pos = e->pos;
            call.call.args = args, call.call.nargs = 2;
            return comp_call(c, &call, out);
        }
        if ((err = comp(c, e->op.a, &a)) || (err = comp(c, e->op.b, &b)))
            return err;
        if (op == SL_SQL_OP_AND || op == SL_SQL_OP_OR) {
            const char *w = op == SL_SQL_OP_AND ? "AND" : "OR";
            if ((err = need_bool(c, e->op.a, a, w)) || (err = need_bool(c, e->op.b, b, w)))
                return err;
            n = mk(c, op == SL_SQL_OP_AND ? N_AND : N_OR, P(SL_SQL_BOOLEAN), 2);
        } else if (op >= SL_SQL_OP_EQ) {
            int eq = op == SL_SQL_OP_EQ || op == SL_SQL_OP_NE;
            if ((err = check_compare(c, e, e->op.a, a, e->op.b, b, op, eq)))
                return err;
            n = mk(c, N_CMP, P(SL_SQL_BOOLEAN), 2);
        } else {
            const sl_sql_type_t *t;
            if ((err = arith_type(c, e, op, a->type, b->type, &t)))
                return err;
            n = mk(c, N_ARITH, t, 2);
        }
        if (!n)
            return nomem(c);
        n->op = (uint8_t)op;
        n->k[0] = a, n->k[1] = b;
        *out = n;
        return fold(c, n);
    }
    case SL_SQL_EXPR_BETWEEN: {
        node_t *lo, *hi;
        if ((err = comp(c, e->between.a, &a)) || (err = comp(c, e->between.lo, &lo)) ||
            (err = comp(c, e->between.hi, &hi)))
            return err;
        if ((err = check_compare(c, e, e->between.a, a, e->between.lo, lo, SL_SQL_OP_GE, 0)) ||
            (err = check_compare(c, e, e->between.a, a, e->between.hi, hi, SL_SQL_OP_LE, 0)))
            return err;
        if (!(n = mk(c, N_BETWEEN, P(SL_SQL_BOOLEAN), 3)))
            return nomem(c);
        n->k[0] = a, n->k[1] = lo, n->k[2] = hi, n->negated = e->negated;
        *out = n;
        return fold(c, n);
    }
    case SL_SQL_EXPR_IN:
        if ((err = comp(c, e->in.a, &a)))
            return err;
        if (!(n = mk(c, N_IN, P(SL_SQL_BOOLEAN), (uint32_t)(e->in.n + 1))))
            return nomem(c);
        n->k[0] = a, n->negated = e->negated;
        for (size_t i = 0; i < e->in.n; i++) {
            if ((err = comp(c, e->in.items[i], &n->k[i + 1])))
                return err;
            /* NULL items never match: allowed, unlike NULL in a comparison. */
            if (a->type && n->k[i + 1]->type &&
                (err = check_compare(c, e, e->in.a, a, e->in.items[i], n->k[i + 1], SL_SQL_OP_EQ, 1)))
                return err;
        }
        *out = n;
        return fold(c, n);
    case SL_SQL_EXPR_LIKE:
        if ((err = comp(c, e->like.a, &a)) || (err = comp(c, e->like.pattern, &b)))
            return err;
        if ((a->type && a->type->base != SL_SQL_STRING) || (b->type && b->type->base != SL_SQL_STRING))
            return fail(c, e, "Cannot use LIKE on %s and %s: both must be STRING.", tname(c, a->type),
                        tname(c, b->type));
        if (e->like.escape && strlen(e->like.escape) != 1)
            return fail(c, e, "The ESCAPE of LIKE must be a single character, not '%s'.", e->like.escape);
        if (!(n = mk(c, N_LIKE, P(SL_SQL_BOOLEAN), 2)))
            return nomem(c);
        n->k[0] = a, n->k[1] = b, n->negated = e->negated;
        n->escape = e->like.escape ? (unsigned char)e->like.escape[0] : -1;
        *out = n;
        return fold(c, n);
    case SL_SQL_EXPR_IS_NULL:
        if ((err = comp(c, e->op.a, &a)))
            return err;
        if (!(n = mk(c, N_ISNULL, P(SL_SQL_BOOLEAN), 1)))
            return nomem(c);
        n->k[0] = a, n->negated = e->negated;
        *out = n;
        return fold(c, n);
    case SL_SQL_EXPR_IS_DISTINCT:
        if ((err = comp(c, e->op.a, &a)) || (err = comp(c, e->op.b, &b)))
            return err;
        if (a->type && b->type && !comparable(a->type, b->type, 1))
            return fail(c, e, "Cannot compare %s (%s) to %s (%s) with %s.", etext(c, e->op.a), tname(c, a->type),
                        etext(c, e->op.b), tname(c, b->type),
                        e->negated ? "IS_NOT_DISTINCT_FROM" : "IS_DISTINCT_FROM");
        if (!(n = mk(c, N_DISTINCT, P(SL_SQL_BOOLEAN), 2)))
            return nomem(c);
        n->k[0] = a, n->k[1] = b, n->negated = e->negated;
        *out = n;
        return fold(c, n);
    case SL_SQL_EXPR_CASE: return comp_case(c, e, out);
    case SL_SQL_EXPR_CAST: {
        const sl_sql_type_t *t;
        if ((err = comp(c, e->cast.a, &a)) || (err = conv_type(c, e, e->cast.type, &t)))
            return err;
        if (a->type && !sl_sql_cast_allowed(a->type, t))
            return fail(c, e, "Cast of %s to %s is not supported", tname(c, a->type), tname(c, t));
        if (!(n = mk(c, N_CAST, t, 1)))
            return nomem(c);
        n->k[0] = a;
        *out = n;
        return fold(c, n);
    }
    case SL_SQL_EXPR_DEREF: {
        if ((err = comp(c, e->deref.a, &a)))
            return err;
        if (!a->type || a->type->base != SL_SQL_STRUCT)
            return fail(c, e, "Expected STRUCT type for '%s', got: %s", etext(c, e->deref.a), tname(c, a->type));
        long fi = sl_sql_type_field_index(a->type, e->deref.field.s);
        if (fi < 0)
            return fail(c, e, "Could not find field '%s' in '%s'.", e->deref.field.s, etext(c, e->deref.a));
        if (!(n = mk(c, N_DEREF, a->type->fields[fi].type, 1)))
            return nomem(c);
        n->k[0] = a, n->idx = (uint32_t)fi;
        *out = n;
        return fold(c, n);
    }
    case SL_SQL_EXPR_SUBSCRIPT: {
        if ((err = comp(c, e->op.a, &a)) || (err = comp(c, e->op.b, &b)))
            return err;
        const sl_sql_type_t *t = a->type;
        if (t && t->base == SL_SQL_ARRAY) {
            if (b->type && b->type->base != SL_SQL_INT && b->type->base != SL_SQL_BIGINT)
                return fail(c, e->op.b, "Array index %s must be INTEGER or BIGINT, not %s.", etext(c, e->op.b),
                            tname(c, b->type));
        } else if (t && t->base == SL_SQL_MAP) {
            if (b->type && !comparable(t->key, b->type, 1))
                return fail(c, e->op.b, "Map key %s has type %s; the map's keys are %s.", etext(c, e->op.b),
                            tname(c, b->type), tname(c, t->key));
        } else {
            return fail(c, e, "Subscript expression (%s) do not apply to %s.%s", etext(c, e), tname(c, t),
                        t && t->base == SL_SQL_STRUCT ? " Use the dereference operator for STRUCTS." : "");
        }
        if (!(n = mk(c, N_SUBSCRIPT, t->item, 2)))
            return nomem(c);
        n->k[0] = a, n->k[1] = b;
        *out = n;
        return fold(c, n);
    }
    case SL_SQL_EXPR_CALL: return comp_call(c, e, out);
    case SL_SQL_EXPR_LAMBDA: return fail(c, e, "A lambda is only allowed as an argument of a function.");
    case SL_SQL_EXPR_ARRAY:
    case SL_SQL_EXPR_MAP:
    case SL_SQL_EXPR_STRUCT: return comp_ctor(c, e, out);
    }
    return fail(c, e, "unknown expression kind %d", (int)e->kind);
}

sl_err_t sl_sql_expr_compile(const sl_sql_expr_t *ast, const sl_sql_scope_t *scope,
                             const sl_sql_expr_opts_t *opts, sl_arena_t *arena, const sl_sql_cexpr_t **out,
                             const sl_sql_type_t **type, sl_sql_error_t *err)
{
    if (!ast || !arena || !out)
        return SL_ERR_INVAL;
    cc_t c = {.arena = arena, .al = sl_sql_alloc_arena(arena), .scope = scope, .opts = opts, .err = err};
    c.clause = opts && opts->clause ? opts->clause : "SELECT";
    if (err)
        memset(err, 0, sizeof *err);
    node_t *root = NULL;
    sl_err_t e = comp(&c, ast, &root);
    if (e)
        return e;
    struct sl_sql_cexpr *ce = sl_arena_alloc(arena, sizeof *ce);
    if (!ce)
        return nomem(&c);
    ce->root = root, ce->nvars = c.nvars;
    *out = ce;
    if (type)
        *type = root->type;
    return SL_OK;
}

const sl_sql_type_t *sl_sql_cexpr_type(const sl_sql_cexpr_t *e) { return e->root->type; }

int sl_sql_cexpr_is_const(const sl_sql_cexpr_t *e) { return e->root->kind == N_CONST; }

/* ---- the evaluator ------------------------------------------------------------------------ */

static sl_err_t rterr(ev_t *s, sl_err_t err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static sl_err_t rterr(ev_t *s, sl_err_t err, const char *fmt, ...)
{
    if (s->ctx->errbuf && s->ctx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->ctx->errbuf, s->ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

static int64_t as_i64(const sl_sql_value_t *v) { return v->base == SL_SQL_INT ? v->u.i32 : v->u.i64; }

static double as_double(const sl_sql_value_t *v)
{
    switch (v->base) {
    case SL_SQL_INT: return v->u.i32;
    case SL_SQL_BIGINT: return (double)v->u.i64;
    case SL_SQL_DECIMAL: return sl_sql_decimal_to_double(v->u.dec, v->scale);
    default: return v->u.d;
    }
}

static void as_dec(const sl_sql_value_t *v, i128 *u, int *scale)
{
    if (v->base == SL_SQL_DECIMAL)
        *u = v->u.dec, *scale = v->scale;
    else
        *u = as_i64(v), *scale = 0;
}

/* v * 10^k without overflow; 0 when it does not fit. */
static int mul_pow10(i128 v, int k, i128 *out)
{
    if (!v)
        return *out = 0, 1;
    if (k > 38)
        return 0;
    return !__builtin_mul_overflow(v, sl_sql_pow10(k), out);
}

static sl_err_t dec_arith(ev_t *s, const node_t *n, const sl_sql_value_t *a, const sl_sql_value_t *b,
                          sl_sql_value_t *out)
{
    int p = n->type->precision, sc = n->type->scale, s1, s2;
    i128 u1, u2, r;
    as_dec(a, &u1, &s1);
    as_dec(b, &u2, &s2);
    char eb[256];
    switch (n->op) {
    case SL_SQL_OP_ADD:
    case SL_SQL_OP_SUB:
    case SL_SQL_OP_MOD: {
        i128 x, y;
        if (!mul_pow10(u1, sc - s1, &x) || !mul_pow10(u2, sc - s2, &y))
            return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
        if (n->op == SL_SQL_OP_MOD) {
            if (!y)
                return rterr(s, SL_ERR_RANGE, x ? "Division by zero" : "Division undefined");
            r = x % y;
        } else if (n->op == SL_SQL_OP_ADD ? __builtin_add_overflow(x, y, &r) : __builtin_sub_overflow(x, y, &r)) {
            return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
        }
        break;
    }
    case SL_SQL_OP_MUL:
        if (__builtin_mul_overflow(u1, u2, &r))
            return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
        if (s1 + s2 != sc && sl_sql_decimal_rescale(r, s1 + s2, p, sc, &r, eb, sizeof eb))
            return rterr(s, SL_ERR_RANGE, "%s", eb);
        break;
    default: {
        /* Exact quotient at scale sc, digit by digit on magnitudes (10r may
         * not fit 128 bits when the divisor is near 10^38). */
        if (!u2)
            return rterr(s, SL_ERR_RANGE, u1 ? "Division by zero" : "Division undefined");
        int k = sc - s1 + s2;
        int neg = (u1 < 0) != (u2 < 0);
        u128 ua = (u128)(u1 < 0 ? -u1 : u1), ub = (u128)(u2 < 0 ? -u2 : u2);
        if (k < 0) {
            i128 t;
            if (!mul_pow10((i128)ub, -k, &t))
                return rterr(s, SL_ERR_RANGE, "Rounding necessary");
            ub = (u128)t, k = 0;
        }
        u128 q = ua / ub, rem = ua % ub, lim = (u128)sl_sql_pow10(38);
        for (int i = 0; i < k; i++) {
            u128 acc = 0;
            unsigned d = 0;
            for (int j = 0; j < 10; j++) {
                if (acc >= ub - rem)
                    acc -= ub - rem, d++;
                else
                    acc += rem;
            }
            rem = acc;
            if (q >= lim)
                return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
            q = q * 10 + d;
        }
        if (rem)
            return rterr(s, SL_ERR_RANGE, "Rounding necessary");
        if (q >= lim)
            return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
        r = neg ? -(i128)q : (i128)q;
        break;
    }
    }
    if (!sl_sql_decimal_fits(r, p))
        return rterr(s, SL_ERR_RANGE, "Numeric field overflow");
    *out = sl_sql_value_decimal(r, p, sc);
    return SL_OK;
}

static sl_err_t arith(ev_t *s, const node_t *n, const sl_sql_value_t *a, const sl_sql_value_t *b,
                      sl_sql_value_t *out)
{
    switch (n->type->base) {
    case SL_SQL_STRING: {
        char *p = sl_sql_alloc(s->ctx->al, (size_t)a->len + b->len);
        if (!p)
            return SL_ERR_NOMEM;
        memcpy(p, a->u.str, a->len);
        memcpy(p + a->len, b->u.str, b->len);
        *out = sl_sql_value_string(p, (size_t)a->len + b->len);
        return SL_OK;
    }
    case SL_SQL_DOUBLE: {
        double x = as_double(a), y = as_double(b), r;
        switch (n->op) {
        case SL_SQL_OP_ADD: r = x + y; break;
        case SL_SQL_OP_SUB: r = x - y; break;
        case SL_SQL_OP_MUL: r = x * y; break;
        case SL_SQL_OP_DIV: r = x / y; break;
        default: r = fmod(x, y); break;
        }
        *out = sl_sql_value_double(r);
        return SL_OK;
    }
    case SL_SQL_DECIMAL: return dec_arith(s, n, a, b, out);
    default: break;
    }
    /* INT and BIGINT wrap as Java's int and long do. */
    int wide = n->type->base == SL_SQL_BIGINT;
    int64_t x = as_i64(a), y = as_i64(b), min = wide ? INT64_MIN : INT32_MIN;
    uint64_t r;
    switch (n->op) {
    case SL_SQL_OP_ADD: r = (uint64_t)x + (uint64_t)y; break;
    case SL_SQL_OP_SUB: r = (uint64_t)x - (uint64_t)y; break;
    case SL_SQL_OP_MUL: r = (uint64_t)x * (uint64_t)y; break;
    default:
        if (!y)
            return rterr(s, SL_ERR_RANGE, "/ by zero");
        if (y == -1)
            r = n->op == SL_SQL_OP_DIV ? (x == min ? (uint64_t)x : (uint64_t)-x) : 0;
        else
            r = (uint64_t)(n->op == SL_SQL_OP_DIV ? x / y : x % y);
        break;
    }
    *out = wide ? sl_sql_value_bigint((int64_t)r) : sl_sql_value_int((int32_t)(uint32_t)r);
    return SL_OK;
}

/* Compares non-NULL a and b (SL_SQL_LT/EQ/GT), parsing a string that meets
 * a DATE, TIME or TIMESTAMP as one, as ksqlDB does. */
static sl_err_t compare(ev_t *s, const sl_sql_value_t *a, const sl_sql_value_t *b, int *res)
{
    sl_sql_value_t ca, cb;
    char eb[256];
    if (a->base == SL_SQL_STRING && (b->base == SL_SQL_DATE || b->base == SL_SQL_TIME || b->base == SL_SQL_TIMESTAMP)) {
        if (sl_sql_cast(s->ctx->al, P(SL_SQL_STRING), a, P(b->base), &ca, eb, sizeof eb))
            return rterr(s, SL_ERR_INVAL, "%s", eb);
        a = &ca;
    } else if (b->base == SL_SQL_STRING &&
               (a->base == SL_SQL_DATE || a->base == SL_SQL_TIME || a->base == SL_SQL_TIMESTAMP)) {
        if (sl_sql_cast(s->ctx->al, P(SL_SQL_STRING), b, P(a->base), &cb, eb, sizeof eb))
            return rterr(s, SL_ERR_INVAL, "%s", eb);
        b = &cb;
    }
    int r = sl_sql_value_compare(a, b);
    if (r == SL_SQL_INCOMPARABLE || r == SL_SQL_UNKNOWN)
        return rterr(s, SL_ERR_INVAL, "cannot compare %s with %s", sl_sql_base_name(a->base),
                     sl_sql_base_name(b->base));
    *res = r;
    return SL_OK;
}

static int cmp_holds(int op, int r)
{
    switch (op) {
    case SL_SQL_OP_EQ: return r == SL_SQL_EQ;
    case SL_SQL_OP_NE: return r != SL_SQL_EQ;
    case SL_SQL_OP_LT: return r == SL_SQL_LT;
    case SL_SQL_OP_LE: return r != SL_SQL_GT;
    case SL_SQL_OP_GT: return r == SL_SQL_GT;
    default: return r != SL_SQL_LT;
    }
}

/* Length of the UTF-8 sequence starting with byte c (1 for a stray byte). */
static size_t u8len(unsigned char c) { return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/* SQL LIKE: % any run, _ one character, esc makes the next character
 * literal; case-sensitive, as ksqlDB's LikeEvaluator. Linear in practice:
 * only the last % is backtracked to. */
static int like(const char *str, size_t n, const char *pat, size_t m, int esc)
{
    size_t i = 0, j = 0, star_j = (size_t)-1, star_i = 0;
    while (i < n) {
        if (j < m) {
            unsigned char pc = (unsigned char)pat[j];
            if ((int)pc == esc && j + 1 < m) {
                size_t l = u8len((unsigned char)pat[j + 1]);
                if (j + 1 + l <= m && i + l <= n && !memcmp(str + i, pat + j + 1, l)) {
                    i += l, j += 1 + l;
                    continue;
                }
            } else if (pc == '%') {
                star_j = ++j, star_i = i;
                continue;
            } else if (pc == '_') {
                i += u8len((unsigned char)str[i]), j++;
                continue;
            } else {
                size_t l = u8len(pc);
                if (j + l <= m && i + l <= n && !memcmp(str + i, pat + j, l)) {
                    i += l, j += l;
                    continue;
                }
            }
        }
        if (star_j == (size_t)-1)
            return 0;
        j = star_j;
        star_i += u8len((unsigned char)str[star_i]);
        i = star_i;
    }
    if (i > n)
        return 0;
    while (j < m && pat[j] == '%')
        j++;
    return j == m;
}

static sl_err_t ev_call(ev_t *s, const node_t *n, sl_sql_value_t *out)
{
    sl_sql_value_t stack[STACK_ARGS], *args = stack;
    if (n->nk > STACK_ARGS && !(args = sl_sql_alloc(s->ctx->al, n->nk * sizeof *args)))
        return SL_ERR_NOMEM;
    sl_err_t err;
    for (uint32_t i = 0; i < n->nk; i++) {
        if (!n->k[i])
            args[i] = vnull(NULL);
        else if ((err = ev(s, n->k[i], &args[i])))
            return err;
    }
    const node_t *saved = s->cur_call;
    sl_sql_lambda_fn saved_fn = s->ctx->call_lambda;
    void *saved_eval = s->ctx->eval;
    s->cur_call = n;
    s->ctx->call_lambda = call_lambda, s->ctx->eval = s;
    if (s->ctx->errbuf && s->ctx->errlen)
        s->ctx->errbuf[0] = 0;
    err = sl_sql_func_call(s->ctx, n->call, args, out);
    s->cur_call = saved;
    s->ctx->call_lambda = saved_fn, s->ctx->eval = saved_eval;
    if (err && err != SL_ERR_NOMEM && s->ctx->errbuf && s->ctx->errlen && !s->ctx->errbuf[0])
        rterr(s, err, "%s failed: %s", n->call->fn->name, sl_err_str(err));
    return err;
}

static sl_err_t call_lambda(sl_sql_fn_ctx_t *ctx, size_t li, const sl_sql_value_t *args, size_t nargs,
                            sl_sql_value_t *out)
{
    ev_t *s = ctx->eval;
    const node_t *call = s->cur_call;
    if (!call || li >= call->nlambdas || nargs != call->lambdas[li]->nparams)
        return rterr(s, SL_ERR_INVAL, "lambda called with %zu arguments", nargs);
    const lambda_t *l = call->lambdas[li];
    for (size_t i = 0; i < nargs; i++)
        s->lvars[l->first + i] = args[i];
    sl_err_t err = ev(s, l->body, out);
    s->cur_call = call;
    return err;
}

static sl_err_t ev(ev_t *s, const node_t *n, sl_sql_value_t *out)
{
    sl_sql_value_t a, b, c;
    sl_err_t err;
    int r;
    switch ((nkind_t)n->kind) {
    case N_CONST: *out = n->v; return SL_OK;
    case N_COL: *out = s->row ? s->row[n->idx] : vnull(n->type); return SL_OK;
    case N_PSEUDO: *out = s->pseudo ? s->pseudo[n->idx] : vnull(n->type); return SL_OK;
    case N_LVAR: *out = s->lvars ? s->lvars[n->idx] : vnull(n->type); return SL_OK;
    case N_NEG:
        if ((err = ev(s, n->k[0], &a)))
            return err;
        if (a.is_null)
            return *out = vnull(n->type), SL_OK;
        switch (a.base) {
        case SL_SQL_INT: *out = sl_sql_value_int((int32_t)(0u - (uint32_t)a.u.i32)); break;
        case SL_SQL_BIGINT: *out = sl_sql_value_bigint((int64_t)(0u - (uint64_t)a.u.i64)); break;
        case SL_SQL_DOUBLE: *out = sl_sql_value_double(-a.u.d); break;
        default: *out = a, out->u.dec = -a.u.dec; break;
        }
        return SL_OK;
    case N_ARITH:
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)))
            return err;
        if (a.is_null || b.is_null)
            return *out = vnull(n->type), SL_OK;
        return arith(s, n, &a, &b, out);
    case N_CMP:
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)))
            return err;
        if (a.is_null || b.is_null)
            return *out = sl_sql_value_bool(0), SL_OK;
        if ((err = compare(s, &a, &b, &r)))
            return err;
        *out = sl_sql_value_bool(cmp_holds(n->op, r));
        return SL_OK;
    case N_AND:
    case N_OR: {
        /* Kleene logic; the right side is skipped when the left decides. */
        int dec = n->kind == N_OR;
        if ((err = ev(s, n->k[0], &a)))
            return err;
        if (!a.is_null && !!a.u.b == dec)
            return *out = sl_sql_value_bool(dec), SL_OK;
        if ((err = ev(s, n->k[1], &b)))
            return err;
        if (!b.is_null && !!b.u.b == dec)
            return *out = sl_sql_value_bool(dec), SL_OK;
        *out = a.is_null || b.is_null ? vnull(n->type) : sl_sql_value_bool(!dec);
        return SL_OK;
    }
    case N_NOT:
        if ((err = ev(s, n->k[0], &a)))
            return err;
        *out = a.is_null ? vnull(n->type) : sl_sql_value_bool(!a.u.b);
        return SL_OK;
    case N_BETWEEN: {
        int in = 0, r2;
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)) || (err = ev(s, n->k[2], &c)))
            return err;
        if (!a.is_null && !b.is_null && !c.is_null) {
            if ((err = compare(s, &a, &b, &r)) || (err = compare(s, &a, &c, &r2)))
                return err;
            in = r != SL_SQL_LT && r2 != SL_SQL_GT;
        }
        *out = sl_sql_value_bool(in != n->negated);
        return SL_OK;
    }
    case N_IN: {
        int found = 0;
        if ((err = ev(s, n->k[0], &a)))
            return err;
        for (uint32_t i = 1; !a.is_null && !found && i < n->nk; i++) {
            if ((err = ev(s, n->k[i], &b)))
                return err;
            if (b.is_null)
                continue;
            if ((err = compare(s, &a, &b, &r)))
                return err;
            found = r == SL_SQL_EQ;
        }
        *out = sl_sql_value_bool(found != n->negated);
        return SL_OK;
    }
    case N_LIKE:
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)))
            return err;
        r = !a.is_null && !b.is_null && like(a.u.str, a.len, b.u.str, b.len, n->escape);
        *out = sl_sql_value_bool(r != n->negated);
        return SL_OK;
    case N_ISNULL:
        if ((err = ev(s, n->k[0], &a)))
            return err;
        *out = sl_sql_value_bool(a.is_null != n->negated);
        return SL_OK;
    case N_DISTINCT: {
        int distinct;
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)))
            return err;
        if (a.is_null || b.is_null)
            distinct = a.is_null != b.is_null;
        else if ((err = compare(s, &a, &b, &r)))
            return err;
        else
            distinct = r != SL_SQL_EQ;
        *out = sl_sql_value_bool(distinct != n->negated);
        return SL_OK;
    }
    case N_CASE: {
        uint32_t nw = (n->nk - n->has_operand - n->has_else) / 2;
        if (n->has_operand && (err = ev(s, n->k[0], &a)))
            return err;
        for (uint32_t i = 0; i < nw; i++) {
            const node_t *cn = n->k[n->has_operand + 2 * i];
            if ((err = ev(s, cn, &b)))
                return err;
            int take;
            if (!n->has_operand)
                take = !b.is_null && b.u.b;
            else if (a.is_null || b.is_null)
                take = 0;
            else if ((err = compare(s, &a, &b, &r)))
                return err;
            else
                take = r == SL_SQL_EQ;
            if (take)
                return ev(s, n->k[n->has_operand + 2 * i + 1], out);
        }
        if (n->has_else)
            return ev(s, n->k[n->nk - 1], out);
        *out = vnull(n->type);
        return SL_OK;
    }
    case N_CAST: {
        char eb[256];
        if ((err = ev(s, n->k[0], &a)))
            return err;
        if (a.is_null || !n->k[0]->type)
            return *out = vnull(n->type), SL_OK;
        err = sl_sql_cast(s->ctx->al, n->k[0]->type, &a, n->type, out, eb, sizeof eb);
        /* ksqlDB's CAST of a STRING to BOOLEAN is SqlBooleans.parseBoolean,
         * which never fails: what is not (a prefix of) true or yes is false. */
        if (err == SL_ERR_INVAL && a.base == SL_SQL_STRING && n->type->base == SL_SQL_BOOLEAN)
            return *out = sl_sql_value_bool(0), SL_OK;
        if (err)
            return err == SL_ERR_NOMEM ? err : rterr(s, err, "%s", eb);
        return SL_OK;
    }
    case N_DEREF:
        if ((err = ev(s, n->k[0], &a)))
            return err;
        *out = a.is_null || n->idx >= a.len ? vnull(n->type) : a.u.items[n->idx];
        return SL_OK;
    case N_SUBSCRIPT:
        if ((err = ev(s, n->k[0], &a)) || (err = ev(s, n->k[1], &b)))
            return err;
        *out = vnull(n->type);
        if (a.is_null || b.is_null)
            return SL_OK;
        if (a.base == SL_SQL_ARRAY) {
            int64_t i = as_i64(&b), len = a.len;
            int64_t at = i >= 0 ? i - 1 : len + i;
            if (at >= 0 && at < len)
                *out = a.u.items[at];
            return SL_OK;
        }
        for (uint32_t i = 0; i < a.len; i++) {
            const sl_sql_value_t *k = &a.u.items[2 * i];
            if (k->is_null)
                continue;
            if ((err = compare(s, k, &b, &r)))
                return err;
            if (r == SL_SQL_EQ) {
                *out = a.u.items[2 * i + 1];
                break;
            }
        }
        return SL_OK;
    case N_CALL: return ev_call(s, n, out);
    case N_ARRAY:
    case N_MAP:
    case N_STRUCT: {
        size_t items = n->kind == N_MAP ? n->nk / 2 : n->nk;
        if ((err = sl_sql_value_container(s->ctx->al, n->type, items, out)))
            return err;
        for (uint32_t i = 0; i < n->nk; i++)
            if ((err = ev(s, n->k[i], &out->u.items[i])))
                return err;
        if (n->kind == N_MAP) {
            /* A key given twice keeps its first place and its last value, as
             * ksqlDB's map builder (a Java map) does. */
            sl_sql_value_t *it = out->u.items;
            size_t m = 0;
            for (size_t i = 0; i < items; i++) {
                size_t j = 0;
                while (j < m && !sl_sql_value_equal(&it[2 * j], &it[2 * i]))
                    j++;
                if (j == m) {
                    it[2 * m] = it[2 * i];
                    m++;
                }
                it[2 * j + 1] = it[2 * i + 1];
            }
            out->len = (uint32_t)m;
        }
        return SL_OK;
    }
    }
    return rterr(s, SL_ERR_INVAL, "bad node");
}

sl_err_t sl_sql_expr_eval(const sl_sql_cexpr_t *e, const sl_sql_value_t *row, const sl_sql_value_t *pseudo,
                          sl_sql_fn_ctx_t *ctx, sl_sql_value_t *out)
{
    sl_sql_value_t lvars[MAX_LVARS];
    ev_t s = {.row = row, .pseudo = pseudo, .ctx = ctx, .lvars = lvars};
    if (ctx->errbuf && ctx->errlen)
        ctx->errbuf[0] = 0;
    sl_err_t err = ev(&s, e->root, out);
    if (err) {
        if (err == SL_ERR_NOMEM && ctx->errbuf && ctx->errlen)
            snprintf(ctx->errbuf, ctx->errlen, "out of memory");
        *out = vnull(e->root->type);
    }
    return err;
}

sl_err_t sl_sql_expr_predicate(const sl_sql_cexpr_t *e, const sl_sql_value_t *row, const sl_sql_value_t *pseudo,
                               sl_sql_fn_ctx_t *ctx, sl_sql_tristate_t *res)
{
    *res = SL_SQL_NULL;
    if (e->root->type && e->root->type->base != SL_SQL_BOOLEAN)
        return SL_ERR_INVAL;
    sl_sql_value_t v;
    sl_err_t err = sl_sql_expr_eval(e, row, pseudo, ctx, &v);
    if (!err && !v.is_null)
        *res = v.u.b ? SL_SQL_TRUE : SL_SQL_FALSE;
    return err;
}
