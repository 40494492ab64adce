/* bench_rebalance.c — how long a consumer group is without an owner for some
 * partitions when one member goes away.
 *
 * A broker in process (group.initial.rebalance.delay.ms=100), a 12-partition
 * topic, a group of 3 librdkafka consumers (range assignor, eager protocol,
 * session.timeout.ms=6000, heartbeat.interval.ms=1000, one polling thread
 * each). Two scenarios, 3 runs each (a fresh group per run), median printed:
 *
 *   leave: one member closes cleanly (rd_kafka_consumer_close: revoke, then
 *          LeaveGroup); measured from the call until the two others' assign
 *          callbacks have given them all 12 partitions;
 *   kill:  the third member is a separate process (`sluice consume --group`,
 *          the binary next to this one, or $SLUICE), killed with SIGKILL;
 *          measured from the kill until the two others own all 12 again. The
 *          coordinator notices only when the session timeout expires.
 *
 * Usage: bench_rebalance [runs per scenario, default 3]. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "broker/server/broker.h"
#include "broker/server/broker_int.h"
#include "common/trace.h"

#define NPART 12
#define ALL ((1u << NPART) - 1)
#define TOPIC "rebalance-bench"
#define SESSION_MS "6000"
#define HEARTBEAT_MS "1000"

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bench_rebalance: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static void quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        die("librdkafka setting: %s", err);
}

/* ---- in-process members ------------------------------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned masks[3];  /* partitions each member owns (after its callbacks) */
static int watch[3];       /* the members that must end up owning everything */
static double done_at;     /* when they first did, or 0 */

typedef struct {
    int idx;
    rd_kafka_t *rk;
    pthread_t thread;
    volatile int stop;
} member_t;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    member_t *m = opaque;
    unsigned mask = 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        for (int i = 0; i < parts->cnt; i++)
            mask |= 1u << parts->elems[i].partition;
    } else {
        rd_kafka_assign(rk, NULL);
    }
    pthread_mutex_lock(&mu);
    masks[m->idx] = mask;
    unsigned u = 0;
    int ok = 1, any = 0;
    for (int i = 0; i < 3; i++) {
        if (!watch[i])
            continue;
        any = 1;
        if (!masks[i] || (u & masks[i]))
            ok = 0;
        u |= masks[i];
    }
    if (any && ok && u == ALL && done_at == 0)
        done_at = now_ms();
    pthread_mutex_unlock(&mu);
}

static void *poll_thread(void *arg)
{
    member_t *m = arg;
    while (!m->stop) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 50);
        if (msg)
            rd_kafka_message_destroy(msg);
    }
    return NULL;
}

static void member_start(member_t *m, int idx, const char *bootstrap, const char *group)
{
    memset(m, 0, sizeof *m);
    m->idx = idx;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bootstrap);
    set(c, "group.id", group);
    set(c, "session.timeout.ms", SESSION_MS);
    set(c, "heartbeat.interval.ms", HEARTBEAT_MS);
    set(c, "partition.assignment.strategy", "range");
    set(c, "enable.auto.commit", "false");
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_opaque(c, m);
    rd_kafka_conf_set_log_cb(c, quiet_log);
    char err[256];
    m->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!m->rk)
        die("rd_kafka_new: %s", err);
    rd_kafka_poll_set_consumer(m->rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, TOPIC, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(m->rk, l))
        die("%s", "subscribe failed");
    rd_kafka_topic_partition_list_destroy(l);
    pthread_create(&m->thread, NULL, poll_thread, m);
}

static void member_stop_polling(member_t *m)
{
    m->stop = 1;
    pthread_join(m->thread, NULL);
}

static void member_close(member_t *m)
{
    rd_kafka_consumer_close(m->rk);
    rd_kafka_destroy(m->rk);
    m->rk = NULL;
}

/* Waits (60 s at most) until cond(masks) holds. */
static void wait_masks(int (*cond)(const unsigned *), const char *what)
{
    double end = now_ms() + 60000;
    for (;;) {
        pthread_mutex_lock(&mu);
        unsigned snap[3] = {masks[0], masks[1], masks[2]};
        pthread_mutex_unlock(&mu);
        if (cond(snap))
            return;
        if (now_ms() > end)
            die("timed out waiting for %s", what);
        usleep(2000);
    }
}

static int three_in_process(const unsigned *m)
{
    return m[0] && m[1] && m[2] && !(m[0] & m[1]) && !(m[0] & m[2]) && !(m[1] & m[2]) &&
           (m[0] | m[1] | m[2]) == ALL;
}

/* Two in process and the child: the two own 8 (range gives 4 each), disjoint. */
static int two_plus_child(const unsigned *m)
{
    return m[0] && m[1] && !(m[0] & m[1]) && __builtin_popcount(m[0] | m[1]) == NPART - NPART / 3;
}

static void watch_two(void)
{
    pthread_mutex_lock(&mu);
    watch[0] = watch[1] = 1;
    watch[2] = 0;
    done_at = 0;
    pthread_mutex_unlock(&mu);
}

static void reset(void)
{
    pthread_mutex_lock(&mu);
    memset(masks, 0, sizeof masks);
    memset(watch, 0, sizeof watch);
    done_at = 0;
    pthread_mutex_unlock(&mu);
}

static double wait_done(void)
{
    double end = now_ms() + 60000;
    for (;;) {
        pthread_mutex_lock(&mu);
        double d = done_at;
        pthread_mutex_unlock(&mu);
        if (d > 0)
            return d;
        if (now_ms() > end)
            die("%s", "timed out: the two remaining members never owned all partitions");
        usleep(1000);
    }
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static double run_leave(const char *bootstrap, int run)
{
    char group[64];
    snprintf(group, sizeof group, "bench-leave-%d", run);
    reset();
    member_t m[3];
    for (int i = 0; i < 3; i++)
        member_start(&m[i], i, bootstrap, group);
    wait_masks(three_in_process, "3 members owning 4 partitions each");
    usleep(500 * 1000); /* settled: heartbeats going */
    member_stop_polling(&m[2]);
    watch_two();
    double t0 = now_ms();
    member_close(&m[2]);
    double t1 = wait_done();
    for (int i = 0; i < 2; i++) {
        member_stop_polling(&m[i]);
        member_close(&m[i]);
    }
    return t1 - t0;
}

static char sluice_path[PATH_MAX];

static double run_kill(const char *bootstrap, int run)
{
    char group[64];
    snprintf(group, sizeof group, "bench-kill-%d", run);
    reset();
    member_t m[2];
    for (int i = 0; i < 2; i++)
        member_start(&m[i], i, bootstrap, group);
    char *argv[] = {sluice_path, "consume", TOPIC, "--group", group, "--bootstrap", (char *)bootstrap,
                    "--property", "session.timeout.ms=" SESSION_MS, "--property",
                    "heartbeat.interval.ms=" HEARTBEAT_MS, "--property", "partition.assignment.strategy=range",
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t child;
    int e = posix_spawn(&child, sluice_path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (e)
        die("cannot start %s", sluice_path);
    wait_masks(two_plus_child, "3 members (one a sluice consume process) owning 4 partitions each");
    usleep(1500 * 1000); /* settled: the child heartbeats */
    watch_two();
    double t0 = now_ms();
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    double t1 = wait_done();
    for (int i = 0; i < 2; i++) {
        member_stop_polling(&m[i]);
        member_close(&m[i]);
    }
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("rebalance, 3 members / %d partitions, %-42s median %7.0f ms  (runs:", NPART, what, t[n / 2]);
    for (int i = 0; i < n; i++)
        printf(" %.0f", t[i]);
    printf(")\n");
    fflush(stdout);
}

static void rm_rf(const char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_rebalance: cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    if (runs < 1 || runs > 50)
        die("runs must be 1..50, not %s", argv[1]);
    const char *env = getenv("SLUICE");
    if (env && *env) {
        snprintf(sluice_path, sizeof sluice_path, "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            die("%s", "cannot find my own path (set SLUICE=path/to/sluice)");
        self[n] = '\0';
        snprintf(sluice_path, sizeof sluice_path, "%s/sluice", dirname(self));
    }
    if (access(sluice_path, X_OK) != 0)
        die("%s is not executable (build it, or set SLUICE=path/to/sluice)", sluice_path);

    const char *trace = getenv("SLUICE_TRACE");
    sl_trace_set_sink(NULL, NULL, trace && *trace ? sl_trace_level_parse(trace) : SL_TRACE_ERROR);
    char dir[] = "/tmp/sluice-bench-rebalance.XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp: %s", strerror(errno));
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    char err[512];
    static const char *const kv[][2] = {
        {"listeners", "PLAINTEXT://127.0.0.1:0"},    {"num.io.threads", "4"},
        {"num.network.threads", "2"},                {"group.initial.rebalance.delay.ms", "100"},
        {"group.min.session.timeout.ms", "1000"},    {"offsets.topic.num.partitions", "5"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (sl_broker_config_set(&cfg, kv[i][0], kv[i][1], err, sizeof err))
            die("config: %s", err);
    if (sl_broker_config_set(&cfg, "log.dirs", dir, err, sizeof err))
        die("config: %s", err);
    sl_broker_t *b;
    if (sl_broker_start(&cfg, &b, err, sizeof err))
        die("sl_broker_start: %s", err);
    char bootstrap[64];
    snprintf(bootstrap, sizeof bootstrap, "127.0.0.1:%d", sl_broker_port(b));
    if (sl_topics_create(b->topics, TOPIC, NPART, NULL, NULL, 0, 0, NULL, err, sizeof err))
        die("create topic: %s", err);

    printf("bench_rebalance: librdkafka %s, range assignor, session.timeout.ms=%s, heartbeat.interval.ms=%s, "
           "%d runs each\n",
           rd_kafka_version_str(), SESSION_MS, HEARTBEAT_MS, runs);
    fflush(stdout);
    double t[50];
    for (int r = 0; r < runs; r++)
        t[r] = run_leave(bootstrap, r);
    report("one leaves cleanly (consumer_close):", t, runs);
    for (int r = 0; r < runs; r++)
        t[r] = run_kill(bootstrap, r);
    report("one is killed (SIGKILL):", t, runs);

    sl_broker_stop(b);
    rm_rf(dir);
    return 0;
}
