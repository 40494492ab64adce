/* logclient_kafka.c — the log client over librdkafka, for any Kafka-protocol
 * cluster (a Sluice broker over TCP, Apache Kafka, Redpanda). One producer
 * (acks=all, idempotent) and one consumer (manual commits, partition EOF
 * events kept to itself for sl_lc_position), each made on first use; admin
 * and metadata requests ride on whichever exists. librdkafka's own threads do
 * the network work; its callbacks (rebalance, delivery reports, errors) are
 * served on the client's thread inside poll, produce and flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "common/clock.h"
#include "common/trace.h"
#include "engine/logclient_int.h"

/* An assigned partition, as this client tracks it. */
typedef struct sl__kpart {
    int64_t pos; /* next offset to deliver; -1: not known yet */
    int paused;
    int at_end;
    int reseek;  /* resumed inside a record callback: seek to pos after it */
} sl__kpart_t;

typedef struct sl__lc_kafka {
    sl_lc_t base;
    rd_kafka_conf_t *pconf, *cconf; /* checked at creation, consumed by rd_kafka_new */
    rd_kafka_t *prod, *cons;
    _Atomic(rd_kafka_queue_t *) cq; /* the consumer's queue, for sl_lc_wakeup */
    sl__lc_map_t parts;             /* (topic, partition) -> sl__kpart_t */
    int subscribed;
    int closing;                    /* destroy: no user callbacks any more */
    int reseek;                     /* some partition's reseek is set */
    sl_err_t fatal;                 /* librdkafka's fatal error, latched */
    char fatalstr[256];
    sl_err_t first_err;             /* of a delivery since the last flush */
    char first_errstr[256];
    sl_lc_header_t *hdrs;           /* a delivered record's headers (grown, reused) */
    size_t hcap;
} sl__lc_kafka_t;

#define SL__K(lc) ((sl__lc_kafka_t *)(lc))

/* librdkafka's errors as sl_err_t: broker codes by Kafka's numbers, the
 * client's own (negative) ones by meaning. */
static sl_err_t sl__k_err(rd_kafka_resp_err_t e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_NO_ERROR: return SL_OK;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION: return SL_ERR_UNKNOWN_TOPIC;
    case RD_KAFKA_RESP_ERR__INVALID_ARG: return SL_ERR_INVAL;
    case RD_KAFKA_RESP_ERR__STATE: return SL_ERR_STATE;
    case RD_KAFKA_RESP_ERR__UNKNOWN_GROUP: return SL_ERR_STATE;
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET: return SL_ERR_OFFSET_OUT_OF_RANGE;
    case RD_KAFKA_RESP_ERR__BAD_COMPRESSION: return SL_ERR_COMPRESSION;
    case RD_KAFKA_RESP_ERR__BAD_MSG: return SL_ERR_CORRUPT_MESSAGE;
    default: return e > 0 ? sl__lc_err_from_kafka((int)e) : SL_ERR_IO;
    }
}

static sl_err_t sl__k_fail(sl_lc_t *lc, rd_kafka_resp_err_t e, const char *what)
{
    return sl__lc_fail(lc, sl__k_err(e), "%s: %s", what, rd_kafka_err2str(e));
}

/* ---- librdkafka callbacks ----------------------------------------------------------------- */

static void sl__k_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* syslog levels; librdkafka says LOG_ERR (3) of what it retries, such as
     * a refused connection, so that is a warning here */
    sl_trace_level_t l = level <= 2 ? SL_TRACE_ERROR : level <= 4 ? SL_TRACE_WARN : level <= 6 ? SL_TRACE_INFO
                                                                                         : SL_TRACE_DEBUG;
    sl_trace(l, "rdkafka", "%s: %s", fac, buf);
}

static void sl__k_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sl__lc_kafka_t *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[256];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof why);
        sl_trace(SL_TRACE_ERROR, "lc-kafka", "fatal: %s: %s", rd_kafka_err2name(orig), why);
        if (!k->fatal) {
            k->fatal = sl__k_err(orig);
            snprintf(k->fatalstr, sizeof k->fatalstr, "fatal: %.200s", why);
        }
        if (!k->first_err) {
            k->first_err = k->fatal;
            snprintf(k->first_errstr, sizeof k->first_errstr, "fatal: %.200s", why);
        }
        return;
    }
    /* Transport errors and the like: librdkafka retries them itself. */
    sl_trace(SL_TRACE_INFO, "lc-kafka", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void sl__k_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    sl__lc_kafka_t *k = opaque;
    if (k->closing)
        return;
    const char *topic = rd_kafka_topic_name(m->rkt);
    sl_err_t err = sl__k_err(m->err);
    if (err && !k->first_err) {
        k->first_err = err;
        snprintf(k->first_errstr, sizeof k->first_errstr, "delivering to %s[%d]: %s", topic, (int)m->partition,
                 rd_kafka_err2str(m->err));
    }
    if (k->base.on_delivery)
        k->base.on_delivery(k->base.delivery_opaque, topic, m->partition, err ? -1 : m->offset, err);
}

static void sl__k_track_add(sl__lc_kafka_t *k, const rd_kafka_topic_partition_list_t *l)
{
    for (int i = 0; i < l->cnt; i++) {
        sl__lc_slot_t *s = sl__lc_map_put(&k->parts, l->elems[i].topic, l->elems[i].partition);
        if (!s)
            continue; /* no memory: position unknown for this one */
        if (!s->val)
            s->val = calloc(1, sizeof(sl__kpart_t));
        sl__kpart_t *p = s->val;
        if (p)
            *p = (sl__kpart_t){l->elems[i].offset >= 0 ? l->elems[i].offset : -1, 0, 0, 0};
    }
}

static void sl__k_track_clear(sl__lc_kafka_t *k) { sl__lc_map_free(&k->parts, free); }

static void sl__k_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                               void *opaque)
{
    sl__lc_kafka_t *k = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    size_t n = (size_t)parts->cnt;
    sl_lc_tp_t *tps = n ? calloc(n, sizeof *tps) : NULL;
    for (size_t i = 0; tps && i < n; i++)
        tps[i] = (sl_lc_tp_t){parts->elems[i].topic, parts->elems[i].partition, SL_LC_OFFSET_COMMITTED};
    int call = !k->closing && (tps || n == 0);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (call)
            sl__lc_rebalance(&k->base, SL_LC_ASSIGNED, tps, n);
        for (size_t i = 0; tps && i < n; i++) {
            int64_t o = tps[i].offset;
            if (o < 0 && o != SL_LC_OFFSET_BEGINNING && o != SL_LC_OFFSET_END)
                o = SL_LC_OFFSET_COMMITTED; /* what the callback left unusable */
            parts->elems[i].offset = o; /* librdkafka's logical offsets have our values */
        }
        sl__k_track_add(k, parts);
        rd_kafka_error_t *e = NULL;
        rd_kafka_resp_err_t re = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            re = rd_kafka_assign(rk, parts);
        if (e || re) {
            sl_trace(SL_TRACE_ERROR, "lc-kafka", "assigning %d partitions: %s", parts->cnt,
                     e ? rd_kafka_error_string(e) : rd_kafka_err2str(re));
            rd_kafka_error_destroy(e);
        }
    } else {
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && call)
            sl__lc_rebalance(&k->base, SL_LC_REVOKED, tps, n);
        else if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
            sl_trace(SL_TRACE_WARN, "lc-kafka", "rebalance error: %s", rd_kafka_err2str(err));
        if (coop) {
            for (size_t i = 0; i < n; i++)
                free(sl__lc_map_del(&k->parts, parts->elems[i].topic, parts->elems[i].partition));
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            rd_kafka_error_destroy(e);
        } else {
            sl__k_track_clear(k);
            rd_kafka_assign(rk, NULL);
        }
    }
    free(tps);
}

/* ---- configuration, the two handles ------------------------------------------------------- */

static int sl__k_set(rd_kafka_conf_t *c, const char *key, const char *value, char *errbuf, size_t errlen)
{
    char why[256];
    if (rd_kafka_conf_set(c, key, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(errbuf, errlen, "%s=%s: %s", key, value, why);
        return -1;
    }
    return 0;
}

/* A producer's (consumer 0) or consumer's (1) configuration: ours, then the
 * caller's properties, so that theirs win. */
static rd_kafka_conf_t *sl__k_conf(sl__lc_kafka_t *k, const char *bootstrap, const sl_lc_config_t *cfg,
                                   int consumer, char *errbuf, size_t errlen)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!c)
        return NULL;
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_log_cb(c, sl__k_log_cb);
    rd_kafka_conf_set_error_cb(c, sl__k_error_cb);
    char group[600];
    /* librdkafka assigns partitions only in a consumer with a group.id; one
     * that has none gets a private name it never commits or joins under. */
    snprintf(group, sizeof group, "%s", k->base.group_id ? k->base.group_id : "");
    if (!group[0])
        snprintf(group, sizeof group, "%s.assign-only.%p", k->base.client_id, (void *)k);
    int bad = sl__k_set(c, "bootstrap.servers", bootstrap, errbuf, errlen) ||
              sl__k_set(c, "client.id", k->base.client_id, errbuf, errlen) ||
              sl__k_set(c, "allow.auto.create.topics", "false", errbuf, errlen);
    if (!bad && !consumer) {
        rd_kafka_conf_set_dr_msg_cb(c, sl__k_dr_cb);
        bad = sl__k_set(c, "acks", "all", errbuf, errlen) || sl__k_set(c, "enable.idempotence", "true", errbuf, errlen);
    } else if (!bad) {
        rd_kafka_conf_set_rebalance_cb(c, sl__k_rebalance_cb);
        bad = sl__k_set(c, "group.id", group, errbuf, errlen) ||
              sl__k_set(c, "enable.auto.commit", "false", errbuf, errlen) ||
              sl__k_set(c, "enable.auto.offset.store", "false", errbuf, errlen) ||
              sl__k_set(c, "enable.partition.eof", "true", errbuf, errlen) ||
              sl__k_set(c, "auto.offset.reset", k->base.reset == SL_LC_RESET_LATEST ? "latest" : "earliest", errbuf,
                        errlen);
    }
    const char *const *props = cfg ? cfg->props : NULL;
    for (size_t i = 0; !bad && props && props[i]; i += 2) {
        const char *key = props[i], *v = props[i + 1];
        if (!v) {
            snprintf(errbuf, errlen, "%s: no value (props come in key, value pairs)", key);
            bad = 1;
            break;
        }
        if (strncmp(key, "producer.", 9) == 0) {
            if (consumer)
                continue;
            key += 9;
        } else if (strncmp(key, "consumer.", 9) == 0) {
            if (!consumer)
                continue;
            key += 9;
        }
        bad = sl__k_set(c, key, v, errbuf, errlen);
    }
    if (bad) {
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

static sl_err_t sl__k_producer(sl__lc_kafka_t *k)
{
    if (k->prod)
        return SL_OK;
    char why[512];
    k->prod = rd_kafka_new(RD_KAFKA_PRODUCER, k->pconf, why, sizeof why);
    if (!k->prod)
        return sl__lc_fail(&k->base, SL_ERR_CONFIG, "making the producer: %s", why);
    k->pconf = NULL; /* rd_kafka_new took it */
    return SL_OK;
}

static sl_err_t sl__k_consumer(sl__lc_kafka_t *k)
{
    if (k->cons)
        return SL_OK;
    char why[512];
    k->cons = rd_kafka_new(RD_KAFKA_CONSUMER, k->cconf, why, sizeof why);
    if (!k->cons)
        return sl__lc_fail(&k->base, SL_ERR_CONFIG, "making the consumer: %s", why);
    k->cconf = NULL;
    /* Errors and logs come out of rd_kafka_consumer_poll, on our thread. */
    rd_kafka_poll_set_consumer(k->cons);
    atomic_store(&k->cq, rd_kafka_queue_get_consumer(k->cons));
    return SL_OK;
}

/* A handle for metadata and admin requests: the producer unless only a consumer exists. */
static rd_kafka_t *sl__k_any(sl__lc_kafka_t *k)
{
    if (k->prod || (!k->cons && sl__k_producer(k) == SL_OK))
        return k->prod;
    return k->cons;
}

/* ---- metadata -------------------------------------------------------------------------------- */

static sl_err_t sl__k_partition_count(sl_lc_t *lc, const char *topic, int32_t *out)
{
    sl__lc_kafka_t *k = SL__K(lc);
    rd_kafka_t *rk = sl__k_any(k);
    if (!rk)
        return SL_ERR_CONFIG;
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    if (!t)
        return sl__k_fail(lc, rd_kafka_last_error(), topic);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, lc->timeout_ms);
    rd_kafka_topic_destroy(t);
    if (e)
        return sl__k_fail(lc, e, "metadata");
    if (md->topic_cnt != 1)
        e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    else if (md->topics[0].err)
        e = md->topics[0].err;
    else if (md->topics[0].partition_cnt == 0)
        e = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART; /* librdkafka's view of a missing topic, sometimes */
    else
        *out = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return e ? sl__k_fail(lc, e, topic) : SL_OK;
}

/* Waits until metadata shows topic (want 1) or no longer does (want 0). */
static void sl__k_await_topic(sl__lc_kafka_t *k, const char *topic, int want)
{
    int64_t deadline = sl_now_ms() + k->base.timeout_ms;
    while (sl_now_ms() < deadline) {
        int32_t n;
        sl_err_t e = sl__k_partition_count(&k->base, topic, &n);
        if ((want && !e) || (!want && e == SL_ERR_UNKNOWN_TOPIC))
            break;
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
    }
    k->base.errstr[0] = 0;
}

/* Runs one admin request on a temporary queue and returns its result event. */
static rd_kafka_event_t *sl__k_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type, int timeout_ms)
{
    int64_t deadline = sl_now_ms() + timeout_ms + 1000; /* the request's own timeout answers first */
    for (;;) {
        int64_t left = deadline - sl_now_ms();
        if (left <= 0)
            return NULL;
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)left);
        if (!ev || rd_kafka_event_type(ev) == type)
            return ev;
        rd_kafka_event_destroy(ev);
    }
}

static sl_err_t sl__k_create_topic(sl_lc_t *lc, const char *topic, int32_t partitions, int16_t rf,
                                   const char *const *configs, char *errbuf, size_t errlen)
{
    sl__lc_kafka_t *k = SL__K(lc);
    rd_kafka_t *rk = sl__k_any(k);
    if (!rk)
        return SL_ERR_CONFIG;
    char why[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, rf, why, sizeof why);
    if (!nt) {
        snprintf(errbuf, errlen, "%s", why);
        return SL_ERR_INVAL;
    }
    for (size_t i = 0; configs && configs[i]; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(o, lc->timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_operation_timeout(o, lc->timeout_ms, NULL, 0);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = sl__k_admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, lc->timeout_ms);
    sl_err_t err = SL_OK;
    if (!ev) {
        snprintf(errbuf, errlen, "no answer to CreateTopics within %d ms", lc->timeout_ms);
        err = SL_ERR_IO;
    } else if (rd_kafka_event_error(ev)) {
        snprintf(errbuf, errlen, "%s", rd_kafka_event_error_string(ev));
        err = sl__k_err(rd_kafka_event_error(ev));
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        rd_kafka_resp_err_t e = n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (e) {
            const char *s = n == 1 ? rd_kafka_topic_result_error_string(res[0]) : NULL;
            snprintf(errbuf, errlen, "%s", s && *s ? s : rd_kafka_err2str(e));
            err = sl__k_err(e);
        }
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    if (!err)
        sl__k_await_topic(k, topic, 1); /* a cluster's brokers learn of it a little later */
    return err;
}

static sl_err_t sl__k_delete_topic(sl_lc_t *lc, const char *topic)
{
    sl__lc_kafka_t *k = SL__K(lc);
    rd_kafka_t *rk = sl__k_any(k);
    if (!rk)
        return SL_ERR_CONFIG;
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(o, lc->timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_operation_timeout(o, lc->timeout_ms, NULL, 0);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, &dt, 1, o, q);
    rd_kafka_event_t *ev = sl__k_admin_wait(q, RD_KAFKA_EVENT_DELETETOPICS_RESULT, lc->timeout_ms);
    sl_err_t err = SL_OK;
    if (!ev) {
        err = sl__lc_fail(lc, SL_ERR_IO, "no answer to DeleteTopics within %d ms", lc->timeout_ms);
    } else if (rd_kafka_event_error(ev)) {
        err = sl__lc_fail(lc, sl__k_err(rd_kafka_event_error(ev)), "%s", rd_kafka_event_error_string(ev));
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        rd_kafka_resp_err_t e = n == 1 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
        if (e)
            err = sl__k_fail(lc, e, topic);
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteTopic_destroy(dt);
    if (!err)
        sl__k_await_topic(k, topic, 0);
    return err;
}

static sl_err_t sl__k_watermarks(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *start, int64_t *end)
{
    sl__lc_kafka_t *k = SL__K(lc);
    rd_kafka_t *rk = k->cons ? k->cons : sl__k_any(k);
    if (!rk)
        return SL_ERR_CONFIG;
    rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk, topic, partition, start, end, lc->timeout_ms);
    return e ? sl__k_fail(lc, e, topic) : SL_OK;
}

/* ---- produce ------------------------------------------------------------------------------------ */

static sl_err_t sl__k_produce(sl_lc_t *lc, const char *topic, int32_t partition, const sl_lc_record_t *rec)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl_err_t err = sl__k_producer(k);
    if (err)
        return err;
    rd_kafka_headers_t *hdrs = NULL;
    if (rec->header_count) {
        hdrs = rd_kafka_headers_new(rec->header_count);
        for (size_t i = 0; i < rec->header_count; i++) {
            const sl_lc_header_t *h = &rec->headers[i];
            rd_kafka_header_add(hdrs, (const char *)h->name.data, (ssize_t)h->name.len, h->value.data,
                                h->value.data ? (ssize_t)h->value.len : 0);
        }
    }
    /* An empty but non-null key or value must stay non-null on the wire. */
    static const char empty[1];
    const void *key = rec->key.data ? (rec->key.len ? (const void *)rec->key.data : empty) : NULL;
    const void *val = rec->value.data ? (rec->value.len ? (const void *)rec->value.data : empty) : NULL;
    rd_kafka_resp_err_t e;
    for (;;) {
        e = rd_kafka_producev(k->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, rec->key.len),
                              RD_KAFKA_V_VALUE((void *)val, rec->value.len),
                              RD_KAFKA_V_TIMESTAMP(rec->timestamp > 0 ? rec->timestamp : 0),
                              RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(k->prod, 100); /* back-pressure: serve delivery reports until there is room */
    }
    if (e) {
        rd_kafka_headers_destroy(hdrs); /* ours again on failure */
        return sl__k_fail(lc, e, topic);
    }
    rd_kafka_poll(k->prod, 0);
    return SL_OK;
}

static sl_err_t sl__k_flush(sl_lc_t *lc, int timeout_ms)
{
    sl__lc_kafka_t *k = SL__K(lc);
    if (k->prod && rd_kafka_flush(k->prod, timeout_ms) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        return sl__lc_fail(lc, SL_ERR_IO, "flush timed out with %d records outstanding", rd_kafka_outq_len(k->prod));
    sl_err_t err = k->first_err;
    if (err)
        snprintf(lc->errstr, sizeof lc->errstr, "%s", k->first_errstr);
    k->first_err = SL_OK;
    return err;
}

/* ---- consume -------------------------------------------------------------------------------------- */

static sl__kpart_t *sl__k_find(sl__lc_kafka_t *k, const char *topic, int32_t partition)
{
    sl__lc_slot_t *s = sl__lc_map_find(&k->parts, topic, partition);
    return s ? s->val : NULL;
}

static sl_err_t sl__k_assign(sl_lc_t *lc, const sl_lc_tp_t *parts, size_t n)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl_err_t err = sl__k_consumer(k);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        int64_t off = parts[i].offset;
        if (off == SL_LC_OFFSET_COMMITTED && !lc->group_id) /* no group: nothing committed */
            off = lc->reset == SL_LC_RESET_LATEST ? SL_LC_OFFSET_END : SL_LC_OFFSET_BEGINNING;
        rd_kafka_topic_partition_list_add(l, parts[i].topic, parts[i].partition)->offset = off;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(k->cons, n ? l : NULL);
    if (!e) {
        sl__k_track_clear(k);
        sl__k_track_add(k, l);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return e ? sl__k_fail(lc, e, "assign") : SL_OK;
}

static sl_err_t sl__k_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset);

static sl_err_t sl__k_seek(sl_lc_t *lc, const char *topic, int32_t partition, int64_t offset)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl__kpart_t *p = sl__k_find(k, topic, partition);
    if (!p || !k->cons)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    if (offset == SL_LC_OFFSET_COMMITTED) {
        /* librdkafka seeks to offsets and to the log's ends, not to a commit. */
        int64_t c = -1;
        if (lc->group_id) {
            sl_err_t err = sl__k_committed(lc, topic, partition, &c);
            if (err)
                return err;
        }
        offset = c >= 0 ? c : lc->reset == SL_LC_RESET_LATEST ? SL_LC_OFFSET_END : SL_LC_OFFSET_BEGINNING;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(k->cons, l, lc->timeout_ms);
    rd_kafka_resp_err_t pe = l->elems[0].err;
    rd_kafka_topic_partition_list_destroy(l);
    sl_err_t err = SL_OK;
    if (e) {
        err = sl__lc_fail(lc, SL_ERR_IO, "seeking %s[%d]: %s", topic, (int)partition, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    } else if (pe) {
        err = sl__k_fail(lc, pe, "seek");
    } else {
        p->pos = offset >= 0 ? offset : -1;
        p->at_end = 0;
    }
    return err;
}

static sl_err_t sl__k_pause(sl_lc_t *lc, const char *topic, int32_t partition, int paused)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl__kpart_t *p = sl__k_find(k, topic, partition);
    if (!p || !k->cons)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    if (p->paused == paused)
        return SL_OK;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = paused ? rd_kafka_pause_partitions(k->cons, l) : rd_kafka_resume_partitions(k->cons, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl__k_fail(lc, e, paused ? "pause" : "resume");
    p->paused = paused;
    /* Messages fetched before the pause were dropped: go on from what was
     * delivered. Inside a record callback the poll seeks after it returns. */
    if (!paused && p->pos >= 0) {
        if (lc->in_callback) {
            p->reseek = k->reseek = 1;
            return SL_OK;
        }
        int64_t pos = p->pos;
        return sl__k_seek(lc, topic, partition, pos);
    }
    return SL_OK;
}

static sl_err_t sl__k_subscribe(sl_lc_t *lc, const char *const *topics, size_t n)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl_err_t err = sl__k_consumer(k);
    if (err)
        return err;
    if (!k->subscribed && k->parts.n) {
        rd_kafka_assign(k->cons, NULL); /* leaving assign mode */
        sl__k_track_clear(k);
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->cons, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        return sl__k_fail(lc, e, "subscribe");
    k->subscribed = 1;
    return SL_OK;
}

static sl_err_t sl__k_unsubscribe(sl_lc_t *lc)
{
    sl__lc_kafka_t *k = SL__K(lc);
    if (!k->cons || !k->subscribed)
        return SL_OK;
    rd_kafka_resp_err_t e = rd_kafka_unsubscribe(k->cons);
    k->subscribed = 0;
    /* The revocation is served by the consumer's queue: serve it now, so the
     * callback runs inside this call. Messages met meanwhile are of revoked
     * partitions: dropped (their positions did not move). */
    int64_t deadline = sl_now_ms() + lc->timeout_ms;
    while (!e && k->parts.n > 0 && sl_now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->cons, 100);
        if (m)
            rd_kafka_message_destroy(m);
    }
    sl__k_track_clear(k);
    return e ? sl__k_fail(lc, e, "unsubscribe") : SL_OK;
}

static sl_err_t sl__k_headers(sl__lc_kafka_t *k, const rd_kafka_message_t *m, size_t *count)
{
    rd_kafka_headers_t *h = NULL;
    *count = 0;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR || !h)
        return SL_OK;
    size_t n = rd_kafka_header_cnt(h);
    if (n > k->hcap) {
        sl_lc_header_t *a = realloc(k->hdrs, n * 2 * sizeof *a);
        if (!a)
            return SL_ERR_NOMEM;
        k->hdrs = a, k->hcap = n * 2;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *v;
        size_t vlen;
        if (rd_kafka_header_get_all(h, i, &name, &v, &vlen) != RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        k->hdrs[i] = (sl_lc_header_t){{(const uint8_t *)name, strlen(name)},
                                      {v ? (const uint8_t *)v : NULL, v ? vlen : 0}};
        (*count)++;
    }
    return SL_OK;
}

/* A view of a message's key or value. librdkafka gives an empty non-null key
 * as a non-NULL pointer of length 0, like ours. */
static sl_bytes_t sl__k_view(const void *p, size_t len)
{
    return (sl_bytes_t){(const uint8_t *)p, p ? len : 0};
}

/* Seeks the partitions resumed inside a record callback. */
static void sl__k_reseek(sl__lc_kafka_t *k)
{
    k->reseek = 0;
    for (size_t i = 0; i < k->parts.cap; i++) {
        sl__lc_slot_t *s = &k->parts.slots[i];
        sl__kpart_t *p = s->topic ? s->val : NULL;
        if (p && p->reseek) {
            p->reseek = 0;
            if (p->pos >= 0 && sl__k_seek(&k->base, s->topic, s->partition, p->pos) != SL_OK)
                sl_trace(SL_TRACE_WARN, "lc-kafka", "resuming %s[%d]: %s", s->topic, (int)s->partition,
                         k->base.errstr);
        }
    }
}

static int sl__k_poll(sl_lc_t *lc, int timeout_ms, int max_records, sl_lc_record_cb *cb, void *opaque)
{
    sl__lc_kafka_t *k = SL__K(lc);
    if (k->prod)
        rd_kafka_poll(k->prod, 0); /* delivery reports */
    sl_err_t err = sl__k_consumer(k);
    if (err)
        return err;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : sl_now_ms() + timeout_ms;
    int n = 0;
    while (n < max_records) {
        if (atomic_exchange(&lc->wake, 0))
            break;
        int64_t left = n > 0 ? 0 : deadline - sl_now_ms();
        if (left < 0)
            left = 0;
        /* Slices, so that a wakeup the queue's yield missed is seen soon. */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->cons, left > 100 ? 100 : (int)left);
        if (!m) {
            if (n > 0 || sl_now_ms() >= deadline)
                break;
            continue;
        }
        if (k->fatal) {
            /* reported by the error callback: this consumer is done */
            rd_kafka_message_destroy(m);
            return sl__lc_fail(lc, k->fatal, "%s", k->fatalstr);
        }
        const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        sl__kpart_t *p = m->rkt ? sl__k_find(k, topic, m->partition) : NULL;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p) {
                p->pos = m->offset;
                p->at_end = 1;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            rd_kafka_resp_err_t e = m->err;
            sl_err_t se = sl__k_err(e);
            char what[300];
            snprintf(what, sizeof what, "%s%s%.200s", rd_kafka_err2str(e), m->rkt ? ": " : "", topic);
            rd_kafka_message_destroy(m);
            /* A subscribed topic that does not exist yet is not an error in
             * group mode: it gets partitions when it appears. */
            if (se == SL_ERR_UNKNOWN_TOPIC && k->subscribed)
                continue;
            if (se == SL_ERR_UNKNOWN_TOPIC || rd_kafka_fatal_error(k->cons, NULL, 0))
                return sl__lc_fail(lc, se, "%s", what);
            sl_trace(SL_TRACE_INFO, "lc-kafka", "consumer: %s", what);
            continue;
        }
        if (!p || p->paused) {
            rd_kafka_message_destroy(m); /* fetched before a revoke or pause */
            continue;
        }
        size_t nh = 0;
        if ((err = sl__k_headers(k, m, &nh)) != SL_OK) {
            rd_kafka_message_destroy(m);
            return sl__lc_fail(lc, err, "no memory for headers");
        }
        sl_lc_record_t rec = {sl__k_view(m->key, m->key_len), sl__k_view(m->payload, m->len),
                              rd_kafka_message_timestamp(m, NULL), k->hdrs, nh, m->offset};
        lc->in_callback = SL__LC_IN_RECORD;
        int stop = cb(opaque, topic, m->partition, &rec) != 0;
        lc->in_callback = SL__LC_IN_NONE;
        p->pos = m->offset + 1;
        p->at_end = 0;
        n++;
        rd_kafka_message_destroy(m);
        if (k->reseek)
            sl__k_reseek(k);
        if (stop)
            break;
    }
    return n;
}

static sl_err_t sl__k_position(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset, int *at_end)
{
    sl__kpart_t *p = sl__k_find(SL__K(lc), topic, partition);
    if (!p)
        return sl__lc_fail(lc, SL_ERR_STATE, "%s[%d] is not assigned", topic, (int)partition);
    *offset = p->pos;
    *at_end = p->at_end;
    return SL_OK;
}

/* ---- offsets ------------------------------------------------------------------------------------------- */

static sl_err_t sl__k_commit(sl_lc_t *lc, const sl_lc_tp_t *offsets, size_t n)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl_err_t err = sl__k_consumer(k);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, offsets[i].topic, offsets[i].partition)->offset = offsets[i].offset;
    rd_kafka_resp_err_t e = rd_kafka_commit(k->cons, l, 0 /* synchronous */);
    for (int i = 0; i < l->cnt && !e; i++)
        if (l->elems[i].err) {
            char what[300];
            snprintf(what, sizeof what, "committing %.200s[%d]", l->elems[i].topic, (int)l->elems[i].partition);
            err = sl__k_fail(lc, l->elems[i].err, what);
            break;
        }
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        err = sl__k_fail(lc, e, "commit");
    return err;
}

static sl_err_t sl__k_committed(sl_lc_t *lc, const char *topic, int32_t partition, int64_t *offset)
{
    sl__lc_kafka_t *k = SL__K(lc);
    sl_err_t err = sl__k_consumer(k);
    if (err)
        return err;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    rd_kafka_resp_err_t e = rd_kafka_committed(k->cons, l, lc->timeout_ms);
    if (!e)
        e = l->elems[0].err;
    *offset = !e && l->elems[0].offset >= 0 ? l->elems[0].offset : -1;
    rd_kafka_topic_partition_list_destroy(l);
    return e ? sl__k_fail(lc, e, "committed") : SL_OK;
}

/* ---- create, destroy ------------------------------------------------------------------------------------ */

static void sl__k_wakeup(sl_lc_t *lc)
{
    rd_kafka_queue_t *q = atomic_load(&SL__K(lc)->cq);
    if (q)
        rd_kafka_queue_yield(q);
}

static void sl__k_destroy(sl_lc_t *lc)
{
    sl__lc_kafka_t *k = SL__K(lc);
    k->closing = 1; /* the rebalance and delivery callbacks stay quiet */
    if (k->cons) {
        rd_kafka_queue_t *q = atomic_exchange(&k->cq, NULL);
        rd_kafka_consumer_close(k->cons); /* leaves the group */
        if (q)
            rd_kafka_queue_destroy(q);
        rd_kafka_destroy(k->cons);
    }
    if (k->prod) {
        /* Unflushed records are dropped, as documented. */
        rd_kafka_purge(k->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(k->prod, 0);
        rd_kafka_destroy(k->prod);
    }
    if (k->pconf)
        rd_kafka_conf_destroy(k->pconf);
    if (k->cconf)
        rd_kafka_conf_destroy(k->cconf);
    sl__k_track_clear(k);
    free(k->hdrs);
    sl__lc_fini(lc);
    free(k);
}

static const sl__lc_ops_t sl__kafka_ops = {
    .kind = "kafka",
    .destroy = sl__k_destroy,
    .partition_count = sl__k_partition_count,
    .create_topic = sl__k_create_topic,
    .delete_topic = sl__k_delete_topic,
    .watermarks = sl__k_watermarks,
    .produce = sl__k_produce,
    .flush = sl__k_flush,
    .assign = sl__k_assign,
    .seek = sl__k_seek,
    .pause = sl__k_pause,
    .subscribe = sl__k_subscribe,
    .unsubscribe = sl__k_unsubscribe,
    .poll = sl__k_poll,
    .position = sl__k_position,
    .commit = sl__k_commit,
    .committed = sl__k_committed,
    .wakeup = sl__k_wakeup,
};

sl_err_t sl_lc_new_kafka(const char *bootstrap_servers, const sl_lc_config_t *cfg, sl_lc_t **out, char *errbuf,
                         size_t errlen)
{
    char dummy[8];
    if (!errbuf || errlen == 0)
        errbuf = dummy, errlen = sizeof dummy;
    errbuf[0] = 0;
    if (!out)
        return SL_ERR_INVAL;
    *out = NULL;
    if (!bootstrap_servers || !*bootstrap_servers) {
        snprintf(errbuf, errlen, "no bootstrap servers");
        return SL_ERR_INVAL;
    }
    sl__lc_kafka_t *k = calloc(1, sizeof *k);
    if (!k)
        return SL_ERR_NOMEM;
    atomic_init(&k->cq, NULL);
    sl_err_t err = sl__lc_init(&k->base, &sl__kafka_ops, cfg);
    if (err) {
        snprintf(errbuf, errlen, "%s", sl_err_str(err));
        sl__k_destroy(&k->base);
        return err;
    }
    /* Both configurations now, so that a bad property shows here. */
    if (!(k->pconf = sl__k_conf(k, bootstrap_servers, cfg, 0, errbuf, errlen)) ||
        !(k->cconf = sl__k_conf(k, bootstrap_servers, cfg, 1, errbuf, errlen))) {
        sl__k_destroy(&k->base);
        return errbuf[0] ? SL_ERR_CONFIG : SL_ERR_NOMEM;
    }
    *out = &k->base;
    return SL_OK;
}
