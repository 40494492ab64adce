/* cmd_test_runner.c — `sluice test-runner -s statements.sql -i input.json -o
 * output.json`, as ksqlDB's ksql-test-runner: runs the statements on the test
 * driver (record cache off: every update emitted), feeds the inputs in order,
 * and compares every record of every expected output topic in order.
 * Exit 0: the outputs match; 1: they differ (a readable diff on stdout);
 * 2: a statement was rejected or a file is bad (the reason on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sluice/sluice.h>

#include "sql/catalog.h"
#include "sql/session.h"
#include "sql/sql_parse.h"
#include "sql/testfile.h"

/* ksqlDB's default processing log topic (its stream: KSQL_PROCESSING_LOG):
 * records a query skips or partly computes are written there as JSON. */
#define PLOG_TOPIC "default_ksql_processing_log"

static const sl_sql_datasource_t plog_source = {
    .name = "KSQL_PROCESSING_LOG",
    .topic = PLOG_TOPIC,
    .value_format = {.kind = SL_SQL_FORMAT_JSON},
};

/* Standard base64 into out (room for 3/4 of n): the decoded length, or -1. */
static long b64_decode(const char *in, size_t n, uint8_t *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    long len = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=')
            break;
        const char *p = memchr(tbl, in[i], 64);
        if (!p || !in[i])
            return -1;
        acc = (acc << 6) | (uint32_t)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (uint8_t)(acc >> bits);
        }
    }
    return len;
}

/* An input record's "headers": [{"KEY": "k", "VALUE": "base64" | null}, …]
 * into hs (names and values point into the JSON and into buf). */
static int input_headers(const json_t *arr, sl_header_t *hs, size_t max, uint8_t *buf,
                         size_t buflen)
{
    size_t n = 0, used = 0;
    for (size_t i = 0; arr && i < json_array_size(arr) && n < max; i++) {
        json_t *h = json_array_get(arr, i);
        const char *k = json_string_value(json_object_get(h, "KEY"));
        json_t *v = json_object_get(h, "VALUE");
        if (!k)
            return -1;
        hs[n] = (sl_header_t){.key = k, .value_null = 1};
        if (json_is_string(v)) {
            size_t vl = json_string_length(v);
            if (used + vl > buflen)
                return -1;
            long dl = b64_decode(json_string_value(v), vl, buf + used);
            if (dl < 0)
                return -1;
            hs[n].value = (sl_bytes_t){buf + used, (size_t)dl};
            hs[n].value_null = 0;
            used += (size_t)dl;
        }
        n++;
    }
    return (int)n;
}

/* A windowed source's key (Kafka Streams' layouts): the key's bytes, then
 * the window of the input record's "window" {"start", "end", "type"} —
 * time windows: the start; session windows: the end, then the start (8
 * bytes big-endian each). A key of a stream or table that is not windowed
 * takes no window. Returns 0, or -1 with why. */
static int input_window(const sl_sql_datasource_t *src, const json_t *w, sl_buf_t *kb,
                        char *why, size_t whylen)
{
    if (!src->window) {
        if (w)
            snprintf(why, whylen, "\"window\" given, but %s is not windowed", src->name);
        return w ? -1 : 0;
    }
    json_t *start = json_object_get(w, "start"), *end = json_object_get(w, "end");
    const char *type = json_string_value(json_object_get(w, "type"));
    const char *want = src->window == 2 ? "session" : "time";
    if (!json_is_object(w) || !json_is_integer(start) ||
        (src->window == 2 && !json_is_integer(end)) || (type && strcasecmp(type, want))) {
        snprintf(why, whylen,
                 "%s is %s windowed: its records need a \"window\": {\"start\": ms%s, "
                 "\"type\": \"%s\"}",
                 src->name, src->window == 2 ? "SESSION" : src->window_hopping ? "HOPPING" : "TUMBLING",
                 src->window == 2 ? ", \"end\": ms" : "", want);
        return -1;
    }
    uint8_t b[16];
    size_t n = 0;
    if (src->window == 2)
        sl_store_be64(b, (uint64_t)json_integer_value(end)), n = 8;
    sl_store_be64(b + n, (uint64_t)json_integer_value(start));
    return sl_buf_append(kb, b, n + 8) ? (snprintf(why, whylen, "out of memory"), -1) : 0;
}

/* Standard base64 of n bytes into a new string (the caller frees it). */
static char *b64_encode(const uint8_t *in, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *o++ = tbl[v >> 18 & 63];
        *o++ = tbl[v >> 12 & 63];
        *o++ = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *o = 0;
    return out;
}

/* A record's headers as the test files write them: [{"KEY": "k", "VALUE":
 * "base64" | null}, …] (a new reference; NULL when memory runs out). */
static json_t *output_headers(const sl_test_record_t *r)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < r->nheaders; i++) {
        const sl_header_t *h = &r->headers[i];
        char *v = h->value_null ? NULL : b64_encode(h->value.data, h->value.len);
        json_t *o = json_object();
        if (!o || (!h->value_null && !v) ||
            json_object_set_new(o, "KEY", json_string(h->key)) ||
            json_object_set_new(o, "VALUE", v ? json_string(v) : json_null()) ||
            json_array_append_new(arr, o)) {
            free(v);
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
        free(v);
    }
    return arr;
}

static int usage(void)
{
    fprintf(stderr, "usage: sluice test-runner -s STATEMENTS.sql -i INPUT.json -o OUTPUT.json\n");
    return 2;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    sl_buf_t b = SL_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sl_buf_append(&b, chunk, n)) {
            fclose(f);
            sl_buf_free(&b);
            return NULL;
        }
    fclose(f);
    if (sl_buf_append(&b, "", 1)) {
        sl_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

/* The stream or table whose topic this is (the first one made). */
typedef struct find_topic {
    const char *topic;
    const sl_sql_datasource_t *found;
} find_topic_t;

static int match_topic(void *arg, const sl_sql_datasource_t *s)
{
    find_topic_t *f = arg;
    if (!strcmp(s->topic, f->topic)) {
        f->found = s;
        return 1;
    }
    return 0;
}

static const sl_sql_datasource_t *by_topic(sl_sql_catalog_t *c, const char *topic)
{
    find_topic_t f = {topic, NULL};
    sl_sql_catalog_foreach(c, match_topic, &f);
    if (!f.found && !strcmp(topic, PLOG_TOPIC))
        return &plog_source;
    return f.found;
}

static void print_json(FILE *out, const json_t *v)
{
    if (!v) {
        fputs("null", out);
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    fputs(s ? s : "?", out);
    free(s);
}

static void print_record(FILE *out, const char *label, const json_t *key, const json_t *value,
                         int64_t ts, int has_ts)
{
    fprintf(out, "  %s: key=", label);
    print_json(out, key);
    fputs(" value=", out);
    print_json(out, value);
    if (has_ts)
        fprintf(out, " timestamp=%lld", (long long)ts);
    fputc('\n', out);
}

/* Sets (value non-NULL) or removes a ${name} variable; names compare
 * case-insensitively. The strings live in arena. */
static sl_err_t set_var(sl_sql_var_t **vars, size_t *n, size_t *cap, const char *name,
                        const char *value, sl_arena_t *arena)
{
    size_t i = 0;
    while (i < *n && strcasecmp((*vars)[i].name, name))
        i++;
    if (!value) {
        if (i < *n)
            (*vars)[i] = (*vars)[--*n];
        return SL_OK;
    }
    char *v = sl_arena_alloc(arena, strlen(value) + 1), *nm = sl_arena_alloc(arena, strlen(name) + 1);
    if (!v || !nm)
        return SL_ERR_NOMEM;
    strcpy(v, value), strcpy(nm, name);
    if (i == *n) {
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 8;
            sl_sql_var_t *g = realloc(*vars, nc * sizeof *g);
            if (!g)
                return SL_ERR_NOMEM;
            *vars = g, *cap = nc;
        }
        (*n)++;
    }
    (*vars)[i] = (sl_sql_var_t){nm, v};
    return SL_OK;
}

/* Runs the statements of text one by one, as ksqlDB's runner does: each is
 * parsed after ${var} substitution with the variables DEFINE set before it
 * (the text before it blanked out, so that errors keep their line and
 * column). Prints why and returns non-zero when one is rejected. */
static int run_statements(sl_sql_session_t *sess, const char *text, sl_arena_t *arena, char *err,
                          size_t errlen)
{
    sl_sql_var_t *vars = NULL;
    size_t nvars = 0, cap = 0, len = strlen(text);
    int rc = 1;
    for (size_t off = 0; off < len;) {
        size_t end = off + sl_sql_statement_end(text + off, len - off, NULL);
        char *sub;
        size_t sublen;
        if (sl_sql_substitute(text + off, end - off, vars, nvars, arena, &sub, &sublen))
            goto out;
        char *full = sl_arena_alloc(arena, off + sublen + 1);
        if (!full)
            goto out;
        for (size_t i = 0; i < off; i++)
            full[i] = text[i] == '\n' ? '\n' : ' ';
        memcpy(full + off, sub, sublen);
        full[off + sublen] = 0;
        off = end;
        sl_sql_stmt_list_t *list;
        sl_sql_error_t perr;
        if (sl_sql_parse(full, arena, &list, &perr)) {
            char *m = sl_sql_error_format(&perr, full);
            fprintf(stderr, "sluice test-runner: %s\n", m ? m : perr.message);
            free(m);
            goto out;
        }
        for (size_t i = 0; i < list->n; i++) {
            const sl_sql_stmt_t *st = list->items[i];
            const char *msg;
            if (st->kind == SL_SQL_STMT_DEFINE || st->kind == SL_SQL_STMT_UNDEFINE) {
                if (set_var(&vars, &nvars, &cap, st->define.name.s,
                            st->kind == SL_SQL_STMT_DEFINE ? st->define.value : NULL, arena))
                    goto out;
                continue;
            }
            if (sl_sql_session_execute(sess, st, &msg, err, errlen)) {
                fprintf(stderr, "sluice test-runner: statement rejected:\n%.*s;\n%s\n",
                        (int)st->text_len, st->text, err);
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(vars);
    return rc;
}

int sl__cmd_test_runner(int argc, char **argv)
{
    const char *stmts_path = NULL, *in_path = NULL, *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-s") || !strcmp(argv[i], "--sql-file")) && i + 1 < argc)
            stmts_path = argv[++i];
        else if ((!strcmp(argv[i], "-i") || !strcmp(argv[i], "--input-file")) && i + 1 < argc)
            in_path = argv[++i];
        else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output-file")) && i + 1 < argc)
            out_path = argv[++i];
        else
            return usage();
    }
    if (!stmts_path || !out_path)
        return usage();
    int rc = 2;
    char err[4096];
    char *text = read_all(stmts_path);
    if (!text) {
        fprintf(stderr, "sluice test-runner: cannot read %s\n", stmts_path);
        return 2;
    }
    sl_sql_test_records_t in = {0}, out = {0};
    sl_arena_t arena = SL_ARENA_INIT;
    sl_sql_catalog_t *cat = sl_sql_catalog_new(NULL);
    sl_sql_session_t *sess = cat ? sl_sql_session_new(cat) : NULL;
    sl_test_driver_t *d = NULL;
    sl_config_t *cfg = sl_config_new();
    if (!sess || !cfg)
        goto done;
    if ((in_path && sl_sql_test_records_load(in_path, "inputs", &in, err, sizeof err)) ||
        sl_sql_test_records_load(out_path, "outputs", &out, err, sizeof err)) {
        fprintf(stderr, "sluice test-runner: %s\n", err);
        goto done;
    }
    if (run_statements(sess, text, &arena, err, sizeof err))
        goto done;
    sl_config_set(cfg, "cache.max.bytes.buffering", "0", NULL, 0);
    sl_config_set(cfg, "application.id", "test-runner", NULL, 0);
    sl_config_set(cfg, "processing.log.topic", PLOG_TOPIC, NULL, 0);
    if (!sl_sql_session_queries(sess)) {
        fprintf(stderr, "sluice test-runner: the statements start no query\n");
        goto done;
    }
    if (sl_test_driver_new(sl_sql_session_topology(sess), cfg, 0, &d, err, sizeof err)) {
        fprintf(stderr, "sluice test-runner: %s\n", err);
        goto done;
    }
    sl_buf_t kb = SL_BUF_INIT, vb = SL_BUF_INIT;
    /* INSERT INTO … VALUES records first, in statement order. */
    size_t nins;
    const sl_sql_insert_t *ins = sl_sql_session_inserts(sess, &nins);
    for (size_t i = 0; i < nins; i++) {
        sl_err_t e = sl_test_driver_pipe(d, ins[i].topic, ins[i].key.data ? &ins[i].key : NULL,
                                         ins[i].value.data ? &ins[i].value : NULL,
                                         ins[i].timestamp >= 0 ? ins[i].timestamp : 0);
        if (e && e != SL_ERR_UNKNOWN_TOPIC) {
            fprintf(stderr, "sluice test-runner: INSERT %zu: %s\n", i, sl_test_driver_last_error(d));
            goto done_bufs;
        }
    }
    for (size_t i = 0; i < in.n; i++) {
        const sl_sql_test_record_t *r = &in.v[i];
        const sl_sql_datasource_t *src = by_topic(cat, r->topic);
        if (!src) {
            fprintf(stderr, "sluice test-runner: input %zu: no stream or table reads topic %s\n",
                    i, r->topic);
            goto done_bufs;
        }
        int knull, vnull;
        if (sl_sql_test_encode(&src->key_format, &src->key_schema, r->key, &kb, &knull, err,
                               sizeof err) ||
            sl_sql_test_encode(&src->value_format, &src->value_schema, r->value, &vb, &vnull, err,
                               sizeof err)) {
            fprintf(stderr, "sluice test-runner: input %zu: %s\n", i, err);
            goto done_bufs;
        }
        if (!knull && input_window(src, r->window, &kb, err, sizeof err)) {
            fprintf(stderr, "sluice test-runner: input %zu: %s\n", i, err);
            goto done_bufs;
        }
        sl_bytes_t k = {kb.data, kb.len}, v = {vb.data, vb.len};
        sl_header_t hs[64];
        uint8_t hbuf[16384];
        int nh = input_headers(r->headers, hs, 64, hbuf, sizeof hbuf);
        if (nh < 0) {
            fprintf(stderr, "sluice test-runner: input %zu: bad \"headers\" (a list of "
                            "{\"KEY\": name, \"VALUE\": base64})\n",
                    i);
            goto done_bufs;
        }
        sl_err_t e = sl_test_driver_pipe_headers(d, r->topic, knull ? NULL : &k,
                                                 vnull ? NULL : &v,
                                                 r->has_timestamp ? r->timestamp : 0, hs,
                                                 (size_t)nh);
        if (e == SL_ERR_UNKNOWN_TOPIC)
            continue; /* no query reads it */
        if (e) {
            fprintf(stderr, "sluice test-runner: input %zu: %s\n", i,
                    sl_test_driver_last_error(d));
            goto done_bufs;
        }
    }
    /* Compare, topic by topic, in the order the expected records name them. */
    rc = 0;
    for (size_t i = 0; i < out.n; i++) {
        const sl_sql_test_record_t *x = &out.v[i];
        const sl_sql_datasource_t *sink = by_topic(cat, x->topic);
        sl_test_record_t got;
        if (!sink || sl_test_driver_read(d, x->topic, &got) != 1) {
            printf("output %zu (topic %s): expected a record, got none\n", i, x->topic);
            print_record(stdout, "expected", x->key, x->value, x->timestamp, x->has_timestamp);
            rc = 1;
            continue;
        }
        json_t *gk = NULL, *gv = NULL;
        /* ksqlDB's runner compares the headers when the expected record
         * gives them (an empty list: none). */
        json_t *gh = x->headers ? output_headers(&got) : NULL;
        /* A windowed table's key: the key columns, then the window (time:
         * start; session: end, start — 8 bytes big-endian each). */
        size_t wbytes = sink->window == 1 ? 8 : sink->window == 2 ? 16 : 0;
        int64_t wstart = 0, wend = 0;
        int bad_window = wbytes && !got.key_null && got.key.len < wbytes;
        if (wbytes && got.key_null)
            bad_window = x->window != NULL; /* a null key has no window */
        else if (wbytes && !bad_window) {
            const uint8_t *w = got.key.data + got.key.len - wbytes;
            if (sink->window == 1) {
                wstart = (int64_t)sl_load_be64(w);
                wend = wstart + sink->window_size;
            } else {
                wend = (int64_t)sl_load_be64(w);
                wstart = (int64_t)sl_load_be64(w + 8);
            }
            got.key.len -= wbytes;
        }
        json_t *xw = x->window;
        int window_differs =
            bad_window ||
            (xw && (json_integer_value(json_object_get(xw, "start")) != wstart ||
                    json_integer_value(json_object_get(xw, "end")) != wend ||
                    (json_is_string(json_object_get(xw, "type")) &&
                     strcasecmp(json_string_value(json_object_get(xw, "type")),
                                sink->window == 2 ? "session" : "time"))));
        if (sl_sql_test_decode(&sink->key_format, &sink->key_schema, got.key.data, got.key.len,
                               got.key_null, &gk, err, sizeof err) ||
            sl_sql_test_decode(&sink->value_format, &sink->value_schema, got.value.data,
                               got.value.len, got.value_null, &gv, err, sizeof err)) {
            printf("output %zu (topic %s): cannot read the record: %s\n", i, x->topic, err);
            rc = 1;
        } else if (!sl_sql_test_json_equal(x->key, gk) || !sl_sql_test_json_equal(x->value, gv) ||
                   (x->has_timestamp && x->timestamp != got.timestamp) || window_differs ||
                   (x->headers && !sl_sql_test_json_equal(x->headers, gh))) {
            printf("output %zu (topic %s) differs:\n", i, x->topic);
            print_record(stdout, "expected", x->key, x->value, x->timestamp, x->has_timestamp);
            print_record(stdout, "actual  ", gk, gv, got.timestamp, 1);
            if (wbytes)
                printf("  actual window: start=%lld end=%lld\n", (long long)wstart,
                       (long long)wend);
            if (x->headers) {
                fputs("  expected headers: ", stdout);
                print_json(stdout, x->headers);
                fputs("\n  actual headers:   ", stdout);
                print_json(stdout, gh);
                fputc('\n', stdout);
            }
            rc = 1;
        }
        json_decref(gk);
        json_decref(gv);
        json_decref(gh);
    }
    /* Records nobody expected. */
    for (size_t i = 0; i < out.n; i++) {
        size_t left = sl_test_driver_queued(d, out.v[i].topic);
        if (left) {
            printf("topic %s: %zu more record(s) than expected\n", out.v[i].topic, left);
            rc = 1;
            while (sl_test_driver_queued(d, out.v[i].topic)) {
                sl_test_record_t r;
                sl_test_driver_read(d, out.v[i].topic, &r);
            }
        }
    }
    printf(rc ? "\t >>> Test failed\n" : "\t >>> Test passed!\n");
done_bufs:
    sl_buf_free(&kb);
    sl_buf_free(&vb);
done:
    sl_test_driver_destroy(d);
    sl_sql_session_destroy(sess);
    sl_sql_catalog_destroy(cat);
    sl_config_destroy(cfg);
    sl_sql_test_records_free(&in);
    sl_sql_test_records_free(&out);
    sl_arena_free(&arena);
    free(text);
    return rc;
}
