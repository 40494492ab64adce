/* session_agg.c — GROUP BY and aggregates: a stream or table re-keyed by the
 * grouping expressions, a state row per group (and window) in a store, HAVING
 * and the projection over the grouping columns and the aggregate results. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/trace.h"
#include "sql/session_int.h"

/* ---- GROUP BY and aggregates ---------------------------------------------------------------------
 * stream → WHERE → map(new key: the GROUP BY values; value: the source's key
 * and value columns) → group (a repartition) → aggregate (a state row per
 * group in a store) → HAVING → the projection → sink. Grouping a stream by
 * its own key columns needs no repartition: the value still gets the key
 * columns (map_values). A table goes through table group_by (a repartition
 * carrying old and new rows) and an aggregate with an adder and a
 * subtractor, for the aggregates ksqlDB can undo (its TableUdafs).
 *
 * Aggregate arguments see the source's key and value columns (the records
 * that reach the aggregator carry both). The result scope of HAVING and the
 * projection: the GROUP BY columns, then one slot per aggregate call.
 *
 * The state row (JSON in the store) has one or more slots per aggregate:
 *   COUNT, SUM, MIN, MAX, LATEST/EARLIEST_BY_OFFSET: the value so far
 *   LATEST/EARLIEST_BY_OFFSET with N, or with ignoreNulls FALSE: the ARRAY
 *     of the latest (earliest) N values, oldest first (N 1 for the one-value
 *     form: an empty ARRAY is "none yet", where a NULL value may count)
 *   AVG: sum (DOUBLE), count
 *   COUNT_DISTINCT: the distinct values (ARRAY) — exact, where ksqlDB's
 *     HyperLogLog estimates (the same for the small counts of tests)
 *   COLLECT_LIST, COLLECT_SET, TOPK, TOPKDISTINCT (sorted, largest first):
 *     the ARRAY; HISTOGRAM: the MAP<STRING, BIGINT>
 *   STDDEV_SAMP, STDDEV_SAMPLE: count, sum, M2 (Youngs-Cramer, as ksqlDB)
 *   CORRELATION: sums of x, y, x², y², xy, and the count
 * Every state value is made in the record's memory; the old state is never
 * changed in place (the engine still emits it as the old value). */

static sl_sql_fn_ctx_t fn_ctx(sl_ctx_t *ctx, sl_sql_alloc_t *al, char *msg, size_t len)
{
    *al = sl_sql_alloc_mem(sl_ctx_mem(ctx));
    return (sl_sql_fn_ctx_t){.al = al, .errbuf = msg, .errlen = len};
}

/* How many state slots an aggregate has. */
static size_t state_slots(agg_kind_t kind)
{
    switch (kind) {
    case AGG_AVG:
        return 2;
    case AGG_STDDEV_SAMP:
    case AGG_STDDEV_SAMPLE:
        return 3;
    case AGG_CORRELATION:
        return 6;
    default:
        return 1;
    }
}

/* A windowed table's row (GROUP BY over one, in a push query): its key is
 * the key columns in their window, and the row carries WINDOWSTART and
 * WINDOWEND after its other columns (sl__sqls_window_scope's slots), for
 * the re-grouping takes the window off the key. */
static const void *carry_windowed_row(sl_ctx_t *ctx, const gquery_t *g, const void *key,
                                      const void *value)
{
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    key = sl__sqls_window_key(&g->q, key, pseudo);
    size_t n = g->q.nkey + g->q.nvalue + g->q.nheader;
    const sl_sql_value_t *cols = sl__sqls_slots(ctx, &g->q, key, value);
    sl_sql_value_t *row = sl_ctx_alloc(ctx, (n + 2) * sizeof *row);
    sl_sql_row_t *r = sl_ctx_alloc(ctx, sizeof *r);
    if (!cols || !row || !r) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(row, cols, n * sizeof *row);
    row[n] = pseudo[SL_SQL_PSEUDO_WINDOWSTART];
    row[n + 1] = pseudo[SL_SQL_PSEUDO_WINDOWEND];
    *r = (sl_sql_row_t){n + 2, row};
    return r;
}

/* The record as the aggregator sees it: the source's key, value and header
 * columns. */
static const void *carry_row(sl_ctx_t *ctx, const gquery_t *g, const void *key, const void *value)
{
    if (g->q.window)
        return carry_windowed_row(ctx, g, key, value);
    sl_sql_value_t *row = sl__sqls_slots(ctx, &g->q, key, value);
    sl_sql_row_t *r = sl_ctx_alloc(ctx, sizeof *r);
    if (!row || !r) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    *r = (sl_sql_row_t){g->q.nkey + g->q.nvalue + g->q.nheader, row};
    return r;
}

/* Grouping by the source's own key: the value gains the key columns. */
static const void *carry_key(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    if (!value)
        return NULL; /* a stream's null value: skipped by the aggregation */
    /* WHERE, here rather than in a filter node of its own: adding or
     * removing it does not shift the generated names of the repartition
     * topic and the store, which an upgraded query keeps (query upgrades). */
    const gquery_t *g = arg;
    if (g->q.where && !sl__sqls_where_pass((void *)&g->q, ctx, key, value))
        return NULL;
    return carry_row(ctx, arg, key, value);
}

/* The new key (the GROUP BY values) and the carried row. A NULL grouping
 * value leaves the record out, as ksqlDB does ("excluded from the table"). */
static void regroup(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                    const void **out_key, const void **out_value)
{
    const gquery_t *g = arg;
    *out_key = NULL, *out_value = NULL;
    if (!value)
        return;
    /* WHERE (see carry_key): a row it leaves out has no group — over a
     * table, its old version is then not subtracted either, as a filter
     * before the grouping would have it. */
    if (g->q.where && !sl__sqls_where_pass((void *)&g->q, ctx, key, value))
        return;
    const sl_sql_row_t *carried = carry_row(ctx, g, key, value);
    sl_sql_row_t *k = sl_ctx_alloc(ctx, sizeof *k);
    sl_sql_value_t *kv = sl_ctx_alloc(ctx, (g->ngroup ? g->ngroup : 1) * sizeof *kv);
    if (!carried || !k || !kv) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    for (size_t i = 0; i < g->ngroup; i++) {
        if (sl_sql_expr_eval(g->group[i], carried->values, pseudo, &fc, &kv[i]) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "GROUP BY", msg);
        if (kv[i].is_null)
            return;
    }
    *k = (sl_sql_row_t){g->ngroup, kv};
    *out_key = k, *out_value = carried;
}

static int key_not_null(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    (void)arg, (void)ctx, (void)value;
    return key != NULL;
}

/* ---- values of the states ---- */

/* An ARRAY or MAP state's length (a NULL one is empty). */
static size_t alen(const sl_sql_value_t *s) { return s->is_null ? 0 : s->len; }

static sl_sql_value_t array_of(sl_sql_value_t *items, size_t n)
{
    sl_sql_value_t v = {.base = SL_SQL_ARRAY, .len = (uint32_t)n};
    v.u.items = items;
    return v;
}

static sl_sql_value_t map_of(sl_sql_value_t *items, size_t n)
{
    sl_sql_value_t v = {.base = SL_SQL_MAP, .len = (uint32_t)n};
    v.u.items = items;
    return v;
}

/* n items in the record's memory (at least one, so never NULL for n 0). */
static sl_sql_value_t *items_new(sl_ctx_t *ctx, size_t n)
{
    return sl_ctx_alloc(ctx, (n ? n : 1) * sizeof(sl_sql_value_t));
}

static double as_double(const sl_sql_value_t *x)
{
    switch (x->base) {
    case SL_SQL_INT:
        return (double)x->u.i32;
    case SL_SQL_BIGINT:
        return (double)x->u.i64;
    case SL_SQL_DECIMAL: {
        double d = (double)x->u.dec;
        for (int i = 0; i < x->scale; i++)
            d /= 10.0;
        return d;
    }
    default:
        return x->u.d;
    }
}

static sl_sql_i128_t pow10_i128(int n)
{
    sl_sql_i128_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* Where v is in the array items[0..n) (equal as GROUP BY keys are), or -1;
 * last: the last occurrence. */
static long find_item(const sl_sql_value_t *items, size_t n, const sl_sql_value_t *v, int last)
{
    if (last) {
        for (size_t i = n; i-- > 0;)
            if (sl_sql_value_equal(&items[i], v))
                return (long)i;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (sl_sql_value_equal(&items[i], v))
            return (long)i;
    return -1;
}

/* s with x appended; NULL on no memory. */
static int array_push(sl_ctx_t *ctx, sl_sql_value_t *s, const sl_sql_value_t *x)
{
    size_t n = s->is_null ? 0 : s->len;
    sl_sql_value_t *it = items_new(ctx, n + 1);
    if (!it)
        return -1;
    if (n)
        memcpy(it, s->u.items, n * sizeof *it);
    it[n] = *x;
    *s = array_of(it, n + 1);
    return 0;
}

/* s with x appended when it has fewer than limit items (limit -1: no
 * limit); a full one loses its first item for x when drop_first. */
static int array_push_bounded(sl_ctx_t *ctx, sl_sql_value_t *s, const sl_sql_value_t *x,
                              int64_t limit, int drop_first)
{
    size_t n = alen(s);
    if (limit < 0 || (int64_t)n < limit)
        return array_push(ctx, s, x);
    if (!drop_first || limit == 0)
        return 0;
    size_t m = (size_t)limit;
    sl_sql_value_t *it = items_new(ctx, m);
    if (!it)
        return -1;
    memcpy(it, s->u.items + (n - m + 1), (m - 1) * sizeof *it);
    it[m - 1] = *x;
    *s = array_of(it, m);
    return 0;
}

/* s without its item i. */
static int array_remove(sl_ctx_t *ctx, sl_sql_value_t *s, size_t i)
{
    size_t n = s->len;
    sl_sql_value_t *it = items_new(ctx, n - 1);
    if (!it)
        return -1;
    memcpy(it, s->u.items, i * sizeof *it);
    memcpy(it + i, s->u.items + i + 1, (n - i - 1) * sizeof *it);
    *s = array_of(it, n - 1);
    return 0;
}

/* TOPK: x into the sorted (largest first) array s, keeping k items;
 * distinct: nothing when x is there already. */
static int topk_insert(sl_ctx_t *ctx, sl_sql_value_t *s, const sl_sql_value_t *x, int64_t k,
                       int distinct)
{
    size_t n = s->is_null ? 0 : s->len;
    if (distinct && find_item(s->u.items, n, x, 0) >= 0)
        return 0;
    size_t at = 0;
    while (at < n && sl_sql_value_compare(&s->u.items[at], x) >= 0)
        at++;
    if ((int64_t)at >= k)
        return 0;
    size_t m = n + 1 > (size_t)k ? (size_t)k : n + 1;
    sl_sql_value_t *it = items_new(ctx, m);
    if (!it)
        return -1;
    if (at)
        memcpy(it, s->u.items, at * sizeof *it);
    it[at] = *x;
    if (m > at + 1)
        memcpy(it + at + 1, s->u.items + at, (m - at - 1) * sizeof *it);
    *s = array_of(it, m);
    return 0;
}

/* HISTOGRAM: the count of x plus delta (an entry at zero goes; ksqlDB's
 * limit of 1000 distinct values holds). */
static int histogram_add(sl_ctx_t *ctx, sl_sql_value_t *s, const sl_sql_value_t *x, int64_t delta)
{
    size_t n = s->is_null ? 0 : s->len;
    long at = -1;
    for (size_t i = 0; i < n && at < 0; i++)
        if (sl_sql_value_equal(&s->u.items[2 * i], x))
            at = (long)i;
    if (at < 0 && (delta < 0 || n >= 1000))
        return 0;
    int64_t c = (at >= 0 ? s->u.items[2 * at + 1].u.i64 : 0) + delta;
    size_t m = at < 0 ? n + 1 : c < 1 ? n - 1 : n;
    sl_sql_value_t *it = items_new(ctx, 2 * m);
    if (!it)
        return -1;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if ((long)i == at && c < 1)
            continue;
        it[2 * j] = s->u.items[2 * i];
        it[2 * j + 1] = (long)i == at ? sl_sql_value_bigint(c) : s->u.items[2 * i + 1];
        j++;
    }
    if (at < 0) {
        it[2 * j] = *x;
        it[2 * j + 1] = sl_sql_value_bigint(c);
    }
    *s = map_of(it, m);
    return 0;
}

/* ---- the initializer, adder, subtractor and merger ---- */

/* Does a *_BY_OFFSET aggregate keep an ARRAY (its N form, or NULLs that
 * count)? */
static int by_offset_array(const agg_spec_t *a) { return a->k > 0 || a->keep_nulls; }

/* The N of a *_BY_OFFSET aggregate's ARRAY (1 for the one-value form). */
static int64_t by_offset_n(const agg_spec_t *a) { return a->k > 0 ? a->k : 1; }

static const void *agg_init(void *arg, sl_ctx_t *ctx)
{
    const gquery_t *g = arg;
    sl_sql_row_t *st = sl_ctx_alloc(ctx, sizeof *st);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (g->nstate ? g->nstate : 1) * sizeof *v);
    if (!st || !v)
        return NULL;
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t *s = &v[a->state];
        switch (a->kind) {
        case AGG_COUNT:
            *s = sl_sql_value_bigint(0);
            break;
        case AGG_AVG:
            s[0] = sl_sql_value_double(0);
            s[1] = sl_sql_value_bigint(0);
            break;
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE:
            s[0] = sl_sql_value_bigint(0);
            s[1] = sl_sql_value_double(0);
            s[2] = sl_sql_value_double(0);
            break;
        case AGG_CORRELATION:
            for (int j = 0; j < 5; j++)
                s[j] = sl_sql_value_double(0);
            s[5] = sl_sql_value_bigint(0);
            break;
        case AGG_SUM:
            *s = a->type->base == SL_SQL_INT       ? sl_sql_value_int(0)
                 : a->type->base == SL_SQL_BIGINT  ? sl_sql_value_bigint(0)
                 : a->type->base == SL_SQL_DECIMAL ? sl_sql_value_decimal(0, a->type->precision,
                                                                          a->type->scale)
                                                   : sl_sql_value_double(0);
            break;
        case AGG_COUNT_DISTINCT:
        case AGG_COLLECT_LIST:
        case AGG_COLLECT_SET:
        case AGG_TOPK:
        case AGG_TOPK_DISTINCT:
            *s = array_of(NULL, 0);
            break;
        case AGG_HISTOGRAM:
            *s = map_of(NULL, 0);
            break;
        case AGG_LATEST:
        case AGG_EARLIEST:
            *s = by_offset_array(a) ? array_of(NULL, 0) : sl_sql_value_null(a->type);
            break;
        default:
            *s = sl_sql_value_null(a->type);
        }
    }
    *st = (sl_sql_row_t){g->nstate, v};
    return st;
}

/* The state row to change: a copy of the old one's slots. */
static sl_sql_row_t *state_copy(sl_ctx_t *ctx, const gquery_t *g, const sl_sql_row_t *old)
{
    sl_sql_row_t *st = sl_ctx_alloc(ctx, sizeof *st);
    sl_sql_value_t *v = sl_ctx_alloc(ctx, (g->nstate ? g->nstate : 1) * sizeof *v);
    if (!st || !v || !old || old->n != g->nstate) {
        sl_ctx_fail(ctx, SL_ERR_PROCESSING, "bad aggregate state");
        return NULL;
    }
    memcpy(v, old->values, g->nstate * sizeof *v);
    *st = (sl_sql_row_t){g->nstate, v};
    return st;
}

/* Is an aggregate's input NULL skipped? (COLLECT_LIST and COLLECT_SET keep
 * NULLs, as ksqlDB's do, and so do *_BY_OFFSET with ignoreNulls FALSE; the
 * others ignore them.) */
static int skips_null(const agg_spec_t *a)
{
    return a->kind != AGG_COLLECT_LIST && a->kind != AGG_COLLECT_SET && !a->keep_nulls;
}

/* Adds (sign 1) or undoes (sign -1: a table's subtractor) one record. */
static const void *agg_apply(const gquery_t *g, sl_ctx_t *ctx, const void *value,
                             const void *aggregate, int sign)
{
    const sl_sql_row_t *val = value;
    sl_sql_row_t *st = state_copy(ctx, g, aggregate);
    if (!st)
        return NULL;
    sl_sql_value_t *v = st->values;
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    sl__sqls_pseudo_of(ctx, pseudo);
    sl_sql_alloc_t al;
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = fn_ctx(ctx, &al, msg, sizeof msg);
    sl_sql_value_t nullv = {.is_null = 1};
    const sl_sql_value_t *row = val ? val->values : &nullv;
    int nomem = 0;
    for (size_t i = 0; i < g->naggs && !nomem; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t x = {.is_null = 0}, y = {.is_null = 0};
        msg[0] = 0;
        if (a->arg && sl_sql_expr_eval(a->arg, row, pseudo, &fc, &x) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "aggregate", msg);
        if (a->arg2 && sl_sql_expr_eval(a->arg2, row, pseudo, &fc, &y) != SL_OK)
            sl__sqls_log_failure(&g->q, ctx, "aggregate", msg);
        sl_sql_value_t *s = &v[a->state];
        if (a->arg && (x.is_null || (a->arg2 && y.is_null)) && skips_null(a))
            continue; /* aggregates skip NULLs, as SQL's and ksqlDB's do */
        switch (a->kind) {
        case AGG_COUNT:
            s->u.i64 += sign;
            break;
        case AGG_SUM:
            if (s->base == SL_SQL_INT) {
                s->u.i32 = (int32_t)((uint32_t)s->u.i32 + (uint32_t)(sign * x.u.i32));
            } else if (s->base == SL_SQL_BIGINT) {
                s->u.i64 = (int64_t)((uint64_t)s->u.i64 + (uint64_t)(sign * x.u.i64));
            } else if (s->base == SL_SQL_DECIMAL) {
                sl_sql_value_t dx = x;
                if (x.scale != s->scale &&
                    sl_sql_cast(&al, sl_sql_cexpr_type(a->arg), &x, a->type, &dx, msg,
                                sizeof msg) != SL_OK) {
                    sl__sqls_log_failure(&g->q, ctx, "SUM", msg);
                    break;
                }
                sl_sql_i128_t r = s->u.dec + (sign > 0 ? dx.u.dec : -dx.u.dec);
                sl_sql_i128_t lim = pow10_i128(s->precision);
                if (r >= lim || r <= -lim) {
                    snprintf(msg, sizeof msg,
                             "Numeric field overflow: A field with precision %d and scale %d "
                             "must round to an absolute value less than 10^%d.",
                             s->precision, s->scale, s->precision - s->scale);
                    sl__sqls_log_failure(&g->q, ctx, "SUM", msg);
                    break;
                }
                s->u.dec = r;
            } else {
                s->u.d += sign * x.u.d;
            }
            break;
        case AGG_AVG:
            s[0].u.d += sign * as_double(&x);
            s[1].u.i64 += sign;
            break;
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE: {
            /* Youngs-Cramer: with c values summing to S before (after, when
             * undoing), the change of M2 is (x·c' − S')² / (c'(c'−1))… */
            int64_t c = s[0].u.i64;
            double xd = as_double(&x), sum = s[1].u.d, m2 = s[2].u.d;
            if (sign > 0) {
                if (c > 0) {
                    double d = xd * (double)(c + 1) - (sum + xd);
                    m2 += d * d / ((double)(c + 1) * (double)c);
                }
                s[0].u.i64 = c + 1, s[1].u.d = sum + xd;
            } else {
                if (c - 1 > 0) {
                    double d = xd * (double)(c + 1) - (sum + xd);
                    m2 -= d * d / ((double)(c - 1) * (double)c);
                } else {
                    m2 = 0;
                }
                s[0].u.i64 = c - 1, s[1].u.d = sum - xd;
            }
            s[2].u.d = m2;
            break;
        }
        case AGG_CORRELATION: {
            double xd = as_double(&x), yd = as_double(&y);
            s[0].u.d += sign * xd;
            s[1].u.d += sign * yd;
            s[2].u.d += sign * xd * xd;
            s[3].u.d += sign * yd * yd;
            s[4].u.d += sign * xd * yd;
            s[5].u.i64 += sign;
            break;
        }
        case AGG_MIN:
        case AGG_MAX: {
            int c = s->is_null ? 0 : sl_sql_value_compare(&x, s);
            if (s->is_null || (a->kind == AGG_MIN ? c < 0 : c > 0))
                *s = x;
            break;
        }
        case AGG_LATEST:
            if (by_offset_array(a))
                nomem = array_push_bounded(ctx, s, &x, by_offset_n(a), 1);
            else
                *s = x;
            break;
        case AGG_EARLIEST:
            if (by_offset_array(a))
                nomem = array_push_bounded(ctx, s, &x, by_offset_n(a), 0);
            else if (s->is_null)
                *s = x;
            break;
        case AGG_COUNT_DISTINCT:
        case AGG_COLLECT_SET:
            if (sign > 0) {
                if (find_item(s->u.items, alen(s), &x, 0) < 0)
                    nomem = array_push_bounded(ctx, s, &x, a->limit, 0);
            } else {
                long at = find_item(s->u.items, alen(s), &x, 0);
                if (at >= 0)
                    nomem = array_remove(ctx, s, (size_t)at);
            }
            break;
        case AGG_COLLECT_LIST:
            if (sign > 0) {
                nomem = array_push_bounded(ctx, s, &x, a->limit, 0);
            } else {
                /* ksqlDB removes the last equal value. */
                long at = find_item(s->u.items, alen(s), &x, 1);
                if (at >= 0)
                    nomem = array_remove(ctx, s, (size_t)at);
            }
            break;
        case AGG_HISTOGRAM:
            nomem = histogram_add(ctx, s, &x, sign);
            break;
        case AGG_TOPK:
        case AGG_TOPK_DISTINCT:
            nomem = topk_insert(ctx, s, &x, a->k, a->kind == AGG_TOPK_DISTINCT);
            break;
        }
    }
    if (nomem) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return st;
}

static const void *agg_add(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                           const void *aggregate)
{
    (void)key;
    return agg_apply(arg, ctx, value, aggregate, 1);
}

/* A table's subtractor: the old row's contribution undone. */
static const void *agg_sub(void *arg, sl_ctx_t *ctx, const void *key, const void *value,
                           const void *aggregate)
{
    (void)key;
    return agg_apply(arg, ctx, value, aggregate, -1);
}

/* Session windows: two sessions' states merged when a record bridges them
 * (agg2 is the later session). */
static const void *agg_merge(void *arg, sl_ctx_t *ctx, const void *key, const void *agg1,
                             const void *agg2)
{
    const gquery_t *g = arg;
    const sl_sql_row_t *y = agg2;
    (void)key;
    sl_sql_row_t *st = state_copy(ctx, g, agg1);
    if (!st || !y || y->n != g->nstate) {
        if (st)
            sl_ctx_fail(ctx, SL_ERR_PROCESSING, "bad aggregate state");
        return NULL;
    }
    sl_sql_value_t *v = st->values;
    int nomem = 0;
    for (size_t i = 0; i < g->naggs && !nomem; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_value_t *s = &v[a->state];
        const sl_sql_value_t *o = &y->values[a->state];
        switch (a->kind) {
        case AGG_COUNT:
            s->u.i64 += o->u.i64;
            break;
        case AGG_AVG:
            s[0].u.d += o[0].u.d;
            s[1].u.i64 += o[1].u.i64;
            break;
        case AGG_SUM:
            if (s->base == SL_SQL_INT)
                s->u.i32 = (int32_t)((uint32_t)s->u.i32 + (uint32_t)o->u.i32);
            else if (s->base == SL_SQL_BIGINT)
                s->u.i64 = (int64_t)((uint64_t)s->u.i64 + (uint64_t)o->u.i64);
            else if (s->base == SL_SQL_DECIMAL)
                s->u.dec += o->u.dec;
            else
                s->u.d += o->u.d;
            break;
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE: {
            int64_t c1 = s[0].u.i64, c2 = o[0].u.i64;
            double m2 = s[2].u.d + o[2].u.d;
            if (c1 && c2) {
                double d = s[1].u.d / (double)c1 - o[1].u.d / (double)c2;
                m2 += (double)c1 * (double)c2 * d * d / (double)(c1 + c2);
            }
            s[0].u.i64 = c1 + c2, s[1].u.d += o[1].u.d, s[2].u.d = m2;
            break;
        }
        case AGG_CORRELATION:
            for (int j = 0; j < 5; j++)
                s[j].u.d += o[j].u.d;
            s[5].u.i64 += o[5].u.i64;
            break;
        case AGG_MIN:
        case AGG_MAX: {
            if (o->is_null)
                break;
            int c = s->is_null ? 0 : sl_sql_value_compare(o, s);
            if (s->is_null || (a->kind == AGG_MIN ? c < 0 : c > 0))
                *s = *o;
            break;
        }
        case AGG_LATEST:
        case AGG_EARLIEST:
            if (by_offset_array(a)) {
                /* The earlier session's values, then the later one's. */
                for (size_t j = 0; j < alen(o) && !nomem; j++)
                    nomem = array_push_bounded(ctx, s, &o->u.items[j], by_offset_n(a),
                                               a->kind == AGG_LATEST);
            } else if (a->kind == AGG_LATEST ? !o->is_null : s->is_null) {
                *s = *o;
            }
            break;
        case AGG_COLLECT_LIST:
            /* ksqlDB's limit: the first session's values, then the later one's. */
            for (size_t j = 0; j < alen(o) && !nomem; j++)
                nomem = array_push_bounded(ctx, s, &o->u.items[j], a->limit, 0);
            break;
        case AGG_COUNT_DISTINCT:
        case AGG_COLLECT_SET:
            for (size_t j = 0; j < alen(o) && !nomem; j++)
                if (find_item(s->u.items, alen(s), &o->u.items[j], 0) < 0)
                    nomem = array_push_bounded(ctx, s, &o->u.items[j], a->limit, 0);
            break;
        case AGG_HISTOGRAM:
            for (size_t j = 0; j < alen(o) && !nomem; j++)
                nomem = histogram_add(ctx, s, &o->u.items[2 * j], o->u.items[2 * j + 1].u.i64);
            break;
        case AGG_TOPK:
        case AGG_TOPK_DISTINCT:
            for (size_t j = 0; j < alen(o) && !nomem; j++)
                nomem = topk_insert(ctx, s, &o->u.items[j], a->k, a->kind == AGG_TOPK_DISTINCT);
            break;
        }
    }
    if (nomem) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return st;
}

/* The result scope's row: the group's key values, then the aggregates. */
static sl_sql_value_t *result_row(sl_ctx_t *ctx, const gquery_t *g, const sl_sql_row_t *key,
                                  const sl_sql_row_t *state)
{
    sl_sql_value_t *r = sl_ctx_alloc(ctx, (g->ngroup + g->naggs + 1) * sizeof *r);
    if (!r || !state || state->n != g->nstate)
        return NULL;
    for (size_t i = 0; i < g->ngroup; i++)
        r[i] = key && i < key->n ? key->values[i] : (sl_sql_value_t){.is_null = 1};
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        const sl_sql_value_t *s = &state->values[a->state];
        sl_sql_value_t *o = &r[g->ngroup + i];
        switch (a->kind) {
        case AGG_AVG: {
            int64_t n = s[1].u.i64;
            *o = sl_sql_value_double(n ? s[0].u.d / (double)n : 0.0); /* ksqlDB: 0.0 for none */
            break;
        }
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE: {
            int64_t n = s[0].u.i64;
            /* ksqlDB's STDDEV_SAMP gives the variance (documented); STDDEV_SAMPLE
             * its square root. Fewer than two values: 0.0. */
            double var = n < 2 ? 0.0 : s[2].u.d / (double)(n - 1);
            *o = sl_sql_value_double(a->kind == AGG_STDDEV_SAMP ? var : sqrt(var));
            break;
        }
        case AGG_CORRELATION: {
            double n = (double)s[5].u.i64, sx = s[0].u.d, sy = s[1].u.d;
            double num = n * s[4].u.d - sx * sy;
            double den = sqrt((n * s[2].u.d - sx * sx) * (n * s[3].u.d - sy * sy));
            *o = sl_sql_value_double(num / den);
            break;
        }
        case AGG_COUNT_DISTINCT:
            *o = sl_sql_value_bigint(s->is_null ? 0 : (int64_t)s->len);
            break;
        case AGG_LATEST:
        case AGG_EARLIEST:
            /* The one-value form with ignoreNulls FALSE: the ARRAY's item. */
            if (!a->k && a->keep_nulls)
                *o = alen(s) ? s->u.items[0] : sl_sql_value_null(a->type);
            else
                *o = *s;
            break;
        default:
            *o = *s;
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


/* t spelled as ksqlDB does, into buf. */
static const char *type_name(const sl_sql_type_t *t, char *buf, size_t len)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b);
    snprintf(buf, len, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return buf;
}

static const struct {
    const char *name;
    agg_kind_t kind;
    int table; /* ksqlDB can undo it (a TableUdaf): allowed over a table */
} known[] = {{"COUNT", AGG_COUNT, 1},
             {"SUM", AGG_SUM, 1},
             {"AVG", AGG_AVG, 1},
             {"MIN", AGG_MIN, 0},
             {"MAX", AGG_MAX, 0},
             {"LATEST_BY_OFFSET", AGG_LATEST, 0},
             {"EARLIEST_BY_OFFSET", AGG_EARLIEST, 0},
             {"COUNT_DISTINCT", AGG_COUNT_DISTINCT, 0},
             {"COLLECT_LIST", AGG_COLLECT_LIST, 1},
             {"COLLECT_SET", AGG_COLLECT_SET, 0},
             {"HISTOGRAM", AGG_HISTOGRAM, 1},
             {"TOPK", AGG_TOPK, 0},
             {"TOPKDISTINCT", AGG_TOPK_DISTINCT, 0},
             {"STDDEV_SAMP", AGG_STDDEV_SAMP, 1},
             {"STDDEV_SAMPLE", AGG_STDDEV_SAMPLE, 1},
             {"CORRELATION", AGG_CORRELATION, 1}};

#define NKNOWN (sizeof known / sizeof known[0])

/* Does the aggregate accept an argument of base type b? */
static int accepts(agg_kind_t kind, sl_sql_base_t b)
{
    int num = b == SL_SQL_INT || b == SL_SQL_BIGINT || b == SL_SQL_DOUBLE;
    switch (kind) {
    case AGG_SUM:
        return num || b == SL_SQL_DECIMAL;
    case AGG_AVG:            /* ksqlDB: no DECIMAL (its issue 8911) */
    case AGG_STDDEV_SAMP:
    case AGG_STDDEV_SAMPLE:
        return num;
    case AGG_CORRELATION:    /* DOUBLE, numbers widened to it */
        return num || b == SL_SQL_DECIMAL;
    case AGG_MIN:
    case AGG_MAX:
    case AGG_TOPK:
    case AGG_TOPK_DISTINCT:  /* comparable values */
        return num || b == SL_SQL_DECIMAL || b == SL_SQL_STRING || b == SL_SQL_BYTES ||
               b == SL_SQL_DATE || b == SL_SQL_TIME || b == SL_SQL_TIMESTAMP;
    case AGG_HISTOGRAM:
        return b == SL_SQL_STRING;
    default:
        return 1;
    }
}

/* ksqlDB's words for an aggregate call where none is allowed: the compiler's
 * "Aggregate functions are not allowed in CLAUSE: NAME" said as ksqlDB says
 * it for a nested call (in: the outer aggregate) or one in GROUP BY (in:
 * NULL). Other messages are copied as they are. */
static void agg_misplaced(char *errbuf, size_t errlen, const char *in, const sl_sql_error_t *e)
{
    static const char pre[] = "Aggregate functions are not allowed in ";
    const char *name = !strncmp(e->message, pre, sizeof pre - 1)
                           ? strstr(e->message + sizeof pre - 1, ": ")
                           : NULL;
    if (!name)
        sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e->line, e->col, e->message);
    else if (in)
        sl__sqls_fail(errbuf, errlen, "Aggregate functions can not be nested: %s(%s())", in,
                      name + 2);
    else
        sl__sqls_fail(errbuf, errlen,
                      "GROUP BY does not support aggregate functions: %s is an aggregate "
                      "function.",
                      name + 2);
}

/* The arguments after the first of LATEST_BY_OFFSET and EARLIEST_BY_OFFSET
 * (ksqlDB's forms: (col), (col, ignoreNulls), (col, N), (col, N,
 * ignoreNulls), N a positive INT literal, ignoreNulls a BOOLEAN one) into a:
 * N in a->k (0 without), ignoreNulls FALSE in a->keep_nulls. */
static int by_offset_args(gquery_t *g, const sl_sql_expr_t *call, const char *name,
                          const sl_sql_type_t *t, agg_spec_t *a, char *errbuf, size_t errlen)
{
    size_t n = call->call.nargs;
    const sl_sql_type_t *ts[3] = {t, NULL, NULL};
    sl_sql_expr_opts_t o = {.clause = name, .catalog = g->catalog};
    for (size_t i = 1; i < n; i++) {
        const sl_sql_cexpr_t *cx;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(call->call.args[i], g->value_scope, &o, g->arena, &cx, &ts[i],
                                &e)) {
            agg_misplaced(errbuf, errlen, name, &e);
            return -1;
        }
    }
    int base[3] = {-1, -1, -1};
    for (size_t i = 1; i < n; i++)
        base[i] = ts[i] ? (int)ts[i]->base : -1;
    /* Where N and ignoreNulls are (0: absent). */
    size_t at_n = 0, at_ignore = 0;
    if (n == 2 && base[1] == SL_SQL_BOOLEAN)
        at_ignore = 1;
    else if (n == 2 && base[1] == SL_SQL_INT)
        at_n = 1;
    else if (n == 3 && base[1] == SL_SQL_INT && base[2] == SL_SQL_BOOLEAN)
        at_n = 1, at_ignore = 2;
    if (!at_n && !at_ignore) {
        char tb[3][128];
        for (size_t i = 0; i < n; i++)
            if (!ts[i])
                snprintf(tb[i], sizeof tb[i], "NULL");
            else
                type_name(ts[i], tb[i], sizeof tb[i]);
        sl__sqls_fail(errbuf, errlen, "Function '%s' does not accept parameters (%s, %s%s%s).",
                      name, tb[0], tb[1], n == 3 ? ", " : "", n == 3 ? tb[2] : "");
        return -1;
    }
    if (at_n) {
        const sl_sql_expr_t *x = call->call.args[at_n];
        if (x->kind != SL_SQL_EXPR_INT || x->i < 1) {
            sl__sqls_fail(errbuf, errlen,
                          "Function '%s': its second argument (N) must be a positive INTEGER "
                          "literal.",
                          name);
            return -1;
        }
        a->k = x->i;
    }
    if (at_ignore) {
        const sl_sql_expr_t *x = call->call.args[at_ignore];
        if (x->kind != SL_SQL_EXPR_BOOL) {
            sl__sqls_fail(errbuf, errlen,
                          "Function '%s': its ignoreNulls argument must be a BOOLEAN literal "
                          "(TRUE or FALSE).",
                          name);
            return -1;
        }
        a->keep_nulls = !x->b;
    }
    return 0;
}

/* An aggregate call met in SELECT or HAVING: its slot in the result scope. */
static int on_aggregate(void *arg, const sl_sql_expr_t *call, uint32_t *slot,
                        const sl_sql_type_t **type, char *errbuf, size_t errlen)
{
    gquery_t *g = arg;
    const char *name = call->call.name.s;
    int kind = -1;
    for (size_t i = 0; i < NKNOWN; i++)
        if (!strcasecmp(name, known[i].name))
            kind = (int)known[i].kind;
    if (kind < 0) {
        sl__sqls_fail(errbuf, errlen, "the aggregate function %s is not supported by Sluice's SQL "
                             "compiler yet",
             name);
        return -1;
    }
    agg_spec_t a = {.kind = (agg_kind_t)kind, .limit = -1};
    int by_offset = kind == AGG_LATEST || kind == AGG_EARLIEST;
    size_t want = kind == AGG_CORRELATION || kind == AGG_TOPK || kind == AGG_TOPK_DISTINCT ? 2 : 1;
    sl_sql_alloc_t al = sl_sql_alloc_arena(g->arena);
    sl_sql_expr_t rowtime, *rowtime_arg[1], defaulted;
    if ((call->call.star || call->call.nargs == 0) && kind != AGG_COUNT) {
        /* An aggregate called without arguments, AGG(*) or AGG(), reads
         * ksqlDB's default argument: ROWTIME (its AggregateAnalyzer). */
        rowtime = (sl_sql_expr_t){.kind = SL_SQL_EXPR_COLUMN, .pos = call->pos, .height = 1};
        rowtime.column.name.s = "ROWTIME";
        rowtime_arg[0] = &rowtime;
        defaulted = *call;
        defaulted.call.args = rowtime_arg, defaulted.call.nargs = 1, defaulted.call.star = false;
        call = &defaulted;
    }
    if (call->call.star || call->call.nargs == 0) { /* COUNT(*): the rows */
        a.type = sl_sql_type_prim(SL_SQL_BIGINT);
    } else {
        if (by_offset && call->call.nargs > 3) {
            sl__sqls_fail(errbuf, errlen, "Function '%s' takes 1 to 3 arguments, not %zu.", name,
                          call->call.nargs);
            return -1;
        }
        if (!by_offset && call->call.nargs != want) {
            sl__sqls_fail(errbuf, errlen, "Function '%s' takes %zu argument%s, not %zu.", name,
                          want, want == 1 ? "" : "s", call->call.nargs);
            return -1;
        }
        sl_sql_expr_opts_t o = {.clause = name, .catalog = g->catalog};
        const sl_sql_type_t *t, *t2 = NULL;
        sl_sql_error_t e;
        if (sl_sql_expr_compile(call->call.args[0], g->value_scope, &o, g->arena, &a.arg, &t,
                                &e)) {
            agg_misplaced(errbuf, errlen, name, &e);
            return -1;
        }
        if (kind == AGG_CORRELATION &&
            sl_sql_expr_compile(call->call.args[1], g->value_scope, &o, g->arena, &a.arg2, &t2,
                                &e)) {
            agg_misplaced(errbuf, errlen, name, &e);
            return -1;
        }
        if (!t) {
            sl__sqls_fail(errbuf, errlen, "Function '%s' cannot take a bare NULL argument.", name);
            return -1;
        }
        char tb[128], tb2[128];
        if (!accepts(a.kind, t->base) || (t2 && !accepts(a.kind, t2->base))) {
            if (t2)
                sl__sqls_fail(errbuf, errlen, "Function '%s' does not accept parameters (%s, %s).",
                              name, type_name(t, tb, sizeof tb), type_name(t2, tb2, sizeof tb2));
            else
                sl__sqls_fail(errbuf, errlen, "Function '%s' does not accept parameters (%s).",
                              name, type_name(t, tb, sizeof tb));
            return -1;
        }
        if (kind == AGG_TOPK || kind == AGG_TOPK_DISTINCT) {
            const sl_sql_expr_t *kx = call->call.args[1];
            if (kx->kind != SL_SQL_EXPR_INT || kx->i < 1) {
                sl__sqls_fail(errbuf, errlen,
                              "Function '%s': its second argument (k) must be a positive "
                              "INTEGER literal.",
                              name);
                return -1;
            }
            a.k = kx->i;
        }
        if (by_offset && call->call.nargs > 1 &&
            by_offset_args(g, call, name, t, &a, errbuf, errlen))
            return -1;
        if (kind == AGG_COLLECT_LIST)
            a.limit = g->collect_list_limit;
        else if (kind == AGG_COLLECT_SET)
            a.limit = g->collect_set_limit;
        switch (a.kind) {
        case AGG_COUNT:
        case AGG_COUNT_DISTINCT:
            a.type = sl_sql_type_prim(SL_SQL_BIGINT);
            break;
        case AGG_AVG:
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE:
        case AGG_CORRELATION:
            a.type = sl_sql_type_prim(SL_SQL_DOUBLE);
            break;
        case AGG_COLLECT_LIST:
        case AGG_COLLECT_SET:
        case AGG_TOPK:
        case AGG_TOPK_DISTINCT:
            a.type = sl_sql_type_array(&al, t);
            break;
        case AGG_LATEST:
        case AGG_EARLIEST:
            a.type = a.k ? sl_sql_type_array(&al, t) : t; /* the N form: ARRAY */
            break;
        case AGG_HISTOGRAM: {
            char m[128];
            if (sl_sql_type_map(&al, t, sl_sql_type_prim(SL_SQL_BIGINT), &a.type, m, sizeof m))
                a.type = NULL;
            break;
        }
        default:
            a.type = t; /* SUM of DECIMAL(p, s) is DECIMAL(p, s), as ksqlDB's */
        }
        if (!a.type)
            return -1;
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
    g->nstate += state_slots(a.kind);
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
    sl_sql_alloc_t al = sl_sql_alloc_arena(g->arena);
    const sl_sql_type_t *dbl = sl_sql_type_prim(SL_SQL_DOUBLE);
    const sl_sql_type_t *big = sl_sql_type_prim(SL_SQL_BIGINT);
    for (size_t i = 0; i < g->naggs; i++) {
        const agg_spec_t *a = &g->aggs[i];
        sl_sql_column_t *s = &c[a->state];
        switch (a->kind) {
        case AGG_AVG:
            s[0].type = dbl, s[1].type = big;
            break;
        case AGG_STDDEV_SAMP:
        case AGG_STDDEV_SAMPLE:
            s[0].type = big, s[1].type = dbl, s[2].type = dbl;
            break;
        case AGG_CORRELATION:
            for (int j = 0; j < 5; j++)
                s[j].type = dbl;
            s[5].type = big;
            break;
        case AGG_LATEST:
        case AGG_EARLIEST:
        case AGG_COUNT_DISTINCT:
            /* COUNT_DISTINCT and the one-value *_BY_OFFSET with NULLs that
             * count keep an ARRAY of the argument's type. */
            if (a->kind != AGG_COUNT_DISTINCT && (a->k || !a->keep_nulls)) {
                s->type = a->type;
                break;
            }
            s->type = sl_sql_type_array(&al, sl_sql_cexpr_type(a->arg));
            if (!s->type)
                return (sl_sql_schema_t){0, NULL};
            break;
        default:
            s->type = a->type;
        }
    }
    for (size_t i = 0; i < g->nstate; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "S%zu", i);
        c[i].name = sl__sqls_arena_str(g->arena, nm);
    }
    return (sl_sql_schema_t){g->nstate, c};
}

/* ksqlDB's refusal of aggregates it cannot undo over a table: "The
 * aggregation functions A, B and C cannot be applied to a table source, …". */
static int table_refusal(const gquery_t *g, char *errbuf, size_t errlen)
{
    const char *names[NKNOWN];
    size_t n = 0;
    for (size_t i = 0; i < g->naggs; i++) {
        for (size_t j = 0; j < NKNOWN; j++) {
            if (known[j].kind != g->aggs[i].kind || known[j].table)
                continue;
            size_t k = 0;
            while (k < n && strcmp(names[k], known[j].name))
                k++;
            if (k == n)
                names[n++] = known[j].name;
        }
    }
    if (!n)
        return 0;
    char list[512] = "";
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(list + at, sizeof list - at, "%s%s",
                               i == 0 ? "" : i + 1 == n ? " and " : ", ", names[i]);
    sl__sqls_fail(errbuf, errlen,
                  "The aggregation function%s %s cannot be applied to a table source, only to a "
                  "stream source.",
                  n == 1 ? "" : "s", list);
    return -1;
}
/* Do a and b print as the same SQL (a SELECT item that repeats a GROUP BY
 * expression)? */
static int same_expr(const sl_sql_expr_t *a, const sl_sql_expr_t *b)
{
    sl_buf_t x = SL_BUF_INIT, y = SL_BUF_INIT;
    int same = !sl_sql_expr_print(a, &x) && !sl_sql_expr_print(b, &y) && x.len == y.len &&
               (!x.len || !memcmp(x.data, y.data, x.len));
    sl_buf_free(&x);
    sl_buf_free(&y);
    return same;
}

/* HAVING, the projection, the sink. */
static sl_err_t finish(sl_sql_session_t *s, gquery_t *g, const sl_sql_query_t *qa,
                       sl_ktable_t *table, const sl_serde_t *sink_ks, const sl_serde_t *vs,
                       const sl_sql_datasource_t *target, const restamp_t *restamp,
                       char *errbuf, size_t errlen)
{
    (void)qa;
    if (g->having)
        table = sl_ktable_filter(table, having_pass, g, NULL);
    sl_materialized_t rm;
    table = sl_ktable_map_values(table, agg_project, g, sl__sqls_result_store(s, &rm, sink_ks, vs));
    sl_produced_t p = {.key_serde = sink_ks, .value_serde = vs};
    sl_kstream_to(sl__sqls_restamp(sl_ktable_to_stream(table), restamp), target->topic, &p);
    return sl__sqls_query_built(s, errbuf, errlen);
}

sl_err_t sl__sqls_compile_aggregate(sl_sql_session_t *s, const sl_sql_stmt_t *stmt,
                                  const sl_sql_datasource_t *src, const sl_sql_query_t *qa,
                                  gquery_t *g, const sl_sql_scope_t *scope,
                                  const join_input_t *join, char *errbuf, size_t errlen)
{
    sl_arena_t *a = &s->arena;
    query_t *q = &g->q;
    int in_table = join ? join->table : src->table; /* what the aggregation reads */
    if (stmt->kind != SL_SQL_STMT_CREATE_AS) {
        /* A GROUP BY gives a table; INSERT INTO writes streams (ksqlDB's words). */
        const sl_sql_datasource_t *t = sl_sql_catalog_find(s->catalog, stmt->insert.target.s);
        if (!t) {
            sl__sqls_fail(errbuf, errlen, "%s does not exist.", stmt->insert.target.s);
            return SL_ERR_INVAL;
        }
        sl__sqls_fail(errbuf, errlen,
                      "Incompatible data sink and query result. Data sink (%s) type is %s but "
                      "select query result is KTABLE.",
                      t->name, t->table ? "KTABLE" : "KSTREAM");
        return SL_ERR_INVAL;
    }
    if (!stmt->create.table) {
        sl__sqls_fail(errbuf, errlen, "Invalid result type. Your SELECT query produces a TABLE. Please use "
                             "CREATE TABLE AS SELECT statement instead.");
        return SL_ERR_INVAL;
    }
    if (in_table && qa->window) {
        sl__sqls_fail(errbuf, errlen, "Windowing not supported for table aggregations.");
        return SL_ERR_INVAL;
    }
    g->arena = a;
    g->catalog = s->catalog;
    g->collect_list_limit = s->collect_list_limit;
    g->collect_set_limit = s->collect_set_limit;
    sl_sql_error_t e;
    /* The GROUP BY expressions, over the whole source row. */
    g->ngroup = qa->ngroup_by;
    g->group = sl_arena_alloc(a, g->ngroup * sizeof *g->group);
    sl_sql_scope_col_t *rc = sl_arena_alloc(a, g->ngroup * sizeof *rc);
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, (g->ngroup + qa->nitems + 1) * sizeof *cols);
    const char **keyname = sl_arena_alloc(a, (g->ngroup ? g->ngroup : 1) * sizeof *keyname);
    if (!g->group || !rc || !cols || !keyname)
        return SL_ERR_NOMEM;
    sl_sql_expr_opts_t og = {.clause = "GROUP BY", .catalog = s->catalog};
    int anon = 0;
    for (size_t i = 0; i < g->ngroup; i++) {
        const sl_sql_type_t *t;
        const sl_sql_expr_t *x = qa->group_by[i];
        if (sl_sql_expr_compile(x, scope, &og, a, &g->group[i], &t, &e)) {
            agg_misplaced(errbuf, errlen, NULL, &e);
            return SL_ERR_INVAL;
        }
        /* An expression's key column is named when the projection selects
         * it (its alias, or KSQL_COL_n in the projection's order). */
        char nm[32];
        const char *name = x->kind == SL_SQL_EXPR_COLUMN ? x->column.name.s : NULL;
        if (!name) {
            snprintf(nm, sizeof nm, "KSQL_GROUP_%zu", i);
            name = nm;
        }
        rc[i] = (sl_sql_scope_col_t){NULL, sl__sqls_arena_str(a, name), t, (uint32_t)i};
        keyname[i] = rc[i].name;
        if (join && x->kind == SL_SQL_EXPR_COLUMN && x->column.qualifier.s) {
            /* Over a join, A.X is the key column A_X (ksqlDB's naming). */
            char qn[300];
            snprintf(qn, sizeof qn, "%s_%s", x->column.qualifier.s, x->column.name.s);
            keyname[i] = sl__sqls_arena_str(a, qn);
        }
        if (!rc[i].name || !keyname[i])
            return SL_ERR_NOMEM;
    }
    /* What the aggregator's records carry: the source's key and value
     * columns, in the source scope's slots. */
    g->value_scope = scope;
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
        /* A grouping column or expression selected as it is: the key column
         * (named by its alias, as ksqlDB names it). */
        size_t j = 0;
        for (; j < g->ngroup; j++)
            if (x->kind == SL_SQL_EXPR_COLUMN && !it->alias.s
                    ? !strcmp(rc[j].name, x->column.name.s)
                    : same_expr(x, qa->group_by[j]))
                break;
        if (j < g->ngroup) {
            if (seen[j]++) {
                sl__sqls_fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", it->pos.line,
                     it->pos.col, rc[j].name);
                return SL_ERR_INVAL;
            }
            char kn[32];
            if (!it->alias.s && x->kind != SL_SQL_EXPR_COLUMN)
                snprintf(kn, sizeof kn, "KSQL_COL_%d", anon++);
            if ((it->alias.s || x->kind != SL_SQL_EXPR_COLUMN) &&
                !(keyname[j] = sl__sqls_arena_str(a, it->alias.s ? it->alias.s : kn)))
                return SL_ERR_NOMEM;
            nkeycols++;
            continue;
        }
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(x, &result, &os, a, &g->out[g->nout], &t, &e)) {
            /* Without aggregates and over the source's columns, it compiles:
             * a column the GROUP BY does not have, in ksqlDB's words. */
            sl_sql_expr_opts_t on = {.clause = "SELECT", .catalog = s->catalog};
            const sl_sql_cexpr_t *cx;
            const sl_sql_type_t *ct;
            sl_sql_error_t e2;
            sl_buf_t b = SL_BUF_INIT;
            if (!sl_sql_expr_compile(x, scope, &on, a, &cx, &ct, &e2) && !sl_sql_expr_print(x, &b))
                sl__sqls_fail(errbuf, errlen,
                              "Non-aggregate SELECT expression(s) not part of GROUP BY: %.*s\n"
                              "Either add the column(s) to the GROUP BY or remove them from the "
                              "SELECT.",
                              (int)b.len, b.data ? (const char *)b.data : "");
            else
                sl__sqls_fail(errbuf, errlen, "line %u:%u: %s", e.line, e.col, e.message);
            sl_buf_free(&b);
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
    for (size_t j = 0; s->transient && j < g->ngroup && nkeycols < g->ngroup; j++) {
        /* A push query need not select the grouping: kept, hidden. */
        if (seen[j])
            continue;
        char hn[300];
        snprintf(hn, sizeof hn, SL_SQL_HIDDEN_PREFIX "%s", keyname[j]);
        if (!(keyname[j] = sl__sqls_arena_str(a, hn)))
            return SL_ERR_NOMEM;
        seen[j] = 1;
        nkeycols++;
    }
    if (nkeycols != g->ngroup) {
        size_t j = 0;
        while (j < g->ngroup && seen[j])
            j++;
        sl_buf_t gb = SL_BUF_INIT;
        sl_sql_expr_print(qa->group_by[j], &gb);
        int gl = (int)gb.len;
        const char *gt = gb.data ? (const char *)gb.data : "";
        sl__sqls_fail(errbuf, errlen,
             "Key missing from projection (ie, SELECT). The query used to build `%s` must "
             "include the grouping expressions %.*s in its projection (eg, SELECT %.*s...).",
             stmt->create.name.s, gl, gt, gl, gt);
        sl_buf_free(&gb);
        return SL_ERR_INVAL;
    }
    if (qa->having) {
        sl_sql_expr_opts_t oh = os;
        oh.clause = "HAVING";
        const sl_sql_type_t *t;
        if (sl_sql_expr_compile(qa->having, &result, &oh, a, &g->having, &t, &e)) {
            /* "HAVING column 'X' cannot be resolved." for a column of the
             * source: ksqlDB's words for a column the GROUP BY does not have. */
            static const char pre[] = "HAVING column '";
            const char *col = !strncmp(e.message, pre, sizeof pre - 1) ? e.message + sizeof pre - 1
                                                                        : NULL;
            const char *end = col ? strchr(col, '\'') : NULL;
            size_t k = 0;
            while (end && k < scope->ncols &&
                   (strlen(scope->cols[k].name) != (size_t)(end - col) ||
                    strncmp(scope->cols[k].name, col, (size_t)(end - col))))
                k++;
            if (end && k < scope->ncols)
                sl__sqls_fail(errbuf, errlen,
                              "Non-aggregate HAVING expression not part of GROUP BY: %.*s\n"
                              "Consider switching the HAVING clause to a WHERE clause before "
                              "the GROUP BY.",
                              (int)(end - col), col);
            else
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
    if (in_table && table_refusal(g, errbuf, errlen))
        return SL_ERR_INVAL;
    /* The table: key = the GROUP BY columns, then the value columns. */
    for (size_t i = 0; i < g->ngroup; i++)
        cols[i] = (sl_sql_datasource_col_t){keyname[i], rc[i].type, SL_SQL_ROLE_KEY, NULL};
    memcpy(cols + g->ngroup, vcols, ncols * sizeof *cols);
    sl_sql_datasource_t made = {0};
    char b1[64];
    const char *topic = sl__sqls_with_prop(stmt, "KAFKA_TOPIC", b1, sizeof b1);
    made.name = stmt->create.name.s;
    made.table = 1;
    made.cols = cols;
    made.ncols = g->ngroup + ncols;
    made.window = g->window;
    made.window_size = qa->window ? sl_sql_duration_ms(&qa->window->size) : 0;
    made.window_hopping = qa->window && qa->window->kind == SL_SQL_WINDOW_HOPPING;
    made.topic = topic ? topic : stmt->create.name.s;
    made.partitions = src->partitions;
    made.key_format = src->key_format;
    made.value_format = src->value_format;
    if (made.key_format.kind == SL_SQL_FORMAT_NONE ||
        (made.key_format.kind == SL_SQL_FORMAT_KAFKA && g->ngroup > 1))
        made.key_format.kind = g->ngroup > 1 ? SL_SQL_FORMAT_JSON : SL_SQL_FORMAT_KAFKA;
    char m[512];
    if (sl__sqls_sink_formats(stmt, &made.key_format, &made.value_format, errbuf, errlen))
        return SL_ERR_INVAL;
    const sl_sql_datasource_t *target;
    restamp_t *restamp;
    sl_err_t err = sl__sqls_sink_timestamp(s, stmt, &made, &restamp, errbuf, errlen);
    if (err)
        return err;
    err = sl__sqls_add_target(s, stmt, &made, &target, errbuf, errlen);
    if (err || !target)
        return err; /* !target: IF NOT EXISTS, and it exists */
    /* The serdes: the group key (repartition, store, sink), the state. */
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    sl_sql_format_t state_fmt = {.kind = SL_SQL_FORMAT_JSON};
    sl_sql_schema_t sschema = state_schema(g);
    /* The carried rows (repartition values): the source's columns as JSON. */
    size_t nall = q->nkey + q->nvalue + q->nheader + (q->window ? 2 : 0);
    sl_sql_column_t *ext = sl_arena_alloc(a, (nall ? nall : 1) * sizeof *ext);
    sl_sql_schema_t *es = sl_arena_alloc(a, sizeof *es);
    const sl_serde_t *ks, *vs, *ss, *cs;
    if (!sschema.cols || !ext || !es)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < nall; i++) {
        /* Joined rows by position (their names repeat across sources). */
        char pn[32];
        snprintf(pn, sizeof pn, "C%zu", i);
        ext[i] = !join ? (sl_sql_column_t){scope->cols[i].name, scope->cols[i].type}
                 : i < join->nslots
                     ? (sl_sql_column_t){sl__sqls_arena_str(a, pn), join->types[i]}
                     : (sl_sql_column_t){sl__sqls_arena_str(a, pn), sl_sql_type_prim(SL_SQL_BIGINT)};
        if (!ext[i].name)
            return SL_ERR_NOMEM;
    }
    *es = (sl_sql_schema_t){nall, ext};
    if (sl_sql_serde_new(&al, &target->key_format, &target->key_schema, &ks, m, sizeof m) ||
        sl_sql_serde_new(&al, &target->value_format, &target->value_schema, &vs, m, sizeof m) ||
        sl_sql_serde_new(&al, &state_fmt, &sschema, &ss, m, sizeof m) ||
        sl_sql_serde_new(&al, &state_fmt, es, &cs, m, sizeof m)) {
        sl__sqls_fail(errbuf, errlen, "%s: %s", target->name, m);
        return SL_ERR_INVAL;
    }
    sl_kstream_t *stream;
    sl_ktable_t *table;
    if ((err = join ? sl__sqls_join_build(s, join, &stream, &table, errbuf, errlen)
                    : sl__sqls_source_for(s, src, q, &stream, &table, errbuf, errlen)))
        return err;
    if (table && !join && q->nheader &&
        (err = sl__sqls_table_headers(s, src, q, "GROUPBY", &table, errbuf, errlen)))
        return err; /* a table's old rows are subtracted with their own headers */
    sl_grouped_t gr = {.key_serde = ks, .value_serde = cs};
    sl_materialized_t mat = {.key_serde = ks, .value_serde = ss};
    if (table) {
        /* A table: re-grouped through a repartition that carries the old
         * and the new row; the subtractor undoes the old one. */
        /* (WHERE: in regroup) */
        table = sl_kgroupedtable_aggregate(sl_ktable_group_by(table, regroup, g, &gr), agg_init,
                                           agg_add, agg_sub, g, &mat);
        return finish(s, g, qa, table, ks, vs, target, restamp, errbuf, errlen);
    }
    /* (WHERE: in carry_key or regroup) */
    /* Grouping by the source's key columns, in order, in the same key format:
     * the records are keyed already — no repartition (ksqlDB does the same). */
    int by_key = !join && !q->window && g->ngroup == q->nkey &&
                 src->key_format.kind == target->key_format.kind;
    for (size_t i = 0; by_key && i < g->ngroup; i++) {
        const sl_sql_expr_t *x = qa->group_by[i];
        by_key = x->kind == SL_SQL_EXPR_COLUMN &&
                 !strcmp(x->column.name.s, src->key_schema.cols[i].name);
    }
    sl_kgroupedstream_t *grouped =
        by_key ? sl_kstream_group_by_key(sl_kstream_map_values(stream, carry_key, g), &gr)
               : sl_kstream_group_by_key(
                     sl_kstream_filter(sl_kstream_map(stream, regroup, g), key_not_null, NULL),
                     &gr);
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
        /* No GRACE PERIOD: ksqlDB builds its windows with Kafka's deprecated
         * TimeWindows.of / SessionWindows.with, whose grace is 24 hours less
         * the window's size (the gap for sessions), at least 0. */
        int64_t size = sl_sql_duration_ms(&w->size);
        int64_t grace = w->grace.set         ? sl_sql_duration_ms(&w->grace)
                        : size < 86400000LL ? 86400000LL - size
                                             : 0;
        if (w->kind == SL_SQL_WINDOW_SESSION) {
            sl_session_windows_t sw = {.gap_ms = size, .grace_ms = grace};
            table = sl_swstream_aggregate(sl_kgroupedstream_windowed_by_session(grouped, &sw),
                                          agg_init, agg_add, agg_merge, g, &mat);
            *wks = sl_serde_session_windowed(ks);
        } else {
            sl_time_windows_t tw = {.size_ms = size,
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
    return finish(s, g, qa, table, sink_ks, vs, target, restamp, errbuf, errlen);
}

sl_err_t sl__sqls_window_scope(sl_arena_t *a, const query_t *q, const sl_sql_scope_t *in,
                               sl_sql_scope_t *out)
{
    uint32_t n = (uint32_t)(q->nkey + q->nvalue + q->nheader);
    /* At most two more columns for each source the scope names. */
    sl_sql_scope_col_t *c = sl_arena_alloc(a, (in->ncols * 3 + 2) * sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    memcpy(c, in->cols, in->ncols * sizeof *c);
    size_t nc = in->ncols;
    const sl_sql_type_t *bigint = sl_sql_type_prim(SL_SQL_BIGINT);
    for (size_t i = 0; i < in->ncols || i == 0; i++) {
        const char *src = in->ncols ? in->cols[i].source : NULL;
        size_t j = 0;
        while (j < i && !(src == in->cols[j].source ||
                          (src && in->cols[j].source && !strcmp(src, in->cols[j].source))))
            j++;
        if (j < i)
            continue; /* a source seen before */
        /* The first source's are found unqualified too; another source's
         * only qualified, or an unqualified WINDOWSTART would be ambiguous. */
        uint32_t only_q = i ? SL_SQL_SLOT_QUALIFIED : 0;
        c[nc++] = (sl_sql_scope_col_t){src, "WINDOWSTART", bigint, n | only_q};
        c[nc++] = (sl_sql_scope_col_t){src, "WINDOWEND", bigint, (n + 1) | only_q};
    }
    *out = (sl_sql_scope_t){c, nc, false};
    return SL_OK;
}
