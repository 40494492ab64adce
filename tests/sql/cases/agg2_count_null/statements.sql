-- COUNT(*) counts every row; COUNT(col) skips the rows whose col is NULL
-- (a group whose values are all NULL counts 0).
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COUNT(*) AS n, COUNT(v) AS nv, COUNT(1) AS n1 FROM s GROUP BY g;
