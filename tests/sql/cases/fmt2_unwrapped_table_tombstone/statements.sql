-- An unwrapped single-column table: null is a tombstone; the result is unwrapped too.
CREATE TABLE s (id STRING PRIMARY KEY, n INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', WRAP_SINGLE_VALUE=false, PARTITIONS=1);
CREATE TABLE t WITH (WRAP_SINGLE_VALUE=false) AS SELECT id, n * 10 AS m FROM s;
