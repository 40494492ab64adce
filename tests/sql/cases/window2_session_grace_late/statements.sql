-- SESSION windows close at their end plus the gap plus the grace (stream
-- time): a late record that would make or join a closed session is dropped;
-- one that reaches an open session merges with it. WINDOWSTART and WINDOWEND
-- are the session's first and last record times.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, WINDOWSTART AS ws, WINDOWEND AS we, COUNT(*) AS n FROM s
  WINDOW SESSION (10 SECONDS, GRACE PERIOD 0 SECONDS) GROUP BY user;
