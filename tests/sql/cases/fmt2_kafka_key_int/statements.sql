-- Without KEY_FORMAT the key is in KAFKA format: an INT key is 4 big-endian bytes.
CREATE STREAM s (k INT KEY, v STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT k, v, k * 2 AS k2 FROM s WHERE k <> 0;
