-- Another sink topic.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM b WITH (KAFKA_TOPIC='b2') AS SELECT * FROM a;
