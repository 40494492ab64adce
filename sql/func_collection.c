/* func_collection.c — arrays and maps: the ARRAY_* functions, SLICE, ELT,
 * FIELD, GENERATE_SERIES, ENTRIES, the MAP_* functions, AS_MAP, and the
 * lambda invocations TRANSFORM, FILTER and REDUCE (which evaluate their
 * lambdas through ctx->call_lambda).
 *
 * Results share item values with the arguments (values never own memory, so
 * this is safe for as long as the arguments live); only the item vectors are
 * new, from ctx->al. Element equality is sl_sql_value_equal: NULL equals
 * NULL, as in Java's List.contains. */
#include <stdlib.h>
#include <strings.h>

#include "sql/func_int.h"

static int contains(const sl_sql_value_t *items, size_t n, const sl_sql_value_t *v)
{
    for (size_t i = 0; i < n; i++)
        if (sl_sql_value_equal(&items[i], v))
            return 1;
    return 0;
}

/* ARRAY_CONTAINS: FALSE (not NULL) for a NULL array, as ksqlDB's. */
static sl_err_t fn_array_contains(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_bool(!a[0].is_null && contains(a[0].u.items, a[0].len, &a[1]));
    return SL_OK;
}

static sl_err_t fn_array_distinct(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < a[0].len; i++)
        if (!contains(vb.v, vb.len, &a[0].u.items[i]))
            sl__fn_vb_push(&vb, &a[0].u.items[i]);
    return sl__fn_vb_done(&vb, 0, out);
}

enum { SET_EXCEPT, SET_INTERSECT, SET_UNION };

static sl_err_t set_op(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *a, int op, sl_sql_value_t *out)
{
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < a[0].len; i++) {
        const sl_sql_value_t *x = &a[0].u.items[i];
        int in_b = contains(a[1].u.items, a[1].len, x);
        if ((op == SET_EXCEPT && in_b) || (op == SET_INTERSECT && !in_b) || contains(vb.v, vb.len, x))
            continue;
        sl__fn_vb_push(&vb, x);
    }
    if (op == SET_UNION)
        for (size_t i = 0; i < a[1].len; i++)
            if (!contains(vb.v, vb.len, &a[1].u.items[i]))
                sl__fn_vb_push(&vb, &a[1].u.items[i]);
    return sl__fn_vb_done(&vb, 0, out);
}

static sl_err_t fn_array_except(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return set_op(ctx, a, SET_EXCEPT, out);
}
static sl_err_t fn_array_intersect(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return set_op(ctx, a, SET_INTERSECT, out);
}
static sl_err_t fn_array_union(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return set_op(ctx, a, SET_UNION, out);
}

/* ARRAY_JOIN: elements as CAST(... AS STRING) gives them, NULL as "null";
 * the delimiter defaults to ",", a NULL delimiter is empty (as ksqlDB's).
 * ksqlDB's joins only BOOLEAN, numbers and STRING: a non-NULL element of
 * another type is an error there, and here. */
static sl_err_t fn_array_join(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    const char *d = ",";
    size_t dn = 1;
    if (n > 1)
        d = a[1].is_null ? "" : a[1].u.str, dn = a[1].is_null ? 0 : a[1].len;
    sl__fn_sb_t b;
    sl__fn_sb_init(&b, ctx->al);
    const sl_sql_type_t *it = at[0] ? at[0]->item : NULL, *st = sl_sql_type_prim(SL_SQL_STRING);
    for (size_t i = 0; i < a[0].len; i++) {
        const sl_sql_value_t *x = &a[0].u.items[i];
        if (i)
            sl__fn_sb_put(&b, d, dn);
        if (x->is_null || !it) {
            sl__fn_sb_puts(&b, "null");
            continue;
        }
        static const char *const unsupported[] = {
            [SL_SQL_BYTES] = "BYTES", [SL_SQL_DATE] = "DATE",   [SL_SQL_TIME] = "TIME", [SL_SQL_TIMESTAMP] = "TIMESTAMP",
            [SL_SQL_ARRAY] = "ARRAY", [SL_SQL_MAP] = "MAP",     [SL_SQL_STRUCT] = "STRUCT"};
        if ((size_t)it->base < SL_FN_COUNT(unsupported) && unsupported[it->base])
            return sl__fn_err(ctx, SL_ERR_INVAL, "error: hit element of type %s which is currently not supported",
                              unsupported[it->base]);
        sl_sql_value_t s;
        sl_err_t err = sl_sql_cast(ctx->al, it, x, st, &s, ctx->errbuf, ctx->errlen);
        if (err)
            return err;
        sl__fn_sb_put(&b, s.u.str, s.len);
    }
    return sl__fn_sb_done(&b, 0, out);
}

static sl_err_t fn_array_length(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    *out = sl_sql_value_int((int32_t)a[0].len);
    return SL_OK;
}

/* ARRAY_MAX / ARRAY_MIN: NULL elements ignored; NULL for an empty array. */
static sl_err_t array_extreme(const sl_sql_value_t *arr, const sl_sql_type_t *rt, int want, sl_sql_value_t *out)
{
    const sl_sql_value_t *best = NULL;
    for (size_t i = 0; i < arr->len; i++) {
        const sl_sql_value_t *x = &arr->u.items[i];
        if (!x->is_null && (!best || sl_sql_value_compare(x, best) == want))
            best = x;
    }
    *out = best ? *best : sl__fn_null(rt);
    return SL_OK;
}

static sl_err_t fn_array_max(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return array_extreme(&a[0], rt, SL_SQL_GT, out);
}
static sl_err_t fn_array_min(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return array_extreme(&a[0], rt, SL_SQL_LT, out);
}

/* ARRAY_REMOVE: every element equal to the value goes (NULL removes NULLs). */
static sl_err_t fn_array_remove(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < a[0].len; i++)
        if (!sl_sql_value_equal(&a[0].u.items[i], &a[1]))
            sl__fn_vb_push(&vb, &a[0].u.items[i]);
    return sl__fn_vb_done(&vb, 0, out);
}

/* ARRAY_SORT: a stable merge sort (no qsort: its comparator cannot carry the
 * direction without a global). NULLs go last in either direction. */
static void merge_sort(sl_sql_value_t *v, sl_sql_value_t *tmp, size_t n, int desc)
{
    if (n < 2)
        return;
    size_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(v, tmp, h, desc);
    merge_sort(v + h, tmp, n - h, desc);
    while (i < h && j < n) {
        int c;
        if (v[i].is_null || v[j].is_null)
            c = v[i].is_null && !v[j].is_null ? 1 : (!v[i].is_null && v[j].is_null ? -1 : 0);
        else {
            c = sl_sql_value_compare(&v[i], &v[j]);
            if (c == SL_SQL_INCOMPARABLE || c == SL_SQL_UNKNOWN)
                c = 0;
            if (desc)
                c = -c;
        }
        tmp[k++] = c <= 0 ? v[i++] : v[j++];
    }
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static sl_err_t fn_array_sort(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int desc = 0;
    if (n > 1) {
        if (a[1].len == 4 && !strncasecmp(a[1].u.str, "DESC", 4))
            desc = 1;
        else if (!(a[1].len == 3 && !strncasecmp(a[1].u.str, "ASC", 3))) {
            *out = sl__fn_null(rt);
            return SL_OK;
        }
    }
    size_t len = a[0].len;
    sl_sql_value_t *v = sl_sql_alloc(ctx->al, (len ? len : 1) * sizeof *v);
    sl_sql_value_t *tmp = sl_sql_alloc(ctx->al, (len ? len : 1) * sizeof *v);
    if (!v || !tmp)
        return SL_ERR_NOMEM;
    memcpy(v, a[0].u.items, len * sizeof *v);
    merge_sort(v, tmp, len, desc);
    *out = a[0];
    out->u.items = v;
    return SL_OK;
}

/* ARRAY_CONCAT: NULL only when both are NULL. */
static sl_err_t fn_array_concat(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null || a[1].is_null) {
        *out = a[0].is_null ? (a[1].is_null ? sl__fn_null(rt) : a[1]) : a[0];
        return SL_OK;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < a[k].len; i++)
            sl__fn_vb_push(&vb, &a[k].u.items[i]);
    return sl__fn_vb_done(&vb, 0, out);
}

/* SLICE(array, from, to): 1-based, both ends included; a NULL bound means the
 * array's end; NULL when the range is outside the array. */
static sl_err_t fn_slice(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    int64_t len = a[0].len;
    int64_t from = a[1].is_null ? 1 : a[1].u.i32, to = a[2].is_null ? len : a[2].u.i32;
    if (from < 1 || to > len || from > to + 1) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    *out = a[0];
    out->u.items = a[0].u.items + (from - 1);
    out->len = (uint32_t)(to - from + 1);
    return SL_OK;
}

/* ELT(n, args...): the n-th argument (1-based), NULL when out of range. */
static sl_err_t fn_elt(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null || a[0].u.i32 < 1 || (size_t)a[0].u.i32 >= n) {
        *out = sl__fn_null(rt);
        return SL_OK;
    }
    *out = a[a[0].u.i32];
    return SL_OK;
}

/* FIELD(str, args...): the 1-based position of str among args, 0 if absent
 * (and for a NULL str). */
static sl_err_t fn_field(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int32_t pos = 0;
    if (!a[0].is_null)
        for (size_t i = 1; i < n; i++)
            if (!a[i].is_null && sl_sql_value_equal(&a[0], &a[i])) {
                pos = (int32_t)i;
                break;
            }
    *out = sl_sql_value_int(pos);
    return SL_OK;
}

static sl_err_t fn_generate_series(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    int big = a[0].base == SL_SQL_BIGINT;
    int64_t s = big ? a[0].u.i64 : a[0].u.i32, e = big ? a[1].u.i64 : a[1].u.i32;
    int64_t step = n > 2 ? a[2].u.i32 : (s <= e ? 1 : -1);
    if (step == 0)
        return sl__fn_err(ctx, SL_ERR_INVAL, "GENERATE_SERIES step cannot be zero");
    if ((e > s && step < 0) || (e < s && step > 0))
        return sl__fn_err(ctx, SL_ERR_INVAL, "GENERATE_SERIES step has wrong sign");
    uint64_t count = (uint64_t)((e > s ? (uint64_t)e - (uint64_t)s : (uint64_t)s - (uint64_t)e) /
                                (uint64_t)(step > 0 ? step : -step)) + 1;
    if (count > 10000000)
        return sl__fn_err(ctx, SL_ERR_RANGE, "GENERATE_SERIES would make %llu elements", (unsigned long long)count);
    sl_sql_value_t *v = sl_sql_alloc(ctx->al, count * sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    for (uint64_t i = 0; i < count; i++) {
        int64_t x = s + (int64_t)i * step;
        v[i] = big ? sl_sql_value_bigint(x) : sl_sql_value_int((int32_t)x);
    }
    *out = (sl_sql_value_t){.base = SL_SQL_ARRAY, .len = (uint32_t)count, .u.items = v};
    return SL_OK;
}

/* ---- maps ------------------------------------------------------------------------------------ */

static const sl_sql_type_t *ret_entries(const sl_sql_alloc_t *al, const sl_sql_type_t *const *t, size_t n)
{
    (void)n;
    const sl_sql_type_t *st = NULL;
    sl_sql_field_t f[2] = {{"K", sl_sql_type_prim(SL_SQL_STRING)},
                           {"V", t[0] ? t[0]->item : sl_sql_type_prim(SL_SQL_STRING)}};
    if (sl_sql_type_struct(al, f, 2, &st, NULL, 0))
        return NULL;
    return sl_sql_type_array(al, st);
}

/* ENTRIES(map, sorted): an array of STRUCT<K, V>, sorted by key when asked. */
static sl_err_t fn_entries(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    size_t len = a[0].len;
    sl_sql_value_t *v = sl_sql_alloc(ctx->al, (len ? len : 1) * sizeof *v);
    sl_sql_value_t *kv = sl_sql_alloc(ctx->al, (len ? 2 * len : 1) * sizeof *kv);
    if (!v || !kv)
        return SL_ERR_NOMEM;
    size_t *order = sl_sql_alloc(ctx->al, (len ? len : 1) * sizeof *order);
    if (!order)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < len; i++)
        order[i] = i;
    if (a[1].u.b) /* insertion sort by key: maps are small */
        for (size_t i = 1; i < len; i++)
            for (size_t j = i; j > 0 && sl_sql_value_compare(&a[0].u.items[2 * order[j - 1]],
                                                             &a[0].u.items[2 * order[j]]) == SL_SQL_GT;
                 j--) {
                size_t t = order[j];
                order[j] = order[j - 1], order[j - 1] = t;
            }
    for (size_t i = 0; i < len; i++) {
        kv[2 * i] = a[0].u.items[2 * order[i]];
        kv[2 * i + 1] = a[0].u.items[2 * order[i] + 1];
        v[i] = (sl_sql_value_t){.base = SL_SQL_STRUCT, .len = 2, .u.items = &kv[2 * i]};
    }
    *out = (sl_sql_value_t){.base = SL_SQL_ARRAY, .len = (uint32_t)len, .u.items = v};
    return SL_OK;
}

static sl_err_t map_part(sl_sql_fn_ctx_t *ctx, const sl_sql_value_t *m, size_t which, sl_sql_value_t *out)
{
    sl_sql_value_t *v = sl_sql_alloc(ctx->al, (m->len ? m->len : 1) * sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < m->len; i++)
        v[i] = m->u.items[2 * i + which];
    *out = (sl_sql_value_t){.base = SL_SQL_ARRAY, .len = m->len, .u.items = v};
    return SL_OK;
}

static sl_err_t fn_map_keys(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return map_part(ctx, &a[0], 0, out);
}
static sl_err_t fn_map_values(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    return map_part(ctx, &a[0], 1, out);
}

/* Puts k -> v into the map being built in vb (a later key replaces). */
static void map_put(sl__fn_vb_t *vb, const sl_sql_value_t *k, const sl_sql_value_t *v)
{
    for (size_t j = 0; j < vb->len; j += 2)
        if (sl_sql_value_equal(&vb->v[j], k)) {
            vb->v[j + 1] = *v;
            return;
        }
    sl__fn_vb_push(vb, k);
    sl__fn_vb_push(vb, v);
}

/* MAP_UNION: the second map's entries win; NULL only when both are NULL. */
static sl_err_t fn_map_union(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    if (a[0].is_null || a[1].is_null) {
        *out = a[0].is_null ? (a[1].is_null ? sl__fn_null(rt) : a[1]) : a[0];
        return SL_OK;
    }
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < a[k].len; i++)
            map_put(&vb, &a[k].u.items[2 * i], &a[k].u.items[2 * i + 1]);
    return sl__fn_vb_done(&vb, 1, out);
}

/* AS_MAP(keys, values): keys paired with values by position (a missing value
 * is NULL); a NULL key is skipped. */
static sl_err_t fn_as_map(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < a[0].len; i++) {
        const sl_sql_value_t *k = &a[0].u.items[i];
        sl_sql_value_t v = i < a[1].len ? a[1].u.items[i] : sl__fn_null(rt->item);
        if (!k->is_null)
            map_put(&vb, k, &v);
    }
    return sl__fn_vb_done(&vb, 1, out);
}

/* ---- lambdas -------------------------------------------------------------------------------------- */

static sl_err_t need_lambda(sl_sql_fn_ctx_t *ctx)
{
    return ctx->call_lambda ? SL_OK : sl__fn_err(ctx, SL_ERR_STATE, "no lambda evaluator in the function context");
}

static sl_err_t fn_transform(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = need_lambda(ctx);
    if (err)
        return err;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    if (a[0].base == SL_SQL_ARRAY) {
        for (size_t i = 0; i < a[0].len; i++) {
            sl_sql_value_t r;
            if ((err = ctx->call_lambda(ctx, 0, &a[0].u.items[i], 1, &r)))
                return err;
            sl__fn_vb_push(&vb, &r);
        }
        return sl__fn_vb_done(&vb, 0, out);
    }
    for (size_t i = 0; i < a[0].len; i++) {
        sl_sql_value_t k, v;
        if ((err = ctx->call_lambda(ctx, 0, &a[0].u.items[2 * i], 2, &k)) ||
            (err = ctx->call_lambda(ctx, 1, &a[0].u.items[2 * i], 2, &v)))
            return err;
        map_put(&vb, &k, &v);
    }
    return sl__fn_vb_done(&vb, 1, out);
}

/* FILTER keeps the elements (entries) for which the lambda is TRUE. */
static sl_err_t fn_filter(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = need_lambda(ctx);
    if (err)
        return err;
    int map = a[0].base == SL_SQL_MAP;
    size_t w = map ? 2 : 1;
    sl__fn_vb_t vb;
    sl__fn_vb_init(&vb, ctx->al);
    for (size_t i = 0; i < a[0].len; i++) {
        sl_sql_value_t r;
        if ((err = ctx->call_lambda(ctx, 0, &a[0].u.items[w * i], w, &r)))
            return err;
        if (!r.is_null && r.u.b)
            for (size_t k = 0; k < w; k++)
                sl__fn_vb_push(&vb, &a[0].u.items[w * i + k]);
    }
    return sl__fn_vb_done(&vb, map, out);
}

/* REDUCE(collection, initial, (state, x) => ...) or (state, k, v) => ... */
static sl_err_t fn_reduce(SL_FN_ARGS)
{
    SL_FN_UNUSED;
    sl_err_t err = need_lambda(ctx);
    if (err)
        return err;
    /* as ksqlDB's: a NULL initial state gives NULL, a NULL collection the initial state */
    if (a[1].is_null || a[0].is_null) {
        *out = a[1].is_null ? sl__fn_null(rt) : a[1];
        return SL_OK;
    }
    int map = a[0].base == SL_SQL_MAP;
    size_t w = map ? 2 : 1;
    sl_sql_value_t state = a[1];
    for (size_t i = 0; i < a[0].len; i++) {
        sl_sql_value_t in[3] = {state};
        for (size_t k = 0; k < w; k++)
            in[1 + k] = a[0].u.items[w * i + k];
        if ((err = ctx->call_lambda(ctx, 0, in, 1 + w, &state)))
            return err;
    }
    *out = state;
    return SL_OK;
}

#define S SL_SQL_FN_STRICT
static const sl_sql_overload_t ov_array_contains[] = {{"ARRAY<T>, T", "BOOLEAN", NULL, fn_array_contains, 0}};
static const sl_sql_overload_t ov_array_distinct[] = {{"ARRAY<T>", "ARRAY<T>", NULL, fn_array_distinct, S}};
static const sl_sql_overload_t ov_array_except[] = {{"ARRAY<T>, ARRAY<T>", "ARRAY<T>", NULL, fn_array_except, S}};
static const sl_sql_overload_t ov_array_intersect[] = {
    {"ARRAY<T>, ARRAY<T>", "ARRAY<T>", NULL, fn_array_intersect, S}};
static const sl_sql_overload_t ov_array_union[] = {{"ARRAY<T>, ARRAY<T>", "ARRAY<T>", NULL, fn_array_union, S}};
static const sl_sql_overload_t ov_array_join[] = {{"ARRAY<T>", "STRING", NULL, fn_array_join, S},
                                                  {"ARRAY<T>, STRING", "STRING", NULL, fn_array_join, 0}};
static const sl_sql_overload_t ov_array_length[] = {{"ARRAY<T>", "INT", NULL, fn_array_length, S}};
static const sl_sql_overload_t ov_array_max[] = {{"ARRAY<T>", "T", NULL, fn_array_max, S}};
static const sl_sql_overload_t ov_array_min[] = {{"ARRAY<T>", "T", NULL, fn_array_min, S}};
static const sl_sql_overload_t ov_array_remove[] = {{"ARRAY<T>, T", "ARRAY<T>", NULL, fn_array_remove, 0}};
static const sl_sql_overload_t ov_array_sort[] = {{"ARRAY<T>", "ARRAY<T>", NULL, fn_array_sort, S},
                                                  {"ARRAY<T>, STRING", "ARRAY<T>", NULL, fn_array_sort, S}};
static const sl_sql_overload_t ov_array_concat[] = {{"ARRAY<T>, ARRAY<T>", "ARRAY<T>", NULL, fn_array_concat, 0}};
static const sl_sql_overload_t ov_slice[] = {{"ARRAY<T>, INT, INT", "ARRAY<T>", NULL, fn_slice, 0}};
static const sl_sql_overload_t ov_elt[] = {{"INT, STRING...", "STRING", NULL, fn_elt, 0}};
static const sl_sql_overload_t ov_field[] = {{"STRING, STRING...", "INT", NULL, fn_field, 0}};
static const sl_sql_overload_t ov_generate_series[] = {
    {"INT, INT", "ARRAY<INT>", NULL, fn_generate_series, S},
    {"INT, INT, INT", "ARRAY<INT>", NULL, fn_generate_series, S},
    {"BIGINT, BIGINT", "ARRAY<BIGINT>", NULL, fn_generate_series, S},
    {"BIGINT, BIGINT, INT", "ARRAY<BIGINT>", NULL, fn_generate_series, S}};
static const sl_sql_overload_t ov_entries[] = {{"MAP<STRING, T>, BOOLEAN", NULL, ret_entries, fn_entries, S}};
static const sl_sql_overload_t ov_map_keys[] = {{"MAP<K, V>", "ARRAY<K>", NULL, fn_map_keys, S}};
static const sl_sql_overload_t ov_map_values[] = {{"MAP<K, V>", "ARRAY<V>", NULL, fn_map_values, S}};
static const sl_sql_overload_t ov_map_union[] = {{"MAP<K, V>, MAP<K, V>", "MAP<K, V>", NULL, fn_map_union, 0}};
static const sl_sql_overload_t ov_as_map[] = {{"ARRAY<STRING>, ARRAY<T>", "MAP<STRING, T>", NULL, fn_as_map, S}};
static const sl_sql_overload_t ov_transform[] = {
    {"ARRAY<T>, (T) => U", "ARRAY<U>", NULL, fn_transform, S},
    {"MAP<K, V>, (K, V) => L, (K, V) => W", "MAP<L, W>", NULL, fn_transform, S}};
static const sl_sql_overload_t ov_filter[] = {{"ARRAY<T>, (T) => BOOLEAN", "ARRAY<T>", NULL, fn_filter, S},
                                              {"MAP<K, V>, (K, V) => BOOLEAN", "MAP<K, V>", NULL, fn_filter, S}};
static const sl_sql_overload_t ov_reduce[] = {{"ARRAY<T>, S, (S, T) => S", "S", NULL, fn_reduce, 0},
                                              {"MAP<K, V>, S, (S, K, V) => S", "S", NULL, fn_reduce, 0}};
#undef S

#define A "ARRAY"
#define M "MAP"
const sl_sql_function_t sl__sql_fn_collection[] = {
    SL_FN("ARRAY_CONCAT", A, "Concatenates two arrays (NULL only when both are NULL).", ov_array_concat),
    SL_FN("ARRAY_CONTAINS", A, "Returns whether an array contains a value (FALSE for a NULL array).",
          ov_array_contains),
    SL_FN("ARRAY_DISTINCT", A, "Returns the distinct elements of an array, in order.", ov_array_distinct),
    SL_FN("ARRAY_EXCEPT", A, "Returns the distinct elements of the first array not in the second.", ov_array_except),
    SL_FN("ARRAY_INTERSECT", A, "Returns the distinct elements in both arrays.", ov_array_intersect),
    SL_FN("ARRAY_JOIN", A, "Joins the elements of an array into a string with a delimiter (default ',').",
          ov_array_join),
    SL_FN("ARRAY_LENGTH", A, "Returns the number of elements of an array.", ov_array_length),
    SL_FN("ARRAY_MAX", A, "Returns the greatest non-NULL element of an array.", ov_array_max),
    SL_FN("ARRAY_MIN", A, "Returns the least non-NULL element of an array.", ov_array_min),
    SL_FN("ARRAY_REMOVE", A, "Removes every element equal to a value.", ov_array_remove),
    SL_FN("ARRAY_SORT", A, "Sorts an array, 'ASC' (default) or 'DESC'; NULLs last.", ov_array_sort),
    SL_FN("ARRAY_UNION", A, "Returns the distinct elements of either array.", ov_array_union),
    SL_FN("AS_MAP", M, "Builds a map from an array of keys and an array of values.", ov_as_map),
    SL_FN("ELT", A, "Returns the n-th (1-based) of its remaining arguments, NULL out of range.", ov_elt),
    SL_FN("ENTRIES", M, "Returns a map's entries as an array of STRUCT<K, V>, sorted by key if asked.", ov_entries),
    SL_FN("FIELD", A, "Returns the 1-based position of a string among the remaining arguments, or 0.", ov_field),
    SL_FN("FILTER", "LAMBDA", "Keeps the array elements or map entries for which the lambda is true.", ov_filter),
    SL_FN("GENERATE_SERIES", A, "Returns the array of values from start to end (inclusive) by step.",
          ov_generate_series),
    SL_FN("MAP_KEYS", M, "Returns the keys of a map.", ov_map_keys),
    SL_FN("MAP_UNION", M, "Merges two maps; the second's values win.", ov_map_union),
    SL_FN("MAP_VALUES", M, "Returns the values of a map.", ov_map_values),
    SL_FN("REDUCE", "LAMBDA", "Folds an array or map into a state with a lambda.", ov_reduce),
    SL_FN("SLICE", A, "Returns the elements from position from to position to (1-based, inclusive).", ov_slice),
    SL_FN("TRANSFORM", "LAMBDA", "Applies a lambda to every array element, or two to every map key and value.",
          ov_transform),
};
const size_t sl__sql_fn_collection_n = SL_FN_COUNT(sl__sql_fn_collection);
