/* log.h — one partition's commit log: a directory `<topic>-<partition>` of
 * segments in Kafka's on-disk format, with append (offsets assigned), reads by
 * offset as file ranges for sendfile(2), lookups by timestamp, rolling,
 * flushing, crash recovery, retention and (with cleaner.c) compaction.
 *
 * Threads: any thread may call any function; appends and structural changes
 * (roll, retention, truncation, cleaning swaps) serialise on the log's mutex,
 * reads take it only to pin a segment. */
#ifndef SL_BROKER_LOG_LOG_H
#define SL_BROKER_LOG_LOG_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "broker/log/batch.h"
#include "common/buf.h"

/* cleanup.policy bits */
#define SL_CLEANUP_DELETE 1
#define SL_CLEANUP_COMPACT 2

/* message.timestamp.type */
#define SL_TIMESTAMP_CREATE_TIME 0
#define SL_TIMESTAMP_LOG_APPEND_TIME 1

/* Special timestamps for sl_log_offset_for_timestamp (ListOffsets). */
#define SL_TIMESTAMP_LATEST (-1)
#define SL_TIMESTAMP_EARLIEST (-2)
#define SL_TIMESTAMP_MAX (-3) /* the offset of the record with the largest timestamp (KIP-734) */

/** A partition log's configuration, with Kafka's topic-level names in the
 * comments. sl_log_config_default() gives Kafka's defaults. */
typedef struct sl_log_config {
    int64_t segment_bytes;            /* segment.bytes: 1 GiB */
    int64_t segment_ms;               /* segment.ms: 7 days */
    int64_t segment_index_bytes;      /* segment.index.bytes: 10 MiB */
    int32_t index_interval_bytes;     /* index.interval.bytes: 4096 */
    int64_t flush_messages;           /* flush.messages: INT64_MAX (leave it to the OS) */
    int64_t flush_ms;                 /* flush.ms: INT64_MAX */
    int64_t retention_ms;             /* retention.ms: 7 days; -1 unlimited */
    int64_t retention_bytes;          /* retention.bytes: -1 unlimited */
    int cleanup_policy;               /* cleanup.policy: SL_CLEANUP_DELETE */
    int64_t delete_retention_ms;      /* delete.retention.ms: 1 day */
    double min_cleanable_dirty_ratio; /* min.cleanable.dirty.ratio: 0.5 */
    int64_t min_compaction_lag_ms;    /* min.compaction.lag.ms: 0 */
    int64_t max_compaction_lag_ms;    /* max.compaction.lag.ms: INT64_MAX */
    int32_t max_message_bytes;        /* max.message.bytes: 1048588 */
    int timestamp_type;               /* message.timestamp.type: CreateTime */
    int64_t timestamp_before_max_ms;  /* message.timestamp.before.max.ms: INT64_MAX */
    int64_t timestamp_after_max_ms;   /* message.timestamp.after.max.ms: INT64_MAX */
    int64_t max_decompressed_bytes;   /* cap on one batch decompressed (Sluice's own): 64 MiB */
    /* Replication (read by the replica manager and the controller, not the log): */
    int32_t min_insync_replicas;      /* min.insync.replicas: 1 */
    int unclean_leader_election;      /* unclean.leader.election.enable: false */
} sl_log_config_t;

sl_log_config_t sl_log_config_default(void);

/** Sets one topic-level key ("segment.bytes", "cleanup.policy", …) from its
 * text value, with Kafka's bounds. Errors: SL_ERR_INVAL for an unknown key,
 * SL_ERR_CONFIG for a bad value; errbuf names the key either way. */
sl_err_t sl_log_config_set(sl_log_config_t *cfg, const char *key, const char *value,
                           char *errbuf, size_t errlen);

typedef struct sl_log sl_log_t;
typedef struct sl_segment sl_segment_t;

/** How to open a log: what the log manager's checkpoints say. */
typedef struct sl_log_open_opts {
    int64_t recovery_point;   /* offset below which data is known flushed; 0: scan all */
    int64_t log_start_offset; /* from log-start-offset-checkpoint; -1: first segment's base */
    int clean_shutdown;       /* the previous process closed the log cleanly: skip scans */
    int64_t now_ms;           /* wall-clock time for segment ages; 0: read the clock */
} sl_log_open_opts_t;

/** Opens (creating when missing) the log in directory dir, recovering it: torn
 * or corrupt tails of segments at or past the recovery point are truncated at
 * the last valid batch (a trace line names the file and position), later
 * segments after such a cut are deleted, missing or bad indexes are rebuilt,
 * and leftover .cleaned/.deleted files are removed (.swap files completed).
 * opts may be NULL (scan everything). cfg is copied. *out is owned by the
 * caller (sl_log_close). Errors: SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_INVAL, with
 * detail in errbuf. */
sl_err_t sl_log_open(const char *dir, const sl_log_config_t *cfg, const sl_log_open_opts_t *opts,
                     sl_log_t **out, char *errbuf, size_t errlen);

/** Flushes (fsync), trims the active segment's indexes and frees the log.
 * Segments still pinned by slices stay open until released. NULL is a no-op. */
void sl_log_close(sl_log_t *log);

/** Replaces the configuration (dynamic topic config). */
void sl_log_set_config(sl_log_t *log, const sl_log_config_t *cfg);
sl_log_config_t sl_log_get_config(sl_log_t *log);

/** The log's directory (owned by the log). */
const char *sl_log_dir(const sl_log_t *log);

int64_t sl_log_end_offset(sl_log_t *log);   /* next offset to be assigned */
int64_t sl_log_start_offset(sl_log_t *log); /* first offset still readable */
int64_t sl_log_recovery_point(sl_log_t *log);
int64_t sl_log_size_bytes(sl_log_t *log);   /* bytes of all segments */
int sl_log_segment_count(sl_log_t *log);

/** What an append did. */
typedef struct sl_log_append_info {
    int64_t first_offset;    /* base offset given to the first batch */
    int64_t last_offset;     /* last offset of the last batch */
    int64_t log_end_offset;  /* after the append */
    int64_t max_timestamp;   /* largest maxTimestamp of the appended batches */
    int64_t log_append_time; /* the time stamped under LogAppendTime, else -1 */
    int32_t batch_count;
    int32_t record_count;
} sl_log_append_info_t;

/** Appends the record batches in data[0..len) (one or more complete v2
 * batches, as a producer sends them). Every batch is checked first (CRC,
 * magic, lengths, records, size against max.message.bytes, timestamps); if
 * any fails nothing is written. Then each batch gets offsets by rewriting its
 * baseOffset in data (the CRC does not cover it), and partitionLeaderEpoch
 * when leader_epoch >= 0; under LogAppendTime maxTimestamp is set to now_ms
 * and the CRC recomputed. data is modified in place and stays the caller's.
 * now_ms 0 reads the clock. info may be NULL.
 * Errors: SL_ERR_CORRUPT_MESSAGE, SL_ERR_UNKNOWN_MAGIC, SL_ERR_INVALID_RECORD,
 * SL_ERR_RECORD_TOO_LARGE, SL_ERR_INVALID_TIMESTAMP, SL_ERR_UNSUPPORTED_COMPRESSION,
 * SL_ERR_IO (the log is then truncated back to its previous end), SL_ERR_LOG_CLOSED. */
sl_err_t sl_log_append(sl_log_t *log, uint8_t *data, size_t len, int32_t leader_epoch,
                       int64_t now_ms, sl_log_append_info_t *info);

/** Appends batches that already carry their offsets (a follower copying its
 * leader, or tests): each batch must start at or after the log end offset.
 * Checks as sl_log_append but rewrites nothing. Errors as sl_log_append, plus
 * SL_ERR_INVAL for offsets below the log end offset. */
sl_err_t sl_log_append_with_offsets(sl_log_t *log, const uint8_t *data, size_t len,
                                    sl_log_append_info_t *info);

/** A range of one segment file holding whole batches, for sendfile(2) or
 * pread(2). It pins its segment (the fd stays open, even if retention deletes
 * the segment) until sl_log_slice_release. */
typedef struct sl_log_slice {
    sl_segment_t *seg;    /* pinned segment, NULL for an empty slice */
    int fd;               /* the segment's .log file */
    uint64_t position;    /* file position of the first batch */
    size_t len;           /* bytes; 0 when there is nothing to read */
    int64_t first_offset; /* base offset of the first batch in the range */
} sl_log_slice_t;

/** Finds the batches holding offset and after, within one segment: at most
 * max_bytes of whole batches, except that the first batch is returned whole
 * even when larger (so a consumer always makes progress, KIP-74), and only
 * batches whose base offset is below max_offset (exclusive; the high
 * watermark, or INT64_MAX). The first batch may start before offset.
 * offset == log end offset gives an empty slice. Errors:
 * SL_ERR_OFFSET_OUT_OF_RANGE (offset below the log start or above the end),
 * SL_ERR_IO. Release the slice with sl_log_slice_release. */
sl_err_t sl_log_read(sl_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                     sl_log_slice_t *out);

/** Unpins the slice's segment. An empty or zeroed slice is a no-op. */
void sl_log_slice_release(sl_log_slice_t *slice);

/** sl_log_read, then copies the bytes into *out (appending). Errors as
 * sl_log_read, plus SL_ERR_NOMEM. */
sl_err_t sl_log_read_copy(sl_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                          sl_buf_t *out);

/** ListOffsets: for SL_TIMESTAMP_EARLIEST the log start offset, for
 * SL_TIMESTAMP_LATEST the log end offset, for SL_TIMESTAMP_MAX the offset and
 * timestamp of the record with the largest timestamp, otherwise the first
 * offset whose record timestamp is >= ts (and that record's timestamp).
 * Returns 1 when found, 0 when no record qualifies (*offset, *timestamp = -1),
 * or an error (SL_ERR_IO, SL_ERR_COMPRESSION …). */
int sl_log_offset_for_timestamp(sl_log_t *log, int64_t ts, int64_t *offset, int64_t *timestamp);

/** Calls fn with the header of each batch from the one holding offset `from`
 * to the end of the log, in order, reading headers only (rebuilding producer
 * state after a restart). Stops when fn returns non-zero. Batches appended
 * during the scan may or may not be seen. Errors: SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_log_scan_headers(sl_log_t *log, int64_t from,
                             int (*fn)(void *opaque, const sl_batch_header_t *h), void *opaque);

/** Forces the active segment to roll now (if it is not empty). */
sl_err_t sl_log_roll(sl_log_t *log, int64_t now_ms);

/** fsyncs everything up to the log end offset and advances the recovery point. */
sl_err_t sl_log_flush(sl_log_t *log);

/** Flushes when flush.ms has passed since the last flush. */
sl_err_t sl_log_flush_if_due(sl_log_t *log, int64_t now_ms);

/** Retention (delete policy): removes whole segments whose largest timestamp is
 * older than retention.ms, the oldest segments while the log exceeds
 * retention.bytes, and segments wholly below the log start offset; rolls the
 * active segment first when it too has expired. The log start offset advances
 * to the first remaining segment. *deleted (may be NULL) gets the number of
 * segments removed. Errors: SL_ERR_IO. */
sl_err_t sl_log_retain(sl_log_t *log, int64_t now_ms, int *deleted);

/** DeleteRecords: advances the log start offset to offset (<= log end
 * offset); whole segments below it go at the next retention pass.
 * Errors: SL_ERR_OFFSET_OUT_OF_RANGE. */
sl_err_t sl_log_advance_start_offset(sl_log_t *log, int64_t offset);

/** Removes every record at or after offset (replication truncation): the
 * segment holding offset is cut before the batch that holds it, so the new log
 * end offset is <= offset. Leader-epoch entries starting at or after the new
 * end go, and the high watermark comes down to it. An offset at or past the
 * log end removes nothing but still drops epoch entries starting at or after
 * the end (as Kafka: a leader's epoch entry with no records after it).
 * Errors: SL_ERR_IO, SL_ERR_INVAL (offset below the log start). */
sl_err_t sl_log_truncate_to(sl_log_t *log, int64_t offset);

/* ---- replication: leader epochs and the high watermark ------------------------
 *
 * Each log keeps Kafka's leader-epoch cache: for every leader epoch whose
 * records it holds, the offset where that epoch began, epochs and offsets both
 * ascending. The log maintains it itself: sl_log_append with leader_epoch >= 0
 * and sl_log_append_with_offsets (each batch's partitionLeaderEpoch, when >= 0)
 * record epochs as Kafka's LeaderEpochFileCache.assign does; sl_log_truncate_to
 * drops entries past the new end; a log start offset moved by retention or
 * sl_log_advance_start_offset trims entries before it (the entry covering the
 * new start then starts there). Every change is written at once, atomically,
 * to `leader-epoch-checkpoint` in the log directory (Kafka's format: "0", the
 * entry count, then "<epoch> <start offset>" lines). sl_log_open reads that
 * file; when it is missing or malformed the cache is rebuilt from the batch
 * headers, and after an unclean shutdown batches past the recovery point add
 * their epochs; entries past the recovered log end are dropped. */

/** One leader-epoch cache entry: epoch began at start_offset. */
typedef struct sl_log_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
} sl_log_epoch_entry_t;

/** The latest leader epoch in the cache, or -1 when it is empty. */
int32_t sl_log_latest_epoch(sl_log_t *log);

/** OffsetForLeaderEpoch, as Kafka's LeaderEpochFileCache.endOffsetFor answers it:
 *  - requested is the latest epoch: (requested, log end offset);
 *  - requested is between entries: (the largest epoch <= requested, the start
 *    offset of the first epoch > requested);
 *  - requested is below every entry: (requested, the first entry's start
 *    offset), as current Kafka does (older versions answered (-1, -1), which
 *    the comment on Kafka's method still says);
 *  - requested is above the latest epoch, negative, or the cache is empty:
 *    (-1, -1), i.e. UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET.
 * Returns SL_OK (the undefined answers included), SL_ERR_LOG_CLOSED. */
sl_err_t sl_log_end_offset_for_epoch(sl_log_t *log, int32_t epoch, int32_t *out_epoch,
                                     int64_t *out_end_offset);

/** Copies up to max cache entries, oldest first, into out (may be NULL when
 * max is 0) and returns how many there are in all (diagnostics, tests). */
int sl_log_epoch_entries(sl_log_t *log, sl_log_epoch_entry_t *out, int max);

/** Records that epoch begins at start_offset without appending (Kafka's
 * maybeAssignEpochStartOffset: a replica becoming leader does this with its
 * log end offset, so that OffsetForLeaderEpoch answers for the new epoch
 * before it has records). Same rules as an append's epoch (the entry is
 * dropped again if the log is truncated at or below start_offset, or reopened
 * with its end at or below it). Errors: SL_ERR_INVAL (epoch < 0, start_offset
 * outside [log start, log end]), SL_ERR_NOMEM, SL_ERR_LOG_CLOSED. */
sl_err_t sl_log_assign_epoch(sl_log_t *log, int32_t epoch, int64_t start_offset);

/** The high watermark: the offset below which records are committed (every
 * in-sync replica has them). The log only stores it: the replica manager
 * moves it. A log opens with it at its log end offset (everything on disk is
 * taken as committed: what a single-node broker, which never sets it, means);
 * the log manager then restores the value of `replication-offset-checkpoint`.
 * It is kept within [log start offset, log end offset]: truncation lowers it,
 * a start offset moving past it raises it. */
int64_t sl_log_high_watermark(sl_log_t *log);

/** Sets the high watermark to hw clamped to [log start offset, log end
 * offset] (it may move down as well as up) and returns the value stored. */
int64_t sl_log_set_high_watermark(sl_log_t *log, int64_t hw);

/** Deletes the log's files and directory and frees it (topic deletion). */
sl_err_t sl_log_delete(sl_log_t *log);

/* ---- compaction (cleaner.c) ------------------------------------------------ */

/** What one cleaning pass did. */
typedef struct sl_log_clean_stats {
    int64_t first_dirty_before; /* cleaner checkpoint before the pass */
    int64_t first_dirty_after;  /* and after: everything below is clean */
    int segments_cleaned;
    int64_t records_read, records_kept, tombstones_removed;
    int64_t bytes_before, bytes_after;
} sl_log_clean_stats_t;

/** Compacts the log once if its policy includes compact and its dirty ratio
 * reaches min.cleanable.dirty.ratio (or force is set): keeps the latest record
 * per key among the closed segments, offsets preserved, removes tombstones
 * older than delete.retention.ms, never touches the active segment. stats may
 * be NULL. Errors: SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_COMPRESSION. */
sl_err_t sl_log_clean(sl_log_t *log, int64_t now_ms, int force, sl_log_clean_stats_t *stats);

/** The cleaner's first dirty offset (everything below has been compacted). */
int64_t sl_log_first_dirty_offset(sl_log_t *log);

/** Sets it (the log manager restores it from cleaner-offset-checkpoint). */
void sl_log_set_first_dirty_offset(sl_log_t *log, int64_t offset);

/** The ratio of dirty bytes (from the first dirty offset to the active
 * segment) to all bytes of closed segments; 0 when there are none. */
double sl_log_dirty_ratio(sl_log_t *log);

#endif
