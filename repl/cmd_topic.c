/* cmd_topic.c — `sluice topic create|list|describe|delete`: topic
 * administration over the Kafka protocol (Metadata, CreateTopics,
 * DeleteTopics, DescribeConfigs) through librdkafka's admin API, printing what
 * kafka-topics.sh prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl/client.h"

#define TOPIC_USAGE                                                                                          \
    "usage: sluice topic create NAME [--partitions N] [--replication-factor R] "                             \
    "[--config KEY=VALUE]...\n"                                                                              \
    "       sluice topic list [--all]\n"                                                                     \
    "       sluice topic describe NAME\n"                                                                    \
    "       sluice topic delete NAME\n"                                                                      \
    "  each also takes [--bootstrap HOST:PORT] [--property KEY=VALUE]... [--timeout-ms T] "                  \
    "[--debug]\n"

#define TOPIC_MAX_CONFIGS 64

typedef struct topic_args {
    const char *verb;
    const char *name;
    int64_t partitions;                     /* -1: the broker's default */
    int64_t replication;                    /* -1: the broker's default */
    const char *configs[TOPIC_MAX_CONFIGS]; /* KEY=VALUE, pointing into argv */
    size_t nconfigs;
    int all;
    int64_t timeout_ms;
} topic_args_t;

static int usage_error(void)
{
    fputs(TOPIC_USAGE, stderr);
    return SL_EXIT_USAGE;
}

/* The handle every verb uses. A producer handle needs no group; automatic
 * topic creation is off so that describing a missing topic never makes it. */
static rd_kafka_t *admin_new(sl_client_t *c)
{
    static const char *const defaults[] = {"allow.auto.create.topics", "false", NULL};
    return sl__client_new(c, RD_KAFKA_PRODUCER, defaults);
}

/* librdkafka sends CreateTopics, DeleteTopics and topic DescribeConfigs to the
 * controller and waits for it until the request times out. Checks up front
 * that the cluster names a controller among its brokers (librdkafka's mock
 * cluster names broker 0, which does not exist), so that such a cluster fails
 * at once, not after --timeout-ms. Returns 1, or 0 with the reason in why. */
static int have_controller(rd_kafka_t *rk, const char *api, int64_t timeout_ms, char *why, size_t whysz)
{
    int32_t id = rd_kafka_controllerid(rk, 0);
    if (id < 0)
        id = rd_kafka_controllerid(rk, timeout_ms < 2000 ? (int)timeout_ms : 2000);
    if (id < 0) {
        snprintf(why, whysz, "the cluster names no controller to send %s to", api);
        return 0;
    }
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, (int)timeout_ms);
    if (err) {
        snprintf(why, whysz, "cannot look up the brokers: %s", rd_kafka_err2str(err));
        return 0;
    }
    int found = 0;
    for (int i = 0; i < md->broker_cnt; i++)
        found |= md->brokers[i].id == id;
    rd_kafka_metadata_destroy(md);
    if (!found)
        snprintf(why, whysz, "the cluster names controller %d, which is none of its brokers, to send %s to",
                 (int)id, api);
    return found;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int64_t timeout_ms)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(o, (int)timeout_ms, err, sizeof err);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
        rd_kafka_AdminOptions_set_operation_timeout(o, (int)timeout_ms, err, sizeof err);
    return o;
}

/* Waits for the admin result on q. The request timeout bounds it; the slack
 * covers librdkafka's own scheduling. Returns NULL (reason printed) on a
 * request-level error; the caller destroys the event. */
static rd_kafka_event_t *admin_result(sl_client_t *c, rd_kafka_queue_t *q, int64_t timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms + 10000);
    if (!ev) {
        sl__client_fail(c, "no answer within %lld ms", (long long)timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        sl__client_fail(c, "%s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static int topic_results(sl_client_t *c, const rd_kafka_topic_result_t **tr, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rd_kafka_topic_result_error(tr[i])) {
            const char *msg = rd_kafka_topic_result_error_string(tr[i]);
            sl__client_fail(c, "topic '%s': %s", rd_kafka_topic_result_name(tr[i]),
                            msg ? msg : rd_kafka_err2str(rd_kafka_topic_result_error(tr[i])));
            return -1;
        }
    }
    return 0;
}

static int do_create(sl_client_t *c, rd_kafka_t *rk, const topic_args_t *a)
{
    char err[512];
    if (!have_controller(rk, "CreateTopics", a->timeout_ms, err, sizeof err)) {
        sl__client_fail(c, "%s", err);
        return SL_EXIT_FAIL;
    }
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(a->name, (int)a->partitions, (int)a->replication, err, sizeof err);
    if (!nt) {
        sl__client_fail(c, "%s", err);
        return SL_EXIT_FAIL;
    }
    for (size_t i = 0; i < a->nconfigs; i++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", a->configs[i]);
        char *eq = strchr(kv, '=');
        *eq = '\0';
        if (rd_kafka_NewTopic_set_config(nt, kv, eq + 1)) {
            sl__client_fail(c, "cannot set config %s", kv);
            rd_kafka_NewTopic_destroy(nt);
            return SL_EXIT_FAIL;
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, a->timeout_ms);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = admin_result(c, q, a->timeout_ms);
    int rc = SL_EXIT_FAIL;
    if (ev) {
        size_t n = 0;
        const rd_kafka_CreateTopics_result_t *r = rd_kafka_event_CreateTopics_result(ev);
        const rd_kafka_topic_result_t **tr = r ? rd_kafka_CreateTopics_result_topics(r, &n) : NULL;
        if (topic_results(c, tr, n) == 0) {
            printf("Created topic %s.\n", a->name);
            rc = SL_EXIT_OK;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

static int do_delete(sl_client_t *c, rd_kafka_t *rk, const topic_args_t *a)
{
    char why[512];
    if (!have_controller(rk, "DeleteTopics", a->timeout_ms, why, sizeof why)) {
        sl__client_fail(c, "%s", why);
        return SL_EXIT_FAIL;
    }
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(a->name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_options(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, a->timeout_ms);
    rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = admin_result(c, q, a->timeout_ms);
    int rc = SL_EXIT_FAIL;
    if (ev) {
        size_t n = 0;
        const rd_kafka_DeleteTopics_result_t *r = rd_kafka_event_DeleteTopics_result(ev);
        const rd_kafka_topic_result_t **tr = r ? rd_kafka_DeleteTopics_result_topics(r, &n) : NULL;
        if (topic_results(c, tr, n) == 0) {
            printf("Deleted topic %s.\n", a->name);
            rc = SL_EXIT_OK;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int do_list(sl_client_t *c, rd_kafka_t *rk, const topic_args_t *a)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, (int)a->timeout_ms);
    if (err) {
        sl__client_fail(c, "cannot list topics: %s", rd_kafka_err2str(err));
        return SL_EXIT_FAIL;
    }
    const char **names = calloc((size_t)md->topic_cnt + 1, sizeof *names);
    if (!names) {
        rd_kafka_metadata_destroy(md);
        sl__client_fail(c, "out of memory");
        return SL_EXIT_FAIL;
    }
    size_t n = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const char *t = md->topics[i].topic;
        /* The C metadata carries no is_internal flag; Kafka's internal topics
         * (__consumer_offsets, __transaction_state) are the "__" ones. */
        if (!a->all && strncmp(t, "__", 2) == 0)
            continue;
        names[n++] = t;
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++)
        printf("%s\n", names[i]);
    free(names);
    rd_kafka_metadata_destroy(md);
    return SL_EXIT_OK;
}

static int cmp_partition(const void *a, const void *b)
{
    const rd_kafka_metadata_partition_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static void print_ids(const int32_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", (int)ids[i]);
}

/* Appends the topic's own settings (not defaults) as k=v,k=v to out. Returns
 * 0, or -1 with the reason in why. */
static int describe_configs(rd_kafka_t *rk, const char *name, int64_t timeout_ms, char *out, size_t outsz,
                            char *why, size_t whysz)
{
    out[0] = '\0';
    if (!have_controller(rk, "DescribeConfigs", timeout_ms, why, whysz))
        return -1;
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_DescribeConfigs(rk, &res, 1, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms + 10000);
    int rc = -1;
    if (!ev) {
        snprintf(why, whysz, "no answer within %lld ms", (long long)timeout_ms);
    } else if (rd_kafka_event_error(ev)) {
        snprintf(why, whysz, "%s", rd_kafka_event_error_string(ev));
    } else {
        size_t nres = 0, len = 0;
        const rd_kafka_DescribeConfigs_result_t *r = rd_kafka_event_DescribeConfigs_result(ev);
        const rd_kafka_ConfigResource_t **rs = r ? rd_kafka_DescribeConfigs_result_resources(r, &nres) : NULL;
        if (nres == 1 && rd_kafka_ConfigResource_error(rs[0])) {
            snprintf(why, whysz, "%s", rd_kafka_ConfigResource_error_string(rs[0]));
        } else {
            size_t nent = 0;
            const rd_kafka_ConfigEntry_t **es =
                nres == 1 ? rd_kafka_ConfigResource_configs(rs[0], &nent) : NULL;
            for (size_t i = 0; i < nent; i++) {
                rd_kafka_ConfigSource_t src = rd_kafka_ConfigEntry_source(es[i]);
                const char *v = rd_kafka_ConfigEntry_value(es[i]);
                /* Only what was set on the topic, as kafka-topics.sh shows. */
                int set =
                    src == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG ||
                    (src == RD_KAFKA_CONFIG_SOURCE_UNKNOWN_CONFIG && !rd_kafka_ConfigEntry_is_default(es[i]));
                if (!set || !v || rd_kafka_ConfigEntry_is_sensitive(es[i]))
                    continue;
                int w = snprintf(out + len, outsz - len, "%s%s=%s", len ? "," : "",
                                 rd_kafka_ConfigEntry_name(es[i]), v);
                if (w < 0 || (size_t)w >= outsz - len) {
                    out[len] = '\0';
                    break;
                }
                len += (size_t)w;
            }
            rc = 0;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    return rc;
}

static int do_describe(sl_client_t *c, rd_kafka_t *rk, const topic_args_t *a)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, a->name, NULL);
    if (!rkt) {
        sl__client_fail(c, "%s", rd_kafka_err2str(rd_kafka_last_error()));
        return SL_EXIT_FAIL;
    }
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, (int)a->timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err) {
        sl__client_fail(c, "cannot describe topic '%s': %s", a->name, rd_kafka_err2str(err));
        return SL_EXIT_FAIL;
    }
    const rd_kafka_metadata_topic_t *t = NULL;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, a->name) == 0)
            t = &md->topics[i];
    /* A topic being created reports LEADER_NOT_AVAILABLE with its partitions;
     * any other topic error (unknown, not authorized) is the answer. */
    if (!t || (t->err && (t->err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE || t->partition_cnt == 0))) {
        sl__client_fail(c, "topic '%s': %s", a->name,
                        t ? rd_kafka_err2str(t->err) : "not in the metadata answer");
        rd_kafka_metadata_destroy(md);
        return SL_EXIT_FAIL;
    }

    char configs[4096], why[512];
    int cfg_ok = describe_configs(rk, a->name, a->timeout_ms, configs, sizeof configs, why, sizeof why) == 0;

    rd_kafka_metadata_partition_t *parts = malloc(sizeof *parts * (size_t)(t->partition_cnt + 1));
    if (!parts) {
        rd_kafka_metadata_destroy(md);
        sl__client_fail(c, "out of memory");
        return SL_EXIT_FAIL;
    }
    memcpy(parts, t->partitions, sizeof *parts * (size_t)t->partition_cnt);
    qsort(parts, (size_t)t->partition_cnt, sizeof *parts, cmp_partition);
    printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n", t->topic, t->partition_cnt,
           t->partition_cnt ? parts[0].replica_cnt : 0, configs);
    for (int i = 0; i < t->partition_cnt; i++) {
        const rd_kafka_metadata_partition_t *p = &parts[i];
        printf("\tTopic: %s\tPartition: %d\tLeader: %d\tReplicas: ", t->topic, (int)p->id, (int)p->leader);
        print_ids(p->replicas, p->replica_cnt);
        printf("\tIsr: ");
        print_ids(p->isrs, p->isr_cnt);
        if (p->err)
            printf("\tError: %s", rd_kafka_err2name(p->err));
        printf("\n");
    }
    free(parts);
    rd_kafka_metadata_destroy(md);
    /* The partitions are the answer; configs the cluster cannot give (e.g. a
     * cluster without DescribeConfigs) are a warning, not a failure. */
    if (!cfg_ok)
        fprintf(stderr, "sluice topic describe: warning: configs unavailable: %s\n", why);
    return SL_EXIT_OK;
}

int sl__cmd_topic(int argc, char **argv)
{
    /* argv[0] is "topic". */
    if (argc < 2) {
        fputs("sluice topic: which one: create, list, describe or delete?\n", stderr);
        return usage_error();
    }
    topic_args_t a = {.verb = argv[1], .partitions = -1, .replication = -1, .timeout_ms = 30000};
    int is_create = strcmp(a.verb, "create") == 0, is_list = strcmp(a.verb, "list") == 0;
    if (!is_create && !is_list && strcmp(a.verb, "describe") != 0 && strcmp(a.verb, "delete") != 0) {
        fprintf(stderr, "sluice topic: unknown subcommand '%s'\n", a.verb);
        return usage_error();
    }
    char cmd[32];
    snprintf(cmd, sizeof cmd, "topic %s", a.verb);
    sl_client_t c;
    sl__client_init(&c, cmd);

    for (int i = 2; i < argc; i++) {
        const char *v;
        int r = sl__client_common_opt(&c, argc, argv, &i);
        if (r == 0 && is_create && (r = sl__client_opt(argc, argv, &i, "--partitions", &v)) > 0)
            r = sl__client_parse_int("--partitions", v, -1, 1000000, &a.partitions) ? -1 : 1;
        if (r == 0 && is_create && (r = sl__client_opt(argc, argv, &i, "--replication-factor", &v)) > 0)
            r = sl__client_parse_int("--replication-factor", v, -1, 32767, &a.replication) ? -1 : 1;
        if (r == 0 && is_create && (r = sl__client_opt(argc, argv, &i, "--config", &v)) > 0) {
            if (!strchr(v, '=') || v[0] == '=') {
                fprintf(stderr, "sluice: --config wants KEY=VALUE, not '%s'\n", v);
                r = -1;
            } else if (a.nconfigs == TOPIC_MAX_CONFIGS) {
                fprintf(stderr, "sluice: more than %d --config options\n", TOPIC_MAX_CONFIGS);
                r = -1;
            } else {
                a.configs[a.nconfigs++] = v;
            }
        }
        if (r == 0 && (r = sl__client_opt(argc, argv, &i, "--timeout-ms", &v)) > 0)
            r = sl__client_parse_int("--timeout-ms", v, 1, 3600000, &a.timeout_ms) ? -1 : 1;
        if (r == 0 && is_list && strcmp(argv[i], "--all") == 0)
            r = a.all = 1;
        if (r < 0)
            return usage_error();
        if (r > 0)
            continue;
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "sluice topic %s: unknown option '%s'\n", a.verb, argv[i]);
            return usage_error();
        }
        if (is_list || a.name) {
            fprintf(stderr, "sluice topic %s: unexpected argument '%s'\n", a.verb, argv[i]);
            return usage_error();
        }
        a.name = argv[i];
    }
    if (!is_list && (!a.name || !*a.name)) {
        fprintf(stderr, "sluice topic %s: which topic?\n", a.verb);
        return usage_error();
    }
    if (a.partitions == 0 || a.replication == 0) {
        fprintf(stderr, "sluice topic create: --partitions and --replication-factor must be positive "
                        "(or -1 for the broker's default)\n");
        return usage_error();
    }

    rd_kafka_t *rk = admin_new(&c);
    if (!rk)
        return SL_EXIT_FAIL;
    int rc = SL_EXIT_FAIL;
    int connect_ms = a.timeout_ms < 10000 ? (int)a.timeout_ms : 10000;
    if (sl__client_connect(&c, rk, connect_ms) == 0) {
        if (is_create)
            rc = do_create(&c, rk, &a);
        else if (is_list)
            rc = do_list(&c, rk, &a);
        else if (strcmp(a.verb, "describe") == 0)
            rc = do_describe(&c, rk, &a);
        else
            rc = do_delete(&c, rk, &a);
    }
    sl__client_destroy(rk);
    return rc;
}
