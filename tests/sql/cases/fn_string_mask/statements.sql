-- MASK with the default mask characters, and NULL to keep a class unmasked.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT MASK(x) AS a, MASK(x, '*', NULL, '1', NULL) AS b FROM s;
