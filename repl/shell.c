/* shell.c — the SQL shell: `sluice` with no command opens it on an embedded
 * broker and engine, the way a ksqlDB user works at the ksql CLI but in one
 * process; `-e SQL`, `-f FILE` and statements on a non-terminal stdin run a
 * script and exit (status 1 when a statement fails).
 *
 * Each persistent query (CREATE … AS SELECT, INSERT INTO … SELECT) runs as
 * an engine application of its own (application.id
 * _confluent-ksql-default_query_<ID>, as ksqlDB names them), so TERMINATE
 * stops one without touching the others. A push query (SELECT … EMIT
 * CHANGES) runs the same way into a hidden stream or table whose topic the
 * shell reads and prints until LIMIT rows or Ctrl-C, then it is terminated
 * and its topic deleted. PRINT reads a topic with a librdkafka consumer of
 * the embedded broker.
 *
 * Not yet (issue 7): the SQLite catalog (streams, tables and queries last as
 * long as the process), pull queries, DESCRIBE EXTENDED figures, EXPLAIN,
 * tab completion. */
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <readline.h> /* libedit's (pkg-config libedit: -I.../editline) */
#include <librdkafka/rdkafka.h>

#include <sluice/sluice.h>

#include "common/buf.h"
#include "repl/shell_db.h"
#include "sql/catalog.h"
#include "sql/expr.h"
#include "sql/format.h"
#include "sql/func.h"
#include "sql/session.h"
#include "sql/sql_parse.h"

#define ENGINE_APP_PREFIX "_confluent-ksql-default_query_"
#define PLOG_TOPIC "default_ksql_processing_log"

/* ---- the shell's state -------------------------------------------------------------------------- */

typedef struct running {
    char *id;
    char *sql;   /* the statement that made it */
    char *props; /* the SET properties it started with */
    sl_topology_t *topo;
    sl_streams_t *app;
    int64_t started_ms;
} running_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct prop {
    char *key, *value;
} prop_t;

typedef struct shell {
    char *data_dir;
    int json;         /* --output json */
    int interactive;  /* a terminal: errors do not end the run */
    sl_embedded_broker_t *eb;
    sl_client_t *client;
    sl_sql_catalog_t *cat;
    sl_sql_session_t *sess;
    sl_arena_t arena; /* statements (the session may point into their trees) */
    sl_sql_var_t *vars;
    size_t nvars, vars_cap;
    prop_t *props;
    size_t nprops, props_cap;
    running_t *runs;
    size_t nruns, runs_cap;
    int transient_seq;
    sl_shell_db_t *db; /* the catalog: statements replayed on start */
} shell_t;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void err_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void err_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- results: aligned tables (as the ksql CLI prints them) or JSON lines ------------------------ */

typedef struct result {
    size_t ncols;
    char **names;
    char **cells; /* row-major, ncols per row: the text shown */
    char **json;  /* the same cells as JSON values (strings quoted) */
    size_t nrows, cap;
} result_t;

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        err_line("sluice: out of memory");
        exit(1); /* the shell's own process, not library code */
    }
    return d;
}

static char *json_string(const char *s)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_append(&b, "\"", 1);
    for (const char *p = s; *p; p++) {
        char e[8];
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            snprintf(e, sizeof e, "\\%c", c);
        else if (c < 0x20)
            snprintf(e, sizeof e, "\\u%04x", c);
        else
            e[0] = (char)c, e[1] = 0;
        sl_buf_append(&b, e, strlen(e));
    }
    sl_buf_append(&b, "\"", 2);
    char *r = xstrdup(b.data ? (const char *)b.data : "\"\"");
    sl_buf_free(&b);
    return r;
}

static void result_init(result_t *r, size_t ncols, const char *const *names)
{
    memset(r, 0, sizeof *r);
    r->ncols = ncols;
    r->names = calloc(ncols ? ncols : 1, sizeof *r->names);
    if (!r->names)
        exit(1);
    for (size_t i = 0; i < ncols; i++)
        r->names[i] = xstrdup(names[i]);
}

/* Adds a row: text cells, and their JSON (NULL: the text as a JSON string). */
static void result_add(result_t *r, const char *const *text, const char *const *json)
{
    if (r->nrows == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->cells = realloc(r->cells, r->cap * r->ncols * sizeof *r->cells);
        r->json = realloc(r->json, r->cap * r->ncols * sizeof *r->json);
        if (!r->cells || !r->json)
            exit(1);
    }
    for (size_t i = 0; i < r->ncols; i++) {
        r->cells[r->nrows * r->ncols + i] = xstrdup(text[i]);
        r->json[r->nrows * r->ncols + i] =
            json && json[i] ? xstrdup(json[i]) : json_string(text[i]);
    }
    r->nrows++;
}

static void result_free(result_t *r)
{
    for (size_t i = 0; i < r->ncols; i++)
        free(r->names[i]);
    for (size_t i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]), free(r->json[i]);
    free(r->names), free(r->cells), free(r->json);
}

static void print_json_row(const result_t *r, size_t row)
{
    putchar('{');
    for (size_t c = 0; c < r->ncols; c++) {
        char *k = json_string(r->names[c]);
        printf("%s%s:%s", c ? "," : "", k, r->json[row * r->ncols + c]);
        free(k);
    }
    puts("}");
}

static void result_print(const shell_t *sh, const result_t *r)
{
    if (sh->json) {
        for (size_t i = 0; i < r->nrows; i++)
            print_json_row(r, i);
        fflush(stdout);
        return;
    }
    size_t *w = calloc(r->ncols ? r->ncols : 1, sizeof *w), total = 0;
    if (!w)
        exit(1);
    for (size_t c = 0; c < r->ncols; c++) {
        w[c] = strlen(r->names[c]);
        for (size_t i = 0; i < r->nrows; i++) {
            size_t l = strlen(r->cells[i * r->ncols + c]);
            w[c] = l > w[c] ? l : w[c];
        }
        total += w[c] + 3;
    }
    for (size_t c = 0; c < r->ncols; c++)
        printf(" %-*s %s", (int)w[c], r->names[c], c + 1 < r->ncols ? "|" : "\n");
    for (size_t i = 0; i < total; i++)
        putchar('-');
    putchar('\n');
    for (size_t i = 0; i < r->nrows; i++)
        for (size_t c = 0; c < r->ncols; c++)
            printf(" %-*s %s", (int)w[c], r->cells[i * r->ncols + c], c + 1 < r->ncols ? "|" : "\n");
    for (size_t i = 0; i < total; i++)
        putchar('-');
    putchar('\n');
    fflush(stdout);
    free(w);
}

/* A one-column message ("Stream created"), as ksql prints it. */
static void print_message(const shell_t *sh, const char *msg)
{
    if (!msg || !*msg)
        return;
    const char *names[] = {"message"};
    result_t r;
    result_init(&r, 1, names);
    result_add(&r, &msg, NULL);
    if (sh->json) {
        result_print(sh, &r);
    } else {
        printf(" Message\n");
        size_t l = strlen(msg) + 2;
        for (size_t i = 0; i < l; i++)
            putchar('-');
        printf("\n %s\n", msg);
        for (size_t i = 0; i < l; i++)
            putchar('-');
        putchar('\n');
        fflush(stdout);
    }
    result_free(&r);
}

/* ---- running queries --------------------------------------------------------------------------- */

/* The SET properties as "key=value" lines (malloc'd), as the catalog keeps
 * them with each query. */
static char *props_text(const shell_t *sh)
{
    sl_buf_t b = SL_BUF_INIT;
    for (size_t i = 0; i < sh->nprops; i++) {
        sl_buf_append(&b, sh->props[i].key, strlen(sh->props[i].key));
        sl_buf_append(&b, "=", 1);
        sl_buf_append(&b, sh->props[i].value, strlen(sh->props[i].value));
        sl_buf_append(&b, "\n", 1);
    }
    sl_buf_append(&b, "", 1);
    char *r = xstrdup((const char *)b.data);
    sl_buf_free(&b);
    return r;
}

/* The engine's name for a SET property (ksqlDB's "ksql.streams." prefix
 * taken off), or NULL for a ksqlDB setting the shell reads itself ("ksql.…")
 * or one a query must not change (its application, state and topics are the
 * shell's). */
static const char *engine_key(const char *key)
{
    if (!strncasecmp(key, "ksql.streams.", 13))
        key += 13;
    else if (!strncasecmp(key, "ksql.", 5))
        return NULL;
    static const char *const fixed[] = {"application.id", "state.dir", "bootstrap.servers",
                                        "processing.log.topic"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (!strcasecmp(key, fixed[i]))
            return NULL;
    return key;
}

/* Calls fn(arg, key, value) for each "key=value" line of props (lines
 * without '=' are skipped; key and value are cut to 255 bytes). */
static void props_foreach(const char *props, void (*fn)(void *arg, const char *k, const char *v),
                          void *arg)
{
    for (const char *p = props; p && *p;) {
        const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            char k[256], v[256];
            snprintf(k, sizeof k, "%.*s", (int)(eq - p), p);
            snprintf(v, sizeof v, "%.*s", (int)(end - eq - 1), eq + 1);
            fn(arg, k, v);
        }
        p = nl ? nl + 1 : end;
    }
}

static void engine_prop(void *arg, const char *k, const char *v)
{
    const char *key = engine_key(k);
    if (key)
        sl_config_set(arg, key, v, NULL, 0);
}

/* Sets the engine settings among props ("key=value" lines, ksqlDB's names,
 * with or without "ksql.streams."): every key but the ksql.* settings and
 * those the shell fixes. Keys the engine does not know are kept by it and
 * unused (as Kafka keeps unknown configs). */
static void apply_props(sl_config_t *cfg, const char *props)
{
    props_foreach(props, engine_prop, cfg);
}

static void session_prop(void *arg, const char *k, const char *v)
{
    if (sl_sql_session_is_property(k))
        sl_sql_session_set_property(arg, k, v, NULL, 0);
}

/* Sets the SQL compiler's properties among props ("key=value" lines) in
 * sess, and resets the others (all of them for props NULL). */
static void apply_session_props(sl_sql_session_t *sess, const char *props)
{
    sl_sql_session_set_property(sess, NULL, NULL, NULL, 0);
    props_foreach(props, session_prop, sess);
}

/* Starts the topology the session compiled last as the application of query
 * id, with the properties props ("key=value" lines). push: a push query —
 * every update at once. */
static int start_query(shell_t *sh, const char *id, const char *props, int push, const char *sql,
                       size_t sql_len)
{
    sl_topology_t *t = sl_sql_session_take_topology(sh->sess);
    if (!t) {
        err_line("out of memory");
        return -1;
    }
    char app_id[300], state_dir[4096], err[1024];
    /* A push query's application is new each time (ksqlDB's transient_…):
     * no offsets or state of an earlier one. */
    static unsigned transient_no;
    if (push)
        snprintf(app_id, sizeof app_id, ENGINE_APP_PREFIX "transient_%s_%ld_%lld_%u", id,
                 (long)getpid(), (long long)time(NULL), transient_no++);
    else
        snprintf(app_id, sizeof app_id, ENGINE_APP_PREFIX "%s", id);
    snprintf(state_dir, sizeof state_dir, "%s/streams", sh->data_dir);
    sl_config_t *cfg = sl_config_new();
    if (!cfg) {
        sl_topology_destroy(t);
        return -1;
    }
    /* ksqlDB's defaults: from the end of the inputs, commits every 2 s;
     * then the SET properties the query was made with. */
    sl_config_set(cfg, "auto.offset.reset", "latest", NULL, 0);
    sl_config_set(cfg, "commit.interval.ms", "2000", NULL, 0);
    apply_props(cfg, props);
    sl_config_set(cfg, "application.id", app_id, NULL, 0);
    sl_config_set(cfg, "state.dir", state_dir, NULL, 0);
    sl_config_set(cfg, "processing.log.topic", PLOG_TOPIC, NULL, 0);
    if (!strncmp(id, "CST_", 4)) /* a source table's rows: all of them */
        sl_config_set(cfg, "auto.offset.reset", "earliest", NULL, 0);
    if (push) /* a push query shows its rows as they come */
        sl_config_set(cfg, "commit.interval.ms", "100", NULL, 0),
            sl_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    sl_streams_t *app = NULL;
    sl_err_t rc = sl_streams_new(t, cfg, sh->eb, &app, err, sizeof err);
    sl_config_destroy(cfg);
    if (!rc)
        rc = sl_streams_start(app, err, sizeof err);
    if (rc) {
        err_line("Could not start query %s: %s", id, err);
        sl_streams_close(app);
        sl_topology_destroy(t);
        return -1;
    }
    if (sh->nruns == sh->runs_cap) {
        sh->runs_cap = sh->runs_cap ? sh->runs_cap * 2 : 8;
        sh->runs = realloc(sh->runs, sh->runs_cap * sizeof *sh->runs);
        if (!sh->runs)
            exit(1);
    }
    sh->runs[sh->nruns++] =
        (running_t){xstrdup(id), NULL, xstrdup(props ? props : ""), t, app, now_ms()};
    running_t *r = &sh->runs[sh->nruns - 1];
    if (!(r->sql = malloc(sql_len + 1)))
        exit(1);
    memcpy(r->sql, sql, sql_len);
    r->sql[sql_len] = 0;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void add_topic(void *arg, const char *topic)
{
    sl_buf_t *b = arg;
    sl_buf_append(b, topic, strlen(topic) + 1);
}

/* Stops query i. retire (TERMINATE, and a push query's end): it will not
 * run again, so its internal topics and its state go too (no orphans);
 * otherwise (the shell exits) they stay for the restart to resume from. */
static void stop_run(shell_t *sh, size_t i, int retire)
{
    running_t *r = &sh->runs[i];
    sl_buf_t topics = SL_BUF_INIT;
    char *state = NULL;
    if (retire) {
        sl_streams_internal_topics(r->app, add_topic, &topics);
        state = xstrdup(sl_streams_state_dir(r->app));
    }
    sl_streams_close(r->app);
    sl_topology_destroy(r->topo);
    sl_sql_session_forget_query(sh->sess, r->id);
    for (size_t off = 0; off < topics.len; off += strlen((const char *)topics.data + off) + 1)
        sl_client_delete_topic(sh->client, (const char *)topics.data + off);
    if (state)
        nftw(state, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    sl_buf_free(&topics);
    free(state);
    free(r->id), free(r->sql), free(r->props);
    sh->runs[i] = sh->runs[--sh->nruns];
}

/* Stops query i for its upgrade: the new version starts under the same id
 * (the same application), so its internal topics, state and committed
 * offsets stay, and so does the session's record of it (the new one's). */
static void stop_for_upgrade(shell_t *sh, size_t i)
{
    running_t *r = &sh->runs[i];
    sl_streams_close(r->app);
    sl_topology_destroy(r->topo);
    free(r->id), free(r->sql), free(r->props);
    sh->runs[i] = sh->runs[--sh->nruns];
}

/* ---- reading topics (PRINT, push queries) ------------------------------------------------------ */

/* A consumer of the embedded broker assigned every partition of topic from
 * the beginning (or the end). NULL with the reason printed. */
static rd_kafka_t *topic_reader(shell_t *sh, const char *topic, int from_beginning)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *settings[][2] = {{"bootstrap.servers", sl_embedded_broker_bootstrap(sh->eb)},
                                 {"group.id", "sluice-shell"},
                                 {"enable.auto.commit", "false"},
                                 {"log_level", "0"},
                                 {"fetch.wait.max.ms", "50"}};
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], err, sizeof err)) {
            err_line("consumer: %s", err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        err_line("consumer: %s", err);
        return NULL;
    }
    int32_t n = 0;
    if (sl_client_partitions(sh->client, topic, &n) || n <= 0) {
        err_line("Could not find topic '%s'", topic);
        rd_kafka_destroy(rk);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int32_t p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
            from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return rk;
}

static void reader_close(rd_kafka_t *rk)
{
    if (!rk)
        return;
    rd_kafka_assign(rk, NULL);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

/* Bytes as ksqlDB's PRINT shows them: text when printable, else hex
 * (malloc'd; "<null>" for none). */
static char *bytes_text(const void *p, size_t n)
{
    const unsigned char *b = p;
    if (!b)
        return xstrdup("<null>");
    int text = 1;
    for (size_t i = 0; i < n && text; i++)
        text = b[i] >= 0x20 && b[i] < 0x7f;
    char *out = malloc(n * 2 + 1);
    if (!out)
        exit(1);
    if (text) {
        memcpy(out, b, n);
        out[n] = 0;
    } else {
        for (size_t i = 0; i < n; i++)
            snprintf(out + 2 * i, 3, "%02x", b[i]);
        out[2 * n] = 0;
    }
    return out;
}

static void print_bytes(const void *p, size_t n)
{
    char *t = bytes_text(p, n);
    fputs(t, stdout);
    free(t);
}

static const char *format_name(int k);

typedef struct topic_source {
    const char *topic;
    const sl_sql_datasource_t *d;
} topic_source_t;

static int find_topic_source(void *arg, const sl_sql_datasource_t *d)
{
    topic_source_t *f = arg;
    if (strcmp(d->topic, f->topic) || !d->key_schema.ncols)
        return 0;
    f->d = d;
    return 1;
}

/* A record's key as a stream or table on its topic declares it (malloc'd):
 * the key columns (comma-separated), a windowed table's as
 * "[key@start/end]", as ksqlDB's PRINT shows them; NULL when it does not
 * read so (then the bytes are shown). */
static char *key_text(const sl_sql_datasource_t *d, const uint8_t *key, size_t len)
{
    size_t wlen = d->window == 2 ? 16 : d->window ? 8 : 0;
    if (!key || len < wlen)
        return NULL;
    int64_t ws = 0, we = 0;
    if (wlen) {
        len -= wlen;
        if (d->window == 2)
            we = (int64_t)sl_load_be64(key + len), ws = (int64_t)sl_load_be64(key + len + 8);
        else
            ws = (int64_t)sl_load_be64(key + len), we = ws + d->window_size;
    }
    sl_arena_t a = SL_ARENA_INIT;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&a);
    sl_sql_row_t k = {0};
    int knull = 0;
    char err[256];
    if (sl_sql_row_deserialize(&d->key_format, &d->key_schema, key, len, &al, &k, &knull, err,
                               sizeof err) ||
        knull) {
        sl_arena_free(&a);
        return NULL;
    }
    sl_buf_t b = SL_BUF_INIT;
    if (wlen)
        sl_buf_append(&b, "[", 1);
    for (size_t i = 0; i < k.n && i < d->key_schema.ncols; i++) {
        if (i)
            sl_buf_append(&b, ",", 1);
        sl_sql_value_print(d->key_schema.cols[i].type, &k.values[i], SL_SQL_PRINT_DISPLAY, &b);
    }
    if (wlen) {
        char w[64];
        int n = snprintf(w, sizeof w, "@%lld/%lld]", (long long)ws, (long long)we);
        sl_buf_append(&b, w, (size_t)n);
    }
    sl_buf_append(&b, "", 1);
    char *out = xstrdup((const char *)b.data);
    sl_buf_free(&b);
    sl_arena_free(&a);
    return out;
}

static int do_print(shell_t *sh, const sl_sql_stmt_t *st)
{
    const char *topic = st->print.topic.s;
    /* An unquoted name is upper-cased by the parser: the topic as written
     * when it exists, else its lower case (ksqlDB tries both too). */
    char lower[512];
    int32_t n;
    if (!st->print.quoted && sl_client_partitions(sh->client, topic, &n)) {
        snprintf(lower, sizeof lower, "%s", topic);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        topic = lower;
    }
    rd_kafka_t *rk = topic_reader(sh, topic, st->print.from_beginning);
    if (!rk)
        return -1;
    /* A stream or table on the topic says how its keys read. */
    topic_source_t ts_ = {topic, NULL};
    sl_sql_catalog_foreach(sh->cat, find_topic_source, &ts_);
    int64_t limit = st->print.limit, shown = 0, seen = 0;
    int64_t every = st->print.interval > 0 ? st->print.interval : 1;
    if (!sh->json && ts_.d)
        printf("Key format: %s%s\nValue format: %s\n", ts_.d->window ? "WINDOWED " : "",
               format_name(ts_.d->key_format.kind), format_name(ts_.d->value_format.kind));
    else if (!sh->json)
        printf("Key format: KAFKA_STRING\nValue format: JSON or KAFKA_STRING\n");
    interrupted = 0;
    while (!interrupted && (limit < 0 || shown < limit)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (seen++ % every) {
            rd_kafka_message_destroy(m);
            continue;
        }
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(m, &tt);
        time_t secs = (time_t)(ts / 1000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        char when[64];
        strftime(when, sizeof when, "%Y/%m/%d %H:%M:%S", &tm);
        char *kt = ts_.d ? key_text(ts_.d, m->key, m->key_len) : NULL;
        if (sh->json) { /* {"rowtime", "key", "value", "partition"}: the bytes as text or hex */
            char *k = kt ? xstrdup(kt) : bytes_text(m->key, m->key_len);
            char *v = bytes_text(m->payload, m->len);
            char *kj = m->key ? json_string(k) : xstrdup("null");
            char *vj = m->payload ? json_string(v) : xstrdup("null");
            printf("{\"rowtime\":%lld,\"key\":%s,\"value\":%s,\"partition\":%d}\n",
                   (long long)ts, kj, vj, (int)m->partition);
            free(k), free(v), free(kj), free(vj);
        } else {
            printf("rowtime: %s.%03d Z, key: ", when, (int)(ts % 1000));
            if (kt)
                fputs(kt, stdout);
            else
                print_bytes(m->key, m->key_len);
            fputs(", value: ", stdout);
            print_bytes(m->payload, m->len);
            printf(", partition: %d\n", (int)m->partition);
        }
        free(kt);
        fflush(stdout);
        rd_kafka_message_destroy(m);
        shown++;
    }
    reader_close(rk);
    if (interrupted && sh->interactive)
        printf("Topic printing ceased\n");
    interrupted = 0;
    return 0;
}

static int pull_query(shell_t *sh, const sl_sql_stmt_t *st);
static int show_topics(shell_t *sh, int all);

/* ---- push queries ------------------------------------------------------------------------------- */

#define COLW 19 /* a push query's column width */

static void border(size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        putchar('+');
        for (int k = 0; k < COLW; k++)
            putchar('-');
    }
    puts("+");
}

/* One column of a printed row: its display and JSON texts (owned). */
static void row_cell(const sl_sql_type_t *t, const sl_sql_value_t *val, char **text, char **json)
{
    sl_buf_t tb = SL_BUF_INIT, jb = SL_BUF_INIT;
    sl_sql_value_print(t, val, SL_SQL_PRINT_DISPLAY, &tb);
    sl_sql_value_print(t, val, SL_SQL_PRINT_JSON, &jb);
    sl_buf_append(&tb, "", 1);
    sl_buf_append(&jb, "", 1);
    *text = xstrdup(val->is_null ? "null" : tb.data ? (const char *)tb.data : "");
    *json = xstrdup(jb.data ? (const char *)jb.data : "null");
    sl_buf_free(&tb), sl_buf_free(&jb);
}

/* Prints one record of the hidden result as a row of its columns. A windowed
 * result's keys end with their window (Kafka Streams' layouts: the start, or
 * a session's end and start); with_window shows it after the key columns as
 * WINDOWSTART and WINDOWEND (SELECT *, as ksqlDB does). */
static int print_row(shell_t *sh, const sl_sql_datasource_t *d, const rd_kafka_message_t *m,
                     int with_window, int *header)
{
    if (!m->payload)
        return 0; /* a table's deleted row */
    size_t klen = m->key_len, wlen = d->window == 2 ? 16 : d->window ? 8 : 0;
    int64_t wstart = 0, wend = 0;
    if (wlen) {
        if (!m->key || klen < wlen)
            return 0; /* not a windowed key: skipped */
        klen -= wlen;
        const uint8_t *w = (const uint8_t *)m->key + klen;
        if (d->window == 2)
            wend = (int64_t)sl_load_be64(w), wstart = (int64_t)sl_load_be64(w + 8);
        else
            wstart = (int64_t)sl_load_be64(w), wend = wstart + d->window_size;
    }
    sl_arena_t a = SL_ARENA_INIT;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&a);
    sl_sql_row_t k = {0}, v = {0};
    char err[256];
    int rc = 0, knull = 0, vnull = 0;
    if ((d->key_schema.ncols && m->key &&
         sl_sql_row_deserialize(&d->key_format, &d->key_schema, m->key, klen, &al, &k, &knull,
                                err, sizeof err)) ||
        sl_sql_row_deserialize(&d->value_format, &d->value_schema, m->payload, m->len, &al, &v,
                               &vnull, err, sizeof err) ||
        vnull) {
        sl_arena_free(&a);
        return 0; /* not a row of this schema: skipped */
    }
    with_window = with_window && wlen;
    size_t n = d->ncols + (with_window ? 2 : 0), o = 0;
    const char **names = calloc(n ? n : 1, sizeof *names);
    char **text = calloc(n ? n : 1, sizeof *text), **json = calloc(n ? n : 1, sizeof *json);
    if (!names || !text || !json)
        exit(1);
    for (size_t i = 0, ki = 0, vi = 0; i <= d->ncols; i++) {
        const sl_sql_datasource_col_t *c = i < d->ncols ? &d->cols[i] : NULL;
        if (with_window && (!c || c->role != SL_SQL_ROLE_KEY)) {
            /* The window, after the key columns. */
            const sl_sql_type_t *bt = sl_sql_type_prim(SL_SQL_BIGINT);
            sl_sql_value_t ws = sl_sql_value_bigint(wstart), we = sl_sql_value_bigint(wend);
            names[o] = "WINDOWSTART";
            row_cell(bt, &ws, &text[o], &json[o]);
            o++;
            names[o] = "WINDOWEND";
            row_cell(bt, &we, &text[o], &json[o]);
            o++;
            with_window = 0;
        }
        if (!c)
            break;
        const sl_sql_value_t *val = c->role == SL_SQL_ROLE_KEY
                                        ? (ki < k.n ? &k.values[ki++] : NULL)
                                        : (vi < v.n ? &v.values[vi++] : NULL);
        if (!strncmp(c->name, SL_SQL_HIDDEN_PREFIX, sizeof SL_SQL_HIDDEN_PREFIX - 1))
            continue; /* a key the query did not select */
        sl_sql_value_t nul = sl_sql_value_null(c->type);
        names[o] = c->name;
        row_cell(c->type, val ? val : &nul, &text[o], &json[o]);
        o++;
    }
    n = o;
    if (sh->json) {
        result_t r;
        result_init(&r, n, names);
        result_add(&r, (const char *const *)text, (const char *const *)json);
        print_json_row(&r, 0);
        result_free(&r);
    } else {
        /* As the ksql CLI: columns of one width, the header framed. */
        if (!*header) {
            border(n);
            for (size_t i = 0; i < n; i++)
                printf("|%-*.*s", COLW, COLW, names[i]);
            printf("|\n");
            border(n);
            *header = (int)n;
        }
        for (size_t i = 0; i < n; i++)
            printf("|%-*.*s", COLW, COLW, text[i]);
        printf("|\n");
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++)
        free(text[i]), free(json[i]);
    free(names), free(text), free(json);
    sl_arena_free(&a);
    return rc;
}

/* Compiles the query sel[0..len) into a hidden stream (or table, when it
 * gives one) named name on topic (created), without starting it: the
 * session's last query is it. Prints why and returns -1 when it is refused. */
static int compile_hidden(shell_t *sh, const char *sel, size_t len, const char *name,
                          const char *topic)
{
    sl_err_t rc = SL_ERR_INVAL;
    char err[2048] = "";
    size_t headlen = 0;
    sl_sql_session_set_transient(sh->sess, 1);
    sl_sql_session_set_materialize(sh->sess, 0); /* nobody pulls from it */
    for (int table = 0; table < 2 && rc; table++) {
        sl_buf_t b = SL_BUF_INIT;
        char head[256];
        snprintf(head, sizeof head,
                 "CREATE %s %s WITH (KAFKA_TOPIC='%s', PARTITIONS=1, VALUE_FORMAT='JSON') AS ",
                 table ? "TABLE" : "STREAM", name, topic);
        headlen = strlen(head);
        sl_buf_append(&b, head, headlen);
        sl_buf_append(&b, sel, len);
        sl_buf_append(&b, "", 1);
        sl_sql_stmt_list_t *list;
        sl_sql_error_t perr;
        if (sl_sql_parse((const char *)b.data, &sh->arena, &list, &perr) || list->n != 1) {
            snprintf(err, sizeof err, "%s", perr.message);
            sl_buf_free(&b);
            break;
        }
        const char *msg; /* (the statement's text lives in b until it has run) */
        rc = sl_sql_session_execute(sh->sess, list->items[0], &msg, err, sizeof err);
        sl_buf_free(&b);
        if (rc && !strstr(err, "Invalid result type"))
            break;
    }
    sl_sql_session_set_transient(sh->sess, 0);
    sl_sql_session_set_materialize(sh->sess, 1);
    if (rc) {
        /* The hidden name is not the user's: "The query used to build
         * `_SL_TRANSIENT_n`" is this push query. */
        char said[300];
        snprintf(said, sizeof said, "The query used to build `%s`", name);
        char *at = strstr(err, said);
        if (at) {
            static const char this_one[] = "This push query";
            size_t n = strlen(said), m = sizeof this_one - 1;
            memmove(at + m, at + n, strlen(at + n) + 1);
            memcpy(at, this_one, m);
        }
        /* Positions on the statement's first line count from the hidden
         * CREATE … AS put before it: take its length off. */
        unsigned line, col;
        int used = 0;
        if (sscanf(err, "line %u:%u:%n", &line, &col, &used) == 2 && used && line == 1 &&
            col > headlen)
            err_line("line 1:%u:%s", col - (unsigned)headlen, err + used);
        else
            err_line("%s", err);
        return -1;
    }
    return 0;
}

/* Drops a hidden stream or table and deletes its topic. */
static void drop_hidden(shell_t *sh, const char *name)
{
    const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, name);
    sl_sql_stmt_t drop = {.kind = SL_SQL_STMT_DROP_SOURCE};
    drop.drop.table = d && d->table;
    drop.drop.delete_topic = true;
    drop.drop.name.s = name;
    const char *msg;
    char err[512];
    sl_sql_session_execute(sh->sess, &drop, &msg, err, sizeof err);
}

/* The rows a query over a stream gives from the records its inputs hold now
 * (a pull query on a stream, as ksqlDB's): the hidden query reads them from
 * the beginning; when it has caught up with its inputs, its topic is read to
 * its end. */
static void pull_rows(shell_t *sh, sl_streams_t *app, rd_kafka_t *rk, const char *topic,
                      const sl_sql_datasource_t *d, int star, int64_t limit, int *header)
{
    sl_err_t err = SL_ERR_IO;
    while (!interrupted && sl_streams_state(app) != SL_STREAMS_ERROR &&
           (err = sl_streams_wait_idle(app, 200)) == SL_ERR_IO)
        ;
    if (err) {
        if (!interrupted)
            err_line("The pull query failed: %s", sl_streams_state(app) == SL_STREAMS_ERROR
                                                       ? sl_streams_error(app)
                                                       : sl_err_str(err));
        return;
    }
    int64_t lo = 0, hi = 0, shown = 0;
    if (rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    for (int64_t next = lo; next < hi && !interrupted && (limit < 0 || shown < limit);) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            next = m->offset + 1;
            if (m->payload) {
                print_row(sh, d, m, star, header);
                shown++;
            }
        }
        rd_kafka_message_destroy(m);
    }
}

static int push_query(shell_t *sh, const sl_sql_stmt_t *st)
{
    const sl_sql_query_t *qa = st->query;
    int pull = qa->emit == SL_SQL_EMIT_NONE;
    if (pull) {
        /* Over a table: from its state. Over a stream: what it holds now. */
        const sl_sql_datasource_t *src = sl_sql_catalog_find(sh->cat, qa->from.name.s);
        if (!src || src->table || qa->njoins || qa->ngroup_by || qa->window ||
            qa->npartition_by || qa->having)
            return pull_query(sh, st);
    }
    char name[64], topic[64];
    int seq = sh->transient_seq++;
    snprintf(name, sizeof name, "_SL_TRANSIENT_%d", seq);
    snprintf(topic, sizeof topic, "_sl_transient_%d_%ld", seq, (long)getpid());
    if (compile_hidden(sh, st->text, st->text_len, name, topic))
        return -1;
    const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, name);
    const char *id = sl_sql_session_last_query(sh->sess);
    char *qid = xstrdup(id);
    /* auto.offset.reset: latest unless SET; a pull reads everything */
    char *props = props_text(sh);
    if (pull) {
        size_t n = strlen(props);
        props = realloc(props, n + 32);
        if (!props)
            exit(1);
        strcpy(props + n, "auto.offset.reset=earliest\n");
    }
    int ok = d && !start_query(sh, qid, props, 1, st->text, st->text_len);
    free(props);
    /* (not in the catalog: a push query ends with the shell) */
    rd_kafka_t *rk = ok ? topic_reader(sh, topic, 1) : NULL;
    int64_t limit = qa->has_limit ? qa->limit : -1, shown = 0;
    int header = 0, star = 0;
    for (size_t i = 0; i < qa->nitems; i++)
        star |= qa->items[i]->kind != SL_SQL_SELECT_EXPR;
    interrupted = 0;
    sl_streams_t *app = NULL;
    for (size_t i = 0; pull && rk && i < sh->nruns; i++)
        if (!strcmp(sh->runs[i].id, qid))
            app = sh->runs[i].app;
    if (app) {
        pull_rows(sh, app, rk, topic, d, star, limit, &header);
        reader_close(rk);
        rk = NULL;
        limit = -1; /* no "Limit Reached" */
        if (!header && !sh->json && !interrupted) {
            /* No row: the columns all the same. */
            size_t n = 0;
            for (size_t i = 0; i < d->ncols; i++)
                n += strncmp(d->cols[i].name, SL_SQL_HIDDEN_PREFIX,
                             sizeof SL_SQL_HIDDEN_PREFIX - 1) != 0;
            border(n);
            for (size_t i = 0; i < d->ncols; i++)
                if (strncmp(d->cols[i].name, SL_SQL_HIDDEN_PREFIX, sizeof SL_SQL_HIDDEN_PREFIX - 1))
                    printf("|%-*.*s", COLW, COLW, d->cols[i].name);
            printf("|\n");
            header = (int)n;
        }
    }
    while (rk && !interrupted && (limit < 0 || shown < limit)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err && m->payload) {
            print_row(sh, d, m, star, &header);
            shown++;
        }
        rd_kafka_message_destroy(m);
    }
    reader_close(rk);
    if (header && !sh->json)
        border((size_t)header);
    if (limit >= 0 && shown >= limit && !sh->json)
        printf("Limit Reached\n");
    else if (interrupted && !sh->json)
        printf("Query terminated\n");
    interrupted = 0;
    /* Terminate it and leave nothing behind. */
    for (size_t i = 0; i < sh->nruns; i++)
        if (!strcmp(sh->runs[i].id, qid)) {
            stop_run(sh, i, 1);
            break;
        }
    free(qid);
    drop_hidden(sh, name);
    return ok ? 0 : -1;
}

/* ---- pull queries ------------------------------------------------------------------------------- */

typedef struct pull {
    shell_t *sh;
    const sl_sql_datasource_t *d;
    const sl_sql_cexpr_t *where; /* NULL: every row */
    const sl_sql_cexpr_t **out;
    const sl_sql_type_t **types;
    size_t nout;
    result_t r;
    const sl_sql_row_t *key; /* a key lookup's key */
} pull_t;

typedef struct find_sink {
    const char *sink;
    const char *id;
} find_sink_t;

static void find_writer(void *arg, const char *id, const char *sink, const char *const *sources,
                        size_t nsources)
{
    (void)sources, (void)nsources;
    find_sink_t *f = arg;
    if (!f->id && !strcmp(sink, f->sink))
        f->id = id;
}

/* One row of the table's store: WHERE, then the projection into the result. */
static int pull_row(void *arg, const void *key, const void *value)
{
    pull_t *p = arg;
    const sl_sql_row_t *k = key, *v = value;
    const sl_windowed_t *w = p->d->window ? key : NULL;
    if (w)
        k = w->key;
    if (!v)
        return 0;
    size_t nk = p->d->key_schema.ncols, nv = p->d->value_schema.ncols;
    sl_arena_t a = SL_ARENA_INIT;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&a);
    sl_sql_value_t *row = sl_arena_alloc(&a, (nk + nv + 1) * sizeof *row);
    sl_sql_value_t pseudo[SL_SQL_PSEUDO_COUNT];
    char **text = calloc(p->nout ? p->nout : 1, sizeof *text);
    char **json = calloc(p->nout ? p->nout : 1, sizeof *json);
    if (!row || !text || !json)
        exit(1);
    for (size_t i = 0; i < nk; i++)
        row[i] = k && i < k->n ? k->values[i] : sl_sql_value_null(p->d->key_schema.cols[i].type);
    for (size_t i = 0; i < nv; i++)
        row[nk + i] = i < v->n ? v->values[i] : sl_sql_value_null(p->d->value_schema.cols[i].type);
    for (int i = 0; i < SL_SQL_PSEUDO_COUNT; i++)
        pseudo[i] = (sl_sql_value_t){.is_null = 1};
    if (w) {
        pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_value_bigint(w->start);
        pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_value_bigint(w->end);
    }
    char msg[256] = "";
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    sl_sql_tristate_t pass = SL_SQL_TRUE;
    if (p->where && sl_sql_expr_predicate(p->where, row, pseudo, &fc, &pass))
        pass = SL_SQL_FALSE;
    if (pass == SL_SQL_TRUE) {
        for (size_t i = 0; i < p->nout; i++) {
            sl_sql_value_t out;
            if (sl_sql_expr_eval(p->out[i], row, pseudo, &fc, &out))
                out = sl_sql_value_null(p->types[i]);
            sl_buf_t tb = SL_BUF_INIT, jb = SL_BUF_INIT;
            sl_sql_value_print(p->types[i], &out, SL_SQL_PRINT_DISPLAY, &tb);
            sl_sql_value_print(p->types[i], &out, SL_SQL_PRINT_JSON, &jb);
            sl_buf_append(&tb, "", 1);
            sl_buf_append(&jb, "", 1);
            text[i] = xstrdup(out.is_null ? "null" : (const char *)tb.data);
            json[i] = xstrdup((const char *)jb.data);
            sl_buf_free(&tb), sl_buf_free(&jb);
        }
        result_add(&p->r, (const char *const *)text, (const char *const *)json);
        for (size_t i = 0; i < p->nout; i++)
            free(text[i]), free(json[i]);
    }
    free(text), free(json);
    sl_arena_free(&a);
    return 0;
}

/* A constant expression's value as type (arena a): 0, or -1 when it is
 * not a constant, is NULL or does not cast. */
static int const_as(const sl_sql_expr_t *x, const sl_sql_type_t *type, sl_arena_t *a,
                    sl_sql_value_t *out)
{
    sl_sql_scope_t none = {NULL, 0, false};
    sl_sql_expr_opts_t o = {.clause = "WHERE"};
    const sl_sql_cexpr_t *ce;
    const sl_sql_type_t *t;
    sl_sql_error_t e;
    if (sl_sql_expr_compile(x, &none, &o, a, &ce, &t, &e))
        return -1;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    char msg[256];
    sl_sql_fn_ctx_t fc = {.al = &al, .errbuf = msg, .errlen = sizeof msg};
    sl_sql_value_t v;
    if (sl_sql_expr_eval(ce, NULL, NULL, &fc, &v) || v.is_null ||
        sl_sql_cast(&al, t, &v, type, out, msg, sizeof msg))
        return -1;
    return 0;
}

static int const_string(const sl_sql_expr_t *x, sl_arena_t *a, sl_sql_value_t *out)
{
    return const_as(x, sl_sql_type_prim(SL_SQL_STRING), a, out);
}

/* WHERE key = constant on a one-column key: the key row to look up, else NULL. */
static const sl_sql_row_t *key_lookup(const sl_sql_datasource_t *d, const sl_sql_expr_t *w,
                                      sl_arena_t *a)
{
    if (!w || d->key_schema.ncols != 1 || w->kind != SL_SQL_EXPR_BINARY ||
        w->op.op != SL_SQL_OP_EQ)
        return NULL;
    const sl_sql_expr_t *col = w->op.a, *val = w->op.b;
    if (col->kind != SL_SQL_EXPR_COLUMN)
        col = w->op.b, val = w->op.a;
    if (col->kind != SL_SQL_EXPR_COLUMN || strcmp(col->column.name.s, d->key_schema.cols[0].name))
        return NULL;
    sl_sql_value_t kv;
    if (const_as(val, d->key_schema.cols[0].type, a, &kv))
        return NULL; /* not a constant: a scan */
    sl_sql_row_t *r = sl_arena_alloc(a, sizeof *r);
    sl_sql_value_t *vals = sl_arena_alloc(a, sizeof *vals);
    if (!r || !vals)
        return NULL;
    vals[0] = kv;
    *r = (sl_sql_row_t){1, vals};
    return r;
}

/* Key-range bounds: lo inclusive, hi exclusive, as bytes (have_*: set). */
typedef struct key_bounds {
    sl_sql_value_t lo, hi;
    int have_lo, have_hi;
} key_bounds_t;

static int str_cmp(const sl_sql_value_t *a, const sl_sql_value_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->u.str, b->u.str, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* v, or v followed by a NUL byte (the first string after v in byte order). */
static int bound_of(sl_arena_t *a, const sl_sql_value_t *v, int after, sl_sql_value_t *out)
{
    char *b = sl_arena_alloc(a, v->len + 2);
    if (!b)
        return -1;
    memcpy(b, v->u.str, v->len);
    b[v->len] = 0;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    return sl_sql_value_string_dup(&al, b, v->len + (after ? 1 : 0), out) ? -1 : 0;
}

static int tighten(key_bounds_t *kb, sl_arena_t *a, const sl_sql_value_t *v, int upper,
                   int after)
{
    sl_sql_value_t b;
    if (bound_of(a, v, after, &b))
        return -1;
    if (upper && (!kb->have_hi || str_cmp(&b, &kb->hi) < 0))
        kb->hi = b, kb->have_hi = 1;
    if (!upper && (!kb->have_lo || str_cmp(&b, &kb->lo) > 0))
        kb->lo = b, kb->have_lo = 1;
    return 0;
}

/* The bounds the ANDed comparisons of WHERE put on the key column named key. */
static int collect_bounds(const sl_sql_expr_t *w, const char *key, sl_arena_t *a,
                          key_bounds_t *kb)
{
    if (w->kind == SL_SQL_EXPR_BINARY && w->op.op == SL_SQL_OP_AND)
        return collect_bounds(w->op.a, key, a, kb) || collect_bounds(w->op.b, key, a, kb);
    sl_sql_value_t v, v2;
    if (w->kind == SL_SQL_EXPR_BETWEEN && !w->negated &&
        w->between.a->kind == SL_SQL_EXPR_COLUMN && !strcmp(w->between.a->column.name.s, key)) {
        if (!const_string(w->between.lo, a, &v) && !const_string(w->between.hi, a, &v2))
            return tighten(kb, a, &v, 0, 0) || tighten(kb, a, &v2, 1, 1);
        return 0;
    }
    if (w->kind != SL_SQL_EXPR_BINARY || w->op.op < SL_SQL_OP_EQ || w->op.op > SL_SQL_OP_GE ||
        w->op.op == SL_SQL_OP_NE)
        return 0;
    int op = w->op.op;
    const sl_sql_expr_t *col = w->op.a, *val = w->op.b;
    if (col->kind != SL_SQL_EXPR_COLUMN) { /* constant OP key: flipped */
        col = w->op.b, val = w->op.a;
        op = op == SL_SQL_OP_LT ? SL_SQL_OP_GT : op == SL_SQL_OP_GT ? SL_SQL_OP_LT
             : op == SL_SQL_OP_LE ? SL_SQL_OP_GE : op == SL_SQL_OP_GE ? SL_SQL_OP_LE : op;
    }
    if (col->kind != SL_SQL_EXPR_COLUMN || strcmp(col->column.name.s, key) ||
        const_string(val, a, &v))
        return 0;
    switch (op) {
    case SL_SQL_OP_EQ:
        return tighten(kb, a, &v, 0, 0) || tighten(kb, a, &v, 1, 1);
    case SL_SQL_OP_GE:
        return tighten(kb, a, &v, 0, 0);
    case SL_SQL_OP_GT:
        return tighten(kb, a, &v, 0, 1);
    case SL_SQL_OP_LT:
        return tighten(kb, a, &v, 1, 0);
    default: /* LE */
        return tighten(kb, a, &v, 1, 1);
    }
}

/* WHERE bounds on a one-column STRING key in the KAFKA format (whose bytes
 * order as the strings do): the range to read, as key rows (NULL: open), or
 * 0 when WHERE gives no bound. */
static int key_range(const sl_sql_datasource_t *d, const sl_sql_expr_t *w, sl_arena_t *a,
                     const sl_sql_row_t **from, const sl_sql_row_t **to)
{
    *from = *to = NULL;
    if (!w || d->window || d->key_schema.ncols != 1 ||
        d->key_schema.cols[0].type->base != SL_SQL_STRING ||
        d->key_format.kind != SL_SQL_FORMAT_KAFKA)
        return 0;
    key_bounds_t kb = {0};
    if (collect_bounds(w, d->key_schema.cols[0].name, a, &kb) || (!kb.have_lo && !kb.have_hi))
        return 0;
    for (int i = 0; i < 2; i++) {
        if (!(i ? kb.have_hi : kb.have_lo))
            continue;
        sl_sql_row_t *r = sl_arena_alloc(a, sizeof *r);
        sl_sql_value_t *vals = sl_arena_alloc(a, sizeof *vals);
        if (!r || !vals)
            return 0;
        vals[0] = i ? kb.hi : kb.lo;
        *r = (sl_sql_row_t){1, vals};
        *(i ? to : from) = r;
    }
    return 1;
}

static void pull_found(void *arg, const void *value)
{
    pull_t *p = arg;
    pull_row(p, p->key, value);
}

static int pull_query(shell_t *sh, const sl_sql_stmt_t *st)
{
    const sl_sql_query_t *qa = st->query;
    if (qa->njoins || qa->ngroup_by || qa->window || qa->npartition_by || qa->having) {
        err_line("Pull queries do not take JOIN, WINDOW, GROUP BY, PARTITION BY or HAVING; "
                 "add EMIT CHANGES for a push query.");
        return -1;
    }
    const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, qa->from.name.s);
    if (!d) {
        err_line("%s does not exist.", qa->from.name.s);
        return -1;
    }
    if (!d->table) { /* (a stream's pull query runs as a hidden query: push_query) */
        err_line("%s is a stream: this pull query reads tables.", d->name);
        return -1;
    }
    find_sink_t f = {d->name, NULL};
    sl_sql_session_foreach_query(sh->sess, find_writer, &f);
    sl_streams_t *app = NULL;
    for (size_t i = 0; f.id && i < sh->nruns && !app; i++)
        if (!strcmp(sh->runs[i].id, f.id))
            app = sh->runs[i].app;
    if (!app) {
        err_line("The table %s is not materialized: pull queries read the tables that "
                 "CREATE TABLE … AS SELECT or CREATE SOURCE TABLE makes.",
                 d->name);
        return -1;
    }
    /* The table's columns: key then value, as its store rows give them. */
    sl_arena_t *a = &sh->arena;
    size_t nk = d->key_schema.ncols, nv = d->value_schema.ncols;
    sl_sql_scope_col_t *sc = sl_arena_alloc(a, (nk + nv + 1) * sizeof *sc);
    if (!sc)
        return -1;
    const char *alias = qa->from.alias.s ? qa->from.alias.s : d->name;
    for (size_t i = 0; i < nk; i++)
        sc[i] = (sl_sql_scope_col_t){alias, d->key_schema.cols[i].name, d->key_schema.cols[i].type,
                                     (uint32_t)i};
    for (size_t i = 0; i < nv; i++)
        sc[nk + i] = (sl_sql_scope_col_t){alias, d->value_schema.cols[i].name,
                                          d->value_schema.cols[i].type, (uint32_t)(nk + i)};
    sl_sql_scope_t scope = {sc, nk + nv, d->window != 0}; /* WINDOWSTART, WINDOWEND */
    pull_t p = {.sh = sh, .d = d};
    sl_sql_error_t e;
    const sl_sql_type_t *t;
    if (qa->where) {
        sl_sql_expr_opts_t ow = {.clause = "WHERE", .catalog = sh->cat};
        if (sl_sql_expr_compile(qa->where, &scope, &ow, a, &p.where, &t, &e)) {
            err_line("line %u:%u: %s", e.line, e.col, e.message);
            return -1;
        }
    }
    /* The projection: * is every column in declaration order. */
    size_t cap = qa->nitems + d->ncols + 1;
    p.out = sl_arena_alloc(a, cap * sizeof *p.out);
    p.types = sl_arena_alloc(a, cap * sizeof *p.types);
    const char **names = calloc(cap, sizeof *names);
    char **owned = calloc(cap, sizeof *owned);
    if (!p.out || !p.types || !names || !owned)
        exit(1);
    sl_sql_expr_opts_t os = {.clause = "SELECT", .catalog = sh->cat};
    int anon = 0, rc = 0;
    for (size_t i = 0; i < qa->nitems && !rc; i++) {
        const sl_sql_select_item_t *it = qa->items[i];
        if (it->kind != SL_SQL_SELECT_EXPR) {
            /* A windowed table's rows show their window after the key. */
            size_t nstar = d->ncols + (d->window ? 2 : 0);
            for (size_t c = 0; c < nstar; c++) {
                sl_sql_expr_t *ref = sl_arena_alloc(a, sizeof *ref);
                if (!ref)
                    exit(1);
                *ref = (sl_sql_expr_t){.kind = SL_SQL_EXPR_COLUMN, .pos = it->pos, .height = 1};
                size_t at = c;
                if (d->window && c >= nk)
                    at = c < nk + 2 ? (size_t)-1 : c - 2;
                ref->column.name.s = at != (size_t)-1    ? d->cols[at].name
                                     : c == nk           ? "WINDOWSTART"
                                                         : "WINDOWEND";
                if (sl_sql_expr_compile(ref, &scope, &os, a, &p.out[p.nout], &p.types[p.nout], &e))
                    continue; /* a header column: not in the table's rows */
                names[p.nout++] = ref->column.name.s;
            }
            continue;
        }
        if (sl_sql_expr_compile(it->expr, &scope, &os, a, &p.out[p.nout], &p.types[p.nout], &e)) {
            err_line("line %u:%u: %s", e.line, e.col, e.message);
            rc = -1;
            break;
        }
        const char *nm = it->alias.s ? it->alias.s
                         : it->expr->kind == SL_SQL_EXPR_COLUMN ? it->expr->column.name.s
                                                                : NULL;
        if (!nm) {
            char b[32];
            snprintf(b, sizeof b, "KSQL_COL_%d", anon++);
            nm = owned[p.nout] = xstrdup(b);
        }
        names[p.nout++] = nm;
    }
    if (!rc) {
        result_init(&p.r, p.nout, names);
        char store[128];
        sl_sql_session_pull_store(f.id, store, sizeof store);
        const sl_sql_row_t *key = d->window ? NULL : key_lookup(d, qa->where, a);
        const sl_sql_row_t *from = NULL, *to = NULL;
        int ranged = !key && key_range(d, qa->where, a, &from, &to);
        sl_err_t err = SL_OK;
        const char *scan = NULL;
        for (size_t i = 0; i < sh->nprops; i++)
            if (!strcasecmp(sh->props[i].key, "ksql.query.pull.table.scan.enabled"))
                scan = sh->props[i].value;
        if (!key && !ranged && scan && !strcasecmp(scan, "false")) {
            err_line("This pull query needs a table scan, and 'ksql.query.pull.table.scan.enabled' "
                     "is false: look up one key (WHERE %s = …) or SET it to true.",
                     nk ? d->key_schema.cols[0].name : "key");
            rc = -1;
        } else {
            /* A query that has just started may not hold its partitions
             * yet: wait for them a little (10 s at most). */
            for (int tries = 0;; tries++) {
                if (key) {
                    p.key = key;
                    int found = sl_streams_kv_get(app, store, key, pull_found, &p);
                    err = found < 0 ? (sl_err_t)found : SL_OK;
                } else {
                    /* A scan: every partition must be here (this process
                     * runs all of the query's tasks). */
                    int32_t local = 0, total = 0;
                    err = sl_streams_store_partitions(app, store, &local, &total);
                    if (!err && local < total)
                        err = SL_ERR_STATE;
                    if (!err)
                        err = ranged ? sl_streams_kv_range(app, store, from, to, pull_row, &p)
                                     : sl_streams_kv_all(app, store, pull_row, &p);
                }
                if (err != SL_ERR_STATE || tries >= 200)
                    break;
                result_free(&p.r);
                result_init(&p.r, p.nout, names);
                usleep(50 * 1000);
            }
        }
        if (rc) {
            /* refused above */
        } else if (err) {
            err_line("The pull query could not read %s: %s", d->name, sl_err_str(err));
            rc = -1;
        } else {
            while (qa->has_limit && (int64_t)p.r.nrows > qa->limit) { /* LIMIT n */
                p.r.nrows--;
                for (size_t c = 0; c < p.r.ncols; c++)
                    free(p.r.cells[p.r.nrows * p.r.ncols + c]),
                        free(p.r.json[p.r.nrows * p.r.ncols + c]);
            }
            result_print(sh, &p.r);
        }
        result_free(&p.r);
    }
    for (size_t i = 0; i < cap; i++)
        free(owned[i]);
    free(owned), free(names);
    return rc;
}

/* ---- EXPLAIN ------------------------------------------------------------------------------------ */

/* The plan of query qa, outermost step first, as ksqlDB's EXPLAIN draws it;
 * then the topology the engine runs (operators, stores, internal topics). */
static void print_plan(FILE *out, shell_t *sh, const sl_sql_query_t *qa,
                       const sl_sql_datasource_t *sink,
                       const sl_topology_t *t)
{
    sl_buf_t b = SL_BUF_INIT;
    if (sink) {
        fprintf(out, "\n Field | Type\n");
        for (size_t i = 0; i < sink->ncols; i++) {
            sl_buf_t tb = SL_BUF_INIT;
            sl_sql_type_format(sink->cols[i].type, SL_SQL_TYPE_SQL, &tb);
            fprintf(out, " %s | %.*s%s\n", sink->cols[i].name, (int)tb.len,
                   tb.data ? (const char *)tb.data : "",
                   sink->cols[i].role == SL_SQL_ROLE_KEY ? (sink->table ? " (primary key)" : " (key)")
                                                         : "");
            sl_buf_free(&tb);
        }
    }
    fprintf(out, "\nExecution plan\n--------------\n");
    int depth = 0;
#define STEP(...)                                                                                  \
    do {                                                                                           \
        fprintf(out, "%*s > [ ", depth * 4, "");                                                         \
        fprintf(out, __VA_ARGS__);                                                                       \
        fputc('\n', out);                                                                             \
        depth++;                                                                                   \
    } while (0)
    if (sink)
        STEP("SINK ] | %s %s | topic: %s | formats: %s / %s", sink->table ? "TABLE" : "STREAM",
             sink->name, sink->topic, format_name(sink->key_format.kind),
             format_name(sink->value_format.kind));
    if (qa->having) {
        sl_sql_expr_print(qa->having, &b), sl_buf_append(&b, "", 1);
        STEP("HAVING ] | %s", (const char *)b.data);
        b.len = 0;
    }
    STEP("PROJECT ] | %zu column%s", qa->nitems, qa->nitems == 1 ? "" : "s");
    if (qa->ngroup_by) {
        for (size_t i = 0; i < qa->ngroup_by; i++) {
            if (i)
                sl_buf_append(&b, ", ", 2);
            sl_sql_expr_print(qa->group_by[i], &b);
        }
        sl_buf_append(&b, "", 1);
        STEP("AGGREGATE ] | GROUP BY %s%s", (const char *)b.data,
             qa->window ? " | windowed" : "");
        b.len = 0;
    }
    if (qa->npartition_by)
        STEP("REPARTITION ] | PARTITION BY (%zu expression%s)", qa->npartition_by,
             qa->npartition_by == 1 ? "" : "s");
    if (qa->where) {
        sl_sql_expr_print(qa->where, &b), sl_buf_append(&b, "", 1);
        STEP("FILTER ] | WHERE %s", (const char *)b.data);
        b.len = 0;
    }
    for (size_t i = qa->njoins; i-- > 0;) {
        const sl_sql_join_t *j = qa->joins[i];
        sl_sql_expr_print(j->on, &b), sl_buf_append(&b, "", 1);
        STEP("JOIN ] | %s | ON %s", j->source.name.s, (const char *)b.data);
        b.len = 0;
    }
    STEP("SOURCE ] | %s", qa->from.name.s);
#undef STEP
    sl_buf_free(&b);
    char *desc = sl_topology_describe(t);
    fprintf(out, "\nProcessing topology\n-------------------\n%s\n", desc ? desc : "");
    free(desc);
    (void)sh;
    fflush(out);
}

typedef struct query_of {
    const char *id;
    const char *sink;
} query_of_t;

static void find_query(void *arg, const char *id, const char *sink, const char *const *sources,
                       size_t nsources)
{
    (void)sources, (void)nsources;
    query_of_t *q = arg;
    if (!strcasecmp(q->id, id))
        q->sink = sink, q->id = id;
}

/* EXPLAIN's text, on stdout or, in JSON output, as {"explain": text}. */
static int do_explain_to(FILE *out, shell_t *sh, const sl_sql_stmt_t *st);

static int do_explain(shell_t *sh, const sl_sql_stmt_t *st)
{
    if (!sh->json)
        return do_explain_to(stdout, sh, st);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return -1;
    int rc = do_explain_to(out, sh, st);
    fclose(out);
    if (!rc) {
        char *j = json_string(text ? text : "");
        printf("{\"explain\":%s}\n", j);
        fflush(stdout);
        free(j);
    }
    free(text);
    return rc;
}

static int do_explain_to(FILE *out, shell_t *sh, const sl_sql_stmt_t *st)
{
    const sl_sql_stmt_t *in = st->explain.stmt;
    if (!in) { /* EXPLAIN <query id>: a running query */
        query_of_t q = {st->explain.query_id.s, NULL};
        sl_sql_session_foreach_query(sh->sess, find_query, &q);
        const running_t *r = NULL;
        for (size_t i = 0; q.sink && i < sh->nruns && !r; i++)
            if (!strcmp(sh->runs[i].id, q.id))
                r = &sh->runs[i];
        if (!r) {
            err_line("Query with id:%s does not exist, use SHOW QUERIES to view the full set of "
                     "queries.",
                     st->explain.query_id.s);
            return -1;
        }
        const sl_sql_datasource_t *sink = sl_sql_catalog_find(sh->cat, q.sink);
        fprintf(out, "\nID                   : %s\nQuery Type           : PERSISTENT\n"
               "SQL                  : %s\nHost Query Status    : %s\n",
               r->id, r->sql, sl_streams_state(r->app) == SL_STREAMS_ERROR ? "ERROR" : "RUNNING");
        /* The statement, read back, gives the plan. */
        sl_sql_stmt_list_t *list = NULL;
        sl_sql_error_t perr;
        const sl_sql_query_t *qa = NULL;
        if (!sl_sql_parse(r->sql, &sh->arena, &list, &perr) && list->n == 1)
            qa = list->items[0]->kind == SL_SQL_STMT_CREATE_AS      ? list->items[0]->create.query
                 : list->items[0]->kind == SL_SQL_STMT_INSERT_SELECT ? list->items[0]->insert.query
                                                                      : NULL;
        if (qa)
            print_plan(out, sh, qa, sink, r->topo);
        else {
            char *desc = sl_topology_describe(r->topo);
            fprintf(out, "\nProcessing topology\n-------------------\n%s\n", desc ? desc : "");
            free(desc);
        }
        return 0;
    }
    /* EXPLAIN <statement>: compiled aside (a hidden sink), described, dropped. */
    const sl_sql_query_t *qa = in->kind == SL_SQL_STMT_SELECT         ? in->query
                               : in->kind == SL_SQL_STMT_CREATE_AS    ? in->create.query
                               : in->kind == SL_SQL_STMT_INSERT_SELECT ? in->insert.query
                                                                       : NULL;
    if (!qa) {
        err_line("EXPLAIN takes a query id or a query (SELECT, CREATE … AS SELECT, INSERT INTO "
                 "… SELECT)");
        return -1;
    }
    size_t off = qa->pos.off >= in->pos.off ? qa->pos.off - in->pos.off : 0;
    if (off > in->text_len)
        off = 0;
    char name[64], topic[64];
    int seq = sh->transient_seq++;
    snprintf(name, sizeof name, "_SL_TRANSIENT_%d", seq);
    snprintf(topic, sizeof topic, "_sl_transient_%d_%ld", seq, (long)getpid());
    if (compile_hidden(sh, in->text + off, in->text_len - off, name, topic))
        return -1;
    const char *id = sl_sql_session_last_query(sh->sess);
    char *qid = xstrdup(id ? id : "");
    sl_topology_t *t = sl_sql_session_take_topology(sh->sess);
    fprintf(out, "\nQuery Type           : %s\nSQL                  : %.*s\n",
           in->kind == SL_SQL_STMT_SELECT ? "PUSH" : "PERSISTENT", (int)in->text_len, in->text);
    if (t)
        print_plan(out, sh, qa, NULL, t);
    sl_topology_destroy(t);
    sl_sql_session_forget_query(sh->sess, qid);
    free(qid);
    drop_hidden(sh, name);
    return 0;
}

/* ---- SHOW, DESCRIBE ------------------------------------------------------------------------------ */

static const char *format_name(int k)
{
    switch (k) {
    case SL_SQL_FORMAT_JSON: return "JSON";
    case SL_SQL_FORMAT_DELIMITED: return "DELIMITED";
    case SL_SQL_FORMAT_KAFKA: return "KAFKA";
    case SL_SQL_FORMAT_NONE: return "NONE";
    default: return "?";
    }
}

typedef struct show_ctx {
    result_t *r;
    int tables;
} show_ctx_t;

static int show_source(void *arg, const sl_sql_datasource_t *d)
{
    show_ctx_t *c = arg;
    if (d->table != c->tables || !strncmp(d->name, "_SL_TRANSIENT_", 14))
        return 0;
    const char *cells[] = {d->name, d->topic, format_name(d->key_format.kind),
                           format_name(d->value_format.kind), d->window ? "true" : "false"};
    const char *json[] = {NULL, NULL, NULL, NULL, d->window ? "true" : "false"};
    result_add(c->r, cells, json);
    return 0;
}

static void show_query(void *arg, const char *id, const char *sink, const char *const *sources,
                       size_t nsources)
{
    (void)sources, (void)nsources;
    result_t *r = arg;
    if (!strncmp(sink, "_SL_TRANSIENT_", 14))
        return;
    const char *cells[] = {id, "RUNNING", sink};
    result_add(r, cells, NULL);
}

static int show_type(void *arg, const char *name, const sl_sql_type_t *t)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_type_format(t, SL_SQL_TYPE_SQL, &b);
    sl_buf_append(&b, "", 1);
    const char *cells[] = {name, (const char *)b.data};
    result_add(arg, cells, NULL);
    sl_buf_free(&b);
    return 0;
}

static int show_function(void *arg, const sl_sql_function_t *fn)
{
    const char *cells[] = {fn->name, fn->category};
    result_add(arg, cells, NULL);
    return 0;
}

static int do_show(shell_t *sh, const sl_sql_stmt_t *st)
{
    result_t r;
    switch (st->show.what) {
    case SL_SQL_SHOW_STREAMS:
    case SL_SQL_SHOW_TABLES: {
        int tables = st->show.what == SL_SQL_SHOW_TABLES;
        const char *names[] = {tables ? "Table Name" : "Stream Name", "Kafka Topic", "Key Format",
                               "Value Format", "Windowed"};
        result_init(&r, 5, names);
        show_ctx_t c = {&r, tables};
        sl_sql_catalog_foreach(sh->cat, show_source, &c);
        break;
    }
    case SL_SQL_SHOW_QUERIES: {
        const char *names[] = {"Query ID", "Status", "Sink Name"};
        result_init(&r, 3, names);
        sl_sql_session_foreach_query(sh->sess, show_query, &r);
        break;
    }
    case SL_SQL_SHOW_PROPERTIES: {
        const char *names[] = {"Property", "Value"};
        result_init(&r, 2, names);
        for (size_t i = 0; i < sh->nprops; i++) {
            const char *cells[] = {sh->props[i].key, sh->props[i].value};
            result_add(&r, cells, NULL);
        }
        break;
    }
    case SL_SQL_SHOW_VARIABLES: {
        const char *names[] = {"Variable Name", "Value"};
        result_init(&r, 2, names);
        for (size_t i = 0; i < sh->nvars; i++) {
            const char *cells[] = {sh->vars[i].name, sh->vars[i].value};
            result_add(&r, cells, NULL);
        }
        break;
    }
    case SL_SQL_SHOW_FUNCTIONS: {
        const char *names[] = {"Function Name", "Category"};
        result_init(&r, 2, names);
        sl_sql_func_list_all(show_function, &r);
        break;
    }
    case SL_SQL_SHOW_TOPICS:
        return show_topics(sh, st->show.all);
    case SL_SQL_SHOW_TYPES: {
        const char *names[] = {"Type Name", "Schema"};
        result_init(&r, 2, names);
        sl_sql_catalog_foreach_type(sh->cat, show_type, &r);
        break;
    }
    }
    result_print(sh, &r);
    result_free(&r);
    return 0;
}

/* ---- DESCRIBE EXTENDED, DESCRIBE FUNCTION, SHOW TOPICS ---------------------------------------- */

/* A librdkafka handle on the embedded broker (group.id: group, for the
 * committed offsets of a query's application), or NULL. */
static rd_kafka_t *admin_handle(shell_t *sh, const char *group)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", sl_embedded_broker_bootstrap(sh->eb), err,
                          sizeof err) ||
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof err) ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
}

static int file_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw);
static int64_t tree_bytes;
static int file_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)ftw;
    if (flag == FTW_F)
        tree_bytes += st->st_size;
    return 0;
}

typedef struct users {
    const char *name;
    char reads[1024], writes[1024];
    const char *ids[64];
    size_t nids;
} users_t;

static void find_users(void *arg, const char *id, const char *sink, const char *const *sources,
                       size_t nsources)
{
    users_t *u = arg;
    int reads = 0;
    for (size_t i = 0; i < nsources; i++)
        reads |= !strcmp(sources[i], u->name);
    int writes = !strcmp(sink, u->name);
    if (!reads && !writes)
        return;
    char *b = reads ? u->reads : u->writes;
    size_t l = strlen(b);
    snprintf(b + l, sizeof u->reads - l, "%s%s", l ? ", " : "", id);
    if (u->nids < 64)
        u->ids[u->nids++] = id;
}

typedef struct query_sources {
    const char *id;
    const char *const *sources;
    size_t n;
} query_sources_t;

static void find_sources(void *arg, const char *id, const char *sink,
                         const char *const *sources, size_t nsources)
{
    (void)sink;
    query_sources_t *q = arg;
    if (!strcmp(q->id, id))
        q->sources = sources, q->n = nsources;
}

/* The runtime figures of a running query: records, rate, errors, state
 * size, and the lag of its application on each input partition. */
static void query_figures(shell_t *sh, const running_t *r)
{
    int64_t processed = sl_streams_metric(r->app, "process-total");
    int64_t sent = sl_streams_metric(r->app, "record-send-total");
    int64_t errors = sl_streams_metric(r->app, "deserialization-errors") +
                     sl_streams_metric(r->app, "dropped-records") +
                     sl_streams_metric(r->app, "skipped-records");
    int64_t up = now_ms() - r->started_ms;
    double rate = up > 0 ? (double)processed * 1000.0 / (double)up : 0.0;
    double out_rate = up > 0 ? (double)sent * 1000.0 / (double)up : 0.0;
    int failed = sl_streams_state(r->app) == SL_STREAMS_ERROR;
    tree_bytes = 0;
    nftw(sl_streams_state_dir(r->app), file_bytes, 16, FTW_PHYS);
    char *id = json_string(r->id), *dir = json_string(sl_streams_state_dir(r->app));
    char *why = json_string(failed ? sl_streams_error(r->app) : "");
    if (sh->json)
        printf("{\"query\":%s,\"state\":\"%s\",\"recordsProcessed\":%lld,"
               "\"recordsPerSecond\":%.1f,\"recordsOut\":%lld,\"recordsOutPerSecond\":%.1f,"
               "\"errors\":%lld,\"stateBytes\":%lld,\"stateDir\":%s%s%s,\"lag\":[",
               id, failed ? "ERROR" : "RUNNING", (long long)processed, rate, (long long)sent,
               out_rate, (long long)errors, (long long)tree_bytes, dir,
               failed ? ",\"error\":" : "", failed ? why : "");
    else
        printf("\n%s (%s, started %.1f s ago):\n"
               "  records in:  %lld (%.1f/s)\n"
               "  records out: %lld (%.1f/s)\n"
               "  errors (unreadable, dropped, skipped records): %lld\n"
               "  state stores: %lld bytes in %s\n%s%s%s",
               r->id, failed ? "ERROR" : "RUNNING", up / 1000.0, (long long)processed, rate,
               (long long)sent, out_rate, (long long)errors, (long long)tree_bytes,
               sl_streams_state_dir(r->app),
               failed ? "  error: " : "", failed ? sl_streams_error(r->app) : "",
               failed ? "\n" : "");
    free(id), free(dir), free(why);
    query_sources_t q = {r->id, NULL, 0};
    sl_sql_session_foreach_query(sh->sess, find_sources, &q);
    char group[300];
    snprintf(group, sizeof group, ENGINE_APP_PREFIX "%s", r->id);
    rd_kafka_t *rk = admin_handle(sh, group);
    int first = 1;
    for (size_t i = 0; rk && i < q.n; i++) {
        const sl_sql_datasource_t *src = sl_sql_catalog_find(sh->cat, q.sources[i]);
        int32_t n = 0;
        if (!src || sl_client_partitions(sh->client, src->topic, &n) || n <= 0)
            continue;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
        for (int32_t p = 0; p < n; p++)
            rd_kafka_topic_partition_list_add(l, src->topic, p);
        rd_kafka_committed(rk, l, 5000);
        for (int32_t p = 0; p < n; p++) {
            int64_t lo = 0, hi = 0, at = l->elems[p].offset;
            rd_kafka_query_watermark_offsets(rk, src->topic, p, &lo, &hi, 5000);
            int64_t lag = at < 0 ? hi - lo : hi > at ? hi - at : 0;
            if (sh->json) {
                char *t = json_string(src->topic);
                printf("%s{\"topic\":%s,\"partition\":%d,\"committed\":%lld,\"end\":%lld,"
                       "\"lag\":%lld}",
                       first ? "" : ",", t, (int)p, (long long)(at < 0 ? -1 : at), (long long)hi,
                       (long long)lag);
                free(t);
                first = 0;
            } else if (at < 0) {
                printf("  lag on %s-%d: %lld (nothing committed yet; end %lld)\n", src->topic,
                       (int)p, (long long)lag, (long long)hi);
            } else {
                printf("  lag on %s-%d: %lld (committed %lld, end %lld)\n", src->topic, (int)p,
                       (long long)lag, (long long)at, (long long)hi);
            }
        }
        rd_kafka_topic_partition_list_destroy(l);
    }
    if (sh->json)
        printf("]}\n");
    if (rk)
        rd_kafka_destroy(rk);
}

static void describe_extended(shell_t *sh, const sl_sql_datasource_t *d)
{
    int32_t parts = 0;
    sl_client_partitions(sh->client, d->topic, &parts);
    users_t u = {.name = d->name};
    sl_sql_session_foreach_query(sh->sess, find_users, &u);
    if (sh->json) {
        char *n = json_string(d->name), *t = json_string(d->topic);
        char *q = json_string(d->sql ? d->sql : ""), *rd = json_string(u.reads),
             *wr = json_string(u.writes);
        printf("{\"name\":%s,\"type\":\"%s\",\"topic\":%s,\"partitions\":%d,"
               "\"keyFormat\":\"%s\",\"valueFormat\":\"%s\",\"statement\":%s,"
               "\"readQueries\":%s,\"writeQueries\":%s}\n",
               n, d->table ? "TABLE" : "STREAM", t, (int)parts, format_name(d->key_format.kind),
               format_name(d->value_format.kind), q, rd, wr);
        free(n), free(t), free(q), free(rd), free(wr);
    } else {
        printf("Type                 : %s\nKafka topic          : %s (partitions: %d)\n"
               "Key format           : %s\nValue format         : %s\n",
               d->table ? "TABLE" : "STREAM", d->topic, (int)parts,
               format_name(d->key_format.kind), format_name(d->value_format.kind));
        if (d->timestamp)
            printf("Timestamp field      : %s\n", d->timestamp);
        if (d->sql)
            printf("Statement            : %s\n", d->sql);
        printf("\nQueries that read from this %s : [%s]\nQueries that write into this %s: "
               "[%s]\n",
               d->table ? "TABLE" : "STREAM", u.reads, d->table ? "TABLE" : "STREAM", u.writes);
    }
    for (size_t i = 0; i < u.nids; i++)
        for (size_t k = 0; k < sh->nruns; k++)
            if (!strcmp(sh->runs[k].id, u.ids[i]))
                query_figures(sh, &sh->runs[k]);
    fflush(stdout);
}

static int describe_function(shell_t *sh, const char *name)
{
    const sl_sql_function_t *fn = sl_sql_func_find(name);
    const char *type = "SCALAR";
    if (!fn && (fn = sl_sql_func_find_other(name)) != NULL)
        type = fn->category; /* AGGREGATE or TABLE */
    if (!fn) {
        err_line("Can't find any functions with the name '%s'", name);
        return -1;
    }
    if (!sh->json)
        printf("\nName        : %s\nType        : %s\nCategory    : %s\n"
               "Description : %s\n\n",
               fn->name, type, fn->category, fn->description ? fn->description : "");
    const char *names[] = {"Variation", "Returns"};
    result_t r;
    result_init(&r, 2, names);
    for (size_t i = 0; i < fn->noverloads; i++) {
        char v[512];
        snprintf(v, sizeof v, "%s(%s)", fn->name, fn->overloads[i].params);
        const char *cells[] = {v, fn->overloads[i].ret ? fn->overloads[i].ret : "(depends on the "
                                                                                 "arguments)"};
        result_add(&r, cells, NULL);
    }
    result_print(sh, &r);
    result_free(&r);
    return 0;
}

static int show_topics(shell_t *sh, int all)
{
    rd_kafka_t *rk = admin_handle(sh, "sluice-shell");
    const struct rd_kafka_metadata *md = NULL;
    if (!rk || rd_kafka_metadata(rk, 1, NULL, &md, 10000)) {
        err_line("Could not list the topics");
        if (rk)
            rd_kafka_destroy(rk);
        return -1;
    }
    const char *names[] = {"Kafka Topic", "Partitions", "Partition Replicas"};
    result_t r;
    result_init(&r, 3, names);
    for (int i = 0; i < md->topic_cnt; i++) {
        const char *t = md->topics[i].topic;
        if (!all && (t[0] == '_' || !strncmp(t, ENGINE_APP_PREFIX, strlen(ENGINE_APP_PREFIX))))
            continue; /* internal topics: SHOW ALL TOPICS */
        char np[32], nr[32];
        snprintf(np, sizeof np, "%d", md->topics[i].partition_cnt);
        snprintf(nr, sizeof nr, "%d",
                 md->topics[i].partition_cnt ? md->topics[i].partitions[0].replica_cnt : 0);
        const char *cells[] = {t, np, nr};
        const char *json[] = {NULL, np, nr};
        result_add(&r, cells, json);
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
    result_print(sh, &r);
    result_free(&r);
    return 0;
}

static int do_describe(shell_t *sh, const sl_sql_stmt_t *st)
{
    if (!st->describe.name.s) {
        sl_sql_stmt_t show = {.kind = SL_SQL_STMT_SHOW};
        show.show.what = st->describe.tables ? SL_SQL_SHOW_TABLES : SL_SQL_SHOW_STREAMS;
        return do_show(sh, &show);
    }
    const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, st->describe.name.s);
    if (!d) {
        err_line("Could not find STREAM/TABLE '%s' in the Metastore", st->describe.name.s);
        return -1;
    }
    const char *names[] = {"Field", "Type"};
    result_t r;
    result_init(&r, 2, names);
    for (size_t i = 0; i < d->ncols; i++) {
        const sl_sql_datasource_col_t *c = &d->cols[i];
        sl_buf_t b = SL_BUF_INIT;
        sl_sql_type_format(c->type, SL_SQL_TYPE_SQL, &b);
        const char *role = c->role == SL_SQL_ROLE_KEY ? (d->table ? " (primary key)" : " (key)")
                           : c->role == SL_SQL_ROLE_HEADERS ? " (headers)"
                           : c->role == SL_SQL_ROLE_HEADER  ? " (header)"
                                                            : "";
        sl_buf_append(&b, role, strlen(role));
        if (c->role == SL_SQL_ROLE_KEY && d->window) { /* as ksqlDB's CLI marks it */
            const char *wt = d->window == 2 ? " (Window type: SESSION)"
                             : d->window_hopping ? " (Window type: HOPPING)"
                                                 : " (Window type: TUMBLING)";
            sl_buf_append(&b, wt, strlen(wt));
        }
        sl_buf_append(&b, "", 1);
        const char *cells[] = {c->name, (const char *)b.data};
        result_add(&r, cells, NULL);
        sl_buf_free(&b);
    }
    if (!sh->json)
        printf("\nName                 : %s\n", d->name);
    result_print(sh, &r);
    result_free(&r);
    if (st->describe.extended)
        describe_extended(sh, d);
    return 0;
}

/* ---- statements --------------------------------------------------------------------------------- */

static int set_var(shell_t *sh, const char *name, const char *value)
{
    size_t i = 0;
    while (i < sh->nvars && strcasecmp(sh->vars[i].name, name))
        i++;
    if (i < sh->nvars) {
        free((char *)sh->vars[i].name), free((char *)sh->vars[i].value);
        sh->vars[i] = sh->vars[--sh->nvars];
    }
    if (!value)
        return 0;
    if (sh->nvars == sh->vars_cap) {
        sh->vars_cap = sh->vars_cap ? sh->vars_cap * 2 : 8;
        sh->vars = realloc(sh->vars, sh->vars_cap * sizeof *sh->vars);
        if (!sh->vars)
            exit(1);
    }
    sh->vars[sh->nvars++] = (sl_sql_var_t){xstrdup(name), xstrdup(value)};
    return 0;
}

static void set_prop(shell_t *sh, const char *key, const char *value)
{
    for (size_t i = 0; i < sh->nprops; i++) {
        if (strcasecmp(sh->props[i].key, key))
            continue;
        free(sh->props[i].key), free(sh->props[i].value);
        sh->props[i] = sh->props[--sh->nprops];
        break;
    }
    if (!value)
        return;
    if (sh->nprops == sh->props_cap) {
        sh->props_cap = sh->props_cap ? sh->props_cap * 2 : 8;
        sh->props = realloc(sh->props, sh->props_cap * sizeof *sh->props);
        if (!sh->props)
            exit(1);
    }
    sh->props[sh->nprops++] = (prop_t){xstrdup(key), xstrdup(value)};
}

static int run_text(shell_t *sh, const char *text, size_t len);

static int run_script(shell_t *sh, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        err_line("Could not read %s: %s", path, strerror(errno));
        return -1;
    }
    sl_buf_t b = SL_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sl_buf_append(&b, chunk, n);
    fclose(f);
    int rc = run_text(sh, b.data ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    return rc;
}

/* Writes the records INSERT … VALUES made to their topics. */
static int flush_inserts(shell_t *sh)
{
    size_t n;
    const sl_sql_insert_t *ins = sl_sql_session_inserts(sh->sess, &n);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = sl_client_produce(sh->client, ins[i].topic, ins[i].key.data, ins[i].key.len,
                               ins[i].value.data, ins[i].value.len, ins[i].timestamp) != SL_OK;
    sl_sql_session_clear_inserts(sh->sess);
    if (!rc)
        rc = sl_client_flush(sh->client, 10000) != SL_OK;
    if (rc)
        err_line("Failed to insert values into the topic");
    return rc ? -1 : 0;
}

/* Takes back a CREATE … AS SELECT that failed after its sink was added
 * (the topic it may have made stays: it may hold nothing but is a topic). */
static void undo_create(shell_t *sh, const char *name)
{
    const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, name);
    sl_sql_stmt_t drop = {.kind = SL_SQL_STMT_DROP_SOURCE};
    drop.drop.table = d && d->table;
    drop.drop.name.s = name;
    const char *msg;
    char err[512];
    sl_sql_session_execute(sh->sess, &drop, &msg, err, sizeof err);
}

static const char HELP[] =
    "Statements end with ';' and may span lines. ksqlDB's SQL: docs/sql/README.md.\n"
    "  CREATE STREAM|TABLE … WITH (…);  CREATE STREAM|TABLE … AS SELECT …;\n"
    "  INSERT INTO … VALUES (…);  INSERT INTO … SELECT …;  DROP STREAM|TABLE … [DELETE TOPIC];\n"
    "  SELECT … EMIT CHANGES [LIMIT n];   a push query: Ctrl-C ends it\n"
    "  SELECT … FROM table|stream [WHERE …] [LIMIT n];   a pull query: the rows there now\n"
    "  SHOW STREAMS|TABLES|QUERIES|TOPICS|PROPERTIES|VARIABLES|FUNCTIONS|TYPES;\n"
    "  DESCRIBE [EXTENDED] name;  DESCRIBE FUNCTION f;  EXPLAIN query-id|statement;\n"
    "  PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n];  TERMINATE id|ALL;\n"
    "  SET 'key'='value';  UNSET 'key';  DEFINE name = 'value';  UNDEFINE name;\n"
    "  RUN SCRIPT 'file';  HELP;  EXIT;\n";

static int run_stmt(shell_t *sh, const sl_sql_stmt_t *st)
{
    const char *msg = "";
    char err[4096] = "";
    switch (st->kind) {
    case SL_SQL_STMT_SELECT:
        return push_query(sh, st);
    case SL_SQL_STMT_DEFINE:
    case SL_SQL_STMT_UNDEFINE:
        return set_var(sh, st->define.name.s,
                       st->kind == SL_SQL_STMT_DEFINE ? st->define.value : NULL);
    case SL_SQL_STMT_SET:
    case SL_SQL_STMT_UNSET:
        if (st->kind == SL_SQL_STMT_SET) {
            /* A bad value for a setting the engine knows is refused now,
             * not when a query starts. */
            const char *key = engine_key(st->set.name);
            sl_config_t *probe = key ? sl_config_new() : NULL;
            char why[512] = "";
            if (probe && sl_config_set(probe, key, st->set.value, why, sizeof why) ==
                             SL_ERR_CONFIG) {
                sl_config_destroy(probe);
                err_line("Invalid value '%s' for property '%s': %s", st->set.value,
                         st->set.name, why);
                return -1;
            }
            sl_config_destroy(probe);
        }
        /* The compiler's own (ksql.functions.…): for the queries compiled
         * after it; a bad value refused now. */
        if (sl_sql_session_is_property(st->set.name) &&
            sl_sql_session_set_property(sh->sess, st->set.name,
                                        st->kind == SL_SQL_STMT_SET ? st->set.value : NULL, err,
                                        sizeof err)) {
            err_line("%s", err);
            return -1;
        }
        set_prop(sh, st->set.name, st->kind == SL_SQL_STMT_SET ? st->set.value : NULL);
        print_message(sh, st->kind == SL_SQL_STMT_SET ? "Successfully changed local property."
                                                      : "Successfully unset local property.");
        return 0;
    case SL_SQL_STMT_SHOW:
        return do_show(sh, st);
    case SL_SQL_STMT_DESCRIBE:
        return do_describe(sh, st);
    case SL_SQL_STMT_PRINT:
        return do_print(sh, st);
    case SL_SQL_STMT_RUN_SCRIPT:
        return run_script(sh, st->run_script.path);
    case SL_SQL_STMT_TERMINATE: {
        int found = 0;
        for (size_t i = sh->nruns; i-- > 0;) {
            if (st->terminate.all || !strcasecmp(sh->runs[i].id, st->terminate.query_id.s)) {
                char dberr[512];
                if (sh->db && sl__shell_db_terminate(sh->db, sh->runs[i].id, dberr, sizeof dberr))
                    err_line("%s", dberr);
                stop_run(sh, i, 1);
                found = 1;
            }
        }
        if (!found && !st->terminate.all) {
            err_line("Unknown queryId: %s", st->terminate.query_id.s);
            return -1;
        }
        print_message(sh, "Query terminated.");
        return 0;
    }
    case SL_SQL_STMT_DESCRIBE_FUNCTION:
        return describe_function(sh, st->describe.name.s);
    case SL_SQL_STMT_EXPLAIN:
        return do_explain(sh, st);
    default:
        break;
    }
    /* DROP of a source table ends the query that materializes it (CST_…). */
    if (st->kind == SL_SQL_STMT_DROP_SOURCE) {
        const sl_sql_datasource_t *d = sl_sql_catalog_find(sh->cat, st->drop.name.s);
        char prefix[300];
        snprintf(prefix, sizeof prefix, "CST_%s_", st->drop.name.s);
        for (size_t i = sh->nruns; d && d->read_only && d->table && i-- > 0;) {
            if (strncmp(sh->runs[i].id, prefix, strlen(prefix)))
                continue;
            char dberr[512];
            if (sh->db && sl__shell_db_terminate(sh->db, sh->runs[i].id, dberr, sizeof dberr))
                err_line("%s", dberr);
            stop_run(sh, i, 1);
        }
    }
    /* A failed statement leaves the catalog and the queries as they were. */
    int query = st->kind == SL_SQL_STMT_CREATE_AS || st->kind == SL_SQL_STMT_INSERT_SELECT ||
                (st->kind == SL_SQL_STMT_CREATE_SOURCE && st->create.source && st->create.table);
    const char *target = st->kind == SL_SQL_STMT_CREATE_AS ? st->create.name.s : NULL;
    int existed = target && sl_sql_catalog_find(sh->cat, target);
    if (sl_sql_session_execute(sh->sess, st, &msg, err, sizeof err)) {
        err_line("%s", err);
        if (query) /* whatever the compiler had built of it */
            sl_topology_destroy(sl_sql_session_take_topology(sh->sess));
        if (target && !existed && sl_sql_catalog_find(sh->cat, target))
            undo_create(sh, target);
        return -1;
    }
    if (st->kind == SL_SQL_STMT_INSERT_VALUES)
        return flush_inserts(sh);
    const char *qid = NULL;
    char *props = props_text(sh);
    int rc = 0, upgraded = query && sl_sql_session_last_upgraded(sh->sess);
    if (query) {
        const char *id = sl_sql_session_last_query(sh->sess);
        /* An upgrade (CREATE OR REPLACE of a running query's sink): the old
         * version stops, the new one resumes where it was. */
        for (size_t i = sh->nruns; upgraded && id && i-- > 0;)
            if (!strcmp(sh->runs[i].id, id))
                stop_for_upgrade(sh, i);
        if (sl_sql_session_queries(sh->sess) && id) {
            qid = id;
            rc = start_query(sh, id, props, 0, st->text, st->text_len);
            if (rc) { /* it cannot run: as if the statement had not been */
                sl_sql_session_forget_query(sh->sess, id);
                if (target && !existed)
                    undo_create(sh, target);
            }
        }
    }
    /* What made a stream, table, type or query goes to the catalog. */
    if (!rc && sh->db && st->kind != SL_SQL_STMT_INSERT_VALUES &&
        (upgraded && qid ? sl__shell_db_upgrade(sh->db, st->text, st->text_len, qid, props, err,
                                                sizeof err)
                         : sl__shell_db_append(sh->db, st->text, st->text_len, qid, props, err,
                                               sizeof err))) {
        err_line("The catalog could not record the statement: %s", err);
        rc = -1;
    }
    free(props);
    if (rc)
        return -1;
    print_message(sh, msg);
    return 0;
}

/* Runs the statements of text[0..len) one by one, each after ${var}
 * substitution with the variables defined before it. Returns 0, or -1 when
 * one failed (the rest still run in interactive mode, not in scripts). */
static int run_text(shell_t *sh, const char *text, size_t len)
{
    int rc = 0;
    for (size_t off = 0; off < len;) {
        size_t end = off + sl_sql_statement_end(text + off, len - off, NULL);
        char *sub;
        size_t sublen;
        if (sl_sql_substitute(text + off, end - off, sh->vars, sh->nvars, &sh->arena, &sub,
                              &sublen)) {
            err_line("out of memory");
            return -1;
        }
        off = end;
        sl_sql_stmt_list_t *list;
        sl_sql_error_t perr;
        if (sl_sql_parse(sub, &sh->arena, &list, &perr)) {
            char *m = sl_sql_error_format(&perr, sub);
            err_line("%s", m ? m : perr.message);
            free(m);
            rc = -1;
        } else {
            for (size_t i = 0; i < list->n && (rc == 0 || sh->interactive); i++)
                if (run_stmt(sh, list->items[i]))
                    rc = -1;
        }
        if (rc && !sh->interactive)
            return rc;
    }
    return rc;
}

/* ---- the catalog's replay ---------------------------------------------------------------------- */

typedef struct replay_ctx {
    shell_t *sh;
    int next_seq;
} replay_ctx_t;

static void replay_one(void *arg, const char *sql, const char *query_id, const char *props,
                       int terminated)
{
    replay_ctx_t *rc = arg;
    shell_t *sh = rc->sh;
    sl_sql_stmt_list_t *list;
    sl_sql_error_t perr;
    char err[2048];
    if (sl_sql_parse(sql, &sh->arena, &list, &perr) || list->n != 1) {
        err_line("catalog: cannot read back '%s'", sql);
        return;
    }
    sl_sql_stmt_t *st = list->items[0];
    if (query_id) { /* the same id again: its state and offsets are under it */
        const char *u = strrchr(query_id, '_');
        int n = u ? atoi(u + 1) : 0;
        sl_sql_session_set_query_seq(sh->sess, n);
        if (n + 1 > rc->next_seq)
            rc->next_seq = n + 1;
    }
    int delete_topic = st->kind == SL_SQL_STMT_DROP_SOURCE && st->drop.delete_topic;
    if (delete_topic)
        st->drop.delete_topic = false; /* deleted already */
    const char *msg;
    /* The compiler's properties the query was made with, for it alone. */
    apply_session_props(sh->sess, query_id ? props : NULL);
    sl_err_t e = sl_sql_session_execute(sh->sess, st, &msg, err, sizeof err);
    apply_session_props(sh->sess, NULL);
    if (e) {
        err_line("catalog: cannot replay '%s': %s", sql, err);
        return;
    }
    const char *id = sl_sql_session_last_query(sh->sess);
    if (!query_id || !id || strcmp(id, query_id) || !sl_sql_session_queries(sh->sess))
        return;
    if (terminated == SL_SHELL_DB_UPGRADED) {
        /* A later statement upgraded it: that one starts it. */
        sl_topology_destroy(sl_sql_session_take_topology(sh->sess));
        return;
    }
    if (terminated) {
        sl_topology_destroy(sl_sql_session_take_topology(sh->sess));
        sl_sql_session_forget_query(sh->sess, id);
        return;
    }
    char *qid = xstrdup(id);
    start_query(sh, qid, props, 0, sql, strlen(sql));
    free(qid);
}

/* Brings back the streams, tables, types and queries of the catalog. */
static void replay(shell_t *sh)
{
    replay_ctx_t rc = {sh, 0};
    char err[512];
    if (sl__shell_db_foreach(sh->db, replay_one, &rc, err, sizeof err))
        err_line("catalog: %s", err);
    sl_sql_session_set_query_seq(sh->sess, rc.next_seq);
}

/* ---- the command -------------------------------------------------------------------------------- */

static int usage(void)
{
    err_line("usage: sluice [--data-dir DIR] [--listen HOST:PORT|none] [--output table|json]\n"
             "              [-e \"SQL; SQL;\"] [-f FILE]");
    return 2;
}

static void shell_close(shell_t *sh)
{
    while (sh->nruns)
        stop_run(sh, sh->nruns - 1, 0);
    free(sh->runs);
    sl_sql_session_destroy(sh->sess);
    sl_sql_catalog_destroy(sh->cat);
    sl__shell_db_close(sh->db);
    if (sh->client)
        sl_client_flush(sh->client, 5000);
    sl_client_destroy(sh->client);
    sl_embedded_broker_stop(sh->eb);
    for (size_t i = 0; i < sh->nvars; i++)
        free((char *)sh->vars[i].name), free((char *)sh->vars[i].value);
    free(sh->vars);
    for (size_t i = 0; i < sh->nprops; i++)
        free(sh->props[i].key), free(sh->props[i].value);
    free(sh->props);
    sl_arena_free(&sh->arena);
    free(sh->data_dir);
}

/* ---- tab completion: keywords, streams and tables, their columns, functions ---------------------- */

static shell_t *completing; /* the interactive shell (one per process) */

typedef struct cands {
    char **v;
    size_t n, cap;
    const char *prefix;
    size_t plen;
} cands_t;

static void cand_add(cands_t *c, const char *w)
{
    if (!w || strncasecmp(w, c->prefix, c->plen))
        return;
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i], w))
            return;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        if (!c->v)
            exit(1);
    }
    c->v[c->n++] = xstrdup(w);
}

static int cand_source(void *arg, const sl_sql_datasource_t *d)
{
    cand_add(arg, d->name);
    for (size_t i = 0; i < d->ncols; i++)
        cand_add(arg, d->cols[i].name);
    return 0;
}

static int cand_function(void *arg, const sl_sql_function_t *fn)
{
    cand_add(arg, fn->name);
    return 0;
}

static const char *const KEYWORDS[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "PARTITION", "EMIT", "CHANGES", "FINAL",
    "LIMIT", "CREATE", "STREAM", "TABLE", "AS", "WITH", "INSERT", "INTO", "VALUES", "DROP",
    "DELETE", "TOPIC", "SOURCE", "OR", "REPLACE", "IF", "EXISTS", "NOT", "AND", "NULL", "IS",
    "JOIN", "LEFT", "RIGHT", "FULL", "OUTER", "INNER", "ON", "WITHIN", "WINDOW", "TUMBLING",
    "HOPPING", "SESSION", "SIZE", "ADVANCE", "GRACE", "PERIOD", "RETENTION", "KEY", "PRIMARY",
    "HEADERS", "HEADER", "CAST", "CASE", "WHEN", "THEN", "ELSE", "END", "BETWEEN", "IN", "LIKE",
    "SHOW", "LIST", "STREAMS", "TABLES", "QUERIES", "TOPICS", "FUNCTIONS", "PROPERTIES",
    "VARIABLES", "DESCRIBE", "EXTENDED", "FUNCTION", "PRINT", "BEGINNING", "INTERVAL",
    "TERMINATE", "ALL", "SET", "UNSET", "DEFINE", "UNDEFINE", "RUN", "SCRIPT", "EXPLAIN", "TYPE",
    "KAFKA_TOPIC", "VALUE_FORMAT", "KEY_FORMAT", "FORMAT", "PARTITIONS", "TIMESTAMP",
    "TIMESTAMP_FORMAT", "WRAP_SINGLE_VALUE", "VALUE_DELIMITER", "BOOLEAN", "INT", "INTEGER",
    "BIGINT", "DOUBLE", "DECIMAL", "STRING", "VARCHAR", "BYTES", "DATE", "TIME", "ARRAY", "MAP",
    "STRUCT", "HELP", "EXIT", "QUIT", NULL};

static char *complete_word(const char *text, int state)
{
    static cands_t c;
    static size_t next;
    if (!state) {
        for (size_t i = 0; i < c.n; i++)
            free(c.v[i]);
        c.n = 0, next = 0;
        c.prefix = text, c.plen = strlen(text);
        for (size_t i = 0; KEYWORDS[i]; i++)
            cand_add(&c, KEYWORDS[i]);
        if (completing) {
            sl_sql_catalog_foreach(completing->cat, cand_source, &c);
            sl_sql_func_list_all(cand_function, &c);
        }
    }
    return next < c.n ? xstrdup(c.v[next++]) : NULL;
}

/* The interactive loop: libedit, history in ~/.sluice_history, statements
 * that span lines until their ';', Tab completion. */
static void interactive(shell_t *sh)
{
    char hist[4096] = "";
    const char *home = getenv("HOME");
    if (home)
        snprintf(hist, sizeof hist, "%s/.sluice_history", home);
    using_history();
    if (hist[0])
        read_history(hist);
    completing = sh;
    rl_completion_entry_function = complete_word;
    sl_buf_t pending = SL_BUF_INIT;
    for (;;) {
        interrupted = 0;
        char *line = readline(pending.len ? ">" : "sluice> ");
        if (!line && interrupted) { /* Ctrl-C at the prompt: drop the statement, go on */
            pending.len = 0;
            putchar('\n');
            continue;
        }
        if (!line)
            break;
        if (!pending.len && (!strcasecmp(line, "exit") || !strcasecmp(line, "quit") ||
                             !strcasecmp(line, "exit;") || !strcasecmp(line, "quit;"))) {
            free(line);
            break;
        }
        if (!pending.len && (!strcasecmp(line, "help") || !strcasecmp(line, "help;"))) {
            fputs(HELP, stdout);
            free(line);
            continue;
        }
        if (*line)
            add_history(line);
        sl_buf_append(&pending, line, strlen(line));
        sl_buf_append(&pending, "\n", 1);
        free(line);
        bool complete = false;
        size_t end = sl_sql_statement_end((const char *)pending.data, pending.len, &complete);
        if (!complete)
            continue;
        run_text(sh, (const char *)pending.data, end);
        pending.len = 0;
    }
    sl_buf_free(&pending);
    if (hist[0])
        write_history(hist);
}

int sl__cmd_shell(int argc, char **argv)
{
    const char *data_dir = "./sluice-data", *listen = "127.0.0.1:9092", *exec = NULL,
               *file = NULL, *output = "table";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = !strcmp(a, "--data-dir") ? &data_dir
                           : !strcmp(a, "--listen") ? &listen
                           : !strcmp(a, "--output") ? &output
                           : !strcmp(a, "-e")       ? &exec
                           : !strcmp(a, "-f")       ? &file
                                                    : NULL;
        if (!dst || i + 1 >= argc)
            return usage();
        *dst = argv[++i];
    }
    if (strcmp(output, "table") && strcmp(output, "json"))
        return usage();
    shell_t sh = {.json = !strcmp(output, "json")};
    sh.interactive = !exec && !file && isatty(STDIN_FILENO);
    sh.data_dir = xstrdup(data_dir);
    char err[1024];
    int rc = 1;
    if (strcmp(listen, "none") == 0)
        listen = NULL;
    if (sl_embedded_broker_start(data_dir, listen, &sh.eb, err, sizeof err)) {
        err_line("sluice: cannot start the broker: %s%s", err,
                 listen && strstr(err, "in use") ? " (choose another address with --listen "
                                                  "HOST:PORT, or --listen none)"
                                                : "");
        free(sh.data_dir);
        return 1;
    }
    if (sl_client_new(NULL, sh.eb, &sh.client, err, sizeof err)) {
        err_line("sluice: %s", err);
        goto out;
    }
    sl_sql_topics_t topics = sl_sql_topics_of_client(sh.client);
    if (!(sh.cat = sl_sql_catalog_new(&topics)) || !(sh.sess = sl_sql_session_new(sh.cat))) {
        err_line("sluice: out of memory");
        goto out;
    }
    sl_sql_session_set_materialize(sh.sess, 1); /* tables answer pull queries */
    if (sl__shell_db_open(data_dir, &sh.db, err, sizeof err)) {
        err_line("sluice: the catalog: %s", err);
        goto out;
    }
    replay(&sh);
    struct sigaction sa = {.sa_handler = on_sigint};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    if (exec) {
        rc = run_text(&sh, exec, strlen(exec)) ? 1 : 0;
    } else if (file) {
        rc = run_script(&sh, file) ? 1 : 0;
    } else if (!sh.interactive) {
        /* Statements on stdin run as each one is complete (a pipe may stay
         * open while a program feeds it). */
        sl_buf_t b = SL_BUF_INIT;
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        rc = 0;
        while (!rc && (n = getline(&line, &cap, stdin)) > 0) {
            sl_buf_append(&b, line, (size_t)n);
            bool complete = false;
            size_t end = sl_sql_statement_end((const char *)b.data, b.len, &complete);
            if (!complete)
                continue;
            rc = run_text(&sh, (const char *)b.data, end) ? 1 : 0;
            memmove(b.data, b.data + end, b.len - end);
            b.len -= end;
        }
        if (!rc && b.len)
            rc = run_text(&sh, (const char *)b.data, b.len) ? 1 : 0;
        free(line);
        sl_buf_free(&b);
    } else {
        printf("Sluice SQL shell — ksqlDB's SQL on an embedded broker and engine.\n"
               "Data: %s   Kafka clients: bootstrap.servers=%s\n"
               "Type HELP for the statements, EXIT (or Ctrl-D) to leave.\n\n",
               data_dir, sl_embedded_broker_bootstrap(sh.eb));
        interactive(&sh);
        rc = 0;
    }
out:
    shell_close(&sh);
    return rc;
}
