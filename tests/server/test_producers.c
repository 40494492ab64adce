/* test_producers.c — idempotent producer state and producer ids. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/producers.h"

static sl_batch_header_t batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count, int64_t offset)
{
    sl_batch_header_t h;
    memset(&h, 0, sizeof h);
    h.producer_id = pid;
    h.producer_epoch = epoch;
    h.base_sequence = seq;
    h.last_offset_delta = count - 1;
    h.record_count = count;
    h.base_offset = offset;
    return h;
}

static void sequences_and_duplicates(void **state)
{
    (void)state;
    sl_pstate_t *ps = sl_pstate_new();
    int64_t dup = -1;
    sl_batch_header_t h = batch(7, 0, 0, 10, 100);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    assert_int_equal(sl_pstate_record(ps, &h, 1), SL_OK);
    for (int i = 1; i < 8; i++) {
        h = batch(7, 0, 10 * i, 10, 100 + 10 * i);
        assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
        assert_int_equal(sl_pstate_record(ps, &h, 1), SL_OK);
    }
    /* The last five batches are recognised; older ones are out of order. */
    for (int i = 3; i < 8; i++) {
        h = batch(7, 0, 10 * i, 10, -1);
        assert_int_equal(sl_pstate_check(ps, &h, &dup), 1);
        assert_int_equal(dup, 100 + 10 * i);
    }
    h = batch(7, 0, 20, 10, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_ERR_OUT_OF_ORDER_SEQUENCE);
    h = batch(7, 0, 90, 10, -1); /* a gap */
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_ERR_OUT_OF_ORDER_SEQUENCE);
    assert_int_equal(sl_err_kafka_code(SL_ERR_OUT_OF_ORDER_SEQUENCE), 45);
    h = batch(7, 0, 80, 5, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    /* Epochs: older refused, newer must start at 0. */
    h = batch(7, 1, 5, 1, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_ERR_OUT_OF_ORDER_SEQUENCE);
    h = batch(7, 1, 0, 1, 300);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    assert_int_equal(sl_pstate_record(ps, &h, 1), SL_OK);
    h = batch(7, 0, 80, 1, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(sl_err_kafka_code(SL_ERR_INVALID_PRODUCER_EPOCH), 47);
    /* Sequences wrap after INT32_MAX. */
    h = batch(8, 0, INT32_MAX - 1, 2, 400);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK); /* unknown producer: any start */
    assert_int_equal(sl_pstate_record(ps, &h, 1), SL_OK);
    h = batch(8, 0, 0, 1, 402);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    /* Non-idempotent batches are never checked. */
    h = batch(-1, -1, -1, 3, 0);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    assert_int_equal(sl_pstate_count(ps), 2);
    /* Many producers (the table grows), then expiry. */
    for (int p = 100; p < 1100; p++) {
        h = batch(p, 0, 0, 1, p);
        assert_int_equal(sl_pstate_record(ps, &h, p < 600 ? 10 : 1000), SL_OK);
    }
    assert_int_equal(sl_pstate_count(ps), 1002);
    sl_pstate_expire(ps, 1500, 600);
    assert_int_equal(sl_pstate_count(ps), 500);
    h = batch(700, 0, 0, 1, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), 1);
    h = batch(200, 0, 5, 1, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK); /* forgotten: unknown again */
    sl_pstate_free(ps);
}

static void rebuilt_from_the_log(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_log_config_t cfg = sl_log_config_default();
    cfg.segment_bytes = 300;
    sl_log_t *log;
    char err[256];
    assert_int_equal(sl_log_open(dir, &cfg, NULL, &log, err, sizeof err), SL_OK);
    for (int i = 0; i < 12; i++) {
        sl_batch_opts_t o = sl_batch_opts_default();
        o.producer_id = 42;
        o.producer_epoch = 3;
        o.base_sequence = 2 * i;
        sl_batch_builder_t b;
        sl_batch_builder_init(&b, &o);
        assert_int_equal(sl_batch_builder_add(&b, -1, 1000, "k", 1, "value-one", 9, NULL, 0), SL_OK);
        assert_int_equal(sl_batch_builder_add(&b, -1, 1000, "k", 1, "value-two", 9, NULL, 0), SL_OK);
        sl_buf_t out = SL_BUF_INIT;
        assert_int_equal(sl_batch_builder_finish(&b, &out), SL_OK);
        assert_int_equal(sl_log_append(log, out.data, out.len, -1, 0, NULL), SL_OK);
        sl_buf_free(&out);
        sl_batch_builder_destroy(&b);
    }
    assert_true(sl_log_segment_count(log) > 2);
    sl_pstate_t *ps = sl_pstate_new();
    assert_int_equal(sl_pstate_load(ps, log), SL_OK);
    int64_t dup;
    sl_batch_header_t h = batch(42, 3, 22, 2, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), 1);
    assert_int_equal(dup, 22);
    h = batch(42, 3, 24, 2, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_OK);
    h = batch(42, 3, 26, 2, -1);
    assert_int_equal(sl_pstate_check(ps, &h, &dup), SL_ERR_OUT_OF_ORDER_SEQUENCE);
    sl_pstate_free(ps);
    sl_log_close(log);
    sl_test_rmdir(dir);
}

static void producer_ids(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    sl_pid_alloc_t *a;
    assert_int_equal(sl_pid_alloc_open(dir, &a), SL_OK);
    int64_t id, prev = -1;
    for (int i = 0; i < 2500; i++) {
        assert_int_equal(sl_pid_alloc_next(a, &id), SL_OK);
        assert_true(id > prev);
        prev = id;
    }
    sl_pid_alloc_close(a);
    /* After a restart (or a crash) no id is handed out again. */
    assert_int_equal(sl_pid_alloc_open(dir, &a), SL_OK);
    assert_int_equal(sl_pid_alloc_next(a, &id), SL_OK);
    assert_true(id > prev);
    sl_pid_alloc_close(a);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(producers, cmocka_unit_test(sequences_and_duplicates), cmocka_unit_test(rebuilt_from_the_log),
              cmocka_unit_test(producer_ids))
