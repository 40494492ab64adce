/* session_join.c — joins: a stream joined with a table on the table's key
 * (re-keyed through a repartition topic when needed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "sql/session_int.h"

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
    sl_sql_value_t *row = sl__sqls_slots(ctx, &rk->q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k), *v = sl_ctx_alloc(ctx, sizeof *v);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, sizeof *kv);
    if (!row || !k || !v || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    if (sl_sql_expr_eval(rk->on_left, row, pseudo, &fc, kv) != SL_OK)
        sl__sqls_log_failure(&rk->q, ctx, "JOIN ON", msg);
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

sl_err_t sl__sqls_compile_join(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                             const sl_sql_datasource_t *left, const sl_sql_query_t *qa,
                             char *errbuf, size_t errlen)
{
    const sl_sql_join_t *jn = qa->joins[0];
    const sl_sql_datasource_t *right = sl_sql_catalog_find(s->catalog, jn->source.name.s);
    if (!right) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s does not exist.", jn->source.name.pos.line,
             jn->source.name.pos.col, jn->source.name.s);
        return SL_ERR_INVAL;
    }
    if (left->table || !right->table) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: only stream-table joins are supported by Sluice's SQL "
                             "compiler yet",
             jn->pos.line, jn->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    if (jn->kind != SL_SQL_JOIN_INNER && jn->kind != SL_SQL_JOIN_LEFT) {
        sl__sqls_fail(errbuf, errlen, "Invalid join type: %s join not supported for stream-table join. "
                             "Only INNER JOIN and LEFT JOIN are supported.",
             jn->kind == SL_SQL_JOIN_FULL ? "full-outer" : "right");
        return SL_ERR_INVAL;
    }
    if (right->key_schema.ncols != 1) {
        sl__sqls_fail(errbuf, errlen, "%s: a table with %zu key columns cannot be joined yet", right->name,
             right->key_schema.ncols);
        return SL_ERR_UNSUPPORTED;
    }
    if (stmt->kind == SL_SQL_STMT_CREATE_AS && stmt->create.table) {
        sl__sqls_fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a STREAM. Please "
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
        sl__sqls_fail(errbuf, errlen, "line %u:%u: Unsupported join expression: only an equality with "
                             "the table's key column is supported",
             on->pos.line, on->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    const sl_sql_expr_t *lexpr = on->op.a, *rexpr = on->op.b;
    if (!refers_to(rexpr, ra, rkey->name))
        lexpr = on->op.b, rexpr = on->op.a;
    if (!refers_to(rexpr, ra, rkey->name)) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: Invalid join condition: table-table joins require to "
                             "join on the primary key of the right input table. Got %s.",
             on->pos.line, on->pos.col, "a condition without the table's key column");
        return SL_ERR_INVAL;
    }
    sl_sql_error_t e;
    sl_sql_expr_opts_t oo = {.clause = "JOIN ON", .catalog = s->catalog};
    const sl_sql_type_t *lt;
    if (sl_sql_expr_compile(lexpr, &lonly, &oo, a, &rk->on_left, &lt, &e)) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
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
        sl__sqls_fail(errbuf, errlen, "line %u:%u: Invalid join condition: types don't match. Got %s{%s} = "
                             "%s{%s}.",
             on->pos.line, on->pos.col, "left", t1, "right", t2);
        return SL_ERR_INVAL;
    }
    /* No repartition when the left side joins on its own (single) key. */
    j->rekeyed = !(j->lk == 1 && refers_to(lexpr, la, left->key_schema.cols[0].name));
    /* The projection over the combined row: the join key is the key. */
    query_t *q = &j->q;
    q->id = sl__sqls_arena_str(a, "JOIN");
    q->nkey = 0, q->nvalue = n, q->ts_slot = -1;
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    if (qa->where) {
        sl_sql_expr_opts_t ow = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &all, &ow, a, &q->where, &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
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
            sl__sqls_fail(errbuf, errlen, "line %u:%u: SELECT * in joins is not supported yet",
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
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
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
                sl__sqls_fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s (use AS to rename "
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
        cols[ncols++] = (sl_sql_datasource_col_t){sl__sqls_arena_str(a, name), t,
                                                  is_key ? SL_SQL_ROLE_KEY : SL_SQL_ROLE_VALUE,
                                                  NULL};
    }
    if (!have_key) {
        sl__sqls_fail(errbuf, errlen,
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
        sl__sqls_fail(errbuf, errlen, "INSERT INTO … JOIN is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }
    /* The result stream. */
    sl_sql_datasource_t made = {0};
    char b1[64], b2[64], b3[64], b4[64];
    const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    const char *fmt = sl__sqls_with_prop(stmt, "FORMAT", b2, sizeof b2);
    const char *kf = sl__sqls_with_prop(stmt, "KEY_FORMAT", b3, sizeof b3);
    const char *vf = sl__sqls_with_prop(stmt, "VALUE_FORMAT", b4, sizeof b4);
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
        sl__sqls_fail(errbuf, errlen, "%s", m);
        return SL_ERR_INVAL;
    }
    if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        sl__sqls_fail(errbuf, errlen, "Cannot add stream '%s': A stream with the same name already exists",
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
    /* The topology. */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs;
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    query_t lq = {.id = q->id, .nkey = j->lk, .nvalue = j->lv, .ts_slot = -1};
    for (size_t i = 0; i < j->lv; i++)
        if (left->timestamp && !strcmp(left->timestamp, left->value_schema.cols[i].name))
            lq.ts_slot = (int)(j->lk + i);
    rk->q = lq;
    sl_kstream_t *ls;
    sl_ktable_t *rt, *unused;
    if ((err = sl__sqls_source_for(s, left, &rk->q, &ls, &unused, errbuf, errlen)))
        return err;
    query_t rq = {.id = q->id, .ts_slot = -1};
    sl_kstream_t *unused_s;
    if ((err = sl__sqls_source_for(s, right, &rq, &unused_s, &rt, errbuf, errlen)))
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
            sl__sqls_fail(errbuf, errlen, "join: %s", m);
            return SL_ERR_INVAL;
        }
        jd.key_serde = jks, jd.value_serde = jvs;
        ls = sl_kstream_map(ls, rekey_map, rk);
    }
    sl_kstream_t *joined = jn->kind == SL_SQL_JOIN_LEFT
                               ? sl_kstream_left_join_table(ls, rt, join_rows, j, &jd)
                               : sl_kstream_join_table(ls, rt, join_rows, j, &jd);
    if (q->where)
        joined = sl_kstream_filter(joined, sl__sqls_where_pass, q);
    joined = sl_kstream_map(joined, sl__sqls_stream_project, q);
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    sl_kstream_to(joined, target->topic, &p);
    if (sl_topology_error(s->topo)) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}
