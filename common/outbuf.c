/* outbuf.c — output made of memory bytes and file ranges. */
#include "common/outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

static sl_outseg_t *sl__outbuf_newseg(sl_outbuf_t *ob)
{
    if (ob->nsegs == ob->cap) {
        size_t cap = ob->cap ? ob->cap * 2 : 8;
        sl_outseg_t *p = realloc(ob->segs, cap * sizeof *p);
        if (!p)
            return NULL;
        ob->segs = p;
        ob->cap = cap;
    }
    return &ob->segs[ob->nsegs++];
}

uint8_t *sl_outbuf_extend(sl_outbuf_t *ob, size_t n)
{
    sl_outseg_t *last = ob->nsegs ? &ob->segs[ob->nsegs - 1] : NULL;
    if (!last || last->fd >= 0) {
        /* Reserve the segment first so that a failure leaves ob unchanged. */
        if (sl_buf_reserve(&ob->mem, n ? n : 1))
            return NULL;
        last = sl__outbuf_newseg(ob);
        if (!last)
            return NULL;
        *last = (sl_outseg_t){.fd = -1, .off = ob->mem.len};
    }
    uint8_t *p = sl_buf_extend(&ob->mem, n);
    if (!p)
        return NULL;
    last->len += n;
    ob->total += n;
    return p;
}

sl_err_t sl_outbuf_append(sl_outbuf_t *ob, const void *p, size_t n)
{
    if (n == 0)
        return SL_OK;
    uint8_t *q = sl_outbuf_extend(ob, n);
    if (!q)
        return SL_ERR_NOMEM;
    memcpy(q, p, n);
    return SL_OK;
}

uint8_t *sl_outbuf_at(sl_outbuf_t *ob, size_t pos)
{
    size_t at = 0;
    for (size_t i = 0; i < ob->nsegs; i++) {
        sl_outseg_t *s = &ob->segs[i];
        if (pos < at + s->len)
            return s->fd >= 0 ? NULL : ob->mem.data + s->off + (pos - at);
        at += s->len;
    }
    return NULL;
}

sl_err_t sl_outbuf_add_file(sl_outbuf_t *ob, int fd, uint64_t pos, size_t len,
                            void (*release)(void *opaque), void *opaque)
{
    sl_outseg_t *s = sl__outbuf_newseg(ob);
    if (!s) {
        if (release)
            release(opaque);
        return SL_ERR_NOMEM;
    }
    *s = (sl_outseg_t){.fd = fd, .file_pos = pos, .len = len, .release = release, .opaque = opaque};
    ob->total += len;
    return SL_OK;
}

void sl_outbuf_free(sl_outbuf_t *ob)
{
    if (!ob)
        return;
    for (size_t i = 0; i < ob->nsegs; i++)
        if (ob->segs[i].fd >= 0 && ob->segs[i].release) {
            ob->segs[i].release(ob->segs[i].opaque);
            ob->segs[i].release = NULL;
        }
    free(ob->segs);
    sl_buf_free(&ob->mem);
    ob->segs = NULL;
    ob->nsegs = ob->cap = 0;
    ob->total = 0;
}

sl_err_t sl_outbuf_write_all(sl_outbuf_t *ob, int fd)
{
    for (size_t i = 0; i < ob->nsegs; i++) {
        sl_outseg_t *s = &ob->segs[i];
        size_t done = 0;
        while (done < s->len) {
            ssize_t w;
            if (s->fd >= 0) {
                off_t from = (off_t)(s->file_pos + done);
                w = sendfile(fd, s->fd, &from, s->len - done);
            } else {
                w = write(fd, ob->mem.data + s->off + done, s->len - done);
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return SL_ERR_IO;
            done += (size_t)w;
        }
        if (s->fd >= 0 && s->release) {
            s->release(s->opaque);
            s->release = NULL;
        }
    }
    return SL_OK;
}
