-- Unquoted identifiers are upper-cased.
CREATE STREAM s (Mixed INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT mixed + 1 AS Plus, MIXED AS m FROM s;
