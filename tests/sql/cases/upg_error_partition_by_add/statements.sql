-- A PARTITION BY added (ksqlDB's prohibited-upgrades.sql).
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM b AS SELECT * FROM a PARTITION BY col1;
