/* batch.h — record batches, magic v2: the unit the partition log stores and
 * the wire carries. Parsing and checking a batch header, iterating its records
 * (decompressing when needed), and building new batches.
 *
 * Layout (big-endian, Kafka's DefaultRecordBatch):
 *   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 |
 *  16 magic i8 | 17 crc u32 (CRC-32C of bytes 21..end) | 21 attributes i16 |
 *  23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64 |
 *  43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 |
 *  57 recordCount i32 | 61 records (compressed as one block when compressed) */
#ifndef SL_BROKER_LOG_BATCH_H
#define SL_BROKER_LOG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/bytes.h>
#include <sluice/err.h>

#include "common/buf.h"

#define SL_BATCH_HEADER_SIZE 61 /* bytes before the first record */
#define SL_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define SL_BATCH_MAGIC 2

/* Offsets of the header fields. */
#define SL_BATCH_OFF_BASE_OFFSET 0
#define SL_BATCH_OFF_LENGTH 8
#define SL_BATCH_OFF_LEADER_EPOCH 12
#define SL_BATCH_OFF_MAGIC 16
#define SL_BATCH_OFF_CRC 17
#define SL_BATCH_OFF_ATTRIBUTES 21
#define SL_BATCH_OFF_LAST_OFFSET_DELTA 23
#define SL_BATCH_OFF_BASE_TIMESTAMP 27
#define SL_BATCH_OFF_MAX_TIMESTAMP 35
#define SL_BATCH_OFF_PRODUCER_ID 43
#define SL_BATCH_OFF_PRODUCER_EPOCH 51
#define SL_BATCH_OFF_BASE_SEQUENCE 53
#define SL_BATCH_OFF_RECORD_COUNT 57

/* Attribute bits. */
#define SL_BATCH_ATTR_COMPRESSION_MASK 0x07
#define SL_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define SL_BATCH_ATTR_TRANSACTIONAL 0x10
#define SL_BATCH_ATTR_CONTROL 0x20
#define SL_BATCH_ATTR_DELETE_HORIZON 0x40 /* KIP-534: baseTimestamp is the delete horizon */

/** Compression codecs, by their attribute value. */
typedef enum sl_compression {
    SL_COMPRESSION_NONE = 0,
    SL_COMPRESSION_GZIP = 1,
    SL_COMPRESSION_SNAPPY = 2,
    SL_COMPRESSION_LZ4 = 3,
    SL_COMPRESSION_ZSTD = 4,
} sl_compression_t;

/** Default cap on the decompressed size of one batch (bytes). */
#define SL_BATCH_DEFAULT_MAX_DECOMPRESSED (64u << 20)

/** A parsed batch header: plain values, no pointers. */
typedef struct sl_batch_header {
    int64_t base_offset;
    int32_t batch_length; /* bytes after the batchLength field */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} sl_batch_header_t;

/** Total bytes the batch occupies: 12 + batchLength. */
static inline size_t sl_batch_size(const sl_batch_header_t *h)
{
    return SL_BATCH_LOG_OVERHEAD + (size_t)(uint32_t)h->batch_length;
}
static inline int64_t sl_batch_last_offset(const sl_batch_header_t *h)
{
    return h->base_offset + h->last_offset_delta;
}
static inline sl_compression_t sl_batch_compression(const sl_batch_header_t *h)
{
    return (sl_compression_t)(h->attributes & SL_BATCH_ATTR_COMPRESSION_MASK);
}

/** Reads the header fields of the batch at p. Needs len >= SL_BATCH_HEADER_SIZE
 * (else SL_ERR_TRUNCATED); checks nothing else. Use sl_batch_check to validate. */
sl_err_t sl_batch_header_parse(const uint8_t *p, size_t len, sl_batch_header_t *h);

/** Checks the batch that starts at p, of which len bytes are available, and
 * fills *h. Errors:
 *  - SL_ERR_TRUNCATED: fewer than 17 bytes, or fewer bytes than batchLength says
 *    (a torn tail);
 *  - SL_ERR_UNKNOWN_MAGIC: magic is not 2;
 *  - SL_ERR_CORRUPT_MESSAGE: batchLength below the header size, a negative
 *    lastOffsetDelta or recordCount, or a CRC mismatch.
 * Does not look inside the records (see sl_batch_validate_records). */
sl_err_t sl_batch_check(const uint8_t *p, size_t len, sl_batch_header_t *h);

/** Recomputes and stores the CRC of the complete batch at p (after changing
 * attributes or timestamps in place). */
void sl_batch_update_crc(uint8_t *p, size_t len);

/* ---- records ---------------------------------------------------------------- */

/** One record header (key is a non-null string; value may be null). */
typedef struct sl_record_header {
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value; /* NULL when value_len is -1 */
    int32_t value_len;    /* -1: null */
} sl_record_header_t;

/** One record, decoded. Pointers point into the batch or into the iterator's
 * decompression buffer: valid until the iterator is reset or its scratch
 * buffer is changed or freed. */
typedef struct sl_record {
    int64_t offset;    /* baseOffset + offsetDelta */
    int64_t timestamp; /* baseTimestamp + timestampDelta (or maxTimestamp under LogAppendTime) */
    int8_t attributes;
    const uint8_t *key; /* NULL when key_len is -1 */
    int32_t key_len;    /* -1: null key */
    const uint8_t *value;
    int32_t value_len; /* -1: null value (a tombstone) */
    int32_t header_count;
    const uint8_t *headers; /* encoded headers; read with sl_record_header_next */
    size_t headers_len;
} sl_record_t;

/** Walks the records of one checked batch. */
typedef struct sl_record_iter {
    sl_batch_header_t h;
    const uint8_t *p, *end; /* the (decompressed) record bytes not yet read */
    int32_t remaining;      /* records still to read */
    int32_t expected_delta; /* for validation: offset deltas must be 0,1,2,… unless gaps_ok */
} sl_record_iter_t;

/** Starts iterating the records of the complete batch at batch[0..len), whose
 * CRC the caller has checked (sl_batch_check): the structure (magic, lengths,
 * counts) is checked again here, the CRC is not, so that the append path pays
 * for it once. A compressed batch is decompressed into *scratch (reset first;
 * the caller owns it and frees it with sl_buf_free); at most max_decompressed
 * bytes, else SL_ERR_RECORD_TOO_LARGE. Other errors: those of sl_batch_check
 * but a CRC mismatch, SL_ERR_UNSUPPORTED_COMPRESSION, SL_ERR_COMPRESSION, and
 * SL_ERR_INVAL for a compressed batch without scratch. */
sl_err_t sl_record_iter_init(sl_record_iter_t *it, const uint8_t *batch, size_t len,
                             size_t max_decompressed, sl_buf_t *scratch);

/** Decodes the next record into *rec. Returns 1 for a record, 0 at the end (when
 * exactly recordCount records were read and no bytes remain), or
 * SL_ERR_INVALID_RECORD when a record is malformed (bad varint, lengths past
 * its end, a record length that disagrees with its fields, more or fewer
 * bytes than recordCount records take). */
int sl_record_iter_next(sl_record_iter_t *it, sl_record_t *rec);

/** Reads the next header from *p (advancing it) up to end. SL_OK, or
 * SL_ERR_INVALID_RECORD when malformed. */
sl_err_t sl_record_header_next(const uint8_t **p, const uint8_t *end, sl_record_header_t *hdr);

/** Full validation of a checked batch (CRC not recomputed), as the broker does on append: every
 * record parses, the count matches recordCount, offset deltas run 0..n-1 with
 * the last equal to lastOffsetDelta, and (for a control batch) each record is a
 * valid control record. scratch as for sl_record_iter_init. Returns SL_OK or
 * the first error (SL_ERR_INVALID_RECORD, SL_ERR_CORRUPT_MESSAGE, …). */
sl_err_t sl_batch_validate_records(const uint8_t *batch, size_t len, size_t max_decompressed,
                                   sl_buf_t *scratch);

/** The checks for a batch already in a log (recovery, a follower's copy, a
 * dump): every record parses, offsets rise within lastOffsetDelta, but gaps
 * are allowed and the count need not span the deltas — compaction leaves
 * batches like that. Errors as sl_batch_validate_records. */
sl_err_t sl_batch_check_records(const uint8_t *batch, size_t len, size_t max_decompressed,
                                sl_buf_t *scratch);

/* ---- control records ----------------------------------------------------------- */

#define SL_CONTROL_ABORT 0
#define SL_CONTROL_COMMIT 1

/** Reads a control record's key (version i16, type i16). Returns the type
 * (SL_CONTROL_ABORT, SL_CONTROL_COMMIT, or another non-negative type) or
 * SL_ERR_INVALID_RECORD. */
int sl_control_record_type(const sl_record_t *rec);

/* ---- building batches ------------------------------------------------------------ */

/** Options for a new batch; sl_batch_opts_default() fills the usual values. */
typedef struct sl_batch_opts {
    int64_t base_offset;            /* default 0 */
    sl_compression_t compression;   /* default none */
    int compression_level;          /* 0: the codec's default */
    int16_t extra_attributes;       /* LOG_APPEND_TIME, TRANSACTIONAL, CONTROL, DELETE_HORIZON */
    int64_t producer_id;            /* default -1 */
    int16_t producer_epoch;         /* default -1 */
    int32_t base_sequence;          /* default -1 */
    int32_t partition_leader_epoch; /* default -1 */
    int32_t last_offset_delta;      /* -1: from the last record added (the cleaner keeps the original) */
    int64_t base_timestamp;         /* INT64_MIN: the first record's timestamp; else this
                                     * value (the delete horizon under DELETE_HORIZON) */
} sl_batch_opts_t;

sl_batch_opts_t sl_batch_opts_default(void);

/** Accumulates records and writes one batch. Declare, call
 * sl_batch_builder_init, add records, sl_batch_builder_finish, then
 * sl_batch_builder_destroy (which frees its internal buffers). */
typedef struct sl_batch_builder {
    sl_batch_opts_t opts;
    sl_buf_t records; /* encoded, uncompressed records */
    int32_t count;
    int64_t first_timestamp;
    int64_t max_timestamp;
    int64_t last_offset;
} sl_batch_builder_t;

void sl_batch_builder_init(sl_batch_builder_t *b, const sl_batch_opts_t *opts);

/** Adds a record. rec->offset is absolute and must be greater than the previous
 * record's (deltas may have gaps, as in a compacted batch); pass a negative
 * offset to take the next one in sequence. key/value with length -1 are null.
 * headers: an array of n headers (NULL when n is 0). Copies everything.
 * Errors: SL_ERR_INVAL (offset not increasing, delta beyond int32), SL_ERR_NOMEM. */
sl_err_t sl_batch_builder_add(sl_batch_builder_t *b, int64_t offset, int64_t timestamp,
                              const void *key, int32_t key_len, const void *value,
                              int32_t value_len, const sl_record_header_t *headers, size_t n);

/** Appends the finished batch (header, compressed records, CRC) to *out.
 * An empty builder writes an empty batch (recordCount 0), which needs
 * opts.last_offset_delta >= 0. Errors: SL_ERR_INVAL, SL_ERR_NOMEM,
 * SL_ERR_COMPRESSION. The builder keeps its records: finish again to write
 * the same batch again, or destroy it. */
sl_err_t sl_batch_builder_finish(sl_batch_builder_t *b, sl_buf_t *out);

/** Frees the builder's buffers; the builder may be init'ed again. */
void sl_batch_builder_destroy(sl_batch_builder_t *b);

/* ---- compression -------------------------------------------------------------------- */

/** Appends the compressed form of src[0..n) to *out, in Kafka's framing for the
 * codec: gzip (RFC 1952), snappy (xerial framing, as the Java client writes),
 * lz4 (LZ4 frame, independent blocks), zstd (one frame). level 0 means the
 * codec's default. Errors: SL_ERR_UNSUPPORTED_COMPRESSION, SL_ERR_COMPRESSION,
 * SL_ERR_NOMEM. SL_COMPRESSION_NONE copies. */
sl_err_t sl_compress(sl_compression_t codec, int level, const uint8_t *src, size_t n, sl_buf_t *out);

/** Appends the decompressed form of src[0..n) to *out, writing at most max_out
 * bytes (else SL_ERR_RECORD_TOO_LARGE). Snappy accepts both xerial framing and
 * a raw snappy block (librdkafka's). Errors: SL_ERR_UNSUPPORTED_COMPRESSION,
 * SL_ERR_COMPRESSION (corrupt input), SL_ERR_RECORD_TOO_LARGE, SL_ERR_NOMEM. */
sl_err_t sl_decompress(sl_compression_t codec, const uint8_t *src, size_t n, size_t max_out,
                       sl_buf_t *out);

/** "none", "gzip", "snappy", "lz4", "zstd"; "unknown" otherwise. Static string. */
const char *sl_compression_name(sl_compression_t codec);

/** The codec for a name as Kafka's compression.type spells it; -1 when unknown
 * ("producer" and "uncompressed" are not codecs: the caller handles them). */
int sl_compression_parse(const char *name);

#endif
