/* buf.c — growable byte buffers and the bump arena. */
#include "common/buf.h"

#include <stdalign.h>
#include <stdlib.h>

void sl_buf_free(sl_buf_t *b)
{
    if (!b)
        return;
    free(b->data);
    sl_buf_init(b);
}

sl_err_t sl_buf_reserve(sl_buf_t *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return SL_ERR_NOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return SL_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return SL_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return SL_OK;
}

sl_err_t sl_buf_append(sl_buf_t *b, const void *p, size_t n)
{
    if (n == 0)
        return SL_OK;
    sl_err_t err = sl_buf_reserve(b, n);
    if (err)
        return err;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return SL_OK;
}

uint8_t *sl_buf_extend(sl_buf_t *b, size_t n)
{
    if (sl_buf_reserve(b, n ? n : 1))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

sl_err_t sl_buf_put_u8(sl_buf_t *b, uint8_t v) { return sl_buf_append(b, &v, 1); }

sl_err_t sl_buf_put_be16(sl_buf_t *b, uint16_t v)
{
    uint8_t t[2];
    sl_store_be16(t, v);
    return sl_buf_append(b, t, 2);
}

sl_err_t sl_buf_put_be32(sl_buf_t *b, uint32_t v)
{
    uint8_t t[4];
    sl_store_be32(t, v);
    return sl_buf_append(b, t, 4);
}

sl_err_t sl_buf_put_be64(sl_buf_t *b, uint64_t v)
{
    uint8_t t[8];
    sl_store_be64(t, v);
    return sl_buf_append(b, t, 8);
}

/* ---- arena ---------------------------------------------------------------- */

struct sl_arena_chunk {
    sl_arena_chunk_t *next;
    size_t size; /* usable bytes in mem */
    size_t used;
    alignas(max_align_t) unsigned char mem[];
};

#define SL__ARENA_DEFAULT_CHUNK 8192

void *sl_arena_alloc(sl_arena_t *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    size_t rounded = (n + align - 1) & ~(align - 1);
    if (rounded == 0)
        rounded = align;
    sl_arena_chunk_t *c = a->head;
    if (!c || c->size - c->used < rounded) {
        size_t size = a->chunk_size ? a->chunk_size : SL__ARENA_DEFAULT_CHUNK;
        if (size < rounded)
            size = rounded;
        c = malloc(sizeof(*c) + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->mem + c->used;
    c->used += rounded;
    return p;
}

void *sl_arena_memdup(sl_arena_t *a, const void *p, size_t n)
{
    void *q = sl_arena_alloc(a, n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

void sl_arena_reset(sl_arena_t *a)
{
    if (!a->head)
        return;
    /* Keep the oldest chunk (the tail): it is the usual size for this arena. */
    sl_arena_chunk_t *c = a->head, *keep = NULL;
    while (c) {
        sl_arena_chunk_t *next = c->next;
        if (!next)
            keep = c;
        else
            free(c);
        c = next;
    }
    keep->used = 0;
    keep->next = NULL;
    a->head = keep;
}

void sl_arena_free(sl_arena_t *a)
{
    if (!a)
        return;
    sl_arena_chunk_t *c = a->head;
    while (c) {
        sl_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
