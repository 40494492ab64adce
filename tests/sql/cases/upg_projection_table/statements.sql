-- An upgrade of a table query that adds a column.
CREATE TABLE a (id INT PRIMARY KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE TABLE b AS SELECT id, col1 FROM a;
CREATE OR REPLACE TABLE b AS SELECT id, col1, col2 FROM a;
