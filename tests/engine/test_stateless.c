/* test_stateless.c — the record-at-a-time KStream operators, sinks, the
 * processor API and punctuators, serdes and error handling, through the test
 * driver. */
#include <jansson.h>
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

static sl_err_t pipe_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                         int64_t ts)
{
    return sl_test_driver_pipe_obj(d, topic, &sl_serde_string, k, &sl_serde_string, v, ts);
}

/* Reads one string record and checks it. */
static void expect_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                       int64_t ts)
{
    const void *ko, *vo;
    int64_t t;
    int rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_string, &vo, &t);
    if (rc != 1)
        fail_msg("%s: expected (%s, %s), got rc %d", topic, k ? k : "null", v ? v : "null", rc);
    if (k)
        assert_string_equal(ko, k);
    else
        assert_null(ko);
    if (v)
        assert_string_equal(vo, v);
    else
        assert_null(vo);
    if (ts >= 0)
        assert_int_equal(t, ts);
}

static const sl_consumed_t strings = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};

/* ---- filter, map_values, to ---------------------------------------------------------------- */

static int long_value(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return v && strlen(v) > *(size_t *)arg;
}

static const void *upper(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    if (!v)
        return NULL;
    size_t n = strlen(v);
    char *u = sl_ctx_alloc(ctx, n + 1);
    for (size_t i = 0; i <= n; i++)
        u[i] = (char)(((const char *)v)[i] >= 'a' && ((const char *)v)[i] <= 'z'
                          ? ((const char *)v)[i] - 32
                          : ((const char *)v)[i]);
    return u;
}

static void test_filter_map_values(void **state)
{
    sl_topology_t *t = sl_topology_new();
    const char *in[] = {"in"};
    size_t min = 2;
    sl_kstream_t *s = sl_stream(t, in, 1, &strings);
    s = sl_kstream_filter(s, long_value, &min);
    s = sl_kstream_map_values(s, upper, NULL);
    sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    assert_int_equal(sl_kstream_to(s, "out", &p), 0);
    sl_kstream_t *rest = sl_kstream_filter_not(sl_stream(t, (const char *[]){"in2"}, 1, &strings),
                                               long_value, &min);
    assert_int_equal(sl_kstream_to(rest, "short", &p), 0);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    assert_int_equal(pipe_str(d, "in", "a", "hello", 10), 0);
    assert_int_equal(pipe_str(d, "in", "b", "hi", 11), 0);
    assert_int_equal(pipe_str(d, "in", NULL, "null key", 12), 0);
    assert_int_equal(pipe_str(d, "in2", "c", "ok", 13), 0);
    assert_int_equal(pipe_str(d, "in2", "d", "long", 14), 0);
    assert_int_equal(sl_test_driver_queued(d, "out"), 2);
    expect_str(d, "out", "a", "HELLO", 10);
    expect_str(d, "out", NULL, "NULL KEY", 12);
    expect_str(d, "short", "c", "ok", 13);
    assert_int_equal(sl_test_driver_queued(d, "short"), 0);
    assert_int_equal(sl_test_driver_pipe_obj(d, "nope", NULL, "k", NULL, "v", 1),
                     SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_test_driver_metric(d, "process-total"), 5);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- map, select_key, flat_map, flat_map_values ---------------------------------------------- */

static void swap(void *arg, sl_ctx_t *ctx, const void *k, const void *v, const void **ok,
                 const void **ov)
{
    *ok = v, *ov = k;
}

static const void *first_char(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    char *c = sl_ctx_alloc(ctx, 2);
    c[0] = ((const char *)v)[0], c[1] = 0;
    return c;
}

/* Splits the value into words: one record per word. */
static void words(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    char *copy = sl_ctx_alloc(ctx, strlen(v) + 1);
    strcpy(copy, v);
    for (char *save, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        sl_ctx_forward(ctx, w, w); /* flat_map_values ignores the key given */
}

static void test_map_flat_map(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, NULL);
    sl_kstream_to(sl_kstream_map(s, swap, NULL), "swapped", NULL);
    sl_kstream_to(sl_kstream_select_key(s, first_char, NULL), "keyed", NULL);
    sl_kstream_to(sl_kstream_flat_map(s, words, NULL), "words", NULL);
    sl_kstream_to(sl_kstream_flat_map_values(s, words, NULL), "wordvalues", NULL);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    assert_int_equal(pipe_str(d, "in", "k", "the quick fox", 5), 0);
    expect_str(d, "swapped", "the quick fox", "k", 5);
    expect_str(d, "keyed", "t", "the quick fox", 5);
    expect_str(d, "words", "the", "the", 5);
    expect_str(d, "words", "quick", "quick", 5);
    expect_str(d, "words", "fox", "fox", 5);
    expect_str(d, "wordvalues", "k", "the", 5);
    expect_str(d, "wordvalues", "k", "quick", 5);
    expect_str(d, "wordvalues", "k", "fox", 5);
    assert_int_equal(sl_test_driver_queued(d, "words"), 0);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- split, merge, peek, foreach ------------------------------------------------------------------- */

static int starts_with(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return !strncmp(v, arg, strlen(arg));
}

static void count_action(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    (*(int *)arg)++;
}

static void test_split_merge_peek(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, NULL);
    sl_kstream_t *b[3];
    sl_predicate_fn preds[] = {starts_with, starts_with, NULL};
    void *args[] = {"a", "b", NULL};
    assert_int_equal(sl_kstream_split(s, 3, preds, args, b), SL_OK);
    int peeked = 0, seen = 0;
    sl_kstream_to(sl_kstream_peek(b[0], count_action, &peeked), "a", NULL);
    sl_kstream_to(b[1], "b", NULL);
    sl_kstream_to(b[2], "other", NULL);
    sl_kstream_t *m = sl_kstream_merge(b[0], b[1]);
    sl_kstream_to(m, "ab", NULL);
    assert_int_equal(sl_kstream_foreach(m, count_action, &seen), 0);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    const char *vals[] = {"apple", "banana", "cherry", "avocado", "blueberry"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(pipe_str(d, "in", "k", vals[i], i), 0);
    assert_int_equal(sl_test_driver_queued(d, "a"), 2);
    assert_int_equal(sl_test_driver_queued(d, "b"), 2);
    assert_int_equal(sl_test_driver_queued(d, "other"), 1);
    expect_str(d, "ab", "k", "apple", 0);
    expect_str(d, "ab", "k", "banana", 1);
    expect_str(d, "ab", "k", "avocado", 3);
    expect_str(d, "ab", "k", "blueberry", 4);
    expect_str(d, "other", "k", "cherry", 2);
    assert_int_equal(peeked, 2);
    assert_int_equal(seen, 4);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- dynamic topics, headers, timestamps --------------------------------------------------------------- */

static const char *topic_of(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return k;
}

static int64_t ts_from_value(void *arg, const void *k, const void *v, int64_t rts, int64_t pt)
{
    return atoll(v);
}

static void test_dynamic_headers_timestamps(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_consumed_t c = {.timestamp_extractor = ts_from_value};
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, &c);
    assert_int_equal(sl_kstream_to_dynamic(s, topic_of, NULL, NULL), 0);
    sl_test_driver_t *d = driver(t, NULL);
    sl_header_t h = {"h1", {(const uint8_t *)"v1", 2}, 0};
    sl_bytes_t k = {(const uint8_t *)"t1", 2}, v = {(const uint8_t *)"1234", 4};
    assert_int_equal(sl_test_driver_pipe_headers(d, "in", &k, &v, 99, &h, 1), 0);
    sl_bytes_t v2 = {(const uint8_t *)"-5", 2};
    assert_int_equal(sl_test_driver_pipe(d, "in", &k, &v2, 99), 0); /* negative: dropped */
    sl_bytes_t k3 = {(const uint8_t *)"t2", 2};
    assert_int_equal(sl_test_driver_pipe(d, "in", &k3, &v, 1), 0);
    sl_test_record_t r;
    assert_int_equal(sl_test_driver_read(d, "t1", &r), 1);
    assert_int_equal(r.timestamp, 1234);
    assert_int_equal(r.nheaders, 1);
    assert_string_equal(r.headers[0].key, "h1");
    assert_memory_equal(r.headers[0].value.data, "v1", 2);
    assert_int_equal(sl_test_driver_read(d, "t1", &r), 0);
    assert_int_equal(sl_test_driver_read(d, "t2", &r), 1);
    assert_int_equal(sl_test_driver_metric(d, "dropped-records"), 1);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- serdes, deserialization errors ------------------------------------------------------------------ */

static void test_serdes_and_bad_records(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_consumed_t c = {.key_serde = &sl_serde_int32, .value_serde = &sl_serde_json};
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, &c);
    sl_produced_t p = {.key_serde = &sl_serde_int32, .value_serde = &sl_serde_json};
    sl_kstream_to(s, "out", &p);
    sl_test_driver_t *d = driver(t, NULL);
    int32_t key = -7;
    json_t *j = json_pack("{s:i,s:s,s:f}", "id", 1, "user", "u42", "amount", 12.5);
    assert_int_equal(sl_test_driver_pipe_obj(d, "in", NULL, &key, NULL, j, 3), 0);
    json_decref(j);
    sl_bytes_t badk = {(const uint8_t *)"abc", 3}, v = {(const uint8_t *)"{}", 2};
    assert_int_equal(sl_test_driver_pipe(d, "in", &badk, &v, 4), 0); /* key not 4 bytes */
    sl_bytes_t k4 = {(const uint8_t *)"\0\0\0\1", 4}, badv = {(const uint8_t *)"{nope", 5};
    assert_int_equal(sl_test_driver_pipe(d, "in", &k4, &badv, 5), 0);
    assert_int_equal(sl_test_driver_metric(d, "deserialization-errors"), 2);
    const void *ko, *vo;
    assert_int_equal(sl_test_driver_read_obj(d, "out", &sl_serde_int32, &ko, &sl_serde_json, &vo,
                                             NULL),
                     1);
    assert_int_equal(*(const int32_t *)ko, -7);
    assert_string_equal(json_string_value(json_object_get(vo, "user")), "u42");
    assert_true(json_real_value(json_object_get(vo, "amount")) == 12.5);
    assert_int_equal(sl_test_driver_queued(d, "out"), 0);
    sl_test_driver_destroy(d);

    /* logAndFail: the pipe call returns the error and the driver stops. */
    sl_config_t *cfg = sl_config_new();
    char err[256];
    assert_int_equal(sl_config_set(cfg, "default.deserialization.exception.handler", "logAndFail",
                                   err, sizeof err),
                     0);
    assert_int_equal(sl_config_set(cfg, "default.deserialization.exception.handler", "maybe",
                                   err, sizeof err),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "default.deserialization.exception.handler"));
    d = driver(t, cfg);
    assert_int_equal(sl_test_driver_pipe(d, "in", &badk, &v, 4), SL_ERR_SERDE);
    assert_non_null(strstr(sl_test_driver_last_error(d), "int32"));
    assert_int_equal(sl_test_driver_pipe(d, "in", &k4, &v, 4), SL_ERR_STATE);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);

    /* Numbers round-trip in Kafka's encodings. */
    t = sl_topology_new();
    sl_consumed_t c2 = {.key_serde = &sl_serde_int64, .value_serde = &sl_serde_double};
    sl_produced_t p2 = {.key_serde = &sl_serde_int64, .value_serde = &sl_serde_double};
    sl_kstream_to(sl_stream(t, (const char *[]){"in"}, 1, &c2), "out", &p2);
    d = driver(t, NULL);
    int64_t k64 = 0x0102030405060708LL;
    double dv = -2.5;
    assert_int_equal(sl_test_driver_pipe_obj(d, "in", NULL, &k64, NULL, &dv, 1), 0);
    sl_test_record_t r;
    assert_int_equal(sl_test_driver_read(d, "out", &r), 1);
    assert_int_equal(r.key.len, 8);
    assert_memory_equal(r.key.data, "\1\2\3\4\5\6\7\10", 8);
    assert_memory_equal(r.value.data, "\xc0\x04\0\0\0\0\0\0", 8);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- build errors ----------------------------------------------------------------------------------------- */

static void test_build_errors(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_kstream_t *s = sl_stream(t, (const char *[]){"in"}, 1, NULL);
    assert_null(sl_kstream_filter(s, NULL, NULL));
    assert_null(sl_kstream_map_values(NULL, upper, NULL)); /* NULL chains */
    assert_non_null(strstr(sl_topology_error(t), "filter"));
    char err[256];
    sl_test_driver_t *d;
    assert_int_equal(sl_test_driver_new(t, NULL, 0, &d, err, sizeof err), SL_ERR_TOPOLOGY);
    assert_non_null(strstr(err, "filter"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_stream(t, (const char *[]){"in"}, 1, NULL);
    assert_null(sl_stream(t, (const char *[]){"in"}, 1, NULL));
    assert_non_null(strstr(sl_topology_error(t), "already read"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    assert_int_equal(sl_test_driver_new(t, NULL, 0, &d, err, sizeof err), SL_ERR_TOPOLOGY);
    sl_topology_destroy(t);
}

/* ---- processor API, punctuators, stores ------------------------------------------------------------------- */

typedef struct counter_proc {
    int punct_stream, punct_wall;
    int64_t last_stream, last_wall;
    sl_kvstore_t *store;
} counter_proc_t;

static void on_stream(void *st, sl_ctx_t *ctx, int64_t time)
{
    counter_proc_t *c = st;
    c->punct_stream++;
    c->last_stream = time;
    sl_ctx_forward(ctx, "punct", "stream");
}

static void on_wall(void *st, sl_ctx_t *ctx, int64_t time)
{
    counter_proc_t *c = st;
    c->punct_wall++;
    c->last_wall = time;
}

static sl_err_t cp_init(void *arg, sl_ctx_t *ctx, void **state)
{
    counter_proc_t *c = arg;
    *state = c;
    c->store = sl_ctx_kv_store(ctx, "counts");
    if (!c->store)
        return SL_ERR_STATE;
    sl_err_t err = sl_ctx_schedule(ctx, 10, SL_PUNCTUATE_STREAM_TIME, on_stream, c);
    if (!err)
        err = sl_ctx_schedule(ctx, 1000, SL_PUNCTUATE_WALL_CLOCK, on_wall, c);
    return err;
}

static void cp_process(void *state, sl_ctx_t *ctx, const void *k, const void *v)
{
    counter_proc_t *c = state;
    const void *old;
    int rc = sl_kvstore_get(ctx, c->store, k, &old);
    if (rc < 0)
        return;
    int64_t *n = sl_ctx_alloc(ctx, sizeof *n);
    *n = (rc ? *(const int64_t *)old : 0) + 1;
    sl_kvstore_put(ctx, c->store, k, n);
    char *out = sl_ctx_alloc(ctx, 32);
    snprintf(out, 32, "%lld", (long long)*n);
    sl_ctx_forward(ctx, k, out);
}

static int sum_range(void *arg, const void *k, const void *v)
{
    *(int64_t *)arg += *(const int64_t *)v;
    return 0;
}

static void total_process(void *state, sl_ctx_t *ctx, const void *k, const void *v)
{
    int64_t total = 0;
    sl_kvstore_t *s = sl_ctx_kv_store(ctx, "counts");
    assert_int_equal(sl_kvstore_range(ctx, s, NULL, NULL, sum_range, &total), 0);
    char *out = sl_ctx_alloc(ctx, 32);
    snprintf(out, 32, "%lld", (long long)total);
    sl_ctx_forward(ctx, "total", out);
}

static void test_processor_punctuators(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_store_def_t sd = {.name = "counts", .type = SL_STORE_KV, .key_serde = &sl_serde_string,
                         .value_serde = &sl_serde_int64};
    assert_int_equal(sl_topology_add_store(t, &sd), SL_OK);
    assert_int_equal(sl_topology_add_store(t, &sd), SL_ERR_EXISTS);
    counter_proc_t cp = {0};
    sl_processor_t p = {cp_init, cp_process, NULL, &cp};
    sl_kstream_t *s = sl_kstream_process(sl_stream(t, (const char *[]){"in"}, 1, NULL), &p,
                                         (const char *[]){"counts"}, 1);
    sl_kstream_to(s, "out", NULL);
    sl_processor_t total = {NULL, total_process, NULL, NULL};
    sl_kstream_to(sl_kstream_process(s, &total, (const char *[]){"counts"}, 1), "totals", NULL);
    assert_null(sl_kstream_process(s, &p, (const char *[]){"missing"}, 1));
    assert_non_null(strstr(sl_topology_error(t), "missing"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    assert_int_equal(sl_topology_add_store(t, &sd), SL_OK);
    s = sl_kstream_process(sl_stream(t, (const char *[]){"in"}, 1, NULL), &p,
                           (const char *[]){"counts"}, 1);
    sl_kstream_to(s, "out", NULL);
    sl_kstream_to(sl_kstream_process(s, &total, (const char *[]){"counts"}, 1), "totals", NULL);
    assert_null(sl_topology_error(t));
    sl_test_driver_t *d = driver(t, NULL);
    /* Stream time starts the schedule at 0: the first record punctuates. */
    assert_int_equal(pipe_str(d, "in", "a", "x", 3), 0);
    assert_int_equal(cp.punct_stream, 1);
    assert_int_equal(pipe_str(d, "in", "a", "x", 5), 0);
    assert_int_equal(pipe_str(d, "in", "b", "x", 9), 0);
    assert_int_equal(cp.punct_stream, 1);
    assert_int_equal(pipe_str(d, "in", "a", "x", 47), 0); /* one punctuation for the jump */
    assert_int_equal(cp.punct_stream, 2);
    assert_int_equal(cp.last_stream, 47);
    assert_int_equal(pipe_str(d, "in", "b", "x", 49), 0); /* next is due at 50 */
    assert_int_equal(cp.punct_stream, 2);
    expect_str(d, "out", "a", "1", 3);
    expect_str(d, "out", "punct", "stream", 3);
    expect_str(d, "out", "a", "2", 5);
    expect_str(d, "out", "b", "1", 9);
    expect_str(d, "out", "a", "3", 47);
    expect_str(d, "out", "punct", "stream", 47);
    expect_str(d, "out", "b", "2", 49);
    expect_str(d, "totals", "total", "1", 3);
    expect_str(d, "totals", "total", "1", 3); /* the punctuator's record went there too */
    expect_str(d, "totals", "total", "2", 5);
    expect_str(d, "totals", "total", "3", 9);
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "counts", "a", &v), 1);
    assert_int_equal(*(const int64_t *)v, 3);
    assert_int_equal(sl_test_driver_kv_get(d, "counts", "zz", &v), 0);
    /* The store's changelog got every update. */
    assert_int_equal(sl_test_driver_queued(d, "test-driver-counts-changelog"), 5);
    assert_int_equal(sl_test_driver_advance_wall_clock(d, 999), 0);
    assert_int_equal(cp.punct_wall, 0);
    assert_int_equal(sl_test_driver_advance_wall_clock(d, 1), 0);
    assert_int_equal(cp.punct_wall, 1);
    assert_int_equal(cp.last_wall, 1000);
    assert_int_equal(sl_test_driver_advance_wall_clock(d, 3500), 0);
    assert_int_equal(cp.punct_wall, 2);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- repartition -------------------------------------------------------------------------------------------- */

static void test_repartition(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *s = sl_kstream_select_key(sl_stream(t, (const char *[]){"in"}, 1, NULL),
                                            first_char, NULL);
    sl_repartitioned_t r = {.name = "byfirst"};
    sl_kstream_to(sl_kstream_repartition(s, &r), "out", NULL);
    assert_null(sl_topology_error(t));
    sl_config_t *cfg = sl_config_new();
    sl_config_set(cfg, "application.id", "app", NULL, 0);
    sl_test_driver_t *d = driver(t, cfg);
    char *desc = sl_topology_describe(t);
    assert_non_null(strstr(desc, "Sub-topology: 1"));
    assert_non_null(strstr(desc, "-byfirst-repartition"));
    free(desc);
    assert_int_equal(pipe_str(d, "in", "k", "zebra", 7), 0);
    expect_str(d, "app-byfirst-repartition", "z", "zebra", 7);
    expect_str(d, "out", "z", "zebra", 7);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

SL_TEST_GROUP(stateless, cmocka_unit_test(test_filter_map_values),
              cmocka_unit_test(test_map_flat_map), cmocka_unit_test(test_split_merge_peek),
              cmocka_unit_test(test_dynamic_headers_timestamps),
              cmocka_unit_test(test_serdes_and_bad_records), cmocka_unit_test(test_build_errors),
              cmocka_unit_test(test_processor_punctuators), cmocka_unit_test(test_repartition))
