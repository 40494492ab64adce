/* net.h — the broker's network layer, as Kafka's SocketServer: one acceptor,
 * num.network.threads processors multiplexing connections with epoll, a
 * bounded request queue, and num.io.threads handler threads that run the
 * broker's request handler. Responses go back to the processor that owns the
 * connection, which writes memory with writev and log ranges with sendfile.
 *
 * Ordering: a connection has at most one request in flight. After reading a
 * request its processor stops reading from it (the connection is muted) until
 * the request is answered (or answered with nothing), so the requests of one
 * connection are handled and answered strictly in order, as Kafka does. */
#ifndef SL_BROKER_NET_NET_H
#define SL_BROKER_NET_NET_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "common/outbuf.h"

typedef struct sl_net sl_net_t;
typedef struct sl_net_request sl_net_request_t;

/** Settings, with Kafka's server.properties names; sl_net_config_default()
 * gives Kafka's defaults. */
typedef struct sl_net_config {
    char host[256];                    /* listener host or IP; "" = all interfaces */
    int port;                          /* 0: an ephemeral port (see sl_net_port) */
    int num_network_threads;           /* num.network.threads: 3 */
    int num_io_threads;                /* num.io.threads: 8 */
    int queued_max_requests;           /* queued.max.requests: 500 */
    int32_t socket_request_max_bytes;  /* socket.request.max.bytes: 104857600 */
    int64_t connections_max_idle_ms;   /* connections.max.idle.ms: 600000 */
    int socket_send_buffer_bytes;      /* socket.send.buffer.bytes: 102400; -1 = OS default */
    int socket_receive_buffer_bytes;   /* socket.receive.buffer.bytes: 102400; -1 = OS default */
    int socket_listen_backlog_size;    /* socket.listen.backlog.size: 50 */
} sl_net_config_t;

sl_net_config_t sl_net_config_default(void);

/** Runs on a handler (io) thread for each request read. The handler owns req
 * from then on and must call exactly one of sl_net_respond,
 * sl_net_respond_none or sl_net_close for it — at once, or later from any
 * thread (a long-polling Fetch answers when data arrives). It must not block
 * for long: handler threads are few. */
typedef void sl_net_handler_fn(void *opaque, sl_net_request_t *req);

/** Binds, listens and starts the threads. cfg is copied. The handler and its
 * opaque must stay valid until sl_net_destroy. *out is owned by the caller.
 * Errors: SL_ERR_IO (bind or listen failed: errbuf names the address and the
 * reason, e.g. "address already in use"), SL_ERR_INVAL, SL_ERR_NOMEM. */
sl_err_t sl_net_start(const sl_net_config_t *cfg, sl_net_handler_fn *handler, void *opaque,
                      sl_net_t **out, char *errbuf, size_t errlen);

/** The port the listener is bound to (useful with port 0). */
int sl_net_port(const sl_net_t *net);

/** First phase of stopping: closes the listener, stops reading requests,
 * drains the request queue (queued requests are dropped with their
 * connections) and joins the handler threads. Requests that handlers still
 * hold stay valid: answer them (answers are dropped) before sl_net_destroy. */
void sl_net_shutdown(sl_net_t *net);

/** Second phase: closes every connection, joins the processors and frees the
 * network layer. Calls sl_net_shutdown first if it was not called. Every
 * request handed to the handler must have been answered. NULL is a no-op. */
void sl_net_destroy(sl_net_t *net);

/** The request's bytes: the frame after its 4-byte size (request header and
 * body). Valid until the request is answered. */
const uint8_t *sl_net_request_data(const sl_net_request_t *req, size_t *len);

/** A number identifying the request's connection for the life of the network
 * layer (never reused). */
uint64_t sl_net_request_conn(const sl_net_request_t *req);

/** The peer's address, "ip:port". Valid until the request is answered. */
const char *sl_net_request_peer(const sl_net_request_t *req);

/** Sends resp (response header and body, without the 4-byte size, which the
 * network layer prepends) and unmutes the connection. Consumes resp: its file
 * ranges are released once sent, or when the connection is gone; *resp is left
 * empty. Frees req. Callable from any thread. Never fails: if the connection
 * has closed the response is dropped. */
void sl_net_respond(sl_net_request_t *req, sl_outbuf_t *resp);

/** Answers with nothing (a Produce with acks=0) and unmutes the connection.
 * Frees req. Callable from any thread. */
void sl_net_respond_none(sl_net_request_t *req);

/** Closes the request's connection (a request that cannot be parsed) after
 * anything already queued for it is sent. Frees req. Callable from any thread. */
void sl_net_close(sl_net_request_t *req);

/** Called on a processor thread when a connection closes (either side, any
 * reason), with the handler's opaque and the id sl_net_request_conn gave for
 * its requests. It must return quickly and must not call into the network
 * layer. */
typedef void sl_net_close_fn(void *opaque, uint64_t conn);

/** Sets (or, with NULL, clears) the close hook; from any thread. */
void sl_net_set_close_hook(sl_net_t *net, sl_net_close_fn *fn);

/** Counters for tests and monitoring (a consistent snapshot is not promised). */
typedef struct sl_net_stats {
    uint64_t connections_accepted;
    uint64_t connections_open;
    uint64_t requests;
    uint64_t bytes_in, bytes_out;
    uint64_t closed_oversized; /* frames above socket.request.max.bytes */
    uint64_t closed_idle;      /* idle longer than connections.max.idle.ms */
} sl_net_stats_t;

void sl_net_get_stats(sl_net_t *net, sl_net_stats_t *out);

#endif
