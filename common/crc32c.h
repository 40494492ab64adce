/* crc32c.h — CRC-32C (Castagnoli), the checksum of record batches v2.
 * Uses the SSE4.2 crc32 instruction when the CPU has it, a slicing table
 * otherwise; both give the same results. */
#ifndef SL_COMMON_CRC32C_H
#define SL_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/** Extends crc (0 to start) over n bytes of p and returns the new CRC.
 * Thread-safe; sl_crc32c(sl_crc32c(0, a, n), b, m) == CRC of a followed by b. */
uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n);

/** The software path alone (for tests and for comparing against the hardware). */
uint32_t sl__crc32c_sw(uint32_t crc, const void *p, size_t n);

/** 1 when the hardware path is in use. */
int sl_crc32c_hw_available(void);

#endif
