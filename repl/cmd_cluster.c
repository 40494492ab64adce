/* cmd_cluster.c — `sluice cluster status`: the brokers, the active
 * controller, and every partition's leader, replicas and ISR, with the
 * under-replicated and offline partitions counted (what an operator watches
 * first). Reads the cluster's metadata with librdkafka, as any client would.
 * `sluice cluster elect-leaders` (kafka-leader-election.sh) sends
 * ElectLeaders to the active controller with the broker's own client
 * (librdkafka 2.0 has no ElectLeaders). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/net/kclient.h"
#include "repl/client.h"

static int usage_error(void)
{
    fputs("usage: sluice cluster status [--bootstrap HOST:PORT[,HOST:PORT...]] [--timeout-ms N]\n"
          "       sluice cluster elect-leaders [--unclean] [--topic T [--partition P]] [--bootstrap ...]\n",
          stderr);
    return SL_EXIT_USAGE;
}

static int cmp_topic(const void *a, const void *b)
{
    const rd_kafka_metadata_topic_t *x = a, *y = b;
    return strcmp(x->topic, y->topic);
}

static void print_ids(const int32_t *ids, int n, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%d", i ? "," : "", ids[i]);
}

static int do_status(sl_client_t *c, rd_kafka_t *rk, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (err) {
        sl__client_fail(c, "reading the cluster's metadata: %s", rd_kafka_err2str(err));
        return SL_EXIT_FAIL;
    }
    char *cluster_id = rd_kafka_clusterid(rk, timeout_ms);
    int32_t controller = rd_kafka_controllerid(rk, timeout_ms);
    printf("cluster %s: %d broker(s), controller %d\n", cluster_id ? cluster_id : "(unknown)", md->broker_cnt,
           controller);
    for (int i = 0; i < md->broker_cnt; i++)
        printf("  broker %d at %s:%d%s\n", md->brokers[i].id, md->brokers[i].host, md->brokers[i].port,
               md->brokers[i].id == controller ? " (controller)" : "");
    rd_kafka_metadata_topic_t *topics = malloc(sizeof *topics * (size_t)(md->topic_cnt ? md->topic_cnt : 1));
    if (!topics) {
        rd_kafka_metadata_destroy(md);
        free(cluster_id);
        sl__client_fail(c, "out of memory");
        return SL_EXIT_FAIL;
    }
    memcpy(topics, md->topics, sizeof *topics * (size_t)md->topic_cnt);
    qsort(topics, (size_t)md->topic_cnt, sizeof *topics, cmp_topic);
    int under = 0, offline = 0, total = 0;
    printf("%-30s %9s %6s %-16s %-16s\n", "TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR");
    for (int t = 0; t < md->topic_cnt; t++) {
        const rd_kafka_metadata_topic_t *mt = &topics[t];
        for (int p = 0; p < mt->partition_cnt; p++) {
            const rd_kafka_metadata_partition_t *mp = &mt->partitions[p];
            char replicas[256], isr[256];
            print_ids(mp->replicas, mp->replica_cnt, replicas, sizeof replicas);
            print_ids(mp->isrs, mp->isr_cnt, isr, sizeof isr);
            int is_offline = mp->leader < 0;
            int is_under = mp->isr_cnt < mp->replica_cnt;
            offline += is_offline;
            under += is_under;
            total++;
            printf("%-30s %9d %6d %-16s %-16s%s%s\n", mt->topic, mp->id, mp->leader, replicas, isr,
                   is_offline ? " offline" : "", is_under ? " under-replicated" : "");
        }
    }
    printf("partitions: %d, under-replicated: %d, offline: %d\n", total, under, offline);
    free(topics);
    free(cluster_id);
    rd_kafka_metadata_destroy(md);
    return SL_EXIT_OK;
}

/* ElectLeaders at the controller: every partition, a topic's, or one. */
static int do_elect(sl_client_t *c, rd_kafka_t *rk, int unclean, const char *topic, int64_t partition, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, topic ? 0 : 1, NULL, &md, timeout_ms);
    if (merr) {
        sl__client_fail(c, "reading the cluster's metadata: %s", rd_kafka_err2str(merr));
        return SL_EXIT_FAIL;
    }
    int32_t controller = rd_kafka_controllerid(rk, timeout_ms);
    const char *host = NULL;
    int port = 0;
    for (int i = 0; i < md->broker_cnt; i++)
        if (md->brokers[i].id == controller)
            host = md->brokers[i].host, port = md->brokers[i].port;
    int rc = SL_EXIT_FAIL;
    sl_kclient_t *k = NULL;
    char err[256] = "";
    if (!host) {
        sl__client_fail(c, "no active controller known");
    } else if (sl_kclient_connect(host, port, timeout_ms, "sluice-cluster", &k, err, sizeof err)) {
        sl__client_fail(c, "%s", err);
    } else {
        int16_t v = sl_kclient_version(k, SL_KAPI_ELECT_LEADERS, 1, 2);
        sl_kmsg_elect_leaders_request_t req;
        sl_kmsg_elect_leaders_request_init(&req);
        req.election_type = (int8_t)(unclean ? 1 : 0);
        req.timeout_ms = timeout_ms;
        sl_kmsg_elect_leaders_request_topic_partitions_t tp;
        int32_t *parts = NULL;
        if (topic) {
            sl_kmsg_elect_leaders_request_topic_partitions_init(&tp);
            tp.topic = sl_kstr_from(topic);
            int32_t n = 0;
            for (int t = 0; t < md->topic_cnt; t++)
                if (strcmp(md->topics[t].topic, topic) == 0)
                    n = md->topics[t].partition_cnt;
            parts = calloc((size_t)(n > 0 ? n : 1), sizeof *parts);
            int32_t m = 0;
            for (int32_t p = 0; parts && p < n; p++)
                if (partition < 0 || p == partition)
                    parts[m++] = p;
            tp.partitions = (sl_kint32_array_t){parts, m};
            req.topic_partitions = (sl_kmsg_elect_leaders_request_topic_partitions_array_t){&tp, 1};
            if (m == 0) {
                sl__client_fail(c, "no partition %s of topic '%s'", partition >= 0 ? "with that number" : "at all",
                                topic);
                v = -2;
            }
        } else {
            req.topic_partitions.count = -1; /* all */
        }
        sl_arena_t a = SL_ARENA_INIT;
        sl_kmsg_elect_leaders_response_t resp;
        sl_err_t e = v < 0 ? SL_ERR_UNSUPPORTED_VERSION
                           : SL_KCLIENT_CALL(k, elect_leaders, v, &req, &a, &resp, timeout_ms);
        if (v == -1)
            sl__client_fail(c, "the controller does not serve ElectLeaders");
        else if (v >= 0 && e)
            sl__client_fail(c, "ElectLeaders: %s", sl_kclient_errmsg(k)[0] ? sl_kclient_errmsg(k) : sl_err_str(e));
        else if (v >= 0 && resp.error_code)
            sl__client_fail(c, "ElectLeaders: %s", sl_err_str(sl_err_from_kafka_code(resp.error_code)));
        else if (v >= 0) {
            int elected = 0, failed = 0;
            for (int t = 0; t < resp.replica_election_results.count; t++) {
                sl_kmsg_elect_leaders_response_replica_election_result_t *tr = &resp.replica_election_results.items[t];
                for (int p = 0; p < tr->partition_result.count; p++) {
                    sl_kmsg_elect_leaders_response_partition_result_t *pr = &tr->partition_result.items[p];
                    sl_err_t pe = sl_err_from_kafka_code(pr->error_code);
                    if (pe == SL_ERR_ELECTION_NOT_NEEDED)
                        continue;
                    printf("%.*s-%d: %s\n", (int)tr->topic.len, tr->topic.data, pr->partition_id,
                           pe ? sl_err_str(pe) : "elected");
                    elected += !pe;
                    failed += pe != SL_OK;
                }
            }
            printf("%d leader(s) elected, %d failed\n", elected, failed);
            rc = failed ? SL_EXIT_FAIL : SL_EXIT_OK;
        }
        sl_arena_free(&a);
        free(parts);
        sl_kclient_close(k);
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

int sl__cmd_cluster(int argc, char **argv)
{
    sl_client_t c;
    sl__client_init(&c, "cluster status");
    const char *verb = NULL, *v, *topic = NULL;
    int64_t timeout_ms = 10000, partition = -1;
    int unclean = 0;
    for (int i = 1; i < argc; i++) {
        int r = sl__client_common_opt(&c, argc, argv, &i);
        if (r < 0)
            return usage_error();
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--unclean") == 0) {
            unclean = 1;
            continue;
        }
        r = sl__client_opt(argc, argv, &i, "--topic", &topic);
        if (r < 0)
            return usage_error();
        if (r > 0)
            continue;
        r = sl__client_opt(argc, argv, &i, "--partition", &v);
        if (r < 0 || (r > 0 && sl__client_parse_int("--partition", v, 0, INT32_MAX, &partition)))
            return usage_error();
        if (r > 0)
            continue;
        r = sl__client_opt(argc, argv, &i, "--timeout-ms", &v);
        if (r < 0)
            return usage_error();
        if (r > 0) {
            if (sl__client_parse_int("--timeout-ms", v, 1, INT32_MAX, &timeout_ms))
                return usage_error();
            continue;
        }
        if (argv[i][0] == '-' || verb)
            return usage_error();
        verb = argv[i];
    }
    int status = verb && strcmp(verb, "status") == 0, elect = verb && strcmp(verb, "elect-leaders") == 0;
    if ((!status && !elect) || (status && (topic || partition >= 0 || unclean)) || (partition >= 0 && !topic))
        return usage_error();
    c.cmd = status ? "cluster status" : "cluster elect-leaders";
    rd_kafka_t *rk = sl__client_new(&c, RD_KAFKA_PRODUCER, NULL);
    if (!rk)
        return SL_EXIT_FAIL;
    int rc = sl__client_connect(&c, rk, (int)timeout_ms) ? SL_EXIT_FAIL
             : status ? do_status(&c, rk, (int)timeout_ms)
                      : do_elect(&c, rk, unclean, topic, partition, (int)timeout_ms);
    sl__client_destroy(rk);
    return rc;
}
