/* logclient.c — the log client's public functions: check arguments and the
 * calling context, resolve produce partitions (murmur2 of the key, as the Java
 * client), then hand over to the implementation (logclient_local.c or
 * logclient_kafka.c) through its operations table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/logmgr.h"
#include "common/murmur2.h"
#include "engine/logclient_int.h"

/* ---- the (topic, partition) map ------------------------------------------------------ */

static uint32_t sl__lc_hash(const char *topic, int32_t partition)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 16777619u;
    h ^= (uint32_t)partition * 0x9e3779b1u;
    h ^= h >> 16;
    return h;
}

static size_t sl__lc_probe(const sl__lc_map_t *m, const char *topic, int32_t partition, uint32_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    while (m->slots[i].topic &&
           !(m->slots[i].hash == h && m->slots[i].partition == partition && strcmp(m->slots[i].topic, topic) == 0))
        i = (i + 1) & mask;
    return i;
}

sl__lc_slot_t *sl__lc_map_find(const sl__lc_map_t *m, const char *topic, int32_t partition)
{
    if (m->n == 0)
        return NULL;
    size_t i = sl__lc_probe(m, topic, partition, sl__lc_hash(topic, partition));
    return m->slots[i].topic ? &m->slots[i] : NULL;
}

static int sl__lc_map_grow(sl__lc_map_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    sl__lc_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    sl__lc_map_t nm = {slots, cap, m->n};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].topic)
            slots[sl__lc_probe(&nm, m->slots[i].topic, m->slots[i].partition, m->slots[i].hash)] = m->slots[i];
    free(m->slots);
    *m = nm;
    return 0;
}

sl__lc_slot_t *sl__lc_map_put(sl__lc_map_t *m, const char *topic, int32_t partition)
{
    sl__lc_slot_t *s = sl__lc_map_find(m, topic, partition);
    if (s)
        return s;
    if ((m->n + 1) * 4 > m->cap * 3 && sl__lc_map_grow(m) != 0) /* load at most 3/4 */
        return NULL;
    uint32_t h = sl__lc_hash(topic, partition);
    char *copy = strdup(topic);
    if (!copy)
        return NULL;
    s = &m->slots[sl__lc_probe(m, topic, partition, h)];
    *s = (sl__lc_slot_t){copy, partition, h, NULL};
    m->n++;
    return s;
}

void *sl__lc_map_del(sl__lc_map_t *m, const char *topic, int32_t partition)
{
    sl__lc_slot_t *s = sl__lc_map_find(m, topic, partition);
    if (!s)
        return NULL;
    void *val = s->val;
    free(s->topic);
    size_t mask = m->cap - 1, hole = (size_t)(s - m->slots);
    m->slots[hole].topic = NULL;
    m->n--;
    /* Backward shift: move later entries of the run into the hole when their
     * home slot does not lie strictly between the hole and them. */
    for (size_t j = (hole + 1) & mask; m->slots[j].topic; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            m->slots[j].topic = NULL;
            hole = j;
        }
    }
    return val;
}

void sl__lc_map_free(sl__lc_map_t *m, void (*free_val)(void *val))
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].topic) {
            if (free_val)
                free_val(m->slots[i].val);
            free(m->slots[i].topic);
        }
    free(m->slots);
    *m = (sl__lc_map_t)SL__LC_MAP_INIT;
}

/* ---- the common head ------------------------------------------------------------------ */

sl_err_t sl__lc_init(sl_lc_t *lc, const sl__lc_ops_t *ops, const sl_lc_config_t *cfg)
{
    static const sl_lc_config_t none = {0};
    if (!cfg)
        cfg = &none;
    lc->ops = ops;
    lc->client_id = strdup(cfg->client_id ? cfg->client_id : "sluice");
    lc->group_id = cfg->group_id ? strdup(cfg->group_id) : NULL;
    lc->reset = cfg->auto_offset_reset == SL_LC_RESET_LATEST ? SL_LC_RESET_LATEST : SL_LC_RESET_EARLIEST;
    lc->timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 30000;
    lc->on_delivery = cfg->on_delivery;
    lc->delivery_opaque = cfg->delivery_opaque;
    atomic_init(&lc->wake, 0);
    if (!lc->client_id || (cfg->group_id && !lc->group_id))
        return SL_ERR_NOMEM;
    return SL_OK;
}

void sl__lc_fini(sl_lc_t *lc)
{
    free(lc->client_id);
    free(lc->group_id);
    sl__lc_map_free(&lc->counts, NULL);
}

sl_err_t sl__lc_fail(sl_lc_t *lc, sl_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lc->errstr, sizeof lc->errstr, fmt, ap);
    va_end(ap);
    return err;
}

sl_err_t sl__lc_err_from_kafka(int code)
{
    if (code == 0)
        return SL_OK;
    if (code == -1)
        return SL_ERR_IO; /* UNKNOWN_SERVER_ERROR: several rows say -1, none means it */
#define SL__LC_FROM_KAFKA(name, value, kafka, msg) \
    if (kafka == code)                             \
        return name;
    SL_ERR_TABLE(SL__LC_FROM_KAFKA)
#undef SL__LC_FROM_KAFKA
    return code == 21 ? SL_ERR_INVALID_REQUEST /* INVALID_REQUIRED_ACKS */ : SL_ERR_IO;
}

void sl__lc_rebalance(sl_lc_t *lc, sl_lc_rebalance_t event, sl_lc_tp_t *parts, size_t n)
{
    if (!lc->rebalance_cb)
        return;
    int was = lc->in_callback;
    lc->in_callback = SL__LC_IN_REBALANCE;
    lc->rebalance_cb(lc->rebalance_opaque, lc, event, parts, n);
    lc->in_callback = was;
}

int sl__lc_parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

/* ---- checks shared by the public functions ---------------------------------------------- */

/* A call that must not run inside a callback (it would change what the
 * callback's caller is iterating). */
#define SL__LC_NOT_IN_CALLBACK(lc, what)                                                        \
    do {                                                                                       \
        if ((lc)->in_callback)                                                                 \
            return sl__lc_fail((lc), SL_ERR_STATE, "%s may not be called from a callback", what); \
    } while (0)

static sl_err_t sl__lc_topic_ok(sl_lc_t *lc, const char *topic)
{
    lc->errstr[0] = 0;
    if (!topic)
        return sl__lc_fail(lc, SL_ERR_INVAL, "no topic");
    if (!sl_topic_name_valid(topic))
        return sl__lc_fail(lc, SL_ERR_INVALID_TOPIC, "'%s' is not a legal topic name", topic);
    return SL_OK;
}

static int sl__lc_offset_ok(int64_t offset)
{
    return offset >= 0 || offset == SL_LC_OFFSET_BEGINNING || offset == SL_LC_OFFSET_END ||
           offset == SL_LC_OFFSET_COMMITTED;
}

/* ---- create, destroy ---------------------------------------------------------------------- */

void sl_lc_destroy(sl_lc_t *lc)
{
    if (lc)
        lc->ops->destroy(lc);
}

const char *sl_lc_kind(const sl_lc_t *lc) { return lc ? lc->ops->kind : ""; }

const char *sl_lc_errstr(const sl_lc_t *lc) { return lc ? lc->errstr : ""; }

void sl_lc_wakeup(sl_lc_t *lc)
{
    if (!lc)
        return;
    atomic_store(&lc->wake, 1);
    lc->ops->wakeup(lc);
}

/* ---- metadata ---------------------------------------------------------------------------------- */

sl_err_t sl_lc_partition_count(sl_lc_t *lc, const char *topic, int32_t *out)
{
    if (!lc || !out)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    return err ? err : lc->ops->partition_count(lc, topic, out);
}

sl_err_t sl_lc_create_topic(sl_lc_t *lc, const char *topic, int32_t partitions, int16_t replication_factor,
                            const char *const *configs, char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf || errlen == 0)
        errbuf = dummy, errlen = sizeof dummy;
    errbuf[0] = 0;
    if (!lc)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (!err && (partitions == 0 || partitions < -1))
        err = sl__lc_fail(lc, SL_ERR_INVALID_PARTITIONS, "%d partitions", (int)partitions);
    if (!err && (replication_factor == 0 || replication_factor < -1))
        err = sl__lc_fail(lc, SL_ERR_INVALID_REPLICATION_FACTOR, "replication factor %d", (int)replication_factor);
    for (size_t i = 0; !err && configs && configs[i]; i += 2)
        if (!configs[i + 1])
            err = sl__lc_fail(lc, SL_ERR_INVALID_CONFIG, "%s: no value (configs come in key, value pairs)",
                              configs[i]);
    if (err) {
        snprintf(errbuf, errlen, "%s", lc->errstr);
        return err;
    }
    sl__lc_map_del(&lc->counts, topic, -1);
    err = lc->ops->create_topic(lc, topic, partitions, replication_factor, configs, errbuf, errlen);
    if (err && !lc->errstr[0])
        snprintf(lc->errstr, sizeof lc->errstr, "%s", errbuf);
    return err;
}

sl_err_t sl_lc_delete_topic(sl_lc_t *lc, const char *topic)
{
    if (!lc)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (err)
        return err;
    sl__lc_map_del(&lc->counts, topic, -1);
    return lc->ops->delete_topic(lc, topic);
}

sl_err_t sl_lc_watermarks(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *start, int64_t *end)
{
    if (!lc)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (err)
        return err;
    if (partition < 0)
        return sl__lc_fail(lc, SL_ERR_UNKNOWN_TOPIC, "%s has no partition %d", topic, (int)partition);
    int64_t s, e;
    err = lc->ops->watermarks(lc, topic, partition, &s, &e);
    if (!err) {
        if (start)
            *start = s;
        if (end)
            *end = e;
    }
    return err;
}

sl_err_t sl_lc_end_offset(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *end)
{
    return sl_lc_watermarks(lc, topic, partition, NULL, end);
}

/* ---- produce -------------------------------------------------------------------------------------- */

/* The topic's partition count, from the cache or asked once. */
static sl_err_t sl__lc_count(sl_lc_t *lc, const char *topic, int refresh, int32_t *out)
{
    sl__lc_slot_t *s = refresh ? NULL : sl__lc_map_find(&lc->counts, topic, -1);
    if (s) {
        *out = (int32_t)(intptr_t)s->val;
        return SL_OK;
    }
    sl_err_t err = lc->ops->partition_count(lc, topic, out);
    if (err)
        return err;
    s = sl__lc_map_put(&lc->counts, topic, -1);
    if (s)
        s->val = (void *)(intptr_t)*out;
    return SL_OK;
}

sl_err_t sl_lc_produce(sl_lc_t *lc, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    if (!lc)
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    if (!topic || !rec)
        return sl__lc_fail(lc, SL_ERR_INVAL, "no topic or no record");
    for (size_t i = 0; i < rec->header_count; i++)
        if (!rec->headers[i].name.data)
            return sl__lc_fail(lc, SL_ERR_INVAL, "header %zu has no name", i);
    if (rec->key.len > INT32_MAX || rec->value.len > INT32_MAX)
        return sl__lc_fail(lc, SL_ERR_RECORD_TOO_LARGE, "key or value over 2 GiB");
    int32_t n;
    sl_err_t err = sl__lc_count(lc, topic, 0, &n);
    /* A partition past the cached count: the topic may have grown since. */
    if (!err && partition >= n)
        err = sl__lc_count(lc, topic, 1, &n);
    if (err)
        return err;
    if (partition == SL_LC_PARTITION_ANY)
        partition = rec->key.data ? sl_murmur2_partition(rec->key.data, rec->key.len, n)
                                  : (int32_t)(lc->next_null_key++ % (uint32_t)n);
    else if (partition < 0 || partition >= n)
        return sl__lc_fail(lc, SL_ERR_UNKNOWN_TOPIC, "%s has %d partitions, not %d", topic, (int)n,
                           (int)partition + 1);
    return lc->ops->produce(lc, topic, partition, rec);
}

sl_err_t sl_lc_flush(sl_lc_t *lc, int timeout_ms)
{
    if (!lc)
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    return lc->ops->flush(lc, timeout_ms);
}

/* ---- consume ----------------------------------------------------------------------------------------- */

sl_err_t sl_lc_assign(sl_lc_t *lc, const sl_lc_tp_t *parts, size_t n)
{
    if (!lc || (n && !parts))
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    SL__LC_NOT_IN_CALLBACK(lc, "sl_lc_assign");
    if (lc->rebalance_cb)
        return sl__lc_fail(lc, SL_ERR_STATE, "subscribed: the group assigns partitions");
    for (size_t i = 0; i < n; i++) {
        sl_err_t err = sl__lc_topic_ok(lc, parts[i].topic);
        if (err)
            return err;
        if (parts[i].partition < 0 || !sl__lc_offset_ok(parts[i].offset))
            return sl__lc_fail(lc, SL_ERR_INVAL, "%s[%d]: bad partition or offset %lld", parts[i].topic,
                               (int)parts[i].partition, (long long)parts[i].offset);
        for (size_t j = 0; j < i; j++)
            if (parts[j].partition == parts[i].partition && strcmp(parts[j].topic, parts[i].topic) == 0)
                return sl__lc_fail(lc, SL_ERR_INVAL, "%s[%d] assigned twice", parts[i].topic,
                                   (int)parts[i].partition);
    }
    return lc->ops->assign(lc, parts, n);
}

sl_err_t sl_lc_seek(sl_lc_t *lc, const char *topic, int32_t partition, int64_t offset)
{
    if (!lc)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (err)
        return err;
    SL__LC_NOT_IN_CALLBACK(lc, "sl_lc_seek");
    if (!sl__lc_offset_ok(offset))
        return sl__lc_fail(lc, SL_ERR_INVAL, "bad offset %lld", (long long)offset);
    return lc->ops->seek(lc, topic, partition, offset);
}

sl_err_t sl_lc_pause(sl_lc_t *lc, const char *topic, int32_t partition, int paused)
{
    if (!lc)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    return err ? err : lc->ops->pause(lc, topic, partition, paused != 0);
}

sl_err_t sl_lc_subscribe(sl_lc_t *lc, const char *const *topics, size_t n, sl_lc_rebalance_cb *cb,
                         void *opaque)
{
    if (!lc)
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    SL__LC_NOT_IN_CALLBACK(lc, "sl_lc_subscribe");
    if (!lc->group_id)
        return sl__lc_fail(lc, SL_ERR_STATE, "no group.id: subscribe needs a group");
    if (!topics || n == 0 || !cb)
        return sl__lc_fail(lc, SL_ERR_INVAL, "no topics or no rebalance callback");
    for (size_t i = 0; i < n; i++) {
        sl_err_t err = sl__lc_topic_ok(lc, topics[i]);
        if (err)
            return err;
    }
    sl_lc_rebalance_cb *was_cb = lc->rebalance_cb;
    void *was_opaque = lc->rebalance_opaque;
    lc->rebalance_cb = cb;
    lc->rebalance_opaque = opaque;
    sl_err_t err = lc->ops->subscribe(lc, topics, n);
    if (err) {
        lc->rebalance_cb = was_cb;
        lc->rebalance_opaque = was_opaque;
    }
    return err;
}

sl_err_t sl_lc_unsubscribe(sl_lc_t *lc)
{
    if (!lc)
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    SL__LC_NOT_IN_CALLBACK(lc, "sl_lc_unsubscribe");
    if (!lc->rebalance_cb)
        return SL_OK;
    sl_err_t err = lc->ops->unsubscribe(lc);
    lc->rebalance_cb = NULL;
    lc->rebalance_opaque = NULL;
    return err;
}

int sl_lc_poll(sl_lc_t *lc, int timeout_ms, int max_records, sl_lc_record_cb *cb, void *opaque)
{
    if (!lc)
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    SL__LC_NOT_IN_CALLBACK(lc, "sl_lc_poll");
    if (!cb || max_records <= 0)
        return sl__lc_fail(lc, SL_ERR_INVAL, "no record callback or max_records < 1");
    return lc->ops->poll(lc, timeout_ms, max_records, cb, opaque);
}

sl_err_t sl_lc_position(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset, int *at_end)
{
    if (!lc || !offset)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (err)
        return err;
    int end = 0;
    err = lc->ops->position(lc, topic, partition, offset, &end);
    if (!err && at_end)
        *at_end = end;
    return err;
}

/* ---- offsets ------------------------------------------------------------------------------------------- */

sl_err_t sl_lc_commit(sl_lc_t *lc, const sl_lc_tp_t *offsets, size_t n)
{
    if (!lc || (n && !offsets))
        return SL_ERR_INVAL;
    lc->errstr[0] = 0;
    if (!lc->group_id)
        return sl__lc_fail(lc, SL_ERR_STATE, "no group.id: nothing to commit for");
    for (size_t i = 0; i < n; i++) {
        sl_err_t err = sl__lc_topic_ok(lc, offsets[i].topic);
        if (err)
            return err;
        if (offsets[i].partition < 0 || offsets[i].offset < 0)
            return sl__lc_fail(lc, SL_ERR_INVAL, "%s[%d]: cannot commit offset %lld", offsets[i].topic,
                               (int)offsets[i].partition, (long long)offsets[i].offset);
    }
    return n ? lc->ops->commit(lc, offsets, n) : SL_OK;
}

sl_err_t sl_lc_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset)
{
    if (!lc || !offset)
        return SL_ERR_INVAL;
    sl_err_t err = sl__lc_topic_ok(lc, topic);
    if (err)
        return err;
    if (!lc->group_id)
        return sl__lc_fail(lc, SL_ERR_STATE, "no group.id: no committed offsets");
    if (partition < 0)
        return sl__lc_fail(lc, SL_ERR_INVAL, "partition %d", (int)partition);
    return lc->ops->committed(lc, topic, partition, offset);
}
