/* logtest.h — helpers shared by the partition log tests: batches and logs in temp dirs. */
#ifndef SL_TESTS_LOGTEST_H
#define SL_TESTS_LOGTEST_H

#include <stdio.h>
#include <string.h>

#include "broker/log/batch.h"
#include "broker/log/log.h"

/* Appends to out one batch of n records, keys "k<id>", values "v<id>" with
 * id = first_id + i, timestamps ts + i, as a producer sends it (base offset 0). */
static inline void lt_batch(sl_buf_t *out, int n, int first_id, int64_t ts, sl_compression_t codec)
{
    sl_batch_opts_t o = sl_batch_opts_default();
    o.compression = codec;
    sl_batch_builder_t b;
    sl_batch_builder_init(&b, &o);
    for (int i = 0; i < n; i++) {
        char k[32], v[64];
        int kl = snprintf(k, sizeof k, "k%d", first_id + i);
        int vl = snprintf(v, sizeof v, "v%d-padding-to-make-it-longer", first_id + i);
        assert_int_equal(sl_batch_builder_add(&b, -1, ts + i, k, kl, v, vl, NULL, 0), SL_OK);
    }
    assert_int_equal(sl_batch_builder_finish(&b, out), SL_OK);
    sl_batch_builder_destroy(&b);
}

/* Appends one n-record batch to log and returns the append's first offset. */
static inline int64_t lt_append(sl_log_t *log, int n, int first_id, int64_t ts, int64_t now)
{
    sl_buf_t b = SL_BUF_INIT;
    lt_batch(&b, n, first_id, ts, SL_COMPRESSION_NONE);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, b.data, b.len, -1, now, &info), SL_OK);
    sl_buf_free(&b);
    return info.first_offset;
}

/* Reads every record of the log from `from` and checks that record offset o
 * has value "v<o - id_base>" for offsets [from, to). Returns the count read. */
static inline int64_t lt_check_all(sl_log_t *log, int64_t from, int64_t to, int64_t id_base)
{
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    int64_t next = from, count = 0;
    while (next < to) {
        sl_buf_reset(&data);
        assert_int_equal(sl_log_read_copy(log, next, 64 * 1024, INT64_MAX, &data), SL_OK);
        assert_true(data.len > 0);
        size_t off = 0;
        while (off < data.len) {
            sl_batch_header_t h;
            assert_int_equal(sl_batch_check(data.data + off, data.len - off, &h), SL_OK);
            sl_record_iter_t it;
            assert_int_equal(sl_record_iter_init(&it, data.data + off, sl_batch_size(&h), 1 << 26, &scratch), SL_OK);
            sl_record_t r;
            while (sl_record_iter_next(&it, &r) == 1) {
                if (r.offset < next)
                    continue;
                assert_int_equal(r.offset, next);
                char want[64];
                int wl = snprintf(want, sizeof want, "v%lld-padding-to-make-it-longer", (long long)(r.offset - id_base));
                assert_int_equal(r.value_len, wl);
                assert_memory_equal(r.value, want, (size_t)wl);
                next++;
                count++;
            }
            off += sl_batch_size(&h);
        }
    }
    assert_int_equal(next, to);
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    return count;
}

static inline char *lt_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, dir, strlen(dir));
    p[strlen(dir)] = '/';
    memcpy(p + strlen(dir) + 1, name, strlen(name) + 1);
    return p;
}

#endif
