-- Two key columns in DELIMITED; the result keeps the source's key format.
CREATE STREAM s (k1 STRING KEY, k2 INT KEY, v INT) WITH (KAFKA_TOPIC='s', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT k1, k2, v * 10 AS v10 FROM s;
