/* group.c — the group coordinator: group state machines (Empty →
 * PreparingRebalance → CompletingRebalance → Stable, and Dead), held
 * JoinGroup/SyncGroup answers, session expiry, committed offsets and their
 * records in __consumer_offsets. Follows Kafka's GroupCoordinator.scala
 * (classic protocol) decision by decision; comments name where it differs. */
#include "broker/group/group.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"
#include "common/clock.h"
#include "common/trace.h"

enum { SL__EMPTY, SL__PREPARING, SL__COMPLETING, SL__STABLE, SL__DEAD };
static const char *const sl__state_names[] = {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable",
                                              "Dead"};

typedef struct sl__proto {
    char *name;
    uint8_t *meta;
    int32_t len;
} sl__proto_t;

typedef struct sl__member {
    char *id, *instance_id, *client_id, *client_host, *protocol_type;
    int32_t session_timeout, rebalance_timeout;
    int nprotos;
    sl__proto_t *protos;
    uint8_t *assignment;
    int32_t assignment_len;
    int64_t hb_deadline;
    sl_group_join_cb *join_cb;
    void *join_ctx;
    int16_t join_version;
    sl_group_sync_cb *sync_cb;
    void *sync_ctx;
    int pending_sync; /* joined this generation, no SyncGroup yet */
    struct sl__member *next;
} sl__member_t;

typedef struct sl__pending {
    char *id;
    int64_t deadline;
    struct sl__pending *next;
} sl__pending_t;

typedef struct sl__offset {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_ts;
    int64_t log_end; /* the offset after the record that wrote it: a later write wins */
    struct sl__offset *next;
} sl__offset_t;

typedef struct sl__group {
    char *id;
    int state;
    int32_t generation;
    char *protocol_type, *protocol, *leader;
    sl__member_t *members; /* in join order: the first is the default leader */
    sl__pending_t *pending; /* KIP-394 ids given out, not yet joined */
    int64_t rebalance_deadline;
    int64_t sync_deadline; /* members still pending sync are removed then; 0: none */
    int initial_delay;      /* the first rebalance of an empty group (InitialDelayedJoin) */
    int64_t initial_remaining;
    int new_member_added;
    int64_t state_ts;
    sl__offset_t *offsets;
    int inflight; /* writes (commits, the leader's sync, expiry) waiting for replication without c->mu */
    int dropped;  /* its partition was lost while writes were in flight: on c->orphans */
    struct sl__group *next;
} sl__group_t;

/* Ownership mode: what this coordinator knows of one partition of
 * __consumer_offsets. seq changes on every acquire and loss, so a load that
 * raced a loss (or a newer acquire) sees it is stale. */
enum { SL__UNOWNED, SL__LOADING, SL__OWNED };
typedef struct sl__opart {
    int state;
    int32_t epoch;
    uint64_t seq;
} sl__opart_t;

struct sl_group_coord {
    sl_group_config_t cfg;
    sl_topics_t *topics;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    pthread_cond_t quiet; /* broadcast when a group's last write in flight ends */
    sl__group_t *groups;  /* ownership mode: the groups of owned partitions only */
    sl__group_t *orphans; /* dropped groups that writes in flight still point to */
    sl_group_hooks_t hooks;
    int owned_mode;     /* started with hooks: see sl_group_hooks_t */
    sl__opart_t *parts; /* ownership mode: cfg.offsets_topic_num_partitions of them */
    uint64_t next_seq;
    int stop;
    pthread_t thread;
    int started;
    int64_t next_expiry_check;
};

static int16_t sl__code(sl_err_t e) { return (int16_t)(e ? sl_err_kafka_code(e) : 0); }

static char *sl__kdup(sl_kstr_t s)
{
    if (s.len < 0)
        return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (p) {
        if (s.len)
            memcpy(p, s.data, (size_t)s.len);
        p[s.len] = 0;
    }
    return p;
}

static char *sl__sdup(const char *s) { return s ? strdup(s) : NULL; }

static int sl__is(sl_kstr_t k, const char *s) { return s && sl_kstr_is(k, s, (int32_t)strlen(s)); }

static sl_kstr_t sl__ks(const char *s) { return sl_kstr_from(s); }

/* ---- records ------------------------------------------------------------------------ */

static void sl__put_str(sl_buf_t *b, const char *s, sl_err_t *e)
{
    size_t n = s ? strlen(s) : 0;
    if (*e)
        return;
    if (n > SL_KSTR_MAX) {
        *e = SL_ERR_INVAL;
        return;
    }
    *e = sl_buf_put_be16(b, s ? (uint16_t)n : 0xffff);
    if (!*e && n)
        *e = sl_buf_append(b, s, n);
}

static void sl__put_bytes(sl_buf_t *b, const uint8_t *p, int32_t n, sl_err_t *e)
{
    if (*e)
        return;
    *e = sl_buf_put_be32(b, (uint32_t)n);
    if (!*e && n > 0)
        *e = sl_buf_append(b, p, (size_t)n);
}

sl_err_t sl_group_offset_key(sl_buf_t *out, const char *group, const char *topic, int32_t partition)
{
    sl_err_t e = sl_buf_put_be16(out, 1);
    sl__put_str(out, group, &e);
    sl__put_str(out, topic, &e);
    if (!e)
        e = sl_buf_put_be32(out, (uint32_t)partition);
    return e;
}

sl_err_t sl_group_offset_value(sl_buf_t *out, int64_t offset, int32_t leader_epoch, const char *metadata,
                               int64_t commit_ts)
{
    sl_err_t e = sl_buf_put_be16(out, 3);
    if (!e)
        e = sl_buf_put_be64(out, (uint64_t)offset);
    if (!e)
        e = sl_buf_put_be32(out, (uint32_t)leader_epoch);
    sl__put_str(out, metadata ? metadata : "", &e);
    if (!e)
        e = sl_buf_put_be64(out, (uint64_t)commit_ts);
    return e;
}

sl_err_t sl_group_metadata_key(sl_buf_t *out, const char *group)
{
    sl_err_t e = sl_buf_put_be16(out, 2);
    sl__put_str(out, group, &e);
    return e;
}

/* GroupMetadataValue v3 (what Kafka writes since 2.3). */
static sl_err_t sl__group_value(sl_buf_t *out, const sl__group_t *g)
{
    sl_err_t e = sl_buf_put_be16(out, 3);
    sl__put_str(out, g->protocol_type ? g->protocol_type : "", &e);
    if (!e)
        e = sl_buf_put_be32(out, (uint32_t)g->generation);
    sl__put_str(out, g->protocol, &e);
    sl__put_str(out, g->leader, &e);
    if (!e)
        e = sl_buf_put_be64(out, (uint64_t)g->state_ts);
    int n = 0;
    for (sl__member_t *m = g->members; m; m = m->next)
        n++;
    if (!e)
        e = sl_buf_put_be32(out, (uint32_t)n);
    for (sl__member_t *m = g->members; m && !e; m = m->next) {
        sl__put_str(out, m->id, &e);
        sl__put_str(out, m->instance_id, &e);
        sl__put_str(out, m->client_id ? m->client_id : "", &e);
        sl__put_str(out, m->client_host ? m->client_host : "", &e);
        if (!e)
            e = sl_buf_put_be32(out, (uint32_t)m->rebalance_timeout);
        if (!e)
            e = sl_buf_put_be32(out, (uint32_t)m->session_timeout);
        const sl__proto_t *p = NULL;
        for (int i = 0; i < m->nprotos; i++)
            if (g->protocol && strcmp(m->protos[i].name, g->protocol) == 0)
                p = &m->protos[i];
        sl__put_bytes(out, p ? p->meta : NULL, p ? p->len : 0, &e);
        sl__put_bytes(out, m->assignment, m->assignment ? m->assignment_len : 0, &e);
    }
    return e;
}

/* ---- __consumer_offsets ----------------------------------------------------------------- */

static int32_t sl__java_hash(const char *s, size_t len)
{
    uint32_t h = 0;
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        uint32_t cp = *p++;
        int extra = cp >= 0xf0 ? 3 : cp >= 0xe0 ? 2 : cp >= 0xc0 ? 1 : 0;
        if (extra) {
            cp &= (uint32_t)(0x3f >> extra);
            for (int i = 0; i < extra && p < end; i++)
                cp = cp << 6 | (*p++ & 0x3f);
        }
        if (cp >= 0x10000) { /* a surrogate pair in Java's UTF-16 */
            cp -= 0x10000;
            h = 31 * h + (0xd800 + (cp >> 10));
            h = 31 * h + (0xdc00 + (cp & 0x3ff));
        } else {
            h = 31 * h + cp;
        }
    }
    return (int32_t)h;
}

int32_t sl_group_partition_for(const char *group_id, size_t len, int32_t n)
{
    int32_t h = sl__java_hash(group_id, len);
    /* Kafka's Utils.abs: Integer.MIN_VALUE maps to 0. */
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return n > 0 ? a % n : 0;
}

/* Ownership mode: the partition of __consumer_offsets that holds group gid. */
static int32_t sl__part_of(const sl_group_coord_t *c, const char *gid, size_t len)
{
    return sl_group_partition_for(gid, len, c->cfg.offsets_topic_num_partitions);
}

/* Kafka's validateGroupStatus, after the group id check: in ownership mode a
 * group of a partition being loaded is COORDINATOR_LOAD_IN_PROGRESS, of one
 * not owned NOT_COORDINATOR. Always SL_OK for the single-node coordinator.
 * With c->mu held. */
static sl_err_t sl__gate(const sl_group_coord_t *c, sl_kstr_t id)
{
    if (!c->owned_mode)
        return SL_OK;
    const sl__opart_t *p = &c->parts[sl__part_of(c, id.data ? id.data : "", id.len > 0 ? (size_t)id.len : 0)];
    if (p->state == SL__LOADING)
        return SL_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    return p->state == SL__OWNED ? SL_OK : SL_ERR_NOT_COORDINATOR;
}

/* Kafka's mapping of a failed write of __consumer_offsets to the error of the
 * request that wrote (GroupMetadataManager's storeGroup/storeOffsets). */
static sl_err_t sl__write_error(sl_err_t e)
{
    switch (e) {
    case SL_ERR_NOT_LEADER_OR_FOLLOWER:
    case SL_ERR_FENCED_LEADER_EPOCH:
        return SL_ERR_NOT_COORDINATOR;
    case SL_ERR_UNKNOWN_TOPIC:
    case SL_ERR_NOT_ENOUGH_REPLICAS:
    case SL_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case SL_ERR_LEADER_NOT_AVAILABLE:
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    default:
        return e;
    }
}

/* Records (key, value pairs; value NULL: tombstone) to write for a group. */
typedef struct sl__rec {
    sl_buf_t key, value;
    int tombstone;
} sl__rec_t;

/* A write that failed, as the request that wrote answers it. */
static sl_err_t sl__write_failed(sl_group_coord_t *c, const char *gid, int32_t part, sl_err_t e)
{
    sl_trace(c->owned_mode ? SL_TRACE_WARN : SL_TRACE_ERROR, "group", "writing group %s to %s-%d: %s", gid,
             SL_GROUP_OFFSETS_TOPIC, part, sl_err_str(e));
    if (c->owned_mode)
        return sl__write_error(e);
    return e == SL_ERR_RECORD_TOO_LARGE ? e : SL_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* Appends records for group gid as one batch: to the local log (single-node;
 * the topic is created on first write) or through the append hook (ownership
 * mode), without waiting for replication (sl__append_wait). *part and *end
 * get the partition and the offset after the batch. With c->mu held, so that
 * the log's order of a group's records is the order they were made in. */
static sl_err_t sl__append_start(sl_group_coord_t *c, const char *gid, sl__rec_t *recs, int n, int32_t *part,
                                 int64_t *end)
{
    *part = -1;
    *end = 0;
    if (n == 0)
        return SL_OK;
    sl_topic_part_t *tp = NULL;
    if (c->owned_mode) {
        *part = sl__part_of(c, gid, strlen(gid));
        if (c->parts[*part].state != SL__OWNED)
            return SL_ERR_NOT_COORDINATOR;
    } else {
        sl_topic_info_t info;
        if (!sl_topics_get(c->topics, SL_GROUP_OFFSETS_TOPIC, &info)) {
            static const char *const keys[] = {"cleanup.policy", "segment.bytes"};
            static const char *const vals[] = {"compact", "104857600"};
            char err[256];
            sl_err_t e = sl_topics_create(c->topics, SL_GROUP_OFFSETS_TOPIC, c->cfg.offsets_topic_num_partitions,
                                          keys, vals, 2, 0, NULL, err, sizeof err);
            if (e && e != SL_ERR_TOPIC_EXISTS) {
                sl_trace(SL_TRACE_ERROR, "group", "creating %s: %s", SL_GROUP_OFFSETS_TOPIC, err);
                return SL_ERR_COORDINATOR_NOT_AVAILABLE;
            }
            if (!sl_topics_get(c->topics, SL_GROUP_OFFSETS_TOPIC, &info))
                return SL_ERR_COORDINATOR_NOT_AVAILABLE;
        }
        *part = sl_group_partition_for(gid, strlen(gid), info.partitions);
        tp = sl_topics_acquire(c->topics, SL_GROUP_OFFSETS_TOPIC, *part);
        if (!tp)
            return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    sl_batch_opts_t opts = sl_batch_opts_default();
    sl_batch_builder_t bb;
    sl_batch_builder_init(&bb, &opts);
    sl_err_t e = SL_OK;
    int64_t now = sl_now_ms();
    for (int i = 0; i < n && !e; i++)
        e = sl_batch_builder_add(&bb, -1, now, recs[i].key.data, (int32_t)recs[i].key.len,
                                 recs[i].tombstone ? NULL : recs[i].value.data,
                                 recs[i].tombstone ? -1 : (int32_t)recs[i].value.len, NULL, 0);
    sl_buf_t out = SL_BUF_INIT;
    if (!e)
        e = sl_batch_builder_finish(&bb, &out);
    sl_batch_builder_destroy(&bb);
    if (!e && c->owned_mode) {
        e = c->hooks.append(c->hooks.opaque, *part, c->parts[*part].epoch, out.data, out.len, end);
    } else if (!e) {
        sl_log_append_info_t info;
        pthread_mutex_t *mu = sl_topic_part_produce_lock(tp);
        pthread_mutex_lock(mu);
        e = sl_log_append(sl_topic_part_log(tp), out.data, out.len, 0, 0, &info);
        pthread_mutex_unlock(mu);
        if (!e)
            *end = info.last_offset + 1;
    }
    sl_buf_free(&out);
    if (tp)
        sl_topics_release(c->topics, tp);
    return e ? sl__write_failed(c, gid, *part, e) : SL_OK;
}

/* Waits until a write sl__append_start made is committed (ownership mode with
 * a wait hook; otherwise it already is). With or without c->mu held. */
static sl_err_t sl__append_wait(sl_group_coord_t *c, const char *gid, int32_t part, int64_t end)
{
    if (!c->owned_mode || !c->hooks.wait || part < 0)
        return SL_OK;
    sl_err_t e = c->hooks.wait(c->hooks.opaque, part, end);
    return e ? sl__write_failed(c, gid, part, e) : SL_OK;
}

/* Writes records for group gid and waits until they are committed, with c->mu
 * held throughout — in ownership mode that includes the wait for the in-sync
 * replicas, which stalls every group meanwhile (the known limit in
 * sl_group_hooks_t; offset commits, the leader's sync and expiry wait
 * without it). */
static sl_err_t sl__append(sl_group_coord_t *c, const char *gid, sl__rec_t *recs, int n)
{
    int32_t part;
    int64_t end;
    sl_err_t e = sl__append_start(c, gid, recs, n, &part, &end);
    return e ? e : sl__append_wait(c, gid, part, end);
}

static void sl__recs_free(sl__rec_t *r, int n)
{
    for (int i = 0; i < n; i++) {
        sl_buf_free(&r[i].key);
        sl_buf_free(&r[i].value);
    }
    free(r);
}

/* ---- groups and members ------------------------------------------------------------------- */

/* The group lists: c->groups, or the list a partition's load builds. */
static sl__group_t *sl__list_find(sl__group_t *head, sl_kstr_t id)
{
    for (sl__group_t *g = head; g; g = g->next)
        if (sl__is(id, g->id))
            return g;
    return NULL;
}

static sl__group_t *sl__list_add(sl__group_t **head, sl_kstr_t id)
{
    sl__group_t *g = calloc(1, sizeof *g);
    if (!g || !(g->id = sl__kdup(id))) {
        free(g);
        return NULL;
    }
    g->state = SL__EMPTY;
    g->state_ts = sl_now_ms();
    g->next = *head;
    *head = g;
    return g;
}

static sl__group_t *sl__group_find(sl_group_coord_t *c, sl_kstr_t id) { return sl__list_find(c->groups, id); }

static sl__group_t *sl__group_add(sl_group_coord_t *c, sl_kstr_t id) { return sl__list_add(&c->groups, id); }

/* The group named id once it has no write in flight (waiting for
 * them, c->mu held): what removes offsets must come after them in the log
 * and in the cache. NULL with *ge set when this coordinator does not serve
 * the group (sl__gate, checked again after each wait), NULL with *ge SL_OK
 * when there is no such group. */
static sl__group_t *sl__group_quiet(sl_group_coord_t *c, sl_kstr_t id, sl_err_t *ge)
{
    for (;;) {
        if ((*ge = sl__gate(c, id)) != SL_OK)
            return NULL;
        sl__group_t *g = sl__group_find(c, id);
        if (!g || g->inflight == 0)
            return g;
        pthread_cond_wait(&c->quiet, &c->mu);
    }
}


static void sl__member_free(sl__member_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nprotos; i++) {
        free(m->protos[i].name);
        free(m->protos[i].meta);
    }
    free(m->protos);
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->protocol_type);
    free(m->assignment);
    free(m);
}

static void sl__offsets_free(sl__offset_t *o)
{
    while (o) {
        sl__offset_t *n = o->next;
        free(o->topic);
        free(o->metadata);
        free(o);
        o = n;
    }
}

static void sl__group_free(sl__group_t *g)
{
    while (g->members) {
        sl__member_t *m = g->members;
        g->members = m->next;
        sl__member_free(m);
    }
    while (g->pending) {
        sl__pending_t *p = g->pending;
        g->pending = p->next;
        free(p->id);
        free(p);
    }
    sl__offsets_free(g->offsets);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol);
    free(g->leader);
    free(g);
}

static void sl__list_unlink(sl__group_t **head, sl__group_t *g)
{
    for (sl__group_t **pp = head; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            break;
        }
    sl__group_free(g);
}

static void sl__group_unlink(sl_group_coord_t *c, sl__group_t *g) { sl__list_unlink(&c->groups, g); }

/* Waits for a write of g's that sl__append_start made, without c->mu (held
 * on entry and on return): other groups, and g's heartbeats, are served
 * meanwhile. g stays allocated while it has writes in flight; if its
 * partition was lost meanwhile (sl__drop_partition) *gone is set and g must
 * not be touched again — whoever leads the partition now loads the write
 * from the log, if it got there. */
/* Ends one of g's writes in flight (c->mu held): the last one wakes
 * sl__group_quiet's waiters, and frees g if its partition was lost
 * meanwhile. Returns 1 when g was dropped: not to be touched again. */
static int sl__write_done(sl_group_coord_t *c, sl__group_t *g)
{
    if (--g->inflight == 0)
        pthread_cond_broadcast(&c->quiet);
    if (!g->dropped)
        return 0;
    if (g->inflight == 0)
        sl__list_unlink(&c->orphans, g);
    return 1;
}

static sl_err_t sl__append_wait_unlocked(sl_group_coord_t *c, sl__group_t *g, int32_t part, int64_t end, int *gone)
{
    *gone = 0;
    if (!c->owned_mode || !c->hooks.wait)
        return SL_OK;
    g->inflight++;
    pthread_mutex_unlock(&c->mu);
    sl_err_t e = sl__append_wait(c, g->id, part, end);
    pthread_mutex_lock(&c->mu);
    *gone = sl__write_done(c, g);
    return e;
}

static sl__member_t *sl__member_find(sl__group_t *g, sl_kstr_t id)
{
    for (sl__member_t *m = g->members; m; m = m->next)
        if (sl__is(id, m->id))
            return m;
    return NULL;
}

static sl__member_t *sl__member_by_instance(sl__group_t *g, sl_kstr_t iid)
{
    if (iid.len < 0)
        return NULL;
    for (sl__member_t *m = g->members; m; m = m->next)
        if (m->instance_id && sl__is(iid, m->instance_id))
            return m;
    return NULL;
}

static int sl__nmembers(const sl__group_t *g)
{
    int n = 0;
    for (sl__member_t *m = g->members; m; m = m->next)
        n++;
    return n;
}

static void sl__set_state(sl__group_t *g, int s)
{
    g->state = s;
    g->state_ts = sl_now_ms();
}

/* Kafka's validateCurrentMember: a static member fenced by a newer one, or an unknown id. */
static sl_err_t sl__validate_member(sl__group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id)
{
    sl__member_t *s = sl__member_by_instance(g, instance_id);
    if (s && !sl__is(member_id, s->id))
        return SL_ERR_FENCED_INSTANCE_ID;
    if (!sl__member_find(g, member_id))
        return SL_ERR_UNKNOWN_MEMBER_ID;
    return SL_OK;
}

static const sl__proto_t *sl__member_proto(const sl__member_t *m, const char *name)
{
    for (int i = 0; name && i < m->nprotos; i++)
        if (strcmp(m->protos[i].name, name) == 0)
            return &m->protos[i];
    return NULL;
}

/* ---- answering held requests ---------------------------------------------------------------- */

static void sl__join_error(sl_group_join_cb *cb, void *ctx, sl_err_t err, const char *member_id)
{
    sl_kmsg_join_group_response_t r;
    sl_kmsg_join_group_response_init(&r);
    r.error_code = sl__code(err);
    r.generation_id = -1;
    r.protocol_name = SL_KSTR_NULL;
    r.leader = SL_KSTR("");
    r.member_id = member_id ? sl__ks(member_id) : SL_KSTR("");
    r.members = (sl_kmsg_join_group_response_join_group_response_member_array_t){NULL, 0};
    cb(ctx, &r);
}

static void sl__sync_answer(sl_group_sync_cb *cb, void *ctx, sl_err_t err, const sl__group_t *g,
                            const sl__member_t *m)
{
    sl_kmsg_sync_group_response_t r;
    sl_kmsg_sync_group_response_init(&r);
    r.error_code = sl__code(err);
    r.assignment = (sl_kbytes_t){(const uint8_t *)"", 0};
    if (!err && g) {
        r.protocol_type = sl__ks(g->protocol_type);
        r.protocol_name = sl__ks(g->protocol);
        if (m && m->assignment)
            r.assignment = (sl_kbytes_t){m->assignment, m->assignment_len};
    }
    cb(ctx, &r);
}

/* Answers member m's held join with the group's current generation. */
static void sl__join_answer(sl__group_t *g, sl__member_t *m, sl_group_join_cb *cb, void *ctx, int16_t version,
                            int with_members, int skip_assignment)
{
    sl_kmsg_join_group_response_t r;
    sl_kmsg_join_group_response_init(&r);
    r.generation_id = g->generation;
    r.protocol_type = sl__ks(g->protocol_type);
    r.protocol_name = sl__ks(g->protocol);
    r.leader = sl__ks(g->leader ? g->leader : "");
    r.member_id = sl__ks(m->id);
    r.skip_assignment = (uint8_t)skip_assignment;
    r.members = (sl_kmsg_join_group_response_join_group_response_member_array_t){NULL, 0};
    sl_kmsg_join_group_response_join_group_response_member_t *items = NULL;
    if (with_members) {
        int n = sl__nmembers(g);
        items = calloc((size_t)n + 1, sizeof *items);
        if (!items) {
            sl__join_error(cb, ctx, SL_ERR_NOMEM, m->id);
            return;
        }
        int i = 0;
        for (sl__member_t *x = g->members; x; x = x->next, i++) {
            const sl__proto_t *p = sl__member_proto(x, g->protocol);
            items[i].member_id = sl__ks(x->id);
            items[i].group_instance_id = sl__ks(x->instance_id);
            items[i].metadata = p ? (sl_kbytes_t){p->meta, p->len} : (sl_kbytes_t){(const uint8_t *)"", 0};
        }
        r.members.items = items;
        r.members.count = n;
    }
    (void)version;
    cb(ctx, &r);
    free(items);
}

/* Answers every held sync with err (a new rebalance) and drops the assignments:
 * Kafka's resetAndPropagateAssignmentError. */
static void sl__reset_syncs(sl__group_t *g, sl_err_t err)
{
    for (sl__member_t *m = g->members; m; m = m->next) {
        if (m->sync_cb) {
            sl_group_sync_cb *cb = m->sync_cb;
            m->sync_cb = NULL;
            sl__sync_answer(cb, m->sync_ctx, err, g, m);
        }
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
    }
}

/* ---- the rebalance ------------------------------------------------------------------------------ */

static void sl__try_complete_join(sl_group_coord_t *c, sl__group_t *g, int64_t now);

static void sl__prepare_rebalance(sl_group_coord_t *c, sl__group_t *g, int64_t now)
{
    if (g->state == SL__COMPLETING)
        sl__reset_syncs(g, SL_ERR_REBALANCE_IN_PROGRESS);
    int32_t max_rt = 0;
    for (sl__member_t *m = g->members; m; m = m->next) {
        m->pending_sync = 0;
        if (m->rebalance_timeout > max_rt)
            max_rt = m->rebalance_timeout;
    }
    g->sync_deadline = 0;
    if (g->state == SL__EMPTY) {
        /* InitialDelayedJoin: wait group.initial.rebalance.delay.ms, and again
         * while members keep arriving, up to the rebalance timeout. */
        int64_t d = c->cfg.initial_rebalance_delay_ms;
        if (d > max_rt)
            d = max_rt;
        g->initial_delay = 1;
        g->initial_remaining = max_rt - d;
        g->new_member_added = 0;
        g->rebalance_deadline = now + d;
    } else {
        g->initial_delay = 0;
        g->rebalance_deadline = now + max_rt;
    }
    sl__set_state(g, SL__PREPARING);
    (void)c;
}

static void sl__remove_member(sl__group_t *g, sl__member_t *m, sl_err_t err)
{
    for (sl__member_t **pp = &g->members; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    if (m->join_cb)
        sl__join_error(m->join_cb, m->join_ctx, err, m->id);
    if (m->sync_cb)
        sl__sync_answer(m->sync_cb, m->sync_ctx, err, NULL, NULL);
    if (g->leader && strcmp(g->leader, m->id) == 0) {
        free(g->leader);
        g->leader = g->members ? strdup(g->members->id) : NULL;
    }
    sl__member_free(m);
}

/* Kafka's removeMemberAndUpdateGroup. */
static void sl__remove_and_update(sl_group_coord_t *c, sl__group_t *g, sl__member_t *m, int64_t now)
{
    sl__remove_member(g, m, SL_ERR_UNKNOWN_MEMBER_ID);
    if (g->state == SL__STABLE || g->state == SL__COMPLETING)
        sl__prepare_rebalance(c, g, now);
    /* As Kafka's DelayedJoin: complete at once when everyone left has rejoined. */
    sl__try_complete_join(c, g, now);
}

/* The protocol every member supports that most members rank first among those. */
static char *sl__select_protocol(sl__group_t *g)
{
    sl__member_t *first = g->members;
    if (!first)
        return NULL;
    int n = first->nprotos, best = -1, best_votes = -1;
    int *votes = calloc((size_t)n + 1, sizeof *votes);
    if (!votes)
        return NULL;
    for (sl__member_t *m = g->members; m; m = m->next) {
        /* Each member votes for its most preferred candidate. */
        for (int i = 0; i < m->nprotos; i++) {
            int cand = -1;
            for (int j = 0; j < n; j++)
                if (strcmp(first->protos[j].name, m->protos[i].name) == 0)
                    cand = j;
            if (cand < 0)
                continue;
            int all = 1;
            for (sl__member_t *x = g->members; x && all; x = x->next)
                all = sl__member_proto(x, first->protos[cand].name) != NULL;
            if (all) {
                votes[cand]++;
                break;
            }
        }
    }
    for (int j = 0; j < n; j++)
        if (votes[j] > best_votes)
            best_votes = votes[j], best = j;
    free(votes);
    return best >= 0 && best_votes > 0 ? strdup(first->protos[best].name) : NULL;
}

/* Writes the group's metadata record (after each generation). */
/* Writes g's metadata record (sl__append_start: not waited for). */
static sl_err_t sl__store_group_start(sl_group_coord_t *c, sl__group_t *g, int32_t *part, int64_t *end)
{
    sl__rec_t r = {SL_BUF_INIT, SL_BUF_INIT, 0};
    sl_err_t e = sl_group_metadata_key(&r.key, g->id);
    if (!e)
        e = sl__group_value(&r.value, g);
    if (!e)
        e = sl__append_start(c, g->id, &r, 1, part, end);
    sl_buf_free(&r.key);
    sl_buf_free(&r.value);
    return e;
}

/* Writes g's metadata record and waits for it with c->mu held. */
static sl_err_t sl__store_group(sl_group_coord_t *c, sl__group_t *g)
{
    int32_t part;
    int64_t end;
    sl_err_t e = sl__store_group_start(c, g, &part, &end);
    return e ? e : sl__append_wait(c, g->id, part, end);
}

/* Kafka's onCompleteJoin: drops members that did not rejoin, starts the next
 * generation and answers every held join. */
static void sl__complete_join(sl_group_coord_t *c, sl__group_t *g, int64_t now)
{
    for (sl__member_t *m = g->members, *next; m; m = next) {
        next = m->next;
        if (!m->join_cb)
            sl__remove_member(g, m, SL_ERR_UNKNOWN_MEMBER_ID);
    }
    g->generation++;
    free(g->protocol);
    g->protocol = NULL;
    g->initial_delay = 0;
    if (!g->members) {
        sl__set_state(g, SL__EMPTY);
        sl__store_group(c, g);
        return;
    }
    g->protocol = sl__select_protocol(g);
    if (!g->leader)
        g->leader = strdup(g->members->id);
    sl__set_state(g, SL__COMPLETING);
    /* Kafka's pending sync: a member that has not sent its
     * SyncGroup within the rebalance timeout is removed, so that a member
     * which joined but never took its assignment does not hold partitions. */
    int32_t max_rt = 0;
    for (sl__member_t *m = g->members; m; m = m->next) {
        m->pending_sync = 1;
        if (m->rebalance_timeout > max_rt)
            max_rt = m->rebalance_timeout;
    }
    g->sync_deadline = now + max_rt;
    for (sl__member_t *m = g->members; m; m = m->next) {
        sl_group_join_cb *cb = m->join_cb;
        m->join_cb = NULL;
        m->hb_deadline = now + m->session_timeout;
        int leader = g->leader && strcmp(g->leader, m->id) == 0;
        sl__join_answer(g, m, cb, m->join_ctx, m->join_version, leader, 0);
    }
}

static void sl__try_complete_join(sl_group_coord_t *c, sl__group_t *g, int64_t now)
{
    if (g->state != SL__PREPARING)
        return;
    if (g->initial_delay) {
        if (now < g->rebalance_deadline)
            return;
        if (g->new_member_added && g->initial_remaining > 0) {
            int64_t d = c->cfg.initial_rebalance_delay_ms;
            if (d > g->initial_remaining)
                d = g->initial_remaining;
            g->initial_remaining -= d;
            g->new_member_added = 0;
            g->rebalance_deadline = now + d;
            return;
        }
        sl__complete_join(c, g, now);
        return;
    }
    int all = g->pending == NULL;
    for (sl__member_t *m = g->members; m && all; m = m->next)
        all = m->join_cb != NULL;
    if (all || now >= g->rebalance_deadline)
        sl__complete_join(c, g, now);
}

/* ---- JoinGroup ------------------------------------------------------------------------------------ */

static void sl__uuid(char out[37])
{
    uint8_t u[16];
    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u)
        for (int i = 0; i < 16; i++)
            u[i] = (uint8_t)rand();
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
             u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Kafka's supportsProtocols: an empty group takes any non-empty type and list;
 * otherwise the type must match and one protocol be supported by everyone. */
static int sl__supports(const sl__group_t *g, const sl_kmsg_join_group_request_t *req)
{
    if (!g->members)
        return req->protocol_type.len > 0 && req->protocols.count > 0;
    if (!sl__is(req->protocol_type, g->protocol_type))
        return 0;
    for (int i = 0; i < req->protocols.count; i++) {
        int all = 1;
        for (sl__member_t *m = g->members; m && all; m = m->next) {
            int has = 0;
            for (int j = 0; j < m->nprotos && !has; j++)
                has = sl__is(req->protocols.items[i].name, m->protos[j].name);
            all = has;
        }
        if (all)
            return 1;
    }
    return 0;
}

static sl_err_t sl__set_protocols(sl__member_t *m, const sl_kmsg_join_group_request_t *req)
{
    int n = req->protocols.count > 0 ? req->protocols.count : 0;
    sl__proto_t *p = calloc((size_t)n + 1, sizeof *p);
    if (!p)
        return SL_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        p[i].name = sl__kdup(req->protocols.items[i].name);
        int32_t len = req->protocols.items[i].metadata.len > 0 ? req->protocols.items[i].metadata.len : 0;
        p[i].meta = malloc((size_t)len + 1);
        if (!p[i].name || !p[i].meta) {
            for (int j = 0; j <= i; j++)
                free(p[j].name), free(p[j].meta);
            free(p);
            return SL_ERR_NOMEM;
        }
        if (len)
            memcpy(p[i].meta, req->protocols.items[i].metadata.data, (size_t)len);
        p[i].len = len;
    }
    for (int i = 0; i < m->nprotos; i++)
        free(m->protos[i].name), free(m->protos[i].meta);
    free(m->protos);
    m->protos = p;
    m->nprotos = n;
    return SL_OK;
}

static int sl__same_protocols(const sl__member_t *m, const sl_kmsg_join_group_request_t *req)
{
    if (m->nprotos != req->protocols.count)
        return 0;
    for (int i = 0; i < m->nprotos; i++) {
        const sl_kmsg_join_group_request_join_group_request_protocol_t *p = &req->protocols.items[i];
        if (!sl__is(p->name, m->protos[i].name) || p->metadata.len != m->protos[i].len ||
            (p->metadata.len > 0 && memcmp(p->metadata.data, m->protos[i].meta, (size_t)p->metadata.len) != 0))
            return 0;
    }
    return 1;
}

/* Updates a member's join request and holds the answer: Kafka's
 * updateMemberAndRebalance (and the tail of addMemberAndRebalance). */
static void sl__hold_join(sl_group_coord_t *c, sl__group_t *g, sl__member_t *m, int16_t version,
                          const sl_kmsg_join_group_request_t *req, sl_group_join_cb *cb, void *ctx, int64_t now)
{
    if (m->join_cb) /* an older join of the same member: superseded */
        sl__join_error(m->join_cb, m->join_ctx, SL_ERR_REBALANCE_IN_PROGRESS, m->id);
    sl__set_protocols(m, req);
    m->session_timeout = req->session_timeout_ms;
    m->rebalance_timeout = version >= 1 && req->rebalance_timeout_ms > 0 ? req->rebalance_timeout_ms
                                                                          : req->session_timeout_ms;
    m->join_cb = cb;
    m->join_ctx = ctx;
    m->join_version = version;
    if (g->state == SL__STABLE || g->state == SL__COMPLETING || g->state == SL__EMPTY)
        sl__prepare_rebalance(c, g, now);
    sl__try_complete_join(c, g, now);
}

static void sl__add_member(sl_group_coord_t *c, sl__group_t *g, const char *id, int16_t version,
                           const sl_kmsg_join_group_request_t *req, const char *client_id,
                           const char *client_host, sl_group_join_cb *cb, void *ctx, int64_t now)
{
    sl__member_t *m = calloc(1, sizeof *m);
    if (!m || !(m->id = strdup(id))) {
        free(m);
        sl__join_error(cb, ctx, SL_ERR_NOMEM, NULL);
        return;
    }
    m->instance_id = sl__kdup(req->group_instance_id);
    m->client_id = sl__sdup(client_id ? client_id : "");
    m->client_host = sl__sdup(client_host ? client_host : "");
    m->protocol_type = sl__kdup(req->protocol_type);
    if (!g->members) { /* the first member sets the group's protocol type */
        free(g->protocol_type);
        g->protocol_type = sl__kdup(req->protocol_type);
    }
    m->hb_deadline = now + req->session_timeout_ms;
    sl__member_t **tail = &g->members;
    while (*tail)
        tail = &(*tail)->next;
    *tail = m;
    if (!g->leader)
        g->leader = strdup(m->id);
    g->new_member_added = 1;
    sl__hold_join(c, g, m, version, req, cb, ctx, now);
}

static int sl__take_pending(sl__group_t *g, sl_kstr_t id)
{
    for (sl__pending_t **pp = &g->pending; *pp; pp = &(*pp)->next)
        if (sl__is(id, (*pp)->id)) {
            sl__pending_t *p = *pp;
            *pp = p->next;
            free(p->id);
            free(p);
            return 1;
        }
    return 0;
}

void sl_group_join(sl_group_coord_t *c, int16_t version, const sl_kmsg_join_group_request_t *req,
                   const char *client_id, const char *client_host, sl_group_join_cb *cb, void *ctx)
{
    if (req->group_id.len <= 0) {
        sl__join_error(cb, ctx, SL_ERR_INVALID_GROUP_ID, NULL);
        return;
    }
    int64_t now = sl_now_ms();
    pthread_mutex_lock(&c->mu);
    sl_err_t ge = sl__gate(c, req->group_id);
    if (!ge && (req->session_timeout_ms < c->cfg.min_session_timeout_ms ||
                req->session_timeout_ms > c->cfg.max_session_timeout_ms))
        ge = SL_ERR_INVALID_SESSION_TIMEOUT;
    if (ge) {
        sl__join_error(cb, ctx, ge, NULL);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    sl__group_t *g = sl__group_find(c, req->group_id);
    int unknown = req->member_id.len <= 0;
    if (!g) {
        if (!unknown) {
            pthread_mutex_unlock(&c->mu);
            sl__join_error(cb, ctx, SL_ERR_UNKNOWN_MEMBER_ID, NULL);
            return;
        }
        g = sl__group_add(c, req->group_id);
        if (!g) {
            pthread_mutex_unlock(&c->mu);
            sl__join_error(cb, ctx, SL_ERR_NOMEM, NULL);
            return;
        }
    }
    char *cid = sl__kdup(req->member_id);
    if (g->state == SL__DEAD) {
        sl__join_error(cb, ctx, SL_ERR_COORDINATOR_NOT_AVAILABLE, cid);
    } else if (!sl__supports(g, req)) {
        sl__join_error(cb, ctx, SL_ERR_INCONSISTENT_GROUP_PROTOCOL, cid);
    } else if (unknown) {
        char id[400], uuid[37];
        sl__uuid(uuid);
        snprintf(id, sizeof id, "%.300s-%s", client_id ? client_id : "", uuid);
        sl__member_t *old = sl__member_by_instance(g, req->group_instance_id);
        if (old) {
            /* A static member back with a new id: the old one is fenced. */
            if (old->join_cb) {
                sl__join_error(old->join_cb, old->join_ctx, SL_ERR_FENCED_INSTANCE_ID, old->id);
                old->join_cb = NULL;
            }
            if (old->sync_cb) {
                sl__sync_answer(old->sync_cb, old->sync_ctx, SL_ERR_FENCED_INSTANCE_ID, NULL, NULL);
                old->sync_cb = NULL;
            }
            int was_leader = g->leader && strcmp(g->leader, old->id) == 0;
            char *nid = strdup(id);
            if (nid) {
                free(old->id);
                old->id = nid;
                if (was_leader) {
                    free(g->leader);
                    g->leader = strdup(nid);
                }
            }
            old->hb_deadline = now + req->session_timeout_ms;
            if (g->state == SL__STABLE && sl__same_protocols(old, req) && (!was_leader || version >= 9)) {
                /* Nothing changed: no rebalance; the member keeps its assignment
                 * (a leader on v9+ is told to skip the assignment). */
                sl__join_answer(g, old, cb, ctx, version, was_leader, was_leader);
            } else {
                sl__hold_join(c, g, old, version, req, cb, ctx, now);
            }
        } else if (req->group_instance_id.len < 0 && version >= 4) {
            /* KIP-394: the id is given out first; the member joins with it. */
            sl__pending_t *p = calloc(1, sizeof *p);
            if (p && (p->id = strdup(id))) {
                p->deadline = now + req->session_timeout_ms;
                p->next = g->pending;
                g->pending = p;
                sl__join_error(cb, ctx, SL_ERR_MEMBER_ID_REQUIRED, id);
            } else {
                free(p);
                sl__join_error(cb, ctx, SL_ERR_NOMEM, NULL);
            }
        } else {
            sl__add_member(c, g, id, version, req, client_id, client_host, cb, ctx, now);
        }
    } else if (req->group_instance_id.len < 0 && sl__take_pending(g, req->member_id)) {
        sl__add_member(c, g, cid, version, req, client_id, client_host, cb, ctx, now);
    } else {
        sl_err_t e = sl__validate_member(g, req->member_id, req->group_instance_id);
        sl__member_t *m = e ? NULL : sl__member_find(g, req->member_id);
        if (e) {
            sl__join_error(cb, ctx, e, cid);
        } else if (g->state == SL__PREPARING) {
            sl__hold_join(c, g, m, version, req, cb, ctx, now);
        } else if (g->state == SL__COMPLETING) {
            if (sl__same_protocols(m, req)) {
                /* The member missed the join answer: give it again. */
                int leader = g->leader && strcmp(g->leader, m->id) == 0;
                sl__join_answer(g, m, cb, ctx, version, leader, 0);
            } else {
                sl__hold_join(c, g, m, version, req, cb, ctx, now);
            }
        } else if (g->state == SL__STABLE) {
            int leader = g->leader && strcmp(g->leader, m->id) == 0;
            if (leader || !sl__same_protocols(m, req)) {
                sl__hold_join(c, g, m, version, req, cb, ctx, now);
            } else {
                m->hb_deadline = now + m->session_timeout;
                sl__join_answer(g, m, cb, ctx, version, 0, 0);
            }
        } else {
            sl__join_error(cb, ctx, SL_ERR_UNKNOWN_MEMBER_ID, cid);
        }
    }
    free(cid);
    pthread_mutex_unlock(&c->mu);
}

/* ---- SyncGroup, Heartbeat, LeaveGroup ------------------------------------------------------------ */

void sl_group_sync(sl_group_coord_t *c, int16_t version, const sl_kmsg_sync_group_request_t *req,
                   sl_group_sync_cb *cb, void *ctx)
{
    (void)version;
    if (req->group_id.len <= 0) {
        sl__sync_answer(cb, ctx, SL_ERR_INVALID_GROUP_ID, NULL, NULL);
        return;
    }
    int64_t now = sl_now_ms();
    pthread_mutex_lock(&c->mu);
    sl__group_t *g = sl__group_find(c, req->group_id);
    sl_err_t e = sl__gate(c, req->group_id);
    sl__member_t *m = NULL;
    if (e)
        ;
    else if (!g)
        e = SL_ERR_UNKNOWN_MEMBER_ID;
    else if (g->state == SL__DEAD)
        e = SL_ERR_COORDINATOR_NOT_AVAILABLE;
    else if ((e = sl__validate_member(g, req->member_id, req->group_instance_id)) != SL_OK)
        ;
    else if (req->generation_id != g->generation)
        e = SL_ERR_ILLEGAL_GENERATION;
    else if ((req->protocol_type.len >= 0 && !sl__is(req->protocol_type, g->protocol_type)) ||
             (req->protocol_name.len >= 0 && !sl__is(req->protocol_name, g->protocol)))
        e = SL_ERR_INCONSISTENT_GROUP_PROTOCOL;
    else if (g->state == SL__EMPTY)
        e = SL_ERR_UNKNOWN_MEMBER_ID;
    else if (g->state == SL__PREPARING)
        e = SL_ERR_REBALANCE_IN_PROGRESS;
    if (e) {
        sl__sync_answer(cb, ctx, e, NULL, NULL);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    m = sl__member_find(g, req->member_id);
    m->hb_deadline = now + m->session_timeout;
    m->pending_sync = 0;
    if (g->state == SL__STABLE) {
        sl__sync_answer(cb, ctx, SL_OK, g, m);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    /* CompletingRebalance: hold until the leader's assignment arrives. */
    if (m->sync_cb)
        sl__sync_answer(m->sync_cb, m->sync_ctx, SL_ERR_REBALANCE_IN_PROGRESS, NULL, NULL);
    m->sync_cb = cb;
    m->sync_ctx = ctx;
    if (g->leader && strcmp(g->leader, m->id) == 0) {
        for (sl__member_t *x = g->members; x; x = x->next) {
            free(x->assignment);
            x->assignment = NULL;
            x->assignment_len = 0;
            for (int i = 0; i < req->assignments.count; i++) {
                const sl_kmsg_sync_group_request_sync_group_request_assignment_t *a = &req->assignments.items[i];
                if (!sl__is(a->member_id, x->id))
                    continue;
                int32_t len = a->assignment.len > 0 ? a->assignment.len : 0;
                x->assignment = malloc((size_t)len + 1);
                if (x->assignment) {
                    if (len)
                        memcpy(x->assignment, a->assignment.data, (size_t)len);
                    x->assignment_len = len;
                }
            }
        }
        /* Stored like an offset commit: the wait without the lock, then the
         * generation completes only if nothing moved it on meanwhile (Kafka's
         * storeGroup callback checks the same). */
        int32_t gen = g->generation, part;
        int64_t end;
        sl_err_t se = sl__store_group_start(c, g, &part, &end);
        int gone = 0;
        if (!se)
            se = sl__append_wait_unlocked(c, g, part, end, &gone);
        if (gone || g->generation != gen || g->state != SL__COMPLETING) {
            ; /* lost, or a new rebalance answered the held syncs */
        } else if (se) {
            sl__reset_syncs(g, se);
            sl__prepare_rebalance(c, g, sl_now_ms());
        } else {
            sl__set_state(g, SL__STABLE);
            for (sl__member_t *x = g->members; x; x = x->next)
                if (x->sync_cb) {
                    sl_group_sync_cb *xcb = x->sync_cb;
                    x->sync_cb = NULL;
                    sl__sync_answer(xcb, x->sync_ctx, SL_OK, g, x);
                }
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void sl_group_heartbeat(sl_group_coord_t *c, const sl_kmsg_heartbeat_request_t *req,
                        sl_kmsg_heartbeat_response_t *resp)
{
    if (req->group_id.len <= 0) {
        resp->error_code = sl__code(SL_ERR_INVALID_GROUP_ID);
        return;
    }
    pthread_mutex_lock(&c->mu);
    sl__group_t *g = sl__group_find(c, req->group_id);
    sl_err_t e = sl__gate(c, req->group_id);
    if (e)
        ;
    else if (!g)
        e = SL_ERR_UNKNOWN_MEMBER_ID;
    else if (g->state == SL__DEAD)
        e = SL_ERR_COORDINATOR_NOT_AVAILABLE;
    else if ((e = sl__validate_member(g, req->member_id, req->group_instance_id)) != SL_OK)
        ;
    else if (req->generation_id != g->generation)
        e = SL_ERR_ILLEGAL_GENERATION;
    else if (g->state == SL__EMPTY)
        e = SL_ERR_UNKNOWN_MEMBER_ID;
    if (!e) {
        sl__member_t *m = sl__member_find(g, req->member_id);
        m->hb_deadline = sl_now_ms() + m->session_timeout;
        if (g->state == SL__PREPARING)
            e = SL_ERR_REBALANCE_IN_PROGRESS;
    }
    resp->error_code = sl__code(e);
    pthread_mutex_unlock(&c->mu);
}

void sl_group_leave(sl_group_coord_t *c, int16_t version, const sl_kmsg_leave_group_request_t *req,
                    sl_kmsg_leave_group_response_t *resp, sl_arena_t *a)
{
    int n = version >= 3 ? (req->members.count > 0 ? req->members.count : 0) : 1;
    resp->members.items = sl_arena_alloc(a, ((size_t)n + 1) * sizeof *resp->members.items);
    resp->members.count = version >= 3 && resp->members.items ? n : 0;
    if (req->group_id.len <= 0) {
        resp->error_code = sl__code(SL_ERR_INVALID_GROUP_ID);
        resp->members.count = 0;
        return;
    }
    int64_t now = sl_now_ms();
    pthread_mutex_lock(&c->mu);
    sl__group_t *g = sl__group_find(c, req->group_id);
    sl_err_t ge = sl__gate(c, req->group_id);
    if (ge || (g && g->state == SL__DEAD)) {
        resp->error_code = sl__code(ge ? ge : SL_ERR_COORDINATOR_NOT_AVAILABLE);
        resp->members.count = 0;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    for (int i = 0; i < n; i++) {
        sl_kstr_t mid = version >= 3 ? req->members.items[i].member_id : req->member_id;
        sl_kstr_t iid = version >= 3 ? req->members.items[i].group_instance_id : SL_KSTR_NULL;
        sl_err_t e = SL_OK;
        sl__member_t *m = NULL;
        if (!g) {
            e = SL_ERR_UNKNOWN_MEMBER_ID;
        } else if (mid.len <= 0 && iid.len >= 0) {
            /* Leaving by group.instance.id alone (an admin removing a static member). */
            m = sl__member_by_instance(g, iid);
            if (!m)
                e = SL_ERR_UNKNOWN_MEMBER_ID;
        } else if ((e = sl__validate_member(g, mid, iid)) == SL_OK) {
            m = sl__member_find(g, mid);
        }
        if (version >= 3 && resp->members.items) {
            sl_kmsg_leave_group_response_member_response_t *r = &resp->members.items[i];
            sl_kmsg_leave_group_response_member_response_init(r);
            r->member_id = mid;
            r->group_instance_id = iid;
            r->error_code = sl__code(e);
        } else if (version < 3) {
            resp->error_code = sl__code(e);
        }
        if (m)
            sl__remove_and_update(c, g, m, now);
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- offsets ----------------------------------------------------------------------------------------- */

static sl__offset_t *sl__offset_find(sl__group_t *g, sl_kstr_t topic, int32_t partition)
{
    for (sl__offset_t *o = g->offsets; o; o = o->next)
        if (o->partition == partition && sl__is(topic, o->topic))
            return o;
    return NULL;
}

/* Caches a committed offset that the log holds below log_end, unless a later
 * record of the log has set it already (commits in flight can complete out
 * of order). */
static void sl__offset_put(sl__group_t *g, const char *topic, int32_t partition, int64_t offset, int32_t epoch,
                           const char *metadata, int64_t ts, int64_t log_end)
{
    sl__offset_t *o = sl__offset_find(g, sl__ks(topic), partition);
    if (o && o->log_end > log_end)
        return;
    if (!o) {
        o = calloc(1, sizeof *o);
        if (!o || !(o->topic = strdup(topic))) {
            free(o);
            return;
        }
        o->partition = partition;
        o->next = g->offsets;
        g->offsets = o;
    }
    free(o->metadata);
    o->metadata = sl__sdup(metadata ? metadata : "");
    o->offset = offset;
    o->leader_epoch = epoch;
    o->commit_ts = ts;
    o->log_end = log_end;
}

static void sl__offset_remove(sl__group_t *g, sl_kstr_t topic, int32_t partition)
{
    for (sl__offset_t **pp = &g->offsets; *pp; pp = &(*pp)->next)
        if ((*pp)->partition == partition && sl__is(topic, (*pp)->topic)) {
            sl__offset_t *o = *pp;
            *pp = o->next;
            o->next = NULL;
            sl__offsets_free(o);
            return;
        }
}

/* Kafka's validateOffsetCommit for the classic protocol. */
static sl_err_t sl__validate_commit(sl__group_t *g, const sl_kmsg_offset_commit_request_t *req)
{
    if (g->state == SL__DEAD)
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    if (req->generation_id_or_member_epoch >= 0 || req->member_id.len > 0 || req->group_instance_id.len >= 0) {
        sl_err_t e = sl__validate_member(g, req->member_id, req->group_instance_id);
        if (e)
            return e;
        if (req->generation_id_or_member_epoch != g->generation)
            return SL_ERR_ILLEGAL_GENERATION;
    } else if (g->state != SL__EMPTY) {
        return SL_ERR_UNKNOWN_MEMBER_ID; /* only members commit for a non-empty group */
    }
    if (g->state == SL__COMPLETING)
        return SL_ERR_REBALANCE_IN_PROGRESS;
    return SL_OK;
}

void sl_group_offset_commit(sl_group_coord_t *c, int16_t version, const sl_kmsg_offset_commit_request_t *req,
                            sl_kmsg_offset_commit_response_t *resp, sl_arena_t *a)
{
    (void)version;
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp->topics.items = sl_arena_alloc(a, ((size_t)nt + 1) * sizeof *resp->topics.items);
    resp->topics.count = resp->topics.items ? nt : 0;
    int total = 0;
    for (int i = 0; i < resp->topics.count; i++) {
        const sl_kmsg_offset_commit_request_offset_commit_request_topic_t *t = &req->topics.items[i];
        sl_kmsg_offset_commit_response_offset_commit_response_topic_t *rt = &resp->topics.items[i];
        sl_kmsg_offset_commit_response_offset_commit_response_topic_init(rt);
        rt->name = t->name;
        int np = t->partitions.count > 0 ? t->partitions.count : 0;
        rt->partitions.items = sl_arena_alloc(a, ((size_t)np + 1) * sizeof *rt->partitions.items);
        rt->partitions.count = rt->partitions.items ? np : 0;
        for (int j = 0; j < rt->partitions.count; j++) {
            sl_kmsg_offset_commit_response_offset_commit_response_partition_init(&rt->partitions.items[j]);
            rt->partitions.items[j].partition_index = t->partitions.items[j].partition_index;
        }
        total += rt->partitions.count;
    }
    sl_err_t ge = req->group_id.len <= 0 ? SL_ERR_INVALID_GROUP_ID : SL_OK;
    pthread_mutex_lock(&c->mu);
    if (!ge)
        ge = sl__gate(c, req->group_id);
    sl__group_t *g = ge ? NULL : sl__group_find(c, req->group_id);
    if (!ge && !g) {
        if (req->generation_id_or_member_epoch < 0) {
            g = sl__group_add(c, req->group_id); /* a simple consumer's commits */
            if (!g)
                ge = SL_ERR_NOMEM;
        } else {
            ge = SL_ERR_ILLEGAL_GENERATION;
        }
    }
    if (!ge)
        ge = sl__validate_commit(g, req);
    sl__rec_t *recs = ge ? NULL : calloc((size_t)total + 1, sizeof *recs);
    if (!ge && !recs)
        ge = SL_ERR_NOMEM;
    int nrec = 0;
    int64_t now = sl_now_ms();
    char *gid = g ? g->id : NULL;
    for (int i = 0; i < resp->topics.count; i++) {
        const sl_kmsg_offset_commit_request_offset_commit_request_topic_t *t = &req->topics.items[i];
        sl_kmsg_offset_commit_response_offset_commit_response_topic_t *rt = &resp->topics.items[i];
        char *topic = sl__kdup(t->name);
        sl_topic_info_t info;
        int exists = !ge && topic && sl_topics_get(c->topics, topic, &info);
        for (int j = 0; j < rt->partitions.count; j++) {
            const sl_kmsg_offset_commit_request_offset_commit_request_partition_t *p = &t->partitions.items[j];
            sl_err_t e = ge;
            if (!e && (!exists || p->partition_index < 0 || p->partition_index >= info.partitions))
                e = SL_ERR_UNKNOWN_TOPIC;
            if (!e && p->committed_metadata.len > c->cfg.offset_metadata_max_bytes)
                e = SL_ERR_OFFSET_METADATA_TOO_LARGE;
            if (!e) {
                char *md = sl__kdup(p->committed_metadata);
                sl__rec_t *r = &recs[nrec++];
                e = sl_group_offset_key(&r->key, gid, topic, p->partition_index);
                if (!e)
                    e = sl_group_offset_value(&r->value, p->committed_offset, p->committed_leader_epoch, md, now);
                free(md);
            }
            rt->partitions.items[j].error_code = sl__code(e);
        }
        free(topic);
    }
    if (!ge && nrec > 0) {
        int32_t part;
        int64_t end;
        sl_err_t e = sl__append_start(c, gid, recs, nrec, &part, &end);
        /* A member's commit counts as a heartbeat. */
        sl__member_t *m = sl__member_find(g, req->member_id);
        if (m)
            m->hb_deadline = now + m->session_timeout;
        int gone = 0;
        if (!e)
            e = sl__append_wait_unlocked(c, g, part, end, &gone);
        if (gone)
            g = NULL;
        for (int i = 0; i < resp->topics.count; i++) {
            const sl_kmsg_offset_commit_request_offset_commit_request_topic_t *t = &req->topics.items[i];
            sl_kmsg_offset_commit_response_offset_commit_response_topic_t *rt = &resp->topics.items[i];
            char *topic = g ? sl__kdup(t->name) : NULL;
            for (int j = 0; j < rt->partitions.count; j++) {
                const sl_kmsg_offset_commit_request_offset_commit_request_partition_t *p = &t->partitions.items[j];
                if (rt->partitions.items[j].error_code)
                    continue;
                if (e) {
                    rt->partitions.items[j].error_code = sl__code(e);
                    continue;
                }
                char *md = sl__kdup(p->committed_metadata);
                if (topic)
                    sl__offset_put(g, topic, p->partition_index, p->committed_offset, p->committed_leader_epoch,
                                   md, now, end);
                free(md);
            }
            free(topic);
        }
    }
    if (recs)
        sl__recs_free(recs, total);
    pthread_mutex_unlock(&c->mu);
}

/* Fills one group's OffsetFetch answer: the requested partitions (-1 where
 * nothing is committed) or, with topics == NULL (count -1), all of them. */
typedef struct {
    sl_kstr_t name;
    int32_t partition;
    int64_t offset;
    int32_t epoch;
    sl_kstr_t metadata;
} sl__fetched_t;

static int sl__fetch_group(sl__group_t *g, int nt, const sl_kstr_t *tnames, const sl_kint32_array_t *tparts,
                           sl__fetched_t **out, sl_arena_t *a)
{
    int n = 0;
    if (nt < 0) {
        for (sl__offset_t *o = g ? g->offsets : NULL; o; o = o->next)
            n++;
    } else {
        for (int i = 0; i < nt; i++)
            n += tparts[i].count > 0 ? tparts[i].count : 0;
    }
    sl__fetched_t *f = sl_arena_alloc(a, ((size_t)n + 1) * sizeof *f);
    if (!f)
        return 0;
    int k = 0;
    if (nt < 0) {
        for (sl__offset_t *o = g ? g->offsets : NULL; o; o = o->next) {
            char *tn = sl_arena_memdup(a, o->topic, strlen(o->topic));
            char *md = sl_arena_memdup(a, o->metadata ? o->metadata : "", o->metadata ? strlen(o->metadata) : 0);
            f[k++] = (sl__fetched_t){{tn, (int32_t)strlen(o->topic)}, o->partition, o->offset, o->leader_epoch,
                                     {md ? md : "", md ? (int32_t)(o->metadata ? strlen(o->metadata) : 0) : 0}};
        }
    } else {
        for (int i = 0; i < nt; i++)
            for (int j = 0; j < tparts[i].count; j++) {
                int32_t p = tparts[i].items[j];
                sl__offset_t *o = g ? sl__offset_find(g, tnames[i], p) : NULL;
                if (o) {
                    size_t ml = o->metadata ? strlen(o->metadata) : 0;
                    char *md = sl_arena_memdup(a, o->metadata ? o->metadata : "", ml);
                    f[k++] = (sl__fetched_t){tnames[i], p, o->offset, o->leader_epoch,
                                             {md ? md : "", md ? (int32_t)ml : 0}};
                } else {
                    f[k++] = (sl__fetched_t){tnames[i], p, -1, -1, SL_KSTR("")};
                }
            }
    }
    *out = f;
    return k;
}

/* Groups fetched entries by topic, in order of first appearance. */
static int sl__topic_groups(const sl__fetched_t *f, int n, int *first_of, int *topic_of)
{
    int nt = 0;
    for (int i = 0; i < n; i++) {
        int t = -1;
        for (int j = 0; j < nt && t < 0; j++)
            if (sl_kstr_eq(f[first_of[j]].name, f[i].name))
                t = j;
        if (t < 0) {
            t = nt++;
            first_of[t] = i;
        }
        topic_of[i] = t;
    }
    return nt;
}

void sl_group_offset_fetch(sl_group_coord_t *c, int16_t version, const sl_kmsg_offset_fetch_request_t *req,
                           sl_kmsg_offset_fetch_response_t *resp, sl_arena_t *a)
{
    int ng = version >= 8 ? (req->groups.count > 0 ? req->groups.count : 0) : 1;
    if (version >= 8) {
        resp->groups.items = sl_arena_alloc(a, ((size_t)ng + 1) * sizeof *resp->groups.items);
        resp->groups.count = resp->groups.items ? ng : 0;
    }
    pthread_mutex_lock(&c->mu);
    for (int gi = 0; gi < ng; gi++) {
        sl_kstr_t gid;
        int nt;
        sl_kstr_t *tnames = NULL;
        sl_kint32_array_t *tparts = NULL;
        if (version >= 8) {
            const sl_kmsg_offset_fetch_request_offset_fetch_request_group_t *rg = &req->groups.items[gi];
            gid = rg->group_id;
            nt = rg->topics.count;
            if (nt > 0) {
                tnames = sl_arena_alloc(a, (size_t)nt * sizeof *tnames);
                tparts = sl_arena_alloc(a, (size_t)nt * sizeof *tparts);
                for (int i = 0; i < nt && tnames && tparts; i++)
                    tnames[i] = rg->topics.items[i].name, tparts[i] = rg->topics.items[i].partition_indexes;
            }
        } else {
            gid = req->group_id;
            nt = req->topics.count;
            if (nt > 0) {
                tnames = sl_arena_alloc(a, (size_t)nt * sizeof *tnames);
                tparts = sl_arena_alloc(a, (size_t)nt * sizeof *tparts);
                for (int i = 0; i < nt && tnames && tparts; i++)
                    tnames[i] = req->topics.items[i].name, tparts[i] = req->topics.items[i].partition_indexes;
            }
        }
        if (nt > 0 && (!tnames || !tparts))
            nt = 0;
        /* A group not served here: Kafka's error response — the error for the
         * group (v2+), or in each requested partition (v0-1). */
        sl_err_t ge = sl__gate(c, gid);
        if (ge && version >= 2)
            nt = 0;
        if (ge && version < 8)
            resp->error_code = sl__code(ge);
        sl__group_t *g = ge ? NULL : sl__group_find(c, gid);
        sl__fetched_t *f = NULL;
        int n = sl__fetch_group(g, nt, tnames, tparts, &f, a);
        int *first_of = sl_arena_alloc(a, ((size_t)n + 1) * sizeof(int));
        int *topic_of = sl_arena_alloc(a, ((size_t)n + 1) * sizeof(int));
        int ntopics = first_of && topic_of ? sl__topic_groups(f, n, first_of, topic_of) : 0;
        if (version >= 8) {
            sl_kmsg_offset_fetch_response_offset_fetch_response_group_t *rg = &resp->groups.items[gi];
            sl_kmsg_offset_fetch_response_offset_fetch_response_group_init(rg);
            rg->group_id = gid;
            rg->error_code = sl__code(ge);
            rg->topics.items = sl_arena_alloc(a, ((size_t)ntopics + 1) * sizeof *rg->topics.items);
            rg->topics.count = rg->topics.items ? ntopics : 0;
            for (int t = 0; t < rg->topics.count; t++) {
                sl_kmsg_offset_fetch_response_offset_fetch_response_topics_t *rt = &rg->topics.items[t];
                sl_kmsg_offset_fetch_response_offset_fetch_response_topics_init(rt);
                rt->name = f[first_of[t]].name;
                int cnt = 0;
                for (int i = 0; i < n; i++)
                    cnt += topic_of[i] == t;
                rt->partitions.items = sl_arena_alloc(a, ((size_t)cnt + 1) * sizeof *rt->partitions.items);
                rt->partitions.count = 0;
                for (int i = 0; i < n && rt->partitions.items; i++)
                    if (topic_of[i] == t) {
                        sl_kmsg_offset_fetch_response_offset_fetch_response_partitions_t *p =
                            &rt->partitions.items[rt->partitions.count++];
                        sl_kmsg_offset_fetch_response_offset_fetch_response_partitions_init(p);
                        p->partition_index = f[i].partition;
                        p->committed_offset = f[i].offset;
                        p->committed_leader_epoch = f[i].epoch;
                        p->metadata = f[i].metadata;
                    }
            }
        } else {
            resp->topics.items = sl_arena_alloc(a, ((size_t)ntopics + 1) * sizeof *resp->topics.items);
            resp->topics.count = resp->topics.items ? ntopics : 0;
            for (int t = 0; t < resp->topics.count; t++) {
                sl_kmsg_offset_fetch_response_offset_fetch_response_topic_t *rt = &resp->topics.items[t];
                sl_kmsg_offset_fetch_response_offset_fetch_response_topic_init(rt);
                rt->name = f[first_of[t]].name;
                int cnt = 0;
                for (int i = 0; i < n; i++)
                    cnt += topic_of[i] == t;
                rt->partitions.items = sl_arena_alloc(a, ((size_t)cnt + 1) * sizeof *rt->partitions.items);
                rt->partitions.count = 0;
                for (int i = 0; i < n && rt->partitions.items; i++)
                    if (topic_of[i] == t) {
                        sl_kmsg_offset_fetch_response_offset_fetch_response_partition_t *p =
                            &rt->partitions.items[rt->partitions.count++];
                        sl_kmsg_offset_fetch_response_offset_fetch_response_partition_init(p);
                        p->partition_index = f[i].partition;
                        p->committed_offset = f[i].offset;
                        p->committed_leader_epoch = f[i].epoch;
                        p->metadata = f[i].metadata;
                        p->error_code = sl__code(ge);
                    }
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* The topics of a consumer-protocol subscription (ConsumerProtocolSubscription:
 * version int16, topics [string], ...): returns 1 when topic is among them. */
static int sl__subscribed(const sl__member_t *m, const char *protocol, sl_kstr_t topic)
{
    const sl__proto_t *p = sl__member_proto(m, protocol);
    if (!p)
        return 0;
    sl_kreader_t r = sl_kreader_make(p->meta, (size_t)p->len);
    sl_kreader_int16(&r);
    int32_t n = sl_kreader_int32(&r);
    for (int32_t i = 0; i < n && !r.err; i++) {
        sl_kstr_t t = sl_kreader_string(&r, 0, 0);
        if (!r.err && sl_kstr_eq(t, topic))
            return 1;
    }
    return 0;
}

void sl_group_offset_delete(sl_group_coord_t *c, const sl_kmsg_offset_delete_request_t *req,
                            sl_kmsg_offset_delete_response_t *resp, sl_arena_t *a)
{
    pthread_mutex_lock(&c->mu);
    sl_err_t ge = req->group_id.len <= 0 ? SL_ERR_INVALID_GROUP_ID : SL_OK;
    sl__group_t *g = ge ? NULL : sl__group_quiet(c, req->group_id, &ge);
    if (ge || !g || g->state == SL__DEAD) {
        resp->error_code = sl__code(ge ? ge : SL_ERR_GROUP_ID_NOT_FOUND);
        resp->topics = (sl_kmsg_offset_delete_response_offset_delete_response_topic_array_t){NULL, 0};
        pthread_mutex_unlock(&c->mu);
        return;
    }
    int nt = req->topics.count > 0 ? req->topics.count : 0;
    resp->topics.items = sl_arena_alloc(a, ((size_t)nt + 1) * sizeof *resp->topics.items);
    resp->topics.count = resp->topics.items ? nt : 0;
    int total = 0;
    for (int i = 0; i < nt; i++)
        total += req->topics.items[i].partitions.count > 0 ? req->topics.items[i].partitions.count : 0;
    sl__rec_t *recs = calloc((size_t)total + 1, sizeof *recs);
    int nrec = 0;
    for (int i = 0; i < resp->topics.count; i++) {
        const sl_kmsg_offset_delete_request_offset_delete_request_topic_t *t = &req->topics.items[i];
        sl_kmsg_offset_delete_response_offset_delete_response_topic_t *rt = &resp->topics.items[i];
        sl_kmsg_offset_delete_response_offset_delete_response_topic_init(rt);
        rt->name = t->name;
        int subscribed = 0;
        if (g->state != SL__EMPTY && g->protocol_type && strcmp(g->protocol_type, "consumer") == 0)
            for (sl__member_t *m = g->members; m && !subscribed; m = m->next)
                subscribed = sl__subscribed(m, g->protocol, t->name);
        int np = t->partitions.count > 0 ? t->partitions.count : 0;
        rt->partitions.items = sl_arena_alloc(a, ((size_t)np + 1) * sizeof *rt->partitions.items);
        rt->partitions.count = rt->partitions.items ? np : 0;
        char *topic = sl__kdup(t->name);
        for (int j = 0; j < rt->partitions.count; j++) {
            int32_t p = t->partitions.items[j].partition_index;
            sl_kmsg_offset_delete_response_offset_delete_response_partition_init(&rt->partitions.items[j]);
            rt->partitions.items[j].partition_index = p;
            if (subscribed) {
                rt->partitions.items[j].error_code = sl__code(SL_ERR_GROUP_SUBSCRIBED_TO_TOPIC);
                continue;
            }
            if (recs && topic && sl__offset_find(g, t->name, p)) {
                sl__rec_t *r = &recs[nrec++];
                r->tombstone = 1;
                sl_group_offset_key(&r->key, g->id, topic, p);
            }
        }
        free(topic);
    }
    sl_err_t e = recs ? sl__append(c, g->id, recs, nrec) : SL_ERR_NOMEM;
    if (e) {
        resp->error_code = sl__code(e);
    } else {
        for (int i = 0; i < nrec; i++) {
            sl_kreader_t r = sl_kreader_make(recs[i].key.data, recs[i].key.len);
            sl_kreader_int16(&r);
            sl_kreader_string(&r, 0, 0);
            sl_kstr_t topic = sl_kreader_string(&r, 0, 0);
            int32_t p = sl_kreader_int32(&r);
            sl__offset_remove(g, topic, p);
        }
    }
    if (recs)
        sl__recs_free(recs, total);
    pthread_mutex_unlock(&c->mu);
}

/* ---- ListGroups, DescribeGroups, DeleteGroups ------------------------------------------------------ */

void sl_group_list(sl_group_coord_t *c, int16_t version, const sl_kmsg_list_groups_request_t *req,
                   sl_kmsg_list_groups_response_t *resp, sl_arena_t *a)
{
    pthread_mutex_lock(&c->mu);
    int n = 0;
    for (sl__group_t *g = c->groups; g; g = g->next)
        n++;
    resp->groups.items = sl_arena_alloc(a, ((size_t)n + 1) * sizeof *resp->groups.items);
    resp->groups.count = 0;
    /* Ownership mode: only owned partitions' groups are in memory. As Kafka,
     * the owned ones are listed with COORDINATOR_LOAD_IN_PROGRESS while any
     * partition is still loading. */
    for (int32_t p = 0; c->owned_mode && p < c->cfg.offsets_topic_num_partitions; p++)
        if (c->parts[p].state == SL__LOADING)
            resp->error_code = sl__code(SL_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    for (sl__group_t *g = c->groups; g && resp->groups.items; g = g->next) {
        if (g->state == SL__DEAD)
            continue;
        const char *st = sl__state_names[g->state];
        if (version >= 4 && req->states_filter.count > 0) {
            int ok = 0;
            for (int i = 0; i < req->states_filter.count && !ok; i++) {
                sl_kstr_t f = req->states_filter.items[i];
                ok = f.len == (int32_t)strlen(st) && strncasecmp(f.data, st, (size_t)f.len) == 0;
            }
            if (!ok)
                continue;
        }
        sl_kmsg_list_groups_response_listed_group_t *lg = &resp->groups.items[resp->groups.count++];
        sl_kmsg_list_groups_response_listed_group_init(lg);
        lg->group_id = (sl_kstr_t){sl_arena_memdup(a, g->id, strlen(g->id)), (int32_t)strlen(g->id)};
        const char *pt = g->protocol_type ? g->protocol_type : "";
        lg->protocol_type = (sl_kstr_t){sl_arena_memdup(a, pt, strlen(pt)), (int32_t)strlen(pt)};
        if (!lg->protocol_type.data)
            lg->protocol_type = SL_KSTR("");
        lg->group_state = sl__ks(st);
        lg->group_type = SL_KSTR("classic");
    }
    pthread_mutex_unlock(&c->mu);
}

static sl_kstr_t sl__adup(sl_arena_t *a, const char *s)
{
    if (!s)
        return SL_KSTR_NULL;
    size_t n = strlen(s);
    char *p = sl_arena_memdup(a, s, n);
    return p ? (sl_kstr_t){p, (int32_t)n} : SL_KSTR("");
}

static sl_kbytes_t sl__abytes(sl_arena_t *a, const uint8_t *p, int32_t n)
{
    if (!p || n <= 0)
        return (sl_kbytes_t){(const uint8_t *)"", 0};
    uint8_t *q = sl_arena_memdup(a, p, (size_t)n);
    return q ? (sl_kbytes_t){q, n} : (sl_kbytes_t){(const uint8_t *)"", 0};
}

void sl_group_describe(sl_group_coord_t *c, const sl_kmsg_describe_groups_request_t *req,
                       sl_kmsg_describe_groups_response_t *resp, sl_arena_t *a)
{
    int n = req->groups.count > 0 ? req->groups.count : 0;
    resp->groups.items = sl_arena_alloc(a, ((size_t)n + 1) * sizeof *resp->groups.items);
    resp->groups.count = resp->groups.items ? n : 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < resp->groups.count; i++) {
        sl_kmsg_describe_groups_response_described_group_t *d = &resp->groups.items[i];
        sl_kmsg_describe_groups_response_described_group_init(d);
        d->group_id = req->groups.items[i];
        d->group_state = SL_KSTR("Dead");
        d->protocol_type = SL_KSTR("");
        d->protocol_data = SL_KSTR("");
        d->members = (sl_kmsg_describe_groups_response_described_group_member_array_t){NULL, 0};
        sl__group_t *g = sl__group_find(c, d->group_id);
        sl_err_t ge = d->group_id.len <= 0 ? SL_ERR_INVALID_GROUP_ID : sl__gate(c, d->group_id);
        if (ge) {
            d->error_code = sl__code(ge);
            continue;
        }
        if (!g)
            continue;
        d->group_state = sl__ks(sl__state_names[g->state]);
        d->protocol_type = g->protocol_type ? sl__adup(a, g->protocol_type) : SL_KSTR("");
        d->protocol_data = g->protocol ? sl__adup(a, g->protocol) : SL_KSTR("");
        int nm = sl__nmembers(g);
        d->members.items = sl_arena_alloc(a, ((size_t)nm + 1) * sizeof *d->members.items);
        d->members.count = d->members.items ? nm : 0;
        int k = 0;
        for (sl__member_t *m = g->members; m && k < d->members.count; m = m->next, k++) {
            sl_kmsg_describe_groups_response_described_group_member_t *dm = &d->members.items[k];
            sl_kmsg_describe_groups_response_described_group_member_init(dm);
            dm->member_id = sl__adup(a, m->id);
            dm->group_instance_id = sl__adup(a, m->instance_id);
            dm->client_id = sl__adup(a, m->client_id ? m->client_id : "");
            dm->client_host = sl__adup(a, m->client_host ? m->client_host : "");
            dm->member_metadata = (sl_kbytes_t){(const uint8_t *)"", 0};
            dm->member_assignment = (sl_kbytes_t){(const uint8_t *)"", 0};
            if (g->state == SL__STABLE) { /* Kafka's summary: metadata only when stable */
                const sl__proto_t *p = sl__member_proto(m, g->protocol);
                if (p)
                    dm->member_metadata = sl__abytes(a, p->meta, p->len);
                dm->member_assignment = sl__abytes(a, m->assignment, m->assignment_len);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* Tombstones for every offset of g and for its metadata. */
static sl_err_t sl__tombstone_group(sl_group_coord_t *c, sl__group_t *g)
{
    int n = 1;
    for (sl__offset_t *o = g->offsets; o; o = o->next)
        n++;
    sl__rec_t *recs = calloc((size_t)n, sizeof *recs);
    if (!recs)
        return SL_ERR_NOMEM;
    int k = 0;
    for (sl__offset_t *o = g->offsets; o; o = o->next, k++) {
        recs[k].tombstone = 1;
        sl_group_offset_key(&recs[k].key, g->id, o->topic, o->partition);
    }
    recs[k].tombstone = 1;
    sl_group_metadata_key(&recs[k].key, g->id);
    sl_err_t e = sl__append(c, g->id, recs, n);
    sl__recs_free(recs, n);
    return e;
}

void sl_group_delete(sl_group_coord_t *c, const sl_kmsg_delete_groups_request_t *req,
                     sl_kmsg_delete_groups_response_t *resp, sl_arena_t *a)
{
    int n = req->groups_names.count > 0 ? req->groups_names.count : 0;
    resp->results.items = sl_arena_alloc(a, ((size_t)n + 1) * sizeof *resp->results.items);
    resp->results.count = resp->results.items ? n : 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < resp->results.count; i++) {
        sl_kmsg_delete_groups_response_deletable_group_result_t *r = &resp->results.items[i];
        sl_kmsg_delete_groups_response_deletable_group_result_init(r);
        r->group_id = req->groups_names.items[i];
        sl_err_t e = SL_OK;
        sl__group_t *g = r->group_id.len > 0 ? sl__group_quiet(c, r->group_id, &e) : NULL;
        if (r->group_id.len <= 0)
            e = SL_ERR_INVALID_GROUP_ID;
        else if (e)
            ;
        else if (!g || g->state == SL__DEAD)
            e = SL_ERR_GROUP_ID_NOT_FOUND;
        else if (g->state != SL__EMPTY)
            e = SL_ERR_NON_EMPTY_GROUP;
        else if ((e = sl__tombstone_group(c, g)) == SL_OK)
            sl__group_unlink(c, g);
        r->error_code = sl__code(e);
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- expiry ---------------------------------------------------------------------------------------- */

/* An offset expiry of one group in flight. */
typedef struct sl__expiry {
    sl__group_t *g; /* kept allocated by its inflight count */
    int32_t part;
    int64_t end;
    int drop_group;
    sl_err_t err;
} sl__expiry_t;

/* Kafka (KIP-211): an empty group's offsets expire a retention period after
 * the group became empty (or after the commit when later). */
static int sl__offset_expired(const sl_group_coord_t *c, const sl__group_t *g, const sl__offset_t *o, int64_t now)
{
    int64_t base = g->state_ts > o->commit_ts ? g->state_ts : o->commit_ts;
    return base + c->cfg.offsets_retention_ms <= now;
}

/* Expires the offsets of empty groups, with c->mu held on entry and return:
 * the tombstones of every group are appended first, then waited for without
 * the lock (other groups are served meanwhile), then applied — an offset
 * committed again meanwhile (a later record) stays, and a group whose
 * offsets all expired goes only if nothing came back into it. Returns the
 * offsets removed. */
static int sl__expire_offsets_locked(sl_group_coord_t *c, int64_t now)
{
    int ng = 0;
    for (sl__group_t *g = c->groups; g; g = g->next)
        ng++;
    sl__expiry_t *xs = calloc((size_t)ng + 1, sizeof *xs);
    if (!xs)
        return 0;
    int nx = 0;
    for (sl__group_t *g = c->groups; g; g = g->next) {
        if (g->state != SL__EMPTY || g->inflight > 0) /* Kafka skips pending commits too */
            continue;
        int n = 0;
        for (sl__offset_t *o = g->offsets; o; o = o->next)
            n++;
        sl__rec_t *recs = calloc((size_t)n + 1, sizeof *recs);
        if (!recs)
            continue;
        int k = 0;
        for (sl__offset_t *o = g->offsets; o; o = o->next) {
            if (!sl__offset_expired(c, g, o, now))
                continue;
            recs[k].tombstone = 1;
            sl_group_offset_key(&recs[k].key, g->id, o->topic, o->partition);
            k++;
        }
        int drop_group = k == n; /* nothing left: the group goes too */
        if (drop_group) {
            recs[k].tombstone = 1;
            sl_group_metadata_key(&recs[k].key, g->id);
        }
        int32_t part;
        int64_t end;
        if ((k > 0 || drop_group) && sl__append_start(c, g->id, recs, k + drop_group, &part, &end) == SL_OK) {
            g->inflight++;
            xs[nx++] = (sl__expiry_t){g, part, end, drop_group, SL_OK};
        }
        sl__recs_free(recs, n + 1);
    }
    if (nx > 0 && c->owned_mode && c->hooks.wait) {
        pthread_mutex_unlock(&c->mu);
        for (int i = 0; i < nx; i++)
            xs[i].err = sl__append_wait(c, xs[i].g->id, xs[i].part, xs[i].end);
        pthread_mutex_lock(&c->mu);
    }
    int removed = 0;
    for (int i = 0; i < nx; i++) {
        sl__group_t *g = xs[i].g;
        if (sl__write_done(c, g) || xs[i].err)
            continue;
        for (sl__offset_t **pp = &g->offsets; *pp;) {
            sl__offset_t *o = *pp;
            if (o->log_end < xs[i].end && sl__offset_expired(c, g, o, now)) {
                *pp = o->next;
                o->next = NULL;
                sl__offsets_free(o);
                removed++;
            } else {
                pp = &o->next;
            }
        }
        if (xs[i].drop_group && !g->offsets && !g->members && g->state == SL__EMPTY && g->inflight == 0)
            sl__group_unlink(c, g);
    }
    free(xs);
    return removed;
}

int sl_group_expire_offsets(sl_group_coord_t *c, int64_t now_ms)
{
    pthread_mutex_lock(&c->mu);
    int n = sl__expire_offsets_locked(c, now_ms);
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Session expiry, rebalance deadlines, pending member ids. With c->mu held. */
static void sl__tick(sl_group_coord_t *c, int64_t now)
{
    for (sl__group_t *g = c->groups; g; g = g->next) {
        for (sl__pending_t **pp = &g->pending; *pp;) {
            if ((*pp)->deadline <= now) {
                sl__pending_t *p = *pp;
                *pp = p->next;
                free(p->id);
                free(p);
            } else {
                pp = &(*pp)->next;
            }
        }
        if (g->sync_deadline && g->sync_deadline <= now &&
            (g->state == SL__COMPLETING || g->state == SL__STABLE)) {
            g->sync_deadline = 0;
            int removed = 0;
            for (sl__member_t *m = g->members, *next; m; m = next) {
                next = m->next;
                if (!m->pending_sync)
                    continue;
                sl_trace(SL_TRACE_INFO, "group", "group %s: member %s sent no SyncGroup within the rebalance timeout",
                         g->id, m->id);
                sl__remove_member(g, m, SL_ERR_UNKNOWN_MEMBER_ID);
                removed++;
            }
            if (removed) {
                sl__prepare_rebalance(c, g, now);
                sl__try_complete_join(c, g, now);
            }
        }
        for (sl__member_t *m = g->members, *next; m; m = next) {
            next = m->next;
            /* A held join or sync is the member's sign of life. */
            if (!m->join_cb && !m->sync_cb && m->hb_deadline <= now) {
                sl_trace(SL_TRACE_INFO, "group", "group %s: member %s missed its session timeout (%" PRId32 " ms)",
                         g->id, m->id, m->session_timeout);
                sl__remove_and_update(c, g, m, now);
                break; /* the list may have changed: others expire on the next tick */
            }
        }
        sl__try_complete_join(c, g, now);
    }
}

static void *sl__timer(void *arg)
{
    sl_group_coord_t *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        int64_t now = sl_now_ms();
        sl__tick(c, now);
        if (now >= c->next_expiry_check) {
            sl__expire_offsets_locked(c, now);
            c->next_expiry_check = now + c->cfg.offsets_retention_check_ms;
        }
        int64_t next = now + 50;
        struct timespec ts = {next / 1000, (next % 1000) * 1000000};
        pthread_cond_timedwait(&c->cond, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- loading ----------------------------------------------------------------------------------------- */

static sl__group_t *sl__group_get(sl__group_t **head, sl_kstr_t id)
{
    sl__group_t *g = sl__list_find(*head, id);
    return g ? g : sl__list_add(head, id);
}

static void sl__load_group_value(sl_group_coord_t *c, sl__group_t *g, sl_kreader_t *r, int16_t v, int64_t now)
{
    int fl = v >= 4;
    sl_kstr_t ptype = sl_kreader_string(r, fl, 0);
    int32_t gen = sl_kreader_int32(r);
    sl_kstr_t proto = sl_kreader_string(r, fl, 1);
    sl_kstr_t leader = sl_kreader_string(r, fl, 1);
    int64_t ts = v >= 2 ? sl_kreader_int64(r) : -1;
    int32_t n = sl_kreader_array_len(r, fl, 0, 1);
    if (r->err)
        return;
    while (g->members) {
        sl__member_t *m = g->members;
        g->members = m->next;
        sl__member_free(m);
    }
    free(g->protocol_type), free(g->protocol), free(g->leader);
    g->protocol_type = ptype.len > 0 ? sl__kdup(ptype) : NULL;
    g->protocol = sl__kdup(proto);
    g->leader = NULL;
    g->generation = gen;
    sl__member_t **tail = &g->members;
    for (int32_t i = 0; i < n && !r->err; i++) {
        sl_kstr_t mid = sl_kreader_string(r, fl, 0);
        sl_kstr_t iid = v >= 3 ? sl_kreader_string(r, fl, 1) : SL_KSTR_NULL;
        sl_kstr_t cid = sl_kreader_string(r, fl, 0);
        sl_kstr_t host = sl_kreader_string(r, fl, 0);
        int32_t rt = v >= 1 ? sl_kreader_int32(r) : -1;
        int32_t st = sl_kreader_int32(r);
        sl_kbytes_t sub = sl_kreader_bytes(r, fl, 0);
        sl_kbytes_t asg = sl_kreader_bytes(r, fl, 0);
        if (fl)
            sl_kreader_skip_tags(r);
        if (r->err)
            break;
        sl__member_t *m = calloc(1, sizeof *m);
        if (!m)
            break;
        m->id = sl__kdup(mid);
        m->instance_id = sl__kdup(iid);
        m->client_id = sl__kdup(cid);
        m->client_host = sl__kdup(host);
        m->protocol_type = sl__sdup(g->protocol_type);
        m->session_timeout = st;
        m->rebalance_timeout = rt > 0 ? rt : st;
        m->hb_deadline = now + st;
        m->protos = calloc(1, sizeof *m->protos);
        if (m->protos && g->protocol) {
            m->nprotos = 1;
            m->protos[0].name = strdup(g->protocol);
            m->protos[0].meta = malloc((size_t)(sub.len > 0 ? sub.len : 0) + 1);
            if (m->protos[0].meta && sub.len > 0)
                memcpy(m->protos[0].meta, sub.data, (size_t)sub.len);
            m->protos[0].len = sub.len > 0 ? sub.len : 0;
        }
        m->assignment = malloc((size_t)(asg.len > 0 ? asg.len : 0) + 1);
        if (m->assignment && asg.len > 0)
            memcpy(m->assignment, asg.data, (size_t)asg.len);
        m->assignment_len = asg.len > 0 ? asg.len : 0;
        if (!m->id) {
            sl__member_free(m);
            continue;
        }
        *tail = m;
        tail = &m->next;
        if (sl__is(leader, m->id))
            g->leader = strdup(m->id);
    }
    if (g->members && !g->leader)
        g->leader = strdup(g->members->id);
    /* Kafka loads a group with members as Stable: its members carry on
     * heartbeating, or expire after their session timeout. */
    g->state = g->members ? SL__STABLE : SL__EMPTY;
    g->state_ts = ts > 0 ? ts : now;
    (void)c;
}

/* Applies one record of __consumer_offsets to the groups of *head. */
static void sl__load_record(sl_group_coord_t *c, sl__group_t **head, const sl_record_t *rec, int64_t now)
{
    if (rec->key_len < 2)
        return;
    sl_kreader_t k = sl_kreader_make(rec->key, (size_t)rec->key_len);
    int16_t kv = sl_kreader_int16(&k);
    if (kv == 0 || kv == 1) {
        sl_kstr_t gid = sl_kreader_string(&k, 0, 0);
        sl_kstr_t topic = sl_kreader_string(&k, 0, 0);
        int32_t part = sl_kreader_int32(&k);
        if (k.err)
            return;
        sl__group_t *g = rec->value_len < 0 ? sl__list_find(*head, gid) : sl__group_get(head, gid);
        if (!g)
            return;
        if (rec->value_len < 0) {
            sl__offset_remove(g, topic, part);
            return;
        }
        sl_kreader_t r = sl_kreader_make(rec->value, (size_t)rec->value_len);
        int16_t v = sl_kreader_int16(&r);
        int fl = v >= 4;
        int64_t off = sl_kreader_int64(&r);
        int32_t epoch = v >= 3 ? sl_kreader_int32(&r) : -1;
        sl_kstr_t md = sl_kreader_string(&r, fl, 0);
        int64_t ts = sl_kreader_int64(&r);
        if (v == 1)
            sl_kreader_int64(&r);
        if (r.err)
            return;
        char *t = sl__kdup(topic), *m = sl__kdup(md);
        if (t)
            sl__offset_put(g, t, part, off, epoch, m, ts, rec->offset + 1);
        free(t);
        free(m);
    } else if (kv == 2) {
        sl_kstr_t gid = sl_kreader_string(&k, 0, 0);
        if (k.err)
            return;
        if (rec->value_len < 0) {
            sl__group_t *g = sl__list_find(*head, gid);
            if (g)
                sl__list_unlink(head, g);
            return;
        }
        sl__group_t *g = sl__group_get(head, gid);
        if (!g)
            return;
        sl_kreader_t r = sl_kreader_make(rec->value, (size_t)rec->value_len);
        int16_t v = sl_kreader_int16(&r);
        sl__load_group_value(c, g, &r, v, now);
    }
}

/* Reads partition p of __consumer_offsets from its start to its end into the
 * groups of *head. Needs no lock: it touches only *head and the log.
 * SL_ERR_UNKNOWN_TOPIC when there is no such partition here. */
static sl_err_t sl__load_partition(sl_group_coord_t *c, int32_t p, sl__group_t **head, char *errbuf, size_t errlen)
{
    sl_topic_part_t *tp = sl_topics_acquire(c->topics, SL_GROUP_OFFSETS_TOPIC, p);
    if (!tp) {
        snprintf(errbuf, errlen, "no partition %s-%d here", SL_GROUP_OFFSETS_TOPIC, p);
        return SL_ERR_UNKNOWN_TOPIC;
    }
    int64_t now = sl_now_ms();
    sl_buf_t buf = SL_BUF_INIT, scratch = SL_BUF_INIT;
    sl_err_t err = SL_OK;
    sl_log_t *log = sl_topic_part_log(tp);
    int64_t off = sl_log_start_offset(log), end = sl_log_end_offset(log);
    while (off < end && !err) {
        sl_buf_reset(&buf);
        err = sl_log_read_copy(log, off, 1 << 20, INT64_MAX, &buf);
        if (err || buf.len == 0)
            break;
        size_t pos = 0;
        int64_t next = off;
        while (pos < buf.len) {
            sl_batch_header_t h;
            if (sl_batch_check(buf.data + pos, buf.len - pos, &h) != SL_OK)
                break;
            size_t sz = sl_batch_size(&h);
            sl_record_iter_t it;
            if (!(h.attributes & SL_BATCH_ATTR_CONTROL) &&
                sl_record_iter_init(&it, buf.data + pos, sz, SL_BATCH_DEFAULT_MAX_DECOMPRESSED, &scratch) == SL_OK) {
                sl_record_t rec;
                while (sl_record_iter_next(&it, &rec) == 1)
                    if (rec.offset >= off)
                        sl__load_record(c, head, &rec, now);
            }
            next = sl_batch_last_offset(&h) + 1;
            pos += sz;
        }
        if (next <= off)
            break; /* nothing readable: stop rather than spin */
        off = next;
    }
    if (err)
        snprintf(errbuf, errlen, "reading %s-%d: %s", SL_GROUP_OFFSETS_TOPIC, p, sl_err_str(err));
    sl_topics_release(c->topics, tp);
    sl_buf_free(&buf);
    sl_buf_free(&scratch);
    return err;
}

/* Single-node start: every partition, into c->groups (a group's records all
 * lie in its one partition, so one list for all is the same). */
static sl_err_t sl__load(sl_group_coord_t *c, char *errbuf, size_t errlen)
{
    sl_topic_info_t info;
    if (!sl_topics_get(c->topics, SL_GROUP_OFFSETS_TOPIC, &info))
        return SL_OK;
    sl_err_t err = SL_OK;
    for (int32_t p = 0; p < info.partitions && !err; p++) {
        err = sl__load_partition(c, p, &c->groups, errbuf, errlen);
        if (err == SL_ERR_UNKNOWN_TOPIC)
            err = SL_OK; /* deleted meanwhile: as before, skipped */
    }
    return err;
}

static void sl__groups_free(sl__group_t *g)
{
    while (g) {
        sl__group_t *next = g->next;
        sl__group_free(g);
        g = next;
    }
}

/* Answers g's held JoinGroup/SyncGroup with NOT_COORDINATOR (Kafka's
 * onGroupUnloaded). With c->mu held. */
static void sl__unload_answers(sl__group_t *g)
{
    for (sl__member_t *m = g->members; m; m = m->next) {
        if (m->join_cb)
            sl__join_error(m->join_cb, m->join_ctx, SL_ERR_NOT_COORDINATOR, m->id);
        if (m->sync_cb)
            sl__sync_answer(m->sync_cb, m->sync_ctx, SL_ERR_NOT_COORDINATOR, NULL, NULL);
        m->join_cb = NULL;
        m->sync_cb = NULL;
    }
}

/* Drops every group of partition p from c->groups. With c->mu held. */
static void sl__drop_partition(sl_group_coord_t *c, int32_t p)
{
    for (sl__group_t **pp = &c->groups; *pp;) {
        sl__group_t *g = *pp;
        if (sl__part_of(c, g->id, strlen(g->id)) != p) {
            pp = &g->next;
            continue;
        }
        *pp = g->next;
        sl__unload_answers(g);
        if (g->inflight > 0) {
            g->dropped = 1; /* the last write in flight frees it */
            g->next = c->orphans;
            c->orphans = g;
        } else {
            sl__group_free(g);
        }
    }
}

sl_err_t sl_group_coord_partition_acquired(sl_group_coord_t *c, int32_t partition, int32_t leader_epoch)
{
    if (!c->owned_mode)
        return SL_ERR_STATE;
    if (partition < 0 || partition >= c->cfg.offsets_topic_num_partitions)
        return SL_ERR_INVAL;
    pthread_mutex_lock(&c->mu);
    sl__opart_t *op = &c->parts[partition];
    if (op->state != SL__UNOWNED) {
        if (leader_epoch >= op->epoch)
            op->epoch = leader_epoch;
        else
            sl_trace(SL_TRACE_INFO, "group", "%s-%d: acquired with epoch %d, older than %d: ignored",
                     SL_GROUP_OFFSETS_TOPIC, partition, leader_epoch, op->epoch);
        pthread_mutex_unlock(&c->mu);
        return SL_OK;
    }
    op->state = SL__LOADING;
    op->epoch = leader_epoch;
    uint64_t seq = op->seq = ++c->next_seq;
    pthread_mutex_unlock(&c->mu);

    /* The read without the lock: this partition's groups answer
     * COORDINATOR_LOAD_IN_PROGRESS meanwhile, the others are served. */
    int64_t t0 = sl_now_ms();
    sl__group_t *loaded = NULL;
    char err[256] = "";
    sl_err_t e = sl__load_partition(c, partition, &loaded, err, sizeof err);

    pthread_mutex_lock(&c->mu);
    op = &c->parts[partition];
    if (op->seq != seq) {
        /* Lost (and maybe acquired again) while loading: that call decides. */
        pthread_mutex_unlock(&c->mu);
        sl__groups_free(loaded);
        return SL_OK;
    }
    if (e) {
        op->state = SL__UNOWNED;
        op->seq = ++c->next_seq;
        pthread_mutex_unlock(&c->mu);
        sl__groups_free(loaded);
        sl_trace(SL_TRACE_ERROR, "group", "loading %s-%d: %s", SL_GROUP_OFFSETS_TOPIC, partition, err);
        return e;
    }
    /* Nothing of this partition can be in memory (its requests were refused
     * while it was not owned), but a stale group must not shadow a loaded one. */
    sl__drop_partition(c, partition);
    int n = 0;
    while (loaded) {
        sl__group_t *g = loaded;
        loaded = g->next;
        g->next = c->groups;
        c->groups = g;
        n++;
    }
    op->state = SL__OWNED;
    pthread_mutex_unlock(&c->mu);
    sl_trace(SL_TRACE_INFO, "group", "%s-%d (leader epoch %d): %d groups loaded in %" PRId64 " ms",
             SL_GROUP_OFFSETS_TOPIC, partition, leader_epoch, n, sl_now_ms() - t0);
    return SL_OK;
}

sl_err_t sl_group_coord_partition_lost(sl_group_coord_t *c, int32_t partition)
{
    if (!c->owned_mode)
        return SL_ERR_STATE;
    if (partition < 0 || partition >= c->cfg.offsets_topic_num_partitions)
        return SL_ERR_INVAL;
    pthread_mutex_lock(&c->mu);
    sl__opart_t *op = &c->parts[partition];
    if (op->state != SL__UNOWNED) {
        op->state = SL__UNOWNED;
        op->seq = ++c->next_seq;
        sl__drop_partition(c, partition);
        sl_trace(SL_TRACE_INFO, "group", "%s-%d: no longer led here: its groups are unloaded",
                 SL_GROUP_OFFSETS_TOPIC, partition);
    }
    pthread_mutex_unlock(&c->mu);
    return SL_OK;
}

/* ---- start and stop ----------------------------------------------------------------------------------- */

sl_err_t sl_group_coord_start(sl_topics_t *topics, const sl_group_config_t *cfg, sl_group_coord_t **out,
                              char *errbuf, size_t errlen)
{
    return sl_group_coord_start_with(topics, cfg, NULL, out, errbuf, errlen);
}

sl_err_t sl_group_coord_start_with(sl_topics_t *topics, const sl_group_config_t *cfg, const sl_group_hooks_t *hooks,
                                   sl_group_coord_t **out, char *errbuf, size_t errlen)
{
    sl_group_coord_t *c = calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    c->cfg = *cfg;
    if (c->cfg.offsets_topic_num_partitions < 1)
        c->cfg.offsets_topic_num_partitions = 50;
    if (c->cfg.offsets_retention_check_ms <= 0)
        c->cfg.offsets_retention_check_ms = 600000;
    if (c->cfg.offset_metadata_max_bytes <= 0)
        c->cfg.offset_metadata_max_bytes = 4096;
    c->topics = topics;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
    pthread_cond_init(&c->quiet, NULL);
    sl_err_t err = SL_OK;
    if (hooks && hooks->append) {
        c->hooks = *hooks;
        c->owned_mode = 1; /* owns nothing until told: nothing to load */
        c->parts = calloc((size_t)c->cfg.offsets_topic_num_partitions, sizeof *c->parts);
        if (!c->parts) {
            snprintf(errbuf, errlen, "out of memory");
            err = SL_ERR_NOMEM;
        }
    } else {
        err = sl__load(c, errbuf, errlen);
    }
    c->next_expiry_check = sl_now_ms() + c->cfg.offsets_retention_check_ms;
    if (!err) {
        if (pthread_create(&c->thread, NULL, sl__timer, c) != 0) {
            err = SL_ERR_NOMEM;
        } else {
            pthread_setname_np(c->thread, "sl-group");
            c->started = 1;
        }
    }
    if (err) {
        sl_group_coord_stop(c);
        return err;
    }
    *out = c;
    return SL_OK;
}

void sl_group_coord_stop(sl_group_coord_t *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_lock(&c->mu);
    while (c->groups) {
        sl__group_t *g = c->groups;
        c->groups = g->next;
        sl__unload_answers(g);
        sl__group_free(g);
    }
    sl__groups_free(c->orphans); /* none unless a commit was still in flight */
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
    pthread_cond_destroy(&c->quiet);
    free(c->parts);
    free(c);
}
