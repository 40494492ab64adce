/* cleaner.c — log compaction: rewrites a partition log's closed segments
 * keeping the latest record per key (Kafka's LogCleaner), offsets preserved,
 * tombstones dropped once their delete horizon has passed (KIP-534), and swaps
 * the rewritten segments in crash-safely (sl_log_open completes a half-done
 * swap). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/buf.h"
#include "common/murmur2.h"
#include "common/fsutil.h"
#include "common/trace.h"

/* Bytes read from a segment file at a time, and written to the cleaned
 * segment at a time: large enough that syscalls do not dominate. */
#define SL__CLEAN_IO_CHUNK (1u << 20)

/* Two passes over one log at once would both write "<base>.log.cleaned": a
 * second caller (another cleaner thread) skips a log whose `cleaning` flag is
 * set, as Kafka's LogCleanerManager marks a log "in progress". */
static void sl__cleaning_end(sl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    log->cleaning = 0;
    pthread_mutex_unlock(&log->mu);
}

/* ---- the offset map: key -> latest offset in the dirty range ------------------------ */

typedef struct sl__map_slot {
    const uint8_t *key; /* in the arena; NULL: empty slot */
    int32_t key_len;
    uint32_t hash;
    int64_t offset;
} sl__map_slot_t;

typedef struct sl__offset_map {
    sl__map_slot_t *slots;
    size_t cap; /* a power of two */
    size_t n;
    sl_arena_t arena; /* the key bytes */
} sl__offset_map_t;

static void sl__map_free(sl__offset_map_t *m)
{
    free(m->slots);
    sl_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

static sl__map_slot_t *sl__map_find(const sl__offset_map_t *m, const uint8_t *key, int32_t len,
                                    uint32_t hash)
{
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        sl__map_slot_t *s = &m->slots[i];
        if (!s->key || (s->hash == hash && s->key_len == len && memcmp(s->key, key, (size_t)len) == 0))
            return s;
    }
}

static sl_err_t sl__map_grow(sl__offset_map_t *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    sl__map_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return SL_ERR_NOMEM;
    sl__offset_map_t bigger = {slots, cap, m->n, m->arena};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *sl__map_find(&bigger, m->slots[i].key, m->slots[i].key_len, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return SL_OK;
}

/* Records offset as the latest for key (offsets arrive in ascending order). */
static sl_err_t sl__map_put(sl__offset_map_t *m, const uint8_t *key, int32_t len, int64_t offset)
{
    /* Half full at most: linear probing stays short. */
    if ((m->n + 1) * 2 > m->cap) {
        sl_err_t err = sl__map_grow(m);
        if (err)
            return err;
    }
    uint32_t hash = (uint32_t)sl_murmur2(key, (size_t)len);
    sl__map_slot_t *s = sl__map_find(m, key, len, hash);
    if (!s->key) {
        const uint8_t *copy = sl_arena_memdup(&m->arena, key, (size_t)len);
        if (!copy)
            return SL_ERR_NOMEM;
        s->key = copy;
        s->key_len = len;
        s->hash = hash;
        m->n++;
    }
    s->offset = offset;
    return SL_OK;
}

/* The latest offset of key in the dirty range, or -1 when it has none there. */
static int64_t sl__map_get(const sl__offset_map_t *m, const uint8_t *key, int32_t len)
{
    if (m->n == 0)
        return -1;
    sl__map_slot_t *s = sl__map_find(m, key, len, (uint32_t)sl_murmur2(key, (size_t)len));
    return s->key ? s->offset : -1;
}

/* ---- reading a segment batch by batch ------------------------------------------------ */

/* pread, not mmap: a concurrent truncation may shorten the file, which must
 * read as an error rather than a SIGBUS. */
typedef struct sl__seg_reader {
    sl_segment_t *seg;
    uint64_t size;    /* bytes to read: the segment's size when the pass began */
    uint64_t pos;     /* file position of the next batch */
    uint64_t buf_pos; /* file position of buf.data[0] */
    sl_buf_t buf;
} sl__seg_reader_t;

static void sl__reader_start(sl__seg_reader_t *r, sl_segment_t *seg)
{
    r->seg = seg;
    r->size = sl__segment_size(seg);
    r->pos = 0;
    r->buf_pos = 0;
    sl_buf_reset(&r->buf);
}

/* Makes file bytes [pos, pos + n) available in the buffer. */
static sl_err_t sl__reader_fill(sl__seg_reader_t *r, uint64_t pos, size_t n)
{
    if (pos >= r->buf_pos && pos + n <= r->buf_pos + r->buf.len)
        return SL_OK;
    size_t want = n > SL__CLEAN_IO_CHUNK ? n : SL__CLEAN_IO_CHUNK;
    if (want > r->size - pos)
        want = (size_t)(r->size - pos);
    sl_buf_reset(&r->buf);
    uint8_t *p = sl_buf_extend(&r->buf, want);
    if (!p)
        return SL_ERR_NOMEM;
    r->buf_pos = pos;
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(r->seg->fd, p + got, want - got, (off_t)(pos + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            sl_buf_reset(&r->buf);
            return SL_ERR_IO;
        }
        got += (size_t)k;
    }
    return SL_OK;
}

/* The next checked batch: 1 with *batch (valid until the next call) and *h,
 * 0 at the end, or an error (the file is torn, corrupt or unreadable). */
static int sl__reader_next(sl__seg_reader_t *r, const uint8_t **batch, sl_batch_header_t *h)
{
    if (r->pos >= r->size)
        return 0;
    if (r->size - r->pos < SL_BATCH_HEADER_SIZE)
        return SL_ERR_CORRUPT_MESSAGE;
    sl_err_t err = sl__reader_fill(r, r->pos, SL_BATCH_HEADER_SIZE);
    if (err)
        return err;
    const uint8_t *p = r->buf.data + (r->pos - r->buf_pos);
    int32_t blen = (int32_t)sl_load_be32(p + SL_BATCH_OFF_LENGTH);
    if (blen < SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD ||
        (uint64_t)blen + SL_BATCH_LOG_OVERHEAD > r->size - r->pos)
        return SL_ERR_CORRUPT_MESSAGE;
    size_t size = SL_BATCH_LOG_OVERHEAD + (size_t)blen;
    if ((err = sl__reader_fill(r, r->pos, size)) != SL_OK)
        return err;
    p = r->buf.data + (r->pos - r->buf_pos);
    if ((err = sl_batch_check(p, size, h)) != SL_OK)
        return err == SL_ERR_TRUNCATED ? SL_ERR_CORRUPT_MESSAGE : err;
    *batch = p;
    r->pos += size;
    return 1;
}

/* ---- one pass ------------------------------------------------------------------------- */

typedef struct sl__cleaner {
    sl_log_t *log;
    sl_log_config_t cfg; /* snapshot at the start of the pass */
    int64_t now;
    int64_t horizon; /* delete horizon given to batches first cleaned with a tombstone */
    int64_t first_dirty;
    sl__offset_map_t map;
    sl__seg_reader_t reader;
    sl_buf_t scratch; /* decompressed records */
    sl_buf_t headers; /* sl_record_header_t array of one record */
    sl_buf_t out;     /* cleaned batches not yet written */
    sl_log_clean_stats_t *stats;
    int64_t discarded_from; /* the base offset of the first group whose cleaning was
                             * thrown away (retention or truncation changed it),
                             * else INT64_MAX: the pass cleaned only below it */
} sl__cleaner_t;

/* Builds the map over the records of segs at or past the first dirty offset.
 * Control records (transaction markers) have no key in the topic's sense. */
static sl_err_t sl__build_map(sl__cleaner_t *c, sl_segment_t **segs, int n)
{
    size_t cap = (size_t)c->cfg.max_decompressed_bytes;
    for (int i = 0; i < n; i++) {
        if (segs[i]->next_offset <= c->first_dirty)
            continue;
        sl__reader_start(&c->reader, segs[i]);
        const uint8_t *batch;
        sl_batch_header_t h;
        int r;
        while ((r = sl__reader_next(&c->reader, &batch, &h)) == 1) {
            if (sl_batch_last_offset(&h) < c->first_dirty || (h.attributes & SL_BATCH_ATTR_CONTROL))
                continue;
            sl_record_iter_t it;
            sl_err_t err = sl_record_iter_init(&it, batch, sl_batch_size(&h), cap, &c->scratch);
            if (err)
                return err;
            sl_record_t rec;
            while ((r = sl_record_iter_next(&it, &rec)) == 1) {
                if (rec.offset < c->first_dirty || rec.key_len < 0)
                    continue;
                if ((err = sl__map_put(&c->map, rec.key, rec.key_len, rec.offset)) != SL_OK)
                    return err;
            }
            if (r < 0)
                return (sl_err_t)r;
        }
        if (r < 0)
            return (sl_err_t)r;
    }
    return SL_OK;
}

/* Kafka's LogCleaner.shouldRetainRecord with KIP-534: a record stays when it
 * has a key, no later record of the dirty range has that key, and — for a
 * tombstone — its batch's delete horizon (if any) has not passed. */
static int sl__keep(const sl__cleaner_t *c, const sl_batch_header_t *h, const sl_record_t *rec)
{
    if (rec->key_len < 0)
        return 0; /* a compacted topic has no null keys: Kafka rejects them on produce */
    int64_t latest = sl__map_get(&c->map, rec->key, rec->key_len);
    if (latest >= 0 && rec->offset < latest)
        return 0;
    if (rec->value_len < 0 && (h->attributes & SL_BATCH_ATTR_DELETE_HORIZON) && c->now > h->base_timestamp)
        return 0;
    return 1;
}

/* Re-adds one kept record to the builder, decoding its headers. */
static sl_err_t sl__rebuild_add(sl__cleaner_t *c, sl_batch_builder_t *b, const sl_record_t *rec)
{
    sl_buf_reset(&c->headers);
    const uint8_t *p = rec->headers, *end = rec->headers + rec->headers_len;
    for (int32_t i = 0; i < rec->header_count; i++) {
        sl_record_header_t hdr;
        if (sl_record_header_next(&p, end, &hdr) != SL_OK)
            return SL_ERR_INVALID_RECORD;
        if (sl_buf_append(&c->headers, &hdr, sizeof hdr) != SL_OK)
            return SL_ERR_NOMEM;
    }
    return sl_batch_builder_add(b, rec->offset, rec->timestamp, rec->key, rec->key_len, rec->value,
                                rec->value_len, (const sl_record_header_t *)(void *)c->headers.data,
                                (size_t)rec->header_count);
}

/* Cleans one batch into c->out: copied whole when nothing changes, rebuilt
 * (same base offset, lastOffsetDelta, producer fields, leader epoch,
 * attributes and codec; offsets of removed records become gaps) when some
 * records go or a delete horizon must be set, dropped when none stay. */
static sl_err_t sl__clean_batch(sl__cleaner_t *c, const uint8_t *batch, const sl_batch_header_t *h)
{
    size_t size = sl_batch_size(h);
    sl_log_clean_stats_t *st = c->stats;
    if (h->attributes & SL_BATCH_ATTR_CONTROL) {
        /* Transaction markers stay: nothing here tracks when their
         * transaction's data is gone (Kafka removes them then). */
        st->records_read += h->record_count;
        st->records_kept += h->record_count;
        return sl_buf_append(&c->out, batch, size);
    }
    sl_record_iter_t it;
    sl_err_t err = sl_record_iter_init(&it, batch, size, (size_t)c->cfg.max_decompressed_bytes, &c->scratch);
    if (err)
        return err;
    /* The iterator is plain data over scratch: a copy replays the records
     * without decompressing twice. */
    sl_record_iter_t again = it;
    int32_t total = 0, kept = 0, kept_tombstones = 0;
    sl_record_t rec;
    int r;
    while ((r = sl_record_iter_next(&it, &rec)) == 1) {
        total++;
        if (sl__keep(c, h, &rec)) {
            kept++;
            kept_tombstones += rec.value_len < 0;
        } else if (rec.value_len < 0) {
            st->tombstones_removed++;
        }
    }
    if (r < 0)
        return (sl_err_t)r;
    st->records_read += total;
    st->records_kept += kept;
    int set_horizon = kept_tombstones > 0 && !(h->attributes & SL_BATCH_ATTR_DELETE_HORIZON);
    if (kept == total && !set_horizon)
        return sl_buf_append(&c->out, batch, size);
    if (kept == 0)
        return SL_OK;

    sl_batch_opts_t o = sl_batch_opts_default();
    o.base_offset = h->base_offset;
    o.compression = sl_batch_compression(h);
    o.extra_attributes = (int16_t)(h->attributes & ~SL_BATCH_ATTR_COMPRESSION_MASK);
    o.producer_id = h->producer_id;
    o.producer_epoch = h->producer_epoch;
    o.base_sequence = h->base_sequence;
    o.partition_leader_epoch = h->partition_leader_epoch;
    o.last_offset_delta = h->last_offset_delta;
    /* Under a delete horizon baseTimestamp is the horizon and each record's
     * timestamp delta is taken from it, so absolute timestamps survive. */
    if (set_horizon) {
        o.extra_attributes = (int16_t)(o.extra_attributes | SL_BATCH_ATTR_DELETE_HORIZON);
        o.base_timestamp = c->horizon;
    } else if (h->attributes & SL_BATCH_ATTR_DELETE_HORIZON) {
        o.base_timestamp = h->base_timestamp;
    }
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, &o);
    while (!err && (r = sl_record_iter_next(&again, &rec)) == 1)
        if (sl__keep(c, h, &rec))
            err = sl__rebuild_add(c, &b, &rec);
    if (!err && r < 0)
        err = (sl_err_t)r;
    if (!err)
        err = sl_batch_builder_finish(&b, &c->out);
    sl_batch_builder_destroy(&b);
    return err;
}

static sl_err_t sl__flush_out(sl__cleaner_t *c, sl_segment_t *cleaned)
{
    if (c->out.len == 0)
        return SL_OK;
    sl_err_t err = sl__segment_append(cleaned, c->out.data, c->out.len, &c->cfg);
    sl_buf_reset(&c->out);
    return err;
}

/* Writes the cleaned form of segs[0..n) into cleaned. */
static sl_err_t sl__clean_into(sl__cleaner_t *c, sl_segment_t **segs, int n, sl_segment_t *cleaned)
{
    for (int i = 0; i < n; i++) {
        sl__reader_start(&c->reader, segs[i]);
        const uint8_t *batch;
        sl_batch_header_t h;
        int r;
        while ((r = sl__reader_next(&c->reader, &batch, &h)) == 1) {
            sl_err_t err = sl__clean_batch(c, batch, &h);
            if (!err && c->out.len >= SL__CLEAN_IO_CHUNK)
                err = sl__flush_out(c, cleaned);
            if (err)
                return err;
        }
        if (r < 0) {
            sl_trace(SL_TRACE_ERROR, "log", "%s.log: cannot clean: %s at position %" PRIu64,
                     segs[i]->stem, sl_err_str((sl_err_t)r), c->reader.pos);
            return (sl_err_t)r;
        }
    }
    return sl__flush_out(c, cleaned);
}

/* ---- the swap ------------------------------------------------------------------------- */

static void sl__unlink_quiet(const char *path)
{
    if (path && unlink(path) != 0 && errno != ENOENT)
        sl_trace(SL_TRACE_WARN, "log", "unlink %s: %s", path, strerror(errno));
}

static char *sl__stem_file(const sl_segment_t *seg, const char *ext, const char *suffix)
{
    size_t n = strlen(seg->stem) + strlen(ext) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", seg->stem, ext, suffix);
    return p;
}

/* Removes a cleaned segment that will not go in, whatever suffix its files
 * have reached, and frees it. */
static void sl__discard(sl_segment_t *cleaned)
{
    static const char *const sfx[] = {SL__CLEANED_SUFFIX, SL__SWAP_SUFFIX};
    for (int i = 0; i < 2; i++) {
        char *p = sl__stem_file(cleaned, SL__LOG_SUFFIX, sfx[i]);
        sl__unlink_quiet(p);
        free(p);
    }
    sl__unlink_quiet(sl_index_path(cleaned->oidx));
    sl__unlink_quiet(sl_index_path(cleaned->tidx));
    cleaned->deleted = 1;
    sl__segment_unpin(cleaned);
}

/* Gives the swap files their final names, replacing the old first segment's.
 * The .log goes last: as long as "<base>.log.swap" exists, sl_log_open
 * completes the swap (rebuilding a missing index), so a crash between these
 * renames never pairs the new .log with an old index. */
static sl_err_t sl__swap_to_final(sl_segment_t *cleaned)
{
    char *ip = sl__stem_file(cleaned, SL__INDEX_SUFFIX, "");
    char *tp = sl__stem_file(cleaned, SL__TIMEINDEX_SUFFIX, "");
    char *from = sl__stem_file(cleaned, SL__LOG_SUFFIX, SL__SWAP_SUFFIX);
    char *to = sl__stem_file(cleaned, SL__LOG_SUFFIX, "");
    sl_err_t err = SL_ERR_NOMEM;
    if (ip && tp && from && to) {
        err = sl_index_rename(cleaned->oidx, ip);
        if (!err)
            err = sl_index_rename(cleaned->tidx, tp);
        if (!err && rename(from, to) != 0)
            err = SL_ERR_IO;
    }
    free(ip);
    free(tp);
    free(from);
    free(to);
    return err;
}

/* Puts cleaned in place of grp[0..n) (consumes cleaned either way). Sets
 * *swapped when it went in; when retention or truncation changed those
 * segments meanwhile, the work is thrown away and SL_OK returned.
 *
 * Order, for sl_log_open's recovery (sl__log_complete_swap): everything from
 * ".cleaned" → ".swap" on happens under the log's lock, after the check, so a
 * swap file on disk always stands for segments still in the log. Once
 * "<base>.log.swap" exists, recovery replaces every segment whose base lies
 * in [base, swap's next offset) by it, so the group's other segments may then
 * go to ".deleted" (removed on open) in any order. */
static sl_err_t sl__swap_in(sl__cleaner_t *c, sl_segment_t **grp, int n, sl_segment_t *cleaned,
                            int *swapped)
{
    sl_log_t *log = c->log;
    *swapped = 0;
    /* The slow fsync outside the lock. */
    sl_err_t err = sl__segment_seal(cleaned);
    if (err) {
        sl__discard(cleaned);
        return err;
    }
    pthread_mutex_lock(&log->mu);
    int at = -1;
    if (!log->closed)
        for (int i = 0; i + n < log->nsegs && at < 0; i++)
            if (log->segs[i] == grp[0])
                at = i;
    for (int k = 1; at >= 0 && k < n; k++)
        if (log->segs[at + k] != grp[k])
            at = -1;
    if (at < 0) {
        pthread_mutex_unlock(&log->mu);
        sl_trace(SL_TRACE_INFO, "log", "%s.log: changed while being cleaned; cleaning discarded",
                 grp[0]->stem);
        sl__discard(cleaned);
        return SL_OK;
    }
    err = sl__segment_rename_all(cleaned, SL__CLEANED_SUFFIX, SL__SWAP_SUFFIX);
    int renamed = 1;
    while (!err && renamed < n) {
        err = sl__segment_rename_all(grp[renamed], "", SL__DELETED_SUFFIX);
        if (!err)
            renamed++;
    }
    if (!err)
        err = sl__swap_to_final(cleaned);
    if (err) {
        /* Nothing replaced the old first segment's .log yet: undo (best
         * effort; what is left is what sl_log_open repairs). */
        sl_trace(SL_TRACE_ERROR, "log", "%s.log: swapping in the cleaned segment failed: %s",
                 grp[0]->stem, strerror(errno));
        while (--renamed >= 1)
            if (sl__segment_rename_all(grp[renamed], SL__DELETED_SUFFIX, "") != SL_OK)
                sl_trace(SL_TRACE_ERROR, "log", "%s.log.deleted: cannot rename back: %s",
                         grp[renamed]->stem, strerror(errno));
        pthread_mutex_unlock(&log->mu);
        sl__discard(cleaned);
        return err;
    }
    int64_t created = 0;
    for (int k = 0; k < n; k++)
        if (grp[k]->created_ms > created)
            created = grp[k]->created_ms;
    cleaned->created_ms = created; /* retention of an emptied segment goes by its sources' age */
    err = sl__log_replace_segments(log, at, at + n, cleaned, 0);
    pthread_mutex_unlock(&log->mu);
    if (err) {
        /* Cannot happen (the range was checked); the files are final anyway. */
        sl__segment_unpin(cleaned);
        return err;
    }
    *swapped = 1;
    /* The old segments stay readable through their open descriptors (the
     * pass still pins them) after their names are gone. */
    for (int k = 1; k < n; k++) {
        char *p = sl__stem_file(grp[k], SL__LOG_SUFFIX, SL__DELETED_SUFFIX);
        sl__unlink_quiet(p);
        free(p);
        sl__unlink_quiet(sl_index_path(grp[k]->oidx));
        sl__unlink_quiet(sl_index_path(grp[k]->tidx));
    }
    if (sl_fsync_dir(log->dir) != SL_OK)
        sl_trace(SL_TRACE_WARN, "log", "fsync %s: %s", log->dir, strerror(errno));
    return SL_OK;
}

/* Cleans segs[0..n) group by group: consecutive segments whose sizes add up
 * to at most segment.bytes (at least one each) and whose offsets fit one
 * segment's 32-bit relative offsets, as Kafka's groupSegmentsBySize. */
static sl_err_t sl__clean_groups(sl__cleaner_t *c, sl_segment_t **segs, int n)
{
    for (int g = 0; g < n;) {
        uint64_t bytes = sl__segment_size(segs[g]);
        int e = g + 1;
        while (e < n && bytes + sl__segment_size(segs[e]) <= (uint64_t)c->cfg.segment_bytes &&
               segs[e]->next_offset - 1 - segs[g]->base_offset <= INT32_MAX) {
            bytes += sl__segment_size(segs[e]);
            e++;
        }
        /* A leftover of a pass that failed in this process (open removes those of a crash). */
        static const char *const exts[] = {SL__LOG_SUFFIX, SL__INDEX_SUFFIX, SL__TIMEINDEX_SUFFIX};
        for (int i = 0; i < 3; i++) {
            char *p = sl__stem_file(segs[g], exts[i], SL__CLEANED_SUFFIX);
            sl__unlink_quiet(p);
            free(p);
        }
        char errbuf[256];
        sl_segment_t *cleaned;
        sl_err_t err = sl__segment_create(c->log->dir, segs[g]->base_offset, &c->cfg,
                                          SL__CLEANED_SUFFIX, &cleaned, errbuf, sizeof errbuf);
        if (err) {
            sl_trace(SL_TRACE_ERROR, "log", "cleaner: %s", errbuf);
            return err;
        }
        err = sl__clean_into(c, segs + g, e - g, cleaned);
        if (err) {
            sl__discard(cleaned);
            return err;
        }
        uint64_t after = sl__segment_size(cleaned);
        int swapped;
        err = sl__swap_in(c, segs + g, e - g, cleaned, &swapped);
        if (err)
            return err;
        if (swapped) {
            c->stats->segments_cleaned += e - g;
            c->stats->bytes_before += (int64_t)bytes;
            c->stats->bytes_after += (int64_t)after;
        } else if (segs[g]->base_offset < c->discarded_from) {
            c->discarded_from = segs[g]->base_offset;
        }
        g = e;
    }
    return SL_OK;
}

/* Runs on a cleaner thread. The log must stay open until it returns (the log
 * manager stops cleaning a log before closing or deleting it). Besides the
 * errors log.h lists: SL_ERR_LOG_CLOSED, and SL_ERR_CORRUPT_MESSAGE /
 * SL_ERR_INVALID_RECORD for a segment that does not read back; a pass that
 * fails leaves the groups it already swapped in place and the first dirty
 * offset where it was. A second pass started on the same log while one runs
 * returns SL_OK at once, having done nothing. */
sl_err_t sl_log_clean(sl_log_t *log, int64_t now_ms, int force, sl_log_clean_stats_t *stats)
{
    sl_log_clean_stats_t st_local;
    sl_log_clean_stats_t *st = stats ? stats : &st_local;
    memset(st, 0, sizeof *st);
    int64_t now = now_ms ? now_ms : sl_now_ms();

    pthread_mutex_lock(&log->mu);
    st->first_dirty_before = st->first_dirty_after = log->first_dirty_offset;
    if (log->closed) {
        pthread_mutex_unlock(&log->mu);
        return SL_ERR_LOG_CLOSED;
    }
    if (!(log->cfg.cleanup_policy & SL_CLEANUP_COMPACT) || log->cleaning) {
        pthread_mutex_unlock(&log->mu);
        return SL_OK;
    }
    log->cleaning = 1;
    sl__cleaner_t c;
    memset(&c, 0, sizeof c);
    c.log = log;
    c.cfg = log->cfg;
    c.now = now;
    c.horizon = c.cfg.delete_retention_ms > INT64_MAX - now ? INT64_MAX : now + c.cfg.delete_retention_ms;
    c.stats = st;
    c.discarded_from = INT64_MAX;
    c.first_dirty = log->first_dirty_offset > log->log_start_offset ? log->first_dirty_offset
                                                                     : log->log_start_offset;

    /* The cleanable range: closed segments, up to the first dirty one holding
     * records newer than min.compaction.lag.ms (Kafka's firstUncleanableOffset). */
    int closed = log->nsegs - 1, end = 0;
    int64_t lag = c.cfg.min_compaction_lag_ms;
    while (end < closed) {
        sl_segment_t *seg = log->segs[end];
        if (lag > 0 && seg->next_offset > c.first_dirty && seg->max_timestamp > now - lag)
            break;
        end++;
    }
    /* Dirty ratio over the cleanable range, as Kafka's cleanableRatio. */
    uint64_t clean_bytes = 0, dirty_bytes = 0;
    for (int i = 0; i < end; i++) {
        if (log->segs[i]->next_offset <= c.first_dirty)
            clean_bytes += log->segs[i]->size;
        else
            dirty_bytes += log->segs[i]->size;
    }
    /* max.compaction.lag.ms: a dirty segment whose first batch is older than
     * the lag must be cleaned whatever the ratio. */
    int overdue = 0;
    if (c.cfg.max_compaction_lag_ms != INT64_MAX)
        for (int i = 0; i < closed && !overdue; i++) {
            sl_segment_t *seg = log->segs[i];
            int64_t first_ts = seg->rolling_timestamp >= 0 ? seg->rolling_timestamp : seg->created_ms;
            if (seg->next_offset > c.first_dirty && now - first_ts > c.cfg.max_compaction_lag_ms)
                overdue = 1;
        }
    double ratio = clean_bytes + dirty_bytes ? (double)dirty_bytes / (double)(clean_bytes + dirty_bytes) : 0.0;
    if (end == 0 || (!force && !overdue && (dirty_bytes == 0 || ratio < c.cfg.min_cleanable_dirty_ratio))) {
        log->cleaning = 0;
        pthread_mutex_unlock(&log->mu);
        return SL_OK;
    }
    int64_t end_offset = log->segs[end]->base_offset;
    sl_segment_t **segs = malloc((size_t)end * sizeof *segs);
    if (!segs) {
        log->cleaning = 0;
        pthread_mutex_unlock(&log->mu);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < end; i++) {
        segs[i] = log->segs[i];
        sl__segment_pin(segs[i]);
    }
    pthread_mutex_unlock(&log->mu);

    /* The work runs unlocked: appends only touch the active segment, reads
     * pin what they read, and the swap re-checks the segments under the lock. */
    sl_err_t err = sl__build_map(&c, segs, end);
    if (!err)
        err = sl__clean_groups(&c, segs, end);

    if (!err) {
        pthread_mutex_lock(&log->mu);
        int64_t leo = sl__log_active(log)->next_offset;
        int64_t clean_to = end_offset < leo ? end_offset : leo; /* a truncation may have cut below it */
        /* A group whose cleaning was thrown away is still dirty: what of it
         * retention left must be cleaned by the next pass. */
        if (c.discarded_from < clean_to)
            clean_to = c.discarded_from;
        if (log->first_dirty_offset < clean_to)
            log->first_dirty_offset = clean_to;
        st->first_dirty_after = log->first_dirty_offset;
        pthread_mutex_unlock(&log->mu);
        sl_trace(SL_TRACE_INFO, "log",
                 "%s: cleaned %d segments up to offset %" PRId64 ": %" PRId64 " of %" PRId64
                 " records kept (%" PRId64 " tombstones removed), %" PRId64 " -> %" PRId64 " bytes",
                 log->dir, st->segments_cleaned, end_offset, st->records_kept, st->records_read,
                 st->tombstones_removed, st->bytes_before, st->bytes_after);
    } else {
        sl_trace(SL_TRACE_ERROR, "log", "%s: cleaning failed: %s", log->dir, sl_err_str(err));
    }
    for (int i = 0; i < end; i++)
        sl__segment_unpin(segs[i]);
    free(segs);
    sl__map_free(&c.map);
    sl_buf_free(&c.reader.buf);
    sl_buf_free(&c.scratch);
    sl_buf_free(&c.headers);
    sl_buf_free(&c.out);
    sl__cleaning_end(log);
    return err;
}
