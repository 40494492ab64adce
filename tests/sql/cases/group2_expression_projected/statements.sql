-- Grouping by an expression that the projection repeats: the key column takes
-- the projection's alias.
CREATE STREAM s (id INT KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT v % 2 AS parity, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY v % 2;
