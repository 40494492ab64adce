/* test_cleaner.c — log compaction: random workloads against a model, tombstone
 * delete horizons, what must not be cleaned, offsets and timestamps after
 * cleaning, reopening, crash-interrupted swaps, and cleaning under load. */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"
#include "common/buf.h"
#include "common/trace.h"

#define T0 1700000000000LL
#define LEADER_EPOCH 5
#define NO_HORIZON INT64_MIN
#define MAX_DECOMP (1u << 26)

/* ---- helpers ---------------------------------------------------------------------- */

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static sl_log_config_t compact_cfg(int64_t segment_bytes)
{
    sl_log_config_t c = sl_log_config_default();
    c.cleanup_policy = SL_CLEANUP_COMPACT;
    c.segment_bytes = segment_bytes;
    c.segment_index_bytes = 4096; /* hundreds of segments: keep preallocation small */
    c.index_interval_bytes = 256;
    c.delete_retention_ms = 100000;
    return c;
}

static sl_log_t *open_log(const char *dir, const sl_log_config_t *cfg)
{
    sl_log_t *log = NULL;
    char err[256] = "";
    sl_log_open_opts_t o = {0, -1, 0, T0};
    sl_err_t e = sl_log_open(dir, cfg, &o, &log, err, sizeof err);
    if (e)
        fail_msg("sl_log_open %s: %s %s", dir, sl_err_name(e), err);
    return log;
}

static int count_suffix(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name), m = strlen(suffix);
        if (l > m && strcmp(de->d_name + l - m, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    uint8_t *p = sl_test_read_file(from, &len);
    sl_test_write_file(to, p, len);
    free(p);
}

/* Copies every regular file of dir `from` into dir `to`. */
static void copy_dir(const char *from, const char *to)
{
    DIR *d = opendir(from);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *a = path_in(from, de->d_name), *b = path_in(to, de->d_name);
        copy_file(a, b);
        free(a);
        free(b);
    }
    closedir(d);
}

static char *seg_file(const char *dir, int64_t base, const char *ext)
{
    char name[64];
    snprintf(name, sizeof name, "%020lld%s", (long long)base, ext);
    return path_in(dir, name);
}

/* Calls fn for every record of the log from its start, in order, with its batch header. */
typedef void record_fn(void *ctx, const sl_batch_header_t *h, const sl_record_t *r);

static int64_t for_each_record(sl_log_t *log, record_fn *fn, void *ctx)
{
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    int64_t next = sl_log_start_offset(log), leo = sl_log_end_offset(log), prev = -1, count = 0;
    while (next < leo) {
        sl_buf_reset(&data);
        assert_int_equal(sl_log_read_copy(log, next, 256 * 1024, INT64_MAX, &data), SL_OK);
        if (data.len == 0)
            break; /* records at the end of the last closed segment were cleaned away */
        size_t off = 0;
        while (off < data.len) {
            sl_batch_header_t h;
            assert_int_equal(sl_batch_check(data.data + off, data.len - off, &h), SL_OK);
            assert_true(h.base_offset > prev);
            sl_record_iter_t it;
            assert_int_equal(sl_record_iter_init(&it, data.data + off, sl_batch_size(&h), MAX_DECOMP, &scratch),
                             SL_OK);
            sl_record_t r;
            int rc;
            while ((rc = sl_record_iter_next(&it, &r)) == 1) {
                assert_true(r.offset > prev); /* strictly increasing across the log */
                prev = r.offset;
                fn(ctx, &h, &r);
                count++;
            }
            assert_int_equal(rc, 0);
            next = sl_batch_last_offset(&h) + 1;
            off += sl_batch_size(&h);
        }
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    return count;
}

/* Serialises every record (offset, timestamp, key, value, headers) for comparing logs. */
static void dump_fn(void *ctx, const sl_batch_header_t *h, const sl_record_t *r)
{
    sl_buf_t *out = ctx;
    assert_int_equal(sl_buf_put_be64(out, (uint64_t)r->offset), SL_OK);
    assert_int_equal(sl_buf_put_be64(out, (uint64_t)r->timestamp), SL_OK);
    assert_int_equal(sl_buf_put_be16(out, (uint16_t)h->attributes), SL_OK);
    assert_int_equal(sl_buf_put_be32(out, (uint32_t)r->key_len), SL_OK);
    if (r->key_len > 0)
        assert_int_equal(sl_buf_append(out, r->key, (size_t)r->key_len), SL_OK);
    assert_int_equal(sl_buf_put_be32(out, (uint32_t)r->value_len), SL_OK);
    if (r->value_len > 0)
        assert_int_equal(sl_buf_append(out, r->value, (size_t)r->value_len), SL_OK);
    assert_int_equal(sl_buf_append(out, r->headers, r->headers_len), SL_OK);
}

static void dump_log(sl_log_t *log, sl_buf_t *out)
{
    sl_buf_reset(out);
    for_each_record(log, dump_fn, out);
}

/* ---- the model ----------------------------------------------------------------------- */

typedef struct mrec {
    int key; /* -1: null key */
    int tomb;
    int alive;
    int batch;
    int64_t ts;
} mrec_t;

typedef struct mbatch {
    int64_t base;
    int32_t lod;
    sl_compression_t codec;
    int64_t pid;
    int16_t pepoch;
    int32_t seq;
    int control;
    int64_t horizon; /* NO_HORIZON until a pass gives it one */
} mbatch_t;

typedef struct model {
    mrec_t *recs; /* indexed by offset */
    size_t n, cap;
    mbatch_t *batches;
    size_t nb, capb;
    int nkeys;
    int log_append_time;
} model_t;

static void model_free(model_t *m)
{
    free(m->recs);
    free(m->batches);
}

/* Record content is a function of its offset, so the model stores none. */
static int key_of(int key, char *buf) { return snprintf(buf, 32, "key-%d", key); }

static int value_of(int64_t off, char *buf)
{
    int n = snprintf(buf, 32, "val-%lld-", (long long)off);
    int pad = (int)(off * 7 % 40);
    memset(buf + n, 'a' + (int)(off % 26), (size_t)pad);
    return n + pad;
}

/* Up to two headers; the second has a null value. */
static size_t headers_of(int64_t off, sl_record_header_t *h, char store[2][32])
{
    size_t n = (size_t)(off % 3);
    for (size_t j = 0; j < n; j++) {
        h[j].key = (const uint8_t *)(j ? "trace" : "h");
        h[j].key_len = j ? 5 : 1;
        int l = snprintf(store[j], 32, "hv-%lld", (long long)off);
        h[j].value = j ? NULL : (const uint8_t *)store[j];
        h[j].value_len = j ? -1 : l;
    }
    return n;
}

static const uint8_t control_key[4] = {0, 0, 0, SL_CONTROL_COMMIT};
static const uint8_t control_value[6] = {0, 0, 0, 0, 0, 5};

/* Appends one batch of n records (keys drawn from the model's key space; ~10%
 * tombstones, ~1% null keys) or one commit marker, and records it in the model. */
static void model_append(sl_log_t *log, model_t *m, uint64_t *rng, int n, sl_compression_t codec,
                         int control, int64_t now)
{
    int64_t base = sl_log_end_offset(log);
    sl_batch_opts_t o = sl_batch_opts_default();
    o.compression = codec;
    mbatch_t mb = {base, 0, codec, -1, -1, -1, control, NO_HORIZON};
    if (control) {
        o.extra_attributes = SL_BATCH_ATTR_CONTROL | SL_BATCH_ATTR_TRANSACTIONAL;
        o.producer_id = mb.pid = 4242;
        o.producer_epoch = mb.pepoch = 1;
        n = 1;
    } else if (sl_test_rand(rng) % 2) {
        o.producer_id = mb.pid = 1000 + (int64_t)(sl_test_rand(rng) % 5);
        o.producer_epoch = mb.pepoch = 3;
        o.base_sequence = mb.seq = (int32_t)(base % 100000);
    }
    mb.lod = n - 1;
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, &o);
    if (m->n + (size_t)n > m->cap) {
        m->cap = (m->n + (size_t)n) * 2;
        m->recs = realloc(m->recs, m->cap * sizeof *m->recs);
        assert_non_null(m->recs);
    }
    assert_int_equal(m->n, (size_t)base);
    for (int i = 0; i < n; i++) {
        int64_t off = base + i;
        mrec_t *r = &m->recs[m->n++];
        r->alive = 1;
        r->batch = (int)m->nb;
        r->ts = T0 + (int64_t)(sl_test_rand(rng) % 100000);
        if (control) {
            r->key = -2;
            r->tomb = 0;
            assert_int_equal(sl_batch_builder_add(&b, -1, r->ts, control_key, 4, control_value, 6, NULL, 0), SL_OK);
            continue;
        }
        uint64_t x = sl_test_rand(rng) % 100;
        r->key = x == 0 ? -1 : (int)(sl_test_rand(rng) % (uint64_t)m->nkeys);
        r->tomb = x >= 1 && x <= 10;
        char k[32], v[96], hs[2][32];
        sl_record_header_t hdr[2];
        int kl = r->key >= 0 ? key_of(r->key, k) : -1;
        int vl = r->tomb ? -1 : value_of(off, v);
        size_t nh = headers_of(off, hdr, hs);
        assert_int_equal(sl_batch_builder_add(&b, -1, r->ts, r->key >= 0 ? k : NULL, kl, r->tomb ? NULL : v, vl,
                                              nh ? hdr : NULL, nh),
                         SL_OK);
    }
    sl_buf_t data = SL_BUF_INIT;
    assert_int_equal(sl_batch_builder_finish(&b, &data), SL_OK);
    sl_batch_builder_destroy(&b);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, data.data, data.len, LEADER_EPOCH, now, &info), SL_OK);
    assert_int_equal(info.first_offset, base);
    sl_buf_free(&data);
    if (m->log_append_time)
        for (int i = 0; i < n; i++)
            m->recs[base + i].ts = now;
    if (m->nb == m->capb) {
        m->capb = m->capb ? m->capb * 2 : 256;
        m->batches = realloc(m->batches, m->capb * sizeof *m->batches);
        assert_non_null(m->batches);
    }
    m->batches[m->nb++] = mb;
}

/* What a pass over [0, end) with the map built over [dirty, end) must leave. */
static void model_clean(model_t *m, int64_t dirty, int64_t end, int64_t now, int64_t delete_retention)
{
    int64_t *latest = malloc((size_t)m->nkeys * sizeof *latest);
    assert_non_null(latest);
    for (int k = 0; k < m->nkeys; k++)
        latest[k] = -1;
    for (int64_t o = dirty; o < end; o++)
        if (m->recs[o].alive && m->recs[o].key >= 0)
            latest[m->recs[o].key] = o;
    for (size_t bi = 0; bi < m->nb && m->batches[bi].base < end; bi++) {
        mbatch_t *b = &m->batches[bi];
        int kept_tomb = 0;
        for (int64_t o = b->base; o <= b->base + b->lod; o++) {
            mrec_t *r = &m->recs[o];
            if (!r->alive || b->control)
                continue;
            int keep = r->key >= 0 && !(latest[r->key] > o) &&
                       !(r->tomb && b->horizon != NO_HORIZON && now > b->horizon);
            if (!keep)
                r->alive = 0;
            else if (r->tomb)
                kept_tomb = 1;
        }
        if (kept_tomb && b->horizon == NO_HORIZON)
            b->horizon = now + delete_retention;
    }
    free(latest);
}

typedef struct check_ctx {
    model_t *m;
    int64_t seen;
} check_ctx_t;

static void check_fn(void *ctx, const sl_batch_header_t *h, const sl_record_t *r)
{
    check_ctx_t *c = ctx;
    model_t *m = c->m;
    assert_true((size_t)r->offset < m->n);
    const mrec_t *mr = &m->recs[r->offset];
    if (!mr->alive)
        fail_msg("offset %lld should have been cleaned", (long long)r->offset);
    const mbatch_t *mb = &m->batches[mr->batch];
    /* The batch keeps its identity whether copied or rebuilt. */
    assert_int_equal(h->base_offset, mb->base);
    assert_int_equal(h->last_offset_delta, mb->lod);
    assert_int_equal(sl_batch_compression(h), mb->codec);
    assert_int_equal(h->producer_id, mb->pid);
    assert_int_equal(h->producer_epoch, mb->pepoch);
    assert_int_equal(h->base_sequence, mb->seq);
    assert_int_equal(h->partition_leader_epoch, LEADER_EPOCH);
    assert_int_equal(!!(h->attributes & SL_BATCH_ATTR_CONTROL), mb->control);
    assert_int_equal(!!(h->attributes & SL_BATCH_ATTR_LOG_APPEND_TIME), m->log_append_time);
    if (mb->horizon != NO_HORIZON) {
        assert_true(h->attributes & SL_BATCH_ATTR_DELETE_HORIZON);
        assert_int_equal(h->base_timestamp, mb->horizon);
    } else {
        assert_false(h->attributes & SL_BATCH_ATTR_DELETE_HORIZON);
    }
    assert_int_equal(r->timestamp, mr->ts);
    if (mb->control) {
        assert_int_equal(r->key_len, 4);
        assert_memory_equal(r->key, control_key, 4);
        c->seen++;
        return;
    }
    char k[32], v[96], hs[2][32];
    if (mr->key < 0) {
        assert_int_equal(r->key_len, -1); /* not cleaned yet */
    } else {
        int kl = key_of(mr->key, k);
        assert_int_equal(r->key_len, kl);
        assert_memory_equal(r->key, k, (size_t)kl);
    }
    if (mr->tomb) {
        assert_int_equal(r->value_len, -1);
    } else {
        int vl = value_of(r->offset, v);
        assert_int_equal(r->value_len, vl);
        assert_memory_equal(r->value, v, (size_t)vl);
    }
    sl_record_header_t want[2];
    size_t nh = headers_of(r->offset, want, hs);
    assert_int_equal(r->header_count, (int32_t)nh);
    const uint8_t *p = r->headers, *end = r->headers + r->headers_len;
    for (size_t j = 0; j < nh; j++) {
        sl_record_header_t got;
        assert_int_equal(sl_record_header_next(&p, end, &got), SL_OK);
        assert_int_equal(got.key_len, want[j].key_len);
        assert_memory_equal(got.key, want[j].key, (size_t)got.key_len);
        assert_int_equal(got.value_len, want[j].value_len);
        if (got.value_len > 0)
            assert_memory_equal(got.value, want[j].value, (size_t)got.value_len);
    }
    assert_true(p == end);
    c->seen++;
}

/* The log holds exactly the model's live records, with their content. */
static void check_model(sl_log_t *log, model_t *m)
{
    check_ctx_t c = {m, 0};
    for_each_record(log, check_fn, &c);
    int64_t alive = 0;
    for (size_t o = 0; o < m->n; o++)
        alive += m->recs[o].alive;
    assert_int_equal(c.seen, alive);
}

/* ---- trace capture ------------------------------------------------------------------- */

static int traced_passes, traced_warnings;

static void capture(void *opaque, sl_trace_level_t level, const char *component, const char *line)
{
    (void)opaque, (void)component;
    if (level == SL_TRACE_INFO && strstr(line, "records kept"))
        __atomic_add_fetch(&traced_passes, 1, __ATOMIC_RELAXED);
    if (level >= SL_TRACE_WARN)
        __atomic_add_fetch(&traced_warnings, 1, __ATOMIC_RELAXED);
}

static sl_trace_level_t saved_level;

static void capture_on(void)
{
    traced_passes = traced_warnings = 0;
    saved_level = sl_trace_level();
    sl_trace_set_sink(capture, NULL, SL_TRACE_INFO);
}

static void capture_off(void) { sl_trace_set_sink(NULL, NULL, saved_level); }

/* ---- tests --------------------------------------------------------------------------- */

static void clean_ok(sl_log_t *log, int64_t now, int force, sl_log_clean_stats_t *st)
{
    sl_err_t e = sl_log_clean(log, now, force, st);
    if (e)
        fail_msg("sl_log_clean: %s", sl_err_name(e));
}

/* Random workloads, several rounds of append-roll-clean, each pass checked
 * against the model; a last pass after every delete horizon; then reopen. */
static void run_model(uint64_t seed, int log_append_time)
{
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(2048);
    if (log_append_time)
        cfg.timestamp_type = SL_TIMESTAMP_LOG_APPEND_TIME;
    sl_log_t *log = open_log(dir, &cfg);
    model_t m = {0};
    m.nkeys = 150;
    m.log_append_time = log_append_time;
    uint64_t rng = seed;
    int64_t now = T0 + 1000000;
    capture_on();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1500;) {
            int control = sl_test_rand(&rng) % 30 == 0;
            int n = 1 + (int)(sl_test_rand(&rng) % 8);
            sl_compression_t codec = (sl_compression_t)(sl_test_rand(&rng) % 5);
            model_append(log, &m, &rng, n, codec, control, now);
            i += control ? 1 : n;
            now += 7;
        }
        assert_int_equal(sl_log_roll(log, now), SL_OK);
        /* Some records in the active segment: never cleaned. */
        for (int i = 0; i < 4; i++)
            model_append(log, &m, &rng, 3, SL_COMPRESSION_LZ4, 0, now);
        int segs_before = sl_log_segment_count(log);
        sl_log_clean_stats_t st;
        clean_ok(log, now, 1, &st);
        assert_true(st.segments_cleaned > 0);
        assert_int_equal(st.segments_cleaned, segs_before - 1);
        assert_true(st.first_dirty_after > st.first_dirty_before);
        assert_int_equal(sl_log_first_dirty_offset(log), st.first_dirty_after);
        assert_true(st.records_kept < st.records_read);
        assert_true(st.bytes_after < st.bytes_before);
        assert_true(sl_log_segment_count(log) <= segs_before);
        assert_true(sl_log_dirty_ratio(log) == 0.0);
        model_clean(&m, st.first_dirty_before, st.first_dirty_after, now, cfg.delete_retention_ms);
        check_model(log, &m);
        now += 1000;
    }
    /* Long after every horizon: the tombstones go too. */
    now += cfg.delete_retention_ms + 1;
    sl_log_clean_stats_t st;
    clean_ok(log, now, 1, &st);
    assert_true(st.tombstones_removed > 0);
    model_clean(&m, st.first_dirty_before, st.first_dirty_after, now, cfg.delete_retention_ms);
    check_model(log, &m);
    assert_int_equal(traced_passes, 4);
    assert_int_equal(traced_warnings, 0);
    capture_off();
    for (size_t o = 0; o < (size_t)st.first_dirty_after; o++)
        assert_false(m.recs[o].alive && m.recs[o].tomb);

    /* Reopen with a full recovery scan: the same content. */
    sl_buf_t before = SL_BUF_INIT, after = SL_BUF_INIT;
    dump_log(log, &before);
    sl_log_close(log);
    log = open_log(dir, &cfg);
    dump_log(log, &after);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.data, after.data, before.len);
    check_model(log, &m);
    assert_int_equal(count_suffix(dir, ".cleaned") + count_suffix(dir, ".swap") + count_suffix(dir, ".deleted"), 0);
    sl_buf_free(&before);
    sl_buf_free(&after);
    sl_log_close(log);
    model_free(&m);
    sl_test_rmdir(dir);
}

static void model_random(void **state)
{
    (void)state;
    run_model(1, 0);
    run_model(0xdeadbeef, 0);
    run_model(77, 0);
}

static void model_log_append_time(void **state)
{
    (void)state;
    run_model(5, 1);
}

/* Appends one uncompressed record (value NULL: a tombstone) and returns its offset. */
static int64_t put(sl_log_t *log, const char *key, const char *value, int64_t ts)
{
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, NULL);
    assert_int_equal(sl_batch_builder_add(&b, -1, ts, key, key ? (int32_t)strlen(key) : -1, value,
                                          value ? (int32_t)strlen(value) : -1, NULL, 0),
                     SL_OK);
    sl_buf_t data = SL_BUF_INIT;
    assert_int_equal(sl_batch_builder_finish(&b, &data), SL_OK);
    sl_batch_builder_destroy(&b);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, data.data, data.len, -1, ts, &info), SL_OK);
    sl_buf_free(&data);
    return info.first_offset;
}

/* What a log holds, by key: the records read back in order. */
typedef struct seen {
    int n;
    int64_t off[256], ts[256], horizon[256];
    char key[256][16];
    char val[256][32]; /* "<null>" for a tombstone */
} seen_t;

static void seen_fn(void *ctx, const sl_batch_header_t *h, const sl_record_t *r)
{
    seen_t *s = ctx;
    assert_true(s->n < 256);
    int i = s->n++;
    s->off[i] = r->offset;
    s->ts[i] = r->timestamp;
    s->horizon[i] = (h->attributes & SL_BATCH_ATTR_DELETE_HORIZON) ? h->base_timestamp : NO_HORIZON;
    snprintf(s->key[i], sizeof s->key[i], "%.*s", r->key_len < 0 ? 6 : (int)r->key_len,
             r->key_len < 0 ? "<null>" : (const char *)r->key);
    snprintf(s->val[i], sizeof s->val[i], "%.*s", r->value_len < 0 ? 6 : (int)r->value_len,
             r->value_len < 0 ? "<null>" : (const char *)r->value);
}

static void read_seen(sl_log_t *log, seen_t *s)
{
    memset(s, 0, sizeof *s);
    for_each_record(log, seen_fn, s);
}

static void tombstone_horizon(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20);
    cfg.delete_retention_ms = 10000;
    sl_log_t *log = open_log(dir, &cfg);
    put(log, "a", "a1", T0);
    put(log, "b", "b1", T0 + 1);
    int64_t tomb = put(log, "a", NULL, T0 + 2);
    /* A compressed batch mixing values and a tombstone: rebuilt with a horizon. */
    sl_batch_opts_t o = sl_batch_opts_default();
    o.compression = SL_COMPRESSION_ZSTD;
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, &o);
    assert_int_equal(sl_batch_builder_add(&b, -1, T0 + 10, "c", 1, "c1", 2, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, -1, T0 + 5, "d", 1, NULL, -1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, -1, T0 + 20, "e", 1, "e1", 2, NULL, 0), SL_OK);
    sl_buf_t data = SL_BUF_INIT;
    assert_int_equal(sl_batch_builder_finish(&b, &data), SL_OK);
    sl_batch_builder_destroy(&b);
    assert_int_equal(sl_log_append(log, data.data, data.len, -1, T0, NULL), SL_OK);
    sl_buf_free(&data);
    put(log, NULL, "no key", T0 + 30); /* cannot be compacted: dropped */
    assert_int_equal(sl_log_roll(log, T0 + 100), SL_OK);

    int64_t t1 = T0 + 1000, horizon = t1 + cfg.delete_retention_ms;
    sl_log_clean_stats_t st;
    clean_ok(log, t1, 1, &st);
    assert_int_equal(st.records_read, 7);
    assert_int_equal(st.records_kept, 5);
    assert_int_equal(st.tombstones_removed, 0);
    seen_t s;
    read_seen(log, &s);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.key[0], "b");
    assert_int_equal(s.horizon[0], NO_HORIZON); /* no tombstone: copied as it was */
    assert_string_equal(s.key[1], "a");
    assert_string_equal(s.val[1], "<null>");
    assert_int_equal(s.off[1], tomb);
    assert_int_equal(s.ts[1], T0 + 2); /* the record's own timestamp survives the new base */
    assert_int_equal(s.horizon[1], horizon);
    assert_string_equal(s.key[2], "c");
    assert_int_equal(s.ts[2], T0 + 10);
    assert_int_equal(s.horizon[2], horizon);
    assert_string_equal(s.key[3], "d");
    assert_int_equal(s.ts[3], T0 + 5);
    assert_string_equal(s.key[4], "e");
    assert_int_equal(s.ts[4], T0 + 20);

    /* Before the horizon (and at it) the tombstones stay, horizon unchanged. */
    clean_ok(log, t1 + 5000, 1, &st);
    clean_ok(log, horizon, 1, &st);
    read_seen(log, &s);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.horizon[1], horizon);
    assert_int_equal(s.horizon[3], horizon);

    /* After it they go; the values beside them stay, with the old horizon. */
    clean_ok(log, horizon + 1, 1, &st);
    assert_int_equal(st.tombstones_removed, 2);
    read_seen(log, &s);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.key[0], "b");
    assert_string_equal(s.key[1], "c");
    assert_int_equal(s.ts[1], T0 + 10);
    assert_string_equal(s.key[2], "e");
    assert_int_equal(s.ts[2], T0 + 20);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static uint8_t *read_active(const char *dir, int64_t base, size_t *len)
{
    char *p = seg_file(dir, base, ".log");
    uint8_t *d = sl_test_read_file(p, len);
    free(p);
    return d;
}

static void active_segment_untouched(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20);
    sl_log_t *log = open_log(dir, &cfg);
    /* Only an active segment, full of duplicates: nothing to clean. */
    for (int i = 0; i < 50; i++)
        put(log, i % 2 ? "x" : "y", "v", T0 + i);
    size_t l1, l2;
    uint8_t *b1 = read_active(dir, 0, &l1);
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 100, 1, &st);
    assert_int_equal(st.segments_cleaned, 0);
    uint8_t *b2 = read_active(dir, 0, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);

    /* With closed segments before it, the active one still stays byte for byte,
     * even though its keys supersede everything before. */
    assert_int_equal(sl_log_roll(log, T0 + 100), SL_OK);
    int64_t active = sl_log_end_offset(log);
    for (int i = 0; i < 50; i++)
        put(log, i % 2 ? "x" : "y", "w", T0 + 200 + i);
    b1 = read_active(dir, active, &l1);
    clean_ok(log, T0 + 1000, 1, &st);
    assert_int_equal(st.segments_cleaned, 1);
    assert_int_equal(st.first_dirty_after, active);
    b2 = read_active(dir, active, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    seen_t s;
    read_seen(log, &s);
    assert_int_equal(s.n, 52); /* the last x and y of the closed segment, and all 50 */
    free(b1);
    free(b2);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void dirty_ratio_respected(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20);
    cfg.min_cleanable_dirty_ratio = 0.5;
    sl_log_t *log = open_log(dir, &cfg);
    char k[16];
    /* Ten segments of distinct keys. */
    for (int s = 0; s < 10; s++) {
        for (int i = 0; i < 20; i++) {
            snprintf(k, sizeof k, "k%d", s * 20 + i);
            put(log, k, "value-value-value", T0 + s * 20 + i);
        }
        assert_int_equal(sl_log_roll(log, T0), SL_OK);
    }
    assert_true(sl_log_dirty_ratio(log) == 1.0);
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 10000, 0, &st); /* all dirty: ratio 1 >= 0.5 */
    assert_int_equal(st.segments_cleaned, 10);
    assert_int_equal(st.records_kept, 200);
    int64_t fd = sl_log_first_dirty_offset(log);
    assert_int_equal(fd, 200);
    assert_true(sl_log_dirty_ratio(log) == 0.0);
    /* Nothing dirty: no pass without force. */
    clean_ok(log, T0 + 10000, 0, &st);
    assert_int_equal(st.segments_cleaned, 0);

    /* One small dirty segment overwriting some keys: ratio well under 0.5. */
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof k, "k%d", i);
        put(log, k, "new", T0 + 500 + i);
    }
    assert_int_equal(sl_log_roll(log, T0), SL_OK);
    double ratio = sl_log_dirty_ratio(log);
    assert_true(ratio > 0.0 && ratio < 0.5);
    clean_ok(log, T0 + 10000, 0, &st);
    assert_int_equal(st.segments_cleaned, 0);
    assert_int_equal(sl_log_first_dirty_offset(log), fd);
    seen_t s;
    memset(&s, 0, sizeof s);
    assert_int_equal(for_each_record(log, seen_fn, &s), 210);

    /* Lower the threshold: now it cleans. */
    cfg.min_cleanable_dirty_ratio = ratio / 2;
    sl_log_set_config(log, &cfg);
    clean_ok(log, T0 + 10000, 0, &st);
    assert_true(st.segments_cleaned > 0);
    assert_int_equal(st.records_kept, 200);
    assert_int_equal(sl_log_first_dirty_offset(log), 210);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void compaction_lags(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20);
    cfg.min_compaction_lag_ms = 10000;
    sl_log_t *log = open_log(dir, &cfg);
    /* Three closed segments with the same keys, at T0, T0+5000, T0+20000. */
    int64_t bases[4];
    for (int s = 0; s < 3; s++) {
        bases[s] = sl_log_end_offset(log);
        int64_t ts = T0 + (s == 0 ? 0 : s == 1 ? 5000 : 20000);
        put(log, "a", "x", ts);
        put(log, "b", "x", ts);
        assert_int_equal(sl_log_roll(log, ts), SL_OK);
    }
    bases[3] = sl_log_end_offset(log);
    put(log, "a", "active", T0 + 20001);

    /* At T0+16000 only the first two are old enough: the third keeps its
     * records and does not supersede the second's. */
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 16000, 0, &st);
    assert_int_equal(st.segments_cleaned, 2);
    assert_int_equal(st.first_dirty_after, bases[2]);
    seen_t s;
    read_seen(log, &s);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.off[0], bases[1]);
    assert_int_equal(s.off[1], bases[1] + 1);
    assert_int_equal(s.off[2], bases[2]);
    assert_int_equal(s.off[4], bases[3]);

    /* Later everything closed is cleanable (forced: the ratio is about 0.5). */
    clean_ok(log, T0 + 40000, 1, &st);
    assert_int_equal(st.first_dirty_after, bases[3]);
    read_seen(log, &s);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.off[0], bases[2]);
    assert_int_equal(sl_log_roll(log, T0 + 40000), SL_OK);
    clean_ok(log, T0 + 40000, 1, &st);
    read_seen(log, &s);
    assert_int_equal(s.n, 2);

    /* max.compaction.lag.ms overrides a ratio that would never be reached. */
    cfg.min_compaction_lag_ms = 0;
    cfg.min_cleanable_dirty_ratio = 1.0;
    cfg.max_compaction_lag_ms = 5000;
    sl_log_set_config(log, &cfg);
    put(log, "a", "y", T0 + 50000);
    assert_int_equal(sl_log_roll(log, T0 + 50000), SL_OK);
    assert_true(sl_log_dirty_ratio(log) < 1.0);
    clean_ok(log, T0 + 52000, 0, &st); /* the dirty segment's first batch is 2 s old */
    assert_int_equal(st.segments_cleaned, 0);
    clean_ok(log, T0 + 56000, 0, &st); /* and now 6 s */
    assert_true(st.segments_cleaned > 0);
    read_seen(log, &s);
    assert_int_equal(s.n, 2); /* b from the third segment, and the last a */
    assert_string_equal(s.key[0], "b");
    assert_string_equal(s.val[1], "y");
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void delete_policy_does_nothing(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20);
    cfg.cleanup_policy = SL_CLEANUP_DELETE;
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 20; i++)
        put(log, "same", i % 3 ? "v" : NULL, T0 + i);
    assert_int_equal(sl_log_roll(log, T0), SL_OK);
    size_t l1, l2;
    uint8_t *b1 = read_active(dir, 0, &l1);
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 1000000000, 1, &st);
    assert_int_equal(st.segments_cleaned, 0);
    assert_int_equal(sl_log_first_dirty_offset(log), 0);
    uint8_t *b2 = read_active(dir, 0, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);
    /* compact,delete does clean. */
    cfg.cleanup_policy = SL_CLEANUP_DELETE | SL_CLEANUP_COMPACT;
    cfg.retention_ms = -1;
    sl_log_set_config(log, &cfg);
    clean_ok(log, T0 + 1000, 1, &st);
    assert_int_equal(st.segments_cleaned, 1);
    assert_int_equal(st.records_kept, 1);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void offsets_and_timestamps_preserved(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1024);
    sl_log_t *log = open_log(dir, &cfg);
    /* Record o: key o % 7 for the first 140, then unique keys; ts T0 + 10 o. */
    int n = 200;
    for (int o = 0; o < n; o++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", o < 140 ? o % 7 : o);
        assert_int_equal(put(log, k, "value", T0 + 10 * o), o);
    }
    assert_int_equal(sl_log_roll(log, T0), SL_OK);
    int64_t leo = sl_log_end_offset(log);
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 100000, 1, &st);
    assert_true(sl_log_segment_count(log) >= 2);
    /* Alive: 133..139 (latest of each of the 7 keys), 140..199. */
    for (int o = 0; o < n; o++) {
        int next = o < 133 ? 133 : o;
        sl_log_slice_t sl;
        assert_int_equal(sl_log_read(log, o, 1 << 20, INT64_MAX, &sl), SL_OK);
        assert_true(sl.len > 0);
        assert_int_equal(sl.first_offset, next);
        sl_log_slice_release(&sl);
        int64_t off, ts;
        assert_int_equal(sl_log_offset_for_timestamp(log, T0 + 10 * o, &off, &ts), 1);
        assert_int_equal(off, next);
        assert_int_equal(ts, T0 + 10 * next);
        /* Between two timestamps: the next record. */
        assert_int_equal(sl_log_offset_for_timestamp(log, T0 + 10 * o - 5, &off, &ts), 1);
        assert_int_equal(off, next);
    }
    int64_t off, ts;
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_EARLIEST, &off, &ts), 1);
    assert_int_equal(off, 0);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_LATEST, &off, &ts), 1);
    assert_int_equal(off, leo);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_MAX, &off, &ts), 1);
    assert_int_equal(off, n - 1);
    assert_int_equal(ts, T0 + 10 * (n - 1));
    assert_int_equal(sl_log_offset_for_timestamp(log, T0 + 10 * n, &off, &ts), 0);
    assert_int_equal(sl_log_end_offset(log), leo);
    /* Appends continue at the same end offset. */
    assert_int_equal(put(log, "k0", "after", T0 + 5000), leo);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

/* ---- crash safety ---------------------------------------------------------------------- */

enum crash_point {
    CRASH_WHILE_CLEANING,   /* only .cleaned files: the old segments stand */
    CRASH_AFTER_SWAP,       /* .swap written, nothing renamed yet */
    CRASH_AFTER_DELETED,    /* the group's other segments renamed .deleted */
    CRASH_MID_FINAL_RENAME, /* indexes already final, the .log still .swap */
};

/* Builds a log whose closed segments form one cleaning group, then
 * reconstructs in a copy of its directory the state a crash at `point`
 * leaves, opens it and compares with the cleaned (or original) log. */
static void crash_at(enum crash_point point)
{
    char *orig = sl_test_mkdtemp(), *cleaned = sl_test_mkdtemp(), *crashed = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(1 << 20); /* every closed segment fits one group */
    sl_log_t *log = open_log(cleaned, &cfg);
    int64_t bases[4];
    char k[16], v[32];
    for (int s = 0; s < 4; s++) {
        bases[s] = sl_log_end_offset(log);
        for (int i = 0; i < 25; i++) {
            snprintf(k, sizeof k, "k%d", i % 6);
            snprintf(v, sizeof v, "v%d-%d", s, i);
            put(log, k, i % 11 == 10 ? NULL : v, T0 + s * 100 + i);
        }
        if (s == 2)
            put(log, "last-closed", "unique", T0 + 300); /* the group's last record stays */
        if (s < 3)
            assert_int_equal(sl_log_roll(log, T0), SL_OK);
    }
    sl_log_close(log);
    copy_dir(cleaned, orig);
    log = open_log(cleaned, &cfg);
    sl_buf_t want_orig = SL_BUF_INIT, want_clean = SL_BUF_INIT, got = SL_BUF_INIT;
    dump_log(log, &want_orig);
    sl_log_clean_stats_t st;
    clean_ok(log, T0 + 10000, 1, &st);
    assert_int_equal(st.segments_cleaned, 3);
    assert_int_equal(sl_log_segment_count(log), 2);
    dump_log(log, &want_clean);
    assert_true(want_clean.len < want_orig.len);
    sl_log_close(log);

    copy_dir(orig, crashed);
    static const char *const exts[] = {".log", ".index", ".timeindex"};
    for (int e = 0; e < 3; e++) {
        char *from = seg_file(cleaned, 0, exts[e]);
        char sfx[32];
        int final = point == CRASH_MID_FINAL_RENAME && e > 0;
        snprintf(sfx, sizeof sfx, "%s%s", exts[e],
                 point == CRASH_WHILE_CLEANING ? ".cleaned" : final ? "" : ".swap");
        char *to = seg_file(crashed, 0, sfx);
        copy_file(from, to);
        free(from);
        free(to);
    }
    if (point == CRASH_AFTER_DELETED || point == CRASH_MID_FINAL_RENAME)
        for (int s = 1; s < 3; s++)
            for (int e = 0; e < 3; e++) {
                char sfx[32];
                snprintf(sfx, sizeof sfx, "%s.deleted", exts[e]);
                char *from = seg_file(crashed, bases[s], exts[e]), *to = seg_file(crashed, bases[s], sfx);
                assert_int_equal(rename(from, to), 0);
                free(from);
                free(to);
            }
    /* A leftover of an unrelated, unfinished cleaning. */
    char *stray = seg_file(crashed, bases[1], ".log.cleaned");
    sl_test_write_file(stray, "junk", 4);
    free(stray);

    capture_on();
    log = open_log(crashed, &cfg);
    capture_off();
    dump_log(log, &got);
    const sl_buf_t *want = point == CRASH_WHILE_CLEANING ? &want_orig : &want_clean;
    assert_int_equal(got.len, want->len);
    assert_memory_equal(got.data, want->data, got.len);
    assert_int_equal(sl_log_segment_count(log), point == CRASH_WHILE_CLEANING ? 4 : 2);
    assert_int_equal(count_suffix(crashed, ".cleaned") + count_suffix(crashed, ".swap") +
                         count_suffix(crashed, ".deleted"),
                     0);
    /* The recovered log works: appends, cleaning again. */
    put(log, "k0", "again", T0 + 1000);
    assert_int_equal(sl_log_roll(log, T0), SL_OK);
    clean_ok(log, T0 + 20000, 1, &st);
    assert_true(st.segments_cleaned > 0);
    sl_log_close(log);
    sl_buf_free(&want_orig);
    sl_buf_free(&want_clean);
    sl_buf_free(&got);
    sl_test_rmdir(orig);
    sl_test_rmdir(cleaned);
    sl_test_rmdir(crashed);
}

static void crash_while_cleaning(void **state)
{
    (void)state;
    crash_at(CRASH_WHILE_CLEANING);
}

static void crash_after_swap(void **state)
{
    (void)state;
    crash_at(CRASH_AFTER_SWAP);
}

static void crash_after_deleted(void **state)
{
    (void)state;
    crash_at(CRASH_AFTER_DELETED);
}

static void crash_mid_final_rename(void **state)
{
    (void)state;
    crash_at(CRASH_MID_FINAL_RENAME);
}

/* ---- concurrency ------------------------------------------------------------------------ */

#define CONC_KEYS 100
#define CONC_RECORDS 20000

typedef struct conc {
    sl_log_t *log;
    int done;
    int64_t latest[CONC_KEYS]; /* appender's: key -> last offset */
    int *key_of_offset;
    int64_t reads;
    int cleaned_any; /* a clean pass rewrote something */
} conc_t;

static void *appender(void *arg)
{
    conc_t *c = arg;
    uint64_t rng = 99;
    int64_t off = 0;
    while (off < CONC_RECORDS) {
        int n = 1 + (int)(sl_test_rand(&rng) % 5);
        sl_batch_opts_t o = sl_batch_opts_default();
        o.compression = (sl_compression_t)(sl_test_rand(&rng) % 5);
        sl_batch_builder_t b;
        sl_batch_builder_init(&b, &o);
        int keys[5];
        for (int i = 0; i < n; i++) {
            char k[16], v[32];
            keys[i] = (int)(sl_test_rand(&rng) % CONC_KEYS);
            int kl = snprintf(k, sizeof k, "k%d", keys[i]);
            int vl = snprintf(v, sizeof v, "v%lld", (long long)(off + i));
            assert_int_equal(sl_batch_builder_add(&b, -1, T0 + off + i, k, kl, v, vl, NULL, 0), SL_OK);
        }
        sl_buf_t data = SL_BUF_INIT;
        assert_int_equal(sl_batch_builder_finish(&b, &data), SL_OK);
        sl_batch_builder_destroy(&b);
        sl_log_append_info_t info;
        assert_int_equal(sl_log_append(c->log, data.data, data.len, -1, T0 + off, &info), SL_OK);
        assert_int_equal(info.first_offset, off);
        sl_buf_free(&data);
        for (int i = 0; i < n; i++) {
            c->key_of_offset[off + i] = keys[i];
            c->latest[keys[i]] = off + i;
        }
        off += n;
    }
    /* On a loaded machine the appends can end before any clean pass or read
     * got to run: hold the end (60 s at most) until both have, so that every
     * run exercises them alongside each other. */
    for (int w = 0; w < 60000; w++) {
        if (__atomic_load_n(&c->cleaned_any, __ATOMIC_ACQUIRE) && __atomic_load_n(&c->reads, __ATOMIC_RELAXED))
            break;
        usleep(1000);
    }
    __atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Reads the whole log over and over, as a consumer would: every batch must
 * check out and offsets rise; retention may move the start meanwhile. */
static void *reader(void *arg)
{
    conc_t *c = arg;
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
        int64_t next = sl_log_start_offset(c->log), prev = -1;
        for (;;) {
            sl_buf_reset(&data);
            sl_err_t e = sl_log_read_copy(c->log, next, 64 * 1024, INT64_MAX, &data);
            if (e == SL_ERR_OFFSET_OUT_OF_RANGE)
                break; /* retention passed us: start over */
            assert_int_equal(e, SL_OK);
            if (data.len == 0)
                break;
            for (size_t off = 0; off < data.len;) {
                sl_batch_header_t h;
                assert_int_equal(sl_batch_check(data.data + off, data.len - off, &h), SL_OK);
                assert_true(h.base_offset > prev);
                sl_record_iter_t it;
                assert_int_equal(sl_record_iter_init(&it, data.data + off, sl_batch_size(&h), MAX_DECOMP, &scratch),
                                 SL_OK);
                sl_record_t r;
                int rc;
                while ((rc = sl_record_iter_next(&it, &r)) == 1)
                    assert_true(r.offset >= h.base_offset && r.offset <= sl_batch_last_offset(&h));
                assert_int_equal(rc, 0);
                prev = sl_batch_last_offset(&h);
                next = prev + 1;
                off += sl_batch_size(&h);
            }
        }
        __atomic_add_fetch(&c->reads, 1, __ATOMIC_RELAXED);
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    return NULL;
}

static void *retainer(void *arg)
{
    conc_t *c = arg;
    while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
        int deleted;
        assert_int_equal(sl_log_retain(c->log, T0 + CONC_RECORDS, &deleted), SL_OK);
        usleep(1000);
    }
    return NULL;
}

typedef struct final_ctx {
    conc_t *c;
    int64_t start;
    int present[CONC_KEYS];
} final_ctx_t;

static void final_fn(void *ctx, const sl_batch_header_t *h, const sl_record_t *r)
{
    (void)h;
    final_ctx_t *f = ctx;
    assert_true(r->offset < CONC_RECORDS);
    int key = f->c->key_of_offset[r->offset];
    char k[16], v[32];
    int kl = snprintf(k, sizeof k, "k%d", key);
    int vl = snprintf(v, sizeof v, "v%lld", (long long)r->offset);
    assert_int_equal(r->key_len, kl);
    assert_memory_equal(r->key, k, (size_t)kl);
    assert_int_equal(r->value_len, vl);
    assert_memory_equal(r->value, v, (size_t)vl);
    assert_int_equal(r->timestamp, T0 + r->offset);
    if (f->c->latest[key] == r->offset)
        f->present[key] = 1;
}

static void concurrent_appends_and_reads(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = compact_cfg(4096);
    cfg.cleanup_policy = SL_CLEANUP_COMPACT | SL_CLEANUP_DELETE;
    cfg.retention_ms = -1;
    cfg.retention_bytes = 256 * 1024;
    conc_t c;
    memset(&c, 0, sizeof c);
    c.log = open_log(dir, &cfg);
    c.key_of_offset = calloc(CONC_RECORDS + 8, sizeof *c.key_of_offset);
    assert_non_null(c.key_of_offset);
    pthread_t ta, tr, tt;
    assert_int_equal(pthread_create(&ta, NULL, appender, &c), 0);
    assert_int_equal(pthread_create(&tr, NULL, reader, &c), 0);
    assert_int_equal(pthread_create(&tt, NULL, retainer, &c), 0);
    int passes = 0;
    int64_t cleaned = 0;
    while (!__atomic_load_n(&c.done, __ATOMIC_ACQUIRE)) {
        sl_log_clean_stats_t st;
        clean_ok(c.log, T0 + CONC_RECORDS, passes % 2, &st);
        cleaned += st.segments_cleaned;
        if (st.segments_cleaned)
            __atomic_store_n(&c.cleaned_any, 1, __ATOMIC_RELEASE);
        passes++;
    }
    assert_int_equal(pthread_join(ta, NULL), 0);
    assert_int_equal(pthread_join(tr, NULL), 0);
    assert_int_equal(pthread_join(tt, NULL), 0);
    assert_true(cleaned > 0);
    assert_true(c.reads > 0);
    assert_int_equal(sl_log_roll(c.log, T0), SL_OK);
    sl_log_clean_stats_t st;
    clean_ok(c.log, T0 + CONC_RECORDS, 1, &st);
    assert_int_equal(sl_log_end_offset(c.log), CONC_RECORDS);

    final_ctx_t f;
    memset(&f, 0, sizeof f);
    f.c = &c;
    f.start = sl_log_start_offset(c.log);
    int64_t n = for_each_record(c.log, final_fn, &f);
    /* Each key's latest record is there unless retention took it. */
    int keys = 0;
    for (int k = 0; k < CONC_KEYS; k++)
        if (c.latest[k] >= f.start) {
            assert_true(f.present[k]);
            keys++;
        }
    assert_int_equal(n, keys); /* and nothing else: everything is cleaned now */
    sl_log_close(c.log);
    assert_int_equal(count_suffix(dir, ".cleaned") + count_suffix(dir, ".swap") + count_suffix(dir, ".deleted"), 0);
    free(c.key_of_offset);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(cleaner, cmocka_unit_test(model_random), cmocka_unit_test(model_log_append_time),
              cmocka_unit_test(tombstone_horizon), cmocka_unit_test(active_segment_untouched),
              cmocka_unit_test(dirty_ratio_respected), cmocka_unit_test(compaction_lags),
              cmocka_unit_test(delete_policy_does_nothing),
              cmocka_unit_test(offsets_and_timestamps_preserved),
              cmocka_unit_test(crash_while_cleaning), cmocka_unit_test(crash_after_swap),
              cmocka_unit_test(crash_after_deleted), cmocka_unit_test(crash_mid_final_rename),
              cmocka_unit_test(concurrent_appends_and_reads))
