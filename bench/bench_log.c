/* bench_log.c — partition log throughput against the raw filesystem.
 *
 * Appends 100-byte records in 16 KiB batches (uncompressed, then lz4) to one
 * partition log, reads them back by offset, and compares with a raw write(2)
 * and read(2) of the same bytes to the same filesystem, measured in the same
 * run. Prints MB/s and the ratios; targets: append >= 0.8 x raw write, read
 * >= 0.9 x raw read. Usage: bench_log [MiB per run, default 256] [dir]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"

#define RECORD_BYTES 100
#define BATCH_BYTES (16 * 1024)
#define NBATCHES 64 /* distinct batches cycled through */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, sl_err_t err)
{
    fprintf(stderr, "bench_log: %s: %s\n", what, err ? sl_err_str(err) : strerror(errno));
    exit(1);
}

/* Builds NBATCHES batches of ~16 KiB of 100-byte records: a key, and a value
 * of words drawn from a small vocabulary (so lz4 finds something to do). */
static void build_batches(sl_compression_t codec, sl_buf_t batches[NBATCHES])
{
    static const char *words[] = {"order", "id", "customer", "amount", "EUR", "status",
                                  "shipped", "pending", "warehouse", "berlin", "paris", "42",
                                  "1337", "true", "false", "item", "sku", "qty"};
    uint64_t seed = 12345;
    for (int b = 0; b < NBATCHES; b++) {
        sl_batch_opts_t o = sl_batch_opts_default();
        o.compression = codec;
        sl_batch_builder_t bb;
        sl_batch_builder_init(&bb, &o);
        int n = BATCH_BYTES / RECORD_BYTES;
        for (int i = 0; i < n; i++) {
            char key[16], value[RECORD_BYTES];
            int kl = snprintf(key, sizeof key, "key-%08d", b * n + i);
            /* record = ~8 bytes of framing + key + value = 100 bytes */
            int vl = RECORD_BYTES - 8 - kl, pos = 0;
            while (pos < vl) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                const char *w = words[(seed >> 33) % (sizeof words / sizeof words[0])];
                for (const char *c = w; *c && pos < vl; c++)
                    value[pos++] = *c;
                if (pos < vl)
                    value[pos++] = ' ';
            }
            sl_err_t err = sl_batch_builder_add(&bb, -1, 1700000000000 + i, key, kl, value, vl, NULL, 0);
            if (err)
                die("builder", err);
        }
        sl_buf_init(&batches[b]);
        sl_err_t err = sl_batch_builder_finish(&bb, &batches[b]);
        if (err)
            die("builder", err);
        sl_batch_builder_destroy(&bb);
    }
}

static void drop_file(const char *path) { unlink(path); }

/* Raw baseline: write the same batch bytes with write(2), then read them back
 * with read(2) in 1 MiB chunks. */
static void raw_run(const char *dir, sl_buf_t batches[NBATCHES], size_t total, double *w_mbs,
                    double *r_mbs)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/raw.bin", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0)
        die(path, 0);
    size_t written = 0;
    double t0 = now_s();
    for (int i = 0; written < total; i = (i + 1) % NBATCHES) {
        if (write(fd, batches[i].data, batches[i].len) != (ssize_t)batches[i].len)
            die("write", 0);
        written += batches[i].len;
    }
    double t1 = now_s();
    close(fd);
    *w_mbs = (double)written / (t1 - t0) / 1e6;

    fd = open(path, O_RDONLY);
    static char buf[1 << 20];
    size_t got = 0;
    ssize_t r;
    t0 = now_s();
    while ((r = read(fd, buf, sizeof buf)) > 0)
        got += (size_t)r;
    t1 = now_s();
    close(fd);
    if (got != written)
        die("short read", 0);
    *r_mbs = (double)got / (t1 - t0) / 1e6;
    drop_file(path);
}

static void log_run(const char *dir, sl_buf_t batches[NBATCHES], size_t total, double *w_mbs,
                    double *r_mbs)
{
    char path[4200], err[256] = "";
    snprintf(path, sizeof path, "%s/bench-0", dir);
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log;
    sl_err_t e = sl_log_open(path, &cfg, NULL, &log, err, sizeof err);
    if (e)
        die(err, e);
    size_t written = 0;
    double t0 = now_s();
    for (int i = 0; written < total; i = (i + 1) % NBATCHES) {
        /* append rewrites the base offset in place: the buffer can be reused */
        e = sl_log_append(log, batches[i].data, batches[i].len, 0, 0, NULL);
        if (e)
            die("append", e);
        written += batches[i].len;
    }
    double t1 = now_s();
    *w_mbs = (double)written / (t1 - t0) / 1e6;

    /* Read back by offset, as a consumer's fetches do: 1 MiB at a time into
     * a user buffer (a broker would sendfile the same range). */
    static char buf[2 << 20];
    int64_t offset = 0, end = sl_log_end_offset(log);
    size_t got = 0;
    t0 = now_s();
    while (offset < end) {
        sl_log_slice_t s;
        e = sl_log_read(log, offset, 1 << 20, INT64_MAX, &s);
        if (e || s.len == 0 || s.len > sizeof buf)
            die("read", e);
        if (pread(s.fd, buf, s.len, (off_t)s.position) != (ssize_t)s.len)
            die("pread", 0);
        /* the next offset follows the last batch of the range */
        sl_batch_header_t h;
        size_t off = 0, last = 0;
        while (off < s.len) {
            sl_batch_header_parse((const uint8_t *)buf + off, s.len - off, &h);
            last = off;
            off += sl_batch_size(&h);
        }
        sl_batch_header_parse((const uint8_t *)buf + last, s.len - last, &h);
        offset = sl_batch_last_offset(&h) + 1;
        got += s.len;
        sl_log_slice_release(&s);
    }
    t1 = now_s();
    if (got != written)
        die("read back fewer bytes than written", 0);
    *r_mbs = (double)got / (t1 - t0) / 1e6;
    e = sl_log_delete(log);
    if (e)
        die("delete", e);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 256;
    char dir[4096];
    if (argc > 2)
        snprintf(dir, sizeof dir, "%s", argv[2]);
    else
        snprintf(dir, sizeof dir, "%s/sluice-bench-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (argc <= 2 && !mkdtemp(dir))
        die("mkdtemp", 0);
    size_t total = mib << 20;
    printf("bench_log: %zu MiB per run, 100-byte records in 16 KiB batches, dir %s\n", mib, dir);
    printf("%-14s %12s %12s %12s %12s %8s %8s\n", "codec", "append MB/s", "write MB/s",
           "read MB/s", "raw rd MB/s", "app/wr", "rd/rd");
    sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_LZ4};
    for (int c = 0; c < 2; c++) {
        sl_buf_t batches[NBATCHES];
        build_batches(codecs[c], batches);
        /* Alternate raw and log runs, three each, and keep the best of each:
         * the machine's noise hits both alike. */
        double raw_w = 0, raw_r = 0, log_w = 0, log_r = 0;
        for (int rep = 0; rep < 3; rep++) {
            double w, r;
            raw_run(dir, batches, total, &w, &r);
            raw_w = w > raw_w ? w : raw_w, raw_r = r > raw_r ? r : raw_r;
            log_run(dir, batches, total, &w, &r);
            log_w = w > log_w ? w : log_w, log_r = r > log_r ? r : log_r;
        }
        printf("%-14s %12.0f %12.0f %12.0f %12.0f %8.2f %8.2f\n", sl_compression_name(codecs[c]), log_w,
               raw_w, log_r, raw_r, log_w / raw_w, log_r / raw_r);
        for (int b = 0; b < NBATCHES; b++)
            sl_buf_free(&batches[b]);
    }
    if (argc <= 2)
        rmdir(dir);
    return 0;
}
