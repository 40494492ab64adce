-- Two key columns in JSON: the key is an object; its field names match case-insensitively.
CREATE STREAM s (k1 STRING KEY, k2 INT KEY, v INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT * FROM s WHERE k2 > 1;
