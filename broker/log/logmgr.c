/* logmgr.c — all partition logs of one data directory: opening them with
 * their checkpoints, creating and deleting them, and the background thread
 * that flushes, retains, compacts and checkpoints. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "broker/log/logmgr.h"
#include "common/fsutil.h"
#include "common/trace.h"

#define SL__CP_RECOVERY "recovery-point-offset-checkpoint"
#define SL__CP_START "log-start-offset-checkpoint"
#define SL__CP_CLEANER "cleaner-offset-checkpoint"
#define SL__CP_REPLICATION "replication-offset-checkpoint"
#define SL__CLEAN_SHUTDOWN ".kafka_cleanshutdown"

typedef struct sl__entry {
    char *topic;
    int32_t partition;
    sl_log_t *log;
} sl__entry_t;

struct sl_logmgr {
    char *dir;
    sl_logmgr_config_t cfg;
    pthread_rwlock_t lock; /* guards entries: readers use logs, writers add/remove */
    sl__entry_t *entries;
    int n, cap;
    pthread_mutex_t cp_mu; /* serialises checkpoint writers */

    pthread_t thread;
    int started;
    pthread_mutex_t mu; /* guards stop, with cond */
    pthread_cond_t cond;
    int stop;
};

sl_logmgr_config_t sl_logmgr_config_default(void)
{
    sl_logmgr_config_t c = {
        .log_defaults = sl_log_config_default(),
        .retention_check_interval_ms = 300000,
        .checkpoint_interval_ms = 60000,
        .flush_scheduler_interval_ms = 1000,
        .cleaner_enable = 1,
        .cleaner_backoff_ms = 15000,
    };
    return c;
}

/* ---- checkpoint files ------------------------------------------------------------- */

typedef struct sl__cp_entry {
    char topic[256];
    int32_t partition;
    int64_t offset;
} sl__cp_entry_t;

/* Reads a checkpoint file; a missing file is an empty list. */
static sl_err_t sl__cp_read(const char *dir, const char *name, sl__cp_entry_t **out, int *count,
                            char *errbuf, size_t errlen)
{
    *out = NULL;
    *count = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? SL_OK : SL_ERR_IO;
    int version, n;
    sl_err_t err = SL_OK;
    if (fscanf(f, "%d %d", &version, &n) != 2 || version != 0 || n < 0 || n > 10000000) {
        err = SL_ERR_CORRUPT_MESSAGE;
    } else {
        sl__cp_entry_t *e = calloc((size_t)n + 1, sizeof *e);
        if (!e)
            err = SL_ERR_NOMEM;
        for (int i = 0; !err && i < n; i++)
            if (fscanf(f, "%255s %" SCNd32 " %" SCNd64, e[i].topic, &e[i].partition, &e[i].offset) != 3)
                err = SL_ERR_CORRUPT_MESSAGE;
        if (err)
            free(e);
        else
            *out = e, *count = n;
    }
    fclose(f);
    if (err == SL_ERR_CORRUPT_MESSAGE)
        snprintf(errbuf, errlen, "malformed checkpoint file %s", path);
    return err;
}

static int64_t sl__cp_find(const sl__cp_entry_t *e, int n, const char *topic, int32_t partition,
                           int64_t dflt)
{
    for (int i = 0; i < n; i++)
        if (e[i].partition == partition && strcmp(e[i].topic, topic) == 0)
            return e[i].offset;
    return dflt;
}

/* Writes name atomically; which: 0 recovery point, 1 log start, 2 cleaner,
 * 3 high watermark. */
static sl_err_t sl__cp_write(sl_logmgr_t *mgr, const char *name, int which)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", mgr->dir, name);
    sl_atomic_file_t af;
    sl_err_t err = sl_atomic_file_open(&af, path);
    if (err)
        return err;
    FILE *f = af.f;
    int n = 0;
    for (int i = 0; i < mgr->n; i++)
        if (which != 2 || (sl_log_get_config(mgr->entries[i].log).cleanup_policy & SL_CLEANUP_COMPACT))
            n++;
    fprintf(f, "0\n%d\n", n);
    for (int i = 0; i < mgr->n; i++) {
        sl__entry_t *e = &mgr->entries[i];
        int64_t v;
        if (which == 0)
            v = sl_log_recovery_point(e->log);
        else if (which == 1)
            v = sl_log_start_offset(e->log);
        else if (which == 3)
            v = sl_log_high_watermark(e->log);
        else if (sl_log_get_config(e->log).cleanup_policy & SL_CLEANUP_COMPACT)
            v = sl_log_first_dirty_offset(e->log);
        else
            continue;
        fprintf(f, "%s %" PRId32 " %" PRId64 "\n", e->topic, e->partition, v);
    }
    err = sl_atomic_file_commit(&af);
    if (err)
        sl_trace(SL_TRACE_ERROR, "log", "writing %s: %s", path, strerror(errno));
    return err;
}

sl_err_t sl_logmgr_checkpoint(sl_logmgr_t *mgr)
{
    pthread_mutex_lock(&mgr->cp_mu);
    pthread_rwlock_rdlock(&mgr->lock);
    sl_err_t err = sl__cp_write(mgr, SL__CP_RECOVERY, 0);
    sl_err_t e2 = sl__cp_write(mgr, SL__CP_START, 1);
    sl_err_t e3 = sl__cp_write(mgr, SL__CP_CLEANER, 2);
    sl_err_t e4 = sl__cp_write(mgr, SL__CP_REPLICATION, 3);
    pthread_rwlock_unlock(&mgr->lock);
    if (!err)
        err = e2 ? e2 : e3 ? e3 : e4;
    pthread_mutex_unlock(&mgr->cp_mu);
    return err;
}

/* ---- entries ------------------------------------------------------------------------ */

int sl_topic_name_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '.' && t[i] != '_' && t[i] != '-')
            return 0;
    return 1;
}

static int sl__find(const sl_logmgr_t *mgr, const char *topic, int32_t partition)
{
    for (int i = 0; i < mgr->n; i++)
        if (mgr->entries[i].partition == partition && strcmp(mgr->entries[i].topic, topic) == 0)
            return i;
    return -1;
}

static sl_err_t sl__add(sl_logmgr_t *mgr, const char *topic, int32_t partition, sl_log_t *log)
{
    if (mgr->n == mgr->cap) {
        int cap = mgr->cap ? mgr->cap * 2 : 16;
        sl__entry_t *p = realloc(mgr->entries, (size_t)cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        mgr->entries = p;
        mgr->cap = cap;
    }
    char *t = strdup(topic);
    if (!t)
        return SL_ERR_NOMEM;
    mgr->entries[mgr->n++] = (sl__entry_t){t, partition, log};
    return SL_OK;
}

/* Splits "<topic>-<partition>" at the last '-'. */
static int sl__parse_dir_name(const char *name, char *topic, size_t tlen, int32_t *partition)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1] || (size_t)(dash - name) >= tlen)
        return 0;
    char *end;
    long p = strtol(dash + 1, &end, 10);
    if (*end || p < 0 || p > INT32_MAX || !isdigit((unsigned char)dash[1]))
        return 0;
    memcpy(topic, name, (size_t)(dash - name));
    topic[dash - name] = 0;
    *partition = (int32_t)p;
    return sl_topic_name_valid(topic);
}

sl_err_t sl_logmgr_open(const char *dir, const sl_logmgr_config_t *cfg, sl_logmgr_t **out,
                        char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "mkdir %s: %s", dir, strerror(errno));
        return SL_ERR_IO;
    }
    sl_logmgr_t *mgr = calloc(1, sizeof *mgr);
    if (!mgr || !(mgr->dir = strdup(dir))) {
        free(mgr);
        return SL_ERR_NOMEM;
    }
    mgr->cfg = cfg ? *cfg : sl_logmgr_config_default();
    pthread_rwlock_init(&mgr->lock, NULL);
    pthread_mutex_init(&mgr->cp_mu, NULL);
    pthread_mutex_init(&mgr->mu, NULL);
    pthread_cond_init(&mgr->cond, NULL);

    char marker[4096];
    snprintf(marker, sizeof marker, "%s/%s", dir, SL__CLEAN_SHUTDOWN);
    int clean = access(marker, F_OK) == 0;

    sl__cp_entry_t *rp = NULL, *ls = NULL, *cl = NULL, *hw = NULL;
    int nrp = 0, nls = 0, ncl = 0, nhw = 0;
    sl_err_t err = sl__cp_read(dir, SL__CP_RECOVERY, &rp, &nrp, errbuf, errlen);
    if (!err)
        err = sl__cp_read(dir, SL__CP_START, &ls, &nls, errbuf, errlen);
    if (!err)
        err = sl__cp_read(dir, SL__CP_CLEANER, &cl, &ncl, errbuf, errlen);
    if (!err)
        err = sl__cp_read(dir, SL__CP_REPLICATION, &hw, &nhw, errbuf, errlen);
    if (err == SL_ERR_CORRUPT_MESSAGE) {
        /* A bad checkpoint only costs a full recovery scan (and high
         * watermarks back at the log ends). */
        sl_trace(SL_TRACE_WARN, "log", "%s; recovering every log from its start", errbuf);
        free(rp), free(ls), free(cl), free(hw);
        rp = ls = cl = hw = NULL;
        nrp = nls = ncl = nhw = 0;
        clean = 0;
        err = SL_OK;
    }
    DIR *d = err ? NULL : opendir(dir);
    if (!err && !d) {
        snprintf(errbuf, errlen, "opendir %s: %s", dir, strerror(errno));
        err = SL_ERR_IO;
    }
    struct dirent *de;
    while (!err && (de = readdir(d))) {
        char topic[256];
        int32_t partition;
        if (de->d_name[0] == '.' || !sl__parse_dir_name(de->d_name, topic, sizeof topic, &partition))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        sl_log_open_opts_t o = {
            .recovery_point = sl__cp_find(rp, nrp, topic, partition, 0),
            .log_start_offset = sl__cp_find(ls, nls, topic, partition, -1),
            /* A log the checkpoint does not know was never flushed cleanly. */
            .clean_shutdown = clean && sl__cp_find(rp, nrp, topic, partition, -1) >= 0,
        };
        sl_log_t *log;
        err = sl_log_open(path, &mgr->cfg.log_defaults, &o, &log, errbuf, errlen);
        if (err)
            break;
        int64_t dirty = sl__cp_find(cl, ncl, topic, partition, -1);
        if (dirty > sl_log_first_dirty_offset(log) && dirty <= sl_log_end_offset(log))
            sl_log_set_first_dirty_offset(log, dirty);
        /* No entry: the high watermark stays at the log end offset. */
        int64_t hwm = sl__cp_find(hw, nhw, topic, partition, -1);
        if (hwm >= 0)
            sl_log_set_high_watermark(log, hwm);
        if ((err = sl__add(mgr, topic, partition, log)) != SL_OK)
            sl_log_close(log);
    }
    if (d)
        closedir(d);
    free(rp), free(ls), free(cl), free(hw);
    /* From here on a crash is not a clean shutdown. */
    if (!err && unlink(marker) != 0 && errno != ENOENT)
        err = SL_ERR_IO;
    if (err) {
        sl_logmgr_close(mgr);
        return err;
    }
    *out = mgr;
    return SL_OK;
}

void sl_logmgr_close(sl_logmgr_t *mgr)
{
    if (!mgr)
        return;
    if (mgr->started) {
        pthread_mutex_lock(&mgr->mu);
        mgr->stop = 1;
        pthread_cond_signal(&mgr->cond);
        pthread_mutex_unlock(&mgr->mu);
        pthread_join(mgr->thread, NULL);
    }
    int ok = 1;
    for (int i = 0; i < mgr->n; i++)
        ok &= sl_log_flush(mgr->entries[i].log) == SL_OK;
    ok &= sl_logmgr_checkpoint(mgr) == SL_OK;
    for (int i = 0; i < mgr->n; i++) {
        sl_log_close(mgr->entries[i].log);
        free(mgr->entries[i].topic);
    }
    if (ok && mgr->n >= 0) {
        char marker[4096];
        snprintf(marker, sizeof marker, "%s/%s", mgr->dir, SL__CLEAN_SHUTDOWN);
        int fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
            sl_fsync_dir(mgr->dir);
        }
    }
    free(mgr->entries);
    free(mgr->dir);
    pthread_rwlock_destroy(&mgr->lock);
    pthread_mutex_destroy(&mgr->cp_mu);
    pthread_mutex_destroy(&mgr->mu);
    pthread_cond_destroy(&mgr->cond);
    free(mgr);
}

sl_log_t *sl_logmgr_get(sl_logmgr_t *mgr, const char *topic, int32_t partition)
{
    pthread_rwlock_rdlock(&mgr->lock);
    int i = sl__find(mgr, topic, partition);
    sl_log_t *log = i >= 0 ? mgr->entries[i].log : NULL;
    pthread_rwlock_unlock(&mgr->lock);
    return log;
}

sl_err_t sl_logmgr_create(sl_logmgr_t *mgr, const char *topic, int32_t partition,
                          const sl_log_config_t *cfg, sl_log_t **out)
{
    if (!topic || !sl_topic_name_valid(topic) || partition < 0)
        return SL_ERR_INVAL;
    pthread_rwlock_wrlock(&mgr->lock);
    int i = sl__find(mgr, topic, partition);
    if (i >= 0) {
        if (out)
            *out = mgr->entries[i].log;
        pthread_rwlock_unlock(&mgr->lock);
        return SL_ERR_EXISTS;
    }
    char path[4096], errbuf[256] = "";
    snprintf(path, sizeof path, "%s/%s-%" PRId32, mgr->dir, topic, partition);
    sl_log_t *log;
    sl_err_t err = sl_log_open(path, cfg ? cfg : &mgr->cfg.log_defaults, NULL, &log, errbuf, sizeof errbuf);
    if (!err && (err = sl__add(mgr, topic, partition, log)) != SL_OK)
        sl_log_close(log);
    if (err)
        sl_trace(SL_TRACE_ERROR, "log", "creating %s: %s %s", path, sl_err_str(err), errbuf);
    else if (out)
        *out = log;
    pthread_rwlock_unlock(&mgr->lock);
    return err;
}

sl_err_t sl_logmgr_delete(sl_logmgr_t *mgr, const char *topic, int32_t partition)
{
    pthread_rwlock_wrlock(&mgr->lock);
    int i = sl__find(mgr, topic, partition);
    sl_err_t err = SL_ERR_INVAL;
    if (i >= 0) {
        sl__entry_t e = mgr->entries[i];
        mgr->entries[i] = mgr->entries[--mgr->n];
        err = sl_log_delete(e.log);
        free(e.topic);
    }
    pthread_rwlock_unlock(&mgr->lock);
    /* Keep the checkpoints from naming a log that is gone. */
    if (i >= 0) {
        sl_err_t cp = sl_logmgr_checkpoint(mgr);
        if (!err)
            err = cp;
    }
    return err;
}

void sl_logmgr_foreach(sl_logmgr_t *mgr,
                       void (*fn)(void *opaque, const char *topic, int32_t partition, sl_log_t *log),
                       void *opaque)
{
    pthread_rwlock_rdlock(&mgr->lock);
    for (int i = 0; i < mgr->n; i++)
        fn(opaque, mgr->entries[i].topic, mgr->entries[i].partition, mgr->entries[i].log);
    pthread_rwlock_unlock(&mgr->lock);
}

/* ---- background work -------------------------------------------------------------- */

typedef struct sl__pass {
    int64_t now;
    int flush, retain, clean;
    sl_err_t err;
} sl__pass_t;

static void sl__maintain_one(void *opaque, const char *topic, int32_t partition, sl_log_t *log)
{
    sl__pass_t *p = opaque;
    sl_err_t err = SL_OK;
    if (p->flush)
        err = sl_log_flush_if_due(log, p->now);
    if (!err && p->retain)
        err = sl_log_retain(log, p->now, NULL);
    if (!err && p->clean)
        err = sl_log_clean(log, p->now, 0, NULL);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "log", "maintenance of %s-%" PRId32 ": %s", topic, partition,
                 sl_err_str(err));
        if (!p->err)
            p->err = err;
    }
}

sl_err_t sl_logmgr_maintain(sl_logmgr_t *mgr, int64_t now_ms)
{
    sl__pass_t p = {now_ms ? now_ms : sl_now_ms(), 1, 1, mgr->cfg.cleaner_enable, SL_OK};
    sl_logmgr_foreach(mgr, sl__maintain_one, &p);
    sl_err_t err = sl_logmgr_checkpoint(mgr);
    return p.err ? p.err : err;
}

static void *sl__logmgr_thread(void *arg)
{
    sl_logmgr_t *mgr = arg;
    int64_t last_retain = sl_now_ms(), last_cp = last_retain, last_clean = last_retain;
    pthread_mutex_lock(&mgr->mu);
    while (!mgr->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = mgr->cfg.flush_scheduler_interval_ms;
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000)
            ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&mgr->cond, &mgr->mu, &ts);
        if (mgr->stop)
            break;
        pthread_mutex_unlock(&mgr->mu);
        int64_t now = sl_now_ms();
        sl__pass_t p = {now, 1, 0, 0, SL_OK};
        if (now - last_retain >= mgr->cfg.retention_check_interval_ms)
            p.retain = 1, last_retain = now;
        if (mgr->cfg.cleaner_enable && now - last_clean >= mgr->cfg.cleaner_backoff_ms)
            p.clean = 1, last_clean = now;
        sl_logmgr_foreach(mgr, sl__maintain_one, &p);
        if (now - last_cp >= mgr->cfg.checkpoint_interval_ms) {
            sl_logmgr_checkpoint(mgr);
            last_cp = now;
        }
        pthread_mutex_lock(&mgr->mu);
    }
    pthread_mutex_unlock(&mgr->mu);
    return NULL;
}

sl_err_t sl_logmgr_start(sl_logmgr_t *mgr)
{
    if (mgr->started)
        return SL_ERR_STATE;
    if (pthread_create(&mgr->thread, NULL, sl__logmgr_thread, mgr) != 0)
        return SL_ERR_NOMEM;
    pthread_setname_np(mgr->thread, "sl-log-mgr");
    mgr->started = 1;
    return SL_OK;
}
