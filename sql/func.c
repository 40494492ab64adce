/* func.c — the function registry: looks names up across the families'
 * tables, parses the overloads' signature patterns, resolves a call's
 * overload and types (the analyzer's side), and calls it (the evaluator's). */
#include "sql/func.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "sql/func_int.h"

/* ---- shared helpers (func_int.h) ------------------------------------------------ */

sl_err_t sl__fn_err(sl_sql_fn_ctx_t *ctx, sl_err_t err, const char *fmt, ...)
{
    if (ctx->errbuf && ctx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errbuf, ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

void sl__fn_sb_put(sl__fn_sb_t *b, const void *p, size_t n)
{
    if (b->oom || !n)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = sl_sql_alloc(b->al, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        if (b->len)
            memcpy(np, b->p, b->len);
        b->p = np, b->cap = cap - 1; /* keep a byte for the NUL */
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

sl_err_t sl__fn_sb_done(sl__fn_sb_t *b, int bytes, sl_sql_value_t *out)
{
    if (b->oom)
        return SL_ERR_NOMEM;
    if (!b->p) {
        static const char empty[1] = "";
        *out = bytes ? sl_sql_value_bytes((const uint8_t *)empty, 0) : sl_sql_value_string(empty, 0);
        return SL_OK;
    }
    b->p[b->len] = 0;
    *out = bytes ? sl_sql_value_bytes((const uint8_t *)b->p, b->len) : sl_sql_value_string(b->p, b->len);
    return SL_OK;
}

void sl__fn_vb_push(sl__fn_vb_t *b, const sl_sql_value_t *v)
{
    if (b->oom)
        return;
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        sl_sql_value_t *nv = sl_sql_alloc(b->al, cap * sizeof *nv);
        if (!nv) {
            b->oom = 1;
            return;
        }
        if (b->len)
            memcpy(nv, b->v, b->len * sizeof *nv);
        b->v = nv, b->cap = cap;
    }
    b->v[b->len++] = *v;
}

sl_err_t sl__fn_vb_done(sl__fn_vb_t *b, int map, sl_sql_value_t *out)
{
    if (b->oom)
        return SL_ERR_NOMEM;
    static sl_sql_value_t none[1];
    *out = (sl_sql_value_t){.base = map ? SL_SQL_MAP : SL_SQL_ARRAY,
                            .len = (uint32_t)(map ? b->len / 2 : b->len),
                            .u.items = b->v ? b->v : none};
    return SL_OK;
}

sl_err_t sl__fn_str(sl_sql_fn_ctx_t *ctx, const char *s, size_t n, sl_sql_value_t *out)
{
    return sl_sql_value_string_dup(ctx->al, s, n, out);
}

char *sl__fn_cstr(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *v)
{
    char *p = sl_sql_alloc(ctx->al, v->len + 1);
    if (p) {
        memcpy(p, v->u.str, v->len);
        p[v->len] = 0;
    }
    return p;
}

uint64_t sl__fn_rand(sl_sql_fn_ctx_t *ctx)
{
    if (!ctx->rand_state) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ctx->rand_state = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
                          (uint64_t)(uintptr_t)ctx;
        if (!ctx->rand_state)
            ctx->rand_state = 0x9E3779B97F4A7C15u;
    }
    uint64_t x = ctx->rand_state; /* xorshift64* */
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    ctx->rand_state = x;
    return x * 0x2545F4914F6CDD1Du;
}

size_t sl__fn_utf8_count(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

size_t sl__fn_utf8_offset(const char *s, size_t n, size_t cp)
{
    size_t i = 0;
    while (i < n && cp) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cp--;
    }
    return i;
}

/* ---- the registry ---------------------------------------------------------------- */

typedef struct family {
    const sl_sql_function_t *fns;
    const size_t *n;
} family_t;

static const family_t families[] = {
#define SL__FN_FAM(f) {sl__sql_fn_##f, &sl__sql_fn_##f##_n},
    SL__FN_FAMILIES(SL__FN_FAM)
#undef SL__FN_FAM
};

const sl_sql_function_t *sl_sql_func_find(const char *name)
{
    for (size_t f = 0; f < SL_FN_COUNT(families); f++)
        for (size_t i = 0; i < *families[f].n; i++)
            if (!strcasecmp(families[f].fns[i].name, name))
                return &families[f].fns[i];
    return NULL;
}

static int fn_cmp(const void *x, const void *y)
{
    const sl_sql_function_t *a = *(const sl_sql_function_t *const *)x;
    const sl_sql_function_t *b = *(const sl_sql_function_t *const *)y;
    return strcmp(a->name, b->name);
}

/* The scalar functions (and with_other the aggregate and table ones), in
 * name order, to cb until it returns non-zero. */
static int list_sorted(int with_other, int (*cb)(void *arg, const sl_sql_function_t *fn), void *arg)
{
    const sl_sql_function_t *all[640];
    size_t n = 0;
    for (size_t f = 0; f < SL_FN_COUNT(families); f++)
        for (size_t i = 0; i < *families[f].n && n < SL_FN_COUNT(all); i++)
            all[n++] = &families[f].fns[i];
    for (size_t i = 0; with_other && i < sl__sql_fn_other_n && n < SL_FN_COUNT(all); i++)
        all[n++] = &sl__sql_fn_other[i];
    qsort(all, n, sizeof all[0], fn_cmp);
    for (size_t i = 0; i < n; i++) {
        int rc = cb(arg, all[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int sl_sql_func_list(int (*cb)(void *arg, const sl_sql_function_t *fn), void *arg)
{
    return list_sorted(0, cb, arg);
}

int sl_sql_func_list_all(int (*cb)(void *arg, const sl_sql_function_t *fn), void *arg)
{
    return list_sorted(1, cb, arg);
}

const sl_sql_function_t *sl_sql_func_find_other(const char *name)
{
    for (size_t i = 0; i < sl__sql_fn_other_n; i++)
        if (!strcasecmp(sl__sql_fn_other[i].name, name))
            return &sl__sql_fn_other[i];
    return NULL;
}

/* ---- signature patterns ---------------------------------------------------------- */

enum { PK_PRIM, PK_DEC, PK_STRUCT, PK_GEN, PK_ARRAY, PK_MAP, PK_LAMBDA };

typedef struct pat pat_t;
struct pat {
    uint8_t kind;
    uint8_t base; /* PK_PRIM */
    uint8_t gen;  /* PK_GEN: 0..25 */
    uint8_t nsub; /* PK_LAMBDA: number of parameters */
    const pat_t *sub[4]; /* ARRAY: item; MAP: key, value; LAMBDA: parameters */
    const pat_t *res;    /* LAMBDA: the body */
};

#define MAX_PARAMS 12
typedef struct sig {
    pat_t pool[48];
    size_t npool;
    const pat_t *params[MAX_PARAMS];
    size_t n;
    int variadic;
} sig_t;

typedef struct parser {
    const char *s;
    sig_t *sig;
    int bad;
} parser_t;

static void skip_ws(parser_t *p)
{
    while (*p->s == ' ')
        p->s++;
}

static int eat(parser_t *p, const char *tok)
{
    skip_ws(p);
    size_t n = strlen(tok);
    if (strncmp(p->s, tok, n))
        return 0;
    p->s += n;
    return 1;
}

static const pat_t *parse_pat(parser_t *p)
{
    if (p->sig->npool == SL_FN_COUNT(p->sig->pool)) {
        p->bad = 1;
        return NULL;
    }
    pat_t *r = &p->sig->pool[p->sig->npool++];
    memset(r, 0, sizeof *r);
    skip_ws(p);
    if (eat(p, "(")) {
        r->kind = PK_LAMBDA;
        while (!eat(p, ")")) {
            if (r->nsub == 4 || p->bad) {
                p->bad = 1;
                return r;
            }
            r->sub[r->nsub++] = parse_pat(p);
            eat(p, ",");
        }
        if (!eat(p, "=>"))
            p->bad = 1;
        r->res = parse_pat(p);
        return r;
    }
    char id[16];
    size_t n = 0;
    while (isupper((unsigned char)*p->s) && n < sizeof id - 1)
        id[n++] = *p->s++;
    id[n] = 0;
    if (n == 1) {
        r->kind = PK_GEN, r->gen = (uint8_t)(id[0] - 'A');
    } else if (!strcmp(id, "ARRAY")) {
        r->kind = PK_ARRAY;
        if (!eat(p, "<"))
            p->bad = 1;
        r->sub[0] = parse_pat(p);
        if (!eat(p, ">"))
            p->bad = 1;
    } else if (!strcmp(id, "MAP")) {
        r->kind = PK_MAP;
        if (!eat(p, "<"))
            p->bad = 1;
        r->sub[0] = parse_pat(p);
        if (!eat(p, ","))
            p->bad = 1;
        r->sub[1] = parse_pat(p);
        if (!eat(p, ">"))
            p->bad = 1;
    } else if (!strcmp(id, "DECIMAL")) {
        r->kind = PK_DEC;
    } else if (!strcmp(id, "STRUCT")) {
        r->kind = PK_STRUCT;
    } else {
        static const struct {
            const char *name;
            sl_sql_base_t base;
        } prims[] = {{"BOOLEAN", SL_SQL_BOOLEAN}, {"INT", SL_SQL_INT},       {"BIGINT", SL_SQL_BIGINT},
                     {"DOUBLE", SL_SQL_DOUBLE},   {"STRING", SL_SQL_STRING}, {"BYTES", SL_SQL_BYTES},
                     {"DATE", SL_SQL_DATE},       {"TIME", SL_SQL_TIME},     {"TIMESTAMP", SL_SQL_TIMESTAMP}};
        r->kind = PK_PRIM;
        p->bad = 1;
        for (size_t i = 0; i < SL_FN_COUNT(prims); i++)
            if (!strcmp(id, prims[i].name))
                r->base = (uint8_t)prims[i].base, p->bad = 0;
    }
    return r;
}

/* Parses a parameter list; 0 on success (the registry's strings are checked
 * by the tests: a bad one is a programming error). */
static int parse_sig(const char *params, sig_t *sig)
{
    parser_t p = {params, sig, 0};
    sig->npool = 0, sig->n = 0, sig->variadic = 0;
    skip_ws(&p);
    while (*p.s && !p.bad) {
        if (sig->n == MAX_PARAMS)
            return -1;
        sig->params[sig->n++] = parse_pat(&p);
        if (eat(&p, "...")) {
            sig->variadic = 1;
            skip_ws(&p);
            if (*p.s)
                return -1;
            break;
        }
        if (!eat(&p, ",")) {
            skip_ws(&p);
            if (*p.s)
                return -1;
        }
    }
    return p.bad ? -1 : 0;
}

static const pat_t *parse_one(const char *s, sig_t *sig)
{
    if (parse_sig(s, sig) || sig->n != 1)
        return NULL;
    return sig->params[0];
}

/* ---- matching -------------------------------------------------------------------- */

typedef struct binding {
    const sl_sql_type_t *t[26];
    const sl_sql_alloc_t *al;
    int oom;
} binding_t;

/* The implicit-widening rank of a numeric base: INT < BIGINT < DECIMAL < DOUBLE. */
static int num_rank(int base)
{
    switch (base) {
    case SL_SQL_INT: return 1;
    case SL_SQL_BIGINT: return 2;
    case SL_SQL_DECIMAL: return 3;
    case SL_SQL_DOUBLE: return 4;
    default: return 0;
    }
}

/* INT and BIGINT as the decimals they widen to. */
static const sl_sql_type_t *as_decimal(const sl_sql_alloc_t *al, const sl_sql_type_t *t)
{
    const sl_sql_type_t *d = NULL;
    if (t->base == SL_SQL_DECIMAL)
        return t;
    sl_sql_type_decimal(al, t->base == SL_SQL_INT ? 10 : 19, 0, &d, NULL, 0);
    return d;
}

/* The narrowest numeric type both a and b widen to. */
static const sl_sql_type_t *num_wider(binding_t *b, const sl_sql_type_t *x, const sl_sql_type_t *y)
{
    int rx = num_rank(x->base), ry = num_rank(y->base);
    if (rx == 4 || ry == 4)
        return sl_sql_type_prim(SL_SQL_DOUBLE);
    if (rx == 3 || ry == 3) {
        const sl_sql_type_t *dx = as_decimal(b->al, x), *dy = as_decimal(b->al, y), *d = NULL;
        if (!dx || !dy) {
            b->oom = 1;
            return x;
        }
        int ix = dx->precision - dx->scale, iy = dy->precision - dy->scale;
        int sc = dx->scale > dy->scale ? dx->scale : dy->scale;
        int ip = ix > iy ? ix : iy;
        int p = ip + sc > SL_SQL_DECIMAL_MAX_PRECISION ? SL_SQL_DECIMAL_MAX_PRECISION : ip + sc;
        if (sc > p)
            sc = p;
        if (sl_sql_type_decimal(b->al, p, sc, &d, NULL, 0)) {
            b->oom = 1;
            return x;
        }
        return d;
    }
    return rx >= ry ? x : y;
}

/* Matches argument type t (NULL: a NULL literal) against p, binding generics;
 * exact: inside a container, where nothing widens. Adds to *cost; 0 = no match. */
static int match(const pat_t *p, const sl_sql_type_t *t, int exact, binding_t *b, int *cost)
{
    if (!t)
        return p->kind != PK_LAMBDA;
    switch (p->kind) {
    case PK_PRIM:
        if (t->base == p->base)
            return 1;
        if (!exact && num_rank(t->base) && num_rank(p->base) && num_rank(t->base) < num_rank(p->base)) {
            *cost += 2 * (num_rank(p->base) - num_rank(t->base));
            return 1;
        }
        return 0;
    case PK_DEC:
        if (t->base == SL_SQL_DECIMAL)
            return 1;
        if (!exact && (t->base == SL_SQL_INT || t->base == SL_SQL_BIGINT)) {
            *cost += 2 * (3 - num_rank(t->base));
            return 1;
        }
        return 0;
    case PK_STRUCT:
        return t->base == SL_SQL_STRUCT;
    case PK_GEN: {
        const sl_sql_type_t **slot = &b->t[p->gen];
        *cost += 1;
        if (!*slot) {
            *slot = t;
            return 1;
        }
        if (sl_sql_type_equal(*slot, t))
            return 1;
        if (!exact && num_rank((*slot)->base) && num_rank(t->base)) {
            *slot = num_wider(b, *slot, t);
            *cost += 2;
            return 1;
        }
        return 0;
    }
    case PK_ARRAY:
        return t->base == SL_SQL_ARRAY && match(p->sub[0], t->item, 1, b, cost);
    case PK_MAP:
        return t->base == SL_SQL_MAP && match(p->sub[0], t->key, 1, b, cost) &&
               match(p->sub[1], t->item, 1, b, cost);
    default:
        return 0;
    }
}

/* The type pattern p stands for, given the bindings and the argument type t
 * it matched (NULL: none). *unresolved is set when a generic is unbound. */
static const sl_sql_type_t *instantiate(const pat_t *p, const sl_sql_type_t *t, binding_t *b,
                                        int *unresolved)
{
    const sl_sql_type_t *r = NULL;
    switch (p->kind) {
    case PK_PRIM:
        return sl_sql_type_prim(p->base);
    case PK_DEC:
        if (!t) {
            *unresolved = 1;
            return NULL;
        }
        r = as_decimal(b->al, t);
        break;
    case PK_STRUCT:
        if (!t)
            *unresolved = 1;
        return t;
    case PK_GEN:
        if (!b->t[p->gen])
            *unresolved = 1;
        return b->t[p->gen];
    case PK_ARRAY: {
        const sl_sql_type_t *it = instantiate(p->sub[0], t ? t->item : NULL, b, unresolved);
        if (*unresolved)
            return NULL;
        r = sl_sql_type_array(b->al, it);
        break;
    }
    case PK_MAP: {
        const sl_sql_type_t *k = instantiate(p->sub[0], t ? t->key : NULL, b, unresolved);
        const sl_sql_type_t *v = instantiate(p->sub[1], t ? t->item : NULL, b, unresolved);
        if (*unresolved)
            return NULL;
        if (sl_sql_type_map(b->al, k, v, &r, NULL, 0)) {
            if (!*unresolved)
                *unresolved = 1; /* a key type a map cannot have */
            return NULL;
        }
        break;
    }
    default:
        *unresolved = 1;
        return NULL;
    }
    if (!r)
        b->oom = 1;
    return r;
}

/* The pattern of argument i of an overload with this signature (NULL: the
 * overload takes fewer arguments). */
static const pat_t *param_of(const sig_t *sig, size_t i)
{
    if (i < sig->n && !(sig->variadic && i == sig->n - 1))
        return sig->params[i];
    if (sig->variadic && i >= sig->n - 1)
        return sig->params[sig->n - 1];
    return NULL;
}

static int arity_ok(const sig_t *sig, size_t nargs)
{
    return sig->variadic ? nargs + 1 >= sig->n : nargs == sig->n;
}

#define IS_LAMBDA(mask, i) ((i) < 32 && ((mask) >> (i)) & 1u)

/* Matches the non-lambda arguments (and, when with_lambdas, the lambda
 * bodies) of one overload; the cost, or -1 when it does not match. */
static int match_overload(const sig_t *sig, const sl_sql_type_t *const *types, size_t nargs,
                          uint32_t mask, int with_lambdas, binding_t *b)
{
    int cost = sig->variadic ? 1 : 0;
    if (!arity_ok(sig, nargs))
        return -1;
    for (size_t i = 0; i < nargs; i++) {
        const pat_t *p = param_of(sig, i);
        if ((p->kind == PK_LAMBDA) != !!IS_LAMBDA(mask, i))
            return -1;
        if (p->kind != PK_LAMBDA && !match(p, types[i], 0, b, &cost))
            return -1;
    }
    if (with_lambdas)
        for (size_t i = 0; i < nargs; i++) {
            const pat_t *p = param_of(sig, i);
            if (p->kind == PK_LAMBDA && types[i] && !match(p->res, types[i], 1, b, &cost))
                return -1;
        }
    return b->oom ? -1 : cost;
}

static void type_text(const sl_sql_type_t *t, int lambda, char *buf, size_t len)
{
    if (lambda) {
        snprintf(buf, len, "LAMBDA");
        return;
    }
    if (!t) {
        snprintf(buf, len, "null");
        return;
    }
    sl_buf_t b = SL_BUF_INIT;
    if (sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b) == SL_OK)
        snprintf(buf, len, "%.*s", (int)b.len, (const char *)b.data);
    else
        snprintf(buf, len, "?");
    sl_buf_free(&b);
}

static sl_err_t no_match(const sl_sql_function_t *fn, const sl_sql_type_t *const *types, size_t nargs,
                         uint32_t mask, char *errbuf, size_t errlen)
{
    if (!errbuf || !errlen)
        return SL_ERR_INVAL;
    size_t off = 0;
#define APPEND(...)                                                          \
    do {                                                                     \
        if (off < errlen) {                                                  \
            int k_ = snprintf(errbuf + off, errlen - off, __VA_ARGS__);      \
            off += k_ > 0 ? (size_t)k_ : 0;                                  \
        }                                                                    \
    } while (0)
    APPEND("Function '%s' does not accept parameters (", fn->name);
    for (size_t i = 0; i < nargs; i++) {
        char t[256];
        type_text(types[i], IS_LAMBDA(mask, i), t, sizeof t);
        APPEND("%s%s", i ? ", " : "", t);
    }
    APPEND(").\nValid alternatives are:");
    for (size_t i = 0; i < fn->noverloads; i++)
        APPEND("\n%s(%s)", fn->name, fn->overloads[i].params);
#undef APPEND
    return SL_ERR_INVAL;
}

sl_err_t sl_sql_func_resolve(const char *name, const sl_sql_type_t *const *arg_types, size_t nargs,
                             uint32_t lambda_mask, const sl_sql_alloc_t *al,
                             const sl_sql_fn_call_t **out, char *errbuf, size_t errlen)
{
    const sl_sql_function_t *fn = sl_sql_func_find(name);
    if (!fn)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Can't find any functions with the name '%s'", name);
    int best_cost = -1;
    size_t best = 0;
    sig_t sig;
    binding_t b;
    for (size_t o = 0; o < fn->noverloads; o++) {
        if (parse_sig(fn->overloads[o].params, &sig))
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "bad signature %s(%s)", fn->name,
                               fn->overloads[o].params);
        memset(&b, 0, sizeof b);
        b.al = al;
        int c = match_overload(&sig, arg_types, nargs, lambda_mask, 1, &b);
        if (b.oom)
            return SL_ERR_NOMEM;
        if (c >= 0 && (best_cost < 0 || c < best_cost))
            best_cost = c, best = o;
    }
    if (best_cost < 0)
        return no_match(fn, arg_types, nargs, lambda_mask, errbuf, errlen);

    /* Redo the winner's match to keep its bindings, then type its parameters. */
    const sl_sql_overload_t *ov = &fn->overloads[best];
    parse_sig(ov->params, &sig);
    memset(&b, 0, sizeof b);
    b.al = al;
    match_overload(&sig, arg_types, nargs, lambda_mask, 1, &b);
    sl_sql_fn_call_t *call = sl_sql_alloc(al, sizeof *call);
    const sl_sql_type_t **ats = sl_sql_alloc(al, (nargs + 1) * sizeof *ats);
    const sl_sql_type_t **pts = sl_sql_alloc(al, (nargs + 1) * sizeof *pts);
    if (!call || !ats || !pts)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < nargs; i++) {
        const pat_t *p = param_of(&sig, i);
        int unresolved = 0;
        ats[i] = arg_types[i];
        if (p->kind == PK_LAMBDA)
            pts[i] = arg_types[i];
        else if (!arg_types[i])
            pts[i] = NULL;
        else {
            pts[i] = instantiate(p, arg_types[i], &b, &unresolved);
            if (unresolved || !pts[i])
                pts[i] = arg_types[i];
        }
    }
    const sl_sql_type_t *ret;
    if (ov->ret) {
        sig_t rs;
        const pat_t *rp = parse_one(ov->ret, &rs);
        int unresolved = 0;
        if (!rp)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "bad return type %s", ov->ret);
        ret = instantiate(rp, NULL, &b, &unresolved);
        if (unresolved)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                               "Function '%s' cannot infer its return type from NULL arguments; "
                               "CAST them to a type",
                               fn->name);
    } else {
        ret = ov->retfn(al, pts, nargs);
    }
    if (!ret || b.oom)
        return SL_ERR_NOMEM;
    *call = (sl_sql_fn_call_t){fn, ov, ret, nargs, ats, pts, lambda_mask};
    *out = call;
    return SL_OK;
}

sl_err_t sl_sql_func_lambda_params(const char *name, const sl_sql_type_t *const *arg_types,
                                   size_t nargs, uint32_t lambda_mask, size_t arg,
                                   size_t nparams_given, const sl_sql_alloc_t *al,
                                   const sl_sql_type_t **params, size_t max, size_t *nparams,
                                   char *errbuf, size_t errlen)
{
    const sl_sql_function_t *fn = sl_sql_func_find(name);
    if (!fn)
        return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "Can't find any functions with the name '%s'", name);
    sig_t sig;
    binding_t b;
    for (size_t o = 0; o < fn->noverloads; o++) {
        if (parse_sig(fn->overloads[o].params, &sig) || !arity_ok(&sig, nargs) || arg >= nargs)
            continue;
        const pat_t *lp = param_of(&sig, arg);
        if (lp->kind != PK_LAMBDA || lp->nsub != nparams_given)
            continue;
        memset(&b, 0, sizeof b);
        b.al = al;
        if (match_overload(&sig, arg_types, nargs, lambda_mask, 0, &b) < 0) {
            if (b.oom)
                return SL_ERR_NOMEM;
            continue;
        }
        if (lp->nsub > max)
            return sl__sql_err(errbuf, errlen, SL_ERR_INVAL, "too many lambda parameters");
        for (size_t k = 0; k < lp->nsub; k++) {
            int unresolved = 0;
            params[k] = instantiate(lp->sub[k], NULL, &b, &unresolved);
            if (unresolved)
                return sl__sql_err(errbuf, errlen, SL_ERR_INVAL,
                                   "Function '%s' cannot infer the type of lambda parameter %zu",
                                   fn->name, k + 1);
        }
        if (b.oom)
            return SL_ERR_NOMEM;
        *nparams = lp->nsub;
        return SL_OK;
    }
    return no_match(fn, arg_types, nargs, lambda_mask, errbuf, errlen);
}

/* ---- calling --------------------------------------------------------------------- */

sl_err_t sl_sql_func_call(sl_sql_fn_ctx_t *ctx, const sl_sql_fn_call_t *call,
                          const sl_sql_value_t *args, sl_sql_value_t *out)
{
    size_t n = call->nargs;
    const sl_sql_value_t *use = args;
    sl_sql_value_t *cast = NULL;
    for (size_t i = 0; i < n; i++) {
        if (IS_LAMBDA(call->lambda_mask, i))
            continue;
        if ((call->ov->flags & SL_SQL_FN_STRICT) && args[i].is_null) {
            *out = sl__fn_null(call->ret);
            return SL_OK;
        }
        const sl_sql_type_t *from = call->arg_types[i], *to = call->param_types[i];
        if (from && to && from != to && !sl_sql_type_equal(from, to)) {
            if (!cast) {
                cast = sl_sql_alloc(ctx->al, (n ? n : 1) * sizeof *cast);
                if (!cast)
                    return SL_ERR_NOMEM;
                memcpy(cast, args, n * sizeof *cast);
                use = cast;
            }
            sl_err_t err = sl_sql_cast(ctx->al, from, &args[i], to, &cast[i], ctx->errbuf, ctx->errlen);
            if (err)
                return err;
        }
    }
    return call->ov->impl(ctx, call->param_types, use, n, call->ret, out);
}
