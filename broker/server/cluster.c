/* cluster.c — the controller quorum, the metadata image, the active
 * controller and this broker's registration and heartbeats (see cluster.h). */
#include "broker/server/cluster.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "broker/log/log.h"
#include "broker/log/logmgr.h"
#include "broker/meta/quorum.h"
#include "broker/net/kclient.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/trace.h"

/* The controller's view of one broker's session (in memory only, as KRaft's
 * BrokerHeartbeatManager: a new controller gives every broker a fresh one). */
typedef struct sl__session {
    int32_t id;
    int64_t last_heartbeat_ms;
    uint64_t conn; /* the connection its heartbeats come on (0: this node's own) */
} sl__session_t;

struct sl_cluster {
    sl_broker_config_t cfg;
    char adv_host[256];
    int adv_port;
    sl_cluster_image_cb on_image;
    void *opaque;
    sl_quorum_t *quorum;
    sl_quorum_voter_t voters[SL_QUORUM_MAX_VOTERS];
    int nvoters;

    /* The published image. */
    pthread_mutex_t img_mu;
    sl_meta_image_t *image;

    /* The active controller: one decision (read the image, propose) at a time. */
    pthread_mutex_t ctl_mu;
    sl__session_t *sessions;
    int nsessions;
    int leading; /* set by the controller thread once it has caught up as leader */
    pthread_mutex_t closed_mu; /* connections closed since the controller last looked */
    uint64_t closed[64];
    int nclosed;
    int64_t next_preferred_ms;

    /* This broker. */
    uint64_t incarnation;
    _Atomic uint64_t broker_epoch;
    _Atomic int unfenced;
    pthread_mutex_t client_mu; /* the connection to the controller: one call at a time */
    pthread_mutex_t client_ptr_mu; /* c->client's replacement, against a shutdown from another thread */
    sl_kclient_t *client;
    int32_t client_node;

    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cond;
    int stop;
    pthread_t ctl_thread, life_thread;
    int ctl_started, life_started;
};

/* ---- the image, applied by the quorum ------------------------------------------ */

static void sl__publish(sl_cluster_t *c, sl_meta_image_t *img)
{
    pthread_mutex_lock(&c->img_mu);
    sl_meta_image_t *old = c->image;
    c->image = img;
    pthread_mutex_unlock(&c->img_mu);
    sl_meta_image_unref(old);
    if (c->on_image)
        c->on_image(c->opaque, img);
}

static void sl__fsm_apply(void *opaque, const uint8_t *entry, size_t len, uint64_t index)
{
    sl_cluster_t *c = opaque;
    pthread_mutex_lock(&c->img_mu);
    sl_meta_image_t *next = sl_meta_image_clone(c->image);
    pthread_mutex_unlock(&c->img_mu);
    if (!next) {
        sl_trace(SL_TRACE_ERROR, "cluster", "metadata entry %" PRIu64 ": out of memory; skipped", index);
        return;
    }
    sl_err_t err = sl_meta_image_apply(next, entry, len, index);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "cluster", "metadata entry %" PRIu64 " not applied: %s", index, sl_err_str(err));
        sl_meta_image_unref(next);
        return;
    }
    sl__publish(c, next);
}

static sl_err_t sl__fsm_snapshot(void *opaque, uint8_t **out, size_t *len)
{
    sl_cluster_t *c = opaque;
    sl_buf_t buf;
    sl_buf_init(&buf);
    pthread_mutex_lock(&c->img_mu);
    sl_err_t err = sl_meta_image_snapshot(c->image, &buf);
    pthread_mutex_unlock(&c->img_mu);
    if (err) {
        sl_buf_free(&buf);
        return err;
    }
    *out = buf.data;
    *len = buf.len;
    return SL_OK;
}

static sl_err_t sl__fsm_restore(void *opaque, const uint8_t *data, size_t len)
{
    sl_cluster_t *c = opaque;
    sl_meta_image_t *img = NULL;
    sl_err_t err = sl_meta_image_restore(data, len, &img);
    if (err)
        return err;
    sl__publish(c, img);
    return SL_OK;
}

static void sl__wake(sl_cluster_t *c)
{
    pthread_mutex_lock(&c->stop_mu);
    pthread_cond_broadcast(&c->stop_cond);
    pthread_mutex_unlock(&c->stop_mu);
}

static void sl__leader_changed(void *opaque, int32_t leader)
{
    sl_cluster_t *c = opaque;
    /* A call to the old controller (maybe paused, maybe gone) ends now: the
     * next goes to the new one. */
    pthread_mutex_lock(&c->client_ptr_mu);
    if (c->client && c->client_node != leader)
        sl_kclient_shutdown(c->client);
    pthread_mutex_unlock(&c->client_ptr_mu);
    sl__wake(c);
}

const sl_meta_image_t *sl_cluster_image(sl_cluster_t *c)
{
    pthread_mutex_lock(&c->img_mu);
    const sl_meta_image_t *img = sl_meta_image_ref(c->image);
    pthread_mutex_unlock(&c->img_mu);
    return img;
}

int32_t sl_cluster_controller(sl_cluster_t *c) { return sl_quorum_leader(c->quorum); }

uint64_t sl_cluster_broker_epoch(sl_cluster_t *c) { return atomic_load(&c->broker_epoch); }

/* ---- the active controller --------------------------------------------------------- */

static sl__session_t *sl__session(sl_cluster_t *c, int32_t id, int create)
{
    for (int i = 0; i < c->nsessions; i++)
        if (c->sessions[i].id == id)
            return &c->sessions[i];
    if (!create)
        return NULL;
    sl__session_t *s = realloc(c->sessions, sizeof *s * (size_t)(c->nsessions + 1));
    if (!s)
        return NULL;
    c->sessions = s;
    s = &c->sessions[c->nsessions++];
    s->id = id;
    s->last_heartbeat_ms = sl_now_ms();
    s->conn = 0;
    return s;
}

/* Proposes a batch and waits until it is applied here. Call with ctl_mu. */
static sl_err_t sl__propose(sl_cluster_t *c, const sl_meta_batch_t *b, uint64_t *index)
{
    if (!c->leading)
        return SL_ERR_NOT_CONTROLLER;
    sl_buf_t entry;
    sl_buf_init(&entry);
    sl_err_t err = sl_meta_batch_encode(b, &entry);
    uint64_t ix = 0;
    if (!err)
        err = sl_quorum_propose(c->quorum, entry.data, entry.len, &ix);
    sl_buf_free(&entry);
    if (err == SL_ERR_NOT_CONTROLLER)
        c->leading = 0;
    if (!err && index)
        *index = ix;
    return err;
}

/* Declares img, the current image (referenced: unref it). */
#define SL__WITH_IMAGE(c, img) const sl_meta_image_t *img = sl_cluster_image(c)

sl_err_t sl_cluster_register_broker(sl_cluster_t *c, int32_t id, uint64_t incarnation, const char *host,
                                    int port, uint64_t *epoch)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    /* A broker that comes back (a new process) starts fenced: whatever it led
     * moves to another in-sync replica first. */
    const sl_meta_broker_t *old = sl_meta_image_broker(img, id);
    if (old && !old->fenced) {
        sl_meta_batch_add_fence_broker(&b, id, old->epoch);
        sl_meta_fence_changes(img, id, &b);
    }
    sl_meta_batch_add_register_broker(&b, id, incarnation, host, port);
    uint64_t index = 0;
    sl_err_t err = b.err ? b.err : sl__propose(c, &b, &index);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
    if (!err) {
        const sl_meta_image_t *now = sl_cluster_image(c);
        const sl_meta_broker_t *br = sl_meta_image_broker(now, id);
        *epoch = br ? br->epoch : index;
        sl_meta_image_unref(now);
        sl__session_t *s = sl__session(c, id, 1);
        if (s)
            s->last_heartbeat_ms = sl_now_ms();
        sl_trace(SL_TRACE_INFO, "cluster", "controller: broker %d registered at %s:%d, epoch %" PRIu64, id, host,
                 port, *epoch);
    }
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

void sl_cluster_connection_closed(sl_cluster_t *c, uint64_t conn)
{
    pthread_mutex_lock(&c->closed_mu);
    if (c->nclosed < (int)(sizeof c->closed / sizeof c->closed[0]))
        c->closed[c->nclosed++] = conn;
    pthread_mutex_unlock(&c->closed_mu);
    sl__wake(c);
}

/* A broker whose heartbeat connection closed is taken for dead at once
 * (Kafka waits for the session timeout): its process ended, most likely.
 * Call with ctl_mu. */
static void sl__closed_sessions(sl_cluster_t *c)
{
    uint64_t closed[64];
    pthread_mutex_lock(&c->closed_mu);
    int n = c->nclosed;
    memcpy(closed, c->closed, sizeof closed[0] * (size_t)n);
    c->nclosed = 0;
    pthread_mutex_unlock(&c->closed_mu);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < c->nsessions; k++)
            if (c->sessions[k].conn == closed[i] && closed[i]) {
                sl_trace(SL_TRACE_INFO, "cluster", "controller: broker %d's connection closed", c->sessions[k].id);
                c->sessions[k].last_heartbeat_ms = INT64_MIN / 2;
                c->sessions[k].conn = 0;
            }
}

sl_err_t sl_cluster_heartbeat(sl_cluster_t *c, int32_t id, uint64_t epoch, int want_fence,
                              uint64_t metadata_offset, uint64_t conn, int *fenced)
{
    pthread_mutex_lock(&c->ctl_mu);
    if (!c->leading) {
        pthread_mutex_unlock(&c->ctl_mu);
        return SL_ERR_NOT_CONTROLLER;
    }
    SL__WITH_IMAGE(c, img);
    const sl_meta_broker_t *br = sl_meta_image_broker(img, id);
    sl_err_t err = SL_OK;
    if (!br || br->epoch != epoch) {
        err = SL_ERR_STALE_BROKER_EPOCH;
    } else {
        sl__session_t *s = sl__session(c, id, 1);
        if (s) {
            s->last_heartbeat_ms = sl_now_ms();
            s->conn = conn;
        }
        *fenced = br->fenced;
        /* Unfenced only once it has applied the metadata up to its own
         * registration (KRaft's rule): it then knows every partition it holds. */
        int behind = br->fenced && !want_fence && metadata_offset < br->epoch;
        if (br->fenced != want_fence && !behind) {
            sl_meta_batch_t b;
            sl_meta_batch_init(&b);
            if (want_fence) {
                sl_meta_batch_add_fence_broker(&b, id, epoch);
                sl_meta_fence_changes(img, id, &b);
            } else {
                sl_meta_batch_add_unfence_broker(&b, id, epoch);
                sl_meta_unfence_changes(img, id, &b);
            }
            err = b.err ? b.err : sl__propose(c, &b, NULL);
            sl_meta_batch_free(&b);
            if (!err) {
                *fenced = want_fence;
                sl_trace(SL_TRACE_INFO, "cluster", "controller: broker %d %s", id,
                         want_fence ? "fenced at its request (shutting down)" : "unfenced");
            }
        }
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_create_topic(sl_cluster_t *c, const char *name, int32_t partitions, int16_t rf,
                                 const char *const *keys, const char *const *values, int nconfigs,
                                 int validate_only, uint8_t id_out[16], char *errbuf, size_t errlen)
{
    if (!sl_topic_name_valid(name)) {
        snprintf(errbuf, errlen, "'%s' is not a valid topic name", name);
        return SL_ERR_INVALID_TOPIC;
    }
    if (partitions == -1)
        partitions = c->cfg.num_partitions;
    if (rf == -1)
        rf = c->cfg.default_replication_factor;
    if (partitions < 1) {
        snprintf(errbuf, errlen, "Number of partitions must be larger than 0.");
        return SL_ERR_INVALID_PARTITIONS;
    }
    if (rf < 1) {
        snprintf(errbuf, errlen, "Replication factor must be larger than 0.");
        return SL_ERR_INVALID_REPLICATION_FACTOR;
    }
    sl_log_config_t lc = c->cfg.log.log_defaults;
    for (int i = 0; i < nconfigs; i++) {
        sl_err_t e = sl_log_config_set(&lc, keys[i], values[i], errbuf, errlen);
        if (e)
            return SL_ERR_INVALID_CONFIG;
    }
    pthread_mutex_lock(&c->ctl_mu);
    if (!c->leading) {
        pthread_mutex_unlock(&c->ctl_mu);
        snprintf(errbuf, errlen, "this node is not the active controller");
        return SL_ERR_NOT_CONTROLLER;
    }
    SL__WITH_IMAGE(c, img);
    sl_err_t err = SL_OK;
    int32_t *assign = NULL;
    if (sl_meta_image_topic_by_name(img, name)) {
        snprintf(errbuf, errlen, "Topic '%s' already exists.", name);
        err = SL_ERR_TOPIC_EXISTS;
    } else if (!(assign = malloc(sizeof *assign * (size_t)partitions * (size_t)rf))) {
        err = SL_ERR_NOMEM;
    } else {
        uint32_t start = 0;
        if (getrandom(&start, sizeof start, 0) != sizeof start)
            start = (uint32_t)sl_now_ms();
        err = sl_meta_assign_replicas(img, partitions, rf, (int32_t)(start % 1024), assign);
        if (err == SL_ERR_INVALID_REPLICATION_FACTOR) {
            int n = 0;
            for (size_t i = 0; i < sl_meta_image_broker_count(img); i++)
                n += !sl_meta_image_broker_at(img, i)->fenced;
            snprintf(errbuf, errlen, "Unable to replicate the partition %d time(s): The target replication factor "
                     "of %d cannot be reached because only %d broker(s) are registered.", rf, rf, n);
        } else if (err) {
            snprintf(errbuf, errlen, "assigning replicas: %s", sl_err_str(err));
        }
    }
    uint8_t id[16];
    if (!err && getrandom(id, 16, 0) != 16)
        err = SL_ERR_IO;
    if (!err && !validate_only) {
        id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* a version 4 UUID, as Kafka's */
        id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        sl_meta_batch_add_topic(&b, name, id);
        for (int32_t p = 0; p < partitions; p++) {
            const int32_t *r = assign + (size_t)p * (size_t)rf;
            sl_meta_batch_add_partition(&b, id, p, r, rf, r, rf, r[0], 0, 0);
        }
        for (int i = 0; i < nconfigs; i++)
            sl_meta_batch_add_topic_config(&b, id, keys[i], values[i]);
        err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
        if (err)
            snprintf(errbuf, errlen, "%s", sl_err_str(err));
        else {
            if (id_out)
                memcpy(id_out, id, 16);
            sl_trace(SL_TRACE_INFO, "cluster", "controller: created topic %s (%d partitions, rf %d)", name,
                     partitions, rf);
        }
    }
    free(assign);
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_delete_topic(sl_cluster_t *c, const char *name)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, name);
    sl_err_t err = SL_ERR_UNKNOWN_TOPIC;
    if (t) {
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        sl_meta_batch_add_remove_topic(&b, t->id);
        err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
    } else if (!c->leading) {
        err = SL_ERR_NOT_CONTROLLER;
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_add_partitions(sl_cluster_t *c, const char *name, int32_t total, int validate_only,
                                   char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, name);
    sl_err_t err = SL_OK;
    int32_t *assign = NULL;
    int16_t rf = 0;
    if (!c->leading) {
        err = SL_ERR_NOT_CONTROLLER;
    } else if (!t) {
        snprintf(errbuf, errlen, "Topic '%s' does not exist.", name);
        err = SL_ERR_UNKNOWN_TOPIC;
    } else if (total <= t->npartitions) {
        snprintf(errbuf, errlen, "Topic currently has %d partitions, %d would not be an increase.", t->npartitions,
                 total);
        err = SL_ERR_INVALID_PARTITIONS;
    } else {
        rf = (int16_t)t->partitions[0].nreplicas;
        int32_t add = total - t->npartitions;
        assign = malloc(sizeof *assign * (size_t)add * (size_t)rf);
        err = assign ? sl_meta_assign_replicas(img, add, rf, t->npartitions, assign) : SL_ERR_NOMEM;
        if (err)
            snprintf(errbuf, errlen, "assigning replicas: %s", sl_err_str(err));
    }
    if (!err && !validate_only) {
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        for (int32_t p = t->npartitions; p < total; p++) {
            const int32_t *r = assign + (size_t)(p - t->npartitions) * (size_t)rf;
            sl_meta_batch_add_partition(&b, t->id, p, r, rf, r, rf, r[0], 0, 0);
        }
        err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
    }
    free(assign);
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_alter_topic_configs(sl_cluster_t *c, const char *name, const char *const *keys,
                                        const char *const *values, int n, int replace_all)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, name);
    sl_err_t err = !c->leading ? SL_ERR_NOT_CONTROLLER : !t ? SL_ERR_UNKNOWN_TOPIC : SL_OK;
    if (!err) {
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        /* AlterConfigs replaces the whole override set: what it does not name
         * goes back to the default. */
        for (int32_t i = 0; replace_all && i < t->nconfigs; i++) {
            int named = 0;
            for (int k = 0; k < n && !named; k++)
                named = values[k] && strcmp(keys[k], t->configs[i].key) == 0;
            if (!named)
                sl_meta_batch_add_topic_config(&b, t->id, t->configs[i].key, NULL);
        }
        for (int k = 0; k < n; k++)
            sl_meta_batch_add_topic_config(&b, t->id, keys[k], values[k]);
        err = b.err ? b.err : b.count ? sl__propose(c, &b, NULL) : SL_OK;
        sl_meta_batch_free(&b);
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_alter_isr(sl_cluster_t *c, int32_t broker, uint64_t broker_epoch,
                              const uint8_t topic_id[16], int32_t partition, int32_t leader_epoch,
                              int32_t partition_epoch, const int32_t *isr, int32_t nisr)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    sl_err_t err = SL_OK;
    const sl_meta_broker_t *br = sl_meta_image_broker(img, broker);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_id(img, topic_id);
    const sl_meta_partition_t *p = t ? sl_meta_topic_partition(t, partition) : NULL;
    if (!c->leading)
        err = SL_ERR_NOT_CONTROLLER;
    else if (!br || (broker_epoch != (uint64_t)-1 && br->epoch != broker_epoch))
        err = SL_ERR_STALE_BROKER_EPOCH;
    else if (!p)
        err = SL_ERR_UNKNOWN_TOPIC;
    else if (p->leader != broker)
        err = SL_ERR_NOT_LEADER_OR_FOLLOWER;
    else if (leader_epoch < p->leader_epoch)
        err = SL_ERR_FENCED_LEADER_EPOCH;
    else if (leader_epoch > p->leader_epoch)
        err = SL_ERR_UNKNOWN_LEADER_EPOCH;
    else if (partition_epoch != p->partition_epoch)
        err = SL_ERR_INVALID_UPDATE_VERSION;
    else if (nisr < 1)
        err = SL_ERR_INVALID_REQUEST;
    for (int32_t i = 0; !err && i < nisr; i++) {
        /* Only unfenced replicas join the ISR (KIP-841); the leader stays in it. */
        if (!sl_meta_partition_is_replica(p, isr[i]) ||
            (!sl_meta_partition_in_isr(p, isr[i]) && !sl_meta_image_broker_unfenced(img, isr[i])))
            err = SL_ERR_INVALID_REQUEST;
    }
    int has_leader = 0;
    for (int32_t i = 0; !err && i < nisr; i++)
        has_leader |= isr[i] == broker;
    if (!err && !has_leader)
        err = SL_ERR_INVALID_REQUEST;
    if (!err) {
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        sl_meta_batch_add_partition_change(&b, topic_id, partition, 0, -1, isr, nisr, NULL, 0);
        err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
        if (!err)
            sl_trace(SL_TRACE_INFO, "cluster", "controller: %s-%d ISR now %d member(s) (from leader %d)", t->name,
                     partition, nisr, broker);
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_elect_leader(sl_cluster_t *c, const char *topic, int32_t partition, int unclean)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    const sl_meta_topic_t *t = sl_meta_image_topic_by_name(img, topic);
    const sl_meta_partition_t *p = t ? sl_meta_topic_partition(t, partition) : NULL;
    sl_err_t err = !c->leading ? SL_ERR_NOT_CONTROLLER : !p ? SL_ERR_UNKNOWN_TOPIC : SL_OK;
    int32_t leader = -1;
    if (!err && !unclean) {
        /* Preferred: the first replica, when it is in the ISR and unfenced. */
        leader = p->replicas[0];
        if (p->leader == leader)
            err = SL_ERR_ELECTION_NOT_NEEDED;
        else if (!sl_meta_partition_in_isr(p, leader) || !sl_meta_image_broker_unfenced(img, leader))
            err = SL_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
    } else if (!err) {
        /* Unclean: only a partition without a leader, from any live replica
         * (records the ISR had and it lacks are lost). */
        if (p->leader != SL_META_NO_LEADER)
            err = SL_ERR_ELECTION_NOT_NEEDED;
        else if ((leader = sl_meta_elect_leader(img, p, 1)) < 0)
            err = SL_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
    }
    if (!err) {
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        int in_isr = sl_meta_partition_in_isr(p, leader);
        sl_meta_batch_add_partition_change(&b, t->id, partition, 1, leader, in_isr ? NULL : &leader, in_isr ? 0 : 1,
                                           NULL, 0);
        err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
        if (!err)
            sl_trace(SL_TRACE_INFO, "cluster", "controller: %s-%d: %s election made %d leader", topic, partition,
                     unclean ? "an unclean" : "a preferred", leader);
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    return err;
}

sl_err_t sl_cluster_elect_preferred(sl_cluster_t *c, int *moved)
{
    pthread_mutex_lock(&c->ctl_mu);
    SL__WITH_IMAGE(c, img);
    sl_meta_batch_t b;
    sl_meta_batch_init(&b);
    int n = sl_meta_preferred_changes(img, &b);
    sl_err_t err = c->leading ? SL_OK : SL_ERR_NOT_CONTROLLER;
    if (!err && n > 0)
        err = b.err ? b.err : sl__propose(c, &b, NULL);
    sl_meta_batch_free(&b);
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
    if (moved)
        *moved = err ? 0 : n;
    return err;
}

/* Fences every unfenced broker whose session expired. */
static void sl__expire_sessions(sl_cluster_t *c)
{
    int64_t now = sl_now_ms();
    pthread_mutex_lock(&c->ctl_mu);
    sl__closed_sessions(c);
    SL__WITH_IMAGE(c, img);
    for (size_t i = 0; c->leading && i < sl_meta_image_broker_count(img); i++) {
        const sl_meta_broker_t *br = sl_meta_image_broker_at(img, i);
        sl__session_t *s = sl__session(c, br->id, 1);
        if (br->fenced || !s || now - s->last_heartbeat_ms < c->cfg.broker_session_timeout_ms)
            continue;
        sl_meta_batch_t b;
        sl_meta_batch_init(&b);
        sl_meta_batch_add_fence_broker(&b, br->id, br->epoch);
        int moved = sl_meta_fence_changes(img, br->id, &b);
        sl_err_t err = b.err ? b.err : sl__propose(c, &b, NULL);
        sl_meta_batch_free(&b);
        if (s->last_heartbeat_ms < 0)
            sl_trace(err ? SL_TRACE_WARN : SL_TRACE_INFO, "cluster",
                     "controller: broker %d gone (its connection closed): fenced (%d partition change(s))%s%s",
                     br->id, moved, err ? ": " : "", err ? sl_err_str(err) : "");
        else
            sl_trace(err ? SL_TRACE_WARN : SL_TRACE_INFO, "cluster",
                     "controller: broker %d missed its heartbeats for %" PRId64
                     " ms: fenced (%d partition change(s))%s%s",
                     br->id, now - s->last_heartbeat_ms, moved, err ? ": " : "", err ? sl_err_str(err) : "");
        break; /* the image changed: look again next round */
    }
    sl_meta_image_unref(img);
    pthread_mutex_unlock(&c->ctl_mu);
}

static int sl__sleep(sl_cluster_t *c, int64_t ms)
{
    pthread_mutex_lock(&c->stop_mu);
    if (!c->stop) {
        struct timespec ts = sl_deadline_in_ms(ms);
        pthread_cond_timedwait(&c->stop_cond, &c->stop_mu, &ts);
    }
    int stop = c->stop;
    pthread_mutex_unlock(&c->stop_mu);
    return stop;
}

/* The unfenced brokers (other than this node) whose Kafka listener refuses a
 * TCP connection now; into ids (room for max). Each probe takes at most
 * 200 ms. */
static int sl__refusing_brokers(sl_cluster_t *c, int32_t *ids, int max)
{
    typedef struct {
        int32_t id;
        char host[SL_META_MAX_HOST + 1];
        int port;
    } probe_t;
    probe_t probes[64];
    int n = 0;
    const sl_meta_image_t *img = sl_cluster_image(c);
    for (size_t i = 0; i < sl_meta_image_broker_count(img) && n < 64; i++) {
        const sl_meta_broker_t *br = sl_meta_image_broker_at(img, i);
        if (br->fenced || br->id == c->cfg.node_id)
            continue;
        probes[n].id = br->id;
        snprintf(probes[n].host, sizeof probes[n].host, "%s", br->host);
        probes[n].port = br->port;
        n++;
    }
    sl_meta_image_unref(img);
    int found = 0;
    for (int i = 0; i < n && found < max; i++) {
        sl_kclient_t *k = NULL;
        char err[256] = "";
        if (sl_kclient_connect(probes[i].host, probes[i].port, 200, "sluice-probe", &k, err, sizeof err) == SL_OK) {
            sl_kclient_close(k);
            continue;
        }
        if (strstr(err, "refused"))
            ids[found++] = probes[i].id;
    }
    return found;
}

static void *sl__controller_main(void *arg)
{
    sl_cluster_t *c = arg;
    int64_t tick = c->cfg.broker_session_timeout_ms / 10;
    tick = tick < 20 ? 20 : tick > 250 ? 250 : tick;
    for (;;) {
        if (sl__sleep(c, tick))
            break;
        int leader = sl_quorum_is_leader(c->quorum);
        pthread_mutex_lock(&c->ctl_mu);
        int leading = c->leading;
        pthread_mutex_unlock(&c->ctl_mu);
        if (leader && !leading) {
            /* Taking over: apply everything committed before acting on it,
             * and give every broker a fresh session. */
            if (sl_quorum_barrier(c->quorum) != SL_OK)
                continue;
            /* A broker whose listener refuses connections has no process
             * behind it (the previous controller, killed, most likely): it
             * need not wait out a session to be fenced. A paused process
             * still accepts (its kernel does), and gets a session. */
            int32_t dead[SL_QUORUM_MAX_VOTERS * 4];
            int ndead = sl__refusing_brokers(c, dead, (int)(sizeof dead / sizeof dead[0]));
            pthread_mutex_lock(&c->ctl_mu);
            int64_t now = sl_now_ms();
            for (int i = 0; i < c->nsessions; i++)
                c->sessions[i].last_heartbeat_ms = now;
            for (int i = 0; i < ndead; i++) {
                sl__session_t *sd = sl__session(c, dead[i], 1);
                if (sd) {
                    sd->last_heartbeat_ms = INT64_MIN / 2;
                    sl_trace(SL_TRACE_INFO, "cluster", "controller: broker %d refuses connections", dead[i]);
                }
            }
            c->leading = 1;
            c->next_preferred_ms = now + c->cfg.leader_imbalance_check_interval_seconds * 1000;
            pthread_mutex_unlock(&c->ctl_mu);
            sl_trace(SL_TRACE_INFO, "cluster", "node %d is the active controller", c->cfg.node_id);
            sl__expire_sessions(c); /* the dead found above, now */
            continue;
        }
        if (!leader) {
            pthread_mutex_lock(&c->ctl_mu);
            c->leading = 0;
            c->nsessions = 0;
            pthread_mutex_unlock(&c->ctl_mu);
            continue;
        }
        sl__expire_sessions(c);
        if (c->cfg.auto_leader_rebalance_enable && sl_now_ms() >= c->next_preferred_ms) {
            c->next_preferred_ms = sl_now_ms() + c->cfg.leader_imbalance_check_interval_seconds * 1000;
            int moved = 0;
            if (sl_cluster_elect_preferred(c, &moved) == SL_OK && moved)
                sl_trace(SL_TRACE_INFO, "cluster", "controller: %d partition(s) back to their preferred leader",
                         moved);
        }
    }
    return NULL;
}

/* ---- this broker: registration and heartbeats --------------------------------------- */

/* How long a call to the controller may take: a broker must be able to
 * heartbeat again well within its session when the controller moves. */
static int sl__rpc_timeout(const sl_cluster_t *c)
{
    int64_t t = c->cfg.broker_session_timeout_ms / 2;
    if (t < 500)
        t = 500;
    if (t > c->cfg.replica_socket_timeout_ms)
        t = c->cfg.replica_socket_timeout_ms;
    return (int)t;
}

/* The connection to the controller (node ctl), made or remade. Call with
 * client_mu held. NULL when its address is not known yet or it cannot be
 * reached. */
static sl_kclient_t *sl__controller_client(sl_cluster_t *c, int32_t ctl)
{
    if (c->client && (c->client_node != ctl || sl_kclient_broken(c->client))) {
        pthread_mutex_lock(&c->client_ptr_mu);
        sl_kclient_close(c->client);
        c->client = NULL;
        pthread_mutex_unlock(&c->client_ptr_mu);
    }
    if (c->client)
        return c->client;
    const sl_meta_image_t *img = sl_cluster_image(c);
    const sl_meta_broker_t *br = sl_meta_image_broker(img, ctl);
    char host[SL_META_MAX_HOST + 1] = "";
    int port = 0;
    if (br) {
        snprintf(host, sizeof host, "%s", br->host);
        port = br->port;
    }
    sl_meta_image_unref(img);
    if (!port)
        return NULL;
    char err[256];
    char id[64];
    snprintf(id, sizeof id, "sluice-broker-%d", c->cfg.node_id);
    sl_kclient_t *k = NULL;
    if (sl_kclient_connect(host, port, sl__rpc_timeout(c), id, &k, err, sizeof err)) {
        sl_trace(SL_TRACE_DEBUG, "cluster", "connecting to the controller %d at %s:%d: %s", ctl, host, port, err);
        return NULL;
    }
    pthread_mutex_lock(&c->client_ptr_mu);
    c->client = k;
    c->client_node = ctl;
    pthread_mutex_unlock(&c->client_ptr_mu);
    return c->client;
}

static sl_err_t sl__register_remote(sl_cluster_t *c, sl_kclient_t *k, uint64_t *epoch)
{
    int16_t v = sl_kclient_version(k, SL_KAPI_BROKER_REGISTRATION, 0, 4);
    if (v < 0)
        return SL_ERR_UNSUPPORTED_VERSION;
    sl_kmsg_broker_registration_request_t req;
    sl_kmsg_broker_registration_request_init(&req);
    req.broker_id = c->cfg.node_id;
    req.cluster_id = sl_kstr_from("");
    memcpy(req.incarnation_id, &c->incarnation, sizeof c->incarnation);
    sl_kmsg_broker_registration_request_listener_t l;
    sl_kmsg_broker_registration_request_listener_init(&l);
    l.name = sl_kstr_from("PLAINTEXT");
    l.host = sl_kstr_from(c->adv_host);
    l.port = (uint16_t)c->adv_port;
    req.listeners.items = &l;
    req.listeners.count = 1;
    req.features.count = 0;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_broker_registration_response_t resp;
    sl_err_t err = SL_KCLIENT_CALL(k, broker_registration, v, &req, &a, &resp, sl__rpc_timeout(c));
    if (!err && resp.error_code)
        err = sl_err_from_kafka_code(resp.error_code);
    if (!err)
        *epoch = (uint64_t)resp.broker_epoch;
    sl_arena_free(&a);
    return err;
}

static sl_err_t sl__heartbeat_remote(sl_cluster_t *c, sl_kclient_t *k, uint64_t epoch, int want_shut_down,
                                     int *fenced)
{
    int16_t v = sl_kclient_version(k, SL_KAPI_BROKER_HEARTBEAT, 0, 1);
    if (v < 0)
        return SL_ERR_UNSUPPORTED_VERSION;
    sl_kmsg_broker_heartbeat_request_t req;
    sl_kmsg_broker_heartbeat_request_init(&req);
    req.broker_id = c->cfg.node_id;
    req.broker_epoch = (int64_t)epoch;
    req.current_metadata_offset = (int64_t)sl_quorum_applied(c->quorum);
    req.want_fence = 0;
    req.want_shut_down = (uint8_t)want_shut_down;
    sl_arena_t a = SL_ARENA_INIT;
    sl_kmsg_broker_heartbeat_response_t resp;
    sl_err_t err = SL_KCLIENT_CALL(k, broker_heartbeat, v, &req, &a, &resp, sl__rpc_timeout(c));
    if (!err && resp.error_code)
        err = sl_err_from_kafka_code(resp.error_code);
    if (!err)
        *fenced = resp.is_fenced;
    sl_arena_free(&a);
    return err;
}

/* One registration or heartbeat round: returns the error of the exchange. */
static sl_err_t sl__lifecycle_round(sl_cluster_t *c, int want_shut_down)
{
    int32_t ctl = sl_quorum_leader(c->quorum);
    if (ctl < 1)
        return SL_ERR_NOT_CONTROLLER;
    uint64_t epoch = atomic_load(&c->broker_epoch);
    int fenced = 1;
    sl_err_t err;
    if (ctl == c->cfg.node_id) {
        if (!epoch) {
            err = sl_cluster_register_broker(c, c->cfg.node_id, c->incarnation, c->adv_host, c->adv_port, &epoch);
            if (!err)
                atomic_store(&c->broker_epoch, epoch);
        }
        err = epoch ? sl_cluster_heartbeat(c, c->cfg.node_id, epoch, want_shut_down, sl_quorum_applied(c->quorum), 0,
                                           &fenced)
                    : SL_ERR_NOT_CONTROLLER;
    } else {
        pthread_mutex_lock(&c->client_mu);
        sl_kclient_t *k = sl__controller_client(c, ctl);
        err = k ? SL_OK : SL_ERR_BROKER_NOT_AVAILABLE;
        if (!err && !epoch) {
            err = sl__register_remote(c, k, &epoch);
            if (!err)
                atomic_store(&c->broker_epoch, epoch);
        }
        if (!err)
            err = sl__heartbeat_remote(c, k, epoch, want_shut_down, &fenced);
        pthread_mutex_unlock(&c->client_mu);
    }
    if (err == SL_ERR_STALE_BROKER_EPOCH)
        atomic_store(&c->broker_epoch, 0); /* register again */
    if (!err) {
        int was = atomic_exchange(&c->unfenced, !fenced);
        if (was != !fenced)
            sl_trace(SL_TRACE_INFO, "cluster", "broker %d is %s (epoch %" PRIu64 ")", c->cfg.node_id,
                     fenced ? "fenced" : "unfenced", epoch);
    }
    return err;
}

static void *sl__lifecycle_main(void *arg)
{
    sl_cluster_t *c = arg;
    int64_t interval = c->cfg.broker_heartbeat_interval_ms;
    for (;;) {
        sl_err_t err = sl__lifecycle_round(c, 0);
        /* Retry soon until registered and unfenced; then every interval. */
        int64_t wait = !err && atomic_load(&c->unfenced) ? interval : interval < 100 ? interval : 100;
        if (sl__sleep(c, wait))
            break;
    }
    return NULL;
}

/* ---- on behalf of clients: to the controller wherever it is ------------------------------ */

sl_err_t sl_cluster_create_topic_anywhere(sl_cluster_t *c, const char *name, int32_t partitions, int16_t rf,
                                          const char *const *keys, const char *const *values, int nconfigs,
                                          char *errbuf, size_t errlen)
{
    int32_t ctl = sl_quorum_leader(c->quorum);
    if (ctl < 1) {
        snprintf(errbuf, errlen, "no active controller");
        return SL_ERR_NOT_CONTROLLER;
    }
    if (ctl == c->cfg.node_id)
        return sl_cluster_create_topic(c, name, partitions, rf, keys, values, nconfigs, 0, NULL, errbuf, errlen);
    pthread_mutex_lock(&c->client_mu);
    sl_kclient_t *k = sl__controller_client(c, ctl);
    sl_err_t err = k ? SL_OK : SL_ERR_BROKER_NOT_AVAILABLE;
    int16_t v = k ? sl_kclient_version(k, SL_KAPI_CREATE_TOPICS, 0, 7) : -1;
    if (!err && v < 0)
        err = SL_ERR_UNSUPPORTED_VERSION;
    if (!err) {
        sl_kmsg_create_topics_request_creatable_topic_t t;
        sl_kmsg_create_topics_request_creatable_topic_init(&t);
        t.name = sl_kstr_from(name);
        /* -1 (the controller's defaults) needs v4 (KIP-464). */
        t.num_partitions = partitions == -1 && v < 4 ? c->cfg.num_partitions : partitions;
        t.replication_factor = rf == -1 && v < 4 ? c->cfg.default_replication_factor : rf;
        sl_kmsg_create_topics_request_creatable_topic_config_t cfgs[16];
        int nc = nconfigs < 16 ? nconfigs : 16;
        for (int i = 0; i < nc; i++) {
            sl_kmsg_create_topics_request_creatable_topic_config_init(&cfgs[i]);
            cfgs[i].name = sl_kstr_from(keys[i]);
            cfgs[i].value = sl_kstr_from(values[i]);
        }
        t.configs.items = cfgs;
        t.configs.count = nc;
        sl_kmsg_create_topics_request_t req;
        sl_kmsg_create_topics_request_init(&req);
        req.topics.items = &t;
        req.topics.count = 1;
        req.timeout_ms = (int32_t)c->cfg.replica_socket_timeout_ms;
        sl_arena_t a = SL_ARENA_INIT;
        sl_kmsg_create_topics_response_t resp;
        err = SL_KCLIENT_CALL(k, create_topics, v, &req, &a, &resp, sl__rpc_timeout(c));
        if (!err && resp.topics.count == 1 && resp.topics.items[0].error_code) {
            err = sl_err_from_kafka_code(resp.topics.items[0].error_code);
            sl_kstr_t m = resp.topics.items[0].error_message;
            if (m.len > 0)
                snprintf(errbuf, errlen, "%.*s", (int)m.len, m.data);
        }
        sl_arena_free(&a);
    }
    pthread_mutex_unlock(&c->client_mu);
    if (err)
        return err;
    /* Created: wait (briefly) until this node has applied it. */
    for (int i = 0; i < 100; i++) {
        const sl_meta_image_t *img = sl_cluster_image(c);
        int there = sl_meta_image_topic_by_name(img, name) != NULL;
        sl_meta_image_unref(img);
        if (there)
            break;
        if (sl__sleep(c, 20))
            break;
    }
    return SL_OK;
}

sl_err_t sl_cluster_alter_isr_anywhere(sl_cluster_t *c, const uint8_t topic_id[16], int32_t partition,
                                       int32_t leader_epoch, int32_t partition_epoch, const int32_t *isr,
                                       int32_t nisr)
{
    int32_t ctl = sl_quorum_leader(c->quorum);
    uint64_t epoch = atomic_load(&c->broker_epoch);
    if (ctl < 1 || !epoch)
        return SL_ERR_NOT_CONTROLLER;
    if (ctl == c->cfg.node_id)
        return sl_cluster_alter_isr(c, c->cfg.node_id, epoch, topic_id, partition, leader_epoch, partition_epoch,
                                    isr, nisr);
    pthread_mutex_lock(&c->client_mu);
    sl_kclient_t *k = sl__controller_client(c, ctl);
    sl_err_t err = k ? SL_OK : SL_ERR_BROKER_NOT_AVAILABLE;
    int16_t v = k ? sl_kclient_version(k, SL_KAPI_ALTER_PARTITION, 2, 3) : -1;
    if (!err && v < 0)
        err = SL_ERR_UNSUPPORTED_VERSION;
    if (!err) {
        sl_kmsg_alter_partition_request_broker_state_t states[SL_META_MAX_REPLICAS];
        int32_t ids[SL_META_MAX_REPLICAS];
        int32_t n = nisr < SL_META_MAX_REPLICAS ? nisr : SL_META_MAX_REPLICAS;
        for (int32_t i = 0; i < n; i++) {
            sl_kmsg_alter_partition_request_broker_state_init(&states[i]);
            states[i].broker_id = isr[i];
            ids[i] = isr[i];
        }
        sl_kmsg_alter_partition_request_partition_data_t pd;
        sl_kmsg_alter_partition_request_partition_data_init(&pd);
        pd.partition_index = partition;
        pd.leader_epoch = leader_epoch;
        pd.partition_epoch = partition_epoch;
        /* v3 names the ISR with broker epochs (KIP-903), v2 by id only. */
        if (v >= 3)
            pd.new_isr_with_epochs = (sl_kmsg_alter_partition_request_broker_state_array_t){states, n};
        else
            pd.new_isr = (sl_kint32_array_t){ids, n};
        sl_kmsg_alter_partition_request_topic_data_t td;
        sl_kmsg_alter_partition_request_topic_data_init(&td);
        memcpy(td.topic_id, topic_id, 16);
        td.partitions = (sl_kmsg_alter_partition_request_partition_data_array_t){&pd, 1};
        sl_kmsg_alter_partition_request_t req;
        sl_kmsg_alter_partition_request_init(&req);
        req.broker_id = c->cfg.node_id;
        req.broker_epoch = (int64_t)epoch;
        req.topics = (sl_kmsg_alter_partition_request_topic_data_array_t){&td, 1};
        sl_arena_t a = SL_ARENA_INIT;
        sl_kmsg_alter_partition_response_t resp;
        err = SL_KCLIENT_CALL(k, alter_partition, v, &req, &a, &resp, sl__rpc_timeout(c));
        if (!err && resp.error_code)
            err = sl_err_from_kafka_code(resp.error_code);
        else if (!err && resp.topics.count == 1 && resp.topics.items[0].partitions.count == 1)
            err = sl_err_from_kafka_code(resp.topics.items[0].partitions.items[0].error_code);
        sl_arena_free(&a);
    }
    pthread_mutex_unlock(&c->client_mu);
    return err;
}

/* ---- start, stop ---------------------------------------------------------------------- */

sl_err_t sl_cluster_start(const sl_broker_config_t *cfg, const char *adv_host, int adv_port,
                          sl_cluster_image_cb on_image, void *opaque, sl_cluster_t **out, char *errbuf,
                          size_t errlen)
{
    *out = NULL;
    sl_cluster_t *c = calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    c->cfg = *cfg;
    snprintf(c->adv_host, sizeof c->adv_host, "%s", adv_host);
    c->adv_port = adv_port;
    c->on_image = on_image;
    c->opaque = opaque;
    pthread_mutex_init(&c->img_mu, NULL);
    pthread_mutex_init(&c->ctl_mu, NULL);
    pthread_mutex_init(&c->closed_mu, NULL);
    pthread_mutex_init(&c->client_mu, NULL);
    pthread_mutex_init(&c->client_ptr_mu, NULL);
    pthread_mutex_init(&c->stop_mu, NULL);
    pthread_cond_init(&c->stop_cond, NULL);
    if (getrandom(&c->incarnation, sizeof c->incarnation, 0) != sizeof c->incarnation)
        c->incarnation = (uint64_t)sl_now_ms();
    c->image = sl_meta_image_new();
    sl_err_t err = c->image ? SL_OK : SL_ERR_NOMEM;
    if (!err)
        err = sl_quorum_parse_voters(cfg->controller_quorum_voters, c->voters, &c->nvoters, errbuf, errlen);
    if (!err) {
        char dir[1200];
        /* Not "<topic>-<n>": the log manager would take it for a partition. */
        snprintf(dir, sizeof dir, "%s/__cluster_metadata.raft", cfg->data_dir);
        sl_quorum_config_t qc = {
            .node_id = cfg->node_id,
            .voters = c->voters,
            .nvoters = c->nvoters,
            .dir = dir,
            .election_timeout_ms = (unsigned)cfg->controller_quorum_election_timeout_ms,
            .heartbeat_timeout_ms = (unsigned)(cfg->controller_quorum_election_timeout_ms / 10),
        };
        sl_quorum_fsm_t fsm = {.opaque = c,
                               .apply = sl__fsm_apply,
                               .snapshot = sl__fsm_snapshot,
                               .restore = sl__fsm_restore,
                               .leader_changed = sl__leader_changed};
        err = sl_quorum_start(&qc, &fsm, &c->quorum, errbuf, errlen);
    }
    if (!err) {
        if (pthread_create(&c->ctl_thread, NULL, sl__controller_main, c) != 0)
            err = SL_ERR_NOMEM;
        else
            c->ctl_started = 1;
    }
    if (!err) {
        if (pthread_create(&c->life_thread, NULL, sl__lifecycle_main, c) != 0)
            err = SL_ERR_NOMEM;
        else
            c->life_started = 1;
    }
    if (err) {
        sl_cluster_stop(c);
        return err;
    }
    pthread_setname_np(c->ctl_thread, "sl-controller");
    pthread_setname_np(c->life_thread, "sl-lifecycle");
    *out = c;
    return SL_OK;
}

void sl_cluster_stop(sl_cluster_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->stop_mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->stop_cond);
    pthread_mutex_unlock(&c->stop_mu);
    pthread_mutex_lock(&c->client_ptr_mu);
    if (c->client)
        sl_kclient_shutdown(c->client);
    pthread_mutex_unlock(&c->client_ptr_mu);
    if (c->life_started)
        pthread_join(c->life_thread, NULL);
    /* A controlled shutdown: ask to be fenced, so that what this broker leads
     * moves now rather than after the session timeout. */
    if (c->quorum && atomic_load(&c->broker_epoch) && atomic_load(&c->unfenced))
        sl__lifecycle_round(c, 1);
    if (c->ctl_started)
        pthread_join(c->ctl_thread, NULL);
    sl_quorum_stop(c->quorum);
    sl_kclient_close(c->client);
    sl_meta_image_unref(c->image);
    free(c->sessions);
    pthread_mutex_destroy(&c->img_mu);
    pthread_mutex_destroy(&c->ctl_mu);
    pthread_mutex_destroy(&c->closed_mu);
    pthread_mutex_destroy(&c->client_mu);
    pthread_mutex_destroy(&c->client_ptr_mu);
    pthread_mutex_destroy(&c->stop_mu);
    pthread_cond_destroy(&c->stop_cond);
    free(c);
}
