/* pageviews.c — enrich a stream of page views with a table of user regions
 * (a stream-table join), and count views per region.
 *
 *   pageviews (user → page) ─left_join_table(users: user → region)─▶ pageviews-enriched
 *                                                                    (user → "page@region")
 *                           └─group_by(region)─▶ count ─▶ store "views-per-region"
 *
 * Embedded (no --bootstrap): starts a broker in this process, writes a few
 * users and page views ("user region" lines on the users topic, then "user
 * page" lines on the pageviews topic, from the built-in data or from stdin as
 * "U user region" / "V user page" lines), runs until caught up, prints the
 * enriched views and the counts per region, and exits.
 *   ./build/bin/sample_pageviews
 * Against a running broker: reads the topics "users" and "pageviews" (create
 * them first, with the same partition count: the join needs them
 * co-partitioned) and runs until SIGINT/SIGTERM, or with --until-idle until
 * it has caught up, then prints the counts.
 *   ./build/bin/sample_pageviews --bootstrap 127.0.0.1:9092 --until-idle
 * Options: --state-dir DIR (default ./sluice-state), --data-dir DIR. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/sluice.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

/* "page@region" (region "unknown" for a user not in the table yet). */
static const void *enrich(void *arg, sl_ctx_t *ctx, const void *user, const void *page,
                          const void *region)
{
    const char *r = region ? region : "unknown";
    size_t n = strlen(page) + strlen(r) + 2;
    char *out = sl_ctx_alloc(ctx, n);
    if (out)
        snprintf(out, n, "%s@%s", (const char *)page, r);
    return out;
}

static const void *region_of(void *arg, sl_ctx_t *ctx, const void *user, const void *view)
{
    const char *at = strrchr(view, '@');
    return at ? at + 1 : "unknown";
}

static void print_view(void *arg, sl_ctx_t *ctx, const void *user, const void *view)
{
    printf("view\t%s\t%s\n", (const char *)user, (const char *)view);
}

static int print_count(void *arg, const void *key, const void *value)
{
    printf("region\t%s\t%lld\n", (const char *)key, (long long)*(const int64_t *)value);
    return 0;
}

static const char *demo[] = {
    "U alice eu", "U bob us", "V alice /home", "V bob /cart", "V carol /home",
    "U carol apac", "V carol /pay", "V alice /pay",
};

/* Lines get increasing timestamps, one millisecond apart: the join takes
 * the users and the page views in the order of their times. */
static int feed(sl_client_t *c, const char *line, int64_t ts)
{
    char kind, user[128], rest[512];
    if (sscanf(line, " %c %127s %511s", &kind, user, rest) != 3 || (kind != 'U' && kind != 'V'))
        return -1;
    const char *topic = kind == 'U' ? "users" : "pageviews";
    return sl_client_produce(c, topic, user, strlen(user), rest, strlen(rest), ts) ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *state_dir = "./sluice-state", *data_dir = NULL;
    int until_idle = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bootstrap") && i + 1 < argc)
            bootstrap = argv[++i];
        else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc)
            state_dir = argv[++i];
        else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
            data_dir = argv[++i];
        else if (!strcmp(argv[i], "--until-idle"))
            until_idle = 1;
        else {
            fprintf(stderr, "usage: sample_pageviews [--bootstrap HOST:PORT [--until-idle]] "
                            "[--state-dir DIR] [--data-dir DIR]\n");
            return 2;
        }
    }
    char err[1024], tmpdir[] = "/tmp/sluice-pageviews-XXXXXX";
    sl_embedded_broker_t *eb = NULL;
    if (!bootstrap) {
        until_idle = 1;
        if (!data_dir && !(data_dir = mkdtemp(tmpdir))) {
            perror("mkdtemp");
            return 1;
        }
        if (sl_embedded_broker_start(data_dir, NULL, &eb, err, sizeof err)) {
            fprintf(stderr, "sample_pageviews: broker: %s\n", err);
            return 1;
        }
        sl_client_t *c;
        if (sl_client_new(NULL, eb, &c, err, sizeof err) ||
            sl_client_create_topic(c, "users", 2, err, sizeof err) ||
            sl_client_create_topic(c, "pageviews", 2, err, sizeof err)) {
            fprintf(stderr, "sample_pageviews: %s\n", err);
            return 1;
        }
        char line[1024];
        int64_t ts = 1700000000000;
        if (!isatty(0)) {
            while (fgets(line, sizeof line, stdin))
                if (line[strspn(line, " \t\n")] && feed(c, line, ts++))
                    fprintf(stderr, "sample_pageviews: skipping '%s'\n", strtok(line, "\n"));
        } else {
            for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++)
                feed(c, demo[i], ts++);
        }
        if (sl_client_flush(c, -1)) {
            fprintf(stderr, "sample_pageviews: cannot write the input\n");
            return 1;
        }
        sl_client_destroy(c);
    }

    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_ktable_t *users = sl_table(t, "users", NULL, NULL);
    sl_kstream_t *views = sl_stream(t, (const char *[]){"pageviews"}, 1, NULL);
    sl_kstream_t *enriched = sl_kstream_left_join_table(views, users, enrich, NULL, NULL);
    sl_kstream_to(enriched, "pageviews-enriched", NULL);
    sl_kstream_foreach(enriched, print_view, NULL);
    sl_materialized_t m = {.store_name = "views-per-region", .value_serde = &sl_serde_int64};
    sl_kgroupedstream_count(sl_kstream_group_by(enriched, region_of, NULL, NULL), &m);
    if (sl_topology_error(t)) {
        fprintf(stderr, "sample_pageviews: %s\n", sl_topology_error(t));
        return 1;
    }

    sl_config_t *cfg = sl_config_new();
    sl_config_set(cfg, "application.id", "pageviews", NULL, 0);
    sl_config_set(cfg, "state.dir", state_dir, NULL, 0);
    sl_config_set(cfg, "commit.interval.ms", "1000", NULL, 0);
    if (bootstrap)
        sl_config_set(cfg, "bootstrap.servers", bootstrap, NULL, 0);
    sl_streams_t *app;
    if (sl_streams_new(t, cfg, eb, &app, err, sizeof err) ||
        sl_streams_start(app, err, sizeof err)) {
        fprintf(stderr, "sample_pageviews: %s\n", err);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = 0;
    if (until_idle) {
        if (sl_streams_wait_idle(app, 120000)) {
            fprintf(stderr, "sample_pageviews: not caught up: %s\n", sl_streams_error(app));
            rc = 1;
        }
    } else {
        while (!stop && sl_streams_state(app) == SL_STREAMS_RUNNING)
            usleep(100000);
    }
    if (sl_streams_state(app) == SL_STREAMS_ERROR) {
        fprintf(stderr, "sample_pageviews: %s\n", sl_streams_error(app));
        rc = 1;
    }
    if (until_idle && !rc)
        sl_streams_kv_all(app, "views-per-region", print_count, NULL);
    sl_streams_close(app);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
    sl_embedded_broker_stop(eb);
    if (data_dir == tmpdir) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "sample_pageviews: could not remove %s\n", tmpdir);
    }
    return rc;
}
