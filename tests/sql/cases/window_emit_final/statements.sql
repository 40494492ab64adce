-- EMIT FINAL: each window's count once, when stream time passes its end and grace.
CREATE STREAM clicks (id INT KEY, user STRING) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE final_counts AS
  SELECT user, COUNT(*) AS n FROM clicks
  WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 0 SECONDS) GROUP BY user EMIT FINAL;
