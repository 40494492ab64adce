-- A value whose field does not convert to its column type is skipped and logged.
CREATE STREAM s (id INT KEY, a INT, b BOOLEAN) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT id, a, b FROM s;
