-- MASK_LEFT with all four mask characters given.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT MASK_LEFT(x, 5, 'U', 'l', '#', '_') AS a FROM s;
