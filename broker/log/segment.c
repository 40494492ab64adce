/* segment.c — one log segment: a .log file of record batches plus its offset
 * and time indexes; append, scan, recover, truncate. The log (log.c) decides
 * when segments roll and go; this file only knows one segment. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/trace.h"

char *sl__segment_file(const char *dir, int64_t base_offset, const char *suffix)
{
    size_t n = strlen(dir) + strlen(suffix) + 24;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%020" PRId64 "%s", dir, base_offset, suffix);
    return p;
}

static char *sl__join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", a, b, c);
    return p;
}

static void sl__segment_free(sl_segment_t *seg)
{
    if (!seg)
        return;
    sl_index_close(seg->oidx);
    sl_index_close(seg->tidx);
    if (seg->fd >= 0)
        close(seg->fd);
    free(seg->stem);
    free(seg);
}

void sl__segment_pin(sl_segment_t *seg) { __atomic_add_fetch(&seg->refs, 1, __ATOMIC_ACQ_REL); }

void sl__segment_unpin(sl_segment_t *seg)
{
    if (seg && __atomic_sub_fetch(&seg->refs, 1, __ATOMIC_ACQ_REL) == 0)
        sl__segment_free(seg);
}

static sl_err_t sl__segment_open_indexes(sl_segment_t *seg, const sl_log_config_t *cfg, int writable,
                                         const char *suffix, char *errbuf, size_t errlen)
{
    char *ip = sl__join(seg->stem, SL__INDEX_SUFFIX, suffix);
    char *tp = sl__join(seg->stem, SL__TIMEINDEX_SUFFIX, suffix);
    sl_err_t err = SL_ERR_NOMEM;
    if (ip && tp) {
        err = sl_index_open(ip, SL_INDEX_OFFSET, seg->base_offset, (size_t)cfg->segment_index_bytes,
                            writable, &seg->oidx, errbuf, errlen);
        if (!err)
            err = sl_index_open(tp, SL_INDEX_TIME, seg->base_offset,
                                (size_t)cfg->segment_index_bytes, writable, &seg->tidx, errbuf, errlen);
    }
    free(ip);
    free(tp);
    return err;
}

static sl_err_t sl__segment_alloc(const char *dir, int64_t base_offset, sl_segment_t **out)
{
    sl_segment_t *seg = calloc(1, sizeof *seg);
    if (!seg)
        return SL_ERR_NOMEM;
    seg->fd = -1;
    seg->base_offset = base_offset;
    seg->next_offset = base_offset;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = -1;
    seg->rolling_timestamp = -1;
    seg->created_ms = sl_now_ms();
    seg->refs = 1;
    seg->stem = sl__segment_file(dir, base_offset, "");
    if (!seg->stem) {
        free(seg);
        return SL_ERR_NOMEM;
    }
    *out = seg;
    return SL_OK;
}

static sl_err_t sl__open_log_file(sl_segment_t *seg, int flags, const char *suffix, char *errbuf,
                                  size_t errlen)
{
    char *lp = sl__join(seg->stem, SL__LOG_SUFFIX, suffix);
    if (!lp)
        return SL_ERR_NOMEM;
    seg->fd = open(lp, flags | O_RDWR | O_CLOEXEC, 0644);
    if (seg->fd < 0) {
        snprintf(errbuf, errlen, "open %s: %s", lp, strerror(errno));
        free(lp);
        return errno == EEXIST ? SL_ERR_EXISTS : SL_ERR_IO;
    }
    struct stat st;
    if (fstat(seg->fd, &st) != 0) {
        snprintf(errbuf, errlen, "stat %s: %s", lp, strerror(errno));
        free(lp);
        return SL_ERR_IO;
    }
    seg->size = (uint64_t)st.st_size;
    free(lp);
    return SL_OK;
}

sl_err_t sl__segment_create(const char *dir, int64_t base_offset, const sl_log_config_t *cfg,
                            const char *suffix, sl_segment_t **out, char *errbuf, size_t errlen)
{
    sl_segment_t *seg;
    sl_err_t err = sl__segment_alloc(dir, base_offset, &seg);
    if (err)
        return err;
    err = sl__open_log_file(seg, O_CREAT, suffix, errbuf, errlen);
    if (!err && seg->size != 0) {
        snprintf(errbuf, errlen, "segment %s.log already holds data", seg->stem);
        err = SL_ERR_EXISTS;
    }
    if (!err) {
        /* Stale indexes of an earlier segment with the same base would be wrong. */
        char *ip = sl__join(seg->stem, SL__INDEX_SUFFIX, suffix);
        char *tp = sl__join(seg->stem, SL__TIMEINDEX_SUFFIX, suffix);
        if (ip)
            unlink(ip);
        if (tp)
            unlink(tp);
        free(ip);
        free(tp);
        err = sl__segment_open_indexes(seg, cfg, 1, suffix, errbuf, errlen);
    }
    if (err) {
        sl__segment_free(seg);
        return err;
    }
    *out = seg;
    return SL_OK;
}

sl_err_t sl__segment_open(const char *dir, int64_t base_offset, const sl_log_config_t *cfg,
                          int writable, const char *suffix, sl_segment_t **out, char *errbuf,
                          size_t errlen)
{
    sl_segment_t *seg;
    sl_err_t err = sl__segment_alloc(dir, base_offset, &seg);
    if (err)
        return err;
    err = sl__open_log_file(seg, 0, suffix, errbuf, errlen);
    if (!err)
        err = sl__segment_open_indexes(seg, cfg, writable, suffix, errbuf, errlen);
    if (err) {
        sl__segment_free(seg);
        return err;
    }
    *out = seg;
    return SL_OK;
}

/* Indexes one batch that sits at pos, as Kafka's LogSegment.append does: an
 * offset entry (batch last offset -> batch position) once more than
 * index.interval.bytes have gone by since the last entry. */
static sl_err_t sl__segment_index_batch(sl_segment_t *seg, const sl_batch_header_t *h, uint64_t pos,
                                        const sl_log_config_t *cfg)
{
    int64_t last = sl_batch_last_offset(h);
    if (h->max_timestamp > seg->max_timestamp) {
        seg->max_timestamp = h->max_timestamp;
        seg->offset_of_max_timestamp = last;
    }
    if (seg->rolling_timestamp < 0)
        seg->rolling_timestamp = h->max_timestamp;
    if (seg->bytes_since_index > (uint32_t)cfg->index_interval_bytes) {
        sl_err_t err = sl_index_append_offset(seg->oidx, last, (uint32_t)pos);
        if (!err && seg->max_timestamp >= 0)
            err = sl_index_append_time(seg->tidx, seg->max_timestamp, seg->offset_of_max_timestamp);
        /* A full index only costs lookups a longer scan; the log rolls on it. */
        if (err && err != SL_ERR_RANGE)
            return err;
        seg->bytes_since_index = 0;
    }
    seg->bytes_since_index += (uint32_t)sl_batch_size(h);
    seg->next_offset = last + 1;
    return SL_OK;
}

static sl_err_t sl__pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t pos)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)pos);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return SL_ERR_IO;
        }
        p += w, n -= (size_t)w, pos += (uint64_t)w;
    }
    return SL_OK;
}

sl_err_t sl__segment_append(sl_segment_t *seg, const uint8_t *data, size_t len,
                            const sl_log_config_t *cfg)
{
    uint64_t start = seg->size;
    if (sl__pwrite_all(seg->fd, data, len, start) != SL_OK) {
        int e = errno;
        if (ftruncate(seg->fd, (off_t)start) != 0)
            sl_trace(SL_TRACE_ERROR, "log", "%s.log: cannot cut back to %" PRIu64 ": %s", seg->stem,
                     start, strerror(errno));
        sl_trace(SL_TRACE_ERROR, "log", "%s.log: write at %" PRIu64 " failed: %s", seg->stem, start,
                 strerror(e));
        return SL_ERR_IO;
    }
    size_t off = 0;
    while (off < len) {
        sl_batch_header_t h;
        sl_batch_header_parse(data + off, len - off, &h);
        sl_err_t err = sl__segment_index_batch(seg, &h, start + off, cfg);
        if (err)
            return err;
        off += sl_batch_size(&h);
    }
    __atomic_store_n(&seg->size, start + len, __ATOMIC_RELEASE);
    return SL_OK;
}

sl_err_t sl__segment_read_header(sl_segment_t *seg, uint64_t pos, uint64_t size, sl_batch_header_t *h)
{
    uint8_t buf[SL_BATCH_HEADER_SIZE];
    if (pos + SL_BATCH_HEADER_SIZE > size)
        return SL_ERR_TRUNCATED;
    ssize_t r;
    do
        r = pread(seg->fd, buf, sizeof buf, (off_t)pos);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof buf)
        return r < 0 ? SL_ERR_IO : SL_ERR_TRUNCATED;
    sl_batch_header_parse(buf, sizeof buf, h);
    if (h->batch_length < SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD || pos + sl_batch_size(h) > size)
        return SL_ERR_CORRUPT_MESSAGE;
    return SL_OK;
}

sl_err_t sl__segment_find(sl_segment_t *seg, int64_t offset, uint64_t size, uint64_t *pos,
                          sl_batch_header_t *h)
{
    int64_t ioff;
    uint32_t ipos;
    sl_index_lookup_offset(seg->oidx, offset, &ioff, &ipos);
    uint64_t p = ipos;
    while (p < size) {
        sl_err_t err = sl__segment_read_header(seg, p, size, h);
        if (err)
            return err;
        if (sl_batch_last_offset(h) >= offset) {
            *pos = p;
            return SL_OK;
        }
        p += sl_batch_size(h);
    }
    *pos = size;
    return SL_OK;
}

/* Maps the .log file read-only for a scan; *map is NULL for an empty file. */
static sl_err_t sl__segment_map(sl_segment_t *seg, uint64_t size, const uint8_t **map)
{
    *map = NULL;
    if (size == 0)
        return SL_OK;
    void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, seg->fd, 0);
    if (m == MAP_FAILED)
        return SL_ERR_IO;
    madvise(m, (size_t)size, MADV_SEQUENTIAL);
    *map = m;
    return SL_OK;
}

sl_err_t sl__segment_recover(sl_segment_t *seg, const sl_log_config_t *cfg, int *truncated)
{
    *truncated = 0;
    struct stat st;
    if (fstat(seg->fd, &st) != 0)
        return SL_ERR_IO;
    uint64_t size = (uint64_t)st.st_size;
    const uint8_t *map;
    if (sl__segment_map(seg, size, &map) != SL_OK)
        return SL_ERR_IO;
    sl_index_reset(seg->oidx);
    sl_index_reset(seg->tidx);
    seg->next_offset = seg->base_offset;
    seg->max_timestamp = -1;
    seg->offset_of_max_timestamp = -1;
    seg->rolling_timestamp = -1;
    seg->bytes_since_index = 0;

    sl_buf_t scratch = SL_BUF_INIT;
    uint64_t pos = 0;
    sl_err_t bad = SL_OK;
    while (pos < size) {
        sl_batch_header_t h;
        bad = sl_batch_check(map + pos, (size_t)(size - pos), &h);
        if (!bad && (h.base_offset < seg->next_offset ||
                     sl_batch_last_offset(&h) - seg->base_offset > INT32_MAX))
            bad = SL_ERR_CORRUPT_MESSAGE; /* offsets must rise within the segment */
        if (!bad)
            bad = sl_batch_check_records(map + pos, sl_batch_size(&h), (size_t)cfg->max_decompressed_bytes,
                                        &scratch);
        if (bad)
            break;
        sl_err_t err = sl__segment_index_batch(seg, &h, pos, cfg);
        if (err) {
            sl_buf_free(&scratch);
            munmap((void *)map, (size_t)size);
            return err;
        }
        pos += sl_batch_size(&h);
    }
    sl_buf_free(&scratch);
    if (map)
        munmap((void *)map, (size_t)size);
    if (pos < size) {
        sl_trace(SL_TRACE_WARN, "log",
                 "%s.log: %s at position %" PRIu64 " (offset %" PRId64
                 "); truncating %" PRIu64 " bytes",
                 seg->stem, sl_err_str(bad), pos, seg->next_offset, size - pos);
        if (ftruncate(seg->fd, (off_t)pos) != 0)
            return SL_ERR_IO;
        *truncated = 1;
    }
    __atomic_store_n(&seg->size, pos, __ATOMIC_RELEASE);
    return SL_OK;
}

sl_err_t sl__segment_load_tail(sl_segment_t *seg)
{
    uint64_t size = seg->size;
    int64_t off, pos;
    int sane = 1;
    if (sl_index_last(seg->oidx, &off, &pos) && (uint64_t)pos >= size)
        sane = 0;
    uint64_t p = 0;
    if (sane && sl_index_entries(seg->oidx) > 0)
        p = (uint64_t)pos;
    /* The last time index entry gives the max timestamp so far. */
    int64_t ts, tsoff;
    if (sl_index_last(seg->tidx, &ts, &tsoff)) {
        seg->max_timestamp = ts;
        seg->offset_of_max_timestamp = tsoff;
    }
    while (sane && p < size) {
        sl_batch_header_t h;
        if (sl__segment_read_header(seg, p, size, &h) != SL_OK || h.base_offset < seg->next_offset) {
            sane = 0;
            break;
        }
        if (p == 0)
            seg->rolling_timestamp = h.max_timestamp;
        if (h.max_timestamp > seg->max_timestamp) {
            seg->max_timestamp = h.max_timestamp;
            seg->offset_of_max_timestamp = sl_batch_last_offset(&h);
        }
        seg->next_offset = sl_batch_last_offset(&h) + 1;
        p += sl_batch_size(&h);
    }
    if (sane && size > 0 && seg->rolling_timestamp < 0) {
        sl_batch_header_t h;
        if (sl__segment_read_header(seg, 0, size, &h) == SL_OK)
            seg->rolling_timestamp = h.max_timestamp;
    }
    if (sane)
        return SL_OK;
    sl_trace(SL_TRACE_WARN, "log", "%s: index does not match the log; rebuilding", seg->stem);
    return SL_ERR_CORRUPT_MESSAGE;
}

sl_err_t sl__segment_flush(sl_segment_t *seg)
{
    if (fsync(seg->fd) != 0)
        return SL_ERR_IO;
    sl_err_t err = sl_index_flush(seg->oidx);
    if (!err)
        err = sl_index_flush(seg->tidx);
    return err;
}

sl_err_t sl__segment_seal(sl_segment_t *seg)
{
    if (fsync(seg->fd) != 0)
        return SL_ERR_IO;
    sl_err_t err = sl_index_trim(seg->oidx);
    if (!err)
        err = sl_index_trim(seg->tidx);
    return err;
}

sl_err_t sl__segment_truncate_to(sl_segment_t *seg, int64_t offset, const sl_log_config_t *cfg)
{
    uint64_t size = sl__segment_size(seg);
    uint64_t pos;
    sl_batch_header_t h;
    sl_err_t err = sl__segment_find(seg, offset, size, &pos, &h);
    if (err)
        return err;
    if (pos >= size)
        return SL_OK;
    if (ftruncate(seg->fd, (off_t)pos) != 0)
        return SL_ERR_IO;
    __atomic_store_n(&seg->size, pos, __ATOMIC_RELEASE);
    /* Rebuild the bookkeeping from what is left (and re-index it). */
    int truncated;
    return sl__segment_recover(seg, cfg, &truncated);
}

sl_err_t sl__segment_rename_all(sl_segment_t *seg, const char *from_suffix, const char *to_suffix)
{
    static const char *const exts[] = {SL__LOG_SUFFIX, SL__INDEX_SUFFIX, SL__TIMEINDEX_SUFFIX};
    sl_index_t *idx[] = {NULL, seg->oidx, seg->tidx};
    for (int i = 0; i < 3; i++) {
        char *from = sl__join(seg->stem, exts[i], from_suffix);
        char *to = sl__join(seg->stem, exts[i], to_suffix);
        sl_err_t err = SL_OK;
        if (!from || !to)
            err = SL_ERR_NOMEM;
        else if (idx[i])
            err = sl_index_rename(idx[i], to);
        else if (rename(from, to) != 0)
            err = SL_ERR_IO;
        free(from);
        free(to);
        if (err)
            return err;
    }
    return SL_OK;
}

void sl__segment_delete(sl_segment_t *seg, const char *suffix)
{
    for (int i = 0; i < 3; i++) {
        char *p = i == 0 ? sl__join(seg->stem, SL__LOG_SUFFIX, suffix)
                         : strdup(sl_index_path(i == 1 ? seg->oidx : seg->tidx));
        if (p && unlink(p) != 0 && errno != ENOENT)
            sl_trace(SL_TRACE_WARN, "log", "unlink %s: %s", p, strerror(errno));
        free(p);
    }
    seg->deleted = 1;
    sl__segment_unpin(seg);
}
