/* cmd_cluster.c — `sluice cluster status`: the brokers, the active
 * controller, and every partition's leader, replicas and ISR, with the
 * under-replicated and offline partitions counted (what an operator watches
 * first). Reads the cluster's metadata with librdkafka, as any client would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl/client.h"

static int usage_error(void)
{
    fputs("usage: sluice cluster status [--bootstrap HOST:PORT[,HOST:PORT...]] [--timeout-ms N]\n", stderr);
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

int sl__cmd_cluster(int argc, char **argv)
{
    sl_client_t c;
    sl__client_init(&c, "cluster status");
    const char *verb = NULL, *v;
    int64_t timeout_ms = 10000;
    for (int i = 1; i < argc; i++) {
        int r = sl__client_common_opt(&c, argc, argv, &i);
        if (r < 0)
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
    if (!verb || strcmp(verb, "status") != 0)
        return usage_error();
    rd_kafka_t *rk = sl__client_new(&c, RD_KAFKA_PRODUCER, NULL);
    if (!rk)
        return SL_EXIT_FAIL;
    int rc = sl__client_connect(&c, rk, (int)timeout_ms) ? SL_EXIT_FAIL : do_status(&c, rk, (int)timeout_ms);
    sl__client_destroy(rk);
    return rc;
}
