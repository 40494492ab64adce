/* test_group.c — the group coordinator with a real broker in process: three
 * librdkafka consumers splitting a topic, a clean leave, a member that
 * vanishes (a raw-socket member that stops heartbeating), cooperative-sticky,
 * committed offsets across clean and unclean restarts, and Kafka's error
 * codes through raw requests encoded with the generated codecs. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker/group/group.h"
#include "broker/server/broker.h"
#include "broker/server/broker_int.h"
#include "common/buf.h"
#include "common/trace.h"

typedef sl_test_broker_t fixture_t;

/* What test_clients.c's broker runs with too. */
static const char *const settings[] = {"num.io.threads", "4", "group.initial.rebalance.delay.ms", "200",
                                       "group.min.session.timeout.ms", "1000", "offsets.topic.num.partitions", "5",
                                       NULL};

static void start_on(fixture_t *f, const char *dir) { sl_test_broker_start(f, dir, settings); }

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

static void create_topic(fixture_t *f, const char *name, int parts)
{
    char err[256];
    assert_int_equal(sl_topics_create(f->b->topics, name, parts, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_OK);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        fail_msg("%s=%s: %s", k, v, err);
}

static rd_kafka_t *consumer(const fixture_t *f, const char *group, const char *strategy,
                            void (*rebalance)(rd_kafka_t *, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t *,
                                              void *))
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", f->bootstrap);
    set(c, "group.id", group);
    set(c, "session.timeout.ms", "6000");
    set(c, "heartbeat.interval.ms", "300");
    set(c, "auto.offset.reset", "earliest");
    set(c, "enable.auto.commit", "false");
    set(c, "topic.metadata.refresh.interval.ms", "1000");
    if (strategy)
        set(c, "partition.assignment.strategy", strategy);
    if (rebalance)
        rd_kafka_conf_set_rebalance_cb(c, rebalance);
    rd_kafka_conf_set_log_cb(c, quiet_log);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    assert_non_null(rk);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static void subscribe(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
}

/* Bit mask of the partitions rk owns now. */
static unsigned owned(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(rk, &l) != RD_KAFKA_RESP_ERR_NO_ERROR || !l)
        return 0;
    unsigned m = 0;
    for (int i = 0; i < l->cnt; i++)
        m |= 1u << l->elems[i].partition;
    rd_kafka_topic_partition_list_destroy(l);
    return m;
}

static void poll_all(rd_kafka_t **rks, int n)
{
    for (int i = 0; i < n; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rks[i], 20);
        if (m)
            rd_kafka_message_destroy(m);
    }
}

/* Polls until the n consumers own disjoint sets covering all of `all` and
 * each owns at least one partition; fails after timeout_ms. */
static void wait_split(rd_kafka_t **rks, int n, unsigned all, int timeout_ms)
{
    int64_t end = now_ms() + timeout_ms;
    unsigned m[8] = {0};
    while (now_ms() < end) {
        poll_all(rks, n);
        unsigned u = 0;
        int ok = 1;
        for (int i = 0; i < n; i++) {
            m[i] = owned(rks[i]);
            if (!m[i] || (u & m[i]))
                ok = 0;
            u |= m[i];
        }
        if (ok && u == all)
            return;
    }
    for (int i = 0; i < n; i++)
        print_message("consumer %d owns %#x\n", i, m[i]);
    fail_msg("the group did not split the partitions in %d ms", timeout_ms);
}

/* ---- raw requests ------------------------------------------------------------------------- */

static int connect_to(const fixture_t *f) { return sl_test_broker_connect(f, 30); }

/* Sends a request whose body is in body (header added here) and reads the
 * answer into buf; returns a reader over the body after the response header. */
static sl_kreader_t call(int fd, int16_t key, int16_t ver, sl_outbuf_t *body, uint8_t *buf, size_t cap)
{
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    sl_kmsg_request_header_t h;
    sl_kmsg_request_header_init(&h);
    h.request_api_key = key;
    h.request_api_version = ver;
    h.correlation_id = 42;
    h.client_id = SL_KSTR("raw");
    assert_int_equal(sl_kmsg_request_header_encode(&ob, sl_kmsg_request_header_version(key, ver), &h), SL_OK);
    assert_int_equal(sl_outbuf_append(&ob, body->mem.data, body->mem.len), SL_OK);
    uint8_t size[4];
    sl_store_be32(size, (uint32_t)ob.mem.len);
    assert_int_equal(write(fd, size, 4), 4);
    assert_int_equal(write(fd, ob.mem.data, ob.mem.len), (ssize_t)ob.mem.len);
    sl_outbuf_free(&ob);
    sl_outbuf_free(body);
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, size + got, 4 - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    uint32_t n = sl_load_be32(size);
    assert_true(n <= cap);
    got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        assert_true(r > 0);
        got += (size_t)r;
    }
    sl_kreader_t rd = sl_kreader_make(buf, n);
    sl_kmsg_response_header_t rh;
    assert_int_equal(sl_kmsg_response_header_decode(&rd, sl_kmsg_response_header_version(key, ver), NULL, &rh), SL_OK);
    assert_int_equal(rh.correlation_id, 42);
    return rd;
}

/* A consumer-protocol subscription (v0) to one topic. */
static const uint8_t sub_t6[] = {0, 0, 0, 0, 0, 1, 0, 2, 't', '6', 0xff, 0xff, 0xff, 0xff};

typedef struct {
    int16_t err;
    int32_t gen;
    char member[256];
    char leader[256];
    int nmembers;
} join_out_t;

static join_out_t raw_join(int fd, int16_t ver, const char *group, const char *member, int32_t session,
                           const char *ptype, const char *proto)
{
    sl_kmsg_join_group_request_t req;
    sl_kmsg_join_group_request_init(&req);
    req.group_id = sl_kstr_from(group);
    req.session_timeout_ms = session;
    req.rebalance_timeout_ms = 10000;
    req.member_id = sl_kstr_from(member);
    req.protocol_type = sl_kstr_from(ptype);
    sl_kmsg_join_group_request_join_group_request_protocol_t p = {sl_kstr_from(proto), {sub_t6, sizeof sub_t6}};
    req.protocols.items = &p;
    req.protocols.count = 1;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_join_group_request_encode(&ob, ver, &req), SL_OK);
    uint8_t buf[65536];
    sl_kreader_t r = call(fd, SL_KAPI_JOIN_GROUP, ver, &ob, buf, sizeof buf);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_join_group_response_t resp;
    assert_int_equal(sl_kmsg_join_group_response_decode(&r, ver, &a, &resp), SL_OK);
    join_out_t o = {resp.error_code, resp.generation_id, "", "", resp.members.count};
    snprintf(o.member, sizeof o.member, "%.*s", (int)resp.member_id.len, resp.member_id.data);
    snprintf(o.leader, sizeof o.leader, "%.*s", resp.leader.len > 0 ? (int)resp.leader.len : 0,
             resp.leader.len > 0 ? resp.leader.data : "");
    sl_arena_free(&a);
    return o;
}

static int16_t raw_sync(int fd, const char *group, int32_t gen, const char *member, int nassign,
                        int32_t *assign_len)
{
    sl_kmsg_sync_group_request_t req;
    sl_kmsg_sync_group_request_init(&req);
    req.group_id = sl_kstr_from(group);
    req.generation_id = gen;
    req.member_id = sl_kstr_from(member);
    static const uint8_t asg[] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    sl_kmsg_sync_group_request_sync_group_request_assignment_t a1 = {sl_kstr_from(member), {asg, sizeof asg}};
    req.assignments.items = &a1;
    req.assignments.count = nassign;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_sync_group_request_encode(&ob, 3, &req), SL_OK);
    uint8_t buf[65536];
    sl_kreader_t r = call(fd, SL_KAPI_SYNC_GROUP, 3, &ob, buf, sizeof buf);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_sync_group_response_t resp;
    assert_int_equal(sl_kmsg_sync_group_response_decode(&r, 3, &a, &resp), SL_OK);
    if (assign_len)
        *assign_len = resp.assignment.len;
    sl_arena_free(&a);
    return resp.error_code;
}

static int16_t raw_heartbeat(int fd, const char *group, int32_t gen, const char *member)
{
    sl_kmsg_heartbeat_request_t req;
    sl_kmsg_heartbeat_request_init(&req);
    req.group_id = sl_kstr_from(group);
    req.generation_id = gen;
    req.member_id = sl_kstr_from(member);
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_heartbeat_request_encode(&ob, 3, &req), SL_OK);
    uint8_t buf[4096];
    sl_kreader_t r = call(fd, SL_KAPI_HEARTBEAT, 3, &ob, buf, sizeof buf);
    sl_kmsg_heartbeat_response_t resp;
    assert_int_equal(sl_kmsg_heartbeat_response_decode(&r, 3, NULL, &resp), SL_OK);
    return resp.error_code;
}

static int16_t raw_commit(int fd, const char *group, int32_t gen, const char *member, const char *topic,
                          int64_t offset)
{
    sl_kmsg_offset_commit_request_t req;
    sl_kmsg_offset_commit_request_init(&req);
    req.group_id = sl_kstr_from(group);
    req.generation_id_or_member_epoch = gen;
    req.member_id = sl_kstr_from(member);
    sl_kmsg_offset_commit_request_offset_commit_request_partition_t p;
    sl_kmsg_offset_commit_request_offset_commit_request_partition_init(&p);
    p.partition_index = 0;
    p.committed_offset = offset;
    p.committed_metadata = SL_KSTR("m");
    sl_kmsg_offset_commit_request_offset_commit_request_topic_t t = {sl_kstr_from(topic), {&p, 1}};
    req.topics.items = &t;
    req.topics.count = 1;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_offset_commit_request_encode(&ob, 8, &req), SL_OK);
    uint8_t buf[4096];
    sl_kreader_t r = call(fd, SL_KAPI_OFFSET_COMMIT, 8, &ob, buf, sizeof buf);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_offset_commit_response_t resp;
    assert_int_equal(sl_kmsg_offset_commit_response_decode(&r, 8, &a, &resp), SL_OK);
    assert_int_equal(resp.topics.count, 1);
    int16_t e = resp.topics.items[0].partitions.items[0].error_code;
    sl_arena_free(&a);
    return e;
}

static int16_t raw_delete_group(int fd, const char *group)
{
    sl_kmsg_delete_groups_request_t req;
    sl_kmsg_delete_groups_request_init(&req);
    sl_kstr_t g = sl_kstr_from(group);
    req.groups_names.items = &g;
    req.groups_names.count = 1;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_delete_groups_request_encode(&ob, 2, &req), SL_OK);
    uint8_t buf[4096];
    sl_kreader_t r = call(fd, SL_KAPI_DELETE_GROUPS, 2, &ob, buf, sizeof buf);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_delete_groups_response_t resp;
    assert_int_equal(sl_kmsg_delete_groups_response_decode(&r, 2, &a, &resp), SL_OK);
    int16_t e = resp.results.items[0].error_code;
    sl_arena_free(&a);
    return e;
}

/* ---- tests -------------------------------------------------------------------------------- */

typedef struct {
    const fixture_t *f;
    join_out_t j;
    int16_t sync_err;
    int32_t assign_len;
    int fd;
} raw_member_t;

/* A member that joins and syncs, then goes silent (as a killed process). */
static void *raw_member_thread(void *arg)
{
    raw_member_t *m = arg;
    join_out_t j = raw_join(m->fd, 5, "g3", "", 2000, "consumer", "range");
    if (j.err == 79)
        j = raw_join(m->fd, 5, "g3", j.member, 2000, "consumer", "range");
    m->j = j;
    if (j.err == 0)
        m->sync_err = raw_sync(m->fd, "g3", j.gen, j.member, 0, &m->assign_len);
    return NULL;
}

static void three_consumers_split_and_survive_failures(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "t6", 6);
    rd_kafka_t *rks[3];
    for (int i = 0; i < 3; i++) {
        rks[i] = consumer(f, "g3", NULL, NULL);
        subscribe(rks[i], "t6");
    }
    wait_split(rks, 3, 0x3f, 60000);
    /* One leaves cleanly: the two others take its partitions. */
    rd_kafka_consumer_close(rks[2]);
    rd_kafka_destroy(rks[2]);
    wait_split(rks, 2, 0x3f, 60000);
    /* A member joins and then vanishes: it gets partitions, and after its
     * session timeout (2 s) they go back to the others. */
    raw_member_t rm = {f, {0}, -1, -1, connect_to(f)};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raw_member_thread, &rm), 0);
    int64_t end = now_ms() + 60000;
    unsigned seen_mask = 0x3f;
    while (now_ms() < end && (owned(rks[0]) | owned(rks[1])) == 0x3f)
        poll_all(rks, 2);
    seen_mask = owned(rks[0]) | owned(rks[1]);
    pthread_join(t, NULL);
    assert_int_equal(rm.j.err, 0);
    assert_int_equal(rm.sync_err, 0);
    assert_true(seen_mask != 0x3f); /* the raw member took some */
    wait_split(rks, 2, 0x3f, 60000);
    /* Its heartbeat now says it is gone. */
    assert_int_equal(raw_heartbeat(rm.fd, "g3", rm.j.gen, rm.j.member), 25);
    close(rm.fd);
    for (int i = 0; i < 2; i++) {
        rd_kafka_consumer_close(rks[i]);
        rd_kafka_destroy(rks[i]);
    }
}

static int revoked[2];

static void coop_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                           void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        revoked[0] += parts->cnt;
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    }
}

static void cooperative_sticky_moves_only_what_it_must(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "t6", 6);
    revoked[0] = revoked[1] = 0;
    rd_kafka_t *rks[2];
    rks[0] = consumer(f, "gc", "cooperative-sticky", coop_rebalance);
    subscribe(rks[0], "t6");
    wait_split(rks, 1, 0x3f, 60000);
    unsigned before = owned(rks[0]);
    rks[1] = consumer(f, "gc", "cooperative-sticky", coop_rebalance);
    subscribe(rks[1], "t6");
    wait_split(rks, 2, 0x3f, 60000);
    unsigned a0 = owned(rks[0]), a1 = owned(rks[1]);
    /* The first kept what it did not give away, and gave away only what the second took. */
    assert_int_equal(a0 & before, a0);
    assert_int_equal(__builtin_popcount(a1), 3);
    assert_int_equal(revoked[0], 3);
    for (int i = 0; i < 2; i++) {
        rd_kafka_consumer_close(rks[i]);
        rd_kafka_destroy(rks[i]);
    }
}

static void commit_and_check(fixture_t *f, const char *group, int64_t want, int do_commit)
{
    rd_kafka_t *rk = consumer(f, group, NULL, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, "t6", 1)->offset = want;
    rd_kafka_topic_partition_list_add(l, "t6", 4)->offset = want + 1;
    if (do_commit)
        assert_int_equal(rd_kafka_commit(rk, l, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    l->elems[0].offset = l->elems[1].offset = -1;
    assert_int_equal(rd_kafka_committed(rk, l, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(l->elems[0].err, 0);
    assert_int_equal(l->elems[0].offset, want);
    assert_int_equal(l->elems[1].offset, want + 1);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
}

static void offsets_survive_restarts(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "t6", 6);
    commit_and_check(f, "go", 17, 1);
    commit_and_check(f, "go", 23, 1); /* a later commit wins */
    /* Unclean: a copy of the data directory taken while the broker runs. */
    char *copy = sl_test_mkdtemp();
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cp -a '%s'/. '%s'/", f->dir, copy);
    assert_int_equal(system(cmd), 0);
    /* Clean restart on the same directory. */
    sl_broker_stop(f->b);
    start_on(f, f->dir);
    commit_and_check(f, "go", 23, 0);
    sl_broker_stop(f->b);
    start_on(f, copy);
    commit_and_check(f, "go", 23, 0);
    sl_broker_stop(f->b);
    sl_test_rmdir(copy);
    start_on(f, f->dir);
}

/* Committed offsets of an empty group expire after offsets.retention.minutes;
 * tombstones make the expiry stick across a restart. */
static int64_t committed_of(fixture_t *f, const char *group, int32_t partition)
{
    rd_kafka_t *rk = consumer(f, group, NULL, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "t6", partition)->offset = -1;
    assert_int_equal(rd_kafka_committed(rk, l, 20000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the coordinator's commit timestamps */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void offsets_expire_for_empty_groups(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "t6", 6);
    commit_and_check(f, "stale", 40, 1);
    int64_t retention = 10080LL * 60 * 1000; /* offsets.retention.minutes, the default */
    /* Not yet: nothing goes before the retention has passed. */
    assert_int_equal(sl_group_expire_offsets(f->b->groups, wall_ms() + retention / 2), 0);
    assert_int_equal(committed_of(f, "stale", 1), 40);
    /* After it: both offsets of the empty group go. */
    assert_int_equal(sl_group_expire_offsets(f->b->groups, wall_ms() + retention + 60000), 2);
    assert_true(committed_of(f, "stale", 1) < 0);
    assert_true(committed_of(f, "stale", 4) < 0);
    sl_broker_stop(f->b);
    start_on(f, f->dir);
    assert_true(committed_of(f, "stale", 1) < 0);
}

static void error_codes_of_raw_requests(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "t6", 6);
    int fd = connect_to(f);
    /* KIP-394: v4+ without a member id: MEMBER_ID_REQUIRED and an id. */
    join_out_t j = raw_join(fd, 5, "gr", "", 1500, "consumer", "range");
    assert_int_equal(j.err, 79);
    assert_true(strncmp(j.member, "raw-", 4) == 0);
    char member[256];
    snprintf(member, sizeof member, "%s", j.member);
    /* Session timeout below group.min.session.timeout.ms. */
    assert_int_equal(raw_join(fd, 5, "gr", "", 10, "consumer", "range").err, 26);
    /* Empty group id. */
    assert_int_equal(raw_join(fd, 5, "", "", 1500, "consumer", "range").err, 24);
    /* Unknown member id on a group that does not exist. */
    assert_int_equal(raw_join(fd, 5, "nope", "who", 1500, "consumer", "range").err, 25);
    j = raw_join(fd, 5, "gr", member, 1500, "consumer", "range");
    assert_int_equal(j.err, 0);
    assert_int_equal(j.gen, 1);
    assert_string_equal(j.leader, member);
    assert_int_equal(j.nmembers, 1);
    /* Before the leader's SyncGroup the group is still rebalancing: commits wait. */
    assert_int_equal(raw_commit(fd, "gr", 1, member, "t6", 5), 27);
    /* Another protocol type, or no protocol in common. */
    int fd2 = connect_to(f);
    assert_int_equal(raw_join(fd2, 3, "gr", "", 1500, "connect", "range").err, 23);
    assert_int_equal(raw_join(fd2, 3, "gr", "", 1500, "consumer", "other").err, 23);
    /* Sync with a stale generation, then the real one. */
    assert_int_equal(raw_sync(fd, "gr", 0, member, 1, NULL), 22);
    int32_t alen = -1;
    assert_int_equal(raw_sync(fd, "gr", 1, member, 1, &alen), 0);
    assert_int_equal(alen, 12);
    assert_int_equal(raw_heartbeat(fd, "gr", 1, member), 0);
    assert_int_equal(raw_heartbeat(fd, "gr", 0, member), 22);
    assert_int_equal(raw_heartbeat(fd, "gr", 1, "ghost"), 25);
    /* Commits: a stale generation, an unknown member, a simple commit to a
     * non-empty group, then a good one. */
    assert_int_equal(raw_commit(fd, "gr", 0, member, "t6", 5), 22);
    assert_int_equal(raw_commit(fd, "gr", 1, "ghost", "t6", 5), 25);
    assert_int_equal(raw_commit(fd, "gr", -1, "", "t6", 5), 25);
    assert_int_equal(raw_commit(fd, "gr", 1, member, "t6", 5), 0);
    assert_int_equal(raw_commit(fd, "gr", 1, member, "no-such-topic", 5), 3);
    /* A group with members cannot be deleted; a missing one is not found. */
    assert_int_equal(raw_delete_group(fd, "gr"), 68);
    assert_int_equal(raw_delete_group(fd, "nope"), 69);
    /* Silence past the session timeout: the member is removed, the group empties. */
    int64_t end = now_ms() + 20000;
    int16_t e = 0;
    while (now_ms() < end && (e = raw_heartbeat(fd, "gr", 1, member)) == 0)
        usleep(1600 * 1000);
    assert_int_equal(e, 25);
    /* A simple consumer's commit to the empty group is allowed; then it can go. */
    assert_int_equal(raw_commit(fd, "gr", -1, "", "t6", 9), 0);
    assert_int_equal(raw_delete_group(fd, "gr"), 0);
    assert_int_equal(raw_delete_group(fd, "gr"), 69);
    close(fd);
    close(fd2);
}

static void records_and_partitioning(void **state)
{
    (void)state;
    /* Java: "".hashCode() == 0, "a" == 97, "group" == 98629247. */
    assert_int_equal(sl_group_partition_for("", 0, 50), 0);
    assert_int_equal(sl_group_partition_for("a", 1, 50), 97 % 50);
    assert_int_equal(sl_group_partition_for("group", 5, 50), 98629247 % 50);
    /* "polygenelubricants".hashCode() == Integer.MIN_VALUE: Utils.abs gives 0. */
    assert_int_equal(sl_group_partition_for("polygenelubricants", 18, 50), 0);
    /* OffsetCommitKey v1 and OffsetCommitValue v3 bytes. */
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_group_offset_key(&b, "g", "t", 3), SL_OK);
    const uint8_t key[] = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3};
    assert_int_equal(b.len, sizeof key);
    assert_memory_equal(b.data, key, sizeof key);
    sl_buf_reset(&b);
    assert_int_equal(sl_group_offset_value(&b, 5, -1, "", 7), SL_OK);
    const uint8_t val[] = {0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    assert_int_equal(b.len, sizeof val);
    assert_memory_equal(b.data, val, sizeof val);
    sl_buf_reset(&b);
    assert_int_equal(sl_group_metadata_key(&b, "g"), SL_OK);
    const uint8_t gk[] = {0, 2, 0, 1, 'g'};
    assert_memory_equal(b.data, gk, sizeof gk);
    sl_buf_free(&b);
}

SL_TEST_GROUP(group, cmocka_unit_test(records_and_partitioning),
              cmocka_unit_test_setup_teardown(offsets_expire_for_empty_groups, setup, teardown),
              cmocka_unit_test_setup_teardown(error_codes_of_raw_requests, setup, teardown),
              cmocka_unit_test_setup_teardown(offsets_survive_restarts, setup, teardown),
              cmocka_unit_test_setup_teardown(three_consumers_split_and_survive_failures, setup, teardown),
              cmocka_unit_test_setup_teardown(cooperative_sticky_moves_only_what_it_must, setup, teardown))
