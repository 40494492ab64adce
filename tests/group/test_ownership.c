/* test_ownership.c — the group coordinator as one of several (cluster mode):
 * groups of unowned partitions of __consumer_offsets answer NOT_COORDINATOR,
 * acquiring a partition loads its groups back from the log, losing it drops
 * them (held joins answered NOT_COORDINATOR), and every write goes through
 * the append hook, whose errors fail the request. Calls the coordinator
 * directly over a real topic catalogue in a temp dir. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/group/group.h"
#include "broker/log/log.h"
#include "broker/log/logmgr.h"
#include "broker/server/topics.h"
#include "common/clock.h"
#include "common/trace.h"

#define NPARTS 3

typedef struct {
    char *dir;
    sl_logmgr_t *mgr;
    sl_topics_t *topics;
    sl_group_coord_t *c;
    /* the append hook's record */
    pthread_mutex_t mu;
    int appends;
    int32_t last_partition, last_epoch;
    sl_err_t fail; /* returned (without writing) when set */
    /* the wait hook: a wait of held_partition blocks until its end offset is
     * released (or all are); waiting counts the blocked ones */
    pthread_cond_t cond;
    int32_t held_partition; /* -1: none */
    int release_all, waiting;
    int64_t released; /* the end offset let through, -1 none */
} fixture_t;

static sl_err_t append_hook(void *opaque, int32_t partition, int32_t leader_epoch, uint8_t *records, size_t len,
                            int64_t *end_offset)
{
    fixture_t *f = opaque;
    pthread_mutex_lock(&f->mu);
    sl_err_t fail = f->fail;
    f->last_partition = partition;
    f->last_epoch = leader_epoch;
    if (!fail)
        f->appends++;
    pthread_mutex_unlock(&f->mu);
    if (fail)
        return fail;
    /* What a leader does; the wait for the ISR is wait_hook's. */
    sl_topic_part_t *tp = sl_topics_acquire(f->topics, SL_GROUP_OFFSETS_TOPIC, partition);
    if (!tp)
        return SL_ERR_UNKNOWN_TOPIC;
    sl_log_append_info_t info;
    pthread_mutex_lock(sl_topic_part_produce_lock(tp));
    sl_err_t e = sl_log_append(sl_topic_part_log(tp), records, len, leader_epoch, 0, &info);
    pthread_mutex_unlock(sl_topic_part_produce_lock(tp));
    sl_topics_release(f->topics, tp);
    if (!e)
        *end_offset = info.last_offset + 1;
    return e;
}

/* The in-sync replicas' acknowledgement, held back for f->held_partition. */
static sl_err_t wait_hook(void *opaque, int32_t partition, int64_t end_offset)
{
    fixture_t *f = opaque;
    pthread_mutex_lock(&f->mu);
    f->waiting++;
    pthread_cond_broadcast(&f->cond);
    while (partition == f->held_partition && !f->release_all && f->released != end_offset)
        pthread_cond_wait(&f->cond, &f->mu);
    f->waiting--;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    return SL_OK;
}

static sl_group_config_t config(void)
{
    return (sl_group_config_t){
        .offsets_topic_num_partitions = NPARTS,
        .offsets_retention_ms = 7 * 24 * 3600 * 1000LL,
        .offsets_retention_check_ms = 600000,
        .initial_rebalance_delay_ms = 0,
        .min_session_timeout_ms = 1000,
        .max_session_timeout_ms = 60000,
        .offset_metadata_max_bytes = 4096,
    };
}

static void open_topics(fixture_t *f)
{
    char err[256] = "";
    if (sl_logmgr_open(f->dir, NULL, &f->mgr, err, sizeof err))
        fail_msg("sl_logmgr_open: %s", err);
    sl_log_config_t defaults = sl_log_config_default();
    if (sl_topics_open(f->mgr, f->dir, &defaults, &f->topics, err, sizeof err))
        fail_msg("sl_topics_open: %s", err);
}

static void close_topics(fixture_t *f)
{
    sl_group_coord_stop(f->c);
    f->c = NULL;
    sl_topics_close(f->topics);
    sl_logmgr_close(f->mgr);
}

static void start_owned(fixture_t *f)
{
    sl_group_config_t cfg = config();
    sl_group_hooks_t hooks = {append_hook, wait_hook, f};
    char err[256] = "";
    if (sl_group_coord_start_with(f->topics, &cfg, &hooks, &f->c, err, sizeof err))
        fail_msg("sl_group_coord_start_with: %s", err);
}

/* A temp dir with topic "t" (2 partitions) and, when offsets, the
 * __consumer_offsets the cluster's controller would have created. */
static fixture_t *make(int offsets)
{
    fixture_t *f = calloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->held_partition = -1;
    f->released = -1;
    f->dir = sl_test_mkdtemp();
    sl_trace_set_sink(NULL, NULL, SL_TRACE_OFF);
    open_topics(f);
    char err[256];
    assert_int_equal(sl_topics_create(f->topics, "t", 2, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_OK);
    if (offsets)
        assert_int_equal(
            sl_topics_create(f->topics, SL_GROUP_OFFSETS_TOPIC, NPARTS, NULL, NULL, 0, 0, NULL, err, sizeof err),
            SL_OK);
    return f;
}

/* Closes and removes what make made. */
static void unmake(fixture_t *f)
{
    close_topics(f);
    sl_test_rmdir(f->dir);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
    free(f);
}

static int setup(void **state)
{
    fixture_t *f = make(1);
    start_owned(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    unmake(f);
    return 0;
}

/* A group id whose coordinator partition is p (the k-th such id, k < 4). */
static const char *group_of(int32_t p, int k)
{
    static char ids[NPARTS][4][32];
    for (int i = 0, seen = 0;; i++) {
        snprintf(ids[p][k], sizeof ids[p][k], "group-%d", i);
        if (sl_group_partition_for(ids[p][k], strlen(ids[p][k]), NPARTS) == p && seen++ == k)
            return ids[p][k];
    }
}

/* ---- requests ------------------------------------------------------------------ */

/* OffsetCommit of t-0 = offset for a simple consumer (no member): the
 * partition's error code. */
static int16_t commit(fixture_t *f, const char *group, int64_t offset)
{
    sl_kmsg_offset_commit_request_offset_commit_request_partition_t p = {0, offset, -1, -1, SL_KSTR("md")};
    sl_kmsg_offset_commit_request_offset_commit_request_topic_t t = {SL_KSTR("t"), {&p, 1}};
    sl_kmsg_offset_commit_request_t req = {sl_kstr_from(group), -1, SL_KSTR(""), SL_KSTR_NULL, -1, {&t, 1}};
    sl_kmsg_offset_commit_response_t resp;
    sl_kmsg_offset_commit_response_init(&resp);
    sl_arena_t a = SL_ARENA_INIT;
    sl_group_offset_commit(f->c, 8, &req, &resp, &a);
    /* -1: not the answer's shape (no cmocka assert: threads call this too) */
    int16_t code = resp.topics.count == 1 && resp.topics.items[0].partitions.count == 1
                       ? resp.topics.items[0].partitions.items[0].error_code
                       : -1;
    sl_arena_free(&a);
    return code;
}

/* OffsetFetch v5 of t-0: the top-level error code, and *offset. */
static int16_t fetch(fixture_t *f, const char *group, int64_t *offset)
{
    int32_t parts[] = {0};
    sl_kmsg_offset_fetch_request_offset_fetch_request_topic_t t = {SL_KSTR("t"), {parts, 1}};
    sl_kmsg_offset_fetch_request_t req;
    memset(&req, 0, sizeof req);
    req.group_id = sl_kstr_from(group);
    req.topics = (sl_kmsg_offset_fetch_request_offset_fetch_request_topic_array_t){&t, 1};
    sl_kmsg_offset_fetch_response_t resp;
    sl_kmsg_offset_fetch_response_init(&resp);
    sl_arena_t a = SL_ARENA_INIT;
    sl_group_offset_fetch(f->c, 5, &req, &resp, &a);
    *offset = -2;
    if (resp.topics.count == 1 && resp.topics.items[0].partitions.count == 1)
        *offset = resp.topics.items[0].partitions.items[0].committed_offset;
    int16_t code = resp.error_code;
    sl_arena_free(&a);
    return code;
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int answered;
    int16_t error;
    int32_t generation;
    char member[256];
} answer_t;

static void answer_init(answer_t *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cond, NULL);
}

static void answer_destroy(answer_t *a)
{
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cond);
}

static void on_join(void *ctx, sl_kmsg_join_group_response_t *resp)
{
    answer_t *a = ctx;
    pthread_mutex_lock(&a->mu);
    a->answered++;
    a->error = resp->error_code;
    a->generation = resp->generation_id;
    snprintf(a->member, sizeof a->member, "%.*s", (int)resp->member_id.len, resp->member_id.data);
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
}

static void on_sync(void *ctx, sl_kmsg_sync_group_response_t *resp)
{
    answer_t *a = ctx;
    pthread_mutex_lock(&a->mu);
    a->answered++;
    a->error = resp->error_code;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->mu);
}

/* Waits up to 5 s for the answer; returns how many came. */
static int wait_answer(answer_t *a)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    pthread_mutex_lock(&a->mu);
    while (!a->answered && pthread_cond_timedwait(&a->cond, &a->mu, &ts) == 0)
        ;
    int n = a->answered;
    pthread_mutex_unlock(&a->mu);
    return n;
}

static const uint8_t meta[] = {0, 0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 0};

/* JoinGroup v1 (no KIP-394 round trip) of member ("": a new member). */
static void join_as(fixture_t *f, const char *group, const char *member, int32_t rebalance_timeout, answer_t *a)
{
    sl_kmsg_join_group_request_join_group_request_protocol_t proto = {SL_KSTR("range"), {meta, sizeof meta}};
    sl_kmsg_join_group_request_t req = {sl_kstr_from(group), 10000, rebalance_timeout, sl_kstr_from(member),
                                        SL_KSTR_NULL, SL_KSTR("consumer"), {&proto, 1}, SL_KSTR_NULL};
    sl_group_join(f->c, 1, &req, "client", "/127.0.0.1", on_join, a);
}

static void join(fixture_t *f, const char *group, int32_t rebalance_timeout, answer_t *a)
{
    join_as(f, group, "", rebalance_timeout, a);
}

/* Heartbeat's error code. */
static int16_t heartbeat(fixture_t *f, const char *group, int32_t generation, const char *member)
{
    sl_kmsg_heartbeat_request_t req = {sl_kstr_from(group), generation, sl_kstr_from(member), SL_KSTR_NULL};
    sl_kmsg_heartbeat_response_t resp = {0};
    sl_group_heartbeat(f->c, &req, &resp);
    return resp.error_code;
}

/* ---- tests ----------------------------------------------------------------------- */

static void unowned_groups_are_not_coordinated_here(void **state)
{
    fixture_t *f = *state;
    const int16_t NOT_COORDINATOR = 16;
    const char *g = group_of(1, 0);
    sl_arena_t a = SL_ARENA_INIT;
    int64_t off;
    assert_int_equal(commit(f, g, 5), NOT_COORDINATOR);
    assert_int_equal(fetch(f, g, &off), NOT_COORDINATOR);

    answer_t ja;
    answer_init(&ja);
    join(f, g, 10000, &ja);
    assert_int_equal(wait_answer(&ja), 1);
    assert_int_equal(ja.error, NOT_COORDINATOR);
    answer_destroy(&ja);

    answer_t sa;
    answer_init(&sa);
    sl_kmsg_sync_group_request_t sreq = {sl_kstr_from(g), 1, SL_KSTR("m"), SL_KSTR_NULL, SL_KSTR_NULL,
                                         SL_KSTR_NULL, {NULL, 0}};
    sl_group_sync(f->c, 3, &sreq, on_sync, &sa);
    assert_int_equal(wait_answer(&sa), 1);
    assert_int_equal(sa.error, NOT_COORDINATOR);
    answer_destroy(&sa);

    sl_kmsg_heartbeat_request_t hreq = {sl_kstr_from(g), 1, SL_KSTR("m"), SL_KSTR_NULL};
    sl_kmsg_heartbeat_response_t hresp = {0};
    sl_group_heartbeat(f->c, &hreq, &hresp);
    assert_int_equal(hresp.error_code, NOT_COORDINATOR);

    sl_kmsg_leave_group_request_t lreq = {sl_kstr_from(g), SL_KSTR("m"), {NULL, 0}};
    sl_kmsg_leave_group_response_t lresp;
    sl_kmsg_leave_group_response_init(&lresp);
    sl_group_leave(f->c, 1, &lreq, &lresp, &a);
    assert_int_equal(lresp.error_code, NOT_COORDINATOR);

    /* OffsetFetch v8: the group's own error; v1: in each partition. */
    sl_kmsg_offset_fetch_request_offset_fetch_request_group_t fg;
    memset(&fg, 0, sizeof fg);
    fg.group_id = sl_kstr_from(g);
    fg.topics.count = -1;
    sl_kmsg_offset_fetch_request_t freq;
    memset(&freq, 0, sizeof freq);
    freq.groups = (sl_kmsg_offset_fetch_request_offset_fetch_request_group_array_t){&fg, 1};
    sl_kmsg_offset_fetch_response_t fresp;
    sl_kmsg_offset_fetch_response_init(&fresp);
    sl_group_offset_fetch(f->c, 8, &freq, &fresp, &a);
    assert_int_equal(fresp.groups.count, 1);
    assert_int_equal(fresp.groups.items[0].error_code, NOT_COORDINATOR);
    int32_t parts[] = {0, 1};
    sl_kmsg_offset_fetch_request_offset_fetch_request_topic_t ft = {SL_KSTR("t"), {parts, 2}};
    memset(&freq, 0, sizeof freq);
    freq.group_id = sl_kstr_from(g);
    freq.topics = (sl_kmsg_offset_fetch_request_offset_fetch_request_topic_array_t){&ft, 1};
    sl_kmsg_offset_fetch_response_init(&fresp);
    sl_group_offset_fetch(f->c, 1, &freq, &fresp, &a);
    assert_int_equal(fresp.topics.count, 1);
    assert_int_equal(fresp.topics.items[0].partitions.count, 2);
    assert_int_equal(fresp.topics.items[0].partitions.items[1].error_code, NOT_COORDINATOR);
    assert_int_equal(fresp.topics.items[0].partitions.items[1].committed_offset, -1);

    sl_kstr_t names[] = {sl_kstr_from(g)};
    sl_kmsg_describe_groups_request_t dreq = {{names, 1}, 0};
    sl_kmsg_describe_groups_response_t dresp;
    sl_kmsg_describe_groups_response_init(&dresp);
    sl_group_describe(f->c, &dreq, &dresp, &a);
    assert_int_equal(dresp.groups.count, 1);
    assert_int_equal(dresp.groups.items[0].error_code, NOT_COORDINATOR);

    sl_kmsg_delete_groups_request_t xreq = {{names, 1}};
    sl_kmsg_delete_groups_response_t xresp;
    sl_kmsg_delete_groups_response_init(&xresp);
    sl_group_delete(f->c, &xreq, &xresp, &a);
    assert_int_equal(xresp.results.count, 1);
    assert_int_equal(xresp.results.items[0].error_code, NOT_COORDINATOR);

    sl_kmsg_offset_delete_request_offset_delete_request_partition_t op = {0};
    sl_kmsg_offset_delete_request_offset_delete_request_topic_t ot = {SL_KSTR("t"), {&op, 1}};
    sl_kmsg_offset_delete_request_t oreq = {sl_kstr_from(g), {&ot, 1}};
    sl_kmsg_offset_delete_response_t oresp;
    sl_kmsg_offset_delete_response_init(&oresp);
    sl_group_offset_delete(f->c, &oreq, &oresp, &a);
    assert_int_equal(oresp.error_code, NOT_COORDINATOR);

    /* Nothing was written, nothing is listed. */
    sl_kmsg_list_groups_request_t lgreq;
    memset(&lgreq, 0, sizeof lgreq);
    sl_kmsg_list_groups_response_t lgresp;
    sl_kmsg_list_groups_response_init(&lgresp);
    sl_group_list(f->c, 4, &lgreq, &lgresp, &a);
    assert_int_equal(lgresp.error_code, 0);
    assert_int_equal(lgresp.groups.count, 0);
    assert_int_equal(f->appends, 0);

    /* Partitions outside the topic; a partition with no log here. */
    assert_int_equal(sl_group_coord_partition_acquired(f->c, NPARTS, 1), SL_ERR_INVAL);
    assert_int_equal(sl_group_coord_partition_lost(f->c, -1), SL_ERR_INVAL);
    sl_arena_free(&a);
}

static void offsets_come_back_after_loss_and_reacquire(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(1, 0), *other = group_of(2, 0);
    int64_t off;
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 4), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 1), SL_OK);
    assert_int_equal(commit(f, g, 42), 0);
    assert_int_equal(commit(f, g, 43), 0);
    assert_int_equal(commit(f, other, 7), 0);
    assert_int_equal(f->appends, 3);
    assert_int_equal(f->last_partition, 2);
    assert_int_equal(f->last_epoch, 1);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 43);

    /* The records are in partition 1's log, with the leader epoch. */
    sl_topic_part_t *tp = sl_topics_acquire(f->topics, SL_GROUP_OFFSETS_TOPIC, 1);
    assert_non_null(tp);
    assert_int_equal(sl_log_end_offset(sl_topic_part_log(tp)), 2);
    sl_topics_release(f->topics, tp);

    /* Lost: its groups are gone, the other partition's stay. */
    assert_int_equal(sl_group_coord_partition_lost(f->c, 1), SL_OK);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 1), SL_OK); /* again: no-op */
    assert_int_equal(fetch(f, g, &off), 16);
    assert_int_equal(commit(f, g, 99), 16);
    assert_int_equal(fetch(f, other, &off), 0);
    assert_int_equal(off, 7);

    /* Acquired again (a newer epoch): loaded back from the log. */
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 6), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 43);
    assert_int_equal(commit(f, g, 44), 0);
    assert_int_equal(f->last_epoch, 6);

    /* An older epoch is ignored; the same epoch again reloads nothing. */
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 5), SL_OK);
    assert_int_equal(commit(f, g, 45), 0);
    assert_int_equal(f->last_epoch, 6);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 6), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 45);

    /* ListGroups: only the owned partitions' groups. */
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_list_groups_request_t lreq;
    memset(&lreq, 0, sizeof lreq);
    sl_kmsg_list_groups_response_t lresp;
    sl_kmsg_list_groups_response_init(&lresp);
    sl_group_list(f->c, 4, &lreq, &lresp, &a);
    assert_int_equal(lresp.groups.count, 2);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 2), SL_OK);
    sl_kmsg_list_groups_response_init(&lresp);
    sl_group_list(f->c, 4, &lreq, &lresp, &a);
    assert_int_equal(lresp.groups.count, 1);
    assert_true(sl_kstr_is(lresp.groups.items[0].group_id, g, (int32_t)strlen(g)));
    sl_arena_free(&a);

    /* A whole restart of the coordinator: nothing is loaded until acquired. */
    sl_group_coord_stop(f->c);
    start_owned(f);
    assert_int_equal(fetch(f, g, &off), 16);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 7), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 45);
}

static void held_join_is_answered_not_coordinator_on_loss(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(0, 0), *done = group_of(0, 1);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 1), SL_OK);

    /* A group through a whole rebalance: its metadata goes through the hook
     * and comes back with the partition. */
    answer_t ja;
    answer_init(&ja);
    join(f, done, 10000, &ja);
    assert_int_equal(wait_answer(&ja), 1);
    assert_int_equal(ja.error, 0);
    assert_int_equal(ja.generation, 1);
    sl_kmsg_sync_group_request_sync_group_request_assignment_t asg = {sl_kstr_from(ja.member),
                                                                      {(const uint8_t *)"x", 1}};
    sl_kmsg_sync_group_request_t sreq = {sl_kstr_from(done), 1, sl_kstr_from(ja.member), SL_KSTR_NULL,
                                         SL_KSTR_NULL, SL_KSTR_NULL, {&asg, 1}};
    answer_t sa;
    answer_init(&sa);
    int appends = f->appends;
    sl_group_sync(f->c, 3, &sreq, on_sync, &sa);
    assert_int_equal(wait_answer(&sa), 1);
    assert_int_equal(sa.error, 0);
    assert_int_equal(f->appends, appends + 1);
    answer_destroy(&sa);

    /* A join held by the rebalance of a second group (a long initial delay:
     * the rebalance timeout, as no join completes it earlier). */
    answer_t held;
    answer_init(&held);
    sl_group_coord_stop(f->c);
    sl_group_config_t cfg = config();
    cfg.initial_rebalance_delay_ms = 60000;
    sl_group_hooks_t hooks = {append_hook, wait_hook, f};
    char err[256];
    assert_int_equal(sl_group_coord_start_with(f->topics, &cfg, &hooks, &f->c, err, sizeof err), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 2), SL_OK);
    join(f, g, 60000, &held);
    usleep(200 * 1000);
    assert_int_equal(held.answered, 0);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 0), SL_OK);
    assert_int_equal(wait_answer(&held), 1);
    assert_int_equal(held.error, 16);
    answer_destroy(&held);

    /* Back: the completed group is Stable with its member, from the log. */
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 3), SL_OK);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kstr_t names[] = {sl_kstr_from(done), sl_kstr_from(g)};
    sl_kmsg_describe_groups_request_t dreq = {{names, 2}, 0};
    sl_kmsg_describe_groups_response_t dresp;
    sl_kmsg_describe_groups_response_init(&dresp);
    sl_group_describe(f->c, &dreq, &dresp, &a);
    assert_int_equal(dresp.groups.count, 2);
    assert_int_equal(dresp.groups.items[0].error_code, 0);
    assert_true(sl_kstr_is(dresp.groups.items[0].group_state, "Stable", 6));
    assert_int_equal(dresp.groups.items[0].members.count, 1);
    assert_true(sl_kstr_is(dresp.groups.items[0].members.items[0].member_id, ja.member,
                           (int32_t)strlen(ja.member)));
    assert_int_equal(dresp.groups.items[0].members.items[0].member_assignment.len, 1);
    /* The held join's group was never written: gone. */
    assert_int_equal(dresp.groups.items[1].error_code, 0);
    assert_true(sl_kstr_is(dresp.groups.items[1].group_state, "Dead", 4));
    sl_arena_free(&a);
    answer_destroy(&ja);
}

static void append_hook_errors_fail_the_commit(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(2, 1);
    int64_t off;
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 1), SL_OK);
    assert_int_equal(commit(f, g, 10), 0);
    static const struct {
        sl_err_t hook;
        int16_t code;
    } cases[] = {
        {SL_ERR_NOT_LEADER_OR_FOLLOWER, 16}, /* NOT_COORDINATOR */
        {SL_ERR_FENCED_LEADER_EPOCH, 16},
        {SL_ERR_TIMEOUT, 7},                  /* REQUEST_TIMED_OUT */
        {SL_ERR_NOT_ENOUGH_REPLICAS, 15},     /* COORDINATOR_NOT_AVAILABLE */
        {SL_ERR_RECORD_TOO_LARGE, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f->fail = cases[i].hook;
        assert_int_equal(commit(f, g, 11 + (int64_t)i), cases[i].code);
        f->fail = SL_OK;
        /* Not applied: the last acknowledged commit stands. */
        assert_int_equal(fetch(f, g, &off), 0);
        assert_int_equal(off, 10);
    }
    /* And the log has only the acknowledged one. */
    assert_int_equal(sl_group_coord_partition_lost(f->c, 2), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 2), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 10);
}

static void ownership_mode_creates_no_topic(void **state)
{
    (void)state;
    fixture_t *f = make(0);
    start_owned(f);
    sl_topic_info_t info;
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 1), SL_ERR_UNKNOWN_TOPIC);
    assert_int_equal(commit(f, group_of(0, 0), 1), 16); /* still not owned */
    assert_false(sl_topics_get(f->topics, SL_GROUP_OFFSETS_TOPIC, &info));
    assert_int_equal(f->appends, 0);
    unmake(f);
}

static void single_node_mode_is_unchanged(void **state)
{
    (void)state;
    fixture_t *f = make(0);
    sl_group_config_t cfg = config();
    char err[256];
    assert_int_equal(sl_group_coord_start_with(f->topics, &cfg, NULL, &f->c, err, sizeof err), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 1), SL_ERR_STATE);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 0), SL_ERR_STATE);
    const char *g = group_of(1, 0);
    int64_t off;
    assert_int_equal(commit(f, g, 42), 0);
    assert_int_equal(f->appends, 0); /* no hook: the coordinator wrote itself */
    sl_topic_info_t info;
    assert_true(sl_topics_get(f->topics, SL_GROUP_OFFSETS_TOPIC, &info));
    assert_int_equal(info.partitions, NPARTS);
    /* Every group is served, and loaded at start. */
    sl_group_coord_stop(f->c);
    assert_int_equal(sl_group_coord_start(f->topics, &cfg, &f->c, err, sizeof err), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 42);
    assert_int_equal(commit(f, group_of(0, 0), 1), 0);
    unmake(f);
}

/* ---- commits waiting for replication ------------------------------------------- */

typedef struct {
    fixture_t *f;
    const char *group;
    int64_t offset;
    int16_t code;
    int done;
    pthread_t thread;
} committer_t;

static void *commit_thread(void *arg)
{
    committer_t *k = arg;
    k->code = commit(k->f, k->group, k->offset);
    __atomic_store_n(&k->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void commit_start(committer_t *k, fixture_t *f, const char *group, int64_t offset)
{
    *k = (committer_t){f, group, offset, -2, 0, 0};
    assert_int_equal(pthread_create(&k->thread, NULL, commit_thread, k), 0);
}

/* Joins the committer; its answer. */
static int16_t commit_end(committer_t *k)
{
    pthread_join(k->thread, NULL);
    return k->code;
}

/* Waits up to 5 s until n waits are blocked in the wait hook. */
static void wait_waiting(fixture_t *f, int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    pthread_mutex_lock(&f->mu);
    while (f->waiting != n && pthread_cond_timedwait(&f->cond, &f->mu, &ts) == 0)
        ;
    int w = f->waiting;
    pthread_mutex_unlock(&f->mu);
    assert_int_equal(w, n);
}

static void release(fixture_t *f, int64_t end_offset)
{
    pthread_mutex_lock(&f->mu);
    f->released = end_offset;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

typedef struct {
    fixture_t *f;
    const char *group;
    int16_t code;
    int done;
    pthread_t thread;
} deleter_t;

/* OffsetDelete of t-0 (the group is empty: a simple consumer's). */
static void *delete_thread(void *arg)
{
    deleter_t *d = arg;
    sl_kmsg_offset_delete_request_offset_delete_request_partition_t op = {0};
    sl_kmsg_offset_delete_request_offset_delete_request_topic_t ot = {SL_KSTR("t"), {&op, 1}};
    sl_kmsg_offset_delete_request_t req = {sl_kstr_from(d->group), {&ot, 1}};
    sl_kmsg_offset_delete_response_t resp;
    sl_kmsg_offset_delete_response_init(&resp);
    sl_arena_t a = SL_ARENA_INIT;
    sl_group_offset_delete(d->f->c, &req, &resp, &a);
    d->code = resp.error_code;
    sl_arena_free(&a);
    __atomic_store_n(&d->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* An offset commit waits for the in-sync replicas without the coordinator's
 * lock: other groups — on the same partition of __consumer_offsets and on
 * others — and the group itself are served meanwhile; the commit shows only
 * once acknowledged; commits acknowledged out of order leave the later one;
 * an OffsetDelete waits for the commits in flight; a partition lost
 * meanwhile leaves the commit to whoever loads the log. */
static void commits_wait_for_replication_without_the_lock(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(1, 0), *same = group_of(1, 1), *other = group_of(2, 0);
    int64_t off;
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 1), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 1), SL_OK);
    assert_int_equal(commit(f, g, 5), 0); /* partition 1's log: [0] */
    f->held_partition = 1;

    committer_t k1, k2;
    commit_start(&k1, f, g, 6); /* [1]: end offset 2 */
    wait_waiting(f, 1);
    assert_int_equal(commit(f, other, 7), 0);
    assert_int_equal(fetch(f, other, &off), 0);
    assert_int_equal(off, 7);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 5); /* not acknowledged yet */
    commit_start(&k2, f, same, 1); /* [2]: another group of the held partition */
    wait_waiting(f, 2);
    release(f, 3);
    assert_int_equal(commit_end(&k2), 0);
    assert_int_equal(fetch(f, same, &off), 0);
    assert_int_equal(off, 1);
    assert_false(__atomic_load_n(&k1.done, __ATOMIC_ACQUIRE));

    /* Two commits of one group, acknowledged in the reverse order. */
    commit_start(&k2, f, g, 8); /* [3]: end offset 4 */
    wait_waiting(f, 2);
    release(f, 4);
    assert_int_equal(commit_end(&k2), 0);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 8);
    release(f, 2);
    assert_int_equal(commit_end(&k1), 0);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 8); /* the earlier record does not win */

    /* OffsetDelete comes after the commit in flight, in the log and the cache. */
    commit_start(&k1, f, g, 9); /* [4]: end offset 5 */
    wait_waiting(f, 1);
    deleter_t d = {f, g, -2, 0, 0};
    assert_int_equal(pthread_create(&d.thread, NULL, delete_thread, &d), 0);
    usleep(100 * 1000);
    assert_false(__atomic_load_n(&d.done, __ATOMIC_ACQUIRE));
    release(f, 5);
    assert_int_equal(commit_end(&k1), 0);
    wait_waiting(f, 1); /* the tombstone [5], written under the lock */
    release(f, 6);
    pthread_join(d.thread, NULL);
    assert_int_equal(d.code, 0);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, -1);

    /* The partition is lost while a commit waits: the commit's group is kept
     * until it ends; the log has the record, and the next load finds it. */
    commit_start(&k1, f, g, 10); /* [6] after the tombstone [5] */
    wait_waiting(f, 1);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 1), SL_OK);
    assert_int_equal(fetch(f, g, &off), 16);
    release(f, 7);
    assert_int_equal(commit_end(&k1), 0);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 2), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, 10);

    /* Lost again with a commit waiting: the kept group is freed when the
     * commit ends (under ASan: no leak, no use after free). */
    commit_start(&k1, f, g, 11);
    wait_waiting(f, 1);
    assert_int_equal(sl_group_coord_partition_lost(f->c, 1), SL_OK);
    release(f, 8);
    assert_int_equal(commit_end(&k1), 0);
}

typedef struct {
    fixture_t *f;
    sl_kmsg_sync_group_request_t req;
    answer_t answer;
    pthread_t thread;
} syncer_t;

static void *sync_thread(void *arg)
{
    syncer_t *y = arg;
    sl_group_sync(y->f->c, 3, &y->req, on_sync, &y->answer);
    return NULL;
}

/* The leader's SyncGroup stores the group's assignment like a commit: the
 * wait for the replicas without the lock, the generation completing after
 * it; the group's heartbeats and other groups are served meanwhile. */
static void leader_sync_waits_for_replication_without_the_lock(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(1, 0), *other = group_of(2, 0);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 1), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 1), SL_OK);
    answer_t ja;
    answer_init(&ja);
    join(f, g, 10000, &ja);
    assert_int_equal(wait_answer(&ja), 1);
    assert_int_equal(ja.error, 0);

    f->held_partition = 1;
    sl_kmsg_sync_group_request_sync_group_request_assignment_t asg = {sl_kstr_from(ja.member),
                                                                      {(const uint8_t *)"x", 1}};
    syncer_t y = {.f = f,
                  .req = {sl_kstr_from(g), ja.generation, sl_kstr_from(ja.member), SL_KSTR_NULL, SL_KSTR_NULL,
                          SL_KSTR_NULL, {&asg, 1}}};
    answer_init(&y.answer);
    assert_int_equal(pthread_create(&y.thread, NULL, sync_thread, &y), 0);
    wait_waiting(f, 1);
    assert_int_equal(y.answer.answered, 0);
    assert_int_equal(heartbeat(f, g, ja.generation, ja.member), 0);
    assert_int_equal(commit(f, other, 3), 0);

    release(f, 1); /* the group record, the partition's first */
    pthread_join(y.thread, NULL);
    assert_int_equal(wait_answer(&y.answer), 1);
    assert_int_equal(y.answer.error, 0);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kstr_t names[] = {sl_kstr_from(g)};
    sl_kmsg_describe_groups_request_t dreq = {{names, 1}, 0};
    sl_kmsg_describe_groups_response_t dresp;
    sl_kmsg_describe_groups_response_init(&dresp);
    sl_group_describe(f->c, &dreq, &dresp, &a);
    assert_int_equal(dresp.groups.count, 1);
    assert_true(sl_kstr_is(dresp.groups.items[0].group_state, "Stable", 6));
    sl_arena_free(&a);
    answer_destroy(&y.answer);
    answer_destroy(&ja);
}

/* Kafka's pending sync: a member that joined a generation but sends no
 * SyncGroup within the rebalance timeout is removed, and the group
 * rebalances without it. */
static void member_without_sync_is_removed(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(0, 0);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 0, 1), SL_OK);
    answer_t a1, a2, b;
    answer_init(&a1);
    join(f, g, 2000, &a1);
    assert_int_equal(wait_answer(&a1), 1);
    assert_int_equal(a1.error, 0);
    sl_kmsg_sync_group_request_sync_group_request_assignment_t asg = {sl_kstr_from(a1.member),
                                                                      {(const uint8_t *)"x", 1}};
    sl_kmsg_sync_group_request_t sreq = {sl_kstr_from(g), a1.generation, sl_kstr_from(a1.member), SL_KSTR_NULL,
                                         SL_KSTR_NULL, SL_KSTR_NULL, {&asg, 1}};
    answer_t sa;
    answer_init(&sa);
    sl_group_sync(f->c, 3, &sreq, on_sync, &sa);
    assert_int_equal(wait_answer(&sa), 1);
    assert_int_equal(sa.error, 0);

    /* B joins; A rejoins: generation 2 with both, A still the leader. */
    answer_init(&b);
    join(f, g, 2000, &b);
    assert_int_equal(heartbeat(f, g, a1.generation, a1.member), 27); /* REBALANCE_IN_PROGRESS */
    answer_init(&a2);
    join_as(f, g, a1.member, 2000, &a2);
    assert_int_equal(wait_answer(&a2), 1);
    assert_int_equal(wait_answer(&b), 1);
    assert_int_equal(a2.error, 0);
    assert_int_equal(b.error, 0);
    assert_int_equal(a2.generation, a1.generation + 1);

    /* Only the leader syncs; B heartbeats but never syncs. */
    sreq.generation_id = a2.generation;
    answer_destroy(&sa);
    answer_init(&sa);
    sl_group_sync(f->c, 3, &sreq, on_sync, &sa);
    assert_int_equal(wait_answer(&sa), 1);
    assert_int_equal(sa.error, 0);
    assert_int_equal(heartbeat(f, g, a2.generation, a1.member), 0);
    assert_int_equal(heartbeat(f, g, b.generation, b.member), 0);
    usleep(2600 * 1000); /* the rebalance timeout, 2 s, and ticks */
    assert_int_equal(heartbeat(f, g, b.generation, b.member), 25); /* UNKNOWN_MEMBER_ID */
    assert_int_equal(heartbeat(f, g, a2.generation, a1.member), 27);
    answer_destroy(&sa);
    answer_destroy(&a1);
    answer_destroy(&a2);
    answer_destroy(&b);
}

typedef struct {
    fixture_t *f;
    int64_t now;
    int removed;
    pthread_t thread;
} expirer_t;

static void *expire_thread(void *arg)
{
    expirer_t *x = arg;
    x->removed = sl_group_expire_offsets(x->f->c, x->now);
    return NULL;
}

/* Offset expiry waits for its tombstones' replication without the lock, and
 * an offset committed again meanwhile (a later record) is not removed. */
static void expiry_waits_for_replication_without_the_lock(void **state)
{
    fixture_t *f = *state;
    const char *g = group_of(1, 0), *kept = group_of(1, 1), *other = group_of(2, 0);
    int64_t off;
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 1), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 2, 1), SL_OK);
    assert_int_equal(commit(f, g, 5), 0);    /* [0] */
    assert_int_equal(commit(f, kept, 6), 0); /* [1] */
    f->held_partition = 1;
    expirer_t x = {f, sl_now_ms() + config().offsets_retention_ms + 1000, -1, 0};
    assert_int_equal(pthread_create(&x.thread, NULL, expire_thread, &x), 0);
    wait_waiting(f, 1); /* appended: both groups' tombstones, [2..3] and [4..5]; waited for one by one */
    assert_int_equal(commit(f, other, 7), 0);
    /* kept commits again while its tombstones wait: [6], held too */
    committer_t k;
    commit_start(&k, f, kept, 8);
    wait_waiting(f, 2);
    release(f, 7); /* the commit first: applied before the expiry is */
    assert_int_equal(commit_end(&k), 0);
    pthread_mutex_lock(&f->mu);
    f->release_all = 1;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    pthread_join(x.thread, NULL);
    assert_int_equal(x.removed, 1); /* g's; kept's offset was written again */
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, -1);
    assert_int_equal(fetch(f, kept, &off), 0);
    assert_int_equal(off, 8);
    /* The log says the same to whoever loads it next. */
    f->release_all = 0;
    f->held_partition = -1;
    assert_int_equal(sl_group_coord_partition_lost(f->c, 1), SL_OK);
    assert_int_equal(sl_group_coord_partition_acquired(f->c, 1, 2), SL_OK);
    assert_int_equal(fetch(f, g, &off), 0);
    assert_int_equal(off, -1);
    assert_int_equal(fetch(f, kept, &off), 0);
    assert_int_equal(off, 8);
}

SL_TEST_GROUP(ownership, cmocka_unit_test_setup_teardown(unowned_groups_are_not_coordinated_here, setup, teardown),
              cmocka_unit_test_setup_teardown(offsets_come_back_after_loss_and_reacquire, setup, teardown),
              cmocka_unit_test_setup_teardown(held_join_is_answered_not_coordinator_on_loss, setup, teardown),
              cmocka_unit_test_setup_teardown(append_hook_errors_fail_the_commit, setup, teardown),
              cmocka_unit_test_setup_teardown(commits_wait_for_replication_without_the_lock, setup, teardown),
              cmocka_unit_test_setup_teardown(leader_sync_waits_for_replication_without_the_lock, setup, teardown),
              cmocka_unit_test_setup_teardown(member_without_sync_is_removed, setup, teardown),
              cmocka_unit_test_setup_teardown(expiry_waits_for_replication_without_the_lock, setup, teardown),
              cmocka_unit_test(ownership_mode_creates_no_topic), cmocka_unit_test(single_node_mode_is_unchanged))
