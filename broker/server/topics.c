/* topics.c — the topic catalogue of a single-node broker, kept in
 * `<data dir>/topics.meta` and rewritten atomically on every change. */
#include "broker/server/topics.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/trace.h"

#define SL__META "topics.meta"

struct sl_topic_part {
    sl_log_t *log;
    pthread_mutex_t produce_mu;
    sl_pstate_t *ps; /* under produce_mu; NULL until first used */
    char *topic;
    int32_t partition;
    int refs;    /* borrowers; guarded by the catalogue's mutex */
    int deleted; /* the topic is gone: the last release deletes the log */
};

typedef struct sl__topic {
    char *name;
    uint8_t id[16];
    int32_t n;
    sl_topic_part_t **parts;
    char **keys, **values; /* overrides */
    int noverrides;
} sl__topic_t;

struct sl_topics {
    pthread_mutex_t mu;
    sl_logmgr_t *mgr;
    char *dir;
    sl_log_config_t defaults;
    sl__topic_t **topics;
    int ntopics, cap;
    sl_topic_part_t **graveyard; /* deleted but still borrowed */
    int ngrave, gcap;
};

/* ---- persistence --------------------------------------------------------------- */

static void sl__put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '%' || c >= 0x7f)
            fprintf(f, "%%%02X", c);
        else
            fputc(c, f);
    }
}

static void sl__unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
            char hex[3] = {r[1], r[2], 0};
            *w++ = (char)strtol(hex, NULL, 16);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

static sl_err_t sl__save(sl_topics_t *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", t->dir, SL__META);
    sl_atomic_file_t af;
    sl_err_t err = sl_atomic_file_open(&af, path);
    if (err)
        return err;
    FILE *f = af.f;
    fprintf(f, "0\n");
    for (int i = 0; i < t->ntopics; i++) {
        sl__topic_t *tp = t->topics[i];
        fprintf(f, "topic %s ", tp->name);
        for (int k = 0; k < 16; k++)
            fprintf(f, "%02x", tp->id[k]);
        fprintf(f, " %" PRId32 "\n", tp->n);
        for (int k = 0; k < tp->noverrides; k++) {
            fprintf(f, "config %s %s ", tp->name, tp->keys[k]);
            sl__put_escaped(f, tp->values[k]);
            fputc('\n', f);
        }
    }
    err = sl_atomic_file_commit(&af);
    if (err)
        sl_trace(SL_TRACE_ERROR, "topics", "writing %s: %s", path, strerror(errno));
    return err;
}

/* ---- topics ------------------------------------------------------------------------ */

static int sl__find(const sl_topics_t *t, const char *name)
{
    for (int i = 0; i < t->ntopics; i++)
        if (strcmp(t->topics[i]->name, name) == 0)
            return i;
    return -1;
}

static void sl__topic_free(sl__topic_t *tp)
{
    if (!tp)
        return;
    for (int k = 0; k < tp->noverrides; k++) {
        free(tp->keys[k]);
        free(tp->values[k]);
    }
    free(tp->keys);
    free(tp->values);
    free(tp->parts);
    free(tp->name);
    free(tp);
}

/* The topic's effective log configuration: defaults plus overrides. */
static sl_err_t sl__topic_config(const sl_log_config_t *defaults, const char *const *keys,
                                 const char *const *values, int n, sl_log_config_t *out, char *errbuf,
                                 size_t errlen)
{
    *out = *defaults;
    for (int i = 0; i < n; i++) {
        sl_err_t err = sl_log_config_set(out, keys[i], values[i], errbuf, errlen);
        if (err)
            return SL_ERR_INVALID_CONFIG;
    }
    return SL_OK;
}

static sl_err_t sl__set_overrides(sl__topic_t *tp, const char *const *keys, const char *const *values, int n)
{
    char **k = calloc((size_t)n + 1, sizeof *k), **v = calloc((size_t)n + 1, sizeof *v);
    int ok = k && v;
    for (int i = 0; ok && i < n; i++) {
        k[i] = strdup(keys[i]);
        v[i] = strdup(values[i]);
        ok = k[i] && v[i];
    }
    if (!ok) {
        for (int i = 0; k && v && i < n; i++)
            free(k[i]), free(v[i]);
        free(k), free(v);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < tp->noverrides; i++)
        free(tp->keys[i]), free(tp->values[i]);
    free(tp->keys), free(tp->values);
    tp->keys = k, tp->values = v, tp->noverrides = n;
    return SL_OK;
}

/* Opens (creating when missing) partitions [from, to) of tp with cfg. */
static sl_err_t sl__open_parts(sl_topics_t *t, sl__topic_t *tp, int32_t from, int32_t to,
                               const sl_log_config_t *cfg)
{
    sl_topic_part_t **parts = realloc(tp->parts, (size_t)to * sizeof *parts);
    if (!parts)
        return SL_ERR_NOMEM;
    tp->parts = parts;
    for (int32_t p = from; p < to; p++) {
        sl_log_t *log = NULL;
        sl_err_t err = sl_logmgr_create(t->mgr, tp->name, p, cfg, &log);
        if (err == SL_ERR_EXISTS)
            sl_log_set_config(log, cfg);
        else if (err)
            return err;
        sl_topic_part_t *part = calloc(1, sizeof *part);
        if (!part)
            return SL_ERR_NOMEM;
        part->log = log;
        pthread_mutex_init(&part->produce_mu, NULL);
        part->topic = tp->name;
        part->partition = p;
        parts[p] = part;
        tp->n = p + 1;
    }
    return SL_OK;
}

static void sl__part_free(sl_topic_part_t *p)
{
    if (!p)
        return;
    sl_pstate_free(p->ps);
    pthread_mutex_destroy(&p->produce_mu);
    free(p);
}

static sl_err_t sl__push(sl_topics_t *t, sl__topic_t *tp)
{
    if (t->ntopics == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        sl__topic_t **p = realloc(t->topics, (size_t)cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        t->topics = p;
        t->cap = cap;
    }
    t->topics[t->ntopics++] = tp;
    return SL_OK;
}

static sl__topic_t *sl__topic_new(const char *name, const uint8_t *id)
{
    sl__topic_t *tp = calloc(1, sizeof *tp);
    if (!tp || !(tp->name = strdup(name))) {
        free(tp);
        return NULL;
    }
    if (id) {
        memcpy(tp->id, id, 16);
    } else {
        /* A random (version 4) UUID, as Kafka's topic ids. */
        if (getrandom(tp->id, 16, 0) != 16)
            for (int i = 0; i < 16; i++)
                tp->id[i] = (uint8_t)rand();
        tp->id[6] = (uint8_t)((tp->id[6] & 0x0f) | 0x40);
        tp->id[8] = (uint8_t)((tp->id[8] & 0x3f) | 0x80);
    }
    return tp;
}

/* ---- opening ------------------------------------------------------------------------- */

typedef struct {
    sl_topics_t *t;
    sl_err_t err;
    int adopted;
} sl__adopt_t;

/* While opening, a topic's n holds minus the number of partitions to open. A
 * partition log the catalogue does not list is adopted (a crash between
 * creating a log and recording it, or a lost catalogue): no data is dropped. */
static void sl__adopt(void *opaque, const char *topic, int32_t partition, sl_log_t *log)
{
    sl__adopt_t *a = opaque;
    (void)log;
    if (a->err)
        return;
    int i = sl__find(a->t, topic);
    if (i >= 0 && partition < -a->t->topics[i]->n)
        return;
    sl_trace(SL_TRACE_WARN, "topics", "%s-%" PRId32 ": a log the catalogue does not list; adopting it",
             topic, partition);
    if (i < 0) {
        sl__topic_t *tp = sl__topic_new(topic, NULL);
        if (!tp || sl__push(a->t, tp) != SL_OK) {
            sl__topic_free(tp);
            a->err = SL_ERR_NOMEM;
            return;
        }
        i = a->t->ntopics - 1;
    }
    a->t->topics[i]->n = -(partition + 1);
    a->adopted++;
}

sl_err_t sl_topics_open(sl_logmgr_t *mgr, const char *data_dir, const sl_log_config_t *defaults,
                        sl_topics_t **out, char *errbuf, size_t errlen)
{
    sl_topics_t *t = calloc(1, sizeof *t);
    if (!t || !(t->dir = strdup(data_dir))) {
        free(t);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->mgr = mgr;
    t->defaults = *defaults;

    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, SL__META);
    FILE *f = fopen(path, "r");
    sl_err_t err = SL_OK;
    int needs_save = 0;
    /* Overrides are read first and applied when the partitions open. */
    if (f) {
        char *line = NULL;
        size_t cap = 0;
        int lineno = 0;
        while (!err && getline(&line, &cap, f) >= 0) {
            lineno++;
            char a[300], b[300], c[300];
            if (lineno == 1) {
                if (strcmp(line, "0\n") != 0)
                    err = SL_ERR_CORRUPT_MESSAGE;
                continue;
            }
            if (sscanf(line, "topic %299s %299s %299s", a, b, c) == 3) {
                uint8_t id[16];
                int32_t n = (int32_t)strtol(c, NULL, 10);
                int ok = strlen(b) == 32 && n > 0 && sl_topic_name_valid(a);
                for (int k = 0; ok && k < 16; k++) {
                    unsigned x;
                    ok = sscanf(b + 2 * k, "%2x", &x) == 1;
                    id[k] = (uint8_t)x;
                }
                sl__topic_t *tp = ok ? sl__topic_new(a, id) : NULL;
                if (!ok)
                    err = SL_ERR_CORRUPT_MESSAGE;
                else if (!tp || sl__push(t, tp) != SL_OK) {
                    sl__topic_free(tp);
                    err = SL_ERR_NOMEM;
                } else
                    tp->n = -n; /* partitions to open */
            } else if (sscanf(line, "config %299s %299s %299s", a, b, c) == 3) {
                int i = sl__find(t, a);
                if (i < 0) {
                    err = SL_ERR_CORRUPT_MESSAGE;
                    break;
                }
                sl__topic_t *tp = t->topics[i];
                sl__unescape(c);
                const char **k = malloc(((size_t)tp->noverrides + 1) * sizeof *k);
                const char **v = malloc(((size_t)tp->noverrides + 1) * sizeof *v);
                if (!k || !v) {
                    free(k), free(v);
                    err = SL_ERR_NOMEM;
                    break;
                }
                for (int q = 0; q < tp->noverrides; q++)
                    k[q] = tp->keys[q], v[q] = tp->values[q];
                k[tp->noverrides] = b, v[tp->noverrides] = c;
                err = sl__set_overrides(tp, k, v, tp->noverrides + 1);
                free(k), free(v);
            } else {
                err = SL_ERR_CORRUPT_MESSAGE;
            }
            if (err == SL_ERR_CORRUPT_MESSAGE)
                snprintf(errbuf, errlen, "%s:%d: cannot read this line", path, lineno);
        }
        free(line);
        fclose(f);
    } else if (errno != ENOENT) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        err = SL_ERR_IO;
    }
    if (!err) {
        sl__adopt_t a = {t, SL_OK, 0};
        sl_logmgr_foreach(mgr, sl__adopt, &a);
        err = a.err;
        needs_save = a.adopted > 0;
    }
    for (int i = 0; !err && i < t->ntopics; i++) {
        sl__topic_t *tp = t->topics[i];
        int32_t want = -tp->n;
        tp->n = 0;
        sl_log_config_t cfg;
        char why[256];
        if (sl__topic_config(defaults, (const char *const *)tp->keys, (const char *const *)tp->values,
                             tp->noverrides, &cfg, why, sizeof why) != SL_OK) {
            sl_trace(SL_TRACE_WARN, "topics", "topic %s: ignoring a stored override (%s)", tp->name, why);
            cfg = *defaults;
        }
        err = sl__open_parts(t, tp, 0, want, &cfg);
    }
    if (!err && needs_save)
        err = sl__save(t);
    if (err) {
        if (!*errbuf)
            snprintf(errbuf, errlen, "opening the topic catalogue: %s", sl_err_str(err));
        sl_topics_close(t);
        return err;
    }
    *out = t;
    return SL_OK;
}

void sl_topics_close(sl_topics_t *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->ntopics; i++) {
        sl__topic_t *tp = t->topics[i];
        for (int32_t p = 0; p < tp->n; p++)
            sl__part_free(tp->parts[p]);
        sl__topic_free(tp);
    }
    for (int i = 0; i < t->ngrave; i++) {
        free(t->graveyard[i]->topic);
        sl__part_free(t->graveyard[i]);
    }
    free(t->graveyard);
    free(t->topics);
    free(t->dir);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ---- changes ------------------------------------------------------------------------------ */

static int sl__in_graveyard(const sl_topics_t *t, const char *name)
{
    for (int i = 0; i < t->ngrave; i++)
        if (strcmp(t->graveyard[i]->topic, name) == 0)
            return 1;
    return 0;
}

static sl_err_t sl__create(sl_topics_t *t, const char *name, const uint8_t *id_in, int32_t n,
                           const char *const *keys, const char *const *values, int nconfigs, int validate_only,
                           uint8_t id_out[16], char *errbuf, size_t errlen);

sl_err_t sl_topics_create(sl_topics_t *t, const char *name, int32_t n, const char *const *keys,
                          const char *const *values, int nconfigs, int validate_only,
                          uint8_t id_out[16], char *errbuf, size_t errlen)
{
    return sl__create(t, name, NULL, n, keys, values, nconfigs, validate_only, id_out, errbuf, errlen);
}

sl_err_t sl_topics_create_as(sl_topics_t *t, const char *name, const uint8_t id[16], int32_t n,
                             const char *const *keys, const char *const *values, int nconfigs, char *errbuf,
                             size_t errlen)
{
    return sl__create(t, name, id, n, keys, values, nconfigs, 0, NULL, errbuf, errlen);
}

static sl_err_t sl__create(sl_topics_t *t, const char *name, const uint8_t *id_in, int32_t n,
                           const char *const *keys, const char *const *values, int nconfigs, int validate_only,
                           uint8_t id_out[16], char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    if (!sl_topic_name_valid(name)) {
        snprintf(errbuf, errlen, "'%s' is not a valid topic name (1-249 of [a-zA-Z0-9._-])", name ? name : "");
        return SL_ERR_INVALID_TOPIC;
    }
    if (n < 1) {
        snprintf(errbuf, errlen, "number of partitions must be at least 1");
        return SL_ERR_INVALID_PARTITIONS;
    }
    sl_log_config_t cfg;
    sl_err_t err = sl__topic_config(&t->defaults, keys, values, nconfigs, &cfg, errbuf, errlen);
    if (err)
        return err;
    pthread_mutex_lock(&t->mu);
    if (sl__find(t, name) >= 0 || sl__in_graveyard(t, name)) {
        pthread_mutex_unlock(&t->mu);
        snprintf(errbuf, errlen, "topic '%s' already exists%s", name,
                 sl__in_graveyard(t, name) ? " (marked for deletion)" : "");
        return SL_ERR_TOPIC_EXISTS;
    }
    if (validate_only) {
        pthread_mutex_unlock(&t->mu);
        return SL_OK;
    }
    sl__topic_t *tp = sl__topic_new(name, id_in);
    err = tp ? sl__set_overrides(tp, keys, values, nconfigs) : SL_ERR_NOMEM;
    if (!err)
        err = sl__push(t, tp);
    if (err) {
        sl__topic_free(tp);
        pthread_mutex_unlock(&t->mu);
        return err;
    }
    /* The catalogue first: a crash after it re-creates missing logs on open;
     * logs first would be adopted, but with the overrides lost. It records
     * the partition count the topic is about to have. */
    tp->n = n;
    err = sl__save(t);
    tp->n = 0;
    if (!err)
        err = sl__open_parts(t, tp, 0, n, &cfg);
    if (err) {
        snprintf(errbuf, errlen, "creating topic '%s': %s", name, sl_err_str(err));
        sl_trace(SL_TRACE_ERROR, "topics", "%s", errbuf);
    } else if (id_out) {
        memcpy(id_out, tp->id, 16);
    }
    pthread_mutex_unlock(&t->mu);
    return err;
}

static void sl__delete_part(sl_topics_t *t, sl_topic_part_t *p)
{
    sl_err_t err = sl_logmgr_delete(t->mgr, p->topic, p->partition);
    if (err)
        sl_trace(SL_TRACE_WARN, "topics", "deleting %s-%" PRId32 ": %s", p->topic, p->partition,
                 sl_err_str(err));
}

sl_err_t sl_topics_delete(sl_topics_t *t, const char *name)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, name);
    if (i < 0) {
        pthread_mutex_unlock(&t->mu);
        return SL_ERR_UNKNOWN_TOPIC;
    }
    sl__topic_t *tp = t->topics[i];
    memmove(t->topics + i, t->topics + i + 1, (size_t)(t->ntopics - i - 1) * sizeof *t->topics);
    t->ntopics--;
    sl_err_t err = sl__save(t);
    for (int32_t p = 0; p < tp->n; p++) {
        sl_topic_part_t *part = tp->parts[p];
        if (part->refs == 0) {
            part->topic = tp->name;
            sl__delete_part(t, part);
            sl__part_free(part);
            continue;
        }
        /* Still borrowed: the last release deletes it. */
        part->deleted = 1;
        part->topic = strdup(tp->name);
        if (t->ngrave == t->gcap) {
            int cap = t->gcap ? t->gcap * 2 : 8;
            sl_topic_part_t **g = realloc(t->graveyard, (size_t)cap * sizeof *g);
            if (g) {
                t->graveyard = g;
                t->gcap = cap;
            }
        }
        if (part->topic && t->ngrave < t->gcap) {
            t->graveyard[t->ngrave++] = part;
        } else {
            /* No memory to remember it: the log stays until the next start
             * adopts it, which loses nothing. */
            free(part->topic);
            part->topic = NULL;
            err = SL_ERR_NOMEM;
        }
    }
    sl__topic_free(tp);
    pthread_mutex_unlock(&t->mu);
    return err;
}

sl_err_t sl_topics_add_partitions(sl_topics_t *t, const char *name, int32_t total, int validate_only,
                                  char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, name);
    sl_err_t err = SL_OK;
    if (i < 0) {
        err = SL_ERR_UNKNOWN_TOPIC;
    } else if (total <= t->topics[i]->n) {
        snprintf(errbuf, errlen, "topic '%s' has %" PRId32 " partitions; the new count must be higher",
                 name, t->topics[i]->n);
        err = SL_ERR_INVALID_PARTITIONS;
    } else if (!validate_only) {
        sl__topic_t *tp = t->topics[i];
        sl_log_config_t cfg;
        err = sl__topic_config(&t->defaults, (const char *const *)tp->keys,
                               (const char *const *)tp->values, tp->noverrides, &cfg, errbuf, errlen);
        int32_t was = tp->n;
        if (!err)
            err = sl__open_parts(t, tp, was, total, &cfg);
        if (!err)
            err = sl__save(t);
    }
    pthread_mutex_unlock(&t->mu);
    return err;
}

/* ---- lookups ------------------------------------------------------------------------------- */

static void sl__info(const sl__topic_t *tp, sl_topic_info_t *out)
{
    snprintf(out->name, sizeof out->name, "%s", tp->name);
    memcpy(out->id, tp->id, 16);
    out->partitions = tp->n;
    out->internal = strncmp(tp->name, "__", 2) == 0;
}

int sl_topics_get(sl_topics_t *t, const char *name, sl_topic_info_t *out)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, name);
    if (i >= 0)
        sl__info(t->topics[i], out);
    pthread_mutex_unlock(&t->mu);
    return i >= 0;
}

int sl_topics_get_by_id(sl_topics_t *t, const uint8_t id[16], sl_topic_info_t *out)
{
    pthread_mutex_lock(&t->mu);
    int found = 0;
    for (int i = 0; i < t->ntopics && !found; i++)
        if (memcmp(t->topics[i]->id, id, 16) == 0) {
            sl__info(t->topics[i], out);
            found = 1;
        }
    pthread_mutex_unlock(&t->mu);
    return found;
}

static int sl__cmp_info(const void *a, const void *b)
{
    return strcmp(((const sl_topic_info_t *)a)->name, ((const sl_topic_info_t *)b)->name);
}

int sl_topics_list(sl_topics_t *t, void (*fn)(void *opaque, const sl_topic_info_t *info), void *opaque)
{
    pthread_mutex_lock(&t->mu);
    int n = t->ntopics;
    sl_topic_info_t *snap = malloc(((size_t)n + 1) * sizeof *snap);
    if (!snap) {
        pthread_mutex_unlock(&t->mu);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        sl__info(t->topics[i], &snap[i]);
    pthread_mutex_unlock(&t->mu);
    qsort(snap, (size_t)n, sizeof *snap, sl__cmp_info);
    for (int i = 0; i < n; i++)
        fn(opaque, &snap[i]);
    free(snap);
    return n;
}

sl_topic_part_t *sl_topics_acquire(sl_topics_t *t, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, topic);
    sl_topic_part_t *p = NULL;
    if (i >= 0 && partition >= 0 && partition < t->topics[i]->n) {
        p = t->topics[i]->parts[partition];
        p->refs++;
    }
    pthread_mutex_unlock(&t->mu);
    return p;
}

sl_log_t *sl_topic_part_log(const sl_topic_part_t *p) { return p->log; }

void sl_topics_release(sl_topics_t *t, sl_topic_part_t *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&t->mu);
    if (--p->refs == 0 && p->deleted) {
        for (int i = 0; i < t->ngrave; i++)
            if (t->graveyard[i] == p) {
                t->graveyard[i] = t->graveyard[--t->ngrave];
                break;
            }
        sl__delete_part(t, p);
        free(p->topic);
        sl__part_free(p);
    }
    pthread_mutex_unlock(&t->mu);
}

pthread_mutex_t *sl_topic_part_produce_lock(sl_topic_part_t *p) { return &p->produce_mu; }

sl_pstate_t *sl_topic_part_pstate(sl_topic_part_t *p)
{
    if (p->ps)
        return p->ps;
    sl_pstate_t *ps = sl_pstate_new();
    if (!ps)
        return NULL;
    sl_err_t err = sl_pstate_load(ps, p->log);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "topics", "rebuilding producer state of %s: %s", sl_log_dir(p->log),
                 sl_err_str(err));
        sl_pstate_free(ps);
        return NULL;
    }
    p->ps = ps;
    return ps;
}

void sl_topic_part_reset_pstate(sl_topic_part_t *p)
{
    pthread_mutex_lock(&p->produce_mu);
    sl_pstate_free(p->ps);
    p->ps = NULL;
    pthread_mutex_unlock(&p->produce_mu);
}

/* ---- configs ----------------------------------------------------------------------------------- */

static const char *const sl__topic_keys[] = {
    "cleanup.policy", "delete.retention.ms", "flush.messages", "flush.ms", "index.interval.bytes",
    "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms", "min.insync.replicas", "retention.bytes", "retention.ms", "segment.bytes",
    "segment.index.bytes", "segment.ms", "unclean.leader.election.enable",
};

/* A config value as Kafka prints it. */
static void sl__format_value(const sl_log_config_t *c, const char *key, char *out, size_t n)
{
#define SL__I(k, v)                                \
    if (strcmp(key, k) == 0) {                     \
        snprintf(out, n, "%" PRId64, (int64_t)(v)); \
        return;                                    \
    }
    SL__I("delete.retention.ms", c->delete_retention_ms)
    SL__I("flush.messages", c->flush_messages)
    SL__I("flush.ms", c->flush_ms)
    SL__I("index.interval.bytes", c->index_interval_bytes)
    SL__I("max.compaction.lag.ms", c->max_compaction_lag_ms)
    SL__I("max.message.bytes", c->max_message_bytes)
    SL__I("message.timestamp.after.max.ms", c->timestamp_after_max_ms)
    SL__I("message.timestamp.before.max.ms", c->timestamp_before_max_ms)
    SL__I("min.compaction.lag.ms", c->min_compaction_lag_ms)
    SL__I("min.insync.replicas", c->min_insync_replicas)
    SL__I("retention.bytes", c->retention_bytes)
    SL__I("retention.ms", c->retention_ms)
    SL__I("segment.bytes", c->segment_bytes)
    SL__I("segment.index.bytes", c->segment_index_bytes)
    SL__I("segment.ms", c->segment_ms)
#undef SL__I
    if (strcmp(key, "cleanup.policy") == 0)
        snprintf(out, n, "%s",
                 c->cleanup_policy == (SL_CLEANUP_COMPACT | SL_CLEANUP_DELETE) ? "compact,delete"
                 : c->cleanup_policy == SL_CLEANUP_COMPACT                     ? "compact"
                                                                               : "delete");
    else if (strcmp(key, "message.timestamp.type") == 0)
        snprintf(out, n, "%s", c->timestamp_type == SL_TIMESTAMP_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime");
    else if (strcmp(key, "unclean.leader.election.enable") == 0)
        snprintf(out, n, "%s", c->unclean_leader_election ? "true" : "false");
    else if (strcmp(key, "min.cleanable.dirty.ratio") == 0)
        snprintf(out, n, "%g", c->min_cleanable_dirty_ratio);
    else
        snprintf(out, n, "%s", "");
}

int sl_topics_describe_configs(sl_topics_t *t, const char *name,
                               void (*fn)(void *opaque, const sl_topic_config_entry_t *e), void *opaque)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, name);
    if (i < 0) {
        pthread_mutex_unlock(&t->mu);
        return 0;
    }
    sl__topic_t *tp = t->topics[i];
    sl_log_config_t cfg;
    char why[256];
    if (sl__topic_config(&t->defaults, (const char *const *)tp->keys, (const char *const *)tp->values,
                         tp->noverrides, &cfg, why, sizeof why) != SL_OK)
        cfg = t->defaults;
    size_t nk = sizeof sl__topic_keys / sizeof sl__topic_keys[0];
    sl_topic_config_entry_t *entries = calloc(nk, sizeof *entries);
    if (!entries) {
        pthread_mutex_unlock(&t->mu);
        return 0;
    }
    for (size_t k = 0; k < nk; k++) {
        entries[k].key = sl__topic_keys[k];
        sl__format_value(&cfg, sl__topic_keys[k], entries[k].value, sizeof entries[k].value);
        entries[k].is_default = 1;
        for (int q = 0; q < tp->noverrides; q++)
            if (strcmp(tp->keys[q], sl__topic_keys[k]) == 0)
                entries[k].is_default = 0;
    }
    pthread_mutex_unlock(&t->mu);
    for (size_t k = 0; k < nk; k++)
        fn(opaque, &entries[k]);
    free(entries);
    return 1;
}

sl_err_t sl_topics_alter_configs(sl_topics_t *t, const char *name, const char *const *keys,
                                 const char *const *values, int n, int replace_all, int validate_only,
                                 char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&t->mu);
    int i = sl__find(t, name);
    if (i < 0) {
        pthread_mutex_unlock(&t->mu);
        return SL_ERR_UNKNOWN_TOPIC;
    }
    sl__topic_t *tp = t->topics[i];
    /* The new override list. */
    int cap = n + (replace_all ? 0 : tp->noverrides);
    const char **nk = malloc(((size_t)cap + 1) * sizeof *nk), **nv = malloc(((size_t)cap + 1) * sizeof *nv);
    if (!nk || !nv) {
        free(nk), free(nv);
        pthread_mutex_unlock(&t->mu);
        return SL_ERR_NOMEM;
    }
    int m = 0;
    if (!replace_all)
        for (int q = 0; q < tp->noverrides; q++)
            nk[m] = tp->keys[q], nv[m++] = tp->values[q];
    for (int q = 0; q < n; q++) {
        int at = -1;
        for (int r = 0; r < m; r++)
            if (strcmp(nk[r], keys[q]) == 0)
                at = r;
        if (values[q] == NULL) { /* DELETE: back to the default */
            if (at >= 0) {
                nk[at] = nk[m - 1], nv[at] = nv[m - 1];
                m--;
            }
        } else if (at >= 0) {
            nv[at] = values[q];
        } else {
            nk[m] = keys[q], nv[m++] = values[q];
        }
    }
    sl_log_config_t cfg;
    sl_err_t err = sl__topic_config(&t->defaults, nk, nv, m, &cfg, errbuf, errlen);
    if (!err && !validate_only) {
        err = sl__set_overrides(tp, nk, nv, m);
        if (!err) {
            for (int32_t p = 0; p < tp->n; p++)
                sl_log_set_config(tp->parts[p]->log, &cfg);
            err = sl__save(t);
        }
    }
    free(nk), free(nv);
    pthread_mutex_unlock(&t->mu);
    return err;
}
