/* test_quorum.c — three controller-quorum voters in one process over real TCP:
 * replication of entries to every voter, refusal on followers, leader
 * failover, restart with replay, snapshots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/meta/quorum.h"
#include "testutil.h"

/* A state machine that keeps what it applied: the entries' bytes, joined. */
typedef struct fsm_state {
    pthread_mutex_t mu;
    char log[8192];
    size_t len;
    uint64_t last_index;
    int index_errors; /* an index that did not rise */
    int restores;
} fsm_state_t;

static void fsm_apply(void *opaque, const uint8_t *entry, size_t len, uint64_t index)
{
    fsm_state_t *f = opaque;
    pthread_mutex_lock(&f->mu);
    if (index <= f->last_index)
        f->index_errors++;
    f->last_index = index;
    if (f->len + len + 1 < sizeof f->log) {
        memcpy(f->log + f->len, entry, len);
        f->len += len;
        f->log[f->len++] = ';';
        f->log[f->len] = '\0';
    }
    pthread_mutex_unlock(&f->mu);
}

static sl_err_t fsm_snapshot(void *opaque, uint8_t **out, size_t *len)
{
    fsm_state_t *f = opaque;
    pthread_mutex_lock(&f->mu);
    *len = f->len;
    *out = malloc(f->len + 1);
    memcpy(*out, f->log, f->len);
    pthread_mutex_unlock(&f->mu);
    return SL_OK;
}

static sl_err_t fsm_restore(void *opaque, const uint8_t *data, size_t len)
{
    fsm_state_t *f = opaque;
    pthread_mutex_lock(&f->mu);
    memcpy(f->log, data, len);
    f->len = len;
    f->log[len] = '\0';
    f->restores++;
    pthread_mutex_unlock(&f->mu);
    return SL_OK;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct cluster {
    char *dir;
    sl_quorum_voter_t voters[3];
    sl_quorum_t *q[3];
    fsm_state_t f[3];
    unsigned snapshot_threshold;
} cluster_t;

static void start_node(cluster_t *c, int i)
{
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/node%d", c->dir, i + 1);
    sl_quorum_config_t cfg = {.node_id = i + 1, .voters = c->voters, .nvoters = 3, .dir = sub,
                              .election_timeout_ms = 300, .heartbeat_timeout_ms = 50,
                              .snapshot_threshold = c->snapshot_threshold};
    sl_quorum_fsm_t fsm = {.opaque = &c->f[i], .apply = fsm_apply, .snapshot = fsm_snapshot,
                           .restore = fsm_restore};
    pthread_mutex_lock(&c->f[i].mu);
    c->f[i].len = 0;
    c->f[i].log[0] = '\0';
    c->f[i].last_index = 0;
    pthread_mutex_unlock(&c->f[i].mu);
    char err[512];
    sl_err_t e = sl_quorum_start(&cfg, &fsm, &c->q[i], err, sizeof err);
    if (e)
        fail_msg("node %d: %s", i + 1, err);
}

static void cluster_start(cluster_t *c, unsigned snapshot_threshold)
{
    memset(c, 0, sizeof *c);
    c->dir = sl_test_mkdtemp();
    c->snapshot_threshold = snapshot_threshold;
    for (int i = 0; i < 3; i++) {
        c->voters[i].id = i + 1;
        snprintf(c->voters[i].host, sizeof c->voters[i].host, "127.0.0.1");
        c->voters[i].port = free_port();
        pthread_mutex_init(&c->f[i].mu, NULL);
    }
    for (int i = 0; i < 3; i++)
        start_node(c, i);
}

static void cluster_stop(cluster_t *c)
{
    for (int i = 0; i < 3; i++) {
        sl_quorum_stop(c->q[i]);
        pthread_mutex_destroy(&c->f[i].mu);
    }
    sl_test_rmdir(c->dir);
}

/* The index of the leader among the running nodes, waiting up to 10 s for
 * every running node to agree on one. */
static int wait_leader(cluster_t *c)
{
    int64_t deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        int32_t l = -1;
        int agree = 1;
        for (int i = 0; i < 3; i++) {
            if (!c->q[i])
                continue;
            int32_t li = sl_quorum_leader(c->q[i]);
            if (li < 1 || (l != -1 && li != l))
                agree = 0;
            l = li;
        }
        if (agree && l >= 1 && c->q[l - 1] && sl_quorum_is_leader(c->q[l - 1]))
            return l - 1;
        usleep(20000);
    }
    fail_msg("no leader within 10 s");
    return -1;
}

static void wait_log(cluster_t *c, int i, const char *want)
{
    int64_t deadline = now_ms() + 10000;
    for (;;) {
        pthread_mutex_lock(&c->f[i].mu);
        int same = strcmp(c->f[i].log, want) == 0;
        pthread_mutex_unlock(&c->f[i].mu);
        if (same)
            return;
        if (now_ms() > deadline)
            fail_msg("node %d applied '%s', want '%s'", i + 1, c->f[i].log, want);
        usleep(10000);
    }
}

static void propose(sl_quorum_t *q, const char *s)
{
    uint64_t index = 0;
    assert_int_equal(sl_quorum_propose(q, (const uint8_t *)s, strlen(s), &index), SL_OK);
    assert_true(index > 0);
}

static void replicates_and_fails_over(void **state)
{
    (void)state;
    cluster_t c;
    cluster_start(&c, 0);
    int l = wait_leader(&c);
    assert_int_equal(sl_quorum_barrier(c.q[l]), SL_OK);
    propose(c.q[l], "a");
    propose(c.q[l], "b");
    for (int i = 0; i < 3; i++)
        wait_log(&c, i, "a;b;");
    /* A follower refuses entries. */
    int f = (l + 1) % 3;
    assert_int_equal(sl_quorum_propose(c.q[f], (const uint8_t *)"x", 1, NULL), SL_ERR_NOT_CONTROLLER);

    /* The leader goes: the other two elect one of themselves and go on. */
    sl_quorum_stop(c.q[l]);
    c.q[l] = NULL;
    int l2 = wait_leader(&c);
    assert_int_not_equal(l2, l);
    assert_int_equal(sl_quorum_barrier(c.q[l2]), SL_OK);
    propose(c.q[l2], "c");
    for (int i = 0; i < 3; i++)
        if (c.q[i])
            wait_log(&c, i, "a;b;c;");

    /* The old leader comes back: it replays its log and catches up. */
    start_node(&c, l);
    wait_log(&c, l, "a;b;c;");
    int l3 = wait_leader(&c);
    propose(c.q[l3], "d");
    for (int i = 0; i < 3; i++)
        wait_log(&c, i, "a;b;c;d;");
    for (int i = 0; i < 3; i++)
        assert_int_equal(c.f[i].index_errors, 0);
    cluster_stop(&c);
}

static void snapshots_and_restart(void **state)
{
    (void)state;
    cluster_t c;
    cluster_start(&c, 4); /* a snapshot every 4 entries */
    int l = wait_leader(&c);
    char want[4096] = "";
    for (int k = 0; k < 20; k++) {
        char e[16];
        snprintf(e, sizeof e, "e%d", k);
        propose(c.q[l], e);
        strcat(want, e);
        strcat(want, ";");
    }
    for (int i = 0; i < 3; i++)
        wait_log(&c, i, want);
    /* Every node restarts: state comes back from snapshot + log tail. */
    for (int i = 0; i < 3; i++) {
        sl_quorum_stop(c.q[i]);
        c.q[i] = NULL;
    }
    for (int i = 0; i < 3; i++)
        start_node(&c, i);
    for (int i = 0; i < 3; i++)
        wait_log(&c, i, want);
    int restored = 0;
    for (int i = 0; i < 3; i++)
        restored += c.f[i].restores;
    assert_true(restored >= 3);
    l = wait_leader(&c);
    propose(c.q[l], "z");
    strcat(want, "z;");
    for (int i = 0; i < 3; i++)
        wait_log(&c, i, want);
    cluster_stop(&c);
}

static void parses_voters(void **state)
{
    (void)state;
    sl_quorum_voter_t v[SL_QUORUM_MAX_VOTERS];
    int n = 0;
    char err[256];
    assert_int_equal(sl_quorum_parse_voters("1@localhost:9093,2@127.0.0.1:9094,3@h:9095", v, &n, err,
                                            sizeof err),
                     SL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(v[1].id, 2);
    assert_string_equal(v[1].host, "127.0.0.1");
    assert_int_equal(v[2].port, 9095);
    assert_int_equal(sl_quorum_parse_voters("1@h:9093:AAAAAAAAAAAAAAAAAAAAAA", v, &n, err, sizeof err), SL_OK);
    assert_int_equal(v[0].port, 9093);
    assert_string_equal(v[0].host, "h");
    assert_int_equal(sl_quorum_parse_voters("1@h:9093,1@h:9094", v, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(sl_quorum_parse_voters("h:9093", v, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_quorum_parse_voters("0@h:9093", v, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_quorum_parse_voters("1@h:99999", v, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_quorum_parse_voters("", v, &n, err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_quorum_parse_voters("1@:9093", v, &n, err, sizeof err), SL_ERR_CONFIG);
}

static void refuses_non_voter(void **state)
{
    (void)state;
    sl_quorum_voter_t v = {.id = 1, .host = "127.0.0.1", .port = 1};
    char *dir = sl_test_mkdtemp();
    sl_quorum_config_t cfg = {.node_id = 2, .voters = &v, .nvoters = 1, .dir = dir};
    sl_quorum_fsm_t fsm = {0};
    sl_quorum_t *q = NULL;
    char err[256];
    assert_int_equal(sl_quorum_start(&cfg, &fsm, &q, err, sizeof err), SL_ERR_CONFIG);
    assert_null(q);
    assert_non_null(strstr(err, "not one of"));
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(quorum, cmocka_unit_test(parses_voters), cmocka_unit_test(refuses_non_voter),
              cmocka_unit_test(replicates_and_fails_over), cmocka_unit_test(snapshots_and_restart))
