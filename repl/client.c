/* client.c — the common ground of the librdkafka client commands: options,
 * configuration, quiet logging and the first contact with the cluster. */
#include "repl/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sl__client_init(sl_client_t *c, const char *cmd)
{
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    const char *env = getenv("SLUICE_BOOTSTRAP");
    c->bootstrap = env && *env ? env : SL_CLIENT_DEFAULT_BOOTSTRAP;
}

void sl__client_fail(const sl_client_t *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One line, whatever librdkafka's text holds. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "sluice %s: %s\n", c->cmd, msg);
}

int sl__client_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "sluice: option %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int sl__client_common_opt(sl_client_t *c, int argc, char **argv, int *i)
{
    const char *v;
    int r;
    if (strcmp(argv[*i], "--debug") == 0) {
        c->debug = 1;
        return 1;
    }
    if ((r = sl__client_opt(argc, argv, i, "--bootstrap", &v)) != 0) {
        if (r > 0)
            c->bootstrap = v;
        return r;
    }
    if ((r = sl__client_opt(argc, argv, i, "--property", &v)) != 0) {
        if (r < 0)
            return r;
        if (!strchr(v, '=') || v[0] == '=') {
            fprintf(stderr, "sluice: --property wants KEY=VALUE, not '%s'\n", v);
            return -1;
        }
        if (c->nprops == SL_CLIENT_MAX_PROPS) {
            fprintf(stderr, "sluice: more than %d --property options\n", SL_CLIENT_MAX_PROPS);
            return -1;
        }
        c->props[c->nprops++] = v;
        return 1;
    }
    return 0;
}

int sl__client_parse_int(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "sluice: %s wants a whole number from %lld to %lld, not '%s'\n", opt, (long long)min,
                (long long)max, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* librdkafka's log lines: dropped unless --debug. Runs on librdkafka's threads. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const sl_client_t *c = rd_kafka_opaque(rk);
    if (c && c->debug)
        fprintf(stderr, "%%%d|%s|%s: %s\n", level, fac, rd_kafka_name(rk), buf);
}

/* Errors librdkafka reports outside a request (connection refused, all
 * brokers down, fatal idempotence errors). Runs in the thread that polls. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sl_client_t *c = opaque;
    (void)rk;
    if (c->debug)
        fprintf(stderr, "sluice %s: librdkafka: %s: %s\n", c->cmd, rd_kafka_err2name(err), reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        c->all_down = 1;
        if (!c->last_err[0])
            snprintf(c->last_err, sizeof c->last_err, "%s", reason);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[256];
        int ferr = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        c->fatal = 1;
        snprintf(c->last_err, sizeof c->last_err, "%s: %s", rd_kafka_err2name(ferr), fatal);
        return;
    }
    if (!c->fatal)
        snprintf(c->last_err, sizeof c->last_err, "%s", reason);
}

static int set(sl_client_t *c, rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        sl__client_fail(c, "%s", err);
        return -1;
    }
    return 0;
}

rd_kafka_conf_t *sl__client_conf(sl_client_t *c, const char *const *defaults)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    /* Kafka's Java clients give up on a connection attempt after 10 s; librdkafka
     * waits 30 s. A command line tool should not hang on a wrong address. */
    if (set(c, conf, "bootstrap.servers", c->bootstrap) ||
        set(c, conf, "socket.connection.setup.timeout.ms", "10000") || set(c, conf, "client.id", "sluice"))
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (set(c, conf, defaults[i], defaults[i + 1]))
            goto fail;
    for (size_t i = 0; i < c->nprops; i++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", c->props[i]);
        char *eq = strchr(kv, '=');
        *eq = '\0';
        if (set(c, conf, kv, eq + 1))
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *sl__client_new(sl_client_t *c, rd_kafka_type_t type, const char *const *defaults)
{
    rd_kafka_conf_t *conf = sl__client_conf(c, defaults);
    if (!conf)
        return NULL;
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        sl__client_fail(c, "%s", err);
    }
    return rk;
}

int sl__client_connect(sl_client_t *c, rd_kafka_t *rk, int timeout_ms)
{
    int64_t deadline = sl__client_now_us() + (int64_t)timeout_ms * 1000;
    rd_kafka_resp_err_t err;
    for (;;) {
        /* Short tries, so that an "all brokers down" report ends the wait. */
        const struct rd_kafka_metadata *md;
        err = rd_kafka_metadata(rk, 0, NULL, &md, 500);
        if (!err) {
            rd_kafka_metadata_destroy(md);
            return 0;
        }
        rd_kafka_poll(rk, 0);
        if (c->all_down || c->fatal || sl__client_now_us() >= deadline)
            break;
    }
    sl__client_fail(c, "cannot reach %s: %s", c->bootstrap,
                    c->last_err[0] ? c->last_err : rd_kafka_err2str(err));
    return -1;
}

void sl__client_destroy(rd_kafka_t *rk)
{
    if (!rk)
        return;
    rd_kafka_destroy(rk);
}

int64_t sl__client_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
