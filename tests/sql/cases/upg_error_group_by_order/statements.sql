-- The grouping in another order (ksqlDB's prohibited-upgrades.sql).
CREATE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE TABLE b AS SELECT col1, col2, COUNT(*) FROM a GROUP BY col1, col2;
CREATE OR REPLACE TABLE b AS SELECT col1, col2, COUNT(*) FROM a GROUP BY col2, col1;
