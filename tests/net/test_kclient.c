/* test_kclient.c — the broker-to-broker client (broker/net/kclient.c) against a
 * real broker in process (versions, Metadata, CreateTopics, Produce, Fetch) and
 * against scripted fake peers on raw sockets: a peer that never answers, a
 * closed port, a shutdown from another thread, a wrong correlation id, an
 * oversized frame and the KIP-511 ApiVersions fallback. The fake peer's thread
 * never calls cmocka asserts; it records what it saw for the test thread. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/batch.h"
#include "broker/net/kclient.h"
#include "broker/proto/kmsg.h"
#include "broker/server/broker.h"
#include "common/trace.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A listening socket on 127.0.0.1 and a free port; *port gets the port. */
static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* ---- a real broker ------------------------------------------------------------ */

typedef struct {
    char *dir;
    sl_broker_t *b;
    int port;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = sl_test_mkdtemp();
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    char err[512];
    assert_int_equal(sl_broker_config_set(&cfg, "listeners", "PLAINTEXT://127.0.0.1:0", err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&cfg, "log.dirs", f->dir, err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&cfg, "num.io.threads", "2", err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&cfg, "num.network.threads", "1", err, sizeof err), SL_OK);
    if (sl_broker_start(&cfg, &f->b, err, sizeof err))
        fail_msg("sl_broker_start: %s", err);
    f->port = sl_broker_port(f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    sl_broker_stop(f->b);
    sl_test_rmdir(f->dir);
    free(f);
    return 0;
}

static sl_kclient_t *connect_ok(int port)
{
    sl_kclient_t *c = NULL;
    char err[256];
    sl_err_t e = sl_kclient_connect("127.0.0.1", port, 5000, "test-kclient", &c, err, sizeof err);
    if (e)
        fail_msg("sl_kclient_connect: %s: %s", sl_err_name(e), err);
    return c;
}

static void negotiated_versions(void **state)
{
    fixture_t *f = *state;
    sl_kclient_t *c = connect_ok(f->port);
    const sl_kmsg_api_t *md = sl_kmsg_api_find(SL_KAPI_METADATA);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_METADATA, md->min_version, md->max_version), 12);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_METADATA, 0, 4), 4);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_PRODUCE, 3, 11), 9);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_FETCH, 0, 16), 12);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_FETCH, 0, 3), -1); /* the broker serves 4+ */
    int16_t lo, hi;
    assert_true(sl_kclient_peer_versions(c, SL_KAPI_FETCH, &lo, &hi));
    assert_int_equal(lo, 4);
    assert_int_equal(hi, 12);
    /* Not served (yet): SaslHandshake, and a key nobody knows. */
    assert_int_equal(sl_kclient_version(c, SL_KAPI_SASL_HANDSHAKE, 0, 1), -1);
    assert_int_equal(sl_kclient_version(c, 999, 0, 1), -1);
    assert_false(sl_kclient_broken(c));
    assert_string_equal(sl_kclient_errmsg(c), "");
    char peer[64];
    snprintf(peer, sizeof peer, "127.0.0.1:%d", f->port);
    assert_string_equal(sl_kclient_peer(c), peer);
    sl_kclient_close(c);
    sl_kclient_close(NULL);
}

static void metadata_topics_produce_fetch(void **state)
{
    fixture_t *f = *state;
    sl_kclient_t *c = connect_ok(f->port);
    sl_arena_t arena = SL_ARENA_INIT;

    /* CreateTopics. */
    int16_t v = sl_kclient_version(c, SL_KAPI_CREATE_TOPICS, 0, 7);
    assert_int_equal(v, 7);
    sl_kmsg_create_topics_request_creatable_topic_t ct;
    sl_kmsg_create_topics_request_creatable_topic_init(&ct);
    ct.name = SL_KSTR("kc-topic");
    ct.num_partitions = 2;
    ct.replication_factor = 1;
    sl_kmsg_create_topics_request_t creq;
    sl_kmsg_create_topics_request_init(&creq);
    creq.topics = (sl_kmsg_create_topics_request_creatable_topic_array_t){&ct, 1};
    creq.timeout_ms = 10000;
    sl_kmsg_create_topics_response_t cresp;
    assert_int_equal(SL_KCLIENT_CALL(c, create_topics, v, &creq, &arena, &cresp, 10000), SL_OK);
    assert_int_equal(cresp.topics.count, 1);
    assert_true(sl_kstr_is(cresp.topics.items[0].name, "kc-topic", 8));
    assert_int_equal(cresp.topics.items[0].error_code, 0);
    assert_int_equal(cresp.topics.items[0].num_partitions, 2);
    /* Again: TOPIC_ALREADY_EXISTS (36), an answer, not a client error. */
    assert_int_equal(SL_KCLIENT_CALL(c, create_topics, v, &creq, &arena, &cresp, 10000), SL_OK);
    assert_int_equal(cresp.topics.items[0].error_code, 36);

    /* Metadata of every topic: the broker itself and the new topic. */
    sl_kmsg_metadata_request_t mreq;
    sl_kmsg_metadata_request_init(&mreq);
    mreq.topics.count = -1;
    sl_kmsg_metadata_response_t mresp;
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 12, &mreq, &arena, &mresp, 5000), SL_OK);
    assert_int_equal(mresp.brokers.count, 1);
    assert_int_equal(mresp.brokers.items[0].port, f->port);
    assert_true(sl_kstr_is(mresp.brokers.items[0].host, "127.0.0.1", 9));
    int found = 0;
    for (int32_t i = 0; i < mresp.topics.count; i++)
        if (sl_kstr_is(mresp.topics.items[i].name, "kc-topic", 8)) {
            found = 1;
            assert_int_equal(mresp.topics.items[i].partitions.count, 2);
        }
    assert_true(found);
    /* An older version through the same connection. */
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 1, &mreq, &arena, &mresp, 5000), SL_OK);
    assert_int_equal(mresp.brokers.count, 1);
    sl_arena_reset(&arena);

    /* Produce three records to partition 1. */
    sl_batch_opts_t opts = sl_batch_opts_default();
    sl_batch_builder_t bb;
    sl_batch_builder_init(&bb, &opts);
    for (int i = 0; i < 3; i++) {
        char val[16];
        int n = snprintf(val, sizeof val, "value-%d", i);
        assert_int_equal(sl_batch_builder_add(&bb, -1, 1700000000000 + i, "k", 1, val, n, NULL, 0), SL_OK);
    }
    sl_buf_t batch = SL_BUF_INIT;
    assert_int_equal(sl_batch_builder_finish(&bb, &batch), SL_OK);
    sl_batch_builder_destroy(&bb);
    sl_kmsg_produce_request_partition_produce_data_t pp;
    sl_kmsg_produce_request_partition_produce_data_init(&pp);
    pp.index = 1;
    pp.records = (sl_krecords_t){batch.data, (int32_t)batch.len, -1, 0, NULL, NULL};
    sl_kmsg_produce_request_topic_produce_data_t pt;
    sl_kmsg_produce_request_topic_produce_data_init(&pt);
    pt.name = SL_KSTR("kc-topic");
    pt.partition_data = (sl_kmsg_produce_request_partition_produce_data_array_t){&pp, 1};
    sl_kmsg_produce_request_t preq;
    sl_kmsg_produce_request_init(&preq);
    preq.acks = -1;
    preq.timeout_ms = 5000;
    preq.topic_data = (sl_kmsg_produce_request_topic_produce_data_array_t){&pt, 1};
    sl_kmsg_produce_response_t presp;
    v = sl_kclient_version(c, SL_KAPI_PRODUCE, 3, 9);
    assert_int_equal(SL_KCLIENT_CALL(c, produce, v, &preq, &arena, &presp, 5000), SL_OK);
    assert_int_equal(presp.responses.count, 1);
    assert_int_equal(presp.responses.items[0].partition_responses.count, 1);
    assert_int_equal(presp.responses.items[0].partition_responses.items[0].error_code, 0);
    assert_int_equal(presp.responses.items[0].partition_responses.items[0].base_offset, 0);

    /* Fetch it back as a follower would (replica id in the request). */
    sl_kmsg_fetch_request_fetch_partition_t fp;
    sl_kmsg_fetch_request_fetch_partition_init(&fp);
    fp.partition = 1;
    fp.fetch_offset = 0;
    fp.partition_max_bytes = 1 << 20;
    sl_kmsg_fetch_request_fetch_topic_t ft;
    sl_kmsg_fetch_request_fetch_topic_init(&ft);
    ft.topic = SL_KSTR("kc-topic");
    ft.partitions = (sl_kmsg_fetch_request_fetch_partition_array_t){&fp, 1};
    sl_kmsg_fetch_request_t freq;
    sl_kmsg_fetch_request_init(&freq);
    freq.max_wait_ms = 100;
    freq.min_bytes = 1;
    freq.max_bytes = 1 << 20;
    freq.topics = (sl_kmsg_fetch_request_fetch_topic_array_t){&ft, 1};
    sl_kmsg_fetch_response_t fresp;
    v = sl_kclient_version(c, SL_KAPI_FETCH, 4, 12);
    assert_int_equal(v, 12);
    assert_int_equal(SL_KCLIENT_CALL(c, fetch, v, &freq, &arena, &fresp, 5000), SL_OK);
    assert_int_equal(fresp.error_code, 0);
    assert_int_equal(fresp.responses.count, 1);
    const sl_kmsg_fetch_response_partition_data_t *pd = &fresp.responses.items[0].partitions.items[0];
    assert_int_equal(pd->partition_index, 1);
    assert_int_equal(pd->error_code, 0);
    assert_int_equal(pd->high_watermark, 3);
    assert_int_equal(pd->records.len, (int32_t)batch.len);
    sl_batch_header_t h;
    assert_int_equal(sl_batch_header_parse(pd->records.data, (size_t)pd->records.len, &h), SL_OK);
    assert_int_equal(h.record_count, 3);
    assert_int_equal(h.base_offset, 0);
    /* The records are the arena's: the connection can be reused and closed
     * while they stay readable. */
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 12, &mreq, &arena, &mresp, 5000), SL_OK);
    sl_kclient_close(c);
    /* From the magic byte on (the leader epoch before it is the broker's). */
    assert_memory_equal(pd->records.data + 16, batch.data + 16, batch.len - 16);

    sl_buf_free(&batch);
    sl_arena_free(&arena);
}

/* A version outside the codec's range or a field the version lacks is refused
 * before anything is sent; the connection stays usable. */
static void encode_errors_keep_the_connection(void **state)
{
    fixture_t *f = *state;
    sl_kclient_t *c = connect_ok(f->port);
    sl_arena_t arena = SL_ARENA_INIT;
    sl_kmsg_metadata_request_t mreq;
    sl_kmsg_metadata_request_init(&mreq);
    sl_kmsg_metadata_response_t mresp;
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 99, &mreq, &arena, &mresp, 5000), SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(sl_kclient_errmsg(c), "cannot encode Metadata v99"));
    mreq.topics.count = -1; /* null (all topics) needs v1+ */
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 0, &mreq, &arena, &mresp, 5000), SL_ERR_INVAL);
    assert_false(sl_kclient_broken(c));
    assert_int_equal(SL_KCLIENT_CALL(c, metadata, 12, &mreq, &arena, &mresp, 5000), SL_OK);
    assert_string_equal(sl_kclient_errmsg(c), "");
    sl_kclient_close(c);
    sl_arena_free(&arena);
}

/* An API the broker does not serve (yet): it closes the connection, which the
 * client reports as broken — in two versions. */
static void unserved_api_breaks_the_connection(void **state)
{
    fixture_t *f = *state;
    sl_arena_t arena = SL_ARENA_INIT;
    for (int16_t v = 0; v <= 1; v++) {
        sl_kclient_t *c = connect_ok(f->port);
        sl_kmsg_sasl_handshake_request_t req;
        sl_kmsg_sasl_handshake_request_init(&req);
        req.mechanism = SL_KSTR("PLAIN");
        sl_kmsg_sasl_handshake_response_t resp;
        assert_int_equal(SL_KCLIENT_CALL(c, sasl_handshake, v, &req, &arena, &resp, 5000), SL_ERR_IO);
        assert_true(sl_kclient_broken(c));
        assert_non_null(strstr(sl_kclient_errmsg(c), "closed by the peer"));
        sl_kclient_close(c);
    }
    sl_arena_free(&arena);
}

/* ---- fake peers ------------------------------------------------------------------- */

typedef enum {
    PEER_SILENT,   /* answers ApiVersions, then nothing */
    PEER_BAD_CORR, /* answers the next request with another correlation id */
    PEER_HUGE,     /* answers the next request with a 2 GiB size */
    PEER_OLD,      /* serves ApiVersions v0-2 only (KIP-511 fallback) */
    PEER_ECHO,     /* answers ApiVersions, then Metadata v12 with an empty body */
} peer_mode_t;

typedef struct {
    int lfd;
    int port;
    peer_mode_t mode;
    pthread_t thread;
    int16_t seen_versions[8]; /* ApiVersions versions asked, in order */
    int nseen;
    int requests;             /* requests read, all apis */
    atomic_int failures;      /* anything unexpected in the peer thread */
} peer_t;

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = recv(fd, p, n, 0);
        if (r <= 0)
            return -1;
        p += r, n -= (size_t)r;
    }
    return 0;
}

static int send_frame(int fd, const sl_outbuf_t *ob, int32_t size_override)
{
    uint8_t s[4];
    sl_store_be32(s, (uint32_t)(size_override ? size_override : (int32_t)ob->mem.len));
    if (send(fd, s, 4, MSG_NOSIGNAL) != 4)
        return -1;
    return ob->mem.len && send(fd, ob->mem.data, ob->mem.len, MSG_NOSIGNAL) != (ssize_t)ob->mem.len ? -1 : 0;
}

static void api_versions_answer(peer_t *p, int fd, int16_t v, int32_t corr)
{
    sl_kmsg_api_versions_response_api_version_t keys[2] = {
        {SL_KAPI_API_VERSIONS, 0, p->mode == PEER_OLD ? 2 : 3},
        {SL_KAPI_METADATA, 0, 12},
    };
    sl_kmsg_api_versions_response_t resp;
    sl_kmsg_api_versions_response_init(&resp);
    resp.api_keys = (sl_kmsg_api_versions_response_api_version_array_t){keys, 2};
    if (v > keys[0].max_version) {
        resp.error_code = 35;
        v = 0;
    }
    sl_kmsg_response_header_t h = {corr};
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    if (sl_kmsg_response_header_encode(&ob, 0, &h) || sl_kmsg_api_versions_response_encode(&ob, v, &resp) ||
        send_frame(fd, &ob, 0))
        atomic_fetch_add(&p->failures, 1);
    sl_outbuf_free(&ob);
}

static void *peer_main(void *arg)
{
    peer_t *p = arg;
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0) {
        atomic_fetch_add(&p->failures, 1);
        return NULL;
    }
    for (;;) {
        uint8_t s[4];
        if (read_full(fd, s, 4))
            break; /* the client closed or shut down */
        uint32_t n = sl_load_be32(s);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf || n < 8 || read_full(fd, buf, n)) {
            free(buf);
            break;
        }
        int16_t key = (int16_t)sl_load_be16(buf), v = (int16_t)sl_load_be16(buf + 2);
        int32_t corr = (int32_t)sl_load_be32(buf + 4);
        free(buf);
        p->requests++;
        if (key == SL_KAPI_API_VERSIONS) {
            if (p->nseen < 8)
                p->seen_versions[p->nseen++] = v;
            api_versions_answer(p, fd, v, corr);
            continue;
        }
        sl_outbuf_t ob = SL_OUTBUF_INIT;
        sl_kmsg_response_header_t h = {corr};
        switch (p->mode) {
        case PEER_SILENT:
            break;
        case PEER_BAD_CORR:
            h.correlation_id = corr + 1;
            /* fall through */
        case PEER_OLD:
        case PEER_ECHO: {
            sl_kmsg_metadata_response_t m;
            sl_kmsg_metadata_response_init(&m);
            if (sl_kmsg_response_header_encode(&ob, 1, &h) || sl_kmsg_metadata_response_encode(&ob, 12, &m) ||
                send_frame(fd, &ob, 0))
                atomic_fetch_add(&p->failures, 1);
            break;
        }
        case PEER_HUGE:
            if (sl_kmsg_response_header_encode(&ob, 1, &h) || send_frame(fd, &ob, INT32_MAX))
                atomic_fetch_add(&p->failures, 1);
            break;
        }
        sl_outbuf_free(&ob);
    }
    close(fd);
    return NULL;
}

static void peer_start(peer_t *p, peer_mode_t mode)
{
    memset(p, 0, sizeof *p);
    p->mode = mode;
    atomic_init(&p->failures, 0);
    p->lfd = listen_local(&p->port);
    assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
}

/* Joins the peer (the client must be closed or shut down by now). */
static void peer_stop(peer_t *p)
{
    pthread_join(p->thread, NULL);
    close(p->lfd);
    assert_int_equal(atomic_load(&p->failures), 0);
}

static void metadata_call(sl_kclient_t *c, sl_arena_t *arena, int timeout_ms, sl_err_t want)
{
    sl_kmsg_metadata_request_t mreq;
    sl_kmsg_metadata_request_init(&mreq);
    sl_kmsg_metadata_response_t mresp;
    sl_err_t e = SL_KCLIENT_CALL(c, metadata, 12, &mreq, arena, &mresp, timeout_ms);
    if (e != want)
        fail_msg("Metadata: %s, want %s (%s)", sl_err_name(e), sl_err_name(want), sl_kclient_errmsg(c));
}

/* A peer whose kernel accepts the connection but that never answers:
 * connect gives up on ApiVersions at its timeout. */
static void connect_times_out_on_a_silent_listener(void **state)
{
    (void)state;
    int port;
    int lfd = listen_local(&port); /* never accept()ed: the backlog holds the connection */
    sl_kclient_t *c = NULL;
    char err[256];
    int64_t t0 = now_ms();
    assert_int_equal(sl_kclient_connect("127.0.0.1", port, 300, NULL, &c, err, sizeof err), SL_ERR_IO);
    int64_t took = now_ms() - t0;
    assert_null(c);
    assert_true(took >= 250);
    assert_true(took < 3000);
    assert_non_null(strstr(err, "timed out"));
    close(lfd);
}

static void call_times_out_and_breaks_the_connection(void **state)
{
    (void)state;
    peer_t p;
    peer_start(&p, PEER_SILENT);
    sl_kclient_t *c = connect_ok(p.port);
    sl_arena_t arena = SL_ARENA_INIT;
    int64_t t0 = now_ms();
    metadata_call(c, &arena, 200, SL_ERR_IO);
    int64_t took = now_ms() - t0;
    assert_true(took >= 150);
    assert_true(took < 3000);
    assert_true(sl_kclient_broken(c));
    assert_non_null(strstr(sl_kclient_errmsg(c), "timed out after 200 ms waiting for the response to Metadata v12"));
    /* Later calls fail at once. */
    t0 = now_ms();
    metadata_call(c, &arena, 5000, SL_ERR_IO);
    assert_true(now_ms() - t0 < 100);
    assert_non_null(strstr(sl_kclient_errmsg(c), "broken"));
    sl_kclient_close(c);
    peer_stop(&p);
    assert_int_equal(p.requests, 2); /* ApiVersions and one Metadata */
    sl_arena_free(&arena);
}

static void connect_refused(void **state)
{
    (void)state;
    int port;
    close(listen_local(&port)); /* a port nobody listens on now */
    sl_kclient_t *c = NULL;
    char err[256];
    int64_t t0 = now_ms();
    assert_int_equal(sl_kclient_connect("127.0.0.1", port, 5000, "x", &c, err, sizeof err), SL_ERR_IO);
    assert_true(now_ms() - t0 < 2000);
    assert_null(c);
    assert_non_null(strstr(err, "refused"));
    /* Bad arguments. */
    assert_int_equal(sl_kclient_connect("127.0.0.1", 0, 100, NULL, &c, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_kclient_connect(NULL, 9092, 100, NULL, &c, NULL, 0), SL_ERR_INVAL);
    assert_null(c);
}

typedef struct {
    sl_kclient_t *c;
    int delay_ms;
} shutter_t;

static void *shutter_main(void *arg)
{
    shutter_t *s = arg;
    struct timespec ts = {0, (long)s->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    sl_kclient_shutdown(s->c);
    return NULL;
}

static void shutdown_unblocks_a_call(void **state)
{
    (void)state;
    peer_t p;
    peer_start(&p, PEER_SILENT);
    sl_kclient_t *c = connect_ok(p.port);
    sl_arena_t arena = SL_ARENA_INIT;
    shutter_t s = {c, 150};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, shutter_main, &s), 0);
    int64_t t0 = now_ms();
    metadata_call(c, &arena, 20000, SL_ERR_IO);
    int64_t took = now_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took >= 100);
    assert_true(took < 5000);
    assert_true(sl_kclient_broken(c));
    assert_non_null(strstr(sl_kclient_errmsg(c), "shut down"));
    sl_kclient_shutdown(c); /* again: harmless */
    metadata_call(c, &arena, 20000, SL_ERR_IO);
    sl_kclient_close(c);
    peer_stop(&p);
    sl_arena_free(&arena);
}

static void wrong_correlation_id_breaks_the_connection(void **state)
{
    (void)state;
    peer_t p;
    peer_start(&p, PEER_BAD_CORR);
    sl_kclient_t *c = connect_ok(p.port);
    sl_arena_t arena = SL_ARENA_INIT;
    metadata_call(c, &arena, 5000, SL_ERR_IO);
    assert_true(sl_kclient_broken(c));
    assert_non_null(strstr(sl_kclient_errmsg(c), "correlation id"));
    sl_kclient_close(c);
    peer_stop(&p);

    /* The same peer answering right: fine, twice (fresh correlation ids). */
    peer_start(&p, PEER_ECHO);
    c = connect_ok(p.port);
    metadata_call(c, &arena, 5000, SL_OK);
    metadata_call(c, &arena, 5000, SL_OK);
    sl_kclient_close(c);
    peer_stop(&p);
    sl_arena_free(&arena);
}

static void oversized_response_is_refused(void **state)
{
    (void)state;
    peer_t p;
    peer_start(&p, PEER_HUGE);
    sl_kclient_t *c = connect_ok(p.port);
    sl_arena_t arena = SL_ARENA_INIT;
    metadata_call(c, &arena, 5000, SL_ERR_IO);
    assert_non_null(strstr(sl_kclient_errmsg(c), "bad size"));
    sl_kclient_close(c);
    peer_stop(&p);
    sl_arena_free(&arena);
}

/* KIP-511: a peer that serves ApiVersions up to v2 answers the v3 request in
 * v0 with UNSUPPORTED_VERSION; the client asks again in v2. */
static void api_versions_falls_back(void **state)
{
    (void)state;
    peer_t p;
    peer_start(&p, PEER_OLD);
    sl_kclient_t *c = connect_ok(p.port);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_METADATA, 0, 12), 12);
    assert_int_equal(sl_kclient_version(c, SL_KAPI_API_VERSIONS, 0, 4), 2);
    sl_arena_t arena = SL_ARENA_INIT;
    metadata_call(c, &arena, 5000, SL_OK);
    sl_kclient_close(c);
    peer_stop(&p);
    assert_int_equal(p.nseen, 2);
    assert_int_equal(p.seen_versions[0], 3);
    assert_int_equal(p.seen_versions[1], 2);
    sl_arena_free(&arena);
}

SL_TEST_GROUP(kclient, cmocka_unit_test_setup_teardown(negotiated_versions, setup, teardown),
              cmocka_unit_test_setup_teardown(metadata_topics_produce_fetch, setup, teardown),
              cmocka_unit_test_setup_teardown(encode_errors_keep_the_connection, setup, teardown),
              cmocka_unit_test_setup_teardown(unserved_api_breaks_the_connection, setup, teardown),
              cmocka_unit_test(connect_times_out_on_a_silent_listener),
              cmocka_unit_test(call_times_out_and_breaks_the_connection), cmocka_unit_test(connect_refused),
              cmocka_unit_test(shutdown_unblocks_a_call), cmocka_unit_test(wrong_correlation_id_breaks_the_connection),
              cmocka_unit_test(oversized_response_is_refused), cmocka_unit_test(api_versions_falls_back))
