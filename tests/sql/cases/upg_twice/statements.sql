-- A query upgraded twice: the last version runs.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM b AS SELECT * FROM a WHERE col1 > 0;
CREATE OR REPLACE STREAM b AS SELECT * FROM a WHERE col1 > 5;
