/* fsutil.c — atomic small-file replacement and directory fsync. */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

sl_err_t sl_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return SL_ERR_IO;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r == 0 ? SL_OK : SL_ERR_IO;
}

static void sl__atomic_release(sl_atomic_file_t *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->f = NULL;
}

sl_err_t sl_atomic_file_open(sl_atomic_file_t *af, const char *path)
{
    size_t n = strlen(path);
    af->f = NULL;
    af->path = strdup(path);
    af->tmp = malloc(n + 5);
    if (!af->path || !af->tmp) {
        sl__atomic_release(af);
        return SL_ERR_NOMEM;
    }
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp", 5);
    af->f = fopen(af->tmp, "w");
    if (!af->f) {
        int e = errno;
        sl__atomic_release(af);
        errno = e;
        return SL_ERR_IO;
    }
    return SL_OK;
}

sl_err_t sl_atomic_file_commit(sl_atomic_file_t *af)
{
    int ok = fflush(af->f) == 0 && fsync(fileno(af->f)) == 0;
    int e = errno;
    ok = fclose(af->f) == 0 && ok;
    af->f = NULL;
    if (ok && rename(af->tmp, af->path) != 0) {
        e = errno;
        ok = 0;
    }
    if (!ok) {
        unlink(af->tmp);
        sl__atomic_release(af);
        errno = e;
        return SL_ERR_IO;
    }
    /* The directory entry too: a crash must not bring the old file back. */
    char *slash = strrchr(af->path, '/');
    sl_err_t err = SL_OK;
    if (slash) {
        *slash = 0;
        err = sl_fsync_dir(slash == af->path ? "/" : af->path);
    } else {
        err = sl_fsync_dir(".");
    }
    sl__atomic_release(af);
    return err;
}

void sl_atomic_file_abort(sl_atomic_file_t *af)
{
    if (af->f)
        fclose(af->f);
    if (af->tmp)
        unlink(af->tmp);
    sl__atomic_release(af);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

sl_err_t sl_rmtree(const char *path)
{
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return SL_OK;
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? SL_OK : SL_ERR_IO;
}
