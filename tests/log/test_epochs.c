/* test_epochs.c — the partition log's leader-epoch cache (Kafka's
 * LeaderEpochFileCache) and high watermark: epochs recorded by appends,
 * OffsetForLeaderEpoch answers, truncation at both ends, the
 * leader-epoch-checkpoint file and its rebuild from the batches. */
#include "testutil.h"

#include <stdlib.h>
#include <unistd.h>

#include "common/buf.h"
#include "logtest.h"

#define CP "leader-epoch-checkpoint"

static sl_log_t *open_log_opts(const char *dir, const sl_log_config_t *cfg, const sl_log_open_opts_t *o)
{
    sl_log_t *log = NULL;
    char err[256] = "";
    sl_err_t e = sl_log_open(dir, cfg, o, &log, err, sizeof err);
    if (e)
        fail_msg("sl_log_open: %s %s", sl_err_name(e), err);
    return log;
}

static sl_log_t *open_log(const char *dir)
{
    sl_log_config_t cfg = sl_log_config_default();
    return open_log_opts(dir, &cfg, NULL);
}

/* A leader's append of one n-record batch in epoch (-1: none stamped). */
static int64_t leader_append(sl_log_t *log, int n, int32_t epoch, int64_t ts)
{
    sl_buf_t b = SL_BUF_INIT;
    lt_batch(&b, n, 0, ts, SL_COMPRESSION_NONE);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, b.data, b.len, epoch, 0, &info), SL_OK);
    sl_buf_free(&b);
    return info.first_offset;
}

/* Appends to out a batch of n records at base offset base carrying epoch, as
 * a follower receives it from its leader. */
static void follower_batch(sl_buf_t *out, int64_t base, int n, int32_t epoch)
{
    sl_batch_opts_t o = sl_batch_opts_default();
    o.base_offset = base;
    o.partition_leader_epoch = epoch;
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, &o);
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_batch_builder_add(&b, -1, 1000 + i, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b, out), SL_OK);
    sl_batch_builder_destroy(&b);
}

/* Checks the cache against pairs {epoch, start, epoch, start, ...}. */
static void check_entries(sl_log_t *log, int n, const int64_t *want)
{
    sl_log_epoch_entry_t e[16];
    int got = sl_log_epoch_entries(log, e, 16);
    if (got != n) {
        for (int i = 0; i < got && i < 16; i++)
            print_message("entry %d: (%d, %lld)\n", i, (int)e[i].epoch, (long long)e[i].start_offset);
        fail_msg("%d epoch entries, want %d", got, n);
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(e[i].epoch, want[2 * i]);
        assert_int_equal(e[i].start_offset, want[2 * i + 1]);
    }
    assert_int_equal(sl_log_latest_epoch(log), n ? want[2 * n - 2] : -1);
}

#define CHECK_ENTRIES(log, ...)                                          \
    do {                                                                 \
        const int64_t w_[] = {__VA_ARGS__};                              \
        check_entries(log, (int)(sizeof w_ / sizeof w_[0] / 2), w_);     \
    } while (0)

static void check_file(const char *dir, const char *want)
{
    char *p = lt_path(dir, CP);
    size_t len;
    char *text = (char *)sl_test_read_file(p, &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_string_equal(text, want);
    free(text);
    free(p);
}

static void check_end(sl_log_t *log, int32_t epoch, int32_t want_epoch, int64_t want_offset)
{
    int32_t e = 99;
    int64_t o = 99;
    assert_int_equal(sl_log_end_offset_for_epoch(log, epoch, &e, &o), SL_OK);
    if (e != want_epoch || o != want_offset)
        fail_msg("epoch %d: got (%d, %lld), want (%d, %lld)", (int)epoch, (int)e, (long long)o,
                 (int)want_epoch, (long long)want_offset);
}

/* Offsets 0-2, 3-4 in epoch 1; 5-6, 7-8 in epoch 3; 9-10 in epoch 5 (one
 * batch per append). Returns the log. */
static sl_log_t *five_batches(const char *dir, const sl_log_config_t *cfg, int64_t old_ts, int64_t new_ts)
{
    sl_log_t *log = open_log_opts(dir, cfg, NULL);
    assert_int_equal(leader_append(log, 3, 1, old_ts), 0);
    assert_int_equal(leader_append(log, 2, 1, old_ts), 3);
    assert_int_equal(leader_append(log, 2, 3, old_ts), 5);
    assert_int_equal(leader_append(log, 2, 3, new_ts), 7);
    assert_int_equal(leader_append(log, 2, 5, new_ts), 9);
    return log;
}

static void appends_record_rising_epochs(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_t *log = open_log(dir);
    /* Empty cache: every question is undefined. */
    CHECK_ENTRIES(log);
    check_end(log, 0, -1, -1);
    check_end(log, -1, -1, -1);
    char *cp = lt_path(dir, CP);
    assert_int_equal(access(cp, F_OK), -1); /* no epoch yet, no file */

    leader_append(log, 3, -1, 1000); /* no epoch stamped: nothing recorded */
    CHECK_ENTRIES(log);
    assert_int_equal(leader_append(log, 3, 1, 1000), 3);
    assert_int_equal(leader_append(log, 2, 1, 1000), 6);
    CHECK_ENTRIES(log, 1, 3);
    check_file(dir, "0\n1\n1 3\n");
    assert_int_equal(leader_append(log, 4, 3, 1000), 8);
    leader_append(log, 1, -1, 1000); /* an unstamped batch changes nothing */
    assert_int_equal(leader_append(log, 2, 5, 1000), 13);
    CHECK_ENTRIES(log, 1, 3, 3, 8, 5, 13);
    assert_int_equal(sl_log_end_offset(log), 15);
    check_file(dir, "0\n3\n1 3\n3 8\n5 13\n");

    /* OffsetForLeaderEpoch, every case. */
    check_end(log, 5, 5, 15);   /* the latest: the log end offset */
    check_end(log, 3, 3, 13);   /* a middle epoch: where the next one starts */
    check_end(log, 4, 3, 13);   /* between epochs: the one below, the next's start */
    check_end(log, 1, 1, 8);
    check_end(log, 2, 1, 8);
    check_end(log, 0, 0, 3);    /* below the first: itself, the first start (Kafka) */
    check_end(log, 6, -1, -1);  /* above the latest */
    check_end(log, -1, -1, -1); /* UNDEFINED_EPOCH */

    /* A new leader records its epoch before it has records. */
    assert_int_equal(sl_log_assign_epoch(log, 6, 16), SL_ERR_INVAL); /* past the end */
    assert_int_equal(sl_log_assign_epoch(log, -1, 15), SL_ERR_INVAL);
    assert_int_equal(sl_log_assign_epoch(log, 6, 15), SL_OK);
    CHECK_ENTRIES(log, 1, 3, 3, 8, 5, 13, 6, 15);
    check_end(log, 6, 6, 15);
    check_end(log, 5, 5, 15);
    assert_int_equal(leader_append(log, 1, 6, 1000), 15); /* same epoch: no new entry */
    CHECK_ENTRIES(log, 1, 3, 3, 8, 5, 13, 6, 15);
    check_end(log, 6, 6, 16);

    /* Reopened: the file is read back (clean or not). */
    sl_log_close(log);
    log = open_log(dir);
    CHECK_ENTRIES(log, 1, 3, 3, 8, 5, 13, 6, 15);
    sl_log_close(log);
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_open_opts_t o = {16, -1, 1, 0};
    log = open_log_opts(dir, &cfg, &o);
    CHECK_ENTRIES(log, 1, 3, 3, 8, 5, 13, 6, 15);
    check_file(dir, "0\n4\n1 3\n3 8\n5 13\n6 15\n");

    /* Deleting the log removes the file with the segments. */
    assert_int_equal(sl_log_delete(log), SL_OK);
    assert_int_equal(access(dir, F_OK), -1);
    free(cp);
    free(dir);
}

static void follower_appends_carry_epochs(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_t *log = open_log(dir);
    sl_buf_t b = SL_BUF_INIT;
    follower_batch(&b, 0, 3, 2);
    follower_batch(&b, 3, 2, 2);
    follower_batch(&b, 5, 4, 4); /* three batches in one fetch */
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_OK);
    CHECK_ENTRIES(log, 2, 0, 4, 5);
    sl_buf_reset(&b);
    follower_batch(&b, 9, 1, -1); /* no epoch: nothing */
    follower_batch(&b, 10, 2, 4);
    follower_batch(&b, 12, 2, 7);
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_OK);
    CHECK_ENTRIES(log, 2, 0, 4, 5, 7, 12);
    check_end(log, 4, 4, 12);
    check_end(log, 7, 7, 14);
    check_file(dir, "0\n3\n2 0\n4 5\n7 12\n");

    /* A batch from an older epoch after a newer one: Kafka's assign drops the
     * entries it contradicts (epoch or start not below its own). */
    sl_buf_reset(&b);
    follower_batch(&b, 14, 1, 5);
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_OK);
    CHECK_ENTRIES(log, 2, 0, 4, 5, 5, 14);

    /* A follower whose copy starts past its end (the leader's retention)
     * starts over: an empty log forgets its old epochs. */
    sl_log_close(log);
    sl_test_rmdir(dir);
    dir = sl_test_mkdtemp();
    log = open_log(dir);
    assert_int_equal(sl_log_assign_epoch(log, 1, 0), SL_OK);
    sl_buf_reset(&b);
    follower_batch(&b, 100, 2, 9);
    assert_int_equal(sl_log_append_with_offsets(log, b.data, b.len, NULL), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 100);
    CHECK_ENTRIES(log, 9, 100);
    check_end(log, 1, 1, 100); /* below the first */
    sl_buf_free(&b);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void truncation_drops_entries_and_lowers_hw(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log = five_batches(dir, &cfg, 1000, 1000);
    CHECK_ENTRIES(log, 1, 0, 3, 5, 5, 9);
    assert_int_equal(sl_log_high_watermark(log), 0); /* opened empty; never set */
    assert_int_equal(sl_log_set_high_watermark(log, 100), 11);
    assert_int_equal(sl_log_high_watermark(log), 11);

    assert_int_equal(sl_log_truncate_to(log, 9), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 9);
    CHECK_ENTRIES(log, 1, 0, 3, 5);
    assert_int_equal(sl_log_high_watermark(log), 9);
    check_file(dir, "0\n2\n1 0\n3 5\n");
    check_end(log, 3, 3, 9);

    /* Mid-batch: the batch holding the offset goes whole. */
    assert_int_equal(sl_log_truncate_to(log, 6), SL_OK);
    assert_int_equal(sl_log_end_offset(log), 5);
    CHECK_ENTRIES(log, 1, 0);
    assert_int_equal(sl_log_high_watermark(log), 5);
    check_file(dir, "0\n1\n1 0\n");

    /* At the end nothing is cut, but an entry with no records after it goes. */
    assert_int_equal(sl_log_assign_epoch(log, 4, 5), SL_OK);
    CHECK_ENTRIES(log, 1, 0, 4, 5);
    assert_int_equal(sl_log_truncate_to(log, 5), SL_OK);
    CHECK_ENTRIES(log, 1, 0);
    assert_int_equal(sl_log_truncate_to(log, 50), SL_OK);
    CHECK_ENTRIES(log, 1, 0);
    assert_int_equal(sl_log_end_offset(log), 5);

    /* The high watermark stays within [start, end]. */
    assert_int_equal(sl_log_set_high_watermark(log, 2), 2);
    assert_int_equal(sl_log_advance_start_offset(log, 3), SL_OK);
    assert_int_equal(sl_log_high_watermark(log), 3);
    assert_int_equal(sl_log_set_high_watermark(log, -7), 3);
    /* Below the start: refused, nothing changes. */
    assert_int_equal(sl_log_truncate_to(log, 1), SL_ERR_INVAL);
    CHECK_ENTRIES(log, 1, 3);

    /* Appends carry on in a new epoch. */
    assert_int_equal(leader_append(log, 2, 6, 1000), 5);
    CHECK_ENTRIES(log, 1, 3, 6, 5);
    assert_int_equal(sl_log_high_watermark(log), 3); /* appends do not move it */
    sl_log_close(log);

    /* A reopened log (no log manager) starts at its log end offset. */
    log = open_log(dir);
    assert_int_equal(sl_log_high_watermark(log), 7);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void start_offset_advance_trims(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log = five_batches(dir, &cfg, 1000, 1000);
    assert_int_equal(sl_log_advance_start_offset(log, 5), SL_OK); /* exactly an entry's start */
    CHECK_ENTRIES(log, 3, 5, 5, 9);
    assert_int_equal(sl_log_advance_start_offset(log, 6), SL_OK); /* inside epoch 3 */
    CHECK_ENTRIES(log, 3, 6, 5, 9);
    check_file(dir, "0\n2\n3 6\n5 9\n");
    check_end(log, 1, 1, 6); /* below the first now */
    check_end(log, 3, 3, 9);
    assert_int_equal(sl_log_advance_start_offset(log, 11), SL_OK); /* the whole log */
    CHECK_ENTRIES(log, 5, 11);
    check_end(log, 5, 5, 11);
    sl_log_close(log);
    /* Reopened, the entry starts at the log end: with no record after it, it
     * goes, as Kafka's loader drops it (truncateFromEnd at the log end). */
    sl_log_open_opts_t o = {11, 11, 1, 0};
    log = open_log_opts(dir, &cfg, &o);
    assert_int_equal(sl_log_start_offset(log), 11);
    CHECK_ENTRIES(log);
    check_end(log, 5, -1, -1);
    sl_log_close(log);
    check_file(dir, "0\n0\n");
    sl_test_rmdir(dir);

    /* Retention: one segment per append; the three old ones expire, the log
     * starts at 7, inside epoch 3. */
    dir = sl_test_mkdtemp();
    cfg.segment_bytes = 1;
    cfg.retention_ms = 1000000;
    log = five_batches(dir, &cfg, 1000, 10000000);
    assert_int_equal(sl_log_segment_count(log), 5);
    int deleted = 0;
    assert_int_equal(sl_log_retain(log, 10000000, &deleted), SL_OK);
    assert_int_equal(deleted, 3);
    assert_int_equal(sl_log_start_offset(log), 7);
    CHECK_ENTRIES(log, 3, 7, 5, 9);
    check_file(dir, "0\n2\n3 7\n5 9\n");
    sl_log_close(log);
    sl_test_rmdir(dir);
}

/* Replaces the checkpoint file with text (NULL: deletes it). */
static void put_file(const char *dir, const char *text)
{
    char *p = lt_path(dir, CP);
    if (text)
        sl_test_write_file(p, text, strlen(text));
    else
        assert_int_equal(unlink(p), 0);
    free(p);
}

static void checkpoint_rebuilt_from_batches(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    sl_log_t *log = five_batches(dir, &cfg, 1000, 1000);
    sl_log_close(log);
    const char *full = "0\n3\n1 0\n3 5\n5 9\n";
    sl_log_open_opts_t clean = {11, -1, 1, 0};

    /* Missing, malformed or cut short: rebuilt from the batch headers and
     * written back, even after a clean shutdown. */
    static const char *const bad[] = {
        NULL,
        "garbage\n",
        "",
        "1\n1\n1 0\n",            /* unknown version */
        "0\n3\n1 0\n3 5\n",       /* fewer entries than the count */
        "0\n1\n1 0\n3 5\n",       /* more */
        "0\n3\n1 0\n3 5\n5 9",    /* torn last line */
        "0\n2\n1 0\n3 x\n",
        "0\n2\n-4 0\n3 5\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put_file(dir, bad[i]);
        log = open_log_opts(dir, &cfg, &clean);
        CHECK_ENTRIES(log, 1, 0, 3, 5, 5, 9);
        sl_log_close(log);
        check_file(dir, full);
    }

    /* Rebuilt with a later log start: trimmed to it. */
    put_file(dir, NULL);
    sl_log_open_opts_t later = {11, 6, 1, 0};
    log = open_log_opts(dir, &cfg, &later);
    CHECK_ENTRIES(log, 3, 6, 5, 9);
    sl_log_close(log);
    put_file(dir, full);

    /* Entries past the recovered end are dropped: one beyond the log in the
     * file, and then a torn last batch (epoch 5's only one). */
    put_file(dir, "0\n4\n1 0\n3 5\n5 9\n7 20\n");
    log = open_log_opts(dir, &cfg, &clean);
    CHECK_ENTRIES(log, 1, 0, 3, 5, 5, 9);
    sl_log_close(log);
    check_file(dir, full);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "truncate -s -5 %s/00000000000000000000.log", dir);
    assert_int_equal(system(cmd), 0);
    log = open_log_opts(dir, &cfg, NULL);
    assert_int_equal(sl_log_end_offset(log), 9);
    CHECK_ENTRIES(log, 1, 0, 3, 5);
    check_end(log, 3, 3, 9);
    sl_log_close(log);
    check_file(dir, "0\n2\n1 0\n3 5\n");

    /* After an unclean shutdown the batches past the recovery point add the
     * epochs the file missed; after a clean one the file is trusted. */
    assert_int_equal(leader_append(log = open_log(dir), 2, 8, 1000), 9);
    sl_log_close(log);
    put_file(dir, "0\n1\n1 0\n");
    sl_log_open_opts_t trusted = {11, -1, 1, 0};
    log = open_log_opts(dir, &cfg, &trusted);
    CHECK_ENTRIES(log, 1, 0);
    sl_log_close(log);
    sl_log_open_opts_t crashed = {5, -1, 0, 0};
    log = open_log_opts(dir, &cfg, &crashed);
    CHECK_ENTRIES(log, 1, 0, 3, 5, 8, 9);
    sl_log_close(log);
    check_file(dir, "0\n3\n1 0\n3 5\n8 9\n");
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(epochs, cmocka_unit_test(appends_record_rising_epochs),
              cmocka_unit_test(follower_appends_carry_epochs),
              cmocka_unit_test(truncation_drops_entries_and_lowers_hw),
              cmocka_unit_test(start_offset_advance_trims),
              cmocka_unit_test(checkpoint_rebuilt_from_batches))
