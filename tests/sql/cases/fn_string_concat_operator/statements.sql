-- The concatenation operators + and || on strings.
CREATE STREAM s (a STRING, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a + b AS p, a || '/' || b AS q FROM s;
