/* session_upgrade.c — query upgrades: CREATE OR REPLACE … AS SELECT of the
 * sink of a running CREATE … AS SELECT query upgrades that query in place, as
 * ksqlDB does — the same id, so the same internal topic and store names, its
 * state and committed offsets — when ksqlDB's checks allow the change (the
 * data source may gain value columns; the plan may gain, lose or change its
 * WHERE and projections, not its source, key, grouping or aggregates). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/session_int.h"

/* What of a query's plan an upgrade must keep: its steps that ksqlDB
 * "enforces" (sources, key changes, grouping, aggregation); filters and
 * projections are "passive" and may change. In the session's arena. */
typedef struct sqls_plan {
    const char *unsupported; /* a step ksqlDB does not upgrade (its class), or NULL */
    int table_source;        /* TableSource, else StreamSource */
    const char *topic;       /* the FROM source's */
    int keyer;               /* KEYER_* */
    const char *keys;        /* PARTITION BY or GROUP BY expressions, "[A, B]" */
    const char *nonagg;      /* StreamAggregate: the columns it reads besides aggregates */
    const char **nonagg_set;
    size_t nnonagg;
    const char *aggs;        /* StreamAggregate: its functions, "[COUNT(ROWTIME)]" */
} sqls_plan_t;

enum { KEYER_NONE, KEYER_SELECT_KEY, KEYER_GROUP_BY_KEY, KEYER_GROUP_BY };

static const char *const keyer_class[] = {NULL, "StreamSelectKey", "StreamGroupByKey",
                                          "StreamGroupBy"};

#define PLAN_PKG "io.confluent.ksql.execution.plan."

/* ---- the plan of a statement -------------------------------------------------------------- */

typedef struct names {
    const char **v;
    size_t n, cap;
} names_t;

static int names_add(names_t *ns, sl_arena_t *a, const char *name)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], name))
            return 0;
    if (ns->n == ns->cap) {
        size_t nc = ns->cap ? ns->cap * 2 : 8;
        const char **v = sl_arena_alloc(a, nc * sizeof *v);
        if (!v)
            return -1;
        if (ns->n)
            memcpy(v, ns->v, ns->n * sizeof *v);
        ns->v = v, ns->cap = nc;
    }
    ns->v[ns->n++] = name;
    return 0;
}

/* The columns e reads, into ns; aggregate calls' arguments go to aggs
 * instead (COUNT(*) reads ROWTIME, as ksqlDB's plan has it) and their text
 * to calls. */
typedef struct cols_ctx {
    sl_arena_t *a;
    names_t *ns, *aggs;
    sl_buf_t *calls;
} cols_ctx_t;

static int columns_in(void *arg, const sl_sql_expr_t *e)
{
    const cols_ctx_t *c = arg;
    if (e->kind == SL_SQL_EXPR_COLUMN)
        return names_add(c->ns, c->a, e->column.name.s);
    if (e->kind != SL_SQL_EXPR_CALL || !c->aggs || !sl_sql_expr_is_aggregate(e->call.name.s))
        return sl_sql_expr_each_child(e, columns_in, arg);
    sl_buf_t *calls = c->calls;
    int rc = 0;
    if (calls->len)
        sl_buf_append(calls, ", ", 2);
    sl_buf_append(calls, e->call.name.s, strlen(e->call.name.s));
    sl_buf_append(calls, "(", 1);
    if (e->call.star || !e->call.nargs) {
        sl_buf_append(calls, "ROWTIME", 7);
        rc = names_add(c->aggs, c->a, "ROWTIME");
    }
    cols_ctx_t in = {c->a, c->aggs, NULL, calls}; /* the arguments' columns */
    for (size_t i = 0; i < e->call.nargs; i++) {
        if (i)
            sl_buf_append(calls, ", ", 2);
        sl_sql_expr_print(e->call.args[i], calls);
        rc |= columns_in(&in, e->call.args[i]);
    }
    sl_buf_append(calls, ")", 1);
    return rc;
}

static int columns_of(const sl_sql_expr_t *e, sl_arena_t *a, names_t *ns, names_t *aggs,
                      sl_buf_t *calls)
{
    cols_ctx_t c = {a, ns, aggs, calls};
    return e ? columns_in(&c, e) : 0;
}

static const char *buf_str(sl_arena_t *a, const sl_buf_t *b)
{
    char *s = sl_arena_alloc(a, b->len + 1);
    if (s) {
        if (b->len)
            memcpy(s, b->data, b->len);
        s[b->len] = 0;
    }
    return s;
}

/* "[`A`, `B`]" */
static const char *names_text(sl_arena_t *a, const names_t *ns)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_append(&b, "[", 1);
    for (size_t i = 0; i < ns->n; i++) {
        if (i)
            sl_buf_append(&b, ", ", 2);
        sl_buf_append(&b, "`", 1);
        sl_buf_append(&b, ns->v[i], strlen(ns->v[i]));
        sl_buf_append(&b, "`", 1);
    }
    sl_buf_append(&b, "]", 1);
    const char *s = buf_str(a, &b);
    sl_buf_free(&b);
    return s;
}

/* "[A, B]" */
static const char *exprs_text(sl_arena_t *a, sl_sql_expr_t *const *xs, size_t n)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_append(&b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sl_buf_append(&b, ", ", 2);
        sl_sql_expr_print(xs[i], &b);
    }
    sl_buf_append(&b, "]", 1);
    const char *s = buf_str(a, &b);
    sl_buf_free(&b);
    return s;
}

static int is_table_function(const sl_sql_expr_t *x)
{
    return x && x->kind == SL_SQL_EXPR_CALL &&
           (!strcasecmp(x->call.name.s, "EXPLODE") || !strcasecmp(x->call.name.s, "CUBE_EXPLODE"));
}

/* The plan of a CREATE … AS SELECT, from its syntax and the catalog: NULL
 * when memory runs out or its source is unknown. */
static const sqls_plan_t *plan_of(sl_sql_session_t *s, const sl_sql_stmt_t *stmt)
{
    const sl_sql_query_t *qa = stmt->create.query;
    const sl_sql_datasource_t *src = sl_sql_catalog_find(s->catalog, qa->from.name.s);
    sl_arena_t *a = &s->arena;
    sqls_plan_t *p = src ? sl_arena_alloc(a, sizeof *p) : NULL;
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->table_source = src->table;
    p->topic = src->topic;
    if (qa->njoins) {
        /* The last join's kind, from its sides' (a chain's left side is a
         * stream when any source before is). */
        int left_stream = !src->table;
        for (size_t i = 0; i + 1 < qa->njoins; i++) {
            const sl_sql_datasource_t *r =
                sl_sql_catalog_find(s->catalog, qa->joins[i]->source.name.s);
            left_stream |= r && !r->table;
        }
        const sl_sql_datasource_t *r =
            sl_sql_catalog_find(s->catalog, qa->joins[qa->njoins - 1]->source.name.s);
        int right_stream = r && !r->table;
        p->unsupported = left_stream && right_stream   ? "StreamStreamJoin"
                         : left_stream || right_stream ? "StreamTableJoin"
                                                       : "TableTableJoin";
        return p;
    }
    if (qa->window) {
        p->unsupported = qa->emit == SL_SQL_EMIT_FINAL ? "TableSuppress" : "StreamWindowedAggregate";
        return p;
    }
    if (qa->ngroup_by && src->table) {
        p->unsupported = "TableAggregate";
        return p;
    }
    for (size_t i = 0; i < qa->nitems; i++) {
        if (qa->items[i]->kind == SL_SQL_SELECT_EXPR && is_table_function(qa->items[i]->expr)) {
            p->unsupported = "StreamFlatMap";
            return p;
        }
    }
    if (qa->npartition_by) {
        p->keyer = KEYER_SELECT_KEY;
        p->keys = exprs_text(a, qa->partition_by, qa->npartition_by);
        return p->keys ? p : NULL;
    }
    if (!qa->ngroup_by)
        return p;
    /* GROUP BY the source's key columns, in order: no re-keying. */
    int by_key = qa->ngroup_by == src->key_schema.ncols;
    for (size_t i = 0; by_key && i < qa->ngroup_by; i++)
        by_key = qa->group_by[i]->kind == SL_SQL_EXPR_COLUMN &&
                 !strcmp(qa->group_by[i]->column.name.s, src->key_schema.cols[i].name);
    p->keyer = by_key ? KEYER_GROUP_BY_KEY : KEYER_GROUP_BY;
    p->keys = exprs_text(a, qa->group_by, qa->ngroup_by);
    /* The aggregation's input: grouping columns, aggregate arguments, then
     * whatever WHERE, the projection and HAVING read. */
    names_t ns = {0}, aggs = {0}, scratch = {0};
    sl_buf_t calls = SL_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < qa->ngroup_by; i++)
        rc |= columns_of(qa->group_by[i], a, &ns, NULL, NULL);
    for (size_t i = 0; i < qa->nitems; i++)
        if (qa->items[i]->kind == SL_SQL_SELECT_EXPR)
            rc |= columns_of(qa->items[i]->expr, a, &scratch, &aggs, &calls);
    rc |= columns_of(qa->having, a, &scratch, &aggs, &calls);
    for (size_t i = 0; i < aggs.n; i++)
        rc |= names_add(&ns, a, aggs.v[i]);
    rc |= columns_of(qa->where, a, &ns, NULL, NULL);
    for (size_t i = 0; i < scratch.n; i++)
        rc |= names_add(&ns, a, scratch.v[i]);
    sl_buf_t ab = SL_BUF_INIT;
    sl_buf_append(&ab, "[", 1);
    sl_buf_append(&ab, calls.data ? (const char *)calls.data : "", calls.len);
    sl_buf_append(&ab, "]", 1);
    p->aggs = buf_str(a, &ab);
    sl_buf_free(&ab);
    sl_buf_free(&calls);
    p->nonagg = names_text(a, &ns);
    p->nonagg_set = ns.v, p->nnonagg = ns.n;
    return rc || !p->aggs || !p->nonagg || !p->keys ? NULL : p;
}

static int same_names(const sqls_plan_t *a, const sqls_plan_t *b)
{
    if (a->nnonagg != b->nnonagg)
        return 0;
    for (size_t i = 0; i < a->nnonagg; i++) {
        size_t j = 0;
        while (j < b->nnonagg && strcmp(a->nonagg_set[i], b->nonagg_set[j]))
            j++;
        if (j == b->nnonagg)
            return 0;
    }
    return 1;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* ksqlDB's ExecutionStep.validateUpgrade, over the steps Sluice's plans
 * have, from the sink down. */
static sl_err_t plan_check(const sqls_plan_t *from, const sqls_plan_t *to, char *errbuf,
                           size_t errlen)
{
    if (from->unsupported || to->unsupported) {
        sl__sqls_fail(errbuf, errlen, "Upgrades not yet supported for %s",
                      from->unsupported ? from->unsupported : to->unsupported);
        return SL_ERR_INVAL;
    }
    if (from->keyer != to->keyer) {
        if (!from->keyer)
            sl__sqls_fail(errbuf, errlen,
                          "Query is not upgradeable. Cannot add a class " PLAN_PKG
                          "%s step that is not in the original query plan.",
                          keyer_class[to->keyer]);
        else
            sl__sqls_fail(errbuf, errlen,
                          "Query is not upgradeable. Plan step of type %s must have matching "
                          "class. Values differ: class " PLAN_PKG "%s vs. %s%s",
                          keyer_class[from->keyer], keyer_class[from->keyer],
                          to->keyer ? "class " PLAN_PKG : "", to->keyer ? keyer_class[to->keyer]
                                                                        : "none");
        return SL_ERR_INVAL;
    }
    if (from->keyer == KEYER_GROUP_BY || from->keyer == KEYER_GROUP_BY_KEY) {
        if (!same_names(from, to)) {
            sl__sqls_fail(errbuf, errlen,
                          "Query is not upgradeable. Plan step of type StreamAggregate must have "
                          "matching columns not part of aggregate. Values differ: %s vs. %s",
                          from->nonagg, to->nonagg);
            return SL_ERR_INVAL;
        }
        if (!same_str(from->aggs, to->aggs)) {
            sl__sqls_fail(errbuf, errlen,
                          "Query is not upgradeable. Plan step of type StreamAggregate must have "
                          "matching aggregate functions. Values differ: %s vs. %s",
                          from->aggs, to->aggs);
            return SL_ERR_INVAL;
        }
    }
    if (from->keyer && !same_str(from->keys, to->keys)) {
        sl__sqls_fail(errbuf, errlen,
                      "Query is not upgradeable. Plan step of type %s must have matching %s. "
                      "Values differ: %s vs. %s",
                      keyer_class[from->keyer],
                      from->keyer == KEYER_SELECT_KEY ? "key expressions" : "group by clause",
                      from->keys, to->keys);
        return SL_ERR_INVAL;
    }
    const char *cls = from->table_source ? "TableSource" : "StreamSource";
    if (from->table_source != to->table_source) {
        sl__sqls_fail(errbuf, errlen,
                      "Query is not upgradeable. Plan step of type %s must have matching class. "
                      "Values differ: class " PLAN_PKG "%s vs. class " PLAN_PKG "%s",
                      cls, cls, to->table_source ? "TableSource" : "StreamSource");
        return SL_ERR_INVAL;
    }
    if (strcmp(from->topic, to->topic)) {
        sl__sqls_fail(errbuf, errlen,
                      "Query is not upgradeable. Plan step of type %s must have matching "
                      "topicName. Values differ: %s vs. %s",
                      cls, from->topic, to->topic);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* ---- the data source ------------------------------------------------------------------------ */

int sl__sqls_same_layout(const sl_sql_datasource_t *a, const sl_sql_datasource_t *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->key_schema.ncols != b->key_schema.ncols ||
        a->value_schema.ncols != b->value_schema.ncols || !same_str(a->timestamp, b->timestamp))
        return 0;
    for (size_t i = 0; i < a->key_schema.ncols; i++)
        if (strcmp(a->key_schema.cols[i].name, b->key_schema.cols[i].name) ||
            !sl_sql_type_equal(a->key_schema.cols[i].type, b->key_schema.cols[i].type))
            return 0;
    for (size_t i = 0; i < a->value_schema.ncols; i++)
        if (strcmp(a->value_schema.cols[i].name, b->value_schema.cols[i].name) ||
            !sl_sql_type_equal(a->value_schema.cols[i].type, b->value_schema.cols[i].type))
            return 0;
    return 1;
}

/* ---- the hooks ---------------------------------------------------------------------------- */

/* The name scope of a query id (as begin_query makes it). */
static const char *scope_of(sl_arena_t *a, const char *id)
{
    char nm[65];
    size_t n = 0;
    for (const char *c = id; *c && n < 64; c++)
        nm[n++] = isalnum((unsigned char)*c) || *c == '.' || *c == '-' ? *c : '_';
    nm[n] = 0;
    return sl__sqls_arena_str(a, nm);
}

void sl__sqls_upgrade_begin(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *id,
                            size_t idlen)
{
    s->upgrade = 0, s->upg_scope = NULL;
    if (stmt->kind != SL_SQL_STMT_CREATE_AS || !stmt->create.or_replace || s->transient)
        return;
    for (size_t i = 0; i < s->nqueries_rec; i++) {
        const struct session_query *q = &s->queries[i];
        if (strcmp(q->sink, stmt->create.name.s) ||
            (strncmp(q->id, "CSAS_", 5) && strncmp(q->id, "CTAS_", 5)))
            continue;
        s->upgrade = 1, s->upgrade_of = i;
        snprintf(id, idlen, "%s", q->id);
        return;
    }
}

sl_err_t sl__sqls_upgrade_scope(sl_sql_session_t *s)
{
    if (!s->upgrade)
        return SL_OK;
    const struct session_query *q = &s->queries[s->upgrade_of];
    if (q->gen != s->topo_gen)
        return SL_OK; /* the old version runs in a topology of its own */
    /* Both versions in one topology: the new one's names must differ. */
    char sc[96];
    snprintf(sc, sizeof sc, "%.60s.%d", q->scope ? q->scope : "Q", ++s->upg_versions);
    if (!(s->upg_scope = sl__sqls_arena_str(&s->arena, sc)))
        return SL_ERR_NOMEM;
    return sl_topology_name_scope(s->topo, s->upg_scope);
}

sl_err_t sl__sqls_upgrade_check(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                const sl_sql_datasource_t *old, const sl_sql_datasource_t *made,
                                char *errbuf, size_t errlen)
{
    const struct session_query *q = &s->queries[s->upgrade_of];
    sl_err_t err = sl_sql_catalog_upgrade_check(old, made, 0, errbuf, errlen);
    if (err)
        return err;
    const sqls_plan_t *to = plan_of(s, stmt);
    if (!to)
        return SL_ERR_NOMEM;
    return q->plan ? plan_check(q->plan, to, errbuf, errlen) : SL_OK;
}

sl_err_t sl__sqls_upgrade_finish(sl_sql_session_t *s, const sl_sql_stmt_t *stmt)
{
    if (!s->upgrade) {
        if (!s->nqueries_rec)
            return SL_OK;
        struct session_query *q = &s->queries[s->nqueries_rec - 1];
        q->gen = s->topo_gen;
        if (!(q->scope = scope_of(&s->arena, q->id)))
            return SL_ERR_NOMEM;
        if (stmt->kind == SL_SQL_STMT_CREATE_AS && !(q->plan = plan_of(s, stmt)))
            return SL_ERR_NOMEM;
        return SL_OK;
    }
    struct session_query *q = &s->queries[s->upgrade_of];
    /* The old version, when it is in this topology, reads and writes no
     * more: the new one (under upg_scope) takes over. */
    if (q->gen == s->topo_gen) {
        sl_err_t err = sl_topology_retire_scope(s->topo, q->scope);
        if (err)
            return err;
    }
    const char **src = sl_arena_alloc(&s->arena, sizeof *src);
    const sqls_plan_t *p = plan_of(s, stmt);
    if (!src || !p || !(*src = sl__sqls_arena_str(&s->arena, stmt->create.query->from.name.s)))
        return SL_ERR_NOMEM;
    q->sources = src, q->nsources = 1;
    q->plan = p;
    q->gen = s->topo_gen;
    q->scope = s->upg_scope ? s->upg_scope : q->scope;
    s->nqueries--; /* the id was the old query's: no new one made */
    s->last_upgraded = 1;
    return SL_OK;
}

int sl_sql_session_last_upgraded(const sl_sql_session_t *s) { return s->last_upgraded; }
