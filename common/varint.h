/* varint.h — Kafka's variable-length integers (record fields, flexible protocol
 * versions): unsigned LEB128 and zigzag-signed, 32- and 64-bit. */
#ifndef SL_COMMON_VARINT_H
#define SL_COMMON_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define SL_VARINT_MAX32 5  /* bytes a 32-bit varint can take */
#define SL_VARINT_MAX64 10 /* bytes a 64-bit varint can take */

/** Writes v as an unsigned varint to out (room for SL_VARINT_MAX64 bytes);
 * returns the number of bytes written. */
size_t sl_uvarint_put(uint8_t *out, uint64_t v);

/** Writes v zigzag-encoded; returns the number of bytes written. */
size_t sl_varint_put(uint8_t *out, int64_t v);

/** The number of bytes sl_uvarint_put / sl_varint_put would write. */
size_t sl_uvarint_len(uint64_t v);
size_t sl_varint_len(int64_t v);

/** Reads an unsigned varint of at most maxbytes bytes (SL_VARINT_MAX32 or
 * SL_VARINT_MAX64) from p[0..len). Returns the number of bytes read, or 0 when
 * the input ends first or the varint is longer than maxbytes / overflows. */
size_t sl_uvarint_get(const uint8_t *p, size_t len, size_t maxbytes, uint64_t *v);

/** Reads a zigzag varint as sl_uvarint_get does; 0 on bad input. */
size_t sl_varint_get(const uint8_t *p, size_t len, size_t maxbytes, int64_t *v);

/** Zigzag mapping: 0,-1,1,-2 ... -> 0,1,2,3 ... */
static inline uint64_t sl_zigzag_enc(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t sl_zigzag_dec(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

#endif
