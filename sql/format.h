/* format.h — ksqlDB's serialization formats for rows: JSON, DELIMITED, KAFKA
 * and NONE, with single-value wrapping; and the sl_serde_t that hands rows
 * (sl_sql_row_t objects) to the engine.
 *
 * JSON is read and written by hand (format.c), not with jansson: DECIMAL(38)
 * values must survive both ways exactly (jansson reads every fraction as a
 * double and refuses integers past 2^63, and prints reals with %.17g), and
 * the parse tree comes from the record's arena instead of a malloc per node.
 *
 * Errors. A record that does not match its format gives SL_ERR_SERDE with a
 * message in ksqlDB's words that names the column (a JSON path "$.COL[2].F"
 * or "column COL"), for the processing log. */
#ifndef SL_SQL_FORMAT_H
#define SL_SQL_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/serde.h>

#include "sql/value.h"

/** A column: its name as ksqlDB stores it (upper case unless it was quoted)
 * and its type. */
typedef struct sl_sql_column {
    const char *name;
    const sl_sql_type_t *type;
} sl_sql_column_t;

/** The columns a format reads and writes (a key's or a value's), in order. */
typedef struct sl_sql_schema {
    size_t ncols;
    const sl_sql_column_t *cols;
} sl_sql_schema_t;

/** A row: one value per schema column, in schema order. The object a SQL
 * serde passes to and gets from the engine. */
typedef struct sl_sql_row {
    size_t n;
    sl_sql_value_t *values;
} sl_sql_row_t;

typedef enum sl_sql_format_kind {
    SL_SQL_FORMAT_NONE = 0, /* no columns, nothing in the bytes */
    SL_SQL_FORMAT_KAFKA,    /* one primitive column, Kafka's serializers */
    SL_SQL_FORMAT_JSON,
    SL_SQL_FORMAT_DELIMITED
} sl_sql_format_kind_t;

/** WRAP_SINGLE_VALUE. */
typedef enum sl_sql_wrap {
    SL_SQL_WRAP_DEFAULT = 0, /* ksqlDB's default: values wrapped, keys unwrapped */
    SL_SQL_WRAP_ON,
    SL_SQL_WRAP_OFF
} sl_sql_wrap_t;

/** A format with its properties. Zero-initialise, then set fields. */
typedef struct sl_sql_format {
    sl_sql_format_kind_t kind;
    char delimiter;     /* DELIMITED: VALUE_DELIMITER; 0 means ',' */
    sl_sql_wrap_t wrap; /* WRAP_SINGLE_VALUE */
    int is_key;         /* a key format (keys unwrap a single column by default) */
} sl_sql_format_t;

/** The format named name ("JSON", "DELIMITED", "KAFKA", "NONE"; any case).
 * Errors: SL_ERR_INVAL (an unknown or unsupported name: errbuf says so). */
sl_err_t sl_sql_format_kind_parse(const char *name, sl_sql_format_kind_t *out, char *errbuf,
                                  size_t errlen);

/** ksqlDB's name of kind ("JSON", ...); static. */
const char *sl_sql_format_kind_name(sl_sql_format_kind_t kind);

/** A VALUE_DELIMITER value: one character, or "SPACE" / "TAB" (any case).
 * Errors: SL_ERR_INVAL (empty, longer than one character otherwise). */
sl_err_t sl_sql_format_delimiter_parse(const char *s, char *out, char *errbuf, size_t errlen);

/** Checks that fmt can carry schema, as ksqlDB checks at CREATE: NONE needs
 * no columns; KAFKA exactly one INT, BIGINT, DOUBLE, STRING or BYTES column
 * and no wrapping; DELIMITED only primitive columns (no ARRAY, MAP, STRUCT)
 * and no wrapping; JSON anything, but WRAP_SINGLE_VALUE=false only with one
 * column. Errors: SL_ERR_INVAL, errbuf says why. */
sl_err_t sl_sql_format_check(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                             char *errbuf, size_t errlen);

/** Non-zero when rows of schema are written as a bare value (unwrapped). */
int sl_sql_format_unwrapped(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema);

/** Appends row's bytes in fmt to out. row->n must be schema->ncols and each
 * value NULL or of its column's type. JSON writes an object {"COL":value,...}
 * with the column names as they are (or the bare value when unwrapped);
 * DELIMITED one line without a line end, NULL as an empty field; KAFKA the
 * column's bytes as Kafka's serializers write them. A row whose only column is
 * NULL in an unwrapped or KAFKA format has no bytes: *is_null is set (the
 * record value is Kafka's null) and nothing is written. Errors: SL_ERR_SERDE
 * (a value the format cannot carry: errbuf says which column), SL_ERR_NOMEM. */
sl_err_t sl_sql_row_serialize(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                              const sl_sql_row_t *row, sl_buf_t *out, int *is_null, char *errbuf,
                              size_t errlen);

/** Reads data[0..len) in fmt into *row, with the value vector, strings and
 * nested values allocated from al (the row lives as long as al's memory;
 * string values point into al, never into data). JSON: field names match
 * columns exactly first, then case-insensitively against the upper-cased
 * JSON name (ksqlDB's rule: an unquoted column FOO matches "foo" and "Foo",
 * a quoted column `foo` only "foo"); absent fields are NULL; extra fields are
 * ignored; values are coerced as ksqlDB's JSON deserializer does (a string
 * "12" into INT, a number into STRING as its text, an object into STRING as
 * its JSON). The JSON document `null` gives *is_null = 1 (a null row). Errors:
 * SL_ERR_SERDE (the record does not match: errbuf names the column and says
 * why, in ksqlDB's words where it has them), SL_ERR_NOMEM. */
sl_err_t sl_sql_row_deserialize(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                                const uint8_t *data, size_t len, const sl_sql_alloc_t *al,
                                sl_sql_row_t *row, int *is_null, char *errbuf, size_t errlen);

/** A serde for rows of schema in fmt, for the engine: objects are
 * `const sl_sql_row_t *`, allocated by the deserializer from the record's
 * sl_mem_t. The serde, a copy of fmt and a reference to schema are allocated
 * from al (the compilation's arena): schema, its names and types must live as
 * long as al. A row the serializer would write as Kafka's null (see
 * sl_sql_row_serialize) is written as zero bytes; a deserialized null row is
 * a NULL object. After SL_ERR_SERDE, sl_sql_serde_last_error gives the
 * message. Errors: those of sl_sql_format_check, SL_ERR_NOMEM. */
sl_err_t sl_sql_serde_new(const sl_sql_alloc_t *al, const sl_sql_format_t *fmt,
                          const sl_sql_schema_t *schema, const sl_serde_t **out, char *errbuf,
                          size_t errlen);

/** The message of the last SL_ERR_SERDE a SQL serde returned on the calling
 * thread ("" when none); valid until the thread's next SQL serde call. */
const char *sl_sql_serde_last_error(void);

#endif
