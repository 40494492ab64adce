/* test_window.c — windowed aggregations (time, sliding and session windows)
 * and suppress, through the test driver: hand-worked cases and randomized
 * runs against models the tests compute (which windows a record lands in,
 * grace and drops, sliding windows' contents, sessions as clusters of
 * records), windowed keys read back through the windowed serdes, window
 * stores read through interactive queries, and the suppress buffer across a
 * restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

#include "engine/engine_int.h" /* the value getter test calls the nodes' getters */
#include "testutil.h"

static sl_test_driver_t *driver(sl_topology_t *t, const sl_config_t *cfg)
{
    char err[512];
    sl_test_driver_t *d = NULL;
    sl_err_t rc = sl_test_driver_new(t, cfg, 0, &d, err, sizeof err);
    if (rc)
        fail_msg("driver: %s (%s)", err, sl_err_name(rc));
    return d;
}

/* application.id app; nocache turns the record cache off; dir: state.dir. */
static sl_config_t *config(int nocache, const char *dir)
{
    sl_config_t *cfg = sl_config_new();
    assert_int_equal(sl_config_set(cfg, "application.id", "app", NULL, 0), SL_OK);
    if (nocache)
        assert_int_equal(sl_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0), SL_OK);
    if (dir)
        assert_int_equal(sl_config_set(cfg, "state.dir", dir, NULL, 0), SL_OK);
    return cfg;
}

static void pipe_str(sl_test_driver_t *d, const char *k, const char *v, int64_t ts)
{
    sl_err_t err = sl_test_driver_pipe_obj(d, "in", &sl_serde_string, k, &sl_serde_string, v, ts);
    if (err)
        fail_msg("pipe (%s, %s, %lld): %s: %s", k ? k : "null", v ? v : "null", (long long)ts,
                 sl_err_name(err), sl_test_driver_last_error(d));
}

static const sl_consumed_t strings = {.key_serde = &sl_serde_string,
                                      .value_serde = &sl_serde_string};

/* The grouped stream of topic "in" (string keys and values). */
static sl_kgroupedstream_t *grouped(sl_topology_t *t)
{
    return sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, &strings), NULL);
}

/* A window's output record: key (string), window, value (int64 or string). */
typedef struct wrec {
    const char *key;
    int64_t start, end;
    const void *value; /* NULL: a tombstone */
    int64_t ts;
} wrec_t;

/* Reads the next record of "out": 1, or 0 when none is left. */
static int read_win(sl_test_driver_t *d, const sl_serde_t *ks, const sl_serde_t *vs, wrec_t *r)
{
    const void *ko, *vo;
    int rc = sl_test_driver_read_obj(d, "out", ks, &ko, vs, &vo, &r->ts);
    if (rc < 0)
        fail_msg("read: %s", sl_err_name(rc));
    if (rc == 0)
        return 0;
    const sl_windowed_t *w = ko;
    r->key = w->key;
    r->start = w->start, r->end = w->end;
    r->value = vo;
    return 1;
}

/* Expects a count (value < 0: a tombstone) for window [start, end] of key. */
static void expect_count(sl_test_driver_t *d, const sl_serde_t *ks, const char *key, int64_t start,
                         int64_t end, int64_t value, int64_t ts)
{
    wrec_t r;
    if (!read_win(d, ks, &sl_serde_int64, &r))
        fail_msg("expected (%s@[%lld,%lld], %lld), got nothing", key, (long long)start,
                 (long long)end, (long long)value);
    if (strcmp(r.key, key) || r.start != start || r.end != end ||
        (value < 0 ? r.value != NULL : !r.value || *(const int64_t *)r.value != value) ||
        (ts >= 0 && r.ts != ts))
        fail_msg("expected (%s@[%lld,%lld], %lld) at %lld, got (%s@[%lld,%lld], %lld) at %lld", key,
                 (long long)start, (long long)end, (long long)value, (long long)ts, r.key,
                 (long long)r.start, (long long)r.end,
                 r.value ? (long long)*(const int64_t *)r.value : -1LL, (long long)r.ts);
}

static void expect_str(sl_test_driver_t *d, const sl_serde_t *ks, const char *key, int64_t start,
                       int64_t end, const char *value, int64_t ts)
{
    wrec_t r;
    if (!read_win(d, ks, &sl_serde_string, &r))
        fail_msg("expected (%s@[%lld,%lld], %s), got nothing", key, (long long)start,
                 (long long)end, value);
    if (strcmp(r.key, key) || r.start != start || r.end != end || !r.value ||
        strcmp(r.value, value) || r.ts != ts)
        fail_msg("expected (%s@[%lld,%lld], %s) at %lld, got (%s@[%lld,%lld], %s) at %lld", key,
                 (long long)start, (long long)end, value, (long long)ts, r.key, (long long)r.start,
                 (long long)r.end, r.value ? (const char *)r.value : "null", (long long)r.ts);
}

static void expect_none(sl_test_driver_t *d)
{
    size_t n = sl_test_driver_queued(d, "out");
    if (n)
        fail_msg("%zu more records in out", n);
}

static int64_t window_count(sl_test_driver_t *d, const char *store, const char *key, int64_t start)
{
    const void *v;
    int rc = sl_test_driver_window_get(d, store, key, start, &v);
    assert_true(rc == 0 || rc == 1);
    return rc ? *(const int64_t *)v : -1;
}

/* ---- callbacks ------------------------------------------------------------------------------- */

static const void *concat2(sl_ctx_t *ctx, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = sl_ctx_alloc(ctx, na + nb + 1);
    memcpy(s, a, na);
    memcpy(s + na, b, nb + 1);
    return s;
}

static const void *empty_init(void *arg, sl_ctx_t *ctx) { return ""; }

static const void *concat_agg(void *arg, sl_ctx_t *ctx, const void *k, const void *v,
                              const void *agg)
{
    return concat2(ctx, agg, v);
}

static const void *concat_reduce(void *arg, sl_ctx_t *ctx, const void *agg, const void *v)
{
    return concat2(ctx, agg, v);
}

static const void *concat_merge(void *arg, sl_ctx_t *ctx, const void *k, const void *a,
                                const void *b)
{
    return concat2(ctx, a, b);
}

static int keep_all(void *arg, sl_ctx_t *ctx, const void *k, const void *v) { return 1; }

/* ---- time windows: hand-worked --------------------------------------------------------------- */

/* Tumbling windows of 10 with grace 5: out-of-order records within grace
 * update old windows; late ones are dropped and counted; the grace boundary;
 * null keys and values skipped; the store read back. */
static void test_tumbling(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10, .grace_ms = 5};
    sl_materialized_t m = {.store_name = "counts", .retention_ms = 100};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), &m);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    assert_null(sl_topology_error(t));
    assert_string_equal(sl_ktable_store_name(c), "counts");
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_config_t *cfg = config(1, NULL);
    sl_test_driver_t *d = driver(t, cfg);

    pipe_str(d, "a", "x", 1);
    expect_count(d, &ks, "a", 0, 10, 1, 1);
    pipe_str(d, "a", "x", 5);
    expect_count(d, &ks, "a", 0, 10, 2, 5);
    pipe_str(d, "b", "x", 7);
    expect_count(d, &ks, "b", 0, 10, 1, 7);
    pipe_str(d, "a", "x", 12);
    expect_count(d, &ks, "a", 10, 20, 1, 12);
    pipe_str(d, "a", "x", 3); /* stream time 12: [0,10) closes at 15 */
    expect_count(d, &ks, "a", 0, 10, 3, 5); /* the window's latest time stays */
    pipe_str(d, "a", "x", 14);
    expect_count(d, &ks, "a", 10, 20, 2, 14);
    pipe_str(d, "a", "x", 9); /* 14: still open (10 + 5 > 14) */
    expect_count(d, &ks, "a", 0, 10, 4, 9);
    pipe_str(d, "a", "x", 15); /* 15: [0,10) is closed (10 + 5 <= 15) */
    expect_count(d, &ks, "a", 10, 20, 3, 15);
    pipe_str(d, "a", "x", 9);
    pipe_str(d, "b", "x", 0);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 2);
    pipe_str(d, NULL, "x", 16);
    pipe_str(d, "a", NULL, 16);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 2);

    assert_int_equal(window_count(d, "counts", "a", 0), 4);
    assert_int_equal(window_count(d, "counts", "a", 10), 3);
    assert_int_equal(window_count(d, "counts", "b", 0), 1);
    assert_int_equal(window_count(d, "counts", "b", 10), -1);
    /* Each update went to the changelog: key + start + sequence number. */
    assert_int_equal(sl_test_driver_queued(d, "app-counts-changelog"), 8);
    sl_test_record_t rec;
    assert_int_equal(sl_test_driver_read(d, "app-counts-changelog", &rec), 1);
    assert_int_equal(rec.key.len, 1 + 12);
    assert_memory_equal(rec.key.data, "a\0\0\0\0\0\0\0\0\0\0\0\0", 13);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* Hopping windows of 10 advancing by 5: a record counts in two windows, in
 * start order. */
static void test_hopping(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10, .advance_ms = 5, .grace_ms = 100};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), NULL);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "x", 7);
    expect_count(d, &ks, "a", 0, 10, 1, 7);
    expect_count(d, &ks, "a", 5, 15, 1, 7);
    pipe_str(d, "a", "x", 12);
    expect_count(d, &ks, "a", 5, 15, 2, 12);
    expect_count(d, &ks, "a", 10, 20, 1, 12);
    pipe_str(d, "a", "x", 3); /* only [0,10): no window starts before 0 */
    expect_count(d, &ks, "a", 0, 10, 2, 7); /* results keep their latest time */
    pipe_str(d, "a", "x", 10);
    expect_count(d, &ks, "a", 5, 15, 3, 12);
    expect_count(d, &ks, "a", 10, 20, 2, 12);
    expect_none(d);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* Reduce and aggregate over tumbling windows; a windowed table filtered. */
static void test_time_reduce_aggregate(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10};
    sl_timewindowedstream_t *tw = sl_kgroupedstream_windowed_by(grouped(t), &w);
    sl_ktable_t *r = sl_twstream_reduce(tw, concat_reduce, NULL, NULL);
    sl_materialized_t m = {.value_serde = &sl_serde_string, .store_name = "agg"};
    sl_ktable_t *a = sl_twstream_aggregate(tw, empty_init, concat_agg, NULL, &m);
    sl_kstream_to(sl_ktable_to_stream(r), "out", NULL);
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_filter(a, keep_all, NULL, NULL)), "agg", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "k", "a", 1);
    pipe_str(d, "k", "b", 2);
    pipe_str(d, "k", "c", 11);
    expect_str(d, &ks, "k", 0, 10, "a", 1);
    expect_str(d, &ks, "k", 0, 10, "ab", 2);
    expect_str(d, &ks, "k", 10, 20, "c", 11);
    expect_none(d);
    const void *ko, *vo;
    int64_t ts;
    assert_int_equal(sl_test_driver_read_obj(d, "agg", &ks, &ko, &sl_serde_string, &vo, &ts), 1);
    assert_int_equal(sl_test_driver_read_obj(d, "agg", &ks, &ko, &sl_serde_string, &vo, &ts), 1);
    assert_string_equal(vo, "ab");
    assert_int_equal(((const sl_windowed_t *)ko)->start, 0);
    const void *v;
    assert_int_equal(sl_test_driver_window_get(d, "agg", "k", 10, &v), 1);
    assert_string_equal(v, "c");
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* Retention: by default size + grace behind stream time; a longer one given. */
static void test_retention(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10};
    sl_timewindowedstream_t *tw = sl_kgroupedstream_windowed_by(grouped(t), &w);
    sl_materialized_t m1 = {.store_name = "short"},
                      m2 = {.store_name = "long", .retention_ms = 100};
    sl_twstream_count(tw, &m1);
    sl_twstream_count(tw, &m2);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "x", 1);
    assert_int_equal(window_count(d, "short", "a", 0), 1);
    pipe_str(d, "a", "x", 9); /* stream time 9: [0,10) kept while 0 > 9 - 10 */
    assert_int_equal(window_count(d, "short", "a", 0), 2);
    pipe_str(d, "a", "x", 10); /* 0 <= 10 - 10: gone (and closed) */
    assert_int_equal(window_count(d, "short", "a", 0), -1);
    assert_int_equal(window_count(d, "short", "a", 10), 1);
    assert_int_equal(window_count(d, "long", "a", 0), 2);
    pipe_str(d, "a", "x", 35);
    assert_int_equal(window_count(d, "short", "a", 10), -1);
    assert_int_equal(window_count(d, "short", "a", 30), 1);
    assert_int_equal(window_count(d, "long", "a", 0), 2);
    assert_int_equal(window_count(d, "long", "a", 10), 1);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- time windows: against a model ----------------------------------------------------------- */

typedef struct mwin {
    int key;
    int64_t start, count;
    int64_t ts; /* the result's time: the latest record's in the window */
} mwin_t;

static mwin_t *model_win(mwin_t *ws, size_t *n, int key, int64_t start)
{
    for (size_t i = 0; i < *n; i++)
        if (ws[i].key == key && ws[i].start == start)
            return &ws[i];
    ws[*n] = (mwin_t){key, start, 0, 0};
    return &ws[(*n)++];
}

static const char *const keys[] = {"a", "b", "c"};

/* Random tumbling or hopping windows, records out of order around a moving
 * clock: every output (window, count, timestamp) and drop as the model says,
 * then the store as retention leaves it. */
static void run_time_model(uint64_t seed, int nocache)
{
    uint64_t rng = seed;
    int64_t size = 1 + (int64_t)(sl_test_rand(&rng) % 20);
    int64_t advance = sl_test_rand(&rng) % 2 ? size : 1 + (int64_t)(sl_test_rand(&rng) % size);
    int64_t grace = (int64_t)(sl_test_rand(&rng) % 15);
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = size, .advance_ms = advance, .grace_ms = grace};
    sl_materialized_t m = {.store_name = "wc"};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), &m);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, size);
    sl_config_t *cfg = config(nocache, NULL);
    sl_test_driver_t *d = driver(t, cfg);
    enum { N = 300 };
    mwin_t *ws = calloc(N * 20 + 1, sizeof *ws);
    size_t nw = 0;
    int64_t clock = 0, observed = -1, dropped = 0;
    for (int i = 0; i < N; i++) {
        int key = (int)(sl_test_rand(&rng) % 3);
        int64_t ts = clock + (int64_t)(sl_test_rand(&rng) % 6) - 3;
        if (sl_test_rand(&rng) % 5 == 0)
            ts -= (int64_t)(sl_test_rand(&rng) % 30);
        if (ts < 0)
            ts = 0;
        clock += (int64_t)(sl_test_rand(&rng) % 4);
        pipe_str(d, keys[key], "v", ts);
        if (ts > observed)
            observed = ts;
        int64_t s = ts - size + advance;
        s = (s < 0 ? 0 : s) / advance * advance;
        for (; s <= ts; s += advance) {
            if (s + size <= observed - grace) {
                dropped++;
                continue;
            }
            mwin_t *x = model_win(ws, &nw, key, s);
            x->count++;
            if (ts > x->ts)
                x->ts = ts;
            expect_count(d, &ks, keys[key], s, s + size, x->count, x->ts);
        }
        expect_none(d);
    }
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), dropped);
    for (size_t i = 0; i < nw; i++) {
        int gone = ws[i].start <= observed - (size + grace);
        assert_int_equal(window_count(d, "wc", keys[ws[i].key], ws[i].start),
                         gone ? -1 : ws[i].count);
    }
    free(ws);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_time_model(void **state)
{
    for (uint64_t seed = 1; seed <= 12; seed++)
        run_time_model(seed * 7919, (int)(seed % 2));
}

/* ---- sliding windows ------------------------------------------------------------------------- */

static sl_topology_t *sliding_concat(int64_t diff, int64_t grace)
{
    sl_topology_t *t = sl_topology_new();
    sl_sliding_windows_t w = {.time_difference_ms = diff, .grace_ms = grace};
    sl_materialized_t m = {.store_name = "slide", .value_serde = &sl_serde_string};
    sl_ktable_t *a = sl_twstream_aggregate(sl_kgroupedstream_windowed_by_sliding(grouped(t), &w),
                                           empty_init, concat_agg, NULL, &m);
    sl_kstream_to(sl_ktable_to_stream(a), "out", NULL);
    assert_null(sl_topology_error(t));
    return t;
}

/* Worked by hand through Kafka's algorithm (time difference 10): windows
 * [t - 10, t] per record, right windows [t + 1, t + 11] once a later record
 * falls in them, an out-of-order record updating what it falls in and
 * creating its own windows. Values show which records each window holds
 * (in the order they were added); timestamps are each window's latest record. */
static void test_sliding(void **state)
{
    sl_topology_t *t = sliding_concat(10, 100);
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "1", 10);
    expect_str(d, &ks, "a", 0, 10, "1", 10);
    pipe_str(d, "a", "2", 15);
    expect_str(d, &ks, "a", 11, 21, "2", 15); /* 10's right window */
    expect_str(d, &ks, "a", 5, 15, "12", 15);
    pipe_str(d, "a", "3", 20);
    expect_str(d, &ks, "a", 11, 21, "23", 20);
    expect_str(d, &ks, "a", 16, 26, "3", 20);
    expect_str(d, &ks, "a", 10, 20, "123", 20);
    pipe_str(d, "a", "4", 22);
    expect_str(d, &ks, "a", 16, 26, "34", 22);
    expect_str(d, &ks, "a", 21, 31, "4", 22);
    expect_str(d, &ks, "a", 12, 22, "234", 22);
    pipe_str(d, "a", "5", 12); /* out of order */
    expect_str(d, &ks, "a", 12, 22, "2345", 22);
    expect_str(d, &ks, "a", 11, 21, "235", 20);
    expect_str(d, &ks, "a", 10, 20, "1235", 20);
    expect_str(d, &ks, "a", 5, 15, "125", 15);
    expect_str(d, &ks, "a", 2, 12, "15", 12);
    expect_str(d, &ks, "a", 13, 23, "234", 22); /* 12's right window: 15, 20, 22 */
    expect_none(d);
    const void *v;
    assert_int_equal(sl_test_driver_window_get(d, "slide", "a", 13, &v), 1);
    assert_string_equal(v, "234");
    assert_int_equal(sl_test_driver_window_get(d, "slide", "a", 14, &v), 0);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* Records before the time difference share the window [0, d] (Kafka's
 * processEarly); their right windows still come. */
static void test_sliding_early(void **state)
{
    sl_topology_t *t = sliding_concat(10, 100);
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "1", 3);
    expect_str(d, &ks, "a", 0, 10, "1", 3);
    pipe_str(d, "a", "2", 8);
    expect_str(d, &ks, "a", 4, 14, "2", 8);
    expect_str(d, &ks, "a", 0, 10, "12", 8);
    pipe_str(d, "a", "3", 14);
    expect_str(d, &ks, "a", 4, 14, "23", 14);
    expect_str(d, &ks, "a", 9, 19, "3", 14);
    pipe_str(d, "a", "4", 5); /* early and out of order */
    expect_str(d, &ks, "a", 4, 14, "234", 14);
    expect_str(d, &ks, "a", 6, 16, "23", 14);
    expect_str(d, &ks, "a", 0, 10, "124", 8);
    expect_none(d);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* Grace for sliding windows: a window takes records while end >= stream
 * time - grace; a record whose windows all closed is dropped once. */
static void test_sliding_grace(void **state)
{
    sl_topology_t *t = sliding_concat(10, 5);
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "1", 20);
    expect_str(d, &ks, "a", 10, 20, "1", 20);
    pipe_str(d, "a", "2", 40); /* stream time 40, close time 35 */
    expect_str(d, &ks, "a", 30, 40, "2", 40);
    /* 32: [30,40] is open; its left window [22,32] closed (32 < 35):
     * dropped for it; its right window [33,43] gets 40. */
    pipe_str(d, "a", "3", 32);
    expect_str(d, &ks, "a", 30, 40, "23", 40);
    expect_str(d, &ks, "a", 33, 43, "2", 40);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 1);
    /* 24: 24 + 1 + 10 = 35 <= 35: every window it could touch is closed. */
    pipe_str(d, "a", "4", 24);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 2);
    /* 25: its left window [15,25] is closed: dropped for it. 20's windows
     * are past retention (2d + grace = 25 behind stream time 40): 25 does
     * not see 20, as in Kafka. */
    pipe_str(d, "a", "5", 25);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 3);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

typedef struct mrec {
    int key;
    int64_t ts;
} mrec_t;

typedef struct mout {
    int key;
    int64_t start, count, ts;
    int seen;
} mout_t;

/* Sliding windows at random (records at or after d, out of order, no
 * drops): in the end every record's left window and every non-empty right
 * window holds exactly its records, in the store and as the last output of
 * that window (stamped with its latest record's time), and no other window
 * was ever output. */
static void run_sliding_model(uint64_t seed)
{
    uint64_t rng = seed;
    int64_t diff = 1 + (int64_t)(sl_test_rand(&rng) % 15);
    sl_topology_t *t = sl_topology_new();
    sl_sliding_windows_t w = {.time_difference_ms = diff, .grace_ms = 10000};
    sl_materialized_t m = {.store_name = "sc"};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by_sliding(grouped(t), &w), &m);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, diff);
    sl_test_driver_t *d = driver(t, NULL);
    enum { N = 80 };
    mrec_t recs[N];
    mout_t *outs = calloc(N * N, sizeof *outs);
    size_t nouts = 0;
    for (int i = 0; i < N; i++) {
        recs[i].key = (int)(sl_test_rand(&rng) % 2);
        recs[i].ts = diff + (int64_t)(sl_test_rand(&rng) % 70);
        pipe_str(d, keys[recs[i].key], "v", recs[i].ts);
        wrec_t r;
        while (read_win(d, &ks, &sl_serde_int64, &r)) {
            assert_int_equal(r.end, r.start + diff);
            assert_non_null(r.value);
            int key = !strcmp(r.key, "b");
            size_t j;
            for (j = 0; j < nouts; j++)
                if (outs[j].key == key && outs[j].start == r.start)
                    break;
            if (j == nouts)
                nouts++;
            outs[j] = (mout_t){key, r.start, *(const int64_t *)r.value, r.ts, 0};
        }
    }
    /* The windows the model expects, with their contents. */
    size_t seen = 0;
    for (int i = 0; i < N; i++) {
        for (int side = 0; side < 2; side++) {
            int64_t start = side ? recs[i].ts + 1 : recs[i].ts - diff;
            int64_t count = 0, latest = -1;
            for (int j = 0; j < N; j++) {
                if (recs[j].key == recs[i].key && recs[j].ts >= start &&
                    recs[j].ts <= start + diff) {
                    count++;
                    if (recs[j].ts > latest)
                        latest = recs[j].ts;
                }
            }
            int64_t got = window_count(d, "sc", keys[recs[i].key], start);
            if (got != (count ? count : -1))
                fail_msg("seed %llu d %lld: window %s@%lld holds %lld, expected %lld",
                         (unsigned long long)seed, (long long)diff, keys[recs[i].key],
                         (long long)start, (long long)got, (long long)count);
            if (!count)
                continue;
            size_t j;
            for (j = 0; j < nouts; j++)
                if (outs[j].key == recs[i].key && outs[j].start == start)
                    break;
            assert_true(j < nouts);
            assert_int_equal(outs[j].count, count);
            assert_int_equal(outs[j].ts, latest);
            if (!outs[j].seen) {
                outs[j].seen = 1; /* a window can be one record's left and another's right */
                seen++;
            }
        }
    }
    assert_int_equal(seen, nouts); /* nothing else was output */
    free(outs);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

static void test_sliding_model(void **state)
{
    for (uint64_t seed = 1; seed <= 10; seed++)
        run_sliding_model(seed * 104729);
}

/* ---- session windows ------------------------------------------------------------------------- */

/* Gap 10, grace 0: sessions grow, a record bridging two merges them (both
 * tombstoned, in order of end), the gap boundary is inclusive, a late record
 * is dropped, a record on a one-instant session updates it in place. */
static void test_session(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_session_windows_t w = {.gap_ms = 10};
    /* Retention longer than gap + grace: [0,5] must outlive stream time 30. */
    sl_materialized_t m = {.store_name = "sessions", .retention_ms = 1000};
    sl_sessionwindowedstream_t *sw = sl_kgroupedstream_windowed_by_session(grouped(t), &w);
    sl_ktable_t *c = sl_swstream_count(sw, &m);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    sl_materialized_t sm = {.value_serde = &sl_serde_string, .retention_ms = 1000};
    sl_kstream_to(sl_ktable_to_stream(
                      sl_swstream_aggregate(sw, empty_init, concat_agg, concat_merge, NULL, &sm)),
                  "agg", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_session_windowed(&sl_serde_string);
    sl_config_t *cfg = config(0, NULL);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "a", "1", 0);
    expect_count(d, &ks, "a", 0, 0, 1, 0);
    pipe_str(d, "a", "2", 5);
    expect_count(d, &ks, "a", 0, 0, -1, 0);
    expect_count(d, &ks, "a", 0, 5, 2, 5);
    pipe_str(d, "a", "3", 30);
    expect_count(d, &ks, "a", 30, 30, 1, 30);
    pipe_str(d, "a", "4", 20);
    expect_count(d, &ks, "a", 30, 30, -1, 30);
    expect_count(d, &ks, "a", 20, 30, 2, 30);
    pipe_str(d, "a", "5", 15); /* within 10 of both [0,5] and [20,30] */
    expect_count(d, &ks, "a", 0, 5, -1, 5);
    expect_count(d, &ks, "a", 20, 30, -1, 30);
    expect_count(d, &ks, "a", 0, 30, 5, 30);
    pipe_str(d, "a", "6", 40); /* exactly the gap after 30 */
    expect_count(d, &ks, "a", 0, 30, -1, 30);
    expect_count(d, &ks, "a", 0, 40, 6, 40);
    pipe_str(d, "a", "7", 51); /* 11 after 40: a new session */
    expect_count(d, &ks, "a", 51, 51, 1, 51);
    /* Stream time 51: [0,40] takes nothing more (40 + 10 + 0 < 51). */
    pipe_str(d, "a", "8", 30);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 2); /* count and aggregate */
    /* ... but a record that also reaches [51,51] merges them (the merged
     * session ends at 51, open), as Kafka's close check is on the merge. */
    pipe_str(d, "a", "9", 45);
    expect_count(d, &ks, "a", 0, 40, -1, 40);
    expect_count(d, &ks, "a", 51, 51, -1, 51);
    expect_count(d, &ks, "a", 0, 51, 8, 51);
    pipe_str(d, "b", "x", 100);
    expect_count(d, &ks, "b", 100, 100, 1, 100);
    pipe_str(d, "b", "y", 100); /* same instant: in place, no tombstone */
    expect_count(d, &ks, "b", 100, 100, 2, 100);
    expect_none(d);

    /* The aggregate saw the same sessions, merging the strings. */
    const void *ko, *vo;
    int64_t ts;
    const char *last = NULL;
    while (sl_test_driver_read_obj(d, "agg", &ks, &ko, &sl_serde_string, &vo, &ts) == 1) {
        const sl_windowed_t *wk = ko;
        if (!strcmp(wk->key, "a") && wk->start == 0 && wk->end == 51 && vo) {
            free((void *)last);
            last = strdup(vo);
        }
    }
    /* [0,40] was "123456" ("12" + "34" merged, then 5, then 6), then [51,51]
     * "7", then 9. */
    assert_non_null(last);
    assert_string_equal(last, "12345679");
    free((void *)last);
    /* The changelog key is Kafka's SessionKeySchema: key, end, start. */
    sl_test_record_t rec;
    assert_int_equal(sl_test_driver_read(d, "app-sessions-changelog", &rec), 1);
    assert_int_equal(rec.key.len, 17);
    assert_memory_equal(rec.key.data, "a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 17);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* Sessions at random, out of order within grace: the table the changes build
 * (tombstones delete) is the model's clusters, each with its record count. */
static void run_session_model(uint64_t seed)
{
    uint64_t rng = seed;
    int64_t gap = 1 + (int64_t)(sl_test_rand(&rng) % 10);
    sl_topology_t *t = sl_topology_new();
    sl_session_windows_t w = {.gap_ms = gap, .grace_ms = 10000};
    sl_ktable_t *c = sl_swstream_count(sl_kgroupedstream_windowed_by_session(grouped(t), &w), NULL);
    sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_session_windowed(&sl_serde_string);
    sl_test_driver_t *d = driver(t, NULL);
    enum { N = 100 };
    mrec_t recs[N];
    mout_t table[N];
    size_t nt = 0;
    for (int i = 0; i < N; i++) {
        recs[i].key = (int)(sl_test_rand(&rng) % 2);
        recs[i].ts = (int64_t)(sl_test_rand(&rng) % 300);
        pipe_str(d, keys[recs[i].key], "v", recs[i].ts);
        wrec_t r;
        while (read_win(d, &ks, &sl_serde_int64, &r)) {
            int key = !strcmp(r.key, "b");
            size_t j;
            for (j = 0; j < nt; j++)
                if (table[j].key == key && table[j].start == r.start && table[j].ts == r.end)
                    break;
            assert_int_equal(r.ts, r.end);
            if (!r.value) {
                assert_true(j < nt); /* a tombstone for a session that was there */
                table[j] = table[--nt];
            } else {
                if (j == nt)
                    nt++;
                table[j] = (mout_t){key, r.start, *(const int64_t *)r.value, r.end, 0};
            }
        }
    }
    /* The model: each key's records sorted, cut where the next is more than
     * gap after. */
    size_t clusters = 0;
    for (int key = 0; key < 2; key++) {
        int64_t ts[N];
        int n = 0;
        for (int i = 0; i < N; i++)
            if (recs[i].key == key)
                ts[n++] = recs[i].ts;
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && ts[j - 1] > ts[j]; j--) {
                int64_t x = ts[j];
                ts[j] = ts[j - 1], ts[j - 1] = x;
            }
        for (int i = 0; i < n;) {
            int j = i + 1;
            while (j < n && ts[j] - ts[j - 1] <= gap)
                j++;
            size_t k;
            for (k = 0; k < nt; k++)
                if (table[k].key == key && table[k].start == ts[i] && table[k].ts == ts[j - 1])
                    break;
            if (k == nt)
                fail_msg("seed %llu gap %lld: no session %s@[%lld,%lld]", (unsigned long long)seed,
                         (long long)gap, keys[key], (long long)ts[i], (long long)ts[j - 1]);
            assert_int_equal(table[k].count, j - i);
            clusters++;
            i = j;
        }
    }
    assert_int_equal(clusters, nt);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

static void test_session_model(void **state)
{
    for (uint64_t seed = 1; seed <= 10; seed++)
        run_session_model(seed * 15485863);
}

/* ---- suppress -------------------------------------------------------------------------------- */

/* until_window_closes on tumbling windows of 10 with grace 5: one final
 * result per window, once the suppress node's stream time reaches end +
 * grace; late records within grace fold in; a filter between the two. */
static void test_suppress_final(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10, .grace_ms = 5};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), NULL);
    sl_suppressed_t s = {.until_window_closes = 1};
    sl_ktable_t *f = sl_ktable_suppress(sl_ktable_filter(c, keep_all, NULL, NULL), &s);
    sl_kstream_to(sl_ktable_to_stream(f), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "x", 1);
    pipe_str(d, "a", "x", 3);
    pipe_str(d, "b", "x", 4);
    pipe_str(d, "a", "x", 12);
    pipe_str(d, "a", "x", 8); /* late, within grace */
    pipe_str(d, "a", "x", 14);
    expect_none(d);
    pipe_str(d, "a", "x", 15); /* 10 + 5 <= 15: [0,10) closes */
    expect_count(d, &ks, "a", 0, 10, 3, 8);
    expect_count(d, &ks, "b", 0, 10, 1, 4);
    expect_none(d);
    pipe_str(d, "a", "x", 2); /* dropped by the aggregation */
    pipe_str(d, "a", "x", 24);
    expect_none(d);
    pipe_str(d, "b", "x", 25);
    expect_count(d, &ks, "a", 10, 20, 3, 15);
    expect_none(d);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 1);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* until_window_closes on session windows (gap 5, grace 0): a session closes
 * once end + gap + grace <= stream time; a merged-away session's tombstone
 * is not emitted. */
static void test_suppress_sessions(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_session_windows_t w = {.gap_ms = 5};
    sl_ktable_t *c = sl_swstream_count(sl_kgroupedstream_windowed_by_session(grouped(t), &w), NULL);
    sl_suppressed_t s = {.until_window_closes = 1, .name = "final"};
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_suppress(c, &s)), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_session_windowed(&sl_serde_string);
    sl_config_t *cfg = config(0, NULL);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "a", "x", 0);
    pipe_str(d, "a", "x", 3);
    pipe_str(d, "a", "x", 7);
    expect_none(d);
    pipe_str(d, "b", "x", 12); /* 7 + 5 <= 12 */
    expect_count(d, &ks, "a", 0, 7, 3, 7);
    expect_none(d);
    pipe_str(d, "b", "x", 30);
    expect_count(d, &ks, "b", 12, 12, 1, 12);
    expect_none(d);
    /* The buffer's store and changelog carry the suppress node's name. */
    assert_true(sl_test_driver_queued(d, "app-final-store-changelog") > 0);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* A time limit of 10: a key's latest value goes out 10 after its first held
 * change, the old value being what downstream last saw; max_records pushes
 * the oldest out early. */
static void test_suppress_time_limit(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 1000};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), NULL);
    sl_suppressed_t s = {.time_limit_ms = 10};
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_suppress(c, &s)), "out", NULL);
    sl_suppressed_t s2 = {.time_limit_ms = 1000, .max_records = 2};
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_suppress(c, &s2)), "full", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 1000);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "x", 0);
    pipe_str(d, "a", "x", 5);
    pipe_str(d, "b", "x", 7);
    pipe_str(d, "a", "x", 9);
    expect_none(d);
    pipe_str(d, "c", "x", 10); /* 0 <= 10 - 10 */
    expect_count(d, &ks, "a", 0, 1000, 3, 9);
    expect_none(d);
    pipe_str(d, "a", "x", 11); /* a is held again, from 11 */
    expect_none(d);
    pipe_str(d, "b", "x", 17);
    expect_count(d, &ks, "b", 0, 1000, 2, 17);
    expect_none(d);
    pipe_str(d, "c", "x", 21);
    expect_count(d, &ks, "c", 0, 1000, 2, 21);
    expect_count(d, &ks, "a", 0, 1000, 4, 11);
    expect_none(d);
    /* The full buffer: a, b held; c made three: a (oldest) went out. */
    const void *ko, *vo;
    int64_t ts;
    assert_int_equal(sl_test_driver_read_obj(d, "full", &ks, &ko, &sl_serde_int64, &vo, &ts), 1);
    assert_string_equal(((const sl_windowed_t *)ko)->key, "a");
    assert_int_equal(*(const int64_t *)vo, 3);
    assert_int_equal(sl_test_driver_read_obj(d, "full", &ks, &ko, &sl_serde_int64, &vo, &ts), 1);
    assert_string_equal(((const sl_windowed_t *)ko)->key, "b");
    assert_int_equal(*(const int64_t *)vo, 1);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* The buffer is a store: changes held when the driver goes away are emitted
 * by the next one on the same state directory. */
static void test_suppress_restart(void **state)
{
    char *dir = sl_test_mkdtemp();
    sl_topology_t *t = sl_topology_new();
    sl_time_windows_t w = {.size_ms = 10};
    sl_ktable_t *c = sl_twstream_count(sl_kgroupedstream_windowed_by(grouped(t), &w), NULL);
    sl_suppressed_t s = {.until_window_closes = 1};
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_suppress(c, &s)), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_serde_t ks = sl_serde_time_windowed(&sl_serde_string, 10);
    sl_config_t *cfg = config(0, dir);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "a", "x", 1);
    pipe_str(d, "a", "x", 2);
    pipe_str(d, "b", "x", 5);
    expect_none(d);
    sl_test_driver_destroy(d);
    d = driver(t, cfg);
    pipe_str(d, "a", "x", 3);
    expect_none(d);
    pipe_str(d, "c", "x", 10);
    expect_count(d, &ks, "a", 0, 10, 3, 3);
    expect_count(d, &ks, "b", 0, 10, 1, 5);
    expect_none(d);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
    sl_test_rmdir(dir);
}

/* ---- value getters (what joins call) --------------------------------------------------------- */

typedef struct lookup {
    sl_ktable_t *tables[2];
} lookup_t;

/* For a record (k, "start,end"): the value of window [start, end] of k in
 * each table and its time, as "v1@t1/v2@t2" ("none" when absent). */
static void lookup_process(void *state, sl_ctx_t *ctx, const void *k, const void *v)
{
    lookup_t *l = state;
    long long s, e;
    assert_int_equal(sscanf(v, "%lld,%lld", &s, &e), 2);
    sl_windowed_t w = {k, s, e};
    char *out = sl_ctx_alloc(ctx, 96);
    size_t at = 0;
    for (int i = 0; i < 2; i++) {
        sl_node_t *n = l->tables[i]->node;
        const void *val;
        int64_t ts = -2;
        int rc = n->vt->get(ctx, ctx->task->insts[n->id], &w, &val, &ts);
        assert_true(rc == 0 || rc == 1);
        at += (size_t)snprintf(out + at, 96 - at, i ? "/%s" : "%s", rc ? "" : "none");
        if (rc)
            at += (size_t)snprintf(out + at, 96 - at, "%lld@%lld", (long long)*(const int64_t *)val,
                                   (long long)ts);
    }
    sl_ctx_forward(ctx, k, out);
}

static void expect_found(sl_test_driver_t *d, const char *value)
{
    const void *ko, *vo;
    int64_t ts;
    assert_int_equal(
        sl_test_driver_read_obj(d, "found", &sl_serde_string, &ko, &sl_serde_string, &vo, &ts), 1);
    assert_string_equal(vo, value);
}

/* A windowed table's getter reads the window; a suppressed table's gives,
 * for a window with a held change, what downstream last saw (nothing yet),
 * else its parent's value; a session table's reads the session. */
static void test_value_getters(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_kgroupedstream_t *g = grouped(t);
    sl_materialized_t m = {.store_name = "wc", .retention_ms = 100};
    sl_ktable_t *c = sl_twstream_count(
        sl_kgroupedstream_windowed_by(g, &(sl_time_windows_t){.size_ms = 10}), &m);
    sl_suppressed_t s = {.until_window_closes = 1, .name = "fin"};
    sl_ktable_t *f = sl_ktable_suppress(c, &s);
    sl_materialized_t sm = {.store_name = "ss"};
    sl_ktable_t *sc = sl_swstream_count(
        sl_kgroupedstream_windowed_by_session(g, &(sl_session_windows_t){.gap_ms = 5}), &sm);
    lookup_t l1 = {{c, f}}, l2 = {{sc, sc}};
    sl_processor_t p1 = {NULL, lookup_process, NULL, &l1}, p2 = {NULL, lookup_process, NULL, &l2};
    /* Naming the stores puts the lookups in the aggregations' task. */
    sl_produced_t found = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    sl_kstream_to(sl_kstream_process(sl_stream(t, (const char *[]){"look"}, 1, &strings), &p1,
                                     (const char *[]){"wc", "fin-store"}, 2),
                  "found", &found);
    sl_kstream_to(sl_kstream_process(sl_stream(t, (const char *[]){"look2"}, 1, &strings), &p2,
                                     (const char *[]){"ss"}, 1),
                  "found", &found);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "a", "x", 1);
    pipe_str(d, "a", "x", 2);
    assert_int_equal(
        sl_test_driver_pipe_obj(d, "look", &sl_serde_string, "a", &sl_serde_string, "0,10", 3), 0);
    expect_found(d, "2@2/none");
    pipe_str(d, "a", "x", 12); /* [0,10) closes: emitted, no longer held */
    assert_int_equal(
        sl_test_driver_pipe_obj(d, "look", &sl_serde_string, "a", &sl_serde_string, "0,10", 13), 0);
    expect_found(d, "2@2/2@2");
    assert_int_equal(
        sl_test_driver_pipe_obj(d, "look", &sl_serde_string, "a", &sl_serde_string, "10,20", 13),
        0);
    expect_found(d, "1@12/none");
    /* Sessions of a (gap 5): [1,2], then [12,14]; [1,2] ended more than
     * gap + grace (the retention) before stream time 14: gone. */
    pipe_str(d, "a", "x", 14);
    static const char *const looks[][2] = {
        {"12,14", "2@14/2@14"}, {"12,12", "none/none"}, {"1,2", "none/none"}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(sl_test_driver_pipe_obj(d, "look2", &sl_serde_string, "a",
                                                 &sl_serde_string, looks[i][0], 15),
                         0);
        expect_found(d, looks[i][1]);
    }
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- building: bad windows and suppressions latch errors ------------------------------------- */

static void expect_build_error(sl_topology_t *t, const char *needle)
{
    const char *e = sl_topology_error(t);
    if (!e || !strstr(e, needle))
        fail_msg("expected an error with '%s', got '%s'", needle, e ? e : "none");
    sl_topology_destroy(t);
}

static void test_build_errors(void **state)
{
    sl_topology_t *t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){.size_ms = 0}));
    expect_build_error(t, "windowed_by: the window size must be > 0");

    t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){10, 11, 0}));
    expect_build_error(t, "advance");
    t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){10, -1, 0}));
    expect_build_error(t, "advance");
    t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){10, 0, -1}));
    expect_build_error(t, "grace");
    t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by_sliding(grouped(t), &(sl_sliding_windows_t){-1, 0}));
    expect_build_error(t, "time difference");
    t = sl_topology_new();
    assert_null(sl_kgroupedstream_windowed_by_session(grouped(t), &(sl_session_windows_t){0, 0}));
    expect_build_error(t, "gap");

    t = sl_topology_new();
    sl_materialized_t m = {.retention_ms = 14};
    assert_null(sl_twstream_count(
        sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){10, 0, 5}), &m));
    expect_build_error(t, "retention period of the window store must be no smaller");
    t = sl_topology_new();
    m.retention_ms = 24;
    assert_null(sl_twstream_count(
        sl_kgroupedstream_windowed_by_sliding(grouped(t), &(sl_sliding_windows_t){10, 5}), &m));
    expect_build_error(t, "2 * time difference");
    t = sl_topology_new();
    assert_non_null(sl_swstream_count(
        sl_kgroupedstream_windowed_by_session(grouped(t), &(sl_session_windows_t){10, 5}), &m));
    assert_null(sl_topology_error(t)); /* 24 >= 10 + 5 */
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_timewindowedstream_t *tw =
        sl_kgroupedstream_windowed_by(grouped(t), &(sl_time_windows_t){.size_ms = 10});
    assert_null(sl_twstream_reduce(tw, NULL, NULL, NULL));
    expect_build_error(t, "reducer is NULL");
    t = sl_topology_new();
    assert_null(sl_swstream_aggregate(
        sl_kgroupedstream_windowed_by_session(grouped(t), &(sl_session_windows_t){10, 0}),
        empty_init, concat_agg, NULL, NULL, NULL));
    expect_build_error(t, "merger");

    /* Final results need windows. */
    t = sl_topology_new();
    sl_ktable_t *plain = sl_kgroupedstream_count(grouped(t), NULL);
    assert_null(sl_ktable_suppress(plain, &(sl_suppressed_t){.until_window_closes = 1}));
    expect_build_error(t, "until_window_closes needs a windowed table");
    t = sl_topology_new();
    plain = sl_kgroupedstream_count(grouped(t), NULL);
    assert_null(sl_ktable_suppress(plain, &(sl_suppressed_t){.time_limit_ms = -1}));
    expect_build_error(t, "must be >= 0");
}

SL_TEST_GROUP(window, cmocka_unit_test(test_tumbling), cmocka_unit_test(test_hopping),
              cmocka_unit_test(test_time_reduce_aggregate), cmocka_unit_test(test_retention),
              cmocka_unit_test(test_time_model), cmocka_unit_test(test_sliding),
              cmocka_unit_test(test_sliding_early), cmocka_unit_test(test_sliding_grace),
              cmocka_unit_test(test_sliding_model), cmocka_unit_test(test_session),
              cmocka_unit_test(test_session_model), cmocka_unit_test(test_suppress_final),
              cmocka_unit_test(test_suppress_sessions), cmocka_unit_test(test_suppress_time_limit),
              cmocka_unit_test(test_suppress_restart), cmocka_unit_test(test_value_getters),
              cmocka_unit_test(test_build_errors))
