-- Another source.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM c (id INT KEY, col1 INT) WITH (kafka_topic='c', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM b AS SELECT * FROM c;
