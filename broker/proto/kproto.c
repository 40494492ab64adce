/* kproto.c — Kafka wire primitives: the latched reader and the writer. */
#include "broker/proto/kproto.h"

#include "common/varint.h"

/* ---- reader ----------------------------------------------------------------- */

void sl_kreader_fail(sl_kreader_t *r, sl_err_t err)
{
    if (!r->err)
        r->err = err;
    r->p = r->end;
}

double sl_kreader_float64(sl_kreader_t *r)
{
    uint64_t u = (uint64_t)sl_kreader_int64(r);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

void sl_kreader_uuid(sl_kreader_t *r, uint8_t out[16])
{
    const uint8_t *q = sl_kreader_take(r, 16);
    if (q)
        memcpy(out, q, 16);
    else
        memset(out, 0, 16);
}

/* Reads a varint of at most maxbytes; tells running out of input
 * (SL_ERR_TRUNCATED) from an over-long or overflowing one (SL_ERR_INVAL). */
static uint64_t sl__kreader_varint_raw(sl_kreader_t *r, size_t maxbytes)
{
    size_t left = (size_t)(r->end - r->p);
    uint64_t v;
    size_t n = sl_uvarint_get(r->p, left, maxbytes, &v);
    if (n) {
        r->p += n;
        return v;
    }
    size_t i = 0;
    while (i < left && i < maxbytes && (r->p[i] & 0x80))
        i++;
    sl_kreader_fail(r, i == left && left < maxbytes ? SL_ERR_TRUNCATED : SL_ERR_INVAL);
    return 0;
}

uint32_t sl_kreader_uvarint(sl_kreader_t *r) { return (uint32_t)sl__kreader_varint_raw(r, SL_VARINT_MAX32); }

int32_t sl_kreader_varint(sl_kreader_t *r)
{
    uint32_t u = sl_kreader_uvarint(r);
    return (int32_t)((u >> 1) ^ -(u & 1));
}

int64_t sl_kreader_varlong(sl_kreader_t *r) { return sl_zigzag_dec(sl__kreader_varint_raw(r, SL_VARINT_MAX64)); }

/* Reads a length prefix: int16 (wide == 0) or int32 (wide), or a compact
 * uvarint (length + 1). Returns -1 for null, -2 after an error; the length is
 * checked against the bytes left. */
static int64_t sl__kreader_len(sl_kreader_t *r, int compact, int wide, int nullable)
{
    int64_t n;
    if (compact)
        n = (int64_t)sl_kreader_uvarint(r) - 1;
    else
        n = wide ? sl_kreader_int32(r) : sl_kreader_int16(r);
    if (r->err)
        return -2;
    if (n == -1) {
        if (!nullable) {
            sl_kreader_fail(r, SL_ERR_INVAL);
            return -2;
        }
        return -1;
    }
    if (n < -1) {
        sl_kreader_fail(r, SL_ERR_INVAL);
        return -2;
    }
    if ((uint64_t)n > (uint64_t)(r->end - r->p)) {
        sl_kreader_fail(r, SL_ERR_TRUNCATED);
        return -2;
    }
    return n;
}

sl_kstr_t sl_kreader_string(sl_kreader_t *r, int compact, int nullable)
{
    int64_t n = sl__kreader_len(r, compact, 0, nullable);
    if (n == -1)
        return SL_KSTR_NULL;
    if (n < 0)
        return (sl_kstr_t){NULL, 0};
    if (n > SL_KSTR_MAX) {
        sl_kreader_fail(r, SL_ERR_INVAL);
        return (sl_kstr_t){NULL, 0};
    }
    sl_kstr_t s = {(const char *)r->p, (int32_t)n};
    r->p += n;
    return s;
}

sl_kbytes_t sl_kreader_bytes(sl_kreader_t *r, int compact, int nullable)
{
    int64_t n = sl__kreader_len(r, compact, 1, nullable);
    if (n == -1)
        return (sl_kbytes_t){NULL, -1};
    if (n < 0)
        return (sl_kbytes_t){NULL, 0};
    sl_kbytes_t b = {r->p, (int32_t)n};
    r->p += n;
    return b;
}

void sl_kreader_records(sl_kreader_t *r, int compact, int nullable, sl_krecords_t *out)
{
    sl_kbytes_t b = sl_kreader_bytes(r, compact, nullable);
    *out = (sl_krecords_t){b.data, b.len, -1, 0, NULL, NULL};
}

int32_t sl_kreader_array_len(sl_kreader_t *r, int compact, int nullable, size_t min_elem)
{
    int64_t n;
    if (compact)
        n = (int64_t)sl_kreader_uvarint(r) - 1;
    else
        n = sl_kreader_int32(r);
    if (r->err)
        return 0;
    if (n == -1 && nullable)
        return -1;
    if (n < 0 || n > INT32_MAX) {
        sl_kreader_fail(r, SL_ERR_INVAL);
        return 0;
    }
    /* n < 2^31 and min_elem is a small constant, so the product fits. */
    if ((uint64_t)n * (min_elem ? min_elem : 1) > (uint64_t)(r->end - r->p)) {
        sl_kreader_fail(r, SL_ERR_TRUNCATED);
        return 0;
    }
    return (int32_t)n;
}

void *sl_kreader_array(sl_kreader_t *r, sl_arena_t *arena, int compact, int nullable, size_t min_elem,
                       size_t elem_size, int32_t *count)
{
    int32_t n = sl_kreader_array_len(r, compact, nullable, min_elem);
    *count = n;
    if (n <= 0)
        return NULL;
    void *items = sl_arena_alloc(arena, (size_t)n * elem_size);
    if (!items) {
        sl_kreader_fail(r, SL_ERR_NOMEM);
        *count = 0;
    }
    return items;
}

void *sl_kreader_alloc(sl_kreader_t *r, sl_arena_t *arena, size_t n)
{
    if (r->err)
        return NULL;
    void *p = sl_arena_alloc(arena, n);
    if (!p)
        sl_kreader_fail(r, SL_ERR_NOMEM);
    return p;
}

uint32_t sl_kreader_tag_count(sl_kreader_t *r)
{
    uint32_t n = sl_kreader_uvarint(r);
    if ((uint64_t)n * 2 > (uint64_t)(r->end - r->p)) {
        sl_kreader_fail(r, SL_ERR_TRUNCATED);
        return 0;
    }
    return n;
}

uint32_t sl_kreader_tag_begin(sl_kreader_t *r, sl_kreader_t *t)
{
    uint32_t tag = sl_kreader_uvarint(r);
    uint32_t size = sl_kreader_uvarint(r);
    const uint8_t *q = r->err ? NULL : sl_kreader_take(r, size);
    if (!q) {
        *t = (sl_kreader_t){r->end, r->end, r->err};
        return UINT32_MAX;
    }
    *t = (sl_kreader_t){q, q + size, SL_OK};
    return tag;
}

void sl_kreader_tag_end(sl_kreader_t *r, const sl_kreader_t *t)
{
    if (t->err)
        sl_kreader_fail(r, t->err);
}

void sl_kreader_skip_tags(sl_kreader_t *r)
{
    uint32_t n = sl_kreader_tag_count(r);
    for (uint32_t i = 0; i < n && !r->err; i++) {
        sl_kreader_t t;
        sl_kreader_tag_begin(r, &t);
    }
}

/* ---- writer ----------------------------------------------------------------- */

void sl_kwriter_init(sl_kwriter_t *w, sl_outbuf_t *ob)
{
    w->ob = ob;
    w->err = SL_OK;
    w->scratch = (sl_outbuf_t)SL_OUTBUF_INIT;
}

void sl_kwriter_fail(sl_kwriter_t *w, sl_err_t err)
{
    if (!w->err)
        w->err = err;
}

/* Room for n bytes, or NULL when the writer has failed or memory runs out. */
static uint8_t *sl__kwriter_room(sl_kwriter_t *w, size_t n)
{
    if (w->err)
        return NULL;
    uint8_t *q = sl_outbuf_extend(w->ob, n);
    if (!q)
        w->err = SL_ERR_NOMEM;
    return q;
}

void sl_kwriter_raw(sl_kwriter_t *w, const void *p, size_t n)
{
    if (n == 0)
        return;
    uint8_t *q = sl__kwriter_room(w, n);
    if (q)
        memcpy(q, p, n);
}

void sl_kwriter_int8(sl_kwriter_t *w, int8_t v)
{
    uint8_t *q = sl__kwriter_room(w, 1);
    if (q)
        q[0] = (uint8_t)v;
}

void sl_kwriter_bool(sl_kwriter_t *w, uint8_t v) { sl_kwriter_int8(w, v ? 1 : 0); }

void sl_kwriter_uint16(sl_kwriter_t *w, uint16_t v)
{
    uint8_t *q = sl__kwriter_room(w, 2);
    if (q)
        sl_store_be16(q, v);
}

void sl_kwriter_int16(sl_kwriter_t *w, int16_t v) { sl_kwriter_uint16(w, (uint16_t)v); }

void sl_kwriter_uint32(sl_kwriter_t *w, uint32_t v)
{
    uint8_t *q = sl__kwriter_room(w, 4);
    if (q)
        sl_store_be32(q, v);
}

void sl_kwriter_int32(sl_kwriter_t *w, int32_t v) { sl_kwriter_uint32(w, (uint32_t)v); }

void sl_kwriter_int64(sl_kwriter_t *w, int64_t v)
{
    uint8_t *q = sl__kwriter_room(w, 8);
    if (q)
        sl_store_be64(q, (uint64_t)v);
}

void sl_kwriter_float64(sl_kwriter_t *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    sl_kwriter_int64(w, (int64_t)u);
}

void sl_kwriter_uuid(sl_kwriter_t *w, const uint8_t u[16]) { sl_kwriter_raw(w, u, 16); }

void sl_kwriter_uvarint(sl_kwriter_t *w, uint32_t v)
{
    uint8_t t[SL_VARINT_MAX64];
    sl_kwriter_raw(w, t, sl_uvarint_put(t, v));
}

void sl_kwriter_varint(sl_kwriter_t *w, int32_t v)
{
    sl_kwriter_uvarint(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void sl_kwriter_varlong(sl_kwriter_t *w, int64_t v)
{
    uint8_t t[SL_VARINT_MAX64];
    sl_kwriter_raw(w, t, sl_varint_put(t, v));
}

/* Writes a length prefix; 0 when the value itself should not follow. */
static int sl__kwriter_len(sl_kwriter_t *w, int64_t len, int compact, int wide, int nullable)
{
    if (len < -1 || (len == -1 && !nullable)) {
        sl_kwriter_fail(w, SL_ERR_INVAL);
        return 0;
    }
    if (compact)
        sl_kwriter_uvarint(w, (uint32_t)(len + 1));
    else if (wide)
        sl_kwriter_int32(w, (int32_t)len);
    else
        sl_kwriter_int16(w, (int16_t)len);
    return len > 0;
}

void sl_kwriter_string(sl_kwriter_t *w, sl_kstr_t s, int compact, int nullable)
{
    if (s.len > SL_KSTR_MAX) {
        sl_kwriter_fail(w, SL_ERR_INVAL);
        return;
    }
    if (sl__kwriter_len(w, s.len, compact, 0, nullable))
        sl_kwriter_raw(w, s.data, (size_t)s.len);
}

void sl_kwriter_bytes(sl_kwriter_t *w, sl_kbytes_t b, int compact, int nullable)
{
    if (sl__kwriter_len(w, b.len, compact, 1, nullable))
        sl_kwriter_raw(w, b.data, (size_t)b.len);
}

void sl_kwriter_records(sl_kwriter_t *w, const sl_krecords_t *r, int compact, int nullable)
{
    int body = sl__kwriter_len(w, r->len, compact, 1, nullable);
    if (r->fd < 0) {
        if (body)
            sl_kwriter_raw(w, r->data, (size_t)r->len);
        return;
    }
    if (!body || w->err) {
        if (r->release)
            r->release(r->opaque);
        return;
    }
    /* sl_outbuf_add_file runs release itself when it fails. */
    sl_err_t err = sl_outbuf_add_file(w->ob, r->fd, r->file_pos, (size_t)r->len, r->release, r->opaque);
    if (err)
        sl_kwriter_fail(w, err);
}

void sl_kwriter_array_len(sl_kwriter_t *w, int32_t count, int compact, int nullable)
{
    sl__kwriter_len(w, count, compact, 1, nullable);
}

void sl_kwriter_null_struct(sl_kwriter_t *w, int nullable)
{
    if (nullable)
        sl_kwriter_int8(w, -1);
    else
        sl_kwriter_fail(w, SL_ERR_INVAL);
}

size_t sl_kstr_wire_size(sl_kstr_t s, int compact)
{
    size_t body = s.len > 0 ? (size_t)s.len : 0;
    return (compact ? sl_uvarint_len((uint64_t)(s.len + 1)) : 2) + body;
}

size_t sl_kbytes_wire_size(sl_kbytes_t b, int compact)
{
    size_t body = b.len > 0 ? (size_t)b.len : 0;
    return (compact ? sl_uvarint_len((uint64_t)((int64_t)b.len + 1)) : 4) + body;
}

void sl_kwriter_tag_begin(sl_kwriter_t *w, sl_kwriter_t *t)
{
    t->scratch = (sl_outbuf_t)SL_OUTBUF_INIT;
    t->ob = &t->scratch;
    t->err = w->err;
}

void sl_kwriter_tag_end(sl_kwriter_t *w, sl_kwriter_t *t)
{
    if (t->err) {
        sl_kwriter_fail(w, t->err);
    } else {
        /* The scratch buffer holds memory only (records never sit inside
         * tagged fields; gen.py refuses such specs), in one segment. */
        size_t n = sl_outbuf_len(&t->scratch);
        sl_kwriter_uvarint(w, (uint32_t)n);
        sl_kwriter_raw(w, t->scratch.mem.data, n);
    }
    sl_outbuf_free(&t->scratch);
}
