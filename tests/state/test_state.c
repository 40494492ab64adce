/* test_state.c — the state stores: the key-value contract suite (run by every
 * store implementation through an opener), then LMDB's own behaviour: window
 * keys and fetches, retention, offsets committed with the state, partitions,
 * errors. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/state.h"

static sl_bytes_t B(const char *s)
{
    sl_bytes_t b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static sl_bytes_t BN(const void *p, size_t n)
{
    sl_bytes_t b = {(const uint8_t *)p, n};
    return b;
}

static int beq(sl_bytes_t a, sl_bytes_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* ==== the key-value contract ===================================================== */

/* What the suite sees of a key-value store: one open batch of writes at a
 * time (a transaction, or a cache's pending updates) that commit makes
 * durable and abort drops; both start the next batch. A future in-memory
 * store or caching layer adds an opener and runs the same tests. */
typedef struct kv_sut kv_sut_t;
typedef struct kv_opener {
    const char *name;
    int persistent;                 /* committed data survives reopen */
    kv_sut_t *(*open)(void);        /* a fresh, empty store with a batch begun */
    void (*close)(kv_sut_t *s);     /* drops the batch and everything */
    void (*reopen)(kv_sut_t *s);    /* persistent ones: drops the batch, reopens */
    sl_err_t (*put)(kv_sut_t *s, sl_bytes_t k, sl_bytes_t v);
    int (*get)(kv_sut_t *s, sl_bytes_t k, sl_bytes_t *v);
    int (*del)(kv_sut_t *s, sl_bytes_t k);
    int64_t (*count)(kv_sut_t *s);
    /* Calls each on [from, to) in order; returns 0 or an error. */
    int (*range)(kv_sut_t *s, const sl_bytes_t *from, const sl_bytes_t *to,
                 void (*each)(void *arg, sl_bytes_t k, sl_bytes_t v), void *arg);
    sl_err_t (*commit)(kv_sut_t *s);
    void (*abort)(kv_sut_t *s);
} kv_opener_t;

/* -- the LMDB opener: partition `partition` of store "kv", in its own env -- */

struct kv_sut {
    char *dir;
    sl_state_env_t *env;
    sl_state_txn_t *txn;
    sl_kv_t *kv;
    int32_t partition;
    int neighbours; /* fill sibling partitions and a look-alike store first */
};

static void lmdb_begin(kv_sut_t *s)
{
    assert_int_equal(sl_state_txn_begin(s->env, 1, &s->txn), SL_OK);
    /* Opened again in every transaction: the creating transaction may abort. */
    assert_int_equal(sl_kv_open(s->txn, "kv", s->partition, &s->kv), 1);
}

static void lmdb_env(kv_sut_t *s)
{
    char err[256];
    assert_int_equal(sl_state_env_open(s->dir, 0, 16, &s->env, err, sizeof err), SL_OK);
}

static kv_sut_t *lmdb_open_at(int32_t partition, int neighbours)
{
    kv_sut_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->dir = sl_test_mkdtemp();
    s->partition = partition;
    s->neighbours = neighbours;
    lmdb_env(s);
    if (neighbours) {
        /* Same keys in partitions either side and in a store whose name
         * extends this one's: none of it may show through. */
        sl_state_txn_t *t;
        assert_int_equal(sl_state_txn_begin(s->env, 1, &t), SL_OK);
        const struct {
            const char *store;
            int32_t p;
        } nb[] = {{"kv", partition - 1}, {"kv", partition + 1}, {"kv-3", 0}, {"k", 3}};
        for (size_t i = 0; i < sizeof nb / sizeof nb[0]; i++) {
            sl_kv_t *o;
            assert_int_equal(sl_kv_open(t, nb[i].store, nb[i].p, &o), 1);
            const char *keys[] = {"a", "ab", "b", "k1", "key", "x"};
            for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
                assert_int_equal(sl_kv_put(t, o, B(keys[j]), B("neighbour")), SL_OK);
        }
        assert_int_equal(sl_state_txn_commit(t), SL_OK);
    }
    lmdb_begin(s);
    return s;
}

static kv_sut_t *lmdb_open(void) { return lmdb_open_at(0, 0); }
static kv_sut_t *lmdb_open_neighbours(void) { return lmdb_open_at(4, 1); }

static void lmdb_close(kv_sut_t *s)
{
    sl_state_txn_abort(s->txn);
    sl_state_env_close(s->env);
    sl_test_rmdir(s->dir);
    free(s);
}

static void lmdb_reopen(kv_sut_t *s)
{
    sl_state_txn_abort(s->txn);
    sl_state_env_close(s->env);
    lmdb_env(s);
    lmdb_begin(s);
}

static sl_err_t lmdb_put(kv_sut_t *s, sl_bytes_t k, sl_bytes_t v) { return sl_kv_put(s->txn, s->kv, k, v); }
static int lmdb_get(kv_sut_t *s, sl_bytes_t k, sl_bytes_t *v) { return sl_kv_get(s->txn, s->kv, k, v); }
static int lmdb_del(kv_sut_t *s, sl_bytes_t k) { return sl_kv_delete(s->txn, s->kv, k); }
static int64_t lmdb_count(kv_sut_t *s) { return sl_kv_count(s->txn, s->kv); }

static int lmdb_range(kv_sut_t *s, const sl_bytes_t *from, const sl_bytes_t *to,
                      void (*each)(void *arg, sl_bytes_t k, sl_bytes_t v), void *arg)
{
    sl_state_iter_t *it;
    sl_err_t err = sl_kv_range(s->txn, s->kv, from, to, &it);
    if (err != SL_OK)
        return err;
    sl_bytes_t k, v;
    int r;
    while ((r = sl_kv_iter_next(it, &k, &v)) == 1)
        each(arg, k, v);
    sl_state_iter_close(it);
    return r;
}

static sl_err_t lmdb_commit(kv_sut_t *s)
{
    sl_err_t err = sl_state_txn_commit(s->txn);
    lmdb_begin(s);
    return err;
}

static void lmdb_abort(kv_sut_t *s)
{
    sl_state_txn_abort(s->txn);
    lmdb_begin(s);
}

static const kv_opener_t lmdb_opener = {
    "lmdb", 1, lmdb_open, lmdb_close, lmdb_reopen, lmdb_put, lmdb_get,
    lmdb_del, lmdb_count, lmdb_range, lmdb_commit, lmdb_abort,
};

static const kv_opener_t lmdb_neighbours_opener = {
    "lmdb, partition 4 between populated neighbours", 1, lmdb_open_neighbours, lmdb_close,
    lmdb_reopen, lmdb_put, lmdb_get, lmdb_del, lmdb_count, lmdb_range, lmdb_commit, lmdb_abort,
};

/* -- suite plumbing -- */

typedef struct suite_ctx {
    const kv_opener_t *op;
    kv_sut_t *s;
} suite_ctx_t;

static int contract_setup(void **state)
{
    suite_ctx_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->op = *state;
    c->s = c->op->open();
    *state = c;
    return 0;
}

static int contract_teardown(void **state)
{
    suite_ctx_t *c = *state;
    c->op->close(c->s);
    free(c);
    return 0;
}

/* Collected results of a range scan. */
typedef struct scan {
    size_t n;
    sl_bytes_t k[64];
    uint8_t store[64][64]; /* copies: the views end with the scan */
} scan_t;

static void scan_each(void *arg, sl_bytes_t k, sl_bytes_t v)
{
    (void)v;
    scan_t *sc = arg;
    assert_true(sc->n < 64 && k.len <= 64);
    memcpy(sc->store[sc->n], k.data, k.len);
    sc->k[sc->n] = BN(sc->store[sc->n], k.len);
    sc->n++;
}

static void want_scan(suite_ctx_t *c, const sl_bytes_t *from, const sl_bytes_t *to,
                        const sl_bytes_t *want, size_t nwant)
{
    scan_t sc;
    sc.n = 0;
    assert_int_equal(c->op->range(c->s, from, to, scan_each, &sc), 0);
    assert_int_equal(sc.n, nwant);
    for (size_t i = 0; i < nwant; i++)
        assert_true(beq(sc.k[i], want[i]));
}

static void want_value(suite_ctx_t *c, sl_bytes_t k, const char *want)
{
    sl_bytes_t v;
    if (!want) {
        assert_int_equal(c->op->get(c->s, k, &v), 0);
        assert_int_equal(v.len, 0);
        return;
    }
    assert_int_equal(c->op->get(c->s, k, &v), 1);
    assert_true(beq(v, B(want)));
}

/* -- the contract tests -- */

static void kv_put_get_overwrite_delete(void **state)
{
    suite_ctx_t *c = *state;
    want_value(c, B("k"), NULL);
    assert_int_equal(c->op->count(c->s), 0);
    assert_int_equal(c->op->put(c->s, B("k"), B("v1")), SL_OK);
    want_value(c, B("k"), "v1");
    assert_int_equal(c->op->put(c->s, B("k"), B("value two")), SL_OK);
    want_value(c, B("k"), "value two");
    assert_int_equal(c->op->count(c->s), 1);
    assert_int_equal(c->op->put(c->s, B("k2"), B("x")), SL_OK);
    assert_int_equal(c->op->count(c->s), 2);
    assert_int_equal(c->op->del(c->s, B("k")), 1);
    assert_int_equal(c->op->del(c->s, B("k")), 0);
    assert_int_equal(c->op->del(c->s, B("never")), 0);
    want_value(c, B("k"), NULL);
    want_value(c, B("k2"), "x");
    assert_int_equal(c->op->count(c->s), 1);
    assert_int_equal(c->op->commit(c->s), SL_OK);
    want_value(c, B("k2"), "x");
    want_value(c, B("k"), NULL);
}

static void kv_empty_value_is_a_value(void **state)
{
    suite_ctx_t *c = *state;
    sl_bytes_t empty = {NULL, 0};
    assert_int_equal(c->op->put(c->s, B("e"), empty), SL_OK);
    sl_bytes_t v;
    assert_int_equal(c->op->get(c->s, B("e"), &v), 1);
    assert_int_equal(v.len, 0);
    assert_int_equal(c->op->count(c->s), 1);
    assert_int_equal(c->op->commit(c->s), SL_OK);
    assert_int_equal(c->op->get(c->s, B("e"), &v), 1);
    assert_int_equal(v.len, 0);
    sl_bytes_t all[] = {B("e")};
    want_scan(c, NULL, NULL, all, 1);
    /* A delete is how a key goes. */
    assert_int_equal(c->op->del(c->s, B("e")), 1);
    assert_int_equal(c->op->get(c->s, B("e"), &v), 0);
    assert_int_equal(c->op->count(c->s), 0);
}

static void kv_bad_keys_are_refused(void **state)
{
    suite_ctx_t *c = *state;
    uint8_t big[SL_STATE_MAX_KEY + 1];
    memset(big, 'x', sizeof big);
    sl_bytes_t v;
    /* Reads of keys that cannot exist are plain misses. */
    assert_int_equal(c->op->get(c->s, BN(big, sizeof big), &v), 0);
    assert_int_equal(c->op->get(c->s, BN(NULL, 0), &v), 0);
    assert_int_equal(c->op->del(c->s, BN(NULL, 0)), 0);
    /* The longest key is fine. */
    assert_int_equal(c->op->put(c->s, BN(big, SL_STATE_MAX_KEY), B("max")), SL_OK);
    assert_int_equal(c->op->get(c->s, BN(big, SL_STATE_MAX_KEY), &v), 1);
    assert_true(beq(v, B("max")));
    assert_int_equal(c->op->commit(c->s), SL_OK);
    /* An empty key is refused, as is one past the limit; the batch is then
     * spoiled and its commit fails with the same error. */
    assert_int_equal(c->op->put(c->s, BN(NULL, 0), B("v")), SL_ERR_INVAL);
    assert_int_equal(c->op->put(c->s, B("fine"), B("v")), SL_ERR_INVAL);
    assert_int_equal(c->op->commit(c->s), SL_ERR_INVAL);
    want_value(c, B("fine"), NULL);
    assert_int_equal(c->op->put(c->s, BN(big, sizeof big), B("v")), SL_ERR_INVAL);
    c->op->abort(c->s);
    assert_int_equal(c->op->count(c->s), 1);
}

static void kv_binary_keys(void **state)
{
    suite_ctx_t *c = *state;
    const uint8_t k1[] = {0x00};
    const uint8_t k2[] = {0x00, 0x00};
    const uint8_t k3[] = {0xff, 0x00, 0xff};
    const uint8_t k4[] = {'a', 0x00, 'b'};
    const uint8_t k5[] = {'a'};
    const uint8_t vals[] = {0x00, 0x01, 0x02, 0x00, 0xff};
    const sl_bytes_t keys[] = {BN(k1, 1), BN(k2, 2), BN(k3, 3), BN(k4, 3), BN(k5, 1)};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(c->op->put(c->s, keys[i], BN(vals, i + 1)), SL_OK);
    assert_int_equal(c->op->commit(c->s), SL_OK);
    assert_int_equal(c->op->count(c->s), 5);
    for (size_t i = 0; i < 5; i++) {
        sl_bytes_t v;
        assert_int_equal(c->op->get(c->s, keys[i], &v), 1);
        assert_true(beq(v, BN(vals, i + 1)));
    }
    /* Byte order: 00 < 00 00 < 'a' < 'a' 00 'b' < ff 00 ff */
    const sl_bytes_t order[] = {keys[0], keys[1], keys[4], keys[3], keys[2]};
    want_scan(c, NULL, NULL, order, 5);
}

static void kv_range_bounds(void **state)
{
    suite_ctx_t *c = *state;
    const char *ks[] = {"b", "abc", "a", "ab", "c", "ba", "a0"};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(c->op->put(c->s, B(ks[i]), B(ks[i])), SL_OK);
    /* Prefixes come before the keys they begin ('0' < 'b'). */
    const sl_bytes_t all[] = {B("a"), B("a0"), B("ab"), B("abc"), B("b"), B("ba"), B("c")};
    want_scan(c, NULL, NULL, all, 7);
    sl_bytes_t from = B("ab"), to = B("b");
    want_scan(c, &from, &to, all + 2, 2);                 /* [ab, b): ab abc */
    want_scan(c, &from, NULL, all + 2, 5);                /* [ab, ...) */
    want_scan(c, NULL, &to, all, 4);                      /* [..., b) */
    sl_bytes_t from2 = B("aa"), to2 = B("abd");             /* bounds that are not keys */
    want_scan(c, &from2, &to2, all + 2, 2);
    sl_bytes_t to3 = B("ba");                               /* a key that extends the bound */
    want_scan(c, &to, &to3, all + 4, 1);
    want_scan(c, &to, &to, NULL, 0);                      /* [b, b) is empty */
    want_scan(c, &to, &from, NULL, 0);                    /* from > to: empty */
    sl_bytes_t past = B("d");
    want_scan(c, &past, NULL, NULL, 0);
    sl_bytes_t empty = {NULL, 0};
    want_scan(c, &empty, NULL, all, 7);                   /* an empty from is no bound */
    want_scan(c, NULL, &empty, NULL, 0);                  /* nothing is below "" */
    /* Uncommitted writes and deletes show in scans of the same batch. */
    assert_int_equal(c->op->del(c->s, B("abc")), 1);
    const sl_bytes_t after[] = {B("ab"), B("b")};
    want_scan(c, &from, &to3, after, 2);
}

/* A sorted-array model of a store. */
typedef struct model {
    size_t n;
    struct {
        uint8_t k[4], klen, v[8], vlen;
    } e[700];
} model_t;

static int model_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (an < bn ? -1 : an > bn);
}

static size_t model_find(const model_t *m, const uint8_t *k, size_t kn, int *found)
{
    size_t i = 0;
    while (i < m->n && model_cmp(m->e[i].k, m->e[i].klen, k, kn) < 0)
        i++;
    *found = i < m->n && model_cmp(m->e[i].k, m->e[i].klen, k, kn) == 0;
    return i;
}

typedef struct model_scan {
    const model_t *m;
    size_t i, end;
} model_scan_t;

static void model_scan_each(void *arg, sl_bytes_t k, sl_bytes_t v)
{
    model_scan_t *ms = arg;
    assert_true(ms->i < ms->end);
    assert_true(beq(k, BN(ms->m->e[ms->i].k, ms->m->e[ms->i].klen)));
    assert_true(beq(v, BN(ms->m->e[ms->i].v, ms->m->e[ms->i].vlen)));
    ms->i++;
}

static void kv_random_workload_against_model(void **state)
{
    suite_ctx_t *c = *state;
    static model_t m, committed; /* large: off the stack */
    memset(&m, 0, sizeof m);
    memset(&committed, 0, sizeof committed);
    uint64_t seed = 0x5eed;
    /* Keys of 1..3 bytes over a small alphabet, so that prefixes abound. */
    const uint8_t alpha[] = {0x00, 0x01, 'a', 0x7f, 0x80, 0xff};
    for (int op = 0; op < 6000; op++) {
        uint8_t k[4];
        size_t kn = 1 + sl_test_rand(&seed) % 3;
        for (size_t i = 0; i < kn; i++)
            k[i] = alpha[sl_test_rand(&seed) % sizeof alpha];
        int found;
        size_t at = model_find(&m, k, kn, &found);
        unsigned r = (unsigned)(sl_test_rand(&seed) % 100);
        if (r < 45) { /* put */
            uint8_t v[8];
            size_t vn = sl_test_rand(&seed) % 9;
            for (size_t i = 0; i < vn; i++)
                v[i] = (uint8_t)sl_test_rand(&seed);
            assert_int_equal(c->op->put(c->s, BN(k, kn), BN(v, vn)), SL_OK);
            if (!found) {
                memmove(&m.e[at + 1], &m.e[at], (m.n - at) * sizeof m.e[0]);
                m.n++;
                memcpy(m.e[at].k, k, kn);
                m.e[at].klen = (uint8_t)kn;
            }
            memcpy(m.e[at].v, v, vn);
            m.e[at].vlen = (uint8_t)vn;
        } else if (r < 65) { /* delete */
            assert_int_equal(c->op->del(c->s, BN(k, kn)), found);
            if (found) {
                memmove(&m.e[at], &m.e[at + 1], (m.n - at - 1) * sizeof m.e[0]);
                m.n--;
            }
        } else if (r < 85) { /* get */
            sl_bytes_t v;
            assert_int_equal(c->op->get(c->s, BN(k, kn), &v), found);
            if (found)
                assert_true(beq(v, BN(m.e[at].v, m.e[at].vlen)));
        } else if (r < 95) { /* range [k, k2) */
            uint8_t k2[4];
            size_t kn2 = 1 + sl_test_rand(&seed) % 3;
            for (size_t i = 0; i < kn2; i++)
                k2[i] = alpha[sl_test_rand(&seed) % sizeof alpha];
            int f2;
            size_t end = model_find(&m, k2, kn2, &f2);
            sl_bytes_t from = BN(k, kn), to = BN(k2, kn2);
            int open = (int)(sl_test_rand(&seed) % 4);
            model_scan_t ms = {&m, open & 1 ? 0 : at, open & 2 ? m.n : end};
            if (ms.end < ms.i)
                ms.end = ms.i; /* from > to: empty */
            assert_int_equal(c->op->range(c->s, open & 1 ? NULL : &from, open & 2 ? NULL : &to,
                                          model_scan_each, &ms), 0);
            assert_int_equal(ms.i, ms.end);
        } else if (r < 98) {
            assert_int_equal(c->op->commit(c->s), SL_OK);
            committed = m;
        } else {
            c->op->abort(c->s);
            m = committed;
        }
        if (op % 500 == 0)
            assert_int_equal(c->op->count(c->s), (int64_t)m.n);
    }
    assert_int_equal(c->op->commit(c->s), SL_OK);
    assert_int_equal(c->op->count(c->s), (int64_t)m.n);
    assert_true(m.n > 50);
    model_scan_t ms = {&m, 0, m.n};
    if (c->op->persistent) {
        c->op->reopen(c->s);
        assert_int_equal(c->op->count(c->s), (int64_t)m.n);
    }
    assert_int_equal(c->op->range(c->s, NULL, NULL, model_scan_each, &ms), 0);
    assert_int_equal(ms.i, m.n);
}

static void kv_persists_across_reopen(void **state)
{
    suite_ctx_t *c = *state;
    if (!c->op->persistent)
        skip();
    assert_int_equal(c->op->put(c->s, B("kept"), B("1")), SL_OK);
    assert_int_equal(c->op->commit(c->s), SL_OK);
    assert_int_equal(c->op->put(c->s, B("lost"), B("2")), SL_OK);
    assert_int_equal(c->op->put(c->s, B("kept"), B("changed")), SL_OK);
    c->op->reopen(c->s); /* the open batch is dropped */
    want_value(c, B("kept"), "1");
    want_value(c, B("lost"), NULL);
    assert_int_equal(c->op->count(c->s), 1);
}

static void kv_abort_leaves_nothing(void **state)
{
    suite_ctx_t *c = *state;
    assert_int_equal(c->op->put(c->s, B("base"), B("0")), SL_OK);
    assert_int_equal(c->op->commit(c->s), SL_OK);
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%03d", i);
        assert_int_equal(c->op->put(c->s, B(k), B(k)), SL_OK);
    }
    assert_int_equal(c->op->del(c->s, B("base")), 1);
    assert_int_equal(c->op->count(c->s), 100);
    c->op->abort(c->s);
    assert_int_equal(c->op->count(c->s), 1);
    want_value(c, B("base"), "0");
    want_value(c, B("k000"), NULL);
    const sl_bytes_t all[] = {B("base")};
    want_scan(c, NULL, NULL, all, 1);
}

#define CONTRACT(f, opener) \
    cmocka_unit_test_prestate_setup_teardown(f, contract_setup, contract_teardown, (void *)&opener)
#define CONTRACT_SUITE(opener)                                   \
    CONTRACT(kv_put_get_overwrite_delete, opener),               \
        CONTRACT(kv_empty_value_is_a_value, opener),             \
        CONTRACT(kv_bad_keys_are_refused, opener),               \
        CONTRACT(kv_binary_keys, opener),                        \
        CONTRACT(kv_range_bounds, opener),                       \
        CONTRACT(kv_random_workload_against_model, opener),      \
        CONTRACT(kv_persists_across_reopen, opener),             \
        CONTRACT(kv_abort_leaves_nothing, opener)

/* ==== LMDB: environment, transactions, handles ====================================== */

typedef struct envfx {
    char *dir;
    sl_state_env_t *env;
} envfx_t;

static envfx_t env_new(size_t map_size, unsigned max_stores)
{
    envfx_t f;
    char err[256] = "";
    f.dir = sl_test_mkdtemp();
    sl_err_t e = sl_state_env_open(f.dir, map_size, max_stores, &f.env, err, sizeof err);
    if (e != SL_OK)
        fail_msg("open %s: %s", f.dir, err);
    return f;
}

static void env_reopen(envfx_t *f)
{
    sl_state_env_close(f->env);
    assert_int_equal(sl_state_env_open(f->dir, 0, 8, &f->env, NULL, 0), SL_OK);
}

static void env_free(envfx_t *f)
{
    sl_state_env_close(f->env);
    sl_test_rmdir(f->dir);
}

static sl_state_txn_t *begin(envfx_t *f, int write)
{
    sl_state_txn_t *t;
    assert_int_equal(sl_state_txn_begin(f->env, write, &t), SL_OK);
    return t;
}

static void env_open_errors(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char path[512], err[512];
    sl_state_env_t *env = (sl_state_env_t *)1;

    /* A file where the directory should be. */
    snprintf(path, sizeof path, "%s/file", dir);
    sl_test_write_file(path, "x", 1);
    assert_int_equal(sl_state_env_open(path, 0, 4, &env, err, sizeof err), SL_ERR_IO);
    assert_null(env);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a directory"));

    /* A missing parent. */
    snprintf(path, sizeof path, "%s/no/such", dir);
    assert_int_equal(sl_state_env_open(path, 0, 4, &env, err, sizeof err), SL_ERR_IO);
    assert_non_null(strstr(err, path));

    /* A data file that is not LMDB's. */
    snprintf(path, sizeof path, "%s/junk", dir);
    assert_int_equal(sl_state_env_open(path, 0, 4, &env, NULL, 0), SL_OK); /* creates the dir */
    sl_state_env_close(env);
    snprintf(path, sizeof path, "%s/junk/data.mdb", dir);
    char junk[8192];
    memset(junk, 'j', sizeof junk);
    sl_test_write_file(path, junk, sizeof junk);
    snprintf(path, sizeof path, "%s/junk", dir);
    assert_int_equal(sl_state_env_open(path, 0, 4, &env, err, sizeof err), SL_ERR_IO);
    assert_non_null(strstr(err, path));

    assert_int_equal(sl_state_env_open("", 0, 4, &env, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_state_env_open(dir, 0, 0, &env, err, sizeof err), SL_ERR_INVAL);

    /* A fresh directory is made. */
    snprintf(path, sizeof path, "%s/fresh", dir);
    assert_int_equal(sl_state_env_open(path, 0, 4, &env, err, sizeof err), SL_OK);
    assert_string_equal(sl_state_env_dir(env), path);
    sl_state_env_close(env);
    sl_state_env_close(NULL);
    sl_test_rmdir(dir);
}

/* The child of env_directory_lock: opens dir, says so on `ready`, waits for
 * a byte on `go`, closes. Exits 0 when all went well; never returns. */
static void lock_holder_child(const char *dir, int ready, int go)
{
    sl_state_env_t *env;
    char c = 'r';
    if (sl_state_env_open(dir, 0, 4, &env, NULL, 0) != SL_OK)
        _exit(1);
    if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
        _exit(2);
    sl_state_env_close(env);
    _exit(0);
}

static void env_directory_lock(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char path[512], err[512], want[600];
    snprintf(want, sizeof want, "state directory %s is in use by another process", dir);
    sl_state_env_t *env, *env2 = (sl_state_env_t *)1;

    /* A second open in this process fails, and leaves the first alone. */
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_OK);
    snprintf(path, sizeof path, "%s/sluice.lock", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env2, err, sizeof err), SL_ERR_STATE);
    assert_null(env2);
    assert_string_equal(err, want);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env2, NULL, 0), SL_ERR_STATE);
    sl_state_txn_t *t;
    sl_kv_t *kv;
    assert_int_equal(sl_state_txn_begin(env, 1, &t), SL_OK);
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    assert_int_equal(sl_kv_put(t, kv, B("k"), B("v")), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    /* After a close it opens again, the lock file already there. */
    sl_state_env_close(env);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_OK);
    assert_int_equal(sl_state_txn_begin(env, 1, &t), SL_OK);
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    sl_bytes_t v;
    assert_int_equal(sl_kv_get(t, kv, B("k"), &v), 1);
    assert_true(beq(v, B("v")));
    sl_state_txn_abort(t);
    sl_state_env_close(env);

    /* Another process holding the directory. */
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        close(go[1]);
        lock_holder_child(dir, ready[1], go[0]);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    err[0] = 0;
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_ERR_STATE);
    assert_null(env);
    assert_string_equal(err, want);
    assert_int_equal(write(go[1], "g", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(ready[0]);
    close(go[1]);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_OK);
    sl_state_env_close(env);

    /* A child that dies holding it (no close) frees it too: the kernel
     * drops an flock with the last descriptor. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(sl_state_env_open(dir, 0, 4, &env, NULL, 0) == SL_OK ? 0 : 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_OK);
    sl_state_env_close(env);

    /* An open that LMDB refuses lets go of the lock: the next one fails the
     * same way, not as "in use". */
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    char junk[8192];
    memset(junk, 'j', sizeof junk);
    sl_test_write_file(path, junk, sizeof junk);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_ERR_IO);
    assert_int_equal(sl_state_env_open(dir, 0, 4, &env, err, sizeof err), SL_ERR_IO);
    assert_null(strstr(err, "in use"));
    sl_test_rmdir(dir);
}

static void store_names_and_handles(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 3);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *a, *a2, *b;
    sl_window_t *w;
    assert_int_equal(sl_kv_open(t, "", 0, &a), SL_ERR_INVAL);
    sl_state_txn_abort(t);

    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "s", -1, &a), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    char longname[SL_STATE_MAX_STORE_NAME + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, longname, 0, &a), SL_ERR_INVAL);
    sl_state_txn_abort(t);

    /* Creation undone by an abort: the store must be opened again, and works. */
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "s", 0, &a), 1);
    assert_int_equal(sl_kv_put(t, a, B("k"), B("v")), SL_OK);
    sl_state_txn_abort(t);
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "s", 0, &a), 1);
    assert_int_equal(sl_kv_count(t, a), 0);
    assert_int_equal(sl_kv_put(t, a, B("k"), B("v")), SL_OK);
    assert_int_equal(sl_kv_open(t, "s", 0, &a2), 1);
    assert_ptr_equal(a, a2);
    assert_int_equal(sl_kv_open(t, "s", 1, &b), 1);
    assert_ptr_not_equal(a, b);
    assert_int_equal(sl_window_open(t, "w", 0, &w), 1);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* The handle outlives its transaction; the name is a kv store, not a window one. */
    t = begin(&f, 1);
    assert_int_equal(sl_kv_count(t, a), 1);
    assert_int_equal(sl_window_open(t, "s", 0, &w), SL_ERR_STATE);
    assert_null(w);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_STATE);

    /* max_stores is 3: s-0, s-1 and w-0. */
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "s", 2, &b), SL_ERR_CONFIG);
    sl_state_txn_abort(t);

    /* A reader sees stores opened by commits before it began, not after. */
    sl_state_txn_t *r = begin(&f, 0);
    assert_int_equal(sl_kv_open(r, "s", 0, &a2), 1);
    assert_ptr_equal(a, a2);
    assert_int_equal(sl_kv_open(r, "never", 0, &b), 0);
    assert_null(b);
    assert_int_equal(sl_kv_put(r, a, B("x"), B("y")), SL_ERR_INVAL); /* read-only */
    assert_int_equal(sl_state_txn_commit(r), SL_ERR_INVAL);
    env_free(&f);
}

/* Reads "k" in a read transaction begun elsewhere and ends it; NULL when fine. */
static void *read_on_other_thread(void *arg)
{
    sl_state_txn_t *r = arg;
    sl_kv_t *kv;
    sl_bytes_t v;
    int ok = sl_kv_open(r, "s", 0, &kv) == 1 && sl_kv_get(r, kv, B("k"), &v) == 1 &&
             beq(v, B("new"));
    return sl_state_txn_commit(r) == SL_OK && ok ? NULL : arg;
}

static void read_txn_is_a_snapshot(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 4);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *kv;
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    assert_int_equal(sl_kv_put(t, kv, B("k"), B("old")), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    sl_state_txn_t *r = begin(&f, 0);
    t = begin(&f, 1);
    assert_int_equal(sl_kv_put(t, kv, B("k"), B("new")), SL_OK);
    sl_kv_t *late;
    assert_int_equal(sl_kv_open(t, "late", 0, &late), 1);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    sl_bytes_t v;
    assert_int_equal(sl_kv_get(r, kv, B("k"), &v), 1);
    assert_true(beq(v, B("old")));
    /* "late" was opened after r began: r's snapshot cannot use it. */
    assert_int_equal(sl_kv_open(r, "late", 0, &late), 0);
    assert_int_equal(sl_state_txn_commit(r), SL_OK);
    r = begin(&f, 0);
    assert_int_equal(sl_kv_get(r, kv, B("k"), &v), 1);
    assert_true(beq(v, B("new")));
    assert_int_equal(sl_kv_open(r, "late", 0, &late), 1);
    sl_state_txn_abort(r);

    /* Transactions are not tied to threads (MDB_NOTLS): two readers at once
     * on this thread, and one of them ended on another thread. */
    sl_state_txn_t *r2 = begin(&f, 0);
    r = begin(&f, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_on_other_thread, r), 0);
    void *res;
    assert_int_equal(pthread_join(th, &res), 0);
    assert_null(res);
    assert_int_equal(sl_kv_get(r2, kv, B("k"), &v), 1);
    assert_int_equal(sl_state_txn_commit(r2), SL_OK);

    /* set_map_size needs no transaction open. */
    r = begin(&f, 0);
    assert_int_equal(sl_state_env_set_map_size(f.env, (size_t)64 << 20), SL_ERR_STATE);
    sl_state_txn_abort(r);
    assert_int_equal(sl_state_env_set_map_size(f.env, (size_t)64 << 20), SL_OK);
    env_free(&f);
}

static void iterators_and_txn_end(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 4);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *kv;
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    for (int i = 0; i < 300; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%04d", i);
        assert_int_equal(sl_kv_put(t, kv, B(k), B(k)), SL_OK);
    }
    /* Deleting every key while iterating: each is seen once, in order. */
    sl_state_iter_t *it;
    assert_int_equal(sl_kv_range(t, kv, NULL, NULL, &it), SL_OK);
    sl_bytes_t k, v;
    int n = 0;
    while (sl_kv_iter_next(it, &k, &v) == 1) {
        char want[16];
        snprintf(want, sizeof want, n < 300 ? "k%04d" : "l", n);
        assert_true(beq(k, B(want)));
        assert_int_equal(sl_kv_delete(t, kv, k), 1);
        if (n < 300 && n % 3 == 0) /* and adding keys behind and ahead of it */
            assert_int_equal(sl_kv_put(t, kv, B(n % 2 ? "a" : "l"), B("x")), SL_OK);
        n++;
    }
    sl_state_iter_close(it);
    assert_int_equal(n, 300 + 1); /* "l" came after the last key */
    assert_int_equal(sl_kv_count(t, kv), 1); /* "a" */

    /* Iterators left open when the transaction ends: closing later is safe,
     * and next says "end". */
    sl_state_iter_t *i1, *i2;
    assert_int_equal(sl_kv_range(t, kv, NULL, NULL, &i1), SL_OK);
    assert_int_equal(sl_kv_range(t, kv, NULL, NULL, &i2), SL_OK);
    assert_int_equal(sl_kv_iter_next(i1, &k, &v), 1);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    assert_int_equal(sl_kv_iter_next(i1, &k, &v), 0);
    sl_state_iter_close(i2);
    sl_state_iter_close(i1);
    sl_state_iter_close(NULL);

    sl_state_txn_t *r = begin(&f, 0);
    assert_int_equal(sl_kv_range(r, kv, NULL, NULL, &i1), SL_OK);
    sl_state_txn_abort(r);
    sl_state_iter_close(i1);
    env_free(&f);
}

static void errors_latch(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 4);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *kv;
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    assert_int_equal(sl_kv_put(t, kv, B("a"), B("1")), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "offset", 7), SL_OK);
    assert_int_equal(sl_state_txn_error(t), SL_OK);
    assert_int_equal(sl_kv_put(t, kv, BN(NULL, 0), B("bad")), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_error(t), SL_ERR_INVAL);
    assert_int_not_equal(sl_state_txn_mdb_error(t), 0);
    /* Everything after fails with the latched error, reads included. */
    sl_bytes_t v;
    assert_int_equal(sl_kv_get(t, kv, B("a"), &v), SL_ERR_INVAL);
    assert_int_equal(sl_kv_count(t, kv), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_INVAL);
    t = begin(&f, 0);
    int64_t off;
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 0); /* its creation was not committed */
    assert_int_equal(sl_state_meta_get_i64(t, "offset", &off), 0);
    sl_state_txn_abort(t);
    env_free(&f);
}

/* ==== window stores ================================================================= */

static void window_key_encoding(void **state)
{
    (void)state;
    uint8_t out[16];
    const uint8_t k[] = {'a', 'b'};
    /* 0 -> 80 00 .. 00 */
    assert_int_equal(sl__window_key_encode(out, BN(k, 2), 0), 10);
    const uint8_t zero[] = {'a', 'b', 0x80, 0, 0, 0, 0, 0, 0, 0};
    assert_memory_equal(out, zero, 10);
    /* 1 -> 80 00 00 00 00 00 00 01 */
    sl__window_key_encode(out, BN(k, 2), 1);
    const uint8_t one[] = {'a', 'b', 0x80, 0, 0, 0, 0, 0, 0, 1};
    assert_memory_equal(out, one, 10);
    /* -1 = ff..ff -> 7f ff ff ff ff ff ff ff */
    sl__window_key_encode(out, BN(k, 2), -1);
    const uint8_t minus1[] = {'a', 'b', 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(out, minus1, 10);
    /* 1700000000000 ms = 0x18BCFE56800 -> 80 00 01 8b cf e5 68 00 */
    assert_int_equal(sl__window_key_encode(out, BN(NULL, 0), 1700000000000LL), 8);
    const uint8_t ts[] = {0x80, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
    assert_memory_equal(out, ts, 8);
    /* INT64_MIN -> all zero, INT64_MAX -> all ff */
    sl__window_key_encode(out, BN(NULL, 0), INT64_MIN);
    const uint8_t lo[8] = {0};
    assert_memory_equal(out, lo, 8);
    sl__window_key_encode(out, BN(NULL, 0), INT64_MAX);
    const uint8_t hi[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(out, hi, 8);

    /* Decoding inverts it; byte order is numeric order. */
    const int64_t ts_list[] = {INT64_MIN, -1000, -1, 0, 1, 999, INT64_MAX};
    uint8_t prev[16];
    for (size_t i = 0; i < sizeof ts_list / sizeof ts_list[0]; i++) {
        size_t n = sl__window_key_encode(out, BN(k, 2), ts_list[i]);
        sl_bytes_t kk;
        int64_t t;
        assert_int_equal(sl__window_key_decode(BN(out, n), &kk, &t), 1);
        assert_true(t == ts_list[i]);
        assert_true(beq(kk, BN(k, 2)));
        if (i)
            assert_true(memcmp(prev, out, n) < 0);
        memcpy(prev, out, n);
    }
    sl_bytes_t kk;
    int64_t t;
    assert_int_equal(sl__window_key_decode(BN(out, 7), &kk, &t), 0);
}

typedef struct wseen {
    size_t n;
    char key[32][8];
    int64_t t[32];
    char val[32][32];
} wseen_t;

static wseen_t collect(sl_state_iter_t *it)
{
    wseen_t s;
    memset(&s, 0, sizeof s);
    sl_bytes_t k, v;
    int64_t t;
    int r;
    while ((r = sl_window_iter_next(it, &k, &t, &v)) == 1) {
        assert_true(s.n < 32 && k.len < 8 && v.len < 32);
        if (k.len)
            memcpy(s.key[s.n], k.data, k.len);
        memcpy(s.val[s.n], v.data, v.len);
        s.t[s.n++] = t;
    }
    assert_int_equal(r, 0);
    sl_state_iter_close(it);
    return s;
}

static void window_put(sl_state_txn_t *t, sl_window_t *w, const char *k, int64_t ts)
{
    char v[32];
    snprintf(v, sizeof v, "%s@%lld", k, (long long)ts);
    assert_int_equal(sl_window_put(t, w, B(k), ts, B(v)), SL_OK);
}

static void window_fetch_order_and_ranges(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 4);
    sl_state_txn_t *t = begin(&f, 1);
    sl_window_t *w;
    assert_int_equal(sl_window_open(t, "win", 0, &w), 1);
    const int64_t times[] = {5000, -5000, 0, -1, 1, INT64_MIN, INT64_MAX, 100};
    for (size_t i = 0; i < 8; i++)
        window_put(t, w, "a", times[i]);
    /* Keys beginning with "a" whose windows sort inside a's range (their next
     * byte lies in the high byte of the encoded time), and neighbours. */
    window_put(t, w, "a\x80", 0);
    window_put(t, w, "a\x7f", -3);
    window_put(t, w, "b", 1);
    window_put(t, w, "", 2);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    sl_state_iter_t *it;
    assert_int_equal(sl_window_fetch(t, w, B("a"), INT64_MIN, INT64_MAX, &it), SL_OK);
    wseen_t s = collect(it);
    const int64_t want[] = {INT64_MIN, -5000, -1, 0, 1, 100, 5000, INT64_MAX};
    assert_int_equal(s.n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_true(s.t[i] == want[i]);
        assert_string_equal(s.key[i], "a");
        char v[32];
        snprintf(v, sizeof v, "a@%lld", (long long)want[i]);
        assert_string_equal(s.val[i], v);
    }
    /* Both ends inclusive. */
    assert_int_equal(sl_window_fetch(t, w, B("a"), -1, 100, &it), SL_OK);
    s = collect(it);
    assert_int_equal(s.n, 4);
    assert_true(s.t[0] == -1 && s.t[3] == 100);
    assert_int_equal(sl_window_fetch(t, w, B("a"), -4999, -2, &it), SL_OK);
    assert_int_equal(collect(it).n, 0);
    assert_int_equal(sl_window_fetch(t, w, B("a"), 10, -10, &it), SL_OK);
    assert_int_equal(collect(it).n, 0);
    assert_int_equal(sl_window_fetch(t, w, B("zz"), INT64_MIN, INT64_MAX, &it), SL_OK);
    assert_int_equal(collect(it).n, 0);
    assert_int_equal(sl_window_fetch(t, w, B(""), INT64_MIN, INT64_MAX, &it), SL_OK);
    s = collect(it);
    assert_int_equal(s.n, 1);
    assert_true(s.t[0] == 2);

    /* All keys in a time range, in stored-byte order: by key then time,
     * except where one key is a prefix of another (a\x7f@-3 sorts before
     * a@-1, whose time begins with 7f ff). */
    assert_int_equal(sl_window_fetch_all(t, w, -3, 1, &it), SL_OK);
    s = collect(it);
    assert_int_equal(s.n, 6);
    const char *wk[] = {"a\x7f", "a", "a", "a", "a\x80", "b"};
    const int64_t wt[] = {-3, -1, 0, 1, 0, 1};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s.key[i], wk[i]);
        assert_true(s.t[i] == wt[i]);
    }

    sl_bytes_t v;
    assert_int_equal(sl_window_get(t, w, B("a"), -5000, &v), 1);
    assert_true(beq(v, B("a@-5000")));
    assert_int_equal(sl_window_get(t, w, B("a"), -4999, &v), 0);
    sl_state_txn_abort(t);

    t = begin(&f, 1);
    assert_int_equal(sl_window_delete(t, w, B("a"), -5000), 1);
    assert_int_equal(sl_window_delete(t, w, B("a"), -5000), 0);
    assert_int_equal(sl_window_get(t, w, B("a"), -5000, &v), 0);
    /* Keys too long for a window store. */
    uint8_t big[SL_STATE_MAX_KEY];
    memset(big, 'k', sizeof big);
    assert_int_equal(sl_window_put(t, w, BN(big, SL_STATE_MAX_KEY - 8), 0, B("ok")), SL_OK);
    assert_int_equal(sl_window_put(t, w, BN(big, SL_STATE_MAX_KEY - 7), 0, B("no")), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    env_free(&f);
}

static void window_delete_before(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 4);
    sl_state_txn_t *t = begin(&f, 1);
    sl_window_t *w;
    assert_int_equal(sl_window_open(t, "win", 3, &w), 1);
    /* Enough windows to span many pages: 200 keys x 20 windows. */
    for (int k = 0; k < 200; k++) {
        char key[16];
        snprintf(key, sizeof key, "u%d", k);
        for (int i = 0; i < 20; i++)
            assert_int_equal(sl_window_put(t, w, B(key), (int64_t)(i - 10) * 1000, B("v")), SL_OK);
    }
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 1);
    int64_t removed;
    assert_int_equal(sl_window_delete_before(t, w, -5000, &removed), SL_OK);
    assert_int_equal(removed, 200 * 5); /* -10000 .. -6000 */
    assert_int_equal(sl_window_delete_before(t, w, -5000, &removed), SL_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(sl_window_delete_before(t, w, 0, NULL), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    sl_state_iter_t *it;
    assert_int_equal(sl_window_fetch(t, w, B("u7"), INT64_MIN, INT64_MAX, &it), SL_OK);
    wseen_t s = collect(it);
    assert_int_equal(s.n, 10);
    assert_true(s.t[0] == 0 && s.t[9] == 9000);
    assert_int_equal(sl_window_fetch_all(t, w, INT64_MIN, -1, &it), SL_OK);
    assert_int_equal(collect(it).n, 0);
    sl_state_txn_abort(t);

    /* Retention undone by an abort. */
    t = begin(&f, 1);
    assert_int_equal(sl_window_delete_before(t, w, INT64_MAX, &removed), SL_OK);
    assert_int_equal(removed, 200 * 10);
    sl_state_txn_abort(t);
    t = begin(&f, 0);
    assert_int_equal(sl_window_fetch_all(t, w, INT64_MIN, INT64_MAX, &it), SL_OK);
    sl_bytes_t k, v;
    int64_t ts;
    int n = 0;
    while (sl_window_iter_next(it, &k, &ts, &v) == 1)
        n++;
    sl_state_iter_close(it);
    assert_int_equal(n, 200 * 10);
    sl_state_txn_abort(t);
    env_free(&f);
}

/* ==== offsets committed with the state ================================================ */

static void meta_offsets_atomic_with_state(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 8);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *kv;
    sl_window_t *w;
    assert_int_equal(sl_kv_open(t, "counts", 0, &kv), 1);
    assert_int_equal(sl_window_open(t, "wcounts", 0, &w), 1);
    assert_int_equal(sl_kv_put(t, kv, B("user1"), B("1")), SL_OK);
    assert_int_equal(sl_window_put(t, w, B("user1"), 60000, B("1")), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "in/pageviews/0", 41), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "changelog/counts/0", 17), SL_OK);
    assert_int_equal(sl_state_meta_put(t, "note", B("")), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* A second batch, aborted: neither its state nor its offsets stay. */
    t = begin(&f, 1);
    assert_int_equal(sl_kv_put(t, kv, B("user1"), B("2")), SL_OK);
    assert_int_equal(sl_kv_put(t, kv, B("user2"), B("1")), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "in/pageviews/0", 43), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "changelog/counts/0", 19), SL_OK);
    int64_t off;
    assert_int_equal(sl_state_meta_get_i64(t, "in/pageviews/0", &off), 1);
    assert_true(off == 43);
    sl_state_txn_abort(t);

    env_reopen(&f);
    t = begin(&f, 1); /* a writer opens the stores after a restart */
    assert_int_equal(sl_kv_open(t, "counts", 0, &kv), 1);
    assert_int_equal(sl_window_open(t, "wcounts", 0, &w), 1);
    sl_bytes_t v;
    assert_int_equal(sl_kv_get(t, kv, B("user1"), &v), 1);
    assert_true(beq(v, B("1")));
    assert_int_equal(sl_kv_get(t, kv, B("user2"), &v), 0);
    assert_int_equal(sl_window_get(t, w, B("user1"), 60000, &v), 1);
    assert_int_equal(sl_state_meta_get_i64(t, "in/pageviews/0", &off), 1);
    assert_true(off == 41);
    assert_int_equal(sl_state_meta_get_i64(t, "changelog/counts/0", &off), 1);
    assert_true(off == 17);
    assert_int_equal(sl_state_meta_get_i64(t, "in/other/0", &off), 0);
    assert_int_equal(sl_state_meta_get(t, "note", &v), 1);
    assert_int_equal(v.len, 0);
    /* Meta is not a store: no store sees it. */
    assert_int_equal(sl_kv_count(t, kv), 1);
    assert_int_equal(sl_state_meta_delete(t, "note"), 1);
    assert_int_equal(sl_state_meta_delete(t, "note"), 0);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* A value that is not 8 bytes is not an offset. */
    t = begin(&f, 1);
    assert_int_equal(sl_state_meta_put(t, "odd", B("abc")), SL_OK);
    assert_int_equal(sl_state_meta_get_i64(t, "odd", &off), SL_ERR_IO);
    sl_state_txn_abort(t);
    env_free(&f);
}

static void partitions_are_independent(void **state)
{
    (void)state;
    envfx_t f = env_new(0, 8);
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *p0, *p1;
    assert_int_equal(sl_kv_open(t, "s", 0, &p0), 1);
    assert_int_equal(sl_kv_open(t, "s", 1, &p1), 1);
    assert_int_equal(sl_kv_put(t, p0, B("k"), B("zero")), SL_OK);
    assert_int_equal(sl_kv_put(t, p1, B("k"), B("one")), SL_OK);
    assert_int_equal(sl_kv_put(t, p1, B("only1"), B("x")), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    t = begin(&f, 1);
    assert_int_equal(sl_kv_delete(t, p0, B("k")), 1);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    env_reopen(&f);
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "s", 0, &p0), 1);
    assert_int_equal(sl_kv_open(t, "s", 1, &p1), 1);
    sl_bytes_t v;
    assert_int_equal(sl_kv_get(t, p0, B("k"), &v), 0);
    assert_int_equal(sl_kv_get(t, p1, B("k"), &v), 1);
    assert_true(beq(v, B("one")));
    assert_int_equal(sl_kv_count(t, p0), 0);
    assert_int_equal(sl_kv_count(t, p1), 2);
    sl_state_txn_abort(t);
    env_free(&f);
}

/* ==== a full map ========================================================================= */

static void map_full_is_an_error(void **state)
{
    (void)state;
    envfx_t f = env_new((size_t)256 << 10, 4); /* 256 KiB */
    sl_state_txn_t *t = begin(&f, 1);
    sl_kv_t *kv;
    assert_int_equal(sl_kv_open(t, "s", 0, &kv), 1);
    assert_int_equal(sl_kv_put(t, kv, B("first"), B("kept")), SL_OK);
    assert_int_equal(sl_state_meta_put_i64(t, "offset", 1), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    static uint8_t big[3000];
    memset(big, 0xab, sizeof big);
    t = begin(&f, 1);
    sl_err_t err = SL_OK;
    int i;
    for (i = 0; i < 1000 && err == SL_OK; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%04d", i);
        err = sl_kv_put(t, kv, B(k), BN(big, sizeof big));
    }
    assert_int_equal(err, SL_ERR_RANGE);
    assert_true(i > 10 && i < 1000);
    assert_int_equal(sl_state_txn_error(t), SL_ERR_RANGE);
    assert_int_equal(sl_state_meta_put_i64(t, "offset", 2), SL_ERR_RANGE);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_RANGE);

    /* The environment goes on: the last commit is intact, and after growing
     * the map the same batch fits. */
    t = begin(&f, 0);
    sl_bytes_t v;
    int64_t off;
    assert_int_equal(sl_kv_get(t, kv, B("first"), &v), 1);
    assert_true(beq(v, B("kept")));
    assert_int_equal(sl_kv_count(t, kv), 1);
    assert_int_equal(sl_state_meta_get_i64(t, "offset", &off), 1);
    assert_true(off == 1);
    sl_state_txn_abort(t);

    assert_int_equal(sl_state_env_set_map_size(f.env, (size_t)16 << 20), SL_OK);
    t = begin(&f, 1);
    for (int j = 0; j < i; j++) {
        char k[16];
        snprintf(k, sizeof k, "k%04d", j);
        assert_int_equal(sl_kv_put(t, kv, B(k), BN(big, sizeof big)), SL_OK);
    }
    assert_int_equal(sl_state_meta_put_i64(t, "offset", 2), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    t = begin(&f, 0);
    assert_int_equal(sl_kv_count(t, kv), i + 1);
    sl_state_txn_abort(t);
    env_free(&f);
}

/* Timestamped values: the 8-byte big-endian time, then the value; negative
 * times and empty values round-trip; a value shorter than the time is not one. */
static void timestamped_values(void **state)
{
    (void)state;
    uint8_t out[32];
    sl_bytes_t v = {(const uint8_t *)"abc", 3}, got;
    int64_t ts = 0;
    assert_int_equal(sl_state_ts_encode(out, 0x0102030405060708LL, v), SL_STATE_TS_LEN + 3);
    assert_memory_equal(out, "\1\2\3\4\5\6\7\10abc", 11);
    assert_int_equal(sl_state_ts_decode((sl_bytes_t){out, 11}, &ts, &got), 1);
    assert_int_equal(ts, 0x0102030405060708LL);
    assert_int_equal(got.len, 3);
    assert_memory_equal(got.data, "abc", 3);
    assert_int_equal(sl_state_ts_encode(out, -2, (sl_bytes_t){NULL, 0}), SL_STATE_TS_LEN);
    assert_int_equal(sl_state_ts_decode((sl_bytes_t){out, 8}, &ts, &got), 1);
    assert_int_equal(ts, -2);
    assert_int_equal(got.len, 0);
    assert_int_equal(sl_state_ts_decode((sl_bytes_t){out, 7}, NULL, &got), 0);
}

SL_TEST_GROUP(state,
              CONTRACT_SUITE(lmdb_opener),
              CONTRACT_SUITE(lmdb_neighbours_opener),
              cmocka_unit_test(env_open_errors),
              cmocka_unit_test(timestamped_values),
              cmocka_unit_test(env_directory_lock),
              cmocka_unit_test(store_names_and_handles),
              cmocka_unit_test(read_txn_is_a_snapshot),
              cmocka_unit_test(iterators_and_txn_end),
              cmocka_unit_test(errors_latch),
              cmocka_unit_test(window_key_encoding),
              cmocka_unit_test(window_fetch_order_and_ranges),
              cmocka_unit_test(window_delete_before),
              cmocka_unit_test(meta_offsets_atomic_with_state),
              cmocka_unit_test(partitions_are_independent),
              cmocka_unit_test(map_full_is_an_error))
