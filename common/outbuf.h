/* outbuf.h — an output buffer of bytes in memory and ranges of files: what a
 * response is before the network layer writes it (memory with writev, file
 * ranges with sendfile(2), so that log bytes never pass through user space).
 *
 * Ownership: the outbuf owns its memory; each file range carries a release
 * callback (e.g. unpinning a log segment) that runs exactly once, when the
 * range has been sent or the outbuf is freed. */
#ifndef SL_COMMON_OUTBUF_H
#define SL_COMMON_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/err.h>

#include "common/buf.h"

/** One piece of the output: bytes [off, off + len) of mem, or, when fd >= 0,
 * len bytes of file fd from file_pos. */
typedef struct sl_outseg {
    int fd;
    uint64_t file_pos;
    size_t off; /* into sl_outbuf_t.mem, when fd < 0 */
    size_t len;
    void (*release)(void *opaque); /* for file ranges; may be NULL */
    void *opaque;
} sl_outseg_t;

typedef struct sl_outbuf {
    sl_buf_t mem;
    sl_outseg_t *segs;
    size_t nsegs, cap;
    size_t total; /* bytes in all segments */
} sl_outbuf_t;

#define SL_OUTBUF_INIT {SL_BUF_INIT, NULL, 0, 0, 0}

/** Appends n bytes of p. SL_ERR_NOMEM on failure (ob unchanged). */
sl_err_t sl_outbuf_append(sl_outbuf_t *ob, const void *p, size_t n);

/** Appends n bytes of room and returns a pointer to write them (valid until
 * the next append), or NULL. Lets encoders patch lengths in place through
 * sl_outbuf_at. */
uint8_t *sl_outbuf_extend(sl_outbuf_t *ob, size_t n);

/** Pointer to the memory byte at absolute output position pos, which must lie
 * in a memory segment written earlier (NULL otherwise). Valid until the next
 * append. */
uint8_t *sl_outbuf_at(sl_outbuf_t *ob, size_t pos);

/** Appends len bytes of file fd at pos. release(opaque) runs once the range is
 * sent or dropped — also when this call fails (SL_ERR_NOMEM), so the caller
 * never keeps a pin it handed over. */
sl_err_t sl_outbuf_add_file(sl_outbuf_t *ob, int fd, uint64_t pos, size_t len,
                            void (*release)(void *opaque), void *opaque);

/** Releases every file range not yet released and frees the memory; ob is
 * empty afterwards. NULL is a no-op. */
void sl_outbuf_free(sl_outbuf_t *ob);

/** Total bytes (memory and files). */
static inline size_t sl_outbuf_len(const sl_outbuf_t *ob) { return ob->total; }

/** Writes the whole outbuf to fd (blocking): writev for memory, sendfile for
 * file ranges, releasing each range once written. For tests and simple
 * tools; the network layer does the same without blocking. Errors: SL_ERR_IO. */
sl_err_t sl_outbuf_write_all(sl_outbuf_t *ob, int fd);

#endif
