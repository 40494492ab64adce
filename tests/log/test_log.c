/* test_log.c — the partition log: appends, reads, rolls, timestamps, recovery,
 * retention, truncation and configuration, on real files in a temp dir. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/index.h"
#include "common/buf.h"
#include "common/trace.h"
#include "logtest.h"

static sl_log_t *open_log(const char *dir, const sl_log_config_t *cfg)
{
    sl_log_t *log = NULL;
    char err[256] = "";
    sl_err_t e = sl_log_open(dir, cfg, NULL, &log, err, sizeof err);
    if (e)
        fail_msg("sl_log_open: %s %s", sl_err_name(e), err);
    return log;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
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

static void append_assigns_offsets(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log = open_log(dir, &cfg);
    assert_int_equal(sl_log_end_offset(log), 0);

    sl_buf_t b = SL_BUF_INIT;
    lt_batch(&b, 3, 0, 1000, SL_COMPRESSION_NONE);
    lt_batch(&b, 2, 3, 2000, SL_COMPRESSION_LZ4); /* two batches in one append */
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, b.data, b.len, 7, 0, &info), SL_OK);
    assert_int_equal(info.first_offset, 0);
    assert_int_equal(info.last_offset, 4);
    assert_int_equal(info.log_end_offset, 5);
    assert_int_equal(info.batch_count, 2);
    assert_int_equal(info.record_count, 5);
    assert_int_equal(info.max_timestamp, 2001);
    assert_int_equal(info.log_append_time, -1);
    assert_int_equal(sl_log_end_offset(log), 5);
    assert_int_equal(lt_append(log, 4, 5, 3000, 0), 5);
    assert_int_equal(sl_log_end_offset(log), 9);

    /* On disk: base offsets rewritten, leader epoch stamped, CRCs still valid. */
    char *seg = lt_path(dir, "00000000000000000000.log");
    size_t len;
    uint8_t *bytes = sl_test_read_file(seg, &len);
    int64_t want_base[] = {0, 3, 5};
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        sl_batch_header_t h;
        assert_int_equal(sl_batch_check(bytes + off, len - off, &h), SL_OK);
        assert_int_equal(h.base_offset, want_base[i]);
        assert_int_equal(h.partition_leader_epoch, i < 2 ? 7 : -1);
        off += sl_batch_size(&h);
    }
    assert_int_equal(off, len);
    free(bytes);
    free(seg);
    lt_check_all(log, 0, 9, 0);
    sl_buf_free(&b);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void read_semantics(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.index_interval_bytes = 100;
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 50; i++)
        lt_append(log, 5, i * 5, 1000 + i * 10, 0);
    assert_int_equal(sl_log_end_offset(log), 250);

    /* Every offset finds the batch that holds it. */
    for (int64_t o = 0; o < 250; o++) {
        sl_log_slice_t s;
        assert_int_equal(sl_log_read(log, o, 1, INT64_MAX, &s), SL_OK);
        assert_true(s.len > 0);
        assert_int_equal(s.first_offset, o - o % 5);
        sl_buf_t one = SL_BUF_INIT;
        uint8_t *p = sl_buf_extend(&one, s.len);
        assert_int_equal(pread(s.fd, p, s.len, (off_t)s.position), (ssize_t)s.len);
        sl_batch_header_t h;
        assert_int_equal(sl_batch_check(one.data, one.len, &h), SL_OK);
        /* max_bytes 1: still exactly one whole batch (KIP-74) */
        assert_int_equal(sl_batch_size(&h), s.len);
        assert_int_equal(h.base_offset, o - o % 5);
        sl_buf_free(&one);
        sl_log_slice_release(&s);
    }
    /* A slice is a plain file range: sendfile(2) copies it out as is. */
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 100, 4096, INT64_MAX, &s), SL_OK);
    char *sent_path = lt_path(dir, "sent.bin");
    int out_fd = open(sent_path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(out_fd >= 0);
    off_t from = (off_t)s.position;
    assert_int_equal(sendfile(out_fd, s.fd, &from, s.len), (ssize_t)s.len);
    close(out_fd);
    size_t sent_len;
    uint8_t *sent = sl_test_read_file(sent_path, &sent_len);
    assert_int_equal(sent_len, s.len);
    for (size_t off = 0; off < sent_len;) {
        sl_batch_header_t h;
        assert_int_equal(sl_batch_check(sent + off, sent_len - off, &h), SL_OK);
        assert_true(h.base_offset == 100 || off > 0);
        off += sl_batch_size(&h);
    }
    free(sent);
    unlink(sent_path);
    free(sent_path);
    sl_log_slice_release(&s);

    /* max_bytes bounds whole batches. */
    assert_int_equal(sl_log_read(log, 0, 1000, INT64_MAX, &s), SL_OK);
    assert_true(s.len <= 1000);
    size_t one_batch = s.len;
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_read(log, 0, 1 << 20, INT64_MAX, &s), SL_OK);
    assert_true(s.len > one_batch);
    sl_log_slice_release(&s);
    /* max_offset (a high watermark) excludes batches at or past it. */
    sl_buf_t got = SL_BUF_INIT;
    assert_int_equal(sl_log_read_copy(log, 0, 1 << 20, 12, &got), SL_OK);
    size_t off = 0;
    int64_t last = -1;
    while (off < got.len) {
        sl_batch_header_t h;
        assert_int_equal(sl_batch_check(got.data + off, got.len - off, &h), SL_OK);
        assert_true(h.base_offset < 12);
        last = sl_batch_last_offset(&h);
        off += sl_batch_size(&h);
    }
    assert_int_equal(last, 14);
    sl_buf_reset(&got);
    assert_int_equal(sl_log_read_copy(log, 10, 1 << 20, 10, &got), SL_OK);
    assert_int_equal(got.len, 0);
    /* At the end: empty; past it or before the start: out of range. */
    assert_int_equal(sl_log_read(log, 250, 100, INT64_MAX, &s), SL_OK);
    assert_int_equal(s.len, 0);
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_read(log, 251, 100, INT64_MAX, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(sl_log_read(log, -1, 100, INT64_MAX, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    lt_check_all(log, 0, 250, 0);
    lt_check_all(log, 137, 250, 0);
    sl_buf_free(&got);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void rolls_and_kafka_layout(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 4096;
    cfg.index_interval_bytes = 256;
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 200; i++)
        lt_append(log, 4, i * 4, 1000 + i, 0);
    int nseg = sl_log_segment_count(log);
    assert_true(nseg > 10);
    assert_int_equal(count_files(dir, ".log"), nseg);
    assert_int_equal(count_files(dir, ".index"), nseg);
    assert_int_equal(count_files(dir, ".timeindex"), nseg);
    lt_check_all(log, 0, 800, 0);

    /* Each closed segment: size <= segment.bytes, indexes trimmed to their
     * entries, and each offset index entry (last offset of a batch, position of
     * that batch) agrees with the .log file. */
    DIR *d = opendir(dir);
    struct dirent *de;
    int checked = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l != 24 || strcmp(de->d_name + 20, ".log") != 0)
            continue;
        int64_t base = strtoll(de->d_name, NULL, 10);
        if (base == sl_log_end_offset(log) || base >= 780)
            continue; /* the active segment is still preallocated */
        char *lp = lt_path(dir, de->d_name);
        assert_true(file_size(lp) <= 4096);
        char name[64];
        snprintf(name, sizeof name, "%020lld.index", (long long)base);
        char *ip = lt_path(dir, name);
        size_t ilen, llen;
        uint8_t *idx = sl_test_read_file(ip, &ilen);
        uint8_t *logb = sl_test_read_file(lp, &llen);
        assert_int_equal(ilen % 8, 0);
        for (size_t e = 0; e < ilen; e += 8) {
            int64_t rel = sl_load_be32(idx + e);
            uint32_t pos = sl_load_be32(idx + e + 4);
            assert_true(pos < llen);
            sl_batch_header_t h;
            assert_int_equal(sl_batch_check(logb + pos, llen - pos, &h), SL_OK);
            assert_int_equal(sl_batch_last_offset(&h), base + rel);
            checked++;
        }
        free(idx), free(logb), free(ip), free(lp);
    }
    closedir(d);
    assert_true(checked > 10);

    /* A forced roll; an empty active segment does not roll again. */
    int before = sl_log_segment_count(log);
    assert_int_equal(sl_log_roll(log, 0), SL_OK);
    assert_int_equal(sl_log_segment_count(log), before + 1);
    assert_int_equal(sl_log_roll(log, 0), SL_OK);
    assert_int_equal(sl_log_segment_count(log), before + 1);
    assert_int_equal(sl_log_recovery_point(log), 800);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void roll_on_segment_ms(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_ms = 1000;
    sl_log_t *log = open_log(dir, &cfg);
    lt_append(log, 2, 0, 10000, 0);
    lt_append(log, 2, 2, 10500, 0); /* same segment: 500 ms apart */
    assert_int_equal(sl_log_segment_count(log), 1);
    lt_append(log, 2, 4, 11001, 0); /* more than segment.ms after the first batch */
    assert_int_equal(sl_log_segment_count(log), 2);
    lt_check_all(log, 0, 6, 0);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void timestamps(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 2048;
    cfg.index_interval_bytes = 128;
    sl_log_t *log = open_log(dir, &cfg);
    int64_t off, ts;
    assert_int_equal(sl_log_offset_for_timestamp(log, 5, &off, &ts), 0);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_MAX, &off, &ts), 0);
    /* 100 batches of 3 records; record o has timestamp 10 * o. */
    sl_buf_t b = SL_BUF_INIT;
    for (int i = 0; i < 100; i++) {
        sl_batch_opts_t o = sl_batch_opts_default();
        o.compression = i % 2 ? SL_COMPRESSION_ZSTD : SL_COMPRESSION_NONE;
        sl_batch_builder_t bb;
        sl_batch_builder_init(&bb, &o);
        for (int r = 0; r < 3; r++)
            assert_int_equal(sl_batch_builder_add(&bb, -1, 10 * (i * 3 + r), "k", 1, "v", 1, NULL, 0), SL_OK);
        sl_buf_reset(&b);
        assert_int_equal(sl_batch_builder_finish(&bb, &b), SL_OK);
        sl_batch_builder_destroy(&bb);
        assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_OK);
    }
    assert_true(sl_log_segment_count(log) > 3);
    for (int64_t t = 0; t <= 2990; t += 7) {
        assert_int_equal(sl_log_offset_for_timestamp(log, t, &off, &ts), 1);
        int64_t want = (t + 9) / 10;
        assert_int_equal(off, want);
        assert_int_equal(ts, want * 10);
    }
    assert_int_equal(sl_log_offset_for_timestamp(log, 2991, &off, &ts), 0);
    assert_int_equal(off, -1);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_EARLIEST, &off, &ts), 1);
    assert_int_equal(off, 0);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_LATEST, &off, &ts), 1);
    assert_int_equal(off, 300);
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_MAX, &off, &ts), 1);
    assert_int_equal(ts, 2990);
    assert_int_equal(off, 299);
    sl_buf_free(&b);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void log_append_time(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    char err[128];
    assert_int_equal(sl_log_config_set(&cfg, "message.timestamp.type", "LogAppendTime", err, sizeof err), SL_OK);
    sl_log_t *log = open_log(dir, &cfg);
    sl_buf_t b = SL_BUF_INIT;
    lt_batch(&b, 3, 0, 5, SL_COMPRESSION_GZIP);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 777777, &info), SL_OK);
    assert_int_equal(info.log_append_time, 777777);
    sl_buf_t got = SL_BUF_INIT, scratch = SL_BUF_INIT;
    assert_int_equal(sl_log_read_copy(log, 0, 1 << 20, INT64_MAX, &got), SL_OK);
    sl_batch_header_t h;
    assert_int_equal(sl_batch_check(got.data, got.len, &h), SL_OK); /* CRC recomputed */
    assert_true(h.attributes & SL_BATCH_ATTR_LOG_APPEND_TIME);
    assert_int_equal(h.max_timestamp, 777777);
    sl_record_iter_t it;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&it, got.data, got.len, 1 << 20, &scratch), SL_OK);
    while (sl_record_iter_next(&it, &r) == 1)
        assert_int_equal(r.timestamp, 777777);
    sl_buf_free(&got), sl_buf_free(&scratch), sl_buf_free(&b);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

/* A bad append is refused with Kafka's error and leaves the log untouched. */
static void rejects_bad_batches(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.max_message_bytes = 2000;
    cfg.timestamp_after_max_ms = 3600 * 1000;
    sl_log_t *log = open_log(dir, &cfg);
    lt_append(log, 2, 0, 1000, 0);
    char *seg = lt_path(dir, "00000000000000000000.log");
    off_t size = file_size(seg);

    sl_buf_t good = SL_BUF_INIT, b = SL_BUF_INIT;
    lt_batch(&good, 3, 2, 1000, SL_COMPRESSION_NONE);
    /* bad CRC: a flipped value byte */
    sl_buf_append(&b, good.data, good.len);
    b.data[b.len - 3] ^= 0x40;
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_err_kafka_code(SL_ERR_CORRUPT_MESSAGE), 2);
    /* a good batch followed by a bad one: nothing of either is written */
    sl_buf_reset(&b);
    sl_buf_append(&b, good.data, good.len);
    sl_buf_append(&b, good.data, good.len);
    b.data[b.len - 1] ^= 1;
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_CORRUPT_MESSAGE);
    /* unknown magic */
    sl_buf_reset(&b);
    sl_buf_append(&b, good.data, good.len);
    b.data[SL_BATCH_OFF_MAGIC] = 1;
    assert_true(sl_log_append(log, b.data, b.len, -1, 0, NULL) < 0);
    /* truncated batch and bad lengths */
    sl_buf_reset(&b);
    sl_buf_append(&b, good.data, good.len - 5);
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_CORRUPT_MESSAGE);
    sl_buf_reset(&b);
    sl_buf_append(&b, good.data, good.len);
    sl_store_be32(b.data + SL_BATCH_OFF_LENGTH, 10);
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_log_append(log, b.data, 0, -1, 0, NULL), SL_ERR_CORRUPT_MESSAGE);
    /* a record count that disagrees with the records, CRC made valid again */
    sl_buf_reset(&b);
    sl_buf_append(&b, good.data, good.len);
    sl_store_be32(b.data + SL_BATCH_OFF_RECORD_COUNT, 4);
    sl_batch_update_crc(b.data, b.len);
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_INVALID_RECORD);
    assert_int_equal(sl_err_kafka_code(SL_ERR_INVALID_RECORD), 87);
    /* larger than max.message.bytes */
    sl_buf_reset(&b);
    lt_batch(&b, 60, 0, 1000, SL_COMPRESSION_NONE);
    assert_true(b.len > 2000);
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_ERR_RECORD_TOO_LARGE);
    /* a timestamp too far in the future */
    sl_buf_reset(&b);
    lt_batch(&b, 1, 0, 10LL * 3600 * 1000 + 1000, SL_COMPRESSION_NONE);
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, 1000, NULL), SL_ERR_INVALID_TIMESTAMP);

    assert_int_equal(sl_log_end_offset(log), 2);
    assert_int_equal(file_size(seg), size);
    assert_int_equal(sl_log_append(log, good.data, good.len, -1, 0, NULL), SL_OK);
    lt_check_all(log, 0, 5, 0);
    sl_buf_free(&b), sl_buf_free(&good);
    free(seg);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

/* ---- recovery ------------------------------------------------------------------ */

typedef struct {
    int calls;
    char last[512];
} trace_capture_t;

static void capture(void *opaque, sl_trace_level_t level, const char *component, const char *line)
{
    trace_capture_t *c = opaque;
    (void)level, (void)component;
    c->calls++;
    snprintf(c->last, sizeof c->last, "%s", line);
}

/* Writes a one-segment log of 40 batches (mixed codecs) and returns the
 * .log bytes and the end position of each batch. */
static uint8_t *make_segment(const char *dir, size_t *len, size_t ends[], int64_t last_offsets[], int *nb)
{
    sl_log_config_t cfg = sl_log_config_default();
    cfg.index_interval_bytes = 200;
    sl_log_t *log = open_log(dir, &cfg);
    int id = 0;
    *nb = 40;
    size_t pos = 0;
    for (int i = 0; i < *nb; i++) {
        sl_buf_t b = SL_BUF_INIT;
        int n = 1 + i % 4;
        lt_batch(&b, n, id, 1000 + id, (sl_compression_t)(i % 5));
        assert_int_equal(sl_log_append(log, b.data, b.len, -1, 0, NULL), SL_OK);
        pos += b.len;
        ends[i] = pos;
        id += n;
        last_offsets[i] = id - 1;
        sl_buf_free(&b);
    }
    sl_log_close(log);
    char *p = lt_path(dir, "00000000000000000000.log");
    uint8_t *bytes = sl_test_read_file(p, len);
    assert_int_equal(*len, pos);
    free(p);
    return bytes;
}

/* Reopens dir after replacing its segment with bytes[0..len) and checks that
 * the log holds exactly the batches wholly inside the first `valid` bytes. */
static void reopen_expect(const char *dir, const uint8_t *bytes, size_t len, size_t valid,
                          const size_t ends[], const int64_t last_offsets[], int nb)
{
    char *p = lt_path(dir, "00000000000000000000.log");
    sl_test_write_file(p, bytes, len);
    int whole = 0;
    while (whole < nb && ends[whole] <= valid)
        whole++;
    size_t keep = whole ? ends[whole - 1] : 0;
    int64_t leo = whole ? last_offsets[whole - 1] + 1 : 0;
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log = open_log(dir, &cfg);
    assert_int_equal(sl_log_end_offset(log), leo);
    assert_int_equal(file_size(p), (off_t)keep);
    if (leo > 0)
        lt_check_all(log, 0, leo, 0);
    /* The log takes appends again after the cut. */
    assert_int_equal(lt_append(log, 1, (int)leo, 5000, 0), leo);
    lt_check_all(log, 0, leo + 1, 0);
    sl_log_close(log);
    free(p);
}

static void recovery_truncated_tails(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    size_t ends[64], len;
    int64_t lasts[64];
    int nb;
    uint8_t *bytes = make_segment(dir, &len, ends, lasts, &nb);
    trace_capture_t cap = {0};
    sl_trace_set_sink(capture, &cap, SL_TRACE_WARN);
    /* Cut at >= 200 positions: every batch boundary, and spread in between. */
    int cuts = 0;
    for (size_t cut = 0; cut < len; cut += len / 230 + 1, cuts++)
        reopen_expect(dir, bytes, cut, cut, ends, lasts, nb);
    for (int i = 0; i < nb; i++, cuts += 2) {
        reopen_expect(dir, bytes, ends[i], ends[i], ends, lasts, nb);
        reopen_expect(dir, bytes, ends[i] - 1, ends[i] - 1, ends, lasts, nb);
    }
    assert_true(cuts >= 200);
    /* A cut inside a batch is reported with the file and the position. */
    cap.calls = 0;
    reopen_expect(dir, bytes, ends[10] + 20, ends[10] + 20, ends, lasts, nb);
    assert_true(cap.calls >= 1);
    assert_non_null(strstr(cap.last, "00000000000000000000.log"));
    char want[64];
    snprintf(want, sizeof want, "position %zu", ends[10]);
    assert_non_null(strstr(cap.last, want));
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);
    free(bytes);
    sl_test_rmdir(dir);
}

static void recovery_flipped_bytes(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    size_t ends[64], len;
    int64_t lasts[64];
    int nb;
    uint8_t *bytes = make_segment(dir, &len, ends, lasts, &nb);
    uint8_t *copy = malloc(len);
    sl_trace_set_sink(capture, &(trace_capture_t){0}, SL_TRACE_WARN);
    uint64_t seed = 99;
    int flips = 0;
    while (flips < 220) {
        size_t pos = (size_t)(sl_test_rand(&seed) % len);
        int b = 0;
        while (ends[b] <= pos)
            b++;
        size_t start = b ? ends[b - 1] : 0;
        size_t rel = pos - start;
        /* baseOffset and partitionLeaderEpoch are outside the CRC, as in Kafka. */
        if (rel < 8 || (rel >= 12 && rel < 16))
            continue;
        memcpy(copy, bytes, len);
        copy[pos] ^= (uint8_t)(1u << (sl_test_rand(&seed) % 8));
        reopen_expect(dir, copy, len, start, ends, lasts, nb);
        flips++;
    }
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);
    free(copy);
    free(bytes);
    sl_test_rmdir(dir);
}

static void recovery_multi_segment_and_indexes(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 3000;
    cfg.index_interval_bytes = 100;
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 100; i++)
        lt_append(log, 3, i * 3, 1000 + i, 0);
    int nseg = sl_log_segment_count(log);
    assert_true(nseg >= 5);
    sl_log_close(log);
    sl_trace_set_sink(capture, &(trace_capture_t){0}, SL_TRACE_WARN);

    /* Lost and corrupt indexes are rebuilt. */
    char *idx0 = lt_path(dir, "00000000000000000000.index");
    assert_int_equal(unlink(idx0), 0);
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)))
        if (strstr(de->d_name, ".timeindex")) {
            char *p = lt_path(dir, de->d_name);
            sl_test_write_file(p, "garbage!garbage!garbage!", 24);
            free(p);
        }
    closedir(d);
    log = open_log(dir, &cfg);
    assert_int_equal(sl_log_end_offset(log), 300);
    assert_int_equal(sl_log_segment_count(log), nseg);
    lt_check_all(log, 0, 300, 0);
    lt_check_all(log, 151, 300, 0);
    int64_t off, ts;
    /* Batch i holds timestamps 1000+i .. 1002+i: the first >= 1050 is in batch 48. */
    assert_int_equal(sl_log_offset_for_timestamp(log, 1050, &off, &ts), 1);
    assert_int_equal(off, 146);
    assert_int_equal(ts, 1050);
    assert_true(file_size(idx0) > 0);
    sl_log_close(log);

    /* A corrupt middle segment: cut there, and every later segment goes. */

    int64_t bases[64];
    int nbases = 0;
    d = opendir(dir);
    while ((de = readdir(d)))
        if (strlen(de->d_name) == 24 && strstr(de->d_name, ".log"))
            bases[nbases++] = strtoll(de->d_name, NULL, 10);
    closedir(d);
    for (int i = 0; i < nbases; i++)
        for (int j = i + 1; j < nbases; j++)
            if (bases[j] < bases[i]) {
                int64_t t = bases[i];
                bases[i] = bases[j];
                bases[j] = t;
            }
    char name[64];
    snprintf(name, sizeof name, "%020lld.log", (long long)bases[2]);
    char *third = lt_path(dir, name);
    size_t len;
    uint8_t *bytes = sl_test_read_file(third, &len);
    sl_batch_header_t h;
    assert_int_equal(sl_batch_check(bytes, len, &h), SL_OK);
    size_t second = sl_batch_size(&h);
    bytes[second + 30] ^= 0xff; /* inside the second batch's CRC-covered bytes */
    sl_test_write_file(third, bytes, len);
    log = open_log(dir, &cfg);
    assert_int_equal(sl_log_segment_count(log), 3);
    assert_int_equal(sl_log_end_offset(log), bases[2] + 3);
    assert_int_equal(count_files(dir, ".log"), 3);
    lt_check_all(log, 0, bases[2] + 3, 0);
    assert_int_equal(lt_append(log, 2, (int)bases[2] + 3, 9999, 0), bases[2] + 3);
    sl_log_close(log);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);
    free(bytes), free(third), free(idx0);
    sl_test_rmdir(dir);
}

static void recovery_point_and_clean_shutdown(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 2000;
    cfg.flush_messages = 10;
    sl_log_t *log = open_log(dir, &cfg);
    assert_int_equal(sl_log_recovery_point(log), 0);
    lt_append(log, 4, 0, 1, 0);
    assert_int_equal(sl_log_recovery_point(log), 0);
    lt_append(log, 6, 4, 1, 0); /* reaches flush.messages */
    assert_int_equal(sl_log_recovery_point(log), 10);
    for (int i = 0; i < 30; i++)
        lt_append(log, 2, 10 + 2 * i, 1, 0);
    assert_int_equal(sl_log_end_offset(log), 70);
    int64_t rp = sl_log_recovery_point(log);
    assert_true(rp >= 60);
    sl_log_close(log);
    /* Clean shutdown: nothing is scanned, everything is there. */
    sl_log_open_opts_t o = {.recovery_point = 70, .log_start_offset = -1, .clean_shutdown = 1};
    char err[256];
    assert_int_equal(sl_log_open(dir, &cfg, &o, &log, err, sizeof err), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 70);
    assert_int_equal(sl_log_recovery_point(log), 70);
    lt_check_all(log, 0, 70, 0);
    sl_log_close(log);
    /* A log start offset from the checkpoint is kept. */
    o = (sl_log_open_opts_t){.recovery_point = 30, .log_start_offset = 25};
    assert_int_equal(sl_log_open(dir, &cfg, &o, &log, err, sizeof err), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 25);
    assert_int_equal(sl_log_end_offset(log), 70);
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 24, 100, INT64_MAX, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    lt_check_all(log, 25, 70, 0);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

/* ---- retention, truncation ------------------------------------------------------ */

static void retention_by_time_and_size(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 1500;
    cfg.retention_ms = 10000;
    sl_log_t *log = open_log(dir, &cfg);
    /* Batch i carries timestamps around 1000 * i. */
    for (int i = 0; i < 60; i++)
        lt_append(log, 2, 2 * i, 1000 * i, 1000 * i);
    int nseg = sl_log_segment_count(log);
    assert_true(nseg >= 6);
    /* Expected: every segment whose largest timestamp is older than now - 10 s. */
    int64_t now = 40000;
    int expect = 0;
    {
        DIR *d = opendir(dir);
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strlen(de->d_name) != 24 || !strstr(de->d_name, ".log"))
                continue;
            char *p = lt_path(dir, de->d_name);
            size_t len;
            uint8_t *bytes = sl_test_read_file(p, &len);
            int64_t maxts = -1;
            for (size_t off = 0; off < len;) {
                sl_batch_header_t h;
                assert_int_equal(sl_batch_check(bytes + off, len - off, &h), SL_OK);
                if (h.max_timestamp > maxts)
                    maxts = h.max_timestamp;
                off += sl_batch_size(&h);
            }
            if (len > 0 && now - maxts > 10000)
                expect++;
            free(bytes), free(p);
        }
        closedir(d);
    }
    assert_true(expect > 0 && expect < nseg);
    /* A slice pinned before retention keeps its bytes readable. */
    sl_log_slice_t pinned;
    assert_int_equal(sl_log_read(log, 0, 100000, INT64_MAX, &pinned), SL_OK);
    int deleted = -1;
    assert_int_equal(sl_log_retain(log, now, &deleted), SL_OK);
    assert_int_equal(deleted, expect);
    assert_int_equal(sl_log_segment_count(log), nseg - expect);
    assert_int_equal(count_files(dir, ".log"), nseg - expect);
    int64_t start = sl_log_start_offset(log);
    assert_true(start > 0);
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, start - 1, 100, INT64_MAX, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    lt_check_all(log, start, 120, 0);
    uint8_t first[SL_BATCH_HEADER_SIZE];
    assert_int_equal(pread(pinned.fd, first, sizeof first, (off_t)pinned.position), (ssize_t)sizeof first);
    assert_int_equal((int64_t)sl_load_be64(first), 0);
    sl_log_slice_release(&pinned);
    int64_t off, ts;
    assert_int_equal(sl_log_offset_for_timestamp(log, SL_TIMESTAMP_EARLIEST, &off, &ts), 1);
    assert_int_equal(off, start);

    /* By size: keep the newest segments within retention.bytes. */
    cfg.retention_ms = -1;
    cfg.retention_bytes = 2000;
    sl_log_set_config(log, &cfg);
    int segs_before = sl_log_segment_count(log);
    int64_t size_before = sl_log_size_bytes(log);
    assert_int_equal(sl_log_retain(log, now, &deleted), SL_OK);
    assert_true(deleted > 0);
    assert_int_equal(sl_log_segment_count(log), segs_before - deleted);
    /* Kafka's rule: a segment goes while the rest still reach retention.bytes. */
    assert_true(sl_log_size_bytes(log) >= 2000 || sl_log_segment_count(log) == 1);
    assert_true(sl_log_size_bytes(log) < size_before);
    int64_t size_after = sl_log_size_bytes(log);
    lt_check_all(log, sl_log_start_offset(log), 120, 0);
    assert_int_equal(sl_log_retain(log, now, &deleted), SL_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(sl_log_size_bytes(log), size_after);

    /* Everything expired, the active segment too: it rolls and goes. */
    cfg.retention_ms = 1;
    cfg.retention_bytes = -1;
    sl_log_set_config(log, &cfg);
    assert_int_equal(sl_log_retain(log, 10000000, &deleted), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_int_equal(sl_log_start_offset(log), 120);
    assert_int_equal(sl_log_end_offset(log), 120);
    assert_int_equal(lt_append(log, 1, 120, 10000000, 10000000), 120);
    lt_check_all(log, 120, 121, 0);

    /* DeleteRecords: start offset moves; whole segments below go on the next pass. */
    cfg.retention_ms = -1;
    sl_log_set_config(log, &cfg);
    for (int i = 0; i < 30; i++)
        lt_append(log, 2, 121 + 2 * i, 10000000, 10000000);
    assert_int_equal(sl_log_advance_start_offset(log, 150), SL_OK);
    assert_int_equal(sl_log_advance_start_offset(log, 1000), SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(sl_log_start_offset(log), 150);
    assert_int_equal(sl_log_retain(log, 10000000, &deleted), SL_OK);
    assert_true(deleted > 0);
    assert_int_equal(sl_log_start_offset(log), 150);
    lt_check_all(log, 150, 181, 0);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void truncate_and_append_with_offsets(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 1500;
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 40; i++)
        lt_append(log, 2, 2 * i, 1000 + i, 0);
    int nseg = sl_log_segment_count(log);
    assert_int_equal(sl_log_truncate_to(log, 51), SL_OK); /* mid-batch: the batch goes */
    assert_int_equal(sl_log_end_offset(log), 50);
    assert_true(sl_log_segment_count(log) < nseg);
    lt_check_all(log, 0, 50, 0);
    assert_int_equal(lt_append(log, 2, 50, 2000, 0), 50);
    lt_check_all(log, 0, 52, 0);
    assert_int_equal(sl_log_truncate_to(log, 52), SL_OK); /* at the end: nothing */
    assert_int_equal(sl_log_end_offset(log), 52);

    /* Batches that carry offsets (a follower's copy). */
    sl_buf_t b = SL_BUF_INIT;
    lt_batch(&b, 3, 52, 3000, SL_COMPRESSION_SNAPPY);
    sl_store_be64(b.data, 52);
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 55);
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_ERR_INVAL);
    lt_check_all(log, 0, 55, 0);
    /* A compacted batch (gaps in its offsets) is a valid copy, but no
     * producer may send one. */
    sl_batch_opts_t go = sl_batch_opts_default();
    go.base_offset = 55;
    go.last_offset_delta = 9;
    sl_batch_builder_t gb;
    sl_batch_builder_init(&gb, &go);
    assert_int_equal(sl_batch_builder_add(&gb, 56, 4000, "a", 1, "x", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&gb, 61, 4001, "b", 1, "y", 1, NULL, 0), SL_OK);
    sl_buf_t gaps = SL_BUF_INIT;
    assert_int_equal(sl_batch_builder_finish(&gb, &gaps), SL_OK);
    sl_batch_builder_destroy(&gb);
    assert_int_equal(sl_log_append(log, gaps.data, gaps.len, -1, 0, NULL), SL_ERR_INVALID_RECORD);
    assert_int_equal(sl_log_append_with_offsets(log, gaps.data, gaps.len, NULL), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 65);
    assert_int_equal(sl_log_truncate_to(log, 55), SL_OK);
    sl_buf_free(&gaps);
    sl_log_close(log);

    log = open_log(dir, &cfg);
    assert_int_equal(sl_log_end_offset(log), 55);
    lt_check_all(log, 0, 55, 0);
    assert_int_equal(sl_log_truncate_to(log, 0), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 0);
    assert_int_equal(lt_append(log, 1, 0, 1, 0), 0);
    lt_check_all(log, 0, 1, 0);
    sl_buf_free(&b);
    assert_int_equal(sl_log_delete(log), SL_OK);
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(mkdir(dir, 0700), 0);
    sl_test_rmdir(dir);
}

static void config_keys(void **state)
{
    (void)state;
    sl_log_config_t c = sl_log_config_default();
    char err[256];
    assert_int_equal(c.segment_bytes, 1073741824);
    assert_int_equal(c.index_interval_bytes, 4096);
    assert_int_equal(sl_log_config_set(&c, "segment.bytes", "1048576", err, sizeof err), SL_OK);
    assert_int_equal(c.segment_bytes, 1048576);
    assert_int_equal(sl_log_config_set(&c, "cleanup.policy", "compact,delete", err, sizeof err), SL_OK);
    assert_int_equal(c.cleanup_policy, SL_CLEANUP_COMPACT | SL_CLEANUP_DELETE);
    assert_int_equal(sl_log_config_set(&c, "retention.ms", "-1", err, sizeof err), SL_OK);
    assert_int_equal(c.retention_ms, -1);
    assert_int_equal(sl_log_config_set(&c, "min.cleanable.dirty.ratio", "0.25", err, sizeof err), SL_OK);
    assert_int_equal(sl_log_config_set(&c, "index.interval.bytes", "100", err, sizeof err), SL_OK);
    assert_int_equal(c.index_interval_bytes, 100);
    assert_int_equal(sl_log_config_set(&c, "segment.bytes", "lots", err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "segment.bytes"));
    assert_int_equal(sl_log_config_set(&c, "retention.ms", "-2", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_log_config_set(&c, "cleanup.policy", "shred", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_log_config_set(&c, "min.cleanable.dirty.ratio", "1.5", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_log_config_set(&c, "message.timestamp.type", "Now", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_log_config_set(&c, "no.such.key", "1", err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "no.such.key"));
    assert_int_equal(c.segment_bytes, 1048576);
}

/* Truncating inside the active segment reopens it; the old segment object
 * must not trim the index files it shared when it is freed: appends past the
 * old end then wrote index entries beyond a file cut under the new mapping
 * (SIGBUS). Many pages of index entries are appended after the cut. */
static void truncate_active_then_grow(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.index_interval_bytes = 1; /* an index entry per batch */
    sl_log_t *log = open_log(dir, &cfg);
    for (int i = 0; i < 100; i++)
        lt_append(log, 1, i, 1000 + i, 0);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_int_equal(sl_log_truncate_to(log, 10), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 10);
    /* 8-byte offset entries, 12-byte time entries: 3000 batches cross many
     * pages past where the old object would have cut the files. */
    for (int i = 10; i < 3000; i++)
        assert_int_equal(lt_append(log, 1, i, 2000 + i, 0), i);
    lt_check_all(log, 0, 3000, 0);
    sl_log_close(log);
    log = open_log(dir, &cfg);
    assert_int_equal(sl_log_end_offset(log), 3000);
    lt_check_all(log, 0, 3000, 0);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(log, cmocka_unit_test(append_assigns_offsets), cmocka_unit_test(truncate_active_then_grow), cmocka_unit_test(read_semantics),
              cmocka_unit_test(rolls_and_kafka_layout), cmocka_unit_test(roll_on_segment_ms),
              cmocka_unit_test(timestamps), cmocka_unit_test(log_append_time),
              cmocka_unit_test(rejects_bad_batches), cmocka_unit_test(recovery_truncated_tails),
              cmocka_unit_test(recovery_flipped_bytes),
              cmocka_unit_test(recovery_multi_segment_and_indexes),
              cmocka_unit_test(recovery_point_and_clean_shutdown),
              cmocka_unit_test(retention_by_time_and_size),
              cmocka_unit_test(truncate_and_append_with_offsets), cmocka_unit_test(config_keys))
