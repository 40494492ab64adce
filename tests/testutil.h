/* testutil.h — what every cmocka test binary shares: the group macro, temp dirs, files. */
#ifndef SL_TESTUTIL_H
#define SL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Defines this file's group; the file must be tests/<module>/test_<name>.c. */
#define SL_TEST_GROUP(name, ...)                                       \
    int sl_test_group_##name(void)                                     \
    {                                                                  \
        const struct CMUnitTest sl__tests[] = {__VA_ARGS__};           \
        return cmocka_run_group_tests_name(#name, sl__tests, NULL, NULL); \
    }

/** Makes a fresh directory under $TMPDIR (or /tmp) and returns its path in a
 * static-free malloc'd string the caller frees with sl_test_rmdir. */
char *sl_test_mkdtemp(void);

/** Removes dir and everything under it, then frees the string. NULL is a no-op. */
void sl_test_rmdir(char *dir);

/** Reads a whole file into a malloc'd buffer (caller frees); *len gets its size.
 * Fails the test when the file cannot be read. */
uint8_t *sl_test_read_file(const char *path, size_t *len);

/** Writes len bytes to path, replacing it; fails the test on error. */
void sl_test_write_file(const char *path, const void *data, size_t len);

/** A deterministic pseudo-random generator (xorshift64*) for randomized tests. */
uint64_t sl_test_rand(uint64_t *state);

#endif
