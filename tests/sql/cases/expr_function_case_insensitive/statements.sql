-- Function names are case-insensitive.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ucase(s) AS a, Lcase(s) AS b FROM s;
