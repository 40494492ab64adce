/* client.h — what the librdkafka client commands (topic, produce, consume,
 * bench) share: the common options, the librdkafka configuration they build,
 * quiet logging, and the first contact with the cluster. Private to repl/. */
#ifndef SL_REPL_CLIENT_H
#define SL_REPL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* Exit statuses of the client commands (the DESIGN.md contract). */
#define SL_EXIT_OK 0
#define SL_EXIT_FAIL 1  /* the command ran and failed; a one-line reason on stderr */
#define SL_EXIT_USAGE 2 /* bad usage; the usage line on stderr */

#define SL_CLIENT_DEFAULT_BOOTSTRAP "127.0.0.1:9092"
#define SL_CLIENT_MAX_PROPS 64

/* The options every client command takes, and what librdkafka told us about
 * the cluster through the error callback. One per command run. */
typedef struct sl_client {
    const char *cmd;                        /* "topic create", "produce", ... for messages */
    const char *bootstrap;                  /* --bootstrap, else $SLUICE_BOOTSTRAP, else the default */
    int debug;                              /* --debug: librdkafka's log lines go to stderr */
    const char *props[SL_CLIENT_MAX_PROPS]; /* --property k=v, in order; point into argv */
    size_t nprops;

    /* Written by the error callback (which runs in the thread that polls). */
    int all_down;       /* saw RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN */
    int fatal;          /* saw a fatal error (e.g. the idempotent producer's) */
    char last_err[512]; /* the last error's text, other than "all brokers down" */
} sl_client_t;

/* Sets the defaults: bootstrap from $SLUICE_BOOTSTRAP or 127.0.0.1:9092. */
void sl__client_init(sl_client_t *c, const char *cmd);

/* Matches argv[*i] against the option name (both "--name VALUE" and
 * "--name=VALUE"). Returns 1 and sets *val (and advances *i past a separate
 * value) on a match, 0 when argv[*i] is another option, -1 when the option
 * has no value (a usage message has been printed). */
int sl__client_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* Consumes argv[*i] when it is a common option (--bootstrap, --property,
 * --debug): returns 1 on a match, 0 when it is not one, -1 on a usage error
 * (message printed). */
int sl__client_common_opt(sl_client_t *c, int argc, char **argv, int *i);

/* Parses a non-negative decimal integer that fits in [min, max]; returns 0 on
 * success, -1 (message printed naming the option) otherwise. */
int sl__client_parse_int(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out);

/* Builds a librdkafka configuration: the common settings (bootstrap, quiet or
 * --debug logging, bounded connection timeouts, the error callback), then
 * `defaults` (NULL-terminated key, value pairs; may be NULL), then the
 * --property settings, which win. Returns NULL with a one-line reason printed
 * on failure. The caller owns the result (rd_kafka_new consumes it on
 * success). The client must outlive the handle made from it. */
rd_kafka_conf_t *sl__client_conf(sl_client_t *c, const char *const *defaults);

/* Makes a handle of the given type from sl__client_conf; NULL with the reason
 * printed on failure. */
rd_kafka_t *sl__client_new(sl_client_t *c, rd_kafka_type_t type, const char *const *defaults);

/* Waits until some broker answers a Metadata request, at most timeout_ms, and
 * gives up early when librdkafka reports every broker down (e.g. connection
 * refused). Serves the handle's main queue, so call it before redirecting
 * that queue (rd_kafka_poll_set_consumer). Returns 0, or -1 with "cannot
 * reach BOOTSTRAP: reason" printed. */
int sl__client_connect(sl_client_t *c, rd_kafka_t *rk, int timeout_ms);

/* Prints "sluice CMD: message" and a newline on stderr. */
void sl__client_fail(const sl_client_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Destroys the handle; NULL is a no-op. main() waits for librdkafka's
 * threads to end (rd_kafka_wait_destroyed) once the command has returned. */
void sl__client_destroy(rd_kafka_t *rk);

/* Monotonic clock in microseconds. */
int64_t sl__client_now_us(void);

/* The commands, each taking argv from its own name on. */
int sl__cmd_topic(int argc, char **argv);
int sl__cmd_produce(int argc, char **argv);
int sl__cmd_consume(int argc, char **argv);
int sl__cmd_bench(int argc, char **argv);
int sl__cmd_groups(int argc, char **argv);
int sl__cmd_cluster(int argc, char **argv);

#endif
