/* test_logclient.c — the log client contract: one suite, run against both
 * implementations over the same kind of broker — local (in-process calls into
 * an embedded broker) and kafka (librdkafka over TCP to that broker, bound to
 * 127.0.0.1 port 0 on a temp data dir). Plus what only a real group shows:
 * two kafka members splitting the partitions. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sluice/broker.h>

#include "common/clock.h"
#include "common/murmur2.h"
#include "common/trace.h"
#include "engine/logclient.h"
#include "testutil.h"

enum { LOCAL, KAFKA };

typedef struct {
    int kind;
    char *dir;
    sl_embedded_broker_t *eb;
} fx_t;

/* Settings that keep the kafka client quick against a broker on loopback. */
static const char *const kafka_props[] = {
    "producer.linger.ms", "1",
    "consumer.fetch.wait.max.ms", "20",
    "consumer.heartbeat.interval.ms", "100",
    "consumer.session.timeout.ms", "6000",
    "consumer.topic.metadata.refresh.interval.ms", "500",
    NULL,
};

static int setup(void **state, int kind)
{
    fx_t *f = calloc(1, sizeof *f);
    f->kind = kind;
    f->dir = sl_test_mkdtemp();
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    static const char *const props[] = {"offsets.topic.num.partitions", "1", "num.io.threads", "2",
                                        "num.network.threads", "1", NULL};
    char err[512];
    sl_err_t e = sl_embedded_broker_start_with(f->dir, "127.0.0.1:0", props, &f->eb, err, sizeof err);
    if (e)
        fail_msg("sl_embedded_broker_start: %s", err);
    *state = f;
    return 0;
}

static int setup_local(void **state) { return setup(state, LOCAL); }
static int setup_kafka(void **state) { return setup(state, KAFKA); }

static int teardown(void **state)
{
    fx_t *f = *state;
    sl_embedded_broker_stop(f->eb);
    sl_test_rmdir(f->dir);
    free(f);
    return 0;
}

/* A client of the fixture's kind; group and extra (key, value, …, NULL) may be NULL. */
static sl_lc_t *client_with(fx_t *f, const char *group, sl_lc_delivery_cb *dr, void *dr_opaque,
                            const char *const *extra)
{
    sl_lc_config_t cfg = {.client_id = "test-lc", .group_id = group, .request_timeout_ms = 10000,
                          .on_delivery = dr, .delivery_opaque = dr_opaque};
    const char *props[64];
    size_t n = 0;
    for (size_t i = 0; f->kind == KAFKA && kafka_props[i]; i++)
        props[n++] = kafka_props[i];
    for (size_t i = 0; extra && extra[i] && n < 62; i++)
        props[n++] = extra[i];
    props[n] = NULL;
    cfg.props = props;
    char err[512];
    sl_lc_t *lc = NULL;
    sl_err_t e;
    if (f->kind == LOCAL)
        e = sl_lc_new_local(sl__embedded_broker_get(f->eb), &cfg, &lc, err, sizeof err);
    else
        e = sl_lc_new_kafka(sl_embedded_broker_bootstrap(f->eb), &cfg, &lc, err, sizeof err);
    if (e)
        fail_msg("making a %s client: %s (%s)", f->kind == LOCAL ? "local" : "kafka", err, sl_err_name(e));
    assert_string_equal(sl_lc_kind(lc), f->kind == LOCAL ? "local" : "kafka");
    return lc;
}

static sl_lc_t *client(fx_t *f, const char *group, sl_lc_delivery_cb *dr, void *dr_opaque)
{
    return client_with(f, group, dr, dr_opaque, NULL);
}

static void create(sl_lc_t *lc, const char *topic, int32_t n, const char *const *configs)
{
    char err[256];
    sl_err_t e = sl_lc_create_topic(lc, topic, n, -1, configs, err, sizeof err);
    if (e)
        fail_msg("create %s: %s (%s)", topic, err, sl_err_name(e));
}

static void produce_str(sl_lc_t *lc, const char *topic, int32_t p, const char *k, const char *v)
{
    sl_lc_record_t r = {.key = {(const uint8_t *)k, k ? strlen(k) : 0},
                        .value = {(const uint8_t *)v, v ? strlen(v) : 0},
                        .timestamp = -1};
    sl_err_t e = sl_lc_produce(lc, topic, p, &r);
    if (e)
        fail_msg("produce %s[%d]: %s (%s)", topic, (int)p, sl_lc_errstr(lc), sl_err_name(e));
}

static void flush(sl_lc_t *lc)
{
    sl_err_t e = sl_lc_flush(lc, 10000);
    if (e)
        fail_msg("flush: %s (%s)", sl_lc_errstr(lc), sl_err_name(e));
}

/* ---- collecting polled records ------------------------------------------------------------- */

typedef struct {
    char topic[64];
    int32_t partition;
    int64_t offset, timestamp;
    int key_null, value_null;
    char key[64], value[64];
    size_t nh;
    char hname[2][16], hvalue[2][16];
    int hnull[2];
} got_t;

typedef struct {
    int n;
    got_t r[256];
    int stop_at; /* ask the poll to stop after this many (0: never) */
    sl_lc_t *lc; /* for a pause from inside the callback */
    int pause_at;
} coll_t;

static void copy_bytes(char *dst, size_t cap, sl_bytes_t b, int *is_null)
{
    *is_null = b.data == NULL;
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    if (b.data)
        memcpy(dst, b.data, n);
    dst[b.data ? n : 0] = 0;
}

static int collect(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    coll_t *c = opaque;
    assert_true(c->n < 256);
    got_t *g = &c->r[c->n++];
    snprintf(g->topic, sizeof g->topic, "%s", topic);
    g->partition = partition;
    g->offset = rec->offset;
    g->timestamp = rec->timestamp;
    copy_bytes(g->key, sizeof g->key, rec->key, &g->key_null);
    copy_bytes(g->value, sizeof g->value, rec->value, &g->value_null);
    g->nh = rec->header_count;
    for (size_t i = 0; i < rec->header_count && i < 2; i++) {
        int dummy;
        copy_bytes(g->hname[i], sizeof g->hname[i], rec->headers[i].name, &dummy);
        copy_bytes(g->hvalue[i], sizeof g->hvalue[i], rec->headers[i].value, &g->hnull[i]);
    }
    if (c->pause_at && c->n == c->pause_at)
        assert_int_equal(sl_lc_pause(c->lc, topic, partition, 1), SL_OK);
    return c->stop_at && c->n >= c->stop_at;
}

/* Polls until c holds want records or timeout_ms passes; returns c->n. */
static int poll_until(sl_lc_t *lc, coll_t *c, int want, int timeout_ms)
{
    int64_t deadline = sl_now_ms() + timeout_ms;
    while (c->n < want && sl_now_ms() < deadline) {
        int got = sl_lc_poll(lc, 100, want - c->n, collect, c);
        if (got < 0)
            fail_msg("poll: %s (%s)", sl_lc_errstr(lc), sl_err_name(got));
    }
    return c->n;
}

/* ---- metadata ------------------------------------------------------------------------------------ */

static void test_topics(void **state)
{
    fx_t *f = *state;
    sl_lc_t *lc = client(f, NULL, NULL, NULL);
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    create(lc, "t1", 3, compact);
    char err[256];
    assert_int_equal(sl_lc_create_topic(lc, "t1", 3, -1, NULL, err, sizeof err), SL_ERR_TOPIC_EXISTS);
    static const char *const bad[] = {"cleanup.policy", "sometimes", NULL};
    assert_int_equal(sl_lc_create_topic(lc, "t2", 1, -1, bad, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_int_equal(sl_lc_create_topic(lc, "t2", 1, 3, NULL, err, sizeof err), SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(sl_lc_create_topic(lc, "bad/name", 1, -1, NULL, err, sizeof err), SL_ERR_INVALID_TOPIC);
    create(lc, "t-default", -1, NULL); /* the broker's num.partitions: 1 */

    int32_t n = 0;
    assert_int_equal(sl_lc_partition_count(lc, "t1", &n), SL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(sl_lc_partition_count(lc, "t-default", &n), SL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(sl_lc_partition_count(lc, "nope", &n), SL_ERR_UNKNOWN_TOPIC);
    int64_t start = -5, end = -5;
    assert_int_equal(sl_lc_watermarks(lc, "t1", 2, &start, &end), SL_OK);
    assert_int_equal(start, 0);
    assert_int_equal(end, 0);
    assert_int_equal(sl_lc_end_offset(lc, "nope", 0, &end), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_lc_end_offset(lc, "t1", 7, &end), SL_ERR_UNKNOWN_TOPIC);

    /* Produce finds out at once. */
    sl_lc_record_t r = {.value = {(const uint8_t *)"v", 1}, .timestamp = -1};
    assert_int_equal(sl_lc_produce(lc, "nope", 0, &r), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_lc_produce(lc, "t1", 3, &r), SL_ERR_UNKNOWN_TOPIC);

    assert_int_equal(sl_lc_delete_topic(lc, "t1"), SL_OK);
    assert_int_equal(sl_lc_partition_count(lc, "t1", &n), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_lc_delete_topic(lc, "t1"), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_lc_produce(lc, "t1", 0, &r), SL_ERR_UNKNOWN_TOPIC);
    sl_lc_destroy(lc);
}

/* ---- produce, then poll from an assigned offset ----------------------------------------------------- */

typedef struct {
    int n;
    int64_t offsets[64];
    int32_t partitions[64];
    int errors;
} dr_t;

static void on_delivery(void *opaque, const char *topic, int32_t partition, int64_t offset, sl_err_t err)
{
    dr_t *d = opaque;
    (void)topic;
    if (err)
        d->errors++;
    if (d->n < 64) {
        d->partitions[d->n] = partition;
        d->offsets[d->n] = offset;
    }
    d->n++;
}

static void test_produce_poll(void **state)
{
    fx_t *f = *state;
    dr_t dr = {0};
    sl_lc_t *lc = client(f, NULL, on_delivery, &dr);
    create(lc, "pp", 2, NULL);

    /* Keyed, null key, null value, empty key, headers (one with a null value). */
    sl_lc_header_t hs[2] = {{{(const uint8_t *)"h1", 2}, {(const uint8_t *)"x", 1}},
                            {{(const uint8_t *)"h2", 2}, {NULL, 0}}};
    for (int i = 0; i < 10; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        sl_lc_record_t r = {.key = {(const uint8_t *)k, strlen(k)},
                            .value = {(const uint8_t *)v, strlen(v)},
                            .timestamp = 1700000000000 + i};
        if (i == 3)
            r.key = (sl_bytes_t){NULL, 0};
        if (i == 4)
            r.value = (sl_bytes_t){NULL, 0};
        if (i == 5)
            r.key = (sl_bytes_t){(const uint8_t *)"", 0};
        if (i == 6) {
            r.headers = hs;
            r.header_count = 2;
        }
        assert_int_equal(sl_lc_produce(lc, "pp", 0, &r), SL_OK);
    }
    flush(lc);
    assert_int_equal(dr.n, 10);
    assert_int_equal(dr.errors, 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(dr.offsets[i], i);
    int64_t start = -1, end = -1;
    assert_int_equal(sl_lc_watermarks(lc, "pp", 0, &start, &end), SL_OK);
    assert_int_equal(start, 0);
    assert_int_equal(end, 10);

    /* By key: murmur2, as the Java client; a null key round-robins. */
    dr.n = 0;
    produce_str(lc, "pp", SL_LC_PARTITION_ANY, "some key", "a");
    flush(lc);
    assert_int_equal(dr.n, 1);
    assert_int_equal(dr.partitions[0], sl_murmur2_partition("some key", 8, 2));
    produce_str(lc, "pp", SL_LC_PARTITION_ANY, NULL, "b");
    produce_str(lc, "pp", SL_LC_PARTITION_ANY, NULL, "c");
    flush(lc);
    assert_int_equal(dr.n, 3);
    assert_int_not_equal(dr.partitions[1], dr.partitions[2]);

    sl_lc_tp_t tp = {"pp", 0, 0};
    assert_int_equal(sl_lc_assign(lc, &tp, 1), SL_OK);
    coll_t *c = calloc(1, sizeof *c);
    assert_true(poll_until(lc, c, 10, 10000) >= 10);
    for (int i = 0; i < 10; i++) {
        got_t *g = &c->r[i];
        char k[16], v[16];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        assert_string_equal(g->topic, "pp");
        assert_int_equal(g->partition, 0);
        assert_int_equal(g->offset, i);
        assert_int_equal(g->timestamp, 1700000000000 + i);
        assert_int_equal(g->key_null, i == 3);
        assert_int_equal(g->value_null, i == 4);
        if (i != 3)
            assert_string_equal(g->key, i == 5 ? "" : k);
        if (i != 4)
            assert_string_equal(g->value, v);
        assert_int_equal(g->nh, i == 6 ? 2 : 0);
    }
    assert_string_equal(c->r[6].hname[0], "h1");
    assert_string_equal(c->r[6].hvalue[0], "x");
    assert_int_equal(c->r[6].hnull[0], 0);
    assert_string_equal(c->r[6].hname[1], "h2");
    assert_int_equal(c->r[6].hnull[1], 1);

    /* Caught up: the position is the end offset, and says so. */
    assert_int_equal(sl_lc_end_offset(lc, "pp", 0, &end), SL_OK);
    assert_true(end >= 10 && end <= 13); /* and what went there by key */
    int64_t pos = -1;
    int at_end = 0;
    int64_t deadline = sl_now_ms() + 5000;
    while (!at_end && sl_now_ms() < deadline) {
        assert_true(sl_lc_poll(lc, 50, 10, collect, c) >= 0);
        assert_int_equal(sl_lc_position(lc, "pp", 0, &pos, &at_end), SL_OK);
    }
    assert_int_equal(c->n, end);
    assert_int_equal(pos, end);
    assert_true(at_end);
    assert_int_equal(sl_lc_position(lc, "pp", 1, &pos, &at_end), SL_ERR_STATE);
    free(c);
    sl_lc_destroy(lc);
}

/* ---- seek, max_records, stopping from the callback, pause ----------------------------------------------- */

static void test_seek_and_limits(void **state)
{
    fx_t *f = *state;
    sl_lc_t *lc = client(f, NULL, NULL, NULL);
    create(lc, "sk", 2, NULL);
    for (int i = 0; i < 6; i++) {
        char v[32];
        snprintf(v, sizeof v, "%d", i);
        produce_str(lc, "sk", 0, NULL, v);
    }
    flush(lc);

    sl_lc_tp_t tp = {"sk", 0, 2};
    assert_int_equal(sl_lc_assign(lc, &tp, 1), SL_OK);
    coll_t *c = calloc(1, sizeof *c);
    /* max_records is a bound; the callback may stop earlier. */
    int64_t deadline = sl_now_ms() + 5000;
    while (c->n == 0 && sl_now_ms() < deadline)
        assert_true(sl_lc_poll(lc, 100, 1, collect, c) >= 0);
    assert_int_equal(c->n, 1);
    assert_int_equal(c->r[0].offset, 2);
    c->stop_at = 2;
    assert_true(poll_until(lc, c, 2, 5000) == 2);
    assert_int_equal(c->r[1].offset, 3);
    c->stop_at = 0;

    /* Back to the start. */
    assert_int_equal(sl_lc_seek(lc, "sk", 0, 0), SL_OK);
    c->n = 0;
    assert_int_equal(poll_until(lc, c, 6, 5000), 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(c->r[i].offset, i);

    /* To the end: only what comes next. */
    assert_int_equal(sl_lc_seek(lc, "sk", 0, SL_LC_OFFSET_END), SL_OK);
    c->n = 0;
    assert_int_equal(sl_lc_poll(lc, 200, 10, collect, c), 0);
    produce_str(lc, "sk", 0, NULL, "six");
    flush(lc);
    assert_int_equal(poll_until(lc, c, 1, 5000), 1);
    assert_int_equal(c->r[0].offset, 6);
    assert_string_equal(c->r[0].value, "six");

    /* Seeking a partition not assigned is refused; so is a bad offset. */
    assert_int_equal(sl_lc_seek(lc, "sk", 1, 0), SL_ERR_STATE);
    assert_int_equal(sl_lc_seek(lc, "sk", 0, -7), SL_ERR_INVAL);
    assert_int_equal(sl_lc_assign(lc, (sl_lc_tp_t[]){{"sk", 0, 0}, {"sk", 0, 1}}, 2), SL_ERR_INVAL);

    /* Pause from inside the callback: the partition stops; resume goes on
     * where it stopped, nothing lost or repeated. */
    sl_lc_tp_t two[2] = {{"sk", 0, 0}, {"sk", 1, 0}};
    assert_int_equal(sl_lc_assign(lc, two, 2), SL_OK);
    produce_str(lc, "sk", 1, NULL, "p1");
    flush(lc);
    c->n = 0;
    c->lc = lc;
    c->pause_at = 3;
    assert_int_equal(poll_until(lc, c, 3, 5000), 3);
    c->pause_at = 0;
    int paused_part = c->r[2].partition;
    for (int i = 0; i < 3; i++)
        assert_true(sl_lc_poll(lc, 100, 100, collect, c) >= 0);
    for (int i = 3; i < c->n; i++)
        assert_int_not_equal(c->r[i].partition, paused_part);
    assert_int_equal(sl_lc_pause(lc, "sk", paused_part, 0), SL_OK);
    assert_int_equal(poll_until(lc, c, 8, 5000), 8);
    int64_t next[2] = {0, 0};
    for (int i = 0; i < c->n; i++)
        assert_int_equal(c->r[i].offset, next[c->r[i].partition]++);
    assert_int_equal(next[0], 7);
    assert_int_equal(next[1], 1);
    free(c);
    sl_lc_destroy(lc);
}

/* ---- long polls: waiting for appends, the timeout, wakeup ------------------------------------------------- */

typedef struct {
    fx_t *f;
    sl_lc_t *target;
    int wake; /* 1: wake target instead of producing */
} bg_t;

static void *bg_main(void *arg)
{
    bg_t *bg = arg;
    nanosleep(&(struct timespec){0, 300 * 1000000}, NULL);
    if (bg->wake) {
        sl_lc_wakeup(bg->target);
        return NULL;
    }
    sl_lc_t *p = client(bg->f, NULL, NULL, NULL);
    produce_str(p, "lp", 0, "late", "arrival");
    flush(p);
    sl_lc_destroy(p);
    return NULL;
}

static void test_long_poll(void **state)
{
    fx_t *f = *state;
    sl_lc_t *lc = client(f, NULL, NULL, NULL);
    create(lc, "lp", 1, NULL);
    sl_lc_tp_t tp = {"lp", 0, SL_LC_OFFSET_END};
    assert_int_equal(sl_lc_assign(lc, &tp, 1), SL_OK);
    coll_t *c = calloc(1, sizeof *c);

    /* Nothing there: the timeout is honoured. */
    int64_t t0 = sl_now_ms();
    assert_int_equal(sl_lc_poll(lc, 300, 10, collect, c), 0);
    int64_t took = sl_now_ms() - t0;
    assert_true(took >= 290 && took < 2000);

    /* A record produced meanwhile ends the wait well before the timeout. */
    bg_t bg = {f, lc, 0};
    pthread_t th;
    pthread_create(&th, NULL, bg_main, &bg);
    t0 = sl_now_ms();
    int got = 0;
    while (got == 0 && sl_now_ms() - t0 < 8000)
        got = sl_lc_poll(lc, 8000, 10, collect, c);
    took = sl_now_ms() - t0;
    pthread_join(th, NULL);
    assert_int_equal(got, 1);
    assert_string_equal(c->r[0].key, "late");
    assert_true(took < 4000);

    /* sl_lc_wakeup from another thread ends a long poll early. */
    bg.wake = 1;
    pthread_create(&th, NULL, bg_main, &bg);
    t0 = sl_now_ms();
    assert_int_equal(sl_lc_poll(lc, 8000, 10, collect, c), 0);
    took = sl_now_ms() - t0;
    pthread_join(th, NULL);
    assert_true(took < 4000);
    free(c);
    sl_lc_destroy(lc);
}

/* ---- commit, committed ---------------------------------------------------------------------------------- */

static void test_commit(void **state)
{
    fx_t *f = *state;
    sl_lc_t *lc = client(f, "g-commit", NULL, NULL);
    create(lc, "cm", 2, NULL);
    for (int i = 0; i < 10; i++)
        produce_str(lc, "cm", 1, NULL, "v");
    flush(lc);

    int64_t off = 0;
    assert_int_equal(sl_lc_committed(lc, "cm", 1, &off), SL_OK);
    assert_int_equal(off, -1);
    sl_lc_tp_t o[2] = {{"cm", 1, 7}, {"cm", 0, 0}};
    assert_int_equal(sl_lc_commit(lc, o, 2), SL_OK);
    assert_int_equal(sl_lc_committed(lc, "cm", 1, &off), SL_OK);
    assert_int_equal(off, 7);
    assert_int_equal(sl_lc_committed(lc, "cm", 0, &off), SL_OK);
    assert_int_equal(off, 0);
    o[0].offset = 8;
    assert_int_equal(sl_lc_commit(lc, o, 1), SL_OK);
    assert_int_equal(sl_lc_committed(lc, "cm", 1, &off), SL_OK);
    assert_int_equal(off, 8);
    assert_int_equal(sl_lc_commit(lc, (sl_lc_tp_t[]){{"nope", 0, 1}}, 1), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(sl_lc_commit(lc, (sl_lc_tp_t[]){{"cm", 0, -3}}, 1), SL_ERR_INVAL);

    /* Assigned at the committed offset. */
    sl_lc_tp_t tp = {"cm", 1, SL_LC_OFFSET_COMMITTED};
    assert_int_equal(sl_lc_assign(lc, &tp, 1), SL_OK);
    coll_t *c = calloc(1, sizeof *c);
    assert_int_equal(poll_until(lc, c, 2, 5000), 2);
    assert_int_equal(c->r[0].offset, 8);
    assert_int_equal(c->r[1].offset, 9);
    free(c);

    /* Another client of the group sees the commit; a client without a group
     * has nothing to commit for. */
    sl_lc_t *other = client(f, "g-commit", NULL, NULL);
    assert_int_equal(sl_lc_committed(other, "cm", 1, &off), SL_OK);
    assert_int_equal(off, 8);
    sl_lc_destroy(other);
    sl_lc_t *none = client(f, NULL, NULL, NULL);
    assert_int_equal(sl_lc_commit(none, o, 1), SL_ERR_STATE);
    assert_int_equal(sl_lc_committed(none, "cm", 1, &off), SL_ERR_STATE);
    assert_int_equal(sl_lc_subscribe(none, (const char *[]){"cm"}, 1, NULL, NULL), SL_ERR_STATE);
    sl_lc_destroy(none);
    sl_lc_destroy(lc);
}

/* ---- group mode ------------------------------------------------------------------------------------------- */

typedef struct {
    int assigned, revoked; /* partitions currently held */
    int events;
    int64_t start_p0;      /* the offset the callback sets for partition 0 */
    sl_lc_t *lc;
    int commit_on_revoke;
    sl_err_t commit_err;
} reb_t;

static void on_rebalance(void *opaque, sl_lc_t *lc, sl_lc_rebalance_t ev, sl_lc_tp_t *parts, size_t n)
{
    reb_t *r = opaque;
    r->events++;
    if (ev == SL_LC_ASSIGNED) {
        r->assigned += (int)n;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(parts[i].offset, SL_LC_OFFSET_COMMITTED);
            if (parts[i].partition == 0)
                parts[i].offset = r->start_p0;
        }
    } else {
        r->assigned -= (int)n;
        r->revoked += (int)n;
        if (r->commit_on_revoke && n) {
            sl_lc_tp_t *o = calloc(n, sizeof *o);
            for (size_t i = 0; i < n; i++)
                o[i] = (sl_lc_tp_t){parts[i].topic, parts[i].partition, 1};
            r->commit_err = sl_lc_commit(lc, o, n);
            free(o);
        }
        /* Only some calls are allowed in here. */
        assert_int_equal(sl_lc_poll(lc, 0, 1, collect, NULL), SL_ERR_STATE);
    }
}

static void test_subscribe(void **state)
{
    fx_t *f = *state;
    sl_lc_t *lc = client(f, "g-sub", NULL, NULL);
    create(lc, "gs", 4, NULL);
    for (int p = 0; p < 4; p++) {
        produce_str(lc, "gs", p, "a", "first");
        produce_str(lc, "gs", p, "b", "second");
    }
    flush(lc);

    reb_t r = {.start_p0 = 1, .lc = lc, .commit_on_revoke = 1};
    const char *topics[] = {"gs"};
    assert_int_equal(sl_lc_subscribe(lc, topics, 1, on_rebalance, &r), SL_OK);
    assert_int_equal(sl_lc_assign(lc, NULL, 0), SL_ERR_STATE);
    coll_t *c = calloc(1, sizeof *c);
    /* Partition 0 starts at 1 (the callback said so), the others at 0. */
    assert_int_equal(poll_until(lc, c, 7, 15000), 7);
    assert_int_equal(r.assigned, 4);
    int per[4] = {0};
    for (int i = 0; i < c->n; i++) {
        per[c->r[i].partition]++;
        if (c->r[i].partition == 0)
            assert_int_equal(c->r[i].offset, 1);
    }
    assert_int_equal(per[0], 1);
    assert_int_equal(per[1] + per[2] + per[3], 6);
    assert_int_equal(sl_lc_poll(lc, 200, 10, collect, c), 0);

    /* Leaving: the partitions are revoked inside the call, and the callback
     * may commit for them. */
    assert_int_equal(sl_lc_unsubscribe(lc), SL_OK);
    assert_int_equal(r.assigned, 0);
    assert_int_equal(r.revoked, 4);
    assert_int_equal(r.commit_err, SL_OK);
    int64_t off = -1;
    assert_int_equal(sl_lc_committed(lc, "gs", 3, &off), SL_OK);
    assert_int_equal(off, 1);
    int64_t pos;
    assert_int_equal(sl_lc_position(lc, "gs", 0, &pos, NULL), SL_ERR_STATE);
    free(c);
    sl_lc_destroy(lc);
}

/* Kafka only: a second member of the group takes part of the partitions. */
static void test_two_members(void **state)
{
    fx_t *f = *state;
    sl_lc_t *a = client(f, "g-two", NULL, NULL), *b = client(f, "g-two", NULL, NULL);
    create(a, "tm", 4, NULL);
    reb_t ra = {.start_p0 = SL_LC_OFFSET_COMMITTED}, rb = {.start_p0 = SL_LC_OFFSET_COMMITTED};
    const char *topics[] = {"tm"};
    coll_t *c = calloc(1, sizeof *c);
    assert_int_equal(sl_lc_subscribe(a, topics, 1, on_rebalance, &ra), SL_OK);
    int64_t deadline = sl_now_ms() + 15000;
    while (ra.assigned < 4 && sl_now_ms() < deadline)
        assert_true(sl_lc_poll(a, 100, 10, collect, c) >= 0);
    assert_int_equal(ra.assigned, 4);

    assert_int_equal(sl_lc_subscribe(b, topics, 1, on_rebalance, &rb), SL_OK);
    deadline = sl_now_ms() + 20000;
    while (!(ra.assigned == 2 && rb.assigned == 2) && sl_now_ms() < deadline) {
        assert_true(sl_lc_poll(a, 50, 10, collect, c) >= 0);
        assert_true(sl_lc_poll(b, 50, 10, collect, c) >= 0);
    }
    assert_int_equal(ra.assigned, 2);
    assert_int_equal(rb.assigned, 2);
    assert_true(ra.revoked >= 4);

    /* Records of all four partitions reach one member or the other. */
    for (int p = 0; p < 4; p++)
        produce_str(a, "tm", p, NULL, "x");
    flush(a);
    deadline = sl_now_ms() + 10000;
    while (c->n < 4 && sl_now_ms() < deadline) {
        assert_true(sl_lc_poll(a, 50, 10, collect, c) >= 0);
        assert_true(sl_lc_poll(b, 50, 10, collect, c) >= 0);
    }
    assert_int_equal(c->n, 4);
    free(c);
    sl_lc_destroy(b);
    sl_lc_destroy(a);
}

/* ---- a restore: a compacted changelog read to its end offset ------------------------------------------------- */

static void test_restore(void **state)
{
    fx_t *f = *state;
    sl_lc_t *p = client(f, NULL, NULL, NULL);
    static const char *const compact[] = {"cleanup.policy", "compact", NULL};
    create(p, "app-store-changelog", 1, compact);
    for (int i = 0; i < 50; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i % 5);
        produce_str(p, "app-store-changelog", 0, k, i == 49 ? NULL : "state");
    }
    flush(p);

    sl_lc_t *r = client(f, NULL, NULL, NULL);
    int64_t end = -1;
    assert_int_equal(sl_lc_end_offset(r, "app-store-changelog", 0, &end), SL_OK);
    assert_int_equal(end, 50);
    sl_lc_tp_t tp = {"app-store-changelog", 0, 10};
    assert_int_equal(sl_lc_assign(r, &tp, 1), SL_OK);
    coll_t *c = calloc(1, sizeof *c);
    int64_t pos = -1;
    int at_end = 0;
    int64_t deadline = sl_now_ms() + 10000;
    while (!(pos >= end && at_end) && sl_now_ms() < deadline) {
        assert_true(sl_lc_poll(r, 100, 7, collect, c) >= 0);
        assert_int_equal(sl_lc_position(r, "app-store-changelog", 0, &pos, &at_end), SL_OK);
    }
    assert_int_equal(pos, 50);
    assert_int_equal(c->n, 40);
    assert_int_equal(c->r[0].offset, 10);
    assert_true(c->r[39].value_null); /* the tombstone */
    assert_int_equal(sl_lc_assign(r, NULL, 0), SL_OK);
    assert_int_equal(sl_lc_position(r, "app-store-changelog", 0, &pos, &at_end), SL_ERR_STATE);
    free(c);
    sl_lc_destroy(r);
    sl_lc_destroy(p);
}

/* ---- buffering: linger without a flush, compression, errors at flush -------------------------------------- */

static void test_linger_compression_errors(void **state)
{
    fx_t *f = *state;
    dr_t dr = {0};
    static const char *const extra[] = {"compression.type", "lz4", "linger.ms", "5", NULL};
    sl_lc_t *lc = client_with(f, NULL, on_delivery, &dr, extra);
    static const char *const small[] = {"max.message.bytes", "2000", NULL};
    create(lc, "lz", 1, small);

    /* No flush: the records still go out once they have lingered, and come
     * back through the lz4 batches. */
    sl_lc_tp_t tp = {"lz", 0, 0};
    assert_int_equal(sl_lc_assign(lc, &tp, 1), SL_OK);
    for (int i = 0; i < 40; i++) {
        char v[32];
        snprintf(v, sizeof v, "value %d", i);
        produce_str(lc, "lz", 0, NULL, v);
    }
    coll_t *c = calloc(1, sizeof *c);
    assert_int_equal(poll_until(lc, c, 40, 10000), 40);
    for (int i = 0; i < 40; i++) {
        char v[32];
        snprintf(v, sizeof v, "value %d", i);
        assert_int_equal(c->r[i].offset, i);
        assert_string_equal(c->r[i].value, v);
    }
    assert_int_equal(sl_lc_flush(lc, 10000), SL_OK);
    assert_int_equal(dr.n, 40);
    assert_int_equal(dr.errors, 0);

    /* A record the topic refuses: flush says so, once. lz4 cannot shrink
     * random bytes much. */
    uint8_t big[4000];
    uint64_t seed = 42;
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)sl_test_rand(&seed);
    sl_lc_record_t r = {.value = {big, sizeof big}, .timestamp = -1};
    assert_int_equal(sl_lc_produce(lc, "lz", 0, &r), SL_OK);
    assert_int_equal(sl_lc_flush(lc, 10000), SL_ERR_RECORD_TOO_LARGE);
    assert_true(strlen(sl_lc_errstr(lc)) > 0);
    assert_int_equal(dr.errors, 1);
    assert_int_equal(dr.offsets[40], -1);
    assert_int_equal(sl_lc_flush(lc, 10000), SL_OK);
    free(c);
    sl_lc_destroy(lc);
}

/* ---- the embedded broker's public API ---------------------------------------------------------------------- */

static void test_embedded(void **state)
{
    fx_t *f = *state;
    assert_true(sl_embedded_broker_port(f->eb) > 0);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", sl_embedded_broker_port(f->eb));
    assert_string_equal(sl_embedded_broker_bootstrap(f->eb), want);
    assert_non_null(sl__embedded_broker_get(f->eb));

    char err[256];
    sl_embedded_broker_t *eb = NULL;
    assert_int_equal(sl_embedded_broker_start(f->dir, "no-port", &eb, err, sizeof err), SL_ERR_INVAL);
    assert_null(eb);
    /* One broker per data directory. */
    assert_int_equal(sl_embedded_broker_start(f->dir, "127.0.0.1:0", &eb, err, sizeof err), SL_ERR_IO);
    assert_non_null(strstr(err, "in use"));
    char *d2 = sl_test_mkdtemp();
    assert_int_equal(sl_embedded_broker_start(d2, NULL, &eb, NULL, 0), SL_OK);
    assert_true(sl_embedded_broker_port(eb) > 0);
    sl_embedded_broker_stop(eb);
    sl_embedded_broker_stop(NULL);
    sl_test_rmdir(d2);

    /* Bad client settings fail at creation. */
    sl_lc_t *lc = NULL;
    sl_lc_config_t cfg = {.props = (const char *[]){"no.such.property", "1", NULL}};
    assert_int_equal(sl_lc_new_kafka(sl_embedded_broker_bootstrap(f->eb), &cfg, &lc, err, sizeof err),
                     SL_ERR_CONFIG);
    assert_null(lc);
    cfg.props = (const char *[]){"batch.size", "lots", NULL};
    assert_int_equal(sl_lc_new_local(sl__embedded_broker_get(f->eb), &cfg, &lc, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_lc_new_kafka(NULL, NULL, &lc, err, sizeof err), SL_ERR_INVAL);
    sl_lc_destroy(NULL);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_local, teardown), \
                cmocka_unit_test_setup_teardown(t, setup_kafka, teardown)

SL_TEST_GROUP(logclient, BOTH(test_topics), BOTH(test_produce_poll), BOTH(test_seek_and_limits),
              BOTH(test_long_poll), BOTH(test_commit), BOTH(test_subscribe), BOTH(test_restore),
              BOTH(test_linger_compression_errors),
              cmocka_unit_test_setup_teardown(test_two_members, setup_kafka, teardown),
              cmocka_unit_test_setup_teardown(test_embedded, setup_local, teardown))
