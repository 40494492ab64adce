/* kclient.h — a small blocking Kafka-protocol client with which broker threads
 * call other brokers (registration and heartbeats to the controller, AlterPartition,
 * follower Fetch, OffsetForLeaderEpoch): one TCP connection, one request in
 * flight, every wait bounded by a timeout.
 *
 *     sl_kclient_t *c;
 *     if (sl_kclient_connect("10.0.0.2", 9092, 3000, "broker-1", &c, err, sizeof err))
 *         ...;
 *     int16_t v = sl_kclient_version(c, SL_KAPI_METADATA, 1, 12);
 *     sl_kmsg_metadata_request_t req;
 *     sl_kmsg_metadata_request_init(&req);
 *     sl_kmsg_metadata_response_t resp;
 *     sl_err_t e = SL_KCLIENT_CALL(c, metadata, v, &req, &arena, &resp, 5000);
 *     ...
 *     sl_kclient_close(c);
 *
 * Threads: one thread at a time uses a client (connect, version, call, close);
 * sl_kclient_shutdown alone may come from any other thread, to unblock that
 * one (for a broker's shutdown), as long as the client is not yet closed.
 *
 * Errors: a failure of the connection itself (I/O error, the peer closing,
 * a timeout, a response that is too large or answers another correlation id,
 * shutdown) leaves the client broken: that call and every later one return
 * SL_ERR_IO at once; close it and connect again. sl_kclient_errmsg says what
 * happened. Errors in encoding the request or decoding the response of a frame
 * that was read whole leave the connection usable.
 *
 * Requests that get no response (Produce with acks 0) must not be sent with
 * this client: it would wait for an answer until the timeout. */
#ifndef SL_BROKER_NET_KCLIENT_H
#define SL_BROKER_NET_KCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/proto/kmsg.h"
#include "common/buf.h"
#include "common/outbuf.h"

/** A connection to one broker (opaque). */
typedef struct sl_kclient sl_kclient_t;

/** Largest response frame accepted (100 MiB, Kafka's socket.request.max.bytes
 * default); a larger size prefix breaks the connection before anything is
 * allocated for it. */
#define SL_KCLIENT_MAX_RESPONSE (100 * 1024 * 1024)

/** Connects to host:port (a name or an IP; every address it resolves to is
 * tried in turn) within timeout_ms in all (< 0: no limit; name resolution
 * itself is not bounded), sets TCP_NODELAY, then asks the peer's ApiVersions
 * (v3, or v0 when the peer answers UNSUPPORTED_VERSION, KIP-511) to learn the
 * versions it serves. client_id (NULL: none; copied) goes in every request
 * header. *out is the caller's (sl_kclient_close). Errors: SL_ERR_INVAL (NULL
 * host or out, port outside 1..65535), SL_ERR_IO (resolution failed, refused,
 * timed out, ApiVersions failed or answered an error), SL_ERR_NOMEM; errbuf
 * (may be NULL) says which and why. */
sl_err_t sl_kclient_connect(const char *host, int port, int timeout_ms, const char *client_id, sl_kclient_t **out,
                            char *errbuf, size_t errlen);

/** The highest version of api_key both sides serve: the peer (by its
 * ApiVersions answer) and the caller (our_min..our_max, e.g. what our codec
 * or handler knows). -1 when there is none, or the peer does not serve it. */
int16_t sl_kclient_version(const sl_kclient_t *c, int16_t api_key, int16_t our_min, int16_t our_max);

/** The range of api_key the peer serves into *min and *max; returns 0 when it
 * does not serve it (then *min and *max are untouched). */
int sl_kclient_peer_versions(const sl_kclient_t *c, int16_t api_key, int16_t *min, int16_t *max);

/** Sends one request, whose body (the encoded message without size or
 * header) is body, as api_key version, and waits up to timeout_ms (< 0: no
 * limit) for its response. The request header is written here: the header
 * version the api and version call for, a fresh correlation id (checked
 * against the answer's) and the client id. The response frame is read into
 * memory from arena; on SL_OK *resp reads its body (after the response
 * header), and everything decoded from it stays valid until arena is reset.
 * body (memory only) is not consumed. Errors: SL_ERR_IO (the connection is
 * or becomes broken, see the top of this file; also when api_key is not one
 * the codecs know, as the response header version is then unknown),
 * SL_ERR_INVAL (body holds file ranges or exceeds 2 GiB; nothing sent),
 * SL_ERR_NOMEM (before sending: nothing sent; for the response: broken). */
sl_err_t sl_kclient_call_raw(sl_kclient_t *c, int16_t api_key, int16_t version, const sl_outbuf_t *body,
                             sl_arena_t *arena, sl_kreader_t *resp, int timeout_ms);

/** Calls a generated API by its snake-case name: encodes *req (a const
 * sl_kmsg_<name>_request_t *) with sl_kmsg_<name>_request_encode at version,
 * sends it, waits up to timeout_ms and decodes the answer with
 * sl_kmsg_<name>_response_decode into *resp (a sl_kmsg_<name>_response_t *).
 * Everything in *resp — arrays, strings, records — lives in arena, valid until
 * the arena is reset or freed. Evaluates to an sl_err_t: those of
 * sl_kclient_call_raw, plus the encoder's (SL_ERR_UNSUPPORTED: version out of
 * range or a field the version lacks is set; SL_ERR_INVAL; nothing is sent
 * then) and the decoder's (SL_ERR_TRUNCATED, SL_ERR_INVAL; the connection
 * stays usable). c, version and arena are evaluated more than once.
 *
 *     SL_KCLIENT_CALL(c, broker_heartbeat, 1, &req, &arena, &resp, 2000) */
#define SL_KCLIENT_CALL(c, name, version, req, arena, resp, timeout_ms)                                            \
    sl__kclient_decoded((c), sl_kmsg_##name##_response_decode(                                                     \
                                 sl__kclient_exchange((c), SL_KAPI_KEY_##name, (version),                          \
                                                      sl_kmsg_##name##_request_encode(sl__kclient_reqbuf(c),       \
                                                                                      (version), (req)),           \
                                                      (arena), (timeout_ms)),                                      \
                                 (version), (arena), (resp)))

/** True once the connection is broken (every call then fails with SL_ERR_IO). */
int sl_kclient_broken(const sl_kclient_t *c);

/** What the last failed call met, e.g. "timed out after 500 ms waiting for
 * the response to Fetch v12 from 10.0.0.2:9092"; "" when none did. Valid until
 * the next call on c. */
const char *sl_kclient_errmsg(const sl_kclient_t *c);

/** "host:port" as given to sl_kclient_connect. Valid until sl_kclient_close. */
const char *sl_kclient_peer(const sl_kclient_t *c);

/** Breaks the connection (shutdown(2) of the socket, which is not closed):
 * a call blocked in another thread returns SL_ERR_IO at once, and so do all
 * later ones. Callable from any thread, any number of times, until
 * sl_kclient_close. */
void sl_kclient_shutdown(sl_kclient_t *c);

/** Closes the connection and frees c. NULL is a no-op. No other thread may be
 * using c, or call sl_kclient_shutdown on it, any more. */
void sl_kclient_close(sl_kclient_t *c);

/* ---- internal to SL_KCLIENT_CALL ----------------------------------------------- */

/** c's request buffer, emptied (the encoder writes the body there). */
sl_outbuf_t *sl__kclient_reqbuf(sl_kclient_t *c);

/** sl_kclient_call_raw on c's request buffer once enc_err (the encoder's
 * result) is SL_OK; returns a reader over the response body, failed with the
 * error when there is one (so that the decoder returns it). The reader is c's,
 * valid until the next call. */
sl_kreader_t *sl__kclient_exchange(sl_kclient_t *c, int16_t api_key, int16_t version, sl_err_t enc_err,
                                   sl_arena_t *arena, int timeout_ms);

/** Passes the decoder's result through, noting a decode error in errmsg. */
sl_err_t sl__kclient_decoded(sl_kclient_t *c, sl_err_t dec_err);

#endif
