/* bench_cluster.c — what replication costs, and how long a failover takes.
 *
 * Three `sluice broker` processes (the binary next to this one, or $SLUICE)
 * form a cluster on ephemeral ports, each in its own temporary data dir.
 *
 *   throughput: `sluice bench produce` (one librdkafka producer, 100-byte
 *     records) to a topic with RF=1 and acks=1, then to a topic with RF=3,
 *     min.insync.replicas=2 and acks=all, in the same run; the ratio
 *     RF=3/RF=1 is printed (Kafka's 2014 figures: 421,823 / 821,557 = 0.51;
 *     target >= 0.6);
 *   failover: an acks=all producer writes one record every millisecond to
 *     an RF=3 topic; the leader of its partition is SIGKILLed; the time from
 *     the kill to the first acknowledgement of a record sent after it is
 *     printed (target < 3 s with default settings: every node runs with
 *     Kafka's defaults, broker.session.timeout.ms=9000 included — a killed
 *     broker's closed connection to the controller fences it sooner).
 *
 * Usage: bench_cluster [records, default 1000000] */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

extern char **environ;

static char sluice[PATH_MAX];
static char tmpdir[PATH_MAX - 64];
static int kport[3], rport[3];
static pid_t pids[3];
static char bootstrap[256], quorum[256];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_cluster: %s\n", what);
    for (int i = 0; i < 3; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
    exit(1);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
        die("no free port");
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static void start_node(int i)
{
    char id[16], listen[64], dir[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(id, sizeof id, "%d", i + 1);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", kport[i]);
    snprintf(dir, sizeof dir, "%s/d%d", tmpdir, i + 1);
    snprintf(log, sizeof log, "%s/node%d.log", tmpdir, i + 1);
    char *argv[] = {sluice, "broker", "--node-id", id, "--listen", listen, "--data-dir", dir,
                    "--controller-quorum", quorum, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (posix_spawn(&pids[i], sluice, &fa, NULL, argv, environ) != 0)
        die("cannot start a broker");
    posix_spawn_file_actions_destroy(&fa);
}

/* Runs a command, returns its stdout (malloc'd) or NULL on failure. */
static char *run(char *const argv[])
{
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    pid_t pid;
    int e = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (e != 0) {
        close(fds[0]);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    ssize_t n;
    while (out && (n = read(fds[0], out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 512) {
            char *bigger = realloc(out, cap *= 2);
            if (!bigger) {
                free(out);
                out = NULL;
            } else
                out = bigger;
        }
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (out)
        out[len] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int controller_id = -1; /* as the last leader_of saw it */

/* The leader of topic's partition 0 (cluster status), -1 when unknown. */
static int leader_of(const char *topic)
{
    char *argv[] = {sluice, "cluster", "status", "--bootstrap", bootstrap, "--timeout-ms", "3000", NULL};
    char *out = run(argv);
    int leader = -1;
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char t[256];
        int p, l;
        const char *ctl = strstr(line, "controller ");
        if (strncmp(line, "cluster ", 8) == 0 && ctl)
            controller_id = atoi(ctl + strlen("controller "));
        if (sscanf(line, "%255s %d %d", t, &p, &l) == 3 && strcmp(t, topic) == 0 && p == 0)
            leader = l;
    }
    free(out);
    return leader;
}

static double produce_rate(const char *topic, const char *acks, const char *records)
{
    char *argv[] = {sluice, "bench", "produce", "--topic", (char *)topic, "--records", (char *)records, "--acks",
                    (char *)acks, "--bootstrap", bootstrap, NULL};
    char *out = run(argv);
    if (!out)
        die("sluice bench produce failed");
    fputs(out, stdout);
    char *p = strstr(out, "records sent, ");
    double rps = p ? atof(p + strlen("records sent, ")) : 0;
    free(out);
    return rps;
}

static _Atomic double first_ack_after;
static double kill_at;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    double sent = *(const double *)m->payload;
    if (!m->err && kill_at > 0 && sent > kill_at && atomic_load(&first_ack_after) == 0)
        atomic_store(&first_ack_after, now_ms());
}

static double failover_ms(const char *topic)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err);
    rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof err);
    rd_kafka_conf_set(conf, "topic.metadata.refresh.interval.ms", "1000", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk)
        die(err);
    double start = now_ms();
    int leader = -1;
    for (;;) {
        double t = now_ms();
        if (kill_at == 0 && t - start > 2000) {
            leader = leader_of(topic);
            if (leader < 1)
                die("no leader to kill");
            kill(pids[leader - 1], SIGKILL);
            waitpid(pids[leader - 1], NULL, 0);
            pids[leader - 1] = 0;
            kill_at = now_ms();
        }
        if (atomic_load(&first_ack_after) > 0 || (kill_at > 0 && t - kill_at > 60000))
            break;
        double payload = now_ms();
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_VALUE(&payload, sizeof payload), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END);
        rd_kafka_poll(rk, 1);
    }
    rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(rk, 2000);
    rd_kafka_destroy(rk);
    double first = atomic_load(&first_ack_after);
    printf("failover: leader (node %d%s) of %s-0 killed; first acks=all write acknowledged %.0f ms later\n", leader,
           leader == controller_id ? ", the active controller too" : "", topic, first > 0 ? first - kill_at : -1.0);
    return first > 0 ? first - kill_at : -1;
}

int main(int argc, char **argv)
{
    const char *records = argc > 1 ? argv[1] : "1000000";
    const char *env = getenv("SLUICE");
    if (env && *env) {
        snprintf(sluice, sizeof sluice, "%s", env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            die("cannot find my own path (set SLUICE=path/to/sluice)");
        self[n] = '\0';
        snprintf(sluice, sizeof sluice, "%s/sluice", dirname(self));
    }
    if (access(sluice, X_OK) != 0)
        die("no sluice binary next to this one (set SLUICE)");
    snprintf(tmpdir, sizeof tmpdir, "%s/sluice-bench-cluster-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        die("mkdtemp");
    for (int i = 0; i < 3; i++) {
        kport[i] = free_port();
        rport[i] = free_port();
    }
    snprintf(bootstrap, sizeof bootstrap, "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", kport[0], kport[1], kport[2]);
    snprintf(quorum, sizeof quorum, "1@127.0.0.1:%d,2@127.0.0.1:%d,3@127.0.0.1:%d", rport[0], rport[1], rport[2]);
    for (int i = 0; i < 3; i++)
        start_node(i);
    char *status[] = {sluice, "cluster", "status", "--bootstrap", bootstrap, "--timeout-ms", "3000", NULL};
    int ready = 0;
    for (int i = 0; i < 300 && !ready; i++) {
        char *out = run(status);
        ready = out && strstr(out, "3 broker(s)");
        free(out);
        if (!ready)
            usleep(100000);
    }
    if (!ready)
        die("the cluster did not form within 30 s");
    char *mk1[] = {sluice, "topic", "create", "rf1", "--partitions", "1", "--replication-factor", "1",
                   "--bootstrap", bootstrap, NULL};
    char *mk3[] = {sluice, "topic", "create", "rf3", "--partitions", "1", "--replication-factor", "3",
                   "--config", "min.insync.replicas=2", "--bootstrap", bootstrap, NULL};
    char *mkf[] = {sluice, "topic", "create", "failover", "--partitions", "1", "--replication-factor", "3",
                   "--config", "min.insync.replicas=2", "--bootstrap", bootstrap, NULL};
    char *o1 = run(mk1), *o3 = run(mk3), *of = run(mkf);
    if (!o1 || !o3 || !of)
        die("cannot create the topics");
    free(o1), free(o3), free(of);
    usleep(500000);
    printf("cluster of 3 nodes (%s); %s records of 100 bytes each\n", bootstrap, records);
    double r1 = produce_rate("rf1", "1", records);
    double r3 = produce_rate("rf3", "all", records);
    printf("replication: RF=3 acks=all / RF=1 acks=1 = %.2f (Kafka 2014: 0.51; target >= 0.6)\n",
           r1 > 0 ? r3 / r1 : 0);
    printf("failover (default settings: broker.session.timeout.ms=9000, controller.quorum.election.timeout.ms=1000):\n");
    failover_ms("failover");
    for (int i = 0; i < 3; i++)
        if (pids[i] > 0) {
            kill(pids[i], SIGTERM);
            waitpid(pids[i], NULL, 0);
        }
    char *rm[] = {"/bin/rm", "-rf", tmpdir, NULL};
    free(run(rm));
    return 0;
}
