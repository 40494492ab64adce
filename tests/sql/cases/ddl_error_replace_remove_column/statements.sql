-- CREATE OR REPLACE of a source stream that drops a column is refused, as
-- ksqlDB's metastore refuses it, whether queries read the stream or not
-- (ksqlDB's projections.sql "remove column from DDL stream").
CREATE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON');
