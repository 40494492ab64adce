-- A key column added: refused.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT, col2 INT KEY) WITH (kafka_topic='a', format='JSON');
