-- TOPK keeps duplicates, TOPKDISTINCT does not (largest first, NULLs ignored);
-- MIN and MAX over STRING and TIMESTAMP.
CREATE STREAM s (id INT KEY, g STRING, v INT, name STRING, at TIMESTAMP) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS
  SELECT g, TOPK(v, 3) AS top, TOPKDISTINCT(v, 2) AS topd, MAX(name) AS mx, MIN(at) AS first_at
  FROM s GROUP BY g;
