-- Nested struct dereference with ->; a NULL struct gives NULL fields.
CREATE STREAM s (st STRUCT<NAME STRING, ADDR STRUCT<CITY STRING, ZIP INT>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT st->NAME AS name, st->ADDR->CITY AS city, st->ADDR->ZIP + 1 AS zip1 FROM s;
