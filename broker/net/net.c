/* net.c — the broker's network layer (net.h): an acceptor thread, processor
 * threads that each own their connections on an epoll set, a bounded request
 * queue and handler (io) threads, as Kafka's SocketServer and RequestChannel.
 *
 * Threads.
 *   sl-net-accept  polls the listener and an eventfd; accepts, sets socket
 *                  options, and hands each connection round-robin to a
 *                  processor (its new-connection list + eventfd wake-up).
 *   sl-net-proc-N  owns its connections: reads frames, writes responses,
 *                  closes idle connections. Everything in sl_net_conn_t except
 *                  the embedded request is touched by this thread only.
 *   sl-io-N        pops requests from the queue and runs the handler.
 * Answers (respond / respond_none / close, from any thread) are pushed on the
 * owning processor's answer list and the processor is woken by its eventfd.
 *
 * Ownership. A connection is reference-counted, but only its processor ever
 * changes the count, so the count is a plain int: the processor holds one
 * reference while the socket is open, and a request in flight holds one from
 * the moment its frame is complete until the processor has taken its answer.
 * A peer that disconnects while its request is held closes the socket at once
 * (file ranges of a response being written are released), but the connection
 * memory — and with it the request and its bytes — lives until the answer
 * arrives, which is then dropped.
 *
 * Buffers. Each connection has one read buffer that starts at
 * SL_NET_RBUF_MIN bytes and grows only to a frame's announced size; it reads
 * ahead, so pipelined frames are parsed from it one at a time. The request is
 * embedded in the connection and its data points into the read buffer: both
 * stay put because the connection is muted (nothing is read) until the request
 * is answered. So a request costs no allocation at all. Buffers grown past
 * SL_NET_RBUF_KEEP shrink back once their frame is answered.
 *
 * Back-pressure. When the request queue is full, a processor keeps the
 * complete request on its own FIFO of blocked connections (which stay muted)
 * and marks itself waiting; the handler thread that next pops wakes it. So
 * each connection holds at most one request (its read-ahead stays within its
 * buffer), nothing is dropped, and the processor goes on writing responses.
 *
 * Sockets are edge-triggered (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET), so
 * muting and unmuting cost no epoll_ctl: a muted connection simply is not
 * read, and unmuting tries a read at once. While muted, a reset or error
 * (EPOLLERR/EPOLLHUP) still closes the connection at once; an orderly FIN is
 * only seen by the read after the answer, so a client that half-closes after
 * sending its requests still gets every answer. Since a connection has at
 * most one request and so at most one response, sl_net_close never waits
 * behind other output: it closes as soon as the processor takes it.
 *
 * Shutdown: the acceptor stops first, then the queue is closed and the
 * handlers joined; queued requests go back to their processors as closes.
 * Processors keep running (dropping late answers and closing their
 * connections) until sl_net_destroy, which joins them. */
#include "broker/net/net.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/trace.h"

#define SL_NET_RBUF_MIN 4096          /* a connection's first read buffer */
#define SL_NET_RBUF_KEEP (64 * 1024)  /* larger buffers shrink after their frame */
#define SL_NET_MAX_EVENTS 64
#define SL_NET_IOV 64
#define SL_NET_SENDFILE_MAX 0x7ffff000 /* Linux's largest single transfer */
#define SL_NET_ACCEPT_BACKOFF_MS 100   /* after EMFILE and friends */

typedef struct sl_net_conn sl_net_conn_t;
typedef struct sl_net_proc sl_net_proc_t;

typedef enum sl_net_answer { SL_NET_RESPOND, SL_NET_NONE, SL_NET_CLOSE } sl_net_answer_t;

struct sl_net_request {
    sl_net_conn_t *conn;
    const uint8_t *data; /* into conn->rbuf */
    size_t len;
    /* Filled by whoever answers, read by the processor after the hand-over. */
    sl_net_answer_t answer;
    sl_outbuf_t resp;
    sl_net_request_t *next; /* on the processor's answer list */
};

struct sl_net_conn {
    sl_net_proc_t *proc;
    uint64_t id;
    int fd;
    char peer[64];
    int refs;                    /* processor thread only; see the file comment */
    bool closed;                 /* socket closed; memory lives while refs > 0 */
    bool inflight;               /* a request read and not yet answered */
    bool writing;                /* a response being written */
    bool peer_eof;               /* read returned 0 */
    sl_net_conn_t *prev, *next;  /* the processor's open connections */
    sl_net_conn_t *next_pending; /* new-connection list, then blocked list */
    int64_t last_active;         /* monotonic ms of the last byte in or out */
    /* read side: bytes [rstart, rlen) of rbuf are unparsed */
    uint8_t *rbuf;
    size_t rcap, rstart, rlen;
    size_t frame_end; /* end of the request in flight */
    /* write side: the size prefix, then out from segment seg, byte seg_off */
    sl_outbuf_t out;
    uint8_t hdr[4];
    size_t hdr_off, seg, seg_off;
    sl_net_request_t req; /* the one request a connection can have */
};

struct sl_net_proc {
    sl_net_t *net;
    int index;
    pthread_t thread;
    bool started;
    int epfd, efd;
    pthread_mutex_t mu;             /* guards the two hand-over lists */
    sl_net_conn_t *new_head, *new_tail;
    sl_net_request_t *ans_head, *ans_tail;
    bool waiting_space; /* guarded by net->qmu: wake me when the queue has room */
    /* processor thread only */
    int alive; /* connections not yet freed, open or closed */
    sl_net_conn_t *conns;
    sl_net_conn_t *blocked_head, *blocked_tail;
    int64_t now, next_idle_check;
};

struct sl_net {
    sl_net_config_t cfg;
    sl_net_handler_fn *handler;
    void *opaque;
    _Atomic(sl_net_close_fn *) on_close; /* see sl_net_set_close_hook */
    int lfd, port;
    int accept_efd;
    pthread_t acceptor;
    bool acceptor_started;
    sl_net_proc_t *procs;
    int nprocs;
    unsigned next_proc; /* acceptor thread only */
    pthread_t *io;
    int nio;
    /* the request queue: a ring of queued_max_requests */
    pthread_mutex_t qmu;
    pthread_cond_t qcond;
    sl_net_request_t **q;
    int qcap, qhead, qcount, qwaiters;
    bool qclosed;
    bool shut; /* owner's thread only */
    atomic_bool stopping, exiting;
    atomic_uint_fast64_t next_id;
    struct {
        atomic_uint_fast64_t accepted, open, requests, bytes_in, bytes_out, oversized, idle;
    } st;
};

enum { SL_NET_PUSH_OK, SL_NET_PUSH_FULL, SL_NET_PUSH_CLOSED };

/* ---- helpers --------------------------------------------------------------------- */

#define SL_NET_ADD(ctr, n) atomic_fetch_add_explicit(&(ctr), (n), memory_order_relaxed)
#define SL_NET_SUB(ctr, n) atomic_fetch_sub_explicit(&(ctr), (n), memory_order_relaxed)

static int64_t sl__net_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sl__net_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sl__net_errbuf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

/* strerror in lower case ("address already in use"), into buf. */
static const char *sl__net_strerror(int e, char *buf, size_t n)
{
    const char *s = strerror_r(e, buf, n);
    if (s != buf)
        snprintf(buf, n, "%s", s);
    buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* "ip:port", with brackets around an IPv6 address; an IPv4 peer of a
 * dual-stack listener shows as plain IPv4. */
static void sl__net_addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t n)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    struct sockaddr_in v4;
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
    if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
        v4 = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = v6->sin6_port};
        memcpy(&v4.sin_addr, v6->sin6_addr.s6_addr + 12, 4);
        sa = (const struct sockaddr *)&v4;
        len = sizeof v4;
    }
    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, n, "?");
        return;
    }
    snprintf(out, n, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, serv);
}

static void sl__net_wake(int efd)
{
    uint64_t one = 1;
    /* EAGAIN only when the counter is saturated, i.e. already readable. */
    while (write(efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void sl__net_drain_efd(int efd)
{
    uint64_t v;
    while (read(efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
}

/* ---- configuration ----------------------------------------------------------------- */

sl_net_config_t sl_net_config_default(void)
{
    sl_net_config_t c = {
        .host = "",
        .port = 9092,
        .num_network_threads = 3,
        .num_io_threads = 8,
        .queued_max_requests = 500,
        .socket_request_max_bytes = 104857600,
        .connections_max_idle_ms = 600000,
        .socket_send_buffer_bytes = 102400,
        .socket_receive_buffer_bytes = 102400,
        .socket_listen_backlog_size = 50,
    };
    return c;
}

static sl_err_t sl__net_check_config(const sl_net_config_t *c, char *errbuf, size_t errlen)
{
    const char *bad = NULL;
    if (!memchr(c->host, '\0', sizeof c->host))
        bad = "listener host is not terminated";
    else if (c->port < 0 || c->port > 65535)
        bad = "port must be 0..65535";
    else if (c->num_network_threads < 1 || c->num_network_threads > 1024)
        bad = "num.network.threads must be 1..1024";
    else if (c->num_io_threads < 1 || c->num_io_threads > 1024)
        bad = "num.io.threads must be 1..1024";
    else if (c->queued_max_requests < 1)
        bad = "queued.max.requests must be at least 1";
    else if (c->socket_request_max_bytes < 1)
        bad = "socket.request.max.bytes must be at least 1";
    else if (c->connections_max_idle_ms < 1)
        bad = "connections.max.idle.ms must be at least 1";
    else if (c->socket_send_buffer_bytes < -1 || c->socket_send_buffer_bytes == 0)
        bad = "socket.send.buffer.bytes must be positive or -1";
    else if (c->socket_receive_buffer_bytes < -1 || c->socket_receive_buffer_bytes == 0)
        bad = "socket.receive.buffer.bytes must be positive or -1";
    else if (c->socket_listen_backlog_size < 1)
        bad = "socket.listen.backlog.size must be at least 1";
    if (!bad)
        return SL_OK;
    sl__net_errbuf(errbuf, errlen, "%s", bad);
    return SL_ERR_INVAL;
}

/* ---- the request queue -------------------------------------------------------------- */

/* Processor thread. FULL marks proc as waiting: the next pop wakes it. */
static int sl__net_queue_push(sl_net_t *net, sl_net_proc_t *proc, sl_net_request_t *req)
{
    int rc = SL_NET_PUSH_OK;
    pthread_mutex_lock(&net->qmu);
    if (net->qclosed) {
        rc = SL_NET_PUSH_CLOSED;
    } else if (net->qcount == net->qcap) {
        if (!proc->waiting_space) {
            proc->waiting_space = true;
            net->qwaiters++;
        }
        rc = SL_NET_PUSH_FULL;
    } else {
        net->q[(net->qhead + net->qcount) % net->qcap] = req;
        net->qcount++;
        pthread_cond_signal(&net->qcond);
    }
    pthread_mutex_unlock(&net->qmu);
    return rc;
}

/* Handler thread: the next request, or NULL once the queue is closed. */
static sl_net_request_t *sl__net_queue_pop(sl_net_t *net)
{
    sl_net_request_t *req = NULL;
    pthread_mutex_lock(&net->qmu);
    while (!net->qclosed && net->qcount == 0)
        pthread_cond_wait(&net->qcond, &net->qmu);
    if (!net->qclosed) {
        req = net->q[net->qhead];
        net->qhead = (net->qhead + 1) % net->qcap;
        net->qcount--;
        if (net->qwaiters) {
            for (int i = 0; i < net->nprocs; i++)
                if (net->procs[i].waiting_space) {
                    net->procs[i].waiting_space = false;
                    sl__net_wake(net->procs[i].efd);
                }
            net->qwaiters = 0;
        }
    }
    pthread_mutex_unlock(&net->qmu);
    return req;
}

static void *sl__net_io_main(void *arg)
{
    sl_net_t *net = arg;
    sl_net_request_t *req;
    while ((req = sl__net_queue_pop(net)) != NULL)
        net->handler(net->opaque, req);
    return NULL;
}

/* ---- answers: any thread -> processor ---------------------------------------------- */

static void sl__net_post(sl_net_request_t *req, sl_net_answer_t answer)
{
    sl_net_proc_t *p = req->conn->proc;
    req->answer = answer;
    req->next = NULL;
    pthread_mutex_lock(&p->mu);
    /* The processor takes both lists whenever woken, so only the first entry
     * after a take needs to wake it. */
    bool was_empty = !p->ans_head && !p->new_head;
    if (p->ans_tail)
        p->ans_tail->next = req;
    else
        p->ans_head = req;
    p->ans_tail = req;
    pthread_mutex_unlock(&p->mu);
    if (was_empty)
        sl__net_wake(p->efd);
}

void sl_net_respond(sl_net_request_t *req, sl_outbuf_t *resp)
{
    if (resp) {
        req->resp = *resp;
        *resp = (sl_outbuf_t)SL_OUTBUF_INIT;
    } else {
        req->resp = (sl_outbuf_t)SL_OUTBUF_INIT;
    }
    sl__net_post(req, SL_NET_RESPOND);
}

void sl_net_respond_none(sl_net_request_t *req) { sl__net_post(req, SL_NET_NONE); }

void sl_net_close(sl_net_request_t *req) { sl__net_post(req, SL_NET_CLOSE); }

const uint8_t *sl_net_request_data(const sl_net_request_t *req, size_t *len)
{
    if (len)
        *len = req->len;
    return req->data;
}

uint64_t sl_net_request_conn(const sl_net_request_t *req) { return req->conn->id; }

void sl_net_set_close_hook(sl_net_t *net, sl_net_close_fn *fn) { atomic_store(&net->on_close, fn); }

const char *sl_net_request_peer(const sl_net_request_t *req) { return req->conn->peer; }

/* ---- connections: processor thread --------------------------------------------------- */

static void sl__net_conn_unref(sl_net_conn_t *c)
{
    if (--c->refs > 0)
        return;
    c->proc->alive--;
    sl_outbuf_free(&c->req.resp);
    free(c->rbuf);
    free(c);
}

/* Closes the socket, releases the response being written and drops the
 * processor's reference. A request in flight keeps the memory alive. */
static void sl__net_conn_close(sl_net_conn_t *c)
{
    if (c->closed)
        return;
    sl_net_proc_t *p = c->proc;
    c->closed = true;
    sl_net_close_fn *hook = atomic_load(&p->net->on_close);
    if (hook)
        hook(p->net->opaque, c->id);
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL); /* fails harmlessly if never added */
    close(c->fd);
    c->fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else if (p->conns == c)
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    sl_outbuf_free(&c->out);
    c->writing = false;
    SL_NET_SUB(p->net->st.open, 1);
    sl__net_conn_unref(c);
}

static void sl__net_conn_read(sl_net_conn_t *c);

/* Queues the complete frame at rstart as the connection's request. */
static void sl__net_conn_dispatch(sl_net_conn_t *c, size_t size)
{
    sl_net_proc_t *p = c->proc;
    c->req.conn = c;
    c->req.data = c->rbuf + c->rstart + 4;
    c->req.len = size;
    c->frame_end = c->rstart + 4 + size;
    c->inflight = true;
    c->refs++;
    SL_NET_ADD(p->net->st.requests, 1);
    int rc = p->blocked_head ? SL_NET_PUSH_FULL : sl__net_queue_push(p->net, p, &c->req);
    if (rc == SL_NET_PUSH_FULL) {
        /* Keep FIFO order behind the connections already waiting. */
        c->next_pending = NULL;
        if (p->blocked_tail)
            p->blocked_tail->next_pending = c;
        else
            p->blocked_head = c;
        p->blocked_tail = c;
    } else if (rc == SL_NET_PUSH_CLOSED) {
        sl__net_conn_close(c);
        sl__net_conn_unref(c);
    }
}

/* Retries the blocked connections in order until the queue is full again. */
static void sl__net_retry_blocked(sl_net_proc_t *p)
{
    while (p->blocked_head) {
        sl_net_conn_t *c = p->blocked_head;
        int rc = c->closed ? SL_NET_PUSH_CLOSED : sl__net_queue_push(p->net, p, &c->req);
        if (rc == SL_NET_PUSH_FULL)
            return;
        p->blocked_head = c->next_pending;
        if (!p->blocked_head)
            p->blocked_tail = NULL;
        c->next_pending = NULL;
        if (rc == SL_NET_PUSH_CLOSED) {
            sl__net_conn_close(c);
            sl__net_conn_unref(c); /* the request that never reached a handler */
        }
    }
}

static void sl__net_conn_oversized(sl_net_conn_t *c, int32_t size)
{
    sl_net_t *net = c->proc->net;
    const uint8_t *b = c->rbuf + c->rstart;
    const char *hint = "";
    if (b[0] == 0x16 && b[1] == 0x03)
        hint = " (a TLS handshake? this listener is plaintext)";
    else if (!memcmp(b, "GET ", 4) || !memcmp(b, "POST", 4) || !memcmp(b, "HEAD", 4) ||
             !memcmp(b, "PUT ", 4))
        hint = " (an HTTP request? this is a Kafka listener)";
    if (size < 0)
        sl_trace(SL_TRACE_WARN, "net",
                 "%s: invalid frame size %" PRId32 "%s; closing the connection", c->peer, size,
                 hint);
    else
        sl_trace(SL_TRACE_WARN, "net",
                 "%s: frame of %" PRId32 " bytes is larger than socket.request.max.bytes (%" PRId32
                 ")%s; closing the connection",
                 c->peer, size, net->cfg.socket_request_max_bytes, hint);
    SL_NET_ADD(net->st.oversized, 1);
    sl__net_conn_close(c);
}

/* Reads until one frame is complete (then dispatches it and stops: the
 * connection is muted) or the socket has no more bytes. */
static void sl__net_conn_read(sl_net_conn_t *c)
{
    sl_net_t *net = c->proc->net;
    for (;;) {
        if (c->closed || c->inflight || c->writing ||
            atomic_load_explicit(&net->stopping, memory_order_relaxed))
            return;
        size_t avail = c->rlen - c->rstart;
        size_t need = 4;
        if (avail >= 4) {
            int32_t size = (int32_t)sl_load_be32(c->rbuf + c->rstart);
            if (size < 0 || size > net->cfg.socket_request_max_bytes) {
                sl__net_conn_oversized(c, size);
                return;
            }
            need = 4 + (size_t)size;
            if (avail >= need) {
                sl__net_conn_dispatch(c, (size_t)size);
                return;
            }
        }
        if (c->peer_eof) {
            if (avail)
                sl_trace(SL_TRACE_DEBUG, "net",
                         "%s: disconnected inside a frame (%zu of %zu bytes)", c->peer, avail,
                         need);
            sl__net_conn_close(c);
            return;
        }
        if (c->rstart + need > c->rcap) {
            if (c->rstart) {
                memmove(c->rbuf, c->rbuf + c->rstart, avail);
                c->rstart = 0;
                c->rlen = avail;
            }
            if (need > c->rcap) {
                /* Grow to the announced frame, never past it. */
                size_t cap = need < SL_NET_RBUF_MIN ? SL_NET_RBUF_MIN : need;
                uint8_t *nb = realloc(c->rbuf, cap);
                if (!nb) {
                    sl_trace(SL_TRACE_ERROR, "net", "%s: no memory for a frame of %zu bytes",
                             c->peer, need);
                    sl__net_conn_close(c);
                    return;
                }
                c->rbuf = nb;
                c->rcap = cap;
            }
        }
        ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            c->last_active = c->proc->now;
            SL_NET_ADD(net->st.bytes_in, (uint64_t)n);
        } else if (n == 0) {
            c->peer_eof = true;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            sl_trace(SL_TRACE_DEBUG, "net", "%s: read: %s", c->peer, strerror(errno));
            sl__net_conn_close(c);
            return;
        }
    }
}

/* The answered frame is consumed: shrink an outsized buffer, then read on. */
static void sl__net_conn_unmute(sl_net_conn_t *c)
{
    c->rstart = c->frame_end;
    c->frame_end = 0;
    size_t avail = c->rlen - c->rstart;
    if (avail == 0) {
        c->rstart = c->rlen = 0;
    }
    if (c->rcap > SL_NET_RBUF_KEEP && avail <= SL_NET_RBUF_MIN) {
        memmove(c->rbuf, c->rbuf + c->rstart, avail);
        c->rstart = 0;
        c->rlen = avail;
        uint8_t *nb = realloc(c->rbuf, SL_NET_RBUF_MIN);
        if (nb) {
            c->rbuf = nb;
            c->rcap = SL_NET_RBUF_MIN;
        }
    }
    sl__net_conn_read(c);
}

/* Moves the write position w bytes on, releasing each file range passed. */
static void sl__net_conn_advance(sl_net_conn_t *c, size_t w)
{
    if (c->hdr_off < 4) {
        size_t k = w < 4 - c->hdr_off ? w : 4 - c->hdr_off;
        c->hdr_off += k;
        w -= k;
    }
    sl_outbuf_t *ob = &c->out;
    for (;;) {
        while (c->seg < ob->nsegs && c->seg_off == ob->segs[c->seg].len) {
            sl_outseg_t *s = &ob->segs[c->seg];
            if (s->fd >= 0 && s->release) {
                s->release(s->opaque);
                s->release = NULL;
            }
            c->seg++;
            c->seg_off = 0;
        }
        if (w == 0 || c->seg == ob->nsegs)
            break;
        size_t left = ob->segs[c->seg].len - c->seg_off;
        size_t k = w < left ? w : left;
        c->seg_off += k;
        w -= k;
    }
}

/* Writes the response until done (then unmutes) or the socket is full (then
 * EPOLLOUT resumes it): memory with sendmsg, file ranges with sendfile. */
static void sl__net_conn_write(sl_net_conn_t *c)
{
    sl_net_t *net = c->proc->net;
    sl_outbuf_t *ob = &c->out;
    while (c->writing) {
        sl__net_conn_advance(c, 0);
        struct iovec iov[SL_NET_IOV];
        int n = 0;
        if (c->hdr_off < 4)
            iov[n++] = (struct iovec){c->hdr + c->hdr_off, 4 - c->hdr_off};
        size_t off = c->seg_off;
        for (size_t s = c->seg; n < SL_NET_IOV && s < ob->nsegs && ob->segs[s].fd < 0; s++) {
            iov[n++] = (struct iovec){ob->mem.data + ob->segs[s].off + off, ob->segs[s].len - off};
            off = 0;
        }
        ssize_t w;
        if (n > 0) {
            struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
            w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else if (c->seg < ob->nsegs) {
            sl_outseg_t *s = &ob->segs[c->seg];
            off_t pos = (off_t)(s->file_pos + c->seg_off);
            size_t want = s->len - c->seg_off;
            if (want > SL_NET_SENDFILE_MAX)
                want = SL_NET_SENDFILE_MAX;
            w = sendfile(c->fd, s->fd, &pos, want);
            if (w == 0) {
                sl_trace(SL_TRACE_ERROR, "net", "%s: file range ends early (fd %d at %lld)",
                         c->peer, s->fd, (long long)pos);
                sl__net_conn_close(c);
                return;
            }
        } else {
            break; /* all written */
        }
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            sl_trace(SL_TRACE_DEBUG, "net", "%s: write: %s", c->peer, strerror(errno));
            sl__net_conn_close(c);
            return;
        }
        c->last_active = c->proc->now;
        SL_NET_ADD(net->st.bytes_out, (uint64_t)w);
        sl__net_conn_advance(c, (size_t)w);
    }
    if (!c->writing)
        return;
    sl_outbuf_free(&c->out);
    c->writing = false;
    sl__net_conn_unmute(c);
}

static void sl__net_conn_event(sl_net_conn_t *c, uint32_t ev)
{
    if (ev & (EPOLLERR | EPOLLHUP)) {
        /* Reset or failed: even a request in flight has no one to answer. */
        sl_trace(SL_TRACE_DEBUG, "net", "%s: connection reset", c->peer);
        sl__net_conn_close(c);
        return;
    }
    if ((ev & EPOLLOUT) && c->writing)
        sl__net_conn_write(c);
    if (!c->closed && (ev & (EPOLLIN | EPOLLRDHUP)))
        sl__net_conn_read(c);
}

/* Takes an answer (or a request dropped by sl_net_shutdown). */
static void sl__net_take_answer(sl_net_proc_t *p, sl_net_request_t *req)
{
    sl_net_conn_t *c = req->conn;
    c->inflight = false;
    if (!c->closed && atomic_load_explicit(&p->net->stopping, memory_order_relaxed))
        sl__net_conn_close(c); /* after sl_net_shutdown answers are dropped */
    if (c->closed || req->answer == SL_NET_CLOSE) {
        sl_outbuf_free(&req->resp);
        sl__net_conn_close(c);
        sl__net_conn_unref(c);
        return;
    }
    /* Open, so the processor's reference keeps c alive past this unref. */
    sl__net_conn_unref(c);
    if (req->answer == SL_NET_NONE) {
        sl__net_conn_unmute(c);
        return;
    }
    if (req->resp.total > INT32_MAX) {
        sl_trace(SL_TRACE_ERROR, "net", "%s: response of %zu bytes cannot be framed; closing",
                 c->peer, req->resp.total);
        sl_outbuf_free(&req->resp);
        sl__net_conn_close(c);
        return;
    }
    c->out = req->resp;
    req->resp = (sl_outbuf_t)SL_OUTBUF_INIT;
    sl_store_be32(c->hdr, (uint32_t)c->out.total);
    c->hdr_off = c->seg = c->seg_off = 0;
    c->writing = true;
    sl__net_conn_write(c);
}

static void sl__net_take_new(sl_net_proc_t *p, sl_net_conn_t *c)
{
    p->alive++;
    c->last_active = p->now;
    c->next = p->conns;
    if (p->conns)
        p->conns->prev = c;
    p->conns = c;
    if (atomic_load_explicit(&p->net->stopping, memory_order_relaxed)) {
        sl__net_conn_close(c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        sl_trace(SL_TRACE_ERROR, "net", "%s: epoll_ctl: %s", c->peer, strerror(errno));
        sl__net_conn_close(c);
    }
}

/* Takes everything handed over since the last wake-up. */
static void sl__net_take_lists(sl_net_proc_t *p)
{
    pthread_mutex_lock(&p->mu);
    sl_net_conn_t *nc = p->new_head;
    sl_net_request_t *ans = p->ans_head;
    p->new_head = p->new_tail = NULL;
    p->ans_head = p->ans_tail = NULL;
    pthread_mutex_unlock(&p->mu);
    while (nc) {
        sl_net_conn_t *next = nc->next_pending;
        nc->next_pending = NULL;
        sl__net_take_new(p, nc);
        nc = next;
    }
    while (ans) {
        sl_net_request_t *next = ans->next;
        ans->next = NULL;
        sl__net_take_answer(p, ans);
        ans = next;
    }
}

static void sl__net_close_idle(sl_net_proc_t *p)
{
    int64_t max_idle = p->net->cfg.connections_max_idle_ms;
    for (sl_net_conn_t *c = p->conns, *next; c; c = next) {
        next = c->next;
        if (c->inflight || c->writing || p->now - c->last_active < max_idle)
            continue;
        sl_trace(SL_TRACE_DEBUG, "net", "%s: idle for %" PRId64 " ms; closing", c->peer,
                 p->now - c->last_active);
        SL_NET_ADD(p->net->st.idle, 1);
        sl__net_conn_close(c);
    }
}

static void *sl__net_proc_main(void *arg)
{
    sl_net_proc_t *p = arg;
    sl_net_t *net = p->net;
    /* sendfile raises SIGPIPE on a reset peer and has no MSG_NOSIGNAL; a
     * library must not change the process's disposition, so the signal is
     * blocked in this thread only (sendmsg uses MSG_NOSIGNAL as well). */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    int64_t tick = net->cfg.connections_max_idle_ms / 4;
    tick = tick < 10 ? 10 : tick > 1000 ? 1000 : tick;
    p->now = sl__net_now_ms();
    p->next_idle_check = p->now + tick;
    struct epoll_event evs[SL_NET_MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(p->epfd, evs, SL_NET_MAX_EVENTS, (int)tick);
        if (n < 0) {
            if (errno != EINTR)
                sl_trace(SL_TRACE_ERROR, "net", "epoll_wait: %s", strerror(errno));
            n = 0;
        }
        p->now = sl__net_now_ms();
        bool woken = false;
        /* Only a connection's own event closes it, so no later event in evs
         * refers to a freed connection; answers are taken after the batch. */
        for (int i = 0; i < n; i++) {
            if (!evs[i].data.ptr) {
                woken = true;
                sl__net_drain_efd(p->efd);
            } else {
                sl__net_conn_event(evs[i].data.ptr, evs[i].events);
            }
        }
        if (woken)
            sl__net_take_lists(p);
        if (p->blocked_head)
            sl__net_retry_blocked(p);
        if (p->now >= p->next_idle_check) {
            sl__net_close_idle(p);
            p->next_idle_check = p->now + tick;
        }
        if (atomic_load(&net->exiting))
            break;
    }

    /* sl_net_destroy: every answer has been posted by now. */
    sl__net_take_lists(p);
    while (p->conns)
        sl__net_conn_close(p->conns);
    sl__net_retry_blocked(p); /* all closed: drops their requests */
    if (p->alive)
        sl_trace(SL_TRACE_ERROR, "net",
                 "processor %d: %d requests never answered before sl_net_destroy; "
                 "leaking their connections",
                 p->index, p->alive);
    return NULL;
}

/* ---- acceptor ---------------------------------------------------------------------------- */

static void sl__net_accepted(sl_net_t *net, int fd, const struct sockaddr_storage *ss, socklen_t sl)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (net->cfg.socket_send_buffer_bytes != -1)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &net->cfg.socket_send_buffer_bytes, sizeof(int));
    if (net->cfg.socket_receive_buffer_bytes != -1)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &net->cfg.socket_receive_buffer_bytes, sizeof(int));
    sl_net_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        sl_trace(SL_TRACE_ERROR, "net", "no memory for a connection; closing it");
        close(fd);
        return;
    }
    c->fd = fd;
    c->refs = 1;
    c->id = atomic_fetch_add(&net->next_id, 1) + 1;
    sl__net_addr_str((const struct sockaddr *)ss, sl, c->peer, sizeof c->peer);
    sl_net_proc_t *p = &net->procs[net->next_proc++ % (unsigned)net->nprocs];
    c->proc = p;
    SL_NET_ADD(net->st.accepted, 1);
    SL_NET_ADD(net->st.open, 1);
    sl_trace(SL_TRACE_DEBUG, "net", "%s: connected (connection %" PRIu64 ", processor %d)",
             c->peer, c->id, p->index);
    pthread_mutex_lock(&p->mu);
    bool was_empty = !p->ans_head && !p->new_head;
    if (p->new_tail)
        p->new_tail->next_pending = c;
    else
        p->new_head = c;
    p->new_tail = c;
    pthread_mutex_unlock(&p->mu);
    if (was_empty)
        sl__net_wake(p->efd);
}

static void *sl__net_accept_main(void *arg)
{
    sl_net_t *net = arg;
    struct pollfd pf[2] = {{.fd = net->accept_efd, .events = POLLIN},
                           {.fd = net->lfd, .events = POLLIN}};
    bool backoff = false, warned = false;
    while (!atomic_load(&net->stopping)) {
        /* While backing off, only the wake-up fd is polled: the listener
         * would stay readable and spin. */
        int r = poll(pf, backoff ? 1 : 2, backoff ? SL_NET_ACCEPT_BACKOFF_MS : -1);
        if (r < 0 && errno != EINTR) {
            sl_trace(SL_TRACE_ERROR, "net", "poll: %s", strerror(errno));
            backoff = true;
            continue;
        }
        if (atomic_load(&net->stopping))
            break;
        if (!backoff && !(pf[1].revents & POLLIN))
            continue;
        backoff = false;
        while (!atomic_load(&net->stopping)) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;
            int fd = accept4(net->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0) {
                warned = false;
                sl__net_accepted(net, fd, &ss, sl);
                continue;
            }
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the pending connection stays in
             * the backlog; try again after a pause, warning once a run. */
            if (!warned) {
                char eb[128];
                sl_trace(SL_TRACE_WARN, "net", "accept: %s; retrying every %d ms",
                         sl__net_strerror(errno, eb, sizeof eb), SL_NET_ACCEPT_BACKOFF_MS);
                warned = true;
            }
            backoff = true;
            break;
        }
    }
    return NULL;
}

/* ---- listener ------------------------------------------------------------------------------ */

static sl_err_t sl__net_listen(sl_net_t *net, char *errbuf, size_t errlen)
{
    const sl_net_config_t *cfg = &net->cfg;
    char shown[300], portstr[16], eb[128];
    const char *host = cfg->host[0] ? cfg->host : NULL;
    snprintf(shown, sizeof shown, host && strchr(host, ':') ? "[%s]:%d" : "%s:%d",
             host ? host : "0.0.0.0", cfg->port);
    snprintf(portstr, sizeof portstr, "%d", cfg->port);

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res;
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0) {
        sl__net_errbuf(errbuf, errlen, "%s: cannot resolve: %s", shown, gai_strerror(gai));
        return gai == EAI_MEMORY ? SL_ERR_NOMEM : SL_ERR_INVAL;
    }
    /* For all interfaces, prefer one dual-stack IPv6 socket over 0.0.0.0. */
    struct addrinfo *order[16];
    int n = 0;
    for (int pass = host ? 1 : 0; pass < 2; pass++)
        for (struct addrinfo *ai = res; ai && n < 16; ai = ai->ai_next)
            if (pass == 1 ? (host || ai->ai_family != AF_INET6) : ai->ai_family == AF_INET6)
                order[n++] = ai;
    int err = 0;
    const char *what = NULL; /* the step that failed first, NULL for bind */
    for (int i = 0; i < n && net->lfd < 0; i++) {
        struct addrinfo *ai = order[i];
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
            if (!err)
                err = errno, what = "socket";
            continue;
        }
        int one = 1, zero = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (!host && ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        /* On the listener, so that accepted sockets have it before the
         * handshake fixes the window scale. */
        if (cfg->socket_receive_buffer_bytes != -1)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->socket_receive_buffer_bytes, sizeof(int));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            /* A bind error says more than an address family the host lacks. */
            if (!err || what)
                err = errno, what = NULL;
            close(fd);
            continue;
        }
        if (listen(fd, cfg->socket_listen_backlog_size) != 0) {
            err = errno, what = "listen";
            close(fd);
            continue;
        }
        net->lfd = fd;
    }
    freeaddrinfo(res);
    if (net->lfd < 0) {
        if (!what)
            sl__net_errbuf(errbuf, errlen, "%s: %s", shown, sl__net_strerror(err, eb, sizeof eb));
        else
            sl__net_errbuf(errbuf, errlen, "%s: %s: %s", shown, what,
                           sl__net_strerror(err, eb, sizeof eb));
        return SL_ERR_IO;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(net->lfd, (struct sockaddr *)&ss, &sl);
    net->port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return SL_OK;
}

/* ---- start and stop -------------------------------------------------------------------------- */

sl_err_t sl_net_start(const sl_net_config_t *cfg, sl_net_handler_fn *handler, void *opaque,
                      sl_net_t **out, char *errbuf, size_t errlen)
{
    if (!cfg || !handler || !out) {
        sl__net_errbuf(errbuf, errlen, "missing configuration, handler or result");
        return SL_ERR_INVAL;
    }
    *out = NULL;
    sl_err_t err = sl__net_check_config(cfg, errbuf, errlen);
    if (err)
        return err;
    sl_net_t *net = calloc(1, sizeof *net);
    if (!net) {
        sl__net_errbuf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    net->cfg = *cfg;
    net->handler = handler;
    net->opaque = opaque;
    net->lfd = net->accept_efd = -1;
    pthread_mutex_init(&net->qmu, NULL);
    pthread_cond_init(&net->qcond, NULL);
    net->qcap = cfg->queued_max_requests;
    net->q = calloc((size_t)net->qcap, sizeof *net->q);
    net->procs = calloc((size_t)cfg->num_network_threads, sizeof *net->procs);
    net->io = calloc((size_t)cfg->num_io_threads, sizeof *net->io);
    if (!net->q || !net->procs || !net->io) {
        sl__net_errbuf(errbuf, errlen, "out of memory");
        err = SL_ERR_NOMEM;
        goto fail;
    }
    net->nprocs = cfg->num_network_threads;
    for (int i = 0; i < net->nprocs; i++) {
        sl_net_proc_t *p = &net->procs[i];
        p->net = net;
        p->index = i;
        pthread_mutex_init(&p->mu, NULL);
        p->epfd = epoll_create1(EPOLL_CLOEXEC);
        p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    net->accept_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    for (int i = 0; i < net->nprocs; i++) {
        sl_net_proc_t *p = &net->procs[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (p->epfd < 0 || p->efd < 0 || net->accept_efd < 0 ||
            epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->efd, &ev) != 0) {
            char eb[128];
            sl__net_errbuf(errbuf, errlen, "epoll or eventfd: %s",
                           sl__net_strerror(errno, eb, sizeof eb));
            err = SL_ERR_IO;
            goto fail;
        }
    }
    err = sl__net_listen(net, errbuf, errlen);
    if (err)
        goto fail;

    char name[32]; /* the kernel keeps 15 characters */
    for (int i = 0; i < net->nprocs; i++) {
        sl_net_proc_t *p = &net->procs[i];
        if (pthread_create(&p->thread, NULL, sl__net_proc_main, p) != 0)
            goto thread_fail;
        p->started = true;
        snprintf(name, sizeof name, "sl-net-proc-%d", i);
        name[15] = '\0';
        pthread_setname_np(p->thread, name);
    }
    for (int i = 0; i < cfg->num_io_threads; i++) {
        if (pthread_create(&net->io[i], NULL, sl__net_io_main, net) != 0)
            goto thread_fail;
        net->nio++;
        snprintf(name, sizeof name, "sl-io-%d", i);
        name[15] = '\0';
        pthread_setname_np(net->io[i], name);
    }
    if (pthread_create(&net->acceptor, NULL, sl__net_accept_main, net) != 0)
        goto thread_fail;
    net->acceptor_started = true;
    pthread_setname_np(net->acceptor, "sl-net-accept");
    sl_trace(SL_TRACE_INFO, "net", "listening on port %d (%d processors, %d handler threads)",
             net->port, net->nprocs, net->nio);
    *out = net;
    return SL_OK;

thread_fail:
    sl__net_errbuf(errbuf, errlen, "cannot start a network thread");
    err = SL_ERR_NOMEM;
fail:
    sl_net_destroy(net);
    return err;
}

int sl_net_port(const sl_net_t *net) { return net->port; }

void sl_net_shutdown(sl_net_t *net)
{
    if (!net || net->shut)
        return;
    net->shut = true;
    atomic_store(&net->stopping, true);
    if (net->acceptor_started) {
        sl__net_wake(net->accept_efd);
        pthread_join(net->acceptor, NULL);
        net->acceptor_started = false;
    }
    if (net->lfd >= 0) {
        close(net->lfd);
        net->lfd = -1;
    }
    pthread_mutex_lock(&net->qmu);
    net->qclosed = true;
    pthread_cond_broadcast(&net->qcond);
    pthread_mutex_unlock(&net->qmu);
    for (int i = 0; i < net->nio; i++)
        pthread_join(net->io[i], NULL);
    net->nio = 0;
    /* Requests no handler took go back to their processors, which drop them
     * with their connections. */
    pthread_mutex_lock(&net->qmu);
    while (net->qcount > 0) {
        sl_net_request_t *req = net->q[net->qhead];
        net->qhead = (net->qhead + 1) % net->qcap;
        net->qcount--;
        sl__net_post(req, SL_NET_CLOSE);
    }
    pthread_mutex_unlock(&net->qmu);
    /* Processors with blocked connections drop them on waking. */
    for (int i = 0; i < net->nprocs; i++)
        if (net->procs[i].efd >= 0)
            sl__net_wake(net->procs[i].efd);
}

void sl_net_destroy(sl_net_t *net)
{
    if (!net)
        return;
    sl_net_shutdown(net);
    atomic_store(&net->exiting, true);
    for (int i = 0; i < net->nprocs; i++) {
        sl_net_proc_t *p = &net->procs[i];
        if (p->started) {
            sl__net_wake(p->efd);
            pthread_join(p->thread, NULL);
        }
    }
    for (int i = 0; i < net->nprocs; i++) {
        sl_net_proc_t *p = &net->procs[i];
        if (p->epfd >= 0)
            close(p->epfd);
        if (p->efd >= 0)
            close(p->efd);
        pthread_mutex_destroy(&p->mu);
    }
    if (net->accept_efd >= 0)
        close(net->accept_efd);
    pthread_mutex_destroy(&net->qmu);
    pthread_cond_destroy(&net->qcond);
    free(net->q);
    free(net->procs);
    free(net->io);
    free(net);
}

void sl_net_get_stats(sl_net_t *net, sl_net_stats_t *out)
{
    *out = (sl_net_stats_t){
        .connections_accepted = atomic_load_explicit(&net->st.accepted, memory_order_relaxed),
        .connections_open = atomic_load_explicit(&net->st.open, memory_order_relaxed),
        .requests = atomic_load_explicit(&net->st.requests, memory_order_relaxed),
        .bytes_in = atomic_load_explicit(&net->st.bytes_in, memory_order_relaxed),
        .bytes_out = atomic_load_explicit(&net->st.bytes_out, memory_order_relaxed),
        .closed_oversized = atomic_load_explicit(&net->st.oversized, memory_order_relaxed),
        .closed_idle = atomic_load_explicit(&net->st.idle, memory_order_relaxed),
    };
}
