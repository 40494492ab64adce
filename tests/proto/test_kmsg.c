/* test_kmsg.c — the generated Kafka codecs (broker/proto/kmsg.c): requests as
 * real clients send them, round trips of every message at every version,
 * truncated and hostile input, tagged fields, null versus empty, file-range
 * records, and the header-version rules. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto/kmsg_testgen.c"

/* ---- helpers ------------------------------------------------------------------ */

static const sl_tg_msg_t *tg_find(const char *name)
{
    for (size_t i = 0; i < SL_TG_NMSGS; i++)
        if (strcmp(sl_tg_msgs[i].name, name) == 0)
            return &sl_tg_msgs[i];
    fail_msg("no generated message %s", name);
    return NULL;
}

/* The bytes of an outbuf that holds memory only. */
static const uint8_t *ob_mem(const sl_outbuf_t *ob, size_t *len)
{
    for (size_t i = 0; i < ob->nsegs; i++)
        assert_true(ob->segs[i].fd < 0);
    assert_int_equal(ob->mem.len, ob->total);
    *len = ob->mem.len;
    return ob->mem.data;
}

static void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    if (got_len != want_len || (want_len && memcmp(got, want, want_len) != 0)) {
        for (size_t i = 0; i < got_len || i < want_len; i++)
            if (i >= got_len || i >= want_len || got[i] != want[i]) {
                fail_msg("bytes differ at %zu (got %zu bytes, want %zu)", i, got_len, want_len);
                return;
            }
    }
}

/* A request as a broker reads it: size prefix, header (version from the api
 * key and version), body. Returns the body's version. Then re-encodes header
 * and body and checks the bytes come back identical. */
static void kat_request(const uint8_t *buf, size_t len, sl_arena_t *a, sl_kmsg_request_header_t *h, void *body,
                        const char *name)
{
    const sl_tg_msg_t *ops = tg_find(name);
    sl_kreader_t r = sl_kreader_make(buf, len);
    assert_int_equal(sl_kreader_int32(&r), (int32_t)(len - 4));
    int16_t key = (int16_t)sl_load_be16(buf + 4), ver = (int16_t)sl_load_be16(buf + 6);
    int16_t hv = sl_kmsg_request_header_version(key, ver);
    assert_int_equal(sl_kmsg_request_header_decode(&r, hv, a, h), SL_OK);
    assert_int_equal(h->request_api_key, ops->api_key);
    assert_int_equal(ops->decode(&r, h->request_api_version, a, body), SL_OK);
    assert_int_equal(sl_kreader_remaining(&r), 0);

    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_request_header_encode(&ob, hv, h), SL_OK);
    assert_int_equal(ops->encode(&ob, h->request_api_version, body), SL_OK);
    size_t n;
    const uint8_t *p = ob_mem(&ob, &n);
    assert_bytes(p, n, buf + 4, len - 4);
    sl_outbuf_free(&ob);
}

#define RDKAFKA 'r', 'd', 'k', 'a', 'f', 'k', 'a'

/* ---- primitives ------------------------------------------------------------------ */

static void primitives(void **state)
{
    (void)state;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    sl_kwriter_t w;
    sl_kwriter_init(&w, &ob);
    static const uint8_t u[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    sl_kwriter_int8(&w, -2);
    sl_kwriter_bool(&w, 7);
    sl_kwriter_uint16(&w, 0xfffe);
    sl_kwriter_uint32(&w, 0xfffffffeu);
    sl_kwriter_int64(&w, INT64_MIN);
    sl_kwriter_float64(&w, -1.5);
    sl_kwriter_uuid(&w, u);
    sl_kwriter_uvarint(&w, UINT32_MAX);
    sl_kwriter_varint(&w, INT32_MIN);
    sl_kwriter_varlong(&w, -3);
    sl_kwriter_bytes(&w, (sl_kbytes_t){u, 3}, 0, 0);
    sl_kwriter_bytes(&w, (sl_kbytes_t){NULL, -1}, 1, 1);
    assert_int_equal(w.err, SL_OK);
    size_t n;
    const uint8_t *e = ob_mem(&ob, &n);
    /* float64 -1.5 is 0xbff8000000000000; uvarint 2^32-1 is ff ff ff ff 0f;
     * zigzag INT32_MIN is 2^32-1 too; varlong -3 is 5. */
    static const uint8_t want[] = {0xfe, 0x01, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe,
                                   0x80, 0, 0, 0, 0, 0, 0, 0, 0xbf, 0xf8, 0, 0, 0, 0, 0, 0,
                                   1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x05,
                                   0, 0, 0, 3, 1, 2, 3, 0x00};
    assert_bytes(e, n, want, sizeof want);
    sl_kreader_t r = sl_kreader_make(e, n);
    uint8_t back[16];
    assert_int_equal(sl_kreader_int8(&r), -2);
    assert_int_equal(sl_kreader_bool(&r), 1);
    assert_int_equal(sl_kreader_uint16(&r), 0xfffe);
    assert_int_equal(sl_kreader_uint32(&r), 0xfffffffeu);
    assert_true(sl_kreader_int64(&r) == INT64_MIN);
    assert_true(sl_kreader_float64(&r) == -1.5);
    sl_kreader_uuid(&r, back);
    assert_memory_equal(back, u, 16);
    assert_int_equal(sl_kreader_uvarint(&r), UINT32_MAX);
    assert_int_equal(sl_kreader_varint(&r), INT32_MIN);
    assert_int_equal(sl_kreader_varlong(&r), -3);
    sl_kbytes_t b = sl_kreader_bytes(&r, 0, 0);
    assert_int_equal(b.len, 3);
    assert_ptr_equal(b.data, e + n - 4); /* a view, not a copy */
    assert_int_equal(sl_kreader_bytes(&r, 1, 1).len, -1);
    assert_int_equal(r.err, SL_OK);
    assert_int_equal(sl_kreader_remaining(&r), 0);
    assert_int_equal(sl_kreader_int16(&r), 0);
    assert_int_equal(r.err, SL_ERR_TRUNCATED);
    /* A varint cut short is truncated input, not malformed. */
    r = sl_kreader_make(e + 40, 3);
    sl_kreader_uvarint(&r);
    assert_int_equal(r.err, SL_ERR_TRUNCATED);
    /* Writer errors latch too: a string longer than Kafka allows. */
    static char huge[SL_KSTR_MAX + 1];
    sl_kwriter_string(&w, (sl_kstr_t){huge, SL_KSTR_MAX + 1}, 1, 0);
    assert_int_equal(w.err, SL_ERR_INVAL);
    sl_kwriter_int32(&w, 1);
    assert_int_equal(sl_outbuf_len(&ob), n);
    sl_outbuf_free(&ob);
}

/* ---- known answers -------------------------------------------------------------
 * Written by hand from the specs and protocol.html, then cross-checked with an
 * independent struct.pack encoder in Python (not gen.py). */

/* librdkafka 2.3.0's first request: ApiVersions v3, header v2. In v3 the
 * client software name and version are regular compact strings, not tags. */
static const uint8_t kat_api_versions_v3[] = {
    0x00, 0x00, 0x00, 0x24,                            /* size 36 */
    0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,    /* key 18, v3, correlation 1 */
    0x00, 0x07, RDKAFKA,                               /* client id: STRING even in header v2 */
    0x00,                                              /* header tags */
    0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a', /* COMPACT_STRING */
    0x06, '2', '.', '3', '.', '0',                     /* COMPACT_STRING */
    0x00,                                              /* body tags */
};

/* ApiVersions v0 (older clients, and the fallback): header v1, empty body. */
static const uint8_t kat_api_versions_v0[] = {
    0x00, 0x00, 0x00, 0x11,
    0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x00, 0x07, RDKAFKA,
};

static void api_versions_requests(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_request_header_t h;
    sl_kmsg_api_versions_request_t m;

    kat_request(kat_api_versions_v3, sizeof kat_api_versions_v3, &a, &h, &m, "ApiVersionsRequest");
    assert_int_equal(h.request_api_version, 3);
    assert_int_equal(h.correlation_id, 1);
    assert_true(sl_kstr_is(h.client_id, "rdkafka", 7));
    assert_true(sl_kstr_is(m.client_software_name, "librdkafka", 10));
    assert_true(sl_kstr_is(m.client_software_version, "2.3.0", 5));

    kat_request(kat_api_versions_v0, sizeof kat_api_versions_v0, &a, &h, &m, "ApiVersionsRequest");
    assert_int_equal(h.request_api_version, 0);
    assert_int_equal(h.correlation_id, 2);
    /* Fields v0 lacks keep their defaults (empty strings). */
    assert_true(sl_kstr_is(m.client_software_name, "", 0));
    sl_arena_free(&a);
}

/* Metadata v1 for topic "test", and v12 (flexible, topic ids). */
static const uint8_t kat_metadata_v1[] = {
    0x00, 0x00, 0x00, 0x1b,
    0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x07, RDKAFKA,
    0x00, 0x00, 0x00, 0x01,                  /* topics: 1 */
    0x00, 0x04, 't', 'e', 's', 't',          /* name */
};
static const uint8_t kat_metadata_v12[] = {
    0x00, 0x00, 0x00, 0x2c,
    0x00, 0x03, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0x00, 0x07, RDKAFKA, 0x00,
    0x02,                                    /* topics: 1 (compact) */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* topic id: zero */
    0x05, 't', 'e', 's', 't',                /* name */
    0x00,                                    /* topic tags */
    0x01,                                    /* allow auto topic creation */
    0x00,                                    /* include topic authorized operations */
    0x00,                                    /* tags */
};

static void metadata_requests(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_request_header_t h;
    sl_kmsg_metadata_request_t m;
    kat_request(kat_metadata_v1, sizeof kat_metadata_v1, &a, &h, &m, "MetadataRequest");
    assert_int_equal(m.topics.count, 1);
    assert_true(sl_kstr_is(m.topics.items[0].name, "test", 4));
    assert_int_equal(m.allow_auto_topic_creation, 1); /* v1 lacks it: default true */

    kat_request(kat_metadata_v12, sizeof kat_metadata_v12, &a, &h, &m, "MetadataRequest");
    assert_int_equal(h.request_api_version, 12);
    assert_int_equal(m.topics.count, 1);
    assert_true(sl_kuuid_is_zero(m.topics.items[0].topic_id));
    assert_true(sl_kstr_is(m.topics.items[0].name, "test", 4));
    assert_int_equal(m.allow_auto_topic_creation, 1);
    assert_int_equal(m.include_topic_authorized_operations, 0);
    sl_arena_free(&a);
}

#define RECS10 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9

/* Produce v9 (flexible) and v3, acks=-1 / 1, one partition of 10 record bytes
 * (the codec does not look inside records). */
static const uint8_t kat_produce_v9[] = {
    0x00, 0x00, 0x00, 0x2f,
    0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x05, 0x00, 0x07, RDKAFKA, 0x00,
    0x00,                                    /* transactional id: null */
    0xff, 0xff,                              /* acks -1 */
    0x00, 0x00, 0x75, 0x30,                  /* timeout 30000 */
    0x02,                                    /* topics: 1 */
    0x02, 't',                               /* name */
    0x02,                                    /* partitions: 1 */
    0x00, 0x00, 0x00, 0x00,                  /* index 0 */
    0x0b, RECS10,                            /* COMPACT_RECORDS, 10 bytes */
    0x00, 0x00, 0x00,                        /* partition, topic, top-level tags */
};
static const uint8_t kat_produce_v3[] = {
    0x00, 0x00, 0x00, 0x36,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x06, 0x00, 0x07, RDKAFKA,
    0xff, 0xff,                              /* transactional id: null */
    0x00, 0x01,                              /* acks 1 */
    0x00, 0x00, 0x03, 0xe8,                  /* timeout 1000 */
    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', /* topics: 1, name */
    0x00, 0x00, 0x00, 0x01,                  /* partitions: 1 */
    0x00, 0x00, 0x00, 0x02,                  /* index 2 */
    0x00, 0x00, 0x00, 0x0a, RECS10,          /* RECORDS */
};

static void produce_requests(void **state)
{
    (void)state;
    static const uint8_t recs[] = {RECS10};
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_request_header_t h;
    sl_kmsg_produce_request_t m;
    kat_request(kat_produce_v9, sizeof kat_produce_v9, &a, &h, &m, "ProduceRequest");
    assert_int_equal(m.transactional_id.len, -1);
    assert_int_equal(m.acks, -1);
    assert_int_equal(m.timeout_ms, 30000);
    assert_int_equal(m.topic_data.count, 1);
    assert_true(sl_kstr_is(m.topic_data.items[0].name, "t", 1));
    sl_kmsg_produce_request_partition_produce_data_t *p = &m.topic_data.items[0].partition_data.items[0];
    assert_int_equal(p->index, 0);
    assert_int_equal(p->records.len, 10);
    assert_int_equal(p->records.fd, -1);
    assert_memory_equal(p->records.data, recs, 10);
    /* Zero copy: the view points into the input. */
    assert_ptr_equal(p->records.data, kat_produce_v9 + sizeof kat_produce_v9 - 13);

    kat_request(kat_produce_v3, sizeof kat_produce_v3, &a, &h, &m, "ProduceRequest");
    assert_int_equal(m.acks, 1);
    assert_int_equal(m.topic_data.items[0].partition_data.items[0].index, 2);
    assert_int_equal(m.topic_data.items[0].partition_data.items[0].records.len, 10);
    sl_arena_free(&a);
}

/* A consumer's Fetch v12 (flexible; topic names, not ids yet). */
static const uint8_t kat_fetch_v12[] = {
    0x00, 0x00, 0x00, 0x54,
    0x00, 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x00, 0x07, RDKAFKA, 0x00,
    0xff, 0xff, 0xff, 0xff,                  /* replica id -1 */
    0x00, 0x00, 0x01, 0xf4,                  /* max wait 500 */
    0x00, 0x00, 0x00, 0x01,                  /* min bytes 1 */
    0x03, 0x20, 0x00, 0x00,                  /* max bytes 52428800 */
    0x01,                                    /* read_committed */
    0x00, 0x00, 0x00, 0x00,                  /* session id 0 */
    0xff, 0xff, 0xff, 0xff,                  /* session epoch -1 */
    0x02,                                    /* topics: 1 */
    0x02, 't',                               /* topic */
    0x02,                                    /* partitions: 1 */
    0x00, 0x00, 0x00, 0x00,                  /* partition 0 */
    0x00, 0x00, 0x00, 0x05,                  /* current leader epoch 5 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, /* fetch offset 100 */
    0xff, 0xff, 0xff, 0xff,                  /* last fetched epoch -1 */
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* log start offset -1 */
    0x00, 0x10, 0x00, 0x00,                  /* partition max bytes 1 MiB */
    0x00, 0x00,                              /* partition, topic tags */
    0x01,                                    /* forgotten topics: 0 */
    0x01,                                    /* rack id "" */
    0x00,                                    /* tags */
};

static void fetch_request(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_request_header_t h;
    sl_kmsg_fetch_request_t m;
    kat_request(kat_fetch_v12, sizeof kat_fetch_v12, &a, &h, &m, "FetchRequest");
    assert_int_equal(h.correlation_id, 7);
    assert_int_equal(m.replica_id, -1);
    assert_int_equal(m.max_wait_ms, 500);
    assert_int_equal(m.min_bytes, 1);
    assert_int_equal(m.max_bytes, 52428800);
    assert_int_equal(m.isolation_level, 1);
    assert_int_equal(m.session_epoch, -1);
    assert_int_equal(m.topics.count, 1);
    assert_true(sl_kstr_is(m.topics.items[0].topic, "t", 1));
    sl_kmsg_fetch_request_fetch_partition_t *p = &m.topics.items[0].partitions.items[0];
    assert_int_equal(p->current_leader_epoch, 5);
    assert_int_equal(p->fetch_offset, 100);
    assert_int_equal(p->last_fetched_epoch, -1);
    assert_int_equal(p->log_start_offset, -1);
    assert_int_equal(p->partition_max_bytes, 1 << 20);
    assert_int_equal(m.forgotten_topics_data.count, 0);
    assert_true(sl_kstr_is(m.rack_id, "", 0));
    assert_int_equal(m.cluster_id.len, -1); /* tagged, absent: default null */
    assert_int_equal(m.replica_state.replica_id, -1);
    sl_arena_free(&a);
}

/* ---- tagged fields ------------------------------------------------------------- */

static void tagged_fields(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;

    /* The Fetch v12 body above with its tag section replaced: tag 0 (cluster
     * id "abc") and an unknown tag 7 of 3 bytes, which is skipped. */
    size_t body_off = 4 + 18, old = sizeof kat_fetch_v12 - body_off;
    uint8_t buf[128];
    memcpy(buf, kat_fetch_v12 + body_off, old - 1);
    static const uint8_t tags[] = {0x02, 0x00, 0x04, 0x04, 'a', 'b', 'c', 0x07, 0x03, 0xaa, 0xbb, 0xcc};
    memcpy(buf + old - 1, tags, sizeof tags);
    size_t n = old - 1 + sizeof tags;
    sl_kreader_t r = sl_kreader_make(buf, n);
    sl_kmsg_fetch_request_t m;
    assert_int_equal(sl_kmsg_fetch_request_decode(&r, 12, &a, &m), SL_OK);
    assert_int_equal(sl_kreader_remaining(&r), 0);
    assert_true(sl_kstr_is(m.cluster_id, "abc", 3));
    assert_int_equal(m.max_wait_ms, 500);
    /* Re-encoded: tag 0 only. */
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_fetch_request_encode(&ob, 12, &m), SL_OK);
    size_t en;
    const uint8_t *e = ob_mem(&ob, &en);
    assert_int_equal(en, n - 5);
    assert_memory_equal(e, buf, old - 1);
    assert_int_equal(e[old - 1], 0x01); /* one tag now */
    assert_memory_equal(e + old, buf + old, 6);
    sl_outbuf_free(&ob);
    /* Cluster id is ignorable: v11 drops it silently. */
    assert_int_equal(sl_kmsg_fetch_request_encode(&ob, 11, &m), SL_OK);
    sl_outbuf_free(&ob);

    /* A tag whose size overruns the section, and a tag count larger than the
     * input could hold. */
    buf[old - 1 + 2] = 0x7f;
    r = sl_kreader_make(buf, n);
    assert_int_equal(sl_kmsg_fetch_request_decode(&r, 12, &a, &m), SL_ERR_TRUNCATED);
    buf[old - 1] = 0x7f;
    r = sl_kreader_make(buf, n);
    assert_int_equal(sl_kmsg_fetch_request_decode(&r, 12, &a, &m), SL_ERR_TRUNCATED);

    /* ApiVersions v3 response: tagged arrays and an int64 tag. */
    sl_kmsg_api_versions_response_t rsp;
    sl_kmsg_api_versions_response_init(&rsp);
    sl_kmsg_api_versions_response_api_version_t key = {18, 0, 4};
    rsp.api_keys = (sl_kmsg_api_versions_response_api_version_array_t){&key, 1};
    sl_kmsg_api_versions_response_supported_feature_key_t feat = {SL_KSTR("x"), 1, 2};
    rsp.supported_features = (sl_kmsg_api_versions_response_supported_feature_key_array_t){&feat, 1};
    rsp.finalized_features_epoch = 7;
    static const uint8_t want[] = {
        0x00, 0x00,                                     /* error */
        0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00, /* api keys */
        0x00, 0x00, 0x00, 0x00,                         /* throttle */
        0x02,                                           /* two tags */
        0x00, 0x08, 0x02, 0x02, 'x', 0x00, 0x01, 0x00, 0x02, 0x00, /* tag 0: features */
        0x01, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x07,          /* tag 1: epoch 7 */
    };
    assert_int_equal(sl_kmsg_api_versions_response_encode(&ob, 3, &rsp), SL_OK);
    e = ob_mem(&ob, &en);
    assert_bytes(e, en, want, sizeof want);
    sl_outbuf_free(&ob);
    sl_kmsg_api_versions_response_t back;
    r = sl_kreader_make(want, sizeof want);
    assert_int_equal(sl_kmsg_api_versions_response_decode(&r, 3, &a, &back), SL_OK);
    assert_null(sl_tg_equal_api_versions_response(&rsp, &back));
    /* Tags set but the version has none (and they are ignorable): dropped. */
    assert_int_equal(sl_kmsg_api_versions_response_encode(&ob, 2, &rsp), SL_OK);
    assert_int_equal(sl_outbuf_len(&ob), 2 + 4 + 6 + 4);
    sl_outbuf_free(&ob);

    /* Fetch response: an unknown tag inside a partition is skipped; a
     * non-ignorable tagged field (diverging epoch) cannot go to v11. */
    sl_kmsg_fetch_response_t fr;
    sl_kmsg_fetch_response_init(&fr);
    sl_kmsg_fetch_response_fetchable_topic_response_t topic;
    sl_kmsg_fetch_response_fetchable_topic_response_init(&topic);
    sl_kmsg_fetch_response_partition_data_t part;
    sl_kmsg_fetch_response_partition_data_init(&part);
    topic.topic = SL_KSTR("t");
    topic.partitions = (sl_kmsg_fetch_response_partition_data_array_t){&part, 1};
    fr.responses = (sl_kmsg_fetch_response_fetchable_topic_response_array_t){&topic, 1};
    part.diverging_epoch.epoch = 3;
    part.diverging_epoch.end_offset = 99;
    assert_int_equal(sl_kmsg_fetch_response_encode(&ob, 11, &fr), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    assert_int_equal(sl_kmsg_fetch_response_encode(&ob, 12, &fr), SL_OK);
    e = ob_mem(&ob, &en);
    r = sl_kreader_make(e, en);
    sl_kmsg_fetch_response_t fb;
    assert_int_equal(sl_kmsg_fetch_response_decode(&r, 12, &a, &fb), SL_OK);
    assert_null(sl_tg_equal_fetch_response(&fr, &fb));
    assert_int_equal(fb.responses.items[0].partitions.items[0].diverging_epoch.end_offset, 99);
    /* The partition's tag section is the 16 bytes before the topic's and the
     * top level's: 01 00 0d <int32 3, int64 99, 00>. Add tag 9 before tag 0. */
    uint8_t big[256];
    size_t tagpos = en - 2 - 16;
    assert_int_equal(e[tagpos], 0x01);
    assert_int_equal(e[tagpos + 1], 0x00);
    memcpy(big, e, tagpos);
    static const uint8_t two[] = {0x02, 0x09, 0x02, 0xde, 0xad};
    memcpy(big + tagpos, two, sizeof two);
    memcpy(big + tagpos + sizeof two, e + tagpos + 1, en - tagpos - 1);
    r = sl_kreader_make(big, en + 4);
    assert_int_equal(sl_kmsg_fetch_response_decode(&r, 12, &a, &fb), SL_OK);
    assert_int_equal(sl_kreader_remaining(&r), 0);
    assert_null(sl_tg_equal_fetch_response(&fr, &fb));
    sl_outbuf_free(&ob);
    sl_arena_free(&a);
}

/* ---- round trips of everything -------------------------------------------------- */

/* Decodes every proper prefix of enc (each copied to a buffer of exactly that
 * size, so ASan sees any over-read); all must fail. */
static void check_prefixes(const sl_tg_msg_t *ops, int16_t v, const uint8_t *enc, size_t n, void *scratch)
{
    sl_arena_t a = SL_ARENA_INIT;
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = malloc(k ? k : 1);
        assert_non_null(p);
        if (k)
            memcpy(p, enc, k);
        sl_kreader_t r = sl_kreader_make(p, k);
        sl_err_t err = ops->decode(&r, v, &a, scratch);
        if (err == SL_OK)
            fail_msg("%s v%d: a %zu-byte prefix of %zu decoded", ops->name, v, k, n);
        assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_INVAL);
        free(p);
        sl_arena_reset(&a);
    }
    sl_arena_free(&a);
}

static void round_trip_all(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    int cases = 0;
    for (size_t i = 0; i < SL_TG_NMSGS; i++) {
        const sl_tg_msg_t *ops = &sl_tg_msgs[i];
        void *m = malloc(ops->size), *back = malloc(ops->size);
        assert_non_null(m);
        assert_non_null(back);
        for (int16_t v = ops->min_version; v <= ops->max_version; v++) {
            for (uint64_t s = 1; s <= 24; s++) {
                uint64_t seed = s * 0x9e3779b97f4a7c15u + (uint64_t)v * 977 + i;
                ops->fill(m, v, &a, &seed);
                sl_outbuf_t ob = SL_OUTBUF_INIT;
                sl_err_t err = ops->encode(&ob, v, m);
                if (err)
                    fail_msg("%s v%d seed %llu: encode: %s", ops->name, v, (unsigned long long)s,
                             sl_err_name(err));
                size_t n;
                const uint8_t *enc = ob_mem(&ob, &n);
                /* Decode from an exact-size copy so ASan catches over-reads. */
                uint8_t *copy = malloc(n ? n : 1);
                if (n)
                    memcpy(copy, enc, n);
                sl_kreader_t r = sl_kreader_make(copy, n);
                err = ops->decode(&r, v, &a, back);
                if (err)
                    fail_msg("%s v%d seed %llu: decode: %s", ops->name, v, (unsigned long long)s,
                             sl_err_name(err));
                assert_int_equal(sl_kreader_remaining(&r), 0);
                const char *diff = ops->equal(m, back);
                if (diff)
                    fail_msg("%s v%d seed %llu: %s differs", ops->name, v, (unsigned long long)s, diff);
                /* Encoding is deterministic: the decoded copy encodes the same. */
                sl_outbuf_t ob2 = SL_OUTBUF_INIT;
                assert_int_equal(ops->encode(&ob2, v, back), SL_OK);
                size_t n2;
                const uint8_t *enc2 = ob_mem(&ob2, &n2);
                assert_bytes(enc2, n2, enc, n);
                if (s <= 3)
                    check_prefixes(ops, v, enc, n, back);
                free(copy);
                sl_outbuf_free(&ob2);
                sl_outbuf_free(&ob);
                sl_arena_reset(&a);
                cases++;
            }
            /* Versions outside the range are refused both ways. */
        }
        sl_outbuf_t ob = SL_OUTBUF_INIT;
        ops->init(m);
        assert_int_equal(ops->encode(&ob, (int16_t)(ops->max_version + 1), m), SL_ERR_UNSUPPORTED);
        assert_int_equal(ops->encode(&ob, -1, m), SL_ERR_UNSUPPORTED);
        assert_int_equal(sl_outbuf_len(&ob), 0);
        sl_kreader_t r = sl_kreader_make("\0\0\0\0", 4);
        assert_int_equal(ops->decode(&r, (int16_t)(ops->max_version + 1), &a, back), SL_ERR_UNSUPPORTED);
        free(m);
        free(back);
    }
    assert_true(cases > 4000);
    sl_arena_free(&a);
}

/* ---- hostile lengths --------------------------------------------------------------- */

static void hostile_counts(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_metadata_request_t m;

    /* INT32 count 2^31-1 with 8 bytes left: refused before allocating. */
    static const uint8_t big[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'x', 0x00, 0x01, 'y', 0, 0};
    sl_kreader_t r = sl_kreader_make(big, sizeof big);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &m), SL_ERR_TRUNCATED);
    /* Exactly as many elements as fit (each name is at least 2 bytes). */
    static const uint8_t fits[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 'x', 0x00, 0x00};
    r = sl_kreader_make(fits, sizeof fits);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &m), SL_OK);
    assert_int_equal(m.topics.count, 2);
    static const uint8_t one_short[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 'x', 0x00, 0x00, 0x00};
    r = sl_kreader_make(one_short, sizeof one_short);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &m), SL_ERR_TRUNCATED);

    /* COMPACT_ARRAY count 2^31-1 (uvarint 2^31), and 2^32-2 (beyond int32). */
    static const uint8_t cbig[] = {0x80, 0x80, 0x80, 0x80, 0x08, 0x01, 0x00, 0x00, 0x00};
    r = sl_kreader_make(cbig, sizeof cbig);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 12, &a, &m), SL_ERR_TRUNCATED);
    static const uint8_t cbigger[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x00, 0x00, 0x00};
    r = sl_kreader_make(cbigger, sizeof cbigger);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 12, &a, &m), SL_ERR_INVAL);
    /* A varint longer than 5 bytes. */
    static const uint8_t overlong[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0};
    r = sl_kreader_make(overlong, sizeof overlong);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 12, &a, &m), SL_ERR_INVAL);

    /* A per-element minimum that counts nested fixed fields: Fetch v4
     * partitions take 4+8+4 = 16 bytes each, so 2 need 32. */
    sl_kmsg_fetch_request_t f;
    uint8_t fb[64] = {0};
    /* replica, max wait, min bytes, max bytes, isolation: 17 bytes of zeros;
     * then topics: 1, topic "", partitions: 2, and only 20 bytes. */
    size_t o = 17;
    fb[o + 3] = 1;
    o += 4 + 2;
    fb[o + 3] = 2;
    o += 4;
    r = sl_kreader_make(fb, o + 20);
    assert_int_equal(sl_kmsg_fetch_request_decode(&r, 4, &a, &f), SL_ERR_TRUNCATED);
    r = sl_kreader_make(fb, o + 32);
    assert_int_equal(sl_kmsg_fetch_request_decode(&r, 4, &a, &f), SL_OK);
    assert_int_equal(f.topics.items[0].partitions.count, 2);

    /* Strings and bytes longer than what is left. */
    static const uint8_t longstr[] = {0x00, 0x00, 0x00, 0x01, 0x7f, 0xff, 'x'};
    r = sl_kreader_make(longstr, sizeof longstr);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &m), SL_ERR_TRUNCATED);
    static const uint8_t negstr[] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xfe};
    r = sl_kreader_make(negstr, sizeof negstr);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &m), SL_ERR_INVAL);
    sl_kmsg_sync_group_request_t sg;
    /* SyncGroup v0: group "", generation, member "", 1 assignment: member "",
     * BYTES length 2^31-1. */
    static const uint8_t longbytes[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0x7f, 0xff, 0xff, 0xff, 1, 2};
    r = sl_kreader_make(longbytes, sizeof longbytes);
    assert_int_equal(sl_kmsg_sync_group_request_decode(&r, 0, &a, &sg), SL_ERR_TRUNCATED);

    /* The latch: after an error every read is zero and nothing is left. */
    r = sl_kreader_make(big, 2);
    assert_int_equal(sl_kreader_int32(&r), 0);
    assert_int_equal(r.err, SL_ERR_TRUNCATED);
    assert_ptr_equal(r.p, r.end);
    assert_int_equal(sl_kreader_int8(&r), 0);
    assert_int_equal(r.err, SL_ERR_TRUNCATED);
    assert_int_equal(sl_kreader_string(&r, 1, 1).len, 0);
    assert_int_equal(r.err, SL_ERR_TRUNCATED); /* the first error stays */
    sl_arena_free(&a);
}

/* ---- null versus empty ------------------------------------------------------------- */

static void null_and_empty(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    size_t n;
    const uint8_t *e;
    sl_kreader_t r;
    sl_kmsg_metadata_request_t m, back;
    sl_kmsg_metadata_request_init(&m);

    /* Topics: null means all topics (v1+), empty means none. */
    m.topics.count = -1;
    assert_int_equal(sl_kmsg_metadata_request_encode(&ob, 1, &m), SL_OK);
    e = ob_mem(&ob, &n);
    assert_int_equal(n, 4);
    assert_int_equal(sl_load_be32(e), 0xffffffffu);
    r = sl_kreader_make(e, n);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &back), SL_OK);
    assert_int_equal(back.topics.count, -1);
    sl_outbuf_free(&ob);
    m.topics.count = 0;
    assert_int_equal(sl_kmsg_metadata_request_encode(&ob, 1, &m), SL_OK);
    e = ob_mem(&ob, &n);
    assert_int_equal(sl_load_be32(e), 0);
    r = sl_kreader_make(e, n);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 1, &a, &back), SL_OK);
    assert_int_equal(back.topics.count, 0);
    sl_outbuf_free(&ob);
    /* Compact: 0 is null, 1 is empty. */
    m.topics.count = -1;
    assert_int_equal(sl_kmsg_metadata_request_encode(&ob, 12, &m), SL_OK);
    assert_int_equal(ob.mem.data[0], 0x00);
    sl_outbuf_free(&ob);
    m.topics.count = 0;
    assert_int_equal(sl_kmsg_metadata_request_encode(&ob, 12, &m), SL_OK);
    assert_int_equal(ob.mem.data[0], 0x01);
    sl_outbuf_free(&ob);
    /* v0 has no null topics: refused both ways. */
    m.topics.count = -1;
    assert_int_equal(sl_kmsg_metadata_request_encode(&ob, 0, &m), SL_ERR_INVAL);
    sl_outbuf_free(&ob);
    static const uint8_t null_v0[] = {0xff, 0xff, 0xff, 0xff};
    r = sl_kreader_make(null_v0, sizeof null_v0);
    assert_int_equal(sl_kmsg_metadata_request_decode(&r, 0, &a, &back), SL_ERR_INVAL);

    /* Strings: transactional id null vs "" (STRING, then COMPACT_STRING). */
    sl_kmsg_produce_request_t p, pb;
    sl_kmsg_produce_request_init(&p);
    assert_int_equal(p.transactional_id.len, -1); /* default null */
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 3, &p), SL_OK);
    assert_int_equal(sl_load_be16(ob.mem.data), 0xffff);
    sl_outbuf_free(&ob);
    p.transactional_id = SL_KSTR("");
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 3, &p), SL_OK);
    assert_int_equal(sl_load_be16(ob.mem.data), 0);
    r = sl_kreader_make(ob.mem.data, ob.mem.len);
    assert_int_equal(sl_kmsg_produce_request_decode(&r, 3, &a, &pb), SL_OK);
    assert_int_equal(pb.transactional_id.len, 0);
    assert_non_null(pb.transactional_id.data);
    sl_outbuf_free(&ob);
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 9, &p), SL_OK);
    assert_int_equal(ob.mem.data[0], 0x01);
    sl_outbuf_free(&ob);
    p.transactional_id = SL_KSTR_NULL;
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 9, &p), SL_OK);
    assert_int_equal(ob.mem.data[0], 0x00);
    sl_outbuf_free(&ob);
    /* A transactional id cannot go to v2 (not ignorable): Kafka throws. */
    p.transactional_id = SL_KSTR("txn");
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 2, &p), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    /* A non-nullable string set to null. */
    sl_kmsg_produce_request_topic_produce_data_t t;
    sl_kmsg_produce_request_topic_produce_data_init(&t);
    t.name = SL_KSTR_NULL;
    p.transactional_id = SL_KSTR_NULL;
    p.topic_data = (sl_kmsg_produce_request_topic_produce_data_array_t){&t, 1};
    assert_int_equal(sl_kmsg_produce_request_encode(&ob, 9, &p), SL_ERR_INVAL);
    sl_outbuf_free(&ob);
    static const uint8_t null_name[] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0};
    r = sl_kreader_make(null_name, sizeof null_name);
    assert_int_equal(sl_kmsg_produce_request_decode(&r, 3, &a, &pb), SL_ERR_INVAL);

    /* Ignorable versus not, for plain fields the version lacks. */
    sl_kmsg_create_topics_request_t ct;
    sl_kmsg_create_topics_request_init(&ct);
    assert_int_equal(ct.timeout_ms, 60000);
    ct.validate_only = 1;
    assert_int_equal(sl_kmsg_create_topics_request_encode(&ob, 0, &ct), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    assert_int_equal(sl_kmsg_create_topics_request_encode(&ob, 1, &ct), SL_OK);
    sl_outbuf_free(&ob);
    sl_kmsg_fetch_request_t fr;
    sl_kmsg_fetch_request_init(&fr);
    assert_int_equal(fr.max_bytes, 0x7fffffff);
    fr.max_bytes = 1000; /* 3+, ignorable */
    assert_int_equal(sl_kmsg_fetch_request_encode(&ob, 2, &fr), SL_OK);
    sl_outbuf_free(&ob);
    sl_arena_free(&a);
}

/* ---- records as file ranges ------------------------------------------------------ */

static int released;
static void count_release(void *opaque)
{
    (void)opaque;
    released++;
}

static void records_file_range(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char path[512], outpath[512];
    snprintf(path, sizeof path, "%s/seg.log", dir);
    snprintf(outpath, sizeof outpath, "%s/out", dir);
    static const uint8_t log[] = "0123456789abcdefXYZ";
    sl_test_write_file(path, log, sizeof log - 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);

    sl_kmsg_fetch_response_t fr;
    sl_kmsg_fetch_response_init(&fr);
    sl_kmsg_fetch_response_fetchable_topic_response_t topic;
    sl_kmsg_fetch_response_fetchable_topic_response_init(&topic);
    sl_kmsg_fetch_response_partition_data_t part;
    sl_kmsg_fetch_response_partition_data_init(&part);
    topic.topic = SL_KSTR("t");
    topic.partitions = (sl_kmsg_fetch_response_partition_data_array_t){&part, 1};
    fr.responses = (sl_kmsg_fetch_response_fetchable_topic_response_array_t){&topic, 1};
    part.high_watermark = 42;
    part.records = (sl_krecords_t){NULL, 10, fd, 6, count_release, NULL}; /* "6789abcdef" */

    for (int16_t v = 4; v <= 12; v += 8) {
        released = 0;
        sl_outbuf_t ob = SL_OUTBUF_INIT;
        assert_int_equal(sl_kmsg_fetch_response_encode(&ob, v, &fr), SL_OK);
        /* memory, the file range, memory (tag sections after it, if any). */
        assert_true(ob.nsegs >= 2);
        assert_int_equal(ob.segs[1].fd, fd);
        assert_int_equal(ob.segs[1].file_pos, 6);
        assert_int_equal(ob.segs[1].len, 10);
        assert_int_equal(released, 0);
        int out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(out >= 0);
        assert_int_equal(sl_outbuf_write_all(&ob, out), SL_OK);
        close(out);
        assert_int_equal(released, 1);
        sl_outbuf_free(&ob);
        assert_int_equal(released, 1);

        size_t n;
        uint8_t *bytes = sl_test_read_file(outpath, &n);
        sl_arena_t a = SL_ARENA_INIT;
        sl_kreader_t r = sl_kreader_make(bytes, n);
        sl_kmsg_fetch_response_t back;
        assert_int_equal(sl_kmsg_fetch_response_decode(&r, v, &a, &back), SL_OK);
        assert_int_equal(sl_kreader_remaining(&r), 0);
        const sl_krecords_t *rec = &back.responses.items[0].partitions.items[0].records;
        assert_int_equal(rec->len, 10);
        assert_int_equal(rec->fd, -1);
        assert_memory_equal(rec->data, "6789abcdef", 10);
        assert_int_equal(back.responses.items[0].partitions.items[0].high_watermark, 42);
        sl_arena_free(&a);
        free(bytes);
    }

    /* A failed encode still releases the range exactly once. */
    released = 0;
    part.preferred_read_replica = 2; /* v11+, not ignorable */
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_fetch_response_encode(&ob, 10, &fr), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    assert_int_equal(released, 1);
    /* A file-backed null is released too. */
    released = 0;
    part.preferred_read_replica = -1;
    part.records.len = -1;
    assert_int_equal(sl_kmsg_fetch_response_encode(&ob, 12, &fr), SL_OK);
    assert_int_equal(released, 1);
    sl_outbuf_free(&ob);
    assert_int_equal(released, 1);

    close(fd);
    sl_test_rmdir(dir);
}

/* ---- headers and the api table --------------------------------------------------- */

static void header_versions(void **state)
{
    (void)state;
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_PRODUCE, 8), 1);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_PRODUCE, 9), 2);
    assert_int_equal(sl_kmsg_response_header_version(SL_KAPI_PRODUCE, 8), 0);
    assert_int_equal(sl_kmsg_response_header_version(SL_KAPI_PRODUCE, 9), 1);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_FETCH, 11), 1);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_FETCH, 12), 2);
    /* ApiVersions: flexible from v3, but responses always use header v0, and a
     * version above the maximum still parses with the flexible header. */
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_API_VERSIONS, 2), 1);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_API_VERSIONS, 3), 2);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_API_VERSIONS, 9), 2);
    for (int16_t v = 0; v <= 9; v++)
        assert_int_equal(sl_kmsg_response_header_version(SL_KAPI_API_VERSIONS, v), 0);
    /* Never flexible, and always flexible. */
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_SASL_HANDSHAKE, 1), 1);
    assert_int_equal(sl_kmsg_response_header_version(SL_KAPI_SASL_HANDSHAKE, 1), 0);
    assert_int_equal(sl_kmsg_request_header_version(SL_KAPI_DESCRIBE_CLUSTER, 0), 2);
    assert_int_equal(sl_kmsg_response_header_version(SL_KAPI_DESCRIBE_CLUSTER, 0), 1);
    assert_int_equal(sl_kmsg_request_header_version(999, 0), -1);
    assert_int_equal(sl_kmsg_response_header_version(999, 0), -1);

    /* The table: ascending keys, each found, each with both messages. */
    for (int i = 0; i < SL_KMSG_API_COUNT; i++) {
        const sl_kmsg_api_t *api = &sl_kmsg_apis[i];
        if (i)
            assert_true(sl_kmsg_apis[i - 1].key < api->key);
        assert_ptr_equal(sl_kmsg_api_find(api->key), api);
        int found = 0;
        for (size_t j = 0; j < SL_TG_NMSGS; j++)
            if (sl_tg_msgs[j].api_key == api->key) {
                found++;
                assert_int_equal(sl_tg_msgs[j].min_version, api->min_version);
                assert_int_equal(sl_tg_msgs[j].max_version, api->max_version);
            }
        assert_int_equal(found, 2);
    }
    assert_int_equal(SL_KMSG_API_COUNT, 31);
    assert_null(sl_kmsg_api_find(7));
    const sl_kmsg_api_t *av = sl_kmsg_api_find(18);
    assert_string_equal(av->name, "ApiVersions");
    assert_int_equal(av->max_version, 4);
    assert_int_equal(av->flexible_min, 3);
    assert_int_equal(sl_kmsg_api_find(SL_KAPI_SASL_HANDSHAKE)->flexible_min, INT16_MAX);

    /* Header v0 of a response, and v1 with its (empty) tag section. */
    sl_kmsg_response_header_t rh = {.correlation_id = 0x01020304};
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    assert_int_equal(sl_kmsg_response_header_encode(&ob, 0, &rh), SL_OK);
    assert_int_equal(sl_outbuf_len(&ob), 4);
    assert_int_equal(sl_kmsg_response_header_encode(&ob, 1, &rh), SL_OK);
    static const uint8_t want[] = {1, 2, 3, 4, 1, 2, 3, 4, 0};
    assert_int_equal(ob.mem.len, sizeof want);
    assert_memory_equal(ob.mem.data, want, sizeof want);
    sl_outbuf_free(&ob);

    /* Request header v0 has no client id; v1 and v2 keep it a plain
     * (non-compact) nullable STRING. */
    sl_kmsg_request_header_t h;
    sl_kmsg_request_header_init(&h);
    h.request_api_key = 3;
    h.client_id = SL_KSTR_NULL;
    assert_int_equal(sl_kmsg_request_header_encode(&ob, 2, &h), SL_OK);
    static const uint8_t want2[] = {0, 3, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0};
    assert_int_equal(ob.mem.len, sizeof want2);
    assert_memory_equal(ob.mem.data, want2, sizeof want2);
    sl_outbuf_free(&ob);
    h.client_id = SL_KSTR("abc");
    assert_int_equal(sl_kmsg_request_header_encode(&ob, 0, &h), SL_OK); /* ignorable */
    assert_int_equal(ob.mem.len, 8);
    sl_outbuf_free(&ob);
}

/* The replication APIs (OffsetForLeaderEpoch, AlterPartition,
 * BrokerRegistration, BrokerHeartbeat, ElectLeaders): bytes by hand for the
 * features they add (a tagged uuid array, a nullable top-level array), and
 * the fields a version lacks. */
static void cluster_messages(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    size_t en;
    const uint8_t *e;

    /* BrokerHeartbeat v1: OfflineLogDirs is tag 0, a compact array of uuids. */
    sl_kmsg_broker_heartbeat_request_t hb, hb2;
    sl_kmsg_broker_heartbeat_request_init(&hb);
    assert_int_equal(hb.broker_epoch, -1);
    hb.broker_id = 1;
    hb.broker_epoch = 5;
    hb.current_metadata_offset = 100;
    hb.want_shut_down = 1;
    uint8_t dirs[1][16];
    for (int i = 0; i < 16; i++)
        dirs[0][i] = (uint8_t)(0xa0 + i);
    hb.offline_log_dirs = (sl_kuuid_array_t){dirs, 1};
    uint8_t want[4 + 8 + 8 + 2 + 3 + 1 + 16] = {
        0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 100, 0, 1, /* fields */
        0x01, 0x00, 0x11, 0x02,                                             /* 1 tag: 0, 17 bytes, 1 uuid */
    };
    memcpy(want + sizeof want - 16, dirs[0], 16);
    assert_int_equal(sl_kmsg_broker_heartbeat_request_encode(&ob, 1, &hb), SL_OK);
    e = ob_mem(&ob, &en);
    assert_bytes(e, en, want, sizeof want);
    sl_kreader_t r = sl_kreader_make(want, sizeof want);
    assert_int_equal(sl_kmsg_broker_heartbeat_request_decode(&r, 1, &a, &hb2), SL_OK);
    assert_int_equal(sl_kreader_remaining(&r), 0);
    assert_int_equal(hb2.offline_log_dirs.count, 1);
    assert_memory_equal(hb2.offline_log_dirs.items[0], dirs[0], 16);
    assert_int_equal(hb2.current_metadata_offset, 100);
    sl_outbuf_free(&ob);
    /* v0 has no OfflineLogDirs (not ignorable); without them it encodes. */
    assert_int_equal(sl_kmsg_broker_heartbeat_request_encode(&ob, 0, &hb), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    hb.offline_log_dirs.count = 0;
    assert_int_equal(sl_kmsg_broker_heartbeat_request_encode(&ob, 0, &hb), SL_OK);
    e = ob_mem(&ob, &en);
    assert_int_equal(en, 23);
    assert_int_equal(e[22], 0); /* no tags */
    sl_outbuf_free(&ob);
    sl_kmsg_broker_heartbeat_response_t hbr;
    sl_kmsg_broker_heartbeat_response_init(&hbr);
    assert_int_equal(hbr.is_fenced, 1); /* the spec's default */

    /* ElectLeaders v0: a null TopicPartitions (all partitions), no ElectionType. */
    sl_kmsg_elect_leaders_request_t el;
    sl_kmsg_elect_leaders_request_init(&el);
    assert_int_equal(el.timeout_ms, 60000);
    el.topic_partitions.count = -1;
    assert_int_equal(sl_kmsg_elect_leaders_request_encode(&ob, 0, &el), SL_OK);
    static const uint8_t want_el[] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xea, 0x60};
    e = ob_mem(&ob, &en);
    assert_bytes(e, en, want_el, sizeof want_el);
    sl_outbuf_free(&ob);
    el.election_type = 1; /* unclean: v1+ */
    assert_int_equal(sl_kmsg_elect_leaders_request_encode(&ob, 0, &el), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);

    /* AlterPartition: NewIsr until v2, NewIsrWithEpochs from v3. */
    sl_kmsg_alter_partition_request_partition_data_t pd;
    sl_kmsg_alter_partition_request_partition_data_init(&pd);
    int32_t isr[] = {1, 2};
    pd.new_isr = (sl_kint32_array_t){isr, 2};
    sl_kmsg_alter_partition_request_topic_data_t td;
    sl_kmsg_alter_partition_request_topic_data_init(&td);
    td.topic_name = SL_KSTR("t");
    td.partitions = (sl_kmsg_alter_partition_request_partition_data_array_t){&pd, 1};
    sl_kmsg_alter_partition_request_t ap;
    sl_kmsg_alter_partition_request_init(&ap);
    ap.topics = (sl_kmsg_alter_partition_request_topic_data_array_t){&td, 1};
    assert_int_equal(sl_kmsg_alter_partition_request_encode(&ob, 1, &ap), SL_OK);
    sl_outbuf_free(&ob);
    assert_int_equal(sl_kmsg_alter_partition_request_encode(&ob, 3, &ap), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    sl_kmsg_alter_partition_request_broker_state_t bs[2] = {{1, 10}, {2, 11}};
    pd.new_isr.count = 0;
    pd.new_isr_with_epochs = (sl_kmsg_alter_partition_request_broker_state_array_t){bs, 2};
    td.topic_id[15] = 7; /* TopicName is ignorable in v3: dropped */
    assert_int_equal(sl_kmsg_alter_partition_request_encode(&ob, 3, &ap), SL_OK);
    e = ob_mem(&ob, &en);
    sl_kmsg_alter_partition_request_t ap2;
    r = sl_kreader_make(e, en);
    assert_int_equal(sl_kmsg_alter_partition_request_decode(&r, 3, &a, &ap2), SL_OK);
    assert_int_equal(ap2.topics.count, 1);
    assert_int_equal(ap2.topics.items[0].topic_name.len, 0);
    assert_int_equal(ap2.topics.items[0].topic_id[15], 7);
    assert_int_equal(ap2.topics.items[0].partitions.items[0].new_isr_with_epochs.count, 2);
    assert_int_equal(ap2.topics.items[0].partitions.items[0].new_isr_with_epochs.items[1].broker_epoch, 11);
    sl_outbuf_free(&ob);

    /* OffsetForLeaderEpoch: ReplicaId defaults to -2 (a debugging consumer);
     * a follower sets its id, which v0-2 drop (ignorable). */
    sl_kmsg_offset_for_leader_epoch_request_t ofl;
    sl_kmsg_offset_for_leader_epoch_request_init(&ofl);
    assert_int_equal(ofl.replica_id, -2);
    ofl.replica_id = 3;
    assert_int_equal(sl_kmsg_offset_for_leader_epoch_request_encode(&ob, 2, &ofl), SL_OK);
    e = ob_mem(&ob, &en);
    assert_int_equal(en, 4); /* just the empty topics array */
    sl_outbuf_free(&ob);
    sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_t eo;
    sl_kmsg_offset_for_leader_epoch_response_epoch_end_offset_init(&eo);
    assert_int_equal(eo.end_offset, -1);
    assert_int_equal(eo.leader_epoch, -1);

    /* BrokerRegistration v0 lacks LogDirs (ignorable: dropped) and
     * IsMigratingZkBroker (not ignorable: refused). */
    sl_kmsg_broker_registration_request_t br;
    sl_kmsg_broker_registration_request_init(&br);
    assert_int_equal(br.previous_broker_epoch, -1);
    br.log_dirs = (sl_kuuid_array_t){dirs, 1};
    assert_int_equal(sl_kmsg_broker_registration_request_encode(&ob, 0, &br), SL_OK);
    sl_outbuf_free(&ob);
    br.is_migrating_zk_broker = 1;
    assert_int_equal(sl_kmsg_broker_registration_request_encode(&ob, 0, &br), SL_ERR_UNSUPPORTED);
    sl_outbuf_free(&ob);
    sl_arena_free(&a);
}

SL_TEST_GROUP(kmsg, cmocka_unit_test(primitives), cmocka_unit_test(api_versions_requests), cmocka_unit_test(metadata_requests),
              cmocka_unit_test(produce_requests), cmocka_unit_test(fetch_request), cmocka_unit_test(tagged_fields),
              cmocka_unit_test(round_trip_all), cmocka_unit_test(hostile_counts), cmocka_unit_test(null_and_empty),
              cmocka_unit_test(records_file_range), cmocka_unit_test(header_versions),
              cmocka_unit_test(cluster_messages))
