/* crc32c.c — CRC-32C for record batches: SSE4.2 when present, else slicing-by-8. */
#include "common/crc32c.h"

#include <pthread.h>
#include <string.h>

#define SL__CRC32C_POLY 0x82f63b78u /* reflected Castagnoli polynomial */

static uint32_t sl__crc_table[8][256];
static pthread_once_t sl__crc_once = PTHREAD_ONCE_INIT;
static int sl__crc_hw;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define SL__CRC_HAVE_X86 1

/* Three independent crc32 streams over three adjacent blocks, combined with
 * "append n zero bytes" operators (the shift tables below): the instruction
 * has 3 cycles of latency and a throughput of one per cycle, so one stream
 * leaves two thirds of it idle. Hand-written because Debian packages no
 * CRC-32C library; bench_log measured the single stream at ~8 GB/s, a third
 * of the append path's budget (docs/benchmarks.md). */
#define SL__CRC_LONG 8192
#define SL__CRC_SHORT 256
static uint32_t sl__crc_long[4][256], sl__crc_short[4][256];

static uint32_t sl__gf2_times(const uint32_t *mat, uint32_t vec)
{
    uint32_t sum = 0;
    while (vec) {
        if (vec & 1)
            sum ^= *mat;
        vec >>= 1;
        mat++;
    }
    return sum;
}

static void sl__gf2_square(uint32_t *square, const uint32_t *mat)
{
    for (int n = 0; n < 32; n++)
        square[n] = sl__gf2_times(mat, mat[n]);
}

/* Tables that multiply a CRC state by x^(8 len) mod P: appending len zero
 * bytes. len must be a power of two. */
static void sl__crc_zeros(uint32_t zeros[4][256], size_t len)
{
    uint32_t odd[32], even[32], *op = NULL;
    odd[0] = SL__CRC32C_POLY; /* the operator for one zero bit */
    for (int n = 1; n < 32; n++)
        odd[n] = 1u << (n - 1);
    sl__gf2_square(even, odd); /* two zero bits */
    sl__gf2_square(odd, even); /* four */
    for (;;) {
        sl__gf2_square(even, odd); /* 8, 32, 128 … zero bits */
        len >>= 1;
        if (!len) {
            op = even;
            break;
        }
        sl__gf2_square(odd, even); /* 16, 64, 256 … */
        len >>= 1;
        if (!len) {
            op = odd;
            break;
        }
    }
    for (uint32_t n = 0; n < 256; n++) {
        zeros[0][n] = sl__gf2_times(op, n);
        zeros[1][n] = sl__gf2_times(op, n << 8);
        zeros[2][n] = sl__gf2_times(op, n << 16);
        zeros[3][n] = sl__gf2_times(op, n << 24);
    }
}

static inline uint32_t sl__crc_shift(uint32_t zeros[4][256], uint32_t crc)
{
    return zeros[0][crc & 0xff] ^ zeros[1][(crc >> 8) & 0xff] ^ zeros[2][(crc >> 16) & 0xff] ^
           zeros[3][crc >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t sl__crc32c_hw(uint32_t crc, const void *buf,
                                                                  size_t n)
{
    const uint8_t *p = buf;
    uint64_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
        n--;
    }
    static const size_t blocks[2] = {SL__CRC_LONG, SL__CRC_SHORT};
    for (int b = 0; b < 2; b++) {
        size_t len = blocks[b];
        uint32_t(*zeros)[256] = b == 0 ? sl__crc_long : sl__crc_short;
        while (n >= 3 * len) {
            uint64_t c1 = 0, c2 = 0;
            const uint8_t *end = p + len;
            do {
                uint64_t v0, v1, v2;
                memcpy(&v0, p, 8);
                memcpy(&v1, p + len, 8);
                memcpy(&v2, p + 2 * len, 8);
                c = __builtin_ia32_crc32di(c, v0);
                c1 = __builtin_ia32_crc32di(c1, v1);
                c2 = __builtin_ia32_crc32di(c2, v2);
                p += 8;
            } while (p < end);
            c = sl__crc_shift(zeros, (uint32_t)c) ^ (uint32_t)c1;
            c = sl__crc_shift(zeros, (uint32_t)c) ^ (uint32_t)c2;
            p += 2 * len;
            n -= 3 * len;
        }
    }
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#endif

static void sl__crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ SL__CRC32C_POLY : c >> 1;
        sl__crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = sl__crc_table[0][i];
        for (int t = 1; t < 8; t++) {
            c = sl__crc_table[0][c & 0xff] ^ (c >> 8);
            sl__crc_table[t][i] = c;
        }
    }
#ifdef SL__CRC_HAVE_X86
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d))
        sl__crc_hw = (c & bit_SSE4_2) != 0;
    if (sl__crc_hw) {
        sl__crc_zeros(sl__crc_long, SL__CRC_LONG);
        sl__crc_zeros(sl__crc_short, SL__CRC_SHORT);
    }
#endif
}

uint32_t sl__crc32c_sw(uint32_t crc, const void *buf, size_t n)
{
    pthread_once(&sl__crc_once, sl__crc_init);
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = sl__crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    while (n >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        c = sl__crc_table[7][lo & 0xff] ^ sl__crc_table[6][(lo >> 8) & 0xff] ^
            sl__crc_table[5][(lo >> 16) & 0xff] ^ sl__crc_table[4][lo >> 24] ^
            sl__crc_table[3][p[4]] ^ sl__crc_table[2][p[5]] ^ sl__crc_table[1][p[6]] ^
            sl__crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = sl__crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&sl__crc_once, sl__crc_init);
#ifdef SL__CRC_HAVE_X86
    if (sl__crc_hw)
        return sl__crc32c_hw(crc, p, n);
#endif
    return sl__crc32c_sw(crc, p, n);
}

int sl_crc32c_hw_available(void)
{
    pthread_once(&sl__crc_once, sl__crc_init);
    return sl__crc_hw;
}
