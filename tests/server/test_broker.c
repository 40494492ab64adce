/* test_broker.c — a real broker in process, on a free port and a temp dir,
 * driven by librdkafka (the client kcat and many others are built on) and by
 * raw sockets for the protocol's edge cases. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker/proto/kmsg.h"
#include "broker/server/broker.h"
#include "common/buf.h"
#include "common/trace.h"

typedef sl_test_broker_t fixture_t;

static const char *const settings[] = {"num.io.threads", "3", NULL};

static void start(fixture_t *f) { sl_test_broker_start(f, f->dir, settings); }

static int setup(void **state)
{
    *state = sl_test_broker_new(settings);
    return 0;
}

static int teardown(void **state)
{
    sl_test_broker_free(*state);
    return 0;
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static rd_kafka_conf_t *conf(const fixture_t *f)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", f->bootstrap, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_conf_set_log_cb(c, quiet_log);
    return c;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        fail_msg("%s=%s: %s", k, v, err);
}

/* ---- admin ------------------------------------------------------------------ */

static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type)
{
    for (;;) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
        assert_non_null(ev);
        if (rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
}

static void create_topic(rd_kafka_t *rk, const char *name, int parts, const char *ck, const char *cv,
                         rd_kafka_resp_err_t want)
{
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, parts, 1, err, sizeof err);
    assert_non_null(nt);
    if (ck)
        assert_int_equal(rd_kafka_NewTopic_set_config(nt, ck, cv), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
    size_t n;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    assert_int_equal(n, 1);
    if (rd_kafka_topic_result_error(res[0]) != want)
        fail_msg("create %s: %s (%s)", name, rd_kafka_err2name(rd_kafka_topic_result_error(res[0])),
                 rd_kafka_topic_result_error_string(res[0]) ? rd_kafka_topic_result_error_string(res[0]) : "");
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    assert_int_equal(rd_kafka_metadata(rk, 0, t, &md, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : -1;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

static void admin_topics_and_configs(void **state)
{
    fixture_t *f = *state;
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf(f), err, sizeof err);
    assert_non_null(rk);
    create_topic(rk, "admin-t", 2, "retention.ms", "3600000", RD_KAFKA_RESP_ERR_NO_ERROR);
    create_topic(rk, "admin-t", 2, NULL, NULL, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS);
    create_topic(rk, "bad-config", 1, "retention.ms", "soon", RD_KAFKA_RESP_ERR_INVALID_CONFIG);
    assert_int_equal(partition_count(rk, "admin-t"), 2);

    /* DescribeConfigs: the override, and a default. */
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, "admin-t");
    rd_kafka_DescribeConfigs(rk, &cr, 1, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT);
    size_t n;
    const rd_kafka_ConfigResource_t **res =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    assert_int_equal(n, 1);
    assert_int_equal(rd_kafka_ConfigResource_error(res[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    size_t nc;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(res[0], &nc);
    int saw_retention = 0, saw_segment = 0;
    for (size_t i = 0; i < nc; i++) {
        const char *k = rd_kafka_ConfigEntry_name(entries[i]), *v = rd_kafka_ConfigEntry_value(entries[i]);
        if (strcmp(k, "retention.ms") == 0) {
            assert_string_equal(v, "3600000");
            assert_int_equal(rd_kafka_ConfigEntry_source(entries[i]), RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
            saw_retention = 1;
        }
        if (strcmp(k, "segment.bytes") == 0) {
            assert_string_equal(v, "1073741824");
            assert_int_equal(rd_kafka_ConfigEntry_is_default(entries[i]), 1);
            saw_segment = 1;
        }
    }
    assert_true(saw_retention && saw_segment);
    rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(cr);

    /* AlterConfigs replaces the overrides. */
    cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, "admin-t");
    assert_int_equal(rd_kafka_ConfigResource_set_config(cr, "cleanup.policy", "compact"), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_AlterConfigs(rk, &cr, 1, NULL, q);
    ev = admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT);
    res = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    assert_int_equal(rd_kafka_ConfigResource_error(res[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(cr);

    /* CreatePartitions grows the topic. */
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new("admin-t", 4, err, sizeof err);
    rd_kafka_CreatePartitions(rk, &np, 1, NULL, q);
    ev = admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT);
    const rd_kafka_topic_result_t **tres =
        rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
    assert_int_equal(rd_kafka_topic_result_error(tres[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_NewPartitions_destroy(np);
    assert_int_equal(partition_count(rk, "admin-t"), 4);

    /* DeleteTopics. */
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new("admin-t");
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    ev = admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
    tres = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    assert_int_equal(rd_kafka_topic_result_error(tres[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy(dt);
    dt = rd_kafka_DeleteTopic_new("admin-t");
    rd_kafka_DeleteTopics(rk, &dt, 1, NULL, q);
    ev = admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
    tres = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    assert_int_equal(rd_kafka_topic_result_error(tres[0]), RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

/* ---- produce and consume ----------------------------------------------------------- */

static int delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    if (m->err)
        failed++;
    else
        delivered++;
}

static void produce_range(const fixture_t *f, const char *topic, int from, int to, const char *compression)
{
    char err[256];
    rd_kafka_conf_t *c = conf(f);
    set(c, "enable.idempotence", "true");
    set(c, "acks", "all");
    set(c, "linger.ms", "5");
    set(c, "compression.codec", compression);
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    assert_non_null(rk);
    delivered = failed = 0;
    for (int i = from; i < to; i++) {
        char k[32], v[64];
        int kl = snprintf(k, sizeof k, "k%d", i), vl = snprintf(v, sizeof v, "value-%d", i);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(k, (size_t)kl),
                                      RD_KAFKA_V_VALUE(v, (size_t)vl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_poll(rk, 0);
    }
    assert_int_equal(rd_kafka_flush(rk, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(failed, 0);
    assert_int_equal(delivered, to - from);
    rd_kafka_destroy(rk);
}

/* Reads every partition of topic from the beginning until `want` records came;
 * checks that each partition's values rise (the order they were produced) and
 * that every id in [0, want) came exactly once. */
static void consume_all(const fixture_t *f, const char *topic, size_t parts, size_t want)
{
    char err[256];
    rd_kafka_conf_t *c = conf(f);
    set(c, "group.id", "unused"); /* required by the API; no group is joined with assign() */
    set(c, "enable.auto.commit", "false");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)parts);
    for (size_t p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, topic, (int32_t)p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    char *seen = calloc(want, 1);
    int *last = calloc(parts, sizeof *last);
    int64_t *next_off = calloc(parts, sizeof *next_off);
    for (size_t p = 0; p < parts; p++)
        last[p] = -1;
    size_t got = 0;
    time_t deadline = time(NULL) + 120;
    while (got < want && time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        int id = atoi((const char *)m->payload + 6);
        char k[32];
        int kl = snprintf(k, sizeof k, "k%d", id);
        assert_int_equal(m->key_len, (size_t)kl);
        assert_memory_equal(m->key, k, (size_t)kl);
        assert_true(id >= 0 && (size_t)id < want);
        assert_int_equal(seen[id], 0);
        seen[id] = 1;
        assert_true(id > last[m->partition]);
        last[m->partition] = id;
        assert_int_equal(m->offset, next_off[m->partition]); /* offsets without gaps */
        next_off[m->partition]++;
        got++;
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(got, want);
    free(seen), free(last), free(next_off);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void idempotent_produce_and_consume(void **state)
{
    fixture_t *f = *state;
    char err[256];
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf(f), err, sizeof err);
    create_topic(admin, "events", 3, NULL, NULL, RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(admin);
    produce_range(f, "events", 0, 100000, "lz4");
    consume_all(f, "events", 3, 100000);
    /* After a graceful restart everything is still there, and more can come. */
    sl_broker_stop(f->b);
    start(f);
    produce_range(f, "events", 100000, 110000, "zstd");
    consume_all(f, "events", 3, 110000);
}

/* A consumer waiting on an empty partition gets a record as soon as it is
 * produced: the waiting fetch is woken by the append, not by its timeout. */
static void long_poll_is_woken_by_append(void **state)
{
    fixture_t *f = *state;
    char err[256];
    rd_kafka_conf_t *c = conf(f);
    set(c, "group.id", "unused");
    set(c, "enable.auto.commit", "false"); /* no group coordinator yet: nothing to commit to */
    set(c, "fetch.wait.max.ms", "10000");
    set(c, "allow.auto.create.topics", "true");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf(f), err, sizeof err);
    create_topic(admin, "quiet", 1, NULL, NULL, RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(admin);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "quiet", 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    /* Let the consumer settle into a waiting fetch. */
    for (int i = 0; i < 10; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m)
            rd_kafka_message_destroy(m);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    produce_range(f, "quiet", 0, 1, "none");
    rd_kafka_message_t *m = NULL;
    while (!m) {
        m = rd_kafka_consumer_poll(rk, 200);
        if (m && m->err) {
            rd_kafka_message_destroy(m);
            m = NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > 30)
            break;
    }
    assert_non_null(m);
    rd_kafka_message_destroy(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Well under the 10 s fetch.wait.max.ms (generous for a loaded machine). */
    assert_true(waited < 8.0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void offsets_for_times_and_delete_records(void **state)
{
    fixture_t *f = *state;
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf(f), err, sizeof err);
    create_topic(rk, "times", 1, NULL, NULL, RD_KAFKA_RESP_ERR_NO_ERROR);
    for (int i = 0; i < 10; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("times"), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE("x", 1), RD_KAFKA_V_TIMESTAMP(1000 + 100 * i),
                                           RD_KAFKA_V_END),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "times", 0)->offset = 1450;
    assert_int_equal(rd_kafka_offsets_for_times(rk, l, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(l->elems[0].offset, 5);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t lo, hi;
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, "times", 0, &lo, &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 10);

    /* DeleteRecords moves the low watermark. */
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "times", 0)->offset = 4;
    rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteRecords(rk, &dr, 1, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q, RD_KAFKA_EVENT_DELETERECORDS_RESULT);
    const rd_kafka_topic_partition_list_t *res =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
    assert_int_equal(res->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(res->elems[0].offset, 4);
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteRecords_destroy(dr);
    rd_kafka_queue_destroy(q);
    assert_int_equal(rd_kafka_query_watermark_offsets(rk, "times", 0, &lo, &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(lo, 4);
    rd_kafka_destroy(rk);
}

/* ---- raw protocol ------------------------------------------------------------------ */

static int connect_to(const fixture_t *f) { return sl_test_broker_connect(f, 10); }

/* Sends one frame; returns the response frame length read into buf, or -1
 * when the broker closed the connection. */
static int roundtrip(int fd, const uint8_t *req, size_t len, uint8_t *buf, size_t cap)
{
    uint8_t size[4];
    sl_store_be32(size, (uint32_t)len);
    assert_int_equal(write(fd, size, 4), 4);
    assert_int_equal(write(fd, req, len), (ssize_t)len);
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, size + got, 4 - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    uint32_t n = sl_load_be32(size);
    assert_true(n <= cap);
    got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return (int)n;
}

static void raw_protocol_edges(void **state)
{
    fixture_t *f = *state;
    uint8_t buf[65536];
    /* KIP-511: ApiVersions v99 is answered in v0 with UNSUPPORTED_VERSION and the versions served. */
    int fd = connect_to(f);
    const uint8_t v99[] = {0, 18, 0, 99, 0, 0, 0, 7, 0xff, 0xff};
    int n = roundtrip(fd, v99, sizeof v99, buf, sizeof buf);
    assert_true(n > 10);
    assert_int_equal(sl_load_be32(buf), 7);          /* correlation id */
    assert_int_equal((int16_t)sl_load_be16(buf + 4), 35); /* UNSUPPORTED_VERSION */
    int count = (int32_t)sl_load_be32(buf + 6);
    assert_true(count >= 14);
    int saw_produce = 0;
    for (int i = 0; i < count; i++) {
        const uint8_t *e = buf + 10 + 6 * i;
        if (sl_load_be16(e) == 0) {
            saw_produce = 1;
            /* v0 advertised (librdkafka compresses only then), v0-2 refused */
            assert_int_equal(sl_load_be16(e + 2), 0);
            assert_int_equal(sl_load_be16(e + 4), 9);
        }
    }
    assert_true(saw_produce);
    /* The same connection still serves a good ApiVersions v0. */
    const uint8_t v0[] = {0, 18, 0, 0, 0, 0, 0, 8, 0xff, 0xff};
    n = roundtrip(fd, v0, sizeof v0, buf, sizeof buf);
    assert_true(n > 10);
    assert_int_equal((int16_t)sl_load_be16(buf + 4), 0);
    /* Produce v2 (message format 1) is refused per partition. */
    {
        sl_kmsg_produce_request_t pr;
        sl_kmsg_produce_request_init(&pr);
        sl_kmsg_produce_request_partition_produce_data_t pd;
        sl_kmsg_produce_request_partition_produce_data_init(&pd);
        pd.index = 0;
        pd.records = (sl_krecords_t){(const uint8_t *)"0123456789", 10, -1, 0, NULL, NULL};
        sl_kmsg_produce_request_topic_produce_data_t td;
        sl_kmsg_produce_request_topic_produce_data_init(&td);
        td.name = SL_KSTR("old-format");
        td.partition_data = (sl_kmsg_produce_request_partition_produce_data_array_t){&pd, 1};
        pr.acks = 1;
        pr.timeout_ms = 1000;
        pr.topic_data = (sl_kmsg_produce_request_topic_produce_data_array_t){&td, 1};
        sl_outbuf_t ob = SL_OUTBUF_INIT;
        sl_kmsg_request_header_t h;
        sl_kmsg_request_header_init(&h);
        h.request_api_key = SL_KAPI_PRODUCE;
        h.request_api_version = 2;
        h.correlation_id = 11;
        h.client_id = SL_KSTR("test");
        assert_int_equal(sl_kmsg_request_header_encode(&ob, 1, &h), SL_OK);
        assert_int_equal(sl_kmsg_produce_request_encode(&ob, 2, &pr), SL_OK);
        n = roundtrip(fd, ob.mem.data, ob.mem.len, buf, sizeof buf);
        sl_outbuf_free(&ob);
        assert_true(n > 4);
        sl_kreader_t r = sl_kreader_make(buf + 4, (size_t)n - 4);
        sl_arena_t arena = SL_ARENA_INIT;
        sl_kmsg_produce_response_t resp;
        assert_int_equal(sl_kmsg_produce_response_decode(&r, 2, &arena, &resp), SL_OK);
        assert_int_equal(resp.responses.count, 1);
        assert_int_equal(resp.responses.items[0].partition_responses.items[0].error_code, 35);
        sl_arena_free(&arena);
    }
    /* An unknown API key closes the connection. */
    const uint8_t unknown[] = {0x7f, 0x00, 0, 0, 0, 0, 0, 9, 0xff, 0xff};
    assert_int_equal(roundtrip(fd, unknown, sizeof unknown, buf, sizeof buf), -1);
    close(fd);
    /* Garbage: a Metadata header with a body that cannot parse. */
    fd = connect_to(f);
    const uint8_t garbage[] = {0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff};
    assert_int_equal(roundtrip(fd, garbage, sizeof garbage, buf, sizeof buf), -1);
    close(fd);
    /* TLS bytes on the plaintext port: closed. */
    fd = connect_to(f);
    const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
    assert_int_equal(write(fd, hello, sizeof hello), (ssize_t)sizeof hello);
    assert_true(read(fd, buf, sizeof buf) <= 0);
    close(fd);
    /* And the broker still serves everyone else. */
    fd = connect_to(f);
    n = roundtrip(fd, v0, sizeof v0, buf, sizeof buf);
    assert_true(n > 10);
    close(fd);

    /* A second broker on the same data directory is refused. */
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    char err[512] = "";
    assert_int_equal(sl_broker_config_set(&cfg, "listeners", "PLAINTEXT://127.0.0.1:0", err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&cfg, "log.dirs", f->dir, err, sizeof err), SL_OK);
    sl_broker_t *second = NULL;
    assert_int_equal(sl_broker_start(&cfg, &second, err, sizeof err), SL_ERR_IO);
    assert_non_null(strstr(err, "in use"));
}

SL_TEST_GROUP(broker, cmocka_unit_test_setup_teardown(admin_topics_and_configs, setup, teardown),
              cmocka_unit_test_setup_teardown(idempotent_produce_and_consume, setup, teardown),
              cmocka_unit_test_setup_teardown(long_poll_is_woken_by_append, setup, teardown),
              cmocka_unit_test_setup_teardown(offsets_for_times_and_delete_records, setup, teardown),
              cmocka_unit_test_setup_teardown(raw_protocol_edges, setup, teardown))
