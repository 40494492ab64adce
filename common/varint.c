/* varint.c — Kafka's unsigned and zigzag varints. */
#include "common/varint.h"

size_t sl_uvarint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

size_t sl_varint_put(uint8_t *out, int64_t v) { return sl_uvarint_put(out, sl_zigzag_enc(v)); }

size_t sl_uvarint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t sl_varint_len(int64_t v) { return sl_uvarint_len(sl_zigzag_enc(v)); }

size_t sl_uvarint_get(const uint8_t *p, size_t len, size_t maxbytes, uint64_t *v)
{
    uint64_t r = 0;
    unsigned shift = 0;
    for (size_t i = 0; i < len && i < maxbytes; i++) {
        uint8_t b = p[i];
        if (i == maxbytes - 1) {
            /* The last byte may carry only the bits left of the width. */
            unsigned width = maxbytes == SL_VARINT_MAX32 ? 32 : 64;
            if ((b & 0x80) || (b >> (width - shift)) != 0)
                return 0;
        }
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return i + 1;
        }
        shift += 7;
    }
    return 0;
}

size_t sl_varint_get(const uint8_t *p, size_t len, size_t maxbytes, int64_t *v)
{
    uint64_t u;
    size_t n = sl_uvarint_get(p, len, maxbytes, &u);
    if (n) {
        if (maxbytes == SL_VARINT_MAX32)
            *v = (int32_t)((uint32_t)(u >> 1) ^ -(uint32_t)(u & 1));
        else
            *v = sl_zigzag_dec(u);
    }
    return n;
}
