-- ksqlDB does not upgrade windowed aggregations.
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE TABLE b AS SELECT id, COUNT(*) FROM a WINDOW TUMBLING (SIZE 30 SECONDS) GROUP BY id;
CREATE OR REPLACE TABLE b AS SELECT id, COUNT(*) FROM a WINDOW TUMBLING (SIZE 30 SECONDS) WHERE col1 > 0 GROUP BY id;
