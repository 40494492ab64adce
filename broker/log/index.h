/* index.h — a segment's sparse indexes, memory-mapped, in Kafka's file format:
 * the offset index (.index: entries of relative offset u32 + file position u32)
 * and the time index (.timeindex: timestamp i64 + relative offset u32), both
 * big-endian. Files are preallocated to their maximum size while the segment is
 * active, and trimmed to their entries when it rolls or closes.
 *
 * An index is owned by one segment; the log's lock serialises writers, and
 * readers may look up concurrently with one appender (entries are published
 * after they are written). */
#ifndef SL_BROKER_LOG_INDEX_H
#define SL_BROKER_LOG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#define SL_OFFSET_INDEX_ENTRY 8
#define SL_TIME_INDEX_ENTRY 12

typedef struct sl_index sl_index_t;

typedef enum sl_index_kind { SL_INDEX_OFFSET, SL_INDEX_TIME } sl_index_kind_t;

/** Opens (creating when missing) the index file at path for the segment whose
 * base offset is base_offset. When writable, the file is grown to max_bytes
 * (rounded down to whole entries) and mapped read-write; otherwise it is
 * mapped read-only at its length. The entries in use are the longest valid
 * prefix: offsets strictly increasing (time index: timestamps non-decreasing
 * and offsets non-decreasing) and not the all-zero entry of preallocated space
 * past the first. *out receives the index, owned by the caller
 * (sl_index_close). Errors: SL_ERR_IO (with errno-based detail in errbuf),
 * SL_ERR_NOMEM, SL_ERR_INVAL. */
sl_err_t sl_index_open(const char *path, sl_index_kind_t kind, int64_t base_offset,
                       size_t max_bytes, int writable, sl_index_t **out, char *errbuf,
                       size_t errlen);

/** Unmaps and closes; when writable, trims the file to its entries first.
 * NULL is a no-op. */
void sl_index_close(sl_index_t *idx);

/** Gives up the file without trimming it: another index object (the same
 * segment reopened) owns it now. The mapping stays for readers that still
 * hold this one; closing it then only unmaps (a trim here would cut the file
 * under the new owner's mapping: its next append would fault). NULL is a
 * no-op. */
void sl_index_disown(sl_index_t *idx);

/** Number of entries in use. */
size_t sl_index_entries(const sl_index_t *idx);

/** 1 when no further entry fits. */
int sl_index_is_full(const sl_index_t *idx);

/** Appends an entry to an offset index: (offset, file position). offset must be
 * above the last entry's and within 2^32 of the base offset.
 * Errors: SL_ERR_RANGE (full or offset out of range), SL_ERR_INVAL (not increasing),
 * SL_ERR_STATE (read-only). */
sl_err_t sl_index_append_offset(sl_index_t *idx, int64_t offset, uint32_t position);

/** Appends an entry to a time index: (timestamp, offset), when timestamp is
 * above the last entry's (otherwise nothing is written and SL_OK returned, as
 * Kafka does). Errors as sl_index_append_offset. */
sl_err_t sl_index_append_time(sl_index_t *idx, int64_t timestamp, int64_t offset);

/** Offset index: the entry with the largest offset <= target; when there is
 * none, (base_offset, 0). Never fails. */
void sl_index_lookup_offset(const sl_index_t *idx, int64_t target, int64_t *offset,
                            uint32_t *position);

/** Time index: the entry with the largest timestamp <= target; when there is
 * none, (-1, base_offset). Never fails. */
void sl_index_lookup_time(const sl_index_t *idx, int64_t target, int64_t *timestamp,
                          int64_t *offset);

/** The last entry (offset index: offset and position; time index: timestamp and
 * offset in *a and *b). Returns 0 when the index is empty. */
int sl_index_last(const sl_index_t *idx, int64_t *a, int64_t *b);

/** The i-th entry, as sl_index_last. i < sl_index_entries(idx). */
void sl_index_entry(const sl_index_t *idx, size_t i, int64_t *a, int64_t *b);

/** Drops every entry whose offset is >= offset. */
void sl_index_truncate_to(sl_index_t *idx, int64_t offset);

/** Drops every entry (before rebuilding the index from the log). */
void sl_index_reset(sl_index_t *idx);

/** Trims the file to its entries, remaps read-only (on roll). fsyncs. */
sl_err_t sl_index_trim(sl_index_t *idx);

/** msync's the entries (on flush). */
sl_err_t sl_index_flush(sl_index_t *idx);

/** Renames the index file (segment swap after cleaning; ".deleted" on
 * retention). The mapping stays valid. Errors: SL_ERR_IO. */
sl_err_t sl_index_rename(sl_index_t *idx, const char *new_path);

/** The file's current path (owned by the index). */
const char *sl_index_path(const sl_index_t *idx);

#endif
