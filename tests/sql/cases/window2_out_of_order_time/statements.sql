-- A windowed aggregate's result takes the latest time of its window so far: a
-- record late within the window gives a row at the window's latest time.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, COUNT(*) AS n FROM s
  WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user;
