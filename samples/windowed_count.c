/* windowed_count.c — clicks per user per minute: a tumbling-window count,
 * with late records (past the grace period) dropped and counted.
 *
 *   clicks (user → page) ─group_by_key─▶ windowed_by(1 min, grace 10 s) ─▶ count
 *                                     ─▶ clicks-per-minute (user@start → count)
 *
 * Each update of a window's count is printed as "user <TAB> window start (s)
 * <TAB> count" (the record cache folds the updates of one commit), then the
 * number of late records dropped. Embedded, window starts are seconds from
 * the start of the input; against a broker, seconds since the epoch.
 *
 * Embedded (no --bootstrap): starts a broker in this process, writes clicks
 * given on stdin as "SECONDS USER PAGE" lines (event times in seconds; or a
 * built-in set), runs until caught up, prints, exits.
 *   printf '0 alice /a\n30 alice /b\n61 alice /c\n' | ./build/bin/sample_windowed_count
 * Against a running broker: reads the topic "clicks" (key: user; value: page;
 * the record timestamps are the event times) until SIGINT/SIGTERM, or with
 * --until-idle until caught up.
 *   ./build/bin/sample_windowed_count --bootstrap 127.0.0.1:9092 --until-idle
 * Options: --state-dir DIR (default ./sluice-state), --data-dir DIR. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/sluice.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

/* Embedded: event times are seconds from this (a whole minute); printed so. */
static int64_t base_ms;

static void print_window(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const sl_windowed_t *w = key;
    if (value)
        printf("%s\t%lld\t%lld\n", (const char *)w->key, (long long)((w->start - base_ms) / 1000),
               (long long)*(const int64_t *)value);
}

static const char *demo[] = {
    "0 alice /home", "10 bob /home",  "30 alice /cart", "59 alice /pay", "61 alice /home",
    "65 bob /cart",  "50 bob /late", /* within grace: counts in the first minute */
    "130 alice /x",  "55 carol /too-late", /* past the first minute's grace: dropped */
};

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
            fprintf(stderr, "usage: sample_windowed_count [--bootstrap HOST:PORT [--until-idle]] "
                            "[--state-dir DIR] [--data-dir DIR]\n");
            return 2;
        }
    }
    char err[1024], tmpdir[] = "/tmp/sluice-windowed-XXXXXX";
    sl_embedded_broker_t *eb = NULL;
    if (!bootstrap) {
        until_idle = 1;
        if (!data_dir && !(data_dir = mkdtemp(tmpdir))) {
            perror("mkdtemp");
            return 1;
        }
        if (sl_embedded_broker_start(data_dir, NULL, &eb, err, sizeof err)) {
            fprintf(stderr, "sample_windowed_count: broker: %s\n", err);
            return 1;
        }
        base_ms = 1700000000000LL - 1700000000000LL % 60000;
        sl_client_t *c;
        if (sl_client_new(NULL, eb, &c, err, sizeof err) ||
            sl_client_create_topic(c, "clicks", 1, err, sizeof err)) {
            fprintf(stderr, "sample_windowed_count: %s\n", err);
            return 1;
        }
        char line[1024];
        const size_t ndemo = sizeof demo / sizeof demo[0];
        for (size_t i = 0;; i++) {
            const char *l = NULL;
            if (!isatty(0))
                l = fgets(line, sizeof line, stdin);
            else if (i < ndemo)
                l = demo[i];
            if (!l)
                break;
            long long secs;
            char user[128], page[512];
            if (sscanf(l, "%lld %127s %511s", &secs, user, page) != 3) {
                fprintf(stderr, "sample_windowed_count: skipping '%s'\n", l);
                continue;
            }
            sl_client_produce(c, "clicks", user, strlen(user), page, strlen(page),
                              base_ms + secs * 1000);
        }
        if (sl_client_flush(c, -1)) {
            fprintf(stderr, "sample_windowed_count: cannot write the clicks\n");
            return 1;
        }
        sl_client_destroy(c);
    }

    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *clicks = sl_stream(t, (const char *[]){"clicks"}, 1, NULL);
    sl_time_windows_t w = {.size_ms = 60000, .grace_ms = 10000};
    sl_materialized_t m = {.store_name = "clicks-per-minute", .value_serde = &sl_serde_int64};
    sl_ktable_t *counts =
        sl_twstream_count(sl_kgroupedstream_windowed_by(sl_kstream_group_by_key(clicks, NULL), &w), &m);
    sl_kstream_t *updates = sl_ktable_to_stream(counts);
    sl_serde_t wkey = sl_serde_time_windowed(&sl_serde_string, 60000);
    sl_produced_t p = {.key_serde = &wkey, .value_serde = &sl_serde_int64};
    sl_kstream_to(updates, "clicks-per-minute", &p);
    sl_kstream_foreach(updates, print_window, NULL);
    if (sl_topology_error(t)) {
        fprintf(stderr, "sample_windowed_count: %s\n", sl_topology_error(t));
        return 1;
    }

    sl_config_t *cfg = sl_config_new();
    sl_config_set(cfg, "application.id", "windowed-count", NULL, 0);
    sl_config_set(cfg, "state.dir", state_dir, NULL, 0);
    if (bootstrap)
        sl_config_set(cfg, "bootstrap.servers", bootstrap, NULL, 0);
    sl_streams_t *app;
    if (sl_streams_new(t, cfg, eb, &app, err, sizeof err) ||
        sl_streams_start(app, err, sizeof err)) {
        fprintf(stderr, "sample_windowed_count: %s\n", err);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = 0;
    if (until_idle) {
        if (sl_streams_wait_idle(app, 120000)) {
            fprintf(stderr, "sample_windowed_count: not caught up: %s\n", sl_streams_error(app));
            rc = 1;
        }
    } else {
        while (!stop && sl_streams_state(app) == SL_STREAMS_RUNNING)
            usleep(100000);
    }
    if (sl_streams_state(app) == SL_STREAMS_ERROR) {
        fprintf(stderr, "sample_windowed_count: %s\n", sl_streams_error(app));
        rc = 1;
    }
    printf("dropped\t%lld\n", (long long)sl_streams_metric(app, "dropped-records"));
    sl_streams_close(app);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
    sl_embedded_broker_stop(eb);
    if (data_dir == tmpdir) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "sample_windowed_count: could not remove %s\n", tmpdir);
    }
    return rc;
}
