/* fuzz_request.c — libFuzzer target for what the broker does with every request
 * it reads: decode a request header, then the body for its api key and
 * version, from arbitrary bytes. Whatever decodes must encode again and decode
 * to an equal message. Build and run: see tests/fuzz/README.md.
 *
 * Built with -DSL_FUZZ_MAKE_SEEDS instead (no -fsanitize=fuzzer), it is a
 * program that writes a seed corpus — valid requests of every API at every
 * version — into the directory named on its command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/kmsg_testgen.c"

#ifndef SL_FUZZ_MAKE_SEEDS

static const sl_tg_msg_t *request_ops(int16_t key)
{
    for (size_t i = 0; i < SL_TG_NMSGS; i++)
        if (sl_tg_msgs[i].kind == 0 && sl_tg_msgs[i].api_key == key)
            return &sl_tg_msgs[i];
    return NULL;
}

static sl_arena_t arena = SL_ARENA_INIT;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    int16_t key = (int16_t)sl_load_be16(data), ver = (int16_t)sl_load_be16(data + 2);
    int16_t hv = sl_kmsg_request_header_version(key, ver);
    sl_kreader_t r = sl_kreader_make(data, size);
    sl_kmsg_request_header_t h;
    /* Unknown keys: the broker still reads a v1 header to answer. */
    if (sl_kmsg_request_header_decode(&r, hv < 0 ? 1 : hv, &arena, &h) != SL_OK)
        goto done;
    const sl_tg_msg_t *ops = request_ops(h.request_api_key);
    if (!ops)
        goto done;
    void *body = sl_arena_alloc(&arena, ops->size), *again = sl_arena_alloc(&arena, ops->size);
    if (!body || !again)
        abort();
    int16_t v = h.request_api_version;
    if (ops->decode(&r, v, &arena, body) != SL_OK)
        goto done;
    sl_outbuf_t ob = SL_OUTBUF_INIT;
    sl_err_t err = ops->encode(&ob, v, body);
    if (err) {
        fprintf(stderr, "%s v%d decoded but does not encode: %s\n", ops->name, v, sl_err_name(err));
        abort();
    }
    sl_kreader_t r2 = sl_kreader_make(ob.mem.data, ob.mem.len);
    err = ops->decode(&r2, v, &arena, again);
    const char *diff = err ? "(decode)" : ops->equal(body, again);
    if (diff || sl_kreader_remaining(&r2)) {
        fprintf(stderr, "%s v%d: re-decoded message differs at %s\n", ops->name, v, diff ? diff : "(length)");
        abort();
    }
    sl_outbuf_free(&ob);
done:
    sl_arena_reset(&arena);
    return 0;
}

#else /* SL_FUZZ_MAKE_SEEDS */

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    sl_arena_t a = SL_ARENA_INIT;
    int n = 0;
    for (size_t i = 0; i < SL_TG_NMSGS; i++) {
        const sl_tg_msg_t *ops = &sl_tg_msgs[i];
        if (ops->kind != 0)
            continue;
        void *m = malloc(ops->size);
        for (int16_t v = ops->min_version; v <= ops->max_version; v++) {
            for (uint64_t s = 1; s <= 3; s++) {
                uint64_t seed = s * 7919 + (uint64_t)v * 104729 + i;
                sl_kmsg_request_header_t h;
                sl_kmsg_request_header_init(&h);
                h.request_api_key = ops->api_key;
                h.request_api_version = v;
                h.correlation_id = (int32_t)s;
                h.client_id = SL_KSTR("fuzz");
                ops->fill(m, v, &a, &seed);
                sl_outbuf_t ob = SL_OUTBUF_INIT;
                if (sl_kmsg_request_header_encode(&ob, sl_kmsg_request_header_version(ops->api_key, v), &h) ||
                    ops->encode(&ob, v, m))
                    return 1;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s-v%d-%d", argv[1], ops->name, v, (int)s);
                FILE *f = fopen(path, "wb");
                if (!f || fwrite(ob.mem.data, 1, ob.mem.len, f) != ob.mem.len || fclose(f))
                    return 1;
                sl_outbuf_free(&ob);
                sl_arena_reset(&a);
                n++;
            }
        }
        free(m);
    }
    sl_arena_free(&a);
    printf("%d seeds\n", n);
    return 0;
}

#endif
