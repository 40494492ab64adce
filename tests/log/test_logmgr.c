/* test_logmgr.c — the log manager: partitions of a data dir, Kafka's
 * checkpoint files, clean and unclean restarts, background maintenance. */
#include "testutil.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker/log/logmgr.h"
#include "logtest.h"

static sl_logmgr_t *open_mgr(const char *dir, const sl_logmgr_config_t *cfg)
{
    sl_logmgr_t *mgr = NULL;
    char err[256] = "";
    sl_err_t e = sl_logmgr_open(dir, cfg, &mgr, err, sizeof err);
    if (e)
        fail_msg("sl_logmgr_open: %s %s", sl_err_name(e), err);
    return mgr;
}

static void count_cb(void *opaque, const char *topic, int32_t partition, sl_log_t *log)
{
    (void)topic, (void)partition, (void)log;
    (*(int *)opaque)++;
}

static void partitions_and_checkpoints(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_logmgr_t *mgr = open_mgr(dir, NULL);
    sl_log_t *a, *b, *c;
    assert_int_equal(sl_logmgr_create(mgr, "orders", 0, NULL, &a), SL_OK);
    assert_int_equal(sl_logmgr_create(mgr, "orders", 1, NULL, &b), SL_OK);
    assert_int_equal(sl_logmgr_create(mgr, "my-topic.v2", 10, NULL, &c), SL_OK);
    sl_log_t *again;
    assert_int_equal(sl_logmgr_create(mgr, "orders", 1, NULL, &again), SL_ERR_EXISTS);
    assert_ptr_equal(again, b);
    assert_int_equal(sl_logmgr_create(mgr, "bad/name", 0, NULL, NULL), SL_ERR_INVAL);
    assert_int_equal(sl_logmgr_create(mgr, "..", 0, NULL, NULL), SL_ERR_INVAL);
    assert_int_equal(sl_logmgr_create(mgr, "", 0, NULL, NULL), SL_ERR_INVAL);
    assert_int_equal(sl_logmgr_create(mgr, "x", -1, NULL, NULL), SL_ERR_INVAL);
    assert_ptr_equal(sl_logmgr_get(mgr, "orders", 0), a);
    assert_null(sl_logmgr_get(mgr, "orders", 2));
    char *pd = lt_path(dir, "my-topic.v2-10");
    struct stat st;
    assert_int_equal(stat(pd, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    free(pd);

    for (int i = 0; i < 10; i++)
        lt_append(a, 3, 3 * i, 1000, 0);
    lt_append(c, 2, 0, 1000, 0);
    assert_int_equal(sl_log_advance_start_offset(a, 4), SL_OK);
    assert_int_equal(sl_log_flush(a), SL_OK);
    assert_int_equal(sl_logmgr_checkpoint(mgr), SL_OK);

    /* Kafka's text format: version, count, then "topic partition offset". */
    char *cp = lt_path(dir, "recovery-point-offset-checkpoint");
    size_t len;
    char *text = (char *)sl_test_read_file(cp, &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_true(strncmp(text, "0\n3\n", 4) == 0);
    assert_non_null(strstr(text, "orders 0 30\n"));
    assert_non_null(strstr(text, "orders 1 0\n"));
    assert_non_null(strstr(text, "my-topic.v2 10 0\n"));
    free(text), free(cp);
    cp = lt_path(dir, "log-start-offset-checkpoint");
    text = (char *)sl_test_read_file(cp, &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_non_null(strstr(text, "orders 0 4\n"));
    free(text), free(cp);

    int n = 0;
    sl_logmgr_foreach(mgr, count_cb, &n);
    assert_int_equal(n, 3);
    sl_logmgr_close(mgr);
    char *marker = lt_path(dir, ".kafka_cleanshutdown");
    assert_int_equal(access(marker, F_OK), 0);

    /* Reopen: every log is back, with its start offset; the marker is gone. */
    mgr = open_mgr(dir, NULL);
    assert_int_equal(access(marker, F_OK), -1);
    a = sl_logmgr_get(mgr, "orders", 0);
    c = sl_logmgr_get(mgr, "my-topic.v2", 10);
    assert_non_null(a);
    assert_non_null(c);
    assert_non_null(sl_logmgr_get(mgr, "orders", 1));
    assert_int_equal(sl_log_end_offset(a), 30);
    assert_int_equal(sl_log_start_offset(a), 4);
    assert_int_equal(sl_log_end_offset(c), 2);
    lt_check_all(a, 4, 30, 0);

    /* Delete a partition: its directory and checkpoint lines go. */
    assert_int_equal(sl_logmgr_delete(mgr, "my-topic.v2", 10), SL_OK);
    assert_int_equal(sl_logmgr_delete(mgr, "my-topic.v2", 10), SL_ERR_INVAL);
    pd = lt_path(dir, "my-topic.v2-10");
    assert_int_equal(access(pd, F_OK), -1);
    free(pd);
    cp = lt_path(dir, "recovery-point-offset-checkpoint");
    text = (char *)sl_test_read_file(cp, &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    assert_null(strstr(text, "my-topic.v2"));
    free(text), free(cp);
    sl_logmgr_close(mgr);
    free(marker);
    sl_test_rmdir(dir);
}

/* A crash (no close): the unflushed tail is recovered from the recovery point. */
static void unclean_restart(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_logmgr_config_t cfg = sl_logmgr_config_default();
    cfg.log_defaults.segment_bytes = 2000;
    sl_logmgr_t *mgr = open_mgr(dir, &cfg);
    sl_log_t *log;
    assert_int_equal(sl_logmgr_create(mgr, "t", 0, NULL, &log), SL_OK);
    for (int i = 0; i < 40; i++)
        lt_append(log, 2, 2 * i, 1000, 0);
    assert_int_equal(sl_logmgr_checkpoint(mgr), SL_OK);
    /* Simulate the crash: copy the directory as it is now, torn tail included. */
    char *copy = sl_test_mkdtemp();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -a %s/. %s/", dir, copy);
    assert_int_equal(system(cmd), 0);
    sl_logmgr_close(mgr);

    char *seg = NULL;
    {
        /* tear the active segment's last batch */
        snprintf(cmd, sizeof cmd, "f=$(ls %s/t-0/*.log | sort | tail -1); truncate -s -7 \"$f\"", copy);
        assert_int_equal(system(cmd), 0);
    }
    mgr = open_mgr(copy, &cfg);
    log = sl_logmgr_get(mgr, "t", 0);
    assert_non_null(log);
    assert_int_equal(sl_log_end_offset(log), 78);
    lt_check_all(log, 0, 78, 0);
    assert_int_equal(lt_append(log, 2, 78, 1000, 0), 78);
    sl_logmgr_close(mgr);
    free(seg);
    sl_test_rmdir(copy);
    sl_test_rmdir(dir);
}

static void maintenance_applies_retention_and_flush(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_logmgr_config_t cfg = sl_logmgr_config_default();
    cfg.log_defaults.segment_bytes = 1500;
    cfg.log_defaults.retention_ms = 5000;
    sl_logmgr_t *mgr = open_mgr(dir, &cfg);
    sl_log_t *log;
    sl_log_config_t lc = cfg.log_defaults;
    lc.flush_ms = 100;
    assert_int_equal(sl_logmgr_create(mgr, "t", 0, &lc, &log), SL_OK);
    /* Real time here: flush.ms counts from when the log opened. */
    struct timespec tv;
    clock_gettime(CLOCK_REALTIME, &tv);
    int64_t t0 = (int64_t)tv.tv_sec * 1000 + tv.tv_nsec / 1000000 - 40000;
    for (int i = 0; i < 40; i++)
        lt_append(log, 2, 2 * i, t0 + 1000 * i, 0);
    assert_true(sl_log_recovery_point(log) < 80);
    assert_int_equal(sl_logmgr_maintain(mgr, t0 + 40000 + 200), SL_OK);
    assert_int_equal(sl_log_recovery_point(log), 80);
    assert_true(sl_log_start_offset(log) > 0);
    int64_t start = sl_log_start_offset(log);
    lt_check_all(log, start, 80, 0);

    /* The background thread runs and stops cleanly. */
    assert_int_equal(sl_logmgr_start(mgr), SL_OK);
    assert_int_equal(sl_logmgr_start(mgr), SL_ERR_STATE);
    usleep(20000);
    sl_logmgr_close(mgr);
    mgr = open_mgr(dir, &cfg);
    log = sl_logmgr_get(mgr, "t", 0);
    assert_int_equal(sl_log_start_offset(log), start);
    assert_int_equal(sl_log_end_offset(log), 80);
    sl_logmgr_close(mgr);
    sl_test_rmdir(dir);
}

static char *read_text(const char *dir, const char *name)
{
    char *p = lt_path(dir, name);
    size_t len;
    char *text = (char *)sl_test_read_file(p, &len);
    text = realloc(text, len + 1);
    text[len] = 0;
    free(p);
    return text;
}

/* High watermarks: written to replication-offset-checkpoint with the other
 * checkpoints and restored on open, clamped to the log. */
static void high_watermark_checkpoint(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_logmgr_t *mgr = open_mgr(dir, NULL);
    sl_log_t *a, *b;
    assert_int_equal(sl_logmgr_create(mgr, "hw", 0, NULL, &a), SL_OK);
    assert_int_equal(sl_logmgr_create(mgr, "hw", 1, NULL, &b), SL_OK);
    for (int i = 0; i < 5; i++)
        lt_append(a, 2, 2 * i, 1000, 0);
    lt_append(b, 3, 0, 1000, 0);
    assert_int_equal(sl_log_high_watermark(a), 0); /* created empty, never set */
    assert_int_equal(sl_log_set_high_watermark(a, 6), 6);
    assert_int_equal(sl_logmgr_checkpoint(mgr), SL_OK);
    char *text = read_text(dir, "replication-offset-checkpoint");
    assert_true(strncmp(text, "0\n2\n", 4) == 0);
    assert_non_null(strstr(text, "hw 0 6\n"));
    assert_non_null(strstr(text, "hw 1 0\n"));
    free(text);
    sl_logmgr_close(mgr);

    /* Round trip across a restart. */
    mgr = open_mgr(dir, NULL);
    a = sl_logmgr_get(mgr, "hw", 0);
    b = sl_logmgr_get(mgr, "hw", 1);
    assert_int_equal(sl_log_end_offset(a), 10);
    assert_int_equal(sl_log_high_watermark(a), 6);
    assert_int_equal(sl_log_high_watermark(b), 0);

    /* Truncation below it lowers it, and that is what is checkpointed. */
    assert_int_equal(sl_log_truncate_to(a, 4), SL_OK);
    assert_int_equal(sl_log_high_watermark(a), 4);
    assert_int_equal(sl_log_set_high_watermark(b, 1), 1);
    sl_logmgr_close(mgr);
    text = read_text(dir, "replication-offset-checkpoint");
    assert_non_null(strstr(text, "hw 0 4\n"));
    assert_non_null(strstr(text, "hw 1 1\n"));
    free(text);

    /* A checkpoint past the log end is clamped to it; a log the file does not
     * name starts at its log end offset. */
    char *cp = lt_path(dir, "replication-offset-checkpoint");
    const char *edited = "0\n1\nhw 0 1000\n";
    sl_test_write_file(cp, edited, strlen(edited));
    mgr = open_mgr(dir, NULL);
    a = sl_logmgr_get(mgr, "hw", 0);
    assert_int_equal(sl_log_high_watermark(a), 4);
    assert_int_equal(sl_log_high_watermark(sl_logmgr_get(mgr, "hw", 1)), 3);
    assert_int_equal(sl_log_set_high_watermark(a, 2), 2);
    sl_logmgr_close(mgr);

    /* A malformed file costs the high watermarks (back at the log ends), as a
     * malformed checkpoint costs the recovery points. */
    sl_test_write_file(cp, "0\nx\n", 4);
    mgr = open_mgr(dir, NULL);
    assert_int_equal(sl_log_high_watermark(sl_logmgr_get(mgr, "hw", 0)), 4);
    sl_logmgr_close(mgr);
    free(cp);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(logmgr, cmocka_unit_test(partitions_and_checkpoints), cmocka_unit_test(unclean_restart),
              cmocka_unit_test(maintenance_applies_retention_and_flush),
              cmocka_unit_test(high_watermark_checkpoint))
