/* sluice/bytes.h — the plain byte-view struct that crosses every API. */
#ifndef SLUICE_BYTES_H
#define SLUICE_BYTES_H

#include <stddef.h>
#include <stdint.h>

/** A borrowed view of bytes: never owns its data. The function that hands one
 * out says how long data stays valid. data == NULL with len == 0 is the empty
 * view; a Kafka "null" key or value is data == NULL and is_null set. */
typedef struct sl_bytes {
    const uint8_t *data;
    size_t len;
} sl_bytes_t;

#endif
