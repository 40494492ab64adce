/* catalog_upgrade.c — may a stream or table be replaced by another version
 * of itself (CREATE OR REPLACE)? ksqlDB's DataSource.canUpgradeTo: the same
 * topic, formats and TIMESTAMP column, the same key columns, and its value
 * columns kept (new ones may follow), for the queries compiled against the
 * old version read the new one's records by position. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "sql/catalog.h"

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* ksqlDB's LogicalSchema text: "`ID` INTEGER KEY, `A` STRING". */
static void schema_text(const sl_sql_datasource_col_t *cols, size_t n, sl_buf_t *b)
{
    int first = 1;
    for (int key = 1; key >= 0; key--) {
        for (size_t i = 0; i < n; i++) {
            int is_key = cols[i].role == SL_SQL_ROLE_KEY;
            if (is_key != key || (!is_key && cols[i].role != SL_SQL_ROLE_VALUE))
                continue;
            if (!first)
                sl_buf_append(b, ", ", 2);
            first = 0;
            sl_buf_append(b, "`", 1);
            sl_buf_append(b, cols[i].name, strlen(cols[i].name));
            sl_buf_append(b, "` ", 2);
            sl_sql_type_format(cols[i].type, SL_SQL_TYPE_SQL, b);
            if (is_key)
                sl_buf_append(b, " KEY", 4);
        }
    }
}

/* The i-th column of role (KEY, or VALUE) in cols, or NULL. */
static const sl_sql_datasource_col_t *nth(const sl_sql_datasource_col_t *cols, size_t n,
                                          int key, size_t i)
{
    for (size_t j = 0; j < n; j++) {
        int is_key = cols[j].role == SL_SQL_ROLE_KEY;
        if (is_key != key || (!is_key && cols[j].role != SL_SQL_ROLE_VALUE))
            continue;
        if (!i--)
            return &cols[j];
    }
    return NULL;
}

static size_t count_role(const sl_sql_datasource_col_t *cols, size_t n, int key)
{
    size_t c = 0;
    while (nth(cols, n, key, c))
        c++;
    return c;
}

static int same_col(const sl_sql_datasource_col_t *a, const sl_sql_datasource_col_t *b)
{
    return a && b && !strcmp(a->name, b->name) && sl_sql_type_equal(a->type, b->type);
}

/* ksqlDB's checkSchemas, and the order of the value columns besides (a
 * query reading the old version reads the columns by position): NULL, or
 * the reason. The key columns may be in another order when a grouping
 * changed its order (the plan's check then says so, as ksqlDB's does). */
static int schema_check(const sl_sql_datasource_t *old, const sl_sql_datasource_t *made,
                        int keys_in_order, sl_buf_t *why)
{
    size_t ok = count_role(old->cols, old->ncols, 1), nk = count_role(made->cols, made->ncols, 1);
    int keys_same = ok == nk;
    for (size_t i = 0; keys_same && i < ok; i++) {
        const sl_sql_datasource_col_t *c = nth(old->cols, old->ncols, 1, i);
        size_t j = keys_in_order ? i : 0;
        while (j < nk && !same_col(c, nth(made->cols, made->ncols, 1, j)) && !keys_in_order)
            j++;
        keys_same = j < nk && same_col(c, nth(made->cols, made->ncols, 1, j));
    }
    if (!keys_same) {
        sl_buf_append(why, "Key columns must be identical.", 30);
        return -1;
    }
    size_t ov = count_role(old->cols, old->ncols, 0), nv = count_role(made->cols, made->ncols, 0);
    int bad = 0;
    /* Changed or gone; and when none is, the ones that moved. */
    for (int pass = 0; pass < 2 && !bad; pass++) {
        for (size_t i = 0; i < ov; i++) {
            const sl_sql_datasource_col_t *c = nth(old->cols, old->ncols, 0, i);
            int found = 0;
            if (pass)
                found = same_col(c, nth(made->cols, made->ncols, 0, i));
            else
                for (size_t j = 0; j < nv && !found; j++)
                    found = same_col(c, nth(made->cols, made->ncols, 0, j));
            if (found)
                continue;
            const char *lead = bad ? ", `" : "The following columns are changed or missing: [`";
            sl_buf_append(why, lead, strlen(lead));
            sl_buf_append(why, c->name, strlen(c->name));
            sl_buf_append(why, "` ", 2);
            sl_sql_type_format(c->type, SL_SQL_TYPE_SQL, why);
            bad = 1;
        }
    }
    if (bad)
        sl_buf_append(why, "]", 1);
    return bad ? -1 : 0;
}

static void ds_issue(sl_buf_t *b, const char *name, const char *prop, const char *from,
                     const char *to)
{
    if (b->len)
        sl_buf_append(b, "\n\tAND ", 6);
    char head[512];
    int n = snprintf(head, sizeof head, "DataSource '`%s`' has %s = ", name, prop);
    sl_buf_append(b, head, n > 0 ? (size_t)n < sizeof head ? (size_t)n : sizeof head - 1 : 0);
    sl_buf_append(b, from, strlen(from));
    sl_buf_append(b, " which is not upgradeable to ", 29);
    sl_buf_append(b, to, strlen(to));
}

/* The topic and its formats (ksqlDB's KsqlTopic: its name, key format with
 * its window, value format with its properties). */
static void topic_text(const sl_sql_datasource_t *d, char *buf, size_t len)
{
    char win[96] = "", delim[32] = "", wrap[40] = "";
    if (d->window == 2)
        snprintf(win, sizeof win, ", WINDOW_TYPE SESSION");
    else if (d->window)
        snprintf(win, sizeof win, ", WINDOW_TYPE %s, WINDOW_SIZE %lld ms",
                 d->window_hopping ? "HOPPING" : "TUMBLING", (long long)d->window_size);
    if (d->value_format.kind == SL_SQL_FORMAT_DELIMITED && d->value_format.delimiter &&
        d->value_format.delimiter != ',')
        snprintf(delim, sizeof delim, ", VALUE_DELIMITER '%c'", d->value_format.delimiter);
    if (d->value_format.wrap != SL_SQL_WRAP_DEFAULT)
        snprintf(wrap, sizeof wrap, ", WRAP_SINGLE_VALUE %s",
                 d->value_format.wrap == SL_SQL_WRAP_ON ? "true" : "false");
    snprintf(buf, len, "%s (KEY_FORMAT %s%s, VALUE_FORMAT %s%s%s)", d->topic,
             sl_sql_format_kind_name(d->key_format.kind), win,
             sl_sql_format_kind_name(d->value_format.kind), delim, wrap);
}

sl_err_t sl_sql_catalog_upgrade_check(const sl_sql_datasource_t *old,
                                      const sl_sql_datasource_t *made, int keys_in_order,
                                      char *errbuf, size_t errlen)
{
    sl_buf_t b = SL_BUF_INIT, why = SL_BUF_INIT;
    char t1[512], t2[512];
    topic_text(old, t1, sizeof t1);
    topic_text(made, t2, sizeof t2);
    if (strcmp(t1, t2))
        ds_issue(&b, old->name, "topic", t1, t2);
    if (!same_str(old->timestamp, made->timestamp))
        ds_issue(&b, old->name, "timestampColumn", old->timestamp ? old->timestamp : "none",
                 made->timestamp ? made->timestamp : "none");
    if (schema_check(old, made, keys_in_order, &why)) {
        sl_buf_t s1 = SL_BUF_INIT, s2 = SL_BUF_INIT;
        schema_text(old->cols, old->ncols, &s1);
        schema_text(made->cols, made->ncols, &s2);
        sl_buf_append(&s1, "", 1);
        sl_buf_append(&s2, "", 1);
        ds_issue(&b, old->name, "schema", s1.data ? (const char *)s1.data : "",
                 s2.data ? (const char *)s2.data : "");
        sl_buf_append(&b, ". (", 3);
        sl_buf_append(&b, why.data, why.len);
        sl_buf_append(&b, ")", 1);
        sl_buf_free(&s1);
        sl_buf_free(&s2);
    }
    sl_err_t err = SL_OK;
    if (b.len) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "Cannot upgrade data source: %.*s", (int)b.len,
                     (const char *)b.data);
        err = SL_ERR_INVAL;
    }
    sl_buf_free(&b);
    sl_buf_free(&why);
    return err;
}
