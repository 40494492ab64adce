/* session_agg.c — GROUP BY and aggregates: a stream re-keyed by the grouping
 * expressions, a state row per group (and window) in a store, HAVING and the
 * projection over the grouping columns and the aggregate results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/trace.h"
#include "sql/session_int.h"

/* ---- GROUP BY and aggregates ---------------------------------------------------------------------
 * stream → WHERE → group_by(the GROUP BY values: a repartition) → aggregate
 * (a state row per group in a store) → HAVING → the projection → sink. The
 * records that reach the aggregator carry the source's value columns (the
 * key is now the group's): aggregate arguments see those. The result scope
 * of HAVING and the projection: the GROUP BY columns, then one slot per
 * aggregate call. */

static sl_sql_fn_ctx_t fn_ctx(sl_ctx_t *ctx, sl_sql_alloc_t *al, char *msg, size_t len)
{
    *al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    return (sl_sql_fn_ctx_t){.al = al, .errbuf = msg, .errlen = len};
}

static const void *group_key(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const gquery_t *g = arg;
    sl_sql_value_t *row = sl__sqls_slots(ctx, &g->q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, g->ngroup * sizeof *kv);
    if (!row || !k || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    for (size_t i = 0; i < g->ngroup; i++)
        if (sl_sql_expr_eval(g->group[i], row, pseudo, &fc, &kv[i]) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "GROUP BY", msg);
    *k = (sl_sql_row_t){g->ngroup, kv};
    return k;
}

static const void *agg_init(void *arg, sl_ctx_t *ctx)
{
    const gquery_t *g = arg;
    sl_sql_row_t *st = sl_ctx_alloc(ctx, sizeof *st);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (g->nstate ? g->nstate : 1) * sizeof *v);
    if (!st || !v)
        return NULL;
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        switch (a->kind) {
        case AGG_COUNT:
            v[a->state] = sl_sql_value_bigint(0);
            break;
        case AGG_AVG:
            v[a->state] = sl_sql_value_double(0);
            v[a->state + 1] = sl_sql_value_bigint(0);
            break;
        case AGG_SUM:
            v[a->state] = a->type->base == SL_SQL_INT      ? sl_sql_value_int(0)
                          : a->type->base == SL_SQL_BIGINT ? sl_sql_value_bigint(0)
                                                           : sl_sql_value_double(0);
            break;
        default:
            v[a->state] = sl_sql_value_null(a->type);
        }
    }
    *st = (sl_sql_row_t){g->nstate, v};
    return st;
}

static const void *agg_add(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                           const void *aggregate)
{
    const gquery_t *g = arg;
    const sl_sql_row_t *old = aggregate, *val = value;
    sl_sql_row_t *st = sl_ctx_alloc(ctx, sizeof *st);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (g->nstate ? g->nstate : 1) * sizeof *v);
    if (!st || !v || !old || old->n != g->nstate) {
        sl_ctx_fail(ctx, SL_ERR_PROCESSING, "bad aggregate state");
        return NULL;
    }
    memcpy(v, old->values, g->nstate * sizeof *v);
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    sl_sql_value_t nullv = {.is_null = 1};
    const sl_sql_value_t *row = val ? val->values : &nullv;
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t x = {.is_null = 0};
        if (a->arg && sl_sql_expr_eval(a->arg, row, pseudo, &fc, &x) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "aggregate", msg);
        sl_sql_value_t *s = &v[a->state];
        if (a->arg && x.is_null)
            continue; /* aggregates skip NULLs, as SQL's and ksqlDB's do */
        switch (a->kind) {
        case AGG_COUNT:
            s->u.i64++;
            break;
        case AGG_SUM:
            if (s->base == SL_SQL_INT)
                s->u.i32 = (int32_t)((uint32_t)s->u.i32 + (uint32_t)x.u.i32);
            else if (s->base == SL_SQL_BIGINT)
                s->u.i64 = (int64_t)((uint64_t)s->u.i64 + (uint64_t)x.u.i64);
            else
                s->u.d += x.u.d;
            break;
        case AGG_AVG:
            s->u.d += x.base == SL_SQL_INT      ? (double)x.u.i32
                      : x.base == SL_SQL_BIGINT ? (double)x.u.i64
                                                : x.u.d;
            v[a->state + 1].u.i64++;
            break;
        case AGG_MIN:
        case AGG_MAX: {
            int c = s->is_null ? 0 : sl_sql_value_compare(&x, s);
            if (s->is_null || (a->kind == AGG_MIN ? c < 0 : c > 0))
                sl_sql_value_copy(&al, &x, s);
            break;
        }
        case AGG_LATEST:
            sl_sql_value_copy(&al, &x, s);
            break;
        case AGG_EARLIEST:
            if (s->is_null)
                sl_sql_value_copy(&al, &x, s);
            break;
        }
    }
    *st = (sl_sql_row_t){g->nstate, v};
    return st;
}

/* Session windows: two sessions' states merged when a record bridges them. */
static const void *agg_merge(void *arg, sl_ctx_t *ctx, const void *key, const void *agg1,
                             const void *agg2)
{
    const gquery_t *g = arg;
    const sl_sql_row_t *x = agg1, *y = agg2;
    sl_sql_row_t *st = sl_ctx_alloc(ctx, sizeof *st);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (g->nstate ? g->nstate : 1) * sizeof *v);
    if (!st || !v || !x || !y || x->n != g->nstate || y->n != g->nstate) {
        sl_ctx_fail(ctx, SL_ERR_PROCESSING, "bad aggregate state");
        return NULL;
    }
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    memcpy(v, x->values, g->nstate * sizeof *v);
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t *s = &v[a->state];
        const sl_sql_value_t *o = &y->values[a->state];
        switch (a->kind) {
        case AGG_COUNT:
            s->u.i64 += o->u.i64;
            break;
        case AGG_AVG:
            s->u.d += o->u.d;
            v[a->state + 1].u.i64 += y->values[a->state + 1].u.i64;
            break;
        case AGG_SUM:
            if (s->base == SL_SQL_INT)
                s->u.i32 = (int32_t)((uint32_t)s->u.i32 + (uint32_t)o->u.i32);
            else if (s->base == SL_SQL_BIGINT)
                s->u.i64 = (int64_t)((uint64_t)s->u.i64 + (uint64_t)o->u.i64);
            else
                s->u.d += o->u.d;
            break;
        case AGG_MIN:
        case AGG_MAX: {
            if (o->is_null)
                break;
            int c = s->is_null ? 0 : sl_sql_value_compare(o, s);
            if (s->is_null || (a->kind == AGG_MIN ? c < 0 : c > 0))
                sl_sql_value_copy(&al, o, s);
            break;
        }
        case AGG_LATEST: /* agg2 is the later session */
            if (!o->is_null)
                sl_sql_value_copy(&al, o, s);
            break;
        case AGG_EARLIEST:
            if (s->is_null)
                sl_sql_value_copy(&al, o, s);
            break;
        }
    }
    *st = (sl_sql_row_t){g->nstate, v};
    return st;
}

/* The result scope's row: the group's key values, then the aggregates. */
static sl_sql_value_t *result_row(sl_ctx_t *ctx, const gquery_t *g, const sl_sql_row_t *key,
                                  const sl_sql_row_t *state)
{
    sl_sql_value_t *r = sl_ctx_alloc(ctx, (g->ngroup + g->naggs + 1) * sizeof *r);
    if (!r || !state)
        return NULL;
    for (size_t i = 0; i < g->ngroup; i++)
        r[i] = key && i < key->n ? key->values[i] : (sl_sql_value_t){.is_null = 1};
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t *o = &r[g->ngroup + i];
        if (a->kind == AGG_AVG) {
            int64_t n = state->values[a->state + 1].u.i64;
            *o = n ? sl_sql_value_double(state->values[a->state].u.d / (double)n)
                   : sl_sql_value_null(a->type);
        } else {
            *o = state->values[a->state];
        }
    }
    return r;
}

/* A windowed table's key: the group's key row and WINDOWSTART/WINDOWEND. */
static const sl_sql_row_t *group_of(const gquery_t *g, const void *key, sl_sql_value_t *pseudo)
{
    if (!g->window)
        return key;
    const sl_windowed_t *w = key;
    if (!w)
        return NULL;
    pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_value_bigint(w->start);
    pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_value_bigint(w->end);
    return w->key;
}

static int having_pass(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const gquery_t *g = arg;
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_value_t *r = result_row(ctx, g, group_of(g, key, pseudo), value);
    if (!r)
        return 0;
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    sl_sql_tristate_t t;
    if (sl_sql_expr_predicate(g->having, r, pseudo, &fc, &t) != SL_OK)
        sl__sqls_log_failure(&g->q, ctx, "HAVING", msg);
    return t == SL_SQL_TRUE;
}

static const void *agg_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const gquery_t *g = arg;
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_value_t *r = result_row(ctx, g, group_of(g, key, pseudo), value);
    sl_sql_row_t *out = sl_ctx_alloc(ctx, sizeof *out);
    sl_sql_value_t *ov = sl_ctx_alloc(ctx, (g->nout ? g->nout : 1) * sizeof *ov);
    if (!r || !out || !ov)
        return NULL;
    sl_sql_alloc_t al;
    char msg[256];
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    for (size_t i = 0; i < g->nout; i++) {
        msg[0] = 0;
        if (sl_sql_expr_eval(g->out[i], r, pseudo, &fc, &ov[i]) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "SELECT", msg);
    }
    *out = (sl_sql_row_t){g->nout, ov};
    return out;
}

/* An aggregate call met in SELECT or HAVING: its slot in the result scope. */
static int on_aggregate(void *arg, const sl_sql_expr_t *call, uint32_t *slot,
                        const sl_sql_type_t **type, char *errbuf, size_t errlen)
{
    gquery_t *g = arg;
    const char *name = call->call.name.s;
    static const struct {
        const char *name;
        agg_kind_t kind;
    } known[] = {{"COUNT", AGG_COUNT}, {"SUM", AGG_SUM}, {"MIN", AGG_MIN}, {"MAX", AGG_MAX},
                 {"AVG", AGG_AVG}, {"LATEST_BY_OFFSET", AGG_LATEST},
                 {"EARLIEST_BY_OFFSET", AGG_EARLIEST}};
    int kind = -1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcasecmp(name, known[i].name))
            kind = (int)known[i].kind;
    if (kind < 0) {
        sl__sqls_fail(errbuf, errlen, "the aggregate function %s is not supported by Sluice's SQL "
                             "compiler yet",
             name);
        return -1;
    }
    agg_spec_t a = {.kind = (agg_kind_t)kind};
    if (call->call.star || call->call.nargs == 0) {
        if (kind != AGG_COUNT) {
            sl__sqls_fail(errbuf, errlen, "%s needs an argument", name);
            return -1;
        }
        a.type = sl_sql_type_prim(SL_SQL_BIGINT);
    } else {
        if (call->call.nargs != 1) {
            sl__sqls_fail(errbuf, errlen, "%s takes one argument", name);
            return -1;
        }
        sl_sql_expr_opts_t o = {.clause = name, .catalog = g->catalog};
        const sl_sql_type_t *t;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(call->call.args[0], g->value_scope, &o, g->arena, &a.arg, &t,
                                &e)) {
            sl__sqls_fail(errbuf, errlen, "%s (aggregate arguments see the source's value columns)",
                 e.message);
            return -1;
        }
        sl_sql_base_t b = t->base;
        int num = b == SL_SQL_INT || b == SL_SQL_BIGINT || b == SL_SQL_DOUBLE;
        if ((kind == AGG_SUM || kind == AGG_AVG) && !num) {
            sl__sqls_fail(errbuf, errlen, "Function '%s' does not accept parameters (%s).", name,
                 b == SL_SQL_DECIMAL ? "DECIMAL (not supported yet)" : "a non-numeric type");
            return -1;
        }
        a.type = kind == AGG_COUNT ? sl_sql_type_prim(SL_SQL_BIGINT)
                 : kind == AGG_AVG ? sl_sql_type_prim(SL_SQL_DOUBLE)
                                   : t;
    }
    if (g->naggs == g->aggs_cap) {
        size_t cap = g->aggs_cap ? g->aggs_cap * 2 : 8;
        agg_spec_t *n = sl_arena_alloc(g->arena, cap * sizeof *n);
        if (!n)
            return -1;
        if (g->naggs)
            memcpy(n, g->aggs, g->naggs * sizeof *n);
        g->aggs = n, g->aggs_cap = cap;
    }
    a.state = g->nstate;
    g->nstate += kind == AGG_AVG ? 2 : 1;
    g->aggs[g->naggs] = a;
    *slot = (uint32_t)(g->ngroup + g->naggs);
    *type = a.type;
    g->naggs++;
    return 0;
}

/* The state row's schema, for its store: S0, S1, … typed as the states. */
static sl_sql_schema_t state_schema(gquery_t *g)
{
    sl_sql_column_t *c = sl_arena_alloc(g->arena, (g->nstate ? g->nstate : 1) * sizeof *c);
    if (!c)
        return (sl_sql_schema_t){0, NULL};
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        const sl_sql_type_t *t = a->type;
        if (a->kind == AGG_SUM && t->base != SL_SQL_INT && t->base != SL_SQL_BIGINT)
            t = sl_sql_type_prim(SL_SQL_DOUBLE);
        if (a->kind == AGG_AVG) {
            c[a->state + 1] = (sl_sql_column_t){NULL, sl_sql_type_prim(SL_SQL_BIGINT)};
            t = sl_sql_type_prim(SL_SQL_DOUBLE);
        }
        c[a->state] = (sl_sql_column_t){NULL, t};
    }
    for (size_t i = 0; i < g->nstate; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "S%zu", i);
        c[i].name = sl__sqls_arena_str(g->arena, nm);
    }
    return (sl_sql_schema_t){g->nstate, c};
}

sl_err_t sl__sqls_compile_aggregate(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                  const sl_sql_datasource_t *src, const sl_sql_query_t *qa,
                                  gquery_t *g, const sl_sql_scope_t *scope, char *errbuf,
                                  size_t errlen)
{
    sl_arena_t *a = &s->arena;
    query_t *q = &g->q;
    if (stmt->kind != SL_SQL_STMT_CREATE_AS) {
        sl__sqls_fail(errbuf, errlen, "INSERT INTO … GROUP BY is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }
    if (!stmt->create.table) {
        sl__sqls_fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a TABLE. Please use "
                             "CREATE TABLE AS SELECT statement instead.");
        return SL_ERR_INVAL;
    }
    if (src->table) {
        sl__sqls_fail(errbuf, errlen, "GROUP BY over a table is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }
    g->arena = a;
    g->catalog = s->catalog;
    sl_sql_error_t e;
    /* The GROUP BY expressions, over the whole source row. */
    g->ngroup = qa->ngroup_by;
    g->group = sl_arena_alloc(a, g->ngroup * sizeof *g->group);
    sl_sql_scope_col_t *rc = sl_arena_alloc(a, g->ngroup * sizeof *rc);
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, (g->ngroup + qa->nitems + 1) * sizeof *cols);
    if (!g->group || !rc || !cols)
        return SL_ERR_NOMEM;
    sl_sql_expr_opts_t og = {.clause = "GROUP BY", .catalog = s->catalog};
    int anon = 0;
    for (size_t i = 0; i < g->ngroup; i++) {
        const sl_sql_type_t *t;
        const sl_sql_expr_t *x = qa->group_by[i];
        if (sl_sql_expr_compile(x, scope, &og, a, &g->group[i], &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char nm[32];
        const char *name = x->kind == SL_SQL_EXPR_COLUMN ? x->column.name.s : NULL;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_COL_%d", anon++);
            name = nm;
        }
        rc[i] = (sl_sql_scope_col_t){NULL, sl__sqls_arena_str(a, name), t, (uint32_t)i};
    }
    /* What the aggregator's records carry: the source's value columns. */
    sl_sql_scope_col_t *vc = sl_arena_alloc(a, (q->nvalue ? q->nvalue : 1) * sizeof *vc);
    if (!vc)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < q->nvalue; i++)
        vc[i] = (sl_sql_scope_col_t){scope->cols[q->nkey + i].source,
                                     scope->cols[q->nkey + i].name, scope->cols[q->nkey + i].type,
                                     (uint32_t)i};
    sl_sql_scope_t value_scope = {vc, q->nvalue, false};
    g->value_scope = &value_scope;
    /* SELECT and HAVING over the GROUP BY columns and the aggregates. */
    sl_sql_scope_t result = {rc, g->ngroup, qa->window != NULL};
    g->window = !qa->window ? 0 : qa->window->kind == SL_SQL_WINDOW_SESSION ? 2 : 1;
    sl_sql_expr_opts_t os = {.clause = "SELECT", .on_aggregate = on_aggregate, .agg_arg = g,
                             .catalog = s->catalog};
    g->out = sl_arena_alloc(a, (qa->nitems + 1) * sizeof *g->out);
    int *seen = sl_arena_alloc(a, g->ngroup * sizeof *seen);
    if (!g->out || !seen)
        return SL_ERR_NOMEM;
    memset(seen, 0, g->ngroup * sizeof *seen);
    size_t ncols = 0, nkeycols = 0;
    sl_sql_datasource_col_t *vcols = sl_arena_alloc(a, (qa->nitems + 1) * sizeof *vcols);
    if (!vcols)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < qa->nitems; i++) {
        const sl_sql_select_item_t *it = qa->items[i];
        if (it->kind != SL_SQL_SELECT_EXPR) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: SELECT * cannot be used with GROUP BY",
                 it->pos.line, it->pos.col);
            return SL_ERR_INVAL;
        }
        const sl_sql_expr_t *x = it->expr;
        if (x->kind == SL_SQL_EXPR_COLUMN && !it->alias.s) {
            size_t j = 0;
            for (; j < g->ngroup; j++)
                if (!strcmp(rc[j].name, x->column.name.s))
                    break;
            if (j < g->ngroup) {
                if (seen[j]++) {
                    sl__sqls_fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                         it->pos.col, rc[j].name);
                    return SL_ERR_INVAL;
                }
                nkeycols++;
                continue;
            }
        }
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(x, &result, &os, a, &g->out[g->nout], &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        g->nout++;
        char nm[32];
        const char *name = it->alias.s;
        if (!name && x->kind == SL_SQL_EXPR_COLUMN)
            name = x->column.name.s;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_COL_%d", anon++);
            name = nm;
        }
        vcols[ncols++] = (sl_sql_datasource_col_t){sl__sqls_arena_str(a, name), t, SL_SQL_ROLE_VALUE, NULL};
    }
    if (nkeycols != g->ngroup) {
        size_t j = 0;
        while (j < g->ngroup && seen[j])
            j++;
        sl__sqls_fail(errbuf, errlen,
             "Key missing from projection (ie, SELECT). The query used to build `%s` must "
             "include the grouping expressions %s in its projection (eg, SELECT %s...).",
             stmt->create.name.s, rc[j].name, rc[j].name);
        return SL_ERR_INVAL;
    }
    if (qa->having) {
        sl_sql_expr_opts_t oh = os;
        oh.clause = "HAVING";
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->having, &result, &oh, a, &g->having, &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (t->base != SL_SQL_BOOLEAN) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: HAVING must be a boolean expression",
                 qa->having->pos.line, qa->having->pos.col);
            return SL_ERR_INVAL;
        }
    }
    g->value_scope = NULL; /* a compile-time scope: gone after this call */
    if (!g->naggs) {
        sl__sqls_fail(errbuf, errlen, "GROUP BY requires aggregate functions in either the SELECT or "
                             "HAVING clause.");
        return SL_ERR_INVAL;
    }
    /* The table: key = the GROUP BY columns, then the value columns. */
    for (size_t i = 0; i < g->ngroup; i++)
        cols[i] = (sl_sql_datasource_col_t){rc[i].name, rc[i].type, SL_SQL_ROLE_KEY, NULL};
    memcpy(cols + g->ngroup, vcols, ncols * sizeof *cols);
    sl_sql_datasource_t made = {0};
    char b1[64], b2[64], b3[64], b4[64];
    const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    const char *fmt = sl__sqls_with_prop(stmt, "FORMAT", b2, sizeof b2);
    const char *kf = sl__sqls_with_prop(stmt, "KEY_FORMAT", b3, sizeof b3);
    const char *vf = sl__sqls_with_prop(stmt, "VALUE_FORMAT", b4, sizeof b4);
    made.name = stmt->create.name.s;
    made.table = 1;
    made.cols = cols;
    made.ncols = g->ngroup + ncols;
    made.window = g->window;
    made.window_size = qa->window ? sl_sql_duration_ms(&qa->window->size) : 0;
    made.topic = topic ? topic : stmt->create.name.s;
    made.partitions = src->partitions;
    made.key_format = src->key_format;
    made.value_format = src->value_format;
    if (made.key_format.kind == SL_SQL_FORMAT_NONE ||
        (made.key_format.kind == SL_SQL_FORMAT_KAFKA && g->ngroup > 1))
        made.key_format.kind = g->ngroup > 1 ? SL_SQL_FORMAT_JSON : SL_SQL_FORMAT_KAFKA;
    made.key_format.is_key = 1;
    char m[512];
    if ((fmt && (sl_sql_format_kind_parse(fmt, &made.key_format.kind, m, sizeof m) ||
                 sl_sql_format_kind_parse(fmt, &made.value_format.kind, m, sizeof m))) ||
        (kf && sl_sql_format_kind_parse(kf, &made.key_format.kind, m, sizeof m)) ||
        (vf && sl_sql_format_kind_parse(vf, &made.value_format.kind, m, sizeof m))) {
        sl__sqls_fail(errbuf, errlen, "%s", m);
        return SL_ERR_INVAL;
    }
    if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        sl__sqls_fail(errbuf, errlen, "Cannot add table '%s': A table with the same name already exists",
             made.name);
        return SL_ERR_EXISTS;
    }
    if (sl_sql_catalog_topic_partitions(s->catalog, made.topic) < 0) {
        char tb[256] = "";
        if (sl_sql_catalog_topic_create(s->catalog, made.topic, made.partitions, tb, sizeof tb)) {
            sl__sqls_fail(errbuf, errlen, "Could not create topic '%s': %s", made.topic, tb);
            return SL_ERR_IO;
        }
    }
    sl_err_t err = sl_sql_catalog_add(s->catalog, &made, stmt->create.or_replace, errbuf, errlen);
    if (err)
        return err;
    const sl_sql_datasource_t *target = sl_sql_catalog_find(s->catalog, made.name);
    /* The serdes: the group key (repartition, store, sink), the state. */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    sl_sql_format_t state_fmt = {.kind = SL_SQL_FORMAT_JSON};
    sl_sql_schema_t sschema = state_schema(g);
    const sl_serde_t *ks, *vs, *ss, *srcvs;
    if (!sschema.cols)
        return SL_ERR_NOMEM;
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m) ||
        sl_sql_serde_new(&al, &state_fmt, &sschema, &ss, m, sizeof m) ||
        sl_sql_serde_new(&al, &src->value_format, &src->value_schema, &srcvs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = sl__sqls_source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    if (q->where)
        stream = sl_kstream_filter(stream, sl__sqls_where_pass, q);
    /* Grouping by the source's key columns, in order, in the same key format:
     * the records are keyed already — no repartition (ksqlDB does the same). */
    int by_key = g->ngroup == q->nkey && src->key_format.kind == target->key_format.kind;
    for (size_t i = 0; by_key && i < g->ngroup; i++) {
        const sl_sql_expr_t *x = qa->group_by[i];
        by_key = x->kind == SL_SQL_EXPR_COLUMN &&
                 !strcmp(x->column.name.s, src->key_schema.cols[i].name);
    }
    sl_grouped_t gr = {.key_serde = ks, .value_serde = srcvs};
    sl_materialized_t mat = {.key_serde = ks, .value_serde = ss};
    sl_kgroupedstream_t *grouped = by_key ? sl_kstream_group_by_key(stream, &gr)
                                          : sl_kstream_group_by(stream, group_key, g, &gr);
    const sl_serde_t *sink_ks = ks;
    if (!qa->window) {
        table = sl_kgroupedstream_aggregate(grouped, agg_init, agg_add, g, &mat);
    } else {
        const sl_sql_window_t *w = qa->window;
        sl_serde_t *wks = sl_arena_alloc(a, sizeof *wks);
        if (!wks)
            return SL_ERR_NOMEM;
        if (w->retention.set)
            mat.retention_ms = sl_sql_duration_ms(&w->retention);
        int64_t grace = w->grace.set ? sl_sql_duration_ms(&w->grace) : 0;
        if (w->kind == SL_SQL_WINDOW_SESSION) {
            sl_session_windows_t sw = {.gap_ms = sl_sql_duration_ms(&w->size), .grace_ms = grace};
            table = sl_swstream_aggregate(sl_kgroupedstream_windowed_by_session(grouped, &sw),
                                          agg_init, agg_add, agg_merge, g, &mat);
            *wks = sl_serde_session_windowed(ks);
        } else {
            sl_time_windows_t tw = {.size_ms = sl_sql_duration_ms(&w->size),
                                    .advance_ms = w->kind == SL_SQL_WINDOW_HOPPING
                                                      ? sl_sql_duration_ms(&w->advance)
                                                      : 0,
                                    .grace_ms = grace};
            table = sl_twstream_aggregate(sl_kgroupedstream_windowed_by(grouped, &tw), agg_init,
                                          agg_add, g, &mat);
            *wks = sl_serde_time_windowed(ks, tw.size_ms);
        }
        sink_ks = wks;
        /* EMIT FINAL: one result per window, when it closes. */
        if (qa->emit == SL_SQL_EMIT_FINAL) {
            sl_suppressed_t sup = {.until_window_closes = 1};
            table = sl_ktable_suppress(table, &sup);
        }
    }
    if (g->having)
        table = sl_ktable_filter(table, having_pass, g, NULL);
    table = sl_ktable_map_values(table, agg_project, g, NULL);
    sl_produced_t p = {.key_serde = sink_ks, .value_serde = vs};
    sl_kstream_to(sl_ktable_to_stream(table), target->topic, &p);
    if (sl_topology_error(s->topo)) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}
