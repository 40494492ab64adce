/* test_outbuf.c — memory and file segments, release callbacks, writing out. */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/outbuf.h"

static void count_release(void *opaque) { (*(int *)opaque)++; }

static void mixed_segments(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char src[512], dst[512];
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(dst, sizeof dst, "%s/dst", dir);
    sl_test_write_file(src, "0123456789abcdef", 16);
    int sfd = open(src, O_RDONLY);
    assert_true(sfd >= 0);

    sl_outbuf_t ob = SL_OUTBUF_INIT;
    int released = 0;
    assert_int_equal(sl_outbuf_append(&ob, "head:", 5), SL_OK);
    uint8_t *len = sl_outbuf_extend(&ob, 2);
    assert_non_null(len);
    assert_int_equal(sl_outbuf_add_file(&ob, sfd, 4, 6, count_release, &released), SL_OK);
    assert_int_equal(sl_outbuf_append(&ob, ":mid:", 5), SL_OK);
    assert_int_equal(sl_outbuf_add_file(&ob, sfd, 10, 6, count_release, &released), SL_OK);
    assert_int_equal(sl_outbuf_append(&ob, ":end", 4), SL_OK);
    /* patch the two bytes reserved earlier, through their absolute position */
    uint8_t *at = sl_outbuf_at(&ob, 5);
    assert_non_null(at);
    at[0] = '[', at[1] = ']';
    assert_null(sl_outbuf_at(&ob, 8)); /* inside a file range */
    assert_int_equal(sl_outbuf_len(&ob), 5 + 2 + 6 + 5 + 6 + 4);
    assert_int_equal(ob.nsegs, 5);

    int dfd = open(dst, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_int_equal(sl_outbuf_write_all(&ob, dfd), SL_OK);
    close(dfd);
    assert_int_equal(released, 2);
    size_t n;
    uint8_t *got = sl_test_read_file(dst, &n);
    const char *want = "head:[]456789:mid:abcdef:end";
    assert_int_equal(n, strlen(want));
    assert_memory_equal(got, want, n);
    free(got);
    sl_outbuf_free(&ob);
    assert_int_equal(released, 2); /* released once only */

    /* Dropped without sending: ranges are released by free. */
    assert_int_equal(sl_outbuf_add_file(&ob, sfd, 0, 3, count_release, &released), SL_OK);
    sl_outbuf_free(&ob);
    assert_int_equal(released, 3);
    sl_outbuf_free(NULL);
    close(sfd);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(outbuf, cmocka_unit_test(mixed_segments))
