/* cmd_broker.c — `sluice broker`: runs a single-node Kafka-protocol broker
 * until SIGTERM or SIGINT, then stops gracefully (checkpoints written). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/broker.h"
#include "common/trace.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sluice broker [--config FILE] [--node-id N] [--listen HOST:PORT] [--data-dir DIR]\n"
               "                     [--controller-quorum ID@HOST:PORT,...] [--override KEY=VALUE]...\n");
}

int sl__cmd_broker(int argc, char **argv)
{
    sl_broker_config_t cfg;
    sl_broker_config_default(&cfg);
    char err[1024] = "";
    /* The config file first, then the command line over it (as Kafka's
     * kafka-server-start.sh FILE --override). */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                usage(stderr);
                return 2;
            }
            if (sl_broker_config_load(&cfg, argv[i + 1], err, sizeof err) != SL_OK) {
                fprintf(stderr, "sluice broker: %s\n", err);
                return 1;
            }
        }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char *key = NULL;
        char kv[1024];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        } else if (strcmp(a, "--node-id") == 0) {
            key = "node.id";
        } else if (strcmp(a, "--controller-quorum") == 0) {
            key = "controller.quorum.voters";
        } else if (strcmp(a, "--data-dir") == 0) {
            key = "log.dirs";
        } else if (strcmp(a, "--listen") == 0) {
            key = "listeners";
        } else if (strcmp(a, "--override") == 0 && v && strchr(v, '=')) {
            snprintf(kv, sizeof kv, "%s", v);
            char *eq = strchr(kv, '=');
            *eq = 0;
            key = kv;
            v = eq + 1;
        } else {
            fprintf(stderr, "sluice broker: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (!v) {
            usage(stderr);
            return 2;
        }
        sl_err_t e = sl_broker_config_set(&cfg, key, v, err, sizeof err);
        if (e) {
            fprintf(stderr, "sluice broker: %s\n", err);
            return e == SL_ERR_INVAL ? 2 : 1;
        }
        i++;
    }
    /* Signals are taken by sigwait below, in this thread only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sl_trace_level() > SL_TRACE_INFO && !getenv("SLUICE_TRACE"))
        sl_trace_set_sink(NULL, NULL, SL_TRACE_INFO);

    sl_broker_t *b;
    sl_err_t e = sl_broker_start(&cfg, &b, err, sizeof err);
    if (e) {
        fprintf(stderr, "sluice broker: %s\n", err[0] ? err : sl_err_str(e));
        return 1;
    }
    /* One line for people and scripts: where clients connect. */
    printf("sluice broker: node %d listening on %s:%d, data in %s\n", (int)cfg.node_id,
           cfg.listener_host[0] ? cfg.listener_host : "0.0.0.0", sl_broker_port(b), cfg.data_dir);
    fflush(stdout);
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "sluice broker: %s received, stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    sl_broker_stop(b);
    return 0;
}
