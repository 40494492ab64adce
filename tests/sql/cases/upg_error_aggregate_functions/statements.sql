-- Another aggregate function.
CREATE STREAM foo (id INT KEY, col1 INT) WITH (kafka_topic='foo', value_format='JSON', partitions=1);
CREATE TABLE bar AS SELECT id, COUNT(col1) as n FROM foo GROUP BY id;
CREATE OR REPLACE TABLE bar AS SELECT id, COUNT(col1) as n, SUM(col1) AS s FROM foo GROUP BY id;
