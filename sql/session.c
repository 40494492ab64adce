/* session.c — compiling persistent queries into a topology through the
 * engine's public API: a source per topic (rows through SQL serdes), a filter
 * for WHERE, a map for the projection, a sink to the target's topic. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "sql/expr.h"
#include "sql/sql_parse.h"
#include "sql/session.h"

typedef struct source_handle {
    char *topic;
    sl_kstream_t *stream; /* one of these */
    sl_ktable_t *table;
} source_handle_t;

struct sl_sql_session {
    sl_sql_catalog_t *catalog;
    sl_topology_t *topo;
    sl_arena_t arena; /* what the topology's callbacks read: lives as long as it */
    source_handle_t *sources;
    size_t nsources;
    int nqueries;
    char message[256];
    sl_sql_insert_t *inserts; /* from INSERT … VALUES, bytes in the arena */
    size_t ninserts, inserts_cap;
};

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

sl_sql_session_t *sl_sql_session_new(sl_sql_catalog_t *catalog)
{
    sl_sql_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->catalog = catalog;
    s->topo = sl_topology_new();
    if (!s->topo) {
        free(s);
        return NULL;
    }
    return s;
}

void sl_sql_session_destroy(sl_sql_session_t *s)
{
    if (!s)
        return;
    sl_topology_destroy(s->topo);
    for (size_t i = 0; i < s->nsources; i++)
        free(s->sources[i].topic);
    free(s->sources);
    free(s->inserts);
    sl_arena_free(&s->arena);
    free(s);
}

const sl_sql_insert_t *sl_sql_session_inserts(sl_sql_session_t *s, size_t *n)
{
    *n = s->ninserts;
    return s->inserts;
}

void sl_sql_session_clear_inserts(sl_sql_session_t *s) { s->ninserts = 0; }

sl_topology_t *sl_sql_session_topology(sl_sql_session_t *s) { return s->topo; }
int sl_sql_session_queries(const sl_sql_session_t *s) { return s->nqueries; }

/* ---- the per-record work ---------------------------------------------------------------------- */

/* A compiled query: what its callbacks read. */
typedef struct query {
    const char *id;
    size_t nkey, nvalue;          /* the source's key and value columns (slots in that order) */
    int ts_slot;                  /* the source's TIMESTAMP column, or -1 */
    const sl_sql_cexpr_t *where;  /* NULL: none */
    const sl_sql_cexpr_t **out;   /* the target's value columns */
    size_t nout;
    const int *key_from;          /* the target's key columns: source key slots */
    size_t nkey_out;
    const sl_sql_cexpr_t **key_exprs; /* PARTITION BY: the new key, instead of key_from */
} query_t;

/* The source row as one slot vector: key columns, then value columns. */
static sl_sql_value_t *slots(sl_ctx_t *ctx, const query_t *q, const sl_sql_row_t *key,
                             const sl_sql_row_t *value)
{
    size_t n = q->nkey + q->nvalue;
    sl_sql_value_t *row = sl_ctx_alloc(ctx, (n ? n : 1) * sizeof *row);
    if (!row)
        return NULL;
    for (size_t i = 0; i < q->nkey; i++)
        row[i] = key && i < key->n ? key->values[i] : (sl_sql_value_t){.is_null = 1};
    for (size_t i = 0; i < q->nvalue; i++)
        row[q->nkey + i] =
            value && i < value->n ? value->values[i] : (sl_sql_value_t){.is_null = 1};
    return row;
}

static void pseudo_of(sl_ctx_t *ctx, sl_sql_value_t *p)
{
    memset(p, 0, SL_SQL_PSEUDO_COUNT * sizeof *p);
    p[SL_SQL_PSEUDO_ROWTIME] = sl_sql_value_bigint(sl_ctx_timestamp(ctx));
    p[SL_SQL_PSEUDO_ROWPARTITION] = sl_sql_value_int(sl_ctx_partition(ctx));
    p[SL_SQL_PSEUDO_ROWOFFSET] = sl_sql_value_bigint(sl_ctx_offset(ctx));
    for (int i = SL_SQL_PSEUDO_WINDOWSTART; i < SL_SQL_PSEUDO_COUNT; i++)
        p[i].is_null = 1;
}

/* A run-time failure: the column is NULL; the reason goes to the log
 * (ksqlDB's processing log: a stream of its own is not there yet). */
static void log_failure(const query_t *q, sl_ctx_t *ctx, const char *what, const char *msg)
{
    sl_trace(SL_TRACE_WARN, "sql", "%s: record %s-%d@%lld: %s: %s", q->id,
             sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "?", (int)sl_ctx_partition(ctx),
             (long long)sl_ctx_offset(ctx), what, msg);
}

static int where_pass(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const query_t *q = arg;
    if (!value)
        return 0; /* a stream's null value: nothing to select from */
    sl_sql_value_t *row = slots(ctx, q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    if (!row)
        return 0;
    pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    sl_sql_tristate_t r;
    if (sl_sql_expr_predicate(q->where, row, pseudo, &fc, &r) != SL_OK)
        log_failure(q, ctx, "WHERE", msg);
    return r == SL_SQL_TRUE;
}

/* The target's key and value rows. */
static sl_err_t project(const query_t *q, sl_ctx_t *ctx, const void *key, const void *value,
                        const sl_sql_row_t **okey, const sl_sql_row_t **ovalue)
{
    sl_sql_value_t *row = slots(ctx, q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k), *v = sl_ctx_alloc(ctx, sizeof *v);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, (q->nkey_out ? q->nkey_out : 1) * sizeof *kv);
    sl_sql_value_t *vv = sl_ctx_alloc(ctx, (q->nout ? q->nout : 1) * sizeof *vv);
    if (!row || !k || !v || !kv || !vv)
        return SL_ERR_NOMEM;
    pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256];
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    for (size_t i = 0; i < q->nout; i++) {
        msg[0] = 0;
        if (sl_sql_expr_eval(q->out[i], row, pseudo, &fc, &vv[i]) != SL_OK)
            log_failure(q, ctx, "SELECT", msg);
    }
    for (size_t i = 0; i < q->nkey_out; i++) {
        if (!q->key_exprs) {
            kv[i] = row[q->key_from[i]];
            continue;
        }
        msg[0] = 0;
        if (sl_sql_expr_eval(q->key_exprs[i], row, pseudo, &fc, &kv[i]) != SL_OK)
            log_failure(q, ctx, "PARTITION BY", msg);
    }
    *k = (sl_sql_row_t){q->nkey_out, kv};
    *v = (sl_sql_row_t){q->nout, vv};
    *okey = q->nkey_out ? k : NULL;
    *ovalue = v;
    return SL_OK;
}

static void stream_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                           const void **out_key, const void **out_value)
{
    const sl_sql_row_t *k, *v;
    if (project(arg, ctx, key, value, &k, &v)) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    *out_key = k, *out_value = v;
}

static const void *table_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const sl_sql_row_t *k, *v;
    if (project(arg, ctx, key, value, &k, &v)) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return v;
}

static int64_t row_timestamp(void *arg, const void *key, const void *value, int64_t record_ts,
                             int64_t partition_time)
{
    const query_t *q = arg;
    const sl_sql_row_t *v = value;
    size_t i = (size_t)q->ts_slot - q->nkey;
    if (!v || i >= v->n || v->values[i].is_null)
        return -1; /* no time: dropped and counted, as Kafka Streams does */
    return v->values[i].u.i64;
}

/* ---- compiling ------------------------------------------------------------------------------------ */

static char *arena_str(sl_arena_t *a, const char *s)
{
    return s ? sl_arena_memdup(a, s, strlen(s) + 1) : NULL;
}

/* The engine source for a datasource: one per topic in a topology. */
static sl_err_t source_for(sl_sql_session_t *s, const sl_sql_datasource_t *src, query_t *q,
                           sl_kstream_t **stream, sl_ktable_t **table, char *errbuf,
                           size_t errlen)
{
    for (size_t i = 0; i < s->nsources; i++) {
        if (!strcmp(s->sources[i].topic, src->topic)) {
            if ((s->sources[i].table != NULL) != (src->table != 0)) {
                fail(errbuf, errlen,
                     "Topic %s is read both as a stream and as a table by this application",
                     src->topic);
                return SL_ERR_UNSUPPORTED;
            }
            *stream = s->sources[i].stream, *table = s->sources[i].table;
            return SL_OK;
        }
    }
    sl_sql_alloc_t al = sl_sql_alloc_arena(&s->arena);
    const sl_serde_t *ks, *vs;
    char m[512];
    if (sl_sql_serde_new(&al, &src->key_format, &src->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &src->value_format, &src->value_schema, &vs, m, sizeof m)) {
        fail(errbuf, errlen, "%s: %s", src->name, m);
        return SL_ERR_INVAL;
    }
    sl_consumed_t c = {.key_serde = ks, .value_serde = vs};
    if (q->ts_slot >= 0)
        c.timestamp_extractor = row_timestamp, c.timestamp_arg = q;
    *stream = NULL, *table = NULL;
    if (src->table)
        *table = sl_table(s->topo, src->topic, &c, NULL);
    else
        *stream = sl_stream(s->topo, &src->topic, 1, &c);
    if (!*stream && !*table) {
        fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    source_handle_t *h = realloc(s->sources, (s->nsources + 1) * sizeof *h);
    if (!h)
        return SL_ERR_NOMEM;
    s->sources = h;
    h[s->nsources++] = (source_handle_t){strdup(src->topic), *stream, *table};
    return s->sources[s->nsources - 1].topic ? SL_OK : SL_ERR_NOMEM;
}

/* A WITH property of CREATE … AS SELECT, upper-cased name, as text. */
static const char *with_prop(const sl_sql_stmt_t *stmt, const char *name, char *buf, size_t len)
{
    for (size_t i = 0; i < stmt->create.nprops; i++) {
        const sl_sql_prop_t *p = stmt->create.props[i];
        if (strcasecmp(p->name.s, name))
            continue;
        const sl_sql_expr_t *v = p->value;
        if (v->kind == SL_SQL_EXPR_STRING)
            return v->str.s;
        if (v->kind == SL_SQL_EXPR_INT || v->kind == SL_SQL_EXPR_BIGINT) {
            snprintf(buf, len, "%lld", (long long)v->i);
            return buf;
        }
        if (v->kind == SL_SQL_EXPR_BOOL)
            return v->b ? "true" : "false";
    }
    return NULL;
}

static sl_err_t unsupported(const sl_sql_query_t *qa, char *errbuf, size_t errlen)
{
    const char *what = qa->njoins > 1       ? "a JOIN of more than two sources"
                       : qa->njoins && (qa->ngroup_by || qa->npartition_by) ? "JOIN with GROUP BY or PARTITION BY"
                       : qa->window && !qa->ngroup_by ? "WINDOW without GROUP BY"
                       : qa->npartition_by && qa->ngroup_by ? "PARTITION BY with GROUP BY"
                       : qa->having && !qa->ngroup_by ? "HAVING without GROUP BY"
                       : qa->has_limit      ? "LIMIT"
                       : qa->emit == SL_SQL_EMIT_FINAL && !qa->window ? "EMIT FINAL without WINDOW"
                                                       : NULL;
    if (!what)
        return SL_OK;
    fail(errbuf, errlen, "line %u:%u: %s is not supported by Sluice's SQL compiler yet",
         qa->pos.line, qa->pos.col, what);
    return SL_ERR_UNSUPPORTED;
}

/* ---- GROUP BY and aggregates ---------------------------------------------------------------------
 * stream → WHERE → group_by(the GROUP BY values: a repartition) → aggregate
 * (a state row per group in a store) → HAVING → the projection → sink. The
 * records that reach the aggregator carry the source's value columns (the
 * key is now the group's): aggregate arguments see those. The result scope
 * of HAVING and the projection: the GROUP BY columns, then one slot per
 * aggregate call. */

typedef enum agg_kind { AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_LATEST, AGG_EARLIEST } agg_kind_t;

typedef struct agg_spec {
    agg_kind_t kind;
    const sl_sql_cexpr_t *arg; /* NULL: COUNT(*) */
    const sl_sql_type_t *type; /* the result's */
    size_t state;              /* its first state slot (AVG has two: sum, count) */
} agg_spec_t;

typedef struct gquery {
    query_t q;                    /* id, source layout, WHERE */
    const sl_sql_cexpr_t **group; /* over the source's key + value slots */
    size_t ngroup;
    agg_spec_t *aggs;
    size_t naggs, aggs_cap;
    size_t nstate;
    const sl_sql_cexpr_t *having; /* over the result scope */
    const sl_sql_cexpr_t **out;   /* the target's value columns, over the result scope */
    size_t nout;
    sl_arena_t *arena;
    const sl_sql_scope_t *value_scope;
    const sl_sql_catalog_t *catalog;
    int window; /* 0, 1 time windows, 2 session windows: keys are sl_windowed_t */
} gquery_t;

static sl_sql_fn_ctx_t fn_ctx(sl_ctx_t *ctx, sl_sql_alloc_t *al, char *msg, size_t len)
{
    *al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    return (sl_sql_fn_ctx_t){.al = al, .errbuf = msg, .errlen = len};
}

static const void *group_key(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const gquery_t *g = arg;
    sl_sql_value_t *row = slots(ctx, &g->q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, g->ngroup * sizeof *kv);
    if (!row || !k || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    for (size_t i = 0; i < g->ngroup; i++)
        if (sl_sql_expr_eval(g->group[i], row, pseudo, &fc, &kv[i]) != SL_OK)
            log_failure(&g->q, ctx, "GROUP BY", msg);
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
    pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    sl_sql_value_t nullv = {.is_null = 1};
    const sl_sql_value_t *row = val ? val->values : &nullv;
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t x = {.is_null = 0};
        if (a->arg && sl_sql_expr_eval(a->arg, row, pseudo, &fc, &x) != SL_OK)
            log_failure(&g->q, ctx, "aggregate", msg);
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
    pseudo_of(ctx, pseudo);
    sl_sql_value_t *r = result_row(ctx, g, group_of(g, key, pseudo), value);
    if (!r)
        return 0;
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    sl_sql_tristate_t t;
    if (sl_sql_expr_predicate(g->having, r, pseudo, &fc, &t) != SL_OK)
        log_failure(&g->q, ctx, "HAVING", msg);
    return t == SL_SQL_TRUE;
}

static const void *agg_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const gquery_t *g = arg;
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    pseudo_of(ctx, pseudo);
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
            log_failure(&g->q, ctx, "SELECT", msg);
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
        fail(errbuf, errlen, "the aggregate function %s is not supported by Sluice's SQL "
                             "compiler yet",
             name);
        return -1;
    }
    agg_spec_t a = {.kind = (agg_kind_t)kind};
    if (call->call.star || call->call.nargs == 0) {
        if (kind != AGG_COUNT) {
            fail(errbuf, errlen, "%s needs an argument", name);
            return -1;
        }
        a.type = sl_sql_type_prim(SL_SQL_BIGINT);
    } else {
        if (call->call.nargs != 1) {
            fail(errbuf, errlen, "%s takes one argument", name);
            return -1;
        }
        sl_sql_expr_opts_t o = {.clause = name, .catalog = g->catalog};
        const sl_sql_type_t *t;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(call->call.args[0], g->value_scope, &o, g->arena, &a.arg, &t,
                                &e)) {
            fail(errbuf, errlen, "%s (aggregate arguments see the source's value columns)",
                 e.message);
            return -1;
        }
        sl_sql_base_t b = t->base;
        int num = b == SL_SQL_INT || b == SL_SQL_BIGINT || b == SL_SQL_DOUBLE;
        if ((kind == AGG_SUM || kind == AGG_AVG) && !num) {
            fail(errbuf, errlen, "Function '%s' does not accept parameters (%s).", name,
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
        c[i].name = arena_str(g->arena, nm);
    }
    return (sl_sql_schema_t){g->nstate, c};
}

/* ---- stream-table joins -----------------------------------------------------------------------------
 * stream [re-keyed by the ON expression: a repartition] → join with the
 * table on its key → the combined row (left key, left value, right key,
 * right value columns) → WHERE → projection → sink. */

typedef struct jquery {
    query_t q;        /* over the combined row: nkey 0, nvalue = all its slots */
    size_t lk, lv, rk, rv;
    const sl_sql_type_t **types; /* each slot's: a missing right side is typed NULLs */
    int rekeyed;      /* the left value carries the left key columns too */
} jquery_t;

static const void *join_rows(void *arg, sl_ctx_t *ctx, const void *key, const void *left,
                             const void *right)
{
    const jquery_t *j = arg;
    const sl_sql_row_t *k = key, *l = left, *r = right;
    size_t n = j->lk + j->lv + j->rk + j->rv;
    sl_sql_row_t *out = sl_ctx_alloc(ctx, sizeof *out);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (n ? n : 1) * sizeof *v);
    if (!out || !v)
        return NULL;
    for (size_t i = 0; i < n; i++)
        v[i] = sl_sql_value_null(j->types[i]);
    size_t at = 0;
    if (!j->rekeyed) {
        for (size_t i = 0; i < j->lk && k && i < k->n; i++)
            v[i] = k->values[i];
        at = j->lk;
        for (size_t i = 0; i < j->lv && l && i < l->n; i++)
            v[at + i] = l->values[i];
    } else {
        for (size_t i = 0; i < j->lk + j->lv && l && i < l->n; i++)
            v[i] = l->values[i];
    }
    at = j->lk + j->lv;
    for (size_t i = 0; i < j->rk && k && i < k->n; i++)
        v[at + i] = k->values[i]; /* the table's key is the join key */
    at += j->rk;
    for (size_t i = 0; i < j->rv && r && i < r->n; i++)
        v[at + i] = r->values[i];
    *out = (sl_sql_row_t){n, v};
    return out;
}

/* The left stream re-keyed by the ON expression, its value carrying the left
 * key columns and the value columns. */
typedef struct rekey {
    const sl_sql_cexpr_t *on_left;
    query_t q; /* the left source's layout */
} rekey_t;

static void rekey_map(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                      const void **out_key, const void **out_value)
{
    const rekey_t *rk = arg;
    sl_sql_value_t *row = slots(ctx, &rk->q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k), *v = sl_ctx_alloc(ctx, sizeof *v);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, sizeof *kv);
    if (!row || !k || !v || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    if (sl_sql_expr_eval(rk->on_left, row, pseudo, &fc, kv) != SL_OK)
        log_failure(&rk->q, ctx, "JOIN ON", msg);
    *k = (sl_sql_row_t){1, kv};
    *v = (sl_sql_row_t){rk->q.nkey + rk->q.nvalue, row};
    *out_key = k, *out_value = v;
}

/* Is e a reference to column name of the source aliased alias (qualified
 * with it, or unqualified)? */
static int refers_to(const sl_sql_expr_t *e, const char *alias, const char *name)
{
    return e->kind == SL_SQL_EXPR_COLUMN && !strcmp(e->column.name.s, name) &&
           (!e->column.qualifier.s || !strcmp(e->column.qualifier.s, alias));
}

static sl_err_t compile_join(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                             const sl_sql_datasource_t *left, const sl_sql_query_t *qa,
                             char *errbuf, size_t errlen)
{
    const sl_sql_join_t *jn = qa->joins[0];
    const sl_sql_datasource_t *right = sl_sql_catalog_find(s->catalog, jn->source.name.s);
    if (!right) {
        fail(errbuf, errlen, "line %u:%u: %s does not exist.", jn->source.name.pos.line,
             jn->source.name.pos.col, jn->source.name.s);
        return SL_ERR_INVAL;
    }
    if (left->table || !right->table) {
        fail(errbuf, errlen, "line %u:%u: only stream-table joins are supported by Sluice's SQL "
                             "compiler yet",
             jn->pos.line, jn->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    if (jn->kind != SL_SQL_JOIN_INNER && jn->kind != SL_SQL_JOIN_LEFT) {
        fail(errbuf, errlen, "Invalid join type: %s join not supported for stream-table join. "
                             "Only INNER JOIN and LEFT JOIN are supported.",
             jn->kind == SL_SQL_JOIN_FULL ? "full-outer" : "right");
        return SL_ERR_INVAL;
    }
    if (right->key_schema.ncols != 1) {
        fail(errbuf, errlen, "%s: a table with %zu key columns cannot be joined yet", right->name,
             right->key_schema.ncols);
        return SL_ERR_UNSUPPORTED;
    }
    if (stmt->kind == SL_SQL_STMT_CREATE_AS && stmt->create.table) {
        fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a STREAM. Please "
                             "use CREATE STREAM AS SELECT statement instead.");
        return SL_ERR_INVAL;
    }
    sl_arena_t *a = &s->arena;
    jquery_t *j = sl_arena_alloc(a, sizeof *j);
    rekey_t *rk = sl_arena_alloc(a, sizeof *rk);
    if (!j || !rk)
        return SL_ERR_NOMEM;
    memset(j, 0, sizeof *j);
    memset(rk, 0, sizeof *rk);
    j->lk = left->key_schema.ncols, j->lv = left->value_schema.ncols;
    j->rk = 1, j->rv = right->value_schema.ncols;
    const char *la = qa->from.alias.s ? qa->from.alias.s : left->name;
    const char *ra = jn->source.alias.s ? jn->source.alias.s : right->name;
    size_t n = j->lk + j->lv + j->rk + j->rv;
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, (n ? n : 1) * sizeof *sc);
    if (!sc)
        return SL_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; i < j->lk; i++, at++)
        sc[at] = (sl_sql_scope_col_t){la, left->key_schema.cols[i].name,
                                      left->key_schema.cols[i].type, (uint32_t)at};
    for (size_t i = 0; i < j->lv; i++, at++)
        sc[at] = (sl_sql_scope_col_t){la, left->value_schema.cols[i].name,
                                      left->value_schema.cols[i].type, (uint32_t)at};
    const sl_sql_column_t *rkey = &right->key_schema.cols[0];
    sc[at] = (sl_sql_scope_col_t){ra, rkey->name, rkey->type, (uint32_t)at};
    at++;
    for (size_t i = 0; i < j->rv; i++, at++)
        sc[at] = (sl_sql_scope_col_t){ra, right->value_schema.cols[i].name,
                                      right->value_schema.cols[i].type, (uint32_t)at};
    sl_sql_scope_t all = {sc, n, false}, lonly = {sc, j->lk + j->lv, false};
    j->types = sl_arena_alloc(a, (n ? n : 1) * sizeof *j->types);
    if (!j->types)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        j->types[i] = sc[i].type;
    /* ON: <left expression> = <the table's key column>, either way round. */
    const sl_sql_expr_t *on = jn->on;
    if (on->kind != SL_SQL_EXPR_BINARY || on->op.op != SL_SQL_OP_EQ) {
        fail(errbuf, errlen, "line %u:%u: Unsupported join expression: only an equality with "
                             "the table's key column is supported",
             on->pos.line, on->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    const sl_sql_expr_t *lexpr = on->op.a, *rexpr = on->op.b;
    if (!refers_to(rexpr, ra, rkey->name))
        lexpr = on->op.b, rexpr = on->op.a;
    if (!refers_to(rexpr, ra, rkey->name)) {
        fail(errbuf, errlen, "line %u:%u: Invalid join condition: table-table joins require to "
                             "join on the primary key of the right input table. Got %s.",
             on->pos.line, on->pos.col, "a condition without the table's key column");
        return SL_ERR_INVAL;
    }
    sl_sql_error_t e;
    sl_sql_expr_opts_t oo = {.clause = "JOIN ON", .catalog = s->catalog};
    const sl_sql_type_t *lt;
    if (sl_sql_expr_compile(lexpr, &lonly, &oo, a, &rk->on_left, &lt, &e)) {
        fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
        return SL_ERR_INVAL;
    }
    if (!sl_sql_type_equal(lt, rkey->type)) {
        char t1[128], t2[128];
        sl_buf_t b1 = SL_BUF_INIT, b2 = SL_BUF_INIT;
        sl_sql_type_format(lt, SL_SQL_TYPE_SQL, &b1);
        sl_sql_type_format(rkey->type, SL_SQL_TYPE_SQL, &b2);
        snprintf(t1, sizeof t1, "%.*s", (int)b1.len, b1.data ? (const char *)b1.data : "");
        snprintf(t2, sizeof t2, "%.*s", (int)b2.len, b2.data ? (const char *)b2.data : "");
        sl_buf_free(&b1), sl_buf_free(&b2);
        fail(errbuf, errlen, "line %u:%u: Invalid join condition: types don't match. Got %s{%s} = "
                             "%s{%s}.",
             on->pos.line, on->pos.col, "left", t1, "right", t2);
        return SL_ERR_INVAL;
    }
    /* No repartition when the left side joins on its own (single) key. */
    j->rekeyed = !(j->lk == 1 && refers_to(lexpr, la, left->key_schema.cols[0].name));
    /* The projection over the combined row: the join key is the key. */
    query_t *q = &j->q;
    q->id = arena_str(a, "JOIN");
    q->nkey = 0, q->nvalue = n, q->ts_slot = -1;
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    if (qa->where) {
        sl_sql_expr_opts_t ow = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &all, &ow, a, &q->where, &t, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
    }
    const sl_sql_cexpr_t **out = sl_arena_alloc(a, (qa->nitems + 1) * sizeof *out);
    const sl_sql_cexpr_t **ke = sl_arena_alloc(a, sizeof *ke);
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, (qa->nitems + 1) * sizeof *cols);
    if (!out || !ke || !cols)
        return SL_ERR_NOMEM;
    size_t ncols = 0;
    int anon = 0, have_key = 0;
    for (size_t i = 0; i < qa->nitems; i++) {
        const sl_sql_select_item_t *it = qa->items[i];
        if (it->kind != SL_SQL_SELECT_EXPR) {
            fail(errbuf, errlen, "line %u:%u: SELECT * in joins is not supported yet",
                 it->pos.line, it->pos.col);
            return SL_ERR_UNSUPPORTED;
        }
        const sl_sql_expr_t *x = it->expr;
        const sl_sql_type_t *t;
        int is_key = !have_key &&
                     (refers_to(x, ra, rkey->name) ||
                      (x->kind == SL_SQL_EXPR_COLUMN && lexpr->kind == SL_SQL_EXPR_COLUMN &&
                       refers_to(x, la, lexpr->column.name.s)));
        const sl_sql_cexpr_t **dst = is_key ? &ke[0] : &out[q->nout];
        if (sl_sql_expr_compile(x, &all, &os, a, dst, &t, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char nm[32];
        const char *name = it->alias.s;
        if (!name && x->kind == SL_SQL_EXPR_COLUMN)
            name = x->column.name.s;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_COL_%d", anon++);
            name = nm;
        }
        for (size_t c = 0; c < ncols; c++) {
            if (!strcmp(cols[c].name, name)) {
                fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s (use AS to rename "
                                     "one of them)",
                     it->pos.line, it->pos.col, name);
                return SL_ERR_INVAL;
            }
        }
        if (is_key) {
            have_key = 1;
        } else {
            q->nout++;
        }
        cols[ncols++] = (sl_sql_datasource_col_t){arena_str(a, name), t,
                                                  is_key ? SL_SQL_ROLE_KEY : SL_SQL_ROLE_VALUE,
                                                  NULL};
    }
    if (!have_key) {
        fail(errbuf, errlen,
             "Key missing from projection (ie, SELECT). The query used to build `%s` must "
             "include the join expression %s.%s in its projection (eg, SELECT %s.%s...).",
             stmt->kind == SL_SQL_STMT_INSERT_SELECT ? stmt->insert.target.s : stmt->create.name.s,
             ra, rkey->name, ra, rkey->name);
        return SL_ERR_INVAL;
    }
    q->out = out;
    q->key_exprs = ke;
    q->nkey_out = 1;
    if (stmt->kind == SL_SQL_STMT_INSERT_SELECT) {
        fail(errbuf, errlen, "INSERT INTO … JOIN is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }
    /* The result stream. */
    sl_sql_datasource_t made = {0};
    char b1[64], b2[64], b3[64], b4[64];
    const char *topic = with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    const char *fmt = with_prop(stmt, "FORMAT", b2, sizeof b2);
    const char *kf = with_prop(stmt, "KEY_FORMAT", b3, sizeof b3);
    const char *vf = with_prop(stmt, "VALUE_FORMAT", b4, sizeof b4);
    made.name = stmt->create.name.s;
    made.cols = cols;
    made.ncols = ncols;
    made.topic = topic ? topic : stmt->create.name.s;
    made.partitions = left->partitions;
    made.key_format = right->key_format;
    made.value_format = left->value_format;
    char m[512];
    if ((fmt && (sl_sql_format_kind_parse(fmt, &made.key_format.kind, m, sizeof m) ||
                 sl_sql_format_kind_parse(fmt, &made.value_format.kind, m, sizeof m))) ||
        (kf && sl_sql_format_kind_parse(kf, &made.key_format.kind, m, sizeof m)) ||
        (vf && sl_sql_format_kind_parse(vf, &made.value_format.kind, m, sizeof m))) {
        fail(errbuf, errlen, "%s", m);
        return SL_ERR_INVAL;
    }
    if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        fail(errbuf, errlen, "Cannot add stream '%s': A stream with the same name already exists",
             made.name);
        return SL_ERR_EXISTS;
    }
    if (sl_sql_catalog_topic_partitions(s->catalog, made.topic) < 0) {
        char tb[256] = "";
        if (sl_sql_catalog_topic_create(s->catalog, made.topic, made.partitions, tb, sizeof tb)) {
            fail(errbuf, errlen, "Could not create topic '%s': %s", made.topic, tb);
            return SL_ERR_IO;
        }
    }
    sl_err_t err = sl_sql_catalog_add(s->catalog, &made, stmt->create.or_replace, errbuf, errlen);
    if (err)
        return err;
    const sl_sql_datasource_t *target = sl_sql_catalog_find(s->catalog, made.name);
    /* The topology. */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs;
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m)) {
        fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    query_t lq = {.id = q->id, .nkey = j->lk, .nvalue = j->lv, .ts_slot = -1};
    for (size_t i = 0; i < j->lv; i++)
        if (left->timestamp && !strcmp(left->timestamp, left->value_schema.cols[i].name))
            lq.ts_slot = (int)(j->lk + i);
    rk->q = lq;
    sl_kstream_t *ls;
    sl_ktable_t *rt, *unused;
    if ((err = source_for(s, left, &rk->q, &ls, &unused, errbuf, errlen)))
        return err;
    query_t rq = {.id = q->id, .ts_slot = -1};
    sl_kstream_t *unused_s;
    if ((err = source_for(s, right, &rq, &unused_s, &rt, errbuf, errlen)))
        return err;
    sl_joined_t jd = {0};
    if (j->rekeyed) {
        /* The repartition topic: the join key in the table's key format, the
         * left columns as JSON. */
        sl_sql_column_t *ext = sl_arena_alloc(a, (j->lk + j->lv + 1) * sizeof *ext);
        if (!ext)
            return SL_ERR_NOMEM;
        for (size_t i = 0; i < j->lk + j->lv; i++)
            ext[i] = (sl_sql_column_t){sc[i].name, sc[i].type};
        sl_sql_schema_t ext_schema = {j->lk + j->lv, ext};
        sl_sql_schema_t *es = sl_arena_alloc(a, sizeof *es);
        if (!es)
            return SL_ERR_NOMEM;
        *es = ext_schema;
        sl_sql_format_t ext_fmt = {.kind = SL_SQL_FORMAT_JSON};
        const sl_serde_t *jks, *jvs;
        if (sl_sql_serde_new(&al, &right->key_format, &right->key_schema, &jks, m, sizeof m) ||
            sl_sql_serde_new(&al, &ext_fmt, es, &jvs, m, sizeof m)) {
            fail(errbuf, errlen, "join: %s", m);
            return SL_ERR_INVAL;
        }
        jd.key_serde = jks, jd.value_serde = jvs;
        ls = sl_kstream_map(ls, rekey_map, rk);
    }
    sl_kstream_t *joined = jn->kind == SL_SQL_JOIN_LEFT
                               ? sl_kstream_left_join_table(ls, rt, join_rows, j, &jd)
                               : sl_kstream_join_table(ls, rt, join_rows, j, &jd);
    if (q->where)
        joined = sl_kstream_filter(joined, where_pass, q);
    joined = sl_kstream_map(joined, stream_project, q);
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    sl_kstream_to(joined, target->topic, &p);
    if (sl_topology_error(s->topo)) {
        fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}

static sl_err_t compile_aggregate(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                  const sl_sql_datasource_t *src, const sl_sql_query_t *qa,
                                  gquery_t *g, const sl_sql_scope_t *scope, char *errbuf,
                                  size_t errlen);

static sl_err_t compile_query(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *errbuf,
                              size_t errlen)
{
    int insert = stmt->kind == SL_SQL_STMT_INSERT_SELECT;
    const sl_sql_query_t *qa = insert ? stmt->insert.query : stmt->create.query;
    sl_err_t err = unsupported(qa, errbuf, errlen);
    if (err)
        return err;
    const sl_sql_datasource_t *src = sl_sql_catalog_find(s->catalog, qa->from.name.s);
    if (!src) {
        fail(errbuf, errlen, "line %u:%u: %s does not exist.", qa->from.name.pos.line,
             qa->from.name.pos.col, qa->from.name.s);
        return SL_ERR_INVAL;
    }
    for (size_t i = 0; i < src->ncols; i++) {
        if (src->cols[i].role == SL_SQL_ROLE_HEADERS || src->cols[i].role == SL_SQL_ROLE_HEADER) {
            fail(errbuf, errlen, "%s: header columns are not supported in queries yet",
                 src->name);
            return SL_ERR_UNSUPPORTED;
        }
    }
    if (qa->njoins)
        return compile_join(s, stmt, src, qa, errbuf, errlen);
    sl_arena_t *a = &s->arena;
    gquery_t *g = sl_arena_alloc(a, sizeof *g);
    if (!g)
        return SL_ERR_NOMEM;
    memset(g, 0, sizeof *g);
    query_t *q = &g->q;
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "%s_%d", insert ? "INSERTQUERY" : stmt->create.table ? "CTAS" : "CSAS",
             s->nqueries);
    q->id = arena_str(a, idbuf);
    q->nkey = src->key_schema.ncols;
    q->nvalue = src->value_schema.ncols;
    q->ts_slot = -1;
    /* The scope: key columns, then value columns. */
    const char *alias = qa->from.alias.s ? qa->from.alias.s : src->name;
    size_t nc = q->nkey + q->nvalue;
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, (nc ? nc : 1) * sizeof *sc);
    if (!sc)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < q->nkey; i++)
        sc[i] = (sl_sql_scope_col_t){alias, src->key_schema.cols[i].name,
                                     src->key_schema.cols[i].type, (uint32_t)i};
    for (size_t i = 0; i < q->nvalue; i++) {
        sc[q->nkey + i] = (sl_sql_scope_col_t){alias, src->value_schema.cols[i].name,
                                               src->value_schema.cols[i].type,
                                               (uint32_t)(q->nkey + i)};
        if (src->timestamp && !strcmp(src->timestamp, src->value_schema.cols[i].name))
            q->ts_slot = (int)(q->nkey + i);
    }
    if (src->timestamp && q->ts_slot < 0) {
        fail(errbuf, errlen, "%s: the TIMESTAMP column must be a value column", src->name);
        return SL_ERR_UNSUPPORTED;
    }
    if (src->timestamp_format) {
        fail(errbuf, errlen, "%s: TIMESTAMP_FORMAT is not supported in queries yet", src->name);
        return SL_ERR_UNSUPPORTED;
    }
    sl_sql_scope_t scope = {sc, nc, false};
    sl_sql_error_t e;
    if (qa->where) {
        sl_sql_expr_opts_t o = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &scope, &o, a, &q->where, &t, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (t->base != SL_SQL_BOOLEAN) {
            fail(errbuf, errlen, "line %u:%u: Type error in WHERE expression: Should evaluate to "
                                 "boolean but is %s instead.",
                 qa->where->pos.line, qa->where->pos.col, "not BOOLEAN");
            return SL_ERR_INVAL;
        }
    }
    if (qa->ngroup_by)
        return compile_aggregate(s, stmt, src, qa, g, &scope, errbuf, errlen);
    /* PARTITION BY: the new key's columns, in their order. */
    size_t npk = qa->npartition_by;
    const char **pk_name = NULL;
    const sl_sql_type_t **pk_type = NULL;
    int *pk_seen = NULL;
    if (npk) {
        if (src->table) {
            fail(errbuf, errlen, "PARTITION BY is not supported on tables");
            return SL_ERR_INVAL;
        }
        const sl_sql_cexpr_t **ke = sl_arena_alloc(a, npk * sizeof *ke);
        pk_name = sl_arena_alloc(a, npk * sizeof *pk_name);
        pk_type = sl_arena_alloc(a, npk * sizeof *pk_type);
        pk_seen = sl_arena_alloc(a, npk * sizeof *pk_seen);
        if (!ke || !pk_name || !pk_type || !pk_seen)
            return SL_ERR_NOMEM;
        sl_sql_expr_opts_t op = {.clause = "PARTITION BY", .catalog = s->catalog};
        for (size_t i = 0; i < npk; i++) {
            const sl_sql_expr_t *x = qa->partition_by[i];
            if (sl_sql_expr_compile(x, &scope, &op, a, &ke[i], &pk_type[i], &e)) {
                fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
                return SL_ERR_INVAL;
            }
            char nm[32];
            snprintf(nm, sizeof nm, "KSQL_COL_%zu", i);
            pk_name[i] = arena_str(a, x->kind == SL_SQL_EXPR_COLUMN ? x->column.name.s : nm);
            pk_seen[i] = 0;
        }
        q->key_exprs = ke;
    }
    /* The projection: each item a value column, except the source's key
     * columns selected as they are, which stay the key. */
    size_t cap = nc * 2 + qa->nitems + 1;
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, cap * sizeof *cols);
    const sl_sql_cexpr_t **out = sl_arena_alloc(a, cap * sizeof *out);
    int *key_from = sl_arena_alloc(a, cap * sizeof *key_from);
    if (!cols || !out || !key_from)
        return SL_ERR_NOMEM;
    size_t ncols = 0;
    int anon = 0;
    sl_sql_expr_opts_t o = {.clause = "SELECT", .catalog = s->catalog};
    for (size_t i = 0; i < qa->nitems; i++) {
        const sl_sql_select_item_t *it = qa->items[i];
        if (it->kind == SL_SQL_SELECT_STAR || it->kind == SL_SQL_SELECT_SOURCE_STAR) {
            for (size_t j = 0; j < nc; j++) {
                size_t pk = 0;
                while (pk < npk && strcmp(pk_name[pk], sc[j].name))
                    pk++;
                if (pk < npk) {
                    pk_seen[pk]++; /* the new key: added in PARTITION BY order below */
                    continue;
                }
                if (j < q->nkey && !npk) {
                    key_from[q->nkey_out++] = (int)j;
                    cols[ncols++] = (sl_sql_datasource_col_t){sc[j].name, sc[j].type,
                                                              SL_SQL_ROLE_KEY, NULL};
                    continue;
                }
                sl_sql_expr_t ref = {.kind = SL_SQL_EXPR_COLUMN, .pos = it->pos, .height = 1};
                ref.column.name.s = sc[j].name;
                const sl_sql_type_t *t;
                if (sl_sql_expr_compile(&ref, &scope, &o, a, &out[q->nout], &t, &e)) {
                    fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
                    return SL_ERR_INVAL;
                }
                q->nout++;
                cols[ncols++] = (sl_sql_datasource_col_t){sc[j].name, t, SL_SQL_ROLE_VALUE, NULL};
            }
            continue;
        }
        if (it->kind != SL_SQL_SELECT_EXPR) {
            fail(errbuf, errlen, "line %u:%u: this select item is not supported yet", it->pos.line,
                 it->pos.col);
            return SL_ERR_UNSUPPORTED;
        }
        const sl_sql_expr_t *x = it->expr;
        /* With PARTITION BY, the partitioning columns selected as they are
         * are the new key (added in PARTITION BY order below). */
        if (npk && x->kind == SL_SQL_EXPR_COLUMN && !it->alias.s) {
            size_t pk = 0;
            while (pk < npk && strcmp(pk_name[pk], x->column.name.s))
                pk++;
            if (pk < npk) {
                if (pk_seen[pk]++) {
                    fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                         it->pos.col, pk_name[pk]);
                    return SL_ERR_INVAL;
                }
                continue;
            }
        }
        /* A key column selected as it is (and not renamed) stays the key. */
        if (!npk && x->kind == SL_SQL_EXPR_COLUMN && !it->alias.s) {
            size_t j = 0;
            for (; j < q->nkey; j++)
                if (!strcmp(sc[j].name, x->column.name.s))
                    break;
            if (j < q->nkey) {
                key_from[q->nkey_out++] = (int)j;
                cols[ncols++] = (sl_sql_datasource_col_t){sc[j].name, sc[j].type,
                                                          SL_SQL_ROLE_KEY, NULL};
                continue;
            }
        }
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(x, &scope, &o, a, &out[q->nout], &t, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        q->nout++;
        char nm[64];
        const char *name = it->alias.s;
        if (!name && x->kind == SL_SQL_EXPR_COLUMN)
            name = x->column.name.s;
        else if (!name && x->kind == SL_SQL_EXPR_DEREF)
            name = x->deref.field.s;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_COL_%d", anon++);
            name = nm;
        }
        for (size_t j = 0; j < ncols; j++) {
            if (!strcmp(cols[j].name, name)) {
                fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                     it->pos.col, name);
                return SL_ERR_INVAL;
            }
        }
        cols[ncols++] = (sl_sql_datasource_col_t){arena_str(a, name), t, SL_SQL_ROLE_VALUE, NULL};
    }
    for (size_t i = 0; i < npk; i++) {
        if (!pk_seen[i]) {
            fail(errbuf, errlen,
                 "Key missing from projection (ie, SELECT). The query used to build `%s` must "
                 "include the partitioning expression %s in its projection (eg, SELECT %s...).",
                 insert ? stmt->insert.target.s : stmt->create.name.s, pk_name[i], pk_name[i]);
            return SL_ERR_INVAL;
        }
        cols[ncols++] = (sl_sql_datasource_col_t){pk_name[i], pk_type[i], SL_SQL_ROLE_KEY, NULL};
        q->nkey_out++;
    }
    if (!npk && q->nkey_out != q->nkey) {
        fail(errbuf, errlen,
             "Key missing from projection (ie, SELECT). The query used to build `%s` must "
             "include the key columns %s in its projection (eg, SELECT %s...).",
             insert ? stmt->insert.target.s : stmt->create.name.s,
             q->nkey ? sc[0].name : "", q->nkey ? sc[0].name : "");
        return SL_ERR_INVAL;
    }
    q->out = out;
    q->key_from = key_from;

    /* The target. */
    const sl_sql_datasource_t *target = NULL;
    sl_sql_datasource_t made = {0};
    if (insert) {
        target = sl_sql_catalog_find(s->catalog, stmt->insert.target.s);
        if (!target) {
            fail(errbuf, errlen, "%s does not exist.", stmt->insert.target.s);
            return SL_ERR_INVAL;
        }
        if (target->table || src->table) {
            fail(errbuf, errlen, "INSERT INTO can only be used to insert into a stream from a stream");
            return SL_ERR_INVAL;
        }
        int same = target->value_schema.ncols == q->nout && target->key_schema.ncols == q->nkey_out;
        for (size_t i = 0, v = 0, k = 0; same && i < ncols; i++) {
            const sl_sql_column_t *tc = cols[i].role == SL_SQL_ROLE_KEY
                                            ? &target->key_schema.cols[k++]
                                            : &target->value_schema.cols[v++];
            same = !strcmp(tc->name, cols[i].name) && sl_sql_type_equal(tc->type, cols[i].type);
        }
        if (!same) {
            fail(errbuf, errlen, "Incompatible schema between results and sink.");
            return SL_ERR_INVAL;
        }
    } else {
        if (src->table != stmt->create.table) {
            fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a %s. Please "
                                 "use CREATE %s AS SELECT statement instead.",
                 src->table ? "TABLE" : "STREAM", src->table ? "TABLE" : "STREAM");
            return SL_ERR_INVAL;
        }
        char b1[64];
        const char *topic = with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
        const char *fmt = with_prop(stmt, "FORMAT", b1, sizeof b1);
        const char *kf = with_prop(stmt, "KEY_FORMAT", b1, sizeof b1);
        const char *vf = with_prop(stmt, "VALUE_FORMAT", b1, sizeof b1);
        made.name = stmt->create.name.s;
        made.table = stmt->create.table;
        made.cols = cols;
        made.ncols = ncols;
        made.topic = topic ? topic : stmt->create.name.s;
        made.partitions = src->partitions;
        made.key_format = src->key_format;
        made.value_format = src->value_format;
        if (npk && (made.key_format.kind == SL_SQL_FORMAT_NONE ||
                    (made.key_format.kind == SL_SQL_FORMAT_KAFKA && npk > 1)))
            made.key_format.kind = npk > 1 ? SL_SQL_FORMAT_JSON : SL_SQL_FORMAT_KAFKA;
        made.key_format.is_key = 1;
        char m[256];
        if ((fmt && (sl_sql_format_kind_parse(fmt, &made.key_format.kind, m, sizeof m) ||
                     sl_sql_format_kind_parse(fmt, &made.value_format.kind, m, sizeof m))) ||
            (kf && sl_sql_format_kind_parse(kf, &made.key_format.kind, m, sizeof m)) ||
            (vf && sl_sql_format_kind_parse(vf, &made.value_format.kind, m, sizeof m))) {
            fail(errbuf, errlen, "%s", m);
            return SL_ERR_INVAL;
        }
        made.sql = NULL;
        if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
            if (stmt->create.if_not_exists)
                return SL_OK;
            fail(errbuf, errlen, "Cannot add %s '%s': A %s with the same name already exists",
                 made.table ? "table" : "stream", made.name, made.table ? "table" : "stream");
            return SL_ERR_EXISTS;
        }
        if (sl_sql_catalog_topic_partitions(s->catalog, made.topic) < 0) {
            char tb[256] = "";
            if (sl_sql_catalog_topic_create(s->catalog, made.topic, made.partitions, tb,
                                            sizeof tb)) {
                fail(errbuf, errlen, "Could not create topic '%s': %s", made.topic, tb);
                return SL_ERR_IO;
            }
        }
        if ((err = sl_sql_catalog_add(s->catalog, &made, stmt->create.or_replace, errbuf, errlen)))
            return err;
        target = sl_sql_catalog_find(s->catalog, made.name);
        char fm[512];
        if (sl_sql_format_check(&target->key_format, &target->key_schema, fm, sizeof fm) ||
            sl_sql_format_check(&target->value_format, &target->value_schema, fm, sizeof fm)) {
            fail(errbuf, errlen, "%s", fm);
            return SL_ERR_INVAL;
        }
    }
    /* The topology: source, filter, projection, sink. */
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs;
    char m[512];
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m)) {
        fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    if (stream) {
        if (q->where)
            stream = sl_kstream_filter(stream, where_pass, q);
        stream = sl_kstream_map(stream, stream_project, q);
        /* The key is the source's (selected as it is): no repartition. */
        sl_kstream_to(stream, target->topic, &p);
    } else {
        if (q->where)
            table = sl_ktable_filter(table, where_pass, q, NULL);
        table = sl_ktable_map_values(table, table_project, q, NULL);
        sl_kstream_to(sl_ktable_to_stream(table), target->topic, &p);
    }
    if (sl_topology_error(s->topo)) {
        fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}



static sl_err_t compile_aggregate(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                  const sl_sql_datasource_t *src, const sl_sql_query_t *qa,
                                  gquery_t *g, const sl_sql_scope_t *scope, char *errbuf,
                                  size_t errlen)
{
    sl_arena_t *a = &s->arena;
    query_t *q = &g->q;
    if (stmt->kind != SL_SQL_STMT_CREATE_AS) {
        fail(errbuf, errlen, "INSERT INTO … GROUP BY is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }
    if (!stmt->create.table) {
        fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a TABLE. Please use "
                             "CREATE TABLE AS SELECT statement instead.");
        return SL_ERR_INVAL;
    }
    if (src->table) {
        fail(errbuf, errlen, "GROUP BY over a table is not supported by Sluice's SQL compiler yet");
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
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char nm[32];
        const char *name = x->kind == SL_SQL_EXPR_COLUMN ? x->column.name.s : NULL;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_COL_%d", anon++);
            name = nm;
        }
        rc[i] = (sl_sql_scope_col_t){NULL, arena_str(a, name), t, (uint32_t)i};
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
            fail(errbuf, errlen, "line %u:%u: SELECT * cannot be used with GROUP BY",
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
                    fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                         it->pos.col, rc[j].name);
                    return SL_ERR_INVAL;
                }
                nkeycols++;
                continue;
            }
        }
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(x, &result, &os, a, &g->out[g->nout], &t, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
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
        vcols[ncols++] = (sl_sql_datasource_col_t){arena_str(a, name), t, SL_SQL_ROLE_VALUE, NULL};
    }
    if (nkeycols != g->ngroup) {
        size_t j = 0;
        while (j < g->ngroup && seen[j])
            j++;
        fail(errbuf, errlen,
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
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (t->base != SL_SQL_BOOLEAN) {
            fail(errbuf, errlen, "line %u:%u: HAVING must be a boolean expression",
                 qa->having->pos.line, qa->having->pos.col);
            return SL_ERR_INVAL;
        }
    }
    g->value_scope = NULL; /* a compile-time scope: gone after this call */
    if (!g->naggs) {
        fail(errbuf, errlen, "GROUP BY requires aggregate functions in either the SELECT or "
                             "HAVING clause.");
        return SL_ERR_INVAL;
    }
    /* The table: key = the GROUP BY columns, then the value columns. */
    for (size_t i = 0; i < g->ngroup; i++)
        cols[i] = (sl_sql_datasource_col_t){rc[i].name, rc[i].type, SL_SQL_ROLE_KEY, NULL};
    memcpy(cols + g->ngroup, vcols, ncols * sizeof *cols);
    sl_sql_datasource_t made = {0};
    char b1[64], b2[64], b3[64], b4[64];
    const char *topic = with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    const char *fmt = with_prop(stmt, "FORMAT", b2, sizeof b2);
    const char *kf = with_prop(stmt, "KEY_FORMAT", b3, sizeof b3);
    const char *vf = with_prop(stmt, "VALUE_FORMAT", b4, sizeof b4);
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
        fail(errbuf, errlen, "%s", m);
        return SL_ERR_INVAL;
    }
    if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        fail(errbuf, errlen, "Cannot add table '%s': A table with the same name already exists",
             made.name);
        return SL_ERR_EXISTS;
    }
    if (sl_sql_catalog_topic_partitions(s->catalog, made.topic) < 0) {
        char tb[256] = "";
        if (sl_sql_catalog_topic_create(s->catalog, made.topic, made.partitions, tb, sizeof tb)) {
            fail(errbuf, errlen, "Could not create topic '%s': %s", made.topic, tb);
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
        fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    if (q->where)
        stream = sl_kstream_filter(stream, where_pass, q);
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
        fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}

/* ---- INSERT INTO … VALUES ----------------------------------------------------------------------------- */

static sl_err_t insert_values(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *errbuf,
                              size_t errlen)
{
    const sl_sql_datasource_t *t = sl_sql_catalog_find(s->catalog, stmt->insert.target.s);
    if (!t) {
        fail(errbuf, errlen, "Cannot insert values into an unknown stream/table: %s",
             stmt->insert.target.s);
        return SL_ERR_INVAL;
    }
    if (t->read_only) {
        fail(errbuf, errlen, "Cannot insert values into read-only %s: %s",
             t->table ? "table" : "stream", t->name);
        return SL_ERR_INVAL;
    }
    if (t->window) {
        fail(errbuf, errlen, "Cannot insert values into windowed %s: %s", "table", t->name);
        return SL_ERR_INVAL;
    }
    /* The columns given: as listed, or every column in declaration order. */
    size_t n = stmt->insert.ncolumns ? stmt->insert.ncolumns : t->ncols;
    if (n != stmt->insert.nvalues) {
        fail(errbuf, errlen, "Expected number columns and values to match: %zu, %zu", n,
             stmt->insert.nvalues);
        return SL_ERR_INVAL;
    }
    sl_arena_t *a = &s->arena;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    sl_sql_value_t *kv = sl_arena_alloc(a, (t->key_schema.ncols + 1) * sizeof *kv);
    sl_sql_value_t *vv = sl_arena_alloc(a, (t->value_schema.ncols + 1) * sizeof *vv);
    if (!kv || !vv)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < t->key_schema.ncols; i++)
        kv[i] = sl_sql_value_null(t->key_schema.cols[i].type);
    for (size_t i = 0; i < t->value_schema.ncols; i++)
        vv[i] = sl_sql_value_null(t->value_schema.cols[i].type);
    int64_t ts = -1;
    sl_sql_scope_t none = {NULL, 0, false};
    sl_sql_expr_opts_t o = {.clause = "VALUES", .catalog = s->catalog};
    for (size_t i = 0; i < n; i++) {
        const char *name = stmt->insert.ncolumns ? stmt->insert.columns[i].s : t->cols[i].name;
        const sl_sql_expr_t *x = stmt->insert.values[i];
        const sl_sql_cexpr_t *ce;
        const sl_sql_type_t *from;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(x, &none, &o, a, &ce, &from, &e)) {
            fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char msg[256] = "";
        sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
        sl_sql_value_t v;
        if (sl_sql_expr_eval(ce, NULL, NULL, &fc, &v)) {
            fail(errbuf, errlen, "line %u:%u: %s", x->pos.line, x->pos.col, msg);
            return SL_ERR_INVAL;
        }
        if (!strcmp(name, "ROWTIME")) {
            const sl_sql_type_t *bt = sl_sql_type_prim(SL_SQL_BIGINT);
            sl_sql_value_t tv;
            if (v.is_null || sl_sql_cast(&al, from, &v, bt, &tv, msg, sizeof msg)) {
                fail(errbuf, errlen, "ROWTIME must be a BIGINT: %s", msg);
                return SL_ERR_INVAL;
            }
            ts = tv.u.i64;
            continue;
        }
        sl_sql_value_t *dst = NULL;
        const sl_sql_type_t *to = NULL;
        for (size_t k = 0; !dst && k < t->key_schema.ncols; k++)
            if (!strcmp(t->key_schema.cols[k].name, name))
                dst = &kv[k], to = t->key_schema.cols[k].type;
        for (size_t k = 0; !dst && k < t->value_schema.ncols; k++)
            if (!strcmp(t->value_schema.cols[k].name, name))
                dst = &vv[k], to = t->value_schema.cols[k].type;
        if (!dst) {
            fail(errbuf, errlen, "Column name %s does not exist.", name);
            return SL_ERR_INVAL;
        }
        if (v.is_null) {
            *dst = sl_sql_value_null(to);
        } else if (sl_sql_type_equal(from, to)) {
            *dst = v;
        } else if (sl_sql_cast(&al, from, &v, to, dst, msg, sizeof msg)) {
            fail(errbuf, errlen, "Expected type %s for field %s but got %s", "the column's",
                 name, msg);
            return SL_ERR_INVAL;
        }
    }
    sl_sql_row_t krow = {t->key_schema.ncols, kv}, vrow = {t->value_schema.ncols, vv};
    sl_buf_t kb = SL_BUF_INIT, vb = SL_BUF_INIT;
    int knull = 1, vnull = 1;
    char m[512];
    sl_err_t err = SL_OK;
    if (t->key_schema.ncols &&
        (err = sl_sql_row_serialize(&t->key_format, &t->key_schema, &krow, &kb, &knull, m,
                                    sizeof m)))
        fail(errbuf, errlen, "%s", m);
    if (!err && (err = sl_sql_row_serialize(&t->value_format, &t->value_schema, &vrow, &vb,
                                            &vnull, m, sizeof m)))
        fail(errbuf, errlen, "%s", m);
    if (!err && s->ninserts == s->inserts_cap) {
        size_t cap = s->inserts_cap ? s->inserts_cap * 2 : 8;
        sl_sql_insert_t *p = realloc(s->inserts, cap * sizeof *p);
        if (!p)
            err = SL_ERR_NOMEM;
        else
            s->inserts = p, s->inserts_cap = cap;
    }
    if (!err) {
        sl_sql_insert_t *r = &s->inserts[s->ninserts++];
        r->topic = arena_str(a, t->topic);
        r->key = knull ? (sl_bytes_t){0}
                       : (sl_bytes_t){sl_arena_memdup(a, kb.data ? kb.data : (const uint8_t *)"",
                                                      kb.len ? kb.len : 1),
                                      kb.len};
        r->value = vnull ? (sl_bytes_t){0}
                         : (sl_bytes_t){sl_arena_memdup(a, vb.data ? vb.data : (const uint8_t *)"",
                                                        vb.len ? vb.len : 1),
                                        vb.len};
        r->timestamp = ts;
        if (!r->topic || (!knull && !r->key.data) || (!vnull && !r->value.data))
            err = SL_ERR_NOMEM;
    }
    sl_buf_free(&kb);
    sl_buf_free(&vb);
    return err;
}

sl_err_t sl_sql_session_execute(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                const char **message, char *errbuf, size_t errlen)
{
    const char *dummy;
    if (!message)
        message = &dummy;
    *message = "";
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (!s || !stmt)
        return SL_ERR_INVAL;
    sl_err_t err;
    switch (stmt->kind) {
    case SL_SQL_STMT_CREATE_SOURCE:
    case SL_SQL_STMT_DROP_SOURCE:
    case SL_SQL_STMT_CREATE_TYPE:
    case SL_SQL_STMT_DROP_TYPE:
        return sl_sql_catalog_apply(s->catalog, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_CREATE_AS:
    case SL_SQL_STMT_INSERT_SELECT:
        err = compile_query(s, stmt, errbuf, errlen);
        if (!err) {
            snprintf(s->message, sizeof s->message, "Created query with ID %s_%d",
                     stmt->kind == SL_SQL_STMT_INSERT_SELECT ? "INSERTQUERY"
                     : stmt->create.table                     ? "CTAS"
                                                              : "CSAS",
                     s->nqueries - 1);
            *message = s->message;
        }
        return err;
    case SL_SQL_STMT_INSERT_VALUES:
        err = insert_values(s, stmt, errbuf, errlen);
        if (!err)
            *message = "Inserted";
        return err;
    default:
        fail(errbuf, errlen, "line %u:%u: %s statements are not supported by Sluice's SQL "
                             "compiler yet",
             stmt->pos.line, stmt->pos.col, sl_sql_stmt_kind_str(stmt->kind));
        return SL_ERR_UNSUPPORTED;
    }
}
