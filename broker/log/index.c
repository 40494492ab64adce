/* index.c — a segment's offset and time indexes: Kafka's .index and .timeindex
 * files, preallocated and mmapped while the segment is active, trimmed to their
 * entries on roll, searched by binary search on every fetch and ListOffsets.
 *
 * Concurrency. One appender (under the log's lock) and any number of readers.
 * The appender writes an entry into the mapping and only then publishes the
 * new count with a release store; readers load the count with acquire and
 * never look past it, so they see whole entries. Entries below the count are
 * never rewritten by an append. Trim does not move or unmap the entries (it
 * drops only whole pages past them and mprotects the rest read-only), so
 * lookups may also run while the segment rolls. truncate_to and reset rewrite
 * entries and must not run while readers look up (the log keeps readers of a
 * truncated range away, as Kafka does).
 *
 * Which entries are in use is read from the file's contents, not its length:
 * after a crash the file is still preallocated, so the count is the longest
 * valid prefix (see sl__index_scan). For that to be sound, bytes past the
 * count are always zero in a writable index: open discards a garbage tail,
 * and truncate_to and reset zero the entries they drop, so entries dropped
 * earlier can never reappear after a crash. */
#include "broker/log/index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/trace.h"

struct sl_index {
    uint8_t *map;     /* NULL when nothing is mapped (empty file, or trimmed empty) */
    size_t map_len;   /* bytes mapped */
    size_t cap;       /* entries the writable file holds; 0 when read-only */
    _Atomic size_t n; /* entries in use; release-stored after the entry is written */
    int64_t base;     /* the segment's base offset */
    size_t esz;       /* SL_OFFSET_INDEX_ENTRY or SL_TIME_INDEX_ENTRY */
    sl_index_kind_t kind;
    int writable;
    int fd; /* open only while writable: a read-only index needs no descriptor */
    char *path;
};

/* Kafka's RecordBatch.NO_TIMESTAMP: the timestamp of an empty time index's
 * "last entry", so the first entry appended has a timestamp >= 0. */
#define SL__NO_TIMESTAMP (-1)

static void sl__index_errf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sl__index_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static size_t sl__index_page(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096;
}

/* ---- entries ----------------------------------------------------------------- */

static uint32_t sl__index_rel(const sl_index_t *idx, size_t i)
{
    const uint8_t *e = idx->map + i * idx->esz;
    return sl_load_be32(idx->kind == SL_INDEX_OFFSET ? e : e + 8);
}

static int64_t sl__index_ts(const sl_index_t *idx, size_t i)
{
    return (int64_t)sl_load_be64(idx->map + i * idx->esz);
}

static uint32_t sl__index_pos(const sl_index_t *idx, size_t i)
{
    return sl_load_be32(idx->map + i * idx->esz + 4);
}

static int sl__index_zero(const uint8_t *e, size_t esz)
{
    for (size_t k = 0; k < esz; k++)
        if (e[k])
            return 0;
    return 1;
}

/* The number of entries in use among the count entries at p: the longest
 * prefix in which relative offsets strictly increase (offset index) or
 * timestamps and relative offsets do not decrease and timestamps are not
 * negative (time index — negative timestamps are never appended, see
 * sl_index_append_time), and base + relative offset fits an int64.
 *
 * The all-zero entry is what preallocated space looks like. Past the first
 * slot it is never an entry (monotonicity already rules it out, except for a
 * time index whose first entry is also zero). In the first slot it is
 * ambiguous: a time index may really start with (timestamp 0, base offset),
 * and an offset index with (base offset, position 0) if a caller wrote one.
 * We count it only when the file shows it was written: the file ends right
 * after it (a trimmed one-entry index) or the next entry is not zero. A real
 * zero entry followed by preallocated space (a crash right after writing
 * it) is therefore dropped — which loses nothing a lookup needs, since both
 * lookups' "no entry" answers carry the same base offset and position 0,
 * whereas counting preallocated space would claim a largest timestamp of 0
 * for the segment and let time retention delete it at once. */
static size_t sl__index_scan(const uint8_t *p, size_t count, sl_index_kind_t kind, size_t esz,
                             int64_t base)
{
    uint32_t prev_rel = 0;
    int64_t prev_ts = 0;
    size_t i;
    for (i = 0; i < count; i++) {
        const uint8_t *e = p + i * esz;
        if (sl__index_zero(e, esz) && (i > 0 || (count > 1 && sl__index_zero(e + esz, esz))))
            break;
        uint32_t rel = sl_load_be32(kind == SL_INDEX_OFFSET ? e : e + 8);
        if ((uint64_t)rel > (uint64_t)(INT64_MAX - base))
            break;
        if (kind == SL_INDEX_OFFSET) {
            if (i > 0 && rel <= prev_rel)
                break;
        } else {
            int64_t ts = (int64_t)sl_load_be64(e);
            if (ts < 0 || (i > 0 && (ts < prev_ts || rel < prev_rel)))
                break;
            prev_ts = ts;
        }
        prev_rel = rel;
    }
    return i;
}

/* Largest slot in [0, n) whose relative offset is <= rel, or -1. */
static ptrdiff_t sl__index_floor_rel(const sl_index_t *idx, size_t n, uint64_t rel)
{
    size_t lo = 0, hi = n; /* first slot above rel lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sl__index_rel(idx, mid) <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

/* First slot in [0, n) whose timestamp is > ts (or >= ts when strict is 0), or n. */
static size_t sl__index_bound_ts(const sl_index_t *idx, size_t n, int64_t ts, int strict)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t t = sl__index_ts(idx, mid);
        if (strict ? t <= ts : t < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* First slot in [0, n) whose relative offset is >= rel, or n (offsets are
 * non-decreasing in both kinds). */
static size_t sl__index_lower_rel(const sl_index_t *idx, size_t n, uint64_t rel)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sl__index_rel(idx, mid) < rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- open and close ------------------------------------------------------------ */

sl_err_t sl_index_open(const char *path, sl_index_kind_t kind, int64_t base_offset,
                       size_t max_bytes, int writable, sl_index_t **out, char *errbuf,
                       size_t errlen)
{
    if (!out)
        return SL_ERR_INVAL;
    *out = NULL;
    if (!path || (kind != SL_INDEX_OFFSET && kind != SL_INDEX_TIME) || base_offset < 0) {
        sl__index_errf(errbuf, errlen, "index %s: invalid argument", path ? path : "(null)");
        return SL_ERR_INVAL;
    }
    size_t esz = kind == SL_INDEX_OFFSET ? SL_OFFSET_INDEX_ENTRY : SL_TIME_INDEX_ENTRY;
    size_t max = max_bytes - max_bytes % esz;
    if (writable && (max == 0 || (uint64_t)max > (uint64_t)INT64_MAX / 2)) {
        sl__index_errf(errbuf, errlen, "index %s: max size %zu holds no %zu-byte entry", path,
                       max_bytes, esz);
        return SL_ERR_INVAL;
    }

    sl_index_t *idx = calloc(1, sizeof *idx);
    char *p = idx ? strdup(path) : NULL;
    if (!p) {
        free(idx);
        sl__index_errf(errbuf, errlen, "index %s: out of memory", path);
        return SL_ERR_NOMEM;
    }
    idx->path = p;
    idx->kind = kind;
    idx->esz = esz;
    idx->base = base_offset;
    idx->writable = writable ? 1 : 0;
    idx->fd = -1;
    atomic_init(&idx->n, 0);

    /* Created when missing in both modes, as Kafka's AbstractIndex does: a
     * read-only segment whose index was deleted opens with an empty index. */
    const char *what = "open";
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (fd < 0)
        goto io_fail;
    what = "stat";
    if (fstat(fd, &st) != 0)
        goto io_fail;
    size_t len = (size_t)st.st_size;
    size_t n = 0;

    if (!writable) {
        if (len > 0) {
            what = "mmap";
            void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
            if (m == MAP_FAILED)
                goto io_fail;
            idx->map = m;
            idx->map_len = len;
            n = sl__index_scan(idx->map, len / esz, kind, esz, base_offset);
        }
        /* The mapping outlives the descriptor. */
        close(fd);
        fd = -1;
    } else {
        if (len > 0) {
            what = "mmap";
            void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
            if (m == MAP_FAILED)
                goto io_fail;
            n = sl__index_scan(m, len / esz, kind, esz, base_offset);
            munmap(m, len);
        }
        size_t cap = max / esz > n ? max / esz : n; /* never drop valid entries */
        /* Discard whatever follows the valid prefix (a partial entry, garbage,
         * stale preallocated entries) by cutting the file there and growing it
         * back: the new space reads as zeros without our writing (and dirtying)
         * every page of it. */
        what = "ftruncate";
        if (n * esz < len && ftruncate(fd, (off_t)(n * esz)) != 0)
            goto io_fail;
        if (ftruncate(fd, (off_t)(cap * esz)) != 0)
            goto io_fail;
        what = "mmap";
        void *m = mmap(NULL, cap * esz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            goto io_fail;
        idx->map = m;
        idx->map_len = cap * esz;
        idx->cap = cap;
        idx->fd = fd;
    }
    atomic_store_explicit(&idx->n, n, memory_order_release);
    *out = idx;
    return SL_OK;

io_fail:;
    int e = errno;
    sl__index_errf(errbuf, errlen, "index %s: %s: %s", path, what, strerror(e));
    if (fd >= 0)
        close(fd);
    if (idx->map)
        munmap(idx->map, idx->map_len);
    free(idx->path);
    free(idx);
    return SL_ERR_IO;
}

void sl_index_close(sl_index_t *idx)
{
    if (!idx)
        return;
    if (idx->writable) {
        sl_err_t err = sl_index_trim(idx);
        if (err)
            sl_trace(SL_TRACE_WARN, "log", "%s: trimming index on close: %s (%s)", idx->path,
                     sl_err_str(err), strerror(errno));
    }
    if (idx->map)
        munmap(idx->map, idx->map_len);
    if (idx->fd >= 0)
        close(idx->fd);
    free(idx->path);
    free(idx);
}

/* ---- state ---------------------------------------------------------------------- */

size_t sl_index_entries(const sl_index_t *idx)
{
    return atomic_load_explicit(&idx->n, memory_order_acquire);
}

int sl_index_is_full(const sl_index_t *idx)
{
    /* A read-only index takes no entry at all, like Kafka's trimmed index. */
    return !idx->writable || atomic_load_explicit(&idx->n, memory_order_relaxed) >= idx->cap;
}

const char *sl_index_path(const sl_index_t *idx) { return idx->path; }

/* ---- append --------------------------------------------------------------------- */

/* The checks both appends share: writable, and offset within [base, base + 2^32). */
static sl_err_t sl__index_check(const sl_index_t *idx, int64_t offset, uint32_t *rel)
{
    if (!idx->writable)
        return SL_ERR_STATE;
    if (offset < idx->base || (uint64_t)offset - (uint64_t)idx->base > UINT32_MAX)
        return SL_ERR_RANGE;
    *rel = (uint32_t)((uint64_t)offset - (uint64_t)idx->base);
    return SL_OK;
}

sl_err_t sl_index_append_offset(sl_index_t *idx, int64_t offset, uint32_t position)
{
    if (idx->kind != SL_INDEX_OFFSET)
        return SL_ERR_INVAL;
    uint32_t rel;
    sl_err_t err = sl__index_check(idx, offset, &rel);
    if (err)
        return err;
    /* Only this thread writes n, so a relaxed load sees its own last store. */
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    if (n > 0 && rel <= sl__index_rel(idx, n - 1))
        return SL_ERR_INVAL;
    if (n >= idx->cap)
        return SL_ERR_RANGE;
    uint8_t *e = idx->map + n * SL_OFFSET_INDEX_ENTRY;
    sl_store_be32(e, rel);
    sl_store_be32(e + 4, position);
    atomic_store_explicit(&idx->n, n + 1, memory_order_release);
    return SL_OK;
}

sl_err_t sl_index_append_time(sl_index_t *idx, int64_t timestamp, int64_t offset)
{
    if (idx->kind != SL_INDEX_TIME)
        return SL_ERR_INVAL;
    uint32_t rel;
    sl_err_t err = sl__index_check(idx, offset, &rel);
    if (err)
        return err;
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    int64_t last_ts = SL__NO_TIMESTAMP;
    if (n > 0) {
        if (rel < sl__index_rel(idx, n - 1))
            return SL_ERR_INVAL;
        last_ts = sl__index_ts(idx, n - 1);
    }
    /* Checked before fullness, so the final append on roll (Kafka's
     * skipFullCheck) succeeds on a full index when it has nothing to add. */
    if (timestamp <= last_ts)
        return SL_OK;
    if (n >= idx->cap)
        return SL_ERR_RANGE;
    uint8_t *e = idx->map + n * SL_TIME_INDEX_ENTRY;
    sl_store_be64(e, (uint64_t)timestamp);
    sl_store_be32(e + 8, rel);
    atomic_store_explicit(&idx->n, n + 1, memory_order_release);
    return SL_OK;
}

/* ---- lookup --------------------------------------------------------------------- */

void sl_index_lookup_offset(const sl_index_t *idx, int64_t target, int64_t *offset,
                            uint32_t *position)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_acquire);
    ptrdiff_t slot = -1;
    if (idx->kind == SL_INDEX_OFFSET && n > 0 && target >= idx->base)
        slot = sl__index_floor_rel(idx, n, (uint64_t)target - (uint64_t)idx->base);
    if (slot < 0) {
        *offset = idx->base;
        *position = 0;
        return;
    }
    *offset = idx->base + (int64_t)sl__index_rel(idx, (size_t)slot);
    *position = sl__index_pos(idx, (size_t)slot);
}

void sl_index_lookup_time(const sl_index_t *idx, int64_t target, int64_t *timestamp,
                          int64_t *offset)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_acquire);
    size_t above = idx->kind == SL_INDEX_TIME ? sl__index_bound_ts(idx, n, target, 1) : 0;
    if (above == 0) {
        *timestamp = SL__NO_TIMESTAMP;
        *offset = idx->base;
        return;
    }
    /* Appends never repeat a timestamp, but a file may (open accepts
     * non-decreasing timestamps); of equal timestamps take the first, whose
     * offset is lowest, so a scan from it cannot miss a record. */
    int64_t ts = sl__index_ts(idx, above - 1);
    size_t slot = sl__index_bound_ts(idx, above, ts, 0);
    *timestamp = ts;
    *offset = idx->base + (int64_t)sl__index_rel(idx, slot);
}

void sl_index_entry(const sl_index_t *idx, size_t i, int64_t *a, int64_t *b)
{
    int64_t off = idx->base + (int64_t)sl__index_rel(idx, i);
    if (idx->kind == SL_INDEX_OFFSET) {
        *a = off;
        *b = (int64_t)sl__index_pos(idx, i);
    } else {
        *a = sl__index_ts(idx, i);
        *b = off;
    }
}

int sl_index_last(const sl_index_t *idx, int64_t *a, int64_t *b)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_acquire);
    if (n == 0)
        return 0;
    sl_index_entry(idx, n - 1, a, b);
    return 1;
}

/* ---- truncation ------------------------------------------------------------------- */

/* Drops entries [keep, n). The count is published first so readers stop at
 * keep; then, in a writable index, the dropped entries are zeroed so that a
 * crash cannot bring them back (see the file comment). */
static void sl__index_drop_from(sl_index_t *idx, size_t keep)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    if (keep >= n)
        return;
    atomic_store_explicit(&idx->n, keep, memory_order_release);
    if (idx->writable)
        memset(idx->map + keep * idx->esz, 0, (n - keep) * idx->esz);
}

void sl_index_truncate_to(sl_index_t *idx, int64_t offset)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    size_t keep;
    if (offset <= idx->base)
        keep = 0;
    else
        keep = sl__index_lower_rel(idx, n, (uint64_t)offset - (uint64_t)idx->base);
    sl__index_drop_from(idx, keep);
}

void sl_index_reset(sl_index_t *idx) { sl__index_drop_from(idx, 0); }

/* ---- durability and files ---------------------------------------------------------- */

sl_err_t sl_index_flush(sl_index_t *idx)
{
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    /* A read-only index was synced when it was trimmed. */
    if (!idx->writable || n == 0)
        return SL_OK;
    if (msync(idx->map, n * idx->esz, MS_SYNC) != 0)
        return SL_ERR_IO;
    return SL_OK;
}

void sl_index_disown(sl_index_t *idx)
{
    if (!idx || !idx->writable)
        return;
    idx->writable = 0;
    idx->cap = 0;
    close(idx->fd);
    idx->fd = -1;
}

sl_err_t sl_index_trim(sl_index_t *idx)
{
    if (!idx->writable)
        return SL_OK; /* already trimmed: rolling twice is harmless */
    size_t n = atomic_load_explicit(&idx->n, memory_order_relaxed);
    size_t bytes = n * idx->esz;
    if (bytes > 0 && msync(idx->map, bytes, MS_SYNC) != 0)
        return SL_ERR_IO;
    if (ftruncate(idx->fd, (off_t)bytes) != 0)
        return SL_ERR_IO;
    /* The file no longer holds cap entries (an append past its end would
     * fault), so from here the index is read-only whatever fails next. */
    idx->writable = 0;
    idx->cap = 0;
    int synced = fsync(idx->fd) == 0;
    int e = errno;
    close(idx->fd);
    idx->fd = -1;
    /* Shrink the mapping in place rather than remapping, so that a reader
     * inside a lookup keeps valid memory: only whole pages past the entries
     * go, and no reader touches those. */
    size_t page = sl__index_page();
    size_t keep = (bytes + page - 1) / page * page;
    if (keep < idx->map_len) {
        munmap(idx->map + keep, idx->map_len - keep);
        idx->map_len = keep;
        if (keep == 0)
            idx->map = NULL; /* n == 0: no reader dereferences map */
    }
    /* Best effort: a mapping left writable is harmless once writable is 0. */
    if (idx->map)
        mprotect(idx->map, idx->map_len, PROT_READ);
    if (!synced) {
        errno = e;
        return SL_ERR_IO;
    }
    return SL_OK;
}

sl_err_t sl_index_rename(sl_index_t *idx, const char *new_path)
{
    char *p = strdup(new_path);
    if (!p)
        return SL_ERR_NOMEM;
    if (rename(idx->path, new_path) != 0) {
        int e = errno;
        free(p);
        errno = e; /* left for the caller's message */
        return SL_ERR_IO;
    }
    free(idx->path);
    idx->path = p;
    return SL_OK;
}
