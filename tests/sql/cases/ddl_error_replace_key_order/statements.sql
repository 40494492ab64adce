-- The key columns in another order: refused, even when no query reads it.
CREATE STREAM a (k1 INT KEY, k2 STRING KEY, col1 INT) WITH (kafka_topic='a', format='JSON', partitions=1);
CREATE OR REPLACE STREAM a (k2 STRING KEY, k1 INT KEY, col1 INT) WITH (kafka_topic='a', format='JSON');
