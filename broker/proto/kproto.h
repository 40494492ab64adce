/* kproto.h — Kafka wire primitives under the generated codecs (kmsg.c): a
 * bounds-checked reader whose first error latches, and a writer into an
 * sl_outbuf_t that can carry log file ranges for sendfile.
 *
 * Reader: every length, count and tag size is checked against the bytes left
 * before anything is allocated (Kafka's CVE-2022-34917 was a count trusted
 * before the check). After the first error r->err stays set, r->p == r->end,
 * and every later read returns a zero value, so callers check once at the end.
 * Strings, bytes and records read are views into the input buffer.
 *
 * Writer: the same latch; the first error (SL_ERR_NOMEM, SL_ERR_INVAL,
 * SL_ERR_UNSUPPORTED) is kept and later writes do nothing — except that
 * records file ranges are still consumed (released), see sl_kwriter_records. */
#ifndef SL_BROKER_PROTO_KPROTO_H
#define SL_BROKER_PROTO_KPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sluice/err.h>

#include "common/buf.h"
#include "common/outbuf.h"

/* ---- value types ------------------------------------------------------------ */

/** A string view (UTF-8, not NUL-terminated). len -1: null (data NULL). */
typedef struct sl_kstr {
    const char *data;
    int32_t len;
} sl_kstr_t;

/** A bytes view. len -1: null (data NULL). */
typedef struct sl_kbytes {
    const uint8_t *data;
    int32_t len;
} sl_kbytes_t;

/** A records field: record batches, either in memory (fd < 0: data, len) or,
 * when encoding a response, len bytes of file fd from file_pos, sent with
 * sendfile; release(opaque) (may be NULL) runs once the range is sent or
 * dropped. len -1: null. Decoded records are always in-memory views. */
typedef struct sl_krecords {
    const uint8_t *data;
    int32_t len; /* -1: null */
    int fd;
    uint64_t file_pos;
    void (*release)(void *opaque);
    void *opaque;
} sl_krecords_t;

#define SL_KSTR_NULL ((sl_kstr_t){NULL, -1})
/** A sl_kstr_t of a string literal. */
#define SL_KSTR(lit) ((sl_kstr_t){(lit), (int32_t)(sizeof(lit) - 1)})
#define SL_KRECORDS_NULL ((sl_krecords_t){NULL, -1, -1, 0, NULL, NULL})

/** A sl_kstr_t viewing the NUL-terminated s (NULL gives null). */
static inline sl_kstr_t sl_kstr_from(const char *s)
{
    return s ? (sl_kstr_t){s, (int32_t)strlen(s)} : SL_KSTR_NULL;
}

/** True when a and b are both null or hold the same bytes. */
static inline int sl_kstr_eq(sl_kstr_t a, sl_kstr_t b)
{
    return a.len == b.len && (a.len <= 0 || memcmp(a.data, b.data, (size_t)a.len) == 0);
}

/** True when s is non-null and holds the len bytes of p. */
static inline int sl_kstr_is(sl_kstr_t s, const char *p, int32_t len)
{
    return s.len == len && (len == 0 || memcmp(s.data, p, (size_t)len) == 0);
}

static inline int sl_kuuid_is_zero(const uint8_t u[16])
{
    static const uint8_t zero[16];
    return memcmp(u, zero, 16) == 0;
}

/* Arrays: items (allocated from the decoding arena, or by whoever builds the
 * message) and count; count -1 is a null array. */
#define SL__KARRAY(name, T) \
    typedef struct name {   \
        T *items;           \
        int32_t count;      \
    } name##_t
SL__KARRAY(sl_kbool_array, uint8_t);
SL__KARRAY(sl_kint8_array, int8_t);
SL__KARRAY(sl_kint16_array, int16_t);
SL__KARRAY(sl_kuint16_array, uint16_t);
SL__KARRAY(sl_kint32_array, int32_t);
SL__KARRAY(sl_kuint32_array, uint32_t);
SL__KARRAY(sl_kint64_array, int64_t);
SL__KARRAY(sl_kfloat64_array, double);
SL__KARRAY(sl_kstr_array, sl_kstr_t);
typedef struct sl_kuuid_array {
    uint8_t (*items)[16];
    int32_t count;
} sl_kuuid_array_t;

/** Longest string Kafka reads or writes (it rejects longer ones). */
#define SL_KSTR_MAX 0x7fff

/* ---- reader ----------------------------------------------------------------- */

typedef struct sl_kreader {
    const uint8_t *p, *end;
    sl_err_t err; /* first error; latched */
} sl_kreader_t;

/** A reader over data[0..len), which must outlive everything decoded from it.
 * data may be NULL when len is 0. */
static inline sl_kreader_t sl_kreader_make(const void *data, size_t len)
{
    /* Never a NULL p: pointer arithmetic on NULL, even + 0, is undefined. */
    static const uint8_t none[1];
    const uint8_t *p = data ? (const uint8_t *)data : none;
    return (sl_kreader_t){p, p + len, SL_OK};
}

static inline size_t sl_kreader_remaining(const sl_kreader_t *r) { return (size_t)(r->end - r->p); }

/** Latches err (the first error wins) and empties r. */
void sl_kreader_fail(sl_kreader_t *r, sl_err_t err);

/** Returns a pointer to the next n bytes and moves past them, or NULL (and
 * SL_ERR_TRUNCATED) when fewer are left. */
static inline const uint8_t *sl_kreader_take(sl_kreader_t *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        sl_kreader_fail(r, SL_ERR_TRUNCATED);
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

static inline int8_t sl_kreader_int8(sl_kreader_t *r)
{
    const uint8_t *q = sl_kreader_take(r, 1);
    return q ? (int8_t)q[0] : 0;
}
/** Kafka reads any non-zero byte as true; returns 0 or 1. */
static inline uint8_t sl_kreader_bool(sl_kreader_t *r)
{
    const uint8_t *q = sl_kreader_take(r, 1);
    return q ? q[0] != 0 : 0;
}
static inline uint16_t sl_kreader_uint16(sl_kreader_t *r)
{
    const uint8_t *q = sl_kreader_take(r, 2);
    return q ? sl_load_be16(q) : 0;
}
static inline int16_t sl_kreader_int16(sl_kreader_t *r) { return (int16_t)sl_kreader_uint16(r); }
static inline uint32_t sl_kreader_uint32(sl_kreader_t *r)
{
    const uint8_t *q = sl_kreader_take(r, 4);
    return q ? sl_load_be32(q) : 0;
}
static inline int32_t sl_kreader_int32(sl_kreader_t *r) { return (int32_t)sl_kreader_uint32(r); }
static inline int64_t sl_kreader_int64(sl_kreader_t *r)
{
    const uint8_t *q = sl_kreader_take(r, 8);
    return q ? (int64_t)sl_load_be64(q) : 0;
}

/** IEEE 754 double, big-endian. */
double sl_kreader_float64(sl_kreader_t *r);
/** 16 bytes into out (zeros on error). */
void sl_kreader_uuid(sl_kreader_t *r, uint8_t out[16]);
/** Unsigned varint of at most 5 bytes (UNSIGNED_VARINT); SL_ERR_INVAL if longer. */
uint32_t sl_kreader_uvarint(sl_kreader_t *r);
/** Zigzag varint (VARINT) and varlong (VARLONG). */
int32_t sl_kreader_varint(sl_kreader_t *r);
int64_t sl_kreader_varlong(sl_kreader_t *r);

/** STRING / NULLABLE_STRING (compact == 0) or COMPACT_[NULLABLE_]STRING.
 * Null where !nullable, a negative length other than -1, or a length above
 * SL_KSTR_MAX: SL_ERR_INVAL; more than is left: SL_ERR_TRUNCATED. */
sl_kstr_t sl_kreader_string(sl_kreader_t *r, int compact, int nullable);
/** BYTES / NULLABLE_BYTES or their compact forms; errors as for strings
 * (without the length cap). */
sl_kbytes_t sl_kreader_bytes(sl_kreader_t *r, int compact, int nullable);
/** RECORDS (compact or not) as an in-memory view (fd -1) into *out. */
void sl_kreader_records(sl_kreader_t *r, int compact, int nullable, sl_krecords_t *out);

/** Reads an ARRAY / COMPACT_ARRAY count: -1 for null (SL_ERR_INVAL when
 * !nullable). A count whose elements, min_elem bytes each at least (treated
 * as 1 when smaller), could not fit in the bytes left is SL_ERR_TRUNCATED —
 * before anyone allocates for it. Returns 0 on error. */
int32_t sl_kreader_array_len(sl_kreader_t *r, int compact, int nullable, size_t min_elem);

/** sl_kreader_array_len, then allocates count * elem_size bytes from arena
 * (uninitialised; SL_ERR_NOMEM when that fails). Sets *count (-1: null, 0 on
 * error) and returns the items, NULL when there are none or on error. */
void *sl_kreader_array(sl_kreader_t *r, sl_arena_t *arena, int compact, int nullable, size_t min_elem,
                       size_t elem_size, int32_t *count);

/** n bytes from arena for a nullable struct; NULL and SL_ERR_NOMEM when that
 * fails, NULL when r has already failed. */
void *sl_kreader_alloc(sl_kreader_t *r, sl_arena_t *arena, size_t n);

/** Reads the count of a tagged-field section (each field takes at least 2
 * bytes, so a larger count than fits is SL_ERR_TRUNCATED); 0 on error. */
uint32_t sl_kreader_tag_count(sl_kreader_t *r);

/** Reads one tagged field's tag and size, sets *t to a reader over its size
 * bytes, and moves r past them. Returns the tag (UINT32_MAX on error, with t
 * failed too). Read the field from t, then call sl_kreader_tag_end. */
uint32_t sl_kreader_tag_begin(sl_kreader_t *r, sl_kreader_t *t);

/** Carries t's error (if any) over to r. Bytes of the field left unread are
 * skipped, as are the fields of unknown tags. */
void sl_kreader_tag_end(sl_kreader_t *r, const sl_kreader_t *t);

/** Skips a whole tagged-field section (for structs with no known tags). */
void sl_kreader_skip_tags(sl_kreader_t *r);

/* ---- writer ----------------------------------------------------------------- */

typedef struct sl_kwriter {
    sl_outbuf_t *ob;
    sl_err_t err;         /* first error; latched */
    sl_outbuf_t scratch;  /* a tagged field's bytes, while its size is unknown */
} sl_kwriter_t;

/** Starts a writer appending to ob (which the caller keeps owning). */
void sl_kwriter_init(sl_kwriter_t *w, sl_outbuf_t *ob);

/** Latches err; the first error wins. */
void sl_kwriter_fail(sl_kwriter_t *w, sl_err_t err);

/** Appends n raw bytes. */
void sl_kwriter_raw(sl_kwriter_t *w, const void *p, size_t n);

void sl_kwriter_int8(sl_kwriter_t *w, int8_t v);
void sl_kwriter_bool(sl_kwriter_t *w, uint8_t v); /* writes 1 for any non-zero v */
void sl_kwriter_int16(sl_kwriter_t *w, int16_t v);
void sl_kwriter_uint16(sl_kwriter_t *w, uint16_t v);
void sl_kwriter_int32(sl_kwriter_t *w, int32_t v);
void sl_kwriter_uint32(sl_kwriter_t *w, uint32_t v);
void sl_kwriter_int64(sl_kwriter_t *w, int64_t v);
void sl_kwriter_float64(sl_kwriter_t *w, double v);
void sl_kwriter_uuid(sl_kwriter_t *w, const uint8_t u[16]);
void sl_kwriter_uvarint(sl_kwriter_t *w, uint32_t v);
void sl_kwriter_varint(sl_kwriter_t *w, int32_t v);
void sl_kwriter_varlong(sl_kwriter_t *w, int64_t v);

/** A string in its (compact) form. SL_ERR_INVAL for null where !nullable, a
 * length below -1 or above SL_KSTR_MAX. */
void sl_kwriter_string(sl_kwriter_t *w, sl_kstr_t s, int compact, int nullable);
/** Bytes in their (compact) form; SL_ERR_INVAL for null where !nullable. */
void sl_kwriter_bytes(sl_kwriter_t *w, sl_kbytes_t b, int compact, int nullable);

/** A records field: the length prefix, then the bytes, or, when fd >= 0, the
 * file range (zero copy, sl_outbuf_add_file). Consumes r's release callback
 * when fd >= 0: it passes to the outbuf, or runs now if the writer has
 * already failed (or the field is null), so it runs exactly once either way. */
void sl_kwriter_records(sl_kwriter_t *w, const sl_krecords_t *r, int compact, int nullable);

/** An array count (compact: count + 1 as a uvarint, 0 for null).
 * SL_ERR_INVAL for -1 where !nullable or a count below -1. */
void sl_kwriter_array_len(sl_kwriter_t *w, int32_t count, int compact, int nullable);

/** A null struct: Kafka's marker (int8 -1) where nullable, else SL_ERR_INVAL. */
void sl_kwriter_null_struct(sl_kwriter_t *w, int nullable);

/** Bytes a string / bytes value takes on the wire (for tagged-field sizes). */
size_t sl_kstr_wire_size(sl_kstr_t s, int compact);
size_t sl_kbytes_wire_size(sl_kbytes_t b, int compact);

/** Starts a tagged field of unknown size: *t writes into its own scratch
 * buffer (memory only, no file ranges) and inherits w's error. */
void sl_kwriter_tag_begin(sl_kwriter_t *w, sl_kwriter_t *t);

/** Ends it: writes t's size and bytes to w, keeps t's error, frees t's buffer.
 * The caller has written the tag itself. */
void sl_kwriter_tag_end(sl_kwriter_t *w, sl_kwriter_t *t);

#endif
