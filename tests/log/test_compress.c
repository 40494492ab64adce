/* test_compress.c — the batch codecs: round trips, Kafka's framings byte by
 * byte, foreign framings we must read (raw snappy, zlib, linked LZ4 blocks,
 * zstd without a content size), the decompression cap, and corrupt input. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "broker/log/batch.h"

static const sl_compression_t codecs[] = {SL_COMPRESSION_NONE, SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY,
                                          SL_COMPRESSION_LZ4, SL_COMPRESSION_ZSTD};
#define NCODECS (sizeof codecs / sizeof codecs[0])

/* Compressible but not trivial: words from a small vocabulary, some noise. */
static uint8_t *make_data(size_t n, uint64_t seed)
{
    static const char *const words[] = {"kafka ", "sluice ", "record ", "batch ", "offset ", "ts=", "0", "1"};
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    size_t i = 0;
    while (i < n) {
        uint64_t r = sl_test_rand(&seed);
        if (r % 7 == 0) {
            p[i++] = (uint8_t)(r >> 8);
            continue;
        }
        const char *w = words[(r >> 3) % 8];
        for (size_t k = 0; w[k] && i < n; k++)
            p[i++] = (uint8_t)w[k];
    }
    return p;
}

static void round_trip_every_codec(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 100, 32767, 32768, 32769, 65536 * 3 + 17, 300000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        uint8_t *data = make_data(n, 7 + n);
        for (size_t c = 0; c < NCODECS; c++) {
            for (int level = 0; level <= 1; level++) {
                sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
                /* Appends: what is already in the buffers stays. */
                assert_int_equal(sl_buf_append(&z, "pre", 3), SL_OK);
                assert_int_equal(sl_buf_append(&back, "PRE", 3), SL_OK);
                assert_int_equal(sl_compress(codecs[c], level, data, n, &z), SL_OK);
                assert_memory_equal(z.data, "pre", 3);
                assert_int_equal(sl_decompress(codecs[c], z.data + 3, z.len - 3, n, &back), SL_OK);
                assert_int_equal(back.len, n + 3);
                assert_memory_equal(back.data, "PRE", 3);
                if (n)
                    assert_memory_equal(back.data + 3, data, n);
                sl_buf_free(&z);
                sl_buf_free(&back);
            }
        }
        free(data);
    }
}

static void gzip_framing(void **state)
{
    (void)state;
    uint8_t *data = make_data(5000, 1);
    sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_GZIP, 6, data, 5000, &z), SL_OK);
    /* RFC 1952: ID1 ID2 CM=deflate. */
    assert_int_equal(z.data[0], 0x1f);
    assert_int_equal(z.data[1], 0x8b);
    assert_int_equal(z.data[2], 8);
    /* The trailer's ISIZE is the input length, little-endian. */
    const uint8_t *t = z.data + z.len - 4;
    assert_int_equal(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, 5000);

    /* Two concatenated members read as one stream, as GZIPInputStream does. */
    sl_buf_t two = SL_BUF_INIT;
    assert_int_equal(sl_buf_append(&two, z.data, z.len), SL_OK);
    assert_int_equal(sl_buf_append(&two, z.data, z.len), SL_OK);
    assert_int_equal(sl_decompress(SL_COMPRESSION_GZIP, two.data, two.len, 10000, &back), SL_OK);
    assert_int_equal(back.len, 10000);
    assert_memory_equal(back.data + 5000, data, 5000);

    /* A zlib-wrapped stream is detected too. */
    uLongf zl = compressBound(5000);
    uint8_t *zb = malloc(zl);
    assert_int_equal(compress2(zb, &zl, data, 5000, 6), Z_OK);
    sl_buf_reset(&back);
    assert_int_equal(sl_decompress(SL_COMPRESSION_GZIP, zb, zl, 5000, &back), SL_OK);
    assert_memory_equal(back.data, data, 5000);

    /* Trailing garbage after a member is an error. */
    assert_int_equal(sl_buf_append(&z, "xyz", 3), SL_OK);
    sl_buf_reset(&back);
    assert_int_equal(sl_decompress(SL_COMPRESSION_GZIP, z.data, z.len, 10000, &back), SL_ERR_COMPRESSION);
    assert_int_equal(back.len, 0);
    free(zb);
    free(data);
    sl_buf_free(&z);
    sl_buf_free(&two);
    sl_buf_free(&back);
}

/* The framing snappy-java's SnappyOutputStream writes and Kafka's Java
 * client expects: magic, version 1, compatible version 1, then
 * [be32 length][raw block] per 32 KiB of input. */
static void snappy_xerial_framing(void **state)
{
    (void)state;
    const size_t n = 32768 * 2 + 1000;
    uint8_t *data = make_data(n, 2);
    sl_buf_t z = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_SNAPPY, 0, data, n, &z), SL_OK);
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_true(z.len > 16);
    assert_memory_equal(z.data, header, 16);
    const uint8_t *p = z.data + 16, *end = z.data + z.len;
    size_t off = 0, chunks = 0;
    char *block = malloc(32768);
    while (p < end) {
        assert_true(end - p >= 4);
        uint32_t clen = sl_load_be32(p);
        p += 4;
        assert_true(clen <= (size_t)(end - p));
        size_t ulen = 32768;
        assert_int_equal(snappy_uncompress((const char *)p, clen, block, &ulen), SNAPPY_OK);
        assert_int_equal(ulen, n - off < 32768 ? n - off : 32768);
        assert_memory_equal(block, data + off, ulen);
        off += ulen, p += clen, chunks++;
    }
    assert_int_equal(off, n);
    assert_int_equal(chunks, 3);

    /* Empty input: the header alone, which decodes to nothing. */
    sl_buf_t e = SL_BUF_INIT, back = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_SNAPPY, 0, NULL, 0, &e), SL_OK);
    assert_int_equal(e.len, 16);
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, e.data, e.len, 0, &back), SL_OK);
    assert_int_equal(back.len, 0);
    free(block);
    free(data);
    sl_buf_free(&z);
    sl_buf_free(&e);
    sl_buf_free(&back);
}

/* librdkafka (and so kcat) writes one raw snappy block, no framing. */
static void snappy_raw_block(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 1000, 100000};
    for (size_t s = 0; s < 3; s++) {
        size_t n = sizes[s];
        uint8_t *data = make_data(n, 3 + n);
        size_t clen = snappy_max_compressed_length(n);
        char *raw = malloc(clen);
        assert_int_equal(snappy_compress((const char *)data, n, raw, &clen), SNAPPY_OK);
        sl_buf_t back = SL_BUF_INIT;
        assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, (uint8_t *)raw, clen, n, &back), SL_OK);
        assert_int_equal(back.len, n);
        assert_memory_equal(back.data, data, n);
        /* The cap holds for raw blocks too. */
        sl_buf_reset(&back);
        assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, (uint8_t *)raw, clen, n - 1, &back),
                         SL_ERR_RECORD_TOO_LARGE);
        assert_int_equal(back.len, 0);
        sl_buf_free(&back);
        free(raw);
        free(data);
    }
    /* The empty raw block is one byte: length 0. */
    const uint8_t empty = 0;
    sl_buf_t back = SL_BUF_INIT;
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, &empty, 1, 10, &back), SL_OK);
    assert_int_equal(back.len, 0);
    sl_buf_free(&back);
}

static void lz4_framing(void **state)
{
    (void)state;
    const size_t n = 200000;
    uint8_t *data = make_data(n, 4);
    sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_LZ4, 0, data, n, &z), SL_OK);
    /* Frame magic 0x184D2204 (LE); FLG: version 01, block independence;
     * BD: 64 KiB blocks (KafkaLZ4BlockOutputStream's defaults). */
    assert_int_equal(z.data[0], 0x04);
    assert_int_equal(z.data[1], 0x22);
    assert_int_equal(z.data[2], 0x4d);
    assert_int_equal(z.data[3], 0x18);
    assert_int_equal(z.data[4], 0x60);
    assert_int_equal(z.data[5], 0x40);

    /* A frame with linked blocks, checksums and a content size (what other
     * clients may write) decodes too. */
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockMode = LZ4F_blockLinked;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    prefs.frameInfo.contentSize = n;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    uint8_t *f = malloc(bound);
    size_t flen = LZ4F_compressFrame(f, bound, data, n, &prefs);
    assert_false(LZ4F_isError(flen));
    assert_int_equal(sl_decompress(SL_COMPRESSION_LZ4, f, flen, n, &back), SL_OK);
    assert_int_equal(back.len, n);
    assert_memory_equal(back.data, data, n);
    /* With a content checksum, a flipped literal is caught. */
    f[flen / 2] ^= 0x01;
    sl_buf_reset(&back);
    assert_int_equal(sl_decompress(SL_COMPRESSION_LZ4, f, flen, n, &back), SL_ERR_COMPRESSION);
    free(f);
    free(data);
    sl_buf_free(&z);
    sl_buf_free(&back);
}

static void zstd_framing(void **state)
{
    (void)state;
    const size_t n = 150000;
    uint8_t *data = make_data(n, 5);
    sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_ZSTD, 0, data, n, &z), SL_OK);
    static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    assert_memory_equal(z.data, magic, 4);
    assert_int_equal(ZSTD_getFrameContentSize(z.data, z.len), n);

    /* A streamed frame has no content size: the streaming decoder copes. */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
    size_t bound = ZSTD_compressBound(n) + 64;
    uint8_t *f = malloc(bound);
    ZSTD_outBuffer o = {f, bound, 0};
    ZSTD_inBuffer in = {data, n, 0};
    assert_int_equal(ZSTD_compressStream2(cc, &o, &in, ZSTD_e_end), 0);
    ZSTD_freeCCtx(cc);
    assert_true(ZSTD_getFrameContentSize(f, o.pos) == ZSTD_CONTENTSIZE_UNKNOWN);
    assert_int_equal(sl_decompress(SL_COMPRESSION_ZSTD, f, o.pos, n, &back), SL_OK);
    assert_int_equal(back.len, n);
    assert_memory_equal(back.data, data, n);
    sl_buf_reset(&back);
    assert_int_equal(sl_decompress(SL_COMPRESSION_ZSTD, f, o.pos, n - 1, &back), SL_ERR_RECORD_TOO_LARGE);
    assert_int_equal(back.len, 0);
    free(f);
    free(data);
    sl_buf_free(&z);
    sl_buf_free(&back);
}

/* Exactly the cap is fine, one byte less is SL_ERR_RECORD_TOO_LARGE, and the
 * buffer is left as it was. */
static void cap_is_exact(void **state)
{
    (void)state;
    const size_t sizes[] = {1, 4096, 100000};
    for (size_t s = 0; s < 3; s++) {
        size_t n = sizes[s];
        uint8_t *data = make_data(n, 6 + n);
        for (size_t c = 0; c < NCODECS; c++) {
            sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
            assert_int_equal(sl_compress(codecs[c], 0, data, n, &z), SL_OK);
            assert_int_equal(sl_decompress(codecs[c], z.data, z.len, n, &back), SL_OK);
            assert_int_equal(back.len, n);
            assert_int_equal(sl_buf_append(&back, "x", 1), SL_OK);
            size_t before = back.len;
            assert_int_equal(sl_decompress(codecs[c], z.data, z.len, n - 1, &back), SL_ERR_RECORD_TOO_LARGE);
            assert_int_equal(back.len, before);
            assert_int_equal(sl_decompress(codecs[c], z.data, z.len, 0, &back), SL_ERR_RECORD_TOO_LARGE);
            sl_buf_free(&z);
            sl_buf_free(&back);
        }
        free(data);
    }
}

/* 32 MiB of zeros compress to almost nothing; with a 1 MiB cap every codec
 * refuses, and the output buffer never grows much past the cap. */
static void zip_bomb(void **state)
{
    (void)state;
    const size_t n = 32u << 20, cap = 1u << 20;
    uint8_t *zeros = calloc(n, 1);
    assert_non_null(zeros);
    for (size_t c = 1; c < NCODECS; c++) {
        sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, zeros, n, &z), SL_OK);
        assert_true(z.len < n / 10);
        assert_int_equal(sl_decompress(codecs[c], z.data, z.len, cap, &back), SL_ERR_RECORD_TOO_LARGE);
        assert_int_equal(back.len, 0);
        assert_true(back.cap <= 2 * cap);
        sl_buf_free(&z);
        sl_buf_free(&back);
    }
    free(zeros);

    /* A raw snappy block that claims 4 GiB is refused before any allocation. */
    const uint8_t claim[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
    sl_buf_t back = SL_BUF_INIT;
    assert_int_equal(sl_decompress(SL_COMPRESSION_SNAPPY, claim, sizeof claim, cap, &back),
                     SL_ERR_RECORD_TOO_LARGE);
    assert_null(back.data);
    sl_buf_free(&back);
}

/* Every strict prefix of a stream is an error (never a crash), except where
 * the framing legitimately ends early: xerial snappy at a chunk boundary. */
static void truncated_streams(void **state)
{
    (void)state;
    const size_t n = 70000;
    uint8_t *data = make_data(n, 8);
    for (size_t c = 1; c < NCODECS; c++) {
        sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, data, n, &z), SL_OK);
        size_t step = z.len > 3000 ? 7 : 1;
        for (size_t k = 0; k < z.len; k += (k < 64 || z.len - k < 64) ? 1 : step) {
            sl_buf_reset(&back);
            /* A copy of exactly k bytes, so ASan sees any read past it. */
            uint8_t *prefix = malloc(k ? k : 1);
            memcpy(prefix, z.data, k);
            sl_err_t err = sl_decompress(codecs[c], prefix, k, n, &back);
            free(prefix);
            if (codecs[c] == SL_COMPRESSION_SNAPPY && err == SL_OK)
                assert_true(back.len < n); /* ended at a chunk boundary */
            else
                assert_int_equal(err, SL_ERR_COMPRESSION);
        }
        sl_buf_free(&z);
        sl_buf_free(&back);
    }
    free(data);
}

/* Flipped bytes and random garbage: any of the documented results, never a
 * crash or a read out of bounds. */
static void corrupt_streams(void **state)
{
    (void)state;
    const size_t n = 20000;
    uint8_t *data = make_data(n, 9);
    uint64_t seed = 99;
    for (size_t c = 1; c < NCODECS; c++) {
        sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
        assert_int_equal(sl_compress(codecs[c], 0, data, n, &z), SL_OK);
        uint8_t *copy = malloc(z.len);
        for (int i = 0; i < 2000; i++) {
            memcpy(copy, z.data, z.len);
            int flips = 1 + (int)(sl_test_rand(&seed) % 4);
            for (int f = 0; f < flips; f++)
                copy[sl_test_rand(&seed) % z.len] ^= (uint8_t)(1u << (sl_test_rand(&seed) % 8));
            sl_buf_reset(&back);
            sl_err_t err = sl_decompress(codecs[c], copy, z.len, n, &back);
            assert_true(err == SL_OK || err == SL_ERR_COMPRESSION || err == SL_ERR_RECORD_TOO_LARGE);
            if (err)
                assert_int_equal(back.len, 0);
            else
                assert_true(back.len <= n);
        }
        for (int i = 0; i < 500; i++) {
            size_t len = sl_test_rand(&seed) % 300;
            for (size_t k = 0; k < len; k++)
                copy[k] = (uint8_t)sl_test_rand(&seed);
            sl_buf_reset(&back);
            sl_err_t err = sl_decompress(codecs[c], copy, len, n, &back);
            assert_true(err == SL_OK || err == SL_ERR_COMPRESSION || err == SL_ERR_RECORD_TOO_LARGE);
        }
        /* Garbage behind a valid prefix of each framing. */
        sl_buf_reset(&back);
        assert_int_equal(sl_decompress(codecs[c], (const uint8_t *)"not compressed at all", 21, n, &back),
                         SL_ERR_COMPRESSION);
        sl_buf_reset(&back);
        assert_int_equal(sl_decompress(codecs[c], NULL, 0, n, &back), SL_ERR_COMPRESSION);
        free(copy);
        sl_buf_free(&z);
        sl_buf_free(&back);
    }
    free(data);
}

static void gzip_checksum_is_checked(void **state)
{
    (void)state;
    uint8_t *data = make_data(1000, 10);
    sl_buf_t z = SL_BUF_INIT, back = SL_BUF_INIT;
    assert_int_equal(sl_compress(SL_COMPRESSION_GZIP, 0, data, 1000, &z), SL_OK);
    z.data[z.len - 6] ^= 0x40; /* inside the CRC-32 trailer */
    assert_int_equal(sl_decompress(SL_COMPRESSION_GZIP, z.data, z.len, 1000, &back), SL_ERR_COMPRESSION);
    free(data);
    sl_buf_free(&z);
    sl_buf_free(&back);
}

static void unsupported_codec(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_compress((sl_compression_t)5, 0, (const uint8_t *)"x", 1, &b),
                     SL_ERR_UNSUPPORTED_COMPRESSION);
    assert_int_equal(sl_decompress((sl_compression_t)7, (const uint8_t *)"x", 1, 10, &b),
                     SL_ERR_UNSUPPORTED_COMPRESSION);
    assert_int_equal(b.len, 0);
    /* "none" copies, capped like the rest. */
    assert_int_equal(sl_decompress(SL_COMPRESSION_NONE, (const uint8_t *)"abc", 3, 2, &b),
                     SL_ERR_RECORD_TOO_LARGE);
    assert_int_equal(sl_decompress(SL_COMPRESSION_NONE, (const uint8_t *)"abc", 3, 3, &b), SL_OK);
    assert_memory_equal(b.data, "abc", 3);
    sl_buf_free(&b);
}

static void names(void **state)
{
    (void)state;
    const char *expect[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(sl_compression_name((sl_compression_t)i), expect[i]);
        assert_int_equal(sl_compression_parse(expect[i]), i);
    }
    assert_string_equal(sl_compression_name((sl_compression_t)5), "unknown");
    assert_string_equal(sl_compression_name((sl_compression_t)-1), "unknown");
    assert_int_equal(sl_compression_parse("producer"), -1);
    assert_int_equal(sl_compression_parse("uncompressed"), -1);
    assert_int_equal(sl_compression_parse("GZIP"), -1);
    assert_int_equal(sl_compression_parse(""), -1);
    assert_int_equal(sl_compression_parse(NULL), -1);
}

SL_TEST_GROUP(compress, cmocka_unit_test(round_trip_every_codec), cmocka_unit_test(gzip_framing),
              cmocka_unit_test(snappy_xerial_framing), cmocka_unit_test(snappy_raw_block),
              cmocka_unit_test(lz4_framing), cmocka_unit_test(zstd_framing), cmocka_unit_test(cap_is_exact),
              cmocka_unit_test(zip_bomb), cmocka_unit_test(truncated_streams),
              cmocka_unit_test(corrupt_streams), cmocka_unit_test(gzip_checksum_is_checked),
              cmocka_unit_test(unsupported_codec), cmocka_unit_test(names))
