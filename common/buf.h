/* buf.h — growable byte buffers and a bump arena; the memory of every hot path.
 *
 * sl_buf_t is a plain struct owned by whoever declares it: initialise it with
 * SL_BUF_INIT (or sl_buf_init), release it with sl_buf_free. sl_arena_t hands
 * out many small allocations and frees them all at once (one arena per record
 * batch or per SQL compilation). */
#ifndef SL_COMMON_BUF_H
#define SL_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sluice/err.h>

typedef struct sl_buf {
    uint8_t *data; /* owned; NULL until the first write */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} sl_buf_t;

#define SL_BUF_INIT {NULL, 0, 0}

/** Makes b empty with no memory. */
static inline void sl_buf_init(sl_buf_t *b) { b->data = NULL, b->len = 0, b->cap = 0; }

/** Frees b's memory and makes it empty. NULL is a no-op. */
void sl_buf_free(sl_buf_t *b);

/** Makes room for at least extra more bytes past len.
 * Returns SL_ERR_NOMEM (b unchanged) when memory runs out. */
sl_err_t sl_buf_reserve(sl_buf_t *b, size_t extra);

/** Appends n bytes from p (p may be NULL when n is 0). SL_ERR_NOMEM on failure,
 * with b unchanged. */
sl_err_t sl_buf_append(sl_buf_t *b, const void *p, size_t n);

/** Appends n bytes of uninitialised space and returns a pointer to it (valid
 * until the next call that grows b), or NULL when memory runs out. */
uint8_t *sl_buf_extend(sl_buf_t *b, size_t n);

/** Keeps the memory, forgets the contents. */
static inline void sl_buf_reset(sl_buf_t *b) { b->len = 0; }

/* Big-endian appenders, as Kafka's wire and disk formats are big-endian. */
sl_err_t sl_buf_put_u8(sl_buf_t *b, uint8_t v);
sl_err_t sl_buf_put_be16(sl_buf_t *b, uint16_t v);
sl_err_t sl_buf_put_be32(sl_buf_t *b, uint32_t v);
sl_err_t sl_buf_put_be64(sl_buf_t *b, uint64_t v);

/* Big-endian loads and stores on raw memory (no alignment needed). */
static inline uint16_t sl_load_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t sl_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t sl_load_be64(const uint8_t *p)
{
    return ((uint64_t)sl_load_be32(p) << 32) | sl_load_be32(p + 4);
}
static inline void sl_store_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static inline void sl_store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}
static inline void sl_store_be64(uint8_t *p, uint64_t v)
{
    sl_store_be32(p, (uint32_t)(v >> 32)), sl_store_be32(p + 4, (uint32_t)v);
}

/* ---- arena ---------------------------------------------------------------- */

typedef struct sl_arena_chunk sl_arena_chunk_t;

/** A bump allocator: allocations live until sl_arena_reset or sl_arena_free.
 * Declare one with SL_ARENA_INIT; it owns its chunks. Not thread-safe. */
typedef struct sl_arena {
    sl_arena_chunk_t *head; /* newest chunk first */
    size_t chunk_size;      /* default size of new chunks */
} sl_arena_t;

#define SL_ARENA_INIT {NULL, 0}

/** Returns n bytes aligned for any type, valid until the arena is reset or
 * freed; NULL when memory runs out. n == 0 returns a valid unique pointer. */
void *sl_arena_alloc(sl_arena_t *a, size_t n);

/** Copies n bytes of p into the arena; NULL when memory runs out. */
void *sl_arena_memdup(sl_arena_t *a, const void *p, size_t n);

/** Frees every allocation but keeps the first chunk for reuse. */
void sl_arena_reset(sl_arena_t *a);

/** Frees every allocation and chunk. NULL is a no-op. */
void sl_arena_free(sl_arena_t *a);

#endif
