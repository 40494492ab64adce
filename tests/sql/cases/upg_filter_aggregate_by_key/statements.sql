-- An upgrade of a GROUP BY on the key that changes its WHERE (ksqlDB's
-- filters.sql, StreamGroupByKey).
CREATE STREAM foo (id INT KEY, col1 INT) WITH (kafka_topic='foo', value_format='JSON', partitions=1);
CREATE TABLE bar AS SELECT id, COUNT(*) AS count FROM foo WHERE col1 >= 0 GROUP BY id;
CREATE OR REPLACE TABLE bar AS SELECT id, COUNT(*) AS count FROM foo WHERE col1 > 0 GROUP BY id;
