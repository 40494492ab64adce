/* test_session.c — session stores: the key encoding, put/get/delete,
 * findSessions with hand-worked overlaps and against a brute-force model,
 * order, negative and extreme times, retention, key limits, persistence and
 * latched errors. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- fixture ----------------------------------------------------------------------- */

typedef struct fx {
    char *dir;
    sl_state_env_t *env;
} fx_t;

static fx_t fx_new(void)
{
    fx_t f;
    char err[256] = "";
    f.dir = sl_test_mkdtemp();
    if (sl_state_env_open(f.dir, 0, 8, &f.env, err, sizeof err) != SL_OK)
        fail_msg("open %s: %s", f.dir, err);
    return f;
}

static void fx_reopen(fx_t *f)
{
    sl_state_env_close(f->env);
    assert_int_equal(sl_state_env_open(f->dir, 0, 8, &f->env, NULL, 0), SL_OK);
}

static void fx_free(fx_t *f)
{
    sl_state_env_close(f->env);
    sl_test_rmdir(f->dir);
}

static sl_state_txn_t *begin(fx_t *f, int write)
{
    sl_state_txn_t *t;
    assert_int_equal(sl_state_txn_begin(f->env, write, &t), SL_OK);
    return t;
}

/* A write transaction with the session store "sess" partition 0 open. */
static sl_state_txn_t *begin_sess(fx_t *f, sl_session_t **s)
{
    sl_state_txn_t *t = begin(f, 1);
    assert_int_equal(sl_session_open(t, "sess", 0, s), 1);
    return t;
}

/* The value put_s writes: "<key>[start,end]". */
static void val_of(char *out, size_t n, const char *k, int64_t start, int64_t end)
{
    snprintf(out, n, "%s[%lld,%lld]", k, (long long)start, (long long)end);
}

static void put_s(sl_state_txn_t *t, sl_session_t *s, const char *k, int64_t start, int64_t end)
{
    char v[96];
    val_of(v, sizeof v, k, start, end);
    assert_int_equal(sl_session_put(t, s, B(k), start, end, B(v)), SL_OK);
}

/* What an iterator returned (keys are text here; values checked as they come). */
typedef struct seen {
    size_t n;
    int64_t start[64], end[64];
} seen_t;

static seen_t drain(sl_state_iter_t *it, const char *want_key)
{
    seen_t s;
    memset(&s, 0, sizeof s);
    sl_bytes_t k, v;
    int64_t a, b;
    int r;
    while ((r = sl_session_iter_next(it, &k, &a, &b, &v)) == 1) {
        assert_true(s.n < 64);
        assert_true(beq(k, B(want_key)));
        char want[96];
        val_of(want, sizeof want, want_key, a, b);
        assert_true(beq(v, B(want)));
        s.start[s.n] = a;
        s.end[s.n++] = b;
    }
    assert_int_equal(r, 0);
    sl_state_iter_close(it);
    return s;
}

/* Runs find(key, earliest_end, latest_start) and checks it returns exactly
 * want (pairs of start, end), in order. */
static void want_find(sl_state_txn_t *t, sl_session_t *s, const char *key, int64_t earliest_end,
                      int64_t latest_start, const int64_t (*want)[2], size_t nwant)
{
    sl_state_iter_t *it;
    assert_int_equal(sl_session_find(t, s, B(key), earliest_end, latest_start, &it), SL_OK);
    seen_t got = drain(it, key);
    if (got.n != nwant)
        fail_msg("find(%s, %lld, %lld): %zu sessions, want %zu", key, (long long)earliest_end,
                 (long long)latest_start, got.n, nwant);
    for (size_t i = 0; i < nwant; i++)
        if (got.start[i] != want[i][0] || got.end[i] != want[i][1])
            fail_msg("find(%s, %lld, %lld) #%zu: [%lld,%lld], want [%lld,%lld]", key,
                     (long long)earliest_end, (long long)latest_start, i,
                     (long long)got.start[i], (long long)got.end[i], (long long)want[i][0],
                     (long long)want[i][1]);
}

#define WANT(...) ((const int64_t[][2]){__VA_ARGS__})
#define NWANT(...) (sizeof((const int64_t[][2]){__VA_ARGS__}) / sizeof(int64_t[2]))
#define FIND(t, s, key, ee, ls, ...) want_find(t, s, key, ee, ls, WANT(__VA_ARGS__), NWANT(__VA_ARGS__))
#define FIND_NONE(t, s, key, ee, ls) want_find(t, s, key, ee, ls, NULL, 0)

/* ---- the key encoding ------------------------------------------------------------------ */

static void session_key_encoding(void **state)
{
    (void)state;
    uint8_t out[32];
    /* key "ab", start -1, end 1: the key, then END, then start. */
    assert_int_equal(sl__session_key_encode(out, B("ab"), -1, 1), 18);
    const uint8_t want[] = {'a',  'b',  0x80, 0,    0,    0,    0,    0,    0,
                            1,    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(out, want, sizeof want);
    /* An empty key is the two times alone: INT64_MIN is all zero, INT64_MAX all ff. */
    assert_int_equal(sl__session_key_encode(out, BN(NULL, 0), INT64_MIN, INT64_MAX), 16);
    const uint8_t minmax[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                              0,    0,    0,    0,    0,    0,    0,    0};
    assert_memory_equal(out, minmax, sizeof minmax);
    /* 1700000000000 ms = 0x18BCFE56800, as the window encoding has it. */
    sl__session_key_encode(out, BN(NULL, 0), 0, 1700000000000LL);
    const uint8_t ts[] = {0x80, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,
                          0x80, 0,    0,    0,    0,    0,    0,    0};
    assert_memory_equal(out, ts, sizeof ts);

    /* Decoding inverts it; byte order is (end, start) order. */
    const int64_t ss[][2] = {{INT64_MIN, INT64_MIN}, {-5, -3}, {INT64_MIN, -1}, {-1, -1},
                             {-7, 0},               {0, 0},  {1, 1},          {-1, 2},
                             {0, 2},                {2, 2},  {0, INT64_MAX},  {INT64_MAX, INT64_MAX}};
    uint8_t prev[32];
    size_t prevn = 0;
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
        size_t n = sl__session_key_encode(out, B("k"), ss[i][0], ss[i][1]);
        assert_int_equal(n, 17);
        sl_bytes_t k;
        int64_t a, b;
        assert_int_equal(sl__session_key_decode(BN(out, n), &k, &a, &b), 1);
        assert_true(beq(k, B("k")));
        assert_true(a == ss[i][0] && b == ss[i][1]);
        if (i)
            assert_true(memcmp(prev, out, n) < 0);
        memcpy(prev, out, n);
        prevn = n;
    }
    (void)prevn;
    sl_bytes_t k;
    int64_t a, b;
    assert_int_equal(sl__session_key_decode(BN(out, 16), &k, &a, &b), 1);
    assert_int_equal(k.len, 0);
    assert_null(k.data);
    assert_int_equal(sl__session_key_decode(BN(out, 15), &k, &a, &b), 0);
}

/* ---- put, get, delete ------------------------------------------------------------------- */

static void session_put_get_delete(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s, *s2;
    sl_state_txn_t *t = begin_sess(&f, &s);
    assert_int_equal(sl_session_open(t, "sess", 0, &s2), 1);
    assert_ptr_equal(s, s2);
    sl_bytes_t v;
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 10, &v), 0);
    assert_int_equal(v.len, 0);

    assert_int_equal(sl_session_put(t, s, B("k"), 0, 10, B("agg1")), SL_OK);
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 10, &v), 1);
    assert_true(beq(v, B("agg1")));
    /* Only the exact bounds name the session. */
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 9, &v), 0);
    assert_int_equal(sl_session_get(t, s, B("k"), 1, 10, &v), 0);
    assert_int_equal(sl_session_get(t, s, B("k2"), 0, 10, &v), 0);
    assert_int_equal(sl_session_get(t, s, B(""), 0, 10, &v), 0);
    /* Overwrite; other sessions of the key are separate. */
    assert_int_equal(sl_session_put(t, s, B("k"), 0, 10, B("agg2")), SL_OK);
    assert_int_equal(sl_session_put(t, s, B("k"), 0, 11, B("other")), SL_OK);
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 10, &v), 1);
    assert_true(beq(v, B("agg2")));
    /* A one-instant session, an empty value, an empty key. */
    assert_int_equal(sl_session_put(t, s, B("k"), 5, 5, BN(NULL, 0)), SL_OK);
    assert_int_equal(sl_session_get(t, s, B("k"), 5, 5, &v), 1);
    assert_int_equal(v.len, 0);
    assert_int_equal(sl_session_put(t, s, B(""), -3, 3, B("nokey")), SL_OK);
    assert_int_equal(sl_session_get(t, s, B(""), -3, 3, &v), 1);
    assert_true(beq(v, B("nokey")));
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_delete(t, s, B("k"), 0, 10), 1);
    assert_int_equal(sl_session_delete(t, s, B("k"), 0, 10), 0);
    assert_int_equal(sl_session_delete(t, s, B("k"), 0, 12), 0);
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 10, &v), 0);
    assert_int_equal(sl_session_get(t, s, B("k"), 0, 11, &v), 1);
    /* end < start: no such session can exist, so reads and deletes miss... */
    assert_int_equal(sl_session_get(t, s, B("k"), 11, 0, &v), 0);
    assert_int_equal(sl_session_delete(t, s, B("k"), 11, 0), 0);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    /* ...and a put is refused, spoiling its transaction. */
    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_put(t, s, B("k"), 11, 0, B("bad")), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_INVAL);

    t = begin(&f, 0);
    sl_state_iter_t *it;
    assert_int_equal(sl_session_fetch(t, s, B("k"), &it), SL_OK);
    sl_bytes_t k;
    int64_t a, b;
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 1);
    assert_true(beq(k, B("k")) && a == 5 && b == 5 && v.len == 0);
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 1);
    assert_true(beq(k, B("k")) && a == 0 && b == 11 && beq(v, B("other")));
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 0);
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 0);
    sl_state_iter_close(it);
    /* Read-only: writes are refused. */
    assert_int_equal(sl_session_delete(t, s, B("k"), 5, 5), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- findSessions, worked by hand ---------------------------------------------------------- */

static void session_find_overlaps(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    /* Key "u", by end then start:
     *   [-20,-10]  [5,5]  [0,10] [8,10]  [12,20]  [30,40]  [15,50]      */
    const int64_t u[][2] = {{12, 20}, {0, 10}, {30, 40}, {-20, -10}, {15, 50}, {5, 5}, {8, 10}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        put_s(t, s, "u", u[i][0], u[i][1]);
    /* Neighbours whose stored keys sort among u's: "u\x80"'s next byte is
     * the high byte of a non-negative end, "u\x7f"'s of a negative one,
     * "u\x01"'s of a hugely negative one; and keys either side, and "". */
    const char *nb[] = {"u\x80", "u\x7f", "u\x01", "t", "v", ""};
    for (size_t i = 0; i < sizeof nb / sizeof nb[0]; i++) {
        put_s(t, s, nb[i], 0, 10);
        put_s(t, s, nb[i], -15, -12);
        put_s(t, s, nb[i], 14, 60);
    }
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    /* Everything, in order of end then start (same end: start order). */
    FIND(t, s, "u", INT64_MIN, INT64_MAX, {-20, -10}, {5, 5}, {0, 10}, {8, 10}, {12, 20},
         {30, 40}, {15, 50});
    sl_state_iter_t *it;
    assert_int_equal(sl_session_fetch(t, s, B("u"), &it), SL_OK);
    assert_int_equal(drain(it, "u").n, 7);
    /* end >= 10 and start <= 20: [30,40] starts too late, [5,5] ends too early. */
    FIND(t, s, "u", 10, 20, {0, 10}, {8, 10}, {12, 20}, {15, 50});
    /* Between sessions: [0,10] ends at 10, [12,20] starts at 12. */
    FIND_NONE(t, s, "u", 11, 11);
    /* Both bounds inclusive: touching an end or a start counts. */
    FIND(t, s, "u", 10, 10, {0, 10}, {8, 10});
    FIND(t, s, "u", 12, 12, {12, 20});
    FIND(t, s, "u", 5, 5, {5, 5}, {0, 10});
    /* A session merger with gap 5 and a record at 23: find(u, 18, 28). */
    FIND(t, s, "u", 18, 28, {12, 20}, {15, 50});
    /* earliest_end > latest_start: the sessions that cover all of [14, 25]
     * (start <= 14, end >= 25): none; of [15, 25]: [15,50]. */
    FIND_NONE(t, s, "u", 25, 14);
    FIND(t, s, "u", 25, 15, {15, 50});
    /* Overlapping [-9, 0]: only [0,10], which touches it at 0. */
    FIND(t, s, "u", -9, 0, {0, 10});
    FIND_NONE(t, s, "u", 0, -9);
    FIND(t, s, "u", -10, -10, {-20, -10});
    FIND(t, s, "u", -10, 0, {-20, -10}, {0, 10});
    FIND(t, s, "u", 50, INT64_MAX, {15, 50});
    FIND_NONE(t, s, "u", 51, INT64_MAX);
    FIND(t, s, "u", INT64_MIN, -20, {-20, -10});
    FIND_NONE(t, s, "u", INT64_MIN, -21);
    /* The neighbours are there, and none showed through above. */
    for (size_t i = 0; i < sizeof nb / sizeof nb[0]; i++) {
        FIND(t, s, nb[i], INT64_MIN, INT64_MAX, {-15, -12}, {0, 10}, {14, 60});
        FIND_NONE(t, s, nb[i], 11, 13);
        FIND(t, s, nb[i], 11, 14, {14, 60});
        FIND(t, s, nb[i], -12, 0, {-15, -12}, {0, 10});
    }
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- order and extreme times ------------------------------------------------------------------ */

static void session_order_negative_and_extreme_times(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    const int64_t in[][2] = {{INT64_MAX, INT64_MAX}, {-1, 0},    {INT64_MIN, -5}, {0, INT64_MAX},
                             {-100, -50},            {-1, -1},   {INT64_MIN, INT64_MAX},
                             {INT64_MIN, INT64_MIN}, {-3, 1700000000000LL}};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        put_s(t, s, "k", in[i][0], in[i][1]);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    /* By end (negative ends first), then start. */
    FIND(t, s, "k", INT64_MIN, INT64_MAX, {INT64_MIN, INT64_MIN}, {-100, -50}, {INT64_MIN, -5},
         {-1, -1}, {-1, 0}, {-3, 1700000000000LL}, {INT64_MIN, INT64_MAX}, {0, INT64_MAX},
         {INT64_MAX, INT64_MAX});
    FIND(t, s, "k", -1, -1, {-1, -1}, {-1, 0}, {-3, 1700000000000LL}, {INT64_MIN, INT64_MAX});
    FIND(t, s, "k", INT64_MAX, INT64_MAX, {INT64_MIN, INT64_MAX}, {0, INT64_MAX},
         {INT64_MAX, INT64_MAX});
    FIND(t, s, "k", INT64_MIN, INT64_MIN, {INT64_MIN, INT64_MIN}, {INT64_MIN, -5},
         {INT64_MIN, INT64_MAX});
    /* end >= -49 and start <= -4: not [-100,-50] (ends too early), not [-1,-1],
     * [-1,0] or [-3,..] (start too late). */
    FIND(t, s, "k", -49, -4, {INT64_MIN, -5}, {INT64_MIN, INT64_MAX});
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- findSessions against a brute-force model ---------------------------------------------------- */

typedef struct msess {
    uint8_t k[2], klen;
    int64_t start, end;
    uint32_t val;
} msess_t;

typedef struct smodel {
    size_t n;
    msess_t e[1024];
} smodel_t;

static int msess_same(const msess_t *a, const uint8_t *k, size_t klen, int64_t start, int64_t end)
{
    return a->klen == klen && (klen == 0 || memcmp(a->k, k, klen) == 0) && a->start == start &&
           a->end == end;
}

static int msess_order(const void *pa, const void *pb)
{
    const msess_t *a = pa, *b = pb;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return a->start < b->start ? -1 : a->start > b->start;
}

static int64_t rand_time(uint64_t *seed)
{
    uint64_t r = sl_test_rand(seed) % 30;
    if (r == 0)
        return INT64_MIN;
    if (r == 1)
        return INT64_MAX;
    return (int64_t)(r % 13) - 6; /* -6 .. 6 */
}

/* Checks find(key, ee, ls) against the model. */
static void model_find_check(sl_state_txn_t *t, sl_session_t *s, const smodel_t *m,
                             const uint8_t *k, size_t klen, int64_t ee, int64_t ls)
{
    static msess_t want[1024];
    size_t nw = 0;
    for (size_t i = 0; i < m->n; i++) {
        const msess_t *e = &m->e[i];
        if (e->klen == klen && (klen == 0 || memcmp(e->k, k, klen) == 0) && e->end >= ee &&
            e->start <= ls)
            want[nw++] = *e;
    }
    qsort(want, nw, sizeof want[0], msess_order);
    sl_state_iter_t *it;
    assert_int_equal(sl_session_find(t, s, BN(k, klen), ee, ls, &it), SL_OK);
    sl_bytes_t gk, gv;
    int64_t a, b;
    size_t i = 0;
    int r;
    while ((r = sl_session_iter_next(it, &gk, &a, &b, &gv)) == 1) {
        assert_true(i < nw);
        assert_true(beq(gk, BN(k, klen)));
        assert_true(a == want[i].start && b == want[i].end);
        assert_true(beq(gv, BN(&want[i].val, sizeof want[i].val)));
        i++;
    }
    assert_int_equal(r, 0);
    assert_int_equal(i, nw);
    sl_state_iter_close(it);
}

static void session_random_workload_against_model(void **state)
{
    (void)state;
    static smodel_t m, committed; /* large: off the stack */
    memset(&m, 0, sizeof m);
    memset(&committed, 0, sizeof committed);
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    uint64_t seed = 0x5e55;
    /* Keys of 0..2 bytes whose next byte falls among encoded times' high bytes. */
    const uint8_t alpha[] = {0x00, 0x7f, 0x80, 0xff, 'a'};
    uint32_t counter = 0;
    for (int op = 0; op < 8000; op++) {
        uint8_t k[2];
        size_t klen = sl_test_rand(&seed) % 3;
        for (size_t i = 0; i < klen; i++)
            k[i] = alpha[sl_test_rand(&seed) % sizeof alpha];
        int64_t a = rand_time(&seed), b = rand_time(&seed);
        unsigned r = (unsigned)(sl_test_rand(&seed) % 100);
        if (r < 55) {
            int64_t start = a < b ? a : b, end = a < b ? b : a;
            size_t at = 0;
            while (at < m.n && !msess_same(&m.e[at], k, klen, start, end))
                at++;
            if (r < 40) { /* put */
                if (at == m.n) {
                    if (m.n == sizeof m.e / sizeof m.e[0])
                        continue;
                    m.n++;
                    memcpy(m.e[at].k, k, klen);
                    m.e[at].klen = (uint8_t)klen;
                    m.e[at].start = start;
                    m.e[at].end = end;
                }
                m.e[at].val = ++counter;
                assert_int_equal(sl_session_put(t, s, BN(k, klen), start, end,
                                                BN(&m.e[at].val, sizeof m.e[at].val)),
                                 SL_OK);
            } else { /* delete, or get */
                sl_bytes_t v;
                if (r < 48) {
                    assert_int_equal(sl_session_delete(t, s, BN(k, klen), start, end), at < m.n);
                    if (at < m.n)
                        m.e[at] = m.e[--m.n];
                } else {
                    assert_int_equal(sl_session_get(t, s, BN(k, klen), start, end, &v), at < m.n);
                    if (at < m.n)
                        assert_true(beq(v, BN(&m.e[at].val, sizeof m.e[at].val)));
                }
            }
        } else if (r < 93) {
            model_find_check(t, s, &m, k, klen, a, b); /* a > b too */
        } else if (r < 94) {
            int64_t cut = (int64_t)(sl_test_rand(&seed) % 7) - 6; /* -6 .. 0 */
            int64_t removed, want = 0;
            for (size_t i = 0; i < m.n;) {
                if (m.e[i].end < cut) {
                    m.e[i] = m.e[--m.n];
                    want++;
                } else {
                    i++;
                }
            }
            assert_int_equal(sl_session_delete_before(t, s, cut, &removed), SL_OK);
            assert_true(removed == want);
        } else if (r < 98) {
            assert_int_equal(sl_state_txn_commit(t), SL_OK);
            committed = m;
            t = begin_sess(&f, &s);
        } else {
            sl_state_txn_abort(t);
            m = committed;
            t = begin_sess(&f, &s);
        }
    }
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    assert_true(m.n > 100);
    /* After a reopen, every key's sessions are as the model has them. */
    fx_reopen(&f);
    t = begin_sess(&f, &s);
    for (size_t i = 0; i < sizeof alpha; i++) {
        model_find_check(t, s, &m, NULL, 0, INT64_MIN, INT64_MAX);
        model_find_check(t, s, &m, alpha + i, 1, INT64_MIN, INT64_MAX);
        for (size_t j = 0; j < sizeof alpha; j++) {
            uint8_t k2[2] = {alpha[i], alpha[j]};
            model_find_check(t, s, &m, k2, 2, INT64_MIN, INT64_MAX);
            model_find_check(t, s, &m, k2, 2, -2, 2);
        }
    }
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- writes while finding: the merger's pattern ---------------------------------------------------- */

static void session_merge_while_iterating(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    /* Enough sessions to span pages, so deletes move the tree under the cursor. */
    for (int i = 0; i < 400; i++)
        put_s(t, s, "m", i * 10, i * 10 + 5);
    put_s(t, s, "n", 0, 100000);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* A record at 1002 with gap 1000 merges every session of "m" that
     * overlaps [2, 2002]: [0,5] .. [2000,2005]; each is deleted as it is
     * found, and the merged session is put once the scan ends. */
    t = begin_sess(&f, &s);
    sl_state_iter_t *it;
    assert_int_equal(sl_session_find(t, s, B("m"), 2, 2002, &it), SL_OK);
    sl_bytes_t k, v;
    int64_t a, b, lo = INT64_MAX, hi = INT64_MIN;
    int n = 0, r;
    while ((r = sl_session_iter_next(it, &k, &a, &b, &v)) == 1) {
        assert_true(a == (int64_t)n * 10 && b == a + 5);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
        assert_int_equal(sl_session_delete(t, s, B("m"), a, b), 1);
        n++;
    }
    assert_int_equal(r, 0);
    sl_state_iter_close(it);
    assert_int_equal(n, 201);
    assert_true(lo == 0 && hi == 2005);
    put_s(t, s, "m", lo, hi);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    assert_int_equal(sl_session_fetch(t, s, B("m"), &it), SL_OK);
    n = 0;
    while ((r = sl_session_iter_next(it, &k, &a, &b, &v)) == 1)
        n++;
    assert_int_equal(r, 0);
    sl_state_iter_close(it);
    assert_int_equal(n, 1 + 199); /* the merged one, then [2010,2015] .. [3990,3995] */
    FIND(t, s, "m", 0, 2015, {0, 2005}, {2010, 2015});
    FIND(t, s, "m", INT64_MIN, 2000, {0, 2005});
    FIND(t, s, "n", 5, 5, {0, 100000});
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- retention ------------------------------------------------------------------------------------ */

static void session_delete_before(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    /* 200 keys x 20 sessions ending at -10000 .. 9000; session i of a key
     * starts 500 before its end, except every key's last, which is long. */
    for (int key = 0; key < 200; key++) {
        char kb[16];
        snprintf(kb, sizeof kb, "u%d", key);
        for (int i = 0; i < 20; i++) {
            int64_t end = (int64_t)(i - 10) * 1000;
            put_s(t, s, kb, i == 19 ? -20000 : end - 500, end);
        }
    }
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin_sess(&f, &s);
    int64_t removed;
    /* By end, not start: end < -5000 goes (-10000 .. -6000: 5 per key). */
    assert_int_equal(sl_session_delete_before(t, s, -5000, &removed), SL_OK);
    assert_int_equal(removed, 200 * 5);
    assert_int_equal(sl_session_delete_before(t, s, -5000, &removed), SL_OK);
    assert_int_equal(removed, 0);
    /* -5000 itself stays: end < t only. */
    sl_bytes_t v;
    assert_int_equal(sl_session_get(t, s, B("u7"), -5500, -5000, &v), 1);
    assert_int_equal(sl_session_delete_before(t, s, 0, NULL), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    t = begin(&f, 0);
    /* The long session [-20000, 9000] outlives every short one it began before. */
    FIND(t, s, "u7", INT64_MIN, INT64_MAX, {-500, 0}, {500, 1000}, {1500, 2000}, {2500, 3000},
         {3500, 4000}, {4500, 5000}, {5500, 6000}, {6500, 7000}, {7500, 8000}, {-20000, 9000});
    sl_state_txn_abort(t);

    /* Retention undone by an abort; everything goes at INT64_MAX. */
    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_delete_before(t, s, INT64_MAX, &removed), SL_OK);
    assert_int_equal(removed, 200 * 10);
    FIND_NONE(t, s, "u7", INT64_MIN, INT64_MAX);
    sl_state_txn_abort(t);
    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_delete_before(t, s, INT64_MIN, &removed), SL_OK);
    assert_int_equal(removed, 0);
    FIND(t, s, "u199", 9000, INT64_MAX, {-20000, 9000});
    /* Read-only transactions cannot expire anything. */
    sl_state_txn_abort(t);
    t = begin(&f, 0);
    assert_int_equal(sl_session_delete_before(t, s, 0, &removed), SL_ERR_INVAL);
    assert_int_equal(removed, 0);
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- key limits --------------------------------------------------------------------------------------- */

static void session_key_length_limit(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    static uint8_t big[SL_STATE_MAX_KEY + 1];
    memset(big, 'k', sizeof big);
    const size_t max = SL_STATE_MAX_KEY - 16;
    sl_state_txn_t *t = begin_sess(&f, &s);
    assert_int_equal(sl_session_put(t, s, BN(big, max), -1, 1, B("longest")), SL_OK);
    assert_int_equal(sl_session_put(t, s, BN(big, max - 1), 0, 0, B("one shorter")), SL_OK);
    sl_bytes_t v;
    assert_int_equal(sl_session_get(t, s, BN(big, max), -1, 1, &v), 1);
    assert_true(beq(v, B("longest")));
    sl_state_iter_t *it;
    assert_int_equal(sl_session_fetch(t, s, BN(big, max), &it), SL_OK);
    sl_bytes_t k;
    int64_t a, b;
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 1);
    assert_true(beq(k, BN(big, max)) && a == -1 && b == 1);
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 0);
    sl_state_iter_close(it);
    /* The key one shorter is a prefix of it: its range holds the longest
     * key's sessions, which its fetch skips. */
    assert_int_equal(sl_session_fetch(t, s, BN(big, max - 1), &it), SL_OK);
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 1);
    assert_true(beq(k, BN(big, max - 1)) && a == 0 && b == 0 && beq(v, B("one shorter")));
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 0);
    sl_state_iter_close(it);
    /* Reads and deletes of a key too long miss. */
    assert_int_equal(sl_session_get(t, s, BN(big, max + 1), -1, 1, &v), 0);
    assert_int_equal(sl_session_delete(t, s, BN(big, max + 1), -1, 1), 0);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* A put or a find of one is refused, and spoils its transaction. */
    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_put(t, s, BN(big, max + 1), 0, 0, B("no")), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_INVAL);
    t = begin(&f, 0);
    it = (sl_state_iter_t *)1;
    assert_int_equal(sl_session_find(t, s, BN(big, max + 1), 0, 0, &it), SL_ERR_INVAL);
    assert_null(it);
    assert_int_equal(sl_state_txn_error(t), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    t = begin(&f, 0);
    assert_int_equal(sl_session_fetch(t, s, BN(big, SL_STATE_MAX_KEY + 1), &it), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- persistence ----------------------------------------------------------------------------------- */

static void session_persists_across_reopen(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    put_s(t, s, "kept", -5, 5);
    put_s(t, s, "kept", 100, 200);
    sl_session_t *p1;
    assert_int_equal(sl_session_open(t, "sess", 1, &p1), 1);
    assert_ptr_not_equal(s, p1);
    put_s(t, p1, "kept", 1, 2); /* another partition */
    assert_int_equal(sl_state_meta_put_i64(t, "in/t/0", 42), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    t = begin_sess(&f, &s);
    put_s(t, s, "lost", 0, 0);
    assert_int_equal(sl_session_delete(t, s, B("kept"), -5, 5), 1);
    assert_int_equal(sl_state_meta_put_i64(t, "in/t/0", 43), SL_OK);
    sl_state_txn_abort(t);
    t = begin_sess(&f, &s);
    put_s(t, s, "uncommitted", 0, 0);
    sl_state_txn_abort(t);

    fx_reopen(&f);
    t = begin(&f, 0);
    /* A reader after a restart cannot see a store no writer has opened yet. */
    assert_int_equal(sl_session_open(t, "sess", 0, &s), 0);
    assert_null(s);
    sl_state_txn_abort(t);
    t = begin_sess(&f, &s);
    assert_int_equal(sl_session_open(t, "sess", 1, &p1), 1);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);
    t = begin(&f, 0);
    FIND(t, s, "kept", INT64_MIN, INT64_MAX, {-5, 5}, {100, 200});
    FIND(t, p1, "kept", INT64_MIN, INT64_MAX, {1, 2});
    FIND_NONE(t, s, "lost", INT64_MIN, INT64_MAX);
    FIND_NONE(t, s, "uncommitted", INT64_MIN, INT64_MAX);
    int64_t off;
    assert_int_equal(sl_state_meta_get_i64(t, "in/t/0", &off), 1);
    assert_true(off == 42);
    sl_state_txn_abort(t);
    fx_free(&f);
}

/* ---- errors ---------------------------------------------------------------------------------------- */

static void session_errors_latch(void **state)
{
    (void)state;
    fx_t f = fx_new();
    sl_session_t *s;
    sl_state_txn_t *t = begin_sess(&f, &s);
    put_s(t, s, "a", 0, 1);
    sl_kv_t *kv;
    sl_window_t *w;
    assert_int_equal(sl_kv_open(t, "kv", 0, &kv), 1);
    assert_int_equal(sl_window_open(t, "win", 0, &w), 1);
    assert_int_equal(sl_kv_put(t, kv, B("k"), B("v")), SL_OK);
    assert_int_equal(sl_state_txn_commit(t), SL_OK);

    /* One name, one kind: each mismatch is SL_ERR_STATE, latched. */
    sl_session_t *s2 = (sl_session_t *)1;
    t = begin(&f, 1);
    assert_int_equal(sl_session_open(t, "kv", 0, &s2), SL_ERR_STATE);
    assert_null(s2);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_STATE);
    t = begin(&f, 1);
    assert_int_equal(sl_session_open(t, "win", 0, &s2), SL_ERR_STATE);
    sl_state_txn_abort(t);
    t = begin(&f, 1);
    assert_int_equal(sl_kv_open(t, "sess", 0, &kv), SL_ERR_STATE);
    sl_state_txn_abort(t);
    t = begin(&f, 1);
    assert_int_equal(sl_window_open(t, "sess", 0, &w), SL_ERR_STATE);
    sl_state_txn_abort(t);
    t = begin(&f, 1);
    assert_int_equal(sl_session_open(t, "", 0, &s2), SL_ERR_INVAL);
    sl_state_txn_abort(t);
    t = begin(&f, 1);
    assert_int_equal(sl_session_open(t, "sess", -1, &s2), SL_ERR_INVAL);
    sl_state_txn_abort(t);

    /* After an error, every operation returns it and the commit keeps nothing. */
    t = begin_sess(&f, &s);
    assert_int_equal(sl_kv_open(t, "kv", 0, &kv), 1);
    put_s(t, s, "b", 0, 1);
    assert_int_equal(sl_session_put(t, s, B("c"), 1, 0, B("ends before it starts")), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_error(t), SL_ERR_INVAL);
    assert_int_not_equal(sl_state_txn_mdb_error(t), 0);
    sl_bytes_t v;
    assert_int_equal(sl_session_put(t, s, B("d"), 0, 1, B("x")), SL_ERR_INVAL);
    assert_int_equal(sl_session_get(t, s, B("a"), 0, 1, &v), SL_ERR_INVAL);
    assert_int_equal(v.len, 0);
    assert_int_equal(sl_session_delete(t, s, B("a"), 0, 1), SL_ERR_INVAL);
    sl_state_iter_t *it = (sl_state_iter_t *)1;
    assert_int_equal(sl_session_find(t, s, B("a"), 0, 1, &it), SL_ERR_INVAL);
    assert_null(it);
    assert_int_equal(sl_session_fetch(t, s, B("a"), &it), SL_ERR_INVAL);
    assert_null(it);
    int64_t removed = 7;
    assert_int_equal(sl_session_delete_before(t, s, INT64_MAX, &removed), SL_ERR_INVAL);
    assert_int_equal(removed, 0);
    assert_int_equal(sl_session_open(t, "sess", 0, &s2), SL_ERR_INVAL);
    assert_int_equal(sl_state_txn_commit(t), SL_ERR_INVAL);

    t = begin(&f, 0);
    assert_int_equal(sl_session_get(t, s, B("a"), 0, 1, &v), 1);
    assert_int_equal(sl_session_get(t, s, B("b"), 0, 1, &v), 0);
    /* An iterator that goes bad mid-way returns the error; and a key-value
     * iterator is not a session iterator. */
    assert_int_equal(sl_session_fetch(t, s, B("a"), &it), SL_OK);
    sl_state_iter_t *kit;
    assert_int_equal(sl_kv_range(t, kv, NULL, NULL, &kit), SL_OK);
    sl_bytes_t k;
    int64_t a, b;
    assert_int_equal(sl_session_iter_next(kit, &k, &a, &b, &v), SL_ERR_STATE);
    assert_int_equal(sl_state_txn_error(t), SL_ERR_STATE);
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), SL_ERR_STATE);
    assert_int_equal(k.len, 0);
    assert_int_equal(v.len, 0);
    sl_state_iter_close(kit);
    sl_state_txn_abort(t);
    /* Once the transaction ended, the iterator just ends. */
    assert_int_equal(sl_session_iter_next(it, &k, &a, &b, &v), 0);
    sl_state_iter_close(it);
    fx_free(&f);
}

SL_TEST_GROUP(session,
              cmocka_unit_test(session_key_encoding),
              cmocka_unit_test(session_put_get_delete),
              cmocka_unit_test(session_find_overlaps),
              cmocka_unit_test(session_order_negative_and_extreme_times),
              cmocka_unit_test(session_random_workload_against_model),
              cmocka_unit_test(session_merge_while_iterating),
              cmocka_unit_test(session_delete_before),
              cmocka_unit_test(session_key_length_limit),
              cmocka_unit_test(session_persists_across_reopen),
              cmocka_unit_test(session_errors_latch))
