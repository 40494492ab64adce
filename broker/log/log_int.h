/* log_int.h — internals of the partition log shared by log.c, segment.c and
 * cleaner.c: the segment object and the log's structure. Not for other modules. */
#ifndef SL_BROKER_LOG_LOG_INT_H
#define SL_BROKER_LOG_LOG_INT_H

#include <pthread.h>
#include <stdint.h>

#include "broker/log/index.h"
#include "broker/log/log.h"
#include "common/clock.h"

#define SL__LOG_SUFFIX ".log"
#define SL__INDEX_SUFFIX ".index"
#define SL__TIMEINDEX_SUFFIX ".timeindex"
#define SL__CLEANED_SUFFIX ".cleaned"
#define SL__SWAP_SUFFIX ".swap"
#define SL__DELETED_SUFFIX ".deleted"
#define SL__EPOCH_CHECKPOINT "leader-epoch-checkpoint"

/** One segment: a .log file and its two indexes. Reference counted: the log
 * holds one reference while the segment is in its list, each slice one more. */
struct sl_segment {
    int64_t base_offset;
    char *stem; /* "<dir>/<20-digit base offset>", owned */
    int fd;     /* the .log file, read-write */
    uint64_t size;           /* bytes of whole batches; atomic: readers load it */
    sl_index_t *oidx, *tidx; /* offset and time index */
    int64_t next_offset;     /* last offset in the segment + 1; base_offset when empty */
    int64_t max_timestamp;   /* largest batch maxTimestamp; -1 when none */
    int64_t offset_of_max_timestamp;
    int64_t rolling_timestamp; /* maxTimestamp of the first batch (segment.ms); -1 when empty */
    int64_t created_ms;        /* wall clock when created or opened */
    uint32_t bytes_since_index;
    int refs;    /* atomic */
    int deleted; /* files unlinked: the last unpin frees it */
};

/** "<dir>/<base offset, 20 digits><suffix>" in a malloc'd string (NULL: no memory). */
char *sl__segment_file(const char *dir, int64_t base_offset, const char *suffix);

/** Creates a new empty segment (files created, indexes preallocated) in dir,
 * its files named "<stem>.log<suffix>" etc. (suffix "" normally, ".cleaned"
 * for the cleaner's output). Errors: SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_EXISTS
 * (a non-empty .log is there). */
sl_err_t sl__segment_create(const char *dir, int64_t base_offset, const sl_log_config_t *cfg,
                            const char *suffix, sl_segment_t **out, char *errbuf, size_t errlen);

/** Opens the existing segment whose .log is "<stem>.log<suffix>"; indexes
 * mapped writable when asked (the active segment, or one to recover). Does
 * not scan: size is the file size, next_offset is set by sl__segment_recover
 * or sl__segment_load_tail. */
sl_err_t sl__segment_open(const char *dir, int64_t base_offset, const sl_log_config_t *cfg,
                          int writable, const char *suffix, sl_segment_t **out, char *errbuf,
                          size_t errlen);

/** Scans every batch from position 0, rebuilding both indexes, and truncates
 * the file at the first invalid batch (torn or corrupt tail; a trace line names
 * the file and position). *truncated is set when bytes were cut. */
sl_err_t sl__segment_recover(sl_segment_t *seg, const sl_log_config_t *cfg, int *truncated);

/** For a segment that needs no recovery: checks its indexes against the file
 * and finds next_offset and the max timestamp by scanning from the last index
 * entry. SL_ERR_CORRUPT_MESSAGE when the index and the file disagree: the
 * caller then recovers the segment (which needs writable indexes). */
sl_err_t sl__segment_load_tail(sl_segment_t *seg);

/** Writes checked batches data[0..len) (offsets already assigned) at the end
 * and indexes them. On a write error the file is cut back. */
sl_err_t sl__segment_append(sl_segment_t *seg, const uint8_t *data, size_t len,
                            const sl_log_config_t *cfg);

/** Finds the file position of the first batch whose last offset >= offset,
 * scanning from the index entry; *pos = size when none. *h gets its header. */
sl_err_t sl__segment_find(sl_segment_t *seg, int64_t offset, uint64_t size, uint64_t *pos,
                          sl_batch_header_t *h);

/** Reads the header of the batch at pos (pread). SL_ERR_TRUNCATED past size. */
sl_err_t sl__segment_read_header(sl_segment_t *seg, uint64_t pos, uint64_t size,
                                 sl_batch_header_t *h);

/** fsyncs the .log file and the indexes. */
sl_err_t sl__segment_flush(sl_segment_t *seg);

/** Makes the segment read-only at roll: fsync, indexes trimmed. */
sl_err_t sl__segment_seal(sl_segment_t *seg);

/** Cuts the segment so that it ends before the first batch whose last offset
 * is >= offset; recomputes next_offset, max timestamp, indexes. */
sl_err_t sl__segment_truncate_to(sl_segment_t *seg, int64_t offset, const sl_log_config_t *cfg);

/** Renames the segment's three files from "<stem><from>" to "<stem><to>"
 * (suffixes appended after .log/.index/.timeindex, e.g. "" -> ".deleted"). */
sl_err_t sl__segment_rename_all(sl_segment_t *seg, const char *from_suffix, const char *to_suffix);

/** Unlinks the files ("<stem>.log<suffix>" and the indexes wherever they are
 * now) and drops the log's reference. */
void sl__segment_delete(sl_segment_t *seg, const char *suffix);

void sl__segment_pin(sl_segment_t *seg);
/** Drops a reference; the last one closes the files and frees the segment. */
void sl__segment_unpin(sl_segment_t *seg);

static inline uint64_t sl__segment_size(sl_segment_t *seg)
{
    return __atomic_load_n(&seg->size, __ATOMIC_ACQUIRE);
}

/* ---- leader-epoch cache (epochs.c) ---------------------------------------------------
 * Kafka's LeaderEpochFileCache as a sorted array: epochs and start offsets both
 * strictly ascending. The functions only change memory; the log writes the file. */
typedef struct sl__epochs {
    sl_log_epoch_entry_t *e; /* owned */
    int n, cap;
    int dirty; /* the checkpoint file lags the cache (a write failed) */
} sl__epochs_t;

void sl__epochs_free(sl__epochs_t *c);

/** Kafka's assign: records that epoch began at start_offset unless the latest
 * entry already has that epoch at or before it; entries with an epoch >= epoch
 * or a start >= start_offset are removed first. Negative arguments are
 * ignored. Returns 1 when the cache changed, 0 when not, SL_ERR_NOMEM. */
int sl__epochs_assign(sl__epochs_t *c, int32_t epoch, int64_t start_offset);

/** Removes the entries starting at or after end_offset (Kafka's
 * truncateFromEnd). Returns 1 when the cache changed. */
int sl__epochs_truncate_from_end(sl__epochs_t *c, int64_t end_offset);

/** Kafka's truncateFromStart: removes the entries starting at or before
 * start_offset except the last of them, which now starts at start_offset.
 * Returns 1 when the cache changed. */
int sl__epochs_truncate_from_start(sl__epochs_t *c, int64_t start_offset);

/** OffsetForLeaderEpoch, as sl_log_end_offset_for_epoch documents it. */
void sl__epochs_end_offset_for(const sl__epochs_t *c, int32_t requested, int64_t log_end_offset,
                               int32_t *out_epoch, int64_t *out_end_offset);

/** Reads a leader-epoch-checkpoint file into c (emptied first). Errors:
 * SL_ERR_IO (cannot open or read it; errno tells ENOENT apart),
 * SL_ERR_CORRUPT_MESSAGE (not Kafka's format), SL_ERR_NOMEM; c is then empty. */
sl_err_t sl__epochs_read(const char *path, sl__epochs_t *c);

/** Replaces the file at path atomically with c's entries in Kafka's format:
 * "0", the entry count, then "<epoch> <start offset>" per line. Errors:
 * SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl__epochs_write(const char *path, const sl__epochs_t *c);

/** The log. Fields below mu are guarded by it. */
struct sl_log {
    pthread_mutex_t mu;
    char *dir;
    sl_log_config_t cfg;
    sl_segment_t **segs; /* ascending base offset; the last is active */
    int nsegs, cap;
    int64_t log_start_offset;
    int64_t recovery_point;
    int64_t unflushed_messages;
    int64_t last_flush_ms;
    int64_t first_dirty_offset;
    int64_t high_watermark; /* in [log_start_offset, log end offset] */
    sl__epochs_t epochs;
    char *epochs_path; /* "<dir>/leader-epoch-checkpoint", owned */
    int cleaning; /* a compaction pass is running (cleaner.c) */
    int closed;
};

/** Index of the last segment with base_offset <= offset, or -1. Caller holds mu. */
int sl__log_segment_index(const sl_log_t *log, int64_t offset);

/** The active segment. Caller holds mu. */
static inline sl_segment_t *sl__log_active(const sl_log_t *log) { return log->segs[log->nsegs - 1]; }

/** Rolls to a new segment starting at the log end offset. Caller holds mu. */
sl_err_t sl__log_roll_locked(sl_log_t *log, int64_t now_ms);

/** Replaces segments [from, to) in the list by `with` (NULL: just removes
 * them; the active segment can only be replaced, never removed). With
 * unlink_files the old segments' files are unlinked; without, the caller has
 * dealt with the files (the cleaner renamed them). Either way the old
 * segments are marked deleted and unpinned (slices keep them readable).
 * Caller holds mu. Errors: SL_ERR_INVAL for a bad range. */
sl_err_t sl__log_replace_segments(sl_log_t *log, int from, int to, sl_segment_t *with,
                                  int unlink_files);

#endif
