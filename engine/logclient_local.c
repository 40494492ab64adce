/* logclient_local.c — the in-process log client: the engine and a broker in
 * one process, no sockets. Produce builds one v2 batch per partition and
 * appends it by the Produce handler's path (sl_broker_produce); poll copies a
 * run of batches out of the partition log into one reusable buffer and hands
 * out its records as views, sleeping on the broker's append counter when
 * there is nothing new; commits go to the group coordinator by the
 * OffsetCommit handler's path. Group mode is a one-member group (see
 * sl_lc_new_local). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"
#include "broker/server/broker.h"
#include "common/clock.h"
#include "engine/logclient_int.h"

/* A partition's records waiting to be appended. */
typedef struct sl__lacc {
    char *topic;
    int32_t partition;
    sl_batch_builder_t bb;
} sl__lacc_t;

/* An assigned partition. */
typedef struct sl__lpart {
    char *topic;
    int32_t partition;
    int64_t pos; /* next offset to deliver, or SL_LC_OFFSET_* until resolved */
    int paused;
    int at_end;
} sl__lpart_t;

typedef struct sl__lc_local {
    sl_lc_t base;
    sl_broker_t *b;
    sl_topics_t *topics;

    /* producer */
    sl__lc_map_t accs; /* (topic, partition) -> sl__lacc_t */
    sl_batch_opts_t opts;
    size_t batch_size;
    int64_t linger_ms;
    int64_t pending;    /* records buffered, not appended */
    int64_t oldest_ms;  /* when the oldest of them was produced */
    sl_buf_t out;       /* a finished batch on its way to the log */
    sl_record_header_t *rhdrs; /* headers being added (grown, reused) */
    size_t rhcap;
    sl_err_t first_err; /* since the last flush */

    /* consumer */
    sl__lpart_t *parts;
    size_t nparts;
    size_t rr;        /* the partition the next round starts with */
    uint64_t gen;     /* bumped whenever parts is rebuilt */
    char **sub;       /* subscribed topics; NULL: assign mode */
    size_t nsub;
    int32_t *sub_counts; /* partition counts behind the current assignment */
    int sub_dirty;
    int64_t next_md_ms;
    size_t fetch_bytes;

    /* the batches last read: one partition's, consumed from fcur on */
    sl_buf_t fbuf;
    size_t fcur;
    uint64_t fgen;
    size_t fidx;
    int64_t fnext;    /* the position they continue from */
    size_t fmaxdec;   /* the log's max decompressed batch size */
    sl_buf_t scratch; /* decompressed records */
    sl_lc_header_t *hdrs; /* a delivered record's headers (grown, reused) */
    size_t hcap;
} sl__lc_local_t;

#define SL__L(lc) ((sl__lc_local_t *)(lc))

/* ---- metadata ------------------------------------------------------------------------- */

static sl_err_t sl__l_partition_count(sl_lc_t *lc, const char *topic, int32_t *out)
{
    sl_topic_info_t info;
    if (!sl_topics_get(SL__L(lc)->topics, topic, &info))
        return sl__lc_fail(lc, SL_ERR_UNKNOWN_TOPIC, "no topic %s", topic);
    *out = info.partitions;
    return SL_OK;
}

static sl_err_t sl__l_create_topic(sl_lc_t *lc, const char *topic, int32_t partitions, int16_t rf,
                                   const char *const *configs, char *errbuf, size_t errlen)
{
    sl__lc_local_t *l = SL__L(lc);
    if (rf != -1 && rf != 1) {
        snprintf(errbuf, errlen, "replication factor %d larger than available brokers: 1", (int)rf);
        return SL_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (partitions == -1)
        partitions = sl_broker_config(l->b)->num_partitions;
    int n = 0;
    while (configs && configs[2 * n])
        n++;
    const char **keys = calloc((size_t)n + 1, sizeof *keys), **values = calloc((size_t)n + 1, sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        keys[i] = configs[2 * i], values[i] = configs[2 * i + 1];
    sl_err_t err = sl_topics_create(l->topics, topic, partitions, keys, values, n, 0, NULL, errbuf, errlen);
    free(keys);
    free(values);
    if (err == SL_ERR_TOPIC_EXISTS && !errbuf[0])
        snprintf(errbuf, errlen, "topic %s already exists", topic);
    return err;
}

static void sl__l_acc_free(void *val)
{
    sl__lacc_t *a = val;
    if (!a)
        return;
    sl_batch_builder_destroy(&a->bb);
    free(a->topic);
    free(a);
}

/* Reports every record of a that will never be appended, and forgets them. */
static void sl__l_acc_fail(sl__lc_local_t *l, sl__lacc_t *a, sl_err_t err)
{
    int32_t n = a->bb.count;
    for (int32_t i = 0; i < n && l->base.on_delivery; i++)
        l->base.on_delivery(l->base.delivery_opaque, a->topic, a->partition, -1, err);
    l->pending -= n;
    if (n && !l->first_err)
        l->first_err = err;
    sl_batch_builder_destroy(&a->bb);
    sl_batch_builder_init(&a->bb, &l->opts);
}

static sl_err_t sl__l_delete_topic(sl_lc_t *lc, const char *topic)
{
    sl__lc_local_t *l = SL__L(lc);
    if (!sl_broker_config(l->b)->delete_topic_enable)
        return sl__lc_fail(lc, SL_ERR_TOPIC_DELETION_DISABLED, "delete.topic.enable is false");
    sl_err_t err = sl_topics_delete(l->topics, topic);
    if (err)
        return sl__lc_fail(lc, err, "deleting %s: %s", topic, sl_err_str(err));
    /* Its buffered records have nowhere to go. */
    for (size_t i = 0; i < l->accs.cap; i++) {
        sl__lc_slot_t *s = &l->accs.slots[i];
        if (s->topic && strcmp(s->topic, topic) == 0)
            sl__l_acc_fail(l, s->val, SL_ERR_UNKNOWN_TOPIC);
    }
    return SL_OK;
}

static sl_err_t sl__l_watermarks(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *start, int64_t *end)
{
    sl__lc_local_t *l = SL__L(lc);
    sl_topic_part_t *part = sl_topics_acquire(l->topics, topic, partition);
    if (!part)
        return sl__lc_fail(lc, SL_ERR_UNKNOWN_TOPIC, "no partition %s[%d]", topic, (int)partition);
    sl_log_t *log = sl_topic_part_log(part);
    *start = sl_log_start_offset(log);
    *end = sl_log_end_offset(log);
    sl_topics_release(l->topics, part);
    return SL_OK;
}

/* ---- produce ------------------------------------------------------------------------------ */

/* Appends a's records as one batch; reports each record. */
static void sl__l_send(sl__lc_local_t *l, sl__lacc_t *a)
{
    int32_t n = a->bb.count;
    if (n == 0)
        return;
    sl_buf_reset(&l->out);
    int64_t base = -1;
    sl_err_t err = sl_batch_builder_finish(&a->bb, &l->out);
    if (!err)
        err = sl_broker_produce(l->b, a->topic, a->partition, l->out.data, l->out.len, &base);
    if (err) {
        if (!l->first_err)
            snprintf(l->base.errstr, sizeof l->base.errstr, "appending %d records to %s[%d]: %s", (int)n,
                     a->topic, (int)a->partition, sl_err_str(err));
        sl__l_acc_fail(l, a, err);
        return;
    }
    for (int32_t i = 0; i < n && l->base.on_delivery; i++)
        l->base.on_delivery(l->base.delivery_opaque, a->topic, a->partition, base + i, SL_OK);
    l->pending -= n;
    /* The builder keeps its records after finish: start it afresh. */
    sl_batch_builder_destroy(&a->bb);
    sl_batch_builder_init(&a->bb, &l->opts);
}

static void sl__l_send_all(sl__lc_local_t *l)
{
    for (size_t i = 0; i < l->accs.cap && l->pending > 0; i++)
        if (l->accs.slots[i].topic)
            sl__l_send(l, l->accs.slots[i].val);
    l->pending = 0;
    l->oldest_ms = 0;
}

/* Appends everything when the oldest buffered record has waited linger.ms. */
static void sl__l_linger(sl__lc_local_t *l, int64_t now)
{
    if (l->pending > 0 && now - l->oldest_ms >= l->linger_ms)
        sl__l_send_all(l);
}

static sl_err_t sl__l_produce(sl_lc_t *lc, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    sl__lc_local_t *l = SL__L(lc);
    sl__lc_slot_t *s = sl__lc_map_put(&l->accs, topic, partition);
    if (!s)
        return SL_ERR_NOMEM;
    if (!s->val) {
        sl__lacc_t *a = calloc(1, sizeof *a);
        if (!a || !(a->topic = strdup(topic))) {
            free(a);
            sl__lc_map_del(&l->accs, topic, partition);
            return SL_ERR_NOMEM;
        }
        a->partition = partition;
        sl_batch_builder_init(&a->bb, &l->opts);
        s->val = a;
    }
    sl__lacc_t *a = s->val;
    if (rec->header_count > l->rhcap) {
        size_t cap = rec->header_count * 2;
        sl_record_header_t *h = realloc(l->rhdrs, cap * sizeof *h);
        if (!h)
            return SL_ERR_NOMEM;
        l->rhdrs = h, l->rhcap = cap;
    }
    for (size_t i = 0; i < rec->header_count; i++) {
        const sl_lc_header_t *h = &rec->headers[i];
        l->rhdrs[i] = (sl_record_header_t){h->name.data, (int32_t)h->name.len, h->value.data,
                                           h->value.data ? (int32_t)h->value.len : -1};
    }
    int64_t now = sl_now_ms();
    sl_err_t err = sl_batch_builder_add(&a->bb, -1, rec->timestamp < 0 ? now : rec->timestamp, rec->key.data,
                                        rec->key.data ? (int32_t)rec->key.len : -1, rec->value.data,
                                        rec->value.data ? (int32_t)rec->value.len : -1, l->rhdrs,
                                        rec->header_count);
    if (err)
        return sl__lc_fail(lc, err, "buffering a record for %s[%d]: %s", topic, (int)partition, sl_err_str(err));
    if (l->pending++ == 0)
        l->oldest_ms = now;
    if (a->bb.records.len >= l->batch_size)
        sl__l_send(l, a);
    sl__l_linger(l, now);
    return SL_OK;
}

static sl_err_t sl__l_flush(sl_lc_t *lc, int timeout_ms)
{
    (void)timeout_ms; /* appends are synchronous: nothing to wait for */
    sl__lc_local_t *l = SL__L(lc);
    sl__l_send_all(l);
    sl_err_t err = l->first_err;
    l->first_err = SL_OK;
    return err;
}

/* ---- positions ------------------------------------------------------------------------------ */

static sl__lpart_t *sl__l_find(sl__lc_local_t *l, const char *topic, int32_t partition, size_t *idx)
{
    for (size_t i = 0; i < l->nparts; i++)
        if (l->parts[i].partition == partition && strcmp(l->parts[i].topic, topic) == 0) {
            if (idx)
                *idx = i;
            return &l->parts[i];
        }
    return NULL;
}

static void sl__l_parts_free(sl__lc_local_t *l)
{
    for (size_t i = 0; i < l->nparts; i++)
        free(l->parts[i].topic);
    free(l->parts);
    l->parts = NULL;
    l->nparts = 0;
    l->rr = 0;
    l->gen++;
}

static sl_err_t sl__l_parts_set(sl__lc_local_t *l, const sl_lc_tp_t *tps, size_t n)
{
    sl__l_parts_free(l);
    if (n == 0)
        return SL_OK;
    l->parts = calloc(n, sizeof *l->parts);
    if (!l->parts)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        sl__lpart_t *p = &l->parts[i];
        if (!(p->topic = strdup(tps[i].topic))) {
            sl__l_parts_free(l);
            return SL_ERR_NOMEM;
        }
        p->partition = tps[i].partition;
        p->pos = tps[i].offset;
        l->nparts++;
    }
    return SL_OK;
}

static sl_err_t sl__l_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset);

/* Turns a symbolic position into an offset, and moves one outside
 * [start, end] by auto.offset.reset, as a Kafka consumer does. */
static void sl__l_resolve(sl__lc_local_t *l, sl__lpart_t *p, int64_t start, int64_t end)
{
    int64_t reset = l->base.reset == SL_LC_RESET_LATEST ? end : start;
    if (p->pos == SL_LC_OFFSET_COMMITTED) {
        int64_t c = -1;
        if (l->base.group_id && sl__l_committed(&l->base, p->topic, p->partition, &c) != SL_OK)
            c = -1;
        p->pos = c >= 0 ? c : reset;
    } else if (p->pos == SL_LC_OFFSET_BEGINNING) {
        p->pos = start;
    } else if (p->pos == SL_LC_OFFSET_END) {
        p->pos = end;
    }
    if (p->pos < start || p->pos > end)
        p->pos = reset;
}

static sl_err_t sl__l_assign(sl_lc_t *lc, const sl_lc_tp_t *parts, size_t n)
{
    return sl__l_parts_set(SL__L(lc), parts, n);
}

static sl_err_t sl__l_seek(sl_lc_t *lc, const char *topic, int32_t partition, int64_t offset)
{
    sl__lpart_t *p = sl__l_find(SL__L(lc), topic, partition, NULL);
    if (!p)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    p->pos = offset;
    p->at_end = 0;
    return SL_OK;
}

static sl_err_t sl__l_pause(sl_lc_t *lc, const char *topic, int32_t partition, int paused)
{
    sl__lpart_t *p = sl__l_find(SL__L(lc), topic, partition, NULL);
    if (!p)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    p->paused = paused;
    return SL_OK;
}

static sl_err_t sl__l_position(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset, int *at_end)
{
    sl__lc_local_t *l = SL__L(lc);
    sl__lpart_t *p = sl__l_find(l, topic, partition, NULL);
    if (!p)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    if (p->pos < 0) {
        int64_t start, end;
        if (sl__l_watermarks(lc, topic, partition, &start, &end) == SL_OK)
            sl__l_resolve(l, p, start, end);
    }
    *offset = p->pos >= 0 ? p->pos : -1;
    *at_end = p->at_end;
    return SL_OK;
}

/* ---- group mode: one member, every partition ----------------------------------------------- */

static void sl__l_sub_free(sl__lc_local_t *l)
{
    for (size_t i = 0; i < l->nsub; i++)
        free(l->sub[i]);
    free(l->sub);
    free(l->sub_counts);
    l->sub = NULL;
    l->sub_counts = NULL;
    l->nsub = 0;
}

/* Revokes the current assignment through the callback. */
static sl_err_t sl__l_revoke_all(sl__lc_local_t *l)
{
    size_t n = l->nparts;
    if (n == 0)
        return SL_OK;
    sl_lc_tp_t *tps = calloc(n, sizeof *tps);
    if (!tps)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        tps[i] = (sl_lc_tp_t){l->parts[i].topic, l->parts[i].partition, l->parts[i].pos};
    sl__lc_rebalance(&l->base, SL_LC_REVOKED, tps, n);
    free(tps);
    sl__l_parts_free(l);
    return SL_OK;
}

/* Looks at the subscribed topics; when their partitions changed (or on the
 * first poll) revokes everything and assigns every partition, eagerly, as
 * a group with one member would. */
static sl_err_t sl__l_sync_group(sl__lc_local_t *l)
{
    int changed = l->sub_dirty;
    int32_t total = 0;
    for (size_t i = 0; i < l->nsub; i++) {
        sl_topic_info_t info;
        int32_t n = sl_topics_get(l->topics, l->sub[i], &info) ? info.partitions : 0;
        if (n != l->sub_counts[i])
            changed = 1;
        l->sub_counts[i] = n;
        total += n;
    }
    l->next_md_ms = sl_now_ms() + 500;
    if (!changed)
        return SL_OK;
    l->sub_dirty = 0;
    sl_err_t err = sl__l_revoke_all(l);
    sl_lc_tp_t *tps = err ? NULL : calloc((size_t)total + 1, sizeof *tps);
    if (!tps)
        return SL_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < l->nsub; i++)
        for (int32_t p = 0; p < l->sub_counts[i]; p++)
            tps[k++] = (sl_lc_tp_t){l->sub[i], p, SL_LC_OFFSET_COMMITTED};
    sl__lc_rebalance(&l->base, SL_LC_ASSIGNED, tps, k);
    for (size_t i = 0; i < k; i++)
        if (tps[i].offset < 0 && tps[i].offset != SL_LC_OFFSET_BEGINNING && tps[i].offset != SL_LC_OFFSET_END)
            tps[i].offset = SL_LC_OFFSET_COMMITTED; /* what the callback left unusable */
    err = sl__l_parts_set(l, tps, k);
    free(tps);
    return err;
}

static sl_err_t sl__l_subscribe(sl_lc_t *lc, const char *const *topics, size_t n)
{
    sl__lc_local_t *l = SL__L(lc);
    char **sub = calloc(n, sizeof *sub);
    int32_t *counts = calloc(n, sizeof *counts);
    size_t k = 0;
    while (sub && counts && k < n && (sub[k] = strdup(topics[k])))
        k++;
    if (k < n) {
        for (size_t i = 0; i < k; i++)
            free(sub[i]);
        free(sub);
        free(counts);
        return SL_ERR_NOMEM;
    }
    if (!l->sub)
        sl__l_parts_free(l); /* leaving assign mode */
    sl__l_sub_free(l);
    l->sub = sub;
    l->sub_counts = counts;
    l->nsub = n;
    l->sub_dirty = 1;
    return SL_OK;
}

static sl_err_t sl__l_unsubscribe(sl_lc_t *lc)
{
    sl__lc_local_t *l = SL__L(lc);
    sl_err_t err = sl__l_revoke_all(l);
    sl__l_parts_free(l);
    sl__l_sub_free(l);
    return err;
}

/* ---- poll ----------------------------------------------------------------------------------- */

/* A view of the record's key or value: NULL for null, never NULL for empty. */
static sl_bytes_t sl__l_view(const uint8_t *p, int32_t len)
{
    if (len < 0)
        return (sl_bytes_t){NULL, 0};
    return (sl_bytes_t){p ? p : (const uint8_t *)"", (size_t)len};
}

static sl_err_t sl__l_headers(sl__lc_local_t *l, const sl_record_t *r)
{
    size_t n = r->header_count > 0 ? (size_t)r->header_count : 0;
    if (n > l->hcap) {
        size_t cap = n * 2;
        sl_lc_header_t *h = realloc(l->hdrs, cap * sizeof *h);
        if (!h)
            return SL_ERR_NOMEM;
        l->hdrs = h, l->hcap = cap;
    }
    const uint8_t *p = r->headers, *end = r->headers + r->headers_len;
    for (size_t i = 0; i < n; i++) {
        sl_record_header_t h;
        sl_err_t err = sl_record_header_next(&p, end, &h);
        if (err)
            return err;
        l->hdrs[i] = (sl_lc_header_t){sl__l_view(h.key, h.key_len), sl__l_view(h.value, h.value_len)};
    }
    return SL_OK;
}

/* Delivers up to max records of parts[idx] from its position; *stop is set
 * when the callback asked to stop. Returns the count or an error. */
static int sl__l_fetch_part(sl__lc_local_t *l, size_t idx, int max, sl_lc_record_cb *cb, void *opaque, int *stop)
{
    sl__lpart_t *p = &l->parts[idx];
    sl_topic_part_t *part = sl_topics_acquire(l->topics, p->topic, p->partition);
    if (!part && l->sub) {
        l->sub_dirty = 1; /* deleted: the next poll takes it away, as a group would */
        return 0;
    }
    if (!part)
        return sl__lc_fail(&l->base, SL_ERR_UNKNOWN_TOPIC, "assigned partition %s[%d] does not exist", p->topic,
                           (int)p->partition);
    sl_log_t *log = sl_topic_part_log(part);
    int64_t start = sl_log_start_offset(log), end = sl_log_end_offset(log);
    sl__l_resolve(l, p, start, end);
    if (p->pos >= end) {
        p->at_end = 1;
        sl_topics_release(l->topics, part);
        return 0;
    }
    int cached = l->fgen == l->gen && l->fidx == idx && l->fnext == p->pos && l->fcur < l->fbuf.len;
    if (!cached) {
        sl_buf_reset(&l->fbuf);
        l->fcur = 0;
        l->fgen = 0; /* nothing cached until the read succeeds */
        l->fmaxdec = (size_t)sl_log_get_config(log).max_decompressed_bytes;
        sl_err_t err = sl_log_read_copy(log, p->pos, l->fetch_bytes, end, &l->fbuf);
        if (err == SL_ERR_OFFSET_OUT_OF_RANGE) {
            /* Retention moved the start past us meanwhile: the next round resets. */
            sl_topics_release(l->topics, part);
            return 0;
        }
        if (err) {
            sl_topics_release(l->topics, part);
            return sl__lc_fail(&l->base, err, "reading %s[%d] at %lld: %s", p->topic, (int)p->partition,
                               (long long)p->pos, sl_err_str(err));
        }
        l->fgen = l->gen;
        l->fidx = idx;
    }
    sl_topics_release(l->topics, part); /* the batches are a copy */

    int n = 0;
    while (l->fcur + SL_BATCH_HEADER_SIZE <= l->fbuf.len) {
        const uint8_t *batch = l->fbuf.data + l->fcur;
        size_t avail = l->fbuf.len - l->fcur;
        sl_batch_header_t h;
        if (sl_batch_header_parse(batch, avail, &h) != SL_OK || sl_batch_size(&h) > avail)
            break; /* cannot happen with whole batches; read afresh next time */
        size_t size = sl_batch_size(&h);
        int64_t last = sl_batch_last_offset(&h);
        if (last < p->pos || (h.attributes & SL_BATCH_ATTR_CONTROL)) {
            if (last >= p->pos)
                p->pos = last + 1; /* transaction markers take an offset, deliver nothing */
            l->fcur += size;
            continue;
        }
        sl_record_iter_t it;
        sl_err_t err = sl_record_iter_init(&it, batch, size, l->fmaxdec, &l->scratch);
        if (err) {
            l->fgen = 0;
            return sl__lc_fail(&l->base, err, "%s[%d] batch at %lld: %s", p->topic, (int)p->partition,
                               (long long)h.base_offset, sl_err_str(err));
        }
        sl_record_t r;
        int rc;
        while ((rc = sl_record_iter_next(&it, &r)) == 1) {
            if (r.offset < p->pos)
                continue;
            if ((err = sl__l_headers(l, &r)) != SL_OK) {
                l->fgen = 0;
                return sl__lc_fail(&l->base, err, "%s[%d] record %lld: bad headers", p->topic, (int)p->partition,
                                   (long long)r.offset);
            }
            sl_lc_record_t rec = {sl__l_view(r.key, r.key_len), sl__l_view(r.value, r.value_len), r.timestamp,
                                  l->hdrs, (size_t)(r.header_count > 0 ? r.header_count : 0), r.offset};
            l->base.in_callback = SL__LC_IN_RECORD;
            *stop = cb(opaque, p->topic, p->partition, &rec) != 0;
            l->base.in_callback = SL__LC_IN_NONE;
            p->pos = r.offset + 1;
            p->at_end = 0;
            n++;
            if (*stop || n >= max || p->paused) {
                /* Resume inside this batch next time: fcur stays on it. */
                l->fnext = p->pos;
                return n;
            }
        }
        if (rc < 0) {
            l->fgen = 0;
            return sl__lc_fail(&l->base, (sl_err_t)rc, "%s[%d] batch at %lld: %s", p->topic, (int)p->partition,
                               (long long)h.base_offset, sl_err_str((sl_err_t)rc));
        }
        /* Past the batch's last offset, even when compaction removed its tail. */
        p->pos = last + 1;
        l->fcur += size;
    }
    l->fnext = p->pos;
    p->at_end = p->pos >= end;
    return n;
}

/* One pass over the assigned partitions. The next pass starts with the
 * partition whose batches this one left half-delivered (so a read is used up
 * before another partition's replaces it), else with the next partition. */
static int sl__l_round(sl__lc_local_t *l, int max, sl_lc_record_cb *cb, void *opaque, int *stop)
{
    size_t n = l->nparts;
    int total = 0;
    for (size_t k = 0; k < n && total < max && !*stop; k++) {
        size_t idx = (l->rr + k) % n;
        if (l->parts[idx].paused)
            continue;
        int got = sl__l_fetch_part(l, idx, max - total, cb, opaque, stop);
        if (got < 0)
            return got;
        total += got;
    }
    int unfinished = l->fgen == l->gen && l->fcur < l->fbuf.len && l->fidx < n && !l->parts[l->fidx].paused;
    if (unfinished)
        l->rr = l->fidx;
    else if (n)
        l->rr = (l->rr + 1) % n;
    return total;
}

static int sl__l_poll(sl_lc_t *lc, int timeout_ms, int max_records, sl_lc_record_cb *cb, void *opaque)
{
    sl__lc_local_t *l = SL__L(lc);
    int64_t now = sl_now_ms();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now + timeout_ms;
    int stop = 0;
    for (;;) {
        if (l->sub && (l->sub_dirty || now >= l->next_md_ms)) {
            sl_err_t err = sl__l_sync_group(l);
            if (err)
                return sl__lc_fail(lc, err, "assigning partitions: %s", sl_err_str(err));
        }
        sl__l_linger(l, now);
        if (atomic_exchange(&lc->wake, 0))
            return 0;
        /* Read the counter before the logs: an append after it ends the wait. */
        uint64_t seq = sl_broker_append_seq(l->b);
        int got = sl__l_round(l, max_records, cb, opaque, &stop);
        if (got != 0 || stop)
            return got;
        now = sl_now_ms();
        if (now >= deadline)
            return 0;
        int64_t until = deadline;
        if (l->sub && l->next_md_ms < until)
            until = l->next_md_ms;
        if (l->pending > 0 && l->oldest_ms + l->linger_ms < until)
            until = l->oldest_ms + l->linger_ms;
        if (until > now + 1000)
            until = now + 1000; /* a long (or endless) poll waits in steps: no far-off timespec */
        if (until > now)
            sl_broker_wait_append(l->b, seq, until);
        now = sl_now_ms();
    }
}

/* ---- offsets ---------------------------------------------------------------------------------- */

static sl_err_t sl__l_commit(sl_lc_t *lc, const sl_lc_tp_t *offsets, size_t n)
{
    sl__lc_local_t *l = SL__L(lc);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_offset_commit_request_t req;
    sl_kmsg_offset_commit_request_init(&req);
    req.group_id = sl_kstr_from(lc->group_id);
    /* A simple consumer's commit: generation -1, no member id (see sl_lc_new_local). */
    req.topics.items = sl_arena_alloc(&a, n * sizeof *req.topics.items);
    sl_kmsg_offset_commit_request_offset_commit_request_partition_t *ps = sl_arena_alloc(&a, n * sizeof *ps);
    if (!req.topics.items || !ps) {
        sl_arena_free(&a);
        return SL_ERR_NOMEM;
    }
    req.topics.count = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        sl_kmsg_offset_commit_request_offset_commit_request_partition_init(&ps[i]);
        ps[i].partition_index = offsets[i].partition;
        ps[i].committed_offset = offsets[i].offset;
        ps[i].committed_metadata = SL_KSTR("");
        sl_kmsg_offset_commit_request_offset_commit_request_topic_init(&req.topics.items[i]);
        req.topics.items[i].name = sl_kstr_from(offsets[i].topic);
        req.topics.items[i].partitions =
            (sl_kmsg_offset_commit_request_offset_commit_request_partition_array_t){&ps[i], 1};
    }
    sl_kmsg_offset_commit_response_t resp;
    sl_kmsg_offset_commit_response_init(&resp);
    sl_broker_offset_commit(l->b, 8, &req, &resp, &a);
    sl_err_t err = resp.topics.count == (int32_t)n ? SL_OK : SL_ERR_NOMEM;
    for (int32_t i = 0; i < resp.topics.count && !err; i++)
        for (int32_t j = 0; j < resp.topics.items[i].partitions.count && !err; j++) {
            int16_t code = resp.topics.items[i].partitions.items[j].error_code;
            if (code) {
                err = sl__lc_err_from_kafka(code);
                sl__lc_fail(lc, err, "committing %s[%d] for group %s: %s", offsets[i].topic,
                            (int)offsets[i].partition, lc->group_id, sl_err_str(err));
            }
        }
    sl_arena_free(&a);
    return err;
}

static sl_err_t sl__l_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset)
{
    sl__lc_local_t *l = SL__L(lc);
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_offset_fetch_request_t req;
    sl_kmsg_offset_fetch_request_init(&req);
    sl_kmsg_offset_fetch_request_offset_fetch_request_topic_t t;
    sl_kmsg_offset_fetch_request_offset_fetch_request_topic_init(&t);
    t.name = sl_kstr_from(topic);
    t.partition_indexes = (sl_kint32_array_t){&partition, 1};
    req.group_id = sl_kstr_from(lc->group_id);
    req.topics = (sl_kmsg_offset_fetch_request_offset_fetch_request_topic_array_t){&t, 1};
    sl_kmsg_offset_fetch_response_t resp;
    sl_kmsg_offset_fetch_response_init(&resp);
    sl_group_offset_fetch(sl_broker_groups(l->b), 7, &req, &resp, &a);
    sl_err_t err = sl__lc_err_from_kafka(resp.error_code);
    *offset = -1;
    if (!err && resp.topics.count == 1 && resp.topics.items[0].partitions.count == 1) {
        const sl_kmsg_offset_fetch_response_offset_fetch_response_partition_t *p =
            &resp.topics.items[0].partitions.items[0];
        err = sl__lc_err_from_kafka(p->error_code);
        if (!err)
            *offset = p->committed_offset >= 0 ? p->committed_offset : -1;
    }
    sl_arena_free(&a);
    if (err)
        sl__lc_fail(lc, err, "committed offset of %s[%d] for group %s: %s", topic, (int)partition, lc->group_id,
                    sl_err_str(err));
    return err;
}

/* ---- create, destroy ---------------------------------------------------------------------------- */

static void sl__l_wakeup(sl_lc_t *lc) { sl_broker_wake_readers(SL__L(lc)->b); }

static void sl__l_destroy(sl_lc_t *lc)
{
    sl__lc_local_t *l = SL__L(lc);
    sl__lc_map_free(&l->accs, sl__l_acc_free);
    sl__l_parts_free(l);
    sl__l_sub_free(l);
    sl_buf_free(&l->out);
    sl_buf_free(&l->fbuf);
    sl_buf_free(&l->scratch);
    free(l->rhdrs);
    free(l->hdrs);
    sl__lc_fini(lc);
    free(l);
}

static const sl__lc_ops_t sl__local_ops = {
    .kind = "local",
    .destroy = sl__l_destroy,
    .partition_count = sl__l_partition_count,
    .create_topic = sl__l_create_topic,
    .delete_topic = sl__l_delete_topic,
    .watermarks = sl__l_watermarks,
    .produce = sl__l_produce,
    .flush = sl__l_flush,
    .assign = sl__l_assign,
    .seek = sl__l_seek,
    .pause = sl__l_pause,
    .subscribe = sl__l_subscribe,
    .unsubscribe = sl__l_unsubscribe,
    .poll = sl__l_poll,
    .position = sl__l_position,
    .commit = sl__l_commit,
    .committed = sl__l_committed,
    .wakeup = sl__l_wakeup,
};

/* The properties the local client understands; others are librdkafka's business. */
static sl_err_t sl__l_props(sl__lc_local_t *l, const char *const *props, char *errbuf, size_t errlen)
{
    for (size_t i = 0; props && props[i]; i += 2) {
        const char *k = props[i], *v = props[i + 1];
        if (!v) {
            snprintf(errbuf, errlen, "%s: no value (props come in key, value pairs)", k);
            return SL_ERR_INVAL;
        }
        if (strncmp(k, "producer.", 9) == 0)
            k += 9;
        else if (strncmp(k, "consumer.", 9) == 0)
            k += 9;
        int64_t n;
        if (strcmp(k, "batch.size") == 0 || strcmp(k, "linger.ms") == 0 ||
            strcmp(k, "max.partition.fetch.bytes") == 0) {
            if (sl__lc_parse_i64(v, &n) != 0 || n < 0 || n > INT32_MAX) {
                snprintf(errbuf, errlen, "%s: '%s' is not a number from 0 to %d", k, v, INT32_MAX);
                return SL_ERR_INVAL;
            }
            if (k[0] == 'b')
                l->batch_size = n > 0 ? (size_t)n : 1;
            else if (k[0] == 'l')
                l->linger_ms = n;
            else
                l->fetch_bytes = n > 0 ? (size_t)n : 1;
        } else if (strcmp(k, "compression.type") == 0) {
            int c = sl_compression_parse(v);
            if (c < 0) {
                snprintf(errbuf, errlen, "compression.type: '%s' is not none, gzip, snappy, lz4 or zstd", v);
                return SL_ERR_INVAL;
            }
            l->opts.compression = (sl_compression_t)c;
        }
    }
    return SL_OK;
}

sl_err_t sl_lc_new_local(sl_broker_t *broker, const sl_lc_config_t *cfg, sl_lc_t **out, char *errbuf,
                         size_t errlen)
{
    char dummy[8];
    if (!errbuf || errlen == 0)
        errbuf = dummy, errlen = sizeof dummy;
    errbuf[0] = 0;
    if (!out)
        return SL_ERR_INVAL;
    *out = NULL;
    if (!broker) {
        snprintf(errbuf, errlen, "no broker");
        return SL_ERR_INVAL;
    }
    sl__lc_local_t *l = calloc(1, sizeof *l);
    if (!l)
        return SL_ERR_NOMEM;
    l->b = broker;
    l->topics = sl_broker_topics(broker);
    l->opts = sl_batch_opts_default();
    l->batch_size = 262144;
    l->linger_ms = 5;
    l->fetch_bytes = 1048576;
    l->gen = 1;
    sl_err_t err = sl__lc_init(&l->base, &sl__local_ops, cfg);
    if (!err)
        err = sl__l_props(l, cfg ? cfg->props : NULL, errbuf, errlen);
    if (err) {
        if (err == SL_ERR_NOMEM)
            snprintf(errbuf, errlen, "%s", sl_err_str(err));
        sl__l_destroy(&l->base);
        return err;
    }
    *out = &l->base;
    return SL_OK;
}
