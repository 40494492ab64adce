/* quorum.c — the controller quorum on libraft (see quorum.h).
 *
 * libraft is single-threaded: everything it does happens on one libuv loop,
 * run here by a thread of the quorum's own. Other threads hand it work through
 * a queue and a uv_async_t; each waits on its request's condition variable
 * until the loop answers. */
#include "broker/meta/quorum.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "common/trace.h"

enum { SL__QREQ_APPLY, SL__QREQ_BARRIER };

typedef struct sl__qreq {
    int kind;
    uint8_t *data; /* raft_malloc'd: raft's once submitted */
    size_t len;
    struct raft_apply apply;
    struct raft_barrier barrier;
    int done;
    sl_err_t err;
    uint64_t index;
    pthread_cond_t cond;
    struct sl_quorum *q;
    struct sl__qreq *next;
} sl__qreq_t;

struct sl_quorum {
    sl_quorum_config_t cfg;
    sl_quorum_voter_t voters[SL_QUORUM_MAX_VOTERS];
    sl_quorum_fsm_t user;
    char dir[4096];
    char address[300];

    uv_loop_t loop;
    struct raft raft;
    struct raft_io io;
    struct raft_uv_transport transport;
    struct raft_fsm fsm;
    uv_async_t wake;
    uv_timer_t tick;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t mu;
    sl__qreq_t *queue, *queue_tail; /* waiting to be handed to raft */
    int stopping;                   /* set under mu: no new requests */
    int closed;                     /* raft closed: in-flight requests answered */

    _Atomic int32_t leader;
    _Atomic uint64_t applied;
};

/* ---- voters ------------------------------------------------------------------ */

sl_err_t sl_quorum_parse_voters(const char *spec, sl_quorum_voter_t *voters, int *n, char *errbuf,
                                size_t errlen)
{
    *n = 0;
    const char *p = spec ? spec : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[400];
        if (len == 0 || len >= sizeof item) {
            snprintf(errbuf, errlen, "controller quorum: bad entry '%.*s' (want id@host:port)", (int)len, p);
            return SL_ERR_CONFIG;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *at = strchr(item, '@');
        char *colon = at ? strrchr(at + 1, ':') : NULL;
        /* KIP-853's id@host:port:directory-id: drop the directory id. */
        if (colon && at) {
            char *first = strchr(at + 1, ':');
            if (first && first != colon && strchr(colon + 1, '-') == NULL && strlen(colon + 1) > 6) {
                *colon = '\0';
                colon = first;
            }
        }
        char *e1 = NULL, *e2 = NULL;
        long id = at ? strtol(item, &e1, 10) : 0;
        long port = colon ? strtol(colon + 1, &e2, 10) : 0;
        if (!at || !colon || e1 != at || id < 1 || id > INT32_MAX || !e2 || *e2 || port < 1 ||
            port > 65535 || colon == at + 1 || (size_t)(colon - at - 1) >= sizeof voters[0].host) {
            snprintf(errbuf, errlen, "controller quorum: bad entry '%s' (want id@host:port)", item);
            return SL_ERR_CONFIG;
        }
        if (*n >= SL_QUORUM_MAX_VOTERS) {
            snprintf(errbuf, errlen, "controller quorum: more than %d voters", SL_QUORUM_MAX_VOTERS);
            return SL_ERR_CONFIG;
        }
        for (int i = 0; i < *n; i++)
            if (voters[i].id == id) {
                snprintf(errbuf, errlen, "controller quorum: node id %ld listed twice", id);
                return SL_ERR_CONFIG;
            }
        sl_quorum_voter_t *v = &voters[(*n)++];
        v->id = (int32_t)id;
        v->port = (int)port;
        snprintf(v->host, sizeof v->host, "%.*s", (int)(colon - at - 1), at + 1);
        p += len;
        if (*p == ',')
            p++;
    }
    if (*n == 0) {
        snprintf(errbuf, errlen, "controller quorum: no voters");
        return SL_ERR_CONFIG;
    }
    return SL_OK;
}

/* ---- the state machine, as libraft sees it ----------------------------------- */

static int sl__fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    sl_quorum_t *q = fsm->data;
    /* libraft raises last_applied after the state machine returns. */
    uint64_t index = raft_last_applied(&q->raft) + 1;
    const uint8_t *p = buf->base;
    uint32_t len = buf->len >= 4 ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3] : 0;
    if (buf->len < 4 || len > buf->len - 4)
        sl_trace(SL_TRACE_ERROR, "quorum", "entry %llu: bad framing (%zu bytes); skipped",
                 (unsigned long long)index, buf->len);
    else
        q->user.apply(q->user.opaque, p + 4, len, index);
    atomic_store(&q->applied, index);
    *result = (void *)(uintptr_t)index;
    return 0;
}

static int sl__fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    sl_quorum_t *q = fsm->data;
    uint8_t *data = NULL;
    size_t len = 0;
    sl_err_t err = q->user.snapshot(q->user.opaque, &data, &len);
    if (err) {
        sl_trace(SL_TRACE_WARN, "quorum", "snapshot skipped: %s", sl_err_str(err));
        return RAFT_NOMEM;
    }
    struct raft_buffer *b = raft_malloc(sizeof *b);
    void *copy = raft_malloc(len ? len : 1);
    if (!b || !copy) {
        raft_free(b);
        raft_free(copy);
        free(data);
        return RAFT_NOMEM;
    }
    if (len)
        memcpy(copy, data, len);
    free(data);
    b->base = copy;
    b->len = len;
    *bufs = b;
    *n_bufs = 1;
    return 0;
}

static int sl__fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    sl_quorum_t *q = fsm->data;
    sl_err_t err = q->user.restore(q->user.opaque, buf->base, buf->len);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "quorum", "restoring a snapshot: %s", sl_err_str(err));
        return RAFT_CORRUPT;
    }
    raft_free(buf->base); /* ours once restored */
    atomic_store(&q->applied, raft_last_applied(&q->raft));
    return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

static void sl__req_finish(sl_quorum_t *q, sl__qreq_t *r, sl_err_t err, uint64_t index)
{
    pthread_mutex_lock(&q->mu);
    r->err = err;
    r->index = index;
    r->done = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&q->mu);
}

static sl_err_t sl__raft_err(int rv)
{
    switch (rv) {
    case 0:
        return SL_OK;
    case RAFT_NOTLEADER:
    case RAFT_LEADERSHIPLOST:
        return SL_ERR_NOT_CONTROLLER;
    case RAFT_NOMEM:
        return SL_ERR_NOMEM;
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
        return SL_ERR_STATE;
    case RAFT_TOOBIG:
        return SL_ERR_RANGE;
    default:
        return SL_ERR_IO;
    }
}

static void sl__apply_cb(struct raft_apply *req, int status, void *result)
{
    sl__qreq_t *r = req->data;
    sl__req_finish(r->q, r, sl__raft_err(status), status == 0 ? (uint64_t)(uintptr_t)result : 0);
}

static void sl__barrier_cb(struct raft_barrier *req, int status)
{
    sl__qreq_t *r = req->data;
    sl_quorum_t *q = r->q;
    sl__req_finish(q, r, sl__raft_err(status), raft_last_applied(&q->raft));
}

static void sl__submit(sl_quorum_t *q, sl__qreq_t *r)
{
    int rv;
    if (r->kind == SL__QREQ_APPLY) {
        struct raft_buffer buf = {r->data, r->len};
        r->apply.data = r;
        rv = raft_apply(&q->raft, &r->apply, &buf, 1, sl__apply_cb);
        if (rv == 0)
            r->data = NULL; /* raft's now */
    } else {
        r->barrier.data = r;
        rv = raft_barrier(&q->raft, &r->barrier, sl__barrier_cb);
    }
    if (rv != 0)
        sl__req_finish(q, r, sl__raft_err(rv), 0);
}

static void sl__check_leader(sl_quorum_t *q)
{
    raft_id id = 0;
    const char *addr = NULL;
    raft_leader(&q->raft, &id, &addr);
    int32_t leader = id ? (int32_t)id : -1;
    if (atomic_exchange(&q->leader, leader) != leader) {
        sl_trace(SL_TRACE_INFO, "quorum", "node %d: leader is now %d", q->cfg.node_id, leader);
        if (q->user.leader_changed)
            q->user.leader_changed(q->user.opaque, leader);
    }
}

static void sl__tick_cb(uv_timer_t *t)
{
    sl__check_leader(t->data);
}

static void sl__closed_handle(uv_handle_t *h)
{
    (void)h;
}

static void sl__raft_closed(struct raft *r)
{
    sl_quorum_t *q = r->data;
    raft_uv_close(&q->io);
    raft_uv_tcp_close(&q->transport);
    uv_close((uv_handle_t *)&q->wake, sl__closed_handle);
    uv_close((uv_handle_t *)&q->tick, sl__closed_handle);
}

static void sl__raft_closed_early(struct raft *r)
{
    sl_quorum_t *q = r->data;
    raft_uv_close(&q->io);
    raft_uv_tcp_close(&q->transport);
}

static void sl__wake_cb(uv_async_t *a)
{
    sl_quorum_t *q = a->data;
    pthread_mutex_lock(&q->mu);
    sl__qreq_t *list = q->queue;
    q->queue = q->queue_tail = NULL;
    int stopping = q->stopping;
    pthread_mutex_unlock(&q->mu);
    while (list) {
        sl__qreq_t *next = list->next;
        if (stopping)
            sl__req_finish(q, list, SL_ERR_STATE, 0);
        else
            sl__submit(q, list);
        list = next;
    }
    if (stopping && !q->closed) {
        q->closed = 1;
        uv_timer_stop(&q->tick);
        raft_close(&q->raft, sl__raft_closed);
    }
}

static void *sl__loop_main(void *arg)
{
    sl_quorum_t *q = arg;
    /* libuv writes to peers that may have gone: a library must not change the
     * process's SIGPIPE disposition, so the signal is blocked in this thread
     * (the write then fails with EPIPE, which libraft handles). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    uv_run(&q->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* ---- start, stop ------------------------------------------------------------------ */

static int sl__mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void sl__voter_address(const sl_quorum_voter_t *v, char *out, size_t len)
{
    snprintf(out, len, "%s:%d", v->host, v->port);
}

sl_err_t sl_quorum_start(const sl_quorum_config_t *cfg, const sl_quorum_fsm_t *fsm, sl_quorum_t **out,
                         char *errbuf, size_t errlen)
{
    *out = NULL;
    const sl_quorum_voter_t *self = NULL;
    if (cfg->nvoters < 1 || cfg->nvoters > SL_QUORUM_MAX_VOTERS) {
        snprintf(errbuf, errlen, "controller quorum: %d voters", cfg->nvoters);
        return SL_ERR_CONFIG;
    }
    for (int i = 0; i < cfg->nvoters; i++)
        if (cfg->voters[i].id == cfg->node_id)
            self = &cfg->voters[i];
    if (!self) {
        snprintf(errbuf, errlen, "node id %d is not one of the controller quorum's voters", cfg->node_id);
        return SL_ERR_CONFIG;
    }
    if (strlen(cfg->dir) >= sizeof((sl_quorum_t *)0)->dir) {
        snprintf(errbuf, errlen, "controller quorum: directory path too long");
        return SL_ERR_CONFIG;
    }
    if (sl__mkdirs(cfg->dir) != 0) {
        snprintf(errbuf, errlen, "creating %s: %s", cfg->dir, strerror(errno));
        return SL_ERR_IO;
    }
    sl_quorum_t *q = calloc(1, sizeof *q);
    if (!q)
        return SL_ERR_NOMEM;
    q->cfg = *cfg;
    memcpy(q->voters, cfg->voters, sizeof q->voters[0] * (size_t)cfg->nvoters);
    q->cfg.voters = q->voters;
    snprintf(q->dir, sizeof q->dir, "%s", cfg->dir);
    q->cfg.dir = q->dir;
    q->user = *fsm;
    sl__voter_address(self, q->address, sizeof q->address);
    atomic_init(&q->leader, -1);
    atomic_init(&q->applied, 0);
    pthread_mutex_init(&q->mu, NULL);

    int rv = uv_loop_init(&q->loop);
    if (rv != 0) {
        snprintf(errbuf, errlen, "uv_loop_init: %s", uv_strerror(rv));
        pthread_mutex_destroy(&q->mu);
        free(q);
        return SL_ERR_IO;
    }
    const char *what = "raft_uv_tcp_init";
    rv = raft_uv_tcp_init(&q->transport, &q->loop);
    int have_transport = rv == 0, have_io = 0, have_raft = 0;
    if (rv == 0) {
        what = "raft_uv_init";
        rv = raft_uv_init(&q->io, &q->loop, q->dir, &q->transport);
        have_io = rv == 0;
    }
    if (rv == 0) {
        q->fsm.version = 1;
        q->fsm.data = q;
        q->fsm.apply = sl__fsm_apply;
        q->fsm.snapshot = sl__fsm_snapshot;
        q->fsm.restore = sl__fsm_restore;
        what = "raft_init";
        rv = raft_init(&q->raft, &q->io, &q->fsm, (raft_id)cfg->node_id, q->address);
        have_raft = rv == 0;
    }
    if (rv == 0) {
        q->raft.data = q;
        raft_set_election_timeout(&q->raft, cfg->election_timeout_ms ? cfg->election_timeout_ms : 1000);
        raft_set_heartbeat_timeout(&q->raft, cfg->heartbeat_timeout_ms ? cfg->heartbeat_timeout_ms : 100);
        raft_set_snapshot_threshold(&q->raft, cfg->snapshot_threshold ? cfg->snapshot_threshold : 1024);
        raft_set_snapshot_trailing(&q->raft, 128);
        raft_set_pre_vote(&q->raft, true);
        struct raft_configuration conf;
        raft_configuration_init(&conf);
        for (int i = 0; i < cfg->nvoters && rv == 0; i++) {
            char addr[300];
            sl__voter_address(&cfg->voters[i], addr, sizeof addr);
            rv = raft_configuration_add(&conf, (raft_id)cfg->voters[i].id, addr, RAFT_VOTER);
        }
        what = "raft_bootstrap";
        if (rv == 0) {
            rv = raft_bootstrap(&q->raft, &conf);
            if (rv == RAFT_CANTBOOTSTRAP) /* the log exists: it holds the configuration */
                rv = 0;
        }
        raft_configuration_close(&conf);
    }
    if (rv == 0) {
        what = "raft_start";
        rv = raft_start(&q->raft);
    }
    if (rv == 0) {
        what = "uv_async_init";
        q->wake.data = q;
        q->tick.data = q;
        rv = uv_async_init(&q->loop, &q->wake, sl__wake_cb);
        if (rv == 0) {
            uv_timer_init(&q->loop, &q->tick);
            uv_timer_start(&q->tick, sl__tick_cb, 20, 20);
        }
    }
    if (rv != 0) {
        const char *msg = have_raft ? raft_errmsg(&q->raft) : have_io ? q->io.errmsg : "";
        snprintf(errbuf, errlen, "controller quorum at %s (%s): %s: %s%s%s", q->address, q->dir, what,
                 rv < 0 ? uv_strerror(rv) : raft_strerror(rv), msg && *msg ? ": " : "", msg ? msg : "");
        /* Unwind on the loop: raft and its io close asynchronously. */
        if (have_raft) {
            q->raft.data = q;
            raft_close(&q->raft, sl__raft_closed_early);
        } else {
            if (have_io)
                raft_uv_close(&q->io);
            if (have_transport)
                raft_uv_tcp_close(&q->transport);
        }
        uv_run(&q->loop, UV_RUN_DEFAULT);
        uv_loop_close(&q->loop);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return SL_ERR_IO;
    }
    if (pthread_create(&q->thread, NULL, sl__loop_main, q) != 0) {
        snprintf(errbuf, errlen, "controller quorum: cannot start its thread");
        q->stopping = 1;
        sl__wake_cb(&q->wake);
        uv_run(&q->loop, UV_RUN_DEFAULT);
        uv_loop_close(&q->loop);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return SL_ERR_NOMEM;
    }
    q->thread_started = 1;
    *out = q;
    return SL_OK;
}

void sl_quorum_stop(sl_quorum_t *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_mutex_unlock(&q->mu);
    uv_async_send(&q->wake);
    pthread_join(q->thread, NULL);
    int rv = uv_loop_close(&q->loop);
    if (rv != 0)
        sl_trace(SL_TRACE_WARN, "quorum", "uv_loop_close: %s", uv_strerror(rv));
    pthread_mutex_destroy(&q->mu);
    free(q);
}

int32_t sl_quorum_leader(sl_quorum_t *q)
{
    return atomic_load(&q->leader);
}

int sl_quorum_is_leader(sl_quorum_t *q)
{
    return atomic_load(&q->leader) == q->cfg.node_id;
}

uint64_t sl_quorum_applied(sl_quorum_t *q)
{
    return atomic_load(&q->applied);
}

static sl_err_t sl__request(sl_quorum_t *q, sl__qreq_t *r, uint64_t *index)
{
    pthread_cond_init(&r->cond, NULL);
    pthread_mutex_lock(&q->mu);
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        pthread_cond_destroy(&r->cond);
        raft_free(r->data);
        return SL_ERR_STATE;
    }
    r->q = q;
    r->next = NULL;
    if (q->queue_tail)
        q->queue_tail->next = r;
    else
        q->queue = r;
    q->queue_tail = r;
    pthread_mutex_unlock(&q->mu);
    uv_async_send(&q->wake);
    pthread_mutex_lock(&q->mu);
    while (!r->done)
        pthread_cond_wait(&r->cond, &q->mu);
    pthread_mutex_unlock(&q->mu);
    pthread_cond_destroy(&r->cond);
    raft_free(r->data); /* still ours when raft refused it */
    if (index)
        *index = r->index;
    return r->err;
}

sl_err_t sl_quorum_propose(sl_quorum_t *q, const uint8_t *entry, size_t len, uint64_t *index)
{
    sl__qreq_t r;
    memset(&r, 0, sizeof r);
    r.kind = SL__QREQ_APPLY;
    /* libraft's on-disk reader (0.15) advances over an entry by its length
     * unpadded while the writer pads it to 8 bytes: a log of entries whose
     * length is not a multiple of 8 reads back as corrupt. So every entry is
     * framed: a 4-byte big-endian length, the bytes, zeros to a multiple of 8. */
    if (len > UINT32_MAX - 16)
        return SL_ERR_RANGE;
    size_t framed = (4 + len + 7) & ~(size_t)7;
    r.data = raft_malloc(framed);
    if (!r.data)
        return SL_ERR_NOMEM;
    memset(r.data, 0, framed);
    r.data[0] = (uint8_t)(len >> 24);
    r.data[1] = (uint8_t)(len >> 16);
    r.data[2] = (uint8_t)(len >> 8);
    r.data[3] = (uint8_t)len;
    if (len)
        memcpy(r.data + 4, entry, len);
    r.len = framed;
    return sl__request(q, &r, index);
}

sl_err_t sl_quorum_barrier(sl_quorum_t *q)
{
    sl__qreq_t r;
    memset(&r, 0, sizeof r);
    r.kind = SL__QREQ_BARRIER;
    return sl__request(q, &r, NULL);
}
