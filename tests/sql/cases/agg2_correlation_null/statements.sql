-- CORRELATION skips a row whose x or y is NULL; HAVING waits for two pairs
-- (one pair gives NaN).
CREATE STREAM s (id INT KEY, g STRING, x DOUBLE, y DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, CORRELATION(x, y) AS r, COUNT(x) AS nx FROM s GROUP BY g HAVING COUNT(*) >= 3;
