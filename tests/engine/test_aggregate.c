/* test_aggregate.c — the rolling aggregations (count, reduce, aggregate) of
 * grouped streams and re-grouped tables, through the test driver, against
 * models the tests compute: output records, repartition and changelog
 * topics, interactive queries, skipped records, the value getter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

#include "engine/engine_int.h" /* the value getter test looks at the node */
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

/* A configuration with application.id app; nocache turns the record cache off. */
static sl_config_t *config(const char *app, int nocache)
{
    sl_config_t *cfg = sl_config_new();
    assert_int_equal(sl_config_set(cfg, "application.id", app, NULL, 0), SL_OK);
    if (nocache)
        assert_int_equal(sl_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0), SL_OK);
    return cfg;
}

static sl_err_t pipe_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                         int64_t ts)
{
    return sl_test_driver_pipe_obj(d, topic, &sl_serde_string, k, &sl_serde_string, v, ts);
}

/* Reads one (string, int64) record and checks it; null: a tombstone. */
static void expect_i64_rec(sl_test_driver_t *d, const char *topic, const char *k, int null,
                           int64_t v, int64_t ts)
{
    const void *ko, *vo;
    int64_t t;
    int rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_int64, &vo, &t);
    if (rc != 1)
        fail_msg("%s: expected (%s, %lld), got rc %d", topic, k, (long long)v, rc);
    assert_string_equal(ko, k);
    if (null) {
        if (vo)
            fail_msg("%s: expected (%s, null), got %lld", topic, k,
                     (long long)*(const int64_t *)vo);
    } else {
        if (!vo)
            fail_msg("%s: expected (%s, %lld), got null", topic, k, (long long)v);
        if (*(const int64_t *)vo != v)
            fail_msg("%s: expected (%s, %lld), got %lld", topic, k, (long long)v,
                     (long long)*(const int64_t *)vo);
    }
    if (ts >= 0)
        assert_int_equal(t, ts);
}

static void expect_i64(sl_test_driver_t *d, const char *topic, const char *k, int64_t v,
                       int64_t ts)
{
    expect_i64_rec(d, topic, k, 0, v, ts);
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
    else
        assert_null(vo);
}

/* Reads one record and checks its raw bytes (key a string). */
static void expect_raw(sl_test_driver_t *d, const char *topic, const char *k, const void *v,
                       size_t vlen)
{
    sl_test_record_t r;
    if (sl_test_driver_read(d, topic, &r) != 1)
        fail_msg("%s: expected a record for %s", topic, k);
    assert_int_equal(r.key.len, strlen(k));
    assert_memory_equal(r.key.data, k, r.key.len);
    assert_false(r.value_null);
    assert_int_equal(r.value.len, vlen);
    assert_memory_equal(r.value.data, v, vlen);
}

/* The int64 a store holds for a string key, or -1 when absent. */
static int64_t store_i64(sl_test_driver_t *d, const char *store, const char *k)
{
    const void *v;
    int rc = sl_test_driver_kv_get(d, store, k, &v);
    if (rc < 0)
        fail_msg("kv_get %s/%s: %s", store, k, sl_err_name((sl_err_t)rc));
    return rc ? *(const int64_t *)v : -1;
}

static const void *new_i64(sl_ctx_t *ctx, int64_t v)
{
    int64_t *p = sl_ctx_alloc(ctx, sizeof *p);
    *p = v;
    return p;
}

/* ---- word count: flat_map_values, group_by, count ------------------------------------------- */

static void split_words(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    char *copy = sl_ctx_alloc(ctx, strlen(v) + 1);
    strcpy(copy, v);
    for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        sl_ctx_forward(ctx, NULL, w);
}

static const void *value_as_key(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return v;
}

typedef struct wc_model {
    char words[64][16];
    int64_t counts[64];
    int n;
} wc_model_t;

static int64_t *wc_slot(wc_model_t *m, const char *w)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->words[i], w))
            return &m->counts[i];
    snprintf(m->words[m->n], sizeof m->words[0], "%s", w);
    m->counts[m->n] = 0;
    return &m->counts[m->n++];
}

static void word_count(int nocache)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *s = sl_stream(t, (const char *[]){"lines"}, 1, NULL);
    s = sl_kstream_flat_map_values(s, split_words, NULL);
    sl_grouped_t g = {.name = "words"};
    sl_materialized_t m = {.store_name = "counts"};
    sl_ktable_t *counts = sl_kgroupedstream_count(sl_kstream_group_by(s, value_as_key, NULL, &g),
                                                  &m);
    assert_non_null(counts);
    assert_string_equal(sl_ktable_store_name(counts), "counts");
    assert_int_equal(sl_kstream_to(sl_ktable_to_stream(counts), "word-counts", NULL), 0);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("wc", nocache);
    sl_test_driver_t *d = driver(t, cfg);
    char *desc = sl_topology_describe(t);
    assert_non_null(strstr(desc, "-words-repartition"));
    assert_non_null(strstr(desc, "KSTREAM-AGGREGATE"));
    assert_non_null(strstr(desc, "stores: [counts]"));
    free(desc);

    /* No word twice in a line: with the cache on, each line's updates are
     * one per key, so every update shows either way (the driver commits
     * after each record). */
    const char *lines[] = {"hello kafka streams", "all streams lead to kafka",
                           "join kafka summit", "hello again"};
    wc_model_t model = {0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pipe_str(d, "lines", "line", lines[i], 100 + i), 0);
        char copy[64];
        snprintf(copy, sizeof copy, "%s", lines[i]);
        for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            int64_t n = ++*wc_slot(&model, w);
            expect_str(d, "wc-words-repartition", w, w);
            expect_i64(d, "word-counts", w, n, 100 + i);
            expect_i64(d, "wc-counts-changelog", w, n, 100 + i);
        }
        assert_int_equal(sl_test_driver_queued(d, "word-counts"), 0);
        assert_int_equal(sl_test_driver_queued(d, "wc-words-repartition"), 0);
        assert_int_equal(sl_test_driver_queued(d, "wc-counts-changelog"), 0);
    }
    for (int i = 0; i < model.n; i++)
        assert_int_equal(store_i64(d, "counts", model.words[i]), model.counts[i]);
    assert_int_equal(store_i64(d, "counts", "nope"), -1);
    assert_int_equal(store_i64(d, "counts", "kafka"), 3);
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "no-such-store", "kafka", &v), SL_ERR_INVAL);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_word_count(void **state) { word_count(0); }
static void test_word_count_nocache(void **state) { word_count(1); }

/* Several updates of one key within one piped record: without the cache every
 * one is emitted; with it (the default) the cache folds them into one change
 * per commit, whose old value is the one before the first update — which a
 * re-grouping downstream subtracts. hist counts the words per count. */
static void count_as_key(void *arg, sl_ctx_t *ctx, const void *word, const void *n,
                         const void **ok, const void **ov);

static void test_updates_within_one_record(void **state)
{
    /* mode 0: the cache; 1: cache.max.bytes.buffering=0; 2: the stores
     * disable caching. */
    for (int mode = 0; mode < 3; mode++) {
        int nocache = mode != 0;
        sl_topology_t *t = sl_topology_new();
        sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
        sl_kstream_t *s = sl_stream(t, (const char *[]){"lines"}, 1, NULL);
        s = sl_kstream_flat_map_values(s, split_words, NULL);
        sl_materialized_t m = {.store_name = "wc", .disable_caching = mode == 2};
        sl_materialized_t mh = {.disable_caching = mode == 2};
        sl_ktable_t *c =
            sl_kgroupedstream_count(sl_kstream_group_by(s, value_as_key, NULL, NULL), &m);
        sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
        sl_ktable_t *hist =
            sl_kgroupedtable_count(sl_ktable_group_by(c, count_as_key, NULL, NULL), &mh);
        sl_kstream_to(sl_ktable_to_stream(hist), "hist", NULL);
        assert_null(sl_topology_error(t));
        sl_config_t *cfg = config("fold", mode == 1);
        sl_test_driver_t *d = driver(t, cfg);
        assert_int_equal(pipe_str(d, "lines", "l", "a a a", 1), 0);
        assert_int_equal(pipe_str(d, "lines", "l", "a a", 2), 0);
        if (nocache) {
            for (int i = 1; i <= 5; i++) {
                char k[16], prev[16];
                snprintf(k, sizeof k, "%d", i);
                snprintf(prev, sizeof prev, "%d", i - 1);
                expect_i64(d, "out", "a", i, i <= 3 ? 1 : 2);
                if (i > 1)
                    expect_i64(d, "hist", prev, 0, i <= 3 ? 1 : 2);
                expect_i64(d, "hist", k, 1, i <= 3 ? 1 : 2);
            }
            assert_int_equal(sl_test_driver_queued(d, "fold-wc-changelog"), 5);
        } else {
            expect_i64(d, "out", "a", 3, 1);
            expect_i64(d, "out", "a", 5, 2);
            expect_i64(d, "hist", "3", 1, 1);
            expect_i64(d, "hist", "3", 0, 2);
            expect_i64(d, "hist", "5", 1, 2);
            assert_int_equal(sl_test_driver_queued(d, "fold-wc-changelog"), 2);
        }
        assert_int_equal(sl_test_driver_queued(d, "out"), 0);
        assert_int_equal(sl_test_driver_queued(d, "hist"), 0);
        assert_int_equal(store_i64(d, "wc", "a"), 5);
        sl_test_driver_destroy(d);
        sl_config_destroy(cfg);
        sl_topology_destroy(t);
    }
}

/* ---- group_by_key: count, reduce, aggregate; null keys and values ------------------------------ */

static const void *concat(void *arg, sl_ctx_t *ctx, const void *agg, const void *v)
{
    size_t n = strlen(agg) + strlen(v) + 2;
    char *s = sl_ctx_alloc(ctx, n);
    snprintf(s, n, "%s,%s", (const char *)agg, (const char *)v);
    return s;
}

static const void *zero(void *arg, sl_ctx_t *ctx) { return new_i64(ctx, 0); }

static const void *add_len(void *arg, sl_ctx_t *ctx, const void *k, const void *v,
                           const void *agg)
{
    return new_i64(ctx, *(const int64_t *)agg + (int64_t)strlen(v));
}

static void test_group_by_key(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_consumed_t c = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, &c);
    sl_kgroupedstream_t *g = sl_kstream_group_by_key(s, NULL);
    sl_materialized_t mc = {.store_name = "c"}, mr = {.store_name = "r"};
    sl_materialized_t ma = {.store_name = "a", .value_serde = &sl_serde_int64};
    sl_ktable_t *tc = sl_kgroupedstream_count(g, &mc);
    sl_ktable_t *tr = sl_kgroupedstream_reduce(g, concat, NULL, &mr);
    sl_ktable_t *ta = sl_kgroupedstream_aggregate(g, zero, add_len, NULL, &ma);
    sl_kstream_to(sl_ktable_to_stream(tc), "c-out", NULL);
    sl_kstream_to(sl_ktable_to_stream(tr), "r-out", NULL);
    sl_kstream_to(sl_ktable_to_stream(ta), "a-out", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("gbk", 0);
    sl_test_driver_t *d = driver(t, cfg);
    /* group_by_key on an unchanged key: no repartition topic, one task. */
    char *desc = sl_topology_describe(t);
    assert_null(strstr(desc, "repartition"));
    assert_null(strstr(desc, "Sub-topology: 1"));
    assert_non_null(strstr(desc, "KSTREAM-REDUCE"));
    free(desc);

    assert_int_equal(pipe_str(d, "in", "x", "ab", 10), 0);
    assert_int_equal(pipe_str(d, "in", "y", "cde", 11), 0);
    assert_int_equal(pipe_str(d, "in", NULL, "skipped", 12), 0);
    assert_int_equal(pipe_str(d, "in", "x", NULL, 13), 0);
    assert_int_equal(pipe_str(d, "in", "x", "f", 14), 0);
    expect_i64(d, "c-out", "x", 1, 10);
    expect_i64(d, "c-out", "y", 1, 11);
    expect_i64(d, "c-out", "x", 2, 14);
    expect_str(d, "r-out", "x", "ab");
    expect_str(d, "r-out", "y", "cde");
    expect_str(d, "r-out", "x", "ab,f");
    expect_i64(d, "a-out", "x", 2, 10);
    expect_i64(d, "a-out", "y", 3, 11);
    expect_i64(d, "a-out", "x", 3, 14);
    assert_int_equal(sl_test_driver_queued(d, "c-out") + sl_test_driver_queued(d, "r-out") +
                         sl_test_driver_queued(d, "a-out"),
                     0);
    /* Each aggregation skipped the null key and the null value. */
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 6);
    assert_int_equal(sl_test_driver_queued(d, "gbk-c-changelog"), 3);
    assert_int_equal(sl_test_driver_queued(d, "gbk-r-changelog"), 3);
    expect_str(d, "gbk-r-changelog", "x", "ab");
    assert_int_equal(store_i64(d, "c", "x"), 2);
    assert_int_equal(store_i64(d, "a", "y"), 3);
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "r", "x", &v), 1);
    assert_string_equal(v, "ab,f");
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* disable_logging: no changelog; an internal store name: one made up. */
static void test_store_options(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kgroupedstream_t *g =
        sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, NULL), NULL);
    sl_materialized_t nolog = {.store_name = "quiet", .disable_logging = 1};
    sl_ktable_t *a = sl_kgroupedstream_count(g, &nolog);
    sl_ktable_t *b = sl_kgroupedstream_count(g, NULL);
    assert_non_null(a);
    assert_non_null(b);
    const char *internal = sl_ktable_store_name(b);
    assert_non_null(internal);
    assert_non_null(strstr(internal, "KSTREAM-AGGREGATE-STATE-STORE-"));
    sl_config_t *cfg = config("opts", 1);
    sl_test_driver_t *d = driver(t, cfg);
    assert_int_equal(pipe_str(d, "in", "k", "v", 1), 0);
    assert_int_equal(sl_test_driver_queued(d, "opts-quiet-changelog"), 0);
    char topic[256];
    snprintf(topic, sizeof topic, "opts-%s-changelog", internal);
    assert_int_equal(sl_test_driver_queued(d, topic), 1);
    assert_int_equal(store_i64(d, "quiet", "k"), 1);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- KTable.groupBy: users moving between regions (Kafka Streams' docs) ------------------------ */

static void user_region(void *arg, sl_ctx_t *ctx, const void *user, const void *region,
                        const void **ok, const void **ov)
{
    *ok = region, *ov = user;
}

static void region_len(void *arg, sl_ctx_t *ctx, const void *user, const void *region,
                       const void **ok, const void **ov)
{
    *ok = region;
    *ov = new_i64(ctx, (int64_t)strlen(user));
}

static const void *sub_i64(void *arg, sl_ctx_t *ctx, const void *k, const void *v,
                           const void *agg)
{
    return new_i64(ctx, *(const int64_t *)agg - *(const int64_t *)v);
}

static const void *add_i64(void *arg, sl_ctx_t *ctx, const void *k, const void *v,
                           const void *agg)
{
    return new_i64(ctx, *(const int64_t *)agg + *(const int64_t *)v);
}

static const void *reduce_add(void *arg, sl_ctx_t *ctx, const void *agg, const void *v)
{
    return new_i64(ctx, *(const int64_t *)agg + *(const int64_t *)v);
}

/* Returns NULL at 0: the key leaves the table. */
static const void *reduce_sub(void *arg, sl_ctx_t *ctx, const void *agg, const void *v)
{
    int64_t r = *(const int64_t *)agg - *(const int64_t *)v;
    return r ? new_i64(ctx, r) : NULL;
}

static void table_regroup(int nocache)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *users = sl_table(t, "users", NULL, NULL);
    /* Count users per region, through a named grouping. */
    sl_grouped_t g1 = {.name = "by-region"};
    sl_materialized_t mc = {.store_name = "region-counts"};
    sl_ktable_t *counts =
        sl_kgroupedtable_count(sl_ktable_group_by(users, user_region, NULL, &g1), &mc);
    sl_kstream_to(sl_ktable_to_stream(counts), "counts-out", NULL);
    /* Sum the name lengths per region (aggregate) and the same as a reduce
     * whose subtractor removes an empty region. */
    sl_grouped_t g2 = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_int64};
    sl_kgroupedtable_t *gl = sl_ktable_group_by(users, region_len, NULL, &g2);
    sl_materialized_t ma = {.store_name = "region-len", .value_serde = &sl_serde_int64};
    sl_materialized_t mr = {.store_name = "region-len-r"};
    sl_ktable_t *agg = sl_kgroupedtable_aggregate(gl, zero, add_i64, sub_i64, NULL, &ma);
    sl_ktable_t *red = sl_kgroupedtable_reduce(gl, reduce_add, reduce_sub, NULL, &mr);
    sl_kstream_to(sl_ktable_to_stream(agg), "agg-out", NULL);
    sl_kstream_to(sl_ktable_to_stream(red), "red-out", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("app", nocache);
    sl_test_driver_t *d = driver(t, cfg);
    char *desc = sl_topology_describe(t);
    assert_non_null(strstr(desc, "Processor: by-region"));
    assert_non_null(strstr(desc, "-by-region-repartition"));
    assert_non_null(strstr(desc, "-region-len-repartition"));   /* unnamed: after the store */
    assert_non_null(strstr(desc, "-region-len-r-repartition"));
    assert_non_null(strstr(desc, "KTABLE-SELECT"));
    assert_non_null(strstr(desc, "KTABLE-AGGREGATE"));
    assert_non_null(strstr(desc, "KTABLE-REDUCE"));
    free(desc);

    /* alice joins Europe. */
    assert_int_equal(pipe_str(d, "users", "alice", "E", 1), 0);
    expect_raw(d, "app-by-region-repartition", "E", "alice\1", 6);
    expect_i64(d, "counts-out", "E", 1, 1);
    expect_i64(d, "agg-out", "E", 5, 1);
    expect_i64(d, "red-out", "E", 5, 1);
    expect_raw(d, "app-region-len-repartition", "E", "\0\0\0\0\0\0\0\5\1", 9);
    /* bob joins Asia, carol Europe. */
    assert_int_equal(pipe_str(d, "users", "bob", "A", 2), 0);
    assert_int_equal(pipe_str(d, "users", "carol", "E", 3), 0);
    expect_raw(d, "app-by-region-repartition", "A", "bob\1", 4);
    expect_raw(d, "app-by-region-repartition", "E", "carol\1", 6);
    expect_i64(d, "counts-out", "A", 1, 2);
    expect_i64(d, "counts-out", "E", 2, 3);
    expect_i64(d, "agg-out", "A", 3, 2);
    expect_i64(d, "agg-out", "E", 10, 3);
    expect_i64(d, "red-out", "A", 3, 2);
    expect_i64(d, "red-out", "E", 10, 3);
    /* alice moves to Asia: the subtraction from Europe comes first. */
    assert_int_equal(pipe_str(d, "users", "alice", "A", 4), 0);
    expect_raw(d, "app-by-region-repartition", "E", "alice\0", 6);
    expect_raw(d, "app-by-region-repartition", "A", "alice\1", 6);
    expect_i64(d, "counts-out", "E", 1, 4);
    expect_i64(d, "counts-out", "A", 2, 4);
    expect_i64(d, "agg-out", "E", 5, 4);
    expect_i64(d, "agg-out", "A", 8, 4);
    expect_i64(d, "red-out", "E", 5, 4);
    expect_i64(d, "red-out", "A", 8, 4);
    /* bob's row changes but stays in Asia: one repartition record with both
     * values, subtractor then adder, one update. */
    assert_int_equal(pipe_str(d, "users", "bob", "A", 5), 0);
    expect_raw(d, "app-by-region-repartition", "A", "\0\0\0\3bobbob\2", 11);
    assert_int_equal(sl_test_driver_queued(d, "app-by-region-repartition"), 0);
    expect_i64(d, "counts-out", "A", 2, 5);
    expect_i64(d, "agg-out", "A", 8, 5);
    expect_i64(d, "red-out", "A", 8, 5);
    /* carol leaves (a tombstone): only the subtractor runs; count and
     * aggregate keep 0, the reduce removes Europe. */
    assert_int_equal(pipe_str(d, "users", "carol", NULL, 6), 0);
    expect_raw(d, "app-by-region-repartition", "E", "carol\0", 6);
    expect_i64(d, "counts-out", "E", 0, 6);
    expect_i64(d, "agg-out", "E", 0, 6);
    expect_i64_rec(d, "red-out", "E", 1, 0, 6);
    assert_int_equal(store_i64(d, "region-len-r", "E"), -1);
    assert_int_equal(store_i64(d, "region-counts", "E"), 0);
    /* Deleting a user that never was: nothing to tell. */
    assert_int_equal(pipe_str(d, "users", "dave", NULL, 7), 0);
    assert_int_equal(sl_test_driver_queued(d, "app-by-region-repartition"), 0);
    assert_int_equal(sl_test_driver_queued(d, "counts-out"), 0);
    /* frank joins Europe: the reduce starts it again from his value. */
    assert_int_equal(pipe_str(d, "users", "frank", "E", 8), 0);
    expect_i64(d, "counts-out", "E", 1, 8);
    expect_i64(d, "agg-out", "E", 5, 8);
    expect_i64(d, "red-out", "E", 5, 8);
    assert_int_equal(sl_test_driver_queued(d, "counts-out") + sl_test_driver_queued(d, "agg-out") +
                         sl_test_driver_queued(d, "red-out"),
                     0);
    assert_int_equal(store_i64(d, "region-counts", "A"), 2);
    assert_int_equal(store_i64(d, "region-len", "A"), 8);
    assert_int_equal(store_i64(d, "region-len-r", "E"), 5);
    /* Every update went to the changelog too. */
    assert_int_equal(sl_test_driver_queued(d, "app-region-counts-changelog"), 8);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_table_regroup(void **state) { table_regroup(0); }
static void test_table_regroup_nocache(void **state) { table_regroup(1); }

static void test_build_errors(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_kgroupedstream_t *g =
        sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, NULL), NULL);
    assert_null(sl_kgroupedstream_reduce(g, NULL, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "reducer"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    g = sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, NULL), NULL);
    assert_null(sl_kgroupedstream_aggregate(g, NULL, add_len, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "initializer"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_ktable_t *tb = sl_table(t, "users", NULL, NULL);
    assert_null(sl_ktable_group_by(tb, NULL, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "mapper"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_kgroupedtable_t *gt = sl_ktable_group_by(sl_table(t, "users", NULL, NULL), user_region,
                                                NULL, NULL);
    assert_null(sl_kgroupedtable_reduce(gt, reduce_add, NULL, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "subtractor"));
    sl_topology_destroy(t);

    /* NULL handles chain. */
    assert_null(sl_kgroupedstream_count(NULL, NULL));
    assert_null(sl_kgroupedtable_count(NULL, NULL));
    assert_null(sl_ktable_group_by(NULL, NULL, NULL, NULL));

    /* A store name used twice is latched. */
    t = sl_topology_new();
    g = sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, NULL), NULL);
    sl_materialized_t m = {.store_name = "same"};
    assert_non_null(sl_kgroupedstream_count(g, &m));
    assert_null(sl_kgroupedstream_count(g, &m));
    assert_non_null(strstr(sl_topology_error(t), "same"));
    sl_topology_destroy(t);
}

/* Old values flow from a stream aggregation into a re-grouping: how many
 * words have each count. */
static void count_as_key(void *arg, sl_ctx_t *ctx, const void *word, const void *n,
                         const void **ok, const void **ov)
{
    char *k = sl_ctx_alloc(ctx, 24);
    snprintf(k, 24, "%lld", (long long)*(const int64_t *)n);
    *ok = k, *ov = word;
}

static void test_regroup_stream_counts(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *wc = sl_kgroupedstream_count(
        sl_kstream_group_by_key(sl_stream(t, (const char *[]){"words"}, 1, NULL), NULL), NULL);
    sl_ktable_t *hist =
        sl_kgroupedtable_count(sl_ktable_group_by(wc, count_as_key, NULL, NULL), NULL);
    sl_kstream_to(sl_ktable_to_stream(hist), "hist", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("hist", 0);
    sl_test_driver_t *d = driver(t, cfg);
    assert_int_equal(pipe_str(d, "words", "a", "", 1), 0);
    expect_i64(d, "hist", "1", 1, 1);
    assert_int_equal(pipe_str(d, "words", "b", "", 2), 0);
    expect_i64(d, "hist", "1", 2, 2);
    assert_int_equal(pipe_str(d, "words", "a", "", 3), 0);
    expect_i64(d, "hist", "1", 1, 3);
    expect_i64(d, "hist", "2", 1, 3);
    assert_int_equal(sl_test_driver_queued(d, "hist"), 0);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- the value getter (what joins call) --------------------------------------------------------- */

typedef struct lookup {
    sl_ktable_t *table;
} lookup_t;

static void lookup_process(void *state, sl_ctx_t *ctx, const void *k, const void *v)
{
    lookup_t *l = state;
    sl_node_t *n = l->table->node;
    assert_non_null(n->vt->get);
    const void *val;
    int64_t ts = -2;
    int rc = n->vt->get(ctx, ctx->task->insts[n->id], k, &val, &ts);
    assert_true(rc == 0 || rc == 1);
    char *out = sl_ctx_alloc(ctx, 48);
    if (rc) /* the value, then its result's time */
        snprintf(out, 48, "%lld@%lld", (long long)*(const int64_t *)val, (long long)ts);
    else
        snprintf(out, 32, "none");
    sl_ctx_forward(ctx, k, out);
}

static void test_value_getter(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_materialized_t m = {.store_name = "counts"};
    sl_ktable_t *counts = sl_kgroupedstream_count(
        sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"}, 1, NULL), NULL), &m);
    sl_materialized_t mr = {.store_name = "regions"};
    sl_ktable_t *regions = sl_kgroupedtable_count(
        sl_ktable_group_by(sl_table(t, "users", NULL, NULL), user_region, NULL, NULL), &mr);
    lookup_t l1 = {counts}, l2 = {regions};
    sl_processor_t p1 = {NULL, lookup_process, NULL, &l1}, p2 = {NULL, lookup_process, NULL, &l2};
    /* Naming the store puts the lookups in the aggregation's task. */
    sl_kstream_to(sl_kstream_process(sl_stream(t, (const char *[]){"look"}, 1, NULL), &p1,
                                     (const char *[]){"counts"}, 1),
                  "found", NULL);
    sl_kstream_to(sl_kstream_process(sl_stream(t, (const char *[]){"look2"}, 1, NULL), &p2,
                                     (const char *[]){"regions"}, 1),
                  "found2", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("get", 0);
    sl_test_driver_t *d = driver(t, cfg);
    assert_int_equal(pipe_str(d, "in", "x", "1", 1), 0);
    assert_int_equal(pipe_str(d, "in", "x", "2", 2), 0);
    assert_int_equal(pipe_str(d, "look", "x", "?", 3), 0);
    assert_int_equal(pipe_str(d, "look", "y", "?", 4), 0);
    expect_str(d, "found", "x", "2@2");
    expect_str(d, "found", "y", "none");
    assert_int_equal(pipe_str(d, "users", "u1", "E", 5), 0);
    assert_int_equal(pipe_str(d, "users", "u2", "E", 6), 0);
    assert_int_equal(pipe_str(d, "look2", "E", "?", 7), 0);
    assert_int_equal(pipe_str(d, "look2", "A", "?", 8), 0);
    expect_str(d, "found2", "E", "2@6");
    expect_str(d, "found2", "A", "none");
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- randomized: many keys, updates and deletes, against a model --------------------------------- */

#define RKEYS 40
#define RGROUPS 7
#define RSTEPS 600

/* (k, v) -> (g<v % RGROUPS>, v + 1): values are >= 1, so a reduce sum is 0
 * exactly when its group is empty. */
static void to_group(void *arg, sl_ctx_t *ctx, const void *k, const void *v, const void **ok,
                     const void **ov)
{
    int64_t x = *(const int64_t *)v;
    char *g = sl_ctx_alloc(ctx, 16);
    snprintf(g, 16, "g%d", (int)(x % RGROUPS));
    *ok = g;
    *ov = new_i64(ctx, x + 1);
}

typedef struct out_model {
    int64_t v[RGROUPS];
    int present[RGROUPS];
} out_model_t;

/* Applies every record queued on topic to m (the table the output describes). */
static void drain(sl_test_driver_t *d, const char *topic, out_model_t *m)
{
    const void *ko, *vo;
    int rc;
    while ((rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_int64, &vo,
                                         NULL)) == 1) {
        int g = atoi((const char *)ko + 1);
        assert_true(g >= 0 && g < RGROUPS);
        m->present[g] = vo != NULL;
        m->v[g] = vo ? *(const int64_t *)vo : 0;
    }
    assert_int_equal(rc, 0);
}

/* mode 0: the default cache; 1: no cache; 2: a cache so small that writes
 * evict (and emit) in the middle of a record. */
static void randomized(int mode, uint64_t seed)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_int64);
    sl_ktable_t *rows = sl_table(t, "rows", NULL, NULL);
    sl_grouped_t g = {.name = "groups"};
    sl_kgroupedtable_t *gt = sl_ktable_group_by(rows, to_group, NULL, &g);
    sl_materialized_t mc = {.store_name = "rc"}, ms = {.store_name = "rs"},
                      mr = {.store_name = "rr"};
    sl_kstream_to(sl_ktable_to_stream(sl_kgroupedtable_count(gt, &mc)), "rc-out", NULL);
    /* A second aggregation of one named grouping needs its own topic: group again. */
    sl_kgroupedtable_t *gt2 = sl_ktable_group_by(rows, to_group, NULL, NULL);
    sl_kstream_to(
        sl_ktable_to_stream(sl_kgroupedtable_aggregate(gt2, zero, add_i64, sub_i64, NULL, &ms)),
        "rs-out", NULL);
    sl_kstream_to(sl_ktable_to_stream(sl_kgroupedtable_reduce(gt2, reduce_add, reduce_sub, NULL,
                                                              &mr)),
                  "rr-out", NULL);
    /* And a stream side: count per key of a keyed stream. */
    sl_consumed_t ev = {.value_serde = &sl_serde_string};
    sl_materialized_t mk = {.store_name = "sk"};
    sl_kstream_to(sl_ktable_to_stream(sl_kgroupedstream_count(
                      sl_kstream_group_by_key(sl_stream(t, (const char *[]){"events"}, 1, &ev),
                                              NULL),
                      &mk)),
                  "sk-out", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = config("rnd", mode == 1);
    if (mode == 2)
        assert_int_equal(sl_config_set(cfg, "cache.max.bytes.buffering", "200", NULL, 0), SL_OK);
    sl_test_driver_t *d = driver(t, cfg);

    int64_t table[RKEYS];
    int present[RKEYS] = {0};
    int64_t events[RKEYS] = {0};
    out_model_t oc = {0}, os = {0}, orr = {0};
    uint64_t rs = seed;
    for (int step = 0; step < RSTEPS; step++) {
        int k = (int)(sl_test_rand(&rs) % RKEYS);
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        unsigned op = (unsigned)(sl_test_rand(&rs) % 10);
        if (op < 2) {
            /* A keyed event. */
            assert_int_equal(sl_test_driver_pipe_obj(d, "events", &sl_serde_string, key,
                                                     &sl_serde_string, "e", step),
                             0);
            events[k]++;
            expect_i64(d, "sk-out", key, events[k], step);
            continue;
        }
        if (op < 4) {
            assert_int_equal(sl_test_driver_pipe_obj(d, "rows", &sl_serde_string, key, NULL, NULL,
                                                     step),
                             0);
            present[k] = 0;
        } else {
            int64_t v = (int64_t)(sl_test_rand(&rs) % 100);
            assert_int_equal(sl_test_driver_pipe_obj(d, "rows", &sl_serde_string, key,
                                                     &sl_serde_int64, &v, step),
                             0);
            table[k] = v, present[k] = 1;
        }
        drain(d, "rc-out", &oc);
        drain(d, "rs-out", &os);
        drain(d, "rr-out", &orr);
        /* The model: each group's count and sum from the table as it is now. */
        int64_t cnt[RGROUPS] = {0}, sum[RGROUPS] = {0};
        int seen[RGROUPS] = {0};
        for (int i = 0; i < RKEYS; i++) {
            if (!present[i])
                continue;
            int gi = (int)(table[i] % RGROUPS);
            cnt[gi]++, sum[gi] += table[i] + 1, seen[gi] = 1;
        }
        for (int gi = 0; gi < RGROUPS; gi++) {
            char gk[16];
            snprintf(gk, sizeof gk, "g%d", gi);
            /* Count and aggregate keep a group once it was seen (at 0). */
            if (oc.present[gi] || cnt[gi]) {
                assert_true(oc.present[gi]);
                assert_int_equal(oc.v[gi], cnt[gi]);
                assert_int_equal(store_i64(d, "rc", gk), cnt[gi]);
                assert_true(os.present[gi]);
                assert_int_equal(os.v[gi], sum[gi]);
                assert_int_equal(store_i64(d, "rs", gk), sum[gi]);
            }
            /* The reduce holds exactly the non-empty groups. */
            assert_int_equal(orr.present[gi], seen[gi]);
            assert_int_equal(orr.v[gi], seen[gi] ? sum[gi] : 0);
            assert_int_equal(store_i64(d, "rr", gk), seen[gi] ? sum[gi] : -1);
        }
    }
    for (int k = 0; k < RKEYS; k++) {
        char key[16];
        snprintf(key, sizeof key, "k%d", k);
        assert_int_equal(store_i64(d, "sk", key), events[k] ? events[k] : -1);
    }
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 0);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_randomized(void **state)
{
    randomized(0, 42);
    randomized(1, 0xdecafbad);
    randomized(2, 7);
}

/* ---- the repartition record layout: a bad record ------------------------------------------------ */

static void test_bad_repartition_record(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_grouped_t g = {.name = "g"};
    sl_kstream_to(sl_ktable_to_stream(sl_kgroupedtable_count(
                      sl_ktable_group_by(sl_table(t, "users", NULL, NULL), user_region, NULL, &g),
                      NULL)),
                  "out", NULL);
    sl_config_t *cfg = config("bad", 0);
    sl_test_driver_t *d = driver(t, cfg);
    /* Records written to the topic from outside: an unknown flag and a
     * length past the end are deserialization errors (logAndContinue). */
    sl_bytes_t k = {(const uint8_t *)"E", 1};
    sl_bytes_t v1 = {(const uint8_t *)"x\7", 2}, v2 = {(const uint8_t *)"\0\0\0\11ab\2", 7};
    sl_bytes_t v3 = {(const uint8_t *)"", 0};
    assert_int_equal(sl_test_driver_pipe(d, "bad-g-repartition", &k, &v1, 1), 0);
    assert_int_equal(sl_test_driver_pipe(d, "bad-g-repartition", &k, &v2, 1), 0);
    assert_int_equal(sl_test_driver_pipe(d, "bad-g-repartition", &k, &v3, 1), 0);
    assert_int_equal(sl_test_driver_metric(d, "deserialization-errors"), 3);
    /* A well-formed one counts. */
    sl_bytes_t v4 = {(const uint8_t *)"zed\1", 4};
    assert_int_equal(sl_test_driver_pipe(d, "bad-g-repartition", &k, &v4, 2), 0);
    expect_i64(d, "out", "E", 1, 2);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* A word count in name scope "scope" (counting from the topic in_<scope>). */
static void scoped_count(sl_topology_t *t, const char *scope)
{
    char in[64], out[64];
    snprintf(in, sizeof in, "in_%s", scope);
    snprintf(out, sizeof out, "out_%s", scope);
    assert_int_equal(sl_topology_name_scope(t, scope), SL_OK);
    sl_kstream_t *s = sl_stream(t, (const char *[]){in}, 1, NULL);
    sl_ktable_t *c = sl_kgroupedstream_count(sl_kstream_group_by(s, value_as_key, NULL, NULL), NULL);
    assert_int_equal(sl_kstream_to(sl_ktable_to_stream(c), out, NULL), 0);
}

/* Name scopes: a part's generated names (nodes, stores, repartition topics)
 * do not depend on what the topology held before it. */
static void test_name_scope(void **state)
{
    (void)state;
    sl_topology_t *t1 = sl_topology_new(), *t2 = sl_topology_new();
    sl_topology_set_default_serdes(t1, &sl_serde_string, &sl_serde_string);
    sl_topology_set_default_serdes(t2, &sl_serde_string, &sl_serde_string);
    scoped_count(t1, "Q_A");
    scoped_count(t1, "Q_B");
    scoped_count(t2, "Q_B");
    assert_null(sl_topology_error(t1));
    assert_null(sl_topology_error(t2));
    assert_int_equal(sl_topology_name_scope(t1, "bad scope"), SL_ERR_INVAL);
    assert_non_null(sl_topology_error(t1));
    char *d1 = sl_topology_describe(t1), *d2 = sl_topology_describe(t2);
    assert_non_null(strstr(d1, "Q_A-KSTREAM-SOURCE-0000000000"));
    assert_non_null(strstr(d1, "Q_B-KSTREAM-SOURCE-0000000000"));
    assert_non_null(strstr(d1, "Q_B-KSTREAM-AGGREGATE-STATE-STORE-"));
    assert_non_null(strstr(d1, "Q_B-KSTREAM-REPARTITION-"));
    /* Every line naming Q_B's parts in t2 is in t1 as it is. */
    int lines = 0;
    for (char *save, *l = strtok_r(d2, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!strstr(l, "Q_B-"))
            continue;
        if (!strstr(d1, l))
            fail_msg("not in the larger topology: %s", l);
        lines++;
    }
    assert_true(lines >= 4);
    free(d1);
    free(d2);
    sl_topology_destroy(t1);
    sl_topology_destroy(t2);
}

/* ---- the results' time ------------------------------------------------------------------------- */

/* Kafka Streams' aggregations are timestamped (KIP-258): a result's time is
 * the latest of its record's and the previous result's, out-of-order records
 * included — on the output, on the changelog, and after a restart of the
 * store (the time is kept with the value). Grouped streams and re-grouped
 * tables, with and without the record cache. */
static void test_result_time(void **state)
{
    for (int nocache = 0; nocache < 2; nocache++) {
        sl_topology_t *t = sl_topology_new();
        sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
        sl_materialized_t m = {.store_name = "c"};
        sl_ktable_t *c =
            sl_kgroupedstream_count(sl_kstream_group_by_key(sl_stream(t, (const char *[]){"in"},
                                                                      1, NULL),
                                                            NULL),
                                    &m);
        sl_kstream_to(sl_ktable_to_stream(c), "out", NULL);
        sl_ktable_t *users = sl_table(t, "users", NULL, NULL);
        sl_materialized_t mr = {.store_name = "rc"};
        sl_ktable_t *rc =
            sl_kgroupedtable_count(sl_ktable_group_by(users, user_region, NULL, NULL), &mr);
        sl_kstream_to(sl_ktable_to_stream(rc), "region-out", NULL);
        assert_null(sl_topology_error(t));
        sl_config_t *cfg = config("rt", nocache);
        sl_test_driver_t *d = driver(t, cfg);

        assert_int_equal(pipe_str(d, "in", "a", "x", 5), 0);
        assert_int_equal(pipe_str(d, "in", "a", "x", 3), 0); /* out of order */
        assert_int_equal(pipe_str(d, "in", "b", "x", 2), 0);
        assert_int_equal(pipe_str(d, "in", "a", "x", 7), 0);
        expect_i64(d, "out", "a", 1, 5);
        expect_i64(d, "out", "a", 2, 5);
        expect_i64(d, "out", "b", 1, 2);
        expect_i64(d, "out", "a", 3, 7);
        expect_i64(d, "rt-c-changelog", "a", 1, 5);
        expect_i64(d, "rt-c-changelog", "a", 2, 5);
        expect_i64(d, "rt-c-changelog", "b", 1, 2);
        expect_i64(d, "rt-c-changelog", "a", 3, 7);
        assert_int_equal(store_i64(d, "c", "a"), 3); /* the stored time is not the value */

        assert_int_equal(pipe_str(d, "users", "alice", "E", 10), 0);
        assert_int_equal(pipe_str(d, "users", "bob", "E", 4), 0);
        expect_i64(d, "region-out", "E", 1, 10);
        expect_i64(d, "region-out", "E", 2, 10);
        /* Four counts and two region counts out; repartition and changelog
         * records are not counted. */
        assert_int_equal(sl_test_driver_metric(d, "record-send-total"), 6);
        sl_test_driver_destroy(d);
        sl_config_destroy(cfg);
        sl_topology_destroy(t);
    }
}

SL_TEST_GROUP(aggregate, cmocka_unit_test(test_name_scope), cmocka_unit_test(test_word_count), cmocka_unit_test(test_word_count_nocache),
              cmocka_unit_test(test_updates_within_one_record),
              cmocka_unit_test(test_group_by_key), cmocka_unit_test(test_store_options),
              cmocka_unit_test(test_build_errors), cmocka_unit_test(test_table_regroup),
              cmocka_unit_test(test_table_regroup_nocache),
              cmocka_unit_test(test_regroup_stream_counts), cmocka_unit_test(test_value_getter),
              cmocka_unit_test(test_randomized), cmocka_unit_test(test_bad_repartition_record),
              cmocka_unit_test(test_result_time))
