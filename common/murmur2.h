/* murmur2.h — Kafka's murmur2 hash, as the Java client's default partitioner
 * computes it, so that Sluice and Java clients place a key on the same
 * partition. */
#ifndef SL_COMMON_MURMUR2_H
#define SL_COMMON_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/** Kafka's Utils.murmur2(bytes): seed 0x9747b28c, returned as a signed 32-bit. */
int32_t sl_murmur2(const void *key, size_t len);

/** The partition the Java client's default partitioner picks for a non-null
 * key: toPositive(murmur2(key)) % num_partitions. num_partitions must be > 0. */
int32_t sl_murmur2_partition(const void *key, size_t len, int32_t num_partitions);

#endif
