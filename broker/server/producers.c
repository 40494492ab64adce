/* producers.c — idempotent producer state per partition, and producer ids. */
#include "broker/server/producers.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/trace.h"

typedef struct sl__pbatch {
    int32_t first_seq, last_seq;
    int64_t base_offset;
} sl__pbatch_t;

typedef struct sl__pentry {
    int64_t pid; /* -1: free slot */
    int16_t epoch;
    int nbatches; /* up to SL_PRODUCER_DEDUPE_BATCHES, newest last */
    sl__pbatch_t batches[SL_PRODUCER_DEDUPE_BATCHES];
    int64_t last_ms;
} sl__pentry_t;

struct sl_pstate {
    sl__pentry_t *slots; /* open addressing, power-of-two size */
    size_t cap, count;
};

sl_pstate_t *sl_pstate_new(void) { return calloc(1, sizeof(sl_pstate_t)); }

void sl_pstate_free(sl_pstate_t *ps)
{
    if (!ps)
        return;
    free(ps->slots);
    free(ps);
}

static size_t sl__slot(uint64_t pid, size_t cap)
{
    pid ^= pid >> 33;
    pid *= 0xff51afd7ed558ccdull;
    pid ^= pid >> 33;
    return (size_t)pid & (cap - 1);
}

static sl__pentry_t *sl__find(const sl_pstate_t *ps, int64_t pid)
{
    if (!ps->cap)
        return NULL;
    for (size_t i = sl__slot((uint64_t)pid, ps->cap);; i = (i + 1) & (ps->cap - 1)) {
        if (ps->slots[i].pid == pid)
            return &ps->slots[i];
        if (ps->slots[i].pid == -1)
            return NULL;
    }
}

/* Moves into a new table of cap slots the producers used within
 * expiration_ms of now_ms (all of them with INT64_MAX). */
static sl_err_t sl__rehash(sl_pstate_t *ps, size_t cap, int64_t now_ms, int64_t expiration_ms)
{
    sl__pentry_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        slots[i].pid = -1;
    size_t kept = 0;
    for (size_t i = 0; i < ps->cap; i++) {
        if (ps->slots[i].pid < 0 ||
            (expiration_ms != INT64_MAX && now_ms - ps->slots[i].last_ms > expiration_ms))
            continue;
        size_t j = sl__slot((uint64_t)ps->slots[i].pid, cap);
        while (slots[j].pid != -1)
            j = (j + 1) & (cap - 1);
        slots[j] = ps->slots[i];
        kept++;
    }
    free(ps->slots);
    ps->slots = slots;
    ps->cap = cap;
    ps->count = kept;
    return SL_OK;
}

static sl_err_t sl__grow(sl_pstate_t *ps) { return sl__rehash(ps, ps->cap ? ps->cap * 2 : 16, 0, INT64_MAX); }

static int32_t sl__last_seq(const sl_batch_header_t *h)
{
    /* Sequences wrap at INT32_MAX, as Kafka's DefaultRecordBatch.incrementSequence. */
    int64_t last = (int64_t)h->base_sequence + h->last_offset_delta;
    return (int32_t)(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

static int sl__in_sequence(int32_t last, int32_t next)
{
    return next == (last == INT32_MAX ? 0 : last + 1);
}

int sl_pstate_check(const sl_pstate_t *ps, const sl_batch_header_t *h, int64_t *dup_base_offset)
{
    if (h->producer_id < 0 || h->base_sequence < 0)
        return SL_OK; /* not idempotent */
    const sl__pentry_t *e = sl__find(ps, h->producer_id);
    if (!e)
        return SL_OK; /* unknown producer: any sequence starts it */
    if (h->producer_epoch < e->epoch)
        return SL_ERR_INVALID_PRODUCER_EPOCH;
    if (h->producer_epoch != e->epoch)
        return h->base_sequence == 0 ? SL_OK : SL_ERR_OUT_OF_ORDER_SEQUENCE;
    int32_t last_seq = sl__last_seq(h);
    for (int i = 0; i < e->nbatches; i++)
        if (e->batches[i].first_seq == h->base_sequence && e->batches[i].last_seq == last_seq) {
            *dup_base_offset = e->batches[i].base_offset;
            return 1;
        }
    if (e->nbatches && !sl__in_sequence(e->batches[e->nbatches - 1].last_seq, h->base_sequence))
        return SL_ERR_OUT_OF_ORDER_SEQUENCE;
    return SL_OK;
}

sl_err_t sl_pstate_record(sl_pstate_t *ps, const sl_batch_header_t *h, int64_t now_ms)
{
    if (h->producer_id < 0 || h->base_sequence < 0)
        return SL_OK;
    sl__pentry_t *e = sl__find(ps, h->producer_id);
    if (!e) {
        if ((ps->count + 1) * 4 > ps->cap * 3) {
            sl_err_t err = sl__grow(ps);
            if (err)
                return err;
        }
        size_t i = sl__slot((uint64_t)h->producer_id, ps->cap);
        while (ps->slots[i].pid != -1)
            i = (i + 1) & (ps->cap - 1);
        e = &ps->slots[i];
        memset(e, 0, sizeof *e);
        e->pid = h->producer_id;
        e->epoch = h->producer_epoch;
        ps->count++;
    }
    if (h->producer_epoch != e->epoch) {
        e->epoch = h->producer_epoch;
        e->nbatches = 0;
    }
    if (e->nbatches == SL_PRODUCER_DEDUPE_BATCHES) {
        memmove(e->batches, e->batches + 1, (SL_PRODUCER_DEDUPE_BATCHES - 1) * sizeof e->batches[0]);
        e->nbatches--;
    }
    e->batches[e->nbatches++] = (sl__pbatch_t){h->base_sequence, sl__last_seq(h), h->base_offset};
    e->last_ms = now_ms;
    return SL_OK;
}

void sl_pstate_expire(sl_pstate_t *ps, int64_t now_ms, int64_t expiration_ms)
{
    size_t keep = 0;
    for (size_t i = 0; i < ps->cap; i++)
        if (ps->slots[i].pid >= 0 && now_ms - ps->slots[i].last_ms <= expiration_ms)
            keep++;
    if (keep == ps->count)
        return;
    /* Rebuild from the survivors: deleting in place would break the probes. */
    size_t cap = 16;
    while ((keep + 1) * 4 > cap * 3)
        cap *= 2;
    /* No memory now: expire on a later pass. */
    (void)sl__rehash(ps, cap, now_ms, expiration_ms);
}

int sl_pstate_count(const sl_pstate_t *ps) { return (int)ps->count; }

static int sl__load_one(void *opaque, const sl_batch_header_t *h)
{
    sl_pstate_t *ps = opaque;
    if (h->producer_id >= 0 && !(h->attributes & SL_BATCH_ATTR_CONTROL))
        return sl_pstate_record(ps, h, h->max_timestamp) != SL_OK;
    return 0;
}

sl_err_t sl_pstate_load(sl_pstate_t *ps, sl_log_t *log)
{
    return sl_log_scan_headers(log, sl_log_start_offset(log), sl__load_one, ps);
}

/* ---- producer ids -------------------------------------------------------------- */

#define SL__PID_BLOCK 1000

struct sl_pid_alloc {
    pthread_mutex_t mu;
    char *path;
    int64_t next, block_end;
};

static sl_err_t sl__pid_write_block(sl_pid_alloc_t *a, int64_t block_end)
{
    sl_atomic_file_t af;
    sl_err_t err = sl_atomic_file_open(&af, a->path);
    if (err)
        return err;
    fprintf(af.f, "%" PRId64 "\n", block_end);
    return sl_atomic_file_commit(&af);
}

sl_err_t sl_pid_alloc_open(const char *data_dir, sl_pid_alloc_t **out)
{
    sl_pid_alloc_t *a = calloc(1, sizeof *a);
    size_t n = strlen(data_dir) + 32;
    if (!a || !(a->path = malloc(n))) {
        free(a);
        return SL_ERR_NOMEM;
    }
    snprintf(a->path, n, "%s/producer-id-block", data_dir);
    pthread_mutex_init(&a->mu, NULL);
    FILE *f = fopen(a->path, "r");
    int64_t end = 0;
    if (f) {
        if (fscanf(f, "%" SCNd64, &end) != 1 || end < 0)
            end = 0;
        fclose(f);
    } else if (errno != ENOENT) {
        sl_pid_alloc_close(a);
        return SL_ERR_IO;
    }
    /* Ids below the recorded end may have been handed out: start after it. */
    a->next = a->block_end = end;
    *out = a;
    return SL_OK;
}

void sl_pid_alloc_close(sl_pid_alloc_t *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a->path);
    free(a);
}

sl_err_t sl_pid_alloc_next(sl_pid_alloc_t *a, int64_t *id)
{
    pthread_mutex_lock(&a->mu);
    sl_err_t err = SL_OK;
    if (a->next >= a->block_end) {
        err = sl__pid_write_block(a, a->block_end + SL__PID_BLOCK);
        if (!err)
            a->block_end += SL__PID_BLOCK;
    }
    if (!err)
        *id = a->next++;
    pthread_mutex_unlock(&a->mu);
    if (err)
        sl_trace(SL_TRACE_ERROR, "producers", "recording a producer id block in %s failed", a->path);
    return err;
}
