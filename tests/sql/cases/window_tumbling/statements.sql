-- Clicks per user per second: a tumbling window; WINDOWSTART in the value.
CREATE STREAM clicks (id INT KEY, user STRING) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_second AS
  SELECT user, WINDOWSTART AS ws, COUNT(*) AS n FROM clicks
  WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 0 SECONDS) GROUP BY user;
