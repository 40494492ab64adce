/* test_net.c — the network layer over real sockets on 127.0.0.1: framing,
 * ordering with pipelining and out-of-order answers, muting, back-pressure,
 * oversized and broken frames, sendfile responses, disconnects, idle
 * connections, listener errors and shutdown.
 *
 * Requests carry a one-byte command that the test handler obeys:
 *   E echo   N respond_none   C close   S sleep, then echo
 *   H hold (the test answers)   D defer to a responder thread that answers
 *   out of order across connections   F a response with file ranges
 * Handler and client threads never call cmocka asserts (they longjmp); they
 * count failures that the test thread checks. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/net/net.h"
#include "common/trace.h"

/* ---- helpers ------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Polls cond for up to 15 s: generous for a loaded machine. */
#define WAIT_UNTIL(cond)                                        \
    do {                                                        \
        int64_t wait_end_ = now_ms() + 15000;                   \
        while (!(cond) && now_ms() < wait_end_)                 \
            sleep_ms(2);                                        \
        if (!(cond))                                            \
            fail_msg("timed out waiting for %s", #cond);        \
    } while (0)

/* Trace lines are captured so tests can look for warnings (and stderr stays quiet). */
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;
static char trace_text[16384];

static void trace_sink(void *opaque, sl_trace_level_t level, const char *component,
                       const char *line)
{
    (void)opaque, (void)level;
    pthread_mutex_lock(&trace_mu);
    size_t n = strlen(trace_text);
    snprintf(trace_text + n, sizeof trace_text - n, "%s: %s\n", component, line);
    pthread_mutex_unlock(&trace_mu);
}

static bool trace_has(const char *a, const char *b)
{
    pthread_mutex_lock(&trace_mu);
    bool found = false;
    for (const char *line = trace_text; line && *line && !found;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[1200];
        snprintf(buf, sizeof buf, "%.*s", (int)n, line);
        found = strstr(buf, a) && (!b || strstr(buf, b));
        line = end ? end + 1 : NULL;
    }
    pthread_mutex_unlock(&trace_mu);
    return found;
}

/* ---- client side ---------------------------------------------------------------------- */

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = {20, 0}; /* a stuck test fails instead of hanging */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w, n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r, n -= (size_t)r;
    }
    return 0;
}

/* Appends one frame (size prefix + payload) to out. */
static size_t put_frame(uint8_t *out, const void *payload, size_t n)
{
    sl_store_be32(out, (uint32_t)n);
    memcpy(out + 4, payload, n);
    return 4 + n;
}

static int send_frame(int fd, const void *payload, size_t n)
{
    uint8_t *b = malloc(4 + n);
    if (!b)
        return -1;
    int rc = write_all(fd, b, put_frame(b, payload, n));
    free(b);
    return rc;
}

static int send_str(int fd, const char *s) { return send_frame(fd, s, strlen(s)); }

/* Reads one frame into a malloc'd buffer; NULL on EOF or error. */
static uint8_t *recv_frame(int fd, size_t *len)
{
    uint8_t hdr[4];
    if (read_all(fd, hdr, 4))
        return NULL;
    *len = sl_load_be32(hdr);
    uint8_t *b = malloc(*len + 1);
    if (!b || read_all(fd, b, *len)) {
        free(b);
        return NULL;
    }
    b[*len] = 0;
    return b;
}

static void expect_frame(int fd, const char *want)
{
    size_t len;
    uint8_t *got = recv_frame(fd, &len);
    if (!got)
        fail_msg("no response (wanted \"%s\"): %s", want, strerror(errno));
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len);
    free(got);
}

/* The server closed the connection: EOF (or a reset) before the timeout. */
static bool closed_by_server(int fd)
{
    uint8_t b[256];
    for (;;) {
        ssize_t r = read(fd, b, sizeof b);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            return true;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return false; /* the receive timeout */
    }
}

/* ---- the server fixture ----------------------------------------------------------------- */

#define MAX_IDS 4096
#define FILE_LEN (20u << 20)
#define MEM_MID (1u << 20)

typedef struct fx {
    sl_net_t *net;
    int port;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sl_net_request_t *held[64];
    int nheld;
    sl_net_request_t *deferred[MAX_IDS];
    int ndeferred;
    bool stop;
    pthread_t responder;
    atomic_int inflight[MAX_IDS];
    atomic_int violations; /* two requests of one connection in the handler at once */
    atomic_int handled;
    atomic_int released;
    atomic_int big_responses;
    int slow_ms;
    int file_fd;
    char dir[256];
    int fds_before;
} fx_t;

static void on_release(void *opaque) { atomic_fetch_add(&((fx_t *)opaque)->released, 1); }

/* Marks req's connection free again: before answering, since the answer
 * lets the next request of the connection in. */
static void done(fx_t *f, sl_net_request_t *req)
{
    atomic_store(&f->inflight[sl_net_request_conn(req) % MAX_IDS], 0);
}

static void respond_echo(fx_t *f, sl_net_request_t *req)
{
    size_t len;
    const uint8_t *d = sl_net_request_data(req, &len);
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    if (sl_outbuf_append(&ob, d, len))
        abort();
    done(f, req);
    sl_net_respond(req, &ob);
    if (ob.total || ob.nsegs) /* consumed */
        atomic_fetch_add(&f->violations, 1);
}

static uint8_t mid_byte(size_t i) { return (uint8_t)(i * 7 + 3); }

/* "head" + the whole file + 1 MiB of memory + file bytes [100, 1100) + "tail". */
static void make_file_response(fx_t *f, sl_outbuf_t *ob)
{
    if (sl_outbuf_append(ob, "head", 4) ||
        sl_outbuf_add_file(ob, f->file_fd, 0, FILE_LEN, on_release, f))
        abort();
    uint8_t *mid = sl_outbuf_extend(ob, MEM_MID);
    if (!mid)
        abort();
    for (size_t i = 0; i < MEM_MID; i++)
        mid[i] = mid_byte(i);
    if (sl_outbuf_add_file(ob, f->file_fd, 100, 1000, on_release, f) ||
        sl_outbuf_append(ob, "tail", 4))
        abort();
}

static void handler(void *opaque, sl_net_request_t *req)
{
    fx_t *f = opaque;
    size_t len;
    const uint8_t *d = sl_net_request_data(req, &len);
    if (atomic_exchange(&f->inflight[sl_net_request_conn(req) % MAX_IDS], 1))
        atomic_fetch_add(&f->violations, 1);
    atomic_fetch_add(&f->handled, 1);
    char cmd = len ? (char)d[0] : 'E';
    switch (cmd) {
    case 'E':
        respond_echo(f, req);
        break;
    case 'N':
        done(f, req);
        sl_net_respond_none(req);
        break;
    case 'S':
        sleep_ms(f->slow_ms);
        respond_echo(f, req);
        break;
    case 'H':
    case 'D':
        pthread_mutex_lock(&f->mu);
        if (cmd == 'H')
            f->held[f->nheld++] = req;
        else
            f->deferred[f->ndeferred++] = req;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        break;
    case 'F': {
        sl_outbuf_t ob = SL_OUTBUF_INIT;
        make_file_response(f, &ob);
        atomic_fetch_add(&f->big_responses, 1);
        done(f, req);
        sl_net_respond(req, &ob);
        break;
    }
    default: /* C, and anything we cannot parse */
        done(f, req);
        sl_net_close(req);
        break;
    }
}

/* Answers deferred requests in batches, last first, so that answers cross
 * between connections; stops when told, after answering everything. */
static void *responder_main(void *arg)
{
    fx_t *f = arg;
    sl_net_request_t *batch[MAX_IDS];
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->ndeferred && !f->stop)
            pthread_cond_wait(&f->cv, &f->mu);
        if (!f->ndeferred && f->stop)
            break;
        int n = f->ndeferred;
        memcpy(batch, f->deferred, (size_t)n * sizeof *batch);
        f->ndeferred = 0;
        pthread_mutex_unlock(&f->mu);
        for (int i = n - 1; i >= 0; i--)
            respond_echo(f, batch[i]);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static sl_net_config_t small_config(void)
{
    sl_net_config_t cfg = sl_net_config_default();
    snprintf(cfg.host, sizeof cfg.host, "127.0.0.1");
    cfg.port = 0;
    cfg.num_network_threads = 2;
    cfg.num_io_threads = 3;
    return cfg;
}

static int count_entries(const char *path)
{
    DIR *dir = opendir(path);
    assert_non_null(dir);
    int n = 0;
    while (readdir(dir))
        n++;
    closedir(dir);
    return n;
}

/* Threads of this process whose name starts with prefix. */
static int count_threads(const char *prefix)
{
    DIR *dir = opendir("/proc/self/task");
    assert_non_null(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], name[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *fp = fopen(path, "r");
        if (!fp)
            continue;
        if (fgets(name, sizeof name, fp) && !strncmp(name, prefix, strlen(prefix)))
            n++;
        fclose(fp);
    }
    closedir(dir);
    return n;
}

static fx_t *fx_start(const sl_net_config_t *cfg)
{
    fx_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->fds_before = count_entries("/proc/self/fd");
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->file_fd = -1;
    pthread_mutex_lock(&trace_mu);
    trace_text[0] = 0;
    pthread_mutex_unlock(&trace_mu);
    sl_trace_set_sink(trace_sink, NULL, SL_TRACE_WARN);
    sl_net_config_t c = cfg ? *cfg : small_config();
    char err[256] = "";
    sl_err_t e = sl_net_start(&c, handler, f, &f->net, err, sizeof err);
    if (e)
        fail_msg("sl_net_start: %s: %s", sl_err_name(e), err);
    f->port = sl_net_port(f->net);
    assert_true(f->port > 0);
    assert_int_equal(pthread_create(&f->responder, NULL, responder_main, f), 0);
    return f;
}

/* Takes a request held by the handler, waiting for it. */
static sl_net_request_t *fx_take_held(fx_t *f)
{
    int64_t end = now_ms() + 15000;
    sl_net_request_t *req = NULL;
    while (!req && now_ms() < end) {
        pthread_mutex_lock(&f->mu);
        if (f->nheld)
            req = f->held[--f->nheld];
        pthread_mutex_unlock(&f->mu);
        if (!req)
            sleep_ms(2);
    }
    if (!req)
        fail_msg("the handler holds no request");
    return req;
}

static void fx_stop(fx_t *f)
{
    sl_net_shutdown(f->net);
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->responder, NULL);
    assert_int_equal(f->nheld, 0);
    sl_net_destroy(f->net);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);
    assert_int_equal(atomic_load(&f->violations), 0);
    if (f->file_fd >= 0)
        close(f->file_fd);
    if (f->dir[0]) {
        char *dir = strdup(f->dir);
        sl_test_rmdir(dir);
    }
    /* Every thread joined and every descriptor closed (the tests close
     * their clients first). pthread_join returns when the kernel clears
     * the thread's id, a moment before the thread leaves /proc/self/task:
     * under load (CI, ASan) a joined thread can still be listed, so wait. */
    WAIT_UNTIL(count_threads("sl-") == 0);
    assert_int_equal(count_entries("/proc/self/fd"), f->fds_before);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

static sl_net_stats_t stats(fx_t *f)
{
    sl_net_stats_t st;
    sl_net_get_stats(f->net, &st);
    return st;
}

/* The file behind 'F' responses: FILE_LEN bytes of a known pattern. */
static uint8_t file_byte(size_t i) { return (uint8_t)((i >> 8) ^ (i * 13)); }

static void fx_make_file(fx_t *f)
{
    char *dir = sl_test_mkdtemp();
    snprintf(f->dir, sizeof f->dir, "%s", dir);
    free(dir);
    char path[300];
    snprintf(path, sizeof path, "%s/segment.log", f->dir);
    uint8_t *data = malloc(FILE_LEN);
    assert_non_null(data);
    for (size_t i = 0; i < FILE_LEN; i++)
        data[i] = file_byte(i);
    sl_test_write_file(path, data, FILE_LEN);
    free(data);
    f->file_fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(f->file_fd >= 0);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void echo_round_trip(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    assert_int_equal(send_str(fd, "Ehello"), 0);
    expect_frame(fd, "Ehello");
    /* An empty frame is a (short) request too. */
    assert_int_equal(send_frame(fd, "", 0), 0);
    expect_frame(fd, "");
    /* The handler sees the client's address. */
    assert_int_equal(send_str(fd, "Hpeer"), 0);
    sl_net_request_t *req = fx_take_held(f);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &ml);
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d", ntohs(me.sin_port));
    assert_string_equal(sl_net_request_peer(req), want);
    assert_true(sl_net_request_conn(req) > 0);
    size_t len;
    const uint8_t *d = sl_net_request_data(req, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(d, "Hpeer", 5);
    done(f, req);
    sl_net_respond(req, NULL);
    expect_frame(fd, "");

    /* The threads carry their names: 2 processors, 3 handlers, 1 acceptor. */
    assert_int_equal(count_threads("sl-net-proc-"), 2);
    assert_int_equal(count_threads("sl-io-"), 3);
    assert_int_equal(count_threads("sl-net-accept"), 1);

    sl_net_stats_t st = stats(f);
    assert_int_equal(st.connections_accepted, 1);
    assert_int_equal(st.connections_open, 1);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.bytes_in, (4 + 6) + 4 + (4 + 5));
    WAIT_UNTIL(stats(f).bytes_out == (4 + 6) + 4 + 4);
    close(fd);
    WAIT_UNTIL(stats(f).connections_open == 0);
    fx_stop(f);
}

/* ---- many clients, pipelined, answered out of order ---- */

#define MC_CONNS 50
#define MC_REQS 200
#define MC_THREADS 5
#define MC_WINDOW 4

typedef struct mc_client {
    int port, index;
    atomic_int *errors;
} mc_client_t;

static void *mc_client_main(void *arg)
{
    mc_client_t *cl = arg;
    int fds[MC_CONNS], idx[MC_CONNS], n = 0;
    for (int c = cl->index; c < MC_CONNS; c += MC_THREADS) {
        idx[n] = c;
        fds[n] = connect_to(cl->port);
        if (fds[n] < 0) {
            atomic_fetch_add(cl->errors, 1);
            goto out;
        }
        n++;
    }
    uint64_t rnd = (uint64_t)cl->index + 1;
    for (int base = 0; base < MC_REQS; base += MC_WINDOW) {
        for (int k = 0; k < n; k++) {
            uint8_t buf[MC_WINDOW * (4 + 9 + 300)];
            size_t off = 0;
            for (int s = base; s < base + MC_WINDOW; s++) {
                uint8_t p[9 + 300];
                p[0] = 'D';
                sl_store_be32(p + 1, (uint32_t)idx[k]);
                sl_store_be32(p + 5, (uint32_t)s);
                size_t pad = sl_test_rand(&rnd) % 300;
                memset(p + 9, (int)(s & 0xff), pad);
                off += put_frame(buf + off, p, 9 + pad);
            }
            if (write_all(fds[k], buf, off))
                atomic_fetch_add(cl->errors, 1);
        }
        for (int k = 0; k < n; k++)
            for (int s = base; s < base + MC_WINDOW; s++) {
                size_t len;
                uint8_t *r = recv_frame(fds[k], &len);
                if (!r || len < 9 || r[0] != 'D' || sl_load_be32(r + 1) != (uint32_t)idx[k] ||
                    sl_load_be32(r + 5) != (uint32_t)s)
                    atomic_fetch_add(cl->errors, 1);
                for (size_t i = 9; r && i < len; i++)
                    if (r[i] != (uint8_t)(s & 0xff)) {
                        atomic_fetch_add(cl->errors, 1);
                        break;
                    }
                free(r);
                if (!r)
                    goto out;
            }
    }
out:
    for (int k = 0; k < n; k++)
        close(fds[k]);
    return NULL;
}

static void many_clients_in_order(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.num_network_threads = 3;
    cfg.num_io_threads = 4;
    fx_t *f = fx_start(&cfg);
    atomic_int errors = 0;
    pthread_t th[MC_THREADS];
    mc_client_t cl[MC_THREADS];
    for (int t = 0; t < MC_THREADS; t++) {
        cl[t] = (mc_client_t){f->port, t, &errors};
        assert_int_equal(pthread_create(&th[t], NULL, mc_client_main, &cl[t]), 0);
    }
    for (int t = 0; t < MC_THREADS; t++)
        pthread_join(th[t], NULL);
    assert_int_equal(atomic_load(&errors), 0);
    assert_int_equal(atomic_load(&f->violations), 0);
    sl_net_stats_t st = stats(f);
    assert_int_equal(st.connections_accepted, MC_CONNS);
    assert_int_equal(st.requests, MC_CONNS * MC_REQS);
    WAIT_UNTIL(stats(f).connections_open == 0);
    fx_stop(f);
}

static void pipelined_requests(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    /* Ten requests in one write; two answered with nothing. */
    uint8_t buf[512];
    size_t off = 0;
    char p[16];
    for (int i = 0; i < 10; i++) {
        snprintf(p, sizeof p, "%c%d", i == 3 || i == 7 ? 'N' : 'D', i);
        off += put_frame(buf + off, p, strlen(p));
    }
    assert_int_equal(write_all(fd, buf, off), 0);
    for (int i = 0; i < 10; i++) {
        if (i == 3 || i == 7)
            continue;
        snprintf(p, sizeof p, "D%d", i);
        expect_frame(fd, p);
    }
    /* Still served after that. */
    assert_int_equal(send_str(fd, "Eafter"), 0);
    expect_frame(fd, "Eafter");
    assert_int_equal(atomic_load(&f->handled), 11);
    assert_int_equal(atomic_load(&f->violations), 0);
    close(fd);
    fx_stop(f);
}

typedef struct delayed {
    fx_t *f;
    sl_net_request_t *req;
} delayed_t;

static void *delayed_main(void *arg)
{
    delayed_t *dl = arg;
    sleep_ms(200);
    respond_echo(dl->f, dl->req);
    return NULL;
}

static void delayed_response_from_another_thread(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    int64_t t0 = now_ms();
    assert_int_equal(send_str(fd, "Hslow"), 0);
    /* Sent while the first is held: must wait its turn. */
    assert_int_equal(send_str(fd, "Equick"), 0);
    delayed_t dl = {f, fx_take_held(f)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, delayed_main, &dl), 0);
    expect_frame(fd, "Hslow");
    assert_true(now_ms() - t0 >= 190);
    expect_frame(fd, "Equick");
    pthread_join(th, NULL);
    close(fd);
    fx_stop(f);
}

static void respond_none_then_next(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    assert_int_equal(send_str(fd, "Nproduce acks=0"), 0);
    assert_int_equal(send_str(fd, "Enext"), 0);
    expect_frame(fd, "Enext");
    assert_int_equal(send_str(fd, "Nagain"), 0);
    WAIT_UNTIL(atomic_load(&f->handled) == 3);
    assert_int_equal(send_str(fd, "Elast"), 0);
    expect_frame(fd, "Elast");
    close(fd);
    fx_stop(f);
}

static void close_request(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    assert_int_equal(send_str(fd, "Eone"), 0);
    expect_frame(fd, "Eone");
    assert_int_equal(send_str(fd, "Cbad request"), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    WAIT_UNTIL(stats(f).connections_open == 0);
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Estill here"), 0);
    expect_frame(fd, "Estill here");
    close(fd);
    fx_stop(f);
}

static void oversized_frame_closes(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.socket_request_max_bytes = 1024;
    fx_t *f = fx_start(&cfg);
    int other = connect_to(f->port);
    assert_int_equal(send_str(other, "Ebefore"), 0);
    expect_frame(other, "Ebefore");

    int fd = connect_to(f->port);
    struct sockaddr_in me;
    socklen_t ml = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &ml);
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", ntohs(me.sin_port));
    uint8_t big[4 + 1025];
    memset(big, 'E', sizeof big);
    sl_store_be32(big, 1025);
    assert_int_equal(write_all(fd, big, sizeof big), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    WAIT_UNTIL(stats(f).closed_oversized == 1);
    assert_true(trace_has(peer, "socket.request.max.bytes"));

    /* Exactly the maximum is fine. */
    fd = connect_to(f->port);
    sl_store_be32(big, 1024);
    assert_int_equal(write_all(fd, big, 4 + 1024), 0);
    size_t len;
    uint8_t *r = recv_frame(fd, &len);
    assert_non_null(r);
    assert_int_equal(len, 1024);
    free(r);
    close(fd);

    /* A negative size. */
    fd = connect_to(f->port);
    uint8_t neg[8] = {0xff, 0xff, 0xff, 0xfe, 'E', 'x', 'y', 'z'};
    assert_int_equal(write_all(fd, neg, sizeof neg), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    WAIT_UNTIL(stats(f).closed_oversized == 2);
    assert_true(trace_has("invalid frame size -2", NULL));

    /* The other connection never noticed. */
    assert_int_equal(send_str(other, "Eafter"), 0);
    expect_frame(other, "Eafter");
    assert_int_equal(atomic_load(&f->handled), 3);
    close(other);
    fx_stop(f);
}

static void tls_hello_on_plaintext_port(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL); /* the default 100 MiB limit */
    int fd = connect_to(f->port);
    /* The start of a TLS 1.2/1.3 ClientHello record. */
    const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
                             0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63};
    assert_int_equal(write_all(fd, hello, sizeof hello), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    WAIT_UNTIL(stats(f).closed_oversized == 1);
    assert_true(trace_has("127.0.0.1:", "TLS"));
    assert_int_equal(atomic_load(&f->handled), 0);
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Eplain"), 0);
    expect_frame(fd, "Eplain");
    close(fd);
    fx_stop(f);
}

static void garbage_and_truncated_frames(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    /* A frame cut short, then the peer is gone: no request, connection closed. */
    int fd = connect_to(f->port);
    uint8_t part[4 + 10];
    sl_store_be32(part, 100);
    memset(part + 4, 'E', 10);
    assert_int_equal(write_all(fd, part, sizeof part), 0);
    shutdown(fd, SHUT_WR);
    assert_true(closed_by_server(fd));
    close(fd);
    /* Half a size prefix. */
    fd = connect_to(f->port);
    assert_int_equal(write_all(fd, "\0\0", 2), 0);
    shutdown(fd, SHUT_WR);
    assert_true(closed_by_server(fd));
    close(fd);
    /* A complete frame of garbage: the handler closes the connection. */
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "\x7f\x01garbage\xff"), 0);
    assert_true(closed_by_server(fd));
    close(fd);
    /* Complete frames, then a truncated one and a half-close: the complete
     * ones are answered first. */
    fd = connect_to(f->port);
    uint8_t buf[64];
    size_t off = put_frame(buf, "Ea", 2);
    off += put_frame(buf + off, "Eb", 2);
    sl_store_be32(buf + off, 50);
    off += 4;
    memcpy(buf + off, "Etrunc", 6);
    off += 6;
    assert_int_equal(write_all(fd, buf, off), 0);
    shutdown(fd, SHUT_WR);
    expect_frame(fd, "Ea");
    expect_frame(fd, "Eb");
    assert_true(closed_by_server(fd));
    close(fd);

    WAIT_UNTIL(stats(f).connections_open == 0);
    assert_int_equal(atomic_load(&f->handled), 3);
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Efine"), 0);
    expect_frame(fd, "Efine");
    close(fd);
    fx_stop(f);
}

static void slow_sender(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    int fd = connect_to(f->port);
    char payload[201];
    payload[0] = 'E';
    for (int i = 1; i < 201; i++)
        payload[i] = (char)('a' + i % 26);
    uint8_t frame[4 + 201];
    size_t n = put_frame(frame, payload, sizeof payload);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(write_all(fd, frame + i, 1), 0);
        if (i % 8 == 0)
            sleep_ms(1);
    }
    size_t len;
    uint8_t *r = recv_frame(fd, &len);
    assert_non_null(r);
    assert_int_equal(len, sizeof payload);
    assert_memory_equal(r, payload, len);
    free(r);
    assert_int_equal(atomic_load(&f->handled), 1);
    close(fd);
    fx_stop(f);
}

/* Reads an 'F' response and checks every byte. */
static void expect_file_response(int fd)
{
    uint8_t hdr[4];
    assert_int_equal(read_all(fd, hdr, 4), 0);
    size_t total = 4 + FILE_LEN + MEM_MID + 1000 + 4;
    assert_int_equal(sl_load_be32(hdr), total);
    uint8_t *b = malloc(total);
    assert_non_null(b);
    assert_int_equal(read_all(fd, b, total), 0);
    assert_memory_equal(b, "head", 4);
    size_t at = 4;
    for (size_t i = 0; i < FILE_LEN; i++)
        if (b[at + i] != file_byte(i))
            fail_msg("file byte %zu differs", i);
    at += FILE_LEN;
    for (size_t i = 0; i < MEM_MID; i++)
        if (b[at + i] != mid_byte(i))
            fail_msg("memory byte %zu differs", i);
    at += MEM_MID;
    for (size_t i = 0; i < 1000; i++)
        if (b[at + i] != file_byte(100 + i))
            fail_msg("second range byte %zu differs", i);
    at += 1000;
    assert_memory_equal(b + at, "tail", 4);
    free(b);
}

static void big_response_with_file_ranges(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.socket_send_buffer_bytes = 64 * 1024; /* many partial writes */
    fx_t *f = fx_start(&cfg);
    fx_make_file(f);
    int fd = connect_to(f->port);
    int rcv = 32 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    assert_int_equal(send_str(fd, "F"), 0);
    sleep_ms(50); /* let the server fill the socket and wait for EPOLLOUT */
    expect_file_response(fd);
    WAIT_UNTIL(atomic_load(&f->released) == 2);
    /* The connection is unmuted after the big response. */
    assert_int_equal(send_str(fd, "Enext"), 0);
    expect_frame(fd, "Enext");
    assert_int_equal(send_str(fd, "F"), 0);
    expect_file_response(fd);
    WAIT_UNTIL(atomic_load(&f->released) == 4);
    close(fd);
    fx_stop(f);
    /* fx_stop freed f; nothing else may release. */
}

/* Closes with a reset (SO_LINGER 0), so the server sees it at once. */
static void abort_connection(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static void peer_gone_while_handled(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    fx_make_file(f);

    /* Reset while held: the connection closes at once; the answer is dropped. */
    int fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Hwait"), 0);
    sl_net_request_t *req = fx_take_held(f);
    abort_connection(fd);
    WAIT_UNTIL(stats(f).connections_open == 0);
    size_t len;
    const uint8_t *d = sl_net_request_data(req, &len); /* still valid */
    assert_int_equal(len, 5);
    assert_memory_equal(d, "Hwait", 5);
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    make_file_response(f, &ob);
    done(f, req);
    sl_net_respond(req, &ob);
    WAIT_UNTIL(atomic_load(&f->released) == 2);

    /* A plain close while held: the answer is written or dropped, released once. */
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Hwait"), 0);
    req = fx_take_held(f);
    close(fd);
    make_file_response(f, &ob);
    done(f, req);
    sl_net_respond(req, &ob);
    WAIT_UNTIL(atomic_load(&f->released) == 4);
    WAIT_UNTIL(stats(f).connections_open == 0);

    /* Reset in the middle of a big response being written. */
    fd = connect_to(f->port);
    int rcv = 16 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    assert_int_equal(send_str(fd, "F"), 0);
    uint8_t some[1000];
    assert_int_equal(read_all(fd, some, sizeof some), 0);
    abort_connection(fd);
    WAIT_UNTIL(stats(f).connections_open == 0);
    WAIT_UNTIL(atomic_load(&f->released) == 6);

    /* Respond_none and close for a gone peer too. */
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Hx"), 0);
    req = fx_take_held(f);
    int fd2 = connect_to(f->port);
    assert_int_equal(send_str(fd2, "Hy"), 0);
    sl_net_request_t *req2 = fx_take_held(f);
    abort_connection(fd);
    abort_connection(fd2);
    WAIT_UNTIL(stats(f).connections_open == 0);
    done(f, req);
    sl_net_respond_none(req);
    done(f, req2);
    sl_net_close(req2);

    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Estill"), 0);
    expect_frame(fd, "Estill");
    close(fd);
    fx_stop(f);
}

static void idle_connection_closed(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.connections_max_idle_ms = 200;
    fx_t *f = fx_start(&cfg);
    int fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Eping"), 0);
    expect_frame(fd, "Eping");
    int64_t t0 = now_ms();
    assert_true(closed_by_server(fd));
    assert_true(now_ms() - t0 >= 150);
    close(fd);
    assert_int_equal(stats(f).closed_idle, 1);

    /* A request in flight is not idleness, however long it takes. */
    fd = connect_to(f->port);
    assert_int_equal(send_str(fd, "Hlong"), 0);
    sl_net_request_t *req = fx_take_held(f);
    sleep_ms(700);
    respond_echo(f, req);
    expect_frame(fd, "Hlong");
    assert_int_equal(stats(f).closed_idle, 1);
    assert_true(closed_by_server(fd)); /* and idle again afterwards */
    close(fd);
    assert_int_equal(stats(f).closed_idle, 2);
    fx_stop(f);
}

#define BP_CONNS 8
#define BP_REQS 6

static void queue_back_pressure(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.queued_max_requests = 1;
    cfg.num_io_threads = 1;
    fx_t *f = fx_start(&cfg);
    f->slow_ms = 3;
    int fds[BP_CONNS];
    for (int c = 0; c < BP_CONNS; c++) {
        fds[c] = connect_to(f->port);
        assert_true(fds[c] >= 0);
        uint8_t buf[BP_REQS * 32];
        size_t off = 0;
        for (int i = 0; i < BP_REQS; i++) {
            char p[32];
            snprintf(p, sizeof p, "S%d.%d", c, i);
            off += put_frame(buf + off, p, strlen(p));
        }
        assert_int_equal(write_all(fds[c], buf, off), 0);
    }
    for (int c = 0; c < BP_CONNS; c++)
        for (int i = 0; i < BP_REQS; i++) {
            char p[32];
            snprintf(p, sizeof p, "S%d.%d", c, i);
            expect_frame(fds[c], p);
        }
    assert_int_equal(atomic_load(&f->handled), BP_CONNS * BP_REQS);
    assert_int_equal(stats(f).requests, BP_CONNS * BP_REQS);
    for (int c = 0; c < BP_CONNS; c++)
        close(fds[c]);
    fx_stop(f);
}

static void listener_addresses_and_errors(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    sl_net_config_t cfg = small_config();
    cfg.port = f->port;
    sl_net_t *other = NULL;
    char err[256] = "";
    assert_int_equal(sl_net_start(&cfg, handler, f, &other, err, sizeof err), SL_ERR_IO);
    assert_null(other);
    char want[128];
    snprintf(want, sizeof want, "127.0.0.1:%d: address already in use", f->port);
    assert_string_equal(err, want);

    cfg = small_config();
    cfg.num_io_threads = 0;
    assert_int_equal(sl_net_start(&cfg, handler, f, &other, err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "num.io.threads"));
    fx_stop(f);

    /* "" is every interface: reachable through 127.0.0.1, which the peer
     * address shows as IPv4 even on a dual-stack socket. */
    cfg = small_config();
    cfg.host[0] = 0;
    f = fx_start(&cfg);
    int fd = connect_to(f->port);
    assert_true(fd >= 0);
    assert_int_equal(send_str(fd, "Eany"), 0);
    expect_frame(fd, "Eany");
    assert_int_equal(send_str(fd, "Hpeer"), 0);
    sl_net_request_t *req = fx_take_held(f);
    assert_memory_equal(sl_net_request_peer(req), "127.0.0.1:", 10);
    respond_echo(f, req);
    expect_frame(fd, "Hpeer");
    close(fd);
    fx_stop(f);

    /* An IPv6 literal, where the host has IPv6. */
    cfg = small_config();
    snprintf(cfg.host, sizeof cfg.host, "::1");
    int s6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (s6 < 0 || bind(s6, (struct sockaddr *)&lo6, sizeof lo6) != 0) {
        print_message("no IPv6 loopback; skipping that part\n");
        if (s6 >= 0)
            close(s6);
        return;
    }
    close(s6);
    f = fx_start(&cfg);
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    lo6.sin6_port = htons((uint16_t)f->port);
    assert_int_equal(connect(fd, (struct sockaddr *)&lo6, sizeof lo6), 0);
    assert_int_equal(send_str(fd, "Hpeer6"), 0);
    req = fx_take_held(f);
    assert_memory_equal(sl_net_request_peer(req), "[::1]:", 6);
    respond_echo(f, req);
    expect_frame(fd, "Hpeer6");
    close(fd);
    fx_stop(f);
}

static void shutdown_with_held_request(void **state)
{
    (void)state;
    sl_net_config_t cfg = small_config();
    cfg.num_io_threads = 1;
    fx_t *f = fx_start(&cfg);
    fx_make_file(f);
    f->slow_ms = 500;
    int held = connect_to(f->port);
    assert_int_equal(send_str(held, "Hheld"), 0);
    sl_net_request_t *req = fx_take_held(f);
    /* The only handler thread sleeps on one request while two more queue. */
    int slow = connect_to(f->port);
    assert_int_equal(send_str(slow, "Sslow"), 0);
    WAIT_UNTIL(atomic_load(&f->handled) == 2);
    int q1 = connect_to(f->port), q2 = connect_to(f->port);
    assert_int_equal(send_str(q1, "Eq1"), 0);
    assert_int_equal(send_str(q2, "Eq2"), 0);
    WAIT_UNTIL(stats(f).requests == 4);

    sl_net_shutdown(f->net);
    assert_int_equal(atomic_load(&f->handled), 2); /* the queued two were dropped */
    assert_true(closed_by_server(q1));
    assert_true(closed_by_server(q2));
    /* The held request stays valid; its answer is dropped and freed. */
    size_t len;
    const uint8_t *d = sl_net_request_data(req, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(d, "Hheld", 5);
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    make_file_response(f, &ob);
    done(f, req);
    sl_net_respond(req, &ob);
    assert_true(closed_by_server(held));
    WAIT_UNTIL(atomic_load(&f->released) == 2);
    /* No new connections. */
    assert_true(connect_to(f->port) < 0);
    close(held), close(slow), close(q1), close(q2);
    fx_stop(f); /* sl_net_shutdown twice is fine */
}

/* accept hitting the descriptor limit backs off and recovers once fds free up. */
static void accept_emfile_backs_off(void **state)
{
    (void)state;
    fx_t *f = fx_start(NULL);
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int maxfd = 0;
    DIR *dir = opendir("/proc/self/fd");
    assert_non_null(dir);
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (atoi(e->d_name) > maxfd)
            maxfd = atoi(e->d_name);
    closedir(dir);
    struct rlimit lim = old;
    lim.rlim_cur = (rlim_t)maxfd + 16;
    if (lim.rlim_cur > old.rlim_cur) {
        fx_stop(f);
        skip();
    }
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    int fill[1024], nfill = 0;
    while (nfill < 1024) {
        int d = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (d < 0)
            break;
        fill[nfill++] = d;
    }
    assert_true(nfill > 2 && nfill < 1024);
    close(fill[--nfill]);           /* room for the client's socket only */
    int fd = connect_to(f->port);  /* completes in the backlog */
    assert_true(fd >= 0);
    WAIT_UNTIL(trace_has("accept: too many open files", NULL));
    assert_int_equal(stats(f).connections_accepted, 0);
    close(fill[--nfill]);
    close(fill[--nfill]);
    assert_int_equal(send_str(fd, "Elater"), 0);
    expect_frame(fd, "Elater");
    while (nfill)
        close(fill[--nfill]);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    close(fd);
    fx_stop(f);
}

SL_TEST_GROUP(net, cmocka_unit_test(echo_round_trip), cmocka_unit_test(many_clients_in_order),
              cmocka_unit_test(pipelined_requests),
              cmocka_unit_test(delayed_response_from_another_thread),
              cmocka_unit_test(respond_none_then_next), cmocka_unit_test(close_request),
              cmocka_unit_test(oversized_frame_closes),
              cmocka_unit_test(tls_hello_on_plaintext_port),
              cmocka_unit_test(garbage_and_truncated_frames), cmocka_unit_test(slow_sender),
              cmocka_unit_test(big_response_with_file_ranges),
              cmocka_unit_test(peer_gone_while_handled), cmocka_unit_test(idle_connection_closed),
              cmocka_unit_test(queue_back_pressure),
              cmocka_unit_test(listener_addresses_and_errors),
              cmocka_unit_test(shutdown_with_held_request),
              cmocka_unit_test(accept_emfile_backs_off))
