/* bench_engine.c — the dataflow engine against a hand-written program doing
 * the same work on the same input in the same run (the COST idea: McSherry,
 * Isard, Murray, HotOS 2015): one thread each, both reading the same topic of
 * JSON records {"id":…,"user":"u42","amount":12.5,"ts":…} (keyed by user)
 * from an embedded broker through the in-process log client.
 *
 *   (a) filter amount > 50 and project {id, amount}        target >= 0.5
 *   (b) count by user, 10K users and 1M users              target >= 0.33
 *   (c) restart with 1M keys in the store after a clean stop: < 1 s
 *   (d) (a) and (b) written in SQL, against the hand-built topology:  >= 0.8
 *
 * The baseline parses with the same JSON library (jansson), counts in an
 * open-addressing hash map, and writes its output to a topic as the engine
 * does (for counts: each user's final count once; the engine writes each
 * user's count once per commit, folded by its cache).
 * Usage: bench_engine [records, default 10000000] [dir]. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sluice/sluice.h>

#include "common/murmur2.h"
#include "common/trace.h"
#include "engine/logclient.h"
#include "sql/catalog.h"
#include "sql/session.h"
#include "sql/sql_parse.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_engine: %s: %s\n", what, why);
    exit(1);
}

static sl_embedded_broker_t *eb;
static char base[4096];
static long nrecords = 10000000;

static sl_lc_t *client(void)
{
    sl_lc_t *lc;
    char err[256];
    static const char *const props[] = {"batch.size", "1048576", NULL};
    sl_lc_config_t c = {.client_id = "bench", .props = props};
    if (sl_lc_new_local(sl__embedded_broker_get(eb), &c, &lc, err, sizeof err))
        die("client", err);
    return lc;
}

static void make_input(const char *topic, long users)
{
    sl_lc_t *lc = client();
    char err[256];
    if (sl_lc_create_topic(lc, topic, 1, -1, NULL, err, sizeof err))
        die("create topic", err);
    uint64_t x = 88172645463325252ULL;
    char key[32], val[160];
    for (long i = 0; i < nrecords; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        long u = (long)(x % (uint64_t)users);
        double amount = (double)(x >> 40 & 0xffff) / 655.36; /* 0 .. 100 */
        int kl = snprintf(key, sizeof key, "u%ld", u);
        int vl = snprintf(val, sizeof val, "{\"id\":%ld,\"user\":\"u%ld\",\"amount\":%.2f,\"ts\":%ld}",
                          i, u, amount, 1700000000000L + i);
        sl_lc_record_t r = {.key = {(const uint8_t *)key, (size_t)kl},
                            .value = {(const uint8_t *)val, (size_t)vl},
                            .timestamp = 1700000000000L + i};
        if (sl_lc_produce(lc, topic, 0, &r))
            die("produce", sl_lc_errstr(lc));
    }
    if (sl_lc_flush(lc, -1))
        die("flush", sl_lc_errstr(lc));
    sl_lc_destroy(lc);
}

/* ---- the baseline ----------------------------------------------------------------------------- */

typedef struct hslot {
    char *key;
    int64_t count;
} hslot_t;

typedef struct base_ctx {
    sl_lc_t *out;
    const char *out_topic;
    int mode; /* 0 filter, 1 count */
    long seen;
    hslot_t *slots;
    size_t cap, n;
} base_ctx_t;

static void count_key(base_ctx_t *b, const char *k, size_t len)
{
    if (b->n * 2 >= b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        hslot_t *ns = calloc(nc, sizeof *ns);
        for (size_t i = 0; i < b->cap; i++) {
            if (!b->slots[i].key)
                continue;
            size_t h = (size_t)sl_murmur2(b->slots[i].key, strlen(b->slots[i].key)) & (nc - 1);
            while (ns[h].key)
                h = (h + 1) & (nc - 1);
            ns[h] = b->slots[i];
        }
        free(b->slots);
        b->slots = ns, b->cap = nc;
    }
    size_t h = (size_t)sl_murmur2(k, len) & (b->cap - 1);
    while (b->slots[h].key) {
        if (strlen(b->slots[h].key) == len && !memcmp(b->slots[h].key, k, len)) {
            b->slots[h].count++;
            return;
        }
        h = (h + 1) & (b->cap - 1);
    }
    b->slots[h].key = strndup(k, len);
    b->slots[h].count = 1;
    b->n++;
}

static int base_record(void *opaque, const char *topic, int32_t partition, const sl_lc_record_t *r)
{
    base_ctx_t *b = opaque;
    b->seen++;
    json_error_t e;
    json_t *j = json_loadb((const char *)r->value.data, r->value.len, JSON_DECODE_ANY, &e);
    if (!j)
        die("baseline parse", e.text);
    if (b->mode == 0) {
        double amount = json_number_value(json_object_get(j, "amount"));
        if (amount > 50) {
            json_t *o = json_object();
            json_object_set(o, "id", json_object_get(j, "id"));
            json_object_set(o, "amount", json_object_get(j, "amount"));
            char buf[128];
            size_t n = json_dumpb(o, buf, sizeof buf, JSON_COMPACT);
            sl_lc_record_t w = {.key = r->key, .value = {(const uint8_t *)buf, n},
                                .timestamp = r->timestamp};
            sl_lc_produce(b->out, b->out_topic, 0, &w);
            json_decref(o);
        }
    } else {
        /* The same work as the engine: read the user from the record (the
         * key holds it too, but the engine parses every value, so must we). */
        const char *u = json_string_value(json_object_get(j, "user"));
        count_key(b, u, strlen(u));
    }
    json_decref(j);
    return 0;
}

static double run_baseline(const char *in, const char *out_topic, int mode)
{
    sl_lc_t *lc = client(), *out = client();
    char err[256];
    sl_lc_create_topic(out, out_topic, 1, -1, NULL, err, sizeof err);
    base_ctx_t b = {.out = out, .out_topic = out_topic, .mode = mode};
    double t0 = now_s();
    sl_lc_tp_t tp = {in, 0, SL_LC_OFFSET_BEGINNING};
    sl_lc_assign(lc, &tp, 1);
    while (b.seen < nrecords) {
        int n = sl_lc_poll(lc, 1000, 10000, base_record, &b);
        if (n < 0)
            die("baseline poll", sl_lc_errstr(lc));
    }
    if (mode == 1) {
        for (size_t i = 0; i < b.cap; i++) {
            if (!b.slots[i].key)
                continue;
            uint8_t v[8];
            for (int k = 0; k < 8; k++)
                v[k] = (uint8_t)((uint64_t)b.slots[i].count >> (56 - 8 * k));
            sl_lc_record_t w = {.key = {(const uint8_t *)b.slots[i].key, strlen(b.slots[i].key)},
                                .value = {v, 8}, .timestamp = -1};
            sl_lc_produce(out, out_topic, 0, &w);
            free(b.slots[i].key);
        }
        free(b.slots);
    }
    if (sl_lc_flush(out, -1))
        die("baseline flush", sl_lc_errstr(out));
    double t = now_s() - t0;
    sl_lc_destroy(lc);
    sl_lc_destroy(out);
    return t;
}

/* ---- the engine ---------------------------------------------------------------------------------- */

static int big_amount(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return json_number_value(json_object_get((json_t *)v, "amount")) > 50;
}

static void release(void *p) { json_decref(p); }

static const void *project(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    json_t *o = json_object();
    json_object_set(o, "id", json_object_get((json_t *)v, "id"));
    json_object_set(o, "amount", json_object_get((json_t *)v, "amount"));
    sl_mem_defer(sl_ctx_mem(ctx), release, o);
    return o;
}

static const void *user_of(void *arg, sl_ctx_t *ctx, const void *k, const void *v)
{
    return json_string_value(json_object_get((json_t *)v, "user"));
}

static sl_topology_t *topology(int mode, const char *in, const char *out)
{
    sl_topology_t *t = sl_topology_new();
    sl_consumed_t c = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_json};
    sl_kstream_t *s = sl_stream(t, &in, 1, &c);
    if (mode == 0) {
        sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_json};
        sl_kstream_to(sl_kstream_map_values(sl_kstream_filter(s, big_amount, NULL), project, NULL),
                      out, &p);
    } else {
        /* The key already is the user; select it from the value anyway, without
         * changing the partitioning (the baseline parses it too). */
        sl_kstream_t *keyed = sl_kstream_map_values(s, user_of, NULL);
        sl_grouped_t g = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_string};
        sl_materialized_t m = {.store_name = "counts", .value_serde = &sl_serde_int64};
        sl_produced_t p = {.key_serde = &sl_serde_string, .value_serde = &sl_serde_int64};
        sl_kstream_to(sl_ktable_to_stream(sl_kgroupedstream_count(sl_kstream_group_by_key(keyed, &g),
                                                                  &m)),
                      out, &p);
    }
    if (sl_topology_error(t))
        die("topology", sl_topology_error(t));
    return t;
}

static sl_streams_t *start_app(sl_topology_t *t, const char *app_id)
{
    sl_config_t *cfg = sl_config_new();
    char state[4200], err[1024];
    snprintf(state, sizeof state, "%s/state", base);
    sl_config_set(cfg, "application.id", app_id, NULL, 0);
    sl_config_set(cfg, "state.dir", state, NULL, 0);
    sl_streams_t *app;
    if (sl_streams_new(t, cfg, eb, &app, err, sizeof err))
        die("streams", err);
    sl_config_destroy(cfg);
    if (sl_streams_start(app, err, sizeof err))
        die("start", err);
    return app;
}

static double run_engine(int mode, const char *in, const char *out, const char *app_id)
{
    sl_topology_t *t = topology(mode, in, out);
    double t0 = now_s();
    sl_streams_t *app = start_app(t, app_id);
    while (sl_streams_metric(app, "process-total") < nrecords) {
        if (sl_streams_state(app) == SL_STREAMS_ERROR)
            die("engine", sl_streams_error(app));
        usleep(1000);
    }
    sl_streams_close(app); /* the final commit: output and state written */
    double el = now_s() - t0;
    sl_topology_destroy(t);
    return el;
}

/* (c): start an application whose store holds every user, until its task
 * is open and restored (nothing to replay after a clean stop). */
static double restart(const char *in, const char *out, const char *app_id)
{
    sl_topology_t *t = topology(1, in, out);
    double t0 = now_s();
    sl_streams_t *app = start_app(t, app_id);
    while (sl_streams_metric(app, "tasks") < 1) {
        if (sl_streams_state(app) == SL_STREAMS_ERROR)
            die("engine", sl_streams_error(app));
        usleep(200);
    }
    double el = now_s() - t0;
    int64_t restored = sl_streams_metric(app, "restored-records");
    sl_streams_close(app);
    sl_topology_destroy(t);
    if (restored != 0)
        fprintf(stderr, "bench_engine: restart replayed %lld records\n", (long long)restored);
    return el;
}

/* The same work as topology(mode), written in SQL and compiled by sql/. */
static double run_sql(int mode, const char *in, const char *out, const char *app_id)
{
    sl_client_t *c;
    char err[1024];
    if (sl_client_new(NULL, eb, &c, err, sizeof err))
        die("client", err);
    sl_sql_topics_t tp = sl_sql_topics_of_client(c);
    sl_sql_catalog_t *cat = sl_sql_catalog_new(&tp);
    sl_sql_session_t *sess = sl_sql_session_new(cat);
    char text[2048];
    snprintf(text, sizeof text,
             "CREATE STREAM orders (user STRING KEY, id BIGINT, amount DOUBLE, ts BIGINT) "
             "WITH (KAFKA_TOPIC='%s', VALUE_FORMAT='JSON');"
             "%s",
             in,
             mode == 0 ? "CREATE STREAM big WITH (KAFKA_TOPIC='%s') AS SELECT user, id, amount "
                         "FROM orders WHERE amount > 50;"
                       : "CREATE TABLE per_user WITH (KAFKA_TOPIC='%s') AS SELECT user, "
                         "COUNT(*) AS n FROM orders GROUP BY user;");
    char sql[2048];
    snprintf(sql, sizeof sql, text, out);
    sl_arena_t arena = SL_ARENA_INIT;
    sl_sql_stmt_list_t *list;
    sl_sql_error_t pe;
    if (sl_sql_parse(sql, &arena, &list, &pe))
        die("sql", pe.message);
    for (size_t i = 0; i < list->n; i++)
        if (sl_sql_session_execute(sess, list->items[i], NULL, err, sizeof err))
            die("sql", err);
    double t0 = now_s();
    sl_streams_t *app = start_app(sl_sql_session_topology(sess), app_id);
    while (sl_streams_metric(app, "process-total") < nrecords) {
        if (sl_streams_state(app) == SL_STREAMS_ERROR)
            die("sql engine", sl_streams_error(app));
        usleep(1000);
    }
    sl_streams_close(app);
    double el = now_s() - t0;
    sl_sql_session_destroy(sess);
    sl_sql_catalog_destroy(cat);
    sl_client_destroy(c);
    sl_arena_free(&arena);
    return el;
}

static void report(const char *name, double engine, double baseline, double target)
{
    double e = (double)nrecords / engine, b = (double)nrecords / baseline;
    printf("%-34s engine %9.0f rec/s  baseline %9.0f rec/s  ratio %.2f  (target >= %.2f) %s\n",
           name, e, b, e / b, target, e / b >= target ? "met" : "NOT MET");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        nrecords = atol(argv[1]);
    snprintf(base, sizeof base, "%s/sluice-bench-engine-XXXXXX", argc > 2 ? argv[2] : "/tmp");
    if (!mkdtemp(base))
        die("mkdtemp", base);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    char data[4200], err[512];
    snprintf(data, sizeof data, "%s/data", base);
    if (sl_embedded_broker_start(data, "127.0.0.1:0", &eb, err, sizeof err))
        die("broker", err);
    printf("bench_engine: %ld JSON records per run, one partition, one stream thread\n", nrecords);

    make_input("in-10k", 10000);
    double base_a = run_baseline("in-10k", "base-a", 0);
    double eng_a = run_engine(0, "in-10k", "eng-a", "bench-a");
    report("(a) filter + project", eng_a, base_a, 0.5);

    double base_b = run_baseline("in-10k", "base-b", 1);
    double eng_b = run_engine(1, "in-10k", "eng-b", "bench-b");
    report("(b) count by user, 10K users", eng_b, base_b, 0.33);

    make_input("in-1m", 1000000);
    double base_c = run_baseline("in-1m", "base-c", 1);
    double eng_c = run_engine(1, "in-1m", "eng-c", "bench-c");
    report("(b) count by user, 1M users", eng_c, base_c, 0.33);

    double r = restart("in-1m", "eng-c", "bench-c");
    printf("%-34s %.3f s  (target < 1 s) %s\n", "(c) restart, 1M keys in the store", r,
           r < 1.0 ? "met" : "NOT MET");

    /* (d): SQL against the hand-built topologies of (a) and (b, 10K users). */
    double sql_a = run_sql(0, "in-10k", "sql-a", "bench-sql-a");
    printf("%-34s SQL %9.0f rec/s  hand-built %9.0f rec/s  ratio %.2f  (target >= 0.80) %s\n",
           "(d) SQL: filter + project", (double)nrecords / sql_a, (double)nrecords / eng_a,
           eng_a / sql_a, eng_a / sql_a >= 0.8 ? "met" : "NOT MET");
    double sql_b = run_sql(1, "in-10k", "sql-b", "bench-sql-b");
    printf("%-34s SQL %9.0f rec/s  hand-built %9.0f rec/s  ratio %.2f  (target >= 0.80) %s\n",
           "(d) SQL: count by user, 10K users", (double)nrecords / sql_b,
           (double)nrecords / eng_b, eng_b / sql_b, eng_b / sql_b >= 0.8 ? "met" : "NOT MET");
    fflush(stdout);

    sl_embedded_broker_stop(eb);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_engine: could not remove %s\n", base);
    return 0;
}
