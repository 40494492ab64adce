-- HOPPING windows close one by one: a late record is dropped from the window
-- whose end plus grace has passed, and still counted in the open one.
CREATE STREAM s (id INT KEY, user STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT user, WINDOWSTART AS ws, COUNT(*) AS n FROM s
  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 2 SECONDS) GROUP BY user;
