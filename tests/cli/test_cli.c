/* test_cli.c — the `sluice` client commands (topic, produce, consume, bench)
 * run as real processes against librdkafka's mock cluster, started in this
 * test process. */
#include "testutil.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* ---- the mock cluster ------------------------------------------------------ */

typedef struct mock {
    rd_kafka_t *rk; /* the handle the cluster lives in */
    rd_kafka_mock_cluster_t *mc;
    char bootstrap[256];
} mock_t;

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void mock_start(mock_t *m)
{
    unsetenv("SLUICE_BOOTSTRAP"); /* the tests name the cluster themselves */
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, quiet_log);
    m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(m->rk);
    m->mc = rd_kafka_mock_cluster_new(m->rk, 3);
    assert_non_null(m->mc);
    snprintf(m->bootstrap, sizeof m->bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(m->mc));
}

static void mock_topic(mock_t *m, const char *topic, int partitions)
{
    assert_int_equal(rd_kafka_mock_topic_create(m->mc, topic, partitions, 3), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void mock_stop(mock_t *m)
{
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    assert_int_equal(rd_kafka_wait_destroyed(10000), 0);
}

/* ---- running sluice ------------------------------------------------------------ */

typedef struct run {
    int status; /* exit status, -1 when killed by a signal */
    char *out;  /* stdout, NUL-terminated */
    char *err;  /* stderr, NUL-terminated */
    size_t out_len;
    double secs; /* wall time */
} run_t;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 4096, n = 0, r;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 1024) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs a shell command line in which $S is the sluice binary, with `in` (may
 * be NULL: empty) as stdin; captures stdout and stderr. */
static void run_sh(run_t *r, const char *in, const char *fmt, ...)
{
    const char *bin = getenv("SL_TEST_BIN");
    assert_non_null(bin);
    char *dir = sl_test_mkdtemp();
    char path[1024], cmdline[8192], script[4096];
    snprintf(path, sizeof path, "%s/in", dir);
    sl_test_write_file(path, in ? in : "", in ? strlen(in) : 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(script, sizeof script, fmt, ap);
    va_end(ap);
    snprintf(cmdline, sizeof cmdline, "S='%s/sluice'; { %s ; } <'%s/in' >'%s/out' 2>'%s/err'", bin, script,
             dir, dir, dir);
    double t0 = now_secs();
    int status = system(cmdline);
    r->secs = now_secs() - t0;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    snprintf(path, sizeof path, "%s/out", dir);
    r->out = slurp(path, &r->out_len);
    snprintf(path, sizeof path, "%s/err", dir);
    r->err = slurp(path, NULL);
    sl_test_rmdir(dir);
}

/* Runs `sluice ARGS` (ARGS as the shell reads them). */
#define run_sluice(r, in, ...) run_sh_args(r, in, __VA_ARGS__)
static void run_sh_args(run_t *r, const char *in, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    run_sh(r, in, "\"$S\" %s", args);
}

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A failure is one line on stderr (the contract), naming what is expected. */
static void assert_one_line_error(const run_t *r, const char *expect)
{
    if (!strstr(r->err, expect) || count(r->err, "\n") != 1)
        fail_msg("expected one stderr line with '%s', got: %s", expect, r->err);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits text into its lines in place; returns a malloc'd array (caller frees). */
static char **split_lines(char *text, size_t *n)
{
    size_t cap = count(text, "\n") + 1, k = 0;
    char **lines = malloc(sizeof *lines * cap);
    assert_non_null(lines);
    for (char *p = text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        lines[k++] = p;
    }
    *n = k;
    return lines;
}

/* ---- topic ----------------------------------------------------------------------- */

static void topic_list_and_describe(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "beta", 1);
    mock_topic(&m, "alpha", 3);
    mock_topic(&m, "__consumer_offsets", 2);
    run_t r;

    run_sluice(&r, NULL, "topic list --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "alpha\nbeta\n");
    assert_string_equal(r.err, "");
    run_free(&r);

    run_sluice(&r, NULL, "topic list --all --bootstrap=%s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "__consumer_offsets\nalpha\nbeta\n");
    run_free(&r);

    /* SLUICE_BOOTSTRAP stands in for --bootstrap. */
    run_sh(&r, NULL, "SLUICE_BOOTSTRAP='%s' \"$S\" topic list", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "alpha\nbeta\n");
    run_free(&r);

    /* The mock has no DescribeConfigs: partitions, and a warning for the configs. */
    run_sluice(&r, NULL, "topic describe alpha --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Topic: alpha\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: \n"));
    assert_int_equal(count(r.out, "\tTopic: alpha\tPartition: "), 3);
    assert_non_null(strstr(r.out, "\tTopic: alpha\tPartition: 0\tLeader: "));
    assert_non_null(strstr(r.out, "\tTopic: alpha\tPartition: 2\tLeader: "));
    assert_non_null(strstr(r.out, "Replicas: 1,2,3\tIsr: 1,2,3\n"));
    assert_one_line_error(&r, "warning: configs unavailable");
    run_free(&r);

    /* The mock creates any topic it is asked about (Metadata v2 has no
     * "don't"), so a missing topic is played by one that reports an error. */
    rd_kafka_mock_topic_set_error(m.mc, "gone", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    run_sluice(&r, NULL, "topic describe gone --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_one_line_error(&r, "topic 'gone': Broker: Unknown topic or partition");
    run_free(&r);
    mock_stop(&m);
}

static void topic_create_delete_unsupported_by_mock(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "alpha", 1);
    run_t r;

    /* librdkafka 2.0.2's mock names a controller (0) that is none of its
     * brokers and has no CreateTopics/DeleteTopics: a prompt, one-line error. */
    run_sluice(&r, NULL,
               "topic create gamma --partitions 2 --replication-factor 1 --config cleanup.policy=compact "
               "--timeout-ms 5000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_one_line_error(&r, "CreateTopics");
    assert_true(r.secs < 20);
    run_free(&r);

    run_sluice(&r, NULL, "topic create gamma --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "CreateTopics");
    run_free(&r);

    run_sluice(&r, NULL, "topic delete alpha --timeout-ms 5000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "DeleteTopics");
    assert_true(r.secs < 20);
    run_free(&r);
    mock_stop(&m);
}

/* ---- produce and consume ------------------------------------------------------------ */

static void produce_consume_roundtrip(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "rt", 3);
    /* Keys spread over the partitions; values hold the separator, tabs,
     * UTF-8, nothing at all; one key is empty. */
    char in[16384];
    size_t len = 0;
    const char *special[] = {"k0:a:b:c",
                             ":empty key",
                             "k1:",
                             "k2:tab\there",
                             "k3:\xc3\xbc"
                             "n\xc3\xaf"
                             "c\xc3\xb8"
                             "de",
                             "k4: spaces  "};
    for (int i = 0; i < 120; i++)
        len += (size_t)snprintf(in + len, sizeof in - len, "k%d:value %d\n", i % 7, i);
    for (size_t i = 0; i < sizeof special / sizeof *special; i++)
        len += (size_t)snprintf(in + len, sizeof in - len, "%s\n", special[i]);
    size_t total = 120 + sizeof special / sizeof *special;

    run_t r;
    run_sluice(&r, in, "produce rt --key-separator : --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    run_free(&r);

    run_sluice(&r, NULL,
               "consume rt --from-beginning --print-key --key-separator : --max-messages %zu --timeout-ms "
               "30000 --bootstrap %s",
               total, m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");

    /* The same lines, byte for byte ... */
    char *in_copy = strdup(in);
    size_t nin, nout;
    char **want = split_lines(in_copy, &nin), **got = split_lines(r.out, &nout);
    assert_int_equal(nin, total);
    assert_int_equal(nout, total);
    /* ... in order for each key (one key, one partition) ... */
    for (int k = 0; k < 7; k++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "k%d:", k);
        size_t wi = 0, gi = 0;
        for (;;) {
            while (wi < nin && strncmp(want[wi], prefix, strlen(prefix)) != 0)
                wi++;
            while (gi < nout && strncmp(got[gi], prefix, strlen(prefix)) != 0)
                gi++;
            if (wi == nin || gi == nout)
                break;
            assert_string_equal(got[gi], want[wi]);
            wi++, gi++;
        }
        assert_true(wi == nin && gi == nout);
    }
    /* ... and nothing else. */
    qsort(want, nin, sizeof *want, cmp_lines);
    qsort(got, nout, sizeof *got, cmp_lines);
    for (size_t i = 0; i < nin; i++)
        assert_string_equal(got[i], want[i]);
    free(want);
    free(got);
    free(in_copy);
    run_free(&r);

    /* Without --print-key: values only; a record without a key prints "null". */
    run_sluice(&r, "no key here\n", "produce rt --partition 2 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    run_sluice(&r, NULL,
               "consume rt --partition 2 --from-beginning --print-key --timeout-ms 2000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "null\tno key here\n"));
    run_free(&r);
    mock_stop(&m);
}

static void every_compression_codec(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    const char *codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    char in[32768];
    size_t len = 0;
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(in + len, sizeof in - len, "record %d %s\n", i,
                                i % 3 ? "compressible compressible compressible" : "x");
    for (size_t c = 0; c < sizeof codecs / sizeof *codecs; c++) {
        char topic[32];
        snprintf(topic, sizeof topic, "z-%s", codecs[c]);
        mock_topic(&m, topic, 1);
        run_t r;
        run_sluice(&r, in, "produce %s --compression %s --bootstrap %s", topic, codecs[c], m.bootstrap);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        run_free(&r);
        run_sluice(&r, NULL,
                   "consume %s --from-beginning --max-messages 300 --timeout-ms 30000 --bootstrap %s", topic,
                   m.bootstrap);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, in);
        run_free(&r);
    }
    mock_stop(&m);
}

static void acks_and_idempotence_settings(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "acks", 1);
    const char *acks[] = {"all", "1", "0"};
    for (size_t i = 0; i < 3; i++) {
        run_t r;
        run_sluice(&r, "a\nb\n", "produce acks --acks %s --bootstrap %s", acks[i], m.bootstrap);
        assert_int_equal(r.status, 0);
        run_free(&r);
    }
    run_t r;
    run_sluice(&r, "c\n",
               "produce acks --property enable.idempotence=false --property linger.ms=0 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    run_sluice(&r, NULL, "consume acks --from-beginning --max-messages 7 --timeout-ms 30000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "a\nb\na\nb\na\nb\nc\n");
    run_free(&r);
    /* A setting librdkafka does not know is a one-line failure. */
    run_sluice(&r, "c\n", "produce acks --property no.such.setting=1 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "no.such.setting");
    run_free(&r);
    mock_stop(&m);
}

static void consume_limits(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "mm", 2);
    run_t r;
    run_sluice(&r, "l0\nl1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n", "produce mm --partition 1 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);

    /* --max-messages stops after that many, in partition order. */
    run_sluice(&r, NULL,
               "consume mm --partition 1 --from-beginning --max-messages 3 --timeout-ms 30000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "l0\nl1\nl2\n");
    run_free(&r);

    /* --timeout-ms ends a quiet consumer: partition 0 is empty. */
    run_sluice(&r, NULL, "consume mm --partition 0 --from-beginning --timeout-ms 1500 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    assert_true(r.secs >= 1.4 && r.secs < 30);
    run_free(&r);

    /* Without --from-beginning it starts at the end: nothing old. */
    run_sluice(&r, NULL, "consume mm --timeout-ms 1500 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "");
    run_free(&r);

    /* A partition the topic does not have. */
    run_sluice(&r, NULL, "consume mm --partition 7 --timeout-ms 1000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "no partition 7");
    run_free(&r);
    mock_stop(&m);
}

static void consume_with_group(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "grp", 2);
    char in[1024];
    size_t len = 0;
    for (int i = 0; i < 20; i++)
        len += (size_t)snprintf(in + len, sizeof in - len, "g%02d\n", i);
    run_t r;
    run_sluice(&r, in, "produce grp --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    /* The mock coordinates groups (a Sluice broker does not yet). */
    run_sluice(&r, NULL,
               "consume grp --group g1 --from-beginning --max-messages 20 --timeout-ms 30000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    size_t n;
    char **got = split_lines(r.out, &n);
    assert_int_equal(n, 20);
    qsort(got, n, sizeof *got, cmp_lines);
    for (int i = 0; i < 20; i++) {
        char want[16];
        snprintf(want, sizeof want, "g%02d", i);
        assert_string_equal(got[i], want);
    }
    free(got);
    run_free(&r);
    mock_stop(&m);
}

/* Without --group the consumer needs no group coordinator (a Sluice broker has
 * none yet): the same run with FindCoordinator, JoinGroup and OffsetFetch
 * gone from the cluster's API versions. */
static void consume_without_group_needs_no_coordinator(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "nc", 2);
    const int16_t apis[] = {10 /* FindCoordinator */, 11 /* JoinGroup */, 9 /* OffsetFetch */};
    for (size_t i = 0; i < sizeof apis / sizeof *apis; i++)
        assert_int_equal(rd_kafka_mock_set_apiversion(m.mc, apis[i], -1, -1), RD_KAFKA_RESP_ERR_NO_ERROR);
    run_t r;
    run_sluice(&r, "k:one\nk:two\n", "produce nc --key-separator : --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    run_sluice(&r, NULL, "consume nc --from-beginning --max-messages 2 --timeout-ms 30000 --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "one\ntwo\n");
    assert_string_equal(r.err, "");
    run_free(&r);
    mock_stop(&m);
}

static void consume_stops_on_sigterm(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "sig", 1);
    run_t r;
    run_sh(&r, NULL, "\"$S\" consume sig --bootstrap %s & p=$!; sleep 2; kill -TERM $p; wait $p",
           m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    run_free(&r);
    run_sh(&r, NULL, "\"$S\" consume sig --group gs --bootstrap %s & p=$!; sleep 2; kill -INT $p; wait $p",
           m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    mock_stop(&m);
}

static void produce_failures(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "one", 1);
    run_t r;
    run_sluice(&r, "x\n", "produce one --partition 9 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "Unknown partition");
    run_free(&r);

    /* A line without the separator stops the run, as in Kafka; what came
     * before it is delivered. */
    run_sluice(&r, "k:first\nno separator\nk:third\n", "produce one --key-separator : --bootstrap %s",
               m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "no key separator on line 2");
    run_free(&r);
    run_sluice(&r, NULL, "consume one --from-beginning --timeout-ms 2000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "first\n");
    run_free(&r);

    /* A broker error on every record is named. */
    mock_topic(&m, "denied", 1);
    rd_kafka_mock_push_request_errors(m.mc, 0 /* Produce */, 1, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    run_sluice(&r, "a\n", "produce denied --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "uthoriz");
    run_free(&r);

    /* A cluster without InitProducerId: the idempotent default fails, saying
     * why; acks=1 (idempotence off, as in Kafka) goes through. */
    assert_int_equal(rd_kafka_mock_set_apiversion(m.mc, 22 /* InitProducerId */, -1, -1),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    run_sluice(&r, "a\n", "produce one --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "Idempotent producer not supported");
    run_free(&r);
    run_sluice(&r, "a\n", "produce one --acks 1 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    run_free(&r);
    mock_stop(&m);
}

/* ---- usage and reachability ---------------------------------------------------------- */

static void bad_arguments(void **state)
{
    (void)state;
    const char *cases[] = {
        "produce",
        "produce t --acks 7",
        "produce t --compression brotli",
        "produce t --partition -1",
        "produce t --no-such-option",
        "produce t --bootstrap",
        "produce t u",
        "produce t --property novalue",
        "consume",
        "consume t --max-messages abc",
        "consume t --max-messages 0",
        "consume t --timeout-ms -5",
        "consume t --group g --partition 1",
        "topic",
        "topic frob",
        "topic create",
        "topic create t --partitions abc",
        "topic create t --partitions 0",
        "topic create t --config nokeyvalue",
        "topic describe",
        "topic list extra",
        "bench",
        "bench fly",
        "bench produce --records x",
        "bench consume --acks 2",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        run_t r;
        run_sluice(&r, NULL, "%s --bootstrap 127.0.0.1:1", cases[i]);
        if (r.status != 2 || !strstr(r.err, "usage: sluice"))
            fail_msg("'sluice %s': status %d, stderr: %s", cases[i], r.status, r.err);
        assert_string_equal(r.out, "");
        run_free(&r);
    }
    run_t r;
    run_sluice(&r, NULL, "no-such-command");
    assert_int_equal(r.status, 2);
    run_free(&r);
    run_sluice(&r, NULL, "--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "produce TOPIC"));
    assert_non_null(strstr(r.out, "consume TOPIC"));
    assert_non_null(strstr(r.out, "topic create NAME"));
    assert_non_null(strstr(r.out, "dump-log"));
    run_free(&r);
}

static void unreachable_bootstrap(void **state)
{
    (void)state;
    /* Port 1 refuses; the .invalid name never resolves. */
    const char *addrs[] = {"127.0.0.1:1", "no-such-host.invalid:9092"};
    const char *cmds[] = {
        "topic list",          "topic describe t",          "topic create t", "produce t", "consume t",
        "consume t --group g", "bench produce --records 10"};
    for (size_t a = 0; a < 2; a++) {
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
            run_t r;
            run_sluice(&r, "a\nb\n", "%s --bootstrap %s", cmds[i], addrs[a]);
            char want[128];
            snprintf(want, sizeof want, "cannot reach %s", addrs[a]);
            if (r.status != 1 || !strstr(r.err, want) || count(r.err, "\n") != 1 || r.secs > 20)
                fail_msg("'sluice %s --bootstrap %s': status %d after %.1f s, stderr: %s", cmds[i], addrs[a],
                         r.status, r.secs, r.err);
            run_free(&r);
        }
    }
}

/* ---- bench ------------------------------------------------------------------------------ */

static void bench_against_mock(void **state)
{
    (void)state;
    mock_t m;
    mock_start(&m);
    mock_topic(&m, "sluice-bench", 2);
    run_t r;
    run_sluice(&r, NULL, "bench produce --mock --records 20000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_non_null(strstr(r.out, "mock   20000 records sent, "));
    assert_non_null(strstr(r.out, "broker 20000 records sent, "));
    assert_int_equal(count(r.out, "records/sec"), 3);
    assert_int_equal(count(r.out, "ms p99"), 2);
    assert_int_equal(count(r.out, "ms max latency"), 2);
    assert_non_null(strstr(r.out, "ratio  broker/mock: "));
    /* Release builds run on jemalloc (CMakeLists.txt), and it must be the
     * allocator in use, not only linked. */
#ifdef __SANITIZE_ADDRESS__
    assert_non_null(strstr(r.out, "allocator libc malloc (AddressSanitizer's)\n"));
#else
    assert_non_null(strstr(r.out, "allocator jemalloc 5."));
    assert_null(strstr(r.out, "not in use"));
#endif
    run_free(&r);

    /* The produce run left 20000 records to read back. */
    run_sluice(&r, NULL, "bench consume --mock --records 20000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "mock   20000 records consumed, "));
    assert_non_null(strstr(r.out, "broker 20000 records consumed, "));
    run_free(&r);

    /* Asking for more than there is ends after --timeout-ms, as a failure. */
    run_sluice(&r, NULL, "bench consume --records 30000 --timeout-ms 1000 --bootstrap %s", m.bootstrap);
    assert_int_equal(r.status, 1);
    assert_one_line_error(&r, "only 20000 of 30000 records");
    run_free(&r);
    mock_stop(&m);
}

SL_TEST_GROUP(cli, cmocka_unit_test(topic_list_and_describe),
              cmocka_unit_test(topic_create_delete_unsupported_by_mock),
              cmocka_unit_test(produce_consume_roundtrip), cmocka_unit_test(every_compression_codec),
              cmocka_unit_test(acks_and_idempotence_settings), cmocka_unit_test(consume_limits),
              cmocka_unit_test(consume_with_group),
              cmocka_unit_test(consume_without_group_needs_no_coordinator),
              cmocka_unit_test(consume_stops_on_sigterm), cmocka_unit_test(produce_failures),
              cmocka_unit_test(bad_arguments), cmocka_unit_test(unreachable_bootstrap),
              cmocka_unit_test(bench_against_mock))
