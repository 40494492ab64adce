/* testutil.c — shared helpers of the cmocka test binaries. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "broker/server/broker.h"
#include "common/trace.h"

char *sl_test_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    size_t n = strlen(base) + 32;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s/sluice-test-XXXXXX", base);
    assert_non_null(mkdtemp(path));
    return path;
}

static int sl__rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void sl_test_rmdir(char *dir)
{
    if (!dir)
        return;
    nftw(dir, sl__rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

uint8_t *sl_test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n ? (size_t)n : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

void sl_test_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

uint64_t sl_test_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* ---- an in-process broker ----------------------------------------------------- */

void sl_test_broker_start(sl_test_broker_t *f, const char *dir, const char *const *kv)
{
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    char err[512] = "";
    assert_int_equal(sl_broker_config_set(&cfg, "listeners", "PLAINTEXT://127.0.0.1:0", err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&cfg, "num.network.threads", "2", err, sizeof err), SL_OK);
    for (int i = 0; kv && kv[i]; i += 2)
        if (sl_broker_config_set(&cfg, kv[i], kv[i + 1], err, sizeof err))
            fail_msg("%s=%s: %s", kv[i], kv[i + 1], err);
    assert_int_equal(sl_broker_config_set(&cfg, "log.dirs", dir, err, sizeof err), SL_OK);
    if (sl_broker_start(&cfg, &f->b, err, sizeof err))
        fail_msg("sl_broker_start: %s", err);
    snprintf(f->bootstrap, sizeof f->bootstrap, "127.0.0.1:%d", sl_broker_port(f->b));
}

sl_test_broker_t *sl_test_broker_new(const char *const *kv)
{
    sl_test_broker_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = sl_test_mkdtemp();
    const char *trace = getenv("SLUICE_TRACE");
    sl_trace_set_sink(NULL, NULL, trace && *trace ? sl_trace_level_parse(trace) : SL_TRACE_ERROR);
    sl_test_broker_start(f, f->dir, kv);
    return f;
}

void sl_test_broker_free(sl_test_broker_t *f)
{
    if (!f)
        return;
    sl_broker_stop(f->b);
    sl_test_rmdir(f->dir);
    free(f);
}

int sl_test_broker_connect(const sl_test_broker_t *f, int timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sl_broker_port(f->b))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}
