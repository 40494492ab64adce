/* topology.c — the topology graph the DSL builds: nodes, edges, stores,
 * latched build errors, sub-topologies, the text description; and the
 * engine's configuration. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

/* ---- configuration -------------------------------------------------------------------- */

sl_config_t *sl_config_new(void) { return calloc(1, sizeof(sl_config_t)); }

void sl_config_destroy(sl_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++)
        free(cfg->e[i].key), free(cfg->e[i].value);
    free(cfg->e);
    free(cfg);
}

static int parse_i64(const char *v, int64_t min, int64_t *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < min)
        return -1;
    *out = x;
    return 0;
}

static int one_of(const char *v, const char *const *opts)
{
    for (; *opts; opts++)
        if (!strcmp(v, *opts))
            return 1;
    return 0;
}

/* Checks a known key's value: 1 known and fine, 0 unknown, -1 bad (errbuf). */
static int check_key(const char *key, const char *value, char *errbuf, size_t errlen)
{
    static const char *const ints[][2] = {
        {"commit.interval.ms", "0"},     {"cache.max.bytes.buffering", "0"},
        {"statestore.cache.max.bytes", "0"}, {"num.stream.threads", "1"},
        {"replication.factor", "-1"},    {"num.standby.replicas", "0"},
        {"poll.ms", "0"},                {"max.task.idle.ms", "-1"},
    };
    int64_t x;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i][0]))
            continue;
        if (parse_i64(value, strtoll(ints[i][1], NULL, 10), &x)) {
            snprintf(errbuf, errlen, "%s: '%s' is not an integer >= %s", key, value, ints[i][1]);
            return -1;
        }
        if (!strcmp(key, "num.standby.replicas") && x != 0) {
            snprintf(errbuf, errlen, "num.standby.replicas: only 0 is supported");
            return -1;
        }
        return 1;
    }
    static const char *const deser[] = {"logAndContinue", "logAndFail", NULL};
    static const char *const prod[] = {"fail", "continue", NULL};
    static const char *const guar[] = {"at_least_once", NULL};
    static const char *const reset[] = {"earliest", "latest", NULL};
    struct {
        const char *key;
        const char *const *opts;
    } enums[] = {
        {"default.deserialization.exception.handler", deser},
        {"default.production.exception.handler", prod},
        {"processing.guarantee", guar},
        {"auto.offset.reset", reset},
    };
    for (size_t i = 0; i < sizeof enums / sizeof enums[0]; i++) {
        if (strcmp(key, enums[i].key))
            continue;
        if (!one_of(value, enums[i].opts)) {
            size_t off = (size_t)snprintf(errbuf, errlen, "%s: '%s' is not one of", key, value);
            for (const char *const *o = enums[i].opts; *o && off < errlen; o++)
                off += (size_t)snprintf(errbuf + off, errlen - off, " %s", *o);
            return -1;
        }
        return 1;
    }
    if (!strcmp(key, "application.id")) {
        if (!*value || strlen(value) > 200 || strspn(value, "abcdefghijklmnopqrstuvwxyz"
                                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                           "0123456789._-") != strlen(value)) {
            snprintf(errbuf, errlen,
                     "application.id: '%s' must be 1..200 of [a-zA-Z0-9._-] (it names topics)",
                     value);
            return -1;
        }
        return 1;
    }
    if (!strcmp(key, "bootstrap.servers") || !strcmp(key, "state.dir") ||
        !strcmp(key, "client.id") || !strcmp(key, "processing.log.topic"))
        return 1;
    if (!strncmp(key, "consumer.", 9) || !strncmp(key, "producer.", 9) ||
        !strncmp(key, "admin.", 6))
        return 1;
    return 0;
}

sl_err_t sl_config_set(sl_config_t *cfg, const char *key, const char *value, char *errbuf,
                       size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    errbuf[0] = 0;
    if (!cfg || !key || !value) {
        snprintf(errbuf, errlen, "config key and value must not be NULL");
        return SL_ERR_CONFIG;
    }
    int known = check_key(key, value, errbuf, errlen);
    if (known < 0)
        return SL_ERR_CONFIG;
    if (!known)
        snprintf(errbuf, errlen, "warning: unknown configuration key '%s' (ignored)", key);
    char *v = strdup(value);
    if (!v)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < cfg->n; i++) {
        if (!strcmp(cfg->e[i].key, key)) {
            free(cfg->e[i].value);
            cfg->e[i].value = v;
            return SL_OK;
        }
    }
    if (cfg->n == cfg->cap) {
        size_t cap = cfg->cap ? cfg->cap * 2 : 16;
        sl_config_entry_t *e = realloc(cfg->e, cap * sizeof *e);
        if (!e) {
            free(v);
            return SL_ERR_NOMEM;
        }
        cfg->e = e, cfg->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return SL_ERR_NOMEM;
    }
    cfg->e[cfg->n++] = (sl_config_entry_t){k, v};
    return SL_OK;
}

const char *sl_config_get(const sl_config_t *cfg, const char *key)
{
    if (!cfg || !key)
        return NULL;
    for (size_t i = 0; i < cfg->n; i++)
        if (!strcmp(cfg->e[i].key, key))
            return cfg->e[i].value;
    return NULL;
}

/* ---- topology ---------------------------------------------------------------------------- */

sl_topology_t *sl_topology_new(void)
{
    sl_topology_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->default_key_serde = &sl_serde_bytes;
    t->default_value_serde = &sl_serde_bytes;
    return t;
}

static void node_free(sl_node_t *n)
{
    if (n->def) {
        if (n->vt->free_def)
            n->vt->free_def(n->def);
        else
            free(n->def);
    }
    free(n->children);
    free(n->parents);
    free(n->stores);
    for (int i = 0; i < n->ntopics; i++)
        free(n->topics[i]);
    free(n->topics);
    free(n->topic);
    free(n->name);
    free(n);
}

void sl_topology_destroy(sl_topology_t *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->nnodes; i++)
        node_free(t->nodes[i]);
    free(t->nodes);
    for (int i = 0; i < t->nstores; i++) {
        free(t->stores[i]->name);
        free(t->stores[i]);
    }
    free(t->stores);
    for (size_t i = 0; i < t->nallocs; i++)
        free(t->allocs[i]);
    free(t->allocs);
    free(t->error);
    free(t);
}

void sl_topology_set_default_serdes(sl_topology_t *t, const sl_serde_t *key_serde,
                                    const sl_serde_t *value_serde)
{
    if (!t)
        return;
    if (key_serde)
        t->default_key_serde = key_serde;
    if (value_serde)
        t->default_value_serde = value_serde;
}

const char *sl_topology_error(const sl_topology_t *t) { return t ? t->error : "topology is NULL"; }

void *sl__topo_fail(sl_topology_t *t, const char *fmt, ...)
{
    if (!t || t->error)
        return NULL;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    t->error = strdup(msg);
    if (!t->error)
        t->error = (char *)NULL;
    return NULL;
}

void *sl__topo_alloc(sl_topology_t *t, size_t n)
{
    if (t->nallocs == t->allocs_cap) {
        size_t cap = t->allocs_cap ? t->allocs_cap * 2 : 32;
        void **a = realloc(t->allocs, cap * sizeof *a);
        if (!a)
            return sl__topo_fail(t, "out of memory");
        t->allocs = a, t->allocs_cap = cap;
    }
    void *p = calloc(1, n ? n : 1);
    if (!p)
        return sl__topo_fail(t, "out of memory");
    t->allocs[t->nallocs++] = p;
    return p;
}

char *sl__topo_strdup(sl_topology_t *t, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = sl__topo_alloc(t, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int c = *cap ? *cap * 2 : 4;
    while (c < need)
        c *= 2;
    void *p = realloc(*arr, (size_t)c * elem);
    if (!p)
        return -1;
    *arr = p, *cap = c;
    return 0;
}

int sl__node_connect(sl_node_t *parent, sl_node_t *child)
{
    if (grow((void **)&parent->children, &parent->children_cap, parent->nchildren + 1,
             sizeof(sl_node_t *)) ||
        grow((void **)&child->parents, &child->parents_cap, child->nparents + 1,
             sizeof(sl_node_t *))) {
        sl__topo_fail(parent->topo, "out of memory");
        return -1;
    }
    parent->children[parent->nchildren++] = child;
    child->parents[child->nparents++] = parent;
    return 0;
}

sl_node_t *sl__node_add(sl_topology_t *t, const sl_node_vt_t *vt, void *def, const char *name,
                        sl_node_t *const *parents, int nparents)
{
    sl_node_t *n = NULL;
    if (!t || t->error || t->built)
        goto fail;
    for (int i = 0; i < nparents; i++)
        if (!parents[i])
            goto fail;
    char gen[128];
    if (!name) {
        snprintf(gen, sizeof gen, "%s%s-%010d", t->name_prefix, vt->kind, t->counter);
        name = gen;
    } else {
        for (int i = 0; i < t->nnodes; i++) {
            if (!strcmp(t->nodes[i]->name, name)) {
                sl__topo_fail(t, "%s: the name is used by another node", name);
                goto fail;
            }
        }
    }
    t->counter++;
    n = calloc(1, sizeof *n);
    if (!n || !(n->name = strdup(name)) ||
        grow((void **)&t->nodes, &t->nodes_cap, t->nnodes + 1, sizeof(sl_node_t *))) {
        sl__topo_fail(t, "out of memory");
        goto fail;
    }
    n->topo = t;
    n->vt = vt;
    n->def = def;
    n->id = t->nnodes;
    n->subtopology = -1;
    t->nodes[t->nnodes++] = n;
    for (int i = 0; i < nparents; i++)
        if (sl__node_connect(parents[i], n))
            return NULL;
    return n;
fail:
    if (n) {
        n->vt = vt;
        node_free(n);
    } else if (def) {
        if (vt->free_def)
            vt->free_def(def);
        else
            free(def);
    }
    return NULL;
}

int sl__node_use_store(sl_node_t *n, int store)
{
    int *s = realloc(n->stores, (size_t)(n->nstores + 1) * sizeof *s);
    if (!s) {
        sl__topo_fail(n->topo, "out of memory");
        return -1;
    }
    s[n->nstores++] = store;
    n->stores = s;
    return 0;
}

int sl__store_find(const sl_topology_t *t, const char *name)
{
    for (int i = 0; i < t->nstores; i++)
        if (!strcmp(t->stores[i]->name, name))
            return i;
    return -1;
}

static int valid_store_name(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= SL_STATE_MAX_STORE_NAME &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

int sl__store_add(sl_topology_t *t, const char *name, const char *prefix, sl_store_type_t type,
                  const sl_serde_t *key_serde, const sl_serde_t *value_serde,
                  const sl_materialized_t *m)
{
    if (!t || t->error)
        return -1;
    char gen[160];
    int queryable = name != NULL;
    if (!name) {
        snprintf(gen, sizeof gen, "%s%s-STATE-STORE-%010d", t->name_prefix, prefix, t->counter++);
        name = gen;
    }
    if (!valid_store_name(name)) {
        sl__topo_fail(t, "store '%s': a name is 1..%d of [a-zA-Z0-9._-]", name,
                      SL_STATE_MAX_STORE_NAME);
        return -1;
    }
    if (sl__store_find(t, name) >= 0) {
        sl__topo_fail(t, "store '%s': the name is used by another store", name);
        return -1;
    }
    sl_store_t *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name)) ||
        grow((void **)&t->stores, &t->stores_cap, t->nstores + 1, sizeof(sl_store_t *))) {
        if (s)
            free(s->name);
        free(s);
        sl__topo_fail(t, "out of memory");
        return -1;
    }
    s->id = t->nstores;
    s->type = type;
    s->key_serde = sl__key_serde(t, key_serde);
    s->value_serde = sl__value_serde(t, value_serde);
    s->logging = !(m && m->disable_logging);
    s->caching = !(m && m->disable_caching);
    s->retention_ms = m ? m->retention_ms : 0;
    s->subtopology = -1;
    s->queryable = queryable;
    t->stores[t->nstores++] = s;
    return s->id;
}

sl_err_t sl_topology_add_store(sl_topology_t *t, const sl_store_def_t *def)
{
    if (!t || !def || !def->name)
        return SL_ERR_INVAL;
    if (sl__store_find(t, def->name) >= 0)
        return SL_ERR_EXISTS;
    if (!valid_store_name(def->name) || def->type < SL_STORE_KV || def->type > SL_STORE_SESSION)
        return SL_ERR_INVAL;
    sl_materialized_t m = {.disable_logging = def->disable_logging,
                           .disable_caching = !def->enable_caching,
                           .retention_ms = def->retention_ms};
    int id = sl__store_add(t, def->name, NULL, def->type, def->key_serde, def->value_serde, &m);
    if (id < 0)
        return t->error ? SL_ERR_INVAL : SL_ERR_NOMEM;
    t->stores[id]->window_size_ms = def->window_size_ms;
    t->stores[id]->processor_cache = def->enable_caching && def->type == SL_STORE_KV;
    return SL_OK;
}

const sl_serde_t *sl__key_serde(const sl_topology_t *t, const sl_serde_t *s)
{
    return s ? s : t->default_key_serde;
}

const sl_serde_t *sl__value_serde(const sl_topology_t *t, const sl_serde_t *s)
{
    return s ? s : t->default_value_serde;
}

sl_kstream_t *sl__kstream_new(sl_topology_t *t, sl_node_t *node, const sl_serde_t *ks,
                              const sl_serde_t *vs, int repartition_required)
{
    if (!node)
        return NULL;
    sl_kstream_t *s = sl__topo_alloc(t, sizeof *s);
    if (!s)
        return NULL;
    s->topo = t, s->node = node, s->key_serde = ks, s->value_serde = vs;
    s->repartition_required = repartition_required;
    return s;
}

sl_ktable_t *sl__ktable_new(sl_topology_t *t, sl_node_t *node, const sl_serde_t *ks,
                            const sl_serde_t *vs, int store)
{
    if (!node)
        return NULL;
    sl_ktable_t *k = sl__topo_alloc(t, sizeof *k);
    if (!k)
        return NULL;
    k->topo = t, k->node = node, k->key_serde = ks, k->value_serde = vs, k->store = store;
    return k;
}

const char *sl__topic_name(const char *app_id, const char *topic, char *buf, size_t len)
{
    if (topic[0] != SL_INTERNAL_TOPIC_MARK)
        return topic;
    snprintf(buf, len, "%s%s", app_id, topic + 1);
    return buf;
}

/* ---- build: sub-topologies ----------------------------------------------------------------- */

static int uf_find(int *p, int x)
{
    while (p[x] != x)
        x = p[x] = p[p[x]];
    return x;
}

static void uf_union(int *p, int a, int b)
{
    a = uf_find(p, a), b = uf_find(p, b);
    if (a != b)
        p[a < b ? b : a] = a < b ? a : b;
}

sl_err_t sl__topology_build(sl_topology_t *t, char *errbuf, size_t errlen)
{
    char tmp[8];
    if (!errbuf)
        errbuf = tmp, errlen = sizeof tmp;
    errbuf[0] = 0;
    if (!t) {
        snprintf(errbuf, errlen, "topology is NULL");
        return SL_ERR_TOPOLOGY;
    }
    if (t->error) {
        snprintf(errbuf, errlen, "%s", t->error);
        return SL_ERR_TOPOLOGY;
    }
    if (t->built)
        return SL_OK;
    if (t->nnodes == 0) {
        snprintf(errbuf, errlen, "the topology has no source");
        return SL_ERR_TOPOLOGY;
    }
    /* Nodes joined by an edge, by a shared store, or reading one topic run in
     * one task (Kafka Streams: stores and co-partitioned sources group nodes
     * into one sub-topology). Repartition topics are no edge. */
    int n = t->nnodes;
    int *p = malloc((size_t)(n + t->nstores) * sizeof *p);
    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n + t->nstores; i++)
        p[i] = i;
    for (int i = 0; i < n; i++) {
        sl_node_t *a = t->nodes[i];
        for (int c = 0; c < a->nchildren; c++)
            uf_union(p, i, a->children[c]->id);
        for (int s = 0; s < a->nstores; s++)
            uf_union(p, i, n + a->stores[s]);
        for (int j = 0; j < i; j++) {
            sl_node_t *b = t->nodes[j];
            for (int x = 0; x < a->ntopics; x++)
                for (int y = 0; y < b->ntopics; y++)
                    if (!strcmp(a->topics[x], b->topics[y]))
                        uf_union(p, i, j);
        }
    }
    /* Number the sub-topologies in node order, as Kafka Streams does. */
    int *map = malloc((size_t)(n + t->nstores) * sizeof *map);
    if (!map) {
        free(p);
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n + t->nstores; i++)
        map[i] = -1;
    int subs = 0;
    for (int i = 0; i < n; i++) {
        int r = uf_find(p, i);
        if (map[r] < 0)
            map[r] = subs++;
        t->nodes[i]->subtopology = map[r];
    }
    for (int s = 0; s < t->nstores; s++) {
        int r = uf_find(p, n + s);
        t->stores[s]->subtopology = map[r]; /* -1: a store no node uses */
    }
    free(map);
    free(p);
    /* Every sub-topology needs a source. */
    for (int s = 0; s < subs; s++) {
        int has_source = 0;
        const char *some = NULL;
        for (int i = 0; i < n; i++) {
            if (t->nodes[i]->subtopology != s)
                continue;
            some = t->nodes[i]->name;
            if (t->nodes[i]->ntopics)
                has_source = 1;
        }
        if (!has_source) {
            snprintf(errbuf, errlen, "%s: not connected to any source", some);
            return SL_ERR_TOPOLOGY;
        }
    }
    t->nsubtopologies = subs;
    t->built = 1;
    return SL_OK;
}

/* ---- description ----------------------------------------------------------------------------- */

static void app(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void app(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    if (!*buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (*len + (size_t)n + 1 > *cap) {
        size_t c = (*cap + (size_t)n + 1) * 2;
        char *b = realloc(*buf, c);
        if (!b) {
            free(*buf);
            *buf = NULL;
            return;
        }
        *buf = b, *cap = c;
    }
    va_start(ap, fmt);
    vsnprintf(*buf + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

static const char *shown_topic(const char *topic)
{
    return topic[0] == SL_INTERNAL_TOPIC_MARK ? topic + 1 : topic;
}

sl_err_t sl_topology_name_scope(sl_topology_t *t, const char *scope)
{
    if (!t)
        return SL_ERR_INVAL;
    if (!scope || !*scope) {
        t->name_prefix[0] = 0;
        return SL_OK;
    }
    size_t n = strlen(scope);
    int ok = n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)scope[i]) || scope[i] == '_' || scope[i] == '.' ||
             scope[i] == '-';
    if (!ok) {
        sl__topo_fail(t, "name scope '%.64s': 1..64 of [A-Za-z0-9_.-]", scope);
        return SL_ERR_INVAL;
    }
    snprintf(t->name_prefix, sizeof t->name_prefix, "%s-", scope);
    t->counter = 0;
    return SL_OK;
}

sl_err_t sl_topology_retire_scope(sl_topology_t *t, const char *scope)
{
    if (!t || !scope || !*scope || t->built)
        return SL_ERR_INVAL;
    char prefix[80];
    int pn = snprintf(prefix, sizeof prefix, "%s-", scope);
    if (pn < 0 || (size_t)pn >= sizeof prefix)
        return SL_ERR_INVAL;
    /* A node of the scope stays when a node outside it hangs below it (a
     * source the part shares with later ones); the others retire. Children
     * come after their parents, but the loop does not count on it. */
    char *keep = calloc((size_t)t->nnodes + 1, 1);
    if (!keep)
        return SL_ERR_NOMEM;
    for (int i = 0; i < t->nnodes; i++)
        keep[i] = strncmp(t->nodes[i]->name, prefix, (size_t)pn) != 0;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = t->nnodes - 1; i >= 0; i--) {
            const sl_node_t *n = t->nodes[i];
            for (int c = 0; !keep[i] && c < n->nchildren; c++)
                if (keep[n->children[c]->id])
                    keep[i] = 1, changed = 1;
        }
    }
    for (int i = 0; i < t->nnodes; i++)
        if (!keep[i])
            t->nodes[i]->retired = 1;
    free(keep);
    return SL_OK;
}

char *sl_topology_describe(const sl_topology_t *t)
{
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);
    if (!buf || !t) {
        free(buf);
        return NULL;
    }
    buf[0] = 0;
    app(&buf, &len, &cap, "Topologies:\n");
    int subs = t->built ? t->nsubtopologies : 1;
    for (int s = 0; s < subs; s++) {
        app(&buf, &len, &cap, "   Sub-topology: %d\n", s);
        for (int i = 0; i < t->nnodes; i++) {
            sl_node_t *n = t->nodes[i];
            if (t->built && n->subtopology != s)
                continue;
            if (n->ntopics) {
                app(&buf, &len, &cap, "    Source: %s (topics: [", n->name);
                for (int k = 0; k < n->ntopics; k++)
                    app(&buf, &len, &cap, "%s%s", k ? ", " : "", shown_topic(n->topics[k]));
                app(&buf, &len, &cap, "])\n");
            } else if (n->topic || n->topic_fn) {
                app(&buf, &len, &cap, "    Sink: %s (topic: %s)\n", n->name,
                    n->topic ? shown_topic(n->topic) : "<dynamic>");
            } else {
                app(&buf, &len, &cap, "    Processor: %s (stores: [", n->name);
                for (int k = 0; k < n->nstores; k++)
                    app(&buf, &len, &cap, "%s%s", k ? ", " : "", t->stores[n->stores[k]]->name);
                app(&buf, &len, &cap, "])\n");
            }
            if (n->nchildren) {
                app(&buf, &len, &cap, "      --> ");
                for (int c = 0; c < n->nchildren; c++)
                    app(&buf, &len, &cap, "%s%s", c ? ", " : "", n->children[c]->name);
                app(&buf, &len, &cap, "\n");
            }
            if (n->nparents) {
                app(&buf, &len, &cap, "      <-- ");
                for (int c = 0; c < n->nparents; c++)
                    app(&buf, &len, &cap, "%s%s", c ? ", " : "", n->parents[c]->name);
                app(&buf, &len, &cap, "\n");
            }
        }
    }
    return buf;
}
