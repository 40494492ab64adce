/* test_runner.c — running topologies for real (sl_streams_*) on an embedded
 * broker, through both log clients: output, interactive queries, commits,
 * restart with only the changelog tail replayed, a lost state directory
 * rebuilt from the changelog (values' times included), and topologies
 * refused at start. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/broker.h>
#include <sluice/sluice.h>

#include "common/buf.h"
#include "common/trace.h"
#include "engine/logclient.h"
#include "state/state.h"
#include "testutil.h"

enum { LOCAL, KAFKA };

typedef struct fx {
    int kind;
    char *dir;
    char state[4096];
    sl_embedded_broker_t *eb;
    sl_lc_t *lc; /* a plain client for set-up and checks */
    sl_streams_t *app; /* the running application, closed by teardown after a failure */
} fx_t;

static int setup(void **state, int kind)
{
    fx_t *f = calloc(1, sizeof *f);
    f->kind = kind;
    f->dir = sl_test_mkdtemp();
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    sl_trace_set_sink(NULL, NULL, getenv("SL_TEST_TRACE") ? SL_TRACE_DEBUG : SL_TRACE_ERROR);
    static const char *const props[] = {"offsets.topic.num.partitions", "1", NULL};
    char err[512], data[4096];
    snprintf(data, sizeof data, "%s/data", f->dir);
    if (sl_embedded_broker_start_with(data, "127.0.0.1:0", props, &f->eb, err, sizeof err))
        fail_msg("broker: %s", err);
    if (sl_lc_new_local(sl__embedded_broker_get(f->eb), NULL, &f->lc, err, sizeof err))
        fail_msg("client: %s", err);
    *state = f;
    return 0;
}

static int setup_local(void **state) { return setup(state, LOCAL); }
static int setup_kafka(void **state) { return setup(state, KAFKA); }

static int teardown(void **state)
{
    fx_t *f = *state;
    sl_streams_close(f->app); /* a test that failed left it running */
    sl_lc_destroy(f->lc);
    sl_embedded_broker_stop(f->eb);
    sl_test_rmdir(f->dir);
    free(f);
    return 0;
}

static void produce(fx_t *f, const char *topic, const char *key, const char *value)
{
    sl_lc_record_t r = {
        .key = {(const uint8_t *)key, strlen(key)},
        .value = value ? (sl_bytes_t){(const uint8_t *)value, strlen(value)} : (sl_bytes_t){0},
        .timestamp = -1,
    };
    assert_int_equal(sl_lc_produce(f->lc, topic, SL_LC_PARTITION_ANY, &r), SL_OK);
}

static sl_config_t *config(fx_t *f, const char *app)
{
    sl_config_t *cfg = sl_config_new();
    char err[256];
    assert_int_equal(sl_config_set(cfg, "application.id", app, err, sizeof err), 0);
    assert_int_equal(sl_config_set(cfg, "state.dir", f->state, err, sizeof err), 0);
    assert_int_equal(sl_config_set(cfg, "commit.interval.ms", "100", err, sizeof err), 0);
    if (f->kind == KAFKA) {
        assert_int_equal(sl_config_set(cfg, "bootstrap.servers", sl_embedded_broker_bootstrap(f->eb),
                                       err, sizeof err),
                         0);
        sl_config_set(cfg, "consumer.fetch.wait.max.ms", "20", err, sizeof err);
        sl_config_set(cfg, "consumer.heartbeat.interval.ms", "100", err, sizeof err);
        sl_config_set(cfg, "producer.linger.ms", "1", err, sizeof err);
    }
    return cfg;
}

/* ---- a counting processor: the runner's work without the DSL's aggregations ---------------- */

static sl_err_t cnt_init(void *arg, sl_ctx_t *ctx, void **state)
{
    *state = sl_ctx_kv_store(ctx, "counts");
    return *state ? SL_OK : SL_ERR_STATE;
}

static void cnt_process(void *state, sl_ctx_t *ctx, const void *k, const void *v)
{
    const void *old;
    int rc = sl_kvstore_get(ctx, state, k, &old);
    if (rc < 0)
        return;
    int64_t *n = sl_ctx_alloc(ctx, sizeof *n);
    *n = (rc ? *(const int64_t *)old : 0) + 1;
    if (sl_kvstore_put(ctx, state, k, n))
        return;
    sl_ctx_forward(ctx, k, n);
}

static sl_topology_t *count_topology(void)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_store_def_t sd = {.name = "counts", .type = SL_STORE_KV, .key_serde = &sl_serde_string,
                         .value_serde = &sl_serde_int64};
    assert_int_equal(sl_topology_add_store(t, &sd), SL_OK);
    sl_processor_t p = {cnt_init, cnt_process, NULL, NULL};
    sl_kstream_t *s = sl_kstream_process(sl_stream(t, (const char *[]){"words"}, 1, NULL), &p,
                                         (const char *[]){"counts"}, 1);
    sl_produced_t pr = {.value_serde = &sl_serde_int64};
    assert_int_equal(sl_kstream_to(s, "word-counts", &pr), 0);
    assert_null(sl_topology_error(t));
    return t;
}

static void got_count(void *arg, const void *v) { *(int64_t *)arg = *(const int64_t *)v; }

static int64_t iq_count(sl_streams_t *app, const char *word)
{
    int64_t n = -1;
    int rc = sl_streams_kv_get(app, "counts", word, got_count, &n);
    if (rc < 0)
        fail_msg("kv_get %s: %s", word, sl_err_name(rc));
    return rc == 1 ? n : 0;
}

static int nthreads = 1; /* num.stream.threads of the next start */
static int nocache;      /* the next start without the record cache */

static sl_streams_t *start(fx_t *f, sl_topology_t *t, const char *app_id)
{
    sl_config_t *cfg = config(f, app_id);
    char nt[16];
    snprintf(nt, sizeof nt, "%d", nthreads);
    sl_config_set(cfg, "num.stream.threads", nt, NULL, 0);
    if (nocache)
        sl_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    sl_streams_t *app;
    char err[1024];
    if (sl_streams_new(t, cfg, f->eb, &app, err, sizeof err))
        fail_msg("new: %s", err);
    sl_config_destroy(cfg);
    f->app = app;
    if (sl_streams_start(app, err, sizeof err))
        fail_msg("start: %s", err);
    return app;
}

static void stop(fx_t *f)
{
    sl_streams_close(f->app);
    f->app = NULL;
}

static void wait_idle(sl_streams_t *app)
{
    sl_err_t err = sl_streams_wait_idle(app, 30000);
    if (err)
        fail_msg("wait_idle: %s (%s)", sl_err_name(err), sl_streams_error(app));
}

typedef struct range {
    int n;
    int64_t sum;
} range_t;

static int in_range(void *arg, const void *k, const void *v)
{
    range_t *r = arg;
    r->n++;
    r->sum += *(const int64_t *)v;
    return 0;
}

static const char *words[] = {"apple", "banana", "cherry", "date", "elder", "fig", "grape"};

static void test_count_restart_restore(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "words", 3, -1, NULL, err, sizeof err), SL_OK);
    int64_t truth[7] = {0};
    for (int i = 0; i < 200; i++) {
        produce(f, "words", words[i % 7], "x");
        truth[i % 7]++;
    }
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);

    sl_topology_t *t = count_topology();
    sl_streams_t *app = start(f, t, "wc");
    wait_idle(app);
    for (int i = 0; i < 7; i++)
        assert_int_equal(iq_count(app, words[i]), truth[i]);
    range_t r = {0};
    assert_int_equal(sl_streams_kv_range(app, "counts", "banana", "date", in_range, &r), SL_OK);
    assert_int_equal(r.n, 2); /* banana, cherry: [from, to) */
    assert_int_equal(r.sum, truth[1] + truth[2]);
    r = (range_t){0};
    assert_int_equal(sl_streams_kv_all(app, "counts", in_range, &r), SL_OK);
    assert_int_equal(r.n, 7);
    assert_int_equal(sl_streams_kv_range(app, "nope", NULL, NULL, in_range, &r), SL_ERR_INVAL);
    assert_int_equal(sl_streams_metric(app, "process-total"), 200);
    assert_int_equal(sl_streams_metric(app, "record-send-total"), 200);
    assert_int_equal(sl_streams_metric(app, "tasks"), 3);
    int32_t local = -1, all = -1;
    assert_int_equal(sl_streams_store_partitions(app, "counts", &local, &all), SL_OK);
    assert_int_equal(local, 3);
    assert_int_equal(all, 3);
    assert_int_equal(sl_streams_store_partitions(app, "nope", &local, &all), SL_ERR_INVAL);
    stop(f);

    /* The output topic has every update; the changelog exists, compacted. */
    int32_t parts;
    assert_int_equal(sl_lc_partition_count(f->lc, "word-counts", &parts), SL_OK);
    assert_int_equal(sl_lc_partition_count(f->lc, "wc-counts-changelog", &parts), SL_OK);
    assert_int_equal(parts, 3);
    int64_t total = 0;
    for (int p = 0; p < 3; p++) {
        int64_t end;
        assert_int_equal(sl_lc_end_offset(f->lc, "word-counts", p, &end), SL_OK);
        total += end;
    }
    assert_int_equal(total, 200);

    /* A clean restart replays nothing and goes on counting. */
    for (int i = 0; i < 70; i++) {
        produce(f, "words", words[i % 7], "x");
        truth[i % 7]++;
    }
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    app = start(f, t, "wc");
    wait_idle(app);
    assert_int_equal(sl_streams_metric(app, "restored-records"), 0);
    assert_int_equal(sl_streams_metric(app, "process-total"), 70);
    for (int i = 0; i < 7; i++)
        assert_int_equal(iq_count(app, words[i]), truth[i]);
    stop(f);

    /* A lost state directory is rebuilt from the changelog (270 updates of 7
     * keys, not compacted yet: every record replayed), without reprocessing. */
    char wcdir[4200];
    snprintf(wcdir, sizeof wcdir, "%s/wc", f->state);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", wcdir);
    assert_int_equal(system(cmd), 0);
    app = start(f, t, "wc");
    wait_idle(app);
    assert_int_equal(sl_streams_metric(app, "restored-records"), 270);
    assert_int_equal(sl_streams_metric(app, "process-total"), 0);
    for (int i = 0; i < 7; i++)
        assert_int_equal(iq_count(app, words[i]), truth[i]);
    stop(f);
    sl_topology_destroy(t);
}

/* ---- a stream joined with a global table ------------------------------------------------------ */

static const void *same_key(void *arg, sl_ctx_t *ctx, const void *k, const void *v) { return k; }

static const void *enrich(void *arg, sl_ctx_t *ctx, const void *k, const void *click,
                          const void *region)
{
    size_t n = strlen(click) + (region ? strlen(region) : 4) + 2;
    char *out = sl_ctx_alloc(ctx, n);
    snprintf(out, n, "%s@%s", (const char *)click, region ? (const char *)region : "none");
    return out;
}

typedef struct seen {
    char rec[64][64];
    int n;
} seen_t;

static int collect_out(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *r)
{
    seen_t *s = opaque;
    if (s->n < 64)
        snprintf(s->rec[s->n++], 64, "%.*s=%.*s", (int)r->key.len, (const char *)r->key.data,
                 (int)r->value.len, (const char *)r->value.data);
    return 0;
}

static int has(const seen_t *s, const char *want)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->rec[i], want))
            return 1;
    return 0;
}

static void read_topic(fx_t *f, const char *topic, int parts, seen_t *s)
{
    sl_lc_tp_t tps[8];
    for (int p = 0; p < parts; p++)
        tps[p] = (sl_lc_tp_t){topic, p, SL_LC_OFFSET_BEGINNING};
    assert_int_equal(sl_lc_assign(f->lc, tps, (size_t)parts), SL_OK);
    s->n = 0;
    for (int i = 0; i < 20; i++)
        sl_lc_poll(f->lc, 50, 1000, collect_out, s);
    sl_lc_assign(f->lc, NULL, 0);
}

static void test_global_join(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "regions", 2, -1, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_lc_create_topic(f->lc, "clicks", 3, -1, NULL, err, sizeof err), SL_OK);
    produce(f, "regions", "alice", "eu");
    produce(f, "regions", "bob", "us");
    produce(f, "clicks", "alice", "home");
    produce(f, "clicks", "carol", "cart");
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);

    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_materialized_t m = {.store_name = "regions"};
    sl_globalktable_t *g = sl_global_table(t, "regions", NULL, &m);
    sl_kstream_t *clicks = sl_stream(t, (const char *[]){"clicks"}, 1, NULL);
    sl_kstream_to(sl_kstream_left_join_global(clicks, g, same_key, NULL, enrich, NULL),
                  "enriched", NULL);
    assert_null(sl_topology_error(t));
    sl_streams_t *app = start(f, t, "enrich");
    wait_idle(app);
    /* The global table was read whole before the first click. */
    seen_t s;
    read_topic(f, "enriched", 3, &s);
    assert_int_equal(s.n, 2);
    assert_true(has(&s, "alice=home@eu"));
    assert_true(has(&s, "carol=cart@none"));
    /* The table moves on while the application runs. */
    produce(f, "regions", "carol", "apac");
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    usleep(1500 * 1000); /* the global thread and the stream thread commit every 100 ms */
    produce(f, "clicks", "carol", "pay");
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    wait_idle(app);
    read_topic(f, "enriched", 3, &s);
    assert_int_equal(s.n, 3);
    assert_true(has(&s, "carol=pay@apac"));
    int64_t found = 0;
    assert_int_equal(sl_streams_kv_get(app, "regions", "bob", got_count, &found), 1);
    stop(f);
    sl_topology_destroy(t);
}

/* A stream record and a table update of the same key at the same time: the
 * table's goes first (the stream joins the table as of its time), whichever
 * was produced first and whatever the order of the task's inputs. */
static void test_stream_table_same_time(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "views", 1, -1, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_lc_create_topic(f->lc, "homes", 1, -1, NULL, err, sizeof err), SL_OK);
    const char *const names[] = {"alice", "bob"};
    for (int i = 0; i < 2; i++) {
        /* alice: the view first; bob: the table row first. */
        sl_lc_record_t v = {.key = {(const uint8_t *)names[i], strlen(names[i])},
                            .value = {(const uint8_t *)"home", 4}, .timestamp = 5000 + i};
        sl_lc_record_t h = {.key = {(const uint8_t *)names[i], strlen(names[i])},
                            .value = {(const uint8_t *)"eu", 2}, .timestamp = 5000 + i};
        if (i == 0)
            assert_int_equal(sl_lc_produce(f->lc, "views", 0, &v), SL_OK);
        assert_int_equal(sl_lc_produce(f->lc, "homes", 0, &h), SL_OK);
        if (i == 1)
            assert_int_equal(sl_lc_produce(f->lc, "views", 0, &v), SL_OK);
    }
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *views = sl_stream(t, (const char *[]){"views"}, 1, NULL);
    sl_ktable_t *homes = sl_table(t, "homes", NULL, NULL);
    sl_kstream_to(sl_kstream_join_table(views, homes, enrich, NULL, NULL), "placed", NULL);
    assert_null(sl_topology_error(t));
    nocache = 1;
    sl_streams_t *app = start(f, t, "placed");
    nocache = 0;
    wait_idle(app);
    seen_t s;
    read_topic(f, "placed", 1, &s);
    assert_int_equal(s.n, 2);
    assert_true(has(&s, "alice=home@eu"));
    assert_true(has(&s, "bob=home@eu"));
    stop(f);
    sl_topology_destroy(t);
}

static void test_global_local(void **state) { test_global_join(state); }
static void test_global_kafka(void **state) { test_global_join(state); }

/* ---- interactive queries of a window store -------------------------------------------------- */

typedef struct wins {
    int64_t start[8], count[8];
    int n;
} wins_t;

static int got_window(void *arg, int64_t start, const void *v)
{
    wins_t *w = arg;
    if (w->n < 8) {
        w->start[w->n] = start;
        w->count[w->n++] = *(const int64_t *)v;
    }
    return 0;
}

/* The timestamp of the (only) windowed count of 3. */
static int count3_time(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *r)
{
    if (r->value.len == 8 && sl_load_be64(r->value.data) == 3)
        *(int64_t *)opaque = r->timestamp;
    return 0;
}

static void test_window_query(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "clicks", 2, -1, NULL, err, sizeof err), SL_OK);
    int64_t ts[] = {1000, 5000, 61000, 62000, 125000};
    for (int i = 0; i < 5; i++) {
        sl_lc_record_t r = {.key = {(const uint8_t *)"alice", 5},
                            .value = {(const uint8_t *)"x", 1},
                            .timestamp = ts[i]};
        assert_int_equal(sl_lc_produce(f->lc, "clicks", SL_LC_PARTITION_ANY, &r), SL_OK);
    }
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_time_windows_t w = {.size_ms = 60000, .grace_ms = 60000};
    /* Kept for an hour: the default (size + grace) would have expired the
     * first minute by the time the last record came. */
    sl_materialized_t m = {.store_name = "per-minute", .value_serde = &sl_serde_int64,
                           .retention_ms = 3600000};
    sl_ktable_t *per_minute = sl_twstream_count(
        sl_kgroupedstream_windowed_by(
            sl_kstream_group_by_key(sl_stream(t, (const char *[]){"clicks"}, 1, NULL), NULL), &w),
        &m);
    sl_kstream_to(sl_ktable_to_stream(per_minute), "per-minute-out", NULL);
    assert_null(sl_topology_error(t));
    sl_streams_t *app = start(f, t, "windows");
    wait_idle(app);
    wins_t got = {0};
    assert_int_equal(sl_streams_window_fetch(app, "per-minute", "alice", 0, INT64_MAX, got_window,
                                             &got),
                     3);
    assert_int_equal(got.start[0], 0);
    assert_int_equal(got.count[0], 2);
    assert_int_equal(got.start[1], 60000);
    assert_int_equal(got.count[1], 2);
    assert_int_equal(got.start[2], 120000);
    assert_int_equal(got.count[2], 1);
    got = (wins_t){0};
    assert_int_equal(sl_streams_window_fetch(app, "per-minute", "alice", 60000, 60000, got_window,
                                             &got),
                     1);
    assert_int_equal(sl_streams_window_fetch(app, "per-minute", "bob", 0, INT64_MAX, got_window,
                                             &got),
                     0);
    assert_int_equal(sl_streams_window_fetch(app, "counts", "bob", 0, 1, got_window, &got),
                     SL_ERR_INVAL);
    stop(f);

    /* The state directory lost: the windows (and their results' times) come
     * back from the changelog. A late record in the first minute counts
     * there; the result keeps the window's latest time, 5000, not 2000. */
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/windows'", f->state);
    assert_int_equal(system(cmd), 0);
    sl_lc_record_t late = {.key = {(const uint8_t *)"alice", 5},
                           .value = {(const uint8_t *)"x", 1},
                           .timestamp = 2000};
    assert_int_equal(sl_lc_produce(f->lc, "clicks", SL_LC_PARTITION_ANY, &late), SL_OK);
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    app = start(f, t, "windows");
    wait_idle(app);
    assert_true(sl_streams_metric(app, "restored-records") > 0);
    got = (wins_t){0};
    assert_int_equal(sl_streams_window_fetch(app, "per-minute", "alice", 0, 0, got_window, &got),
                     1);
    assert_int_equal(got.count[0], 3);
    stop(f);
    int32_t parts;
    assert_int_equal(sl_lc_partition_count(f->lc, "per-minute-out", &parts), SL_OK);
    sl_lc_tp_t tps[8];
    for (int p = 0; p < parts && p < 8; p++)
        tps[p] = (sl_lc_tp_t){"per-minute-out", p, SL_LC_OFFSET_BEGINNING};
    assert_int_equal(sl_lc_assign(f->lc, tps, (size_t)(parts < 8 ? parts : 8)), SL_OK);
    int64_t third = -1;
    for (int i = 0; i < 40 && third < 0; i++)
        sl_lc_poll(f->lc, 50, 1000, count3_time, &third);
    sl_lc_assign(f->lc, NULL, 0);
    assert_int_equal(third, 5000);
    sl_topology_destroy(t);
}

/* ---- headers: many, and long names, pass through whole ------------------------------------ */

static int hdr_out(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *r)
{
    size_t *longest = opaque;
    longest[0] = r->header_count;
    for (size_t i = 0; i < r->header_count; i++)
        if (r->headers[i].name.len > longest[1])
            longest[1] = r->headers[i].name.len;
    return 0;
}

static void test_headers(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "hin", 1, -1, NULL, err, sizeof err), SL_OK);
    char names[20][400];
    sl_lc_header_t hs[20];
    for (int i = 0; i < 20; i++) {
        int len = i == 7 ? 300 : 3;
        memset(names[i], 'a' + i, (size_t)len);
        hs[i] = (sl_lc_header_t){{(const uint8_t *)names[i], (size_t)len},
                                 {(const uint8_t *)"v", 1}};
    }
    sl_lc_record_t r = {.key = {(const uint8_t *)"k", 1}, .value = {(const uint8_t *)"v", 1},
                        .timestamp = -1, .headers = hs, .header_count = 20};
    assert_int_equal(sl_lc_produce(f->lc, "hin", 0, &r), SL_OK);
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    sl_topology_t *t = sl_topology_new();
    sl_kstream_to(sl_stream(t, (const char *[]){"hin"}, 1, NULL), "hout", NULL);
    start(f, t, "headers");
    wait_idle(f->app);
    stop(f);
    sl_topology_destroy(t);
    sl_lc_tp_t tp = {"hout", 0, SL_LC_OFFSET_BEGINNING};
    assert_int_equal(sl_lc_assign(f->lc, &tp, 1), SL_OK);
    size_t got[2] = {0, 0};
    for (int i = 0; i < 20 && !got[0]; i++)
        sl_lc_poll(f->lc, 50, 10, hdr_out, got);
    assert_int_equal(got[0], 20);
    assert_int_equal(got[1], 300);
}

/* ---- a table-table join's times through a restore ------------------------------------------ */

static void produce_at(fx_t *f, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_lc_record_t r = {.key = {(const uint8_t *)key, strlen(key)},
                        .value = {(const uint8_t *)value, strlen(value)},
                        .timestamp = ts};
    assert_int_equal(sl_lc_produce(f->lc, topic, SL_LC_PARTITION_ANY, &r), SL_OK);
}

static const void *plus(void *arg, sl_ctx_t *ctx, const void *k, const void *l, const void *r)
{
    size_t n = strlen(l) + strlen(r) + 2;
    char *s = sl_ctx_alloc(ctx, n);
    snprintf(s, n, "%s+%s", (const char *)l, (const char *)r);
    return s;
}

typedef struct timed {
    char value[8][16];
    int64_t ts[8];
    int n;
} timed_t;

static int collect_timed(void *opaque, const char *topic, int32_t partition,
                         const sl_lc_record_t *r)
{
    timed_t *t = opaque;
    if (t->n < 8 && r->value.data) {
        snprintf(t->value[t->n], sizeof t->value[0], "%.*s", (int)r->value.len,
                 (const char *)r->value.data);
        t->ts[t->n++] = r->timestamp;
    }
    return 0;
}

static void got_string(void *arg, const void *v) { snprintf(arg, 16, "%s", (const char *)v); }

/* The left table's value comes back from its changelog with its time: the
 * join's result for a later right change at an earlier time takes the left
 * value's time, 5000, as before the state directory was lost. A state
 * directory of an older layout is refused. */
static void test_table_join_restore(void **state)
{
    fx_t *f = *state;
    char err[256];
    assert_int_equal(sl_lc_create_topic(f->lc, "tl", 1, -1, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_lc_create_topic(f->lc, "tr", 1, -1, NULL, err, sizeof err), SL_OK);
    produce_at(f, "tl", "k", "A", 5000);
    produce_at(f, "tr", "k", "a", 1000);
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    /* Uncached: with caches, both flushes could emit a result. */
    sl_materialized_t m = {.store_name = "left-rows", .disable_caching = 1};
    sl_materialized_t rm = {.disable_caching = 1};
    sl_ktable_t *l = sl_table(t, "tl", NULL, &m);
    sl_ktable_t *r = sl_table(t, "tr", NULL, &rm);
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_join(l, r, plus, NULL, NULL)), "tjoined", NULL);
    assert_null(sl_topology_error(t));
    sl_streams_t *app = start(f, t, "tj");
    wait_idle(app);
    char got[16] = "";
    assert_int_equal(sl_streams_kv_get(app, "left-rows", "k", got_string, got), 1);
    assert_string_equal(got, "A"); /* the stored time is not the value */
    stop(f);

    /* A state of before the tables' stores kept times (no layout mark, but
     * offsets): refused, not misread. */
    char dir[4200], cmd[4300], msg[256];
    snprintf(dir, sizeof dir, "%s/tj/0_0", f->state);
    sl_state_env_t *env;
    sl_state_txn_t *txn;
    assert_int_equal(sl_state_env_open(dir, 0, 8, &env, msg, sizeof msg), SL_OK);
    assert_int_equal(sl_state_txn_begin(env, 1, &txn), SL_OK);
    assert_int_equal(sl_state_meta_delete(txn, "layout"), 1);
    assert_int_equal(sl_state_txn_commit(txn), SL_OK);
    sl_state_env_close(env);
    app = start(f, t, "tj");
    assert_int_equal(sl_streams_wait_idle(app, 30000), SL_ERR_PROCESSING);
    assert_non_null(strstr(sl_streams_error(app), "older layout"));
    stop(f);

    snprintf(cmd, sizeof cmd, "rm -rf '%s/tj'", f->state);
    assert_int_equal(system(cmd), 0);
    produce_at(f, "tr", "k", "b", 2000);
    assert_int_equal(sl_lc_flush(f->lc, 10000), SL_OK);
    app = start(f, t, "tj");
    wait_idle(app);
    assert_true(sl_streams_metric(app, "restored-records") > 0);
    got[0] = 0;
    assert_int_equal(sl_streams_kv_get(app, "left-rows", "k", got_string, got), 1);
    assert_string_equal(got, "A");
    stop(f);
    sl_topology_destroy(t);

    sl_lc_tp_t tp = {"tjoined", 0, SL_LC_OFFSET_BEGINNING};
    assert_int_equal(sl_lc_assign(f->lc, &tp, 1), SL_OK);
    timed_t out = {0};
    for (int i = 0; i < 40 && out.n < 2; i++)
        sl_lc_poll(f->lc, 50, 1000, collect_timed, &out);
    sl_lc_assign(f->lc, NULL, 0);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.value[0], "A+a");
    assert_int_equal(out.ts[0], 5000);
    assert_string_equal(out.value[1], "A+b");
    assert_int_equal(out.ts[1], 5000);
}

/* ---- refused at start ------------------------------------------------------------------------- */

static void test_refused(void **state)
{
    fx_t *f = *state;
    char err[1024];
    sl_topology_t *t = count_topology();
    sl_config_t *cfg = config(f, "refused");
    sl_streams_t *app;
    assert_int_equal(sl_streams_new(t, cfg, f->eb, &app, err, sizeof err), SL_OK);
    assert_int_equal(sl_streams_start(app, err, sizeof err), SL_ERR_TOPOLOGY);
    assert_non_null(strstr(err, "KSTREAM-SOURCE-"));
    assert_non_null(strstr(err, "'words' does not exist"));
    sl_streams_close(app);
    sl_topology_destroy(t);

    /* Not co-partitioned: two sources of one sub-topology (merged). */
    assert_int_equal(sl_lc_create_topic(f->lc, "a", 2, -1, NULL, err, sizeof err), SL_OK);
    assert_int_equal(sl_lc_create_topic(f->lc, "b", 3, -1, NULL, err, sizeof err), SL_OK);
    t = sl_topology_new();
    sl_kstream_to(sl_kstream_merge(sl_stream(t, (const char *[]){"a"}, 1, NULL),
                                   sl_stream(t, (const char *[]){"b"}, 1, NULL)),
                  "out", NULL);
    assert_int_equal(sl_streams_new(t, cfg, f->eb, &app, err, sizeof err), SL_OK);
    assert_int_equal(sl_streams_start(app, err, sizeof err), SL_ERR_TOPOLOGY);
    assert_non_null(strstr(err, "KSTREAM-MERGE-"));
    assert_non_null(strstr(err, "co-partitioned"));
    sl_streams_close(app);
    sl_topology_destroy(t);

    /* A stream-stream join of the same two topics names the join. */
    t = sl_topology_new();
    sl_join_windows_t w = {.before_ms = 1000, .after_ms = 1000};
    sl_kstream_to(sl_kstream_join(sl_stream(t, (const char *[]){"a"}, 1, NULL),
                                  sl_stream(t, (const char *[]){"b"}, 1, NULL), enrich, NULL, &w,
                                  NULL),
                  "out", NULL);
    assert_null(sl_topology_error(t));
    assert_int_equal(sl_streams_new(t, cfg, f->eb, &app, err, sizeof err), SL_OK);
    assert_int_equal(sl_streams_start(app, err, sizeof err), SL_ERR_TOPOLOGY);
    assert_non_null(strstr(err, "KSTREAM-JOIN"));
    assert_non_null(strstr(err, "co-partitioned"));
    sl_streams_close(app);
    sl_topology_destroy(t);

    /* No application.id; no log. */
    sl_config_t *empty = sl_config_new();
    t = count_topology();
    assert_int_equal(sl_streams_new(t, empty, f->eb, &app, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "application.id"));
    sl_config_set(empty, "application.id", "x", NULL, 0);
    assert_int_equal(sl_streams_new(t, empty, NULL, &app, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "bootstrap.servers"));
    sl_topology_destroy(t);
    sl_config_destroy(empty);
    sl_config_destroy(cfg);
}

static void test_count_local(void **state) { test_count_restart_restore(state); }
static void test_count_kafka(void **state) { test_count_restart_restore(state); }

/* Two stream threads share the three tasks (local: by partition number;
 * kafka: as two members of the group); same results. */
static void test_threads(void **state)
{
    nthreads = 2;
    test_count_restart_restore(state);
    nthreads = 1;
}

static void test_threads_local(void **state) { test_threads(state); }
static void test_threads_kafka(void **state) { test_threads(state); }

SL_TEST_GROUP(runner, cmocka_unit_test_setup_teardown(test_count_local, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_count_kafka, setup_kafka, teardown),
              cmocka_unit_test_setup_teardown(test_threads_local, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_threads_kafka, setup_kafka, teardown),
              cmocka_unit_test_setup_teardown(test_global_local, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_global_kafka, setup_kafka, teardown),
              cmocka_unit_test_setup_teardown(test_window_query, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_table_join_restore, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_stream_table_same_time, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_headers, setup_local, teardown),
              cmocka_unit_test_setup_teardown(test_refused, setup_local, teardown))
