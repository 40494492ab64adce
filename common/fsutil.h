/* fsutil.h — small file-system helpers shared by every module that keeps
 * state in files: atomic replacement of a small file, and directory fsync. */
#ifndef SL_COMMON_FSUTIL_H
#define SL_COMMON_FSUTIL_H

#include <stdio.h>

#include <sluice/err.h>

/** A file being written to "<path>.tmp", to replace path atomically. */
typedef struct sl_atomic_file {
    FILE *f;     /* write here */
    char *path;  /* owned */
    char *tmp;   /* owned */
} sl_atomic_file_t;

/** Opens "<path>.tmp" for writing. Errors: SL_ERR_IO (errno kept), SL_ERR_NOMEM. */
sl_err_t sl_atomic_file_open(sl_atomic_file_t *af, const char *path);

/** Flushes and fsyncs the temporary file, renames it over path and fsyncs the
 * directory, so that a crash leaves either the old file or the new one.
 * Always releases af. Errors: SL_ERR_IO (the temporary file is removed and
 * path is untouched; errno kept). */
sl_err_t sl_atomic_file_commit(sl_atomic_file_t *af);

/** Gives up: removes the temporary file and releases af. */
void sl_atomic_file_abort(sl_atomic_file_t *af);

/** fsyncs a directory (after creating, renaming or removing files in it).
 * Errors: SL_ERR_IO. */
sl_err_t sl_fsync_dir(const char *dir);

/** Removes path and, when it is a directory, everything under it (symbolic
 * links are removed, not followed). A missing path is success. Errors:
 * SL_ERR_IO (something could not be removed). */
sl_err_t sl_rmtree(const char *path);

#endif
