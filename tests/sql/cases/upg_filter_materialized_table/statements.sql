-- An upgrade of a table query over an aggregate's table (ksqlDB's
-- filters.sql; ksqlDB also writes a tombstone for each row the filter
-- leaves out that was never in B, Sluice's table filter does not).
CREATE STREAM foo (id INT KEY, col1 INT) WITH (kafka_topic='foo', value_format='JSON', partitions=1);
CREATE TABLE bar AS SELECT id, COUNT(col1) AS count FROM foo WHERE col1 >= 0 GROUP BY id;
CREATE TABLE baz AS SELECT * FROM bar;
CREATE OR REPLACE TABLE baz AS SELECT * FROM bar WHERE count > 2;
