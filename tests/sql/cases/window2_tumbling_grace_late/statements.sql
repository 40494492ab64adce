-- TUMBLING with a GRACE PERIOD: an out-of-order record inside the grace joins
-- its window (the result keeps the window's latest time); one after the window
-- end plus grace (in stream time) is dropped.
CREATE STREAM s (id INT KEY, user STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, COUNT(*) AS n, SUM(v) AS total FROM s
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY user;
