-- ksqlDB's projections.sql "remove column from DDL table".
CREATE TABLE a (id INT PRIMARY KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE TABLE b AS SELECT * FROM a;
CREATE OR REPLACE TABLE a (id INT PRIMARY KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON');
