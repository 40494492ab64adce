/* kmsg_testutil.h — what the generated test helpers (kmsg_testgen.c) build on:
 * a deterministic generator of random field values, allocated from an arena,
 * and comparisons for bytes and records. Shared by tests/proto and tests/fuzz. */
#ifndef SL_TESTS_KMSG_TESTUTIL_H
#define SL_TESTS_KMSG_TESTUTIL_H

#include <stdint.h>
#include <string.h>

#include "broker/proto/kmsg.h"

/** One generated message, reached generically. kind: 0 request, 1 response,
 * 2 header; api_key -1 for headers. */
typedef struct sl_tg_msg {
    const char *name;
    int16_t api_key;
    int kind;
    int16_t min_version, max_version;
    size_t size; /* sizeof the message struct */
    void (*init)(void *m);
    /* Random values in every field the version has (arrays from a). */
    void (*fill)(void *m, int16_t v, sl_arena_t *a, uint64_t *seed);
    /* NULL when equal, else the first differing field ("struct.field"). */
    const char *(*equal)(const void *x, const void *y);
    sl_err_t (*decode)(sl_kreader_t *r, int16_t v, sl_arena_t *a, void *out);
    sl_err_t (*encode)(sl_outbuf_t *w, int16_t v, const void *m);
} sl_tg_msg_t;

/* xorshift64*: deterministic per seed. */
static inline uint64_t sl_tg_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1du;
}

/* An array count: 0..2 (small, since arrays nest), sometimes -1 if nullable. */
static inline int32_t sl_tg_count(uint64_t *s, int nullable)
{
    uint64_t r = sl_tg_rand(s) % 8;
    if (nullable && r == 7)
        return -1;
    return (int32_t)(r % 3);
}

static inline void *sl_tg_alloc(sl_arena_t *a, int32_t count, size_t size)
{
    if (count <= 0)
        return NULL;
    void *p = sl_arena_alloc(a, (size_t)count * size);
    if (p)
        memset(p, 0, (size_t)count * size);
    return p;
}

static inline void sl_tg_uuid(uint64_t *s, uint8_t u[16])
{
    for (int i = 0; i < 16; i++)
        u[i] = (uint8_t)sl_tg_rand(s);
}

/* Random bytes of length 0..max-1, or -1 (null) one time in six if nullable. */
static inline int32_t sl_tg_blob(sl_arena_t *a, uint64_t *s, int nullable, int32_t max, uint8_t **out)
{
    if (nullable && sl_tg_rand(s) % 6 == 0) {
        *out = NULL;
        return -1;
    }
    int32_t n = (int32_t)(sl_tg_rand(s) % (uint64_t)max);
    *out = sl_arena_alloc(a, (size_t)n + 1);
    for (int32_t i = 0; i < n && *out; i++)
        (*out)[i] = (uint8_t)('a' + sl_tg_rand(s) % 26);
    return *out ? n : -1;
}

static inline sl_kstr_t sl_tg_str(sl_arena_t *a, uint64_t *s, int nullable)
{
    uint8_t *p;
    int32_t n = sl_tg_blob(a, s, nullable, 12, &p);
    return (sl_kstr_t){(const char *)p, n};
}

static inline sl_kbytes_t sl_tg_bytes(sl_arena_t *a, uint64_t *s, int nullable)
{
    uint8_t *p;
    int32_t n = sl_tg_blob(a, s, nullable, 20, &p);
    return (sl_kbytes_t){p, n};
}

static inline sl_krecords_t sl_tg_records(sl_arena_t *a, uint64_t *s, int nullable)
{
    uint8_t *p;
    int32_t n = sl_tg_blob(a, s, nullable, 40, &p);
    return (sl_krecords_t){p, n, -1, 0, NULL, NULL};
}

static inline int sl_tg_bytes_eq(sl_kbytes_t x, sl_kbytes_t y)
{
    return x.len == y.len && (x.len <= 0 || memcmp(x.data, y.data, (size_t)x.len) == 0);
}

static inline int sl_tg_records_eq(const sl_krecords_t *x, const sl_krecords_t *y)
{
    return x->len == y->len && x->fd == y->fd &&
           (x->len <= 0 || x->fd >= 0 || memcmp(x->data, y->data, (size_t)x->len) == 0);
}

#endif
