/* test_hash.c — CRC32C against RFC 3720's vectors; murmur2 against the Java client's. */
#include "testutil.h"

#include <string.h>

#include "common/crc32c.h"
#include "common/murmur2.h"

static void crc32c_vectors(void **state)
{
    (void)state;
    uint8_t buf[32];
    assert_int_equal(sl_crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(sl__crc32c_sw(0, "123456789", 9), 0xe3069283u);
    memset(buf, 0, 32);
    assert_int_equal(sl_crc32c(0, buf, 32), 0x8a9136aau);
    memset(buf, 0xff, 32);
    assert_int_equal(sl_crc32c(0, buf, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(sl_crc32c(0, buf, 32), 0x46dd794eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(sl_crc32c(0, buf, 32), 0x113fdb5cu);
    assert_int_equal(sl_crc32c(0, "", 0), 0);
}

static void crc32c_hw_matches_sw_and_chains(void **state)
{
    (void)state;
    uint8_t buf[4099];
    uint64_t seed = 7;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)sl_test_rand(&seed);
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 200; n += 7)
            assert_int_equal(sl_crc32c(0, buf + off, n), sl__crc32c_sw(0, buf + off, n));
    uint32_t whole = sl_crc32c(0, buf, sizeof buf);
    /* Long inputs take the three-stream path: every length and alignment
     * around its block sizes must agree with the table. */
    static uint8_t big[3 * 8192 * 2 + 777];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)sl_test_rand(&seed);
    const size_t lens[] = {767, 768, 769, 3 * 256 + 8, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 5,
                           3 * 8192 + 3 * 256 + 13, 2 * 3 * 8192 + 700, sizeof big - 8};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++)
        for (size_t off = 0; off < 8; off += 3)
            assert_int_equal(sl_crc32c(0x1234, big + off, lens[k]), sl__crc32c_sw(0x1234, big + off, lens[k]));
    for (size_t cut = 0; cut <= sizeof buf; cut += 511)
        assert_int_equal(sl_crc32c(sl_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), whole);
}

static void murmur2_java_vectors(void **state)
{
    (void)state;
    /* org.apache.kafka.common.utils.UtilsTest.testMurmur2 */
    static const struct {
        const char *key;
        int32_t hash;
    } cases[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(sl_murmur2(cases[i].key, strlen(cases[i].key)), cases[i].hash);
    /* The default partitioner: toPositive(hash) % n. */
    assert_int_equal(sl_murmur2_partition("21", 2, 1), 0);
    assert_int_equal(sl_murmur2_partition("foobar", 6, 10),
                     (int32_t)(((uint32_t)-790332482 & 0x7fffffffu) % 10));
}

SL_TEST_GROUP(hash, cmocka_unit_test(crc32c_vectors), cmocka_unit_test(crc32c_hw_matches_sw_and_chains),
              cmocka_unit_test(murmur2_java_vectors))
