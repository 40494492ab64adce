/* sluice/serde.h — serializers/deserializers: how the engine turns Kafka's
 * key and value bytes into the objects a topology works on, and back.
 *
 * Objects. A topology passes keys and values around as `const void *`
 * pointers to objects whose type the serde defines (the built-in ones are
 * listed below). NULL is Kafka's null (a tombstone value, a null key): the
 * engine maps null bytes to a NULL object and back without calling the serde.
 *
 * Memory. A deserializer allocates the object from an sl_mem_t, an
 * allocation scope the engine resets when the record it belongs to has gone
 * through the topology (one scope per record; nothing is freed one by one).
 * A serializer appends bytes to an sl_out_t the engine owns. */
#ifndef SLUICE_SERDE_H
#define SLUICE_SERDE_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/bytes.h>
#include <sluice/err.h>

#ifdef __cplusplus
extern "C" {
#endif

/** An allocation scope (an arena): memory from it stays valid until the
 * engine resets the scope — for a record, until the record has gone all the
 * way through the topology. Never freed by the caller. */
typedef struct sl_mem sl_mem_t;

/** Returns n bytes aligned for any type, valid until mem is reset, or NULL
 * when memory runs out. */
void *sl_mem_alloc(sl_mem_t *mem, size_t n);

/** Copies n bytes of p into mem (NULL when memory runs out). */
void *sl_mem_dup(sl_mem_t *mem, const void *p, size_t n);

/** Registers fn(p) to run when mem is reset: for objects that come from
 * another allocator (a JSON library's values). Returns SL_ERR_NOMEM (after
 * calling fn(p) at once) when the registration itself cannot be allocated. */
sl_err_t sl_mem_defer(sl_mem_t *mem, void (*fn)(void *), void *p);

/** The byte sink a serializer writes to. Owned by the engine. */
typedef struct sl_out sl_out_t;

/** Appends n bytes of p. Errors: SL_ERR_NOMEM. */
sl_err_t sl_out_append(sl_out_t *out, const void *p, size_t n);

/** Makes room for n more bytes and returns where they go (NULL when memory
 * runs out); sl_out_commit(out, m) then adds the first m <= n of them. */
uint8_t *sl_out_reserve(sl_out_t *out, size_t n);

/** Adds m bytes written after sl_out_reserve. */
void sl_out_commit(sl_out_t *out, size_t m);

/** A serde. Users may define their own: fill the struct and keep it alive as
 * long as the topology that uses it. */
typedef struct sl_serde {
    /** A short name for messages ("string", "json", …). */
    const char *name;
    /** Appends obj's bytes to out. obj is never NULL. Errors: SL_ERR_SERDE
     * (obj cannot be written), SL_ERR_NOMEM. */
    sl_err_t (*serialize)(const struct sl_serde *serde, const void *obj, sl_out_t *out);
    /** Reads in (never Kafka's null) into *obj, with memory from mem.
     * Errors: SL_ERR_SERDE (in is not a valid encoding), SL_ERR_NOMEM. */
    sl_err_t (*deserialize)(const struct sl_serde *serde, sl_bytes_t in, sl_mem_t *mem,
                            const void **obj);
    /** Free for the serde's own use (an inner serde, a size). */
    const void *arg;
    int64_t param;
    /** Optional: why the last deserialize on this thread returned
     * SL_ERR_SERDE (for the processing log), or NULL. */
    const char *(*error)(const struct sl_serde *serde);
} sl_serde_t;

/* ---- built-in serdes ------------------------------------------------------------
 * The object types, and the encodings (Kafka's own, so that Java clients and
 * Kafka Streams applications read the same bytes):
 *   sl_serde_bytes   const sl_bytes_t *  the bytes as they are
 *   sl_serde_string  const char *        UTF-8, NUL-terminated in memory; bytes
 *                                        holding a NUL are refused (SL_ERR_SERDE)
 *   sl_serde_int32   const int32_t *     4 bytes big-endian
 *   sl_serde_int64   const int64_t *     8 bytes big-endian
 *   sl_serde_double  const double *      IEEE 754, 8 bytes big-endian
 *   sl_serde_json    json_t * (jansson)  JSON text; any JSON value, including
 *                                        a bare number or string. The engine
 *                                        holds one reference while the record
 *                                        is in flight: json_incref to keep it. */
extern const sl_serde_t sl_serde_bytes;
extern const sl_serde_t sl_serde_string;
extern const sl_serde_t sl_serde_int32;
extern const sl_serde_t sl_serde_int64;
extern const sl_serde_t sl_serde_double;
extern const sl_serde_t sl_serde_json;

/** A key of a windowed aggregation: the grouping key and its window
 * [start, end) (a session window's end is its last record's time, inclusive,
 * as in Kafka Streams). */
typedef struct sl_windowed {
    const void *key;
    int64_t start;
    int64_t end;
} sl_windowed_t;

/** A serde for sl_windowed_t keys of time windows of size_ms, in Kafka
 * Streams' TimeWindowedSerde layout: the inner key's bytes, then the window
 * start as 8 bytes big-endian (the end is start + size_ms). inner must outlive
 * the returned serde. */
sl_serde_t sl_serde_time_windowed(const sl_serde_t *inner, int64_t size_ms);

/** A serde for sl_windowed_t keys of session windows, in Kafka Streams'
 * SessionWindowedSerde layout: the inner key's bytes, then the end and the
 * start, each 8 bytes big-endian. */
sl_serde_t sl_serde_session_windowed(const sl_serde_t *inner);

#ifdef __cplusplus
}
#endif
#endif
