/* test_varint.c — Kafka varints: known encodings, round trips, bad input. */
#include "testutil.h"

#include "common/varint.h"

static void known_encodings(void **state)
{
    (void)state;
    uint8_t out[SL_VARINT_MAX64];
    /* zigzag: 0->0, -1->1, 1->2, -2->3, 63->126, -64->127, 64->128 (two bytes) */
    assert_int_equal(sl_varint_put(out, 0), 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(sl_varint_put(out, -1), 1);
    assert_int_equal(out[0], 1);
    assert_int_equal(sl_varint_put(out, 1), 1);
    assert_int_equal(out[0], 2);
    assert_int_equal(sl_varint_put(out, -64), 1);
    assert_int_equal(out[0], 127);
    assert_int_equal(sl_varint_put(out, 64), 2);
    assert_int_equal(out[0], 0x80);
    assert_int_equal(out[1], 0x01);
    assert_int_equal(sl_uvarint_put(out, 300), 2);
    assert_int_equal(out[0], 0xac);
    assert_int_equal(out[1], 0x02);
    assert_int_equal(sl_varint_len(INT64_MIN), 10);
    assert_int_equal(sl_uvarint_len(UINT32_MAX), 5);
    assert_int_equal(sl_zigzag_enc(INT64_MIN), UINT64_MAX);
    assert_true(sl_zigzag_dec(UINT64_MAX) == INT64_MIN);
}

static void round_trips(void **state)
{
    (void)state;
    uint64_t seed = 42;
    const int64_t edges[] = {0, 1, -1, 63, -64, 64, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (int i = 0; i < 20000; i++) {
        int64_t v = i < 10 ? edges[i] : (int64_t)(sl_test_rand(&seed) >> (sl_test_rand(&seed) % 64));
        if (i % 2 && v != INT64_MIN)
            v = -v;
        uint8_t out[SL_VARINT_MAX64];
        size_t n = sl_varint_put(out, v);
        assert_int_equal(n, sl_varint_len(v));
        int64_t back;
        assert_int_equal(sl_varint_get(out, n, SL_VARINT_MAX64, &back), n);
        assert_true(back == v);
        /* Every shorter input is incomplete. */
        for (size_t k = 0; k < n; k++)
            assert_int_equal(sl_varint_get(out, k, SL_VARINT_MAX64, &back), 0);
        if (v >= INT32_MIN && v <= INT32_MAX) {
            assert_int_equal(sl_varint_get(out, n, SL_VARINT_MAX32, &back), n);
            assert_true(back == v);
        }
    }
}

static void overlong_is_rejected(void **state)
{
    (void)state;
    int64_t v;
    uint64_t u;
    const uint8_t eleven[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(sl_varint_get(eleven, sizeof eleven, SL_VARINT_MAX64, &v), 0);
    /* 5 bytes whose last carries bits beyond 32. */
    const uint8_t big32[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(sl_uvarint_get(big32, sizeof big32, SL_VARINT_MAX32, &u), 0);
    const uint8_t max32[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(sl_uvarint_get(max32, sizeof max32, SL_VARINT_MAX32, &u), 5);
    assert_true(u == UINT32_MAX);
    const uint8_t max64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(sl_uvarint_get(max64, sizeof max64, SL_VARINT_MAX64, &u), 10);
    assert_true(u == UINT64_MAX);
    const uint8_t bad64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_int_equal(sl_uvarint_get(bad64, sizeof bad64, SL_VARINT_MAX64, &u), 0);
}

SL_TEST_GROUP(varint, cmocka_unit_test(known_encodings), cmocka_unit_test(round_trips),
              cmocka_unit_test(overlong_is_rejected))
