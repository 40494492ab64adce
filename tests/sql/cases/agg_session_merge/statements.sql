-- Session windows (10 s gap) merge the new aggregates' states when a record bridges two sessions.
CREATE STREAM acts (id INT KEY, user STRING, v INT) WITH (KAFKA_TOPIC='acts', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sessions AS
  SELECT user, COLLECT_LIST(v) AS l, TOPK(v, 2) AS top, COUNT_DISTINCT(v) AS cd
  FROM acts WINDOW SESSION (10 SECONDS, GRACE PERIOD 1 MINUTE) GROUP BY user;
