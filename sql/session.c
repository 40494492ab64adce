/* session.c — compiling persistent queries into a topology through the
 * engine's public API: a source per topic (rows through SQL serdes), a filter
 * for WHERE, a map for the projection, a sink to the target's topic. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/trace.h"
#include "sql/expr.h"
#include "sql/func.h"
#include "sql/sql_parse.h"
#include "sql/session_int.h"

void sl__sqls_fail(char *errbuf, size_t errlen, const char *fmt, ...)
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
    s->collect_list_limit = s->collect_set_limit = -1;
    s->topo = sl_topology_new();
    if (!s->topo) {
        free(s);
        return NULL;
    }
    return s;
}

/* The ksqlDB properties the compiler reads, and where each one's value goes. */
static const struct {
    const char *key;
    size_t at; /* an int64_t in sl_sql_session_t */
} session_props[] = {
    {"ksql.functions.collect_list.limit", offsetof(sl_sql_session_t, collect_list_limit)},
    {"ksql.functions.collect_set.limit", offsetof(sl_sql_session_t, collect_set_limit)},
};

static int session_prop(const char *key)
{
    for (size_t i = 0; key && i < sizeof session_props / sizeof *session_props; i++)
        if (!strcasecmp(key, session_props[i].key))
            return (int)i;
    return -1;
}

int sl_sql_session_is_property(const char *key) { return session_prop(key) >= 0; }

sl_err_t sl_sql_session_set_property(sl_sql_session_t *s, const char *key, const char *value,
                                     char *errbuf, size_t errlen)
{
    if (s && !key && !value) {
        for (size_t j = 0; j < sizeof session_props / sizeof *session_props; j++)
            *(int64_t *)((char *)s + session_props[j].at) = -1;
        return SL_OK;
    }
    int i = session_prop(key);
    if (!s || i < 0) {
        sl__sqls_fail(errbuf, errlen, "'%s' is not a property of the SQL compiler",
                      key ? key : "");
        return SL_ERR_INVAL;
    }
    int64_t *at = (int64_t *)((char *)s + session_props[i].at);
    if (!value) {
        *at = -1;
        return SL_OK;
    }
    /* An int, as ksqlDB's Integer.parseInt reads it; a negative one is no
     * limit (ksqlDB's Integer.MAX_VALUE). */
    const char *p = value;
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    while (end != p && *end == ' ')
        end++;
    if (end == p || *end || errno || v < INT32_MIN || v > INT32_MAX) {
        sl__sqls_fail(errbuf, errlen,
                      "Invalid value '%s' for property '%s': it must be an INT (a negative one "
                      "means no limit)",
                      value, key);
        return SL_ERR_INVAL;
    }
    *at = v < 0 ? -1 : v;
    return SL_OK;
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
    free(s->queries);
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
int sl_sql_session_queries(const sl_sql_session_t *s) { return s->topo_queries; }

sl_topology_t *sl_sql_session_take_topology(sl_sql_session_t *s)
{
    sl_topology_t *t = s->topo, *fresh = sl_topology_new();
    if (!fresh)
        return NULL;
    s->topo = fresh;
    for (size_t i = 0; i < s->nsources; i++)
        free(s->sources[i].topic);
    s->nsources = 0; /* the sources were the old topology's */
    s->topo_queries = 0;
    s->topo_gen++;
    return t;
}

const char *sl_sql_session_last_query(const sl_sql_session_t *s)
{
    if (s->last_upgraded)
        return s->query_id; /* the upgraded query's, kept */
    return s->nqueries_rec ? s->queries[s->nqueries_rec - 1].id : NULL;
}

int sl_sql_session_forget_query(sl_sql_session_t *s, const char *id)
{
    for (size_t i = 0; i < s->nqueries_rec; i++) {
        if (strcmp(s->queries[i].id, id))
            continue;
        memmove(&s->queries[i], &s->queries[i + 1],
                (s->nqueries_rec - i - 1) * sizeof *s->queries);
        s->nqueries_rec--;
        return 0;
    }
    return -1;
}

void sl_sql_session_foreach_query(const sl_sql_session_t *s,
                                  void (*fn)(void *arg, const char *id, const char *sink,
                                             const char *const *sources, size_t nsources),
                                  void *arg)
{
    for (size_t i = 0; i < s->nqueries_rec; i++)
        fn(arg, s->queries[i].id, s->queries[i].sink, s->queries[i].sources,
           s->queries[i].nsources);
}

void sl_sql_session_set_query_seq(sl_sql_session_t *s, int n) { s->nqueries = n; }

void sl_sql_session_set_transient(sl_sql_session_t *s, int on) { s->transient = on; }

void sl_sql_session_set_materialize(sl_sql_session_t *s, int on) { s->materialize = on; }

void sl_sql_session_pull_store(const char *query_id, char *buf, size_t len)
{
    char nm[65];
    size_t n = 0;
    for (const char *c = query_id; *c && n < 64; c++)
        nm[n++] = isalnum((unsigned char)*c) || *c == '.' || *c == '-' ? *c : '_';
    nm[n] = 0;
    snprintf(buf, len, "%s-PULL-STORE", nm);
}

const sl_materialized_t *sl__sqls_result_store(sl_sql_session_t *s, sl_materialized_t *m,
                                               const sl_serde_t *ks, const sl_serde_t *vs)
{
    if (!s->materialize)
        return NULL;
    char name[128];
    sl_sql_session_pull_store(s->query_id, name, sizeof name);
    *m = (sl_materialized_t){.store_name = sl__sqls_arena_str(&s->arena, name),
                             .key_serde = ks,
                             .value_serde = vs};
    return m->store_name ? m : NULL;
}

/* ---- the per-record work ---------------------------------------------------------------------- */

/* The source row as one slot vector: key columns, then value columns. */
/* The record's headers as the source's header columns: HEADER('k') is the
 * last header named k (BYTES, NULL when absent); HEADERS all of them, as
 * ARRAY<STRUCT<KEY STRING, VALUE BYTES>>; and a join side's ROWTIME,
 * ROWPARTITION, ROWOFFSET (SL_SQL_ROLE_PSEUDO) from the record itself. */
static int header_slots(sl_ctx_t *ctx, const query_t *q, sl_sql_value_t *out)
{
    const sl_header_t *h;
    size_t nh = sl_ctx_headers(ctx, &h);
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    for (size_t i = 0; i < q->nheader; i++) {
        const sl_sql_datasource_col_t *c = &q->hcols[i];
        out[i] = sl_sql_value_null(c->type);
        if (c->role == SL_SQL_ROLE_PSEUDO) { /* a join side's own, read at its record */
            out[i] = !strcmp(c->name, "ROWPARTITION") ? sl_sql_value_int(sl_ctx_partition(ctx))
                     : !strcmp(c->name, "ROWOFFSET")  ? sl_sql_value_bigint(sl_ctx_offset(ctx))
                                                      : sl_sql_value_bigint(sl_ctx_timestamp(ctx));
            continue;
        }
        if (c->role == SL_SQL_ROLE_HEADER) {
            for (size_t k = nh; k-- > 0;) {
                if (strcmp(h[k].key, c->header_key))
                    continue;
                if (!h[k].value_null &&
                    sl_sql_value_bytes_dup(&al, h[k].value.data ? h[k].value.data
                                                                : (const uint8_t *)"",
                                           h[k].value.len, &out[i]))
                    return -1;
                break;
            }
            continue;
        }
        if (sl_sql_value_container(&al, c->type, nh, &out[i]))
            return -1;
        const sl_sql_type_t *st = c->type->item;
        for (size_t k = 0; k < nh; k++) {
            sl_sql_value_t *e = &out[i].u.items[k];
            if (sl_sql_value_container(&al, st, st->nfields, e) ||
                sl_sql_value_string_dup(&al, h[k].key, strlen(h[k].key), &e->u.items[0]))
                return -1;
            if (!h[k].value_null &&
                sl_sql_value_bytes_dup(&al, h[k].value.data ? h[k].value.data
                                                            : (const uint8_t *)"",
                                       h[k].value.len, &e->u.items[1]))
                return -1;
        }
    }
    return 0;
}

sl_sql_value_t *sl__sqls_slots(sl_ctx_t *ctx, const query_t *q, const sl_sql_row_t *key,
                             const sl_sql_row_t *value)
{
    size_t n = q->nkey + q->nvalue + q->nheader;
    sl_sql_value_t *row = sl_ctx_alloc(ctx, (n ? n : 1) * sizeof *row);
    if (!row)
        return NULL;
    for (size_t i = 0; i < q->nkey; i++)
        row[i] = key && i < key->n ? key->values[i] : (sl_sql_value_t){.is_null = 1};
    for (size_t i = 0; i < q->nvalue; i++)
        row[q->nkey + i] =
            value && i < value->n ? value->values[i] : (sl_sql_value_t){.is_null = 1};
    if (q->nheader && header_slots(ctx, q, row + q->nkey + q->nvalue))
        return NULL;
    return row;
}

void sl__sqls_pseudo_of(sl_ctx_t *ctx, sl_sql_value_t *p)
{
    memset(p, 0, SL_SQL_PSEUDO_COUNT * sizeof *p);
    p[SL_SQL_PSEUDO_ROWTIME] = sl_sql_value_bigint(sl_ctx_timestamp(ctx));
    p[SL_SQL_PSEUDO_ROWPARTITION] = sl_sql_value_int(sl_ctx_partition(ctx));
    p[SL_SQL_PSEUDO_ROWOFFSET] = sl_sql_value_bigint(sl_ctx_offset(ctx));
    for (int i = SL_SQL_PSEUDO_WINDOWSTART; i < SL_SQL_PSEUDO_COUNT; i++) {
        p[i].base = SL_SQL_BIGINT; /* a record of a windowed source without a key: NULL */
        p[i].is_null = 1;
    }
}

const void *sl__sqls_window_key(const query_t *q, const void *key, sl_sql_value_t *p)
{
    if (!q->window || !key)
        return key;
    const sl_windowed_t *w = key;
    p[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_value_bigint(w->start);
    p[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_value_bigint(w->end);
    return w->key;
}

/* A run-time failure: the column is NULL; the reason goes to the log
 * (ksqlDB's processing log: a stream of its own is not there yet). */
void sl__sqls_log_failure(const query_t *q, sl_ctx_t *ctx, const char *what, const char *msg)
{
    /* ksqlDB: the column is NULL and the processing log gets an entry. */
    sl_ctx_log_error(ctx, "%s: %s: %s", q->id, what, msg);
}

/* The reason behind a SQL serde's last SL_ERR_SERDE, for the processing log. */
static const char *serde_error(const sl_serde_t *serde)
{
    (void)serde;
    return sl_sql_serde_last_error();
}

/* A source's serde, made in the session's arena, tells the engine why a
 * record did not read. (The serde is the head of the format's own state, so
 * it is marked in place rather than copied.) */
static const sl_serde_t *with_error(const sl_serde_t *sd)
{
    ((sl_serde_t *)sd)->error = serde_error;
    return sd;
}

int sl__sqls_where_pass(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const query_t *q = arg;
    if (!value)
        return 0; /* a stream's null value: nothing to select from */
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    key = sl__sqls_window_key(q, key, pseudo);
    sl_sql_value_t *row = sl__sqls_slots(ctx, q, key, value);
    if (!row)
        return 0;
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    sl_sql_tristate_t r;
    if (sl_sql_expr_predicate(q->where, row, pseudo, &fc, &r) != SL_OK)
        sl__sqls_log_failure(q, ctx, "WHERE", msg);
    return r == SL_SQL_TRUE;
}

/* The target's key and value rows. */
static sl_err_t sl__sqls_project(const query_t *q, sl_ctx_t *ctx, const void *key, const void *value,
                        const sl_sql_row_t **okey, const sl_sql_row_t **ovalue)
{
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    key = sl__sqls_window_key(q, key, pseudo);
    sl_sql_value_t *row = sl__sqls_slots(ctx, q, key, value);
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k), *v = sl_ctx_alloc(ctx, sizeof *v);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, (q->nkey_out ? q->nkey_out : 1) * sizeof *kv);
    sl_sql_value_t *vv = sl_ctx_alloc(ctx, (q->nout ? q->nout : 1) * sizeof *vv);
    if (!row || !k || !v || !kv || !vv)
        return SL_ERR_NOMEM;
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    char msg[256];
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    for (size_t i = 0; i < q->nout; i++) {
        msg[0] = 0;
        if (sl_sql_expr_eval(q->out[i], row, pseudo, &fc, &vv[i]) != SL_OK)
            sl__sqls_log_failure(q, ctx, "SELECT", msg);
    }
    for (size_t i = 0; i < q->nkey_out; i++) {
        if (!q->key_exprs) {
            kv[i] = row[q->key_from[i]];
            continue;
        }
        msg[0] = 0;
        if (sl_sql_expr_eval(q->key_exprs[i], row, pseudo, &fc, &kv[i]) != SL_OK)
            sl__sqls_log_failure(q, ctx, "PARTITION BY", msg);
    }
    *k = (sl_sql_row_t){q->nkey_out, kv};
    *v = (sl_sql_row_t){q->nout, vv};
    /* A single NULL key column is Kafka's null key (ksqlDB's rule), not an
     * empty one. */
    *okey = q->nkey_out && !(q->nkey_out == 1 && kv[0].is_null) ? k : NULL;
    *ovalue = v;
    return SL_OK;
}

void sl__sqls_stream_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                           const void **out_key, const void **out_value)
{
    const sl_sql_row_t *k, *v;
    if (sl__sqls_project(arg, ctx, key, value, &k, &v)) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    *out_key = k, *out_value = value ? v : NULL; /* a null value stays null, as in ksqlDB */
}

/* The new key of a record whose key is in a window (a windowed source, or
 * a join of them): in the same window. NULL when memory runs out. */
static const void *in_window(sl_ctx_t *ctx, const void *key, const void *out_key)
{
    const sl_windowed_t *w = key;
    sl_windowed_t *nw = sl_ctx_alloc(ctx, sizeof *nw);
    if (nw)
        *nw = (sl_windowed_t){out_key, w->start, w->end};
    else
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
    return nw;
}

void sl__sqls_stream_project_in_window(void *arg, sl_ctx_t *ctx, const void *key,
                                       const void *value, const void **out_key,
                                       const void **out_value)
{
    sl__sqls_stream_project(arg, ctx, key, value, out_key, out_value);
    if (key && *out_key)
        *out_key = in_window(ctx, key, *out_key);
}

const void *sl__sqls_table_project(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const sl_sql_row_t *k, *v;
    if (sl__sqls_project(arg, ctx, key, value, &k, &v)) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return v;
}

/* CUBE_EXPLODE of n elements: at most 2^SQLS_CUBE_MAX rows per record. */
#define SQLS_CUBE_MAX 20

/* The r-th of CUBE_EXPLODE's combinations of a (n elements), in ksqlDB's
 * order: masks 0 .. 2^n - 1 ascending, bit n-1-c keeping element c; a mask
 * keeping a NULL element is left out (it equals the one without it). So the
 * r-th mask is r's bits deposited, lowest first, on the bits of the non-NULL
 * elements. */
static sl_err_t cube_row(const sl_sql_alloc_t *al, const sl_sql_type_t *t,
                         const sl_sql_value_t *a, size_t r, sl_sql_value_t *out)
{
    size_t n = a->len;
    uint32_t mask = 0;
    for (size_t bit = 0; bit < n && r; bit++) {
        if (a->u.items[n - 1 - bit].is_null)
            continue;
        if (r & 1)
            mask |= 1u << bit;
        r >>= 1;
    }
    sl_err_t err = sl_sql_value_container(al, t, n, out);
    if (err)
        return err;
    for (size_t c = 0; c < n; c++)
        if (mask & (1u << (n - 1 - c)))
            out->u.items[c] = a->u.items[c];
    return SL_OK;
}

/* How many rows CUBE_EXPLODE gives for a (at most SQLS_CUBE_MAX elements). */
static size_t cube_rows(const sl_sql_value_t *a)
{
    size_t n = 1;
    for (size_t c = 0; c < a->len; c++)
        n <<= !a->u.items[c].is_null;
    return n;
}

void sl__sqls_stream_project_tf(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const query_t *q = arg;
    const sl_sql_row_t *k, *v;
    if (sl__sqls_project(q, ctx, key, value, &k, &v)) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    /* v: the scalar columns' values and the table functions' arguments. */
    size_t rows = 0;
    for (size_t i = 0; i < q->nout; i++) {
        const sl_sql_value_t *a = &v->values[i];
        if (!q->tf[i] || a->is_null)
            continue;
        size_t n = a->len;
        if (q->tf[i] == SQLS_TF_CUBE_EXPLODE) {
            if (a->len > SQLS_CUBE_MAX) {
                sl__sqls_log_failure(q, ctx, "CUBE_EXPLODE",
                                     "more than 20 elements: no rows for this record");
                continue;
            }
            n = cube_rows(a);
        }
        if (n > rows)
            rows = n;
    }
    const void *okey = k;
    if (q->window && key && k && !(okey = in_window(ctx, key, k)))
        return;
    sl_sql_alloc_t al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    for (size_t r = 0; r < rows; r++) {
        sl_sql_row_t *row = sl_ctx_alloc(ctx, sizeof *row);
        sl_sql_value_t *vals = sl_ctx_alloc(ctx, q->nout * sizeof *vals);
        if (!row || !vals) {
            sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
            return;
        }
        for (size_t i = 0; i < q->nout; i++) {
            const sl_sql_value_t *a = &v->values[i];
            vals[i] = *a;
            if (!q->tf[i])
                continue;
            vals[i] = sl_sql_value_null(q->tf_type[i]);
            if (a->is_null)
                continue;
            if (q->tf[i] == SQLS_TF_EXPLODE) {
                if (r < a->len)
                    vals[i] = a->u.items[r];
            } else if (a->len <= SQLS_CUBE_MAX && r < cube_rows(a) &&
                       cube_row(&al, q->tf_type[i], a, r, &vals[i])) {
                sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
                return;
            }
        }
        *row = (sl_sql_row_t){q->nout, vals};
        sl_ctx_forward(ctx, okey, row);
    }
}

int64_t sl__sqls_row_timestamp(void *arg, const void *key, const void *value, int64_t record_ts,
                             int64_t partition_time)
{
    const query_t *q = arg;
    const sl_sql_row_t *v = value;
    size_t i = (size_t)q->ts_slot - q->nkey;
    if (!v || i >= v->n || v->values[i].is_null)
        return -1; /* no time: dropped and counted, as Kafka Streams does */
    if (!q->ts_parse)
        return v->values[i].u.i64;
    /* TIMESTAMP_FORMAT: PARSE_TIMESTAMP(column, format), UTC. */
    sl_arena_t arena = SL_ARENA_INIT;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&arena);
    sl_sql_value_t args[2], out;
    args[0] = v->values[i];
    int64_t t = -1;
    char msg[256];
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    if (!sl_sql_value_string_dup(&al, q->ts_format, strlen(q->ts_format), &args[1]) &&
        !sl_sql_func_call(&fc, q->ts_parse, args, &out) && !out.is_null)
        t = out.u.i64;
    sl_arena_free(&arena);
    return t; /* -1 when it does not parse: dropped and counted */
}

sl_err_t sl__sqls_timestamp_format(sl_arena_t *a, const char *what, const char *format,
                                   const struct sl_sql_fn_call **parse, const char **fmt,
                                   char *errbuf, size_t errlen)
{
    *parse = NULL, *fmt = NULL;
    if (!format)
        return SL_OK;
    sl_sql_alloc_t tal = sl_sql_alloc_arena(a);
    const sl_sql_type_t *st = sl_sql_type_prim(SL_SQL_STRING);
    const sl_sql_type_t *args[2] = {st, st};
    char m[256];
    if (sl_sql_func_resolve("PARSE_TIMESTAMP", args, 2, 0, &tal, parse, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: TIMESTAMP_FORMAT: %s", what, m);
        return SL_ERR_INVAL;
    }
    *fmt = format;
    return SL_OK;
}

/* ---- the result's record time: WITH (TIMESTAMP='col' [, TIMESTAMP_FORMAT='f']) ------------------ */

/* ksqlDB's sink timestamp (its SinkBuilder's timestamp processor, just before
 * the sink): each record of the result — of a stream or of a table's
 * changelog, a join's or an aggregation's too — takes its time from a value
 * column of the result: BIGINT or TIMESTAMP as it is, STRING parsed with
 * TIMESTAMP_FORMAT. */
struct restamp {
    size_t slot;                          /* in the result's value row */
    const struct sl_sql_fn_call *parse;   /* TIMESTAMP_FORMAT: PARSE_TIMESTAMP */
    const char *format;
    const char *id;                       /* the query's, for the log */
};

static int64_t restamp_time(const restamp_t *r, const sl_sql_value_t *v, char *msg, size_t len)
{
    if (v->is_null) {
        snprintf(msg, len, "the TIMESTAMP column is NULL");
        return -1;
    }
    if (!r->parse)
        return v->u.i64;
    sl_arena_t arena = SL_ARENA_INIT;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&arena);
    sl_sql_value_t args[2] = {*v}, out;
    int64_t t = -1;
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = len};
    if (!sl_sql_value_string_dup(&al, r->format, strlen(r->format), &args[1]) &&
        !sl_sql_func_call(&fc, r->parse, args, &out))
        t = out.is_null ? -1 : out.u.i64;
    sl_arena_free(&arena);
    return t;
}

static void restamp_process(void *state, sl_ctx_t *ctx, const void *key, const void *value)
{
    const restamp_t *r = state;
    const sl_sql_row_t *v = value;
    if (!v) { /* a tombstone: the task's stream time, as ksqlDB's */
        sl_ctx_forward_ts(ctx, key, value, sl_ctx_stream_time(ctx));
        return;
    }
    char msg[256] = "";
    int64_t t = r->slot < v->n ? restamp_time(r, &v->values[r->slot], msg, sizeof msg) : -1;
    if (t < 0) {
        /* ksqlDB logs "Error writing row with extracted timestamp" and the
         * row is not written (a negative time fails the producer record). */
        sl_ctx_log_error(ctx, "%s: Error writing row with extracted timestamp: %s", r->id,
                         msg[0] ? msg : "negative timestamp");
        return;
    }
    sl_ctx_forward_ts(ctx, key, value, t);
}

sl_err_t sl__sqls_sink_timestamp(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                 sl_sql_datasource_t *made, restamp_t **out, char *errbuf,
                                 size_t errlen)
{
    *out = NULL;
    char tsb[256], fb[256];
    const char *tsc = sl__sqls_with_prop(stmt, "TIMESTAMP", tsb, sizeof tsb);
    const char *fmt = sl__sqls_with_prop(stmt, "TIMESTAMP_FORMAT", fb, sizeof fb);
    if (!tsc) {
        if (fmt) {
            sl__sqls_fail(errbuf, errlen,
                          "TIMESTAMP_FORMAT needs a TIMESTAMP column in the WITH clause");
            return SL_ERR_INVAL;
        }
        return SL_OK;
    }
    /* The name as written, else upper case (an unquoted identifier). */
    char up[256];
    snprintf(up, sizeof up, "%s", tsc);
    const sl_sql_datasource_col_t *c = NULL;
    size_t slot = 0;
    for (int pass = 0; pass < 2 && !c; pass++) {
        slot = 0;
        for (size_t i = 0; i < made->ncols && !c; i++) {
            if (!strcmp(made->cols[i].name, up))
                c = &made->cols[i];
            else if (made->cols[i].role == SL_SQL_ROLE_VALUE)
                slot++;
        }
        for (char *u = up; *u; u++)
            *u = (char)toupper((unsigned char)*u);
    }
    if (!c) {
        sl__sqls_fail(errbuf, errlen,
                      "The TIMESTAMP column set in the WITH clause does not exist in the schema: "
                      "'%s'",
                      up);
        return SL_ERR_INVAL;
    }
    sl_sql_base_t b = c->type->base;
    if (b == SL_SQL_STRING && !fmt) {
        sl__sqls_fail(errbuf, errlen,
                      "A String timestamp field has been specified without also specifying the "
                      "timestamp_format");
        return SL_ERR_INVAL;
    }
    if (b != SL_SQL_STRING && fmt) {
        sl__sqls_fail(errbuf, errlen,
                      "'TIMESTAMP_FORMAT' set in the WITH clause can only be used when the "
                      "timestamp column in of type STRING.");
        return SL_ERR_INVAL;
    }
    if (b != SL_SQL_STRING && b != SL_SQL_BIGINT && b != SL_SQL_TIMESTAMP) {
        sl__sqls_fail(errbuf, errlen,
                      "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with "
                      "a timestamp_format specified",
                      c->name);
        return SL_ERR_INVAL;
    }
    if (c->role != SL_SQL_ROLE_VALUE) {
        /* ksqlDB reads a key column too; Sluice's sources take their time
         * from a value column only (sl__sqls_source_for), so its sinks do. */
        sl__sqls_fail(errbuf, errlen,
                      "The TIMESTAMP column `%s` is a key column: not supported by Sluice yet "
                      "(select it as a value column too, under another name)",
                      c->name);
        return SL_ERR_UNSUPPORTED;
    }
    restamp_t *r = sl_arena_alloc(&s->arena, sizeof *r);
    if (!r)
        return SL_ERR_NOMEM;
    *r = (restamp_t){.slot = slot, .id = s->query_id};
    sl_err_t err = sl__sqls_timestamp_format(&s->arena, made->name, fmt ? sl__sqls_arena_str(&s->arena, fmt) : NULL,
                                             &r->parse, &r->format, errbuf, errlen);
    if (err)
        return err;
    /* Queries over the result read their time from it too (its TIMESTAMP). */
    made->timestamp = c->name;
    made->timestamp_format = r->format;
    *out = r;
    return SL_OK;
}

sl_kstream_t *sl__sqls_restamp(sl_kstream_t *stream, const restamp_t *r)
{
    if (!r || !stream)
        return stream;
    sl_processor_t rp = {.process = restamp_process, .arg = (void *)r};
    return sl_kstream_process(stream, &rp, NULL, 0);
}

/* ---- compiling ------------------------------------------------------------------------------------ */

char *sl__sqls_arena_str(sl_arena_t *a, const char *s)
{
    return s ? sl_arena_memdup(a, s, strlen(s) + 1) : NULL;
}

/* The engine source for a datasource: one per topic in a topology. */
/* The serdes of a source's key and value rows (in the session's arena). */
static sl_err_t source_serdes(sl_sql_session_t *s, const sl_sql_datasource_t *src,
                              const sl_serde_t **ks, const sl_serde_t **vs, char *errbuf,
                              size_t errlen)
{
    sl_sql_alloc_t al = sl_sql_alloc_arena(&s->arena);
    char m[512];
    if (sl_sql_serde_new(&al, &src->key_format, &src->key_schema, ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &src->value_format, &src->value_schema, vs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", src->name, m);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* A source's value serde, whose format a later version of the source may
 * take over (share_source): it reads and writes with cur. */
struct versioned_serde {
    sl_serde_t serde; /* first: the engine gets &serde */
    const sl_serde_t *cur;
};

static sl_err_t versioned_ser(const sl_serde_t *serde, const void *obj, sl_out_t *out)
{
    const sl_serde_t *cur = ((const versioned_serde_t *)serde)->cur;
    return cur->serialize(cur, obj, out);
}

static sl_err_t versioned_de(const sl_serde_t *serde, sl_bytes_t in, sl_mem_t *mem,
                             const void **obj)
{
    const sl_serde_t *cur = ((const versioned_serde_t *)serde)->cur;
    return cur->deserialize(cur, in, mem, obj);
}

static int same_cols(const sl_sql_schema_t *a, const sl_sql_schema_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->cols[i].name, b->cols[i].name) ||
            !sl_sql_type_equal(a->cols[i].type, b->cols[i].type))
            return 0;
    return 1;
}

/* Do rows read as b lay out a's columns as a's own would (the same key,
 * window and TIMESTAMP column; a's value columns first, in order), and
 * does b's format read a's columns of a record as a's does? JSON reads
 * columns by name, so a record reads the same under both; DELIMITED counts
 * its fields, so it does not. */
static int layout_extends(const sl_sql_datasource_t *a, const sl_sql_datasource_t *b)
{
    const char *ta = a->timestamp_format, *tb = b->timestamp_format;
    return a->key_schema.ncols == b->key_schema.ncols &&
           same_cols(&a->key_schema, &b->key_schema, a->key_schema.ncols) &&
           a->key_format.kind == b->key_format.kind && a->window == b->window &&
           a->window_size == b->window_size &&
           a->value_schema.ncols <= b->value_schema.ncols &&
           same_cols(&a->value_schema, &b->value_schema, a->value_schema.ncols) &&
           ((!a->timestamp && !b->timestamp) ||
            (a->timestamp && b->timestamp && !strcmp(a->timestamp, b->timestamp))) &&
           ((!ta && !tb) || (ta && tb && !strcmp(ta, tb))) &&
           a->value_format.kind == SL_SQL_FORMAT_JSON &&
           b->value_format.kind == SL_SQL_FORMAT_JSON &&
           !sl_sql_format_unwrapped(&a->value_format, &a->value_schema) &&
           !sl_sql_format_unwrapped(&b->value_format, &b->value_schema);
}

/* A query reads src, whose topic h reads already with other columns: a
 * version of the source made by OR REPLACE (or an upgraded query's sink)
 * after h's readers were compiled. When one version's rows extend the
 * other's (layout_extends: columns added at the end), the source reads the
 * longer rows and every query reads its own columns of them — the queries
 * compiled earlier keep theirs, as in ksqlDB, where each query reads the
 * topic with its own schema. (Only a topology not yet running is changed:
 * the test runner's, which runs every statement first.) */
static sl_err_t share_source(sl_sql_session_t *s, source_handle_t *h,
                             const sl_sql_datasource_t *src, char *errbuf, size_t errlen)
{
    if (layout_extends(src, h->ds))
        return SL_OK; /* it reads the first columns of h's rows */
    if (!layout_extends(h->ds, src)) {
        sl__sqls_fail(errbuf, errlen,
                      "%s: its topic %s is read by this topology already, with other columns",
                      src->name, src->topic);
        return SL_ERR_UNSUPPORTED;
    }
    const sl_serde_t *ks, *vs;
    sl_err_t err = source_serdes(s, src, &ks, &vs, errbuf, errlen);
    if (err)
        return err;
    h->vs->cur = vs;
    h->ds = src;
    return SL_OK;
}

sl_err_t sl__sqls_source_for(sl_sql_session_t *s, const sl_sql_datasource_t *src, query_t *q,
                           sl_kstream_t **stream, sl_ktable_t **table, char *errbuf,
                           size_t errlen)
{
    sl_err_t err;
    for (size_t i = 0; i < s->nsources; i++) {
        if (!strcmp(s->sources[i].topic, src->topic)) {
            if (!sl__sqls_same_layout(s->sources[i].ds, src) &&
                (err = share_source(s, &s->sources[i], src, errbuf, errlen)))
                return err;
            if ((s->sources[i].table != NULL) != (src->table != 0)) {
                sl__sqls_fail(errbuf, errlen,
                     "Topic %s is read both as a stream and as a table by this application",
                     src->topic);
                return SL_ERR_UNSUPPORTED;
            }
            *stream = s->sources[i].stream, *table = s->sources[i].table;
            return SL_OK;
        }
    }
    const sl_serde_t *ks, *vs;
    if ((err = source_serdes(s, src, &ks, &vs, errbuf, errlen)))
        return err;
    ks = with_error(ks);
    versioned_serde_t *vv = sl_arena_alloc(&s->arena, sizeof *vv);
    if (!vv)
        return SL_ERR_NOMEM;
    *vv = (versioned_serde_t){{.name = vs->name, .serialize = versioned_ser,
                               .deserialize = versioned_de, .error = serde_error}, vs};
    vs = &vv->serde;
    if (src->window) {
        /* A windowed table's keys: the key columns, then the window. */
        sl_serde_t *wks = sl_arena_alloc(&s->arena, sizeof *wks);
        if (!wks)
            return SL_ERR_NOMEM;
        *wks = src->window == 2 ? sl_serde_session_windowed(ks)
                                : sl_serde_time_windowed(ks, src->window_size);
        ks = wks;
    }
    sl_consumed_t c = {.key_serde = ks, .value_serde = vs};
    if (q->ts_slot >= 0)
        c.timestamp_extractor = sl__sqls_row_timestamp, c.timestamp_arg = q;
    *stream = NULL, *table = NULL;
    if (src->table)
        *table = sl_table(s->topo, src->topic, &c, NULL);
    else
        *stream = sl_stream(s->topo, &src->topic, 1, &c);
    if (!*stream && !*table) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    source_handle_t *h = realloc(s->sources, (s->nsources + 1) * sizeof *h);
    if (!h)
        return SL_ERR_NOMEM;
    s->sources = h;
    h[s->nsources++] = (source_handle_t){strdup(src->topic), src, *stream, *table, vv};
    return s->sources[s->nsources - 1].topic ? SL_OK : SL_ERR_NOMEM;
}

sl_err_t sl__sqls_query_built(sl_sql_session_t *s, char *errbuf, size_t errlen)
{
    if (sl_topology_error(s->topo)) {
        sl__sqls_fail(errbuf, errlen, "%s", sl_topology_error(s->topo));
        return SL_ERR_INVAL;
    }
    s->nqueries++, s->topo_queries++;
    return SL_OK;
}

void sl__sqls_where_not_boolean(const sl_sql_expr_t *where, const sl_sql_type_t *t, char *errbuf,
                                size_t errlen)
{
    sl_buf_t eb = SL_BUF_INIT, tb = SL_BUF_INIT;
    sl_sql_expr_print(where, &eb);
    sl_sql_type_format(t, SL_SQL_TYPE_SQL, &tb);
    sl__sqls_fail(errbuf, errlen,
                  "line %u:%u: Type error in WHERE expression: Should evaluate to boolean but is "
                  "(%.*s) (%.*s) instead.",
                  where->pos.line, where->pos.col, (int)eb.len,
                  eb.data ? (const char *)eb.data : "", (int)tb.len,
                  tb.data ? (const char *)tb.data : "");
    sl_buf_free(&eb);
    sl_buf_free(&tb);
}

/* A WITH property of CREATE … AS SELECT, upper-cased name, as text. */
const char *sl__sqls_with_prop(const sl_sql_stmt_t *stmt, const char *name, char *buf, size_t len)
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

sl_err_t sl__sqls_sink_formats(const sl_sql_stmt_t *stmt, sl_sql_format_t *kfmt,
                               sl_sql_format_t *vfmt, char *errbuf, size_t errlen)
{
    char b[4][64], m[256];
    const char *fmt = sl__sqls_with_prop(stmt, "FORMAT", b[0], sizeof b[0]);
    const char *kf = sl__sqls_with_prop(stmt, "KEY_FORMAT", b[1], sizeof b[1]);
    const char *vf = sl__sqls_with_prop(stmt, "VALUE_FORMAT", b[2], sizeof b[2]);
    const char *delim = sl__sqls_with_prop(stmt, "VALUE_DELIMITER", b[3], sizeof b[3]);
    const char *wrap = sl__sqls_with_prop(stmt, "WRAP_SINGLE_VALUE", b[0], sizeof b[0]);
    if (fmt && (kf || vf)) {
        sl__sqls_fail(errbuf, errlen,
                      "Cannot supply both '%s' and 'FORMAT' properties, as 'FORMAT' sets both "
                      "key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and "
                      "'VALUE_FORMAT'.",
                      kf ? "KEY_FORMAT" : "VALUE_FORMAT");
        return SL_ERR_INVAL;
    }
    if (fmt)
        kf = vf = fmt;
    sl_sql_format_kind_t k;
    if (kf) {
        if (sl_sql_format_kind_parse(kf, &k, m, sizeof m))
            goto bad;
        if (k != kfmt->kind)
            *kfmt = (sl_sql_format_t){.kind = k};
    }
    if (vf) {
        if (sl_sql_format_kind_parse(vf, &k, m, sizeof m))
            goto bad;
        if (k != vfmt->kind)
            *vfmt = (sl_sql_format_t){.kind = k};
    }
    kfmt->is_key = 1;
    vfmt->wrap = SL_SQL_WRAP_DEFAULT;
    if (delim) {
        if (vfmt->kind != SL_SQL_FORMAT_DELIMITED) {
            sl__sqls_fail(errbuf, errlen,
                          "VALUE_DELIMITER: only the DELIMITED format has a delimiter");
            return SL_ERR_INVAL;
        }
        if (sl_sql_format_delimiter_parse(delim, &vfmt->delimiter, m, sizeof m))
            goto bad;
    }
    if (wrap)
        vfmt->wrap = !strcmp(wrap, "true") ? SL_SQL_WRAP_ON : SL_SQL_WRAP_OFF;
    return SL_OK;
bad:
    sl__sqls_fail(errbuf, errlen, "%s", m);
    return SL_ERR_INVAL;
}

/* Does e call a function that is_fn names, anywhere in its tree? */
typedef struct calls_ctx {
    int (*is_fn)(const char *);
} calls_ctx_t;

static int calls_any_in(void *arg, const sl_sql_expr_t *e)
{
    const calls_ctx_t *c = arg;
    if (e->kind == SL_SQL_EXPR_CALL && c->is_fn(e->call.name.s))
        return 1;
    return sl_sql_expr_each_child(e, calls_any_in, arg);
}

static int calls_any(const sl_sql_expr_t *e, int (*is_fn)(const char *))
{
    calls_ctx_t c = {is_fn};
    return e ? calls_any_in(&c, e) : 0;
}

static int is_table_function(const char *name)
{
    return !strcasecmp(name, "EXPLODE") || !strcasecmp(name, "CUBE_EXPLODE");
}

static sl_err_t unsupported(const sl_sql_query_t *qa, char *errbuf, size_t errlen)
{
    if (qa->emit == SL_SQL_EMIT_FINAL && !qa->window) {
        sl__sqls_fail(errbuf, errlen, "EMIT FINAL is only supported for windowed aggregations.");
        return SL_ERR_INVAL;
    }
    if (qa->npartition_by && qa->ngroup_by) {
        /* ksqlDB's parser refuses the pair (its Query node). */
        sl__sqls_fail(errbuf, errlen, "Queries only support one of PARTITION BY and GROUP BY");
        return SL_ERR_INVAL;
    }
    /* Table functions with GROUP BY, or after an aggregate call (which
     * makes the query an aggregation), as ksqlDB's analyzer checks them:
     * item by item, anywhere in the item's expression. */
    int aggregating = qa->ngroup_by != 0;
    for (size_t i = 0; i < qa->nitems; i++) {
        const sl_sql_expr_t *x = qa->items[i]->kind == SL_SQL_SELECT_EXPR ? qa->items[i]->expr
                                                                          : NULL;
        aggregating |= calls_any(x, sl_sql_expr_is_aggregate);
        if (aggregating && calls_any(x, is_table_function)) {
            sl__sqls_fail(errbuf, errlen, "Table functions cannot be used with aggregations.");
            return SL_ERR_INVAL;
        }
    }
    /* (LIMIT in INSERT INTO … SELECT: taken and ignored, as ksqlDB's
     * persistent plans ignore it — its QueryLimitNode builds its source's
     * stream as it is; CREATE … AS SELECT refuses it in compile_query.) */
    if (qa->window && !qa->ngroup_by) { /* ksqlDB's LogicalPlanner */
        sl__sqls_fail(errbuf, errlen, "line %u:%u: WINDOW clause requires a GROUP BY clause.",
                      qa->window->pos.line, qa->window->pos.col);
        return SL_ERR_INVAL;
    }
    const char *what = qa->having && !qa->ngroup_by ? "HAVING without GROUP BY" : NULL;
    if (!what)
        return SL_OK;
    sl__sqls_fail(errbuf, errlen, "line %u:%u: %s is not supported by Sluice's SQL compiler yet",
         qa->pos.line, qa->pos.col, what);
    return SL_ERR_UNSUPPORTED;
}


/* Which of the query's PARTITION BY expressions the projection item x is
 * (qa->npartition_by when none; scope: the source's columns). */
static size_t partition_item(sl_arena_t *a, const sl_sql_scope_t *scope, const sl_sql_query_t *qa,
                             const sl_sql_expr_t *x)
{
    size_t i = 0;
    while (i < qa->npartition_by && !sl__sqls_selects(a, scope, x, qa->partition_by[i], NULL))
        i++;
    return i;
}

/* A table function in the projection (value column q->nout): its ARRAY
 * argument compiled into *out, *t the column's type. cap: the projection's
 * capacity, for q->tf and q->tf_type (made on the first one). */
static sl_err_t table_function(query_t *q, int table, const sl_sql_expr_t *x, int kind,
                               const sl_sql_scope_t *scope, const sl_sql_expr_opts_t *o,
                               sl_arena_t *a, size_t cap, const sl_sql_cexpr_t **out,
                               const sl_sql_type_t **t, char *errbuf, size_t errlen)
{
    const char *name = kind == SQLS_TF_EXPLODE ? "EXPLODE" : "CUBE_EXPLODE";
    if (table) {
        sl__sqls_fail(errbuf, errlen, "Table source is not supported with table functions");
        return SL_ERR_INVAL;
    }
    if (x->call.star || x->call.nargs != 1) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: Function '%s' takes one ARRAY argument.",
                      x->pos.line, x->pos.col, name);
        return SL_ERR_INVAL;
    }
    sl_sql_error_t e;
    const sl_sql_type_t *at;
    if (sl_sql_expr_compile(x->call.args[0], scope, o, a, out, &at, &e)) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
        return SL_ERR_INVAL;
    }
    if (!at || at->base != SL_SQL_ARRAY) {
        sl_buf_t tb = SL_BUF_INIT;
        if (at)
            sl_sql_type_format(at, SL_SQL_TYPE_SQL, &tb);
        sl__sqls_fail(errbuf, errlen, "Function '%s' does not accept parameters (%.*s).", name,
                      at ? (int)tb.len : 4, at && tb.data ? (const char *)tb.data : "NULL");
        sl_buf_free(&tb);
        return SL_ERR_INVAL;
    }
    if (!q->tf) {
        uint8_t *tf = sl_arena_alloc(a, cap);
        const sl_sql_type_t **tt = sl_arena_alloc(a, cap * sizeof *tt);
        if (!tf || !tt)
            return SL_ERR_NOMEM;
        memset(tf, 0, cap);
        memset(tt, 0, cap * sizeof *tt);
        q->tf = tf, q->tf_type = tt;
    }
    ((uint8_t *)q->tf)[q->nout] = (uint8_t)kind;
    *t = kind == SQLS_TF_EXPLODE ? at->item : at;
    q->tf_type[q->nout] = *t;
    return SL_OK;
}

sl_err_t sl__sqls_compile_value(query_t *q, int table, const sl_sql_expr_t *x,
                                const sl_sql_scope_t *scope, const sl_sql_expr_opts_t *o,
                                sl_arena_t *a, size_t cap, const sl_sql_cexpr_t **out,
                                const sl_sql_type_t **t, char *errbuf, size_t errlen)
{
    int tfk = x->kind != SL_SQL_EXPR_CALL                       ? SQLS_TF_NONE
              : !strcasecmp(x->call.name.s, "EXPLODE")      ? SQLS_TF_EXPLODE
              : !strcasecmp(x->call.name.s, "CUBE_EXPLODE") ? SQLS_TF_CUBE_EXPLODE
                                                            : SQLS_TF_NONE;
    if (tfk)
        return table_function(q, table, x, tfk, scope, o, a, cap, out, t, errbuf, errlen);
    sl_sql_error_t e;
    if (sl_sql_expr_compile(x, scope, o, a, out, t, &e)) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

/* Refuses to drop or replace (verb) a source that running queries read or
 * write: they hold its definition. */
static sl_err_t in_use_check(sl_sql_session_t *s, const char *name, const char *verb,
                             char *errbuf, size_t errlen)
{
    sl_buf_t rd = SL_BUF_INIT, wr = SL_BUF_INIT;
    for (size_t i = 0; i < s->nqueries_rec; i++) {
        const struct session_query *q = &s->queries[i];
        int reads = 0;
        for (size_t k = 0; k < q->nsources; k++)
            reads |= !strcmp(q->sources[k], name);
        sl_buf_t *b = reads ? &rd : !strcmp(q->sink, name) ? &wr : NULL;
        if (!b)
            continue;
        sl_buf_append(b, b->len ? ", " : "", b->len ? 2 : 0);
        sl_buf_append(b, q->id, strlen(q->id));
    }
    sl_err_t err = SL_OK;
    if (rd.len || wr.len) {
        sl__sqls_fail(errbuf, errlen,
                      "Cannot %s %s.\nThe following queries read from this source: [%.*s].\n"
                      "The following queries write into this source: [%.*s].\n"
                      "You need to terminate them before %s %s.",
                      verb, name, (int)rd.len, rd.data ? (const char *)rd.data : "", (int)wr.len,
                      wr.data ? (const char *)wr.data : "",
                      !strcmp(verb, "drop") ? "dropping" : "replacing", name);
        err = SL_ERR_INVAL;
    }
    sl_buf_free(&rd);
    sl_buf_free(&wr);
    return err;
}

/* CREATE OR REPLACE STREAM|TABLE name (…) WITH (…) of a source queries use.
 * The queries that read it keep the version they were compiled with (the
 * catalog refuses a new version they could not read: ksqlDB's checks);
 * the queries compiled after it read the new one. A source that queries
 * write stays refused with DROP's message: they write its old columns. */
static sl_err_t replace_source_check(sl_sql_session_t *s, const char *name, char *errbuf,
                                     size_t errlen)
{
    for (size_t i = 0; i < s->nqueries_rec; i++)
        if (!strcmp(s->queries[i].sink, name))
            return in_use_check(s, name, "replace", errbuf, errlen);
    return SL_OK;
}

sl_err_t sl__sqls_add_target(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                             const sl_sql_datasource_t *made, const sl_sql_datasource_t **target,
                             char *errbuf, size_t errlen)
{
    *target = NULL;
    const sl_sql_datasource_t *old = sl_sql_catalog_find(s->catalog, made->name);
    const char *kind = made->table ? "table" : "stream";
    if (old && !stmt->create.or_replace) {
        if (stmt->create.if_not_exists)
            return SL_OK;
        sl__sqls_fail(errbuf, errlen, "Cannot add %s '%s': A %s with the same name already exists",
                      kind, made->name, old->table ? "table" : "stream");
        return SL_ERR_EXISTS;
    }
    if (old && old->table != made->table) {
        sl__sqls_fail(errbuf, errlen, "Cannot replace the %s '%s' with a %s",
                      old->table ? "table" : "stream", made->name, kind);
        return SL_ERR_INVAL;
    }
    if (old && old->read_only) {
        sl__sqls_fail(errbuf, errlen, "Cannot use OR REPLACE with SOURCE %ss", kind);
        return SL_ERR_INVAL;
    }
    /* Queries that read or write it hold its definition: replacing it is
     * the upgrade of the query that writes it, or refused. */
    sl_err_t err;
    if (old && (err = s->upgrade ? sl__sqls_upgrade_check(s, stmt, old, made, errbuf, errlen)
                                 : in_use_check(s, made->name, "replace", errbuf, errlen)))
        return err;
    /* WITH: checked as CREATE STREAM|TABLE checks it; PARTITIONS and
     * RETENTION_MS shape the sink topic when the statement creates it. */
    int32_t partitions;
    int64_t retention_ms;
    if ((err = sl_sql_catalog_with_check(stmt, &partitions, &retention_ms, errbuf, errlen)))
        return err;
    sl_sql_datasource_t m = *made;
    if (partitions > 0)
        m.partitions = partitions;
    int32_t have = sl_sql_catalog_topic_partitions(s->catalog, m.topic);
    if (have < 0) {
        char tb[256] = "";
        if (sl_sql_catalog_topic_create(s->catalog, m.topic, m.partitions, retention_ms, tb,
                                        sizeof tb)) {
            sl__sqls_fail(errbuf, errlen, "Could not create topic '%s': %s", m.topic, tb);
            return SL_ERR_IO;
        }
    } else if (partitions > 0 && partitions != have) {
        sl__sqls_fail(errbuf, errlen,
                      "A Kafka topic with the name '%s' already exists, with different "
                      "partition/replica configuration than required. KSQL expects %d "
                      "partitions (topic has %d).",
                      m.topic, (int)partitions, (int)have);
        return SL_ERR_INVAL;
    } else {
        m.partitions = have; /* the sink topic as it is */
    }
    /* The catalog keeps the statement that made it (DESCRIBE EXTENDED). */
    char *text = NULL;
    if (!m.sql && stmt->text && (text = strndup(stmt->text, stmt->text_len)) == NULL)
        return SL_ERR_NOMEM;
    if (text)
        m.sql = text;
    err = sl_sql_catalog_add(s->catalog, &m, stmt->create.or_replace, errbuf, errlen);
    free(text);
    if (err)
        return err;
    const sl_sql_datasource_t *t = sl_sql_catalog_find(s->catalog, made->name);
    char fm[512];
    if (sl_sql_format_check(&t->key_format, &t->key_schema, fm, sizeof fm) ||
        sl_sql_format_check(&t->value_format, &t->value_schema, fm, sizeof fm)) {
        sl__sqls_fail(errbuf, errlen, "%s", fm);
        return SL_ERR_INVAL;
    }
    *target = t;
    return SL_OK;
}

sl_err_t sl__sqls_insert_target(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, int table,
                                const sl_sql_datasource_col_t *cols, size_t ncols, size_t nvalue,
                                size_t nkey, const sl_sql_datasource_t **target, char *errbuf,
                                size_t errlen)
{
    const sl_sql_datasource_t *t = sl_sql_catalog_find(s->catalog, stmt->insert.target.s);
    if (!t) {
        sl__sqls_fail(errbuf, errlen, "%s does not exist.", stmt->insert.target.s);
        return SL_ERR_INVAL;
    }
    if (t->table || table) {
        sl__sqls_fail(errbuf, errlen,
                      "INSERT INTO can only be used to insert into a stream from a stream");
        return SL_ERR_INVAL;
    }
    if (t->read_only) {
        sl__sqls_fail(errbuf, errlen, "Cannot insert into read-only stream: %s", t->name);
        return SL_ERR_INVAL;
    }
    int same = t->value_schema.ncols == nvalue && t->key_schema.ncols == nkey;
    for (size_t i = 0, v = 0, k = 0; same && i < ncols; i++) {
        const sl_sql_column_t *tc = cols[i].role == SL_SQL_ROLE_KEY ? &t->key_schema.cols[k++]
                                                                    : &t->value_schema.cols[v++];
        same = !strcmp(tc->name, cols[i].name) && sl_sql_type_equal(tc->type, cols[i].type);
    }
    if (!same) {
        sl__sqls_fail(errbuf, errlen, "Incompatible schema between results and sink.");
        return SL_ERR_INVAL;
    }
    *target = t;
    return SL_OK;
}

sl_err_t sl__sqls_insert_windows(const sl_sql_datasource_t *target, int window,
                                 int64_t window_size, char *errbuf, size_t errlen)
{
    if (target->window == window && (window != 1 || target->window_size == window_size))
        return SL_OK;
    char rb[64], sb[64];
    snprintf(rb, sizeof rb, window == 2 ? "session windowed" : window ? "time windowed (%lld ms)"
                                                                      : "not windowed",
             (long long)window_size);
    snprintf(sb, sizeof sb, target->window == 2 ? "session windowed"
                            : target->window  ? "time windowed (%lld ms)"
                                              : "not windowed",
             (long long)target->window_size);
    sl__sqls_fail(errbuf, errlen,
                  "Incompatible key formats between results and sink: the results' keys are "
                  "%s, %s's are %s.",
                  rb, target->name, sb);
    return SL_ERR_INVAL;
}

/* A new query's id (as ksqlDB makes it: CSAS_<SINK>_<n>, CTAS_…,
 * INSERTQUERY_<n>, CST_…), which also scopes the names of its internal
 * topics and stores. */
static sl_err_t begin_query(sl_sql_session_t *s, const char *id)
{
    if (!(s->query_id = sl__sqls_arena_str(&s->arena, id)))
        return SL_ERR_NOMEM;
    char names[65];
    size_t nn = 0;
    for (const char *c = id; *c && nn < 64; c++)
        names[nn++] = isalnum((unsigned char)*c) || *c == '.' || *c == '-' ? *c : '_';
    names[nn] = 0;
    sl_topology_name_scope(s->topo, names);
    return SL_OK;
}

static sl_err_t compile_query(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *errbuf,
                              size_t errlen)
{
    int insert = stmt->kind == SL_SQL_STMT_INSERT_SELECT;
    const sl_sql_query_t *qa = insert ? stmt->insert.query : stmt->create.query;
    if (!insert && !s->transient && qa->has_limit) {
        sl__sqls_fail(errbuf, errlen, "CREATE %s AS SELECT statements don't support LIMIT clause.",
                      stmt->create.table ? "TABLE" : "STREAM");
        return SL_ERR_INVAL;
    }
    sl_err_t err = unsupported(qa, errbuf, errlen);
    if (err)
        return err;
    const sl_sql_datasource_t *src = sl_sql_catalog_find(s->catalog, qa->from.name.s);
    if (!src) {
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s does not exist.", qa->from.name.pos.line,
             qa->from.name.pos.col, qa->from.name.s);
        return SL_ERR_INVAL;
    }
    /* The query id, as ksqlDB makes it (CSAS_<SINK>_<n>, CTAS_…,
     * INSERTQUERY_<n>), names the query's internal topics and stores. */
    char idbuf[200];
    if (insert)
        snprintf(idbuf, sizeof idbuf, "INSERTQUERY_%d", s->nqueries);
    else
        snprintf(idbuf, sizeof idbuf, "%s_%s_%d", stmt->create.table ? "CTAS" : "CSAS",
                 stmt->create.name.s, s->nqueries);
    sl__sqls_upgrade_begin(s, stmt, idbuf, sizeof idbuf);
    if ((err = begin_query(s, idbuf)) || (err = sl__sqls_upgrade_scope(s)))
        return err;
    if (qa->njoins && !qa->ngroup_by)
        return sl__sqls_compile_join(s, stmt, src, qa, errbuf, errlen);
    sl_arena_t *a = &s->arena;
    gquery_t *g = sl_arena_alloc(a, sizeof *g);
    if (!g)
        return SL_ERR_NOMEM;
    memset(g, 0, sizeof *g);
    query_t *q = &g->q;
    q->id = s->query_id;
    sl_sql_scope_t scope;
    join_input_t jin, *join = NULL;
    sl_sql_scope_col_t *sc = NULL; /* without joins: the source's columns */
    size_t nc = 0;
    if (qa->njoins) {
        /* JOIN … GROUP BY: the aggregation reads the combined rows. */
        if ((err = sl__sqls_join_input(s, src, qa, &jin, errbuf, errlen)))
            return err;
        join = &jin;
        q->nkey = 0, q->nvalue = jin.nslots, q->ts_slot = -1;
        q->window = jin.window; /* the join key's window, as one source's */
        scope = jin.scope;
        scope.windowed = jin.window != 0; /* WHERE: WINDOWSTART, WINDOWEND off the key */
    } else {
        q->nkey = src->key_schema.ncols;
        q->nvalue = src->value_schema.ncols;
        q->ts_slot = -1;
        q->window = src->window;
        /* The scope: key columns, then value columns. */
        const char *alias = qa->from.alias.s ? qa->from.alias.s : src->name;
        size_t nhdr = 0;
        for (size_t i = 0; i < src->ncols; i++)
            nhdr += src->cols[i].role == SL_SQL_ROLE_HEADERS || src->cols[i].role == SL_SQL_ROLE_HEADER;
        nc = q->nkey + q->nvalue + nhdr;
        sc = sl_arena_alloc(a, (nc ? nc : 1) * sizeof *sc);
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
            sl__sqls_fail(errbuf, errlen, "%s: the TIMESTAMP column must be a value column", src->name);
            return SL_ERR_UNSUPPORTED;
        }
        if (nhdr) {
            sl_sql_datasource_col_t *hc = sl_arena_alloc(a, nhdr * sizeof *hc);
            if (!hc)
                return SL_ERR_NOMEM;
            for (size_t i = 0; i < src->ncols; i++) {
                const sl_sql_datasource_col_t *c = &src->cols[i];
                if (c->role != SL_SQL_ROLE_HEADERS && c->role != SL_SQL_ROLE_HEADER)
                    continue;
                size_t slot = q->nkey + q->nvalue + q->nheader;
                hc[q->nheader++] = *c;
                sc[slot] = (sl_sql_scope_col_t){alias, c->name, c->type, (uint32_t)slot};
            }
            q->hcols = hc;
        }
        if ((err = sl__sqls_timestamp_format(a, src->name, src->timestamp_format, &q->ts_parse,
                                             &q->ts_format, errbuf, errlen)))
            return err;
        scope = (sl_sql_scope_t){sc, nc, src->window != 0};
    }
    sl_sql_error_t e;
    if (qa->where) {
        sl_sql_expr_opts_t o = {.clause = "WHERE", .catalog = s->catalog};
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->where, &scope, &o, a, &q->where, &t, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        if (t->base != SL_SQL_BOOLEAN) {
            sl__sqls_where_not_boolean(qa->where, t, errbuf, errlen);
            return SL_ERR_INVAL;
        }
    }
    if (qa->ngroup_by && q->window && src->table && !s->transient) {
        /* ksqlDB refuses every persistent query over a windowed table (its
         * PushQueryValidator); Sluice keeps the windows of one without
         * GROUP BY, but re-aggregating one is refused as ksqlDB does. */
        sl__sqls_fail(errbuf, errlen,
                      "KSQL does not support persistent queries on windowed tables.");
        return SL_ERR_INVAL;
    }
    if (qa->ngroup_by && q->window) {
        /* A windowed stream, or a windowed table in a push query: re-grouped
         * without the windows (ksqlDB always re-keys a windowed source it
         * groups, to a key without a window), which the grouping, WHERE and
         * the aggregates may read as columns WINDOWSTART and WINDOWEND. */
        sl_sql_scope_t ws;
        sl_err_t werr = sl__sqls_window_scope(a, q, &scope, &ws);
        return werr ? werr
                    : sl__sqls_compile_aggregate(s, stmt, src, qa, g, &ws, join, errbuf, errlen);
    }
    if (qa->ngroup_by)
        return sl__sqls_compile_aggregate(s, stmt, src, qa, g, &scope, join, errbuf, errlen);
    /* PARTITION BY: the new key's columns, in their order. */
    size_t npk = qa->npartition_by;
    const char **pk_name = NULL;
    const sl_sql_type_t **pk_type = NULL;
    int *pk_seen = NULL;
    if (npk) {
        if (src->table) {
            sl__sqls_fail(errbuf, errlen, "PARTITION BY is not supported on tables");
            return SL_ERR_INVAL;
        }
        if (src->window) { /* as ksqlDB refuses re-keying a windowed stream */
            sl__sqls_fail(errbuf, errlen,
                          "Implicit repartitioning of windowed sources is not supported. See "
                          "https://github.com/confluentinc/ksql/issues/4385.");
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
                sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
                return SL_ERR_INVAL;
            }
            char nm[32];
            snprintf(nm, sizeof nm, "KSQL_COL_%zu", i);
            pk_name[i] = sl__sqls_arena_str(a, x->kind == SL_SQL_EXPR_COLUMN ? x->column.name.s : nm);
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
                    sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
                    return SL_ERR_INVAL;
                }
                q->nout++;
                cols[ncols++] = (sl_sql_datasource_col_t){sc[j].name, t, SL_SQL_ROLE_VALUE, NULL};
            }
            continue;
        }
        if (it->kind != SL_SQL_SELECT_EXPR) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: this select item is not supported yet", it->pos.line,
                 it->pos.col);
            return SL_ERR_UNSUPPORTED;
        }
        const sl_sql_expr_t *x = it->expr;
        /* With PARTITION BY, an item that is a partitioning expression (the
         * same column, or the same expression text) is the new key, named
         * by its alias if it has one (added in PARTITION BY order below). */
        size_t pk = npk ? partition_item(a, &scope, qa, x) : 0;
        if (pk < npk) {
            const char *as = it->alias.s ? it->alias.s : pk_name[pk];
            if (pk_seen[pk]++) {
                sl__sqls_fail(errbuf, errlen,
                              "The projection contains the key column more than once: `%s` and "
                              "`%s`.",
                              pk_name[pk], as);
                return SL_ERR_INVAL;
            }
            pk_name[pk] = as;
            continue;
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
        if ((err = sl__sqls_compile_value(q, src->table, x, &scope, &o, a, cap, &out[q->nout], &t,
                                          errbuf, errlen)))
            return err;
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
                sl__sqls_fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                     it->pos.col, name);
                return SL_ERR_INVAL;
            }
        }
        cols[ncols++] = (sl_sql_datasource_col_t){sl__sqls_arena_str(a, name), t, SL_SQL_ROLE_VALUE, NULL};
    }
    /* SELECT * gives the new key too, whatever its expression. */
    int star = 0;
    for (size_t i = 0; i < qa->nitems; i++)
        star |= qa->items[i]->kind == SL_SQL_SELECT_STAR;
    for (size_t i = 0; i < npk; i++) {
        if (!pk_seen[i] && !star) {
            sl__sqls_fail(errbuf, errlen,
                 "Key missing from projection (ie, SELECT). The query used to build `%s` must "
                 "include the partitioning expression %s in its projection (eg, SELECT %s...).",
                 insert ? stmt->insert.target.s : stmt->create.name.s, pk_name[i], pk_name[i]);
            return SL_ERR_INVAL;
        }
        cols[ncols++] = (sl_sql_datasource_col_t){pk_name[i], pk_type[i], SL_SQL_ROLE_KEY, NULL};
        q->nkey_out++;
    }
    if (!npk && q->nkey_out > 1) {
        /* The key stays the source's: its columns keep the source's key
         * order whatever order the projection selects them in (a table's
         * key bytes pass through as they are). */
        size_t *at = sl_arena_alloc(a, ncols * sizeof *at), nat = 0;
        if (!at)
            return SL_ERR_NOMEM;
        for (size_t c = 0; c < ncols; c++)
            if (cols[c].role == SL_SQL_ROLE_KEY)
                at[nat++] = c;
        for (size_t x = 1; x < q->nkey_out && x < nat; x++) /* insertion sort by source place */
            for (size_t y = x; y > 0 && key_from[y - 1] > key_from[y]; y--) {
                int kf = key_from[y];
                key_from[y] = key_from[y - 1], key_from[y - 1] = kf;
                sl_sql_datasource_col_t cc = cols[at[y]];
                cols[at[y]] = cols[at[y - 1]], cols[at[y - 1]] = cc;
            }
    }
    for (size_t j = 0; s->transient && !npk && j < q->nkey && q->nkey_out < q->nkey; j++) {
        /* A push query need not select the key: kept, hidden. */
        size_t k = 0;
        while (k < q->nkey_out && key_from[k] != (int)j)
            k++;
        if (k < q->nkey_out)
            continue;
        char hn[300];
        snprintf(hn, sizeof hn, SL_SQL_HIDDEN_PREFIX "%s", sc[j].name);
        key_from[q->nkey_out++] = (int)j;
        cols[ncols++] =
            (sl_sql_datasource_col_t){sl__sqls_arena_str(a, hn), sc[j].type, SL_SQL_ROLE_KEY, NULL};
    }
    if (!npk && q->nkey_out != q->nkey) {
        sl__sqls_fail(errbuf, errlen,
             "Key missing from projection (ie, SELECT). The query used to build `%s` must "
             "include the key columns %s in its projection (eg, SELECT %s...).",
             insert ? stmt->insert.target.s : stmt->create.name.s,
             q->nkey ? sc[0].name : "", q->nkey ? sc[0].name : "");
        return SL_ERR_INVAL;
    }
    q->out = out;
    q->key_from = key_from;

    /* The target. */
    restamp_t *restamp = NULL;
    const sl_sql_datasource_t *target = NULL;
    sl_sql_datasource_t made = {0};
    if (insert) {
        if ((err = sl__sqls_insert_target(s, stmt, src->table, cols, ncols, q->nout, q->nkey_out,
                                          &target, errbuf, errlen)) ||
            (err = sl__sqls_insert_windows(target, src->window, src->window_size, errbuf,
                                           errlen)))
            return err;
    } else {
        if (src->table != stmt->create.table) {
            sl__sqls_fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a %s. Please "
                                 "use CREATE %s AS SELECT statement instead.",
                 src->table ? "TABLE" : "STREAM", src->table ? "TABLE" : "STREAM");
            return SL_ERR_INVAL;
        }
        char b1[64];
        const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
        made.name = stmt->create.name.s;
        made.table = stmt->create.table;
        made.cols = cols;
        made.ncols = ncols;
        made.topic = topic ? topic : stmt->create.name.s;
        made.partitions = src->partitions;
        made.window = src->window; /* a windowed table's rows keep their windows */
        made.window_size = src->window_size;
        made.window_hopping = src->window_hopping;
        made.key_format = src->key_format;
        made.value_format = src->value_format;
        if (npk && (made.key_format.kind == SL_SQL_FORMAT_NONE ||
                    (made.key_format.kind == SL_SQL_FORMAT_KAFKA && npk > 1)))
            made.key_format.kind = npk > 1 ? SL_SQL_FORMAT_JSON : SL_SQL_FORMAT_KAFKA;
        if ((err = sl__sqls_sink_formats(stmt, &made.key_format, &made.value_format, errbuf,
                                         errlen)))
            return err;
        if ((err = sl__sqls_sink_timestamp(s, stmt, &made, &restamp, errbuf, errlen)))
            return err;
        made.sql = NULL;
        if ((err = sl__sqls_add_target(s, stmt, &made, &target, errbuf, errlen)) || !target)
            return err; /* !target: IF NOT EXISTS, and it exists */
    }
    /* The topology: source, filter, projection, sink. */
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = sl__sqls_source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    const sl_serde_t *ks, *vs;
    char m[512];
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    if (target->window) {
        sl_serde_t *wks = sl_arena_alloc(a, sizeof *wks);
        if (!wks)
            return SL_ERR_NOMEM;
        *wks = target->window == 2 ? sl_serde_session_windowed(ks)
                                   : sl_serde_time_windowed(ks, target->window_size);
        ks = wks;
    }
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    if (stream) {
        if (q->where)
            stream = sl_kstream_filter(stream, sl__sqls_where_pass, q);
        if (q->tf)
            stream = sl_kstream_flat_map(stream, sl__sqls_stream_project_tf, q);
        else
            stream = sl_kstream_map(stream,
                                    q->window ? sl__sqls_stream_project_in_window
                                              : sl__sqls_stream_project,
                                    q);
        stream = sl__sqls_restamp(stream, restamp);
        /* The key is the source's (selected as it is): no repartition. */
        sl_kstream_to(stream, target->topic, &p);
    } else {
        if (q->where)
            table = sl_ktable_filter(table, sl__sqls_where_pass, q, NULL);
        sl_materialized_t rm;
        table = sl_ktable_map_values(table, sl__sqls_table_project, q,
                                     sl__sqls_result_store(s, &rm, ks, vs));
        sl_kstream_to(sl__sqls_restamp(sl_ktable_to_stream(table), restamp), target->topic, &p);
    }
    return sl__sqls_query_built(s, errbuf, errlen);
}



/* ---- INSERT INTO … VALUES ----------------------------------------------------------------------------- */

/* May INSERT … VALUES put a value of type from into a column of type to?
 * ksqlDB's strict coercion: numbers widen (INT → BIGINT → DECIMAL → DOUBLE),
 * strings become DATE, TIME and TIMESTAMP when they parse, containers
 * element by element; nothing else changes type. */
static int insert_coerces(const sl_sql_type_t *from, const sl_sql_type_t *to)
{
    if (sl_sql_type_equal(from, to))
        return 1;
    switch (from->base) {
    case SL_SQL_INT:
        return to->base == SL_SQL_BIGINT || to->base == SL_SQL_DECIMAL ||
               to->base == SL_SQL_DOUBLE;
    case SL_SQL_BIGINT:
        return to->base == SL_SQL_DECIMAL || to->base == SL_SQL_DOUBLE;
    case SL_SQL_DECIMAL:
        return to->base == SL_SQL_DECIMAL || to->base == SL_SQL_DOUBLE;
    case SL_SQL_STRING:
        return to->base == SL_SQL_TIMESTAMP || to->base == SL_SQL_DATE ||
               to->base == SL_SQL_TIME;
    case SL_SQL_ARRAY:
        return to->base == SL_SQL_ARRAY && (!from->item || insert_coerces(from->item, to->item));
    case SL_SQL_MAP:
        return to->base == SL_SQL_MAP && (!from->item || insert_coerces(from->item, to->item));
    case SL_SQL_STRUCT:
        return to->base == SL_SQL_STRUCT;
    default:
        return 0;
    }
}

static sl_err_t insert_values(sl_sql_session_t *s, const sl_sql_stmt_t *stmt, char *errbuf,
                              size_t errlen)
{
    const sl_sql_datasource_t *t = sl_sql_catalog_find(s->catalog, stmt->insert.target.s);
    if (!t) {
        sl__sqls_fail(errbuf, errlen, "Cannot insert values into an unknown stream/table: %s",
             stmt->insert.target.s);
        return SL_ERR_INVAL;
    }
    if (t->read_only) {
        sl__sqls_fail(errbuf, errlen, "Cannot insert values into read-only %s: %s",
             t->table ? "table" : "stream", t->name);
        return SL_ERR_INVAL;
    }
    if (t->window) {
        sl__sqls_fail(errbuf, errlen, "Cannot insert values into windowed stream/table!");
        return SL_ERR_INVAL;
    }
    /* The columns given: as listed, or every key and value column in
     * declaration order (header columns are not written by INSERT). */
    sl_arena_t *a = &s->arena;
    size_t n = stmt->insert.ncolumns;
    const char **names = sl_arena_alloc(a, (t->ncols + n + 1) * sizeof *names);
    if (!names)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        names[i] = stmt->insert.columns[i].s;
    for (size_t i = 0; !stmt->insert.ncolumns && i < t->ncols; i++)
        if (t->cols[i].role == SL_SQL_ROLE_KEY || t->cols[i].role == SL_SQL_ROLE_VALUE)
            names[n++] = t->cols[i].name;
    if (n != stmt->insert.nvalues) {
        /* ksqlDB: "…to match: [K, A], ['x']". */
        sl_buf_t cb = SL_BUF_INIT, vb = SL_BUF_INIT;
        for (size_t i = 0; i < n; i++) {
            const char *c = names[i];
            sl_buf_append(&cb, i ? ", " : "", i ? 2 : 0);
            sl_buf_append(&cb, c, strlen(c));
        }
        for (size_t i = 0; i < stmt->insert.nvalues; i++) {
            sl_buf_append(&vb, i ? ", " : "", i ? 2 : 0);
            sl_sql_expr_print(stmt->insert.values[i], &vb);
        }
        sl__sqls_fail(errbuf, errlen, "Expected number columns and values to match: [%.*s], [%.*s]",
                      (int)cb.len, cb.data ? (const char *)cb.data : "", (int)vb.len,
                      vb.data ? (const char *)vb.data : "");
        sl_buf_free(&cb);
        sl_buf_free(&vb);
        return SL_ERR_INVAL;
    }
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
        const char *name = names[i];
        const sl_sql_expr_t *x = stmt->insert.values[i];
        const sl_sql_cexpr_t *ce;
        const sl_sql_type_t *from;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(x, &none, &o, a, &ce, &from, &e)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            return SL_ERR_INVAL;
        }
        char msg[256] = "";
        sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
        sl_sql_value_t v;
        if (sl_sql_expr_eval(ce, NULL, NULL, &fc, &v)) {
            sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", x->pos.line, x->pos.col, msg);
            return SL_ERR_INVAL;
        }
        if (!strcmp(name, "ROWPARTITION") || !strcmp(name, "ROWOFFSET")) {
            sl__sqls_fail(errbuf, errlen, "Inserting into column %s is not allowed.", name);
            return SL_ERR_INVAL;
        }
        if (!strcmp(name, "ROWTIME")) {
            const sl_sql_type_t *bt = sl_sql_type_prim(SL_SQL_BIGINT);
            sl_sql_value_t tv;
            if (v.is_null || sl_sql_cast(&al, from, &v, bt, &tv, msg, sizeof msg)) {
                sl__sqls_fail(errbuf, errlen, "ROWTIME must be a BIGINT: %s", msg);
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
            sl__sqls_fail(errbuf, errlen, "Column name %s does not exist.", name);
            return SL_ERR_INVAL;
        }
        if (v.is_null) {
            *dst = sl_sql_value_null(to);
        } else if (sl_sql_type_equal(from, to)) {
            *dst = v;
        } else if (!insert_coerces(from, to) ||
                   sl_sql_cast(&al, from, &v, to, dst, msg, sizeof msg)) {
            /* ksqlDB: "Expected type INTEGER for field A but got STRING(seven)". */
            sl_buf_t tt = SL_BUF_INIT, ft = SL_BUF_INIT;
            sl_sql_type_format(to, SL_SQL_TYPE_SQL, &tt);
            sl_sql_type_format(from, SL_SQL_TYPE_SQL, &ft);
            sl_sql_value_t text;
            const sl_sql_type_t *st = sl_sql_type_prim(SL_SQL_STRING);
            char vm[64];
            int shown = !sl_sql_cast(&al, from, &v, st, &text, vm, sizeof vm);
            const char *hint = from->base != SL_SQL_STRING ? ""
                               : to->base == SL_SQL_TIMESTAMP
                                   ? ". Timestamp format must be yyyy-mm-ddThh:mm:ss[.S]"
                               : to->base == SL_SQL_DATE ? ". Date format must be yyyy-mm-dd"
                               : to->base == SL_SQL_TIME ? ". Time format must be hh:mm:ss[.S]"
                                                          : "";
            sl__sqls_fail(errbuf, errlen, "Expected type %.*s for field %s but got %.*s(%.*s)%s",
                          (int)tt.len, tt.data ? (const char *)tt.data : "", name, (int)ft.len,
                          ft.data ? (const char *)ft.data : "", shown ? (int)text.len : 0,
                          shown ? text.u.str : "", hint);
            sl_buf_free(&tt);
            sl_buf_free(&ft);
            return SL_ERR_INVAL;
        }
    }
    /* A table's row needs its key. */
    if (t->table) {
        sl_buf_t miss = SL_BUF_INIT;
        for (size_t k = 0; k < t->key_schema.ncols; k++) {
            if (!kv[k].is_null)
                continue;
            sl_buf_append(&miss, miss.len ? ", " : "", miss.len ? 2 : 0);
            sl_buf_append(&miss, t->key_schema.cols[k].name, strlen(t->key_schema.cols[k].name));
        }
        if (miss.len) {
            sl__sqls_fail(errbuf, errlen,
                          "Value for primary key column(s) %.*s is required for tables",
                          (int)miss.len, (const char *)miss.data);
            sl_buf_free(&miss);
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
        sl__sqls_fail(errbuf, errlen, "%s", m);
    if (!err && (err = sl_sql_row_serialize(&t->value_format, &t->value_schema, &vrow, &vb,
                                            &vnull, m, sizeof m)))
        sl__sqls_fail(errbuf, errlen, "%s", m);
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
        r->topic = sl__sqls_arena_str(a, t->topic);
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

/* Remembers the query just compiled (s->query_id): its sink and its
 * sources (names copied). */
static sl_err_t record_query_as(sl_sql_session_t *s, const char *sink, const char *const *sources,
                                size_t nsources)
{
    if (s->nqueries_rec == s->queries_cap) {
        size_t nc = s->queries_cap ? s->queries_cap * 2 : 8;
        struct session_query *g = realloc(s->queries, nc * sizeof *g);
        if (!g)
            return SL_ERR_NOMEM;
        s->queries = g, s->queries_cap = nc;
    }
    struct session_query *q = &s->queries[s->nqueries_rec];
    q->id = s->query_id;
    q->sink = sl__sqls_arena_str(&s->arena, sink);
    q->nsources = nsources;
    q->sources = sl_arena_alloc(&s->arena, (nsources ? nsources : 1) * sizeof *q->sources);
    if (!q->sink || !q->sources)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < nsources; i++)
        if (!(q->sources[i] = sl__sqls_arena_str(&s->arena, sources[i])))
            return SL_ERR_NOMEM;
    s->nqueries_rec++;
    return SL_OK;
}

/* Remembers the query a statement just compiled. */
static sl_err_t record_query(sl_sql_session_t *s, const sl_sql_stmt_t *stmt)
{
    const sl_sql_query_t *qa =
        stmt->kind == SL_SQL_STMT_INSERT_SELECT ? stmt->insert.query : stmt->create.query;
    const char **sources = sl_arena_alloc(&s->arena, (qa->njoins + 1) * sizeof *sources);
    if (!sources)
        return SL_ERR_NOMEM;
    sources[0] = qa->from.name.s;
    for (size_t i = 0; i < qa->njoins; i++)
        sources[i + 1] = qa->joins[i]->source.name.s;
    return record_query_as(s,
                           stmt->kind == SL_SQL_STMT_INSERT_SELECT ? stmt->insert.target.s
                                                                   : stmt->create.name.s,
                           sources, qa->njoins + 1);
}

static const void *same_value(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    (void)arg, (void)ctx, (void)key;
    return value;
}

/* CREATE SOURCE TABLE in materializing mode (the shell's): a query of its
 * own, CST_<NAME>_<n>, keeps the table's rows in its result store for pull
 * queries, as ksqlDB materializes source tables. It writes no topic; it is
 * recorded as writing the table, so pull queries find it. */
static sl_err_t materialize_source(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                   char *errbuf, size_t errlen)
{
    const sl_sql_datasource_t *src = sl_sql_catalog_find(s->catalog, stmt->create.name.s);
    if (!src)
        return SL_ERR_INVAL;
    char idbuf[200];
    snprintf(idbuf, sizeof idbuf, "CST_%s_%d", src->name, s->nqueries);
    sl_err_t err = begin_query(s, idbuf);
    if (err)
        return err;
    query_t *q = sl_arena_alloc(&s->arena, sizeof *q);
    if (!q)
        return SL_ERR_NOMEM;
    memset(q, 0, sizeof *q);
    q->id = s->query_id;
    q->ts_slot = -1; /* (a TIMESTAMP column does not change what the table holds) */
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = sl__sqls_source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    const sl_serde_t *ks, *vs;
    if ((err = source_serdes(s, src, &ks, &vs, errbuf, errlen)))
        return err;
    sl_materialized_t rm;
    sl_ktable_map_values(table, same_value, NULL, sl__sqls_result_store(s, &rm, ks, vs));
    if ((err = sl__sqls_query_built(s, errbuf, errlen)))
        return err;
    return record_query_as(s, src->name, &src->name, 1);
}

/* DROP of a stream or table that queries read or write: refused, in
 * ksqlDB's words (they would have to be terminated first). */
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
    case SL_SQL_STMT_CREATE_SOURCE: {
        /* OR REPLACE of a source that queries use: see replace_source_check. */
        if (stmt->create.or_replace && sl_sql_catalog_find(s->catalog, stmt->create.name.s) &&
            (err = replace_source_check(s, stmt->create.name.s, errbuf, errlen)))
            return err;
        int existed = sl_sql_catalog_find(s->catalog, stmt->create.name.s) != NULL;
        if ((err = sl_sql_catalog_apply(s->catalog, stmt, message, errbuf, errlen)))
            return err;
        if (!stmt->create.source || !stmt->create.table || !s->materialize || existed)
            return SL_OK;
        if ((err = materialize_source(s, stmt, errbuf, errlen))) {
            /* As if it had not been: the table goes again. */
            sl_sql_stmt_t drop = {.kind = SL_SQL_STMT_DROP_SOURCE};
            drop.drop.table = true;
            drop.drop.name = stmt->create.name;
            const char *dm;
            sl_sql_catalog_apply(s->catalog, &drop, &dm, NULL, 0);
        }
        return err;
    }
    case SL_SQL_STMT_DROP_SOURCE:
        if ((err = in_use_check(s, stmt->drop.name.s, "drop", errbuf, errlen)))
            return err;
        return sl_sql_catalog_apply(s->catalog, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_CREATE_TYPE:
    case SL_SQL_STMT_DROP_TYPE:
        return sl_sql_catalog_apply(s->catalog, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_CREATE_AS:
    case SL_SQL_STMT_INSERT_SELECT:
    {
        int before = s->nqueries;
        s->upgrade = s->last_upgraded = 0;
        err = compile_query(s, stmt, errbuf, errlen);
        if (!err && s->nqueries > before) {
            if (!s->upgrade && (err = record_query(s, stmt)))
                return err;
            if ((err = sl__sqls_upgrade_finish(s, stmt)))
                return err;
            snprintf(s->message, sizeof s->message, "Created query with ID %s", s->query_id);
            *message = s->message;
        }
        return err;
    }
    case SL_SQL_STMT_INSERT_VALUES:
        err = insert_values(s, stmt, errbuf, errlen);
        if (!err)
            *message = "Inserted";
        return err;
    case SL_SQL_STMT_SET:
    case SL_SQL_STMT_UNSET:
        /* The properties the compiler reads (the shell keeps the others). */
        if (!sl_sql_session_is_property(stmt->set.name))
            break;
        if ((err = sl_sql_session_set_property(s, stmt->set.name,
                                               stmt->kind == SL_SQL_STMT_SET ? stmt->set.value
                                                                             : NULL,
                                               errbuf, errlen)))
            return err;
        *message = stmt->kind == SL_SQL_STMT_SET ? "Successfully changed local property."
                                                 : "Successfully unset local property.";
        return SL_OK;
    default:
        break;
    }
    sl__sqls_fail(errbuf, errlen,
                  "line %u:%u: %s statements are not supported by Sluice's SQL compiler yet",
                  stmt->pos.line, stmt->pos.col, sl_sql_stmt_kind_str(stmt->kind));
    return SL_ERR_UNSUPPORTED;
}
