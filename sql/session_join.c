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
#include <strings.h>

#include "common/trace.h"
#include "sql/session_int.h"

enum { JK_SS, JK_ST, JK_TT, JK_FK };

typedef struct side {
    const sl_sql_datasource_t *src; /* NULL: the joins before (an intermediate result) */
    const char *alias;              /* a source's; for messages */
    size_t nk, nv, at;              /* its key and value columns; first slot in the row */
    const sl_sql_expr_t *on;        /* its operand of ON */
    const char *on_alias;           /* the source of that operand when it is a column */
    const sl_sql_cexpr_t *on_c;     /* compiled over its own row (keys, values) */
    int on_key;                     /* ON is its (single) key column, or the intermediate's key */
    int rekey;                      /* a stream re-keyed through a repartition topic */
    int table;                      /* a table (a source table: key and value rows apart) */
    sl_sql_format_t key_format;
    size_t nh;                      /* its header columns: slots after its values (a table's
                                     * values carry them: sl__sqls_table_headers) */
    int window;                     /* its keys are windowed: 1 time, 2 session windows */
    int64_t window_size;            /* time windows: their size */
    int hopping;                    /* time windows: HOPPING (else TUMBLING) */
    query_t q;                      /* its own layout */
} side_t;

/* A side's slots in the combined row: keys, values, headers. */
static size_t side_width(const side_t *s)
{
    return s->nk + s->nv + s->nh;
}

/* A column that holds the key of a join's result (ksqlDB's viable key). */
typedef struct keycol {
    const char *alias, *name;
} keycol_t;

#define MAX_KEYCOLS 8

/* One join of the chain: (the sources or joins before) JOIN (source i). */
typedef struct jquery {
    query_t q;                    /* the last join's: over its row, nkey 0, nvalue = all slots */
    side_t l, r;
    const sl_sql_join_t *jn;
    int kind;
    int swapped;                  /* RIGHT JOIN: the engine joins (right, left) */
    int synth;                    /* the last slot is the synthetic key */
    size_t fk_slot;               /* JK_FK: the left row's slot of the foreign key */
    size_t n;                     /* its row: slots [0, n); the join key in slot n - 1 */
    const sl_sql_type_t **types;  /* each slot's: a missing side is typed NULLs */
    const sl_sql_type_t *key_type;
    sl_sql_format_t jkf;          /* the join key's format */
    const sl_sql_schema_t *jks;
    int result_table;
    int window;                   /* the sources' keys are windowed (all alike): 1 time, 2
                                   * session windows; the join key is then sl_windowed_t */
    int64_t window_size;
    keycol_t sure[MAX_KEYCOLS];   /* columns that hold its key on every row */
    size_t nsure;
    keycol_t mkey[MAX_KEYCOLS];   /* JK_FK on a left table of several key columns: they, in
                                   * its key order (the result's whole key; nsure is 0) */
    size_t nmkey;
} jquery_t;

/* A side's value into the combined row: a source table's key and value rows,
 * or an extended row (a stream's keys and values, or an intermediate's). */
static void put_side(const side_t *s, const sl_sql_row_t *k, const sl_sql_row_t *v,
                     sl_sql_value_t *out)
{
    if (!v)
        return;
    if (!(s->src && s->src->table)) {
        for (size_t i = 0; i < side_width(s) && i < v->n; i++)
            out[s->at + i] = v->values[i];
        return;
    }
    for (size_t i = 0; i < s->nk && k && i < k->n; i++)
        out[s->at + i] = k->values[i];
    for (size_t i = 0; i < s->nv + s->nh && i < v->n; i++)
        out[s->at + s->nk + i] = v->values[i];
}

static const void *join_rows(void *arg, sl_ctx_t *ctx, const void *key, const void *left,
                             const void *right)
{
    const jquery_t *j = arg;
    const sl_sql_row_t *k = key, *l = left, *r = right;
    if (j->window && key) /* the key in its window: both sides' windows are the same */
        k = ((const sl_windowed_t *)key)->key;
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
    put_side(&j->l, k, l, v);
    if (j->kind == JK_FK) {
        /* The right table's key is the left row's foreign key, and so is the
         * join key: the engine's key here is the left table's (typed apart
         * from the join-key slot, and of several columns maybe). */
        for (size_t i = 0; i < j->r.nv + j->r.nh && r && i < r->n; i++)
            v[j->r.at + j->r.nk + i] = r->values[i];
        if (r && l)
            v[j->r.at] = v[j->fk_slot];
        if (l)
            v[j->n - 1] = v[j->fk_slot];
    } else {
        put_side(&j->r, k, r, v);
        if (k && k->n)
            v[j->n - 1] = k->values[0]; /* the join key */
    }
    *out = (sl_sql_row_t){j->n, v};
    return out;
}

/* A stream side: the source row as an extended row, keyed by its ON value
 * (rekey) or keeping its key (extend). Null values stay null (a stream's
 * null value takes no part in a join). */
static sl_sql_value_t *side_row(const side_t *s, sl_ctx_t *ctx, const void *key, const void *value)
{
    if (s->window && key)
        key = ((const sl_windowed_t *)key)->key;
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
    *v = (sl_sql_row_t){side_width(s), row};
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
    *v = (sl_sql_row_t){side_width(s), row};
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
        snprintf(buf, len, "%s.%s", s->on_alias ? s->on_alias : s->alias,
                 s->on->column.name.s);
    else
        snprintf(buf, len, "%s", "an expression");
}

static const char *kind_name(sl_sql_join_kind_t k)
{
    return k == SL_SQL_JOIN_LEFT ? "LEFT" : k == SL_SQL_JOIN_RIGHT ? "RIGHT"
                                        : k == SL_SQL_JOIN_FULL  ? "FULL OUTER"
                                                                 : "INNER";
}

/* ---- a side's own pseudo-columns: S.ROWTIME, S.ROWPARTITION, S.ROWOFFSET ----
 * ksqlDB copies each source's ROWTIME, ROWPARTITION and ROWOFFSET into its
 * rows before joining (S_ROWTIME …), so S.ROWTIME is the time of S's record
 * in the joined row, not of the record being processed. A side whose own are
 * named carries them as columns after its headers, read at its record (a
 * table's rows keep them, as its headers: sl__sqls_table_headers). */
static const char *const side_pseudo[] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET"};
#define NPSEUDO 3

/* The bits (1 << i for side_pseudo[i]) of alias.ROWTIME … that e names,
 * added to pr->m. */
typedef struct pseudo_ctx {
    const char *alias;
    unsigned m;
} pseudo_ctx_t;

static int pseudo_refs_in(void *arg, const sl_sql_expr_t *e)
{
    pseudo_ctx_t *pr = arg;
    if (e->kind == SL_SQL_EXPR_COLUMN) {
        for (unsigned i = 0; i < NPSEUDO && e->column.qualifier.s; i++)
            if (!strcmp(e->column.qualifier.s, pr->alias) &&
                !strcmp(e->column.name.s, side_pseudo[i]))
                pr->m |= 1u << i;
        return 0;
    }
    return sl_sql_expr_each_child(e, pseudo_refs_in, arg);
}

static unsigned pseudo_refs(const sl_sql_expr_t *e, const char *alias)
{
    pseudo_ctx_t pr = {alias, 0};
    if (e)
        pseudo_refs_in(&pr, e);
    return pr.m;
}

/* The pseudo-columns of source alias that any clause of qa names. */
static unsigned query_pseudo_refs(const sl_sql_query_t *qa, const char *alias)
{
    unsigned m = pseudo_refs(qa->where, alias) | pseudo_refs(qa->having, alias);
    for (size_t i = 0; i < qa->nitems; i++)
        m |= pseudo_refs(qa->items[i]->expr, alias);
    for (size_t i = 0; i < qa->ngroup_by; i++)
        m |= pseudo_refs(qa->group_by[i], alias);
    for (size_t i = 0; i < qa->npartition_by; i++)
        m |= pseudo_refs(qa->partition_by[i], alias);
    for (size_t i = 0; i < qa->njoins; i++)
        m |= pseudo_refs(qa->joins[i]->on, alias);
    return m;
}

/* The side's own scope: its key columns, then its value columns, then its
 * header columns (HEADERS, HEADER('k')), then the pseudo-columns of its own
 * that the query names (pseudo: their bits). */
static sl_err_t side_init(sl_arena_t *a, side_t *s, const sl_sql_datasource_t *src,
                          const char *alias, size_t at, const char *id, unsigned pseudo,
                          sl_sql_scope_col_t *all, sl_sql_scope_t *own, char *errbuf,
                          size_t errlen)
{
    s->src = src, s->alias = alias, s->at = at;
    s->table = src->table, s->key_format = src->key_format;
    s->nk = src->key_schema.ncols, s->nv = src->value_schema.ncols;
    s->window = src->window, s->window_size = src->window_size;
    s->hopping = src->window_hopping;
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
    for (size_t i = 0; i < src->ncols; i++)
        s->nh += src->cols[i].role == SL_SQL_ROLE_HEADERS || src->cols[i].role == SL_SQL_ROLE_HEADER;
    for (unsigned i = 0; i < NPSEUDO; i++)
        s->nh += (pseudo >> i) & 1;
    if (s->nh) {
        /* A stream side reads them off its records; a table side's rows carry
         * them (sl__sqls_table_headers, when the topology is built). */
        sl_sql_datasource_col_t *hc = sl_arena_alloc(a, s->nh * sizeof *hc);
        if (!hc)
            return SL_ERR_NOMEM;
        size_t h = 0;
        for (size_t i = 0; i < src->ncols; i++) {
            const sl_sql_datasource_col_t *c = &src->cols[i];
            if (c->role != SL_SQL_ROLE_HEADERS && c->role != SL_SQL_ROLE_HEADER)
                continue;
            size_t slot = at + s->nk + s->nv + h;
            all[slot] = (sl_sql_scope_col_t){alias, c->name, c->type, (uint32_t)slot};
            hc[h++] = *c;
        }
        for (unsigned i = 0; i < NPSEUDO; i++) {
            if (!((pseudo >> i) & 1))
                continue;
            const sl_sql_type_t *t = sl_sql_type_prim(i == 1 ? SL_SQL_INT : SL_SQL_BIGINT);
            size_t slot = at + s->nk + s->nv + h;
            all[slot] = (sl_sql_scope_col_t){alias, side_pseudo[i], t,
                                             (uint32_t)slot | SL_SQL_SLOT_QUALIFIED};
            hc[h++] = (sl_sql_datasource_col_t){side_pseudo[i], t, SL_SQL_ROLE_PSEUDO, NULL};
        }
        s->q.nheader = s->nh, s->q.hcols = hc;
    }
    if (src->timestamp && s->q.ts_slot < 0) {
        sl__sqls_fail(errbuf, errlen, "%s: the TIMESTAMP column must be a value column", src->name);
        return SL_ERR_UNSUPPORTED;
    }
    /* Its records' time, as a single source's (sl__sqls_source_for): the
     * TIMESTAMP column, read with TIMESTAMP_FORMAT when it has one. */
    sl_err_t err = sl__sqls_timestamp_format(a, src->name, src->timestamp_format, &s->q.ts_parse,
                                             &s->q.ts_format, errbuf, errlen);
    if (err)
        return err;
    size_t n = side_width(s);
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, (n ? n : 1) * sizeof *sc);
    if (!sc)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        sc[i] = all[at + i];
        sc[i].slot = (uint32_t)i | (all[at + i].slot & SL_SQL_SLOT_QUALIFIED);
    }
    *own = (sl_sql_scope_t){sc, n, src->window != 0};
    return SL_OK;
}

/* Appends a source side's columns to named as ksqlDB lists them (SELECT *):
 * the key columns, then the others in declaration order (header columns
 * among the values). byslot: the combined row's columns. */
static void name_side(const side_t *s, const sl_sql_scope_col_t *byslot,
                      sl_sql_scope_col_t *named, size_t *nnamed)
{
    for (size_t i = 0; i < s->nk; i++)
        named[(*nnamed)++] = byslot[s->at + i];
    for (size_t c = 0; c < s->src->ncols; c++) {
        if (s->src->cols[c].role == SL_SQL_ROLE_KEY)
            continue;
        for (size_t i = s->nk; i < side_width(s); i++)
            if (!strcmp(byslot[s->at + i].name, s->src->cols[c].name) &&
                !(byslot[s->at + i].slot & SL_SQL_SLOT_QUALIFIED))
                named[(*nnamed)++] = byslot[s->at + i];
    }
    for (size_t i = s->nk; i < side_width(s); i++) /* its own pseudo-columns: not in SELECT * */
        if (byslot[s->at + i].slot & SL_SQL_SLOT_QUALIFIED)
            named[(*nnamed)++] = byslot[s->at + i];
}

/* A table with header columns, for the steps that read its rows later
 * (a join, an aggregation's subtraction): each row with the headers of
 * the record that set it — value columns, then header columns — kept in a
 * store of its own, since the record's headers are gone by the time
 * another record reads the row. */
static const void *with_headers(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const query_t *hq = arg;
    (void)key;
    if (!value)
        return NULL; /* a tombstone: the row goes */
    sl_sql_value_t *row = sl__sqls_slots(ctx, hq, NULL, value);
    sl_sql_row_t *r = sl_ctx_alloc(ctx, sizeof *r);
    if (!row || !r) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *r = (sl_sql_row_t){hq->nvalue + hq->nheader, row};
    return r;
}

sl_err_t sl__sqls_table_headers(sl_sql_session_t *s, const sl_sql_datasource_t *src, query_t *q,
                                const char *what, sl_ktable_t **table, char *errbuf,
                                size_t errlen)
{
    sl_arena_t *a = &s->arena;
    query_t *hq = sl_arena_alloc(a, sizeof *hq);
    size_t n = q->nvalue + q->nheader;
    sl_sql_column_t *c = sl_arena_alloc(a, (n ? n : 1) * sizeof *c);
    sl_sql_schema_t *es = sl_arena_alloc(a, sizeof *es);
    char name[300];
    snprintf(name, sizeof name, "%s-%s-HEADERS-STORE", s->query_id, what);
    const char *store = sl__sqls_arena_str(a, name);
    if (!hq || !c || !es || !store)
        return SL_ERR_NOMEM;
    *hq = (query_t){.id = q->id, .nvalue = q->nvalue, .ts_slot = -1, .nheader = q->nheader,
                    .hcols = q->hcols};
    for (size_t i = 0; i < q->nvalue; i++)
        c[i] = src->value_schema.cols[i];
    for (size_t i = 0; i < q->nheader; i++)
        c[q->nvalue + i] = (sl_sql_column_t){q->hcols[i].name, q->hcols[i].type};
    *es = (sl_sql_schema_t){n, c};
    sl_sql_format_t f = {.kind = SL_SQL_FORMAT_JSON};
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *vs;
    char m[256];
    if (sl_sql_serde_new(&al, &f, es, &vs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", src->name, m);
        return SL_ERR_INVAL;
    }
    sl_materialized_t mm = {.store_name = store, .value_serde = vs};
    *table = sl_kstream_to_table(sl_kstream_map_values(sl_ktable_to_stream(*table), with_headers,
                                                       hq),
                                 &mm);
    /* The rows now hold the header columns as values, in the same slots. */
    q->nvalue += q->nheader, q->nheader = 0, q->hcols = NULL;
    if (!*table) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
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

/* The JSON serde of a side's extended rows (its slots, named and typed as
 * in the combined row). */
static sl_err_t ext_serde(sl_arena_t *a, const side_t *s, const char *const *names,
                          const sl_sql_type_t *const *types, const sl_serde_t **out,
                          char *errbuf, size_t errlen)
{
    size_t n = side_width(s);
    sl_sql_column_t *c = sl_arena_alloc(a, (n ? n : 1) * sizeof *c);
    sl_sql_schema_t *es = sl_arena_alloc(a, sizeof *es);
    if (!c || !es)
        return SL_ERR_NOMEM;
    /* A source's columns by name; an intermediate's by position (names may
     * repeat across its sources). */
    for (size_t i = 0; i < n; i++) {
        char pn[32];
        snprintf(pn, sizeof pn, "C%zu", s->at + i);
        c[i] = (sl_sql_column_t){s->src ? names[s->at + i] : sl__sqls_arena_str(a, pn),
                                 types[s->at + i]};
        if (!c[i].name)
            return SL_ERR_NOMEM;
    }
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

/* Whether a column name is in more than one source of the join (all: every
 * source's columns), or is a pseudo-column: ksqlDB's clashing names
 * (DataSourceExtractor.isClashingColumnName). */
static int clashing(const sl_sql_scope_t *all, const char *name)
{
    if (!strcmp(name, "ROWTIME") || !strcmp(name, "ROWPARTITION") || !strcmp(name, "ROWOFFSET"))
        return 1;
    const char *first = NULL;
    for (size_t i = 0; i < all->ncols; i++) {
        const sl_sql_scope_col_t *c = &all->cols[i];
        if (!c->source || strcasecmp(c->name, name))
            continue;
        if (!first)
            first = c->source;
        else if (strcmp(first, c->source))
            return 1;
    }
    return 0;
}

/* ksqlDB's refusal of a join's key column selected twice, under the names
 * a and b (named in sorted order, as ksqlDB's message has them). */
static sl_err_t key_selected_twice(const char *key, const char *a, const char *b, char *errbuf, size_t errlen)
{
    if (strcmp(a, b) > 0) {
        const char *t = a;
        a = b, b = t;
    }
    sl__sqls_fail(errbuf, errlen, "The projection contains a key column (`%s`) more than once, aliased as: %s and %s.",
                  key, a, b);
    return SL_ERR_INVAL;
}

/* A projection item's column name in a join: its alias; a qualified column
 * A.X is A_X when X is a clashing name, else X (as ksqlDB names them). */
static const char *item_name(sl_arena_t *a, const sl_sql_scope_t *all,
                             const sl_sql_select_item_t *it, int *anon)
{
    const sl_sql_expr_t *x = it->expr;
    char nm[256];
    if (it->alias.s)
        return it->alias.s;
    if (x->kind == SL_SQL_EXPR_COLUMN && x->column.qualifier.s &&
        clashing(all, x->column.name.s)) {
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

/* The source alias of a column operand in scope sc (NULL when e is not a
 * plain column or its name is in several sources). */
static const char *column_alias(const sl_sql_scope_t *sc, const sl_sql_expr_t *e)
{
    if (e->kind != SL_SQL_EXPR_COLUMN)
        return NULL;
    if (e->column.qualifier.s)
        return e->column.qualifier.s;
    const char *found = NULL;
    for (size_t i = 0; i < sc->ncols; i++) {
        if (!sc->cols[i].source || strcmp(sc->cols[i].name, e->column.name.s) ||
            (sc->cols[i].slot & SL_SQL_SLOT_QUALIFIED))
            continue;
        if (found && strcmp(found, sc->cols[i].source))
            return NULL;
        found = sc->cols[i].source;
    }
    return found;
}

static int is_keycol(const keycol_t *k, size_t n, const sl_sql_expr_t *e, const char *alias)
{
    for (size_t i = 0; alias && e->kind == SL_SQL_EXPR_COLUMN && i < n; i++)
        if (!strcmp(k[i].alias, alias) && !strcmp(k[i].name, e->column.name.s))
            return 1;
    return 0;
}

/* Does projection item x select key column k: the column, qualified or by a
 * name no other source has (named: the join's columns)? */
static int names_keycol(const sl_sql_expr_t *x, const keycol_t *k, const sl_sql_scope_col_t *named,
                        size_t nnamed)
{
    if (x->kind != SL_SQL_EXPR_COLUMN || !refers_to(x, k->alias, k->name))
        return 0;
    if (x->column.qualifier.s)
        return 1;
    int hits = 0;
    for (size_t c = 0; c < nnamed; c++)
        hits += !strcmp(named[c].name, x->column.name.s);
    return hits == 1;
}

static void add_keycol(keycol_t *k, size_t *n, const char *alias, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(k[i].alias, alias) && !strcmp(k[i].name, name))
            return;
    if (*n < MAX_KEYCOLS)
        k[(*n)++] = (keycol_t){alias, name};
}

static const char *window_name(const side_t *s)
{
    return s->window == 2 ? "SESSION" : s->hopping ? "HOPPING" : "TUMBLING";
}

/* ksqlDB's rules for windowed sources: both sides windowed or neither, and
 * session windows only with session windows (their keys hold both bounds,
 * time windows' only the start). The sides are named in ON's order. */
static sl_err_t check_windowing(const jquery_t *j, const sl_sql_expr_t *on, char *errbuf,
                                size_t errlen)
{
    const side_t *a = &j->l, *b = &j->r;
    if (on->op.a != j->l.on)
        a = &j->r, b = &j->l;
    const char *an = a->on_alias ? a->on_alias : a->alias;
    const char *bn = b->on_alias ? b->on_alias : b->alias;
    if (!a->window != !b->window) {
        sl__sqls_fail(errbuf, errlen,
                      "Can not join windowed source to non-windowed source.\n`%s` is %s "
                      "windowed\n`%s` is %s windowed",
                      an, a->window ? window_name(a) : "not", bn,
                      b->window ? window_name(b) : "not");
        return SL_ERR_INVAL;
    }
    if (a->window && (a->window == 2) != (b->window == 2)) {
        sl__sqls_fail(errbuf, errlen,
                      "Incompatible windowed sources.\nLeft source: %s\nRight source: %s\n"
                      "Session windowed sources can only be joined to other session windowed "
                      "sources, and may still not result in expected behaviour as session "
                      "bounds must be an exact match for the join to work\nHopping and "
                      "tumbling windowed sources can only be joined to other hopping and "
                      "tumbling windowed sources",
                      window_name(a), window_name(b));
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* A join of windowed sources matches the key in the same window, so the
 * sides' keys must be alike as they are: ksqlDB does not re-key or
 * re-serialize a windowed source (nor does a join of time windows of other
 * sizes match anything meaningful: their keys hold only the start). */
static sl_err_t check_windowed_keys(const jquery_t *j, char *errbuf, size_t errlen)
{
    if (!j->l.window)
        return SL_OK;
    if (j->l.rekey || j->r.rekey || j->l.key_format.kind != j->r.key_format.kind ||
        j->l.window_size != j->r.window_size || j->l.hopping != j->r.hopping) {
        sl__sqls_fail(errbuf, errlen,
                      "Implicit repartitioning of windowed sources is not supported. See "
                      "https://github.com/confluentinc/ksql/issues/4385.");
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* One join of the chain: kinds, ON, the key. lscope: the left's columns
 * (slots as in the combined row); prev: the join before (NULL for the
 * first); rscope: the right source's own. */
static sl_err_t analyze_join(sl_sql_session_t *s, jquery_t *j, const jquery_t *prev,
                             const sl_sql_scope_t *lscope, const sl_sql_scope_t *rscope,
                             const char *left_name, char *errbuf, size_t errlen)
{
    const sl_sql_join_t *jn = j->jn;
    const sl_sql_datasource_t *right = j->r.src;
    sl_arena_t *a = &s->arena;
    if (j->l.table && !j->r.table) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid join order: table-stream joins are not supported; only "
                      "stream-table joins. Got %s %s JOIN %s.",
                      left_name, kind_name(jn->kind), right->name);
        return SL_ERR_INVAL;
    }
    int kind = !j->l.table && !j->r.table ? JK_SS : !j->l.table ? JK_ST : JK_TT;
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

    /* ON: <left operand> = <right operand>, either way round. */
    const sl_sql_expr_t *on = jn->on;
    if (on && on->kind == SL_SQL_EXPR_BINARY && on->op.op == SL_SQL_OP_AND &&
        on->op.a->kind == SL_SQL_EXPR_BINARY && on->op.a->op.op == SL_SQL_OP_EQ &&
        on->op.b->kind == SL_SQL_EXPR_BINARY && on->op.b->op.op == SL_SQL_OP_EQ) {
        /* Several equalities: ksqlDB's message (a multi-column key is not
         * joined on either). */
        sl_buf_t b = SL_BUF_INIT;
        sl_buf_append(&b, "((", 2);
        sl_sql_expr_print(on->op.a, &b);
        sl_buf_append(&b, ") AND (", 7);
        sl_sql_expr_print(on->op.b, &b);
        sl_buf_append(&b, "))", 2);
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid join condition: joins on multiple conditions are not "
                      "yet supported. Got %.*s.",
                      on->pos.line, on->pos.col, (int)b.len, b.data ? (const char *)b.data : "");
        sl_buf_free(&b);
        return SL_ERR_INVAL;
    }
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
    if (!sl_sql_expr_compile(on->op.a, lscope, &oo, a, &lc, &lt, &e) &&
        !sl_sql_expr_compile(on->op.b, rscope, &oo, a, &rc, &rt, &e2)) {
        j->l.on = on->op.a, j->r.on = on->op.b;
    } else if (!sl_sql_expr_compile(on->op.b, lscope, &oo, a, &lc, &lt, &e2) &&
               !sl_sql_expr_compile(on->op.a, rscope, &oo, a, &rc, &rt, &e2)) {
        j->l.on = on->op.b, j->r.on = on->op.a;
    } else {
        sl__sqls_fail(errbuf, errlen,
                      "line %u:%u: Invalid comparison expression in join criteria: each side "
                      "of the equality must refer to exactly one of the sources (%s, %s)",
                      on->pos.line, on->pos.col, left_name, j->r.alias);
        return SL_ERR_INVAL;
    }
    j->l.on_c = lc, j->r.on_c = rc;
    j->l.on_alias = column_alias(lscope, j->l.on);
    j->r.on_alias = j->r.on->kind == SL_SQL_EXPR_COLUMN ? j->r.alias : NULL;
    sl_err_t werr = check_windowing(j, on, errbuf, errlen);
    if (werr)
        return werr;
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
    j->key_type = lt;
    if (!prev)
        j->l.on_key = j->l.nk == 1 &&
                      refers_to(j->l.on, j->l.alias, j->l.src->key_schema.cols[0].name);
    else
        j->l.on_key = is_keycol(prev->sure, prev->nsure, j->l.on, j->l.on_alias);
    j->r.on_key = j->r.nk == 1 && refers_to(j->r.on, j->r.alias, right->key_schema.cols[0].name);
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
        if (j->l.on->kind != SL_SQL_EXPR_COLUMN || !j->l.on_alias) {
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
        if (j->l.window) {
            sl__sqls_fail(errbuf, errlen,
                          "line %u:%u: foreign-key joins of windowed tables are not supported: "
                          "a windowed table is joined on its key (%s = %s)",
                          on->pos.line, on->pos.col, lx, rx);
            return SL_ERR_UNSUPPORTED;
        }
        if (!prev && j->l.nk > MAX_KEYCOLS) {
            sl__sqls_fail(errbuf, errlen, "%s: a table with %zu key columns cannot be joined yet",
                          left_name, j->l.nk);
            return SL_ERR_UNSUPPORTED;
        }
        kind = JK_FK;
        for (size_t i = 0; i < lscope->ncols; i++)
            if (lscope->cols[i].source && !strcmp(lscope->cols[i].source, j->l.on_alias) &&
                !strcmp(lscope->cols[i].name, j->l.on->column.name.s))
                j->fk_slot = lscope->cols[i].slot & ~SL_SQL_SLOT_QUALIFIED;
    }
    j->kind = kind;
    if (kind == JK_SS) {
        j->l.rekey = !j->l.on_key;
        j->r.rekey = !j->r.on_key;
        if (!j->l.rekey && !j->r.rekey && j->l.key_format.kind != j->r.key_format.kind)
            j->r.rekey = 1; /* one key format on both sides */
    } else if (kind == JK_ST) {
        j->l.rekey = !j->l.on_key;
    }
    if ((werr = check_windowed_keys(j, errbuf, errlen)))
        return werr;
    j->window = j->l.window, j->window_size = j->l.window_size;
    j->swapped = jn->kind == SL_SQL_JOIN_RIGHT;
    j->result_table = kind == JK_TT || kind == JK_FK;

    /* The join key's format; a foreign-key join's result keeps the left
     * table's key, in its format (its key and format after a join). */
    if (kind == JK_FK) {
        j->jks = prev ? prev->jks : &j->l.src->key_schema;
        j->jkf = j->l.key_format;
        j->jkf.is_key = 1;
    } else {
        if (!(j->jks = key_schema_of(a, lt)))
            return SL_ERR_NOMEM;
        if (kind == JK_SS)
            j->jkf = key_format_for(!j->l.rekey   ? j->l.key_format
                                    : !j->r.rekey ? j->r.key_format
                                                  : j->l.key_format,
                                    j->jks);
        else if (kind == JK_ST)
            j->jkf = key_format_for(j->r.key_format, j->jks);
        else
            j->jkf = key_format_for(j->l.key_format, j->jks);
    }

    /* The columns that hold the key on every row (for the next join). */
    int lcol = j->l.on->kind == SL_SQL_EXPR_COLUMN && j->l.on_alias;
    int rcol = j->r.on->kind == SL_SQL_EXPR_COLUMN;
    if (kind == JK_FK) {
        if (prev) {
            for (size_t i = 0; i < prev->nsure; i++)
                add_keycol(j->sure, &j->nsure, prev->sure[i].alias, prev->sure[i].name);
            j->nmkey = prev->nmkey;
            memcpy(j->mkey, prev->mkey, sizeof j->mkey);
        } else if (j->l.nk == 1) {
            add_keycol(j->sure, &j->nsure, j->l.alias, j->l.src->key_schema.cols[0].name);
        } else {
            /* No one column holds the key: a later join on one of them is
             * a foreign-key join too. */
            for (size_t i = 0; i < j->l.nk; i++)
                j->mkey[j->nmkey++] = (keycol_t){j->l.alias, j->l.src->key_schema.cols[i].name};
        }
    } else if (jn->kind != SL_SQL_JOIN_FULL) {
        if (jn->kind != SL_SQL_JOIN_RIGHT) {
            if (lcol)
                add_keycol(j->sure, &j->nsure, j->l.on_alias, j->l.on->column.name.s);
            for (size_t i = 0; prev && j->l.on_key && i < prev->nsure; i++)
                add_keycol(j->sure, &j->nsure, prev->sure[i].alias, prev->sure[i].name);
        }
        if (rcol && jn->kind != SL_SQL_JOIN_LEFT)
            add_keycol(j->sure, &j->nsure, j->r.alias, j->r.on->column.name.s);
    }
    return SL_OK;
}

/* The serde of keys in windows (sl_windowed_t) over inner's. */
static const sl_serde_t *windowed_serde(sl_arena_t *a, const sl_serde_t *inner, int window,
                                        int64_t size)
{
    sl_serde_t *w = sl_arena_alloc(a, sizeof *w);
    if (w)
        *w = window == 2 ? sl_serde_session_windowed(inner) : sl_serde_time_windowed(inner, size);
    return w;
}

/* The topology of one join: the left input (a source's or the join
 * before's), the right source, the engine join. step: its index in the
 * chain; more: its rows are read later (a join follows it, or GROUP BY
 * takes its old rows back out of their groups). */
static sl_err_t build_join(sl_sql_session_t *s, jquery_t *j, size_t step, int more,
                           const char *const *names, sl_kstream_t **lstream, sl_ktable_t **ltable,
                           char *errbuf, size_t errlen)
{
    sl_arena_t *a = &s->arena;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *jk;
    char m[512];
    sl_err_t err;
    if (sl_sql_serde_new(&al, &j->jkf, j->jks, &jk, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "join key: %s", m);
        return SL_ERR_INVAL;
    }
    if (j->window && !(jk = windowed_serde(a, jk, j->window, j->window_size)))
        return SL_ERR_NOMEM;
    sl_kstream_t *rstream = NULL;
    sl_ktable_t *rtable = NULL;
    if ((err = sl__sqls_source_for(s, j->r.src, &j->r.q, &rstream, &rtable, errbuf, errlen)))
        return err;
    if (rtable && j->r.nh &&
        (err = sl__sqls_table_headers(s, j->r.src, &j->r.q, j->r.alias, &rtable, errbuf, errlen)))
        return err;
    const sl_sql_join_t *jn = j->jn;
    if (!j->result_table) {
        const sl_serde_t *lvs, *rvs = NULL;
        if ((err = ext_serde(a, &j->l, names, j->types, &lvs, errbuf, errlen)) ||
            (j->kind == JK_SS && (err = ext_serde(a, &j->r, names, j->types, &rvs, errbuf, errlen))))
            return err;
        sl_kstream_t *ls = *lstream;
        if (j->l.rekey)
            ls = sl_kstream_map(ls, side_rekey, &j->l);
        else if (j->l.src)
            ls = sl_kstream_map_values(ls, side_extend, &j->l);
        sl_kstream_t *joined;
        if (j->kind == JK_SS) {
            rstream = j->r.rekey ? sl_kstream_map(rstream, side_rekey, &j->r)
                                 : sl_kstream_map_values(rstream, side_extend, &j->r);
            int64_t before = sl_sql_duration_ms(&jn->before), after = sl_sql_duration_ms(&jn->after);
            int64_t grace = jn->grace.set ? sl_sql_duration_ms(&jn->grace) : 24 * 3600 * 1000LL;
            /* Without GRACE PERIOD, ksqlDB's legacy semantics: unmatched
             * records of an outer side are emitted at once. */
            int eager = !jn->grace.set;
            sl_join_windows_t w = {before, after, grace, eager};
            sl_joined_t jd = {.key_serde = jk, .value_serde = lvs, .other_value_serde = rvs};
            if (j->swapped) {
                w = (sl_join_windows_t){after, before, grace, eager};
                jd = (sl_joined_t){.key_serde = jk, .value_serde = rvs, .other_value_serde = lvs};
                joined = sl_kstream_left_join(rstream, ls, join_rows, j, &w, &jd);
            } else if (jn->kind == SL_SQL_JOIN_LEFT) {
                joined = sl_kstream_left_join(ls, rstream, join_rows, j, &w, &jd);
            } else if (jn->kind == SL_SQL_JOIN_FULL) {
                joined = sl_kstream_outer_join(ls, rstream, join_rows, j, &w, &jd);
            } else {
                joined = sl_kstream_join(ls, rstream, join_rows, j, &w, &jd);
            }
        } else {
            sl_joined_t jd = {.key_serde = jk, .value_serde = lvs};
            joined = jn->kind == SL_SQL_JOIN_LEFT
                         ? sl_kstream_left_join_table(ls, rtable, join_rows, j, &jd)
                         : sl_kstream_join_table(ls, rtable, join_rows, j, &jd);
        }
        *lstream = joined, *ltable = NULL;
    } else {
        /* The result's serdes: a later join (a foreign-key one) writes its
         * keys and rows to internal topics. */
        side_t res = {.nv = j->n};
        const sl_serde_t *rvs;
        if ((err = ext_serde(a, &res, names, j->types, &rvs, errbuf, errlen)))
            return err;
        sl_materialized_t mm = {.key_serde = j->kind == JK_FK ? NULL : jk, /* FK: the left's */
                                .value_serde = rvs},
                          *mp = &mm;
        if (j->kind == JK_FK && more) {
            /* A foreign-key join's result has a getter (for the join after
             * it) and gives its old rows (for GROUP BY) only through a store
             * of its own. */
            char name[300];
            snprintf(name, sizeof name, "%s-FK-JOIN-%zu-STORE", s->query_id, step);
            if (!(mm.store_name = sl__sqls_arena_str(a, name)))
                return SL_ERR_NOMEM;
        }
        sl_ktable_t *lt = *ltable, *joined;
        if (j->kind == JK_FK)
            joined = jn->kind == SL_SQL_JOIN_LEFT
                         ? sl_ktable_fk_left_join(lt, rtable, fk_of, j, join_rows, j, mp)
                         : sl_ktable_fk_join(lt, rtable, fk_of, j, join_rows, j, mp);
        else if (j->swapped)
            joined = sl_ktable_left_join(rtable, lt, join_rows, j, mp);
        else if (jn->kind == SL_SQL_JOIN_LEFT)
            joined = sl_ktable_left_join(lt, rtable, join_rows, j, mp);
        else if (jn->kind == SL_SQL_JOIN_FULL)
            joined = sl_ktable_outer_join(lt, rtable, join_rows, j, mp);
        else
            joined = sl_ktable_join(lt, rtable, join_rows, j, mp);
        *ltable = joined, *lstream = NULL;
    }
    return SL_OK;
}

/* What sl__sqls_join_input analyzed, for the compile steps after it. */
struct jplan {
    const sl_sql_datasource_t *first;
    size_t nj, total, nnamed;
    const char **aliases; /* of the nj + 1 sources */
    int grouped;          /* GROUP BY aggregates the last join's rows */
    jquery_t *steps;
    sl_sql_scope_col_t *named; /* room for one more: the synthetic key */
    const char **names;
    const sl_sql_type_t **types;
};

sl_err_t sl__sqls_join_input(sl_sql_session_t *s, const sl_sql_datasource_t *first,
                             const sl_sql_query_t *qa, join_input_t *in, char *errbuf,
                             size_t errlen)
{
    sl_arena_t *a = &s->arena;
    size_t nj = qa->njoins, nsrc = nj + 1;
    const sl_sql_datasource_t **srcs = sl_arena_alloc(a, nsrc * sizeof *srcs);
    const char **aliases = sl_arena_alloc(a, nsrc * sizeof *aliases);
    jquery_t *steps = sl_arena_alloc(a, nj * sizeof *steps);
    if (!srcs || !aliases || !steps)
        return SL_ERR_NOMEM;
    memset(steps, 0, nj * sizeof *steps);

    /* ---- the sources ---- */
    srcs[0] = first;
    aliases[0] = qa->from.alias.s ? qa->from.alias.s : first->name;
    size_t total = first->ncols + NPSEUDO; /* key, value, header and pseudo-columns */
    for (size_t i = 1; i < nsrc; i++) {
        const sl_sql_join_t *jn = qa->joins[i - 1];
        const sl_sql_datasource_t *src = sl_sql_catalog_find(s->catalog, jn->source.name.s);
        if (!src) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s does not exist.",
                          jn->source.name.pos.line, jn->source.name.pos.col, jn->source.name.s);
            return SL_ERR_INVAL;
        }
        srcs[i] = src;
        aliases[i] = jn->source.alias.s ? jn->source.alias.s : src->name;
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(aliases[k], aliases[i])) {
                sl__sqls_fail(errbuf, errlen,
                              "line %u:%u: Can not join '%s' to '%s': self joins need distinct "
                              "aliases for both sides.",
                              jn->pos.line, jn->pos.col, srcs[k]->name, src->name);
                return SL_ERR_INVAL;
            }
        }
        total += src->ncols + NPSEUDO + 1;
    }
    sl_buf_t kafka = SL_BUF_INIT;
    for (size_t i = 0; i < nsrc; i++) {
        if (srcs[i]->value_format.kind == SL_SQL_FORMAT_KAFKA) {
            sl_buf_append(&kafka, kafka.len ? ", " : "", kafka.len ? 2 : 0);
            sl_buf_append(&kafka, srcs[i]->name, strlen(srcs[i]->name));
        }
    }
    if (kafka.len) {
        sl__sqls_fail(errbuf, errlen,
                      "Source(s) %.*s are using the 'KAFKA' value format. This format does not "
                      "yet support JOIN.",
                      (int)kafka.len, (const char *)kafka.data);
        sl_buf_free(&kafka);
        return SL_ERR_INVAL;
    }

    /* ---- the combined row: each source's key and value columns, each join's key after its
     * right source ---- */
    const char *id = s->query_id;
    sl_sql_scope_col_t *byslot = sl_arena_alloc(a, total * sizeof *byslot);
    sl_sql_scope_col_t *named = sl_arena_alloc(a, (total + 1) * sizeof *named);
    const char **names = sl_arena_alloc(a, total * sizeof *names);
    const sl_sql_type_t **types = sl_arena_alloc(a, total * sizeof *types);
    if (!id || !byslot || !named || !names || !types)
        return SL_ERR_NOMEM;
    sl_sql_scope_t own;
    sl_err_t err;
    if ((err = side_init(a, &steps[0].l, first, aliases[0], 0, id,
                         query_pseudo_refs(qa, aliases[0]), byslot, &own, errbuf, errlen)))
        return err;
    size_t at = side_width(&steps[0].l), nnamed = 0;
    name_side(&steps[0].l, byslot, named, &nnamed);
    for (size_t i = 0; qa->ngroup_by && !s->transient && i < nsrc; i++) {
        /* As a GROUP BY over one windowed table (compile_query): ksqlDB
         * refuses a persistent query that reads any windowed table. */
        if (srcs[i]->table && srcs[i]->window) {
            sl__sqls_fail(errbuf, errlen,
                          "KSQL does not support persistent queries on windowed tables.");
            return SL_ERR_INVAL;
        }
    }
    for (size_t i = 1; i < nsrc; i++) {
        jquery_t *j = &steps[i - 1];
        const jquery_t *prev = i > 1 ? &steps[i - 2] : NULL;
        j->jn = qa->joins[i - 1];
        j->types = types;
        if (prev) { /* the left: the joins before, their rows as extended rows */
            j->l = (side_t){.alias = aliases[0], .nv = prev->n, .table = prev->result_table,
                            .key_format = prev->jkf, .window = prev->window,
                            .window_size = prev->window_size, .hopping = steps[0].l.hopping};
            j->l.q = (query_t){.id = id, .nkey = 0, .nvalue = prev->n, .ts_slot = -1};
        }
        sl_sql_scope_t lscope = {named, nnamed, false}, rscope;
        if ((err = side_init(a, &j->r, srcs[i], aliases[i], at, id,
                             query_pseudo_refs(qa, aliases[i]), byslot, &rscope, errbuf, errlen)))
            return err;
        size_t nr = side_width(&j->r);
        if ((err = analyze_join(s, j, prev, prev ? &lscope : &own, &rscope,
                                prev ? aliases[0] : first->name, errbuf, errlen)))
            return err;
        name_side(&j->r, byslot, named, &nnamed);
        char kn[48];
        snprintf(kn, sizeof kn, "KSQL_JOINKEY_%zu", i);
        byslot[at + nr] = (sl_sql_scope_col_t){NULL, sl__sqls_arena_str(a, kn), j->key_type,
                                               (uint32_t)(at + nr)};
        at += nr + 1;
        j->n = at;
    }
    total = at; /* the slots used: pseudo-columns only for the sides that name theirs */
    for (size_t i = 0; i < total; i++) {
        names[i] = byslot[i].name;
        types[i] = byslot[i].type;
        if (!names[i])
            return SL_ERR_NOMEM;
    }
    jplan_t *plan = sl_arena_alloc(a, sizeof *plan);
    if (!plan)
        return SL_ERR_NOMEM;
    *plan = (jplan_t){first, nj, total, nnamed, aliases, qa->ngroup_by != 0, steps, named,
                      names, types};
    *in = (join_input_t){.plan = plan,
                         .scope = {named, nnamed, false},
                         .nslots = steps[nj - 1].n,
                         .types = types,
                         .table = steps[nj - 1].result_table,
                         .window = steps[nj - 1].window};
    return SL_OK;
}

sl_err_t sl__sqls_join_build(sl_sql_session_t *s, const join_input_t *in, sl_kstream_t **stream,
                             sl_ktable_t **table, char *errbuf, size_t errlen)
{
    const jplan_t *pl = in->plan;
    sl_kstream_t *cur = NULL;
    sl_ktable_t *curt = NULL;
    sl_err_t err;
    side_t *l = &pl->steps[0].l;
    if ((err = sl__sqls_source_for(s, pl->first, &l->q, &cur, &curt, errbuf, errlen)))
        return err;
    if (curt && l->nh &&
        (err = sl__sqls_table_headers(s, pl->first, &l->q, l->alias, &curt, errbuf, errlen)))
        return err;
    for (size_t i = 0; i < pl->nj; i++)
        if ((err = build_join(s, &pl->steps[i], i, i + 1 < pl->nj || pl->grouped, pl->names, &cur,
                              &curt, errbuf, errlen)))
            return err;
    *stream = cur, *table = curt;
    return SL_OK;
}

/* ---- PARTITION BY over a join ---------------------------------------------------------------
 * ksqlDB re-keys the joined rows of a stream result by the partitioning
 * expressions (its UserRepartitionNode after the JoinNode): they become the
 * key columns, in PARTITION BY order, each named as the projection item that
 * selects it (A_X for A.X, its alias, KSQL_COL_n); the join's own key
 * columns are then ordinary value columns. */

/* The slot of a column reference in sc, or -1 (not a column, not in sc, or
 * in several sources). */
static int column_slot(const sl_sql_scope_t *sc, const sl_sql_expr_t *e)
{
    if (e->kind != SL_SQL_EXPR_COLUMN)
        return -1;
    int found = -1;
    for (size_t i = 0; i < sc->ncols; i++) {
        const sl_sql_scope_col_t *c = &sc->cols[i];
        if (strcmp(c->name, e->column.name.s) ||
            (e->column.qualifier.s && (!c->source || strcmp(c->source, e->column.qualifier.s))) ||
            (!e->column.qualifier.s && (c->slot & SL_SQL_SLOT_QUALIFIED)))
            continue;
        if (found >= 0)
            return -1;
        found = (int)(c->slot & ~SL_SQL_SLOT_QUALIFIED);
    }
    return found;
}

/* An expression as text (in the arena; NULL when memory runs out). */
static const char *expr_str(sl_arena_t *a, const sl_sql_expr_t *e)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_expr_print(e, &b);
    char *t = sl_arena_alloc(a, b.len + 1);
    if (t) {
        if (b.len)
            memcpy(t, b.data, b.len);
        t[b.len] = 0;
    }
    sl_buf_free(&b);
    return t;
}

int sl__sqls_selects(sl_arena_t *a, const sl_sql_scope_t *all, const sl_sql_expr_t *x,
                     const sl_sql_expr_t *p, const char *pt)
{
    int xs = column_slot(all, x), ps = column_slot(all, p);
    if (xs >= 0 || ps >= 0)
        return xs == ps;
    if (!pt)
        pt = expr_str(a, p);
    const char *xt = expr_str(a, x);
    return xt && pt && !strcmp(xt, pt);
}

/* A table result cannot be re-keyed: ksqlDB's SchemaKTable.selectKey. key:
 * the result's key column. */
static sl_err_t partition_table(const sl_sql_query_t *qa, const sl_sql_scope_t *all,
                                sl_arena_t *a, const char *key, char *errbuf, size_t errlen)
{
    const sl_sql_expr_t *p = qa->partition_by[0];
    char pn[300];
    const char *alias = column_alias(all, p);
    if (p->kind == SL_SQL_EXPR_COLUMN && alias)
        snprintf(pn, sizeof pn, "%s_%s", alias, p->column.name.s);
    else {
        const char *t = expr_str(a, p);
        snprintf(pn, sizeof pn, "%s", t ? t : "");
    }
    sl__sqls_fail(errbuf, errlen,
                  "Cannot repartition a TABLE source. If this is a join, make sure that the "
                  "criteria uses the TABLE's key column %s instead of %s",
                  key, pn);
    return SL_ERR_INVAL;
}

/* The projection of a join's stream result re-keyed by PARTITION BY: q's
 * value columns (out) and key expressions, the result's columns (cols,
 * *ncols; keys last, in PARTITION BY order). */
static sl_err_t partition_project(sl_sql_session_t *s, const sl_sql_query_t *qa, query_t *q,
                                  const sl_sql_scope_t *all, const sl_sql_select_item_t *items,
                                  size_t nitems, size_t cap, const char *target,
                                  sl_sql_datasource_col_t *cols, size_t *ncols,
                                  const sl_sql_cexpr_t **out, char *errbuf, size_t errlen)
{
    sl_arena_t *a = &s->arena;
    size_t npk = qa->npartition_by;
    const sl_sql_cexpr_t **ke = sl_arena_alloc(a, npk * sizeof *ke);
    const sl_sql_type_t **kt = sl_arena_alloc(a, npk * sizeof *kt);
    const char **kname = sl_arena_alloc(a, npk * sizeof *kname);
    const char **ktext = sl_arena_alloc(a, npk * sizeof *ktext);
    if (!ke || !kt || !kname || !ktext)
        return SL_ERR_NOMEM;
    sl_sql_error_t e;
    sl_sql_expr_opts_t op = {.clause = "PARTITION BY", .catalog = s->catalog};
    for (size_t k = 0; k < npk; k++) {
        const sl_sql_expr_t *p = qa->partition_by[k];
        if (sl_sql_expr_compile(p, all, &op, a, &ke[k], &kt[k], &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (!(ktext[k] = expr_str(a, p)))
            return SL_ERR_NOMEM;
        kname[k] = NULL;
    }
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    int anon = 0;
    sl_err_t err;
    *ncols = 0;
    for (size_t i = 0; i < nitems; i++) {
        const sl_sql_select_item_t *it = &items[i];
        const char *name = item_name(a, all, it, &anon);
        if (!name)
            return SL_ERR_NOMEM;
        size_t k = 0;
        while (k < npk && !sl__sqls_selects(a, all, it->expr, qa->partition_by[k], ktext[k]))
            k++;
        if (k < npk) {
            if (kname[k])
                return key_selected_twice(kname[k], kname[k], name, errbuf, errlen);
            kname[k] = name;
            continue;
        }
        const sl_sql_type_t *t;
        if ((err = sl__sqls_compile_value(q, 0, it->expr, all, &os, a, cap, &out[q->nout], &t,
                                          errbuf, errlen)))
            return err;
        q->nout++;
        cols[(*ncols)++] = (sl_sql_datasource_col_t){name, t, SL_SQL_ROLE_VALUE, NULL};
    }
    sl_buf_t miss = SL_BUF_INIT, eg = SL_BUF_INIT;
    int missing = 0;
    for (size_t k = 0; k < npk; k++) {
        missing |= !kname[k];
        const char *sep = k == 0 ? "" : k + 1 == npk ? " and " : ", ";
        sl_buf_append(&miss, sep, strlen(sep));
        sl_buf_append(&miss, ktext[k], strlen(ktext[k]));
        sl_buf_append(&eg, k ? ", " : "", k ? 2 : 0);
        sl_buf_append(&eg, ktext[k], strlen(ktext[k]));
    }
    if (missing)
        sl__sqls_fail(errbuf, errlen,
                      "Key missing from projection (ie, SELECT). The query used to build `%s` "
                      "must include the partitioning expression%s %.*s in its projection (eg, "
                      "SELECT %.*s...).",
                      target, npk > 1 ? "s" : "", (int)miss.len,
                      miss.data ? (const char *)miss.data : "", (int)eg.len,
                      eg.data ? (const char *)eg.data : "");
    sl_buf_free(&miss);
    sl_buf_free(&eg);
    if (missing)
        return SL_ERR_INVAL;
    for (size_t k = 0; k < npk; k++)
        cols[(*ncols)++] = (sl_sql_datasource_col_t){kname[k], kt[k], SL_SQL_ROLE_KEY, NULL};
    for (size_t c = 0; c < *ncols; c++) {
        for (size_t d = c + 1; d < *ncols; d++) {
            if (!strcmp(cols[c].name, cols[d].name)) {
                sl__sqls_fail(errbuf, errlen,
                              "Duplicate column names: %s (use AS to rename one of them)",
                              cols[c].name);
                return SL_ERR_INVAL;
            }
        }
    }
    q->key_exprs = ke;
    q->nkey_out = npk;
    return SL_OK;
}

/* The key format of a result re-keyed by PARTITION BY (npk columns): the
 * FROM source's, as ksqlDB's sink takes it, but KAFKA for one column when it
 * is NONE and JSON for several when it is NONE or KAFKA (as a single source's
 * PARTITION BY). */
static sl_sql_format_t partition_key_format(sl_sql_format_t f, size_t npk)
{
    if (f.kind == SL_SQL_FORMAT_NONE || (f.kind == SL_SQL_FORMAT_KAFKA && npk > 1))
        f = (sl_sql_format_t){.kind = npk > 1 ? SL_SQL_FORMAT_JSON : SL_SQL_FORMAT_KAFKA};
    f.is_key = 1;
    return f;
}

/* A projection item's name must not be taken by the columns before it. */
static sl_err_t unique_name(const sl_sql_datasource_col_t *cols, size_t ncols,
                            const sl_sql_select_item_t *it, const char *name, char *errbuf,
                            size_t errlen)
{
    for (size_t c = 0; c < ncols; c++) {
        if (!strcmp(cols[c].name, name)) {
            sl__sqls_fail(errbuf, errlen,
                          "line %u:%u: Duplicate column names: %s (use AS to rename one of them)",
                          it->pos.line, it->pos.col, name);
            return SL_ERR_INVAL;
        }
    }
    return SL_OK;
}

/* The key of a foreign-key join's result over a left table of several key
 * columns (j->mkey): the projection must select each (a push query keeps
 * the others, hidden, last). cols holds a place (role KEY, no type) where
 * the projection selected one; the places take the key columns in the left
 * table's key order — the order of the key the join passes on — so a
 * projection that selects them in another order gets them in that one.
 * mk_name, mk_type, ke: what the projection gave each (NULL names: not
 * selected). */
static sl_err_t multi_key(sl_sql_session_t *s, const jquery_t *j, const sl_sql_scope_t *all,
                          const char **mk_name, const sl_sql_type_t **mk_type,
                          const sl_sql_cexpr_t **ke, sl_sql_datasource_col_t *cols, size_t *ncols,
                          char *errbuf, size_t errlen)
{
    sl_arena_t *a = &s->arena;
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    sl_buf_t miss = SL_BUF_INIT;
    size_t nmiss = 0;
    int selected[MAX_KEYCOLS];
    for (size_t m = 0; m < j->nmkey; m++) {
        const keycol_t *k = &j->mkey[m];
        if ((selected[m] = mk_name[m] != NULL))
            continue;
        if (!s->transient) {
            sl_buf_append(&miss, nmiss ? ", `" : "`", nmiss ? 3 : 1);
            sl_buf_append(&miss, k->name, strlen(k->name));
            sl_buf_append(&miss, "`", 1);
            nmiss++;
            continue;
        }
        sl_sql_expr_t ref = {.kind = SL_SQL_EXPR_COLUMN, .height = 1};
        ref.column.qualifier.s = k->alias;
        ref.column.name.s = k->name;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(&ref, all, &os, a, &ke[m], &mk_type[m], &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char hn[300];
        snprintf(hn, sizeof hn, SL_SQL_HIDDEN_PREFIX "%s", k->name);
        if (!(mk_name[m] = sl__sqls_arena_str(a, hn)))
            return SL_ERR_NOMEM;
    }
    if (nmiss) {
        sl__sqls_fail(errbuf, errlen,
                      "Primary key column%s missing in projection. For foreign-key table-table "
                      "joins, the projection must include all primary key columns from the left "
                      "input table (`%s`). Missing column%s: %.*s.",
                      nmiss > 1 ? "s" : "", j->mkey[0].alias, nmiss > 1 ? "s" : "",
                      (int)miss.len, miss.data ? (const char *)miss.data : "");
        sl_buf_free(&miss);
        return SL_ERR_INVAL;
    }
    /* Each place takes the next selected column in key order, after the
     * hidden ones before it in key order; hidden ones left over go last. */
    size_t n = *ncols, m = 0, nc = 0;
    sl_sql_datasource_col_t *was = sl_arena_alloc(a, (n ? n : 1) * sizeof *was);
    if (!was)
        return SL_ERR_NOMEM;
    memcpy(was, cols, n * sizeof *was);
    for (size_t c = 0; c <= n; c++) {
        if (c < n && was[c].role != SL_SQL_ROLE_KEY) {
            cols[nc++] = was[c];
            continue;
        }
        for (; m < j->nmkey && (c == n || !selected[m]); m++)
            cols[nc++] = (sl_sql_datasource_col_t){mk_name[m], mk_type[m], SL_SQL_ROLE_KEY, NULL};
        if (c < n && m < j->nmkey) {
            cols[nc++] = (sl_sql_datasource_col_t){mk_name[m], mk_type[m], SL_SQL_ROLE_KEY, NULL};
            m++;
        }
    }
    *ncols = nc;
    return SL_OK;
}

sl_err_t sl__sqls_compile_join(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                               const sl_sql_datasource_t *first, const sl_sql_query_t *qa,
                               char *errbuf, size_t errlen)
{
    int insert = stmt->kind == SL_SQL_STMT_INSERT_SELECT;
    sl_arena_t *a = &s->arena;
    join_input_t in;
    sl_err_t err;
    if ((err = sl__sqls_join_input(s, first, qa, &in, errbuf, errlen)))
        return err;
    const jplan_t *pl = in.plan;
    size_t nj = pl->nj, nnamed = pl->nnamed, nsrc = nj + 1;
    const char *const *aliases = pl->aliases;
    const char *id = s->query_id;
    jquery_t *steps = pl->steps;
    sl_sql_scope_col_t *named = pl->named;
    jquery_t *j = &steps[nj - 1];
    const sl_sql_join_t *jn = j->jn;
    const sl_sql_type_t *lt = j->key_type;
    int stream_result = !j->result_table;
    if (stmt->kind == SL_SQL_STMT_CREATE_AS && stmt->create.table == stream_result) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid result type. Your SELECT query produces a %s. Please use CREATE "
                      "%s AS SELECT statement instead.",
                      stream_result ? "STREAM" : "TABLE", stream_result ? "STREAM" : "TABLE");
        return SL_ERR_INVAL;
    }

    /* ---- the key of the result: the last join's ---- */
    keycol_t viable[MAX_KEYCOLS];
    size_t nviable = 0;
    if (j->kind == JK_FK) {
        for (size_t i = 0; i < j->nsure; i++)
            viable[nviable++] = j->sure[i]; /* the left table's key */
    } else if (jn->kind != SL_SQL_JOIN_FULL) {
        if (j->l.on->kind == SL_SQL_EXPR_COLUMN && j->l.on_alias)
            add_keycol(viable, &nviable, j->l.on_alias, j->l.on->column.name.s);
        if (j->r.on->kind == SL_SQL_EXPR_COLUMN)
            add_keycol(viable, &nviable, j->r.alias, j->r.on->column.name.s);
    }
    /* A foreign-key join on a left table of several key columns: keyed by
     * them all (nmk), each selected once. */
    size_t nmk = j->kind == JK_FK ? j->nmkey : 0;
    const char *synth_name = NULL;
    char synth_buf[32] = "ROWKEY";
    if (!nviable && !nmk) {
        for (int k = 0;; k++) {
            if (k)
                snprintf(synth_buf, sizeof synth_buf, "ROWKEY_%d", k);
            size_t i = 0;
            while (i < nnamed && strcmp(named[i].name, synth_buf))
                i++;
            if (i == nnamed)
                break;
        }
        synth_name = sl__sqls_arena_str(a, synth_buf);
        j->synth = 1;
        named[nnamed] = (sl_sql_scope_col_t){NULL, synth_name, lt, (uint32_t)(j->n - 1)};
    }
    /* The last slot holds the join key: the synthetic key, or what a join
     * column selected as the key reads (the key even where its side is
     * missing). */
    sl_sql_scope_t all = {named, nnamed + (j->synth ? 1 : 0), j->window != 0};
    size_t npk = qa->npartition_by;
    if (npk && !stream_result) {
        char kn[300];
        const keycol_t *k0 = nviable ? &viable[0] : nmk ? &j->mkey[0] : NULL;
        snprintf(kn, sizeof kn, "%s%s%s", k0 ? k0->alias : "", k0 ? "_" : "",
                 k0 ? k0->name : synth_name);
        return partition_table(qa, &all, a, kn, errbuf, errlen);
    }
    sl_sql_scope_col_t keycol = {NULL, "ROWKEY", lt, (uint32_t)(j->n - 1)};
    sl_sql_scope_t keyscope = {&keycol, 1, false};
    sl_sql_expr_t keyref = {.kind = SL_SQL_EXPR_COLUMN, .height = 1};
    keyref.column.name.s = "ROWKEY";

    /* ---- WHERE and the projection over the combined row ---- */
    query_t *q = &j->q;
    q->id = id;
    q->nkey = 0, q->nvalue = j->n, q->ts_slot = -1;
    q->window = j->window; /* WINDOWSTART, WINDOWEND: the join key's window */
    sl_sql_error_t e;
    if (qa->where) {
        sl_sql_expr_opts_t ow = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &all, &ow, a, &q->where, &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (t->base != SL_SQL_BOOLEAN) {
            sl__sqls_where_not_boolean(qa->where, t, errbuf, errlen);
            return SL_ERR_INVAL;
        }
    }
    /* Expand the stars into column references first. */
    size_t cap = qa->nitems + j->n + 1;
    sl_sql_select_item_t *items = sl_arena_alloc(a, cap * sizeof *items);
    sl_sql_expr_t *refs = sl_arena_alloc(a, cap * sizeof *refs);
    const sl_sql_cexpr_t **out = sl_arena_alloc(a, cap * sizeof *out);
    const sl_sql_cexpr_t **ke = sl_arena_alloc(a, (nmk ? nmk : 1) * sizeof *ke);
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, cap * sizeof *cols);
    const char *mk_name[MAX_KEYCOLS] = {0}; /* the names the projection gives nmk's columns */
    const sl_sql_type_t *mk_type[MAX_KEYCOLS] = {0};
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
        size_t known = 0;
        for (size_t k = 0; only && k < nsrc; k++)
            known += !strcmp(only, aliases[k]);
        if (only && !known) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: Source '%s' not found.", it->pos.line,
                          it->pos.col, only);
            return SL_ERR_INVAL;
        }
        /* ksqlDB lists the synthetic key first; A.* has only A's columns. */
        for (size_t c0 = 0; c0 < all.ncols; c0++) {
            size_t c = j->synth ? (c0 + all.ncols - 1) % all.ncols : c0;
            if ((only ? !named[c].source || strcmp(named[c].source, only) : 0) ||
                (named[c].slot & SL_SQL_SLOT_QUALIFIED))
                continue;
            sl_sql_expr_t *ref = &refs[nitems];
            *ref = (sl_sql_expr_t){.kind = SL_SQL_EXPR_COLUMN, .pos = it->pos, .height = 1};
            ref->column.qualifier.s = named[c].source;
            ref->column.name.s = named[c].name;
            items[nitems] = (sl_sql_select_item_t){.kind = SL_SQL_SELECT_EXPR,
                                                   .pos = it->pos, .expr = ref};
            if (named[c].source) { /* a star always gives A_X, clashing or not */
                char nm[300];
                snprintf(nm, sizeof nm, "%s_%s", named[c].source, named[c].name);
                if (!(items[nitems].alias.s = sl__sqls_arena_str(a, nm)))
                    return SL_ERR_NOMEM;
            }
            nitems++;
        }
    }
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = s->catalog};
    size_t ncols = 0;
    int anon = 0;
    const keycol_t *key_is = NULL; /* the viable key selected */
    int have_key = 0;
    const char *key_name = NULL;
    const char *target_name = insert ? stmt->insert.target.s : stmt->create.name.s;
    if (npk && (err = partition_project(s, qa, q, &all, items, nitems, cap, target_name, cols,
                                        &ncols, out, errbuf, errlen)))
        return err;
    for (size_t i = 0; !npk && i < nitems; i++) {
        const sl_sql_select_item_t *it = &items[i];
        const sl_sql_expr_t *x = it->expr;
        const char *name = item_name(a, &all, it, &anon);
        if (!name)
            return SL_ERR_NOMEM;
        /* One of several key columns: it takes its place in the key. */
        size_t mk = 0;
        while (mk < nmk && !names_keycol(x, &j->mkey[mk], named, nnamed))
            mk++;
        if (mk < nmk) {
            char kn[300];
            snprintf(kn, sizeof kn, "%s_%s", j->mkey[mk].alias, j->mkey[mk].name);
            if (mk_name[mk])
                return key_selected_twice(kn, mk_name[mk], name, errbuf, errlen);
            if (sl_sql_expr_compile(x, &all, &os, a, &ke[mk], &mk_type[mk], &e)) {
                sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
                return SL_ERR_INVAL;
            }
            if ((err = unique_name(cols, ncols, it, name, errbuf, errlen)))
                return err;
            mk_name[mk] = name;
            /* Its place; multi_key fills the places in the key's order. */
            cols[ncols++] = (sl_sql_datasource_col_t){name, NULL, SL_SQL_ROLE_KEY, NULL};
            continue;
        }
        /* Is it the key: a viable join column, or the synthetic key? */
        const keycol_t *is = NULL;
        int is_synth = 0;
        for (size_t v = 0; v < nviable && !is; v++)
            if (names_keycol(x, &viable[v], named, nnamed))
                is = &viable[v];
        if (j->synth && x->kind == SL_SQL_EXPR_COLUMN && !x->column.qualifier.s &&
            !strcmp(x->column.name.s, synth_name))
            is_synth = 1;
        if ((is || is_synth) && have_key && (is_synth || is == key_is)) {
            char kn[300]; /* a foreign-key join's: the left table's A_X, as ksqlDB's */
            if (is_synth)
                snprintf(kn, sizeof kn, "%s", synth_name);
            else if (j->kind == JK_FK)
                snprintf(kn, sizeof kn, "%s_%s", is->alias, is->name);
            else
                snprintf(kn, sizeof kn, "%s", key_name);
            return key_selected_twice(kn, key_name, name, errbuf, errlen);
        }
        int as_key = (is || is_synth) && !have_key;
        const sl_sql_type_t *t;
        if (!as_key && (err = sl__sqls_compile_value(q, !stream_result, x, &all, &os, a, cap,
                                                     &out[q->nout], &t, errbuf, errlen)))
            return err;
        if (as_key && (sl_sql_expr_compile(x, &all, &os, a, &ke[0], &t, &e) ||
                       (j->kind != JK_FK &&
                        sl_sql_expr_compile(&keyref, &keyscope, &os, a, &ke[0], &t, &e)))) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if ((err = unique_name(cols, ncols, it, name, errbuf, errlen)))
            return err;
        if (as_key)
            have_key = 1, key_is = is, key_name = name;
        else
            q->nout++;
        cols[ncols++] = (sl_sql_datasource_col_t){name, t,
                                                  as_key ? SL_SQL_ROLE_KEY : SL_SQL_ROLE_VALUE,
                                                  NULL};
    }
    if (!npk && nmk &&
        (err = multi_key(s, j, &all, mk_name, mk_type, ke, cols, &ncols, errbuf, errlen)))
        return err;
    if (!npk && !have_key && s->transient && (j->synth || nviable)) {
        /* A push query need not select the join's key: kept, hidden. */
        sl_sql_expr_t *ref = sl_arena_alloc(a, sizeof *ref);
        if (!ref)
            return SL_ERR_NOMEM;
        *ref = (sl_sql_expr_t){.kind = SL_SQL_EXPR_COLUMN, .pos = qa->pos, .height = 1};
        if (j->synth) {
            ref->column.name.s = synth_name;
        } else {
            ref->column.qualifier.s = viable[0].alias;
            ref->column.name.s = viable[0].name;
        }
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(ref, &all, &os, a, &ke[0], &t, &e) ||
            (j->kind != JK_FK && sl_sql_expr_compile(&keyref, &keyscope, &os, a, &ke[0], &t, &e))) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char hn[300];
        snprintf(hn, sizeof hn, SL_SQL_HIDDEN_PREFIX "%s", ref->column.name.s);
        const char *hname = sl__sqls_arena_str(a, hn);
        if (!hname)
            return SL_ERR_NOMEM;
        cols[ncols++] = (sl_sql_datasource_col_t){hname, t, SL_SQL_ROLE_KEY, NULL};
        have_key = 1;
    }
    if (!npk && !nmk && !have_key) {
        if (j->kind == JK_FK && nviable) {
            sl__sqls_fail(errbuf, errlen,
                          "Primary key column missing in projection. For foreign-key "
                          "table-table joins, the projection must include all primary key "
                          "columns from the left input table (`%s`). Missing column: `%s`.",
                          viable[0].alias, viable[0].name);
        } else if (j->synth) {
            sl__sqls_fail(errbuf, errlen,
                          "Key missing from projection (ie, SELECT). The query used to build "
                          "`%s` must include the join expression %s in its projection (eg, "
                          "SELECT %s...). %s was added as a synthetic key column because the "
                          "join criteria did not match any source column. This expression must "
                          "be included in the projection and may be aliased.",
                          target_name, synth_name, synth_name, synth_name);
        } else {
            sl_buf_t vb = SL_BUF_INIT;
            for (size_t v = 0; v < nviable; v++) {
                char one[300];
                int k = snprintf(one, sizeof one, "%s%s.%s",
                                 v == 0 ? "" : v + 1 == nviable ? " or " : ", ",
                                 viable[v].alias, viable[v].name);
                sl_buf_append(&vb, one, k > 0 ? (size_t)k : 0);
            }
            sl__sqls_fail(errbuf, errlen,
                          "Key missing from projection (ie, SELECT). The query used to build "
                          "`%s` must include the join expression%s %.*s in its projection "
                          "(eg, SELECT %s.%s...).",
                          target_name, nviable > 1 ? "s" : "", (int)vb.len,
                          vb.data ? (const char *)vb.data : "", viable[0].alias, viable[0].name);
            sl_buf_free(&vb);
        }
        return SL_ERR_INVAL;
    }
    q->out = out;
    if (!npk)
        q->key_exprs = ke, q->nkey_out = nmk ? nmk : 1;

    /* ---- the result ---- */
    const sl_sql_datasource_t *target;
    restamp_t *restamp = NULL;
    char m[512];
    if (insert) {
        if ((err = sl__sqls_insert_target(s, stmt, !stream_result, cols, ncols, q->nout,
                                          q->nkey_out, &target, errbuf, errlen)) ||
            (err = sl__sqls_insert_windows(target, j->window, j->window_size, errbuf, errlen)))
            return err;
    } else {
        sl_sql_datasource_t made = {0};
        char b1[64];
        const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
        made.name = target_name;
        made.table = !stream_result;
        made.cols = cols;
        made.ncols = ncols;
        made.topic = topic ? topic : target_name;
        made.partitions = first->partitions;
        made.key_format = npk ? partition_key_format(first->key_format, npk) : j->jkf;
        made.value_format = first->value_format;
        made.window = j->window; /* the rows keep their windows */
        made.window_size = j->window_size;
        made.window_hopping = first->window_hopping;
        if (sl__sqls_sink_formats(stmt, &made.key_format, &made.value_format, errbuf, errlen))
            return SL_ERR_INVAL;
        if ((err = sl__sqls_sink_timestamp(s, stmt, &made, &restamp, errbuf, errlen)))
            return err;
        if ((err = sl__sqls_add_target(s, stmt, &made, &target, errbuf, errlen)) || !target)
            return err; /* !target: IF NOT EXISTS, and it exists */
    }

    /* ---- the topology ---- */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs;
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    if (target->window && !(ks = windowed_serde(a, ks, target->window, target->window_size)))
        return SL_ERR_NOMEM;
    sl_kstream_t *cur;
    sl_ktable_t *curt;
    if ((err = sl__sqls_join_build(s, &in, &cur, &curt, errbuf, errlen)))
        return err;
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    if (stream_result) {
        if (q->where)
            cur = sl_kstream_filter(cur, sl__sqls_where_pass, q);
        cur = q->tf ? sl_kstream_flat_map(cur, sl__sqls_stream_project_tf, q)
                    : sl_kstream_map(cur, j->window ? sl__sqls_stream_project_in_window : sl__sqls_stream_project, q);
        sl_kstream_to(sl__sqls_restamp(cur, restamp), target->topic, &p);
    } else {
        if (q->where)
            curt = sl_ktable_filter(curt, sl__sqls_where_pass, q, NULL);
        sl_materialized_t rm;
        curt = sl_ktable_map_values(curt, sl__sqls_table_project, q,
                                    sl__sqls_result_store(s, &rm, ks, vs));
        sl_kstream_to(sl__sqls_restamp(sl_ktable_to_stream(curt), restamp), target->topic, &p);
    }
    return sl__sqls_query_built(s, errbuf, errlen);
}
