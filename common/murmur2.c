/* murmur2.c — Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2). */
#include "common/murmur2.h"

int32_t sl_murmur2(const void *key, size_t len)
{
    const uint8_t *data = key;
    const uint32_t seed = 0x9747b28cu;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    uint32_t length = (uint32_t)len;
    uint32_t h = seed ^ length;
    uint32_t length4 = length / 4;

    for (uint32_t i = 0; i < length4; i++) {
        uint32_t i4 = i * 4;
        uint32_t k = (uint32_t)data[i4 + 0] | ((uint32_t)data[i4 + 1] << 8) |
                     ((uint32_t)data[i4 + 2] << 16) | ((uint32_t)data[i4 + 3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    /* Java's switch falls through, so do we. */
    switch (length % 4) {
    case 3:
        h ^= (uint32_t)data[(length & ~3u) + 2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)data[(length & ~3u) + 1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)data[length & ~3u];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t sl_murmur2_partition(const void *key, size_t len, int32_t num_partitions)
{
    /* Utils.toPositive: number & 0x7fffffff. */
    uint32_t positive = (uint32_t)sl_murmur2(key, len) & 0x7fffffffu;
    return (int32_t)(positive % (uint32_t)num_partitions);
}
