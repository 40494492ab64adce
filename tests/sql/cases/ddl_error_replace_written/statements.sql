-- A source stream a query writes (INSERT INTO … SELECT) stays refused:
-- that query writes its old columns.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM x (id INT KEY, col1 INT) WITH (kafka_topic='x', value_format='JSON', partitions=1);
INSERT INTO a SELECT * FROM x;
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON');
