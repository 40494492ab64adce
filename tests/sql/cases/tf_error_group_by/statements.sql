-- A table function in an aggregation (ksqlDB's analyzer refuses it).
CREATE STREAM s (k STRING KEY, g STRING, arr ARRAY<INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, EXPLODE(arr) AS e, COUNT(*) AS n FROM s GROUP BY g;
