-- CASE without ELSE is NULL when no branch is taken; simple CASE; nested CASE; a NULL
-- operand matches no WHEN.
CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CASE WHEN a > 0 THEN 1 WHEN a < 0 THEN -1 END AS sgn, CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END AS name, CASE WHEN a IS NULL THEN 'null' ELSE CASE WHEN a % 2 = 0 THEN 'even' END END AS par FROM s;
