-- EMIT FINAL with a GRACE PERIOD: a record late within the grace still counts;
-- each window's result comes once, when stream time reaches its end plus grace.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, COUNT(*) AS n FROM s
  WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 5 SECONDS) GROUP BY user EMIT FINAL;
