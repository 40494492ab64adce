/* config.c — server.properties: Kafka's keys, defaults and file format. */
#include "broker/server/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "common/trace.h"

void sl_broker_config_default(sl_broker_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->node_id = 1;
    cfg->listener_port = 9092;
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "./sluice-data");
    cfg->num_partitions = 1;
    cfg->default_replication_factor = 1;
    cfg->auto_create_topics_enable = 1;
    cfg->delete_topic_enable = 1;
    cfg->min_insync_replicas = 1;
    cfg->transactional_id_expiration_ms = 604800000;
    cfg->producer_id_expiration_ms = 86400000;
    cfg->offsets_topic_num_partitions = 50;
    cfg->offsets_topic_replication_factor = 3;
    cfg->offsets_retention_minutes = 10080;
    cfg->group_initial_rebalance_delay_ms = 3000;
    cfg->group_min_session_timeout_ms = 6000;
    cfg->group_max_session_timeout_ms = 1800000;
    cfg->broker_session_timeout_ms = 9000;
    cfg->broker_heartbeat_interval_ms = 2000;
    cfg->controller_quorum_election_timeout_ms = 1000;
    cfg->replica_lag_time_max_ms = 30000;
    cfg->replica_fetch_wait_max_ms = 500;
    cfg->replica_fetch_min_bytes = 1;
    cfg->replica_fetch_max_bytes = 1048576;
    cfg->replica_fetch_response_max_bytes = 10485760;
    cfg->replica_fetch_backoff_ms = 1000;
    cfg->replica_socket_timeout_ms = 30000;
    cfg->auto_leader_rebalance_enable = 1;
    cfg->leader_imbalance_check_interval_seconds = 300;
    cfg->net = sl_net_config_default();
    cfg->log = sl_logmgr_config_default();
}

int sl_parse_listener(const char *text, char *host, size_t hostlen, int *port)
{
    const char *p = strstr(text, "://");
    if (p) {
        /* Only plaintext listeners exist so far. */
        if (strncasecmp(text, "PLAINTEXT://", 12) != 0)
            return -1;
        p += 3;
    } else {
        p = text;
    }
    const char *colon;
    const char *hs = p, *he;
    if (*p == '[') {
        he = strchr(p, ']');
        if (!he || he[1] != ':')
            return -1;
        hs = p + 1;
        colon = he + 1;
    } else {
        colon = strrchr(p, ':');
        if (!colon)
            return -1;
        he = colon;
    }
    if ((size_t)(he - hs) >= hostlen)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || v < 0 || v > 65535)
        return -1;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = 0;
    *port = (int)v;
    return 0;
}

static int sl__parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int sl__parse_bool(const char *s, int *out)
{
    if (strcasecmp(s, "true") == 0)
        *out = 1;
    else if (strcasecmp(s, "false") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

/* Broker keys whose value sets the default of a topic-level key. */
static const struct {
    const char *broker_key, *topic_key;
} sl__topic_twins[] = {
    {"log.segment.bytes", "segment.bytes"},
    {"log.index.size.max.bytes", "segment.index.bytes"},
    {"log.index.interval.bytes", "index.interval.bytes"},
    {"log.flush.interval.messages", "flush.messages"},
    {"log.flush.interval.ms", "flush.ms"},
    {"log.retention.bytes", "retention.bytes"},
    {"log.cleanup.policy", "cleanup.policy"},
    {"log.cleaner.delete.retention.ms", "delete.retention.ms"},
    {"log.cleaner.min.cleanable.ratio", "min.cleanable.dirty.ratio"},
    {"log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"},
    {"log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"},
    {"message.max.bytes", "max.message.bytes"},
    {"log.message.timestamp.type", "message.timestamp.type"},
    {"log.message.timestamp.before.max.ms", "message.timestamp.before.max.ms"},
    {"log.message.timestamp.after.max.ms", "message.timestamp.after.max.ms"},
};

/* Integer keys: where they go and their bounds. */
typedef struct sl__int_key {
    const char *key;
    size_t off;
    int width; /* 2, 4 or 8 bytes */
    int64_t min, max;
} sl__int_key_t;

#define SL__K(k, field, w, lo, hi) {k, offsetof(sl_broker_config_t, field), w, lo, hi}
static const sl__int_key_t sl__int_keys[] = {
    SL__K("node.id", node_id, 4, 0, INT32_MAX),
    SL__K("broker.id", node_id, 4, 0, INT32_MAX),
    SL__K("num.partitions", num_partitions, 4, 1, INT32_MAX),
    SL__K("default.replication.factor", default_replication_factor, 2, 1, INT16_MAX),
    SL__K("min.insync.replicas", min_insync_replicas, 4, 1, INT32_MAX),
    SL__K("transactional.id.expiration.ms", transactional_id_expiration_ms, 8, 1, INT64_MAX),
    SL__K("producer.id.expiration.ms", producer_id_expiration_ms, 8, 1, INT64_MAX),
    SL__K("offsets.topic.num.partitions", offsets_topic_num_partitions, 4, 1, INT32_MAX),
    SL__K("offsets.topic.replication.factor", offsets_topic_replication_factor, 2, 1, INT16_MAX),
    SL__K("offsets.retention.minutes", offsets_retention_minutes, 8, 1, INT64_MAX),
    SL__K("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, 8, 0, INT64_MAX),
    SL__K("group.min.session.timeout.ms", group_min_session_timeout_ms, 8, 0, INT64_MAX),
    SL__K("group.max.session.timeout.ms", group_max_session_timeout_ms, 8, 0, INT64_MAX),
    SL__K("broker.session.timeout.ms", broker_session_timeout_ms, 8, 1, INT32_MAX),
    SL__K("broker.heartbeat.interval.ms", broker_heartbeat_interval_ms, 8, 1, INT32_MAX),
    SL__K("controller.quorum.election.timeout.ms", controller_quorum_election_timeout_ms, 8, 10, 600000),
    SL__K("replica.lag.time.max.ms", replica_lag_time_max_ms, 8, 1, INT64_MAX),
    SL__K("replica.fetch.wait.max.ms", replica_fetch_wait_max_ms, 8, 0, INT32_MAX),
    SL__K("replica.fetch.min.bytes", replica_fetch_min_bytes, 4, 1, INT32_MAX),
    SL__K("replica.fetch.max.bytes", replica_fetch_max_bytes, 4, 0, INT32_MAX),
    SL__K("replica.fetch.response.max.bytes", replica_fetch_response_max_bytes, 4, 0, INT32_MAX),
    SL__K("replica.fetch.backoff.ms", replica_fetch_backoff_ms, 8, 0, INT32_MAX),
    SL__K("replica.socket.timeout.ms", replica_socket_timeout_ms, 8, 1, INT32_MAX),
    SL__K("leader.imbalance.check.interval.seconds", leader_imbalance_check_interval_seconds, 8, 1, INT32_MAX),
    SL__K("num.network.threads", net.num_network_threads, 4, 1, 256),
    SL__K("num.io.threads", net.num_io_threads, 4, 1, 256),
    SL__K("queued.max.requests", net.queued_max_requests, 4, 1, INT32_MAX),
    SL__K("socket.request.max.bytes", net.socket_request_max_bytes, 4, 1, INT32_MAX),
    SL__K("connections.max.idle.ms", net.connections_max_idle_ms, 8, 1, INT64_MAX),
    SL__K("socket.send.buffer.bytes", net.socket_send_buffer_bytes, 4, -1, INT32_MAX),
    SL__K("socket.receive.buffer.bytes", net.socket_receive_buffer_bytes, 4, -1, INT32_MAX),
    SL__K("socket.listen.backlog.size", net.socket_listen_backlog_size, 4, 1, INT32_MAX),
    SL__K("log.retention.check.interval.ms", log.retention_check_interval_ms, 8, 1, INT64_MAX),
    SL__K("log.flush.offset.checkpoint.interval.ms", log.checkpoint_interval_ms, 8, 0, INT64_MAX),
    SL__K("log.flush.scheduler.interval.ms", log.flush_scheduler_interval_ms, 8, 1, INT64_MAX),
    SL__K("log.cleaner.backoff.ms", log.cleaner_backoff_ms, 8, 0, INT64_MAX),
};
#undef SL__K

static void sl__store(void *field, int width, int64_t v)
{
    if (width == 2) {
        int16_t x = (int16_t)v;
        memcpy(field, &x, 2);
    } else if (width == 4) {
        int32_t x = (int32_t)v;
        memcpy(field, &x, 4);
    } else {
        memcpy(field, &v, 8);
    }
}

/* log.retention.ms beats .minutes beats .hours, whatever order they come in
 * (Kafka's rule); the same for log.roll.ms over log.roll.hours. The config
 * remembers the most specific key applied so far. */
static sl_err_t sl__set_time_key(sl_broker_config_t *cfg, const char *key, const char *value,
                                 char *errbuf, size_t errlen, int *handled)
{
    static const struct {
        const char *key;
        int64_t unit;
        int roll;
        int8_t rank; /* higher wins */
    } keys[] = {
        {"log.retention.ms", 1, 0, 3},          {"log.retention.minutes", 60000, 0, 2},
        {"log.retention.hours", 3600000, 0, 1}, {"log.roll.ms", 1, 1, 3},
        {"log.roll.hours", 3600000, 1, 1},
    };
    *handled = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i].key) != 0)
            continue;
        *handled = 1;
        int64_t v;
        int64_t min = keys[i].roll ? 1 : -1;
        if (sl__parse_i64(value, &v) != 0 || v < min || (v > 0 && v > INT64_MAX / keys[i].unit)) {
            snprintf(errbuf, errlen, "%s: '%s' is not an integer >= %" PRId64, key, value, min);
            return SL_ERR_CONFIG;
        }
        int64_t ms = v < 0 ? -1 : v * keys[i].unit;
        int8_t *rank = keys[i].roll ? &cfg->roll_key_rank : &cfg->retention_key_rank;
        if (keys[i].rank < *rank)
            return SL_OK; /* a more specific key was set already */
        *rank = keys[i].rank;
        if (keys[i].roll)
            cfg->log.log_defaults.segment_ms = ms;
        else
            cfg->log.log_defaults.retention_ms = ms;
        return SL_OK;
    }
    return SL_OK;
}

sl_err_t sl_broker_config_set(sl_broker_config_t *cfg, const char *key, const char *value,
                              char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    for (size_t i = 0; i < sizeof sl__int_keys / sizeof sl__int_keys[0]; i++) {
        const sl__int_key_t *k = &sl__int_keys[i];
        if (strcmp(key, k->key) != 0)
            continue;
        int64_t v;
        if (sl__parse_i64(value, &v) != 0 || v < k->min || v > k->max) {
            snprintf(errbuf, errlen, "%s: '%s' is not an integer in [%" PRId64 ", %" PRId64 "]", key,
                     value, k->min, k->max);
            return SL_ERR_CONFIG;
        }
        sl__store((char *)cfg + k->off, k->width, v);
        /* Also the default of the topic-level key of the same name. */
        if (strcmp(key, "min.insync.replicas") == 0)
            cfg->log.log_defaults.min_insync_replicas = (int32_t)v;
        return SL_OK;
    }
    for (size_t i = 0; i < sizeof sl__topic_twins / sizeof sl__topic_twins[0]; i++) {
        if (strcmp(key, sl__topic_twins[i].broker_key) != 0)
            continue;
        char inner[256];
        sl_log_config_t c = cfg->log.log_defaults;
        sl_err_t err = sl_log_config_set(&c, sl__topic_twins[i].topic_key, value, inner, sizeof inner);
        if (err) {
            /* Name the key the user wrote, not the topic-level twin. */
            const char *why = strchr(inner, ':');
            snprintf(errbuf, errlen, "%s%s", key, why ? why : ": bad value");
            return SL_ERR_CONFIG;
        }
        cfg->log.log_defaults = c;
        return SL_OK;
    }
    int handled;
    sl_err_t err = sl__set_time_key(cfg, key, value, errbuf, errlen, &handled);
    if (handled)
        return err;
    int b;
    static const struct {
        const char *key;
        size_t off;
    } bools[] = {
        {"auto.create.topics.enable", offsetof(sl_broker_config_t, auto_create_topics_enable)},
        {"delete.topic.enable", offsetof(sl_broker_config_t, delete_topic_enable)},
        {"log.cleaner.enable", offsetof(sl_broker_config_t, log.cleaner_enable)},
        {"unclean.leader.election.enable", offsetof(sl_broker_config_t, unclean_leader_election_enable)},
        {"auto.leader.rebalance.enable", offsetof(sl_broker_config_t, auto_leader_rebalance_enable)},
    };
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        if (strcmp(key, bools[i].key) != 0)
            continue;
        if (sl__parse_bool(value, &b) != 0) {
            snprintf(errbuf, errlen, "%s: '%s' is not true or false", key, value);
            return SL_ERR_CONFIG;
        }
        memcpy((char *)cfg + bools[i].off, &b, sizeof b);
        if (strcmp(key, "unclean.leader.election.enable") == 0)
            cfg->log.log_defaults.unclean_leader_election = b;
        return SL_OK;
    }
    if (strcmp(key, "controller.quorum.voters") == 0 || strcmp(key, "controller.quorum.bootstrap.servers") == 0) {
        if (strlen(value) >= sizeof cfg->controller_quorum_voters) {
            snprintf(errbuf, errlen, "%s: too long", key);
            return SL_ERR_CONFIG;
        }
        snprintf(cfg->controller_quorum_voters, sizeof cfg->controller_quorum_voters, "%s", value);
        return SL_OK;
    }
    if (strcmp(key, "process.roles") == 0) {
        /* Every node is broker and controller (KRaft's combined mode). */
        if (strcmp(value, "broker,controller") != 0 && strcmp(value, "controller,broker") != 0) {
            snprintf(errbuf, errlen, "%s: only 'broker,controller' is supported (every node is both)", key);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    }
    if (strcmp(key, "listeners") == 0 || strcmp(key, "advertised.listeners") == 0) {
        /* The first listener is ours; several are not supported yet. */
        char first[512];
        snprintf(first, sizeof first, "%s", value);
        char *comma = strchr(first, ',');
        if (comma)
            *comma = 0;
        char host[256];
        int port;
        if (sl_parse_listener(first, host, sizeof host, &port) != 0) {
            snprintf(errbuf, errlen, "%s: '%s' is not PLAINTEXT://host:port", key, value);
            return SL_ERR_CONFIG;
        }
        if (key[0] == 'l') {
            snprintf(cfg->listener_host, sizeof cfg->listener_host, "%s", host);
            cfg->listener_port = port;
        } else {
            snprintf(cfg->advertised_host, sizeof cfg->advertised_host, "%s", host);
            cfg->advertised_port = port;
        }
        return SL_OK;
    }
    if (strcmp(key, "log.dirs") == 0 || strcmp(key, "log.dir") == 0) {
        /* One data directory: JBOD (several log.dirs) is not supported yet. */
        if (!*value || strchr(value, ',') || strlen(value) >= sizeof cfg->data_dir) {
            snprintf(errbuf, errlen, "%s: '%s' must be exactly one directory", key, value);
            return SL_ERR_CONFIG;
        }
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", value);
        return SL_OK;
    }
    snprintf(errbuf, errlen, "unknown broker config key '%s'", key);
    return SL_ERR_INVAL;
}

/* Undoes a properties value's escapes in place. */
static void sl__unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 't': *w++ = '\t'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 'f': *w++ = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            int k = 0;
            for (; k < 4 && r[1 + k]; k++) {
                char c = r[1 + k];
                unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                           : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                                  : 16u;
                if (d == 16)
                    break;
                cp = cp * 16 + d;
            }
            r += k;
            /* UTF-8 encode (the BMP is enough for config values) */
            if (cp < 0x80) {
                *w++ = (char)cp;
            } else if (cp < 0x800) {
                *w++ = (char)(0xc0 | (cp >> 6));
                *w++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *w++ = (char)(0xe0 | (cp >> 12));
                *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *w++ = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default: *w++ = *r;
        }
    }
    *w = 0;
}

static char *sl__trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\f')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n' ||
                 s[n - 1] == '\f'))
        s[--n] = 0;
    return s;
}

sl_err_t sl_broker_config_load(sl_broker_config_t *cfg, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return SL_ERR_IO;
    }
    char *line = NULL, *logical = NULL;
    size_t cap = 0, lcap = 0, llen = 0;
    int lineno = 0, start_line = 0;
    sl_err_t err = SL_OK;
    ssize_t n;
    while (!err && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        char *t = sl__trim(line);
        if (llen == 0 && (*t == '#' || *t == '!' || *t == 0))
            continue;
        if (llen == 0)
            start_line = lineno;
        size_t tl = strlen(t);
        /* An odd number of trailing backslashes continues the line. */
        size_t bs = 0;
        while (bs < tl && t[tl - 1 - bs] == '\\')
            bs++;
        int cont = bs % 2 == 1;
        if (cont)
            t[--tl] = 0;
        if (llen + tl + 1 > lcap) {
            lcap = (llen + tl + 1) * 2;
            char *p = realloc(logical, lcap);
            if (!p) {
                err = SL_ERR_NOMEM;
                break;
            }
            logical = p;
        }
        memcpy(logical + llen, t, tl + 1);
        llen += tl;
        if (cont)
            continue;
        /* key and value split at the first unescaped '=', ':' or whitespace */
        char *k = logical, *sep = k;
        while (*sep && *sep != '=' && *sep != ':' && *sep != ' ' && *sep != '\t') {
            if (*sep == '\\' && sep[1])
                sep++;
            sep++;
        }
        char *v = sep;
        if (*v) {
            *v++ = 0;
            v = sl__trim(v);
            if ((*v == '=' || *v == ':') && (sep[0] == 0)) {
                /* "key = value": the separator came after whitespace */
                v = sl__trim(v + 1);
            }
        }
        sl__unescape(k);
        sl__unescape(v);
        char why[512];
        sl_err_t e = sl_broker_config_set(cfg, k, v, why, sizeof why);
        if (e == SL_ERR_INVAL) {
            sl_trace(SL_TRACE_WARN, "config", "%s:%d: ignoring unknown key '%s'", path, start_line, k);
        } else if (e) {
            snprintf(errbuf, errlen, "%s:%d: %s", path, start_line, why);
            err = e;
        }
        llen = 0;
    }
    free(line);
    free(logical);
    fclose(f);
    return err;
}
