/* bench_pull.c — pull queries as the shell answers them: a table of 1M keys
 * made by `CREATE TABLE per_user AS SELECT user, COUNT(*) … GROUP BY user`
 * (one partition, on an embedded broker), then key lookups on the query's
 * result store, from the same process, at random keys:
 *
 *   (e) a lookup: parsing `SELECT * FROM per_user WHERE user = 'uN';` and
 *       reading the key from the store (sl_streams_kv_get)   target p99 < 1 ms
 *
 * The baseline, measured in the same run, is the parse alone, so that the
 * ratio shows what the store adds. Usage: bench_pull [keys, default 1000000]
 * [lookups, default 100000] [dir]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sluice/sluice.h>

#include "common/trace.h"
#include "engine/logclient.h"
#include "sql/catalog.h"
#include "sql/session.h"
#include "sql/sql_parse.h"

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_pull: %s: %s\n", what, why);
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void found(void *arg, const void *value)
{
    (void)value;
    (*(long *)arg)++;
}

int main(int argc, char **argv)
{
    long nkeys = argc > 1 ? atol(argv[1]) : 1000000, nlookups = argc > 2 ? atol(argv[2]) : 100000;
    char base[4096], data[4200], state[4200], err[1024];
    snprintf(base, sizeof base, "%s/sluice-bench-pull-XXXXXX", argc > 3 ? argv[3] : "/tmp");
    if (!mkdtemp(base))
        die("mkdtemp", base);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    snprintf(data, sizeof data, "%s/data", base);
    snprintf(state, sizeof state, "%s/state", base);
    sl_embedded_broker_t *eb;
    if (sl_embedded_broker_start(data, "127.0.0.1:0", &eb, err, sizeof err))
        die("broker", err);
    printf("bench_pull: a table of %ld keys, %ld lookups at random keys\n", nkeys, nlookups);

    /* The input: one record per key. */
    sl_lc_t *lc;
    static const char *const props[] = {"batch.size", "1048576", NULL};
    sl_lc_config_t lcc = {.client_id = "bench", .props = props};
    if (sl_lc_new_local(sl__embedded_broker_get(eb), &lcc, &lc, err, sizeof err))
        die("client", err);
    if (sl_lc_create_topic(lc, "clicks", 1, -1, NULL, err, sizeof err))
        die("create topic", err);
    for (long i = 0; i < nkeys; i++) {
        char key[32], val[64];
        int kl = snprintf(key, sizeof key, "u%ld", i);
        int vl = snprintf(val, sizeof val, "{\"PAGE\":\"p%ld\"}", i % 100);
        sl_lc_record_t r = {.key = {(const uint8_t *)key, (size_t)kl},
                            .value = {(const uint8_t *)val, (size_t)vl},
                            .timestamp = 1700000000000L + i};
        if (sl_lc_produce(lc, "clicks", 0, &r))
            die("produce", sl_lc_errstr(lc));
    }
    if (sl_lc_flush(lc, -1))
        die("flush", sl_lc_errstr(lc));
    sl_lc_destroy(lc);

    /* The table, as the shell makes it: the query keeps its result rows. */
    sl_client_t *c;
    if (sl_client_new(NULL, eb, &c, err, sizeof err))
        die("client", err);
    sl_sql_topics_t tp = sl_sql_topics_of_client(c);
    sl_sql_catalog_t *cat = sl_sql_catalog_new(&tp);
    sl_sql_session_t *sess = sl_sql_session_new(cat);
    sl_sql_session_set_materialize(sess, 1);
    sl_arena_t arena = SL_ARENA_INIT;
    sl_sql_stmt_list_t *list;
    sl_sql_error_t pe;
    if (sl_sql_parse("CREATE STREAM clicks (user STRING KEY, page STRING) WITH "
                     "(KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON');"
                     "CREATE TABLE per_user AS SELECT user, COUNT(*) AS n FROM clicks GROUP BY user;",
                     &arena, &list, &pe))
        die("sql", pe.message);
    for (size_t i = 0; i < list->n; i++)
        if (sl_sql_session_execute(sess, list->items[i], NULL, err, sizeof err))
            die("sql", err);
    const char *qid = sl_sql_session_last_query(sess);
    char store[128];
    sl_sql_session_pull_store(qid, store, sizeof store);
    sl_config_t *cfg = sl_config_new();
    sl_config_set(cfg, "application.id", "bench-pull", NULL, 0);
    sl_config_set(cfg, "state.dir", state, NULL, 0);
    sl_streams_t *app;
    int64_t t0 = now_ns();
    if (sl_streams_new(sl_sql_session_topology(sess), cfg, eb, &app, err, sizeof err) ||
        sl_streams_start(app, err, sizeof err))
        die("streams", err);
    sl_config_destroy(cfg);
    if (sl_streams_wait_idle(app, 600000))
        die("streams", "the table was not built in 10 minutes");
    printf("%-34s %.1f s\n", "table of the keys built in", (double)(now_ns() - t0) / 1e9);

    /* Lookups at random keys: the statement parsed, then the key read. */
    int64_t *parse = malloc((size_t)nlookups * sizeof *parse);
    int64_t *total = malloc((size_t)nlookups * sizeof *total);
    if (!parse || !total)
        die("lookups", "out of memory");
    uint64_t x = 88172645463325252ULL;
    long hits = 0;
    for (long i = 0; i < nlookups; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char sql[128], key[32];
        int kl = snprintf(key, sizeof key, "u%ld", (long)(x % (uint64_t)nkeys));
        snprintf(sql, sizeof sql, "SELECT * FROM per_user WHERE user = '%s';", key);
        sl_arena_t a = SL_ARENA_INIT;
        int64_t s0 = now_ns();
        if (sl_sql_parse(sql, &a, &list, &pe))
            die("parse", pe.message);
        int64_t s1 = now_ns();
        sl_sql_value_t kv = sl_sql_value_string(key, (size_t)kl);
        sl_sql_row_t krow = {1, &kv};
        if (sl_streams_kv_get(app, store, &krow, found, &hits) < 0)
            die("lookup", store);
        int64_t s2 = now_ns();
        sl_arena_free(&a);
        parse[i] = s1 - s0;
        total[i] = s2 - s0;
    }
    if (hits != nlookups)
        die("lookups", "a key was missing");
    qsort(parse, (size_t)nlookups, sizeof *parse, cmp_i64);
    qsort(total, (size_t)nlookups, sizeof *total, cmp_i64);
    double p50 = (double)total[nlookups / 2] / 1e6, p99 = (double)total[nlookups * 99 / 100] / 1e6;
    double b99 = (double)parse[nlookups * 99 / 100] / 1e6;
    printf("%-34s p50 %.3f ms  p99 %.3f ms  (parse alone: p99 %.3f ms, ratio %.1f)  "
           "(target p99 < 1 ms) %s\n",
           "(e) pull query, key lookup", p50, p99, b99, b99 > 0 ? p99 / b99 : 0.0,
           p99 < 1.0 ? "met" : "NOT MET");
    fflush(stdout);
    free(parse), free(total);
    sl_streams_close(app);
    sl_sql_session_destroy(sess);
    sl_sql_catalog_destroy(cat);
    sl_client_destroy(c);
    sl_arena_free(&arena);
    sl_embedded_broker_stop(eb);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_pull: could not remove %s\n", base);
    return 0;
}
