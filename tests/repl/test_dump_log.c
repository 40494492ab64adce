/* test_dump_log.c — `sluice dump-log` run as a real process on a real segment. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"

/* Runs the sluice binary with args; returns its exit status and its stdout in
 * *out (malloc'd, caller frees). */
static int run_sluice(const char *args, char **out)
{
    const char *bin = getenv("SL_TEST_BIN");
    assert_non_null(bin);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s/sluice %s 2>/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += r;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int status = pclose(p);
    *out = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static char *make_log(void)
{
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.index_interval_bytes = 64;
    sl_log_t *log;
    char err[256];
    assert_int_equal(sl_log_open(dir, &cfg, NULL, &log, err, sizeof err), SL_OK);
    for (int i = 0; i < 6; i++) {
        sl_batch_opts_t o = sl_batch_opts_default();
        o.compression = (sl_compression_t)(i % 5);
        sl_batch_builder_t b;
        sl_batch_builder_init(&b, &o);
        sl_record_header_t h = {(const uint8_t *)"trace", 5, (const uint8_t *)"x", 1};
        for (int r = 0; r < 2; r++) {
            char k[16], v[32];
            int kl = snprintf(k, sizeof k, "key%d", i * 2 + r);
            int vl = snprintf(v, sizeof v, "value\n%d", i * 2 + r);
            assert_int_equal(sl_batch_builder_add(&b, -1, 1000 + i, k, kl, v, vl, &h, 1), SL_OK);
        }
        sl_buf_t out = SL_BUF_INIT;
        assert_int_equal(sl_batch_builder_finish(&b, &out), SL_OK);
        assert_int_equal(sl_log_append(log, out.data, out.len, 3, 0, NULL), SL_OK);
        sl_batch_builder_destroy(&b);
        sl_buf_free(&out);
    }
    sl_log_close(log);
    return dir;
}

static void dumps_batches_and_records(void **state)
{
    (void)state;
    char *dir = make_log();
    char args[1024], *out;
    snprintf(args, sizeof args, "dump-log %s/00000000000000000000.log", dir);
    assert_int_equal(run_sluice(args, &out), 0);
    assert_int_equal(count(out, "baseOffset: "), 6);
    assert_non_null(strstr(out, "baseOffset: 0 lastOffset: 1 count: 2 position: 0 firstTimestamp: 1000 maxTimestamp: 1000"));
    assert_non_null(strstr(out, "baseOffset: 10 lastOffset: 11 count: 2"));
    assert_non_null(strstr(out, "compresscodec: lz4"));
    assert_non_null(strstr(out, "compresscodec: zstd"));
    assert_non_null(strstr(out, "partitionLeaderEpoch: 3"));
    assert_int_equal(count(out, "isvalid: true"), 6);
    assert_null(strstr(out, "| offset:"));
    free(out);

    snprintf(args, sizeof args, "dump-log --print-records %s/00000000000000000000.log", dir);
    assert_int_equal(run_sluice(args, &out), 0);
    assert_int_equal(count(out, "| offset: "), 12);
    assert_non_null(strstr(out, "| offset: 7 CreateTime: 1003 keySize: 4 valueSize: 7 sequence: -1 "
                                "headerKeys: [trace] key: key7 payload: value\\x0a7"));
    free(out);

    snprintf(args, sizeof args, "dump-log --verify-index %s/00000000000000000000.log", dir);
    assert_int_equal(run_sluice(args, &out), 0);
    assert_non_null(strstr(out, "entries checked"));
    assert_null(strstr(out, "mismatch"));
    free(out);
    sl_test_rmdir(dir);
}

static void reports_damage(void **state)
{
    (void)state;
    char *dir = make_log();
    char path[1024], args[1200], *out;
    snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
    size_t len;
    uint8_t *bytes = sl_test_read_file(path, &len);
    sl_batch_header_t h;
    assert_int_equal(sl_batch_check(bytes, len, &h), SL_OK);
    size_t first = sl_batch_size(&h);
    bytes[first + 40] ^= 0x10; /* second batch: CRC mismatch */
    sl_test_write_file(path, bytes, len - 9); /* and a torn tail */
    snprintf(args, sizeof args, "dump-log --print-records %s", path);
    assert_int_equal(run_sluice(args, &out), 1);
    assert_non_null(strstr(out, "baseOffset: 2 lastOffset: 3"));
    assert_int_equal(count(out, "isvalid: false"), 1);
    assert_non_null(strstr(out, "invalid bytes at the end"));
    free(out);

    /* An index entry pointing at the wrong place. */
    sl_test_write_file(path, bytes, len);
    snprintf(path, sizeof path, "%s/00000000000000000000.index", dir);
    size_t ilen;
    uint8_t *idx = sl_test_read_file(path, &ilen);
    assert_true(ilen >= 8);
    idx[7] ^= 0x01;
    sl_test_write_file(path, idx, ilen);
    snprintf(args, sizeof args, "dump-log --verify-index %s/00000000000000000000.log", dir);
    assert_int_equal(run_sluice(args, &out), 1);
    assert_non_null(strstr(out, "Index mismatch"));
    free(out);

    assert_int_equal(run_sluice("dump-log /nonexistent/00000000000000000000.log", &out), 1);
    free(out);
    assert_int_equal(run_sluice("dump-log not-a-segment.txt", &out), 2);
    free(out);
    assert_int_equal(run_sluice("dump-log", &out), 2);
    free(out);
    free(idx);
    free(bytes);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(dump_log, cmocka_unit_test(dumps_batches_and_records), cmocka_unit_test(reports_damage))
