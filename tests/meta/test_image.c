/* test_image.c — the cluster metadata image: every record kind, atomic apply,
 * determinism, snapshots, clones, and the controller's decision helpers. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/meta/image.h"

/* A topic id whose bytes all derive from n (never all zero). */
static const uint8_t *tid(int n)
{
    static uint8_t ids[8][16];
    static int next;
    uint8_t *id = ids[next++ & 7];
    for (int i = 0; i < 16; i++)
        id[i] = (uint8_t)(n * 31 + i * 7 + 1);
    id[0] = (uint8_t)(n >> 8), id[1] = (uint8_t)n, id[15] = 0xAA;
    return id;
}

/* Encodes b, applies it at index, resets b; returns apply's result. */
static sl_err_t apply_batch(sl_meta_image_t *img, sl_meta_batch_t *b, uint64_t index)
{
    sl_buf_t e = SL_BUF_INIT;
    sl_err_t err = sl_meta_batch_encode(b, &e);
    assert_int_equal(err, SL_OK);
    err = sl_meta_image_apply(img, e.data, e.len, index);
    sl_buf_free(&e);
    sl_meta_batch_reset(b);
    return err;
}

static void snap(const sl_meta_image_t *img, sl_buf_t *out)
{
    sl_buf_reset(out);
    assert_int_equal(sl_meta_image_snapshot(img, out), SL_OK);
}

static void assert_same_snapshot(const sl_meta_image_t *a, const sl_meta_image_t *b)
{
    sl_buf_t x = SL_BUF_INIT, y = SL_BUF_INIT;
    snap(a, &x);
    snap(b, &y);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    sl_buf_free(&x);
    sl_buf_free(&y);
}

/* Registers brokers 1..n at indexes 1..n and unfences them at n+1. Returns
 * the next free index. */
static uint64_t add_brokers(sl_meta_image_t *img, int n)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    uint64_t idx = sl_meta_image_last_index(img) + 1;
    for (int i = 1; i <= n; i++) {
        char host[32];
        snprintf(host, sizeof host, "host%d", i);
        sl_meta_batch_add_register_broker(&b, i, 1000 + (uint64_t)i, host, 9090 + i);
        assert_int_equal(apply_batch(img, &b, idx + (uint64_t)i - 1), SL_OK);
    }
    for (int i = 1; i <= n; i++)
        sl_meta_batch_add_unfence_broker(&b, i, idx + (uint64_t)i - 1);
    assert_int_equal(apply_batch(img, &b, idx + (uint64_t)n), SL_OK);
    sl_meta_batch_free(&b);
    return idx + (uint64_t)n + 1;
}

/* A topic with one partition per row of reps (rf each), leader = first ISR
 * member, ISR = all replicas. */
static void add_topic(sl_meta_image_t *img, const char *name, const uint8_t *id, int np, int rf,
                      const int32_t *reps)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_topic(&b, name, id);
    for (int p = 0; p < np; p++)
        sl_meta_batch_add_partition(&b, id, p, reps + p * rf, rf, reps + p * rf, rf, reps[p * rf], 0, 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    sl_meta_batch_free(&b);
}

static void set_partition(sl_meta_image_t *img, const uint8_t *id, int p, const int32_t *reps, int nr,
                          const int32_t *isr, int ni, int32_t leader)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_partition(&b, id, p, reps, nr, isr, ni, leader, 5, 7);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    sl_meta_batch_free(&b);
}

static void assert_ids(const int32_t *got, int32_t n, const int32_t *want, int32_t wn)
{
    assert_int_equal(n, wn);
    for (int32_t i = 0; i < n; i++)
        assert_int_equal(got[i], want[i]);
}

/* ---- records -------------------------------------------------------------- */

static void records_round_trip(void **state)
{
    (void)state;
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    const uint8_t *id = tid(3);
    int32_t reps[] = {1, 2, 3}, isr[] = {2, 1};
    sl_meta_batch_add_register_broker(&b, 7, 0xdeadbeefcafeull, "kafka-7.local", 9092);
    sl_meta_batch_add_broker_state(&b, 8, 1, "h", 1, 12345, 0);
    sl_meta_batch_add_unfence_broker(&b, 7, 10);
    sl_meta_batch_add_fence_broker(&b, 7, 11);
    sl_meta_batch_add_unregister_broker(&b, 7);
    sl_meta_batch_add_topic(&b, "orders", id);
    sl_meta_batch_add_partition(&b, id, 0, reps, 3, isr, 2, 2, 4, 9);
    sl_meta_batch_add_partition_change(&b, id, 0, 1, -1, NULL, 0, reps, 3);
    sl_meta_batch_add_partition_change(&b, id, 1, 0, 0, isr, 0, NULL, 0);
    sl_meta_batch_add_remove_topic(&b, id);
    sl_meta_batch_add_topic_config(&b, id, "retention.ms", "1000");
    sl_meta_batch_add_topic_config(&b, id, "retention.ms", NULL);
    sl_meta_batch_add_topic_config(&b, id, "cleanup.policy", "");
    assert_int_equal(b.count, 13);
    sl_buf_t e = SL_BUF_INIT;
    assert_int_equal(sl_meta_batch_encode(&b, &e), SL_OK);
    assert_int_equal(e.data[0], SL_META_FORMAT_V1);

    size_t off = 0;
    sl_meta_record_t r;
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_REGISTER_BROKER);
    assert_int_equal(r.broker_id, 7);
    assert_true(r.incarnation == 0xdeadbeefcafeull);
    assert_int_equal(r.host_len, 13);
    assert_memory_equal(r.host, "kafka-7.local", 13);
    assert_int_equal(r.port, 9092);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_BROKER_STATE);
    assert_int_equal(r.broker_epoch, 12345);
    assert_int_equal(r.fenced, 0);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_UNFENCE_BROKER);
    assert_int_equal(r.broker_epoch, 10);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_FENCE_BROKER);
    assert_int_equal(r.broker_epoch, 11);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_UNREGISTER_BROKER);
    assert_int_equal(r.broker_id, 7);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_TOPIC);
    assert_int_equal(r.name_len, 6);
    assert_memory_equal(r.name, "orders", 6);
    assert_memory_equal(r.topic_id, id, 16);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_PARTITION);
    assert_ids(r.replicas, r.nreplicas, reps, 3);
    assert_ids(r.isr, r.nisr, isr, 2);
    assert_int_equal(r.leader, 2);
    assert_int_equal(r.leader_epoch, 4);
    assert_int_equal(r.partition_epoch, 9);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_PARTITION_CHANGE);
    assert_true(r.has_leader && !r.has_isr && r.has_replicas);
    assert_int_equal(r.leader, -1);
    assert_ids(r.replicas, r.nreplicas, reps, 3);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_true(!r.has_leader && r.has_isr && !r.has_replicas);
    assert_int_equal(r.partition, 1);
    assert_int_equal(r.nisr, 0);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_REMOVE_TOPIC);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_int_equal(r.type, SL_META_TOPIC_CONFIG);
    assert_memory_equal(r.key, "retention.ms", 12);
    assert_int_equal(r.value_len, 4);
    assert_memory_equal(r.value, "1000", 4);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_null(r.value);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 1);
    assert_non_null(r.value); /* empty is not absent */
    assert_int_equal(r.value_len, 0);
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), 0);

    /* Every truncation of the entry fails to decode somewhere. */
    for (size_t cut = 1; cut < e.len; cut++) {
        size_t o = 0;
        int rc;
        while ((rc = sl_meta_entry_next(e.data, cut, &o, &r)) == 1)
            ;
        if (rc == 0) /* cut on a record boundary: fine */
            continue;
        assert_int_equal(rc, SL_ERR_CORRUPT_MESSAGE);
    }
    e.data[0] = 9;
    off = 0;
    assert_int_equal(sl_meta_entry_next(e.data, e.len, &off, &r), SL_ERR_UNSUPPORTED);

    /* Bad arguments latch. */
    sl_meta_batch_reset(&b);
    char longhost[300];
    memset(longhost, 'h', sizeof longhost - 1);
    longhost[sizeof longhost - 1] = '\0';
    assert_int_equal(sl_meta_batch_add_register_broker(&b, 1, 1, longhost, 1), SL_ERR_INVAL);
    assert_int_equal(sl_meta_batch_add_topic(&b, "ok", id), SL_ERR_INVAL);
    assert_int_equal(sl_meta_batch_encode(&b, &e), SL_ERR_INVAL);
    sl_meta_batch_reset(&b);
    assert_int_equal(sl_meta_batch_add_register_broker(&b, 1, 1, "h", 70000), SL_ERR_INVAL);
    sl_meta_batch_reset(&b);
    int32_t many[SL_META_MAX_REPLICAS + 1] = {0};
    assert_int_equal(sl_meta_batch_add_partition(&b, id, 0, many, SL_META_MAX_REPLICAS + 1, many, 0, -1, 0, 0),
                     SL_ERR_INVAL);
    assert_int_equal(b.count, 0);
    sl_buf_free(&e);
    sl_meta_batch_free(&b);
}

/* ---- brokers -------------------------------------------------------------- */

static void brokers_register_fence_unregister(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_register_broker(&b, 3, 33, "c", 9093);
    sl_meta_batch_add_register_broker(&b, 1, 11, "a", 9091);
    assert_int_equal(apply_batch(img, &b, 5), SL_OK);
    sl_meta_batch_add_register_broker(&b, 2, 22, "b", 9092);
    assert_int_equal(apply_batch(img, &b, 6), SL_OK);
    assert_int_equal(sl_meta_image_last_index(img), 6);
    assert_int_equal(sl_meta_image_broker_count(img), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(sl_meta_image_broker_at(img, i)->id, (int32_t)i + 1);
    assert_null(sl_meta_image_broker_at(img, 3));
    const sl_meta_broker_t *k = sl_meta_image_broker(img, 1);
    assert_non_null(k);
    assert_string_equal(k->host, "a");
    assert_int_equal(k->port, 9091);
    assert_int_equal(k->incarnation, 11);
    assert_int_equal(k->epoch, 5);
    assert_int_equal(k->fenced, 1);
    assert_int_equal(sl_meta_image_broker(img, 2)->epoch, 6);
    assert_null(sl_meta_image_broker(img, 4));

    /* Unfence with the right epoch; a stale one is ignored. */
    sl_meta_batch_add_unfence_broker(&b, 1, 5);
    sl_meta_batch_add_unfence_broker(&b, 2, 5); /* stale: broker 2's epoch is 6 */
    sl_meta_batch_add_unfence_broker(&b, 9, 5); /* unknown: ignored */
    assert_int_equal(apply_batch(img, &b, 7), SL_OK);
    assert_true(sl_meta_image_broker_unfenced(img, 1));
    assert_false(sl_meta_image_broker_unfenced(img, 2));
    assert_false(sl_meta_image_broker_unfenced(img, 9));

    /* A stale fence leaves broker 1 unfenced; the right one fences it. */
    sl_meta_batch_add_fence_broker(&b, 1, 4);
    assert_int_equal(apply_batch(img, &b, 8), SL_OK);
    assert_true(sl_meta_image_broker_unfenced(img, 1));
    sl_meta_batch_add_fence_broker(&b, 1, 5);
    assert_int_equal(apply_batch(img, &b, 9), SL_OK);
    assert_false(sl_meta_image_broker_unfenced(img, 1));

    /* Re-registration (a restart): new epoch, fenced again, new details;
     * the old epoch's unfence is now stale. */
    sl_meta_batch_add_unfence_broker(&b, 3, 5);
    assert_int_equal(apply_batch(img, &b, 10), SL_OK);
    assert_true(sl_meta_image_broker_unfenced(img, 3));
    sl_meta_batch_add_register_broker(&b, 3, 34, "c2", 19093);
    assert_int_equal(apply_batch(img, &b, 11), SL_OK);
    k = sl_meta_image_broker(img, 3);
    assert_int_equal(k->epoch, 11);
    assert_int_equal(k->incarnation, 34);
    assert_string_equal(k->host, "c2");
    assert_int_equal(k->fenced, 1);
    sl_meta_batch_add_unfence_broker(&b, 3, 5);
    assert_int_equal(apply_batch(img, &b, 12), SL_OK);
    assert_false(sl_meta_image_broker_unfenced(img, 3));
    sl_meta_batch_add_unfence_broker(&b, 3, 11);
    assert_int_equal(apply_batch(img, &b, 13), SL_OK);
    assert_true(sl_meta_image_broker_unfenced(img, 3));

    sl_meta_batch_add_unregister_broker(&b, 2);
    sl_meta_batch_add_unregister_broker(&b, 42); /* unknown: ignored */
    assert_int_equal(apply_batch(img, &b, 14), SL_OK);
    assert_int_equal(sl_meta_image_broker_count(img), 2);
    assert_null(sl_meta_image_broker(img, 2));
    assert_int_equal(sl_meta_image_broker_at(img, 1)->id, 3);

    /* Indexes must grow. */
    assert_int_equal(apply_batch(img, &b, 14), SL_ERR_STATE);
    assert_int_equal(apply_batch(img, &b, 3), SL_ERR_STATE);
    assert_int_equal(sl_meta_image_last_index(img), 14);
    assert_int_equal(apply_batch(img, &b, 15), SL_OK); /* empty entry: only the index moves */
    assert_int_equal(sl_meta_image_last_index(img), 15);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

/* ---- topics and partitions ---------------------------------------------- */

static void topics_partitions_configs(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    uint64_t idx = add_brokers(img, 3);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    uint8_t id[16];
    memcpy(id, tid(1), 16);
    int32_t r0[] = {1, 2, 3}, r1[] = {2, 3, 1};
    sl_meta_batch_add_topic(&b, "events", id);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, "events");
    assert_non_null(t);
    assert_ptr_equal(t, sl_meta_image_topic_by_id(img, id));
    assert_int_equal(t->npartitions, 0);
    assert_null(sl_meta_topic_partition(t, 0));

    sl_meta_batch_add_partition(&b, id, 0, r0, 3, r0, 3, 1, 0, 0);
    sl_meta_batch_add_partition(&b, id, 1, r1, 3, r1, 2, 2, 0, 0);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    t = sl_meta_image_topic_by_name(img, "events");
    assert_int_equal(t->npartitions, 2);
    const sl_meta_partition_t *p = sl_meta_topic_partition(t, 1);
    assert_ids(p->replicas, p->nreplicas, r1, 3);
    assert_ids(p->isr, p->nisr, r1, 2);
    assert_int_equal(p->leader, 2);
    assert_true(sl_meta_partition_in_isr(p, 3));
    assert_false(sl_meta_partition_in_isr(p, 1));
    assert_true(sl_meta_partition_is_replica(p, 1));
    assert_int_equal(sl_meta_image_under_replicated(img), 1);
    assert_int_equal(sl_meta_image_offline(img), 0);

    /* Leader change: both epochs bump; ISR-only change: partition epoch only. */
    sl_meta_batch_add_partition_change(&b, id, 0, 1, 2, NULL, 0, NULL, 0);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    int32_t isr2[] = {2};
    sl_meta_batch_add_partition_change(&b, id, 0, 0, 0, isr2, 1, NULL, 0);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    t = sl_meta_image_topic_by_id(img, id);
    p = sl_meta_topic_partition(t, 0);
    assert_int_equal(p->leader, 2);
    assert_int_equal(p->leader_epoch, 1);
    assert_int_equal(p->partition_epoch, 2);
    assert_ids(p->isr, p->nisr, isr2, 1);
    assert_ids(p->replicas, p->nreplicas, r0, 3);
    /* Going leaderless, then a reassignment with a new ISR, in one entry. */
    int32_t r3[] = {3, 2}, isr3[] = {3, 2};
    sl_meta_batch_add_partition_change(&b, id, 0, 1, -1, NULL, 0, NULL, 0);
    sl_meta_batch_add_partition_change(&b, id, 0, 1, 3, isr3, 2, r3, 2);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    p = sl_meta_topic_partition(sl_meta_image_topic_by_id(img, id), 0);
    assert_int_equal(p->leader, 3);
    assert_int_equal(p->leader_epoch, 3);
    assert_int_equal(p->partition_epoch, 4);
    assert_ids(p->replicas, p->nreplicas, r3, 2);
    /* A PARTITION record replaces the partition wholesale, epochs included. */
    set_partition(img, id, 1, r1, 3, r1, 3, -1);
    p = sl_meta_topic_partition(sl_meta_image_topic_by_id(img, id), 1);
    assert_int_equal(p->leader, -1);
    assert_int_equal(p->leader_epoch, 5);
    assert_int_equal(p->partition_epoch, 7);
    assert_int_equal(sl_meta_image_offline(img), 1);
    assert_int_equal(sl_meta_image_under_replicated(img), 0);
    idx = sl_meta_image_last_index(img) + 1;

    /* Configs: set, replace, remove, remove-absent; kept sorted. */
    sl_meta_batch_add_topic_config(&b, id, "retention.ms", "1000");
    sl_meta_batch_add_topic_config(&b, id, "cleanup.policy", "compact");
    sl_meta_batch_add_topic_config(&b, id, "segment.bytes", "1024");
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    sl_meta_batch_add_topic_config(&b, id, "retention.ms", "2000");
    sl_meta_batch_add_topic_config(&b, id, "segment.bytes", NULL);
    sl_meta_batch_add_topic_config(&b, id, "max.message.bytes", NULL);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    t = sl_meta_image_topic_by_name(img, "events");
    assert_int_equal(t->nconfigs, 2);
    assert_string_equal(t->configs[0].key, "cleanup.policy");
    assert_string_equal(sl_meta_topic_config(t, "retention.ms"), "2000");
    assert_string_equal(sl_meta_topic_config(t, "cleanup.policy"), "compact");
    assert_null(sl_meta_topic_config(t, "segment.bytes"));

    /* Remove, then the name and id are free again. */
    sl_meta_batch_add_remove_topic(&b, id);
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    assert_null(sl_meta_image_topic_by_name(img, "events"));
    assert_null(sl_meta_image_topic_by_id(img, id));
    assert_int_equal(sl_meta_image_topic_count(img), 0);
    assert_int_equal(sl_meta_image_offline(img), 0);
    sl_meta_batch_add_topic(&b, "events", id);
    sl_meta_batch_add_remove_topic(&b, id); /* created and removed in one entry */
    sl_meta_batch_add_topic(&b, "events", tid(2));
    assert_int_equal(apply_batch(img, &b, idx++), SL_OK);
    t = sl_meta_image_topic_by_name(img, "events");
    assert_memory_equal(t->id, tid(2), 16);
    assert_null(sl_meta_image_topic_by_id(img, id));
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

/* ---- atomicity ------------------------------------------------------------ */

static void rejects_inconsistent_entries(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 3);
    uint8_t a[16], bid[16];
    memcpy(a, tid(1), 16);
    memcpy(bid, tid(2), 16);
    int32_t r[] = {1, 2, 3, 2, 3, 1};
    add_topic(img, "alpha", a, 2, 3, r);
    add_topic(img, "beta", bid, 1, 3, r);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_topic_config(&b, a, "retention.ms", "5");
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);

    sl_meta_image_t *before = sl_meta_image_clone(img);
    uint64_t idx = sl_meta_image_last_index(img) + 1;
    int32_t rep[] = {1, 2}, dup[] = {1, 1}, isr_bad[] = {3}, neg[] = {-1};
    uint8_t zero[16] = {0};
    /* Valid changes to brokers and topics first, then one bad record: none
     * of it may stay. */
    struct {
        const char *what;
        sl_err_t want;
    } cases[] = {
        {"unknown topic id", SL_ERR_UNKNOWN_TOPIC},
        {"partition beyond the count", SL_ERR_UNKNOWN_TOPIC},
        {"change of a missing partition", SL_ERR_UNKNOWN_TOPIC},
        {"duplicate name", SL_ERR_TOPIC_EXISTS},
        {"duplicate id", SL_ERR_TOPIC_EXISTS},
        {"illegal name", SL_ERR_INVALID_TOPIC},
        {"zero id", SL_ERR_INVALID_TOPIC},
        {"leader not a replica", SL_ERR_INVALID_RECORD},
        {"leader not in isr", SL_ERR_INVALID_RECORD},
        {"isr not in replicas", SL_ERR_INVALID_RECORD},
        {"duplicate replicas", SL_ERR_INVALID_RECORD},
        {"no replicas", SL_ERR_INVALID_RECORD},
        {"negative broker", SL_ERR_INVALID_RECORD},
        {"replicas change leaves isr outside", SL_ERR_INVALID_RECORD},
        {"remove unknown topic", SL_ERR_UNKNOWN_TOPIC},
        {"config of unknown topic", SL_ERR_UNKNOWN_TOPIC},
        {"negative epoch", SL_ERR_INVALID_RECORD},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sl_meta_batch_add_register_broker(&b, 9, 9, "nine", 9099);
        sl_meta_batch_add_fence_broker(&b, 1, sl_meta_image_broker(img, 1)->epoch);
        sl_meta_batch_add_unregister_broker(&b, 2);
        sl_meta_batch_add_topic(&b, "gamma", tid(3));
        sl_meta_batch_add_partition(&b, tid(3), 0, rep, 2, rep, 2, 1, 0, 0);
        sl_meta_batch_add_partition_change(&b, a, 0, 1, 2, NULL, 0, NULL, 0);
        sl_meta_batch_add_partition(&b, a, 2, rep, 2, rep, 2, 2, 0, 0);
        sl_meta_batch_add_topic_config(&b, a, "retention.ms", NULL);
        sl_meta_batch_add_topic_config(&b, a, "x", "y");
        sl_meta_batch_add_remove_topic(&b, bid);
        switch (c) {
        case 0: sl_meta_batch_add_partition(&b, tid(7), 0, rep, 2, rep, 2, 1, 0, 0); break;
        case 1: sl_meta_batch_add_partition(&b, a, 4, rep, 2, rep, 2, 1, 0, 0); break;
        case 2: sl_meta_batch_add_partition_change(&b, a, 3, 1, 1, NULL, 0, NULL, 0); break;
        case 3: sl_meta_batch_add_topic(&b, "alpha", tid(8)); break;
        case 4: sl_meta_batch_add_topic(&b, "delta", a); break;
        case 5: sl_meta_batch_add_topic(&b, "bad name!", tid(8)); break;
        case 6: sl_meta_batch_add_topic(&b, "delta", zero); break;
        case 7: sl_meta_batch_add_partition_change(&b, a, 1, 1, 7, NULL, 0, NULL, 0); break;
        case 8: sl_meta_batch_add_partition(&b, a, 1, r, 3, rep, 2, 3, 0, 0); break;
        case 9: sl_meta_batch_add_partition(&b, a, 1, rep, 2, isr_bad, 1, -1, 0, 0); break;
        case 10: sl_meta_batch_add_partition(&b, a, 1, dup, 2, rep, 1, 1, 0, 0); break;
        case 11: sl_meta_batch_add_partition(&b, a, 1, rep, 0, rep, 0, -1, 0, 0); break;
        case 12: sl_meta_batch_add_partition(&b, a, 1, neg, 1, neg, 0, -1, 0, 0); break;
        case 13: sl_meta_batch_add_partition_change(&b, a, 1, 0, 0, NULL, 0, rep, 2); break; /* isr {2,3,1} */
        case 14: sl_meta_batch_add_remove_topic(&b, bid); break; /* removed above */
        case 15: sl_meta_batch_add_topic_config(&b, bid, "k", "v"); break;
        case 16: sl_meta_batch_add_partition(&b, a, 1, rep, 2, rep, 2, 1, -1, 0); break;
        }
        sl_err_t err = apply_batch(img, &b, idx);
        if (err != cases[c].want)
            fail_msg("%s: got %s", cases[c].what, sl_err_name(err));
        assert_same_snapshot(img, before);
        assert_int_equal(sl_meta_image_broker_count(img), 3);
        assert_null(sl_meta_image_topic_by_name(img, "gamma"));
        assert_null(sl_meta_image_topic_by_id(img, tid(3)));
        assert_non_null(sl_meta_image_topic_by_id(img, bid));
        assert_int_equal(sl_meta_image_topic_by_name(img, "alpha")->npartitions, 2);
    }

    /* Bytes that do not decode. */
    sl_buf_t e = SL_BUF_INIT;
    sl_meta_batch_add_topic(&b, "gamma", tid(3));
    sl_meta_batch_add_partition(&b, tid(3), 0, rep, 2, rep, 2, 1, 0, 0);
    assert_int_equal(sl_meta_batch_encode(&b, &e), SL_OK);
    sl_meta_batch_reset(&b);
    for (size_t cut = 2; cut < e.len; cut++) {
        sl_err_t err = sl_meta_image_apply(img, e.data, cut, idx);
        assert_true(err == SL_ERR_CORRUPT_MESSAGE || err == SL_OK);
        if (err == SL_OK) /* cut after the TOPIC record: a valid entry */
            break;
        assert_same_snapshot(img, before);
    }
    sl_meta_image_unref(img);
    img = sl_meta_image_clone(before);
    uint8_t junk[] = {SL_META_FORMAT_V1, 0x63};
    assert_int_equal(sl_meta_image_apply(img, junk, sizeof junk, idx), SL_ERR_CORRUPT_MESSAGE);
    junk[0] = 2;
    assert_int_equal(sl_meta_image_apply(img, junk, sizeof junk, idx), SL_ERR_UNSUPPORTED);
    assert_int_equal(sl_meta_image_apply(img, junk, 0, idx), SL_ERR_CORRUPT_MESSAGE);
    assert_same_snapshot(img, before);
    /* The image still works after all those rollbacks. */
    assert_int_equal(sl_meta_image_apply(img, e.data, e.len, idx), SL_OK);
    assert_int_equal(sl_meta_topic_partition(sl_meta_image_topic_by_name(img, "gamma"), 0)->leader, 1);
    sl_buf_free(&e);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
    sl_meta_image_unref(before);
}

/* ---- determinism, snapshots, clones --------------------------------------- */

/* A pseudo-random but valid history: brokers come and go, topics are
 * created, changed, configured and removed. Appends entries to *log. */
static void random_history(uint64_t seed, sl_buf_t *entries, size_t *offs, int n)
{
    sl_meta_image_t *img = sl_meta_image_new();
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    uint64_t rs = seed;
    int ntop = 0;
    for (int i = 0; i < n; i++) {
        uint64_t r = sl_test_rand(&rs);
        int kind = (int)(r % 6);
        int32_t brk = (int32_t)((r >> 8) % 5) + 1;
        if (kind == 0 || sl_meta_image_broker_count(img) < 3) {
            char host[16];
            snprintf(host, sizeof host, "b%d", brk);
            sl_meta_batch_add_register_broker(&b, brk, r, host, 9000 + brk);
        } else if (kind == 1) {
            const sl_meta_broker_t *k = sl_meta_image_broker(img, brk);
            if (k && k->fenced) {
                sl_meta_batch_add_unfence_broker(&b, brk, k->epoch);
                sl_meta_unfence_changes(img, brk, &b);
            } else if (k) {
                sl_meta_batch_add_fence_broker(&b, brk, k->epoch);
                sl_meta_fence_changes(img, brk, &b);
            }
        } else if (kind == 2) {
            char name[32];
            snprintf(name, sizeof name, "t%03d", (int)((r >> 20) % 50));
            if (!sl_meta_image_topic_by_name(img, name)) {
                const uint8_t *id = tid(ntop++ + 10);
                int32_t as[4 * 2];
                if (sl_meta_assign_replicas(img, 4, 2, (int32_t)((r >> 40) % 7), as) == SL_OK) {
                    sl_meta_batch_add_topic(&b, name, id);
                    for (int p = 0; p < 4; p++)
                        sl_meta_batch_add_partition(&b, id, p, as + 2 * p, 2, as + 2 * p, 2, as[2 * p], 0, 0);
                }
            }
        } else if (kind == 3 && sl_meta_image_topic_count(img)) {
            const sl_meta_topic_t *t = sl_meta_image_topic_at(img, (r >> 16) % sl_meta_image_topic_count(img));
            sl_meta_batch_add_remove_topic(&b, t->id);
        } else if (kind == 4 && sl_meta_image_topic_count(img)) {
            const sl_meta_topic_t *t = sl_meta_image_topic_at(img, (r >> 16) % sl_meta_image_topic_count(img));
            char v[16];
            snprintf(v, sizeof v, "%d", (int)((r >> 32) % 1000));
            sl_meta_batch_add_topic_config(&b, t->id, (r >> 50) & 1 ? "retention.ms" : "segment.ms",
                                           (r >> 51) & 1 ? v : NULL);
        } else {
            sl_meta_preferred_changes(img, &b);
        }
        offs[i] = entries->len;
        assert_int_equal(sl_meta_batch_encode(&b, entries), SL_OK);
        size_t len = entries->len - offs[i];
        assert_int_equal(sl_meta_image_apply(img, entries->data + offs[i], len, (uint64_t)i + 1), SL_OK);
        sl_meta_batch_reset(&b);
    }
    offs[n] = entries->len;
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

static sl_meta_image_t *replay(const sl_buf_t *entries, const size_t *offs, int n)
{
    sl_meta_image_t *img = sl_meta_image_new();
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_meta_image_apply(img, entries->data + offs[i], offs[i + 1] - offs[i], (uint64_t)i + 1),
                         SL_OK);
    return img;
}

static void determinism_and_snapshots(void **state)
{
    (void)state;
    enum { N = 400 };
    sl_buf_t entries = SL_BUF_INIT;
    static size_t offs[N + 1];
    random_history(42, &entries, offs, N);
    sl_meta_image_t *x = replay(&entries, offs, N), *y = replay(&entries, offs, N);
    assert_true(sl_meta_image_topic_count(x) > 0);
    /* The history did exercise the fencing helpers. */
    int changed = 0;
    for (size_t i = 0; i < sl_meta_image_topic_count(x); i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_at(x, i);
        for (int32_t p = 0; p < t->npartitions; p++)
            changed += t->partitions[p].partition_epoch > 0;
    }
    assert_true(changed > 0);
    assert_same_snapshot(x, y);

    /* Restore gives the same image: same snapshot, same index and epochs,
     * and it keeps applying like the original. */
    sl_buf_t s = SL_BUF_INIT;
    snap(x, &s);
    assert_int_equal(s.data[0], SL_META_SNAPSHOT_V1);
    sl_meta_image_t *z = NULL;
    assert_int_equal(sl_meta_image_restore(s.data, s.len, &z), SL_OK);
    assert_int_equal(sl_meta_image_last_index(z), N);
    assert_same_snapshot(x, z);
    for (size_t i = 0; i < sl_meta_image_broker_count(x); i++) {
        const sl_meta_broker_t *p = sl_meta_image_broker_at(x, i), *q = sl_meta_image_broker_at(z, i);
        assert_int_equal(p->epoch, q->epoch);
        assert_int_equal(p->fenced, q->fenced);
        assert_int_equal(p->incarnation, q->incarnation);
    }
    for (size_t i = 0; i < sl_meta_image_topic_count(x); i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_at(x, i);
        const sl_meta_topic_t *u = sl_meta_image_topic_by_id(z, t->id);
        assert_non_null(u);
        assert_string_equal(t->name, u->name);
        assert_int_equal(t->npartitions, u->npartitions);
        for (int32_t p = 0; p < t->npartitions; p++) {
            assert_int_equal(t->partitions[p].leader_epoch, u->partitions[p].leader_epoch);
            assert_int_equal(t->partitions[p].partition_epoch, u->partitions[p].partition_epoch);
        }
    }
    /* Snapshot of the first half, then replay the rest from it. */
    sl_meta_image_t *h = replay(&entries, offs, N / 2), *h2 = NULL;
    snap(h, &s);
    assert_int_equal(sl_meta_image_restore(s.data, s.len, &h2), SL_OK);
    for (int i = N / 2; i < N; i++)
        assert_int_equal(sl_meta_image_apply(h2, entries.data + offs[i], offs[i + 1] - offs[i], (uint64_t)i + 1),
                         SL_OK);
    assert_same_snapshot(x, h2);

    /* An empty image round-trips too; broken snapshots are refused. */
    sl_meta_image_t *e = sl_meta_image_new(), *e2 = NULL;
    snap(e, &s);
    assert_int_equal(sl_meta_image_restore(s.data, s.len, &e2), SL_OK);
    assert_same_snapshot(e, e2);
    snap(x, &s);
    sl_meta_image_t *bad = NULL;
    assert_int_equal(sl_meta_image_restore(s.data, s.len - 1, &bad), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_meta_image_restore(s.data, 0, &bad), SL_ERR_CORRUPT_MESSAGE);
    s.data[0] = SL_META_FORMAT_V1;
    assert_int_equal(sl_meta_image_restore(s.data, s.len, &bad), SL_ERR_UNSUPPORTED);
    assert_null(bad);

    sl_meta_image_unref(e);
    sl_meta_image_unref(e2);
    sl_meta_image_unref(h);
    sl_meta_image_unref(h2);
    sl_meta_image_unref(x);
    sl_meta_image_unref(y);
    sl_meta_image_unref(z);
    sl_buf_free(&s);
    sl_buf_free(&entries);
}

/* Flipped bytes in valid entries: apply either succeeds or changes nothing,
 * and never crashes (ASan checks the reads). */
static void mutated_entries(void **state)
{
    (void)state;
    enum { N = 120 };
    sl_buf_t entries = SL_BUF_INIT;
    static size_t offs[N + 1];
    random_history(7, &entries, offs, N);
    sl_meta_image_t *img = sl_meta_image_new();
    uint64_t rs = 99;
    sl_buf_t before = SL_BUF_INIT, after = SL_BUF_INIT, m = SL_BUF_INIT;
    for (int i = 0; i < N; i++) {
        size_t len = offs[i + 1] - offs[i];
        for (int k = 0; k < 8 && len > 1; k++) {
            sl_buf_reset(&m);
            assert_int_equal(sl_buf_append(&m, entries.data + offs[i], len), SL_OK);
            uint64_t r = sl_test_rand(&rs);
            m.data[1 + r % (len - 1)] ^= (uint8_t)(1u << ((r >> 32) % 8));
            if ((r >> 40) & 1)
                m.len = 1 + (size_t)((r >> 48) % (len - 1));
            sl_meta_image_t *c = sl_meta_image_clone(img);
            snap(c, &before);
            sl_err_t err = sl_meta_image_apply(c, m.data, m.len, (uint64_t)i + 1);
            if (err) {
                snap(c, &after);
                assert_int_equal(before.len, after.len);
                assert_memory_equal(before.data, after.data, before.len);
            }
            sl_meta_image_unref(c);
        }
        assert_int_equal(sl_meta_image_apply(img, entries.data + offs[i], len, (uint64_t)i + 1), SL_OK);
    }
    sl_buf_free(&before);
    sl_buf_free(&after);
    sl_buf_free(&m);
    sl_buf_free(&entries);
    sl_meta_image_unref(img);
}

static void clone_is_independent(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 3);
    int32_t r[] = {1, 2, 3};
    uint8_t id[16];
    memcpy(id, tid(1), 16);
    add_topic(img, "a", id, 1, 3, r);
    sl_buf_t s0 = SL_BUF_INIT;
    snap(img, &s0);

    /* A published image with readers: ref it, clone, change the clone. */
    sl_meta_image_t *reader = sl_meta_image_ref(img);
    sl_meta_image_t *next = sl_meta_image_clone(img);
    assert_same_snapshot(img, next);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_partition_change(&b, id, 0, 1, 2, NULL, 0, NULL, 0);
    sl_meta_batch_add_topic_config(&b, id, "k", "v");
    sl_meta_batch_add_topic(&b, "b", tid(2));
    sl_meta_batch_add_register_broker(&b, 4, 4, "d", 1);
    assert_int_equal(apply_batch(next, &b, sl_meta_image_last_index(next) + 1), SL_OK);
    sl_meta_batch_add_remove_topic(&b, id);
    assert_int_equal(apply_batch(next, &b, sl_meta_image_last_index(next) + 1), SL_OK);
    sl_meta_image_unref(img); /* the publisher's reference; the reader keeps it alive */

    sl_buf_t s1 = SL_BUF_INIT;
    snap(reader, &s1);
    assert_int_equal(s0.len, s1.len);
    assert_memory_equal(s0.data, s1.data, s0.len);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(reader, "a");
    assert_int_equal(t->partitions[0].leader, 1);
    assert_null(sl_meta_topic_config(t, "k"));
    assert_null(sl_meta_image_topic_by_name(reader, "b"));
    assert_int_equal(sl_meta_image_broker_count(reader), 3);
    assert_null(sl_meta_image_topic_by_name(next, "a"));
    assert_non_null(sl_meta_image_topic_by_name(next, "b"));
    assert_int_equal(sl_meta_image_broker_count(next), 4);
    sl_meta_image_unref(reader);
    sl_meta_image_unref(next);
    sl_meta_image_unref(NULL);
    sl_buf_free(&s0);
    sl_buf_free(&s1);
    sl_meta_batch_free(&b);
}

/* ---- decisions ------------------------------------------------------------ */

static void assignment_spreads(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    int32_t out[64 * 3];
    assert_int_equal(sl_meta_assign_replicas(img, 1, 1, 0, out), SL_ERR_INVALID_REPLICATION_FACTOR);
    add_brokers(img, 3);
    for (int32_t start = 0; start < 5; start++) {
        assert_int_equal(sl_meta_assign_replicas(img, 6, 3, start, out), SL_OK);
        int leads[4] = {0}, in[4] = {0};
        for (int p = 0; p < 6; p++) {
            int32_t *row = out + p * 3;
            assert_true(row[0] != row[1] && row[1] != row[2] && row[0] != row[2]);
            for (int j = 0; j < 3; j++) {
                assert_true(row[j] >= 1 && row[j] <= 3);
                in[row[j]]++;
            }
            leads[row[0]]++;
        }
        for (int k = 1; k <= 3; k++) {
            assert_int_equal(leads[k], 2);
            assert_int_equal(in[k], 6);
        }
    }
    /* Kafka's own layout for start 0 (AdminUtilsTest-style expectations):
     * the follower shift grows after every n partitions. */
    assert_int_equal(sl_meta_assign_replicas(img, 6, 3, 0, out), SL_OK);
    int32_t want[] = {1, 2, 3, 2, 3, 1, 3, 1, 2, 1, 3, 2, 2, 1, 3, 3, 2, 1};
    assert_ids(out, 18, want, 18);
    /* Determinism. */
    int32_t again[18];
    assert_int_equal(sl_meta_assign_replicas(img, 6, 3, 0, again), SL_OK);
    assert_memory_equal(out, again, sizeof again);

    assert_int_equal(sl_meta_assign_replicas(img, 3, 4, 0, out), SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(sl_meta_assign_replicas(img, 3, 0, 0, out), SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(sl_meta_assign_replicas(img, 0, 1, 0, out), SL_ERR_INVALID_PARTITIONS);
    assert_int_equal(sl_meta_assign_replicas(img, 3, 1, -1, out), SL_ERR_INVAL);

    /* Only unfenced brokers: fence 2, register 4 (fenced), then rf 3 fails. */
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_fence_broker(&b, 2, sl_meta_image_broker(img, 2)->epoch);
    sl_meta_batch_add_register_broker(&b, 4, 4, "d", 1);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(sl_meta_assign_replicas(img, 3, 3, 0, out), SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(sl_meta_assign_replicas(img, 8, 2, 1, out), SL_OK);
    for (int i = 0; i < 16; i++)
        assert_true(out[i] == 1 || out[i] == 3);
    /* Five brokers, rf 1..5: leaders even, replicas distinct. */
    sl_meta_image_unref(img);
    img = sl_meta_image_new();
    add_brokers(img, 5);
    for (int16_t rf = 1; rf <= 5; rf++) {
        assert_int_equal(sl_meta_assign_replicas(img, 20, rf, 3, out), SL_OK);
        int leads[6] = {0};
        for (int p = 0; p < 20; p++) {
            leads[out[p * rf]]++;
            for (int j = 0; j < rf; j++)
                for (int k = 0; k < j; k++)
                    assert_int_not_equal(out[p * rf + j], out[p * rf + k]);
        }
        for (int k = 1; k <= 5; k++)
            assert_int_equal(leads[k], 4);
    }
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

static void election(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 4);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_fence_broker(&b, 1, sl_meta_image_broker(img, 1)->epoch);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    int32_t reps[] = {1, 2, 3, 4}, isr[] = {4, 3, 1};
    sl_meta_partition_t p = {reps, 4, isr, 3, -1, 0, 0};
    /* Replica order, not ISR order: 1 is fenced, 2 not in the ISR: 3. */
    assert_int_equal(sl_meta_elect_leader(img, &p, 0), 3);
    p.nisr = 1; /* ISR {4} */
    assert_int_equal(sl_meta_elect_leader(img, &p, 0), 4);
    isr[0] = 1; /* ISR {1}: fenced */
    assert_int_equal(sl_meta_elect_leader(img, &p, 0), -1);
    assert_int_equal(sl_meta_elect_leader(img, &p, 1), 2); /* unclean: first unfenced replica */
    p.nisr = 0;
    assert_int_equal(sl_meta_elect_leader(img, &p, 0), -1);
    int32_t gone[] = {1, 9};
    sl_meta_partition_t q = {gone, 2, gone, 2, -1, 0, 0};
    assert_int_equal(sl_meta_elect_leader(img, &q, 1), -1); /* 9 is not registered */
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

/* Fences broker k with its changes, as the controller would, and applies. */
static int fence(sl_meta_image_t *img, int32_t k)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_fence_broker(&b, k, sl_meta_image_broker(img, k)->epoch);
    int n = sl_meta_fence_changes(img, k, &b);
    assert_true(n >= 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    sl_meta_batch_free(&b);
    return n;
}

static int unfence(sl_meta_image_t *img, int32_t k)
{
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_unfence_broker(&b, k, sl_meta_image_broker(img, k)->epoch);
    int n = sl_meta_unfence_changes(img, k, &b);
    assert_true(n >= 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    sl_meta_batch_free(&b);
    return n;
}

static const sl_meta_partition_t *part(const sl_meta_image_t *img, const char *topic, int p)
{
    return sl_meta_topic_partition(sl_meta_image_topic_by_name(img, topic), p);
}

static void fencing_moves_leaders(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 3);
    uint8_t id[16];
    memcpy(id, tid(1), 16);
    /* p0 led by 1 {1,2,3}; p1 led by 2 with 1 a follower; p2 not on 1;
     * p3 ISR {1} only; p4 replicas {1,2} ISR {1,2} led by 1. */
    int32_t r[] = {1, 2, 3, 2, 1, 3, 2, 3, 2, 1, 2, 3, 1, 2, 1};
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_topic(&b, "t", id);
    sl_meta_batch_add_partition(&b, id, 0, r, 3, r, 3, 1, 0, 0);
    sl_meta_batch_add_partition(&b, id, 1, r + 3, 3, r + 3, 3, 2, 0, 0);
    sl_meta_batch_add_partition(&b, id, 2, r + 6, 2, r + 6, 2, 2, 0, 0);
    int32_t only1[] = {1};
    sl_meta_batch_add_partition(&b, id, 3, r + 9, 3, only1, 1, 1, 0, 0);
    sl_meta_batch_add_partition(&b, id, 4, r + 12, 2, r + 12, 2, 1, 0, 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);

    assert_int_equal(fence(img, 1), 4); /* p2 untouched */
    assert_false(sl_meta_image_broker_unfenced(img, 1));
    const sl_meta_partition_t *p = part(img, "t", 0);
    int32_t w0[] = {2, 3};
    assert_int_equal(p->leader, 2);
    assert_ids(p->isr, p->nisr, w0, 2);
    assert_int_equal(p->leader_epoch, 1);
    assert_int_equal(p->partition_epoch, 1);
    p = part(img, "t", 1); /* follower: leaves the ISR, leader stays, leader epoch too */
    int32_t w1[] = {2, 3};
    assert_int_equal(p->leader, 2);
    assert_ids(p->isr, p->nisr, w1, 2);
    assert_int_equal(p->leader_epoch, 0);
    assert_int_equal(p->partition_epoch, 1);
    p = part(img, "t", 2);
    assert_int_equal(p->partition_epoch, 0);
    p = part(img, "t", 3); /* last ISR member: ISR kept, no leader */
    assert_int_equal(p->leader, -1);
    assert_ids(p->isr, p->nisr, only1, 1);
    assert_int_equal(p->leader_epoch, 1);
    p = part(img, "t", 4);
    int32_t w4[] = {2};
    assert_int_equal(p->leader, 2);
    assert_ids(p->isr, p->nisr, w4, 1);
    assert_int_equal(sl_meta_image_offline(img), 1);
    assert_int_equal(sl_meta_image_under_replicated(img), 4);

    /* Fencing 2 as well: p4's ISR {2} is its last member; p0/p1 go to 3. */
    fence(img, 2);
    assert_int_equal(part(img, "t", 0)->leader, 3);
    assert_int_equal(part(img, "t", 4)->leader, -1);
    assert_ids(part(img, "t", 4)->isr, part(img, "t", 4)->nisr, w4, 1);
    assert_int_equal(sl_meta_image_offline(img), 2);
    /* A broker in no ISR: nothing to do. */
    sl_meta_batch_reset(&b);
    assert_int_equal(sl_meta_fence_changes(img, 2, &b), 0);
    assert_int_equal(sl_meta_fence_changes(img, 7, &b), 0);

    /* Unfencing 1 brings back p3 (its ISR is {1}); p4 waits for 2. */
    assert_int_equal(unfence(img, 1), 1);
    assert_int_equal(part(img, "t", 3)->leader, 1);
    assert_int_equal(part(img, "t", 3)->leader_epoch, 2);
    assert_int_equal(part(img, "t", 4)->leader, -1);
    assert_int_equal(unfence(img, 2), 1);
    assert_int_equal(part(img, "t", 4)->leader, 2);
    assert_int_equal(sl_meta_image_offline(img), 0);

    /* Preferred leaders: p0 (replicas[0] = 1) is led by 3 but 1 is not in
     * its ISR: not eligible until it is back in the ISR. p1 likewise for 2;
     * p4 (replicas {1,2}, ISR {2}) stays with 2. */
    sl_meta_batch_reset(&b);
    assert_int_equal(sl_meta_preferred_changes(img, &b), 0);
    int32_t full[] = {1, 2, 3};
    sl_meta_batch_add_partition_change(&b, id, 0, 0, 0, full, 3, NULL, 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(sl_meta_preferred_changes(img, &b), 1);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(part(img, "t", 0)->leader, 1);
    assert_int_equal(part(img, "t", 1)->leader, 3);
    sl_meta_batch_add_partition_change(&b, id, 1, 0, 0, full, 3, NULL, 0);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(sl_meta_preferred_changes(img, &b), 1);
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(part(img, "t", 1)->leader, 2);
    assert_int_equal(part(img, "t", 4)->leader, 2);
    assert_int_equal(sl_meta_preferred_changes(img, &b), 0);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

static void fencing_unclean_topic(void **state)
{
    (void)state;
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 3);
    uint8_t c[16], u[16];
    memcpy(c, tid(1), 16);
    memcpy(u, tid(2), 16);
    int32_t r[] = {1, 2, 3}, only1[] = {1};
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    sl_meta_batch_add_topic(&b, "clean", c);
    sl_meta_batch_add_partition(&b, c, 0, r, 3, only1, 1, 1, 0, 0);
    sl_meta_batch_add_topic(&b, "unclean", u);
    sl_meta_batch_add_partition(&b, u, 0, r, 3, only1, 1, 1, 0, 0);
    sl_meta_batch_add_topic_config(&b, u, SL_META_UNCLEAN_KEY, "true");
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(fence(img, 1), 2);
    assert_int_equal(part(img, "clean", 0)->leader, -1);
    assert_ids(part(img, "clean", 0)->isr, part(img, "clean", 0)->nisr, only1, 1);
    /* Unclean: the first other unfenced replica, and the ISR restarts with it. */
    int32_t two[] = {2};
    assert_int_equal(part(img, "unclean", 0)->leader, 2);
    assert_ids(part(img, "unclean", 0)->isr, part(img, "unclean", 0)->nisr, two, 1);
    sl_meta_image_unref(img);

    /* No other replica is up when the last ISR member goes: the partition
     * waits leaderless; the first replica to come back leads it (unclean),
     * but only on the unclean topic. */
    img = sl_meta_image_new();
    add_brokers(img, 3);
    sl_meta_batch_add_topic(&b, "clean", c);
    sl_meta_batch_add_partition(&b, c, 0, r, 3, only1, 1, 1, 0, 0);
    sl_meta_batch_add_topic(&b, "unclean", u);
    sl_meta_batch_add_partition(&b, u, 0, r, 3, only1, 1, 1, 0, 0);
    sl_meta_batch_add_topic_config(&b, u, SL_META_UNCLEAN_KEY, "true");
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(fence(img, 2), 0);
    assert_int_equal(fence(img, 3), 0);
    assert_int_equal(fence(img, 1), 2);
    assert_int_equal(sl_meta_image_offline(img), 2);
    assert_int_equal(unfence(img, 3), 1);
    int32_t three[] = {3};
    assert_int_equal(part(img, "unclean", 0)->leader, 3);
    assert_ids(part(img, "unclean", 0)->isr, part(img, "unclean", 0)->nisr, three, 1);
    assert_int_equal(part(img, "clean", 0)->leader, -1);
    assert_int_equal(unfence(img, 1), 1); /* the clean topic's last ISR member */
    assert_int_equal(part(img, "clean", 0)->leader, 1);
    assert_int_equal(part(img, "unclean", 0)->leader, 3);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

/* ---- scale ---------------------------------------------------------------- */

static void many_topics(void **state)
{
    (void)state;
    enum { N = 3000 };
    sl_meta_image_t *img = sl_meta_image_new();
    add_brokers(img, 1);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    uint64_t rs = 7;
    static uint8_t ids[N][16];
    int32_t one[] = {1};
    for (int i = 0; i < N; i++) {
        uint64_t x = sl_test_rand(&rs), y = sl_test_rand(&rs);
        memcpy(ids[i], &x, 8), memcpy(ids[i] + 8, &y, 8);
        char name[32];
        snprintf(name, sizeof name, "topic-%05d", (i * 7919) % N); /* not in name order */
        sl_meta_batch_add_topic(&b, name, ids[i]);
        sl_meta_batch_add_partition(&b, ids[i], 0, one, 1, one, 1, 1, 0, 0);
        if (i % 100 == 99)
            assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    }
    assert_int_equal(sl_meta_image_topic_count(img), N);
    for (size_t i = 1; i < N; i++)
        assert_true(strcmp(sl_meta_image_topic_at(img, i - 1)->name, sl_meta_image_topic_at(img, i)->name) < 0);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "topic-%05d", (i * 7919) % N);
        const sl_meta_topic_t *t = sl_meta_image_topic_by_id(img, ids[i]);
        assert_non_null(t);
        assert_string_equal(t->name, name);
        assert_ptr_equal(sl_meta_image_topic_by_name(img, name), t);
    }
    assert_null(sl_meta_image_topic_by_name(img, "topic-"));
    assert_null(sl_meta_image_topic_by_name(img, "topic-999999"));
    /* Remove every other topic (exercises the hash's deletions). */
    for (int i = 0; i < N; i += 2) {
        sl_meta_batch_add_remove_topic(&b, ids[i]);
        if (i % 200 == 198)
            assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    }
    assert_int_equal(apply_batch(img, &b, sl_meta_image_last_index(img) + 1), SL_OK);
    assert_int_equal(sl_meta_image_topic_count(img), N / 2);
    for (int i = 0; i < N; i++) {
        const sl_meta_topic_t *t = sl_meta_image_topic_by_id(img, ids[i]);
        if (i % 2 == 0)
            assert_null(t);
        else
            assert_non_null(t);
    }
    /* Snapshot and restore at this size. */
    sl_buf_t s = SL_BUF_INIT;
    snap(img, &s);
    sl_meta_image_t *r = NULL;
    assert_int_equal(sl_meta_image_restore(s.data, s.len, &r), SL_OK);
    assert_same_snapshot(img, r);
    for (int i = 1; i < N; i += 2)
        assert_non_null(sl_meta_image_topic_by_id(r, ids[i]));
    sl_buf_free(&s);
    sl_meta_image_unref(r);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
}

SL_TEST_GROUP(image, cmocka_unit_test(records_round_trip), cmocka_unit_test(brokers_register_fence_unregister),
              cmocka_unit_test(topics_partitions_configs), cmocka_unit_test(rejects_inconsistent_entries),
              cmocka_unit_test(determinism_and_snapshots), cmocka_unit_test(mutated_entries),
              cmocka_unit_test(clone_is_independent),
              cmocka_unit_test(assignment_spreads), cmocka_unit_test(election),
              cmocka_unit_test(fencing_moves_leaders), cmocka_unit_test(fencing_unclean_topic),
              cmocka_unit_test(many_topics))
