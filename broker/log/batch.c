/* batch.c — record batches, magic v2: the header check every append runs, the
 * record iterator (over raw or decompressed bytes), full validation as the
 * broker does it on produce, and the builder. Compression lives in compress.c. */
#include "broker/log/batch.h"

#include <limits.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/varint.h"

/* Kafka's RecordBatch.NO_TIMESTAMP: the timestamp of a batch with no records. */
#define NO_TIMESTAMP (-1)

/* The smallest encoded record body: attributes, timestampDelta, offsetDelta,
 * keyLength, valueLength, headersCount, one byte each. */
#define MIN_RECORD_BODY 6

/* Additions that wrap instead of overflowing: timestamps are base + delta as
 * Java computes them, and a hostile delta must not be undefined behaviour. */
static int64_t add_wrap(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static int64_t sub_wrap(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }

/* ---- header ------------------------------------------------------------------------- */

sl_err_t sl_batch_header_parse(const uint8_t *p, size_t len, sl_batch_header_t *h)
{
    if (len < SL_BATCH_HEADER_SIZE)
        return SL_ERR_TRUNCATED;
    h->base_offset = (int64_t)sl_load_be64(p + SL_BATCH_OFF_BASE_OFFSET);
    h->batch_length = (int32_t)sl_load_be32(p + SL_BATCH_OFF_LENGTH);
    h->partition_leader_epoch = (int32_t)sl_load_be32(p + SL_BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[SL_BATCH_OFF_MAGIC];
    h->crc = sl_load_be32(p + SL_BATCH_OFF_CRC);
    h->attributes = (int16_t)sl_load_be16(p + SL_BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = (int32_t)sl_load_be32(p + SL_BATCH_OFF_LAST_OFFSET_DELTA);
    h->base_timestamp = (int64_t)sl_load_be64(p + SL_BATCH_OFF_BASE_TIMESTAMP);
    h->max_timestamp = (int64_t)sl_load_be64(p + SL_BATCH_OFF_MAX_TIMESTAMP);
    h->producer_id = (int64_t)sl_load_be64(p + SL_BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = (int16_t)sl_load_be16(p + SL_BATCH_OFF_PRODUCER_EPOCH);
    h->base_sequence = (int32_t)sl_load_be32(p + SL_BATCH_OFF_BASE_SEQUENCE);
    h->record_count = (int32_t)sl_load_be32(p + SL_BATCH_OFF_RECORD_COUNT);
    return SL_OK;
}

/* Everything sl_batch_check verifies except the CRC. */
static sl_err_t check_structure(const uint8_t *p, size_t len, sl_batch_header_t *h)
{
    if (len < SL_BATCH_OFF_MAGIC + 1)
        return SL_ERR_TRUNCATED;
    /* Magic before the length: an old-format message (magic 0 or 1) is
     * legitimately shorter than a v2 header and should be named as such. */
    if ((int8_t)p[SL_BATCH_OFF_MAGIC] != SL_BATCH_MAGIC)
        return SL_ERR_UNKNOWN_MAGIC;
    int32_t blen = (int32_t)sl_load_be32(p + SL_BATCH_OFF_LENGTH);
    if (blen < SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD)
        return SL_ERR_CORRUPT_MESSAGE;
    size_t size = SL_BATCH_LOG_OVERHEAD + (size_t)blen;
    if (len < size)
        return SL_ERR_TRUNCATED;
    sl_batch_header_parse(p, size, h);
    if (h->last_offset_delta < 0 || h->record_count < 0)
        return SL_ERR_CORRUPT_MESSAGE;
    /* So that sl_batch_last_offset and every record offset fit in int64. */
    if (h->base_offset > INT64_MAX - h->last_offset_delta)
        return SL_ERR_CORRUPT_MESSAGE;
    return SL_OK;
}

sl_err_t sl_batch_check(const uint8_t *p, size_t len, sl_batch_header_t *h)
{
    sl_batch_header_t local;
    if (!h)
        h = &local;
    sl_err_t err = check_structure(p, len, h);
    if (err)
        return err;
    size_t size = sl_batch_size(h);
    uint32_t crc = sl_crc32c(0, p + SL_BATCH_OFF_ATTRIBUTES, size - SL_BATCH_OFF_ATTRIBUTES);
    if (crc != h->crc)
        return SL_ERR_CORRUPT_MESSAGE;
    return SL_OK;
}

void sl_batch_update_crc(uint8_t *p, size_t len)
{
    if (len < SL_BATCH_OFF_ATTRIBUTES)
        return;
    sl_store_be32(p + SL_BATCH_OFF_CRC,
                  sl_crc32c(0, p + SL_BATCH_OFF_ATTRIBUTES, len - SL_BATCH_OFF_ATTRIBUTES));
}

/* ---- records ------------------------------------------------------------------------ */

/* expected_delta after a record with offset delta INT32_MAX: no record may
 * follow it, and INT32_MAX + 1 does not fit. */
#define DELTA_EXHAUSTED INT32_MIN

sl_err_t sl_record_iter_init(sl_record_iter_t *it, const uint8_t *batch, size_t len, size_t max_decompressed,
                             sl_buf_t *scratch)
{
    /* An iterator that failed to start reads as empty. The CRC is the
     * caller's (sl_batch_check): computing it again here cost the append path
     * a second pass over every batch (bench_log: 0.35 -> see docs/benchmarks.md). */
    memset(it, 0, sizeof *it);
    sl_err_t err = check_structure(batch, len, &it->h);
    if (err)
        return err;
    const uint8_t *rec = batch + SL_BATCH_HEADER_SIZE;
    size_t rec_len = sl_batch_size(&it->h) - SL_BATCH_HEADER_SIZE;
    sl_compression_t codec = sl_batch_compression(&it->h);
    if (codec == SL_COMPRESSION_NONE) {
        it->p = rec;
        it->end = rec + rec_len;
    } else {
        if (codec > SL_COMPRESSION_ZSTD)
            return SL_ERR_UNSUPPORTED_COMPRESSION;
        if (!scratch)
            return SL_ERR_INVAL;
        sl_buf_reset(scratch);
        err = sl_decompress(codec, rec, rec_len, max_decompressed, scratch);
        if (err)
            return err;
        /* An empty output may leave data NULL; keep p and end valid pointers. */
        it->p = scratch->len ? scratch->data : rec;
        it->end = it->p + scratch->len;
    }
    it->remaining = it->h.record_count;
    it->expected_delta = 0;
    return SL_OK;
}

/* Reads a zigzag varint into *v, bounded by end. Record fields are almost all
 * one- or two-byte varints: those are decoded inline (bench_log: validating a
 * 16 KiB batch of 100-byte records went from 11.3 us to see docs/benchmarks.md). */
static inline int get_varint(const uint8_t **p, const uint8_t *end, size_t maxbytes, int64_t *v)
{
    const uint8_t *q = *p;
    size_t avail = (size_t)(end - q);
    if (avail >= 1 && q[0] < 0x80) {
        *v = sl_zigzag_dec(q[0]);
        *p = q + 1;
        return 1;
    }
    if (avail >= 2 && q[1] < 0x80) {
        *v = sl_zigzag_dec((uint64_t)(q[0] & 0x7f) | ((uint64_t)q[1] << 7));
        *p = q + 2;
        return 1;
    }
    size_t n = sl_varint_get(q, avail, maxbytes, v);
    *p = q + n;
    return n != 0;
}

/* Reads a length-prefixed byte field (-1: null) whose bytes lie before end. */
static inline int get_bytes(const uint8_t **p, const uint8_t *end, const uint8_t **data, int32_t *len)
{
    int64_t n;
    if (!get_varint(p, end, SL_VARINT_MAX32, &n) || n < -1 || n > end - *p)
        return 0;
    *len = (int32_t)n;
    *data = n < 0 ? NULL : *p;
    if (n > 0)
        *p += n;
    return 1;
}

sl_err_t sl_record_header_next(const uint8_t **p, const uint8_t *end, sl_record_header_t *hdr)
{
    const uint8_t *q = *p;
    if (!get_bytes(&q, end, &hdr->key, &hdr->key_len) || hdr->key_len < 0) /* keys are never null */
        return SL_ERR_INVALID_RECORD;
    if (!get_bytes(&q, end, &hdr->value, &hdr->value_len))
        return SL_ERR_INVALID_RECORD;
    *p = q;
    return SL_OK;
}

int sl_record_iter_next(sl_record_iter_t *it, sl_record_t *rec)
{
    if (it->remaining <= 0)
        return it->p == it->end ? 0 : SL_ERR_INVALID_RECORD; /* bytes beyond recordCount records */
    const uint8_t *q = it->p;
    int64_t len;
    if (!get_varint(&q, it->end, SL_VARINT_MAX32, &len) || len < MIN_RECORD_BODY || len > it->end - q)
        return SL_ERR_INVALID_RECORD;
    /* Every field must lie within the record's own length, and fill it exactly. */
    const uint8_t *rend = q + len;
    int64_t ts_delta, off_delta, nh;
    rec->attributes = (int8_t)*q++;
    if (!get_varint(&q, rend, SL_VARINT_MAX64, &ts_delta) ||
        !get_varint(&q, rend, SL_VARINT_MAX32, &off_delta))
        return SL_ERR_INVALID_RECORD;
    if (!get_bytes(&q, rend, &rec->key, &rec->key_len) || !get_bytes(&q, rend, &rec->value, &rec->value_len))
        return SL_ERR_INVALID_RECORD;
    if (!get_varint(&q, rend, SL_VARINT_MAX32, &nh) || nh < 0)
        return SL_ERR_INVALID_RECORD;
    rec->headers = q;
    for (int64_t i = 0; i < nh; i++) {
        sl_record_header_t hdr;
        if (sl_record_header_next(&q, rend, &hdr))
            return SL_ERR_INVALID_RECORD;
    }
    if (q != rend)
        return SL_ERR_INVALID_RECORD;
    /* Offsets rise strictly and stay within lastOffsetDelta; gaps are allowed
     * (a compacted batch has them). This keeps offsets monotonic for every
     * reader, and is what makes rec->offset below overflow-free. */
    if (it->expected_delta == DELTA_EXHAUSTED || off_delta < it->expected_delta ||
        off_delta > it->h.last_offset_delta)
        return SL_ERR_INVALID_RECORD;
    it->expected_delta = off_delta == INT32_MAX ? DELTA_EXHAUSTED : (int32_t)off_delta + 1;
    rec->header_count = (int32_t)nh;
    rec->headers_len = (size_t)(rend - rec->headers);
    rec->offset = it->h.base_offset + off_delta;
    rec->timestamp = (it->h.attributes & SL_BATCH_ATTR_LOG_APPEND_TIME)
                         ? it->h.max_timestamp
                         : add_wrap(it->h.base_timestamp, ts_delta);
    it->p = rend;
    it->remaining--;
    return 1;
}

int sl_control_record_type(const sl_record_t *rec)
{
    /* Kafka's ControlRecordType.parse: at least 4 bytes, version >= 0; a newer
     * version still starts with the type. */
    if (!rec->key || rec->key_len < 4)
        return SL_ERR_INVALID_RECORD;
    int16_t version = (int16_t)sl_load_be16(rec->key);
    int16_t type = (int16_t)sl_load_be16(rec->key + 2);
    if (version < 0 || type < 0)
        return SL_ERR_INVALID_RECORD;
    return type;
}

/* An end-transaction marker's value: version i16 (>= 0), coordinatorEpoch i32. */
static int valid_end_txn_value(const sl_record_t *rec)
{
    return rec->value && rec->value_len >= 6 && (int16_t)sl_load_be16(rec->value) >= 0;
}

/* sl_batch_validate_records for a batch that is not a control batch: the
 * checks of sl_record_iter_next, with offset deltas required to be exactly
 * 0..n-1, without decoding each record into an sl_record_t. This is the
 * broker's append path: bench_log measured 3.0 us per 16 KiB batch of
 * 100-byte records through the iterator, see docs/benchmarks.md for this
 * loop's figure. It must accept and refuse exactly what the iterator does
 * (tests/log/test_batch.c compares the two on mutated batches). */
static sl_err_t validate_plain(sl_record_iter_t *it)
{
    const uint8_t *q = it->p, *end = it->end;
    for (int32_t i = 0; i < it->h.record_count; i++) {
        int64_t len, v, n;
        if (!get_varint(&q, end, SL_VARINT_MAX32, &len) || len < MIN_RECORD_BODY || len > end - q)
            return SL_ERR_INVALID_RECORD;
        const uint8_t *rend = q + len;
        q++; /* attributes */
        if (!get_varint(&q, rend, SL_VARINT_MAX64, &v) || !get_varint(&q, rend, SL_VARINT_MAX32, &v) ||
            v != i)
            return SL_ERR_INVALID_RECORD;
        /* key, value: -1 (null) or a length within the record */
        for (int f = 0; f < 2; f++) {
            if (!get_varint(&q, rend, SL_VARINT_MAX32, &n) || n < -1 || n > rend - q)
                return SL_ERR_INVALID_RECORD;
            if (n > 0)
                q += n;
        }
        if (!get_varint(&q, rend, SL_VARINT_MAX32, &n) || n < 0)
            return SL_ERR_INVALID_RECORD;
        for (int64_t h = 0; h < n; h++) {
            int64_t kl, vl;
            if (!get_varint(&q, rend, SL_VARINT_MAX32, &kl) || kl < 0 || kl > rend - q)
                return SL_ERR_INVALID_RECORD;
            q += kl;
            if (!get_varint(&q, rend, SL_VARINT_MAX32, &vl) || vl < -1 || vl > rend - q)
                return SL_ERR_INVALID_RECORD;
            if (vl > 0)
                q += vl;
        }
        if (q != rend)
            return SL_ERR_INVALID_RECORD;
    }
    return q == end ? SL_OK : SL_ERR_INVALID_RECORD;
}

sl_err_t sl_batch_validate_records(const uint8_t *batch, size_t len, size_t max_decompressed,
                                   sl_buf_t *scratch)
{
    sl_record_iter_t it;
    sl_err_t err = sl_record_iter_init(&it, batch, len, max_decompressed, scratch);
    if (err)
        return err;
    /* Kafka's LogValidator: the header's count must equal the offset span, and
     * a batch from a producer is never empty. */
    if ((int64_t)it.h.record_count != (int64_t)it.h.last_offset_delta + 1)
        return SL_ERR_INVALID_RECORD;
    int control = (it.h.attributes & SL_BATCH_ATTR_CONTROL) != 0;
    if (!control)
        return validate_plain(&it);
    int64_t i = 0;
    sl_record_t rec;
    int r;
    while ((r = sl_record_iter_next(&it, &rec)) == 1) {
        if (rec.offset - it.h.base_offset != i)
            return SL_ERR_INVALID_RECORD;
        if (control) {
            int type = sl_control_record_type(&rec);
            if (type < 0)
                return SL_ERR_INVALID_RECORD;
            /* Other types (KRaft's) have values of their own shapes. */
            if ((type == SL_CONTROL_ABORT || type == SL_CONTROL_COMMIT) && !valid_end_txn_value(&rec))
                return SL_ERR_INVALID_RECORD;
        }
        i++;
    }
    /* r == 0: exactly recordCount records and no bytes left, so the last delta
     * was recordCount - 1 == lastOffsetDelta. */
    return r < 0 ? (sl_err_t)r : SL_OK;
}

sl_err_t sl_batch_check_records(const uint8_t *batch, size_t len, size_t max_decompressed,
                                sl_buf_t *scratch)
{
    sl_record_iter_t it;
    sl_err_t err = sl_record_iter_init(&it, batch, len, max_decompressed, scratch);
    if (err)
        return err;
    sl_record_t rec;
    int r;
    while ((r = sl_record_iter_next(&it, &rec)) == 1)
        ;
    return r < 0 ? (sl_err_t)r : SL_OK;
}

/* ---- building --------------------------------------------------------------------------- */

sl_batch_opts_t sl_batch_opts_default(void)
{
    sl_batch_opts_t o = {
        .base_offset = 0,
        .compression = SL_COMPRESSION_NONE,
        .compression_level = 0,
        .extra_attributes = 0,
        .producer_id = -1,
        .producer_epoch = -1,
        .base_sequence = -1,
        .partition_leader_epoch = -1,
        .last_offset_delta = -1,
        .base_timestamp = INT64_MIN,
    };
    return o;
}

void sl_batch_builder_init(sl_batch_builder_t *b, const sl_batch_opts_t *opts)
{
    b->opts = opts ? *opts : sl_batch_opts_default();
    sl_buf_init(&b->records);
    b->count = 0;
    b->first_timestamp = NO_TIMESTAMP;
    b->max_timestamp = NO_TIMESTAMP; /* as Kafka's MemoryRecordsBuilder starts */
    b->last_offset = -1;             /* meaningless while count is 0 */
}

/* Checks one length-prefixed field to encode; adds its encoded size to *size. */
static int field_size(const void *data, int64_t len, int nullable, size_t *size)
{
    if (len < (nullable ? -1 : 0) || len > INT32_MAX || (len > 0 && !data))
        return 0;
    *size += sl_varint_len(len) + (len > 0 ? (size_t)len : 0);
    return 1;
}

static uint8_t *put_bytes(uint8_t *w, const void *data, int32_t len)
{
    w += sl_varint_put(w, len);
    if (len > 0) {
        memcpy(w, data, (size_t)len);
        w += len;
    }
    return w;
}

sl_err_t sl_batch_builder_add(sl_batch_builder_t *b, int64_t offset, int64_t timestamp, const void *key,
                              int32_t key_len, const void *value, int32_t value_len,
                              const sl_record_header_t *headers, size_t n)
{
    if (b->count == INT32_MAX || (n && !headers) || n > INT32_MAX)
        return SL_ERR_INVAL;
    const int64_t base = b->opts.base_offset;
    if (offset < 0) {
        if (b->count == 0)
            offset = base;
        else if (b->last_offset == INT64_MAX)
            return SL_ERR_INVAL;
        else
            offset = b->last_offset + 1;
    } else if (b->count && offset <= b->last_offset) {
        return SL_ERR_INVAL;
    }
    /* Unsigned difference: exact for offset >= base whatever their signs. */
    if (offset < base || (uint64_t)offset - (uint64_t)base > INT32_MAX)
        return SL_ERR_INVAL;
    int64_t off_delta = (int64_t)((uint64_t)offset - (uint64_t)base);
    int64_t base_ts = b->opts.base_timestamp != INT64_MIN ? b->opts.base_timestamp
                      : b->count                          ? b->first_timestamp
                                                          : timestamp;
    int64_t ts_delta = sub_wrap(timestamp, base_ts);

    /* Size the record first so that one reserve covers it and a failure
     * leaves the builder as it was. */
    size_t body = 1 + sl_varint_len(ts_delta) + sl_varint_len(off_delta) + sl_varint_len((int64_t)n);
    if (!field_size(key, key_len, 1, &body) || !field_size(value, value_len, 1, &body))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!field_size(headers[i].key, headers[i].key_len, 0, &body) ||
            !field_size(headers[i].value, headers[i].value_len, 1, &body))
            return SL_ERR_INVAL;
        if (body > INT32_MAX)
            return SL_ERR_RECORD_TOO_LARGE;
    }
    if (body > INT32_MAX)
        return SL_ERR_RECORD_TOO_LARGE;
    uint8_t *w = sl_buf_extend(&b->records, sl_varint_len((int64_t)body) + body);
    if (!w)
        return SL_ERR_NOMEM;
    w += sl_varint_put(w, (int64_t)body);
    *w++ = 0; /* record attributes: unused */
    w += sl_varint_put(w, ts_delta);
    w += sl_varint_put(w, off_delta);
    w = put_bytes(w, key, key_len);
    w = put_bytes(w, value, value_len);
    w += sl_varint_put(w, (int64_t)n);
    for (size_t i = 0; i < n; i++) {
        w = put_bytes(w, headers[i].key, headers[i].key_len);
        w = put_bytes(w, headers[i].value, headers[i].value_len);
    }
    if (b->count == 0)
        b->first_timestamp = timestamp;
    if (timestamp > b->max_timestamp)
        b->max_timestamp = timestamp;
    b->last_offset = offset;
    b->count++;
    return SL_OK;
}

sl_err_t sl_batch_builder_finish(sl_batch_builder_t *b, sl_buf_t *out)
{
    const sl_batch_opts_t *o = &b->opts;
    int32_t lod;
    if (o->last_offset_delta >= 0) {
        /* The cleaner keeps the original span; it must still cover the records. */
        if (b->count && (uint64_t)b->last_offset - (uint64_t)o->base_offset > (uint64_t)o->last_offset_delta)
            return SL_ERR_INVAL;
        lod = o->last_offset_delta;
    } else if (b->count) {
        lod = (int32_t)((uint64_t)b->last_offset - (uint64_t)o->base_offset);
    } else {
        return SL_ERR_INVAL; /* an empty batch has no span of its own */
    }
    if (o->base_offset > INT64_MAX - lod)
        return SL_ERR_INVAL;
    if ((unsigned)o->compression > SL_COMPRESSION_ZSTD)
        return SL_ERR_UNSUPPORTED_COMPRESSION;
    int64_t base_ts = o->base_timestamp != INT64_MIN ? o->base_timestamp
                      : b->count                     ? b->first_timestamp
                                                     : NO_TIMESTAMP;
    int16_t attributes =
        (int16_t)((o->extra_attributes & ~SL_BATCH_ATTR_COMPRESSION_MASK) | (int16_t)o->compression);

    size_t start = out->len;
    uint8_t *h = sl_buf_extend(out, SL_BATCH_HEADER_SIZE);
    if (!h)
        return SL_ERR_NOMEM;
    sl_store_be64(h + SL_BATCH_OFF_BASE_OFFSET, (uint64_t)o->base_offset);
    sl_store_be32(h + SL_BATCH_OFF_LEADER_EPOCH, (uint32_t)o->partition_leader_epoch);
    h[SL_BATCH_OFF_MAGIC] = SL_BATCH_MAGIC;
    sl_store_be16(h + SL_BATCH_OFF_ATTRIBUTES, (uint16_t)attributes);
    sl_store_be32(h + SL_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)lod);
    sl_store_be64(h + SL_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
    sl_store_be64(h + SL_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)b->max_timestamp);
    sl_store_be64(h + SL_BATCH_OFF_PRODUCER_ID, (uint64_t)o->producer_id);
    sl_store_be16(h + SL_BATCH_OFF_PRODUCER_EPOCH, (uint16_t)o->producer_epoch);
    sl_store_be32(h + SL_BATCH_OFF_BASE_SEQUENCE, (uint32_t)o->base_sequence);
    sl_store_be32(h + SL_BATCH_OFF_RECORD_COUNT, (uint32_t)b->count);
    /* h is stale from here on: compression grows out. */
    sl_err_t err = sl_compress(o->compression, o->compression_level, b->records.data, b->records.len, out);
    if (err) {
        out->len = start;
        return err;
    }
    size_t size = out->len - start;
    if (size - SL_BATCH_LOG_OVERHEAD > INT32_MAX) {
        out->len = start;
        return SL_ERR_RECORD_TOO_LARGE;
    }
    uint8_t *p = out->data + start;
    sl_store_be32(p + SL_BATCH_OFF_LENGTH, (uint32_t)(size - SL_BATCH_LOG_OVERHEAD));
    sl_batch_update_crc(p, size);
    return SL_OK;
}

void sl_batch_builder_destroy(sl_batch_builder_t *b)
{
    if (!b)
        return;
    sl_buf_free(&b->records);
    b->count = 0;
    b->first_timestamp = NO_TIMESTAMP;
    b->max_timestamp = NO_TIMESTAMP;
    b->last_offset = -1;
}
