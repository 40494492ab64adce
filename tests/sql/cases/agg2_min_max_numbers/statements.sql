-- MIN and MAX of INT, BIGINT and DOUBLE skip NULLs; a group with no value yet has NULL.
CREATE STREAM s (id INT KEY, g STRING, i INT, b BIGINT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, MIN(i) AS min_i, MAX(i) AS max_i, MIN(b) AS min_b, MAX(b) AS max_b, MIN(d) AS min_d, MAX(d) AS max_d FROM s GROUP BY g;
