-- Re-keyed by a column that is NULL: the record gets Kafka's null key.
CREATE STREAM s (k STRING KEY, id STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT id, v FROM s PARTITION BY id;
