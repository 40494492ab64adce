/* value.h — the SQL value model: ksqlDB's types (sl_sql_type_t) and a compact
 * tagged value (sl_sql_value_t) with comparison, hashing, CAST and printing.
 * The expression evaluator, the functions, the formats (format.h) and the
 * compiler all work on these.
 *
 * Memory. Nothing here mallocs per value: every allocation goes through an
 * sl_sql_alloc_t, a two-word allocator handle made from an sl_arena_t (a
 * compilation, a test) or from the engine's sl_mem_t (a record in flight, so
 * that values made by a serde or an expression die with the record). Memory
 * is never freed one by one; a value or type lives as long as the arena or
 * scope it came from.
 *
 * Types are immutable once built. The primitive types are static singletons
 * (sl_sql_type_prim: valid forever, never freed); DECIMAL, ARRAY, MAP and
 * STRUCT types are allocated from an allocator and live as long as it. A type
 * only points to its own allocation, to the static primitives, or to types
 * that outlive it (sl_sql_type_copy makes a self-contained copy elsewhere).
 *
 * Values do not own what they point to: a STRING value made with
 * sl_sql_value_string points at the caller's bytes; the *_dup constructors and
 * sl_sql_value_copy copy into an allocator. Structured values (ARRAY, MAP,
 * STRUCT) hold a vector of item values allocated from an allocator. */
#ifndef SL_SQL_VALUE_H
#define SL_SQL_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>
#include <sluice/serde.h>

#include "common/buf.h"

/* ---- allocation ---------------------------------------------------------------- */

/** Where values and types get their memory. fn(ctx, n) returns n bytes
 * aligned for any type (NULL when memory runs out). A plain struct: pass it
 * by pointer, keep it as long as you allocate with it. */
typedef struct sl_sql_alloc {
    void *(*fn)(void *ctx, size_t n);
    void *ctx;
} sl_sql_alloc_t;

/** An allocator over arena a (memory lives until a is reset or freed). */
sl_sql_alloc_t sl_sql_alloc_arena(sl_arena_t *a);

/** An allocator over the engine's record scope m (memory lives until the
 * engine resets m: until the record has gone through the topology). */
sl_sql_alloc_t sl_sql_alloc_mem(sl_mem_t *m);

/** n bytes from al (NULL when memory runs out). */
static inline void *sl_sql_alloc(const sl_sql_alloc_t *al, size_t n) { return al->fn(al->ctx, n ? n : 1); }

/* ---- types --------------------------------------------------------------------- */

/** ksqlDB's base types. Zero is no type (never in a valid descriptor). */
typedef enum sl_sql_base {
    SL_SQL_BOOLEAN = 1,
    SL_SQL_INT,       /* 32-bit signed ("INTEGER" when printed) */
    SL_SQL_BIGINT,    /* 64-bit signed */
    SL_SQL_DOUBLE,    /* IEEE 754 binary64 */
    SL_SQL_DECIMAL,   /* precision 1..38, scale 0..precision; unscaled value in 128 bits */
    SL_SQL_STRING,    /* UTF-8 bytes (VARCHAR is the same type) */
    SL_SQL_BYTES,     /* raw bytes */
    SL_SQL_DATE,      /* days since 1970-01-01 (int32) */
    SL_SQL_TIME,      /* milliseconds of the day, 0..86399999 (int32) */
    SL_SQL_TIMESTAMP, /* milliseconds since the epoch, UTC (int64) */
    SL_SQL_ARRAY,     /* ARRAY<T> */
    SL_SQL_MAP,       /* MAP<K, V> */
    SL_SQL_STRUCT     /* STRUCT<name T, ...> */
} sl_sql_base_t;

/** The largest DECIMAL precision (ksqlDB's, and what fits in 128 bits). */
#define SL_SQL_DECIMAL_MAX_PRECISION 38

typedef struct sl_sql_type sl_sql_type_t;

/** A STRUCT field: a name as ksqlDB stores it (already upper-cased by the
 * parser unless it was quoted; matched case-sensitively here) and a type. */
typedef struct sl_sql_field {
    const char *name;
    const sl_sql_type_t *type;
} sl_sql_field_t;

/** A type descriptor. Read its fields freely; build it only with the
 * constructors below (they validate and keep the invariants). */
struct sl_sql_type {
    sl_sql_base_t base;
    uint8_t precision, scale;     /* DECIMAL */
    const sl_sql_type_t *key;     /* MAP: the key type */
    const sl_sql_type_t *item;    /* ARRAY: the element type; MAP: the value type */
    size_t nfields;               /* STRUCT */
    const sl_sql_field_t *fields; /* STRUCT: nfields fields, names distinct */
};

/** The static descriptor of a primitive type (BOOLEAN, INT, BIGINT, DOUBLE,
 * STRING, BYTES, DATE, TIME, TIMESTAMP); NULL for DECIMAL, ARRAY, MAP, STRUCT
 * and anything else. Valid forever. */
const sl_sql_type_t *sl_sql_type_prim(sl_sql_base_t base);

/** DECIMAL(precision, scale) from al into *out. Errors: SL_ERR_INVAL
 * (precision not in 1..38, or scale not in 0..precision: errbuf says which,
 * in ksqlDB's words), SL_ERR_NOMEM. */
sl_err_t sl_sql_type_decimal(const sl_sql_alloc_t *al, int precision, int scale,
                             const sl_sql_type_t **out, char *errbuf, size_t errlen);

/** ARRAY<item> from al; NULL when memory runs out. item must outlive it. */
const sl_sql_type_t *sl_sql_type_array(const sl_sql_alloc_t *al, const sl_sql_type_t *item);

/** MAP<key, value> from al into *out. ksqlDB (0.17 and later) allows any
 * primitive key type; its JSON format writes keys as strings. Errors:
 * SL_ERR_INVAL (key is an ARRAY, MAP or STRUCT), SL_ERR_NOMEM. key and value
 * must outlive the map type. */
sl_err_t sl_sql_type_map(const sl_sql_alloc_t *al, const sl_sql_type_t *key,
                         const sl_sql_type_t *value, const sl_sql_type_t **out, char *errbuf,
                         size_t errlen);

/** STRUCT<fields...> from al into *out: the field vector and the names are
 * copied; the field types must outlive the struct type. Zero fields is
 * allowed (STRUCT<>). Errors: SL_ERR_INVAL (a NULL or empty name, a NULL
 * type, a name used twice: errbuf names it), SL_ERR_NOMEM. */
sl_err_t sl_sql_type_struct(const sl_sql_alloc_t *al, const sl_sql_field_t *fields, size_t n,
                            const sl_sql_type_t **out, char *errbuf, size_t errlen);

/** A deep copy of t in al (primitives are returned as they are); NULL when
 * memory runs out. The copy depends on nothing but al and the statics. */
const sl_sql_type_t *sl_sql_type_copy(const sl_sql_alloc_t *al, const sl_sql_type_t *t);

/** Non-zero when a and b are the same type (DECIMAL: same precision and
 * scale; STRUCT: same field names, in order, and types). */
int sl_sql_type_equal(const sl_sql_type_t *a, const sl_sql_type_t *b);

/** Non-zero for INT, BIGINT, DOUBLE and DECIMAL. */
int sl_sql_type_is_numeric(const sl_sql_type_t *t);

/** The index of field name in STRUCT t (exact match), or -1. */
long sl_sql_type_field_index(const sl_sql_type_t *t, const char *name);

/** How a type is spelled. */
typedef enum sl_sql_type_style {
    /** ksqlDB's SqlType.toString (statements, error messages, EXPLAIN):
     * "INTEGER", "STRING", "DECIMAL(10, 2)", "ARRAY<STRUCT<`A` INTEGER>>",
     * "MAP<STRING, BIGINT>". */
    SL_SQL_TYPE_SQL,
    /** The CLI's DESCRIBE column: strings are "VARCHAR(STRING)" and struct
     * field names are bare: "STRUCT<A INTEGER, B VARCHAR(STRING)>". */
    SL_SQL_TYPE_DESCRIBE
} sl_sql_type_style_t;

/** Appends t spelled in style to out. Errors: SL_ERR_NOMEM (out may then hold
 * part of the text). */
sl_err_t sl_sql_type_format(const sl_sql_type_t *t, sl_sql_type_style_t style, sl_buf_t *out);

/** The base type's name as ksqlDB prints it ("INTEGER", "STRUCT", ...);
 * static. */
const char *sl_sql_base_name(sl_sql_base_t base);

/* ---- values -------------------------------------------------------------------- */

/** A signed 128-bit integer: the unscaled value of a DECIMAL. */
__extension__ typedef __int128 sl_sql_i128_t;

typedef struct sl_sql_value sl_sql_value_t;

/** A value: a base-type tag, a NULL flag and a payload. NULL of any type is
 * {base, is_null = 1}. 32 bytes. Which payload member is used:
 *   BOOLEAN b (0/1) · INT, DATE, TIME i32 · BIGINT, TIMESTAMP i64 · DOUBLE d
 *   DECIMAL dec = unscaled value, with precision/scale the value's type
 *   STRING str (len bytes of UTF-8, not NUL-terminated) · BYTES bytes (len)
 *   ARRAY items[0..len) · MAP items[0..2*len): key, value, key, value ...
 *   STRUCT items[0..len), one per field of the type, in the type's order.
 * Values carry no field names: the functions that need them (struct casts,
 * printing) take the type. */
struct sl_sql_value {
    uint8_t base;    /* sl_sql_base_t */
    uint8_t is_null; /* 1: SQL NULL (the payload is meaningless) */
    uint8_t precision, scale;
    uint32_t len;
    union {
        int b;
        int32_t i32;
        int64_t i64;
        double d;
        sl_sql_i128_t dec;
        const char *str;
        const uint8_t *bytes;
        sl_sql_value_t *items;
    } u;
};

/* Constructors of scalar values (no memory needed; strings and bytes are
 * views of the caller's memory, which must outlive the value). */
sl_sql_value_t sl_sql_value_null(const sl_sql_type_t *t);
sl_sql_value_t sl_sql_value_bool(int b);
sl_sql_value_t sl_sql_value_int(int32_t v);
sl_sql_value_t sl_sql_value_bigint(int64_t v);
sl_sql_value_t sl_sql_value_double(double v);
/** A DECIMAL(precision, scale) with this unscaled value (not checked: see
 * sl_sql_decimal_fits). */
sl_sql_value_t sl_sql_value_decimal(sl_sql_i128_t unscaled, int precision, int scale);
sl_sql_value_t sl_sql_value_string(const char *s, size_t len);
sl_sql_value_t sl_sql_value_bytes(const uint8_t *p, size_t len);
sl_sql_value_t sl_sql_value_date(int32_t days);
sl_sql_value_t sl_sql_value_time(int32_t ms_of_day);
sl_sql_value_t sl_sql_value_timestamp(int64_t ms);

/** A STRING value holding a copy of s[0..len) (NUL-terminated in memory, so
 * u.str may be passed to C string functions when s holds no NUL). Errors:
 * SL_ERR_NOMEM. */
sl_err_t sl_sql_value_string_dup(const sl_sql_alloc_t *al, const char *s, size_t len,
                                 sl_sql_value_t *out);

/** A BYTES value holding a copy of p[0..len). Errors: SL_ERR_NOMEM. */
sl_err_t sl_sql_value_bytes_dup(const sl_sql_alloc_t *al, const uint8_t *p, size_t len,
                                sl_sql_value_t *out);

/** A non-NULL ARRAY (n items), MAP (n entries: 2n item slots) or STRUCT
 * (t->nfields items) of type t with its item vector allocated from al and
 * every item set to NULL of its type; fill out->u.items afterwards. Errors:
 * SL_ERR_INVAL (t is not ARRAY/MAP/STRUCT), SL_ERR_NOMEM. */
sl_err_t sl_sql_value_container(const sl_sql_alloc_t *al, const sl_sql_type_t *t, size_t n,
                                sl_sql_value_t *out);

/** A deep copy of src into *dst: strings, bytes and item vectors are copied
 * into al, so the copy lives as long as al whatever happens to src's memory.
 * Errors: SL_ERR_NOMEM (*dst is then unspecified). */
sl_err_t sl_sql_value_copy(const sl_sql_alloc_t *al, const sl_sql_value_t *src, sl_sql_value_t *dst);

/** Results of sl_sql_value_compare. */
enum {
    SL_SQL_LT = -1,
    SL_SQL_EQ = 0,
    SL_SQL_GT = 1,
    SL_SQL_UNKNOWN = 2,     /* a NULL operand: SQL's unknown */
    SL_SQL_INCOMPARABLE = 3 /* types that cannot be compared (the analyzer should have refused) */
};

/** Compares a and b as SQL's <, =, > do: SL_SQL_UNKNOWN when either is NULL
 * (three-valued logic: the caller turns it into NULL), else -1/0/1.
 * Numbers of different types compare by value (INT, BIGINT and DECIMAL
 * exactly; against a DOUBLE, as doubles). DOUBLE follows Java's
 * Double.compare, as ksqlDB does: NaN equals NaN and is above everything,
 * -0.0 is below 0.0. Strings and bytes compare bytewise (for UTF-8 this is
 * code-point order; Java compares UTF-16 units, which differs only between
 * supplementary characters and U+E000..U+FFFF). BOOLEAN: false < true. DATE
 * against TIMESTAMP compares the date's midnight. ARRAY and STRUCT compare
 * item by item, then by length; MAP only for equality (equal maps give 0,
 * others 1). Inside arrays, maps and structs NULL is a value, as in Java's
 * equals: NULL = NULL and NULL sorts first. Other pairs give
 * SL_SQL_INCOMPARABLE. */
int sl_sql_value_compare(const sl_sql_value_t *a, const sl_sql_value_t *b);

/** Non-zero when a and b are "not distinct": both NULL, or comparing equal
 * (maps: the same entries in any order). For GROUP BY keys and join keys in
 * hash tables (whether a NULL key takes part is the caller's rule). */
int sl_sql_value_equal(const sl_sql_value_t *a, const sl_sql_value_t *b);

/** A 64-bit hash, equal for values sl_sql_value_equal calls equal (INT 1,
 * BIGINT 1, DOUBLE 1.0 and DECIMAL 1.00 all hash alike; a DATE hashes as its
 * midnight TIMESTAMP; maps hash independently of entry order). */
uint64_t sl_sql_value_hash(const sl_sql_value_t *v);

/** How a value is printed. */
typedef enum sl_sql_print_style {
    /** As ksqlDB's CLI shows query results: strings bare (at the top and
     * nested), NULL as "null", DOUBLE as Java prints it ("1.0", "1.0E10"),
     * DECIMAL plain ("12.30"), DATE "2021-03-04", TIME "10:15:30" (".5" etc.
     * when there are milliseconds), TIMESTAMP "2021-03-04T10:15:30.000"
     * (UTC), BYTES base64, ARRAY "[1, 2]", MAP "{a=1, b=2}", STRUCT
     * "{A=1, B=x}" (Java's toString of the lists and maps ksqlDB holds). */
    SL_SQL_PRINT_DISPLAY,
    /** JSON, as ksqlDB's JSON format writes values: strings quoted, DECIMAL
     * as a number with its scale (12.30), DATE as epoch days, TIME and
     * TIMESTAMP as milliseconds, BYTES base64, MAP and STRUCT as objects
     * (map keys printed as strings), NULL as null. Compact (no spaces). */
    SL_SQL_PRINT_JSON
} sl_sql_print_style_t;

/** Appends v (of type t: needed for STRUCT field names and map key types;
 * may be NULL when v holds no STRUCT) printed in style to out. Errors:
 * SL_ERR_NOMEM. */
sl_err_t sl_sql_value_print(const sl_sql_type_t *t, const sl_sql_value_t *v,
                            sl_sql_print_style_t style, sl_buf_t *out);

/* ---- CAST ---------------------------------------------------------------------- */

/** CAST(v AS to) with ksqlDB's rules, into *out (memory from al; out may not
 * alias v's items). from is v's type (needed for STRUCT sources; DECIMAL's
 * precision and scale also travel in the value). NULL casts to NULL of to.
 *   - numbers widen exactly; DOUBLE and DECIMAL to INT/BIGINT truncate toward
 *     zero; BIGINT to INT keeps the low 32 bits (Java's Long.intValue, which
 *     ksqlDB's CAST uses); DOUBLE to INT/BIGINT saturates (NaN gives 0);
 *   - to DECIMAL(p, s): rounded HALF_UP to scale s (a DOUBLE as Java's
 *     BigDecimal.valueOf, i.e. from its shortest decimal form), then SL_ERR_RANGE
 *     when it needs more than p - s integer digits (ksqlDB's "Numeric field
 *     overflow" message);
 *   - STRING to INT/BIGINT/DOUBLE/DECIMAL: the number (surrounding white space
 *     ignored), SL_ERR_INVAL when it is not one, SL_ERR_RANGE when it does not fit;
 *   - STRING to BOOLEAN: ksqlDB's SqlBooleans: a case-insensitive prefix of
 *     "true" or "yes" is true, of "false" or "no" false, anything else SL_ERR_INVAL;
 *   - STRING to DATE ("yyyy-MM-dd", or "yyyy-MM" / "yyyy"), TIME ("HH:mm",
 *     "HH:mm:ss", "HH:mm:ss.fff"), TIMESTAMP ("yyyy-MM-dd'T'HH:mm:ss.SSS",
 *     any trailing part may be left out; a zone "Z", "+HH:mm", "+HHmm" or
 *     "+HH" may follow; UTC otherwise);
 *   - TIMESTAMP to DATE (the day, UTC) and TIME (the time of day); DATE to
 *     TIMESTAMP (midnight UTC);
 *   - anything to STRING: as SL_SQL_PRINT_DISPLAY prints it, except that
 *     BOOLEAN is "true"/"false" and ARRAY/MAP/STRUCT use the same display form;
 *   - ARRAY to ARRAY and MAP to MAP item by item; STRUCT to STRUCT by field
 *     name (fields the source lacks are NULL);
 *   - to the same type: the value itself (a shallow copy).
 * Errors: SL_ERR_INVAL (a cast ksqlDB does not allow, e.g. BOOLEAN to INT,
 * BYTES to STRING; or a string that does not parse), SL_ERR_RANGE (overflow),
 * SL_ERR_NOMEM; errbuf then says why. */
sl_err_t sl_sql_cast(const sl_sql_alloc_t *al, const sl_sql_type_t *from, const sl_sql_value_t *v,
                     const sl_sql_type_t *to, sl_sql_value_t *out, char *errbuf, size_t errlen);

/** Non-zero when CAST(from AS to) is allowed (the analyzer's check; a
 * particular value may still fail at run time). */
int sl_sql_cast_allowed(const sl_sql_type_t *from, const sl_sql_type_t *to);

/* ---- decimal helpers ------------------------------------------------------------- */

/** 10^n for n in 0..38. */
sl_sql_i128_t sl_sql_pow10(int n);

/** Parses a decimal number (optional sign, digits with an optional point,
 * optional exponent "e-3": Java's BigDecimal syntax) and rounds it HALF_UP to
 * scale, giving the unscaled value in *out. strict: refuse (SL_ERR_RANGE) a
 * value that would need rounding (non-zero digits past scale), as ksqlDB's
 * deserializers do. Errors: SL_ERR_INVAL (not a number), SL_ERR_RANGE (more
 * than precision digits: ksqlDB's messages). */
sl_err_t sl_sql_decimal_parse(const char *s, size_t len, int precision, int scale, int strict,
                              sl_sql_i128_t *out, char *errbuf, size_t errlen);

/** Rescales unscaled value v of scale from to scale to (HALF_UP when digits
 * are dropped) and checks it fits precision. Errors: SL_ERR_RANGE. */
sl_err_t sl_sql_decimal_rescale(sl_sql_i128_t v, int from_scale, int precision, int scale,
                                sl_sql_i128_t *out, char *errbuf, size_t errlen);

/** Non-zero when |unscaled| < 10^precision. */
int sl_sql_decimal_fits(sl_sql_i128_t unscaled, int precision);

/** The decimal as a double (correctly rounded). */
double sl_sql_decimal_to_double(sl_sql_i128_t unscaled, int scale);

/** Writes the plain decimal text ("-12.30", "0.05") of unscaled/10^scale to
 * buf (at least 48 bytes), NUL-terminated; returns its length. */
size_t sl_sql_decimal_text(sl_sql_i128_t unscaled, int scale, char *buf);

/** Writes d as Java's Double.toString does ("1.0", "0.001", "1.0E7",
 * "1.2345E-5", "NaN", "Infinity") to buf (at least 32 bytes); returns the
 * length. */
size_t sl_sql_double_text(double d, char *buf);

/* ---- dates and times ---------------------------------------------------------------- */

/** Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t sl_sql_days_from_civil(int64_t y, unsigned m, unsigned d);

/** The date of day number days. */
void sl_sql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
