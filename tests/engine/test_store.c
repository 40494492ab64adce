/* test_store.c — one contract for the key-value stores a topology sees,
 * run against every kind the engine has: LMDB written through, and LMDB
 * behind the record cache (writes held until the commit). A processor runs
 * store commands carried by records ("put k v; get k; del k; range a c"),
 * several per record so that the cache is exercised between commits, and
 * the answers are checked against a model — also across a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/sluice.h>

#include "testutil.h"

typedef struct answers {
    char text[4096];
} answers_t;

static int range_cb(void *arg, const void *k, const void *v)
{
    answers_t *a = arg;
    size_t n = strlen(a->text);
    snprintf(a->text + n, sizeof a->text - n, " %s=%s", (const char *)k, (const char *)v);
    return 0;
}

/* Runs the commands of one record; forwards one answer string. */
static void run_commands(void *state, sl_ctx_t *ctx, const void *key, const void *value)
{
    sl_kvstore_t *s = state;
    answers_t *a = sl_ctx_alloc(ctx, sizeof *a);
    a->text[0] = 0;
    char *copy = sl_ctx_alloc(ctx, strlen(value) + 1);
    strcpy(copy, value);
    for (char *save, *cmd = strtok_r(copy, ";", &save); cmd; cmd = strtok_r(NULL, ";", &save)) {
        char op[8], k[64], v[64];
        int n = sscanf(cmd, "%7s %63s %63s", op, k, v);
        size_t len = strlen(a->text);
        if (!strcmp(op, "put") && n == 3) {
            assert_int_equal(sl_kvstore_put(ctx, s, k, v), SL_OK);
        } else if (!strcmp(op, "del") && n >= 2) {
            assert_int_equal(sl_kvstore_put(ctx, s, k, NULL), SL_OK);
        } else if (!strcmp(op, "get") && n >= 2) {
            const void *got;
            int rc = sl_kvstore_get(ctx, s, k, &got);
            assert_true(rc >= 0);
            snprintf(a->text + len, sizeof a->text - len, "%s%s", len ? "|" : "",
                     rc ? (const char *)got : "-");
        } else if (!strcmp(op, "range") && n == 3) {
            snprintf(a->text + len, sizeof a->text - len, "%s[", len ? "|" : "");
            assert_int_equal(sl_kvstore_range(ctx, s, k, v, range_cb, a), SL_OK);
            len = strlen(a->text);
            snprintf(a->text + len, sizeof a->text - len, "]");
        } else {
            fail_msg("bad command '%s'", cmd);
        }
    }
    sl_ctx_forward(ctx, key, a->text);
}

static sl_err_t cmd_init(void *arg, sl_ctx_t *ctx, void **state)
{
    *state = sl_ctx_kv_store(ctx, "kv");
    return *state ? SL_OK : SL_ERR_STATE;
}

static sl_topology_t *topology(int cached)
{
    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_store_def_t sd = {.name = "kv", .type = SL_STORE_KV, .key_serde = &sl_serde_string,
                         .value_serde = &sl_serde_string, .enable_caching = cached};
    assert_int_equal(sl_topology_add_store(t, &sd), SL_OK);
    sl_processor_t p = {cmd_init, run_commands, NULL, NULL};
    sl_kstream_to(sl_kstream_process(sl_stream(t, (const char *[]){"cmds"}, 1, NULL), &p,
                                     (const char *[]){"kv"}, 1),
                  "answers", NULL);
    assert_null(sl_topology_error(t));
    return t;
}

static sl_test_driver_t *driver(sl_topology_t *t, const char *dir)
{
    sl_config_t *cfg = sl_config_new();
    if (dir)
        sl_config_set(cfg, "state.dir", dir, NULL, 0);
    char err[256];
    sl_test_driver_t *d;
    if (sl_test_driver_new(t, cfg, 0, &d, err, sizeof err))
        fail_msg("driver: %s", err);
    sl_config_destroy(cfg);
    return d;
}

static void expect(sl_test_driver_t *d, const char *cmds, const char *want)
{
    assert_int_equal(
        sl_test_driver_pipe_obj(d, "cmds", &sl_serde_string, "c", &sl_serde_string, cmds, 1), 0);
    const void *k, *v;
    assert_int_equal(sl_test_driver_read_obj(d, "answers", &sl_serde_string, &k, &sl_serde_string,
                                             &v, NULL),
                     1);
    if (strcmp(v, want))
        fail_msg("'%s': got '%s', want '%s'", cmds, (const char *)v, want);
}

/* The contract, by hand-worked cases. */
static void contract(int cached)
{
    char *dir = sl_test_mkdtemp();
    sl_topology_t *t = topology(cached);
    sl_test_driver_t *d = driver(t, dir);
    expect(d, "get a", "-");
    expect(d, "put a 1; get a; put a 2; get a", "1|2");          /* read your writes */
    expect(d, "get a", "2");                                     /* after the commit */
    expect(d, "put b x; put c y; del b; get b; get c", "-|y");   /* delete in flight */
    expect(d, "del nothing; get nothing", "-");                  /* deleting nothing */
    expect(d, "put d 4; range a d", "[ a=2 c=y]");               /* [from, to) in order */
    expect(d, "range b z; range z zz", "[ c=y d=4]|[]");
    expect(d, "put aa 5; range a b", "[ a=2 aa=5]");             /* prefixes sort first */
    expect(d, "del a; put a 3; del a; get a; range a b", "-|[ aa=5]");
    /* The changelog: a record per write without the cache (11, a tombstone
     * for every delete); with it, one per key per commit, and nothing for a
     * key created and deleted in between (5). */
    assert_int_equal(sl_test_driver_queued(d, "test-driver-kv-changelog"), cached ? 5 : 11);
    sl_test_driver_destroy(d);
    /* Everything committed is there after a restart. */
    d = driver(t, dir);
    expect(d, "get a; get aa; get c; get d; get b", "-|5|y|4|-");
    sl_test_driver_destroy(d);
    sl_topology_destroy(t);
    sl_test_rmdir(dir);
}

static void test_contract_lmdb(void **state) { contract(0); }
static void test_contract_cached(void **state) { contract(1); }

/* Random commands against a model, both kinds side by side. */
static void test_random_against_model(void **state)
{
    sl_topology_t *t[2] = {topology(0), topology(1)};
    sl_test_driver_t *d[2] = {driver(t[0], NULL), driver(t[1], NULL)};
    char model[20][16] = {{0}};
    int present[20] = {0};
    uint64_t rs = 42;
    for (int rec = 0; rec < 300; rec++) {
        char cmds[1024] = "", want[4096] = "";
        for (int i = 0; i < 6; i++) {
            int k = (int)(sl_test_rand(&rs) % 20), op = (int)(sl_test_rand(&rs) % 10);
            size_t n = strlen(cmds), w = strlen(want);
            if (op < 4) {
                char v[16];
                snprintf(v, sizeof v, "v%d", (int)(sl_test_rand(&rs) % 1000));
                snprintf(cmds + n, sizeof cmds - n, "%sput k%02d %s", n ? ";" : "", k, v);
                strcpy(model[k], v);
                present[k] = 1;
            } else if (op < 6) {
                snprintf(cmds + n, sizeof cmds - n, "%sdel k%02d", n ? ";" : "", k);
                present[k] = 0;
            } else if (op < 9) {
                snprintf(cmds + n, sizeof cmds - n, "%sget k%02d", n ? ";" : "", k);
                snprintf(want + w, sizeof want - w, "%s%s", w ? "|" : "", present[k] ? model[k] : "-");
            } else {
                int k2 = k + (int)(sl_test_rand(&rs) % 6);
                snprintf(cmds + n, sizeof cmds - n, "%srange k%02d k%02d", n ? ";" : "", k, k2);
                snprintf(want + w, sizeof want - w, "%s[", w ? "|" : "");
                for (int j = k; j < k2 && j < 20; j++) {
                    if (present[j]) {
                        w = strlen(want);
                        snprintf(want + w, sizeof want - w, " k%02d=%s", j, model[j]);
                    }
                }
                w = strlen(want);
                snprintf(want + w, sizeof want - w, "]");
            }
        }
        for (int kind = 0; kind < 2; kind++)
            expect(d[kind], cmds, want);
    }
    for (int kind = 0; kind < 2; kind++) {
        sl_test_driver_destroy(d[kind]);
        sl_topology_destroy(t[kind]);
    }
}

SL_TEST_GROUP(store, cmocka_unit_test(test_contract_lmdb), cmocka_unit_test(test_contract_cached),
              cmocka_unit_test(test_random_against_model))
