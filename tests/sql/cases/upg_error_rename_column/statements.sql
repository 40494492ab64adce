-- A value column renamed (ksqlDB's projections.sql).
CREATE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT id, col1, col2 FROM a;
CREATE OR REPLACE STREAM b AS SELECT id, col1, col2 AS col3 FROM a;
