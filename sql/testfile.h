/* testfile.h — the input and output files of ksqlDB's ksql-test-runner tool,
 * which `sluice test-runner` accepts unchanged:
 *
 *   input.json   {"inputs":  [{"topic": "t", "key": K, "value": V,
 *                              "timestamp": 0, "headers": [{"KEY": "k", "VALUE": "base64"}],
 *                              "window": {"start": 0, "end": 0, "type": "time"}}, …]}
 *   output.json  {"outputs": [{"topic": "t", "key": K, "value": V, "timestamp": 0,
 *                              "headers": […], "window": {…}}, …]}
 *
 * "window" is the window of a windowed topic's key (the runner writes it
 * into an input's key, and compares an output's); "headers" of an output
 * record are compared when given.
 *
 * K and V are JSON values: for a JSON-format topic the record's JSON; for
 * KAFKA-format columns the primitive; for DELIMITED a string; null is Kafka's
 * null. Records convert to and from the bytes of a topic through its format
 * and schema (sql/format.h). Comparison follows the tool: every record of
 * every output topic in order, numbers equal to 1e-6, timestamps compared when
 * the expected record gives one. */
#ifndef SL_SQL_TESTFILE_H
#define SL_SQL_TESTFILE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "common/buf.h"
#include "sql/format.h"

/** One record of a test file. key and value are jansson values (owned: a
 * reference each), NULL for JSON null. */
typedef struct sl_sql_test_record {
    char *topic;
    json_t *key, *value;
    int64_t timestamp;
    int has_timestamp;
    json_t *headers; /* as given, or NULL */
    json_t *window;  /* as given, or NULL */
} sl_sql_test_record_t;

typedef struct sl_sql_test_records {
    sl_sql_test_record_t *v;
    size_t n;
} sl_sql_test_records_t;

/** Reads the records under member ("inputs" or "outputs") of the JSON file
 * at path. Errors: SL_ERR_IO (cannot read), SL_ERR_INVAL (not the tool's
 * format: errbuf says where), SL_ERR_NOMEM; on error *out is empty. On
 * success *out is the caller's (sl_sql_test_records_free). */
sl_err_t sl_sql_test_records_load(const char *path, const char *member,
                                  sl_sql_test_records_t *out, char *errbuf, size_t errlen);

/** Frees the records. */
void sl_sql_test_records_free(sl_sql_test_records_t *r);

/** Turns a test-file value into the bytes fmt/schema give it: JSON written
 * as it is (the tool's rule for JSON topics), KAFKA and DELIMITED through a
 * row. v NULL: *is_null. Errors: SL_ERR_INVAL (v does not fit: errbuf says
 * why), SL_ERR_NOMEM. */
sl_err_t sl_sql_test_encode(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                            const json_t *v, sl_buf_t *out, int *is_null, char *errbuf,
                            size_t errlen);

/** Reads bytes of fmt/schema back into a test-file value (a new reference;
 * NULL for Kafka's null). Errors: SL_ERR_SERDE, SL_ERR_NOMEM. */
sl_err_t sl_sql_test_decode(const sl_sql_format_t *fmt, const sl_sql_schema_t *schema,
                            const uint8_t *data, size_t len, int is_null, json_t **out,
                            char *errbuf, size_t errlen);

/** Are two test-file values equal (numbers to 1e-6, objects by member,
 * arrays in order)? */
int sl_sql_test_json_equal(const json_t *a, const json_t *b);

#endif
