/* log.c — one partition's log: the ordered segments, appends with offset
 * assignment, reads by offset and timestamp, rolling, flushing, recovery on
 * open, retention and truncation. Segment-level work is in segment.c,
 * compaction in cleaner.c. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/fsutil.h"
#include "common/trace.h"

/* ---- configuration ------------------------------------------------------------ */

sl_log_config_t sl_log_config_default(void)
{
    sl_log_config_t c = {
        .segment_bytes = 1024 * 1024 * 1024,
        .segment_ms = 7LL * 24 * 3600 * 1000,
        .segment_index_bytes = 10 * 1024 * 1024,
        .index_interval_bytes = 4096,
        .flush_messages = INT64_MAX,
        .flush_ms = INT64_MAX,
        .retention_ms = 7LL * 24 * 3600 * 1000,
        .retention_bytes = -1,
        .cleanup_policy = SL_CLEANUP_DELETE,
        .delete_retention_ms = 24LL * 3600 * 1000,
        .min_cleanable_dirty_ratio = 0.5,
        .min_compaction_lag_ms = 0,
        .max_compaction_lag_ms = INT64_MAX,
        .max_message_bytes = 1048588,
        .timestamp_type = SL_TIMESTAMP_CREATE_TIME,
        .timestamp_before_max_ms = INT64_MAX,
        .timestamp_after_max_ms = INT64_MAX,
        .max_decompressed_bytes = SL_BATCH_DEFAULT_MAX_DECOMPRESSED,
        .min_insync_replicas = 1,
    };
    return c;
}

static int sl__parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

sl_err_t sl_log_config_set(sl_log_config_t *cfg, const char *key, const char *value, char *errbuf,
                           size_t errlen)
{
    static const struct {
        const char *key;
        size_t off;
        int is32;
        int64_t min, max;
    } ints[] = {
#define SL__I64(k, f, lo) {k, offsetof(sl_log_config_t, f), 0, lo, INT64_MAX}
        SL__I64("segment.bytes", segment_bytes, 14),
        SL__I64("segment.ms", segment_ms, 1),
        SL__I64("segment.index.bytes", segment_index_bytes, 12),
        {"index.interval.bytes", offsetof(sl_log_config_t, index_interval_bytes), 1, 0, INT32_MAX},
        SL__I64("flush.messages", flush_messages, 1),
        SL__I64("flush.ms", flush_ms, 0),
        SL__I64("retention.ms", retention_ms, -1),
        SL__I64("retention.bytes", retention_bytes, -1),
        SL__I64("delete.retention.ms", delete_retention_ms, 0),
        SL__I64("min.compaction.lag.ms", min_compaction_lag_ms, 0),
        SL__I64("max.compaction.lag.ms", max_compaction_lag_ms, 1),
        {"max.message.bytes", offsetof(sl_log_config_t, max_message_bytes), 1, 0, INT32_MAX},
        {"min.insync.replicas", offsetof(sl_log_config_t, min_insync_replicas), 1, 1, INT32_MAX},
        SL__I64("message.timestamp.before.max.ms", timestamp_before_max_ms, 0),
        SL__I64("message.timestamp.after.max.ms", timestamp_after_max_ms, 0),
#undef SL__I64
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].key) != 0)
            continue;
        int64_t v;
        if (sl__parse_i64(value, ints[i].min, ints[i].max, &v) != 0) {
            snprintf(errbuf, errlen, "%s: '%s' is not an integer in [%" PRId64 ", %" PRId64 "]", key,
                     value, ints[i].min, ints[i].max);
            return SL_ERR_CONFIG;
        }
        char *field = (char *)cfg + ints[i].off;
        if (ints[i].is32) {
            int32_t v32 = (int32_t)v;
            memcpy(field, &v32, sizeof v32);
        } else {
            memcpy(field, &v, sizeof v);
        }
        return SL_OK;
    }
    if (strcmp(key, "unclean.leader.election.enable") == 0) {
        if (strcasecmp(value, "true") != 0 && strcasecmp(value, "false") != 0) {
            snprintf(errbuf, errlen, "%s: '%s' is not true or false", key, value);
            return SL_ERR_CONFIG;
        }
        cfg->unclean_leader_election = strcasecmp(value, "true") == 0;
        return SL_OK;
    }
    if (strcmp(key, "cleanup.policy") == 0) {
        int policy = 0;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%s", value);
        char *save = NULL;
        for (char *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
            if (strcmp(tok, "delete") == 0)
                policy |= SL_CLEANUP_DELETE;
            else if (strcmp(tok, "compact") == 0)
                policy |= SL_CLEANUP_COMPACT;
            else
                policy = -1;
            if (policy < 0)
                break;
        }
        if (policy <= 0) {
            snprintf(errbuf, errlen, "cleanup.policy: '%s' is not delete, compact or compact,delete",
                     value);
            return SL_ERR_CONFIG;
        }
        cfg->cleanup_policy = policy;
        return SL_OK;
    }
    if (strcmp(key, "message.timestamp.type") == 0) {
        if (strcmp(value, "CreateTime") == 0)
            cfg->timestamp_type = SL_TIMESTAMP_CREATE_TIME;
        else if (strcmp(value, "LogAppendTime") == 0)
            cfg->timestamp_type = SL_TIMESTAMP_LOG_APPEND_TIME;
        else {
            snprintf(errbuf, errlen, "message.timestamp.type: '%s' is not CreateTime or LogAppendTime",
                     value);
            return SL_ERR_CONFIG;
        }
        return SL_OK;
    }
    if (strcmp(key, "min.cleanable.dirty.ratio") == 0) {
        char *end;
        double d = strtod(value, &end);
        if (end == value || *end || !(d >= 0.0 && d <= 1.0)) {
            snprintf(errbuf, errlen, "min.cleanable.dirty.ratio: '%s' is not a number in [0, 1]",
                     value);
            return SL_ERR_CONFIG;
        }
        cfg->min_cleanable_dirty_ratio = d;
        return SL_OK;
    }
    snprintf(errbuf, errlen, "unknown topic config key '%s'", key);
    return SL_ERR_INVAL;
}

/* ---- opening and closing ---------------------------------------------------------- */

static sl_err_t sl__log_push(sl_log_t *log, sl_segment_t *seg)
{
    if (log->nsegs == log->cap) {
        int cap = log->cap ? log->cap * 2 : 8;
        sl_segment_t **p = realloc(log->segs, (size_t)cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        log->segs = p;
        log->cap = cap;
    }
    log->segs[log->nsegs++] = seg;
    return SL_OK;
}

int sl__log_segment_index(const sl_log_t *log, int64_t offset)
{
    int lo = 0, hi = log->nsegs - 1, found = -1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static int sl__cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Parses "<20 digits><ext><suffix>"; returns 1 and the base offset on a match. */
static int sl__match_name(const char *name, const char *ext, const char *suffix, int64_t *base)
{
    size_t n = strlen(name), le = strlen(ext), ls = strlen(suffix);
    if (n != 20 + le + ls || strncmp(name + 20, ext, le) != 0 || strcmp(name + 20 + le, suffix) != 0)
        return 0;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return 1;
}

static int sl__has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && strcmp(name + n - m, suffix) == 0;
}

/* Completes a cleaner swap interrupted by a crash: the .swap segment replaces
 * every segment whose base offset falls in its range. */
static sl_err_t sl__log_complete_swap(sl_log_t *log, int64_t base, char *errbuf, size_t errlen)
{
    sl_segment_t *swap;
    sl_err_t err = sl__segment_open(log->dir, base, &log->cfg, 1, SL__SWAP_SUFFIX, &swap, errbuf, errlen);
    if (err)
        return err;
    int truncated;
    err = sl__segment_recover(swap, &log->cfg, &truncated);
    if (err) {
        sl__segment_unpin(swap);
        return err;
    }
    DIR *d = opendir(log->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int64_t b;
        if (sl__match_name(de->d_name, SL__LOG_SUFFIX, "", &b) && b >= base && b < swap->next_offset) {
            static const char *const exts[] = {SL__LOG_SUFFIX, SL__INDEX_SUFFIX, SL__TIMEINDEX_SUFFIX};
            for (int i = 0; i < 3; i++) {
                char *p = sl__segment_file(log->dir, b, exts[i]);
                if (p)
                    unlink(p);
                free(p);
            }
        }
    }
    if (d)
        closedir(d);
    err = sl__segment_rename_all(swap, SL__SWAP_SUFFIX, "");
    sl__segment_unpin(swap);
    sl_trace(SL_TRACE_WARN, "log", "%s: completed an interrupted compaction swap at offset %" PRId64,
             log->dir, base);
    return err;
}

/* Lists the segment base offsets of dir (after tidying leftovers) into a sorted array. */
static sl_err_t sl__log_list(sl_log_t *log, int64_t **bases, int *n, char *errbuf, size_t errlen)
{
    int64_t *arr = NULL;
    int cnt = 0, cap = 0;
    sl_err_t err = SL_OK;
    for (int pass = 0; pass < 2 && !err; pass++) {
        DIR *d = opendir(log->dir);
        if (!d) {
            snprintf(errbuf, errlen, "opendir %s: %s", log->dir, strerror(errno));
            free(arr);
            return SL_ERR_IO;
        }
        struct dirent *de;
        while ((de = readdir(d)) && !err) {
            const char *nm = de->d_name;
            int64_t b;
            if (pass == 0) {
                /* Files of unfinished deletions and cleanings go; finished swaps complete. */
                if (sl__has_suffix(nm, SL__DELETED_SUFFIX) || sl__has_suffix(nm, SL__CLEANED_SUFFIX)) {
                    size_t len = strlen(log->dir) + strlen(nm) + 2;
                    char *p = malloc(len);
                    if (p) {
                        snprintf(p, len, "%s/%s", log->dir, nm);
                        unlink(p);
                        free(p);
                    }
                } else if (sl__match_name(nm, SL__LOG_SUFFIX, SL__SWAP_SUFFIX, &b)) {
                    err = sl__log_complete_swap(log, b, errbuf, errlen);
                }
            } else if (sl__match_name(nm, SL__LOG_SUFFIX, "", &b)) {
                if (cnt == cap) {
                    cap = cap ? cap * 2 : 16;
                    int64_t *p = realloc(arr, (size_t)cap * sizeof *p);
                    if (!p) {
                        err = SL_ERR_NOMEM;
                        break;
                    }
                    arr = p;
                }
                arr[cnt++] = b;
            }
        }
        closedir(d);
    }
    if (err) {
        free(arr);
        return err;
    }
    if (cnt)
        qsort(arr, (size_t)cnt, sizeof *arr, sl__cmp_i64);
    *bases = arr;
    *n = cnt;
    return SL_OK;
}

static void sl__log_free(sl_log_t *log)
{
    for (int i = 0; i < log->nsegs; i++)
        sl__segment_unpin(log->segs[i]);
    free(log->segs);
    free(log->dir);
    sl__epochs_free(&log->epochs);
    free(log->epochs_path);
    pthread_mutex_destroy(&log->mu);
    free(log);
}

/* ---- leader epochs and the high watermark (the cache itself is epochs.c) ----------- */

/* Writes the leader-epoch checkpoint after a change. A failed write is traced
 * and retried at the next change and at close: the records are in the log
 * already, and a restart rebuilds what the file misses past the recovery point.
 * Caller holds mu (or owns the log alone). */
static void sl__log_save_epochs(sl_log_t *log)
{
    if (sl__epochs_write(log->epochs_path, &log->epochs) != SL_OK) {
        sl_trace(SL_TRACE_ERROR, "log", "writing %s: %s", log->epochs_path, strerror(errno));
        log->epochs.dirty = 1;
    } else {
        log->epochs.dirty = 0;
    }
}

/* Keeps the high watermark within [log start, log end]. Caller holds mu. */
static void sl__log_clamp_hw(sl_log_t *log)
{
    int64_t leo = sl__log_active(log)->next_offset;
    if (log->high_watermark < log->log_start_offset)
        log->high_watermark = log->log_start_offset;
    if (log->high_watermark > leo)
        log->high_watermark = leo;
}

/* The log start offset has moved up: epochs before it go. Caller holds mu. */
static void sl__log_start_moved(sl_log_t *log)
{
    if (sl__epochs_truncate_from_start(&log->epochs, log->log_start_offset))
        sl__log_save_epochs(log);
    sl__log_clamp_hw(log);
}

typedef struct sl__epoch_scan {
    sl__epochs_t *epochs;
    int changed;
    sl_err_t err;
} sl__epoch_scan_t;

static int sl__epoch_scan_cb(void *opaque, const sl_batch_header_t *h)
{
    sl__epoch_scan_t *sc = opaque;
    sl__epochs_t *c = sc->epochs;
    /* As Kafka's segment recovery: only an epoch newer than the latest counts,
     * so that a rescan of records already in the cache changes nothing. */
    if (h->partition_leader_epoch < 0 || (c->n && h->partition_leader_epoch <= c->e[c->n - 1].epoch))
        return 0;
    int r = sl__epochs_assign(c, h->partition_leader_epoch, h->base_offset);
    if (r < 0) {
        sc->err = (sl_err_t)r;
        return 1;
    }
    sc->changed |= r;
    return 0;
}

/* On open, after recovery: reads leader-epoch-checkpoint, or rebuilds the
 * cache from every batch header when the file is missing or malformed; after
 * an unclean shutdown, batches past the recovery point add their epochs (their
 * entry may not have reached the file). Then entries past the log end go and
 * the first is trimmed to the log start, as Kafka's LogLoader does. */
static sl_err_t sl__log_load_epochs(sl_log_t *log, int clean_shutdown)
{
    int64_t leo = sl__log_active(log)->next_offset;
    sl_err_t err = sl__epochs_read(log->epochs_path, &log->epochs);
    int missing = err == SL_ERR_IO && errno == ENOENT;
    if (err == SL_ERR_NOMEM)
        return err;
    int64_t from = clean_shutdown ? leo : log->recovery_point;
    if (err) {
        if (!missing)
            sl_trace(SL_TRACE_WARN, "log", "%s: %s; rebuilding it from the batches", log->epochs_path,
                     err == SL_ERR_CORRUPT_MESSAGE ? "malformed" : strerror(errno));
        from = log->log_start_offset;
    }
    sl__epoch_scan_t sc = {&log->epochs, err && !missing, SL_OK};
    if (from < leo) {
        sl_err_t e = sl_log_scan_headers(log, from, sl__epoch_scan_cb, &sc);
        if (e)
            return e;
        if (sc.err)
            return sc.err;
    }
    sc.changed |= sl__epochs_truncate_from_end(&log->epochs, leo);
    sc.changed |= sl__epochs_truncate_from_start(&log->epochs, log->log_start_offset);
    /* A log that has never had an epoch needs no file (Kafka writes an empty one). */
    if (sc.changed || (missing && log->epochs.n > 0))
        sl__log_save_epochs(log);
    return SL_OK;
}

sl_err_t sl_log_open(const char *dir, const sl_log_config_t *cfg, const sl_log_open_opts_t *opts,
                     sl_log_t **out, char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    if (!dir || !cfg || !out)
        return SL_ERR_INVAL;
    sl_log_open_opts_t o = {0, -1, 0, 0};
    if (opts)
        o = *opts;
    int64_t now = o.now_ms ? o.now_ms : sl_now_ms();

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "mkdir %s: %s", dir, strerror(errno));
        return SL_ERR_IO;
    }
    sl_log_t *log = calloc(1, sizeof *log);
    if (!log)
        return SL_ERR_NOMEM;
    pthread_mutex_init(&log->mu, NULL);
    log->cfg = *cfg;
    log->dir = strdup(dir);
    size_t plen = strlen(dir) + sizeof "/" SL__EPOCH_CHECKPOINT;
    if ((log->epochs_path = malloc(plen)) != NULL)
        snprintf(log->epochs_path, plen, "%s/%s", dir, SL__EPOCH_CHECKPOINT);
    log->last_flush_ms = now;
    if (!log->dir || !log->epochs_path) {
        sl__log_free(log);
        return SL_ERR_NOMEM;
    }

    int64_t *bases = NULL;
    int n = 0;
    sl_err_t err = sl__log_list(log, &bases, &n, errbuf, errlen);
    for (int i = 0; i < n && !err; i++) {
        int last = i == n - 1;
        /* Recover the segment holding the recovery point and all after it. */
        int recover = !o.clean_shutdown && (last || bases[i + 1] > o.recovery_point);
        sl_segment_t *seg;
        err = sl__segment_open(dir, bases[i], cfg, last || recover, "", &seg, errbuf, errlen);
        if (err)
            break;
        seg->created_ms = now;
        if (!recover && sl__segment_load_tail(seg) != SL_OK) {
            /* The index disagrees with the file: reopen writable and rebuild. */
            sl__segment_unpin(seg);
            recover = 1;
            err = sl__segment_open(dir, bases[i], cfg, 1, "", &seg, errbuf, errlen);
            if (err)
                break;
        }
        int truncated = 0;
        if (recover)
            err = sl__segment_recover(seg, cfg, &truncated);
        if (!err && log->nsegs && seg->base_offset < sl__log_active(log)->next_offset) {
            snprintf(errbuf, errlen, "%s.log overlaps the segment before it", seg->stem);
            err = SL_ERR_CORRUPT_MESSAGE;
        }
        if (!err)
            err = sl__log_push(log, seg);
        if (err) {
            sl__segment_unpin(seg);
            break;
        }
        if (truncated || last) {
            if (truncated && !last) {
                /* Everything after a cut is unreachable: Kafka deletes it too. */
                for (int j = i + 1; j < n; j++) {
                    static const char *const exts[] = {SL__LOG_SUFFIX, SL__INDEX_SUFFIX,
                                                       SL__TIMEINDEX_SUFFIX};
                    for (int k = 0; k < 3; k++) {
                        char *p = sl__segment_file(dir, bases[j], exts[k]);
                        if (p) {
                            sl_trace(SL_TRACE_WARN, "log", "%s: deleted, it follows a truncated segment", p);
                            unlink(p);
                        }
                        free(p);
                    }
                }
            }
            break;
        }
        if (!recover)
            continue;
        err = sl__segment_seal(seg); /* recovered with writable indexes: trim them */
    }
    free(bases);
    if (!err && log->nsegs == 0) {
        int64_t base = o.log_start_offset > 0 ? o.log_start_offset : 0;
        sl_segment_t *seg;
        err = sl__segment_create(dir, base, cfg, "", &seg, errbuf, errlen);
        if (!err && (err = sl__log_push(log, seg)) != SL_OK)
            sl__segment_unpin(seg);
    }
    if (err) {
        sl__log_free(log);
        return err;
    }
    sl_segment_t *active = sl__log_active(log);
    int64_t leo = active->next_offset;
    log->log_start_offset = log->segs[0]->base_offset;
    if (o.log_start_offset > log->log_start_offset)
        log->log_start_offset = o.log_start_offset < leo ? o.log_start_offset : leo;
    log->recovery_point = o.clean_shutdown ? leo : (o.recovery_point < leo ? o.recovery_point : leo);
    if (log->recovery_point < log->log_start_offset)
        log->recovery_point = log->log_start_offset;
    log->first_dirty_offset = log->log_start_offset;
    log->high_watermark = leo;
    if ((err = sl__log_load_epochs(log, o.clean_shutdown)) != SL_OK) {
        snprintf(errbuf, errlen, "%s: rebuilding the leader-epoch cache: %s", dir, sl_err_str(err));
        sl__log_free(log);
        return err;
    }
    *out = log;
    return SL_OK;
}

void sl_log_close(sl_log_t *log)
{
    if (!log)
        return;
    pthread_mutex_lock(&log->mu);
    log->closed = 1;
    if (log->epochs.dirty)
        sl__log_save_epochs(log);
    if (log->nsegs) {
        sl_segment_t *active = sl__log_active(log);
        if (sl__segment_flush(active) != SL_OK)
            sl_trace(SL_TRACE_ERROR, "log", "%s.log: flush on close failed: %s", active->stem,
                     strerror(errno));
    }
    pthread_mutex_unlock(&log->mu);
    sl__log_free(log);
}

void sl_log_set_config(sl_log_t *log, const sl_log_config_t *cfg)
{
    pthread_mutex_lock(&log->mu);
    log->cfg = *cfg;
    pthread_mutex_unlock(&log->mu);
}

sl_log_config_t sl_log_get_config(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    sl_log_config_t c = log->cfg;
    pthread_mutex_unlock(&log->mu);
    return c;
}

const char *sl_log_dir(const sl_log_t *log) { return log->dir; }

#define SL__LOG_GETTER(name, expr)      \
    int64_t name(sl_log_t *log)         \
    {                                   \
        pthread_mutex_lock(&log->mu);   \
        int64_t v = (expr);             \
        pthread_mutex_unlock(&log->mu); \
        return v;                       \
    }

SL__LOG_GETTER(sl_log_end_offset, sl__log_active(log)->next_offset)
SL__LOG_GETTER(sl_log_start_offset, log->log_start_offset)
SL__LOG_GETTER(sl_log_recovery_point, log->recovery_point)
SL__LOG_GETTER(sl_log_first_dirty_offset, log->first_dirty_offset)

int64_t sl_log_size_bytes(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    int64_t total = 0;
    for (int i = 0; i < log->nsegs; i++)
        total += (int64_t)sl__segment_size(log->segs[i]);
    pthread_mutex_unlock(&log->mu);
    return total;
}

int sl_log_segment_count(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    int n = log->nsegs;
    pthread_mutex_unlock(&log->mu);
    return n;
}

void sl_log_set_first_dirty_offset(sl_log_t *log, int64_t offset)
{
    pthread_mutex_lock(&log->mu);
    log->first_dirty_offset = offset;
    pthread_mutex_unlock(&log->mu);
}

SL__LOG_GETTER(sl_log_high_watermark, log->high_watermark)

int64_t sl_log_set_high_watermark(sl_log_t *log, int64_t hw)
{
    pthread_mutex_lock(&log->mu);
    log->high_watermark = hw;
    sl__log_clamp_hw(log);
    hw = log->high_watermark;
    pthread_mutex_unlock(&log->mu);
    return hw;
}

int32_t sl_log_latest_epoch(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    int32_t e = log->epochs.n ? log->epochs.e[log->epochs.n - 1].epoch : -1;
    pthread_mutex_unlock(&log->mu);
    return e;
}

sl_err_t sl_log_end_offset_for_epoch(sl_log_t *log, int32_t epoch, int32_t *out_epoch,
                                     int64_t *out_end_offset)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = log->closed ? SL_ERR_LOG_CLOSED : SL_OK;
    if (!err)
        sl__epochs_end_offset_for(&log->epochs, epoch, sl__log_active(log)->next_offset, out_epoch,
                                  out_end_offset);
    else
        *out_epoch = -1, *out_end_offset = -1;
    pthread_mutex_unlock(&log->mu);
    return err;
}

int sl_log_epoch_entries(sl_log_t *log, sl_log_epoch_entry_t *out, int max)
{
    pthread_mutex_lock(&log->mu);
    int n = log->epochs.n;
    if (out && max > 0 && n > 0)
        memcpy(out, log->epochs.e, (size_t)(n < max ? n : max) * sizeof *out);
    pthread_mutex_unlock(&log->mu);
    return n;
}

sl_err_t sl_log_assign_epoch(sl_log_t *log, int32_t epoch, int64_t start_offset)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = SL_OK;
    if (log->closed)
        err = SL_ERR_LOG_CLOSED;
    else if (epoch < 0 || start_offset < log->log_start_offset ||
             start_offset > sl__log_active(log)->next_offset)
        err = SL_ERR_INVAL;
    if (!err) {
        int r = sl__epochs_assign(&log->epochs, epoch, start_offset);
        if (r < 0)
            err = (sl_err_t)r;
        else if (r)
            sl__log_save_epochs(log);
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

/* ---- appending ------------------------------------------------------------------ */

/* Checks every batch of an append before anything is written. */
static sl_err_t sl__log_validate(const sl_log_config_t *cfg, const uint8_t *data, size_t len,
                                 int64_t now, int from_producer, sl_log_append_info_t *info)
{
    sl_buf_t scratch = SL_BUF_INIT;
    sl_err_t err = SL_OK;
    size_t off = 0;
    info->batch_count = 0;
    info->record_count = 0;
    info->max_timestamp = -1;
    if (len == 0)
        err = SL_ERR_CORRUPT_MESSAGE;
    while (!err && off < len) {
        sl_batch_header_t h;
        err = sl_batch_check(data + off, len - off, &h);
        if (err == SL_ERR_TRUNCATED)
            err = SL_ERR_CORRUPT_MESSAGE; /* a producer never sends half a batch */
        if (err)
            break;
        size_t size = sl_batch_size(&h);
        if (size > (size_t)cfg->max_message_bytes) {
            err = SL_ERR_RECORD_TOO_LARGE;
            break;
        }
        /* A producer's batch must span its offsets; a copy of a log may carry
         * compaction's gaps. */
        err = from_producer
                  ? sl_batch_validate_records(data + off, size, (size_t)cfg->max_decompressed_bytes, &scratch)
                  : sl_batch_check_records(data + off, size, (size_t)cfg->max_decompressed_bytes, &scratch);
        if (err)
            break;
        if (cfg->timestamp_type == SL_TIMESTAMP_CREATE_TIME && h.record_count > 0 &&
            !(h.attributes & SL_BATCH_ATTR_CONTROL)) {
            /* Kafka's per-record check; batch bounds cover every record. */
            int64_t lo = h.base_timestamp < h.max_timestamp ? h.base_timestamp : h.max_timestamp;
            if ((cfg->timestamp_before_max_ms != INT64_MAX && now - lo > cfg->timestamp_before_max_ms) ||
                (cfg->timestamp_after_max_ms != INT64_MAX &&
                 h.max_timestamp - now > cfg->timestamp_after_max_ms)) {
                err = SL_ERR_INVALID_TIMESTAMP;
                break;
            }
        }
        if (h.max_timestamp > info->max_timestamp)
            info->max_timestamp = h.max_timestamp;
        info->batch_count++;
        info->record_count += h.record_count;
        off += size;
    }
    sl_buf_free(&scratch);
    return err;
}

/* Kafka's LogSegment.shouldRoll, for an append of len bytes whose first batch
 * has max timestamp first_max_ts and whose last offset is last_offset. */
static int sl__log_should_roll(const sl_log_t *log, size_t len, int64_t first_max_ts,
                               int64_t last_offset, int64_t now)
{
    const sl_segment_t *seg = sl__log_active(log);
    uint64_t size = seg->size;
    if (size == 0)
        return 0;
    if (size + len > (uint64_t)log->cfg.segment_bytes)
        return 1;
    int64_t waited = seg->rolling_timestamp >= 0 && first_max_ts >= 0
                         ? first_max_ts - seg->rolling_timestamp
                         : now - seg->created_ms;
    if (waited > log->cfg.segment_ms)
        return 1;
    if (sl_index_is_full(seg->oidx) || sl_index_is_full(seg->tidx))
        return 1;
    return last_offset - seg->base_offset > INT32_MAX;
}

sl_err_t sl__log_roll_locked(sl_log_t *log, int64_t now_ms)
{
    sl_segment_t *old = sl__log_active(log);
    int64_t base = old->next_offset;
    sl_err_t err = sl__segment_seal(old);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "log", "%s.log: sealing on roll failed", old->stem);
        return err;
    }
    char errbuf[256];
    sl_segment_t *seg;
    err = sl__segment_create(log->dir, base, &log->cfg, "", &seg, errbuf, sizeof errbuf);
    if (err) {
        sl_trace(SL_TRACE_ERROR, "log", "roll: %s", errbuf);
        return err;
    }
    seg->created_ms = now_ms;
    if ((err = sl__log_push(log, seg)) != SL_OK) {
        sl__segment_delete(seg, "");
        return err;
    }
    /* Everything before the new segment was fsynced by the seal. */
    if (log->recovery_point < base)
        log->recovery_point = base;
    log->unflushed_messages = 0;
    return SL_OK;
}

static sl_err_t sl__log_flush_locked(sl_log_t *log, int64_t now)
{
    sl_segment_t *active = sl__log_active(log);
    /* Segments before the active one were fsynced when they rolled. */
    sl_err_t err = sl__segment_flush(active);
    if (err)
        return err;
    log->recovery_point = active->next_offset;
    log->unflushed_messages = 0;
    log->last_flush_ms = now;
    return SL_OK;
}

static sl_err_t sl__log_write(sl_log_t *log, uint8_t *data, const uint8_t *cdata, size_t len,
                              int32_t leader_epoch, int64_t now, sl_log_append_info_t *info)
{
    const uint8_t *bytes = data ? data : cdata;
    /* Only a leader's append stamps LogAppendTime; a copy keeps what it got. */
    int lat = data && log->cfg.timestamp_type == SL_TIMESTAMP_LOG_APPEND_TIME;
    sl_segment_t *active = sl__log_active(log);
    int64_t leo = active->next_offset;

    sl_batch_header_t first;
    sl_batch_header_parse(bytes, len, &first);
    /* Offsets: assigned (data) or carried (cdata). */
    int64_t next = leo;
    int64_t last_offset = -1;
    for (size_t off = 0; off < len;) {
        sl_batch_header_t h;
        sl_batch_header_parse(bytes + off, len - off, &h);
        if (data) {
            sl_store_be64(data + off + SL_BATCH_OFF_BASE_OFFSET, (uint64_t)next);
            if (leader_epoch >= 0)
                sl_store_be32(data + off + SL_BATCH_OFF_LEADER_EPOCH, (uint32_t)leader_epoch);
            if (lat) {
                uint16_t attrs = (uint16_t)(h.attributes | SL_BATCH_ATTR_LOG_APPEND_TIME);
                sl_store_be16(data + off + SL_BATCH_OFF_ATTRIBUTES, attrs);
                sl_store_be64(data + off + SL_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)now);
                sl_batch_update_crc(data + off, sl_batch_size(&h));
            }
            h.base_offset = next;
        } else if (h.base_offset < next) {
            return SL_ERR_INVAL;
        }
        next = sl_batch_last_offset(&h) + 1;
        last_offset = sl_batch_last_offset(&h);
        off += sl_batch_size(&h);
    }
    int64_t first_offset = data ? leo : first.base_offset;
    int64_t first_max_ts = lat ? now : first.max_timestamp;
    if (sl__log_should_roll(log, len, first_max_ts, last_offset, now) ||
        (!data && first_offset - active->base_offset > INT32_MAX)) {
        sl_err_t err = sl__log_roll_locked(log, now);
        if (err)
            return err;
        active = sl__log_active(log);
    }
    if (!data && active->size == 0 && active->base_offset != first_offset && active->base_offset < first_offset) {
        /* A follower's copy may start past our end (after the leader's retention):
         * an empty active segment is renamed by recreating it at the right base. */
        char errbuf[256];
        sl_segment_t *seg;
        sl_err_t err = sl__segment_create(log->dir, first_offset, &log->cfg, "", &seg, errbuf, sizeof errbuf);
        if (err)
            return err;
        log->segs[log->nsegs - 1] = seg;
        sl__segment_delete(active, "");
        active = seg;
        if (log->nsegs == 1 && log->log_start_offset < first_offset) {
            /* The log starts over at the leader's offsets (Kafka's
             * truncateFullyAndStartAt): its old epochs describe nothing now. */
            log->log_start_offset = first_offset;
            if (log->epochs.n) {
                log->epochs.n = 0;
                sl__log_save_epochs(log);
            }
            sl__log_clamp_hw(log);
        }
    }
    sl_err_t err = sl__segment_append(active, bytes, len, &log->cfg);
    if (err)
        return err;
    /* Epochs before a flush can move the recovery point past these batches:
     * reopening only rescans from there for epochs the file lacks. */
    int changed = 0;
    for (size_t off = 0; off < len;) {
        sl_batch_header_t h;
        sl_batch_header_parse(bytes + off, len - off, &h);
        int32_t epoch = data ? leader_epoch : h.partition_leader_epoch;
        if (log->epochs.n > 0 && epoch >= 0 && epoch < log->epochs.e[log->epochs.n - 1].epoch)
            sl_trace(SL_TRACE_WARN, "log", "%s: %s append of leader epoch %d at %" PRId64 " after epoch %d",
                     log->dir, data ? "a leader's" : "a follower's", epoch, data ? first_offset : h.base_offset,
                     log->epochs.e[log->epochs.n - 1].epoch);
        int r = sl__epochs_assign(&log->epochs, epoch, data ? first_offset : h.base_offset);
        if (r < 0)
            sl_trace(SL_TRACE_ERROR, "log", "%s: leader epoch %" PRId32 " at %" PRId64 " not cached: %s",
                     log->dir, epoch, h.base_offset, sl_err_str((sl_err_t)r));
        else
            changed |= r;
        if (data)
            break; /* one epoch for the whole append */
        off += sl_batch_size(&h);
    }
    if (changed)
        sl__log_save_epochs(log);
    if (info) {
        info->first_offset = first_offset;
        info->last_offset = last_offset;
        info->log_end_offset = active->next_offset;
        info->log_append_time = lat ? now : -1;
        if (info->log_append_time >= 0)
            info->max_timestamp = now;
    }
    log->unflushed_messages += last_offset - first_offset + 1;
    if (log->unflushed_messages >= log->cfg.flush_messages)
        return sl__log_flush_locked(log, now);
    return SL_OK;
}

sl_err_t sl_log_append(sl_log_t *log, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
                       sl_log_append_info_t *info)
{
    sl_log_append_info_t tmp;
    if (!info)
        info = &tmp;
    int64_t now = now_ms ? now_ms : sl_now_ms();
    sl_log_config_t cfg = sl_log_get_config(log);
    /* Validation (CRC, decompression) runs outside the lock: producers to one
     * partition only serialise on the write itself. */
    sl_err_t err = sl__log_validate(&cfg, data, len, now, 1, info);
    if (err)
        return err;
    pthread_mutex_lock(&log->mu);
    err = log->closed ? SL_ERR_LOG_CLOSED : sl__log_write(log, data, NULL, len, leader_epoch, now, info);
    pthread_mutex_unlock(&log->mu);
    return err;
}

sl_err_t sl_log_append_with_offsets(sl_log_t *log, const uint8_t *data, size_t len,
                                    sl_log_append_info_t *info)
{
    sl_log_append_info_t tmp;
    if (!info)
        info = &tmp;
    int64_t now = sl_now_ms();
    sl_log_config_t cfg = sl_log_get_config(log);
    cfg.timestamp_type = SL_TIMESTAMP_CREATE_TIME; /* a copy keeps the leader's timestamps */
    cfg.timestamp_before_max_ms = cfg.timestamp_after_max_ms = INT64_MAX;
    sl_err_t err = sl__log_validate(&cfg, data, len, now, 0, info);
    if (err)
        return err;
    pthread_mutex_lock(&log->mu);
    err = log->closed ? SL_ERR_LOG_CLOSED : sl__log_write(log, NULL, data, len, -1, now, info);
    pthread_mutex_unlock(&log->mu);
    return err;
}

/* ---- reading -------------------------------------------------------------------- */

/* The position of the last offset-index entry at or before position limit
 * whose batch ends at or below max_offset; 0 when there is none. */
static uint64_t sl__index_floor_position(const sl_index_t *idx, uint64_t limit, int64_t max_offset)
{
    size_t lo = 0, hi = sl_index_entries(idx);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t off, pos;
        sl_index_entry(idx, mid, &off, &pos);
        if ((uint64_t)pos <= limit && off <= max_offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    int64_t off, pos;
    sl_index_entry(idx, lo - 1, &off, &pos);
    return (uint64_t)pos;
}

sl_err_t sl_log_read(sl_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                     sl_log_slice_t *out)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->first_offset = offset;
    pthread_mutex_lock(&log->mu);
    int64_t leo = sl__log_active(log)->next_offset;
    if (log->closed || offset < log->log_start_offset || offset > leo) {
        pthread_mutex_unlock(&log->mu);
        return log->closed ? SL_ERR_LOG_CLOSED : SL_ERR_OFFSET_OUT_OF_RANGE;
    }
    int i = sl__log_segment_index(log, offset);
    if (i < 0)
        i = 0;
    for (; i < log->nsegs; i++) {
        sl_segment_t *seg = log->segs[i];
        if (seg->next_offset <= offset)
            continue; /* compaction or a gap left nothing at or after offset here */
        sl__segment_pin(seg);
        uint64_t size = sl__segment_size(seg);
        pthread_mutex_unlock(&log->mu);

        uint64_t pos;
        sl_batch_header_t h;
        sl_err_t err = sl__segment_find(seg, offset, size, &pos, &h);
        if (err) {
            sl__segment_unpin(seg);
            return err;
        }
        uint64_t end = pos;
        int64_t first_base = h.base_offset;
        if (pos < size && h.base_offset < max_offset) {
            /* The first batch goes whole, however large (KIP-74). Then skip
             * ahead with the offset index: its entries are batch starts, so
             * every batch before the last entry within reach is whole. This
             * saves a header read per batch (bench_log's read ratio). */
            end = pos + sl_batch_size(&h);
            uint64_t reach = pos + (max_bytes > sl_batch_size(&h) ? max_bytes : sl_batch_size(&h));
            uint64_t jump = sl__index_floor_position(seg->oidx, reach < size ? reach : size, max_offset);
            if (jump > end)
                end = jump;
        }
        while (end > pos && end < size) {
            if (sl__segment_read_header(seg, end, size, &h) != SL_OK || h.base_offset >= max_offset)
                break;
            uint64_t bsize = sl_batch_size(&h);
            if (end - pos + bsize > max_bytes)
                break;
            end += bsize;
        }
        if (end > pos) {
            out->seg = seg;
            out->fd = seg->fd;
            out->position = pos;
            out->len = (size_t)(end - pos);
            out->first_offset = first_base;
            return SL_OK;
        }
        sl__segment_unpin(seg);
        if (pos < size)
            return SL_OK; /* the next batch is at or past max_offset */
        pthread_mutex_lock(&log->mu);
    }
    pthread_mutex_unlock(&log->mu);
    return SL_OK;
}

void sl_log_slice_release(sl_log_slice_t *slice)
{
    if (slice && slice->seg) {
        sl__segment_unpin(slice->seg);
        slice->seg = NULL;
        slice->fd = -1;
        slice->len = 0;
    }
}

static sl_err_t sl__pread_all(int fd, uint8_t *p, size_t n, uint64_t pos)
{
    while (n) {
        ssize_t r = pread(fd, p, n, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return SL_ERR_IO;
        p += r, n -= (size_t)r, pos += (uint64_t)r;
    }
    return SL_OK;
}

sl_err_t sl_log_read_copy(sl_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                          sl_buf_t *out)
{
    sl_log_slice_t s;
    sl_err_t err = sl_log_read(log, offset, max_bytes, max_offset, &s);
    if (err || s.len == 0)
        return err;
    uint8_t *p = sl_buf_extend(out, s.len);
    err = p ? sl__pread_all(s.fd, p, s.len, s.position) : SL_ERR_NOMEM;
    if (err && p)
        out->len -= s.len;
    sl_log_slice_release(&s);
    return err;
}

/* The first record at or after position pos of seg with timestamp >= ts. */
static int sl__segment_search_ts(sl_segment_t *seg, uint64_t pos, uint64_t size, int64_t ts,
                                 size_t max_decompressed, int64_t *offset, int64_t *timestamp)
{
    sl_buf_t batch = SL_BUF_INIT, scratch = SL_BUF_INIT;
    int found = 0;
    while (pos < size && !found) {
        sl_batch_header_t h;
        sl_err_t err = sl__segment_read_header(seg, pos, size, &h);
        if (err) {
            found = err;
            break;
        }
        if (h.max_timestamp >= ts && !(h.attributes & SL_BATCH_ATTR_CONTROL)) {
            sl_buf_reset(&batch);
            uint8_t *p = sl_buf_extend(&batch, sl_batch_size(&h));
            sl_record_iter_t it;
            if (!p || sl__pread_all(seg->fd, p, sl_batch_size(&h), pos) != SL_OK) {
                found = p ? SL_ERR_IO : SL_ERR_NOMEM;
                break;
            }
            err = sl_record_iter_init(&it, p, sl_batch_size(&h), max_decompressed, &scratch);
            if (err) {
                found = err;
                break;
            }
            sl_record_t rec;
            int r;
            while ((r = sl_record_iter_next(&it, &rec)) == 1) {
                if (rec.timestamp >= ts) {
                    *offset = rec.offset;
                    *timestamp = rec.timestamp;
                    found = 1;
                    break;
                }
            }
            if (r < 0) {
                found = r;
                break;
            }
        }
        pos += sl_batch_size(&h);
    }
    sl_buf_free(&batch);
    sl_buf_free(&scratch);
    return found;
}

int sl_log_offset_for_timestamp(sl_log_t *log, int64_t ts, int64_t *offset, int64_t *timestamp)
{
    *offset = -1;
    *timestamp = -1;
    pthread_mutex_lock(&log->mu);
    if (ts == SL_TIMESTAMP_EARLIEST || ts == SL_TIMESTAMP_LATEST) {
        *offset = ts == SL_TIMESTAMP_EARLIEST ? log->log_start_offset : sl__log_active(log)->next_offset;
        pthread_mutex_unlock(&log->mu);
        return 1;
    }
    size_t cap = (size_t)log->cfg.max_decompressed_bytes;
    if (ts == SL_TIMESTAMP_MAX) {
        int64_t best = -1, best_off = -1;
        for (int i = 0; i < log->nsegs; i++)
            if (log->segs[i]->max_timestamp > best) {
                best = log->segs[i]->max_timestamp;
                best_off = log->segs[i]->offset_of_max_timestamp;
            }
        pthread_mutex_unlock(&log->mu);
        if (best < 0)
            return 0;
        *offset = best_off, *timestamp = best;
        return 1;
    }
    if (ts < 0) {
        pthread_mutex_unlock(&log->mu);
        return SL_ERR_INVAL;
    }
    /* Kafka: the first segment whose largest timestamp reaches ts. */
    for (int i = 0; i < log->nsegs; i++) {
        sl_segment_t *seg = log->segs[i];
        if (seg->max_timestamp < ts)
            continue;
        sl__segment_pin(seg);
        uint64_t size = sl__segment_size(seg);
        int64_t start = log->log_start_offset;
        pthread_mutex_unlock(&log->mu);
        int64_t its, ioff;
        sl_index_lookup_time(seg->tidx, ts, &its, &ioff);
        if (ioff < start)
            ioff = start;
        uint64_t pos;
        sl_batch_header_t h;
        int r = sl__segment_find(seg, ioff, size, &pos, &h);
        if (r == SL_OK)
            r = sl__segment_search_ts(seg, pos, size, ts, cap, offset, timestamp);
        sl__segment_unpin(seg);
        if (r == 1 && *offset < start)
            *offset = start;
        return r;
    }
    pthread_mutex_unlock(&log->mu);
    return 0;
}

sl_err_t sl_log_scan_headers(sl_log_t *log, int64_t from,
                             int (*fn)(void *opaque, const sl_batch_header_t *h), void *opaque)
{
    pthread_mutex_lock(&log->mu);
    int first = sl__log_segment_index(log, from);
    if (first < 0)
        first = 0;
    int n = log->nsegs - first;
    sl_segment_t **segs = malloc((size_t)n * sizeof *segs);
    uint64_t *sizes = malloc((size_t)n * sizeof *sizes);
    if (!segs || !sizes) {
        pthread_mutex_unlock(&log->mu);
        free(segs), free(sizes);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        segs[i] = log->segs[first + i];
        sizes[i] = sl__segment_size(segs[i]);
        sl__segment_pin(segs[i]);
    }
    pthread_mutex_unlock(&log->mu);
    sl_err_t err = SL_OK;
    int stop = 0;
    for (int i = 0; i < n && !err && !stop; i++) {
        uint64_t pos = 0;
        sl_batch_header_t h;
        if (i == 0 && (err = sl__segment_find(segs[i], from, sizes[i], &pos, &h)) != SL_OK)
            break;
        while (pos < sizes[i] && !stop) {
            if ((err = sl__segment_read_header(segs[i], pos, sizes[i], &h)) != SL_OK)
                break;
            stop = fn(opaque, &h);
            pos += sl_batch_size(&h);
        }
    }
    for (int i = 0; i < n; i++)
        sl__segment_unpin(segs[i]);
    free(segs), free(sizes);
    return err;
}

/* ---- rolling, flushing ------------------------------------------------------------- */

sl_err_t sl_log_roll(sl_log_t *log, int64_t now_ms)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = SL_OK;
    if (sl__log_active(log)->size > 0)
        err = sl__log_roll_locked(log, now_ms ? now_ms : sl_now_ms());
    pthread_mutex_unlock(&log->mu);
    return err;
}

sl_err_t sl_log_flush(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = sl__log_flush_locked(log, sl_now_ms());
    pthread_mutex_unlock(&log->mu);
    return err;
}

sl_err_t sl_log_flush_if_due(sl_log_t *log, int64_t now_ms)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = SL_OK;
    if (log->cfg.flush_ms != INT64_MAX && now_ms - log->last_flush_ms >= log->cfg.flush_ms &&
        log->recovery_point < sl__log_active(log)->next_offset)
        err = sl__log_flush_locked(log, now_ms);
    pthread_mutex_unlock(&log->mu);
    return err;
}

/* ---- retention, truncation, deletion ------------------------------------------------ */

sl_err_t sl__log_replace_segments(sl_log_t *log, int from, int to, sl_segment_t *with,
                                  int unlink_files)
{
    if (from < 0 || to > log->nsegs || from > to || (to == log->nsegs && !with))
        return SL_ERR_INVAL;
    for (int i = from; i < to; i++) {
        sl_segment_t *seg = log->segs[i];
        if (unlink_files) {
            sl__segment_delete(seg, "");
        } else {
            seg->deleted = 1;
            sl__segment_unpin(seg);
        }
    }
    int keep = with ? 1 : 0;
    memmove(log->segs + from + keep, log->segs + to, (size_t)(log->nsegs - to) * sizeof *log->segs);
    if (with)
        log->segs[from] = with;
    log->nsegs -= to - from - keep;
    return SL_OK;
}

sl_err_t sl_log_retain(sl_log_t *log, int64_t now_ms, int *deleted)
{
    int64_t now = now_ms ? now_ms : sl_now_ms();
    int count = 0;
    sl_err_t err = SL_OK;
    pthread_mutex_lock(&log->mu);
    const sl_log_config_t *c = &log->cfg;
    int64_t total = 0;
    for (int i = 0; i < log->nsegs; i++)
        total += (int64_t)log->segs[i]->size;
    /* How many leading segments go: each test keeps going while it holds. */
    int n = 0;
    while (n < log->nsegs) {
        sl_segment_t *seg = log->segs[n];
        int expired = 0;
        if (seg->next_offset <= log->log_start_offset && seg != sl__log_active(log))
            expired = 1;
        if (c->cleanup_policy & SL_CLEANUP_DELETE) {
            int64_t ts = seg->max_timestamp >= 0 ? seg->max_timestamp : seg->created_ms;
            if (c->retention_ms >= 0 && seg->size > 0 && now - ts > c->retention_ms)
                expired = 1;
            if (c->retention_bytes >= 0 && seg->size > 0 && total - (int64_t)seg->size >= c->retention_bytes)
                expired = 1;
        }
        if (!expired)
            break;
        total -= (int64_t)seg->size;
        n++;
    }
    if (n == log->nsegs) {
        /* The active segment expired too: roll so that it can go (Kafka does). */
        err = sl__log_roll_locked(log, now);
        if (err)
            n--;
    }
    if (n > 0 && !err) {
        int64_t new_start = log->segs[n]->base_offset;
        err = sl__log_replace_segments(log, 0, n, NULL, 1);
        if (!err) {
            count = n;
            if (log->log_start_offset < new_start) {
                log->log_start_offset = new_start;
                sl__log_start_moved(log);
            }
            if (log->first_dirty_offset < new_start)
                log->first_dirty_offset = new_start;
            if (log->recovery_point < new_start)
                log->recovery_point = new_start;
        }
    }
    pthread_mutex_unlock(&log->mu);
    if (deleted)
        *deleted = count;
    return err;
}

sl_err_t sl_log_advance_start_offset(sl_log_t *log, int64_t offset)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = SL_OK;
    if (offset > sl__log_active(log)->next_offset || offset < 0)
        err = SL_ERR_OFFSET_OUT_OF_RANGE;
    else if (offset > log->log_start_offset) {
        log->log_start_offset = offset;
        sl__log_start_moved(log);
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

sl_err_t sl_log_truncate_to(sl_log_t *log, int64_t offset)
{
    pthread_mutex_lock(&log->mu);
    sl_err_t err = SL_OK;
    if (offset < log->log_start_offset) {
        err = SL_ERR_INVAL;
    } else if (offset < sl__log_active(log)->next_offset) {
        int i = sl__log_segment_index(log, offset);
        if (i < 0)
            i = 0;
        /* Segments wholly at or after offset go; the one holding it is cut. */
        while (log->nsegs > i + 1)
            sl__segment_delete(log->segs[--log->nsegs], "");
        sl_segment_t *seg = log->segs[i];
        char errbuf[256];
        /* Reopen with writable indexes: it is the active segment again. */
        sl_segment_t *fresh = NULL;
        err = sl__segment_open(log->dir, seg->base_offset, &log->cfg, 1, "", &fresh, errbuf, sizeof errbuf);
        if (!err)
            err = sl__segment_truncate_to(fresh, offset, &log->cfg);
        if (!err) {
            fresh->created_ms = seg->created_ms;
            /* Same files, now owned by fresh: the old object must not trim
             * its (formerly active) indexes when its last reader lets go. */
            sl_index_disown(seg->oidx);
            sl_index_disown(seg->tidx);
            seg->deleted = 1;
            sl__segment_unpin(seg);
            log->segs[i] = fresh;
        } else if (fresh) {
            sl__segment_unpin(fresh);
        }
        int64_t leo = sl__log_active(log)->next_offset;
        if (log->recovery_point > leo)
            log->recovery_point = leo;
        if (log->first_dirty_offset > leo)
            log->first_dirty_offset = leo;
    }
    if (err != SL_ERR_INVAL) {
        /* Also when nothing was cut: a leader's epoch entry may sit at the end
         * with no records after it (Kafka truncates the cache there too). */
        if (sl__epochs_truncate_from_end(&log->epochs, sl__log_active(log)->next_offset))
            sl__log_save_epochs(log);
        sl__log_clamp_hw(log);
    }
    pthread_mutex_unlock(&log->mu);
    return err;
}

sl_err_t sl_log_delete(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    log->closed = 1;
    while (log->nsegs > 0)
        sl__segment_delete(log->segs[--log->nsegs], "");
    pthread_mutex_unlock(&log->mu);
    unlink(log->epochs_path);
    size_t tlen = strlen(log->epochs_path) + sizeof ".tmp";
    char *tmp = malloc(tlen);
    if (tmp) {
        snprintf(tmp, tlen, "%s.tmp", log->epochs_path); /* a write cut short */
        unlink(tmp);
        free(tmp);
    }
    sl_err_t err = SL_OK;
    if (rmdir(log->dir) != 0 && errno != ENOENT) {
        sl_trace(SL_TRACE_WARN, "log", "rmdir %s: %s", log->dir, strerror(errno));
        err = SL_ERR_IO;
    }
    sl__log_free(log);
    return err;
}

double sl_log_dirty_ratio(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    uint64_t clean = 0, dirty = 0;
    for (int i = 0; i < log->nsegs - 1; i++) {
        sl_segment_t *seg = log->segs[i];
        if (seg->next_offset <= log->first_dirty_offset)
            clean += seg->size;
        else
            dirty += seg->size;
    }
    pthread_mutex_unlock(&log->mu);
    return clean + dirty ? (double)dirty / (double)(clean + dirty) : 0.0;
}
