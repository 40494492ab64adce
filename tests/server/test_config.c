/* test_config.c — server.properties: keys, defaults, file format, errors. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/config.h"
#include "common/trace.h"

static void defaults_are_kafkas(void **state)
{
    (void)state;
    sl_broker_config_t c;
    sl_broker_config_default(&c);
    assert_int_equal(c.listener_port, 9092);
    assert_int_equal(c.num_partitions, 1);
    assert_int_equal(c.auto_create_topics_enable, 1);
    assert_int_equal(c.net.num_network_threads, 3);
    assert_int_equal(c.net.num_io_threads, 8);
    assert_int_equal(c.net.socket_request_max_bytes, 104857600);
    assert_int_equal(c.log.log_defaults.segment_bytes, 1073741824);
    assert_int_equal(c.log.log_defaults.retention_ms, 604800000);
    assert_int_equal(c.offsets_topic_num_partitions, 50);
    assert_string_equal(c.data_dir, "./sluice-data");
}

static void keys_and_errors(void **state)
{
    (void)state;
    sl_broker_config_t c;
    sl_broker_config_default(&c);
    char err[256];
    assert_int_equal(sl_broker_config_set(&c, "num.partitions", "6", err, sizeof err), SL_OK);
    assert_int_equal(c.num_partitions, 6);
    assert_int_equal(sl_broker_config_set(&c, "num.partitions", "0", err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "num.partitions"));
    assert_int_equal(c.num_partitions, 6);
    assert_int_equal(sl_broker_config_set(&c, "log.segment.bytes", "1048576", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.segment_bytes, 1048576);
    assert_int_equal(sl_broker_config_set(&c, "log.segment.bytes", "big", err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "log.segment.bytes"));
    assert_true(strncmp(err, "log.segment.bytes:", 18) == 0); /* the key as written, not its twin */
    assert_int_equal(sl_broker_config_set(&c, "log.cleanup.policy", "compact", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.cleanup_policy, SL_CLEANUP_COMPACT);
    assert_int_equal(sl_broker_config_set(&c, "message.max.bytes", "2000000", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.max_message_bytes, 2000000);
    assert_int_equal(sl_broker_config_set(&c, "auto.create.topics.enable", "false", err, sizeof err), SL_OK);
    assert_int_equal(c.auto_create_topics_enable, 0);
    assert_int_equal(sl_broker_config_set(&c, "auto.create.topics.enable", "maybe", err, sizeof err),
                     SL_ERR_CONFIG);
    assert_int_equal(sl_broker_config_set(&c, "listeners", "PLAINTEXT://127.0.0.1:19092", err, sizeof err), SL_OK);
    assert_string_equal(c.listener_host, "127.0.0.1");
    assert_int_equal(c.listener_port, 19092);
    assert_int_equal(sl_broker_config_set(&c, "listeners", "PLAINTEXT://[::1]:9093", err, sizeof err), SL_OK);
    assert_string_equal(c.listener_host, "::1");
    assert_int_equal(sl_broker_config_set(&c, "listeners", "SSL://host:1", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_broker_config_set(&c, "listeners", "PLAINTEXT://host:70000", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_broker_config_set(&c, "log.dirs", "/a,/b", err, sizeof err), SL_ERR_CONFIG);
    assert_int_equal(sl_broker_config_set(&c, "no.such.key", "1", err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "no.such.key"));
}

static void retention_precedence(void **state)
{
    (void)state;
    sl_broker_config_t c;
    sl_broker_config_default(&c);
    char err[256];
    assert_int_equal(sl_broker_config_set(&c, "log.retention.ms", "1234", err, sizeof err), SL_OK);
    assert_int_equal(sl_broker_config_set(&c, "log.retention.hours", "1", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.retention_ms, 1234); /* ms wins over hours */
    sl_broker_config_default(&c);
    assert_int_equal(sl_broker_config_set(&c, "log.retention.hours", "2", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.retention_ms, 7200000);
    assert_int_equal(sl_broker_config_set(&c, "log.retention.minutes", "3", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.retention_ms, 180000);
    assert_int_equal(sl_broker_config_set(&c, "log.retention.ms", "-1", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.retention_ms, -1);
    assert_int_equal(sl_broker_config_set(&c, "log.roll.hours", "1", err, sizeof err), SL_OK);
    assert_int_equal(c.log.log_defaults.segment_ms, 3600000);
}

typedef struct {
    int warnings;
    char last[512];
} capture_t;

static void capture(void *opaque, sl_trace_level_t level, const char *component, const char *line)
{
    capture_t *c = opaque;
    (void)component;
    if (level == SL_TRACE_WARN)
        c->warnings++;
    snprintf(c->last, sizeof c->last, "%s", line);
}

static void properties_file(void **state)
{
    (void)state;
    char *dir = sl_test_mkdtemp();
    char path[512];
    snprintf(path, sizeof path, "%s/server.properties", dir);
    const char *text = "# a comment\n"
                       "! another\n"
                       "\n"
                       "node.id=3\n"
                       "listeners = PLAINTEXT://127.0.0.1:29092\n"
                       "log.dirs: /var/lib/sluice\n"
                       "num.partitions 4\n"
                       "log.segment.bytes=10\\\n"
                       "  48576\n"
                       "zookeeper.connect=localhost:2181\n"
                       "log.retention.hours=1\r\n";
    sl_test_write_file(path, text, strlen(text));
    sl_broker_config_t c;
    sl_broker_config_default(&c);
    char err[512] = "";
    capture_t cap = {0};
    sl_trace_set_sink(capture, &cap, SL_TRACE_WARN);
    assert_int_equal(sl_broker_config_load(&c, path, err, sizeof err), SL_OK);
    assert_int_equal(c.node_id, 3);
    assert_string_equal(c.listener_host, "127.0.0.1");
    assert_int_equal(c.listener_port, 29092);
    assert_string_equal(c.data_dir, "/var/lib/sluice");
    assert_int_equal(c.num_partitions, 4);
    assert_int_equal(c.log.log_defaults.segment_bytes, 1048576);
    assert_int_equal(c.log.log_defaults.retention_ms, 3600000);
    assert_int_equal(cap.warnings, 1); /* zookeeper.connect: no ZooKeeper here */
    assert_non_null(strstr(cap.last, "zookeeper.connect"));
    assert_non_null(strstr(cap.last, ":10"));

    const char *bad = "num.partitions=2\nnum.io.threads=lots\n";
    sl_test_write_file(path, bad, strlen(bad));
    assert_int_equal(sl_broker_config_load(&c, path, err, sizeof err), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "server.properties:2: num.io.threads"));
    sl_trace_set_sink(NULL, NULL, SL_TRACE_WARN);

    snprintf(path, sizeof path, "%s/missing.properties", dir);
    assert_int_equal(sl_broker_config_load(&c, path, err, sizeof err), SL_ERR_IO);
    assert_non_null(strstr(err, "missing.properties"));
    sl_test_rmdir(dir);
}

SL_TEST_GROUP(config, cmocka_unit_test(defaults_are_kafkas), cmocka_unit_test(keys_and_errors),
              cmocka_unit_test(retention_precedence), cmocka_unit_test(properties_file))
