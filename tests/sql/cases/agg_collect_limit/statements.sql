-- ksql.functions.collect_list.limit and ksql.functions.collect_set.limit: at
-- most that many items, the first ones (for COLLECT_SET the first distinct
-- ones); a query keeps the limits set when it was created (UNSET, or a
-- negative value: no limit); 0 keeps none.
SET 'ksql.functions.collect_list.limit' = '2';
SET 'ksql.functions.collect_set.limit' = '2';
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COLLECT_LIST(v) AS l, COLLECT_SET(v) AS st, COUNT_DISTINCT(v) AS cd FROM s GROUP BY g;
UNSET 'ksql.functions.collect_list.limit';
SET 'ksql.functions.collect_set.limit' = '-1';
CREATE TABLE u AS SELECT g, COLLECT_LIST(v) AS l, COLLECT_SET(v) AS st FROM s GROUP BY g;
SET 'KSQL.FUNCTIONS.COLLECT_LIST.LIMIT' = '0';
SET 'ksql.functions.collect_set.limit' = '1';
CREATE TABLE w AS SELECT g, COLLECT_LIST(v) AS l, COLLECT_SET(v) AS st FROM s GROUP BY g;
