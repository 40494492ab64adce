-- INT arithmetic wraps as Java's int does.
CREATE STREAM s (i INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT i + 1 AS p, i * 2 AS m FROM s;
