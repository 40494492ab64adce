/* cmd_bench.c — `sluice bench produce|consume`: client-side throughput and
 * latency, as kafka-producer-perf-test / kafka-consumer-perf-test. With
 * --mock the same workload first runs against librdkafka's in-process mock
 * cluster, the reference the broker is compared with in the same run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repl/client.h"

#include <librdkafka/rdkafka_mock.h> /* after rdkafka.h, which client.h brings */

#ifdef SL_WITH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#define BENCH_USAGE                                                                                          \
    "usage: sluice bench produce|consume [--topic T] [--records N] [--record-size BYTES]\n"                  \
    "                      [--compression none|gzip|snappy|lz4|zstd] [--acks all|1|0]\n"                     \
    "                      [--throughput RECORDS_PER_SEC] [--partitions P] [--timeout-ms T] [--mock]\n"      \
    "                      [--bootstrap HOST:PORT] [--property KEY=VALUE]... [--debug]\n"

typedef struct bench_args {
    int produce; /* else consume */
    const char *topic;
    int64_t records;
    int64_t record_size;
    const char *compression;
    const char *acks;
    int64_t throughput; /* records/s; -1: as fast as it goes */
    int64_t partitions; /* of the mock cluster's topic */
    int64_t timeout_ms; /* consume: give up after this long without a record */
    int mock;
} bench_args_t;

typedef struct bench_result {
    int64_t records;
    double seconds;
    double rps, mbps;
    double avg_ms, p50_ms, p99_ms, max_ms; /* produce only */
} bench_result_t;

/* One produce run's state; the client comes first (it is the opaque). */
typedef struct produce_run {
    sl_client_t c;
    int64_t *sent_us;     /* send time of record i */
    uint32_t *latency_us; /* send to delivery report, per delivered record */
    int64_t delivered, failed;
    int64_t last_dr_us;
    char first_err[512];
} produce_run_t;

static int usage_error(void)
{
    fputs(BENCH_USAGE, stderr);
    return SL_EXIT_USAGE;
}

/* Delivery reports: runs in rd_kafka_poll/flush. */
static void bench_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    produce_run_t *r = opaque;
    (void)rk;
    int64_t now = sl__client_now_us();
    r->last_dr_us = now;
    if (m->err) {
        if (!r->failed++)
            snprintf(r->first_err, sizeof r->first_err, "%s", rd_kafka_err2str(m->err));
        return;
    }
    int64_t lat = now - r->sent_us[(intptr_t)m->_private];
    r->latency_us[r->delivered++] = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Copies the common options (properties, debug) into a fresh client. */
static void client_for(sl_client_t *dst, const sl_client_t *src, const char *bootstrap)
{
    sl__client_init(dst, src->cmd);
    dst->bootstrap = bootstrap;
    dst->debug = src->debug;
    dst->nprops = src->nprops;
    memcpy(dst->props, src->props, sizeof src->props);
}

/* Sends a->records records to bootstrap and waits for every report. With res
 * NULL it only loads the topic (for the mock consume run). Returns 0, or -1
 * with the reason printed. */
static int run_produce(const sl_client_t *common, const char *bootstrap, const bench_args_t *a,
                       bench_result_t *res)
{
    produce_run_t r;
    memset(&r, 0, sizeof r);
    client_for(&r.c, common, bootstrap);
    r.sent_us = malloc(sizeof *r.sent_us * (size_t)a->records);
    r.latency_us = malloc(sizeof *r.latency_us * (size_t)a->records);
    char *payload = malloc((size_t)a->record_size + 1);
    rd_kafka_t *rk = NULL;
    int rc = -1;
    if (!r.sent_us || !r.latency_us || !payload) {
        sl__client_fail(&r.c, "out of memory for %lld records", (long long)a->records);
        goto out;
    }
    /* Upper-case letters, as kafka-producer-perf-test's random payload. */
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int64_t i = 0; i < a->record_size; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        payload[i] = (char)('A' + seed % 26);
    }

    const char *defaults[] = {"acks",
                              a->acks,
                              "enable.idempotence",
                              strcmp(a->acks, "all") == 0 ? "true" : "false",
                              "compression.codec",
                              a->compression,
                              "message.timeout.ms",
                              "30000",
                              NULL};
    rd_kafka_conf_t *conf = sl__client_conf(&r.c, defaults);
    if (!conf)
        goto out;
    rd_kafka_conf_set_dr_msg_cb(conf, bench_dr_cb);
    char err[512];
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl__client_fail(&r.c, "%s", err);
        goto out;
    }
    if (sl__client_connect(&r.c, rk, 10000) != 0)
        goto out;
    /* Learn the topic's partitions before the clock starts: otherwise the
     * first records wait for a metadata round (up to a second) and that wait,
     * not the broker, dominates the latency figures. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, a->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t merr = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : rd_kafka_last_error();
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (!merr && (md->topic_cnt != 1 || md->topics[0].err))
        merr = md->topic_cnt ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (md)
        rd_kafka_metadata_destroy(md);
    if (merr) {
        sl__client_fail(&r.c, "topic '%s': %s", a->topic, rd_kafka_err2str(merr));
        goto out;
    }

    int64_t start = sl__client_now_us();
    for (int64_t i = 0; i < a->records; i++) {
        if (a->throughput > 0) {
            int64_t due = start + i * 1000000 / a->throughput;
            int64_t now = sl__client_now_us();
            if (due > now) {
                rd_kafka_poll(rk, 0);
                sleep_us(due - now);
            }
        }
        rd_kafka_resp_err_t e;
        for (;;) {
            r.sent_us[i] = sl__client_now_us();
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(a->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE(payload, (size_t)a->record_size),
                                  RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 10);
        }
        if (e == RD_KAFKA_RESP_ERR__FATAL) {
            char why[256];
            rd_kafka_fatal_error(rk, why, sizeof why);
            sl__client_fail(&r.c, "producer failed: %s", why);
            goto out;
        }
        if (e) {
            sl__client_fail(&r.c, "cannot send record %lld: %s", (long long)i, rd_kafka_err2str(e));
            goto out;
        }
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
        if (r.c.fatal)
            break;
    }
    while (rd_kafka_outq_len(rk) > 0 && !r.c.fatal)
        rd_kafka_flush(rk, 500);
    if (r.c.fatal) {
        sl__client_fail(&r.c, "producer failed: %s", r.c.last_err);
        goto out;
    }
    if (r.failed) {
        sl__client_fail(&r.c, "%lld of %lld records not delivered: %s", (long long)r.failed,
                        (long long)a->records, r.first_err);
        goto out;
    }
    if (res) {
        double secs = (double)(r.last_dr_us - start) / 1e6;
        if (secs <= 0)
            secs = 1e-6;
        qsort(r.latency_us, (size_t)r.delivered, sizeof *r.latency_us, cmp_u32);
        double sum = 0;
        for (int64_t i = 0; i < r.delivered; i++)
            sum += r.latency_us[i];
        res->records = r.delivered;
        res->seconds = secs;
        res->rps = (double)r.delivered / secs;
        res->mbps = (double)r.delivered * (double)a->record_size / (1024.0 * 1024.0) / secs;
        res->avg_ms = sum / (double)r.delivered / 1000.0;
        res->p50_ms = r.latency_us[(size_t)((double)(r.delivered - 1) * 0.50)] / 1000.0;
        res->p99_ms = r.latency_us[(size_t)((double)(r.delivered - 1) * 0.99)] / 1000.0;
        res->max_ms = r.latency_us[r.delivered - 1] / 1000.0;
    }
    rc = 0;
out:
    sl__client_destroy(rk);
    free(payload);
    free(r.latency_us);
    free(r.sent_us);
    return rc;
}

typedef struct bench_consume {
    int64_t count, bytes;
    int pad;
    const char *err; /* the first error, static */
} bench_consume_t;

static void bench_consume_cb(rd_kafka_message_t *m, void *opaque)
{
    bench_consume_t *bc = opaque;
    if (!m->err) {
        bc->count++;
        bc->bytes += (int64_t)m->len;
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF && !bc->err) {
        bc->err = rd_kafka_err2str(m->err);
    }
}

/* Reads a->records records from the start of every partition of the topic.
 * Returns 0, or -1 with the reason printed (res still holds what was read
 * when the topic ran dry). */
static int run_consume(const sl_client_t *common, const char *bootstrap, const bench_args_t *a,
                       bench_result_t *res)
{
    sl_client_t c;
    client_for(&c, common, bootstrap);
    /* librdkafka 2.0.2 wants a group.id even to assign; this one never joins.
     * Its fetch queue limits stop fetching for a second (the queue backoff)
     * once ~100k records wait, and one 1 MiB fetch of lz4 batches of
     * repetitive records holds ~200k: lift them, as a throughput run should. */
    static const char *const defaults[] = {
        "group.id", "sluice-bench", "enable.auto.commit", "false", "enable.auto.offset.store", "false",
        "queued.min.messages", "10000000", "queued.max.messages.kbytes", "2097151", NULL};
    rd_kafka_t *rk = sl__client_new(&c, RD_KAFKA_CONSUMER, defaults);
    if (!rk)
        return -1;
    int rc = -1;
    rd_kafka_topic_partition_list_t *list = NULL;
    if (sl__client_connect(&c, rk, 10000) != 0)
        goto out;
    rd_kafka_poll_set_consumer(rk);

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, a->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rkt ? rd_kafka_metadata(rk, 0, rkt, &md, 10000) : rd_kafka_last_error();
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        sl__client_fail(&c, "topic '%s': %s", a->topic,
                        rd_kafka_err2str(err             ? err
                                         : md->topic_cnt ? md->topics[0].err
                                                         : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
        if (md)
            rd_kafka_metadata_destroy(md);
        goto out;
    }
    list = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(list, a->topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);

    int64_t start = sl__client_now_us(), last = start, count = 0, bytes = 0;
    if ((err = rd_kafka_assign(rk, list))) {
        sl__client_fail(&c, "cannot assign partitions: %s", rd_kafka_err2str(err));
        goto out;
    }
    /* Messages through a callback on the consumer queue: one poll per
     * message capped the client at ~430k records/s, batches of message
     * objects at ~1.45M/s; the callback skips handing out each message
     * object (kafka-consumer-perf-test reads batches too). */
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    bench_consume_t bc = {0, 0, 0, NULL};
    while (bc.count < a->records && !bc.err) {
        int n = rd_kafka_consume_callback_queue(queue, 100, bench_consume_cb, &bc);
        if (n <= 0) {
            if (sl__client_now_us() - last >= a->timeout_ms * 1000)
                break;
            continue;
        }
        last = sl__client_now_us();
    }
    count = bc.count;
    bytes = bc.bytes;
    int failed = 0;
    if (bc.err) {
        sl__client_fail(&c, "%s", bc.err);
        failed = 1;
    }
    rd_kafka_queue_destroy(queue);
    if (failed)
        goto out;
    double secs = (double)(last - start) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    memset(res, 0, sizeof *res);
    res->records = count;
    res->seconds = secs;
    res->rps = (double)count / secs;
    res->mbps = (double)bytes / (1024.0 * 1024.0) / secs;
    if (count < a->records)
        sl__client_fail(&c, "only %lld of %lld records within %lld ms of the last one", (long long)count,
                        (long long)a->records, (long long)a->timeout_ms);
    else
        rc = 0;
out:
    if (list)
        rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_consumer_close(rk);
    sl__client_destroy(rk);
    return rc;
}

static void print_result(const char *label, const bench_args_t *a, const bench_result_t *r)
{
    if (a->produce)
        printf("%-6s %lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, "
               "%.2f ms p50, %.2f ms p99, %.2f ms max latency\n",
               label, (long long)r->records, r->rps, r->mbps, r->avg_ms, r->p50_ms, r->p99_ms, r->max_ms);
    else
        printf("%-6s %lld records consumed, %.1f records/sec (%.2f MB/sec), %.2f s\n", label,
               (long long)r->records, r->rps, r->mbps, r->seconds);
    fflush(stdout);
}

/* Runs the workload against a mock cluster of one broker made for the run. */
static int run_mock(const sl_client_t *common, const bench_args_t *a, bench_result_t *res)
{
    sl_client_t host;
    client_for(&host, common, "");
    host.nprops = 0; /* the properties are for the clients, not the mock's host */
    rd_kafka_t *hrk = sl__client_new(&host, RD_KAFKA_PRODUCER, NULL);
    if (!hrk)
        return -1;
    int rc = -1;
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(hrk, 1);
    if (!mc) {
        sl__client_fail(&host, "cannot start the mock cluster");
        goto out;
    }
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, a->topic, (int)a->partitions, 1);
    if (err) {
        sl__client_fail(&host, "mock cluster: cannot create topic '%s': %s", a->topic, rd_kafka_err2str(err));
        goto out;
    }
    const char *bs = rd_kafka_mock_cluster_bootstraps(mc);
    if (a->produce)
        rc = run_produce(common, bs, a, res);
    else if ((rc = run_produce(common, bs, a, NULL)) == 0)
        rc = run_consume(common, bs, a, res);
out:
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    sl__client_destroy(hrk);
    return rc;
}

/* The allocator the client runs on: librdkafka's consumer is bound by it
 * (CMakeLists.txt, docs/benchmarks.md). With jemalloc, "in use" means it has
 * served this process's allocations, not only that it is linked. */
static void print_allocator(void)
{
#ifdef SL_WITH_JEMALLOC
    const char *version = "?";
    size_t vlen = sizeof version, alen = sizeof(size_t), allocated = 0;
    uint64_t epoch = 1;
    mallctl("version", &version, &vlen, NULL, 0);
    mallctl("epoch", NULL, NULL, &epoch, sizeof epoch);
    int in_use = mallctl("stats.allocated", &allocated, &alen, NULL, 0) == 0 && allocated > 0;
    printf("allocator jemalloc %s%s\n", version, in_use ? "" : " (linked, not in use)");
#else
    printf("allocator libc malloc%s\n",
#ifdef __SANITIZE_ADDRESS__
           " (AddressSanitizer's)"
#else
           ""
#endif
    );
#endif
}

int sl__cmd_bench(int argc, char **argv)
{
    /* argv[0] is "bench". */
    if (argc < 2 || (strcmp(argv[1], "produce") && strcmp(argv[1], "consume"))) {
        fprintf(stderr, "sluice bench: produce or consume?\n");
        return usage_error();
    }
    bench_args_t a = {.produce = strcmp(argv[1], "produce") == 0,
                      .topic = "sluice-bench",
                      .records = 100000,
                      .record_size = 100,
                      .compression = "lz4",
                      .acks = "1",
                      .throughput = -1,
                      .partitions = 1,
                      .timeout_ms = 10000};
    sl_client_t c;
    sl__client_init(&c, a.produce ? "bench produce" : "bench consume");
    for (int i = 2; i < argc; i++) {
        const char *v;
        int r = sl__client_common_opt(&c, argc, argv, &i);
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--topic", &v)) > 0)
            a.topic = v;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--records", &v)) > 0)
            r = sl__client_parse_int("--records", v, 1, 1000000000, &a.records) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--record-size", &v)) > 0)
            r = sl__client_parse_int("--record-size", v, 0, 100 << 20, &a.record_size) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--throughput", &v)) > 0)
            r = sl__client_parse_int("--throughput", v, -1, 1000000000, &a.throughput) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--partitions", &v)) > 0)
            r = sl__client_parse_int("--partitions", v, 1, 100000, &a.partitions) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--timeout-ms", &v)) > 0)
            r = sl__client_parse_int("--timeout-ms", v, 1, 3600000, &a.timeout_ms) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--acks", &v)) > 0) {
            if (strcmp(v, "all") && strcmp(v, "-1") && strcmp(v, "1") && strcmp(v, "0")) {
                fprintf(stderr, "sluice bench: --acks is all, 1 or 0, not '%s'\n", v);
                r = -1;
            }
            a.acks = strcmp(v, "-1") == 0 ? "all" : v;
        }
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--compression", &v)) > 0) {
            if (strcmp(v, "none") && strcmp(v, "gzip") && strcmp(v, "snappy") && strcmp(v, "lz4") &&
                strcmp(v, "zstd")) {
                fprintf(stderr, "sluice bench: --compression is none, gzip, snappy, lz4 or zstd, not '%s'\n",
                        v);
                r = -1;
            }
            a.compression = v;
        }
        if (r == 0 && strcmp(argv[i], "--mock") == 0)
            r = a.mock = 1;
        if (r == 0) {
            fprintf(stderr, "sluice bench: unknown argument '%s'\n", argv[i]);
            r = -1;
        }
        if (r < 0)
            return usage_error();
    }
    if (!*a.topic) {
        fputs("sluice bench: --topic must not be empty\n", stderr);
        return usage_error();
    }

    print_allocator();
    bench_result_t mock_res, res;
    if (a.mock) {
        if (run_mock(&c, &a, &mock_res) != 0)
            return SL_EXIT_FAIL;
        print_result("mock", &a, &mock_res);
    }
    int rc = a.produce ? run_produce(&c, c.bootstrap, &a, &res) : run_consume(&c, c.bootstrap, &a, &res);
    if (rc != 0)
        return SL_EXIT_FAIL;
    print_result("broker", &a, &res);
    if (a.mock)
        printf("ratio  broker/mock: %.2fx records/sec, %.2fx MB/sec\n", res.rps / mock_res.rps,
               mock_res.mbps > 0 ? res.mbps / mock_res.mbps : NAN);
    return SL_EXIT_OK;
}
