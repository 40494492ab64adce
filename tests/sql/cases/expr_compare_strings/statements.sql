-- String comparison is by code point: upper case sorts before lower case.
CREATE STREAM s (a STRING, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a < b AS lt, a = b AS eq, a > 'M' AS gm FROM s;
