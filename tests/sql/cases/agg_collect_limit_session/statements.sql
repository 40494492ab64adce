-- The collect limits when session windows merge: the earlier session's values
-- first, then the later one's, then the bridging record (ksqlDB's order).
SET 'ksql.functions.collect_list.limit' = '3';
SET 'ksql.functions.collect_set.limit' = '2';
CREATE STREAM acts (id INT KEY, user STRING, v INT) WITH (KAFKA_TOPIC='acts', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sessions AS
  SELECT user, COLLECT_LIST(v) AS l, COLLECT_SET(v) AS st
  FROM acts WINDOW SESSION (10 SECONDS, GRACE PERIOD 1 MINUTE) GROUP BY user;
