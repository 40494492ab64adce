/* client.c — the public producer/admin client (<sluice/client.h>): a thin
 * layer over the engine's log client. */
#include <stdio.h>
#include <stdlib.h>

#include <sluice/client.h>

#include "engine/logclient.h"

struct sl_client {
    sl_lc_t *lc;
};

sl_err_t sl_client_new(const char *bootstrap, sl_embedded_broker_t *eb, sl_client_t **out,
                       char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    if (!out || (!bootstrap && !eb)) {
        snprintf(errbuf, errlen, "give a bootstrap address or an embedded broker");
        return SL_ERR_INVAL;
    }
    sl_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return SL_ERR_NOMEM;
    sl_lc_config_t cfg = {.client_id = "sluice-client"};
    sl_err_t err = bootstrap ? sl_lc_new_kafka(bootstrap, &cfg, &c->lc, errbuf, errlen)
                             : sl_lc_new_local(sl__embedded_broker_get(eb), &cfg, &c->lc, errbuf,
                                               errlen);
    if (err) {
        free(c);
        return err;
    }
    *out = c;
    return SL_OK;
}

void sl_client_destroy(sl_client_t *c)
{
    if (!c)
        return;
    sl_lc_destroy(c->lc);
    free(c);
}

sl_err_t sl_client_create_topic(sl_client_t *c, const char *topic, int32_t partitions,
                                char *errbuf, size_t errlen)
{
    if (!c || !topic)
        return SL_ERR_INVAL;
    return sl_lc_create_topic(c->lc, topic, partitions, -1, NULL, errbuf, errlen);
}

sl_err_t sl_client_create_topic_with(sl_client_t *c, const char *topic, int32_t partitions,
                                     const char *const *configs, char *errbuf, size_t errlen)
{
    if (!c || !topic)
        return SL_ERR_INVAL;
    return sl_lc_create_topic(c->lc, topic, partitions, -1, configs, errbuf, errlen);
}

sl_err_t sl_client_delete_topic(sl_client_t *c, const char *topic)
{
    return c && topic ? sl_lc_delete_topic(c->lc, topic) : SL_ERR_INVAL;
}

sl_err_t sl_client_produce(sl_client_t *c, const char *topic, const void *key, size_t key_len,
                           const void *value, size_t value_len, int64_t timestamp)
{
    if (!c || !topic)
        return SL_ERR_INVAL;
    static const uint8_t empty[1];
    sl_lc_record_t r = {
        .key = key ? (sl_bytes_t){key_len ? key : empty, key_len} : (sl_bytes_t){0},
        .value = value ? (sl_bytes_t){value_len ? value : empty, value_len} : (sl_bytes_t){0},
        .timestamp = timestamp,
    };
    return sl_lc_produce(c->lc, topic, SL_LC_PARTITION_ANY, &r);
}

sl_err_t sl_client_flush(sl_client_t *c, int timeout_ms)
{
    return c ? sl_lc_flush(c->lc, timeout_ms) : SL_ERR_INVAL;
}

sl_err_t sl_client_partitions(sl_client_t *c, const char *topic, int32_t *n)
{
    return c && topic && n ? sl_lc_partition_count(c->lc, topic, n) : SL_ERR_INVAL;
}
