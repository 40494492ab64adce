/* logmgr.h — the log manager: every partition log under one data directory
 * (`log.dirs`), Kafka's checkpoint files, clean-shutdown detection, and the
 * background work — flushes on flush.ms, retention, compaction.
 *
 * Layout of the directory, as Kafka's: one `<topic>-<partition>` directory per
 * log, plus `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
 * `cleaner-offset-checkpoint` and `replication-offset-checkpoint` (high
 * watermarks), all in Kafka's text format: version 0, the entry count, then
 * one `topic partition offset` line each; and `.kafka_cleanshutdown` while the
 * manager is closed cleanly. */
#ifndef SL_BROKER_LOG_LOGMGR_H
#define SL_BROKER_LOG_LOGMGR_H

#include <stdint.h>

#include <sluice/err.h>

#include "broker/log/log.h"

/** Broker-level settings of the manager, with Kafka's server.properties names. */
typedef struct sl_logmgr_config {
    sl_log_config_t log_defaults;         /* topic defaults (log.segment.bytes …) */
    int64_t retention_check_interval_ms; /* log.retention.check.interval.ms: 300000 */
    int64_t checkpoint_interval_ms;      /* log.flush.offset.checkpoint.interval.ms: 60000 */
    int64_t flush_scheduler_interval_ms; /* log.flush.scheduler.interval.ms: 1000 here
                                          * (how often flush.ms is checked) */
    int cleaner_enable;                  /* log.cleaner.enable: 1 */
    int64_t cleaner_backoff_ms;          /* log.cleaner.backoff.ms: 15000 */
} sl_logmgr_config_t;

sl_logmgr_config_t sl_logmgr_config_default(void);

typedef struct sl_logmgr sl_logmgr_t;

/** Opens the data directory dir (created when missing) and every partition log
 * in it, recovering each from its checkpointed recovery point (or skipping
 * scans after a clean shutdown), and restores each log's high watermark from
 * replication-offset-checkpoint (clamped to the log; a log the file does not
 * name keeps its log end offset). cfg may be NULL (defaults); it is copied.
 * *out is owned by the caller (sl_logmgr_close). Errors: SL_ERR_IO,
 * SL_ERR_NOMEM, SL_ERR_CORRUPT_MESSAGE (a malformed checkpoint file), with
 * detail in errbuf. */
sl_err_t sl_logmgr_open(const char *dir, const sl_logmgr_config_t *cfg, sl_logmgr_t **out,
                        char *errbuf, size_t errlen);

/** Stops the background thread, flushes and checkpoints every log, closes them
 * and marks the shutdown clean. NULL is a no-op. */
void sl_logmgr_close(sl_logmgr_t *mgr);

/** Starts the background thread that runs sl_logmgr_maintain on its intervals.
 * Errors: SL_ERR_STATE (already started), SL_ERR_NOMEM. */
sl_err_t sl_logmgr_start(sl_logmgr_t *mgr);

/** The log of topic-partition, or NULL. The pointer stays valid until the log is
 * deleted with sl_logmgr_delete or the manager closes; the caller must not
 * use it past either. */
sl_log_t *sl_logmgr_get(sl_logmgr_t *mgr, const char *topic, int32_t partition);

/** Kafka's topic name rules: 1..249 characters of [a-zA-Z0-9._-], not "."
 * or ".." (NULL is not valid). Partition directories are named after topics,
 * so the log manager and the topic catalogue share this one check. */
int sl_topic_name_valid(const char *name);

/** Creates the log of topic-partition with cfg (NULL: the defaults). When it
 * exists already, *out gets it and SL_ERR_EXISTS is returned. Topic names follow
 * Kafka's rules (1-249 characters of [a-zA-Z0-9._-], not "." or "..") else
 * SL_ERR_INVAL. Errors as sl_log_open. */
sl_err_t sl_logmgr_create(sl_logmgr_t *mgr, const char *topic, int32_t partition,
                          const sl_log_config_t *cfg, sl_log_t **out);

/** Deletes the log of topic-partition and its files. SL_ERR_INVAL when there is
 * no such log. */
sl_err_t sl_logmgr_delete(sl_logmgr_t *mgr, const char *topic, int32_t partition);

/** Calls fn for each log (in no particular order) with the manager's lock held
 * for reading: fn must not create or delete logs. */
void sl_logmgr_foreach(sl_logmgr_t *mgr,
                       void (*fn)(void *opaque, const char *topic, int32_t partition, sl_log_t *log),
                       void *opaque);

/** Writes the four checkpoint files (atomically: temp file, fsync, rename):
 * recovery points, log start offsets, cleaner offsets (compacted logs only)
 * and high watermarks. Errors: SL_ERR_IO (the first failure; the other files
 * are still written). */
sl_err_t sl_logmgr_checkpoint(sl_logmgr_t *mgr);

/** One pass of background work at time now_ms (0: the clock): flushes the logs
 * whose flush.ms is due, applies retention, compacts logs with the compact
 * policy, writes the checkpoints. The background thread calls this; tests may
 * call it directly. Returns the first error met (and carries on). */
sl_err_t sl_logmgr_maintain(sl_logmgr_t *mgr, int64_t now_ms);

#endif
