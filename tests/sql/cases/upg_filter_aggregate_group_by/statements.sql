-- An upgrade of a GROUP BY a value column that changes its WHERE
-- (StreamGroupBy: the repartition topic keeps its name).
CREATE STREAM foo (id INT KEY, col1 INT) WITH (kafka_topic='foo', value_format='JSON', partitions=1);
CREATE TABLE bar AS SELECT col1, COUNT(*) AS count FROM foo WHERE col1 >= 0 GROUP BY col1;
CREATE OR REPLACE TABLE bar AS SELECT col1, COUNT(*) AS count FROM foo WHERE col1 > 1 GROUP BY col1;
