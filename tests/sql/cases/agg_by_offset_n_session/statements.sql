-- Session windows (10 s gap): when a record bridges two sessions, the N forms
-- merge the earlier session's values, then the later one's (offset order).
CREATE STREAM acts (id INT KEY, user STRING, v INT) WITH (KAFKA_TOPIC='acts', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sessions AS
  SELECT user, LATEST_BY_OFFSET(v, 2) AS l2, EARLIEST_BY_OFFSET(v, 2) AS e2,
         LATEST_BY_OFFSET(v, false) AS l, EARLIEST_BY_OFFSET(v, false) AS e
  FROM acts WINDOW SESSION (10 SECONDS, GRACE PERIOD 1 MINUTE) GROUP BY user;
