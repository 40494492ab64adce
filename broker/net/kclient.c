/* kclient.c — the blocking Kafka-protocol client of broker-to-broker calls; see
 * kclient.h. The socket stays non-blocking and every wait is a poll(2) against
 * the call's deadline, so no read or write can outlast the timeout. */
#include "broker/net/kclient.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ApiVersions: the version asked first (v3 carries the client software name,
 * KIP-511) and what this client calls itself. */
#define SL__KCLIENT_APIV_VERSION 3
#define SL__KCLIENT_SOFTWARE "sluice"
#define SL__KCLIENT_SOFTWARE_VERSION "0.1"

typedef struct sl__kclient_range {
    int16_t key, min, max;
} sl__kclient_range_t;

struct sl_kclient {
    int fd;
    atomic_int broken;        /* set by a failure or by sl_kclient_shutdown (any thread) */
    int32_t next_corr;
    char *client_id;          /* NULL: none */
    char peer[300];           /* "host:port" */
    sl__kclient_range_t *ranges; /* the peer's ApiVersions answer */
    size_t nranges;
    sl_outbuf_t req;          /* the request body (SL_KCLIENT_CALL) */
    sl_buf_t frame;           /* size + header of the request being sent */
    sl_kreader_t resp;        /* the last response body (SL_KCLIENT_CALL) */
    sl_err_t exchange_err;    /* the last exchange's result */
    char errmsg[256];
};

/* ---- time and errors --------------------------------------------------------- */

static int64_t sl__mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The deadline of a timeout (INT64_MAX: none) and the poll timeout left. */
static int64_t sl__deadline(int timeout_ms) { return timeout_ms < 0 ? INT64_MAX : sl__mono_ms() + timeout_ms; }

static int sl__left(int64_t deadline)
{
    if (deadline == INT64_MAX)
        return -1;
    int64_t left = deadline - sl__mono_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static void sl__setmsg(sl_kclient_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sl__setmsg(sl_kclient_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
    va_end(ap);
}

/* Marks c broken with a message (the first failure's message is kept when a
 * shutdown caused the rest). Returns SL_ERR_IO. */
static sl_err_t sl__fail(sl_kclient_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static sl_err_t sl__fail(sl_kclient_t *c, const char *fmt, ...)
{
    /* Calls return early on a broken client, so broken set already means
     * sl_kclient_shutdown came during this call (and caused the failure). */
    int was = atomic_exchange(&c->broken, 1);
    char m[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    sl__setmsg(c, "%s%s (%s)", was ? "shut down: " : "", m, c->peer);
    return SL_ERR_IO;
}

static const char *sl__api_name(int16_t key)
{
    const sl_kmsg_api_t *api = sl_kmsg_api_find(key);
    return api ? api->name : "unknown api";
}

/* ---- socket I/O ------------------------------------------------------------------ */

/* Waits for events on c's socket until deadline: 1 ready, 0 timed out, -1
 * error (errno). */
static int sl__wait(int fd, short events, int64_t deadline)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, sl__left(deadline));
        if (n > 0)
            return 1;
        if (n == 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static sl_err_t sl__send_all(sl_kclient_t *c, const uint8_t *p, size_t n, int64_t deadline, const char *what)
{
    while (n) {
        if (atomic_load(&c->broken))
            return sl__fail(c, "while sending %s", what);
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w, n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = sl__wait(c->fd, POLLOUT, deadline);
            if (r == 0)
                return sl__fail(c, "timed out sending %s", what);
            if (r < 0)
                return sl__fail(c, "poll: %s", strerror(errno));
            continue;
        }
        return sl__fail(c, "sending %s: %s", what, w < 0 ? strerror(errno) : "nothing written");
    }
    return SL_OK;
}

static sl_err_t sl__recv_all(sl_kclient_t *c, uint8_t *p, size_t n, int64_t deadline, int timeout_ms,
                             const char *what)
{
    while (n) {
        if (atomic_load(&c->broken))
            return sl__fail(c, "while waiting for %s", what);
        ssize_t r = recv(c->fd, p, n, 0);
        if (r > 0) {
            p += r, n -= (size_t)r;
            continue;
        }
        if (r == 0)
            return sl__fail(c, "connection closed by the peer while waiting for %s", what);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = sl__wait(c->fd, POLLIN, deadline);
            if (w == 0)
                return sl__fail(c, "timed out after %d ms waiting for %s", timeout_ms, what);
            if (w < 0)
                return sl__fail(c, "poll: %s", strerror(errno));
            continue;
        }
        return sl__fail(c, "receiving %s: %s", what, strerror(errno));
    }
    return SL_OK;
}

/* ---- calls --------------------------------------------------------------------- */

sl_err_t sl_kclient_call_raw(sl_kclient_t *c, int16_t api_key, int16_t version, const sl_outbuf_t *body,
                             sl_arena_t *arena, sl_kreader_t *resp, int timeout_ms)
{
    c->errmsg[0] = '\0';
    if (atomic_load(&c->broken)) {
        sl__setmsg(c, "connection to %s is broken", c->peer);
        return SL_ERR_IO;
    }
    int16_t hv = sl_kmsg_request_header_version(api_key, version);
    int16_t rhv = sl_kmsg_response_header_version(api_key, version);
    if (hv < 0 || rhv < 0)
        return sl__fail(c, "api key %d is not one the codecs know", api_key);
    char what[96];
    snprintf(what, sizeof what, "the response to %s v%d", sl__api_name(api_key), version);
    int64_t deadline = sl__deadline(timeout_ms);

    /* Size, header and body into c->frame (a body with file ranges is not a
     * request anyone sends). */
    int32_t corr = c->next_corr;
    c->next_corr = corr == INT32_MAX ? 0 : corr + 1;
    sl_kmsg_request_header_t h;
    sl_kmsg_request_header_init(&h);
    h.request_api_key = api_key;
    h.request_api_version = version;
    h.correlation_id = corr;
    h.client_id = sl_kstr_from(c->client_id);
    sl_outbuf_t hb = SL_OUTBUF_INIT;
    sl_err_t err = sl_kmsg_request_header_encode(&hb, hv, &h);
    for (size_t i = 0; !err && i < body->nsegs; i++)
        if (body->segs[i].fd >= 0)
            err = SL_ERR_INVAL;
    size_t total = hb.mem.len + body->total;
    if (!err && total > INT32_MAX)
        err = SL_ERR_INVAL;
    sl_buf_reset(&c->frame);
    if (!err)
        err = sl_buf_put_be32(&c->frame, (uint32_t)total);
    if (!err)
        err = sl_buf_append(&c->frame, hb.mem.data, hb.mem.len);
    sl_outbuf_free(&hb);
    if (err) {
        sl__setmsg(c, "cannot frame %s v%d (header, or a body with file ranges or over 2 GiB): %s",
                   sl__api_name(api_key), version, sl_err_str(err));
        return err;
    }
    /* One copy, so that the request leaves in one send (requests between
     * brokers are small; record data travels in responses). */
    for (size_t i = 0; !err && i < body->nsegs; i++)
        err = sl_buf_append(&c->frame, body->mem.data + body->segs[i].off, body->segs[i].len);
    if (err) {
        sl__setmsg(c, "no memory for %s v%d", sl__api_name(api_key), version);
        return err;
    }
    if ((err = sl__send_all(c, c->frame.data, c->frame.len, deadline, "a request")))
        return err;

    uint8_t size4[4];
    if ((err = sl__recv_all(c, size4, 4, deadline, timeout_ms, what)))
        return err;
    int32_t size = (int32_t)sl_load_be32(size4);
    if (size < 4 || size > SL_KCLIENT_MAX_RESPONSE)
        return sl__fail(c, "%s has a bad size %d", what, size);
    uint8_t *data = sl_arena_alloc(arena, (size_t)size);
    if (!data) {
        /* The frame stays unread: the stream cannot be used any more. */
        sl__fail(c, "no memory for %s (%d bytes)", what, size);
        return SL_ERR_NOMEM;
    }
    if ((err = sl__recv_all(c, data, (size_t)size, deadline, timeout_ms, what)))
        return err;
    sl_kreader_t r = sl_kreader_make(data, (size_t)size);
    sl_kmsg_response_header_t rh;
    if (sl_kmsg_response_header_decode(&r, rhv, arena, &rh) != SL_OK)
        return sl__fail(c, "%s has a malformed header", what);
    if (rh.correlation_id != corr)
        return sl__fail(c, "%s carries correlation id %d, not %d", what, rh.correlation_id, corr);
    *resp = r;
    return SL_OK;
}

sl_outbuf_t *sl__kclient_reqbuf(sl_kclient_t *c)
{
    sl_outbuf_free(&c->req);
    return &c->req;
}

sl_kreader_t *sl__kclient_exchange(sl_kclient_t *c, int16_t api_key, int16_t version, sl_err_t enc_err,
                                   sl_arena_t *arena, int timeout_ms)
{
    sl_err_t err = enc_err;
    if (err) {
        sl__setmsg(c, "cannot encode %s v%d: %s", sl__api_name(api_key), version, sl_err_str(err));
    } else {
        err = sl_kclient_call_raw(c, api_key, version, &c->req, arena, &c->resp, timeout_ms);
    }
    sl_outbuf_free(&c->req);
    c->exchange_err = err;
    if (err) {
        c->resp = sl_kreader_make(NULL, 0);
        c->resp.err = err;
        c->resp.p = c->resp.end;
    }
    return &c->resp;
}

sl_err_t sl__kclient_decoded(sl_kclient_t *c, sl_err_t dec_err)
{
    if (dec_err && !c->exchange_err)
        sl__setmsg(c, "cannot decode a response from %s: %s", c->peer, sl_err_str(dec_err));
    return dec_err;
}

/* ---- connecting ------------------------------------------------------------------ */

/* One non-blocking connect to ai, within deadline. Returns the socket or -1
 * with a reason in why. */
static int sl__connect_one(const struct addrinfo *ai, int64_t deadline, char *why, size_t whylen)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return fd;
    if (errno != EINPROGRESS) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    int r = sl__wait(fd, POLLOUT, deadline);
    if (r <= 0) {
        snprintf(why, whylen, "%s", r == 0 ? "timed out" : strerror(errno));
        close(fd);
        return -1;
    }
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        soerr = errno;
    if (soerr) {
        snprintf(why, whylen, "%s", strerror(soerr));
        close(fd);
        return -1;
    }
    return fd;
}

static int sl__range_cmp(const void *a, const void *b)
{
    const sl__kclient_range_t *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* Asks ApiVersions at version v. Returns SL_OK with the peer's ranges stored,
 * SL_ERR_UNSUPPORTED_VERSION when the peer refused v (*retry_v: the version to
 * try next), or another error (c broken or the answer unusable). */
static sl_err_t sl__api_versions(sl_kclient_t *c, int16_t v, int64_t deadline, int16_t *retry_v)
{
    sl_kmsg_api_versions_request_t req;
    sl_kmsg_api_versions_request_init(&req);
    req.client_software_name = SL_KSTR(SL__KCLIENT_SOFTWARE);
    req.client_software_version = SL_KSTR(SL__KCLIENT_SOFTWARE_VERSION);
    sl_arena_t arena = SL_ARENA_INIT;
    sl_kmsg_api_versions_response_t resp;
    sl_kreader_t body, r;
    sl_err_t err = sl_kmsg_api_versions_request_encode(sl__kclient_reqbuf(c), v, &req);
    if (!err)
        err = sl_kclient_call_raw(c, SL_KAPI_API_VERSIONS, v, &c->req, &arena, &body, sl__left(deadline));
    sl_outbuf_free(&c->req);
    if (!err) {
        r = body;
        err = sl_kmsg_api_versions_response_decode(&r, v, &arena, &resp);
        if (v > 0 && (err || resp.error_code == 35 /* UNSUPPORTED_VERSION */)) {
            /* KIP-511: a peer that does not know v answers in v0. */
            r = body;
            err = sl_kmsg_api_versions_response_decode(&r, 0, &arena, &resp);
        }
        if (err)
            sl__setmsg(c, "cannot decode the ApiVersions v%d answer of %s: %s", v, c->peer, sl_err_str(err));
    }
    if (!err && resp.error_code == 35 && v > 0) {
        /* The peer's highest ApiVersions version below ours when its answer
         * lists it, else v0. */
        int16_t next = 0;
        for (int32_t i = 0; i < resp.api_keys.count; i++)
            if (resp.api_keys.items[i].api_key == SL_KAPI_API_VERSIONS && resp.api_keys.items[i].max_version < v &&
                resp.api_keys.items[i].max_version >= 0)
                next = resp.api_keys.items[i].max_version;
        *retry_v = next;
        sl_arena_free(&arena);
        return SL_ERR_UNSUPPORTED_VERSION;
    }
    if (!err && resp.error_code != 0) {
        sl__setmsg(c, "ApiVersions v%d answered error %d (%s)", v, resp.error_code, c->peer);
        err = SL_ERR_IO;
    }
    if (!err && resp.api_keys.count > 0) {
        free(c->ranges);
        c->nranges = 0;
        c->ranges = malloc((size_t)resp.api_keys.count * sizeof *c->ranges);
        if (!c->ranges) {
            err = SL_ERR_NOMEM;
        } else {
            for (int32_t i = 0; i < resp.api_keys.count; i++)
                c->ranges[i] = (sl__kclient_range_t){resp.api_keys.items[i].api_key,
                                                     resp.api_keys.items[i].min_version,
                                                     resp.api_keys.items[i].max_version};
            c->nranges = (size_t)resp.api_keys.count;
            qsort(c->ranges, c->nranges, sizeof *c->ranges, sl__range_cmp);
        }
    }
    sl_arena_free(&arena);
    return err;
}

sl_err_t sl_kclient_connect(const char *host, int port, int timeout_ms, const char *client_id, sl_kclient_t **out,
                            char *errbuf, size_t errlen)
{
    char dummy[1];
    if (!errbuf || !errlen)
        errbuf = dummy, errlen = sizeof dummy;
    errbuf[0] = '\0';
    if (!host || !out || port <= 0 || port > 65535) {
        snprintf(errbuf, errlen, "kclient: bad host or port");
        return SL_ERR_INVAL;
    }
    int64_t deadline = sl__deadline(timeout_ms);
    sl_kclient_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errbuf, errlen, "kclient: out of memory");
        return SL_ERR_NOMEM;
    }
    c->fd = -1;
    atomic_init(&c->broken, 0);
    c->req = (sl_outbuf_t)SL_OUTBUF_INIT;
    sl_buf_init(&c->frame);
    snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
    if (client_id && !(c->client_id = strdup(client_id))) {
        sl_kclient_close(c);
        snprintf(errbuf, errlen, "kclient: out of memory");
        return SL_ERR_NOMEM;
    }

    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai) {
        snprintf(errbuf, errlen, "kclient: cannot resolve %s: %s", host, gai_strerror(gai));
        sl_kclient_close(c);
        return SL_ERR_IO;
    }
    char why[128] = "no address";
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next)
        c->fd = sl__connect_one(ai, deadline, why, sizeof why);
    freeaddrinfo(res);
    if (c->fd < 0) {
        snprintf(errbuf, errlen, "kclient: cannot connect to %s: %s", c->peer, why);
        sl_kclient_close(c);
        return SL_ERR_IO;
    }
    int one = 1;
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    int16_t v = SL__KCLIENT_APIV_VERSION, retry_v = 0;
    sl_err_t err = sl__api_versions(c, v, deadline, &retry_v);
    if (err == SL_ERR_UNSUPPORTED_VERSION) {
        v = retry_v;
        err = sl__api_versions(c, v, deadline, &retry_v);
        if (err == SL_ERR_UNSUPPORTED_VERSION) {
            sl__setmsg(c, "%s refuses ApiVersions v%d too", c->peer, v);
            err = SL_ERR_IO;
        }
    }
    if (err) {
        snprintf(errbuf, errlen, "kclient: ApiVersions v%d with %s failed: %s", v, c->peer,
                 c->errmsg[0] ? c->errmsg : sl_err_str(err));
        sl_kclient_close(c);
        return err == SL_ERR_NOMEM ? err : SL_ERR_IO;
    }
    c->errmsg[0] = '\0';
    *out = c;
    return SL_OK;
}

/* ---- the rest ---------------------------------------------------------------------- */

int sl_kclient_peer_versions(const sl_kclient_t *c, int16_t api_key, int16_t *min, int16_t *max)
{
    sl__kclient_range_t k = {api_key, 0, 0};
    const sl__kclient_range_t *r =
        c->nranges ? bsearch(&k, c->ranges, c->nranges, sizeof *c->ranges, sl__range_cmp) : NULL;
    if (!r)
        return 0;
    *min = r->min;
    *max = r->max;
    return 1;
}

int16_t sl_kclient_version(const sl_kclient_t *c, int16_t api_key, int16_t our_min, int16_t our_max)
{
    int16_t lo, hi;
    if (!sl_kclient_peer_versions(c, api_key, &lo, &hi))
        return -1;
    if (our_min > lo)
        lo = our_min;
    if (our_max < hi)
        hi = our_max;
    return lo <= hi ? hi : -1;
}

int sl_kclient_broken(const sl_kclient_t *c) { return atomic_load(&((sl_kclient_t *)c)->broken); }

const char *sl_kclient_errmsg(const sl_kclient_t *c) { return c->errmsg; }

const char *sl_kclient_peer(const sl_kclient_t *c) { return c->peer; }

void sl_kclient_shutdown(sl_kclient_t *c)
{
    if (!c)
        return;
    atomic_store(&c->broken, 1);
    /* errmsg is left to the thread using c: its failing call says "shut down". */
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
}

void sl_kclient_close(sl_kclient_t *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c->client_id);
    free(c->ranges);
    sl_outbuf_free(&c->req);
    sl_buf_free(&c->frame);
    free(c);
}
