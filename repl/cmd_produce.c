/* cmd_produce.c — `sluice produce TOPIC`: one record per line of stdin,
 * through an idempotent librdkafka producer, as Kafka 3's
 * kafka-console-producer.sh; waits for every delivery report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl/client.h"

#define PRODUCE_USAGE                                                                                        \
    "usage: sluice produce TOPIC [--key-separator SEP] [--partition N] [--acks all|1|0]\n"                   \
    "                      [--compression none|gzip|snappy|lz4|zstd] [--bootstrap HOST:PORT]\n"              \
    "                      [--property KEY=VALUE]... [--debug]      (records: lines of stdin)\n"

/* The producer's state; the client comes first, as the callbacks get it as
 * their opaque. */
typedef struct produce {
    sl_client_t c;
    size_t sent, delivered, failed;
    char first_err[512]; /* the first failed delivery's reason */
} produce_t;

/* Delivery reports; run in rd_kafka_poll/flush on the main thread. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    produce_t *p = opaque;
    (void)rk;
    if (!m->err) {
        p->delivered++;
        return;
    }
    if (!p->failed++)
        snprintf(p->first_err, sizeof p->first_err, "%s", rd_kafka_err2str(m->err));
}

static int usage_error(void)
{
    fputs(PRODUCE_USAGE, stderr);
    return SL_EXIT_USAGE;
}

/* Sends the lines of stdin; returns 0, or -1 with the reason printed. */
static int send_lines(produce_t *p, rd_kafka_t *rk, const char *topic, int32_t partition, const char *sep)
{
    size_t seplen = sep ? strlen(sep) : 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    size_t lineno = 0;
    while ((n = getline(&line, &cap, stdin)) != -1) {
        lineno++;
        /* Only the '\n' goes: the rest of the line is the record, byte for byte. */
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        const char *key = NULL, *val = line;
        size_t klen = 0, vlen = (size_t)n;
        if (sep) {
            const char *s = memmem(line, (size_t)n, sep, seplen);
            if (!s) {
                /* Kafka's console producer refuses such a line too. */
                sl__client_fail(&p->c, "no key separator on line %zu", lineno);
                rc = -1;
                break;
            }
            key = line;
            klen = (size_t)(s - line);
            val = s + seplen;
            vlen = (size_t)n - klen - seplen;
        }
        rd_kafka_resp_err_t err;
        for (;;) {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, klen),
                                    RD_KAFKA_V_VALUE((void *)val, vlen), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 100); /* let deliveries make room */
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char why[256];
            rd_kafka_fatal_error(rk, why, sizeof why);
            sl__client_fail(&p->c, "producer failed: %s", why);
            rc = -1;
            break;
        }
        if (err) {
            sl__client_fail(&p->c, "cannot send line %zu: %s", lineno, rd_kafka_err2str(err));
            rc = -1;
            break;
        }
        p->sent++;
        rd_kafka_poll(rk, 0);
        if (p->c.fatal) {
            sl__client_fail(&p->c, "producer failed: %s", p->c.last_err);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(stdin)) {
        sl__client_fail(&p->c, "cannot read stdin");
        rc = -1;
    }
    free(line);
    return rc;
}

int sl__cmd_produce(int argc, char **argv)
{
    produce_t p;
    memset(&p, 0, sizeof p);
    sl__client_init(&p.c, "produce");
    const char *topic = NULL, *sep = NULL, *acks = "all", *compression = "none";
    int64_t partition = RD_KAFKA_PARTITION_UA;

    for (int i = 1; i < argc; i++) {
        const char *v;
        int r = sl__client_common_opt(&p.c, argc, argv, &i);
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--key-separator", &v)) > 0) {
            if (!*v) {
                fputs("sluice produce: --key-separator must not be empty\n", stderr);
                r = -1;
            }
            sep = v;
        }
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--partition", &v)) > 0)
            r = sl__client_parse_int("--partition", v, 0, INT32_MAX, &partition) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--acks", &v)) > 0) {
            if (strcmp(v, "all") && strcmp(v, "-1") && strcmp(v, "1") && strcmp(v, "0")) {
                fprintf(stderr, "sluice produce: --acks is all, 1 or 0, not '%s'\n", v);
                r = -1;
            }
            acks = strcmp(v, "-1") == 0 ? "all" : v;
        }
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--compression", &v)) > 0) {
            if (strcmp(v, "none") && strcmp(v, "gzip") && strcmp(v, "snappy") && strcmp(v, "lz4") &&
                strcmp(v, "zstd")) {
                fprintf(stderr,
                        "sluice produce: --compression is none, gzip, snappy, lz4 or zstd, not '%s'\n", v);
                r = -1;
            }
            compression = v;
        }
        if (r < 0)
            return usage_error();
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sluice produce: unknown option '%s'\n", argv[i]);
            return usage_error();
        }
        if (topic) {
            fprintf(stderr, "sluice produce: unexpected argument '%s'\n", argv[i]);
            return usage_error();
        }
        topic = argv[i];
    }
    if (!topic || !*topic) {
        fputs("sluice produce: which topic?\n", stderr);
        return usage_error();
    }

    /* As Kafka 3's producer: idempotent unless acks says otherwise. The
     * partitioner is the Java client's, so keys land where Java puts them. A
     * record undelivered after 30 s fails (librdkafka would wait 5 min). */
    const char *defaults[] = {"acks",
                              acks,
                              "enable.idempotence",
                              strcmp(acks, "all") == 0 ? "true" : "false",
                              "compression.codec",
                              compression,
                              "partitioner",
                              "murmur2_random",
                              "message.timeout.ms",
                              "30000",
                              NULL};
    rd_kafka_conf_t *conf = sl__client_conf(&p.c, defaults);
    if (!conf)
        return SL_EXIT_FAIL;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl__client_fail(&p.c, "%s", err);
        return SL_EXIT_FAIL;
    }
    if (sl__client_connect(&p.c, rk, 10000) != 0) {
        sl__client_destroy(rk);
        return SL_EXIT_FAIL;
    }

    int rc = send_lines(&p, rk, topic, (int32_t)partition, sep);
    /* Every record sent gets its report: delivered, or failed when
     * message.timeout.ms runs out, so this loop ends. */
    while (rd_kafka_outq_len(rk) > 0 && !p.c.fatal)
        rd_kafka_flush(rk, 500);
    if (rc == 0 && p.c.fatal) {
        sl__client_fail(&p.c, "producer failed: %s", p.c.last_err);
        rc = -1;
    }
    if (rc == 0 && p.failed) {
        sl__client_fail(&p.c, "%zu of %zu records not delivered: %s", p.failed, p.sent, p.first_err);
        rc = -1;
    }
    sl__client_destroy(rk);
    return rc == 0 ? SL_EXIT_OK : SL_EXIT_FAIL;
}
