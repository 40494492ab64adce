/* state.c — the LMDB environment behind every state store: the directory
 * lock, transactions with a latched error, key-value, window and session
 * stores on named databases, and the metadata database that commits offsets
 * with the state. */
#include "state/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#define META_DB_NAME "sl.meta"
#define LOCK_FILE_NAME "sluice.lock"

enum { SLOT_FREE, SLOT_PENDING, SLOT_OPEN };
enum { KIND_KV = 1, KIND_WINDOW = 2, KIND_SESSION = 3 };
enum { ITER_KV, ITER_WINDOW_KEY, ITER_WINDOW_ALL, ITER_SESSION };

/* A store partition's database. The environment owns an array of slots (one
 * per possible store, fixed at open) so handles never move. */
struct sl_kv {
    char *name;              /* "<store>-<partition>", owned; NULL when free */
    MDB_dbi dbi;
    int state;               /* SLOT_* */
    int kind;                /* KIND_* */
    uint64_t open_seq;       /* env->seq when the opening transaction committed */
    sl_state_txn_t *owner;   /* the write transaction that created it (PENDING) */
};

/* Window and session stores are their database's slot seen through other
 * types; a slot is a union of the three, so any handle is a pointer into the
 * array and every kind reaches the common fields as .kv. */
struct sl_window {
    struct sl_kv kv;
};

struct sl_session {
    struct sl_kv kv;
};

union store_slot {
    struct sl_kv kv;
    struct sl_window w;
    struct sl_session s;
};

struct sl_state_env {
    MDB_env *mdb;
    char *dir;
    int lock_fd;    /* <dir>/sluice.lock, flock()ed for the env's life; -1 when none */
    MDB_dbi meta;
    /* Guards the slots, seq and active. LMDB forbids mdb_dbi_open from
     * concurrent transactions, and a handle opened by a transaction is only
     * usable by transactions that begin after it commits (a read transaction
     * sizes its table of databases when it begins): seq orders the two. */
    pthread_mutex_t mu;
    union store_slot *slots;
    unsigned nslots;
    uint64_t seq;   /* bumped by each commit that opened databases */
    unsigned active; /* transactions begun and not ended */
};

struct sl_state_txn {
    sl_state_env_t *env;
    MDB_txn *mdb;
    int write;
    uint64_t begin_seq;
    sl_err_t err;   /* latched: the first error of any operation */
    int mdb_err;    /* the LMDB code (or errno) behind err */
    unsigned pending; /* databases this write transaction created or first opened */
    uint64_t writes;  /* bumped by every write, so iterators know to re-seek */
    sl_state_iter_t *iters; /* open iterators, closed when the transaction ends */
};

struct sl_state_iter {
    sl_state_txn_t *txn; /* NULL once the transaction ended */
    sl_state_iter_t *prev, *next;
    MDB_cursor *cur;
    int kind;        /* ITER_* */
    int started, done;
    uint64_t writes_seen;
    int has_from, has_to, to_inclusive;
    size_t from_len, to_len, last_len;
    size_t klen;     /* ITER_WINDOW_KEY, ITER_SESSION: the stored key length of this key's */
    int64_t t_from, t_to; /* windows: start bounds; sessions: earliest end, latest start */
    uint8_t from[SL_STATE_MAX_KEY], to[SL_STATE_MAX_KEY], last[SL_STATE_MAX_KEY];
};

/* An empty value must still point somewhere for LMDB. */
static const uint8_t empty_byte;

/* ---- errors --------------------------------------------------------------------- */

static sl_err_t map_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return SL_OK;
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_MAP_RESIZED:
        return SL_ERR_RANGE;
    case MDB_BAD_VALSIZE:
    case EINVAL:
        return SL_ERR_INVAL;
    case MDB_DBS_FULL:
        return SL_ERR_CONFIG;
    case MDB_READERS_FULL:
    case MDB_BAD_TXN:
    case MDB_BAD_RSLOT:
    case MDB_BAD_DBI:
        return SL_ERR_STATE;
    case ENOMEM:
        return SL_ERR_NOMEM;
    default:
        return SL_ERR_IO;
    }
}

/* Latches err (with its LMDB code) unless an error is already latched, and
 * returns the latched error. */
static sl_err_t latch(sl_state_txn_t *txn, sl_err_t err, int mdb_rc)
{
    if (txn->err == SL_OK) {
        txn->err = err;
        txn->mdb_err = mdb_rc;
    }
    return txn->err;
}

static sl_err_t latch_mdb(sl_state_txn_t *txn, int rc) { return latch(txn, map_mdb(rc), rc); }

/* Checks that txn can run an operation: returns the latched error, or latches
 * SL_ERR_INVAL for a write in a read-only transaction. */
static sl_err_t txn_ready(sl_state_txn_t *txn, int need_write)
{
    if (txn->err != SL_OK)
        return txn->err;
    if (need_write && !txn->write)
        return latch(txn, SL_ERR_INVAL, EINVAL);
    return SL_OK;
}

static MDB_val mval(sl_bytes_t b)
{
    MDB_val v = {b.len, b.len ? (void *)b.data : (void *)&empty_byte};
    return v;
}

static sl_bytes_t bview(const MDB_val *v)
{
    sl_bytes_t b = {v->mv_size ? (const uint8_t *)v->mv_data : NULL, v->mv_size};
    return b;
}

/* ---- environment ------------------------------------------------------------------- */

/* Takes the directory lock: an exclusive flock() on <dir>/sluice.lock, without
 * waiting. flock() rather than fcntl() locks because an flock() lock belongs
 * to the open file, not the process: a second open in this process conflicts
 * as another process's does, and closing some other descriptor of the file
 * (LMDB's or anyone's) does not drop it. On success *fdp holds it. */
static sl_err_t lock_dir(const char *dir, int *fdp, char *errbuf, size_t errlen)
{
    *fdp = -1;
    size_t n = strlen(dir) + sizeof "/" LOCK_FILE_NAME;
    char *path = malloc(n);
    if (!path) {
        snprintf(errbuf, errlen, "state directory %s: out of memory", dir);
        return SL_ERR_NOMEM;
    }
    snprintf(path, n, "%s/%s", dir, LOCK_FILE_NAME);
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errbuf, errlen, "state directory %s: cannot open %s: %s", dir, path,
                 strerror(errno));
        free(path);
        return SL_ERR_IO;
    }
    int rc;
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK || e == EAGAIN) {
            snprintf(errbuf, errlen, "state directory %s is in use by another process", dir);
            free(path);
            return SL_ERR_STATE;
        }
        snprintf(errbuf, errlen, "state directory %s: cannot lock %s: %s", dir, path,
                 strerror(e));
        free(path);
        return SL_ERR_IO;
    }
    free(path);
    *fdp = fd;
    return SL_OK;
}

sl_err_t sl_state_env_open(const char *dir, size_t map_size, unsigned max_stores,
                           sl_state_env_t **envp, char *errbuf, size_t errlen)
{
    char dummy[1];
    if (!errbuf)
        errbuf = dummy, errlen = sizeof dummy;
    *envp = NULL;
    if (!dir || !*dir || max_stores < 1 || max_stores > INT_MAX - 1) {
        snprintf(errbuf, errlen, "state directory: bad arguments");
        return SL_ERR_INVAL;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "state directory %s: cannot create: %s", dir, strerror(errno));
        return SL_ERR_IO;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        snprintf(errbuf, errlen, "state directory %s: %s", dir, strerror(errno));
        return SL_ERR_IO;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(errbuf, errlen, "state directory %s: exists and is not a directory", dir);
        return SL_ERR_IO;
    }
    int lock_fd;
    sl_err_t err = lock_dir(dir, &lock_fd, errbuf, errlen);
    if (err != SL_OK)
        return err;

    sl_state_env_t *env = calloc(1, sizeof *env);
    if (!env || !(env->dir = strdup(dir)) ||
        !(env->slots = calloc(max_stores, sizeof *env->slots))) {
        if (env)
            free(env->dir);
        free(env);
        close(lock_fd);
        snprintf(errbuf, errlen, "state directory %s: out of memory", dir);
        return SL_ERR_NOMEM;
    }
    env->lock_fd = lock_fd;
    env->nslots = max_stores;
    pthread_mutex_init(&env->mu, NULL);

    int rc = mdb_env_create(&env->mdb);
    if (rc == 0 && mdb_env_get_maxkeysize(env->mdb) < SL_STATE_MAX_KEY)
        rc = MDB_INCOMPATIBLE; /* a liblmdb built with a smaller key limit */
    if (rc == 0)
        rc = mdb_env_set_mapsize(env->mdb, map_size ? map_size : SL_STATE_DEFAULT_MAP_SIZE);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(env->mdb, (MDB_dbi)max_stores + 1); /* + the metadata */
    if (rc == 0)
        /* MDB_NOTLS: a read transaction is not tied to the thread that began it. */
        rc = mdb_env_open(env->mdb, dir, MDB_NOTLS, 0644);
    if (rc == 0) {
        MDB_txn *t;
        rc = mdb_txn_begin(env->mdb, NULL, 0, &t);
        if (rc == 0) {
            rc = mdb_dbi_open(t, META_DB_NAME, MDB_CREATE, &env->meta);
            if (rc == 0)
                rc = mdb_txn_commit(t);
            else
                mdb_txn_abort(t);
        }
    }
    if (rc != 0) {
        snprintf(errbuf, errlen, "state directory %s: %s", dir, mdb_strerror(rc));
        err = map_mdb(rc);
        if (err == SL_ERR_INVAL || err == SL_ERR_STATE)
            err = SL_ERR_IO; /* the arguments were checked: the directory is the problem */
        sl_state_env_close(env);
        return err;
    }
    *envp = env;
    return SL_OK;
}

void sl_state_env_close(sl_state_env_t *env)
{
    if (!env)
        return;
    if (env->mdb)
        mdb_env_close(env->mdb); /* closes every database handle */
    /* Only once LMDB let go of the files: the next owner may open them now. */
    if (env->lock_fd >= 0)
        close(env->lock_fd);
    for (unsigned i = 0; i < env->nslots; i++)
        free(env->slots[i].kv.name);
    free(env->slots);
    pthread_mutex_destroy(&env->mu);
    free(env->dir);
    free(env);
}

sl_err_t sl_state_env_set_map_size(sl_state_env_t *env, size_t map_size)
{
    pthread_mutex_lock(&env->mu);
    int rc = env->active ? -1 : mdb_env_set_mapsize(env->mdb, map_size);
    pthread_mutex_unlock(&env->mu);
    return rc == -1 ? SL_ERR_STATE : map_mdb(rc);
}

const char *sl_state_env_dir(const sl_state_env_t *env) { return env->dir; }

/* ---- transactions --------------------------------------------------------------------- */

sl_err_t sl_state_txn_begin(sl_state_env_t *env, int write, sl_state_txn_t **txnp)
{
    *txnp = NULL;
    sl_state_txn_t *txn = calloc(1, sizeof *txn);
    if (!txn)
        return SL_ERR_NOMEM;
    txn->env = env;
    txn->write = write != 0;
    int rc;
    if (write) {
        /* Blocks until the current writer ends, so never under env->mu (the
         * writer takes it to commit). Only write commits move seq, and this
         * is now the only writer: reading it afterwards is exact. */
        rc = mdb_txn_begin(env->mdb, NULL, 0, &txn->mdb);
        pthread_mutex_lock(&env->mu);
    } else {
        /* Under env->mu so that the snapshot's database table and begin_seq
         * agree (commits that open databases hold env->mu). */
        pthread_mutex_lock(&env->mu);
        rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &txn->mdb);
    }
    txn->begin_seq = env->seq;
    if (rc == 0)
        env->active++;
    pthread_mutex_unlock(&env->mu);
    if (rc != 0) {
        free(txn);
        return map_mdb(rc);
    }
    *txnp = txn;
    return SL_OK;
}

/* Closes the cursors of the iterators still open: LMDB frees a write
 * transaction's cursors when it ends, and a read one's must be closed. */
static void txn_close_iters(sl_state_txn_t *txn)
{
    for (sl_state_iter_t *it = txn->iters; it; it = it->next) {
        mdb_cursor_close(it->cur);
        it->cur = NULL;
        it->txn = NULL;
        it->prev = NULL;
    }
    txn->iters = NULL;
}

/* Ends txn: commits when commit is set, else aborts; settles the databases it
 * opened and frees it. Returns LMDB's code. */
static int txn_end(sl_state_txn_t *txn, int commit)
{
    sl_state_env_t *env = txn->env;
    txn_close_iters(txn);
    int rc = 0;
    if (txn->pending) {
        /* Held across the commit so that no reader begins between LMDB
         * publishing the new databases and seq saying so. Only the first
         * commit after a store's creation pays this. */
        pthread_mutex_lock(&env->mu);
        if (commit)
            rc = mdb_txn_commit(txn->mdb);
        else
            mdb_txn_abort(txn->mdb);
        int kept = commit && rc == 0;
        if (kept)
            env->seq++;
        for (unsigned i = 0; i < env->nslots; i++) {
            struct sl_kv *s = &env->slots[i].kv;
            if (s->state != SLOT_PENDING || s->owner != txn)
                continue;
            if (kept) {
                s->state = SLOT_OPEN;
                s->open_seq = env->seq;
            } else {
                /* LMDB closed the handle with the transaction. */
                free(s->name);
                s->name = NULL;
                s->state = SLOT_FREE;
            }
            s->owner = NULL;
        }
    } else {
        if (commit && txn->write)
            rc = mdb_txn_commit(txn->mdb);
        else
            mdb_txn_abort(txn->mdb); /* a read-only transaction has nothing to commit */
        pthread_mutex_lock(&env->mu);
    }
    env->active--;
    pthread_mutex_unlock(&env->mu);
    free(txn);
    return rc;
}

sl_err_t sl_state_txn_commit(sl_state_txn_t *txn)
{
    sl_err_t err = txn->err;
    if (err != SL_OK) {
        txn_end(txn, 0);
        return err;
    }
    return map_mdb(txn_end(txn, 1));
}

void sl_state_txn_abort(sl_state_txn_t *txn)
{
    if (txn)
        txn_end(txn, 0);
}

sl_err_t sl_state_txn_error(const sl_state_txn_t *txn) { return txn->err; }

int sl_state_txn_mdb_error(const sl_state_txn_t *txn) { return txn->mdb_err; }

/* ---- opening stores --------------------------------------------------------------------- */

static int store_open(sl_state_txn_t *txn, const char *store, int32_t partition, int kind,
                      union store_slot **out)
{
    *out = NULL;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    size_t n = store ? strlen(store) : 0;
    if (n == 0 || n > SL_STATE_MAX_STORE_NAME || partition < 0)
        return latch(txn, SL_ERR_INVAL, EINVAL);
    char name[SL_STATE_MAX_STORE_NAME + 16];
    snprintf(name, sizeof name, "%s-%d", store, (int)partition);

    sl_state_env_t *env = txn->env;
    int ret = 1;
    int rc = 0;
    pthread_mutex_lock(&env->mu);
    union store_slot *slot = NULL, *free_slot = NULL;
    for (unsigned i = 0; i < env->nslots; i++) {
        union store_slot *s = &env->slots[i];
        if (s->kv.state == SLOT_FREE) {
            if (!free_slot)
                free_slot = s;
        } else if (strcmp(s->kv.name, name) == 0) {
            slot = s;
            break;
        }
    }
    if (slot) {
        if (slot->kv.kind != kind)
            err = SL_ERR_STATE;
        else if (slot->kv.state == SLOT_OPEN && slot->kv.open_seq <= txn->begin_seq)
            *out = slot;
        else if (slot->kv.state == SLOT_PENDING && slot->kv.owner == txn)
            *out = slot;
        else if (!txn->write)
            ret = 0; /* opened after this snapshot began: not visible to it */
        else
            err = SL_ERR_STATE; /* cannot happen: there is one writer at a time */
    } else if (!txn->write) {
        ret = 0;
    } else if (!free_slot) {
        err = SL_ERR_CONFIG;
    } else {
        MDB_dbi dbi;
        rc = mdb_dbi_open(txn->mdb, name, MDB_CREATE, &dbi);
        if (rc != 0) {
            err = map_mdb(rc);
        } else if (!(free_slot->kv.name = strdup(name))) {
            err = SL_ERR_NOMEM; /* the handle closes with the transaction */
        } else {
            free_slot->kv.dbi = dbi;
            free_slot->kv.state = SLOT_PENDING;
            free_slot->kv.kind = kind;
            free_slot->kv.owner = txn;
            txn->pending++;
            *out = free_slot;
        }
    }
    pthread_mutex_unlock(&env->mu);
    if (err != SL_OK)
        return latch(txn, err, rc);
    return ret;
}

int sl_kv_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_kv_t **kv)
{
    union store_slot *s;
    int ret = store_open(txn, store, partition, KIND_KV, &s);
    *kv = s ? &s->kv : NULL;
    return ret;
}

int sl_window_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_window_t **w)
{
    union store_slot *s;
    int ret = store_open(txn, store, partition, KIND_WINDOW, &s);
    *w = s ? &s->w : NULL;
    return ret;
}

int sl_session_open(sl_state_txn_t *txn, const char *store, int32_t partition, sl_session_t **ss)
{
    union store_slot *s;
    int ret = store_open(txn, store, partition, KIND_SESSION, &s);
    *ss = s ? &s->s : NULL;
    return ret;
}

/* ---- raw operations on a database (keys already checked) ---------------------------------- */

static sl_err_t db_put(sl_state_txn_t *txn, MDB_dbi dbi, MDB_val k, sl_bytes_t value)
{
    MDB_val v = mval(value);
    int rc = mdb_put(txn->mdb, dbi, &k, &v, 0);
    if (rc != 0)
        return latch_mdb(txn, rc);
    txn->writes++;
    return SL_OK;
}

static int db_get(sl_state_txn_t *txn, MDB_dbi dbi, MDB_val k, sl_bytes_t *value)
{
    MDB_val v;
    int rc = mdb_get(txn->mdb, dbi, &k, &v);
    value->data = NULL;
    value->len = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return latch_mdb(txn, rc);
    *value = bview(&v);
    return 1;
}

static int db_del(sl_state_txn_t *txn, MDB_dbi dbi, MDB_val k)
{
    int rc = mdb_del(txn->mdb, dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return latch_mdb(txn, rc);
    txn->writes++;
    return 1;
}

static int kv_key_ok(sl_bytes_t key) { return key.len >= 1 && key.len <= SL_STATE_MAX_KEY; }

/* ---- key-value stores ------------------------------------------------------------------------ */

sl_err_t sl_kv_put(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key, sl_bytes_t value)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!kv_key_ok(key))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    return db_put(txn, kv->dbi, mval(key), value);
}

int sl_kv_get(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key, sl_bytes_t *value)
{
    value->data = NULL;
    value->len = 0;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if (!kv_key_ok(key))
        return 0; /* no such key can be stored */
    return db_get(txn, kv->dbi, mval(key), value);
}

int sl_kv_delete(sl_state_txn_t *txn, sl_kv_t *kv, sl_bytes_t key)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!kv_key_ok(key))
        return 0;
    return db_del(txn, kv->dbi, mval(key));
}

int64_t sl_kv_count(sl_state_txn_t *txn, sl_kv_t *kv)
{
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    MDB_stat st;
    int rc = mdb_stat(txn->mdb, kv->dbi, &st);
    if (rc != 0)
        return latch_mdb(txn, rc);
    return (int64_t)st.ms_entries;
}

/* ---- iterators ---------------------------------------------------------------------------------- */

static sl_err_t iter_new(sl_state_txn_t *txn, MDB_dbi dbi, int kind, sl_state_iter_t **itp)
{
    *itp = NULL;
    sl_state_iter_t *it = calloc(1, sizeof *it);
    if (!it)
        return latch(txn, SL_ERR_NOMEM, ENOMEM);
    int rc = mdb_cursor_open(txn->mdb, dbi, &it->cur);
    if (rc != 0) {
        free(it);
        return latch_mdb(txn, rc);
    }
    it->txn = txn;
    it->kind = kind;
    it->next = txn->iters;
    if (txn->iters)
        txn->iters->prev = it;
    txn->iters = it;
    *itp = it;
    return SL_OK;
}

void sl_state_iter_close(sl_state_iter_t *it)
{
    if (!it)
        return;
    if (it->txn) {
        mdb_cursor_close(it->cur);
        if (it->prev)
            it->prev->next = it->next;
        else
            it->txn->iters = it->next;
        if (it->next)
            it->next->prev = it->prev;
    }
    free(it);
}

/* LMDB's default order: unsigned bytes, then the shorter first. */
static int key_cmp(const MDB_val *a, const uint8_t *b, size_t blen)
{
    size_t n = a->mv_size < blen ? a->mv_size : blen;
    int c = n ? memcmp(a->mv_data, b, n) : 0;
    if (c)
        return c;
    return a->mv_size < blen ? -1 : a->mv_size > blen;
}

/* Moves to the next stored key in the iterator's bounds. After a write in the
 * transaction it re-seeks from the last key returned rather than trust the
 * cursor's position. Returns 1, 0 at the end, or an error (latched). */
static int iter_step(sl_state_iter_t *it, MDB_val *k, MDB_val *v)
{
    sl_state_txn_t *txn = it->txn;
    if (!txn || it->done)
        return 0;
    if (txn->err != SL_OK)
        return txn->err;
    int rc;
    if (!it->started) {
        it->started = 1;
        if (it->has_from) {
            k->mv_size = it->from_len;
            k->mv_data = it->from;
            rc = mdb_cursor_get(it->cur, k, v, MDB_SET_RANGE);
        } else {
            rc = mdb_cursor_get(it->cur, k, v, MDB_FIRST);
        }
    } else if (it->writes_seen != txn->writes) {
        k->mv_size = it->last_len;
        k->mv_data = it->last;
        rc = mdb_cursor_get(it->cur, k, v, MDB_SET_RANGE);
        if (rc == 0 && key_cmp(k, it->last, it->last_len) == 0)
            rc = mdb_cursor_get(it->cur, k, v, MDB_NEXT);
    } else {
        rc = mdb_cursor_get(it->cur, k, v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND) {
        it->done = 1;
        return 0;
    }
    if (rc != 0)
        return latch_mdb(txn, rc);
    if (it->has_to) {
        int c = key_cmp(k, it->to, it->to_len);
        if (c > 0 || (c == 0 && !it->to_inclusive)) {
            it->done = 1;
            return 0;
        }
    }
    memcpy(it->last, k->mv_data, k->mv_size); /* keys are at most SL_STATE_MAX_KEY */
    it->last_len = k->mv_size;
    it->writes_seen = txn->writes;
    return 1;
}

sl_err_t sl_kv_range(sl_state_txn_t *txn, sl_kv_t *kv, const sl_bytes_t *from,
                     const sl_bytes_t *to, sl_state_iter_t **itp)
{
    *itp = NULL;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if ((from && from->len > SL_STATE_MAX_KEY) || (to && to->len > SL_STATE_MAX_KEY))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    err = iter_new(txn, kv->dbi, ITER_KV, itp);
    if (err != SL_OK)
        return err;
    sl_state_iter_t *it = *itp;
    /* An empty lower bound is no bound (every key is at least one byte). */
    if (from && from->len) {
        it->has_from = 1;
        it->from_len = from->len;
        memcpy(it->from, from->data, from->len);
    }
    if (to) {
        it->has_to = 1;
        it->to_len = to->len;
        if (to->len)
            memcpy(it->to, to->data, to->len);
    }
    return SL_OK;
}

int sl_kv_iter_next(sl_state_iter_t *it, sl_bytes_t *key, sl_bytes_t *value)
{
    MDB_val k, v;
    int r = iter_step(it, &k, &v);
    if (r == 1) {
        *key = bview(&k);
        *value = bview(&v);
    } else {
        key->data = value->data = NULL;
        key->len = value->len = 0;
    }
    return r;
}

/* ---- times in keys ---------------------------------------------------------------------------------- */

/* A time as 8 big-endian bytes with the sign bit flipped: flipping maps
 * INT64_MIN..INT64_MAX onto 0..UINT64_MAX in order, so unsigned byte order is
 * numeric order. */
static void time_encode(uint8_t *out, int64_t t)
{
    uint64_t u = (uint64_t)t ^ ((uint64_t)1 << 63);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(u >> (56 - 8 * i));
}

static int64_t time_decode(const uint8_t *in)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | in[i];
    return (int64_t)(u ^ ((uint64_t)1 << 63));
}

/* Retention for the stores keyed "<key><time>...": removes every entry whose
 * key is at least suffix bytes long and whose time, the 8 bytes at suffix from
 * the end (a window's start, a session's end), is before t. Reads the whole
 * database. */
static sl_err_t delete_before(sl_state_txn_t *txn, MDB_dbi dbi, size_t suffix, int64_t t,
                              int64_t *removed)
{
    if (removed)
        *removed = 0;
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->mdb, dbi, &cur);
    if (rc != 0)
        return latch_mdb(txn, rc);
    int64_t n = 0;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        if (k.mv_size >= suffix &&
            time_decode((const uint8_t *)k.mv_data + k.mv_size - suffix) < t) {
            rc = mdb_cursor_del(cur, 0);
            if (rc != 0)
                break;
            n++;
            /* After a delete the cursor already stands on the next key; LMDB's
             * MDB_NEXT knows it and does not skip. */
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (n)
        txn->writes++;
    if (removed)
        *removed = n;
    if (rc != MDB_NOTFOUND)
        return latch_mdb(txn, rc);
    return SL_OK;
}

/* ---- window stores ------------------------------------------------------------------------------- */

size_t sl__window_key_encode(uint8_t *out, sl_bytes_t key, int64_t window_start)
{
    if (key.len)
        memcpy(out, key.data, key.len);
    time_encode(out + key.len, window_start);
    return key.len + 8;
}

int sl__window_key_decode(sl_bytes_t k, sl_bytes_t *key, int64_t *window_start)
{
    if (k.len < 8)
        return 0;
    size_t n = k.len - 8;
    *window_start = time_decode(k.data + n);
    key->data = n ? k.data : NULL;
    key->len = n;
    return 1;
}

static int window_key_ok(sl_bytes_t key) { return key.len <= SL_STATE_MAX_KEY - 8; }

sl_err_t sl_window_put(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key,
                       int64_t window_start, sl_bytes_t value)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!window_key_ok(key))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__window_key_encode(buf, key, window_start), buf};
    return db_put(txn, w->kv.dbi, k, value);
}

int sl_window_get(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t window_start,
                  sl_bytes_t *value)
{
    value->data = NULL;
    value->len = 0;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if (!window_key_ok(key))
        return 0;
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__window_key_encode(buf, key, window_start), buf};
    return db_get(txn, w->kv.dbi, k, value);
}

int sl_window_delete(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t window_start)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!window_key_ok(key))
        return 0;
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__window_key_encode(buf, key, window_start), buf};
    return db_del(txn, w->kv.dbi, k);
}

sl_err_t sl_window_fetch(sl_state_txn_t *txn, sl_window_t *w, sl_bytes_t key, int64_t t_from,
                         int64_t t_to, sl_state_iter_t **itp)
{
    *itp = NULL;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if (!window_key_ok(key))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    err = iter_new(txn, w->kv.dbi, ITER_WINDOW_KEY, itp);
    if (err != SL_OK)
        return err;
    sl_state_iter_t *it = *itp;
    it->has_from = it->has_to = it->to_inclusive = 1;
    it->from_len = sl__window_key_encode(it->from, key, t_from);
    it->to_len = sl__window_key_encode(it->to, key, t_to);
    it->klen = key.len + 8;
    it->t_from = t_from;
    it->t_to = t_to;
    if (t_from > t_to)
        it->done = 1;
    return SL_OK;
}

sl_err_t sl_window_fetch_all(sl_state_txn_t *txn, sl_window_t *w, int64_t t_from, int64_t t_to,
                             sl_state_iter_t **itp)
{
    *itp = NULL;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    err = iter_new(txn, w->kv.dbi, ITER_WINDOW_ALL, itp);
    if (err != SL_OK)
        return err;
    (*itp)->t_from = t_from;
    (*itp)->t_to = t_to;
    if (t_from > t_to)
        (*itp)->done = 1;
    return SL_OK;
}

int sl_window_iter_next(sl_state_iter_t *it, sl_bytes_t *key, int64_t *window_start,
                        sl_bytes_t *value)
{
    MDB_val k, v;
    int r;
    key->data = value->data = NULL;
    key->len = value->len = 0;
    *window_start = 0;
    while ((r = iter_step(it, &k, &v)) == 1) {
        /* In a one-key fetch, the range also holds windows of longer keys that
         * begin with this one: only this key's have exactly its length. */
        if (it->kind == ITER_WINDOW_KEY && k.mv_size != it->klen)
            continue;
        sl_bytes_t kk;
        int64_t t;
        if (!sl__window_key_decode(bview(&k), &kk, &t))
            continue; /* not a window key: never written by this store */
        if (t < it->t_from || t > it->t_to)
            continue;
        *key = kk;
        *window_start = t;
        *value = bview(&v);
        return 1;
    }
    return r;
}

sl_err_t sl_window_delete_before(sl_state_txn_t *txn, sl_window_t *w, int64_t t, int64_t *removed)
{
    return delete_before(txn, w->kv.dbi, 8, t, removed); /* the start: the last 8 bytes */
}

/* ---- session stores ------------------------------------------------------------------------------ */

size_t sl__session_key_encode(uint8_t *out, sl_bytes_t key, int64_t start, int64_t end)
{
    if (key.len)
        memcpy(out, key.data, key.len);
    time_encode(out + key.len, end);
    time_encode(out + key.len + 8, start);
    return key.len + 16;
}

int sl__session_key_decode(sl_bytes_t k, sl_bytes_t *key, int64_t *start, int64_t *end)
{
    if (k.len < 16)
        return 0;
    size_t n = k.len - 16;
    *end = time_decode(k.data + n);
    *start = time_decode(k.data + n + 8);
    key->data = n ? k.data : NULL;
    key->len = n;
    return 1;
}

static int session_key_ok(sl_bytes_t key) { return key.len <= SL_STATE_MAX_KEY - 16; }

sl_err_t sl_session_put(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                        int64_t end, sl_bytes_t value)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!session_key_ok(key))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    if (end < start) /* Kafka's SessionWindow refuses it too */
        return latch(txn, SL_ERR_INVAL, EINVAL);
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__session_key_encode(buf, key, start, end), buf};
    return db_put(txn, s->kv.dbi, k, value);
}

int sl_session_get(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                   int64_t end, sl_bytes_t *value)
{
    value->data = NULL;
    value->len = 0;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if (!session_key_ok(key) || end < start)
        return 0; /* no such session can be stored */
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__session_key_encode(buf, key, start, end), buf};
    return db_get(txn, s->kv.dbi, k, value);
}

int sl_session_delete(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key, int64_t start,
                      int64_t end)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    if (!session_key_ok(key) || end < start)
        return 0;
    uint8_t buf[SL_STATE_MAX_KEY];
    MDB_val k = {sl__session_key_encode(buf, key, start, end), buf};
    return db_del(txn, s->kv.dbi, k);
}

sl_err_t sl_session_find(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key,
                         int64_t earliest_end, int64_t latest_start, sl_state_iter_t **itp)
{
    *itp = NULL;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    if (!session_key_ok(key))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    err = iter_new(txn, s->kv.dbi, ITER_SESSION, itp);
    if (err != SL_OK)
        return err;
    sl_state_iter_t *it = *itp;
    /* From key@(end earliest_end, start INT64_MIN) to key@(INT64_MAX, INT64_MAX)
     * inclusive: an end is bounded only below (Kafka's RocksDB session store
     * scans the same range), so sessions starting too late are skipped in
     * next, as are those of longer keys. */
    it->has_from = it->has_to = it->to_inclusive = 1;
    it->from_len = sl__session_key_encode(it->from, key, INT64_MIN, earliest_end);
    it->to_len = sl__session_key_encode(it->to, key, INT64_MAX, INT64_MAX);
    it->klen = key.len + 16;
    it->t_from = earliest_end;
    it->t_to = latest_start;
    return SL_OK;
}

sl_err_t sl_session_fetch(sl_state_txn_t *txn, sl_session_t *s, sl_bytes_t key,
                          sl_state_iter_t **it)
{
    return sl_session_find(txn, s, key, INT64_MIN, INT64_MAX, it);
}

int sl_session_iter_next(sl_state_iter_t *it, sl_bytes_t *key, int64_t *start, int64_t *end,
                         sl_bytes_t *value)
{
    key->data = value->data = NULL;
    key->len = value->len = 0;
    *start = *end = 0;
    if (it->kind != ITER_SESSION)
        return it->txn ? latch(it->txn, SL_ERR_STATE, 0) : 0;
    MDB_val k, v;
    int r;
    while ((r = iter_step(it, &k, &v)) == 1) {
        /* The range also holds sessions of longer keys that begin with this
         * one: only this key's have exactly its length. */
        if (k.mv_size != it->klen)
            continue;
        sl_bytes_t kk;
        int64_t s, e;
        if (!sl__session_key_decode(bview(&k), &kk, &s, &e))
            continue; /* cannot happen: klen >= 16 */
        if (e < it->t_from || s > it->t_to)
            continue;
        *key = kk;
        *start = s;
        *end = e;
        *value = bview(&v);
        return 1;
    }
    return r;
}

sl_err_t sl_session_delete_before(sl_state_txn_t *txn, sl_session_t *s, int64_t t,
                                  int64_t *removed)
{
    return delete_before(txn, s->kv.dbi, 16, t, removed); /* the end: 16 bytes from the end */
}

/* ---- metadata -------------------------------------------------------------------------------------- */

static int meta_key(const char *key, MDB_val *k)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0 || n > SL_STATE_MAX_KEY)
        return 0;
    k->mv_size = n;
    k->mv_data = (void *)key;
    return 1;
}

sl_err_t sl_state_meta_put(sl_state_txn_t *txn, const char *key, sl_bytes_t value)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    MDB_val k;
    if (!meta_key(key, &k))
        return latch(txn, SL_ERR_INVAL, MDB_BAD_VALSIZE);
    return db_put(txn, txn->env->meta, k, value);
}

int sl_state_meta_get(sl_state_txn_t *txn, const char *key, sl_bytes_t *value)
{
    value->data = NULL;
    value->len = 0;
    sl_err_t err = txn_ready(txn, 0);
    if (err != SL_OK)
        return err;
    MDB_val k;
    if (!meta_key(key, &k))
        return 0;
    return db_get(txn, txn->env->meta, k, value);
}

int sl_state_meta_delete(sl_state_txn_t *txn, const char *key)
{
    sl_err_t err = txn_ready(txn, 1);
    if (err != SL_OK)
        return err;
    MDB_val k;
    if (!meta_key(key, &k))
        return 0;
    return db_del(txn, txn->env->meta, k);
}

sl_err_t sl_state_meta_put_i64(sl_state_txn_t *txn, const char *key, int64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    sl_bytes_t val = {b, sizeof b};
    return sl_state_meta_put(txn, key, val);
}

int sl_state_meta_get_i64(sl_state_txn_t *txn, const char *key, int64_t *v)
{
    sl_bytes_t val;
    int r = sl_state_meta_get(txn, key, &val);
    if (r != 1)
        return r;
    if (val.len != 8)
        return latch(txn, SL_ERR_IO, MDB_INCOMPATIBLE);
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | val.data[i];
    *v = (int64_t)u;
    return 1;
}

/* ---- timestamped values --------------------------------------------------------- */

size_t sl_state_ts_encode(uint8_t *out, int64_t ts, sl_bytes_t value)
{
    uint64_t u = (uint64_t)ts;
    for (int i = 7; i >= 0; i--, u >>= 8)
        out[i] = (uint8_t)u;
    if (value.len)
        memcpy(out + SL_STATE_TS_LEN, value.data, value.len);
    return SL_STATE_TS_LEN + value.len;
}

int sl_state_ts_decode(sl_bytes_t stored, int64_t *ts, sl_bytes_t *value)
{
    if (stored.len < SL_STATE_TS_LEN || !stored.data) {
        *value = (sl_bytes_t){NULL, 0};
        return 0;
    }
    if (ts) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = (u << 8) | stored.data[i];
        *ts = (int64_t)u;
    }
    *value = (sl_bytes_t){stored.data + SL_STATE_TS_LEN, stored.len - SL_STATE_TS_LEN};
    return 1;
}
