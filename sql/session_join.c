/* session_join.c — joins of two sources, ksqlDB's semantics:
 *   stream-stream  WITHIN (before, after) [GRACE PERIOD]: INNER, LEFT, RIGHT, FULL
 *   stream-table   on the table's key: INNER, LEFT
 *   table-table    on both primary keys: INNER, LEFT, RIGHT, FULL (a table)
 *   foreign key    ON a column of the left table = the right table's key:
 *                  INNER, LEFT (a table keyed by the left table's key)
 *
 * Each side becomes one slot vector, its key columns then its value columns
 * (a stream side carries both in its value: "extended" rows, re-keyed by its
 * ON expression through a repartition topic when it is not keyed by it), the
 * engine joins on the key, and the joiner lays both sides out as one combined
 * row (left key, left value, right key, right value, then the synthetic key
 * ROWKEY when there is one) → WHERE → projection → sink.
 *
 * Key columns (ksqlDB's rules): when a side of ON is a plain column and the
 * join is not FULL OUTER, that column is the key of the result (the first of
 * them the projection selects); otherwise the key is a synthetic column named
 * ROWKEY (ROWKEY_1, … when a source has a ROWKEY). In a join a column selected
 * as A.X without AS is named A_X; SELECT * gives every column so named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace.h"
#include "sql/session_int.h"

enum { JK_SS, JK_ST, JK_TT, JK_FK };

typedef struct side {
    const sl_sql_datasource_t *src;
    const char *alias;
    size_t nk, nv, at;            /* its key and value columns; first slot in the row */
    const sl_sql_expr_t *on;      /* its operand of ON */
    const sl_sql_cexpr_t *on_c;   /* compiled over its own row (keys, values) */
    int on_key;                   /* ON is its (single) key column */
    int rekey;                    /* a stream re-keyed through a repartition topic */
    query_t q;                    /* its own layout */
} side_t;

typedef struct jquery {
    query_t q;                    /* over the combined row: nkey 0, nvalue = all slots */
    side_t l, r;
    int kind;
    int swapped;                  /* RIGHT JOIN: the engine joins (right, left) */
    int synth;                    /* the last slot is the synthetic key */
    size_t fk_slot;               /* JK_FK: the left row's slot of the foreign key */
    size_t n;
    const sl_sql_type_t **types;  /* each slot's: a missing side is typed NULLs */
} jquery_t;

/* A side's value into the combined row. */
static void put_side(const jquery_t *j, const side_t *s, int table, const sl_sql_row_t *k,
                     const sl_sql_row_t *v, sl_sql_value_t *out)
{
    if (!v)
        return;
    if (!table) { /* an extended row: keys and values */
        for (size_t i = 0; i < s->nk + s->nv && i < v->n; i++)
            out[s->at + i] = v->values[i];
        return;
    }
    for (size_t i = 0; i < s->nk && k && i < k->n; i++)
        out[s->at + i] = k->values[i];
    for (size_t i = 0; i < s->nv && i < v->n; i++)
        out[s->at + s->nk + i] = v->values[i];
    (void)j;
}

static const void *join_rows(void *arg, sl_ctx_t *ctx, const void *key, const void *left,
                             const void *right)
{
    const jquery_t *j = arg;
    const sl_sql_row_t *k = key, *l = left, *r = right;
    if (j->swapped) {
        const sl_sql_row_t *t = l;
        l = r, r = t;
    }
    sl_sql_row_t *out = sl_ctx_alloc(ctx, sizeof *out);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (j->n ? j->n : 1) * sizeof *v);
    if (!out || !v) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < j->n; i++)
        v[i] = sl_sql_value_null(j->types[i]);
    put_side(j, &j->l, j->kind == JK_TT || j->kind == JK_FK, k, l, v);
    if (j->kind == JK_FK) {
        /* The right table's key is the left row's foreign key. */
        for (size_t i = 0; i < j->r.nv && r && i < r->n; i++)
            v[j->r.at + j->r.nk + i] = r->values[i];
        if (r && l)
            v[j->r.at] = v[j->fk_slot];
    } else {
        put_side(j, &j->r, j->kind != JK_SS, k, r, v);
    }
    if (k && k->n)
        v[j->n - 1] = k->values[0]; /* the join key */
    *out = (sl_sql_row_t){j->n, v};
    return out;
}

/* A stream side: the source row as an extended row, keyed by its ON value
 * (rekey) or keeping its key (extend). Null values stay null (a stream's
 * null value takes no part in a join). */
static sl_sql_value_t *side_row(const side_t *s, sl_ctx_t *ctx, const void *key, const void *value)
{
    return sl__sqls_slots(ctx, &s->q, key, value);
}

static const void *side_extend(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const side_t *s = arg;
    if (!value)
        return NULL;
    sl_sql_value_t *row = side_row(s, ctx, key, value);
    sl_sql_row_t *v = sl_ctx_alloc(ctx, sizeof *v);
    if (!row || !v) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *v = (sl_sql_row_t){s->nk + s->nv, row};
    return v;
}

static void side_rekey(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                       const void **out_key, const void **out_value)
{
    const side_t *s = arg;
    sl_sql_value_t *row = side_row(s, ctx, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
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
    if (sl_sql_expr_eval(s->on_c, row, pseudo, &fc, kv) != SL_OK)
        sl__sqls_log_failure(&s->q, ctx, "JOIN ON", msg);
    *k = (sl_sql_row_t){1, kv};
    *v = (sl_sql_row_t){s->nk + s->nv, row};
    *out_key = k, *out_value = value ? v : NULL;
}

/* The foreign key of a left table row: the right table's key. */
static const void *fk_of(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const jquery_t *j = arg;
    if (!value)
        return NULL;
    sl_sql_value_t *row = sl__sqls_slots(ctx, &j->l.q, key, value), pseudo[SL_SQL_PSEUDO_COUNT];
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, sizeof *kv);
    if (!row || !k || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    if (sl_sql_expr_eval(j->l.on_c, row, pseudo, &fc, kv) != SL_OK)
        sl__sqls_log_failure(&j->l.q, ctx, "JOIN ON", msg);
    if (kv->is_null)
        return NULL;
    *k = (sl_sql_row_t){1, kv};
    return k;
}

/* ---- compiling ------------------------------------------------------------------------------ */

/* Is e a reference to column name of the source aliased alias (qualified
 * with it, or unqualified)? */
static int refers_to(const sl_sql_expr_t *e, const char *alias, const char *name)
{
    return e->kind == SL_SQL_EXPR_COLUMN && !strcmp(e->column.name.s, name) &&
           (!e->column.qualifier.s || !strcmp(e->column.qualifier.s, alias));
}

static void type_text(const sl_sql_type_t *t, char *buf, size_t len)
{
    sl_buf_t b = SL_BUF_INIT;
    if (t)
        sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b);
    snprintf(buf, len, "%.*s", (int)b.len, b.data ? (const char *)b.data : "NULL");
    sl_buf_free(&b);
}

/* An expression as ksqlDB prints it in messages: A.X for columns. */
static void expr_text(const side_t *s, char *buf, size_t len)
{
    if (s->on->kind == SL_SQL_EXPR_COLUMN)
        snprintf(buf, len, "%s.%s", s->alias, s->on->column.name.s);
    else
        snprintf(buf, len, "%s", "an expression");
}

static const char *kind_name(sl_sql_join_kind_t k)
{
    return k == SL_SQL_JOIN_LEFT ? "LEFT" : k == SL_SQL_JOIN_RIGHT ? "RIGHT"
                                        : k == SL_SQL_JOIN_FULL  ? "FULL OUTER"
                                                                 : "INNER";
}

/* The side's own scope: its key columns, then its value columns. */
static sl_err_t side_init(sl_arena_t *a, side_t *s, const sl_sql_datasource_t *src,
                          const char *alias, size_t at, const char *id,
                          sl_sql_scope_col_t *all, sl_sql_scope_t *own, char *errbuf,
                          size_t errlen)
{
    s->src = src, s->alias = alias, s->at = at;
    s->nk = src->key_schema.ncols, s->nv = src->value_schema.ncols;
    s->q = (query_t){.id = id, .nkey = s->nk, .nvalue = s->nv, .ts_slot = -1};
    for (size_t i = 0; i < s->nk; i++)
        all[at + i] = (sl_sql_scope_col_t){alias, src->key_schema.cols[i].name,
                                           src->key_schema.cols[i].type, (uint32_t)(at + i)};
    for (size_t i = 0; i < s->nv; i++) {
        all[at + s->nk + i] =
            (sl_sql_scope_col_t){alias, src->value_schema.cols[i].name,
                                 src->value_schema.cols[i].type, (uint32_t)(at + s->nk + i)};
        if (src->timestamp && !strcmp(src->timestamp, src->value_schema.cols[i].name))
            s->q.ts_slot = (int)(s->nk + i);
    }
    if (src->timestamp && s->q.ts_slot < 0) {
        sl__sqls_fail(errbuf, errlen, "%s: the TIMESTAMP column must be a value column", src->name);
        return SL_ERR_UNSUPPORTED;
    }
    if (src->timestamp_format) {
        sl__sqls_fail(errbuf, errlen, "%s: TIMESTAMP_FORMAT is not supported in queries yet",
                      src->name);
        return SL_ERR_UNSUPPORTED;
    }
    size_t n = s->nk + s->nv;
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, (n ? n : 1) * sizeof *sc);
    if (!sc)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        sc[i] = all[at + i];
        sc[i].slot = (uint32_t)i;
    }
    *own = (sl_sql_scope_t){sc, n, false};
    return SL_OK;
}

/* A key serde's schema: one column of type t. */
static const sl_sql_schema_t *key_schema_of(sl_arena_t *a, const sl_sql_type_t *t)
{
    sl_sql_column_t *c = sl_arena_alloc(a, sizeof *c);
    sl_sql_schema_t *s = sl_arena_alloc(a, sizeof *s);
    if (!c || !s)
        return NULL;
    *c = (sl_sql_column_t){"ROWKEY", t};
    *s = (sl_sql_schema_t){1, c};
    return s;
}

/* The JSON serde of a side's extended rows (its key and value columns). */
static sl_err_t ext_serde(sl_arena_t *a, const side_t *s, const sl_sql_scope_col_t *all,
                          const sl_serde_t **out, char *errbuf, size_t errlen)
{
    size_t n = s->nk + s->nv;
    sl_sql_column_t *c = sl_arena_alloc(a, (n ? n : 1) * sizeof *c);
    sl_sql_schema_t *es = sl_arena_alloc(a, sizeof *es);
    if (!c || !es)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        c[i] = (sl_sql_column_t){all[s->at + i].name, all[s->at + i].type};
    *es = (sl_sql_schema_t){n, c};
    sl_sql_format_t f = {.kind = SL_SQL_FORMAT_JSON};
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    char m[256];
    if (sl_sql_serde_new(&al, &f, es, out, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "join: %s", m);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* The format of a join key of type t: fmt when it can carry it, else KAFKA,
 * else JSON. */
static sl_sql_format_t key_format_for(sl_sql_format_t fmt, const sl_sql_schema_t *ks)
{
    char m[128];
    fmt.is_key = 1;
    if (fmt.kind != SL_SQL_FORMAT_NONE && !sl_sql_format_check(&fmt, ks, m, sizeof m))
        return fmt;
    sl_sql_format_t k = {.kind = SL_SQL_FORMAT_KAFKA, .is_key = 1};
    if (!sl_sql_format_check(&k, ks, m, sizeof m))
        return k;
    return (sl_sql_format_t){.kind = SL_SQL_FORMAT_JSON, .is_key = 1};
}

/* A projection item's column name in a join. */
static const char *item_name(sl_arena_t *a, const sl_sql_select_item_t *it, int *anon)
{
    const sl_sql_expr_t *x = it->expr;
    char nm[256];
    if (it->alias.s)
        return it->alias.s;
    if (x->kind == SL_SQL_EXPR_COLUMN && x->column.qualifier.s) {
        snprintf(nm, sizeof nm, "%s_%s", x->column.qualifier.s, x->column.name.s);
        return sl__sqls_arena_str(a, nm);
    }
    if (x->kind == SL_SQL_EXPR_COLUMN)
        return x->column.name.s;
    if (x->kind == SL_SQL_EXPR_DEREF)
        return x->deref.field.s;
    snprintf(nm, sizeof nm, "KSQL_COL_%d", (*anon)++);
    return sl__sqls_arena_str(a, nm);
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
    for (size_t i = 0; i < right->ncols; i++) {
        if (right->cols[i].role == SL_SQL_ROLE_HEADERS || right->cols[i].role == SL_SQL_ROLE_HEADER) {
            sl__sqls_fail(errbuf, errlen, "%s: header columns are not supported in queries yet",
                          right->name);
            return SL_ERR_UNSUPPORTED;
        }
    }
    const char *la = qa->from.alias.s ? qa->from.alias.s : left->name;
    const char *ra = jn->source.alias.s ? jn->source.alias.s : right->name;
    if (!strcmp(la, ra)) {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Can not join '%s' to '%s': self joins need distinct aliases "
                      "for both sides.",
                      jn->pos.line, jn->pos.col, left->name, right->name);
        return SL_ERR_INVAL;
    }
    if (left->window || right->window) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: joins of windowed tables are not supported by "
                                      "Sluice's SQL compiler yet",
                      jn->pos.line, jn->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    if (left->value_format.kind == SL_SQL_FORMAT_KAFKA ||
        right->value_format.kind == SL_SQL_FORMAT_KAFKA) {
        int both = left->value_format.kind == right->value_format.kind;
        sl__sqls_fail(errbuf, errlen,
                      "Source(s) %s%s%s are using the 'KAFKA' value format. This format does not "
                      "yet support JOIN.",
                      left->value_format.kind == SL_SQL_FORMAT_KAFKA ? left->name : right->name,
                      both ? ", " : "", both ? right->name : "");
        return SL_ERR_INVAL;
    }
    if (left->table && !right->table) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid join order: table-stream joins are not supported; only "
                      "stream-table joins. Got %s %s JOIN %s.",
                      left->name, kind_name(jn->kind), right->name);
        return SL_ERR_INVAL;
    }
    int kind = !left->table && !right->table ? JK_SS : !left->table ? JK_ST : JK_TT;
    if (kind == JK_ST && jn->kind != SL_SQL_JOIN_INNER && jn->kind != SL_SQL_JOIN_LEFT) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid join type: %s join not supported for stream-table join. Only INNER "
                      "JOIN and LEFT JOIN are supported.",
                      jn->kind == SL_SQL_JOIN_FULL ? "full-outer" : "right");
        return SL_ERR_INVAL;
    }
    if (kind == JK_SS && !jn->before.set) {
        sl__sqls_fail(errbuf, errlen,
                      "Stream-Stream joins must have a WITHIN clause specified. None was "
                      "provided. To learn about how to specify a WITHIN clause with a "
                      "stream-stream join, please visit: "
                      "https://docs.confluent.io/current/ksql/docs/syntax-reference.html"
                      "#create-stream-as-select");
        return SL_ERR_INVAL;
    }
    if (kind != JK_SS && jn->before.set) {
        sl__sqls_fail(errbuf, errlen,
                      "A window definition was provided for a %s join. These joins are not "
                      "windowed. Please drop the window definition (i.e. the WITHIN clause) and "
                      "try to execute your join again.",
                      kind == JK_ST ? "Stream-Table" : "Table-Table");
        return SL_ERR_INVAL;
    }
    if (kind == JK_SS && jn->kind != SL_SQL_JOIN_INNER && !jn->grace.set) {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: a %s stream-stream join needs a GRACE PERIOD in its WITHIN "
                      "clause: Sluice does not have ksqlDB's legacy semantics without one "
                      "(unmatched records emitted at once)",
                      jn->pos.line, jn->pos.col, kind_name(jn->kind));
        return SL_ERR_UNSUPPORTED;
    }
    int stream_result = kind == JK_SS || kind == JK_ST;
    if (stmt->kind == SL_SQL_STMT_CREATE_AS && stmt->create.table == stream_result) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid result type. Your SELECT query produces a %s. Please use CREATE "
                      "%s AS SELECT statement instead.",
                      stream_result ? "STREAM" : "TABLE", stream_result ? "STREAM" : "TABLE");
        return SL_ERR_INVAL;
    }
    if (stmt->kind == SL_SQL_STMT_INSERT_SELECT) {
        sl__sqls_fail(errbuf, errlen,
                      "INSERT INTO … JOIN is not supported by Sluice's SQL compiler yet");
        return SL_ERR_UNSUPPORTED;
    }

    /* ---- the combined row ---- */
    sl_arena_t *a = &s->arena;
    jquery_t *j = sl_arena_alloc(a, sizeof *j);
    if (!j)
        return SL_ERR_NOMEM;
    memset(j, 0, sizeof *j);
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "%s_%d", stmt->create.table ? "CTAS" : "CSAS", s->nqueries);
    const char *id = sl__sqls_arena_str(a, idbuf);
    size_t nl = left->key_schema.ncols + left->value_schema.ncols;
    size_t nr = right->key_schema.ncols + right->value_schema.ncols;
    size_t n = nl + nr + 1; /* room for a synthetic key */
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, n * sizeof *sc);
    if (!sc)
        return SL_ERR_NOMEM;
    sl_sql_scope_t lscope, rscope;
    sl_err_t err;
    if ((err = side_init(a, &j->l, left, la, 0, id, sc, &lscope, errbuf, errlen)) ||
        (err = side_init(a, &j->r, right, ra, nl, id, sc, &rscope, errbuf, errlen)))
        return err;
    j->kind = kind;

    /* ---- ON: <left operand> = <right operand>, either way round ---- */
    const sl_sql_expr_t *on = jn->on;
    if (!on || on->kind != SL_SQL_EXPR_BINARY || on->op.op != SL_SQL_OP_EQ) {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Unsupported join expression: only an equality of an "
                      "expression of each side is supported",
                      on ? on->pos.line : jn->pos.line, on ? on->pos.col : jn->pos.col);
        return SL_ERR_UNSUPPORTED;
    }
    sl_sql_error_t e, e2;
    sl_sql_expr_opts_t oo = {.clause = "JOIN ON", .catalog = s->catalog};
    const sl_sql_type_t *lt = NULL, *rt = NULL;
    const sl_sql_cexpr_t *lc, *rc;
    if (!sl_sql_expr_compile(on->op.a, &lscope, &oo, a, &lc, &lt, &e) &&
        !sl_sql_expr_compile(on->op.b, &rscope, &oo, a, &rc, &rt, &e2)) {
        j->l.on = on->op.a, j->r.on = on->op.b;
    } else if (!sl_sql_expr_compile(on->op.b, &lscope, &oo, a, &lc, &lt, &e2) &&
               !sl_sql_expr_compile(on->op.a, &rscope, &oo, a, &rc, &rt, &e2)) {
        j->l.on = on->op.b, j->r.on = on->op.a;
    } else {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid comparison expression in join criteria: each side "
                      "of the equality must refer to exactly one of the sources (%s, %s)",
                      on->pos.line, on->pos.col, la, ra);
        return SL_ERR_INVAL;
    }
    j->l.on_c = lc, j->r.on_c = rc;
    char lx[300], rx[300];
    expr_text(&j->l, lx, sizeof lx);
    expr_text(&j->r, rx, sizeof rx);
    if (!lt || !rt || !sl_sql_type_equal(lt, rt)) {
        char t1[128], t2[128];
        type_text(lt, t1, sizeof t1);
        type_text(rt, t2, sizeof t2);
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid join condition: types don't match. Got %s{%s} = "
                      "%s{%s}.",
                      on->pos.line, on->pos.col, lx, t1, rx, t2);
        return SL_ERR_INVAL;
    }
    j->l.on_key = j->l.nk == 1 && refers_to(j->l.on, la, left->key_schema.cols[0].name);
    j->r.on_key = j->r.nk == 1 && refers_to(j->r.on, ra, right->key_schema.cols[0].name);
    if (kind == JK_ST && !j->r.on_key) {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid join condition: stream-table joins require to join on "
                      "the table's primary key. Got %s = %s.",
                      on->pos.line, on->pos.col, lx, rx);
        return SL_ERR_INVAL;
    }
    if (kind == JK_TT && !j->r.on_key) {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid join condition: table-table joins require to join on "
                      "the primary key of the right input table. Got %s = %s.",
                      on->pos.line, on->pos.col, lx, rx);
        return SL_ERR_INVAL;
    }
    if (kind == JK_TT && !j->l.on_key) {
        /* A foreign-key join: a column of the left table = the right table's key. */
        if (j->l.on->kind != SL_SQL_EXPR_COLUMN) {
            sl__sqls_fail(errbuf, errlen,
                          "line %u:%u: Invalid join condition: foreign-key table-table joins "
                          "are only supported on a column of the left table. Got %s = %s.",
                          on->pos.line, on->pos.col, lx, rx);
            return SL_ERR_UNSUPPORTED;
        }
        if (jn->kind != SL_SQL_JOIN_INNER && jn->kind != SL_SQL_JOIN_LEFT) {
            sl__sqls_fail(errbuf, errlen,
                          "Invalid join type: %s join not supported for foreign-key table-table "
                          "join. Only INNER JOIN and LEFT JOIN are supported.",
                          jn->kind == SL_SQL_JOIN_FULL ? "full-outer" : "right");
            return SL_ERR_INVAL;
        }
        if (j->l.nk != 1) {
            sl__sqls_fail(errbuf, errlen, "%s: a table with %zu key columns cannot be joined yet",
                          left->name, j->l.nk);
            return SL_ERR_UNSUPPORTED;
        }
        kind = j->kind = JK_FK;
        for (size_t i = 0; i < lscope.ncols; i++)
            if (!strcmp(lscope.cols[i].name, j->l.on->column.name.s))
                j->fk_slot = i;
    }
    if (kind == JK_SS) {
        j->l.rekey = !j->l.on_key;
        j->r.rekey = !j->r.on_key;
        if (!j->l.rekey && !j->r.rekey && left->key_format.kind != right->key_format.kind)
            j->r.rekey = 1; /* one key format on both sides */
    } else if (kind == JK_ST) {
        j->l.rekey = !j->l.on_key;
    }
    j->swapped = jn->kind == SL_SQL_JOIN_RIGHT;

    /* ---- the key of the result ---- */
    const side_t *viable[2];
    const char *vcol[2];
    size_t nviable = 0;
    if (kind == JK_FK) {
        viable[0] = &j->l, vcol[0] = left->key_schema.cols[0].name; /* the left table's key */
        nviable = 1;
    } else if (jn->kind != SL_SQL_JOIN_FULL) {
        if (j->l.on->kind == SL_SQL_EXPR_COLUMN)
            viable[nviable] = &j->l, vcol[nviable++] = j->l.on->column.name.s;
        if (j->r.on->kind == SL_SQL_EXPR_COLUMN)
            viable[nviable] = &j->r, vcol[nviable++] = j->r.on->column.name.s;
    }
    const char *synth_name = NULL;
    char synth_buf[32] = "ROWKEY";
    if (!nviable) {
        for (int k = 0;; k++) {
            if (k)
                snprintf(synth_buf, sizeof synth_buf, "ROWKEY_%d", k);
            size_t i = 0;
            while (i < nl + nr && strcmp(sc[i].name, synth_buf))
                i++;
            if (i == nl + nr)
                break;
        }
        synth_name = sl__sqls_arena_str(a, synth_buf);
        j->synth = 1;
        sc[nl + nr] = (sl_sql_scope_col_t){NULL, synth_name, lt, (uint32_t)(nl + nr)};
    }
    /* The last slot holds the join key: the synthetic key, or what a join
     * column selected as the key reads (the key even where its side is
     * missing). */
    j->n = nl + nr + 1;
    sl_sql_scope_t all = {sc, nl + nr + (j->synth ? 1 : 0), false};
    sl_sql_scope_col_t keycol = {NULL, "ROWKEY", lt, (uint32_t)(nl + nr)};
    sl_sql_scope_t keyscope = {&keycol, 1, false};
    sl_sql_expr_t keyref = {.kind = SL_SQL_EXPR_COLUMN, .height = 1};
    keyref.column.name.s = "ROWKEY";
    j->types = sl_arena_alloc(a, j->n * sizeof *j->types);
    if (!j->types)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < nl + nr; i++)
        j->types[i] = sc[i].type;
    j->types[nl + nr] = lt;

    /* ---- WHERE and the projection over the combined row ---- */
    query_t *q = &j->q;
    q->id = id;
    q->nkey = 0, q->nvalue = j->n, q->ts_slot = -1;
    if (qa->where) {
        sl_sql_expr_opts_t ow = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &all, &ow, a, &q->where, &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
    }
    /* Expand the stars into column references first. */
    size_t cap = qa->nitems + j->n + 1;
    sl_sql_select_item_t *items = sl_arena_alloc(a, cap * sizeof *items);
    sl_sql_expr_t *refs = sl_arena_alloc(a, cap * sizeof *refs);
    const sl_sql_cexpr_t **out = sl_arena_alloc(a, cap * sizeof *out);
    const sl_sql_cexpr_t **ke = sl_arena_alloc(a, sizeof *ke);
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, cap * sizeof *cols);
    if (!items || !refs || !out || !ke || !cols)
        return SL_ERR_NOMEM;
    size_t nitems = 0;
    for (size_t i = 0; i < qa->nitems; i++) {
        const sl_sql_select_item_t *it = qa->items[i];
        if (it->kind == SL_SQL_SELECT_EXPR) {
            items[nitems++] = *it;
            continue;
        }
        if (it->kind != SL_SQL_SELECT_STAR && it->kind != SL_SQL_SELECT_SOURCE_STAR) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: this select item is not supported yet",
                          it->pos.line, it->pos.col);
            return SL_ERR_UNSUPPORTED;
        }
        const char *only = it->kind == SL_SQL_SELECT_SOURCE_STAR ? it->qualifier.s : NULL;
        if (only && strcmp(only, la) && strcmp(only, ra)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: Source '%s' not found.", it->pos.line,
                          it->pos.col, only);
            return SL_ERR_INVAL;
        }
        /* ksqlDB lists the synthetic key first; A.* has only A's columns. */
        for (size_t c0 = 0; c0 < all.ncols; c0++) {
            size_t c = j->synth ? (c0 + all.ncols - 1) % all.ncols : c0;
            if (only ? !sc[c].source || strcmp(sc[c].source, only) : 0)
                continue;
            sl_sql_expr_t *ref = &refs[nitems];
            *ref = (sl_sql_expr_t){.kind = SL_SQL_EXPR_COLUMN, .pos = it->pos, .height = 1};
            ref->column.qualifier.s = sc[c].source;
            ref->column.name.s = sc[c].name;
            items[nitems++] = (sl_sql_select_item_t){.kind = SL_SQL_SELECT_EXPR,
                                                     .pos = it->pos, .expr = ref};
        }
    }
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    size_t ncols = 0;
    int anon = 0;
    const side_t *key_side = NULL; /* the viable key selected, or synthetic */
    int have_key = 0;
    const char *key_name = NULL;
    for (size_t i = 0; i < nitems; i++) {
        const sl_sql_select_item_t *it = &items[i];
        const sl_sql_expr_t *x = it->expr;
        const char *name = item_name(a, it, &anon);
        if (!name)
            return SL_ERR_NOMEM;
        /* Is it the key: a viable join column, or the synthetic key? */
        const side_t *is = NULL;
        int is_synth = 0;
        for (size_t v = 0; v < nviable && !is; v++) {
            if (x->kind == SL_SQL_EXPR_COLUMN && refers_to(x, viable[v]->alias, vcol[v])) {
                /* An unqualified name must belong to that side only. */
                if (!x->column.qualifier.s) {
                    int hits = 0;
                    for (size_t c = 0; c < nl + nr; c++)
                        hits += !strcmp(sc[c].name, x->column.name.s);
                    if (hits != 1)
                        continue;
                }
                is = viable[v];
            }
        }
        if (j->synth && x->kind == SL_SQL_EXPR_COLUMN && !x->column.qualifier.s &&
            !strcmp(x->column.name.s, synth_name))
            is_synth = 1;
        if ((is || is_synth) && have_key && (is_synth || is == key_side)) {
            const char *n1 = key_name, *n2 = name;
            if (strcmp(n1, n2) > 0)
                n1 = name, n2 = key_name;
            sl__sqls_fail(errbuf, errlen,
                          "The projection contains a key column (`%s`) more than once, aliased "
                          "as: %s and %s.",
                          is_synth ? synth_name : key_name, n1, n2);
            return SL_ERR_INVAL;
        }
        int as_key = (is || is_synth) && !have_key;
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(x, &all, &os, a, as_key ? &ke[0] : &out[q->nout], &t, &e) ||
            (as_key && kind != JK_FK &&
             sl_sql_expr_compile(&keyref, &keyscope, &os, a, &ke[0], &t, &e))) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        for (size_t c = 0; c < ncols; c++) {
            if (!strcmp(cols[c].name, name)) {
                sl__sqls_fail(errbuf, errlen,
                              "line %u:%u: Duplicate column names: %s (use AS to rename one of "
                              "them)",
                              it->pos.line, it->pos.col, name);
                return SL_ERR_INVAL;
            }
        }
        if (as_key) {
            have_key = 1, key_side = is, key_name = name;
        } else {
            q->nout++;
        }
        cols[ncols++] = (sl_sql_datasource_col_t){name, t,
                                                  as_key ? SL_SQL_ROLE_KEY : SL_SQL_ROLE_VALUE,
                                                  NULL};
    }
    const char *target_name = stmt->create.name.s;
    if (!have_key) {
        if (j->synth) {
            sl__sqls_fail(errbuf, errlen,
                          "Key missing from projection (ie, SELECT). The query used to build "
                          "`%s` must include the join expression %s in its projection (eg, "
                          "SELECT %s...). %s was added as a synthetic key column because the "
                          "join criteria did not match any source column. This expression must "
                          "be included in the projection and may be aliased.",
                          target_name, synth_name, synth_name, synth_name);
        } else {
            char v0[300], v1[300] = "";
            snprintf(v0, sizeof v0, "%s.%s", viable[0]->alias, vcol[0]);
            if (nviable > 1)
                snprintf(v1, sizeof v1, "%s.%s", viable[1]->alias, vcol[1]);
            sl__sqls_fail(errbuf, errlen,
                          "Key missing from projection (ie, SELECT). The query used to build "
                          "`%s` must include the join expression%s %s%s%s in its projection "
                          "(eg, SELECT %s...).",
                          target_name, nviable > 1 ? "s" : "", v0, nviable > 1 ? " or " : "",
                          nviable > 1 ? v1 : "", v0);
        }
        return SL_ERR_INVAL;
    }
    q->out = out;
    q->key_exprs = ke;
    q->nkey_out = 1;

    /* ---- the formats: the join key's, the result's ---- */
    const sl_sql_schema_t *jks = key_schema_of(a, lt);
    if (!jks)
        return SL_ERR_NOMEM;
    sl_sql_format_t jkf;
    if (kind == JK_SS)
        jkf = key_format_for(!j->l.rekey ? left->key_format
                             : !j->r.rekey ? right->key_format
                                           : left->key_format,
                             jks);
    else if (kind == JK_ST)
        jkf = key_format_for(right->key_format, jks);
    else
        jkf = key_format_for(left->key_format, jks);

    sl_sql_datasource_t made = {0};
    char b1[64];
    const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    made.name = target_name;
    made.table = !stream_result;
    made.cols = cols;
    made.ncols = ncols;
    made.topic = topic ? topic : target_name;
    made.partitions = left->partitions;
    made.key_format = jkf;
    made.value_format = left->value_format;
    char m[512];
    if (sl__sqls_sink_formats(stmt, &made.key_format, &made.value_format, errbuf, errlen))
        return SL_ERR_INVAL;
    if (sl_sql_catalog_find(s->catalog, made.name) && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        sl__sqls_fail(errbuf, errlen,
                      "Cannot add %s '%s': A %s with the same name already exists",
                      made.table ? "table" : "stream", made.name, made.table ? "table" : "stream");
        return SL_ERR_EXISTS;
    }
    if (sl_sql_catalog_topic_partitions(s->catalog, made.topic) < 0) {
        char tb[256] = "";
        if (sl_sql_catalog_topic_create(s->catalog, made.topic, made.partitions, tb, sizeof tb)) {
            sl__sqls_fail(errbuf, errlen, "Could not create topic '%s': %s", made.topic, tb);
            return SL_ERR_IO;
        }
    }
    if ((err = sl_sql_catalog_add(s->catalog, &made, stmt->create.or_replace, errbuf, errlen)))
        return err;
    const sl_sql_datasource_t *target = sl_sql_catalog_find(s->catalog, made.name);
    if (sl_sql_format_check(&target->key_format, &target->key_schema, m, sizeof m) ||
        sl_sql_format_check(&target->value_format, &target->value_schema, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s", m);
        return SL_ERR_INVAL;
    }

    /* ---- the topology ---- */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs, *jk;
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m) ||
        sl_sql_serde_new(&al, &jkf, jks, &jk, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    sl_kstream_t *lstream = NULL, *rstream = NULL;
    sl_ktable_t *ltable = NULL, *rtable = NULL;
    if ((err = sl__sqls_source_for(s, left, &j->l.q, &lstream, &ltable, errbuf, errlen)) ||
        (err = sl__sqls_source_for(s, right, &j->r.q, &rstream, &rtable, errbuf, errlen)))
        return err;
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    if (stream_result) {
        const sl_serde_t *lvs, *rvs = NULL;
        if ((err = ext_serde(a, &j->l, sc, &lvs, errbuf, errlen)) ||
            (kind == JK_SS && (err = ext_serde(a, &j->r, sc, &rvs, errbuf, errlen))))
            return err;
        lstream = j->l.rekey ? sl_kstream_map(lstream, side_rekey, &j->l)
                             : sl_kstream_map_values(lstream, side_extend, &j->l);
        sl_kstream_t *joined;
        if (kind == JK_SS) {
            rstream = j->r.rekey ? sl_kstream_map(rstream, side_rekey, &j->r)
                                 : sl_kstream_map_values(rstream, side_extend, &j->r);
            int64_t before = sl_sql_duration_ms(&jn->before), after = sl_sql_duration_ms(&jn->after);
            int64_t grace = jn->grace.set ? sl_sql_duration_ms(&jn->grace) : 24 * 3600 * 1000LL;
            sl_join_windows_t w = {before, after, grace};
            sl_joined_t jd = {.key_serde = jk, .value_serde = lvs, .other_value_serde = rvs};
            if (j->swapped) {
                w = (sl_join_windows_t){after, before, grace};
                jd = (sl_joined_t){.key_serde = jk, .value_serde = rvs, .other_value_serde = lvs};
                joined = sl_kstream_left_join(rstream, lstream, join_rows, j, &w, &jd);
            } else if (jn->kind == SL_SQL_JOIN_LEFT) {
                joined = sl_kstream_left_join(lstream, rstream, join_rows, j, &w, &jd);
            } else if (jn->kind == SL_SQL_JOIN_FULL) {
                joined = sl_kstream_outer_join(lstream, rstream, join_rows, j, &w, &jd);
            } else {
                joined = sl_kstream_join(lstream, rstream, join_rows, j, &w, &jd);
            }
        } else {
            sl_joined_t jd = {.key_serde = jk, .value_serde = lvs};
            joined = jn->kind == SL_SQL_JOIN_LEFT
                         ? sl_kstream_left_join_table(lstream, rtable, join_rows, j, &jd)
                         : sl_kstream_join_table(lstream, rtable, join_rows, j, &jd);
        }
        if (q->where)
            joined = sl_kstream_filter(joined, sl__sqls_where_pass, q);
        joined = sl_kstream_map(joined, sl__sqls_stream_project, q);
        sl_kstream_to(joined, target->topic, &p);
    } else {
        sl_ktable_t *joined;
        if (kind == JK_FK)
            joined = jn->kind == SL_SQL_JOIN_LEFT
                         ? sl_ktable_fk_left_join(ltable, rtable, fk_of, j, join_rows, j, NULL)
                         : sl_ktable_fk_join(ltable, rtable, fk_of, j, join_rows, j, NULL);
        else if (j->swapped)
            joined = sl_ktable_left_join(rtable, ltable, join_rows, j, NULL);
        else if (jn->kind == SL_SQL_JOIN_LEFT)
            joined = sl_ktable_left_join(ltable, rtable, join_rows, j, NULL);
        else if (jn->kind == SL_SQL_JOIN_FULL)
            joined = sl_ktable_outer_join(ltable, rtable, join_rows, j, NULL);
        else
            joined = sl_ktable_join(ltable, rtable, join_rows, j, NULL);
        if (q->where)
            joined = sl_ktable_filter(joined, sl__sqls_where_pass, q, NULL);
        joined = sl_ktable_map_values(joined, sl__sqls_table_project, q, NULL);
        sl_kstream_to(sl_ktable_to_stream(joined), target->topic, &p);
    }
    if (sl_topology_error(s->topo)) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++;
    return SL_OK;
}
