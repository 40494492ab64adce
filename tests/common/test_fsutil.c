/* test_fsutil.c — atomic replacement of small files. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"

static void atomic_replace(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char path[512], tmp[520];
    snprintf(path, sizeof path, "%s/state", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    sl_test_write_file(path, "old\n", 4);

    sl_atomic_file_t af;
    assert_int_equal(sl_atomic_file_open(&af, path), SL_OK);
    fputs("new\n", af.f);
    /* Until the commit, readers see the old file. */
    size_t n;
    uint8_t *got = sl_test_read_file(path, &n);
    assert_memory_equal(got, "old\n", 4);
    free(got);
    assert_int_equal(sl_atomic_file_commit(&af), SL_OK);
    got = sl_test_read_file(path, &n);
    assert_int_equal(n, 4);
    assert_memory_equal(got, "new\n", 4);
    free(got);
    assert_int_equal(access(tmp, F_OK), -1);

    /* Abort leaves the file as it was and no temporary behind. */
    assert_int_equal(sl_atomic_file_open(&af, path), SL_OK);
    fputs("never\n", af.f);
    sl_atomic_file_abort(&af);
    got = sl_test_read_file(path, &n);
    assert_memory_equal(got, "new\n", 4);
    free(got);
    assert_int_equal(access(tmp, F_OK), -1);

    /* A directory that does not exist: an error, nothing created. */
    snprintf(path, sizeof path, "%s/missing/state", dir);
    assert_int_equal(sl_atomic_file_open(&af, path), SL_ERR_IO);
    assert_int_equal(sl_fsync_dir(dir), SL_OK);
    assert_int_equal(sl_fsync_dir("/nonexistent-dir"), SL_ERR_IO);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(fsutil, cmocka_unit_test(atomic_replace))
