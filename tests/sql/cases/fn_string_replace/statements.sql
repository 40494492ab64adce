-- REPLACE replaces every occurrence.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REPLACE(x, 'foo', 'bar') AS a, REPLACE(x, 'zzz', 'y') AS b, REPLACE(x, 'o', '') AS c FROM s;
