/* cmd_groups.c — `sluice groups list|describe GROUP`: consumer groups through
 * librdkafka's admin API (ListConsumerGroups, DescribeConsumerGroups,
 * ListConsumerGroupOffsets) and watermark queries, printed as
 * kafka-consumer-groups.sh prints them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl/client.h"

#define GROUPS_USAGE                                                                                  \
    "usage: sluice groups list\n"                                                                     \
    "       sluice groups describe GROUP\n"                                                           \
    "  each also takes [--bootstrap HOST:PORT] [--property KEY=VALUE]... [--timeout-ms T] [--debug]\n"

static int usage_error(void)
{
    fputs(GROUPS_USAGE, stderr);
    return SL_EXIT_USAGE;
}

/* Waits for the admin result event of type; NULL (reason printed) on error. */
static rd_kafka_event_t *wait_event(sl_client_t *c, rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                    int64_t timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms + 1000);
    if (!ev) {
        sl__client_fail(c, "no answer within %" PRId64 " ms", timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_type(ev) != type || rd_kafka_event_error(ev)) {
        sl__client_fail(c, "%s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int64_t timeout_ms)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    char err[256];
    rd_kafka_AdminOptions_set_request_timeout(o, (int)timeout_ms, err, sizeof err);
    return o;
}

static int do_list(sl_client_t *c, rd_kafka_t *rk, int64_t timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
    rd_kafka_ListConsumerGroups(rk, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = wait_event(c, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms);
    int rc = SL_EXIT_FAIL;
    if (ev) {
        size_t n;
        const rd_kafka_ConsumerGroupListing_t **gl =
            rd_kafka_ListConsumerGroups_result_valid(rd_kafka_event_ListConsumerGroups_result(ev), &n);
        printf("%-40s %s\n", "GROUP", "STATE");
        for (size_t i = 0; i < n; i++)
            printf("%-40s %s\n", rd_kafka_ConsumerGroupListing_group_id(gl[i]),
                   rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(gl[i])));
        rd_kafka_event_destroy(ev);
        rc = SL_EXIT_OK;
    }
    rd_kafka_queue_destroy(q);
    return rc;
}

/* The member owning topic-partition, from the description (NULL: none). */
static const rd_kafka_MemberDescription_t *owner(const rd_kafka_ConsumerGroupDescription_t *d, const char *topic,
                                                 int32_t partition)
{
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *l =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        for (int j = 0; l && j < l->cnt; j++)
            if (l->elems[j].partition == partition && strcmp(l->elems[j].topic, topic) == 0)
                return m;
    }
    return NULL;
}

static int do_describe(sl_client_t *c, rd_kafka_t *rk, const char *group, int64_t timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
    const char *groups[] = {group};
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *dev = wait_event(c, q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout_ms);
    if (!dev) {
        rd_kafka_queue_destroy(q);
        return SL_EXIT_FAIL;
    }
    size_t nd;
    const rd_kafka_ConsumerGroupDescription_t **ds =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(dev), &nd);
    if (nd < 1 || rd_kafka_ConsumerGroupDescription_error(ds[0])) {
        sl__client_fail(c, "group '%s': %s", group,
                        nd < 1 ? "no answer" : rd_kafka_error_string(rd_kafka_ConsumerGroupDescription_error(ds[0])));
        rd_kafka_event_destroy(dev);
        rd_kafka_queue_destroy(q);
        return SL_EXIT_FAIL;
    }
    const rd_kafka_ConsumerGroupDescription_t *d = ds[0];
    rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d);
    size_t nm = rd_kafka_ConsumerGroupDescription_member_count(d);
    if (st == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
        sl__client_fail(c, "consumer group '%s' does not exist", group);
        rd_kafka_event_destroy(dev);
        rd_kafka_queue_destroy(q);
        return SL_EXIT_FAIL;
    }
    printf("Consumer group '%s' is %s with %zu member%s (assignor %s).\n\n", group,
           rd_kafka_consumer_group_state_name(st), nm, nm == 1 ? "" : "s",
           rd_kafka_ConsumerGroupDescription_partition_assignor(d) &&
                   rd_kafka_ConsumerGroupDescription_partition_assignor(d)[0]
               ? rd_kafka_ConsumerGroupDescription_partition_assignor(d)
               : "-");

    /* Committed offsets of every partition, with log end offsets and lag. */
    rd_kafka_ListConsumerGroupOffsets_t *lo = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    o = options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_ListConsumerGroupOffsets(rk, &lo, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(lo);
    rd_kafka_event_t *oev = wait_event(c, q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms);
    int rc = SL_EXIT_FAIL;
    if (oev) {
        size_t ng;
        const rd_kafka_group_result_t **gr =
            rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(oev), &ng);
        const rd_kafka_topic_partition_list_t *l = ng > 0 ? rd_kafka_group_result_partitions(gr[0]) : NULL;
        printf("%-20s %-24s %-9s %-16s %-16s %-8s %-40s %-16s %s\n", "GROUP", "TOPIC", "PARTITION",
               "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
        /* Assigned partitions without a commit are shown too, with "-". */
        rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(16);
        for (int i = 0; l && i < l->cnt; i++)
            rd_kafka_topic_partition_list_add(all, l->elems[i].topic, l->elems[i].partition)->offset =
                l->elems[i].offset;
        for (size_t i = 0; i < nm; i++) {
            const rd_kafka_topic_partition_list_t *a = rd_kafka_MemberAssignment_partitions(
                rd_kafka_MemberDescription_assignment(rd_kafka_ConsumerGroupDescription_member(d, i)));
            for (int j = 0; a && j < a->cnt; j++)
                if (!rd_kafka_topic_partition_list_find(all, a->elems[j].topic, a->elems[j].partition))
                    rd_kafka_topic_partition_list_add(all, a->elems[j].topic, a->elems[j].partition)->offset = -1;
        }
        rd_kafka_topic_partition_list_sort(all, NULL, NULL);
        for (int i = 0; i < all->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &all->elems[i];
            int64_t lo_wm = -1, hi_wm = -1;
            char cur[32] = "-", end[32] = "-", lag[32] = "-";
            if (rd_kafka_query_watermark_offsets(rk, p->topic, p->partition, &lo_wm, &hi_wm, (int)timeout_ms) ==
                RD_KAFKA_RESP_ERR_NO_ERROR)
                snprintf(end, sizeof end, "%" PRId64, hi_wm);
            if (p->offset >= 0) {
                snprintf(cur, sizeof cur, "%" PRId64, p->offset);
                if (hi_wm >= 0)
                    snprintf(lag, sizeof lag, "%" PRId64, hi_wm - p->offset);
            }
            const rd_kafka_MemberDescription_t *m = owner(d, p->topic, p->partition);
            printf("%-20s %-24s %-9" PRId32 " %-16s %-16s %-8s %-40s %-16s %s\n", group, p->topic, p->partition,
                   cur, end, lag, m ? rd_kafka_MemberDescription_consumer_id(m) : "-",
                   m ? rd_kafka_MemberDescription_host(m) : "-", m ? rd_kafka_MemberDescription_client_id(m) : "-");
        }
        rd_kafka_topic_partition_list_destroy(all);
        rd_kafka_event_destroy(oev);
        rc = SL_EXIT_OK;
    }
    rd_kafka_event_destroy(dev);
    rd_kafka_queue_destroy(q);
    return rc;
}

int sl__cmd_groups(int argc, char **argv)
{
    sl_client_t c;
    sl__client_init(&c, "groups");
    const char *verb = NULL, *group = NULL, *v;
    int64_t timeout_ms = 30000;
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
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error();
        if (!verb)
            verb = argv[i];
        else if (!group)
            group = argv[i];
        else
            return usage_error();
    }
    int list = verb && strcmp(verb, "list") == 0, describe = verb && strcmp(verb, "describe") == 0;
    if ((!list && !describe) || (list && group) || (describe && !group))
        return usage_error();
    c.cmd = list ? "groups list" : "groups describe";
    rd_kafka_t *rk = sl__client_new(&c, RD_KAFKA_PRODUCER, NULL);
    if (!rk)
        return SL_EXIT_FAIL;
    int rc = sl__client_connect(&c, rk, (int)timeout_ms) ? SL_EXIT_FAIL
             : list                                      ? do_list(&c, rk, timeout_ms)
                                                         : do_describe(&c, rk, group, timeout_ms);
    sl__client_destroy(rk);
    return rc;
}
