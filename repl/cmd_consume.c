/* cmd_consume.c — `sluice consume TOPIC`: prints records as lines, as
 * kafka-console-consumer.sh. Without --group it assigns the partitions itself
 * (no group coordinator needed); with --group it subscribes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repl/client.h"

#define CONSUME_USAGE                                                                                        \
    "usage: sluice consume TOPIC [--from-beginning] [--max-messages N] [--group G] [--partition N]\n"        \
    "                      [--print-key] [--key-separator SEP] [--timeout-ms T]\n"                           \
    "                      [--bootstrap HOST:PORT] [--property KEY=VALUE]... [--debug]\n"

typedef struct consume_args {
    const char *topic;
    const char *group;
    const char *sep; /* between key and value with --print-key */
    int from_beginning;
    int print_key;
    int64_t partition;  /* -1: all */
    int64_t max;        /* 0: no limit */
    int64_t timeout_ms; /* 0: none */
} consume_args_t;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage_error(void)
{
    fputs(CONSUME_USAGE, stderr);
    return SL_EXIT_USAGE;
}

static void print_bytes(const void *p, size_t len)
{
    if (p)
        fwrite(p, 1, len, stdout);
    else
        fputs("null", stdout); /* as Kafka's DefaultMessageFormatter */
}

/* Errors that mean the topic cannot be read at all: the command ends. */
static int is_permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_INVALID_GROUP_ID:
        return 1;
    default:
        return 0;
    }
}

/* Assigns the topic's partitions (or the one asked for) at the start or the
 * end. Returns 0, or -1 with the reason printed. */
static int assign_partitions(sl_client_t *c, rd_kafka_t *rk, const consume_args_t *a)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, a->topic, NULL);
    if (!rkt) {
        sl__client_fail(c, "%s", rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        sl__client_fail(c, "cannot look up topic '%s': %s", a->topic, rd_kafka_err2str(err));
        return -1;
    }
    const rd_kafka_metadata_topic_t *t = md->topic_cnt == 1 ? &md->topics[0] : NULL;
    if (!t || t->err || t->partition_cnt == 0) {
        sl__client_fail(c, "topic '%s': %s", a->topic,
                        t && t->err ? rd_kafka_err2str(t->err) : "no partitions");
        rd_kafka_metadata_destroy(md);
        return -1;
    }
    int64_t offset = a->from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(t->partition_cnt);
    int found = a->partition < 0;
    for (int i = 0; i < t->partition_cnt; i++) {
        int32_t id = t->partitions[i].id;
        if (a->partition >= 0 && id != a->partition)
            continue;
        found = 1;
        rd_kafka_topic_partition_list_add(list, a->topic, id)->offset = offset;
    }
    rd_kafka_metadata_destroy(md);
    if (!found) {
        sl__client_fail(c, "topic '%s' has no partition %lld", a->topic, (long long)a->partition);
        rd_kafka_topic_partition_list_destroy(list);
        return -1;
    }
    err = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        sl__client_fail(c, "cannot assign partitions: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static int subscribe(sl_client_t *c, rd_kafka_t *rk, const consume_args_t *a)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, a->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        sl__client_fail(c, "cannot subscribe to '%s': %s", a->topic, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

/* Polls and prints until a limit or a signal; returns 0 or -1 (reason printed). */
static int consume_loop(sl_client_t *c, rd_kafka_t *rk, const consume_args_t *a)
{
    int64_t count = 0, last = sl__client_now_us();
    rd_kafka_resp_err_t warned = RD_KAFKA_RESP_ERR_NO_ERROR;
    while (!stop_requested) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            fflush(stdout); /* nothing more right now: let the reader see it */
            if (c->fatal) {
                sl__client_fail(c, "consumer failed: %s", c->last_err);
                return -1;
            }
            if (a->timeout_ms && sl__client_now_us() - last >= a->timeout_ms * 1000)
                break;
            continue;
        }
        if (m->err) {
            rd_kafka_resp_err_t err = m->err;
            if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                rd_kafka_message_destroy(m);
                continue;
            }
            if (is_permanent(err)) {
                sl__client_fail(c, "%s", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                return -1;
            }
            if (err != warned) /* once per kind, not once per retry */
                fprintf(stderr, "sluice consume: warning: %s\n", rd_kafka_message_errstr(m));
            warned = err;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (a->print_key) {
            print_bytes(m->key, m->key_len);
            fputs(a->sep, stdout);
        }
        print_bytes(m->payload, m->len);
        fputc('\n', stdout);
        rd_kafka_message_destroy(m);
        last = sl__client_now_us();
        if (a->max && ++count >= a->max)
            break;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        sl__client_fail(c, "cannot write the output");
        return -1;
    }
    return 0;
}

int sl__cmd_consume(int argc, char **argv)
{
    sl_client_t c;
    sl__client_init(&c, "consume");
    consume_args_t a = {.sep = "\t", .partition = -1};

    for (int i = 1; i < argc; i++) {
        const char *v;
        int r = sl__client_common_opt(&c, argc, argv, &i);
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--group", &v)) > 0) {
            if (!*v) {
                fputs("sluice consume: --group must not be empty\n", stderr);
                r = -1;
            }
            a.group = v;
        }
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--key-separator", &v)) > 0)
            a.sep = v;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--partition", &v)) > 0)
            r = sl__client_parse_int("--partition", v, 0, INT32_MAX, &a.partition) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--max-messages", &v)) > 0)
            r = sl__client_parse_int("--max-messages", v, 1, INT64_MAX, &a.max) ? -1 : 1;
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--timeout-ms", &v)) > 0)
            r = sl__client_parse_int("--timeout-ms", v, 1, INT64_MAX / 1000, &a.timeout_ms) ? -1 : 1;
        if (r == 0 && strcmp(argv[i], "--from-beginning") == 0)
            r = a.from_beginning = 1;
        if (r == 0 && strcmp(argv[i], "--print-key") == 0)
            r = a.print_key = 1;
        if (r < 0)
            return usage_error();
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sluice consume: unknown option '%s'\n", argv[i]);
            return usage_error();
        }
        if (a.topic) {
            fprintf(stderr, "sluice consume: unexpected argument '%s'\n", argv[i]);
            return usage_error();
        }
        a.topic = argv[i];
    }
    if (!a.topic || !*a.topic) {
        fputs("sluice consume: which topic?\n", stderr);
        return usage_error();
    }
    if (a.group && a.partition >= 0) {
        fputs("sluice consume: --partition and --group exclude each other\n", stderr);
        return usage_error();
    }

    /* Without --group the consumer assigns partitions itself and commits
     * nothing; librdkafka 2.0.2 still wants a group.id for rd_kafka_assign
     * ("Local: Unknown group"), so it gets a private one, as Kafka's console
     * consumer does, which never joins. With --group, --from-beginning is where
     * a group without committed offsets starts, as in Kafka. */
    char private_group[64];
    snprintf(private_group, sizeof private_group, "sluice-console-consumer-%ld", (long)getpid());
    const char *defaults_assign[] = {
        "group.id", private_group, "enable.auto.commit", "false", "enable.auto.offset.store", "false", NULL};
    const char *defaults_group[] = {"group.id", a.group ? a.group : "", "auto.offset.reset",
                                    a.from_beginning ? "earliest" : "latest", NULL};
    /* SIGINT/SIGTERM end the loop, and the consumer closes cleanly. Caught
     * from the start, so a signal during the first contact is not lost;
     * librdkafka's own threads block signals, so they come to this one. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int rc = -1;
    rd_kafka_t *rk = sl__client_new(&c, RD_KAFKA_CONSUMER, a.group ? defaults_group : defaults_assign);
    if (rk && sl__client_connect(&c, rk, 10000) == 0) {
        /* From here on, errors and messages arrive on the consumer queue. */
        rd_kafka_poll_set_consumer(rk);
        rc = a.group ? subscribe(&c, rk, &a) : assign_partitions(&c, rk, &a);
        if (rc == 0)
            rc = consume_loop(&c, rk, &a);
        /* Leaves the group (committing its offsets) or drops the assignment. */
        rd_kafka_consumer_close(rk);
    }
    sl__client_destroy(rk);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc == 0 ? SL_EXIT_OK : SL_EXIT_FAIL;
}
