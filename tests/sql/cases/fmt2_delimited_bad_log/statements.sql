-- A DELIMITED record with the wrong number of fields is skipped and logged.
CREATE STREAM s (a INT, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='DELIMITED', PARTITIONS=1);
CREATE STREAM t AS SELECT a, b FROM s;
