-- LATEST_BY_OFFSET(col, ignoreNulls) and EARLIEST_BY_OFFSET(col, ignoreNulls):
-- with FALSE a NULL value counts (the latest or earliest value may be NULL);
-- TRUE is the default (NULLs skipped).
CREATE STREAM s (id INT KEY, g STRING, v STRING, n INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS
  SELECT g, LATEST_BY_OFFSET(v, false) AS last_v, EARLIEST_BY_OFFSET(v, false) AS first_v,
         LATEST_BY_OFFSET(n, false) AS last_n, EARLIEST_BY_OFFSET(n, FALSE) AS first_n,
         LATEST_BY_OFFSET(v, true) AS last_v_nn, EARLIEST_BY_OFFSET(v, TRUE) AS first_v_nn
  FROM s GROUP BY g;
