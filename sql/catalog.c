/* catalog.c — streams, tables and custom types, and the DDL that makes and
 * drops them, with ksqlDB's checks and messages. Each source and type keeps
 * its memory in an arena of its own, freed when it is dropped (a replaced one
 * is kept until the catalog goes: queries compiled against it may run on). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/catalog.h"

typedef struct centry {
    struct centry *next;
    sl_arena_t arena;
    int is_type;
    sl_sql_datasource_t src;      /* !is_type */
    const char *type_name;    /* is_type */
    const sl_sql_type_t *type;
} centry_t;

struct sl_sql_catalog {
    centry_t *head, *tail;
    centry_t *replaced; /* entries OR REPLACE superseded: queries compiled
                         * against them (kept running by query upgrades) may
                         * still read their memory; freed with the catalog */
    sl_sql_topics_t topics;
    int has_topics;
};

static void fail(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static int32_t client_partitions(void *opaque, const char *topic)
{
    int32_t n;
    return sl_client_partitions(opaque, topic, &n) == SL_OK ? n : -1;
}

static sl_err_t client_create(void *opaque, const char *topic, int32_t partitions, int16_t replicas,
                              int64_t retention_ms, char *errbuf, size_t errlen)
{
    (void)replicas; /* the broker's default replication */
    char ms[32];
    snprintf(ms, sizeof ms, "%lld", (long long)retention_ms);
    const char *const cfg[] = {"retention.ms", ms, NULL};
    return sl_client_create_topic_with(opaque, topic, partitions, retention_ms >= 0 ? cfg : NULL,
                                       errbuf, errlen);
}

static sl_err_t client_remove(void *opaque, const char *topic)
{
    return sl_client_delete_topic(opaque, topic);
}

sl_sql_topics_t sl_sql_topics_of_client(sl_client_t *client)
{
    return (sl_sql_topics_t){client_partitions, client_create, client_remove, client};
}

sl_sql_catalog_t *sl_sql_catalog_new(const sl_sql_topics_t *topics)
{
    sl_sql_catalog_t *c = calloc(1, sizeof *c);
    if (c && topics) {
        c->topics = *topics;
        c->has_topics = 1;
    }
    return c;
}

static void entry_free(centry_t *e)
{
    sl_arena_free(&e->arena);
    free(e);
}

void sl_sql_catalog_destroy(sl_sql_catalog_t *c)
{
    if (!c)
        return;
    for (centry_t *e = c->head, *nx; e; e = nx) {
        nx = e->next;
        entry_free(e);
    }
    for (centry_t *e = c->replaced, *nx; e; e = nx) {
        nx = e->next;
        entry_free(e);
    }
    free(c);
}

static centry_t *find_entry(const sl_sql_catalog_t *c, const char *name, int is_type)
{
    for (centry_t *e = c->head; e; e = e->next) {
        const char *n = is_type ? e->type_name : e->src.name;
        if (e->is_type == is_type && !strcmp(n, name))
            return e;
    }
    return NULL;
}

const sl_sql_datasource_t *sl_sql_catalog_find(const sl_sql_catalog_t *c, const char *name)
{
    centry_t *e = c && name ? find_entry(c, name, 0) : NULL;
    return e ? &e->src : NULL;
}

void sl_sql_catalog_foreach(const sl_sql_catalog_t *c,
                            int (*fn)(void *arg, const sl_sql_datasource_t *s), void *arg)
{
    for (centry_t *e = c ? c->head : NULL; e; e = e->next)
        if (!e->is_type && fn(arg, &e->src))
            return;
}

void sl_sql_catalog_foreach_type(const sl_sql_catalog_t *c,
                                 int (*fn)(void *arg, const char *name, const sl_sql_type_t *t),
                                 void *arg)
{
    for (centry_t *e = c ? c->head : NULL; e; e = e->next)
        if (e->is_type && fn(arg, e->type_name, e->type))
            return;
}

const sl_sql_type_t *sl_sql_catalog_type(const sl_sql_catalog_t *c, const char *name)
{
    centry_t *e = c && name ? find_entry(c, name, 1) : NULL;
    return e ? e->type : NULL;
}

static void unlink_entry(sl_sql_catalog_t *c, centry_t *e)
{
    centry_t **pp = &c->head, *prev = NULL;
    while (*pp && *pp != e)
        prev = *pp, pp = &(*pp)->next;
    if (!*pp)
        return;
    *pp = e->next;
    if (c->tail == e)
        c->tail = prev;
    e->next = NULL;
}

static void append_entry(sl_sql_catalog_t *c, centry_t *e)
{
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
}

/* ---- types ------------------------------------------------------------------------------- */

static sl_err_t resolve(const sl_sql_catalog_t *c, const sl_sql_ast_type_t *t,
                        const sl_sql_alloc_t *al, const sl_sql_type_t **out, char *errbuf,
                        size_t errlen)
{
    static const struct {
        sl_sql_ast_type_kind_t k;
        sl_sql_base_t b;
    } prims[] = {
        {SL_SQL_TYPE_BOOLEAN, SL_SQL_BOOLEAN}, {SL_SQL_TYPE_INT, SL_SQL_INT},
        {SL_SQL_TYPE_BIGINT, SL_SQL_BIGINT},   {SL_SQL_TYPE_DOUBLE, SL_SQL_DOUBLE},
        {SL_SQL_TYPE_STRING, SL_SQL_STRING},   {SL_SQL_TYPE_BYTES, SL_SQL_BYTES},
        {SL_SQL_TYPE_DATE, SL_SQL_DATE},       {SL_SQL_TYPE_TIME, SL_SQL_TIME},
        {SL_SQL_TYPE_TIMESTAMP, SL_SQL_TIMESTAMP},
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++) {
        if (t->kind == prims[i].k) {
            *out = sl_sql_type_prim(prims[i].b);
            return SL_OK;
        }
    }
    char msg[256];
    sl_err_t err;
    const sl_sql_type_t *a, *b;
    switch (t->kind) {
    case SL_SQL_TYPE_DECIMAL:
        err = sl_sql_type_decimal(al, t->precision, t->scale, out, msg, sizeof msg);
        if (err)
            fail(errbuf, errlen, "line %u:%u: %s", t->pos.line, t->pos.col, msg);
        return err;
    case SL_SQL_TYPE_ARRAY:
        if ((err = resolve(c, t->elem, al, &a, errbuf, errlen)))
            return err;
        *out = sl_sql_type_array(al, a);
        return *out ? SL_OK : SL_ERR_NOMEM;
    case SL_SQL_TYPE_MAP:
        if ((err = resolve(c, t->key, al, &a, errbuf, errlen)) ||
            (err = resolve(c, t->elem, al, &b, errbuf, errlen)))
            return err;
        err = sl_sql_type_map(al, a, b, out, msg, sizeof msg);
        if (err)
            fail(errbuf, errlen, "line %u:%u: %s", t->pos.line, t->pos.col, msg);
        return err;
    case SL_SQL_TYPE_STRUCT: {
        sl_sql_field_t *f = sl_sql_alloc(al, (t->nfields ? t->nfields : 1) * sizeof *f);
        if (!f)
            return SL_ERR_NOMEM;
        for (size_t i = 0; i < t->nfields; i++) {
            size_t n = strlen(t->fields[i]->name.s) + 1;
            char *nm = sl_sql_alloc(al, n);
            if (!nm)
                return SL_ERR_NOMEM;
            memcpy(nm, t->fields[i]->name.s, n);
            f[i].name = nm;
            if ((err = resolve(c, t->fields[i]->type, al, &f[i].type, errbuf, errlen)))
                return err;
        }
        err = sl_sql_type_struct(al, f, t->nfields, out, msg, sizeof msg);
        if (err)
            fail(errbuf, errlen, "line %u:%u: %s", t->pos.line, t->pos.col, msg);
        return err;
    }
    case SL_SQL_TYPE_CUSTOM: {
        const sl_sql_type_t *ct = sl_sql_catalog_type(c, t->name);
        if (!ct) {
            fail(errbuf, errlen, "line %u:%u: Unknown type: %s", t->pos.line, t->pos.col,
                 t->name);
            return SL_ERR_INVAL;
        }
        *out = sl_sql_type_copy(al, ct);
        return *out ? SL_OK : SL_ERR_NOMEM;
    }
    default:
        fail(errbuf, errlen, "line %u:%u: unsupported type", t->pos.line, t->pos.col);
        return SL_ERR_INVAL;
    }
}

sl_err_t sl_sql_catalog_resolve_type(const sl_sql_catalog_t *c, const sl_sql_ast_type_t *t,
                                     const sl_sql_alloc_t *al, const sl_sql_type_t **out,
                                     char *errbuf, size_t errlen)
{
    if (!c || !t || !al || !out)
        return SL_ERR_INVAL;
    return resolve(c, t, al, out, errbuf, errlen);
}

/* ---- CREATE STREAM / TABLE ------------------------------------------------------------------ */

typedef struct with_props {
    const char *topic, *format, *key_format, *value_format, *timestamp, *timestamp_format,
        *delimiter, *window_type, *window_size;
    int64_t partitions, replicas; /* -1 when absent */
    int64_t retention_ms;         /* -1 when absent */
    int wrap;                     /* -1 absent, 0, 1 */
} with_props_t;

/* A literal's text (strings as they are, numbers and booleans as written). */
static const char *prop_string(const sl_sql_expr_t *v, char *buf, size_t len)
{
    switch (v->kind) {
    case SL_SQL_EXPR_STRING:
        return v->str.s;
    case SL_SQL_EXPR_INT:
    case SL_SQL_EXPR_BIGINT:
        snprintf(buf, len, "%lld", (long long)v->i);
        return buf;
    case SL_SQL_EXPR_BOOL:
        return v->b ? "true" : "false";
    case SL_SQL_EXPR_DECIMAL:
    case SL_SQL_EXPR_DOUBLE:
        return v->num.text;
    default:
        return NULL;
    }
}

/* windows: WINDOW_TYPE and WINDOW_SIZE are known (CREATE STREAM|TABLE with
 * columns; a CREATE … AS SELECT's result takes its windows from its query). */
static sl_err_t read_props(const sl_sql_stmt_t *stmt, int windows, with_props_t *w,
                           char *errbuf, size_t errlen)
{
    *w = (with_props_t){.partitions = -1, .replicas = -1, .retention_ms = -1, .wrap = -1};
    char bad[512] = "";
    for (size_t i = 0; i < stmt->create.nprops; i++) {
        const sl_sql_prop_t *p = stmt->create.props[i];
        char name[128], num[64];
        snprintf(name, sizeof name, "%s", p->name.s);
        for (char *q = name; *q; q++)
            *q = (char)toupper((unsigned char)*q);
        const char *s = prop_string(p->value, num, sizeof num);
        const char **dst = !strcmp(name, "KAFKA_TOPIC")        ? &w->topic
                           : !strcmp(name, "FORMAT")           ? &w->format
                           : !strcmp(name, "KEY_FORMAT")       ? &w->key_format
                           : !strcmp(name, "VALUE_FORMAT")     ? &w->value_format
                           : !strcmp(name, "TIMESTAMP")        ? &w->timestamp
                           : !strcmp(name, "TIMESTAMP_FORMAT") ? &w->timestamp_format
                           : !strcmp(name, "VALUE_DELIMITER")  ? &w->delimiter
                           : windows && !strcmp(name, "WINDOW_TYPE") ? &w->window_type
                           : windows && !strcmp(name, "WINDOW_SIZE") ? &w->window_size
                                                               : NULL;
        if (dst) {
            if (!s || p->value->kind != SL_SQL_EXPR_STRING) {
                fail(errbuf, errlen, "line %u:%u: %s must be a string ('...')", p->name.pos.line,
                     p->name.pos.col, name);
                return SL_ERR_INVAL;
            }
            *dst = s;
        } else if (!strcmp(name, "PARTITIONS") || !strcmp(name, "REPLICAS")) {
            if (p->value->kind != SL_SQL_EXPR_INT && p->value->kind != SL_SQL_EXPR_BIGINT) {
                fail(errbuf, errlen, "line %u:%u: %s must be an integer", p->name.pos.line,
                     p->name.pos.col, name);
                return SL_ERR_INVAL;
            }
            int64_t v = p->value->i;
            if (v < (name[0] == 'P' ? 1 : -1) || v > 100000) {
                fail(errbuf, errlen, "Invalid value %lld for property %s", (long long)v, name);
                return SL_ERR_INVAL;
            }
            *(name[0] == 'P' ? &w->partitions : &w->replicas) = v;
        } else if (!strcmp(name, "RETENTION_MS")) {
            /* The topic's retention.ms when the statement creates it. */
            if (p->value->kind != SL_SQL_EXPR_INT && p->value->kind != SL_SQL_EXPR_BIGINT) {
                fail(errbuf, errlen, "line %u:%u: RETENTION_MS must be an integer",
                     p->name.pos.line, p->name.pos.col);
                return SL_ERR_INVAL;
            }
            if (p->value->i < -1) {
                fail(errbuf, errlen, "Invalid value %lld for property RETENTION_MS",
                     (long long)p->value->i);
                return SL_ERR_INVAL;
            }
            w->retention_ms = p->value->i;
        } else if (!strcmp(name, "WRAP_SINGLE_VALUE")) {
            if (p->value->kind != SL_SQL_EXPR_BOOL) {
                fail(errbuf, errlen, "line %u:%u: WRAP_SINGLE_VALUE must be true or false",
                     p->name.pos.line, p->name.pos.col);
                return SL_ERR_INVAL;
            }
            w->wrap = p->value->b;
        } else {
            size_t n = strlen(bad);
            snprintf(bad + n, sizeof bad - n, "%s%s", n ? ", " : "", name);
        }
    }
    if (bad[0]) {
        fail(errbuf, errlen, "Invalid config variable(s) in the WITH clause: %s", bad);
        return SL_ERR_INVAL;
    }
    if (w->format && (w->key_format || w->value_format)) {
        fail(errbuf, errlen,
             "Cannot supply both '%s' and 'FORMAT' properties, as 'FORMAT' sets both key and "
             "value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.",
             w->key_format ? "KEY_FORMAT" : "VALUE_FORMAT");
        return SL_ERR_INVAL;
    }
    if (w->format)
        w->key_format = w->value_format = w->format;
    return SL_OK;
}

/* A duration as ksqlDB's WITH clause writes one: '<number> <unit>' (a
 * java.util.concurrent.TimeUnit, the final S optional), into ms; the reason
 * in ksqlDB's words when it does not read. */
static int parse_duration(const char *text, int64_t *ms, char *why, size_t whylen)
{
    static const struct {
        const char *name;
        int64_t num, den; /* ms = n * num / den */
    } units[] = {
        {"NANOSECONDS", 1, 1000000}, {"MICROSECONDS", 1, 1000}, {"MILLISECONDS", 1, 1},
        {"SECONDS", 1000, 1},        {"MINUTES", 60000, 1},     {"HOURS", 3600000, 1},
        {"DAYS", 86400000, 1},
    };
    /* Java's text.split("\\s"): every white space separates, trailing empty
     * tokens dropped. */
    char tok[3][64];
    size_t ntok = 0, len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    for (size_t i = 0, start = 0; i <= len; i++) {
        if (i == len || isspace((unsigned char)text[i])) {
            if (ntok < 3)
                snprintf(tok[ntok], sizeof tok[ntok], "%.*s", (int)(i - start), text + start);
            ntok++;
            start = i + 1;
        }
    }
    if (!len)
        ntok = 1; /* "".split gives [""] */
    if (ntok != 2) {
        snprintf(why, whylen, "Invalid duration: '%s'. Expected 2 tokens, got: %zu", text, ntok);
        return -1;
    }
    char *end;
    errno = 0;
    long long n = strtoll(tok[0], &end, 10);
    if (!tok[0][0] || *end || errno) {
        snprintf(why, whylen, "Invalid duration: '%s'. Not numeric: '%s'", text, tok[0]);
        return -1;
    }
    char unit[72];
    snprintf(unit, sizeof unit, "%s", tok[1]);
    for (char *q = unit; *q; q++)
        *q = (char)toupper((unsigned char)*q);
    size_t ul = strlen(unit);
    char full[80];
    snprintf(full, sizeof full, "%s%s", unit, ul && unit[ul - 1] == 'S' ? "" : "S");
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(full, units[i].name)) {
            long long v;
            if (__builtin_mul_overflow(n, (long long)units[i].num, &v))
                v = n < 0 ? LLONG_MIN : LLONG_MAX; /* TimeUnit saturates too */
            *ms = (int64_t)(v / units[i].den);
            return 0;
        }
    }
    snprintf(why, whylen,
             "Invalid duration: '%s'. Unknown time unit: '%s'\nSupported time units are: "
             "NANOSECONDS, MICROSECONDS, MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS",
             text, unit);
    return -1;
}

/* WINDOW_TYPE and WINDOW_SIZE of CREATE STREAM|TABLE: the topic's keys are
 * windowed (Kafka Streams' layouts), checked as ksqlDB's CreateSourceProperties
 * checks them. */
static sl_err_t window_props(const with_props_t *w, sl_sql_datasource_t *s, char *errbuf,
                             size_t errlen)
{
    static const char *const types[] = {"SESSION", "HOPPING", "TUMBLING"};
    int type = -1;
    if (w->window_type) {
        for (int i = 0; i < 3 && type < 0; i++)
            if (!strcasecmp(w->window_type, types[i]))
                type = i;
        if (type < 0) {
            fail(errbuf, errlen,
                 "Invalid value %s for property WINDOW_TYPE: String must be one of: SESSION, "
                 "HOPPING, TUMBLING, null",
                 w->window_type);
            return SL_ERR_INVAL;
        }
    }
    int64_t size = 0;
    if (w->window_size) {
        char why[512];
        if (parse_duration(w->window_size, &size, why, sizeof why)) {
            fail(errbuf, errlen,
                 "Error in WITH clause property 'WINDOW_SIZE': %s\nExample valid value: '10 "
                 "SECONDS'",
                 why);
            return SL_ERR_INVAL;
        }
    }
    if (type > 0 && !w->window_size) {
        fail(errbuf, errlen,
             "%s windows require 'WINDOW_SIZE' to be provided in the WITH clause. For example: "
             "'WINDOW_SIZE'='10 SECONDS'",
             types[type]);
        return SL_ERR_INVAL;
    }
    if (type <= 0 && w->window_size) { /* ksqlDB's words also when WINDOW_TYPE is absent */
        fail(errbuf, errlen, "'WINDOW_SIZE' should not be set for SESSION windows.");
        return SL_ERR_INVAL;
    }
    s->window = type < 0 ? 0 : type == 0 ? 2 : 1;
    s->window_size = size;
    s->window_hopping = type == 1;
    return SL_OK;
}

static int reserved(const char *name)
{
    static const char *const names[] = {"ROWTIME",     "ROWPARTITION", "ROWOFFSET",
                                        "WINDOWSTART", "WINDOWEND",    NULL};
    for (const char *const *n = names; *n; n++)
        if (!strcasecmp(name, *n))
            return 1;
    return 0;
}

static char *dup_str(sl_arena_t *a, const char *s)
{
    return s ? sl_arena_memdup(a, s, strlen(s) + 1) : NULL;
}

/* The HEADERS column's type: ARRAY<STRUCT<KEY STRING, VALUE BYTES>>. */
static int headers_type(const sl_sql_type_t *t)
{
    if (t->base != SL_SQL_ARRAY || t->item->base != SL_SQL_STRUCT || t->item->nfields != 2)
        return 0;
    const sl_sql_field_t *f = t->item->fields;
    return !strcmp(f[0].name, "KEY") && f[0].type->base == SL_SQL_STRING &&
           !strcmp(f[1].name, "VALUE") && f[1].type->base == SL_SQL_BYTES;
}

/* CREATE OR REPLACE of old: checked as ksqlDB's metastore checks any
 * replacement (canUpgradeTo), whether queries read old or not, before the
 * topic is looked at. made is complete but for its name and topic. */
static sl_err_t replace_check(const centry_t *old, const sl_sql_datasource_t *made,
                              const char *name, const char *topic, char *errbuf, size_t errlen)
{
    sl_sql_datasource_t m = *made;
    m.name = name, m.topic = topic;
    return sl_sql_catalog_upgrade_check(&old->src, &m, 1, errbuf, errlen);
}

static sl_err_t create_source(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt, const char **message,
                              char *errbuf, size_t errlen)
{
    const char *kind = stmt->create.table ? "table" : "stream";
    const char *name = stmt->create.name.s;
    centry_t *old = find_entry(c, name, 0);
    if (old && stmt->create.if_not_exists) {
        *message = stmt->create.table ? "Table already exists" : "Stream already exists";
        return SL_OK;
    }
    if (old && !stmt->create.or_replace) {
        fail(errbuf, errlen, "Cannot add %s '%s': A %s with the same name already exists", kind,
             name, old->src.table ? "table" : "stream");
        return SL_ERR_EXISTS;
    }
    if (old && old->src.table != stmt->create.table) {
        fail(errbuf, errlen, "Cannot replace the %s '%s' with a %s",
             old->src.table ? "table" : "stream", name, kind);
        return SL_ERR_INVAL;
    }
    if (stmt->create.source && stmt->create.or_replace) {
        fail(errbuf, errlen, "Cannot use OR REPLACE with SOURCE %ss", kind);
        return SL_ERR_INVAL;
    }
    with_props_t w;
    sl_err_t err = read_props(stmt, 1, &w, errbuf, errlen);
    if (err)
        return err;
    if (!w.topic) {
        fail(errbuf, errlen, "Missing required property \"KAFKA_TOPIC\" which has no default value.");
        return SL_ERR_INVAL;
    }
    if (!w.value_format) {
        fail(errbuf, errlen,
             "Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either "
             "provide one or set a default via the 'ksql.persistence.default.format.value' "
             "config.");
        return SL_ERR_INVAL;
    }
    if (!stmt->create.ncolumns) {
        fail(errbuf, errlen,
             "The statement does not define any columns, and the value format %s does not "
             "support schema inference.",
             w.value_format);
        return SL_ERR_INVAL;
    }

    centry_t *e = calloc(1, sizeof *e);
    if (!e)
        return SL_ERR_NOMEM;
    sl_arena_t *a = &e->arena;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    sl_sql_datasource_t *s = &e->src;
    size_t n = stmt->create.ncolumns;
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, n * sizeof *cols);
    sl_sql_column_t *kcols = sl_arena_alloc(a, n * sizeof *kcols);
    sl_sql_column_t *vcols = sl_arena_alloc(a, n * sizeof *vcols);
    err = SL_ERR_NOMEM;
    if (!cols || !kcols || !vcols)
        goto out;
    err = SL_ERR_INVAL;
    if (window_props(&w, s, errbuf, errlen))
        goto out;
    for (size_t i = 0; i < n; i++) {
        const sl_sql_ast_column_t *col = stmt->create.columns[i];
        const char *cn = col->name.s;
        if (reserved(cn)) {
            fail(errbuf, errlen, "line %u:%u: '%s' is a reserved column name.", col->name.pos.line,
                 col->name.pos.col, cn);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cols[j].name, cn)) {
                fail(errbuf, errlen, "line %u:%u: Duplicate column names: %s", col->name.pos.line,
                     col->name.pos.col, cn);
                goto out;
            }
        }
        if (col->role == SL_SQL_COL_PRIMARY_KEY && !stmt->create.table) {
            fail(errbuf, errlen,
                 "line %u:%u: Column `%s` is a 'PRIMARY KEY' column: please use 'KEY' for streams.",
                 col->name.pos.line, col->name.pos.col, cn);
            goto out;
        }
        if (col->role == SL_SQL_COL_KEY && stmt->create.table) {
            fail(errbuf, errlen,
                 "line %u:%u: Column `%s` is a 'KEY' column: please use 'PRIMARY KEY' for tables.",
                 col->name.pos.line, col->name.pos.col, cn);
            goto out;
        }
        char tb[512];
        if ((err = resolve(c, col->type, &al, &cols[i].type, tb, sizeof tb))) {
            fail(errbuf, errlen, "%s", tb);
            goto out;
        }
        err = SL_ERR_INVAL;
        cols[i].name = dup_str(a, cn);
        cols[i].role = col->role == SL_SQL_COL_KEY || col->role == SL_SQL_COL_PRIMARY_KEY
                           ? SL_SQL_ROLE_KEY
                       : col->role == SL_SQL_COL_HEADERS ? SL_SQL_ROLE_HEADERS
                       : col->role == SL_SQL_COL_HEADER  ? SL_SQL_ROLE_HEADER
                                                         : SL_SQL_ROLE_VALUE;
        cols[i].header_key = dup_str(a, col->header_key);
        if (!cols[i].name || (col->header_key && !cols[i].header_key)) {
            err = SL_ERR_NOMEM;
            goto out;
        }
        if (cols[i].role == SL_SQL_ROLE_HEADERS && !headers_type(cols[i].type)) {
            fail(errbuf, errlen,
                 "line %u:%u: Invalid type for HEADERS column `%s`: expected "
                 "ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>.",
                 col->name.pos.line, col->name.pos.col, cn);
            goto out;
        }
        if (cols[i].role == SL_SQL_ROLE_HEADER && cols[i].type->base != SL_SQL_BYTES) {
            fail(errbuf, errlen,
                 "line %u:%u: Invalid type for HEADER('%s') column `%s`: expected BYTES.",
                 col->name.pos.line, col->name.pos.col, col->header_key, cn);
            goto out;
        }
        sl_sql_column_t sc = {cols[i].name, cols[i].type};
        if (cols[i].role == SL_SQL_ROLE_KEY)
            kcols[s->key_schema.ncols++] = sc;
        else if (cols[i].role == SL_SQL_ROLE_VALUE)
            vcols[s->value_schema.ncols++] = sc;
    }
    for (size_t i = 0; i < n; i++) {
        if (cols[i].role != SL_SQL_ROLE_HEADERS)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (j != i && (cols[j].role == SL_SQL_ROLE_HEADERS || cols[j].role == SL_SQL_ROLE_HEADER)) {
                fail(errbuf, errlen,
                     "Schema already contains a HEADERS column: no other header column may be "
                     "added (`%s`).",
                     cols[j].name);
                goto out;
            }
        }
    }
    if (stmt->create.table && !s->key_schema.ncols) {
        fail(errbuf, errlen, "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
        goto out;
    }
    s->cols = cols;
    s->ncols = n;
    s->key_schema.cols = kcols;
    s->value_schema.cols = vcols;
    /* Formats. */
    char fb[512];
    s->key_format.is_key = 1;
    if (sl_sql_format_kind_parse(w.key_format ? w.key_format : "KAFKA", &s->key_format.kind, fb,
                                 sizeof fb) ||
        sl_sql_format_kind_parse(w.value_format, &s->value_format.kind, fb, sizeof fb)) {
        fail(errbuf, errlen, "%s", fb);
        goto out;
    }
    if (!s->key_schema.ncols)
        s->key_format.kind = SL_SQL_FORMAT_NONE; /* ksqlDB: no key columns, no key */
    if (w.delimiter) { /* the property's value first, then whether the format takes it */
        if (sl_sql_format_delimiter_parse(w.delimiter, &s->value_format.delimiter, fb,
                                          sizeof fb)) {
            fail(errbuf, errlen, "Configuration VALUE_DELIMITER is invalid: %s\nExample valid "
                                 "value: ';'", fb);
            goto out;
        }
        if (s->value_format.kind != SL_SQL_FORMAT_DELIMITED) {
            fail(errbuf, errlen, "%s does not support the following configs: [delimiter]",
                 sl_sql_format_kind_name(s->value_format.kind));
            goto out;
        }
    }
    if (w.wrap >= 0)
        s->value_format.wrap = w.wrap ? SL_SQL_WRAP_ON : SL_SQL_WRAP_OFF;
    if (sl_sql_format_check(&s->key_format, &s->key_schema, fb, sizeof fb) ||
        sl_sql_format_check(&s->value_format, &s->value_schema, fb, sizeof fb)) {
        fail(errbuf, errlen, "%s", fb);
        goto out;
    }
    /* The timestamp column. */
    if (w.timestamp) {
        char ts[256];
        snprintf(ts, sizeof ts, "%s", w.timestamp);
        const sl_sql_datasource_col_t *tc = NULL;
        for (size_t i = 0; i < n && !tc; i++)
            if (!strcmp(cols[i].name, ts))
                tc = &cols[i];
        for (char *q = ts; !tc && *q; q++)
            *q = (char)toupper((unsigned char)*q);
        for (size_t i = 0; i < n && !tc; i++)
            if (!strcmp(cols[i].name, ts))
                tc = &cols[i];
        if (!tc) {
            fail(errbuf, errlen, "The TIMESTAMP column set in the WITH clause does not exist in "
                                 "the schema: '%s'",
                 ts);
            goto out;
        }
        sl_sql_base_t b = tc->type->base;
        if (!(b == SL_SQL_BIGINT || b == SL_SQL_TIMESTAMP ||
              (b == SL_SQL_STRING && w.timestamp_format))) {
            fail(errbuf, errlen,
                 "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with a "
                 "timestamp_format specified.",
                 tc->name);
            goto out;
        }
        s->timestamp = tc->name;
        s->timestamp_format = dup_str(a, w.timestamp_format);
    } else if (w.timestamp_format) {
        fail(errbuf, errlen, "TIMESTAMP_FORMAT needs a TIMESTAMP column in the WITH clause");
        goto out;
    }
    if (old && (err = replace_check(old, s, name, w.topic, errbuf, errlen)))
        goto out;
    err = SL_ERR_INVAL;
    /* The topic. */
    int32_t have = c->has_topics ? c->topics.partitions(c->topics.opaque, w.topic) : -1;
    if (c->has_topics && have < 0) {
        if (w.partitions < 0) {
            fail(errbuf, errlen,
                 "Topic '%s' does not exist. If you want to create a new topic for the %s please "
                 "re-run the statement providing the required 'PARTITIONS' configuration in the "
                 "WITH clause (and optionally 'REPLICAS'). For example: CREATE %s %s (ID INT) "
                 "WITH (KAFKA_TOPIC='%s', PARTITIONS=2, REPLICAS=1, FORMAT='JSON');",
                 w.topic, kind, stmt->create.table ? "TABLE" : "STREAM", name, w.topic);
            goto out;
        }
        if (stmt->create.source) {
            fail(errbuf, errlen, "Topic '%s' does not exist: a SOURCE %s reads an existing topic",
                 w.topic, kind);
            goto out;
        }
        char tb[512] = "";
        if (c->topics.create(c->topics.opaque, w.topic, (int32_t)w.partitions,
                             (int16_t)w.replicas, w.retention_ms, tb, sizeof tb)) {
            fail(errbuf, errlen, "Could not create topic '%s': %s", w.topic, tb);
            err = SL_ERR_IO;
            goto out;
        }
        have = (int32_t)w.partitions;
    } else if (c->has_topics && w.partitions >= 0 && w.partitions != have) {
        fail(errbuf, errlen,
             "A Kafka topic with the name '%s' already exists, with different partition/replica "
             "configuration than required. KSQL expects %lld partitions (topic has %d).",
             w.topic, (long long)w.partitions, (int)have);
        goto out;
    } else if (!c->has_topics) {
        have = w.partitions > 0 ? (int32_t)w.partitions : 1;
    }
    s->partitions = have;
    s->name = dup_str(a, name);
    s->topic = dup_str(a, w.topic);
    s->table = stmt->create.table;
    s->read_only = stmt->create.source;
    s->sql = stmt->text ? sl_arena_memdup(a, stmt->text, stmt->text_len + 1) : NULL;
    if (!s->name || !s->topic || (stmt->text && !s->sql)) {
        err = SL_ERR_NOMEM;
        goto out;
    }
    if (s->sql)
        ((char *)s->sql)[stmt->text_len] = 0;
    if (old) {
        unlink_entry(c, old);
        old->next = c->replaced, c->replaced = old;
    }
    append_entry(c, e);
    *message = stmt->create.table ? "Table created" : "Stream created";
    return SL_OK;
out:
    entry_free(e);
    return err;
}

/* ---- DROP, CREATE TYPE, DROP TYPE ----------------------------------------------------------------- */

static sl_err_t drop_source(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt, const char **message,
                            char *errbuf, size_t errlen)
{
    const char *name = stmt->drop.name.s;
    centry_t *e = find_entry(c, name, 0);
    if (!e) {
        if (stmt->drop.if_exists) {
            *message = "Source does not exist; nothing dropped.";
            return SL_OK;
        }
        fail(errbuf, errlen, "Source %s does not exist.", name);
        return SL_ERR_INVAL;
    }
    if (e->src.table != stmt->drop.table) {
        fail(errbuf, errlen, "Incompatible data source type is %s, but statement was DROP %s",
             e->src.table ? "TABLE" : "STREAM", stmt->drop.table ? "TABLE" : "STREAM");
        return SL_ERR_INVAL;
    }
    if (stmt->drop.delete_topic) {
        if (e->src.read_only) {
            fail(errbuf, errlen, "Cannot delete topic for read-only source: %s", name);
            return SL_ERR_INVAL;
        }
        if (c->has_topics && c->topics.remove(c->topics.opaque, e->src.topic)) {
            fail(errbuf, errlen, "Could not delete the topic %s of %s", e->src.topic, name);
            return SL_ERR_IO;
        }
    }
    unlink_entry(c, e);
    entry_free(e);
    *message = stmt->drop.table ? "Table dropped." : "Stream dropped.";
    return SL_OK;
}

static sl_err_t create_type(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt, const char **message,
                            char *errbuf, size_t errlen)
{
    const char *name = stmt->create_type.name.s;
    if (find_entry(c, name, 1)) {
        if (stmt->create_type.if_not_exists) {
            *message = "Type already exists";
            return SL_OK;
        }
        fail(errbuf, errlen, "Cannot register custom type '%s' since it is already registered.",
             name);
        return SL_ERR_EXISTS;
    }
    centry_t *e = calloc(1, sizeof *e);
    if (!e)
        return SL_ERR_NOMEM;
    e->is_type = 1;
    sl_sql_alloc_t al = sl_sql_alloc_arena(&e->arena);
    sl_err_t err = resolve(c, stmt->create_type.type, &al, &e->type, errbuf, errlen);
    if (!err && !(e->type_name = dup_str(&e->arena, name)))
        err = SL_ERR_NOMEM;
    if (err) {
        entry_free(e);
        return err;
    }
    append_entry(c, e);
    *message = "Type created";
    return SL_OK;
}

static sl_err_t drop_type(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt, const char **message,
                          char *errbuf, size_t errlen)
{
    centry_t *e = find_entry(c, stmt->drop.name.s, 1);
    if (!e) {
        if (stmt->drop.if_exists) {
            *message = "Type does not exist; nothing dropped.";
            return SL_OK;
        }
        fail(errbuf, errlen, "Type %s does not exist.", stmt->drop.name.s);
        return SL_ERR_INVAL;
    }
    unlink_entry(c, e);
    entry_free(e);
    *message = "Dropped type";
    return SL_OK;
}

sl_err_t sl_sql_catalog_apply(sl_sql_catalog_t *c, const sl_sql_stmt_t *stmt,
                              const char **message, char *errbuf, size_t errlen)
{
    const char *dummy;
    if (!message)
        message = &dummy;
    *message = "";
    if (errbuf && errlen)
        errbuf[0] = 0;
    if (!c || !stmt)
        return SL_ERR_INVAL;
    switch (stmt->kind) {
    case SL_SQL_STMT_CREATE_SOURCE:
        return create_source(c, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_DROP_SOURCE:
        return drop_source(c, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_CREATE_TYPE:
        return create_type(c, stmt, message, errbuf, errlen);
    case SL_SQL_STMT_DROP_TYPE:
        return drop_type(c, stmt, message, errbuf, errlen);
    default:
        fail(errbuf, errlen, "%s is not a DDL statement the catalog runs",
             sl_sql_stmt_kind_str(stmt->kind));
        return SL_ERR_UNSUPPORTED;
    }
}

/* ---- sources made by queries ----------------------------------------------------------------- */

int32_t sl_sql_catalog_topic_partitions(const sl_sql_catalog_t *c, const char *topic)
{
    return c && c->has_topics ? c->topics.partitions(c->topics.opaque, topic) : -1;
}

sl_err_t sl_sql_catalog_topic_create(sl_sql_catalog_t *c, const char *topic, int32_t partitions,
                                     int64_t retention_ms, char *errbuf, size_t errlen)
{
    if (!c || !c->has_topics)
        return SL_OK;
    return c->topics.create(c->topics.opaque, topic, partitions, -1, retention_ms, errbuf, errlen);
}

sl_err_t sl_sql_catalog_with_check(const sl_sql_stmt_t *stmt, int32_t *partitions,
                                   int64_t *retention_ms, char *errbuf, size_t errlen)
{
    with_props_t w;
    sl_err_t err = read_props(stmt, 0, &w, errbuf, errlen);
    if (err)
        return err;
    *partitions = (int32_t)w.partitions;
    *retention_ms = w.retention_ms;
    return SL_OK;
}

sl_err_t sl_sql_catalog_add(sl_sql_catalog_t *c, const sl_sql_datasource_t *src, int or_replace,
                            char *errbuf, size_t errlen)
{
    centry_t *old = find_entry(c, src->name, 0);
    if (old && !or_replace) {
        fail(errbuf, errlen, "Cannot add %s '%s': A %s with the same name already exists",
             src->table ? "table" : "stream", src->name, old->src.table ? "table" : "stream");
        return SL_ERR_EXISTS;
    }
    sl_err_t err;
    if (old && (err = sl_sql_catalog_upgrade_check(&old->src, src, 1, errbuf, errlen)))
        return err;
    centry_t *e = calloc(1, sizeof *e);
    if (!e)
        return SL_ERR_NOMEM;
    sl_arena_t *a = &e->arena;
    sl_sql_alloc_t al = sl_sql_alloc_arena(a);
    sl_sql_datasource_t *s = &e->src;
    *s = *src;
    size_t n = src->ncols;
    sl_sql_datasource_col_t *cols = sl_arena_alloc(a, (n ? n : 1) * sizeof *cols);
    sl_sql_column_t *kc = sl_arena_alloc(a, (n ? n : 1) * sizeof *kc);
    sl_sql_column_t *vc = sl_arena_alloc(a, (n ? n : 1) * sizeof *vc);
    int bad = !cols || !kc || !vc;
    s->key_schema = (sl_sql_schema_t){0, kc};
    s->value_schema = (sl_sql_schema_t){0, vc};
    for (size_t i = 0; !bad && i < n; i++) {
        cols[i].name = dup_str(a, src->cols[i].name);
        cols[i].type = sl_sql_type_copy(&al, src->cols[i].type);
        cols[i].role = src->cols[i].role;
        cols[i].header_key = dup_str(a, src->cols[i].header_key);
        bad = !cols[i].name || !cols[i].type;
        sl_sql_column_t sc = {cols[i].name, cols[i].type};
        if (cols[i].role == SL_SQL_ROLE_KEY)
            kc[s->key_schema.ncols++] = sc;
        else if (cols[i].role == SL_SQL_ROLE_VALUE)
            vc[s->value_schema.ncols++] = sc;
    }
    s->cols = cols;
    s->name = dup_str(a, src->name);
    s->topic = dup_str(a, src->topic);
    s->timestamp = dup_str(a, src->timestamp);
    s->timestamp_format = dup_str(a, src->timestamp_format);
    s->sql = dup_str(a, src->sql);
    if (bad || !s->name || !s->topic || (src->sql && !s->sql) ||
        (src->timestamp && !s->timestamp) || (src->timestamp_format && !s->timestamp_format)) {
        entry_free(e);
        return SL_ERR_NOMEM;
    }
    if (old) {
        unlink_entry(c, old);
        old->next = c->replaced, c->replaced = old;
    }
    append_entry(c, e);
    return SL_OK;
}
