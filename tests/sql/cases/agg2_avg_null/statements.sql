-- AVG of INT, BIGINT and DOUBLE is a DOUBLE; NULLs are skipped (neither summed
-- nor counted) and a group with no value yet averages 0.0.
CREATE STREAM s (id INT KEY, g STRING, i INT, b BIGINT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, AVG(i) AS ai, AVG(b) AS ab, AVG(d) AS ad FROM s GROUP BY g;
