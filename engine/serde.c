/* serde.c — record memory scopes, serializer output, and the built-in serdes
 * (Kafka's encodings: big-endian numbers, UTF-8 strings, JSON text). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"

/* ---- memory scopes ---------------------------------------------------------------- */

void *sl_mem_alloc(sl_mem_t *mem, size_t n) { return sl_arena_alloc(&mem->arena, n ? n : 1); }

void *sl_mem_dup(sl_mem_t *mem, const void *p, size_t n)
{
    return sl_arena_memdup(&mem->arena, p, n);
}

sl_err_t sl_mem_defer(sl_mem_t *mem, void (*fn)(void *), void *p)
{
    sl_mem_defer_t *d = sl_arena_alloc(&mem->arena, sizeof *d);
    if (!d) {
        fn(p);
        return SL_ERR_NOMEM;
    }
    d->fn = fn, d->p = p, d->next = mem->defers;
    mem->defers = d;
    return SL_OK;
}

static void run_defers(sl_mem_t *m)
{
    for (sl_mem_defer_t *d = m->defers; d; d = d->next)
        d->fn(d->p);
    m->defers = NULL;
}

void sl__mem_reset(sl_mem_t *m)
{
    run_defers(m);
    sl_arena_reset(&m->arena);
}

void sl__mem_free(sl_mem_t *m)
{
    run_defers(m);
    sl_arena_free(&m->arena);
}

/* ---- output -------------------------------------------------------------------------- */

sl_err_t sl_out_append(sl_out_t *out, const void *p, size_t n) { return sl_buf_append(&out->buf, p, n); }

uint8_t *sl_out_reserve(sl_out_t *out, size_t n)
{
    if (sl_buf_reserve(&out->buf, n) != SL_OK)
        return NULL;
    return out->buf.data + out->buf.len;
}

void sl_out_commit(sl_out_t *out, size_t m) { out->buf.len += m; }

sl_err_t sl__serialize(const sl_serde_t *serde, const void *obj, sl_out_t *out, int *is_null)
{
    sl_buf_reset(&out->buf);
    if (!obj) {
        *is_null = 1;
        return SL_OK;
    }
    *is_null = 0;
    return serde->serialize(serde, obj, out);
}

sl_err_t sl__deserialize(const sl_serde_t *serde, const sl_bytes_t *b, sl_mem_t *mem,
                         const void **obj)
{
    *obj = NULL;
    if (!b)
        return SL_OK;
    sl_bytes_t in = *b;
    if (!in.data)
        in.data = (const uint8_t *)"";
    return serde->deserialize(serde, in, mem, obj);
}

/* ---- bytes ---------------------------------------------------------------------------- */

static sl_err_t bytes_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    const sl_bytes_t *b = obj;
    return sl_out_append(out, b->data, b->len);
}

static sl_err_t bytes_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    sl_bytes_t *b = sl_mem_alloc(mem, sizeof *b);
    if (!b)
        return SL_ERR_NOMEM;
    *b = in; /* a view of the record's bytes: they live as long as the scope */
    *obj = b;
    return SL_OK;
}

const sl_serde_t sl_serde_bytes = {"bytes", bytes_ser, bytes_de, NULL, 0, NULL};

/* ---- string ---------------------------------------------------------------------------- */

static sl_err_t string_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    const char *str = obj;
    return sl_out_append(out, str, strlen(str));
}

static sl_err_t string_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len && memchr(in.data, 0, in.len))
        return SL_ERR_SERDE;
    char *str = sl_mem_alloc(mem, in.len + 1);
    if (!str)
        return SL_ERR_NOMEM;
    if (in.len)
        memcpy(str, in.data, in.len);
    str[in.len] = 0;
    *obj = str;
    return SL_OK;
}

const sl_serde_t sl_serde_string = {"string", string_ser, string_de, NULL, 0, NULL};

/* ---- numbers ----------------------------------------------------------------------------- */

static sl_err_t int32_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    uint8_t *p = sl_out_reserve(out, 4);
    if (!p)
        return SL_ERR_NOMEM;
    sl_store_be32(p, (uint32_t)*(const int32_t *)obj);
    sl_out_commit(out, 4);
    return SL_OK;
}

static sl_err_t int32_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len != 4)
        return SL_ERR_SERDE;
    int32_t *v = sl_mem_alloc(mem, sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    *v = (int32_t)sl_load_be32(in.data);
    *obj = v;
    return SL_OK;
}

const sl_serde_t sl_serde_int32 = {"int32", int32_ser, int32_de, NULL, 0, NULL};

static sl_err_t int64_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    uint8_t *p = sl_out_reserve(out, 8);
    if (!p)
        return SL_ERR_NOMEM;
    sl_store_be64(p, (uint64_t)*(const int64_t *)obj);
    sl_out_commit(out, 8);
    return SL_OK;
}

static sl_err_t int64_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len != 8)
        return SL_ERR_SERDE;
    int64_t *v = sl_mem_alloc(mem, sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    *v = (int64_t)sl_load_be64(in.data);
    *obj = v;
    return SL_OK;
}

const sl_serde_t sl_serde_int64 = {"int64", int64_ser, int64_de, NULL, 0, NULL};

static sl_err_t double_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    uint64_t bits;
    memcpy(&bits, obj, 8);
    uint8_t *p = sl_out_reserve(out, 8);
    if (!p)
        return SL_ERR_NOMEM;
    sl_store_be64(p, bits);
    sl_out_commit(out, 8);
    return SL_OK;
}

static sl_err_t double_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len != 8)
        return SL_ERR_SERDE;
    double *v = sl_mem_alloc(mem, sizeof *v);
    if (!v)
        return SL_ERR_NOMEM;
    uint64_t bits = sl_load_be64(in.data);
    memcpy(v, &bits, 8);
    *obj = v;
    return SL_OK;
}

const sl_serde_t sl_serde_double = {"double", double_ser, double_de, NULL, 0, NULL};

/* ---- JSON (jansson) ---------------------------------------------------------------------- */

static sl_err_t json_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    const json_t *j = obj;
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
    size_t room = 256;
    for (;;) {
        uint8_t *p = sl_out_reserve(out, room);
        if (!p)
            return SL_ERR_NOMEM;
        size_t n = json_dumpb(j, (char *)p, room, flags);
        if (n == 0)
            return SL_ERR_SERDE;
        if (n <= room) {
            sl_out_commit(out, n);
            return SL_OK;
        }
        room = n;
    }
}

static void json_release(void *p) { json_decref(p); }

static sl_err_t json_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    json_error_t e;
    json_t *j = json_loadb((const char *)in.data, in.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j)
        return SL_ERR_SERDE;
    if (sl_mem_defer(mem, json_release, j) != SL_OK)
        return SL_ERR_NOMEM;
    *obj = j;
    return SL_OK;
}

const sl_serde_t sl_serde_json = {"json", json_ser, json_de, NULL, 0, NULL};

/* ---- windowed keys ------------------------------------------------------------------------ */

static sl_err_t inner_ser(const sl_serde_t *inner, const void *key, sl_out_t *out)
{
    if (!key)
        return SL_ERR_SERDE; /* a window's key is never null */
    return inner->serialize(inner, key, out);
}

static sl_err_t twin_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    const sl_windowed_t *w = obj;
    sl_err_t err = inner_ser(s->arg, w->key, out);
    if (err)
        return err;
    uint8_t *p = sl_out_reserve(out, 8);
    if (!p)
        return SL_ERR_NOMEM;
    sl_store_be64(p, (uint64_t)w->start);
    sl_out_commit(out, 8);
    return SL_OK;
}

static sl_err_t twin_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len < 8)
        return SL_ERR_SERDE;
    const sl_serde_t *inner = s->arg;
    sl_windowed_t *w = sl_mem_alloc(mem, sizeof *w);
    if (!w)
        return SL_ERR_NOMEM;
    sl_bytes_t k = {in.data, in.len - 8};
    sl_err_t err = inner->deserialize(inner, k, mem, &w->key);
    if (err)
        return err;
    w->start = (int64_t)sl_load_be64(in.data + in.len - 8);
    w->end = w->start + s->param;
    *obj = w;
    return SL_OK;
}

sl_serde_t sl_serde_time_windowed(const sl_serde_t *inner, int64_t size_ms)
{
    sl_serde_t s = {"time-windowed", twin_ser, twin_de, inner, size_ms, NULL};
    return s;
}

static sl_err_t swin_ser(const sl_serde_t *s, const void *obj, sl_out_t *out)
{
    const sl_windowed_t *w = obj;
    sl_err_t err = inner_ser(s->arg, w->key, out);
    if (err)
        return err;
    uint8_t *p = sl_out_reserve(out, 16);
    if (!p)
        return SL_ERR_NOMEM;
    sl_store_be64(p, (uint64_t)w->end);
    sl_store_be64(p + 8, (uint64_t)w->start);
    sl_out_commit(out, 16);
    return SL_OK;
}

static sl_err_t swin_de(const sl_serde_t *s, sl_bytes_t in, sl_mem_t *mem, const void **obj)
{
    if (in.len < 16)
        return SL_ERR_SERDE;
    const sl_serde_t *inner = s->arg;
    sl_windowed_t *w = sl_mem_alloc(mem, sizeof *w);
    if (!w)
        return SL_ERR_NOMEM;
    sl_bytes_t k = {in.data, in.len - 16};
    sl_err_t err = inner->deserialize(inner, k, mem, &w->key);
    if (err)
        return err;
    w->end = (int64_t)sl_load_be64(in.data + in.len - 16);
    w->start = (int64_t)sl_load_be64(in.data + in.len - 8);
    *obj = w;
    return SL_OK;
}

sl_serde_t sl_serde_session_windowed(const sl_serde_t *inner)
{
    sl_serde_t s = {"session-windowed", swin_ser, swin_de, inner, 0, NULL};
    return s;
}
