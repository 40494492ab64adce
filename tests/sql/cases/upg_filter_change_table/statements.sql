-- An upgrade that changes a table query's WHERE: a row that no longer
-- passes is deleted (ksqlDB's filters.sql).
CREATE TABLE a (id INT PRIMARY KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE TABLE b AS SELECT * FROM a WHERE col1 > 0;
CREATE OR REPLACE TABLE b AS SELECT * FROM a WHERE col1 < 0;
