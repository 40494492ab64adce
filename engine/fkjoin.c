/* fkjoin.c — foreign-key table-table joins (KIP-213): the left table's rows
 * subscribe, through an internal topic keyed by the foreign key, to the right
 * table's row of that key; the right side answers through a second internal
 * topic keyed by the left row's key; the left side joins the answer with its
 * current row — unless the row has changed since it asked.
 *
 * The protocol, Kafka Streams' (3.x), node by node:
 *
 *   left table ─> SUBSCRIPTION-REGISTRATION ─> sink …-SUBSCRIPTION-REGISTRATION-<n>-topic
 *     For each change of a left row (new and old value) it sends the foreign
 *     key(s) a subscription: the row's key, the partition of the row's task,
 *     a hash of the new value's bytes (murmur3, 128 bits; none for a delete),
 *     and an instruction — unsubscribe an old foreign key (with or without an
 *     answer), subscribe and answer only when the right row exists, or
 *     subscribe and always answer (so that a previous result is replaced by a
 *     null one). A left join answers every change, a null foreign key too.
 *
 *   source …-topic ─> SUBSCRIPTION-PROCESSOR ─> sink …-SUBSCRIPTION-RESPONSE-<n>-topic
 *     Keeps the subscriptions in a key-value store keyed by foreign key +
 *     row key ([4-byte length][foreign key bytes][row key bytes], Kafka's
 *     CombinedKeySchema), then answers as the instruction says, with the right
 *     row's current value (through the right table's getter).
 *
 *   right table ─> SUBSCRIPTION-FOREIGN ─> (the same response sink)
 *     Each change of a right row answers every subscriber of its key: a
 *     prefix scan of the subscription store.
 *
 *   source …-RESPONSE-…-topic ─> RESPONSE-RESOLVER ─> OUTPUT (the result table)
 *     Answers go back to the partition of the asking row (the sink's
 *     partitioner reads it from the answer). The resolver hashes the row's
 *     current value (left table's getter); an answer carrying another hash
 *     answers a row that has changed since, and is dropped. Otherwise it emits
 *     joiner(row, right value), or a tombstone when the right value is null
 *     and the join is inner or the row is gone.
 *
 * Times, Kafka's: a subscription carries its left change's time; its answer
 * takes the later of that and the right value's time (the right table's
 * getter gives the time the value was stored with), or the change's when
 * there is no right value; an answer to a right change takes that change's
 * time; the result takes its answer's.
 *
 * The topics are <application.id>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-
 * <n>-topic and <application.id>-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-<n>-topic,
 * Kafka Streams' names for an unnamed join (n: the registration node's index).
 *
 * Sub-topologies: the left table, the registration node, the response source
 * and resolver run together (the resolver uses the left table's store); the
 * right table, the subscription source and store and both right-side nodes
 * run together. The internal topics are repartition topics: the runner
 * creates them, and the test driver feeds them back in order.
 *
 * The wire layouts are Sluice's own (version byte first), not Kafka's
 * SubscriptionWrapperSerde's: the topics are internal to the application.
 *   subscription: [0][instruction][has hash][16-byte hash]?[partition, 4 bytes][row key bytes]
 *   response:     [0][has hash][16-byte hash]?[partition, 4 bytes][has value][right value bytes] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/trace.h"
#include "engine/engine_int.h"
#include "engine/join_int.h"

/* ---- murmur3 (x64, 128 bits), as Kafka's Murmur3.hash128 ------------------------------------ */

static uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= UINT64_C(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Kafka's seed (Murmur3.DEFAULT_SEED). */
#define FK_HASH_SEED 104729

static void murmur3_128(const uint8_t *data, size_t len, uint8_t out[16])
{
    const uint64_t c1 = UINT64_C(0x87c37b91114253d5), c2 = UINT64_C(0x4cf5ad432745937f);
    uint64_t h1 = FK_HASH_SEED, h2 = FK_HASH_SEED;
    size_t nblocks = len / 16;
    for (size_t i = 0; i < nblocks; i++) {
        uint64_t k1 = load_le64(data + i * 16), k2 = load_le64(data + i * 16 + 8);
        k1 *= c1, k1 = rotl64(k1, 31), k1 *= c2, h1 ^= k1;
        h1 = rotl64(h1, 27), h1 += h2, h1 = h1 * 5 + 0x52dce729;
        k2 *= c2, k2 = rotl64(k2, 33), k2 *= c1, h2 ^= k2;
        h2 = rotl64(h2, 31), h2 += h1, h2 = h2 * 5 + 0x38495ab5;
    }
    const uint8_t *tail = data + nblocks * 16;
    uint64_t k1 = 0, k2 = 0;
    switch (len & 15) {
    case 15: k2 ^= (uint64_t)tail[14] << 48; /* fall through */
    case 14: k2 ^= (uint64_t)tail[13] << 40; /* fall through */
    case 13: k2 ^= (uint64_t)tail[12] << 32; /* fall through */
    case 12: k2 ^= (uint64_t)tail[11] << 24; /* fall through */
    case 11: k2 ^= (uint64_t)tail[10] << 16; /* fall through */
    case 10: k2 ^= (uint64_t)tail[9] << 8;   /* fall through */
    case 9:
        k2 ^= (uint64_t)tail[8];
        k2 *= c2, k2 = rotl64(k2, 33), k2 *= c1, h2 ^= k2;
        /* fall through */
    case 8: k1 ^= (uint64_t)tail[7] << 56; /* fall through */
    case 7: k1 ^= (uint64_t)tail[6] << 48; /* fall through */
    case 6: k1 ^= (uint64_t)tail[5] << 40; /* fall through */
    case 5: k1 ^= (uint64_t)tail[4] << 32; /* fall through */
    case 4: k1 ^= (uint64_t)tail[3] << 24; /* fall through */
    case 3: k1 ^= (uint64_t)tail[2] << 16; /* fall through */
    case 2: k1 ^= (uint64_t)tail[1] << 8;  /* fall through */
    case 1:
        k1 ^= (uint64_t)tail[0];
        k1 *= c1, k1 = rotl64(k1, 31), k1 *= c2, h1 ^= k1;
        break;
    default:
        break;
    }
    h1 ^= (uint64_t)len, h2 ^= (uint64_t)len;
    h1 += h2, h2 += h1;
    h1 = fmix64(h1), h2 = fmix64(h2);
    h1 += h2, h2 += h1;
    sl_store_be64(out, h1);
    sl_store_be64(out + 8, h2);
}

/* ---- the messages and their serdes ----------------------------------------------------------- */

/* Kafka's SubscriptionWrapper.Instruction. */
enum {
    FK_DELETE_NO_PROPAGATE = 0,
    FK_DELETE_AND_PROPAGATE = 1,
    FK_PROPAGATE_NULL_IF_NO_FK_VAL = 2,
    FK_PROPAGATE_ONLY_IF_FK_VAL = 3,
};

#define FK_WIRE_VERSION 0

typedef struct fk_sub {
    int instruction;
    int has_hash; /* no hash: the row was deleted */
    uint8_t hash[16];
    int32_t partition; /* of the row's task: where the answer goes */
    sl_bytes_t pk;     /* the row's key bytes */
} fk_sub_t;

typedef struct fk_resp {
    int has_hash;
    uint8_t hash[16];
    int32_t partition;
    int has_value; /* no value: the right row is absent */
    sl_bytes_t value;
} fk_resp_t;

static sl_err_t sub_serialize(const sl_serde_t *serde, const void *obj, sl_out_t *out)
{
    (void)serde;
    const fk_sub_t *s = obj;
    uint8_t *p = sl_out_reserve(out, 3 + 16 + 4 + s->pk.len);
    if (!p)
        return SL_ERR_NOMEM;
    size_t n = 0;
    p[n++] = FK_WIRE_VERSION;
    p[n++] = (uint8_t)s->instruction;
    p[n++] = (uint8_t)(s->has_hash != 0);
    if (s->has_hash) {
        memcpy(p + n, s->hash, 16);
        n += 16;
    }
    sl_store_be32(p + n, (uint32_t)s->partition);
    n += 4;
    if (s->pk.len)
        memcpy(p + n, s->pk.data, s->pk.len);
    sl_out_commit(out, n + s->pk.len);
    return SL_OK;
}

static sl_err_t sub_deserialize(const sl_serde_t *serde, sl_bytes_t in, sl_mem_t *mem,
                                const void **obj)
{
    (void)serde;
    fk_sub_t *s = sl_mem_alloc(mem, sizeof *s);
    if (!s)
        return SL_ERR_NOMEM;
    if (in.len < 3 || in.data[0] != FK_WIRE_VERSION || in.data[1] > FK_PROPAGATE_ONLY_IF_FK_VAL)
        return SL_ERR_SERDE;
    size_t n = 1;
    s->instruction = in.data[n++];
    s->has_hash = in.data[n++] != 0;
    if (in.len < n + (s->has_hash ? 16 : 0) + 4)
        return SL_ERR_SERDE;
    if (s->has_hash) {
        memcpy(s->hash, in.data + n, 16);
        n += 16;
    }
    s->partition = (int32_t)sl_load_be32(in.data + n);
    n += 4;
    s->pk.len = in.len - n;
    s->pk.data = sl_mem_dup(mem, in.data + n, s->pk.len);
    if (!s->pk.data)
        return SL_ERR_NOMEM;
    *obj = s;
    return SL_OK;
}

static sl_err_t resp_serialize(const sl_serde_t *serde, const void *obj, sl_out_t *out)
{
    (void)serde;
    const fk_resp_t *r = obj;
    uint8_t *p = sl_out_reserve(out, 3 + 16 + 4 + r->value.len);
    if (!p)
        return SL_ERR_NOMEM;
    size_t n = 0;
    p[n++] = FK_WIRE_VERSION;
    p[n++] = (uint8_t)(r->has_hash != 0);
    if (r->has_hash) {
        memcpy(p + n, r->hash, 16);
        n += 16;
    }
    sl_store_be32(p + n, (uint32_t)r->partition);
    n += 4;
    p[n++] = (uint8_t)(r->has_value != 0);
    if (r->has_value && r->value.len) {
        memcpy(p + n, r->value.data, r->value.len);
        n += r->value.len;
    }
    sl_out_commit(out, n);
    return SL_OK;
}

static sl_err_t resp_deserialize(const sl_serde_t *serde, sl_bytes_t in, sl_mem_t *mem,
                                 const void **obj)
{
    (void)serde;
    fk_resp_t *r = sl_mem_alloc(mem, sizeof *r);
    if (!r)
        return SL_ERR_NOMEM;
    if (in.len < 2 || in.data[0] != FK_WIRE_VERSION)
        return SL_ERR_SERDE;
    size_t n = 1;
    r->has_hash = in.data[n++] != 0;
    if (in.len < n + (r->has_hash ? 16 : 0) + 5)
        return SL_ERR_SERDE;
    if (r->has_hash) {
        memcpy(r->hash, in.data + n, 16);
        n += 16;
    }
    r->partition = (int32_t)sl_load_be32(in.data + n);
    n += 4;
    r->has_value = in.data[n++] != 0;
    r->value = (sl_bytes_t){NULL, 0};
    if (r->has_value) {
        r->value.len = in.len - n;
        if (!(r->value.data = sl_mem_dup(mem, in.data + n, r->value.len)))
            return SL_ERR_NOMEM;
    }
    *obj = r;
    return SL_OK;
}

static const sl_serde_t fk_sub_serde = {
    .name = "fk-subscription", .serialize = sub_serialize, .deserialize = sub_deserialize};
static const sl_serde_t fk_resp_serde = {
    .name = "fk-response", .serialize = resp_serialize, .deserialize = resp_deserialize};

/* Answers go to the partition of the row that asked. */
static int32_t resp_partitioner(void *arg, const char *topic, const void *key, const void *value,
                                int32_t n)
{
    (void)arg, (void)topic, (void)key;
    const fk_resp_t *r = value;
    return r && r->partition >= 0 && r->partition < n ? r->partition : -1;
}

/* ---- the join's definition, shared by its nodes ---------------------------------------------- */

typedef struct fk_def {
    sl_value_mapper_fn fk_fn;
    void *fk_arg;
    sl_value_joiner_fn fn;
    void *arg;
    int left_join;
    const sl_serde_t *lks, *lvs; /* the left table's key and value serdes */
    const sl_serde_t *fks, *rvs; /* the right table's (the foreign key's) */
    sl_node_t *left, *right;     /* the tables' nodes */
    int sub_store;               /* the subscriptions (right side) */
    int out_store;               /* the result, or -1 */
} fk_def_t;

/* The nodes share one definition, which the topology owns. */
static void fk_def_keep(void *def) { (void)def; }

#define FK(inst) ((fk_def_t *)(inst)->node->def)

static void fk_skip(sl_ctx_t *ctx, sl_inst_t *inst, const char *why)
{
    ctx->task->metrics.skipped++;
    sl_trace(SL_TRACE_DEBUG, "engine", "%s: skipping a record with %s", inst->node->name, why);
}

/* Sends (key, value) at ts, with the record's headers. */
static void fk_emit_at(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *value,
                       int64_t ts)
{
    sl_rec_t r = {0};
    if (ctx->rec)
        r.headers = ctx->rec->headers, r.nheaders = ctx->rec->nheaders;
    r.key = key;
    r.value = value;
    r.ts = ts;
    sl__forward(ctx, inst, &r);
}

/* The same at the record's time. */
static void fk_emit(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void *value)
{
    fk_emit_at(ctx, inst, key, value, ctx->rec ? ctx->rec->ts : ctx->task->stream_time);
}

/* The hash of a left value's bytes; 0, or -1 (failed). */
static int value_hash(sl_ctx_t *ctx, const fk_def_t *d, const void *value, uint8_t out[16])
{
    sl_bytes_t b;
    if (sl__join_serialize(ctx, d->lvs, value, &b))
        return -1;
    murmur3_128(b.data, b.len, out);
    return 0;
}

/* ---- left side: subscribing ------------------------------------------------------------------ */

/* Sends a subscription of the change's row to foreign key fk (NULL: a left
 * join's null foreign key, answered with null). */
static void send_sub(sl_ctx_t *ctx, sl_inst_t *inst, const void *fk, const fk_sub_t *base,
                     int instruction)
{
    fk_sub_t *s = sl_ctx_alloc(ctx, sizeof *s);
    if (!s) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    *s = *base;
    s->instruction = instruction;
    fk_emit(ctx, inst, fk, s);
}

/* Are two foreign keys the same (by their bytes; NULL equals only NULL)?
 * 1, 0, or -1 (failed). */
static int fk_same(sl_ctx_t *ctx, const fk_def_t *d, const void *a, const void *b)
{
    if (!a || !b)
        return a == b;
    sl_bytes_t x, y;
    if (sl__join_serialize(ctx, d->fks, a, &x) || sl__join_serialize(ctx, d->fks, b, &y))
        return -1;
    return x.len == y.len && !memcmp(x.data, y.data, x.len);
}

/* SubscriptionSendProcessorSupplier. */
static void reg_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fk_def_t *d = FK(inst);
    sl_task_t *task = ctx->task;
    if (!rec->key) {
        fk_skip(ctx, inst, "a null key");
        return;
    }
    const void *nv = rec->value, *ov = rec->has_old ? rec->old_value : NULL;
    if (!nv && !ov)
        return; /* deleting what was not there */
    const void *ofk = NULL, *nfk = NULL;
    if (ov)
        ofk = d->fk_fn(d->fk_arg, ctx, rec->key, ov);
    if (nv && !task->err)
        nfk = d->fk_fn(d->fk_arg, ctx, rec->key, nv);
    if (task->err)
        return;
    fk_sub_t base = {.partition = task->partition, .has_hash = nv != NULL};
    if (sl__join_serialize(ctx, d->lks, rec->key, &base.pk) ||
        (nv && value_hash(ctx, d, nv, base.hash)))
        return;
    int same = fk_same(ctx, d, ofk, nfk);
    if (same < 0)
        return;
    if (d->left_join) {
        /* Every change is answered, so that the result always follows. */
        if (ofk && !same)
            send_sub(ctx, inst, ofk, &base, FK_DELETE_NO_PROPAGATE);
        if (!task->err)
            send_sub(ctx, inst, nfk, &base, FK_PROPAGATE_NULL_IF_NO_FK_VAL);
        return;
    }
    if (!nv) {
        if (ofk)
            send_sub(ctx, inst, ofk, &base, FK_DELETE_AND_PROPAGATE);
    } else if (!nfk) {
        fk_skip(ctx, inst, "a null foreign key");
        if (ofk) /* the previous result (if any) goes */
            send_sub(ctx, inst, ofk, &base, FK_DELETE_AND_PROPAGATE);
    } else if (!ofk) {
        send_sub(ctx, inst, nfk, &base, FK_PROPAGATE_ONLY_IF_FK_VAL);
    } else if (!same) {
        send_sub(ctx, inst, ofk, &base, FK_DELETE_NO_PROPAGATE);
        if (!task->err) /* replace the old result, by a null one if need be */
            send_sub(ctx, inst, nfk, &base, FK_PROPAGATE_NULL_IF_NO_FK_VAL);
    } else {
        /* Same foreign key: no match now means there was none before. */
        send_sub(ctx, inst, nfk, &base, FK_PROPAGATE_ONLY_IF_FK_VAL);
    }
}

/* ---- right side: subscriptions and answers --------------------------------------------------- */

/* The subscription store's key of (foreign key bytes, row key bytes), or the
 * prefix of all of a foreign key's when pk is NULL. */
static int combined_key(sl_ctx_t *ctx, sl_bytes_t fk, const sl_bytes_t *pk, sl_bytes_t *out)
{
    size_t n = 4 + fk.len + (pk ? pk->len : 0);
    uint8_t *p = sl_mem_alloc(&ctx->task->mem, n);
    if (!p) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return -1;
    }
    sl_store_be32(p, (uint32_t)fk.len);
    if (fk.len)
        memcpy(p + 4, fk.data, fk.len);
    if (pk && pk->len)
        memcpy(p + 4 + fk.len, pk->data, pk->len);
    *out = (sl_bytes_t){p, n};
    return 0;
}

/* Sends an answer to row pk (bytes) with the right value rv (NULL: none) at
 * time ts. */
static void send_resp(sl_ctx_t *ctx, sl_inst_t *inst, const fk_def_t *d, sl_bytes_t pk,
                      const uint8_t *hash, int has_hash, int32_t partition, const void *rv,
                      int64_t ts)
{
    fk_resp_t *r = sl_ctx_alloc(ctx, sizeof *r);
    sl_bytes_t *k = sl_ctx_alloc(ctx, sizeof *k);
    if (!r || !k) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    *k = pk;
    *r = (fk_resp_t){.has_hash = has_hash, .partition = partition, .has_value = rv != NULL};
    if (has_hash)
        memcpy(r->hash, hash, 16);
    if (sl__join_serialize(ctx, d->rvs, rv, &r->value))
        return;
    fk_emit_at(ctx, inst, k, r, ts);
}

/* SubscriptionReceiveProcessorSupplier + SubscriptionJoinProcessorSupplier. */
static void sub_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fk_def_t *d = FK(inst);
    sl_task_t *task = ctx->task;
    const fk_sub_t *s = rec->value;
    if (!s) {
        fk_skip(ctx, inst, "a null subscription");
        return;
    }
    if (!rec->key && s->instruction != FK_PROPAGATE_NULL_IF_NO_FK_VAL) {
        fk_skip(ctx, inst, "a null foreign key");
        return;
    }
    const void *rv = NULL;
    int64_t rts = rec->ts;
    if (rec->key) {
        sl_task_store_t *ts = sl__task_store(ctx, d->sub_store, SL_STORE_KV);
        sl_bytes_t fkb, ck, sv;
        if (!ts || sl__join_serialize(ctx, d->fks, rec->key, &fkb) ||
            combined_key(ctx, fkb, &s->pk, &ck))
            return;
        int rc;
        if (s->instruction == FK_DELETE_NO_PROPAGATE || s->instruction == FK_DELETE_AND_PROPAGATE) {
            if ((rc = sl_kv_delete(task->txn, ts->handle, ck)) == 1)
                sl__store_log_change(ctx, ts, ck, NULL);
        } else {
            if (sl__join_serialize(ctx, &fk_sub_serde, s, &sv))
                return;
            if ((rc = sl_kv_put(task->txn, ts->handle, ck, sv)) >= 0)
                sl__store_log_change(ctx, ts, ck, &sv);
        }
        if (rc < 0) {
            sl__store_fail(ctx, ts, rc);
            return;
        }
        if (task->err || sl__join_table_get(ctx, d->right, rec->key, &rv, &rts) < 0 || task->err)
            return;
    }
    /* SubscriptionJoinProcessorSupplier: the later of the subscription's and
     * the right value's times, whatever the instruction. */
    int64_t ts = rv && rts > rec->ts ? rts : rec->ts;
    switch (s->instruction) {
    case FK_DELETE_AND_PROPAGATE:
        send_resp(ctx, inst, d, s->pk, s->hash, s->has_hash, s->partition, NULL, ts);
        break;
    case FK_PROPAGATE_NULL_IF_NO_FK_VAL:
        send_resp(ctx, inst, d, s->pk, s->hash, s->has_hash, s->partition, rv, ts);
        break;
    case FK_PROPAGATE_ONLY_IF_FK_VAL:
        if (rv)
            send_resp(ctx, inst, d, s->pk, s->hash, s->has_hash, s->partition, rv, ts);
        break;
    default: /* FK_DELETE_NO_PROPAGATE */
        break;
    }
}

/* ForeignTableJoinProcessorSupplier: a right row changed; answer every
 * subscriber of its key with the new value, at the change's time. */
static void foreign_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fk_def_t *d = FK(inst);
    sl_task_t *task = ctx->task;
    if (!rec->key) {
        fk_skip(ctx, inst, "a null key");
        return;
    }
    sl_task_store_t *ts = sl__task_store(ctx, d->sub_store, SL_STORE_KV);
    sl_bytes_t fkb, from;
    if (!ts || sl__join_serialize(ctx, d->fks, rec->key, &fkb) ||
        combined_key(ctx, fkb, NULL, &from))
        return;
    /* [prefix, prefix + 1): the end is the prefix with its last byte below
     * 0xff incremented and the rest cut (none when all are 0xff). */
    sl_bytes_t to = {sl_mem_dup(&task->mem, from.data, from.len), from.len};
    if (!to.data) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "out of memory");
        return;
    }
    uint8_t *end = (uint8_t *)to.data;
    while (to.len && end[to.len - 1] == 0xff)
        to.len--;
    if (to.len)
        end[to.len - 1]++;
    sl_state_iter_t *it;
    sl_err_t err = sl_kv_range(task->txn, ts->handle, &from, to.len ? &to : NULL, &it);
    if (err) {
        sl__store_fail(ctx, ts, err);
        return;
    }
    /* Collect first: views die when anything downstream writes. */
    const fk_sub_t **subs = NULL;
    size_t n = 0, cap = 0;
    sl_bytes_t k, v;
    int rc;
    while ((rc = sl_kv_iter_next(it, &k, &v)) == 1) {
        const void *obj;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            const fk_sub_t **a = sl_ctx_alloc(ctx, cap * sizeof *a);
            if (!a) {
                rc = SL_ERR_NOMEM;
                break;
            }
            if (n)
                memcpy(a, subs, n * sizeof *a);
            subs = a;
        }
        if (sl__join_deserialize(ctx, &fk_sub_serde, v, &obj)) {
            rc = task->err;
            break;
        }
        subs[n++] = obj;
    }
    sl_state_iter_close(it);
    if (rc < 0) {
        if (!task->err)
            sl__store_fail(ctx, ts, rc);
        return;
    }
    for (size_t i = 0; i < n && !task->err; i++)
        send_resp(ctx, inst, d, subs[i]->pk, subs[i]->hash, subs[i]->has_hash,
                  subs[i]->partition, rec->value, rec->ts);
}

/* ---- left side: answers and the result ------------------------------------------------------- */

/* ResponseJoinProcessorSupplier: the result at the answer's time. */
static void resolve_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fk_def_t *d = FK(inst);
    sl_task_t *task = ctx->task;
    const fk_resp_t *r = rec->value;
    if (!rec->key || !r) {
        fk_skip(ctx, inst, rec->key ? "a null response" : "a null key");
        return;
    }
    const void *cur;
    if (sl__join_table_get(ctx, d->left, rec->key, &cur, NULL) < 0 || task->err)
        return;
    uint8_t h[16];
    if (cur && value_hash(ctx, d, cur, h))
        return;
    if ((cur != NULL) != (r->has_hash != 0) || (cur && memcmp(h, r->hash, 16))) {
        sl_trace(SL_TRACE_DEBUG, "engine", "%s: dropping a response for a row changed since",
                 inst->node->name);
        return;
    }
    const void *rv = NULL, *out = NULL;
    if (r->has_value && sl__join_deserialize(ctx, d->rvs, r->value, &rv))
        return;
    if (rv || (d->left_join && cur)) {
        out = d->fn(d->arg, ctx, rec->key, cur, rv);
        if (task->err)
            return;
    }
    fk_emit(ctx, inst, rec->key, out);
}

typedef struct out_state {
    int cached;
} out_state_t;

static void out_flush(sl_ctx_t *ctx, sl_inst_t *owner, const void *key, int64_t window_start,
                      const void *new_value, const void *old_value, int64_t ts)
{
    (void)window_start;
    sl_rec_t r = {.key = key, .value = new_value, .old_value = old_value, .has_old = 1, .ts = ts};
    if (ctx->rec)
        r.headers = ctx->rec->headers, r.nheaders = ctx->rec->nheaders;
    sl__forward(ctx, owner, &r);
}

static sl_err_t out_init(sl_ctx_t *ctx, sl_inst_t *inst)
{
    fk_def_t *d = FK(inst);
    out_state_t *st = inst->state;
    if (d->out_store < 0)
        return SL_OK;
    int rc = sl__store_own(ctx, d->out_store, out_flush);
    if (rc < 0)
        return (sl_err_t)rc;
    st->cached = rc;
    return SL_OK;
}

/* The result table (Kafka's KTableSource behind the join): every result is a
 * change, tombstones included, even of a key it never had. */
static void out_process(sl_ctx_t *ctx, sl_inst_t *inst, const sl_rec_t *rec)
{
    fk_def_t *d = FK(inst);
    out_state_t *st = inst->state;
    sl_rec_t r = *rec;
    r.old_value = NULL, r.has_old = 0;
    if (d->out_store >= 0) {
        if (sl__kv_get(ctx, d->out_store, rec->key, &r.old_value) < 0 ||
            sl__kv_put(ctx, d->out_store, rec->key, rec->value) || st->cached)
            return;
        r.has_old = 1;
    }
    sl__forward(ctx, inst, &r);
}

static int out_get(sl_ctx_t *ctx, sl_inst_t *inst, const void *key, const void **value,
                   int64_t *ts)
{
    return sl__kv_get_ts(ctx, FK(inst)->out_store, key, value, ts);
}

static const sl_node_vt_t reg_vt = {.kind = "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION",
                                    .process = reg_process,
                                    .free_def = fk_def_keep};
static const sl_node_vt_t sub_vt = {.kind = "KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR",
                                    .process = sub_process,
                                    .free_def = fk_def_keep};
static const sl_node_vt_t foreign_vt = {.kind = "KTABLE-FK-JOIN-SUBSCRIPTION-FOREIGN",
                                        .process = foreign_process,
                                        .free_def = fk_def_keep};
static const sl_node_vt_t resolve_vt = {
    .kind = "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR",
    .process = resolve_process,
    .free_def = fk_def_keep};
/* Materialized results have a getter; others none (a join needing one then
 * says so when the topology is built). */
static const sl_node_vt_t out_vt = {.kind = "KTABLE-FK-JOIN-OUTPUT",
                                    .init = out_init,
                                    .process = out_process,
                                    .free_def = fk_def_keep,
                                    .get = out_get,
                                    .state_size = sizeof(out_state_t)};
static const sl_node_vt_t out_nostore_vt = {.kind = "KTABLE-FK-JOIN-OUTPUT",
                                            .process = out_process,
                                            .free_def = fk_def_keep,
                                            .state_size = sizeof(out_state_t)};

/* ---- building -------------------------------------------------------------------------------- */

/* A sink writing parent's records to an internal topic (a repartition sink
 * with a fixed name); NULL on error (latched). */
static sl_node_t *internal_sink(sl_topology_t *t, sl_node_t *parent, const char *topic,
                                const sl_serde_t *ks, const sl_serde_t *vs, int by_response)
{
    sl_kstream_t *s = sl__kstream_new(t, parent, ks, vs, 0);
    sl_produced_t p = {.key_serde = ks, .value_serde = vs};
    if (by_response)
        p.partitioner = resp_partitioner;
    if (!s || sl_kstream_to(s, topic, &p))
        return NULL;
    sl_node_t *sink = t->nodes[t->nnodes - 1];
    sink->is_repartition_sink = 1;
    return sink;
}

static sl_node_t *internal_source(sl_topology_t *t, const char *topic, const sl_serde_t *ks,
                                  const sl_serde_t *vs)
{
    sl_consumed_t c = {.key_serde = ks, .value_serde = vs};
    sl_node_t *src = sl__add_source(t, &topic, 1, &c, "fk_join");
    if (src)
        src->is_repartition_source = 1;
    return src;
}

static sl_ktable_t *fk_join(sl_ktable_t *lt, sl_ktable_t *rt, sl_value_mapper_fn fk_fn,
                            void *fk_arg, sl_value_joiner_fn fn, void *arg,
                            const sl_materialized_t *m, int left_join, const char *op)
{
    if (!lt || !rt)
        return NULL;
    sl_topology_t *t = lt->topo;
    if (rt->topo != t)
        return sl__topo_fail(t, "%s: the tables belong to different topologies", op);
    if (!fk_fn || !fn)
        return sl__topo_fail(t, "%s: the %s is NULL", op,
                             fk_fn ? "joiner" : "foreign-key extractor");
    fk_def_t *d = sl__topo_alloc(t, sizeof *d);
    if (!d)
        return NULL;
    *d = (fk_def_t){.fk_fn = fk_fn,
                    .fk_arg = fk_arg,
                    .fn = fn,
                    .arg = arg,
                    .left_join = left_join,
                    .lks = sl__key_serde(t, lt->key_serde),
                    .lvs = sl__value_serde(t, lt->value_serde),
                    .fks = sl__key_serde(t, rt->key_serde),
                    .rvs = sl__value_serde(t, rt->value_serde),
                    .left = lt->node,
                    .right = rt->node,
                    .out_store = -1};
    char reg_topic[160], resp_topic[160], name[160];
    int idx = t->counter;
    snprintf(reg_topic, sizeof reg_topic,
             "%c-%sKTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-%010d-topic", SL_INTERNAL_TOPIC_MARK,
             t->name_prefix, idx);
    snprintf(resp_topic, sizeof resp_topic, "%c-%sKTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-%010d-topic",
             SL_INTERNAL_TOPIC_MARK, t->name_prefix, idx);
    snprintf(name, sizeof name, "%sKTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-%010d", t->name_prefix,
             idx);
    sl_materialized_t internal = {.disable_caching = 1};
    d->sub_store = sl__store_add(t, name, NULL, SL_STORE_KV, &sl_serde_bytes, &sl_serde_bytes,
                                 &internal);
    if (d->sub_store < 0)
        return NULL;
    t->stores[d->sub_store]->queryable = 0;
    const sl_serde_t *oks = m && m->key_serde ? m->key_serde : lt->key_serde;
    const sl_serde_t *ovs = m ? m->value_serde : NULL;
    if (m && m->store_name) {
        d->out_store = sl__store_add(t, m->store_name, "KTABLE-FK-JOIN-OUTPUT", SL_STORE_KV, oks,
                                     ovs, m);
        if (d->out_store < 0)
            return NULL;
        t->stores[d->out_store]->timestamped = 1;
    }
    /* Left: registration and its sink. */
    sl_node_t *reg = sl__node_add(t, &reg_vt, d, NULL, &lt->node, 1);
    if (!reg || !internal_sink(t, reg, reg_topic, d->fks, &fk_sub_serde, 0))
        return NULL;
    /* Right: subscriptions in, answers out. */
    sl_node_t *sub_src = internal_source(t, reg_topic, d->fks, &fk_sub_serde);
    sl_node_t *sub = sub_src ? sl__node_add(t, &sub_vt, d, NULL, &sub_src, 1) : NULL;
    if (!sub || sl__node_use_store(sub, d->sub_store) || sl__join_link_table(sub, rt, op))
        return NULL;
    sl_node_t *foreign = sl__node_add(t, &foreign_vt, d, NULL, &rt->node, 1);
    if (!foreign || sl__node_use_store(foreign, d->sub_store))
        return NULL;
    sl_node_t *resp_sink = internal_sink(t, sub, resp_topic, &sl_serde_bytes, &fk_resp_serde, 1);
    if (!resp_sink || sl__node_connect(foreign, resp_sink))
        return NULL;
    /* Left again: answers in, the result out. */
    sl_node_t *resp_src = internal_source(t, resp_topic, d->lks, &fk_resp_serde);
    sl_node_t *resolve = resp_src ? sl__node_add(t, &resolve_vt, d, NULL, &resp_src, 1) : NULL;
    if (!resolve || sl__join_link_table(resolve, lt, op))
        return NULL;
    sl_node_t *out = sl__node_add(t, d->out_store >= 0 ? &out_vt : &out_nostore_vt, d, NULL,
                                  &resolve, 1);
    if (!out || (d->out_store >= 0 && sl__node_use_store(out, d->out_store)))
        return NULL;
    return sl__ktable_new(t, out, oks, ovs, d->out_store);
}

sl_ktable_t *sl_ktable_fk_join(sl_ktable_t *t, sl_ktable_t *other, sl_value_mapper_fn fk_fn,
                               void *fk_arg, sl_value_joiner_fn fn, void *arg,
                               const sl_materialized_t *m)
{
    return fk_join(t, other, fk_fn, fk_arg, fn, arg, m, 0, "fk_join");
}

sl_ktable_t *sl_ktable_fk_left_join(sl_ktable_t *t, sl_ktable_t *other,
                                    sl_value_mapper_fn fk_fn, void *fk_arg,
                                    sl_value_joiner_fn fn, void *arg,
                                    const sl_materialized_t *m)
{
    return fk_join(t, other, fk_fn, fk_arg, fn, arg, m, 1, "fk_left_join");
}
