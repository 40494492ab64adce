-- RETENTION keeps windows in the store longer; what is emitted still follows
-- the grace period.
CREATE STREAM s (id INT KEY, user STRING, v DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, MAX(v) AS hi, MIN(v) AS lo FROM s
  WINDOW TUMBLING (SIZE 30 SECONDS, RETENTION 2 HOURS, GRACE PERIOD 10 SECONDS) GROUP BY user;
