-- EMIT FINAL over SESSION windows: one result per session once stream time
-- passes its end plus the gap plus the grace; merged-away sessions give nothing.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, COUNT(*) AS n FROM s
  WINDOW SESSION (5 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY user EMIT FINAL;
