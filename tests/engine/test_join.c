/* test_join.c — joins through the test driver: Kafka Streams' hand-worked
 * join tables (developer guide, "Joining") for stream-stream, stream-table
 * and table-table joins, stream-global-table joins, foreign-key joins, and
 * the details around them (null keys, repartitioning, windows, getters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

#include "engine/join_int.h"
#include "testutil.h"

static sl_test_driver_t *driver(sl_topology_t *t, const sl_config_t *cfg)
{
    char err[512];
    sl_test_driver_t *d = NULL;
    assert_null(sl_topology_error(t));
    sl_err_t rc = sl_test_driver_new(t, cfg, 0, &d, err, sizeof err);
    if (rc)
        fail_msg("driver: %s (%s)", err, sl_err_name(rc));
    return d;
}

static void pipe_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                     int64_t ts)
{
    sl_err_t rc =
        sl_test_driver_pipe_obj(d, topic, &sl_serde_string, k, &sl_serde_string, v, ts);
    if (rc)
        fail_msg("pipe %s: %s (%s)", topic, sl_err_name(rc), sl_test_driver_last_error(d));
}

/* Reads one string record and checks it (ts < 0: any time). */
static void expect_str(sl_test_driver_t *d, const char *topic, const char *k, const char *v,
                       int64_t ts)
{
    const void *ko, *vo;
    int64_t t;
    int rc = sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_string, &vo, &t);
    if (rc != 1)
        fail_msg("%s: expected (%s, %s), got rc %d", topic, k ? k : "null", v ? v : "null", rc);
    if (k)
        assert_string_equal(ko, k);
    else
        assert_null(ko);
    if (v && !vo)
        fail_msg("%s: expected (%s, %s), got a tombstone", topic, k ? k : "null", v);
    if (v)
        assert_string_equal(vo, v);
    else if (vo)
        fail_msg("%s: expected (%s, null), got %s", topic, k ? k : "null", (const char *)vo);
    if (ts >= 0)
        assert_int_equal(t, ts);
}

static void expect_none(sl_test_driver_t *d, const char *topic)
{
    size_t n = sl_test_driver_queued(d, topic);
    if (n) {
        const void *ko, *vo;
        sl_test_driver_read_obj(d, topic, &sl_serde_string, &ko, &sl_serde_string, &vo, NULL);
        fail_msg("%s: %zu unexpected records, the first (%s, %s)", topic, n,
                 ko ? (const char *)ko : "null", vo ? (const char *)vo : "null");
    }
}

/* The docs' notation: "[left, right]", null for a missing side. */
static const void *bracket(void *arg, sl_ctx_t *ctx, const void *k, const void *l, const void *r)
{
    if (arg)
        (*(int *)arg)++;
    const char *ls = l ? l : "null", *rs = r ? r : "null";
    size_t n = strlen(ls) + strlen(rs) + 5;
    char *s = sl_ctx_alloc(ctx, n);
    snprintf(s, n, "[%s, %s]", ls, rs);
    return s;
}

static const sl_consumed_t strings = {.key_serde = &sl_serde_string,
                                      .value_serde = &sl_serde_string};

static sl_config_t *config(const char *app, const char *cache)
{
    sl_config_t *cfg = sl_config_new();
    assert_int_equal(sl_config_set(cfg, "application.id", app, NULL, 0), SL_OK);
    if (cache)
        assert_int_equal(sl_config_set(cfg, "cache.max.bytes.buffering", cache, NULL, 0), SL_OK);
    return cfg;
}

/* A row of a docs table: a record for one side at ts (value NULL: null), and
 * the results expected right after it, in order, all of one key "k". */
typedef struct row {
    int64_t ts;
    int right; /* 0: the left input, 1: the right */
    const char *value;
    const char *out[4]; /* values; "-" is a tombstone (null value) */
    int64_t out_ts[4];  /* 0: the row's ts */
} row_t;

static void run_rows(sl_test_driver_t *d, const char *lt, const char *rt, const row_t *rows,
                     size_t n, const char *out)
{
    for (size_t i = 0; i < n; i++) {
        const row_t *r = &rows[i];
        pipe_str(d, r->right ? rt : lt, "k", r->value, r->ts);
        for (int j = 0; j < 4 && r->out[j]; j++) {
            const char *v = strcmp(r->out[j], "-") ? r->out[j] : NULL;
            expect_str(d, out, "k", v, r->out_ts[j] ? r->out_ts[j] : r->ts);
        }
        if (sl_test_driver_queued(d, out))
            fail_msg("row at %lld: unexpected output", (long long)r->ts);
    }
}

/* ---- stream-stream joins: the docs' table -------------------------------------------------------
 * The docs' table assumes a 15 ms window (before = after) with 5 ms grace and
 * shows [E, null] at 60 for E at 40: a window closing at 40 + 15 + 5 = 60
 * inclusive. Kafka's code emits when stream time passes the close strictly
 * (KStreamKStreamJoin: minTime + after + grace < streamTime), so with 5 ms
 * grace [E, null] comes one record later; with 4 ms the table holds row for
 * row. test_stream_stream_grace_boundary shows the 5 ms case. */

#define SS_ROWS(E_NULL, F_NULL, NULL_F)                                                        \
    {1, 0, NULL, {0}, {0}}, {2, 1, NULL, {0}, {0}}, {3, 0, "A", {0}, {0}},                     \
        {4, 1, "a", {"[A, a]"}, {0}}, {5, 0, "B", {"[B, a]"}, {0}},                            \
        {6, 1, "b", {"[A, b]", "[B, b]"}, {0}}, {7, 0, NULL, {0}, {0}},                        \
        {8, 1, NULL, {0}, {0}}, {9, 0, "C", {"[C, a]", "[C, b]"}, {0}},                        \
        {10, 1, "c", {"[A, c]", "[B, c]", "[C, c]"}, {0}}, {11, 1, NULL, {0}, {0}},            \
        {12, 0, NULL, {0}, {0}}, {13, 1, NULL, {0}, {0}},                                      \
        {14, 1, "d", {"[A, d]", "[B, d]", "[C, d]"}, {0}},                                     \
        {15, 0, "D", {"[D, a]", "[D, b]", "[D, c]", "[D, d]"}, {0}}, {40, 0, "E", {0}, {0}},   \
        {60, 0, "F", {E_NULL}, {40}}, {80, 1, "f", {F_NULL}, {60}}, {100, 0, "G", {NULL_F}, {80}}

static const row_t ss_inner[] = {SS_ROWS(NULL, NULL, NULL)};
static const row_t ss_left[] = {SS_ROWS("[E, null]", "[F, null]", NULL)};
static const row_t ss_outer[] = {SS_ROWS("[E, null]", "[F, null]", "[null, f]")};

typedef sl_kstream_t *(*ss_join_fn)(sl_kstream_t *, sl_kstream_t *, sl_value_joiner_fn, void *,
                                    const sl_join_windows_t *, const sl_joined_t *);

static void stream_stream_table(ss_join_fn join, const row_t *rows, size_t n)
{
    sl_topology_t *t = sl_topology_new();
    sl_kstream_t *l = sl_stream(t, (const char *[]){"left"}, 1, &strings);
    sl_kstream_t *r = sl_stream(t, (const char *[]){"right"}, 1, &strings);
    sl_join_windows_t w = {.before_ms = 15, .after_ms = 15, .grace_ms = 4};
    sl_joined_t j = {.name = "j"};
    sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    assert_int_equal(sl_kstream_to(join(l, r, bracket, NULL, &w, &j), "out", &p), 0);
    sl_test_driver_t *d = driver(t, NULL);
    run_rows(d, "left", "right", rows, n, "out");
    /* The records with null values were skipped and counted. */
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 7);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

static void test_stream_stream_inner(void **state)
{
    stream_stream_table(sl_kstream_join, ss_inner, sizeof ss_inner / sizeof ss_inner[0]);
}

static void test_stream_stream_left(void **state)
{
    stream_stream_table(sl_kstream_left_join, ss_left, sizeof ss_left / sizeof ss_left[0]);
}

static void test_stream_stream_outer(void **state)
{
    stream_stream_table(sl_kstream_outer_join, ss_outer, sizeof ss_outer / sizeof ss_outer[0]);
}

/* Eager (Kafka before 3.1, the docs' older table): an unmatched record is
 * emitted with null when it comes, and joins partners that come later. */
static const row_t ss_left_eager[] = {
    {1, 0, NULL, {0}, {0}}, {2, 1, NULL, {0}, {0}}, {3, 0, "A", {"[A, null]"}, {0}},
    {4, 1, "a", {"[A, a]"}, {0}}, {5, 0, "B", {"[B, a]"}, {0}},
    {6, 1, "b", {"[A, b]", "[B, b]"}, {0}}, {9, 0, "C", {"[C, a]", "[C, b]"}, {0}},
    {40, 0, "E", {"[E, null]"}, {0}}, {60, 0, "F", {"[F, null]"}, {0}}, {80, 1, "f", {0}, {0}},
    {100, 0, "G", {"[G, null]"}, {0}}};
static const row_t ss_outer_eager[] = {
    {1, 0, NULL, {0}, {0}}, {2, 1, NULL, {0}, {0}}, {3, 0, "A", {"[A, null]"}, {0}},
    {4, 1, "a", {"[A, a]"}, {0}}, {5, 0, "B", {"[B, a]"}, {0}},
    {6, 1, "b", {"[A, b]", "[B, b]"}, {0}}, {9, 0, "C", {"[C, a]", "[C, b]"}, {0}},
    {40, 0, "E", {"[E, null]"}, {0}}, {60, 0, "F", {"[F, null]"}, {0}},
    {80, 1, "f", {"[null, f]"}, {0}}, {100, 0, "G", {"[G, null]"}, {0}}};

static void stream_stream_eager(ss_join_fn join, const row_t *rows, size_t n)
{
    sl_topology_t *t = sl_topology_new();
    sl_kstream_t *l = sl_stream(t, (const char *[]){"left"}, 1, &strings);
    sl_kstream_t *r = sl_stream(t, (const char *[]){"right"}, 1, &strings);
    sl_join_windows_t w = {.before_ms = 15, .after_ms = 15, .grace_ms = 4, .eager = 1};
    sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    assert_int_equal(sl_kstream_to(join(l, r, bracket, NULL, &w, NULL), "out", &p), 0);
    sl_test_driver_t *d = driver(t, NULL);
    run_rows(d, "left", "right", rows, n, "out");
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 2);
    sl_test_driver_destroy(d);
    /* No store for waiting records: only the two window stores. */
    char *desc = sl_topology_describe(t);
    assert_non_null(desc);
    assert_non_null(strstr(desc, "KSTREAM-MERGE"));
    assert_null(strstr(desc, "OUTERSHARED"));
    free(desc);
    sl_topology_destroy(t);
}

static void test_stream_stream_left_eager(void **state)
{
    stream_stream_eager(sl_kstream_left_join, ss_left_eager,
                        sizeof ss_left_eager / sizeof ss_left_eager[0]);
}

static void test_stream_stream_outer_eager(void **state)
{
    stream_stream_eager(sl_kstream_outer_join, ss_outer_eager,
                        sizeof ss_outer_eager / sizeof ss_outer_eager[0]);
}

/* With the docs' 5 ms grace: the window of E (40) closes at 60, and [E, null]
 * is emitted once stream time has passed it, not at 60. */
static void test_stream_stream_grace_boundary(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *l = sl_stream(t, (const char *[]){"left"}, 1, NULL);
    sl_kstream_t *r = sl_stream(t, (const char *[]){"right"}, 1, NULL);
    sl_join_windows_t w = {.before_ms = 15, .after_ms = 15, .grace_ms = 5};
    sl_kstream_to(sl_kstream_outer_join(l, r, bracket, NULL, &w, NULL), "out", NULL);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "left", "k", "E", 40);
    pipe_str(d, "left", "k", "F", 60);
    expect_none(d, "out");
    pipe_str(d, "right", "x", "y", 61); /* another key moves stream time */
    expect_str(d, "out", "k", "[E, null]", 40);
    expect_none(d, "out");
    pipe_str(d, "right", "k", "f", 75); /* F (60) is within 15 of f: a match */
    expect_str(d, "out", "k", "[F, f]", 75);
    pipe_str(d, "left", "z", "w", 81); /* x's window (61 + 15 + 5) closes at 81: not yet */
    expect_none(d, "out");
    pipe_str(d, "left", "z", "w2", 82);
    expect_str(d, "out", "x", "[null, y]", 61);
    expect_none(d, "out");
    pipe_str(d, "left", "q", "v", 200);
    expect_str(d, "out", "z", "[w, null]", 81);
    expect_str(d, "out", "z", "[w2, null]", 82);
    expect_none(d, "out");
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* Several records of a key at one time all join; asymmetric windows; a
 * record older than its window's end is emitted with null at once; late
 * records past the store's retention are not stored; null keys skipped. */
static void test_stream_stream_details(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *l = sl_stream(t, (const char *[]){"left"}, 1, NULL);
    sl_kstream_t *r = sl_stream(t, (const char *[]){"right"}, 1, NULL);
    /* A right record joins left ones within [t - after, t + before]. */
    sl_join_windows_t w = {.before_ms = 0, .after_ms = 10, .grace_ms = 0};
    int calls = 0;
    sl_kstream_to(sl_kstream_left_join(l, r, bracket, &calls, &w, NULL), "out", NULL);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "left", "k", "A1", 100);
    pipe_str(d, "left", "k", "A2", 100);
    pipe_str(d, "right", "k", "a", 105);
    expect_str(d, "out", "k", "[A1, a]", 105);
    expect_str(d, "out", "k", "[A2, a]", 105);
    pipe_str(d, "right", "k", "b", 111); /* after A's window (100 + 10) */
    expect_none(d, "out");
    pipe_str(d, "left", "k", "B", 106); /* before is 0: b at 111 is after, a at 105 before */
    expect_str(d, "out", "k", "[B, b]", 111);
    expect_none(d, "out");
    /* Out of order: C at 90 ends its window (100) before stream time 111:
     * it has nothing and is emitted with null at once. */
    pipe_str(d, "left", "k", "C", 90);
    expect_str(d, "out", "k", "[C, null]", 90);
    pipe_str(d, "left", NULL, "N", 120);
    pipe_str(d, "right", NULL, "n", 120);
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 2);
    expect_none(d, "out");
    /* Retention is before + after + grace = 10: at 200 the left store drops
     * everything before 191; the late right record at 185 finds nothing
     * (A1, A2 at 100 are long gone) and right is the inner side. */
    pipe_str(d, "left", "k", "D", 200);
    pipe_str(d, "right", "k", "late", 185);
    expect_none(d, "out");
    pipe_str(d, "right", "k", "e", 205);
    expect_str(d, "out", "k", "[D, e]", 205);
    assert_int_equal(calls, 5);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

static void first_char_key(void *arg, sl_ctx_t *ctx, const void *k, const void *v,
                           const void **ok, const void **ov)
{
    char *c = v ? sl_ctx_alloc(ctx, 2) : NULL;
    if (c)
        c[0] = ((const char *)v)[0], c[1] = 0;
    *ok = c, *ov = v;
}

/* A key changed before a join: the stream goes through a repartition topic
 * first, named after the join. */
static void test_stream_stream_repartition(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *l = sl_kstream_map(sl_stream(t, (const char *[]){"left"}, 1, NULL),
                                     first_char_key, NULL);
    sl_kstream_t *r = sl_stream(t, (const char *[]){"right"}, 1, NULL);
    sl_join_windows_t w = {.before_ms = 100, .after_ms = 100};
    sl_joined_t j = {.name = "byfirst"};
    sl_kstream_t *out = sl_kstream_join(l, r, bracket, NULL, &w, &j);
    sl_kstream_to(out, "out", NULL);
    sl_config_t *cfg = config("app", NULL);
    sl_test_driver_t *d = driver(t, cfg);
    char *desc = sl_topology_describe(t);
    assert_non_null(strstr(desc, "byfirst-left-repartition"));
    assert_null(strstr(desc, "byfirst-right-repartition"));
    assert_non_null(strstr(desc, "byfirst-this-join-store"));
    assert_non_null(strstr(desc, "byfirst-other-join-store"));
    assert_non_null(strstr(desc, "Sub-topology: 1"));
    free(desc);
    pipe_str(d, "right", "z", "zz", 5);
    pipe_str(d, "left", "whatever", "zebra", 7);
    expect_str(d, "app-byfirst-left-repartition", "z", "zebra", 7);
    expect_str(d, "out", "z", "[zebra, zz]", 7);
    /* The join stores log to their changelogs. */
    assert_int_equal(sl_test_driver_queued(d, "app-byfirst-this-join-store-changelog"), 1);
    assert_int_equal(sl_test_driver_queued(d, "app-byfirst-other-join-store-changelog"), 1);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- stream-table joins: the docs' table ----------------------------------------------------- */

#define ST_ROWS(A_NULL, C_NULL)                                                                \
    {1, 0, NULL, {0}, {0}}, {2, 1, NULL, {0}, {0}}, {3, 0, "A", {A_NULL}, {0}},                \
        {4, 1, "a", {0}, {0}}, {5, 0, "B", {"[B, a]"}, {0}}, {6, 1, "b", {0}, {0}},            \
        {7, 0, NULL, {0}, {0}}, {8, 1, NULL, {0}, {0}}, {9, 0, "C", {C_NULL}, {0}},            \
        {10, 1, "c", {0}, {0}}, {11, 1, NULL, {0}, {0}}, {12, 0, NULL, {0}, {0}},              \
        {13, 1, NULL, {0}, {0}}, {14, 1, "d", {0}, {0}}, {15, 0, "D", {"[D, d]"}, {0}}

static const row_t st_inner[] = {ST_ROWS(NULL, NULL)};
static const row_t st_left[] = {ST_ROWS("[A, null]", "[C, null]")};

typedef sl_kstream_t *(*st_join_fn)(sl_kstream_t *, sl_ktable_t *, sl_value_joiner_fn, void *,
                                    const sl_joined_t *);

static void stream_table_table(st_join_fn join, const row_t *rows, size_t n, const char *cache)
{
    sl_topology_t *t = sl_topology_new();
    sl_kstream_t *s = sl_stream(t, (const char *[]){"left"}, 1, &strings);
    sl_ktable_t *tb = sl_table(t, "right", &strings, NULL);
    sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
    assert_int_equal(sl_kstream_to(join(s, tb, bracket, NULL, NULL), "out", &p), 0);
    sl_config_t *cfg = config("st", cache);
    sl_test_driver_t *d = driver(t, cfg);
    run_rows(d, "left", "right", rows, n, "out");
    /* A table value newer than the stream record: the result keeps the
     * stream record's time (KStreamKTableJoin). */
    pipe_str(d, "right", "k", "e", 100);
    pipe_str(d, "left", "k", "E", 20);
    expect_str(d, "out", "k", "[E, e]", 20);
    /* A null key on the stream side: skipped (and counted). */
    pipe_str(d, "left", NULL, "X", 16);
    expect_none(d, "out");
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 4);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_stream_table_inner(void **state)
{
    stream_table_table(sl_kstream_join_table, st_inner, sizeof st_inner / sizeof st_inner[0],
                       NULL);
    stream_table_table(sl_kstream_join_table, st_inner, sizeof st_inner / sizeof st_inner[0],
                       "0");
}

static void test_stream_table_left(void **state)
{
    stream_table_table(sl_kstream_left_join_table, st_left, sizeof st_left / sizeof st_left[0],
                       NULL);
    stream_table_table(sl_kstream_left_join_table, st_left, sizeof st_left / sizeof st_left[0],
                       "0");
}

/* The table behind a filter (no store of its own: its getter reads its
 * parent's), and a stream re-keyed before the join: repartitioned. */
static int not_secret(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return strcmp(v, "secret") != 0;
}

static void test_stream_table_getter_repartition(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *users = sl_ktable_filter(sl_table(t, "users", NULL, NULL), not_secret, NULL, NULL);
    sl_kstream_t *clicks = sl_kstream_map(sl_stream(t, (const char *[]){"clicks"}, 1, NULL),
                                          first_char_key, NULL);
    sl_joined_t j = {.name = "enrich"};
    sl_kstream_to(sl_kstream_left_join_table(clicks, users, bracket, NULL, &j), "out", NULL);
    sl_config_t *cfg = config("app", NULL);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "users", "a", "alice", 1);
    pipe_str(d, "users", "s", "secret", 2);
    pipe_str(d, "clicks", "c1", "a-click", 3);
    expect_str(d, "app-enrich-repartition", "a", "a-click", 3);
    expect_str(d, "out", "a", "[a-click, alice]", 3);
    pipe_str(d, "clicks", "c2", "s-click", 4);
    expect_str(d, "out", "s", "[s-click, null]", 4);
    pipe_str(d, "users", "a", "alan", 5); /* table updates do not emit */
    expect_none(d, "out");
    pipe_str(d, "clicks", "c3", "a-again", 6);
    expect_str(d, "out", "a", "[a-again, alan]", 6);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- stream-global-table joins --------------------------------------------------------------- */

static const void *value_as_key(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return strcmp(v, "none") ? v : NULL;
}

static void test_stream_global(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_materialized_t m = {.store_name = "products"};
    sl_globalktable_t *g = sl_global_table(t, "products", NULL, &m);
    sl_kstream_t *orders = sl_stream(t, (const char *[]){"orders"}, 1, NULL);
    sl_kstream_to(sl_kstream_join_global(orders, g, value_as_key, NULL, bracket, NULL), "inner",
                  NULL);
    /* A re-keyed stream joins a global table without repartitioning. */
    sl_kstream_t *rekeyed = sl_kstream_map(orders, first_char_key, NULL);
    sl_kstream_to(sl_kstream_left_join_global(rekeyed, g, value_as_key, NULL, bracket, NULL),
                  "left", NULL);
    sl_test_driver_t *d = driver(t, NULL);
    char *desc = sl_topology_describe(t);
    assert_null(strstr(desc, "repartition"));
    assert_non_null(strstr(desc, "Sub-topology: 1")); /* the global table's own */
    free(desc);
    assert_int_equal(sl__join_global_subtopology(t, 0), 1);
    assert_int_equal(sl__join_global_subtopology(t, 1), 0);
    pipe_str(d, "products", "p1", "pen", 1);
    pipe_str(d, "products", "p2", "pad", 2);
    pipe_str(d, "orders", "o1", "p1", 3);
    expect_str(d, "inner", "o1", "[p1, pen]", 3);
    expect_str(d, "left", "p", "[p1, pen]", 3);
    pipe_str(d, "orders", "o2", "p9", 4);
    expect_none(d, "inner");
    expect_str(d, "left", "p", "[p9, null]", 4);
    pipe_str(d, "products", "p1", "pencil", 5); /* no output for table updates */
    pipe_str(d, "products", "p2", NULL, 6);     /* a delete */
    expect_none(d, "inner");
    expect_none(d, "left");
    pipe_str(d, "orders", NULL, "p1", 7); /* a null stream key is fine: the mapped key counts */
    expect_str(d, "inner", NULL, "[p1, pencil]", 7);
    expect_str(d, "left", "p", "[p1, pencil]", 7);
    pipe_str(d, "orders", "o4", "p2", 8);
    expect_none(d, "inner");
    expect_str(d, "left", "p", "[p2, null]", 8);
    pipe_str(d, "orders", "o5", "none", 9); /* the mapper gives null: skipped */
    pipe_str(d, "orders", "o6", NULL, 10); /* a null value: skipped */
    expect_none(d, "inner");
    expect_none(d, "left");
    assert_int_equal(sl_test_driver_metric(d, "skipped-records"), 4);
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "products", "p1", &v), 1);
    assert_string_equal(v, "pencil");
    assert_int_equal(sl_test_driver_kv_get(d, "products", "p2", &v), 0);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- table-table joins: the docs' table ------------------------------------------------------ */

static const row_t tt_inner[] = {
    {1, 0, NULL, {0}, {0}},       {2, 1, NULL, {0}, {0}},       {3, 0, "A", {0}, {0}},
    {4, 1, "a", {"[A, a]"}, {0}}, {5, 0, "B", {"[B, a]"}, {0}}, {6, 1, "b", {"[B, b]"}, {0}},
    {7, 0, NULL, {"-"}, {0}},     {8, 1, NULL, {0}, {0}},       {9, 0, "C", {0}, {0}},
    {10, 1, "c", {"[C, c]"}, {0}}, {11, 1, NULL, {"-"}, {0}},   {12, 0, NULL, {0}, {0}},
    {13, 1, NULL, {0}, {0}},      {14, 1, "d", {0}, {0}},       {15, 0, "D", {"[D, d]"}, {0}},
};

static const row_t tt_left[] = {
    {1, 0, NULL, {0}, {0}},
    {2, 1, NULL, {0}, {0}},
    {3, 0, "A", {"[A, null]"}, {0}},
    {4, 1, "a", {"[A, a]"}, {0}},
    {5, 0, "B", {"[B, a]"}, {0}},
    {6, 1, "b", {"[B, b]"}, {0}},
    {7, 0, NULL, {"-"}, {0}},
    {8, 1, NULL, {0}, {0}},
    {9, 0, "C", {"[C, null]"}, {0}},
    {10, 1, "c", {"[C, c]"}, {0}},
    {11, 1, NULL, {"[C, null]"}, {0}},
    {12, 0, NULL, {"-"}, {0}},
    {13, 1, NULL, {0}, {0}},
    {14, 1, "d", {0}, {0}},
    {15, 0, "D", {"[D, d]"}, {0}},
};

static const row_t tt_outer[] = {
    {1, 0, NULL, {0}, {0}},
    {2, 1, NULL, {0}, {0}},
    {3, 0, "A", {"[A, null]"}, {0}},
    {4, 1, "a", {"[A, a]"}, {0}},
    {5, 0, "B", {"[B, a]"}, {0}},
    {6, 1, "b", {"[B, b]"}, {0}},
    {7, 0, NULL, {"[null, b]"}, {0}},
    {8, 1, NULL, {"-"}, {0}},
    {9, 0, "C", {"[C, null]"}, {0}},
    {10, 1, "c", {"[C, c]"}, {0}},
    {11, 1, NULL, {"[C, null]"}, {0}},
    {12, 0, NULL, {"-"}, {0}},
    {13, 1, NULL, {0}, {0}},
    {14, 1, "d", {"[null, d]"}, {0}},
    {15, 0, "D", {"[D, d]"}, {0}},
};

typedef sl_ktable_t *(*tt_join_fn)(sl_ktable_t *, sl_ktable_t *, sl_value_joiner_fn, void *,
                                   const sl_materialized_t *);

static void table_table_table(tt_join_fn join, const row_t *rows, size_t n, const char *cache,
                              const char *last)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *l = sl_table(t, "left", NULL, NULL);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    sl_materialized_t m = {.store_name = "joined"};
    sl_ktable_t *jt = join(l, r, bracket, NULL, &m);
    assert_string_equal(sl_ktable_store_name(jt), "joined");
    sl_kstream_to(sl_ktable_to_stream(jt), "out", NULL);
    /* The same join unmaterialized: its getter joins both tables' getters. */
    sl_ktable_t *jt2 = join(l, r, bracket, NULL, NULL);
    assert_null(sl_ktable_store_name(jt2));
    sl_kstream_t *probe = sl_stream(t, (const char *[]){"probe"}, 1, NULL);
    sl_kstream_to(sl_kstream_left_join_table(probe, jt2, bracket, NULL, NULL), "probed", NULL);
    sl_config_t *cfg = config("tt", cache);
    sl_test_driver_t *d = driver(t, cfg);
    run_rows(d, "left", "right", rows, n, "out");
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "joined", "k", &v), 1);
    assert_string_equal(v, "[D, d]");
    pipe_str(d, "probe", "k", "P", 16);
    expect_str(d, "probed", "k", "[P, [D, d]]", 16);
    pipe_str(d, "left", "k", NULL, 17);
    pipe_str(d, "probe", "k", "P", 18);
    expect_str(d, "probed", "k", last, 18);
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_table_table_inner(void **state)
{
    table_table_table(sl_ktable_join, tt_inner, sizeof tt_inner / sizeof tt_inner[0], NULL,
                      "[P, null]");
    table_table_table(sl_ktable_join, tt_inner, sizeof tt_inner / sizeof tt_inner[0], "0",
                      "[P, null]");
}

static void test_table_table_left(void **state)
{
    table_table_table(sl_ktable_left_join, tt_left, sizeof tt_left / sizeof tt_left[0], NULL,
                      "[P, null]");
    table_table_table(sl_ktable_left_join, tt_left, sizeof tt_left / sizeof tt_left[0], "0",
                      "[P, null]");
}

static void test_table_table_outer(void **state)
{
    table_table_table(sl_ktable_outer_join, tt_outer, sizeof tt_outer / sizeof tt_outer[0], NULL,
                      "[P, [null, d]]");
    table_table_table(sl_ktable_outer_join, tt_outer, sizeof tt_outer / sizeof tt_outer[0], "0",
                      "[P, [null, d]]");
}

/* ---- table-table joins: the results' times --------------------------------------------------
 * Out of time order: a result takes the later of the change's time and the
 * time the other side's value was stored with, or the change's alone when
 * the other side has none (KTableKTable{Inner,Left,Outer}Join). Hand-worked
 * for key k: the other side older, newer, deleted, absent. */

enum { TT_INNER, TT_LEFT, TT_OUTER };

static const row_t tt_inner_times[] = {
    {10, 1, "a", {0}, {0}},
    {5, 0, "A", {"[A, a]"}, {10}}, /* the right value is newer */
    {20, 0, "B", {"[B, a]"}, {0}}, /* older */
    {15, 1, "b", {"[B, b]"}, {20}},
    {12, 1, NULL, {"-"}, {20}}, /* a delete against the newer left */
    {8, 0, NULL, {0}, {0}},
    {30, 1, "c", {0}, {0}},
    {25, 0, "C", {"[C, c]"}, {30}},
};

static const row_t tt_left_times[] = {
    {10, 1, "a", {0}, {0}},
    {5, 0, "A", {"[A, a]"}, {10}},
    {20, 0, "B", {"[B, a]"}, {0}},
    {15, 1, "b", {"[B, b]"}, {20}},
    {12, 1, NULL, {"[B, null]"}, {20}},
    {8, 0, NULL, {"-"}, {0}}, /* no right value: the change's own time */
    {30, 1, "c", {0}, {0}},
    {25, 0, "C", {"[C, c]"}, {30}},
};

static const row_t tt_outer_times[] = {
    {10, 1, "a", {"[null, a]"}, {0}},
    {5, 0, "A", {"[A, a]"}, {10}},
    {20, 0, "B", {"[B, a]"}, {0}},
    {15, 1, "b", {"[B, b]"}, {20}},
    {12, 1, NULL, {"[B, null]"}, {20}},
    {8, 0, NULL, {"-"}, {0}},
    {30, 1, "c", {"[null, c]"}, {0}},
    {25, 0, "C", {"[C, c]"}, {30}},
};

/* Also the times of the result's getter (an unmaterialized join joined to a
 * third table: the third's change against the join's value): the later of
 * both values' times, or the one side's. Key p has only a left value (at
 * 50), q only a right one (at 60). */
static void table_table_times(tt_join_fn join, const row_t *rows, size_t n, const char *cache,
                              int type)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *l = sl_table(t, "left", NULL, NULL);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    sl_materialized_t m = {.store_name = "joined"};
    sl_kstream_to(sl_ktable_to_stream(join(l, r, bracket, NULL, &m)), "out", NULL);
    sl_ktable_t *jt2 = join(l, r, bracket, NULL, NULL);
    sl_ktable_t *third = sl_table(t, "third", NULL, NULL);
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_join(jt2, third, bracket, NULL, NULL)), "probed",
                  NULL);
    sl_config_t *cfg = config("ttt", cache);
    sl_test_driver_t *d = driver(t, cfg);
    run_rows(d, "left", "right", rows, n, "out");
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "joined", "k", &v), 1);
    assert_string_equal(v, "[C, c]");
    pipe_str(d, "third", "k", "T", 1);
    expect_str(d, "probed", "k", "[[C, c], T]", 30);
    pipe_str(d, "left", "p", "P", 50);
    pipe_str(d, "right", "q", "Q", 60);
    if (type != TT_INNER)
        expect_str(d, "out", "p", "[P, null]", 50);
    if (type == TT_OUTER)
        expect_str(d, "out", "q", "[null, Q]", 60);
    expect_none(d, "out");
    pipe_str(d, "third", "p", "U", 2);
    pipe_str(d, "third", "q", "V", 3);
    if (type != TT_INNER)
        expect_str(d, "probed", "p", "[[P, null], U]", 50);
    if (type == TT_OUTER)
        expect_str(d, "probed", "q", "[[null, Q], V]", 60);
    expect_none(d, "probed");
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_table_table_times(void **state)
{
    static const struct {
        tt_join_fn join;
        const row_t *rows;
        size_t n;
        int type;
    } joins[] = {
        {sl_ktable_join, tt_inner_times, sizeof tt_inner_times / sizeof tt_inner_times[0],
         TT_INNER},
        {sl_ktable_left_join, tt_left_times, sizeof tt_left_times / sizeof tt_left_times[0],
         TT_LEFT},
        {sl_ktable_outer_join, tt_outer_times, sizeof tt_outer_times / sizeof tt_outer_times[0],
         TT_OUTER},
    };
    for (size_t i = 0; i < sizeof joins / sizeof joins[0]; i++) {
        table_table_times(joins[i].join, joins[i].rows, joins[i].n, NULL, joins[i].type);
        table_table_times(joins[i].join, joins[i].rows, joins[i].n, "0", joins[i].type);
    }
}

/* Old values: a table-table join's changes carry the old result, so an
 * aggregation downstream (here a filter's drop) sees retractions. */
static int short_value(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return strlen(v) < 9;
}

static void test_table_table_old_values(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *l = sl_table(t, "left", NULL, NULL);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    sl_ktable_t *jt = sl_ktable_join(l, r, bracket, NULL, NULL);
    /* The filter forwards a tombstone only when the old result passed it. */
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_filter(jt, short_value, NULL, NULL)), "out", NULL);
    sl_config_t *cfg = config("old", "0");
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "left", "k", "A", 1);
    pipe_str(d, "right", "k", "a", 2);
    expect_str(d, "out", "k", "[A, a]", 2);
    pipe_str(d, "left", "k", "AAAA", 3); /* "[AAAA, a]" fails the filter: retract */
    expect_str(d, "out", "k", NULL, 3);
    pipe_str(d, "right", "k", NULL, 4); /* old "[AAAA, a]" never passed: nothing */
    expect_none(d, "out");
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

/* ---- foreign-key joins: the docs' table and more --------------------------------------------- */

/* The left value is the foreign key; "-" stands for a value whose foreign
 * key is null. */
static const void *fk_of(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return strcmp(v, "-") ? v : NULL;
}

static const void *comma(void *arg, sl_ctx_t *ctx, const void *k, const void *l, const void *r)
{
    if (arg)
        (*(int *)arg)++;
    const char *ls = l ? l : "null", *rs = r ? r : "null";
    size_t n = strlen(ls) + strlen(rs) + 2;
    char *s = sl_ctx_alloc(ctx, n);
    snprintf(s, n, "%s,%s", ls, rs);
    return s;
}

typedef struct fk_row {
    int right;
    const char *key, *value;
    const char *out[3][2]; /* (key, value); value "-": a tombstone */
} fk_row_t;

static const fk_row_t fk_inner_rows[] = {
    {1, "1", "foo", {{0}}},
    {0, "k", "1", {{"k", "1,foo"}}},
    {0, "k", "2", {{"k", "-"}}},
    {0, "k", "3", {{"k", "-"}}},
    {1, "3", "bar", {{"k", "3,bar"}}},
    {0, "k", "-", {{"k", "-"}}},
    {0, "k", "1", {{"k", "1,foo"}}},
    {0, "q", "10", {{0}}},
    {0, "r", "10", {{0}}},
    {1, "10", "baz", {{"q", "10,baz"}, {"r", "10,baz"}}},
    /* Beyond the docs: fan-out, deletes on both sides, a foreign key moving. */
    {1, "10", "qux", {{"q", "10,qux"}, {"r", "10,qux"}}},
    {1, "10", NULL, {{"q", "-"}, {"r", "-"}}},
    {0, "q", NULL, {{"q", "-"}}},
    {1, "1", "foo2", {{"k", "1,foo2"}}},
    {0, "k", "3", {{"k", "3,bar"}}},
    {1, "1", "foo3", {{0}}},
    {1, "3", "bar2", {{"k", "3,bar2"}}},
    {0, "k", NULL, {{"k", "-"}}},
    {1, "3", "bar3", {{0}}},
};

static const fk_row_t fk_left_rows[] = {
    {1, "1", "foo", {{0}}},
    {0, "k", "1", {{"k", "1,foo"}}},
    {0, "k", "2", {{"k", "2,null"}}},
    {0, "k", "3", {{"k", "3,null"}}},
    {1, "3", "bar", {{"k", "3,bar"}}},
    {0, "k", "-", {{"k", "-,null"}}},
    {0, "k", "1", {{"k", "1,foo"}}},
    {0, "q", "10", {{"q", "10,null"}}},
    {0, "r", "10", {{"r", "10,null"}}},
    {1, "10", "baz", {{"q", "10,baz"}, {"r", "10,baz"}}},
    {1, "10", "qux", {{"q", "10,qux"}, {"r", "10,qux"}}},
    {1, "10", NULL, {{"q", "10,null"}, {"r", "10,null"}}},
    {0, "q", NULL, {{"q", "-"}}},
    {1, "1", "foo2", {{"k", "1,foo2"}}},
    {0, "k", "3", {{"k", "3,bar"}}},
    {1, "1", "foo3", {{0}}},
    {1, "3", "bar2", {{"k", "3,bar2"}}},
    {0, "k", NULL, {{"k", "-"}}},
    {1, "3", "bar3", {{0}}},
};

typedef sl_ktable_t *(*fk_join_fn)(sl_ktable_t *, sl_ktable_t *, sl_value_mapper_fn, void *,
                                   sl_value_joiner_fn, void *, const sl_materialized_t *);

static void fk_table(fk_join_fn join, const fk_row_t *rows, size_t n, const char *cache)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *l = sl_table(t, "left", NULL, NULL);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    /* The result uncached: a cache drops the tombstone of a key it does not
     * hold (Kafka's caching layer does too), and the docs' table shows them. */
    sl_materialized_t m = {.store_name = "fkjoined", .disable_caching = 1};
    sl_ktable_t *jt = join(l, r, fk_of, NULL, comma, NULL, &m);
    sl_kstream_to(sl_ktable_to_stream(jt), "out", NULL);
    sl_config_t *cfg = config("fk", cache);
    sl_test_driver_t *d = driver(t, cfg);
    char *desc = sl_topology_describe(t);
    assert_non_null(strstr(desc, "-SUBSCRIPTION-REGISTRATION-"));
    assert_non_null(strstr(desc, "-SUBSCRIPTION-RESPONSE-"));
    assert_non_null(strstr(desc, "Sub-topology: 1"));
    free(desc);
    for (size_t i = 0; i < n; i++) {
        const fk_row_t *row = &rows[i];
        pipe_str(d, row->right ? "right" : "left", row->key, row->value, (int64_t)i + 1);
        for (int j = 0; j < 3 && row->out[j][0]; j++)
            expect_str(d, "out", row->out[j][0],
                       strcmp(row->out[j][1], "-") ? row->out[j][1] : NULL, -1);
        if (sl_test_driver_queued(d, "out"))
            fail_msg("row %zu: unexpected output", i + 1);
    }
    const void *v;
    if (rows == fk_inner_rows) {
        assert_int_equal(sl_test_driver_kv_get(d, "fkjoined", "r", &v), 0);
    } else {
        assert_int_equal(sl_test_driver_kv_get(d, "fkjoined", "r", &v), 1);
        assert_string_equal(v, "10,null");
    }
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_fk_join(void **state)
{
    size_t n = sizeof fk_inner_rows / sizeof fk_inner_rows[0];
    fk_table(sl_ktable_fk_join, fk_inner_rows, n, NULL);
    fk_table(sl_ktable_fk_join, fk_inner_rows, n, "0");
}

static void test_fk_left_join(void **state)
{
    size_t n = sizeof fk_left_rows / sizeof fk_left_rows[0];
    fk_table(sl_ktable_fk_left_join, fk_left_rows, n, NULL);
    fk_table(sl_ktable_fk_left_join, fk_left_rows, n, "0");
}

/* The results' times, Kafka's: a left change's result takes the later of
 * its time and the right value's; a right change's, its own time. */
static void fk_times(fk_join_fn join, const char *cache)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *l = sl_table(t, "left", NULL, NULL);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    sl_materialized_t m = {.store_name = "fkjoined", .disable_caching = 1};
    sl_kstream_to(sl_ktable_to_stream(join(l, r, fk_of, NULL, comma, NULL, &m)), "out", NULL);
    sl_config_t *cfg = config("fkt", cache);
    sl_test_driver_t *d = driver(t, cfg);
    pipe_str(d, "right", "1", "foo", 10);
    pipe_str(d, "left", "k", "1", 5); /* the right value is newer */
    expect_str(d, "out", "k", "1,foo", 10);
    pipe_str(d, "right", "1", "bar", 3); /* a right change: its own time */
    expect_str(d, "out", "k", "1,bar", 3);
    pipe_str(d, "right", "2", "baz", 15);
    pipe_str(d, "left", "k", "2", 20); /* the right value is older */
    expect_str(d, "out", "k", "2,baz", 20);
    pipe_str(d, "left", "q", "3", 7); /* no right value: the change's time */
    if (join == sl_ktable_fk_left_join)
        expect_str(d, "out", "q", "3,null", 7);
    expect_none(d, "out");
    const void *v;
    assert_int_equal(sl_test_driver_kv_get(d, "fkjoined", "k", &v), 1);
    assert_string_equal(v, "2,baz");
    sl_test_driver_destroy(d);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
}

static void test_fk_join_times(void **state)
{
    fk_times(sl_ktable_fk_join, NULL);
    fk_times(sl_ktable_fk_join, "0");
    fk_times(sl_ktable_fk_left_join, NULL);
    fk_times(sl_ktable_fk_left_join, "0");
}

/* Two changes of one row before any answer: the first answer carries the
 * hash of a value the row no longer has, and is dropped. */
static void two_values(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    sl_ctx_forward(ctx, k, "1");
    sl_ctx_forward(ctx, k, v);
}

static void test_fk_stale_response(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_materialized_t lm = {.store_name = "rows", .disable_caching = 1};
    sl_ktable_t *l = sl_kstream_to_table(
        sl_kstream_flat_map_values(sl_stream(t, (const char *[]){"in"}, 1, NULL), two_values, NULL),
        &lm);
    sl_ktable_t *r = sl_table(t, "right", NULL, NULL);
    int calls = 0;
    sl_kstream_to(sl_ktable_to_stream(sl_ktable_fk_join(l, r, fk_of, NULL, comma, &calls, NULL)),
                  "out", NULL);
    sl_test_driver_t *d = driver(t, NULL);
    pipe_str(d, "right", "1", "foo", 1);
    pipe_str(d, "right", "3", "bar", 2);
    pipe_str(d, "in", "k", "3", 3); /* k becomes 1, then 3, in one record */
    expect_str(d, "out", "k", "3,bar", 3);
    expect_none(d, "out");
    assert_int_equal(calls, 1);
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
}

/* ---- build errors ---------------------------------------------------------------------------- */

static void test_join_build_errors(void **state)
{
    sl_topology_t *t = sl_topology_new();
    sl_kstream_t *a = sl_stream(t, (const char *[]){"a"}, 1, NULL);
    sl_kstream_t *b = sl_stream(t, (const char *[]){"b"}, 1, NULL);
    assert_null(sl_kstream_join(a, b, bracket, NULL, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "windows"));
    sl_topology_destroy(t);

    t = sl_topology_new();
    a = sl_stream(t, (const char *[]){"a"}, 1, NULL);
    b = sl_stream(t, (const char *[]){"b"}, 1, NULL);
    sl_join_windows_t w = {.before_ms = 5, .after_ms = -6};
    assert_null(sl_kstream_outer_join(a, b, bracket, NULL, &w, NULL));
    assert_non_null(sl_topology_error(t));
    sl_topology_destroy(t);

    t = sl_topology_new();
    sl_ktable_t *x = sl_table(t, "x", NULL, NULL);
    assert_null(sl_ktable_fk_join(x, sl_table(t, "y", NULL, NULL), NULL, NULL, comma, NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "foreign-key extractor"));
    assert_null(sl_ktable_join(x, NULL, comma, NULL, NULL));
    sl_topology_destroy(t);

    /* An unmaterialized foreign-key join result has no getter. */
    t = sl_topology_new();
    x = sl_table(t, "x", NULL, NULL);
    sl_ktable_t *fk = sl_ktable_fk_join(x, sl_table(t, "y", NULL, NULL), fk_of, NULL, comma,
                                        NULL, NULL);
    assert_non_null(fk);
    assert_null(sl_kstream_join_table(sl_stream(t, (const char *[]){"s"}, 1, NULL), fk, comma,
                                      NULL, NULL));
    assert_non_null(strstr(sl_topology_error(t), "value getter"));
    sl_topology_destroy(t);
}

SL_TEST_GROUP(join, cmocka_unit_test(test_stream_stream_inner),
              cmocka_unit_test(test_stream_stream_left), cmocka_unit_test(test_stream_stream_outer),
              cmocka_unit_test(test_stream_stream_left_eager),
        cmocka_unit_test(test_stream_stream_outer_eager),
        cmocka_unit_test(test_stream_stream_grace_boundary),
              cmocka_unit_test(test_stream_stream_details),
              cmocka_unit_test(test_stream_stream_repartition),
              cmocka_unit_test(test_stream_table_inner), cmocka_unit_test(test_stream_table_left),
              cmocka_unit_test(test_stream_table_getter_repartition),
              cmocka_unit_test(test_stream_global), cmocka_unit_test(test_table_table_inner),
              cmocka_unit_test(test_table_table_left), cmocka_unit_test(test_table_table_outer),
              cmocka_unit_test(test_table_table_times),
              cmocka_unit_test(test_table_table_old_values), cmocka_unit_test(test_fk_join),
              cmocka_unit_test(test_fk_left_join), cmocka_unit_test(test_fk_join_times),
              cmocka_unit_test(test_fk_stale_response),
              cmocka_unit_test(test_join_build_errors))
