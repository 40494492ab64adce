/* wordcount.c — the classic: count the words of the lines on a topic.
 *
 *   lines ─flat_map_values(words)─▶ group_by(word) ─▶ count ─▶ word-counts
 *
 * Embedded (no --bootstrap): starts a broker inside this process, writes the
 * lines of stdin (or a built-in text) to the topic "text-lines", runs the
 * topology until it has read them all, prints every word's count from the
 * store (an interactive query), and exits.
 *   ./build/bin/sample_wordcount < README.md
 * Against a running broker (`sluice broker`): reads "text-lines" (create it
 * first) until SIGINT/SIGTERM, or with --until-idle until it has caught up,
 * then prints the counts.
 *   ./build/bin/sample_wordcount --bootstrap 127.0.0.1:9092 --until-idle
 * Options: --state-dir DIR (default ./sluice-state), --data-dir DIR (the
 * embedded broker's; default a temporary directory), --commit-ms N,
 * --property KEY=VALUE (any engine setting, e.g.
 * consumer.group.instance.id=wc1 for a static group member). */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/sluice.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

/* One record per word of the line, lower-cased. */
static void words(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    const char *s = value;
    if (!s)
        return;
    size_t n = strlen(s);
    char *w = sl_ctx_alloc(ctx, n + 1);
    if (!w)
        return;
    for (size_t i = 0; i <= n; i++)
        w[i] = (char)(isalnum((unsigned char)s[i]) ? tolower((unsigned char)s[i]) : 0);
    for (size_t i = 0; i < n; i++) {
        if (w[i] && (i == 0 || !w[i - 1]))
            sl_ctx_forward(ctx, NULL, w + i); /* flat_map_values keeps the key */
    }
}

static const void *the_word(void *arg, sl_ctx_t *ctx, const void *key, const void *value)
{
    return value;
}

static int print_count(void *arg, const void *key, const void *value)
{
    printf("%s\t%lld\n", (const char *)key, (long long)*(const int64_t *)value);
    return 0;
}

static const char *demo[] = {
    "all streams flow to the sea",
    "yet the sea is not full",
    "to the place from whence the streams come",
    "thither they return again",
};

static void usage(void)
{
    fprintf(stderr, "usage: sample_wordcount [--bootstrap HOST:PORT [--until-idle]] "
                    "[--state-dir DIR] [--data-dir DIR] [--commit-ms N] [--property K=V]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *state_dir = "./sluice-state", *data_dir = NULL;
    const char *commit_ms = "1000";
    int until_idle = 0;
    const char *props[64];
    int nprops = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bootstrap") && i + 1 < argc)
            bootstrap = argv[++i];
        else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc)
            state_dir = argv[++i];
        else if (!strcmp(argv[i], "--data-dir") && i + 1 < argc)
            data_dir = argv[++i];
        else if (!strcmp(argv[i], "--commit-ms") && i + 1 < argc)
            commit_ms = argv[++i];
        else if (!strcmp(argv[i], "--property") && i + 1 < argc && nprops < 64)
            props[nprops++] = argv[++i];
        else if (!strcmp(argv[i], "--until-idle"))
            until_idle = 1;
        else
            usage();
    }
    char err[1024], tmpdir[] = "/tmp/sluice-wordcount-XXXXXX";
    sl_embedded_broker_t *eb = NULL;
    if (!bootstrap) {
        until_idle = 1;
        if (!data_dir && !(data_dir = mkdtemp(tmpdir))) {
            perror("mkdtemp");
            return 1;
        }
        if (sl_embedded_broker_start(data_dir, NULL, &eb, err, sizeof err)) {
            fprintf(stderr, "sample_wordcount: broker: %s\n", err);
            return 1;
        }
        /* Feed the lines. */
        sl_client_t *c;
        if (sl_client_new(NULL, eb, &c, err, sizeof err) ||
            sl_client_create_topic(c, "text-lines", 3, err, sizeof err)) {
            fprintf(stderr, "sample_wordcount: %s\n", err);
            return 1;
        }
        char line[4096];
        if (!isatty(0)) {
            while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, "\n")] = 0;
                sl_client_produce(c, "text-lines", NULL, 0, line, strlen(line), -1);
            }
        } else {
            for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++)
                sl_client_produce(c, "text-lines", NULL, 0, demo[i], strlen(demo[i]), -1);
        }
        if (sl_client_flush(c, -1)) {
            fprintf(stderr, "sample_wordcount: cannot write the lines\n");
            return 1;
        }
        sl_client_destroy(c);
    }

    sl_topology_t *t = sl_topology_new();
    sl_topology_set_default_serdes(t, &sl_serde_string, &sl_serde_string);
    sl_kstream_t *lines = sl_stream(t, (const char *[]){"text-lines"}, 1, NULL);
    sl_kgroupedstream_t *by_word =
        sl_kstream_group_by(sl_kstream_flat_map_values(lines, words, NULL), the_word, NULL, NULL);
    sl_materialized_t m = {.store_name = "counts", .value_serde = &sl_serde_int64};
    sl_produced_t p = {.value_serde = &sl_serde_int64};
    sl_kstream_to(sl_ktable_to_stream(sl_kgroupedstream_count(by_word, &m)), "word-counts", &p);
    if (sl_topology_error(t)) {
        fprintf(stderr, "sample_wordcount: %s\n", sl_topology_error(t));
        return 1;
    }

    sl_config_t *cfg = sl_config_new();
    sl_config_set(cfg, "application.id", "wordcount", NULL, 0);
    sl_config_set(cfg, "state.dir", state_dir, NULL, 0);
    sl_config_set(cfg, "commit.interval.ms", commit_ms, NULL, 0);
    if (bootstrap)
        sl_config_set(cfg, "bootstrap.servers", bootstrap, NULL, 0);
    for (int i = 0; i < nprops; i++) {
        char kv[1024];
        snprintf(kv, sizeof kv, "%s", props[i]);
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "sample_wordcount: --property wants KEY=VALUE, not '%s'\n", kv);
            return 2;
        }
        *eq = 0;
        if (sl_config_set(cfg, kv, eq + 1, err, sizeof err) == SL_ERR_CONFIG) {
            fprintf(stderr, "sample_wordcount: %s\n", err);
            return 2;
        }
    }
    sl_streams_t *app;
    if (sl_streams_new(t, cfg, eb, &app, err, sizeof err) ||
        sl_streams_start(app, err, sizeof err)) {
        fprintf(stderr, "sample_wordcount: %s\n", err);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int rc = 0;
    if (until_idle) {
        sl_err_t e = sl_streams_wait_idle(app, 120000);
        if (e) {
            fprintf(stderr, "sample_wordcount: not caught up: %s %s\n", sl_err_name(e),
                    sl_streams_error(app));
            rc = 1;
        }
    } else {
        /* A status line whenever something moved: what was restored shows
         * as soon as the tasks are open. */
        long long last[3] = {-1, -1, -1};
        while (!stop && sl_streams_state(app) == SL_STREAMS_RUNNING) {
            long long now[3] = {sl_streams_metric(app, "tasks"),
                                sl_streams_metric(app, "process-total"),
                                sl_streams_metric(app, "restored-records")};
            if (memcmp(now, last, sizeof now)) {
                fprintf(stderr, "sample_wordcount: tasks %lld, processed %lld, restored %lld\n",
                        now[0], now[1], now[2]);
                memcpy(last, now, sizeof now);
            }
            usleep(100000);
        }
    }
    if (sl_streams_state(app) == SL_STREAMS_ERROR) {
        fprintf(stderr, "sample_wordcount: %s\n", sl_streams_error(app));
        rc = 1;
    }
    fprintf(stderr, "sample_wordcount: processed %lld records, restored %lld\n",
            (long long)sl_streams_metric(app, "process-total"),
            (long long)sl_streams_metric(app, "restored-records"));
    if (until_idle && !rc)
        sl_streams_kv_all(app, "counts", print_count, NULL);
    sl_streams_close(app);
    sl_config_destroy(cfg);
    sl_topology_destroy(t);
    sl_embedded_broker_stop(eb);
    if (data_dir == tmpdir) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "sample_wordcount: could not remove %s\n", tmpdir);
    }
    return rc;
}
