-- SUM of INT is an INT; NULLs are skipped, so a group of NULLs sums to 0.
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, SUM(v) AS total FROM s GROUP BY g;
