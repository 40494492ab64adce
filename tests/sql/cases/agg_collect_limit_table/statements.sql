-- ksql.functions.collect_list.limit over a table: the adder keeps the first
-- N values; the subtractor removes the last equal value, and nothing when the
-- value was never added (beyond the limit), as ksqlDB's undo does.
SET 'ksql.functions.collect_list.limit' = '2';
CREATE TABLE t0 (id INT PRIMARY KEY, g STRING, v INT) WITH (KAFKA_TOPIC='t0', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COLLECT_LIST(v) AS vs FROM t0 GROUP BY g;
