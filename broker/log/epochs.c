/* epochs.c — a partition log's leader-epoch cache (Kafka's
 * LeaderEpochFileCache): which leader epoch began at which offset, kept in
 * the log directory as `leader-epoch-checkpoint`. Answers OffsetForLeaderEpoch
 * so that a follower finds where its log diverges from the leader's. The log
 * (log.c) owns the cache and calls these under its mutex. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/log/log_int.h"
#include "common/fsutil.h"

void sl__epochs_free(sl__epochs_t *c)
{
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
}

/* Kafka's LeaderEpochFileCache.assign: an entry is needed unless the latest
 * already has this epoch at this or an earlier offset; entries that would
 * break monotonicity (epoch >= the new one or start >= the new start) go first. */
int sl__epochs_assign(sl__epochs_t *c, int32_t epoch, int64_t start_offset)
{
    if (epoch < 0 || start_offset < 0)
        return 0;
    if (c->n > 0) {
        const sl_log_epoch_entry_t *last = &c->e[c->n - 1];
        if (last->epoch == epoch && last->start_offset <= start_offset)
            return 0;
    }
    while (c->n > 0 && (c->e[c->n - 1].epoch >= epoch || c->e[c->n - 1].start_offset >= start_offset))
        c->n--;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        sl_log_epoch_entry_t *p = realloc(c->e, (size_t)cap * sizeof *p);
        if (!p)
            return SL_ERR_NOMEM;
        c->e = p;
        c->cap = cap;
    }
    c->e[c->n++] = (sl_log_epoch_entry_t){epoch, start_offset};
    return 1;
}

int sl__epochs_truncate_from_end(sl__epochs_t *c, int64_t end_offset)
{
    int n = c->n;
    while (c->n > 0 && c->e[c->n - 1].start_offset >= end_offset)
        c->n--;
    return c->n != n;
}

int sl__epochs_truncate_from_start(sl__epochs_t *c, int64_t start_offset)
{
    /* Entries starting at or before start_offset go, but the last of them
     * still covers start_offset: it stays, moved up to start there. */
    int k = 0;
    while (k < c->n && c->e[k].start_offset <= start_offset)
        k++;
    if (k == 0)
        return 0;
    sl_log_epoch_entry_t keep = {c->e[k - 1].epoch, start_offset};
    int changed = k > 1 || c->e[0].start_offset != start_offset;
    memmove(c->e + 1, c->e + k, (size_t)(c->n - k) * sizeof *c->e);
    c->e[0] = keep;
    c->n -= k - 1;
    return changed;
}

void sl__epochs_end_offset_for(const sl__epochs_t *c, int32_t requested, int64_t log_end_offset,
                               int32_t *out_epoch, int64_t *out_end_offset)
{
    *out_epoch = -1;
    *out_end_offset = -1;
    if (requested < 0 || c->n == 0)
        return;
    if (c->e[c->n - 1].epoch == requested) {
        *out_epoch = requested;
        *out_end_offset = log_end_offset;
        return;
    }
    /* higher: the first entry with epoch > requested; floor: the one before it. */
    int lo = 0, hi = c->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->e[mid].epoch <= requested)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->n)
        return; /* above every epoch we know */
    *out_end_offset = c->e[lo].start_offset;
    /* Below every epoch: Kafka answers with the requested epoch itself and the
     * first entry's start, so that the follower starts over from there. */
    *out_epoch = lo > 0 ? c->e[lo - 1].epoch : requested;
}

sl_err_t sl__epochs_read(const char *path, sl__epochs_t *c)
{
    c->n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return SL_ERR_IO;
    char line[128];
    long long version = -1, count = -1;
    sl_err_t err = SL_OK;
    int lines = 0;
    while (!err && fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n') {
            err = SL_ERR_CORRUPT_MESSAGE; /* an over-long line, or a torn last line */
            break;
        }
        char *p = line, *end;
        errno = 0;
        long long a = strtoll(p, &end, 10);
        if (errno || end == p) {
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        if (lines < 2) {
            if (*end != '\n')
                err = SL_ERR_CORRUPT_MESSAGE;
            else if (lines == 0)
                version = a;
            else
                count = a;
            if (lines == 0 && version != 0)
                err = SL_ERR_CORRUPT_MESSAGE;
            if (lines == 1 && (count < 0 || count > INT32_MAX))
                err = SL_ERR_CORRUPT_MESSAGE;
            lines++;
            continue;
        }
        if (*end != ' ' || a < 0 || a > INT32_MAX) {
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        p = end + 1;
        long long b = strtoll(p, &end, 10);
        if (errno || end == p || *end != '\n' || b < 0 || lines - 2 >= count) {
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        /* Kafka reads the file through assign as well: it keeps the cache monotonic. */
        int r = sl__epochs_assign(c, (int32_t)a, b);
        if (r < 0)
            err = (sl_err_t)r;
        lines++;
    }
    if (!err && ferror(f))
        err = SL_ERR_IO;
    if (!err && (lines < 2 || lines - 2 != count))
        err = SL_ERR_CORRUPT_MESSAGE;
    fclose(f);
    if (err)
        c->n = 0;
    return err;
}

sl_err_t sl__epochs_write(const char *path, const sl__epochs_t *c)
{
    sl_atomic_file_t af;
    sl_err_t err = sl_atomic_file_open(&af, path);
    if (err)
        return err;
    fprintf(af.f, "0\n%d\n", c->n);
    for (int i = 0; i < c->n; i++)
        fprintf(af.f, "%" PRId32 " %" PRId64 "\n", c->e[i].epoch, c->e[i].start_offset);
    return sl_atomic_file_commit(&af);
}
