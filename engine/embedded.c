/* embedded.c — the public embedded-broker API (<sluice/broker.h>) over the
 * broker's own start/stop (broker/server/broker.h): what a C program, the
 * shell and the engine's local log client start a broker with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/broker.h>

#include "broker/server/broker.h"
#include "engine/logclient.h"

struct sl_embedded_broker {
    sl_broker_t *b;
    char bootstrap[300];
};

sl_err_t sl_embedded_broker_start_with(const char *data_dir, const char *listen, const char *const *props,
                                       sl_embedded_broker_t **out, char *errbuf, size_t errlen)
{
    char dummy[256]; /* errbuf may be NULL in the public API; the broker wants one */
    if (!errbuf || errlen == 0)
        errbuf = dummy, errlen = sizeof dummy;
    errbuf[0] = 0;
    if (!out) {
        snprintf(errbuf, errlen, "no place for the broker (out is NULL)");
        return SL_ERR_INVAL;
    }
    *out = NULL;
    if (!listen || strcmp(listen, "none") == 0)
        listen = "127.0.0.1:0";
    char host[256];
    int port;
    if (strstr(listen, "://") || sl_parse_listener(listen, host, sizeof host, &port) != 0) {
        snprintf(errbuf, errlen, "listen: '%s' is not HOST:PORT", listen);
        return SL_ERR_INVAL;
    }
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    /* One process: no other members to wait for before a group's first rebalance. */
    sl_err_t err = sl_broker_config_set(&cfg, "group.initial.rebalance.delay.ms", "0", errbuf, errlen);
    for (size_t i = 0; !err && props && props[i]; i += 2) {
        if (!props[i + 1]) {
            snprintf(errbuf, errlen, "%s: no value (props must come in key, value pairs)", props[i]);
            return SL_ERR_INVAL;
        }
        err = sl_broker_config_set(&cfg, props[i], props[i + 1], errbuf, errlen);
    }
    char lst[300];
    snprintf(lst, sizeof lst, "PLAINTEXT://%s", listen);
    if (!err)
        err = sl_broker_config_set(&cfg, "listeners", lst, errbuf, errlen);
    if (!err && data_dir)
        err = sl_broker_config_set(&cfg, "log.dirs", data_dir, errbuf, errlen);
    if (err)
        return err;
    sl_embedded_broker_t *eb = calloc(1, sizeof *eb);
    if (!eb) {
        snprintf(errbuf, errlen, "%s", sl_err_str(SL_ERR_NOMEM));
        return SL_ERR_NOMEM;
    }
    err = sl_broker_start(&cfg, &eb->b, errbuf, errlen);
    if (err) {
        free(eb);
        return err;
    }
    /* Clients connect where the listener is; all interfaces means loopback will do. */
    const char *h = host;
    if (!h[0] || strcmp(h, "0.0.0.0") == 0)
        h = "127.0.0.1";
    else if (strcmp(h, "::") == 0)
        h = "::1";
    snprintf(eb->bootstrap, sizeof eb->bootstrap, strchr(h, ':') ? "[%s]:%d" : "%s:%d", h,
             sl_broker_port(eb->b));
    *out = eb;
    return SL_OK;
}

sl_err_t sl_embedded_broker_start(const char *data_dir, const char *listen, sl_embedded_broker_t **out,
                                  char *errbuf, size_t errlen)
{
    return sl_embedded_broker_start_with(data_dir, listen, NULL, out, errbuf, errlen);
}

int sl_embedded_broker_port(const sl_embedded_broker_t *eb) { return eb ? sl_broker_port(eb->b) : -1; }

const char *sl_embedded_broker_bootstrap(const sl_embedded_broker_t *eb) { return eb ? eb->bootstrap : ""; }

void sl_embedded_broker_stop(sl_embedded_broker_t *eb)
{
    if (!eb)
        return;
    sl_broker_stop(eb->b);
    free(eb);
}

sl_broker_t *sl__embedded_broker_get(sl_embedded_broker_t *eb) { return eb ? eb->b : NULL; }
