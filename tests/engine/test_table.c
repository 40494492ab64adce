/* test_table.c — KTable sources, table filter/map_values/to_stream, value
 * getters through materialized and computed tables, and the record cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

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

static void pipe_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                     int64_t ts)
{
    assert_int_equal(
        sl_test_driver_pipe_obj(d, topic, &sl_serde_string, k, &sl_serde_string, v, ts), 0);
}

static void expect_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v)
{
    const void *ko, *vo;
    int rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_string, &vo, NULL);
    if (rc != 1)
        fail_msg("%s: expected (%s, %s), got rc %d", topic, k, v ? v : "null", rc);
    assert_string_equal(ko, k);
    if (v)
        assert_string_equal(vo, v);
    else if (vo)
        fail_msg("%s: expected (%s, null), got (%s, %s)", topic, k, (const char *)ko,
                 (const char *)vo);
}

/* Captures table changes (new and old) through a processor on to_stream — the
 * old value is not visible downstream of to_stream, so a peek on the table's
 * stream is enough for new values; old values are checked via the filter. */
static int starts_a(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return ((const char *)v)[0] == 'a';
}

static const void *exclaim(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    size_t n = strlen(v);
    char *o = sl_ctx_alloc(ctx, n + 2);
    memcpy(o, v, n);
    o[n] = '!', o[n + 1] = 0;
    return o;
}

static void test_table_source_filter_map(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_materialized_t m = {.store_name = "users"};
    sl_ktable_t *tab = sl_table(t, "users", NULL, &m);
    assert_string_equal(sl_ktable_store_name(tab), "users");
    sl_kstream_to(sl_ktable_to_stream(tab), "all", NULL);
    sl_ktable_t *f = sl_ktable_filter(tab, starts_a, NULL, NULL);
    assert_null(sl_ktable_store_name(f));
    sl_kstream_to(sl_ktable_to_stream(f), "a-users", NULL);
    sl_materialized_t mm = {.store_name = "shouted"};
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_map_values(f, exclaim, NULL, &mm)), "shouted",
                  NULL);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "users", "1", "alice", 1);
    pipe_str(d, "users", "2", "bob", 2);
    pipe_str(d, "users", "1", "bert", 3);  /* leaves the filter: a tombstone */
    pipe_str(d, "users", "2", NULL, 4);    /* deleted, was filtered out: nothing */
    pipe_str(d, "users", NULL, "nokey", 5); /* skipped */
    pipe_str(d, "users", "3", "anna", 6);
    expect_str(d, "all", "1", "alice");
    expect_str(d, "all", "2", "bob");
    expect_str(d, "all", "1", "bert");
    expect_str(d, "all", "2", NULL);
    expect_str(d, "all", "3", "anna");
    assert_int_equal(sl_test_driver_queued(d, "all"), 0);
    expect_str(d, "a-users", "1", "alice");
    expect_str(d, "a-users", "1", NULL);
    expect_str(d, "a-users", "3", "anna");
    assert_int_equal(sl_test_driver_queued(d, "a-users"), 0);
    expect_str(d, "shouted", "1", "alice!");
    expect_str(d, "shouted", "1", NULL);
    expect_str(d, "shouted", "3", "anna!");
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 1);
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "users", "1", &v), 1);
    assert_string_equal(v, "bert");
    assert_int_equal(sl_test_driver_kv_get(d, "users", "2", &v), 0);
    assert_int_equal(sl_test_driver_kv_get(d, "shouted", "3", &v), 1);
    assert_string_equal(v, "anna!");
    assert_int_equal(sl_test_driver_kv_get(d, "shouted", "1", &v), 0);
    /* The source store's changelog: every write, tombstones included. */
    assert_int_equal(sl_test_driver_queued(d, "test-driver-users-changelog"), 5);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- times: kept with the values, given by the getters ---------------------------------------- */

static void expect_at(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                      int64_t ts)
{
    const void *ko, *vo;
    int64_t t = -1;
    int rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_string, &vo, &t);
    if (rc != 1)
        fail_msg("%s: expected (%s, %s), got rc %d", topic, k, v, rc);
    assert_string_equal(ko, k);
    assert_non_null(vo);
    assert_string_equal(vo, v);
    assert_int_equal(t, ts);
}

static const void *plus(void *arg, sl_ctx_t *ctx, const void *k, const void *l, const void *r)
{
    size_t n = strlen(l) + strlen(r) + 2;
    char *s = sl_ctx_alloc(ctx, n);
    snprintf(s, n, "%s+%s", (const char *)l, (const char *)r);
    return s;
}

/* A table keeps each value with its change's time — the record's own, even
 * when older than the value it replaces (KTableSource takes no max, unlike
 * the aggregations) — on its output and changelog, and its getter gives
 * that time: seen here by joining a source, an unmaterialized filter and a
 * materialized map_values to a table changed at an earlier time (a
 * table-table join takes the later of both sides' times). */
static void test_table_times(void **state)
{
    for (int cached = 0; cached < 2; cached++) {
        sl_topology_t *t = sl_topology_new();
        sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
        sl_materialized_t m = {.store_name = "users", .disable_caching = !cached};
        sl_ktable_t *tab = sl_table(t, "users", NULL, &m);
        sl_kstream_to(sl_ktable_to_stream(tab), "all", NULL);
        sl_ktable_t *f = sl_ktable_filter(tab, starts_a, NULL, NULL);
        sl_materialized_t mm = {.store_name = "shouted", .disable_caching = !cached};
        sl_ktable_t *mv = sl_ktable_map_values(tab, exclaim, NULL, &mm);
        sl_ktable_t *probe = sl_table(t, "probe", NULL, NULL);
        sl_kstream_to(sl_ktable_to_stream(sl_ktable_join(tab, probe, plus, NULL, NULL)), "j-src",
                      NULL);
        sl_kstream_to(sl_ktable_to_stream(sl_ktable_join(f, probe, plus, NULL, NULL)), "j-filter",
                      NULL);
        sl_kstream_to(sl_ktable_to_stream(sl_ktable_join(mv, probe, plus, NULL, NULL)), "j-map",
                      NULL);
        assert_null(sl_topology_error(t));
        sl_test_driver_t *d = driver(t, NULL);
        pipe_str(d, "users", "1", "alice", 10);
        pipe_str(d, "users", "1", "anna", 5); /* out of order */
        expect_at(d, "all", "1", "alice", 10);
        expect_at(d, "all", "1", "anna", 5);
        expect_at(d, "test-driver-users-changelog", "1", "alice", 10);
        expect_at(d, "test-driver-users-changelog", "1", "anna", 5);
        expect_at(d, "test-driver-shouted-changelog", "1", "alice!", 10);
        expect_at(d, "test-driver-shouted-changelog", "1", "anna!", 5);
        pipe_str(d, "probe", "1", "p", 1);
        expect_at(d, "j-src", "1", "anna+p", 5);
        expect_at(d, "j-filter", "1", "anna+p", 5);
        expect_at(d, "j-map", "1", "anna!+p", 5);
        const void *v;
        assert_int_equal(sl_test_driver_kv_get(d, "users", "1", &v), 1);
        assert_string_equal(v, "anna"); /* the stored time is not the value */
        sl_test_driver_destroy(d);
        sl_topology_destroy(t);
    }
}

/* ---- getters: a stream looks a computed (unmaterialized) table up ------------------------------ */

typedef struct lookup {
    const char *got[8];
    int n;
} lookup_t;

static void split3(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    /* "k:a,k:b,k:c" → three updates of one key in one record */
    char *copy = sl_ctx_alloc(ctx, strlen(v) + 1);
    strcpy(copy, v);
    for (char *save, *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(w, ':');
        *colon = 0;
        sl_ctx_forward(ctx, w, colon + 1);
    }
}

static void test_cache_folds_updates(void **state)
{
    for (int cached = 0; cached < 2; cached++) {
        sl_topology_t *t = sl_topology_new();
        sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
        sl_kstream_t *s = sl_kstream_flat_map(sl_stream(t, (const char *[]){"in"}, 1, NULL),
                                              split3, NULL);
        sl_materialized_t m = {.store_name = "latest", .disable_caching = !cached};
        sl_ktable_t *tab = sl_kstream_to_table(s, &m);
        /* A filter passing everything shows the old values the table sends:
         * a key that goes a → b → c within one record has old "a"... */
        sl_kstream_to(sl_ktable_to_stream(tab), "out", NULL);
        sl_config_t *cfg = sl_config_new();
        sl_test_driver_t *d = driver(t, cfg);
        pipe_str(d, "in", "x", "k:a,k:b,k:c,j:z", 1);
        if (cached) {
            /* Folded: one update per key, in the order of the last update. */
            expect_str(d, "out", "k", "c");
            expect_str(d, "out", "j", "z");
            assert_int_equal(sl_test_driver_queued(d, "test-driver-latest-changelog"), 2);
        } else {
            expect_str(d, "out", "k", "a");
            expect_str(d, "out", "k", "b");
            expect_str(d, "out", "k", "c");
            expect_str(d, "out", "j", "z");
            assert_int_equal(sl_test_driver_queued(d, "test-driver-latest-changelog"), 4);
        }
        assert_int_equal(sl_test_driver_queued(d, "out"), 0);
        /* Created and deleted between two commits: nothing at all. */
        pipe_str(d, "in", "x", "n:1", 2);
        expect_str(d, "out", "n", "1");
        const void *v;
        assert_int_equal(sl_test_driver_kv_get(d, "latest", "k", &v), 1);
        assert_string_equal(v, "c");
        sl_test_driver_destroy(d);
        sl_config_destroy(cfg);
        sl_topology_destroy(t);
    }
}

/* With a tiny cache budget, entries are evicted (written and emitted) in the
 * middle of a record, and nothing is lost. */
static void many(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    char key[16], val[16];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%03d", i % 50);
        snprintf(val, sizeof val, "v%d", i);
        sl_ctx_forward(ctx, key, val);
    }
}

static void run_eviction(const char *budget, size_t want_out)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *s = sl_kstream_flat_map(sl_stream(t, (const char *[]){"in"}, 1, NULL), many,
                                          NULL);
    sl_materialized_t m = {.store_name = "latest"};
    sl_kstream_to(sl_ktable_to_stream(sl_kstream_to_table(s, &m)), "out", NULL);
    sl_config_t *cfg = sl_config_new();
    if (budget)
        assert_int_equal(sl_config_set(cfg, "cache.max.bytes.buffering", budget, NULL, 0), 0);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "in", "x", "go", 1);
    assert_int_equal(sl_test_driver_queued(d, "out"), want_out);
    /* The last value of every key came out last for that key. */
    char last[50][16] = {{0}};
    sl_test_record_t r;
    while (sl_test_driver_read(d, "out", &r) == 1) {
        char kb[16];
        snprintf(kb, sizeof kb, "%.*s", (int)r.key.len, (const char *)r.key.data);
        int i = atoi(kb + 1);
        snprintf(last[i], sizeof last[i], "%.*s", (int)r.value.len, (const char *)r.value.data);
    }
    for (int i = 0; i < 50; i++) {
        char want[16];
        snprintf(want, sizeof want, "v%d", 150 + i);
        assert_string_equal(last[i], want);
        char key[16];
        snprintf(key, sizeof key, "k%03d", i);
        const void *v;
        assert_int_equal(sl_test_driver_kv_get(d, "latest", key, &v), 1);
        assert_string_equal(v, want);
    }
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_cache_eviction(void **state)
{
    /* 200 writes cycling over 50 keys: a cache holding all 50 folds them to
     * 50 updates at the commit; one holding about a dozen evicts every few
     * writes, each key long gone by the time it comes round again. */
    run_eviction(NULL, 50);
    run_eviction("2000", 200);
}

SL_TEST_GROUP(table, cmocka_unit_test(test_table_source_filter_map),
              cmocka_unit_test(test_table_times),
              cmocka_unit_test(test_cache_folds_updates), cmocka_unit_test(test_cache_eviction))
