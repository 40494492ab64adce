/* test_index.c — the segment indexes: appends and lookups, Kafka's byte layout,
 * reopening trimmed and crash-preallocated files, truncation, trim, rename. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/log/index.h"
#include "common/buf.h"

#define MIB (10u * 1024 * 1024)

/* dir/name in a malloc'd string. */
static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static long long file_len(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_size;
}

static sl_index_t *open_ok(const char *path, sl_index_kind_t kind, int64_t base, size_t max,
                           int writable)
{
    sl_index_t *idx = NULL;
    char err[256] = "";
    sl_err_t rc = sl_index_open(path, kind, base, max, writable, &idx, err, sizeof err);
    if (rc != SL_OK)
        fail_msg("open %s: %s: %s", path, sl_err_name(rc), err);
    assert_non_null(idx);
    return idx;
}

static void put_off(uint8_t *p, uint32_t rel, uint32_t pos)
{
    sl_store_be32(p, rel);
    sl_store_be32(p + 4, pos);
}

static void put_time(uint8_t *p, int64_t ts, uint32_t rel)
{
    sl_store_be64(p, (uint64_t)ts);
    sl_store_be32(p + 8, rel);
}

static void expect_off(const sl_index_t *idx, int64_t target, int64_t off, uint32_t pos)
{
    int64_t o = -7;
    uint32_t p = 7;
    sl_index_lookup_offset(idx, target, &o, &p);
    assert_int_equal(o, off);
    assert_int_equal(p, pos);
}

static void expect_time(const sl_index_t *idx, int64_t target, int64_t ts, int64_t off)
{
    int64_t t = -7, o = -7;
    sl_index_lookup_time(idx, target, &t, &o);
    assert_int_equal(t, ts);
    assert_int_equal(o, off);
}

/* ---- appends and lookups ------------------------------------------------------ */

static void offset_append_lookup(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *path = join(dir, "00000000000000000100.index");
    sl_index_t *idx = open_ok(path, SL_INDEX_OFFSET, 100, MIB, 1);
    assert_int_equal(sl_index_entries(idx), 0);
    assert_false(sl_index_is_full(idx));
    int64_t a, b;
    assert_int_equal(sl_index_last(idx, &a, &b), 0);
    expect_off(idx, 150, 100, 0); /* empty: (base, 0) */

    assert_int_equal(sl_index_append_offset(idx, 110, 4200), SL_OK);
    assert_int_equal(sl_index_append_offset(idx, 120, 8500), SL_OK);
    assert_int_equal(sl_index_append_offset(idx, 135, 13000), SL_OK);
    assert_int_equal(sl_index_entries(idx), 3);

    expect_off(idx, 120, 120, 8500);  /* exact */
    expect_off(idx, 125, 120, 8500);  /* between */
    expect_off(idx, 109, 100, 0);     /* before the first */
    expect_off(idx, 100, 100, 0);     /* the base itself */
    expect_off(idx, 5, 100, 0);       /* below the base */
    expect_off(idx, 110, 110, 4200);  /* first */
    expect_off(idx, 135, 135, 13000); /* last */
    expect_off(idx, INT64_MAX, 135, 13000);

    assert_int_equal(sl_index_last(idx, &a, &b), 1);
    assert_int_equal(a, 135);
    assert_int_equal(b, 13000);
    sl_index_entry(idx, 1, &a, &b);
    assert_int_equal(a, 120);
    assert_int_equal(b, 8500);
    assert_string_equal(sl_index_path(idx), path);
    assert_int_equal(sl_index_flush(idx), SL_OK);

    sl_index_close(idx);
    free(path);
    sl_test_rmdir(dir);
}

static void time_append_lookup(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *path = join(dir, "00000000000000000100.timeindex");
    sl_index_t *idx = open_ok(path, SL_INDEX_TIME, 100, MIB, 1);
    expect_time(idx, 5000, -1, 100); /* empty: (-1, base) */

    /* An empty index's last timestamp is -1: a negative one is not written. */
    assert_int_equal(sl_index_append_time(idx, -1, 100), SL_OK);
    assert_int_equal(sl_index_entries(idx), 0);

    assert_int_equal(sl_index_append_time(idx, 1000, 104), SL_OK);
    assert_int_equal(sl_index_append_time(idx, 2000, 110), SL_OK);
    /* Not above the last timestamp: nothing written, as Kafka. */
    assert_int_equal(sl_index_append_time(idx, 2000, 115), SL_OK);
    assert_int_equal(sl_index_append_time(idx, 1500, 116), SL_OK);
    assert_int_equal(sl_index_entries(idx), 2);
    /* The same offset with a larger timestamp is an entry. */
    assert_int_equal(sl_index_append_time(idx, 2500, 110), SL_OK);
    assert_int_equal(sl_index_append_time(idx, 4000, 130), SL_OK);
    assert_int_equal(sl_index_entries(idx), 4);

    expect_time(idx, 2000, 2000, 110); /* exact */
    expect_time(idx, 3000, 2500, 110); /* between */
    expect_time(idx, 999, -1, 100);    /* before the first */
    expect_time(idx, -5, -1, 100);
    expect_time(idx, 1000, 1000, 104);
    expect_time(idx, 9999, 4000, 130); /* after the last */
    expect_time(idx, INT64_MIN, -1, 100);
    expect_time(idx, INT64_MAX, 4000, 130);

    int64_t a, b;
    assert_int_equal(sl_index_last(idx, &a, &b), 1);
    assert_int_equal(a, 4000);
    assert_int_equal(b, 130);
    sl_index_entry(idx, 0, &a, &b);
    assert_int_equal(a, 1000);
    assert_int_equal(b, 104);

    sl_index_close(idx);
    free(path);
    sl_test_rmdir(dir);
}

static void rejects_bad_appends(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 1000, MIB, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 1000, MIB, 1);

    assert_int_equal(sl_index_append_offset(oi, 1010, 10), SL_OK);
    assert_int_equal(sl_index_append_offset(oi, 1010, 20), SL_ERR_INVAL); /* equal */
    assert_int_equal(sl_index_append_offset(oi, 1005, 20), SL_ERR_INVAL); /* smaller */
    assert_int_equal(sl_index_append_offset(oi, 999, 20), SL_ERR_RANGE);  /* below base */
    assert_int_equal(sl_index_append_offset(oi, INT64_MIN, 20), SL_ERR_RANGE);
    /* Relative offsets are u32: base + 2^32 - 1 is the last that fits. */
    assert_int_equal(sl_index_append_offset(oi, 1000 + (int64_t)UINT32_MAX + 1, 30), SL_ERR_RANGE);
    assert_int_equal(sl_index_append_offset(oi, INT64_MAX, 30), SL_ERR_RANGE);
    assert_int_equal(sl_index_append_offset(oi, 1000 + (int64_t)UINT32_MAX, 30), SL_OK);
    expect_off(oi, INT64_MAX, 1000 + (int64_t)UINT32_MAX, 30);
    assert_int_equal(sl_index_entries(oi), 2);

    assert_int_equal(sl_index_append_time(ti, 50, 1020), SL_OK);
    assert_int_equal(sl_index_append_time(ti, 60, 1019), SL_ERR_INVAL); /* offset goes back */
    assert_int_equal(sl_index_append_time(ti, 60, 999), SL_ERR_RANGE);
    assert_int_equal(sl_index_append_time(ti, 60, 1000 + (int64_t)UINT32_MAX + 1), SL_ERR_RANGE);
    assert_int_equal(sl_index_entries(ti), 1);

    /* The wrong kind of append. */
    assert_int_equal(sl_index_append_time(oi, 60, 1030), SL_ERR_INVAL);
    assert_int_equal(sl_index_append_offset(ti, 1030, 5), SL_ERR_INVAL);

    sl_index_close(oi);
    sl_index_close(ti);

    /* A base near INT64_MAX: relative offsets must keep the absolute in range. */
    char *hp = join(dir, "high.index");
    int64_t base = INT64_MAX - 10;
    sl_index_t *hi = open_ok(hp, SL_INDEX_OFFSET, base, MIB, 1);
    assert_int_equal(sl_index_append_offset(hi, INT64_MAX, 1), SL_OK);
    expect_off(hi, INT64_MAX, INT64_MAX, 1);
    sl_index_close(hi);

    free(ip);
    free(tp);
    free(hp);
    sl_test_rmdir(dir);
}

static void full_index(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    /* max_bytes is rounded down to whole entries: 3 of each. */
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, 3 * 8 + 7, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 0, 3 * 12 + 11, 1);
    assert_int_equal(file_len(ip), 24);
    assert_int_equal(file_len(tp), 36);
    for (int i = 1; i <= 3; i++) {
        assert_false(sl_index_is_full(oi));
        assert_false(sl_index_is_full(ti));
        assert_int_equal(sl_index_append_offset(oi, i * 10, (uint32_t)i * 100), SL_OK);
        assert_int_equal(sl_index_append_time(ti, i * 1000, i * 10), SL_OK);
    }
    assert_true(sl_index_is_full(oi));
    assert_true(sl_index_is_full(ti));
    assert_int_equal(sl_index_append_offset(oi, 40, 400), SL_ERR_RANGE);
    assert_int_equal(sl_index_append_time(ti, 4000, 40), SL_ERR_RANGE);
    /* Nothing to add is not an error even when full (the final append on roll). */
    assert_int_equal(sl_index_append_time(ti, 3000, 40), SL_OK);
    assert_int_equal(sl_index_entries(oi), 3);
    assert_int_equal(sl_index_entries(ti), 3);
    expect_off(oi, 100, 30, 300);
    expect_time(ti, 100000, 3000, 30);
    sl_index_close(oi);
    sl_index_close(ti);
    assert_int_equal(file_len(ip), 24);
    assert_int_equal(file_len(tp), 36);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

/* ---- the file: layout, reopen, crash recovery ----------------------------------------- */

static void kafka_byte_layout(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "00000000000000001000.index");
    char *tp = join(dir, "00000000000000001000.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 1000, 4096, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 1000, 4096, 1);
    assert_int_equal(sl_index_append_offset(oi, 1000 + 0x01020304, 0x0a0b0c0d), SL_OK);
    assert_int_equal(sl_index_append_offset(oi, 1000 + (int64_t)0xfffffffe, 0xfffffff0), SL_OK);
    assert_int_equal(sl_index_append_time(ti, 0x0102030405060708, 1000 + 0x11223344), SL_OK);
    assert_int_equal(sl_index_append_time(ti, INT64_MAX, 1000 + (int64_t)0xfffffffe), SL_OK);
    sl_index_close(oi);
    sl_index_close(ti);

    static const uint8_t want_o[] = {0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
                                     0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0};
    static const uint8_t want_t[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                     0x11, 0x22, 0x33, 0x44, 0x7f, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
    size_t len;
    uint8_t *got = sl_test_read_file(ip, &len);
    assert_int_equal(len, sizeof want_o);
    assert_memory_equal(got, want_o, sizeof want_o);
    free(got);
    got = sl_test_read_file(tp, &len);
    assert_int_equal(len, sizeof want_t);
    assert_memory_equal(got, want_t, sizeof want_t);
    free(got);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

static void reopen_trimmed(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 500, MIB, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 500, MIB, 1);
    assert_int_equal(file_len(ip), MIB);
    assert_int_equal(file_len(tp), MIB - MIB % 12);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(sl_index_append_offset(oi, 501 + 3 * i, (uint32_t)(4096 * i + 17)), SL_OK);
        assert_int_equal(sl_index_append_time(ti, 1700000000000 + 5 * i, 501 + 3 * i), SL_OK);
    }
    sl_index_close(oi);
    sl_index_close(ti);
    assert_int_equal(file_len(ip), 1000 * 8);
    assert_int_equal(file_len(tp), 1000 * 12);

    /* Read-only: mapped at its length, full, no appends, same entries. */
    oi = open_ok(ip, SL_INDEX_OFFSET, 500, MIB, 0);
    ti = open_ok(tp, SL_INDEX_TIME, 500, MIB, 0);
    assert_int_equal(sl_index_entries(oi), 1000);
    assert_int_equal(sl_index_entries(ti), 1000);
    assert_true(sl_index_is_full(oi));
    assert_int_equal(sl_index_append_offset(oi, 100000, 1), SL_ERR_STATE);
    assert_int_equal(sl_index_append_time(ti, INT64_MAX, 100000), SL_ERR_STATE);
    for (int i = 0; i < 1000; i++) {
        int64_t a, b;
        sl_index_entry(oi, (size_t)i, &a, &b);
        assert_int_equal(a, 501 + 3 * i);
        assert_int_equal(b, 4096 * i + 17);
        sl_index_entry(ti, (size_t)i, &a, &b);
        assert_int_equal(a, 1700000000000 + 5 * i);
        assert_int_equal(b, 501 + 3 * i);
    }
    expect_off(oi, 502, 501, 17);
    expect_time(ti, 1700000000003, 1700000000000, 501);
    assert_int_equal(sl_index_flush(oi), SL_OK);
    assert_int_equal(sl_index_trim(oi), SL_OK);
    sl_index_close(oi);
    sl_index_close(ti);
    assert_int_equal(file_len(ip), 1000 * 8); /* read-only close leaves the file */

    /* Writable again: preallocated again, same entries, appends continue. */
    oi = open_ok(ip, SL_INDEX_OFFSET, 500, MIB, 1);
    assert_int_equal(file_len(ip), MIB);
    assert_int_equal(sl_index_entries(oi), 1000);
    assert_int_equal(sl_index_append_offset(oi, 501 + 3 * 999, 1), SL_ERR_INVAL);
    assert_int_equal(sl_index_append_offset(oi, 501 + 3 * 1000, 1), SL_OK);
    sl_index_close(oi);
    assert_int_equal(file_len(ip), 1001 * 8);

    /* A max smaller than the entries in use keeps them all (and is full). */
    oi = open_ok(ip, SL_INDEX_OFFSET, 500, 80, 1);
    assert_int_equal(sl_index_entries(oi), 1001);
    assert_true(sl_index_is_full(oi));
    assert_int_equal(file_len(ip), 1001 * 8);
    sl_index_close(oi);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

static void reopen_after_crash(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, 64 * 1024, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 0, 64 * 1024, 1);
    for (int i = 0; i < 77; i++) {
        assert_int_equal(sl_index_append_offset(oi, 10 + i, (uint32_t)(100 * i + 50)), SL_OK);
        assert_int_equal(sl_index_append_time(ti, 7 + 2 * i, 10 + i), SL_OK);
    }
    /* The crash: the file as it stands while the index is open (the page
     * cache holds what the mapping wrote), preallocated and untrimmed. */
    size_t olen, tlen;
    uint8_t *ocopy = sl_test_read_file(ip, &olen);
    uint8_t *tcopy = sl_test_read_file(tp, &tlen);
    assert_int_equal(olen, 64 * 1024);
    assert_int_equal(tlen, 64 * 1024 - 64 * 1024 % 12);
    sl_index_close(oi);
    sl_index_close(ti);
    sl_test_write_file(ip, ocopy, olen);
    sl_test_write_file(tp, tcopy, tlen);
    free(ocopy);
    free(tcopy);

    for (int writable = 0; writable <= 1; writable++) {
        oi = open_ok(ip, SL_INDEX_OFFSET, 0, 64 * 1024, writable);
        ti = open_ok(tp, SL_INDEX_TIME, 0, 64 * 1024, writable);
        assert_int_equal(sl_index_entries(oi), 77);
        assert_int_equal(sl_index_entries(ti), 77);
        int64_t a, b;
        assert_int_equal(sl_index_last(oi, &a, &b), 1);
        assert_int_equal(a, 86);
        assert_int_equal(b, 7650);
        assert_int_equal(sl_index_last(ti, &a, &b), 1);
        assert_int_equal(a, 159);
        assert_int_equal(b, 86);
        sl_index_close(oi);
        sl_index_close(ti);
    }
    assert_int_equal(file_len(ip), 77 * 8);
    assert_int_equal(file_len(tp), 77 * 12);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

/* A hand-written preallocated file: entries, then whatever tail. */
static void write_index(const char *path, const uint8_t *entries, size_t len, size_t total)
{
    uint8_t *buf = calloc(1, total);
    assert_non_null(buf);
    memcpy(buf, entries, len);
    sl_test_write_file(path, buf, total);
    free(buf);
}

static size_t entries_of(const char *path, sl_index_kind_t kind, int64_t base, int writable)
{
    sl_index_t *idx = open_ok(path, kind, base, 4096, writable);
    size_t n = sl_index_entries(idx);
    sl_index_close(idx);
    return n;
}

static void garbage_tail_stops_prefix(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    uint8_t e[12 * 8];

    /* Offset index: 3 good entries, one going back, then more that would be
     * increasing again. */
    put_off(e, 5, 100);
    put_off(e + 8, 9, 200);
    put_off(e + 16, 12, 300);
    put_off(e + 24, 11, 400);
    put_off(e + 32, 40, 500);
    put_off(e + 40, 50, 600);
    write_index(ip, e, 48, 4096);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 0, 0), 3);
    /* Writable: the garbage past the prefix is discarded from the file, so
     * nothing of it survives into a later reopen. */
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, 4096, 1);
    assert_int_equal(sl_index_entries(oi), 3);
    assert_int_equal(sl_index_append_offset(oi, 13, 350), SL_OK);
    size_t len;
    uint8_t *copy = sl_test_read_file(ip, &len);
    assert_int_equal(len, 4096);
    uint8_t want[32];
    memcpy(want, e, 24);
    put_off(want + 24, 13, 350);
    assert_memory_equal(copy, want, 32);
    for (size_t i = 32; i < len; i++)
        assert_int_equal(copy[i], 0);
    free(copy);
    sl_index_close(oi);
    assert_int_equal(file_len(ip), 32);

    /* An equal offset stops it too; so does a trailing partial entry. */
    put_off(e + 24, 12, 400);
    write_index(ip, e, 32, 32);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 0, 0), 3);
    write_index(ip, e, 24, 24 + 5);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 0, 1), 3);
    assert_int_equal(file_len(ip), 24);

    /* An entry whose absolute offset would pass INT64_MAX ends the prefix. */
    put_off(e, 5, 1);
    put_off(e + 8, 20, 2);
    write_index(ip, e, 16, 16);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, INT64_MAX - 10, 0), 1);

    /* Time index: timestamp going back, offset going back, negative timestamp. */
    put_time(e, 100, 1);
    put_time(e + 12, 100, 2); /* equal timestamp: accepted from a file */
    put_time(e + 24, 200, 2); /* equal offset: accepted */
    put_time(e + 36, 150, 3); /* timestamp goes back */
    put_time(e + 48, 300, 4);
    write_index(tp, e, 60, 4092);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 3);
    put_time(e + 36, 250, 1); /* offset goes back */
    write_index(tp, e, 60, 4092);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 1), 3);
    put_time(e, -5, 1); /* negative timestamp first */
    write_index(tp, e, 60, 60);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 0);

    /* Of equal timestamps the lookup takes the first (lowest offset). */
    put_time(e, 100, 1);
    put_time(e + 12, 200, 2);
    put_time(e + 24, 200, 5);
    put_time(e + 36, 300, 7);
    write_index(tp, e, 48, 48);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 1000, 4096, 0);
    assert_int_equal(sl_index_entries(ti), 4);
    expect_time(ti, 250, 200, 1002);
    expect_time(ti, 200, 200, 1002);
    expect_time(ti, 300, 300, 1007);
    sl_index_close(ti);

    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

static void zero_entries(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    uint8_t e[24] = {0};

    /* Preallocated space only: empty. */
    write_index(tp, e, 0, 4092);
    write_index(ip, e, 0, 4096);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 0);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 0, 0), 0);

    /* A trimmed file of one all-zero entry: (timestamp 0, base) was written. */
    write_index(tp, e, 0, 12);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 1);
    write_index(ip, e, 0, 8);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 0, 0), 1);

    /* An all-zero first entry followed by a real one is real. */
    put_time(e + 12, 50, 3);
    write_index(tp, e, 24, 4092);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 40, 4096, 0);
    assert_int_equal(sl_index_entries(ti), 2);
    expect_time(ti, 10, 0, 40);
    expect_time(ti, 50, 50, 43);
    sl_index_close(ti);

    /* A zero entry past the first is always preallocated space. */
    uint8_t f[36] = {0};
    put_time(f, 7, 1);
    write_index(tp, f, 36, 36);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 1);

    /* Appending at timestamp 0 / relative offset 0 works and survives a clean
     * close; after a crash it is read back as preallocated space, which
     * changes no lookup's offset. */
    ti = open_ok(tp, SL_INDEX_TIME, 0, 4096, 1);
    sl_index_reset(ti);
    assert_int_equal(sl_index_append_time(ti, 0, 0), SL_OK);
    assert_int_equal(sl_index_entries(ti), 1);
    size_t len;
    uint8_t *copy = sl_test_read_file(tp, &len);
    sl_index_close(ti);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 1);
    sl_test_write_file(tp, copy, len);
    free(copy);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 0, 0), 0);

    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

/* ---- truncation, trim, rename ---------------------------------------------------------- */

static void truncate_to(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 100, 4096, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 100, 4096, 1);
    for (int i = 1; i <= 6; i++) {
        assert_int_equal(sl_index_append_offset(oi, 100 + 10 * i, (uint32_t)(1000 * i)), SL_OK);
        assert_int_equal(sl_index_append_time(ti, 5000 + i, 100 + 10 * i), SL_OK);
    }
    sl_index_truncate_to(oi, 1000); /* past the end: nothing */
    sl_index_truncate_to(ti, 161);
    assert_int_equal(sl_index_entries(oi), 6);
    assert_int_equal(sl_index_entries(ti), 6);
    sl_index_truncate_to(oi, 160); /* drops 160 itself */
    sl_index_truncate_to(ti, 160);
    assert_int_equal(sl_index_entries(oi), 5);
    assert_int_equal(sl_index_entries(ti), 5);
    sl_index_truncate_to(oi, 135); /* between: drops 140, 150 */
    sl_index_truncate_to(ti, 135);
    assert_int_equal(sl_index_entries(oi), 3);
    assert_int_equal(sl_index_entries(ti), 3);
    expect_off(oi, 1000, 130, 3000);
    expect_time(ti, 9999, 5003, 130);

    /* Appends resume from the new end, below the dropped entries. */
    assert_int_equal(sl_index_append_offset(oi, 131, 3100), SL_OK);
    assert_int_equal(sl_index_append_time(ti, 5003, 131), SL_OK); /* not above: skipped */
    assert_int_equal(sl_index_append_time(ti, 5004, 131), SL_OK);

    /* The dropped entries were zeroed: after a crash they do not come back
     * (131 < 140 would otherwise let 140, 150, 160 reappear). */
    size_t olen, tlen;
    uint8_t *ocopy = sl_test_read_file(ip, &olen);
    uint8_t *tcopy = sl_test_read_file(tp, &tlen);
    for (size_t i = 4 * 8; i < olen; i++)
        assert_int_equal(ocopy[i], 0);
    for (size_t i = 4 * 12; i < tlen; i++)
        assert_int_equal(tcopy[i], 0);
    sl_index_close(oi);
    sl_index_close(ti);
    sl_test_write_file(ip, ocopy, olen);
    sl_test_write_file(tp, tcopy, tlen);
    free(ocopy);
    free(tcopy);
    assert_int_equal(entries_of(ip, SL_INDEX_OFFSET, 100, 0), 4);
    assert_int_equal(entries_of(tp, SL_INDEX_TIME, 100, 0), 4);

    /* To the base or below: empty. */
    oi = open_ok(ip, SL_INDEX_OFFSET, 100, 4096, 1);
    sl_index_truncate_to(oi, 111);
    assert_int_equal(sl_index_entries(oi), 1);
    sl_index_truncate_to(oi, 100);
    assert_int_equal(sl_index_entries(oi), 0);
    expect_off(oi, 1000, 100, 0);
    sl_index_close(oi);
    assert_int_equal(file_len(ip), 0);

    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

static void reset(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *tp = join(dir, "a.timeindex");
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 100, 4096, 1);
    assert_int_equal(sl_index_append_time(ti, 10, 110), SL_OK);
    assert_int_equal(sl_index_append_time(ti, 20, 120), SL_OK);
    sl_index_reset(ti);
    assert_int_equal(sl_index_entries(ti), 0);
    int64_t a, b;
    assert_int_equal(sl_index_last(ti, &a, &b), 0);
    expect_time(ti, 100, -1, 100);
    /* Rebuilding starts over: smaller timestamps and offsets are fine. */
    assert_int_equal(sl_index_append_time(ti, 5, 101), SL_OK);
    assert_int_equal(sl_index_entries(ti), 1);
    sl_index_close(ti);
    assert_int_equal(file_len(tp), 12);
    ti = open_ok(tp, SL_INDEX_TIME, 100, 4096, 0);
    expect_time(ti, 100, 5, 101);
    sl_index_close(ti);
    free(tp);
    sl_test_rmdir(dir);
}

static void trim(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, MIB, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 0, MIB, 1);
    /* Enough entries to span pages, and a count that ends mid-page. */
    for (int i = 0; i < 1500; i++) {
        assert_int_equal(sl_index_append_offset(oi, 1 + i, (uint32_t)i * 64), SL_OK);
        assert_int_equal(sl_index_append_time(ti, 1 + i, 1 + i), SL_OK);
    }
    assert_int_equal(sl_index_flush(oi), SL_OK);
    assert_int_equal(sl_index_trim(oi), SL_OK);
    assert_int_equal(sl_index_trim(ti), SL_OK);
    assert_int_equal(file_len(ip), 1500 * 8);
    assert_int_equal(file_len(tp), 1500 * 12);
    assert_true(sl_index_is_full(oi));
    assert_int_equal(sl_index_append_offset(oi, 5000, 1), SL_ERR_STATE);
    assert_int_equal(sl_index_append_time(ti, 5000, 5000), SL_ERR_STATE);
    expect_off(oi, 1500, 1500, 1499 * 64);
    expect_time(ti, 1500, 1500, 1500);
    expect_time(ti, 1, 1, 1);
    assert_int_equal(sl_index_trim(oi), SL_OK); /* twice is fine */
    assert_int_equal(sl_index_flush(oi), SL_OK);
    sl_index_close(oi);
    sl_index_close(ti);
    assert_int_equal(file_len(ip), 1500 * 8);

    /* An empty index trims to an empty file and unmaps. */
    oi = open_ok(ip, SL_INDEX_OFFSET, 0, MIB, 1);
    sl_index_reset(oi);
    assert_int_equal(sl_index_trim(oi), SL_OK);
    assert_int_equal(file_len(ip), 0);
    expect_off(oi, 77, 0, 0);
    assert_int_equal(sl_index_append_offset(oi, 5, 1), SL_ERR_STATE);
    sl_index_close(oi);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

static void rename_file(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *np = join(dir, "a.index.deleted");
    char *bad = join(dir, "no/such/dir/a.index");
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, MIB, 1);
    assert_int_equal(sl_index_append_offset(oi, 3, 300), SL_OK);
    assert_int_equal(sl_index_rename(oi, np), SL_OK);
    assert_string_equal(sl_index_path(oi), np);
    assert_int_equal(file_len(ip), -1);
    assert_int_equal(file_len(np), MIB);
    /* The mapping follows the file: appends and lookups go on. */
    assert_int_equal(sl_index_append_offset(oi, 4, 400), SL_OK);
    expect_off(oi, 3, 3, 300);
    assert_int_equal(sl_index_rename(oi, bad), SL_ERR_IO);
    assert_string_equal(sl_index_path(oi), np);
    sl_index_close(oi); /* trims the file under its new name */
    assert_int_equal(file_len(np), 16);
    assert_int_equal(file_len(ip), -1);
    oi = open_ok(np, SL_INDEX_OFFSET, 0, MIB, 0);
    assert_int_equal(sl_index_entries(oi), 2);
    assert_int_equal(sl_index_rename(oi, ip), SL_OK); /* read-only too */
    sl_index_close(oi);
    assert_int_equal(file_len(ip), 16);
    free(ip);
    free(np);
    free(bad);
    sl_test_rmdir(dir);
}

/* ---- opening odd files -------------------------------------------------------------- */

static void empty_and_missing_files(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    char *bad = join(dir, "no/such/dir/a.index");

    /* Missing, read-only: created empty, nothing mapped. */
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 42, MIB, 0);
    assert_int_equal(file_len(ip), 0);
    assert_int_equal(sl_index_entries(oi), 0);
    expect_off(oi, 100, 42, 0);
    int64_t a, b;
    assert_int_equal(sl_index_last(oi, &a, &b), 0);
    sl_index_truncate_to(oi, 0);
    sl_index_reset(oi);
    assert_int_equal(sl_index_flush(oi), SL_OK);
    assert_int_equal(sl_index_trim(oi), SL_OK);
    sl_index_close(oi);

    /* Zero-length, read-only and writable. */
    sl_test_write_file(tp, "", 0);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 42, MIB, 0);
    assert_int_equal(sl_index_entries(ti), 0);
    expect_time(ti, 100, -1, 42);
    sl_index_close(ti);
    ti = open_ok(tp, SL_INDEX_TIME, 42, 100, 1);
    assert_int_equal(file_len(tp), 96);
    assert_int_equal(sl_index_append_time(ti, 1, 43), SL_OK);
    sl_index_close(ti);
    assert_int_equal(file_len(tp), 12);

    /* Missing, writable: created and preallocated. */
    remove(ip);
    oi = open_ok(ip, SL_INDEX_OFFSET, 42, 1000, 1);
    assert_int_equal(file_len(ip), 1000);
    sl_index_close(oi);
    assert_int_equal(file_len(ip), 0);

    /* Errors. */
    char err[256] = "";
    oi = (sl_index_t *)1;
    assert_int_equal(sl_index_open(bad, SL_INDEX_OFFSET, 0, MIB, 1, &oi, err, sizeof err), SL_ERR_IO);
    assert_null(oi);
    assert_non_null(strstr(err, bad));
    assert_non_null(strstr(err, "No such file or directory"));
    assert_int_equal(sl_index_open(bad, SL_INDEX_OFFSET, 0, MIB, 0, &oi, NULL, 0), SL_ERR_IO);
    assert_int_equal(sl_index_open(ip, SL_INDEX_OFFSET, 0, 7, 1, &oi, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_index_open(tp, SL_INDEX_TIME, 0, 11, 1, &oi, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_index_open(ip, SL_INDEX_OFFSET, -1, MIB, 1, &oi, err, sizeof err), SL_ERR_INVAL);
    assert_null(oi);
    /* A directory is not an index. */
    assert_int_equal(sl_index_open(dir, SL_INDEX_OFFSET, 0, MIB, 1, &oi, err, sizeof err), SL_ERR_IO);
    sl_index_close(NULL);

    free(ip);
    free(tp);
    free(bad);
    sl_test_rmdir(dir);
}

/* ---- one appender, concurrent readers --------------------------------------------------- */

#define CONC_N 20000
#define CONC_READERS 3

typedef struct {
    sl_index_t *oi, *ti;
    int done; /* set by the appender when it has trimmed */
    uint64_t seed;
    long checked, wrong; /* cmocka asserts only on the main thread */
} conc_t;

static void *conc_reader(void *arg)
{
    conc_t *c = arg;
    uint64_t seed = c->seed;
    for (;;) {
        int done = __atomic_load_n(&c->done, __ATOMIC_ACQUIRE);
        /* Every published entry must be found whole. */
        size_t n = sl_index_entries(c->oi);
        if (n > 0) {
            size_t i = (size_t)(sl_test_rand(&seed) % n);
            int64_t off;
            uint32_t pos;
            sl_index_lookup_offset(c->oi, 2 * (int64_t)i + 2, &off, &pos);
            c->wrong += off != 2 * (int64_t)i + 1 || pos != (uint32_t)i * 100;
        }
        size_t m = sl_index_entries(c->ti);
        if (m > 0) {
            size_t i = (size_t)(sl_test_rand(&seed) % m);
            int64_t ts, off;
            sl_index_lookup_time(c->ti, 1000 + 10 * (int64_t)i + 5, &ts, &off);
            c->wrong += ts != 1000 + 10 * (int64_t)i || off != 2 * (int64_t)i + 1;
        }
        c->checked++;
        if (done)
            break;
    }
    return NULL;
}

static void concurrent_readers(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char *ip = join(dir, "a.index"), *tp = join(dir, "a.timeindex");
    conc_t c[CONC_READERS];
    sl_index_t *oi = open_ok(ip, SL_INDEX_OFFSET, 0, CONC_N * 8, 1);
    sl_index_t *ti = open_ok(tp, SL_INDEX_TIME, 0, CONC_N * 12, 1);
    pthread_t th[CONC_READERS];
    for (int r = 0; r < CONC_READERS; r++) {
        c[r] = (conc_t){oi, ti, 0, (uint64_t)r + 1, 0, 0};
        assert_int_equal(pthread_create(&th[r], NULL, conc_reader, &c[r]), 0);
    }
    for (int i = 0; i < CONC_N; i++) {
        assert_int_equal(sl_index_append_offset(oi, 2 * i + 1, (uint32_t)i * 100), SL_OK);
        assert_int_equal(sl_index_append_time(ti, 1000 + 10 * i, 2 * i + 1), SL_OK);
    }
    /* Trim while readers look up: the entries stay mapped. */
    assert_int_equal(sl_index_trim(oi), SL_OK);
    assert_int_equal(sl_index_trim(ti), SL_OK);
    for (int r = 0; r < CONC_READERS; r++)
        __atomic_store_n(&c[r].done, 1, __ATOMIC_RELEASE);
    for (int r = 0; r < CONC_READERS; r++) {
        assert_int_equal(pthread_join(th[r], NULL), 0);
        assert_true(c[r].checked > 0);
        assert_int_equal(c[r].wrong, 0);
    }
    assert_true(sl_index_is_full(oi));
    sl_index_close(oi);
    sl_index_close(ti);
    free(ip);
    free(tp);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(index, cmocka_unit_test(offset_append_lookup), cmocka_unit_test(time_append_lookup),
              cmocka_unit_test(rejects_bad_appends), cmocka_unit_test(full_index),
              cmocka_unit_test(kafka_byte_layout), cmocka_unit_test(reopen_trimmed),
              cmocka_unit_test(reopen_after_crash), cmocka_unit_test(garbage_tail_stops_prefix),
              cmocka_unit_test(zero_entries), cmocka_unit_test(truncate_to), cmocka_unit_test(reset),
              cmocka_unit_test(trim), cmocka_unit_test(rename_file),
              cmocka_unit_test(empty_and_missing_files), cmocka_unit_test(concurrent_readers))
