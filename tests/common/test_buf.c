/* test_buf.c — growable buffers and the arena. */
#include "testutil.h"

#include <stdalign.h>

#include "common/buf.h"

static void append_and_grow(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(sl_buf_put_u8(&b, (uint8_t)i), SL_OK);
    assert_int_equal(b.len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(b.data[i], (uint8_t)i);
    assert_true(b.cap >= b.len);
    sl_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(sl_buf_append(&b, NULL, 0), SL_OK);
    uint8_t *p = sl_buf_extend(&b, 3);
    assert_non_null(p);
    assert_int_equal(b.len, 3);
    sl_buf_free(&b);
    assert_null(b.data);
    sl_buf_free(NULL);
}

static void big_endian(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_buf_put_be16(&b, 0x0102), SL_OK);
    assert_int_equal(sl_buf_put_be32(&b, 0x03040506), SL_OK);
    assert_int_equal(sl_buf_put_be64(&b, 0x0708090a0b0c0d0eull), SL_OK);
    const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    assert_int_equal(sl_load_be16(b.data), 0x0102);
    assert_int_equal(sl_load_be32(b.data + 2), 0x03040506);
    assert_true(sl_load_be64(b.data + 6) == 0x0708090a0b0c0d0eull);
    sl_buf_free(&b);
}

static void arena(void **state)
{
    (void)state;
    sl_arena_t a = SL_ARENA_INIT;
    a.chunk_size = 256;
    void *ptrs[1000];
    for (int i = 0; i < 1000; i++) {
        ptrs[i] = sl_arena_alloc(&a, (size_t)(i % 37));
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % alignof(max_align_t), 0);
        memset(ptrs[i], i & 0xff, (size_t)(i % 37));
    }
    for (int i = 0; i < 1000; i++)
        for (int j = 0; j < i % 37; j++)
            assert_int_equal(((uint8_t *)ptrs[i])[j], i & 0xff);
    void *big = sl_arena_alloc(&a, 100000); /* larger than a chunk */
    assert_non_null(big);
    memset(big, 1, 100000);
    char *s = sl_arena_memdup(&a, "hello", 6);
    assert_string_equal(s, "hello");
    sl_arena_reset(&a);
    assert_non_null(sl_arena_alloc(&a, 10));
    sl_arena_free(&a);
    sl_arena_free(NULL);
}

SL_TEST_GROUP(buf, cmocka_unit_test(append_and_grow), cmocka_unit_test(big_endian),
              cmocka_unit_test(arena))
