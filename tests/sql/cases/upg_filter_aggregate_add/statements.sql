-- An upgrade that adds a WHERE on a column the aggregation reads already
-- (COUNT(col1)).
CREATE STREAM foo (id INT KEY, col1 INT) WITH (kafka_topic='foo', value_format='JSON', partitions=1);
CREATE TABLE bar AS SELECT id, COUNT(col1) AS count FROM foo GROUP BY id;
CREATE OR REPLACE TABLE bar AS SELECT id, COUNT(col1) AS count FROM foo WHERE col1 > 0 GROUP BY id;
