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

/** An in-process broker (broker/server) for a test, listening on 127.0.0.1 at
 * a port chosen at run time. */
struct sl_broker;
typedef struct sl_test_broker {
    char *dir;          /* its log.dirs: sl_test_mkdtemp's, removed by sl_test_broker_free */
    struct sl_broker *b;
    char bootstrap[64]; /* "127.0.0.1:PORT" */
} sl_test_broker_t;

/** Starts f->b on dir (f->dir is not changed: a test may start on a copy)
 * with num.network.threads=2 and then the settings of kv, a NULL-terminated
 * list of key, value pairs (may be NULL); fails the test on error. Stop it
 * with sl_broker_stop(f->b). */
void sl_test_broker_start(sl_test_broker_t *f, const char *dir, const char *const *kv);

/** A fixture in a fresh temp dir, started as sl_test_broker_start does, for
 * a cmocka setup. Traces at SLUICE_TRACE's level (default error). Free with
 * sl_test_broker_free. */
sl_test_broker_t *sl_test_broker_new(const char *const *kv);

/** Stops the broker, removes f->dir and frees f. */
void sl_test_broker_free(sl_test_broker_t *f);

/** A TCP connection to the broker with a receive timeout of timeout_s
 * seconds; fails the test when it cannot connect. The caller closes it. */
int sl_test_broker_connect(const sl_test_broker_t *f, int timeout_s);

#endif
