/* test_topics.c — the topic catalogue: create, describe, alter, grow, delete,
 * borrow, persist and adopt. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/server/topics.h"
#include "common/trace.h"

typedef struct {
    sl_logmgr_t *mgr;
    sl_topics_t *t;
} env_t;

static void env_open(env_t *e, const char *dir)
{
    char err[256] = "";
    sl_logmgr_config_t mc = sl_logmgr_config_default();
    assert_int_equal(sl_logmgr_open(dir, &mc, &e->mgr, err, sizeof err), SL_OK);
    sl_err_t r = sl_topics_open(e->mgr, dir, &mc.log_defaults, &e->t, err, sizeof err);
    if (r)
        fail_msg("sl_topics_open: %s %s", sl_err_name(r), err);
}

static void env_close(env_t *e)
{
    sl_topics_close(e->t);
    sl_logmgr_close(e->mgr);
}

typedef struct {
    char names[16][256];
    int n;
} names_t;

static void collect(void *opaque, const sl_topic_info_t *info)
{
    names_t *n = opaque;
    snprintf(n->names[n->n++], 256, "%s", info->name);
}

typedef struct {
    char seen[32][64];
    char values[32][256];
    int is_default[32];
    int n;
} configs_t;

static void collect_config(void *opaque, const sl_topic_config_entry_t *e)
{
    configs_t *c = opaque;
    snprintf(c->seen[c->n], 64, "%s", e->key);
    snprintf(c->values[c->n], 256, "%s", e->value);
    c->is_default[c->n++] = e->is_default;
}

static const char *config_value(const configs_t *c, const char *key, int *is_default)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->seen[i], key) == 0) {
            *is_default = c->is_default[i];
            return c->values[i];
        }
    return NULL;
}

static void create_describe_alter(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    env_t e;
    env_open(&e, dir);
    char err[256];
    const char *keys[] = {"cleanup.policy", "retention.ms"};
    const char *values[] = {"compact", "1000"};
    uint8_t id[16];
    assert_int_equal(sl_topics_create(e.t, "orders", 3, keys, values, 2, 0, id, err, sizeof err), SL_OK);
    assert_int_equal(sl_topics_create(e.t, "orders", 3, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_ERR_TOPIC_EXISTS);
    assert_int_equal(sl_topics_create(e.t, "bad name", 1, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_ERR_INVALID_TOPIC);
    assert_int_equal(sl_topics_create(e.t, "x", 0, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_ERR_INVALID_PARTITIONS);
    const char *bk[] = {"retention.ms"};
    const char *bv[] = {"soon"};
    assert_int_equal(sl_topics_create(e.t, "x", 1, bk, bv, 1, 0, NULL, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_non_null(strstr(err, "retention.ms"));
    assert_int_equal(sl_topics_create(e.t, "validated", 1, NULL, NULL, 0, 1, NULL, err, sizeof err), SL_OK);
    sl_topic_info_t info;
    assert_int_equal(sl_topics_get(e.t, "validated", &info), 0);
    assert_int_equal(sl_topics_create(e.t, "audit", 1, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_OK);
    /* The catalogue names the new topic's partitions before any later change. */
    {
        char path[512];
        snprintf(path, sizeof path, "%s/topics.meta", dir);
        size_t len;
        char *text = (char *)sl_test_read_file(path, &len);
        text = realloc(text, len + 1);
        text[len] = 0;
        assert_non_null(strstr(text, "topic audit "));
        assert_non_null(strstr(strstr(text, "topic audit "), " 1\n"));
        free(text);
    }

    assert_int_equal(sl_topics_get(e.t, "orders", &info), 1);
    assert_int_equal(info.partitions, 3);
    assert_memory_equal(info.id, id, 16);
    assert_int_equal(id[6] >> 4, 4); /* a version-4 UUID */
    sl_topic_info_t by_id;
    assert_int_equal(sl_topics_get_by_id(e.t, id, &by_id), 1);
    assert_string_equal(by_id.name, "orders");
    names_t names = {0};
    assert_int_equal(sl_topics_list(e.t, collect, &names), 2);
    assert_string_equal(names.names[0], "audit");
    assert_string_equal(names.names[1], "orders");

    /* The logs exist with the topic's configuration. */
    sl_topic_part_t *p = sl_topics_acquire(e.t, "orders", 2);
    assert_non_null(p);
    assert_int_equal(sl_log_get_config(sl_topic_part_log(p)).cleanup_policy, SL_CLEANUP_COMPACT);
    sl_topics_release(e.t, p);
    assert_null(sl_topics_acquire(e.t, "orders", 3));
    assert_null(sl_topics_acquire(e.t, "nope", 0));

    configs_t c = {0};
    int dflt;
    assert_int_equal(sl_topics_describe_configs(e.t, "orders", collect_config, &c), 1);
    assert_string_equal(config_value(&c, "cleanup.policy", &dflt), "compact");
    assert_int_equal(dflt, 0);
    assert_string_equal(config_value(&c, "segment.bytes", &dflt), "1073741824");
    assert_int_equal(dflt, 1);

    /* Incremental: set one, delete one. */
    const char *ik[] = {"segment.bytes", "retention.ms"};
    const char *iv[] = {"1048576", NULL};
    assert_int_equal(sl_topics_alter_configs(e.t, "orders", ik, iv, 2, 0, 0, err, sizeof err), SL_OK);
    memset(&c, 0, sizeof c);
    sl_topics_describe_configs(e.t, "orders", collect_config, &c);
    assert_string_equal(config_value(&c, "segment.bytes", &dflt), "1048576");
    assert_int_equal(dflt, 0);
    assert_string_equal(config_value(&c, "retention.ms", &dflt), "604800000");
    assert_int_equal(dflt, 1);
    assert_string_equal(config_value(&c, "cleanup.policy", &dflt), "compact");
    p = sl_topics_acquire(e.t, "orders", 0);
    assert_int_equal(sl_log_get_config(sl_topic_part_log(p)).segment_bytes, 1048576);
    sl_topics_release(e.t, p);
    /* Replace all: what is not named goes back to its default. */
    const char *rk[] = {"retention.bytes"};
    const char *rv[] = {"5000"};
    assert_int_equal(sl_topics_alter_configs(e.t, "orders", rk, rv, 1, 1, 0, err, sizeof err), SL_OK);
    memset(&c, 0, sizeof c);
    sl_topics_describe_configs(e.t, "orders", collect_config, &c);
    assert_string_equal(config_value(&c, "cleanup.policy", &dflt), "delete");
    assert_int_equal(dflt, 1);
    assert_string_equal(config_value(&c, "retention.bytes", &dflt), "5000");
    assert_int_equal(sl_topics_alter_configs(e.t, "orders", bk, bv, 1, 0, 0, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_int_equal(sl_topics_alter_configs(e.t, "nope", rk, rv, 1, 0, 0, err, sizeof err), SL_ERR_UNKNOWN_TOPIC);

    /* Grow. */
    assert_int_equal(sl_topics_add_partitions(e.t, "orders", 3, 0, err, sizeof err), SL_ERR_INVALID_PARTITIONS);
    assert_int_equal(sl_topics_add_partitions(e.t, "orders", 5, 0, err, sizeof err), SL_OK);
    assert_int_equal(sl_topics_get(e.t, "orders", &info), 1);
    assert_int_equal(info.partitions, 5);
    p = sl_topics_acquire(e.t, "orders", 4);
    assert_non_null(p);
    assert_int_equal(sl_log_get_config(sl_topic_part_log(p)).retention_bytes, 5000);
    sl_topics_release(e.t, p);
    env_close(&e);

    /* Everything survives a restart. */
    env_open(&e, dir);
    assert_int_equal(sl_topics_get(e.t, "orders", &info), 1);
    assert_int_equal(info.partitions, 5);
    assert_memory_equal(info.id, id, 16);
    memset(&c, 0, sizeof c);
    sl_topics_describe_configs(e.t, "orders", collect_config, &c);
    assert_string_equal(config_value(&c, "retention.bytes", &dflt), "5000");
    assert_int_equal(dflt, 0);
    p = sl_topics_acquire(e.t, "orders", 4);
    assert_int_equal(sl_log_get_config(sl_topic_part_log(p)).retention_bytes, 5000);
    sl_topics_release(e.t, p);
    env_close(&e);
    sl_test_rmdir(dir);
}

static void delete_while_borrowed(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    env_t e;
    env_open(&e, dir);
    char err[256];
    assert_int_equal(sl_topics_create(e.t, "t", 2, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_OK);
    sl_topic_part_t *p = sl_topics_acquire(e.t, "t", 1);
    assert_int_equal(sl_topics_delete(e.t, "t"), SL_OK);
    assert_int_equal(sl_topics_delete(e.t, "t"), SL_ERR_UNKNOWN_TOPIC);
    sl_topic_info_t info;
    assert_int_equal(sl_topics_get(e.t, "t", &info), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/t-0", dir);
    assert_int_equal(access(path, F_OK), -1); /* not borrowed: gone at once */
    snprintf(path, sizeof path, "%s/t-1", dir);
    assert_int_equal(access(path, F_OK), 0); /* borrowed: still there */
    assert_int_equal(sl_log_end_offset(sl_topic_part_log(p)), 0);
    assert_int_equal(sl_topics_create(e.t, "t", 1, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_ERR_TOPIC_EXISTS);
    assert_non_null(strstr(err, "marked for deletion"));
    sl_topics_release(e.t, p);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(sl_topics_create(e.t, "t", 1, NULL, NULL, 0, 0, NULL, err, sizeof err), SL_OK);
    env_close(&e);
    sl_test_rmdir(dir);
}

static void adopts_unlisted_logs(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char err[256];
    /* Logs with no catalogue entry (a crash, or a lost topics.meta). */
    sl_logmgr_t *mgr;
    assert_int_equal(sl_logmgr_open(dir, NULL, &mgr, err, sizeof err), SL_OK);
    assert_int_equal(sl_logmgr_create(mgr, "orphan", 0, NULL, NULL), SL_OK);
    assert_int_equal(sl_logmgr_create(mgr, "orphan", 2, NULL, NULL), SL_OK);
    sl_logmgr_close(mgr);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_ERROR);
    env_t e;
    env_open(&e, dir);
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);
    sl_topic_info_t info;
    assert_int_equal(sl_topics_get(e.t, "orphan", &info), 1);
    assert_int_equal(info.partitions, 3);
    sl_topic_part_t *p = sl_topics_acquire(e.t, "orphan", 1);
    assert_non_null(p);
    sl_topics_release(e.t, p);
    uint8_t id[16];
    memcpy(id, info.id, 16);
    env_close(&e);
    env_open(&e, dir);
    assert_int_equal(sl_topics_get(e.t, "orphan", &info), 1);
    assert_memory_equal(info.id, id, 16); /* recorded, not adopted again */
    env_close(&e);
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(topics, cmocka_unit_test(create_describe_alter), cmocka_unit_test(delete_while_borrowed),
              cmocka_unit_test(adopts_unlisted_logs))
