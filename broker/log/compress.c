/* compress.c — the four codecs of record batches, in the framings Kafka's
 * clients write and read. Decompression is capped: a batch of a few bytes that
 * claims gigabytes (a zip bomb) fails with SL_ERR_RECORD_TOO_LARGE before the
 * memory is taken. */
#include "broker/log/batch.h"

#include <limits.h>
#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* A valid pointer for empty inputs: some codec entry points reject NULL even
 * with a zero length. */
static const uint8_t empty_input[1];

/* ---- the capped output sink ------------------------------------------------------ */

/* The decompressors write straight into the spare capacity of *out and grow it
 * as output appears, never past max_out bytes for this call. Once the cap is
 * reached they are handed a small probe buffer instead: any byte written there
 * means the input holds more than max_out bytes. */
typedef struct sink {
    sl_buf_t *out;
    size_t start;   /* out->len when the call began */
    size_t max_out; /* bytes this call may append */
    size_t hint;    /* a first guess at the output size */
    uint8_t probe[64];
} sink_t;

static size_t sink_written(const sink_t *s) { return s->out->len - s->start; }

/* Sets *dst and *room to where the decompressor writes next (room > 0).
 * *probing is set when the cap is reached and dst is the probe buffer. */
static sl_err_t sink_room(sink_t *s, uint8_t **dst, size_t *room, int *probing)
{
    size_t left = s->max_out - sink_written(s);
    if (left == 0) {
        *dst = s->probe, *room = sizeof s->probe, *probing = 1;
        return SL_OK;
    }
    *probing = 0;
    if (s->out->cap == s->out->len) {
        /* Geometric growth keeps the copying linear; the clamp keeps the
         * allocation within the cap whatever the input claims. */
        size_t want = sink_written(s);
        if (want < s->hint)
            want = s->hint;
        if (want < 4096)
            want = 4096;
        if (want > left)
            want = left;
        if (sl_buf_reserve(s->out, want))
            return SL_ERR_NOMEM;
    }
    size_t avail = s->out->cap - s->out->len;
    *dst = s->out->data + s->out->len;
    *room = avail < left ? avail : left;
    return SL_OK;
}

/* Accounts for produced bytes written at the place sink_room gave. */
static sl_err_t sink_commit(sink_t *s, size_t produced, int probing)
{
    if (probing)
        return produced ? SL_ERR_RECORD_TOO_LARGE : SL_OK;
    s->out->len += produced;
    return SL_OK;
}

/* ---- gzip -------------------------------------------------------------------------- */

static sl_err_t gzip_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    /* Kafka accepts gzip levels 1..9; 0 and anything below 1 mean the default. */
    if (level < 1)
        level = Z_DEFAULT_COMPRESSION;
    else if (level > 9)
        level = 9;
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: the RFC 1952 gzip wrapper, as GZIPOutputStream writes. */
    int rc = deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    if (rc != Z_OK)
        return rc == Z_MEM_ERROR ? SL_ERR_NOMEM : SL_ERR_COMPRESSION;
    sl_err_t err = SL_OK;
    if (sl_buf_reserve(out, deflateBound(&z, n > ULONG_MAX ? ULONG_MAX : (uLong)n))) {
        deflateEnd(&z);
        return SL_ERR_NOMEM;
    }
    const uint8_t *in = src ? src : empty_input;
    size_t in_left = n;
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            size_t chunk = in_left > UINT_MAX ? UINT_MAX : in_left;
            z.next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const-clean */
            z.avail_in = (uInt)chunk;
            in += chunk, in_left -= chunk;
        }
        if (out->cap == out->len && sl_buf_reserve(out, out->len > 65536 ? out->len : 65536)) {
            err = SL_ERR_NOMEM;
            break;
        }
        size_t room = out->cap - out->len;
        if (room > UINT_MAX)
            room = UINT_MAX;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)room;
        rc = deflate(&z, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            err = SL_ERR_COMPRESSION;
            break;
        }
    }
    deflateEnd(&z);
    return err;
}

static sl_err_t gzip_decompress(const uint8_t *src, size_t n, sink_t *s)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 32: detect the gzip or zlib header automatically. */
    int rc = inflateInit2(&z, 15 + 32);
    if (rc != Z_OK)
        return rc == Z_MEM_ERROR ? SL_ERR_NOMEM : SL_ERR_COMPRESSION;
    const uint8_t *in = src;
    size_t in_left = n;
    sl_err_t err = SL_OK;
    for (;;) {
        if (z.avail_in == 0 && in_left) {
            size_t chunk = in_left > UINT_MAX ? UINT_MAX : in_left;
            z.next_in = (Bytef *)(uintptr_t)in;
            z.avail_in = (uInt)chunk;
            in += chunk, in_left -= chunk;
        }
        uint8_t *dst;
        size_t room;
        int probing;
        if ((err = sink_room(s, &dst, &room, &probing)))
            break;
        if (room > UINT_MAX)
            room = UINT_MAX;
        z.next_out = dst;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        if ((err = sink_commit(s, room - z.avail_out, probing)))
            break;
        if (rc == Z_STREAM_END) {
            if (z.avail_in == 0 && in_left == 0)
                break;
            /* Concatenated members, which GZIPInputStream reads too. */
            if (inflateReset(&z) != Z_OK) {
                err = SL_ERR_COMPRESSION;
                break;
            }
            continue;
        }
        if (rc != Z_OK) {
            /* Z_BUF_ERROR here means the input ended inside the stream. */
            err = rc == Z_MEM_ERROR ? SL_ERR_NOMEM : SL_ERR_COMPRESSION;
            break;
        }
    }
    inflateEnd(&z);
    return err;
}

/* ---- snappy -------------------------------------------------------------------------- */

/* snappy-java's stream header: magic, then version 1 and compatible version 1. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16
#define XERIAL_BLOCK_SIZE (32 * 1024) /* SnappyOutputStream's default block size */

static sl_err_t snappy_compress_xerial(const uint8_t *src, size_t n, sl_buf_t *out)
{
    size_t start = out->len;
    uint8_t *h = sl_buf_extend(out, XERIAL_HEADER_SIZE);
    if (!h)
        return SL_ERR_NOMEM;
    memcpy(h, xerial_magic, sizeof xerial_magic);
    sl_store_be32(h + 8, 1);
    sl_store_be32(h + 12, 1);
    for (size_t off = 0; off < n; off += XERIAL_BLOCK_SIZE) {
        size_t chunk = n - off < XERIAL_BLOCK_SIZE ? n - off : XERIAL_BLOCK_SIZE;
        size_t max = snappy_max_compressed_length(chunk);
        if (sl_buf_reserve(out, 4 + max)) {
            out->len = start;
            return SL_ERR_NOMEM;
        }
        uint8_t *dst = out->data + out->len;
        size_t clen = max;
        if (snappy_compress((const char *)src + off, chunk, (char *)dst + 4, &clen) != SNAPPY_OK) {
            out->len = start;
            return SL_ERR_COMPRESSION;
        }
        sl_store_be32(dst, (uint32_t)clen);
        out->len += 4 + clen;
    }
    return SL_OK;
}

/* One raw snappy block. Its uncompressed length is read and checked against
 * the cap before any memory is taken. */
static sl_err_t snappy_block(const uint8_t *src, size_t n, sink_t *s)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK)
        return SL_ERR_COMPRESSION;
    if (ulen > s->max_out - sink_written(s))
        return SL_ERR_RECORD_TOO_LARGE;
    if (sl_buf_reserve(s->out, ulen ? ulen : 1))
        return SL_ERR_NOMEM;
    size_t got = ulen;
    if (snappy_uncompress((const char *)src, n, (char *)s->out->data + s->out->len, &got) != SNAPPY_OK ||
        got != ulen)
        return SL_ERR_COMPRESSION;
    s->out->len += got;
    return SL_OK;
}

static sl_err_t snappy_decompress(const uint8_t *src, size_t n, sink_t *s)
{
    /* librdkafka writes one raw block; the Java client writes xerial framing.
     * No valid raw block starts with the magic: 0x82 'S' is the varint length
     * 10626, and the element tag after it, 'N', is a copy, which cannot come
     * before any literal. So the test below is unambiguous. */
    if (n < sizeof xerial_magic || memcmp(src, xerial_magic, sizeof xerial_magic) != 0)
        return snappy_block(src, n, s);
    if (n < XERIAL_HEADER_SIZE)
        return SL_ERR_COMPRESSION;
    const uint8_t *p = src + XERIAL_HEADER_SIZE, *end = src + n;
    while (p < end) {
        if (end - p < 4)
            return SL_ERR_COMPRESSION;
        uint32_t clen = sl_load_be32(p);
        p += 4;
        if (clen > (size_t)(end - p))
            return SL_ERR_COMPRESSION;
        sl_err_t err = snappy_block(p, clen, s);
        if (err)
            return err;
        p += clen;
    }
    return SL_OK;
}

/* ---- lz4 ------------------------------------------------------------------------------- */

static sl_err_t lz4_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    /* What KafkaLZ4BlockOutputStream writes (KIP-57): 64 KiB independent
     * blocks, no block or content checksum, no content size. */
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    prefs.compressionLevel = level;
    size_t bound = LZ4F_compressFrameBound(n, &prefs);
    if (LZ4F_isError(bound))
        return SL_ERR_COMPRESSION;
    if (sl_buf_reserve(out, bound))
        return SL_ERR_NOMEM;
    size_t r = LZ4F_compressFrame(out->data + out->len, bound, src ? src : empty_input, n, &prefs);
    if (LZ4F_isError(r))
        return SL_ERR_COMPRESSION;
    out->len += r;
    return SL_OK;
}

static sl_err_t lz4_decompress(const uint8_t *src, size_t n, sink_t *s)
{
    if (n == 0)
        return SL_ERR_COMPRESSION;
    LZ4F_dctx *d;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    size_t hint = 1; /* 0 once a frame is complete */
    for (;;) {
        uint8_t *dst;
        size_t room;
        int probing;
        if ((err = sink_room(s, &dst, &room, &probing)))
            break;
        size_t in_size = n, out_size = room;
        hint = LZ4F_decompress(d, dst, &out_size, src, &in_size, NULL);
        if (LZ4F_isError(hint)) {
            err = SL_ERR_COMPRESSION;
            break;
        }
        src += in_size, n -= in_size;
        if ((err = sink_commit(s, out_size, probing)))
            break;
        /* Past the end of a frame LZ4F starts the next one, so concatenated
         * frames are read whole. */
        if (hint == 0 && n == 0)
            break;
        if (in_size == 0 && out_size == 0) {
            err = SL_ERR_COMPRESSION; /* the input ends inside a frame */
            break;
        }
    }
    LZ4F_freeDecompressionContext(d);
    return err;
}

/* ---- zstd ------------------------------------------------------------------------------ */

static sl_err_t zstd_compress(int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    size_t bound = ZSTD_compressBound(n);
    if (ZSTD_isError(bound))
        return SL_ERR_COMPRESSION;
    if (sl_buf_reserve(out, bound))
        return SL_ERR_NOMEM;
    /* Level 0 is zstd's own default (3). */
    size_t r = ZSTD_compress(out->data + out->len, bound, src ? src : empty_input, n, level);
    if (ZSTD_isError(r))
        return SL_ERR_COMPRESSION;
    out->len += r;
    return SL_OK;
}

/* The largest window a frame may ask for. The decoder allocates the window a
 * frame declares, so it must be bounded as well as the output: by the cap,
 * but never below 16 MiB so that frames a streaming producer writes at any
 * ordinary level (window log <= 23) are always accepted. */
static int zstd_window_log_max(size_t max_out)
{
    int wlog = 24;
    while (wlog < 62 && ((size_t)1 << wlog) < max_out)
        wlog++;
    ZSTD_bounds b = ZSTD_dParam_getBounds(ZSTD_d_windowLogMax);
    if (!ZSTD_isError(b.error) && wlog > b.upperBound)
        wlog = b.upperBound;
    return wlog;
}

static sl_err_t zstd_decompress(const uint8_t *src, size_t n, sink_t *s)
{
    if (n == 0)
        return SL_ERR_COMPRESSION;
    /* The content size, when the frame states it, is only a hint here:
     * it is untrusted, and the output is capped as it is produced anyway. */
    unsigned long long csize = ZSTD_getFrameContentSize(src, n);
    if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize != ZSTD_CONTENTSIZE_ERROR) {
        if (csize > s->max_out)
            return SL_ERR_RECORD_TOO_LARGE;
        s->hint = (size_t)csize;
    }
    ZSTD_DCtx *d = ZSTD_createDCtx();
    if (!d)
        return SL_ERR_NOMEM;
    sl_err_t err = SL_OK;
    if (ZSTD_isError(ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, zstd_window_log_max(s->max_out)))) {
        ZSTD_freeDCtx(d);
        return SL_ERR_COMPRESSION;
    }
    ZSTD_inBuffer in = {src, n, 0};
    for (;;) {
        uint8_t *dst;
        size_t room;
        int probing;
        if ((err = sink_room(s, &dst, &room, &probing)))
            break;
        ZSTD_outBuffer o = {dst, room, 0};
        size_t in_before = in.pos;
        size_t r = ZSTD_decompressStream(d, &o, &in);
        if (ZSTD_isError(r)) {
            err = ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge ? SL_ERR_RECORD_TOO_LARGE
                                                                                   : SL_ERR_COMPRESSION;
            break;
        }
        if ((err = sink_commit(s, o.pos, probing)))
            break;
        /* r == 0: a frame is complete and flushed; more input is a next frame. */
        if (r == 0 && in.pos == in.size)
            break;
        if (in.pos == in.size && o.pos < o.size) {
            err = SL_ERR_COMPRESSION; /* the input ends inside a frame */
            break;
        }
        if (in.pos == in_before && o.pos == 0) {
            err = SL_ERR_COMPRESSION; /* no progress: never loop forever */
            break;
        }
    }
    ZSTD_freeDCtx(d);
    return err;
}

/* ---- dispatch -------------------------------------------------------------------------- */

sl_err_t sl_compress(sl_compression_t codec, int level, const uint8_t *src, size_t n, sl_buf_t *out)
{
    size_t start = out->len;
    sl_err_t err;
    switch (codec) {
    case SL_COMPRESSION_NONE:
        err = sl_buf_append(out, src, n);
        break;
    case SL_COMPRESSION_GZIP:
        err = gzip_compress(level, src, n, out);
        break;
    case SL_COMPRESSION_SNAPPY:
        err = snappy_compress_xerial(src, n, out);
        break;
    case SL_COMPRESSION_LZ4:
        err = lz4_compress(level, src, n, out);
        break;
    case SL_COMPRESSION_ZSTD:
        err = zstd_compress(level, src, n, out);
        break;
    default:
        return SL_ERR_UNSUPPORTED_COMPRESSION;
    }
    if (err)
        out->len = start;
    return err;
}

sl_err_t sl_decompress(sl_compression_t codec, const uint8_t *src, size_t n, size_t max_out, sl_buf_t *out)
{
    if (!src)
        src = empty_input; /* n is 0 then */
    sink_t s = {.out = out, .start = out->len, .max_out = max_out};
    /* Most batches compress 2-5x; start near that and grow from there. */
    s.hint = n > SIZE_MAX / 4 ? SIZE_MAX : n * 4;
    sl_err_t err;
    switch (codec) {
    case SL_COMPRESSION_NONE:
        err = n > max_out ? SL_ERR_RECORD_TOO_LARGE : sl_buf_append(out, src, n);
        break;
    case SL_COMPRESSION_GZIP:
        err = gzip_decompress(src, n, &s);
        break;
    case SL_COMPRESSION_SNAPPY:
        err = snappy_decompress(src, n, &s);
        break;
    case SL_COMPRESSION_LZ4:
        err = lz4_decompress(src, n, &s);
        break;
    case SL_COMPRESSION_ZSTD:
        err = zstd_decompress(src, n, &s);
        break;
    default:
        return SL_ERR_UNSUPPORTED_COMPRESSION;
    }
    if (err)
        out->len = s.start;
    return err;
}

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *sl_compression_name(sl_compression_t codec)
{
    if ((unsigned)codec < sizeof codec_names / sizeof codec_names[0])
        return codec_names[codec];
    return "unknown";
}

int sl_compression_parse(const char *name)
{
    if (!name)
        return -1;
    /* Kafka matches compression.type case-sensitively; so do we. */
    for (size_t i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++)
        if (strcmp(name, codec_names[i]) == 0)
            return (int)i;
    return -1;
}
