-- LATEST_BY_OFFSET(col, N) and EARLIEST_BY_OFFSET(col, N), with and without
-- ignoreNulls: an ARRAY of the latest (earliest) N values in offset order,
-- oldest first; empty until a value counts.
CREATE STREAM s (id INT KEY, g STRING, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS
  SELECT g, LATEST_BY_OFFSET(v, 2) AS l2, EARLIEST_BY_OFFSET(v, 2) AS e2,
         LATEST_BY_OFFSET(v, 2, false) AS l2n, EARLIEST_BY_OFFSET(v, 2, false) AS e2n,
         LATEST_BY_OFFSET(v, 3, true) AS l3, EARLIEST_BY_OFFSET(v, 1) AS e1
  FROM s GROUP BY g;
